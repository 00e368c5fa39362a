"""The work a first refresh cannot skip without dropping a safety property (issue 17), measured.

    python -m benchmarks.safety_floor PRISTINE WRITTEN [--json]

``PRISTINE`` is a folder of workbooks as they were before their first refresh, ``WRITTEN`` the
same workbooks after it. Each part below is done by a library in C or Rust (zlib, lxml,
python-calamine, blake2b), not by our Python; each figure is the minimum of three rounds in
this process (no process start, no import counted). Their sum is what a first refresh costs
however fast everything of ours around it becomes; ``benchmarks.run`` reports it beside the
floor (one process reading every cell with calamine and copying every file) measured in the
same run:

* the safety gate on every workbook, its cache empty (a first refresh): every part inflated,
  CRC-checked, scanned for a DTD and parsed (libxml2), every part's blake2b;
* calamine reading the sheets the loader reads (what the floor reads of those workbooks);
* deflating the sheets the refresh writes (``xlsx_writer.DEFLATE_LEVEL``);
* the verification of every write: the safety gate on the written file (every part inflated,
  CRC-checked, scanned for a DTD and hashed; the written sheets parsed, the copied parts known
  well-formed from the first gate), and calamine reading each written sheet back;
* the content digests (blake2b) of every file, before the read and after the write.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import zipfile
import zlib
from pathlib import Path

from python_calamine import CalamineWorkbook

from benchmarks.bench_reader import best_of
from workbook_templates import schema as S
from workbook_templates.files.reader import workbook_structure
from workbook_templates.files.safety import inspect_workbook
from workbook_templates.files.xlsx_writer import DEFLATE_LEVEL

#: the sheets a refresh writes (every other sheet is read by the loader or left alone)
OWNED = frozenset((*S.KOMMUN_OUTPUTS, *S.NAMND_OUTPUTS))


def measure(pristine: Path, written: Path) -> dict[str, float]:
    """Seconds of each part of the work (see the module docstring), and their ``total``."""
    before = sorted(glob.glob(str(pristine / "*.xlsx")))
    after = sorted(glob.glob(str(written / "*.xlsx")))
    sheets: list[tuple[str, set[str], list[tuple[str, bytes]]]] = []
    for path in after:
        with zipfile.ZipFile(path) as zf:
            infos = [s for s in workbook_structure(zf).sheets if s.name in OWNED and s.part]
            sheets.append((path, {s.part for s in infos}, [(s.name, zf.read(s.part))
                                                           for s in infos]))

    def gate() -> None:
        for p in before:
            inspect_workbook(Path(p))

    def read_inputs() -> None:
        for p in before:
            wb = CalamineWorkbook.from_path(p)
            for name in wb.sheet_names:
                if name not in OWNED:
                    wb.get_sheet_by_name(name).to_python(skip_empty_area=False)

    def deflate() -> None:
        for _, _, parts in sheets:
            for _, data in parts:
                c = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)
                c.compress(data)
                c.flush()

    def read_back() -> None:
        for path, _, parts in sheets:
            wb = CalamineWorkbook.from_path(path)
            for name, _ in parts:
                wb.get_sheet_by_name(name).to_python(skip_empty_area=False)

    known: set[str] = set()  # what the first gate parsed: the parts a write copies
    for p in before:
        known.update(inspect_workbook(Path(p)).wellformed)

    def gate_written() -> None:
        for path, _, _ in sheets:
            inspect_workbook(Path(path), known_wellformed=known)

    def digests() -> None:
        for p in (*before, *after):
            hashlib.blake2b(Path(p).read_bytes(), digest_size=20).digest()

    out = {"gate_s": best_of(gate), "read_s": best_of(read_inputs), "deflate_s": best_of(deflate),
           "read_back_s": best_of(read_back), "gate_written_s": best_of(gate_written),
           "digests_s": best_of(digests)}
    out["total_s"] = sum(out.values())
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pristine", type=Path)
    ap.add_argument("written", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    got = measure(args.pristine, args.written)
    print(json.dumps(got) if args.json else
          "\n".join(f"{k:16s} {v:.3f}" for k, v in got.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
