"""Excel worksheet functions (xlwings UDFs): thin wrappers over the engine.

Registered through the workbook's ``xlwings.conf`` sheet (``UDF Modules`` = ``addin.udfs``); every
function here, including those imported from the other ``addin.udfs_*`` modules, becomes an Excel
function. Each is declared with :func:`addin.excel_function.kb_function` (wizard texts, argument
options, no type hints on what Excel sees); ``tests/test_udf_contract.py`` calls them through
xlwings' real Windows UDF code (``tests/xlwings_windows.py``).

Every function returns a value or a ``#KB: ...`` message; none raises into Excel.

Statement functions take ``rader`` (line labels in any of the four wordings, Swedish or Finnish, or
line codes such as ``RR.AB``) and ``belopp`` (amounts in the published sign convention: income +,
costs −; one or more year columns) and return one number per year column. A value whose sign
contradicts its line (a cost line above zero, an income line below zero) is refused with
``#KB: rad N: …``, never summed (:mod:`engine.signs`); there is no "costs positive" option.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from itertools import chain, repeat
from operator import is_
from typing import Any, NamedTuple

from addin.excel_function import kb_function
from addin.excel_values import (
    UdfInputError,
    amounts,
    as_column,
    as_matrix,
    cent_rows,
    check_errors,
    kb_error,
    kinds_of,
    label_text,
    number,
    row_result,
    rows_of,
    to_excel,
)
from addin.udfs_binding import KB_AVVIKELSE, KB_BINDNING_STATUS  # noqa: F401 - Excel functions
from addin.udfs_resultatbalansering import (  # noqa: F401 - registered as Excel functions
    KB_RESULTATBALANSERING,
    KB_RESULTATBALANSERING_NAMND,
)
from engine.catalogue import WORDINGS, LabelError, catalogue, normalize_label
from engine.findings import Severity, excerpt
from engine.money import cents_to_money
from engine.ratios import ACKUMULERAT_KASSAFLODE, ackumulerat_kassaflode, find_ratio, nyckeltal
from engine.signs import LINE_SIGNS, line_sign_finding
from engine.statements import Statement, compute

__all__ = [
    "KB_ARSBIDRAG",
    "KB_AVVIKELSE",
    "KB_BINDNING_STATUS",
    "KB_FINANSIERINGSDEL",
    "KB_INVERKAN_LIKVIDITET",
    "KB_NYCKELTAL",
    "KB_OVERSKOTT",
    "KB_RESULTAT",
    "KB_RESULTATBALANSERING",
    "KB_RESULTATBALANSERING_NAMND",
    "KB_RESULTATRAKNING",
    "KB_TACKNINGSAR",
    "KB_VERKSAMHETSBIDRAG",
]

ALL_PARTS = ("RR", "IN", "FD", "BAL")
#: label text -> (line code, as :meth:`Catalogue.resolve` found it, and the line's sign rule)
#: (the catalogue is fixed; a workbook recalculates with the same labels again and again)
_CODES: dict[str, tuple[str, str | None]] = {}
_NONE = repeat(None)


#: (labels, amounts) as Excel gave them -> what :func:`_statement` made of them; emptied when
#: full (a statement of 40 lines is about 40 kB)
_STATEMENTS: dict[tuple, tuple[Statement, tuple[str, ...]]] = {}
_STATEMENTS_MAX = 128
_PLAIN_CELLS = frozenset({float, str, type(None)})


def _statement_key(rader: list[list[object]], belopp: list[list[object]]) -> tuple | None:
    """The arguments as a key, when every cell is a number, a text or blank (anything else,
    e.g. an error value, is left to the full path), and no amount is -0.0 (equal to 0.0 as a
    key, but it keeps its own sign). Equal keys are equal arguments, type for type."""
    plain = _PLAIN_CELLS.issuperset
    key = []
    for arg in (rader, belopp):
        kinds = kinds_of(arg)  # (from_com saw every cell; its rows are tuples)
        if kinds is None:
            rows = tuple(map(tuple, arg))
            if not all(plain(map(type, row)) for row in rows):
                return None
        elif plain(kinds):
            rows = tuple(arg)
        else:
            return None
        key.append(rows)
    amount_kinds, amount_rows = kinds_of(belopp), key[1]
    if (amount_kinds is None or float in amount_kinds) and 0.0 in chain.from_iterable(amount_rows):
        for row in amount_rows:
            if 0.0 in row and any(type(v) is float and v == 0.0 and math.copysign(1.0, v) < 0
                                  for v in row):
                return None
    return tuple(key)


def _statement(rader: object, belopp: object) -> tuple[Statement, list[str]]:
    """Read labels and amounts as Excel gives them and compute every part. Raises
    :class:`UdfInputError` for bad input or an inconsistent statement.

    A function of its arguments alone: the statement made of arguments seen before (Excel
    recalculates a sheet with the same ranges again and again, and several functions often
    take the same two ranges) is taken from :data:`_STATEMENTS`, never changed by its users
    (frozen; the functions only read it)."""
    rader, belopp = rows_of(rader), rows_of(belopp)
    key = _statement_key(rader, belopp)
    if key is not None:
        known = _STATEMENTS.get(key)
        if known is not None:
            return known[0], list(known[1])
    st, texts = _compute_statement(rader, belopp)
    if key is not None:
        if len(_STATEMENTS) >= _STATEMENTS_MAX:
            _STATEMENTS.clear()
        _STATEMENTS[key] = (st, tuple(texts))
    return st, texts


def _compute_statement(rader: list[list[object]], belopp: list[list[object]]
                       ) -> tuple[Statement, list[str]]:
    check_errors(rader, "rader")
    check_errors(belopp, "belopp")
    labels = as_column(rader, "rader")
    rows = as_matrix(belopp, len(labels), "belopp")
    n_years = len(rows[0]) if rows else 1
    years = [str(j) for j in range(1, n_years + 1)]
    given: dict[str, tuple[Decimal | None, ...]] = {}
    first_row: dict[str, int] = {}
    texts: list[str] = []
    # every amount a number or a blank (the common case): integer cents, added as integers
    # (issue 17), the statement's lines made Decimal amounts when looked up; otherwise
    # Decimal amounts, each row below in its turn (so the first problem is reported)
    in_cents = cent_rows(rows)
    numbers: Sequence[tuple[object, ...] | None]
    if in_cents is None:
        numbers, any_blank, money = [None] * len(rows), True, None
    else:
        (numbers, any_blank), money = in_cents, cents_to_money
        if not any_blank:  # every row a known line of its own, of the right sign: at once
            plan = _label_plan(labels, kinds_of(rader))
            if plan is not None and plan.right_signs(numbers):
                st = compute(dict(zip(plan.codes, numbers, strict=True)), years, ALL_PARTS,
                             cents=True)
                return _no_errors(st), list(plan.texts)
    for i, (raw, row, vals) in enumerate(zip(labels, rows, numbers, strict=True), start=1):
        text = (raw.strip() or None) if type(raw) is str else label_text(raw)
        if vals is None:
            vals = amounts(row, lambda j, i=i: f"belopp rad {i}"
                           + (f" kolumn {j}" if n_years > 1 else ""))
            blanks = sum(map(is_, vals, _NONE))  # (not list.count: Decimal == None is slow)
        elif any_blank:  # integer cents with a blank among them
            blanks = sum(map(is_, vals, _NONE))
        else:
            blanks = 0  # a row of numbers
        if text is None:
            if blanks < len(vals):
                raise UdfInputError(
                    f"rad {i} har belopp men ingen radbeteckning (en omärkt summarad ur en "
                    "tryckt rapport gissas inte: skriv radens namn eller ta bort raden)")
            continue
        if blanks == len(vals):
            continue  # a group heading as printed ("Henkilösivukulut"): no amount to read
        known = _CODES.get(text)
        if known is None:
            try:
                known = _line_of(text)
            except LabelError as err:
                raise UdfInputError(f"rad {i}: {err.message}") from None
        code, sign = known
        # "±" lines take either sign; a row of the right sign needs no look at each amount
        if (sign == "+" or sign == "-") and (blanks or (
                min(vals) < 0 if sign == "+" else max(vals) > 0)):  # type: ignore[type-var]
            for j, v in enumerate(vals, start=1):
                # the cases where line_sign_finding finds something (it words the message)
                if v is not None and (v < 0 if sign == "+" else v > 0):
                    wrong = line_sign_finding(code, v if money is None else money(v))
                    if wrong is not None:  # one convention: never a number from a wrong sign
                        col = f" kolumn {j}" if n_years > 1 else ""
                        raise UdfInputError(f"rad {i}{col}: {wrong.message}")
        texts.append(text)
        if code in given:
            if given[code] != vals:
                raise UdfInputError(
                    f"rad {i} ({text}) och rad {first_row[code]} avser samma post "
                    f"({code}) men har olika belopp"
                )
            continue
        given[code] = vals
        first_row[code] = i
    if not given:
        raise UdfInputError("inga rader med belopp")
    for j in range(n_years):  # a whole year column left blank is no year of zeros
        if all(vals[j] is None for vals in given.values()):
            raise UdfInputError(
                f"kolumn {j + 1} har inga belopp (en tom årskolumn räknas inte som noll): fyll "
                "i beloppen eller ta bort kolumnen ur området")
    st = compute(given, years, ALL_PARTS, cents=money is not None)
    return _no_errors(st), texts


def _no_errors(st: Statement) -> Statement:
    """``st``, or raise for its first error (an inconsistent statement)."""
    for f in st.findings:
        if f.severity is Severity.ERROR:
            raise UdfInputError(f.message)
    return st


def _line_of(text: str) -> tuple[str, str | None]:
    """(line code, sign rule) of a label's text, remembered in :data:`_CODES`; raises
    :class:`LabelError` for a text that names no line."""
    known = _CODES.get(text)
    if known is None:
        code = catalogue().resolve(text, ALL_PARTS)
        known = (code, LINE_SIGNS.get(code))
        if len(_CODES) < 1 << 14:
            _CODES[text] = known
    return known


class _LabelPlan(NamedTuple):
    """A column of labels where every row is a known line of its own (no blank or unknown
    label, no line twice): what reading it row by row gives whenever no amount is blank or of
    the wrong sign, so that such a call skips the row-by-row reading (issue 17)."""

    #: each label as given, stripped (the wording of a table)
    texts: tuple[str, ...]
    #: each row's line code
    codes: tuple[str, ...]
    #: the rows of lines that take only amounts >= 0, and those that take only <= 0
    plus: tuple[int, ...]
    minus: tuple[int, ...]

    def right_signs(self, numbers: Sequence[tuple[int, ...]]) -> bool:
        """No amount (integer cents, none blank) of a row contradicts its line's sign."""
        row = numbers.__getitem__
        return not (self.plus and min(map(min, map(row, self.plus))) < 0
                    or self.minus and max(map(max, map(row, self.minus))) > 0)


#: a column of labels (all texts, as Excel gave them) -> its plan, or None when some row needs
#: reading on its own; emptied when full (a workbook has a few statements' label columns)
_LABEL_PLANS: dict[tuple[str, ...], _LabelPlan | None] = {}
_LABEL_PLANS_MAX = 256
_TEXTS_ONLY = frozenset({str})


def _label_plan(labels: Sequence[object], kinds: frozenset[type] | None) -> _LabelPlan | None:
    """The plan of a column of texts (``kinds``: its cells' types when known), or None."""
    if kinds != _TEXTS_ONLY and (kinds is not None or not all(type(t) is str for t in labels)):
        return None
    key = tuple(labels)
    try:
        return _LABEL_PLANS[key]
    except KeyError:
        pass
    plan = _make_label_plan(key)  # type: ignore[arg-type]
    if len(_LABEL_PLANS) >= _LABEL_PLANS_MAX:
        _LABEL_PLANS.clear()
    _LABEL_PLANS[key] = plan
    return plan


def _make_label_plan(labels: tuple[str, ...]) -> _LabelPlan | None:
    texts, codes, plus, minus = [], [], [], []
    for i, raw in enumerate(labels):
        text = raw.strip()
        if not text:
            return None  # (a row without label: refused if it has amounts)
        try:
            code, sign = _line_of(text)
        except LabelError:
            return None  # (refused, worded by the row-by-row reading)
        if code in codes:
            return None  # (two rows of one line: their amounts compared row by row)
        texts.append(text)
        codes.append(code)
        if sign == "+":
            plus.append(i)
        elif sign == "-":
            minus.append(i)
    if not codes:
        return None
    return _LabelPlan(tuple(texts), tuple(codes), tuple(plus), tuple(minus))


def _wording(texts: Sequence[str]) -> str:
    """The wording most of the given labels are in (so a Finnish input gives a Finnish table)."""
    cat = catalogue()
    counts = dict.fromkeys(WORDINGS, 0)
    wanted = {normalize_label(t) for t in texts}
    for line in cat.lines.values():
        for w in WORDINGS:
            if normalize_label(line.labels[w]) in wanted:
                counts[w] += 1
    return max(WORDINGS, key=lambda w: (counts[w], -WORDINGS.index(w)))


RADER = ("Radbeteckningarna: en kolumn med radnamn (svenska eller finska, JHS) eller radkoder "
         "som RR.AB.", {"ndim": 2})
BELOPP = ("Beloppen: lika många rader som rader, en kolumn per år; inkomster +, utgifter − "
          "(publicerade tecken; ett belopp med fel tecken för sin rad ger #KB).", {"ndim": 2})
#: Said in every statement function's description (the wizard shows it).
TECKEN = " Inkomster +, utgifter −; fel tecken ger #KB."
STATEMENT_ARGS = {"rader": RADER, "belopp": BELOPP}


def _statement_udf(
    name: str, description: str, result: Callable[[Statement, list[str]], object]
) -> Any:
    """The Excel function ``name(rader; belopp)``: ``result`` of the statement they make (and of
    the labels as given, for the wording)."""
    def udf(rader: object, belopp: object) -> object:
        return result(*_statement(rader, belopp))

    udf.__name__ = udf.__qualname__ = name
    return kb_function(description + TECKEN, STATEMENT_ARGS)(udf)


def _line_udf(code: str, name: str, description: str) -> Any:
    def line(st: Statement, _texts: list[str]) -> object:
        return row_result([to_excel(v) for v in st[code]])

    return _statement_udf(name, description, line)


KB_VERKSAMHETSBIDRAG = _line_udf(
    "RR.VB", "KB_VERKSAMHETSBIDRAG",
    "Verksamhetsbidrag per årskolumn: verksamhetsinkomster + tillverkning för eget bruk + "
    "verksamhetsutgifter.")
KB_ARSBIDRAG = _line_udf(
    "RR.AB", "KB_ARSBIDRAG",
    "Årsbidrag per årskolumn: verksamhetsbidrag + skatteinkomster + statsandelar + finansiella "
    "intäkter och kostnader.")
KB_RESULTAT = _line_udf(
    "RR.RES", "KB_RESULTAT",
    "Räkenskapsperiodens resultat per årskolumn: årsbidrag + avskrivningar + extraordinära poster.")
KB_OVERSKOTT = _line_udf(
    "RR.OVERSKOTT", "KB_OVERSKOTT",
    "Räkenskapsperiodens överskott (underskott) per årskolumn: resultat + bokslutsdispositioner.")
KB_INVERKAN_LIKVIDITET = _line_udf(
    "FD.INV", "KB_INVERKAN_LIKVIDITET",
    "Inverkan på likviditeten per årskolumn: verksamhetens och investeringarnas kassaflöde + "
    "finansieringens kassaflöde.")


def _table_udf(part: str, name: str, description: str) -> Any:
    def table(st: Statement, texts: list[str]) -> object:
        wording = _wording(texts)
        return [[row.label, *(to_excel(v) for v in row.values)]
                for row in st.rows(part, wording)]

    return _statement_udf(name, description, table)


# Tables are plain 2-D lists: Excel 365/2021 spills them (no xlwings ``expand``).
KB_RESULTATRAKNING = _table_udf(
    "RR", "KB_RESULTATRAKNING",
    "Hela resultaträkningsdelen som tabell: radnamn och en kolumn per år, beräknade rader "
    "medräknade (spills ut i cellerna nedanför och till höger).")
KB_FINANSIERINGSDEL = _table_udf(
    "FD", "KB_FINANSIERINGSDEL",
    "Hela finansieringsdelen som tabell: radnamn och en kolumn per år, beräknade rader "
    "medräknade (spills ut i cellerna nedanför och till höger).")


@kb_function(
    "Ett nyckeltal per årskolumn efter svenskt eller finskt namn; 'ej definierat: …' när "
    "nämnaren är noll eller har fel tecken.",
    {"namn": "Nyckeltalets namn, t.ex. \"Årsbidrag, €/inv\" eller \"Vuosikate, €/asukas\".",
     "rader": RADER,
     "belopp": BELOPP,
     "invanare": "Valfritt: antal invånare, ett tal eller ett per årskolumn (för nyckeltal per "
                 "invånare)."},
)
def KB_NYCKELTAL(namn: object, rader: object, belopp: object, invanare: object = None) -> object:
    """A key ratio (spec §7) by its Swedish or Finnish name, one value per year column."""
    check_errors(namn, "namn")
    if label_text(namn) is None:
        raise UdfInputError("namn: cellen är tom; skriv nyckeltalets namn")
    name = find_ratio(str(namn))
    if name is None:
        return kb_error(f"okänt nyckeltal: {excerpt(namn)}")
    st, _ = _statement(rader, belopp)
    n = len(st.years)
    check_errors(invanare, "invanare")
    inv_values = as_column(invanare, "invanare") if invanare is not None else []
    if len(inv_values) not in (0, 1, n):
        raise UdfInputError(f"invanare: ge ett tal eller ett per årskolumn ({n})")
    inhabitants: list[Decimal | None] = []
    for j in range(n):
        raw = inv_values[0] if len(inv_values) == 1 else (inv_values[j] if inv_values else None)
        inhabitants.append(number(raw, "invanare"))  # as typed, as the Nyckeltal sheet
    if name == ACKUMULERAT_KASSAFLODE:
        ratios = ackumulerat_kassaflode(st)
    else:
        ratios = [nyckeltal(st, j, inhabitants[j])[name] for j in range(n)]
    return row_result([to_excel(r.value) if r.defined else r.reason for r in ratios])


@kb_function(
    "Sista året då ett underskott i bokslutet ska vara täckt (V8): utgången av fjärde året efter "
    "det år bokslutet fastställdes.",
    {"bokslutsar": "Bokslutets år, t.ex. 2024.",
     "faststallelsear": "Valfritt: året då bokslutet fastställdes (standard: året efter "
                        "bokslutsåret)."},
)
def KB_TACKNINGSAR(bokslutsar: object, faststallelsear: object = None) -> object:
    """The last year by which a deficit shown in the accounts of ``bokslutsar`` must be covered
    (spec V8); approval defaults to the year after the accounts."""
    from engine.balance import tackningsar

    year = _year(bokslutsar, "bokslutsar")
    approved = None if faststallelsear is None else _year(faststallelsear, "faststallelsear")
    if approved is not None and approved <= year:
        return kb_error("faststallelsear: bokslutet fastställs tidigast året efter bokslutsåret")
    return tackningsar(year, approved)


#: a year typed as text: four ASCII digits, nothing else (Python's float() also reads
#: "20_16", "2e3" and full-width digits, which gave plausible years: found 2026-12)
_YEAR_TEXT = re.compile(r"[0-9]{4}")


def _year(value: object, name: str) -> int:
    check_errors(value, name)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UdfInputError(f"{name} ska vara ett årtal")
    if isinstance(value, str):
        if not _YEAR_TEXT.fullmatch(value.strip()):
            raise UdfInputError(f"{name} ska vara ett årtal, inte {excerpt(value)}")
        number = float(value.strip())
    else:
        number = float(value)
    if not math.isfinite(number) or not number.is_integer() or not 1900 <= number <= 2200:
        raise UdfInputError(f"{name} ska vara ett årtal, inte {excerpt(value)}")
    return int(number)
