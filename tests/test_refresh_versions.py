"""A refresh writes its results only into the version of a workbook it read (audit, session 7).

A refresh reads every workbook, computes, and then writes each one. A controller who saves a
committee workbook in that window (a central refresh takes seconds; a colleague's
``import-utfall`` writes *Bokfört utfall* into the same files) made the refresh patch results
computed from the old inputs into the new version: its Resultat sheet then disagreed with its
own tables, reported as ``written``, with no finding. Now the write compares the file with the
version read (a digest of its bytes) and writes nothing into another version; a file that
changed while it was being read is not counted at all (what was read may mix two versions).
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from workbook_templates.files import fileops
from workbook_templates.files.xlsx_writer import WriteStatus, write_cells
from workbook_templates.pipeline import refresh as refresh_module
from workbook_templates.pipeline.refresh import refresh


@pytest.fixture()
def folder(pristine: Path, tmp_path: Path) -> Path:
    d = tmp_path / "wb"
    shutil.copytree(pristine, d)
    return d


def _save_new_version(path: Path) -> bytes:
    """What a controller's save does: a new figure typed on an input sheet (a committee's
    Driftsbudget F5: Äldreomsorg, löner, Budget 2026; a note on the municipality's
    instructions), the file replaced. Returns the new bytes."""
    change = ({"Instruktioner": {"H40": "sparad"}} if path.name == "kommun.xlsx"
              else {"Driftsbudget": {"F5": Decimal("-123456")}})
    result = write_cells(path, change, backups=0)
    assert result.status is WriteStatus.WRITTEN
    return path.read_bytes()


def test_a_workbook_saved_between_the_read_and_the_write_is_not_written(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    social = folder / "social.xlsx"
    saved: list[bytes] = []
    compute = refresh_module.compute_outputs

    def compute_then_save(*args: object, **kwargs: object) -> object:
        out = compute(*args, **kwargs)
        if not saved:
            saved.append(_save_new_version(social))  # after the read, before the write
        return out

    monkeypatch.setattr(refresh_module, "compute_outputs", compute_then_save)
    report = refresh([folder], folder / "kommun.xlsx")
    status = {r.path.name: r.status for r in report.files}
    assert status == {"kommun.xlsx": "written", "social.xlsx": "error",
                      "bildning.xlsx": "written"}
    # before: "written", the old inputs' results patched into the new version
    assert social.read_bytes() == saved[0]
    [mine] = [r for r in report.files if r.path.name == "social.xlsx"]
    assert any("ändrades efter att den lästes" in f.message for f in mine.findings)
    assert report.exit_code == 2
    # the next refresh reads the saved version and writes it
    again = refresh([folder], folder / "kommun.xlsx")
    assert {r.path.name: r.status for r in again.files}["social.xlsx"] == "written"


@pytest.mark.parametrize("name", ["social.xlsx", "kommun.xlsx"])
def test_a_workbook_that_changed_while_it_was_read_is_not_counted(
    folder: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    target = folder / name
    saved: list[bytes] = []
    reader = "read_kommun" if name == "kommun.xlsx" else "read_namnd"
    read = getattr(refresh_module, reader)

    def read_then_save(source: object, *args: object, **kwargs: object) -> object:
        out = read(source, *args, **kwargs)
        if Path(getattr(source, "path", source)) == target and not saved:
            saved.append(_save_new_version(target))  # the gate and the reader saw another
        return out

    monkeypatch.setattr(refresh_module, reader, read_then_save)
    report = refresh([folder], folder / "kommun.xlsx")
    [mine] = [r for r in report.files if r.path.name == name]
    assert mine.status == "error"
    assert any("ändrades medan den lästes" in f.message for f in mine.findings)
    assert target.read_bytes() == saved[0]  # not written
    assert not report.complete
    assert report.exit_code == 2


def test_write_cells_writes_only_the_version_it_was_given(tmp_path: Path, pristine: Path) -> None:
    path = tmp_path / "social.xlsx"
    shutil.copy(pristine / "social.xlsx", path)
    read = fileops.ReadVersion.of(path.read_bytes())
    new = _save_new_version(path)
    stale = write_cells(path, {"Kontroll": {"A3": "x"}}, backups=0, read_version=read)
    assert stale.status is WriteStatus.ERROR and path.read_bytes() == new
    assert "ändrades efter att den lästes" in stale.findings[0].message
    fresh = write_cells(path, {"Kontroll": {"A3": "x"}}, backups=0,
                        read_version=fileops.ReadVersion.of(new))
    assert fresh.status is WriteStatus.WRITTEN


def test_a_version_that_differs_only_in_the_sheets_this_write_replaces_is_written(
    tmp_path: Path, pristine: Path
) -> None:
    """Another refresh wrote the same owned sheets meanwhile (two runs at once): the inputs are
    the version read, so this write goes on; a change on any other sheet stops it."""
    path = tmp_path / "social.xlsx"
    shutil.copy(pristine / "social.xlsx", path)
    read = fileops.ReadVersion.of(path.read_bytes())
    other_run = write_cells(path, {"Kontroll": {"A3": "another run"}}, backups=0)
    assert other_run.status is WriteStatus.WRITTEN
    ours = write_cells(path, {"Kontroll": {"A3": "this run"}}, backups=0, read_version=read)
    assert ours.status is WriteStatus.WRITTEN
    # the same other run, but our write does not replace the sheet it changed: stopped
    path.write_bytes(b"")
    shutil.copy(pristine / "social.xlsx", path)
    write_cells(path, {"Kontroll": {"A3": "another run"}}, backups=0)
    ours = write_cells(path, {"Resultat": {"A3": "this run"}}, backups=0, read_version=read)
    assert ours.status is WriteStatus.ERROR


def test_an_import_writes_a_committees_outturn_only_into_the_version_it_read(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import splits the export by each committee's tasks as it read them; a workbook
    saved since (a task renamed, say) is not written, and the finding names it."""
    from test_import_utfall import _export, _mappning

    from workbook_templates.pipeline import import_utfall as iu

    social = folder / "social.xlsx"
    saved: list[bytes] = []
    write = iu.write_owned

    def save_then_write(path: Path, *args: object, **kwargs: object) -> object:
        if path == social and not saved:
            saved.append(_save_new_version(social))
        return write(path, *args, **kwargs)

    monkeypatch.setattr(iu, "write_owned", save_then_write)
    result = iu.import_utfall(_export(folder / "export.csv"),
                              _mappning(folder / "mappning.csv"), folder / "kommun.xlsx")
    status = {f.path.name: f.status for f in result.files}
    assert status["social.xlsx"] == "error" and status["bildning.xlsx"] == "written"
    assert social.read_bytes() == saved[0]
    assert any("ändrades efter att den lästes" in f.message for f in result.findings)
    assert result.exit_code == 2


@pytest.mark.parametrize(("sheet", "counted"), [("Kontroll", True), ("Bokfört utfall", False)])
def test_another_run_writing_while_a_workbook_is_read(
    folder: Path, monkeypatch: pytest.MonkeyPatch, sheet: str, counted: bool
) -> None:
    """Another refresh writing the sheets a refresh writes (two runs at once) changes nothing
    this one reads: the workbook counts and is written. An import writing Bokfört utfall, which
    a refresh reads, is a change: not counted."""
    social = folder / "social.xlsx"
    done: list[bool] = []
    read = refresh_module.read_namnd

    def read_then_other_run(source: object, *args: object, **kwargs: object) -> object:
        out = read(source, *args, **kwargs)
        if Path(getattr(source, "path", source)) == social and not done:
            result = write_cells(social, {sheet: {"A40": "another run"}}, backups=0,
                                 owned_sheets=[sheet])
            assert result.status is WriteStatus.WRITTEN
            done.append(True)
        return out

    monkeypatch.setattr(refresh_module, "read_namnd", read_then_other_run)
    report = refresh([folder], folder / "kommun.xlsx")
    [mine] = [r for r in report.files if r.path.name == "social.xlsx"]
    assert (mine.status == "written") is counted
    changed = [f for f in report.findings if "ändrades medan den lästes" in f.message]
    assert bool(changed) is not counted
