"""The budget outturn statement (tablå över budgetens utfall) and the sammandrag, spec §8 V5, §9.

Per binding item: original budget, changes, budget after changes, outturn, deviation, utilisation %,
overrun right (överskridningsrätt) and a status that applies the binding principle:

* brutto items are judged per side: an anslag is exceeded when the outturn cost is larger than
  the appropriation; a beräknad inkomst is missed when the outturn income is smaller;
* netto items are judged on the net figure only: a net appropriation is exceeded (or a net revenue
  estimate missed) whether the cause is higher gross expenses or lower gross income; a net figure
  within budget is "inom ramen" even if gross expenses went over.

Signs: published signs throughout (income +, costs −). **Deviation = outturn − budget after
changes**, so a *negative* deviation is always unfavourable (more cost or less income than
budgeted) and a positive one favourable, for anslag, beräknad inkomst and netto items alike.

Mid-year: pass ``prognos`` (the full-year forecast) with the outturn to date; the status is then
judged on the forecast, the utilisation % shows outturn to date against the full-year budget.

Findings from the statement carry rule **U1** (an item needs a decision or an explanation).

The sammandrag (seed §7.1.2.3) lists the binding appropriations and revenue estimates of all
parts, enterprises excluded, other balance units as one net item, and the financing of the gap
through liquidity; rule **V5** requires the two totals to be equal (see :func:`sammandrag`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from engine.binding import (
    AFFARSVERK_POSTER,
    BindingItem,
    BudgetChange,
    ItemKey,
    Kind,
    Organ,
    Part,
    Principle,
    TaskType,
    change_log,
    key_name,
    sum_changes,
)
from engine.findings import Finding, Location, Severity
from engine.money import ZERO, excel_round
from engine.money import format_sv as _sv
from engine.signs import item_sign_finding

__all__ = [
    "OutturnInput",
    "OutturnRow",
    "PartTotal",
    "Sammandrag",
    "SammandragPost",
    "SammandragRow",
    "Status",
    "Tabla",
    "bindning_status",
    "outturn_row",
    "sammandrag",
    "status_text",
    "tabla",
    "utnyttjandegrad",
]


class Status(StrEnum):
    """Outcome of one binding item (codes; :func:`status_text` gives the Swedish sentence)."""

    INOM = "inom"
    INOM_OVERSKRIDNINGSRATT = "inom_overskridningsratt"
    ANSLAG_OVERSKRIDS = "anslag_overskrids"
    INKOMST_UNDERSKRIDS = "inkomst_underskrids"
    NETTOANSLAG_OVERSKRIDS = "nettoanslag_overskrids"
    NETTOINKOMST_UNDERSKRIDS = "nettoinkomst_underskrids"
    #: a binding item of the budget with no outturn typed: shown with its budget (the tablå
    #: keeps the budget's whole layout, seed §7.5), judged on nothing
    UTFALL_SAKNAS = "utfall_saknas"
    #: figures of mixed signs (V10): shown with its budget, judged on nothing; its part's
    #: outturn totals are left blank and the run is incomplete (a refusal, never a gap)
    FEL_TECKEN = "fel_tecken"

    @property
    def needs_decision(self) -> bool:
        return self not in (Status.INOM, Status.INOM_OVERSKRIDNINGSRATT, Status.UTFALL_SAKNAS,
                            Status.FEL_TECKEN)


def status_text(status: Status, towards: Organ = Organ.FULLMAKTIGE) -> str:
    """The Swedish status text shown in the statement and returned by ``KB_BINDNING_STATUS``.

    Seed §6.4.3: "Underskridande av beräknade inkomster och överskridande av anslag ska behandlas
    i fullmäktige som en budgetändring" (also §7.1.2.1, §7.4): every overrun and shortfall names
    the organ and the budget change, for anslag and beräknad inkomst alike.
    """
    beslut = f"kräver budgetändring i {towards.bestamd}"
    return {
        Status.INOM: "inom ramen",
        Status.INOM_OVERSKRIDNINGSRATT: "överskrids inom beviljad överskridningsrätt",
        Status.ANSLAG_OVERSKRIDS: f"anslaget överskrids – {beslut}",
        Status.INKOMST_UNDERSKRIDS: f"beräknad inkomst underskrids – {beslut}",
        Status.NETTOANSLAG_OVERSKRIDS: f"nettoanslaget överskrids – {beslut}",
        Status.NETTOINKOMST_UNDERSKRIDS: f"beräknad nettoinkomst underskrids – {beslut}",
        Status.UTFALL_SAKNAS: "utfall saknas – kan inte bedömas",
        Status.FEL_TECKEN: "fel tecken – kan inte bedömas (se Kontroll)",
    }[status]


def bindning_status(
    principle: Principle,
    kind: Kind,
    budget: Decimal,
    bedomt: Decimal,
    overskridningsratt: Decimal | None = None,
) -> Status:
    """The status of one item: ``budget`` after changes vs the judged figure ``bedomt`` (outturn,
    or the full-year forecast mid-year), both in published signs.

    Brutto items must be ``anslag`` or ``beräknad inkomst`` (V2); a netto item may be given as
    ``netto`` (the sign of the budget says net appropriation or net revenue estimate), ``anslag``
    (nettoanslag) or ``beräknad inkomst`` (beräknad nettoinkomst). ``overskridningsratt`` is the
    amount (≥ 0) by which the council allowed the appropriation to be exceeded; it does not apply
    to a brutto revenue estimate.

    Raises ``ValueError`` for a brutto item of kind netto (callers turn it into a finding).
    """
    avvikelse = bedomt - budget
    if principle is Principle.BRUTTO:
        if kind is Kind.NETTO:
            raise ValueError("en bruttopost ska vara antingen anslag eller beräknad inkomst")
        if avvikelse >= 0:
            return Status.INOM
        if kind is Kind.BERAKNAD_INKOMST:
            return Status.INKOMST_UNDERSKRIDS
        bad = Status.ANSLAG_OVERSKRIDS
    else:
        if avvikelse >= 0:
            return Status.INOM
        if kind is Kind.ANSLAG:
            net_appropriation = True
        elif kind is Kind.BERAKNAD_INKOMST:
            net_appropriation = False
        else:
            net_appropriation = budget <= 0
        bad = (
            Status.NETTOANSLAG_OVERSKRIDS if net_appropriation else Status.NETTOINKOMST_UNDERSKRIDS
        )
    if overskridningsratt is not None and overskridningsratt > 0 and -avvikelse <= overskridningsratt:
        return Status.INOM_OVERSKRIDNINGSRATT
    return bad


def utnyttjandegrad(budget: Decimal, utfall: Decimal) -> Decimal | None:
    """Utilisation % = 100 × utfall / budget, one decimal (Excel rounding).

    Not defined (``None``) when the budget is zero or the two have opposite signs (a cost
    item with a net income outturn has no meaningful "share used").
    """
    if budget == 0 or (utfall != 0 and (utfall > 0) != (budget > 0)):
        return None
    share = _HUNDRED * utfall / budget
    try:  # excel_round(share, 1) in one step: Decimal's ROUND_HALF_UP is half away from zero
        return share.quantize(_TENTH, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # (a share of 10^27 % or more) the general rule says why
        return excel_round(share, 1)


_HUNDRED = Decimal(100)
_TENTH = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class OutturnInput:
    """What the outturn statement needs for one binding item and year (published signs).

    For netto items the gross sides (``*_inkomster`` ≥ 0, ``*_utgifter`` ≤ 0) are optional; when
    given they explain *why* the net figure moved ("inkomsterna underskrids" etc.).
    ``utfall`` is the outturn to date when ``prognos`` (full-year forecast) is given; ``None``
    with no ``prognos`` either: no outturn typed for the item (a row with its budget, status
    :attr:`Status.UTFALL_SAKNAS`).
    """

    item: BindingItem
    year: int
    ursprunglig: Decimal
    utfall: Decimal | None
    andringar: tuple[BudgetChange, ...] = ()
    prognos: Decimal | None = None
    overskridningsratt: Decimal | None = None
    budget_inkomster: Decimal | None = None
    budget_utgifter: Decimal | None = None
    utfall_inkomster: Decimal | None = None
    utfall_utgifter: Decimal | None = None
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class OutturnRow:
    """One row of the tablå över budgetens utfall."""

    item: BindingItem
    year: int
    ursprunglig: Decimal
    andringar: Decimal
    budget_efter: Decimal
    utfall: Decimal | None  # None: no outturn typed (UTFALL_SAKNAS) or refused (FEL_TECKEN)
    prognos: Decimal | None
    avvikelse: Decimal | None  # utfall − budget_efter
    prognosavvikelse: Decimal | None  # prognos − budget_efter
    utnyttjandegrad: Decimal | None  # % of budget_efter used (to date)
    overskridningsratt: Decimal | None
    status: Status
    forklaring: str  # e.g. "bruttoutgifterna överskrids men nettot håller"
    location: Location | None = None

    @property
    def bedomd_pa(self) -> str:
        return "prognos" if self.prognos is not None else "utfall"

    @property
    def bedomd_avvikelse(self) -> Decimal | None:
        """The deviation the row is judged on (:attr:`bedomd_pa`): the forecast's when there
        is a forecast, else the outturn to date's; None when no outturn was typed."""
        if self.prognos is not None and self.prognosavvikelse is not None:
            return self.prognosavvikelse
        return self.avvikelse

    @property
    def status_text(self) -> str:
        text = status_text(self.status, self.item.towards)
        if self.prognos is not None and self.status is not Status.INOM:
            text = f"enligt prognos: {text}"
        return text


def _gross_explanation(inp: OutturnInput, status: Status, net_dev: Decimal) -> str:
    """Why a netto figure moved, from the gross sides (when given)."""
    if inp.item.principle is not Principle.NETTO:
        return ""
    parts = []
    if inp.budget_inkomster is not None and inp.utfall_inkomster is not None:
        d = inp.utfall_inkomster - inp.budget_inkomster
        if d < 0:
            parts.append(f"bruttoinkomsterna underskrids med {_sv(-d)}")
    if inp.budget_utgifter is not None and inp.utfall_utgifter is not None:
        d = inp.utfall_utgifter - inp.budget_utgifter
        if d < 0:
            parts.append(f"bruttoutgifterna överskrids med {_sv(-d)}")
    if not parts:
        return ""
    text = " och ".join(parts)
    if status is Status.INOM:
        return f"{text}, men nettot håller sig inom ramen"
    return text


def _unjudged_row(inp: OutturnInput, andringar: Decimal, budget_efter: Decimal,
                  status: Status) -> OutturnRow:
    """A row with the item's budget and changes, nothing judged: no outturn typed
    (:attr:`Status.UTFALL_SAKNAS`) or figures of mixed signs (:attr:`Status.FEL_TECKEN`)."""
    return OutturnRow(
        item=inp.item, year=inp.year, ursprunglig=inp.ursprunglig, andringar=andringar,
        budget_efter=budget_efter, utfall=None, prognos=None, avvikelse=None,
        prognosavvikelse=None, utnyttjandegrad=None, overskridningsratt=inp.overskridningsratt,
        status=status, forklaring="", location=inp.location or inp.item.location,
    )


def _sign_refusal(inp: OutturnInput, own: Sequence[BudgetChange],
                  figures: list[tuple[str, Decimal | None]]) -> Finding | None:
    """V10 when the item's figures have signs that contradict its kind or each other, located
    at the budget change that turned the budget's sign when one did (the first whose running
    total contradicts the original budget), else at the outturn row (or the item)."""
    item = inp.item
    wrong = item_sign_finding(item.kind.value, figures, location=inp.location or item.location,
                              year=inp.year, object=item.name)
    if wrong is None or item_sign_finding(item.kind.value, [("budget", inp.ursprunglig)]):
        return wrong
    running = inp.ursprunglig
    for ch in own:
        running += ch.belopp
        if ch.location is not None and item_sign_finding(
                item.kind.value, [("budget", inp.ursprunglig),
                                  ("budget efter ändringar", running)]) is not None:
            return item_sign_finding(
                item.kind.value, [("budget", inp.ursprunglig),
                                  (f"budget efter ändringen {ch.paragraf}", running)],
                location=ch.location, year=inp.year, object=item.name)
    return wrong


def outturn_row(inp: OutturnInput) -> tuple[OutturnRow | None, list[Finding]]:
    """Build one statement row; findings (U1) for items that need a decision or explanation."""
    item = inp.item
    findings: list[Finding] = []
    own: list[BudgetChange] = []
    for ch in inp.andringar:
        if ch.item == item.key and ch.year == inp.year:
            own.append(ch)
        else:
            findings.append(Finding(
                "B1", Severity.ERROR,
                f"Budgetändringen {ch.paragraf} ({ch.datum.isoformat()}) gäller en annan post "
                f"eller ett annat år ({ch.year}) och räknas inte in här. Koppla den till rätt "
                "bindande post.",
                item.name, inp.year, ch.location or inp.location or item.location))
    andringar = sum_changes(own)
    budget_efter = inp.ursprunglig + andringar
    if inp.utfall is None and inp.prognos is None:
        wrong = _sign_refusal(inp, own, [("budget", inp.ursprunglig),
                                         ("budget efter ändringar", budget_efter)])
        if wrong is not None:
            findings.append(wrong)
            return _unjudged_row(inp, andringar, budget_efter, Status.FEL_TECKEN), findings
        return _unjudged_row(inp, andringar, budget_efter, Status.UTFALL_SAKNAS), findings
    if inp.utfall is None:
        raise ValueError("an outturn row with a forecast needs the outturn to date (0 if none)")
    bedomt = inp.prognos if inp.prognos is not None else inp.utfall
    wrong = _sign_refusal(inp, own, [
        ("budget", inp.ursprunglig), ("budget efter ändringar", budget_efter),
        ("utfall", inp.utfall), ("prognos", inp.prognos)])
    if wrong is not None:  # one convention (V10): no status from figures of mixed signs;
        # the row stays with its budget (its part's budget totals hold it), judged on nothing
        findings.append(wrong)
        return _unjudged_row(inp, andringar, budget_efter, Status.FEL_TECKEN), findings
    try:
        status = bindning_status(
            item.principle, item.kind, budget_efter, bedomt, inp.overskridningsratt
        )
    except ValueError as exc:
        findings.append(Finding(
            "V2", Severity.ERROR,
            f"Posten kan inte bedömas: {exc}. Dela bruttoposten i anslag och beräknad inkomst.",
            item.name, inp.year, inp.location or item.location))
        return None, findings
    avvikelse = inp.utfall - budget_efter
    prognosavvikelse = inp.prognos - budget_efter if inp.prognos is not None else None
    judged_dev = prognosavvikelse if prognosavvikelse is not None else avvikelse
    row = OutturnRow(
        item=item,
        year=inp.year,
        ursprunglig=inp.ursprunglig,
        andringar=andringar,
        budget_efter=budget_efter,
        utfall=inp.utfall,
        prognos=inp.prognos,
        avvikelse=avvikelse,
        prognosavvikelse=prognosavvikelse,
        utnyttjandegrad=utnyttjandegrad(budget_efter, inp.utfall),
        overskridningsratt=inp.overskridningsratt,
        status=status,
        forklaring=_gross_explanation(inp, status, judged_dev),
        location=inp.location or item.location,
    )
    if status.needs_decision:
        basis = "prognosen" if inp.prognos is not None else "utfallet"
        cause = f" ({row.forklaring})" if row.forklaring else ""
        organ = item.towards.bestamd
        todo = (  # seed §6.4.3, §7.4; short: a message is a few sentences (issue 15)
            f"Föreslå {organ} en budgetändring och visa finansieringen (JHS 199 §6.4.3, §7.4); "
            "annars förklaras avvikelsen i verksamhetsberättelsen."
        )
        sev = Severity.ERROR
        head = status_text(status, item.towards)
        findings.append(Finding(
            "U1", sev,
            f"{head[0].upper()}{head[1:]}: {basis} avviker med {_sv(judged_dev)} från budgeten "
            f"efter ändringar {_sv(budget_efter)}{cause}. {todo}",
            item.name, inp.year, row.location))
    elif status is Status.INOM_OVERSKRIDNINGSRATT:
        findings.append(Finding(
            "U1", Severity.INFO,
            f"Posten överskrids med {_sv(-judged_dev)}, inom den beviljade överskridningsrätten "
            f"{_sv(inp.overskridningsratt)}. Redovisa användningen i verksamhetsberättelsen.",
            item.name, inp.year, row.location))
    return row, findings


@dataclass(frozen=True, slots=True)
class PartTotal:
    """Column sums of one part (published signs, so anslag and inkomster net off)."""

    part: Part
    ursprunglig: Decimal
    andringar: Decimal
    budget_efter: Decimal
    utfall: Decimal | None  # only when every row of the part has an outturn (never a part sum)
    prognos: Decimal | None  # only when every row of the part has a forecast
    avvikelse: Decimal | None  # as utfall
    antal_som_kraver_beslut: int
    antal_utan_utfall: int = 0
    antal_fel_tecken: int = 0  # rows refused for mixed signs: no outturn totals either


@dataclass(frozen=True, slots=True)
class Tabla:
    """The tablå över budgetens utfall: rows in input (= original budget layout) order."""

    rows: tuple[OutturnRow, ...]
    parts: tuple[PartTotal, ...]
    findings: tuple[Finding, ...]
    #: the V10 findings (also in ``findings``) of the rows refused for mixed signs
    #: (:attr:`Status.FEL_TECKEN`): what makes a run that shows them incomplete
    refusals: tuple[Finding, ...] = ()

    def rows_for(self, part: Part) -> list[OutturnRow]:
        return [r for r in self.rows if r.item.part is part]

    def needs_decision(self) -> list[OutturnRow]:
        return [r for r in self.rows if r.status.needs_decision]


def tabla(inputs: Iterable[OutturnInput], changes: Sequence[BudgetChange] = ()) -> Tabla:
    """The outturn statement for any number of items; one bad item never hides the others.

    ``changes`` is an optional whole change log: each input row gets the changes of its item and
    year from it (in decision order), in addition to its own ``andringar``. A change in the log
    that matches no row is a B1 warning.
    """
    rows: list[OutturnRow] = []
    findings: list[Finding] = []
    refusals: list[Finding] = []
    used: set[int] = set()
    # the log's changes per (item, year), in the log's order: what each row takes of it (one
    # pass over the log instead of one per row: issue 17)
    by_item: dict[tuple[ItemKey, int], list[BudgetChange]] = {}
    for c in changes:
        by_item.setdefault((c.item, c.year), []).append(c)
    for inp in inputs:
        if changes:
            mine = by_item.get((inp.item.key, inp.year), [])
            used.update(id(c) for c in mine)
            if mine or type(inp.andringar) is not tuple:  # (most rows: no change, as they are)
                inp = replace(inp, andringar=tuple(inp.andringar) + tuple(change_log(mine)))
        row, f = outturn_row(inp)
        findings.extend(f)
        if row is not None:
            rows.append(row)
            if row.status is Status.FEL_TECKEN:
                refusals.extend(x for x in f if x.rule == "V10")
    for c in changes:
        if id(c) not in used:
            findings.append(Finding(
                "B1", Severity.WARNING,
                f"Budgetändringen {c.paragraf} ({c.datum.isoformat()}) hör inte till någon rad i "
                "tablån. Kontrollera post och år, eller lägg till raden.",
                key_name(c.item), c.year, c.location))
    totals = []
    for part in Part:
        pr = [r for r in rows if r.item.part is part]
        if not pr:
            continue
        has_prognos = all(r.prognos is not None for r in pr)
        missing = sum(1 for r in pr if r.utfall is None)  # without outturn, or refused
        refused = sum(1 for r in pr if r.status is Status.FEL_TECKEN)
        totals.append(PartTotal(
            part=part,
            ursprunglig=sum((r.ursprunglig for r in pr), ZERO),
            andringar=sum((r.andringar for r in pr), ZERO),
            budget_efter=sum((r.budget_efter for r in pr), ZERO),
            utfall=sum((r.utfall for r in pr if r.utfall is not None), ZERO)
            if not missing else None,
            prognos=(
                sum((r.prognos for r in pr if r.prognos is not None), ZERO)
                if has_prognos else None
            ),
            avvikelse=sum((r.avvikelse for r in pr if r.avvikelse is not None), ZERO)
            if not missing else None,
            antal_som_kraver_beslut=sum(1 for r in pr if r.status.needs_decision),
            antal_utan_utfall=missing - refused,
            antal_fel_tecken=refused,
        ))
    return Tabla(tuple(rows), tuple(totals), tuple(findings), tuple(refusals))


# ---------------------------------------------------------------------------------------------
# Sammandrag av anslag och beräknade inkomster (V5, seed §7.1.2.3)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SammandragPost:
    """One binding item's figure for the sammandrag (published signs).

    ``task_type`` is the owning task's type: enterprise items are excluded unless ``detalj`` is
    one of the council-binding posts; an other balance unit must come as one netto item (its
    årsbidrag). For the resultaträkningsdel's financial items give the amounts budgeted *directly*
    there, without the balance units' financial items (they are inside their årsbidrag).
    """

    item: BindingItem
    budget: Decimal
    andringar: Decimal = ZERO
    utfall: Decimal | None = None
    task_type: TaskType | None = None
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class SammandragRow:
    """A row of the sammandrag: the amount in the anslag column or the inkomst column."""

    part: Part
    name: str
    principle: Principle | None
    anslag: Decimal  # ≥ 0 magnitude (0 if the row is an income)
    inkomst: Decimal  # ≥ 0 magnitude (0 if the row is an appropriation)
    andringar: Decimal  # published signs
    budget_efter: Decimal  # published signs
    utfall: Decimal | None
    avvikelse: Decimal | None  # utfall − budget_efter


@dataclass(frozen=True, slots=True)
class Sammandrag:
    rows: tuple[SammandragRow, ...]
    anslag_per_del: dict[Part, Decimal]
    inkomster_per_del: dict[Part, Decimal]
    summa_anslag: Decimal
    summa_inkomster: Decimal
    findings: tuple[Finding, ...]

    @property
    def skillnad(self) -> Decimal:
        """Σ beräknade inkomster − Σ anslag; zero when the sammandrag balances."""
        return self.summa_inkomster - self.summa_anslag

    @property
    def i_balans(self) -> bool:
        return self.skillnad == 0


def _columns(item: BindingItem, amount: Decimal) -> tuple[Decimal, Decimal]:
    """(anslag, inkomst) magnitudes. Brutto rows go by their kind, netto rows by their sign."""
    if item.principle is Principle.BRUTTO and item.kind is Kind.ANSLAG:
        return (-amount, ZERO)
    if item.principle is Principle.BRUTTO and item.kind is Kind.BERAKNAD_INKOMST:
        return (ZERO, amount)
    return (-amount, ZERO) if amount < 0 else (ZERO, amount)


LIKVIDITET_RAD = "Minskning (ökning) av likvida medel – finansiering av skillnaden"


def sammandrag(
    posts: Sequence[SammandragPost],
    inverkan_pa_likviditeten: Decimal,
    *,
    utfall_inverkan: Decimal | None = None,
    location: Location | None = None,
) -> Sammandrag:
    """V5: the sammandrag of binding appropriations and revenue estimates, and its balance check.

    ``posts`` are the binding items of all four parts with their budget-year figures.
    ``inverkan_pa_likviditeten`` is the finansieringsdel's bottom line for the budget year: a
    negative effect means liquidity finances the gap, so it enters as −inverkan in the financing
    part (a weakening of liquidity is a source of funds, shown in the inkomst column).

    Rules applied (seed §7.1.2.3): enterprise posts are left out (except their council-binding
    posts, which are the municipality's own items); an other balance unit must be one netto item;
    then Σ anslag must equal Σ beräknade inkomster to the cent. Findings: V5 (imbalance, a balance
    unit with several items) and V6 (an enterprise item that was left out).

    Interpretation: depreciation and bokslutsdispositioner are not cash items; leave them out
    of ``posts`` (they would otherwise unbalance the summary by their amount). A warning is given
    when a post sits on RR.AVS or an RR.BD.* line.
    """
    findings: list[Finding] = []
    rows: list[SammandragRow] = []
    balance_units: dict[str, int] = {}
    for p in posts:
        item = p.item
        loc = p.location or item.location
        if p.task_type is TaskType.AFFARSVERK and item.detalj not in AFFARSVERK_POSTER:
            findings.append(Finding(
                "V6", Severity.WARNING,
                "Posten hör till ett affärsverk och ingår inte i sammandraget (affärsverk ligger "
                "utanför kommunens budget). Ta bort den ur kommunens bindande poster, eller ange "
                "vilken av fullmäktiges bindande poster för affärsverket den är.",
                item.name, None, loc))
            continue
        if p.task_type is TaskType.ANNAN_BALANSENHET and item.part is Part.DRIFT:
            balance_units[item.object] = balance_units.get(item.object, 0) + 1
            if item.principle is not Principle.NETTO:
                findings.append(Finding(
                    "V5", Severity.ERROR,
                    "En annan balansenhet ska i sammandraget vara en enda bindande nettopost "
                    "(dess årsbidrag), inte en bruttopost. Ändra bindningen till netto.",
                    item.name, None, loc))
        if item.part is Part.RESULTAT and (
            item.object == "RR.AVS" or item.object.startswith("RR.BD.")
        ):
            findings.append(Finding(
                "V5", Severity.WARNING,
                f"{item.object} påverkar inte likviditeten och bör inte ingå i sammandraget; "
                "den rubbar annars balansen med sitt belopp.",
                item.name, None, loc))
        budget_efter = p.budget + p.andringar
        anslag, inkomst = _columns(item, budget_efter)
        rows.append(SammandragRow(
            part=item.part,
            name=item.name,
            principle=item.principle,
            anslag=anslag,
            inkomst=inkomst,
            andringar=p.andringar,
            budget_efter=budget_efter,
            utfall=p.utfall,
            avvikelse=(p.utfall - budget_efter) if p.utfall is not None else None,
        ))
    for unit, n in balance_units.items():
        if n > 1:
            findings.append(Finding(
                "V5", Severity.ERROR,
                f"Den andra balansenheten {unit} har {n} poster i driftsekonomidelen; i "
                "sammandraget ska den vara en enda bindande nettopost (årsbidraget).",
                unit, None, None))
    liq = -inverkan_pa_likviditeten
    liq_utfall = -utfall_inverkan if utfall_inverkan is not None else None
    rows.append(SammandragRow(
        part=Part.FINANSIERING,
        name=LIKVIDITET_RAD,
        principle=None,
        anslag=-liq if liq < 0 else ZERO,
        inkomst=liq if liq > 0 else ZERO,
        andringar=ZERO,
        budget_efter=liq,
        utfall=liq_utfall,
        avvikelse=(liq_utfall - liq) if liq_utfall is not None else None,
    ))
    anslag_per_del = {part: ZERO for part in Part}
    ink_per_del = {part: ZERO for part in Part}
    for r in rows:
        anslag_per_del[r.part] += r.anslag
        ink_per_del[r.part] += r.inkomst
    s_anslag = sum(anslag_per_del.values(), ZERO)
    s_ink = sum(ink_per_del.values(), ZERO)
    if s_anslag != s_ink:
        diff = s_ink - s_anslag
        findings.append(Finding(
            "V5", Severity.ERROR,
            f"Sammandraget balanserar inte: beräknade inkomster {_sv(s_ink)} och anslag {_sv(s_anslag)} "
            f"skiljer sig med {_sv(diff)}. Kontrollera att alla bindande poster finns med, att "
            "affärsverk inte ingår, att andra balansenheter är med endast med sitt årsbidrag "
            "(deras finansiella poster inte dubbelt i resultaträkningsdelen) och att inverkan på "
            "likviditeten är finansieringsdelens slutrad.",
            "sammandrag", None, location))
    return Sammandrag(
        rows=tuple(rows),
        anslag_per_del=anslag_per_del,
        inkomster_per_del=ink_per_del,
        summa_anslag=s_anslag,
        summa_inkomster=s_ink,
        findings=tuple(findings),
    )
