"""The embedded example municipality: "Exempelby kommun" (EUR, about 15 000 inhabitants).

A realistic small Finnish-Swedish municipality built by code, deterministically: six committees,
tasks of every financing kind (budget-financed, a net unit, another balance unit and a water
enterprise), 37 result units for resultatbalansering, five year columns (accounts 2024, budget
2025, budget year 2026, plan years 2027–2028) and a handful of investment projects. Its figures are
chosen so that every statement, check and resultatbalansering rule has something to show:

* the plan years go into deficit (V8 balance) and liquid assets run down, so 2028 needs
  short-term borrowing;
* an internal rent is raised in 2027 without the buyers' budgets following (internal items do
  not cancel out);
* one project's yearly split exceeds its approved cost estimate;
* the outturn of 2025 (8 months and a forecast) exceeds an appropriation even after a budget
  change, misses a revenue estimate, a net unit misses because its income fell, another unit is
  within although its gross costs rose; a committee lowered a revenue estimate on its own (B1);
* resultatbalansering 2024: committees in surplus and in deficit, a unit without goal achievement,
  a committee that did not achieve its goals, an adjustment for a law change, a committee with no
  central management unit, a missing timetable step.

Nothing here is read from a file: the workbook templates are filled from these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from engine.budget import Budget, Finansiering, Projekt, Uppgift
from engine.resultatbalansering import Justering, Namnd, Resultatenhet, Tidplan

__all__ = ["AR", "ExAndring", "ExUtfall", "Exempel", "exempelkommun"]

AR = ("2024", "2025", "2026", "2027", "2028")
KOLUMNER = ("Bokslut 2024", "Budget 2025", "Budget 2026", "Plan 2027", "Plan 2028")
N = len(AR)

KS = "Kommunstyrelsen"
BILDNING = "Bildningsnämnden"
SOCIAL = "Socialnämnden"
TEKNISK = "Tekniska nämnden"
MOB = "Miljö- och byggnämnden"
KOF = "Kultur- och fritidsnämnden"
NAMNDER = (KS, BILDNING, SOCIAL, TEKNISK, MOB, KOF)


def _series(base: float, growth: float) -> tuple[Decimal, ...]:
    """Whole euros per year: base in 2024 growing by ``growth`` a year, rounded half up."""
    out = []
    for i in range(N):
        value = Decimal(str(base)) * (Decimal(1) + Decimal(str(growth))) ** i
        out.append(value.quantize(Decimal(1), rounding=ROUND_HALF_UP).quantize(Decimal("0.01")))
    return tuple(out)


def _fixed(*values: float | None) -> tuple[Decimal | None, ...]:
    return tuple(None if v is None else Decimal(str(v)).quantize(Decimal("0.01")) for v in values)


INCOME_GROWTH = 0.015
COST_GROWTH = 0.03


def _task(namn: str, namnd: str, lines: dict[str, float], finansiering: Finansiering =
          Finansiering.BUDGETFINANSIERAD, extra: dict[str, tuple] | None = None) -> Uppgift:
    belopp: dict[str, tuple] = {}
    for code, base in lines.items():
        growth = INCOME_GROWTH if base > 0 else COST_GROWTH
        belopp[code] = _series(base, growth)
    belopp.update(extra or {})
    return Uppgift(namn, namnd, finansiering, belopp)


def _internal(amount: float) -> tuple[Decimal, ...]:
    return _fixed(*([amount] * N))


def _uppgifter() -> tuple[Uppgift, ...]:
    B, NE, BE, AV = (Finansiering.BUDGETFINANSIERAD, Finansiering.NETTOENHET,
                     Finansiering.BALANSENHET, Finansiering.AFFARSVERK)
    return (
        _task("Förvaltning och ledning", KS, {
            "RR.VI.AVG": 50_000, "RR.VI.OVR": 210_000, "RR.VU.PERS.LON": -2_100_000,
            "RR.VU.PERS.LBK.PENS": -470_000, "RR.VU.PERS.LBK.OVR": -95_000,
            "RR.VU.TJ": -1_250_000, "RR.VU.MAT": -150_000, "RR.VU.OVR": -310_000},
            B, {"DR.INT.UTG": _internal(-400_000)}),
        _task("Näringsliv och sysselsättning", KS, {
            "RR.VI.UND": 310_000, "RR.VU.PERS.LON": -420_000, "RR.VU.PERS.LBK.PENS": -92_000,
            "RR.VU.TJ": -610_000, "RR.VU.UND": -480_000}, B),
        _task("Småbarnspedagogik", BILDNING, {
            "RR.VI.AVG": 1_180_000, "RR.VU.PERS.LON": -6_450_000,
            "RR.VU.PERS.LBK.PENS": -1_420_000, "RR.VU.PERS.LBK.OVR": -290_000,
            "RR.VU.TJ": -1_480_000, "RR.VU.MAT": -410_000},
            B, {"DR.INT.UTG": _internal(-1_100_000)}),
        _task("Grundläggande utbildning", BILDNING, {
            "RR.VI.FORS": 190_000, "RR.VI.UND": 420_000, "RR.VU.PERS.LON": -9_750_000,
            "RR.VU.PERS.LBK.PENS": -2_140_000, "RR.VU.PERS.LBK.OVR": -410_000,
            "RR.VU.TJ": -2_580_000, "RR.VU.MAT": -930_000},
            B, {"DR.INT.UTG": _internal(-2_300_000)}),
        _task("Gymnasieutbildning", BILDNING, {
            "RR.VI.FORS": 310_000, "RR.VU.PERS.LON": -3_050_000,
            "RR.VU.PERS.LBK.PENS": -670_000, "RR.VU.TJ": -820_000, "RR.VU.MAT": -280_000},
            B, {"DR.INT.UTG": _internal(-700_000)}),
        _task("Äldreomsorg", SOCIAL, {
            "RR.VI.AVG": 3_120_000, "RR.VU.PERS.LON": -11_480_000,
            "RR.VU.PERS.LBK.PENS": -2_530_000, "RR.VU.PERS.LBK.OVR": -490_000,
            "RR.VU.TJ": -4_160_000, "RR.VU.MAT": -1_020_000},
            B, {"DR.INT.UTG": _internal(-1_500_000)}),
        _task("Handikappservice", SOCIAL, {
            "RR.VI.AVG": 410_000, "RR.VU.PERS.LON": -3_180_000,
            "RR.VU.PERS.LBK.PENS": -700_000, "RR.VU.TJ": -3_870_000, "RR.VU.UND": -310_000}, B),
        _task("Socialarbete", SOCIAL, {
            "RR.VI.UND": 880_000, "RR.VU.PERS.LON": -2_420_000,
            "RR.VU.PERS.LBK.PENS": -530_000, "RR.VU.TJ": -2_240_000, "RR.VU.UND": -2_760_000}, B),
        _task("Gator och parker", TEKNISK, {
            "RR.VI.FORS": 290_000, "RR.VU.PERS.LON": -910_000, "RR.VU.PERS.LBK.PENS": -200_000,
            "RR.VU.TJ": -1_580_000, "RR.VU.MAT": -690_000, "RR.AVS.PLAN": -1_150_000}, B),
        # Another balance unit: the municipality's premises, financed by internal rents. The
        # rent is raised in 2027 without the tenants' budgets following (a finding).
        _task("Lokalservice", TEKNISK, {
            "RR.VI.FORS": 210_000, "RR.VU.PERS.LON": -1_380_000,
            "RR.VU.PERS.LBK.PENS": -300_000, "RR.VU.TJ": -1_900_000, "RR.VU.MAT": -1_190_000,
            "RR.VU.OVR": -420_000, "RR.AVS.PLAN": -1_620_000, "RR.FIN.RU": -120_000},
            BE, {"DR.INT.INK": _fixed(6_000_000, 6_000_000, 6_000_000, 6_250_000, 6_250_000)}),
        _task("Vattenverket", TEKNISK, {
            "RR.VI.FORS": 3_400_000, "RR.VU.PERS.LON": -610_000,
            "RR.VU.PERS.LBK.PENS": -130_000, "RR.VU.TJ": -1_090_000, "RR.VU.MAT": -520_000,
            "RR.FIN.RU": -150_000, "RR.AVS.PLAN": -880_000},
            AV, {"FD.LAN.OKL": _fixed(0, 800_000, 1_000_000, 0, 0),
                 "FD.LAN.MINL": _fixed(-300_000, -300_000, -350_000, -350_000, -350_000)}),
        _task("Byggnadstillsyn", MOB, {
            "RR.VI.AVG": 450_000, "RR.VU.PERS.LON": -380_000, "RR.VU.PERS.LBK.PENS": -84_000,
            "RR.VU.TJ": -52_000}, NE),
        _task("Miljöskydd", MOB, {
            "RR.VI.UND": 48_000, "RR.VU.PERS.LON": -305_000, "RR.VU.PERS.LBK.PENS": -67_000,
            "RR.VU.TJ": -198_000}, B),
        _task("Bibliotek", KOF, {
            "RR.VI.AVG": 21_000, "RR.VU.PERS.LON": -600_000, "RR.VU.PERS.LBK.PENS": -132_000,
            "RR.VU.MAT": -151_000}, B),
        _task("Idrott och fritid", KOF, {
            "RR.VI.AVG": 352_000, "RR.VU.PERS.LON": -700_000, "RR.VU.PERS.LBK.PENS": -154_000,
            "RR.VU.TJ": -498_000, "RR.VU.UND": -251_000}, B),
        _task("Kultur", KOF, {
            "RR.VI.FORS": 82_000, "RR.VU.PERS.LON": -250_000, "RR.VU.PERS.LBK.PENS": -55_000,
            "RR.VU.TJ": -352_000, "RR.VU.UND": -198_000}, B),
    )


def _central() -> dict[str, tuple[Decimal | None, ...]]:
    """Lines budgeted directly in the resultaträkningsdel and finansieringsdel, and the balance
    figures the key ratios need."""
    return {
        "RR.SKATT": _fixed(57_900_000, 59_000_000, 59_900_000, 60_600_000, 61_200_000),
        "RR.SA": _fixed(27_300_000, 27_600_000, 27_500_000, 27_300_000, 27_100_000),
        "RR.FIN.RI": _fixed(310_000, 300_000, 290_000, 280_000, 270_000),
        "RR.FIN.OFI": _fixed(205_000, 200_000, 200_000, 200_000, 200_000),
        "RR.FIN.RU": _fixed(-590_000, -640_000, -720_000, -810_000, -880_000),
        "RR.FIN.OFU": _fixed(-21_000, -20_000, -20_000, -20_000, -20_000),
        "RR.AVS.PLAN": _fixed(-2_480_000, -2_560_000, -2_700_000, -2_950_000, -3_100_000),
        "RR.EXTRA.INK": _fixed(None, 1_150_000, None, None, None),
        "RR.BD.AVSD": _fixed(95_000, 95_000, 95_000, 95_000, 95_000),
        "FD.VK.KORR": _fixed(-310_000, -1_150_000, -200_000, -200_000, -200_000),
        "FD.UTL.OKN": _fixed(-200_000, None, -150_000, None, None),
        "FD.UTL.MIN": _fixed(60_000, 60_000, 60_000, 60_000, 60_000),
        "FD.LAN.OKL": _fixed(None, 3_000_000, 2_000_000, 6_000_000, 2_000_000),
        "FD.LAN.MINL": _fixed(-4_100_000, -4_300_000, -4_600_000, -4_900_000, -5_200_000),
        "FD.LAN.KORT": _fixed(-500_000, None, None, None, 1_500_000),
        "FD.EK": _fixed(None, None, None, None, None),
        "BAL.FORSK": _fixed(1_200_000, 1_200_000, 1_200_000, 1_200_000, 1_200_000),
    }


#: Balance figures at the start of the accounts year 2024 (31.12.2023); later years follow from
#: the statements (see :func:`_balans`).
LIKVIDA_MEDEL_START = Decimal("5000000.00")
LANESTOCK_START = Decimal("40000000.00")
OVRIGT_FRAMMANDE_KAPITAL = Decimal("18500000.00")
TIDIGARE_OVERSKOTT_START = Decimal("3900000.00")


def _balans(budget: Budget) -> dict[str, tuple[Decimal, ...]]:
    """Balance figures consistent with the statements: likvida medel change by inverkan på
    likviditeten, the loan stock by the loan rows, the accumulated surplus by each year's result."""
    from engine.budget import berakna

    st = berakna(budget).statement
    likv, lan, tid, fk = [], [], [], []
    cash, loans, acc = LIKVIDA_MEDEL_START, LANESTOCK_START, TIDIGARE_OVERSKOTT_START
    for i in range(N):
        tid.append(acc)
        cash += st.get("FD.INV", i)
        loans += st.get("FD.LAN.OKL", i) + st.get("FD.LAN.MINL", i) + st.get("FD.LAN.KORT", i)
        acc += st.get("RR.OVERSKOTT", i)
        likv.append(cash)
        lan.append(loans)
        fk.append(loans + OVRIGT_FRAMMANDE_KAPITAL)
    return {"BAL.LIKV": tuple(likv), "BAL.LAN": tuple(lan), "BAL.FK": tuple(fk),
            "BAL.TIDOVERSK": tuple(tid),
            "BAL.LIKV.START": (LIKVIDA_MEDEL_START,) + (None,) * (N - 1)}


def _projekt() -> tuple[Projekt, ...]:
    return (
        Projekt("Skolcentrum Norr", BILDNING, kostnadskalkyl=Decimal("14000000.00"),
                tidigare=Decimal("1500000.00"),
                belopp={"IN.UTG": _fixed(-1_200_000, -4_000_000, -5_000_000, -3_500_000, None),
                        "IN.FA": _fixed(None, None, 1_000_000, 500_000, None)}),
        Projekt("Idrottshallen, renovering", KOF, kostnadskalkyl=Decimal("3800000.00"),
                belopp={"IN.UTG": _fixed(None, None, -400_000, -2_500_000, -1_500_000)}),
        Projekt("Gatubelysning LED", TEKNISK,
                belopp={"IN.UTG": _fixed(-350_000, -600_000, -600_000, -600_000, None)}),
        Projekt("Markområden och exploatering", TEKNISK, netto=True,
                belopp={"IN.UTG": _fixed(-800_000, -900_000, -700_000, -700_000, -700_000),
                        "IN.FORS": _fixed(1_100_000, 1_400_000, 900_000, 900_000, 900_000)}),
        Projekt("Maskiner och inventarier", KS,
                belopp={"IN.UTG": _fixed(-310_000, -300_000, -300_000, -300_000, -300_000)}),
        Projekt("Vattenledning Strandvägen", TEKNISK, uppgift="Vattenverket",
                belopp={"IN.UTG": _fixed(-450_000, -1_200_000, -1_300_000, -400_000, -400_000)}),
    )


def _enheter() -> tuple[Resultatenhet, ...]:
    """Result units' net budget and net outturn for the accounts year 2024 (positive = cost)."""
    rows: list[tuple[str, str, bool, int, int, bool]] = [
        # nämnd, resultatenhet, central, budget, utfall, måluppfyllelse
        (KS, "Central förvaltningsledning", True, 1_420_000, 1_395_000, True),
        (KS, "Ekonomiavdelningen", False, 980_000, 951_000, True),
        (KS, "Personalavdelningen", False, 760_000, 772_000, True),
        (KS, "IT-avdelningen", False, 1_150_000, 1_087_000, True),
        (KS, "Näringslivsavdelningen", False, 1_290_000, 1_262_000, True),
        (BILDNING, "Central förvaltningsledning", True, 2_310_000, 2_352_000, True),
        (BILDNING, "Centrumskolan", False, 4_870_000, 4_791_000, True),
        (BILDNING, "Norrby skola", False, 3_120_000, 3_188_000, True),
        (BILDNING, "Söderby skola", False, 2_640_000, 2_583_000, False),
        (BILDNING, "Västby skola", False, 1_980_000, 1_949_000, True),
        (BILDNING, "Gymnasiet", False, 3_740_000, 3_702_000, True),
        (BILDNING, "Daghemmet Solstrålen", False, 2_210_000, 2_183_000, True),
        (BILDNING, "Daghemmet Måsen", False, 1_870_000, 1_902_000, True),
        (BILDNING, "Daghemmet Ekorren", False, 1_650_000, 1_611_000, True),
        (BILDNING, "Familjedagvård", False, 640_000, 629_000, True),
        (SOCIAL, "Central förvaltningsledning", True, 1_870_000, 1_941_000, True),
        (SOCIAL, "Hemvård", False, 5_430_000, 5_688_000, True),
        (SOCIAL, "Boendeservice", False, 6_920_000, 6_851_000, True),
        (SOCIAL, "Handikappservice", False, 6_790_000, 6_902_000, True),
        (SOCIAL, "Barn och familj", False, 2_870_000, 2_934_000, True),
        (SOCIAL, "Vuxensocialarbete", False, 2_140_000, 2_098_000, True),
        (SOCIAL, "Missbrukarvård", False, 1_090_000, 1_127_000, True),
        (TEKNISK, "Central förvaltningsledning", True, 640_000, 602_000, True),
        (TEKNISK, "Gatuavdelningen", False, 2_310_000, 2_274_000, True),
        (TEKNISK, "Parkavdelningen", False, 780_000, 768_000, True),
        (TEKNISK, "Lokalserviceavdelningen", False, 1_020_000, 963_000, True),
        (TEKNISK, "Kostavdelningen", False, 1_540_000, 1_561_000, True),
        (TEKNISK, "Städavdelningen", False, 1_260_000, 1_228_000, True),
        # Miljö- och byggnämnden has no central management unit in the input (an info finding;
        # what remains after its units is the committee's disposition, as for every committee).
        (MOB, "Byggnadstillsyn", False, 70_000, 52_000, True),
        (MOB, "Miljöskydd", False, 530_000, 511_000, True),
        (MOB, "Planläggning", False, 410_000, 402_000, True),
        (KOF, "Central förvaltningsledning", True, 310_000, 306_000, True),
        (KOF, "Biblioteket", False, 880_000, 861_000, True),
        (KOF, "Idrott", False, 1_050_000, 1_083_000, True),
        (KOF, "Fritid och ungdom", False, 420_000, 398_000, True),
        (KOF, "Kultur", False, 830_000, 801_000, True),
        (KOF, "Medborgarinstitutet", False, 540_000, 529_000, True),
    ]
    out = []
    for namnd, namn, central, budget, utfall, mal in rows:
        # the rows list net costs; the unit takes them in published signs (costs negative)
        out.append(
            Resultatenhet.fran_budget(
                namnd, namn, -Decimal(budget), -Decimal(utfall), central=central,
                maluppfyllelse=mal,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class ExUtfall:
    """Outturn to date (8 months) and full-year forecast of the current year for one line."""

    namnd: str  # "" for the municipality's own lines and projects
    uppgift: str  # task or project name; "" for a central line
    kod: str
    utfall: Decimal
    prognos: Decimal


@dataclass(frozen=True)
class ExAndring:
    datum: date
    paragraf: str
    post: str
    ar: int
    belopp: Decimal
    orsak: str
    beslutat_av: str = "fullmäktige"


#: Full-year forecast as a share of the budget, per (task or project, line prefix). Everything
#: else lands at 99 % of costs and 100 % of income.
_PROGNOS = {
    ("Äldreomsorg", "RR.VU"): Decimal("1.035"),  # anslag exceeded even after the change
    ("Socialarbete", "RR.VI"): Decimal("0.80"),  # beräknad inkomst missed
    ("Byggnadstillsyn", "RR.VI"): Decimal("0.85"),  # net unit over because income fell
    ("Lokalservice", "RR.VU"): Decimal("1.02"),  # gross costs over, but ...
    ("Lokalservice", "DR.INT.INK"): Decimal("1.025"),  # ... rents more than cover: net within
    ("Gatubelysning LED", "IN.UTG"): Decimal("1.04"),
    ("Skolcentrum Norr", "IN.UTG"): Decimal("0.85"),
    ("", "RR.SKATT"): Decimal("0.99"),
    ("", "RR.FIN.RU"): Decimal("1.10"),
}
MANADER = Decimal(8) / Decimal(12)


def _utfall_rows(budget: Budget) -> tuple[ExUtfall, ...]:
    i = AR.index("2025")
    out = []

    def row(namnd: str, obj: str, code: str, amount: Decimal | None) -> None:
        if amount is None or amount == 0:
            return
        factor = next((f for (o, prefix), f in _PROGNOS.items()
                       if o == obj and code.startswith(prefix)),
                      Decimal("0.99") if amount < 0 else Decimal(1))
        prognos = (amount * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        utfall = (prognos * MANADER).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        out.append(ExUtfall(namnd, obj, code, utfall.quantize(Decimal("0.01")),
                            prognos.quantize(Decimal("0.01"))))

    for u in budget.uppgifter:
        for code, vals in u.belopp.items():
            if code.startswith(("RR.", "DR.")):
                row(u.namnd, u.namn, code, vals[i])
    for p in budget.projekt:
        if p.uppgift is None:
            for code, vals in p.belopp.items():
                row("", p.namn, code, vals[i])
    for code in ("RR.SKATT", "RR.SA", "RR.FIN.RI", "RR.FIN.RU", "FD.LAN.OKL", "FD.LAN.MINL"):
        row("", "", code, budget.central[code][i])
    return tuple(out)


_ANDRINGAR = (
    ExAndring(date(2025, 6, 12), "§ 45", "Äldreomsorg / anslag", 2025, Decimal("-400000.00"),
              "Fler klienter i hemvården än budgeterat"),
    ExAndring(date(2025, 6, 12), "§ 46", "Skolcentrum Norr / anslag", 2025,
              Decimal("500000.00"), "Byggstarten försenad; utgifterna flyttas till 2026"),
    ExAndring(date(2025, 9, 18), "§ 71", "Socialarbete / beräknad inkomst", 2025,
              Decimal("-100000.00"), "Lägre statliga ersättningar för flyktingmottagning",
              "nämnd"),
)


#: Approved accounts (accumulated surplus at 31.12; approved the year after) and the
#: evaluation-procedure key figures of the last two closed years (none of the criteria is met).
HISTORIK = ((2023, Decimal("3900000.00"), 2024), (2024, Decimal("6918000.00"), 2025))
KRIS = (
    # år, ack. överskott/inv, skattesats, vägt medeltal, ÅB/avskr %, lån+hyra/inv, medeltal,
    # kalk. lånehanteringsbidrag, ÅB utan prövning, lån/inv, medeltal, relativ skuldsättning %
    (2023, "258", "8.36", "7.46", "131.0", "2790", "2620", "1.6", "7100000", "2420", "2350",
     "52.0"),
    (2024, "457", "8.36", "7.47", "155.7", "2690", "2650", "1.7", "8100000", "2340", "2380",
     "50.8"),
)


@dataclass(frozen=True)
class Exempel:
    budget: Budget
    kolumner: tuple[str, ...]
    enheter: tuple[Resultatenhet, ...]
    namnder: tuple[Namnd, ...]
    justeringar: tuple[Justering, ...]
    tidplan: Tidplan
    bokslutsar: int = 2024
    namndlista: tuple[str, ...] = field(default=NAMNDER)
    utfall: tuple[ExUtfall, ...] = ()
    andringar: tuple[ExAndring, ...] = ()
    historik: tuple[tuple[int, Decimal, int], ...] = ()
    kris: tuple[tuple[object, ...], ...] = ()


def exempelkommun() -> Exempel:
    """The example municipality, built fresh (deterministic)."""
    budget = Budget(
        kommun="Exempelby kommun",
        years=AR,
        uppgifter=_uppgifter(),
        projekt=_projekt(),
        central=_central(),
        invanare=(15_120, 15_060, 15_000, 14_950, 14_900),
    )
    budget = replace(budget, central={**budget.central, **_balans(budget)})
    return Exempel(
        budget=budget,
        kolumner=KOLUMNER,
        enheter=_enheter(),
        # Kultur- och fritidsnämnden did not broadly achieve its budgeted performance (R3)
        namnder=(Namnd(KOF, maluppfyllelse=False),),
        justeringar=(
            Justering(SOCIAL, Decimal("150000"),
                      "Lagändring: utvidgad rätt till närståendevård från 1.7.2024", "enhet",
                      "Hemvård"),
        ),
        tidplan=Tidplan(
            bokslutsgenomgang=date(2025, 2, 12),
            ks_beslut=date(2025, 3, 10),
            enhetsgenomgang=date(2025, 4, 8),
            aterrapportering=None,
        ),
        utfall=_utfall_rows(budget),
        andringar=_ANDRINGAR,
        historik=HISTORIK,
        kris=KRIS,
    )
