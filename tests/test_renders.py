"""Renders of the example workbooks for the user guide (issue 7), produced in the test run.

The refreshed example (kommun.xlsx and Bildningsnämnden's workbook, with the native formulas of
workbook_templates.generate.formula_sheets) goes LibreOffice -> PDF -> PNG, one whole-sheet picture per
main sheet, into docs/img/. A PNG is rewritten only when its bytes changed, so an unchanged layout
does not churn the repository; a changed layout shows up as a changed image in the diff.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests` is not a package (yet)

from tests.libreoffice import (  # noqa: E402
    RENDER_MARKS,
    _slug,
    build_refreshed_example,
    committee_file,
    render_png,
)

pytestmark = RENDER_MARKS

IMG = Path(__file__).resolve().parents[1] / "docs" / "img"
DPI = 75
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RENDER_COMMITTEE = "Bildningsnämnden"

#: (workbook, sheet) -> image name in docs/img
RENDERS = {
    ("kommun", "Översikt"): "kommun_oversikt.png",
    ("kommun", "Resultaträkning"): "kommun_resultatrakning.png",
    ("kommun", "Finansieringsdel"): "kommun_finansieringsdel.png",
    ("kommun", "Nyckeltal"): "kommun_nyckeltal.png",
    ("kommun", "Resultatbalansering"): "kommun_resultatbalansering.png",
    ("kommun", "Kontroll"): "kommun_kontroll.png",
    ("kommun", "Centrala poster"): "kommun_centrala_poster.png",
    ("kommun", "Funktioner"): "kommun_funktioner.png",
    ("namnd", "Driftsbudget"): "namnd_driftsbudget.png",
    ("namnd", "Resultatenheter"): "namnd_resultatenheter.png",
    ("namnd", "Resultat"): "namnd_resultat.png",
}


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def update_if_changed(new: Path, target: Path) -> bool:
    """Copy ``new`` to ``target`` unless target already has exactly these bytes."""
    data = new.read_bytes()
    if target.is_file() and target.read_bytes() == data:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    return True


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    root = tmp_path_factory.mktemp("renders")
    build_refreshed_example(root / "ex", "sv")
    books = {"kommun": root / "ex" / "kommun.xlsx",
             "namnd": root / "ex" / committee_file(RENDER_COMMITTEE)}
    pngs: dict[tuple[str, str], Path] = {}
    for book, path in books.items():
        sheets = [s for b, s in RENDERS if b == book]
        out = render_png(path, root / "png", sheets, dpi=DPI, whole_sheet=True)
        assert len(out) == len(sheets)
        for sheet in sheets:
            (png,) = [p for p in out if p.name == f"{path.stem}-{_slug(sheet)}-p1.png"]
            pngs[(book, sheet)] = png
    return pngs


@pytest.mark.parametrize("key", list(RENDERS), ids=list(RENDERS.values()))
def test_render_for_the_user_guide(rendered: dict[tuple[str, str], Path],
                                   key: tuple[str, str]) -> None:
    png = rendered[key]
    width, height = _png_size(png.read_bytes())
    # a real picture of a sheet, small enough for the guide
    assert 200 <= width <= 2400 and 80 <= height <= 3000, (width, height)
    assert png.stat().st_size < 450_000  # Resultatbalansering: ~410 kB with the disposition rows
    target = IMG / RENDERS[key]
    update_if_changed(png, target)
    assert target.read_bytes() == png.read_bytes()


def test_update_if_changed_leaves_identical_files_alone(tmp_path: Path) -> None:
    new, target = tmp_path / "new.png", tmp_path / "img" / "t.png"
    new.write_bytes(PNG_SIGNATURE + b"a")
    assert update_if_changed(new, target) is True
    stamp = target.stat().st_mtime_ns
    assert update_if_changed(new, target) is False
    assert target.stat().st_mtime_ns == stamp
    new.write_bytes(PNG_SIGNATURE + b"b")
    assert update_if_changed(new, target) is True
    assert target.read_bytes() == PNG_SIGNATURE + b"b"
