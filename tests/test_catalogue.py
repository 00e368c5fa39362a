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


def _line(code: str, label: str, order: int) -> Line:
    """A bare RR line with a Swedish budget label only (for building a catalogue by hand)."""
    return Line(code, "RR", None, "+", False, False, None, False,
                {"sv_budget": label, "sv_accounts": "", "fi_budget": "", "fi_accounts": ""},
                (), order)


def test_a_label_matching_two_lines_is_an_error_never_a_guess() -> None:
    cat = Catalogue([_line("A", "Bidrag", 0), _line("B", "bidrag (+)", 1)])
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


# --- issue 14: official wordings, published variants, signs --------------------------------------

#: JHS 192 liite 1, kunnan ja kuntayhtymän tuloslaskelma, every line as worded there
#: (http://docs.jhs-suositukset.fi/jhs-suositukset/JHS192_liite1/JHS192_liite1.html).
JHS192_TULOSLASKELMA = {
    "Toimintatuotot": "RR.VI", "Myyntituotot": "RR.VI.FORS", "Maksutuotot": "RR.VI.AVG",
    "Tuet ja avustukset": "RR.VI.UND", "Muut toimintatuotot": "RR.VI.OVR",
    "Valmistus omaan käyttöön": "RR.TEB", "Toimintakulut": "RR.VU",
    "Henkilöstökulut": "RR.VU.PERS", "Palkat ja palkkiot": "RR.VU.PERS.LON",
    "Henkilösivukulut": "RR.VU.PERS.LBK", "Eläkekulut": "RR.VU.PERS.LBK.PENS",
    "Muut henkilösivukulut": "RR.VU.PERS.LBK.OVR", "Palvelujen ostot": "RR.VU.TJ",
    "Aineet, tarvikkeet ja tavarat": "RR.VU.MAT", "Avustukset": "RR.VU.UND",
    "Muut toimintakulut": "RR.VU.OVR", "Toimintakate": "RR.VB", "Verotulot": "RR.SKATT",
    "Valtionosuudet": "RR.SA", "Rahoitustuotot ja -kulut": "RR.FIN", "Korkotuotot": "RR.FIN.RI",
    "Muut rahoitustuotot": "RR.FIN.OFI", "Korkokulut": "RR.FIN.RU",
    "Muut rahoituskulut": "RR.FIN.OFU", "Vuosikate": "RR.AB",
    "Poistot ja arvonalentumiset": "RR.AVS", "Suunnitelman mukaiset poistot": "RR.AVS.PLAN",
    "Arvonalentumiset": "RR.AVS.NED", "Satunnaiset erät": "RR.EXTRA",
    "Satunnaiset tuotot": "RR.EXTRA.INK", "Satunnaiset kulut": "RR.EXTRA.UTG",
    "Tilikauden tulos": "RR.RES", "Poistoeron lisäys (-) tai vähennys (+)": "RR.BD.AVSD",
    "Varausten lisäys (-) tai vähennys (+)": "RR.BD.RES",
    "Rahastojen lisäys (-) tai vähennys (+)": "RR.BD.FOND",
    "Tilikauden ylijäämä (alijäämä)": "RR.OVERSKOTT",
}

#: The rahoituslaskelma as worded in JHS 192 liite 9 / JHS 207 liite 8 (singular "lisäys" and
#: "vähennys"; http://docs.jhs-suositukset.fi/jhs-suositukset/JHS207_liite8/JHS207_liite8.html).
JHS_RAHOITUSLASKELMA = {
    "Toiminnan rahavirta": "FD.VK", "Tulorahoituksen korjauserät": "FD.VK.KORR",
    "Investointien rahavirta": "FD.IK", "Investointimenot": "FD.IK.UTG",
    "Rahoitusosuudet investointimenoihin": "FD.IK.FA",
    "Pysyvien vastaavien hyödykkeiden luovutustulot": "FD.IK.FORS",
    "Toiminnan ja investointien rahavirta": "FD.VIK", "Rahoituksen rahavirta": "FD.FK",
    "Antolainauksen muutokset": "FD.UTL", "Antolainasaamisten lisäys": "FD.UTL.OKN",
    "Antolainasaamisten vähennys": "FD.UTL.MIN", "Lainakannan muutokset": "FD.LAN",
    "Pitkäaikaisten lainojen lisäys": "FD.LAN.OKL", "Pitkäaikaisten lainojen vähennys":
    "FD.LAN.MINL", "Lyhytaikaisten lainojen muutos": "FD.LAN.KORT",
    "Oman pääoman muutokset": "FD.EK", "Muut maksuvalmiuden muutokset": "FD.OVR",
    "Toimeksiantojen varojen ja pääomien muutokset": "FD.OVR.UPPDRAG",
    "Vaihto-omaisuuden muutos": "FD.OVR.OMS", "Saamisten muutos": "FD.OVR.FORDR",
    "Korottomien velkojen muutos": "FD.OVR.RSKULD", "Rahavarojen muutos": "FD.INV",
    "Rahavarat 31.12.": "BAL.LIKV", "Rahavarat 1.1.": "BAL.LIKV.START",
}


@pytest.mark.parametrize(("label", "code"), sorted(JHS192_TULOSLASKELMA.items()))
def test_jhs192_tuloslaskelma_wording(label: str, code: str) -> None:
    assert catalogue().resolve(label, ("RR",)) == code


@pytest.mark.parametrize(("label", "code"), sorted(JHS_RAHOITUSLASKELMA.items()))
def test_jhs_rahoituslaskelma_wording_singular_and_plural(label: str, code: str) -> None:
    assert catalogue().resolve(label, ("FD", "BAL")) == code


@pytest.mark.parametrize(("label", "code"), [
    ("Antolainasaamisten lisäykset", "FD.UTL.OKN"),  # Jyväskylä 2018
    ("Antolainasaamisten vähennykset", "FD.UTL.MIN"),
    ("Rahoitustuotot- ja kulut", "RR.FIN"),  # Jyväskylä 2018, as printed
    ("Vuokratuotot", "RR.VI.HYRA"), ("Vuokrakulut", "RR.VU.HYRA"),  # Helsinki 2019
    ("Hyresintäkter", "RR.VI.HYRA"), ("Hyreskostnader", "RR.VU.HYRA"),
    ("Rahavarat  31.12.", "BAL.LIKV"), ("RAHAVAROJEN MUUTOS", "FD.INV"),
    ("Ökning av utlåning", "FD.UTL.OKN"), ("Minskning av utlåning", "FD.UTL.MIN"),
    ("Korrektivposter i inkomstfinansieringen", "FD.VK.KORR"),
    ("KASSAFLÖDE FRÅN FINANSIERING", "FD.FK"), ("ÄNDRING AV LIKVIDA MEDEL", "FD.INV"),
    ("Tilikauden ylijäämä/alijäämä (-)", "RR.OVERSKOTT"),
    ("Toimintakulut yhteensä", "RR.VU"), ("Verksamhetsinkomster, totalt", "RR.VI"),
    ("Henkilöstökulut yht.", "RR.VU.PERS"),
])
def test_published_variants(label: str, code: str) -> None:
    assert catalogue().resolve(label) == code


def test_no_label_of_the_shipped_catalogue_is_ambiguous() -> None:
    # every wording and alias names one line (or a line and its transfers, which are one amount)
    cat = catalogue()
    for line in cat.lines.values():
        for text in (*line.labels.values(), *line.aliases):
            if text:
                code = cat.resolve(text)
                assert code in (line.code, line.source), (text, code, line.code)


def test_a_total_word_does_not_make_an_ambiguous_label_unambiguous() -> None:
    cat = Catalogue([_line("A", "Bidrag", 0), _line("B", "Bidrag (+)", 1)])
    with pytest.raises(LabelError, match="tvetydig"):
        cat.resolve("Bidrag yhteensä")


def test_signs_of_computed_lines_follow_their_children() -> None:
    """A sum of income lines is income, of cost lines a cost; a sum that mixes them (a net line)
    or contains a line of either sign is marked ± (it may legitimately take either sign)."""
    cat = catalogue()
    for line in cat.lines.values():
        assert line.sign in ("+", "-", "±"), line.code
        kids = cat.children(line.code)
        if not kids:
            continue
        signs = {cat[k].sign for k in kids}
        expected = signs.pop() if len(signs) == 1 else "±"
        assert line.sign == expected, (line.code, line.sign, expected)
