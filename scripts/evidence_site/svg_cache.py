"""Chart SVGs cached by content under build/cache/svg/, so that only a chart whose specification changed is
converted again.

An entry's name is a hash of the exact Vega-Lite specification (its JSON with sorted keys, the data included)
and of vl-convert's version: a changed spec or a new vl-convert gives a new name, so an old SVG is never served
for a new spec. vl-convert is the only thing between the spec and the SVG (no options are passed). Every entry a
build reads or stores is noted in ``used``; after a successful build, ``cache.prune`` removes the others.

``charts.to_svg`` converts through the cache that :func:`using` made current (none by default: every chart is
converted, as in tests of single charts).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
FOLDER = "svg"  # under build/cache/
SUFFIX = ".svg"


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

    def svg(self, spec: dict[str, Any]) -> str:
        import vl_convert  # cheap to import; its engine starts at the first conversion

        if self.folder is None:
            self.converted += 1
            return vl_convert.vegalite_to_svg(spec)
        path = self.folder / f"{spec_key(spec, vl_convert.__version__)}{SUFFIX}"
        self.used.add(path)
        self.names.append(path.name)
        with contextlib.suppress(OSError, UnicodeDecodeError):
            text = path.read_bytes().decode("utf-8")
            if text.rstrip().endswith("</svg>"):  # entries are written whole (renamed into place)
                self.reused += 1
                return text
        text = vl_convert.vegalite_to_svg(spec)
        self.converted += 1
        self._store(path, text)
        return text

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

    def _store(self, path: Path, text: str) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(text.encode("utf-8"))
            tmp.replace(path)
        except OSError:
            pass  # a read-only build folder: still correct, just not faster

    def summary(self) -> str:
        return f"charts: {self.converted} converted, {self.reused} from the cache"


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
