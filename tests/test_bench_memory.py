"""The benchmark's memory of a command and its worker processes (``benchmarks.peak``): what
``refresh --jobs 2`` uses together, set beside the one process's peak in docs/PERFORMANCE.md."""

from __future__ import annotations

import os
import sys

import pytest

from benchmarks.peak import tree_peak_mb

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/smaps_rollup"),
                                reason="needs Linux's /proc/PID/smaps_rollup")

# A parent that forks two children; each child fills 60 MB of its own (pages written, so
# private to it) and holds them a while; the parent holds almost nothing.
FORKING = r"""
import os, sys, time
kids = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        block = bytearray(60 * 1024 * 1024)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(1.0)
        os._exit(0)
    kids.append(pid)
for pid in kids:
    os.waitpid(pid, 0)
sys.exit(int(sys.argv[1]))
"""


def test_the_workers_memory_is_counted_with_the_parents() -> None:
    mb = tree_peak_mb([sys.executable, "-c", FORKING, "0"], os.getcwd(), dict(os.environ), (0,))
    assert 120 <= mb < 200  # both children's 60 MB, plus two small Pythons


def test_a_failing_command_is_an_error_not_a_figure() -> None:
    with pytest.raises(RuntimeError, match="exited 3"):
        tree_peak_mb([sys.executable, "-c", FORKING, "3"], os.getcwd(), dict(os.environ), (0,))


def test_a_command_that_writes_much_to_stderr_is_not_blocked() -> None:
    """Its error output goes to a file, not a pipe that fills up while nobody reads it."""
    from concurrent.futures import ThreadPoolExecutor

    cmd = [sys.executable, "-c", "import sys; sys.stderr.write('x' * 1_000_000)"]
    pool = ThreadPoolExecutor(1)
    try:  # (a blocked run fails the test after a minute instead of hanging it)
        mb = pool.submit(tree_peak_mb, cmd, os.getcwd(), dict(os.environ), (0,)).result(timeout=60)
    finally:
        pool.shutdown(wait=False)
    assert mb > 0
