"""Binding items (bindande poster) and budget changes (budgetändringar), spec §8–9, seed §7.1, §7.4.

A binding item says which figure of the budget the council (or a committee, or an enterprise's
board) holds an organ to: the *part* of the budget it sits in (drift / resultat / investering /
finansiering), the *object* (a task, a project, or a line code of the resultaträkningsdel or
finansieringsdel), the *kind* (anslag = spending limit, beräknad inkomst = revenue target, netto =
a net figure), the *principle* (brutto: each side bound separately; netto: the difference bound),
whom it binds towards (fullmäktige, nämnd, direktion) and the years it covers.

Amounts everywhere in this package are in *published signs*: income positive, costs negative
(spec §4). An anslag is therefore a negative number, a beräknad inkomst a positive one, and a netto
item is negative when it is a net appropriation (nettoanslag) and positive when it is a net revenue
estimate (beräknad nettoinkomst). A budget change that makes an item "worse" for the finances
(raises an appropriation, lowers a revenue estimate) is negative.

This module holds the data model, the defaults by task type (spec §2, seed §6.3.3.7, §9.2.3) and
the budget-change log:

* budget after changes = original + Σ changes (exact, ``Decimal``);
* rule **B1** (seed §7.1.2.1, §7.4): raising an appropriation (also a net one) or lowering a revenue
  estimate on an item binding towards fullmäktige must be decided by fullmäktige; a change decided
  by a nämnd or the executive board in such a case is an error.

The checks V1–V6 live in :mod:`engine.checks`, V7–V9 in :mod:`engine.balance`, V10 in
:mod:`engine.input_hygiene`, the outturn statement in :mod:`engine.outturn`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Self

from engine.catalogue import catalogue
from engine.findings import Finding, Location, Severity
from engine.money import ZERO
from engine.money import format_sv as _sv

__all__ = [
    "detalj_label",
    "AFFARSVERK_POSTER",
    "BindingItem",
    "BudgetChange",
    "BudgetObject",
    "ItemKey",
    "Kind",
    "ObjectType",
    "Organ",
    "Part",
    "Principle",
    "TaskType",
    "budget_after_changes",
    "change_log",
    "changes_for",
    "check_changes",
    "default_binding_items",
    "key_name",
    "sum_changes",
    "valid_changes",
]


class _CellEnum(StrEnum):
    """A StrEnum that a cell text names: its value or an alias (``_ALIASES``), case-insensitive."""

    @classmethod
    def parse(cls, text: object) -> Self:
        """From a cell text (ValueError with the valid choices otherwise)."""
        key = str(text).strip().casefold()
        key = _ALIASES[cls].get(key, key)
        for member in cls:
            if member.value == key:
                return member
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"okänt värde {text!r} (välj {choices})")


class Part(_CellEnum):
    """The part of the budget a binding item sits in."""

    DRIFT = "drift"
    RESULTAT = "resultat"
    INVESTERING = "investering"
    FINANSIERING = "finansiering"

    @property
    def svenska(self) -> str:
        return {
            "drift": "driftsekonomidelen",
            "resultat": "resultaträkningsdelen",
            "investering": "investeringsdelen",
            "finansiering": "finansieringsdelen",
        }[self.value]


class Kind(_CellEnum):
    """What the bound figure is: a spending limit, a revenue target, or a net amount."""

    ANSLAG = "anslag"
    BERAKNAD_INKOMST = "beräknad inkomst"
    NETTO = "netto"


class Principle(_CellEnum):
    """Bruttoprincipen binds each side; nettoprincipen binds the difference (seed §5.2.2)."""

    BRUTTO = "brutto"
    NETTO = "netto"


class Organ(_CellEnum):
    """Who decides / whom an item binds towards. A joint authority's stämma acts as fullmäktige."""

    FULLMAKTIGE = "fullmäktige"
    KOMMUNSTYRELSEN = "kommunstyrelsen"
    NAMND = "nämnd"
    DIREKTION = "direktion"

    @property
    def genitiv(self) -> str:
        return {
            "fullmäktige": "fullmäktiges",
            "kommunstyrelsen": "kommunstyrelsens",
            "nämnd": "nämndens",
            "direktion": "direktionens",
        }[self.value]

    @property
    def bestamd(self) -> str:
        """Definite form: "i fullmäktige", "i nämnden"."""
        return {
            "fullmäktige": "fullmäktige",
            "kommunstyrelsen": "kommunstyrelsen",
            "nämnd": "nämnden",
            "direktion": "direktionen",
        }[self.value]


class TaskType(_CellEnum):
    """How a task is financed (spec §2, seed §6.3.1)."""

    BUDGETFINANSIERAD = "budgetfinansierad"
    NETTOENHET = "nettoenhet"
    ANNAN_BALANSENHET = "annan balansenhet"
    AFFARSVERK = "affärsverk"


#: What a cell may say instead of a value (casefolded): Swedish variants, short forms, Finnish.
_ALIASES: dict[type[_CellEnum], Mapping[str, str]] = {
    Part: {"driftsekonomidel": "drift", "resultaträkningsdel": "resultat", "investeringsdel": "investering", "finansieringsdel": "finansiering", "rr": "resultat", "fd": "finansiering", "in": "investering", "dr": "drift"},
    Kind: {"beraknad inkomst": "beräknad inkomst", "inkomst": "beräknad inkomst", "nettoanslag": "netto", "nettobelopp": "netto", "määräraha": "anslag", "tuloarvio": "beräknad inkomst"},
    Principle: {"bruttoprincipen": "brutto", "nettoprincipen": "netto", "b": "brutto", "n": "netto"},
    Organ: {"fullmaktige": "fullmäktige", "fm": "fullmäktige", "samkommunsstämma": "fullmäktige", "stämma": "fullmäktige", "ks": "kommunstyrelsen", "namnd": "nämnd", "nämnden": "nämnd", "direktionen": "direktion"},
    TaskType: {"balansenhet": "annan balansenhet", "affarsverk": "affärsverk", "nettoenhet för intern service": "nettoenhet", "budgetfinansierat": "budgetfinansierad", "specifik finansiering": "nettoenhet"},
}


class ObjectType(StrEnum):
    """What a binding item's ``object`` names."""

    UPPGIFT = "uppgift"
    PROJEKT = "projekt"
    RAD = "rad"  # a line code of the resultaträkningsdel or finansieringsdel


#: The items of an enterprise (affärsverk) that bind towards the council and therefore appear in
#: the municipality's budget (KL 120 §, seed §5.2.2, §9.2.3): detalj -> (part, kind, label).
AFFARSVERK_POSTER: dict[str, tuple[Part, Kind, str]] = {
    "kapitalersattning": (Part.RESULTAT, Kind.BERAKNAD_INKOMST, "ersättning för grundkapital"),
    "ranta_interna_lan": (Part.RESULTAT, Kind.BERAKNAD_INKOMST, "ränta på interna lån"),
    "driftsbidrag": (Part.DRIFT, Kind.ANSLAG, "kommunens driftsbidrag (understöd)"),
    "utlaning": (Part.FINANSIERING, Kind.NETTO, "utlåning mellan kommunen och affärsverket"),
    "kapitalforandring": (Part.FINANSIERING, Kind.NETTO, "ökning/återbetalning av grundkapital"),
}


@dataclass(frozen=True, slots=True)
class BudgetObject:
    """A task (uppgift) or investment project that binding items can name.

    ``task_type`` matters for tasks (and for projects owned by an enterprise: set it to
    ``AFFARSVERK`` there). ``namnd`` is the owning committee, for messages.
    """

    id: str
    object_type: ObjectType = ObjectType.UPPGIFT
    task_type: TaskType = TaskType.BUDGETFINANSIERAD
    label: str | None = None
    namnd: str | None = None
    location: Location | None = None

    @property
    def name(self) -> str:
        return f"{self.id} {self.label}" if self.label else self.id


_LINE_CODE = re.compile(r"[A-Z]{2,}(?:\.[A-Z0-9]+)+")


def detalj_label(detalj: str) -> str:
    """A line code as the line's name in lower case (``RR.AB`` -> ``årsbidrag``)."""
    if _LINE_CODE.fullmatch(detalj):
        cat = catalogue()
        if detalj in cat:
            label = cat[detalj].label
            return label[:1].lower() + label[1:]
    return detalj


#: (part, object, detalj, kind): what identifies a binding item (years aside).
ItemKey = tuple[Part, str, str | None, Kind]


@dataclass(frozen=True, slots=True)
class BindingItem:
    """One binding item (bindande post).

    ``detalj`` narrows the object when one object has several bound figures: the council-binding
    post of an enterprise (a key of :data:`AFFARSVERK_POSTER`), the figure an other balance unit
    is bound on (``"RR.RES"`` räkenskapsperiodens resultat by default, seed §6.3.3.7 and §10.5.1;
    ``"RR.AB"`` årsbidrag where a council binds that instead),
    or a specification of a finansieringsdel line. ``years`` empty means every year of the plan.
    """

    part: Part
    object: str
    kind: Kind
    principle: Principle
    towards: Organ = Organ.FULLMAKTIGE
    years: tuple[int, ...] = ()
    object_type: ObjectType = ObjectType.UPPGIFT
    detalj: str | None = None
    label: str | None = None
    location: Location | None = None

    @property
    def key(self) -> ItemKey:
        return (self.part, self.object, self.detalj, self.kind)

    @property
    def name(self) -> str:
        """The name a controller reads, e.g. ``"drift Äldreomsorg (anslag, brutto)"``,
        ``"resultat Statsandelar (netto)"``, ``"drift Lokalservice, årsbidrag (netto)"``: no
        line codes when the line has a name, the principle only when it adds something."""
        obj = self.label if self.label and _LINE_CODE.fullmatch(self.object) else (
            f"{self.object} {self.label}" if self.label else self.object)
        if self.detalj:
            obj = f"{obj}, {detalj_label(self.detalj)}"
        key = (self.part, self.kind, self.principle)
        words = _NAME_WORDS.get(key)
        if words is None:
            how = self.kind.value if self.kind.value == self.principle.value else (
                f"{self.kind.value}, {self.principle.value}")
            words = _NAME_WORDS[key] = (self.part.value, how)
        return f"{words[0]} {obj} ({words[1]})"

    def covers(self, year: int) -> bool:
        return not self.years or year in self.years


#: (part, kind, principle) -> the words of an item's name (enum values read once, not per item)
_NAME_WORDS: dict[tuple[Part, Kind, Principle], tuple[str, str]] = {}


def default_binding_items(
    obj: BudgetObject, years: Sequence[int] = (), part: Part | None = None
) -> list[BindingItem]:
    """The binding items a task or project gets when the council says nothing else (spec §2).

    * budgetfinansierad task / a project: brutto, two items: anslag and beräknad inkomst;
    * nettoenhet: one netto item (its verksamhetsbidrag);
    * annan balansenhet: one netto item on its räkenskapsperiodens resultat (``detalj="RR.RES"``):
      seed §6.3.3.7 "I en nettoenhet och annan balansenhet är räkenskapsperiodens resultat den
      bindande posten gentemot fullmäktige", §10.5.1 "Överskott (underskott) före överföringar
      till reserver är en bindande post gentemot fullmäktige". In the sammandrag the same item
      shows the unit's årsbidrag (seed §7.1.2.3), see :mod:`engine.uppfoljning`;
    * affärsverk: only its council-binding posts (:data:`AFFARSVERK_POSTER`), no task-level item.
    """
    yrs = tuple(years)
    if obj.object_type is ObjectType.PROJEKT:
        p = part or Part.INVESTERING
        return [
            BindingItem(p, obj.id, Kind.ANSLAG, Principle.BRUTTO, years=yrs,
                        object_type=ObjectType.PROJEKT, label=obj.label),
            BindingItem(p, obj.id, Kind.BERAKNAD_INKOMST, Principle.BRUTTO, years=yrs,
                        object_type=ObjectType.PROJEKT, label=obj.label),
        ]
    p = part or Part.DRIFT
    if obj.task_type is TaskType.BUDGETFINANSIERAD:
        return [
            BindingItem(p, obj.id, Kind.ANSLAG, Principle.BRUTTO, years=yrs, label=obj.label),
            BindingItem(p, obj.id, Kind.BERAKNAD_INKOMST, Principle.BRUTTO, years=yrs,
                        label=obj.label),
        ]
    if obj.task_type is TaskType.NETTOENHET:
        return [BindingItem(p, obj.id, Kind.NETTO, Principle.NETTO, years=yrs, label=obj.label)]
    if obj.task_type is TaskType.ANNAN_BALANSENHET:
        return [
            BindingItem(p, obj.id, Kind.NETTO, Principle.NETTO, years=yrs, detalj="RR.RES",
                        label=obj.label)
        ]
    # affärsverk
    items = []
    for detalj, (post_part, kind, label) in AFFARSVERK_POSTER.items():
        principle = Principle.NETTO if kind is Kind.NETTO else Principle.BRUTTO
        items.append(
            BindingItem(post_part, obj.id, kind, principle, years=yrs, detalj=detalj,
                        label=f"{obj.label or obj.id}: {label}")
        )
    return items


# ---------------------------------------------------------------------------------------------
# Budget changes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BudgetChange:
    """One decision changing one binding item's budget for one year (seed §7.4).

    ``belopp`` is in published signs: raising an anslag by 100 is ``-100``; lowering a beräknad
    inkomst by 100 is ``-100``; raising a beräknad inkomst by 100 is ``+100``.
    """

    item: ItemKey
    year: int
    datum: date
    paragraf: str
    belopp: Decimal
    motivering: str = ""
    beslutat_av: Organ = Organ.FULLMAKTIGE
    location: Location | None = None


def change_log(changes: Iterable[BudgetChange]) -> list[BudgetChange]:
    """The changes in decision order (date, then § reference as given, then input order)."""
    indexed = list(enumerate(changes))
    indexed.sort(key=lambda ic: (ic[1].datum, _paragraf_sort_key(ic[1].paragraf), ic[0]))
    return [c for _, c in indexed]


def _paragraf_sort_key(paragraf: str) -> tuple[int, str]:
    digits = "".join(ch for ch in paragraf if ch.isdigit())
    return (int(digits) if digits else 0, paragraf)


def changes_for(
    changes: Iterable[BudgetChange], item: ItemKey, year: int
) -> list[BudgetChange]:
    """The changes to one item in one year, in decision order."""
    return change_log(c for c in changes if c.item == item and c.year == year)


def sum_changes(changes: Iterable[BudgetChange]) -> Decimal:
    """Σ of the change amounts, exact."""
    return sum((c.belopp for c in changes), ZERO)


def budget_after_changes(original: Decimal, changes: Iterable[BudgetChange]) -> Decimal:
    """Budget after changes = original + Σ changes (spec §3, §9)."""
    return original + sum_changes(changes)


def _is_worsening(item: BindingItem, change: BudgetChange) -> bool:
    """Raises an appropriation (also a net one) or lowers a revenue estimate: belopp < 0."""
    return change.belopp < 0


def check_changes(
    changes: Sequence[BudgetChange],
    items: Iterable[BindingItem],
    *,
    budgetar: int | None = None,
) -> list[Finding]:
    """Rule B1: every change names a known item and is decided by the right organ.

    * a change naming an item that does not exist: error;
    * a change on an item binding towards fullmäktige that raises an appropriation (also a net
      appropriation) or lowers a revenue estimate, decided by anyone but fullmäktige: error
      (seed §7.1.2.1, §7.4: "oavsett om avvikelsen beror på en överskridning av beräknade
      bruttoutgifter eller en underskridning av bruttoinkomster");
    * any other change to a fullmäktige item decided by someone else: warning (budget changes
      are the council's, seed §7.4);
    * a change on a direktion item (an enterprise's own budget) decided by a nämnd: error;
    * a change that makes a kommunstyrelsen-bound item worse, decided by a nämnd: error;
    * a change dated outside the year it changes: warning (seed §7.4: changes are put to the
      council during the budget year); with ``budgetar``, only the changes of that year;
    * the same § reference twice on the same item and year: warning (entered twice?).
    """
    by_key = _items_by_key(items)
    findings: list[Finding] = []
    seen: set[tuple[ItemKey, int, str]] = set()
    for ch in changes:
        findings.extend(_change_findings(ch, by_key.get(ch.item), seen, budgetar))
    return findings


def valid_changes(changes: Sequence[BudgetChange], items: Iterable[BindingItem]
                  ) -> list[BudgetChange]:
    """The changes that change the budget: those :func:`check_changes` finds no error in (a
    known item, a year it binds, decided by an organ that may: a council-bound item made worse by
    anyone but the council, or an enterprise's own item by a nämnd, does not change the budget,
    seed §7.4). The budget after changes counts these only; the others are B1 errors. The same
    rules as :func:`check_changes`, from the same function."""
    by_key = _items_by_key(items)
    return [ch for ch in changes
            if not any(f.severity is Severity.ERROR
                       for f in _change_findings(ch, by_key.get(ch.item), set(), None))]


def _items_by_key(items: Iterable[BindingItem]) -> dict[ItemKey, BindingItem]:
    by_key: dict[ItemKey, BindingItem] = {}
    for it in items:
        by_key.setdefault(it.key, it)
    return by_key


def _change_findings(ch: BudgetChange, item: BindingItem | None,
                     seen: set[tuple[ItemKey, int, str]], budgetar: int | None
                     ) -> list[Finding]:
    """B1 findings of one change (``seen``: the (item, year, §) of the changes before it)."""
    findings: list[Finding] = []
    if item is None:
        findings.append(Finding(
            "B1", Severity.ERROR,
            f"Budgetändringen {ch.paragraf} ({ch.datum.isoformat()}) gäller en bindande post "
            "som inte finns. Kontrollera del, objekt och slag, eller lägg till posten.",
            key_name(ch.item), ch.year, ch.location))
        return findings
    if not item.covers(ch.year):
        findings.append(Finding(
            "B1", Severity.ERROR,
            f"Budgetändringen {ch.paragraf} gäller år {ch.year}, men posten är bindande bara "
            f"för {', '.join(map(str, item.years))}. Rätta året.",
            item.name, ch.year, ch.location))
    dup = (ch.item, ch.year, ch.paragraf.strip())
    if ch.paragraf.strip() and dup in seen:
        findings.append(Finding(
            "B1", Severity.WARNING,
            f"Beslutet {ch.paragraf} finns två gånger för samma post och år. Kontrollera att "
            "ändringen inte har förts in dubbelt.",
            item.name, ch.year, ch.location))
    seen.add(dup)
    if item.towards is Organ.FULLMAKTIGE and ch.beslutat_av is not Organ.FULLMAKTIGE:
        if _is_worsening(item, ch):
            what = _worsening_text(item)
            findings.append(Finding(
                "B1", Severity.ERROR,
                f"{what} (ändring {_sv(ch.belopp)}) har beslutats av {ch.beslutat_av.value} "
                f"({ch.paragraf}). Posten är bindande gentemot fullmäktige, så ändringen "
                "kräver fullmäktiges beslut oavsett om den beror på högre bruttoutgifter "
                "eller lägre bruttoinkomster. För ändringen till fullmäktige.",
                item.name, ch.year, ch.location))
        else:
            findings.append(Finding(
                "B1", Severity.WARNING,
                f"Ändringen {ch.paragraf} av en post som är bindande gentemot fullmäktige har "
                f"beslutats av {ch.beslutat_av.value}. Budgetändringar beslutas av "
                "fullmäktige; kontrollera delegeringen.",
                item.name, ch.year, ch.location))
    elif item.towards is Organ.KOMMUNSTYRELSEN and ch.beslutat_av is Organ.NAMND \
            and _is_worsening(item, ch):
        findings.append(Finding(
            "B1", Severity.ERROR,
            f"{_worsening_text(item)} (ändring {_sv(ch.belopp)}) har beslutats av nämnd "
            f"({ch.paragraf}). Posten är bindande gentemot kommunstyrelsen, så ändringen "
            "kräver kommunstyrelsens (eller fullmäktiges) beslut.",
            item.name, ch.year, ch.location))
    elif item.towards is Organ.DIREKTION and ch.beslutat_av not in (
        Organ.DIREKTION, Organ.FULLMAKTIGE
    ):
        findings.append(Finding(
            "B1", Severity.ERROR,
            f"Ändringen {ch.paragraf} av affärsverkets egen budget har beslutats av "
            f"{ch.beslutat_av.value}; den beslutas av direktionen (seed §9.2.4).",
            item.name, ch.year, ch.location))
    if ch.datum.year != ch.year and (budgetar is None or ch.year == budgetar):
        findings.append(Finding(
            "B1", Severity.WARNING,
            f"Budgetändringen {ch.paragraf} är daterad {ch.datum.isoformat()}, utanför "
            f"budgetåret {ch.year}. Ändringar ska föreläggas fullmäktige under budgetåret.",
            item.name, ch.year, ch.location))
    return findings


def _worsening_text(item: BindingItem) -> str:
    if item.principle is Principle.NETTO or item.kind is Kind.NETTO:
        return "Höjning av nettoanslaget / sänkning av den beräknade nettoinkomsten"
    if item.kind is Kind.BERAKNAD_INKOMST:
        return "Sänkning av den beräknade inkomsten"
    return "Höjning av anslaget"


def key_name(key: ItemKey) -> str:
    """An item key as findings name it: ``drift U10/RR.RES (netto)``."""
    part, obj, detalj, kind = key
    o = f"{obj}/{detalj}" if detalj else obj
    return f"{part.value} {o} ({kind.value})"


@dataclass(frozen=True, slots=True)
class ChangeSummary:
    """Original budget, the changes and the budget after them for one item and year."""

    item: ItemKey
    year: int
    ursprunglig: Decimal
    andringar: tuple[BudgetChange, ...] = field(default_factory=tuple)

    @property
    def summa_andringar(self) -> Decimal:
        return sum_changes(self.andringar)

    @property
    def efter_andringar(self) -> Decimal:
        return self.ursprunglig + self.summa_andringar


def summarise_changes(
    original: Mapping[tuple[ItemKey, int], Decimal], changes: Iterable[BudgetChange]
) -> list[ChangeSummary]:
    """One :class:`ChangeSummary` per (item, year) of ``original``, changes in decision order."""
    ch = list(changes)
    return [
        ChangeSummary(key, year, amount, tuple(changes_for(ch, key, year)))
        for (key, year), amount in original.items()
    ]


__all__ += ["ChangeSummary", "summarise_changes"]
