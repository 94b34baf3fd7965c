"""What the live preview keeps in memory between saves, keyed by content: the parsed YAML files, the parsed CSV
tables and the checked columns whose inputs did not change (preview.py).

Each entry's key is everything its value is computed from (the file's bytes and name; a column's cells, row
numbers, contract and allowed codes), compared exactly, never by a hash alone, so an entry is served only
for the same inputs. Values go out as copies: a caller may change what it gets without changing the entry.
Outside :func:`keeping` (every build but the preview's) nothing is kept and every value is computed.

After each successful regeneration the entries it did not use are dropped (:meth:`Memo.sweep`): the memory
held is that of the current inputs, not of every version saved while serving.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


# What one preview keeps at most, in bytes of the files read (a column counts ``CELL_BYTES`` a cell): a library of
# large studies is kept only in part (the rest is computed each save), so the preview's memory stays bounded.
BUDGET = 256_000_000
CELL_BYTES = 64


class Memo:
    """One preview's entries: (layer, key) -> value, and the keys used since the last sweep."""

    def __init__(self, budget: int = BUDGET) -> None:
        self.entries: dict[tuple[str, Hashable], Any] = {}
        self.sizes: dict[tuple[str, Hashable], int] = {}
        self.budget = budget
        self.used: set[tuple[str, Hashable]] = set()
        self.hits = 0  # values served from ``entries`` in the current (or last) regeneration
        self.misses = 0

    def get(self, layer: str, key: Hashable, compute: Callable[[], T], size: int = 0) -> T:
        entry = (layer, key)
        try:
            hash(entry)
        except TypeError:  # a key that cannot be compared (cells holding lists): computed, not kept
            return compute()
        if entry in self.entries:
            self.used.add(entry)
            self.hits += 1
            return self.entries[entry]  # type: ignore[no-any-return]
        self.misses += 1
        value = compute()
        if sum(self.sizes.values()) + size <= self.budget:  # else computed each time: memory stays bounded
            self.used.add(entry)
            self.entries[entry] = value
            self.sizes[entry] = size
        return value

    def sweep(self) -> None:
        """Drop the entries not used since the last sweep."""
        for entry in set(self.entries) - self.used:
            del self.entries[entry]
            del self.sizes[entry]
        self.used.clear()


_CURRENT: list[Memo] = []  # the memo of the regeneration under way (at most one: the preview's build thread)


@contextlib.contextmanager
def keeping(memo: Memo) -> Iterator[Memo]:
    """While a preview regenerates: ``kept`` reads and fills ``memo``; swept after a successful run only (a
    failed one keeps every entry for the next attempt)."""
    memo.hits = memo.misses = 0  # counted per regeneration
    _CURRENT.append(memo)
    try:
        yield memo
    finally:
        _CURRENT.remove(memo)
    memo.sweep()


def kept(layer: str, key: Hashable, compute: Callable[[], T], copy: Callable[[T], T], size: int = 0) -> T:
    """``compute()``, or, while a preview regenerates, a ``copy`` of the value kept for ``(layer, key)``
    (computed and kept the first time, while the kept entries' ``size``, in bytes, stays within the budget)."""
    if not _CURRENT:
        return compute()
    return copy(_CURRENT[-1].get(layer, key, compute, size))


def same(value: T) -> T:
    """The ``copy`` of a value nothing changes (immutable, or only read)."""
    return value


def series_key(cells: Any) -> tuple[Any, ...]:
    """A pandas Series' content as a key: its name, type, row labels and values (missing cells as one marker:
    pandas' NA is one object, so equal keys mean equal cells)."""
    return (cells.name, str(cells.dtype), tuple(cells.index.tolist()), tuple(cells.tolist()))
