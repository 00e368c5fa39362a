"""The statement functions' input reading as it was before issue 17's session-4 fast paths
(``addin.udfs._statement``), every cell read on its own: what ``tests/test_engine_equivalence.py``
holds the fast paths equal to."""

from __future__ import annotations

from decimal import Decimal

from addin.excel_values import (
    UdfInputError,
    amount,
    as_column,
    as_matrix,
    check_error,
    from_com,
    kb_error,
    label_text,
    row_result,
    to_excel,
)
from engine.catalogue import LabelError, catalogue
from engine.findings import Severity, bounded
from engine.signs import LINE_SIGNS, line_sign_finding
from engine.statements import Statement, compute

ALL_PARTS = ("RR", "IN", "FD", "BAL")


def _rows(value: object) -> list[list[object]]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        if not value:
            return []
        if all(isinstance(v, (list, tuple)) for v in value):
            return [list(v) for v in value]
        return [[v] for v in value]
    return [[value]]


def reference_check_errors(value: object, name: str) -> None:
    rows = _rows(value)
    if len(rows) == 1 and len(rows[0]) == 1:
        check_error(rows[0][0], name)
        return
    width = max((len(r) for r in rows), default=0)
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row, start=1):
            check_error(v, f"{name} rad {i}" + (f" kolumn {j}" if width > 1 else ""))


def reference_statement(rader: object, belopp: object) -> tuple[Statement, list[str]]:
    reference_check_errors(rader, "rader")
    reference_check_errors(belopp, "belopp")
    labels = as_column(rader, "rader")
    rows = as_matrix(belopp, len(labels), "belopp")
    n_years = len(rows[0]) if rows else 1
    cat = catalogue()
    given: dict[str, list[Decimal | None]] = {}
    first_row: dict[str, int] = {}
    texts: list[str] = []
    for i, (raw, row) in enumerate(zip(labels, rows, strict=True), start=1):
        text = label_text(raw)
        vals = [amount(v, f"belopp rad {i}" + (f" kolumn {j}" if n_years > 1 else ""))
                for j, v in enumerate(row, start=1)]
        if text is None:
            if any(v is not None for v in vals):
                raise UdfInputError(
                    f"rad {i} har belopp men ingen radbeteckning (en omärkt summarad ur en "
                    "tryckt rapport gissas inte: skriv radens namn eller ta bort raden)")
            continue
        if all(v is None for v in vals):
            continue
        try:
            code = cat.resolve(text, ALL_PARTS)
        except LabelError as err:
            raise UdfInputError(f"rad {i}: {err.message}") from None
        sign = LINE_SIGNS.get(code)
        if sign == "+" or sign == "-":
            for j, v in enumerate(vals, start=1):
                if v is not None and (v < 0 if sign == "+" else v > 0):
                    wrong = line_sign_finding(code, v)
                    if wrong is not None:
                        col = f" kolumn {j}" if n_years > 1 else ""
                        raise UdfInputError(f"rad {i}{col}: {wrong.message}")
        texts.append(text)
        if code in given:
            if given[code] != vals:
                raise UdfInputError(
                    f"rad {i} ({text}) och rad {first_row[code]} avser samma post "
                    f"({code}) men har olika belopp"
                )
            continue
        given[code] = vals
        first_row[code] = i
    if not given:
        raise UdfInputError("inga rader med belopp")
    for j in range(n_years):  # a whole year column left blank is no year of zeros
        if all(vals[j] is None for vals in given.values()):
            raise UdfInputError(
                f"kolumn {j + 1} har inga belopp (en tom årskolumn räknas inte som noll): fyll "
                "i beloppen eller ta bort kolumnen ur området")
    st = compute(given, [str(j) for j in range(1, n_years + 1)], ALL_PARTS)
    errors = [f for f in st.findings if f.severity is Severity.ERROR]
    if errors:
        raise UdfInputError(errors[0].message)
    return st, texts


def reference_line_function(code: str, rader: object, belopp: object) -> object:
    """``KB_…(rader; belopp)`` of line ``code`` as the Excel function returns it."""
    try:
        st, _ = reference_statement(from_com(rader), from_com(belopp))
        return row_result([to_excel(v) for v in st[code]])
    except UdfInputError as err:
        return bounded(kb_error(str(err)))
