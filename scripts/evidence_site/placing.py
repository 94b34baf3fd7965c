"""Putting a file in a staged folder once: a hard link to the last build's copy when its bytes are the same.

Every build stages docs/ and site/ afresh and swaps them into place (write.py), so each build used to write every
file anew: about a millisecond a file on the machines this was measured on (731 files in docs/ and 900 writes in
site/ for a library of ten studies), against a tenth of that to read the last build's file, compare it and link
it. A file is linked only when the last build's copy is a plain file inside that build's folder (itself not a
link) with exactly these bytes and no other name, owned by this user with the permissions a new file would get (a
link shares them); otherwise it is written. A linked file is never written to again in place: what changes a staged
file afterwards (the markup fixes, the charts drawn late) replaces it (:func:`replace_bytes`), so the last
build's folder is never changed through a link.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class Previous:
    """The last build's folder (docs/ or site/, or a translated site in it), where a staged file may be found.

    Each folder under it is resolved once and must stay inside it: a link in the last build's folder that leads
    out is never followed (nothing is read outside the project's folders)."""

    def __init__(self, root: Path | None) -> None:
        mode = new_file_mode()  # a link keeps its file's permissions: only one a new file would have is linked
        # A last build's folder that is a link (site/ made a link to a served folder elsewhere) is not the
        # project's: the build replaces the link with a folder of its own, sharing no file with what it led to.
        usable = root is not None and not root.is_symlink() and root.is_dir() and mode is not None
        self.root = root.resolve() if usable and root is not None else None
        self.mode = mode
        self._folders: dict[str, Path | None] = {}
        self.linked = 0
        self.written = 0

    def folder(self, relative_folder: str) -> Path | None:
        if self.root is None:
            return None
        if relative_folder not in self._folders:
            path = (self.root / relative_folder).resolve() if relative_folder else self.root
            self._folders[relative_folder] = path if path.is_relative_to(self.root) and path.is_dir() else None
        return self._folders[relative_folder]

    def same(self, relative: str, data: bytes) -> tuple[Path, os.stat_result] | None:
        """The last build's copy of ``relative`` and its status, when it is a plain file holding ``data``."""
        if not data or "\0" in relative or ".." in relative.split("/"):
            return None  # an empty file is a placeholder filled later: always a file of its own
        folder, _, name = relative.rpartition("/")
        where = self.folder(folder)
        if where is None:
            return None
        path = where / name
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return None
        try:
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode) or status.st_size != len(data) or status.st_nlink != 1 \
                    or stat.S_IMODE(status.st_mode) != self.mode or status.st_uid != os.getuid():
                return None  # a file with another name too (a hard link made outside the build) is not linked
            with os.fdopen(os.dup(fd), "rb") as file:
                return (path, status) if file.read(len(data) + 1) == data else None
        finally:
            os.close(fd)

    def place(self, target: Path, relative: str, data: bytes) -> None:
        """Put ``data`` at ``target`` (a new file in a staged folder, its folder made): a hard link to the last
        build's copy of ``relative`` when that holds the same bytes, else a file written."""
        found = self.same(relative, data)
        if found is not None:
            path, status = found
            try:
                os.link(path, target, follow_symlinks=False)
                made = os.lstat(target)
                if (made.st_ino, made.st_dev) == (status.st_ino, status.st_dev):  # the very file compared
                    self.linked += 1
                    return
                target.unlink()
            except OSError:
                pass  # no hard links here (another file system, a platform without them): written instead
        target.write_bytes(data)
        self.written += 1


def new_file_mode() -> int | None:
    """The permissions a file this process creates gets (0o666 less the umask, read from /proc without changing
    it, which would race with other threads' files), or None where that cannot be read (then nothing is linked)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return None


def replace_bytes(path: Path, data: bytes) -> None:
    """Change a staged file by replacing it, never by writing into it: it may be a link to the last build's copy."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
