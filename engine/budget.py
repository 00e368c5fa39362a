"""A municipality's budget as data, and its consolidation into the statements (spec §2, §5–6).

* :class:`Uppgift` — a task of the driftsekonomidel with its lines per year and how it is
  financed (budget-financed, net unit, other balance unit, enterprise).
* :class:`Projekt` — an investment project (investeringsdel) with its yearly flows and the total
  cost estimate (kostnadskalkyl) the council approved.
* :class:`Budget` — the whole: tasks, projects, the centrally budgeted lines (taxes, state shares,
  financial and extraordinary items, bokslutsdispositioner, financing rows, balance figures),
  inhabitants.

:func:`berakna` consolidates (§6): the resultaträkningsdel is the sum of every task's operating and
result-budget lines, enterprises excluded and internal items eliminated, plus the central lines; the
finansieringsdel takes årsbidrag and extraordinary items from it and the investment flows (gross)
from the investeringsdel; enterprises enter only the separate comparison of §9.3
(:func:`affarsverk_inverkan`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cache

from engine.catalogue import catalogue
from engine.findings import Finding, Severity
from engine.gc_pause import without_gc_pauses
from engine.money import ZERO, format_sv
from engine.ratios import Ratio, ackumulerat_kassaflode, nyckeltal
from engine.statements import (
    Amounts,
    Source,
    Statement,
    compute,
    consolidate,
    sum_amounts,
    sum_rows,
)

__all__ = [
    "INTERNA_POSTER",
    "Berakning",
    "Budget",
    "Finansiering",
    "Investeringsdel",
    "Projekt",
    "Uppgift",
    "affarsverk_inverkan",
    "berakna",
    "driftsekonomidel",
    "investeringsdel",
    "task_line_codes",
]

#: The object of the V5 finding on internal items (lines DR.INT.*), as a controller reads it.
INTERNA_POSTER = "interna poster"


class Finansiering(StrEnum):
    """How a task is financed (spec §2)."""

    BUDGETFINANSIERAD = "budgetfinansierad"
    NETTOENHET = "nettoenhet"
    BALANSENHET = "balansenhet"  # annan balansenhet
    AFFARSVERK = "affärsverk"

    @classmethod
    def parse(cls, text: str) -> Finansiering:
        key = str(text).strip().casefold().replace("annan ", "").replace("affarsverk", "affärsverk")
        for member in cls:
            if member.value == key:
                return member
        raise ValueError(f"okänd finansieringsform {text!r}")


@dataclass(frozen=True)
class Uppgift:
    """A task (uppgift) of the driftsekonomidel: line code -> amounts per year column."""

    namn: str
    namnd: str
    finansiering: Finansiering = Finansiering.BUDGETFINANSIERAD
    belopp: Mapping[str, Sequence[Decimal | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class Projekt:
    """An investment project: IN.UTG / IN.FA / IN.FORS per year column.

    ``kostnadskalkyl`` is the approved total cost estimate (a positive amount of expenditure);
    ``tidigare`` what was spent before the first year column (positive).
    """

    namn: str
    namnd: str
    netto: bool = False
    kostnadskalkyl: Decimal | None = None
    tidigare: Decimal = ZERO
    uppgift: str | None = None  # the enterprise or unit that owns it, if any
    belopp: Mapping[str, Sequence[Decimal | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class Budget:
    kommun: str
    years: tuple[str, ...]
    uppgifter: tuple[Uppgift, ...] = ()
    projekt: tuple[Projekt, ...] = ()
    central: Mapping[str, Sequence[Decimal | None]] = field(default_factory=dict)
    invanare: Sequence[Decimal | int | None] = ()  # as typed, not truncated
    samkommun: bool = False

    @property
    def n(self) -> int:
        return len(self.years)

    def affarsverk(self) -> set[str]:
        return {u.namn for u in self.uppgifter if u.finansiering is Finansiering.AFFARSVERK}


@dataclass(frozen=True)
class Investeringsdel:
    """Per project: its statement (IN lines); totals per year; findings on cost estimates."""

    years: tuple[str, ...]
    projekt: dict[str, Statement]
    totals: Statement
    findings: tuple[Finding, ...]


def driftsekonomidel(uppgift: Uppgift, years: Sequence[str]) -> Statement:
    """One task's statement: its operating lines, verksamhetsbidrag and (for result budgets) the
    lines below it. Internal items (DR.INT.*) are shown but are not part of verksamhetsbidrag."""
    return compute(uppgift.belopp, years, ("RR", "DR"))


def investeringsdel(projekt: Sequence[Projekt], years: Sequence[str]) -> Investeringsdel:
    """The investeringsdel (spec §5.3): per project and in total, gross flows and net.

    A project whose earlier spending plus the year columns exceeds its kostnadskalkyl is an error
    finding (the council approved the estimate; exceeding it needs a new decision)."""
    years = tuple(str(y) for y in years)
    per: dict[str, Statement] = {}
    findings: list[Finding] = []
    for p in projekt:
        st = compute(p.belopp, years, ("IN",))
        per[p.namn] = st
        findings.extend(st.findings)
        if "IN.NETTO" in p.belopp and any(v for v in p.belopp["IN.NETTO"] if v is not None) \
                and not {"IN.UTG", "IN.FA", "IN.FORS"} & set(p.belopp):
            # the finansieringsdel takes the investeringsdel's gross flows, never the net
            findings.append(Finding(
                "V4", Severity.ERROR,
                "projektet anger bara investeringarnas netto (IN.NETTO); finansieringsdelen och "
                "kommunens investeringsdel räknas på bruttoflödena. Ange investeringsutgifter "
                "(IN.UTG) och finansieringsandelar eller försäljningsinkomster i stället",
                object=p.namn))
        if p.kostnadskalkyl is not None:
            planned = p.tidigare - sum(st["IN.UTG"], ZERO)
            if planned > p.kostnadskalkyl:
                findings.append(
                    Finding(
                        "V1",
                        Severity.ERROR,
                        f"investeringsutgifterna ({format_sv(planned)} inkl. tidigare år) överskrider"
                        f" kostnadskalkylen {format_sv(p.kostnadskalkyl)}; fullmäktige ska godkänna en "
                        "ny kostnadskalkyl eller så ska utgifterna minskas",
                        object=p.namn,
                    )
                )
    totals = compute(sum_amounts([p.belopp for p in projekt], len(years)), years, ("IN",))
    return Investeringsdel(years, per, totals, tuple(findings))


@dataclass(frozen=True)
class Berakning:
    """Everything computed for one budget."""

    budget: Budget
    statement: Statement  # RR + IN + FD (+ BAL given), municipality without enterprises
    uppgifter: dict[str, Statement]
    investeringar: Investeringsdel
    nyckeltal: list[dict[str, Ratio]]  # one dict per year column
    ackumulerat_kassaflode: list[Ratio]
    findings: tuple[Finding, ...]
    #: the amounts of the lines that are binding items of their own (RR and FD lines: taxes,
    #: financial and extraordinary items, loans …): the central figures plus the financing and
    #: extraordinary lines tasks budget themselves (an other balance unit's loans), and a
    #: budget-financed task's or net unit's own financial items (:func:`task_line_codes`),
    #: enterprises excluded; an other balance unit's financial items are in its årsbidrag (seed
    #: §7.1.2.3), not here
    rader: dict[str, tuple[Decimal | None, ...]] = field(default_factory=dict)


#: The central lines (taxes, state grants, financial items, loans …) as a consolidation source.
CENTRALA = "Centrala poster"


def _operating_sources(budget: Budget) -> list[Source]:
    """The tasks' figures that enter the municipality's statements (:func:`_operating_amounts`)
    as consolidation sources, each checked by its own driftsekonomidel."""
    tasks = [u for u in budget.uppgifter if u.finansiering is not Finansiering.AFFARSVERK]
    return [Source(u.namn, a) for u, a in zip(tasks, _operating_amounts(budget, False),
                                                strict=True)]


def _operating_amounts(budget: Budget, include_enterprises: bool) -> list[Amounts]:
    """Task lines that enter the municipality's statements: the resultaträkningsdel's (internal DR
    lines eliminated) and the finansieringsdel's financing lines (loans, lending, equity, other
    changes of liquidity, korrektivposter) a task budgets itself, e.g. an other balance unit's
    loans (seed §6.6.3.3: its cash flows are combined into the municipality's). Its FD transfer
    lines are its RR and IN figures, which enter through their own parts."""
    codes = _operating_codes()
    out: list[Amounts] = []
    for u in budget.uppgifter:
        if u.finansiering is Finansiering.AFFARSVERK and not include_enterprises:
            continue
        out.append({c: v for c, v in u.belopp.items() if c in codes})
    return out


def _task_fd_not_counted(budget: Budget) -> list[Finding]:
    """A task's finansieringsdel line that is not one of its own cash flows (a transfer line,
    computed from the resultaträkningsdel and investeringsdel, a sum, or the inverkan itself):
    not counted, and said so rather than dropped without a word."""
    not_counted = _task_fd_not_counted_codes()
    cat = catalogue()
    out = []
    for u in budget.uppgifter:
        if u.finansiering is Finansiering.AFFARSVERK or not_counted.isdisjoint(u.belopp):
            continue
        for code, vals in u.belopp.items():
            if code in not_counted and any(v for v in vals if v is not None):
                out.append(Finding(
                    "V4", Severity.WARNING,
                    f"Uppgiften anger finansieringsdelens rad {code} ({cat[code].label}), som "
                    "räknas fram ur resultaträkningsdelen och investeringsdelen eller är en "
                    "summarad; beloppet räknas inte in i kommunens finansieringsdel. Ta bort "
                    "raden (ange lån, utlåning och andra finansieringsposter på deras egna rader).",
                    object=u.namn))
    return out


@cache
def _task_fd_codes() -> frozenset[str]:
    """The finansieringsdel lines a task's own figures enter: every input line of the financing
    cash flows (FD.FK) and the korrektivposter (FD.VK.KORR)."""
    cat = catalogue()
    return frozenset([*cat.leaves_below("FD.FK"), "FD.VK.KORR"])


@cache
def _task_fd_not_counted_codes() -> frozenset[str]:
    """The finansieringsdel lines a task's own figures do not enter (:func:`_task_fd_codes`):
    transfer lines, sums and the inverkan itself."""
    return frozenset(c for c, line in catalogue().lines.items()
                     if line.part == "FD") - _task_fd_codes()


@cache
def _rr_codes() -> frozenset[str]:
    """The codes of the resultaträkningsdel's lines (of the shipped catalogue)."""
    return frozenset(c for c, line in catalogue().lines.items() if line.part == "RR")


@cache
def _operating_codes() -> frozenset[str]:
    """The lines of a task that enter the municipality's statements (:func:`_operating_amounts`):
    the resultaträkningsdel's and the task's own financing lines."""
    return _rr_codes() | _task_fd_codes()


def _internal_balance(budget: Budget) -> list[Finding]:
    """Internal income and expenses are budgeted per task and eliminated in the external view; in
    total they should cancel out (one unit's internal sale is another's internal purchase)."""
    n = budget.n
    tasks = [u for u in budget.uppgifter if u.finansiering is not Finansiering.AFFARSVERK]
    blank = (None,) * n
    ink = sum_rows([u.belopp.get("DR.INT.INK", blank) for u in tasks], n) if tasks else ()
    utg = sum_rows([u.belopp.get("DR.INT.UTG", blank) for u in tasks], n) if tasks else ()
    findings = []
    for i, year in enumerate(budget.years):
        a = ink[i] if ink and ink[i] is not None else ZERO
        b = utg[i] if utg and utg[i] is not None else ZERO
        if a + b != 0:
            findings.append(
                Finding(
                    "V5",
                    Severity.WARNING,
                    f"interna inkomster ({format_sv(a)}) och interna utgifter ({format_sv(b)}) tar inte ut "
                    "varandra; kontrollera att varje intern försäljning har en motsvarande intern "
                    "köpare (ett köp från eller en försäljning till ett affärsverk är ingen intern "
                    "post i kommunens budget, som affärsverket ligger utanför: ange den som en "
                    "vanlig verksamhetskostnad eller -intäkt)",
                    object=INTERNA_POSTER,
                    year=int(year) if year.isdigit() else None,
                )
            )
    return findings + _enterprises_internal(budget)


def _enterprises_internal(budget: Budget) -> list[Finding]:
    """V6: an enterprise's internal items (DR.INT.…) that do not cancel among the enterprises
    are its sales to (purchases from) the municipality, whose budget it is outside: they are
    left out of the enterprise's figures (the Affärsverk sheet), as every task's internal items
    are left out of its result. An error at each such task: type them as its ordinary income or
    costs (found 2026-12: a water enterprise's sales to the municipality's tasks, typed as
    internal income, were missing from its verksamhetsbidrag without a word)."""
    ents = [u for u in budget.uppgifter if u.finansiering is Finansiering.AFFARSVERK
            and ("DR.INT.INK" in u.belopp or "DR.INT.UTG" in u.belopp)]
    if not ents:
        return []
    n = budget.n
    blank = (None,) * n
    rows = [v for u in ents for v in (u.belopp.get("DR.INT.INK", blank),
                                      u.belopp.get("DR.INT.UTG", blank))]
    total = sum_rows(rows, n)
    off = [y for i, y in enumerate(budget.years) if total[i] not in (None, ZERO)]
    if not off:  # between the enterprises' own units: they cancel there
        return []
    return [Finding(
        "V6", Severity.ERROR,
        f"Affärsverkets interna poster (år {', '.join(off)}) tar inte ut varandra inom "
        "affärsverken, så de är försäljning till eller köp från kommunen. Affärsverket ligger "
        "utanför kommunens budget: sådana poster är inte interna, och som interna räknas de inte "
        "i affärsverkets siffror (fliken Affärsverk). Ange dem som verksamhetsintäkter "
        "(t.ex. Försäljningsintäkter) eller verksamhetskostnader (t.ex. Köp av tjänster).",
        object=u.namn) for u in ents]


@without_gc_pauses
def berakna(budget: Budget) -> Berakning:
    """Consolidate the budget into the resultaträkningsdel, investeringsdel and finansieringsdel
    (enterprises excluded, §6.3.1) and compute the key ratios for every year column."""
    n = budget.n
    findings: list[Finding] = []
    per_task = {u.namn: driftsekonomidel(u, budget.years) for u in budget.uppgifter}
    for name, st in per_task.items():
        findings.extend(_with_object(f, name) for f in st.findings)
    findings.extend(_task_fd_not_counted(budget))
    affarsverk = budget.affarsverk()
    inv = investeringsdel([p for p in budget.projekt if p.uppgift not in affarsverk],
                          budget.years)
    findings.extend(inv.findings)
    # an enterprise's projects are outside the investeringsdel, not outside its checks (their
    # kostnadskalkyl overrun was computed for the Affärsverk sheet and dropped: 2026-12)
    ent_projects = [p for p in budget.projekt if p.uppgift in affarsverk]
    if ent_projects:
        findings.extend(investeringsdel(ent_projects, budget.years).findings)
    in_totals = {c: inv.totals[c] for c in ("IN.UTG", "IN.FA", "IN.FORS")
                 if c in inv.totals.has_data}
    parts = ("RR", "IN", "FD")
    con = consolidate([*_operating_sources(budget), Source(CENTRALA, budget.central, False),
                       Source("investeringsdelen", in_totals)], budget.years, parts)
    st = compute(con.given, budget.years, parts, unallocated=con.unallocated)
    findings.extend(con.findings)
    findings.extend(st.findings)
    findings.extend(_internal_balance(budget))
    ratios = [
        nyckeltal(st, i, budget.invanare[i] if i < len(budget.invanare) else None)
        for i in range(n)
    ]
    return Berakning(
        budget=budget,
        statement=st,
        uppgifter=per_task,
        investeringar=inv,
        nyckeltal=ratios,
        ackumulerat_kassaflode=ackumulerat_kassaflode(st),
        findings=tuple(findings),
        rader=_line_items(budget, st),
    )


def _line_items(budget: Budget, st: Statement) -> dict[str, tuple[Decimal | None, ...]]:
    """:attr:`Berakning.rader`. A binding line that is computed from lines below it (FD.OVR,
    Övriga förändringar av likviditeten, from its sub-lines such as FD.OVR.FORDR) takes the
    statement's figure: its sub-lines, typed centrally or by tasks, and a total given without
    them. Before 2026-12 only a typed FD.OVR total reached the binding item; sub-lines reached
    inverkan på likviditeten but no item (a false "Sammandraget balanserar inte")."""
    tasks = []
    for u in budget.uppgifter:
        own = task_line_codes(u.finansiering)
        if not own.isdisjoint(u.belopp):
            tasks.append({c: v for c, v in u.belopp.items() if c in own})
    rader = sum_amounts([budget.central, *(t for t in tasks if t)], budget.n)
    for code in _computed_binding_codes():
        if any(c in rader for c in catalogue().leaves_below(code)):
            rader[code] = st[code]
    return rader


@cache
def task_line_codes(finansiering: Finansiering) -> frozenset[str]:
    """The lines of a task's own budget that the municipality's line items follow up (the
    binding RR and FD lines, :attr:`Berakning.rader`), because none of the task's own items
    holds them: its loans and other financing lines, its extraordinary items and, for a
    budget-financed task or a net unit, its financial items (its items end at the operating
    lines; an other balance unit's financial items are in its årsbidrag, seed §7.1.2.3).
    Before 2026-12 a budget-financed task's own interest reached inverkan på likviditeten but
    no item (a false "Sammandraget balanserar inte"), and its outturn no row of the tablå.
    None for an enterprise (outside the municipality's budget)."""
    if finansiering is Finansiering.AFFARSVERK:
        return frozenset()
    own = _task_fd_codes() | _extra_codes()
    if finansiering is Finansiering.BALANSENHET:
        return own
    return own | frozenset(catalogue().leaves_below("RR.FIN"))


@cache
def _computed_binding_codes() -> frozenset[str]:
    """Binding lines that are sums of lines below them (in the shipped catalogue: FD.OVR)."""
    cat = catalogue()
    return frozenset(c for c in cat.binding_codes() if cat[c].computed)


@cache
def _extra_codes() -> frozenset[str]:
    """The input lines of the extraordinary items (RR.EXTRA)."""
    return frozenset(catalogue().leaves_below("RR.EXTRA"))


def _with_object(f: Finding, name: str) -> Finding:
    from dataclasses import replace

    return replace(f, object=f"{name}: {f.object}" if f.object else name)


#: Lines whose change the enterprise-impact comparison reports (§9.3).
INVERKAN_RADER = ("RR.VB", "RR.AB", "RR.AVS", "RR.RES", "FD.VK", "FD.IK", "FD.VIK", "FD.FK",
                  "FD.INV")


@dataclass(frozen=True)
class InverkanRad:
    code: str
    label: str
    utan: tuple[Decimal, ...]  # municipality without enterprises
    affarsverk: tuple[Decimal, ...]  # enterprises summed
    elimineringar: tuple[Decimal, ...]
    med: tuple[Decimal, ...]  # municipality including enterprises
    inverkan: tuple[Decimal, ...]  # med − utan


def affarsverk_inverkan(
    budget: Budget, elimineringar: Amounts | None = None, *, berakning: Berakning | None = None
) -> list[InverkanRad]:
    """The enterprise-impact comparison (§9.3): for the income statement and the financing part,
    the municipality without enterprises, the enterprises summed, the eliminations of internal
    items between them, the municipality including enterprises, and the difference.

    ``elimineringar`` are given per line in the published sign convention as the amounts to *add*
    (e.g. the municipality's purchases from its water enterprise: RR.VI −x and RR.VU +x).
    ``berakning``: ``berakna(budget)`` when the caller has it already (it is not computed twice).
    """
    elim = dict(elimineringar or {})
    if berakning is None or berakning.budget is not budget:
        berakning = berakna(budget)
    without = berakning.statement
    ent_tasks = [u for u in budget.uppgifter if u.finansiering is Finansiering.AFFARSVERK]
    affarsverk = budget.affarsverk()
    ent_projects = [p for p in budget.projekt if p.uppgift in affarsverk]
    ent_inv = investeringsdel(ent_projects, budget.years).totals
    parts = ("RR", "IN", "FD")
    ent_con = consolidate(
        [*(Source(u.namn, {c: v for c, v in u.belopp.items() if not c.startswith("DR.")})
           for u in ent_tasks),
         Source("investeringsdelen",
                {c: ent_inv[c] for c in ("IN.UTG", "IN.FA", "IN.FORS") if c in ent_inv.has_data})],
        budget.years, parts)
    ent = compute(ent_con.given, budget.years, parts, unallocated=ent_con.unallocated)
    el = compute(elim, budget.years, ("RR", "IN", "FD"))
    cat = catalogue()
    rows = []
    for code in INVERKAN_RADER:
        utan, a, e = without[code], ent[code], el[code]
        med = tuple(x + y + z for x, y, z in zip(utan, a, e, strict=True))
        rows.append(
            InverkanRad(code, cat[code].label, utan, a, e, med,
                        tuple(m - u for m, u in zip(med, utan, strict=True)))
        )
    return rows
