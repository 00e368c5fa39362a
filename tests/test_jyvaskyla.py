"""Jyväskylä 2018 accounts reproduced to the cent from the leaf lines (issue 2).

The published Finnish labels are used as given: the catalogue must map each of them to exactly one
line. Every published subtotal is then checked against the engine's value for that line.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from engine.catalogue import catalogue
from engine.money import excel_round
from engine.ratios import nyckeltal
from engine.statements import compute, finansieringsdel

# A copy of shared/spec/testdata/jyvaskyla-2018.json (the published accounts), kept in the repo
# so the test never silently skips.
DATA = Path(__file__).resolve().parent / "data" / "jyvaskyla-2018.json"


@pytest.fixture(scope="module")
def data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def _given(lines: list[list[str]], parts: tuple[str, ...]) -> dict[str, tuple[Decimal]]:
    cat = catalogue()
    out: dict[str, tuple[Decimal]] = {}
    for label, amount in lines:
        code = cat.resolve(label, parts)
        assert code not in out, f"{label} mapped to {code} twice"
        out[code] = (Decimal(amount),)
    return out


def test_tuloslaskelma_subtotals_to_the_cent(data: dict) -> None:
    tl = data["tuloslaskelma_2018"]
    st = compute(_given(tl["lines"], ("RR",)), [2018], ("RR",))
    assert st.findings == ()
    cat = catalogue()
    for label, amount in tl["published_subtotals"].items():
        code = cat.resolve(label, ("RR",))
        assert st.get(code) == Decimal(amount), label


def test_rahoituslaskelma_subtotals_and_cash_reconciliation(data: dict) -> None:
    rl = data["rahoituslaskelma_2018"]
    given = _given(rl["lines"], ("FD",))
    for label, amount in rl["cash"].items():
        given[catalogue().resolve(label)] = (Decimal(amount),)
    st = finansieringsdel(given, [2018], accounts=True)
    assert st.findings == ()
    for label, amount in rl["published_subtotals"].items():
        assert st.get(catalogue().resolve(label, ("FD",))) == Decimal(amount), label


def test_rahoituslaskelma_vuosikate_transfer_agrees_with_tuloslaskelma(data: dict) -> None:
    # Both statements together: FD.VK.AB is given (49 051 244,59) and also computed from the
    # income statement's leaves; V4 says they must agree to the cent -> no finding.
    given = _given(data["tuloslaskelma_2018"]["lines"], ("RR",))
    given.update(_given(data["rahoituslaskelma_2018"]["lines"], ("FD",)))
    st = finansieringsdel(given, [2018])
    assert [f for f in st.findings if f.rule == "V4"] == []
    assert st.get("FD.VK.AB") == Decimal("49051244.59")


def test_published_ratios_at_published_rounding(data: dict) -> None:
    tl = data["tuloslaskelma_2018"]
    st = compute(_given(tl["lines"], ("RR",)), [2018], ("RR",))
    # Population 31.12.2018 is not in the test data; Statistics Finland gives 141 305 for
    # Jyväskylä. 49 051 244,59 / 141 305 = 347,13 -> published 347.
    ratios = nyckeltal(st, year=0, invanare=141305)
    pub = tl["published_ratios"]
    assert excel_round(ratios["Verksamhetsinkomster / verksamhetsutgifter, %"].value, 1) == Decimal(
        pub["Toimintatuotot / toimintakulut, %"]
    )
    assert excel_round(ratios["Årsbidrag / avskrivningar, %"].value, 1) == Decimal(
        pub["Vuosikate / poistot ja arvonalentumiset, %"]
    )
    assert excel_round(ratios["Årsbidrag, €/inv"].value, 0) == Decimal(pub["Vuosikate, €/asukas"])
