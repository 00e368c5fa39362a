"""Excel UDFs for binding items: status and deviation of one item (spec §9).

Registered by ``addin/udfs.py`` (it imports this module). Thin glue over :mod:`engine.outturn`:
arguments arrive as Excel hands them (floats, ``None`` for blanks, error strings such as
``"#REF!"`` — every argument is declared ``err_to_str=True`` by
:func:`addin.excel_function.kb_function` so error cells are not turned into blanks —, 1-D lists
for a row/column, 2-D lists for a block) and the functions never raise: bad input returns a
string starting with ``"#KB:"`` that names the argument. Amounts are read by the shared parser
(:func:`addin.excel_values.amount`).

* ``KB_BINDNING_STATUS(princip, slag, budget, utfall, [andringar], [overskridningsratt],
  [tecken])`` → the status text, e.g. "inom ramen", "anslaget överskrids – kräver fullmäktiges
  beslut".
* ``KB_AVVIKELSE(budget, utfall, [andringar])`` → utfall − (budget + Σ andringar), a number.
  Negative = unfavourable when the figures are in published signs (income +, costs −).

Signs: ``tecken`` is "publicerat" (default: income +, costs −) or "positiva utgifter" (the
controller's table shows anslag and costs as positive numbers; they are negated for anslag and
netto items before judging).
"""

from __future__ import annotations

from decimal import Decimal

from addin.excel_function import kb_function
from addin.excel_values import UdfInputError, amount, check_error
from engine.binding import Kind, Principle
from engine.outturn import bindning_status, status_text

__all__ = ["KB_AVVIKELSE", "KB_BINDNING_STATUS"]

_PRINCIPLES = {
    "brutto": Principle.BRUTTO,
    "b": Principle.BRUTTO,
    "netto": Principle.NETTO,
    "n": Principle.NETTO,
}
_KINDS = {
    "anslag": Kind.ANSLAG,
    "nettoanslag": Kind.ANSLAG,
    "beräknad inkomst": Kind.BERAKNAD_INKOMST,
    "beraknad inkomst": Kind.BERAKNAD_INKOMST,
    "inkomst": Kind.BERAKNAD_INKOMST,
    "beräknad nettoinkomst": Kind.BERAKNAD_INKOMST,
    "netto": Kind.NETTO,
}
_SIGNS = {"publicerat", "positiva utgifter"}


class _BadArg(Exception):
    pass


def _scalar(value: object) -> object:
    """A 1×1 block or a one-element list as its single value."""
    while isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    return value


def _amount(name: str, value: object, *, required: bool = True) -> Decimal | None:
    value = _scalar(value)
    if isinstance(value, (list, tuple)):
        raise _BadArg(f"#KB: {name}: ange en enda cell, inte ett område")
    try:
        return amount(value, name, required=required)  # the shared parser
    except UdfInputError as err:
        raise _BadArg(f"#KB: {err}") from None


def _check_error(value: object, name: str) -> None:
    try:
        check_error(value, name)
    except UdfInputError as err:
        raise _BadArg(f"#KB: {err}") from None


def _changes(value: object) -> Decimal:
    """Σ of a number, a 1-D or a 2-D list of numbers; blanks are skipped (no change)."""
    if value is None:
        return Decimal("0.00")
    cells: list[tuple[str, object]] = []
    if isinstance(value, (list, tuple)):
        for i, row in enumerate(value, start=1):
            if isinstance(row, (list, tuple)):
                for j, cell in enumerate(row, start=1):
                    cells.append((f"andringar rad {i} kolumn {j}", cell))
            else:
                cells.append((f"andringar nr {i}", row))
    else:
        cells.append(("andringar", value))
    total = Decimal("0.00")
    for name, cell in cells:
        amount = _amount(name, cell, required=False)
        if amount is not None:
            total += amount
    return total


def _text(name: str, value: object, table: dict[str, object]) -> object:
    value = _scalar(value)
    _check_error(value, name)
    if value is None:
        raise _BadArg(f"#KB: {name}: saknas")
    key = str(value).strip().lower()
    if key not in table:
        choices = ", ".join(sorted({k for k in table if len(k) > 1}))
        raise _BadArg(f"#KB: {name}: okänt värde {value!r} (välj {choices})")
    return table[key]


_ANDRINGAR = ("Valfritt: budgetändringar, en cell eller ett område; tomma celler räknas "
              "inte.", {})
_BUDGET = "Budgeten (anslaget eller den beräknade inkomsten) i publicerade tecken."
_UTFALL = "Utfallet eller helårsprognosen, i samma tecken som budgeten."


@kb_function(
    "Status för en bindande post: inom ramen, eller vad överskridningen kräver.",
    {"princip": "Bindningsprincip: \"brutto\" eller \"netto\".",
     "slag": "Postens slag: \"anslag\", \"beräknad inkomst\" eller \"netto\".",
     "budget": _BUDGET,
     "utfall": _UTFALL,
     "andringar": _ANDRINGAR,
     "overskridningsratt": "Valfritt: beviljad överskridningsrätt, ett positivt belopp.",
     "tecken": "Valfritt: \"publicerat\" (standard: inkomster +, utgifter −) eller "
               "\"positiva utgifter\"."},
)
def KB_BINDNING_STATUS(  # noqa: N802 - Excel function name
    princip: object,
    slag: object,
    budget: object,
    utfall: object,
    andringar: object = None,
    overskridningsratt: object = None,
    tecken: object = None,
) -> str:
    """Status of one binding item: "inom ramen", "anslaget överskrids – kräver fullmäktiges
    beslut", "beräknad inkomst underskrids – kräver förklaring/beslut", "nettoanslaget överskrids
    – …", "överskrids inom beviljad överskridningsrätt". ``utfall`` may be a full-year forecast.
    """
    try:
        p = _text("princip", princip, _PRINCIPLES)
        k = _text("slag", slag, _KINDS)
        assert isinstance(p, Principle) and isinstance(k, Kind)
        b = _amount("budget", budget)
        u = _amount("utfall", utfall)
        assert b is not None and u is not None
        ch = _changes(andringar)
        right = _amount("overskridningsratt", overskridningsratt, required=False)
        if right is not None and right < 0:
            raise _BadArg("#KB: overskridningsratt: ska vara ett positivt belopp")
        _check_error(_scalar(tecken), "tecken")
        sign = "publicerat" if _scalar(tecken) is None else str(_scalar(tecken)).strip().lower()
        if sign not in _SIGNS:
            raise _BadArg(f"#KB: tecken: okänt värde {tecken!r} (publicerat, positiva utgifter)")
        if p is Principle.BRUTTO and k is Kind.NETTO:
            raise _BadArg("#KB: slag: en bruttopost är anslag eller beräknad inkomst, inte netto")
        if sign == "positiva utgifter" and k is not Kind.BERAKNAD_INKOMST:
            b, u, ch = -b, -u, -ch
        return status_text(bindning_status(p, k, b + ch, u, right))
    except _BadArg as exc:
        return str(exc)
    except Exception as exc:  # never raise into Excel
        return f"#KB: oväntat fel: {exc}"


@kb_function(
    "Avvikelse = utfall − (budget + ändringar), på centen; negativ = ogynnsam i publicerade tecken.",
    {"budget": _BUDGET, "utfall": _UTFALL, "andringar": _ANDRINGAR},
)
def KB_AVVIKELSE(budget: object, utfall: object, andringar: object = None) -> object:  # noqa: N802
    """Deviation = utfall − (budget + Σ andringar), rounded to the cent."""
    try:
        b = _amount("budget", budget)
        u = _amount("utfall", utfall)
        assert b is not None and u is not None
        return float(u - (b + _changes(andringar)))
    except _BadArg as exc:
        return str(exc)
    except Exception as exc:  # never raise into Excel
        return f"#KB: oväntat fel: {exc}"
