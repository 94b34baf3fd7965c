"""Jinja2 templates -> Markdown pages (pure: values in, text out).

Templates hold words and layout; they get numbers only through ``v(...)``,
which returns a computed :class:`Value` and records that the page cites it.
An undefined name stops the build: a missing value must never print as a blank.
"""

from __future__ import annotations

import posixpath
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from . import __version__, families, fmt, paths
from .charts import Figure
from .errors import TemplateError
from .numbers import NumberBook, Value
from .present import StudyView
from .schema import SCHEMA_VERSION
from .validate import Study

AUDIENCES = ("families", "clinicians")
TRUST_PARTIAL = "_partials/trust.md.j2"


@dataclass(frozen=True)
class Page:
    """One generated page: where its Markdown goes, its URL, and the template that makes it."""

    template: str
    md_path: str  # relative to docs/
    url: str  # relative to the site root, as in numbers.json
    title: str
    audience: str = ""
    study: str = ""


def page_plan(studies: list[Study], plan: dict[str, Any]) -> list[Page]:
    """Every page of the site, in navigation order, from ``templates/pages.yml``."""
    pages = [Page(plan["home"]["template"], "index.md", "", plan["home"]["title"])]
    for audience in AUDIENCES:
        section = plan[audience]
        pages.append(Page(section["index"]["template"], f"{audience}/index.md", f"{audience}/",
                          section["index"]["title"], audience))
        for study in studies:
            for entry in section["study_pages"]:
                slug = entry["slug"]
                md = f"{audience}/{study.id}/{slug or 'index'}.md"
                url = f"{audience}/{study.id}/" + (f"{slug}/" if slug else "")
                pages.append(Page(entry["template"], md, url, entry["title"], audience, study.id))
    for entry in plan["reference"]:
        pages.append(Page(entry["template"], f"reference/{entry['slug']}.md", f"reference/{entry['slug']}/",
                          entry["title"], "reference"))
    return pages


def environment(templates: Path, cache: Path | None = None) -> jinja2.Environment:
    """The page templates' environment; compiled templates are kept in ``cache`` (default build/cache/jinja),
    keyed by each template's name and a checksum of its source, so an edited template is always recompiled."""
    cache = paths.BUILD / "cache" / "jinja" if cache is None else cache
    try:
        cache.mkdir(parents=True, exist_ok=True)
        bytecode_cache = jinja2.FileSystemBytecodeCache(str(cache))
    except OSError:
        bytecode_cache = None
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates), undefined=jinja2.StrictUndefined, autoescape=False,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, bytecode_cache=bytecode_cache)
    env.filters.update(percent=fmt.percent, clinical=fmt.clinical, ci=fmt.ci, n_of_n=fmt.n_of_n,
                       out_of_ten=fmt.out_of_ten, number=fmt.number,
                       time_frame=fmt.time_frame, long_date=fmt.long_date)
    families.install(env)  # family pages: natural frequencies, certainty words, glossary links
    return env


def render_page(env: jinja2.Environment, page: Page, views: dict[str, StudyView], book: NumberBook,
                figures: dict[str, Figure], site: dict[str, Any] | None = None,
                docs: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> str:
    """Render one page; raise TemplateError naming the template and line on any failure.

    Templates get prepared views (``present.StudyView``), never patient rows; they print numbers only with
    ``v(<value id>)``, where the id comes from a prepared table (or is a fixed id such as n_patients).
    """
    study = views.get(page.study)

    def v(short_id: str) -> Value:
        prefix = f"{page.study}." if page.study and "." not in short_id else ""
        return book.cite(prefix + short_id, page.url)

    def has(short_id: str | None) -> bool:
        return short_id is not None and f"{page.study}.{short_id}" in book

    def figure(name: str, alt: str = "") -> str:
        key = f"{page.audience}/{page.study}/{name}"
        if key not in figures:
            raise TemplateError(f"{page.template}: no figure named {name!r} for this page "
                                f"(known: {', '.join(sorted(figures)) or 'none'}).")
        for value_id in figures[key].ids:
            book.cite(value_id, page.url)
        text = " ".join((alt or figures[key].alt).split())
        return f"![{text}](figures/{name}.svg){{ .chart }}"

    def figure_exists(name: str) -> bool:
        """False when a chart was not drawn because every value in it is withheld or not estimable."""
        return f"{page.audience}/{page.study}/{name}" in figures

    context = dict(
        page=page, study=study, studies=list(views.values()), v=v, has=has, figure=figure,
        figure_exists=figure_exists, fmt=fmt,
        link=_linker(page.md_path), generator_version=__version__, schema_version=SCHEMA_VERSION,
        any_synthetic=any(s.synthetic for s in views.values()), site=site or {}, docs=docs or {}, **(extra or {}))
    try:
        text = env.get_template(page.template).render(context)
        if study is not None:  # who stands behind the page, at the foot of every study page
            text += env.get_template(TRUST_PARTIAL).render(context)
        return text
    except TemplateError:
        raise
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{_where(page.template)}: {exc}. Page: {page.md_path}.") from None
    except Exception as exc:  # a template calling v() with an unknown id, for instance
        raise TemplateError(f"{_where(page.template)}: {exc}") from None


def _where(template: str) -> str:
    """'templates/x.md.j2, line 12' from the innermost traceback frame inside that template."""
    frames = [f for f in traceback.extract_tb(sys.exc_info()[2]) if f.filename.endswith(template)]
    return f"templates/{template}" + (f", line {frames[-1].lineno}" if frames else "")


def _linker(from_md: str):
    """A function turning a docs-relative Markdown path into a link relative to the page ``from_md``."""

    def link(target_md: str) -> str:
        return posixpath.relpath(target_md, posixpath.dirname(from_md) or ".")
    return link
