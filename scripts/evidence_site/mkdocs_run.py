"""MkDocs as a build's engine process, with what the live preview keeps between saves kept on disk between builds.

``python -m evidence_site.mkdocs_run --memo FILE -f CONFIG`` is ``mkdocs build --strict -f CONFIG`` (the same
command line interface, so the same log lines and exit status) with three things reused from the last build of
the same site (the memo FILE, one per site: the English one and each translated twin):

- each page's Markdown converted to HTML, its table of contents and anchors (``engine_memo.converting``: keyed by the
  page's path and Markdown, the list of files its links resolve against, and the config minus ``nav`` and
  ``extra``, which conversion does not read; a conversion that logged a warning is not kept; none is reused
  when a Markdown extension reads other files, such as pymdownx.snippets);
- each page's search entries (``engine_memo.indexing``: keyed by everything the search plugin reads of the page);
- each page's HTML as the theme's templates made it (``engine_memo.theming``: keyed by everything they read of the
  page, the navigation, the config and the theme);
- the theme's compiled templates (Jinja's bytecode cache, each template checked against its source), and the
  list of the theme's files (keyed by its folders, every file of the project's override, MkDocs' and Material's
  versions).

With ``--finish``, what MkDocs writes is held in memory until it has built every page; then the markup fixes and
the theme's pruning (engines.py: ``markup_fixed``, ``theme_pruned``) are applied there, and each file is written
once, or linked to the same file of ``--previous`` (the site the last build put in place) when its bytes are the
same (placing.py): the files are those that ``run_engine`` would leave after a plain build, without writing each
page twice, copying the theme files that are then removed, or writing again what did not change.

The memo is written back only after a build that succeeded, holding only the entries that build used. The output
is byte-identical to ``mkdocs build --strict`` (with ``--finish``, to that followed by ``engines.fix_markup`` and
``engines.prune_theme``; tests/test_engines.py). The live preview keeps the same things in
memory instead (preview.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .cache import seal, unseal

MEMO_VERSION = 4  # bump when what the memo holds changes shape


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
    empty: dict[str, Any] = {"version": MEMO_VERSION, "converted": {}, "indexed": {}, "themed": {}, "listed": {}}
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
def compiled_theme(folder: Path, listed: dict[str, Any] | None = None) -> Any:
    """While MkDocs builds: the theme's templates compiled into (and loaded from) Jinja's bytecode cache in
    ``folder``; Jinja compiles again any template whose source changed. With ``listed`` (the memo's), the theme's
    files are listed from there when its folders, versions and settings are the same (``engine_memo.theme_listing``)."""
    import jinja2
    from mkdocs.theme import Theme

    from .bytecode import SealedBytecodeCache
    from .engine_memo import theme_listing

    folder.mkdir(parents=True, exist_ok=True)
    make_env = Theme.get_env

    def get_env(self: Theme) -> jinja2.Environment:
        env = make_env(self)
        env.bytecode_cache = SealedBytecodeCache(str(folder))
        if listed is not None:
            theme_listing(env, self, listed.setdefault("files", {}), listed.setdefault("static", {}))
        return env

    Theme.get_env = get_env  # type: ignore[method-assign]
    try:
        yield
    finally:
        Theme.get_env = make_env  # type: ignore[method-assign]


@contextlib.contextmanager
def held(site_dir: Path) -> Iterator[dict[str, bytes | Path]]:
    """While MkDocs builds: each file it writes or copies into ``site_dir`` held in the mapping yielded
    (site-relative path -> bytes, or the file to copy) instead of written; other paths are written as usual."""
    import mkdocs.utils

    site_dir.mkdir(parents=True, exist_ok=True)  # MkDocs writes the sitemap's gzip copy there itself
    root = os.path.realpath(site_dir)
    out: dict[str, bytes | Path] = {}
    write_file, copy_file = mkdocs.utils.write_file, mkdocs.utils.copy_file

    def inside(output_path: str) -> str | None:
        relative = os.path.relpath(os.path.realpath(output_path), root)
        if relative.startswith(os.pardir) or os.path.isabs(relative) or os.path.isdir(output_path):
            return None
        return Path(relative).as_posix()

    def write(content: bytes, output_path: str) -> None:
        relative = inside(output_path)
        if relative is None:
            write_file(content, output_path)
        else:
            out[relative] = content

    def copy(source_path: str, output_path: str) -> None:
        relative = inside(output_path)
        if relative is None:
            copy_file(source_path, output_path)
        else:
            out[relative] = Path(source_path)

    mkdocs.utils.write_file, mkdocs.utils.copy_file = write, copy
    try:
        yield out
    finally:
        mkdocs.utils.write_file, mkdocs.utils.copy_file = write_file, copy_file


def finish(out: dict[str, bytes | Path], site_dir: Path, previous: Path | None, fixed: bool = True) -> tuple[int, int]:
    """Write the files MkDocs built (``held``) into ``site_dir`` as ``run_engine`` leaves a plain build's (its
    markup fixed, the theme pruned; with ``fixed`` False, as MkDocs made them: the live preview), each linked to
    ``previous``'s copy when that holds the same bytes. Returns the numbers of files linked and written."""
    from .engines import markup_fixed, page_text, theme_pruned
    from .placing import Previous

    def read(relative: str) -> bytes:
        content = out[relative]
        return content if isinstance(content, bytes) else content.read_bytes()

    removed: set[str] = set()
    if fixed:
        for page in site_dir.rglob("*.html"):  # written by MkDocs itself, not through its write_file (a plugin's
            out.setdefault(page.relative_to(site_dir).as_posix(), page.read_bytes())  # page): fixed as well
        pages = {relative: page_text(read(relative)) for relative in out if relative.endswith(".html")}
        out |= {relative: text.encode("utf-8") for relative, text in markup_fixed("mkdocs", pages).items()}
        removed, rewritten = theme_pruned(list(out), read)
        out |= {relative: text.encode("utf-8") for relative, text in rewritten.items()}
    last = Previous(previous)
    folders: set[str] = set()
    for relative, content in sorted(out.items()):
        if relative in removed:
            continue
        folder = relative.rpartition("/")[0]
        if folder not in folders:
            (site_dir / folder).mkdir(parents=True, exist_ok=True)
            folders.add(folder)
        last.place(site_dir / relative, relative, read(relative) if isinstance(content, Path) else content)
    return last.linked, last.written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evidence_site.mkdocs_run", description=__doc__.split("\n")[0])
    parser.add_argument("--memo", type=Path, required=True, help="the memo file of this site (read and written)")
    parser.add_argument("-f", "--config-file", type=Path, required=True, help="the staged config to build")
    parser.add_argument("--finish", action="store_true",
                        help="fix the markup and prune the theme before writing (as run_engine does afterwards)")
    parser.add_argument("--previous", type=Path,
                        help="with --finish: the last build's site, to link unchanged files to")
    args = parser.parse_args(argv)

    from mkdocs.__main__ import cli

    from .engine_memo import converting, indexing, page_config_key, theming
    from .staged_yaml import load_config

    memo = load_memo(args.memo)
    staged = load_config(args.config_file.read_text(encoding="utf-8"))
    key = markdown_key(staged)
    site_dir = (args.config_file.parent / str(staged.get("site_dir") or "site")).resolve()
    status: Any = 0
    with (compiled_theme(args.memo.parent / "theme", memo["listed"]),
          converting(memo["converted"], key) if key is not None else contextlib.nullcontext(),
          indexing(memo["indexed"]),
          theming(memo["themed"], page_config_key(staged)),
          held(site_dir) if args.finish else contextlib.nullcontext() as out):
        try:
            cli.main(["build", "--strict", "-f", str(args.config_file)], prog_name="mkdocs")
        except SystemExit as stop:
            status = stop.code
    if status in (0, None):
        if out is not None:
            finish(out, site_dir, args.previous)
        store_memo(args.memo, memo)  # only the entries this build used (converting and indexing drop the rest)
        return 0
    return status if isinstance(status, int) else 1


if __name__ == "__main__":
    sys.exit(main())
