"""Read bookkeeping exports (CSV or xlsx) and mapping tables for the outturn import.

The engine side (:mod:`engine.ledger`) maps and aggregates; this module only turns files into a
ledger frame (``konto``, ``kostnadsstalle``, ``period``, ``belopp`` as ``int64`` öre) plus
findings, and mapping files into a :class:`engine.ledger.Mappning`.

CSV exports differ by system and country, so everything is configurable and detected when not
given:

* encoding: a BOM says UTF-8 or UTF-16; otherwise strict UTF-8, then cp1252 (Windows), then
  latin-1. A non-UTF-8 file gives an info finding; an explicitly given encoding that does not fit
  the bytes gives an error finding (never a traceback);
* delimiter: ``;``, tab or ``,`` - whichever occurs most in the header line;
* decimal separator: ``,`` when any amount contains a comma (and the delimiter is not a comma),
  else ``.``; thousands separators: spaces (also no-break and narrow no-break spaces) and ``'``
  always; ``.`` or ``,`` only when given explicitly (then groups of three digits are checked, so
  ``1234.56`` is never read as 123 456);
* columns: Swedish, Finnish and English header names (``Konto``/``Tili``, ``Kostnadsställe``/
  ``Kustannuspaikka``, ``Period``/``Kausi``, ``Belopp``/``Summa`` ...), or separate ``Debet`` and
  ``Kredit`` columns (amount = debet - kredit); explicit names override.

Amounts are parsed from their text into integer cents without floats, vectorised over the bytes
of the column; more than two decimals are rounded once, half away from zero. xlsx cells that hold
floats are read through their shortest repr (the number Excel shows) and rounded the same way.

Bad rows are never dropped silently: an amount that is not a number rejects the row (error
finding with the file line / cell, counted in ``rows_rejected``); a missing account or an
invalid period keeps the row (so the totals still reconcile) and is reported with its line.
Line numbers assume no line breaks inside quoted fields.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.findings import Finding, Location, Severity
from engine.ledger import (
    ImportReport,
    Mappning,
    aggregate_ledger,
    parse_mappning,
)

__all__ = [
    "COLUMN_ALIASES",
    "CsvOptions",
    "LedgerRead",
    "import_utfall",
    "parse_amounts",
    "read_ledger",
    "read_mappning",
]

RULE = "V10"
#: Individual row findings listed per kind before the rest are summarised.
MAX_ROW_FINDINGS = 50
#: An amount longer than this many characters is not an amount.
MAX_AMOUNT_CHARS = 40

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "konto": ("konto", "kontonummer", "kontonr", "tili", "tilinumero", "tilinro", "account"),
    "kostnadsstalle": (
        "kostnadsställe", "kostnadsstalle", "kst", "ansvar", "kustannuspaikka", "kustp",
        "cost centre", "cost center", "costcentre", "costcenter",
    ),
    "period": ("period", "kausi", "månad", "manad", "kuukausi", "datum", "päivämäärä", "pvm",
               "date", "month", "bokföringsdatum", "kirjauspäivä"),
    "belopp": ("belopp", "summa", "amount", "rahamäärä", "määrä", "utfall", "toteuma", "saldo",
               "eur", "euro", "sek", "kr"),
    "debet": ("debet", "debit", "per debet"),
    "kredit": ("kredit", "credit", "per kredit"),
}


@dataclass(frozen=True, slots=True)
class CsvOptions:
    """How to read a CSV export. ``None`` means detect (see the module docstring)."""

    delimiter: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    encoding: str | None = None
    columns: Mapping[str, str] | None = None  # role -> header, roles as in COLUMN_ALIASES
    sheet: str | None = None  # xlsx: sheet name (default the first)


@dataclass(frozen=True)
class LedgerRead:
    """A read export: the ledger frame, what went wrong, and row counts (header excluded)."""

    frame: pd.DataFrame
    findings: tuple[Finding, ...]
    rows_read: int
    rows_rejected: int
    source: str
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    years: tuple[int, ...] = field(default=())


# --------------------------------------------------------------------------------------------
# Amounts


_SPACE_LIKE = {0x20: " ", 0xA0: " ", 0x202F: " ", 0x2009: " ", 0x2007: " ", 0x09: " "}
_NORMALISE = str.maketrans({**_SPACE_LIKE, 0x2212: "-", 0x2013: "-", 0x0A: "#", 0x0D: "#"})

# byte classes
_PAD, _DIGIT, _DEC, _THOU, _SPACE, _MINUS, _PLUS, _BAD = range(8)


def _class_table(decimal: str, thousands: str | None) -> np.ndarray:
    table = np.full(256, _BAD, dtype=np.uint8)
    table[0] = _PAD
    table[ord("0") : ord("9") + 1] = _DIGIT
    table[ord(" ")] = _SPACE
    table[ord("'")] = _SPACE
    table[ord("-")] = _MINUS
    table[ord("+")] = _PLUS
    table[ord(decimal)] = _DEC
    if thousands and thousands.strip() and thousands not in ("'",):
        table[ord(thousands)] = _THOU
    return table


_FAST_DROP = str.maketrans("", "", "0123456789-\x00")


def _fast_two_decimals(text: str, n: int, decimal: str) -> np.ndarray | None:
    """The common case in C-speed string operations: every value is ``-?digits<dec>dd``.

    Returns cents, or None when any value looks different (the general parser then runs).
    """
    if text.count(decimal) != n or text.translate(_FAST_DROP).replace(decimal, "") != "":
        return None
    if text.count("-") != text.count("\x00-") + text.startswith("-"):
        return None  # a minus that is not the first character
    raw = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    ends = np.append(np.flatnonzero(raw == 0), len(raw))
    starts = np.concatenate(([0], ends[:-1] + 1))
    lens = ends - starts
    if lens.min() < 4 or lens.max() > 19:
        return None
    if not (raw[ends - 3] == ord(decimal)).all():
        return None
    first_digit = starts + (raw[starts] == ord("-"))
    if not ((raw[first_digit] != ord(decimal)).all()):
        return None  # ",50" / "-,50": no integer digits
    digits = text.replace(decimal, "").replace("\x00", "\n")
    parsed = pd.read_csv(io.StringIO(digits), header=None, names=["v"], dtype=np.int64,
                         skip_blank_lines=False, na_filter=False, engine="c")["v"].to_numpy()
    return parsed if len(parsed) == n else None


def parse_amounts(
    values: np.ndarray | list[str],
    *,
    decimal: str = ",",
    thousands: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Amount texts -> (``int64`` cents, ``ok`` mask). Exact: no float is involved.

    Accepts a sign before or after the number (``-12,50``, ``12,50-``), spaces and ``'`` as
    thousands separators, ``thousands`` (``.``/``,``) when given (groups of three checked), and
    any number of decimals (rounded to the cent, half away from zero). Rows where ``ok`` is False
    hold 0.
    """
    if decimal not in (",", "."):
        raise ValueError("decimal must be ',' or '.'")
    if thousands is not None and thousands == decimal:
        raise ValueError("thousands separator must differ from the decimal separator")
    vals = np.asarray(values, dtype=object)
    n = len(vals)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    try:
        text = "\x00".join(vals)
    except TypeError:  # a None or a number among the texts: not an amount text
        text = "\x00".join(v if isinstance(v, str) else "" for v in vals)
    if text.count("\x00") != n - 1:  # a value holds a NUL itself: it is not an amount
        text = "\x00".join(v.replace("\x00", "#") if isinstance(v, str) else "" for v in vals)
    fast = _fast_two_decimals(text, n, decimal)
    if fast is not None:
        return fast, np.ones(n, bool)
    text = text.translate(_NORMALISE)
    raw = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    newlines = np.flatnonzero(raw == 0)
    starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
    ends = np.concatenate((newlines, [len(raw)])).astype(np.int64)
    lens = ends - starts
    too_long = lens > MAX_AMOUNT_CHARS
    width = int(min(lens.max(initial=0), MAX_AMOUNT_CHARS))
    cls_table = _class_table(decimal, thousands)
    digit_value = np.zeros(256, dtype=np.int64)
    digit_value[ord("0") : ord("9") + 1] = np.arange(10)
    mult = np.ones(256, dtype=np.int64)
    mult[ord("0") : ord("9") + 1] = 10
    last = max(len(raw) - 1, 0)
    padded = np.concatenate((raw, [0])) if len(raw) else np.zeros(1, np.uint8)

    val = np.zeros(n, np.int64)
    ndig = np.zeros(n, np.int16)
    nfrac = np.zeros(n, np.int16)
    grp = np.zeros(n, np.int16)
    seen_dec = np.zeros(n, bool)
    seen_digit = np.zeros(n, bool)
    in_group = np.zeros(n, bool)
    neg = np.zeros(n, bool)
    nsign = np.zeros(n, np.int8)
    trailing = np.zeros(n, bool)
    bad = too_long.copy()
    for j in range(width):
        pos = starts + j
        inside = j < lens
        c = np.where(inside, padded[np.minimum(pos, last + (1 if len(raw) else 0))], 0)
        k = cls_table[c]
        d = k == _DIGIT
        val = val * mult[c] + digit_value[c]
        ndig += d
        nfrac += d & seen_dec
        grp += d & in_group
        dec = k == _DEC
        th = k == _THOU
        sg = (k == _MINUS) | (k == _PLUS)
        content = d | dec | th
        bad |= k == _BAD
        bad |= content & trailing
        bad |= dec & seen_dec
        closes = dec | th | sg
        bad |= closes & in_group & (grp != 3)
        bad |= th & (~seen_digit | seen_dec)
        in_group = (in_group & ~(dec | sg)) | th
        grp = np.where(th, 0, grp)
        seen_dec |= dec
        bad |= sg & (nsign > 0)
        trailing |= sg & (seen_digit | seen_dec)
        nsign += sg
        neg |= k == _MINUS
        seen_digit |= d
    bad |= in_group & (grp != 3)
    bad |= ndig == 0
    bad |= (ndig - nfrac) > 16  # integer part must fit int64 cents
    bad |= ndig > 18

    cents = np.zeros(n, np.int64)
    small = ~bad & (nfrac <= 2)
    p10 = 10 ** np.arange(19, dtype=np.int64)
    cents[small] = val[small] * p10[(2 - nfrac[small]).astype(np.int64)]
    big = ~bad & (nfrac > 2)
    if big.any():
        q = p10[(nfrac[big] - 2).astype(np.int64)]
        v = val[big]
        cents[big] = v // q + ((v % q) * 2 >= q)  # half away from zero (on the magnitude)
    cents = np.where(neg, -cents, cents)
    cents[bad] = 0
    return cents, ~bad


# --------------------------------------------------------------------------------------------
# Encoding, delimiter, columns


def _decode_check(data: bytes, encoding: str) -> str | None:
    """None when ``data`` decodes as ``encoding``; else a Swedish description of where it fails."""
    try:
        codecs.decode(data, encoding)
        return None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return f"ogiltig byte 0x{data[exc.start]:02X} på rad {line}"
    except LookupError:
        return "okänd kodning"


def _detect_encoding(data: bytes, explicit: str | None, source: str) -> tuple[str | None, list[Finding]]:
    loc = Location(workbook=source)
    if explicit:
        problem = _decode_check(data, explicit)
        if problem is not None:
            return None, [
                Finding(RULE, Severity.ERROR,
                        f"Filen kan inte läsas som {explicit} ({problem}). Inget importerades. "
                        "Ange rätt kodning (t.ex. cp1252 för Windows-export, utf-8 annars) eller "
                        "låt kodningen avgöras automatiskt.", None, None, loc)
            ]
        findings: list[Finding] = []
        if codecs.lookup(explicit).name in ("cp1252", "iso8859-1") and _decode_check(data, "utf-8") is None \
                and any(b > 127 for b in data[:65536]):
            findings.append(
                Finding(RULE, Severity.WARNING,
                        f"Filen ser ut att vara UTF-8 men läses som {explicit}; å, ä och ö kan bli "
                        "fel. Kontrollera kodningen.", None, None, loc)
            )
        return explicit, findings
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", []
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", []
    if _decode_check(data, "utf-8") is None:
        return "utf-8", []
    for enc in ("cp1252", "latin-1"):
        if _decode_check(data, enc) is None:
            return enc, [
                Finding(RULE, Severity.INFO,
                        f"Filen är inte UTF-8; den lästes som {enc}. Ange kodningen om å, ä och ö "
                        "ser fel ut.", None, None, loc)
            ]
    return "latin-1", []  # pragma: no cover - latin-1 decodes every byte


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (";", "\t", ",", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] else ";"


def _norm(name: object) -> str:
    return re.sub(r"\s+", " ", str(name).strip().strip('"').lower())


def _find_columns(
    headers: list[str], explicit: Mapping[str, str] | None
) -> tuple[dict[str, int], list[str]]:
    """Role -> column index; and the list of roles that could not be found."""
    normed = [_norm(h) for h in headers]
    found: dict[str, int] = {}
    for role, aliases in COLUMN_ALIASES.items():
        wanted = [_norm(explicit[role])] if explicit and role in explicit else list(aliases)
        for alias in wanted:
            if alias in normed:
                found[role] = normed.index(alias)
                break
    need = ["konto", "kostnadsstalle", "period"]
    if "belopp" not in found and not ("debet" in found and "kredit" in found):
        need.append("belopp")
    missing = [r for r in need if r not in found]
    return found, missing


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


# --------------------------------------------------------------------------------------------
# Periods


_RE_MONTH = re.compile(r"^\s*(\d{1,2})\s*$")
_RE_YM = re.compile(r"^\s*(\d{4})\s*[-/.]?\s*(\d{1,2})\s*$")  # 2024-03, 202403, 2024/3
_RE_MY = re.compile(r"^\s*(\d{1,2})\s*[-/.]\s*(\d{4})\s*$")  # 03/2024, 3.2024
_RE_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")  # 2024-03-31
_RE_DMY = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$")  # 31.3.2024


def _parse_period(text: object) -> tuple[int, int | None]:
    """(month 1..12 or 0 if invalid, year or None) from a period cell."""
    if hasattr(text, "month") and hasattr(text, "year"):
        return int(text.month), int(text.year)  # type: ignore[attr-defined]
    if isinstance(text, int | float) and not isinstance(text, bool):
        return (int(text), None) if float(text).is_integer() and 1 <= text <= 12 else (0, None)
    t = str(text)
    for rx, mi, yi in ((_RE_MONTH, 1, None), (_RE_YM, 2, 1), (_RE_MY, 1, 2), (_RE_ISO, 2, 1),
                       (_RE_DMY, 2, 3)):
        m = rx.match(t)
        if m:
            month = int(m.group(mi))
            year = int(m.group(yi)) if yi else None
            return (month, year) if 1 <= month <= 12 else (0, year)
    return 0, None


def _periods(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row: month (int8, 0 invalid) and year (int32, 0 unknown); parsed once per distinct value."""
    codes, uniq = pd.factorize(col, sort=False)
    parsed = [_parse_period(u) for u in uniq]
    months = np.array([p[0] for p in parsed] + [0], dtype=np.int8)
    years = np.array([p[1] or 0 for p in parsed] + [0], dtype=np.int32)
    return months[codes], years[codes]


# --------------------------------------------------------------------------------------------
# The ledger


def _categorical(col: pd.Series) -> pd.Categorical:
    """Text column -> categorical with the texts themselves as categories (no type inference)."""
    codes, uniq = pd.factorize(col.to_numpy(dtype=object), sort=False)
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniq, dtype=object))


def _is_empty(col: pd.Series) -> np.ndarray:
    """Per row: the cell is empty or only spaces (categoricals checked per category)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories.to_numpy(dtype=object)
        empty_cat = np.array([str(c).strip() == "" for c in cats] + [True], dtype=bool)
        return empty_cat[col.cat.codes.to_numpy()]
    codes, uniq = pd.factorize(col.to_numpy(dtype=object), sort=False)
    empty = np.array([v is None or str(v).strip() == "" for v in uniq] + [True], dtype=bool)
    return empty[codes]


def _row_findings(
    mask: np.ndarray, where: list[str], message: str, source: str, sheet: str | None
) -> list[Finding]:
    idx = np.flatnonzero(mask)
    out = [
        Finding(RULE, Severity.ERROR, message.format(where=where[k]), None, None,
                Location(workbook=source, sheet=sheet, cell=where[k].split()[-1]))
        for k in range(min(len(idx), MAX_ROW_FINDINGS))
    ]
    if len(idx) > MAX_ROW_FINDINGS:
        out.append(Finding(RULE, Severity.ERROR,
                           f"... och {len(idx) - MAX_ROW_FINDINGS} rader till med samma fel.",
                           None, None, Location(workbook=source, sheet=sheet)))
    return out


def _assemble(
    konto: pd.Series,
    kst: pd.Series,
    period: pd.Series,
    amount_texts: list[tuple[np.ndarray, int]],
    decimal: str,
    thousands: str | None,
    line_of_row: np.ndarray,
    cols: dict[str, int],
    source: str,
    sheet: str | None,
    pre_parsed: np.ndarray | None = None,
    pre_ok: np.ndarray | None = None,
) -> tuple[pd.DataFrame, list[Finding], int, tuple[int, ...]]:
    """Common tail of CSV and xlsx reading: amounts, periods, row findings, the frame."""
    findings: list[Finding] = []
    n = len(konto)
    if pre_parsed is not None and pre_ok is not None:
        cents, ok = pre_parsed, pre_ok
    else:
        cents = np.zeros(n, np.int64)
        ok = np.ones(n, bool)
        for texts, factor in amount_texts:
            c, o = parse_amounts(texts, decimal=decimal, thousands=thousands)
            cents += factor * c
            ok &= o
    amount_col = cols.get("belopp", cols.get("debet", 0))

    def cells(mask: np.ndarray, col: int) -> list[str]:
        return [f"rad {line_of_row[i]} cell {_col_letter(col)}{line_of_row[i]}"
                for i in np.flatnonzero(mask)[:MAX_ROW_FINDINGS]]

    bad_amount = ~ok
    if bad_amount.any():
        where = cells(bad_amount, amount_col)
        idx = np.flatnonzero(bad_amount)
        sample = {}
        for texts, _ in amount_texts:
            for i in idx[:MAX_ROW_FINDINGS]:
                sample.setdefault(int(i), str(texts[i]))
        for k, i in enumerate(idx[:MAX_ROW_FINDINGS]):
            findings.append(
                Finding(RULE, Severity.ERROR,
                        f"Beloppet '{sample.get(int(i), '')}' på {where[k].split(' cell')[0]} är inte "
                        "ett tal; raden togs inte med. Rätta beloppet (decimaltecken och "
                        "tusentalsavgränsare kan anges vid importen).", None, None,
                        Location(workbook=source, sheet=sheet, cell=where[k].split()[-1]))
            )
        if len(idx) > MAX_ROW_FINDINGS:
            findings.append(Finding(RULE, Severity.ERROR,
                                    f"... och {len(idx) - MAX_ROW_FINDINGS} rader till med belopp "
                                    "som inte är tal.", None, None, Location(workbook=source, sheet=sheet)))
    empty_konto = _is_empty(konto) & ok
    if empty_konto.any():
        where = cells(empty_konto, cols["konto"])
        findings.extend(_row_findings(
            empty_konto, where,
            "Kontot saknas på {where}; raden räknas som omappad. Fyll i kontot eller ta bort raden "
            "(en summarad ska inte vara med i exporten).", source, sheet))
    months, years = _periods(period)
    bad_period = (months == 0) & ok
    if bad_period.any():
        where = cells(bad_period, cols["period"])
        findings.extend(_row_findings(
            bad_period, where,
            "Perioden på {where} är inte en månad 1-12 eller ett datum; raden räknas som omappad. "
            "Rätta perioden.", source, sheet))
    keep = ok
    frame = pd.DataFrame(
        {
            "konto": konto[keep].reset_index(drop=True),
            "kostnadsstalle": kst[keep].reset_index(drop=True),
            "period": months[keep],
            "belopp": cents[keep],
        }
    )
    found_years = tuple(sorted(int(y) for y in np.unique(years[keep]) if y))
    if len(found_years) > 1:
        findings.append(
            Finding(RULE, Severity.WARNING,
                    f"Exporten har perioder från flera år ({', '.join(map(str, found_years))}); de "
                    "slås ihop per månad. Exportera ett år i taget.", None, None,
                    Location(workbook=source, sheet=sheet))
        )
    return frame, findings, int((~ok).sum()), found_years


def _empty(source: str, findings: list[Finding], **kw: object) -> LedgerRead:
    frame = pd.DataFrame({"konto": pd.Series([], dtype=object),
                          "kostnadsstalle": pd.Series([], dtype=object),
                          "period": np.zeros(0, np.int8), "belopp": np.zeros(0, np.int64)})
    return LedgerRead(frame, tuple(findings), 0, 0, source, **kw)  # type: ignore[arg-type]


def read_ledger(path: str | Path, options: CsvOptions | None = None) -> LedgerRead:
    """Read a bookkeeping export (``.csv``/``.txt``/``.tsv`` or ``.xlsx``/``.xlsm``/``.xls``)."""
    path = Path(path)
    options = options or CsvOptions()
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"):
        return _read_ledger_xlsx(path, options)
    return _read_ledger_csv(path, options)


def _read_ledger_csv(path: Path, options: CsvOptions) -> LedgerRead:
    source = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _empty(source, [Finding(RULE, Severity.ERROR, f"Filen kan inte läsas: {exc}. Kontrollera sökvägen.",
                                       None, None, Location(workbook=source))])
    encoding, findings = _detect_encoding(data, options.encoding, source)
    if encoding is None:
        return _empty(source, findings)
    if encoding in ("utf-16",):
        data = data.decode("utf-16").encode("utf-8")
        encoding = "utf-8"
    first_nl = data.find(b"\n")
    header_bytes = data if first_nl < 0 else data[:first_nl]
    header = header_bytes.decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r")
    delimiter = options.delimiter or _sniff_delimiter(header)
    headers = next(iter(pd.read_csv(io.StringIO(header + "\n"), sep=delimiter, header=None,
                                    dtype=str, keep_default_na=False).itertuples(index=False)), ())
    headers = [str(h) for h in headers]
    cols, missing = _find_columns(headers, options.columns)
    if missing:
        return _empty(source, findings + [
            Finding(RULE, Severity.ERROR,
                    f"Exporten saknar kolumn för {', '.join(missing)} (rubriker: "
                    f"{', '.join(headers)}; avgränsare '{delimiter}'). Ange kolumnnamnen vid "
                    "importen eller rätta rubrikraden.", None, None, Location(workbook=source, cell="A1"))
        ], encoding=encoding, delimiter=delimiter)
    amount_roles = ["belopp"] if "belopp" in cols else ["debet", "kredit"]
    use = {r: cols[r] for r in ["konto", "kostnadsstalle", "period", *amount_roles]}
    dtypes = {c: str for c in use.values()}  # text: "0100" stays "0100" (no inference)
    frame = pd.read_csv(
        io.BytesIO(data),
        sep=delimiter,
        header=0,
        names=list(range(len(headers))),
        usecols=sorted(set(use.values())),
        dtype=dtypes,
        encoding=encoding,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        engine="c",
        quotechar='"',
    )
    line_of_row = np.arange(len(frame), dtype=np.int64) + 2
    for role in ("konto", "kostnadsstalle", "period"):
        frame[use[role]] = _categorical(frame[use[role]])
    # blank lines (every used cell empty) are not data
    blank = np.ones(len(frame), bool)
    for role in ("konto", "kostnadsstalle", "period"):
        blank &= _is_empty(frame[use[role]])
    for role in amount_roles:  # only rows whose key cells are all empty need this check
        idx = np.flatnonzero(blank)
        blank[idx] = _is_empty(frame[use[role]].iloc[idx])
    if blank.any():
        frame = frame[~blank].reset_index(drop=True)
        line_of_row = line_of_row[~blank]
    amount_texts = [(frame[use[r]].to_numpy(dtype=object), 1 if r in ("belopp", "debet") else -1)
                    for r in amount_roles]
    decimal = options.decimal
    if decimal is None:
        has_comma = any("," in "".join(texts) for texts, _ in amount_texts)
        decimal = "," if (has_comma and delimiter != "," and options.thousands != ",") else "."
    out, f, rejected, years = _assemble(
        frame[use["konto"]], frame[use["kostnadsstalle"]], frame[use["period"]], amount_texts,
        decimal, options.thousands, line_of_row, cols, source, None,
    )
    return LedgerRead(out, tuple(findings + f), len(frame), rejected, source, encoding, delimiter,
                      decimal, years)


def _float_text(value: object) -> str:
    """A cell value as amount text: floats through their shortest repr (what Excel shows)."""
    if isinstance(value, bool):
        return "x"
    if isinstance(value, float):
        r = repr(value)
        if "e" in r or "E" in r:
            from decimal import Decimal

            return format(Decimal(r), "f") if value == value and abs(value) != float("inf") else "x"
        return r
    if isinstance(value, int):
        return str(value)
    return "x" if value is None else str(value)


def _read_ledger_xlsx(path: Path, options: CsvOptions) -> LedgerRead:
    from python_calamine import CalamineWorkbook

    source = path.name
    try:
        wb = CalamineWorkbook.from_path(str(path))
        sheet_name = options.sheet or wb.sheet_names[0]
        rows = wb.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken files
        return _empty(source, [Finding(RULE, Severity.ERROR,
                                       f"Arbetsboken kan inte läsas ({exc}). Spara den som .xlsx och försök igen.",
                                       None, None, Location(workbook=source, sheet=options.sheet))])
    header_at = next((i for i, r in enumerate(rows) if any(v not in ("", None) for v in r)), None)
    if header_at is None:
        return _empty(source, [Finding(RULE, Severity.ERROR, "Bladet är tomt.", None, None,
                                       Location(workbook=source, sheet=sheet_name))])
    headers = [str(v) for v in rows[header_at]]
    cols, missing = _find_columns(headers, options.columns)
    if missing:
        return _empty(source, [Finding(RULE, Severity.ERROR,
                                       f"Bladet saknar kolumn för {', '.join(missing)} (rubriker: "
                                       f"{', '.join(h for h in headers if h)}). Ange kolumnnamnen.",
                                       None, None, Location(workbook=source, sheet=sheet_name,
                                                            cell=f"A{header_at + 1}"))])
    body = [r for r in rows[header_at + 1 :]]
    lines = np.arange(len(body), dtype=np.int64) + header_at + 2
    keep = np.array([any(v not in ("", None) for v in r) for r in body], dtype=bool)
    body = [r for r, k in zip(body, keep, strict=True) if k]
    lines = lines[keep]

    def column(role: str) -> list[object]:
        i = cols[role]
        return [r[i] if i < len(r) else "" for r in body]

    def key_text(values: list[object]) -> pd.Series:
        out = [str(int(v)) if isinstance(v, float) and v.is_integer() else ("" if v is None else str(v).strip())
               for v in values]
        return pd.Series(out, dtype=object)

    amount_roles = ["belopp"] if "belopp" in cols else ["debet", "kredit"]
    n = len(body)
    cents = np.zeros(n, np.int64)
    ok = np.ones(n, bool)
    texts_for_findings: list[tuple[np.ndarray, int]] = []
    for role in amount_roles:
        raw = column(role)
        factor = 1 if role in ("belopp", "debet") else -1
        is_num = np.array([isinstance(v, int | float) and not isinstance(v, bool) for v in raw], bool)
        texts = np.array([_float_text(v) for v in raw], dtype=object)
        c = np.zeros(n, np.int64)
        o = np.zeros(n, bool)
        if is_num.any():
            c[is_num], o[is_num] = parse_amounts(texts[is_num], decimal=".")
        if (~is_num).any():
            t = texts[~is_num]
            dec = options.decimal or ("," if any("," in s for s in t) else ".")
            c[~is_num], o[~is_num] = parse_amounts(t, decimal=dec, thousands=options.thousands)
        cents += factor * c
        ok &= o
        texts_for_findings.append((texts, factor))
    period_values = [v.strftime("%Y-%m-%d") if hasattr(v, "strftime") else v for v in column("period")]
    out, f, rejected, years = _assemble(
        key_text(column("konto")), key_text(column("kostnadsstalle")),
        pd.Series(period_values, dtype=object), texts_for_findings, ".", None, lines, cols,
        source, sheet_name, pre_parsed=cents, pre_ok=ok,
    )
    out["konto"] = out["konto"].astype("category")
    out["kostnadsstalle"] = out["kostnadsstalle"].astype("category")
    return LedgerRead(out, tuple(f), n, rejected, source, None, None, None, years)


# --------------------------------------------------------------------------------------------
# The mapping table


def read_mappning(
    path: str | Path, *, known_codes: Collection[str] | None = None, options: CsvOptions | None = None
) -> tuple[Mappning, list[Finding]]:
    """Read a mapping table (CSV or xlsx; format in docs/LEDGER_IMPORT.md)."""
    path = Path(path)
    options = options or CsvOptions()
    source = path.name
    rows: list[dict[str, object]] = []
    findings: list[Finding] = []
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
            from python_calamine import CalamineWorkbook

            wb = CalamineWorkbook.from_path(str(path))
            table = wb.get_sheet_by_name(options.sheet or wb.sheet_names[0]).to_python(
                skip_empty_area=False)
            head_i = next((i for i, r in enumerate(table) if any(v not in ("", None) for v in r)), 0)
            head = [str(h) for h in table[head_i]] if table else []
            for i, r in enumerate(table[head_i + 1 :], start=head_i + 2):
                rows.append({**{h: v for h, v in zip(head, r, strict=False) if h}, "_rad": i})
        else:
            data = path.read_bytes()
            encoding, findings = _detect_encoding(data, options.encoding, source)
            if encoding is None:
                return Mappning((), (), source), findings
            text = data.decode(encoding).lstrip("\ufeff")
            first = text.split("\n", 1)[0]
            frame = pd.read_csv(io.StringIO(text), sep=options.delimiter or _sniff_delimiter(first),
                                dtype=str, keep_default_na=False, skip_blank_lines=False)
            for i, rec in enumerate(frame.to_dict("records")):
                rows.append({**rec, "_rad": i + 2})
    except (OSError, ValueError) as exc:
        return Mappning((), (), source), [
            Finding(RULE, Severity.ERROR, f"Mappningsfilen kan inte läsas: {exc}.", None, None,
                    Location(workbook=source))
        ]
    mappning, f = parse_mappning(rows, kalla=source, known_codes=known_codes)
    return mappning, findings + f


def import_utfall(
    export: str | Path,
    mappning: str | Path | Mappning,
    *,
    options: CsvOptions | None = None,
    known_codes: Collection[str] | None = None,
) -> tuple[pd.DataFrame, ImportReport]:
    """Read an export and a mapping, map and aggregate: the outturn frame and the import report.

    The report's findings hold the mapping's, the reader's and the aggregation's findings in that
    order. See :func:`engine.ledger.aggregate_ledger` for the outturn frame's columns.
    """
    map_findings: list[Finding] = []
    if not isinstance(mappning, Mappning):
        mappning, map_findings = read_mappning(mappning, known_codes=known_codes)
    read = read_ledger(export, options)
    return aggregate_ledger(
        read.frame,
        mappning,
        rows_rejected=read.rows_rejected,
        input_findings=[*map_findings, *read.findings],
    )
