"""The cyclic garbage collector held off while the engine builds its results, and while the
loader reads a workbook (issue 17).

The engine allocates hundreds of thousands of small objects that never form reference cycles
(tuples of Decimals, frozen dataclasses, findings). Each allocation burst lets Python's cyclic
collector run, and its full collections walk every live object of the process: on the large
size (10 000 units) that was about a quarter of the engine's time, for nothing to collect.
:func:`without_gc_pauses` keeps the collector off for the duration of one engine call and turns
it back on (only if it was on); reference counting frees memory as usual, and anything cyclic is
collected by the next collection after the call. Results and findings do not depend on it.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__ = ["without_gc_pauses"]

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
            gc.enable()

    return wrapper
