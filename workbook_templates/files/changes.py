"""The cells a write changed, for the change report: :class:`CellChange` records, kept compact
in a :class:`ChangeLog`.

A first refresh of the large size changes 790 000 cells, every one listed in the JSON report.
Kept as one ``CellChange`` tuple and one cell-name string each, they held about 110 MB until
the report was written, at the end of the run where the memory peaks (issue 17). A
:class:`ChangeLog` keeps per changed cell its position packed in one machine integer and its old
and new value (objects the caller holds anyway): 24 bytes. It is an immutable sequence of
``CellChange``; each record (its cell name too) is made when it is read.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat
from typing import NamedTuple, overload

from workbook_templates.files.reader import col_letters, parse_cell

__all__ = ["CellChange", "ChangeLog", "ChangeLogBuilder"]


class CellChange(NamedTuple):
    """One cell a write changed: its old and new value (numbers as Decimal, text as str, a
    formula as ``"=…"``, an error value as its code, an empty cell as None)."""

    sheet: str
    cell: str
    old: object
    new: object


#: Excel's columns (16 384) fit below this; a position is ``row * _COLS + col - 1``.
_COLS = 1 << 14
_make = tuple.__new__  # CellChange without its Python-level constructor


class _Letters(dict[int, str]):
    """Column number → letters, each computed once."""

    def __missing__(self, col: int) -> str:
        letters = self[col] = col_letters(col)
        return letters


_LETTERS = _Letters()


class ChangeLog(Sequence[CellChange]):
    """An immutable sequence of :class:`CellChange`, in the order the cells were noted,
    stored as runs of one sheet each: the sheet's name once, then per cell its packed position
    (``array('q')``), old and new value. Equal to any list or tuple of the same records (a
    report compares them so), pickled compactly (a worker returns it, the run cache keeps
    it)."""

    __slots__ = ("_sheets", "_ends", "_at", "_old", "_new")

    def __init__(self, changes: Iterable[CellChange] = ()) -> None:
        self._sheets: list[str] = []
        self._ends: list[int] = []  # where each sheet's run ends (exclusive)
        self._at = array("q")
        self._old: list[object] = []
        self._new: list[object] = []
        for ch in changes:
            _append(self, ch.sheet, *parse_cell(ch.cell), ch.old, ch.new)

    @classmethod
    def join(cls, logs: Iterable[ChangeLog]) -> ChangeLog:
        """The logs one after the other, as one log."""
        out = cls()
        for log in logs:
            start = len(out._at)
            for sheet, end in zip(log._sheets, log._ends, strict=True):
                if out._sheets and out._sheets[-1] == sheet:
                    out._ends[-1] = start + end
                else:
                    out._sheets.append(sheet)
                    out._ends.append(start + end)
            out._at.extend(log._at)
            out._old.extend(log._old)
            out._new.extend(log._new)
        return out

    def __len__(self) -> int:
        return len(self._at)

    def _record(self, i: int, run: int) -> CellChange:
        r, c = divmod(self._at[i], _COLS)
        return _make(CellChange, (self._sheets[run], f"{_LETTERS[c + 1]}{r}", self._old[i],
                                  self._new[i]))

    @overload
    def __getitem__(self, i: int) -> CellChange: ...

    @overload
    def __getitem__(self, i: slice) -> ChangeLog: ...

    def __getitem__(self, i: int | slice) -> CellChange | ChangeLog:
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step != 1:
                return ChangeLog(self[k] for k in range(start, stop, step))
            return self._cut(start, max(start, stop))
        n = len(self._at)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("ChangeLog index out of range")
        return self._record(i, bisect.bisect_right(self._ends, i))

    def _cut(self, start: int, stop: int) -> ChangeLog:
        out = ChangeLog()
        begin = 0
        for sheet, end in zip(self._sheets, self._ends, strict=True):
            lo, hi = max(begin, start), min(end, stop)
            if lo < hi:
                out._sheets.append(sheet)
                out._ends.append(hi - start)
            begin = end
        out._at = self._at[start:stop]
        out._old = self._old[start:stop]
        out._new = self._new[start:stop]
        return out

    def __iter__(self) -> Iterator[CellChange]:
        for sheet, names, olds, news in self.runs(4096):
            yield from map(_make, repeat(CellChange), zip(repeat(sheet), names, olds, news))

    def runs(self, size: int) -> Iterator[tuple[str, list[str], list[object], list[object]]]:
        """The log in order as (sheet, cell names, old values, new values) of one sheet and at
        most ``size`` cells each: what a report renders, without a record per cell."""
        at, letters, cols = self._at, _LETTERS, _COLS
        begin = 0
        for sheet, end in zip(self._sheets, self._ends, strict=True):
            for lo in range(begin, end, size):
                hi = min(end, lo + size)
                names = [f"{letters[c + 1]}{r}" for r, c in (divmod(p, cols) for p in at[lo:hi])]
                yield sheet, names, self._old[lo:hi], self._new[lo:hi]
            begin = end

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ChangeLog):
            return (self._sheets == other._sheets and self._ends == other._ends
                    and self._at == other._at and self._old == other._old
                    and self._new == other._new)
        if isinstance(other, list | tuple):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other,
                                                                          strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ChangeLog({list(self)!r})"

    def __reduce__(self) -> tuple[object, ...]:
        return (_restore, (self._sheets, self._ends, self._at, self._old, self._new))


def _restore(sheets: list[str], ends: list[int], at: array, old: list[object],
             new: list[object]) -> ChangeLog:
    log = ChangeLog()
    log._sheets, log._ends, log._at, log._old, log._new = sheets, ends, at, old, new
    return log


def _open(log: ChangeLog, sheet: str) -> None:
    """The cells noted next are ``sheet``'s: a new run unless the last one is that sheet's."""
    if not log._sheets or log._sheets[-1] != sheet:
        log._sheets.append(sheet)
        log._ends.append(len(log._at))


def _append(log: ChangeLog, sheet: str, r: int, c: int, old: object, new: object) -> None:
    _open(log, sheet)
    log._at.append(r * _COLS + c - 1)
    log._old.append(old)
    log._new.append(new)
    log._ends[-1] += 1


class ChangeLogBuilder:
    """Notes one sheet's changed cells as the writer finds them, up to ``room`` of them (None:
    all); :attr:`log` is what was noted."""

    __slots__ = ("log", "room", "_sheet")

    def __init__(self, sheet: str, room: int | None) -> None:
        self.log = ChangeLog()
        self.room = room
        self._sheet = sheet

    def note(self, r: int, c: int, old: object, new: object) -> None:
        if self.room is None or self.room > 0:
            _append(self.log, self._sheet, r, c, old, new)
            if self.room is not None:
                self.room -= 1

    def note_new_row(self, r: int, cols: Sequence[int], values: Sequence[object]) -> None:
        """The cells of a row the sheet did not have (each was empty), as many as fit."""
        n = len(cols) if self.room is None else min(len(cols), self.room)
        if not n:
            return
        log = self.log
        _open(log, self._sheet)
        base = r * _COLS - 1
        log._at.extend([base + c for c in cols[:n]])
        log._old.extend([None] * n)
        log._new.extend(values[:n])
        log._ends[-1] += n
        if self.room is not None:
            self.room -= n
