"""Resultatbalansering: carrying each unit's and committee's result into next year's budget.

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

Default interpretation of R4 (spec §10): the committee's carried total is fixed by R3; every unit
gets its guaranteed amount (⅓ of its own surplus if it achieved its goals, all of its own deficit);
the committee's central management unit (central förvaltningsledning) receives the remainder, which
can be negative. All carried amounts are multiples of the rounding unit and reconcile exactly:

    Σ unit carries + central remainder = committee carry
    committee carry + KS share          = adjusted committee result (rounded to the unit)

Amounts are ``Decimal``; fractions are computed exactly (``Fraction``) and rounded once, splits
by largest remainder (:func:`engine.money.allocate`). Nothing here raises on bad data: problems are
:class:`~engine.findings.Finding` values.
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
    "balansera",
    "central_namn",
    "kontrollera_anvandning",
    "kontrollera_tidplan",
    "load_rules",
]


# --------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resultatenhet:
    """One result unit's year. ``resultat`` = budget − outturn of net costs (positive = surplus).

    ``budget`` (net budget, positive = cost) is needed only for caps in % of budget. ``poster`` are
    named items with their effect on the result (positive = improved it); those named in the rule
    set's ``undantagna_poster`` are taken out before splitting. ``anvandning`` are planned uses of a
    carried surplus (category, amount or ``None``), checked against R6. ``handlingsplan`` records
    whether an action plan (R5) has been presented (``None`` = not recorded).
    """

    namnd: str
    namn: str
    resultat: Decimal
    maluppfyllelse: bool = True
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
        """A unit from net budget and net outturn (both positive = cost): result = budget − utfall."""
        return cls(namnd, namn, budget - utfall, budget=budget, **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Namnd:
    """Committee-level facts: did it broadly achieve its goals (R3), its net budget (for caps)."""

    namn: str
    maluppfyllelse: bool = True
    budget: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Justering:
    """R2: an adjustment decided before the split. ``niva`` is ``"enhet"`` (adds to one unit's
    result, ``resultatenhet`` names it) or ``"namnd"`` (adds to the committee's result only; it
    reaches the central unit through the remainder)."""

    namnd: str
    belopp: Decimal
    orsak: str
    niva: str = "enhet"
    resultatenhet: str | None = None


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
    skapad: bool
    maluppfyllelse: bool
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
    """One committee: R3 split and the R4 remainder. ``overforing + ks_andel ==
    justerat_resultat``; ``enheternas_overforing + central_rest == overforing``."""

    namnd: str
    maluppfyllelse: bool
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
    central_rest: Decimal
    central_enhet: str


@dataclass(frozen=True, slots=True)
class AterrapportRad:
    """R7: one line of a committee's report to KS. ``typ`` is ``enhet``, ``central``,
    ``namndjustering`` (committee-level adjustments) or ``summa``; the lines of a committee sum to
    its ``summa`` line (adjusted result and carry); ``ks_andel`` is set on the ``summa`` line."""

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
    ``uppat`` toward +∞, ``nedat`` toward zero."""
    x = value / Fraction(unit)
    if mode == "uppat":
        k = math.ceil(x)
    elif mode == "nedat":
        k = math.floor(x) if x >= 0 else math.ceil(x)
    else:
        k = math.floor(abs(x) + Fraction(1, 2)) * (1 if x >= 0 else -1)
    return _money(k, unit)


def _round_preserving_sum(values: Sequence[Decimal], unit: Decimal) -> list[Decimal]:
    """Round each value to the unit so that the parts add up to the rounded total (largest
    remainder). Each part is its value rounded down or up, never further."""
    exact = [_units(v, unit) for v in values]
    target = _units(quantize(sum(values, ZERO), unit), unit)
    floors = [math.floor(x) for x in exact]
    leftover = int(target) - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [_money(k, unit) for k in floors]


def central_namn(namnd: str) -> str:
    """Name of the central management unit created for a committee that has none."""
    return f"{namnd} central förvaltningsledning"


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
            if datum is None:
                status = "saknas"
                findings.append(Finding(
                    "R8", Severity.WARNING,
                    f"{who}steg {nr} ({namn}) saknar datum. Registrera när steget genomfördes"
                    + (f" (senast {senast.isoformat()})." if senast else "."),
                    object=namnd, year=ar,
                ))
            elif senast is not None and datum > senast:
                status = "sen"
                findings.append(Finding(
                    "R8", Severity.WARNING,
                    f"{who}steg {nr} ({namn}) genomfördes {datum.isoformat()}, efter "
                    f"{senast.isoformat()} som tidplanen anger.",
                    object=namnd, year=ar,
                ))
            elif fran is not None and datum < fran:
                status = "tidig"
                findings.append(Finding(
                    "R8", Severity.INFO,
                    f"{who}steg {nr} ({namn}) genomfördes {datum.isoformat()}, före "
                    f"{fran.isoformat()} som tidplanen anger.",
                    object=namnd, year=ar,
                ))
            else:
                status = "i tid"
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
    skapad: bool = False
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
    achievement and budget (default: achieved; budget = Σ unit budgets); ``ar`` is the accounts
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
    created_index = len(enheter)
    for k, rader in groups.items():
        namn = spelling[k]
        n_info = info.get(k, Namnd(namn))
        for r in rader:
            r.undantaget = sum(
                (b for p, b in r.enhet.poster if normalize_key(p) in undantag), ZERO
            )
        # central unit: the first marked central; create one if none
        centrals = [r for r in rader if r.enhet.central]
        if centrals:
            central = centrals[0]
            if len(centrals) > 1:
                findings.append(Finding(
                    "R4", Severity.INFO,
                    f"Nämnden {namn} har {len(centrals)} centrala enheter; resten efter "
                    f"enheternas garantier förs till {central.enhet.namn!r}, de övriga behandlas "
                    f"som vanliga resultatenheter.",
                    object=namn,
                ))
        else:
            central = _Rad(Resultatenhet(namn, central_namn(namn), ZERO, central=True),
                           created_index, skapad=True)
            created_index += 1
            rader.append(central)
            findings.append(Finding(
                "R4", Severity.WARNING,
                f"Nämnden {namn} saknar central förvaltningsledning i underlaget. Resten av "
                f"nämndens överföring förs till den skapade enheten {central.enhet.namn!r}; "
                f"lägg in den centrala enheten (Central = ja) om den finns under annat namn.",
                object=namn,
            ))
        nr, rows, f = _balansera_namnd(namn, rader, central, n_info, namnd_just[k], regler)
        findings.extend(f)
        namnd_res.append(nr)
        for r in rader:
            er = _enhet_resultat(r, central, regler)
            findings.extend(_enhet_findings(er, r.enhet))
            enhet_res.append((r.index, er))
            tillagg.extend(_tillagg(er, regler, ar))
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
            object=j.namnd,
        )]
    if not str(j.orsak or "").strip():
        findings.append(Finding(
            "R2", Severity.WARNING,
            f"{what}: varje justering ska ha en orsak (lagändring, oförutsedd händelse, ej "
            f"startad verksamhet). Ange orsaken.",
            object=j.namnd,
        ))
    niva = normalize_key(j.niva)
    if niva == "namnd":
        namnd_just[k] += j.belopp
        return findings
    if niva != "enhet":
        return findings + [Finding(
            "R2", Severity.ERROR,
            f"{what}: okänd nivå {j.niva!r}; ange enhet eller nämnd. Justeringen ignoreras.",
            object=j.namnd,
        )]
    matches = [r for r in groups[k] if j.resultatenhet and _key(r.enhet.namn) == _key(j.resultatenhet)]
    if not matches:
        return findings + [Finding(
            "R2", Severity.ERROR,
            f"{what}: resultatenheten {j.resultatenhet!r} finns inte i nämnden {j.namnd}; "
            f"justeringen ignoreras. Kontrollera enhetens namn.",
            object=j.namnd,
        )]
    matches[0].justering += j.belopp
    return findings


def _balansera_namnd(
    namn: str,
    rader: list[_Rad],
    central: _Rad,
    n_info: Namnd,
    namnd_justering: Decimal,
    regler: Regelverk,
) -> tuple[NamndResultat, list[AterrapportRad], list[Finding]]:
    """R3 split for one committee, then R4 guarantees and the central remainder (mutates rader)."""
    findings: list[Finding] = []
    unit = regler.avrundning
    exact = [r.enhet.resultat + r.justering - r.undantaget for r in rader]
    rounded = _round_preserving_sum([*exact, namnd_justering], unit)
    for r, v in zip(rader, rounded, strict=False):
        r.justerat = v
    just_q = rounded[-1]
    total = sum(rounded, ZERO)  # adjusted committee result, a multiple of the unit
    budget = n_info.budget
    if budget is None:
        budgets = [r.enhet.budget for r in rader if not r.skapad]
        budget = None if any(b is None for b in budgets) else sum((abs(b) for b in budgets), ZERO)

    haircut = Fraction(regler.avdrag_overskott_procent) / 100
    namnd_mal_ok = n_info.maluppfyllelse or not regler.krav_maluppfyllelse_namnd
    avdrag = andel_enh = andel_nmd = ZERO
    carry = ks = ZERO
    nothing = False
    if regler.minsta_belopp > 0 and abs(total) < regler.minsta_belopp:
        nothing = True
        ks = total
        findings.append(Finding(
            "R3", Severity.INFO,
            f"Nämnden {namn}: justerat resultat {_sv(total)} är mindre än minsta belopp "
            f"{_sv(regler.minsta_belopp)}; inget förs över.",
            object=namn,
        ))
    elif total > 0 and not namnd_mal_ok:
        ks = total
        findings.append(Finding(
            "R3", Severity.INFO,
            f"Nämnden {namn} har inte i stort nått budgeterade prestationer och mål; "
            f"överskottet {_sv(total)} förs inte över (R3).",
            object=namn,
        ))
    elif total > 0:
        avdrag = _round(Fraction(total) * haircut, unit)
        parts = allocate(
            total - avdrag,
            [regler.overskott_andel_enheter, regler.overskott_andel_namnd,
             regler.overskott_andel_ks],
            unit,
        )
        andel_enh, andel_nmd, ks_del = parts
        carry = andel_enh + andel_nmd
        ks = ks_del + avdrag
        cap = _cap(regler.tak_overskott_namnd_belopp, regler.tak_overskott_namnd_procent, budget,
                   unit, f"Nämnden {namn}", findings, namn)
        if cap is not None and carry > cap:
            findings.append(Finding(
                "R3", Severity.INFO,
                f"Nämnden {namn}: överföringen {_sv(carry)} begränsas till taket {_sv(cap)}; "
                f"{_sv(carry - cap)} går till KS.",
                object=namn,
            ))
            ks += carry - cap
            carry = cap
    elif total < 0:
        f = regler.underskott_andel_overfors
        carry, ks = allocate(total, [f, 1 - f], unit)
        cap = _cap(regler.tak_underskott_namnd_belopp, regler.tak_underskott_namnd_procent,
                   budget, unit, f"Nämnden {namn}", findings, namn)
        if cap is not None and carry < -cap:
            findings.append(Finding(
                "R3", Severity.INFO,
                f"Nämnden {namn}: överfört underskott {_sv(carry)} begränsas till {_sv(-cap)}; "
                f"{_sv(carry + cap)} bärs av KS.",
                object=namn,
            ))
            ks += carry + cap
            carry = -cap

    # R4: guarantees for every unit except the central one
    for r in rader:
        if r is central:
            continue
        _garanti(r, regler, namnd_mal_ok, nothing, findings)
        r.overforing = r.garanti - r.till_ks
        carry -= r.till_ks
        ks += r.till_ks
    guaranteed = sum((r.overforing for r in rader if r is not central), ZERO)
    central.overforing = carry - guaranteed
    central.garanti = ZERO
    if central.overforing < 0:
        findings.append(Finding(
            "R4", Severity.WARNING,
            f"Nämnden {namn}: resten till {central.enhet.namn} är negativ ({_sv(central.overforing)}); "
            f"enheternas garantier överstiger nämndens överföring {_sv(carry)}. Den centrala "
            f"förvaltningsledningen bär underskottet och behöver en handlingsplan (R5).",
            object=namn,
        ))
    if central.overforing != 0:
        central.anmarkning = _join(central.anmarkning, "rest efter enheternas garantier (R4)")

    nr = NamndResultat(
        namnd=namn,
        maluppfyllelse=n_info.maluppfyllelse,
        resultat=sum((r.enhet.resultat for r in rader), ZERO),
        justering=sum((r.justering for r in rader), ZERO) + namnd_justering,
        undantaget=sum((r.undantaget for r in rader), ZERO),
        justerat_resultat=quantize(total, unit),
        avdrag=quantize(avdrag, unit),
        andel_enheter=quantize(andel_enh, unit),
        andel_namnd=quantize(andel_nmd, unit),
        overforing=quantize(carry, unit),
        ks_andel=quantize(ks, unit),
        enheternas_overforing=quantize(guaranteed, unit),
        central_rest=quantize(central.overforing, unit),
        central_enhet=central.enhet.namn,
    )
    if carry + ks != total or guaranteed + central.overforing != carry:  # pragma: no cover
        findings.append(Finding(
            "R7", Severity.ERROR,
            f"Nämnden {namn}: avstämningen går inte ihop (överföring {_sv(carry)} + KS {_sv(ks)} ≠ "
            f"{_sv(total)}). Detta är ett programfel; rapportera det.",
            object=namn,
        ))

    def q(v: Decimal) -> Decimal:
        return quantize(v, unit)

    rows = [
        AterrapportRad(namn, r.enhet.namn, "central" if r is central else "enhet",
                       q(r.justerat), q(r.overforing), q(r.till_ks))
        for r in rader
    ]
    if just_q:
        rows.append(AterrapportRad(namn, "Justering på nämndnivå", "namndjustering", q(just_q),
                                   q(ZERO), q(ZERO)))
    rows.append(AterrapportRad(namn, f"Summa {namn}", "summa", q(total), q(carry), q(ks)))
    return nr, rows, findings


def _garanti(r: _Rad, regler: Regelverk, namnd_mal_ok: bool, nothing: bool,
             findings: list[Finding]) -> None:
    """R4 for one unit: set ``garanti`` (guaranteed carry) and ``till_ks`` (excess over a cap)."""
    unit = regler.avrundning
    a = r.justerat
    e = r.enhet
    if nothing or a == 0:
        return
    if regler.minsta_belopp > 0 and abs(a) < regler.minsta_belopp:
        r.anmarkning = _join(r.anmarkning, "under minsta belopp; inget förs över")
        return
    if a > 0:
        if not namnd_mal_ok:
            r.anmarkning = _join(r.anmarkning, "nämnden saknar måluppfyllelse; inget överskott (R3)")
            return
        if regler.krav_maluppfyllelse_enhet and not e.maluppfyllelse:
            r.anmarkning = _join(r.anmarkning, "saknar måluppfyllelse; inget överskott (R4)")
            return
        share = (1 - Fraction(regler.avdrag_overskott_procent) / 100) * regler.garanti_overskott_enhet
        r.garanti = _round(Fraction(a) * share, unit, regler.garanti_avrundning)
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


def _enhet_resultat(r: _Rad, central: _Rad, regler: Regelverk) -> EnhetsResultat:
    e = r.enhet
    u = regler.avrundning
    checks = tuple(AnvandningKontroll(k, b, kontrollera_anvandning(k)) for k, b in e.anvandning)
    return EnhetsResultat(
        namnd=e.namnd,
        namn=e.namn,
        central=r is central or e.central,
        skapad=r.skapad,
        maluppfyllelse=e.maluppfyllelse,
        resultat=e.resultat,
        justering=r.justering,
        undantaget=r.undantaget,
        justerat_resultat=quantize(r.justerat, u),
        garanti=quantize(r.garanti, u),
        overforing=quantize(r.overforing, u),
        till_ks=quantize(r.till_ks, u),
        handlingsplan_kravs=r.overforing < 0,
        handlingsplan_registrerad=e.handlingsplan,
        anvandning=checks,
        anmarkning=_join("skapad: central förvaltningsledning saknades i underlaget",
                         r.anmarkning) if r.skapad else r.anmarkning,
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


def _tillagg(er: EnhetsResultat, regler: Regelverk, ar: int | None) -> list[BudgetTillagg]:
    """R1: the carried amount enters the next year's budget in full; a deficit may be spread
    evenly over ``underskott_spridning_ar`` years (largest remainder, exact sum)."""
    if er.overforing == 0:
        return []
    if er.overforing > 0 or regler.underskott_spridning_ar == 1:
        amounts = [er.overforing]
    else:
        amounts = allocate(er.overforing, [1] * regler.underskott_spridning_ar,
                           regler.avrundning)
    return [
        BudgetTillagg(er.namnd, er.namn, None if ar is None else ar + i, i,
                      quantize(b, regler.avrundning))
        for i, b in enumerate(amounts, start=1)
    ]
