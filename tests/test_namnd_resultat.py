"""A committee's Resultat sheet: every task block adds up (audit 2026-12).

The block "driftsekonomidel per uppgift" showed only some of a task's lines (verksamhetsinkomster,
-utgifter, -bidrag, avskrivningar, resultat and the internal items) while its subtotals counted
every line: Lokalservice's ränteutgifter and the synthetic municipalities' tillverkning för eget
bruk were hidden, and the internal items stood between verksamhetsbidrag and the result without
being part of either. Here the rows are added up again from the sheet itself, independently of
the code that wrote them: each subtotal is the sum of the rows above it (internal items left
out), and the row with the internal items is its subtotal plus them, the figure the Budgetutfall
rows show for the task's net binding item.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from benchmarks.generate import generate_kommun
from benchmarks.run import exempel_from
from engine.budget import Budget, Finansiering, Uppgift, berakna
from engine.uppfoljning import bindande_poster, post_belopp
from workbook_templates.files.reader import open_workbook
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd
from workbook_templates.pipeline import outputs as O
from workbook_templates.pipeline.loader import NamndInput
from workbook_templates.pipeline.refresh import refresh

SUBTOTALS = ("Verksamhetsbidrag", "Årsbidrag", "Räkenskapsperiodens resultat",
             "Räkenskapsperiodens överskott (underskott)")
NOT_IN_RESULT = " (ingår inte i resultatet)"
#: the row of a net binding item with the internal items -> the subtotal it starts from
INCLUDING = {"Resultat inklusive interna poster": "Räkenskapsperiodens resultat",
             "Verksamhetsbidrag inklusive interna poster": "Verksamhetsbidrag"}
TITLE = ": driftsekonomidel per uppgift"

Block = list[tuple[str, list[Decimal]]]


def task_blocks(rows: list[list[object]]) -> tuple[list[str], dict[str, Block]]:
    """The year columns and the task blocks of a Resultat sheet's first table: the task's name
    -> its rows (label without the indentation, amounts)."""
    start = next(i for i, r in enumerate(rows) if isinstance(r[0], str) and r[0].endswith(TITLE))
    cols = [c for c in rows[start][1:] if c is not None]
    blocks: dict[str, Block] = {}
    current: Block | None = None
    for r in rows[start + 1:]:
        label = r[0] if r else None
        if not isinstance(label, str) or label == "Budgetutfall":
            break  # the table ends at the empty row before the next one
        if label.startswith("  "):
            assert current is not None, label
            current.append((label.strip(), [Decimal(v) for v in r[1:1 + len(cols)]]))
        else:  # "Lokalservice (balansenhet)"
            assert all(v is None for v in r[1:]), r
            current = blocks.setdefault(label.rsplit(" (", 1)[0], [])
    return cols, blocks


def assert_adds_up(task: str, block: Block) -> dict[str, list[Decimal]]:
    """Each subtotal is the running sum of the rows above it (the internal items left out); a
    row with the internal items is its subtotal plus them. Returns the rows by label."""
    n = len(block[0][1])
    running = [Decimal(0)] * n
    internal = [Decimal(0)] * n
    by_label: dict[str, list[Decimal]] = {}
    for label, values in block:
        assert label not in by_label, (task, label)
        by_label[label] = values
        if label in SUBTOTALS:
            assert values == running, (task, label, values, running)
        elif label.endswith(NOT_IN_RESULT):
            internal = [a + b for a, b in zip(internal, values, strict=True)]
        elif label in INCLUDING:
            base = by_label[INCLUDING[label]]
            assert values == [a + b for a, b in zip(base, internal, strict=True)], (task, label)
        else:
            running = [a + b for a, b in zip(running, values, strict=True)]
    assert "Verksamhetsbidrag" in by_label, task
    return by_label


# -- the demo ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[list[object]]]:
    """The example municipality refreshed as `make demo` does: each committee's Resultat rows."""
    folder = tmp_path_factory.mktemp("demo")
    ex = exempelkommun()
    kommun = new_kommun(folder / "kommun.xlsx", ex)
    paths = {n: new_namnd(folder / f"n{i}.xlsx", n, ex) for i, n in enumerate(ex.namndlista)}
    refresh([folder], kommun)
    out = {}
    for namnd, path in paths.items():
        with open_workbook(path) as r:
            out[namnd] = r.range("Resultat", "A1:H300").values()
    return out


def test_every_task_block_of_the_demo_adds_up(demo: dict[str, list[list[object]]]) -> None:
    ex = exempelkommun()
    b = berakna(ex.budget)
    seen = set()
    for namnd, rows in demo.items():
        cols, blocks = task_blocks(rows)
        assert set(blocks) == {u.namn for u in ex.budget.uppgifter if u.namnd == namnd}
        for task, block in blocks.items():
            shown = assert_adds_up(task, block)
            # and the result the block adds up to is the engine's
            assert shown["Räkenskapsperiodens resultat"] == list(b.uppgifter[task]["RR.RES"])
            seen.add(task)
    assert seen == {u.namn for u in ex.budget.uppgifter}

    # By hand, Budget 2025 (the audit's figures):
    # Lokalservice: 213 150 − 5 345 700 = −5 132 550 verksamhetsbidrag; − 123 600 ränteutgifter
    #   = −5 256 150 årsbidrag; − 1 668 600 avskrivningar = −6 924 750 resultat; + 6 000 000
    #   interna inkomster = −924 750, the result item of Budgetutfall.
    # Vattenverket: 3 451 000 − 2 420 500 = 1 030 500; − 154 500 = 876 000; − 906 400 = −30 400.
    # Förvaltning och ledning: 263 900 − 4 506 250 = −4 242 350 = resultat; the −400 000
    #   interna utgifter follow it and are not in it.
    cols, blocks = task_blocks(demo["Tekniska nämnden"])
    y = cols.index("Budget 2025")
    lokal = {label: v[y] for label, v in blocks["Lokalservice"]}
    assert [label for label, _ in blocks["Lokalservice"]] == [
        "Verksamhetsinkomster", "Verksamhetsutgifter", "Verksamhetsbidrag", "Ränteutgifter",
        "Årsbidrag", "Avskrivningar och nedskrivningar", "Räkenskapsperiodens resultat",
        "Interna inkomster (ingår inte i resultatet)", "Resultat inklusive interna poster"]
    assert lokal == {
        "Verksamhetsinkomster": 213_150, "Verksamhetsutgifter": -5_345_700,
        "Verksamhetsbidrag": -5_132_550, "Ränteutgifter": -123_600, "Årsbidrag": -5_256_150,
        "Avskrivningar och nedskrivningar": -1_668_600,
        "Räkenskapsperiodens resultat": -6_924_750,
        "Interna inkomster (ingår inte i resultatet)": 6_000_000,
        "Resultat inklusive interna poster": -924_750}
    vatten = {label: v[y] for label, v in blocks["Vattenverket"]}
    assert (vatten["Verksamhetsbidrag"], vatten["Ränteutgifter"], vatten["Årsbidrag"],
            vatten["Avskrivningar och nedskrivningar"],
            vatten["Räkenskapsperiodens resultat"]) == (1_030_500, -154_500, 876_000, -906_400,
                                                        -30_400)
    _, blocks = task_blocks(demo["Kommunstyrelsen"])
    forv = {label: v[y] for label, v in blocks["Förvaltning och ledning"]}
    assert forv["Räkenskapsperiodens resultat"] == -4_242_350
    assert forv["Interna utgifter (ingår inte i resultatet)"] == -400_000
    assert [label for label, _ in blocks["Förvaltning och ledning"]][-1] == \
        "Interna utgifter (ingår inte i resultatet)"  # a gross task: no net item to show


def test_a_net_items_row_is_its_budgetutfall_budget(demo: dict[str, list[list[object]]]) -> None:
    """The other balance unit is bound on its result including the internal items (seed
    §6.3.3.7, docs/BINDING.md), a net unit on its verksamhetsbidrag including them: the block's
    last row is the figure its Budgetutfall row shows (the demo changes neither budget, so the
    budget after changes is the budget). Budgetutfall follows 2025, the year after the last
    closed accounts."""
    ex = exempelkommun()
    year = f"Budget {ex.bokslutsar + 1}"
    checked = []
    for rows in demo.values():
        cols, blocks = task_blocks(rows)
        y = cols.index(year)
        head = next(i for i, r in enumerate(rows) if r and r[0] == "Budgetutfall")
        assert rows[head][1] == "Budget efter ändringar"
        for r in rows[head + 1:]:
            if not isinstance(r[0], str):
                break
            for suffix, base in ((" – resultat (netto)", "Räkenskapsperiodens resultat"),
                                 (" – netto", "Verksamhetsbidrag")):
                if r[0].endswith(suffix):
                    task = r[0].removesuffix(suffix)
                    shown = dict(blocks[task])
                    including = [k for k, v in INCLUDING.items() if v == base][0]
                    row = shown.get(including, shown[base])  # no internal items: the subtotal
                    assert row[y] == r[1], (task, row[y], r[1])
                    checked.append((task, row[y]))
                    break
    # Lokalservice: −6 924 750 + 6 000 000 = −924 750; Byggnadstillsyn: 456 750 − 531 480
    assert sorted(checked) == [("Byggnadstillsyn", -74_730), ("Lokalservice", -924_750)]


# -- any mix of lines ------------------------------------------------------------------------

def _task(namn: str, f: Finansiering, **lines: int) -> Uppgift:
    return Uppgift(namn, "N", f, {k.replace("_", "."): (Decimal(v), Decimal(v) + 1)
                                  for k, v in lines.items()})


def test_blocks_add_up_with_every_kind_of_line() -> None:
    """Lines the old block never showed (tillverkning för eget bruk, lager, financial and
    extraordinary items, bokslutsdispositioner) and internal items on every kind of task; the
    row with the internal items is the engine's amount of the task's net binding item."""
    tasks = (
        _task("Bf", Finansiering.BUDGETFINANSIERAD, RR_VI_FORS=100, RR_TEB=7, RR_LAGER=-3,
              RR_VU_TJ=-500, DR_INT_UTG=-40),
        _task("Bn", Finansiering.BUDGETFINANSIERAD, RR_VI_AVG=80, RR_VU_TJ=-300, DR_INT_INK=5,
              DR_INT_UTG=-20),
        _task("Ne", Finansiering.NETTOENHET, RR_VI_AVG=200, RR_VU_PERS_LON=-250, DR_INT_INK=30),
        _task("Be", Finansiering.BALANSENHET, RR_VI_HYRA=900, RR_VU_OVR=-400, RR_FIN_RI=2,
              RR_FIN_RU=-60, RR_AVS_PLAN=-150, RR_EXTRA_INK=11, RR_BD_RES=-25,
              DR_INT_INK=600, DR_INT_UTG=-70),
        _task("Av", Finansiering.AFFARSVERK, RR_VI_FORS=1000, RR_VU_MAT=-600, RR_FIN=-20,
              RR_AVS_PLAN=-100, DR_INT_INK=50),
    )
    budget = Budget("K", ("2025", "2026"), tasks)
    b = berakna(budget)
    n = NamndInput(path=Path("/x/n.xlsx"), namnd="N", uppgifter=list(tasks))
    n.principer = {"Bn": ("netto", "")}
    cols, blocks = task_blocks(O._namnd_rows(n, b, None, ["2025", "2026"]))
    shown = {t: assert_adds_up(t, block) for t, block in blocks.items()}
    # verksamhetsbidrag of Bf: 100 + 7 − 3 − 500 = −396; the −40 not in it
    assert shown["Bf"]["Verksamhetsbidrag"][0] == -396
    assert "Tillverkning för eget bruk" in shown["Bf"]
    assert "Förändring av lager av färdiga varor" in shown["Bf"]
    # Be: 900 − 400 = 500; + 2 − 60 = 442 årsbidrag; − 150 + 11 = 303 resultat; − 25 = 278
    # överskott; 303 + 600 − 70 = 833 the result item
    be = {k: v[0] for k, v in shown["Be"].items()}
    assert (be["Årsbidrag"], be["Räkenskapsperiodens resultat"],
            be["Räkenskapsperiodens överskott (underskott)"],
            be["Resultat inklusive interna poster"]) == (442, 303, 278, 833)
    assert "Finansiella inkomster och utgifter" in shown["Av"]  # given as the group alone
    assert not any(k in INCLUDING for k in (*shown["Bf"], *shown["Av"]))  # gross; enterprise
    items = {i.object: i for i in bindande_poster(b, n.principer)[1]
             if i.object in ("Bn", "Ne", "Be") and i.detalj in (None, "RR.RES")}
    for task, label in (("Bn", "Verksamhetsbidrag inklusive interna poster"),
                        ("Ne", "Verksamhetsbidrag inklusive interna poster"),
                        ("Be", "Resultat inklusive interna poster")):
        assert shown[task][label] == [post_belopp(items[task], b, i) for i in range(2)], task


def test_a_synthetic_municipalitys_blocks_add_up() -> None:
    """The benchmark's generated municipality (tillverkning för eget bruk and internal items
    on some units): every committee's blocks add up."""
    ex = exempel_from(generate_kommun("small", seed=3))
    b = berakna(ex.budget)
    cols = list(ex.budget.years)
    namnder: dict[str, list[Uppgift]] = {}
    for u in ex.budget.uppgifter:
        namnder.setdefault(u.namnd, []).append(u)
    teb = 0
    for namnd, tasks in namnder.items():
        n = NamndInput(path=Path(f"/x/{namnd}.xlsx"), namnd=namnd, uppgifter=tasks)
        _, blocks = task_blocks(O._namnd_rows(n, b, None, cols))
        assert set(blocks) == {u.namn for u in tasks}
        for task, block in blocks.items():
            teb += "Tillverkning för eget bruk" in assert_adds_up(task, block)
    assert teb > 0  # the line the audit found hidden is there and counted
