"""Find executable markup in HTML with an HTML parser: what an injection into the site would look like.

Flags script elements (other than the ones a known-good build also has), event-handler attributes (on...),
javascript:/vbscript:/data: URLs in link-like attributes, and elements that run or embed other documents.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcdoc",
                  "content"}
EMBEDDING = {"iframe", "object", "embed", "frame", "frameset", "applet", "base", "form", "meta_refresh"}
BAD_URL = re.compile(r"^\s*(javascript|vbscript|data\s*:\s*text/html)\s*:?", re.IGNORECASE)


class _Scanner(HTMLParser):
    def __init__(self, allowed_scripts: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed = allowed_scripts
        self.found: list[str] = []
        self._script: list[str] | None = None
        self._src = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            bad = name in URL_ATTRIBUTES and value and BAD_URL.match(html.unescape(value).replace("\0", ""))
            if bad and not (tag == "meta" and name == "content" and not re.search(r"url\s*=", value, re.I)):
                self.found.append(f"<{tag} {name}={value[:60]!r}>")
        if tag in EMBEDDING - {"form"} or (tag == "meta" and ("http-equiv", "refresh") in attrs):
            self.found.append(f"<{tag}>")
        if tag == "script":
            self._script, self._src = [], dict(attrs).get("src") or ""

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            body = "".join(self._script).strip()
            key = self._src or body
            if key not in self.allowed:
                self.found.append(f"<script>{(self._src or body)[:80]!r}")
            self._script = None


def scripts(page: str) -> set[str]:
    """The script elements of a page (src, or the inline text), for the allowed set of a known-good build."""
    collector = _Collector()
    collector.feed(page)
    collector.close()
    return collector.keys


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.keys: set[str] = set()
        self._script: list[str] | None = None
        self._src = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._script, self._src = [], dict(attrs).get("src") or ""

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.keys.add(self._src or "".join(self._script).strip())
            self._script = None


def executable_markup(page: str, allowed_scripts: set[str] = frozenset()) -> list[str]:
    """Every piece of executable markup in ``page`` not in ``allowed_scripts`` (empty: none)."""
    scanner = _Scanner(set(allowed_scripts))
    scanner.feed(page)
    scanner.close()
    return scanner.found
