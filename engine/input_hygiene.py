"""Input hygiene: raw cell values to exact amounts or findings (rule V10, spec §8).

The workbook reader hands each input cell to :func:`parse_amount` and gets back either a
``Decimal`` (rounded to the cent once, spec §4) or a :class:`~engine.findings.Finding` that names
the cell and says what to do. Never a traceback, never a silent zero:

* text in a number cell (also numbers stored as text, unless the reader opts in);
* Excel error values (#REF!, #VALUE!, #N/A, #DIV/0!, #NAME?, #NUM!, #NULL!, #SPILL!, #CALC!, …);
* a blank cell, according to an explicit policy (``blank="noll" | "saknas" | "fel"``);
* an amount with the wrong sign for its line (:data:`LINE_SIGNS`): the one convention is the
  published one, income +, costs − (:mod:`engine.signs`, shared with the worksheet functions);

and for headers and codes:

* a year column that is missing, duplicated, or a header cell that is empty (merged) or not a
  year (:func:`check_year_columns`, :func:`parse_year_header`);
* an unknown line code, with a suggestion (:func:`check_line_codes`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal

from engine.checks import FD_ALLA, RR_ALLA
from engine.findings import Finding, Location, Severity, excerpt
from engine.money import (
    CENT,
    MAX_AMOUNT,
    ZERO,
    AmountTooLarge,
    D,
    MoneyError,
    short_number,
    to_money,
)
from engine.money import format_sv as _sv
from engine.signs import LINE_SIGNS, line_sign_finding

__all__ = [
    "AMOUNT_PROBLEMS",
    "EXCEL_ERRORS",
    "GENERAL",
    "LINE_SIGNS",
    "NO_CACHED_VALUE",
    "AmountProblem",
    "check_amount_sign",
    "check_line_codes",
    "check_year_columns",
    "excel_error",
    "parse_amount",
    "parse_amounts",
    "parse_number",
    "parse_year",
    "parse_year_header",
    "read_amount",
]

#: What the workbook reader gives for a formula cell without a cached value (a file written by a
#: script and never computed): a located finding, never a blank.
NO_CACHED_VALUE = "#INGET_VÄRDE"

#: Excel error values and what they usually mean (for the message).
EXCEL_ERRORS: dict[str, str] = {
    "#REF!": "en formel hänvisar till en cell som inte längre finns",
    "#VALUE!": "en formel räknar med text eller fel typ av värde",
    "#N/A": "ett uppslag (t.ex. LETARAD/XLOOKUP) hittade inget värde",
    "#DIV/0!": "division med noll",
    "#NAME?": "formeln använder ett okänt namn eller en okänd funktion",
    "#NUM!": "ett ogiltigt tal i en beräkning",
    "#NULL!": "ett områdesuttryck som inte skär något område",
    "#SPILL!": "en dynamisk matris kan inte spillas ut",
    "#CALC!": "ett beräkningsfel i en matrisformel",
    "#GETTING_DATA": "data hämtas fortfarande",
    "#FIELD!": "ett fält som inte finns i en datatyp",
    "#BLOCKED!": "en blockerad extern källa",
    "#CONNECT!": "en extern källa som inte kan nås",
    "#BUSY!": "en beräkning som inte är klar",
    "#UNKNOWN!": "en okänd datatyp",
    "#EXTERNAL!": "ett fel från en extern datakälla",
    "#PYTHON!": "ett fel i en Python-formel",
    "#TIMEOUT!": "en Python-formel som tog för lång tid",
}
# Finnish and Swedish Excel display some errors localised.
_LOCAL_ERRORS: dict[str, str] = {
    "#PUUTTUU!": "#N/A",
    "#SAKNAS!": "#N/A",
    "#VIITTAUS!": "#REF!",
    "#REFERENS!": "#REF!",
    "#ARVO!": "#VALUE!",
    "#VÄRDEFEL!": "#VALUE!",
    "#JAKO/0!": "#DIV/0!",
    "#DIVISION/0!": "#DIV/0!",
    "#NIMI?": "#NAME?",
    "#NAMN?": "#NAME?",
    "#LUKU!": "#NUM!",
    "#OGILTIGT!": "#NUM!",
    "#TYHJÄ!": "#NULL!",
    "#SKÄRNING!": "#NULL!",
}

#: The only sign convention: published signs (income +, costs −); see :mod:`engine.signs`.
PUBLICERAT = "publicerat"


def excel_error(value: object) -> str | None:
    """The canonical Excel error code if ``value`` is one (also localised FI/SV forms)."""
    if not isinstance(value, str):
        return None
    text = value.strip().upper()
    if text in EXCEL_ERRORS or text == NO_CACHED_VALUE:
        return text
    return _LOCAL_ERRORS.get(text)


@dataclass(frozen=True)
class AmountProblem:
    """Why a value is not an amount (:func:`read_amount`). ``kind`` is one of
    :data:`AMOUNT_PROBLEMS`; ``error`` the canonical Excel error code for ``"felvärde"``."""

    kind: str
    value: object
    error: str | None = None

    def text(self) -> str:
        """The problem in Swedish, without a location (callers prefix the cell or argument)."""
        v = self.value
        if self.kind == "ej beräknad":
            return ("innehåller en formel utan beräknat värde (filen har aldrig räknats om); "
                    "öppna arbetsboken i Excel, tryck Ctrl+Alt+F9 och spara")
        if self.kind == "felvärde":
            assert self.error is not None
            return (f"innehåller felvärdet {self.error} ({EXCEL_ERRORS[self.error]}); rätta "
                    "formeln eller ersätt den med ett belopp")
        if self.kind == "sanningsvärde":
            return f"innehåller ett sanningsvärde ({v}), inte ett belopp; ange beloppet som tal"
        if self.kind == "datum":
            return f"innehåller {_date_text(v)}, inte ett belopp; ange beloppet som tal"
        if self.kind == "ej ändligt":
            return f"innehåller {v}, inte ett ändligt tal; ange beloppet"
        if self.kind == "för stort":
            return (f"innehåller {short_number(v)}, ett orimligt stort belopp (beloppen ska vara "
                    f"mindre än {_sv(MAX_AMOUNT, 0)}); kontrollera beloppet")
        if self.kind == "siffertext":
            return (f"innehåller text ({excerpt(v)}) där ett belopp ska stå; talet är lagrat som "
                    "text, konvertera cellen till tal")
        if self.kind == "text":
            return (f"innehåller text ({excerpt(v)}) där ett belopp ska stå; skriv in ett belopp "
                    "(bara siffror)")
        return f"innehåller {excerpt(v)}, som inte är ett belopp; skriv in ett belopp"


#: The kinds of :class:`AmountProblem`.
AMOUNT_PROBLEMS = ("ej beräknad", "felvärde", "sanningsvärde", "datum", "ej ändligt",
                   "siffertext", "text", "för stort", "ej belopp")


def read_amount(
    value: object, *, accept_numeric_text: bool = False, exact: bool = False
) -> Decimal | AmountProblem | None:
    """THE parser from a spreadsheet value to an engine amount, for the workbook loader and every
    Excel function alike: ``None`` for a blank (``None`` or only spaces; the caller's policy
    decides what a blank means), exact cents for a number, else an :class:`AmountProblem`.

    Refused: Excel error values (also their FI/SV forms), booleans, dates, non-finite floats and
    text — also a number stored as text ("1000"), unless ``accept_numeric_text``. The value is
    what a reader gives for a cell (float/int/Decimal, str, bool, datetime, None); the add-in
    turns COM's shapes (error integers, the missing-argument marker) into these first.
    ``exact``: the number as Excel holds it (a float's 15 significant digits), not rounded to the
    cent: a key figure or ratio (:func:`parse_number`), never an amount of money.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    err = excel_error(value)
    if err == NO_CACHED_VALUE:  # a formula never computed (see workbook_templates/files/reader)
        return AmountProblem("ej beräknad", value)
    if err is not None:
        return AmountProblem("felvärde", value, err)
    if isinstance(value, bool):
        return AmountProblem("sanningsvärde", value)
    if isinstance(value, (date, datetime, time, timedelta)):  # (a time: e.g. a negative
        return AmountProblem("datum", value)  # number in a date-formatted cell, to calamine)
    if isinstance(value, float) and not math.isfinite(value):
        return AmountProblem("ej ändligt", value)
    if isinstance(value, str) and not accept_numeric_text:
        try:
            to_money(value)
        except AmountTooLarge:
            return AmountProblem("för stort", value)
        except MoneyError:
            return AmountProblem("text", value)
        return AmountProblem("siffertext", value)
    try:
        return _exact_number(value) if exact else to_money(value)
    except AmountTooLarge:  # at or beyond engine.money.MAX_AMOUNT (10**13)
        return AmountProblem("för stort", value)
    except (MoneyError, TypeError, ValueError):
        if isinstance(value, (int, float, Decimal)):
            return AmountProblem("för stort", value)  # finite, but beyond Decimal's precision
        return AmountProblem("ej belopp", value)


def _exact_number(value: object) -> Decimal:
    """A number at the precision Excel holds it (:func:`engine.money.D`: a float's 15
    significant digits), within :data:`MAX_AMOUNT` like an amount."""
    number = D(value)
    if abs(number) >= MAX_AMOUNT:
        raise AmountTooLarge(f"talet är orimligt stort: {short_number(value)}")
    return number


def _cell_message(problem: AmountProblem, location: Location | None) -> str:
    """The loader's V10 wording of an :class:`AmountProblem` (unchanged since issue 3)."""
    where, v = _where(location), problem.value
    if problem.kind == "ej beräknad":
        return (f"Cellen{where} innehåller en formel utan beräknat värde (filen har skapats av "
                "ett program och aldrig räknats om). Öppna arbetsboken i Excel, tryck "
                "Ctrl+Alt+F9 och spara, eller skriv in beloppet.")
    if problem.kind == "felvärde":
        assert problem.error is not None
        return (f"Cellen{where} innehåller felvärdet {problem.error} "
                f"({EXCEL_ERRORS[problem.error]}). Rätta formeln eller ersätt den med ett belopp.")
    if problem.kind == "sanningsvärde":
        return (f"Cellen{where} innehåller ett sanningsvärde ({v}), inte ett belopp. Ange "
                "beloppet som tal.")
    if problem.kind == "datum":
        return (f"Cellen{where} innehåller {_date_text(v)}, inte ett belopp. Ändra cellformatet "
                "till tal och skriv in beloppet.")
    if problem.kind == "ej ändligt":
        return f"Cellen{where} innehåller inget ändligt tal ({v}). Ange beloppet."
    if problem.kind in ("siffertext", "text"):
        hint = ("Talet är lagrat som text; konvertera cellen till tal."
                if problem.kind == "siffertext" else "Skriv in ett belopp (bara siffror).")
        return f"Cellen{where} innehåller text ({excerpt(v)}) där ett belopp ska stå. {hint}"
    if problem.kind == "för stort":
        return (f"Beloppet{where} är orimligt stort ({short_number(v)}); beloppen ska vara "
                f"mindre än {_sv(MAX_AMOUNT, 0)} (Excel räknar exakt med 15 siffror). "
                "Kontrollera cellen: ett felskrivet tal eller ett tal i fel enhet.")
    return f"Cellen{where} innehåller {excerpt(v)}, som inte är ett belopp. Skriv in ett belopp."


def _date_text(v: object) -> str:
    """A date or time value as the messages name it: "ett datum (2025-06-12)", "ett klockslag
    (00:00:00)" (what a reader gives for a number in a date- or time-formatted cell)."""
    if isinstance(v, datetime):
        shown = v.isoformat(sep=" ")
        return f"ett datum ({shown[:10] if shown.endswith(' 00:00:00') else shown})"
    if isinstance(v, date):
        return f"ett datum ({v.isoformat()})"
    if isinstance(v, time):
        return f"ett klockslag ({v.isoformat()})"
    return f"en tidslängd ({v})"


def _where(location: Location | None) -> str:
    return f" i {location}" if location and str(location) else ""


def parse_amount(
    value: object,
    *,
    location: Location | None = None,
    line: str | None = None,
    object: str | None = None,  # noqa: A002 - the Finding field's name
    year: int | None = None,
    blank: str = "saknas",
    konvention: str = PUBLICERAT,
    accept_numeric_text: bool = False,
    line_signs: Mapping[str, str] | None = None,
) -> Decimal | Finding | None:
    """A raw cell value as an amount in published signs, or a V10 finding.

    ``blank``: what an empty cell (``None`` or only spaces) is: ``"noll"`` → 0 (the sheet says
    blanks are zeros), ``"saknas"`` → ``None`` (the caller decides), ``"fel"`` → a finding.
    ``konvention``: only ``"publicerat"`` (income +, costs −) exists; anything else is a finding
    (there is no "costs positive" convention, docs/DECISIONS.md). ``line`` enables the sign check.
    ``accept_numeric_text``: read "1 234,50" stored as text as a number instead of a finding.
    What counts as an amount is decided by :func:`read_amount` (shared with the Excel functions).
    """
    obj = object or line
    signs = line_signs if line_signs is not None else LINE_SIGNS
    if type(value) is Decimal and konvention == PUBLICERAT and value.is_finite() \
            and -MAX_AMOUNT < value < MAX_AMOUNT:
        # The common case (a number the reader read): what read_amount and the general path
        # below compute, without their checks for text, error values, dates and truth values
        # (issue 17; tests/test_input_hygiene.py holds the two paths equal).
        amount = value.quantize(CENT, rounding=ROUND_HALF_UP)  # == to_money(value)
        if line is None:
            return amount
        if line not in signs:
            return Finding("V10", Severity.ERROR,
                           f"Radkoden {line} är okänd.{_suggest(line, signs)} Rätta koden.",
                           obj, year, location)
        return line_sign_finding(line, amount, location=location, year=year, object=obj,
                                 line_signs=signs) or amount
    if konvention != PUBLICERAT:
        return Finding("V10", Severity.ERROR,
                       f"Teckenkonventionen {konvention!r} finns inte; alla belopp anges med "
                       "publiceringens tecken (inkomster positiva, utgifter negativa).",
                       obj, year, location)
    read = read_amount(value, accept_numeric_text=accept_numeric_text)
    if read is None:
        if blank == "noll":
            return ZERO
        if blank == "fel":
            return Finding("V10", Severity.ERROR,
                           f"Cellen{_where(location)} är tom. Fyll i beloppet (0 om inget "
                           "budgeteras).", obj, year, location)
        return None
    if isinstance(read, AmountProblem):
        return Finding("V10", Severity.ERROR, _cell_message(read, location), obj, year, location)
    amount = read
    if line is not None:
        sign = signs.get(line)
        if sign is None:
            return Finding("V10", Severity.ERROR,
                           f"Radkoden {line} är okänd.{_suggest(line, signs)} Rätta koden.",
                           obj, year, location)
        wrong = line_sign_finding(line, amount, location=location, year=year, object=obj,
                                  line_signs=signs)
        if wrong is not None:
            return wrong
    return amount


def parse_number(
    value: object,
    *,
    location: Location | None = None,
    object: str | None = None,  # noqa: A002 - the Finding field's name
    year: int | None = None,
) -> Decimal | Finding | None:
    """A key figure or ratio from a cell (a percentage, a margin such as 0,7951, a figure per
    inhabitant): blank → ``None``, a number at the precision Excel holds it, else the V10 finding
    :func:`parse_amount` gives for the same value (text, error values, dates, truth values).

    Never rounded to the cent: a computed loan-servicing margin of 0,7951 is under the limit 0,8
    (rounded to cents it read 0,80 and was not), 79,996 % is under 80 %."""
    read = read_amount(value, exact=True)
    if read is None or isinstance(read, Decimal):
        return read
    return Finding("V10", Severity.ERROR, _cell_message(read, location), object, year, location)


class _General:
    __slots__ = ()

    def __repr__(self) -> str:
        return "GENERAL"


#: What :func:`parse_amounts` gives for a value that only :func:`parse_amount` may decide.
GENERAL = _General()


def parse_year(value: object, *, location: Location | None = None,
               rule: str = "V10") -> int | Finding | None:
    """A calendar year (1900–2200) from a cell: None for a blank, else the year or a finding
    that names the cell and says a year is wanted (not "an amount", as :func:`parse_amount`
    would: a year typed as text, a date, 2025.5)."""
    got = read_amount(value, exact=True)
    if got is None:
        return None
    if not isinstance(got, AmountProblem) and got == got.to_integral_value() \
            and 1900 <= got <= 2200:
        return int(got)
    if isinstance(got, AmountProblem) and got.kind == "felvärde":
        what = f"innehåller felvärdet {got.error}"
    elif isinstance(got, AmountProblem) and got.kind == "ej beräknad":
        what = "innehåller en formel utan beräknat värde"
    elif isinstance(value, (date, datetime, time, timedelta)):
        what = f"innehåller {_date_text(value)}"
    elif isinstance(value, str):
        what = f"innehåller text ({excerpt(value)})"
    elif isinstance(value, bool):
        what = f"innehåller ett sanningsvärde ({value})"
    elif isinstance(value, int | float | Decimal):
        what = f"innehåller {short_number(value)}"
    else:
        what = f"innehåller {excerpt(value)}"
    hint = " som tal" if isinstance(value, str) and isinstance(got, AmountProblem) \
        and got.kind == "siffertext" else ""
    return Finding(rule, Severity.ERROR,
                   f"Cellen{_where(location)} {what}, inte ett årtal. Skriv året{hint} "
                   "(t.ex. 2025).", location=location)


def parse_amounts(values: Sequence[object], line: str | None = None) -> list[object]:
    """:func:`parse_amount` of each value (with ``line``, every other argument its default) for
    the common cases, in one loop with no call per value (issue 17: a row of year columns):
    a blank cell (None) → None, a finite Decimal below :data:`MAX_AMOUNT` with the line's sign →
    the amount in whole cents. Every other value → :data:`GENERAL`: the caller asks
    :func:`parse_amount` (with the cell's location), which decides and words any finding.
    tests/test_input_hygiene.py holds this equal to :func:`parse_amount`."""
    sign = "±" if line is None else LINE_SIGNS.get(line)
    if sign is None:  # an unknown line: parse_amount's finding for every non-blank value
        return [None if v is None else GENERAL for v in values]
    # module constants as locals, zero as a Decimal (an int is converted at each comparison):
    # the same tests, fewer steps per value (issue 17)
    dec, digits, cent, zero, general = Decimal, _MAX_ADJUSTED, CENT, _DECIMAL_ZERO, GENERAL
    quantize = _HALF_UP.quantize
    any_sign, plus, minus = sign == "±", sign == "+", sign == "-"
    out: list[object] = []
    append = out.append
    for v in values:
        if v is None:
            append(None)
        elif type(v) is dec and v.is_finite() and (not v or v.adjusted() < digits):
            a = quantize(v, cent)  # parse_amount's fast path: v.quantize(CENT, ROUND_HALF_UP)
            if any_sign or not a or (plus and a > zero) or (minus and a < zero):
                append(a)
            else:
                append(general)  # the wrong sign: parse_amount's finding
        else:
            append(general)
    return out


_DECIMAL_ZERO = Decimal(0)
#: A finite non-zero Decimal is below MAX_AMOUNT (a power of ten) in magnitude exactly when its
#: leading digit's exponent (``adjusted()``) is below this: one call instead of two comparisons.
_MAX_ADJUSTED = MAX_AMOUNT.adjusted()
if MAX_AMOUNT != Decimal(10) ** _MAX_ADJUSTED:  # pragma: no cover - guards the one above
    raise ImportError("input_hygiene: MAX_AMOUNT must be a power of ten for parse_amounts")
#: ``v.quantize(CENT, ROUND_HALF_UP)`` as a context method (positional arguments, about 2.5
#: times faster): the default context's precision and traps, rounding half away from zero. The
#: quantized amounts are below MAX_AMOUNT (15 digits), so the precision never matters; an
#: inexact rounding flags this context instead of the thread's (nothing reads those flags).
_HALF_UP = Context(rounding=ROUND_HALF_UP)


#: V10: a finding when an amount (published signs) has the wrong sign for its line; the input
#: checks' name for :func:`engine.signs.line_sign_finding`.
check_amount_sign = line_sign_finding


def _suggest(code: str, known: Iterable[str]) -> str:
    import difflib  # only a wrong code needs it, not every start

    close = difflib.get_close_matches(code, list(known), n=1, cutoff=0.6)
    return f" Menade du {close[0]}?" if close else ""


def check_line_codes(
    codes: Iterable[tuple[object, Location | None]],
    known: Iterable[str] | None = None,
) -> list[Finding]:
    """V10: every line code in an input sheet is known (default: RR and FD catalogue codes).

    ``codes``: (raw cell value, location) per row. Blank codes and Excel errors are findings too.
    """
    known_set = set(known) if known is not None else set(RR_ALLA) | set(FD_ALLA)
    findings: list[Finding] = []
    for raw, loc in codes:
        err = excel_error(raw)
        if err is not None:
            findings.append(Finding("V10", Severity.ERROR,
                                    f"Radkoden{_where(loc)} är felvärdet {err}. Skriv in koden.",
                                    None, None, loc))
            continue
        code = str(raw).strip() if raw is not None else ""
        if not code:
            findings.append(Finding("V10", Severity.ERROR,
                                    f"Radkoden saknas{_where(loc)}. Fyll i koden för raden.",
                                    None, None, loc))
        elif code not in known_set:
            findings.append(Finding("V10", Severity.ERROR,
                                    f"Radkoden {code}{_where(loc)} är okänd."
                                    f"{_suggest(code, known_set)} Rätta koden.",
                                    code, None, loc))
    return findings


def parse_year_header(value: object, *, location: Location | None = None) -> int | Finding:
    """A year column header as an int: 2025, 2025.0, "2025", "TB 2025", "EP 2026", "BS 2023"."""
    err = excel_error(value)
    if err is not None:
        return Finding("V10", Severity.ERROR,
                       f"Årsrubriken{_where(location)} är felvärdet {err}. Skriv in året.",
                       None, None, location)
    if value is None or (isinstance(value, str) and not value.strip()):
        return Finding("V10", Severity.ERROR,
                       f"Årsrubriken{_where(location)} är tom (sammanslagen eller saknad "
                       "rubrikcell?). Skriv in året i varje kolumns rubrik; undvik sammanslagna "
                       "celler.", None, None, location)
    year: int | None = None
    if isinstance(value, bool):
        year = None
    elif isinstance(value, int):
        year = value
    elif isinstance(value, float) and value.is_integer():
        year = int(value)
    elif isinstance(value, str):
        digits = [tok for tok in value.replace("/", " ").split() if tok.isdigit()]
        if len(digits) == 1:
            year = int(digits[0])
    if year is None or not 1900 <= year <= 2200:
        return Finding("V10", Severity.ERROR,
                       f"Årsrubriken {excerpt(value)}{_where(location)} är inte ett år. Skriv in året "
                       "(t.ex. 2026).", None, None, location)
    return year


def check_year_columns(
    headers: Sequence[tuple[object, Location | None]],
    expected_years: Iterable[int],
    *,
    table: str | None = None,
) -> tuple[dict[int, Location | None], list[Finding]]:
    """V10: the year columns of an input table: each expected year exactly once, headers readable.

    Returns (year -> header location, findings). Extra years are fine (comparison columns).
    """
    findings: list[Finding] = []
    found: dict[int, Location | None] = {}
    for raw, loc in headers:
        parsed = parse_year_header(raw, location=loc)
        if isinstance(parsed, Finding):
            findings.append(parsed)
            continue
        if parsed in found:
            findings.append(Finding("V10", Severity.ERROR,
                                    f"Året {parsed} finns i två kolumner{_where(loc)}. Ta bort den "
                                    "ena kolumnen eller rätta rubriken.", table, parsed, loc))
            continue
        found[parsed] = loc
    for year in expected_years:
        if year not in found:
            where = f" i tabellen {table}" if table else ""
            findings.append(Finding("V10", Severity.ERROR,
                                    f"Kolumnen för år {year} saknas{where}. Lägg till kolumnen "
                                    "(budgetåret och planåren ska alla finnas).",
                                    table, year, None))
    return found, findings
