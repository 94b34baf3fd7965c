"""What MkDocs' build keeps from one build to the next (the engine process, ``mkdocs_run``, and the live preview,
``preview``): while MkDocs builds, each page's Markdown converted to HTML (``converting``), its search entries
(``indexing``) and its HTML as the theme made it (``theming``) are taken from a memo when everything each step
reads of the page is what it was; the theme's file listing is kept too (``theme_listing``). Each memo is keyed by
all its step reads, so a memo never serves a page whose inputs changed; an entry is kept only when MkDocs logged
no warning while making it.

The footer values each generated page gives in its front matter (``OWN_FOOTER``, written by
``pipeline.footer_stamps``) are the only front matter the theme reads through ``config.extra``'s names.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def theme_listing(env: Any, theme: Any, files: dict[str, list[str]], static: dict[str, list[str]]) -> None:
    """``env`` (a theme's Jinja environment) listing the theme's files from ``files`` and picking its static files
    from ``static`` when the theme's folders and settings are those listed there (each holds one entry, the
    latest). MkDocs lists the theme's files on every build to copy its static files, and picks those with a filter
    of 15 patterns over each of Material's 14,000 files."""
    import jinja2

    key = theme_key(list(theme.dirs))
    listing = env.loader.list_templates

    def listed() -> list[str]:
        if key not in files:
            files.clear()
            files[key] = listing()
        return list(files[key])

    picked = repr((key, *sorted(theme.static_templates)))

    def list_templates(extensions: Any = None, filter_func: Any = None) -> list[str]:
        if extensions is not None or getattr(filter_func, "__qualname__", "") != THEME_STATIC_FILTER:
            return jinja2.Environment.list_templates(env, extensions, filter_func)
        if picked not in static:
            static.clear()
            static[picked] = jinja2.Environment.list_templates(env, None, filter_func)
        return list(static[picked])

    env.loader.list_templates = listed
    env.list_templates = list_templates


# The filter MkDocs (1.6, pinned) passes to the theme's ``list_templates`` to pick the static files to copy; it reads
# only the file's name, the theme's ``static_templates`` and MkDocs' list of Markdown extensions.
THEME_STATIC_FILTER = "Files.add_files_from_theme.<locals>.filter"
RENDERED = ("content", "toc", "_title_from_render", "present_anchor_ids")  # what Page.render sets (mkdocs 1.6)


@contextlib.contextmanager
def converting(memo: dict[str, dict[str, Any]], config_key: str) -> Iterator[None]:
    """While MkDocs builds: a page whose Markdown, path, config (``config_key``) and list of files are those of
    an earlier warning-free conversion gets that conversion's HTML, table of contents and anchors; any other
    page is converted (and kept only if MkDocs logged no warning meanwhile). Only the entries used are kept."""
    from mkdocs.structure.pages import Page

    convert = Page.render
    used: set[str] = set()
    listing: dict[int, str] = {}  # id(files) -> hash of its paths (one Files object per build)

    def render(page: Page, config: Any, files: Any) -> None:
        if id(files) not in listing:
            listing[id(files)] = hashlib.sha256("\0".join(sorted(f.src_uri for f in files)).encode()).hexdigest()
        key = hashlib.sha256("\0".join((config_key, listing[id(files)], page.file.src_uri,
                                         page.markdown or "")).encode()).hexdigest()
        used.add(key)
        kept = memo.get(key)
        if kept is not None:
            for name in RENDERED:
                setattr(page, name, kept[name])
            if kept["links"] is not None:
                page.links_to_anchors = {files.get_file_from_path(uri): links for uri, links in kept["links"].items()}
            return
        warned = _WarningCount()
        logging.getLogger("mkdocs").addHandler(warned)
        try:
            convert(page, config, files)
        finally:
            logging.getLogger("mkdocs").removeHandler(warned)
        if not warned.count:
            links = page.links_to_anchors
            memo[key] = {name: getattr(page, name) for name in RENDERED} | {
                "links": None if links is None else {f.src_uri: dict(v) for f, v in links.items()}}

    Page.render = render  # type: ignore[method-assign]
    try:
        yield
    finally:
        Page.render = convert  # type: ignore[method-assign]
        for key in set(memo) - used:
            del memo[key]


@contextlib.contextmanager
def indexing(memo: dict[str, list[dict[str, Any]]]) -> Iterator[None]:
    """While MkDocs builds: the search plugin's entries for a page whose address, title, front matter (but the
    footer values, ``OWN_META``, which the plugin does not read: it reads ``search``, ``title`` and ``tags``),
    table of contents and HTML are those of an earlier build are that build's entries (copies); any other page is
    indexed
    (and its entries kept). Only the entries used are kept. Nothing is kept where the plugin segments Chinese
    text (with jieba installed, the entries also depend on its dictionaries)."""
    from material.plugins.search import plugin

    index = plugin.SearchIndex.add_entry_from_context
    used: set[str] = set()

    def add_entry_from_context(self: Any, page: Any) -> None:
        if plugin.jieba is not None:
            index(self, page)
            return
        meta = {k: v for k, v in (page.meta or {}).items() if k not in OWN_META}  # read: search, title, tags
        key = hashlib.sha256(repr((page.url, str(page.title), repr(meta), _toc_key(page.toc),
                                   page.content)).encode()).hexdigest()
        used.add(key)
        if key not in memo:
            before = len(self.entries)
            index(self, page)
            memo[key] = copy.deepcopy(self.entries[before:])
        else:
            self.entries.extend(copy.deepcopy(memo[key]))

    plugin.SearchIndex.add_entry_from_context = add_entry_from_context
    try:
        yield
    finally:
        plugin.SearchIndex.add_entry_from_context = index
        for key in set(memo) - used:
            del memo[key]


# What the theme reads of config.extra through a page's front matter first (templates/theme/main.html: the
# footer's data fingerprint and date, which differ from one study's pages to another's; ``pipeline.footer_stamps``
# writes them, under the second names): left out of the config's part of a built page's key (``page_config_key``),
# which takes the values the page shows instead.
OWN_FOOTER = (("data_fingerprint", "evidence_fingerprint"), ("data_date", "evidence_date"))
OWN_META = frozenset(name for _, name in OWN_FOOTER)  # what only the theme's footer reads of a page's front matter


def page_config_key(staged: dict[str, Any]) -> str:
    """What of a staged config the theme may read when it builds a page: every setting but ``nav`` (read as
    MkDocs made it: ``theming``) and the footer values each page gives for itself (``OWN_FOOTER``)."""
    extra = {k: v for k, v in (staged.get("extra") or {}).items() if k not in dict(OWN_FOOTER)}
    return repr(sorted((k, repr(v)) for k, v in (staged | {"extra": extra}).items() if k != "nav"))


@contextlib.contextmanager
def theming(memo: dict[str, str], config_key: str) -> Iterator[None]:
    """While MkDocs builds: a page whose every input to the theme is what it was in an earlier build gets that
    build's HTML instead of the theme's templates rendered again (about half of the engine's time goes there,
    the menu mostly); any other page is rendered (and kept if no warning was logged meanwhile). Only the entries
    used are kept.

    A page's key holds what the templates read: the config (``config_key``, ``page_config_key``, and the site's
    address as served), the theme's templates (the installed themes' versions, every file of the project's
    override), the navigation as MkDocs made it (each item's kind, title, address and front matter, but for the
    footer values every page gives for itself), the page itself (address, title, front matter, HTML, table of
    contents, canonical and edit addresses, the pages before and after it), the rest of the template context
    (base URL, stylesheets, scripts, build date, MkDocs' version), and the footer values of config.extra where
    the page gives none of its own."""
    from mkdocs.commands import build as mkdocs_build

    build_page = mkdocs_build._build_page
    used: set[str] = set()
    navs: dict[int, str] = {}  # id(nav) -> its key (one Navigation object per build)
    themes: dict[tuple[str, ...], str] = {}

    class Template:
        def __init__(self, template: Any, name: str) -> None:
            self.template, self.name = template, name

        def __getattr__(self, attribute: str) -> Any:
            return getattr(self.template, attribute)

        def render(self, context: Any) -> str:
            page, config = context["page"], context["config"]
            dirs = tuple(config.theme.dirs)
            if dirs not in themes:
                themes[dirs] = theme_key(list(dirs))
            if id(context["nav"]) not in navs:
                navs[id(context["nav"])] = _nav_key(context["nav"])
            meta = dict(page.meta or {})
            extra = config.extra or {}
            fallback = tuple(None if meta.get(own) else str(extra.get(key)) for key, own in OWN_FOOTER)
            key = hashlib.sha256(repr((
                config_key, str(config.site_url), themes[dirs], navs[id(context["nav"])], self.name,
                page.url, str(page.title), repr(sorted((k, repr(v)) for k, v in meta.items())), page.content,
                _toc_key(page.toc), page.canonical_url, page.edit_url, page.is_homepage,
                *((p.url, str(p.title)) if p is not None else None for p in (page.previous_page, page.next_page)),
                context["base_url"], repr(list(context["extra_css"])), repr(list(context["extra_javascript"])),
                str(context["build_date_utc"]), context["mkdocs_version"], fallback)).encode()).hexdigest()
            used.add(key)
            kept = memo.get(key)
            if kept is not None:
                return kept
            warned = _WarningCount()
            logging.getLogger("mkdocs").addHandler(warned)
            try:
                html = self.template.render(context)
            finally:
                logging.getLogger("mkdocs").removeHandler(warned)
            if not warned.count:
                memo[key] = html
            return html

    class Environment:
        def __init__(self, env: Any) -> None:
            self.env = env

        def __getattr__(self, attribute: str) -> Any:
            return getattr(self.env, attribute)

        def get_template(self, name: Any, *args: Any, **kwargs: Any) -> Any:
            return Template(self.env.get_template(name, *args, **kwargs), str(name))

    def built_page(page: Any, config: Any, doc_files: Any, nav: Any, env: Any, *args: Any, **kwargs: Any) -> None:
        build_page(page, config, doc_files, nav, Environment(env), *args, **kwargs)  # the page's own template

    mkdocs_build._build_page = built_page
    try:
        yield
    finally:
        mkdocs_build._build_page = build_page
        for key in set(memo) - used:
            del memo[key]


def _nav_key(nav: Any) -> str:
    """What the theme may read of the navigation: each item's kind, title, address, front matter (but for the
    footer values each page gives for itself, ``OWN_FOOTER``) and children, and the home page's address."""
    def meta(item: Any) -> str:
        return repr(sorted((k, repr(v)) for k, v in (getattr(item, "meta", None) or {}).items() if k not in OWN_META))

    def items(entries: Any) -> tuple[Any, ...]:
        return tuple((type(item).__name__, str(item.title), getattr(item, "url", None), meta(item),
                      items(getattr(item, "children", None) or ())) for item in entries)

    homepage = getattr(nav, "homepage", None)
    return hashlib.sha256(repr((items(nav.items), homepage.url if homepage else None)).encode()).hexdigest()


def theme_key(dirs: list[str]) -> str:
    """The theme's templates: each installed theme folder by its path and the versions of MkDocs and Material,
    each other folder (the project's override) by every file's name and bytes."""
    from importlib.metadata import version

    import jinja2

    installed = Path(jinja2.__file__).resolve().parents[1]
    digest = hashlib.sha256(f"mkdocs {version('mkdocs')} material {version('mkdocs-material')}".encode())
    for folder in dirs:
        digest.update(f"\0{folder}\0".encode())
        if not Path(folder).resolve().is_relative_to(installed):
            for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
                digest.update(f"{path.relative_to(folder)}\0".encode() + path.read_bytes())
    return digest.hexdigest()


def _toc_key(toc: Any) -> tuple[Any, ...]:
    """What the search plugin reads of a table of contents: each item's id, address, title, level and children."""
    return tuple((item.id, item.url, item.title, item.level, _toc_key(item.children)) for item in toc)


class _WarningCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
