"""Input hygiene (V10): raw cell values become exact amounts or findings with their cell."""

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.findings import Finding, Location, Severity
from engine.input_hygiene import (
    EXCEL_ERRORS,
    check_amount_sign,
    check_line_codes,
    check_year_columns,
    excel_error,
    parse_amount,
    parse_number,
    parse_year_header,
)

D = Decimal
C7 = Location(sheet="Drift", cell="C7")


def test_v10_numbers_rounded_once_to_cent():
    assert parse_amount(1234.5) == D("1234.50")
    assert parse_amount(2.675) == D("2.68")  # Excel rounding, not binary float rounding
    assert parse_amount(-0.005) == D("-0.01")
    assert parse_amount(7) == D("7.00")
    assert parse_amount(D("1.234")) == D("1.23")


def test_v10_key_figures_keep_their_precision_and_are_refused_like_amounts():
    # a ratio is not money: 0,7951 stays 0,7951 (to the cent 0,80, over the V9 limit 0,8); a
    # float is what Excel shows (15 significant digits): 79.996 -> 79.996, not 80.00
    assert parse_number(D("0.7951")) == D("0.7951")
    assert parse_number(79.996) == D("79.996")
    assert parse_number(0.1 + 0.2) == D("0.300000000000000")  # Excel's 15 digits of the sum
    assert parse_number(None) is None and parse_number("  ") is None
    for bad in ("0,79 ungefär", "#DIV/0!", True, datetime(2024, 1, 1), 1e30):
        f = parse_number(bad, location=C7)
        assert isinstance(f, Finding) and f.rule == "V10" and f.location == C7
        assert f.message == parse_amount(bad, location=C7).message


@pytest.mark.parametrize("err", sorted(EXCEL_ERRORS))
def test_v10_every_excel_error_value_is_a_finding(err):
    f = parse_amount(err, location=C7, year=2025)
    assert isinstance(f, Finding)
    assert (f.rule, f.severity, f.year, f.location) == ("V10", Severity.ERROR, 2025, C7)
    assert err in f.message and "Drift!C7" in f.message


@pytest.mark.parametrize("err", ["#REF!", "#VALUE!", "#N/A", "#DIV/0!", "#NAME?", "#NUM!",
                                 "#NULL!"])
def test_v10_the_seven_classic_errors(err):
    assert excel_error(err) == err
    assert isinstance(parse_amount(f" {err.lower()} "), Finding)


def test_v10_localised_error_values():
    assert excel_error("#PUUTTUU!") == "#N/A"
    assert excel_error("#VIITTAUS!") == "#REF!"
    assert excel_error("#SAKNAS!") == "#N/A"
    assert excel_error("hej") is None and excel_error(3) is None


def test_v10_text_in_number_cell():
    f = parse_amount("ca 500", location=C7)
    assert isinstance(f, Finding) and "text" in f.message and "'ca 500'" in f.message
    g = parse_amount("1 234,50", location=C7)
    assert isinstance(g, Finding) and "lagrat som text" in g.message
    assert parse_amount("1 234,50", accept_numeric_text=True) == D("1234.50")


def test_v10_blank_policy_is_explicit():
    assert parse_amount(None) is None
    assert parse_amount("   ") is None
    assert parse_amount(None, blank="noll") == D("0.00")
    f = parse_amount(None, blank="fel", location=C7)
    assert isinstance(f, Finding) and "tom" in f.message


def test_v10_other_junk_values():
    assert isinstance(parse_amount(True), Finding)
    assert isinstance(parse_amount(datetime(2025, 1, 1)), Finding)
    assert isinstance(parse_amount(float("nan")), Finding)
    assert isinstance(parse_amount(float("inf")), Finding)
    assert isinstance(parse_amount([1, 2]), Finding)
    assert isinstance(parse_amount(1, konvention="okänd"), Finding)


def test_v10_wrong_sign_published_convention():
    # verksamhetsutgifter are negative in published signs
    assert parse_amount(-500.0, line="RR.VU") == D("-500.00")
    f = parse_amount(500.0, line="RR.VU", location=C7, year=2026)
    assert isinstance(f, Finding) and f.year == 2026
    assert "fel tecken" in f.message and "negativt" in f.message
    # income negative
    assert isinstance(parse_amount(-1, line="RR.SKATT"), Finding)
    # ± lines accept both, zero is fine everywhere
    assert parse_amount(-3, line="RR.SA") == D("-3.00")
    assert parse_amount(0, line="RR.VU") == D("0.00")


def test_v10_there_is_no_positive_costs_convention():
    # one convention (issue 14): a "costs positive" setting is refused, never applied silently
    f = parse_amount(500, line="RR.VU", konvention="positiva utgifter", location=C7)
    assert isinstance(f, Finding) and f.rule == "V10" and "publiceringens tecken" in f.message
    # the cost typed positive is the wrong sign, with the fix in the message
    f = parse_amount(500, line="RR.VU", location=C7)
    assert isinstance(f, Finding) and "-500,00" in f.message and "Verksamhetsutgifter" in f.message


def test_v10_unknown_line_in_parse_and_sign_check():
    f = parse_amount(1, line="RR.SKAT")
    assert isinstance(f, Finding) and "RR.SKATT" in f.message
    assert check_amount_sign("X.Y", D("1")) is None
    assert parse_amount(1, line="DR.X", line_signs={"DR.X": "+"}) == D("1.00")


def test_v10_unknown_and_missing_line_codes():
    codes = [("RR.VI", None), ("RR.VU ", None), ("RR.SKAT", Location(sheet="S", cell="A5")),
             (None, Location(sheet="S", cell="A6")), ("#REF!", None), ("ZZ", None)]
    findings = check_line_codes(codes)
    assert len(findings) == 4
    assert "Menade du RR.SKATT?" in findings[0].message and findings[0].location.cell == "A5"
    assert "saknas" in findings[1].message
    assert "#REF!" in findings[2].message
    assert findings[3].object == "ZZ"
    assert check_line_codes([("DR.A", None)], known={"DR.A"}) == []


def test_v10_year_headers():
    assert parse_year_header(2025) == 2025
    assert parse_year_header(2025.0) == 2025
    assert parse_year_header("TB 2025") == 2025
    assert parse_year_header("EP 2027") == 2027
    assert isinstance(parse_year_header(None), Finding)  # merged / empty header
    assert isinstance(parse_year_header("Budget"), Finding)
    assert isinstance(parse_year_header(25), Finding)
    assert isinstance(parse_year_header("#NAME?"), Finding)


def test_v10_missing_and_duplicate_year_columns():
    hdr = [(2024, Location(cell="C1")), ("TB 2025", Location(cell="D1")),
           (None, Location(cell="E1")), (2025, Location(cell="F1"))]
    found, findings = check_year_columns(hdr, [2025, 2026, 2027], table="Drift")
    assert found == {2024: Location(cell="C1"), 2025: Location(cell="D1")}
    msgs = [(f.location.cell if f.location else None, f.year) for f in findings]
    assert msgs == [("E1", None), ("F1", 2025), (None, 2026), (None, 2027)]
    assert "sammanslagen" in findings[0].message
    assert "Kolumnen för år 2026 saknas i tabellen Drift" in findings[2].message


@settings(max_examples=300)
@given(st.one_of(st.decimals(allow_nan=False, allow_infinity=False, places=3,
                              min_value=D("-1e6"), max_value=D("1e6")),
                 st.integers(-10**6, 10**6).map(lambda i: D(i) / 1000),  # halves: x.xx5
                 st.decimals(allow_nan=False, allow_infinity=False)),
       st.sampled_from([None, "RR.VI.AVG", "RR.VU.PERS.LON", "RR.ZZZ"]))
def test_v10_decimal_fast_path_is_the_general_rule(value, line):
    """A Decimal from the reader takes a shortcut (issue 17); it must give what the general rule
    gives: rounded once to the cent (half away from zero), sign checked, unknown code refused."""
    from engine.money import MoneyError, to_money

    got = parse_amount(value, location=C7, line=line)
    try:
        expected = to_money(value)
    except MoneyError:
        assert isinstance(got, Finding)
        return
    if line == "RR.ZZZ":
        assert isinstance(got, Finding) and "okänd" in got.message
        return
    wrong = check_amount_sign(line, expected, location=C7) if line else None
    if wrong is not None:
        assert got == wrong
    else:
        assert got == expected and str(got) == str(expected)  # same value and exponent


def test_read_amount_is_the_one_parser() -> None:
    """Issue 16: one verdict per value, for the loader and every KB_ function."""
    from datetime import date
    from decimal import Decimal

    from engine.input_hygiene import AmountProblem, read_amount

    assert read_amount(None) is None and read_amount("  ") is None
    assert read_amount(0.1 + 0.2) == Decimal("0.30")
    assert read_amount(-1234.565) == Decimal("-1234.57")  # half away from zero, once
    kinds = {
        "#REF!": "felvärde", "#PUUTTUU!": "felvärde", True: "sanningsvärde",
        date(2026, 1, 1): "datum", float("nan"): "ej ändligt", "1000": "siffertext",
        "1 234,50": "siffertext", "tusen": "text", 1e300: "för stort",
    }
    for value, kind in kinds.items():
        got = read_amount(value)
        assert isinstance(got, AmountProblem) and got.kind == kind, (value, got)
        assert got.text().startswith("innehåller")
    assert read_amount("1 234,50", accept_numeric_text=True) == Decimal("1234.50")


def test_a_date_or_time_in_an_amount_cell_is_named_as_such() -> None:
    # found by metamorphic testing (2026-12): a negative amount in a date-formatted cell reads
    # (calamine) as a time of day, and the message showed Python's "datetime.time(0, 0)"
    from datetime import date, datetime, time, timedelta

    from engine.findings import Location
    from engine.input_hygiene import parse_amount, read_amount

    at = Location(workbook="n.xlsx", sheet="Driftsbudget", cell="E5")
    for value, shown in ((time(0, 0), "ett klockslag (00:00:00)"),
                         (datetime(2025, 6, 12), "ett datum (2025-06-12)"),
                         (datetime(2025, 6, 12, 8, 30), "ett datum (2025-06-12 08:30:00)"),
                         (date(2025, 6, 12), "ett datum (2025-06-12)"),
                         (timedelta(hours=30), "en tidslängd (1 day, 6:00:00)")):
        got = read_amount(value)
        assert got.kind == "datum" and got.text().startswith(f"innehåller {shown}, inte ett")
        finding = parse_amount(value, location=at)
        assert f"innehåller {shown}, inte ett belopp" in finding.message
        assert "datetime" not in finding.message


_ROW_VALUES = st.lists(st.one_of(
    st.none(),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=D("-1e6"),
                max_value=D("1e6")),
    st.integers(-10**6, 10**6).map(lambda i: D(i) / 1000),  # halves: x.xx5
    st.decimals(),  # NaN, infinities, huge exponents
    st.sampled_from([D("0"), D("-0.00"), D("-0.004"), D("0.004"), D("1E+15"), D("-1E+15"),
                     D("999999999999999.99"), D("1e14")]),
    st.floats(), st.integers(), st.booleans(),
    st.sampled_from(["", " ", "12", "1 234,50", "#REF!", "#INGET_VÄRDE", "x"]),
    st.datetimes()), max_size=8)


_BOUNDS = [Decimal("1E+13"), Decimal("-1E+13"), Decimal("9999999999999.995"),
           Decimal("-9999999999999.994"), Decimal("-0"), Decimal("0E+5"), Decimal("-0.005"),
           Decimal("0.004"), Decimal("sNaN"), Decimal("-Infinity"), Decimal("NaN")]


@settings(max_examples=300)
@given(_ROW_VALUES, st.sampled_from([None, "RR.VI.AVG", "RR.VU.PERS.LON", "RR.ZZZ", "",
                                     "RR.AR", "FD.LK"]))
@example(_BOUNDS, None)
@example(_BOUNDS, "RR.VI.AVG")  # income: positive
@example(_BOUNDS, "RR.VU.PERS.LON")  # a cost: negative
def test_v10_row_in_bulk_is_parse_amount(values, line):
    """Issue 17: a row of amounts parsed at once gives parse_amount's value wherever it decides,
    and leaves to parse_amount exactly the values that are not a plain amount for the line."""
    from engine.input_hygiene import GENERAL, parse_amounts

    got = parse_amounts(values, line)
    assert len(got) == len(values)
    for value, bulk in zip(values, got, strict=True):
        general = parse_amount(value, line=line)
        if bulk is GENERAL:
            # left to parse_amount: anything but a Decimal, or a Decimal it refuses
            assert type(value) is not D or isinstance(general, Finding)
        else:
            assert not isinstance(general, Finding)
            assert bulk == general and str(bulk) == str(general)  # same value and exponent


def test_an_error_value_no_list_knows_is_quoted_as_its_text() -> None:
    # an error value read from a file that no list names yet (a future #FOO!) is a CellError,
    # a str subclass: the message quoted "CellError('#FOO!')" (found 2026-12)
    from engine.findings import excerpt
    from workbook_templates.files.reader import CellError

    assert excerpt(CellError("#FOO!")) == "'#FOO!'"
    assert "CellError" not in excerpt(CellError("#" + "X" * 100))


def test_a_year_is_a_whole_number_of_a_plausible_year_and_said_so() -> None:
    from datetime import date
    from decimal import Decimal

    from engine.findings import Finding, Location
    from engine.input_hygiene import parse_year

    at = Location(workbook="k.xlsx", sheet="Budgetändringar", cell="D4")
    assert parse_year(2025.0) == 2025 and parse_year(Decimal("2025")) == 2025
    assert parse_year(None) is None and parse_year("  ") is None
    for value, says in (("2025", "innehåller text ('2025'), inte ett årtal. Skriv året som tal"),
                        ("tjugo", "innehåller text ('tjugo'), inte ett årtal. Skriv året ("),
                        (2025.5, "innehåller 2025.5, inte ett årtal"),
                        (1850, "innehåller 1850, inte ett årtal"),
                        (date(2025, 1, 1), "innehåller ett datum (2025-01-01), inte ett årtal"),
                        ("#REF!", "innehåller felvärdet #REF!, inte ett årtal"),
                        (True, "innehåller ett sanningsvärde (True), inte ett årtal")):
        got = parse_year(value, location=at)
        assert isinstance(got, Finding) and got.location == at, value
        assert got.rule == "V10" and got.severity.value == "error"
        assert says in got.message and "belopp" not in got.message, (value, got.message)
