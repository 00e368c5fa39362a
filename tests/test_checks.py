"""Structural checks V1–V6 (spec §8): each bad item is one finding, none hides the others."""

from engine.binding import (
    BindingItem,
    BudgetObject,
    ObjectType,
    Organ,
    Part,
    TaskType,
    default_binding_items,
)
from engine.checks import (
    RR_BINDANDE,
    RR_BINDANDE_SAMKOMMUN,
    FinansieringsdelData,
    NettoSidor,
    SumContribution,
    check_v1_definitions,
    check_v2_sides,
    check_v3_resultatdel,
    check_v4_finansieringsdel,
    check_v5_sammandrag,
    check_v6_affarsverk,
)
from engine.findings import Location, Severity
from engine.money import format_sv as sv
from engine.outturn import SammandragPost
from tests.binding_terms import ANSLAG, INK, NETTO, B, D, N

RAD = ObjectType.RAD

SKOLA = BudgetObject("U10", label="Grundskola")
KOST = BudgetObject("N20", task_type=TaskType.NETTOENHET, label="Kosthåll")
HAMN = BudgetObject("B30", task_type=TaskType.ANNAN_BALANSENHET, label="Hamnen")
VATTEN = BudgetObject("AV1", task_type=TaskType.AFFARSVERK, label="Vattenverket")
SKOLHUS = BudgetObject("P1", object_type=ObjectType.PROJEKT, label="Skolhus")
OBJECTS = [SKOLA, KOST, HAMN, VATTEN, SKOLHUS]


def loc(cell):
    return Location(sheet="Bindning", cell=cell)


def all_defaults():
    return [it for o in OBJECTS for it in default_binding_items(o, (2025,))]


# --- V1 ---------------------------------------------------------------------------------------


def test_v1_defaults_are_clean():
    assert check_v1_definitions(OBJECTS, all_defaults()) == []


def test_v1_duplicate_key_names_both_cells():
    items = all_defaults() + [BindingItem(Part.DRIFT, "U10", ANSLAG, B, years=(2025,),
                                          location=loc("B9"))]
    [f] = check_v1_definitions(OBJECTS, items)
    assert (f.rule, f.severity, f.location.cell) == ("V1", Severity.ERROR, "B9")
    assert "två gånger" in f.message and "2025" in f.message


def test_v1_same_key_different_years_is_fine():
    items = [
        BindingItem(Part.DRIFT, "U10", ANSLAG, B, years=(2025,)),
        BindingItem(Part.DRIFT, "U10", ANSLAG, B, years=(2026,)),
        BindingItem(Part.DRIFT, "U10", INK, B),
    ]
    assert check_v1_definitions([SKOLA], items) == []


def test_v1_missing_unknown_and_mixed_all_reported():
    items = [
        *default_binding_items(SKOLA),
        # N20 bound both ways
        BindingItem(Part.DRIFT, "N20", NETTO, N),
        BindingItem(Part.DRIFT, "N20", ANSLAG, B),
        # unknown task, typo of U10
        BindingItem(Part.DRIFT, "U1O", ANSLAG, B, location=loc("B12")),
        # unknown line code
        BindingItem(Part.RESULTAT, "RR.SKAT", INK, B, object_type=RAD, location=loc("B13")),
        # project named as a task
        BindingItem(Part.INVESTERING, "P1", ANSLAG, B, object_type=ObjectType.UPPGIFT),
    ]
    findings = check_v1_definitions(OBJECTS, items)
    msgs = {f.object: f.message for f in findings}
    assert all(f.rule == "V1" and f.severity is Severity.ERROR for f in findings)
    assert "Menade du U10?" in next(f.message for f in findings if f.location == loc("B12"))
    assert "Menade du RR.SKATT?" in next(f.message for f in findings if f.location == loc("B13"))
    assert "både brutto- och nettobindning" in msgs["N20 Kosthåll"]
    assert "saknar bindande post" in msgs["B30 Hamnen"]  # balance unit has no item
    assert any("objekttypen" in f.message for f in findings)
    assert len(findings) == 5  # enterprise AV1 needs no task-level item


def test_v1_duplicate_object_in_registry():
    findings = check_v1_definitions([SKOLA, SKOLA], default_binding_items(SKOLA))
    assert [f.rule for f in findings] == ["V1"]


# --- V2 ---------------------------------------------------------------------------------------


def test_v2_brutto_netto_kind_and_missing_side():
    items = [
        BindingItem(Part.DRIFT, "U10", NETTO, B, location=loc("C3")),
        BindingItem(Part.DRIFT, "U11", ANSLAG, B, location=loc("C4")),  # no inkomst item
    ]
    findings = check_v2_sides(items)
    assert [(f.severity, f.location.cell) for f in findings] == [
        (Severity.ERROR, "C3"), (Severity.WARNING, "C4")]
    assert "beräknad inkomst" in findings[1].message


def test_v2_netto_sides():
    kost = BindingItem(Part.DRIFT, "N20", NETTO, N)
    other = BindingItem(Part.DRIFT, "N21", NETTO, N)
    third = BindingItem(Part.DRIFT, "N22", NETTO, N)
    budgets = {
        kost.key: {
            2025: NettoSidor(D("400"), D("-500"), D("-100")),  # fine: 400 − 500 = −100
            2026: NettoSidor(D("400"), None, location=loc("E5")),  # expense side missing
            2027: NettoSidor(D("400"), D("-500"), D("-90")),  # does not add up
            2028: NettoSidor(D("-1"), D("-500")),  # income negative
        },
        other.key: {2025: NettoSidor(D("0"), D("-10"))},
    }
    findings = check_v2_sides([kost, other, third], budgets)
    by_year = {(f.object, f.year): f for f in findings}
    assert "utgiftssidan" in by_year[(kost.name, 2026)].message
    assert by_year[(kost.name, 2026)].location.cell == "E5"
    assert f"{sv(D(400))} + utgifter {sv(D(-500))} = {sv(D(-100))}" in by_year[(kost.name, 2027)].message
    assert "fel tecken" in by_year[(kost.name, 2028)].message
    assert "saknar budgeterade inkomster och utgifter" in by_year[(third.name, None)].message
    assert len(findings) == 4


# --- V3 ---------------------------------------------------------------------------------------


def rr(code, kind=INK, location=None):
    return BindingItem(Part.RESULTAT, code, kind, B, object_type=RAD, location=location)


def _kind_for(code):
    return RR_BINDANDE[code] or INK


def test_v3_exactly_the_bindable_lines():
    items = [rr(c, _kind_for(c)) for c in RR_BINDANDE]
    assert check_v3_resultatdel(items) == []


def test_v3_summed_line_bound_and_missing_lines():
    items = [rr(c, _kind_for(c)) for c in RR_BINDANDE if c not in ("RR.SA", "RR.BD.FOND")]
    items.append(rr("RR.VU", ANSLAG, loc("D4")))  # verksamhetsutgifter: a sum, not binding
    items.append(rr("RR.FIN.RU", INK, loc("D5")))  # wrong kind for an expense
    findings = check_v3_resultatdel(items, budget={"RR.SA": D("3000"), "RR.BD.FOND": D("0")})
    assert [(f.severity, f.location) for f in findings] == [
        (Severity.ERROR, loc("D4")), (Severity.ERROR, loc("D5")), (Severity.ERROR, None)]
    assert "summarad" in findings[0].message
    assert "utgift" in findings[1].message
    assert findings[2].object == "RR.SA"  # RR.BD.FOND has no budget: not required


def test_v3_missing_without_amounts_is_warning():
    findings = check_v3_resultatdel([rr("RR.SKATT")])
    assert len(findings) == len(RR_BINDANDE) - 1
    assert {f.severity for f in findings} == {Severity.WARNING}


def test_v3_joint_authority_binds_only_fin_extra_bd():
    items = [rr(c, _kind_for(c)) for c in RR_BINDANDE_SAMKOMMUN]
    assert check_v3_resultatdel(items, samkommun=True) == []
    findings = check_v3_resultatdel(items + [rr("RR.SKATT")], samkommun=True)
    assert len(findings) == 1 and "samkommun" in findings[0].message


# --- V4 ---------------------------------------------------------------------------------------


def _fd(**over):
    rows = {
        "FD.VK.AB": {2025: D("1200.00")},
        "FD.VK.EXTRA": {2025: D("0")},
        "FD.VK.KORR": {2025: D("-50")},
        "FD.IK.UTG": {2025: D("-2000")},
        "FD.IK.FA": {2025: D("300")},
        "FD.IK.FORS": {2025: D("150")},  # 100 book value + 50 corrected gain
        "FD.LAN.OKL": {2025: D("800")},
        "FD.LAN.MINL": {2025: D("-400")},
        # 1200 + 0 − 50 − 2000 + 300 + 150 + 800 − 400 = 0
        "FD.INV": {2025: D("0")},
    }
    rows.update(over)
    return FinansieringsdelData(
        rows=rows,
        arsbidrag={2025: D("1200")},
        extraordinara={2025: D("0")},
        investeringsutgifter={2025: D("-2000")},
        finansieringsandelar={2025: D("300")},
        forsaljningsinkomster={2025: D("100")},
        korrigerade_vinster={2025: D("50")},
        locations={("FD.VK.AB", 2025): loc("C5")},
    )


FD_ITEMS = [
    BindingItem(Part.FINANSIERING, "FD.LAN.OKL", INK, B, object_type=RAD),
    BindingItem(Part.FINANSIERING, "FD.LAN.MINL", ANSLAG, B, object_type=RAD),
]


def test_v4_consistent_finansieringsdel():
    assert check_v4_finansieringsdel(_fd(), FD_ITEMS) == []


def test_v4_transfer_off_by_a_cent():
    data = _fd(**{"FD.VK.AB": {2025: D("1200.01")}, "FD.INV": {2025: D("0.01")}})
    [f] = check_v4_finansieringsdel(data, FD_ITEMS)
    assert (f.rule, f.year, f.location.cell) == ("V4", 2025, "C5")
    assert "skillnad 0,01" in f.message


def test_v4_investment_and_sales_sources_and_inverkan_sum():
    data = _fd(**{"FD.IK.UTG": {2025: D("-1900")}, "FD.IK.FORS": {2025: D("100")}})
    findings = check_v4_finansieringsdel(data, FD_ITEMS)
    assert [f.object for f in findings] == ["FD.IK.UTG", "FD.IK.FORS", "FD.INV"]
    # FD.INV shown 0 but the rows now sum to 0 + 100 − 50 = 50
    assert "summan av finansieringsdelens rader är 50,00" in findings[2].message


def test_v4_binding_transfer_row_and_unbound_financing_row():
    items = [FD_ITEMS[0], BindingItem(Part.FINANSIERING, "FD.VK.AB", NETTO, N, object_type=RAD)]
    findings = check_v4_finansieringsdel(_fd(), items)
    assert len(findings) == 2
    assert "överföring" in findings[0].message
    assert findings[1].object == "FD.LAN.MINL" and "saknar bindande post" in findings[1].message


# --- V5 (wrapper; table itself tested in test_outturn) ---------------------------------------


def test_v5_wrapper_reports_imbalance():
    posts = [SammandragPost(BindingItem(Part.DRIFT, "U10", ANSLAG, B), D("-100"))]
    # anslag 100; inverkan −90 → liquidity finances 90 → 10 missing
    [f] = check_v5_sammandrag(posts, D("-90"))
    assert f.rule == "V5" and "10" in f.message
    assert check_v5_sammandrag(posts, D("-100")) == []


# --- V6 ---------------------------------------------------------------------------------------


def test_v6_enterprise_defaults_are_clean():
    assert check_v6_affarsverk(OBJECTS, all_defaults()) == []


def test_v6_enterprise_leak():
    items = all_defaults() + [
        # the enterprise's own revenue bound towards the council: not allowed
        BindingItem(Part.DRIFT, "AV1", INK, B, location=loc("B20")),
        # its result bound towards the board: fine
        BindingItem(Part.RESULTAT, "AV1", NETTO, N, towards=Organ.DIREKTION, detalj="RR.RES"),
        # bound towards a nämnd: wrong
        BindingItem(Part.DRIFT, "AV1", ANSLAG, B, towards=Organ.NAMND, detalj="x"),
    ]
    contributions = [
        SumContribution("RR.VI", "U10", 2025, D("10")),
        SumContribution("RR.VI", "AV1", 2025, D("900"), loc("H30")),
    ]
    findings = check_v6_affarsverk(OBJECTS, items, contributions)
    assert [(f.rule, f.severity) for f in findings] == [("V6", Severity.ERROR)] * 3
    assert findings[0].location.cell == "B20"
    assert "nämnd" in findings[1].message
    assert "RR.VI" in findings[2].message and findings[2].location.cell == "H30"


def test_v6_council_post_in_wrong_part_warns():
    items = [BindingItem(Part.DRIFT, "AV1", INK, B, detalj="kapitalersattning")]
    [f] = check_v6_affarsverk(OBJECTS, items)
    assert f.severity is Severity.WARNING and "resultaträkningsdelen" in f.message


# --- V4 on real published figures -------------------------------------------------------------
# Jyväskylä, tilinpäätös 2018 (spec/testdata/jyvaskyla-2018.json), EUR, published signs.

JKL_RR = [  # tuloslaskelma lines down to vuosikate
    "70024851.44", "50875213.37", "18572420.09", "36076437.12", "0.00",  # toimintatuotot
    "-267744141.18", "-60980477.35", "-11688767.20", "-351646714.69", "-42522011.29",
    "-60985780.29", "-31530728.70",  # toimintakulut
    "513760971.34", "173454109.00",  # verotulot, valtionosuudet
    "8944659.63", "10585633.09", "-6100123.92", "-44305.87",  # rahoitustuotot ja -kulut
]
JKL_FD = {
    "FD.VK.AB": "49051244.59", "FD.VK.EXTRA": "0.00", "FD.VK.KORR": "-16461233.22",
    "FD.IK.UTG": "-67500572.22", "FD.IK.FA": "1674033.54", "FD.IK.FORS": "18417929.92",
    "FD.UTL.OKN": "-259074.17", "FD.UTL.MIN": "2373673.59", "FD.LAN.OKL": "20000000.00",
    "FD.LAN.MINL": "-26281042.85", "FD.LAN.KORT": "-18420890.26", "FD.EK": "0.00",
    # muut maksuvalmiuden muutokset 158 158.38 + 746 441.81 + 1 718 664.29 + 11 502 375.91
    "FD.OVR": "14125640.39",
    "FD.INV": "-23280290.69",  # rahavarojen muutos
}


def test_v4_jyvaskyla_2018_transfers_and_bottom_line_agree():
    # vuosikate = Σ lines = −651 549 698.68 + 513 760 971.34 + 173 454 109.00 + 13 385 862.93
    #           = 49 051 244.59 (published)
    arsbidrag = sum((D(x) for x in JKL_RR), D(0))
    assert arsbidrag == D("49051244.59")
    data = FinansieringsdelData(
        rows={code: {2018: D(v)} for code, v in JKL_FD.items()},
        arsbidrag={2018: arsbidrag},
        extraordinara={2018: D("0.00")},
        investeringsutgifter={2018: D("-67500572.22")},
        finansieringsandelar={2018: D("1674033.54")},
        forsaljningsinkomster={2018: D("18417929.92")},
    )
    assert check_v4_finansieringsdel(data) == []
    # one cent off in the bottom line is caught
    rows = {code: {2018: D(v)} for code, v in JKL_FD.items()}
    rows["FD.INV"] = {2018: D("-23280290.70")}
    bad = FinansieringsdelData(rows=rows, arsbidrag=data.arsbidrag,
                               extraordinara=data.extraordinara,
                               investeringsutgifter=data.investeringsutgifter,
                               finansieringsandelar=data.finansieringsandelar,
                               forsaljningsinkomster=data.forsaljningsinkomster)
    [f] = check_v4_finansieringsdel(bad)
    assert f.object == "FD.INV" and "skillnad -0,01" in f.message
