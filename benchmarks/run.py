"""Benchmark runner (issue 8): where the batch refresh stands, measured in one run.

For each municipality size (:mod:`benchmarks.generate`: small town, city, large city) the
synthetic municipality is written as real workbooks (one municipality workbook, one per
committee, through the templates), then, each measured in the same run on the same files:

* **floor** — just reading every input table with the fast reader (python-calamine) plus copying
  every workbook file: the I/O a refresh cannot avoid;
* **refresh** — the batch refresh (safety gate, read, engine, write back), first run (writes) and
  second run (unchanged inputs: nothing rewritten); ratio against the floor;
* **openpyxl** — a naive openpyxl load-and-save of the same workbooks (what a tool that round-trips
  the files would cost, and lose); ratio against the refresh;
* **engine** — statements, checks and resultatbalansering alone, per 1 000 units;
* **UDF** — median call time of ``KB_ARSBIDRAG`` on a 40-line, 5-year statement;
* **ledger import** — rows per second and peak memory (:mod:`benchmarks.bench_ledger`).

No thresholds: the numbers are printed (and written to docs/PERFORMANCE.md with ``--write-doc``).

    python -m benchmarks.run --quick          # small town only, a few seconds (CI runs this)
    python -m benchmarks.run --write-doc      # all three sizes, results into docs/PERFORMANCE.md
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from benchmarks.generate import Kommun, generate_kommun
from engine.budget import Budget, Finansiering, Projekt, Uppgift
from engine.resultatbalansering import Resultatenhet
from workbook_templates.generate.example import Exempel, exempelkommun

ROOT = Path(__file__).resolve().parents[1]


def _d(ore: int) -> Decimal:
    return Decimal(int(ore)).scaleb(-2).quantize(Decimal("0.01"))


def exempel_from(k: Kommun) -> Exempel:
    """The generated municipality as an :class:`Exempel` the templates can write: every unit is
    a task (and a result unit), central lines keep the totals in balance."""
    years = tuple(str(y) for y in k.ar)
    names = dict(zip(k.namnder["kod"], k.namnder["namn"], strict=True))
    unit_namnd = {u: names[n] for u, n in zip(k.enheter["kod"], k.enheter["namnd"], strict=True)}
    unit_name = {u: f"{u} {n}" for u, n in zip(k.enheter["kod"], k.enheter["namn"], strict=True)}
    lines: dict[str, dict[str, list[Decimal | None]]] = {}
    for ar, enhet, code, ore in zip(k.budget["ar"], k.budget["enhet"], k.budget["radkod"],
                                    k.budget["belopp_ore"], strict=True):
        vals = lines.setdefault(enhet, {}).setdefault(code, [None] * len(years))
        vals[years.index(str(ar))] = _d(ore)
    uppgifter = tuple(Uppgift(unit_name[u], unit_namnd[u], Finansiering.BUDGETFINANSIERAD,
                              {c: tuple(v) for c, v in ls.items()}) for u, ls in lines.items())
    vb = [sum((v[i] or 0 for ls in lines.values() for c, v in ls.items()
               if c.startswith("RR.V")), Decimal(0)) for i in range(len(years))]
    central = {"RR.SKATT": tuple((-x * Decimal("0.7")).quantize(Decimal(1)) for x in vb),
               "RR.SA": tuple((-x * Decimal("0.32")).quantize(Decimal(1)) for x in vb)}
    projekt = []
    for pid, group in k.investeringar.groupby("projekt"):
        utg = [None] * len(years)
        fa = [None] * len(years)
        for ar, u, f in zip(group["ar"], group["utgift_ore"], group["finansieringsandel_ore"],
                            strict=True):
            utg[years.index(str(ar))] = _d(u)
            fa[years.index(str(ar))] = _d(f)
        projekt.append(Projekt(str(pid), names[group["namnd"].iloc[0]],
                               belopp={"IN.UTG": tuple(utg), "IN.FA": tuple(fa)}))
    enheter = []
    for i, (u, central_flag) in enumerate(zip(k.enheter["kod"], k.enheter["central"],
                                              strict=True)):
        net = -sum((v[0] or 0 for c, v in lines.get(u, {}).items() if c.startswith("RR.V")),
                   Decimal(0))
        utfall = (net * (Decimal(1) + Decimal((i % 7) - 3) / 100)).quantize(Decimal(1))
        enheter.append(Resultatenhet.fran_budget(unit_namnd[u], unit_name[u], net, utfall,
                                                 central=bool(central_flag)))
    base = exempelkommun()
    budget = Budget(k.namn, years, uppgifter, tuple(projekt), central,
                    tuple(10_000 * len(k.enheter) // 40 for _ in years))
    return replace(base, budget=budget, enheter=tuple(enheter), namnder=(), justeringar=(),
                   namndlista=tuple(k.namnder["namn"]), utfall=(), andringar=())


def write_workbooks(ex: Exempel, folder: Path) -> Path:
    from workbook_templates.generate.templates import new_kommun, new_namnd

    folder.mkdir(parents=True, exist_ok=True)
    kommun = new_kommun(folder / "kommun.xlsx", ex)
    for i, n in enumerate(ex.namndlista):
        new_namnd(folder / f"namnd_{i:02d}.xlsx", n, ex)
    return kommun


def _time(fn: Callable[[], object], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _floor(folder: Path, out: Path) -> None:
    from workbook_templates.files.reader import open_workbook
    from workbook_templates.schema import T

    specs = [v for v in vars(T).values() if hasattr(v, "name") and hasattr(v, "headers")]
    for path in sorted(folder.glob("*.xlsx")):
        with open_workbook(path) as r:
            for spec in specs:
                if r.find_table(spec.name) is not None:
                    r.table(spec.name)
        shutil.copyfile(path, out / path.name)


def _openpyxl_round_trip(folder: Path, out: Path) -> None:
    import openpyxl

    for path in sorted(folder.glob("*.xlsx")):
        wb = openpyxl.load_workbook(path)
        wb.save(out / path.name)


def measure(size: str, work: Path) -> dict[str, object]:
    from engine.budget import berakna
    from engine.resultatbalansering import balansera
    from engine.uppfoljning import uppfoljning
    from workbook_templates.pipeline.refresh import refresh

    k = generate_kommun(size)
    ex = exempel_from(k)
    folder = work / size
    shutil.rmtree(folder, ignore_errors=True)
    t_gen = _time(lambda: write_workbooks(ex, folder))
    kommun = folder / "kommun.xlsx"
    n_files = len(list(folder.glob("*.xlsx")))
    scratch = work / f"{size}-scratch"
    scratch.mkdir(exist_ok=True)
    floor = _time(lambda: _floor(folder, scratch), repeat=2)
    twin = work / f"{size}-jobs"  # a pristine copy, for the first refresh with --jobs 2
    shutil.rmtree(twin, ignore_errors=True)
    shutil.copytree(folder, twin)
    first = _time(lambda: refresh([folder], kommun))
    second = _time(lambda: refresh([folder], kommun), repeat=2)
    jobs2 = _time(lambda: refresh([twin], twin / "kommun.xlsx", jobs=2))
    shutil.rmtree(twin, ignore_errors=True)
    naive = _time(lambda: _openpyxl_round_trip(folder, scratch))
    units = len(ex.enheter)

    def engine() -> None:
        b = berakna(ex.budget)
        uppfoljning(b, budgetar=int(ex.budget.years[2]))
        balansera(ex.enheter, ar=2024)

    t_engine = _time(engine, repeat=2)
    shutil.rmtree(scratch, ignore_errors=True)
    return {"size": size, "committees": len(k.namnder), "units": units, "files": n_files,
            "generate_s": t_gen, "floor_s": floor, "refresh_s": first,
            "refresh_unchanged_s": second, "refresh_jobs2_s": jobs2, "openpyxl_s": naive,
            "refresh_over_floor": first / floor, "openpyxl_over_refresh": naive / first,
            "engine_s": t_engine, "engine_per_1000_units_s": t_engine * 1000 / units}


def udf_overhead(calls: int = 300) -> dict[str, float]:
    """Median time of one KB_ARSBIDRAG call on a 40-line, 5-year statement, and of the engine
    computation it wraps (the difference is the adapter's overhead)."""
    from addin.udfs import KB_ARSBIDRAG
    from engine.catalogue import catalogue
    from engine.statements import compute

    leaves = [ln.code for ln in catalogue().part("RR") if not ln.computed][:20]
    leaves += [ln.code for ln in catalogue().part("FD") if not ln.computed][:20]
    rader = [[c] for c in leaves]
    belopp = [[float((i + 1) * 1000 * (1 if catalogue()[c].sign != "-" else -1))] * 5
              for i, c in enumerate(leaves)]
    given = {c: tuple(Decimal(str(v)) for v in row) for c, row in zip(leaves, belopp, strict=True)}
    udf, eng = [], []
    for _ in range(calls):
        t = time.perf_counter()
        KB_ARSBIDRAG(rader, belopp)
        udf.append(time.perf_counter() - t)
        t = time.perf_counter()
        compute(given, ["1", "2", "3", "4", "5"], ("RR", "IN", "FD", "BAL"))
        eng.append(time.perf_counter() - t)
    return {"udf_median_ms": statistics.median(udf) * 1000,
            "engine_median_ms": statistics.median(eng) * 1000}


def machine() -> str:
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}")


def table(rows: list[dict[str, object]]) -> str:
    head = ("| size | committees | units | files | floor s | refresh s | refresh/floor | "
            "unchanged s | refresh --jobs 2 s | openpyxl s | openpyxl/refresh | "
            "engine s / 1000 units |")
    out = [head, "|" + "---|" * 12]
    for r in rows:
        out.append(f"| {r['size']} | {r['committees']} | {r['units']} | {r['files']} | "
                   f"{r['floor_s']:.2f} | {r['refresh_s']:.2f} | {r['refresh_over_floor']:.1f} | "
                   f"{r['refresh_unchanged_s']:.2f} | {r['refresh_jobs2_s']:.2f} | "
                   f"{r['openpyxl_s']:.2f} | "
                   f"{r['openpyxl_over_refresh']:.1f} | {r['engine_per_1000_units_s']:.3f} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small town only (CI)")
    ap.add_argument("--sizes", nargs="+", default=None)
    ap.add_argument("--write-doc", action="store_true", help="write docs/PERFORMANCE.md")
    ap.add_argument("--no-ledger", action="store_true")
    args = ap.parse_args(argv)
    sizes = ["small"] if args.quick else (args.sizes or ["small", "city", "large"])
    rows = []
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        for size in sizes:
            print(f"measuring {size} ...", file=sys.stderr, flush=True)
            rows.append(measure(size, Path(tmp)))
    udf = udf_overhead(100 if args.quick else 500)
    text = [f"Machine: {machine()}", "", table(rows), "",
            f"UDF KB_ARSBIDRAG (40 lines × 5 years): median {udf['udf_median_ms']:.2f} ms per "
            f"call; the engine computation inside it {udf['engine_median_ms']:.2f} ms."]
    if not args.no_ledger:
        from benchmarks import bench_ledger

        rows_list = bench_ledger.QUICK_ROWS if args.quick else (100_000, 1_000_000, 2_000_000,
                                                                 5_000_000)
        with tempfile.TemporaryDirectory(prefix="kb-ledger-") as tmp:
            ledger_rows = bench_ledger.run(rows_list, Path(tmp))
        text += ["", "Ledger import (`import-utfall` read + map + aggregate, fresh process each):",
                 "", bench_ledger.table(ledger_rows)]
    report = "\n".join(text)
    print(report)
    if args.write_doc:
        _write_doc(report)
    return 0


def _write_doc(report: str) -> None:
    doc = ROOT / "docs" / "PERFORMANCE.md"
    doc.write_text(PREAMBLE + "\n" + report + "\n", encoding="utf-8")


PREAMBLE = """# Performance

Measured by `python -m benchmarks.run --write-doc` (all sizes; `--quick` runs the small town only
and is part of `make test`, so the benchmark cannot rot). Every figure below comes from one run on
the machine named, all baselines measured in the same run on the same files. No test asserts a
time.

- **floor**: reading every input table with the fast reader plus copying every workbook: the I/O
  a refresh cannot avoid. **refresh/floor** shows how close the refresh is to that limit.
- **refresh**: safety gate + read + engine + lossless write-back of every owned sheet;
  **unchanged**: the same again with unchanged inputs (nothing is rewritten).
- **openpyxl**: a naive openpyxl load-and-save of the same workbooks (which would also drop the
  buttons); **openpyxl/refresh** > 1 means our lossless patching is the faster of the two.
- **refresh --jobs 2**: the same first refresh with committee workbooks read and written in two
  worker processes (the engine runs once); on this 2-core machine it pays only when the other
  core is free.
- **engine**: statements, follow-up checks and resultatbalansering alone, per 1 000 units.
"""


if __name__ == "__main__":
    sys.exit(main())
