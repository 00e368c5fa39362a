"""Structural checks of the binding items and the budget parts: rules V1–V6 (spec §8).

Each check takes plain data (binding items, registries of tasks/projects, mappings
``year -> Decimal``), returns a list of :class:`~engine.findings.Finding` and never raises on bad
input: one bad item never hides the others. Messages are Swedish and say what to do.

* V1 every task and project has exactly one binding definition; no duplicate keys; every key names
  something that exists (:func:`check_v1_definitions`).
* V2 netto items have an income and an expense side; brutto items are split into anslag and
  beräknad inkomst (:func:`check_v2_sides`).
* V3 the resultaträkningsdel's binding items are exactly the bindable lines (:func:`check_v3_resultatdel`).
* V4 the finansieringsdel's financing rows are binding; operating and investment rows are transfers
  equal to their sources to the cent (:func:`check_v4_finansieringsdel`).
* V5 the sammandrag balances (:func:`check_v5_sammandrag`, built in :mod:`engine.outturn`).
* V6 enterprises never enter the municipality's sums; only their council-binding posts appear
  (:func:`check_v6_affarsverk`).

V7–V9 (liquidity, balance, evaluation procedure) are in :mod:`engine.balance`; V10 in
:mod:`engine.input_hygiene`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from engine.binding import (
    AFFARSVERK_POSTER,
    BindingItem,
    BudgetObject,
    ItemKey,
    Kind,
    ObjectType,
    Organ,
    Part,
    Principle,
    TaskType,
)
from engine.catalogue import catalogue
from engine.findings import Finding, Location, Severity
from engine.money import ZERO
from engine.money import format_sv as _sv
from engine.outturn import SammandragPost, sammandrag

__all__ = [
    "FD_ALLA",
    "FD_FINANSIERING",
    "FD_OVERFORING",
    "RR_ALLA",
    "RR_BINDANDE",
    "RR_BINDANDE_SAMKOMMUN",
    "FinansieringsdelData",
    "NettoSidor",
    "SumContribution",
    "check_v1_definitions",
    "check_v2_sides",
    "check_v3_resultatdel",
    "check_v4_finansieringsdel",
    "check_v5_sammandrag",
    "check_v6_affarsverk",
]

_CAT = catalogue()
_KIND_BY_SIGN = {"+": Kind.BERAKNAD_INKOMST, "-": Kind.ANSLAG, "±": None}

#: V3: the resultaträkningsdel lines that carry binding items (seed §6.4.3), per line the kind
#: that fits it (None = either sign, any kind). From the catalogue's binding flags.
RR_BINDANDE: dict[str, Kind | None] = {
    code: _KIND_BY_SIGN[_CAT[code].sign] for code in sorted(_CAT.binding_codes("RR"))
}
#: Joint authorities (samkommun, seed §11.3.6.3): financial, extraordinary, bokslutsdispositioner.
RR_BINDANDE_SAMKOMMUN: frozenset[str] = frozenset(
    code for code in RR_BINDANDE if code not in ("RR.SKATT", "RR.SA")
)
#: Every resultaträkningsdel line code (bindable or summed/computed) with its label.
RR_ALLA: dict[str, str] = {line.code: line.label for line in _CAT.part("RR")}
#: V4: the finansieringsdel's financing rows, all binding (seed §6.6.1.3).
FD_FINANSIERING: dict[str, str] = {
    line.code: line.label for line in _CAT.part("FD") if line.binding
}
#: V4: transfer / correction / computed rows of the finansieringsdel: never binding.
FD_OVERFORING: dict[str, str] = {
    line.code: line.label for line in _CAT.part("FD") if not line.binding
}
FD_ALLA: dict[str, str] = {**FD_OVERFORING, **FD_FINANSIERING}


def _suggest(code: str, known: Iterable[str]) -> str:
    import difflib  # only a wrong code needs it, not every start

    close = difflib.get_close_matches(code, list(known), n=1, cutoff=0.6)
    return f" Menade du {close[0]}?" if close else ""


def _overlap(a: BindingItem, b: BindingItem) -> bool:
    if not a.years or not b.years:
        return True
    return bool(set(a.years) & set(b.years))


# ---------------------------------------------------------------------------------------------
# V1
# ---------------------------------------------------------------------------------------------


def check_v1_definitions(
    objects: Sequence[BudgetObject],
    items: Sequence[BindingItem],
    *,
    known_lines: Iterable[str] | None = None,
) -> list[Finding]:
    """V1: one binding definition per task and project; no duplicate keys; no unknown keys.

    ``objects`` is the registry of tasks and projects; ``known_lines`` the line codes an item of
    type ``rad`` may name (default: every RR and FD code). Enterprises (affärsverk) need no
    task-level definition (their council posts are checked by V6).
    """
    findings: list[Finding] = []
    lines = set(known_lines) if known_lines is not None else set(RR_ALLA) | set(FD_ALLA)
    registry: dict[str, BudgetObject] = {}
    for obj in objects:
        if obj.id in registry:
            findings.append(Finding(
                "V1", Severity.ERROR,
                f"Objektet {obj.id} finns två gånger i förteckningen över uppgifter och projekt. "
                "Ge varje uppgift och projekt en egen, unik kod.",
                obj.name, None, obj.location))
            continue
        registry[obj.id] = obj

    # duplicates
    seen: dict[ItemKey, list[BindingItem]] = {}
    for it in items:
        for other in seen.get(it.key, []):
            if _overlap(it, other):
                yrs = sorted(set(it.years) & set(other.years)) if it.years and other.years else []
                when = f" för år {', '.join(map(str, yrs))}" if yrs else ""
                where = f" (första gången: {other.location})" if other.location else ""
                findings.append(Finding(
                    "V1", Severity.ERROR,
                    f"Den bindande posten är definierad två gånger{when}{where}. Ta bort den "
                    "ena definitionen eller skilj dem åt med år.",
                    it.name, None, it.location))
                break
        seen.setdefault(it.key, []).append(it)

    # unknown keys
    for it in items:
        if it.object_type is ObjectType.RAD:
            if it.object not in lines:
                findings.append(Finding(
                    "V1", Severity.ERROR,
                    f"Radkoden {it.object} finns inte i radkatalogen.{_suggest(it.object, lines)} "
                    "Rätta koden.",
                    it.name, None, it.location))
            continue
        obj = registry.get(it.object)
        kind_txt = "projektet" if it.object_type is ObjectType.PROJEKT else "uppgiften"
        if obj is None:
            findings.append(Finding(
                "V1", Severity.ERROR,
                f"Den bindande posten gäller {kind_txt} {it.object}, som inte finns i "
                f"förteckningen.{_suggest(it.object, registry)} Rätta koden eller lägg till "
                f"{kind_txt}.",
                it.name, None, it.location))
        elif obj.object_type is not it.object_type:
            findings.append(Finding(
                "V1", Severity.ERROR,
                f"Posten anger {it.object} som {it.object_type.value}, men i förteckningen är det "
                f"ett {obj.object_type.value}. Rätta objekttypen.",
                it.name, None, it.location))

    # exactly one definition per task / project
    by_object: dict[str, list[BindingItem]] = {}
    for it in items:
        if it.object_type is not ObjectType.RAD:
            by_object.setdefault(it.object, []).append(it)
    for obj in registry.values():
        if obj.task_type is TaskType.AFFARSVERK:
            continue
        own = [it for it in by_object.get(obj.id, []) if it.detalj not in AFFARSVERK_POSTER]
        if not own:
            findings.append(Finding(
                "V1", Severity.ERROR,
                f"{'Projektet' if obj.object_type is ObjectType.PROJEKT else 'Uppgiften'} saknar "
                "bindande post. Ange bindningsnivån (brutto: anslag och beräknad inkomst, eller "
                "netto).",
                obj.name, None, obj.location))
            continue
        principles = {it.principle for it in own}
        if len(principles) > 1:
            findings.append(Finding(
                "V1", Severity.ERROR,
                "Objektet har både brutto- och nettobindning. Välj en bindningsprincip per "
                "uppgift/projekt.",
                obj.name, None, own[0].location or obj.location))
    return findings


# ---------------------------------------------------------------------------------------------
# V2
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NettoSidor:
    """The gross sides behind a netto item's budget for one year (published signs).

    ``inkomster`` ≥ 0, ``utgifter`` ≤ 0, ``netto`` (optional) must equal their sum.
    """

    inkomster: Decimal | None
    utgifter: Decimal | None
    netto: Decimal | None = None
    location: Location | None = None


def check_v2_sides(
    items: Sequence[BindingItem],
    netto_budgets: Mapping[ItemKey, Mapping[int, NettoSidor]] | None = None,
) -> list[Finding]:
    """V2: brutto items are anslag or beräknad inkomst and come in pairs; netto items have sides.

    * a brutto item of kind ``netto``: error;
    * a task/project bound brutto with only one of anslag / beräknad inkomst: warning (add the
      other, with 0 if there is none, so that the outturn can judge both sides);
    * a netto task/project item without its gross sides in ``netto_budgets`` (when given), or a
      side missing, of the wrong sign, or not adding up to the net figure: error.
    """
    findings: list[Finding] = []
    groups: dict[tuple[Part, str], set[Kind]] = {}
    for it in items:
        if it.principle is Principle.BRUTTO and it.kind is Kind.NETTO:
            findings.append(Finding(
                "V2", Severity.ERROR,
                "En bruttopost ska delas i anslag och beräknad inkomst; slaget 'netto' passar "
                "bara nettoprincipen. Ändra slaget eller principen.",
                it.name, None, it.location))
        if (
            it.principle is Principle.BRUTTO
            and it.object_type is not ObjectType.RAD
            and it.detalj is None
        ):
            groups.setdefault((it.part, it.object), set()).add(it.kind)
    first_loc: dict[tuple[Part, str], Location | None] = {}
    for it in items:
        first_loc.setdefault((it.part, it.object), it.location)
    for (part, obj), kinds in groups.items():
        for needed in (Kind.ANSLAG, Kind.BERAKNAD_INKOMST):
            if needed not in kinds and kinds - {Kind.NETTO}:
                findings.append(Finding(
                    "V2", Severity.WARNING,
                    f"Bruttobindningen saknar {needed.value}. Lägg till posten (med 0 om det inte "
                    "finns något att budgetera) så att utfallet kan bedömas för båda sidorna.",
                    f"{part.value} {obj}", None, first_loc.get((part, obj))))
    if netto_budgets is None:
        return findings
    for it in items:
        if it.principle is not Principle.NETTO or it.object_type is ObjectType.RAD:
            continue
        if it.detalj in AFFARSVERK_POSTER:
            continue
        per_year = netto_budgets.get(it.key)
        if not per_year:
            findings.append(Finding(
                "V2", Severity.ERROR,
                "Nettoposten saknar budgeterade inkomster och utgifter. Budgetera båda sidorna; "
                "nettot är deras skillnad.",
                it.name, None, it.location))
            continue
        for year, sides in sorted(per_year.items()):
            loc = sides.location or it.location
            missing = [
                name for name, v in (("inkomstsidan", sides.inkomster),
                                     ("utgiftssidan", sides.utgifter)) if v is None
            ]
            if missing:
                findings.append(Finding(
                    "V2", Severity.ERROR,
                    f"Nettoposten saknar {' och '.join(missing)}. Ange bruttobeloppen (0 om "
                    "sidan är tom).",
                    it.name, year, loc))
                continue
            assert sides.inkomster is not None and sides.utgifter is not None
            if sides.inkomster < 0 or sides.utgifter > 0:
                findings.append(Finding(
                    "V2", Severity.ERROR,
                    f"Nettopostens sidor har fel tecken (inkomster {_sv(sides.inkomster)}, utgifter "
                    f"{_sv(sides.utgifter)}); inkomster anges positiva och utgifter negativa.",
                    it.name, year, loc))
            if sides.netto is not None and sides.inkomster + sides.utgifter != sides.netto:
                findings.append(Finding(
                    "V2", Severity.ERROR,
                    f"Nettot {_sv(sides.netto)} är inte inkomster {_sv(sides.inkomster)} + utgifter "
                    f"{_sv(sides.utgifter)} = {_sv(sides.inkomster + sides.utgifter)}. Rätta beloppen.",
                    it.name, year, loc))
    return findings


# ---------------------------------------------------------------------------------------------
# V3
# ---------------------------------------------------------------------------------------------


def check_v3_resultatdel(
    items: Sequence[BindingItem],
    *,
    samkommun: bool = False,
    budget: Mapping[str, Decimal] | None = None,
) -> list[Finding]:
    """V3: the resultaträkningsdel's binding items are exactly the bindable lines (seed §6.4.3).

    ``items`` may be all binding items; those of part ``resultat`` naming a line are checked.
    ``budget`` (line code -> budget-year amount, directly budgeted) sharpens the "missing" check:
    a bindable line with a non-zero budget and no binding item is an error; without ``budget``
    a missing bindable line is a warning. Joint authorities bind only the financial,
    extraordinary and bokslutsdispositioner lines (seed §11.3.6.3).
    """
    findings: list[Finding] = []
    allowed = RR_BINDANDE_SAMKOMMUN if samkommun else frozenset(RR_BINDANDE)
    rr_items = [
        it for it in items if it.part is Part.RESULTAT and it.object_type is ObjectType.RAD
    ]
    present: set[str] = set()
    for it in rr_items:
        code = it.object
        present.add(code)
        if code in allowed:
            expected = RR_BINDANDE[code]
            if expected is not None and it.kind is not expected and it.kind is not Kind.NETTO:
                findings.append(Finding(
                    "V3", Severity.ERROR,
                    f"{RR_ALLA[code]} är en {'inkomst' if expected is Kind.BERAKNAD_INKOMST else 'utgift'}"
                    f"; posten ska vara {expected.value}, inte {it.kind.value}.",
                    it.name, None, it.location))
            continue
        if code in RR_BINDANDE and samkommun:
            msg = (
                f"{RR_ALLA[code]} är inte en bindande post i en samkommuns resultaträkningsdel "
                "(bara finansiella poster, extraordinära poster och bokslutsdispositioner). Ta "
                "bort bindningen."
            )
        elif code in RR_ALLA:
            msg = (
                f"{RR_ALLA[code]} är en summarad eller beräknad rad i resultaträkningsdelen, inte "
                "en bindande post; den är redan bunden i uppgifternas driftsekonomidelar (eller i "
                "avskrivningsplanen). Ta bort bindningen."
            )
        else:
            msg = (
                f"Radkoden {code} finns inte i resultaträkningsdelen.{_suggest(code, RR_ALLA)} "
                "Rätta koden."
            )
        findings.append(Finding("V3", Severity.ERROR, msg, it.name, None, it.location))
    for code in sorted(allowed - present):
        amount = budget.get(code) if budget is not None else None
        if budget is not None and (amount is None or amount == 0):
            continue
        sev = Severity.ERROR if budget is not None else Severity.WARNING
        extra = f" (budget {_sv(amount)})" if amount is not None else ""
        findings.append(Finding(
            "V3", sev,
            f"{RR_ALLA[code]}{extra} saknar bindande post. Posten är bindande gentemot "
            "fullmäktige i resultaträkningsdelen; lägg till den.",
            code, None, None))
    return findings


# ---------------------------------------------------------------------------------------------
# V4
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FinansieringsdelData:
    """The finansieringsdel's rows and their sources, per year (published signs).

    ``rows``: FD line code -> year -> amount as shown in the finansieringsdel.
    Sources: ``arsbidrag`` (RR.AB), ``extraordinara`` (RR.EXTRA.INK + RR.EXTRA.UTG), and the
    investeringsdel's gross totals ``investeringsutgifter`` (≤ 0), ``finansieringsandelar`` and
    ``forsaljningsinkomster`` (at book value). ``korrigerade_vinster``: disposal gains (+) / losses
    (−) moved out of årsbidrag by FD.VK.KORR and into FD.IK.FORS (seed §6.6.1.1); default 0.
    ``locations``: (line code, year) -> cell, for messages.
    """

    rows: Mapping[str, Mapping[int, Decimal]]
    arsbidrag: Mapping[int, Decimal]
    extraordinara: Mapping[int, Decimal] = field(default_factory=dict)
    investeringsutgifter: Mapping[int, Decimal] = field(default_factory=dict)
    finansieringsandelar: Mapping[int, Decimal] = field(default_factory=dict)
    forsaljningsinkomster: Mapping[int, Decimal] = field(default_factory=dict)
    korrigerade_vinster: Mapping[int, Decimal] = field(default_factory=dict)
    locations: Mapping[tuple[str, int], Location] = field(default_factory=dict)


def check_v4_finansieringsdel(
    data: FinansieringsdelData, items: Sequence[BindingItem] = ()
) -> list[Finding]:
    """V4: transfer rows equal their sources to the cent; financing rows are binding.

    Checked per year present in ``data.rows``:
    FD.VK.AB = årsbidrag; FD.VK.EXTRA = extraordinära poster; FD.IK.UTG = investeringsutgifter;
    FD.IK.FA = finansieringsandelar; FD.IK.FORS = försäljningsinkomster + korrigerade vinster;
    FD.INV (when given) = Σ of every other row. Binding items: a transfer row must not be
    binding; a financing row with a non-zero amount needs a binding item (part finansiering).
    """
    findings: list[Finding] = []
    sources: dict[str, tuple[str, Mapping[int, Decimal]]] = {
        "FD.VK.AB": ("årsbidraget i resultaträkningsdelen", data.arsbidrag),
        "FD.VK.EXTRA": ("de extraordinära posterna i resultaträkningsdelen", data.extraordinara),
        "FD.IK.UTG": ("investeringsdelens investeringsutgifter (brutto)",
                      data.investeringsutgifter),
        "FD.IK.FA": ("investeringsdelens finansieringsandelar", data.finansieringsandelar),
    }
    years = sorted({y for per in data.rows.values() for y in per})
    for code, (src_name, src) in sources.items():
        per = data.rows.get(code, {})
        for year in years:
            shown = per.get(year, ZERO)
            expected = src.get(year, ZERO)
            if shown != expected:
                findings.append(Finding(
                    "V4", Severity.ERROR,
                    f"{FD_ALLA[code]} i finansieringsdelen är {_sv(shown)} men {src_name} är "
                    f"{_sv(expected)} (skillnad {_sv(shown - expected)}). Raden är en överföring och ska "
                    "vara lika med sin källa; rätta länken.",
                    code, year, data.locations.get((code, year))))
    per = data.rows.get("FD.IK.FORS", {})
    for year in years:
        shown = per.get(year, ZERO)
        expected = data.forsaljningsinkomster.get(year, ZERO) + data.korrigerade_vinster.get(
            year, ZERO
        )
        if shown != expected:
            findings.append(Finding(
                "V4", Severity.ERROR,
                f"Försäljningsinkomster av tillgångar i finansieringsdelen är {_sv(shown)} men "
                f"investeringsdelens försäljningsinkomster plus korrigerade försäljningsvinster är "
                f"{_sv(expected)} (skillnad {_sv(shown - expected)}). Rätta länken.",
                "FD.IK.FORS", year, data.locations.get(("FD.IK.FORS", year))))
    inv = data.rows.get("FD.INV")
    if inv is not None:
        for year in years:
            if year not in inv:
                continue
            total = sum(
                (p.get(year, ZERO) for c, p in data.rows.items() if c != "FD.INV"), ZERO
            )
            if inv[year] != total:
                findings.append(Finding(
                    "V4", Severity.ERROR,
                    f"Inverkan på likviditeten är {_sv(inv[year])} men summan av finansieringsdelens "
                    f"rader är {_sv(total)} (skillnad {_sv(inv[year] - total)}). Kontrollera formeln.",
                    "FD.INV", year, data.locations.get(("FD.INV", year))))
    unknown = sorted(set(data.rows) - set(FD_ALLA))
    for code in unknown:
        findings.append(Finding(
            "V4", Severity.ERROR,
            f"Radkoden {code} finns inte i finansieringsdelen.{_suggest(code, FD_ALLA)} "
            "Rätta koden.",
            code, None, None))
    fd_items = [it for it in items if it.part is Part.FINANSIERING]
    bound = {it.object for it in fd_items}
    for it in fd_items:
        if it.object in FD_OVERFORING:
            findings.append(Finding(
                "V4", Severity.ERROR,
                f"{FD_OVERFORING[it.object]} är en överföring (eller summa) i "
                "finansieringsdelen, inte en bindande post; beloppet binds där det budgeteras "
                "(resultaträknings- eller investeringsdelen). Ta bort bindningen.",
                it.name, None, it.location))
    if items:
        for code in FD_FINANSIERING:
            per = data.rows.get(code, {})
            nonzero = [y for y in years if per.get(y, ZERO) != 0]
            if nonzero and code not in bound:
                findings.append(Finding(
                    "V4", Severity.ERROR,
                    f"{FD_FINANSIERING[code]} är budgeterad men saknar bindande post. "
                    "Finansieringens kassaflöde är bindande gentemot fullmäktige; lägg till "
                    "posten (brutto eller netto).",
                    code, nonzero[0], data.locations.get((code, nonzero[0]))))
    return findings


# ---------------------------------------------------------------------------------------------
# V5
# ---------------------------------------------------------------------------------------------


def check_v5_sammandrag(
    posts: Sequence[SammandragPost],
    inverkan_pa_likviditeten: Decimal,
    *,
    location: Location | None = None,
) -> list[Finding]:
    """V5: the sammandrag's appropriations and revenue estimates are equal (see
    :func:`engine.outturn.sammandrag` for the rules and the table itself)."""
    return list(sammandrag(posts, inverkan_pa_likviditeten, location=location).findings)


# ---------------------------------------------------------------------------------------------
# V6
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SumContribution:
    """One object's amount summed into one line of the municipality's statements."""

    line: str
    object: str
    year: int | None = None
    amount: Decimal | None = None
    location: Location | None = None


def check_v6_affarsverk(
    objects: Sequence[BudgetObject],
    items: Sequence[BindingItem],
    contributions: Iterable[SumContribution] = (),
) -> list[Finding]:
    """V6: enterprises stay outside the municipality's sums; only council-binding posts appear.

    * a binding item on an enterprise that binds towards fullmäktige must be one of
      :data:`~engine.binding.AFFARSVERK_POSTER` (capital return, interest on internal loans,
      operating subsidy, lending, capital changes): error otherwise;
    * an enterprise's own items bind towards its direktion (or fullmäktige for the posts above),
      never a nämnd: error;
    * any contribution of an enterprise (or a project it owns) to a line of the municipality's
      resultaträkningsdel, investeringsdel or finansieringsdel sums: error.
    """
    findings: list[Finding] = []
    enterprises = {o.id: o for o in objects if o.task_type is TaskType.AFFARSVERK}
    for it in items:
        ent = enterprises.get(it.object)
        if ent is None:
            continue
        if it.towards is Organ.FULLMAKTIGE:
            if it.detalj not in AFFARSVERK_POSTER:
                allowed = ", ".join(label for _, _, label in AFFARSVERK_POSTER.values())
                findings.append(Finding(
                    "V6", Severity.ERROR,
                    "Affärsverket ligger utanför kommunens budget; gentemot fullmäktige binder "
                    f"bara: {allowed}. Ange vilken av dessa posten är (detalj), eller gör den "
                    "bindande gentemot direktionen.",
                    it.name, None, it.location))
            else:
                part, _kind, label = AFFARSVERK_POSTER[it.detalj]
                if it.part is not part:
                    findings.append(Finding(
                        "V6", Severity.WARNING,
                        f"Affärsverkets post '{label}' hör normalt till {part.svenska}, inte "
                        f"{it.part.svenska}. Kontrollera delen.",
                        it.name, None, it.location))
        elif it.towards is not Organ.DIREKTION:
            findings.append(Finding(
                "V6", Severity.ERROR,
                f"En post i affärsverkets budget är bindande gentemot {it.towards.value}; den ska "
                "vara bindande gentemot direktionen eller (fullmäktiges poster) fullmäktige.",
                it.name, None, it.location))
    for c in contributions:
        ent = enterprises.get(c.object)
        if ent is None:
            continue
        amount = f" med {_sv(c.amount)}" if c.amount is not None else ""
        findings.append(Finding(
            "V6", Severity.ERROR,
            f"Affärsverket {ent.name} ingår{amount} i kommunens summa på raden {c.line}. "
            "Affärsverk ska inte ingå i kommunens resultaträknings-, investerings- eller "
            "finansieringsdel (bara i tablån över affärsverkens inverkan). Ta bort det ur summan.",
            c.object, c.year, c.location))
    return findings
