"""Worker processes where they pay (issue 17): ``refresh(jobs="auto")`` (``--jobs auto``)
reads the committee workbooks in workers when there are enough of them, and writes in workers
only when enough workbooks were read anew (a night whose reads were reused mostly finds
the outputs in place, and pickling each write to a worker then costs more than it spreads).

The workers are real processes (forked: a patch made here before the run is theirs too), and
every run's outcome is held equal to the same run in one process."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from benchmarks.run import change_one_committee
from workbook_templates.cli.main import _jobs, main
from workbook_templates.files.run_cache import RunCache
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd
from workbook_templates.pipeline import read_record
from workbook_templates.pipeline import refresh as R


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ex = exempelkommun()
    root = tmp_path_factory.mktemp("pristine")
    new_kommun(root / "kommun.xlsx", ex)
    for i, n in enumerate(ex.namndlista):
        new_namnd(root / f"n{i}.xlsx", n, ex)
    return root


def _copy(pristine: Path, folder: Path) -> Path:
    shutil.copytree(pristine, folder)
    return folder


class Seen:
    """What the run did: each ``_map`` (the function and how many workers), and the names of
    the workbooks the loader read, in whichever process (a file each worker appends to)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
        self.maps: list[tuple[str, int]] = []
        self.log = log
        real_map, real_read = R._map, R.read_namnd

        def mapped(fn, items, jobs, announce):
            self.maps.append((fn.__name__, jobs))
            return real_map(fn, items, jobs, announce)

        def reading(src, *a, **k):
            with open(log, "a", encoding="utf-8") as f:  # (one short line: appended whole)
                f.write(Path(getattr(src, "path", src)).name + "\n")
            return real_read(src, *a, **k)

        monkeypatch.setattr(R, "_map", mapped)
        monkeypatch.setattr(R, "read_namnd", reading)

    def take(self) -> tuple[list[tuple[str, int]], list[str]]:
        maps, self.maps = self.maps, []
        read = sorted(self.log.read_text(encoding="utf-8").split()) if self.log.exists() else []
        self.log.unlink(missing_ok=True)
        return maps, read


def _same(a: R.RefreshReport, b: R.RefreshReport) -> None:
    """The same outcome, but for the folder the workbooks are in."""
    assert [(f.path.name, f.role, f.status, f.findings, f.changes, f.changes_omitted)
            for f in a.files] == \
        [(f.path.name, f.role, f.status, f.findings, f.changes, f.changes_omitted)
         for f in b.files]
    assert a.findings == b.findings
    assert (a.exit_code, a.complete, a.summary()) == (b.exit_code, b.complete, b.summary())


def _check(folder: Path, cache: RunCache, jobs: R.Jobs) -> R.RefreshReport:
    """A full check (the whole-run reuse is another feature: its record removed)."""
    for record in cache.folder.glob("refresh-*.pickle"):
        record.unlink()
    return R.refresh([folder], folder / "kommun.xlsx", cache=cache, jobs=jobs)


@pytest.mark.parametrize(("jobs", "count", "expected"), [
    ("auto", R.AUTO_MIN_WORKBOOKS - 1, 1),
    ("auto", R.AUTO_MIN_WORKBOOKS, 3),
    ("auto", 0, 1),
    (1, 100, 1),
    (2, 1, 2),  # asked for: as asked
    (0, 100, 1),
])
def test_workers_are_taken_where_they_pay_or_as_asked(jobs, count, expected, monkeypatch) -> None:
    monkeypatch.setattr(R, "auto_workers", lambda: 3)
    assert R._workers(jobs, count) == expected


@pytest.mark.parametrize(("cpus", "expected"), [(1, 1), (2, 2), (4, 4), (64, R.AUTO_MAX_WORKERS)])
def test_auto_workers_are_the_processors_at_most_the_limit(cpus, expected, monkeypatch) -> None:
    monkeypatch.setattr(R.os, "sched_getaffinity", lambda _pid: set(range(cpus)), raising=False)
    assert R.auto_workers() == expected


def test_auto_reads_and_writes_in_workers_only_where_they_pay(
        pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Six committee workbooks, the threshold six: a first refresh reads and writes in two
    workers; a full check whose reads are all reused gates in workers but writes here; after
    one committee changed, one read anew is below the threshold: writes here too. Each outcome
    equals the same run in one process (with its own cache), and so do the workbooks' parts."""
    committees = len(exempelkommun().namndlista)
    monkeypatch.setattr(R, "AUTO_MIN_WORKBOOKS", committees)
    monkeypatch.setattr(R, "auto_workers", lambda: 2)
    auto, one = _copy(pristine, tmp_path / "auto"), _copy(pristine, tmp_path / "one")
    auto_cache, one_cache = RunCache(tmp_path / "c-auto"), RunCache(tmp_path / "c-one")
    seen = Seen(monkeypatch, tmp_path / "read.log")
    names = sorted(p.name for p in auto.glob("n*.xlsx"))

    first = R.refresh([auto], auto / "kommun.xlsx", cache=auto_cache, jobs="auto")
    assert seen.take() == ([("_read_committee_packed", 2), ("_write_in_worker", 2)], names)
    _same(first, R.refresh([one], one / "kommun.xlsx", cache=one_cache, jobs=1))
    seen.take()
    assert any(f.written for f in first.files)

    check = _check(auto, auto_cache, "auto")
    assert seen.take() == ([("_read_committee_packed", 2), ("_write_committee", 1)], [])
    _same(check, _check(one, one_cache, 1))
    seen.take()
    assert {f.status for f in check.files} <= {"unchanged", "input-errors"}

    changed = change_one_committee(auto)
    # the same bytes in both folders (two saves straddling a second differ in their
    # docProps/core.xml, whose modified time openpyxl writes)
    shutil.copyfile(auto / changed, one / changed)
    night = _check(auto, auto_cache, "auto")
    assert seen.take() == ([("_read_committee_packed", 2), ("_write_committee", 1)], [changed])
    _same(night, _check(one, one_cache, 1))
    assert [f.path.name for f in night.files if f.written] == ["kommun.xlsx", changed]
    for p in sorted(auto.glob("*.xlsx")):
        assert _parts(p) == _parts(one / p.name), p.name


def _parts(path: Path) -> dict[str, bytes]:
    """Every part of the package (not the zip's times: the two copies were saved apart)."""
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def test_auto_keeps_a_small_folder_in_one_process(pristine: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Below the threshold (the shipped one: eight workbooks) no worker is started."""
    folder = _copy(pristine, tmp_path / "k")
    seen = Seen(monkeypatch, tmp_path / "read.log")
    R.refresh([folder], folder / "kommun.xlsx", jobs="auto")
    assert seen.take()[0] == [("_read_committee", 1), ("_write_committee", 1)]


def test_a_reused_read_that_does_not_unpack_is_read_again(
        pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker returns a read it reuses as its record; one that turns out not to be that
    workbook's read (here: none unpacks) is read again here, never a traceback or a gap."""
    folder = _copy(pristine, tmp_path / "k")
    cache = RunCache(tmp_path / "c")
    R.refresh([folder], folder / "kommun.xlsx", cache=cache)
    want = _check(folder, cache, 1)
    seen = Seen(monkeypatch, tmp_path / "read.log")
    real = read_record.unpack
    monkeypatch.setattr(read_record, "unpack",
                        lambda rec: None if type(rec) is tuple else real(rec))
    got = _check(folder, cache, 2)
    assert seen.take()[1] == sorted(p.name for p in folder.glob("n*.xlsx"))  # all read again
    _same(got, want)


@pytest.mark.parametrize(("text", "value"), [("auto", "auto"), (" Auto ", "auto"), ("1", 1),
                                             ("3", 3)])
def test_jobs_argument(text: str, value: object) -> None:
    assert _jobs(text) == value


def test_the_command_line_takes_one_process_unless_asked(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path, pristine: Path) -> None:
    """One process by default (its memory and processor time are the least; workers cost
    both, docs/DECISIONS.md), ``--jobs auto`` or a number when asked."""
    import workbook_templates.cli.main as cli

    asked: list[object] = []
    real = cli.refresh

    def spy(*a, **k):
        asked.append(k["jobs"])
        return real(*a, **k)

    monkeypatch.setattr(cli, "refresh", spy)
    folder = _copy(pristine, tmp_path / "k")
    for extra in ([], ["--jobs", "auto"], ["--jobs", "2"]):
        assert main(["refresh", str(folder), "--quiet", "--no-cache", *extra]) in (0, 1)
    assert asked == [1, "auto", 2]


def test_workers_take_the_gate_of_the_search_for_the_municipality_workbook(
        pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --kommun every file is gated before the reader looks for tblCentrala; a worker
    that reads a committee workbook takes that gate's report along: each file is gated once,
    in whichever process."""
    folder = _copy(pristine, tmp_path / "k")
    log = tmp_path / "gate.log"
    real = R.inspect_workbook

    def gating(path, *args, **kwargs):
        with open(log, "a", encoding="utf-8") as f:  # (one short line: appended whole)
            f.write(Path(path).name + "\n")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(R, "inspect_workbook", gating)
    report = R.refresh([folder], jobs=2)
    assert report.outputs is not None and any(f.written for f in report.files)
    assert sorted(log.read_text(encoding="utf-8").split()) == sorted(
        p.name for p in folder.glob("*.xlsx"))
