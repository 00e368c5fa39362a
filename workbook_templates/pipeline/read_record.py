"""A committee's read as the run cache keeps it (``refresh._read_committee``, issue 17).

Pickling a :class:`~workbook_templates.pipeline.loader.NamndInput` as it is costs most in its
tasks' amounts: some 6 000 ``Decimal`` objects per committee workbook, each pickled and
unpickled as a call of its own (0.47 s of a city's first refresh to save the reads, 0.26 s of
every night that reuses them). :func:`pack` keeps the tasks' amounts as one text instead,
``str`` of each amount (exact: sign, digits and exponent, ``-0.00`` too) and an empty field for
a blank, and :func:`unpack` gives back a read equal to the one packed, type for type
(``tests/test_read_cache.py``). A read whose tasks are not of the shape the loader makes is kept
as it is.

The outturn rows (:class:`~engine.uppfoljning.PostUtfall`, about a thousand per committee) and
the locations of the task rows (``rader``) are kept as columns the same way (session 18): their
names, codes and cells as lists, their amounts as one text, and each location's workbook,
sheet and table once per distinct triple. Pickled as objects, each row and each location was a
call of its own when saved (``__reduce__``): 0.12 s of a city's first refresh to save the
reads, 0.05 s now, and a record 40 % smaller. Rows of any other shape are kept as they are.
"""

from __future__ import annotations

from dataclasses import fields, replace
from decimal import Decimal

from engine.budget import Finansiering, Uppgift
from engine.findings import Location
from engine.uppfoljning import PostUtfall
from workbook_templates.files.reader import _slot_setters
from workbook_templates.pipeline.loader import NamndInput

__all__ = ["pack", "unpack"]

#: the layout of :func:`pack`'s record; a record of another layout is not this read
_LAYOUT = "tasks-as-text-2"

#: the fields of an outturn row and of a location that a record keeps; a class with any other
#: field (added later) is kept as it is, never packed without it
_ROW_FIELDS = ("objekt", "kod", "utfall", "prognos", "location")
_LOCATION_FIELDS = ("workbook", "sheet", "cell", "table")
_SET_ROW = _slot_setters(PostUtfall, _ROW_FIELDS)
_SET_LOCATION = _slot_setters(Location, _LOCATION_FIELDS)

_Shape = tuple[str, str, Finansiering, tuple[str, ...], tuple[int, ...]]

#: the fields of a task that a record keeps; a task with any other (a field added to
#: :class:`Uppgift` later) is kept as it is, never packed without it
_TASK_FIELDS = ("namn", "namnd", "finansiering", "belopp")


def _packable(n: NamndInput) -> bool:
    """Whether every task is an :class:`Uppgift` whose amounts are a dict of tuples of
    ``Decimal`` or ``None`` (what the loader makes; names and codes are kept apart from the
    text, so any text is fine in them)."""
    if type(n) is not NamndInput or type(n.uppgifter) is not list \
            or tuple(f.name for f in fields(Uppgift)) != _TASK_FIELDS:
        return False
    for u in n.uppgifter:
        if type(u) is not Uppgift or type(u.belopp) is not dict \
                or type(u.finansiering) is not Finansiering \
                or type(u.namn) is not str or type(u.namnd) is not str:
            return False
        for code, vals in u.belopp.items():
            if type(code) is not str or type(vals) is not tuple:
                return False
            for v in vals:
                if v is not None and type(v) is not Decimal:
                    return False
    return True


def _amounts_text(values: list[Decimal | None]) -> str:
    # "," is in no str() of a Decimal; a blank is the empty field
    return ",".join(["" if v is None else str(v) for v in values])


def _amounts(text: str, count: int) -> list[Decimal | None] | None:
    """The amounts :func:`_amounts_text` made ``text`` of (None: not ``count`` of them)."""
    texts = text.split(",") if count else []
    if len(texts) != count:
        return None
    dec = Decimal
    return [dec(s) if s else None for s in texts]


def _plain_location(loc: object) -> bool:
    return type(loc) is Location and all(
        v is None or type(v) is str for v in (loc.workbook, loc.sheet, loc.cell, loc.table))


def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _pack_locations(locations: list[Location | None]) -> tuple[object, ...] | None:
    """Locations as (the distinct (workbook, sheet, table) triples, each location's triple
    by its index or -1 for None, each location's cell); None when one is of another shape."""
    if _field_names(Location) != _LOCATION_FIELDS:
        return None
    places: dict[tuple[str | None, str | None, str | None], int] = {}
    where: list[int] = []
    cells: list[str | None] = []
    for loc in locations:
        if loc is None:
            where.append(-1)
            cells.append(None)
            continue
        if not _plain_location(loc):
            return None
        where.append(places.setdefault((loc.workbook, loc.sheet, loc.table), len(places)))
        cells.append(loc.cell)
    return tuple(places), where, cells


def _unpack_locations(packed: tuple[object, ...]) -> list[Location | None]:
    places, where, cells = packed
    if len(where) != len(cells):  # type: ignore[arg-type]
        raise ValueError("a damaged record")
    out: list[Location | None] = []
    append = out.append
    if _SET_LOCATION is None:  # pragma: no cover - Location has changed: its constructor
        for i, cell in zip(where, cells, strict=True):  # type: ignore[call-overload]
            append(None if i < 0 else Location(places[i][0], places[i][1], cell, places[i][2]))
        return out
    set_workbook, set_sheet, set_cell, set_table = _SET_LOCATION
    new = object.__new__
    for i, cell in zip(where, cells, strict=True):  # type: ignore[call-overload]
        if i < 0:
            append(None)
            continue
        workbook, sheet, table = places[i]  # type: ignore[index]
        loc = new(Location)
        set_workbook(loc, workbook)
        set_sheet(loc, sheet)
        set_cell(loc, cell)
        set_table(loc, table)
        append(loc)
    return out


def _pack_rows(rows: object) -> tuple[object, ...] | None:
    """The outturn rows as columns (see the module docstring); None when they are not a list
    of :class:`PostUtfall` of the loader's shape."""
    if type(rows) is not list or _field_names(PostUtfall) != _ROW_FIELDS:
        return None
    amounts: list[Decimal | None] = []
    for r in rows:
        if type(r) is not PostUtfall or type(r.objekt) is not str or type(r.kod) is not str:
            return None
        for v in (r.utfall, r.prognos):
            if v is not None and type(v) is not Decimal:
                return None
            amounts.append(v)
    locations = _pack_locations([r.location for r in rows])
    if locations is None:
        return None
    return ([r.objekt for r in rows], [r.kod for r in rows], _amounts_text(amounts),
            locations)


def _unpack_rows(packed: tuple[object, ...]) -> list[PostUtfall]:
    objekts, kods, text, locations = packed
    count = len(objekts)  # type: ignore[arg-type]
    amounts = _amounts(text, 2 * count)  # type: ignore[arg-type]
    locs = _unpack_locations(locations)  # type: ignore[arg-type]
    if amounts is None or len(kods) != count or len(locs) != count:  # type: ignore[arg-type]
        raise ValueError("a damaged record")
    if _SET_ROW is None:  # pragma: no cover - PostUtfall has changed: its constructor
        return [PostUtfall(o, k, amounts[2 * i], amounts[2 * i + 1], loc)
                for i, (o, k, loc) in enumerate(zip(objekts, kods, locs, strict=True))]
    set_objekt, set_kod, set_utfall, set_prognos, set_location = _SET_ROW
    new = object.__new__
    out = []
    append = out.append
    for i, (o, k, loc) in enumerate(zip(objekts, kods, locs, strict=True)):  # type: ignore
        r = new(PostUtfall)
        set_objekt(r, o)
        set_kod(r, k)
        set_utfall(r, amounts[2 * i])
        set_prognos(r, amounts[2 * i + 1])
        set_location(r, loc)
        append(r)
    return out


def _pack_places(rader: object) -> tuple[object, ...] | None:
    """``rader`` ({(task, line code): Location}) as columns; None when of another shape."""
    if type(rader) is not dict:
        return None
    for key in rader:
        if type(key) is not tuple or len(key) != 2 or type(key[0]) is not str \
                or type(key[1]) is not str:
            return None
    locations = _pack_locations(list(rader.values()))
    if locations is None or -1 in locations[1]:  # type: ignore[operator]
        return None
    return [k[0] for k in rader], [k[1] for k in rader], locations


def _unpack_places(packed: tuple[object, ...]) -> dict[tuple[str, str], Location]:
    tasks, codes, locations = packed
    locs = _unpack_locations(locations)  # type: ignore[arg-type]
    if not (len(tasks) == len(codes) == len(locs)):  # type: ignore[arg-type]
        raise ValueError("a damaged record")
    return dict(zip(zip(tasks, codes, strict=True), locs, strict=True))  # type: ignore[arg-type]


def pack(n: NamndInput) -> object:
    """What to pickle for the read ``n``: its tasks' amounts as one text, its outturn rows and
    row locations as columns (see the module docstring), or ``n`` itself when its tasks are not
    of the loader's shape (rows or locations of another shape are kept as they are)."""
    if not _packable(n):
        return n
    shape: list[_Shape] = []
    flat: list[Decimal | None] = []
    for u in n.uppgifter:
        lengths = []
        for vals in u.belopp.values():
            lengths.append(len(vals))
            flat.extend(vals)
        shape.append((u.namn, u.namnd, u.finansiering, tuple(u.belopp), tuple(lengths)))
    rows, places = _pack_rows(n.utfall), _pack_places(n.rader)
    bare = replace(n, uppgifter=[], **({} if rows is None else {"utfall": []}),
                   **({} if places is None else {"rader": {}}))
    return (_LAYOUT, bare, tuple(shape), len(flat), _amounts_text(flat), rows, places)


def unpack(record: object) -> NamndInput | None:
    """The read :func:`pack` made ``record`` of, or None when ``record`` is no such thing."""
    if type(record) is NamndInput:
        return record
    if not (type(record) is tuple and len(record) == 7 and record[0] == _LAYOUT):
        return None
    _, n, shape, count, text, rows, places = record
    if type(n) is not NamndInput or type(text) is not str:
        return None
    changed: dict[str, object] = {}
    try:
        flat = _amounts(text, count)
        if flat is None:
            return None
        if rows is not None:
            changed["utfall"] = _unpack_rows(rows)
        if places is not None:
            changed["rader"] = _unpack_places(places)
        tasks = []
        i = 0
        for namn, namnd, finansiering, codes, lengths in shape:
            belopp = {}
            for code, k in zip(codes, lengths, strict=True):
                belopp[code] = tuple(flat[i:i + k])
                i += k
            tasks.append(Uppgift(namn, namnd, finansiering, belopp))
    except (ArithmeticError, ValueError, TypeError, IndexError):  # a damaged record: none
        return None
    if i != count:
        return None
    return replace(n, uppgifter=tasks, **changed)
