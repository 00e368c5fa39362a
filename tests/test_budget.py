"""Consolidation of tasks into the statements, investeringsdel, enterprise impact (spec §5–6)."""

from __future__ import annotations

from decimal import Decimal as D

from engine.budget import (
    INTERNA_POSTER,
    Budget,
    Finansiering,
    Projekt,
    Uppgift,
    affarsverk_inverkan,
    berakna,
    investeringsdel,
)

Y = ("2025", "2026")


def _budget(**kw) -> Budget:
    skola = Uppgift("Grundskola", "Bildningsnämnden", Finansiering.BUDGETFINANSIERAD, {
        "RR.VI.AVG": (D("100"), D("100")),
        "RR.VU.PERS.LON": (D("-900"), D("-950")),
        "DR.INT.UTG": (D("-50"), D("-50")),  # rents paid to the property unit
    })
    fastighet = Uppgift("Lokalservice", "Tekniska nämnden", Finansiering.NETTOENHET, {
        "RR.VI.FORS": (D("20"), D("20")),
        "RR.VU.TJ": (D("-60"), D("-60")),
        "DR.INT.INK": (D("50"), D("50")),  # rents received
    })
    vatten = Uppgift("Vattenverket", "Tekniska nämnden", Finansiering.AFFARSVERK, {
        "RR.VI.FORS": (D("400"), D("420")),
        "RR.VU.TJ": (D("-250"), D("-260")),
        "RR.FIN.RU": (D("-10"), D("-10")),
        "RR.AVS.PLAN": (D("-90"), D("-95")),
        "FD.LAN.OKL": (D("100"), D("0")),
    })
    central = {
        "RR.SKATT": (D("1000"), D("1040")),
        "RR.SA": (D("200"), D("200")),
        "RR.AVS.PLAN": (D("-150"), D("-160")),
        "FD.LAN.OKL": (D("300"), D("100")),
        "FD.LAN.MINL": (D("-80"), D("-80")),
    }
    projekt = (
        Projekt("Skola Norr", "Bildningsnämnden", kostnadskalkyl=D("500"), tidigare=D("100"),
                belopp={"IN.UTG": (D("-250"), D("-150")), "IN.FA": (D("40"), None)}),
        Projekt("Ledningsnät", "Tekniska nämnden", uppgift="Vattenverket",
                belopp={"IN.UTG": (D("-120"), D("-80"))}),
    )
    return Budget("Exempelby", Y, (skola, fastighet, vatten), projekt, central, (5000, 4990), **kw)


def test_consolidation_excludes_enterprises_and_eliminates_internal_items() -> None:
    r = berakna(_budget())
    st = r.statement
    # VI = 100 + 20 = 120 ; VU = −900 − 60 = −960 ; VB = −840 (vatten and interna out)
    assert st["RR.VB"][0] == D("-840")
    # ÅB = −840 + 1000 + 200 = 360 ; 2026: VB = 120 − 1010 = −890 ; ÅB = −890 + 1240 = 350
    assert st["RR.AB"] == (D("360"), D("350"))
    assert st["RR.RES"] == (D("210"), D("190"))
    # investments of the municipality only: −250 + 40 ; VIK = 360 − 210 = 150
    assert st["FD.IK"] == (D("-210"), D("-150"))
    assert st["FD.VIK"] == (D("150"), D("200"))
    # FK = 300 − 80 ; inverkan = 150 + 220 = 370 ; 2026: 200 + 20 = 220
    assert st["FD.INV"] == (D("370"), D("220"))
    assert [f for f in r.findings if f.severity.value == "error"] == []
    assert r.nyckeltal[0]["Årsbidrag, €/inv"].value == D("0.072")  # 360 / 5000


def test_internal_items_that_do_not_cancel_are_reported() -> None:
    b = _budget()
    skola = b.uppgifter[0]
    skola2 = type(skola)(skola.namn, skola.namnd, skola.finansiering,
                         {**skola.belopp, "DR.INT.UTG": (D("-40"), D("-50"))})
    r = berakna(Budget(b.kommun, Y, (skola2, *b.uppgifter[1:]), b.projekt, b.central, b.invanare))
    (f,) = [f for f in r.findings if f.object == INTERNA_POSTER]
    assert f.year == 2025 and "-40\u00a0000,00" not in f.message and "50,00" in f.message


def test_investeringsdel_per_project_and_cost_estimate() -> None:
    b = _budget()
    inv = investeringsdel(b.projekt, Y)
    assert inv.projekt["Skola Norr"]["IN.NETTO"] == (D("-210"), D("-150"))
    assert inv.totals["IN.UTG"] == (D("-370"), D("-230"))
    # Skola Norr: 100 earlier + 250 + 150 = 500 = kostnadskalkyl -> fine
    assert inv.findings == ()
    over = Projekt("X", "N", kostnadskalkyl=D("399.99"), belopp={"IN.UTG": (D("-400"), None)})
    (f,) = investeringsdel([over], Y).findings
    assert f.object == "X" and "kostnadskalkyl" in f.message


def test_enterprise_impact_comparison() -> None:
    b = _budget()
    # the school buys water for 30 from the enterprise: eliminate the enterprise's sale and the
    # municipality's purchase (both part of the sums above)
    elim = {"RR.VI.FORS": (D("-30"), D("-30")), "RR.VU.TJ": (D("30"), D("30"))}
    rows = {r.code: r for r in affarsverk_inverkan(b, elim)}
    # enterprise VB = 400 − 250 = 150 ; eliminations net 0 -> impact on VB +150
    assert rows["RR.VB"].affarsverk[0] == D("150")
    assert rows["RR.VB"].inverkan == (D("150"), D("160"))
    # ÅB +140 (interest −10) ; depreciation +(−90) ; result impact 140 − 90 = 50
    assert rows["RR.AB"].inverkan[0] == D("140")
    assert rows["RR.AVS"].inverkan[0] == D("-90")
    assert rows["RR.RES"].inverkan[0] == D("50")
    # financing: VK +140, IK −120, FK +100 -> liquidity +120
    assert rows["FD.INV"].inverkan[0] == D("120")
    assert rows["FD.INV"].med[0] == rows["FD.INV"].utan[0] + D("120")


def test_a_tasks_own_financing_lines_enter_the_finansieringsdel() -> None:
    # found by two audits (2026-12): an other balance unit's loans (seed §6.6.3.3: its cash flows
    # are combined into the municipality's) were dropped, so inverkan på likviditeten and V7
    # were wrong without a word. By hand, one year: "Hamnen" VI 500, VU -300, AVS -100, new loan
    # +1 000, repayment -200; central SKATT 1 000, salaries -900.
    # ÅB = 500 - 300 + 1 000 - 900 = 300; FK = 1 000 - 200 = 800; inverkan = 300 + 800 = 1 100.
    # An enterprise's own loan (+70) stays out (V6); a transfer line on a task is not counted.
    hamn = Uppgift("Hamnen", "Tekniska nämnden", Finansiering.BALANSENHET, {
        "RR.VI.FORS": (D("500"),), "RR.VU.TJ": (D("-300"),), "RR.AVS.PLAN": (D("-100"),),
        "FD.LAN.OKL": (D("1000"),), "FD.LAN.MINL": (D("-200"),), "FD.VK.AB": (D("999"),)})
    vatten = Uppgift("Vattenverket", "Tekniska nämnden", Finansiering.AFFARSVERK, {
        "RR.VI.FORS": (D("10"),), "FD.LAN.OKL": (D("70"),)})
    central = {"RR.SKATT": (D("1000"),), "RR.VU.PERS.LON": (D("-900"),)}
    b = berakna(Budget("By", ("2026",), (hamn, vatten), (), central, (1000,)))
    assert b.statement.get("RR.AB", 0) == D("300")
    assert b.statement.get("FD.FK", 0) == D("800")
    assert b.statement.get("FD.INV", 0) == D("1100")
    [w] = [f for f in b.findings if "FD.VK.AB" in f.message]
    assert w.severity.value == "warning" and w.object == "Hamnen"


def test_the_ratio_sheet_rounds_as_excel() -> None:
    # found by an audit (2026-12): the Nyckeltal sheet rounded half to even. By hand:
    # VI / VU = 100 × 24 690 / 200 000 = 12.345 % -> ROUND(…; 2) = 12.35; ÅB = 24 690 - 200 000
    # + 187 655 = 12 345, per inhabitant 12.345 -> 12.35 (half to even gave 12.34 for both)
    from workbook_templates.pipeline.outputs import _ratio_rows

    u = Uppgift("Skola", "Bildning", Finansiering.BUDGETFINANSIERAD, {
        "RR.VI.AVG": (D("24690"),), "RR.VU.PERS.LON": (D("-200000"),)})
    central = {"RR.SKATT": (D("187655"),), "RR.AVS.PLAN": (D("-10000"),)}
    b = berakna(Budget("X", ("2025",), (u,), (), central, (1000,)))
    rows = {r[0]: r[1] for r in _ratio_rows(b, ("2025",))[1:]}
    assert rows["Verksamhetsinkomster / verksamhetsutgifter, %"] == D("12.35")
    assert rows["Årsbidrag, €/inv"] == D("12.35")


def test_a_project_given_only_as_its_net_is_an_error() -> None:
    # found by an audit (2026-12): P2 given only as IN.NETTO -300 was left out of the
    # investeringsdel's total and the finansieringsdel without a word (total -400, by hand -700)
    p1 = Projekt("P1", "Teknisk", belopp={"IN.UTG": (D("-500"),), "IN.FA": (D("100"),)})
    p2 = Projekt("P2", "Teknisk", belopp={"IN.NETTO": (D("-300"),)})
    inv = investeringsdel([p1, p2], ("2026",))
    [f] = [f for f in inv.findings if f.object == "P2"]
    assert f.severity.value == "error" and "IN.UTG" in f.message
    assert not [f for f in inv.findings if f.object == "P1"]


def test_a_total_given_without_its_components_by_one_task_counts_in_the_consolidation() -> None:
    # found 2026-12: one unit typed only Personalutgifter (-100), another its parts (löner -30,
    # pensioner -10). The consolidation summed the given figures first, so the -100 was checked
    # against parts it never had: a SUM error that blamed the parts, and the statement took the
    # parts (-40). By hand: personalutgifter -100 - 30 - 10 = -140 = VU = VB = ÅB.
    a = Uppgift("Hemtjänst", "Omsorg", Finansiering.BUDGETFINANSIERAD,
                {"RR.VU.PERS": (D("-100"),)})
    b = Uppgift("Skola", "Bildning", Finansiering.BUDGETFINANSIERAD,
                {"RR.VU.PERS.LON": (D("-30"),), "RR.VU.PERS.LBK.PENS": (D("-10"),)})
    r = berakna(Budget("By", ("2026",), (a, b)))
    assert r.statement["RR.VU.PERS"] == (D("-140"),)
    assert r.statement["RR.AB"] == (D("-140"),)
    assert r.statement["RR.VU.PERS.LON"] == (D("-30"),)  # the parts as given
    assert not [f for f in r.findings if f.severity.value == "error"]
    [info] = [f for f in r.findings if f.object == "RR.VU.PERS"]
    assert info.severity.value == "info" and "Hemtjänst" in info.message


def test_an_other_balance_unit_given_with_its_arsbidrag_only_counts() -> None:
    # found 2026-12: an other balance unit that budgets only its årsbidrag (seed §7.1.2.3) was
    # dropped from the municipality's årsbidrag (SUM error "rätta delposterna eller summan").
    # By hand: VB = 10 - 30 = -20; ÅB = -20 + 100 (skatt) + 8 (ränta) + 500 (Hamnen) = 588;
    # resultat 588; FD.VK.AB = ÅB = 588.
    hamn = Uppgift("Hamnen", "Teknisk", Finansiering.BALANSENHET, {"RR.AB": (D("500"),)})
    skola = Uppgift("Skola", "Bildning", Finansiering.BUDGETFINANSIERAD,
                    {"RR.VU.PERS.LON": (D("-30"),), "RR.VI.FORS": (D("10"),)})
    central = {"RR.SKATT": (D("100"),), "RR.FIN.RI": (D("8"),)}
    r = berakna(Budget("By", ("2026",), (hamn, skola), (), central))
    assert r.statement["RR.VB"] == (D("-20"),)
    assert r.statement["RR.AB"] == (D("588"),)
    assert r.statement["RR.RES"] == (D("588"),)
    assert r.statement["FD.VK.AB"] == (D("588"),)
    assert not [f for f in r.findings if f.severity.value == "error"]


def test_each_total_is_checked_against_its_own_sources_components() -> None:
    # a task's consistent total (personalutgifter -100 = löner -100) beside another task's
    # löner -30: before, the sum (-100 against -130) was a false SUM error. By hand -130.
    # The central lines' own total is still checked against the central lines' parts (RR.FIN
    # 7 against ränteinkomster 8: an error, the part counts), not against the tasks' interest.
    a = Uppgift("A", "N", Finansiering.BUDGETFINANSIERAD,
                {"RR.VU.PERS": (D("-100"),), "RR.VU.PERS.LON": (D("-100"),),
                 "RR.FIN.RU": (D("-5"),)})
    b = Uppgift("B", "N", Finansiering.BUDGETFINANSIERAD, {"RR.VU.PERS.LON": (D("-30"),)})
    central = {"RR.FIN": (D("7"),), "RR.FIN.RI": (D("8"),)}
    r = berakna(Budget("By", ("2026",), (a, b), (), central))
    assert r.statement["RR.VU.PERS"] == (D("-130"),)
    assert r.statement["RR.FIN"] == (D("3"),)  # 8 - 5
    errors = [f for f in r.findings if f.severity.value == "error"]
    assert [(f.rule, f.object) for f in errors] == [("SUM", "RR.FIN")]
    assert "7,00" in errors[0].message and "8,00" in errors[0].message
    # a task's inconsistent total is its own error (named with the task), its parts count
    a2 = Uppgift("A", "N", Finansiering.BUDGETFINANSIERAD,
                 {"RR.VU.PERS": (D("-90"),), "RR.VU.PERS.LON": (D("-100"),)})
    r2 = berakna(Budget("By", ("2026",), (a2, b)))
    assert r2.statement["RR.VU.PERS"] == (D("-130"),)
    [e] = [f for f in r2.findings if f.severity.value == "error"]
    assert e.rule == "SUM" and e.object.startswith("A:")


def test_an_enterprise_given_with_its_result_only_counts_in_the_impact() -> None:
    # the enterprise comparison consolidates the same way: Vattenverket gives only its
    # årsbidrag 140 and depreciation -90, Avloppet its parts (VI 50, VU -20). By hand: enterprises'
    # ÅB 140 + 30 = 170; resultat 170 - 90 = 80.
    v = Uppgift("Vattenverket", "Teknisk", Finansiering.AFFARSVERK,
                {"RR.AB": (D("140"),), "RR.AVS.PLAN": (D("-90"),)})
    a = Uppgift("Avloppet", "Teknisk", Finansiering.AFFARSVERK,
                {"RR.VI.FORS": (D("50"),), "RR.VU.TJ": (D("-20"),)})
    rows = {r.code: r for r in affarsverk_inverkan(Budget("By", ("2026",), (v, a)))}
    assert rows["RR.AB"].affarsverk == (D("170"),)
    assert rows["RR.RES"].affarsverk == (D("80"),)
