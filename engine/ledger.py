"""Outturn (utfall) from a bookkeeping export: map ledger rows to budget lines and units, aggregate.

Pure and vectorised: no file I/O here (``workbook_templates/files/ledger_io.py`` reads the files). The
input is a ledger frame with one row per booking or per account/cost-centre/period total:

* ``konto`` - account number (text of digits; anything else is reported as an unmapped account),
* ``kostnadsstalle`` - cost centre (text),
* ``period`` - month 1..12 (an integer, or a date whose month is taken),
* ``belopp`` - amount in integer minor units (cents / öre, ``int64``), **debit positive** as
  bookkeeping exports give it.

A :class:`Mappning` says which account ranges go to which budget line (``RR.VI.FORS`` ...) with an
explicit sign per rule (``tecken``: the factor from the export's debit-positive sign to the
published convention, income +, costs -; never guessed, spec §4), and which cost centres go to
which task / result unit (exact code, prefix ``12*`` or range ``1000-1999``).

Account ranges use *prefix semantics*: a range written with four digits (``3000-3099``) matches
every account whose first four digits fall in it (``300012`` is in ``3000-3099``). Ranges written
with different numbers of digits are compared at the longest length (start padded with 0, end
with 9). Overlapping ranges are reported; the narrowest range wins (equal widths with different
targets are an error). Gaps between ranges are reported as info.

A rule may target ``EXKL`` (excluded: balance-sheet accounts, closing entries ...): those rows are
counted and totalled as *excluded*, never silently dropped.

Every row ends up in exactly one bucket, so the reconciliation (V10, input hygiene)

    total mapped + total excluded + total unmapped == export total      (to the cent, in öre)

holds by construction and is *checked* anyway from an independent sum of the raw amount column; a
failure is an error finding. Unmapped rows are split without overlap: rows whose account is not
mapped (per account), rows whose account is mapped but whose cost centre is not (per cost centre),
rows with both mapped but an invalid period (per period value).

Speed: the key columns are factorised (categorical codes), the mapping is applied to the
distinct accounts and cost centres only (``np.searchsorted`` over the sorted range starts) and
spread to the rows by their codes, and the sums are dense ``np.bincount`` over the (line, unit,
month) cell index - exact, because each amount is cut into three 21-bit slices whose float sums
cannot round (:func:`_exact_bincount`). Numbers in docs/LEDGER_IMPORT.md.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING

from engine.findings import Finding, Location, Severity
from engine.money import format_sv
from engine.svenska import antal, heltal

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:

    class _OnFirstUse:
        """numpy/pandas imported when the ledger import first needs them, so that the engine
        imports and runs without them (they are the ``kommunbudget[ledger]`` extra)."""

        def __init__(self, name: str) -> None:
            self._name = name
            self._module: ModuleType | None = None

        def __getattr__(self, attr: str) -> object:
            if self._module is None:
                try:
                    self._module = import_module(self._name)
                except ImportError as e:
                    raise ImportError(
                        f"Bokföringsimporten behöver {self._name}: installera "
                        "'kommunbudget[ledger]' (pip install 'kommunbudget[ledger]').") from e
            return getattr(self._module, attr)

    np = _OnFirstUse("numpy")
    pd = _OnFirstUse("pandas")

__all__ = [
    "EXKL",
    "LEDGER_COLUMNS",
    "ImportReport",
    "KontoRegel",
    "KstRegel",
    "Mappning",
    "Unmapped",
    "aggregate_ledger",
    "ore_to_decimal",
    "parse_mappning",
    "parse_tecken",
    "utfall_decimal",
    "utfall_per_enhet",
]

#: Target code that excludes rows on purpose (counted and totalled, not imported).
EXKL = "EXKL"
#: Columns of the ledger frame :func:`aggregate_ledger` reads.
LEDGER_COLUMNS = ("konto", "kostnadsstalle", "period", "belopp")
RULE = "V10"
#: At most this many findings of one kind are listed one by one; the rest are summarised.
MAX_FINDINGS_PER_KIND = 50

_PLUS = {"+", "+1", "1", "behåll", "behall", "pidä", "keep"}
_MINUS = {"-", "−", "-1", "−1", "vänd", "vand", "käännä", "flip"}


# --------------------------------------------------------------------------------------------
# Mapping table


@dataclass(frozen=True, slots=True)
class KontoRegel:
    """Accounts ``fran``..``till`` (digits, inclusive, prefix semantics) -> line ``radkod``.

    ``tecken`` is the factor (+1 or -1) from the export's sign to the published sign.
    """

    fran: str
    till: str
    radkod: str
    tecken: int
    benamning: str = ""
    rad: int | None = None


@dataclass(frozen=True, slots=True)
class KstRegel:
    """Cost centres -> unit ``enhet``: exact (``till`` None, not ``prefix``), prefix, or range.

    A range compares digit-only cost centres as integers (``0100`` == ``100``).
    """

    fran: str
    till: str | None
    enhet: str
    prefix: bool = False
    benamning: str = ""
    rad: int | None = None


@dataclass(frozen=True, slots=True)
class Mappning:
    """The mapping table: account rules and cost-centre rules. ``kalla`` names the source file.

    With no cost-centre rules at all, the cost centre itself is the unit (said by an info finding).
    """

    konton: tuple[KontoRegel, ...]
    kostnadsstallen: tuple[KstRegel, ...] = ()
    kalla: str | None = None


_ALIASES: dict[str, tuple[str, ...]] = {
    "typ": ("typ", "type", "tyyppi", "slag"),
    "fran": ("fran", "från", "from", "alku", "mistä", "mista", "konto", "kostnadsställe"),
    "till": ("till", "to", "loppu", "mihin"),
    "kod": ("kod", "radkod", "mal", "mål", "enhet", "code", "koodi", "rivi", "yksikkö"),
    "tecken": ("tecken", "sign", "etumerkki"),
    "benamning": ("benamning", "benämning", "namn", "name", "nimi", "selite"),
}
_KONTO_TYPES = {"konto", "tili", "account"}
_KST_TYPES = {"kst", "kostnadsstalle", "kostnadsställe", "kustannuspaikka", "cost_centre", "enhet"}


def parse_tecken(text: object) -> int | None:
    """``+``/``-`` (also ``+1``/``-1``, ``behåll``/``vänd``) -> +1/-1; anything else None."""
    if text is None:
        return None
    t = str(text).strip().lower()
    if t in _PLUS:
        return 1
    if t in _MINUS:
        return -1
    return None


def _field(row: Mapping[str, object], name: str) -> str:
    lowered = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    for alias in _ALIASES[name]:
        if alias in lowered and lowered[alias] is not None:
            value = lowered[alias]
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return str(value).strip()
    return ""


def _loc(kalla: str | None, rad: int | None) -> Location | None:
    if kalla is None and rad is None:
        return None
    return Location(workbook=kalla, cell=f"A{rad}" if rad is not None else None)


def parse_mappning(
    rows: Iterable[Mapping[str, object]],
    *,
    kalla: str | None = None,
    known_codes: Collection[str] | None = None,
) -> tuple[Mappning, list[Finding]]:
    """Mapping rules from table rows (dicts keyed by column header; ``_rad`` = source line number).

    Columns (Swedish / Finnish / English headers accepted): ``typ`` (``konto`` or ``kst``),
    ``fran``, ``till`` (empty for one account / an exact cost centre; a cost centre ``fran`` ending
    in ``*`` is a prefix), ``kod`` (line code, ``EXKL``, or the unit), ``tecken`` (``+``/``-``,
    required for accounts), ``benamning`` (free text). Bad rows become findings and are skipped;
    ``known_codes`` (e.g. the line catalogue's codes) makes unknown line codes errors.
    """
    konton: list[KontoRegel] = []
    kst: list[KstRegel] = []
    findings: list[Finding] = []

    def bad(rad: int | None, msg: str, obj: str | None = None) -> None:
        findings.append(Finding(RULE, Severity.ERROR, msg, obj, None, _loc(kalla, rad)))

    for i, row in enumerate(rows):
        rad_value = row.get("_rad")
        rad = int(rad_value) if isinstance(rad_value, int | float | str) and str(rad_value).isdigit() else i + 2
        typ = _field(row, "typ").lower()
        fran = _field(row, "fran")
        till = _field(row, "till")
        kod = _field(row, "kod")
        benamning = _field(row, "benamning")
        if not typ and not fran and not kod:
            continue  # blank line
        if typ in _KONTO_TYPES:
            till = till or fran
            if not (fran.isdigit() and till.isdigit()):
                bad(rad, f"Kontointervallet '{fran}'-'{till}' är inte siffror. Skriv kontonummer, t.ex. 3000 och 3099.")
                continue
            if _pad(fran, max(len(fran), len(till)), "0") > _pad(till, max(len(fran), len(till)), "9"):
                bad(rad, f"Kontointervallet {fran}-{till} börjar efter att det slutar. Byt plats på från och till.")
                continue
            if not kod:
                bad(rad, f"Kontointervallet {fran}-{till} saknar radkod. Ange en radkod eller {EXKL}.")
                continue
            tecken = parse_tecken(_field(row, "tecken"))
            if tecken is None and kod != EXKL:
                bad(
                    rad,
                    f"Kontointervallet {fran}-{till} ({kod}) saknar giltigt tecken. Ange '-' om "
                    "exportens debet-positiva belopp ska vändas (intäkter och kostnader i en "
                    "vanlig export) eller '+' om de redan har publiceringens tecken.",
                    kod,
                )
                continue
            if known_codes is not None and kod != EXKL and kod not in known_codes:
                bad(rad, f"Radkoden {kod} finns inte i radkatalogen. Rätta koden eller använd {EXKL}.", kod)
                continue
            konton.append(KontoRegel(fran, till, kod, tecken or 1, benamning, rad))
        elif typ in _KST_TYPES:
            if not fran or not kod:
                bad(rad, "Kostnadsställesraden saknar kostnadsställe eller enhet. Fyll i båda.")
                continue
            if fran.endswith("*"):
                kst.append(KstRegel(fran[:-1], None, kod, True, benamning, rad))
            elif till and till != fran:
                if not (fran.isdigit() and till.isdigit()) or int(fran) > int(till):
                    bad(rad, f"Kostnadsställesintervallet {fran}-{till} är inte ett stigande sifferintervall.")
                    continue
                kst.append(KstRegel(fran, till, kod, False, benamning, rad))
            else:
                kst.append(KstRegel(fran, None, kod, False, benamning, rad))
        else:
            bad(rad, f"Okänd typ '{typ}'. Skriv 'konto' för kontointervall eller 'kst' för kostnadsställen.")
    if not konton:
        findings.append(
            Finding(RULE, Severity.ERROR, "Mappningen har inga giltiga kontorader; inget kan importeras.",
                    None, None, _loc(kalla, None))
        )
    return Mappning(tuple(konton), tuple(kst), kalla), findings


# --------------------------------------------------------------------------------------------
# Compiled ranges


def _pad(digits: str, length: int, fill: str) -> int:
    return int(digits[:length].ljust(length, fill))


@dataclass(frozen=True, slots=True)
class _Segments:
    """Disjoint sorted integer segments [starts[k], ends[k]] -> rule index ``rule[k]``."""

    starts: np.ndarray
    ends: np.ndarray
    rule: np.ndarray

    def lookup(self, values: np.ndarray) -> np.ndarray:
        """Rule index per value (-1 where no segment covers it). ``values`` int64."""
        if len(self.starts) == 0:
            return np.full(len(values), -1, dtype=np.int64)
        pos = np.searchsorted(self.starts, values, side="right") - 1
        safe = np.clip(pos, 0, None)
        hit = (pos >= 0) & (values <= self.ends[safe])
        return np.where(hit, self.rule[safe], -1)


def _segments(
    bounds: list[tuple[int, int]],
    targets: list[str],
    what: str,
    what_gap: str,
    show: list[str],
    rows: list[int | None],
    kalla: str | None,
) -> tuple[_Segments, list[Finding]]:
    """Resolve possibly overlapping inclusive intervals into disjoint segments (narrowest wins).

    Findings: overlaps (warning; error when equally wide with different targets) and gaps
    between covered stretches (info).
    """
    findings: list[Finding] = []
    n = len(bounds)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Segments(empty, empty, empty), findings
    s = np.array([b[0] for b in bounds], dtype=np.int64)
    e = np.array([b[1] for b in bounds], dtype=np.int64)
    order = np.lexsort((np.arange(n), s))
    # overlaps: compare each interval with the one reaching furthest so far
    reach = -1
    holder = -1
    for i in order:
        if holder >= 0 and s[i] <= reach:
            a, b = holder, int(i)
            same_width = (e[a] - s[a]) == (e[b] - s[b])
            ambiguous = same_width and targets[a] != targets[b]
            duplicate = same_width and targets[a] == targets[b]
            if ambiguous:
                sev, tail = Severity.ERROR, "lika breda med olika mål; rätta mappningen."
            elif duplicate:
                sev, tail = Severity.WARNING, "samma intervall och mål står två gånger; ta bort dubbletten."
            else:
                sev, tail = Severity.WARNING, "det smalaste intervallet gäller där de överlappar."
            findings.append(
                Finding(
                    RULE,
                    sev,
                    f"{what} {show[a]} (rad {rows[a]}, {targets[a]}) och {show[b]} "
                    f"(rad {rows[b]}, {targets[b]}) överlappar: {tail}",
                    show[b],
                    None,
                    _loc(kalla, rows[b]),
                )
            )
        if e[i] > reach:
            reach, holder = int(e[i]), int(i)
    # gaps between merged stretches
    merged_end = None
    for i in order:
        if merged_end is not None and s[i] > merged_end + 1:
            findings.append(
                Finding(
                    RULE,
                    Severity.INFO,
                    f"{what_gap} {merged_end + 1}-{s[i] - 1} täcks inte av mappningen; rader där "
                    "rapporteras som omappade.",
                    None,
                    None,
                    _loc(kalla, None),
                )
            )
        merged_end = int(e[i]) if merged_end is None else max(merged_end, int(e[i]))
    s_sorted, e_sorted = s[order], e[order]
    if np.all(s_sorted[1:] > e_sorted[:-1]):  # disjoint: no resolution needed
        return _Segments(s_sorted, e_sorted, order.astype(np.int64)), findings
    # overlaps: elementary segments, each given to the narrowest covering rule (ties: earliest)
    cuts = np.unique(np.concatenate([s, e + 1]))
    seg_s = cuts[:-1]
    seg_e = cuts[1:] - 1
    width = e - s
    big = np.iinfo(np.int64).max
    best = np.zeros(len(seg_s), dtype=np.int64)
    has = np.zeros(len(seg_s), dtype=bool)
    step = max(1, 2_000_000 // n)
    for a in range(0, len(seg_s), step):
        covers = (s[None, :] <= seg_s[a : a + step, None]) & (e[None, :] >= seg_e[a : a + step, None])
        best[a : a + step] = np.argmin(np.where(covers, width[None, :], big), axis=1)
        has[a : a + step] = covers.any(axis=1)
    return _Segments(seg_s[has], seg_e[has], best[has]), findings


@dataclass(frozen=True)
class _Compiled:
    length: int  # account digits compared
    konto_seg: _Segments
    kst_exact: dict[str, int]
    kst_prefix: dict[int, dict[str, int]]  # prefix length -> {prefix: rule}
    kst_seg: _Segments
    findings: tuple[Finding, ...]


def _compile(m: Mappning) -> _Compiled:
    findings: list[Finding] = []
    length = max((max(len(r.fran), len(r.till)) for r in m.konton), default=1)
    kb = [(_pad(r.fran, length, "0"), _pad(r.till, length, "9")) for r in m.konton]
    kseg, f = _segments(
        kb,
        [r.radkod for r in m.konton],
        "Kontointervallen",
        "Kontona",
        [f"{r.fran}-{r.till}" if r.till != r.fran else r.fran for r in m.konton],
        [r.rad for r in m.konton],
        m.kalla,
    )
    findings += f
    exact: dict[str, int] = {}
    prefix: dict[int, dict[str, int]] = {}
    ranges: list[int] = []
    for i, r in enumerate(m.kostnadsstallen):
        if r.prefix:
            table = prefix.setdefault(len(r.fran), {})
            key, where = r.fran, table
        elif r.till is None:
            key, where = r.fran, exact
        else:
            ranges.append(i)
            continue
        if key in where and m.kostnadsstallen[where[key]].enhet != r.enhet:
            other = m.kostnadsstallen[where[key]]
            findings.append(
                Finding(RULE, Severity.ERROR,
                        f"Kostnadsstället {key}{'*' if r.prefix else ''} mappas både till "
                        f"{other.enhet} (rad {other.rad}) och {r.enhet} (rad {r.rad}); den första "
                        "gäller. Rätta mappningen.", key, None, _loc(m.kalla, r.rad))
            )
            continue
        where.setdefault(key, i)
    rb = [(int(m.kostnadsstallen[i].fran), int(m.kostnadsstallen[i].till or 0)) for i in ranges]
    cseg, f = _segments(
        rb,
        [m.kostnadsstallen[i].enhet for i in ranges],
        "Kostnadsställesintervallen",
        "Kostnadsställena",
        [f"{m.kostnadsstallen[i].fran}-{m.kostnadsstallen[i].till}" for i in ranges],
        [m.kostnadsstallen[i].rad for i in ranges],
        m.kalla,
    )
    findings += [x for x in f if x.severity is not Severity.INFO]  # gaps between cc ranges are normal
    cseg = _Segments(cseg.starts, cseg.ends, np.array(ranges, dtype=np.int64)[cseg.rule]
                     if len(ranges) else cseg.rule)
    return _Compiled(length, kseg, exact, prefix, cseg, tuple(findings))


def _map_konton(uniq: np.ndarray, c: _Compiled) -> np.ndarray:
    """Rule index per distinct account (-1: unmapped or not digits)."""
    s = pd.Series(uniq, dtype=object).astype(str).str.strip()
    digits = s.str.fullmatch(r"\d+").fillna(False).to_numpy(bool)
    padded = s.where(digits, "0").str.slice(0, c.length).str.ljust(c.length, "0")
    values = padded.astype(np.int64).to_numpy()
    rule = c.konto_seg.lookup(values)
    return np.where(digits, rule, -1)


def _map_kst(uniq: np.ndarray, c: _Compiled) -> np.ndarray:
    """Rule index per distinct cost centre: exact, then longest prefix, then narrowest range."""
    s = pd.Series(uniq, dtype=object).astype(str).str.strip()
    out = s.map(c.kst_exact).to_numpy(dtype=float, copy=True)
    for plen in sorted(c.kst_prefix, reverse=True):
        need = np.isnan(out)
        if not need.any():
            break
        hit = s.str.slice(0, plen).map(c.kst_prefix[plen]).to_numpy(dtype=float, copy=True)
        hit[(s.str.len() < plen).to_numpy()] = np.nan
        out = np.where(need, hit, out)
    need = np.isnan(out)
    if need.any() and len(c.kst_seg.starts):
        digits = s.str.fullmatch(r"\d{1,18}").fillna(False).to_numpy(bool)
        values = s.where(digits, "0").astype(np.int64).to_numpy()
        rng = c.kst_seg.lookup(values).astype(float)
        rng[~digits | (rng < 0)] = np.nan
        out = np.where(need, rng, out)
    return np.where(np.isnan(out), -1, out).astype(np.int64)


# --------------------------------------------------------------------------------------------
# Report


@dataclass(frozen=True, slots=True)
class Unmapped:
    """One unmapped account / cost centre / period value: how many rows and their total (öre)."""

    key: str
    rows: int
    total_ore: int

    @property
    def total(self) -> Decimal:
        return ore_to_decimal(self.total_ore)


@dataclass(frozen=True)
class ImportReport:
    """What the import read, mapped, excluded and left unmapped, and the reconciliation (öre).

    Totals are in the export's own sign (debit positive) so that they can be compared with the
    export's control total; :attr:`total_mapped_published` is the mapped total after the
    per-rule signs. Row buckets are disjoint: ``rows_aggregated == rows_mapped + rows_excluded +
    rows_unmapped``; ``rows_read`` also counts rows the reader rejected (amount not a number).
    """

    rows_read: int
    rows_rejected: int
    rows_aggregated: int
    rows_mapped: int
    rows_excluded: int
    rows_unmapped: int
    total_export_ore: int
    total_mapped_ore: int
    total_excluded_ore: int
    total_unmapped_ore: int
    total_mapped_published_ore: int
    unmapped_accounts: tuple[Unmapped, ...]
    unmapped_cost_centres: tuple[Unmapped, ...]
    invalid_periods: tuple[Unmapped, ...]
    findings: tuple[Finding, ...] = field(default=())
    #: the calendar years of the export's periods (none when its periods name no year)
    years: tuple[int, ...] = ()
    #: how many identical copies of one block of rows the export is (2: appended twice)
    copies: int = 1

    @property
    def reconciled(self) -> bool:
        """mapped + excluded + unmapped == export total, exactly."""
        return (
            self.total_mapped_ore + self.total_excluded_ore + self.total_unmapped_ore
            == self.total_export_ore
        )

    def lines(self) -> list[str]:
        """The report as Swedish text lines (for the CLI and the import sheet)."""
        def d(ore: int) -> str:
            return format_sv(ore_to_decimal(ore))

        out = [
            f"Rader lästa: {heltal(self.rows_read)}  (avvisade: {heltal(self.rows_rejected)})",
            f"Rader mappade: {heltal(self.rows_mapped)}  exkluderade: "
            f"{heltal(self.rows_excluded)}  omappade: {heltal(self.rows_unmapped)}",
            f"Summa export:      {d(self.total_export_ore)}",
            f"  mappat:          {d(self.total_mapped_ore)}",
            f"  exkluderat:      {d(self.total_excluded_ore)}",
            f"  omappat:         {d(self.total_unmapped_ore)}",
            "Avstämning: " + ("STÄMMER INTE" if not self.reconciled else "stämmer på centen"
                              if not self.rows_rejected else
                              f"stämmer på centen för de lästa raderna; "
                              f"{heltal(self.rows_rejected)} avvisade rader ingår inte"),
        ]
        for title, items in (
            ("Omappade konton", self.unmapped_accounts),
            ("Omappade kostnadsställen", self.unmapped_cost_centres),
            ("Ogiltiga perioder", self.invalid_periods),
        ):
            if items:
                out.append(f"{title}: {heltal(len(items))}")
                out += [f"  {u.key or '(tomt)'}: {antal(u.rows, 'rad')}, {format_sv(u.total)}"
                        for u in items[:20]]
                if len(items) > 20:
                    out.append(f"  ... och {len(items) - 20} till")
        return out


def ore_to_decimal(ore: int) -> Decimal:
    """Integer minor units -> ``Decimal`` with two decimals (``12345`` -> ``Decimal('123.45')``)."""
    return Decimal(int(ore)).scaleb(-2).quantize(Decimal("0.01"))


def utfall_per_enhet(
    utfall: pd.DataFrame, *, till_period: int = 12
) -> dict[tuple[str, str], Decimal]:
    """Outturn to date: ``{(radkod, enhet): Decimal}`` summed over months 1..``till_period``.

    Sums are exact (integer cents); the published sign is kept (income +, costs -).
    """
    part = utfall[utfall["period"] <= till_period]
    sums: dict[tuple[str, str], int] = {}
    for k, u, v in zip(part["radkod"], part["enhet"], part["belopp_ore"], strict=True):
        key = (str(k), str(u))
        sums[key] = sums.get(key, 0) + int(v)
    return {key: ore_to_decimal(v) for key, v in sums.items()}


def utfall_decimal(utfall: pd.DataFrame) -> dict[tuple[str, str, int], Decimal]:
    """The aggregated outturn as ``{(radkod, enhet, period): Decimal}`` in the published sign."""
    return {
        (str(k), str(u), int(p)): ore_to_decimal(v)
        for k, u, p, v in zip(
            utfall["radkod"], utfall["enhet"], utfall["period"], utfall["belopp_ore"], strict=True
        )
    }


# --------------------------------------------------------------------------------------------
# Aggregation


def _codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and distinct values of a column (categorical codes when already categorical)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(np.int32)
        uniq = col.cat.categories.to_numpy(dtype=object)
        if (codes < 0).any():  # NaN category -> an explicit empty value
            uniq = np.append(uniq, "")
            codes = np.where(codes < 0, len(uniq) - 1, codes)
        return codes, uniq
    codes, uniq = pd.factorize(col.fillna(""), sort=False)
    return codes.astype(np.int32), np.asarray(uniq, dtype=object)


def _months(col: pd.Series) -> tuple[np.ndarray, list[Finding]]:
    """Month 1..12 per row, 0 where the period is not a valid month."""
    findings: list[Finding] = []
    if pd.api.types.is_datetime64_any_dtype(col):
        years = col.dt.year.dropna().unique()
        if len(years) > 1:
            findings.append(
                Finding(RULE, Severity.WARNING,
                        f"Exporten har datum från flera år ({', '.join(str(int(y)) for y in sorted(years))}); "
                        "perioderna slås ihop per månad. Exportera ett år i taget.")
            )
        return col.dt.month.fillna(0).to_numpy().astype(np.int8), findings
    if pd.api.types.is_integer_dtype(col):
        values = col.to_numpy().astype(np.int64)
        return np.where((values >= 1) & (values <= 12), values, 0).astype(np.int8), findings
    codes, uniq = _codes(col)
    num = pd.to_numeric(pd.Series(uniq, dtype=object), errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(num) & (num >= 1) & (num <= 12) & (num == np.floor(num))
    month_of_uniq = np.where(ok, num, 0).astype(np.int8)
    return month_of_uniq[codes], findings


def _fits_int64(amounts: np.ndarray) -> bool:
    """True when no sum of these amounts can overflow ``int64`` (|max| * n < 2**62)."""
    if len(amounts) == 0:
        return True
    biggest = max(abs(int(amounts.max())), abs(int(amounts.min())))
    return biggest * len(amounts) < 2**62


def _exact_bincount(codes: np.ndarray, amounts: np.ndarray, size: int) -> np.ndarray:
    """Exact ``int64`` sums of ``amounts`` per code, via three float bincounts of 21-bit slices.

    Each slice is below 2**21 in magnitude, so a float64 sum of fewer than 2**32 of them is
    exact; the slices are recombined in integers. Callers check :func:`_fits_int64` first.
    """
    mask = (1 << 21) - 1
    out = np.zeros(size, dtype=np.int64)
    for shift in (0, 21, 42):  # one slice at a time keeps the peak memory low
        part = amounts >> shift if shift else amounts
        if shift < 42:
            part = part & mask
        sums = np.bincount(codes, weights=part.astype(np.float64), minlength=size)
        out += np.rint(sums).astype(np.int64) * (1 << shift)
    return out


def _sum_by(codes: np.ndarray, amounts: np.ndarray, size: int) -> np.ndarray:
    """Exact sum of ``amounts`` per code ``0..size-1``: ``int64``, or Python ints on overflow risk."""
    if _fits_int64(amounts):
        return _exact_bincount(codes, amounts.astype(np.int64, copy=False), size)
    out = np.zeros(size, dtype=object)  # astronomically large amounts: exact but slow
    sums = pd.Series(amounts.astype(object)).groupby(codes).sum()
    out[sums.index.to_numpy()] = sums.to_numpy(dtype=object)
    return out


def _sum_int(values: np.ndarray) -> int:
    """Exact total of an ``int64`` or object array of amounts."""
    if values.dtype == object or not _fits_int64(values):
        return sum(int(v) for v in values)
    return int(values.sum(dtype=np.int64))


#: Largest dense (line, unit, month) table summed with bincount; beyond it keys are hashed.
DENSE_LIMIT = 4_000_000
#: Rows processed at a time (bounds the temporary arrays).
ROW_SLICE = 1 << 20


def _exact_total(amounts: np.ndarray) -> int:
    """Independent exact total of the raw amount column (chunked int64, summed as Python ints)."""
    total = 0
    step = 1 << 20
    for i in range(0, len(amounts), step):
        chunk = amounts[i : i + step]
        if np.abs(chunk.astype(np.float64)).max(initial=0) * len(chunk) < 2**62:
            total += int(chunk.sum(dtype=np.int64))
        else:
            total += sum(int(x) for x in chunk)
    return total


def _capped(found: list[Finding], kind: str, n_total: int) -> list[Finding]:
    if n_total <= MAX_FINDINGS_PER_KIND:
        return found
    return found[:MAX_FINDINGS_PER_KIND] + [
        Finding(RULE, Severity.INFO,
                f"... och {n_total - MAX_FINDINGS_PER_KIND} {kind} till; se importrapportens lista.")
    ]


def aggregate_ledger(
    ledger: pd.DataFrame,
    mappning: Mappning,
    *,
    rows_rejected: int = 0,
    input_findings: Iterable[Finding] = (),
) -> tuple[pd.DataFrame, ImportReport]:
    """Map and aggregate a ledger frame; return the outturn and the import report.

    ``ledger`` has the columns of :data:`LEDGER_COLUMNS` (``belopp`` as ``int64`` öre, debit
    positive). ``rows_rejected`` and ``input_findings`` come from the reader (rows it could not
    take) and are carried into the report.

    The outturn frame has one row per (``radkod``, ``enhet``, ``period``) with ``belopp_ore``
    (``int64``, published sign: income +, costs -) and ``rader`` (rows summed), sorted by line,
    unit, period.
    """
    findings: list[Finding] = list(input_findings)
    missing = [c for c in LEDGER_COLUMNS if c not in ledger.columns]
    if missing:
        raise ValueError(f"ledger frame lacks columns {missing}")
    amounts = ledger["belopp"].to_numpy()
    if not np.issubdtype(amounts.dtype, np.integer):
        raise TypeError("belopp must be integer minor units (int64 öre), not " + str(amounts.dtype))
    amounts = amounts.astype(np.int64, copy=False)
    n = len(amounts)

    compiled = _compile(mappning)
    findings += compiled.findings
    k_codes, k_uniq = _codes(ledger["konto"])
    c_codes, c_uniq = _codes(ledger["kostnadsstalle"])
    months, f = _months(ledger["period"])
    findings += f

    # 1. the mapping, on distinct values only (spread to the rows by their codes below)
    k_rule_u = _map_konton(k_uniq, compiled) if len(k_uniq) else np.zeros(0, np.int64)
    cost_as_unit = not mappning.kostnadsstallen
    if cost_as_unit:
        c_rule_u = np.arange(len(c_uniq), dtype=np.int64)
        findings.append(
            Finding(RULE, Severity.INFO,
                    "Mappningen har inga kostnadsställesrader; kostnadsstället används som enhet.")
        )
    else:
        c_rule_u = _map_kst(c_uniq, compiled) if len(c_uniq) else np.zeros(0, np.int64)
    k_rule_u = k_rule_u.astype(np.int32)
    c_rule_u = c_rule_u.astype(np.int32)
    n_rules = len(mappning.konton)
    line_codes = np.array(sorted({r.radkod for r in mappning.konton} - {EXKL}) or [""], dtype=object)
    # per rule (index -1 = no rule): line index, sign, excluded?
    line_of_rule = np.append(
        np.searchsorted(line_codes, np.array([r.radkod for r in mappning.konton], dtype=object))
        if n_rules else np.zeros(0, np.int64), 0).astype(np.int64)
    sign_of_rule = np.array([r.tecken for r in mappning.konton] + [0], dtype=np.int64)
    excl_of_rule = np.array([r.radkod == EXKL for r in mappning.konton] + [False], dtype=bool)
    k_str = pd.Series(k_uniq, dtype=object).astype(str).to_numpy(dtype=object)
    c_str = pd.Series(c_uniq, dtype=object).astype(str).to_numpy(dtype=object)
    unit_names = c_str if cost_as_unit else np.array(
        [r.enhet for r in mappning.kostnadsstallen], dtype=object)
    nu = max(len(unit_names), 1)
    space = len(line_codes) * nu * 13
    dense = space <= DENSE_LIMIT

    # 2. rows in slices (bounded memory): buckets, and the signed sums per (line, unit, month)
    exact_int64 = _fits_int64(amounts)
    step = ROW_SLICE if exact_int64 else max(n, 1)  # Python-int fallback: one slice
    nk, nc = len(k_uniq), len(c_uniq)
    konto_sum: np.ndarray = np.zeros(nk, np.int64)
    konto_cnt = np.zeros(nk, np.int64)
    kst_sum: np.ndarray = np.zeros(nc, np.int64)
    kst_cnt = np.zeros(nc, np.int64)
    per_sum, per_cnt = 0, 0
    total_mapped = total_excluded = 0
    rows_mapped = rows_excluded = 0
    out_sum: np.ndarray = np.zeros(space if dense else 0, np.int64)
    out_cnt = np.zeros(space if dense else 0, np.int64)
    reduced: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for start in range(0, n, step):
        sl = slice(start, start + step)
        kc, cc, mo, am = k_codes[sl], c_codes[sl], months[sl], amounts[sl]
        rule = k_rule_u[kc]
        unit = c_rule_u[cc]
        k_ok = rule >= 0
        excluded = excl_of_rule[rule]
        c_ok = unit >= 0
        p_ok = mo > 0
        mapped = k_ok & ~excluded & c_ok & p_ok
        bad_konto = ~k_ok
        bad_kst = k_ok & ~excluded & ~c_ok
        bad_period = k_ok & ~excluded & c_ok & ~p_ok
        konto_sum = konto_sum + _sum_by(kc[bad_konto], am[bad_konto], nk)
        konto_cnt += np.bincount(kc[bad_konto], minlength=nk)
        kst_sum = kst_sum + _sum_by(cc[bad_kst], am[bad_kst], nc)
        kst_cnt += np.bincount(cc[bad_kst], minlength=nc)
        per_sum += _sum_int(am[bad_period])
        per_cnt += int(bad_period.sum())
        total_excluded += _sum_int(am[excluded])
        rows_excluded += int(excluded.sum())
        m_rule = rule[mapped]
        m_amounts = am[mapped]
        total_mapped += _sum_int(m_amounts)
        rows_mapped += len(m_amounts)
        if not exact_int64:
            m_amounts = m_amounts.astype(object)
        signed = m_amounts * sign_of_rule[m_rule]
        key = (line_of_rule[m_rule] * nu + unit[mapped]) * 13 + mo[mapped].astype(np.int64)
        del m_rule, m_amounts
        if dense:
            out_sum = out_sum + _sum_by(key, signed, space)
            out_cnt += np.bincount(key, minlength=space)
        elif len(key):  # too many cells for a dense table: reduce the keys that occur
            codes, uniq = pd.factorize(key, sort=False)
            reduced.append((np.asarray(uniq, np.int64), _sum_by(codes, signed, len(uniq)),
                            np.bincount(codes, minlength=len(uniq))))
    if dense:
        okey = np.flatnonzero(out_cnt)
        osum, ocnt = out_sum[okey], out_cnt[okey]
    elif reduced:
        keys = np.concatenate([r[0] for r in reduced])
        codes, uniq = pd.factorize(keys, sort=True)
        osum = _sum_by(codes, np.concatenate([r[1] for r in reduced]), len(uniq))
        ocnt = _exact_bincount(codes, np.concatenate([r[2] for r in reduced]).astype(np.int64),
                               len(uniq))
        okey = np.asarray(uniq, dtype=np.int64)
    else:
        okey = osum = ocnt = np.zeros(0, np.int64)
    o_month = (okey % 13).astype(np.int8)
    o_unit = (okey // 13) % nu
    o_line = (okey // 13) // nu
    utfall = pd.DataFrame(
        {
            "radkod": pd.Categorical(line_codes[o_line] if len(okey) else []),
            "enhet": pd.Categorical(unit_names[o_unit] if len(okey) else []),
            "period": o_month,
            "belopp_ore": osum,
            "rader": ocnt,
        }
    )
    if len(utfall):  # units come in rule order; sort by name
        utfall = utfall.sort_values(["radkod", "enhet", "period"], kind="stable").reset_index(drop=True)

    def listed(sums: np.ndarray, counts: np.ndarray, names: np.ndarray) -> tuple[Unmapped, ...]:
        """Rows and totals per distinct value, biggest total first."""
        present = np.flatnonzero(counts)
        order = sorted(present, key=lambda i: (-abs(int(sums[i])), -int(counts[i]), int(i)))
        return tuple(Unmapped(str(names[i]), int(counts[i]), int(sums[i])) for i in order)

    un_konto = listed(konto_sum, konto_cnt, k_str)
    un_kst = listed(kst_sum, kst_cnt, c_str)
    un_per = (Unmapped("(ogiltig)", per_cnt, per_sum),) if per_cnt else ()

    # 3. report and reconciliation
    total_export = _exact_total(amounts)
    total_unmapped = _sum_int(konto_sum) + _sum_int(kst_sum) + per_sum
    published = _sum_int(osum)

    f_konto = [
        Finding(RULE, Severity.ERROR if u.total_ore else Severity.WARNING,
                f"Kontot {u.key or '(tomt)'} finns inte i mappningen: {antal(u.rows, 'rad')}, "
                f"summa {format_sv(u.total)}. Lägg till kontot i ett kontointervall (eller {EXKL}).", u.key or "(tomt)")
        for u in un_konto
    ]
    f_kst = [
        Finding(RULE, Severity.ERROR if u.total_ore else Severity.WARNING,
                f"Kostnadsstället {u.key or '(tomt)'} finns inte i mappningen: "
                f"{antal(u.rows, 'rad')} med mappat konto, summa {format_sv(u.total)}. Lägg till kostnadsstället.", u.key or "(tomt)")
        for u in un_kst
    ]
    findings += _capped(f_konto, "omappade konton", len(f_konto))
    findings += _capped(f_kst, "omappade kostnadsställen", len(f_kst))
    if un_per:
        u = un_per[0]
        findings.append(
            Finding(RULE, Severity.ERROR,
                    f"{antal(u.rows, 'rad')} utan giltig period (månad 1-12), summa {format_sv(u.total)}. "
                    "Rätta periodkolumnen i exporten.", "period")
        )
    report = ImportReport(
        rows_read=n + rows_rejected,
        rows_rejected=rows_rejected,
        rows_aggregated=n,
        rows_mapped=rows_mapped,
        rows_excluded=rows_excluded,
        rows_unmapped=n - rows_mapped - rows_excluded,
        total_export_ore=total_export,
        total_mapped_ore=total_mapped,
        total_excluded_ore=total_excluded,
        total_unmapped_ore=total_unmapped,
        total_mapped_published_ore=published,
        unmapped_accounts=un_konto,
        unmapped_cost_centres=un_kst,
        invalid_periods=un_per,
    )
    if not report.reconciled:  # cannot happen unless the code above is wrong; checked anyway
        findings.append(
            Finding(RULE, Severity.ERROR,
                    f"Avstämningen stämmer inte: mappat {format_sv(ore_to_decimal(total_mapped))} + "
                    f"exkluderat {format_sv(ore_to_decimal(total_excluded))} + omappat "
                    f"{format_sv(ore_to_decimal(total_unmapped))} ≠ exportens summa "
                    f"{format_sv(ore_to_decimal(total_export))}. Rapportera felet.")
        )
    if rows_rejected:
        findings.append(
            Finding(RULE, Severity.ERROR,
                    f"{antal(rows_rejected, 'rad')} kunde inte läsas och ingår inte i summorna; se "
                    "fynden med radnummer och rätta exporten.")
        )
    return utfall, _with_findings(report, findings)


def _with_findings(report: ImportReport, findings: list[Finding]) -> ImportReport:
    from dataclasses import replace

    return replace(report, findings=tuple(findings))
