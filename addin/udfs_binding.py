"""Excel UDFs for binding items: status and deviation of one item (spec §9).

Registered by ``addin/udfs.py`` (it imports this module). Thin glue over :mod:`engine.outturn`:
arguments arrive as Excel hands them (floats, ``None`` for blanks, error strings such as
``"#REF!"`` — every argument is declared ``err_to_str=True`` by
:func:`addin.excel_function.kb_function` so error cells are not turned into blanks —, 1-D lists
for a row/column, 2-D lists for a block) and the functions never raise: bad input returns a
string starting with ``"#KB:"`` that names the argument. Amounts are read by the shared parser
(:func:`addin.excel_values.amount`).

* ``KB_BINDNING_STATUS(princip, slag, budget, utfall, [andringar], [overskridningsratt],
  [tecken])`` → the status text, e.g. "inom ramen", "anslaget överskrids – kräver budgetändring
  i fullmäktige".
* ``KB_AVVIKELSE(budget, utfall, [andringar])`` → utfall − (budget + Σ andringar), a number.
  Negative = unfavourable (the figures are in published signs: income +, costs −).

Signs: one convention, the published one (income +, costs −): an anslag is negative, a beräknad
inkomst positive, a netto item either, but its budget and outturn must not have different signs
(:func:`engine.signs.item_sign_finding`). A figure that contradicts its kind is ``#KB: …``, never
a status. ``tecken`` stays as an optional last argument so that existing formulas keep their
shape: blank or "publicerat"; "positiva utgifter" (offered before issue 14) is refused with a
message saying how to convert (there is no costs-positive convention, docs/DECISIONS.md).
"""

from __future__ import annotations

from decimal import Decimal

from addin.excel_function import kb_function
from addin.excel_values import UdfInputError, amount, check_error
from engine.binding import Kind, Principle
from engine.findings import excerpt
from engine.outturn import bindning_status, status_text
from engine.signs import item_sign_finding

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
_PUBLICERAT = "publicerat"


class _BadArg(Exception):
    pass


def _tecken(value: object) -> None:
    """The optional sign argument: only the published convention exists."""
    value = _scalar(value)
    _check_error(value, "tecken")
    if value is None or (isinstance(value, str) and not value.strip()):
        return
    text = str(value).strip().lower()
    if text == _PUBLICERAT:
        return
    if text == "positiva utgifter":
        raise _BadArg("#KB: tecken: 'positiva utgifter' finns inte längre; ange anslag och "
                      "utgifter negativa (t.ex. =-B24) och lämna tecken tomt")
    raise _BadArg(f"#KB: tecken: okänt värde {excerpt(value)} (lämna tomt eller 'publicerat')")


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
        raise _BadArg(f"#KB: {name}: okänt värde {excerpt(value)} (välj {choices})")
    return table[key]


_ANDRINGAR = ("Valfritt: budgetändringar, en cell eller ett område; tomma celler räknas "
              "inte.", {})
_BUDGET = ("Budgeten i publicerade tecken: ett anslag negativt, en beräknad inkomst positiv; "
           "fel tecken ger #KB.")
_UTFALL = "Utfallet eller helårsprognosen, i samma tecken som budgeten."


@kb_function(
    "Status för en bindande post: inom ramen, eller budgetändring i fullmäktige. Anslag "
    "negativa, beräknade inkomster positiva; fel tecken ger #KB.",
    {"princip": "Bindningsprincip: \"brutto\" eller \"netto\".",
     "slag": "Postens slag: \"anslag\", \"beräknad inkomst\" eller \"netto\".",
     "budget": _BUDGET,
     "utfall": _UTFALL,
     "andringar": _ANDRINGAR,
     "overskridningsratt": "Valfritt: beviljad överskridningsrätt, ett belopp (tecknet "
                           "spelar ingen roll).",
     "tecken": "Valfritt, lämna tomt: bara publicerade tecken finns (inkomster +, "
               "utgifter −)."},
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
    """Status of one binding item: "inom ramen", "anslaget överskrids – kräver budgetändring i
    fullmäktige", "beräknad inkomst underskrids – kräver budgetändring i fullmäktige",
    "nettoanslaget överskrids – …", "överskrids inom beviljad överskridningsrätt". ``utfall`` may
    be a full-year forecast. Figures in published signs; a sign against the kind is ``#KB``.
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
        if right is not None:  # a size, as the workbooks read it: typed −30 000 is 30 000
            right = abs(right)
        _tecken(tecken)
        if p is Principle.BRUTTO and k is Kind.NETTO:
            raise _BadArg("#KB: slag: en bruttopost är anslag eller beräknad inkomst, inte netto")
        # a netto item given as anslag / beräknad inkomst is a net appropriation / net revenue
        # estimate: the same sign rule as the gross kinds
        wrong = item_sign_finding(k.value, [("budget", b), ("budget efter ändringar", b + ch),
                                            ("utfall", u)])
        if wrong is not None:
            raise _BadArg(f"#KB: {wrong.message}")
        return status_text(bindning_status(p, k, b + ch, u, right))
    except _BadArg as exc:
        return str(exc)
    except Exception as exc:  # never raise into Excel
        return f"#KB: oväntat fel: {exc}"


@kb_function(
    "Avvikelse = utfall − (budget + ändringar), på centen; negativ = ogynnsam. Publicerade "
    "tecken; budget och utfall med olika tecken ger #KB.",
    {"budget": _BUDGET, "utfall": _UTFALL, "andringar": _ANDRINGAR},
)
def KB_AVVIKELSE(budget: object, utfall: object, andringar: object = None) -> object:  # noqa: N802
    """Deviation = utfall − (budget + Σ andringar), rounded to the cent. Budget and outturn of
    different signs are refused (:func:`engine.signs.item_sign_finding`, netto rule)."""
    try:
        b = _amount("budget", budget)
        u = _amount("utfall", utfall)
        assert b is not None and u is not None
        ch = _changes(andringar)
        wrong = item_sign_finding("netto", [("budget", b), ("budget efter ändringar", b + ch),
                                            ("utfall", u)])
        if wrong is not None:
            raise _BadArg(f"#KB: {wrong.message}")
        return float(u - (b + ch))
    except _BadArg as exc:
        return str(exc)
    except Exception as exc:  # never raise into Excel
        return f"#KB: oväntat fel: {exc}"
