"""Statements with hand-computed figures (spec §5, issue 2)."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from engine.catalogue import catalogue
from engine.statements import compute, finansieringsdel, resultatrakning

YEARS = ("2024", "2025", "2026")


def test_resultatrakningsdel_hand_computed_three_years() -> None:
    g = {
        "RR.VI.FORS": (D("100.00"), D("110.00"), D("120.00")),
        "RR.VI.AVG": (D("50.00"), D("50.00"), D("50.00")),
        "RR.TEB": (D("5.00"), None, None),
        "RR.VU.PERS.LON": (D("-400.00"), D("-410.00"), D("-420.00")),
        "RR.VU.TJ": (D("-200.00"), D("-200.00"), D("-200.00")),
        "RR.SKATT": (D("500.00"), D("520.00"), D("540.00")),
        "RR.SA": (D("100.00"), D("100.00"), D("100.00")),
        "RR.FIN.RI": (D("3.00"), D("3.00"), D("3.00")),
        "RR.FIN.RU": (D("-8.00"), D("-9.00"), D("-10.00")),
        "RR.AVS.PLAN": (D("-40.00"), D("-45.00"), D("-50.00")),
        "RR.EXTRA.INK": (D("10.00"), None, None),
        "RR.BD.AVSD": (D("2.00"), D("2.00"), D("2.00")),
    }
    s = resultatrakning(g, YEARS)
    # VB 2024 = 150 + 5 − 600 = −445 ; 2025 = 160 − 610 = −450 ; 2026 = 170 − 620 = −450
    assert s["RR.VB"] == (D("-445.00"), D("-450.00"), D("-450.00"))
    # ÅB = VB + 500/520/540 + 100 + (3 − 8/9/10) = 150.00, 164.00, 183.00
    assert s["RR.AB"] == (D("150.00"), D("164.00"), D("183.00"))
    # Resultat = ÅB − 40/45/50 + 10/0/0 = 120, 119, 133
    assert s["RR.RES"] == (D("120.00"), D("119.00"), D("133.00"))
    assert s["RR.OVERSKOTT"] == (D("122.00"), D("121.00"), D("135.00"))
    assert s.findings == ()


def test_given_subtotal_with_components_is_checked_with_both_figures() -> None:
    g = {"RR.VI.FORS": (D("100.00"),), "RR.VI.AVG": (D("50.00"),), "RR.VI": (D("151.00"),)}
    s = compute(g, ["2025"])
    assert s["RR.VI"] == (D("150.00"),)  # the leaves are the truth
    (f,) = s.findings
    assert f.rule == "SUM" and f.object == "RR.VI" and f.year == 2025
    assert "151,00" in f.message and "150,00" in f.message


def test_given_subtotal_without_components_is_taken_as_given() -> None:
    s = compute({"RR.VI": (D("150.00"),), "RR.VU": (D("-600.00"),)}, ["2025"])
    assert s["RR.VB"] == (D("-450.00"),)
    assert s.findings == ()


def test_finansieringsdel_takes_arsbidrag_as_input_when_no_income_statement() -> None:
    g = {
        "FD.VK.AB": (D("150.00"),),
        "FD.IK.UTG": (D("-300.00"),),
        "FD.IK.FA": (D("20.00"),),
        "FD.LAN.OKL": (D("200.00"),),
        "FD.LAN.MINL": (D("-50.00"),),
    }
    s = finansieringsdel(g, ["2025"])
    # VIK = 150 − 300 + 20 = −130 ; FK = 200 − 50 = 150 ; inverkan = 20
    assert s["FD.VIK"] == (D("-130.00"),)
    assert s["FD.FK"] == (D("150.00"),)
    assert s["FD.INV"] == (D("20.00"),)


def test_finansieringsdel_takes_arsbidrag_from_the_income_statement_and_checks_v4() -> None:
    g = {"RR.SKATT": (D("500.00"),), "RR.VU.TJ": (D("-350.00"),), "FD.VK.AB": (D("140.00"),),
         "IN.UTG": (D("-100.00"),)}
    s = finansieringsdel(g, ["2025"])
    assert s["FD.VK.AB"] == (D("150.00"),)  # 500 − 350
    assert s["FD.IK.UTG"] == (D("-100.00"),)  # from the investeringsdel, gross
    assert s["FD.INV"] == (D("50.00"),)
    (f,) = s.findings
    assert f.rule == "V4" and "140,00" in f.message and "150,00" in f.message


def test_accounts_variant_reconciles_to_cash() -> None:
    g = {"FD.VK.AB": (D("10.00"),), "BAL.LIKV.START": (D("100.00"),), "BAL.LIKV": (D("111.00"),)}
    s = finansieringsdel(g, ["2024"], accounts=True)
    (f,) = s.findings
    assert f.object == "FD.INV" and "1,00" in f.message  # 10 vs 11
    ok = finansieringsdel({**g, "BAL.LIKV": (D("110.00"),)}, ["2024"], accounts=True)
    assert ok.findings == ()


def test_rows_are_in_standard_order_with_labels_in_the_chosen_wording() -> None:
    s = resultatrakning({"RR.VI.FORS": (D("1.00"),), "RR.VU.TJ": (D("-2.00"),)}, ["2025"])
    codes = [r.code for r in s.rows()]
    assert codes.index("RR.VI") < codes.index("RR.VI.FORS") < codes.index("RR.VU") \
        < codes.index("RR.VB") < codes.index("RR.AB") < codes.index("RR.OVERSKOTT")
    assert "RR.VI.AVG" not in codes  # nothing given, not a main line
    fi = {r.code: r.label for r in s.rows(wording="fi_accounts")}
    assert fi["RR.VB"] == "Toimintakate"


amounts = st.decimals(min_value=-10**10, max_value=10**10, places=2, allow_nan=False,
                      allow_infinity=False)


@given(st.dictionaries(st.sampled_from([ln.code for ln in catalogue().part("RR")
                                        if not ln.computed]),
                       st.tuples(amounts, amounts), max_size=20))
def test_every_computed_line_is_the_exact_sum_of_its_leaves(g) -> None:
    s = compute(g, ["a", "b"])
    cat = catalogue()
    for line in cat.part("RR"):
        leaves = cat.leaves_below(line.code)
        for i in range(2):
            expected = sum((g[c][i] for c in leaves if c in g), D("0"))
            assert s[line.code][i] == expected
            assert s[line.code][i].as_tuple().exponent >= -2  # still cents, no float noise


@given(st.dictionaries(st.sampled_from(["RR.VI.FORS", "RR.VI.AVG", "RR.VI.OVR"]),
                       st.tuples(st.decimals(min_value=0, max_value=10**9, places=2)), min_size=1),
       st.dictionaries(st.sampled_from(["RR.VU.TJ", "RR.VU.MAT", "RR.VU.PERS.LON"]),
                       st.tuples(st.decimals(min_value=-10**9, max_value=0, places=2))))
def test_sign_consistency_income_never_negative_costs_never_positive(inc, cost) -> None:
    s = compute({**inc, **cost}, ["x"])
    assert s["RR.VI"][0] >= 0 and s["RR.VU"][0] <= 0


def test_a_given_sale_income_with_the_disposal_gain_stands() -> None:
    # found by an audit (2026-12): FD.IK.FORS may differ from the investeringsdel's book value by
    # the disposal gains corrected in (§6.6), but the computed book value replaced the given
    # figure, so inverkan på likviditeten was short by the gain. By hand: a building at book
    # value 6 400 sold for 7 000, gain 600 in RR.VI.OVR; ÅB = 600 + 1 000 - 900 = 700;
    # FD.VK = 700 - 600 (korrektivpost) = 100; FD.IK.FORS 7 000; inverkan = 100 + 7 000 = 7 100.
    given = {"RR.VI.OVR": (D("600"), D("600")), "RR.SKATT": (D("1000"), D("1000")),
             "RR.VU.PERS.LON": (D("-900"), D("-900")), "IN.FORS": (D("6400"), D("6400")),
             "FD.VK.KORR": (D("-600"), D("-600")), "FD.IK.FORS": (D("7000"), None)}
    st = compute(given, ["2025", "2026"], ("RR", "IN", "FD"))
    assert st["FD.IK.FORS"] == (D("7000"), D("6400"))  # a blank year takes the book value
    assert st["FD.INV"] == (D("7100"), D("6500"))
    [w] = [f for f in st.findings if f.object == "FD.IK.FORS"]
    assert w.severity.value == "warning" and "angivna beloppet används" in w.message
