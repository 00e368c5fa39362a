"""Run a module as ``python -m`` would and write the process's own peak resident memory.

    python benchmarks/peak.py OUT MODULE [ARGS...]     # OUT gets the peak in kB (VmHWM)

(and :func:`tree_peak_mb`: the memory of a command and its worker processes together)

The rusage that ``wait4`` reports cannot be used for this on Linux: a child's ``ru_maxrss`` keeps
the high-water mark of the parent's memory it was forked from across ``exec`` (the benchmark
process itself holds the large size's generated workbooks and reports: about 600 MB, which every
refresh it started seemed to use). ``VmHWM`` in ``/proc/self/status`` belongs to the memory of
the program after ``exec`` alone; it is read when the module exits (``sys.exit`` included).
"""

import atexit
import os
import runpy
import subprocess
import sys
import tempfile
import time


def _peak_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _pss_kb(pid: int) -> int:
    """The proportional set size of ``pid`` in kB (a page shared by n processes counts 1/n
    in each: the sum over processes is the memory they use together), 0 when gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            return [int(x) for x in f.read().split()]
    except (OSError, ValueError):
        return []


def tree_peak_mb(cmd: list[str], cwd: str, env: dict[str, str], ok: tuple[int, ...],
                 every: float = 0.02) -> float:
    """Run ``cmd`` and sample, every ``every`` seconds, the memory it and its worker processes
    use together (the sum of their proportional set sizes): the largest sum in MB. Worker
    processes are forked, so neither their ``VmHWM`` nor ``ru_maxrss`` tells their own share
    (both count every page shared with the parent). Sampling slows the run: time it apart.
    NaN where ``/proc`` has no ``smaps_rollup`` (not Linux)."""
    if not os.path.exists(f"/proc/{os.getpid()}/smaps_rollup"):
        return float("nan")
    best = 0
    with tempfile.TemporaryFile() as err:  # (a pipe nobody reads meanwhile could fill up)
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        while proc.poll() is None:
            best = max(best, _pss_kb(proc.pid) + sum(map(_pss_kb, _children(proc.pid))))
            time.sleep(every)
        if proc.returncode not in ok:
            err.seek(0)
            raise RuntimeError(f"{cmd} exited {proc.returncode}:\n"
                               f"{err.read().decode(errors='replace')[-2000:]}")
    return best / 1024


def main() -> None:
    out, module = sys.argv[1], sys.argv[2]
    atexit.register(lambda: open(out, "w", encoding="ascii").write(str(_peak_kb())))
    sys.argv = [module, *sys.argv[3:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
