"""Balance checks of the plan: liquidity (V7), balance and deficit coverage (V8), evaluation
procedure warning (V9), and the investment-reserve limit (V11, seed §6.4.3.5). Spec §8, seed
§5.2.1, §6.4.3.5, §6.6.1.4; municipal act (KL) 110 §, 118 §.

All inputs are plain data in published signs (a deficit is negative):

* V7 takes inverkan på likviditeten per year and the liquid assets at the start of the budget
  year (= the current year's closing forecast);
* V8 takes räkenskapsperiodens överskott (underskott) per plan year, the accumulated surplus
  (deficit) of the current year's balance forecast, the history of approved accounts (tblBokslut,
  and for the years it lacks the accounts the year columns show) and the specified measures
  (åtgärder);
* V9 takes the key figures of the last closed accounts (and the same history for the deadline
  criterion);
* V11 takes the budget year's förändring av reserver and the same accumulated surplus as V8.

The coverage deadline (:func:`tackningsar`): a deficit in the balance sheet must be covered within
four years from the start of the year following the year in which the accounts were approved
(KL 110 § 3 mom.). Accounts of year Y are normally approved in Y+1, so the deadline is the end of
Y+1+4 = Y+5: 2016 accounts approved 2017 → 31.12.2021 (JHS 199); 2015 → 2020 (Kuntaliitto).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from engine.findings import Finding, Location, Severity
from engine.money import ZERO
from engine.money import format_sv as _sv

__all__ = [
    "V9_2019",
    "V9_FORE_2019",
    "V9_VERSIONER",
    "Atgard",
    "Bokslutsbalans",
    "KrisNyckeltal",
    "V9Kriterium",
    "V9Resultat",
    "V9Version",
    "bedom_v9",
    "check_v7_likviditet",
    "check_v8_balans",
    "check_v9_utvarderingsforfarande",
    "check_v11_investeringsreserv",
    "tackningsar",
    "underskottets_tackningsar",
]

#: Minimum length of an ekonomiplan: budget year + two plan years (seed §4.1).
MIN_PLANAR = 3


def tackningsar(bokslutsar: int, faststallelsear: int | None = None) -> int:
    """The last year by whose end a balance-sheet deficit shown in the accounts of
    ``bokslutsar`` must be covered: (approval year) + 4; approval year defaults to
    ``bokslutsar + 1``.

    >>> tackningsar(2016, 2017)
    2021
    >>> tackningsar(2015)
    2020

    Raises ``ValueError`` when the approval year is not after the accounts year.
    """
    if isinstance(bokslutsar, bool) or not isinstance(bokslutsar, int):
        raise ValueError(f"bokslutsåret ska vara ett heltal, inte {bokslutsar!r}")
    if faststallelsear is None:
        faststallelsear = bokslutsar + 1
    if isinstance(faststallelsear, bool) or not isinstance(faststallelsear, int):
        raise ValueError(f"fastställelseåret ska vara ett heltal, inte {faststallelsear!r}")
    if faststallelsear <= bokslutsar:
        raise ValueError(
            f"bokslutet för {bokslutsar} kan inte fastställas år {faststallelsear}; "
            "fastställelseåret ska vara senare än bokslutsåret"
        )
    return faststallelsear + 4


# ---------------------------------------------------------------------------------------------
# V7
# ---------------------------------------------------------------------------------------------


def check_v7_likviditet(
    inverkan: Mapping[int, Decimal],
    likvida_medel_vid_ingang: Decimal,
    budgetar: int,
    *,
    locations: Mapping[int, Location] | None = None,
    likvida_location: Location | None = None,
) -> list[Finding]:
    """V7: a negative inverkan på likviditeten must not exceed the liquid assets at the start of
    the budget year (seed §6.6.1.4, KL 110 § 4 mom.).

    ``inverkan``: year -> inverkan på likviditeten (FD.INV). ``likvida_medel_vid_ingang``: liquid
    assets at 1.1 of the budget year, i.e. the closing forecast of the current year.
    Budget year: error when −inverkan > liquid assets. Plan years (interpretation): liquid assets
    are carried forward (start + Σ inverkan); a projected negative balance is a warning.
    """
    locs = locations or {}
    findings: list[Finding] = []
    if likvida_medel_vid_ingang < 0:
        findings.append(Finding(
            "V7", Severity.ERROR,
            f"De likvida medlen vid budgetårets ingång är negativa ({_sv(likvida_medel_vid_ingang)}). "
            "Ange bokslutsprognosens likvida medel (kassa och bank samt finansiella "
            "värdepapper) som ett positivt belopp.",
            "likvida medel", budgetar, likvida_location))
        return findings
    if budgetar not in inverkan:
        findings.append(Finding(
            "V7", Severity.ERROR,
            f"Inverkan på likviditeten saknas för budgetåret {budgetar}. Fyll i "
            "finansieringsdelen för budgetåret.",
            "FD.INV", budgetar, None))
        return findings
    effect = inverkan[budgetar]
    if effect < 0 and -effect > likvida_medel_vid_ingang:
        findings.append(Finding(
            "V7", Severity.ERROR,
            f"Inverkan på likviditeten är {_sv(effect)}, men de likvida medlen vid budgetårets ingång "
            f"är bara {_sv(likvida_medel_vid_ingang)} (underskott {_sv(-effect - likvida_medel_vid_ingang)}"
            "). Det är då inte visat hur finansieringsbehovet täcks (KL 110 § 4 mom.). Öka "
            "lånefinansieringen, minska investeringarna eller förbättra årsbidraget.",
            "FD.INV", budgetar, locs.get(budgetar)))
    balance = likvida_medel_vid_ingang
    for year in sorted(y for y in inverkan if y >= budgetar):
        balance += inverkan[year]
        if year == budgetar and balance < 0:
            break  # already an error for the budget year
        if year > budgetar and balance < 0:
            findings.append(Finding(
                "V7", Severity.WARNING,
                f"De likvida medlen beräknas bli negativa ({_sv(balance)}) i slutet av planåret {year} "
                "(likvida medel vid budgetårets ingång plus planens inverkan på likviditeten). "
                "Planera finansieringen (lån, försäljningar) för planåret.",
                "FD.INV", year, locs.get(year)))
            break
    return findings


# ---------------------------------------------------------------------------------------------
# V8
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bokslutsbalans:
    """The accumulated surplus (deficit) in the balance sheet of approved accounts: överskott från
    tidigare räkenskapsperioder + räkenskapsperiodens överskott, at 31.12 of ``ar`` (negative =
    deficit). ``faststallelsear`` = year the council approved the accounts (default ``ar + 1``)."""

    ar: int
    ackumulerat: Decimal
    faststallelsear: int | None = None
    location: Location | None = None  # the row (its Bokslutsår cell)
    belopp_location: Location | None = None  # its Ackumulerat överskott cell


@dataclass(frozen=True, slots=True)
class Atgard:
    """A specified measure (specificerad åtgärd) for covering the deficit: the improvement of
    the result it brings (positive) and the year it takes effect."""

    beskrivning: str
    belopp: Decimal | None
    ar: int | None
    location: Location | None = None


def _why_not_counted(
    a: Atgard, *, budgetar: int, deadline: int, passed: bool
) -> tuple[Severity, str] | None:
    """Why measure ``a`` does not count towards covering the deficit (V8), or None if it does.
    ``passed``: the deadline is before the budget year, so every measure from it on counts."""
    if a.belopp is None or a.ar is None:
        missing = " och ".join(
            w for w, v in (("belopp", a.belopp), ("år", a.ar)) if v is None
        )
        return (Severity.ERROR,
                f"Åtgärden saknar {missing}. En specificerad åtgärd ska ha både belopp och år.")
    if a.belopp <= 0:
        return (Severity.ERROR,
                f"Åtgärdens belopp är {_sv(a.belopp)}; ange förbättringen av resultatet som ett "
                "positivt belopp.")
    if not passed and a.ar > deadline:
        return (Severity.WARNING,
                f"Åtgärden verkar först {a.ar}, efter tidsfristen 31.12.{deadline}, och räknas "
                "inte in i täckningen. Tidigarelägg den eller ersätt den.")
    if a.ar < budgetar:
        return (Severity.WARNING,
                f"Åtgärden gäller {a.ar}, före budgetåret {budgetar}; dess effekt ingår redan i "
                "balansprognosen och räknas inte igen.")
    return None


def underskottets_tackningsar(
    historik: Sequence[Bokslutsbalans],
    *,
    ackumulerat_prognos: Decimal | None = None,
    prognosar: int | None = None,
    kolumnhistorik: Sequence[Bokslutsbalans] = (),
) -> int | None:
    """The deadline that governs the current balance-sheet deficit, or ``None`` if there is none.

    Interpretation (Kuntaliitto's reading of KL 110 §): the deadline runs from the first approved
    accounts of the current unbroken run of deficits; more deficit accumulated later does not move
    it. When the approved accounts show no deficit but the current year's forecast
    (``ackumulerat_prognos`` for ``prognosar``) does, the deficit first appears in the accounts of
    ``prognosar``, to be approved the year after. ``kolumnhistorik``: accounts' figures read from
    the budget's year columns (BAL.TIDOVERSK), for the years ``historik`` does not give.

    A year missing inside the history is taken to continue the run when the year before it shows
    a deficit, and to start it when that year shows none: the earliest deadline the known
    accounts allow (docs/DECISIONS.md; :func:`check_v8_balans` says so in a warning).
    """
    return _tidsfrist(historik, kolumnhistorik, ackumulerat_prognos, prognosar, "V8").ar


@dataclass(frozen=True, slots=True)
class _Punkt:
    """One year's accumulated surplus (deficit) at 31.12: from tblBokslut (``"bokslut"``), from
    the year columns' BAL.TIDOVERSK (``"kolumn"``) or the current year's forecast
    (``"prognos"``)."""

    ar: int
    ackumulerat: Decimal
    faststallelsear: int | None
    kalla: str
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class _Tidsfrist:
    ar: int | None  # the deadline (None: no deficit)
    senaste: _Punkt | None  # the latest year known (accounts, or the forecast)
    findings: tuple[Finding, ...] = ()


def _years_text(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"


def _tidsfrist(
    historik: Sequence[Bokslutsbalans],
    kolumnhistorik: Sequence[Bokslutsbalans],
    ackumulerat_prognos: Decimal | None,
    prognosar: int | None,
    rule: str,
) -> _Tidsfrist:
    """The deadline of :func:`underskottets_tackningsar` and the findings on how far it can be
    trusted: a year missing in the history, a run of deficits that reaches back to the earliest
    year known from the workbook's columns or the forecast alone (the deadline may be earlier),
    tblBokslut and BAL.TIDOVERSK disagreeing on whether a year shows a deficit, one year twice.
    Raises ``ValueError`` for an impossible approval year (:func:`tackningsar`)."""
    findings: list[Finding] = []
    where = next((b.location for b in historik if b.location is not None), None)
    points: dict[int, _Punkt] = {}
    for b in historik:
        seen = points.get(b.ar)
        if seen is None:
            points[b.ar] = _Punkt(b.ar, b.ackumulerat, b.faststallelsear, "bokslut", b.location)
        elif seen.ackumulerat != b.ackumulerat:
            findings.append(Finding(
                rule, Severity.ERROR,
                f"Bokslutet för {b.ar} står två gånger i bokslutshistoriken med olika belopp "
                f"({_sv(seen.ackumulerat)} och {_sv(b.ackumulerat)}); det första räknas. Ta bort "
                "den felaktiga raden.", "bokslutshistorik", b.ar, b.location))
    for b in kolumnhistorik:
        own = points.get(b.ar)
        if own is None:
            points[b.ar] = _Punkt(b.ar, b.ackumulerat, b.faststallelsear, "kolumn", b.location)
        elif (own.ackumulerat < 0) != (b.ackumulerat < 0):
            findings.append(Finding(
                rule, Severity.WARNING,
                f"Bokslutet för {b.ar} visar ackumulerat överskott {_sv(own.ackumulerat)} i "
                f"bokslutshistoriken, men överskottet från tidigare räkenskapsperioder för "
                f"{b.ar + 1} (BAL.TIDOVERSK under Centrala poster) är {_sv(b.ackumulerat)}: det "
                "ena visar underskott, det andra inte. Tidsfristen beräknas från "
                "bokslutshistoriken; rätta den uppgift som är fel.",
                "bokslutshistorik", b.ar, own.location))
    known = sorted(points.values(), key=lambda p: p.ar)
    if ackumulerat_prognos is not None and prognosar is not None and ackumulerat_prognos < 0 \
            and (not known or known[-1].ar < prognosar):
        known.append(_Punkt(prognosar, ackumulerat_prognos, None, "prognos"))
    if not known:
        return _Tidsfrist(None, None, tuple(findings))
    latest = known[-1]
    if latest.ackumulerat >= 0:
        return _Tidsfrist(None, latest, tuple(findings))
    # walk back through the run of deficits that ends in the latest year
    i = len(known) - 1
    start_ar, start_fast = latest.ar, latest.faststallelsear
    gap: tuple[int, int, int] | None = None  # first and last missing year, deadline without them
    reached_earliest = False
    while True:
        if i == 0:
            reached_earliest = True
            break
        prev, cur = known[i - 1], known[i]
        if prev.ar < cur.ar - 1:
            if gap is None:
                gap = (prev.ar + 1, cur.ar - 1, tackningsar(cur.ar, cur.faststallelsear))
            if prev.ackumulerat >= 0:  # the run may have begun in the first missing year
                start_ar, start_fast = prev.ar + 1, None
                break
        elif prev.ackumulerat >= 0:
            break
        i -= 1
        start_ar, start_fast = prev.ar, prev.faststallelsear
    deadline = tackningsar(start_ar, start_fast)
    if gap is not None:
        first, last, later = gap
        missing = _years_text(first, last)
        findings.append(Finding(
            rule, Severity.WARNING,
            f"Bokslutshistoriken saknar {missing}, så tidsfristen för underskottet kan inte "
            f"bestämmas säkert. Den har beräknats som om underskottet fanns också under de åren "
            f"(31.12.{deadline}); visade boksluten för {missing} inget underskott är den "
            f"31.12.{later}. Fyll i de fastställda boksluten för {missing} i tblBokslut (Balans "
            "och kris).", "bokslutshistorik", first, where))
    if reached_earliest and known[0].kalla == "prognos":
        findings.append(Finding(
            rule, Severity.WARNING,
            "Tidsfristen för underskottet kan inte bestämmas ur fastställda bokslut: inga finns "
            f"angivna, så den har beräknats från balansprognosen för {known[0].ar} "
            f"(31.12.{deadline}). Visade redan ett tidigare bokslut underskott är tidsfristen "
            "tidigare. Fyll i de fastställda boksluten i tblBokslut (Balans och kris).",
            "bokslutshistorik", known[0].ar, where))
    elif reached_earliest and known[0].kalla == "kolumn":
        findings.append(Finding(
            rule, Severity.WARNING,
            f"Tidsfristen för underskottet har beräknats från överskottet från tidigare "
            f"räkenskapsperioder (BAL.TIDOVERSK) i arbetsbokens årskolumner: bokslutet för "
            f"{known[0].ar}, det tidigaste arbetsboken visar, har redan underskott "
            f"(31.12.{deadline}). Uppstod underskottet tidigare är tidsfristen tidigare. Fyll i "
            "de fastställda boksluten i tblBokslut (Balans och kris) tillbaka till det senaste "
            "bokslutet utan underskott.", "bokslutshistorik", known[0].ar, where))
    return _Tidsfrist(deadline, latest, tuple(findings))


def _bad_history(exc: ValueError, historik: Sequence[Bokslutsbalans], rule: str = "V8") -> Finding:
    loc = next((b.location for b in historik if b.location is not None), None)
    return Finding(
        rule, Severity.ERROR,
        f"Bokslutshistoriken kan inte användas: {exc}. Rätta fastställelseåret.",
        "bokslutshistorik", None, loc)


def check_v8_balans(
    budgetar: int,
    overskott: Mapping[int, Decimal],
    ackumulerat_prognos: Decimal,
    historik: Sequence[Bokslutsbalans] = (),
    atgarder: Sequence[Atgard] = (),
    *,
    locations: Mapping[int, Location] | None = None,
    kolumnhistorik: Sequence[Bokslutsbalans] = (),
) -> list[Finding]:
    """V8: the plan balances, and a balance-sheet deficit is covered in time by specified measures.

    ``overskott``: year -> räkenskapsperiodens överskott (underskott) for the budget year and the
    plan years. ``ackumulerat_prognos``: accumulated surplus (deficit) in the balance sheet at the
    end of the current year (``budgetar - 1``) according to its balance forecast. ``historik``:
    approved accounts (for the deadline). ``atgarder``: the specified measures in the plan.
    ``kolumnhistorik``: approved accounts' accumulated surplus read from the budget's year columns
    (BAL.TIDOVERSK of column Y is the accounts of Y − 1), for the years ``historik`` lacks.

    * no accumulated deficit: the plan's total (Σ överskott) must be ≥ 0, or a plan deficit at
      most the forecast's accumulated surplus (seed §5.2.1) – error otherwise, info when the
      allowance is used;
    * accumulated deficit: the deadline D (:func:`underskottets_tackningsar`, with warnings when
      the history has a missing year or may not reach back to the first deficit); error if D has
      passed; error if the plan reaches D and the projected accumulated balance at the end of D is
      still negative; warning if the plan ends before D with a deficit left; error if the
      projected accumulated balance, once the deficit is covered, falls below zero again in a
      later plan year ("Ekonomiplanen ska vara i balans eller visa överskott", seed §4.1,
      §5.2.1); error if the plan's total is a deficit (there is no accumulated surplus for it to
      fit in) and no error above already names a negative year;
      specified measures are required: each with amount (> 0) and year; only measures in
      budgetar..D count; their sum must cover the deficit (error otherwise);
    * fewer than three plan years: warning.
    """
    locs = locations or {}
    findings: list[Finding] = []
    years = sorted(overskott)
    if budgetar not in overskott:
        findings.append(Finding(
            "V8", Severity.ERROR,
            f"Räkenskapsperiodens överskott (underskott) saknas för budgetåret {budgetar}. Fyll i "
            "resultaträkningsdelen.",
            "RR.OVERSKOTT", budgetar, None))
        return findings
    plan_years = [y for y in years if y >= budgetar]
    if len(plan_years) < MIN_PLANAR:
        findings.append(Finding(
            "V8", Severity.WARNING,
            f"Ekonomiplanen omfattar {len(plan_years)} år; den ska omfatta budgetåret och minst "
            "två planår. Lägg till planåren.",
            "ekonomiplan", budgetar, None))
    last = plan_years[-1]
    total = sum((overskott[y] for y in plan_years), ZERO)
    if ackumulerat_prognos >= 0:
        if total < 0:
            if -total <= ackumulerat_prognos:
                findings.append(Finding(
                    "V8", Severity.INFO,
                    f"Ekonomiplanen visar underskott {_sv(total)} över planperioden, vilket ryms i det "
                    f"ackumulerade överskottet {_sv(ackumulerat_prognos)} enligt balansprognosen för "
                    f"{budgetar - 1}. Tillåtet, men överskottet förbrukas.",
                    "ekonomiplan", budgetar, None))
            else:
                findings.append(Finding(
                    "V8", Severity.ERROR,
                    f"Ekonomiplanen visar underskott {_sv(total)} över planperioden, mer än det "
                    f"ackumulerade överskottet {_sv(ackumulerat_prognos)} enligt balansprognosen för "
                    f"{budgetar - 1} (skillnad {_sv(-total - ackumulerat_prognos)}). Planen ska vara i "
                    "balans eller visa överskott; besluta om åtgärder som förbättrar resultatet.",
                    "ekonomiplan", budgetar, None))
        return findings

    try:
        frist = _tidsfrist(historik, kolumnhistorik, ackumulerat_prognos, budgetar - 1, "V8")
    except ValueError as exc:
        findings.append(_bad_history(exc, historik))
        return findings
    findings.extend(frist.findings)
    deadline = frist.ar
    deficit = -ackumulerat_prognos
    assert deadline is not None
    # the year the plan covers the deficit (the projected accumulated result ≥ 0 again)
    acc = ackumulerat_prognos
    covered: int | None = None
    for y in plan_years:
        acc += overskott[y]
        if acc >= 0:
            covered = y
            break
    negative_year_named = True  # an error below names a year whose accumulated result is < 0
    if deadline < budgetar:
        findings.append(Finding(
            "V8", Severity.ERROR,
            f"Underskottet i balansräkningen ({_sv(ackumulerat_prognos)}) skulle ha täckts senast "
            f"31.12.{deadline}. Tidsfristen har gått ut; detta kan leda till "
            "utvärderingsförfarande (KL 118 §). Besluta om åtgärder som täcker underskottet "
            "snarast.",
            "ackumulerat underskott", deadline, None))
    else:
        acc = ackumulerat_prognos
        acc_at_deadline: Decimal | None = None
        for y in plan_years:
            acc += overskott[y]
            if y == deadline:
                acc_at_deadline = acc
        if acc_at_deadline is not None and acc_at_deadline < 0:
            findings.append(Finding(
                "V8", Severity.ERROR,
                f"Underskottet i balansräkningen ({_sv(ackumulerat_prognos)} enligt balansprognosen) "
                f"täcks inte inom tidsfristen: det ackumulerade resultatet är {_sv(acc_at_deadline)} i "
                f"slutet av {deadline}. Ekonomiplanen ska visa överskott som täcker underskottet "
                f"senast 31.12.{deadline}; skärp åtgärderna.",
                "ackumulerat underskott", deadline, locs.get(deadline)))
        else:
            negative_year_named = False
            if acc_at_deadline is None and covered is None:
                findings.append(Finding(
                    "V8", Severity.WARNING,
                    f"Ekonomiplanen slutar {last} med ett ackumulerat underskott på {_sv(acc)}, "
                    f"men tidsfristen för täckningen är 31.12.{deadline}. Förläng ekonomiplanen "
                    f"till {deadline} och visa hur underskottet täcks.",
                    "ackumulerat underskott", last, locs.get(last)))
    # once covered, the accumulated result must not fall below zero again (a new deficit in
    # the balance sheet, planned while the old one is being covered)
    acc = ackumulerat_prognos
    for y in plan_years:
        acc += overskott[y]
        if covered is not None and y > covered and acc < 0:
            negative_year_named = True
            findings.append(Finding(
                "V8", Severity.ERROR,
                f"Underskottet i balansräkningen ({_sv(ackumulerat_prognos)} enligt "
                f"balansprognosen) täcks {covered} enligt ekonomiplanen, men det ackumulerade "
                f"resultatet blir åter negativt {y}: {_sv(acc)} i slutet av året. Ekonomiplanen "
                "ska vara i balans eller visa överskott (KL 110 § 3 mom.); planera inte ett nytt "
                f"underskott i balansräkningen. Förbättra resultatet för {y} (åtgärder, lägre "
                "utgifter eller högre inkomster).",
                "ackumulerat underskott", y, locs.get(y)))
            break
    if total < 0 and not negative_year_named:
        findings.append(Finding(
            "V8", Severity.ERROR,
            f"Ekonomiplanen visar underskott {_sv(total)} över planperioden fast balansräkningen "
            f"redan visar underskott ({_sv(ackumulerat_prognos)} enligt balansprognosen för "
            f"{budgetar - 1}). Ett underskott i planen får bara rymmas i ett ackumulerat "
            "överskott (JHS 199 §5.2.1), och det finns inget; planen ska vara i balans eller visa "
            "överskott och täcka underskottet. Besluta om åtgärder som förbättrar resultatet.",
            "ekonomiplan", budgetar, None))

    # specified measures
    if not atgarder:
        findings.append(Finding(
            "V8", Severity.ERROR,
            f"Balansräkningen visar underskott ({_sv(ackumulerat_prognos)}) men ekonomiplanen saknar "
            f"specificerade åtgärder för att täcka det senast 31.12.{deadline}. Besluta om "
            "åtgärder (belopp och år) i ekonomiplanen.",
            "åtgärder", budgetar, None))
        return findings
    counted = ZERO
    passed = deadline < budgetar  # then every measure from the budget year on counts
    for a in atgarder:
        problem = _why_not_counted(a, budgetar=budgetar, deadline=deadline, passed=passed)
        if problem is None:
            assert a.belopp is not None
            counted += a.belopp
            continue
        severity, message = problem
        name = f"åtgärd: {a.beskrivning}" if a.beskrivning else "åtgärd"
        findings.append(Finding("V8", severity, message, name, a.ar, a.location))
    if counted < deficit:
        until = f"från {budgetar}" if passed else f"fram till {deadline}"
        findings.append(Finding(
            "V8", Severity.ERROR,
            f"De specificerade åtgärderna {until} uppgår till {_sv(counted)}, men "
            f"underskottet som ska täckas är {_sv(deficit)} (saknas {_sv(deficit - counted)}). Komplettera "
            "åtgärderna.",
            "åtgärder", deadline, None))
    return findings


# ---------------------------------------------------------------------------------------------
# V9
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KrisNyckeltal:
    """Key figures of one closed year's accounts for the evaluation-procedure test (KL 118 §).

    Amounts per inhabitant in the municipality's currency (EUR); percentages as numbers (80 = 80
    %). Fields a rule version does not use may stay ``None``.
    """

    ar: int
    #: group accumulated surplus (+) / deficit (−) per inhabitant
    koncern_ackumulerat_per_inv: Decimal | None = None
    #: own income tax rate and the weighted average of all municipalities, %
    skattesats: Decimal | None = None
    skattesats_vagt_medel: Decimal | None = None
    # 2019 set
    koncern_arsbidrag_per_avskrivningar_pct: Decimal | None = None
    koncern_lan_och_hyresansvar_per_inv: Decimal | None = None
    koncern_lan_och_hyresansvar_per_inv_medel: Decimal | None = None
    koncern_kalkylerat_lanehanteringsbidrag: Decimal | None = None
    # pre-2019 set
    koncern_arsbidrag_utan_provning: Decimal | None = None
    koncern_lan_per_inv: Decimal | None = None
    koncern_lan_per_inv_medel: Decimal | None = None
    koncern_relativ_skuldsattning_pct: Decimal | None = None
    location: Location | None = None


#: A criterion evaluates one year's figures: True / False, or None when data is missing.
Evaluator = Callable[[KrisNyckeltal], "bool | None"]


@dataclass(frozen=True, slots=True)
class V9Kriterium:
    id: str
    text: str
    evaluate: Evaluator


@dataclass(frozen=True, slots=True)
class V9Version:
    """A dated set of the four key-figure criteria (all must hold two years in a row)."""

    id: str
    rubrik: str
    giltig_fran: int  # first accounts year the set applies to (interpretation)
    kriterier: tuple[V9Kriterium, ...]
    underskott_senaste: Decimal = Decimal(-1000)
    underskott_foregaende: Decimal = Decimal(-500)


def _lt(value: Decimal | None, limit: Decimal) -> bool | None:
    return None if value is None else value < limit


def _tax_over(n: KrisNyckeltal, pp: Decimal) -> bool | None:
    if n.skattesats is None or n.skattesats_vagt_medel is None:
        return None
    return n.skattesats - n.skattesats_vagt_medel >= pp


def _over_avg(own: Decimal | None, avg: Decimal | None) -> bool | None:
    if own is None or avg is None:
        return None
    return own >= avg * Decimal("1.5")


V9_2019 = V9Version(
    id="2019",
    rubrik="KL 118 § efter ändringen 2019 (175/2019)",
    giltig_fran=2019,
    kriterier=(
        V9Kriterium(
            "arsbidrag_avskrivningar",
            "kommunkoncernens årsbidrag i förhållande till avskrivningarna är under 80 %",
            lambda n: _lt(n.koncern_arsbidrag_per_avskrivningar_pct, Decimal(80)),
        ),
        V9Kriterium(
            "skattesats",
            "inkomstskattesatsen är minst 2,0 procentenheter över det vägda medeltalet",
            lambda n: _tax_over(n, Decimal("2.0")),
        ),
        V9Kriterium(
            "lan_hyresansvar",
            "koncernens lån och hyresansvar per invånare överskrider medeltalet med minst 50 %",
            lambda n: _over_avg(
                n.koncern_lan_och_hyresansvar_per_inv, n.koncern_lan_och_hyresansvar_per_inv_medel
            ),
        ),
        V9Kriterium(
            "lanehanteringsbidrag",
            "koncernens kalkylerade lånehanteringsbidrag är under 0,8",
            lambda n: _lt(n.koncern_kalkylerat_lanehanteringsbidrag, Decimal("0.8")),
        ),
    ),
)

V9_FORE_2019 = V9Version(
    id="före 2019",
    rubrik="KL 118 § i den lydelse JHS 199 (§5.2.1) citerar",
    giltig_fran=2015,
    kriterier=(
        V9Kriterium(
            "arsbidrag_negativt",
            "kommunkoncernens årsbidrag utan höjning av statsandelen enligt prövning är negativt",
            lambda n: _lt(n.koncern_arsbidrag_utan_provning, ZERO),
        ),
        V9Kriterium(
            "skattesats",
            "inkomstskattesatsen är minst 1,0 procentenhet över det vägda medeltalet",
            lambda n: _tax_over(n, Decimal("1.0")),
        ),
        V9Kriterium(
            "lan",
            "koncernens lånebelopp per invånare överskrider medeltalet med minst 50 %",
            lambda n: _over_avg(n.koncern_lan_per_inv, n.koncern_lan_per_inv_medel),
        ),
        V9Kriterium(
            "relativ_skuldsattning",
            "koncernens relativa skuldsättning är minst 50 %",
            lambda n: (
                None if n.koncern_relativ_skuldsattning_pct is None
                else n.koncern_relativ_skuldsattning_pct >= 50
            ),
        ),
    ),
)

V9_VERSIONER: dict[str, V9Version] = {V9_2019.id: V9_2019, V9_FORE_2019.id: V9_FORE_2019}


@dataclass(frozen=True, slots=True)
class V9Resultat:
    """Which evaluation-procedure criteria are met (``None`` = could not be judged)."""

    version: str
    tidsfrist_overskriden: bool | None
    tidsfrist: int | None
    underskott_per_inv: bool | None
    nyckeltal: bool | None
    per_ar: dict[int, dict[str, bool | None]] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()

    @property
    def varning(self) -> bool:
        return bool(self.tidsfrist_overskriden or self.underskott_per_inv or self.nyckeltal)


def _resolve_version(version: str, years: Sequence[int]) -> V9Version:
    if version == "auto":
        latest = max(years) if years else V9_2019.giltig_fran
        return V9_2019 if latest >= V9_2019.giltig_fran else V9_FORE_2019
    if version not in V9_VERSIONER:
        raise ValueError(f"okänd regelversion för V9: {version!r} (välj {', '.join(V9_VERSIONER)})")
    return V9_VERSIONER[version]


def bedom_v9(
    nyckeltal: Sequence[KrisNyckeltal],
    *,
    historik: Sequence[Bokslutsbalans] = (),
    version: str = "2019",
    samkommun: bool = False,
    kolumnhistorik: Sequence[Bokslutsbalans] = (),
) -> V9Resultat:
    """V9: evaluate the evaluation-procedure criteria (KL 118 §) on closed accounts.

    Criteria (any one triggers the warning):
    1. the balance-sheet deficit was not covered within the V8 deadline (from ``historik``, and
       ``kolumnhistorik`` for the years it lacks: the latest accounts show a deficit and their
       year is at or after the deadline; a missing year is counted as :func:`_tidsfrist` says);
    2. (not joint authorities) the group's accumulated deficit ≥ 1 000 €/inv in the latest
       accounts and ≥ 500 €/inv in the previous ones;
    3. (not joint authorities) all four key-figure criteria of the rule ``version`` ("2019",
       default; "före 2019"; "auto" = by the latest accounts year) hold in each of the last two
       years (two years in a row).
    Missing data gives an info finding, never a silent "no".
    """
    findings: list[Finding] = []
    ny = sorted(nyckeltal, key=lambda n: n.ar)
    ver = _resolve_version(version, [n.ar for n in ny])

    hist = sorted(historik, key=lambda b: b.ar)
    overdue: bool | None = None
    deadline: int | None = None
    try:
        frist = _tidsfrist(hist, kolumnhistorik, None, None, "V9")
    except ValueError as exc:
        findings.append(_bad_history(exc, hist, rule="V9"))
        frist = None
    if frist is not None:
        findings.extend(frist.findings)
        deadline, latest = frist.ar, frist.senaste
        if latest is not None:
            overdue = deadline is not None and latest.ar >= deadline
            if overdue:
                findings.append(Finding(
                    "V9", Severity.WARNING,
                    f"Underskottet i balansräkningen ({_sv(latest.ackumulerat)} i bokslutet "
                    f"{latest.ar}) har inte täckts inom tidsfristen 31.12.{deadline}. "
                    "Utvärderingsförfarande kan inledas (KL 118 §). Besluta om åtgärder och "
                    "förbered en utredning.",
                    "utvärderingsförfarande", latest.ar, latest.location))
    if overdue is None and frist is not None:
        findings.append(Finding(
            "V9", Severity.INFO,
            "Kriteriet att underskottet i balansräkningen inte har täckts inom tidsfristen kan "
            "inte bedömas: inga fastställda bokslut är angivna. Fyll i de fastställda boksluten "
            "(ackumulerat överskott per bokslutsår) i tblBokslut (Balans och kris).",
            "utvärderingsförfarande", None, None))
    if samkommun:
        return V9Resultat(ver.id, overdue, deadline, None, None, {}, tuple(findings))

    per_inv: bool | None = None
    consecutive = len(ny) >= 2 and ny[-1].ar - ny[-2].ar == 1
    if consecutive:
        last, prev = ny[-1], ny[-2]
        a, b = last.koncern_ackumulerat_per_inv, prev.koncern_ackumulerat_per_inv
        if a is None or b is None:
            missing_years = [n.ar for n in (prev, last) if n.koncern_ackumulerat_per_inv is None]
            findings.append(Finding(
                "V9", Severity.INFO,
                "Kriteriet om kommunkoncernens ackumulerade underskott per invånare (minst 1 000 "
                "€ i det senaste bokslutet och 500 € i det föregående) kan inte bedömas: "
                "koncernens ackumulerade överskott per invånare saknas för "
                f"{' och '.join(map(str, missing_years))}. Komplettera nyckeltalen i tblKris.",
                "utvärderingsförfarande", missing_years[-1],
                (last if a is None else prev).location))
        else:
            per_inv = a <= ver.underskott_senaste and b <= ver.underskott_foregaende
    if per_inv:
        findings.append(Finding(
            "V9", Severity.WARNING,
            f"Kommunkoncernens ackumulerade underskott är {_sv(-ny[-1].koncern_ackumulerat_per_inv)} "
            f"€/invånare {ny[-1].ar} (gräns 1 000) och {_sv(-ny[-2].koncern_ackumulerat_per_inv)} "
            f"€/invånare {ny[-2].ar} (gräns 500). Utvärderingsförfarande kan inledas (KL 118 §).",
            "utvärderingsförfarande", ny[-1].ar, ny[-1].location))

    per_ar: dict[int, dict[str, bool | None]] = {}
    for n in ny[-2:]:
        per_ar[n.ar] = {k.id: k.evaluate(n) for k in ver.kriterier}
    key_all: bool | None
    if not consecutive:
        key_all = None
        findings.append(Finding(
            "V9", Severity.INFO,
            "Nyckeltalskriterierna och kriteriet om koncernens ackumulerade underskott per "
            "invånare kan inte bedömas: de kräver två på varandra följande bokslut. Ange "
            "nyckeltalen för de två senaste boksluten i tblKris.",
            "utvärderingsförfarande", ny[-1].ar if ny else None, None))
    else:
        values = [v for yr in per_ar.values() for v in yr.values()]
        if any(v is False for v in values):
            key_all = False
        elif any(v is None for v in values):
            key_all = None
            missing = sorted(
                f"{k} ({yr})" for yr, res in per_ar.items() for k, v in res.items() if v is None
            )
            findings.append(Finding(
                "V9", Severity.INFO,
                f"Nyckeltalskriterierna ({ver.rubrik}) kan inte bedömas helt; uppgifter saknas "
                f"för: {', '.join(missing)}. Komplettera nyckeltalen.",
                "utvärderingsförfarande", ny[-1].ar, ny[-1].location))
        else:
            key_all = True
            texts = "; ".join(k.text for k in ver.kriterier)
            findings.append(Finding(
                "V9", Severity.WARNING,
                f"Alla fyra gränsvärden ({ver.rubrik}) har uppfyllts två år i följd "
                f"({ny[-2].ar} och {ny[-1].ar}): {texts}. Utvärderingsförfarande kan inledas "
                "(KL 118 §). Förbered en plan för att stärka ekonomin.",
                "utvärderingsförfarande", ny[-1].ar, ny[-1].location))
    return V9Resultat(ver.id, overdue, deadline, per_inv, key_all, per_ar, tuple(findings))


def check_v9_utvarderingsforfarande(
    nyckeltal: Sequence[KrisNyckeltal],
    *,
    historik: Sequence[Bokslutsbalans] = (),
    version: str = "2019",
    samkommun: bool = False,
    kolumnhistorik: Sequence[Bokslutsbalans] = (),
) -> list[Finding]:
    """V9 findings only (see :func:`bedom_v9`). An unknown ``version`` is an error finding."""
    try:
        return list(
            bedom_v9(nyckeltal, historik=historik, version=version, samkommun=samkommun,
                     kolumnhistorik=kolumnhistorik).findings
        )
    except ValueError as exc:
        return [Finding("V9", Severity.ERROR, f"{exc}.", "utvärderingsförfarande", None, None)]


def check_v11_investeringsreserv(
    budgetar: int,
    forandring_av_reserver: Decimal,
    ackumulerat_prognos: Decimal | None,
    *,
    location: Location | None = None,
) -> list[Finding]:
    """V11, seed §6.4.3.5: "investeringsreserveringar kan budgeteras till högst beloppet av
    uppskattade överskottsposter i balansräkningen för det år budgeten upprättas".

    ``forandring_av_reserver``: the budget year's förändring av reserver (``RR.BD.RES``, published
    signs: an increase is negative, "Varausten lisäys (-)"). ``ackumulerat_prognos``: the estimated
    surplus items in the balance sheet at the end of the year the budget is prepared (the current
    year, ``budgetar - 1``): earlier years' surplus plus the current year's forecast överskott (the
    same figure V8 uses); ``None`` when it is not known.

    Interpretations (docs/DECISIONS.md): the budgeted *net* increase of reserves is the investment
    reserve being formed (municipalities' voluntary reserves are investment reserves; the catalogue
    has one net line); a net release (≥ 0) is never limited. Error when the increase is larger
    than the surplus items (all of it when they are zero or negative); warning when an increase is
    budgeted but the surplus items are not known.
    """
    okning = -forandring_av_reserver
    if okning <= 0:
        return []
    if ackumulerat_prognos is None:
        return [Finding(
            "V11", Severity.WARNING,
            f"Budgetåret {budgetar} budgeterar en ökning av reserver på {_sv(okning)}. En "
            "investeringsreserv får budgeteras högst till de uppskattade överskottsposterna i "
            f"balansräkningen för {budgetar - 1} (JHS 199 §6.4.3.5), men de är inte kända: fyll i "
            f"Överskott från tidigare räkenskapsperioder (BAL.TIDOVERSK) för {budgetar - 1} under "
            "Centrala poster.", "RR.BD.RES", budgetar, location)]
    grans = max(ackumulerat_prognos, ZERO)
    if okning <= grans:
        return []
    return [Finding(
        "V11", Severity.ERROR,
        f"Ökningen av reserver {_sv(okning)} budgetåret {budgetar} överskrider de uppskattade "
        f"överskottsposterna i balansräkningen för {budgetar - 1} ({_sv(ackumulerat_prognos)}) med "
        f"{_sv(okning - grans)}; en investeringsreserv får budgeteras högst till dem (JHS 199 "
        f"§6.4.3.5). Minska ökningen till högst {_sv(grans)} eller besluta den i bokslutet.",
        "RR.BD.RES", budgetar, location)]
