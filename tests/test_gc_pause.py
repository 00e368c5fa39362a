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


def test_freezing_survivors_freezes_what_a_paused_call_leaves_and_unfreezes_at_the_end() -> None:
    import weakref

    from engine.gc_pause import freeze_now, freezing_survivors

    class Node:
        pass

    @without_gc_pauses
    def make_cycle() -> weakref.ref:
        a, b = Node(), Node()
        a.other, b.other = b, a  # garbage as soon as this returns, only the collector frees it
        return weakref.ref(a)

    gc.collect()
    assert gc.get_freeze_count() == 0
    freeze_now()  # outside freezing_survivors: nothing
    assert gc.get_freeze_count() == 0
    with freezing_survivors():
        with freezing_survivors():  # a second run at the same time
            cycle = make_cycle()
            assert gc.get_freeze_count() > 0
            gc.collect()
            assert cycle() is not None  # frozen: not scanned, not collected
        assert gc.get_freeze_count() > 0  # the other run is still under way
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert cycle() is None  # collected as usual once the runs have ended


def test_without_freezing_survivors_a_paused_call_freezes_nothing() -> None:
    _state()
    assert gc.get_freeze_count() == 0
