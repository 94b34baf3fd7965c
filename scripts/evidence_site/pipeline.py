"""load -> validate -> summarise -> charts -> render -> write, in that order and one direction.

``generate`` is pure apart from reading templates: it returns every generated
file in memory. ``build_site`` is the only step that touches docs/ and site/.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

from . import __version__, escape, fmt, paths
from .cache import StudyCache
from .charts import Figure
from .downloads import clinician_downloads
from .errors import BuildError, DataError
from .families import WORDS_FILE, template_yaml
from .figures import study_figures
from .load import load_redirects, read_shared, read_study, study_folders
from .numbers import NumberBook
from .outputs import Output, check_conflicts, publish, warn_stderr
from .present import view
from .readability import family_gate as reading_gate
from .reference import data_format_docs
from .releases import load_releases
from .render import AUDIENCES, Page, environment, page_plan, render_page
from .schema import SCHEMA_VERSION
from .urls import redirect_files
from .validate import Study, validate, validate_shared
from .write import stage_docs, staging, swap_into_place

Progress = Callable[[str], None]
GLOSSARY_TEMPLATE = "families/glossary.md.j2"
# Hand-written pages in docs/ that belong in the navigation (title, docs-relative path).
HAND_WRITTEN_PAGES = (("Privacy and small numbers", "privacy.md"),)


@dataclass
class Generated:
    """Everything one build produces before anything is written."""

    studies: list[Study]
    book: NumberBook
    pages: list[Page]
    files: dict[str, bytes]  # docs/-relative path -> content

    def nav(self) -> list[Any]:
        """MkDocs navigation: home, then each audience with one section per study, then reference pages."""
        nav: list[Any] = [{p.title: p.md_path} for p in self.pages if p.md_path == "index.md"]
        for audience in AUDIENCES:
            section: list[Any] = [p.md_path for p in self.pages if p.audience == audience and not p.study]
            for study in self.studies:
                section.append({escape.html_text(study.spec.short_title): [
                    {p.title: p.md_path} for p in self.pages if p.audience == audience and p.study == study.id]})
            nav.append({f"For {audience}": section})
        reference = [{p.title: p.md_path} for p in self.pages if p.audience == "reference"]
        reference += [{title: md} for title, md in HAND_WRITTEN_PAGES]
        nav.append({"About this site": reference})
        return nav

    def footer(self) -> dict[str, str]:
        """What every page's footer shows (passed to the theme in the config's ``extra``)."""
        return {"data_fingerprint": self.fingerprint(), "generator_version": __version__,
                "data_date": fmt.long_date(max(s.spec.data_date for s in self.studies))}

    def fingerprint(self) -> str:
        """A short hash of every study's input files (each study's fingerprint), shown in every page footer."""
        digest = hashlib.sha256("".join(f"{s.id}\0{s.fingerprint}\n" for s in sorted(
            self.studies, key=lambda s: s.id)).encode())
        return digest.hexdigest()[:12]

    def published_conflicts(self) -> list[str]:
        """One line per published figure that the recomputed value does not reproduce."""
        return [f"{v.id}: published {v.published_value!r} ({v.source}), recomputed "
                f"{fmt.value_as_published(v, v.published_precision or 'percent')}"
                for v in self.book if v.published_value is not None and not v.agrees_with_published]

    def manifest(self) -> dict[str, Any]:
        """The machine-readable record of every number printed on the site (``numbers.json``)."""
        return {
            "generator": f"evidence-site {__version__}",
            "schema_version": SCHEMA_VERSION,
            "fingerprint": self.fingerprint(),
            "studies": {s.id: {"title": s.spec.title, "status": s.spec.status, "data_date": s.spec.data_date,
                               "fingerprint": s.fingerprint, "min_cell": s.spec.min_cell} for s in self.studies},
            "values": self.book.records(),
        }


# Site-wide inputs when none are given (tests of single pages): no address, nothing released or moved.
SITE_DEFAULTS: dict[str, Any] = {"site_url": "", "releases": [], "redirects": {}, "reading_grade_max": None,
                                 "home": {"heading": "Evidence", "intro": ""}}


def site_inputs(config: Path = paths.MKDOCS_YML, data: Path = paths.DATA) -> dict[str, Any]:
    """Site-wide inputs: the address from mkdocs.yml, the release log and the redirects of moved pages."""
    mkdocs = yaml.load(config.read_text(encoding="utf-8"), Loader=_IgnoreTags)
    words = yaml.safe_load((data / "site.yml").read_text(encoding="utf-8")) if (data / "site.yml").is_file() else {}
    return {"site_url": mkdocs.get("site_url") or "", "releases": load_releases(data / "releases.yml"),
            "home": (words or {}).get("home") or SITE_DEFAULTS["home"], "trust": (words or {}).get("trust") or {},
            "redirects": load_redirects(data / "redirects.yml"),
            "reading_grade_max": (mkdocs.get("extra") or {}).get("family_reading_grade_max")}


class _IgnoreTags(yaml.SafeLoader):
    """mkdocs.yml may hold !ENV or !!python tags; for the few plain keys read here they do not matter."""


_IgnoreTags.add_multi_constructor("", lambda loader, suffix, node: None)


def load_studies(studies_dir: Path, data: Path | None = None, cache: Path | None = None) -> list[Study]:
    """Read and validate the shared data and every study folder; report the problems of all at once.

    ``data`` holds vocab/ and medicines/ (default: the project's data/). A library of studies kept elsewhere
    (``<library>/studies/``) may bring its own medicine files in ``<library>/medicines/``. With ``cache``
    (build/cache), a study whose files, shared data and code are those of an earlier valid build is not
    checked again: its validated tables come from the cache (cache.py; keyed by the bytes of its files)."""
    folders = study_folders(studies_dir)
    if not folders:
        raise BuildError(f"No study folders found in {studies_dir}. Each study is a folder data/studies/<study-id>/.")
    shared = validate_shared(read_shared(data or paths.DATA, studies_dir.parent / "medicines"))
    checked = StudyCache(cache, None, "")
    studies, errors = [], []
    for folder in folders:
        try:
            raw = read_study(folder)
            key = SimpleNamespace(id=raw.id, fingerprint=f"{raw.fingerprint}\0{shared.fingerprint}\0{folder.resolve()}")
            if raw.problems:
                studies.append(validate(raw, shared))  # raises DataError naming every problem
            else:
                studies.append(checked.get(key, "validated", lambda r=raw: validate(r, shared)))
        except DataError as exc:
            errors.append(str(exc))
    if errors:
        raise BuildError("\n\n".join(errors))
    return studies


def generate(studies: list[Study], templates: Path, progress: Progress = lambda _: None,
             site: dict[str, Any] | None = None, cache: Path | None = None) -> Generated:
    """Summaries, charts and pages for every study, in memory.

    ``site`` holds site-wide inputs read at the edge (see ``site_inputs``): the release log and site_url.
    """
    site = SITE_DEFAULTS | (site or {})
    cached = StudyCache(cache, templates, site["site_url"])  # ``cache`` None: compute everything (cache.py)
    book = cached.book(studies)
    progress(f"summarised {len(studies)} study(ies) into {len(book)} values")
    words = template_yaml((templates / WORDS_FILE).read_text(encoding="utf-8"))
    views = {s.id: view(s, book, words) for s in studies}
    figures: dict[str, Figure] = {}
    for study in studies:
        figures |= cached.get(study, "figures", lambda s=study: study_figures(s, views[s.id], book, site["site_url"]))
    progress(f"drew {len(figures)} charts; {cached.summary()}")
    plan = template_yaml((templates / "pages.yml").read_text(encoding="utf-8"))
    pages = page_plan(studies, plan)
    env = environment(templates)
    docs = data_format_docs()
    # The word list is rendered last: it lists only the words that the study's other family pages use.
    last = [p for p in pages if p.template == GLOSSARY_TEMPLATE]
    files = {p.md_path: render_page(env, p, views, book, figures, site, docs).encode("utf-8")
             for p in pages if p not in last}
    for p in last:
        used = {m for q in pages if q.audience == "families" and q.study == p.study and q.md_path in files
                for m in re.findall(r"glossary\.md#([\w-]+)\)", files[q.md_path].decode("utf-8"))}
        files[p.md_path] = render_page(env, p, views, book, figures, site, docs,
                                       {"glossary_used": sorted(used)}).encode("utf-8")
    for key, fig in figures.items():
        files[f"{key.rsplit('/', 1)[0]}/figures/{fig.name}.svg"] = fig.svg.encode("utf-8")
    for study in studies:
        files |= clinician_downloads(views[study.id], book)
    progress(f"rendered {len(pages)} pages")
    reading_gate({p.url: files[p.md_path].decode("utf-8") for p in pages if p.audience == "families"}, templates,
                 site["reading_grade_max"], progress)
    return Generated(studies, book, pages, files)


def source_date_epoch(studies: list[Study]) -> int:
    """The build's date: $SOURCE_DATE_EPOCH when set, else midnight UTC of the latest ``data_date``.

    MkDocs stamps the sitemap and its gzip header with this date, so the same data give the same bytes.
    """
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        return int(os.environ["SOURCE_DATE_EPOCH"])
    return data_epoch(studies)


def data_epoch(studies: list[Study]) -> int:
    """Midnight UTC of the latest ``data_date``."""
    day = max(dt.date.fromisoformat(s.spec.data_date) for s in studies)
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def build_site(studies_dir: Path = paths.STUDIES, templates: Path = paths.TEMPLATES, docs: Path = paths.DOCS,
               site: Path = paths.SITE, config: Path = paths.MKDOCS_YML, build: Path = paths.BUILD,
               progress: Progress = print, strict_published: bool = False, warn: Progress = warn_stderr,
               engine: str = "mkdocs", keep: Callable[[Output], object] | None = None) -> Generated:
    """The whole build. docs/ and site/ change only if every step succeeds.

    A published figure that the data do not reproduce is a warning (in the log and on the clinicians'
    overview page); with ``strict_published`` it stops the build. ``keep`` receives the generated output once
    the engine has built it (outputs.py keeps it for the next build with the same inputs).
    """
    started = time.perf_counter()
    studies = load_studies(studies_dir, cache=build / "cache")
    progress(f"validated {len(studies)} study(ies): " + ", ".join(
        f"{s.id} ({len(s.patients)} patients, {s.spec.status} data)" for s in studies))
    site_context = site_inputs(config, studies_dir.parent)
    generated = generate(studies, templates, progress, site_context, cache=build / "cache")
    output = Output(generated.files, generated.nav(), generated.footer(), generated.manifest(),
                    redirect_files(site_context["redirects"]), data_epoch(studies),
                    tuple(generated.published_conflicts()))
    check_conflicts(output.conflicts, strict_published, warn)
    publish(output, docs, site, config, build, engine)
    if keep is not None:
        keep(output)
    progress(f"built {site} in {time.perf_counter() - started:.1f} s")
    return generated


def write_pages(studies_dir: Path = paths.STUDIES, templates: Path = paths.TEMPLATES, docs: Path = paths.DOCS,
                build: Path = paths.BUILD, progress: Progress = print) -> Generated:
    """Generate the Markdown into docs/ only (for the live preview), with the same all-or-nothing swap."""
    generated = generate(load_studies(studies_dir, cache=build / "cache"), templates, progress,
                         site_inputs(data=studies_dir.parent), cache=build / "cache")
    with staging(build) as stage:
        stage_docs(docs, generated.files, stage)
        swap_into_place(stage, docs, None)
    return generated
