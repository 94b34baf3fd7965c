"""The build commands behind scripts/build.py: each takes the parsed arguments."""

from __future__ import annotations

import argparse
import os
import shutil
from collections.abc import Callable

from . import paths
from .errors import BuildError

# The pipeline (pandas, Jinja, the summaries) is imported by the commands that need it: `site` with no input
# changed since the last build reuses that build's output (outputs.py) and never loads it.


def site(args: argparse.Namespace) -> None:
    from .outputs import build

    build(args.studies, args.templates, args.docs, args.site, progress=_progress,
          strict_published=getattr(args, "strict_published", False), engine=getattr(args, "engine", "mkdocs"),
          publish=getattr(args, "publish", False), force=getattr(args, "force", False))


def pages(args: argparse.Namespace) -> None:
    from .pipeline import write_pages

    generated = write_pages(args.studies, args.templates, args.docs, progress=_progress)
    _progress(f"wrote {len(generated.files)} files into {args.docs}")


def validate(args: argparse.Namespace) -> None:
    """Check every study's files, then compute each study's values, so that what only the values can show (a
    published figure or certainty row naming an id the study does not compute, a withheld count that could be
    worked out) is reported here too, not first by the build. One study's tables at a time (``read_studies``):
    the problems of the studies' files are reported after those of the values computed before them."""
    from .families import template_yaml
    from .outputs import warn_stderr
    from .pipeline import copied_studies, read_studies, site_inputs
    from .summarise import summarise
    from .urls import check_study_ids_free
    from .validate import study_info

    failed = []
    infos = []
    try:  # data/site.yml beside the studies, as the build reads it
        site_inputs(paths.MKDOCS_YML, args.studies.parent)
    except BuildError as exc:
        failed.append(str(exc))
    try:
        for study in read_studies(args.studies):
            infos.append(study_info(study))
            try:
                summarise(study)
            except BuildError as exc:
                failed.append(str(exc))
                continue
            if study.kind == "aggregate":
                _progress(f"{study.id}: valid (aggregate, {len(study.results)} reported figures)")
                continue
            _progress(f"{study.id}: valid ({len(study.patients)} patients, {len(study.visits)} visits, "
                      f"{len(study.events)} events)")
    except BuildError as exc:  # the studies' files: every problem, once all are read
        failed.append(str(exc))
    try:
        plan = template_yaml((args.templates / "pages.yml").read_text(encoding="utf-8"))
        check_study_ids_free((info.id for info in infos), plan)
    except BuildError as exc:
        failed.append(str(exc))
    for warning in copied_studies(infos):  # as the build warns
        warn_stderr(warning)
    if failed:
        raise BuildError("\n\n".join(failed))


def new_study(args: argparse.Namespace) -> None:
    """Copy data/templates/<kind>/ to <studies>/<id>/, then validate every study (the new one included)."""
    from .load import check_study_id
    from .write import contained

    problem = check_study_id(args.id or "")
    if problem is not None:
        raise BuildError(f"new-study needs ID=<id>: {problem.expected} (found {args.id!r}).")
    target = contained(args.studies, args.id)
    if target.exists():
        raise BuildError(f"{target} already exists; choose another id.")
    shutil.copytree(paths.DATA / "templates" / args.kind, target)
    _progress(f"made {target} from data/templates/{args.kind}/ (its example figures are made up; see the "
              "comments in study.yml)")
    validate(args)


def serve(args: argparse.Namespace) -> None:
    """Live preview: regenerate after a save under data/, templates/ or docs/ and rebuild in one process
    (preview.py: only the changed files written, the same complete config and footer as a build)."""
    from .preview import Preview
    from .preview import serve as serve_preview

    serve_preview(Preview(args.studies, args.templates, args.docs, progress=_progress), args.port)


def bench(args: argparse.Namespace) -> None:
    """The benchmark: scripts/bench.py (real builds as separate processes); see `make bench`."""
    import subprocess
    import sys

    subprocess.run([sys.executable, str(paths.ROOT / "scripts" / "bench.py")], check=True)


def _progress(message: str) -> None:
    print(f"[build] {message}", flush=True)


COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "site": site, "pages": pages, "validate": validate, "serve": serve, "bench": bench, "new-study": new_study,
}
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
