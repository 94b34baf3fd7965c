"""The pages of a built MkDocs site, found from its files (pure: reads the file system only)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_REFRESH = re.compile(r"""<meta\s[^>]*http-equiv=["']?refresh""", re.IGNORECASE)
_CANONICAL = re.compile(r"""<link\s+rel=["']?canonical["']?\s+href=["']?([^"'\s>]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class Page:
    """One HTML page: its address relative to the site root ("" for home) and its file."""

    url: str
    file: Path
    redirect: bool = False  # a meta-refresh page that only sends readers on to a new address

    @property
    def label(self) -> str:
        """How the report names the page: "/" for home, "/families/" for the rest."""
        return "/" + self.url

    @property
    def slug(self) -> str:
        """A file-name-safe form of the address, for screenshots."""
        return self.url.strip("/").replace("/", "__").replace(".html", "") or "home"


def url_of(relative: str) -> str:
    """The address a static host serves a file at: ``a/b/index.html`` -> ``a/b/``; ``404.html`` stays."""
    if relative == "index.html":
        return ""
    if relative.endswith("/index.html"):
        return relative[: -len("index.html")]
    return relative


def find_pages(site_dir: Path) -> list[Page]:
    """Every HTML page of the site, home first, then in address order."""
    files = [f for f in site_dir.rglob("*.html") if f.is_file()]
    pages = [Page(url_of(f.relative_to(site_dir).as_posix()), f, is_redirect(f.read_text(encoding="utf-8")))
             for f in files]
    return sorted(pages, key=lambda p: (p.url != "", p.url))


def one_of_each_kind(pages: list[Page], kinds: dict[str, str]) -> list[Page]:
    """The first page (in address order) of each kind: pages whose addresses differ only in a part named in
    ``kinds`` (a study's id, mapped to the kind of study it is) are of one kind (``families/<id>/results/``
    of every study with patient records is one). Any other part of an address tells kinds apart."""
    first: dict[str, Page] = {}
    for page in sorted(pages, key=lambda p: (p.url != "", p.url)):
        shape = "/".join(f"<{kinds[part]}>" if part in kinds else part for part in page.url.split("/"))
        first.setdefault(shape, page)
    return list(first.values())


def is_redirect(html: str) -> bool:
    """True for a page that redirects with ``<meta http-equiv="refresh">`` (the browser would leave it)."""
    return bool(_REFRESH.search(html))


def canonical_site_url(site_dir: Path) -> str:
    """The site's public address, from the home page's canonical link ("" if MkDocs wrote none)."""
    home = site_dir / "index.html"
    if not home.exists():
        return ""
    match = _CANONICAL.search(home.read_text(encoding="utf-8"))
    if not match:
        return ""
    url = match.group(1)
    return url if url.endswith("/") else url + "/"
