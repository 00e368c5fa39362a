"""Reference copy (issue 17) of engine/resultatbalansering.py before its integer rounding paths,
kept verbatim for tests/test_engine_equivalence.py (a rule changed since is changed here
too: the caps' sign rule of 2026-12, docs/RESULTATBALANSERING.md §2.8).

Resultatbalansering: carrying each unit's and committee's result into next year's budget.

Spec §10, rules R1–R8, seed RB (``000_8a843b3aeec4bc84.txt``). One call, :func:`balansera`, takes
the result units of one or more committees (nämnder), the executive board's adjustments and the
rule set (:class:`~engine.rb_rules.Regelverk`; default: the seed's rule) and returns a
:class:`Balansering` with

* per unit (:class:`EnhetsResultat`): result, adjustments, excluded items, adjusted result,
  carried amount (``overforing``), action plan required (R5) and the planned uses checked (R6);
* per committee (:class:`NamndResultat`): adjusted result, carried total, KS share (R3);
* the report back to the executive board (R7, :class:`AterrapportRad`) that sums back to the
  committee figures;
* the next-year budget additions (R1, :class:`BudgetTillagg`), one per year when deficits are
  spread over several years;
* the timetable check (R8, :class:`TidplanSteg`) and all findings.

Default interpretation of R4 (spec §10): the committee's carried total is fixed by R3; every
result unit, each central förvaltningsledning included ("hanteras som en egen resultatenhet"), gets
its guaranteed amount (⅓ of its own surplus if it achieved its goals, all of its own deficit); what
remains is the committee's own to dispose of (*nämndens disposition*), a line of its own that can be
negative. Everything reconciles exactly:

    Σ unit carries + nämndens disposition = committee carry
    committee carry + KS share            = adjusted committee result

Amounts are ``Decimal``. Results and adjustments are never rounded (shown to the cent as given);
every carried amount is computed from the exact figures and rounded once to the rounding unit
(half away from zero, as Excel). The KS share, which is not budgeted, is what is left of the
adjusted result after the carried amounts, so nothing is lost to rounding. Nothing here raises on
bad data: problems are :class:`~engine.findings.Finding` values.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from engine.findings import Finding, Location, Severity
from engine.money import ZERO, allocate, quantize
from engine.money import format_sv as _sv
from engine.rb_rules import (
    DEFAULT_RULES,
    R6_FORBJUDNA,
    R6_TILLATNA,
    Regelverk,
    load_rules,
    normalize_key,
)
from engine.signs import item_sign_finding

__all__ = [
    "DEFAULT_RULES",
    "AnvandningKontroll",
    "AterrapportRad",
    "Balansering",
    "BudgetTillagg",
    "EnhetsResultat",
    "Justering",
    "Namnd",
    "NamndResultat",
    "Regelverk",
    "Resultatenhet",
    "Tidplan",
    "TidplanSteg",
    "DISPOSITION",
    "balansera",
    "kostnader_positiva",
    "tecken_fel",
    "kontrollera_anvandning",
    "kontrollera_tidplan",
    "load_rules",
]


# --------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resultatenhet:
    """One result unit's year. ``resultat`` = net outturn − net budget in published signs
    (income +, costs −), so positive = surplus; see :meth:`fran_budget`.

    ``maluppfyllelse``: did the unit broadly achieve its goals (RB's condition for keeping a
    surplus); ``None`` = not stated, which counts as *not* achieved and is a finding.
    ``central`` marks a central förvaltningsledning (a result unit of its own, RB).

    ``budget`` (net budget, published sign) is needed only for caps in % of budget. ``poster`` are
    named items with their effect on the result (positive = improved it); those named in the rule
    set's ``undantagna_poster`` are taken out before splitting. ``anvandning`` are planned uses of a
    carried surplus (category, amount or ``None``), checked against R6. ``handlingsplan`` records
    whether an action plan (R5) has been presented (``None`` = not recorded).
    """

    namnd: str
    namn: str
    resultat: Decimal
    maluppfyllelse: bool | None = True
    central: bool = False
    budget: Decimal | None = None
    poster: tuple[tuple[str, Decimal], ...] = ()
    anvandning: tuple[tuple[str, Decimal | None], ...] = ()
    handlingsplan: bool | None = None
    plats: Location | None = None

    @classmethod
    def fran_budget(
        cls, namnd: str, namn: str, budget: Decimal, utfall: Decimal, **kwargs: object
    ) -> Resultatenhet:
        """A unit from net budget and net outturn in published signs (a net cost is negative):
        result = utfall − budget (−9 100 against a budget of −10 000 is a surplus of 900)."""
        return cls(namnd, namn, utfall - budget, budget=budget, **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Namnd:
    """Committee-level facts: did it broadly achieve its goals (R3; ``None`` = not stated, which
    counts as not achieved and is a finding), its net budget (for caps)."""

    namn: str
    maluppfyllelse: bool | None = True
    budget: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Justering:
    """R2: an adjustment decided before the split. ``niva`` is ``"enhet"`` (adds to one unit's
    result, ``resultatenhet`` names it) or ``"namnd"`` (adds to the committee's result only; it
    reaches the committee's disposition)."""

    namnd: str
    belopp: Decimal
    orsak: str
    niva: str = "enhet"
    resultatenhet: str | None = None
    plats: Location | None = None  # where it was typed (its findings are located there)


@dataclass(frozen=True, slots=True)
class Tidplan:
    """R8: the dates the four steps happened (``None`` = not yet / not recorded)."""

    bokslutsgenomgang: date | None = None
    ks_beslut: date | None = None
    enhetsgenomgang: date | None = None
    aterrapportering: date | None = None


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnvandningKontroll:
    """R6: one planned use of a carried surplus and the verdict (``None`` = unknown category)."""

    kategori: str
    belopp: Decimal | None
    tillaten: bool | None


@dataclass(frozen=True, slots=True)
class EnhetsResultat:
    """One unit's balancing. ``overforing`` is what enters next year's budget (R1)."""

    namnd: str
    namn: str
    central: bool
    maluppfyllelse: bool | None
    resultat: Decimal
    justering: Decimal
    undantaget: Decimal
    justerat_resultat: Decimal
    garanti: Decimal
    overforing: Decimal
    till_ks: Decimal
    handlingsplan_kravs: bool
    handlingsplan_registrerad: bool | None
    anvandning: tuple[AnvandningKontroll, ...]
    anmarkning: str


@dataclass(frozen=True, slots=True)
class NamndResultat:
    """One committee: R3 split and the R4 remainder. ``resultat + justering − undantaget ==
    justerat_resultat`` (exact, not rounded); ``overforing + ks_andel == justerat_resultat``;
    ``enheternas_overforing + disposition == overforing``; ``avdrag + andel_enheter +
    andel_namnd + (ks_andel − avdrag) == justerat_resultat`` when a surplus is split.
    ``namnd_justering`` is the part of ``justering`` made at committee level."""

    namnd: str
    maluppfyllelse: bool | None
    resultat: Decimal
    justering: Decimal
    undantaget: Decimal
    justerat_resultat: Decimal
    avdrag: Decimal
    andel_enheter: Decimal
    andel_namnd: Decimal
    overforing: Decimal
    ks_andel: Decimal
    enheternas_overforing: Decimal
    disposition: Decimal
    namnd_justering: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class AterrapportRad:
    """R7: one line of a committee's report to KS. ``typ`` is ``enhet``, ``central``,
    ``namndjustering`` (committee-level adjustments), ``disposition`` (nämndens disposition, what
    remains for the committee after the units' amounts) or ``summa``; the lines of a committee sum
    to its ``summa`` line (adjusted result and carry); ``ks_andel`` is set on the ``summa`` line
    (and on a unit's line when a cap sent part of its amount to KS)."""

    namnd: str
    resultatenhet: str
    typ: str
    justerat_resultat: Decimal
    overforing: Decimal
    ks_andel: Decimal


@dataclass(frozen=True, slots=True)
class BudgetTillagg:
    """R1: an amount to write into a later year's budget of a unit. ``ar_efter_bokslut`` is 1 for
    the year after the accounts; ``ar`` is the calendar year when the accounts year is known."""

    namnd: str
    resultatenhet: str
    ar: int | None
    ar_efter_bokslut: int
    belopp: Decimal


@dataclass(frozen=True, slots=True)
class TidplanSteg:
    """R8: one step of the timetable and its status (``i tid``, ``sen``, ``tidig``, ``saknas``)."""

    steg: int
    namn: str
    namnd: str | None
    datum: date | None
    fran: date | None
    senast: date | None
    status: str


@dataclass(frozen=True, slots=True)
class Balansering:
    """The result of :func:`balansera`."""

    regler: Regelverk
    ar: int | None
    enheter: tuple[EnhetsResultat, ...]
    namnder: tuple[NamndResultat, ...]
    aterrapport: tuple[AterrapportRad, ...]
    budgettillagg: tuple[BudgetTillagg, ...]
    tidplan: tuple[TidplanSteg, ...]
    findings: tuple[Finding, ...]

    def enhet(self, namnd: str, namn: str) -> EnhetsResultat:
        """The unit ``namn`` of committee ``namnd`` (KeyError if absent)."""
        for e in self.enheter:
            if _key(e.namnd) == _key(namnd) and _key(e.namn) == _key(namn):
                return e
        raise KeyError(f"{namnd} / {namn}")

    def namnd(self, namnd: str) -> NamndResultat:
        """The committee ``namnd`` (KeyError if absent)."""
        for n in self.namnder:
            if _key(n.namnd) == _key(namnd):
                return n
        raise KeyError(namnd)


# --------------------------------------------------------------------------------------------
# Exact rounding helpers (amounts as multiples of the rounding unit)
# --------------------------------------------------------------------------------------------


def _key(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def _units(value: Decimal | Fraction, unit: Decimal) -> Fraction:
    return Fraction(value) / Fraction(unit)


def _money(k: int, unit: Decimal) -> Decimal:
    return quantize(Decimal(k) * unit, unit)


def _round(value: Fraction, unit: Decimal, mode: str = "narmaste") -> Decimal:
    """``value`` rounded to a multiple of ``unit``: ``narmaste`` half away from zero (Excel),
    ``uppat`` toward +∞, ``nedat`` toward zero. The one place where an exact amount becomes a
    rounded one."""
    x = value / Fraction(unit)
    if mode == "uppat":
        k = math.ceil(x)
    elif mode == "nedat":
        k = math.floor(x) if x >= 0 else math.ceil(x)
    else:
        k = math.floor(abs(x) + Fraction(1, 2)) * (1 if x >= 0 else -1)
    return _money(k, unit)


#: Name of the line that holds what remains of a committee's carry after its units (R4).
DISPOSITION = "Nämndens disposition"


# --------------------------------------------------------------------------------------------
# Signs of the input (published signs, as the operating budget: income +, costs −)
# --------------------------------------------------------------------------------------------


def tecken_fel(budget: Decimal, utfall: Decimal) -> str | None:
    """A unit's net budget and net outturn with different signs (both non-zero) contradict each
    other (spec §4): one of them was typed with the wrong sign. Returns what to do, else ``None``.
    The rule is the netto rule of :func:`engine.signs.item_sign_finding` (one sign check).
    """
    if item_sign_finding("netto", [("budget", budget), ("utfall", utfall)]) is not None:
        return (f"budget {_sv(budget)} och utfall {_sv(utfall)} har olika tecken. Ange båda med "
                f"publicerade tecken som i Driftsbudget: en nettokostnad negativ, en nettointäkt "
                f"positiv.")
    return None


def kostnader_positiva(belopp: Sequence[tuple[Decimal, Decimal]]) -> bool:
    """Whether a committee's units (pairs of net budget and net outturn, published signs) look
    like costs typed as positive numbers: every unit with a non-zero budget has a positive one
    (a net *income*), and there is at least one. A result unit of the operating budget is a net
    cost; a committee of net-income units only is the sign of the wrong convention."""
    budgets = [b for b, _ in belopp if b]
    return bool(budgets) and all(b > 0 for b in budgets)


# --------------------------------------------------------------------------------------------
# R6 planned uses
# --------------------------------------------------------------------------------------------

_R6_SYNONYMER: dict[str, bool] = {k: True for k in R6_TILLATNA} | {k: False for k in R6_FORBJUDNA}
_R6_SYNONYMER.update({
    "olika_projekt": True,
    "tillfallig_anstallning": True,
    "tillfalliga_tjanster": True,
    "visstidsanstallningar": True,
    "material_och_tjanster": True,
    "kop_av_material": True,
    "kop_av_tjanster": True,
    "investering": True,
    "fast_anstallning": False,
    "tillsvidareanstallning": False,
    "tillsvidareanstallningar": False,
    "fasta_kostnader": False,
    "fast_kostnad": False,
})


def kontrollera_anvandning(kategori: str) -> bool | None:
    """R6: ``True`` if a carried surplus may fund ``kategori``, ``False`` if it must not, ``None``
    if the category is not one RB names (the committee must classify it)."""
    return _R6_SYNONYMER.get(normalize_key(kategori))


# --------------------------------------------------------------------------------------------
# R8 timetable
# --------------------------------------------------------------------------------------------

_STEG = (
    ("bokslutsgenomgang", "Bokslutsgenomgång kommunledning–förvaltningsledning"),
    ("ks_beslut", "Kommunstyrelsebeslut om resultatbalansering per nämnd"),
    ("enhetsgenomgang", "Bokslutsgenomgång med resultatenheterna"),
    ("aterrapportering", "Återrapportering till kommunstyrelsen"),
)


def kontrollera_tidplan(
    tidplan: Tidplan | Mapping[str, Tidplan] | None,
    ar: int | None,
    regler: Regelverk = DEFAULT_RULES,
) -> tuple[tuple[TidplanSteg, ...], list[Finding]]:
    """R8: compare the recorded dates with the rule set's windows in the year after the
    accounts year ``ar``. Late, missing and out-of-order steps are warnings; early steps info.

    ``tidplan`` may be one :class:`Tidplan` for the whole municipality or one per committee.
    """
    findings: list[Finding] = []
    if tidplan is None:
        findings.append(Finding(
            "R8", Severity.INFO,
            "Tidplanen är inte registrerad; ange datum för de fyra stegen för att kontrollera den.",
        ))
        return (), findings
    plans: list[tuple[str | None, Tidplan]]
    if isinstance(tidplan, Tidplan):
        plans = [(None, tidplan)]
    else:
        plans = list(tidplan.items())
    if ar is None:
        dates = [d for _, p in plans for d in _dates(p) if d is not None]
        if not dates:
            findings.append(Finding(
                "R8", Severity.WARNING,
                "Tidplanen saknar alla datum och bokslutsåret är okänt; inga steg kan kontrolleras.",
            ))
        else:
            ar = min(dates).year - 1
            findings.append(Finding(
                "R8", Severity.INFO,
                f"Bokslutsåret är inte angivet; tidplanen kontrolleras mot {ar + 1} "
                f"(året för det tidigaste datumet).",
            ))
    steps: list[TidplanSteg] = []
    for namnd, plan in plans:
        previous: date | None = None
        for nr, ((falt, namn), datum) in enumerate(zip(_STEG, _dates(plan), strict=True), start=1):
            who = f"{namnd}: " if namnd else ""
            fran = senast = None
            if ar is not None:
                first, last = getattr(regler, f"tidplan_{falt}")
                fran = date(ar + 1, first, 1)
                senast = date(ar + 1, last, calendar.monthrange(ar + 1, last)[1])
            status, problem = _step_timing(datum, fran, senast)
            if problem is not None:
                severity, what = problem
                findings.append(Finding(
                    "R8", severity, f"{who}steg {nr} ({namn}) {what}", object=namnd, year=ar,
                ))
            if datum is not None and previous is not None and datum < previous:
                findings.append(Finding(
                    "R8", Severity.WARNING,
                    f"{who}steg {nr} ({namn}, {datum.isoformat()}) ligger före föregående steg "
                    f"({previous.isoformat()}). Kontrollera datumen.",
                    object=namnd, year=ar,
                ))
            if datum is not None:
                previous = datum
            steps.append(TidplanSteg(nr, namn, namnd, datum, fran, senast, status))
    return tuple(steps), findings


def _step_timing(
    datum: date | None, fran: date | None, senast: date | None
) -> tuple[str, tuple[Severity, str] | None]:
    """R8: a step's status against its window (``fran``..``senast``, when known) and, unless it
    is in time, the severity and what the finding says after "steg N (namn)"."""
    if datum is None:
        return "saknas", (Severity.WARNING,
                          "saknar datum. Registrera när steget genomfördes"
                          + (f" (senast {senast.isoformat()})." if senast else "."))
    if senast is not None and datum > senast:
        return "sen", (Severity.WARNING,
                       f"genomfördes {datum.isoformat()}, efter {senast.isoformat()} som "
                       "tidplanen anger.")
    if fran is not None and datum < fran:
        return "tidig", (Severity.INFO,
                         f"genomfördes {datum.isoformat()}, före {fran.isoformat()} som "
                         "tidplanen anger.")
    return "i tid", None


def _dates(plan: Tidplan) -> tuple[date | None, ...]:
    return (plan.bokslutsgenomgang, plan.ks_beslut, plan.enhetsgenomgang, plan.aterrapportering)


# --------------------------------------------------------------------------------------------
# The balancing
# --------------------------------------------------------------------------------------------


def _cap(
    belopp: Decimal | None,
    procent: Decimal | None,
    budget: Decimal | None,
    unit: Decimal,
    vad: str,
    findings: list[Finding],
    namnd: str,
) -> Decimal | None:
    """The smaller of an absolute cap and a cap in % of the net budget, rounded down to the unit
    (so the cap is never exceeded). ``None`` if no cap applies."""
    caps: list[Fraction] = []
    if belopp is not None:
        caps.append(Fraction(belopp))
    if procent is not None:
        if budget is None:
            findings.append(Finding(
                "R3", Severity.WARNING,
                f"{vad}: tak i procent av nettobudget kan inte tillämpas eftersom budget saknas. "
                f"Ange budget (kolumn Budget) eller ett tak i belopp.",
                object=namnd,
            ))
        else:
            caps.append(Fraction(procent) / 100 * abs(Fraction(budget)))
    if not caps:
        return None
    return _round(min(caps), unit, "nedat")


@dataclass(slots=True)
class _Rad:
    """Working row of one unit inside one committee (mutable, private)."""

    enhet: Resultatenhet
    index: int
    justering: Decimal = ZERO
    undantaget: Decimal = ZERO
    justerat: Decimal = ZERO
    garanti: Decimal = ZERO
    overforing: Decimal = ZERO
    till_ks: Decimal = ZERO
    anmarkning: str = ""


def balansera(
    enheter: Sequence[Resultatenhet],
    regler: Regelverk = DEFAULT_RULES,
    justeringar: Sequence[Justering] = (),
    tidplan: Tidplan | Mapping[str, Tidplan] | None = None,
    *,
    namnder: Sequence[Namnd] = (),
    ar: int | None = None,
) -> Balansering:
    """Run resultatbalansering (R1–R8) for all committees in ``enheter``.

    ``justeringar`` are the executive board's adjustments (R2); ``namnder`` give committee goal
    achievement and budget (a committee not listed has its goal achievement *not stated*: it
    carries no surplus, and a finding asks for it; budget = Σ unit budgets); ``ar`` is the accounts
    year (next year's budget is ``ar + 1``); ``tidplan`` the recorded R8 dates.
    """
    findings: list[Finding] = []

    # group units by committee, in order of first appearance
    groups: dict[str, list[_Rad]] = {}
    spelling: dict[str, str] = {}
    for i, e in enumerate(enheter):
        k = _key(e.namnd)
        spelling.setdefault(k, " ".join(str(e.namnd).split()))
        groups.setdefault(k, []).append(_Rad(e, i))
    info: dict[str, Namnd] = {}
    for n in namnder:
        if _key(n.namn) not in groups:
            findings.append(Finding(
                "R3", Severity.WARNING,
                f"Nämnden {n.namn!r} har inga resultatenheter i underlaget och ignoreras.",
                object=n.namn,
            ))
        info[_key(n.namn)] = n

    # R2 adjustments: attach to units or committees
    namnd_just: dict[str, Decimal] = {k: ZERO for k in groups}
    for j in justeringar:
        findings.extend(_attach(j, groups, namnd_just))

    undantag = {normalize_key(p) for p in regler.undantagna_poster}
    enhet_res: list[tuple[int, EnhetsResultat]] = []
    namnd_res: list[NamndResultat] = []
    rapport: list[AterrapportRad] = []
    tillagg: list[BudgetTillagg] = []
    for k, rader in groups.items():
        namn = spelling[k]
        n_info = info.get(k, Namnd(namn, maluppfyllelse=None))
        for r in rader:
            r.undantaget = sum(
                (b for p, b in r.enhet.poster if normalize_key(p) in undantag), ZERO
            )
        if not any(r.enhet.central for r in rader):
            findings.append(Finding(
                "R4", Severity.INFO,
                f"Nämnden {namn} har ingen central förvaltningsledning i underlaget (Central = ja). "
                f"Den är en egen resultatenhet (RB); lägg in den om den finns under annat namn. "
                f"Det som återstår efter enheterna redovisas som {DISPOSITION.lower()}.",
                object=namn,
            ))
        nr, rows, f = _balansera_namnd(namn, rader, n_info, namnd_just[k], regler)
        findings.extend(f)
        namnd_res.append(nr)
        for r in rader:
            er = _enhet_resultat(r, regler)
            findings.extend(_enhet_findings(er, r.enhet))
            enhet_res.append((r.index, er))
            tillagg.extend(_tillagg(er.namnd, er.namn, er.overforing, regler, ar))
        tillagg.extend(_tillagg(namn, DISPOSITION, nr.disposition, regler, ar))
        rapport.extend(rows)

    steps, f = kontrollera_tidplan(tidplan, ar, regler)
    findings.extend(f)
    enhet_res.sort(key=lambda t: t[0])
    return Balansering(
        regler=regler,
        ar=ar,
        enheter=tuple(e for _, e in enhet_res),
        namnder=tuple(namnd_res),
        aterrapport=tuple(rapport),
        budgettillagg=tuple(tillagg),
        tidplan=steps,
        findings=tuple(findings),
    )


def _attach(j: Justering, groups: dict[str, list[_Rad]], namnd_just: dict[str, Decimal]
            ) -> list[Finding]:
    findings: list[Finding] = []
    k = _key(j.namnd)
    what = f"Justering {_sv(j.belopp)} ({j.orsak or 'utan orsak'})"
    if k not in groups:
        return [Finding(
            "R2", Severity.ERROR,
            f"{what}: nämnden {j.namnd!r} finns inte i underlaget; justeringen ignoreras. "
            f"Kontrollera nämndens namn.",
            object=j.namnd, location=j.plats,
        )]
    if not str(j.orsak or "").strip():
        findings.append(Finding(
            "R2", Severity.WARNING,
            f"{what}: varje justering ska ha en orsak (lagändring, oförutsedd händelse, ej "
            f"startad verksamhet). Ange orsaken.",
            object=j.namnd, location=j.plats,
        ))
    niva = normalize_key(j.niva)
    if niva == "namnd":
        namnd_just[k] += j.belopp
        return findings
    if niva != "enhet":
        return findings + [Finding(
            "R2", Severity.ERROR,
            f"{what}: okänd nivå {j.niva!r}; ange enhet eller nämnd. Justeringen ignoreras.",
            object=j.namnd, location=j.plats,
        )]
    matches = [r for r in groups[k] if j.resultatenhet and _key(r.enhet.namn) == _key(j.resultatenhet)]
    if not matches:
        return findings + [Finding(
            "R2", Severity.ERROR,
            f"{what}: resultatenheten {j.resultatenhet!r} finns inte i nämnden {j.namnd}; "
            f"justeringen ignoreras. Kontrollera enhetens namn.",
            object=j.namnd, location=j.plats,
        )]
    matches[0].justering += j.belopp
    return findings


def _balansera_namnd(
    namn: str,
    rader: list[_Rad],
    n_info: Namnd,
    namnd_justering: Decimal,
    regler: Regelverk,
) -> tuple[NamndResultat, list[AterrapportRad], list[Finding]]:
    """R3 split for one committee, then the R4 amounts of its units (central units included) and
    the committee's disposition (mutates rader).

    Results are exact; each carried amount is rounded once from exact figures. The surplus split
    rounds cumulatively: the units' share is round(T·e), the carry round(T·(e + n)), the
    committee's share the difference, and KS keeps T − carry (not budgeted). For whole-unit
    results under the ⅓ rule the odd units of T go to each party equally often (T ≡ 1 mod 3: the
    committee; T ≡ 2: the units and KS), never always against the same party.
    """
    findings: list[Finding] = []
    unit = regler.avrundning
    for r in rader:
        r.justerat = r.enhet.resultat + r.justering - r.undantaget  # exact, never rounded
    total = sum((r.justerat for r in rader), ZERO) + namnd_justering
    budget = n_info.budget
    if budget is None:
        budgets = [r.enhet.budget for r in rader]
        budget = None if any(b is None for b in budgets) else sum((abs(b) for b in budgets), ZERO)

    haircut = Fraction(regler.avdrag_overskott_procent) / 100
    keep = 1 - haircut
    goal = n_info.maluppfyllelse
    namnd_mal_ok = goal is True or not regler.krav_maluppfyllelse_namnd
    avdrag = andel_enh = andel_nmd = ZERO
    carry = ZERO
    cap_over: Decimal | None = None  # the committee's caps, applied after its units' caps
    cap_under: Decimal | None = None
    if regler.minsta_belopp > 0 and abs(total) < regler.minsta_belopp:
        findings.append(Finding(
            "R3", Severity.INFO,
            f"Nämnden {namn}: justerat resultat {_sv(total)} är mindre än minsta belopp "
            f"{_sv(regler.minsta_belopp)}; nämnden för inte över något. Enheternas garanterade "
            "belopp gäller ändå (R4) och balanseras av nämndens disposition.",
            object=namn,
        ))
    elif total > 0 and not namnd_mal_ok:
        if goal is None:
            findings.append(Finding(
                "R3", Severity.WARNING,
                f"Nämnden {namn}: måluppfyllelse är inte angiven. RB kräver att nämnden i stort "
                f"har nått budgeterade prestationer och mål för att ta med sig ett överskott, så "
                f"överskottet {_sv(total)} förs inte över. Ange ja eller nej för nämnden.",
                object=namn,
            ))
        else:
            findings.append(Finding(
                "R3", Severity.INFO,
                f"Nämnden {namn} har inte i stort nått budgeterade prestationer och mål; "
                f"överskottet {_sv(total)} förs inte över (R3). Enheternas garanterade tredjedel "
                f"gäller ändå (R4) och belastar nämndens disposition.",
                object=namn,
            ))
    elif total > 0:
        t = Fraction(total)
        e_share, n_share = regler.overskott_andel_enheter, regler.overskott_andel_namnd
        andel_enh = _round(t * keep * e_share, unit)
        carry = _round(t * keep * (e_share + n_share), unit)
        andel_nmd = carry - andel_enh
        avdrag = _round(t * haircut, unit)
        cap_over = _cap(regler.tak_overskott_namnd_belopp, regler.tak_overskott_namnd_procent,
                        budget, unit, f"Nämnden {namn}", findings, namn)
    elif total < 0:
        carry = _round(Fraction(total) * regler.underskott_andel_overfors, unit)
        cap_under = _cap(regler.tak_underskott_namnd_belopp, regler.tak_underskott_namnd_procent,
                         budget, unit, f"Nämnden {namn}", findings, namn)

    # R4: every result unit, central förvaltningsledning included, gets its guaranteed amount,
    # also when the committee carries nothing (under its minimum, or its goals not met): the
    # committee's condition never takes away a unit's guarantee; its disposition balances it.
    # A unit's excess over its own cap goes to KS out of the committee's carry.
    for r in rader:
        _garanti(r, regler, findings)
        r.overforing = r.garanti - r.till_ks
        carry -= r.till_ks
    # the committee's caps last, on what it carries after its units' caps (applied before them,
    # a unit's excess was taken from a carry the committee cap had already cut: twice)
    if cap_over is not None and carry > cap_over:
        findings.append(Finding(
            "R3", Severity.INFO,
            f"Nämnden {namn}: överföringen {_sv(carry)} begränsas till taket {_sv(cap_over)}; "
            f"{_sv(carry - cap_over)} går till KS.",
            object=namn,
        ))
        carry = cap_over
    if cap_under is not None and carry < -cap_under:
        findings.append(Finding(
            "R3", Severity.INFO,
            f"Nämnden {namn}: överfört underskott {_sv(carry)} begränsas till {_sv(-cap_under)}; "
            f"{_sv(carry + cap_under)} bärs av KS.",
            object=namn,
        ))
        carry = -cap_under
    # the units' caps move their excess to KS out of the committee's carry; they never turn a
    # deficit into a carried surplus or a surplus into a carried deficit (KS never bears more
    # than the committee's whole deficit, nor gets more than its whole surplus): found by
    # metamorphic testing 2026-12 (a unit deficit floor let a committee at -3 000 carry +1 200)
    if total >= 0 > carry or total <= 0 < carry:
        findings.append(Finding(
            "R3", Severity.INFO,
            f"Nämnden {namn}: enheternas tak för över mer till KS än nämndens hela "
            f"{'överskott' if total > 0 else 'underskott' if total < 0 else 'resultat'} "
            f"({_sv(total)}), så överföringen blev {_sv(carry)}, med motsatt tecken. Nämnden för "
            "inte över något; KS tar hela resultatet, och nämndens disposition balanserar "
            "enheternas överföringar.",
            object=namn,
        ))
        carry = ZERO
    ks = total - carry
    guaranteed = sum((r.overforing for r in rader), ZERO)
    disposition = carry - guaranteed
    if disposition < 0:
        findings.append(Finding(
            "R4", Severity.WARNING,
            f"Nämnden {namn}: {DISPOSITION.lower()} är negativ ({_sv(disposition)}); enheternas "
            f"garanterade belopp ({_sv(guaranteed)}) överstiger nämndens överföring ({_sv(carry)}). "
            f"Nämnden behöver täcka skillnaden inom sin budget.",
            object=namn,
        ))

    def q(v: Decimal) -> Decimal:  # carried amounts are multiples of the unit: same exponent
        return quantize(v, unit)

    nr = NamndResultat(
        namnd=namn,
        maluppfyllelse=n_info.maluppfyllelse,
        resultat=sum((r.enhet.resultat for r in rader), ZERO),
        justering=sum((r.justering for r in rader), ZERO) + namnd_justering,
        undantaget=sum((r.undantaget for r in rader), ZERO),
        justerat_resultat=total,
        avdrag=q(avdrag),
        andel_enheter=q(andel_enh),
        andel_namnd=q(andel_nmd),
        overforing=q(carry),
        ks_andel=ks,
        enheternas_overforing=q(guaranteed),
        disposition=q(disposition),
        namnd_justering=namnd_justering,
    )
    if carry + ks != total or guaranteed + disposition != carry:  # pragma: no cover
        findings.append(Finding(
            "R7", Severity.ERROR,
            f"Nämnden {namn}: avstämningen går inte ihop (överföring {_sv(carry)} + KS {_sv(ks)} ≠ "
            f"{_sv(total)}). Detta är ett programfel; rapportera det.",
            object=namn,
        ))

    rows = [
        AterrapportRad(namn, r.enhet.namn, "central" if r.enhet.central else "enhet",
                       r.justerat, q(r.overforing), q(r.till_ks))
        for r in rader
    ]
    if namnd_justering:
        rows.append(AterrapportRad(namn, "Justering på nämndnivå", "namndjustering",
                                   namnd_justering, ZERO, ZERO))
    rows.append(AterrapportRad(namn, DISPOSITION, "disposition", ZERO, q(disposition), ZERO))
    rows.append(AterrapportRad(namn, f"Summa {namn}", "summa", total, q(carry), ks))
    return nr, rows, findings


def _garanti(r: _Rad, regler: Regelverk, findings: list[Finding]) -> None:
    """R4 for one result unit (a central förvaltningsledning too): set ``garanti`` (its
    guaranteed amount, rounded once from the exact adjusted result) and ``till_ks`` (excess over
    a cap). The committee's goal achievement does not enter: R3's goal condition concerns the
    committee carrying a surplus, never a unit's guaranteed third of its own surplus."""
    unit = regler.avrundning
    a = r.justerat
    e = r.enhet
    if a == 0:
        return
    if regler.minsta_belopp > 0 and abs(a) < regler.minsta_belopp:
        r.anmarkning = _join(r.anmarkning, "under minsta belopp; inget förs över")
        return
    if a > 0:
        if regler.krav_maluppfyllelse_enhet and e.maluppfyllelse is not True:
            if e.maluppfyllelse is None:
                r.anmarkning = _join(r.anmarkning,
                                     "måluppfyllelse ej angiven; inget överskott (R4)")
                findings.append(Finding(
                    "R4", Severity.WARNING,
                    f"{e.namnd} / {e.namn}: måluppfyllelse är inte angiven. RB kräver att enheten "
                    f"i stort har nått budgeterade prestationer och mål för att ta med sig ett "
                    f"överskott, så överskottet {_sv(a)} förs inte över. Ange ja eller nej.",
                    object=f"{e.namnd} / {e.namn}", location=e.plats,
                ))
            else:
                r.anmarkning = _join(r.anmarkning, "saknar måluppfyllelse; inget överskott (R4)")
            return
        share = (1 - Fraction(regler.avdrag_overskott_procent) / 100) * regler.garanti_overskott_enhet
        r.garanti = min(_round(Fraction(a) * share, unit, regler.garanti_avrundning),
                        _round(Fraction(a), unit, "nedat"))  # never more than the surplus
        cap = _cap(regler.tak_overskott_enhet_belopp, regler.tak_overskott_enhet_procent,
                   e.budget, unit, f"{e.namnd} / {e.namn}", findings, e.namnd)
        if cap is not None and r.garanti > cap:
            r.till_ks = r.garanti - cap
            r.anmarkning = _join(r.anmarkning, f"tak {_sv(cap)}; {_sv(r.till_ks)} till KS")
    else:
        r.garanti = _round(Fraction(a) * regler.garanti_underskott_enhet, unit)
        cap = _cap(regler.tak_underskott_enhet_belopp, regler.tak_underskott_enhet_procent,
                   e.budget, unit, f"{e.namnd} / {e.namn}", findings, e.namnd)
        if cap is not None and r.garanti < -cap:
            r.till_ks = r.garanti + cap
            r.anmarkning = _join(r.anmarkning, f"underskottstak {_sv(-cap)}; {_sv(-r.till_ks)} bärs av KS")


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b


def _enhet_resultat(r: _Rad, regler: Regelverk) -> EnhetsResultat:
    e = r.enhet
    checks = tuple(AnvandningKontroll(k, b, kontrollera_anvandning(k)) for k, b in e.anvandning)
    return EnhetsResultat(
        namnd=e.namnd,
        namn=e.namn,
        central=e.central,
        maluppfyllelse=e.maluppfyllelse,
        resultat=e.resultat,
        justering=r.justering,
        undantaget=r.undantaget,
        justerat_resultat=r.justerat,
        garanti=quantize(r.garanti, regler.avrundning),
        overforing=quantize(r.overforing, regler.avrundning),
        till_ks=quantize(r.till_ks, regler.avrundning),
        handlingsplan_kravs=r.overforing < 0,
        handlingsplan_registrerad=e.handlingsplan,
        anvandning=checks,
        anmarkning=r.anmarkning,
    )


def _enhet_findings(er: EnhetsResultat, e: Resultatenhet) -> list[Finding]:
    findings: list[Finding] = []
    who = f"{er.namnd} / {er.namn}"
    if er.handlingsplan_kravs and er.handlingsplan_registrerad is not True:
        findings.append(Finding(
            "R5", Severity.WARNING,
            f"{who} för över underskott {_sv(er.overforing)}; enhetens chef ska ta fram en "
            f"handlingsplan och presentera den för nämnden. Registrera när den är presenterad.",
            object=who, location=e.plats,
        ))
    if not er.anvandning:
        return findings
    if er.overforing <= 0:
        findings.append(Finding(
            "R6", Severity.WARNING,
            f"{who} har planerad användning av överskott men för inte över något överskott.",
            object=who, location=e.plats,
        ))
    for c in er.anvandning:
        if c.tillaten is False:
            findings.append(Finding(
                "R6", Severity.ERROR,
                f"{who}: överfört överskott får inte användas till {c.kategori!r} (fasta "
                f"anställningar och andra fasta kostnader). Välj en tillåten användning.",
                object=who, location=e.plats,
            ))
        elif c.tillaten is None:
            findings.append(Finding(
                "R6", Severity.WARNING,
                f"{who}: användningen {c.kategori!r} är inte en av RB:s kategorier "
                f"(kompetensutveckling, projekt, tillfälliga anställningar, köp av material och "
                f"tjänster, investeringar). Klassa den.",
                object=who, location=e.plats,
            ))
    planned = sum((c.belopp for c in er.anvandning if c.belopp is not None), ZERO)
    if er.overforing > 0 and planned > er.overforing:
        findings.append(Finding(
            "R6", Severity.WARNING,
            f"{who}: planerad användning {_sv(planned)} överstiger överfört överskott {_sv(er.overforing)}.",
            object=who, location=e.plats,
        ))
    return findings


def _tillagg(namnd: str, namn: str, belopp: Decimal, regler: Regelverk, ar: int | None
             ) -> list[BudgetTillagg]:
    """R1: the carried amount enters the next year's budget in full; a deficit may be spread
    evenly over ``underskott_spridning_ar`` years (largest remainder, exact sum)."""
    if belopp == 0:
        return []
    if belopp > 0 or regler.underskott_spridning_ar == 1:
        amounts = [belopp]
    else:
        amounts = allocate(belopp, [1] * regler.underskott_spridning_ar, regler.avrundning)
    return [
        BudgetTillagg(namnd, namn, None if ar is None else ar + i, i,
                      quantize(b, regler.avrundning))
        for i, b in enumerate(amounts, start=1)
    ]
