"""Ledger import benchmark: rows per second and peak memory of ``import-utfall`` (issue 8).

For each size a synthetic municipality and export are generated (seeded, see
:mod:`benchmarks.generate`), then a fresh Python subprocess reads the export and aggregates it,
so that timings and peak memory (``ru_maxrss``) are not polluted by the generator or by earlier
runs. The worker also checks that the import reconciles to the generator's true total.

    python -m benchmarks.bench_ledger            # 0.1 M, 1 M, 2 M, 5 M rows
    python -m benchmarks.bench_ledger --quick    # 0.1 M rows only, a few seconds (CI)
    python -m benchmarks.bench_ledger --rows 2000000 --json results.json

Columns: wall times of reading and aggregating, CPU time of the import (less sensitive than wall
time when other jobs share the machine), rows per second (wall), peak resident memory of the
worker and its baseline after imports (MB), the 1-minute load average, and whether the import
reconciled exactly to the generator's total. No timing is asserted anywhere; the numbers are printed as a table (and optionally as JSON for
the benchmark runner: :func:`run` returns the same rows as dicts).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Default sizes: rows -> municipality size used to generate them.
DEFAULT_ROWS = (100_000, 1_000_000, 2_000_000, 5_000_000)
QUICK_ROWS = (100_000,)


def size_for(rows: int) -> str:
    if rows <= 200_000:
        return "small"
    if rows <= 2_000_000:
        return "city"
    return "large"


def _rss_mb() -> float:
    """Peak resident memory of this process in MB.

    Linux: ``VmHWM`` from /proc/self/status (reset by exec, unlike ``ru_maxrss``, which a
    subprocess inherits from the parent it was forked from); elsewhere ``ru_maxrss``.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


def worker(export: Path, mapping: Path, truth_total: int, jobs: int = 1) -> dict[str, object]:
    """Runs in the subprocess: import once, measure, check the reconciliation."""
    from engine.ledger import aggregate_ledger
    from workbook_templates.files.ledger_io import read_ledger, read_mappning

    baseline = _rss_mb()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    mappning, _ = read_mappning(mapping)
    t1 = time.perf_counter()
    read = read_ledger(export, jobs=jobs)
    t2 = time.perf_counter()
    utfall, report = aggregate_ledger(read.frame, mappning, rows_rejected=read.rows_rejected)
    t3 = time.perf_counter()
    cpu = time.process_time() - cpu0
    return {
        "rows": report.rows_read,
        "jobs": jobs,
        "file_mb": round(export.stat().st_size / 1e6, 1),
        "mapping_s": round(t1 - t0, 3),
        "read_s": round(t2 - t1, 3),
        "aggregate_s": round(t3 - t2, 3),
        "total_s": round(t3 - t0, 3),
        "cpu_s": round(cpu, 3),  # less sensitive than wall time to other load on the machine
        "load_avg": round(os.getloadavg()[0], 2),
        "rows_per_s": int(report.rows_read / max(t3 - t0, 1e-9)),
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(_rss_mb(), 1),
        "outturn_rows": len(utfall),
        "reconciled": bool(report.reconciled and report.total_export_ore == truth_total),
    }


def run(
    rows_list: tuple[int, ...] | list[int], workdir: Path, *, seed: int = 0, jobs: int = 1
) -> list[dict[str, object]]:
    """Generate (or reuse) the exports and import each in a fresh subprocess."""
    from benchmarks.generate import generate_kommun, write_ledger_csv, write_mappning_csv

    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for rows in rows_list:
        size = size_for(rows)
        kommun = generate_kommun(size, seed=seed)
        mapping = write_mappning_csv(kommun, workdir / f"mappning_{size}.csv")
        export = workdir / f"huvudbok_{size}_{rows}_{seed}.csv"
        truth_file = export.with_suffix(".total")
        if export.exists() and truth_file.exists():
            truth_total = int(truth_file.read_text())
        else:
            t = time.perf_counter()
            truth_total = write_ledger_csv(kommun, export, rows, seed=seed).total_ore
            truth_file.write_text(str(truth_total))
            print(f"  generated {rows:,} rows ({size}) in {time.perf_counter() - t:.1f} s",
                  file=sys.stderr)
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_ledger", "--worker", str(export), str(mapping),
             str(truth_total), "--jobs", str(jobs)],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"worker failed for {rows} rows:\n{out.stderr}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["size"] = size
        results.append(result)
    return results


def table(results: list[dict[str, object]]) -> str:
    head = ("rows", "jobs", "size", "file MB", "read s", "aggr s", "total s", "cpu s", "rows/s",
            "peak MB", "base MB", "load", "exact")
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for r in results:
        lines.append(" | ".join(str(x) for x in (
            f"{r['rows']:,}", r["jobs"], r["size"], r["file_mb"], r["read_s"], r["aggregate_s"], r["total_s"],
            r["cpu_s"], f"{r['rows_per_s']:,}", r["peak_rss_mb"], r["baseline_rss_mb"],
            r["load_avg"], "yes" if r["reconciled"] else "NO")))
    return "\n".join(lines)


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Ledger import benchmark (rows/s, peak memory).")
    ap.add_argument("--quick", action="store_true", help="0.1 M rows only (a few seconds)")
    ap.add_argument("--rows", type=int, nargs="+", help="row counts to run")
    ap.add_argument("--workdir", type=Path, help="where exports are generated (default: temp)")
    ap.add_argument("--json", type=Path, help="also write the results as JSON")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1, help="processes for reading the CSV")
    ap.add_argument("--worker", nargs=3, metavar=("EXPORT", "MAPPING", "TOTAL"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        export, mapping, total = args.worker
        print(json.dumps(worker(Path(export), Path(mapping), int(total), args.jobs)))
        return 0
    rows = tuple(args.rows) if args.rows else (QUICK_ROWS if args.quick else DEFAULT_ROWS)
    if args.workdir:
        results = run(rows, args.workdir, seed=args.seed, jobs=args.jobs)
    else:
        with tempfile.TemporaryDirectory(prefix="kb_bench_") as tmp:
            results = run(rows, Path(tmp), seed=args.seed, jobs=args.jobs)
    print(f"Ledger import ({machine()})")
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=2))
    return 0 if all(r["reconciled"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
