"""Read the municipality and committee workbooks into engine objects.

Every table is found by name and every column by header (:mod:`reader`); every amount goes
through the engine's input hygiene (V10: text, error values, wrong signs) and keeps its sheet and
cell, so a finding can say exactly where the problem is. A problem in one row never stops the
others; a workbook that cannot be read at all becomes one finding and the run goes on with the
other workbooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, compress, repeat
from operator import attrgetter
from pathlib import Path
from typing import Protocol

from engine.balance import Atgard, Bokslutsbalans, KrisNyckeltal
from engine.binding import Organ, Principle
from engine.budget import Finansiering, Projekt, Uppgift
from engine.catalogue import Catalogue, LabelError, catalogue
from engine.findings import Finding, Location, Severity, excerpt
from engine.gc_pause import without_gc_pauses
from engine.input_hygiene import (
    GENERAL,
    parse_amount,
    parse_amounts,
    parse_number,
    parse_year,
)
from engine.money import ZERO, format_sv
from engine.rb_rules import DEFAULT_RULES, Regelverk, is_percent_setting, rules_from_table
from engine.resultatbalansering import (
    Justering,
    Namnd,
    Resultatenhet,
    Tidplan,
    kostnader_positiva,
    tecken_fel,
)
from engine.signs import cost_sign_finding
from engine.uppfoljning import PostUtfall
from workbook_templates.files.reader import (
    Cell,
    CellError,
    Table,
    TableResult,
    TableRow,
    WorkbookReadError,
    open_workbook,
    parse_cell,
)
from workbook_templates.schema import (
    AR_TYPER,
    BOKFORT_AR_CELL,
    BOKFORT_SHEET,
    MALLVERSION,
    MALLVERSION_INSTALLNING,
    MALLVERSION_RESULTATENHETER_KOSTNAD_POSITIV,
    RB_NIVAER,
    RB_STEG,
    T,
    TableSpec,
)

__all__ = ["Kolumn", "KommunInput", "NamndInput", "TableSource", "against_kommun",
           "bokfort_for_year",
           "read_kolumner", "read_kommun", "read_namnd"]


@dataclass(frozen=True)
class Kolumn:
    namn: str  # the column header, e.g. "Budget 2026"
    ar: int
    typ: str
    #: inhabitants on 31.12 as typed (a projection may be 14 950,6): exact, never truncated
    invanare: Decimal | None


@dataclass
class KommunInput:
    path: Path
    kommun: str = ""
    sprak: str = "sv"
    bokslutsar: int | None = None
    samkommun: bool = False
    kolumner: list[Kolumn] = field(default_factory=list)
    central: dict[str, list[Decimal | None]] = field(default_factory=dict)
    projekt: list[Projekt] = field(default_factory=list)
    andringar: list[dict[str, Cell]] = field(default_factory=list)
    utfall: list[PostUtfall] = field(default_factory=list)
    overskridningsratt: dict[str, Decimal] = field(default_factory=dict)
    #: where each överskridningsrätt was typed (its cell), by the same key
    overskridningsratt_plats: dict[str, Location] = field(default_factory=dict)
    historik: list[Bokslutsbalans] = field(default_factory=list)
    atgarder: list[Atgard] = field(default_factory=list)
    kris: list[KrisNyckeltal] = field(default_factory=list)
    v9_version: str = "2019"
    regler: Regelverk = DEFAULT_RULES
    namnder: list[Namnd] = field(default_factory=list)
    justeringar: list[Justering] = field(default_factory=list)
    tidplan: Tidplan = field(default_factory=Tidplan)
    findings: list[Finding] = field(default_factory=list)
    readable: bool = True
    #: where each project and central line was read (to locate the engine's findings)
    projekt_plats: dict[str, Location] = field(default_factory=dict)
    projekt_uppgift: dict[str, Location] = field(default_factory=dict)  # its Uppgift cell
    central_plats: dict[str, Location] = field(default_factory=dict)
    #: each balance-sheet stock's (BAL.*) year cell: (code, year) -> where its amount is typed
    #: (V7/V8 findings on a typed balance are said at the year's cell, not at the code)
    central_celler: dict[tuple[str, int], Location] = field(default_factory=dict)
    namnder_plats: dict[str, Location] = field(default_factory=dict)  # tblNamnder rows
    #: tblInstallningar as {setting (case-folded): value} (e.g. Nämndarbetsböcker, which the
    #: buttons read)
    installningar: dict[str, object] = field(default_factory=dict)


@dataclass
class NamndInput:
    path: Path
    namnd: str = ""
    uppgifter: list[Uppgift] = field(default_factory=list)
    principer: dict[str, tuple[str, str]] = field(default_factory=dict)  # uppgift -> (princip, mot)
    utfall: list[PostUtfall] = field(default_factory=list)
    enheter: list[Resultatenhet] = field(default_factory=list)
    justeringar: list[Justering] = field(default_factory=list)  # tblResultatenheter's Justering
    mallversion: str = MALLVERSION_RESULTATENHETER_KOSTNAD_POSITIV
    findings: list[Finding] = field(default_factory=list)
    readable: bool = True
    #: where each task, (task, line) row and the committee itself were read
    plats: dict[str, Location] = field(default_factory=dict)
    rader: dict[tuple[str, str], Location] = field(default_factory=dict)
    plats_namnd: Location | None = None
    #: the year *Bokfört utfall* says its outturn is for (C1, written by import-utfall; None:
    #: not said, or no such sheet), where it is said, and the rows of :attr:`utfall` whose
    #: outturn to date came from that sheet (their indices): :func:`bokfort_for_year` takes
    #: them out again when the year is not the follow-up's
    bokfort_ar: int | None = None
    bokfort_ar_plats: Location | None = None
    bokfort_rader: list[int] = field(default_factory=list)
    #: the committee's own settings Bokslutsår and Kommun as typed (None / "": blank), and
    #: where: the municipality workbook's apply, a disagreement is said (:func:`against_kommun`)
    bokslutsar: int | None = None
    bokslutsar_plats: Location | None = None
    kommun: str = ""
    kommun_plats: Location | None = None
    #: the header cell in tblDrift of each year column (by its name): where a year column
    #: left wholly blank is said (``outputs.compute_outputs``)
    drift_rubriker: dict[str, Location] = field(default_factory=dict)


def _text(cell: Cell | None) -> str:
    if cell is None:
        return ""
    v = cell.value
    if type(v) is str:  # the common case (str(v) is v): the tests below change nothing for it
        return v.strip()
    if v is None:
        return ""
    if isinstance(v, Decimal) and v.is_finite() and v == v.to_integral_value():
        return str(int(v))
    return str(v).strip()


def _cells_of(row: TableRow, *headers: str) -> list[Cell | None]:
    """The row's cells under ``headers`` (None for a column the table does not have)."""
    return [row.get(h) for h in headers]


def _unnamed(row: TableRow, name: str, amounts: Sequence[str], findings: list[Finding]) -> None:
    """V10 for a row without its ``name`` (the task, the result unit) that holds an amount in one
    of the ``amounts`` columns: it is skipped, and its amounts would count nowhere."""
    filled = [c for c in _cells_of(row, *amounts) if c is not None and not c.is_blank]
    if filled:
        findings.append(Finding("V10", Severity.ERROR,
                                f"Raden har belopp ({', '.join(c.address for c in filled)}) men "
                                f"ingen {name.lower()}, så de räknas inte med någonstans. Fyll i "
                                f"{name}, eller töm beloppen.", location=row[name].location))


def _choice(cell: Cell | None, kind: type[Principle] | type[Organ], header: str,
            findings: list[Finding], obj: str) -> str:
    """A choice cell (Princip, Bindande mot) as its canonical value ("netto", "fullmäktige"; an
    alias such as "Nettoprincipen" or "KS" too); "" when blank. An unknown text is a V10 error at
    the cell and "" (the default applies, and the error marks the result): never a guess, never a
    crash later."""
    text = _text(cell)
    if not text:
        return ""
    known = _CHOSEN.get((kind, text))
    if known is not None:  # this text named this choice before
        return known
    try:
        value = kind.parse(text).value
    except ValueError:
        values = [m.value for m in kind]
        choices = ", ".join(values[:-1]) + " eller " + values[-1]
        findings.append(Finding("V10", Severity.ERROR,
                                f"{header} {text!r} är inget giltigt val; välj {choices} i "
                                "listan.", object=obj,
                                location=cell.location if cell is not None else None))
        return ""
    if len(_CHOSEN) < 1_000:
        _CHOSEN[(kind, text)] = value
    return value


#: What a task of each financing is bound on by the rules, when its Princip says otherwise
_BOUND_BY_RULE = {
    Finansiering.NETTOENHET: "En nettoenhet binds netto, på sitt verksamhetsbidrag",
    Finansiering.BALANSENHET: "En annan balansenhet binds netto, på räkenskapsperiodens resultat",
    Finansiering.AFFARSVERK: "Ett affärsverk ligger utanför kommunens budget; gentemot "
                             "fullmäktige binder bara de poster kommunen budgeterar för det",
}


def _binding(row: TableRow, fin: Finansiering, f: list[Finding], name: str) -> tuple[str, str]:
    """A task's (Princip, Bindande mot) from its tblUppgifter row, checked against its financing
    (found 2026-12: both were taken without a word where the rules allow no choice):

    * Princip brutto is a budget-financed task's choice only (V1 error at the cell otherwise;
      the rule's binding applies, under the error);
    * an enterprise's items bind towards its direktion, or fullmäktige for the council's posts
      (KL 120 §), never a committee or the executive board (V6 error); a direktion is an
      enterprise's board, so no other task binds towards one (V1 error); fullmäktige applies."""
    princ = _choice(row["Princip"], Principle, "Princip", f, name)
    mot = _choice(row["Bindande mot"], Organ, "Bindande mot", f, name)
    if princ == Principle.BRUTTO.value and fin in _BOUND_BY_RULE:
        f.append(Finding("V1", Severity.ERROR,
                         f"{_BOUND_BY_RULE[fin]}; Princip brutto gäller bara budgetfinansierade "
                         "uppgifter. Töm Princip (eller välj netto), eller ändra finansieringen.",
                         object=name, location=row["Princip"].location))
        princ = ""
    if fin is Finansiering.AFFARSVERK and mot in (Organ.NAMND.value,
                                                   Organ.KOMMUNSTYRELSEN.value):
        f.append(Finding("V6", Severity.ERROR,
                         f"Ett affärsverks poster är bindande gentemot direktionen (och de poster "
                         f"fullmäktige budgeterar för det gentemot fullmäktige), inte gentemot "
                         f"{Organ(mot).bestamd}. Välj direktion eller fullmäktige.",
                         object=name, location=row["Bindande mot"].location))
        mot = ""
    elif fin is not Finansiering.AFFARSVERK and mot == Organ.DIREKTION.value:
        f.append(Finding("V1", Severity.ERROR,
                         "En direktion är ett affärsverks styrelse; uppgiften är inget "
                         "affärsverk, så dess poster kan inte vara bindande gentemot en direktion. "
                         "Välj fullmäktige, kommunstyrelsen eller nämnd (eller ändra "
                         "finansieringen till affärsverk).",
                         object=name, location=row["Bindande mot"].location))
        mot = ""
    return princ, mot or Organ.FULLMAKTIGE.value


#: (kind, cell text) → the choice ``kind.parse`` found for it (issue 17: parse walks the enum's
#: members, a Python loop, for every row); texts it refuses are not kept.
_CHOSEN: dict[tuple[type, str], str] = {}


def _listed(cell: Cell | None, listed: Sequence[str], header: str, findings: list[Finding],
            also: Sequence[str] = ()) -> str:
    """A cell that holds one of the template list's values (case-insensitive; ``also``: other
    spellings accepted), as that value; "" when blank. Anything else is a V10 error at the
    cell, and "" (the caller's default, under that error)."""
    text = _text(cell).casefold()
    if not text or text in listed or text in also:
        return text
    choices = ", ".join(listed[:-1]) + " eller " + listed[-1]
    findings.append(Finding("V10", Severity.ERROR,
                            f"{header} {_text(cell)!r} är inget giltigt val; välj {choices} i "
                            "listan.", location=cell.location if cell is not None else None))
    return ""


def _yes_no(cell: Cell, findings: list[Finding], default: bool | None = None) -> bool | None:
    text = _text(cell).casefold()
    if text in ("ja", "j", "yes", "kyllä", "sant", "true", "1"):
        return True
    if text in ("nej", "n", "no", "ei", "falskt", "false", "0"):
        return False
    if not text:
        return default
    findings.append(Finding("V10", Severity.ERROR,
                            f"Värdet {cell.value!r} ska vara ja eller nej; välj i listan.",
                            location=cell.location))
    return default


#: The longest text a cell of an input table may hold. Names are quoted in findings and written
#: into results; a comment of two pages is not a budget input. Longer text is a located finding
#: and the value is cut, so nothing downstream (messages, output cells) grows with it.
MAX_TEXT_CHARS = 1_000


_cells_attr = attrgetter("cells")
_value_attr = attrgetter("value")


def _longest_text(t: Table) -> int:
    """The length of the longest text (``str``, a subclass too) in the rows of ``t``, 0 when
    none; the lengths found in C, with no Python-level step per cell (issue 17)."""
    values = list(map(_value_attr, chain.from_iterable(map(_cells_attr, t.rows))))
    return max(map(len, compress(values, map(isinstance, values, repeat(str)))), default=0)


def _bounded_texts(t: Table, findings: list[Finding], path: Path) -> Table:
    """``t`` with every text longer than :data:`MAX_TEXT_CHARS` cut, one finding per cell."""
    if _longest_text(t) <= MAX_TEXT_CHARS:
        return t  # what the search below finds for such a table: no cell
    long_cells = {(i, j) for i, row in enumerate(t.rows) for j, c in enumerate(row.cells)
                  if isinstance(c.value, str) and len(c.value) > MAX_TEXT_CHARS}
    if not long_cells:
        return t
    rows = []
    for i, row in enumerate(t.rows):
        cells = list(row.cells)
        for j, c in enumerate(cells):
            if (i, j) in long_cells:
                n = f"{len(c.value):,}".replace(",", "\u00a0")
                findings.append(Finding(
                    "V10", Severity.ERROR,
                    f"Texten i cellen är {n} tecken lång ({excerpt(c.value)}); högst "
                    f"{MAX_TEXT_CHARS:,} tecken ryms i verktygets tabeller. Korta texten."
                    .replace(",", "\u00a0"),
                    location=Location(workbook=path.name, sheet=c.sheet, cell=c.address,
                                      table=t.name)))
                cells[j] = c._replace(value=f"{c.value[:60]}…")
        rows.append(replace(row, cells=tuple(cells)))
    return replace(t, rows=tuple(rows))


def _table(r: TableSource, spec: TableSpec, findings: list[Finding],
           extra: Sequence[str] = ()) -> Table | None:
    required = [*spec.headers, *extra]
    try:
        res = r.table(spec.name, required)
    except WorkbookReadError as err:  # the table's sheet cannot be read at all
        finding = _with_workbook(err.finding, r.path)
        if finding not in findings:  # one finding per broken sheet, not one per table on it
            findings.append(finding)
        return None
    findings.extend(_with_workbook(f, r.path) for f in res.findings)
    t = res.table
    if t is not None and not all(t.has(h) for h in required):
        missing = [h for h in required if not t.has(h)]
        if not res.findings:
            findings.append(Finding(
                "V10", Severity.ERROR,
                f"Tabellen {spec.name} saknar kolumnen {', '.join(map(repr, missing))}; "
                "återställ rubriken som i mallen.",
                location=Location(workbook=r.path.name, sheet=t.sheet, table=spec.name)))
        return None  # the table cannot be read without its columns; the finding says why
    return t if t is None else _bounded_texts(t, findings, r.path)


def _with_workbook(f: Finding, path: Path) -> Finding:
    from dataclasses import replace

    loc = f.location or Location()
    return replace(f, location=replace(loc, workbook=loc.workbook or path.name))


def _amount(cell: Cell, findings: list[Finding], line: str | None = None,
            year: int | None = None, obj: str | None = None) -> Decimal | None:
    # Most cells are fine: parse without building the cell's Location, and again with it only
    # for a finding (the finding then says where, exactly as before).
    result = parse_amount(cell.value, line=line, year=year, object=obj)
    if isinstance(result, Finding):
        result = parse_amount(cell.value, location=cell.location, line=line, year=year, object=obj)
        findings.append(result)
        return None
    return result


def _code(row: TableRow, findings: list[Finding], parts: Sequence[str],
          amounts: Sequence[str] = ()) -> str | None:
    """The line code of a row: the Kod column, else the Rad label; both must agree.

    A row with neither is skipped; when one of its ``amounts`` columns is filled in, that is a
    V10 error (its amounts would count nowhere: never dropped without a word)."""
    cat = catalogue()
    row_code, row_label = row.get("Kod"), row.get("Rad")
    code_text, label_text = _text(row_code), _text(row_label)
    key = (cat, code_text, label_text, parts) if type(parts) is tuple else None
    if key is not None:
        code = _QUIET_CODES.get(key)
        if code is not None:  # these texts gave this code before, without a finding
            return code
    before = len(findings)
    code = _code_of(row, findings, parts, amounts, cat, code_text, label_text)
    if (key is not None and code is not None and len(findings) == before
            and len(_QUIET_CODES) < 10_000):
        _QUIET_CODES[key] = code
    return code


#: (catalogue, Kod text, Rad text, parts) → the code :func:`_code_of` gave for them without a
#: finding (issue 17: every row of every workbook names its line). Such an answer depends on
#: nothing else (the cells are used only to locate findings), so the same texts give it again.
_QUIET_CODES: dict[tuple[object, str, str, tuple[str, ...]], str] = {}


def _code_of(row: TableRow, findings: list[Finding], parts: Sequence[str],
             amounts: Sequence[str], cat: Catalogue, code_text: str, label_text: str
             ) -> str | None:
    """:func:`_code` for the row's Kod and Rad texts, worked out from the catalogue."""
    row_code, row_label = row.get("Kod"), row.get("Rad")
    if not code_text and not label_text:
        filled = [c for c in _cells_of(row, *amounts) if c is not None and not c.is_blank]
        if filled:
            at = row_code or row_label or filled[0]
            findings.append(Finding(
                "V10", Severity.ERROR,
                f"Raden har belopp ({', '.join(c.address for c in filled[:3])}"
                f"{' …' if len(filled) > 3 else ''}) men varken Kod eller Rad, så de räknas inte "
                "med någonstans. Fyll i Kod (eller radens namn i Rad), eller töm beloppen.",
                location=at.location))
        return None
    code = None
    if code_text:
        try:
            code = cat.resolve(code_text, parts)
        except LabelError as err:
            findings.append(Finding("V10", Severity.ERROR,
                                    f"{err.message}. Välj en kod ur mallen eller töm Kod-cellen "
                                    "och skriv radens namn i Rad.", location=row_code.location))
            return None
    if label_text:
        try:
            by_label = cat.resolve(label_text, parts)
        except LabelError as err:
            if code is None:
                findings.append(Finding("V10", Severity.ERROR,
                                        f"{err.message}. Skriv radens namn som i mallen eller "
                                        "ange Kod.", location=row_label.location))
            by_label = None
        if code is not None and by_label is not None and by_label != code \
                and (cat[code].source or code) != by_label:  # (a transfer: its source's name)
            findings.append(Finding("V10", Severity.WARNING,
                                    f"Koden {code} och radnamnet {label_text!r} ({by_label}) "
                                    "avser olika poster; koden gäller. Rätta den ena.",
                                    location=row_label.location))
        code = code or by_label
    return code


def read_kolumner(r: TableSource, findings: list[Finding],
                  cells: list[tuple[Cell, Cell]] | None = None) -> list[Kolumn]:
    """The year columns of tblAr, in order; problems become findings. ``cells``, when given, is
    extended with each column's År and Typ cells (in the order of the columns returned)."""
    t = _table(r, T.AR, findings)
    out: list[Kolumn] = []
    if t is None:
        return out
    year_cells: list[Cell] = []
    for row in t.rows:
        name = _text(row["Kolumn"])
        if not name:
            continue
        year_cell = row["År"]
        year = _amount(year_cell, findings)
        if year is None or year != year.to_integral_value():
            if year is not None or year_cell.value is None:
                findings.append(Finding("V10", Severity.ERROR,
                                        f"Årskolumnen {name!r} saknar ett årtal; skriv året (t.ex. "
                                        "2026).", location=year_cell.location))
            continue
        # as typed (15 significant digits, as KB_NYCKELTAL reads it): int() truncated a
        # projected 14 950,6 to 14 950 and 0,5 to 0 (found 2026-12)
        inv = _number(row["Invånare"], findings) if row.get("Invånare") is not None else None
        typ = _listed(row["Typ"], AR_TYPER, "Typ", findings) or "budget"
        out.append(Kolumn(name, int(year), typ, inv))
        year_cells.append(year_cell)
        if cells is not None:
            cells.append((year_cell, row["Typ"]))
    years = [k.ar for k in out]
    if years != sorted(years) or len(set(years)) != len(years):
        findings.append(Finding("V10", Severity.ERROR,
                                "Årskolumnerna i tblAr ska stå i stigande ordning utan dubbletter "
                                f"(nu: {', '.join(map(str, years))}); sortera raderna.",
                                location=Location(sheet=T.AR.sheet, table=T.AR.name)))
    else:  # the checks take the year before the budget year, the ratios a run of years
        for before, k, cell in zip(years, out[1:], year_cells[1:], strict=False):
            if k.ar != before + 1:
                missing = (str(before + 1) if k.ar == before + 2
                           else f"{before + 1}–{k.ar - 1}")
                findings.append(Finding(
                    "V10", Severity.ERROR,
                    f"Årskolumnerna i tblAr ska vara på varandra följande år, men {before} följs "
                    f"av {k.ar} ({missing} saknas). Likviditets- och balanskontrollerna (V7, V8) "
                    "och nyckeltalen räknar med året före budgetåret och med en följd av år. Lägg "
                    f"till årskolumnen för {missing} (i tblAr och i indatatabellerna) eller rätta "
                    "året.", location=cell.location))
    if not out:
        findings.append(Finding("V10", Severity.ERROR,
                                "Inga årskolumner i tblAr; fyll i minst en kolumn.",
                                location=Location(sheet=T.AR.sheet, table=T.AR.name)))
    return out


def _year_values(t: Table, row_index: int, kolumner: Sequence[Kolumn], code: str | None,
                 findings: list[Finding], obj: str | None = None,
                 columns: Sequence[int | None] | None = None) -> tuple[Decimal | None, ...]:
    """The row's amount in each year column (None where blank or a finding). ``columns``:
    :func:`_year_columns` of the table, worked out once by a caller that reads many rows.

    A tuple: what the engine's :func:`~engine.statements.compute` takes as it is (given a
    list, it copies every row into a tuple first, which made a task's statement 2.4 times as
    slow)."""
    row = t.rows[row_index]
    if columns is None:
        columns = [row.position(k.namn) for k in kolumner]
    cells = row.cells
    # the whole row at once; parse_amount (with the cell's location) only for what may be a
    # finding, in column order as before (issue 17)
    vals = parse_amounts([None if j is None else cells[j].value for j in columns], code)
    for n, v in enumerate(vals):
        if v is GENERAL:
            vals[n] = _amount(cells[columns[n]], findings, line=code,  # type: ignore[index]
                              year=kolumner[n].ar, obj=obj)
    return tuple(vals)  # type: ignore[arg-type]


def _year_columns(t: Table, kolumner: Sequence[Kolumn]) -> list[int | None]:
    """Where each year column is in the table's rows (None: no such column), as ``row.get(namn)``
    finds it (the rows of a table share its header index)."""
    return [t.position(k.namn) for k in kolumner]


def _missing_year_columns(t: Table, kolumner: Sequence[Kolumn], findings: list[Finding]) -> None:
    for k in kolumner:
        if not t.has(k.namn):
            findings.append(Finding(
                "V10", Severity.ERROR,
                f"Tabellen {t.name} saknar årskolumnen {k.namn!r} (enligt tblAr). Lägg till "
                "kolumnen med exakt den rubriken eller rätta tblAr.",
                location=Location(sheet=t.sheet, cell=t.ref.split(":")[0], table=t.name)))


#: The settings a workbook's tblInstallningar may hold (case-insensitive), besides the add-in's
#: own (``addin.buttons``: where the buttons find the other workbooks). Any other key is a typo
#: whose value would be ignored (a mistyped Bokslutsår, Samkommun or Språk left the default
#: without a word): a warning at the key.
KOMMUN_SETTINGS = ("Kommun", "Valuta", "Bokslutsår", "Språk", "Samkommun", "V9-kriterier",
                   MALLVERSION_INSTALLNING)
NAMND_SETTINGS = ("Nämnd", "Kommun", "Bokslutsår", MALLVERSION_INSTALLNING)
ADDIN_SETTINGS = ("Nämndarbetsböcker", "Kommunarbetsbok")


def _settings(t: Table | None, findings: list[Finding] | None = None,
              known: Sequence[str] = ()) -> dict[str, Cell]:
    """The settings by key (casefolded). With ``known``, a key not among them (nor the add-in's)
    and a value without a key are V10 warnings at the cell: never ignored without a word."""
    out: dict[str, Cell] = {}
    if t is None:
        return out
    names = {k.casefold() for k in (*known, *ADDIN_SETTINGS)}
    for row in t.rows:
        key = _text(row["Inställning"]).casefold()
        if known and findings is not None and not row.is_blank and key not in names:
            listed = ", ".join(known)
            findings.append(Finding(
                "V10", Severity.WARNING,
                (f"Inställningen {excerpt(_text(row['Inställning']), 60)} är okänd och läses "
                 if key else "Raden har ett värde men ingen inställning och läses ") +
                f"inte; skriv inställningens namn som i mallen ({listed}).",
                location=row["Inställning"].location))
        if not key:
            continue
        value = row["Värde"]
        if isinstance(value.value, CellError):  # never a committee called "#REF!"
            if findings is not None:
                findings.append(Finding(
                    "V10", Severity.ERROR,
                    f"Inställningen {_text(row['Inställning'])!r} har felvärdet {value.value}; "
                    "skriv in värdet i cellen.", location=value.location))
            continue
        out[key] = value
    return out


class TableSource(Protocol):
    """What the loader needs from a workbook: its name and its tables by name and header.

    Implemented by the file reader (:class:`reader.WorkbookReader`) and by the live-Excel adapter
    (:mod:`addin.excel_adapter`); the loader does not know which one it reads."""

    path: Path

    def table(self, name: str, headers: Sequence[str] = ()) -> TableResult: ...

    def __enter__(self) -> TableSource: ...

    def __exit__(self, *exc: object) -> None: ...


def _percent_formats(source: TableSource, rows: Sequence[TableRow]) -> list[bool | None]:
    """Per row of tblRegler, whether its Värde cell shows percent (True), not (False) or is
    not known (None). Asked of the source only for a non-zero number given for a percent
    setting (a few cells, often none); a source that cannot tell (no ``percent_formatted``)
    gives None, and such a number up to 1 is refused as ambiguous (rb_rules)."""
    out: list[bool | None] = [False] * len(rows)
    asked: dict[int, Cell] = {}
    for i, row in enumerate(rows):
        cell = row["Värde"]
        v = cell.value
        if (isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) and v != 0
                and is_percent_setting(row.value("Inställning"))):
            asked[i] = cell
    if not asked:
        return out
    ask = getattr(source, "percent_formatted", None)
    for sheet in {c.sheet for c in asked.values()}:
        known = ask(sheet, [c.address for c in asked.values() if c.sheet == sheet]) if ask \
            else {}
        for i, c in asked.items():
            if c.sheet == sheet:
                out[i] = known.get(c.address)
    return out


def _path_of(source: str | Path | TableSource) -> Path:
    return Path(source) if isinstance(source, (str, Path)) else source.path


def _open(source: str | Path | TableSource, findings: list[Finding]) -> TableSource | None:
    """A reader for a file, or the given source itself (live Excel); an unreadable file is a
    finding."""
    if not isinstance(source, (str, Path)):
        return source
    path = Path(source)
    try:
        return open_workbook(path)
    except WorkbookReadError as err:
        findings.append(_with_workbook(err.finding, path))
    except OSError as err:
        findings.append(Finding("IN", Severity.ERROR,
                                f"Filen kan inte läsas ({err.strerror or err}); kontrollera "
                                "sökvägen och behörigheten.", location=Location(workbook=path.name)))
    return None


def _years_against_bokslutsar(inp: KommunInput, cell: Cell | None,
                              f: list[Finding]) -> None:
    """Bokslutsår (the last closed accounts, B) against the year columns of tblAr: B + 1 is the
    current year, whose outturn the tablå follows up against its budget column, and B + 2 the
    budget year (the sammandrag, V7, V8). Found 2026-12 in the yearly rollover: with tblAr moved
    on and Bokslutsår not (or the reverse) the tablå took the accounts column "Bokslut 2025" as
    the budget, or next year's budget and a plan column, and with Bokslutsår blank the tablå and
    its U1 checks were left out; each without a word. Each is a V10 error at Bokslutsår (the
    run is marked incomplete); a column of a year not yet closed typed bokslut too."""
    cols = inp.kolumner
    if not cols:
        return
    where = cell.location if cell is not None else Location(workbook=inp.path.name,
                                                            sheet=T.INSTALLNINGAR.sheet)
    b = inp.bokslutsar
    if b is None:
        if cell is None or cell.is_blank:  # (a value that is no year is said by parse_year)
            f.append(Finding("V10", Severity.ERROR,
                             "Bokslutsår saknas under Inställningar. Det anger året för det "
                             "senaste bokslutet och därmed innevarande år (bokslutsåret + 1, "
                             "vars utfall tablån följer upp) och budgetåret (bokslutsåret + 2). "
                             "Fyll i det (t.ex. 2024).", location=where))
        return
    typ = {c.ar: c for c in cols}
    wrong = []
    for year, what in ((b + 1, "innevarande år (tablån över budgetens utfall)"),
                       (b + 2, "budgetåret (sammandraget och balanskontrollerna)")):
        c = typ.get(year)
        if c is None:
            wrong.append(f"{what}, {year}, har ingen årskolumn")
        elif c.typ in ("bokslut", "plan"):
            wrong.append(f"{what}, {year}, är kolumnen {c.namn!r} av typen {c.typ}")
    late = [c.namn for c in cols if c.ar > b and c.typ == "bokslut"]
    if late:
        wrong.append(f"{', '.join(repr(n) for n in late)} är bokslut för ett år efter "
                     "bokslutsåret")
    if wrong:
        f.append(Finding("V10", Severity.ERROR,
                         f"Bokslutsåret {b} stämmer inte med årskolumnerna i tblAr: "
                         f"{'; '.join(wrong)}. Har åren flyttats fram bara på ena stället? "
                         "Rätta Bokslutsår eller tblAr (År och Typ) så att de hör till samma "
                         "år.", location=where))


@without_gc_pauses  # reading allocates many small tuples, no cycles (issue 17)
def read_kommun(source: str | Path | TableSource) -> KommunInput:
    """Read the municipality workbook from a file or any :class:`TableSource`."""
    inp = KommunInput(_path_of(source))
    f = inp.findings
    r = _open(source, f)
    if r is None:
        inp.readable = False
        return inp
    path = inp.path
    with r:
        s = _settings(_table(r, T.INSTALLNINGAR, f), f, KOMMUN_SETTINGS)
        inp.installningar = {key: cell.value for key, cell in s.items()}
        inp.kommun = _text(s.get("kommun")) or path.stem
        inp.sprak = "fi" if _text(s.get("språk")).casefold().startswith("fi") else "sv"
        if "bokslutsår" in s:
            y = parse_year(s["bokslutsår"].value, location=s["bokslutsår"].location)
            if isinstance(y, Finding):  # 2024,6 was read as 2024 and 24 as the year 24
                f.append(y)
            else:
                inp.bokslutsar = y
        if "samkommun" in s:
            inp.samkommun = bool(_yes_no(s["samkommun"], f, False))
        inp.kolumner = read_kolumner(r, f)
        _years_against_bokslutsar(inp, s.get("bokslutsår"), f)
        n = len(inp.kolumner)

        t = _table(r, T.CENTRALA, f)
        if t is not None:
            _missing_year_columns(t, inp.kolumner, f)
            columns = _year_columns(t, inp.kolumner)
            years = [k.namn for k in inp.kolumner]
            for i, row in enumerate(t.rows):
                kod = _text(row.get("Kod"))
                if kod[:3].upper() == "IN.":  # the investeringsdel is its projects' sum
                    f.append(Finding(
                        "V10", Severity.ERROR,
                        f"Investeringsdelens rad {kod} budgeteras per projekt i tblInvesteringar "
                        "(fliken Investeringar), inte bland de centrala posterna (investeringsdelen "
                        "är projektens summa: här syntes raden inte där). Flytta beloppen "
                        "till ett projekt, eller ange finansieringsdelens rad (FD.IK.…).",
                        object=kod, location=row["Kod"].location))
                    continue
                # (a name such as "Investeringsutgifter" is the finansieringsdel's line here)
                code = _code(row, f, ("RR", "FD", "BAL"), years)
                if code is None:
                    continue
                vals = _year_values(t, i, inp.kolumner, code, f, columns=columns)
                if code in inp.central:
                    f.append(Finding("V1", Severity.ERROR,
                                     f"Posten {code} finns två gånger i tblCentrala; slå ihop "
                                     "raderna.", object=code, location=row["Kod"].location))
                    continue
                inp.central[code] = vals
                inp.central_plats[code] = (row.get("Kod") or row["Rad"]).location
                if code.startswith("BAL."):
                    cells = t.rows[i].cells
                    for kol, j in zip(inp.kolumner, columns, strict=True):
                        if j is not None:
                            inp.central_celler[(code, kol.ar)] = cells[j].location

        t = _table(r, T.INVESTERINGAR, f)
        projekt_namnd: dict[str, Location] = {}  # each project's Nämnd cell (its first row)
        if t is not None:
            _missing_year_columns(t, inp.kolumner, f)
            inp.projekt = _projekt(t, inp.kolumner, f, inp.projekt_uppgift)
            names = {p.namn for p in inp.projekt}
            for row in t.rows:
                name = _text(row["Projekt"])
                if name in names and name not in inp.projekt_plats:
                    inp.projekt_plats[name] = row["Projekt"].location
                    projekt_namnd[name] = row["Nämnd"].location

        t = _table(r, T.UTFALL_KOMMUN, f)
        seen_utfall: dict[tuple[str, str], str] = {}
        seen_ratt: set[str] = set()  # the objects given a right, casefolded
        if t is not None:
            for row in t.rows:
                if row.is_blank:
                    continue
                obj = _text(row["Objekt"])
                code = _code(row, f, ("RR", "FD", "IN"),
                             ("Utfall hittills", "Prognos helår", "Överskridningsrätt"))
                if code is None:
                    continue
                key = ((obj or code).casefold(), code)
                if key in seen_utfall:  # never counted twice (found by an audit, 2026-12)
                    f.append(Finding(
                        "V1", Severity.ERROR,
                        f"Utfallet för {obj or code!r}, post {code}, finns redan på rad "
                        f"{seen_utfall[key]}; raden räknas inte (inget räknas två gånger). Slå "
                        "ihop raderna.", object=obj or code, location=row["Kod"].location))
                    continue
                seen_utfall[key] = row["Kod"].address
                if not (row["Utfall hittills"].is_blank and row["Prognos helår"].is_blank):
                    # (a row with neither figure carries only an överskridningsrätt: no
                    # outturn row, never a blank forecast beside a committee's own rows)
                    inp.utfall.append(PostUtfall(
                        obj or code, code,
                        _amount(row["Utfall hittills"], f, line=code, obj=obj or code),
                        _amount(row["Prognos helår"], f, line=code, obj=obj or code),
                        row["Kod"].location))
                ratt = row.get("Överskridningsrätt")
                if ratt is not None and not ratt.is_blank:
                    value = _amount(ratt, f, obj=obj or code)
                    if value is not None and (obj or code).casefold() in seen_ratt:
                        # one right per object: which of two? never the last one silently
                        f.append(Finding(
                            "V10", Severity.ERROR,
                            f"Överskridningsrätt anges på flera rader för {obj or code!r}; den "
                            "gäller objektet. Ange den på en rad och töm de andra.",
                            object=obj or code, location=ratt.location))
                    elif value is not None:
                        # one object whatever the case it is typed in (as the outturn rows)
                        seen_ratt.add((obj or code).casefold())
                        inp.overskridningsratt[obj or code] = abs(value)
                        inp.overskridningsratt_plats[obj or code] = ratt.location

        if "v9-kriterier" in s:
            inp.v9_version = _text(s["v9-kriterier"]).casefold() or "2019"
        _balans_och_kris(r, inp, f)

        t = _table(r, T.ANDRINGAR, f)
        if t is not None:
            for row in t.rows:
                if row.is_blank:
                    continue
                inp.andringar.append({h: row[h] for h in T.ANDRINGAR.headers})

        t = _table(r, T.REGLER, f)
        if t is not None:
            rows = [row for row in t.rows if not row.is_blank]
            table = [["Inställning", "Värde"]] + [[row.value("Inställning"), row.value("Värde")]
                                                   for row in rows]
            # each row's findings at its Värde cell (the header row has none); a number for a
            # percent setting is read with its cell's format: "10 %" typed is stored as 0.1
            regler, rf = rules_from_table(table, locations=[None, *(row["Värde"].location
                                                                    for row in rows)],
                                          percent_format=[False, *_percent_formats(r, rows)])
            f.extend(_with_workbook(x, path) for x in rf)
            inp.regler = regler

        t = _table(r, T.NAMNDER, f)
        if t is not None:
            for row in t.rows:
                name = _text(row["Nämnd"])
                if name and name.casefold() in inp.namnder_plats:  # which goal flag? never a guess
                    f.append(Finding("V1", Severity.ERROR,
                                     f"Nämnden {name!r} finns två gånger i nämndlistan (tblNamnder, "
                                     "även rad "
                                     f"{(inp.namnder_plats[name.casefold()].cell or '').lstrip('ABCDEFGHIJKLMNOPQRSTUVWXYZ')}"
                                     "); ta bort den ena raden.", object=name,
                                     location=row["Nämnd"].location))
                    continue
                if not name:  # a goal flag or a comment on a row without its committee
                    if not row.is_blank:
                        f.append(Finding("V10", Severity.WARNING,
                                         "Raden i nämndlistan (tblNamnder) saknar nämndens namn, "
                                         "så den läses inte. Fyll i Nämnd, eller töm raden.",
                                         location=row["Nämnd"].location))
                    continue
                if name:  # blank = not stated: no surplus carried, and a finding (R3)
                    ok = _yes_no(row["Måluppfyllelse"], f, None)
                    inp.namnder.append(Namnd(name, maluppfyllelse=ok))
                    inp.namnder_plats.setdefault(name.casefold(), row["Måluppfyllelse"].location)
        if inp.namnder:  # a project's committee not in the list (a typo): said, at its cell
            for p in inp.projekt:
                if p.namnd and p.namnd.casefold() not in inp.namnder_plats:
                    f.append(Finding(
                        "V1", Severity.WARNING,
                        f"Projektet {p.namn!r} hör enligt kolumnen Nämnd till {p.namnd!r}, som "
                        "inte finns i nämndlistan (tblNamnder på fliken Resultatbalansering in), "
                        "så projektets fynd visas inte hos någon nämnd. Skriv nämndens namn "
                        "som i listan.", object=p.namn, location=projekt_namnd.get(p.namn)))
        t = _table(r, T.JUSTERINGAR, f)
        if t is not None:
            for row in t.rows:
                if row.is_blank:
                    continue
                if row["Belopp"].is_blank:  # a reason without an amount: never dropped silently
                    _half_filled(row, ("Belopp",), f, "en justering utan belopp ändrar inget "
                                 "resultat; raden räknas inte")
                    continue
                amount = _amount(row["Belopp"], f)
                if amount is None:
                    continue
                niva = _listed(row["Nivå"], RB_NIVAER, "Nivå", f, also=("namnd",)) or "enhet"
                niva = "namnd" if niva.startswith("n") else "enhet"
                if niva == "namnd" and _text(row["Resultatenhet"]):
                    f.append(Finding("R2", Severity.WARNING,
                                     f"Justeringen har nivå nämnd men anger resultatenheten "
                                     f"{_text(row['Resultatenhet'])!r}: den förs på nämnden, inte "
                                     "på enheten. Ändra Nivå till enhet om den gäller enheten, "
                                     "annars töm Resultatenhet.", object=_text(row["Nämnd"]),
                                     location=row["Resultatenhet"].location))
                inp.justeringar.append(Justering(_text(row["Nämnd"]), amount, _text(row["Orsak"]),
                                                 niva, _text(row["Resultatenhet"]) or None,
                                                 plats=row["Nämnd"].location,
                                                 plats_orsak=row["Orsak"].location))
        t = _table(r, T.TIDPLAN, f)
        if t is not None:
            dates: list[date | None] = [None] * 4
            # a step without its row is found at the table (the first cell of its Datum column)
            places: list[Location | None] = [Location(sheet=T.TIDPLAN.sheet,
                                                      table=T.TIDPLAN.name)] * 4
            for row in t.rows:
                step = _text(row["Steg"])
                if step in RB_STEG:
                    dates[RB_STEG.index(step)] = _date(row["Datum"], f)
                    places[RB_STEG.index(step)] = row["Datum"].location
                elif step or not row.is_blank:  # a step renamed or mistyped: never ignored
                    f.append(Finding(
                        "V10", Severity.WARNING,
                        f"Steget {excerpt(step, 60)} i tidplanen är inget av stegen "
                        f"({', '.join(RB_STEG)}); raden läses inte. Skriv stegets namn som i "
                        "mallen.", location=row["Steg"].location))
            inp.tidplan = Tidplan(*dates, platser=tuple(places))
        del n
    inp.findings[:] = [_with_workbook(x, path) for x in f]
    return inp


def _optional_table(r: TableSource, spec: TableSpec, f: list[Finding]) -> Table | None:
    """A table that older workbooks may not have: absent is fine, broken is a finding."""
    find = getattr(r, "find_table", None)
    try:
        if find is not None and find(spec.name) is None:
            return None
    except WorkbookReadError as err:  # a sheet's damaged relationships part: the tables are
        finding = _with_workbook(err.finding, r.path)  # not found (one finding for it)
        if finding not in f:
            f.append(finding)
        return None
    return _table(r, spec, f)


def _number(cell: Cell, findings: list[Finding]) -> Decimal | None:
    """A key figure or ratio (tblKris) at the precision Excel holds it, not rounded to the cent
    (0,7951 is under 0,8); text and error values are V10 findings as for amounts."""
    result = parse_number(cell.value, location=cell.location)
    if isinstance(result, Finding):
        findings.append(result)
        return None
    return result


def _year(cell: Cell, f: list[Finding]) -> int | None:
    year = parse_year(cell.value, location=cell.location)
    if isinstance(year, Finding):
        f.append(year)
        return None
    return year


def _balans_och_kris(r: TableSource, inp: KommunInput, f: list[Finding]) -> None:
    """Approved accounts' accumulated surplus (V8 deadline, V9), the specified measures for
    covering a deficit (V8) and the evaluation-procedure key figures (V9)."""
    t = _optional_table(r, T.BOKSLUT, f)
    for row in t.rows if t is not None else ():
        if row.is_blank:
            continue
        ar, acc = _year(row["Bokslutsår"], f), _amount(row["Ackumulerat överskott"], f)
        approved = None if row["Fastställt år"].is_blank else _year(row["Fastställt år"], f)
        _half_filled(row, ("Bokslutsår", "Ackumulerat överskott"), f,
                     "ett fastställt bokslut behövs för tidsfristen i V8 och V9; en rad utan "
                     "år eller belopp räknas inte")
        if ar is not None and acc is not None:
            inp.historik.append(Bokslutsbalans(ar, acc, approved, row["Bokslutsår"].location,
                                               row["Ackumulerat överskott"].location))
    t = _optional_table(r, T.ATGARDER, f)
    for row in t.rows if t is not None else ():
        if row.is_blank:
            continue
        if row["Belopp"].is_blank or row["År"].is_blank:
            # said even when there is no deficit (V8 looks at the measures only then); a warning:
            # with a deficit, V8's own error says what the counted measures fall short by
            _half_filled(row, ("Belopp", "År"), f,
                         "en specificerad åtgärd täcker ett underskott (V8) med sitt belopp det "
                         "år den verkar; en rad utan belopp eller år räknas inte",
                         Severity.WARNING)
            continue
        belopp = _amount(row["Belopp"], f)
        ar = _year(row["År"], f)
        inp.atgarder.append(Atgard(_text(row["Åtgärd"]), belopp, ar, row["Åtgärd"].location))
    t = _optional_table(r, T.KRIS, f)
    fields = ("koncern_ackumulerat_per_inv", "skattesats", "skattesats_vagt_medel",
              "koncern_arsbidrag_per_avskrivningar_pct", "koncern_lan_och_hyresansvar_per_inv",
              "koncern_lan_och_hyresansvar_per_inv_medel",
              "koncern_kalkylerat_lanehanteringsbidrag", "koncern_arsbidrag_utan_provning",
              "koncern_lan_per_inv", "koncern_lan_per_inv_medel",
              "koncern_relativ_skuldsattning_pct")
    for row in t.rows if t is not None else ():
        if row.is_blank:
            continue
        ar = _year(row["År"], f)
        if ar is None:
            _half_filled(row, ("År",), f, "nyckeltalen för utvärderingsförfarandet (V9) gäller "
                         "ett bokslutsår; raden räknas inte")
            continue
        values = {name: (None if row[h].is_blank else _number(row[h], f))
                  for name, h in zip(fields, T.KRIS.headers[1:], strict=True)}
        inp.kris.append(KrisNyckeltal(ar, **values, location=row["År"].location))


def _half_filled(row: TableRow, needed: Sequence[str], f: list[Finding], why: str,
                 severity: Severity = Severity.ERROR) -> None:
    """V10: a row of a table with something typed but one of the ``needed`` cells blank, at the
    blank cell; such a row used to be left out without a word."""
    for header in needed:
        cell = row[header]
        if cell.is_blank:
            f.append(Finding("V10", severity,
                             f"{header} saknas på raden ({why}). Fyll i {header.lower()} eller "
                             "töm hela raden.", location=cell.location))


def _date(cell: Cell, findings: list[Finding]) -> date | None:
    v = cell.value
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v.strip())
        except ValueError:
            pass
    findings.append(Finding("V10", Severity.ERROR,
                            f"{v!r} är inte ett datum; skriv datumet som ÅÅÅÅ-MM-DD.",
                            location=cell.location))
    return None


def _cost(cell: Cell, what: str, obj: str, f: list[Finding]) -> Decimal | None:
    """A project's total cost figure, typed as a cost (negative, like investeringsutgifter);
    returned as the positive amount of expenditure the engine's :class:`Projekt` holds."""
    if cell.is_blank:
        return None
    amount = _amount(cell, f, obj=obj)
    if amount is None:
        return None
    wrong = cost_sign_finding(what, amount, location=cell.location, object=obj,
                              note=" (I arbetsböcker från version 0.1 skrevs den positiv.)")
    if wrong is not None:
        f.append(wrong)
        return None
    return -amount


def _projekt(t: Table, kolumner: Sequence[Kolumn], f: list[Finding],
             uppgift_plats: dict[str, Location] | None = None) -> list[Projekt]:
    """The projects of tblInvesteringar, one per name, from one row per line (IN.UTG, IN.FA …).

    A project's own cells (Nämnd, Uppgift, Princip, Kostnadskalkyl, Tidigare år) may be typed on
    any of its rows, once or alike on several; typed differently on two rows they are a V1
    error at the second, and the first value counts (found 2026-12: the first row's Princip,
    Nämnd and Uppgift and the last row's Kostnadskalkyl were taken without a word, so the row
    order decided a project's binding or whether an enterprise's investment entered the
    municipality's sums). A name written in another case than on its first row is a V1 error at
    the row, which is not counted (one project or two? the outturn and the budget changes match
    names without regard to case). ``uppgift_plats``: filled with each project's Uppgift cell."""
    grouped: dict[str, dict[str, object]] = {}
    spelled: dict[str, str] = {}  # casefolded name -> the name as on its first row
    first: dict[tuple[str, str], str] = {}  # (project, field) -> the cell that set it
    columns = _year_columns(t, kolumner)
    amounts = [*(k.namn for k in kolumner), "Kostnadskalkyl", "Tidigare år"]

    def own(name: str, g: dict[str, object], key: str, header: str, value: object,
            cell: Cell, shown: str) -> None:
        """Set ``g[key]`` from this row's ``cell`` unless an earlier row set it to another
        value: then a V1 error at this cell and the earlier value stays."""
        if (name, key) not in first:
            g[key] = value
            first[(name, key)] = cell.address
        elif g[key] != value and not (isinstance(value, str) and isinstance(g[key], str)
                                      and g[key].casefold() == value.casefold()):
            f.append(Finding("V1", Severity.ERROR,
                             f"Projektet {name!r} har {header} {shown} här men något annat på "
                             f"raden i {first[(name, key)]}; det gäller projektet och ska stå "
                             "lika på alla dess rader (eller bara på en). Rätta den ena.",
                             object=name, location=cell.location))

    for i, row in enumerate(t.rows):
        name = _text(row["Projekt"])
        if not name:
            if not row.is_blank:
                f.append(Finding("V10", Severity.ERROR, "Raden saknar projektnamn; fyll i "
                                 "Projekt.", location=row["Projekt"].location))
            continue
        known = spelled.setdefault(name.casefold(), name)
        if known != name:
            f.append(Finding("V1", Severity.ERROR,
                             f"Projektet skrivs {name!r} här men {known!r} på en rad ovanför; "
                             "raden räknas inte (samma projekt eller två?). Skriv namnet lika på "
                             "projektets alla rader, eller ge två projekt olika namn.",
                             object=name, location=row["Projekt"].location))
            continue
        code = _code(row, f, ("IN",), amounts)
        if code is None:
            continue
        vals = _year_values(t, i, kolumner, code, f, obj=name, columns=columns)
        g = grouped.setdefault(name, {"namnd": "", "uppgift": None, "netto": False,
                                      "kalkyl": None, "tidigare": ZERO, "belopp": {}})
        for header, key in (("Nämnd", "namnd"), ("Uppgift", "uppgift")):
            cell = row[header]
            text = _text(cell)
            if text:
                own(name, g, key, header, text, cell, repr(text))
                if key == "uppgift" and uppgift_plats is not None:
                    uppgift_plats.setdefault(name, cell.location)
        princip = _choice(row["Princip"], Principle, "Princip", f, name)
        if princip:
            own(name, g, "netto", "Princip", princip == Principle.NETTO.value, row["Princip"],
                repr(princip))
        for header, key, what in (
                ("Kostnadskalkyl", "kalkyl", "Kostnadskalkylen"),
                ("Tidigare år", "tidigare", "Tidigare års investeringsutgifter")):
            value = _cost(row[header], what, name, f)
            if value is not None:
                own(name, g, key, header, value, row[header], format_sv(-value))
        belopp = g["belopp"]
        assert isinstance(belopp, dict)
        if code in belopp:
            f.append(Finding("V1", Severity.ERROR,
                             f"Projektet {name!r} har posten {code} på två rader; slå ihop dem.",
                             object=name, location=row["Projekt"].location))
            continue
        belopp[code] = vals
    return [Projekt(name, str(g["namnd"]), bool(g["netto"]), g["kalkyl"],  # type: ignore[arg-type]
                    g["tidigare"], g["uppgift"], g["belopp"])  # type: ignore[arg-type]
            for name, g in grouped.items()]


@without_gc_pauses  # reading allocates many small tuples, no cycles (issue 17)
def read_namnd(source: str | Path | TableSource,
               kolumner: Sequence[Kolumn] | None = None) -> NamndInput:
    """Read a committee workbook from a file or any :class:`TableSource`. ``kolumner`` are the
    municipality's year columns (the committee workbook's own tblAr is used when not given)."""
    inp = NamndInput(_path_of(source))
    f = inp.findings
    r = _open(source, f)
    if r is None:
        inp.readable = False
        return inp
    path = inp.path
    with r:
        s = _settings(_table(r, T.INSTALLNINGAR, f), f, NAMND_SETTINGS)
        inp.namnd = _text(s.get("nämnd"))
        if not inp.namnd:
            f.append(Finding("V10", Severity.ERROR,
                             "Nämndens namn saknas under Inställningar (Nämnd); fyll i det.",
                             location=s["nämnd"].location if "nämnd" in s else None))
            inp.namnd = path.stem
        inp.plats_namnd = (s["nämnd"].location if "nämnd" in s
                           else Location(workbook=path.name, sheet=T.INSTALLNINGAR.sheet))
        _own_settings(inp, s, f)
        own_cells: list[tuple[Cell, Cell]] = []
        own = read_kolumner(r, f, own_cells)
        kol = list(kolumner) if kolumner is not None else own
        if kolumner is not None and [k.namn for k in own] != [k.namn for k in kolumner]:
            f.append(Finding("V10", Severity.WARNING,
                             "Nämndarbetsbokens årskolumner skiljer sig från kommunens "
                             f"({', '.join(k.namn for k in kolumner)}); kommunens gäller. Uppdatera "
                             "tblAr.", location=Location(sheet=T.AR.sheet, table=T.AR.name)))
        if kolumner is not None:
            _years_against_kommun(own, own_cells, kolumner, f)

        fin: dict[str, Finansiering] = {}
        t = _table(r, T.UPPGIFTER, f)
        has_uppgifter = t is not None  # (a missing table is a finding of its own)
        if t is not None:
            first_row: dict[str, str] = {}
            for row in t.rows:
                name = _text(row["Uppgift"])
                if not name:
                    continue
                if name.casefold() in first_row:  # its financing or principle would be a guess
                    f.append(Finding("V1", Severity.ERROR,
                                     f"Uppgiften {name!r} finns två gånger i tblUppgifter (även "
                                     f"{first_row[name.casefold()]}); slå ihop raderna.",
                                     object=name, location=row["Uppgift"].location))
                    continue
                first_row[name.casefold()] = row["Uppgift"].address
                try:
                    fin[name] = Finansiering.parse(_text(row["Finansiering"]) or
                                                   "budgetfinansierad")
                except ValueError:
                    f.append(Finding("V10", Severity.ERROR,
                                     f"Okänd finansieringsform {row.value('Finansiering')!r}; välj "
                                     "i listan.", object=name,
                                     location=row["Finansiering"].location))
                    fin[name] = Finansiering.BUDGETFINANSIERAD
                inp.plats.setdefault(name, row["Uppgift"].location)
                inp.principer[name] = _binding(row, fin[name], f, name)

        t = _table(r, T.DRIFT, f)
        belopp: dict[str, dict[str, list[Decimal | None]]] = {}
        if t is not None:
            _missing_year_columns(t, kol, f)
            inp.drift_rubriker = {
                k.namn: _at(t.header_cell(k.namn).location, path) for k in kol if t.has(k.namn)}
            columns = _year_columns(t, kol)
            years = [k.namn for k in kol]
            for i, row in enumerate(t.rows):
                task = _text(row["Uppgift"])
                if not task:
                    _unnamed(row, "Uppgift", years, f)
                    continue
                code = _code(row, f, ("RR", "DR", "FD"), years)
                if code is None:
                    continue
                if task not in fin:
                    f.append(Finding("V1", Severity.ERROR,
                                     f"Uppgiften {task!r} finns inte i tblUppgifter; lägg till "
                                     "den där.", object=task, location=row["Uppgift"].location))
                    fin[task] = Finansiering.BUDGETFINANSIERAD
                vals = _year_values(t, i, kol, code, f, obj=task, columns=columns)
                inp.rader.setdefault((task, code), row["Uppgift"].location)
                lines = belopp.setdefault(task, {})
                if code in lines:
                    f.append(Finding("V1", Severity.ERROR,
                                     f"Uppgiften {task!r} har posten {code} på två rader; slå ihop "
                                     "dem.", object=task, location=row["Kod"].location))
                    continue
                lines[code] = vals
        inp.uppgifter = [Uppgift(name, inp.namnd, fin[name], belopp.get(name, {}))
                         for name in fin]
        if not inp.uppgifter and has_uppgifter:
            # an untouched template: the committee would count as zero in a run called
            # complete (found 2026-12); it is missing until its budget is filled in, as a
            # committee of the list without a workbook is
            f.append(Finding(
                "V1", Severity.ERROR,
                f"Nämndens arbetsbok har inga uppgifter (tabellen {T.UPPGIFTER.name} är tom), "
                "så nämnden saknas i sammanställningen. Fyll i nämndens uppgifter och budget.",
                object=inp.namnd, location=Location(sheet=T.UPPGIFTER.sheet,
                                                    table=T.UPPGIFTER.name)))

        t = _table(r, T.UTFALL, f)
        seen_utfall: dict[tuple[str, str], str] = {}
        if t is not None:
            for row in t.rows:
                task = _text(row["Uppgift"])
                if not task:
                    _unnamed(row, "Uppgift", ("Utfall hittills", "Prognos helår"), f)
                    continue
                code = _code(row, f, ("RR", "DR", "FD"), ("Utfall hittills", "Prognos helår"))
                if code is None:
                    continue
                # never counted twice (found by an audit, 2026-12: both rows were summed into
                # the tablå without a word, flipping statuses)
                first = seen_utfall.get((task.casefold(), code))
                if first is not None:
                    f.append(Finding(
                        "V1", Severity.ERROR,
                        f"Utfallet för {task!r}, post {code}, finns redan på rad {first}; raden "
                        "räknas inte (inget räknas två gånger). Slå ihop raderna.",
                        object=task, location=row["Uppgift"].location))
                    continue
                seen_utfall[(task.casefold(), code)] = row["Uppgift"].address
                inp.utfall.append(PostUtfall(
                    task, code,
                    _amount(row["Utfall hittills"], f, line=code, obj=task),
                    _amount(row["Prognos helår"], f, line=code, obj=task),
                    row["Uppgift"].location))

        _bokfort_utfall(r, inp)

        inp.mallversion = _mallversion(s, f)
        t = _table(r, T.RESULTATENHETER, f)
        if t is not None:
            inp.enheter, inp.justeringar = _enheter(t, inp.namnd, f, inp.mallversion)
    inp.findings[:] = [_with_workbook(x, path) for x in f]
    return inp


def _at(loc: Location, path: Path) -> Location:
    """``loc`` naming the workbook ``path`` (a live-Excel cell may not)."""
    return loc if loc.workbook else replace(loc, workbook=path.name)


def _own_settings(inp: NamndInput, s: dict[str, Cell], f: list[Finding]) -> None:
    """The committee's own Bokslutsår and Kommun, kept with their cells for
    :func:`against_kommun` (the municipality workbook's apply). A Bokslutsår that is no year is
    a V10 warning at the cell: it is not used, but never ignored without a word."""
    cell = s.get("kommun")
    if cell is not None and not cell.is_blank:
        inp.kommun, inp.kommun_plats = _text(cell), cell.location
    cell = s.get("bokslutsår")
    if cell is None or cell.is_blank:
        return
    inp.bokslutsar_plats = cell.location
    year = parse_year(cell.value, location=cell.location)
    if isinstance(year, Finding):
        f.append(Finding("V10", Severity.WARNING,
                         f"Bokslutsåret {excerpt(_text(cell), 40)} är inget år. Det används inte "
                         "(kommunens arbetsboks Bokslutsår gäller); skriv året (t.ex. 2025) eller "
                         "töm cellen.", location=cell.location))
    else:
        inp.bokslutsar = year


def _years_against_kommun(own: Sequence[Kolumn], cells: Sequence[tuple[Cell, Cell]],
                          kolumner: Sequence[Kolumn], f: list[Finding]) -> None:
    """A year column of the committee's tblAr named as one of the municipality's but with
    another År or Typ: the municipality's applies, a V10 warning at the committee's cell (a
    committee that rolled its years on under the same names saw no sign, found 2026-12)."""
    theirs = {k.namn.casefold(): k for k in kolumner}
    for k, (year_cell, typ_cell) in zip(own, cells, strict=True):
        other = theirs.get(k.namn.casefold())
        if other is None:
            continue  # (a renamed column: the table's warning above)
        if k.ar != other.ar:
            f.append(Finding(
                "V10", Severity.WARNING,
                f"Årskolumnen {k.namn!r} har året {k.ar} här men {other.ar} i kommunens "
                f"arbetsbok; kommunens år ({other.ar}) gäller. Rätta tblAr så att den stämmer "
                "med kommunens arbetsbok (har bara nämndens arbetsbok rullats fram ett år?).",
                location=year_cell.location))
        if k.typ != other.typ:
            f.append(Finding(
                "V10", Severity.WARNING,
                f"Årskolumnen {k.namn!r} har typen {k.typ!r} här men {other.typ!r} i kommunens "
                f"arbetsbok; kommunens typ ({other.typ}) gäller. Rätta Typ i tblAr så att den "
                "stämmer med kommunens arbetsbok.", location=typ_cell.location))


def against_kommun(n: NamndInput, kommun: str, bokslutsar: int | None) -> NamndInput:
    """``n`` with a V10 warning for each of its own settings that disagrees with the
    municipality workbook's (``kommun``: its Kommun as typed, "" when blank; ``bokslutsar``):
    the municipality's applies, so no figure changes, but a committee that rolled its year on
    alone (or a neighbour's workbook in the folder) saw no sign before 2026-12. A blank
    setting on either side says nothing."""
    found = []
    if n.bokslutsar is not None and bokslutsar is not None and n.bokslutsar != bokslutsar:
        found.append(Finding(
            "V10", Severity.WARNING,
            f"Nämndens Bokslutsår är {n.bokslutsar} men kommunens arbetsbok har {bokslutsar}; "
            f"kommunens gäller (uppföljningsåret {bokslutsar + 1}), så nämndens utfall och "
            "resultatenheter räknas som det årets. Rätta Bokslutsår under Inställningar så att "
            "arbetsböckerna hör till samma år.", object=n.namnd,
            location=_at(n.bokslutsar_plats or Location(sheet=T.INSTALLNINGAR.sheet), n.path)))
    if n.kommun and kommun and n.kommun.casefold() != kommun.strip().casefold():
        found.append(Finding(
            "V10", Severity.WARNING,
            f"Nämndarbetsboken anger kommunen {excerpt(n.kommun, 60)!r} men kommunens arbetsbok "
            f"{excerpt(kommun.strip(), 60)!r}; nämnden räknas ändå med i den kommunens "
            "sammanställning. Är det rätt arbetsbok? Rätta Kommun under Inställningar, eller ta "
            "bort arbetsboken ur mappen.", object=n.namnd,
            location=_at(n.kommun_plats or Location(sheet=T.INSTALLNINGAR.sheet), n.path)))
    return replace(n, findings=[*n.findings, *found]) if found else n


BOKFORT_MAX_ROWS = 125_000  # 16 columns × 125,000 rows = the reader's MAX_SHEET_CELLS


def _bokfort_utfall(r: TableSource, inp: NamndInput) -> None:
    """The outturn imported from the bookkeeping (owned sheet *Bokfört utfall*, written by
    import-utfall) is the outturn to date of every (task, line) whose *Utfall hittills* was left
    empty in tblUtfall; a typed figure wins."""
    read_range = getattr(r, "range", None)
    names = getattr(r, "sheet_names", None)  # the file reader has both; live Excel reads none
    if callable(names):
        names = names()
    if read_range is None or names is None or BOKFORT_SHEET not in names:
        return
    try:
        last = r.used_rows(BOKFORT_SHEET) if hasattr(r, "used_rows") else 20_000
        if last < 4:
            return
        if last > BOKFORT_MAX_ROWS:  # a stray value far below: never a 16-column block of it
            inp.findings.append(Finding(
                "V10", Severity.ERROR,
                f"Bladet {BOKFORT_SHEET!r} har innehåll ända ner till rad {last}, fler rader än "
                f"kommunbudget läser ({BOKFORT_MAX_ROWS}). Ta bort innehållet under tabellen "
                "eller kör import-utfall igen.",
                location=Location(workbook=inp.path.name, sheet=BOKFORT_SHEET)))
            return
        res = read_range(BOKFORT_SHEET, f"A1:P{last}")  # the title row too: its year (C1)
    except WorkbookReadError as err:  # the sheet cannot be read at all: a finding, not a crash
        inp.findings.append(_with_workbook(err.finding, inp.path))
        return
    if res.cells is None:
        return
    typed = {(u.objekt.casefold(), u.kod): i for i, u in enumerate(inp.utfall)}
    bokfort: dict[tuple[str, str], Decimal] = {}
    for row in res.cells[3:]:  # like read_bokfort, but every total checked where it stands
        if len(row) < 16 or not row[0].value or not row[1].value:
            continue
        total = row[15]
        if not isinstance(total.value, (int, float, Decimal)) or isinstance(total.value, bool):
            continue
        amount = parse_amount(total.value, location=Location(
            workbook=inp.path.name, sheet=total.sheet, cell=total.address))
        if isinstance(amount, Finding):
            inp.findings.append(amount)
            continue
        bokfort[(str(row[0].value), str(row[1].value))] = amount
    if not bokfort:
        return
    if not _bokfort_year(res.cells, inp):  # a C1 that is no year: none of it counts
        return
    for (task, code), total in bokfort.items():
        i = typed.get((task.casefold(), code))
        if i is None:
            inp.bokfort_rader.append(len(inp.utfall))
            inp.utfall.append(PostUtfall(task, code, total, None,
                                         Location(workbook=inp.path.name, sheet=BOKFORT_SHEET)))
        elif inp.utfall[i].utfall is None:
            old = inp.utfall[i]
            inp.bokfort_rader.append(i)
            inp.utfall[i] = PostUtfall(old.objekt, old.kod, total, old.prognos, old.location)


def _bokfort_year(cells: Sequence[Sequence[Cell]], inp: NamndInput) -> bool:
    """The year *Bokfört utfall* says its rows are for (C1, written by import-utfall since
    2026-12), kept in ``inp`` for :func:`bokfort_for_year`. False (an error at C1: the rows do
    not count) when C1 holds anything but a year; an empty C1 (a sheet an older version wrote)
    is a warning at C1 and the rows count, as they did (docs/DECISIONS.md, 2026-12)."""
    r, c = parse_cell(BOKFORT_AR_CELL)
    row = cells[r - 1] if len(cells) >= r else ()
    cell = row[c - 1] if len(row) >= c else None
    at = Location(workbook=inp.path.name, sheet=BOKFORT_SHEET, cell=BOKFORT_AR_CELL)
    inp.bokfort_ar_plats = at
    value = None if cell is None or cell.is_blank else cell.value
    if value is None:
        inp.findings.append(Finding(
            "V10", Severity.WARNING,
            f"Bladet {BOKFORT_SHEET!r} har bokfört utfall men inget utfallsår (cell "
            f"{BOKFORT_AR_CELL} är tom): det skrevs av en äldre version av import-utfall, så "
            "det går inte att se vilket år utfallet gäller. Det räknas som årets utfall "
            "hittills; är det ett tidigare års (arbetsboken kopierad från förra året) blir "
            "utfallet fel. Kör import-utfall med årets export (då skrivs året och kontrolleras), "
            "eller töm bladet.", location=at))
        return True
    year = parse_year(value, location=at)  # (the one year parser: text years, dates …)
    if not isinstance(year, int):
        inp.findings.append(Finding(
            "V10", Severity.ERROR,
            f"Utfallsåret i bladet {BOKFORT_SHEET!r} (cell {BOKFORT_AR_CELL}) är "
            f"{excerpt(str(value), 40)}, inte ett år, så det går inte att se vilket år det "
            "bokförda utfallet gäller; det räknas inte. Kör import-utfall med årets export "
            "(den skriver året), eller töm bladet.", location=at))
        return False
    inp.bokfort_ar = year
    return True


def bokfort_for_year(n: NamndInput, bokslutsar: int | None) -> NamndInput:
    """``n`` with the outturn of its *Bokfört utfall* counted only when the sheet is for the
    follow-up year, ``bokslutsar`` + 1: else a V10 error at the sheet's year (C1), the rows
    that came from it taken out again (a typed row's Utfall hittills blank once more) and the
    committee's input thereby in error (the run is incomplete, as for any input error). Found
    by a test of the yearly rollover (2026-12): the workbooks copied and their years moved on,
    last year's imported bookings were this year's outturn to date, without a word. Not judged
    when the follow-up year is not known or the sheet says no year (the loader's warning)."""
    if not n.bokfort_rader or bokslutsar is None or n.bokfort_ar is None \
            or n.bokfort_ar == bokslutsar + 1:
        return n
    year = bokslutsar + 1
    taken = set(n.bokfort_rader)
    utfall: list[PostUtfall] = []
    for i, r in enumerate(n.utfall):
        if i in taken:
            if r.location is not None and r.location.sheet == BOKFORT_SHEET:
                continue  # a row of the sheet alone
            r = PostUtfall(r.objekt, r.kod, None, r.prognos, r.location)
        utfall.append(r)
    f = Finding(
        "V10", Severity.ERROR,
        f"Bladet {BOKFORT_SHEET!r} har bokfört utfall för {n.bokfort_ar} (cell "
        f"{BOKFORT_AR_CELL}), men uppföljningsåret är {year} (Bokslutsår {bokslutsar} plus "
        f"ett), så det räknas inte som årets utfall hittills (arbetsboken är troligen kopierad "
        f"från förra året). Kör import-utfall med exporten för {year}, eller töm bladet.",
        object=n.namnd, location=n.bokfort_ar_plats)
    return replace(n, utfall=utfall, findings=[*n.findings, f], bokfort_rader=[])


def _mallversion(s: dict[str, Cell], f: list[Finding]) -> str:
    """The template version the workbook was made with (setting *Mallversion*). Workbooks of
    version 0.1 have no such setting; they took Resultatenheter's amounts as costs positive."""
    cell = s.get(MALLVERSION_INSTALLNING.casefold())
    if cell is None or cell.is_blank:
        return MALLVERSION_RESULTATENHETER_KOSTNAD_POSITIV
    text = _text(cell).replace(",", ".")
    if text not in (MALLVERSION_RESULTATENHETER_KOSTNAD_POSITIV, MALLVERSION):
        f.append(Finding("V10", Severity.ERROR,
                         f"Okänd mallversion {cell.value!r}; den här versionen av kommunbudget "
                         f"läser {MALLVERSION_RESULTATENHETER_KOSTNAD_POSITIV} och {MALLVERSION}. "
                         f"Skriv {MALLVERSION} om Resultatenheter har publicerade tecken "
                         "(kostnader negativa).", location=cell.location))
        return ""
    return text


def _enheter(t: Table, namnd: str, f: list[Finding], version: str = MALLVERSION
             ) -> tuple[list[Resultatenhet], list[Justering]]:
    """The result units of tblResultatenheter. Budget and Utfall are net amounts in published
    signs (a net cost negative, as in tblDrift); a version 0.1 workbook has them costs positive
    and they are converted (negated) here. A unit whose budget and outturn have different signs,
    or a committee whose every unit has a positive net budget (costs typed positive), is an error
    finding and gives no units: never a result with a silently flipped sign. The Justering
    column becomes unit-level adjustments (R2, reason: the Kommentar), shown on their own so that
    Resultat + Justering = Justerat resultat on every row."""
    if not version:  # unknown template version: the finding says so; never guess the signs
        return [], []
    old = version == MALLVERSION_RESULTATENHETER_KOSTNAD_POSITIV
    how = ("enligt mallversion 0.1 (Mallversion saknas under Inställningar), där kostnader anges "
           "positiva" if old else "med publicerade tecken som i Driftsbudget (kostnader negativa)")
    out: list[Resultatenhet] = []
    adjustments: list[Justering] = []
    signs: list[tuple[Decimal, Decimal]] = []
    first_budget: Cell | None = None
    seen: dict[str, str] = {}
    for row in t.rows:
        name = _text(row["Resultatenhet"])
        if not name:
            _unnamed(row, "Resultatenhet", ("Budget", "Utfall", "Justering"), f)
            continue
        if name.casefold() in seen:
            f.append(Finding("V1", Severity.ERROR,
                             f"Resultatenheten {name!r} finns två gånger (även {seen[name.casefold()]}"
                             "); slå ihop raderna eller byt namn.", object=name,
                             location=row["Resultatenhet"].location))
            continue
        seen[name.casefold()] = row["Resultatenhet"].address
        before = len(f)
        budget = _amount(row["Budget"], f, obj=name)
        utfall = _amount(row["Utfall"], f, obj=name)
        if len(f) > before:
            continue
        if budget is None or utfall is None:
            missing = row["Budget"] if budget is None else row["Utfall"]
            f.append(Finding("V10", Severity.ERROR,
                             f"Resultatenheten {name!r} saknar {'budget' if budget is None else 'utfall'}"
                             f"; fyll i nettobeloppet {how}.", object=name,
                             location=missing.location))
            continue
        if old:  # 0.1: costs positive -> published signs
            budget, utfall = -budget, -utfall
        problem = tecken_fel(budget, utfall)
        if problem:
            f.append(Finding("V10", Severity.ERROR,
                             f"Resultatenheten {name!r}: {problem} Tabellen läses {how}.",
                             object=name, location=row["Utfall"].location))
            continue
        signs.append((budget, utfall))
        first_budget = first_budget or row["Budget"]
        justering = _amount(row["Justering"], f, obj=name) or ZERO
        central = bool(_yes_no(row["Central"], f, False))
        mal = _yes_no(row["Måluppfyllelse"], f, None)  # blank = not stated (R4 finding)
        plan = _yes_no(row["Handlingsplan"], f, None)
        use = _text(row["Planerad användning"])
        anvandning = tuple((u.strip(), None) for u in use.split(";") if u.strip())
        out.append(Resultatenhet(namnd, name, utfall - budget, maluppfyllelse=mal,
                                 central=central, budget=budget, anvandning=anvandning,
                                 handlingsplan=plan, plats=row["Resultatenhet"].location))
        if justering:
            adjustments.append(Justering(namnd, justering, _text(row["Kommentar"]) or
                                         "Justering (Resultatenheter)", "enhet", name,
                                         plats=row["Justering"].location))
    if kostnader_positiva(signs):
        if old:
            what = ("Alla resultatenheter har negativ nettobudget, men arbetsboken är gjord med "
                    "mallversion 0.1 (Mallversion saknas under Inställningar), där kostnader "
                    "anges positiva: beloppen ser ut att vara skrivna med publicerade tecken och "
                    "skulle få omvänt tecken. Antingen skriv kostnaderna positiva, eller lägg till "
                    f"inställningen {MALLVERSION_INSTALLNING} = {MALLVERSION} under Inställningar "
                    "(då gäller publicerade tecken, kostnader negativa).")
        else:
            what = ("Alla resultatenheter har positiv nettobudget (nettointäkt). Resultatenheter "
                    "anges med publicerade tecken som i Driftsbudget: en nettokostnad på 10 000 "
                    "skrivs −10 000. Byt tecken på Budget och Utfall.")
        f.append(Finding("V10", Severity.ERROR,
                         f"Nämnden {namnd}: {what} Resultatbalanseringen görs inte för nämnden "
                         "förrän tecknen är rättade.", object=namnd,
                         location=first_budget.location if first_budget else None))
        return [], []
    # some units with a net income among units with a net cost: possible (a rental unit), and
    # what one unit typed with costs positive looks like (its surplus read as a deficit)
    negative = sum(1 for e in out if e.budget is not None and e.budget < 0)
    if negative >= 2:
        for e in out:
            if e.budget is not None and e.budget > 0:
                f.append(Finding(
                    "V10", Severity.WARNING,
                    f"Resultatenheten {e.namn!r} har positiv nettobudget (nettointäkt) medan "
                    f"nämndens andra enheter har nettokostnad. Kontrollera tecknen: kostnader "
                    "skrivs negativa (en nettokostnad på 10 000 är −10 000), annars blir enhetens "
                    "överskott ett underskott. Har enheten verkligen en nettointäkt är allt rätt.",
                    object=f"{namnd} / {e.namn}", location=e.plats))
    if old and out:
        f.append(Finding("V10", Severity.INFO,
                         "Resultatenheter läses enligt mallversion 0.1 (kostnader positiva) och "
                         "räknas om till publicerade tecken. För att gå över till samma tecken "
                         "som Driftsbudget: byt tecken på Budget och Utfall och lägg till "
                         f"inställningen {MALLVERSION_INSTALLNING} = {MALLVERSION} under "
                         "Inställningar.", object=namnd,
                         location=first_budget.location if first_budget else None))
    return out, adjustments


def read_bokfort(rows: Sequence[Sequence[object]]) -> dict[tuple[str, str], Decimal]:
    """``{(uppgift, kod): Summa}`` from the owned sheet's values (header row first)."""
    out: dict[tuple[str, str], Decimal] = {}
    for row in rows[1:]:
        if len(row) < 16 or not row[0] or not row[1]:
            continue
        total = row[15]
        if isinstance(total, (int, float, Decimal)) and not isinstance(total, bool):
            out[(str(row[0]), str(row[1]))] = Decimal(str(total))
    return out
