"""The cyclic garbage collector held off while the engine builds its results, and while the
loader reads a workbook (issue 17).

The engine allocates hundreds of thousands of small objects that never form reference cycles
(tuples of Decimals, frozen dataclasses, findings). Each allocation burst lets Python's cyclic
collector run, and its full collections walk every live object of the process: on the large
size (10 000 units) that was about a quarter of the engine's time, for nothing to collect.
:func:`without_gc_pauses` keeps the collector off for the duration of one engine call and turns
it back on (only if it was on); reference counting frees memory as usual, and anything cyclic is
collected by the next collection after the call. Results and findings do not depend on it.

Inside :func:`freezing_survivors` (a batch refresh, which keeps what it reads until it ends),
what is alive when a paused call returns is moved to the collector's permanent generation
(``gc.freeze``) instead of being scanned by the young collections that the call's allocations
would set off at once: the objects the loader reads were otherwise scanned twice more (young,
then middle generation) for nothing to collect, about 7 % of a city refresh. When the last
``freezing_survivors`` ends, ``gc.unfreeze`` hands everything back to the oldest generation, so
anything cyclic left in between is collected as usual afterwards.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import threading
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

__all__ = ["freeze_now", "freezing_survivors", "without_gc_pauses"]

P = ParamSpec("P")
R = TypeVar("R")


def without_gc_pauses(func: Callable[P, R]) -> Callable[P, R]:
    """``func`` with the cyclic collector off while it runs (see the module docstring)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():  # off already (by the caller, or an enclosing engine call)
            return func(*args, **kwargs)
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if _FREEZING[0]:
                gc.freeze()
            gc.enable()

    return wrapper


@contextlib.contextmanager
def freezing_survivors() -> Iterator[None]:
    """While it lasts, paused calls freeze what survives them (see the module docstring);
    nestable and shared by runs in several threads: the last to end unfreezes."""
    with _FREEZE_LOCK:
        _FREEZING[0] += 1
    try:
        yield
    finally:
        with _FREEZE_LOCK:
            _FREEZING[0] -= 1
            if _FREEZING[0] == 0:
                gc.unfreeze()


def freeze_now() -> None:
    """Freeze what is alive now, inside :func:`freezing_survivors` only (else nothing)."""
    if _FREEZING[0]:
        gc.freeze()


_FREEZE_LOCK = threading.Lock()
#: [freezing_survivors under way]
_FREEZING: list[int] = [0]
