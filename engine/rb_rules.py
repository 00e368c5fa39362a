"""Resultatbalansering rule configuration (spec §10): the rule set as data, not code.

A :class:`Regelverk` holds every setting that the balancing in :mod:`engine.resultatbalansering`
reads: split fractions (R3), the unit guarantee (R4), caps, haircut, minimum amount, excluded
items, multi-year deficit spread (R1) and the timetable windows (R8). :data:`DEFAULT_RULES` is the
seed's rule set (RB) exactly.

The same settings come in three shapes, all read by :func:`load_rules`:

* a rule file, JSON or TOML (``engine/data/rb_standard.json`` and the example variants);
* a mapping (``{"Överskott andel KS": "1/3", ...}``);
* a two-column settings table ``Inställning | Värde`` as a workbook holds it (a 2-D list, with or
  without the header row).

Setting names are matched after normalisation (case, diacritics, spaces, hyphens), so
``"Överskott andel KS"`` and ``"overskott_andel_ks"`` name the same setting. A bad setting never
raises: it becomes a :class:`~engine.findings.Finding` (rule ``R0``, "rule configuration") and the
default value is kept, so one typo does not hide the others.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from engine.findings import Finding, Location, Severity, excerpt
from engine.money import CENT, ROUNDING_UNITS, THOUSAND, UNIT, D, MoneyError

__all__ = [
    "DATA_DIR",
    "DEFAULT_RULES",
    "INSTALLNINGAR",
    "R6_FORBJUDNA",
    "R6_TILLATNA",
    "Installning",
    "Regelverk",
    "is_percent_setting",
    "load_rules",
    "normalize_key",
    "rules_from_mapping",
    "rules_from_table",
    "rules_to_table",
]

#: Rule id used for findings about the configuration itself (not one of R1..R8).
RULE_CONFIG = "R0"

DATA_DIR = Path(__file__).resolve().parent / "data"

THIRD = Fraction(1, 3)

#: R6: what a carried surplus may fund (normalised names; see :func:`normalize_key`).
R6_TILLATNA: tuple[str, ...] = (
    "kompetensutveckling",
    "projekt",
    "tillfalliga_anstallningar",
    "kop_av_material_och_tjanster",
    "investeringar",
)
#: R6: what a carried surplus must never fund.
R6_FORBJUDNA: tuple[str, ...] = ("fasta_anstallningar", "andra_fasta_kostnader")


@dataclass(frozen=True, slots=True)
class Regelverk:
    """One rule set for resultatbalansering. Defaults are the seed's rule (RB, spec §10).

    Fractions are exact (:class:`~fractions.Fraction`); percentages are ``Decimal`` percent
    (``Decimal(5)`` = 5 %); amounts are ``Decimal`` in the municipality's currency; a cap of
    ``None`` means no cap. Timetable windows are ``(first month, last month)`` of the year after
    the accounts.
    """

    namn: str = "Standard (RB)"
    beskrivning: str = (
        "Överskott: 1/3 enheter, 1/3 nämnd, 1/3 KS (budgeteras inte). Underskott förs över i sin "
        "helhet till enheterna. Enheten behåller minst 1/3 av eget överskott och hela sitt "
        "underskott."
    )
    avrundning: Decimal = UNIT
    # R3, committee level
    overskott_andel_enheter: Fraction = THIRD
    overskott_andel_namnd: Fraction = THIRD
    overskott_andel_ks: Fraction = THIRD
    underskott_andel_overfors: Fraction = Fraction(1)
    krav_maluppfyllelse_namnd: bool = True
    # R4, unit level
    garanti_overskott_enhet: Fraction = THIRD
    garanti_underskott_enhet: Fraction = Fraction(1)
    garanti_avrundning: str = "uppat"
    krav_maluppfyllelse_enhet: bool = True
    # variants
    avdrag_overskott_procent: Decimal = Decimal(0)
    tak_overskott_enhet_belopp: Decimal | None = None
    tak_overskott_enhet_procent: Decimal | None = None
    tak_overskott_namnd_belopp: Decimal | None = None
    tak_overskott_namnd_procent: Decimal | None = None
    tak_underskott_enhet_belopp: Decimal | None = None
    tak_underskott_enhet_procent: Decimal | None = None
    tak_underskott_namnd_belopp: Decimal | None = None
    tak_underskott_namnd_procent: Decimal | None = None
    minsta_belopp: Decimal = Decimal(0)
    underskott_spridning_ar: int = 1
    undantagna_poster: tuple[str, ...] = ()
    # R8 timetable windows (months of the year after the accounts)
    tidplan_bokslutsgenomgang: tuple[int, int] = (2, 2)
    tidplan_ks_beslut: tuple[int, int] = (2, 3)
    tidplan_enhetsgenomgang: tuple[int, int] = (3, 4)
    tidplan_aterrapportering: tuple[int, int] = (4, 4)


DEFAULT_RULES = Regelverk()


@dataclass(frozen=True, slots=True)
class Installning:
    """Description of one setting: its field, the label in a settings table, kind and help."""

    falt: str
    etikett: str
    typ: str  # text | rounding | fraction | percent | amount | amount? | percent? | int | bool |
    #           choice | list | window
    hjalp: str


INSTALLNINGAR: tuple[Installning, ...] = (
    Installning("namn", "Namn", "text", "Regelverkets namn."),
    Installning("beskrivning", "Beskrivning", "text", "Fri beskrivning."),
    Installning("avrundning", "Avrundning", "rounding", "öre, krona eller tusen (0,01 / 1 / 1000)."),
    Installning("overskott_andel_enheter", "Överskott andel enheter", "fraction",
                "R3: nämndens överskott, andel till resultatenheterna (förs över)."),
    Installning("overskott_andel_namnd", "Överskott andel nämnd", "fraction",
                "R3: andel till nämnden (förs över)."),
    Installning("overskott_andel_ks", "Överskott andel KS", "fraction",
                "R3: andel till kommunstyrelsen (budgeteras inte). Summan av andelarna ska vara 1."),
    Installning("underskott_andel_overfors", "Underskott andel överförs", "fraction",
                "R3: andel av nämndens underskott som förs över; resten bärs av KS."),
    Installning("krav_maluppfyllelse_namnd", "Kräv måluppfyllelse nämnd", "bool",
                "R3: nämnd utan måluppfyllelse för inte med sig överskott."),
    Installning("garanti_overskott_enhet", "Garanti överskott enhet", "fraction",
                "R4: minsta andel av eget överskott som enheten behåller."),
    Installning("garanti_underskott_enhet", "Garanti underskott enhet", "fraction",
                "R4: andel av eget underskott som enheten bär."),
    Installning("garanti_avrundning", "Garanti avrundning", "choice",
                "uppåt (enhetens fördel, garantin hålls exakt) eller närmaste (som AVRUNDA)."),
    Installning("krav_maluppfyllelse_enhet", "Kräv måluppfyllelse enhet", "bool",
                "R4: enhet utan måluppfyllelse behåller inget överskott."),
    Installning("avdrag_overskott_procent", "Avdrag överskott procent", "percent",
                "Procent av överskott som går till KS innan fördelning."),
    Installning("tak_overskott_enhet_belopp", "Tak överskott enhet belopp", "amount?",
                "Högsta överskott en enhet för över; överskjutande till KS."),
    Installning("tak_overskott_enhet_procent", "Tak överskott enhet procent", "percent?",
                "Som ovan, i procent av enhetens nettobudget."),
    Installning("tak_overskott_namnd_belopp", "Tak överskott nämnd belopp", "amount?",
                "Högsta överskott en nämnd för över; överskjutande till KS."),
    Installning("tak_overskott_namnd_procent", "Tak överskott nämnd procent", "percent?",
                "Som ovan, i procent av nämndens nettobudget."),
    Installning("tak_underskott_enhet_belopp", "Tak underskott enhet belopp", "amount?",
                "Största underskott en enhet för över (golv); överskjutande bärs av KS."),
    Installning("tak_underskott_enhet_procent", "Tak underskott enhet procent", "percent?",
                "Som ovan, i procent av enhetens nettobudget."),
    Installning("tak_underskott_namnd_belopp", "Tak underskott nämnd belopp", "amount?",
                "Största underskott en nämnd för över; överskjutande bärs av KS."),
    Installning("tak_underskott_namnd_procent", "Tak underskott nämnd procent", "percent?",
                "Som ovan, i procent av nämndens nettobudget."),
    Installning("minsta_belopp", "Minsta belopp", "amount",
                "Resultat vars belopp är mindre än detta förs inte över."),
    Installning("underskott_spridning_ar", "Underskott spridning år", "int",
                "R1: överfört underskott läggs in i budgeten jämnt över så många år."),
    Installning("undantagna_poster", "Undantagna poster", "list",
                "Poster som räknas bort ur resultatet före fördelning (t.ex. Kapitalkostnader)."),
    Installning("tidplan_bokslutsgenomgang", "Tidplan bokslutsgenomgång", "window",
                "R8 steg 1: månad(er), t.ex. februari."),
    Installning("tidplan_ks_beslut", "Tidplan KS-beslut", "window",
                "R8 steg 2: t.ex. februari-mars."),
    Installning("tidplan_enhetsgenomgang", "Tidplan enhetsgenomgång", "window",
                "R8 steg 3: t.ex. mars-april."),
    Installning("tidplan_aterrapportering", "Tidplan återrapportering", "window",
                "R8 steg 4: t.ex. april."),
)

#: Other names accepted for a setting (normalised), e.g. a deficit "floor" is a cap on its size.
_ALIASES: dict[str, str] = {
    "golv_underskott_enhet_belopp": "tak_underskott_enhet_belopp",
    "golv_underskott_enhet_procent": "tak_underskott_enhet_procent",
    "golv_underskott_namnd_belopp": "tak_underskott_namnd_belopp",
    "golv_underskott_namnd_procent": "tak_underskott_namnd_procent",
    "haircut_procent": "avdrag_overskott_procent",
    "avdrag_procent": "avdrag_overskott_procent",
    "undantag": "undantagna_poster",
    "regelverk": "namn",
}
#: Keys ignored in rule files (documentation).
_IGNORED = {"kommentar", "comment", "anteckning", "installning"}

_BY_KEY: dict[str, Installning] = {s.falt: s for s in INSTALLNINGAR}
for _s in INSTALLNINGAR:
    _BY_KEY.setdefault(_s.etikett, _s)

_MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "mars": 3, "mar": 3, "april": 4, "apr": 4,
    "maj": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "augusti": 8, "aug": 8,
    "september": 9, "sep": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}


def normalize_key(text: object) -> str:
    """``"Överskott andel KS"`` -> ``"overskott_andel_ks"``: lower case, no diacritics, ``_``."""
    s = unicodedata.normalize("NFKD", str(text).strip().lower())
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = re.sub(r"[^a-z0-9]+", "_", s)
    return s.strip("_")


def _setting_for(key: object) -> Installning | None:
    norm = normalize_key(key)
    norm = _ALIASES.get(norm, norm)
    return _BY_KEY.get(norm)


# --- value parsers: each returns the parsed value or raises ValueError with a Swedish message ---


def _shown(value: object) -> str:
    """A typed value as a message quotes it: text without its surrounding spaces, a number as
    Swedish writes it, a date as a date (Excel turns "1/3" or "3-4" typed into a General cell
    into one, which is worth saying); never a Python repr such as ``datetime.date(2025, 3, 1)``
    (found 2026-12)."""
    from datetime import date, datetime, time

    if isinstance(value, datetime | date):
        day = value.date() if isinstance(value, datetime) else value
        return (f"datumet {day.isoformat()} (Excel gjorde om det som skrevs till ett datum; "
                "skriv värdet med en apostrof först, t.ex. '1/3)")
    if isinstance(value, time):
        return f"klockslaget {value.isoformat()}"
    if isinstance(value, str):
        return excerpt(value.strip())
    if isinstance(value, bool):
        return "SANT" if value else "FALSKT"
    if isinstance(value, int | float | Decimal):
        return format(Decimal(str(value)).normalize(), "f").replace(".", ",")
    return excerpt(value)


def _parse_fraction(value: object) -> Fraction:
    if isinstance(value, Fraction):
        result = value
    elif isinstance(value, str) and "/" in value:
        num, _, den = value.partition("/")
        try:
            result = Fraction(D(num)) / Fraction(D(den))
        except (MoneyError, ZeroDivisionError):
            raise ValueError(f"{_shown(value)} är inte ett bråk; skriv t.ex. 1/3") from None
    elif isinstance(value, str) and value.strip().endswith("%"):
        result = Fraction(_parse_number(value.strip()[:-1])) / 100
    else:
        result = Fraction(_parse_number(value))
    if not 0 <= result <= 1:
        raise ValueError(
            f"{_shown(value)} ligger inte mellan 0 och 1; skriv en andel som 1/3, 0,5 eller 50 %"
        )
    return result


def _parse_number(value: object) -> Decimal:
    try:
        return D(value)
    except MoneyError:
        raise ValueError(f"{_shown(value)} är inte ett tal") from None


def _parse_percent(value: object, shown_as_percent: bool | None = False) -> Decimal:
    """A number of percent: ``5``, ``"5 %"``, ``"7,5"``.

    ``shown_as_percent`` is what is known of a *number*'s cell format (text is read as typed):
    True — the cell has a percent number format, so Excel stores a typed "10 %" (or 10 typed
    into the formatted cell) as 0.1 and shows 10 %: the value is taken × 100; False — the
    number is as typed (a General cell, a rule file); None — not known (a range handed to an
    Excel function): a number above 0 up to 1 could be either (0.1 % or, shown as percent,
    10 %; 1 % or 100 %) and is refused, never guessed (2026-12).
    """
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and text.endswith("%"):
        text = text[:-1]
    result = _parse_number(text)
    number = not isinstance(value, str)
    if number and shown_as_percent:
        result = result * 100
        shown = format(result.normalize(), "f").replace(".", ",")
        if not 0 <= result <= 100:
            raise ValueError(
                f"cellen har procentformat och visar {shown} %, som inte ligger mellan 0 och "
                f"100 %; skriv procentsatsen, t.ex. 10 %"
            )
        return result
    if number and shown_as_percent is None and 0 < result <= 1:
        typed = format(result.normalize(), "f").replace(".", ",")
        hundred = format((result * 100).normalize(), "f").replace(".", ",")
        raise ValueError(
            f"talet {typed} kan betyda {typed} % eller {hundred} % (Excel sparar 10 % som "
            f"0,1), och cellens talformat kan inte läsas här. Skriv värdet som text med "
            f"procenttecken och en apostrof först, '{hundred} % eller '{typed} %, eller ta "
            f"bort procentformatet och skriv antalet procent"
        )
    if not 0 <= result <= 100:
        raise ValueError(f"{_shown(value)} ligger inte mellan 0 och 100 (procent)")
    return result


def is_percent_setting(key: object) -> bool:
    """Is ``key`` (a label or field name) a setting given as a number of percent? Only a
    number typed for such a setting depends on its cell's number format (the loader asks the
    format of those cells alone)."""
    setting = _setting_for(key)
    return setting is not None and setting.typ in ("percent", "percent?")


def _parse_amount(value: object) -> Decimal:
    result = _parse_number(value)
    if result < 0:
        raise ValueError(f"{_shown(value)} är negativt; ange beloppet som ett positivt tal")
    return result


def _parse_int(value: object) -> int:
    number = _parse_number(value)
    if number != number.to_integral_value() or number < 1:
        raise ValueError(f"{_shown(value)} är inte ett heltal ≥ 1")
    return int(number)


def _parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    norm = normalize_key(value)
    if norm in {"ja", "j", "true", "sant", "yes", "1", "x"}:
        return True
    if norm in {"nej", "n", "false", "falskt", "no", "0"}:
        return False
    raise ValueError(f"{_shown(value)} är inte ja eller nej")


def _parse_rounding(value: object) -> Decimal:
    if isinstance(value, str):
        norm = value.strip().lower().replace(",", ".")
        if norm in ROUNDING_UNITS:
            return ROUNDING_UNITS[norm]
        if norm in {"kronor", "hel", "hela", "heltal"}:
            return UNIT
        if norm in {"tkr", "teur", "tusental"}:
            return THOUSAND
    try:
        number = D(value)
    except MoneyError:
        number = Decimal(-1)
    for unit in (CENT, UNIT, THOUSAND):
        if number == unit:
            return unit
    raise ValueError(f"{_shown(value)} är ingen avrundningsenhet; välj öre, krona eller tusen")


def _parse_choice(value: object) -> str:
    norm = normalize_key(value)
    if norm in {"uppat", "upp", "enhetens_fordel"}:
        return "uppat"
    if norm in {"narmaste", "avrunda", "excel"}:
        return "narmaste"
    raise ValueError(f"{_shown(value)} är inget giltigt val; skriv uppåt eller närmaste")


def _parse_list(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        parts = re.split(r"[;\n]|,(?!\d)", value)
    elif isinstance(value, Sequence):
        parts = [str(v) for v in value if v is not None]
    else:
        raise ValueError(f"{_shown(value)} är ingen lista; skriv namnen åtskilda med semikolon")
    return tuple(p.strip() for p in parts if p and p.strip())


def _parse_month(text: str) -> int:
    norm = normalize_key(text)
    if norm in _MONTHS:
        return _MONTHS[norm]
    month = _parse_int(text)
    if not 1 <= month <= 12:
        raise ValueError(f"{_shown(text)} är ingen månad")
    return month


def _parse_window(value: object) -> tuple[int, int]:
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        first, last = _parse_month(str(value[0])), _parse_month(str(value[1]))
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        first = last = _parse_month(str(int(value)) if value == int(value) else str(value))
    elif isinstance(value, str):
        parts = [p for p in re.split(r"\s*[-–/]\s*|\s+till\s+", value.strip()) if p]
        if not 1 <= len(parts) <= 2:
            raise ValueError(f"{_shown(value)} är ingen månad eller period; skriv t.ex. februari-mars")
        first, last = _parse_month(parts[0]), _parse_month(parts[-1])
    else:
        raise ValueError(f"{_shown(value)} är ingen månad eller period")
    if first > last:
        raise ValueError(f"{_shown(value)}: första månaden ligger efter den sista")
    return (first, last)


_PARSERS = {
    "text": lambda v: str(v).strip(),
    "rounding": _parse_rounding,
    "fraction": _parse_fraction,
    "percent": _parse_percent,
    "percent?": _parse_percent,
    "amount": _parse_amount,
    "amount?": _parse_amount,
    "int": _parse_int,
    "bool": _parse_bool,
    "choice": _parse_choice,
    "list": _parse_list,
    "window": _parse_window,
}


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def rules_from_mapping(
    settings: Mapping[str, object],
    base: Regelverk = DEFAULT_RULES,
    source: str = "regler",
    where: Mapping[str, str] | None = None,
    at: Mapping[str, Location] | None = None,
    percent_format: Mapping[str, bool | None] | None = None,
) -> tuple[Regelverk, list[Finding]]:
    """Apply ``settings`` (setting name -> value) on top of ``base``; collect findings.

    Unknown names are warnings (ignored); bad values are errors (the base value is kept). A blank
    value means "not set": the base value stays (for a cap: no cap). ``where`` maps a key to a
    human location ("rad 4") for the messages, ``at`` to the cell its findings are located at.
    ``percent_format`` maps a key to what is known of its cell's number format (True: a
    percent format, None: not known; a key not in it: the number as typed), which decides how
    a number for a percent setting is read (:func:`_parse_percent`).
    """
    findings: list[Finding] = []
    changes: dict[str, object] = {}
    seen: dict[str, str] = {}
    share_at: list[Location] = []  # where the surplus shares were typed
    for key, value in settings.items():
        place = f"{source} {where[key]}" if where and key in where else source
        loc = at.get(key) if at else None
        if normalize_key(key) in _IGNORED or str(key).startswith(("_", "$")):
            continue
        setting = _setting_for(key)
        if setting is None:
            findings.append(Finding(
                RULE_CONFIG, Severity.WARNING,
                f"{place}: okänd inställning {_shown(key)} ignoreras. Kontrollera stavningen; giltiga "
                f"inställningar finns i docs/RESULTATBALANSERING.md.",
                object=str(key), location=loc,
            ))
            continue
        if setting.falt in seen:
            findings.append(Finding(
                RULE_CONFIG, Severity.ERROR,
                f"{place}: inställningen {setting.etikett!r} anges två gånger ({_shown(seen[setting.falt])}"
                f" och {_shown(key)}). Ta bort den ena.",
                object=setting.etikett, location=loc,
            ))
            continue
        seen[setting.falt] = str(key)
        if loc is not None and setting.falt.startswith("overskott_andel_"):
            share_at.append(loc)  # (the check of the shares' sum is located there: 2026-12)
        if _is_blank(value):
            continue
        try:
            if setting.typ in ("percent", "percent?"):
                changes[setting.falt] = _parse_percent(
                    value, percent_format.get(key, False) if percent_format else False)
            else:
                changes[setting.falt] = _PARSERS[setting.typ](value)
        except (ValueError, TypeError) as exc:
            findings.append(Finding(
                RULE_CONFIG, Severity.ERROR,
                f"{place}: {setting.etikett}: {exc}. Standardvärdet används. ({setting.hjalp})",
                object=setting.etikett, location=loc,
            ))
    rules = replace(base, **changes)
    rules, more = _check_consistency(rules, base, source, share_at)
    return rules, findings + more


def _check_consistency(
    rules: Regelverk, base: Regelverk, source: str, share_at: Sequence[Location] = ()
) -> tuple[Regelverk, list[Finding]]:
    findings: list[Finding] = []
    total = rules.overskott_andel_enheter + rules.overskott_andel_namnd + rules.overskott_andel_ks
    if total != 1:
        def share(x: Fraction) -> str:  # 1/3 as a fraction, =1/3's 0,333333333333333 as such
            if x.denominator <= 1000:
                return str(x)
            return format(Decimal(x.numerator) / Decimal(x.denominator), "f").rstrip("0") \
                .replace(".", ",")

        findings.append(Finding(
            RULE_CONFIG, Severity.ERROR,
            f"{source}: överskottsandelarna (enheter {share(rules.overskott_andel_enheter)}, "
            f"nämnd {share(rules.overskott_andel_namnd)}, KS {share(rules.overskott_andel_ks)}) "
            f"summerar till {share(total)}, inte 1. Ange exakta bråk (1/3, inte 0,33 eller "
            f"=1/3). Standardandelarna används.",
            object="Överskott andel", location=share_at[0] if share_at else None,
            also=tuple(share_at[1:]),
        ))
        rules = replace(
            rules,
            overskott_andel_enheter=base.overskott_andel_enheter,
            overskott_andel_namnd=base.overskott_andel_namnd,
            overskott_andel_ks=base.overskott_andel_ks,
        )
    windows = [
        rules.tidplan_bokslutsgenomgang,
        rules.tidplan_ks_beslut,
        rules.tidplan_enhetsgenomgang,
        rules.tidplan_aterrapportering,
    ]
    if any(windows[i][0] > windows[i + 1][1] for i in range(3)):
        findings.append(Finding(
            RULE_CONFIG, Severity.WARNING,
            f"{source}: tidplanens steg ligger inte i ordning (bokslutsgenomgång, KS-beslut, "
            f"enhetsgenomgång, återrapportering). Kontrollera månaderna.",
            object="Tidplan",
        ))
    return rules, findings


def rules_from_table(
    rows: Sequence[Sequence[object]],
    base: Regelverk = DEFAULT_RULES,
    source: str = "regeltabell",
    locations: Sequence[Location | None] | None = None,
    percent_format: Sequence[bool | None] | None = None,
) -> tuple[Regelverk, list[Finding]]:
    """Read a two-column settings table ``Inställning | Värde`` (2-D list, header optional).

    Blank rows are skipped. Rows are numbered from 1 as they appear in the range.
    ``locations``: where each row is (a cell of it), so that its findings are located there.
    ``percent_format``: per row, what is known of its Värde cell's number format: True a
    percent format (Excel stores a typed "10 %" as 0.1), False none (the number as typed),
    None not known (a number above 0 up to 1 for a percent setting is then refused as
    ambiguous). Without it every number is taken as typed (a table built in Python).
    """
    settings: dict[str, object] = {}
    where: dict[str, str] = {}
    at: dict[str, Location] = {}
    formats: dict[str, bool | None] = {}
    findings: list[Finding] = []
    for i, row in enumerate(rows, start=1):
        loc = locations[i - 1] if locations is not None and i <= len(locations) else None
        cells = list(row) if isinstance(row, Sequence) and not isinstance(row, str) else [row]
        if not cells or all(_is_blank(c) for c in cells):
            continue
        label = cells[0]
        value = cells[1] if len(cells) > 1 else None
        if any(not _is_blank(c) for c in cells[2:]):
            findings.append(Finding(
                RULE_CONFIG, Severity.WARNING,
                f"{source} rad {i}: fler än två kolumner; bara Inställning och Värde läses.",
                location=loc,
            ))
        if _is_blank(label):
            findings.append(Finding(
                RULE_CONFIG, Severity.ERROR,
                f"{source} rad {i}: värde {value!r} utan inställningsnamn. Fyll i kolumn 1.",
                location=loc,
            ))
            continue
        if i == 1 and normalize_key(label) in {"installning", "instaellning", "setting"}:
            continue  # header row
        key = str(label)
        if key in settings:
            key = f"{key} "  # keep both so the duplicate is reported by rules_from_mapping
        settings[key] = value
        where[key] = f"rad {i}"
        if loc is not None:
            at[key] = loc
        if percent_format is not None:
            formats[key] = percent_format[i - 1] if i <= len(percent_format) else None
    rules, more = rules_from_mapping(settings, base, source, where, at,
                                     formats if percent_format is not None else None)
    return rules, findings + more


def _builtin_path(name: str) -> Path | None:
    norm = normalize_key(name)
    for candidate in (norm, f"rb_{norm}"):
        path = DATA_DIR / f"{candidate}.json"
        if path.is_file():
            return path
    return None


def load_rules(
    source: Regelverk | Mapping[str, object] | Sequence[Sequence[object]] | str | Path | None,
) -> tuple[Regelverk, list[Finding]]:
    """A rule set from a rule file (JSON/TOML path or built-in name such as ``"standard"`` or
    ``"variant_tak"``), a mapping, or a settings table. ``None`` gives :data:`DEFAULT_RULES`.

    Never raises: an unreadable file or a bad setting is a finding; what could not be read keeps
    its default value.
    """
    if source is None:
        return DEFAULT_RULES, []
    if isinstance(source, Regelverk):
        return source, []
    if isinstance(source, Mapping):
        return rules_from_mapping(source)
    if isinstance(source, Path) or isinstance(source, str):
        return _load_file(source)
    if isinstance(source, Sequence):
        return rules_from_table(source)
    return DEFAULT_RULES, [Finding(
        RULE_CONFIG, Severity.ERROR,
        f"regler av typen {type(source).__name__} kan inte läsas; ange en regelfil eller en "
        f"tabell med Inställning och Värde. Standardregelverket används.",
    )]


def _load_file(source: str | Path) -> tuple[Regelverk, list[Finding]]:
    text = str(source).strip()
    path = Path(text)
    if not path.suffix:
        builtin = _builtin_path(text)
        if builtin is not None:
            path = builtin
    name = path.name
    try:
        raw = path.read_bytes()
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        return DEFAULT_RULES, [Finding(
            RULE_CONFIG, Severity.ERROR,
            f"regelfilen {text!r} kan inte läsas ({reason}). Kontrollera sökvägen; "
            f"inbyggda regelverk: standard, variant_tak, variant_flerar. Standardregelverket används.",
            object=text,
        )]
    try:
        if path.suffix.lower() == ".toml":
            import tomllib  # only a rule file needs it, not every start

            data = tomllib.loads(raw.decode("utf-8"))
        else:
            data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return DEFAULT_RULES, [Finding(
            RULE_CONFIG, Severity.ERROR,
            f"regelfilen {name} är inte giltig JSON/TOML: {exc}. Rätta filen; standardregelverket "
            f"används.",
            object=name,
        )]
    if not isinstance(data, Mapping):
        return DEFAULT_RULES, [Finding(
            RULE_CONFIG, Severity.ERROR,
            f"regelfilen {name} ska innehålla ett objekt med inställningar (namn: värde).",
            object=name,
        )]
    # allow {"installningar": {...}} as well as a flat object
    nested = next((v for k, v in data.items() if normalize_key(k) == "installningar"), None)
    if isinstance(nested, Mapping):
        flat = {k: v for k, v in data.items() if normalize_key(k) != "installningar"}
        flat.update(nested)
        data = flat
    return rules_from_mapping(data, source=f"regelfil {name}")


def _format_value(setting: Installning, value: object) -> object:
    if value is None:
        return None
    if setting.typ == "fraction":
        frac = Fraction(value)  # type: ignore[arg-type]
        return str(frac.numerator) if frac.denominator == 1 else f"{frac.numerator}/{frac.denominator}"
    if setting.typ == "rounding":
        return {CENT: "öre", UNIT: "krona", THOUSAND: "tusen"}.get(value, str(value))  # type: ignore[call-overload]
    if setting.typ == "bool":
        return "ja" if value else "nej"
    if setting.typ == "choice":
        return {"uppat": "uppåt", "narmaste": "närmaste"}.get(str(value), str(value))
    if setting.typ == "list":
        return "; ".join(value)  # type: ignore[arg-type]
    if setting.typ == "window":
        first, last = value  # type: ignore[misc]
        return str(first) if first == last else f"{first}-{last}"
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    return value


def rules_to_table(rules: Regelverk = DEFAULT_RULES) -> list[list[object]]:
    """The rule set as a settings table (header ``Inställning | Värde``), ready for a sheet.

    Reading the table back with :func:`rules_from_table` gives the same rule set.
    """
    rows: list[list[object]] = [["Inställning", "Värde"]]
    by_field = {f.name: getattr(rules, f.name) for f in fields(rules)}
    for setting in INSTALLNINGAR:
        rows.append([setting.etikett, _format_value(setting, by_field[setting.falt])])
    return rows
