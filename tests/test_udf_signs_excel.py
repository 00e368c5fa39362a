"""Issue 14's sign refusals through xlwings' real Windows UDF path (``tests/xlwings_windows.py``):
what Excel shows in the cell, not only what the Python function returns."""

from __future__ import annotations

from tests.xlwings_windows import ERRORS, MISSING, XlwingsWindows, cell, column, one


def test_costs_typed_positive_are_refused_in_the_cell(xl: XlwingsWindows) -> None:
    # inkomster 1 000 and utgifter 5 000 gave +6 000; now a #KB naming the row, or −4 000
    rader = column(["Verksamhetsinkomster", "Verksamhetsutgifter"])
    refused = one(xl.call("KB_VERKSAMHETSBIDRAG", rader, column([1000.0, 5000.0])))
    assert isinstance(refused, str) and refused.startswith("#KB: rad 2: Verksamhetsutgifter")
    assert one(xl.call("KB_VERKSAMHETSBIDRAG", rader, column([1000.0, -5000.0]))) == -4000.0


def test_binding_status_refuses_signs_against_the_kind(xl: XlwingsWindows) -> None:
    def status(princip: str, slag: str, budget: float, utfall: float) -> object:
        return one(xl.call("KB_BINDNING_STATUS", princip, slag, cell(budget), cell(utfall),
                           MISSING, MISSING, MISSING))

    assert str(status("brutto", "anslag", 1000.0, 1100.0)).startswith("#KB: Anslaget: budget")
    assert str(status("netto", "netto", -1000.0, 1050.0)).startswith(
        "#KB: Posten har olika tecken")
    assert str(status("brutto", "beräknad inkomst", -500.0, -450.0)).startswith(
        "#KB: Beräknad inkomst: budget")
    assert status("brutto", "beräknad inkomst", 500.0, 450.0) == \
        "beräknad inkomst underskrids – kräver budgetändring i fullmäktige"
    refused = one(xl.call("KB_BINDNING_STATUS", "brutto", "anslag", cell(1000.0),
                          cell(1100.0), MISSING, MISSING, "positiva utgifter"))
    assert str(refused).startswith("#KB: tecken: 'positiva utgifter' finns inte längre")
    assert str(one(xl.call("KB_AVVIKELSE", cell(-1000.0), cell(1050.0), MISSING))).startswith(
        "#KB: Posten har olika tecken")


def test_a_heading_row_is_skipped_and_an_unlabelled_total_refused(xl: XlwingsWindows) -> None:
    rader = column(["Henkilösivukulut", "Eläkekulut", "Muut henkilösivukulut"])
    assert one(xl.call("KB_VERKSAMHETSBIDRAG", rader, column([None, -60.0, -11.0]))) == -71.0
    rader = column(["Eläkekulut", None])
    refused = one(xl.call("KB_VERKSAMHETSBIDRAG", rader, column([-60.0, -60.0])))
    assert str(refused).startswith("#KB: rad 2 har belopp men ingen radbeteckning")
    # an error cell is still an error, not a heading
    rader = column(["Eläkekulut", "Palkat ja palkkiot"])
    bad = one(xl.call("KB_VERKSAMHETSBIDRAG", rader, column([-60.0, ERRORS["#REF!"]])))
    assert str(bad).startswith("#KB:") and "#REF!" in str(bad)
