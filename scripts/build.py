#!/usr/bin/env python3
"""Build the evidence site. Thin entry point; the work is in the evidence_site package.

    python scripts/build.py site       generate pages into docs/, then mkdocs build --strict into site/
    python scripts/build.py pages      generate pages into docs/ only
    python scripts/build.py validate   check the data of every study and report every problem
    python scripts/build.py serve      live preview, regenerating when data/ or templates/ change
    python scripts/build.py bench      the benchmark (scripts/bench.py): real builds as separate processes
"""

from __future__ import annotations

import argparse
import sys
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
    args = parser.parse_args(argv)
    try:
        commands.COMMANDS[args.command](args)
    except BuildError as exc:
        print(f"\nBuild failed. {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
