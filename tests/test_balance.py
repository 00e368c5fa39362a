"""Liquidity (V7), balance and deficit coverage (V8), evaluation procedure (V9)."""

from decimal import Decimal

import pytest

from engine.balance import (
    V9_2019,
    V9_FORE_2019,
    Atgard,
    Bokslutsbalans,
    KrisNyckeltal,
    bedom_v9,
    check_v7_likviditet,
    check_v8_balans,
    check_v9_utvarderingsforfarande,
    check_v11_investeringsreserv,
    tackningsar,
    underskottets_tackningsar,
)
from engine.findings import Location, Severity
from engine.money import format_sv as sv

D = Decimal


# --- deadline ---------------------------------------------------------------------------------


def test_v8_deadline_seed_example_2016_approved_2017_is_2021():
    # four years from the start of 2018 (the year after approval) → end of 2021
    assert tackningsar(2016, 2017) == 2021


def test_v8_deadline_kuntaliitto_example_2015_is_2020():
    # approved (by default) 2016 → four years from 1.1.2017 → 31.12.2020
    assert tackningsar(2015) == 2020


def test_v8_deadline_late_approval_moves_it():
    assert tackningsar(2016, 2018) == 2022


def test_v8_deadline_rejects_impossible_approval_year():
    with pytest.raises(ValueError, match="fastställelseåret"):
        tackningsar(2016, 2016)
    with pytest.raises(ValueError):
        tackningsar("2016")  # type: ignore[arg-type]


def test_v8_deadline_runs_from_first_deficit_of_the_run():
    hist = [
        Bokslutsbalans(2013, D("100")),
        Bokslutsbalans(2014, D("-50")),  # first deficit of the run → 2014 + 1 + 4 = 2019
        Bokslutsbalans(2015, D("-300")),
        Bokslutsbalans(2016, D("-200")),
    ]
    assert underskottets_tackningsar(hist) == 2019
    # covered in 2015, new deficit in 2016 → runs from 2016
    hist2 = [Bokslutsbalans(2014, D("-50")), Bokslutsbalans(2015, D("10")),
             Bokslutsbalans(2016, D("-5"), faststallelsear=2017)]
    assert underskottets_tackningsar(hist2) == 2021
    assert underskottets_tackningsar([Bokslutsbalans(2016, D("5"))]) is None
    # accounts fine, forecast of 2024 shows a deficit → 2024 accounts approved 2025 → 2029
    assert underskottets_tackningsar([], ackumulerat_prognos=D("-1"), prognosar=2024) == 2029


# --- V7 ---------------------------------------------------------------------------------------


def test_v7_negative_effect_larger_than_liquid_assets():
    # liquid assets 1.1.2025 = 5 000 000; inverkan −6 200 000 → short by 1 200 000
    findings = check_v7_likviditet(
        {2025: D("-6200000"), 2026: D("0"), 2027: D("0")}, D("5000000"), 2025,
        locations={2025: Location(sheet="Finansieringsdel", cell="D30")})
    [f] = findings
    assert (f.rule, f.severity, f.year) == ("V7", Severity.ERROR, 2025)
    assert f"underskott {sv(D(1200000))}" in f.message and f.location.cell == "D30"


def test_v7_exactly_all_liquid_assets_is_allowed():
    assert check_v7_likviditet({2025: D("-5000000")}, D("5000000"), 2025) == []


def test_v7_plan_years_carry_liquidity_forward():
    # 5 000 − 3 000 = 2 000 after 2025; − 1 500 = 500 after 2026; − 800 = −300 after 2027
    findings = check_v7_likviditet(
        {2025: D("-3000"), 2026: D("-1500"), 2027: D("-800")}, D("5000"), 2025)
    [f] = findings
    assert (f.severity, f.year) == (Severity.WARNING, 2027) and sv(D(-300)) in f.message


def test_v7_missing_budget_year_and_negative_liquidity_are_findings():
    assert check_v7_likviditet({2026: D("1")}, D("10"), 2025)[0].severity is Severity.ERROR
    assert "negativa" in check_v7_likviditet({2025: D("1")}, D("-1"), 2025)[0].message


# --- V8 ---------------------------------------------------------------------------------------


PLAN = {2025: D("100"), 2026: D("-50"), 2027: D("200")}


def test_v8_balanced_plan_no_deficit():
    assert check_v8_balans(2025, PLAN, D("1000")) == []


def test_v8_plan_deficit_within_accumulated_surplus_is_info():
    # Σ = −300 + 100 + 50 = −150 ≤ accumulated surplus 150 in the 2024 forecast
    plan = {2025: D("-300"), 2026: D("100"), 2027: D("50")}
    [f] = check_v8_balans(2025, plan, D("150"))
    assert f.severity is Severity.INFO
    # surplus only 149.99 → error
    [g] = check_v8_balans(2025, plan, D("149.99"))
    assert g.severity is Severity.ERROR and "skillnad 0,01" in g.message


def test_v8_deficit_covered_in_time_with_measures():
    # 2023 accounts (approved 2024) show −400 → deadline 2028; forecast 2024: −300
    # plan: 2025 +100, 2026 +100, 2027 +150 → −300 + 350 = +50 by end of 2027 ≤ 2028 ✓
    hist = [Bokslutsbalans(2022, D("20")), Bokslutsbalans(2023, D("-400"), 2024)]
    plan = {2025: D("100"), 2026: D("100"), 2027: D("150")}
    measures = [Atgard("Skolnätet", D("200"), 2025), Atgard("Avgifter", D("100"), 2026)]
    assert check_v8_balans(2025, plan, D("-300"), hist, measures) == []


def test_v8_deficit_not_covered_by_deadline_within_plan():
    # 2020 accounts (approved 2021) first deficit → deadline 2025; budget year 2025
    # forecast 2024 −500; 2025 result +300 → −200 at end of 2025 → error
    hist = [Bokslutsbalans(2020, D("-100")), Bokslutsbalans(2021, D("-300")),
            Bokslutsbalans(2022, D("-450")), Bokslutsbalans(2023, D("-600"))]
    plan = {2025: D("300"), 2026: D("300"), 2027: D("300")}
    findings = check_v8_balans(2025, plan, D("-500"), hist, [Atgard("Sparpaket", D("500"), 2025)])
    [f] = findings
    assert (f.severity, f.year) == (Severity.ERROR, 2025)
    assert sv(D(-200)) in f.message and "31.12.2025" in f.message


def test_v8_deadline_already_passed():
    # first deficit in 2018 accounts → deadline 2023 < budget year 2025
    hist = [Bokslutsbalans(y, D("-10")) for y in range(2018, 2024)]
    findings = check_v8_balans(2025, PLAN, D("-10"), hist, [Atgard("x", D("10"), 2025)])
    assert [(f.severity, f.year) for f in findings] == [(Severity.ERROR, 2023)]
    assert "gått ut" in findings[0].message


def test_v8_plan_ends_before_deadline_with_deficit_left():
    # accounts 2023 without deficit, forecast 2024 the first deficit → 2024 + 1 + 4 = 2029;
    # the plan ends 2027 at −400 + 300 = −100
    plan = {2025: D("100"), 2026: D("100"), 2027: D("100")}
    findings = check_v8_balans(2025, plan, D("-400"), [Bokslutsbalans(2023, D("5"))],
                               [Atgard("Plan", D("400"), 2029)])
    [f] = findings
    assert (f.severity, f.year) == (Severity.WARNING, 2027) and "2029" in f.message


def test_v8_deficit_covered_then_a_new_deficit_in_a_later_plan_year_is_an_error():
    # found 2026-12 (audit): only the deadline year was checked. Accounts 2021–2024 show
    # deficits (the run starts 2021, approved 2022 → deadline 2026); forecast 2025 −100;
    # plan 2026 +100 → 0 (covered at the deadline), 2027 −500 → −500, 2028 −500 → −1 000.
    hist = [Bokslutsbalans(y, D("-100")) for y in range(2021, 2025)]
    plan = {2026: D("100"), 2027: D("-500"), 2028: D("-500")}
    findings = check_v8_balans(2026, plan, D("-100"), hist, [Atgard("Skatt", D("100"), 2026)],
                               locations={2027: Location(sheet="Resultaträkning", cell="E40")})
    [f] = findings  # the plan total −900 is not told again: this error names the year
    assert (f.rule, f.severity, f.year) == ("V8", Severity.ERROR, 2027)
    assert "täcks 2026" in f.message and f"åter negativt 2027: {sv(D(-500))}" in f.message
    assert f.location.cell == "E40"
    # the audit's own repro (accounts of 2021 only): the same error, and a warning that the
    # accounts of 2022–2024 are missing (the deadline 2026 assumes they show deficits too)
    findings = check_v8_balans(2026, plan, D("-100"), [Bokslutsbalans(2021, D("-100"))],
                               [Atgard("Skatt", D("100"), 2026)])
    assert [(f.severity, f.year) for f in findings] == [(Severity.WARNING, 2022),
                                                        (Severity.ERROR, 2027)]
    # covered, then results below zero that the surplus built in the plan absorbs: fine
    # (−100 + 300 = 200, − 100 = 100, − 50 = 50 ≥ 0)
    plan = {2026: D("300"), 2027: D("-100"), 2028: D("-50")}
    assert check_v8_balans(2026, plan, D("-100"), hist, [Atgard("Skatt", D("100"), 2026)]) == []


def test_v8_a_plan_deficit_while_the_balance_sheet_shows_a_deficit_is_an_error():
    # accounts 2024 −400 (first deficit, approved 2025 → deadline 2029), forecast 2025 −400;
    # plan −10 × 3 = −30: it deepens the deficit (−430 at the end of 2028). Before 2026-12 only
    # the warning that the plan ends before the deadline.
    plan = {2026: D("-10"), 2027: D("-10"), 2028: D("-10")}
    findings = check_v8_balans(2026, plan, D("-400"),
                               [Bokslutsbalans(2023, D("5")), Bokslutsbalans(2024, D("-400"))],
                               [Atgard("Skatt", D("400"), 2029)])
    assert [(f.severity, f.object) for f in findings] == [
        (Severity.WARNING, "ackumulerat underskott"), (Severity.ERROR, "ekonomiplan")]
    assert f"underskott {sv(D(-30))} över planperioden" in findings[1].message


def test_v8_deadline_gap_in_the_history_counts_conservatively_and_is_said():
    # found 2026-12 (audit): accounts 2019, 2021–2023 with deficits, 2020 missing, forecast
    # 2024 −10, budget year 2025. The old walk stopped at the gap: run from 2021 → 2026, not
    # passed. Conservatively the run starts 2019 → 2024 < 2025: passed.
    hist = [Bokslutsbalans(2019, D("-10"), location=Location(sheet="Balans och kris", cell="A4"))]
    hist += [Bokslutsbalans(y, D("-10")) for y in (2021, 2022, 2023)]
    findings = check_v8_balans(2025, PLAN, D("-10"), hist, [Atgard("x", D("10"), 2025)])
    assert [(f.severity, f.year) for f in findings] == [(Severity.WARNING, 2020),
                                                        (Severity.ERROR, 2024)]
    gap = findings[0]
    assert "saknar 2020" in gap.message and "31.12.2024" in gap.message
    assert "31.12.2026" in gap.message and gap.location.cell == "A4"
    assert "gått ut" in findings[1].message
    assert underskottets_tackningsar(hist) == 2024
    # a gap after accounts without a deficit: the run may have begun in the first missing year
    # (2020 → approved 2021 → 2025), not only in 2021 (→ 2026)
    assert underskottets_tackningsar([Bokslutsbalans(2019, D("5")),
                                      Bokslutsbalans(2021, D("-5"))]) == 2025


def test_v8_deadline_from_the_year_columns_when_no_accounts_are_given():
    # found 2026-12 (audit): tblBokslut empty, the workbook's columns show BAL.TIDOVERSK −400
    # in 2024 and −500 in 2025, i.e. the accounts of 2023 and 2024 show deficits; the forecast
    # 2025 is −450. The deadline was taken from the forecast (2025 → 2030); the accounts of
    # 2023 bound it: 2023 + 1 + 4 = 2028. Plan +100 × 3: −350, −250, −150 at the end of 2028.
    columns = [Bokslutsbalans(2023, D("-400")), Bokslutsbalans(2024, D("-500"))]
    plan = {2026: D("100"), 2027: D("100"), 2028: D("100")}
    measures = [Atgard("Skatt", D("450"), 2026)]
    findings = check_v8_balans(2026, plan, D("-450"), [], measures, kolumnhistorik=columns)
    assert [(f.severity, f.year) for f in findings] == [(Severity.WARNING, 2023),
                                                        (Severity.ERROR, 2028)]
    assert "BAL.TIDOVERSK" in findings[0].message and "tidigare" in findings[0].message
    assert sv(D(-150)) in findings[1].message
    # the columns fill only the years tblBokslut lacks; from the first accounts without a
    # deficit on, nothing is said about an earlier start
    with_2022 = [Bokslutsbalans(2022, D("20"))]
    findings = check_v8_balans(2026, plan, D("-450"), with_2022, measures, kolumnhistorik=columns)
    assert [(f.severity, f.year) for f in findings] == [(Severity.ERROR, 2028)]
    # tblBokslut and the columns disagree on whether 2023 shows a deficit: said, tblBokslut used
    # (first deficit 2024 → 2029: the plan ends 2028 before it, at −150)
    disagree = [Bokslutsbalans(2023, D("10"), location=Location(cell="A4")),
                Bokslutsbalans(2024, D("-500"))]
    findings = check_v8_balans(2026, plan, D("-450"), disagree, measures,
                               kolumnhistorik=columns)
    assert [(f.severity, f.year) for f in findings] == [(Severity.WARNING, 2023),
                                                        (Severity.WARNING, 2028)]
    assert "det ena visar underskott" in findings[0].message
    assert findings[0].location.cell == "A4" and "31.12.2029" in findings[1].message


def test_v8_deadline_from_the_forecast_alone_is_a_warning():
    # no approved accounts at all: the deadline is the forecast's (2024 → 2029), which may be
    # too late; said, asking for tblBokslut
    plan = {2025: D("200"), 2026: D("200"), 2027: D("200")}
    findings = check_v8_balans(2025, plan, D("-400"), [], [Atgard("Plan", D("400"), 2025)])
    [f] = findings
    assert (f.severity, f.year) == (Severity.WARNING, 2024)
    assert "tblBokslut" in f.message and "31.12.2029" in f.message


def test_v8_measures_required_complete_and_in_time():
    hist = [Bokslutsbalans(2023, D("-400"))]  # deadline 2028
    plan = {2025: D("200"), 2026: D("200"), 2027: D("200")}
    # no measures
    [f] = check_v8_balans(2025, plan, D("-400"), hist, [])
    assert "saknar specificerade åtgärder" in f.message
    measures = [
        Atgard("Utan belopp", None, 2026, Location(sheet="Åtgärder", cell="C4")),
        Atgard("Negativ", D("-5"), 2026),
        Atgard("För sent", D("300"), 2029),
        Atgard("Redan i prognosen", D("50"), 2024),
        Atgard("Räknas", D("250"), 2026),
    ]
    findings = check_v8_balans(2025, plan, D("-400"), hist, measures)
    sev = [(f.severity, f.object) for f in findings]
    assert sev == [
        (Severity.ERROR, "åtgärd: Utan belopp"),
        (Severity.ERROR, "åtgärd: Negativ"),
        (Severity.WARNING, "åtgärd: För sent"),
        (Severity.WARNING, "åtgärd: Redan i prognosen"),
        (Severity.ERROR, "åtgärder"),
    ]
    assert findings[0].location.cell == "C4"
    # counted 250 of 400 → 150 missing
    assert "saknas 150,00" in findings[-1].message


def test_v8_short_plan_and_missing_budget_year():
    [f] = check_v8_balans(2025, {2025: D("1"), 2026: D("1")}, D("0"))
    assert f.severity is Severity.WARNING and "två planår" in f.message
    [g] = check_v8_balans(2025, {2026: D("1")}, D("0"))
    assert g.severity is Severity.ERROR


# --- V9 ---------------------------------------------------------------------------------------


def crisis_2019(ar, **over):
    base = dict(
        koncern_ackumulerat_per_inv=D("-100"),
        skattesats=D("22.50"), skattesats_vagt_medel=D("20.00"),  # +2.5 pp ≥ 2.0
        koncern_arsbidrag_per_avskrivningar_pct=D("75"),  # < 80
        koncern_lan_och_hyresansvar_per_inv=D("9000"),
        koncern_lan_och_hyresansvar_per_inv_medel=D("6000"),  # 9000 ≥ 1.5 × 6000 = 9000
        koncern_kalkylerat_lanehanteringsbidrag=D("0.7"),  # < 0.8
    )
    base.update(over)
    return KrisNyckeltal(ar, **base)


def crisis_pre(ar, **over):
    base = dict(
        skattesats=D("21.0"), skattesats_vagt_medel=D("20.0"),  # +1.0 pp ≥ 1.0
        koncern_arsbidrag_utan_provning=D("-1"),  # negative
        koncern_lan_per_inv=D("7500"), koncern_lan_per_inv_medel=D("5000"),  # 7500 = 1.5 × 5000
        koncern_relativ_skuldsattning_pct=D("50"),  # ≥ 50
    )
    base.update(over)
    return KrisNyckeltal(ar, **base)


#: approved accounts without a deficit: the deadline criterion is judged (not met), so the tests
#: of the key figures see only their own findings
NO_DEFICIT = [Bokslutsbalans(2023, D("10"))]


def test_v9_2019_set_all_four_two_years_in_a_row():
    res = bedom_v9([crisis_2019(2022), crisis_2019(2023)], historik=NO_DEFICIT)
    assert res.version == "2019" and res.nyckeltal is True and res.varning
    [f] = res.findings
    assert (f.rule, f.severity, f.year) == ("V9", Severity.WARNING, 2023)
    assert "2022 och 2023" in f.message


def test_v9_2019_set_one_year_only_is_not_enough():
    # 2022: årsbidrag/avskrivningar 80 % exactly (not < 80) → the pair fails
    res = bedom_v9([crisis_2019(2022, koncern_arsbidrag_per_avskrivningar_pct=D("80")),
                    crisis_2019(2023)], historik=NO_DEFICIT)
    assert res.nyckeltal is False and not res.varning and res.findings == ()
    assert res.per_ar[2022]["arsbidrag_avskrivningar"] is False
    assert res.per_ar[2023]["arsbidrag_avskrivningar"] is True


def test_v9_2019_set_boundaries():
    # tax only +1.99 pp → not met under 2019 set
    res = bedom_v9([crisis_2019(2022), crisis_2019(2023, skattesats=D("21.99"))])
    assert res.nyckeltal is False
    # loans 8999.99 < 9000 → not met
    res2 = bedom_v9([crisis_2019(2022),
                     crisis_2019(2023, koncern_lan_och_hyresansvar_per_inv=D("8999.99"))])
    assert res2.nyckeltal is False


def test_v9_pre_2019_set():
    res = bedom_v9([crisis_pre(2016), crisis_pre(2017)], version="före 2019")
    assert res.version == "före 2019" and res.nyckeltal is True
    # the 2019 set on the same figures: tax +1.0 pp < 2.0 → not met, whatever else is missing
    res19 = bedom_v9([crisis_pre(2016), crisis_pre(2017)])
    assert res19.nyckeltal is False and res19.per_ar[2017]["skattesats"] is False
    # auto picks the set by the latest accounts year
    assert bedom_v9([crisis_pre(2016), crisis_pre(2017)], version="auto").version == "före 2019"
    assert bedom_v9([crisis_2019(2022), crisis_2019(2023)], version="auto").version == "2019"
    # relative indebtedness 49.9 % → not met
    res3 = bedom_v9([crisis_pre(2016),
                     crisis_pre(2017, koncern_relativ_skuldsattning_pct=D("49.9"))],
                    version="före 2019")
    assert res3.nyckeltal is False


def test_v9_versions_are_dated():
    assert V9_2019.giltig_fran == 2019 and V9_FORE_2019.giltig_fran < 2019
    assert len(V9_2019.kriterier) == len(V9_FORE_2019.kriterier) == 4


def test_v9_missing_figure_is_info_not_a_silent_no():
    res = bedom_v9([crisis_2019(2022),
                    crisis_2019(2023, koncern_kalkylerat_lanehanteringsbidrag=None)],
                   historik=NO_DEFICIT)
    assert res.nyckeltal is None
    [f] = res.findings
    assert f.severity is Severity.INFO and "lanehanteringsbidrag (2023)" in f.message


def test_v9_years_must_be_consecutive():
    res = bedom_v9([crisis_2019(2021), crisis_2019(2023)], historik=NO_DEFICIT)
    assert res.nyckeltal is None and "två på varandra följande" in res.findings[0].message


def test_v9_accumulated_deficit_per_inhabitant():
    # −1 000 €/inv latest and −500 previous: both limits met exactly
    ny = [crisis_2019(2022, koncern_ackumulerat_per_inv=D("-500"),
                      koncern_kalkylerat_lanehanteringsbidrag=D("1.2")),
          crisis_2019(2023, koncern_ackumulerat_per_inv=D("-1000"))]
    res = bedom_v9(ny, historik=NO_DEFICIT)
    assert res.underskott_per_inv is True and res.nyckeltal is False
    [f] = res.findings
    assert sv(D(1000)) in f.message and sv(D(500)) in f.message
    ny[0] = crisis_2019(2022, koncern_ackumulerat_per_inv=D("-499.99"),
                        koncern_kalkylerat_lanehanteringsbidrag=D("1.2"))
    assert bedom_v9(ny).underskott_per_inv is False


def test_v9_deadline_criterion():
    # first deficit in 2018 accounts → deadline 2023; 2023 accounts still negative
    hist = [Bokslutsbalans(y, D("-10")) for y in range(2018, 2024)]
    res = bedom_v9([], historik=hist)
    assert res.tidsfrist == 2023 and res.tidsfrist_overskriden is True
    assert any("31.12.2023" in f.message for f in res.findings)
    # same deficit but latest accounts 2022: deadline not yet reached
    assert bedom_v9([], historik=hist[:-1]).tidsfrist_overskriden is False


def test_v9_deadline_criterion_with_a_missing_year_counts_conservatively():
    # accounts 2018 and 2020–2023 show deficits, 2019 missing: the run may start 2018
    # (→ 2018 + 1 + 4 = 2023, reached by the 2023 accounts); the old walk stopped at the gap
    # (run from 2020 → 2025, not reached)
    hist = [Bokslutsbalans(2018, D("-10"))] + [Bokslutsbalans(y, D("-10"))
                                               for y in range(2020, 2024)]
    res = bedom_v9([], historik=hist)
    assert res.tidsfrist == 2023 and res.tidsfrist_overskriden is True
    assert any(f.severity is Severity.WARNING and "saknar 2019" in f.message
               for f in res.findings)
    # the year columns' figures (BAL.TIDOVERSK) judge it when tblBokslut is empty
    res = bedom_v9([], kolumnhistorik=[Bokslutsbalans(y, D("-10")) for y in range(2018, 2024)])
    assert res.tidsfrist == 2023 and res.tidsfrist_overskriden is True


def test_v9_what_could_not_be_judged_is_named_never_a_silent_no():
    # found 2026-12 (audit): the group's accumulated surplus per inhabitant blank in 2023 gave
    # no finding at all, and the follow-up then said "inget av kriterierna uppfylls"
    ny = [crisis_2019(2022, koncern_kalkylerat_lanehanteringsbidrag=D("1.2")),
          crisis_2019(2023, koncern_ackumulerat_per_inv=None,
                      location=Location(sheet="Balans och kris", cell="A17"))]
    res = bedom_v9(ny, historik=NO_DEFICIT)
    assert res.underskott_per_inv is None and res.nyckeltal is False and not res.varning
    [f] = res.findings
    assert (f.severity, f.year, f.location.cell) == (Severity.INFO, 2023, "A17")
    assert "per invånare" in f.message and "saknas för 2023" in f.message
    # no approved accounts: the deadline criterion cannot be judged
    res = bedom_v9(ny[:1] + [crisis_2019(2023)])
    assert res.tidsfrist_overskriden is None
    [f] = res.findings
    assert f.severity is Severity.INFO and "tidsfristen kan inte bedömas" in f.message


def test_v9_joint_authority_only_deadline_criterion():
    hist = [Bokslutsbalans(y, D("-10")) for y in range(2018, 2024)]
    ny = [crisis_2019(2022, koncern_ackumulerat_per_inv=D("-2000")),
          crisis_2019(2023, koncern_ackumulerat_per_inv=D("-2000"))]
    res = bedom_v9(ny, historik=hist, samkommun=True)
    assert res.tidsfrist_overskriden is True
    assert res.underskott_per_inv is None and res.nyckeltal is None
    assert len(res.findings) == 1
    # without accounts the one criterion cannot be judged: said, never a silent "no"
    [info] = bedom_v9(ny, samkommun=True).findings
    assert info.severity is Severity.INFO and "tblBokslut" in info.message


def test_v9_unknown_version_is_a_finding():
    [f] = check_v9_utvarderingsforfarande([], version="1999")
    assert f.severity is Severity.ERROR and "1999" in f.message


def test_v8_v9_impossible_approval_year_is_a_finding_not_a_crash():
    hist = [Bokslutsbalans(2023, D("-5"), faststallelsear=2023, location=Location(cell="B3"))]
    [f] = check_v8_balans(2025, PLAN, D("-5"), hist, [Atgard("x", D("5"), 2025)])
    assert (f.rule, f.severity, f.location.cell) == ("V8", Severity.ERROR, "B3")
    res = bedom_v9([], historik=hist)
    assert res.findings[0].rule == "V9" and res.tidsfrist is None


def test_v7_jyvaskyla_2018_real_figures():
    # Jyväskylä 2018 accounts: rahavarat 1.1 30 018 388.33, rahavarojen muutos −23 280 290.69,
    # rahavarat 31.12 6 738 097.64 = 30 018 388.33 − 23 280 290.69
    start, effect = D("30018388.33"), D("-23280290.69")
    assert start + effect == D("6738097.64")
    assert check_v7_likviditet({2018: effect}, start, 2018) == []
    # a following year draining one cent more than is left → warning for that plan year
    [f] = check_v7_likviditet({2018: effect, 2019: D("-6738097.65")}, start, 2018)
    assert (f.severity, f.year) == (Severity.WARNING, 2019) and "-0,01" in f.message
    # as a budget year: −30 018 388.34 is one cent more than the liquid assets → error
    [g] = check_v7_likviditet({2018: D("-30018388.34")}, start, 2018)
    assert g.severity is Severity.ERROR and "underskott 0,01" in g.message


# --- V11: investment reserves at most the surplus items of the balance sheet (§6.4.3.5) ----------


def test_v11_increase_above_the_surplus_items_is_an_error_with_the_excess() -> None:
    # surplus items at the end of 2025: 400; reserves increased by 500 in 2026 ("lisäys (-)")
    [f] = check_v11_investeringsreserv(2026, Decimal("-500"), Decimal("400"))
    assert (f.rule, f.severity, f.object, f.year) == ("V11", Severity.ERROR, "RR.BD.RES", 2026)
    assert sv(Decimal("100")) in f.message and "§6.4.3.5" in f.message  # 500 − 400
    assert sv(Decimal("400")) in f.message


def test_v11_up_to_the_surplus_items_and_releases_are_allowed() -> None:
    assert check_v11_investeringsreserv(2026, Decimal("-400"), Decimal("400")) == []
    assert check_v11_investeringsreserv(2026, Decimal("250"), Decimal("-1000")) == []  # release
    assert check_v11_investeringsreserv(2026, Decimal("0"), None) == []


def test_v11_no_surplus_items_means_no_reserve() -> None:
    # accumulated deficit −50: all of an increase of 300 is over the limit
    [f] = check_v11_investeringsreserv(2026, Decimal("-300"), Decimal("-50"))
    assert f.severity is Severity.ERROR and sv(Decimal("300")) in f.message


def test_v11_unknown_surplus_items_is_a_warning() -> None:
    [f] = check_v11_investeringsreserv(2026, Decimal("-1"), None)
    assert (f.rule, f.severity) == ("V11", Severity.WARNING) and "BAL.TIDOVERSK" in f.message
