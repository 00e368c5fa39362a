"""Run a module as ``python -m`` would and write the process's own peak resident memory.

    python benchmarks/peak.py OUT MODULE [ARGS...]     # OUT gets the peak in kB (VmHWM)

The rusage that ``wait4`` reports cannot be used for this on Linux: a child's ``ru_maxrss`` keeps
the high-water mark of the parent's memory it was forked from across ``exec`` (the benchmark
process itself holds the large size's generated workbooks and reports: about 600 MB, which every
refresh it started seemed to use). ``VmHWM`` in ``/proc/self/status`` belongs to the memory of
the program after ``exec`` alone; it is read when the module exits (``sys.exit`` included).
"""

import atexit
import runpy
import sys


def _peak_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    out, module = sys.argv[1], sys.argv[2]
    atexit.register(lambda: open(out, "w", encoding="ascii").write(str(_peak_kb())))
    sys.argv = [module, *sys.argv[3:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
