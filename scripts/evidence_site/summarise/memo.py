"""Frames derived from one study, computed once while that study is summarised.

Several summaries need the same per-patient frames (the outcomes at a week, the week each patient stopped,
the visits of a week). Inside ``one_study(study)`` a function decorated with ``per_study`` returns the frame it
made for the same study and arguments the first time; outside, or for another study, it computes afresh. The
memo lives only as long as the outermost ``one_study`` block, so nothing carries over from one study (or one
build) to the next. A memoised frame is shared: callers read it and never modify it in place.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from ..validate import Study

T = TypeVar("T")

# The study being summarised and its memo: (function, arguments) -> result.
_ACTIVE: ContextVar[tuple[Study, dict[tuple[Callable[..., Any], tuple[Hashable, ...]], Any]] | None] = ContextVar(
    "summary_memo", default=None)


@contextmanager
def one_study(study: Study) -> Iterator[None]:
    """Within this block, ``per_study`` functions of ``study`` compute each result once (nested blocks for the
    same study share the memo)."""
    active = _ACTIVE.get()
    if active is not None and active[0] is study:
        yield
        return
    token = _ACTIVE.set((study, {}))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def per_study(func: Callable[..., T]) -> Callable[..., T]:
    """``func(study, *args)`` (hashable args), memoised inside ``one_study(study)``."""

    @functools.wraps(func)
    def wrapper(study: Study, *args: Hashable) -> T:
        active = _ACTIVE.get()
        if active is None or active[0] is not study:
            return func(study, *args)
        memo = active[1]
        key = (func, args)
        if key not in memo:
            memo[key] = func(study, *args)
        return memo[key]

    return wrapper


def summary(producer: Callable[[Study], T]) -> Callable[[Study], T]:
    """A producer that shares one memo across everything it computes for a study (and with the producers
    around it, when ``summarise`` already opened the block)."""

    @functools.wraps(producer)
    def wrapper(study: Study) -> T:
        with one_study(study):
            return producer(study)

    return wrapper
