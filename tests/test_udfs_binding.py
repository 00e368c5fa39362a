"""UDFs KB_BINDNING_STATUS and KB_AVVIKELSE fed exactly what Excel hands a UDF (floats, None,
error strings, 1-D and 2-D lists). They never raise; bad input returns "#KB: <argument>: …"."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from addin.udfs_binding import KB_AVVIKELSE, KB_BINDNING_STATUS


def test_status_brutto_anslag_over_with_changes_column():
    # budget −1 000, changes −50 and −20 (a column: 2-D list) → −1 070; utfall −1 100 → over
    assert KB_BINDNING_STATUS("brutto", "anslag", -1000.0, -1100.0, [[-50.0], [-20.0], [None]]) \
        == "anslaget överskrids – kräver budgetändring i fullmäktige"
    # changes −150 → budget −1 150 → within
    assert KB_BINDNING_STATUS("Brutto", "Anslag", -1000.0, -1100.0, [-100.0, -50.0]) \
        == "inom ramen"


def test_status_brutto_income_missed():
    assert KB_BINDNING_STATUS("brutto", "beräknad inkomst", 500.0, 450.0) \
        == "beräknad inkomst underskrids – kräver budgetändring i fullmäktige"


def test_status_netto_over_and_net_revenue():
    assert KB_BINDNING_STATUS("netto", "netto", -100.0, -125.0) \
        == "nettoanslaget överskrids – kräver budgetändring i fullmäktige"
    assert KB_BINDNING_STATUS("netto", "netto", 50.0, 20.0) \
        == "beräknad nettoinkomst underskrids – kräver budgetändring i fullmäktige"
    assert KB_BINDNING_STATUS("netto", "netto", -100.0, -90.0) == "inom ramen"


def test_status_overrun_right():
    assert KB_BINDNING_STATUS("brutto", "anslag", -300.0, -310.0, None, 15.0) \
        == "överskrids inom beviljad överskridningsrätt"
    # typed negative, as the workbooks read it (its size): before 2026-12 a #KB: refusal here
    # while the Utfall sheet's −15 gave the right
    assert KB_BINDNING_STATUS("brutto", "anslag", -300.0, -310.0, None, -15.0) \
        == "överskrids inom beviljad överskridningsrätt"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        # issue 14: an appropriation of 1 000 overrun to 1 100, typed positive (costs positive)
        (("brutto", "anslag", 1000.0, 1100.0), "#KB: Anslaget: budget 1\u00a0000,00"),
        # budget −1 000 with outturn +1 050
        (("brutto", "anslag", -1000.0, 1050.0), "#KB: Anslaget: utfall 1\u00a0050,00"),
        (("netto", "netto", -1000.0, 1050.0), "#KB: Posten har olika tecken"),
        (("netto", "anslag", -1000.0, 1050.0), "#KB: Anslaget: utfall 1\u00a0050,00"),
        # a revenue estimate that fell short, typed credit-negative
        (("brutto", "beräknad inkomst", -500.0, -450.0), "#KB: Beräknad inkomst: budget -500,00"),
        # a change that turns the appropriation positive
        (("brutto", "anslag", -100.0, -90.0, [200.0]), "#KB: Anslaget: budget efter ändringar"),
        # the old "costs positive" argument is refused, not applied
        (("brutto", "anslag", 1000.0, 1100.0, None, None, "positiva utgifter"),
         "#KB: tecken: 'positiva utgifter' finns inte längre"),
    ],
)
def test_status_refuses_a_sign_that_contradicts_the_kind(args, fragment):
    result = KB_BINDNING_STATUS(*args)
    assert isinstance(result, str) and result.startswith(fragment), result


def test_status_zero_and_explicit_published_convention():
    assert KB_BINDNING_STATUS("brutto", "anslag", 0.0, -5.0, None, None, "publicerat") \
        == "anslaget överskrids – kräver budgetändring i fullmäktige"
    assert KB_BINDNING_STATUS("netto", "netto", -100.0, 0.0) == "inom ramen"


def test_avvikelse_refuses_budget_and_outturn_of_different_signs():
    assert KB_AVVIKELSE(-1000.0, 1050.0).startswith("#KB: Posten har olika tecken")
    assert KB_AVVIKELSE(-1000.0, -1050.0) == -50.0
    assert KB_AVVIKELSE(0.0, 30.0) == 30.0


def test_status_float_noise_rounded_to_cent():
    # 0.1 + 0.2 in Excel: −0.30000000000000004 vs budget −0.3 → equal after rounding to cent
    assert KB_BINDNING_STATUS("brutto", "anslag", -0.3, -(0.1 + 0.2)) == "inom ramen"


@pytest.mark.parametrize(
    "args, expected_start",
    [
        (("bruto", "anslag", -1.0, -1.0), "#KB: princip: okänt värde"),
        (("brutto", "utgift", -1.0, -1.0), "#KB: slag: okänt värde"),
        (("brutto", "netto", -1.0, -1.0), "#KB: slag: en bruttopost"),
        (("brutto", "anslag", None, -1.0), "#KB: budget: cellen är tom"),
        (("brutto", "anslag", "#REF!", -1.0), "#KB: budget: innehåller felvärdet #REF!"),
        (("brutto", "anslag", -1.0, "#N/A"), "#KB: utfall: innehåller felvärdet #N/A"),
        (("brutto", "anslag", -1.0, "abc"), "#KB: utfall: innehåller text"),
        (("brutto", "anslag", -1.0, -1.0, [[1.0], ["x"]]), "#KB: andringar rad 2 kolumn 1"),
        (("brutto", "anslag", -1.0, -1.0, ["#DIV/0!"]), "#KB: andringar nr 1: innehåller felvärdet"),
        (("brutto", "anslag", -1.0, -1.0, None, None, "minus"), "#KB: tecken"),
        (("#VALUE!", "anslag", -1.0, -1.0), "#KB: princip: innehåller felvärdet #VALUE!"),
        ((None, "anslag", -1.0, -1.0), "#KB: princip: saknas"),
        (("brutto", "anslag", [1.0, 2.0], -1.0), "#KB: budget: ange en enda cell"),
    ],
)
def test_status_bad_input_never_raises(args, expected_start):
    result = KB_BINDNING_STATUS(*args)
    assert isinstance(result, str) and result.startswith(expected_start), result


def test_status_accepts_1x1_blocks():
    assert KB_BINDNING_STATUS([["brutto"]], [["anslag"]], [[-1.0]], [-2.0]) \
        .startswith("anslaget överskrids")


def test_avvikelse():
    # utfall −1 100 − (−1 000 − 50) = −50
    assert KB_AVVIKELSE(-1000.0, -1100.0, -50.0) == -50.0
    assert KB_AVVIKELSE(500.0, 450.0) == -50.0
    # 2-D changes with blanks: 200 + 10 + 5 = 215; utfall 230 → +15
    assert KB_AVVIKELSE(200.0, 230.0, [[10.0, None], [5.0, None]]) == 15.0
    # float noise rounded to cent once: 0.1 + 0.2 − 0.3 → 0.0
    assert KB_AVVIKELSE(0.3, 0.1 + 0.2) == 0.0


def test_avvikelse_bad_input():
    assert KB_AVVIKELSE(None, 1.0).startswith("#KB: budget: cellen är tom")
    assert KB_AVVIKELSE(1.0, "#NAME?").startswith("#KB: utfall: innehåller felvärdet #NAME?")
    assert KB_AVVIKELSE(1.0, 1.0, [[1.0], [True]]).startswith("#KB: andringar rad 2")

_money = st.integers(min_value=-10**9, max_value=10**9).map(lambda c: c / 100)


@given(kind=st.sampled_from(["anslag", "beräknad inkomst", "netto"]), budget=_money,
       utfall=_money, change=st.none() | _money)
def test_property_no_sign_mix_yields_a_status(kind, budget, utfall, change) -> None:
    """Issue 14: whatever the figures, a sign that contradicts the kind is #KB, never a status."""
    principle = "netto" if kind == "netto" else "brutto"
    result = KB_BINDNING_STATUS(principle, kind, budget, utfall, change)
    after = budget + (change or 0.0)
    figures = [round(v, 2) for v in (budget, after, utfall) if round(v, 2) != 0]
    if kind == "anslag":
        mixed = any(v > 0 for v in figures)
    elif kind == "beräknad inkomst":
        mixed = any(v < 0 for v in figures)
    else:
        mixed = any(v > 0 for v in figures) and any(v < 0 for v in figures)
    assert result.startswith("#KB:") == mixed, (result, figures)
    deviation = KB_AVVIKELSE(budget, utfall, change)
    netto_mixed = any(v > 0 for v in figures) and any(v < 0 for v in figures)
    assert isinstance(deviation, str) == netto_mixed, (deviation, figures)
