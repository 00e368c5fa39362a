"""Follow-up of a computed budget: its binding items, their amounts, the outturn statement
(tablå över budgetens utfall), the sammandrag and the balance checks (spec §8–9).

This module joins the statement engine (:mod:`engine.budget`) to the binding engine
(:mod:`engine.binding`, :mod:`engine.outturn`, :mod:`engine.checks`, :mod:`engine.balance`):

* :func:`bindande_poster` — every task, project and bindable central line gets its binding items
  (defaults by task type, spec §2; the principle a committee chose for a task overrides);
* :func:`post_belopp` — the amount of one item in one year column, from the statements;
* :func:`uppfoljning` — outturn statement for the current year (outturn to date and forecast),
  sammandrag for the budget year (V5), and checks V2, V3, V7, V8 and V9 (when the accounts
  history or the evaluation-procedure key figures are given).

Interpretations (docs/DECISIONS.md): a gross appropriation covers the task's external and
internal expenses and its revenue estimate the external and internal income (internal items
cancel out in the sammandrag); correction items of the finansieringsdel (korrektivposter) are
listed in the sammandrag, not binding, so that it reconciles with inverkan på likviditeten.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from operator import itemgetter

from engine.balance import (
    Atgard,
    Bokslutsbalans,
    KrisNyckeltal,
    bedom_v9,
    check_v7_likviditet,
    check_v8_balans,
    check_v9_utvarderingsforfarande,
    check_v11_investeringsreserv,
)
from engine.binding import (
    BindingItem,
    BudgetChange,
    BudgetObject,
    Kind,
    ObjectType,
    Organ,
    Part,
    Principle,
    TaskType,
    default_binding_items,
)
from engine.budget import Berakning, Finansiering, task_line_codes
from engine.catalogue import Catalogue, catalogue
from engine.checks import NettoSidor, check_v2_sides, check_v3_resultatdel
from engine.findings import Finding, Location, Severity
from engine.gc_pause import without_gc_pauses
from engine.money import ZERO
from engine.money import format_sv as _sv
from engine.outturn import OutturnInput, Sammandrag, SammandragPost, Tabla, sammandrag, tabla

__all__ = [
    "PostIndex",
    "PostUtfall",
    "Uppfoljning",
    "bindande_poster",
    "post_belopp",
    "post_index",
    "resolve_post",
    "uppfoljning",
]

_TASK_TYPES = {
    Finansiering.BUDGETFINANSIERAD: TaskType.BUDGETFINANSIERAD,
    Finansiering.NETTOENHET: TaskType.NETTOENHET,
    Finansiering.BALANSENHET: TaskType.ANNAN_BALANSENHET,
    Finansiering.AFFARSVERK: TaskType.AFFARSVERK,
}

#: Lines on each side of a task's gross binding (internal items included, see module doc).
INKOMST_RADER = ("RR.VI", "RR.TEB", "DR.INT.INK")
UTGIFT_RADER = ("RR.VU", "DR.INT.UTG")
#: A net unit is bound on its verksamhetsbidrag (+ internal items): its result budget ends there
#: (seed §6.3.3.6). An other balance unit is bound on its räkenskapsperiodens resultat (seed
#: §6.3.3.7, §10.5.1) and appears in the sammandrag with its årsbidrag (seed §7.1.2.3).
NETTO_RADER = ("RR.VB", "DR.INT.INK", "DR.INT.UTG")
BALANSENHET_RADER = {
    "RR.RES": ("RR.RES", "DR.INT.INK", "DR.INT.UTG"),
    "RR.AB": ("RR.AB", "DR.INT.INK", "DR.INT.UTG"),
}
#: The sammandrag's figure of an other balance unit: its årsbidrag.
SAMMANDRAG_BALANSENHET = BALANSENHET_RADER["RR.AB"]
#: An other balance unit's bokslutsdispositioner that are binding items of their own when
#: budgeted (seed §6.3.3.7). Not cash: never in the sammandrag; not a gross/net pair: no V2 sides.
BALANSENHET_BOKSLUTSDISPOSITIONER = ("RR.BD.AVSD", "RR.BD.RES")


def task_type(f: Finansiering) -> TaskType:
    return _TASK_TYPES[f]


def bindande_poster(
    b: Berakning,
    principer: Mapping[str, tuple[str, str]] | None = None,
) -> tuple[list[BudgetObject], list[BindingItem]]:
    """Binding items of every task, project and given bindable central line.

    ``principer`` maps a task to the (principle, binding towards) its committee chose; a
    budget-financed task bound netto gets one net item instead of the gross pair.
    """
    principer = principer or {}
    cat = catalogue()
    objects: list[BudgetObject] = []
    items: list[BindingItem] = []
    for u in b.budget.uppgifter:
        tt = task_type(u.finansiering)
        obj = BudgetObject(u.namn, ObjectType.UPPGIFT, tt, namnd=u.namnd)
        objects.append(obj)
        princ, mot = principer.get(u.namn, ("", ""))
        towards = Organ.parse(mot) if mot else Organ.FULLMAKTIGE
        if tt is TaskType.BUDGETFINANSIERAD and princ == "netto":
            new = [BindingItem(Part.DRIFT, u.namn, Kind.NETTO, Principle.NETTO, towards)]
        elif tt is TaskType.AFFARSVERK:
            # its council posts (capital return, operating subsidy …) bind towards fullmäktige
            # whatever its own budget binds towards (its direktion): KL 120 §, V6
            new = default_binding_items(obj)
        else:
            new = default_binding_items(obj)
            new = [_with_towards(i, towards) for i in new]
        if tt is TaskType.ANNAN_BALANSENHET:
            # seed §6.3.3.7: "Om en övrig balansenhet budgeterar ändringar i avskrivningsdifferens
            # eller reserver behandlas även dessa poster som bindande gentemot fullmäktige"
            for code in BALANSENHET_BOKSLUTSDISPOSITIONER:
                if any(v for v in u.belopp.get(code, ())):
                    new.append(BindingItem(Part.DRIFT, u.namn, Kind.NETTO, Principle.NETTO,
                                           towards, detalj=code, label=cat[code].label))
        items.extend(new)
    affarsverk = b.budget.affarsverk()
    for p in b.budget.projekt:
        if p.uppgift in affarsverk:
            continue
        obj = BudgetObject(p.namn, ObjectType.PROJEKT, namnd=p.namnd)
        objects.append(obj)
        if p.netto:
            items.append(BindingItem(Part.INVESTERING, p.namn, Kind.NETTO, Principle.NETTO,
                                     object_type=ObjectType.PROJEKT))
        else:
            items.extend(default_binding_items(obj))
    bindable = cat.binding_codes("RR") | cat.binding_codes("FD")
    for code in sorted(bindable, key=lambda c: cat[c].order):  # catalogue order: stable output
        if code not in b.rader or b.budget.samkommun and code in ("RR.SKATT", "RR.SA"):
            continue
        line = cat[code]
        part = Part.RESULTAT if line.part == "RR" else Part.FINANSIERING
        kind = {"+": Kind.BERAKNAD_INKOMST, "-": Kind.ANSLAG}.get(line.sign, Kind.NETTO)
        principle = Principle.NETTO if kind is Kind.NETTO else Principle.BRUTTO
        items.append(BindingItem(part, code, kind, principle, object_type=ObjectType.RAD,
                                 label=line.label))
    return objects, items


def _with_towards(item: BindingItem, towards: Organ) -> BindingItem:
    # the item itself when it binds towards that organ already (frozen: the same value)
    return item if item.towards is towards else replace(item, towards=towards)


def _sidor(item: BindingItem) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The income and expense lines whose sum is a net item's amount (V2)."""
    if item.part is Part.INVESTERING:
        return ("IN.FA", "IN.FORS"), ("IN.UTG",)
    if item.detalj == "RR.AB":
        return (INKOMST_RADER + ("RR.FIN.RI", "RR.FIN.OFI"),
                UTGIFT_RADER + ("RR.FIN.RU", "RR.FIN.OFU"))
    if item.detalj == "RR.RES":
        return (INKOMST_RADER + ("RR.FIN.RI", "RR.FIN.OFI", "RR.EXTRA.INK"),
                UTGIFT_RADER + ("RR.FIN.RU", "RR.FIN.OFU", "RR.AVS", "RR.EXTRA.UTG"))
    return INKOMST_RADER, UTGIFT_RADER


def _rader(item: BindingItem, b: Berakning) -> tuple[str, ...]:
    """The statement lines whose sum is the item's amount."""
    if item.part is Part.DRIFT:
        if item.principle is Principle.BRUTTO:
            return UTGIFT_RADER if item.kind is Kind.ANSLAG else INKOMST_RADER
        if item.detalj in BALANSENHET_BOKSLUTSDISPOSITIONER:
            return (item.detalj,)
        return BALANSENHET_RADER.get(item.detalj or "", NETTO_RADER)
    if item.part is Part.INVESTERING:
        if item.principle is Principle.BRUTTO:
            return ("IN.UTG",) if item.kind is Kind.ANSLAG else ("IN.FA", "IN.FORS")
        return ("IN.NETTO",)
    return (item.object,)


def post_belopp(item: BindingItem, b: Berakning, year: int, *,
                rader: Sequence[str] | None = None) -> Decimal | None:
    """The budgeted amount of ``item`` in year column ``year`` (published signs), or None when
    the item has no amount in the statements (an enterprise's council-binding posts).
    ``rader`` overrides the lines summed (the sammandrag's årsbidrag of a balance unit)."""
    if item.detalj is not None and item.detalj not in BALANSENHET_RADER \
            and item.detalj not in BALANSENHET_BOKSLUTSDISPOSITIONER:
        return None
    if item.part is Part.DRIFT:
        st = b.uppgifter.get(item.object)
    elif item.part is Part.INVESTERING:
        st = b.investeringar.projekt.get(item.object)
    else:
        vals = b.rader.get(item.object)  # central, and tasks' own loans or extraordinary items
        if vals is None:
            return None
        v = vals[year]
        return v if v is not None else ZERO
    if st is None:
        return None
    lines = rader if rader is not None else _rader(item, b)
    values = st.values
    return sum([values[c][year] for c in lines if c in values], ZERO)


@dataclass(frozen=True, slots=True)
class PostUtfall:
    """Outturn to date and full-year forecast for one object and line (published signs).

    Slotted: a refresh of the large size holds 150 000 of them (each with a ``__dict__`` they
    took 37 MB, 26 MB of it the dicts; issue 17, the peak memory)."""

    objekt: str  # task or project name; a line code for central lines
    kod: str
    utfall: Decimal | None
    prognos: Decimal | None
    location: Location | None = None

    def __reduce__(self) -> tuple[type[PostUtfall], tuple[object, ...]]:
        # as its constructor's arguments (as Location): a frozen slotted dataclass otherwise
        # unpickles through dataclasses' Python-level __setstate__ (the kept committee reads)
        return (PostUtfall, (self.objekt, self.kod, self.utfall, self.prognos, self.location))


#: :func:`_and_below` of each line code, per catalogue (the follow-up asks it for every
#: binding item and outturn row: 20 000 walks of the catalogue in a city budget)
_BELOW: weakref.WeakKeyDictionary[Catalogue, dict[str, tuple[str, ...]]] = (
    weakref.WeakKeyDictionary())


def _and_below(cat: Catalogue, code: str) -> tuple[str, ...]:
    """``code`` and every line below it in the catalogue (group lines too, not only leaves), in
    the catalogue's order (depth first); an unknown code alone."""
    if code not in cat:
        return (code,)
    per_cat = _BELOW.get(cat)
    if per_cat is None:
        per_cat = _BELOW.setdefault(cat, {})
    got = per_cat.get(code)
    if got is None:  # (at most one entry per line of the catalogue)
        out = [code]
        for kid in cat.children(code):
            out.extend(_and_below(cat, kid))
        got = per_cat[code] = tuple(out)
    return got


class _RowIndex:
    """The outturn rows' positions by object (casefolded) and by line code, made once per
    follow-up: each binding item looks at the rows that can be its own instead of every row
    (a city's outturn of 21 000 rows against 4 400 items took 37 s, growing with the square
    of the budget's size; now 0.6 s: issue 17). ``folded``: each row's object casefolded, in
    row order (what every pass over the rows compares; folded once per follow-up)."""

    __slots__ = ("by_kod", "by_object", "folded", "leaves")

    def __init__(self, rows: Sequence[PostUtfall]) -> None:
        #: :func:`_budgeted_leaves` of each task and project per year column, and their typed
        #: lines by name (:func:`_typed_lines`): made once per follow-up, not once per item
        self.leaves: dict[str, object] = {}
        self.folded: list[str] = [r.objekt.casefold() for r in rows]
        self.by_object: dict[str, list[int]] = {}
        self.by_kod: dict[str, list[int]] = {}
        by_object, by_kod = self.by_object, self.by_kod
        for i, (key, r) in enumerate(zip(self.folded, rows, strict=True)):
            got = by_object.get(key)
            if got is None:
                by_object[key] = [i]
            else:
                got.append(i)
            got = by_kod.get(r.kod)
            if got is None:
                by_kod[r.kod] = [i]
            else:
                got.append(i)

    def candidates(self, item: BindingItem, wanted: Collection[str]) -> list[int]:
        """Positions, ascending, of every row that can be ``item``'s (a superset of those
        :func:`_item_outturn` takes): the rows of its object, and for a line item also every
        row on one of its lines (``wanted``)."""
        own = self.by_object.get(item.object.casefold(), [])
        if item.object_type is not ObjectType.RAD:
            return own
        found = set(own)
        for code in wanted:
            found.update(self.by_kod.get(code, ()))
        return sorted(found)


#: :func:`_lines_and_below` of each tuple of lines, per catalogue (a handful of tuples:
#: :func:`_rader` gives the same few for every task's items)
_BELOW_ALL: weakref.WeakKeyDictionary[Catalogue, dict[tuple[str, ...], frozenset[str]]] = (
    weakref.WeakKeyDictionary())


#: :func:`_group_lines` per catalogue
_GROUPS: weakref.WeakKeyDictionary[Catalogue, frozenset[str]] = weakref.WeakKeyDictionary()


def _group_lines(cat: Catalogue) -> frozenset[str]:
    """The lines of ``cat`` that have lines below them."""
    got = _GROUPS.get(cat)
    if got is None:
        got = _GROUPS[cat] = frozenset(c for c in cat.lines if cat.children(c))
    return got


def _lines_and_below(cat: Catalogue, codes: tuple[str, ...]) -> frozenset[str]:
    """Every line of ``codes`` and below them (:func:`_and_below` of each, together)."""
    per_cat = _BELOW_ALL.get(cat)
    if per_cat is None:
        per_cat = _BELOW_ALL.setdefault(cat, {})
    got = per_cat.get(codes)
    if got is None:
        got = per_cat[codes] = frozenset().union(*(_and_below(cat, c) for c in codes))
    return got


def _item_outturn(item: BindingItem, b: Berakning, rows: Sequence[PostUtfall],
                  findings: list[Finding] | None = None,
                  task_lines: Mapping[str, frozenset[str]] | None = None,
                  index: _RowIndex | None = None,
                  year: int | None = None,
                  ) -> tuple[Decimal | None, Decimal | None, Location | None]:
    """Outturn to date and forecast of ``item`` from the rows typed for its object and lines.

    A line item (a central RR or FD line) also takes the rows a task typed on its own lines that
    the line item follows up (``task_lines``: task name casefolded → :func:`task_line_codes`),
    as its budget takes the task's budget on them (:attr:`Berakning.rader`).

    Any line of the item counts, a group line too (outturn typed on "Personalutgifter" instead of
    its parts); a group line typed together with lines below it would count twice, so the lines
    below are used and the group line is an error. A forecast typed on some of the rows but not on
    others is no forecast of the item (the blank would count as nothing spent): an error at the
    blank cell, and the item is judged on its outturn to date, as when no forecast is typed.
    A row with neither figure typed is such a blank too when its line has a budget for the
    item's task or project in column ``year`` (a budgeted line's forecast left out: the item
    would look the whole line's budget under it); on a line without a budget it is nothing.

    ``index``: :class:`_RowIndex` of ``rows``; only the rows it names are looked at (the same
    rows are taken, in the same order)."""
    if not rows:
        return None, None, None
    cat = catalogue()
    wanted = _lines_and_below(cat, _rader(item, b))
    # a central line's row names itself (Objekt empty): a row on a line below the item
    # (FD.OVR.FORDR of the item FD.OVR) is the item's too
    central = item.object_type is ObjectType.RAD
    lines = task_lines or {}
    own = item.object.casefold()
    if index is None:
        mine = [r for r in rows if r.kod in wanted and (
            r.objekt.casefold() == own or central and (
                r.objekt == r.kod or r.kod in lines.get(r.objekt.casefold(), ())))]
    elif not central:  # the rows of its object (casefolded, as ``own``): those on its lines
        mine = [r for r in map(rows.__getitem__, index.by_object.get(own, ()))
                if r.kod in wanted]
    else:  # the same test as the scan's, on the candidates, with their names folded once
        folded = index.folded
        mine = [rows[j] for j in index.candidates(item, wanted)
                if rows[j].kod in wanted and (folded[j] == own or rows[j].objekt == rows[j].kod
                                              or rows[j].kod in lines.get(folded[j], ()))]
    if not mine:
        return None, None, None
    # a group line typed together with lines below it, by the same object (a central total and
    # a task's sub-line are two sources, as in the budget's consolidation); only a row on a line
    # with lines below it can be one (most rows are on leaf lines: nothing to look at)
    groups: set[tuple[str, str]] = set()
    if not _group_lines(cat).isdisjoint([r.kod for r in mine]):
        typed = {(r.objekt.casefold(), r.kod) for r in mine}
        groups = {(r.objekt.casefold(), r.kod) for r in mine
                  if any(k != r.kod and (r.objekt.casefold(), k) in typed
                         for k in _and_below(cat, r.kod))}
    if groups:
        for r in mine:
            if (r.objekt.casefold(), r.kod) in groups and findings is not None:
                findings.append(Finding(
                    "V10", Severity.ERROR,
                    f"Utfallet för {r.objekt!r} är angivet både på summaraden {r.kod} och på rader "
                    "under den; summaraden räknas inte (annars räknades beloppen två gånger). Ta "
                    "bort summaraden eller delraderna.", object=r.objekt, location=r.location))
        mine = [r for r in mine if (r.objekt.casefold(), r.kod) not in groups]
    typed = [r for r in mine if r.utfall is not None or r.prognos is not None]
    if not typed:  # rows listed with nothing typed: no outturn ("utfall saknas"), never 0
        return None, None, None
    utfall = sum((r.utfall for r in typed if r.utfall is not None), ZERO)
    forecasts = [r.prognos for r in typed if r.prognos is not None]
    blank = [r for r in mine if r.prognos is None and r.utfall]
    if forecasts and len(forecasts) + len(blank) < len(mine):  # a row with nothing typed:
        budgeted = _budgeted_lines(item, b, year)  # a blank if its line has a budget
        blank = [r for r in mine if r.prognos is None and (r.utfall or r.kod in budgeted)]
    # a budgeted line of the item with no row at all (deleted, or never written by the ledger
    # import because nothing is booked on it yet): its forecast is missing as a blank one is
    absent = _budgeted_lines_without_rows(item, b, year, wanted, mine,
                                          index.leaves if index is not None else None) \
        if forecasts else []
    # a central line item's sources (the central line, the tasks' own lines it follows up):
    # one with a budget and no row leaves its part out of the forecast alike (found 2026-12:
    # a central budget of −20 000 without a row beside a task's −500 row read "inom ramen")
    sources = _line_sources_without_rows(item, b, year, wanted, mine, lines) \
        if forecasts and central else []
    if forecasts and (blank or absent or sources):
        if findings is not None:
            for r in blank:
                findings.append(Finding(
                    "V10", Severity.ERROR,
                    f"Prognos helår saknas för {r.objekt!r} på raden {r.kod} men finns på postens "
                    "andra rader; en tom prognos skulle räknas som att inget mer används. Posten "
                    "bedöms på utfallet hittills tills prognosen är ifylld.", object=r.objekt,
                    location=r.location))
            for code in absent:
                label = cat[code].label if code in cat else code
                findings.append(Finding(
                    "V10", Severity.ERROR,
                    f"{item.object!r} har budget på raden {label!r} ({code}) men ingen rad i "
                    "Utfall, medan postens andra rader har Prognos helår; radens prognos saknas "
                    "och skulle räknas som att inget används. Posten bedöms på utfallet "
                    "hittills. Lägg till raden i Utfall med Prognos helår (0 om inget används).",
                    object=item.object,
                    year=int(b.budget.years[year]) if year is not None else None))
            for source, code in sources:
                label = cat[code].label if code in cat else code
                where = ("under Centrala poster men ingen rad för den i kommunens Utfall (tomt "
                         f"Objekt, koden {code})") if source is None else (
                    f"hos uppgiften {source!r} men ingen rad för uppgiften i Utfall")
                findings.append(Finding(
                    "V10", Severity.ERROR,
                    f"Raden {label!r} ({code}) har budget {where}, medan postens andra rader har "
                    "Prognos helår; den delens prognos saknas och skulle räknas som att inget "
                    "används. Posten bedöms på utfallet hittills. Lägg till raden i Utfall med "
                    "Prognos helår (0 om inget används).", object=source or code,
                    year=int(b.budget.years[year]) if year is not None else None))
        forecasts = []
    prognos = sum(forecasts, ZERO) if forecasts else None
    return utfall, prognos, typed[0].location


def _budgeted_lines(item: BindingItem, b: Berakning, year: int | None) -> frozenset[str]:
    """The lines with a budget other than zero in column ``year`` of the item's task or project
    (none for a central line item, or without a column)."""
    if year is None or item.object_type is ObjectType.RAD:
        return frozenset()
    st = (b.uppgifter if item.part is Part.DRIFT else b.investeringar.projekt).get(item.object)
    if st is None:
        return frozenset()
    return frozenset(code for code, vals in st.values.items()
                     if year < len(vals) and vals[year])


def _budgeted_leaves(typed: Mapping[str, Sequence[Decimal | None]], year: int
                     ) -> tuple[str, ...]:
    """The lines a task or project typed (``typed``: its input, line → amounts) with a budget
    other than zero in column ``year`` and no such line below them (a total typed beside its
    parts is budgeted through them)."""
    cat = catalogue()
    groups = _group_lines(cat)
    budgeted = {c for c, v in typed.items() if year < len(v) and v[year]}
    return tuple(c for c in budgeted
                 if c not in groups or budgeted.isdisjoint(_and_below(cat, c)[1:]))


def _budgeted_lines_without_rows(item: BindingItem, b: Berakning, year: int | None,
                                 wanted: Collection[str], mine: Sequence[PostUtfall],
                                 leaves: dict[str, tuple[str, ...]] | None = None
                                 ) -> list[str]:
    """The lines of ``item`` (``wanted``) with a budget in column ``year`` of its task or
    project on which no row of ``mine`` stands, nor on a line above or below it (a row on
    *Personalutgifter* covers *Löner och arvoden*). Only the lowest budgeted lines are looked
    at: a sum line is budgeted through its parts. None for a central line item (its budget is
    not the rows'), in the catalogue's order.

    Asked for every item with a forecast (4 000 in a city's follow-up): the lowest budgeted
    lines are found once per task and year, from the lines it typed, not the statement's
    every line (``leaves``: :attr:`_RowIndex.leaves`); the catalogue is walked only for those
    without a row of their own."""
    if year is None or item.object_type is ObjectType.RAD:
        return []
    drift = item.part is Part.DRIFT
    key = f"{'D' if drift else 'I'}{year}:{item.object}"
    lowest = leaves.get(key) if leaves is not None else None
    if lowest is None:
        inputs = _typed_lines(b, drift, leaves)
        got = inputs.get(item.object)
        lowest = _budgeted_leaves(got, year) if got is not None else ()
        if leaves is not None:
            leaves[key] = lowest
    if not lowest:
        return []
    typed = {r.kod for r in mine}
    missing = [c for c in lowest if c in wanted and c not in typed]
    if not missing:
        return []
    cat = catalogue()
    covered: set[str] = set()  # the lines the typed rows cover (a row on a sum line: its parts)
    for t in typed:
        covered.update(_and_below(cat, t))
    out = [c for c in missing
           if c not in covered and typed.isdisjoint(_and_below(cat, c)[1:])]
    out.sort(key=lambda c: (cat[c].order if c in cat else 10**9, c))
    return out


def _line_sources_without_rows(item: BindingItem, b: Berakning, year: int | None,
                               wanted: Collection[str], mine: Sequence[PostUtfall],
                               task_lines: Mapping[str, frozenset[str]]
                               ) -> list[tuple[str | None, str]]:
    """The sources of a central line item's budget in column ``year`` without an outturn row:
    the central line itself (None) when it has a budget there and no central row (Objekt the
    line's code) stands on it or a line above or below it, and each task with a budget on a
    line the item follows up for it (``task_lines``) and no row of its own there. Pairs
    (source, line code), in the catalogue's order."""
    if year is None:
        return []
    cat = catalogue()
    central_rows = {r.kod for r in mine if r.objekt == r.kod}
    task_rows: dict[str, set[str]] = {}
    for r in mine:
        if r.objekt != r.kod:
            task_rows.setdefault(r.objekt.casefold(), set()).add(r.kod)

    def covered(code: str, typed: set[str]) -> bool:
        return any(code in _and_below(cat, t) for t in typed) or \
            not typed.isdisjoint(_and_below(cat, code)[1:])

    out: list[tuple[str | None, str]] = []
    central = b.budget.central
    for code in _budgeted_leaves({c: v for c, v in central.items() if c in wanted}, year):
        if not covered(code, central_rows):
            out.append((None, code))
    for u in b.budget.uppgifter:
        followed = task_lines.get(u.namn.casefold(), frozenset())
        own = {c: v for c, v in u.belopp.items() if c in wanted and c in followed}
        if not own:
            continue
        typed = task_rows.get(u.namn.casefold(), set())
        out.extend((u.namn, code) for code in _budgeted_leaves(own, year)
                   if not covered(code, typed))
    out.sort(key=lambda sc: (cat[sc[1]].order if sc[1] in cat else 10**9, sc[0] or ""))
    return out


def _typed_lines(b: Berakning, drift: bool, cache: dict | None
                 ) -> Mapping[str, Mapping[str, Sequence[Decimal | None]]]:
    """Each task's (``drift``) or project's typed lines by its name; made once per follow-up
    when ``cache`` (:attr:`_RowIndex.leaves`) keeps it."""
    key = "tasks" if drift else "projects"
    got = cache.get(key) if cache is not None else None
    if got is None:
        got = ({u.namn: u.belopp for u in b.budget.uppgifter} if drift
               else {p.namn: p.belopp for p in b.budget.projekt})
        if cache is not None:
            cache[key] = got
    return got


def _followed_up_objects(items: Sequence[BindingItem], b: Berakning) -> set[str]:
    """The names (casefolded) an outturn row or an överskridningsrätt may give: every item's
    object, every task (enterprises' too) and project, and the lines below a central line item
    (FD.OVR.FORDR of FD.OVR is followed up on it)."""
    known = {i.object.casefold() for i in items}
    known.update(u.namn.casefold() for u in b.budget.uppgifter)  # enterprises' tasks too
    known.update(p.namn.casefold() for p in b.budget.projekt)
    cat = catalogue()
    known.update(c.casefold() for i in items if i.object_type is ObjectType.RAD
                 for c in _and_below(cat, i.object))
    return known


def _right_without_item(ratt: Mapping[str, Decimal], plats: Mapping[str, Location],
                        items: Sequence[BindingItem], b: Berakning) -> list[Finding]:
    """V1: an överskridningsrätt must name something followed up, as an outturn row must
    (:func:`_outturn_without_item`); a typo's right would be dropped without a word and the
    item shown as exceeding its appropriation (found by metamorphic testing, 2026-12)."""
    if not ratt:
        return []
    known = _followed_up_objects(items, b)
    return [Finding(
        "V1", Severity.ERROR,
        f"Överskridningsrätten för {obj!r} hör inte till någon uppgift, något projekt eller "
        "någon central bindande post i budgeten, så den används inte. Skriv namnet som i "
        "tblUppgifter eller tblInvesteringar (tomt Objekt och radens kod för kommunens "
        "centrala poster).", object=obj, location=plats.get(obj))
        for obj in ratt if obj.casefold() not in known]


def _outturn_without_item(rows: Sequence[PostUtfall], items: Sequence[BindingItem],
                          b: Berakning, folded: Sequence[str] | None = None) -> list[Finding]:
    """V1: an outturn row must name something that is followed up: a task or project of the
    budget (by its name, as in tblUppgifter or tblInvesteringar) or a central line with a binding
    item (Objekt empty, the line's code). A name that is none of these (a typo) is an error: its
    figures would be left out of the outturn statement without a word. A central line that is
    not a binding item (a sum, an operating line) is a warning: it is not followed up.
    ``folded``: each row's object casefolded (:attr:`_RowIndex.folded`), else folded here."""
    known = _followed_up_objects(items, b)
    cat = catalogue()
    if folded is None:
        folded = [r.objekt.casefold() for r in rows]
    out: list[Finding] = []
    for key, r in zip(folded, rows, strict=True):
        if key in known or (r.utfall is None and r.prognos is None):
            continue
        if r.objekt == r.kod and r.kod in cat:
            out.append(Finding(
                "V1", Severity.WARNING,
                f"Utfallet på raden {cat[r.kod].label!r} ({r.kod}) följs inte upp: raden är ingen "
                "bindande post (bindande bland kommunens centrala poster är bl.a. skatteinkomster, "
                "statsandelar, finansiella poster och lån). Ta bort raden eller välj en bindande "
                "rad.", object=r.kod, location=r.location))
            continue
        out.append(Finding(
            "V1", Severity.ERROR,
            f"Utfallet för {r.objekt!r} ({r.kod}) hör inte till någon uppgift, något projekt eller "
            "någon central post i budgeten, så det räknas inte med i tablån över budgetens utfall. "
            "Skriv namnet som i tblUppgifter eller tblInvesteringar (tomt Objekt för kommunens "
            "centrala poster).", object=r.objekt, location=r.location))
    return out


def _task_outturn_not_followed_up(rows: Sequence[PostUtfall], items: Sequence[BindingItem],
                                  b: Berakning, task_lines: Mapping[str, frozenset[str]],
                                  folded: Sequence[str] | None = None) -> list[Finding]:
    """V1: a task's outturn typed on a line that none of its items and no line item follows up
    (depreciation of a budget-financed task, say) is in no row of the tablå: a warning at the
    row, never left out without a word. Enterprises' rows are outside the municipality's
    budget (their council-binding posts have no amounts) and are not judged here.
    ``folded``: each row's object casefolded (:attr:`_RowIndex.folded`), else folded here."""
    cat = catalogue()
    kinds = {u.namn.casefold(): u.finansiering for u in b.budget.uppgifter}
    # per task (casefolded): the lines its items and the line items follow up on it, made once
    # per task from the few distinct sets of lines (issue 17: not looked up per row)
    lines_of: dict[str, list[frozenset[str]]] = {}
    for item in items:
        if item.part is Part.DRIFT:
            key = item.object.casefold()
            if key in kinds:
                lines_of.setdefault(key, []).append(_lines_and_below(cat, _rader(item, b)))
    unions: dict[tuple[frozenset[str], ...], frozenset[str]] = {}
    followed: dict[str, frozenset[str]] = {}  # enterprises' tasks: not judged, not in it
    for key, kind in kinds.items():
        if kind is Finansiering.AFFARSVERK:
            continue
        sets = (*lines_of.get(key, ()), task_lines.get(key, frozenset()))
        got = unions.get(sets)
        if got is None:
            got = unions[sets] = frozenset().union(*sets)
        followed[key] = got
    if folded is None:
        folded = [r.objekt.casefold() for r in rows]
    out: list[Finding] = []
    for key, r in zip(folded, rows, strict=True):
        lines = followed.get(key)
        if lines is None or r.kod in lines or (r.utfall is None and r.prognos is None):
            continue
        line = cat.lines.get(r.kod)
        label = line.label if line is not None else r.kod
        if line is not None and not line.computed and not line.binding:
            # an input line that is no binding item for the task (its depreciation): not lost
            # (the statements have it), only not in the tablå; said so, nothing to fix
            out.append(Finding(
                "V1", Severity.INFO,
                f"Utfallet för {r.objekt!r} på raden {label!r} ({r.kod}) står inte i tablån över "
                "budgetens utfall: raden är ingen bindande post för uppgiften.",
                object=r.objekt, location=r.location))
            continue
        out.append(Finding(
            "V1", Severity.WARNING,
            f"Utfallet för {r.objekt!r} på raden {label!r} ({r.kod}) följs inte upp: raden ingår "
            "inte i uppgiftens bindande poster och inte i någon av kommunens bindande rader, så "
            "den står inte i tablån över budgetens utfall. Ange utfallet på raderna under den "
            "(en summarad delas inte upp på posterna) eller på den rad där det budgeterats.",
            object=r.objekt, location=r.location))
    return out


#: :func:`post_index`: an item list's positions by object (casefolded)
PostIndex = dict[str, list[tuple[int, BindingItem]]]


def post_index(items: Sequence[BindingItem]) -> PostIndex:
    """``items`` by object, casefolded, each with its position: what :func:`resolve_post` looks
    a name up in when it resolves many changes against the same items (one look instead of a
    scan of every item per change: issue 17)."""
    out: PostIndex = {}
    for n, item in enumerate(items):
        out.setdefault(item.object.casefold(), []).append((n, item))
    return out


def resolve_post(text: str, items: Sequence[BindingItem], *,
                 index: PostIndex | None = None) -> BindingItem | None:
    """The item a budget change names: ``"Objekt / slag"`` (slag: anslag, beräknad inkomst,
    netto; optional when the object has one item), the object being a task or project name or a
    line code or label. A balance unit's bokslutsdisposition item is named by its line:
    ``"Objekt / Förändring av reserver"`` (or ``/ RR.BD.RES``); ``"Objekt / netto"`` and
    ``"Objekt"`` name the unit's result item. ``index``: :func:`post_index` of ``items`` (the
    same answer, without looking at every item)."""
    parts = [p.strip() for p in str(text).split("/")]
    obj_text = parts[0].casefold()
    kind = None
    detalj = None
    if len(parts) > 1 and parts[1]:
        try:
            kind = Kind.parse(parts[1])
        except ValueError:
            try:
                detalj = catalogue().resolve(parts[1], ("RR",))
            except LookupError:
                return None
            if detalj not in BALANSENHET_BOKSLUTSDISPOSITIONER:
                return None
    try:
        code = catalogue().resolve(parts[0]).casefold()
    except LookupError:
        code = None
    if index is not None:  # the items of those objects, in their order in ``items``
        found = index.get(obj_text, [])
        if code is not None and code != obj_text:
            found = sorted([*found, *index.get(code, [])], key=itemgetter(0))
        items = [i for _, i in found]
    matches = [i for i in items if i.object.casefold() in (obj_text, code)
               and (kind is None or i.kind is kind)
               and (i.detalj == detalj if detalj is not None
                    else i.detalj not in BALANSENHET_BOKSLUTSDISPOSITIONER)]
    return matches[0] if len(matches) == 1 else None


@dataclass
class Uppfoljning:
    objects: list[BudgetObject]
    items: list[BindingItem]
    tabla: Tabla | None
    sammandrag: Sammandrag | None
    findings: list[Finding] = field(default_factory=list)


@without_gc_pauses
def uppfoljning(
    b: Berakning,
    *,
    principer: Mapping[str, tuple[str, str]] | None = None,
    aktuellt_ar: int | None = None,
    budgetar: int | None = None,
    utfall: Sequence[PostUtfall] = (),
    andringar: Sequence[BudgetChange] = (),
    overskridningsratt: Mapping[str, Decimal] | None = None,
    overskridningsratt_plats: Mapping[str, Location] | None = None,
    historik: Sequence[Bokslutsbalans] = (),
    atgarder: Sequence[Atgard] = (),
    kris: Sequence[KrisNyckeltal] = (),
    v9_version: str = "2019",
    poster: tuple[list[BudgetObject], list[BindingItem]] | None = None,
) -> Uppfoljning:
    """Outturn statement for ``aktuellt_ar`` (the current year), sammandrag and checks for
    ``budgetar`` (the budget year). Years are calendar years present among the budget's columns.
    ``poster``: ``bindande_poster(b, principer)`` when the caller has made it already.
    ``overskridningsratt``: the right granted per object (a task or project name, a line code),
    matched to the items as the outturn rows are, without regard to case; one naming nothing
    of the budget is a V1 error, at its cell in ``overskridningsratt_plats`` (same keys)."""
    years = [int(y) for y in b.budget.years]
    objects, items = poster if poster is not None else bindande_poster(b, principer)
    findings: list[Finding] = _totals_without_binding_lines(b)
    st = b.statement

    # V2: netto items have both sides; V3: the resultaträkningsdel's binding items
    netto: dict = {}
    for item in items:
        if item.principle is not Principle.NETTO or item.part not in (Part.DRIFT,
                                                                      Part.INVESTERING):
            continue
        if item.detalj in BALANSENHET_BOKSLUTSDISPOSITIONER:
            continue  # a change of a balance-sheet item, not income minus expenses
        ts = (b.uppgifter if item.part is Part.DRIFT else b.investeringar.projekt).get(
            item.object)
        if ts is None:
            continue
        inc, exp = _sidor(item)
        netto[item.key] = {
            y: NettoSidor(sum((ts[c][i] for c in inc if c in ts.values), ZERO),
                          sum((ts[c][i] for c in exp if c in ts.values), ZERO),
                          post_belopp(item, b, i) or ZERO)
            for i, y in enumerate(years)}
    findings.extend(check_v2_sides(
        [i for i in items if i.detalj not in BALANSENHET_BOKSLUTSDISPOSITIONER],
        netto_budgets=netto))

    tab = None
    if aktuellt_ar in years:
        i = years.index(aktuellt_ar)
        ratt: dict[str, Decimal] = {}  # casefolded: typed "äldreomsorg", it is Äldreomsorg's
        for obj, value in (overskridningsratt or {}).items():
            ratt.setdefault(obj.casefold(), value)
        inputs = []
        without: list[str] = []  # items with a budget but no outturn typed
        changed = {c.item for c in andringar if c.year == aktuellt_ar}
        task_lines = {u.namn.casefold(): task_line_codes(u.finansiering)
                      for u in b.budget.uppgifter}
        index = _RowIndex(utfall)
        for item in items:
            amount = post_belopp(item, b, i)
            if amount is None:
                continue
            u, p, loc = _item_outturn(item, b, utfall, findings, task_lines, index, i)
            if u is None and p is None:
                # the tablå keeps the budget's whole layout (seed §7.5): a row with its budget
                # and changes, "utfall saknas"; its part's outturn total is left blank
                if utfall and (amount or item.key in changed):
                    without.append(item.name)
                    inputs.append(OutturnInput(item, aktuellt_ar, amount, None,
                                               overskridningsratt=ratt.get(item.object.casefold())))
                continue
            inputs.append(OutturnInput(item, aktuellt_ar, amount, u or ZERO, prognos=p,
                                       overskridningsratt=ratt.get(item.object.casefold()), location=loc))
        tab = tabla(inputs, andringar)
        findings.extend(tab.findings)
        if without:  # never left out without a word (seed §7.5: the budget's whole layout)
            shown = "; ".join(without[:10]) + (f" och {len(without) - 10} till"
                                               if len(without) > 10 else "")
            findings.append(Finding(
                "U1", Severity.WARNING,
                f"{len(without)} bindande poster med budget för {aktuellt_ar} har inget utfall "
                f"angivet: {shown}. De står i tablån över budgetens utfall med sin budget och "
                "status \"utfall saknas\", och delens summa av utfallet lämnas tom. Ange "
                "utfall hittills och prognos (0 om inget har använts) för dem i Utfall.",
                year=aktuellt_ar))
        findings.extend(_outturn_without_item(utfall, items, b, index.folded))
        findings.extend(_right_without_item(overskridningsratt or {},
                                            overskridningsratt_plats or {}, items, b))
        findings.extend(_task_outturn_not_followed_up(utfall, items, b, task_lines,
                                                      index.folded))

    summary = None
    if budgetar in years:
        i = years.index(budgetar)
        central_rr = {c: v[i] for c, v in b.rader.items()
                      if c.startswith("RR.") and v[i] is not None}
        findings.extend(check_v3_resultatdel(
            [x for x in items if x.part is Part.RESULTAT], samkommun=b.budget.samkommun,
            budget=central_rr))
        types = {o.id: o.task_type for o in objects}
        posts = []
        for item in items:
            # an other balance unit: bound on its result, in the sammandrag with its årsbidrag
            rader = SAMMANDRAG_BALANSENHET if item.detalj in BALANSENHET_RADER else None
            amount = post_belopp(item, b, i, rader=rader)
            if amount is None or item.object.startswith("RR.BD.") \
                    or item.detalj in BALANSENHET_BOKSLUTSDISPOSITIONER:
                continue  # bokslutsdispositioner are not cash (seed §7.1.2.3, V5)
            shown = replace(item, detalj="RR.AB") if rader is not None else item
            posts.append(SammandragPost(shown, amount, task_type=types.get(item.object)))
        korr = st.get("FD.VK.KORR", i)
        if korr:
            posts.append(SammandragPost(
                BindingItem(Part.FINANSIERING, "FD.VK.KORR", Kind.NETTO, Principle.NETTO,
                            object_type=ObjectType.RAD,
                            label="Korrektivposter till internt tillförda medel (ej bindande)"),
                korr))
        # FD.IK.FORS is the sales at book value (the projects' IN.FORS, in the investment
        # items above) plus the disposal gains corrected out of årsbidrag (seed §6.6, domain
        # §5.4); typed centrally with the gain, the gain is in inverkan på likviditeten and
        # in no item: a non-binding row of its own, as the korrektivposter that remove it
        fors = st.values.get("FD.IK.FORS")
        bokfort = st.values.get("IN.FORS")
        vinst = (fors[i] if fors is not None else ZERO) - (
            bokfort[i] if bokfort is not None else ZERO)
        if vinst:
            posts.append(SammandragPost(
                BindingItem(Part.FINANSIERING, "FD.IK.FORS", Kind.NETTO, Principle.NETTO,
                            object_type=ObjectType.RAD,
                            label="Korrigerade försäljningsvinster (-förluster) i "
                                  "försäljningsinkomsterna (ej bindande)"),
                vinst))
        summary = sammandrag(posts, st.get("FD.INV", i))
        findings.extend(summary.findings)

        inverkan = {y: st.get("FD.INV", j) for j, y in enumerate(years) if y >= budgetar}
        start = _liquid_assets_at_start(b, budgetar)
        current_missing = budgetar - 1 not in years
        if start is not None:
            findings.extend(check_v7_likviditet(inverkan, start, budgetar))
        else:  # never skipped without a word
            why = (f"årskolumnen för {budgetar - 1} (innevarande år) saknas, så dess likvida "
                   "medel 31.12 är okända" if current_missing else
                   f"varken Likvida medel (BAL.LIKV) för {budgetar - 1} eller likvida medel vid "
                   f"årets början (BAL.LIKV.START) för {budgetar} är ifyllda")
            findings.append(Finding(
                "V7", Severity.WARNING,
                "Likviditetskontrollen (en negativ inverkan på likviditeten får inte vara större "
                f"än de likvida medlen vid budgetårets ingång) kan inte göras: {why}. Fyll i de "
                f"likvida medlen vid ingången av {budgetar} under Centrala poster.",
                "BAL.LIKV.START", budgetar))  # (said at that cell, Likvida medel 1.1)
        overskott = {y: st.get("RR.OVERSKOTT", j) for j, y in enumerate(years) if y >= budgetar}
        acc = _accumulated_forecast(b, budgetar, historik)
        findings.extend(check_v11_investeringsreserv(budgetar, st.get("RR.BD.RES", i), acc))
        findings.extend(_balansenheter_reserv(b, i, budgetar))
        findings.extend(_typed_balances_off_the_statements(
            b, aktuellt_ar if aktuellt_ar is not None and aktuellt_ar < budgetar else budgetar,
            budgetar))
        kolumner = _accounts_from_columns(b, budgetar)
        differ = _accounts_differ(historik, kolumner)
        findings.extend(differ)
        told = {f.year - 1 for f in differ if f.year is not None}
        # a year said above is not said again (by V8's or V9's deadline, when the sign differs
        # too): tblBokslut counts for it there as well
        kolumner = [k for k in kolumner if k.ar not in told]
        if acc is not None:
            findings.extend(check_v8_balans(budgetar, overskott, acc, historik, atgarder,
                                            kolumnhistorik=kolumner))
        elif current_missing:
            findings.append(Finding(
                "V8", Severity.WARNING,
                f"Balanskontrollen kräver det ackumulerade överskottet i slutet av {budgetar - 1} "
                f"(innevarande år), men årskolumnen för {budgetar - 1} saknas. Lägg till den i "
                "tblAr och i indatatabellerna, med överskottet från tidigare räkenskapsperioder "
                "(BAL.TIDOVERSK) under Centrala poster.", "BAL.TIDOVERSK", budgetar))
        else:
            findings.append(Finding(
                "V8", Severity.WARNING,
                "Balanskontrollen kräver det ackumulerade överskottet från tidigare "
                "räkenskapsperioder (BAL.TIDOVERSK) för åren före budgetåret; fyll i det under "
                "Centrala poster.", "BAL.TIDOVERSK", budgetar - 1))  # (the blank cell's year)
    else:
        kolumner = []
    if kris or historik:
        said = {f.message for f in findings if f.rule == "V8"}
        v9 = [f for f in _v9(kris, historik, kolumner, v9_version, b.budget.samkommun)
              if f.message not in said]  # a missing year of the history: told once, by V8
        findings.extend(v9)
    return Uppfoljning(objects, items, tab, summary, findings)


def _v9(kris: Sequence[KrisNyckeltal], historik: Sequence[Bokslutsbalans],
        kolumner: Sequence[Bokslutsbalans], version: str, samkommun: bool) -> list[Finding]:
    """V9's findings, and an info that none of its criteria is met only when every criterion
    could be judged (one that could not is named in an info of its own, never a silent "no")."""
    try:
        res = bedom_v9(kris, historik=historik, version=version, samkommun=samkommun,
                       kolumnhistorik=kolumner)
    except ValueError:
        return check_v9_utvarderingsforfarande(kris, version=version)  # the unknown version
    judged = [res.tidsfrist_overskriden] if samkommun else \
        [res.tidsfrist_overskriden, res.underskott_per_inv, res.nyckeltal]
    if not all(v is False for v in judged):
        return list(res.findings)
    which = ("tidsfristkriteriet, det enda som gäller samkommuner, uppfylls inte" if samkommun
             else "inget av kriterierna uppfylls")
    return [*res.findings, Finding(
        "V9", Severity.INFO,
        f"Utvärderingsförfarandet (kriterier {res.version}): {which} för de senaste boksluten.",
        "utvärderingsförfarande", max((n.ar for n in kris), default=None))]


def _accounts_from_columns(b: Berakning, budgetar: int) -> list[Bokslutsbalans]:
    """The approved accounts' accumulated surplus the year columns show: BAL.TIDOVERSK of a
    column for year Y before the budget year is the surplus from earlier periods in the balance
    sheet of Y, i.e. the accumulated surplus of the accounts of Y − 1 (approved by Y)."""
    prev = b.budget.central.get("BAL.TIDOVERSK")
    if prev is None:
        return []
    return [Bokslutsbalans(int(y) - 1, v) for y, v in zip(b.budget.years, prev, strict=True)
            if v is not None and int(y) < budgetar]


def _totals_without_binding_lines(b: Berakning) -> list[Finding]:
    """V5: a central total whose binding items are the lines below it (Finansiella inkomster
    och utgifter, Förändringar i lånebeståndet, …), typed without them: it counts in the
    statements and inverkan på likviditeten but belongs to no binding item, so the sammandrag
    cannot balance and the tablå leaves it out. Said at the row, with the fix."""
    cat = catalogue()
    out: list[Finding] = []
    for code, vals in b.budget.central.items():
        if code not in cat or cat[code].binding or not cat[code].computed \
                or not any(v for v in vals if v is not None):
            continue
        below = [c for c in _and_below(cat, code)[1:] if cat[c].binding]
        if not below or any(c in b.rader for c in _and_below(cat, code)[1:]):
            continue
        names = ", ".join(f"{cat[c].label} ({c})" for c in below[:6])
        out.append(Finding(
            "V5", Severity.ERROR,
            f"Raden {cat[code].label!r} ({code}) har belopp under Centrala poster, men den är en "
            f"summarad: de bindande posterna är raderna under den: {names}. Beloppet räknas i "
            "resultaträkningen och finansieringsdelen men hör inte till någon bindande post, så "
            "sammandraget balanserar inte och tablån över budgetens utfall saknar det. Fördela "
            "beloppet på raderna under summaraden.", code, None))
    return out


def _balansenheter_reserv(b: Berakning, i: int, budgetar: int) -> list[Finding]:
    """V11 for enterprises and other balance units (seed §6.4.3.5: "Denna regel gäller också för
    budgetering av investeringsreserveringar i affärsverk och andra balansenheter"): their own
    balance sheets are not in the workbooks, so a budgeted increase is a warning to check."""
    out: list[Finding] = []
    for u in b.budget.uppgifter:
        if u.finansiering not in _EGNA_BALANSRAKNINGAR:
            continue
        vals = u.belopp.get("RR.BD.RES")
        value = vals[i] if vals is not None else None
        if value is None or value >= 0:
            continue
        out.append(Finding(
            "V11", Severity.WARNING,
            f"{u.namn} budgeterar en ökning av reserver på {_sv(-value)} budgetåret {budgetar}. "
            "En investeringsreserv får budgeteras högst till de uppskattade överskottsposterna i "
            f"enhetens balansräkning för {budgetar - 1} (JHS 199 §6.4.3.5); arbetsboken har inte "
            "enhetens balansräkning, så kontrollera beloppet mot den.",
            u.namn, budgetar, None))
    return out


#: The tasks with balance sheets of their own (V11 above): a set, not a tuple to compare with
#: one by one (the same membership: a member hashes and compares as its value).
_EGNA_BALANSRAKNINGAR = frozenset({Finansiering.BALANSENHET, Finansiering.AFFARSVERK})


def _liquid_assets_at_start(b: Berakning, budgetar: int) -> Decimal | None:
    """Likvida medel at 1.1 of ``budgetar``: its BAL.LIKV.START, else BAL.LIKV at 31.12 of the
    year before (by year: the column before need not be that year's)."""
    years = [int(y) for y in b.budget.years]
    central = b.budget.central
    start = central.get("BAL.LIKV.START")
    if start is not None and start[years.index(budgetar)] is not None:
        return start[years.index(budgetar)]
    closing = central.get("BAL.LIKV")
    if budgetar - 1 in years and closing is not None:
        return closing[years.index(budgetar - 1)]
    return None


def _typed_balances_off_the_statements(b: Berakning, first: int,
                                       budgetar: int | None = None) -> list[Finding]:
    """The balance figures typed for the years from ``first`` on (the current year's forecast,
    the budget and the plan) against the budget's own figures rolled forward: likvida medel
    31.12 of Y = those at the start of Y (BAL.LIKV.START, else BAL.LIKV 31.12 of Y − 1) +
    inverkan på likviditeten of Y; the earlier periods' surplus of Y + 1 (BAL.TIDOVERSK) = that
    of Y + the överskott of Y. A typed figure that is not (left from before a budget change)
    feeds the key ratios (kassadagar, ackumulerat överskott per invånare), while V7 and V8 roll
    the figures forward themselves: a warning, never a ratio on a stale figure without a word
    (found by metamorphic testing, 2026-12). Also, for any year: likvida medel 1.1 (BAL.LIKV.START)
    typed unlike 31.12 of the year before, the same cash (V7 takes 1.1 for ``budgetar``;
    found 2026-12: a stale 1.1 figure passed a budget whose cash runs out)."""
    years = [int(y) for y in b.budget.years]
    central = b.budget.central
    st = b.statement
    likv, acc = central.get("BAL.LIKV"), central.get("BAL.TIDOVERSK")
    start = central.get("BAL.LIKV.START")
    out: list[Finding] = []
    for j, y in enumerate(years):
        if start is not None and start[j] is not None and likv is not None \
                and y - 1 in years and likv[years.index(y - 1)] is not None \
                and start[j] != likv[years.index(y - 1)]:
            closing = likv[years.index(y - 1)]
            out.append(Finding(
                "V7", Severity.WARNING,
                f"Likvida medel 1.1.{y} är {_sv(start[j])}, men likvida medel 31.12.{y - 1} är "
                f"{_sv(closing)} (skillnad {_sv(start[j] - closing)}); det är samma kassa. "
                + ("Likviditetskontrollen (V7) för budgetåret och kontrollen av likvida medel "
                   if y == budgetar else "Kontrollen (V7) av likvida medel ")
                + f"31.12.{y} räknar med 1.1-värdet {_sv(start[j])}. Rätta det värde som är "
                f"fel, eller töm likvida medel 1.1 för {y} så används 31.12.{y - 1}.",
                "BAL.LIKV.START", y))
        if y < first:
            continue
        if likv is not None and likv[j] is not None:
            prev = _liquid_assets_at_start(b, y)  # (as V7 takes them)
            if prev is not None:
                inv = st.get("FD.INV", j)
                if likv[j] != prev + inv:
                    out.append(Finding(
                        "V7", Severity.WARNING,
                        f"Likvida medel 31.12.{y} är {_sv(likv[j])}, men likvida medel vid årets "
                        f"början {_sv(prev)} + inverkan på likviditeten {_sv(inv)} = "
                        f"{_sv(prev + inv)} (skillnad {_sv(likv[j] - prev - inv)}). Nyckeltalen "
                        "(kassadagar) räknas på det inskrivna värdet, likviditetskontrollen (V7) "
                        "på budgetens egna siffror. Uppdatera likvida medel under Centrala poster "
                        "efter en budgetändring, eller kontrollera finansieringsdelen.",
                        "BAL.LIKV", y))
        if acc is not None and acc[j] is not None and y + 1 in years:
            k = years.index(y + 1)
            if acc[k] is not None:
                over = st.get("RR.OVERSKOTT", j)
                if acc[k] != acc[j] + over:
                    out.append(Finding(
                        "V8", Severity.WARNING,
                        f"Överskott från tidigare räkenskapsperioder för {y + 1} är "
                        f"{_sv(acc[k])}, men det för {y} ({_sv(acc[j])}) + räkenskapsperiodens "
                        f"överskott {y} ({_sv(over)}) = {_sv(acc[j] + over)} (skillnad "
                        f"{_sv(acc[k] - acc[j] - over)}). Nyckeltalen (ackumulerat överskott per "
                        "invånare) räknas på det inskrivna värdet. Uppdatera det under Centrala "
                        "poster efter en budgetändring (en rättelse direkt mot eget kapital "
                        "förklarar en skillnad).", "BAL.TIDOVERSK", y + 1))
    return out


def _accumulated_forecast(b: Berakning, budgetar: int,
                          historik: Sequence[Bokslutsbalans] = ()) -> Decimal | None:
    """Accumulated surplus at the end of the year before ``budgetar`` (the current year): its
    earlier surpluses plus its own result (its balance forecast); None when that year has no
    column, or neither approved accounts nor BAL.TIDOVERSK give its earlier surpluses.

    The earlier surpluses are the approved accounts of the year before the current year when
    tblBokslut has them (the first row of that year), else the current year's BAL.TIDOVERSK:
    the approved accounts are the authority for the deficit to cover (docs/DECISIONS.md; a
    difference between the two is a V8 warning, :func:`_accounts_differ`)."""
    years = [int(y) for y in b.budget.years]
    if budgetar - 1 not in years:
        return None
    j = years.index(budgetar - 1)
    approved = next((h.ackumulerat for h in historik if h.ar == budgetar - 2), None)
    prev = b.budget.central.get("BAL.TIDOVERSK")
    earlier = approved if approved is not None else (prev[j] if prev is not None else None)
    if earlier is None:
        return None
    return earlier + b.statement.get("RR.OVERSKOTT", j)


def _accounts_differ(historik: Sequence[Bokslutsbalans],
                     kolumner: Sequence[Bokslutsbalans]) -> list[Finding]:
    """V8: an approved accounts' accumulated surplus (tblBokslut, year Y) that the surplus from
    earlier periods of Y + 1 in the year columns (BAL.TIDOVERSK) does not equal: the same
    balance typed twice. Said at tblBokslut's amount with both figures; the accounts count
    (found 2026-12: they differed by 1 000 and V8 judged on the column without a word)."""
    first: dict[int, Bokslutsbalans] = {}
    for h in historik:
        first.setdefault(h.ar, h)
    out: list[Finding] = []
    for k in kolumner:
        h = first.get(k.ar)
        if h is None or h.ackumulerat == k.ackumulerat:
            continue
        out.append(Finding(
            "V8", Severity.WARNING,
            f"Det fastställda bokslutet för {k.ar} visar ackumulerat överskott "
            f"{_sv(h.ackumulerat)} (tblBokslut, Balans och kris), men överskottet från tidigare "
            f"räkenskapsperioder för {k.ar + 1} (BAL.TIDOVERSK under Centrala poster) är "
            f"{_sv(k.ackumulerat)} (skillnad {_sv(k.ackumulerat - h.ackumulerat)}). Det är samma "
            "belopp i balansräkningen. Balanskontrollen och tidsfristen (V8) räknar med det "
            "fastställda bokslutet; nyckeltalet ackumulerat överskott per invånare med "
            "BAL.TIDOVERSK. Rätta den uppgift som är fel.",
            "BAL.TIDOVERSK", k.ar + 1, h.belopp_location or h.location))
    return out
