"""Resultatbalansering rule configuration (spec §10 variants): files, mappings, settings tables."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest

from engine.findings import Location, Severity
from engine.money import CENT, THOUSAND, UNIT
from engine.rb_rules import (
    DATA_DIR,
    DEFAULT_RULES,
    INSTALLNINGAR,
    Regelverk,
    load_rules,
    normalize_key,
    rules_from_mapping,
    rules_from_table,
    rules_to_table,
)


def test_default_rules_are_the_seed_rule_r3_r4():
    r = DEFAULT_RULES
    third = Fraction(1, 3)
    assert (r.overskott_andel_enheter, r.overskott_andel_namnd, r.overskott_andel_ks) == (
        third, third, third)
    assert r.underskott_andel_overfors == 1 and r.garanti_underskott_enhet == 1
    assert r.garanti_overskott_enhet == third
    assert r.krav_maluppfyllelse_enhet and r.krav_maluppfyllelse_namnd
    assert r.avrundning == UNIT
    assert (r.tidplan_bokslutsgenomgang, r.tidplan_ks_beslut, r.tidplan_enhetsgenomgang,
            r.tidplan_aterrapportering) == ((2, 2), (2, 3), (3, 4), (4, 4))


def test_every_setting_is_a_field_and_every_field_a_setting():
    fields = set(Regelverk.__dataclass_fields__)
    assert {s.falt for s in INSTALLNINGAR} == fields
    assert all(normalize_key(s.etikett) == s.falt for s in INSTALLNINGAR)


def test_normalize_key():
    assert normalize_key("  Överskott andel KS ") == "overskott_andel_ks"
    assert normalize_key("Tidplan KS-beslut") == "tidplan_ks_beslut"
    assert normalize_key("Underskott spridning år") == "underskott_spridning_ar"


@pytest.mark.parametrize("name", ["standard", "rb_standard", "Standard",
                                  str(DATA_DIR / "rb_standard.json")])
def test_shipped_standard_file_is_the_default(name):
    rules, findings = load_rules(name)
    assert findings == []
    assert rules == DEFAULT_RULES


def test_shipped_variants_load_cleanly():
    tak, f1 = load_rules("variant_tak")
    fler, f2 = load_rules("variant_flerar")
    assert f1 == f2 == []
    assert tak.avrundning == THOUSAND and tak.avdrag_overskott_procent == 10
    assert tak.tak_overskott_enhet_procent == 3 and tak.tak_overskott_namnd_belopp == 5_000_000
    assert tak.minsta_belopp == 10000
    assert tak.undantagna_poster == ("Kapitalkostnader", "Engångsposter")
    assert fler.overskott_andel_ks == Fraction(1, 2) and fler.underskott_spridning_ar == 3
    assert fler.garanti_avrundning == "narmaste" and fler.tak_underskott_enhet_procent == 5


@pytest.mark.parametrize("name", ["standard", "variant_tak", "variant_flerar"])
def test_settings_table_round_trip(name):
    rules, _ = load_rules(name)
    table = rules_to_table(rules)
    assert table[0] == ["Inställning", "Värde"]
    assert len(table) == len(INSTALLNINGAR) + 1
    back, findings = rules_from_table(table)
    assert findings == []
    assert back == rules


def test_value_forms():
    rules, findings = rules_from_mapping({
        "Överskott andel enheter": "50 %",
        "overskott_andel_namnd": 0.25,
        "ÖVERSKOTT ANDEL KS": "1/4",
        "Avrundning": "öre",
        "Avdrag överskott procent": "7,5 %",
        "Tak överskott enhet belopp": "100 000",
        "Kräv måluppfyllelse enhet": "nej",
        "Kräv måluppfyllelse nämnd": False,
        "Garanti avrundning": "Närmaste",
        "Underskott spridning år": 2.0,
        "Undantagna poster": "Kapitalkostnader; Engångsposter",
        "Tidplan KS-beslut": "Februari–Mars",
        "Tidplan återrapportering": 5,
        "Golv underskott enhet belopp": 250,  # alias of tak_underskott_enhet_belopp
        "Kommentar": "ignored",
    })
    assert findings == []
    assert (rules.overskott_andel_enheter, rules.overskott_andel_namnd,
            rules.overskott_andel_ks) == (Fraction(1, 2), Fraction(1, 4), Fraction(1, 4))
    assert rules.avrundning == CENT
    assert rules.avdrag_overskott_procent == Decimal("7.5")
    assert rules.tak_overskott_enhet_belopp == 100000
    assert not rules.krav_maluppfyllelse_enhet and not rules.krav_maluppfyllelse_namnd
    assert rules.garanti_avrundning == "narmaste"
    assert rules.underskott_spridning_ar == 2
    assert rules.undantagna_poster == ("Kapitalkostnader", "Engångsposter")
    assert rules.tidplan_ks_beslut == (2, 3)
    assert rules.tidplan_aterrapportering == (5, 5)
    assert rules.tak_underskott_enhet_belopp == 250


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("Avrundning", "tiotal", "avrundningsenhet"),
        ("Garanti överskott enhet", "3/2", "mellan 0 och 1"),
        ("Garanti överskott enhet", 33, "mellan 0 och 1"),
        ("Garanti överskott enhet", "en tredjedel", "inte ett tal"),
        ("Avdrag överskott procent", 150, "mellan 0 och 100"),
        ("Tak överskott nämnd belopp", -5, "negativt"),
        ("Underskott spridning år", 1.5, "heltal"),
        ("Underskott spridning år", 0, "heltal"),
        ("Kräv måluppfyllelse enhet", "kanske", "ja eller nej"),
        ("Garanti avrundning", "nedåt", "uppåt eller närmaste"),
        ("Tidplan KS-beslut", "april-februari", "efter den sista"),
        ("Tidplan KS-beslut", "13", "ingen månad"),
        ("Minsta belopp", "#REF!", "inte ett tal"),
    ],
)
def test_bad_value_is_an_error_finding_and_default_kept(key, value, words):
    rules, findings = rules_from_mapping({key: value})
    assert rules == DEFAULT_RULES
    assert len(findings) == 1
    assert findings[0].severity is Severity.ERROR and findings[0].rule == "R0"
    assert words in findings[0].message
    assert "Standardvärdet används" in findings[0].message


def test_unknown_setting_is_a_warning():
    rules, findings = rules_from_mapping({"Avrundnig": "öre"})
    assert rules == DEFAULT_RULES
    assert [f.severity for f in findings] == [Severity.WARNING]
    assert "Avrundnig" in findings[0].message


def test_fractions_not_summing_to_one_fall_back_to_default():
    rules, findings = rules_from_mapping({"Överskott andel enheter": 0.33,
                                          "Överskott andel nämnd": 0.33,
                                          "Överskott andel KS": 0.33})
    assert rules.overskott_andel_enheter == Fraction(1, 3)
    assert [f.severity for f in findings] == [Severity.ERROR]
    assert "summerar" in findings[0].message


def test_timetable_out_of_order_is_a_warning():
    _, findings = rules_from_mapping({"Tidplan bokslutsgenomgång": "maj"})
    assert [f.severity for f in findings] == [Severity.WARNING]


def test_settings_table_shapes():
    table = [
        ["Inställning", "Värde"],
        [None, None],
        ["Avrundning", "tusen"],
        ["Tak överskott enhet procent", None],  # blank = not set
        ["Minsta belopp", 5000.0, None],
        [None, 3],  # value without a name
        ["Minsta belopp", 1],  # duplicate
        ["Okänd", 1, "extra"],
    ]
    rules, findings = rules_from_table(table)
    assert rules.avrundning == THOUSAND and rules.minsta_belopp == 5000
    assert rules.tak_overskott_enhet_procent is None
    messages = [(f.severity, f.message) for f in findings]
    assert any(s is Severity.ERROR and "rad 6" in m for s, m in messages)
    assert any(s is Severity.ERROR and "två gånger" in m for s, m in messages)
    assert any(s is Severity.WARNING and "rad 8" in m and "två kolumner" in m for s, m in messages)
    assert any(s is Severity.WARNING and "Okänd" in m for s, m in messages)


def test_settings_table_without_header():
    rules, findings = rules_from_table([["Överskott andel KS", "1/2"],
                                        ["Överskott andel nämnd", "1/6"]])
    assert findings == []
    assert rules.overskott_andel_ks == Fraction(1, 2)


def test_rule_files_json_toml_and_errors(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(
        {"installningar": {"Avrundning": "öre"}, "Namn": "Nested"}), encoding="utf-8")
    rules, findings = load_rules(tmp_path / "a.json")
    assert findings == [] and rules.avrundning == CENT and rules.namn == "Nested"

    (tmp_path / "b.toml").write_text(
        '"Överskott andel KS" = "1/2"\n"Överskott andel nämnd" = "1/6"\n', encoding="utf-8")
    rules, findings = load_rules(str(tmp_path / "b.toml"))
    assert findings == [] and rules.overskott_andel_ks == Fraction(1, 2)

    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    rules, findings = load_rules(tmp_path / "bad.json")
    assert rules == DEFAULT_RULES and "inte giltig" in findings[0].message

    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    rules, findings = load_rules(tmp_path / "list.json")
    assert rules == DEFAULT_RULES and findings[0].severity is Severity.ERROR

    rules, findings = load_rules(tmp_path / "missing.json")
    assert rules == DEFAULT_RULES and "kan inte läsas" in findings[0].message
    rules, findings = load_rules("finns_inte")
    assert rules == DEFAULT_RULES and findings[0].severity is Severity.ERROR


def test_load_rules_other_sources():
    assert load_rules(None) == (DEFAULT_RULES, [])
    custom = Regelverk(namn="x")
    assert load_rules(custom) == (custom, [])
    rules, findings = load_rules({"Avrundning": "tusen"})
    assert rules.avrundning == THOUSAND and not findings
    rules, findings = load_rules([["Avrundning", "öre"]])
    assert rules.avrundning == CENT and not findings
    rules, findings = load_rules(42)  # type: ignore[arg-type]
    assert rules == DEFAULT_RULES and findings[0].severity is Severity.ERROR


def test_shares_that_do_not_sum_to_one_are_located_at_the_shares() -> None:
    # found by metamorphic testing (2026-12): the R0 error had no sheet or cell, while every
    # other finding of the rules table is located at its row
    from engine.findings import Location
    from engine.rb_rules import rules_from_table

    rows = [["Inställning", "Värde"], ["Avrundning", "krona"], ["Överskott andel enheter", "0,4"],
            ["Överskott andel nämnd", "0,4"], ["Överskott andel KS", "0,4"]]
    at = [None, *(Location(workbook="k.xlsx", sheet="Regler RB", cell=f"B{r}")
                  for r in range(6, 10))]
    rules, findings = rules_from_table(rows, locations=at)
    [f] = [f for f in findings if "summerar till" in f.message]
    assert f.severity.value == "error" and f.location == at[2]
    assert f.also == (at[3], at[4])
    assert rules.overskott_andel_ks == DEFAULT_RULES.overskott_andel_ks  # the defaults used


# A number for a percent setting and its cell's number format (2026-12, found by testers):
# Excel stores "10 %" typed into a General cell as 0.1 with a percent format.


def test_a_number_in_a_percent_formatted_cell_is_read_as_it_is_shown():
    loc = Location(workbook="kommun.xlsx", sheet="Regler RB", cell="B16")
    table = [["Avdrag överskott procent", Decimal("0.1")],
             ["Tak överskott enhet procent", 0.05],
             ["Garanti överskott enhet", Decimal("0.25")]]  # a fraction: 25 % is 1/4 already
    rules, findings = rules_from_table(table, locations=[loc] * 3,
                                       percent_format=[True, True, True])
    assert findings == []
    assert rules.avdrag_overskott_procent == 10 and rules.tak_overskott_enhet_procent == 5
    assert rules.garanti_overskott_enhet == Fraction(1, 4)
    # the same numbers without a percent format are percent as typed
    rules, findings = rules_from_table(table, percent_format=[False, False, False])
    assert findings == [] and rules.avdrag_overskott_procent == Decimal("0.1")
    # text is as typed whatever the format; 10 shown as percent is 1000 %: refused, at the cell
    rules, findings = rules_from_table([["Avdrag överskott procent", "10 %"]],
                                       percent_format=[True])
    assert findings == [] and rules.avdrag_overskott_procent == 10
    rules, (f,) = rules_from_table([["Avdrag överskott procent", 10]], locations=[loc],
                                   percent_format=[True])
    assert rules == DEFAULT_RULES and f.severity is Severity.ERROR and f.location == loc
    assert "1000 %" in f.message


@pytest.mark.parametrize("value", [Decimal("0.1"), 0.5, 1])
def test_a_number_up_to_one_whose_format_is_not_known_is_refused_never_guessed(value):
    loc = Location(workbook="kommun.xlsx", sheet="Regler RB", cell="B16")
    rules, (f,) = rules_from_table([["Avdrag överskott procent", value]], locations=[loc],
                                   percent_format=[None])
    assert rules == DEFAULT_RULES and f.rule == "R0" and f.severity is Severity.ERROR
    assert f.location == loc and "procentformat" in f.message and "'" in f.message
    # above 1 it is a number of percent either way (shown as percent it would exceed 100 %)
    rules, findings = rules_from_table([["Avdrag överskott procent", 10],
                                        ["Tak överskott nämnd procent", "0,5 %"]],
                                       percent_format=[None, None])
    assert findings == [] and rules.avdrag_overskott_procent == 10
    assert rules.tak_overskott_namnd_procent == Decimal("0.5")


def test_a_bad_value_is_quoted_as_typed_never_as_a_python_repr() -> None:
    # Excel turns "1/3" typed into a General cell into the date 1 March; the message said
    # "datetime.date(2025, 3, 1) är inte ett tal" (found 2026-12); the sum of =1/3 three times
    # read 333333333333333/1000000000000000
    import datetime

    _, f = rules_from_mapping({"Överskott andel enheter": datetime.date(2025, 3, 1)})
    assert "datumet 2025-03-01" in f[0].message and "datetime" not in f[0].message
    third = 0.333333333333333
    _, f = rules_from_mapping({"Överskott andel enheter": third, "Överskott andel nämnd": third,
                               "Överskott andel KS": third})
    assert "summerar till 0,999999999999999, inte 1" in f[0].message
    assert "/1000000000000000" not in f[0].message
