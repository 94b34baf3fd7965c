"""The hand-written part of docs/: what a build may copy into the site, checked before and while it is copied.

Everything in docs/ outside the generator's own folders is copied into the staged site (links followed: their
contents are copied). An entry that cannot be copied as a plain file or folder is refused, named, all such entries
in one message, before the engine runs: outside testers filled the disk with a link to /dev/zero and with a link
to site/ (copied into itself at every build), hung the build with links leading back into docs/, and ran it out of
memory with a 100 GB sparse file. What changes between the check and the copy is refused by the copy itself.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
from pathlib import Path

from .errors import BuildError
from .paths import GENERATED_DOCS, NUMBERS_JSON, system_folder, within
from .write import GENERATED_ROOT_FILES, is_generated


def copy_hand_written(docs: Path, source: Path, target: Path, apart: tuple[Path, ...] = ()) -> None:
    """Copy the hand-written ``source`` (``docs`` or a folder of it; the generated folders left out) to ``target``,
    once every entry has been checked (``hand_written_problems``): what cannot be copied as a plain file or folder
    is refused here, every such entry named at once, rather than by the engine, as an unexpected error, or by a
    copy that never ends (a link to a device, links leading back into docs/)."""
    problems = hand_written_problems(docs, source, apart)
    if problems:
        refuse(docs, problems)
    # What changes between the check and the copy (a file replaced by a link to /dev/zero meanwhile: an outside
    # tester's race filled 2 GB a second) is refused by the copy itself: each folder is entered once, never one
    # that holds docs/ or lies in or holds site/ or build/, and each file is copied only if it is a plain file
    # when opened, and only up to the size limit.
    inside_docs, outputs = os.path.realpath(docs), [os.path.realpath(a) for a in apart]
    entered: set[str] = set()

    def ignore(folder: str, names: list[str]) -> list[str]:
        real = os.path.realpath(folder)
        if real in entered or _folder_refused(real, inside_docs, outputs, Path(folder) == source):
            refuse(docs, [(Path(folder), "a link to a folder that changed while it was copied (it "
                                         "now leads back into docs/ or to the build's own output)")])
        entered.add(real)
        return [n for n in names if Path(folder) == docs and is_generated(n)]

    try:
        shutil.copytree(source, target, ignore=ignore, copy_function=_copy_plain_file)
    except shutil.Error as exc:
        refuse(docs, [(Path(src), str(why)) for src, _, why in exc.args[0]])


def _folder_refused(real: str, inside_docs: str, outputs: list[str], is_source: bool) -> str | None:
    """Why a folder at the real path ``real`` may not be copied (it holds docs/ itself, unless it is the folder
    being copied; it lies in or holds one of the build's ``outputs``), or None."""
    if not is_source and within(inside_docs, real):
        return "a link to a folder that holds docs/ itself (a copy would copy itself)"
    if any(within(real, out) or within(out, real) for out in outputs):
        return ("a link into the build's own output, or a folder that holds it (site/, build/: a copy would grow at "
                "every build)")
    return None


def _copy_plain_file(source: str, target: str) -> str:
    """``shutil.copy2`` for a file that must be plain when opened (never blocks on a named pipe: opened without
    waiting) and at most ``MAX_HAND_WRITTEN_BYTES`` long as read (a /proc file claims a size of 0)."""
    fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK)
    with open(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"not a plain file when copied: {source}")
        with open(target, "wb") as out:
            copied = 0
            for chunk in iter(lambda: file.read(1 << 20), b""):
                copied += len(chunk)
                if copied > MAX_HAND_WRITTEN_BYTES:
                    raise OSError(f"more than {MAX_HAND_WRITTEN_BYTES // 2**20} MiB when copied: {source}")
                out.write(chunk)
    shutil.copystat(source, target)
    return target


# The largest hand-written file copied into the site: GitHub Pages and most hosts refuse a file of more than
# 100 MiB, and a link to a file of the running system (/proc/kcore) can claim terabytes.
MAX_HAND_WRITTEN_BYTES = 100 * 1024 * 1024
# All the hand-written files together: GitHub Pages refuses a site of more than 1 GB (the check stops there).
MAX_HAND_WRITTEN_TOTAL = 1024 * 1024 * 1024
# What the engine or the build writes into the site itself (docs/-relative): a hand-written file at one of these
# addresses would be replaced without a word.
SITE_OWN_FILES = (NUMBERS_JSON, "sitemap.xml", "sitemap.xml.gz", "404.html", "search/search_index.json")

# Characters a web address cannot carry as written: a page or file with one in its name is published at an address
# a link reaches only percent-encoded (# starts the part of a page, ? its query; a line break ends a link).
UNSAFE_IN_NAMES = re.compile(r"[#?\x00-\x1f\x7f]")
# The names at the top of docs/ the site uses itself: a hand-written name differing from one only in case is
# published beside it, and on a host that ignores case (Windows, macOS, some storage services) one replaces the other.
RESERVED_TOP_NAMES = (*GENERATED_DOCS, *GENERATED_ROOT_FILES, *sorted({f.split("/")[0] for f in SITE_OWN_FILES}))

# What a hand-written entry that is not a plain file or folder is, by its file type.
_SPECIAL = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
            (stat.S_ISBLK, "a device"))


def hand_written_problems(docs: Path, source: Path, apart: tuple[Path, ...] = ()) -> list[tuple[Path, str]]:
    """Each entry under ``source`` (the generated parts of ``docs`` left out) that a copy into the site cannot
    take as a plain file or folder, with why: a name that is not UTF-8, a link to nothing or to itself, a named
    pipe, socket or device (also through a link), a link into the running system's folders (/proc: its files never
    end or change), a file or folder that cannot be read, a file over ``MAX_HAND_WRITTEN_BYTES``, a file at an
    address the site writes itself (``SITE_OWN_FILES``), a link to a folder that holds docs/ or leads into or holds
    one of the ``apart`` folders (site/, build/: a copy would copy itself, growing at every build), a link to a
    folder already copied (a loop back into docs/), and more than ``MAX_HAND_WRITTEN_TOTAL`` in all. Links to
    other plain files and folders are followed: their contents are copied."""
    problems: list[tuple[Path, str]] = []
    if source == docs:
        problems += [(docs / name, f"the site's own {name} goes at that address (the build or the engine writes it)")
                     for name in SITE_OWN_FILES if os.path.lexists(docs / name)]
    inside_docs = os.path.realpath(docs)
    outputs = [os.path.realpath(a) for a in apart]

    seen: set[str] = set()  # real paths of the folders walked
    total = 0
    folders = [source]
    while folders:
        folder = folders.pop()
        real = os.path.realpath(folder)
        refused = _folder_refused(real, inside_docs, outputs, folder == source)
        if refused:
            problems.append((folder, refused))
            continue
        if real in seen:
            problems.append((folder, "a link to a folder copied already by another way (a loop back into docs/, "
                             "or two links to one folder)"))
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append((folder, f"a folder that cannot be read ({exc.strerror})"))
            continue
        by_case = {name.casefold(): name for name in RESERVED_TOP_NAMES} if folder == docs else {}
        for entry in entries:
            path = folder / entry.name
            if folder == docs and is_generated(entry.name):
                continue
            try:
                entry.name.encode("utf-8")
            except UnicodeEncodeError:
                problems.append((path, "its name is not UTF-8 text (rename it: the site's addresses are made from "
                                 "names)"))
                continue
            if UNSAFE_IN_NAMES.search(entry.name):
                problems.append((path, "its name has a character a web address cannot carry as written (#, ?, a "
                                 "line break or another control character): rename it"))
                continue
            same = by_case.setdefault(entry.name.casefold(), entry.name)
            if same != entry.name:
                problems.append((path, f"its name differs only in case from {same} beside it: on a host that "
                                 "ignores case (Windows, macOS, some storage services) one replaces the other"))
                continue
            try:
                info = os.stat(path)  # through a link
            except OSError as exc:
                target = f" ({os.readlink(path)})" if entry.is_symlink() else ""
                what = ("a link to nothing" if exc.errno == errno.ENOENT and entry.is_symlink()
                        else "a link that leads to itself" if exc.errno == errno.ELOOP
                        else f"cannot be read ({exc.strerror})")
                problems.append((path, what + target))
                continue
            real_path = os.path.realpath(path)
            system = system_folder(real_path)
            if system is not None and (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
                problems.append((path, f"a link into {system}, the running system's own files (they change, or "
                                 "never end, when read)"))
            elif stat.S_ISDIR(info.st_mode):
                folders.append(path)
            elif not stat.S_ISREG(info.st_mode):
                kind = next((name for test, name in _SPECIAL if test(info.st_mode)), "not a plain file")
                problems.append((path, kind + (f" (through a link to {os.readlink(path)})" if entry.is_symlink()
                                               else "")))
            elif info.st_size > MAX_HAND_WRITTEN_BYTES:
                problems.append((path, f"a file of {info.st_size / 2**20:,.0f} MiB (at most "
                                 f"{MAX_HAND_WRITTEN_BYTES // 2**20} MiB: most hosts refuse more)"))
            else:
                total += info.st_size
                if total > MAX_HAND_WRITTEN_TOTAL:
                    problems.append((source, f"more than {MAX_HAND_WRITTEN_TOTAL // 2**30} GiB of hand-written "
                                     "files in all (GitHub Pages refuses a larger site); the check stopped there"))
                    return sorted(problems, key=lambda p: str(p[0]))
                try:
                    with open(path, "rb"):
                        pass
                except OSError as exc:
                    problems.append((path, f"a file that cannot be read ({exc.strerror})"))
    return sorted(problems, key=lambda p: str(p[0]))


def refuse(docs: Path, entries: list[tuple[Path, str]]) -> None:
    def shown(text: str) -> str:  # a name that is not UTF-8 printed with its bytes escaped, not crashing the print;
        text = os.fsencode(text).decode("utf-8", "backslashreplace")  # a path through a looping link cut short
        text = re.sub(r"[\x00-\x1f\x7f]", lambda c: f"\\x{ord(c.group()):02x}", text)  # a line break shown, not made
        return text if len(text) <= 160 else f"{text[:100]} … {text[-50:]}"

    named = "\n".join(f"  - {docs.name}/{shown(str(path.relative_to(docs)))}: {shown(why)}"
                      for path, why in entries[:20])
    more = f"\n  - and {len(entries) - 20} more (the first 20 are listed)" if len(entries) > 20 else ""
    raise BuildError("A hand-written entry in the docs folder cannot be copied into the site. Nothing was written "
                     f"to docs/ or site/.\n{named}{more}\n"
                     "    expected: plain files and folders, readable, with UTF-8 names a web address can carry (no "
                     "two alike but for case), and links only to those\n"
                     f"    found:    {'1 entry that is' if len(entries) == 1 else f'{len(entries)} entries that are'} "
                     "not (listed above)\n"
                     "    hint:     The docs folder holds only plain files and folders: put a copy of the file in "
                     "its place, make it readable, rename it, or remove it.")


def check_hand_written(docs: Path, apart: tuple[Path, ...] = ()) -> None:
    """Raise BuildError naming every hand-written entry of ``docs`` that cannot be copied into the site
    (``hand_written_problems``; the live preview checks so before MkDocs reads docs/ itself)."""
    problems = hand_written_problems(docs, docs, apart) if docs.is_dir() else []
    if problems:
        refuse(docs, problems)
