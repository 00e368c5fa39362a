"""Issue 15, import-utfall: bounded fields and lines, impossible dates, all-or-none writes
(points 5 and 9)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from test_import_utfall import _mappning

from engine.findings import Severity
from workbook_templates.files.ledger_io import MAX_KEY_CHARS, MAX_LINE_BYTES, read_ledger
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd
from workbook_templates.pipeline import import_utfall as iu
from workbook_templates.pipeline.import_utfall import import_utfall
from workbook_templates.pipeline.refresh import FileReport

SHORT = 400
HEADER = "Konto;Kostnadsställe;Period;Belopp"


@pytest.fixture()
def municipality(tmp_path: Path) -> Path:
    ex = exempelkommun()
    new_kommun(tmp_path / "kommun.xlsx", ex)
    new_namnd(tmp_path / "social.xlsx", "Socialnämnden", ex)
    new_namnd(tmp_path / "bildning.xlsx", "Bildningsnämnden", ex)
    return tmp_path


def _csv(path: Path, *lines: str) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.xlsx")}


# ---------------------------------------------------------------------------------------------
# 9. Bad fields are quoted as short excerpts; lines and fields are bounded


def test_10_mb_amount_field_gives_a_short_message(tmp_path: Path) -> None:
    big = "9" * 900_000 + "x"  # under the line bound: reaches the amount parser
    read = read_ledger(_csv(tmp_path / "e.csv", "4000;3100;1;100,00", f"4000;3100;2;{big}"))
    bad = [f for f in read.findings if f.location and f.location.cell == "D3"]
    assert bad and bad[0].severity is Severity.ERROR
    assert all(len(f.message) < SHORT for f in read.findings)


@pytest.mark.parametrize("size", [10 << 20, MAX_LINE_BYTES + 1])
def test_overlong_line_refuses_the_export_with_a_located_short_finding(
    tmp_path: Path, size: int
) -> None:
    path = tmp_path / "e.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER + "\n4000;3100;1;100,00\n4000;3100;2;")
        f.write("7" * size)
        f.write("\n4000;3100;3;1,00\n")
    read = read_ledger(path)
    assert read.rows_read == 0 and len(read.frame) == 0
    errors = [f for f in read.findings if f.severity is Severity.ERROR]
    assert len(errors) == 1 and errors[0].location.cell == "A3"
    assert "rad 3" in errors[0].message.lower()
    assert all(len(f.message) < SHORT for f in read.findings)


@pytest.mark.parametrize("column", ["konto", "kst"])
def test_40000_character_key_is_a_located_finding_and_cut(tmp_path: Path, column: str) -> None:
    long = "3" * 40_000
    row = f"{long};3100;1;5,00" if column == "konto" else f"4000;{long};1;5,00"
    read = read_ledger(_csv(tmp_path / "e.csv", "4000;3100;1;100,00", row))
    cell = "A3" if column == "konto" else "B3"
    mine = [f for f in read.findings if f.location and f.location.cell == cell]
    assert mine and mine[0].severity is Severity.ERROR
    assert all(len(f.message) < SHORT for f in read.findings)
    col = "konto" if column == "konto" else "kostnadsstalle"
    assert max(len(str(v)) for v in read.frame[col]) <= MAX_KEY_CHARS + 20
    assert read.frame["belopp"].sum() == 10_500  # the row's amount still counts (as unmapped)


@pytest.mark.parametrize("date", ["2025-02-30", "30.2.2025", "2025-04-31", "2025-13-01"])
def test_impossible_date_is_a_located_finding(tmp_path: Path, date: str) -> None:
    read = read_ledger(_csv(tmp_path / "e.csv", "4000;3100;2025-03-31;100,00",
                            f"4000;3100;{date};5,00"))
    mine = [f for f in read.findings if f.location and f.location.cell == "C3"]
    assert mine and mine[0].severity is Severity.ERROR, [str(f) for f in read.findings]
    # the bad row is booked to no month (period 0: reported as unmapped, never silently in one)
    assert list(read.frame["period"]) == [3, 0]


def test_valid_dates_are_still_read(tmp_path: Path) -> None:
    read = read_ledger(_csv(tmp_path / "e.csv", "4000;3100;2024-02-29;1,00",
                            "4000;3100;31.12.2025;2,00", "4000;3100;2025-03;3,00"))
    assert not [f for f in read.findings if f.severity is Severity.ERROR]
    assert sorted(read.frame["period"]) == [2, 3, 12]


# ---------------------------------------------------------------------------------------------
# 5. A 40,000-character cost centre does not abort the import half-way; all or none


def test_import_with_a_40000_character_cost_centre_writes_every_workbook(
    municipality: Path,
) -> None:
    export = _csv(municipality / "export.csv", "4000;3100;1;1000,00", "4000;4100;2;10,00",
                  f"4000;{'9' * 40_000};3;5,00")
    # no cost-centre rules: the cost centre is the unit, so the long one would be written as one
    mapping = municipality / "mappning.csv"
    _mappning(mapping)
    mapping.write_text("\n".join(ln for ln in mapping.read_text(encoding="utf-8").splitlines()
                                 if not ln.startswith("kst;")) + "\n", encoding="utf-8")
    result = import_utfall(export, mapping, municipality / "kommun.xlsx")
    assert {f.path.name: f.status for f in result.files} == {
        "bildning.xlsx": "written", "social.xlsx": "written", "kommun.xlsx": "written"}
    assert all(len(f.message) < SHORT for f in result.findings)
    assert any(f.location and f.location.cell == "B4" for f in result.findings)


def test_import_writes_nothing_when_a_committee_workbook_cannot_be_read(
    municipality: Path,
) -> None:
    """A committee workbook that cannot be read: its tasks' outturn would silently land in the
    municipality workbook. Nothing is written, and the finding says why."""
    (municipality / "trasig.xlsx").write_bytes(b"inte en arbetsbok")
    before = _digests(municipality)
    export = _csv(municipality / "export.csv", "4000;3100;1;1000,00")
    result = import_utfall(export, _mappning(municipality / "mappning.csv"),
                           municipality / "kommun.xlsx")
    assert _digests(municipality) == before
    assert result.exit_code == 2
    assert any("trasig.xlsx" in f.message and "Inget" in f.message for f in result.findings)
    assert not [f for f in result.files if f.status == "written"]


def test_import_that_fails_half_way_says_exactly_which_were_written(
    municipality: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = iu.write_owned

    def write_owned(path, *args, **kwargs):
        if path.name == "social.xlsx":
            raise RuntimeError("simulated bug in the middle of the import")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(iu, "write_owned", write_owned)
    export = _csv(municipality / "export.csv", "4000;3100;1;1000,00")
    result = import_utfall(export, _mappning(municipality / "mappning.csv"),
                           municipality / "kommun.xlsx")
    status = {f.path.name: f.status for f in result.files}
    assert status == {"bildning.xlsx": "written", "social.xlsx": "error",
                      "kommun.xlsx": "written"}
    summary = [f for f in result.findings if "delvis" in f.message]
    assert len(summary) == 1
    assert "bildning.xlsx" in summary[0].message and "social.xlsx" in summary[0].message
    assert result.exit_code == 2
    assert isinstance(result.files[0], FileReport)
