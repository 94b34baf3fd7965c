"""Stage everything, build with MkDocs, then swap into place (the hand-written part of docs/ is checked and
copied by hand_written.py).

Nothing under docs/ or site/ changes until the whole site has been generated
and MkDocs has built it without a warning (strict). A failure at any step
leaves the last good docs/ and site/ exactly as they were.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import BuildError
from .paths import GENERATED_DOCS

GENERATED_ROOT_FILES = ("index.md",)  # generated files at the top of docs/


def is_generated(relative: str) -> bool:
    """Whether a docs/-relative path belongs to the generator (and is replaced on every build)."""
    top = relative.split("/", 1)[0]
    return top in GENERATED_DOCS or relative in GENERATED_ROOT_FILES


def contained(root: Path, relative: str) -> Path:
    """``root / relative``, resolved; raise BuildError unless it stays inside ``root``.

    Every path the generator writes goes through here: no absolute path, no ``..``, no link leading out.
    """
    base = root.resolve()
    plain(root, relative)
    path = (base / relative).resolve()
    if not path.is_relative_to(base) or path == base:
        raise BuildError(f"Refused to write {relative!r}: it resolves outside {root.name}/. Nothing was written.")
    return path


def plain(root: Path, relative: str) -> None:
    """Raise BuildError unless ``relative`` is a plain relative path (no absolute path, no ``..``, no empty part)."""
    if not relative or "\0" in relative or "\\" in relative or Path(relative).is_absolute() \
            or any(part in ("..", "") for part in relative.split("/")):
        raise BuildError(f"Refused to write {relative!r}: not a plain relative path inside {root.name}/. "
                         "Nothing was written.")


def stage_docs(docs: Path, files: dict[str, bytes], stage: Path, only: str = "",
               apart: tuple[Path, ...] = (), previous: Path | None = None) -> Path:
    """Copy the hand-written docs and add the generated files into ``stage/docs``.

    ``only`` names the one hand-written folder to copy (a translated site takes the stylesheets, not the
    English hand-written pages); its docs folder is then ``stage`` itself. ``apart``: the site and build folders,
    which no link in docs/ may lead into (``hand_written.hand_written_problems``). A generated file whose bytes
    are those of the same file in ``previous`` (the docs folder the last build put in place: ``docs`` itself
    unless ``only`` is given) is linked to it rather than written again (placing.py)."""
    from .hand_written import copy_hand_written
    from .placing import Previous

    target = stage if only else stage / "docs"
    if only:
        copy_hand_written(docs, docs / only, target / only, apart) if (docs / only).is_dir() \
            else target.mkdir(parents=True)
    elif docs.is_dir():
        copy_hand_written(docs, docs, target, apart)
    else:
        target.mkdir(parents=True)
    # Folders already made and checked (docs-relative -> resolved path): resolved once per folder, not per file.
    # The staged folder is new and holds no link (copytree copies what links point to), and no hand-written file
    # is at a generated path, so a plain file name inside a checked folder stays inside it.
    checked: dict[str, Path] = {}
    last = Previous(previous if previous is not None or only else docs)
    for relative, data in sorted(files.items()):
        if not is_generated(relative):
            raise BuildError(f"The generator tried to write {relative!r}, outside its own folders {GENERATED_DOCS}.")
        plain(target, relative)
        folder, _, name = relative.rpartition("/")
        if folder not in checked:
            path = contained(target, relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            checked[folder] = contained(target, relative).parent  # again, now that the folders exist (a link
            # among them would show here)
        last.place(checked[folder] / name, relative, data)
    return target


def mkdocs_build(config_file: Path, docs_dir: Path, site_dir: Path, nav: list[Any],
                 extra: dict[str, Any] | None = None, engine: str = "mkdocs",
                 overrides: dict[str, Any] | None = None, cache: Path | None = None,
                 previous: Path | None = None) -> None:
    """Write a complete config beside ``docs_dir`` and build it with ``engine`` (``mkdocs build --strict`` or
    ``zensical build --strict``) as a separate process; raise BuildError on any warning.

    The config is the project's mkdocs.yml with the generated ``nav`` and ``extra`` added to its ``extra``
    (for the theme: e.g. the footer's data fingerprint); nothing is passed through an engine's Python API.
    ``cache``: the build's cache folder, where the config's text is kept for the next build with the same one, and
    MkDocs' memo of this site (``engine/<config name>.pickle``: each page's conversion and search entries, reused
    by the next build for the pages that did not change; mkdocs_run.py). ``previous``: the site the last build
    put in place, whose files the engine links to where its own are the same (MkDocs with ``cache``).
    """
    from .engines import STAGED_CONFIG, run_engine, write_staged_config

    name = STAGED_CONFIG if docs_dir.name == "docs" else f"{docs_dir.name}-{STAGED_CONFIG}"  # docs-es-mkdocs.yml
    config = write_staged_config(config_file, docs_dir, site_dir, nav, extra or {}, overrides,
                                 docs_dir.parent / name, cache)
    memo = cache / "engine" / f"{Path(name).stem}.pickle" if cache is not None else None
    seconds = run_engine(engine, config, site_dir, memo, previous)
    print(f"[build] engine {engine}: {seconds:.2f} s", flush=True)


def write_json(path: Path, data: Any) -> None:
    path.write_text(json_text(data), encoding="utf-8")


def json_text(data: Any) -> str:
    """``data`` as JSON, indented, except that each entry of a top-level list of objects (numbers.json's
    ``values``) takes one line: a value per line reads and diffs as well, at four fifths of the bytes."""
    if not isinstance(data, dict) or not data:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    fields = []
    for key, value in data.items():
        name = json.dumps(key, ensure_ascii=False)
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # one encoder, not one a line
            lines = ",\n".join("    " + encode(item) for item in value)
            fields.append(f"  {name}: [\n{lines}\n  ]")
        else:
            fields.append(f"  {name}: " + json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  "))
    return "{\n" + ",\n".join(fields) + "\n}\n"


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write extra text files (such as redirect pages) into the staged site; never over a built page."""
    checked: dict[str, Path] = {}  # folders made and checked, resolved once each (the engine's output has no link)
    for relative, text in sorted(files.items()):
        plain(root, relative)
        folder, _, name = relative.rpartition("/")
        if folder not in checked:
            contained(root, relative).parent.mkdir(parents=True, exist_ok=True)
            checked[folder] = contained(root, relative).parent
        path = checked[folder] / name
        if path.exists():
            raise BuildError(f"A redirect would replace the page {relative}; remove it from data/redirects.yml.")
        path.write_text(text, encoding="utf-8")


# The folders this process has replaced with a build's (``swap_into_place``): a Ctrl-C that comes after it can say
# that docs/ and site/ are this build's, complete.
REPLACED: list[Path] = []


# In build/: the docs/ files the generator last put in place (one docs-relative path a line; ``swap_into_place``
# and the live preview write it), one note per docs folder (tests and `--docs` build other folders with the same
# build/). A file in a generated folder that it does not list was put there by someone else.
GENERATED_RECORD = "generated-docs-{}.txt"


def record_path(build: Path, docs: Path) -> Path:
    """The note of what the generator put in ``docs`` (``GENERATED_RECORD``, named by the folder's path)."""
    import hashlib

    return build / GENERATED_RECORD.format(hashlib.sha256(str(docs.resolve()).encode()).hexdigest()[:12])


def entries_under(folder: Path, prefix: str = "") -> Iterator[tuple[str, os.DirEntry[str]]]:
    """(``prefix`` + folder-relative path, entry) for everything under ``folder`` but its folders, which are
    entered (a link to a folder is listed, not entered). One listing per folder and no stat of a plain entry
    (the file system's entry type): the generated folders hold hundreds of files per study."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from entries_under(Path(entry.path), f"{prefix}{entry.name}/")
            else:
                yield prefix + entry.name, entry


def hand_written_files(docs: Path, suffix: str = "") -> list[str]:
    """The hand-written files of ``docs`` whose name ends with ``suffix`` (docs-relative, sorted), without
    entering the generated folders: a link to a file counts, a named pipe or a dead link does not."""
    if not docs.is_dir():
        return []
    found = []
    with os.scandir(docs) as entries:
        for entry in entries:
            if is_generated(entry.name):
                continue
            if entry.is_dir(follow_symlinks=False):
                found += [name for name, inner in entries_under(Path(entry.path), f"{entry.name}/")
                          if name.endswith(suffix) and inner.is_file()]
            elif entry.name.endswith(suffix) and entry.is_file():
                found.append(entry.name)
    return sorted(found)


def generated_now(docs: Path) -> list[str]:
    """The files now in the generated parts of ``docs`` (docs-relative, sorted): links and named pipes too."""
    found = [name for top in GENERATED_DOCS if (docs / top).is_dir() and not (docs / top).is_symlink()
             for name, _ in entries_under(docs / top, f"{top}/")]
    return sorted(found + [name for name in GENERATED_ROOT_FILES if (docs / name).is_file()])


def record_generated(build: Path, docs: Path, files: list[str]) -> None:
    """Note ``files`` as what the generator put in ``docs`` (``record_path``): a JSON list, so that a name with a
    line break (or bytes that are not UTF-8) is noted whole."""
    record = record_path(build, docs)
    tmp = record.with_name(f"{record.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(sorted(files)), encoding="utf-8")
    tmp.replace(record)


def recorded(record: Path) -> set[str]:
    """The names a record of ``record_generated`` holds (one written by an older version: one name a line)."""
    text = record.read_text(encoding="utf-8")
    try:
        names = json.loads(text)
    except ValueError:
        return set(text.splitlines())
    return {str(name) for name in names} if isinstance(names, list) else set()


def check_no_strays(docs: Path, build: Path) -> None:
    """Raise BuildError naming each file in a generated part of ``docs`` that the generator did not put there (by
    its record): every build replaces those parts whole, so the file would be deleted without a word (an outside
    reviewer lost a page so). Without a record (a first build, or build/ removed) nothing can be told apart."""
    from .errors import Problem

    def foreign(name: str) -> bool:  # a link, or a file where a folder goes (or the other way round)
        path = docs / name
        plain = path.is_dir() if name in GENERATED_DOCS else path.is_file()
        return path.is_symlink() or (path.exists() and not plain)

    odd = [name for name in (*GENERATED_DOCS, *GENERATED_ROOT_FILES) if foreign(name)]
    if odd:
        raise BuildError(f"docs/: {len(odd)} of the generator's own folders or files is not what it writes. Nothing "
                         "was written.\n" + "\n".join(str(Problem(
                             f"docs/{name}", "The build replaces this whole with the generated pages.",
                             expected="a folder the generator fills" if name in GENERATED_DOCS
                             else "a file the generator writes",
                             found=f"a link to {os.readlink(docs / name)}" if (docs / name).is_symlink()
                             else "something else of that name",
                             hint=f"Remove docs/{name} (the build makes it again); keep your own pages elsewhere in "
                                  "docs/.")) for name in odd))
    record = record_path(build, docs)
    if not record.is_file():
        return
    known = recorded(record)
    strays = [name for name in generated_now(docs) if name not in known]
    if strays:
        folders = ", ".join(f"docs/{name}/" for name in GENERATED_DOCS)
        raise BuildError(f"docs/: {len(strays)} file(s) the generator did not write are in its own folders, which "
                         "every build replaces whole. Nothing was written.\n" + "\n".join(str(Problem(
                             f"docs/{name}", "This file would be deleted by the build.",
                             expected=f"only generated pages in {folders} and docs/index.md",
                             found=f"docs/{name}, which the last build did not write",
                             hint=f"Move it out of those folders (for example to docs/clinic/{Path(name).name}; "
                                  "data/site.yml about_pages puts a page in the menu). If it is an old generated "
                                  f"file, delete it, or delete build/{record.name}.")) for name in strays))


def check_docs(docs: Path, build: Path, apart: tuple[Path, ...] = ()) -> None:
    """Every check of docs/ a build makes before staging it, with all their problems in one message (an outside
    tester needed three builds to see them one kind at a time): the generator's own folders (``check_no_strays``)
    and the hand-written entries (``hand_written.py``; ``apart``: site/ and build/). Staging and the swap
    check again, for what changed meanwhile."""
    from .hand_written import check_hand_written

    messages = []
    try:
        check_no_strays(docs, build)
    except BuildError as exc:
        messages.append(str(exc))
    try:
        check_hand_written(docs, apart)
    except BuildError as exc:
        messages.append(str(exc))
    if messages:
        raise BuildError("\n\n".join(messages))


def swap_into_place(stage: Path, docs: Path, site: Path | None) -> None:
    """Replace the generated parts of docs/ and (unless ``site`` is None) the whole of site/ with the staged ones,
    after checking that nobody else put a file there (``check_no_strays``), and note what is now there.
    Ctrl-C and SIGTERM wait until every rename is done: docs/ and site/ are never left from two builds."""
    build = stage.parent  # ``staging``: a staging folder is made inside build/
    check_no_strays(docs, build)
    trash = stage / "trash"  # what is replaced goes here, and is deleted with the staging folder (discard)
    trash.mkdir()
    with _interrupts_held():
        for name in (*GENERATED_DOCS, *GENERATED_ROOT_FILES):
            old, new = docs / name, stage / "docs" / name
            if old.exists():
                old.rename(trash / f"docs-{name}")
            if new.exists():
                new.rename(old)
        if site is not None:
            if site.exists():
                site.rename(trash / "site")
            (stage / "site").rename(site)
        REPLACED.append(site or docs)
        record_generated(build, docs, generated_now(docs))  # with them: an interrupt never leaves an older note


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back, then raised again on leaving the block, to the handlers the process had.
    Python runs signal handlers in the main thread only, so elsewhere (a preview's rebuild) nothing is held."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    before = {number: signal.signal(number, lambda number, _frame: received.append(number))
              for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)  # None: set outside Python
        for number in dict.fromkeys(received):
            signal.raise_signal(number)


@contextmanager
def staging(build: Path) -> Iterator[Path]:
    """A fresh staging folder inside build/ (same file system as docs/ and site/, so renames are atomic), named
    after this process; the staging folders of builds whose process is gone (killed before they could delete
    theirs) are deleted first: half-made sites nobody should open."""
    build.mkdir(parents=True, exist_ok=True)
    for old in build.glob("stage-*"):
        if old.is_dir() and not _alive(old.name):
            discard(old)
    stage = Path(tempfile.mkdtemp(prefix=f"stage-{os.getpid()}-", dir=build))
    try:
        yield stage
    finally:
        discard(stage)


def _alive(name: str) -> bool:
    """Whether the process that made the staging folder ``name`` (``stage-<pid>-...``) is still running (a folder
    named by an older version, without a process id, is a dead build's)."""
    pid = name.split("-")[1] if name.count("-") >= 2 else ""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def discard(folder: Path) -> None:
    """Delete ``folder`` (the staging folder, holding the replaced site) without making the command wait for it.

    Deleting the old site/ is a fifth of a no-change build's own time and nothing needs it done before the
    command returns: a detached ``rm -rf`` removes it (the folder has a unique name, so no later build
    reuses it). Where no ``rm`` exists, it is deleted here."""
    rm = shutil.which("rm") if os.name == "posix" else None
    if rm is None:
        shutil.rmtree(folder, ignore_errors=True)
        return
    subprocess.Popen([rm, "-rf", "--", str(folder)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)
