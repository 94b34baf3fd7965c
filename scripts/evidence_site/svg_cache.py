"""Chart SVGs cached by content under build/cache/svg/, so that only a chart whose specification changed is
converted again.

An entry's name is a hash of the exact Vega-Lite specification (its JSON with sorted keys, the data included)
and of vl-convert's version: a changed spec or a new vl-convert gives a new name, so an old SVG is never served
for a new spec. vl-convert is the only thing between the spec and the SVG (no options are passed). Every entry a
build reads or stores is noted in ``used``; after a successful build, ``cache.prune`` removes the others.

``charts.draw`` converts through the cache that :func:`using` made current (none by default: every chart is
converted, as in tests of single charts).

A cache with a folder (a build's) converts in the background: :meth:`SvgCache.draw` serves a spec from the
cache at once, and hands a spec that is not there to one converter process (vl-convert holds the interpreter
while it converts, so only another process overlaps it with the summaries, pages and checks), returning a
:class:`Pending` SVG; its text is waited for (and stored in the cache) only when the file is written.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import hashlib
import json
import multiprocessing
import os
import pickle
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

from .cache import seal, unseal

T = TypeVar("T")
FOLDER = "svg"  # under build/cache/
SUFFIX = ".svg"
# A cache with a folder converts in the converter process; False (or EVIDENCE_CHART_PROCESS=0 in the environment,
# to compare the two): in the build process, as the tests that count conversions need.
BACKGROUND = os.environ.get("EVIDENCE_CHART_PROCESS", "1") != "0"
# Converter processes: one by default. Two (EVIDENCE_CHART_PROCESSES=2) convert the charts, which are handed over
# only once the summaries are computed, in parallel on a second core, but each process starts vl-convert and
# warms it up on its own charts: about 1.4 s more CPU per cold build, measured on the shared two-core machine
# (no wall-time gain could be shown there), so it is left for a quiet machine to try.
_PROCESSES = os.environ.get("EVIDENCE_CHART_PROCESSES", "").strip()
CONVERTERS = max(1, int(_PROCESSES)) if _PROCESSES.isdigit() else 1


def spec_key(spec: dict[str, Any], version: str) -> str:
    """sha256 of the spec's JSON (sorted keys, so the same spec always gives the same text) and the version."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"vl-convert=={version}\0{text}".encode()).hexdigest()


class SvgCache:
    """SVGs of Vega-Lite specs: from ``root``/svg/ when an entry for the spec's key is there, else converted."""

    def __init__(self, root: Path | None, used: set[Path] | None = None) -> None:
        self.folder = root / FOLDER if root is not None else None
        self.used = used if used is not None else set()
        self.converted = 0
        self.reused = 0
        self.names: list[str] = []  # the entry of each chart drawn, in order (see ``recording``)
        self.pending: list[Pending] = []  # charts being converted by the converter process (stored once done)
        self.converting: dict[Path, Future[str]] = {}  # their conversions, by cache entry

    def svg(self, spec: dict[str, Any]) -> str:
        import vl_convert  # cheap to import; its engine starts at the first conversion

        if self.folder is None:
            self.converted += 1
            return vl_convert.vegalite_to_svg(spec)
        path, text = self._lookup(spec)
        if text is None:
            text = vl_convert.vegalite_to_svg(spec)
            self.converted += 1
            self._store(path, text)
        return text

    def draw(self, spec: dict[str, Any], finish: Callable[[str], str]) -> str | Pending:
        """``finish`` of the SVG of ``spec``: from the cache, or converted here when the cache has no folder, else
        converted by the converter process and returned as a :class:`Pending` SVG."""
        converter = _converter() if self.folder is not None and BACKGROUND else None
        if converter is None:
            return finish(self.svg(spec))
        path, text = self._lookup(spec)
        if text is not None:
            return finish(text)
        if path in self.converting:  # the same spec earlier in this build: its conversion is shared
            self.reused += 1
            return Pending(spec, self.converting[path], finish)
        self.converted += 1
        try:
            self.converting[path] = converter.submit(_convert, spec)
        except BrokenProcessPool:  # the converter process ended (killed, out of memory): this one is drawn here
            converter_ended()
            return finish(self._store(path, _convert(spec)))
        pending = Pending(spec, self.converting[path], lambda drawn: finish(self._store(path, drawn)))
        self.pending.append(pending)
        return pending

    def _lookup(self, spec: dict[str, Any]) -> tuple[Path, str | None]:
        """The entry of ``spec`` (noted as used) and its text when it is there."""
        import vl_convert

        assert self.folder is not None
        path = self.folder / f"{spec_key(spec, vl_convert.__version__)}{SUFFIX}"
        self.used.add(path)
        self.names.append(path.name)
        with contextlib.suppress(OSError, ValueError, EOFError, pickle.UnpicklingError):
            entry = unseal(path.read_bytes())  # sealed as every cache entry is: a damaged one is not read
            # with the name it was stored under: another chart's entry copied or swapped here is not this one's
            if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == path.name and isinstance(entry[1], str):
                self.reused += 1
                return path, entry[1]
        return path, None

    def finish(self) -> None:
        """Wait for every chart handed to the converter process (each is then stored in the cache)."""
        for pending in self.pending:
            pending.text()
        self.pending.clear()

    def recording(self, compute: Callable[[], T]) -> tuple[T, list[str]]:
        """``compute()`` and the names of the entries of the charts it drew. A cache that keeps the charts of a
        whole study (cache.StudyCache) stores the names with them and passes them to :meth:`keep` when it reuses
        them, so that pruning keeps those entries for the study's next change."""
        start = len(self.names)
        value = compute()
        return value, self.names[start:]

    def keep(self, names: list[str]) -> None:
        """Note the entries ``names`` as used by this build (charts reused from a cache of whole studies)."""
        if self.folder is not None:
            self.used.update(self.folder / name for name in names)

    def _store(self, path: Path, text: str) -> str:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(seal((path.name, text)))
            tmp.replace(path)
        except OSError:
            pass  # a read-only build folder: still correct, just not faster
        return text

    def summary(self) -> str:
        return f"charts: {self.converted} converted, {self.reused} from the cache"


class Pending:
    """A chart's SVG being converted by the converter process. :meth:`text` waits for it (once; if the process
    died, the chart is converted here); pickled, it is that text, so a cache of whole studies (cache.StudyCache)
    stores the SVG itself."""

    def __init__(self, spec: dict[str, Any], future: Future[str], finish: Callable[[str], str]) -> None:
        self.spec = spec
        self.future = future
        self.finish = finish
        self._text: str | None = None

    def text(self) -> str:
        if self._text is None:
            try:
                drawn = self.future.result()
            except BrokenProcessPool:  # the converter process died (killed, out of memory): convert it here
                converter_ended()
                drawn = _convert(self.spec)
            self._text = self.finish(drawn)
        return self._text

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        return str, (self.text(),)


def _convert(spec: dict[str, Any]) -> str:
    """vl-convert's SVG of ``spec`` (in the converter process)."""
    import vl_convert

    return vl_convert.vegalite_to_svg(spec)


def _warm_up() -> None:
    """The converter process's start: load vl-convert and start its engine (about 0.3 s), while the build is
    still reading and summarising. Ctrl-C reaches every process of the terminal's group: this one leaves it to the
    build process, which ends it (:func:`stop`), rather than printing a traceback of its own."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import vl_convert

    vl_convert.vegalite_to_svg({"data": {"values": []}, "mark": "point"})


_CONVERTER: ProcessPoolExecutor | None = None


_NO_CONVERTER = False  # a process could not be started here: charts are drawn in the build process


def _converter() -> ProcessPoolExecutor | None:
    """The converter processes (``CONVERTERS`` a build process, started at the first chart or by :func:`start`), or None
    where no process can be started (then charts are drawn in the build process, as before)."""
    global _CONVERTER, _NO_CONVERTER
    if _CONVERTER is None and not _NO_CONVERTER:
        try:
            _CONVERTER = ProcessPoolExecutor(CONVERTERS, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_warm_up)
        except (OSError, NotImplementedError):  # e.g. no semaphores in a sandbox
            _NO_CONVERTER = True
            return None
        atexit.register(_CONVERTER.shutdown, wait=False, cancel_futures=True)
    return _CONVERTER


def _reset_converter() -> None:
    global _CONVERTER
    _CONVERTER = None


def converter_ended() -> None:
    """The converter process ended before its charts were drawn: the rest are drawn in the build process (the
    same vl-convert, the same SVG), and the build says so once."""
    if _CONVERTER is not None:
        print("[build] WARNING: the chart converter process ended (killed, or out of memory); the remaining charts "
              "are drawn in the build process (the same charts, more slowly).", file=sys.stderr, flush=True)
    _reset_converter()


def stop() -> None:
    """End the converter processes now, whatever they are doing (a failed build: nothing they draw will be
    written; a build whose charts are all drawn: no need to wait for them to exit)."""
    global _CONVERTER
    if _CONVERTER is not None:
        for process in list((getattr(_CONVERTER, "_processes", None) or {}).values()):  # our own child
            process.terminate()
        # Waiting for the pool's manager thread (quick: its processes are ended) keeps the interpreter's exit from
        # waking that thread through a pipe it is closing meanwhile: "Exception ignored ... OSError: [Errno 9] Bad
        # file descriptor" on stderr after a build that succeeded, now and then (an outside tester).
        _CONVERTER.shutdown(wait=True, cancel_futures=True)
        _CONVERTER = None


def start() -> None:
    """Start the converter processes now (a build that will draw charts calls it first, so that the processes'
    imports and vl-convert's start-up overlap the reading and summarising)."""
    converter = _converter() if BACKGROUND else None
    if converter is not None:
        for _ in range(CONVERTERS):  # a job each: a pool starts a process for a job when none is idle
            converter.submit(int)


def precompile(templates: Path, folder: Path) -> None:
    """Have the converter process compile the page templates into the bytecode cache ``folder`` (a build's
    ``jinja/<code version>``; jinja_env.precompile) while this process imports, reads and summarises, before
    any chart is handed to it. The build loads each compiled template from there, or compiles it itself where it
    is not there yet (or where no converter process runs), so a build's pages do not depend on it."""
    converter = _converter() if BACKGROUND else None
    if converter is not None:
        converter.submit(_precompile, str(templates), str(folder))


def _precompile(templates: str, folder: str) -> int:
    """jinja_env.precompile in the converter process; a template that does not compile is left to the build,
    which reports it."""
    from .jinja_env import precompile as compile_templates

    try:
        return compile_templates(Path(templates), Path(folder))
    except Exception:  # any problem is the build's to find and report, with its own message
        return -1


_CURRENT: contextvars.ContextVar[SvgCache | None] = contextvars.ContextVar("svg_cache", default=None)


def current() -> SvgCache:
    """The cache made current by :func:`using`, or one that converts every chart."""
    return _CURRENT.get() or SvgCache(None)


@contextlib.contextmanager
def using(cache: SvgCache) -> Iterator[SvgCache]:
    """Charts drawn inside the ``with`` block are converted through ``cache``."""
    token = _CURRENT.set(cache)
    try:
        yield cache
    finally:
        _CURRENT.reset(token)
