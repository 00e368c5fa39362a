"""What Excel hands a UDF, turned into engine input (and back).

xlwings gives a UDF a scalar for one cell, a 1-D list for a row or column (unless ``ndim=2``), a
2-D list for a block, ``None`` for blanks and, with ``err_to_str=True``, error values as strings
(``"#REF!"``). Two COM shapes pass xlwings unchanged and are adapted here (:func:`from_com`):
the error values xlwings has no name for (``#SPILL!``, ``#CALC!``, … arrive as their integer
codes) and the missing-argument marker. Amounts are then read by THE parser shared with the
workbook loader, :func:`engine.input_hygiene.read_amount`; this module only words its verdict for
an Excel argument. Bad input raises :class:`UdfInputError` with a Swedish message naming the
argument and position; :func:`addin.excel_function.kb_function` turns that into the ``#KB: ...``
string the function returns. Nothing here knows the domain beyond "an amount".
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from itertools import chain

from engine.input_hygiene import EXCEL_ERRORS as _HYGIENE_ERRORS
from engine.input_hygiene import AmountProblem, excel_error, read_amount
from engine.money import MoneyError, cents_to_money, floats_to_cents, to_money
from engine.svenska import antal

__all__ = [
    "EXCEL_ERRORS",
    "UdfInputError",
    "as_column",
    "as_matrix",
    "currency_as_doubles",
    "from_com",
    "kb_error",
    "to_excel",
]

#: Excel's error values (also their Swedish/Finnish forms are recognised by
#: :func:`engine.input_hygiene.excel_error`); one list, kept in the engine's input hygiene.
EXCEL_ERRORS = frozenset(_HYGIENE_ERRORS)


#: COM's marker for an omitted optional argument (DISP_E_PARAMNOTFOUND).
COM_MISSING = -2147352572
#: An Excel error value reaches Python through COM as 0x800A0000 + its xlErr code (signed).
_XL_ERR_BASE = -2146828288
_XL_ERRORS = {
    2000: "#NULL!", 2007: "#DIV/0!", 2015: "#VALUE!", 2023: "#REF!", 2029: "#NAME?",
    2036: "#NUM!", 2042: "#N/A", 2043: "#GETTING_DATA", 2045: "#SPILL!", 2046: "#CONNECT!",
    2047: "#BLOCKED!", 2048: "#UNKNOWN!", 2049: "#FIELD!", 2050: "#CALC!", 2051: "#BUSY!",
}


#: The types :func:`from_com` returns as they are.
_AS_THEY_ARE = frozenset({float, str, type(None)})
_LISTS = frozenset({list, tuple})
_ONE = frozenset({1})
_FLOAT_ONLY = frozenset({float})
_TEXTS = frozenset({str})
#: Cell types that are never an Excel error value.
_NEVER_ERRORS = frozenset({float, type(None)})
#: Cell types that are an error value only as a text starting with "#".
_NUMBERS_AND_TEXTS = frozenset({float, str, type(None)})


def from_com(value: object) -> object:
    """A value as COM may hand it, in the shapes the parsers know (recursively for lists).

    Excel passes numbers as doubles, so an ``int`` in the error range is an error value
    (xlwings names only the seven classic ones) — it must never be read as a number; the
    missing-argument marker becomes ``None``. Everything else is returned as it is.
    """
    t = type(value)
    if t is float or t is str or value is None:  # what Excel hands most often: as it is
        return value
    if isinstance(value, (list, tuple)):
        if _AS_THEY_ARE.issuperset(map(type, value)):  # a row of numbers, texts, blanks
            return list(value)
        if _LISTS.issuperset(map(type, value)):
            kinds = frozenset(map(type, chain.from_iterable(value)))
            if kinds <= _AS_THEY_ARE:  # a range of numbers, texts, blanks: its rows, once
                rows = Rows(map(tuple, value))  # (rows never changed: tuples, as COM hands)
                rows.kinds = kinds
                return rows
        return [from_com(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        if value == COM_MISSING:
            return None
        if _XL_ERR_BASE <= value < _XL_ERR_BASE + 0x10000:
            return _XL_ERRORS.get(value - _XL_ERR_BASE, "#UNKNOWN!")
    return value


def currency_as_doubles(value: object, value2: Callable[[], object]) -> object:
    """``value`` as Excel's ``Range.Value`` handed it, with every ``Decimal`` replaced by the
    cell's double from ``value2()`` (``Range.Value2``, read only when a Decimal is there).

    ``Value`` hands a cell formatted as currency or accounting as a COM Currency, which pywin32
    makes a Decimal rounded to four decimals (xlwings issues #65, #640); rounding that again to
    cents can be a cent off what Excel shows and rounds (0.114951 → 0.1150 → 0.12, where
    ``ROUND(…;2)`` and the batch refresh give 0.11). ``Value2`` has no Currency type: it hands
    the double. It also hands dates as serial numbers, so only the Decimal cells are taken from
    it. ``value`` is a scalar or rows (tuples or lists); the shape is kept."""
    if type(value) is Decimal:
        v2 = value2()
        return v2 if isinstance(v2, float) else value
    if not isinstance(value, (list, tuple)):
        return value
    rows = value if value and isinstance(value[0], (list, tuple)) else None
    cells = chain.from_iterable(rows) if rows is not None else value
    if not any(type(v) is Decimal for v in cells):
        return value
    v2 = value2()
    grid2 = v2 if isinstance(v2, (list, tuple)) else ((v2,),)
    if rows is None:  # one row or column as a flat list: Value2 gives rows
        flat2 = list(chain.from_iterable(r if isinstance(r, (list, tuple)) else (r,)
                                         for r in grid2))
        return type(value)(_double(v, flat2, i) for i, v in enumerate(value))
    return type(value)(type(row)(_double(v, grid2[i] if i < len(grid2) else (), j)
                                 for j, v in enumerate(row)) for i, row in enumerate(rows))


def _double(v: object, row2: Sequence[object], j: int) -> object:
    if type(v) is not Decimal or j >= len(row2):
        return v
    d = row2[j]
    return d if isinstance(d, float) else v


class UdfInputError(ValueError):
    """Bad UDF input; ``str()`` is the Swedish message for the ``#KB:`` result."""


def kb_error(message: str) -> str:
    return f"#KB: {message}"


class Rows(list):
    """An argument made rows once (by :func:`rows_of`, or by :func:`from_com` for a range of
    numbers, texts and blanks); the functions here that take an argument take it as it is (a
    function checks, then shapes, the same argument). Never changed once made."""

    #: the types of its cells when :func:`from_com` saw them all (None: not known), so that
    #: the checks of the same argument need not look at every cell again
    kinds: frozenset[type] | None = None


def kinds_of(value: object) -> frozenset[type] | None:
    """The types of an argument's cells when :func:`from_com` saw them all (its rows are then
    tuples), else None."""
    return value.kinds if type(value) is Rows else None


def rows_of(value: object) -> Rows:
    """Any Excel argument as a list of rows, for :func:`check_errors`, :func:`as_column` and
    :func:`as_matrix` to share."""
    return value if type(value) is Rows else Rows(_rows(value))


def _rows(value: object) -> list[list[object]]:
    """Any Excel argument as a list of rows."""
    if type(value) is Rows:
        return value
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        if not value:
            return []
        if _LISTS.issuperset(map(type, value)) or all(isinstance(v, (list, tuple))
                                                       for v in value):
            return [list(v) for v in value]
        return [[v] for v in value]  # a 1-D list is one column
    return [[value]]


def as_column(value: object, name: str) -> list[object]:
    """A single column (or row) range as a flat list."""
    rows = _rows(value)
    if not rows:
        return []
    if set(map(len, rows)) == _ONE:
        return [r[0] for r in rows]
    if len(rows) == 1:
        return list(rows[0])
    raise UdfInputError(f"{name} ska vara en kolumn, inte {len(rows)}×{len(rows[0])} celler")


def as_matrix(value: object, n_rows: int, name: str) -> list[list[object]]:
    """An amounts range as ``n_rows`` rows × year columns. A single row of ``n_rows`` values
    (a 1-D list) is read as one year column."""
    rows = _rows(value)
    if len(rows) == 1 and n_rows != 1 and len(rows[0]) == n_rows:
        rows = [[v] for v in rows[0]]
    if len(rows) != n_rows:
        raise UdfInputError(
            f"{name} har {antal(len(rows), 'rad')} men radbeteckningarna {n_rows}; markera lika "
            "många rader"
        )
    widths = set(map(len, rows))
    if len(widths) > 1:
        raise UdfInputError(f"{name}: raderna har olika antal kolumner")
    return rows


def amount_or_problem(value: object) -> Decimal | AmountProblem | None:
    """:func:`engine.input_hygiene.read_amount` of an Excel argument value (text refused, also
    a number stored as text, as in the workbook loader)."""
    return read_amount(from_com(value))


def amount(value: object, where: str, *, required: bool = False) -> Decimal | None:
    """One amount cell: ``None`` for a blank (refused if ``required``), exact cents for a
    number; error values, text, booleans, dates raise :class:`UdfInputError` naming ``where``."""
    read = amount_or_problem(value)
    if isinstance(read, AmountProblem):
        raise UdfInputError(f"{where}: {read.text()}")
    if read is None and required:
        raise UdfInputError(f"{where}: cellen är tom; fyll i ett belopp (0 om inget)")
    return read


def number(value: object, where: str) -> Decimal | None:
    """One key-figure cell (e.g. inhabitants): ``None`` for a blank, the number at the precision
    Excel holds it (not rounded to the cent, as the workbook loader's ``parse_number``); error
    values, text, booleans, dates raise :class:`UdfInputError` naming ``where``."""
    read = read_amount(from_com(value), exact=True)
    if isinstance(read, AmountProblem):
        raise UdfInputError(f"{where}: {read.text()}")
    return read


def check_error(value: object, where: str) -> None:
    """Raise :class:`UdfInputError` if ``value`` is an Excel error value."""
    err = excel_error(from_com(value))
    if err is not None:
        raise UdfInputError(f"{where}: innehåller felvärdet {err} ({_HYGIENE_ERRORS[err]}); "
                            "rätta cellen eller formeln")


def check_errors(value: object, name: str) -> None:
    """Raise for the first Excel error value anywhere in an argument, located as
    "``name`` rad i kolumn j" (just ``name`` for one cell), before any shape check."""
    rows = _rows(value)
    if len(rows) == 1 and len(rows[0]) == 1:
        check_error(rows[0][0], name)
        return
    kinds = kinds_of(rows)
    if _NEVER_ERRORS.issuperset(kinds if kinds is not None
                                else map(type, chain.from_iterable(rows))):
        return  # numbers and blanks
    if kinds == _TEXTS:  # a column of labels
        if "#" not in "".join(chain.from_iterable(rows)):  # type: ignore[arg-type]
            return  # every error value's text starts with "#"
    elif _NUMBERS_AND_TEXTS.issuperset(kinds if kinds is not None
                                       else map(type, chain.from_iterable(rows))) \
            and "#" not in "".join([v for v in chain.from_iterable(rows) if type(v) is str]):
        return  # every error value's text starts with "#"
    width = max((len(r) for r in rows), default=0)
    for i, row in enumerate(rows, start=1):
        if _NEVER_ERRORS.issuperset(map(type, row)):  # numbers and blanks: the common case
            continue
        for j, v in enumerate(row, start=1):
            if v is None or type(v) is float:  # never an error value
                continue
            if type(v) is str and "#" not in v:  # every error value's text starts with "#"
                continue
            check_error(v, f"{name} rad {i}" + (f" kolumn {j}" if width > 1 else ""))


@functools.lru_cache(maxsize=1 << 16)
def _float_money(value: float) -> Decimal:
    """:func:`amount` of a finite, non-zero float (what :func:`read_amount` gives for it);
    raises :class:`MoneyError` where that is a problem (then :func:`amount` words it)."""
    return to_money(value)


def amounts(row: Sequence[object], where: Callable[[int], str]) -> tuple[Decimal | None, ...]:
    """:func:`amount` of every cell of a row (``where(j)`` names cell j, 1-based, only for a
    message). A row of numbers and blanks in one pass (:func:`engine.money.floats_to_cents`);
    any other row cell by cell."""
    cents = floats_to_cents(row)
    if cents is not None:
        return tuple([None if c is None else cents_to_money(c) for c in cents])
    out: list[Decimal | None] = []
    for j, v in enumerate(row, start=1):
        if v is None:
            out.append(None)
        elif type(v) is float and v != 0 and math.isfinite(v):  # ±0.0 keep their own sign
            try:
                out.append(_float_money(v))
            except MoneyError:
                out.append(amount(v, where(j)))  # the message says which cell
        else:
            out.append(amount(v, where(j)))
    return tuple(out)


def cent_rows(rows: Sequence[Sequence[object]]
              ) -> tuple[list[tuple[int | None, ...]], bool] | None:
    """Every row's amounts in integer cents (:func:`engine.money.floats_to_cents`: what
    :func:`amounts` reads, as cents; a blank stays ``None``) and whether any is blank; ``None``
    when some cell is anything else (text, an error value, a boolean, −0.0, a number too large):
    the caller reads the rows with :func:`amounts`, which words the problem."""
    kinds = kinds_of(rows)
    if kinds is not None and not kinds <= _NEVER_ERRORS:
        return None  # a text among them
    cents = floats_to_cents(list(chain.from_iterable(rows)), floats_only=kinds == _FLOAT_ONLY)
    if cents is None:
        return None
    widths = set(map(len, rows))
    out: list[tuple[int | None, ...]]
    if len(widths) == 1 and 0 not in widths:  # every row as wide (as as_matrix makes them)
        out = list(zip(*[iter(cents)] * widths.pop(), strict=True))
    else:
        out = []
        i = 0
        for row in rows:
            k = i + len(row)
            out.append(tuple(cents[i:k]))
            i = k
    return out, (type(None) in kinds) if kinds is not None else (None in cents)


def to_excel(value: Decimal | None) -> float | None:
    """A Decimal for an Excel cell (Excel stores doubles; the value is exact to the cent)."""
    return None if value is None else float(value)


def label_text(value: object) -> str | None:
    """A label cell as text (``None`` for a blank); error values raise via the caller's check."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def row_result(values: Sequence[object]) -> object:
    """One value per year column: a scalar for one column, else one row (horizontal)."""
    return values[0] if len(values) == 1 else [list(values)]
