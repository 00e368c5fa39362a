"""KB_RESULTATBALANSERING / KB_RESULTATBALANSERING_NAMND fed exactly what Excel hands a UDF.

2-D lists for ranges, ``None`` for blank cells, floats for numbers, error values as strings
("#REF!", xlwings ``err_to_str``). Spec §10 R1–R5, R7.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from addin.udfs_resultatbalansering import (
    HEADER_ENHETER,
    KB_RESULTATBALANSERING,
    KB_RESULTATBALANSERING_NAMND,
)
from engine.rb_rules import DATA_DIR

KFN = "Kultur- och fritidsnämnden"
HEAD = ["Nämnd", "Resultatenhet", "Central", "Budget", "Utfall", "Måluppfyllelse",
        "Nämndens måluppfyllelse"]


def example() -> list[list[object]]:
    # the spec §10 worked example as net budget/outturn in published signs (a net cost is
    # negative, as in Driftsbudget): A -9 100 - (-10 000) = +900, B -5 300 - (-5 000) = -300,
    # central 0
    return [
        list(HEAD),
        [KFN, "A", "nej", -10000.0, -9100.0, "ja", "ja"],
        [KFN, "B", None, -5000.0, -5300.0, "ja", None],
        [KFN, "Central förvaltningsledning", "ja", -2000.0, -2000.0, "ja", None],
    ]


def with_cell(row: int, column: int, value: object) -> list[list[object]]:
    """The example with one cell (0-based, the header is row 0) replaced by ``value``."""
    table = example()
    table[row][column] = value
    return table


def col(out: list[list[object]], name: str) -> list[object]:
    j = out[0].index(name)
    return [row[j] for row in out[1:]]


def test_r3_r4_worked_example_per_unit():
    out = KB_RESULTATBALANSERING(example())
    assert out[0] == HEADER_ENHETER
    # A keeps 300, B -300, central its own 0; the committee's disposition 400 - 300 + 300 = 400
    assert col(out, "Resultatenhet") == ["A", "B", "Central förvaltningsledning",
                                         "Nämndens disposition"]
    assert col(out, "Resultat") == [900.0, -300.0, 0.0, 0.0]
    assert col(out, "Justerat resultat") == [900.0, -300.0, 0.0, 0.0]
    assert col(out, "Överföring") == [300.0, -300.0, 0.0, 400.0]
    assert col(out, "Handlingsplan krävs") == ["nej", "ja", "nej", "nej"]
    assert all(isinstance(x, float) for x in col(out, "Överföring"))


def test_r3_worked_example_per_committee():
    out = KB_RESULTATBALANSERING_NAMND(example())
    assert out == [["Nämnd", "Justerat resultat", "Överföring", "KS andel"],
                   [KFN, 600.0, 400.0, 200.0]]


def test_resultat_column_instead_of_budget_and_outturn_any_order_any_case():
    table = [
        ["MÅLUPPFYLLELSE", "resultat", "central", "resultatenhet", "nämnd", "Kommentar"],
        ["ja", 900, False, "A", KFN, "extra columns are ignored"],
        ["ja", -300, False, "B", KFN, None],
        [True, 0, True, "C", KFN, None],
    ]
    table[0].append("Nämndens måluppfyllelse")
    for row in table[1:]:
        row.append("ja")
    out = KB_RESULTATBALANSERING(table)
    assert col(out, "Överföring") == [300.0, -300.0, 0.0, 400.0]


def test_r2_justering_column_and_two_committees():
    # KFN: B -300 + 300 adjustment = 0 -> committee 900, carry 600: A 300, B 0, central 0,
    # disposition 300.
    # TN: X -40 - (-100) = +60 (no goals) -> committee 60, KS 20, carry 40: X 0, disposition 40.
    table = [
        [*HEAD, "Justering", "Justeringsorsak"],
        [KFN, "A", "nej", -10000, -9100, "ja", "ja", None, None],
        [KFN, "B", "nej", -5000, -5300, "ja", "ja", 300, "Lagändring"],
        [KFN, "Central", "ja", 0, 0, "ja", "ja", None, None],
        ["Tekniska nämnden", "X", "nej", -100, -40, "nej", "ja", None, None],
    ]
    out = KB_RESULTATBALANSERING(table)
    assert col(out, "Justering") == [0.0, 300.0, 0.0, 0.0, 0.0, 0.0]
    assert col(out, "Resultatenhet")[-2:] == ["Nämndens disposition"] * 2
    assert col(out, "Överföring") == [300.0, 0.0, 0.0, 0.0, 300.0, 40.0]
    per = KB_RESULTATBALANSERING_NAMND(table)
    assert per[1:] == [[KFN, 900.0, 600.0, 300.0], ["Tekniska nämnden", 60.0, 40.0, 20.0]]


def test_r3_committee_goal_column():
    table = example()
    table[1][-1] = "nej"
    per = KB_RESULTATBALANSERING_NAMND(table)
    assert per[1] == [KFN, 600.0, 0.0, 600.0]
    # the units keep their guarantee: A 300, B -300; disposition 0 - 0 = 0
    assert col(KB_RESULTATBALANSERING(table), "Överföring") == [300.0, -300.0, 0.0, 0.0]
    table[2][-1] = "ja"
    msg = KB_RESULTATBALANSERING(table)
    assert msg.startswith("#KB:") and "rad 3" in msg and "Nämndens måluppfyllelse" in msg


def test_r3_blank_committee_goal_is_a_kb_message_not_ja():
    # Issue 14: a blank committee goal flag counted as "ja". Surplus committee, flag blank
    # (or no column at all): refused with a message asking for it.
    for table in (example(), [row[:-1] for row in example()]):
        table[1][-1] = None if len(table[0]) == len(HEAD) else table[1][-1]
        for fn in (KB_RESULTATBALANSERING, KB_RESULTATBALANSERING_NAMND):
            msg = fn(table)
            assert isinstance(msg, str) and msg.startswith("#KB:"), msg
            assert "Nämndens måluppfyllelse" in msg and KFN in msg
    # a committee deficit does not need it: -100 - 200 = ... A -9 100 vs -9 000 = -100,
    # carried in full; A -100, disposition 0
    table = [list(HEAD[:-1]), [KFN, "A", "nej", -9000, -9100, "ja"]]
    assert KB_RESULTATBALANSERING_NAMND(table)[1] == [KFN, -100.0, -100.0, 0.0]


def test_signs_published_convention_and_mixed_signs_are_refused():
    # Issue 14: the units entered in published signs (-10 000 budget, -9 100 outturn) flipped
    # silently into a -900 deficit. Published signs are the convention now: +900 (see the worked
    # example above). A unit whose budget and outturn have different signs is refused:
    t = example()
    t[2][4] = 5300.0  # B: budget -5 000, outturn +5 300
    for fn in (KB_RESULTATBALANSERING, KB_RESULTATBALANSERING_NAMND):
        msg = fn(t)
        assert msg.startswith("#KB:") and "rad 3" in msg and "olika tecken" in msg, msg
    # every unit of a committee typed costs positive (the old convention): refused, not flipped
    t = example()
    for row in t[1:]:
        row[3], row[4] = -row[3], -row[4]
    for fn in (KB_RESULTATBALANSERING, KB_RESULTATBALANSERING_NAMND):
        msg = fn(t)
        assert msg.startswith("#KB:") and "positiv nettobudget" in msg and "rad 2" in msg, msg
    # one net-income unit among net-cost units is a legitimate net line: A earns +1 000 against
    # a budgeted +800 -> +200; B -300; committee -100 carried in full: A keeps 67 (ceil 200/3)
    t = example()
    t[1][3], t[1][4] = 800.0, 1000.0
    t[3][3], t[3][4] = 0.0, 0.0
    out = KB_RESULTATBALANSERING(t)
    assert col(out, "Resultat")[:3] == [200.0, -300.0, 0.0]
    assert col(out, "Överföring") == [67.0, -300.0, 0.0, 133.0]


def test_blank_rows_keep_alignment_and_trailing_blanks_are_dropped():
    table = example()
    table.insert(2, [None] * 7)
    table += [[None] * 7, ["", None, None, None, None, None, None]]
    out = KB_RESULTATBALANSERING(table)
    assert len(out) == 6  # header, 3 units, the blank row, the disposition
    assert out[2] == [""] * len(HEADER_ENHETER)
    assert col(out, "Överföring")[0] == 300.0 and col(out, "Överföring")[4] == 400.0


def test_regler_as_settings_table_name_and_path():
    settings_table = [["Inställning", "Värde"], ["Avrundning", "öre"], [None, None]]
    # 600.00 at cents: thirds 200.00 each
    assert KB_RESULTATBALANSERING_NAMND(example(), settings_table)[1] == [KFN, 600.0, 400.0, 200.0]
    # variant B: 1/4, 1/4, 1/2 -> carry 300, KS 300; A 225; B: cap 5 % of 5000 = 250 -> -250
    # (50 to KS): carry 350, KS 250; central 0; disposition 350 - 225 + 250 = 375
    out = KB_RESULTATBALANSERING(example(), [["variant_flerar"]])
    assert col(out, "Överföring") == [225.0, -250.0, 0.0, 375.0]
    assert KB_RESULTATBALANSERING_NAMND(example(), "variant_flerar")[1] == [KFN, 600.0, 350.0, 250.0]
    path = str(DATA_DIR / "rb_standard.json")
    assert KB_RESULTATBALANSERING_NAMND(example(), [[path]]) == KB_RESULTATBALANSERING_NAMND(
        example())
    assert KB_RESULTATBALANSERING_NAMND(example(), [[None]]) == KB_RESULTATBALANSERING_NAMND(
        example())


def test_rounding_to_thousands_returns_multiples():
    table = [list(HEAD), [KFN, "A", "nej", -1_000_000, 0, "ja", "ja"],
             [KFN, "C", "ja", 0, 0, "ja", "ja"]]
    out = KB_RESULTATBALANSERING_NAMND(table, [["Avrundning", "tusen"]])
    # 0 - (-1 000 000) = +1 000 000; carry round(666 666.7, thousands) = 667 000, KS 333 000
    assert out[1] == [KFN, 1_000_000.0, 667_000.0, 333_000.0]


def test_bad_input_returns_kb_message_naming_row_and_column():
    cases = []
    cases.append((with_cell(2, 3, "#REF!"), ["rad 3", "Budget", "#REF!"]))
    cases.append((with_cell(1, 4, "nio tusen"), ["rad 2", "Utfall", "innehåller text"]))
    cases.append((with_cell(3, 5, "kanske"), ["rad 4", "Måluppfyllelse", "ja eller nej"]))
    cases.append((with_cell(3, 5, None), ["rad 4", "Måluppfyllelse", "tom"]))
    cases.append((with_cell(1, 0, "#N/A"), ["rad 2", "Nämnd", "#N/A"]))
    cases.append((with_cell(2, 1, None), ["rad 3", "Resultatenhet", "tom"]))
    cases.append((with_cell(2, 1, "A"), ["rad 3", "finns redan", "rad 2"]))
    t = [row[:4] + row[5:] for row in example()]  # no Utfall
    cases.append((t, ["Utfall", "saknas"]))
    t = [row[1:] for row in example()]  # no Nämnd
    cases.append((t, ["Nämnd", "saknas"]))
    t = [row + [row[3]] for row in example()]  # Budget twice
    cases.append((t, ["Budget", "två gånger"]))
    t = [[*row, x] for row, x in zip(example(), ["Resultat", 900, -300, 5], strict=True)]
    cases.append((t, ["rad 4", "Resultat", "Utfall − Budget"]))
    cases.append((with_cell(1, 3, 1e26), ["rad 2", "Budget", "orimligt stort"]))
    cases.append((with_cell(1, 4, float("inf")), ["rad 2", "Utfall", "inte ett"]))
    cases.append((example()[:1], ["rubrikrad", "datarad"]))
    cases.append(("#REF!", ["område"]))
    for table, words in cases:
        for fn in (KB_RESULTATBALANSERING, KB_RESULTATBALANSERING_NAMND):
            msg = fn(table)
            assert isinstance(msg, str) and msg.startswith("#KB:"), (words, msg)
            for w in words:
                assert w in msg, (w, msg)


def test_bad_regler_returns_kb_message():
    for regler, word in [
        ([["Avrundnig", "öre"]], "Avrundnig"),
        ([["Avrundning", "tiotal"]], "Avrundning"),
        ([["Avrundning", "#VALUE!"]], "#VALUE!"),
        ("finns_inte.json", "kan inte läsas"),
        ([["Undantagna poster", "Kapitalkostnader"]], "Kapitalkostnader saknas"),
        ("\x00", "kan inte läsas"),
        (3.0, "regler"),
    ]:
        msg = KB_RESULTATBALANSERING(example(), regler)
        assert isinstance(msg, str) and msg.startswith("#KB:") and word in msg, msg


def test_excluded_item_column_from_rules():
    table = [[*HEAD, "Kapitalkostnader"]] + [[*r, x] for r, x in
                                            zip(example()[1:], [600, None, 0], strict=True)]
    out = KB_RESULTATBALANSERING(table, [["Undantagna poster", "Kapitalkostnader"]])
    # A 900 - 600 = 300 -> committee 0: A 100, B -300, central 0, disposition 200
    assert col(out, "Undantaget") == [600.0, 0.0, 0.0, 0.0]
    assert col(out, "Överföring") == [100.0, -300.0, 0.0, 200.0]


cell = st.one_of(
    st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.booleans(),
    st.text(max_size=5), st.sampled_from(["#REF!", "#N/A", "ja", "nej", "Nämnd", "Budget"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cell, min_size=0, max_size=7), max_size=6), st.one_of(st.none(), cell))
def test_udfs_never_raise(rows, regler):
    table = [HEAD, *rows] if rows and len(rows) % 2 else rows
    for fn in (KB_RESULTATBALANSERING, KB_RESULTATBALANSERING_NAMND):
        out = fn(table, regler)
        assert isinstance(out, list) or (isinstance(out, str) and out.startswith("#KB:"))


def test_a_percent_setting_up_to_one_is_refused_as_ambiguous():
    # a function gets values without number formats: 0.1 may be 0,1 % or "10 %" as Excel
    # stores it (2026-12); never a guess, the way to type it unambiguously is said
    msg = KB_RESULTATBALANSERING(example(), [["Avdrag överskott procent", 0.1]])
    assert isinstance(msg, str) and msg.startswith("#KB:") and "'10 %" in msg, msg
    rows = KB_RESULTATBALANSERING(example(), [["Avdrag överskott procent", "10 %"]])
    assert rows == KB_RESULTATBALANSERING(example(), [["Avdrag överskott procent", 10.0]])
    assert not isinstance(rows, str)
