"""engine.ledger: mapping ledger rows to lines and units, aggregation, reconciliation (V10)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.findings import Severity
from engine.ledger import (
    EXKL,
    KontoRegel,
    KstRegel,
    Mappning,
    _exact_bincount,
    aggregate_ledger,
    ore_to_decimal,
    parse_mappning,
    parse_tecken,
    utfall_decimal,
    utfall_per_enhet,
)


def ledger(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    k, c, p, b = zip(*rows, strict=True) if rows else ((), (), (), ())
    return pd.DataFrame(
        {"konto": list(k), "kostnadsstalle": list(c), "period": np.array(p, dtype=np.int64),
         "belopp": np.array(b, dtype=np.int64)}
    )


MAPPNING = Mappning(
    konton=(
        KontoRegel("3000", "3099", "RR.VI.FORS", -1),
        KontoRegel("4000", "4099", "RR.VU.PERS.LON", -1),
        KontoRegel("4300", "4399", "RR.VU.TJ", -1),
        KontoRegel("1000", "2999", EXKL, 1),
    ),
    kostnadsstallen=(
        KstRegel("100", None, "SKOLA"),
        KstRegel("2", None, "VARD", prefix=True),
        KstRegel("500", "599", "KULTUR"),
    ),
)


def test_hand_computed_mapping_and_aggregation_v10():
    rows = [
        ("3000", "100", 1, -100_00),  # sales, credit -> income +100.00 for SKOLA, Jan
        ("3050", "100", 1, -50_50),  # same line/unit/month: +50.50 -> +150.50
        ("3000", "100", 1, 20_00),  # a reversal (debit on income): -20.00 -> +130.50
        ("4000", "210", 2, 1000_00),  # wages, debit -> cost -1000.00 for VARD (prefix 2), Feb
        ("4010", "299", 2, 1_01),  # -1.01 -> -1001.01
        ("4350", "550", 3, 333_33),  # services -> -333.33 KULTUR (range 500-599), Mar
        ("1910", "100", 3, 5_00_00),  # balance sheet: excluded (+500.00 in export sign)
        ("9999", "100", 4, 7_77),  # unknown account: unmapped 7.77
        ("4000", "700", 4, 2_22),  # unknown cost centre: unmapped 2.22
    ]
    utfall, report = aggregate_ledger(ledger(rows), MAPPNING)
    assert utfall_decimal(utfall) == {
        ("RR.VI.FORS", "SKOLA", 1): Decimal("130.50"),  # -(-100.00 - 50.50 + 20.00)
        ("RR.VU.PERS.LON", "VARD", 2): Decimal("-1001.01"),  # -(1000.00 + 1.01)
        ("RR.VU.TJ", "KULTUR", 3): Decimal("-333.33"),
    }
    assert list(utfall["rader"]) == [3, 2, 1]
    # export total: -100 - 50.50 + 20 + 1000 + 1.01 + 333.33 + 500 + 7.77 + 2.22 = 1713.83
    assert report.total_export_ore == 171383
    # mapped (export sign): -130.50 + 1001.01 + 333.33 = 1203.84
    assert report.total_mapped_ore == 120384
    assert report.total_excluded_ore == 50000
    assert report.total_unmapped_ore == 777 + 222
    assert report.reconciled
    # published sign of the mapped part: 130.50 - 1001.01 - 333.33 = -1203.84
    assert report.total_mapped_published_ore == -120384
    assert (report.rows_read, report.rows_mapped, report.rows_excluded, report.rows_unmapped) == (
        9, 6, 1, 2)
    text = "\n".join(report.lines())
    assert "Summa export:      1\u00a0713,83" in text and "stämmer på centen" in text
    assert "9999: 1 rad, 7,77" in text and "700: 1 rad, 2,22" in text


def test_unmapped_accounts_and_cost_centres_with_counts_and_totals_v10():
    rows = [
        ("9999", "100", 1, 100),
        ("9999", "999", 2, 250),  # unknown account and cost centre: counted under the account
        ("8888", "100", 1, 0),
        ("3000", "999", 1, -40),
        ("3000", "999", 5, -60),
        ("3000", "", 5, -1),
    ]
    _, report = aggregate_ledger(ledger(rows), MAPPNING)
    assert {(u.key, u.rows, u.total_ore) for u in report.unmapped_accounts} == {
        ("9999", 2, 350), ("8888", 1, 0)}
    assert [(u.key, u.rows, u.total_ore) for u in report.unmapped_cost_centres] == [
        ("999", 2, -100), ("", 1, -1)]
    assert report.total_unmapped_ore == 350 + 0 - 100 - 1 == report.total_export_ore
    assert report.rows_mapped == 0
    msgs = {f.object: f for f in report.findings if f.object}
    assert msgs["9999"].severity is Severity.ERROR and "2 rader" in msgs["9999"].message
    assert msgs["8888"].severity is Severity.WARNING  # total 0: needs a look, does not block
    assert "(tomt)" in msgs


def test_account_ranges_use_prefix_semantics():
    rows = [("300012", "100", 1, -5), ("30", "100", 1, -7), ("0100", "100", 1, 9), ("3O00", "100", 1, 1)]
    utfall, report = aggregate_ledger(ledger(rows), MAPPNING)
    # 300012 -> first four digits 3000; 30 -> 3000 (padded); 0100 -> 0100, below 1000: unmapped
    assert utfall_decimal(utfall) == {("RR.VI.FORS", "SKOLA", 1): Decimal("0.12")}
    assert {u.key for u in report.unmapped_accounts} == {"0100", "3O00"}


def test_cost_centre_precedence_exact_then_longest_prefix_then_range():
    m = Mappning(
        konton=(KontoRegel("3000", "3999", "RR.VI.FORS", -1),),
        kostnadsstallen=(
            KstRegel("5", None, "P5", prefix=True),
            KstRegel("55", None, "P55", prefix=True),
            KstRegel("500", "599", "R"),
            KstRegel("555", None, "EXAKT"),
        ),
    )
    rows = [("3000", "555", 1, -1), ("3000", "551", 1, -2), ("3000", "512", 1, -4),
            ("3000", "600", 1, -8), ("3000", "0520", 1, -16)]
    utfall, report = aggregate_ledger(ledger(rows), m)
    got = utfall_decimal(utfall)
    assert got[("RR.VI.FORS", "EXAKT", 1)] == Decimal("0.01")
    assert got[("RR.VI.FORS", "P55", 1)] == Decimal("0.02")
    assert got[("RR.VI.FORS", "P5", 1)] == Decimal("0.04")
    assert got[("RR.VI.FORS", "R", 1)] == Decimal("0.16")  # 0520 == 520 in the range
    assert [u.key for u in report.unmapped_cost_centres] == ["600"]


def test_overlapping_ranges_warn_and_narrowest_wins_gaps_are_info():
    m, f = parse_mappning(
        [
            {"typ": "konto", "fran": "4000", "till": "4999", "kod": "RR.VU.OVR", "tecken": "-"},
            {"typ": "konto", "fran": "4300", "till": "4399", "kod": "RR.VU.TJ", "tecken": "-"},
            {"typ": "konto", "fran": "6000", "till": "6099", "kod": "RR.AVS.PLAN", "tecken": "-"},
        ]
    )
    assert f == []
    rows = [("4299", "x", 1, 1), ("4300", "x", 1, 10), ("4399", "x", 1, 100), ("4400", "x", 1, 1000),
            ("6000", "x", 1, 5)]
    utfall, report = aggregate_ledger(ledger(rows), m)
    got = utfall_decimal(utfall)
    assert got[("RR.VU.OVR", "x", 1)] == Decimal("-10.01")  # 4299 and 4400 around the hole
    assert got[("RR.VU.TJ", "x", 1)] == Decimal("-1.10")
    overlap = [x for x in report.findings if "överlappar" in x.message]
    assert len(overlap) == 1 and overlap[0].severity is Severity.WARNING
    gaps = [x for x in report.findings if "täcks inte" in x.message]
    assert len(gaps) == 1 and "5000-5999" in gaps[0].message and gaps[0].severity is Severity.INFO


def test_equal_ranges_with_different_targets_are_an_error():
    m = Mappning(konton=(KontoRegel("3000", "3099", "RR.VI.FORS", -1, rad=2),
                         KontoRegel("3000", "3099", "RR.VI.AVG", -1, rad=3)))
    utfall, report = aggregate_ledger(ledger([("3000", "a", 1, -100)]), m)
    errs = [x for x in report.findings if "överlappar" in x.message]
    assert errs and errs[0].severity is Severity.ERROR and "rad 2" in errs[0].message
    assert utfall_decimal(utfall) == {("RR.VI.FORS", "a", 1): Decimal("1.00")}  # first row wins


def test_sign_is_explicit_per_rule_never_guessed():
    assert parse_tecken("-") == -1 and parse_tecken("vänd") == -1 and parse_tecken("+1") == 1
    assert parse_tecken("") is None and parse_tecken("x") is None
    _, f = parse_mappning([{"typ": "konto", "fran": "3000", "till": "3099", "kod": "RR.VI.FORS"}])
    assert any(x.severity is Severity.ERROR and "tecken" in x.message for x in f)
    # a rule with '+' keeps the export's sign (an export already in published sign)
    m = Mappning(konton=(KontoRegel("3000", "3099", "RR.VI.FORS", 1),))
    utfall, _ = aggregate_ledger(ledger([("3000", "a", 1, 250)]), m)
    assert utfall_decimal(utfall) == {("RR.VI.FORS", "a", 1): Decimal("2.50")}


def test_parse_mappning_reports_bad_rows_with_line_numbers():
    m, f = parse_mappning(
        [
            {"Typ": "Konto", "Från": "30A0", "Till": "3099", "Kod": "RR.VI.FORS", "Tecken": "-", "_rad": 2},
            {"Typ": "konto", "Från": "3100", "Till": "3000", "Kod": "RR.VI.AVG", "Tecken": "-", "_rad": 3},
            {"Typ": "konto", "Från": "3200", "Till": "3299", "Kod": "RR.NOPE", "Tecken": "-", "_rad": 4},
            {"Typ": "tili", "Från": "3300", "Till": "3399", "Kod": "RR.VI.OVR", "Tecken": "-", "_rad": 5},
            {"Typ": "annat", "Från": "1", "Kod": "X", "_rad": 6},
            {"Typ": "kst", "Från": "12*", "Kod": "E1", "_rad": 7},
            {"Typ": "kst", "Från": "9", "Till": "1", "Kod": "E2", "_rad": 8},
        ],
        kalla="m.csv",
        known_codes={"RR.VI.FORS", "RR.VI.AVG", "RR.VI.OVR"},
    )
    assert [r.rad for r in m.konton] == [5]
    assert m.kostnadsstallen == (KstRegel("12", None, "E1", True, "", 7),)
    assert sorted(int(x.location.cell[1:]) for x in f) == [2, 3, 4, 6, 8]
    assert all(x.location.workbook == "m.csv" for x in f)


def test_without_cost_centre_rules_the_cost_centre_is_the_unit():
    m = Mappning(konton=(KontoRegel("3000", "3099", "RR.VI.FORS", -1),))
    utfall, report = aggregate_ledger(ledger([("3000", "K1", 1, -1), ("3000", "K2", 1, -2)]), m)
    assert utfall_decimal(utfall) == {("RR.VI.FORS", "K1", 1): Decimal("0.01"),
                                      ("RR.VI.FORS", "K2", 1): Decimal("0.02")}
    assert any(f.severity is Severity.INFO and "enhet" in f.message for f in report.findings)


def test_invalid_periods_are_unmapped_and_dates_give_months():
    rows = [("3000", "100", 0, -1), ("3000", "100", 13, -2), ("3000", "100", 12, -4)]
    utfall, report = aggregate_ledger(ledger(rows), MAPPNING)
    assert utfall_decimal(utfall) == {("RR.VI.FORS", "SKOLA", 12): Decimal("0.04")}
    assert [(u.rows, u.total_ore) for u in report.invalid_periods] == [(2, -3)]
    frame = ledger(rows)
    frame["period"] = pd.to_datetime(["2024-01-31", "2025-02-01", "2024-12-01"])
    utfall, report = aggregate_ledger(frame, MAPPNING)
    assert sorted(utfall["period"].tolist()) == [1, 2, 12]
    assert any("flera år" in f.message for f in report.findings)


def test_amounts_must_be_integer_minor_units():
    frame = ledger([("3000", "100", 1, 1)])
    frame["belopp"] = [1.5]
    with pytest.raises(TypeError):
        aggregate_ledger(frame, MAPPNING)


def test_sums_beyond_int64_stay_exact():
    big = 2**62
    utfall, report = aggregate_ledger(ledger([("3000", "100", 1, big), ("3000", "100", 1, big)]), MAPPNING)
    assert report.total_export_ore == 2**63  # does not fit int64; Python ints keep it exact
    assert int(utfall["belopp_ore"].iloc[0]) == -(2**63)
    assert report.reconciled


def test_empty_ledger_reconciles_to_zero():
    utfall, report = aggregate_ledger(ledger([]), MAPPNING)
    assert len(utfall) == 0 and report.total_export_ore == 0 and report.reconciled


def test_ore_to_decimal():
    assert ore_to_decimal(-5) == Decimal("-0.05") and str(ore_to_decimal(123456)) == "1234.56"


@given(st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=300))
def test_exact_bincount_matches_python_sums(amounts):
    codes = np.arange(len(amounts)) % 3
    got = _exact_bincount(codes, np.array(amounts, dtype=np.int64), 3)
    assert [int(x) for x in got] == [sum(amounts[i::3]) for i in range(3)]


ACCOUNTS = ["3000", "3099", "4000", "4350", "1500", "9999", "", "30"]
KST = ["100", "210", "2", "550", "999", ""]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(ACCOUNTS),
            st.sampled_from(KST),
            st.integers(0, 13),
            st.integers(-(10**15), 10**15),
        ),
        max_size=80,
    )
)
def test_mapped_plus_excluded_plus_unmapped_is_the_export_total(rows):
    utfall, report = aggregate_ledger(ledger(rows), MAPPNING)
    total = sum(r[3] for r in rows)
    assert report.total_export_ore == total
    assert report.total_mapped_ore + report.total_excluded_ore + report.total_unmapped_ore == total
    assert report.reconciled
    # the outturn is the signed sum of the mapped rows (all mapped lines here use tecken -1)
    assert int(utfall["belopp_ore"].sum()) == -report.total_mapped_ore
    assert int(utfall["rader"].sum()) == report.rows_mapped
    unm = (sum(u.total_ore for u in report.unmapped_accounts)
           + sum(u.total_ore for u in report.unmapped_cost_centres)
           + sum(u.total_ore for u in report.invalid_periods))
    assert unm == report.total_unmapped_ore
    assert report.rows_mapped + report.rows_excluded + report.rows_unmapped == len(rows)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(KST), st.integers(0, 13),
                  st.integers(-(10**12), 10**12)),
        max_size=60,
    )
)
def test_sliced_and_hashed_aggregation_equal_the_dense_one(rows):
    import engine.ledger as el

    dense_utfall, dense_report = aggregate_ledger(ledger(rows), MAPPNING)
    saved = el.DENSE_LIMIT, el.ROW_SLICE
    try:
        el.DENSE_LIMIT, el.ROW_SLICE = 0, 7  # hash the keys, 7 rows at a time
        utfall, report = aggregate_ledger(ledger(rows), MAPPNING)
    finally:
        el.DENSE_LIMIT, el.ROW_SLICE = saved
    assert utfall_decimal(utfall) == utfall_decimal(dense_utfall)
    assert utfall["rader"].tolist() == dense_utfall["rader"].tolist()
    assert report == dense_report


def test_outturn_to_date_per_line_and_unit():
    rows = [("3000", "100", 1, -100), ("3000", "100", 2, -250), ("3000", "100", 7, -1000),
            ("4000", "210", 3, 5)]
    utfall, _ = aggregate_ledger(ledger(rows), MAPPNING)
    # to June: income 1.00 + 2.50 = 3.50; wages -0.05; July's 10.00 not yet
    assert utfall_per_enhet(utfall, till_period=6) == {
        ("RR.VI.FORS", "SKOLA"): Decimal("3.50"), ("RR.VU.PERS.LON", "VARD"): Decimal("-0.05")}
    assert utfall_per_enhet(utfall)[("RR.VI.FORS", "SKOLA")] == Decimal("13.50")
