"""From the workbooks' inputs to the engine and on to the blocks of cells the owned sheets get.

:func:`compute_outputs` is shared by the batch refresh and the Excel buttons: it runs the engine
on the inputs read from the workbooks and lays out every output sheet as rows of plain values
(``str``, ``Decimal``, ``int``, ``None``). Where the rows go, and how they are written (file
patch or live Excel), is the caller's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from engine.budget import Berakning, Budget, InverkanRad, Uppgift, affarsverk_inverkan, berakna
from engine.catalogue import catalogue
from engine.findings import Finding, Severity
from engine.resultatbalansering import Balansering, balansera
from workbook_templates.loader import KommunInput, NamndInput

__all__ = ["Outputs", "compute_outputs", "consolidated_budget", "findings_rows"]

Rows = list[list[object]]


@dataclass
class Outputs:
    kommun_sheets: dict[str, Rows] = field(default_factory=dict)
    namnd_sheets: dict[str, dict[str, Rows]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    berakning: Berakning | None = None
    balansering: Balansering | None = None
    inverkan: list[InverkanRad] = field(default_factory=list)


def consolidated_budget(k: KommunInput, namnder: Sequence[NamndInput]) -> Budget:
    """The engine's Budget from the municipality input and the committee inputs."""
    uppgifter: list[Uppgift] = [u for n in namnder for u in n.uppgifter]
    return Budget(
        kommun=k.kommun,
        years=tuple(str(c.ar) for c in k.kolumner),
        uppgifter=tuple(uppgifter),
        projekt=tuple(k.projekt),
        central=k.central,
        invanare=tuple(c.invanare for c in k.kolumner),
        samkommun=k.samkommun,
    )


def _wording(sprak: str) -> str:
    return "fi_budget" if sprak == "fi" else "sv_budget"


def _statement_rows(b: Berakning, part: str, cols: Sequence[str], sprak: str) -> Rows:
    rows: Rows = [["Post", *cols]]
    for row in b.statement.rows(part, _wording(sprak)):
        rows.append(["  " * row.depth + row.label, *row.values])
    return rows


def _investment_rows(b: Berakning, cols: Sequence[str], sprak: str) -> Rows:
    cat = catalogue()
    w = _wording(sprak)
    rows: Rows = [["Projekt", "Nämnd", "Princip", "Kostnadskalkyl", "Post", *cols]]
    for p in b.budget.projekt:
        if p.uppgift in b.budget.affarsverk():
            continue
        st = b.investeringar.projekt[p.namn]
        for code in ("IN.UTG", "IN.FA", "IN.FORS", "IN.NETTO"):
            if code in st.has_data:
                rows.append([p.namn, p.namnd, "netto" if p.netto else "brutto",
                             p.kostnadskalkyl if code == "IN.UTG" else None,
                             cat[code].label_in(w), *st[code]])
    rows.append([])
    tot = b.investeringar.totals
    for code in ("IN.UTG", "IN.FA", "IN.FORS", "IN.NETTO"):
        rows.append(["Totalt", None, None, None, cat[code].label_in(w), *tot[code]])
    return rows


def _ratio_rows(b: Berakning, cols: Sequence[str]) -> Rows:
    rows: Rows = [["Nyckeltal", *cols]]
    for name in b.nyckeltal[0]:
        cells: list[object] = []
        for per_year in b.nyckeltal:
            r = per_year[name]
            cells.append(r.value.quantize(Decimal("0.01")) if r.defined else r.reason)
        rows.append([name, *cells])
    acc = b.ackumulerat_kassaflode
    rows.append(["Ackumulerat kassaflöde för verksamhet och investeringar",
                 *(r.value if r.defined else r.reason for r in acc)])
    return rows


def _inverkan_rows(inv: Sequence[InverkanRad], cols: Sequence[str], year: int) -> Rows:
    rows: Rows = [[f"Affärsverkens inverkan, {cols[year]}", "Kommunen utan affärsverk",
                   "Affärsverken sammanlagt", "Elimineringar", "Kommunen inkl. affärsverk",
                   "Inverkan"]]
    for r in inv:
        rows.append([r.label, r.utan[year], r.affarsverk[year], r.elimineringar[year],
                     r.med[year], r.inverkan[year]])
    rows.append([])
    rows.append(["Inverkan per år", *cols])
    for r in inv:
        rows.append([r.label, *r.inverkan])
    return rows


def _rb_rows(rb: Balansering) -> Rows:
    rows: Rows = [["Resultatbalansering" + (f" bokslut {rb.ar}" if rb.ar else "")]]
    rows.append(["Nämnd", "Resultatenhet", "Resultat", "Justering", "Justerat resultat",
                 "Överföring", "Handlingsplan krävs", "Anmärkning"])
    for e in rb.enheter:
        rows.append([e.namnd, e.namn + (" (central)" if e.central else ""), e.resultat,
                     e.justering, e.justerat_resultat, e.overforing,
                     "ja" if e.handlingsplan_kravs else "nej", e.anmarkning])
    rows.append([])
    rows.append(["Nämnd", "Måluppfyllelse", "Justerat resultat", "Överföring", "KS andel",
                 "Central enhet, rest"])
    for n in rb.namnder:
        rows.append([n.namnd, "ja" if n.maluppfyllelse else "nej", n.justerat_resultat,
                     n.overforing, n.ks_andel, n.central_rest])
    rows.append([])
    rows.append(["Budgettillägg (R1)", "Resultatenhet", "År", "Belopp"])
    for t in rb.budgettillagg:
        rows.append([t.namnd, t.resultatenhet, t.ar, t.belopp])
    rows.append([])
    rows.append(["Tidplan (R8)", "Datum", "Status"])
    for s in rb.tidplan:
        rows.append([s.namn, s.datum.isoformat() if s.datum else None, s.status])
    return rows


def findings_rows(findings: Sequence[Finding]) -> Rows:
    from engine.findings import count_by_severity

    c = count_by_severity(findings)
    rows: Rows = [[f"{c['error']} fel, {c['warning']} varningar, {c['info']} info"],
                  ["Regel", "Allvar", "Arbetsbok", "Flik", "Cell", "Objekt", "År", "Meddelande"]]
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    for f in sorted(findings, key=lambda f: order[f.severity]):
        loc = f.location
        rows.append([f.rule, f.severity.svenska, loc.workbook if loc else None,
                     loc.sheet if loc else None, loc.cell if loc else None, f.object, f.year,
                     f.message])
    return rows


def _namnd_rows(n: NamndInput, b: Berakning, rb: Balansering | None, cols: Sequence[str]) -> Rows:
    cat = catalogue()
    rows: Rows = [[f"{n.namnd}: driftsekonomidel per uppgift", *cols]]
    for u in n.uppgifter:
        st = b.uppgifter.get(u.namn)
        if st is None:
            continue
        rows.append([f"{u.namn} ({u.finansiering.value})"])
        for code in ("RR.VI", "RR.VU", "RR.VB", "DR.INT.INK", "DR.INT.UTG", "RR.AVS", "RR.RES"):
            if code in st.has_data or code == "RR.VB":
                rows.append(["  " + cat[code].label, *st[code]])
    if rb is not None:
        rows.append([])
        rows.append(["Resultatbalansering", "Resultat", "Justerat resultat", "Överföring",
                     "Handlingsplan krävs"])
        for e in rb.enheter:
            if e.namnd.casefold() == n.namnd.casefold():
                rows.append([e.namn, e.resultat, e.justerat_resultat, e.overforing,
                             "ja" if e.handlingsplan_kravs else "nej"])
        for nr in rb.namnder:
            if nr.namnd.casefold() == n.namnd.casefold():
                rows.append(["Nämnden totalt", nr.resultat, nr.justerat_resultat, nr.overforing,
                             None])
                rows.append(["Kommunstyrelsens andel (budgeteras inte)", None, None, nr.ks_andel,
                             None])
    return rows


def _belongs_to(f: Finding, n: NamndInput) -> bool:
    if f.location and f.location.workbook == n.path.name:
        return True
    obj = (f.object or "").casefold()
    return obj.startswith(n.namnd.casefold()) or any(
        obj.startswith(u.namn.casefold()) for u in n.uppgifter)


def compute_outputs(k: KommunInput, namnder: Sequence[NamndInput]) -> Outputs:
    """Run the engine on the inputs and lay out every owned sheet."""
    out = Outputs()
    cols = [c.namn for c in k.kolumner]
    if not cols:
        return out
    budget = consolidated_budget(k, namnder)
    b = berakna(budget)
    out.berakning = b
    out.findings.extend(b.findings)
    budget_year = _budget_year_index(k)
    out.inverkan = affarsverk_inverkan(budget)

    enheter = [e for n in namnder for e in n.enheter]
    rb = None
    if enheter:
        rb = balansera(enheter, k.regler, k.justeringar, k.tidplan, namnder=k.namnder,
                       ar=k.bokslutsar)
        out.balansering = rb
        out.findings.extend(rb.findings)

    all_findings = [*k.findings, *(f for n in namnder for f in n.findings), *out.findings]
    out.kommun_sheets = {
        "Resultaträkning": _statement_rows(b, "RR", cols, k.sprak),
        "Finansieringsdel": _statement_rows(b, "FD", cols, k.sprak),
        "Investeringsdel": _investment_rows(b, cols, k.sprak),
        "Nyckeltal": _ratio_rows(b, cols),
        "Affärsverk": _inverkan_rows(out.inverkan, cols, budget_year),
        "Resultatbalansering": _rb_rows(rb) if rb else [["Inga resultatenheter i underlaget."]],
        "Kontroll": findings_rows(all_findings),
    }
    for n in namnder:
        own = [f for f in all_findings if _belongs_to(f, n)]
        out.namnd_sheets[n.namnd] = {
            "Resultat": _namnd_rows(n, b, rb, cols),
            "Kontroll": findings_rows(own),
        }
    return out


def _budget_year_index(k: KommunInput) -> int:
    """The budget year: the year after the current year; by default two years after the last
    closed accounts, else the last column typed 'budget'."""
    years = [c.ar for c in k.kolumner]
    if k.bokslutsar is not None and k.bokslutsar + 2 in years:
        return years.index(k.bokslutsar + 2)
    budget_cols = [i for i, c in enumerate(k.kolumner) if c.typ == "budget"]
    return budget_cols[-1] if budget_cols else 0
