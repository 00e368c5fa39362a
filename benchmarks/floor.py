"""The I/O floor of a refresh (issue 17), run as its own fresh Python process.

Reads every cell of every sheet of every workbook in SRC with python-calamine and copies every
file to DST: the reading and writing a refresh cannot avoid. It imports nothing of kommunbudget,
so the process costs only interpreter start, python-calamine and the I/O.

    python benchmarks/floor.py SRC DST       # prints the number of cells read
"""

import shutil
import sys
from pathlib import Path

from python_calamine import CalamineWorkbook


def main(src: Path, dst: Path) -> int:
    dst.mkdir(parents=True, exist_ok=True)
    cells = 0
    for path in sorted(p for p in src.iterdir() if p.suffix in (".xlsx", ".xlsm")):
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            cells += sum(len(row) for row in wb.get_sheet_by_name(name).to_python())
        shutil.copyfile(path, dst / path.name)
    return cells


if __name__ == "__main__":
    print(main(Path(sys.argv[1]), Path(sys.argv[2])))
