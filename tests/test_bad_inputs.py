"""Bad input never gives a traceback or a silent zero (issue 9, spec V10).

For every case of the corpus (tests/bad_inputs.py): a finding names the rule, the sheet and,
where the problem is one cell, the cell, with a Swedish message; of the broken workbook only the
tool's own sheets are written (the Kontroll sheet with the current findings, issue 13), its input
is left byte for byte; the run is marked incomplete; the other workbooks are still refreshed.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from bad_inputs import CASES, Case, break_workbook

from workbook_templates.files.reader import workbook_structure
from workbook_templates.pipeline.refresh import refresh
from workbook_templates.schema import KOMMUN_OUTPUTS, NAMND_OUTPUTS


def _input_parts(path: Path) -> dict[str, bytes]:
    """Every zip entry but the owned sheets' XML (and what any write touches: the calculation
    flags in workbook.xml and the calc chain)."""
    with zipfile.ZipFile(path) as z:
        st = workbook_structure(z)
        owned = {s.part for s in st.sheets if s.name in (*KOMMUN_OUTPUTS, *NAMND_OUTPUTS)}
        skip = owned | {st.workbook_part, "xl/calcChain.xml"}
        return {n: z.read(n) for n in z.namelist() if n not in skip}


def _copy(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gives_a_located_finding_and_leaves_the_file_alone(
        case: Case, pristine: Path, tmp_path: Path) -> None:
    _copy(pristine, tmp_path)
    target = tmp_path / ("kommun.xlsx" if case.target == "kommun" else "social.xlsx")
    break_workbook(target, case)
    before = _input_parts(target)

    report = refresh([tmp_path], tmp_path / "kommun.xlsx")

    mine = [f for f in report.findings if f.rule == case.rule and f.location
            and f.location.workbook == target.name
            and (case.sheet is None or f.location.sheet == case.sheet)
            and (case.cell is None or f.location.cell == case.cell)
            and case.fragment in f.message]
    assert mine, [str(f) for f in report.findings if f.location
                  and f.location.workbook == target.name]
    assert all(len(f.message) > 20 for f in mine)
    status = {f.path.name: f.status for f in report.files}
    if case.input_error:
        assert _input_parts(target) == before
        assert status[target.name] == "input-errors"
        assert report.exit_code == 1
        assert not report.complete
    assert status["bildning.xlsx"] == "written"
