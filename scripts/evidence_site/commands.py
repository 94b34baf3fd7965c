"""The build commands behind scripts/build.py: each takes the parsed arguments."""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from . import paths
from .errors import BuildError
from .pipeline import build_site, load_studies, write_pages

STUDY_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def site(args: argparse.Namespace) -> None:
    build_site(args.studies, args.templates, args.docs, args.site, progress=_progress,
               strict_published=getattr(args, "strict_published", False))


def pages(args: argparse.Namespace) -> None:
    generated = write_pages(args.studies, args.templates, args.docs, progress=_progress)
    _progress(f"wrote {len(generated.files)} files into {args.docs}")


def validate(args: argparse.Namespace) -> None:
    for study in load_studies(args.studies):
        if study.kind == "aggregate":
            _progress(f"{study.id}: valid (aggregate, {len(study.results)} reported figures)")
            continue
        _progress(f"{study.id}: valid ({len(study.patients)} patients, {len(study.visits)} visits, "
                  f"{len(study.events)} events)")


def new_study(args: argparse.Namespace) -> None:
    """Copy data/templates/<kind>/ to <studies>/<id>/, then validate every study (the new one included)."""
    if not STUDY_ID.match(args.id or ""):
        raise BuildError(f"new-study needs ID=<id>: lower-case letters, digits and hyphens (found {args.id!r}).")
    target = args.studies / args.id
    if target.exists():
        raise BuildError(f"{target} already exists; choose another id.")
    shutil.copytree(paths.DATA / "templates" / args.kind, target)
    _progress(f"made {target} from data/templates/{args.kind}/ (its example figures are made up; see the "
              "comments in study.yml)")
    validate(args)


def serve(args: argparse.Namespace) -> None:
    """Generate, then run MkDocs' live server; a watcher regenerates docs/ when data/ or templates/ change."""
    from mkdocs.commands.serve import serve as mkdocs_serve

    generated = write_pages(args.studies, args.templates, args.docs, progress=_progress)
    watched = [args.studies.parent, args.templates]  # data/ (studies, releases, redirects) and templates/
    threading.Thread(target=_watch, args=(watched, lambda: write_pages(
        args.studies, args.templates, args.docs, progress=_progress)), daemon=True).start()
    _progress(f"serving on http://127.0.0.1:{args.port}/ (Ctrl-C stops); watching {', '.join(map(str, watched))}")
    mkdocs_serve(config_file=str(paths.MKDOCS_YML), dev_addr=f"127.0.0.1:{args.port}", nav=generated.nav(),
                 docs_dir=str(args.docs))


def bench(args: argparse.Namespace) -> None:
    """Print wall time per build and peak memory: figures for the performance targets, not a pass/fail."""
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        build_site(args.studies, args.templates, args.docs, args.site, progress=lambda _: None)
        runs.append(time.perf_counter() - started)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    files = [p for p in args.site.rglob("*") if p.is_file()]
    print(f"full build (3 runs): best {min(runs):.2f} s, median {sorted(runs)[1]:.2f} s")
    print(f"peak memory (RSS): {peak_mb:.0f} MB")
    print(f"site: {len(files)} files, {sum(p.stat().st_size for p in files) / 1024:.0f} KB")


def _watch(folders: list[Path], on_change: Callable[[], object], every: float = 1.0) -> None:
    def snapshot() -> dict[str, float]:
        return {str(p): p.stat().st_mtime for f in folders for p in f.rglob("*") if p.is_file()}

    last = snapshot()
    while True:
        time.sleep(every)
        now = snapshot()
        if now != last:
            last = now
            try:
                on_change()
                _progress("regenerated pages after a change")
            except Exception as exc:  # keep serving; show the problem
                _progress(f"not regenerated: {exc}")


def _progress(message: str) -> None:
    print(f"[build] {message}", flush=True)


COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "site": site, "pages": pages, "validate": validate, "serve": serve, "bench": bench, "new-study": new_study,
}
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
