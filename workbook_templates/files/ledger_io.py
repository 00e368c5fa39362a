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
floats are read to Excel's 15 significant digits (the number Excel shows) and rounded the same
way.

Bad rows are never dropped silently: an amount that is not a number rejects the row (error
finding with the file line / cell, counted in ``rows_rejected``); a missing account or an
invalid period keeps the row (so the totals still reconcile) and is reported with its line.
Line numbers assume no line breaks inside quoted fields.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
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
from engine.svenska import antal

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
#: The longest line of an export: a ledger line is a few hundred bytes; a longer one is a broken
#: export (a missing line end, a runaway quote) and would cost memory in proportion (issue 15).
MAX_LINE_BYTES = 1 << 20
#: The longest account or cost centre kept as it is; a longer one is cut and is a finding.
MAX_KEY_CHARS = 100
#: How much of a bad field a message quotes.
QUOTE_CHARS = 40

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
    #: how many identical copies of one block of rows the export is (2: appended twice)
    copies: int = 1


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


_DIGIT_VALUE = np.zeros(256, dtype=np.int64)
_DIGIT_VALUE[ord("0") : ord("9") + 1] = np.arange(10)
_IS_DIGIT = np.zeros(256, dtype=bool)
_IS_DIGIT[ord("0") : ord("9") + 1] = True
_P10 = 10 ** np.arange(19, dtype=np.int64)


def _amounts_fast(
    raw: np.ndarray, starts: np.ndarray, lens: np.ndarray, decimal: str
) -> tuple[np.ndarray, np.ndarray]:
    """The common shape ``-?digits<decimal>dd`` read from the end of each field; ``ok`` marks
    the fields that have exactly that shape (the others go to :func:`_amounts_general`)."""
    n = len(starts)
    ok = (lens >= 4) & (lens <= 19)
    if not ok.any():
        return np.zeros(n, np.int64), ok
    if len(raw) < 20:
        raw = np.concatenate((raw, np.zeros(20, np.uint8)))
    ends = starts + lens
    val = np.zeros(n, np.int64)
    neg = np.zeros(n, bool)
    dec = ord(decimal)
    for j in range(1, int(lens[ok].max()) + 1):
        c = raw[ends - j]  # j <= 19 and ends >= 0: a negative index only where j > lens
        inside = j <= lens
        if j == 3:
            ok &= c == dec
            continue
        digit = _IS_DIGIT[c]
        if j <= 2:
            ok &= digit
            val += _DIGIT_VALUE[c] * _P10[j - 1]
            continue
        first = j == lens
        minus = (c == 45) & first & (j >= 5)
        ok &= ~inside | digit | minus
        val += np.where(inside & digit, _DIGIT_VALUE[c] * _P10[j - 2], 0)
        neg |= minus & inside
    cents = np.where(neg, -val, val)
    cents[~ok] = 0
    return cents, ok


def _amounts_general(
    raw: np.ndarray, starts: np.ndarray, lens: np.ndarray, decimal: str, thousands: str | None
) -> tuple[np.ndarray, np.ndarray]:
    """Any amount shape, vectorised over the fields one character position at a time."""
    n = len(starts)
    too_long = lens > MAX_AMOUNT_CHARS
    width = int(min(lens.max(initial=0), MAX_AMOUNT_CHARS))
    cls_table = _class_table(decimal, thousands)
    mult = np.ones(256, dtype=np.int64)
    mult[ord("0") : ord("9") + 1] = 10
    padded = np.concatenate((raw, [0])).astype(np.uint8)
    last = len(padded) - 1

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
        c = np.where(j < lens, padded[np.minimum(starts + j, last)], 0)
        k = cls_table[c]
        d = k == _DIGIT
        val = val * mult[c] + _DIGIT_VALUE[c]
        ndig += d
        nfrac += d & seen_dec
        grp += d & in_group
        dec = k == _DEC
        th = k == _THOU
        sg = (k == _MINUS) | (k == _PLUS)
        bad |= k == _BAD
        bad |= (d | dec | th) & trailing
        bad |= dec & seen_dec
        bad |= (dec | th | sg) & in_group & (grp != 3)
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
    cents[small] = val[small] * _P10[(2 - nfrac[small]).astype(np.int64)]
    big = ~bad & (nfrac > 2)
    if big.any():
        q = _P10[(nfrac[big] - 2).astype(np.int64)]
        v = val[big]
        cents[big] = v // q + ((v % q) * 2 >= q)  # half away from zero (on the magnitude)
    cents = np.where(neg, -cents, cents)
    cents[bad] = 0
    return cents, ~bad


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
    raw = np.frombuffer(text.translate(_NORMALISE).encode("utf-8"), dtype=np.uint8)
    nul = np.flatnonzero(raw == 0)
    starts = np.concatenate(([0], nul + 1)).astype(np.int64)
    lens = np.concatenate((nul, [len(raw)])).astype(np.int64) - starts
    cents, ok = _amounts_fast(raw, starts, lens, decimal)
    rest = np.flatnonzero(~ok)
    if len(rest):
        cents[rest], ok[rest] = _amounts_general(raw, starts[rest], lens[rest], decimal, thousands)
    return cents, ok


def _sides(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """(cents, ok) of a row from its amount columns' (cents, ok, empty): one Belopp column as
    parsed; Debet and Kredit as debet − kredit, where a side left empty counts as zero (the usual
    layout: one side filled per line), but both empty is no amount (the row is rejected, as an
    empty Belopp is)."""
    if len(parts) == 1:
        return parts[0][0], parts[0][1]
    (cd, od, ed), (ck, ok_, ek) = parts
    od = od | (ed & ~ek)
    ok_ = ok_ | (ek & ~ed)
    return cd - ck, od & ok_


def _negative_credit(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> np.ndarray | None:
    """Rows whose Kredit holds a negative amount (read as a debit), or None without Kredit."""
    if len(parts) == 1:
        return None
    ck, ok_, _ = parts[1]
    return ok_ & (ck < 0)


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
    if "debet" in found and "kredit" in found and not (explicit and "belopp" in explicit):
        # Debet and Kredit are the amount: a Saldo beside them is a running balance (Fortnox,
        # Visma), which summed would count every earlier line again
        found.pop("belopp", None)
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
    if len(t) > MAX_KEY_CHARS:
        return 0, None
    for rx, mi, yi, di in ((_RE_MONTH, 1, None, None), (_RE_YM, 2, 1, None),
                           (_RE_MY, 1, 2, None), (_RE_ISO, 2, 1, 3), (_RE_DMY, 2, 3, 1)):
        m = rx.match(t)
        if m:
            month = int(m.group(mi))
            year = int(m.group(yi)) if yi else None
            if not 1 <= month <= 12:
                return 0, year
            if year is not None and not 1900 <= year <= 2200:
                # "45747" (an Excel date serial) is not July 4574, nor "250301" January 2503
                return 0, None
            if di is not None and year is not None:
                try:  # a date must exist: 2025-02-30 is not a day of February
                    date(year, month, int(m.group(di)))
                except ValueError:
                    return 0, year
            return month, year
    return 0, None


# --------------------------------------------------------------------------------------------
# The ledger

#: Rows per chunk on the general (pandas) path; bytes per block on the fast path.
CHUNK_ROWS = 500_000
BLOCK_BYTES = 8 << 20
#: Key fields longer than this many bytes send the file to the general path.
MAX_FAST_KEY = 16


class _Interner:
    """Distinct texts of a key column across chunks -> stable integer codes."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.values: list[str] = []
        self.cut: set[int] = set()  # codes of texts longer than MAX_KEY_CHARS (cut)

    def code(self, text: str) -> int:
        found = self.index.get(text)
        if found is None:
            key = text
            if len(text) > MAX_KEY_CHARS:  # bounded: it may become a unit name in a workbook
                key = f"(för lång, {len(text)} tecken) {text[:30]}…"
                found = self.index.get(key)
                if found is not None:
                    self.index[text] = found
                    return found
            found = self.index[text] = self.index[key] = len(self.values)
            self.values.append(key)
            if key is not text:
                self.cut.add(found)
        return found

    def add(self, local_codes: np.ndarray, uniq: Iterable[object]) -> np.ndarray:
        lut = [self.code("" if u is None else str(u)) for u in uniq]
        lut.append(self.code("") if (local_codes < 0).any() else 0)  # local -1 (missing) -> ""
        return np.asarray(lut, dtype=np.int32)[local_codes]

    def add_texts(self, values: np.ndarray) -> np.ndarray:
        codes, uniq = pd.factorize(values, sort=False)
        return self.add(codes, uniq)

    def categorical(self, codes: np.ndarray) -> pd.Series:
        cats = pd.Index(self.values, dtype=object)
        return pd.Series(pd.Categorical.from_codes(codes, categories=cats))

    def empty(self) -> np.ndarray:
        """Per code: the text is empty or only spaces (one extra False for safety)."""
        return np.array([v.strip() == "" for v in self.values] + [False], dtype=bool)


@dataclass
class _Acc:
    """Columns accumulated over chunks (codes into the interners, cents, flags)."""

    konto: _Interner = field(default_factory=_Interner)
    kst: _Interner = field(default_factory=_Interner)
    period: _Interner = field(default_factory=_Interner)
    parts: list[tuple[np.ndarray | None, ...]] = field(default_factory=list)  # k c p cents ok blank
    bad_text: dict[int, str] = field(default_factory=dict)  # row -> amount text (first few)
    skipped_lines: list[int] = field(default_factory=list)  # lines the CSV parser refused
    rows: int = 0
    decimal: str | None = None
    negative_credit: list[int] = field(default_factory=list)  # rows (first few) and a count
    negative_credits: int = 0

    def note_negative_credit(self, mask: np.ndarray | None) -> None:
        """Before :meth:`add` of the same chunk: rows whose Kredit is negative."""
        if mask is None or not mask.any():
            return
        idx = np.flatnonzero(mask)
        self.negative_credits += len(idx)
        room = max(0, 5 - len(self.negative_credit))
        self.negative_credit += [self.rows + int(i) for i in idx[:room]]

    def add(self, k: np.ndarray, c: np.ndarray, p: np.ndarray, cents: np.ndarray, ok: np.ndarray,
            texts: Callable[[np.ndarray], list[str]]) -> None:
        """One chunk. ``texts(idx)`` gives the amount texts of rows ``idx`` (for findings)."""
        blank = np.zeros(len(cents), bool)  # every used cell empty: not a data row
        if not ok.all():
            candidates = np.flatnonzero(
                ~ok & self.konto.empty()[k] & self.kst.empty()[c] & self.period.empty()[p])
            if len(candidates):
                blank[candidates] = [t.replace("/", "").strip() == "" for t in texts(candidates)]
            bad = np.flatnonzero(~ok & ~blank)[: max(0, MAX_ROW_FINDINGS - len(self.bad_text))]
            for i, t in zip(bad, texts(bad), strict=True):
                self.bad_text[self.rows + int(i)] = _quote(t)
        self.parts.append((k, c, p, cents, ok, blank))
        self.rows += len(cents)


def _quote(text: str) -> str:
    """A bad field as a message quotes it: at most QUOTE_CHARS characters."""
    return text if len(text) <= QUOTE_CHARS else f"{text[:QUOTE_CHARS]}… ({len(text)} tecken)"


def _overlong_line(data: bytes, start: int = 0) -> tuple[int, int] | None:
    """(line number, length in bytes) of the first line longer than MAX_LINE_BYTES, or None.

    Cheap: one ``rfind`` per MAX_LINE_BYTES window (C speed), never a copy of the data.
    """
    pos, n = start, len(data)
    while n - pos > MAX_LINE_BYTES:
        nl = data.rfind(b"\n", pos, pos + MAX_LINE_BYTES + 1)
        if nl < 0:
            end = data.find(b"\n", pos)
            length = (n if end < 0 else end) - pos
            return data.count(b"\n", 0, pos) + 1, length
        pos = nl + 1
    return None


def _gather(raw: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> bytes:
    """The fields' bytes joined by NUL (vectorised)."""
    total = int(lens.sum()) + len(lens)
    if total == 0:
        return b""
    out_start = np.concatenate(([0], np.cumsum(lens + 1)[:-1]))
    idx = np.repeat(starts - out_start, lens + 1) + np.arange(total)
    buf = raw[np.minimum(idx, len(raw) - 1)].copy()
    buf[out_start + lens] = 0
    return buf[:-1].tobytes()


#: a dot followed by exactly three digits ("1.234", "12.500,00" has a comma too)
_DOT3 = re.compile(r"\d\.\d{3}(?!\d)")
_DOT = re.compile(r"\.\d")
AMBIGUOUS = "?"


def _decide_decimal(sample: bytes | str, delimiter: str, thousands: str | None) -> str | None:
    """Decimal separator from amount texts: None while no separator has been seen;
    :data:`AMBIGUOUS` when every dot in them is followed by exactly three digits and nothing
    else tells: "1.234" and "12.500" are thousands (a ledger has two decimals), but read with a
    decimal dot they were 1,23 and 12,50, a thousandth of the amount, without a word."""
    if thousands in (",", "."):
        return "," if thousands == "." else "."
    comma = "," in sample if isinstance(sample, str) else b"," in sample
    dot = "." in sample if isinstance(sample, str) else b"." in sample
    if comma and delimiter != ",":
        return ","
    if dot and not comma:
        text = sample if isinstance(sample, str) else sample.decode("latin-1")
        dots = len(_DOT.findall(text))
        if dots and len(_DOT3.findall(text)) == dots:
            return AMBIGUOUS
    return "." if dot or comma else None


def _fast_csv(
    data: bytes, body: int, delimiter: str, ncols: int, use: dict[str, int],
    amount_roles: list[str], encoding: str, options: CsvOptions, acc: _Acc,
    stop: int | None = None,
) -> bool:
    """Tokenise a plain CSV (no quotes, no blank or ragged lines) with numpy; False -> fall back.

    Reads ``data[body:stop]`` (``stop`` at a line start or the end).
    """
    if b'"' in data or b"\x00" in data or len(delimiter) != 1 or ord(delimiter) > 127:
        return False
    d = ord(delimiter)
    has_cr = b"\r" in data
    packed = {role: _Packed() for role in ("konto", "kostnadsstalle", "period")}
    stop = len(data) if stop is None else stop
    pos = body
    while pos < stop:
        end = data.find(b"\n", min(pos + BLOCK_BYTES, stop - 1), stop)
        end = stop if end < 0 else end + 1
        raw = np.frombuffer(data, dtype=np.uint8, count=end - pos, offset=pos)
        pos = end
        rawp = np.zeros(len(raw) + MAX_FAST_KEY + 24, np.uint8)  # padded: gathers past the end
        rawp[: len(raw)] = raw
        rawp[len(raw)] = 10  # a virtual newline ends a last line that has none
        seps = np.flatnonzero((raw == d) | (raw == 10))
        if len(raw) and raw[-1] != 10:
            seps = np.append(seps, len(raw))
        if len(seps) % ncols:
            return False
        grid = seps.reshape(-1, ncols)
        is_nl = rawp[grid] == 10
        if not (is_nl[:, -1].all() and not is_nl[:, :-1].any()):
            return False
        starts = np.empty_like(grid)
        starts[0, 0] = 0
        starts[1:, 0] = grid[:-1, -1] + 1
        starts[:, 1:] = grid[:, :-1] + 1
        lens = grid - starts
        if has_cr:
            last_end = grid[:, -1]
            cr = (lens[:, -1] > 0) & (raw[np.maximum(last_end - 1, 0)] == 13)
            lens[:, -1] -= cr
        words = _words(rawp)
        keys = []
        for role, interner in (("konto", acc.konto), ("kostnadsstalle", acc.kst),
                               ("period", acc.period)):
            s, ln = starts[:, use[role]], lens[:, use[role]]
            if ln.max(initial=0) > MAX_FAST_KEY:
                return False
            keys.append(_pack_keys(words, s, ln, encoding, interner, packed[role]))
        parts = []
        for role in amount_roles:
            s, ln = starts[:, use[role]], lens[:, use[role]]
            if acc.decimal is None:  # decide on a sample; the whole block if it says nothing
                acc.decimal = options.decimal or _decide_decimal(
                    _gather(rawp, s[:20_000], ln[:20_000]), delimiter, options.thousands
                ) or _decide_decimal(_gather(rawp, s, ln), delimiter, options.thousands)
            dec = "." if acc.decimal in (None, AMBIGUOUS) else acc.decimal
            c, o = _amounts_fast(rawp, s, ln, dec)
            rest = np.flatnonzero(~o)
            if len(rest):
                texts = _gather(rawp, s[rest], ln[rest]).decode(encoding).split("\x00")
                c[rest], o[rest] = parse_amounts(texts, decimal=dec, thousands=options.thousands)
            parts.append((c, o, ln == 0))
        cents, ok = _sides(parts)
        acc.note_negative_credit(_negative_credit(parts))
        amount_cols = [use[r] for r in amount_roles]

        def texts(idx: np.ndarray, starts: np.ndarray = starts, lens: np.ndarray = lens,
                  rawp: np.ndarray = rawp, amount_cols: list[int] = amount_cols) -> list[str]:
            return [" / ".join(rawp[starts[i, c] : starts[i, c] + lens[i, c]].tobytes()
                               .decode(encoding) for c in amount_cols) for i in idx]

        acc.add(*keys, cents, ok, texts)
    return True


_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)


def _words(rawp: np.ndarray) -> np.ndarray:
    """An (unaligned) view: ``words[i]`` is the 8 bytes from ``rawp[i]`` as a little-endian uint64."""
    return np.ndarray(shape=(len(rawp) - 7,), dtype="<u8", buffer=rawp, offset=0, strides=(1,))


class _Packed:
    """Packed keys (<= 8 bytes as uint64) already seen -> their codes in the text interner.

    Only keys not seen in earlier blocks are decoded to text (in Python), so the cost per block
    is vectorised (``Index.get_indexer``) whatever the number of distinct cost centres.
    """

    def __init__(self) -> None:
        self.known = np.zeros(0, np.uint64)
        self.code_of = np.zeros(0, np.int32)
        self.index = pd.Index(self.known)

    def codes(self, uniq: np.ndarray, interner: _Interner, encoding: str) -> np.ndarray:
        pos = self.index.get_indexer(uniq)
        new = np.flatnonzero(pos < 0)
        if len(new):
            fresh = uniq[new]
            texts = (int(u).to_bytes(8, "little").rstrip(b"\x00").decode(encoding) for u in fresh)
            pos[new] = len(self.known) + np.arange(len(new))
            self.code_of = np.concatenate(
                (self.code_of, np.fromiter((interner.code(t) for t in texts), np.int32, len(new))))
            self.known = np.concatenate((self.known, fresh))
            self.index = pd.Index(self.known)
        return self.code_of[pos]


def _pack_keys(words: np.ndarray, s: np.ndarray, ln: np.ndarray, encoding: str,
               interner: _Interner, packed: _Packed) -> np.ndarray:
    """Key fields (<= 16 bytes) packed into one or two integers, factorised, interned as text."""
    width = int(ln.max(initial=0))
    lo = words[s] & _LOW_BYTES[np.minimum(ln, 8)]
    if width <= 8:
        codes, uniq = pd.factorize(lo, sort=False)
        return packed.codes(np.asarray(uniq, np.uint64), interner, encoding)[codes]
    hi = words[s + 8] & _LOW_BYTES[np.clip(ln - 8, 0, 8)]
    c_lo, u_lo = pd.factorize(lo, sort=False)
    c_hi, u_hi = pd.factorize(hi, sort=False)
    codes, uniq = pd.factorize(c_lo.astype(np.int64) * len(u_hi) + c_hi, sort=False)
    texts = [
        (int(u_lo[u // len(u_hi)]).to_bytes(8, "little")
         + int(u_hi[u % len(u_hi)]).to_bytes(8, "little")).rstrip(b"\x00").decode(encoding)
        for u in uniq
    ]
    return interner.add(codes, texts)


_FORK_DATA: bytes = b""  # the file's bytes, inherited by forked workers (no copy)


def _fast_part(args: tuple) -> tuple | None:
    """Worker: the fast path over one byte range; compact columns and its distinct texts."""
    start, stop, data, rest = args
    data = _FORK_DATA if data is None else data
    acc = _Acc()
    if not _fast_csv(data, start, *rest, acc, stop=stop):
        return None
    columns = tuple(np.concatenate([part[i] for part in acc.parts]) for i in range(6)) \
        if acc.parts else None
    return (acc.konto.values, acc.kst.values, acc.period.values, columns, acc.bad_text,
            acc.rows, acc.decimal)


def _fast_csv_parallel(
    data: bytes, body: int, jobs: int, rest: tuple, acc: _Acc
) -> bool:
    """The fast path split over ``jobs`` processes by byte ranges (lines never cut)."""
    import multiprocessing

    from workbook_templates.files.workers import worker_pool

    global _FORK_DATA
    cuts = [body]
    for i in range(1, jobs):
        nl = data.find(b"\n", body + (len(data) - body) * i // jobs)
        if nl < 0 or nl + 1 <= cuts[-1]:
            continue
        cuts.append(nl + 1)
    cuts.append(len(data))
    fork = "fork" in multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if fork else "spawn")
    _FORK_DATA = data if fork else b""
    try:
        with worker_pool(len(cuts) - 1, ctx) as pool:  # workers die with this process
            tasks = [(a, b, None, rest) if fork else (0, b - a, data[a:b], rest)
                     for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
            results = list(pool.map(_fast_part, tasks))
    finally:
        _FORK_DATA = b""
    if any(r is None for r in results):
        return False
    for konto, kst, period, columns, bad_text, rows, decimal in results:
        if columns is None:
            continue
        luts = [np.array([interner.code(v) for v in values] or [0], dtype=np.int32)
                for interner, values in ((acc.konto, konto), (acc.kst, kst), (acc.period, period))]
        k, c, p, cents, ok, blank = columns
        acc.parts.append((luts[0][k], luts[1][c], luts[2][p], cents, ok, blank))
        for i, text in bad_text.items():
            if len(acc.bad_text) < MAX_ROW_FINDINGS:
                acc.bad_text[acc.rows + i] = text
        acc.rows += rows
        acc.decimal = acc.decimal or decimal
    return True


def _wider_than_header(data: bytes, body: int, encoding: str, delimiter: str, n: int
                       ) -> tuple[str, int, int] | None:
    """When the first record has more fields than the header's ``n`` (pandas would then take
    the first column for an index and shift every column): ("trailing", 0, 0) when every record's
    fields beyond the header are empty (a delimiter at the end of each line); ("refuse", line,
    fields) at the first record whose extra fields hold something (an unquoted decimal comma).
    None when the first record is not wider (pandas refuses a wider line after it by itself)."""
    reader = csv.reader(io.StringIO(data[body:].decode(encoding, errors="replace")),
                        delimiter=delimiter)
    first = next(reader, None)
    if first is None or len(first) <= n:
        return None
    if any(f.strip() for f in first[n:]):
        return "refuse", 2, len(first)
    for rec in reader:
        if len(rec) > n and any(f.strip() for f in rec[n:]):
            return "refuse", reader.line_num + 1, len(rec)
    return "trailing", 0, 0


def _pandas_csv(
    data: bytes, encoding: str, delimiter: str, headers: list[str], use: dict[str, int],
    amount_roles: list[str], options: CsvOptions, acc: _Acc, *, trailing: bool = False,
) -> None:
    """The general path: pandas' C parser in chunks (quotes, ragged and blank lines).
    ``trailing``: the lines end with empty fields beyond the header's (dropped)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reader = pd.read_csv(
            # all columns (no usecols): then a line with too many fields is refused and
            # reported instead of being cut silently (an unquoted decimal comma, say)
            io.BytesIO(data), sep=delimiter, header=0, names=list(range(len(headers))), dtype=str,
            encoding=encoding, keep_default_na=False, na_filter=False, skip_blank_lines=False,
            engine="c", on_bad_lines="warn", chunksize=CHUNK_ROWS,
            index_col=False if trailing else None,
        )
        for chunk in reader:
            amounts = [chunk[use[r]].to_numpy(dtype=object) for r in amount_roles]
            if acc.decimal is None:
                acc.decimal = options.decimal or _decide_decimal(
                    "".join("".join(a) for a in amounts), delimiter, options.thousands)
            dec = "." if acc.decimal in (None, AMBIGUOUS) else acc.decimal
            parts = []
            for a in amounts:
                c, o = parse_amounts(a, decimal=dec, thousands=options.thousands)
                parts.append((c, o, np.array([not str(v).strip() for v in a], dtype=bool)))
            cents, ok = _sides(parts)
            acc.note_negative_credit(_negative_credit(parts))

            def texts(idx: np.ndarray, amounts: list[np.ndarray] = amounts) -> list[str]:
                return [" / ".join(str(a[i]) for a in amounts) for i in idx]

            acc.add(acc.konto.add_texts(chunk[use["konto"]].to_numpy(dtype=object)),
                    acc.kst.add_texts(chunk[use["kostnadsstalle"]].to_numpy(dtype=object)),
                    acc.period.add_texts(chunk[use["period"]].to_numpy(dtype=object)),
                    cents, ok, texts)
    for w in caught:
        acc.skipped_lines += [int(x) for x in re.findall(r"[Ll]ine (\d+)", str(w.message))]


def _finish(
    acc: _Acc, cols: dict[str, int], source: str, sheet: str | None, first_line: int = 2,
) -> tuple[pd.DataFrame, list[Finding], int, int, tuple[int, ...]]:
    """Frame, row findings (with file lines / cells), rows read, rows rejected, years."""
    findings: list[Finding] = []
    if acc.parts:
        columns = []
        for i in range(6):  # column by column, dropping the chunks as we go (peak memory)
            columns.append(np.concatenate([part[i] for part in acc.parts]))
            acc.parts = [part[:i] + (None,) + part[i + 1 :] for part in acc.parts]
        acc.parts.clear()
        k, c, p, cents, ok, blank = columns
        del columns
    else:
        k = c = p = np.zeros(0, np.int32)
        cents, ok, blank = np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0, bool)
    n = len(cents)
    skipped = np.sort(np.array(acc.skipped_lines, np.int64))
    skipped_shift = skipped - np.arange(len(skipped))

    def line_of(i: int) -> int:
        """File line of row ``i``: rows count from ``first_line``, skipping refused lines."""
        line0 = i + first_line
        return int(line0 + np.searchsorted(skipped_shift, line0, side="right"))

    if acc.skipped_lines:
        for s_line in sorted(acc.skipped_lines)[:MAX_ROW_FINDINGS]:
            findings.append(Finding(
                RULE, Severity.ERROR,
                f"Rad {s_line} har fel antal fält och kunde inte läsas; den ingår inte i summorna. "
                "Kontrollera avgränsare och citattecken på raden.", None, None,
                Location(workbook=source, sheet=sheet, cell=f"A{s_line}")))
    rows_read = int(n - blank.sum()) + len(acc.skipped_lines)
    rejected = int((~ok & ~blank).sum()) + len(acc.skipped_lines)
    ambiguous = acc.decimal == AMBIGUOUS
    if ambiguous:  # no amount can be trusted: every row rejected, one finding says why
        ok = np.zeros_like(ok)
        rejected = rows_read
        findings.append(Finding(
            RULE, Severity.ERROR,
            "Beloppen i exporten har punkt följd av exakt tre siffror (t.ex. '1.234'): är punkten "
            "tusentalsavgränsare (1 234) eller decimaltecken (1,234)? Inget belopp lästes. Ange "
            "--tusental . (eller --decimal .) och kör importen igen.", None, None,
            Location(workbook=source, sheet=sheet)))

    def cell(i: int, role: str) -> str:
        return f"{_col_letter(cols[role])}{line_of(i)}"

    def listed(mask: np.ndarray, role: str, message: str, more: str) -> None:
        idx = np.flatnonzero(mask)
        for i in idx[:MAX_ROW_FINDINGS]:
            findings.append(Finding(RULE, Severity.ERROR, message.format(rad=line_of(int(i)), text=acc.bad_text.get(int(i), "")),
                                    None, None, Location(workbook=source, sheet=sheet, cell=cell(i, role))))
        if len(idx) > MAX_ROW_FINDINGS:
            findings.append(Finding(RULE, Severity.ERROR,
                                    f"... och {antal(len(idx) - MAX_ROW_FINDINGS, 'rad')} till {more}.",
                                    None, None, Location(workbook=source, sheet=sheet)))

    if acc.negative_credits and "kredit" in cols:
        lines = ", ".join(str(line_of(i)) for i in acc.negative_credit)
        more = " …" if acc.negative_credits > len(acc.negative_credit) else ""
        findings.append(Finding(
            RULE, Severity.WARNING,
            f"Kreditkolumnen har negativa belopp på {antal(acc.negative_credits, 'rad')} (rad "
            f"{lines}{more}): Debet − Kredit gör dem till debet, så en intäkt blir en kostnad. "
            "Skriver bokföringssystemet kredit som negativa tal, rätta exporten (kredit positiv) "
            "eller exportera en beloppskolumn.", None, None,
            Location(workbook=source, sheet=sheet,
                     cell=f"{_col_letter(cols['kredit'])}{line_of(acc.negative_credit[0])}")))
    amount_role = "belopp" if "belopp" in cols else "debet"
    listed(~ok & ~blank & (not ambiguous), amount_role,
           "Beloppet '{text}' på rad {rad} är inte ett tal; raden togs inte med. Rätta beloppet "
           "(decimaltecken och tusentalsavgränsare kan anges vid importen).",
           "med belopp som inte är tal")
    keep = ok & ~blank
    listed(acc.konto.empty()[k] & keep, "konto",
           "Kontot saknas på rad {rad}; raden räknas som omappad. Fyll i kontot eller ta bort "
           "raden (en summarad ska inte vara med i exporten).", "utan konto")
    for interner, role, what in ((acc.konto, "konto", "Kontot"),
                                 (acc.kst, "kostnadsstalle", "Kostnadsstället")):
        if interner.cut:
            listed(np.isin(k if role == "konto" else c, list(interner.cut)) & keep, role,
                   what + " på rad {rad} är längre än " + str(MAX_KEY_CHARS) + " tecken och "
                   "kortades (det mappas inte). Rätta fältet i exporten.",
                   "med för långa fält")
    months_u, years_u = _period_table(acc.period.values)
    months = months_u[p]
    listed((months == 0) & keep, "period",
           "Perioden på rad {rad} är inte en månad 1-12 eller ett datum; raden räknas som "
           "omappad. Rätta perioden.", "med ogiltig period")
    all_kept = bool(keep.all())
    frame = pd.DataFrame(
        {
            "konto": acc.konto.categorical(k if all_kept else k[keep]),
            "kostnadsstalle": acc.kst.categorical(c if all_kept else c[keep]),
            "period": months if all_kept else months[keep],
            "belopp": cents if all_kept else cents[keep],
        }
    )
    present = np.bincount(p if all_kept else p[keep], minlength=len(years_u)) > 0  # no sort
    found_years = tuple(sorted({int(y) for y in years_u[present] if y}))
    if len(found_years) > 1:
        findings.append(
            Finding(RULE, Severity.WARNING,
                    f"Exporten har perioder från flera år ({', '.join(map(str, found_years))}); de "
                    "slås ihop per månad. Exportera ett år i taget.", None, None,
                    Location(workbook=source, sheet=sheet))
        )
    # (the frame's own columns: no copy of the kept rows; a period by its month, whose year
    # several-year exports are refused for anyway)
    copies = _copies(frame["konto"].cat.codes.to_numpy(), frame["kostnadsstalle"].cat.codes
                     .to_numpy(), frame["period"].to_numpy(), frame["belopp"].to_numpy())
    if copies > 1:
        kept = np.flatnonzero(keep)  # (file lines of the kept rows)
        size = len(kept) // copies
        findings.append(Finding(
            RULE, Severity.ERROR,
            f"Exporten är {copies} exakt lika kopior av samma rader (rad {line_of(int(kept[0]))}–"
            f"{line_of(int(kept[size - 1]))} och sedan samma rader i samma ordning "
            f"{'en gång' if copies == 2 else f'{copies - 1} gånger'} till): den verkar vara "
            f"inklistrad flera gånger, och varje belopp skulle räknas {copies} gånger. Exportera "
            "på nytt, en gång.", None, None,
            Location(workbook=source, sheet=sheet, cell=f"A{line_of(int(kept[size]))}")))
    return frame, findings, rows_read, rejected, found_years, copies


#: an export shorter than this is not judged a repeated block (two equal rows can be real)
MIN_ROWS_FOR_COPIES = 10


def _copies(*columns: np.ndarray) -> int:
    """How many identical copies, one after the other, the rows are of one block (2 or 3;
    else 1): the signature of an export appended to itself (its header not repeated, which the
    reader refuses anyway). Exact on every field a row is counted by (account, cost centre,
    month, amount); a real ledger is never two equal halves in the same order."""
    n = len(columns[0])
    if n < MIN_ROWS_FOR_COPIES:
        return 1
    for copies in (2, 3):
        if n % copies:
            continue
        size = n // copies
        if all(np.array_equal(col[:size], col[i * size:(i + 1) * size])
               for col in columns for i in range(1, copies)) \
                and any(bool((col[:size] != col[0]).any()) for col in columns):
            # (a block of one row repeated is any number of copies of itself: twelve equal
            # bookings are not judged)
            return copies
    return 1


def _period_table(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    parsed = [_parse_period(v) for v in values]
    months = np.array([m for m, _ in parsed] + [0], dtype=np.int8)
    years = np.array([y or 0 for _, y in parsed] + [0], dtype=np.int32)
    return months, years


def _empty(source: str, findings: list[Finding], **kw: object) -> LedgerRead:
    frame = pd.DataFrame({"konto": pd.Series([], dtype=object),
                          "kostnadsstalle": pd.Series([], dtype=object),
                          "period": np.zeros(0, np.int8), "belopp": np.zeros(0, np.int64)})
    return LedgerRead(frame, tuple(findings), 0, 0, source, **kw)  # type: ignore[arg-type]


def _check_options(options: CsvOptions, source: str) -> list[Finding]:
    problems = []
    if options.decimal not in (None, ",", "."):
        problems.append(f"decimaltecknet '{options.decimal}' (använd ',' eller '.')")
    if options.thousands not in (None, ",", ".", " ", "'"):
        problems.append(f"tusentalsavgränsaren '{options.thousands}' (använd ' ', '.', ',' eller ''')")
    if options.decimal and options.thousands == options.decimal:
        problems.append("samma tecken som decimaltecken och tusentalsavgränsare")
    if options.delimiter is not None and len(options.delimiter) != 1:
        problems.append(f"avgränsaren '{options.delimiter}' (ett tecken: ';', ',' eller tab)")
    return [Finding(RULE, Severity.ERROR, f"Ogiltig importinställning: {p}. Inget importerades.",
                    None, None, Location(workbook=source)) for p in problems]


def read_ledger(
    path: str | Path, options: CsvOptions | None = None, *, jobs: int = 1
) -> LedgerRead:
    """Read a bookkeeping export (``.csv``/``.txt``/``.tsv`` or ``.xlsx``/``.xlsm``/``.xls``).

    ``jobs`` > 1 splits a large plain CSV over that many processes (see docs/LEDGER_IMPORT.md
    for when it pays). Never raises on bad input: problems are findings (module docstring).
    """
    path = Path(path)
    options = options or CsvOptions()
    bad_options = _check_options(options, path.name)
    if bad_options:
        return _empty(path.name, bad_options)
    if path.suffix.lower() in (*_SPREADSHEETS, *_UNREAD_SPREADSHEETS):
        return _read_ledger_xlsx(path, options)
    return _read_ledger_csv(path, options, jobs)


def _read_ledger_csv(path: Path, options: CsvOptions, jobs: int = 1) -> LedgerRead:
    try:
        return _read_ledger_csv_unguarded(path, options, jobs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError) as exc:
        # the CSV parser gave up (an unclosed quote, say): one finding, never a traceback
        return _empty(path.name, [Finding(
            RULE, Severity.ERROR,
            f"Exporten kan inte tolkas som CSV ({_quote(str(exc).strip())}). Kontrollera "
            "citattecken och "
            "avgränsare, eller ange dem vid importen.", None, None, Location(workbook=path.name))])


def _read_ledger_csv_unguarded(path: Path, options: CsvOptions, jobs: int) -> LedgerRead:
    source = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _empty(source, [Finding(RULE, Severity.ERROR,
                                       f"Filen kan inte läsas: {exc}. Kontrollera sökvägen.",
                                       None, None, Location(workbook=source))])
    # before anything decodes or copies the data (a 200 MB line cost 4 GB and 20 s before)
    overlong = _overlong_line(data)
    if overlong is not None:
        line, length = overlong
        return _empty(source, [Finding(
            RULE, Severity.ERROR,
            f"Rad {line} i exporten är {length:,} byte lång (högst {MAX_LINE_BYTES:,} byte per "
            "rad); exporten är trasig (ett saknat radslut eller citattecken). Inget importerades. "
            "Exportera på nytt.".replace(",", "\u00a0"), None, None,
            Location(workbook=source, cell=f"A{line}"))])
    encoding, findings = _detect_encoding(data, options.encoding, source)
    if encoding is None:
        return _empty(source, findings)
    reported = encoding
    if encoding == "utf-16":
        data = data.decode("utf-16").encode("utf-8")
        encoding = "utf-8"
    if encoding == "utf-8-sig":
        data = data[len(codecs.BOM_UTF8):]
        encoding = "utf-8"
    if data and not data.endswith((b"\n", b"\r")) and b"\n" in data:
        # an export ends its last line (a cut transfer leaves a part of one, whose amount
        # would be read as another number): said, with the line
        last = data.count(b"\n") + 1
        findings.append(Finding(
            RULE, Severity.WARNING,
            f"Exportens sista rad (rad {last}) slutar utan radslut. En export brukar sluta med "
            "ett radslut; saknas det kan filen vara avkortad (en avbruten överföring eller "
            "kopiering), och då saknas rader och den sista radens belopp kan vara avhugget. "
            "Jämför antalet rader och summan med bokföringen, eller exportera på nytt.",
            None, None, Location(workbook=source, cell=f"A{last}")))
    first_nl = data.find(b"\n")
    header = (data if first_nl < 0 else data[:first_nl]).decode(encoding).rstrip("\r")
    delimiter = options.delimiter or _sniff_delimiter(header)
    headers = next(csv.reader([header], delimiter=delimiter), [])
    cols, missing = _find_columns(headers, options.columns)
    if missing:
        return _empty(source, findings + [
            Finding(RULE, Severity.ERROR,
                    f"Exporten saknar kolumn för {', '.join(missing)} (rubriker: "
                    f"{_quote(', '.join(headers))}; avgränsare '{delimiter}'). Ange kolumnnamnen vid "
                    "importen eller rätta rubrikraden.", None, None,
                    Location(workbook=source, cell="A1"))
        ], encoding=encoding, delimiter=delimiter)
    amount_roles = ["belopp"] if "belopp" in cols else ["debet", "kredit"]
    use = {r: cols[r] for r in ["konto", "kostnadsstalle", "period", *amount_roles]}
    body = len(data) if first_nl < 0 else first_nl + 1
    acc = _Acc()
    rest = (delimiter, len(headers), use, amount_roles, encoding, options)
    parallel = jobs > 1 and len(data) - body > 2 * BLOCK_BYTES and b'"' not in data
    done = (_fast_csv_parallel(data, body, jobs, rest, acc) if parallel
            else _fast_csv(data, body, *rest, acc))
    trailing = False
    if not done:
        wide = _wider_than_header(data, body, encoding, delimiter, len(headers))
        if wide is not None and wide[0] == "refuse":
            _, line, fields = wide
            return _empty(source, findings + [Finding(
                RULE, Severity.ERROR,
                f"Rad {line} har fler fält ({fields}) än rubrikraden ({len(headers)}), så "
                "kolumnerna skulle förskjutas. Inget importerades. Kontrollera avgränsaren, och "
                "att ett belopp med decimalkomma i en kommaseparerad fil står inom citattecken.",
                None, None, Location(workbook=source, cell=f"A{line}"))],
                encoding=encoding, delimiter=delimiter)
        trailing = wide is not None  # only empty fields after the last header: dropped
        acc = _Acc()
        _pandas_csv(data, encoding, delimiter, headers, use, amount_roles, options, acc,
                    trailing=trailing)
    del data  # the file's bytes are no longer needed: lower peak memory in _finish

    frame, f, rows_read, rejected, years, copies = _finish(acc, cols, source, None)
    shown = {"\t": "tab", ";": ";", ",": ",", "|": "|"}.get(delimiter, delimiter)
    f.append(Finding(
        RULE, Severity.INFO,
        f"Läste {antal(rows_read, 'rad')} (kodning {reported}, avgränsare {shown}, decimaltecken "
        f"{'.' if acc.decimal in (None, AMBIGUOUS) else acc.decimal}; kolumner {', '.join(_quote(headers[use[r]]) for r in use)}).",
        None, None, Location(workbook=source)))
    return LedgerRead(frame, tuple(findings + f), rows_read, rejected, source, reported, delimiter,
                      "." if acc.decimal in (None, AMBIGUOUS) else acc.decimal, years, copies)


def _float_text(value: object) -> str:
    """A cell value as amount text: floats to Excel's 15 significant digits (what Excel shows;
    :func:`engine.money.excel_decimal`)."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else "x"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "x"
        r = format(value, ".15g")
        return format(Decimal(r), "f") if "e" in r or "E" in r else r
    return str(value)


#: spreadsheet files an export or a mapping may be; others (.xlsb, .ods) are refused, since
#: their sheets cannot be measured before calamine loads them (see :func:`_sheet_rows`)
_SPREADSHEETS = (".xlsx", ".xlsm", ".xls")
_UNREAD_SPREADSHEETS = (".xlsb", ".ods")


class _SheetUnreadable(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _sheet_rows(path: Path, sheet: str | None) -> tuple[str, list[list[object]]]:
    """(sheet name, calamine's rows of it) of an export's or a mapping's sheet (the first
    worksheet when ``sheet`` is None). An xlsx/xlsm is read through the workbook reader, with
    its guards: a sheet whose cells spread absurdly far (one stray value in XFD1048576) is
    refused before calamine loads it (calamine would allocate the whole rectangle, 512 GB, and
    abort the process), and an error value reads as itself (``#N/A``, a :class:`CellError`),
    not as the empty text calamine gives. A legacy .xls (at most 65 536 × 256 cells) is read by
    calamine directly. Raises _SheetUnreadable with a located finding."""
    source = path.name
    suffix = path.suffix.lower()
    if suffix in _UNREAD_SPREADSHEETS:
        raise _SheetUnreadable(Finding(
            RULE, Severity.ERROR,
            f"Filformatet {suffix} läses inte. Spara filen som Excel-arbetsbok (.xlsx) eller som "
            "CSV och försök igen.", None, None, Location(workbook=source)))
    if suffix == ".xls":
        from python_calamine import CalamineWorkbook

        try:
            wb = CalamineWorkbook.from_path(str(path))
            name = sheet or wb.sheet_names[0]
            return name, wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:  # calamine raises its own error types for broken files
            raise _SheetUnreadable(Finding(
                RULE, Severity.ERROR, f"Arbetsboken kan inte läsas ({exc}). Kontrollera filen "
                "och bladets namn.", None, None, Location(workbook=source, sheet=sheet))) from None
    from workbook_templates.files.reader import CellError, WorkbookReadError, open_workbook

    try:
        with open_workbook(path, numbers="float") as wb:
            names = [s.name for s in wb.structure.sheets if s.kind == "worksheet"]
            name = sheet if sheet is not None else names[0] if names else None
            if name is None or name not in names:
                listed = ", ".join(names) or "inga"
                raise _SheetUnreadable(Finding(
                    RULE, Severity.ERROR,
                    f"Arbetsboken har inget blad {name!r} (bladen: {listed}). Ange bladets namn."
                    if name is not None else "Arbetsboken har inget kalkylblad.",
                    None, None, Location(workbook=source, sheet=name)))
            grid, errors = wb.read_back_grid(name)
    except WorkbookReadError as exc:
        raise _SheetUnreadable(exc.finding) from None
    if errors:  # calamine read them as empty cells: put each error value in its place
        grid = [list(row) for row in grid]
        width = max((c for _, c in errors), default=0)
        for (r, c), code in errors.items():
            while len(grid) < r:
                grid.append([""] * width)
            row = grid[r - 1]
            if len(row) < c:
                row.extend([""] * (c - len(row)))
            row[c - 1] = CellError(code)
    return name, grid


def _read_ledger_xlsx(path: Path, options: CsvOptions) -> LedgerRead:
    source = path.name
    try:
        sheet_name, rows = _sheet_rows(path, options.sheet)
    except _SheetUnreadable as exc:
        return _empty(source, [exc.finding])
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
    body = rows[header_at + 1 :]

    def column(role: str) -> np.ndarray:
        i = cols[role]
        return np.array([r[i] if i < len(r) else "" for r in body], dtype=object)

    def key_text(values: np.ndarray) -> np.ndarray:
        return np.array([str(int(v)) if isinstance(v, float) and v.is_integer()
                         else v.strftime("%Y-%m-%d") if hasattr(v, "strftime")
                         else "" if v is None else str(v).strip() for v in values], dtype=object)

    amount_roles = ["belopp"] if "belopp" in cols else ["debet", "kredit"]
    n = len(body)
    parts = []
    all_texts = []
    ambiguous = False
    for role in amount_roles:
        values = column(role)
        is_num = np.array([isinstance(v, int | float) and not isinstance(v, bool) for v in values],
                          dtype=bool)
        texts = np.array([_float_text(v) for v in values], dtype=object)
        c = np.zeros(n, np.int64)
        o = np.zeros(n, bool)
        if is_num.any():
            c[is_num], o[is_num] = parse_amounts(texts[is_num], decimal=".")
        if (~is_num).any():
            t = texts[~is_num]
            dec = options.decimal or _decide_decimal("".join(t), ";", options.thousands) or "."
            if dec == AMBIGUOUS:
                ambiguous, dec = True, "."
            c[~is_num], o[~is_num] = parse_amounts(t, decimal=dec, thousands=options.thousands)
        parts.append((c, o, np.array([not str(v).strip() for v in texts], dtype=bool)))
        all_texts.append(texts)
    cents, ok = _sides(parts)
    acc = _Acc()
    acc.decimal = AMBIGUOUS if ambiguous else None
    acc.note_negative_credit(_negative_credit(parts))

    def texts_of(idx: np.ndarray) -> list[str]:
        return [" / ".join(str(t[i]) for t in all_texts) for i in idx]

    acc.add(acc.konto.add_texts(key_text(column("konto"))),
            acc.kst.add_texts(key_text(column("kostnadsstalle"))),
            acc.period.add_texts(key_text(column("period"))), cents, ok, texts_of)

    frame, f, rows_read, rejected, years, copies = _finish(acc, cols, source, sheet_name,
                                                           first_line=header_at + 2)
    used = ["konto", "kostnadsstalle", "period", *amount_roles]
    f.append(Finding(
        RULE, Severity.INFO,
        f"Läste {antal(rows_read, 'rad')} från bladet {sheet_name} (kolumner "
        f"{', '.join(headers[cols[r]] for r in used)}).", None, None,
        Location(workbook=source, sheet=sheet_name)))
    return LedgerRead(frame, tuple(f), rows_read, rejected, source, None, None, None, years,
                      copies)


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
        if path.suffix.lower() in (*_SPREADSHEETS, *_UNREAD_SPREADSHEETS):
            try:
                _, table = _sheet_rows(path, options.sheet)
            except _SheetUnreadable as exc:
                return Mappning((), (), source), [exc.finding]
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
    except Exception as exc:  # unreadable file, broken workbook (calamine's own errors), bad CSV
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
    jobs: int = 1,
) -> tuple[pd.DataFrame, ImportReport]:
    """Read an export and a mapping, map and aggregate: the outturn frame and the import report.

    The report's findings hold the mapping's, the reader's and the aggregation's findings in that
    order. See :func:`engine.ledger.aggregate_ledger` for the outturn frame's columns.
    """
    map_findings: list[Finding] = []
    if not isinstance(mappning, Mappning):
        mappning, map_findings = read_mappning(mappning, known_codes=known_codes)
    read = read_ledger(export, options, jobs=jobs)
    frame, report = aggregate_ledger(
        read.frame,
        mappning,
        rows_rejected=read.rows_rejected,
        input_findings=[*map_findings, *read.findings],
    )
    return frame, replace(report, years=read.years, copies=read.copies)
