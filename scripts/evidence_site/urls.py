"""Stable addresses: URLs printed on handouts must keep working, through a redirect page if need be.

``tests/published_urls.txt`` lists every site-relative URL that has been published (one per line,
``#`` comments allowed, ``./`` for the home page). :func:`missing_urls` finds those the built site no
longer serves; :func:`redirect_html` writes the page that sends an old address to its new one.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HOME_SPELLINGS = {"", ".", "./", "/"}
# A site-relative address: path segments of URL-safe characters, no '.' or '..' segment, ending in '/' or '.html'.
SITE_PATH = re.compile(r"(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*/)*(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*(?:/|\.html))?")


def normalise(url: str) -> str:
    """A site-relative URL without a leading slash; the home page is ''."""
    url = url.strip()
    return "" if url in HOME_SPELLINGS else url.lstrip("/")


def load_published_urls(path: Path) -> list[str]:
    """Read the committed list, skipping blank lines and ``#`` comments."""
    urls = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if text:
            urls.append(normalise(text))
    return urls


def served_file(url: str) -> str:
    """The file a static host serves for a URL: 'a/b/' -> 'a/b/index.html', '' -> 'index.html'."""
    url = normalise(url)
    return url + "index.html" if url == "" or url.endswith("/") else url


def missing_urls(published: Iterable[str], site_dir: Path) -> list[str]:
    """The published URLs that the built site in ``site_dir`` does not serve, in the given order."""
    return [normalise(url) for url in published if not (site_dir / served_file(url)).is_file()]


def relative_url(from_url: str, to_url: str) -> str:
    """The link from the page at ``from_url`` to ``to_url`` (both site-relative directory URLs or files)."""
    from_dir = posixpath.dirname("/" + served_file(from_url))
    target = posixpath.relpath("/" + served_file(to_url), from_dir)
    if target.endswith("index.html"):
        target = target[: -len("index.html")] or "./"
    return target


def redirect_html(target_url: str) -> str:
    """A small page that sends readers (and search engines, via the canonical link) to ``target_url``.

    ``target_url`` is written as the browser should follow it: absolute (https://...) or relative to
    the redirect page, e.g. ``relative_url(old, new)``.
    """
    t = html.escape(target_url, quote=True)
    return (
        "<!doctype html>\n"
        '<html lang="en">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>This page has moved</title>\n"
        f'<link rel="canonical" href="{t}">\n'
        '<meta name="robots" content="noindex">\n'
        f'<meta http-equiv="refresh" content="0; url={t}">\n'
        "</head>\n"
        "<body>\n"
        f'<p>This page has moved to <a href="{t}">{t}</a>.</p>\n'
        "</body>\n"
        "</html>\n"
    )


def address_problem(url: str) -> str | None:
    """Why ``url`` is not a usable site-relative address (None when it is)."""
    text = url.strip()
    if len(text) > 300:
        return "longer than 300 characters"
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text) or text.startswith("//"):
        return "an address on another site (it must be relative to this site)"
    if text.startswith("/"):
        return "an absolute path starting with '/' (written relative to the site root, it has no leading '/')"
    if any(seg in (".", "..") for seg in text.strip("/").split("/")):
        return "a path with '.' or '..' in it"
    if not SITE_PATH.fullmatch(normalise(text)):
        return "characters other than letters, digits, '-', '_', '.', '~' and '/', or a path not ending in '/'"
    return None


def check_redirects(redirects: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(side, address, why) for each unusable address of data/redirects.yml: both sides must be plain
    site-relative addresses, and the home page cannot be redirected."""
    problems = []
    for old, new in redirects.items():
        if normalise(old) == "":
            problems.append(("old", old, "the home page, which cannot be redirected"))
        for side, url in (("old", old), ("new", new)):
            why = None if normalise(url) == "" else address_problem(url)
            if why:
                problems.append((side, url, why))
    return problems


def redirect_loops(redirects: Mapping[str, str]) -> list[list[str]]:
    """Each loop of data/redirects.yml once, as its old addresses in the order followed (a page redirecting to
    itself is a loop of one): a reader sent round one never reaches a page."""
    step = {normalise(old): normalise(new) for old, new in redirects.items()}
    loops: list[list[str]] = []
    done: set[str] = set()
    for start in step:
        path: list[str] = []
        at = start
        while at in step and at not in path and at not in done:
            path.append(at)
            at = step[at]
        if at in path:
            loops.append(path[path.index(at):])
        done.update(path)
    return loops


def page_file(relative: str) -> str:
    """The file MkDocs writes a docs/-relative file to: ``a/b.md`` -> ``a/b/index.html``, ``a/index.md`` (or
    ``a/README.md``, which MkDocs takes for the folder's index) -> ``a/index.html``; any other file keeps its path."""
    if not relative.endswith(".md"):
        return relative
    stem = relative[: -len(".md")]
    folder, _, name = stem.rpartition("/")
    if name in ("index", "README"):
        return f"{folder}/index.html" if folder else "index.html"
    return stem + "/index.html"


def clashing_pages(generated: Iterable[str], docs: Path) -> list[tuple[str, str]]:
    """(hand-written page, the page it clashes with) for each hand-written Markdown page in ``docs`` that MkDocs
    would write to the same file as a generated page or another hand-written one (``families.md`` and the
    generated ``families/index.md``): MkDocs keeps one of them without a word."""
    from .write import hand_written_files

    generated_pages = [r for r in generated if r.endswith(".md")]
    return [(later, first) for first, later in _same_address([*generated_pages, *hand_written_files(docs, ".md")])
            if later not in generated_pages]


def _same_address(pages: Iterable[str]) -> list[tuple[str, str]]:
    """(the first page at an address, a later one) for each page MkDocs would write to an earlier one's file."""
    owner: dict[str, str] = {}
    return [(other, relative) for relative in pages
            if (other := owner.setdefault(page_file(relative), relative)) != relative]


TOPICS_FOLDER = "topics"  # <audience>/topics/<medicine>/: render.page_plan


def check_study_ids_free(study_ids: Iterable[str], plan: dict[str, Any]) -> None:
    """Raise BuildError when a study's id is a name the site gives its own pages under an audience (the list of
    studies, ``studies`` and its parts ``studies-2`` ...; the medicines' pages, ``topics``): the study's pages would
    share an address or a section with them. Checked by ``validate`` too, before any page is planned."""
    from .errors import BuildError

    lists = {section["studies_index"]["slug"] for section in plan.values()
             if isinstance(section, dict) and isinstance(section.get("studies_index"), dict)}
    taken = sorted(i for i in study_ids
                   if i == TOPICS_FOLDER or any(i == s or re.fullmatch(rf"{re.escape(s)}-\d+", i) for s in lists))
    if taken:
        raise BuildError(
            "A study's id is a name the site uses for its own pages. Nothing was written.\n  - "
            + "\n  - ".join(f"{i!r}: the site's own pages are at or under /families/{i}/ and /clinicians/{i}/"
                             for i in taken)
            + f"\n    expected: a study id other than {', '.join(sorted(lists | {TOPICS_FOLDER}))} (or those "
            "followed by -<number>)\n    hint:     A study's id is its folder's name under data/studies/: rename "
            "that folder (for example after its first author and year).")


def check_generated_clashes(generated: Iterable[str], study_ids: set[str]) -> None:
    """Raise BuildError when two generated pages would be published at one address (a study named ``studies``
    made ``families/studies/index.md``, the study's page, and ``families/studies.md``, the list of every study:
    MkDocs kept one of them without a word)."""
    from .errors import BuildError

    clashes = _same_address(generated)
    if not clashes:
        return
    named = sorted({part for pair in clashes for page in pair for part in page.split("/") if part in study_ids})
    hint = (f"A study's id is part of its pages' addresses; the site uses {', '.join(repr(n) for n in named)} for "
            "pages of its own: rename that study's folder under data/studies/." if named else
            "Two templates in templates/pages.yml make pages at one address: give one another slug.")
    raise BuildError("Two generated pages would be published at one address, and the engine would keep one of "
                     "them without a word. Nothing was written.\n  - "
                     + "\n  - ".join(f"{a} and {b} (both /{page_file(a).removesuffix('index.html')})"
                                      for a, b in clashes) + f"\n    hint:     {hint}")


def check_page_clashes(clashes: list[tuple[str, str]]) -> None:
    """Raise BuildError naming each hand-written page that MkDocs would publish at another page's address
    (``clashing_pages``: it would keep one of them without a word)."""
    from .errors import BuildError, Problem
    from .paths import GENERATED_FOLDERS
    from .write import is_generated

    if not clashes:
        return
    problems = []
    for page, other in clashes:
        address = "/" + page_file(page).removesuffix("index.html")
        if is_generated(other):
            expected = f"a hand-written page at an address of its own ({GENERATED_FOLDERS} hold the generated pages)"
            hint = (f"Rename docs/{page} (for example to docs/about-{Path(page).name}) and link to it from the page "
                    "that should lead there.")
        else:
            expected = "one hand-written page for each address (a.md and a/index.md are both published at /a/)"
            hint = f"Keep one of docs/{page} and docs/{other}: move the text of one into the other."
        problems.append(str(Problem(f"docs/{page}", f"The page would be published at {address}, where docs/{other} "
                                    "is published; the site would keep only one of them.", expected=expected,
                                    found=f"docs/{page} and docs/{other}", hint=hint)))
    raise BuildError(f"docs/: {len(clashes)} hand-written page(s) at an address another page has. Nothing was "
                     "written.\n" + "\n".join(problems))


def nav_paths(nav: Any) -> list[str]:
    """Every page a navigation (MkDocs' ``nav``: lists, ``{title: path or list}`` and bare paths) names."""
    if isinstance(nav, str):
        return [nav]
    items = nav.values() if isinstance(nav, dict) else nav if isinstance(nav, list) else ()
    return [path for item in items for path in nav_paths(item)]


def check_menu_pages(nav: Any, generated: Iterable[str], docs: Path) -> None:
    """Raise BuildError naming each page the menu lists that is neither generated nor a file of ``docs`` (a page
    that data/site.yml ``about_pages`` lists and that was removed or misnamed): MkDocs would stop on it with its
    own words."""
    from .errors import BuildError, Problem

    made = set(generated)
    missing = [page for page in nav_paths(nav) if page not in made and not (docs / page).is_file()]
    if missing:
        raise BuildError(f"The menu lists {len(missing)} page(s) that docs/ does not have. Nothing was written.\n"
                         + "\n".join(str(Problem(
                             "data/site.yml", f"about_pages lists docs/{page}, which is not there.",
                             column="about_pages", expected=f"a hand-written page docs/{page}", found="no such file",
                             hint="Add the page under docs/, or correct or remove its entry in about_pages."))
                                      for page in missing))


def site_pages(generated: Iterable[str], docs: Path) -> set[str]:
    """The files the built site serves pages from (``served_file`` form, e.g. 'families/a/index.html'): the
    generated files (docs/-relative, translated twins under their language) and the hand-written ones in ``docs``."""
    from .write import hand_written_files

    return {page_file(r) for r in [*generated, *hand_written_files(docs)]}


def unserved_targets(redirects: Mapping[str, str], pages: set[str]) -> list[tuple[str, str]]:
    """(old, new) for each redirect whose new address is neither a page of the site (``site_pages``) nor the old
    address of another redirect: its redirect page would send readers to a missing page. (A chain of redirects
    is reported once, at its last entry; loops are ``redirect_loops``.)"""
    olds = {normalise(old) for old in redirects}
    return [(old, new) for old, new in redirects.items()
            if normalise(new) not in olds and served_file(new) not in pages]


def redirect_files(redirects: Mapping[str, str]) -> dict[str, str]:
    """{old URL: new URL} -> {file path in site/: redirect page}, ready for the site writer."""
    bad = check_redirects(redirects)
    if bad:
        raise ValueError("; ".join(f"{side} address {url[:80]!r}: {why}" for side, url, why in bad))
    return {served_file(old): redirect_html(relative_url(old, new)) for old, new in redirects.items()}


def explain_missing(missing: list[str]) -> str:
    """The failure message: which printed addresses would break, and how to keep them working."""
    if not missing:
        return "Every published URL is served."
    listed = "\n".join(f"  - {url or './ (home page)'}  (expected site/{served_file(url)})" for url in missing)
    return (
        f"{len(missing)} published URL(s) would stop working; handouts already printed link to them:\n"
        f"{listed}\n"
        "Do not delete them from tests/published_urls.txt. Keep each address alive with a redirect page: "
        "add `<old URL>: <new URL>` under `redirects:` in data/redirects.yml, and the build writes a page "
        "at the old address that sends readers (and search engines) to the new one."
    )


# Host names reserved for examples (RFC 2606 and RFC 6761) and local machines: an address on one of these is a
# placeholder, never the public address of a published site.
PLACEHOLDER_HOSTS = ("example.org", "example.com", "example.net", "example", "test", "invalid", "localhost")


def publication_address_problem(site_url: str, where: str = "mkdocs.yml") -> str | None:
    """Why ``site_url`` cannot be printed on handouts that are handed out (None: it can).

    Handouts carry the address and its QR code: a placeholder would send every family to a page that does not
    exist, so a publication build refuses it.
    """
    parts = urlsplit(site_url.strip())
    host = (parts.hostname or "").lower()
    hint = ("    hint:     Set site_url in mkdocs.yml to the address where the site will be published "
            "(https://...), then build again.")
    if not site_url.strip():
        return f"{where}, field site_url: expected the site's public https:// address, found nothing.\n{hint}"
    if parts.scheme != "https" or not host:
        return f"{where}, field site_url: expected an https:// address, found {site_url!r}.\n{hint}"
    if any(host == h or host.endswith("." + h) for h in PLACEHOLDER_HOSTS):
        return (f"{where}, field site_url: expected the site's public address, found the placeholder {site_url!r} "
                f"(a host reserved for examples). Handouts print this address and its QR code, so a publication "
                f"build stops here.\n{hint}")
    return None


def handout_address(site_url: str) -> str:
    """The address handouts print and encode as a QR code: ``site_url`` when it is a publication address, else ''
    (none, or a placeholder: the handout then says in a box that it is a draft not to hand out, with no QR code)."""
    return site_url.strip() if publication_address_problem(site_url) is None else ""
