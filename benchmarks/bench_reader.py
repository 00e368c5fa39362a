"""Benchmark: reading an input table with our reader (python-calamine) vs openpyxl read-only.

Usage:  .venv/bin/python benchmarks/bench_reader.py [ROWS] [COLS]

Builds a workbook with one Excel table of ROWS x COLS (text, whole numbers, amounts with öre,
dates) in a temporary folder, then reads every cell of it

* with :func:`workbook_templates.files.reader.open_workbook` → ``table(...)`` (finds the table through
  the package, reads values with calamine, scans for error values, converts to Decimal), and
* with ``openpyxl.load_workbook(read_only=True, data_only=True)`` iterating the same range
  (values only; locating the table is not even included, read-only mode cannot see tables),

and prints the best of a few runs for each and their ratio. Not a test: no timing asserts.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openpyxl  # noqa: E402
import xlsxwriter  # noqa: E402

from workbook_templates.files.reader import open_workbook  # noqa: E402


def build(path: Path, rows: int, cols: int) -> list[str]:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Indata")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    headers = [f"Kolumn {j + 1}" for j in range(cols)]
    data = []
    for i in range(rows):
        row: list[object] = []
        for j in range(cols):
            kind = j % 4
            if kind == 0:
                row.append(f"Resultatenhet {i % 40}")
            elif kind == 1:
                row.append(2020 + i % 5)
            elif kind == 2:
                row.append(round((i * 7919 + j) % 1_000_000 / 100 - 2500, 2))
            else:
                row.append(dt.date(2025, 1, 1) + dt.timedelta(days=i % 365))
        data.append(row)
    ws.add_table(
        1,
        1,
        rows + 1,
        cols,
        {
            "name": "Poster",
            "columns": [
                {"header": h, "format": date_fmt if j % 4 == 3 else None}
                for j, h in enumerate(headers)
            ],
            "data": data,
        },
    )
    wb.close()
    return headers


def read_ours(path: Path, headers: list[str]) -> int:
    with open_workbook(path) as wb:
        res = wb.table("Poster", headers)
        assert not res.findings, res.findings
        total = Decimal(0)
        for r in res.table.rows:
            v = r.cells[2].value
            if isinstance(v, Decimal):
                total += v
        return len(res.table.rows)


def _dec(v: object) -> object:
    if isinstance(v, float):
        return Decimal(int(v)) if v.is_integer() else Decimal(repr(v))
    if isinstance(v, int) and not isinstance(v, bool):
        return Decimal(v)
    return v


def read_openpyxl(path: Path, rows: int, cols: int) -> int:
    """The same result (address + exact value per cell) built on openpyxl read-only."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb["Indata"]
        out = []
        header = None
        for row in ws.iter_rows(min_row=2, max_row=rows + 2, min_col=2, max_col=cols + 1):
            if header is None:
                header = {c.value: i for i, c in enumerate(row)}
                continue
            out.append(tuple((c.coordinate, _dec(c.value)) for c in row))
        return len(out)
    finally:
        wb.close()


def read_openpyxl_values_only(path: Path, rows: int, cols: int) -> int:
    """openpyxl's fastest mode: bare values, no addresses, no conversion."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb["Indata"]
        it = ws.iter_rows(min_row=3, max_row=rows + 2, min_col=2, max_col=cols + 1,
                          values_only=True)
        return sum(1 for _ in it)
    finally:
        wb.close()


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    cols = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.xlsx"
        headers = build(path, rows, cols)
        assert read_ours(path, headers) == rows
        assert read_openpyxl(path, rows, cols) == rows
        assert read_openpyxl_values_only(path, rows, cols) == rows
        ours = best_of(lambda: read_ours(path, headers))
        theirs = best_of(lambda: read_openpyxl(path, rows, cols))
        bare = best_of(lambda: read_openpyxl_values_only(path, rows, cols))
    print(f"table {rows} rows x {cols} columns ({rows * cols} cells), best of 3")
    print(f"  reader (calamine, addresses, Decimal, error scan): {ours * 1000:8.1f} ms")
    print(f"  openpyxl read-only, same result:                  {theirs * 1000:8.1f} ms")
    print(f"  openpyxl read-only, bare values only:             {bare * 1000:8.1f} ms")
    print(f"  ratio openpyxl (same result) / reader: {theirs / ours:.1f}x")
    print(f"  ratio openpyxl (bare values) / reader: {bare / ours:.1f}x")


if __name__ == "__main__":
    main()
