"""``kommunbudget import-utfall``: outturn from the bookkeeping export into the workbooks.

The export is read, mapped and aggregated exactly (:mod:`ledger_io`, :mod:`engine.ledger`); the
outturn per task, line and month is then written into the owned sheet *Bokfört utfall* of each
committee workbook (rows for its own tasks) and of the municipality workbook (everything whose
unit is not a task of any committee: central lines, projects, unknown units). The refresh reads
that sheet as the outturn to date wherever *Utfall hittills* in the committee's tblUtfall is
left empty (a typed figure wins). The title row says which year (C1) and up to which period
the outturn is for; the refresh counts it only for that follow-up year.

Nothing is written when the import does not reconcile to the cent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from engine.catalogue import catalogue
from engine.findings import Finding, Location, Severity, excerpt
from engine.ledger import ImportReport, ore_to_decimal
from engine.svenska import antal
from workbook_templates.files.fileops import ReadVersion
from workbook_templates.files.ledger_io import CsvOptions
from workbook_templates.files.ledger_io import import_utfall as read_and_aggregate
from workbook_templates.files.safety import check_workbook, inspect_workbook
from workbook_templates.pipeline.loader import NamndInput, read_kommun, read_namnd
from workbook_templates.pipeline.refresh import (
    FileReport,
    check_paths,
    find_workbooks,
    still_as_read,
    version_before_reading,
    write_owned,
)
from workbook_templates.schema import (
    BOKFORT_AR_CELL,
    BOKFORT_AR_LABEL,
    BOKFORT_PERIOD_CELL,
    BOKFORT_PERIOD_LABEL,
    BOKFORT_SHEET,
    T,
)

__all__ = ["BOKFORT_SHEET", "ImportResult", "import_utfall", "ledger_rows", "ledger_title"]

MONTHS = 12


@dataclass
class ImportResult:
    report: ImportReport | None
    files: list[FileReport] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if any(f.status in ("error", "refused") or f.open_in_excel for f in self.files) or \
                self.report is None:
            return 2
        if not self.report.reconciled:
            return 2
        return 1 if any(f.severity is Severity.ERROR for f in self.findings) else 0


def ledger_rows(frame: pd.DataFrame, units: Sequence[str] | None) -> list[list[object]]:
    """The owned sheet's rows: header, then one row per (unit, line) with months 1–12 and total.

    ``units`` selects the units (tasks) to include; ``None`` = every unit."""
    # one row per unit whatever its letters' case (the committee is found without regard to
    # case, and the loader keeps one row per task and line): named as the committee's task
    spelled = {} if units is None else {u.casefold(): u for u in units}
    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * MONTHS)
    first: dict[str, str] = {}
    for code, unit, period, ore in zip(frame["radkod"], frame["enhet"], frame["period"],
                                       frame["belopp_ore"], strict=True):
        key = str(unit).casefold()
        if units is not None and key not in spelled:
            continue
        name = spelled.get(key) or first.setdefault(key, str(unit))
        if 1 <= int(period) <= MONTHS:
            cells[(name, str(code))][int(period) - 1] += int(ore)
    cat = catalogue()
    rows: list[list[object]] = [["Uppgift", "Kod", "Rad", *(f"Period {m}" for m in
                                                           range(1, MONTHS + 1)), "Summa"]]
    order = {code: line.order for code, line in cat.lines.items()}
    for (unit, code) in sorted(cells, key=lambda k: (k[0], order.get(k[1], 10**6), k[1])):
        months = cells[(unit, code)]
        label = cat[code].label if code in cat else code
        rows.append([unit, code, label, *(ore_to_decimal(v) for v in months),
                     ore_to_decimal(sum(months))])
    return rows


def ledger_title(year: int | None, frame: pd.DataFrame) -> dict[str, object]:
    """The cells of the title row that say what the outturn is for: the follow-up ``year``
    (C1, which the refresh compares with Bokslutsår + 1) and the last period with bookings in
    the export (E1), each beside its label. A year not known (no Bokslutsår in the
    municipality workbook and periods that name none) is an empty C1, which the refresh
    reports as a sheet without a year."""
    periods = [int(p) for p in frame["period"] if 1 <= int(p) <= MONTHS]
    return {BOKFORT_AR_LABEL[0]: BOKFORT_AR_LABEL[1], BOKFORT_AR_CELL: year,
            BOKFORT_PERIOD_LABEL[0]: BOKFORT_PERIOD_LABEL[1],
            BOKFORT_PERIOD_CELL: max(periods) if periods else None}


def _not_ours(path: Path, n: NamndInput, listed: set[str] | None) -> str | None:
    """Why a workbook in the folder is not a committee workbook of this municipality."""
    from workbook_templates.files.reader import open_workbook

    try:
        with open_workbook(path) as r:
            if r.find_table(T.CENTRALA.name) is not None:
                return "är en kommunarbetsbok (t.ex. en arkivkopia), inte en nämnds"
    except Exception:  # noqa: BLE001 - unreadable: read_namnd has said so
        pass
    if not n.readable:
        return "kan inte läsas som nämndarbetsbok"
    if listed is not None and n.namnd.casefold() not in listed:
        return (f"gäller nämnden {n.namnd!r}, som inte finns i kommunens nämndlista "
                "(tblNamnder)")
    return None


def import_utfall(
    export: str | Path,
    mappning: str | Path,
    kommun: str | Path,
    namnd_paths: Sequence[str | Path] | None = None,
    *,
    options: CsvOptions | None = None,
    backups: int = 3,
    jobs: int = 1,
) -> ImportResult:
    export, kommun = Path(export), Path(kommun)
    result = ImportResult(None)
    missing = check_paths([export, mappning, *(namnd_paths or [])], kommun)
    if missing:  # an unmounted share, a typo: nothing is read, nothing is written anywhere
        result.files.extend(missing)
        result.findings.extend(f for r in missing for f in r.findings)
        return result
    for source in (export, Path(mappning)):  # a spreadsheet export or mapping: the gate first
        if source.suffix.lower() in (".xlsx", ".xlsm"):
            gate = check_workbook(source)
            if any(f.severity is Severity.ERROR for f in gate):
                result.findings.extend(gate)
                return result
    # the municipality workbook too: its list of committees is read, and it is written (it
    # was read and patched without the gate before 2026-12)
    report_k = inspect_workbook(kommun)
    gate = list(report_k.findings)
    if report_k.refused:
        result.files.append(FileReport(kommun, "kommun", "refused", gate))
        result.findings.extend(gate)
        return result
    # what the gates parsed well-formed: the writes' verification (a gate of its own) need
    # not parse the parts they copy again
    parsed: set[str] = set(report_k.wellformed)
    frame, report = read_and_aggregate(export, mappning, options=options,
                                       known_codes=set(catalogue().lines), jobs=jobs)
    result.report = report
    result.findings.extend(report.findings)
    if not report.reconciled:
        result.findings.append(Finding(
            "V10", Severity.ERROR, "Importen stämmer inte på centen (mappat + exkluderat + "
            "omappat ≠ exportens summa); ingenting skrevs. Kontrollera exporten.",
            location=Location(workbook=export.name)))
        return result
    k = read_kommun(kommun)
    current = k.bokslutsar + 1 if k.bokslutsar is not None else None  # the follow-up's year
    why = None
    if not report.rows_read and any(f.severity is Severity.ERROR for f in report.findings):
        # the export could not be read at all (no amount column, an encoding it is not in …):
        # writing would empty every workbook's imported outturn
        why = "Exporten kunde inte läsas (se fynden)"
    elif not report.rows_read:  # a header and nothing else (2026-12: written as empty)
        why = "Exporten har inga rader (bara rubrikraden), så utfallet skulle bli tomt"
    elif report.copies > 1:  # an export appended to itself: every amount counted twice
        why = (f"Exporten är {report.copies} lika kopior av samma rader (se fynden), så varje "
               f"belopp skulle räknas {report.copies} gånger")
    elif len(report.years) > 1:
        why = (f"Exporten har perioder från flera år ({', '.join(map(str, report.years))}), och "
               "varje månads belopp skulle slås ihop över åren")
    elif current is not None and report.years and report.years[0] != current:
        why = (f"Exporten gäller {report.years[0]}, men uppföljningsåret är {current} "
               f"(Bokslutsår {k.bokslutsar} i kommunens arbetsbok, plus ett), så ett annat års "
               "utfall skulle skrivas som årets")
    elif report.rows_aggregated and not (report.rows_mapped or report.rows_excluded):
        # no row reached a rule: the mapping could not be read, has no account rules or is
        # another chart's; writing would empty every workbook's imported outturn
        why = ("Ingen rad i exporten mappades (se fynden om mappningen), så utfallet skulle "
               "bli tomt")
    elif report.rows_rejected:  # their amounts are in no total: the outturn would be short
        why = (f"{antal(report.rows_rejected, 'rad')} i exporten kunde inte läsas (se fynden), "
               "så deras belopp finns inte i någon summa och utfallet skulle bli för litet")
    if why is not None:
        result.findings.append(Finding(
            "V10", Severity.ERROR,
            f"{why}; ingenting skrevs, och arbetsböckerna har kvar utfallet från förra importen. "
            "Rätta exporten (eller importinställningarna) och kör importen igen.",
            location=Location(workbook=export.name)))
        return result

    paths = [p for p in find_workbooks(namnd_paths or [kommun.parent])
             if p.resolve() != kommun.resolve()]
    listed = {x.namn.casefold() for x in k.namnder} or None  # None: every workbook counts
    # 1. Read every committee workbook and lay out every sheet before writing anything: a
    # workbook that cannot be read would send its tasks' outturn to the municipality workbook.
    claimed: set[str] = set()
    planned: list[tuple[Path, str, list[list[object]], ReadVersion | None]] = []
    unreadable: list[FileReport] = []
    for path in paths:
        before = version_before_reading(path)
        inspected = inspect_workbook(path)
        gate = list(inspected.findings)
        if inspected.refused:
            unreadable.append(FileReport(path, "nämnd", "refused", gate))
            continue
        parsed.update(inspected.wellformed)
        n = read_namnd(path)
        if not n.readable:
            unreadable.append(FileReport(path, "nämnd", "error", n.findings))
            continue
        if still_as_read(path, before) is None:  # saved while it was read
            unreadable.append(FileReport(path, "nämnd", "error", [Finding(
                "IN", Severity.ERROR, f"{path.name} ändrades medan den lästes (den sparades "
                "under importen).", location=Location(workbook=path.name))]))
            continue
        why = _not_ours(path, n, listed)
        if why is not None:  # never written: an archive copy of kommun.xlsx, another municipality
            result.findings.append(Finding(
                "IN", Severity.INFO, f"{path.name} {why}; den skrevs inte.",
                location=Location(workbook=path.name)))
            continue
        tasks = [u.namn for u in n.uppgifter]
        claimed.update(t.casefold() for t in tasks)
        # its rows follow its tasks: written only into the version read (write_owned)
        planned.append((path, "nämnd", ledger_rows(frame, tasks), before))
    if unreadable:
        result.files.extend(unreadable)
        for f in unreadable:
            result.findings.extend(x for x in f.findings if x not in result.findings)
        names = ", ".join(f.path.name for f in unreadable)
        result.findings.append(Finding(
            "IN", Severity.ERROR,
            f"Inget skrevs: arbetsboken {names} kunde inte läsas, så det går inte att veta vilka "
            "uppgifter dess utfall hör till (det hamnade annars i kommunens arbetsbok). Rätta "
            "filen, eller flytta den ur mappen eller ange nämndernas arbetsböcker med --namnder, "
            "och kör importen igen.", location=Location(workbook=kommun.name)))
        return result
    rest = frame[~frame["enhet"].astype(str).str.casefold().isin(claimed)]
    units = sorted(set(rest["enhet"].astype(str)))
    if units:
        result.findings.append(Finding(
            "V10", Severity.WARNING,
            f"{antal(len(units), 'enhet')} hör inte till någon nämnds uppgifter: "
            f"{', '.join(excerpt(u, 40) for u in units[:10])}{' …' if len(units) > 10 else ''}. "
            "Deras utfall skrevs i kommunens arbetsbok (bladet Bokfört utfall) men räknas inte in "
            "i någon nämnds uppföljning. Kontrollera mappningen (uppgiftens namn stavat som i "
            "nämndens tblUppgifter).",
            location=Location(workbook=kommun.name, sheet=BOKFORT_SHEET)))
    planned.append((kommun, "kommun", ledger_rows(rest, None), None))

    # the year the outturn is for, in every sheet written (C1): the follow-up's, which the
    # export's periods were checked against above (2026-12: a sheet left from last year was
    # counted as this year's outturn after the yearly rollover, without a word)
    title = ledger_title(current if current is not None else
                         (report.years[0] if report.years else None), frame)

    # 2. Write them. Each write is all or nothing for its file; if one fails the others are
    # still written, and a finding names exactly which were written and which were not.
    for path, role, rows, version in planned:
        try:
            result.files.append(write_owned(path, role, {BOKFORT_SHEET: rows}, backups, [],
                                            version, known_wellformed=frozenset(parsed),
                                            cells={BOKFORT_SHEET: title}))
        except Exception as exc:  # noqa: BLE001 - a bug must not hide what was already written
            result.files.append(FileReport(path, role, "error", [Finding(
                "IN", Severity.ERROR,
                f"Internt fel när arbetsboken skrevs ({type(exc).__name__}: "
                f"{excerpt(str(exc), 80)}); den är orörd. Rapportera felet.",
                location=Location(workbook=path.name))]))
    for f in result.files:
        result.findings.extend(x for x in f.findings if x not in result.findings)
    written = [f.path.name for f in result.files if f.status in ("written", "unchanged")]
    missed = [f.path.name for f in result.files if f.status not in ("written", "unchanged")]
    if written and missed:
        result.findings.append(Finding(
            "IN", Severity.ERROR,
            f"Importen skrevs bara delvis. Skrivna: {', '.join(written)}. Inte skrivna: "
            f"{', '.join(missed)} (se fynden för dem). Rätta felet och kör importen igen; de "
            "redan skrivna arbetsböckerna blir då oförändrade.",
            location=Location(workbook=kommun.name)))
    return result
