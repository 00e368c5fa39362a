"""Issue 15, whole runs: a killed ``refresh --jobs N`` leaves no workers; a crash has its own
exit code, one Swedish line and the traceback in a log (points 7 and 8)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbook_templates.cli import main as cli
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd

REPO = Path(__file__).resolve().parent.parent
NAMNDER = ("Bildningsnämnden", "Socialnämnden", "Tekniska nämnden")

# The run: every committee read (in a worker) records its pid, then waits, so the parent can be
# killed while all its workers are busy.
WORKER_BOOTSTRAP = r"""
import os, sys, time
from pathlib import Path
from workbook_templates.pipeline import refresh as rf

pids = Path(sys.argv[2])

def _read_committee(args):
    (pids / str(os.getpid())).touch()
    time.sleep(120)
    raise SystemExit("not reached")

rf._read_committee = _read_committee
from workbook_templates.cli.main import main
sys.exit(main(["refresh", sys.argv[1], "--jobs", "2", "--quiet"]))
"""


@pytest.fixture(scope="module")
def municipality(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kommun")
    ex = exempelkommun()
    new_kommun(folder / "kommun.xlsx", ex)
    for n in NAMNDER:
        new_namnd(folder / f"{n}.xlsx", n, ex)
    return folder


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _running(pid: int) -> bool:
    """Alive and not a zombie (a container's pid 1 may never reap orphans)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_refresh_jobs_leaves_no_worker_running(municipality: Path,
                                                         tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", WORKER_BOOTSTRAP, str(municipality),
                             str(pids)], env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            workers = [int(p.name) for p in pids.iterdir()]
        assert len(workers) == 2, "the workers did not start"
        assert all(_running(w) for w in workers)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10  # the watcher needs at most ~0.5 s; PDEATHSIG none
        while any(_running(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [w for w in workers if _running(w)]
        assert left == [], f"workers still running after the parent was killed: {left}"
    finally:
        for w in workers:  # never leave our own test's processes behind, even on failure
            if _running(w):
                os.kill(w, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_internal_error_exits_3_with_one_swedish_line_and_the_traceback_in_a_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def crash(*args, **kwargs):
        raise ZeroDivisionError("ett internt fel för testet")

    monkeypatch.setattr(cli, "refresh", crash)
    monkeypatch.setenv("KOMMUNBUDGET_LOGG", str(tmp_path))
    code = cli.main(["refresh", str(tmp_path), "--quiet"])
    out, err = capsys.readouterr()
    assert code == cli.EXIT_CRASH == 3
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Internt fel" in lines[0] and "Traceback" not in err
    logs = list(tmp_path.glob("kommunbudget-*.log"))
    assert len(logs) == 1 and str(logs[0]) in lines[0]
    text = logs[0].read_text(encoding="utf-8")
    assert "Traceback" in text and "ZeroDivisionError" in text and "crash" in text


def test_exit_codes_are_documented_next_to_each_other() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "**3**" in readme and "internt fel" in readme.casefold()
    assert "EXIT_CRASH" in (REPO / "workbook_templates/cli/main.py").read_text(encoding="utf-8")
