"""Line catalogue: codes, hierarchy, label matching (issue 2)."""

from __future__ import annotations

import pytest

from engine.catalogue import Catalogue, LabelError, Line, catalogue, normalize_label


def test_every_computed_line_has_children_and_inputs_have_none() -> None:
    cat = catalogue()
    for line in cat.lines.values():
        if line.computed:
            assert cat.children(line.code), line.code
        else:
            assert not cat.children(line.code), line.code


def test_every_line_has_four_wordings() -> None:
    for line in catalogue().lines.values():
        assert all(line.labels.values()), line.code


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("Köpta tjänster", "RR.VU.TJ"),
        ("Köp av tjänster", "RR.VU.TJ"),
        ("Verksamhetsintäkter", "RR.VI"),
        ("Verksamhetsinkomster", "RR.VI"),
        ("Effekt på likviditeten", "FD.INV"),
        ("Inverkan på likviditeten", "FD.INV"),
        ("Vaikutus maksuvalmiuteen", "FD.INV"),
        ("  VERKSAMHETSUTGIFTER   (-)", "RR.VU"),
        ("Skatteinkomster (+)", "RR.SKATT"),
        ("Palvelujen ostot", "RR.VU.TJ"),
        ("rr.ab", "RR.AB"),
        ("Årsbidrag", "RR.AB"),  # a line and its transfer line are one amount
        ("Investeringsutgifter", "IN.UTG"),
    ],
)
def test_resolve_labels(label: str, code: str) -> None:
    assert catalogue().resolve(label) == code


def test_resolve_within_a_part_picks_the_transfer_line() -> None:
    assert catalogue().resolve("Vuosikate", ["FD"]) == "FD.VK.AB"


def test_unknown_and_empty_labels_are_errors() -> None:
    with pytest.raises(LabelError, match="okänd rad"):
        catalogue().resolve("Glassförsäljning")
    with pytest.raises(LabelError):
        catalogue().resolve("   ")


def test_a_label_matching_two_lines_is_an_error_never_a_guess() -> None:
    def line(code: str, label: str, order: int) -> Line:
        return Line(code, "RR", None, "+", False, False, None, False,
                    {"sv_budget": label, "sv_accounts": "", "fi_budget": "", "fi_accounts": ""},
                    (), order)

    cat = Catalogue([line("A", "Bidrag", 0), line("B", "bidrag (+)", 1)])
    with pytest.raises(LabelError, match="tvetydig") as err:
        cat.resolve("Bidrag")
    assert err.value.candidates == ("A", "B")


def test_normalize_label() -> None:
    assert normalize_label("Poistoeron lisäys (-) tai vähennys (+)") == \
        "poistoeron lisäys (-) tai vähennys"
    assert normalize_label("Ränteutgifter (−)") == "ränteutgifter"


def test_binding_codes_of_the_resultatrakningsdel_are_those_of_v3() -> None:
    assert catalogue().binding_codes("RR") == {
        "RR.SKATT", "RR.SA", "RR.FIN.RI", "RR.FIN.OFI", "RR.FIN.RU", "RR.FIN.OFU",
        "RR.EXTRA.INK", "RR.EXTRA.UTG", "RR.BD.AVSD", "RR.BD.RES", "RR.BD.FOND",
    }
