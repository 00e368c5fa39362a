"""engine.gc_pause: the collector is off during an engine call and back as it was after it."""

from __future__ import annotations

import gc

import pytest

from engine.gc_pause import without_gc_pauses


@without_gc_pauses
def _state(fail: bool = False) -> bool:
    if fail:
        raise ValueError("x")
    return gc.isenabled()


def test_off_during_the_call_and_on_again_after_it_also_after_an_error() -> None:
    assert gc.isenabled()
    assert _state() is False
    assert gc.isenabled()
    with pytest.raises(ValueError):
        _state(fail=True)
    assert gc.isenabled()


def test_a_caller_that_turned_it_off_keeps_it_off() -> None:
    gc.disable()
    try:
        assert _state() is False
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_nested_engine_calls_leave_it_to_the_outermost() -> None:
    @without_gc_pauses
    def outer() -> bool:
        _state()
        return gc.isenabled()

    assert outer() is False
    assert gc.isenabled()
