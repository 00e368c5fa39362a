"""Every KB_ function through xlwings' own Windows UDF path, as Excel calls it (pywin32 stubbed).

``tests/xlwings_windows.py`` decorates the add-in with the real ``xlfunc``/``xlarg``/``xlret`` and
calls :func:`xlwings.udfs.call_udf` with COM-shaped arguments; it runs in a subprocess so that its
stubs never reach the rest of the session. What this guards: xlwings' Windows ``xlfunc`` reads a
UDF's type hints as converters, so a hint such as ``object`` or ``Any`` made every function fail in
Excel with a Python error while the Linux tests (where the decorators are no-ops) passed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from addin import udfs as U

HARNESS = Path(__file__).resolve().parent / "xlwings_windows.py"
ROOT = HARNESS.parents[1]


def _excel(calls: list[list[object]]) -> list[dict[str, Any]]:
    proc = subprocess.run([sys.executable, str(HARNESS)], input=json.dumps(calls), text=True,
                          capture_output=True, cwd=ROOT, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _rng(rows: list[list[object]]) -> dict[str, object]:
    return {"range": rows}


def _cells(value: object) -> list[list[object]]:
    """A direct call's result as xlwings writes it to the cells: always rows of cells."""
    if isinstance(value, list):
        return [list(r) if isinstance(r, list) else [r] for r in value]
    return [[value]]


RADER = [["Verksamhetsinkomster"], ["Verksamhetsutgifter"], ["Skatteinkomster"],
         ["Avskrivningar enligt plan"], ["Investeringsutgifter"], ["Förändring av reserver"]]
BELOPP = [[150.0, 160.0], [-600.0, -610.0], [500.0, 520.0], [-40.0, -45.0], [-30.0, None],
          [-2.0, 3.0]]
MISSING = {"missing": True}
KFN = "Kultur- och fritidsnämnden"
RB = [["Nämnd", "Resultatenhet", "Central", "Budget", "Utfall", "Måluppfyllelse",
       "Nämndens måluppfyllelse"],
      [KFN, "A", "nej", -10000.0, -9100.0, "ja", "ja"],
      [KFN, "B", None, -5000.0, -5300.0, "ja", None]]


def _direct_and_excel() -> list[tuple[str, tuple[object, ...], tuple[object, ...]]]:
    """(function, arguments for a direct call, arguments as Excel passes them)."""
    table = {"caller": _cells(U.KB_RESULTATRAKNING(RADER, BELOPP))}
    fin = {"caller": _cells(U.KB_FINANSIERINGSDEL(RADER, BELOPP))}
    from addin.udfs_resultatbalansering import (
        KB_RESULTATBALANSERING,
        KB_RESULTATBALANSERING_NAMND,
    )
    rb = {"caller": _cells(KB_RESULTATBALANSERING(RB))}
    rbn = {"caller": _cells(KB_RESULTATBALANSERING_NAMND(RB))}
    r, b = _rng(RADER), _rng(BELOPP)
    return [
        ("KB_VERKSAMHETSBIDRAG", (RADER, BELOPP), (r, b)),
        ("KB_ARSBIDRAG", (RADER, BELOPP), (r, b)),
        ("KB_RESULTAT", (RADER, BELOPP), (r, b)),
        ("KB_OVERSKOTT", (RADER, BELOPP), (r, b)),
        ("KB_INVERKAN_LIKVIDITET", (RADER, BELOPP), (r, b)),
        ("KB_RESULTATRAKNING", (RADER, BELOPP), (r, b, table)),
        ("KB_FINANSIERINGSDEL", (RADER, BELOPP), (r, b, fin)),
        ("KB_NYCKELTAL", ("Årsbidrag, €/inv", RADER, BELOPP, 10.0),
         ("Årsbidrag, €/inv", r, b, 10.0)),
        ("KB_TACKNINGSAR", (2016.0,), (2016.0, MISSING)),
        ("KB_AVVIKELSE", (-1000.0, -1100.0, [[-50.0], [None]]),
         (_rng([[-1000.0]]), _rng([[-1100.0]]), _rng([[-50.0], [None]]))),
        ("KB_BINDNING_STATUS", ("brutto", "anslag", -1000.0, -1100.0),
         ("brutto", "anslag", _rng([[-1000.0]]), _rng([[-1100.0]]), MISSING, MISSING, MISSING)),
        ("KB_RESULTATBALANSERING", (RB,), (_rng(RB), MISSING, rb)),
        ("KB_RESULTATBALANSERING_NAMND", (RB,), (_rng(RB), MISSING, rbn)),
    ]


def test_every_kb_function_gives_in_excel_what_it_gives_directly() -> None:
    cases = _direct_and_excel()
    registered = {n for n in dir(U) if n.startswith("KB_")}
    assert {name for name, _, _ in cases} == registered  # a new function needs a case here
    results = _excel([[name, *excel] for name, _, excel in cases])
    for (name, direct, _), got in zip(cases, results, strict=True):
        assert "exception" not in got, f"{name}:\n{got.get('exception')}"
        assert got["value"] == _cells(getattr(U, name)(*direct)), name


def test_sign_refusals_and_error_cells_through_the_excel_path() -> None:
    # issue 14: costs typed positive are refused, not added (1 000 and 5 000 gave +6 000)
    calls = [
        ["KB_VERKSAMHETSBIDRAG", _rng([["Verksamhetsinkomster"], ["Verksamhetsutgifter"]]),
         _rng([[1000.0], [5000.0]])],
        ["KB_VERKSAMHETSBIDRAG", _rng([["Verksamhetsinkomster"], ["Verksamhetsutgifter"]]),
         _rng([[1000.0], [-5000.0]])],
        ["KB_BINDNING_STATUS", "brutto", "anslag", _rng([[1000.0]]), _rng([[1100.0]]),
         MISSING, MISSING, MISSING],
        ["KB_BINDNING_STATUS", "netto", "netto", _rng([[-1000.0]]), _rng([[1050.0]]),
         MISSING, MISSING, MISSING],
        ["KB_BINDNING_STATUS", "brutto", "beräknad inkomst", _rng([[500.0]]), _rng([[450.0]]),
         MISSING, MISSING, MISSING],
        # an error cell (#REF! is -2146826265 over COM) reaches the function as text
        ["KB_ARSBIDRAG", _rng([["Skatteinkomster"], ["Statsandelar"]]),
         _rng([[1.0], [{"error": -2146826265}]])],
    ]
    got = [r.get("value", r.get("exception")) for r in _excel(calls)]
    assert got[0][0][0].startswith("#KB: rad 2: Verksamhetsutgifter")
    assert got[1] == [[-4000.0]]
    assert got[2][0][0].startswith("#KB: Anslaget: budget")
    assert got[3][0][0].startswith("#KB: Posten har olika tecken")
    assert got[4] == [["beräknad inkomst underskrids – kräver budgetändring i fullmäktige"]]
    assert got[5][0][0].startswith("#KB:") and "#REF!" in got[5][0][0]


@pytest.mark.parametrize("module", ["addin.udfs", "addin.udfs_binding",
                                    "addin.udfs_resultatbalansering"])
def test_no_kb_function_carries_type_hints_at_run_time(module: str) -> None:
    import importlib

    mod = importlib.import_module(module)
    for name in (n for n in dir(mod) if n.startswith("KB_")):
        assert getattr(mod, name).__annotations__ == {}, f"{module}.{name}"
