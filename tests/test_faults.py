"""Faults during a whole refresh never lose a controller's data (issue 9, "Faults").

Three workbooks (the municipality's and two committees') are refreshed by
:func:`workbook_templates.pipeline.refresh.refresh`, the same path the scheduled job and the buttons take,
while the machine misbehaves:

* **killed at every step of every write**: the refresh runs in a subprocess that SIGKILLs itself
  right after each step of :data:`~workbook_templates.files.xlsx_writer.STEPS` of the k-th workbook it
  writes (4 steps × 3 workbooks = 12 kills). The subprocess uses the writer's own ``_fail_after``
  hook: its ``write_cells`` is wrapped to pass ``_fail_after`` to the k-th call, and
  ``xlsx_writer.SimulatedCrash`` is replaced by a class whose constructor kills the process, so the
  process dies *at* the step, before any ``finally`` (the refresh lock and the temp file stay on
  disk exactly as after a real crash). Afterwards every workbook is byte for byte the old or the
  new version (never a mix), opens, has all its owned cells old or all new and every non-owned zip
  entry identical to before; a rerun breaks the dead process's lock, removes the leftovers and
  completes with every file equal to an undisturbed refresh;
* **disk full** (``ENOSPC`` from the write of one workbook's temp file) and a **read-only file** or
  **read-only folder**: a clear Swedish finding, exit code 2, that workbook byte-identical, the
  others still written;
* **open in Excel** (``~$`` owner file): skipped with a finding, the others written, the next
  refresh writes it;
* **two refreshes at once** in two processes: forced overlap (one holds a workbook's lock while
  the other runs: the other skips that workbook and writes the rest) and free-running pairs;
  afterwards every workbook opens and its owned sheets hold exactly the values of one complete
  refresh (the two runs write distinguishable values).
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from workbook_templates.files import fileops
from workbook_templates.files.reader import open_workbook, workbook_structure
from workbook_templates.files.xlsx_writer import STEPS
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd
from workbook_templates.pipeline import refresh as rf
from workbook_templates.pipeline.refresh import refresh
from workbook_templates.schema import KOMMUN_OUTPUTS, NAMND_OUTPUTS

KOMMUN = "kommun.xlsx"
NAMNDER = ("Bildningsnämnden", "Socialnämnden")
FILES = (KOMMUN, *(f"{n}.xlsx" for n in NAMNDER))  # the order refresh writes them in
REPO = Path(__file__).resolve().parent.parent

# The subprocess: refresh with the k-th write killed right after one step (see module docstring).
KILL_BOOTSTRAP = r"""
import os, signal, sys
from workbook_templates.pipeline import refresh as rf
from workbook_templates.files import xlsx_writer as xw
step, call = os.environ["KB_KILL_STEP"], int(os.environ["KB_KILL_CALL"])

class _Killed(BaseException):
    def __init__(self, *args):
        os.kill(os.getpid(), signal.SIGKILL)

xw.SimulatedCrash = _Killed
real_write_cells = rf.write_cells
calls = 0

def write_cells(*args, **kwargs):
    global calls
    calls += 1
    if calls == call:
        kwargs["_fail_after"] = step
    return real_write_cells(*args, **kwargs)

rf.write_cells = write_cells
sys.exit(rf.refresh([sys.argv[1]], sys.argv[2]).exit_code)
"""

# The subprocess for two refreshes at once. Run "B" writes a marker row into every owned sheet so
# its output can be told from run "A"'s. With KB_HOLD_FILE set, the run stops inside the write of
# that workbook (lock held, temp file written), creates KB_HOLD_READY and waits for KB_HOLD_GO.
PAIR_BOOTSTRAP = r"""
import os, sys, time
from pathlib import Path
from workbook_templates.pipeline import refresh as rf
from workbook_templates.files import xlsx_writer as xw
if os.environ.get("KB_RUN") == "B":
    real_compute = rf.compute_outputs

    def compute_outputs(*args, **kwargs):
        out = real_compute(*args, **kwargs)
        for sheets in (out.kommun_sheets, *out.namnd_sheets.values()):
            for rows in sheets.values():
                rows.append(["körning B"])
        return out

    rf.compute_outputs = compute_outputs

hold = os.environ.get("KB_HOLD_FILE")
if hold:
    real_verify = xw._verify

    def _verify(tmp, *args, **kwargs):
        if tmp.name.endswith("-" + hold):
            Path(os.environ["KB_HOLD_READY"]).touch()
            go = Path(os.environ["KB_HOLD_GO"])
            for _ in range(6000):  # at most 60 s
                if go.exists():
                    break
                time.sleep(0.01)
        return real_verify(tmp, *args, **kwargs)

    xw._verify = _verify
report = rf.refresh([sys.argv[1]], sys.argv[2])
for f in report.files:
    print(f.path.name, f.status, sep="\t")
sys.exit(report.exit_code)
"""


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", **extra}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _owned(name: str) -> tuple[str, ...]:
    return KOMMUN_OUTPUTS if name == KOMMUN else NAMND_OUTPUTS


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(src / name, dst / name)
    return dst


def _owned_values(path: Path) -> dict[str, dict[str, object]]:
    with open_workbook(path) as wb:
        out = {}
        for sheet in _owned(path.name):
            res = wb.range(sheet, "A1:P600")
            out[sheet] = {c.address: c.value for row in res.cells for c in row
                          if c.value is not None}
        return out


def _entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        return {i.filename: zf.read(i.filename) for i in zf.infolist()}


def _owned_parts(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as zf:
        structure = workbook_structure(zf)
        parts = {structure.sheet(s).part for s in _owned(path.name)}
        return parts | {structure.workbook_part}  # fullCalcOnLoad is set on a write


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pristine")
    ex = exempelkommun()
    new_kommun(folder / KOMMUN, ex)
    for n in NAMNDER:
        new_namnd(folder / f"{n}.xlsx", n, ex)
    return folder


@pytest.fixture(scope="module")
def refreshed(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same workbooks after one undisturbed refresh."""
    folder = _copy(pristine, tmp_path_factory.mktemp("refreshed"))
    report = refresh([folder], folder / KOMMUN)
    assert [f.status for f in report.files] == ["written"] * 3
    assert [f.path.name for f in report.files] == list(FILES)
    return folder


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith((fileops.TEMP_PREFIX, fileops.LOCK_PREFIX)))


def _assert_old_or_new(path: Path, old: Path, new: Path) -> str:
    """The workbook is exactly one complete version; which one ("old"/"new")."""
    data = path.read_bytes()
    version = "old" if data == old.read_bytes() else "new" if data == new.read_bytes() else None
    assert version is not None, f"{path.name} is neither the old nor the new version"
    # the same, said the way a controller would check it: the file opens, the owned cells are
    # all old or all new, everything else is untouched
    values = _owned_values(path)
    assert values == _owned_values(old if version == "old" else new)
    before, after = _entries(old), _entries(path)
    assert set(before) == set(after)
    changed = {n for n in before if before[n] != after[n]}
    assert changed <= _owned_parts(path)
    return version


# ---------------------------------------------------------------------------------------------
# Killed at every step of every write


KILLS = [(call, step) for call in range(1, len(FILES) + 1) for step in STEPS]


@pytest.mark.parametrize(("call", "step"), KILLS, ids=[f"{FILES[c - 1]}-{s}" for c, s in KILLS])
def test_killed_after_any_write_step_every_file_is_old_or_new_and_a_rerun_completes(
        pristine: Path, refreshed: Path, tmp_path: Path, call: int, step: str) -> None:
    folder = _copy(pristine, tmp_path / "run")
    proc = subprocess.run([sys.executable, "-c", KILL_BOOTSTRAP, str(folder), str(folder / KOMMUN)],
                          env=_env(KB_KILL_STEP=step, KB_KILL_CALL=str(call)),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr

    versions = [_assert_old_or_new(folder / name, pristine / name, refreshed / name)
                for name in FILES]
    # files written before the killed one are new, files after it untouched; the killed one is
    # new only once os.replace has happened
    killed_new = step == "replaced"
    expected = ["new"] * (call - 1) + ["new" if killed_new else "old"] + ["old"] * (len(FILES)
                                                                                    - call)
    assert versions == expected
    # the crash left the refresh lock of the killed workbook behind (and, before the replace,
    # its temp file): the evidence that the process really died mid-write
    assert fileops.lock_path(folder / FILES[call - 1]).exists()

    report = refresh([folder], folder / KOMMUN)  # the dead process's lock is broken
    status = [f.status for f in report.files]
    assert status == ["unchanged"] * (call - 1 + killed_new) + ["written"] * (
        len(FILES) - call + 1 - killed_new)
    assert report.exit_code == 1  # as after an undisturbed run (the example's own findings)
    for name in FILES:
        assert (folder / name).read_bytes() == (refreshed / name).read_bytes()
    assert _leftovers(folder) == []


# ---------------------------------------------------------------------------------------------
# Disk full, read-only file, read-only folder


def _statuses(report: rf.RefreshReport) -> dict[str, str]:
    return {f.path.name: f.status for f in report.files}


def _findings_for(report: rf.RefreshReport, name: str) -> list[str]:
    return [f.message for f in report.findings if f.location and f.location.workbook == name]


@pytest.mark.parametrize("victim", FILES)
def test_disk_full_while_writing_one_workbook(pristine: Path, refreshed: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch, victim: str) -> None:
    folder = _copy(pristine, tmp_path)
    real_atomic, real_write_all = fileops.atomic_write_bytes, fileops._write_all

    def disk_full(fd: int, data: bytes) -> None:
        real_write_all(fd, data[:1000])  # part of the temp file, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    def atomic_write_bytes(target_dir: Path, data: bytes, tmp: Path, mode: int | None = None):
        fileops._write_all = disk_full if tmp.name.endswith("-" + victim) else real_write_all
        try:
            return real_atomic(target_dir, data, tmp, mode)
        finally:
            fileops._write_all = real_write_all

    monkeypatch.setattr(fileops, "atomic_write_bytes", atomic_write_bytes)
    report = refresh([folder], folder / KOMMUN)

    status = _statuses(report)
    assert status[victim] == "error"
    assert report.exit_code == 2
    assert any("Disken är full" in m and "orörd" in m for m in _findings_for(report, victim))
    assert (folder / victim).read_bytes() == (pristine / victim).read_bytes()
    for name in FILES:
        if name != victim:
            assert status[name] == "written"
            assert (folder / name).read_bytes() == (refreshed / name).read_bytes()
    assert _leftovers(folder) == []  # no partial temp file, no lock


def test_read_only_workbook_is_an_error_and_the_others_are_written(
        pristine: Path, refreshed: Path, tmp_path: Path) -> None:
    folder = _copy(pristine, tmp_path)
    victim = folder / FILES[1]
    victim.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        report = refresh([folder], folder / KOMMUN)
    finally:
        victim.chmod(0o644)
    status = _statuses(report)
    assert status[victim.name] == "error" and report.exit_code == 2
    assert any("skrivskyddad" in m for m in _findings_for(report, victim.name))
    assert victim.read_bytes() == (pristine / victim.name).read_bytes()
    for name in (FILES[0], FILES[2]):
        assert status[name] == "written"
        assert (folder / name).read_bytes() == (refreshed / name).read_bytes()


def _read_only_folder_run(pristine: Path, refreshed: Path, tmp_path: Path) -> None:
    """Committee workbook 2 lives in a folder the refresh may not write to."""
    folder = _copy(pristine, tmp_path / "rw")
    locked = tmp_path / "ro"
    locked.mkdir()
    victim = FILES[2]
    (folder / victim).rename(locked / victim)
    before = sorted(locked.iterdir())
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        report = refresh([folder, locked / victim], folder / KOMMUN)
    finally:
        locked.chmod(0o755)
    status = _statuses(report)
    assert status[victim] == "error" and report.exit_code == 2
    assert any("skrivbar" in m and "orörd" in m for m in _findings_for(report, victim))
    assert (locked / victim).read_bytes() == (pristine / victim).read_bytes()
    assert sorted(locked.iterdir()) == before
    for name in FILES[:2]:
        assert status[name] == "written"
        assert (folder / name).read_bytes() == (refreshed / name).read_bytes()


def _permissions_apply() -> bool:
    """False where a read-only folder can still be written to (root, or no POSIX modes)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ro"
        folder.mkdir()
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
        try:
            (folder / "probe").touch()
        except PermissionError:
            return True
        finally:
            folder.chmod(0o755)
        return False


@pytest.mark.skipif(not _permissions_apply(),
                    reason="read-only folders are writable here (root); see the emulated test")
def test_read_only_folder_is_an_error_and_the_others_are_written(
        pristine: Path, refreshed: Path, tmp_path: Path) -> None:
    _read_only_folder_run(pristine, refreshed, tmp_path)


def test_read_only_folder_emulated_is_an_error_and_the_others_are_written(
        pristine: Path, refreshed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the same, with the folder's refusal emulated so it also runs as root (CI containers): any
    # attempt to create a file in it fails with EACCES, as the OS would say
    real_open = os.open
    ro = (tmp_path / "ro").resolve()

    def guarded_open(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and Path(path).resolve().parent == ro:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)
    _read_only_folder_run(pristine, refreshed, tmp_path)


# ---------------------------------------------------------------------------------------------
# Open in Excel


def test_workbook_open_in_excel_is_skipped_then_written_once_closed(
        pristine: Path, refreshed: Path, tmp_path: Path) -> None:
    folder = _copy(pristine, tmp_path)
    victim = folder / FILES[1]  # Bildningsnämnden.xlsx
    owner = folder / f"~${victim.name[2:]}"  # Excel's owner file for a long name: ~$ldnings…
    owner.write_bytes(b"\x05Maria" + b"\x00" * 50)
    report = refresh([folder], folder / KOMMUN)
    status = _statuses(report)
    assert status == {FILES[0]: "written", FILES[1]: "skipped", FILES[2]: "written"}
    assert any("öppen i Excel" in m for m in _findings_for(report, victim.name))
    assert victim.read_bytes() == (pristine / victim.name).read_bytes()
    assert owner.exists()  # never removed by us: it belongs to Excel
    owner.unlink()  # Excel closed
    report = refresh([folder], folder / KOMMUN)
    assert _statuses(report) == {FILES[0]: "unchanged", FILES[1]: "written",
                                 FILES[2]: "unchanged"}
    for name in FILES:
        assert (folder / name).read_bytes() == (refreshed / name).read_bytes()


# ---------------------------------------------------------------------------------------------
# Two refreshes at once


@pytest.fixture(scope="module")
def refreshed_b(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workbooks after one undisturbed refresh "B" (a marker row in every owned sheet)."""
    folder = _copy(pristine, tmp_path_factory.mktemp("refreshed_b"))
    proc = subprocess.run([sys.executable, "-c", PAIR_BOOTSTRAP, str(folder), str(folder / KOMMUN)],
                          env=_env(KB_RUN="B"), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    return folder


def _assert_one_complete_refresh(folder: Path, pristine: Path, a: Path, b: Path) -> list[str]:
    """Every workbook opens, its owned sheets hold exactly run A's or run B's values, and every
    other part is untouched. Returns which run each workbook holds."""
    runs = []
    for name in FILES:
        values = _owned_values(folder / name)
        run = "A" if values == _owned_values(a / name) else "B" if values == _owned_values(
            b / name) else None
        assert run is not None, f"{name} holds neither run's complete output"
        before, after = _entries(pristine / name), _entries(folder / name)
        assert set(before) == set(after)
        assert {n for n in before if before[n] != after[n]} <= _owned_parts(folder / name)
        runs.append(run)
    assert _leftovers(folder) == []
    return runs


def _start(folder: Path, run: str, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", PAIR_BOOTSTRAP, str(folder),
                             str(folder / KOMMUN)], env=_env(KB_RUN=run, **extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the holding refresh never reached its write"
        time.sleep(0.01)


def _finish(proc: subprocess.Popen[str]) -> tuple[int, dict[str, str]]:
    out, err = proc.communicate(timeout=120)
    status = dict(line.split("\t") for line in out.splitlines() if "\t" in line)
    assert proc.returncode in (0, 1), err
    return proc.returncode, status


def test_second_refresh_skips_the_workbook_the_first_is_writing(
        pristine: Path, refreshed: Path, refreshed_b: Path, tmp_path: Path) -> None:
    folder = _copy(pristine, tmp_path / "run")
    held = FILES[1]
    ready, go = tmp_path / "ready", tmp_path / "go"
    a = _start(folder, "A", KB_HOLD_FILE=held, KB_HOLD_READY=str(ready), KB_HOLD_GO=str(go))
    try:
        _wait_for(ready, a)  # A holds the lock of Bildningsnämnden.xlsx, its temp file written
        _, status_b = _finish(_start(folder, "B"))
    finally:
        go.touch()
    _, status_a = _finish(a)
    # A had written the municipality workbook and holds the committee one: B skips the latter
    # and writes the other two (B's values); A then completes its write and finds the last
    # workbook locked by nobody, so it writes A's values over B's
    assert status_b == {FILES[0]: "written", FILES[1]: "skipped", FILES[2]: "written"}
    assert status_a == {FILES[0]: "written", FILES[1]: "written", FILES[2]: "written"}
    runs = _assert_one_complete_refresh(folder, pristine, refreshed, refreshed_b)
    assert runs == ["B", "A", "A"]


@pytest.mark.parametrize("round_", range(3))
def test_two_refreshes_started_together_never_corrupt(
        pristine: Path, refreshed: Path, refreshed_b: Path, tmp_path: Path, round_: int) -> None:
    folder = _copy(pristine, tmp_path / "run")
    a, b = _start(folder, "A"), _start(folder, "B")
    (_, status_a), (_, status_b) = _finish(a), _finish(b)
    for name in FILES:  # every workbook was written by at least one of them
        assert {status_a[name], status_b[name]} <= {"written", "skipped", "unchanged"}
        assert "written" in (status_a[name], status_b[name])
    _assert_one_complete_refresh(folder, pristine, refreshed, refreshed_b)
