"""A committee's read as the run cache keeps it (``refresh._read_committee``, issue 17).

Pickling a :class:`~workbook_templates.pipeline.loader.NamndInput` as it is costs most in its
tasks' amounts: some 6 000 ``Decimal`` objects per committee workbook, each pickled and
unpickled as a call of its own (0.47 s of a city's first refresh to save the reads, 0.26 s of
every night that reuses them). :func:`pack` keeps the tasks' amounts as one text instead,
``str`` of each amount (exact: sign, digits and exponent, ``-0.00`` too) and an empty field for
a blank, and :func:`unpack` gives back a read equal to the one packed, type for type
(``tests/test_read_cache.py``). A read whose tasks are not of the shape the loader makes is kept
as it is.
"""

from __future__ import annotations

from dataclasses import fields, replace
from decimal import Decimal

from engine.budget import Finansiering, Uppgift
from workbook_templates.pipeline.loader import NamndInput

__all__ = ["pack", "unpack"]

#: the layout of :func:`pack`'s record; a record of another layout is not this read
_LAYOUT = "tasks-as-text-1"

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


def pack(n: NamndInput) -> object:
    """What to pickle for the read ``n``: its tasks' amounts as one text (see the module
    docstring), or ``n`` itself when its tasks are not of the loader's shape."""
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
    # "," is in no str() of a Decimal; a blank is the empty field
    text = ",".join(["" if v is None else str(v) for v in flat])
    return (_LAYOUT, replace(n, uppgifter=[]), tuple(shape), len(flat), text)


def unpack(record: object) -> NamndInput | None:
    """The read :func:`pack` made ``record`` of, or None when ``record`` is no such thing."""
    if type(record) is NamndInput:
        return record
    if not (type(record) is tuple and len(record) == 5 and record[0] == _LAYOUT):
        return None
    _, n, shape, count, text = record
    if type(n) is not NamndInput or type(text) is not str:
        return None
    dec = Decimal
    texts = text.split(",") if count else []  # (not ``fields``: the dataclasses function)
    if len(texts) != count:
        return None
    try:
        flat = [dec(s) if s else None for s in texts]
        tasks = []
        i = 0
        for namn, namnd, finansiering, codes, lengths in shape:
            belopp = {}
            for code, k in zip(codes, lengths, strict=True):
                belopp[code] = tuple(flat[i:i + k])
                i += k
            tasks.append(Uppgift(namn, namnd, finansiering, belopp))
    except (ArithmeticError, ValueError, TypeError):  # a damaged record is no record
        return None
    if i != count:
        return None
    return replace(n, uppgifter=tasks)
