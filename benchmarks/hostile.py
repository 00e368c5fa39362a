"""Figures for docs/RELIABILITY.md, "Hostile conditions" (issue 15): time and peak memory of the
cases whose cost grows with the input, each in a fresh process (peak RSS = ``ru_maxrss``).

    python -m benchmarks.hostile [--out FOLDER]

Cases: an export with one 200 MB line; a 10 MB amount field (in a line under the line bound
and as the line itself); a 40,000-character cost centre through the whole import; a small
export for the baseline; and the writer's checked swap against a plain ``os.replace``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEADER = "Konto;Kostnadsställe;Period;Belopp\n"

READ = r"""
import json, resource, sys, time
from workbook_templates.files.ledger_io import read_ledger
t = time.perf_counter()
r = read_ledger(sys.argv[1])
dt = time.perf_counter() - t
print(json.dumps({"seconds": round(dt, 3),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                  "rows": r.rows_read,
                  "longest_message": max((len(f.message) for f in r.findings), default=0),
                  "errors": [f.message[:120] for f in r.findings if f.severity == "error"][:2]}))
"""

IMPORT = r"""
import json, resource, sys, time
from pathlib import Path
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd
from workbook_templates.pipeline.import_utfall import import_utfall
folder = Path(sys.argv[1])
ex = exempelkommun()
new_kommun(folder / "kommun.xlsx", ex)
for n in ex.namndlista:
    new_namnd(folder / f"{n}.xlsx", n, ex)
t = time.perf_counter()
res = import_utfall(sys.argv[2], sys.argv[3], folder / "kommun.xlsx")
dt = time.perf_counter() - t
print(json.dumps({"seconds": round(dt, 3),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                  "statuses": sorted({f.status for f in res.files}),
                  "files": len(res.files),
                  "longest_message": max((len(f.message) for f in res.findings), default=0)}))
"""

SWAP = r"""
import json, os, sys, time
from pathlib import Path
from workbook_templates.files import fileops
folder = Path(sys.argv[1])
data = os.urandom(2 << 20)  # a 2 MB workbook
target = folder / "Bok.xlsx"
target.write_bytes(data)
n = 200
def age():  # a workbook last saved an hour ago (not "racy": no content digest needed)
    old = time.time() - 3600
    os.utime(target, (old, old))
def checked_racy():
    checked(aged=False)
def checked(aged=True):
    if aged:
        age()
    d, st, snap = fileops.read_with_snapshot(target)
    tmp = fileops.temp_path(target)
    fileops.atomic_write_bytes(folder, d, tmp)
    fileops.keep_owner_and_mode(tmp, st)
    assert fileops.swap_in(tmp, target, snap).replaced
def plain():
    age()
    d = target.read_bytes()
    tmp = fileops.temp_path(target)
    fileops.atomic_write_bytes(folder, d, tmp)
    os.replace(tmp, target)
    fileops.fsync_dir(folder)
out = {}
for name, fn in (("plain_replace_ms", plain), ("checked_swap_ms", checked),
                 ("checked_swap_just_saved_ms", checked_racy)):
    fn()
    t = time.perf_counter()
    for _ in range(n):
        fn()
    out[name] = round((time.perf_counter() - t) / n * 1000, 2)
print(json.dumps(out))
"""


def _run(code: str, *args: str) -> dict:
    env_path = str(REPO)
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=REPO, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
                          check=False)
    if proc.returncode != 0:
        return {"exit": proc.returncode, "stderr": proc.stderr[-400:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", help="folder for the generated files (default: a temp folder)")
    args = ap.parse_args()
    folder = Path(args.out or tempfile.mkdtemp(prefix="kb-hostile-"))
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}

    small = folder / "small.csv"
    small.write_text(HEADER + "".join(f"4000;3100;{m % 12 + 1};{m},50\n" for m in range(1000)),
                     encoding="utf-8")
    results["baseline: 1,000-row export"] = _run(READ, str(small))

    line = folder / "line200mb.csv"
    with open(line, "wb") as f:
        f.write(HEADER.encode() + b"4000;3100;1;100,00\n4000;3100;2;")
        chunk = b"7" * (1 << 20)
        for _ in range(200):
            f.write(chunk)
        f.write(b"\n4000;3100;3;1,00\n")
    results["one 200 MB line"] = _run(READ, str(line))
    line.unlink()

    field = folder / "field10mb.csv"
    field.write_bytes(HEADER.encode() + b"4000;3100;1;100,00\n4000;3100;2;"
                      + b"9" * (10 << 20) + b"\n")
    results["a 10 MB amount field (the line is over the bound)"] = _run(READ, str(field))
    field.write_bytes(HEADER.encode() + b"4000;3100;1;100,00\n4000;3100;2;"
                      + b"9" * 1_000_000 + b"x\n")
    results["a 1 MB amount field (under the line bound)"] = _run(READ, str(field))
    field.unlink()

    imp = folder / "import"
    imp.mkdir(exist_ok=True)
    export = imp / "export.csv"
    export.write_text(HEADER + "4000;3100;1;1000,00\n" + f"4000;{'9' * 40_000};3;5,00\n",
                      encoding="utf-8")
    mapping = imp / "mappning.csv"
    konto = [ln for ln in (REPO / "engine/data/kontoplan_exempel.csv").read_text(
        encoding="utf-8").splitlines() if ln.startswith(("typ;", "konto;"))]
    mapping.write_text("\n".join(konto) + "\n", encoding="utf-8")
    results["import-utfall with a 40,000-character cost centre"] = _run(
        IMPORT, str(imp), str(export), str(mapping))

    swap = folder / "swap"
    swap.mkdir(exist_ok=True)
    results["writer: replace a 2 MB file (200 times)"] = _run(SWAP, str(swap))

    stamp = time.strftime("%Y-%m-%d")
    print(f"# benchmarks.hostile, {stamp}, Python {sys.version.split()[0]}")
    for name, r in results.items():
        print(f"{name}: {json.dumps(r, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
