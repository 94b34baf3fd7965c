#!/usr/bin/env python3
"""Build the evidence site. Thin entry point; the work is in the evidence_site package.

    python scripts/build.py site       generate pages into docs/, then mkdocs build --strict into site/
    python scripts/build.py pages      generate pages into docs/ only
    python scripts/build.py validate   check the data of every study and report every problem
    python scripts/build.py serve      live preview, regenerating when data/ or templates/ change
    python scripts/build.py bench      the benchmark (scripts/bench.py): real builds as separate processes
    python scripts/build.py new-study --id <id> --kind aggregate|records
                                       copy the commented template folder into the studies folder and validate it
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from pathlib import Path

try:
    import evidence_site  # noqa: F401
except ModuleNotFoundError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from evidence_site import commands, paths
from evidence_site.errors import BuildError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=sorted(commands.COMMANDS), help="what to do (see above)")
    add = parser.add_argument
    add("--studies", type=Path, default=paths.STUDIES, help="folder of study folders (default: %(default)s)")
    add("--templates", type=Path, default=paths.TEMPLATES, help="page templates (default: %(default)s)")
    add("--docs", type=Path, default=paths.DOCS, help="MkDocs docs folder (default: %(default)s)")
    add("--site", type=Path, default=paths.SITE, help="output folder (default: %(default)s)")
    add("--engine", choices=("mkdocs", "zensical"), default="mkdocs",
        help="`site`: the engine that builds the staged pages (default: %(default)s)")
    add("--port", type=int, default=8000, help="port for `serve` on 127.0.0.1 (default: %(default)s)")
    add("--strict-published", action="store_true",
        help="`site`: stop when the data contradict a published figure (default: a warning on the page and in the log)")
    add("--id", default="", help="`new-study`: the new study's id (lower-case letters, digits and hyphens)")
    add("--kind", default="aggregate", choices=("aggregate", "records"), help="`new-study`: the kind of study")
    add("--force", action="store_true",
        help="`site`: run the engine even when docs/ and site/ are as the last build left them and no input changed")
    add("--publish", action="store_true",
        help="`site`: a build for publication; stops while site_url in mkdocs.yml is a placeholder")
    args = parser.parse_args(argv)
    try:
        try:
            commands.COMMANDS[args.command](args)
        finally:  # a failed build does not wait for the charts' converter processes to start up, and a build that
            charts = sys.modules.get("evidence_site.svg_cache")  # has drawn every chart ends them at once instead of
            if charts is not None:  # joining them at exit (0.3-1 s); imported only by a build that draws charts
                charts.stop()
    except BuildError as exc:
        print(f"\nBuild failed. {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        kept = (" docs/ and site/ are replaced only when a build finishes, so they are as the last finished build "
                "left them." if args.command in ("site", "pages") else "")
        written = sys.modules.get("evidence_site.write")
        if kept and written is not None and written.REPLACED:  # the interrupt came after this build replaced them
            kept = (" It came after this build had replaced docs/ and site/: they are this build's, complete; only "
                    "the tidying after it (the cache's unused entries) was not done.")
        print(f"\nInterrupted: `{args.command}` stopped.{kept}", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("EVIDENCE_DEBUG"):
            traceback.print_exc()
        print(f"\nBuild failed. {unexpected(exc)}", file=sys.stderr)
        return 2
    return 0


STEPS = {"load": "reading the study files", "validate": "checking the data", "crosschecks": "checking the data",
         "summarise": "computing the summaries", "numbers": "computing the summaries", "charts": "drawing the charts",
         "figures": "drawing the charts", "render": "rendering the pages", "families": "rendering the pages",
         "fmt": "rendering the pages", "escape": "rendering the pages", "readability": "checking reading levels",
         "write": "writing the site", "releases": "reading data/releases.yml", "urls": "writing redirect pages",
         "downloads": "writing the downloads", "handout": "rendering the handout"}


def unexpected(exc: BaseException) -> str:
    """One paragraph for an error the generator did not foresee: the step, the error, what to do."""
    from evidence_site.errors import printable

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "evidence_site" in f.filename]
    module = Path(frames[-1].filename).stem if frames else ""
    parent = Path(frames[-1].filename).parent.name if frames else ""
    step = STEPS.get(module) or STEPS.get(parent) or "building the site"
    return (f"An unexpected error stopped the build while {step}: {type(exc).__name__}: "
            f"{printable(exc, 200) or 'no message'}. Nothing was written to docs/ or site/. This is an input the "
            f"generator does not check yet, or a bug: look for an unusual value in the data changed last, and "
            f"report it with that file. Set EVIDENCE_DEBUG=1 to print the traceback.")


def _stop_as_if_interrupted(signum: int, frame: object) -> None:
    """SIGTERM (a terminal closed, a service manager, a test harness) ends a command as Ctrl-C does, through its
    ``finally`` blocks: without it the chart converter's processes outlived a stopped `serve` (about 130 MB each)."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop_as_if_interrupted)
    from evidence_site.exiting import finish

    finish(main())  # after a success, without tearing the interpreter down (exiting.py says what is kept)
