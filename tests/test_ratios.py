"""Key ratios (spec §7) with hand-computed values, and 'not defined' cases."""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest

from engine.ratios import RATIOS, ackumulerat_kassaflode, find_ratio, nyckeltal
from engine.statements import compute

G = {
    "RR.VI.FORS": (D("300"),),
    "RR.TEB": (D("50"),),
    "RR.VU.TJ": (D("-1050"),),  # VU = −1050
    "RR.SKATT": (D("700"),),
    "RR.SA": (D("200"),),
    "RR.FIN.RU": (D("-20"),),
    "RR.FIN.OFU": (D("-5"),),
    "RR.AVS.PLAN": (D("-80"),),
    "RR.EXTRA.UTG": (D("-10"),),
    "IN.UTG": (D("-250"),),
    "IN.FA": (D("50"),),
    "FD.UTL.OKN": (D("-30"),),
    "FD.UTL.MIN": (D("10"),),
    "FD.LAN.MINL": (D("-60"),),
    "FD.LAN.KORT": (D("-15"),),
    "BAL.LIKV": (D("146"),),
    "BAL.FK": (D("900"),),
    "BAL.FORSK": (D("100"),),
    "BAL.LAN": (D("600"),),
    "BAL.TIDOVERSK": (D("400"),),
}
# VI 300, VU −1050, VB = 300 + 50 − 1050 = −700; ÅB = −700 + 700 + 200 − 25 = 175
# RES = 175 − 80 − 10 = 85 = ÖVERSKOTT; invånare 10


@pytest.fixture(scope="module")
def r():
    st = compute(G, ["2025"], ("RR", "IN", "FD"))
    assert st.get("RR.AB") == D("175")
    return {k: v.value for k, v in nyckeltal(st, 0, 10).items()}


def q(x: D) -> D:
    return x.quantize(D("1e-10"), rounding=ROUND_HALF_UP)


def test_hand_computed_ratios(r) -> None:
    assert r["Verksamhetsinkomster / verksamhetsutgifter, %"] == q(D(100) * 300 / (1050 - 50))  # 30
    assert r["Årsbidrag / avskrivningar, %"] == q(D(100) * 175 / 80)  # 218.75
    assert r["Årsbidrag, €/inv"] == q(D("17.5"))
    assert r["Verksamhetsbidragsprocent"] == q(D(100) * -700 / 300)
    assert r["Ackumulerat överskott (underskott), €/inv"] == q(D("48.5"))  # (400 + 85) / 10
    assert r["Investeringarnas internt tillförda medel, %"] == q(D(100) * 175 / 200)  # 87.5
    # capital expenditure: inv 250 − 50 + net lending 30 − 10 + amortisations 60 + 15 = 295
    assert r["Kapitalutgifternas internt tillförda medel, %"] == q(D(100) * 175 / 295)
    # loan servicing: (175 + 20) / (20 + 75) = 195 / 95
    assert r["Låneskötselbidrag"] == q(D(195) / D(95))
    # relative indebtedness: (900 − 100) / (300 + 700 + 200) = 800 / 1200
    assert r["Relativ skuldsättning, %"] == q(D(100) * 800 / 1200)
    # cash payments: 1050 − 50 + 20 + 5 + 10 + 250 + 30 + 60 + 15 = 1390; 365 × 146 / 1390
    assert r["Likviditet, kassadagar"] == q(D(365) * 146 / 1390)
    assert r["Lånestock, €/inv"] == q(D(60))


def test_zero_or_wrong_signed_denominator_is_not_defined() -> None:
    st = compute({"RR.AB": (D("10"),), "RR.VI": (D("5"),), "RR.VU": (D("-5"),),
                  "RR.AVS": (D("0"),)}, ["x"])
    r = nyckeltal(st, 0, None)
    assert r["Årsbidrag / avskrivningar, %"].value is None
    assert "noll" in r["Årsbidrag / avskrivningar, %"].reason
    assert r["Årsbidrag, €/inv"].value is None
    assert "invånare" in r["Årsbidrag, €/inv"].reason
    wrong = nyckeltal(compute({"RR.AB": (D("10"),), "RR.AVS": (D("5"),)}, ["x"]), 0)
    assert "fel tecken" in wrong["Årsbidrag / avskrivningar, %"].reason
    assert "saknas" in r["Relativ skuldsättning, %"].reason


def test_ratio_names_match_swedish_and_finnish_case_insensitively() -> None:
    assert find_ratio("årsbidrag / AVSKRIVNINGAR, %") == "Årsbidrag / avskrivningar, %"
    assert find_ratio("Vuosikate, €/asukas") == "Årsbidrag, €/inv"
    assert find_ratio("Lainanhoitokate") == "Låneskötselbidrag"
    assert find_ratio("nonsense") is None
    assert len({r.name for r in RATIOS}) == len(RATIOS)


def test_accumulated_cash_flow_over_five_years() -> None:
    vik = [D("-10"), D("5"), D("-20"), D("30"), D("1")]
    st = compute({"FD.VK.AB": tuple(vik)}, [str(y) for y in range(2023, 2028)], ("FD",))
    acc = [r.value for r in ackumulerat_kassaflode(st)]
    assert acc == [D("-10"), D("-5"), D("-25"), D("5"), D("6")]  # goal ≥ 0 at the end: met


def test_a_balance_sheet_stock_left_blank_for_a_year_is_not_zero() -> None:
    # found by an audit (2026-12): a blank year of a given BAL line was read as 0, so the ratios
    # showed numbers. Two years: BAL.LIKV, BAL.LAN and BAL.TIDOVERSK given for the first only.
    g = {code: (vals[0], vals[0]) for code, vals in G.items() if not code.startswith("BAL.")}
    g.update({"BAL.LIKV": (D("146"), None), "BAL.LAN": (D("600"), None),
              "BAL.TIDOVERSK": (D("400"), None), "BAL.FK": (D("900"), D("900")),
              "BAL.FORSK": (D("100"), D("100"))})
    st = compute(g, ["2025", "2026"], ("RR", "IN", "FD"))
    first, second = nyckeltal(st, 0, 10), nyckeltal(st, 1, 10)
    # year 1 as the single-year fixture (hand: 146 × 365 / kassautbetalningar; 600 / 10 = 60)
    assert first["Lånestock, €/inv"].value == D("60")
    assert first["Likviditet, kassadagar"].defined
    # year 2: the stocks are unknown, never 0 days of cash or 0 €/inv of loans
    for name in ("Likviditet, kassadagar", "Lånestock, €/inv",
                 "Ackumulerat överskott (underskott), €/inv"):
        assert not second[name].defined and "ej definierat" in second[name].reason, name
    assert second["Relativ skuldsättning, %"].defined  # BAL.FK is given for both years
