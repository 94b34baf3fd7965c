"""Internal links and anchors, resolved against the built files; external links listed, never fetched (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .pages import Page

_REFRESH_URL = re.compile(r"^\s*\d+\s*;\s*url\s*=\s*(\S.*?)\s*$", re.IGNORECASE)  # content="0; url=..."
_LOCAL = "http://site.invalid/"  # a stand-in origin for resolving relative links
# (tag, attribute) pairs that point at another resource.
_REF_ATTRS = {
    ("a", "href"), ("area", "href"), ("link", "href"), ("img", "src"), ("script", "src"),
    ("source", "src"), ("iframe", "src"), ("embed", "src"), ("object", "data"), ("video", "poster"),
}
_SRCSET_TAGS = {"img", "source"}
_IGNORED_SCHEMES = {"data", "javascript", "blob", "about"}


@dataclass
class ParsedHtml:
    """What the link check needs from one HTML file: the ids it defines and the references it makes."""

    ids: set[str] = field(default_factory=set)
    refs: list[str] = field(default_factory=list)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parsed = ParsedHtml()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        if "id" in values:
            self.parsed.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.parsed.ids.add(values["name"])
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            target = _REFRESH_URL.match(values.get("content", ""))
            if target:
                self.parsed.refs.append(target.group(1))
        for name, value in values.items():
            if (tag, name) in _REF_ATTRS and value.strip():
                self.parsed.refs.append(value.strip())
            elif name == "srcset" and tag in _SRCSET_TAGS:
                self.parsed.refs += [part.split()[0] for part in value.split(",") if part.strip()]


def parse_html(text: str) -> ParsedHtml:
    """The ids and references of an HTML document."""
    collector = _Collector()
    collector.feed(text)
    collector.close()
    return collector.parsed


@dataclass(frozen=True)
class Target:
    """Where a reference points: an internal site path (with fragment), an external URL, or nothing to check."""

    kind: str  # "internal", "external" or "ignored"
    path: str = ""  # internal: the path relative to the site root, e.g. "families/" (no query)
    fragment: str = ""
    url: str = ""  # external: the URL as written (resolved)


def classify_link(href: str, page_url: str, site_url: str = "") -> Target:
    """Resolve ``href`` as written on the page at ``page_url`` (relative to the root).

    Absolute links to ``site_url`` (the canonical address) count as internal.
    """
    resolved = urljoin(_LOCAL + page_url, href)
    parts = urlsplit(resolved)
    if parts.scheme in _IGNORED_SCHEMES:
        return Target("ignored")
    for origin in (_LOCAL, site_url):
        if origin and resolved.startswith(origin):
            path = urlsplit(resolved[len(origin) - 1:]).path.lstrip("/")
            return Target("internal", unquote(path), unquote(parts.fragment))
    return Target("external", url=resolved)


def file_for(site_dir: Path, path: str) -> Path | None:
    """The file a static host would serve for ``path``, or None when there is none."""
    candidate = site_dir / path
    if path == "" or path.endswith("/") or candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


@dataclass
class LinkResult:
    """The link check of one page."""

    internal: int = 0
    broken: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)


class LinkChecker:
    """Checks references page by page, parsing each target file once."""

    def __init__(self, site_dir: Path, site_url: str = "") -> None:
        self.site_dir = site_dir
        self.site_url = site_url
        self._parsed: dict[Path, ParsedHtml] = {}

    def _parse(self, file: Path) -> ParsedHtml:
        if file not in self._parsed:
            self._parsed[file] = parse_html(file.read_text(encoding="utf-8"))
        return self._parsed[file]

    def check(self, page: Page) -> LinkResult:
        """Resolve every reference on ``page``; broken ones are reported as "href (reason)"."""
        result = LinkResult()
        for href in self._parse(page.file).refs:
            target = classify_link(href, page.url, self.site_url)
            if target.kind == "external":
                if target.url not in result.external:
                    result.external.append(target.url)
                continue
            if target.kind == "ignored":
                continue
            result.internal += 1
            file = file_for(self.site_dir, target.path)
            if file is None:
                result.broken.append(f"{href} (no file for /{target.path})")
            elif target.fragment and file.suffix == ".html" and target.fragment not in self._parse(file).ids:
                result.broken.append(f"{href} (no id {target.fragment!r} in /{target.path})")
        return result
