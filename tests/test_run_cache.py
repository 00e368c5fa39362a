"""An unchanged refresh reuses the last full check (issue 17): only when nothing it depends on
changed, with the same report as the full check, and never when a workbook changed, is open,
locked, read-only, added or copied, or the program or the arguments differ."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import stat
from pathlib import Path

import pytest

from workbook_templates.cli.main import main
from workbook_templates.files import run_cache
from workbook_templates.files.fileops import TEMP_PREFIX, lock_path
from workbook_templates.pipeline import refresh as R
from workbook_templates.pipeline.refresh import RunCache, refresh


@pytest.fixture
def folder(pristine: Path, tmp_path: Path) -> Path:
    d = tmp_path / "kommun"
    shutil.copytree(pristine, d)
    assert {r.status for r in refresh([d]).files} == {"written"}  # the outputs are in place
    return d


@pytest.fixture
def cache(tmp_path: Path) -> RunCache:
    return RunCache(tmp_path / "cache")


class Calls:
    """Counts full checks (``_refresh``) while letting them run."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.n = 0
        real = R._refresh

        def counted(*a: object, **k: object) -> R.RefreshReport:
            self.n += 1
            return real(*a, **k)

        monkeypatch.setattr(R, "_refresh", counted)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    return Calls(monkeypatch)


def _same_report(a: R.RefreshReport, b: R.RefreshReport) -> None:
    assert [(f.path, f.role, f.status, f.findings, f.backup, f.changes, f.open_in_excel)
            for f in a.files] == \
        [(f.path, f.role, f.status, f.findings, f.backup, f.changes, f.open_in_excel)
         for f in b.files]
    assert a.findings == b.findings and a.saknas == b.saknas
    assert (a.exit_code, a.complete, a.summary()) == (b.exit_code, b.complete, b.summary())


def test_the_second_unchanged_run_reuses_the_full_check(folder: Path, cache: RunCache,
                                                        calls: Calls) -> None:
    full = refresh([folder], cache=cache)
    assert {f.status for f in full.files} == {"unchanged"} and full.reused_from is None
    data = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    again = refresh([folder], cache=cache)
    assert calls.n == 1  # the second run did not check again
    assert again.reused_from is not None and again.outputs is None
    _same_report(again, full)
    assert again.summary() is not None and again.summary().years == full.summary().years
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == data  # untouched


def _files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _habit(folder: Path, habit: str) -> None:
    """What controllers do to the example set before a night's refresh."""
    from tests.bad_inputs import CASES, break_workbook

    if habit == "kopia i mappen":  # one committee in two workbooks: neither counts
        shutil.copy(folder / "social.xlsx", folder / "social - Kopia.xlsx")
    elif habit == "arkivkopia av kommunen":  # skipped (not written) with a warning
        shutil.copy(folder / "kommun.xlsx", folder / "kommun - Kopia.xlsx")
    elif habit != "som skapad":
        case = next(c for c in CASES if c.name == habit)
        break_workbook(folder / ("kommun.xlsx" if case.target == "kommun" else "social.xlsx"),
                       case)


@pytest.mark.parametrize("habit", ["som skapad", "kopia i mappen", "arkivkopia av kommunen",
                                   "text_in_amount", "one_unit_costs_positive",
                                   "error_value_div0"])
def test_the_run_after_a_write_reuses_what_a_full_check_reports(
        habit: str, pristine: Path, tmp_path: Path, cache: RunCache, calls: Calls) -> None:
    """A refresh that wrote leaves each workbook as a check of it would find it (nothing to
    write): the next run reuses the report such a check gives, and a real full check, run after
    it, reports exactly the same (statuses, findings, changes, backups, figures, exit code)."""
    d = tmp_path / "k"
    shutil.copytree(pristine, d)
    _habit(d, habit)
    kommun = d / "kommun.xlsx"  # as a nightly job names it (an archive copy is then skipped)
    wrote = refresh([d], kommun, cache=cache)
    assert any(f.written for f in wrote.files) and wrote.reused_from is None
    data = _files(d)
    reused = refresh([d], kommun, cache=cache)
    assert calls.n == 1 and reused.reused_from is not None and reused.outputs is None
    assert _files(d) == data  # untouched
    full = refresh([d], kommun)  # no cache: checks and reads everything
    assert full.reused_from is None and not any(f.written for f in full.files)
    assert {f.status for f in full.files} <= {"unchanged", "input-errors", "skipped"}
    assert ("skipped" in {f.status for f in full.files}) == (habit == "arkivkopia av kommunen")
    _same_report(reused, full)
    assert [f.written for f in reused.files] == [f.written for f in full.files]
    assert reused.summary() == full.summary()
    assert _files(d) == data


def test_a_run_that_wrote_in_worker_processes_is_reused_alike(
        pristine: Path, tmp_path: Path, cache: RunCache, calls: Calls) -> None:
    """With --jobs 2 the writes run in worker processes: what they left is known alike."""
    d = tmp_path / "k"
    shutil.copytree(pristine, d)
    assert any(f.written for f in refresh([d], cache=cache, jobs=2).files)
    reused = refresh([d], cache=cache, jobs=2)
    assert calls.n == 1 and reused.reused_from is not None
    _same_report(reused, refresh([d]))


def test_a_run_whose_write_failed_is_not_reused(pristine: Path, tmp_path: Path,
                                                cache: RunCache, calls: Calls) -> None:
    """A workbook whose write was refused (here its Kontroll sheet renamed) is an error a
    check would report again, with the other workbooks possibly written meanwhile: the next run
    checks everything."""
    import openpyxl

    d = tmp_path / "k"
    shutil.copytree(pristine, d)
    wb = openpyxl.load_workbook(d / "social.xlsx")
    wb["Kontroll"].title = "Kontroll gammal"
    wb.save(d / "social.xlsx")
    first = refresh([d], cache=cache)
    assert {f.path.name: f.status for f in first.files}["social.xlsx"] == "error"
    assert any(f.written for f in first.files)
    assert refresh([d], cache=cache).reused_from is None and calls.n == 2


def test_a_workbook_saved_right_after_its_write_is_checked(pristine: Path, tmp_path: Path,
                                                           cache: RunCache,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """Someone saves a workbook between the refresh's write and the end of the run: what is
    there now is not what the run wrote, so the run is not recorded and the next one reads it."""
    d = tmp_path / "k"
    shutil.copytree(pristine, d)
    real = R.write_owned

    def then_saved(path: Path, *a: object, **k: object) -> R.FileReport:
        got = real(path, *a, **k)
        if path.name == "social.xlsx":
            _touch_bytes(path)
        return got

    monkeypatch.setattr(R, "write_owned", then_saved)
    assert any(f.written for f in refresh([d], cache=cache).files)
    monkeypatch.setattr(R, "write_owned", real)
    again = refresh([d], cache=cache)
    assert again.reused_from is None  # checked, not reused


def _touch_bytes(path: Path) -> None:
    """Another byte content with the same workbook content: the zip's comment."""
    import zipfile

    with zipfile.ZipFile(path, "a") as z:
        z.comment = b"andra bytes"


@pytest.mark.parametrize("what", ["bytes", "owner", "lock", "temp", "read-only", "new file",
                                  "copy", "program", "backups", "kommun given"])
def test_anything_that_could_change_the_outcome_makes_a_full_check(
        what: str, folder: Path, cache: RunCache, calls: Calls,
        monkeypatch: pytest.MonkeyPatch) -> None:
    refresh([folder], cache=cache)
    assert refresh([folder], cache=cache).reused_from is not None and calls.n == 1
    social = folder / "social.xlsx"
    kwargs: dict[str, object] = {}
    if what == "bytes":
        _touch_bytes(social)
    elif what == "owner":
        (folder / "~$social.xlsx").write_bytes(b"owner")
    elif what == "lock":
        lock_path(social).write_text("123", encoding="utf-8")
    elif what == "temp":
        (folder / f"{TEMP_PREFIX}0123abcd-social.xlsx").write_bytes(b"x")
    elif what == "read-only":
        social.chmod(stat.S_IREAD)
    elif what == "new file":
        shutil.copy(folder / "social.xlsx", folder.parent / "x.xlsx")
        (folder.parent / "x.xlsx").rename(folder / "z_ny.xlsx")
    elif what == "copy":
        shutil.copy(social, folder / "social - Kopia.xlsx")
    elif what == "program":
        monkeypatch.setattr(run_cache, "_PROGRAM", ["another program"])
    elif what == "backups":
        kwargs["backups"] = 1
    elif what == "kommun given":
        kwargs["kommun"] = folder / "kommun.xlsx"
    try:
        got = refresh([folder], cache=cache, **kwargs)
    finally:
        social.chmod(stat.S_IREAD | stat.S_IWRITE)
    assert got.reused_from is None and calls.n == 2
    if what == "owner":
        assert any(f.open_in_excel for f in got.files) and got.exit_code == 2
    if what in ("copy", "new file", "bytes"):
        # the full check saw it: the copy is an error, the new or changed file was read
        assert str(folder / ("social - Kopia.xlsx" if what == "copy" else
                             "z_ny.xlsx" if what == "new file" else "social.xlsx")) in \
            {str(f.path) for f in got.files}


def test_a_file_changed_during_the_full_check_is_not_recorded(folder: Path, cache: RunCache,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    real = R._refresh

    def meanwhile(*a: object, **k: object) -> R.RefreshReport:
        report = real(*a, **k)
        _touch_bytes(folder / "social.xlsx")  # saved by a controller as the check ended
        return report

    monkeypatch.setattr(R, "_refresh", meanwhile)
    refresh([folder], cache=cache)
    monkeypatch.setattr(R, "_refresh", real)
    # what is there now was never checked: the next run checks it
    assert refresh([folder], cache=cache).reused_from is None


def test_errors_are_reused_as_they_were_and_exit_alike(folder: Path, cache: RunCache,
                                                       calls: Calls) -> None:
    full = refresh([folder], cache=cache)
    assert full.exit_code == 1 and any(f.severity.value == "error" for f in full.findings)
    reused = refresh([folder], cache=cache)
    assert reused.reused_from is not None
    _same_report(reused, full)


def test_a_record_that_cannot_be_trusted_is_ignored(folder: Path, cache: RunCache,
                                                    calls: Calls) -> None:
    refresh([folder], cache=cache)
    (record,) = cache.folder.glob("refresh-*.pickle")
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.folder.stat().st_mode) == 0o700
    record.chmod(0o666)  # anyone may write it: not loaded
    assert refresh([folder], cache=cache).reused_from is None
    record.write_bytes(b"not a pickle")
    record.chmod(0o600)
    assert refresh([folder], cache=cache).reused_from is None  # and a new record was written
    assert refresh([folder], cache=cache).reused_from is not None
    record.write_bytes(pickle.dumps((99, "another layout")))
    assert refresh([folder], cache=cache).reused_from is None
    assert calls.n == 4


def test_a_cache_folder_that_cannot_be_written_only_costs_the_full_check(
        folder: Path, tmp_path: Path, calls: Calls) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("x", encoding="utf-8")
    cache = RunCache(blocked / "cache")  # under a file: mkdir fails
    for _ in range(2):
        assert {f.status for f in refresh([folder], cache=cache).files} == {"unchanged"}
    assert calls.n == 2


def test_validate_and_no_cache_never_reuse(folder: Path, cache: RunCache, calls: Calls) -> None:
    refresh([folder], cache=cache)
    assert refresh([folder], write=False, cache=cache).reused_from is None
    assert refresh([folder]).reused_from is None
    assert calls.n == 3


# The command line ------------------------------------------------------------------------------


def test_the_command_reuses_says_so_and_reports_it(folder: Path, tmp_path: Path, capsys,
                                                   calls: Calls) -> None:
    from tests.test_cli import _valid

    outs, reports = [], []
    for i, extra in enumerate([[], [], ["--no-cache"], []]):
        report = tmp_path / f"r{i}.json"
        code = main(["refresh", str(folder), "--report", str(report), *extra])
        outs.append(capsys.readouterr().out)
        reports.append(_valid(json.loads(report.read_text(encoding="utf-8"))))
        assert code == reports[0]["exit_code"]
    assert calls.n == 2  # runs 1 and 3 (--no-cache) checked; 2 and 4 reused run 1
    assert [r["reused_from"] for r in reports][::2] == [None, None]
    assert reports[1]["reused_from"] and reports[3]["reused_from"]
    assert "Ingen arbetsbok har ändrats sedan den fullständiga kontrollen" in outs[1]
    assert "Ingen arbetsbok har ändrats" not in outs[0] + outs[2]
    # a nightly job's --quiet log says it too
    main(["refresh", str(folder), "--quiet"])
    assert "Ingen arbetsbok har ändrats sedan" in capsys.readouterr().out

    def same(r: dict) -> dict:
        return {k: v for k, v in r.items() if k not in ("started", "finished", "reused_from")}

    assert same(reports[1]) == same(reports[0]) == same(reports[2])
    # the printed figures, findings and statuses are the same, line for line
    assert [ln for ln in outs[1].splitlines() if "Ingen arbetsbok har ändrats" not in ln] == \
        outs[0].splitlines()


def test_the_cache_folder_comes_from_the_environment(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOMMUNBUDGET_CACHE", str(tmp_path / "c"))
    assert RunCache().folder == tmp_path / "c"
    monkeypatch.delenv("KOMMUNBUDGET_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    if os.name != "nt":
        assert RunCache().folder == tmp_path / "x" / "kommunbudget"


def test_separate_processes_reuse_as_a_nightly_job_would(folder: Path, tmp_path: Path) -> None:
    """The real command in fresh processes (a record written by one, read by the next)."""
    import subprocess
    import sys

    env = {**os.environ, "KOMMUNBUDGET_CACHE": str(tmp_path / "nightly-cache")}
    reused = []
    for i in range(3):
        report = tmp_path / f"night{i}.json"
        proc = subprocess.run([sys.executable, "-m", "workbook_templates.cli.main", "refresh",
                               str(folder), "--quiet", "--report", str(report)],
                              env=env, capture_output=True, text=True, timeout=300, check=False)
        data = json.loads(report.read_text(encoding="utf-8"))
        assert proc.returncode == data["exit_code"] == 1  # the example's error findings
        reused.append(data["reused_from"])
    assert reused[0] is None and reused[1] is not None and reused[2] == reused[1]
    assert "Ingen arbetsbok har ändrats sedan" in proc.stdout
