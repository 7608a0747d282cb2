"""Pausing Python's cyclic garbage collector while a large, long-lived object graph is built.

Reading a big export and planning it allocate millions of small objects (dicts, dataclasses,
strings) that all live until the command ends. CPython's collector runs a young-generation pass
every 700 net allocations and, from time to time, a full pass over every tracked object; with a
graph that keeps growing, those passes grew faster than the input (measured with
``benchmarks.plan_scale``: at 10,000 VMs a third of reading + planning CPU time was the collector,
and per tenfold size that CPU time grew 18.6 times rather than 10). JSON data, the model and the
plan hold no reference cycles (what they drop is freed by reference counting), so the collector is
paused for the call and resumed as it was afterwards; cyclic garbage made meanwhile, if any, is
found by the next ordinary collection, in one pass. This changes no result, only when memory held
by cycles is given back.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block; re-enable it afterwards only if it was enabled.

    Nothing is frozen on the way out (``gc.freeze``): in a process that goes on (tests, a library
    caller), any object alive at that moment that became cyclic garbage later would never be freed
    (the reliability matrix's generated inputs, thousands of ``detect`` runs in one process, nearly
    doubled its peak memory that way). The executable's ``detect`` instead
    keeps the collector off for its whole short life (:mod:`natmigrate.cli.launch`).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def without_collector(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run inside :func:`collector_paused` (for the bulk builders: reading and planning)."""

    @functools.wraps(fn)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        with collector_paused():
            return fn(*args, **kwargs)

    return paused
