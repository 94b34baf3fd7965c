"""MkDocs as a build's engine process, with what the live preview keeps between saves kept on disk between builds.

``python -m evidence_site.mkdocs_run --memo FILE -f CONFIG`` is ``mkdocs build --strict -f CONFIG`` (the same
command line interface, so the same log lines and exit status) with three things reused from the last build of
the same site (the memo FILE, one per site: the English one and each translated twin):

- each page's Markdown converted to HTML, its table of contents and anchors (``preview.converting``: keyed by the
  page's path and Markdown, the list of files its links resolve against, and the config minus ``nav`` and
  ``extra``, which conversion does not read; a conversion that logged a warning is not kept; none is reused
  when a Markdown extension reads other files, such as pymdownx.snippets);
- each page's search entries (``preview.indexing``: keyed by everything the search plugin reads of the page);
- the theme's compiled templates (Jinja's bytecode cache, each template checked against its source).

The memo is written back only after a build that succeeded, holding only the entries that build used. The output
is byte-identical to ``mkdocs build --strict`` (tests/test_engines.py). The live preview keeps the same things in
memory instead (preview.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pickle
import sys
from pathlib import Path
from typing import Any

from .cache import seal, unseal

MEMO_VERSION = 2  # bump when what the memo holds changes shape


# Markdown extensions that read files besides the page (pymdownx.snippets, markdown-include, ...): a page's
# conversion then depends on more than its Markdown, so with one of them no conversion is reused.
READS_OTHER_FILES = ("snippets", "include")


def markdown_key(staged: dict[str, Any]) -> str | None:
    """What of a staged config Markdown conversion may read: every top-level setting but ``nav`` and ``extra``
    (the footer's data fingerprint changes with every data change; conversion reads neither). None when an
    extension reads other files (``READS_OTHER_FILES``): then no conversion is reused."""
    names = [str(next(iter(e))) if isinstance(e, dict) else str(e) for e in staged.get("markdown_extensions") or []]
    if any(word in name.lower() for name in names for word in READS_OTHER_FILES):
        return None
    return repr(sorted((k, repr(v)) for k, v in staged.items() if k not in ("nav", "extra")))


def load_memo(path: Path) -> dict[str, Any]:
    """The memo of the last successful build of this site; empty when there is none or it cannot be read."""
    empty: dict[str, Any] = {"version": MEMO_VERSION, "converted": {}, "indexed": {}}
    try:
        memo = unseal(path.read_bytes())
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
        return empty
    if not isinstance(memo, dict) or memo.get("version") != MEMO_VERSION:
        return empty
    return memo


def store_memo(path: Path, memo: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # a read-only build folder costs speed, never correctness
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(seal(memo))
        tmp.replace(path)


@contextlib.contextmanager
def compiled_theme(folder: Path) -> Any:
    """While MkDocs builds: the theme's templates compiled into (and loaded from) Jinja's bytecode cache in
    ``folder``; Jinja compiles again any template whose source changed."""
    import jinja2
    from mkdocs.theme import Theme

    folder.mkdir(parents=True, exist_ok=True)
    make_env = Theme.get_env

    def get_env(self: Theme) -> jinja2.Environment:
        env = make_env(self)
        env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))
        return env

    Theme.get_env = get_env  # type: ignore[method-assign]
    try:
        yield
    finally:
        Theme.get_env = make_env  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evidence_site.mkdocs_run", description=__doc__.split("\n")[0])
    parser.add_argument("--memo", type=Path, required=True, help="the memo file of this site (read and written)")
    parser.add_argument("-f", "--config-file", type=Path, required=True, help="the staged config to build")
    args = parser.parse_args(argv)

    from mkdocs.__main__ import cli

    from .preview import converting, indexing
    from .staged_yaml import load_config

    memo = load_memo(args.memo)
    key = markdown_key(load_config(args.config_file.read_text(encoding="utf-8")))
    status: Any = 0
    with (compiled_theme(args.memo.parent / "theme"),
          converting(memo["converted"], key) if key is not None else contextlib.nullcontext(),
          indexing(memo["indexed"])):
        try:
            cli.main(["build", "--strict", "-f", str(args.config_file)], prog_name="mkdocs")
        except SystemExit as stop:
            status = stop.code
    if status in (0, None):
        store_memo(args.memo, memo)  # only the entries this build used (converting and indexing drop the rest)
        return 0
    return status if isinstance(status, int) else 1


if __name__ == "__main__":
    sys.exit(main())
