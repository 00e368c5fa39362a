"""Where a refresh spends its time, by phase (issue 17), measured in a fresh process.

    python -m benchmarks.profile_refresh FOLDER [--kommun FILE] [--json]

Imports the command line exactly as ``kommunbudget refresh`` does (timed: the imports), then
runs one ``kommunbudget refresh FOLDER --no-cache --report FILE`` (the command the benchmark
times, its JSON report written to a temporary file) with the phase functions wrapped by
wall-clock timers. Each phase is
counted *exclusively*: time in a nested phase (the reader called from the loader, the zip
assembly called while planning the write) belongs to the nested phase, so the phases add up to
the refresh. No cProfile: its per-call overhead would inflate the Python-heavy phases.

Phases: gate (safety checks), read (reader: zip structure, calamine, sheet XML), parse (loader:
cells to engine inputs, V10), engine, output layout (engine results to sheet rows), XML (plan the
patched sheet XML, compare with what is there), zip (parse and rebuild the package), write temp,
verify (read back what was written), backup, report (the JSON report: built and written),
other (locks, rename, the summary).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PHASES = ("imports", "gate", "read", "parse", "engine", "output layout", "XML", "zip",
          "write temp", "verify", "backup", "report", "other")

#: Phases that own everything called inside them (the read-back of the verification is
#: verification, not reading the inputs).
ABSORB = ("verify", "gate")


class PhaseClock:
    """Exclusive wall time per phase for wrapped functions (nested calls subtract)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        self._stack: list[list] = []  # [phase, start, time spent in nested phases]

    def wrap(self, phase: str, fn: Callable) -> Callable:
        if getattr(fn, "_phase", None) is not None:
            return fn

        @functools.wraps(fn)
        def timed(*args: object, **kwargs: object) -> object:
            own = self._stack[-1][0] if self._stack and self._stack[-1][0] in ABSORB else phase
            frame = [own, time.perf_counter(), 0.0]
            self._stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                self._stack.pop()
                spent = time.perf_counter() - frame[1]
                self.totals[own] += spent - frame[2]
                if self._stack:
                    self._stack[-1][2] += spent

        timed._phase = phase  # type: ignore[attr-defined]
        return timed

    def patch(self, owner: object, name: str, phase: str) -> None:
        """Wrap ``owner.name`` if it exists (modules change; a missing name is skipped)."""
        fn = getattr(owner, name, None)
        if callable(fn):
            setattr(owner, name, self.wrap(phase, fn))


def _instrument(clock: PhaseClock) -> None:
    from workbook_templates.cli import main as cli
    from workbook_templates.files import fileops, reader, xlsx_writer
    from workbook_templates.pipeline import outputs, refresh

    for name in ("_refresh_report", "write_report"):
        clock.patch(cli, name, "report")

    for name in ("_gated", "inspect_workbook", "_is_kommun"):  # (the names the refresh calls)
        clock.patch(refresh, name, "gate")
    for name in ("read_kommun", "read_namnd"):
        clock.patch(refresh, name, "parse")
    clock.patch(refresh, "compute_outputs", "output layout")
    clock.patch(refresh, "write_cells", "other")
    for name in ("__init__", "table", "block", "range", "named_range", "tables", "_grid",
                 "_error_cells", "values", "cell"):
        clock.patch(reader.WorkbookReader, name, "read")
    for name in ("berakna", "uppfoljning", "balansera", "affarsverk_inverkan", "check_changes",
                 "bindande_poster", "resolve_post"):  # the engine as the outputs module calls it
        clock.patch(outputs, name, "engine")
    for name in ("_normalise_updates", "_plan"):
        clock.patch(xlsx_writer, name, "XML")
    for name in ("_parse_zip", "_build_zip"):
        clock.patch(xlsx_writer, name, "zip")
    clock.patch(xlsx_writer, "_verify", "verify")
    clock.patch(fileops, "atomic_write_bytes", "write temp")
    clock.patch(fileops, "rotate_backups", "backup")


def profile(folder: Path, kommun: Path | None) -> dict[str, float]:
    t0 = time.perf_counter()
    from workbook_templates.cli import main as cli  # what `kommunbudget` imports

    clock = PhaseClock()
    clock.totals["imports"] = time.perf_counter() - t0
    _instrument(clock)
    run = clock.wrap("other", cli.main)
    with tempfile.TemporaryDirectory() as tmp:
        args = ["refresh", str(folder), *(["--kommun", str(kommun)] if kommun else []),
                "--quiet", "--no-cache", "--report", str(Path(tmp) / "report.json")]
        t1 = time.perf_counter()
        run(args)
        total = time.perf_counter() - t1
    clock.totals["total"] = total + clock.totals["imports"]
    return clock.totals


def table(rows: list[tuple[str, dict[str, float]]]) -> str:
    """Markdown: one column per run (label), seconds and share of the run."""
    head = "| phase | " + " | ".join(f"{label} s | {label} %" for label, _ in rows) + " |"
    out = [head, "|---|" + "---|---|" * len(rows)]
    for phase in (*PHASES, "total"):
        cells = []
        for _, t in rows:
            share = 100 * t.get(phase, 0.0) / t["total"] if t["total"] else 0.0
            cells.append(f"{t.get(phase, 0.0):.3f} | {share:.0f}")
        out.append(f"| {phase} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--kommun", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    totals = profile(args.folder, args.kommun)
    print(json.dumps(totals) if args.json else table([("refresh", totals)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
