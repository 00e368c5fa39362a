"""The change log a write keeps for the report (issue 17: 790 000 changed cells in the large
size's first refresh, held as compact runs instead of one record and one cell name each)."""

from __future__ import annotations

import pickle
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from workbook_templates.files.changes import CellChange, ChangeLog, ChangeLogBuilder

_cells = st.tuples(st.sampled_from(["S", "T", "Blad 2"]), st.integers(1, 1_048_576),
                   st.integers(1, 16_384),
                   st.one_of(st.none(), st.text(max_size=3), st.decimals(allow_nan=False)),
                   st.one_of(st.none(), st.text(max_size=3), st.integers()))


def _record(sheet: str, r: int, c: int, old: object, new: object) -> CellChange:
    from workbook_templates.files.reader import cell_name

    return CellChange(sheet, cell_name(r, c), old, new)


@given(st.lists(_cells, max_size=30), st.integers(-35, 35), st.integers(-35, 35),
       st.sampled_from([None, 1, 2, -1]))
def test_the_log_is_the_list_of_its_records(cells: list, i: int, j: int, step: int | None) -> None:
    want = [_record(*c) for c in cells]
    log = ChangeLog(want)
    assert len(log) == len(want) and list(log) == want and log == want and log == tuple(want)
    assert list(reversed(log)) == want[::-1]
    if -len(want) <= i < len(want):
        assert log[i] == want[i]
    assert list(log[i:j:step]) == want[i:j:step] and log[i:j] == want[i:j]
    assert pickle.loads(pickle.dumps(log)) == log
    half = len(want) // 2
    assert ChangeLog.join([ChangeLog(want[:half]), ChangeLog(want[half:])]) == log
    assert ChangeLog.join([log[:half], log[half:]]) == want


@given(st.lists(_cells, max_size=30), st.sampled_from([None, 0, 1, 5, 100]))
def test_the_builder_keeps_as_many_as_there_is_room_for(cells: list, room: int | None) -> None:
    b = ChangeLogBuilder("S", room)
    for _, r, c, old, new in cells:
        b.note(r, c, old, new)
    want = [_record("S", r, c, old, new) for _, r, c, old, new in cells]
    assert list(b.log) == (want[:room] if room is not None else want)
    assert b.room == (None if room is None else max(0, room - len(cells)))


def test_a_new_row_is_noted_as_its_cells_one_by_one() -> None:
    one, row = ChangeLogBuilder("S", 3), ChangeLogBuilder("S", 3)
    for c, v in ((2, Decimal(1)), (3, "a"), (5, Decimal(2))):
        one.note(7, c, None, v)
    row.note_new_row(7, [2, 3, 5, 6], [Decimal(1), "a", Decimal(2), "b"])
    assert row.log == one.log == [CellChange("S", "B7", None, Decimal(1)),
                                  CellChange("S", "C7", None, "a"),
                                  CellChange("S", "E7", None, Decimal(2))]
    assert row.room == 0


def test_hand_computed_positions_and_sheets() -> None:
    log = ChangeLog([CellChange("A", "XFD1048576", 1, 2), CellChange("A", "A1", None, 3),
                     CellChange("B", "AA10", "x", None)])
    assert [c.cell for c in log] == ["XFD1048576", "A1", "AA10"]
    assert [c.sheet for c in log] == ["A", "A", "B"] and log[-1] == ("B", "AA10", "x", None)
    assert log != [] and ChangeLog() == [] and ChangeLog() == () and not ChangeLog()
