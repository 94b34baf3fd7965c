"""load -> validate -> summarise -> charts -> render -> write, in that order and one direction.

``generate`` is pure apart from reading templates: it returns every generated
file in memory. ``build_site`` is the only step that touches docs/ and site/.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

from . import __version__, escape, fmt, paths, svg_cache
from . import cache as cache_module
from .cache import GradeCache, StudyCache, prune, pruned_summary
from .charts import Figure
from .disclosure import build_lines as disclosure_lines
from .downloads import clinician_downloads
from .engine_memo import OWN_FOOTER
from .errors import BuildError, DataError, printable
from .families import WORDS_FILE, template_yaml, worded_date
from .figures import study_figures
from .load import (
    check_about_pages,
    check_redirect_targets,
    check_trust,
    load_data_yaml,
    load_redirects,
    read_shared,
    read_study,
    shared_digest,
    skipped_folders,
    study_files_digest,
    study_folders,
)
from .manifest import NUMBERS_SCHEMA_VERSION, manifest_values
from .numbers import NumberBook
from .outputs import (
    Background,
    Deferred,
    Output,
    Twin,
    check_conflicts,
    check_publication_address,
    warn_stderr,
    write_output,
)
from .present import view
from .readability import family_gate as reading_gate
from .readability import spanish_gate
from .reference import data_format_docs
from .releases import load_releases
from .render import (
    AUDIENCES,
    EXAMPLE_SUFFIX,
    MADE_UP_SCRIPT,
    Page,
    environment,
    language_pages,
    made_up_lists,
    made_up_script,
    page_plan,
    reading_orders,
    render_page,
)
from .summarise import summarise
from .svg_text import family_svg
from .topics import aggregate_view, figure_copies, forest_figure, handout_figures, topic_views
from .urls import (
    check_generated_clashes,
    check_page_clashes,
    check_study_ids_free,
    clashing_pages,
    handout_address,
    redirect_files,
    site_pages,
)
from .validate import OnDemand, Shared, Study, StudyInfo, study_info, tables, validate, validate_shared
from .write import stage_docs, staging, swap_into_place

Progress = Callable[[str], None]
GLOSSARY_TEMPLATE = "families/glossary.md.j2"
# Lines of the build log about the pages themselves, which a build that reuses the last output prints again.
REPEATED_NOTICES = ("privacy", "reading level", "reading ease")
# The generator's own hand-written page in docs/ (the privacy page explains its disclosure control, and withheld
# figures link to it): always in the menu. A project's own pages are listed in data/site.yml ``about_pages``.
HAND_WRITTEN_PAGES = (("Privacy and small numbers", "privacy.md"),)
# The per-study cache's folder for the topic pages' charts, which come from every study of the library (a study
# id is lower-case letters, digits and hyphens, so no study has this one).
TOPICS_ENTRY = "_topics"


@dataclass
class Generated:
    """Everything one build produces before anything is written."""

    studies: list[StudyInfo]  # what the pages read of each study (its tables were let go once summarised)
    book: NumberBook
    pages: list[Page]
    files: dict[str, bytes]  # docs/-relative path -> content
    warnings: tuple[str, ...] = ()  # what is reported loudly (protection switched off, copied studies)
    charts: Deferred | None = None  # generate(defer_charts=True): the charts' files, still being drawn
    gates: Background | None = None  # generate(defer_gates=True): the reading gates, still grading

    def nav(self, about_pages: Iterable[tuple[str, str]] = ()) -> list[Any]:
        """MkDocs navigation: home, then each audience with one section per study, then reference pages (the
        generated ones, the privacy page, then ``about_pages``: hand-written pages that data/site.yml lists)."""
        nav: list[Any] = [{p.title: p.md_path} for p in self.pages if p.md_path == "index.md"]
        english = [p for p in self.pages if p.lang == "en"]
        for audience in AUDIENCES:
            section: list[Any] = [p.md_path for p in english if p.audience == audience and not p.study
                                  and (not p.parts or p.md_path == p.parts[0])]  # a list's first part only
            for study in self.studies:
                label = study.spec.short_title + (EXAMPLE_SUFFIX if study.synthetic else "")
                section.append({escape.html_text(label): [
                    {p.title: p.md_path} for p in english if p.audience == audience and p.study == study.id]})
            nav.append({f"For {audience}": section})
        reference = [{p.title: p.md_path} for p in self.pages if p.audience == "reference"]
        reference += [{escape.html_text(title): md} for title, md in (*HAND_WRITTEN_PAGES, *about_pages)]
        nav.append({"About this site": reference})
        return nav

    def languages(self) -> list[str]:
        """The languages of the translated twins (each built as its own site under site/<lang>/)."""
        return sorted({p.lang for p in self.pages if p.lang != "en"})

    def files_in(self, lang: str) -> dict[str, bytes]:
        """The generated files of one language's site: English at the docs root, a twin's without its prefix."""
        if lang == "en":
            return {k: v for k, v in self.files.items() if k.split("/", 1)[0] not in self.languages()}
        return {k.split("/", 1)[1]: v for k, v in self.files.items() if k.startswith(f"{lang}/")}

    def nav_in(self, lang: str, section_title: str) -> list[Any]:
        """A translated site's navigation: its home, then its topic pages and its study pages (by short title)."""
        pages = [p for p in self.pages if p.lang == lang]
        strip = len(lang) + 1
        nav: list[Any] = [{p.title: p.md_path[strip:]} for p in pages if p.md_path == f"{lang}/index.md"]
        section: list[Any] = [p.md_path[strip:] for p in pages if p.topic]
        for study in self.studies:
            short = getattr(study.spec, f"short_title_{lang}", "")
            section += [{escape.html_text(short): p.md_path[strip:]} for p in pages if p.study == study.id]
        return [*nav, {section_title: section}]

    def footer(self) -> dict[str, str]:
        """What every page's footer shows (passed to the theme in the config's ``extra``)."""
        return {"data_fingerprint": self.fingerprint(), "generator_version": __version__,
                "data_date": fmt.long_date(max(s.spec.data_date for s in self.studies))}

    def fingerprint(self) -> str:
        """The library's fingerprint (:func:`library_fingerprint`)."""
        return library_fingerprint(self.studies)

    def published_conflicts(self) -> list[str]:
        """One line per published figure that the recomputed value does not reproduce."""
        return [f"{v.id}: published {v.published_value!r} ({v.source}), recomputed "
                f"{fmt.value_as_published(v, v.published_precision or 'percent')}"
                for v in self.book if v.published_value is not None and not v.agrees_with_published]

    def manifest(self) -> dict[str, Any]:
        """The machine-readable record of every number printed on the site (``numbers.json``)."""
        studies = {s.id: {"title": s.spec.title, "kind": s.kind, "status": s.spec.status,
                          "data_date": s.spec.data_date, "fingerprint": s.fingerprint,
                          "min_cell": s.min_cell}
                   for s in self.studies}
        texts, values = manifest_values(self.book.records(), studies)
        return escape.without_controls(
            {"generator": f"evidence-site {__version__}", "schema_version": NUMBERS_SCHEMA_VERSION,
             "fingerprint": self.fingerprint(), "studies": studies, "texts": texts, "values": values})


def library_fingerprint(studies: Iterable[StudyInfo]) -> str:
    """A short hash of every study's fingerprint (each a hash of the study's input files and the shared data it
    is read with): in numbers.json, and in the footer of every page that is not one study's."""
    digest = hashlib.sha256("".join(f"{s.id}\0{s.fingerprint}\n" for s in sorted(studies, key=lambda s: s.id)).encode())
    return digest.hexdigest()[:12]


def footer_stamps(pages: list[Page], files: dict[str, bytes], studies: list[StudyInfo],
                  templates: Path) -> dict[str, bytes]:
    """Each page with what its footer shows of the data in its front matter (``evidence_fingerprint``,
    ``evidence_date``; templates/theme/main.html): a study's pages that study's fingerprint and data date, the
    other pages the library's fingerprint and latest data date, in the page's language. A change in one study
    then changes the footers of that study's pages and of the pages about all studies only, so the engine can
    keep the other pages as it last built them (mkdocs_run.py)."""
    by_id = {s.id: s for s in studies}
    library, latest = library_fingerprint(studies), max(s.spec.data_date for s in studies)
    dates: dict[tuple[str, str], str] = {}
    out = {}
    for p in pages:
        study = by_id.get(p.study)
        fingerprint, day = (study.fingerprint, study.spec.data_date) if study is not None else (library, latest)
        if (p.lang, day) not in dates:
            dates[(p.lang, day)] = fmt.long_date(day) if p.lang == "en" else language_date(templates, p.lang, day)
        stamp = "".join(f"{name}: {json.dumps(value, ensure_ascii=False)}\n" for (_, name), value in zip(
            OWN_FOOTER, (fingerprint, dates[(p.lang, day)]), strict=True)).encode()
        text = files[p.md_path]
        end = text.find(b"\n---\n", 3) + 1 if text.startswith(b"---\n") else 0  # after the page's own lines
        out[p.md_path] = text[:end] + stamp + text[end:] if end else b"---\n" + stamp + b"---\n" + text
    return out


# Site-wide inputs when none are given (tests of single pages): no address, nothing released or moved.
SITE_DEFAULTS: dict[str, Any] = {"site_url": "", "handout_url": "", "releases": [], "redirects": {}, "about_pages": [],
                                 "reading_grade_max": None,
                                 "translations": {}, "reading_ease_min": None, "palette": [],
                                 "home": {"heading": "Evidence", "intro": ""}}


def site_inputs(config: Path = paths.MKDOCS_YML, data: Path = paths.DATA) -> dict[str, Any]:
    """Site-wide inputs: the address from mkdocs.yml, the release log and the redirects of moved pages."""
    mkdocs = yaml.load(config.read_text(encoding="utf-8"), Loader=_IgnoreTags)
    words = load_data_yaml(data / "site.yml", "site.yml") if (data / "site.yml").is_file() else {}
    site_url = mkdocs.get("site_url") or ""
    return {"site_url": site_url, "handout_url": handout_address(site_url),
            "releases": load_releases(data / "releases.yml"),
            "home": (words or {}).get("home") or SITE_DEFAULTS["home"],
            "trust": check_trust((words or {}).get("trust"), data / "site.yml"),
            "about_pages": check_about_pages((words or {}).get("about_pages"), data / "site.yml"),
            "translations": check_translations((words or {}).get("translations") or {}),
            "redirects": load_redirects(data / "redirects.yml"),
            "reading_grade_max": (mkdocs.get("extra") or {}).get("family_reading_grade_max"),
            "reading_ease_min": (mkdocs.get("extra") or {}).get("family_reading_ease_min_es"),
            "palette": (mkdocs.get("theme") or {}).get("palette") or []}


def check_translations(translations: dict[str, Any]) -> dict[str, Any]:
    """data/site.yml ``translations``: a review is recorded with both who and when (a real date), or not at all;
    a translated site's name and description, which the engine prints unescaped (in every page's <title> and a
    <meta> attribute), are plain words."""
    for lang, words in translations.items():
        for key in ("site_name", "site_description"):
            text = (words or {}).get(key)
            if text is not None and (not isinstance(text, str) or re.search(r'[<>"]', text)):
                raise BuildError(f"data/site.yml, translations.{lang}.{key}: the translated site's "
                                 f"{key.replace('site_', '')} is not plain words. Nothing was written.\n"
                                 "    expected: text without <, > or \" (every page's title and description print "
                                 f"it as it is)\n    found:    {str(text)[:100]!r}\n    hint:     Write it in plain "
                                 "words; use ' for quotes.")
        review = (words or {}).get("review") or {}
        who, when = str(review.get("by") or "").strip(), str(review.get("date") or "").strip()
        problem = ""
        if bool(who) != bool(when):
            problem = "gives only one of `by` and `date`"
        elif when:
            try:
                dt.date.fromisoformat(when)
            except ValueError:
                problem = f"has `date: {when!r}`, which is not a date"
        if problem:
            raise BuildError(f"data/site.yml, translations.{lang}.review: the review of the translation {problem}.\n"
                             "    expected: both `by` (who reviewed it: name and qualification) and `date` "
                             "(YYYY-MM-DD), or both empty\n    hint:     Until both are given, every page in that "
                             "language says that its translation has not yet been reviewed.")
    return translations


class _IgnoreTags(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser where installed
    """mkdocs.yml may hold !!python tags; for the few plain keys read here they do not matter. ``!ENV`` is
    resolved (``_env_value``)."""


_IgnoreTags.add_multi_constructor("", lambda loader, suffix, node: None)


def _env_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """MkDocs' ``!ENV`` tag, resolved as MkDocs resolves it: ``!ENV NAME`` is the variable's value (None when it
    is not set); ``!ENV [NAME, OTHER, default]``, the first variable set, else the last item. A value is read
    as YAML (``true`` is a boolean), as MkDocs reads it."""
    if isinstance(node, yaml.ScalarNode):
        names, default = [loader.construct_scalar(node)], None
    else:
        items = loader.construct_sequence(node)
        names, default = (items[:-1], items[-1]) if len(items) > 1 else (items, None)
    for name in names:
        if str(name) in os.environ:
            return yaml.safe_load(os.environ[str(name)])
    return default


_IgnoreTags.add_constructor("!ENV", _env_value)  # site_url: !ENV [SITE_URL, https://...] (the handouts print it)


def load_studies(studies_dir: Path, data: Path | None = None, cache: Path | None = None,
                 used: set[Path] | None = None) -> list[Study]:
    """Read and validate the shared data and every study folder; report the problems of all at once.

    Every study's tables stay in memory: for tests and checks of a few studies. A build reads the studies one at
    a time instead (:func:`read_studies`), so that it never holds more than one study's patient-level tables."""
    return list(read_studies(studies_dir, data, cache, used))


def read_studies(studies_dir: Path, data: Path | None = None, cache: Path | None = None,
                 used: set[Path] | None = None, progress: Progress = lambda _: None,
                 lazy: bool = False) -> Iterator[Study | OnDemand]:
    """Each study of the library, read and validated in turn, for a build that summarises it and lets its tables
    go before the next one is read (``generate``). The problems of every study are reported at once: after a
    study with problems, the rest are still checked but no longer yielded, and the problems are raised (a
    :class:`BuildError`) once all have been read.

    ``data`` holds vocab/ and medicines/ (default: the project's data/). A library of studies kept elsewhere
    (``<library>/studies/``) may bring its own medicine files in ``<library>/medicines/``. With ``cache``
    (build/cache), a study whose files, shared data and code are those of an earlier valid build is not
    checked again: its validated tables come from the cache (cache.py; keyed by the bytes of its files).
    ``used`` collects the cache entries read or stored (for pruning after a successful build). ``progress``
    hears one line naming every study read, once all are valid. With ``lazy`` (``generate``), a study found in the
    cache is yielded :class:`OnDemand`: its tables are read only if a step needs them."""
    folders = study_folders(studies_dir)
    skipped = skipped_folders(studies_dir)
    if skipped:
        names = ", ".join(printable(name, 60) for name in skipped)
        warn_stderr(f"{len(skipped)} folder(s) in {studies_dir} are not studies, because their names start with "
                    f"'.' or '_', and are left out of the site: {names}. To publish one, rename it to a study id "
                    "(lower-case letters, digits and -).")
    if not folders:
        raise BuildError(f"No study folders found in {studies_dir}. Each study is a folder data/studies/<study-id>/.")
    shared = shared_data(data or paths.DATA, studies_dir.parent / "medicines")
    checked = StudyCache(cache, None, "", used=used)
    infos: list[StudyInfo] = []
    errors: list[str] = []
    for folder in folders:
        try:
            study = read_one(folder, shared, checked, lazy)
        except DataError as exc:
            errors.append(str(exc))
            continue
        infos.append(study_info(study))
        if not errors:
            yield study
        del study  # its tables go before the next study is read
    if errors:
        raise BuildError("\n\n".join(errors))
    check_references(infos)
    progress(f"validated {len(infos)} study(ies): " + ", ".join(
        f"{s.id} ({s.rows} {'reported figures' if s.kind == 'aggregate' else 'patients'}, {s.spec.status} data)"
        for s in infos))


def read_one(folder: Path, shared: Shared, checked: StudyCache, lazy: bool = False) -> Study | OnDemand:
    """One study folder, read and validated, or its validated tables from ``checked`` (the cache), keyed by the
    bytes of every file its reading may open: a study found there is not parsed at all. With ``lazy``, a study
    found there is :class:`OnDemand`: what the pages need of it at once (kept beside the tables), its tables read
    only if asked for (and read from the folder again if their entry turns out damaged)."""
    files = study_files_digest(folder)  # None: a file that reading refuses, or a bad folder name
    key = _study_key(folder, files, shared) if files is not None else None
    if lazy and key is not None and checked.has(key, "validated"):
        info = checked.find(key, "info")
        if info is not None:
            return OnDemand(info, lambda: read_one(folder, shared, checked))
    found = checked.find(key, "validated") if key is not None else None
    if found is not None:
        checked.get(key, "info", lambda: study_info(found))
        return found
    raw = read_study(folder)
    if raw.problems:
        return validate(raw, shared)  # raises DataError naming every problem
    # stored under the bytes read: a file saved since the lookup above is never filed under the older bytes
    key = _study_key(folder, raw.files, shared)
    study = checked.get(key, "validated", lambda: validate(raw, shared))
    checked.get(key, "info", lambda: study_info(study))
    return study


def _study_key(folder: Path, files: str, shared: Shared) -> SimpleNamespace:
    return SimpleNamespace(id=folder.name, fingerprint=f"{files}\0{shared.fingerprint}\0{folder.resolve()}")


_SHARED: dict[tuple[str, str, str], Shared] = {}  # the live preview reads the same shared data after every save


def shared_data(data: Path, medicines: Path) -> Shared:
    """The validated shared data; parsed again only when a shared file's name or bytes changed (in this
    process: the live preview). Kept only when the files did not change while they were read."""
    key = (str(data.resolve()), str(medicines.resolve()), shared_digest(data, medicines))
    if key not in _SHARED:
        shared = validate_shared(read_shared(data, medicines))
        if shared.fingerprint != key[2][:12]:  # a file changed while it was read: use it, keep nothing
            return shared
        _SHARED.clear()
        _SHARED[key] = shared
    return _SHARED[key]


def check_references(studies: list[StudyInfo]) -> None:
    """Ids one study gives of others (``overlaps_with``) name studies that are there."""
    ids = {s.id for s in studies}
    problems = [f"{s.folder.name}/study.yml, field overlaps_with: expected the id of a study in this library, "
                f"found {other!r}.\n    hint:     Study ids are folder names: {', '.join(sorted(ids))}. Fix the id, "
                "or remove it if that study was renamed or removed."
                for s in studies for other in getattr(s.spec, "overlaps_with", []) if other not in ids]
    if problems:
        raise BuildError("A study refers to a study that is not there. Nothing was written.\n  - "
                         + "\n  - ".join(problems))


def copied_studies(studies: list[StudyInfo], same_figures: Iterable[set[str]] = ()) -> list[str]:
    """One warning per group of aggregate studies that look copied from one another: those that give the same
    publication (a DOI, PMID, registry id or link in common) as the source of their figures (a study folder copied
    to start another keeps the first one's source, and every page of the copy would cite it), then each group in
    ``same_figures`` (topics.figure_copies: the very same figures, a copy whose source alone was corrected). Such
    studies are never pooled (topics.compare). Two studies drawn from one publication (two diseases reported
    apart) are allowed."""
    sources = {s.folder.name: s.spec.publication.ids() for s in studies if s.kind == "aggregate"}
    groups: list[set[str]] = []
    for name, ids in sources.items():
        joined = [g for g in groups if any(ids & sources[other] for other in g)]
        for g in joined:
            groups.remove(g)
        groups.append(set().union({name}, *joined))
    lines = []
    for group in sorted(sorted(g) for g in groups if len(g) > 1):
        shared = sorted(set.intersection(*(sources[name] for name in group)) or set.union(*(sources[n] for n in group)))
        named = "; ".join(f"{field} {value!r}" for field, value in shared)
        lines.append(f"{len(group)} studies give the same publication as their source ({named}): {', '.join(group)}. "
                     "Their figures are not pooled on the topic pages, and each of their pages cites that source; if "
                     "one folder was copied from another to start a new study, correct its study.yml `publication`.")
    lines += [f"{len(ids)} studies report the very same figures: {', '.join(sorted(ids))}. Their figures are not "
              "pooled on the topic pages; if one folder was copied from another to start a new study, enter the new "
              "study's own figures in its results.csv." for ids in same_figures]
    return lines


def generate(studies: Iterable[Study | OnDemand], templates: Path, progress: Progress = lambda _: None,
             site: dict[str, Any] | None = None, cache: Path | None = None,
             used: set[Path] | None = None, defer_charts: bool = False, defer_gates: bool = False) -> Generated:
    """Summaries, charts and pages for every study, in memory.

    One study at a time, its values are computed, its view prepared and its charts drawn: all that needs its
    tables. Everything after that (topic pages, pages, the numbers book) reads only what was kept (values,
    views, figures and a :class:`StudyInfo`), so with ``studies`` from :func:`read_studies` no more than one
    study's tables are in memory at once.

    ``site`` holds site-wide inputs read at the edge (see ``site_inputs``): the release log and site_url.
    ``used`` collects the cache entries read or stored (for pruning after a successful build).

    ``defer_charts``: return once the pages are rendered, with the charts' files still empty and
    ``Generated.charts`` to wait for them (the engine can build the pages while the converter process finishes
    drawing: a chart's file is only copied, never read, by the engine), unless every chart is drawn already (all
    from the cache); otherwise every file is complete.
    ``defer_gates``: the family pages' reading gates grade in a thread of their own (``Generated.gates``, whose
    ``result()`` raises the gate's BuildError), so that they can run while the engine builds the pages; the
    build waits for them before anything is put in place (outputs.write_output).
    """
    site = SITE_DEFAULTS | (site or {})
    if cache is not None:
        svg_cache.start()  # charts are drawn in a converter process: it starts while the summaries are computed
    cached = StudyCache(cache, templates, site["site_url"], used=used)  # ``cache`` None: compute everything (cache.py)
    words = template_yaml((templates / WORDS_FILE).read_text(encoding="utf-8"))
    book = NumberBook()
    views: dict[str, Any] = {}
    figures: dict[str, Figure] = {}
    infos: list[StudyInfo] = []
    downloads: dict[str, dict[str, bytes]] = {}  # each records study's tables as CSV files
    with svg_cache.using(svg_cache.SvgCache(cache, cached.used)) as svgs:  # only a changed spec is converted

        def drawn(key: Any, what: str, compute: Callable[[], Any]) -> Any:
            # stored once the converter process has drawn its charts (``cached.flush``, below)
            value, names = cached.get(key, what, lambda: svgs.recording(compute), later=True)
            svgs.keep(names)  # charts reused with their study: their SVG entries stay for its next change
            return value

        for study in studies:  # the only loop that reads a study's tables (``tables``: read on demand)
            book.extend(cached.get(study, "values", lambda s=study: summarise(tables(s))))
            views[study.id] = cached.get(study, "view", lambda s=study: aggregate_view(tables(s))
                                         if s.kind == "aggregate" else view(tables(s), book, words))  # reads only
            # the study and its own values
            if study.kind == "records":
                figures |= drawn(study, "figures",
                                 lambda s=study: study_figures(tables(s), views[s.id], book, site["handout_url"]))
                downloads[study.id] = cached.get(study, "downloads",  # from the study's own values and view
                                                 lambda s=study: clinician_downloads(views[s.id], book))
            infos.append(study_info(study))
            del study  # its tables go before the next study is read
        progress(f"summarised {len(infos)} study(ies) into {len(book)} values")
        topics, pooled = topic_views(infos, views, book)
        copies = figure_copies([views[s.id] for s in infos if s.kind == "aggregate"], lambda i: book[i])
        book.extend(pooled)
        plan = template_yaml((templates / "pages.yml").read_text(encoding="utf-8"))
        check_study_ids_free((s.id for s in infos), plan)
        pages = language_pages(infos, plan, topics, page_plan(infos, plan, topics))
        check_generated_clashes([p.md_path for p in pages], {s.id for s in infos})
        library = SimpleNamespace(id=TOPICS_ENTRY, fingerprint=hashlib.sha256("".join(  # what topic charts come from
            f"{s.id}\0{s.fingerprint}\n" for s in sorted(infos, key=lambda s: s.id)).encode()).hexdigest())
        for med, topic in topics.items():
            forest = drawn(library, f"forest-{med}", lambda t=topic: forest_figure(t, book))
            if forest is not None:
                figures[f"clinicians/topics/{med}/{forest.name}"] = forest
        for lang, med in sorted({(p.lang, p.topic) for p in pages if p.topic and p.audience == "families"}):
            folder = ("" if lang == "en" else f"{lang}/") + f"families/topics/{med}/"  # a medicine's handout
            handout = drawn(library, f"handout-{lang}-{med}",
                            lambda m=med, f=folder, lg=lang: handout_figures(topics[m], book, site["handout_url"], f,
                                                                             lg))
            figures |= {folder + fig.name: fig for fig in handout}
    progress(f"drew {len(figures)} charts; {cached.summary()}; {svgs.summary()}")
    compiled = None  # Jinja's compiled templates: one folder per code version, kept while this code builds
    if cache is not None:
        compiled = cache_module.jinja_folder(cache)
        cached.used.add(compiled)
    envs = {lang: environment(templates, compiled, lang=lang) for lang in {"en", *(p.lang for p in pages)}}
    docs = data_format_docs()
    # The word list is rendered last: it lists only the words that the study's other family pages use.
    last = [p for p in pages if p.template == GLOSSARY_TEMPLATE]
    pagers = reading_orders(pages, made_up={sid for sid, v in views.items() if v.synthetic})
    made_up_list = made_up_lists(pages, views)  # where each audience's list of studies has its made-up examples
    alts: dict[str, str] = {}  # each figure's text alternative, as its first page words it (for its own file)
    files = {p.md_path: render_page(envs[p.lang], p, views, book, figures, site, docs,
                                    ({"topic": topics[p.topic]} if p.topic else {"topics": topics})
                                    | {"pager": pagers.get(p.md_path, (None, None)),
                                       "made_up_list": made_up_list}, alts).encode("utf-8")
             for p in pages if p not in last}
    for p in last:
        used = {m for q in pages if q.audience == "families" and q.study == p.study and q.md_path in files
                for m in re.findall(r"glossary\.md#([\w-]+)\)", files[q.md_path].decode("utf-8"))}
        files[p.md_path] = render_page(envs[p.lang], p, views, book, figures, site, docs,
                                       {"glossary_used": sorted(used),
                                        "pager": pagers.get(p.md_path, (None, None))}, alts).encode("utf-8")
    for lang in sorted({p.lang for p in pages}):  # each site (a translated twin too) has its list of made-up pages
        files[("" if lang == "en" else f"{lang}/") + MADE_UP_SCRIPT] = made_up_script(views)
    notes = {("" if lang == "en" else f"{lang}/") + f"families/{s.id}/":  # a made-up study's figures say it
             (fmt.MADE_UP if lang == "en" else str(envs[lang].globals["words"]["synthetic_mark"])).capitalize()
             for s in infos if s.synthetic for lang in envs}
    svg_files = {f"{key.rsplit('/', 1)[0]}/figures/{fig.name}.svg": (key, fig) for key, fig in figures.items()}
    files |= dict.fromkeys(svg_files, b"")  # in their place; filled once drawn (last: the converter works meanwhile)
    for csv_files in downloads.values():
        files |= csv_files
    progress(f"rendered {len(pages)} pages")
    lines, warnings = disclosure_lines(infos, book)
    warnings += copied_studies(infos, copies)
    for line in lines:
        progress(line)
    for warning in warnings:
        warn_stderr(warning)
    # An unchanged page is not graded again: a grade depends on the page's text (its key), not on the templates.
    grades = GradeCache(cache, cache_module.code_version() if cache is not None else "", cached.used)
    english = {p.url: files[p.md_path].decode("utf-8") for p in pages if p.audience == "families" and p.lang == "en"}
    spanish = {p.url: files[p.md_path].decode("utf-8") for p in pages if p.lang == "es"}
    terms = reading_terms(infos, templates)
    files |= footer_stamps(pages, files, infos, templates)  # after the gates' copies: a grade is of the words

    def gates() -> None:
        reading_gate(english, templates, site["reading_grade_max"], progress, grades)
        spanish_gate(spanish, site["reading_ease_min"], progress, terms, grades)
        grades.store()
        progress(grades.summary())

    checks = Background(gates, "reading gates") if defer_gates else None
    if checks is None:
        gates()

    def drawn() -> dict[str, bytes]:  # waits for the converter process (the cache entries are stored once drawn)
        charts = {path: family_svg(key, fig, alts, notes).encode("utf-8") for path, (key, fig) in svg_files.items()}
        svgs.finish()
        cached.flush()
        return charts

    if defer_charts and svgs.pending:  # the files keep their empty places; the engine builds the pages meanwhile
        # (outputs.py); with every chart already drawn (from the cache), they are the charts themselves at once
        return Generated(infos, book, pages, files, tuple(warnings), Deferred(tuple(svg_files), drawn), checks)
    files |= drawn()
    return Generated(infos, book, pages, files, tuple(warnings), gates=checks)


def reading_terms(studies: list[StudyInfo], templates: Path, lang: str = "es") -> list[str]:
    """Words a translated page explains or cannot avoid (the medicines' names, ``reading_terms`` in its words
    file), measured as one short stand-in word by the reading gate."""
    words_file = templates / lang / "words.yml"
    words = template_yaml(words_file.read_text(encoding="utf-8")) if words_file.is_file() else {}
    names = {n for s in studies for n in (s.medicine.name, s.medicine.brand, s.medicine.name_es) if n}
    return sorted(names | set((words or {}).get("reading_terms") or []))


def source_date_epoch(studies: list[Study] | list[StudyInfo]) -> int:
    """The build's date: $SOURCE_DATE_EPOCH when set, else midnight UTC of the latest ``data_date``.

    MkDocs stamps the sitemap and its gzip header with this date, so the same data give the same bytes.
    """
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        return int(os.environ["SOURCE_DATE_EPOCH"])
    return data_epoch(studies)


def data_epoch(studies: list[Study] | list[StudyInfo]) -> int:
    """Midnight UTC of the latest ``data_date``."""
    day = max(dt.date.fromisoformat(s.spec.data_date) for s in studies)
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def build_site(studies_dir: Path = paths.STUDIES, templates: Path = paths.TEMPLATES, docs: Path = paths.DOCS,
               site: Path = paths.SITE, config: Path = paths.MKDOCS_YML, build: Path = paths.BUILD,
               progress: Progress = print, strict_published: bool = False, warn: Progress = warn_stderr,
               engine: str = "mkdocs", publish: bool = False,
               keep: Callable[[Output], object] | None = None,
               current: Callable[[], bool] | None = None, stamp: str = "") -> Generated:
    """The whole build. docs/ and site/ change only if every step succeeds.

    ``publish``: a build for publication, which refuses a placeholder ``site_url`` (handouts print it).

    A published figure that the data do not reproduce is a warning (in the log and on the clinicians'
    overview page); with ``strict_published`` it stops the build. ``keep`` receives the generated output once
    the engine has built it (outputs.py keeps it for the next build with the same inputs); ``current`` says
    whether the inputs are still those read (asked before docs/ and site/ are replaced: ``write_output``), and
    ``stamp`` is noted with what was put in place (outputs.SiteRecord). Then
    the per-study cache entries this build did not use are pruned (cache.py), and the build says how many.
    """
    started = time.perf_counter()
    if publish:
        check_publication_address(site_inputs(config, studies_dir.parent)["site_url"], config.name)
    used: set[Path] = set()  # the per-study cache entries this build reads or stores; the others are pruned
    studies = read_studies(studies_dir, cache=build / "cache", used=used, progress=progress,  # one at a time, the
                           lazy=True)  # tables of a study found in the cache read only if something needs them
    site_context = site_inputs(config, studies_dir.parent)
    said: list[str] = []  # what generation reports about the pages (privacy, reading level), said again on reuse

    def recording(line: str) -> None:
        said.append(line)
        progress(line)

    generated = generate(studies, templates, recording, site_context, cache=build / "cache", used=used,
                         defer_charts=True, defer_gates=True)  # both finished while the engine builds the pages
    try:
        output = _built(generated, docs, site, config, build, engine, templates, studies_dir, site_context, said,
                        strict_published, warn, current, stamp)
    except BuildError:
        if generated.gates is not None:  # a failed gate comes first, as in a build that waited for it; and
            generated.gates.result()  # no gate's line is printed after the build has said it failed
        raise
    if generated.charts is not None:
        generated.files |= generated.charts.files()
        generated.charts = None
    if keep is not None:
        keep(output)
    progress(pruned_summary(*prune(build / "cache", used)))  # only now: a failed build prunes nothing
    progress(f"built {site} in {time.perf_counter() - started:.1f} s")
    return generated


def _built(generated: Generated, docs: Path, site: Path, config: Path, build: Path, engine: str, templates: Path,
           studies_dir: Path, site_context: dict[str, Any], said: list[str], strict_published: bool,
           warn: Progress, current: Callable[[], bool] | None, stamp: str) -> Output:
    """``build_site`` once the pages are generated: checked, staged, built by the engine and put in place."""
    check_page_clashes(clashing_pages(generated.files, docs))
    check_redirect_targets(studies_dir.parent / "redirects.yml", site_context["redirects"],
                           site_pages(generated.files, docs))
    twins = tuple(Twin(lang, generated.files_in(lang),
                       generated.nav_in(lang, language_words(site_context, lang).get("families_section", lang)),
                       language_extra(site_context, lang) | {"data_date": language_date(
                           templates, lang, max(s.spec.data_date for s in generated.studies))},
                       language_overrides(site_context, lang))
                  for lang in generated.languages())
    manifest = Background(generated.manifest, "numbers")  # computed while the engine builds the pages
    output = Output(generated.files_in("en"), generated.nav(site_context["about_pages"]), generated.footer(), {},
                    redirect_files(site_context["redirects"]), data_epoch(generated.studies),
                    tuple(generated.published_conflicts()), twins, site_context["site_url"], (), generated.warnings)
    check_conflicts(output.conflicts, strict_published, warn)
    output = write_output(output, docs, site, config, build, engine, current, late=generated.charts,
                          manifest=manifest, checks=generated.gates, stamp=stamp)
    generated.gates = None
    # with what the gates said, which a build that reuses this output says again
    return replace(output, notices=tuple(line for line in said if line.startswith(REPEATED_NOTICES)))


def language_words(site: dict[str, Any], lang: str) -> dict[str, Any]:
    """A translated site's own words and review record: ``translations.<lang>`` in data/site.yml."""
    return (site.get("translations") or {}).get(lang) or {}


def language_extra(site: dict[str, Any], lang: str) -> dict[str, Any]:
    """What a translated site's theme shows beyond its own strings: the footer's words (data/site.yml
    ``translations.<lang>.footer``) and the way back to the English site's Changes page."""
    words = language_words(site, lang)
    return {"lang": lang, "footer_words": words.get("footer") or {}, "site_root": "../"}


def language_date(templates: Path, lang: str, day: str) -> str:
    """The footer's date in a translated site's own words (templates/<lang>/words.yml ``date`` and ``months``)."""
    words_file = templates / lang / "words.yml"
    words = template_yaml(words_file.read_text(encoding="utf-8")) if words_file.is_file() else None
    months = (words or {}).get("months")
    if not (words or {}).get("date") or not isinstance(months, list) or len(months) != 12:
        raise BuildError(f"{words_file}, fields `date` and `months`: the footer's date cannot be written in {lang}.\n"
                         "    expected: `date` (a pattern with {day}, {month} and {year}) and `months` (12 names)\n"
                         f"    found:    date {(words or {}).get('date')!r}, months {months!r}\n"
                         "    hint:     Add both to the words file; the machine's locale is never used.")
    return worded_date(day, words or {})


def language_overrides(site: dict[str, Any], lang: str) -> dict[str, Any]:
    """The configuration keys a translated site changes: the theme's language, its name and description, and
    the words of the light/dark switch (``palette_toggles`` in data/site.yml, one per palette entry, in order)."""
    words = language_words(site, lang)
    out: dict[str, Any] = {"theme": {"language": lang}}
    toggles, palette = words.get("palette_toggles") or [], site.get("palette") or []
    if toggles and len(toggles) == len(palette):
        out["theme"]["palette"] = [{**entry, "toggle": {**(entry.get("toggle") or {}), "name": name}}
                                   for entry, name in zip(palette, toggles, strict=True)]
    for key in ("site_name", "site_description"):
        if words.get(key):
            out[key] = words[key]
    if site.get("site_url"):
        out["site_url"] = site["site_url"].rstrip("/") + f"/{lang}/"
    return out


def write_pages(studies_dir: Path = paths.STUDIES, templates: Path = paths.TEMPLATES, docs: Path = paths.DOCS,
                build: Path = paths.BUILD, progress: Progress = print) -> Generated:
    """Generate the Markdown into docs/ only (for the live preview), with the same all-or-nothing swap."""
    svg_cache.start()  # the charts' converter process starts while the studies are read
    svg_cache.precompile(templates, cache_module.jinja_folder(build / "cache"))  # and compiles the templates
    generated = generate(read_studies(studies_dir, cache=build / "cache"), templates, progress,
                         site_inputs(data=studies_dir.parent), cache=build / "cache")
    with staging(build) as stage:
        stage_docs(docs, generated.files, stage)
        swap_into_place(stage, docs, None)
    return generated
