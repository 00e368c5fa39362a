"""The statement UDFs, called exactly as Excel calls them (issue 2).

xlwings hands a UDF 2-D lists for ranges declared ``ndim=2`` (one inner list per row), ``None``
for blank cells, floats for numbers and, with ``err_to_str``, error values as strings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from addin.udfs import (
    KB_ARSBIDRAG,
    KB_FINANSIERINGSDEL,
    KB_INVERKAN_LIKVIDITET,
    KB_NYCKELTAL,
    KB_OVERSKOTT,
    KB_RESULTAT,
    KB_RESULTATRAKNING,
    KB_VERKSAMHETSBIDRAG,
)
from engine.catalogue import catalogue

RADER = [["Verksamhetsinkomster"], ["Verksamhetsutgifter (-)"], ["Skatteinkomster"],
         ["Statsandelar"], [None], ["Ränteutgifter"], ["Avskrivningar enligt plan"],
         ["Extraordinära inkomster"], ["Förändring av avskrivningsdifferens"]]
BELOPP = [[150.0, 160.0], [-600.0, -610.0], [500.0, 520.0], [100.0, 100.0], [None, None],
          [-10.0, -10.0], [-40.0, -45.0], [5.0, None], [2.0, 2.0]]
# VB = −450, −450 ; ÅB = −450 + 600 − 10 = 140 ; 2: −450 + 620 − 10 = 160
# RES = 140 − 40 + 5 = 105 ; 160 − 45 = 115 ; ÖVERSKOTT = 107, 117


def test_line_functions_two_year_columns() -> None:
    assert KB_VERKSAMHETSBIDRAG(RADER, BELOPP) == [[-450.0, -450.0]]
    assert KB_ARSBIDRAG(RADER, BELOPP) == [[140.0, 160.0]]
    assert KB_RESULTAT(RADER, BELOPP) == [[105.0, 115.0]]
    assert KB_OVERSKOTT(RADER, BELOPP) == [[107.0, 117.0]]


def test_one_year_column_as_1d_lists_gives_a_scalar() -> None:
    rader = ["Vuosikate", "Investointimenot", "Pitkäaikaisten lainojen lisäys"]
    assert KB_INVERKAN_LIKVIDITET(rader, [100.0, -300.0, 250.0]) == 50.0
    assert KB_ARSBIDRAG(["RR.SKATT", "rr.vu"], [10.0, -3.0]) == 7.0


def test_float_noise_is_rounded_once_to_cents() -> None:
    assert KB_ARSBIDRAG(["Skatteinkomster", "Verksamhetsutgifter"], [0.1 + 0.2, -0.1]) == 0.2


@pytest.mark.parametrize(
    ("rader", "belopp", "fragment"),
    [
        (["Skatteinkomster", "Glass"], [1.0, 2.0], "rad 2: okänd rad: 'Glass'"),
        (["Skatteinkomster", "Statsandelar"], [1.0, "#REF!"], "#REF!"),
        (["Skatteinkomster", "Statsandelar"], [1.0, "abc"], "belopp rad 2: innehåller text"),
        (["Skatteinkomster", "Statsandelar"], [1.0], "1 rad men radbeteckningarna 2"),
        ([None, "Statsandelar"], [1.0, 2.0], "rad 1 har belopp men ingen radbeteckning"),
        (["Verotulot", "Skatteinkomster"], [1.0, 2.0], "avser samma post"),
        (["Verksamhetsinkomster", "Försäljningsinkomster"], [10.0, 9.0], "summan av dess delposter"),
        ([], [], "inga rader"),
    ],
)
def test_bad_input_returns_a_kb_message_naming_the_position(rader, belopp, fragment) -> None:
    result = KB_ARSBIDRAG(rader, belopp)
    assert isinstance(result, str) and result.startswith("#KB:")
    assert fragment in result


def test_resultatrakning_table_in_standard_order() -> None:
    table = KB_RESULTATRAKNING(RADER, BELOPP)
    labels = [row[0] for row in table]
    assert labels[:3] == ["Verksamhetsinkomster", "Tillverkning för eget bruk",
                          "Verksamhetsutgifter"]
    assert ["Årsbidrag", 140.0, 160.0] in table
    assert table[-1] == ["Räkenskapsperiodens överskott (underskott)", 107.0, 117.0]
    assert all(len(row) == 3 for row in table)


def test_finansieringsdel_table_in_finnish_when_the_input_is_finnish() -> None:
    table = KB_FINANSIERINGSDEL(["Vuosikate", "Investointimenot", "Pitkäaikaisten lainojen lisäys"],
                                [[100.0], [-300.0], [250.0]])
    rows = {row[0]: row[1] for row in table}
    assert rows["Toiminnan ja investointien rahavirta"] == -200.0
    assert rows["Vaikutus maksuvalmiuteen"] == 50.0


def test_nyckeltal_by_swedish_and_finnish_name() -> None:
    rader = ["Verksamhetsinkomster", "Verksamhetsutgifter", "Skatteinkomster",
             "Avskrivningar och nedskrivningar"]
    # ÅB = 200 − 1000 + 890 = 90 ; year 2: 200 − 1000 + 800 = 0
    belopp = [[200.0, 200.0], [-1000.0, -1000.0], [890.0, 800.0], [-60.0, 0.0]]
    assert KB_NYCKELTAL("årsbidrag / avskrivningar, %", rader, belopp) == [[150.0,
                                                                             "ej definierat: "
                                                                             "avskrivningar och "
                                                                             "nedskrivningar är "
                                                                             "noll"]]
    assert KB_NYCKELTAL("Vuosikate, €/asukas", rader, belopp, 30) == [[3.0, 0.0]]
    assert KB_NYCKELTAL("Vuosikate, €/asukas", rader, belopp, [[30, 20]]) == [[3.0, 0.0]]
    assert KB_NYCKELTAL("Toimintatuotot / toimintakulut, %", rader, belopp) == [[20.0, 20.0]]
    assert KB_NYCKELTAL("Okänt", rader, belopp).startswith("#KB: okänt nyckeltal")
    assert KB_NYCKELTAL("Vuosikate, €/asukas", rader, belopp, "#N/A").startswith("#KB:")


def test_jyvaskyla_through_the_udfs() -> None:
    path = Path(__file__).resolve().parent / "data" / "jyvaskyla-2018.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    lines = data["tuloslaskelma_2018"]["lines"]
    rader = [[label] for label, _ in lines]
    belopp = [[float(amount)] for _, amount in lines]  # as Excel would hold them: doubles
    assert KB_ARSBIDRAG(rader, belopp) == 49051244.59
    assert KB_OVERSKOTT(rader, belopp) == 300332.87


def test_tackningsar_deadline_examples() -> None:
    from addin.udfs import KB_TACKNINGSAR

    # seed: 2016 accounts approved 2017 -> covered by the end of 2021 (fourth year after approval)
    assert KB_TACKNINGSAR(2016.0) == 2021
    assert KB_TACKNINGSAR(2016, 2017) == 2021
    # Kuntaliitto: 2015 accounts -> 2020
    assert KB_TACKNINGSAR("2015") == 2020
    assert KB_TACKNINGSAR(2016, 2016).startswith("#KB:")
    assert KB_TACKNINGSAR("#REF!").startswith("#KB:")
    assert KB_TACKNINGSAR(2016.5).startswith("#KB:")


def test_every_udf_module_is_registered_in_addin_udfs() -> None:
    import addin.udfs as udfs

    names = {n for n in dir(udfs) if n.startswith("KB_")}
    assert {"KB_RESULTATBALANSERING", "KB_RESULTATBALANSERING_NAMND", "KB_BINDNING_STATUS",
            "KB_AVVIKELSE", "KB_TACKNINGSAR", "KB_NYCKELTAL"} <= names


def test_amounts_of_a_row_are_amount_of_each_cell():
    """The row conversion the statement UDFs use (numbers converted once per distinct value,
    issue 17) gives what ``amount`` gives cell by cell: same value, same sign of zero, same
    message for a cell that is not an amount."""
    from addin.excel_values import UdfInputError, amount, amounts

    row = [None, 1.005, -0.0, 0.0, 2.675, -1234.565, 7, "  ", 1e12 + 0.5]
    for _ in range(2):  # the second time from the cache
        got = amounts(row, lambda j: f"c{j}")
        want = [amount(v, f"c{j}") for j, v in enumerate(row, start=1)]
        assert [str(x) for x in got] == [str(x) for x in want]
    for bad in (1e300, 1e15, float("nan"), "12 kr", "#REF!"):
        with pytest.raises(UdfInputError) as got_err:
            amounts([None, bad], lambda j: f"c{j}")
        with pytest.raises(UdfInputError) as want_err:
            amount(bad, "c2")
        assert str(got_err.value) == str(want_err.value)


# --- one sign convention (issue 14) --------------------------------------------------------------

STATEMENT_UDFS = (KB_VERKSAMHETSBIDRAG, KB_ARSBIDRAG, KB_RESULTAT, KB_OVERSKOTT,
                  KB_INVERKAN_LIKVIDITET, KB_RESULTATRAKNING, KB_FINANSIERINGSDEL)


@pytest.mark.parametrize("udf", STATEMENT_UDFS)
def test_costs_typed_positive_are_refused_not_added(udf) -> None:
    # issue 14: inkomster 1 000 and utgifter 5 000 gave +6 000 instead of −4 000
    result = udf(["Verksamhetsinkomster", "Verksamhetsutgifter"], [1000.0, 5000.0])
    assert isinstance(result, str) and result.startswith("#KB: rad 2: Verksamhetsutgifter")
    assert "fel tecken" in result and "-5\u00a0000,00" in result
    # the same figures in published signs
    assert KB_VERKSAMHETSBIDRAG(["Verksamhetsinkomster", "Verksamhetsutgifter"],
                                [1000.0, -5000.0]) == -4000.0


@pytest.mark.parametrize(
    ("rader", "belopp", "fragment"),
    [
        (["Skatteinkomster"], [-10.0], "#KB: rad 1: Skatteinkomster"),  # income below zero
        (["Vuosikate", "Investointimenot"], [100.0, 300.0], "#KB: rad 2: Investeringsutgifter"),
        (["Skatteinkomster", "Ränteutgifter"], [[5.0, 5.0], [-1.0, 2.0]], "rad 2 kolumn 2"),
        (["Verksamhetsutgifter"], [[-1.0], [None]][:1], None),  # a valid one: no message
    ],
)
def test_a_value_of_the_wrong_sign_names_row_and_column(rader, belopp, fragment) -> None:
    result = KB_ARSBIDRAG(rader, belopp)
    if fragment is None:
        assert result == -1.0
    else:
        assert isinstance(result, str) and fragment in result, result


def test_lines_that_take_either_sign_accept_both() -> None:
    # state shares, net financial items, changes and net lines are ± in the catalogue
    rader = ["Statsandelar", "Finansiella inkomster och utgifter", "Förändring av kortfristiga lån",
             "Förändring av avskrivningsdifferens"]
    assert KB_OVERSKOTT(rader, [-20.0, -5.0, 0.0, 3.0]) == -22.0
    assert KB_INVERKAN_LIKVIDITET(["Vuosikate", "Lyhytaikaisten lainojen muutos"],
                                  [-10.0, -4.0]) == -14.0


_SIGNED = st.sampled_from([code for code, line in catalogue().lines.items()
                           if line.sign in "+-" and not line.computed
                           and line.part in ("RR", "IN", "FD")])


@given(code=_SIGNED, magnitude=st.integers(min_value=1, max_value=10**9),
       others=st.lists(st.tuples(_SIGNED, st.integers(min_value=0, max_value=10**9)),
                       max_size=5))
def test_property_no_sign_mix_yields_a_number(code, magnitude, others) -> None:
    """Whatever else is given in published signs, one value against its line's sign is #KB."""
    cat = catalogue()
    rows = [(c, float(v if cat[c].sign == "+" else -v)) for c, v in others if c != code]
    wrong = float(-magnitude if cat[code].sign == "+" else magnitude)
    rader = [c for c, _ in rows] + [code]
    belopp = [v for _, v in rows] + [wrong]
    for udf in STATEMENT_UDFS:
        result = udf(rader, belopp)
        assert isinstance(result, str) and result.startswith("#KB:"), (udf.__name__, result)
        assert "fel tecken" in result or "olika belopp" in result, result
    # the same rows in published signs give numbers
    ok = [v for _, v in rows] + [-wrong]
    # the same rows in published signs are never refused for their signs (a transfer given
    # twice with different amounts is refused for that, V4)
    result = KB_ARSBIDRAG(rader, ok)
    assert not isinstance(result, str) or "tecken" not in result, result
    assert KB_NYCKELTAL("Årsbidrag, €/inv", rader, belopp, 10).startswith("#KB:")


# --- KB_NYCKELTAL through xlwings' own Windows code (tests/xlwings_windows.py) -----------------


def test_kb_nyckeltal_reads_inhabitants_as_typed(xl) -> None:
    # found 2026-12: the inhabitants went through the amount reader (rounded to the cent) here
    # and through int() on the Nyckeltal sheet; both now take the number as typed.
    # By hand: årsbidrag 1 000 / 0,125 inhabitants = 8 000 (0,13 gave 7 692,31);
    # lånestock 32 600 000 / 14 950,6 = 2 180,5144944… (the sheet's 14 950 gave 2 180,60)
    from tests.xlwings_windows import cell, column

    got = xl.call("KB_NYCKELTAL", "Årsbidrag, €/inv", column(["Årsbidrag"]), cell(1000.0),
                  cell(0.125))
    assert got == [[8000.0]]
    got = xl.call("KB_NYCKELTAL", "Lånestock, €/inv", column(["BAL.LAN"]), cell(32600000.0),
                  cell(14950.6))
    assert abs(got[0][0] - 32600000 / 14950.6) < 1e-9 and round(got[0][0], 2) == 2180.51


def test_kb_nyckeltal_resolves_a_name_only_to_its_own_ratio(xl) -> None:
    # found 2026-12: "Verksamhetsbidrag" (an amount) returned Verksamhetsbidragsprocent:
    # 100 × (1 000 − 5 000) / 1 000 = −400
    from tests.xlwings_windows import MISSING, cells, column

    rader = column(["Verksamhetsinkomster", "Verksamhetsutgifter", "Skatteinkomster"])
    belopp = cells([[1000.0], [-5000.0], [4500.0]])
    for name in ("Verksamhetsbidrag", "Kassadagar, %", "Likviditet, %"):
        [[got]] = xl.call("KB_NYCKELTAL", name, rader, belopp, MISSING)
        assert got == f"#KB: okänt nyckeltal: {name!r}", got
    for name in ("Verksamhetsbidragsprocent", "Verksamhetsbidrag, %", "Toimintakateprosentti"):
        assert xl.call("KB_NYCKELTAL", name, rader, belopp, MISSING) == [[-400.0]], name


def test_kb_nyckeltal_relative_indebtedness_needs_the_advances_of_each_year(xl) -> None:
    # found 2026-12: Erhållna förskott blank in year 2 counted as 0. By hand:
    # year 1: 100 × (500 − 100) / (100 + 900) = 40; year 2: unknown, not 100 × 500 / 1 000 = 50
    from tests.xlwings_windows import cells, column

    rader = column(["Verksamhetsinkomster", "Skatteinkomster", "BAL.FK", "BAL.FORSK"])
    belopp = cells([[100.0, 100.0], [900.0, 900.0], [500.0, 500.0], [100.0, None]])
    got = xl.call("KB_NYCKELTAL", "Relativ skuldsättning, %", rader, belopp)
    assert got == [[40.0, "ej definierat: uppgift saknas (Erhållna förskott)"]]
