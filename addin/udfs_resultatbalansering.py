"""Excel functions for resultatbalansering (spec §10, R1–R8).

``KB_RESULTATBALANSERING(tabell, [regler])`` returns one row per result unit,
``KB_RESULTATBALANSERING_NAMND(tabell, [regler])`` one row per committee. ``addin/udfs.py``
imports and registers them. Thin glue: read the range, call :func:`engine.resultatbalansering.
balansera`, write numbers back as floats rounded to the rule set's rounding unit.

``tabell``: a range whose first row is a header; columns in any order, names matched
case-insensitively (and without diacritics): ``Nämnd``, ``Resultatenhet``, ``Central`` (ja/nej,
blank = nej), ``Budget`` and ``Utfall`` (net amounts in published signs as in the operating
budget: a net cost is negative; Resultat = Utfall − Budget) or ``Resultat`` (positive = surplus),
``Måluppfyllelse`` (ja/nej). Optional: ``Justering`` (R2, added to the result before the split;
blank = 0), ``Justeringsorsak``, ``Nämndens måluppfyllelse`` (ja/nej, R3; blank = not stated: a
committee with a surplus then gets a ``#KB:`` message asking for it),
``Handlingsplan`` (ja/nej, R5), and one column per excluded item named in the rules' ``Undantagna
poster`` (the item's effect on the result; blank = 0). Other columns are ignored.

``regler``: blank (the seed's rule), a rule file path or built-in name (``standard``,
``variant_tak``, ``variant_flerar``), or a two-column range ``Inställning | Värde``.

Signs: a unit whose Budget and Utfall have different signs, or a committee whose every unit has
a positive net budget (costs typed as positive numbers), is a ``#KB:`` message, never a number.

Bad input never raises: the function returns one string starting ``#KB:`` naming the row (rows
of the range counted from 1, the header being row 1) and the column.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from addin.excel_function import kb_function
from addin.excel_values import UdfInputError, amount_or_problem, check_error
from engine.findings import Finding, Severity, excerpt
from engine.input_hygiene import AmountProblem
from engine.money import CENT, quantize
from engine.rb_rules import DEFAULT_RULES, Regelverk, load_rules, normalize_key, rules_from_table
from engine.resultatbalansering import (
    DISPOSITION,
    Balansering,
    EnhetsResultat,
    Justering,
    Namnd,
    NamndResultat,
    Resultatenhet,
    balansera,
    kostnader_positiva,
    tecken_fel,
)

__all__ = ["KB_RESULTATBALANSERING", "KB_RESULTATBALANSERING_NAMND", "read_table"]


#: Column key -> accepted normalised header names; label used in messages.
_COLUMNS: dict[str, tuple[set[str], str]] = {
    "namnd": ({"namnd"}, "Nämnd"),
    "enhet": ({"resultatenhet", "enhet"}, "Resultatenhet"),
    "central": ({"central"}, "Central"),
    "budget": ({"budget"}, "Budget"),
    "utfall": ({"utfall"}, "Utfall"),
    "resultat": ({"resultat"}, "Resultat"),
    "mal": ({"maluppfyllelse"}, "Måluppfyllelse"),
    "justering": ({"justering"}, "Justering"),
    "orsak": ({"justeringsorsak", "orsak"}, "Justeringsorsak"),
    "namnd_mal": ({"namndens_maluppfyllelse", "namnd_maluppfyllelse"}, "Nämndens måluppfyllelse"),
    "handlingsplan": ({"handlingsplan"}, "Handlingsplan"),
}

#: Amounts at or above this are refused (beyond any municipal budget; keeps Decimal exact).
_MAX_AMOUNT = Decimal(10) ** 15

_YES = {"ja", "j", "x", "true", "sant", "yes", "1"}
_NO = {"nej", "n", "false", "falskt", "no", "0"}

HEADER_ENHETER = [
    "Nämnd", "Resultatenhet", "Resultat", "Justering", "Undantaget", "Justerat resultat",
    "Överföring", "Handlingsplan krävs", "Anmärkning",
]
HEADER_NAMNDER = ["Nämnd", "Justerat resultat", "Överföring", "KS andel"]


class _InputError(Exception):
    """Internal: carries the ``#KB:`` message out of the reader (never leaves this module)."""


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _check_error(v: object, where: str) -> None:
    try:
        check_error(v, where)
    except UdfInputError as err:
        raise _InputError(f"#KB: {err}") from None


def _text(v: object, where: str) -> str:
    _check_error(v, where)
    if _blank(v):
        raise _InputError(f"#KB: {where}: tom cell. Fyll i ett namn.")
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return " ".join(str(v).split())


def _amount(v: object, where: str, blank_zero: bool = False) -> Decimal:
    number = amount_or_problem(v)  # the shared parser: text, errors, booleans refused
    if isinstance(number, AmountProblem):
        raise _InputError(f"#KB: {where}: {number.text()}")
    if number is None:
        if blank_zero:
            return Decimal("0.00")
        raise _InputError(f"#KB: {where}: tom cell. Fyll i ett belopp (0 om inget).")
    if abs(number) >= _MAX_AMOUNT:
        raise _InputError(f"#KB: {where}: {excerpt(v)} är orimligt stort (gräns 10^15). Kontrollera "
                          f"beloppet.")
    return number


def _yes_no(v: object, where: str, blank: bool | None = None) -> bool:
    _check_error(v, where)
    if _blank(v):
        if blank is None:
            raise _InputError(f"#KB: {where}: tom cell. Skriv ja eller nej.")
        return blank
    if isinstance(v, bool):
        return v
    norm = normalize_key(int(v) if isinstance(v, float) and v.is_integer() else v)
    if norm in _YES:
        return True
    if norm in _NO:
        return False
    raise _InputError(f"#KB: {where}: {excerpt(v)} är inte ja eller nej.")


def _rows(table: object, what: str) -> list[list[object]]:
    if not isinstance(table, Sequence) or isinstance(table, str):
        raise _InputError(f"#KB: {what} ska vara ett område med en rubrikrad och datarader.")
    rows: list[list[object]] = []
    for row in table:
        if isinstance(row, Sequence) and not isinstance(row, str):
            rows.append(list(row))
        else:
            rows.append([row])
    return rows


def _rules(regler: object) -> Regelverk:
    if regler is None:
        return DEFAULT_RULES
    source: object = regler
    if isinstance(regler, Sequence) and not isinstance(regler, str):
        rows = _rows(regler, "regler")
        cells = [c for r in rows for c in r if not _blank(c)]
        if not cells:
            return DEFAULT_RULES
        if len(cells) == 1 and isinstance(cells[0], str) and all(len(r) <= 1 for r in rows):
            source = cells[0]  # a single cell holding a path or a built-in name
        else:
            for i, row in enumerate(rows, start=1):
                for c in row:
                    _check_error(c, f"regler rad {i}")
            # a function gets the cells' values without their number formats: a number of a
            # percent setting up to 1 (0,1 % or "10 %" typed, which Excel stores as 0.1?) is
            # refused, never guessed (docs/DECISIONS.md, 2026-12)
            rules, findings = rules_from_table(rows, percent_format=[None] * len(rows))
            _raise_on_bad(findings)
            return rules
    if isinstance(source, str):
        _check_error(source, "regler")
        if not source.strip():
            return DEFAULT_RULES
        rules, findings = load_rules(source)
        _raise_on_bad(findings)
        return rules
    raise _InputError("#KB: regler ska vara en regelfil, ett regelverksnamn eller en tabell "
                      "Inställning | Värde.")


def _raise_on_bad(findings: Sequence[Finding]) -> None:
    for f in findings:
        if f.severity in (Severity.ERROR, Severity.WARNING):
            raise _InputError(f"#KB: {f.message}")


def read_table(
    tabell: object, regler: Regelverk = DEFAULT_RULES
) -> tuple[list[Resultatenhet | None], list[Justering], list[Namnd]]:
    """Read the ``tabell`` range into units (``None`` for blank rows inside the table),
    adjustments and committee facts. Raises ``_InputError`` with a ``#KB:`` message."""
    rows = _rows(tabell, "tabell")
    if len(rows) == 1 and len(rows[0]) == 1:
        _check_error(rows[0][0], "tabell")
    while rows and all(_blank(c) for c in rows[-1]):
        rows.pop()
    if len(rows) < 2:
        raise _InputError("#KB: tabell ska ha en rubrikrad och minst en datarad.")
    header = rows[0]
    col: dict[str, int] = {}
    poster: dict[str, int] = {}
    wanted_items = {normalize_key(p): p for p in regler.undantagna_poster}
    for j, h in enumerate(header):
        _check_error(h, f"rubrikraden kolumn {j + 1}")
        if _blank(h):
            continue
        norm = normalize_key(h)
        for key, (names, label) in _COLUMNS.items():
            if norm in names:
                if key in col:
                    raise _InputError(f"#KB: rubrikraden: kolumnen {label} finns två gånger.")
                col[key] = j
        if norm in wanted_items:
            poster[wanted_items[norm]] = j
    missing = [_COLUMNS[k][1] for k in ("namnd", "enhet", "central", "mal") if k not in col]
    has_bu = "budget" in col and "utfall" in col
    if not has_bu and "resultat" not in col:
        missing.append("Utfall" if "budget" in col else "Budget och Utfall (eller Resultat)")
    if missing:
        raise _InputError(f"#KB: rubrikraden: kolumnen {', '.join(missing)} saknas.")
    for p in regler.undantagna_poster:
        if p not in poster:
            raise _InputError(f"#KB: rubrikraden: kolumnen {p} saknas (regelverket undantar "
                              f"posten {p}). Lägg till kolumnen, 0 om posten saknas.")

    def cell(row: list[object], key: str) -> object:
        j = col.get(key)
        return row[j] if j is not None and j < len(row) else None

    units: list[Resultatenhet | None] = []
    adjustments: list[Justering] = []
    namnd_mal: dict[str, tuple[bool, int]] = {}
    seen: dict[tuple[str, str], int] = {}
    signs: dict[str, list[tuple[Decimal, Decimal]]] = {}
    first_row: dict[str, int] = {}
    for i, row in enumerate(rows[1:], start=2):
        if all(_blank(c) for c in row):
            units.append(None)
            continue

        def at(key: str, i: int = i) -> str:
            return f"rad {i}, kolumn {_COLUMNS[key][1]}"

        namnd = _text(cell(row, "namnd"), at("namnd"))
        namn = _text(cell(row, "enhet"), at("enhet"))
        k = (namnd.casefold(), namn.casefold())
        if k in seen:
            raise _InputError(f"#KB: rad {i}, kolumn Resultatenhet: {excerpt(namn)} finns redan i "
                              f"nämnden {namnd} (rad {seen[k]}). Ge enheterna unika namn.")
        seen[k] = i
        central = _yes_no(cell(row, "central"), at("central"), blank=False)
        mal = _yes_no(cell(row, "mal"), at("mal"))
        budget: Decimal | None = None
        if "budget" in col and (has_bu or not _blank(cell(row, "budget"))):
            budget = _amount(cell(row, "budget"), at("budget"))
        if has_bu:
            utfall = _amount(cell(row, "utfall"), at("utfall"))
            problem = tecken_fel(budget, utfall)  # type: ignore[arg-type]
            if problem:
                raise _InputError(f"#KB: {at('utfall')}: {problem}")
            signs.setdefault(namnd.casefold(), []).append((budget, utfall))  # type: ignore[arg-type]
            first_row.setdefault(namnd.casefold(), i)
            resultat = utfall - budget  # type: ignore[operator]  # published signs
            if "resultat" in col and not _blank(cell(row, "resultat")):
                given = _amount(cell(row, "resultat"), at("resultat"))
                if given != resultat:
                    raise _InputError(
                        f"#KB: {at('resultat')}: {given} stämmer inte med Utfall − Budget = "
                        f"{resultat}. Rätta eller töm kolumnen Resultat.")
        else:
            resultat = _amount(cell(row, "resultat"), at("resultat"))
        items = tuple(
            (p, _amount(row[j] if j < len(row) else None, f"rad {i}, kolumn {p}", blank_zero=True))
            for p, j in poster.items()
        )
        plan = None
        if "handlingsplan" in col and not _blank(cell(row, "handlingsplan")):
            plan = _yes_no(cell(row, "handlingsplan"), at("handlingsplan"))
        if "namnd_mal" in col and not _blank(cell(row, "namnd_mal")):
            nm = _yes_no(cell(row, "namnd_mal"), at("namnd_mal"))
            prev = namnd_mal.get(namnd.casefold())
            if prev is not None and prev[0] != nm:
                raise _InputError(f"#KB: {at('namnd_mal')}: skiljer sig från rad {prev[1]} för "
                                  f"samma nämnd {namnd}. Ange samma värde på alla rader.")
            namnd_mal[namnd.casefold()] = (nm, i)
        if "justering" in col:
            belopp = _amount(cell(row, "justering"), at("justering"), blank_zero=True)
            if belopp:
                orsak_cell = cell(row, "orsak")
                _check_error(orsak_cell, f"rad {i}, kolumn Justeringsorsak")
                orsak = "" if _blank(orsak_cell) else str(orsak_cell).strip()
                adjustments.append(Justering(namnd, belopp, orsak or "Justering (tabell)",
                                             "enhet", namn))
        units.append(Resultatenhet(namnd, namn, resultat, maluppfyllelse=mal, central=central,
                                   budget=budget, poster=items, handlingsplan=plan))
    for key, pairs in signs.items():
        if kostnader_positiva(pairs):
            raise _InputError(
                f"#KB: rad {first_row[key]}, kolumn Budget: alla resultatenheter i nämnden har "
                f"positiv nettobudget (nettointäkt). Budget och Utfall anges med publicerade tecken "
                f"som i Driftsbudget: en nettokostnad på 10 000 skrivs −10 000. Byt tecken.")
    namnder = [Namnd(n.namnd, namnd_mal[n.namnd.casefold()][0]
                     if n.namnd.casefold() in namnd_mal else None)
               for n in _first_per_namnd(units)]
    return units, adjustments, namnder


def _first_per_namnd(units: Sequence[Resultatenhet | None]) -> list[Resultatenhet]:
    out: dict[str, Resultatenhet] = {}
    for u in units:
        if u is not None:
            out.setdefault(u.namnd.casefold(), u)
    return list(out.values())


def _run(tabell: object, regler: object) -> tuple[Balansering, list[Resultatenhet | None]]:
    rules = _rules(regler)
    units, adjustments, namnder = read_table(tabell, rules)
    result = balansera([u for u in units if u is not None], rules, adjustments, None,
                       namnder=namnder)
    for n in result.namnder:
        if n.maluppfyllelse is None and rules.krav_maluppfyllelse_namnd and \
                n.justerat_resultat > 0 and not _under_minimum(n, rules):
            raise _InputError(
                f"#KB: kolumn Nämndens måluppfyllelse: nämnden {n.namnd} har ett överskott, men "
                f"måluppfyllelse är inte angiven. RB kräver att nämnden i stort har nått "
                f"budgeterade prestationer och mål för att ta med sig ett överskott; skriv ja "
                f"eller nej på nämndens rader.")
    return result, units


def _under_minimum(n: NamndResultat, rules: Regelverk) -> bool:
    return rules.minsta_belopp > 0 and abs(n.justerat_resultat) < rules.minsta_belopp


def _num(v: Decimal, unit: Decimal) -> float:
    return float(quantize(v, unit))


_TABELL = ("Tabellen med resultatenheterna: en rubrikrad (Nämnd, Resultatenhet, Central, Budget "
           "och Utfall i publicerade tecken, kostnader negativa, eller Resultat, Måluppfyllelse "
           "…) och en rad per enhet.", {"ndim": 2})
_REGLER = ("Valfritt: regelverket, en regelfil, ett namn (standard, variant_tak, variant_flerar) "
           "eller ett område Inställning | Värde.", {"ndim": 2})


@kb_function(
    "Resultatbalansering per resultatenhet (R1–R5): överföring till nästa år och om en "
    "handlingsplan krävs; spills ut som tabell.",
    {"tabell": _TABELL, "regler": _REGLER},
)
def KB_RESULTATBALANSERING(tabell: object, regler: object = None) -> list[list[object]] | str:
    """Resultatbalansering per resultatenhet (R1–R5): one row per row of ``tabell``.

    Columns: Nämnd, Resultatenhet, Resultat, Justering, Undantaget, Justerat resultat (exact:
    Resultat + Justering − Undantaget), Överföring (what the unit carries into next year's
    budget, at the rounding unit), Handlingsplan krävs (ja/nej), Anmärkning. After the table's
    rows, one row per committee: *Nämndens disposition*, what remains of the committee's carry
    after its units (R4), so that each committee's Överföring sums to its total. Bad input: a
    ``#KB:`` message.
    """
    try:
        result, units = _run(tabell, regler)
        unit = result.regler.avrundning
        out: list[list[object]] = [list(HEADER_ENHETER)]
        by_input = iter(result.enheter)
        for u in units:
            if u is None:
                out.append([""] * len(HEADER_ENHETER))
                continue
            e = next(by_input)
            out.append(_unit_row(e, unit))
        out.extend(_disposition_row(n, unit) for n in result.namnder)
        return out
    except _InputError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - a UDF must never raise into Excel
        return f"#KB: internt fel ({type(exc).__name__}: {exc}). Rapportera felet."


def _unit_row(e: EnhetsResultat, unit: Decimal) -> list[object]:
    return [
        e.namnd,
        e.namn,
        _num(e.resultat, CENT),
        _num(e.justering, CENT),
        _num(e.undantaget, CENT),
        _num(e.justerat_resultat, CENT),
        _num(e.overforing, unit),
        "ja" if e.handlingsplan_kravs else "nej",
        e.anmarkning,
    ]


def _disposition_row(n: NamndResultat, unit: Decimal) -> list[object]:
    return [n.namnd, DISPOSITION, 0.0, 0.0, 0.0, 0.0, _num(n.disposition, unit), "nej",
            "rest efter enheterna (R4)"]


@kb_function(
    "Resultatbalansering per nämnd (R3): justerat resultat, överföring och kommunstyrelsens "
    "andel; spills ut som tabell.",
    {"tabell": _TABELL, "regler": _REGLER},
)
def KB_RESULTATBALANSERING_NAMND(tabell: object, regler: object = None) -> list[list[object]] | str:
    """Resultatbalansering per nämnd (R3): Nämnd, Justerat resultat (exact), Överföring (the
    committee's carried total, at the rounding unit), KS andel (the executive board's share, not
    budgeted: the rest, so Överföring + KS andel = Justerat resultat exactly). Bad input: a
    ``#KB:`` message."""
    try:
        result, _ = _run(tabell, regler)
        unit = result.regler.avrundning
        out: list[list[object]] = [list(HEADER_NAMNDER)]
        for n in result.namnder:
            out.append([n.namnd, _num(n.justerat_resultat, CENT), _num(n.overforing, unit),
                        _num(n.ks_andel, CENT)])
        return out
    except _InputError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - a UDF must never raise into Excel
        return f"#KB: internt fel ({type(exc).__name__}: {exc}). Rapportera felet."
