"""Jinja2 templates -> Markdown pages (pure: values in, text out).

Templates hold words and layout; they get numbers only through ``v(...)``,
which returns a computed :class:`Value` and records that the page cites it.
An undefined name stops the build: a missing value must never print as a blank.
"""

from __future__ import annotations

import dataclasses
import html
import json
import posixpath
import re
import sys
import traceback
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import jinja2

from . import __version__, crosschecks, escape, fmt
from .charts import Figure
from .errors import TemplateError
from .figures import MADE_UP_ALT
from .jinja_env import environment as environment  # the page environment (jinja_env.py), used with render_page
from .numbers import NumberBook, Value
from .present import StudyView
from .schema import SCHEMA_VERSION
from .topics import in_language
from .urls import TOPICS_FOLDER
from .validate import Study

AUDIENCES = ("families", "clinicians")
TRUST_PARTIAL = "_partials/trust.md.j2"
PAGER_PARTIAL = "_partials/pager.md.j2"
MADE_UP_PARTIAL = "_partials/made_up_pages.md.j2"  # the words search puts before a made-up study's results
# Which pages are made-up example data, for search (docs/assets/javascripts/search-audience.js): one small script
# per site (mkdocs.yml extra_javascript), not a list on every page, which grew with the library on every page.
MADE_UP_SCRIPT = "reference/made-up-pages.js"


@dataclass(frozen=True)
class Page:
    """One generated page: where its Markdown goes, its URL, and the template that makes it."""

    template: str
    md_path: str  # relative to docs/
    url: str  # relative to the site root, as in numbers.json
    title: str
    audience: str = ""
    study: str = ""
    topic: str = ""  # topic pages: the medicine
    lang: str = "en"  # a translated twin (e.g. es) lives under <lang>/ and is built as its own site
    twin: str = ""  # the URL of the same page in the other language, when there is one
    listed: tuple[str, ...] = ()  # a part of a list of studies: the ids of the studies it lists
    parts: tuple[str, ...] = ()  # ... and the Markdown paths of every part of that list, in order


def language_pages(studies: list[Study], plan: dict[str, Any], topics: dict[str, Any],
                   pages: list[Page]) -> list[Page]:
    """The translated twins of family pages (``languages:`` in pages.yml), under ``<lang>/``, and the English
    pages with their twin's URL set. A topic gets a twin when its medicine has words in that language (its
    ``unknowns_<lang>``), a study when it has ``family_about_<lang>``; a language with pages gets a home page."""
    twins: dict[str, str] = {}
    out: list[Page] = []
    for lang, section in (plan.get("languages") or {}).items():
        home = section["home"]
        first = len(out)
        for med, topic in topics.items():
            if not getattr(topic.drug, f"unknowns_{lang}", None):
                continue
            name = getattr(topic.drug, f"name_{lang}", "") or topic.names["medicine"]  # the name in that language
            names = topic.names | {"medicine": name, "Medicine": name[:1].upper() + name[1:]}
            for entry in section.get("topic_pages", []):
                slug = entry["slug"]
                url = "families/topics/" + f"{med}/" + (f"{slug}/" if slug else "")
                out.append(Page(entry["template"], f"{lang}/families/topics/{med}/{slug or 'index'}.md",
                                f"{lang}/{url}", entry["title"].format(**names), "families", topic=med,
                                lang=lang, twin=url))
        for study in studies:
            if not in_language(study, lang):
                continue
            for entry in section.get("study_pages_by_kind", {}).get(getattr(study, "kind", "records"), []):
                slug = entry["slug"]
                url = f"families/{study.id}/" + (f"{slug}/" if slug else "")
                out.append(Page(entry["template"], f"{lang}/families/{study.id}/{slug or 'index'}.md",
                                f"{lang}/{url}", entry["title"], "families", study.id, lang=lang, twin=url))
        if len(out) > first:  # a home page only for a language that has pages
            out.insert(first, Page(home["template"], f"{lang}/index.md", f"{lang}/", home["title"], "families",
                                   lang=lang, twin="."))
    for p in out:
        if p.twin:
            twins["" if p.twin == "." else p.twin] = p.url  # "." is the English home, whose URL is ""
    english = [dataclasses.replace(p, twin=twins[p.url]) if p.url in twins else p for p in pages]
    return english + out


EXAMPLE_SUFFIX = " (made-up example)"  # on every title of a synthetic study's pages
MADE_UP_LISTED = 3  # made-up studies named on the home page and the audience index pages; the rest: studies list


def page_plan(studies: list[Study], plan: dict[str, Any], topics: dict[str, Any] | None = None) -> list[Page]:
    """Every page of the site, in navigation order, from ``templates/pages.yml``.

    Per audience: the index, the topic pages (one set per medicine with published studies), the index of
    studies, then each study's pages; ``study_pages_by_kind`` chooses the templates of a study by its kind."""
    pages = [Page(plan["home"]["template"], "index.md", "", plan["home"]["title"])]
    for audience in AUDIENCES:
        section = plan[audience]
        pages.append(Page(section["index"]["template"], f"{audience}/index.md", f"{audience}/",
                          section["index"]["title"], audience))
        for med, topic in (topics or {}).items():
            for entry in section.get("topic_pages", []):
                slug = entry["slug"]
                pages.append(Page(entry["template"], f"{audience}/{TOPICS_FOLDER}/{med}/{slug or 'index'}.md",
                                  f"{audience}/{TOPICS_FOLDER}/{med}/" + (f"{slug}/" if slug else ""),
                                  entry["title"].format(**topic.names), audience, topic=med))
        if "studies_index" in section:
            pages += list_pages(studies, section["studies_index"], audience)
        for study in studies:
            by_kind = section.get("study_pages_by_kind", {})
            for entry in by_kind.get(getattr(study, "kind", "records"), section["study_pages"]):
                slug = entry["slug"]
                md = f"{audience}/{study.id}/{slug or 'index'}.md"
                url = f"{audience}/{study.id}/" + (f"{slug}/" if slug else "")
                title = entry["title"] + (EXAMPLE_SUFFIX if study.synthetic else "")  # tabs, menus, search
                pages.append(Page(entry["template"], md, url, title, audience, study.id))
    for entry in plan["reference"]:
        pages.append(Page(entry["template"], f"reference/{entry['slug']}.md", f"reference/{entry['slug']}/",
                          entry["title"], "reference"))
    return pages


def list_pages(studies: list[Study], entry: dict[str, Any], audience: str) -> list[Page]:
    """The list of all studies of an audience, real studies first, then made-up ones, in parts of at most
    ``per_page`` studies (pages.yml), so that no page grows with the library: the first part at
    ``<audience>/<slug>.md``, part k at ``<audience>/<slug>-<k>.md``, each titled by ``part_title``."""
    ordered = [s.id for s in studies if not s.synthetic] + [s.id for s in studies if s.synthetic]
    per_page = int(entry.get("per_page") or len(ordered) or 1)
    chunks = [tuple(ordered[i:i + per_page]) for i in range(0, len(ordered), per_page)] or [()]
    mds = tuple(f"{audience}/{entry['slug']}" + (f"-{k}" if k > 1 else "") + ".md" for k in range(1, len(chunks) + 1))
    titles = [entry["title"]] + [entry["part_title"].format(part=k, parts=len(chunks))
                                 for k in range(2, len(chunks) + 1)]
    return [Page(entry["template"], md, md.removesuffix(".md") + "/", title, audience, listed=chunk,
                 parts=mds if len(mds) > 1 else ())
            for md, title, chunk in zip(mds, titles, chunks, strict=True)]


def made_up_lists(pages: list[Page], views: dict[str, Any]) -> dict[str, str]:
    """By audience, the Markdown path of the part of the list of studies where the made-up examples begin."""
    out: dict[str, str] = {}
    for p in pages:
        if p.listed and p.audience not in out and any(views[sid].synthetic for sid in p.listed):
            out[p.audience] = p.md_path
    return out


def neighbours(pages: list[Page], page: Page) -> tuple[Page | None, Page | None]:
    """The family page before and after ``page`` in reading order (none for other pages); see ``reading_orders``."""
    return reading_orders(pages).get(page.md_path, (None, None))


def reading_orders(pages: list[Page], made_up: Collection[str] = ()) -> dict[str, tuple[Page | None, Page | None]]:
    """Each family page's previous and next page in reading order, by its docs path (other pages are absent).

    A study with several family pages is read through in its own order; the other family pages (the topic pages,
    the list of studies and one-page studies) form one reading order of their own, in navigation order, except
    that the pages of ``made_up`` studies come last (as in the lists of studies: a real study's "next" never
    leads to made-up data). Worked out once for all pages (one pass per language), so a library of many studies
    costs no more per page.
    """
    orders: dict[tuple[str, str], list[Page]] = {}
    family = [p for p in pages if p.audience == "families" and (p.md_path.count("/") > 1 or p.url.endswith("studies/"))]
    family.sort(key=lambda p: p.study in made_up)  # stable: navigation order otherwise
    per_study = Counter((p.lang, p.study) for p in family if p.study)  # not the families' index
    for p in family:
        own = p.study if p.study and per_study[(p.lang, p.study)] > 1 else ""
        orders.setdefault((p.lang, own), []).append(p)
    return {p.md_path: (same[i - 1] if i else None, same[i + 1] if i + 1 < len(same) else None)
            for same in orders.values() for i, p in enumerate(same)}


def pager_title(page: Page, neighbour: Page, views: dict[str, Any]) -> str:
    """What a next or previous link names: the neighbour's title, or, for a page of another study (a one-page
    study in the shared reading order, whose title is only "The short version"), that study's short title in
    the neighbour's language."""
    view = views.get(neighbour.study)
    if view is None or neighbour.study == page.study:
        return neighbour.title
    spec = view.spec
    short = spec.short_title if neighbour.lang == "en" else getattr(spec, f"short_title_{neighbour.lang}", "")
    return (short + (EXAMPLE_SUFFIX if view.synthetic and neighbour.lang == "en" else "")) if short else neighbour.title


def render_page(env: jinja2.Environment, page: Page, views: dict[str, StudyView], book: NumberBook,
                figures: dict[str, Figure], site: dict[str, Any] | None = None,
                docs: dict[str, Any] | None = None, extra: dict[str, Any] | None = None,
                alts: dict[str, str] | None = None) -> str:
    """Render one page; raise TemplateError naming the template and line on any failure.

    ``alts``, when given, receives each figure's text alternative as the first page that shows it words it
    (figure key -> plain text), for the words inside the figure's own file (``svg_text``).

    Templates get prepared views (``present.StudyView``), never patient rows; they print numbers only with
    ``v(<value id>)``, where the id comes from a prepared table (or is a fixed id such as n_patients). Every
    string from data is escaped when printed (escape.py).
    """
    study = views.get(page.study)
    base = page.study or f"topics/{page.topic}"

    def v(short_id: str) -> Value:
        prefix = f"{page.study}." if page.study and "." not in short_id else ""
        return book.cite(prefix + short_id, page.url)

    def has(short_id: str | None) -> bool:
        return short_id is not None and f"{page.study}.{short_id}" in book

    lang = f"{page.lang}/" if page.lang != "en" else ""  # a translated twin's figures live under <lang>/

    def figure(name: str, alt: str = "") -> str:
        key = f"{lang}{page.audience}/{base}/{name}"
        if key not in figures:
            raise TemplateError(f"{page.template}: no figure named {name!r} for this page "
                                f"(known: {', '.join(sorted(figures)) or 'none'}).")
        for value_id in figures[key].ids:
            book.cite(value_id, page.url)
        if alt and study is not None and study.synthetic and page.lang == "en":  # a page's own words for a chart
            alt = alt.rstrip().removesuffix(".") + f" ({fmt.MADE_UP})."  # say it too, still one sentence
        source = alt or figures[key].alt
        words = " ".join(str(source).split())
        # Words a template joined with ``~`` are Md, their data parts escaped already: escaped again, a reader
        # would hear "&lt;" (outside tester); a chart's own alt text is plain and escaped here.
        text = escape.trusted(words) if isinstance(source, escape.Md) else escape.text(words)
        if alts is not None:
            alts.setdefault(key, html.unescape(text))  # the words as shown, for the figure's own SVG
        return escape.trusted(f"![{text}](figures/{figures[key].name}.svg){{ .chart }}")

    def figure_exists(name: str) -> bool:
        """False when a chart was not drawn because every value in it is withheld or not estimable."""
        return f"{lang}{page.audience}/{base}/{name}" in figures

    context = dict(
        page=page, study=study, studies=list(views.values()), listed=[views[sid] for sid in page.listed], v=v,
        has=has, figure=figure,
        figure_exists=figure_exists, fmt=_Formatters(), link=_linker(page.md_path), generator_version=__version__,
        twin=escape.trusted(twin_href(page)) if page.twin else "",
        schema_version=SCHEMA_VERSION, site=site or {},
        any_synthetic=all(s.synthetic for s in views.values()) if views else False,  # the site-wide banner
        made_up_listed=MADE_UP_LISTED,
        docs=escape.trust_tree(_trusted_docs(docs or {})), data_rules=[escape.trusted(r) for r in crosschecks.RULES],
        markdown_subset=escape.trusted(escape.MARKDOWN_SUBSET), **(extra or {}))
    try:
        text = env.get_template(page.template).render(context)
        if any(context.get("pager", ())):  # family pages: the previous and next page in reading order
            context["pager_titles"] = tuple(pager_title(page, p, views) if p else "" for p in context["pager"])
            text += env.get_template(PAGER_PARTIAL).render(context)
        if page.audience in AUDIENCES:  # search puts made-up studies' pages last and marks them (search-audience.js)
            text += env.select_template([f"{page.lang}/{MADE_UP_PARTIAL}", MADE_UP_PARTIAL]).render(context)
        if study is not None:  # who stands behind the page, at the foot of every study page
            text += env.get_template(TRUST_PARTIAL if page.lang == "en" else f"{page.lang}/{TRUST_PARTIAL}").render(
                context)
        if study is not None and study.synthetic and page.lang == "en":
            text = example_title(text)
        return escape.front_matter(text)
    except TemplateError:
        raise
    except jinja2.TemplateSyntaxError as exc:  # the template's own text: an unclosed {{ }} or {% %}, a typo
        where = f"templates/{exc.name or page.template}, line {exc.lineno}"
        raise TemplateError(f"{where}: {exc.message}. Page: {page.md_path}. Nothing was written.\n    hint:     "
                            "Close every {{ with }} and every {% with %}, and end each {% if %} and {% for %} "
                            "(look above that line too); `python scripts/build.py pages` checks it quickly.") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{_where(page.template)}: {exc}. Page: {page.md_path}.") from None
    except Exception as exc:  # a template calling v() with an unknown id, for instance
        raise TemplateError(f"{_where(page.template)}: {exc}") from None


def example_title(text: str) -> str:
    """A made-up study's page with " (made-up example)" after the title in its front matter, so the browser tab,
    a bookmark and a printed page say it too (the navigation and search already do: ``page_plan``), and its
    description starting "Made-up example data." (search snippets and link previews)."""
    if not text.startswith("---\n"):
        return text
    end = text.find("\n---\n", 3)
    head = re.sub(r"^(title: .*?)\s*$", lambda m: m.group(1) if m.group(1).endswith(EXAMPLE_SUFFIX)
                  else m.group(1) + EXAMPLE_SUFFIX, text[:end], count=1, flags=re.M)
    head = re.sub(rf"^description: (?!{MADE_UP_ALT.strip()})", f"description: {MADE_UP_ALT}", head,
                  count=1, flags=re.M)  # a link preview or search snippet says it too
    return head + text[end:] if end > 0 else text


def made_up_prefixes(views: dict[str, Any]) -> Any:
    """The address prefixes, relative to a site's root, of every made-up (synthetic) study's pages, one space
    between them: the list search-audience.js reads to rank and mark search results."""
    prefixes = [f"{audience}/{sid}/" for sid, s in sorted(views.items()) if s.synthetic for audience in AUDIENCES]
    bad = [p for p in prefixes if not re.fullmatch(r"[A-Za-z0-9._/-]+", p)]
    if bad:
        raise TemplateError(f"Made-up study addresses {bad} are not plain paths (letters, digits, '.', '_', '-').")
    return escape.trusted(" ".join(prefixes))


def made_up_script(views: dict[str, Any]) -> bytes:
    """MADE_UP_SCRIPT: the address prefixes of the made-up studies' pages (:func:`made_up_prefixes`), as a
    script that search-audience.js reads (``window.evidenceMadeUpPages``)."""
    listed = json.dumps(str(made_up_prefixes(views)).split())
    return ("// Written by the generator: the address prefixes of made-up (synthetic) studies' pages, which the "
            f"site's search puts after real ones.\nwindow.evidenceMadeUpPages = {listed};\n").encode()


def twin_href(page: Page) -> str:
    """The relative address of a page's twin in the other language (both are directory URLs)."""
    target = page.twin
    href = posixpath.relpath(target or ".", page.url.rstrip("/") or ".") + "/"
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", href):
        raise TemplateError(f"{page.md_path}: its twin's address {target!r} is not a plain path.")
    return href


def _trusted_docs(docs: dict[str, Any]) -> dict[str, Any]:
    """The Data format page's declarations come from the package's own code: printed as written."""
    out = dict(docs)
    for key in ("tables", "study_fields", "medicine_fields", "vocab_fields", "aggregate_tables", "aggregate_fields"):
        if key in out:
            out[key] = [escape.TrustedObject(x) for x in out[key]]
    return out


def _where(template: str) -> str:
    """'templates/x.md.j2, line 12' from the innermost traceback frame inside that template."""
    frames = [f for f in traceback.extract_tb(sys.exc_info()[2]) if f.filename.endswith(template)]
    return f"templates/{template}" + (f", line {frames[-1].lineno}" if frames else "")


def _linker(from_md: str):
    """A function turning a docs-relative Markdown path into a link relative to the page ``from_md``."""

    def link(target_md: str) -> escape.Md:
        target = posixpath.relpath(str(target_md), posixpath.dirname(from_md) or ".")
        if not re.fullmatch(r"[A-Za-z0-9._/#-]+", target):
            raise TemplateError(f"link({target_md!r}): a page path may hold only letters, digits, '.', '_', '-' "
                                "and '/'.")
        return escape.trusted(target)
    return link


class _Formatters:
    """``fmt`` as templates see it: each function's string arguments escaped and its result Md."""

    def __getattr__(self, name: str) -> Any:
        value = getattr(fmt, name)
        return escape.formatter(value) if callable(value) else value
