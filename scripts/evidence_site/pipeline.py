"""load -> validate -> summarise -> charts -> render -> write, in that order and one direction.

``generate`` is pure apart from reading templates: it returns every generated
file in memory. ``build_site`` is the only step that touches docs/ and site/.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import __version__, paths
from .charts import Figure
from .errors import BuildError, DataError
from .figures import study_figures
from .load import read_study, study_folders
from .numbers import NumberBook
from .render import AUDIENCES, Page, environment, page_plan, render_page
from .schema import SCHEMA_VERSION
from .summarise import number_book
from .validate import Study, validate
from .write import mkdocs_build, stage_docs, staging, swap_into_place, write_json

Progress = Callable[[str], None]


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
                section.append({study.meta["short_title"]: [
                    {p.title: p.md_path} for p in self.pages if p.audience == audience and p.study == study.id]})
            nav.append({f"For {audience}": section})
        reference = [{p.title: p.md_path} for p in self.pages if p.audience == "reference"]
        if reference:
            nav.append({"About this site": reference})
        return nav

    def manifest(self) -> dict[str, Any]:
        """The machine-readable record of every number printed on the site (``numbers.json``)."""
        return {
            "generator": f"evidence-site {__version__}",
            "schema_version": SCHEMA_VERSION,
            "studies": {s.id: {"title": s.meta["title"], "status": s.meta["status"], "data_date": s.meta["data_date"],
                               "fingerprint": s.fingerprint} for s in self.studies},
            "values": self.book.records(),
        }


def load_studies(studies_dir: Path) -> list[Study]:
    """Read and validate every study folder; report the problems of all of them at once."""
    folders = study_folders(studies_dir)
    if not folders:
        raise BuildError(f"No study folders found in {studies_dir}. Each study is a folder data/studies/<study-id>/.")
    studies, errors = [], []
    for folder in folders:
        try:
            studies.append(validate(read_study(folder)))
        except DataError as exc:
            errors.append(str(exc))
    if errors:
        raise BuildError("\n\n".join(errors))
    return studies


def generate(studies: list[Study], templates: Path, progress: Progress = lambda _: None) -> Generated:
    """Summaries, charts and pages for every study, in memory."""
    book = number_book(studies)
    progress(f"summarised {len(studies)} study(ies) into {len(book)} values")
    figures: dict[str, Figure] = {}
    for study in studies:
        figures |= study_figures(study, book)
    progress(f"drew {len(figures)} charts")
    plan = yaml.safe_load((templates / "pages.yml").read_text(encoding="utf-8"))
    pages = page_plan(studies, plan)
    env = environment(templates)
    files = {p.md_path: render_page(env, p, studies, book, figures).encode("utf-8") for p in pages}
    for key, fig in figures.items():
        files[f"{key.rsplit('/', 1)[0]}/figures/{fig.name}.svg"] = fig.svg.encode("utf-8")
    progress(f"rendered {len(pages)} pages")
    return Generated(studies, book, pages, files)


def build_site(studies_dir: Path = paths.STUDIES, templates: Path = paths.TEMPLATES, docs: Path = paths.DOCS,
               site: Path = paths.SITE, config: Path = paths.MKDOCS_YML, build: Path = paths.BUILD,
               progress: Progress = print) -> Generated:
    """The whole build. docs/ and site/ change only if every step succeeds."""
    started = time.perf_counter()
    studies = load_studies(studies_dir)
    progress(f"validated {len(studies)} study(ies): " + ", ".join(
        f"{s.id} ({len(s.patients)} patients, {s.meta['status']} data)" for s in studies))
    generated = generate(studies, templates, progress)
    with staging(build) as stage:
        stage_docs(docs, generated.files, stage)
        mkdocs_build(config, stage / "docs", stage / "site", generated.nav())
        write_json(stage / "site" / paths.NUMBERS_JSON, generated.manifest())
        swap_into_place(stage, docs, site)
    progress(f"built {site} in {time.perf_counter() - started:.1f} s")
    return generated


def write_pages(studies_dir: Path = paths.STUDIES, templates: Path = paths.TEMPLATES, docs: Path = paths.DOCS,
                build: Path = paths.BUILD, progress: Progress = print) -> Generated:
    """Generate the Markdown into docs/ only (for the live preview), with the same all-or-nothing swap."""
    generated = generate(load_studies(studies_dir), templates, progress)
    with staging(build) as stage:
        stage_docs(docs, generated.files, stage)
        swap_into_place(stage, docs, None)
    return generated
