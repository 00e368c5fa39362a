"""Worker processes that never outlive the run that started them (issue 15).

``refresh --jobs N`` and a large CSV import use a :class:`ProcessPoolExecutor`. If the parent is
killed (SIGKILL, the OOM killer, a scheduler's timeout), the pool's own shutdown never runs and
its workers would sit forever waiting for work. :func:`worker_pool` gives every worker an
initializer that ties it to the parent:

* on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker the moment the
  process that forked it dies (the pool forks from the thread that submits, the main thread);
* everywhere, a daemon thread that checks twice a second whether the parent is still there
  (the worker's parent pid changed, or the parent's pid no longer exists) and ends the worker;
* a parent that died before the initializer ran is noticed at once.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext

__all__ = ["worker_pool"]

PR_SET_PDEATHSIG = 1
WATCH_INTERVAL = 0.5


def _parent_alive(parent: int, start_ppid: int) -> bool:
    if os.getppid() != start_ppid:
        return False  # re-parented: the process that started this worker is gone
    if os.name != "posix":
        return True
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _die_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when ``parent`` (the run) dies."""
    start_ppid = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watcher below still ends the worker
    if not _parent_alive(parent, start_ppid):
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(WATCH_INTERVAL)
            if not _parent_alive(parent, start_ppid):
                os._exit(1)

    threading.Thread(target=watch, name="kb-parent-watch", daemon=True).start()


def worker_pool(max_workers: int, mp_context: BaseContext | None = None) -> ProcessPoolExecutor:
    """A process pool whose workers die with this process (see the module docstring)."""
    return ProcessPoolExecutor(max_workers=max_workers, mp_context=mp_context,
                               initializer=_die_with_parent, initargs=(os.getpid(),))
