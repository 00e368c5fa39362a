"""From the workbooks' inputs to the engine and on to the blocks of cells the owned sheets get.

:func:`compute_outputs` is shared by the batch refresh and the Excel buttons: it runs the engine
on the inputs read from the workbooks and lays out every output sheet as rows of plain values
(``str``, ``Decimal``, ``int``, ``None``). Where the rows go, and how they are written (file
patch or live Excel), is the caller's business.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache

from engine.binding import (
    BindingItem,
    BudgetChange,
    Kind,
    Organ,
    Part,
    Principle,
    check_changes,
    detalj_label,
    valid_changes,
)
from engine.budget import (
    INTERNA_POSTER,
    Berakning,
    Budget,
    Finansiering,
    InverkanRad,
    Projekt,
    Uppgift,
    affarsverk_inverkan,
    berakna,
)
from engine.catalogue import catalogue
from engine.findings import Finding, Location, Severity, excerpt
from engine.input_hygiene import parse_amount, parse_year
from engine.money import CENT, ZERO, format_sv, quantize
from engine.outturn import OutturnRow
from engine.resultatbalansering import DISPOSITION, Balansering, Resultatenhet, balansera
from engine.svenska import antal
from engine.uppfoljning import (
    BALANSENHET_RADER,
    NETTO_RADER,
    PostUtfall,
    Uppfoljning,
    bindande_poster,
    post_index,
    resolve_post,
    uppfoljning,
)
from workbook_templates.pipeline.loader import KommunInput, NamndInput
from workbook_templates.schema import OUTPUT_ANCHOR, T

__all__ = ["CONSOLIDATED", "CommitteeFindings", "Outputs", "Saknas", "at_own_place", "belongs_to",
           "compute_outputs", "consolidated_budget", "findings_rows"]

Rows = list[list[object]]

#: The consolidated owned sheets of the municipality workbook: complete, or headed by the
#: "Ofullständig" row (the Översikt sheet shows that row too; see docs/DECISIONS.md).
CONSOLIDATED = ("Resultaträkning", "Finansieringsdel", "Investeringsdel", "Nyckeltal",
                "Affärsverk", "Budgetutfall", "Sammandrag", "Resultatbalansering")
INCOMPLETE = "Ofullständig"
_BANNER_ITEMS = 8  # reasons spelled out in the banner; the rest are counted (all in Kontroll)


@dataclass(frozen=True)
class Saknas:
    """One reason the consolidated figures are incomplete: what is missing and why."""

    namnd: str | None  # the committee (None: the municipality workbook itself, or unknown)
    workbook: str | None
    sheet: str | None
    cell: str | None
    orsak: str

    def as_dict(self) -> dict[str, str | None]:
        return {"namnd": self.namnd, "workbook": self.workbook, "sheet": self.sheet,
                "cell": self.cell, "orsak": self.orsak}

    def __str__(self) -> str:
        where = self.workbook or ""
        if self.sheet:
            where += f" {self.sheet}" + (f"!{self.cell}" if self.cell else "")
        where = where.strip()
        if self.namnd:
            return f"{self.namnd} ({where}): {self.orsak}" if where else f"{self.namnd}: {self.orsak}"
        return f"{where}: {self.orsak}" if where else self.orsak

    @classmethod
    def of(cls, namnd: str | None, f: Finding) -> Saknas:
        loc = f.location
        return cls(namnd, loc.workbook if loc else None, loc.sheet if loc else None,
                   loc.cell if loc else None, f.message)


def _reasons(saknas: Sequence[Saknas], kontroll: str) -> str:
    """The first :data:`_BANNER_ITEMS` reasons, the rest counted (all on ``kontroll``)."""
    shown = "; ".join(str(s).rstrip(". ") for s in saknas[:_BANNER_ITEMS])
    more = len(saknas) - _BANNER_ITEMS
    return shown + (f"; och {more} till (se {kontroll})" if more > 0 else "")


def banner(saknas: Sequence[Saknas]) -> str:
    """The first row of every consolidated sheet of an incomplete run."""
    return (f"{INCOMPLETE} – siffrorna nedan är preliminära och får inte användas som "
            f"sammanställning: {_reasons(saknas, 'fliken Kontroll')}. Rätta och uppdatera igen.")


def namnd_banner(saknas: Sequence[Saknas], alone: bool = False) -> str:
    """The first row of a committee's Resultat sheet when the municipality workbook's own input
    is incomplete (:func:`in_kommun`): the committee's follow-up (its budget after the
    municipality's budget changes, its overskridningsrätt) and its resultatbalansering (the
    municipality's rules and adjustments) are computed with that input. ``alone``: a committee
    workbook's button computed it without the municipality workbook (``saknas`` says why)."""
    if alone:
        return (f"{INCOMPLETE} – nämnden beräknades ensam, utan kommunens arbetsbok "
                f"({_reasons(saknas, 'fliken Kontroll')}): budget efter ändringar, avvikelserna "
                "och resultatbalanseringen nedan saknar kommunens budgetändringar, regler och "
                "justeringar och är preliminära. Ange kommunens arbetsbok under Inställningar "
                "(Kommunarbetsbok) och beräkna igen.")
    return (f"{INCOMPLETE} – budgetutfallet och resultatbalanseringen nedan räknas med "
            "kommunens arbetsbok, där något inte kunde läsas, och är preliminära: "
            f"{_reasons(saknas, 'fliken Kontroll i kommunens arbetsbok')}. Rätta kommunens "
            "arbetsbok och uppdatera igen.")


def in_kommun(k: KommunInput, saknas: Sequence[Saknas]) -> list[Saknas]:
    """The reasons of ``saknas`` that are in the municipality workbook's own input (or of no
    known place, taken as such): its budget changes, overskridningsrätt, rules and adjustments
    of the resultatbalansering and outturn rows are what every committee's follow-up and
    resultatbalansering are computed with, not only the consolidated figures."""
    return [s for s in saknas
            if s.workbook == k.path.name or s.namnd is None and not s.workbook]


@dataclass
class Outputs:
    kommun_sheets: dict[str, Rows] = field(default_factory=dict)
    namnd_sheets: dict[str, dict[str, Rows]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    berakning: Berakning | None = None
    balansering: Balansering | None = None
    inverkan: list[InverkanRad] = field(default_factory=list)
    uppfoljning: Uppfoljning | None = None
    saknas: list[Saknas] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.saknas


def consolidated_budget(k: KommunInput, namnder: Sequence[NamndInput],
                        findings: list[Finding] | None = None,
                        committees_missing: bool = False) -> Budget:
    """The engine's Budget from the municipality input and the committee inputs.
    ``findings``: receives the findings of :func:`_project_tasks`."""
    uppgifter: list[Uppgift] = [u for n in namnder for u in n.uppgifter]
    return Budget(
        kommun=k.kommun,
        years=tuple(str(c.ar) for c in k.kolumner),
        uppgifter=tuple(uppgifter),
        projekt=_project_tasks(k, uppgifter, [] if findings is None else findings,
                               committees_missing),
        central=k.central,
        invanare=tuple(c.invanare for c in k.kolumner),
        samkommun=k.samkommun,
    )


def _project_tasks(k: KommunInput, uppgifter: Sequence[Uppgift], findings: list[Finding],
                   committees_missing: bool = False) -> tuple[Projekt, ...]:
    """The projects of ``k`` with each Uppgift (the task, an enterprise's say, that owns the
    project) spelled as the committees' tblUppgifter spell it. An Uppgift that names no task is
    a V1 error at the cell: whether the project is an enterprise's, and stays out of the
    municipality's sums (V6), hangs on that name (found 2026-12: "vattenverket" or a typo put
    an enterprise's investment into the municipality's finansieringsdel without a word). When
    a committee's workbook is missing or was not read whole (``committees_missing``: the run is
    marked incomplete already), the task may be that committee's: a warning, not a second root
    cause (which would hold back the municipality's own checks)."""
    tasks = {u.namn.casefold(): u for u in uppgifter}
    out = []
    for p in k.projekt:
        same = tasks.get(p.namn.casefold())
        if same is not None:  # one name, two objects: outturn, changes and findings mixed
            findings.append(Finding(
                "V1", Severity.ERROR,
                f"Projektet {p.namn!r} har samma namn som uppgiften {same.namn!r} "
                f"({same.namnd}); utfall, budgetändringar och fynd som anger namnet kan inte "
                "skiljas åt (projektets utfallsrad räknades som uppgiftens). Ge projektet ett "
                "eget namn.", object=p.namn, location=k.projekt_plats.get(p.namn)))
        if p.uppgift is not None and (p.uppgift.casefold() not in tasks
                                      or tasks[p.uppgift.casefold()].namn != p.uppgift):
            owner = tasks.get(p.uppgift.casefold())
            task = owner.namn if owner is not None else None
            if task is None:
                findings.append(Finding(
                    "V1", Severity.WARNING if committees_missing else Severity.ERROR,
                    f"Projektet {p.namn!r} anger uppgiften {p.uppgift!r}, som inte finns i någon "
                    "nämnds arbetsbok (tblUppgifter), så det går inte att veta om projektet är "
                    "ett affärsverks (som inte ingår i kommunens investeringar) eller inte. "
                    "Skriv uppgiftens namn som i nämndens arbetsbok, eller töm Uppgift. (Finns "
                    "uppgiften i en nämnds arbetsbok som saknas eller inte kunde läsas, rätta "
                    "först den.)", object=p.namn,
                    location=k.projekt_uppgift.get(p.namn, k.projekt_plats.get(p.namn))))
            else:
                p = replace(p, uppgift=task)
        out.append(p)
    return tuple(out)


def _wording(sprak: str) -> str:
    return "fi_budget" if sprak == "fi" else "sv_budget"


def _years(values: Sequence[object], empty: Collection[int]) -> list[object]:
    """A row's year values, blank in the year columns without any input (``empty``:
    :func:`_years_without_input`)."""
    return [None if i in empty else v for i, v in enumerate(values)] if empty else [*values]


def _statement_rows(b: Berakning, part: str, cols: Sequence[str], sprak: str,
                    empty: Collection[int] = ()) -> Rows:
    rows: Rows = [["Post", *cols]]
    for row in b.statement.rows(part, _wording(sprak)):
        rows.append(["  " * row.depth + row.label, *_years(row.values, empty)])
    return rows


def _investment_rows(b: Berakning, cols: Sequence[str], sprak: str,
                     empty: Collection[int] = ()) -> Rows:
    cat = catalogue()
    w = _wording(sprak)
    rows: Rows = [["Projekt", "Nämnd", "Princip", "Kostnadskalkyl", "Post", *cols]]
    affarsverk = b.budget.affarsverk()
    for p in b.budget.projekt:
        if p.uppgift in affarsverk:
            continue
        st = b.investeringar.projekt[p.namn]
        for code in ("IN.UTG", "IN.FA", "IN.FORS", "IN.NETTO"):
            if code in st.has_data:
                rows.append([p.namn, p.namnd, "netto" if p.netto else "brutto",
                             p.kostnadskalkyl if code == "IN.UTG" else None,
                             cat[code].label_in(w), *_years(st[code], empty)])
    rows.append([])
    tot = b.investeringar.totals
    for code in ("IN.UTG", "IN.FA", "IN.FORS", "IN.NETTO"):
        rows.append(["Totalt", None, None, None, cat[code].label_in(w),
                     *_years(tot[code], empty)])
    return rows


def _ratio_rows(b: Berakning, cols: Sequence[str], empty: Collection[int] = ()) -> Rows:
    rows: Rows = [["Nyckeltal", *cols]]
    for name in b.nyckeltal[0]:
        cells: list[object] = []
        for per_year in b.nyckeltal:
            r = per_year[name]
            # two decimals, half away from zero as Excel's ROUND (quantize's default context
            # rounded half to even: 12.345 % showed 12.34); the one rounding of the ratio
            # (engine.ratios keeps the quotient unrounded: 45,00499…9 was rounded to ten
            # decimals first and showed 45,01)
            cells.append(quantize(r.value, CENT) if r.defined else r.reason)
        rows.append([name, *_years(cells, empty)])
    acc = b.ackumulerat_kassaflode
    rows.append(["Ackumulerat kassaflöde för verksamhet och investeringar",
                 *_years([r.value if r.defined else r.reason for r in acc], empty)])
    return rows


def _inverkan_rows(inv: Sequence[InverkanRad], cols: Sequence[str], year: int,
                   empty: Collection[int] = ()) -> Rows:
    """The Affärsverk sheet: the budget year's comparison, then the impact per year; a year
    column without any input is blank, as on the statements (found 2026-12: zeros)."""
    rows: Rows = [[f"Affärsverkens inverkan, {cols[year]}", "Kommunen utan affärsverk",
                   "Affärsverken sammanlagt", "Elimineringar", "Kommunen inkl. affärsverk",
                   "Inverkan"]]
    for r in inv:
        rows.append([r.label, *(None if year in empty else v for v in (
            r.utan[year], r.affarsverk[year], r.elimineringar[year], r.med[year],
            r.inverkan[year]))])
    rows.append([])
    rows.append(["Inverkan per år", *cols])
    for r in inv:
        rows.append([r.label, *_years(r.inverkan, empty)])
    return rows


def _rb_rows(rb: Balansering) -> Rows:
    """The Resultatbalansering sheet: per unit and per committee's disposition, then per
    committee (together the R7 report to the executive board: the unit and disposition rows sum
    back to their committee's row, which the Översikt sheet checks with native formulas), the R1
    budget additions and the R8 timetable. Results are shown exactly (Resultat + Justering −
    Undantaget = Justerat resultat on every row); carried amounts at the rounding unit."""
    rows: Rows = [["Resultatbalansering" + (f" bokslut {rb.ar}" if rb.ar else "")]]
    rows.append(["Nämnd", "Resultatenhet", "Resultat", "Justering", "Undantaget",
                 "Justerat resultat", "Överföring", "Handlingsplan krävs", "Anmärkning"])
    for e in rb.enheter:
        rows.append([e.namnd, e.namn + (" (central)" if e.central else ""), e.resultat,
                     e.justering, e.undantaget, e.justerat_resultat, e.overforing,
                     "ja" if e.handlingsplan_kravs else "nej", e.anmarkning])
    for n in rb.namnder:
        note = "rest efter enheterna (R4)"
        if n.namnd_justering:
            note += "; justering på nämndnivå (R2)"
        rows.append([n.namnd, DISPOSITION, 0, n.namnd_justering, 0, n.namnd_justering,
                     n.disposition, None, note])
    rows.append([])
    rows.append(["Nämnd", "Måluppfyllelse", "Justerat resultat", "Överföring", "KS andel",
                 DISPOSITION])
    for n in rb.namnder:
        goal = {True: "ja", False: "nej", None: "ej angiven"}[n.maluppfyllelse]
        rows.append([n.namnd, goal, n.justerat_resultat, n.overforing, n.ks_andel,
                     n.disposition])
    rows.append([])
    # amounts stay in the amount columns (C–G); the date is a date in H (date format in the
    # template), the year a number in I (no number format)
    rows.append(["Budgettillägg (R1)", "Resultatenhet", "Belopp", None, None, None, None, None,
                 "År"])
    for t in rb.budgettillagg:
        rows.append([t.namnd, t.resultatenhet, t.belopp, None, None, None, None, None, t.ar])
    rows.append([])
    rows.append(["Tidplan (R8)", None, None, None, None, None, None, "Datum", "Status"])
    for s in rb.tidplan:
        rows.append([s.namn, None, None, None, None, None, None, s.datum, s.status])
    return rows


def _posts_of(text: str, items: Sequence[BindingItem], enterprises: Collection[str]) -> str:
    """What to write instead of ``text`` in a budget change: the items of the object it names
    (the example was the text refused itself: "t.ex. 'Äldreomsorg / anslag'" for a task bound
    netto), or why an enterprise's object has none, or the form (found 2026-12)."""
    name = text.split("/")[0].strip()
    key = name.casefold()
    if key in enterprises:
        return (f"{name!r} hör till ett affärsverk, som ligger utanför kommunens budget: dess "
                "budget är bindande gentemot direktionen, som beslutar ändringarna. Ange bara "
                "fullmäktiges poster för affärsverket (under Centrala poster).")
    own = [i for i in items if i.object.casefold() == key]
    if own:
        shown = ", ".join(f"'{i.object} / {_slag(i)}'" for i in own)
        return f"Objektet {name!r} har {'posten' if len(own) == 1 else 'posterna'} {shown}."
    return ("Skriv 'Objekt / slag' (t.ex. 'Äldreomsorg / anslag') med uppgiftens eller "
            "projektets namn eller radens kod.")


def _slag(item: BindingItem) -> str:
    """The kind of ``item`` as a budget change names it ("anslag", "netto", a line)."""
    if item.detalj in ("RR.BD.AVSD", "RR.BD.RES"):
        return detalj_label(item.detalj)
    return item.kind.value


def _changes(k: KommunInput, items: Sequence[BindingItem], findings: list[Finding],
             derived: list[Finding], enterprises: Collection[str] = ()) -> list[BudgetChange]:
    """The budget-change table as engine changes; an unknown item or a bad cell is a finding.
    ``enterprises``: the enterprises' tasks and projects (casefolded), which have no item."""
    out: list[BudgetChange] = []
    index = post_index(items)
    years = [c.ar for c in k.kolumner]
    for row in k.andringar:
        post = row["Bindande post"]
        item = resolve_post(str(post.value or ""), items, index=index)
        if item is None:
            findings.append(Finding(
                "B1", Severity.ERROR,
                f"Budgetändringen avser {post.value!r}, som inte är en bindande post. "
                f"{_posts_of(str(post.value or ''), items, enterprises)}",
                location=post.location))
            continue
        found: list[Finding] = []
        amount = parse_amount(row["Belopp"].value, location=row["Belopp"].location)
        year = parse_year(row["År"].value, location=row["År"].location)
        datum = row["Datum"].value
        if isinstance(amount, Finding) or amount is None:
            found.append(amount if isinstance(amount, Finding) else Finding(
                "B1", Severity.ERROR, "Budgetändringen saknar belopp.",
                location=row["Belopp"].location))
        if isinstance(year, Finding) or year is None:
            found.append(year if isinstance(year, Finding) else Finding(
                "B1", Severity.ERROR, "Budgetändringen saknar år.", location=row["År"].location))
        elif years and year not in years:  # (2030 in a plan to 2028: counted nowhere, 2026-12)
            found.append(Finding(
                "B1", Severity.ERROR,
                f"Budgetändringen gäller år {year}, som inte finns bland budgetens årskolumner "
                f"({years[0]}–{years[-1]}), så den räknas ingenstans. Rätta året.",
                location=row["År"].location))
        if isinstance(datum, datetime):
            datum = datum.date()
        if datum is None or isinstance(datum, str) and not datum.strip():
            found.append(Finding("B1", Severity.ERROR,
                                 "Budgetändringen saknar beslutsdatum (ÅÅÅÅ-MM-DD).",
                                 location=row["Datum"].location))
        elif not isinstance(datum, date):  # e.g. "12.6.2025" typed as text
            found.append(Finding("B1", Severity.ERROR,
                                 f"Beslutsdatumet {excerpt(datum)} är inget datum. Skriv det som "
                                 "ÅÅÅÅ-MM-DD (t.ex. 2025-06-12) i en cell med datumformat.",
                                 location=row["Datum"].location))
        beslutat_av = row["Beslutat av"]
        if beslutat_av.is_blank:
            # counted as the council's (the organ that may change any item), but said: a
            # committee's own decision left blank would otherwise pass B1 as the council's
            findings.append(Finding(
                "B1", Severity.WARNING,
                "Budgetändringen saknar beslutsorgan (Beslutat av); den räknas som "
                "fullmäktiges beslut. Välj fullmäktige, kommunstyrelsen, nämnd eller direktion "
                "i listan.", location=beslutat_av.location))
        try:
            organ = Organ.parse("fullmäktige" if beslutat_av.is_blank else beslutat_av.value)
        except ValueError as err:
            found.append(Finding("B1", Severity.ERROR, f"Beslutat av: {err}",
                                 location=row["Beslutat av"].location))
            organ = Organ.FULLMAKTIGE
        if found:
            findings.extend(found)
            continue
        out.append(BudgetChange(item.key, int(year), datum, str(row["Paragraf"].value or ""),
                                amount, str(row["Orsak"].value or ""), organ,
                                post.location))
    derived.extend(check_changes(out, items))
    return out


def _counted_outturn(k: KommunInput, namnder: Sequence[NamndInput],
                     findings: list[Finding]) -> list[PostUtfall]:
    """The outturn rows that count: the municipality workbook's (central lines and projects)
    and the committees' that name one of their own tasks. A task's outturn is typed in its
    committee's workbook only, where a row of its own counts once, so a row that names a task
    of another committee, or a committee's task in the municipality workbook, is a V1 error
    at the row and does not count. Found by audits (2026-12): such a row was added to that
    task's outturn without a word (rows copied when a task moved between committees, or into
    kommun.xlsx: a forecast counted twice, "underskrids" turned "inom ramen"). A row with only
    an överskridningsrätt for a task in the municipality workbook is no outturn row (the
    loader keeps its right only); a row naming no task at all is the follow-up's own V1
    (``uppfoljning._outturn_without_item``)."""
    owner = {u.namn.casefold(): n for n in namnder for u in n.uppgifter}
    out: list[PostUtfall] = []

    def refused(r: PostUtfall, workbook: str, message: str) -> None:
        findings.append(Finding(
            "V1", Severity.ERROR, message, object=r.objekt,
            location=r.location if r.location is None or r.location.workbook
            else replace(r.location, workbook=workbook)))

    for r in k.utfall:
        n = owner.get(r.objekt.casefold())
        if n is None:
            out.append(r)
            continue
        refused(r, k.path.name,
                f"Utfallet avser uppgiften {r.objekt!r}, som hör till {n.namnd} ({n.path.name}); "
                "en uppgifts utfall och prognos skrivs i nämndens arbetsbok (fliken Utfall), så "
                "raden räknas inte (annars kunde samma utfall räknas två gånger). Flytta beloppen "
                "dit; på kommunens flik Utfall anges för en uppgift bara dess "
                "överskridningsrätt.")
    for n in namnder:
        for r in n.utfall:
            other = owner.get(r.objekt.casefold())
            if other is None or other is n:
                out.append(r)
                continue
            refused(r, n.path.name,
                    f"Utfallet avser uppgiften {r.objekt!r}, som hör till {other.namnd} "
                    f"({other.path.name}), inte till {n.namnd}; det räknas inte. Ange utfallet i "
                    f"{other.namnd}s arbetsbok, eller rätta namnet.")
    return out


def _tabla_rows(uf: Uppfoljning, year: int | None) -> Rows:
    if uf.tabla is None:
        return [["Inget utfall för innevarande år i underlaget."]]
    rows: Rows = [[f"Tablå över budgetens utfall {year}"],
                  ["Del", "Bindande post", "Princip", "Ursprunglig budget", "Ändringar",
                   "Budget efter ändringar", "Utfall hittills", "Prognos helår",
                   "Avvikelse (prognos)", "Utnyttjat %", "Status", "Förklaring",
                   "Överskridningsrätt"]]
    # the overrun right the council granted, where it did (spec §9), last: a column added
    # after the others moves none of them (a user's formula on Status or Förklaring stays)
    for r in uf.tabla.rows:  # _value_: an enum's value without the descriptor call
        rows.append([r.item.part._value_, _item_name(r.item), r.item.principle._value_,
                     r.ursprunglig, r.andringar, r.budget_efter, r.utfall, r.prognos,
                     r.bedomd_avvikelse,
                     r.utnyttjandegrad, r.status_text, r.forklaring, _right_shown(r)])
    rows.append([])
    # the totals in the same columns as the rows above (amount format D–I); the count of items
    # that need a council decision as text in the Status column
    rows.append(["Summa per del", None, None, "Ursprunglig budget", "Ändringar",
                 "Budget efter ändringar", "Utfall hittills", "Prognos helår",
                 "Avvikelse (prognos)", None, "Kräver beslut"])
    for t in uf.tabla.parts:
        # the sum of the deviation column above (the forecast's where the row has one): the
        # outturn to date's deviation summed here read as a part far below its budget mid-year.
        # A part with items without outturn has no outturn or deviation total (a sum of some
        # rows would read as the part's): blank, and the count says why
        # (a row refused for mixed signs likewise: its figures are in no total of the outturn)
        devs = [r.bedomd_avvikelse for r in uf.tabla.rows if r.item.part is t.part]
        gaps = t.antal_utan_utfall + t.antal_fel_tecken
        shown = None if gaps else sum(devs, Decimal(0))
        status = antal(t.antal_som_kraver_beslut, "post")
        if t.antal_utan_utfall:
            status += f"; {t.antal_utan_utfall} utan utfall"
        if t.antal_fel_tecken:
            status += f"; {t.antal_fel_tecken} med fel tecken"
        if gaps:
            status += " (summan av utfallet saknas)"
        rows.append([t.part.value, None, None, t.ursprunglig, t.andringar, t.budget_efter,
                     t.utfall, t.prognos, shown, None, status])
    return rows


def _right_shown(r: OutturnRow) -> Decimal | None:
    """The överskridningsrätt of a tablå row where it applies: an appropriation's, a net
    item's; never a gross revenue estimate's (the right is the object's, typed once for it)."""
    if not r.overskridningsratt or (r.item.principle is Principle.BRUTTO
                                    and r.item.kind is Kind.BERAKNAD_INKOMST):
        return None
    return r.overskridningsratt


def _item_name(item: BindingItem) -> str:
    # _value_: an enum's value without the descriptor call (once per follow-up row)
    label = item.label if item.object_type._value_ == "rad" and item.label else item.object
    if item.detalj == "RR.RES":  # an other balance unit, bound on its result (§6.3.3.7)
        return f"{label} – resultat ({item.kind._value_})"
    if item.detalj and item.detalj != "RR.AB":
        return f"{label} ({detalj_label(item.detalj)})"
    return f"{label} – {item.kind._value_}"


def _skillnad_cell(k: KommunInput, uf: Uppfoljning, year: int, marked: bool) -> Location:
    """The cell of the Sammandrag sheet that shows the difference V5 finds: the Skillnad row's
    amount, as :func:`_sammandrag_rows` lays it out from the output anchor (one row lower under
    the "Ofullständig" mark)."""
    rows = _sammandrag_rows(uf, year)
    first = int(OUTPUT_ANCHOR[1:]) + (1 if marked else 0)
    at = next(j for j, r in enumerate(rows) if r[:1] == [SKILLNAD])
    return Location(workbook=k.path.name, sheet="Sammandrag", cell=f"E{first + at}")


SKILLNAD = "Skillnad (ska vara 0)"


def _sammandrag_rows(uf: Uppfoljning, year: int) -> Rows:
    s = uf.sammandrag
    if s is None:
        return [["Inget budgetår i underlaget."]]
    rows: Rows = [[f"Sammandrag av anslag och beräknade inkomster {year}"],
                  ["Del", "Post", "Princip", "Anslag", "Beräknad inkomst"]]
    for r in s.rows:  # _value_: an enum's value without the descriptor call (many rows)
        rows.append([r.part._value_, r.name, r.principle._value_ if r.principle else None,
                     r.anslag or None, r.inkomst or None])
    rows.append([])
    rows.append(["Summa", None, None, s.summa_anslag, s.summa_inkomster])
    rows.append([SKILLNAD, None, None, None, s.skillnad])
    return rows


def findings_rows(findings: Sequence[Finding]) -> Rows:
    """The Kontroll sheet: the counts, the header, then every finding, errors first, warnings,
    then info, each group in the order given. The same rows as :func:`_findings_rows_general`
    (a stable sort by severity), grouped by identity instead of hashing every severity."""
    groups: tuple[list[Finding], list[Finding], list[Finding]] = ([], [], [])
    error, warning, info = groups
    for f in findings:
        s = f.severity
        if s is Severity.ERROR:
            error.append(f)
        elif s is Severity.WARNING:
            warning.append(f)
        elif s is Severity.INFO:
            info.append(f)
        else:  # not a Severity member: the general path (and its error)
            return _findings_rows_general(findings)
    rows: Rows = [[f"{antal(len(error), 'fel')}, {antal(len(warning), 'varning')}, "
                   f"{antal(len(info), 'info')}"],
                  list(_KONTROLL_HEADER)]
    for severity, group in zip(_SEVERITIES, groups, strict=True):
        svenska = severity.svenska
        for f in group:
            loc = f.location
            rows.append([f.rule, svenska, ", ".join(f.workbooks) or None,
                         loc.sheet if loc else None, loc.cell if loc else None, f.object, f.year,
                         f.message])
    return rows


_KONTROLL_HEADER = ("Regel", "Allvar", "Arbetsbok", "Flik", "Cell", "Objekt", "År", "Meddelande")
_SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)


def _findings_rows_general(findings: Sequence[Finding]) -> Rows:
    """:func:`findings_rows` by a sort on the severity (the reference for its fast path)."""
    from engine.findings import count_by_severity

    c = count_by_severity(findings)
    rows: Rows = [[f"{antal(c['error'], 'fel')}, {antal(c['warning'], 'varning')}, "
                   f"{antal(c['info'], 'info')}"],
                  list(_KONTROLL_HEADER)]
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    for f in sorted(findings, key=lambda f: order[f.severity]):
        loc = f.location
        rows.append([f.rule, f.severity.svenska, ", ".join(f.workbooks) or None,
                     loc.sheet if loc else None, loc.cell if loc else None, f.object, f.year,
                     f.message])
    return rows


class _PerCommittee:
    """The engine results each committee's Resultat sheet shows, grouped once for all committees
    (instead of scanning every unit, disposition and follow-up row once per committee). Each
    group keeps the engine's order."""

    def __init__(self, rb: Balansering | None, uf: Uppfoljning | None) -> None:
        self.enheter: dict[str, list] = {}
        self.namnder: dict[str, list] = {}
        self.tabla: dict[str, list[tuple[int, object]]] = {}
        if rb is not None:
            for e in rb.enheter:
                self.enheter.setdefault(e.namnd.casefold(), []).append(e)
            for nr in rb.namnder:
                self.namnder.setdefault(nr.namnd.casefold(), []).append(nr)
        for i, r in enumerate(uf.tabla.rows if uf and uf.tabla else ()):
            self.tabla.setdefault(r.item.object, []).append((i, r))

    def tabla_rows(self, tasks: set[str]) -> list:
        """The follow-up rows whose object is one of ``tasks``, in the engine's order."""
        found = [x for t in tasks for x in self.tabla.get(t, ())]
        found.sort(key=lambda x: x[0])
        return [r for _i, r in found]


def _namnd_rows(n: NamndInput, b: Berakning, rb: Balansering | None, cols: Sequence[str],
                uf: Uppfoljning | None = None, index: _PerCommittee | None = None,
                empty: Collection[int] = ()) -> Rows:
    """A committee's Resultat sheet; its task blocks blank in the year columns ``empty`` (the
    committee has no amount there: :func:`_committee_years_without_input`)."""
    idx = index if index is not None else _PerCommittee(rb, uf)
    rows: Rows = [[f"{n.namnd}: driftsekonomidel per uppgift", *cols]]
    principer = n.principer
    for u in n.uppgifter:
        st = b.uppgifter.get(u.namn)
        if st is None:
            continue
        rows.append([f"{u.namn} ({u.finansiering.value})"])
        values = st.values
        for label, codes in _uppgift_layout(st.has_data, _netto_rader(u, principer)):
            if len(codes) == 1:
                rows.append([label, *_years(values[codes[0]], empty)])
            else:  # the net binding item with its internal items, summed as post_belopp does
                rows.append([label, *_years([sum(year, ZERO) for year in
                                             zip(*(values[c] for c in codes), strict=True)],
                                            empty)])
    own = idx.tabla_rows({u.namn for u in n.uppgifter})
    if own:
        rows.append([])
        rows.append(["Budgetutfall", "Budget efter ändringar", "Utfall hittills", "Prognos helår",
                     "Avvikelse (prognos)", "Status"])
        for r in own:
            rows.append([_item_name(r.item), r.budget_efter, r.utfall, r.prognos,
                         r.bedomd_avvikelse,
                         r.status_text])
    if rb is not None:
        rows.append([])
        rows.append(["Resultatbalansering", "Resultat", "Justerat resultat", "Överföring",
                     "Handlingsplan krävs"])
        key = n.namnd.casefold()
        for e in idx.enheter.get(key, ()):
            rows.append([e.namn, e.resultat, e.justerat_resultat, e.overforing,
                         "ja" if e.handlingsplan_kravs else "nej"])
        for nr in idx.namnder.get(key, ()):
            rows.append([DISPOSITION, None, nr.namnd_justering or None, nr.disposition,
                         None])
            rows.append(["Nämnden totalt", nr.resultat, nr.justerat_resultat, nr.overforing,
                         None])
            rows.append(["Kommunstyrelsens andel (budgeteras inte)", None, None, nr.ks_andel,
                         None])
    return rows


# -- a task's block on a committee's Resultat sheet (docs/DECISIONS.md "Workbooks") ------------
#
# Every line the task has data on that enters its result is shown, in catalogue order, and the
# statement's subtotals below them, so that each subtotal is the sum of the rows above it back
# to the previous one. The internal items (DR.INT.*) are not part of the result: they follow
# the bottom line, labelled so; where the task's net binding item includes them (an other
# balance unit, a net unit, a task bound netto) a last row shows that item's figure, the one
# the Budgetutfall rows show.

#: The statement's subtotals, from verksamhetsbidrag down (each is the previous one plus the
#: lines of its own section).
_DELSUMMOR = ("RR.VB", "RR.AB", "RR.RES", "RR.OVERSKOTT")
#: Groups shown as their lines (ränteinkomster, ränteutgifter …: each its own binding kind
#: centrally), or as the group when only the group has data.
_UPPDELADE = ("RR.FIN", "RR.EXTRA")
_INTERNA = ("DR.INT.INK", "DR.INT.UTG")
_INTE_I_RESULTATET = " (ingår inte i resultatet)"
#: The net binding item's lines (engine.uppfoljning) -> the label of its row with the internal
#: items.
_INKLUSIVE = {BALANSENHET_RADER["RR.RES"]: "Resultat inklusive interna poster",
              NETTO_RADER: "Verksamhetsbidrag inklusive interna poster"}


def _netto_rader(u: Uppgift, principer: dict[str, tuple[str, str]]) -> tuple[str, ...] | None:
    """The lines of the task's net binding item when it has one that includes the internal
    items (as :func:`engine.uppfoljning.bindande_poster` decides), else None (a gross pair, an
    enterprise's posts)."""
    f = u.finansiering
    if f is Finansiering.BALANSENHET:
        return BALANSENHET_RADER["RR.RES"]
    if f is Finansiering.NETTOENHET or (
            f is Finansiering.BUDGETFINANSIERAD
            and principer.get(u.namn, ("", ""))[0] == Principle.NETTO.value):
        return NETTO_RADER
    return None


@cache
def _sektioner() -> tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]:
    """Per subtotal of :data:`_DELSUMMOR`: its own section's lines in catalogue order, each as
    the codes that may stand for it (a group of :data:`_UPPDELADE`: its lines, then itself)."""
    cat = catalogue()
    out = []
    for total in _DELSUMMOR:
        members = []
        for code in cat.children(total):
            if code in _DELSUMMOR:
                continue
            members.append((*cat.children(code), code) if code in _UPPDELADE else (code,))
        out.append((total, tuple(members)))
    return tuple(out)


@lru_cache(maxsize=4096)
def _uppgift_layout(has: frozenset[str], netto: tuple[str, ...] | None
                    ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The rows of a task's block as (label, the codes whose values it shows or sums), from the
    lines the task has data on (few distinct sets: computed once per set)."""
    cat = catalogue()
    rows: list[tuple[str, tuple[str, ...]]] = []
    interna = [c for c in _INTERNA if c in has]
    inklusive = netto is not None and bool(interna)
    previous = None
    for total, members in _sektioner():
        shown: list[str] = []
        for codes in members:
            *lines, line = codes  # a broken-down group: its lines with data, else itself
            with_data = [c for c in lines if c in has]
            shown.extend(with_data or ([line] if line in has else []))
        rows.extend(("  " + cat[c].label, (c,)) for c in shown)
        if total == "RR.VB":
            show = True  # always, as before (zeros for a task without operating lines)
        elif total == "RR.RES":  # as before; the base of the result item's row below
            show = total in has or (inklusive and netto == BALANSENHET_RADER["RR.RES"])
        else:  # årsbidrag, överskott: when they differ from the subtotal above them, or a
            # total given without any line above it
            show = bool(shown) or (total in has and previous not in has)
        if show:
            rows.append(("  " + cat[total].label, (total,)))
        previous = total
    rows.extend(("  " + cat[c].label + _INTE_I_RESULTATET, (c,)) for c in interna)
    if inklusive and netto is not None:
        rows.append(("  " + _INKLUSIVE[netto], netto))
    return tuple(rows)


def belongs_to(f: Finding, n: NamndInput, prefixes: tuple[str, ...] | None = None,
               projekt: Sequence[Projekt] = ()) -> bool:
    """Whether a finding concerns this committee's workbook, committee, tasks or (of
    ``projekt``, the municipality's investment projects) the projects its column Nämnd names.
    ``prefixes`` (from :func:`object_prefixes`) saves recomputing them for many findings."""
    if n.path.name in f.workbooks:
        return True
    obj = (f.object or "").casefold()
    pre = prefixes or object_prefixes(n, projekt)
    # "drift Äldreomsorg (anslag, brutto)": a binding item's object starts with its part
    return bool(obj) and (_starts_with_name(obj, pre)
                          or _starts_with_name(obj.partition(" ")[2], pre))


def _starts_with_name(text: str, names: tuple[str, ...]) -> bool:
    """``text`` is one of ``names`` or starts with one that ends there (:func:`_name_ends`):
    "nämnd 10: …" does not start with the name "nämnd 1", "kultur- och fritidsnämnden" not
    with "kultur"."""
    for name in names:
        if text.startswith(name) and _name_ends(text, len(name)):
            return True
    return False


def _name_ends(text: str, at: int) -> bool:
    """Whether a name that starts ``text`` and is ``at`` characters long ends there: at the end
    of the text or before something other than a letter or digit, but not before a hyphen
    followed by more letters (after spaces or not): "Kultur- och fritidsnämnden" and
    "Kultur-Fritid" are longer names than "Kultur"; "Kultur - rest" and "Kultur: rest" are
    "Kultur"'s."""
    if at == len(text):
        return True
    ch = text[at]
    if ch.isalnum():
        return False
    if ch == "-":
        rest = text[at + 1:].lstrip()
        return not (rest and rest[0].isalnum())
    return True


def object_prefixes(n: NamndInput, projekt: Sequence[Projekt] = ()) -> tuple[str, ...]:
    """The committee's and its tasks' names, and those of the projects of ``projekt`` whose
    column Nämnd names the committee (case-insensitively), case-folded: finding objects start
    with one."""
    namnd = n.namnd.casefold()
    return (namnd, *(u.namn.casefold() for u in n.uppgifter),
            *(p.namn.casefold() for p in projekt if p.namnd.casefold() == namnd))


def at_own_place(f: Finding, workbook: str) -> Finding:
    """The finding as ``workbook``'s Kontroll sheet shows it: at its place in that workbook
    when it spans several (a V5 sum over tasks in several committees' workbooks names the first
    row of each), that workbook first; else as it is. Never another workbook's cell beside
    this workbook's name."""
    loc = f.location
    if loc is None or loc.workbook == workbook:
        return f
    for i, p in enumerate(f.also):
        if p.workbook == workbook:
            return replace(f, location=p, also=(loc, *f.also[:i], *f.also[i + 1:]))
    return f


class CommitteeFindings:
    """Which of ``findings`` :func:`belongs_to` each committee: ``of(n)`` is
    ``[f for f in findings if belongs_to(f, n, projekt=projekt)]``. For the committees given
    here the answer is indexed once: each finding is looked up by its workbooks and by the
    prefixes of its object that are a committee's, a task's or a project's name, instead of
    being matched against every committee (``tests/test_outputs_layout.py`` holds the two
    equal). Any other committee is matched the general way. ``kontroll(n)`` is what the
    committee's Kontroll sheet shows: the same findings, each at its place in the committee's
    workbook (:func:`at_own_place`)."""

    def __init__(self, findings: Sequence[Finding], namnder: Sequence[NamndInput] = (),
                 projekt: Sequence[Projekt] = ()) -> None:
        self._findings = list(findings)
        self._projekt = projekt
        self._index = {id(n): i for i, n in enumerate(namnder)}
        by_workbook: dict[str, list[int]] = {}
        by_prefix: dict[str, list[int]] = {}
        projects: dict[str, list[Projekt]] = {}  # committee (case-folded) -> its projects
        for p in projekt:
            projects.setdefault(p.namnd.casefold(), []).append(p)
        for i, n in enumerate(namnder):
            by_workbook.setdefault(n.path.name, []).append(i)
            for p in object_prefixes(n, projects.get(n.namnd.casefold(), ())):
                by_prefix.setdefault(p, []).append(i)
        lengths = sorted({len(p) for p in by_prefix})
        own: list[list[Finding]] = [[] for _ in namnder]
        for f in self._findings:
            hit: set[int] = set()
            for name in f.workbooks:
                hit.update(by_workbook.get(name, ()))
            obj = (f.object or "").casefold()
            if obj:  # a name starts the object or what follows its part
                for text in (obj, obj.partition(" ")[2]):
                    size = len(text)
                    for length in lengths:
                        if length > size:
                            break
                        if not _name_ends(text, length):
                            continue  # a longer name: not this one (_starts_with_name)
                        found = by_prefix.get(text[:length])
                        if found:
                            hit.update(found)
            for i in hit:  # each committee's list gets the findings in the order given
                own[i].append(f)
        self._own = own

    def of(self, n: NamndInput) -> list[Finding]:
        i = self._index.get(id(n))
        if i is None:
            pre = object_prefixes(n, self._projekt)
            return [f for f in self._findings if belongs_to(f, n, pre)]
        return list(self._own[i])

    def kontroll(self, n: NamndInput) -> list[Finding]:
        """The committee's findings as its Kontroll sheet shows them (at its own places)."""
        name = n.path.name
        return [at_own_place(f, name) for f in self.of(n)]


def compute_outputs(k: KommunInput, namnder: Sequence[NamndInput],
                    saknas: Sequence[Saknas] = (), alone: bool = False) -> Outputs:
    """Run the engine on the inputs and lay out every owned sheet.

    ``saknas``: what the caller could not read (missing, unreadable or duplicated committee
    workbooks). With the input errors of ``k`` and ``namnder`` and the committees of the
    municipality's list that have no workbook, they make the run incomplete: every consolidated
    sheet then starts with the "Ofullständig" row, and the checks computed from the consolidated
    figures are not reported as facts (their root causes are). ``alone``: a committee workbook
    computed without the municipality workbook (its button; ``saknas`` names why): its Resultat
    is marked as :func:`namnd_banner` says, its checks held back as for any incomplete input of
    the municipality workbook."""
    out = Outputs()
    out.saknas = _incomplete(k, namnder, saknas)
    for gone in out.saknas:
        if gone.workbook is None and gone.namnd:  # a committee of the list without a workbook
            out.findings.append(Finding(
                "IN", Severity.ERROR,
                f"Nämnden {gone.namnd!r} finns i kommunens nämndlista (tblNamnder) men ingen "
                "arbetsbok för den hittades, så den saknas i sammanställningen. Lägg nämndens "
                "arbetsbok i mappen (med nämndens namn under Inställningar), eller ta bort "
                "nämnden ur listan.", object=gone.namnd,
                location=k.namnder_plats.get(gone.namnd.casefold(),
                                             Location(workbook=k.path.name,
                                                      sheet="Resultatbalansering in"))))
    cols = [c.namn for c in k.kolumner]
    if not cols:
        return out
    input_findings: list[Finding] = []
    budget = consolidated_budget(k, namnder, input_findings,
                                 committees_missing=any(s.namnd for s in out.saknas))
    b = berakna(budget)
    out.berakning = b
    derived: list[Finding] = list(b.findings)
    budget_year = _budget_year_index(k)
    out.inverkan = affarsverk_inverkan(budget, berakning=b)

    years = [c.ar for c in k.kolumner]
    aktuellt = k.bokslutsar + 1 if k.bokslutsar is not None else None
    principer = {u: p for n in namnder for u, p in n.principer.items()}
    poster = bindande_poster(b, principer)
    items = poster[1]
    ent = budget.affarsverk()
    changes = _changes(k, items, input_findings, derived,
                       {n.casefold() for n in ent} | {p.namn.casefold() for p in budget.projekt
                                                      if p.uppgift in ent})
    # a budget change that cannot be read is an input error of the municipality workbook: its
    # amount is missing from "budget efter ändringar", so the run is incomplete (as for any
    # other input error), never a tablå that looks complete without it
    out.saknas.extend(Saknas.of(None, f) for f in input_findings
                      if f.severity is Severity.ERROR)
    valid = valid_changes(changes, items)  # a change with a B1 error changes nothing
    derived.extend(_changes_over_cost_estimates(budget, valid))
    uf = uppfoljning(
        b, principer=principer, aktuellt_ar=aktuellt, budgetar=years[budget_year],
        utfall=_counted_outturn(k, namnder, derived),
        andringar=valid,
        overskridningsratt=k.overskridningsratt,
        overskridningsratt_plats=k.overskridningsratt_plats, historik=k.historik,
        atgarder=k.atgarder, kris=k.kris, v9_version=k.v9_version, poster=poster)
    out.uppfoljning = uf
    # an item refused for mixed signs (V10) is in the tablå with its budget only: the run is
    # incomplete, as for an input error, and the refusal is its root cause (never held back)
    refused = {id(f) for f in uf.tabla.refusals} if uf.tabla is not None else set()
    derived.extend(f for f in uf.findings if id(f) not in refused)
    if refused:
        locate = _Locator(k, namnder)
        for f in uf.tabla.refusals:
            f = locate(f)
            input_findings.append(f)
            out.saknas.append(Saknas.of(next((n.namnd for n in namnder
                                                if n.path.name in f.workbooks), None), f))

    # a committee's year column without any amount while other input has that year: the
    # consolidated year lacks the committee (it was summed without it, unmarked, found 2026-12):
    # the run is incomplete, as for a committee missing from the folder; its Resultat leaves
    # the column blank (below)
    empty = _years_without_input(budget)
    tomma = {n.namnd: _committee_years_without_input(n, len(cols)) for n in namnder}
    for n in namnder:
        for i in tomma[n.namnd] if n.uppgifter else ():  # (no tasks: the loader's V1 error)
            if i in empty:
                continue  # no input at all that year: blank everywhere, said once below
            if cols[i] not in n.drift_rubriker:
                continue  # the column itself missing (renamed "Kolumn1"): the loader's error
            f = Finding(
                "V10", Severity.WARNING,
                f"Nämnden {n.namnd} har inga belopp alls i årskolumnen {cols[i]} i "
                f"driftsbudgeten (tblDrift), så kommunens sammanställda siffror för {cols[i]} "
                "saknar nämnden och markeras Ofullständig; nämndens resultat lämnas tomt för "
                "året. Fyll i nämndens budget för året.", object=n.namnd,
                location=n.drift_rubriker.get(cols[i]) or Location(
                    workbook=n.path.name, sheet=T.DRIFT.sheet, table=T.DRIFT.name))
            input_findings.append(f)
            out.saknas.append(Saknas.of(n.namnd, f))

    enheter = [e for n in namnder for e in n.enheter]
    input_findings.extend(_units_in_two_committees(enheter))
    rb = None
    if enheter:
        justeringar = [*k.justeringar, *(j for n in namnder for j in n.justeringar)]
        rb = balansera(enheter, k.regler, justeringar, k.tidplan, namnder=k.namnder,
                       ar=k.bokslutsar)
        out.balansering = rb
        # an adjustment that attaches to nothing (its committee or unit mistyped: "justeringen
        # ignoreras") is input left out, as an adjustment typed as text is: the run is
        # incomplete and the committees' Resultat marked (found 2026-12: a committee's justerat
        # resultat was shown without its adjustment, unmarked, in a run called complete)
        typed_at = {id(j.plats) for j in justeringar if j.plats is not None}
        for f in rb.findings:
            if f.rule == "R2" and f.severity is Severity.ERROR and f.location is not None \
                    and id(f.location) in typed_at:
                input_findings.append(f)
                out.saknas.append(Saknas.of(
                    next((n.namnd for n in namnder if n.path.name == f.location.workbook),
                         None), f))
            else:
                derived.append(f)

    locate = _Locator(k, namnder)
    if uf.sammandrag is not None:  # the imbalance at the cell that shows it (Skillnad)
        at = _skillnad_cell(k, uf, years[budget_year], bool(out.saknas))
        derived = [replace(f, location=at) if f.rule == "V5" and f.location is None
                   and f.object == "sammandrag" else f for f in derived]
    derived = [locate(f) for f in derived]
    kommun_saknas = in_kommun(k, out.saknas)
    if out.saknas:
        derived = _root_causes_only(derived, k, namnder, out.saknas, not kommun_saknas)
    out.findings.extend([*input_findings, *derived])  # after the missing committees
    # a year column no input has an amount in (an untouched template, plan years not filled in
    # yet): its statements would be all zeros, read as real figures (found 2026-12 on fresh
    # templates); they are left blank (``empty`` above), and said
    if empty:
        out.findings.append(Finding(
            "V10", Severity.WARNING,
            f"{'Årskolumnen' if len(empty) == 1 else 'Årskolumnerna'} "
            f"{', '.join(cols[i] for i in empty)} har inga belopp i indata (varken i nämndernas "
            "driftsbudget, i kommunens centrala poster eller i investeringarna), så "
            "resultaträkningen, finansieringsdelen, investeringsdelen, nyckeltalen och "
            "affärsverkens inverkan lämnas tomma där i stället för att visa nollor. Fyll i budgeten för året, eller ta bort "
            "årskolumnen ur tblAr.",
            location=Location(workbook=k.path.name, sheet=T.AR.sheet, table=T.AR.name)))
    all_findings = [*k.findings, *(f for n in namnder for f in n.findings), *out.findings]
    out.kommun_sheets = {
        "Resultaträkning": _statement_rows(b, "RR", cols, k.sprak, empty),
        "Finansieringsdel": _statement_rows(b, "FD", cols, k.sprak, empty),
        "Investeringsdel": _investment_rows(b, cols, k.sprak, empty),
        "Nyckeltal": _ratio_rows(b, cols, empty),
        "Affärsverk": _inverkan_rows(out.inverkan, cols, budget_year, empty),
        "Budgetutfall": _tabla_rows(uf, aktuellt),
        "Sammandrag": _sammandrag_rows(uf, years[budget_year]),
        "Resultatbalansering": _rb_rows(rb) if rb else [["Inga resultatenheter i underlaget."]],
        "Kontroll": findings_rows(all_findings),
    }
    if out.saknas:
        head = banner(out.saknas)
        for name in CONSOLIDATED:
            out.kommun_sheets[name] = [[head], *out.kommun_sheets[name]]
    per_committee = _PerCommittee(rb, uf)
    owners = CommitteeFindings(all_findings, namnder, k.projekt)
    for n in namnder:
        own = owners.kontroll(n)
        resultat = _namnd_rows(n, b, rb, cols, uf, per_committee, tomma[n.namnd])
        if kommun_saknas and any(r[:1] in (["Budgetutfall"], ["Resultatbalansering"])
                                 for r in resultat):
            # computed with the municipality's budget changes, rules and adjustments, where
            # something could not be read: marked, as the consolidated sheets are
            resultat = [[namnd_banner(kommun_saknas, alone)], *resultat]
        out.namnd_sheets[n.namnd] = {"Resultat": resultat, "Kontroll": findings_rows(own)}
    return out


def _changes_over_cost_estimates(budget: Budget, changes: Sequence[BudgetChange]
                                 ) -> list[Finding]:
    """V1 warning at the budget change that takes a project's investment expenditure (earlier
    years + the year columns + the changes to its appropriation) above its kostnadskalkyl when
    the budget alone stays within it: the council's change needs a new cost estimate too
    (found 2026-12: only the original budget was checked against it). A budget already above
    it is the investeringsdel's V1 error."""
    raised: dict[str, list[BudgetChange]] = {}
    for c in changes:
        part, obj, _detalj, kind = c.item
        if part is Part.INVESTERING and kind is Kind.ANSLAG:
            raised.setdefault(obj, []).append(c)
    if not raised:
        return []
    out = []
    for p in budget.projekt:
        own = raised.get(p.namn)
        if not own or p.kostnadskalkyl is None:
            continue
        planned = p.tidigare - sum((v for v in p.belopp.get("IN.UTG", ()) if v is not None),
                                   ZERO)
        if planned > p.kostnadskalkyl:
            continue
        total = planned
        for c in sorted(own, key=lambda c: c.datum):
            total -= c.belopp  # raising an appropriation is negative: spending grows
            if total > p.kostnadskalkyl:
                out.append(Finding(
                    "V1", Severity.WARNING,
                    f"Budgetändringen {c.paragraf} tar projektets investeringsutgifter "
                    f"({format_sv(total)} inkl. tidigare år) över kostnadskalkylen "
                    f"{format_sv(p.kostnadskalkyl)}. Fullmäktige ska godkänna en ny "
                    "kostnadskalkyl: skriv in den i Kostnadskalkyl när den är beslutad.",
                    object=p.namn, year=c.year, location=c.location))
                break
    return out


def _units_in_two_committees(enheter: Sequence[Resultatenhet]) -> list[Finding]:
    """V1 warning: one result unit's name, net budget and result in two committees' workbooks:
    a unit moved to another committee and left in the old one is counted in both (found
    2026-12 in the yearly rollover). A name alone is no sign (every committee may have a
    "Central förvaltningsledning"); the same figures with it are. A unit without any figure
    counts nothing twice and is not said."""
    first: dict[tuple[str, Decimal, Decimal | None], Resultatenhet] = {}
    out = []
    for e in enheter:
        if not e.resultat and not e.budget:
            continue
        key = (e.namn.casefold(), e.resultat, e.budget)
        seen = first.setdefault(key, e)
        if seen is not e and seen.namnd.casefold() != e.namnd.casefold():
            out.append(Finding(
                "V1", Severity.WARNING,
                f"Resultatenheten {e.namn!r} finns hos både {seen.namnd} och {e.namnd} med samma "
                "budget och resultat, så den räknas i båda nämndernas resultatbalansering. Har "
                "den flyttats till en annan nämnd? Ta då bort den ur den gamla nämndens "
                "arbetsbok.", object=e.namn, location=e.plats,
                also=(seen.plats,) if seen.plats is not None else ()))
    return out


def _years_without_input(budget: Budget) -> list[int]:
    """The year columns (indices) in which no input has an amount: no task's line, no central
    line but the balance-sheet stocks (BAL.*, which the statements do not sum), no project."""
    n = len(budget.years)
    seen = [False] * n

    def note(vals: Sequence[object]) -> bool:
        for i, v in enumerate(vals):
            if v is not None and i < n:
                seen[i] = True
        return all(seen)

    for u in budget.uppgifter:
        for vals in u.belopp.values():
            if note(vals):
                return []
    for code, vals in budget.central.items():
        if not code.startswith("BAL.") and note(vals):
            return []
    for p in budget.projekt:
        for vals in p.belopp.values():
            if note(vals):
                return []
    return [i for i in range(n) if not seen[i]]


def _committee_years_without_input(n: NamndInput, years: int) -> list[int]:
    """The year columns (indices, of ``years``) in which the committee has no amount at all
    (no task's line): left blank on its Resultat, never a column of zeros. A column with some
    amounts is computed as always (a blank there is 0)."""
    seen = [False] * years
    for u in n.uppgifter:
        for vals in u.belopp.values():
            for i, v in enumerate(vals[:years]):
                if v is not None:
                    seen[i] = True
    return [i for i in range(years) if not seen[i]]


def _incomplete(k: KommunInput, namnder: Sequence[NamndInput],
                saknas: Sequence[Saknas]) -> list[Saknas]:
    """Everything that keeps the consolidated figures from being complete."""
    out = list(saknas)
    out.extend(Saknas.of(None, f) for f in k.findings if f.severity is Severity.ERROR)
    for n in namnder:
        out.extend(Saknas.of(n.namnd, f) for f in n.findings if f.severity is Severity.ERROR)
    present = {n.namnd.casefold() for n in namnder} | {
        s.namnd.casefold() for s in saknas if s.namnd}
    for listed in k.namnder:
        if listed.namn.casefold() not in present:
            out.append(Saknas(listed.namn, None, None, None,
                              "ingen arbetsbok för nämnden hittades (nämnden finns i kommunens "
                              "lista, tabellen tblNamnder)"))
    return out


def _root_causes_only(derived: list[Finding], k: KommunInput, namnder: Sequence[NamndInput],
                      saknas: Sequence[Saknas], kommun_input_whole: bool = True
                      ) -> list[Finding]:
    """Of the checks computed from an incomplete consolidation, keep those that concern a
    committee read completely, computed with a municipality input read completely
    (``kommun_input_whole``: nothing of :func:`in_kommun`); the others (a committee's figures
    with a dropped row, a committee's follow-up without a budget change of the municipality
    workbook that could not be read, and every check of the consolidated figures) would state
    a consequence of the missing input as a fact of its own. Their root causes are the
    findings that made the run incomplete."""
    broken = {s.namnd.casefold() for s in saknas if s.namnd}
    kommun_whole = not any(s.namnd is None for s in saknas)
    whole = [n for n in namnder if n.namnd.casefold() not in broken]
    keep, dropped = [], 0
    owners: dict[int, list[NamndInput]] = {}  # id(finding) -> the committees it belongs to
    by_committee = CommitteeFindings(derived, namnder)
    for n in namnder:
        for f in by_committee.of(n):
            owners.setdefault(id(f), []).append(n)
    for f in derived:
        mine = owners.get(id(f), [])
        if mine and kommun_input_whole and all(n in whole for n in mine) \
                and _not_consolidated(f, k):
            keep.append(f)  # a committee's own check on its own complete input
        elif kommun_whole and not mine and f.location is not None and (
                f.location.sheet == "Investeringar"
                or f.rule == "V1" and f.location.sheet == "Utfall"):
            # a project, or an outturn row that names nothing (a central line or a project),
            # of the (complete) municipality workbook
            keep.append(f)
        else:
            dropped += 1
    if dropped:
        keep.append(Finding(
            "IN", Severity.INFO,
            f"{dropped} kontroller av de sammanställda siffrorna (t.ex. U1, B1, V5, V7, V8) visas "
            "inte eftersom underlaget är ofullständigt: de skulle räknas på siffror där något "
            "saknas. Rätta felen som gör sammanställningen ofullständig och uppdatera igen.",
            location=Location(workbook=k.path.name, sheet="Kontroll"),
            # every committee's Kontroll says so too: its own checks of this kind (a B1 error
            # on its budget change) are held back as well, never dropped without a word
            also=tuple(Location(workbook=n.path.name, sheet="Kontroll") for n in namnder)))
    return keep


def _not_consolidated(f: Finding, k: KommunInput) -> bool:
    """A finding located in a committee workbook, not in the municipality workbook."""
    return k.path.name not in f.workbooks


def _first_and_also(places: list[Location]) -> tuple[Location, tuple[Location, ...]]:
    """The first of ``places`` in a fixed order (whatever order the workbooks were read in) and
    the first place in each other workbook."""
    places = sorted(places, key=lambda p: (p.workbook or "", p.sheet or "", p.cell or ""))
    first, *rest = places
    seen = {first.workbook}
    also = []
    for p in rest:
        if p.workbook not in seen:
            seen.add(p.workbook)
            also.append(p)
    return first, tuple(also)


def _locate(f: Finding, k: KommunInput, namnder: Sequence[NamndInput]) -> Finding:
    """The same finding, naming the workbook (and where known the sheet and cell) it comes
    from: engine checks know objects and cells, not files."""
    loc = f.location
    if loc is not None and loc.workbook:
        return f
    if loc is not None and (loc.sheet or loc.cell):  # a cell of an unnamed workbook: the kommun's
        return replace(f, location=replace(loc, workbook=k.path.name))
    obj = (f.object or "").strip()
    key = obj.casefold()
    tail = key.partition(" ")[2]
    if f.rule == "R3" and key in k.namnder_plats:  # goal attainment: the municipality's list
        return replace(f, location=k.namnder_plats[key])
    if f.year is not None and (obj, f.year) in k.central_celler:  # a typed balance's year cell
        return replace(f, location=k.central_celler[(obj, f.year)])
    for n in namnder:  # a task or a committee
        for task, where in n.plats.items():
            t = task.casefold()
            if key == t or key.startswith(t + " ") or tail == t or tail.startswith(t + " "):
                return replace(f, location=where)
    for n in namnder:  # "Nämnd 10 / …" is not "Nämnd 1"'s (_starts_with_name)
        names = (n.namnd.casefold(),)
        if key and (_starts_with_name(key, names) or _starts_with_name(tail, names)):
            return replace(f, location=n.plats_namnd or Location(workbook=n.path.name))
    for name, where in k.projekt_plats.items():
        if key and (key == name.casefold() or key.startswith(name.casefold() + " ")
                    or _starts_with_name(tail, (name.casefold(),))):
            return replace(f, location=where)
    code = _OBJECT_CODES.get(key) or (obj.split(" ")[0] if obj else "")
    if code:  # a line code: the rows that carry it, in every workbook that has one
        places = [where for n in namnder for (_t, c), where in n.rader.items()
                  if c == code or c.startswith(code + ".")]
        places += [where for c, where in k.central_plats.items()
                   if c == code or c.startswith(code + ".")]
        if places:
            first, also = _first_and_also(places)
            return replace(f, location=first, also=also)
    sheet = _RULE_SHEETS.get(f.rule)
    return replace(f, location=Location(workbook=k.path.name, sheet=sheet))


class _Locator:
    """:func:`_locate` for the many findings of one run, with the same result for every finding:
    the committees' tasks, names and projects are indexed once (on first need) instead of
    scanned once per finding, and the rows of a line code looked up once per code. ``tests/test_outputs_layout.py`` holds it equal to
    :func:`_locate`."""

    def __init__(self, k: KommunInput, namnder: Sequence[NamndInput]) -> None:
        self.k = k
        self.namnder = namnder
        self._tasks: dict[str, tuple[int, Location]] | None = None
        self._names: list[tuple[str, NamndInput]] | None = None
        self._projects: list[tuple[str, Location]] | None = None
        self._rader_codes: set[str] | None = None
        self._by_code: dict[str, tuple[Location, tuple[Location, ...]] | None] = {}

    def __call__(self, f: Finding) -> Finding:
        loc = f.location
        if loc is not None and loc.workbook:
            return f
        k = self.k
        if loc is not None and (loc.sheet or loc.cell):  # a cell of an unnamed workbook
            return replace(f, location=replace(loc, workbook=k.path.name))
        obj = (f.object or "").strip()
        key = obj.casefold()
        tail = key.partition(" ")[2]
        if f.rule == "R3" and key in k.namnder_plats:
            return replace(f, location=k.namnder_plats[key])
        if f.year is not None and (obj, f.year) in k.central_celler:
            return replace(f, location=k.central_celler[(obj, f.year)])
        where = self._task(key, tail)
        if where is not None:
            return replace(f, location=where)
        if key:
            if self._names is None:
                self._names = [(n.namnd.casefold(), n) for n in self.namnder]
            for name, n in self._names:
                if _starts_with_name(key, (name,)) or _starts_with_name(tail, (name,)):
                    return replace(f, location=n.plats_namnd or Location(workbook=n.path.name))
            if self._projects is None:
                self._projects = [(name.casefold(), w) for name, w in k.projekt_plats.items()]
            for name, w in self._projects:
                if key == name or key.startswith(name + " ") or \
                        _starts_with_name(tail, (name,)):
                    return replace(f, location=w)
        code = _OBJECT_CODES.get(key) or (obj.split(" ")[0] if obj else "")
        if code:
            found = self._code(code)
            if found is not None:
                return replace(f, location=found[0], also=found[1])
        sheet = _RULE_SHEETS.get(f.rule)
        return replace(f, location=Location(workbook=k.path.name, sheet=sheet))

    def _task(self, key: str, tail: str) -> Location | None:
        """The first task (committees in order, tasks in order) whose case-folded name is the
        object or its tail, or starts it followed by a space."""
        if self._tasks is None:
            tasks: dict[str, tuple[int, Location]] = {}
            for n in self.namnder:
                for task, where in n.plats.items():
                    tasks.setdefault(task.casefold(), (len(tasks), where))
            self._tasks = tasks
        tasks = self._tasks
        best: tuple[int, Location] | None = None
        for text in (key, tail):
            for cand in (text, *(text[:i] for i, ch in enumerate(text) if ch == " ")):
                hit = tasks.get(cand)
                if hit is not None and (best is None or hit[0] < best[0]):
                    best = hit
        return best[1] if best is not None else None

    def _code(self, code: str) -> tuple[Location, tuple[Location, ...]] | None:
        """The first row that carries ``code`` (or a code under it) and the first row of each
        other workbook that does, in a fixed order; None when no row does. Once per code: the
        same code is often named by several findings (one per year)."""
        if code in self._by_code:
            return self._by_code[code]
        under = code + "."
        if self._rader_codes is None:  # the few distinct codes of the many rows
            self._rader_codes = {c for n in self.namnder for (_t, c) in n.rader}
        places = []
        if any(c == code or c.startswith(under) for c in self._rader_codes):
            places = [where for n in self.namnder for (_t, c), where in n.rader.items()
                      if c == code or c.startswith(under)]
        places += [where for c, where in self.k.central_plats.items()
                   if c == code or c.startswith(under)]
        result = _first_and_also(places) if places else None
        self._by_code[code] = result
        return result


#: Objects named in words (no code in what a controller reads) -> the line code they stand for.
_OBJECT_CODES = {INTERNA_POSTER: "DR.INT"}

#: Where in the municipality workbook a check without an object row comes from.
_RULE_SHEETS = {"V7": "Centrala poster", "V8": "Balans och kris", "V9": "Balans och kris",
                "R1": "Resultatbalansering in", "R2": "Resultatbalansering in",
                "R3": "Resultatbalansering in", "R6": "Regler RB", "R7": "Resultatbalansering in",
                "R8": "Resultatbalansering in", "B1": "Budgetändringar", "U1": "Utfall"}


def _budget_year_index(k: KommunInput) -> int:
    """The budget year: the year after the current year; by default two years after the last
    closed accounts, else the last column typed 'budget'."""
    years = [c.ar for c in k.kolumner]
    if k.bokslutsar is not None and k.bokslutsar + 2 in years:
        return years.index(k.bokslutsar + 2)
    budget_cols = [i for i, c in enumerate(k.kolumner) if c.typ == "budget"]
    return budget_cols[-1] if budget_cols else 0
