"""What Excel hands a UDF, turned into engine input (and back).

xlwings gives a UDF a scalar for one cell, a 1-D list for a row or column (unless ``ndim=2``), a
2-D list for a block, ``None`` for blanks and, with ``err_to_str=True``, error values as strings
(``"#REF!"``). These helpers turn that into lists of labels and exact amounts, or raise
:class:`UdfInputError` with a Swedish message naming the position; the UDF turns that into the
``#KB: ...`` string it returns. Nothing here knows the domain beyond "an amount".
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from engine.input_hygiene import EXCEL_ERRORS as _HYGIENE_ERRORS
from engine.input_hygiene import excel_error
from engine.money import MoneyError, to_money
from engine.svenska import antal

__all__ = [
    "EXCEL_ERRORS",
    "UdfInputError",
    "as_column",
    "as_matrix",
    "kb_error",
    "to_excel",
]

#: Excel's error values (also their Swedish/Finnish forms are recognised by
#: :func:`engine.input_hygiene.excel_error`); one list, kept in the engine's input hygiene.
EXCEL_ERRORS = frozenset(_HYGIENE_ERRORS)


class UdfInputError(ValueError):
    """Bad UDF input; ``str()`` is the Swedish message for the ``#KB:`` result."""


def kb_error(message: str) -> str:
    return f"#KB: {message}"


def _rows(value: object) -> list[list[object]]:
    """Any Excel argument as a list of rows."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        if not value:
            return []
        if all(isinstance(v, (list, tuple)) for v in value):
            return [list(v) for v in value]
        return [[v] for v in value]  # a 1-D list is one column
    return [[value]]


def as_column(value: object, name: str) -> list[object]:
    """A single column (or row) range as a flat list."""
    rows = _rows(value)
    if not rows:
        return []
    if all(len(r) == 1 for r in rows):
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
    widths = {len(r) for r in rows}
    if len(widths) > 1:
        raise UdfInputError(f"{name}: raderna har olika antal kolumner")
    return rows


def amount(value: object, where: str) -> Decimal | None:
    """One amount cell: ``None`` for a blank, exact cents for a number; error values and text
    raise :class:`UdfInputError` naming ``where``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    err = excel_error(value)
    if err is not None:
        raise UdfInputError(f"{where} innehåller felvärdet {err}; rätta cellen")
    try:
        return to_money(value)
    except MoneyError:
        raise UdfInputError(f"{where} är inte ett belopp: {value!r}") from None


def to_excel(value: Decimal | None) -> float | None:
    """A Decimal for an Excel cell (Excel stores doubles; the value is exact to the cent)."""
    return None if value is None else float(value)


def label_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def row_result(values: Sequence[object]) -> object:
    """One value per year column: a scalar for one column, else one row (horizontal)."""
    return values[0] if len(values) == 1 else [list(values)]
