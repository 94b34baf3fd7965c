"""The build commands behind scripts/build.py: each takes the parsed arguments."""

from __future__ import annotations

import argparse
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from . import paths
from .errors import BuildError

# The pipeline (pandas, Jinja, the summaries) is imported by the commands that need it: `site` with no input
# changed since the last build reuses that build's output (outputs.py) and never loads it.


def site(args: argparse.Namespace) -> None:
    from .outputs import build

    build(args.studies, args.templates, args.docs, args.site, progress=_progress,
          strict_published=getattr(args, "strict_published", False), engine=getattr(args, "engine", "mkdocs"),
          publish=getattr(args, "publish", False))


def pages(args: argparse.Namespace) -> None:
    from .pipeline import write_pages

    generated = write_pages(args.studies, args.templates, args.docs, progress=_progress)
    _progress(f"wrote {len(generated.files)} files into {args.docs}")


def validate(args: argparse.Namespace) -> None:
    from .pipeline import load_studies

    for study in load_studies(args.studies):
        if study.kind == "aggregate":
            _progress(f"{study.id}: valid (aggregate, {len(study.results)} reported figures)")
            continue
        _progress(f"{study.id}: valid ({len(study.patients)} patients, {len(study.visits)} visits, "
                  f"{len(study.events)} events)")


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
    """Live preview: MkDocs' server on the generated docs/, with the same complete config (nav, footer) as a build.

    data/ and templates/ are watched through file-system events (watchdog, which MkDocs already uses; one-second
    polling where it is missing); after a change the pages are regenerated, only the changed study's summaries
    and charts recomputed (cache.py), and the config rewritten when the navigation changed (a study added).
    """
    from mkdocs.commands.serve import serve as mkdocs_serve

    from .engines import staged_config, write_config
    from .pipeline import write_pages

    where = paths.BUILD / "serve"
    where.mkdir(parents=True, exist_ok=True)
    config = where / "mkdocs.yml"

    def regenerate() -> None:
        started = time.perf_counter()
        generated = write_pages(args.studies, args.templates, args.docs, progress=lambda _: None)
        staged = staged_config(paths.MKDOCS_YML, where, args.docs, where / "site", generated.nav(),
                               generated.footer())
        old = config.read_text(encoding="utf-8") if config.exists() else ""
        write_config(staged, where / "mkdocs.yml.new")
        if (where / "mkdocs.yml.new").read_text(encoding="utf-8") != old:
            (where / "mkdocs.yml.new").replace(config)
        else:
            (where / "mkdocs.yml.new").unlink()
        _progress(f"regenerated pages in {time.perf_counter() - started:.2f} s")

    regenerate()
    watched = [args.studies.parent, args.templates]  # data/ (studies, releases, redirects) and templates/
    threading.Thread(target=_watch, args=(watched, regenerate), daemon=True).start()
    _progress(f"serving on http://127.0.0.1:{args.port}/ (Ctrl-C stops); watching {', '.join(map(str, watched))}")
    mkdocs_serve(config_file=str(config), dev_addr=f"127.0.0.1:{args.port}", livereload=True)


def bench(args: argparse.Namespace) -> None:
    """The benchmark: scripts/bench.py (real builds as separate processes); see `make bench`."""
    import subprocess
    import sys

    subprocess.run([sys.executable, str(paths.ROOT / "scripts" / "bench.py")], check=True)


def _watch(folders: list[Path], on_change: Callable[[], object], every: float = 1.0, settle: float = 0.1) -> None:
    """Call ``on_change`` after files under ``folders`` change: file-system events, else polling every second."""
    changed = threading.Event()
    try:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                if not event.is_directory and not str(event.src_path).endswith((".tmp", "~", ".swp")):
                    changed.set()

        observer = Observer()
        for folder in folders:
            observer.schedule(Handler(), str(folder), recursive=True)
        observer.daemon = True
        observer.start()
        poll = None
    except Exception:  # no watchdog, or no events on this platform: poll
        poll = every

    def snapshot() -> dict[str, float]:
        return {str(p): p.stat().st_mtime for f in folders for p in f.rglob("*") if p.is_file()}

    last = snapshot() if poll else {}
    while True:
        if poll:
            time.sleep(poll)
            now = snapshot()
            if now == last:
                continue
            last = now
        else:
            changed.wait()
            time.sleep(settle)  # let an editor finish writing (several events for one save)
            changed.clear()
        try:
            on_change()
        except Exception as exc:  # keep serving; show the problem
            _progress(f"not regenerated: {exc}")


def _progress(message: str) -> None:
    print(f"[build] {message}", flush=True)


COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "site": site, "pages": pages, "validate": validate, "serve": serve, "bench": bench, "new-study": new_study,
}
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
