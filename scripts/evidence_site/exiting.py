"""Ending the build process without tearing the interpreter down (scripts/build.py, after a successful command).

A normal exit frees every object one by one (pandas, numpy, Jinja, the summaries: 0.3-0.7 s of a one-study build
on a quiet machine, measured) before the operating system takes the memory back anyway. After a command that
succeeded, :func:`finish` does what the interpreter's exit does that matters outside this process, then ends it
at once (``os._exit``):

- standard output and error are flushed (the build's log);
- the threads of the chart converter's pool are joined and the exit handlers run, as at a normal exit: the
  converter process (already stopped by build.py) is reaped and the pool's semaphores are released;
- every file the build wrote is closed: the build writes through ``with`` blocks and ``Path.write_*``. This is
  checked, not assumed: if this process still holds a regular file open for writing, or the check cannot be
  made (no ``/proc/self/fd``), the process exits normally, so a buffered write is never lost.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import stat
import sys
import threading
from pathlib import Path
from typing import NoReturn

PROC_FD = Path("/proc/self/fd")


def files_open_for_writing(proc_fd: Path = PROC_FD) -> list[str] | None:
    """The regular files this process holds open for writing (besides standard input, output and error), or None
    where that cannot be known (no ``/proc``)."""
    try:
        import fcntl

        fds = [int(name) for name in os.listdir(proc_fd)]
    except (ImportError, OSError, ValueError):
        return None
    found = []
    for fd in fds:
        if fd <= 2:
            continue
        try:
            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
            if flags & (os.O_WRONLY | os.O_RDWR) and stat.S_ISREG(os.fstat(fd).st_mode):
                found.append(os.readlink(proc_fd / str(fd)))
        except OSError:  # closed meanwhile (the listing's own descriptor)
            continue
    return found


def finish(code: int) -> NoReturn:
    """Exit with ``code``: at once after a success when nothing is left open for writing, else normally."""
    if code != 0 or not hasattr(threading, "_shutdown") or files_open_for_writing() != []:
        sys.exit(code)
    _flush()
    threading._shutdown()  # type: ignore[attr-defined]  # the pool's threads, as the interpreter's exit joins them
    atexit._run_exitfuncs()  # multiprocessing: the converter reaped, its semaphores released
    _flush()
    os._exit(code)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more can be said
            stream.flush()
