"""A full check does not render and compare again an owned sheet it knows holds what it would
write (issue 17; ``xlsx_writer.write_cells(known_unchanged=...)``, ``RunCache.unchanged_sheets``).

The key of that knowledge is the sheet part's bytes, the write (every row, type for type) and
what the comparison reads besides (the workbook's relationships and shared strings): equal keys
give equal verdicts. These tests hold the check that uses it to the check that renders
everything, and a sheet changed in any of those ways to being compared (and written) again.
"""

from __future__ import annotations

import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from workbook_fixtures import with_raw_values

from workbook_templates import schema as S
from workbook_templates.files import run_cache
from workbook_templates.files import xlsx_writer as X
from workbook_templates.files.reader import workbook_structure
from workbook_templates.files.run_cache import RunCache
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd
from workbook_templates.pipeline import refresh as R


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example municipality refreshed once with a cache: (folder, cache folder)."""
    root = tmp_path_factory.mktemp("unchanged") / "mapp"
    root.mkdir()
    ex = exempelkommun()
    new_kommun(root / "kommun.xlsx", ex)
    for i, n in enumerate(ex.namndlista):
        new_namnd(root / f"n{i}.xlsx", n, ex)
    cache = root.parent / "cache"
    first = R.refresh([root], root / "kommun.xlsx", cache=RunCache(cache))
    assert any(f.written for f in first.files)
    return root, cache


@pytest.fixture
def folder(written: tuple[Path, Path], tmp_path: Path) -> tuple[Path, RunCache]:
    """A copy of the refreshed folder and its cache, the whole-run record removed (so every
    refresh here is a full check)."""
    root, cache = written
    d = tmp_path / "mapp"
    shutil.copytree(root, d)
    c = tmp_path / "cache"
    shutil.copytree(cache, c)
    for record in c.glob("refresh-*.pickle"):
        record.unlink()
    return d, RunCache(c)


class Rendered:
    """Counts the owned sheets rendered and compared (``_unchanged_raw``), per workbook."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sheets: list[str] = []
        real = X._unchanged_raw

        def counted(*a: object, **k: object) -> object:
            self.sheets.append(self.current)
            return real(*a, **k)

        monkeypatch.setattr(X, "_unchanged_raw", counted)
        self.current = ""
        real_write = R.write_cells

        def write(path: Path, *a: object, **k: object) -> X.WriteResult:
            self.current = Path(path).name
            return real_write(path, *a, **k)

        monkeypatch.setattr(R, "write_cells", write)


def _check(d: Path, cache: RunCache | None) -> R.RefreshReport:
    for record in (cache.folder.glob("refresh-*.pickle") if cache else []):
        record.unlink()
    return R.refresh([d], d / "kommun.xlsx", cache=cache)


def _same(a: R.RefreshReport, b: R.RefreshReport) -> None:
    assert [(r.path, r.status, r.findings, r.changes) for r in a.files] == \
        [(r.path, r.status, r.findings, r.changes) for r in b.files]
    assert a.findings == b.findings


def _files(d: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in d.rglob("*") if p.is_file()}


def test_a_check_after_a_write_renders_no_owned_sheet_and_reports_what_rendering_does(
        folder: tuple[Path, RunCache], monkeypatch: pytest.MonkeyPatch) -> None:
    d, cache = folder
    rendered = Rendered(monkeypatch)
    data = _files(d)
    known = _check(d, cache)
    assert rendered.sheets == []  # every owned sheet known from the write
    assert {r.status for r in known.files} <= {"unchanged", "input-errors"}
    full = _check(d, None)  # no cache: every owned sheet rendered and compared
    assert len(rendered.sheets) >= 2 * len(known.files)
    _same(known, full)
    assert _files(d) == data


def test_a_check_after_a_write_normalises_no_owned_sheets_write(
        folder: tuple[Path, RunCache], monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet whose key is known is found from the write as the layout gave it: its rows are
    not normalised (issue 17: a third of a full check's writing); without the cache, every
    owned sheet's write is. (A write with dates, whose cells depend on the workbook's date
    system, is keyed after normalising, as before.)"""
    d, cache = folder
    normalised: list[bool] = []  # per block normalised: whether it was plain as it came
    real = X._normalise_block

    def counted(block: X.RowBlock) -> object:
        normalised.append(X._raw_plain(block))
        return real(block)

    monkeypatch.setattr(X, "_normalise_block", counted)
    known = _check(d, cache)
    assert True not in normalised
    assert len(normalised) <= len(known.files)  # (the municipality's sheet of dates)
    normalised.clear()
    full = _check(d, None)
    assert normalised.count(True) >= 2 * len(full.files)
    _same(known, full)


def test_a_write_not_known_is_checked_as_before_and_a_bad_value_raises(
        folder: tuple[Path, RunCache]) -> None:
    """A deferred write (a RowBlock, known keys given) whose key is not known is normalised as
    every write is: a value that cannot be written is the caller's ValueError, the file left
    as it was."""
    d, cache = folder
    path = sorted(d.glob("n*.xlsx"))[0]
    sheet = S.NAMND_OUTPUTS[0]
    data = path.read_bytes()
    names = sorted(p.name for p in d.iterdir())
    with pytest.raises(ValueError, match="cannot write"):
        X.write_cells(path, {sheet: X.RowBlock("A3", [["x", Decimal("NaN")]])},
                      owned_sheets=[sheet], known_unchanged=cache.unchanged_sheets())
    assert path.read_bytes() == data
    assert sorted(p.name for p in d.iterdir()) == names  # no lock or temp file left


def _a_number_cell(path: Path, sheet: str) -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        for row in wb[sheet].iter_rows(min_row=4):  # below the anchor (A3)
            for c in row:
                if type(c.value) in (int, float) and c.value:
                    return c.coordinate
    finally:
        wb.close()
    raise AssertionError(f"no number on {sheet}")


def test_an_owned_cell_changed_by_hand_is_compared_and_written_back(
        folder: tuple[Path, RunCache], monkeypatch: pytest.MonkeyPatch) -> None:
    d, cache = folder
    path = sorted(d.glob("n*.xlsx"))[0]
    sheet = S.NAMND_OUTPUTS[0]
    ref = _a_number_cell(path, sheet)
    with_raw_values(path, sheet, {ref: "999999"})  # typed over a result
    rendered = Rendered(monkeypatch)
    got = _check(d, cache)
    assert path.name in rendered.sheets  # its sheet was not known: compared
    status = {r.path.name: r for r in got.files}[path.name]
    assert status.written and any(ch.cell == ref for ch in status.changes)
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb[sheet][ref].value != 999999
    wb.close()
    # and now known again: the next check renders nothing
    rendered.sheets.clear()
    assert {r.status for r in _check(d, cache).files} <= {"unchanged", "input-errors"}
    assert rendered.sheets == []


_SST = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _with_shared_strings(path: Path, texts: list[str]) -> None:
    """Give the workbook a shared strings part holding ``texts`` (added, with its relationship
    and content type, as Excel has one; replaced when there is one)."""
    sst = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           f'count="{len(texts)}" uniqueCount="{len(texts)}">'
           + "".join(f"<si><t>{t}</t></si>" for t in texts) + "</sst>").encode()
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        names = src.namelist()
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/sharedStrings.xml":
                data = sst
            elif "xl/sharedStrings.xml" not in names and \
                    info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", (
                    f'<Relationship Id="rIdSst" Type="{_SST}" '
                    'Target="sharedStrings.xml"/></Relationships>').encode())
            elif "xl/sharedStrings.xml" not in names and \
                    info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", (
                    '<Override PartName="/xl/sharedStrings.xml" '
                    f'ContentType="{_SST_TYPE}"/></Types>').encode())
            dst.writestr(info, data)
        if "xl/sharedStrings.xml" not in names:
            dst.writestr("xl/sharedStrings.xml", sst)
    tmp.replace(path)


def test_other_shared_strings_with_the_same_sheet_bytes_are_compared_again(
        folder: tuple[Path, RunCache], monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet's bytes may point into the shared strings: the same bytes with other shared
    strings are another sheet (here a text added, as Excel adds one when a text is typed
    anywhere in the workbook)."""
    d, cache = folder
    path = sorted(d.glob("n*.xlsx"))[0]
    _with_shared_strings(path, ["Budget"])
    _check(d, cache)  # compared (the workbook rels changed), and known
    rendered = Rendered(monkeypatch)
    assert {r.status for r in _check(d, cache).files} <= {"unchanged", "input-errors"}
    assert rendered.sheets == []
    _with_shared_strings(path, ["Budget", "ny text"])
    with zipfile.ZipFile(path) as zf:
        structure = workbook_structure(zf)
        assert any(r.type == "sharedStrings"
                   for r in X.read_rels(zf, structure.workbook_part).values())
    got = _check(d, cache)
    assert rendered.sheets.count(path.name) >= 2  # its owned sheets compared again …
    assert set(rendered.sheets) == {path.name}  # … and no other workbook's
    assert {r.status for r in got.files} <= {"unchanged", "input-errors"}


def test_a_record_of_another_program_is_not_used(folder: tuple[Path, RunCache],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    d, cache = folder
    assert cache.unchanged_sheets()
    monkeypatch.setattr(run_cache, "_PROGRAM", ["another program"])
    assert cache.unchanged_sheets() == frozenset()
    rendered = Rendered(monkeypatch)
    _check(d, cache)
    assert rendered.sheets  # compared again


# the key: equal keys only for the same write, type for type --------------------------------

_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**9,
                max_value=10**9),
    st.sampled_from([Decimal("1"), Decimal("1.0"), Decimal("1.00"), Decimal("-0.00"), 1, 1.0,
                     True, "1", "", "1.0", -0.0, 0.0, 0]),
    st.text(max_size=5))


@given(st.lists(_VALUES, min_size=1, max_size=4), st.lists(_VALUES, min_size=1, max_size=4))
def test_writes_with_the_same_key_render_the_same_cells(a: list[object], b: list[object]) -> None:
    """Two writes whose keys are equal render every cell to the same XML (a key never makes
    1 and True, 1.0 and 1, Decimal 1.0 and 1.00, -0.0 and 0.0 or "1" and 1 one write)."""
    ctx = b"context"
    rows_a = {5: (range(1, len(a) + 1), a)}
    rows_b = {5: (range(1, len(b) + 1), b)}
    same_key = X._verdict_what(ctx, rows_a, [(5, 1, 9, 9)]) == \
        X._verdict_what(ctx, rows_b, [(5, 1, 9, 9)])
    assert same_key == (repr(a) == repr(b))
    if same_key:
        assert [type(v) for v in a] == [type(v) for v in b]
        assert X._RowRenderer({}).row(5, rows_a[5])[0] == X._RowRenderer({}).row(5, rows_b[5])[0]
    assert X._verdict_what(b"other", rows_a, [(5, 1, 9, 9)]) != \
        X._verdict_what(ctx, rows_a, [(5, 1, 9, 9)])
    assert X._verdict_what(ctx, rows_a, [(6, 1, 9, 9)]) != \
        X._verdict_what(ctx, rows_a, [(5, 1, 9, 9)])


@given(st.lists(st.lists(_VALUES, max_size=3), min_size=1, max_size=3),
       st.lists(st.lists(_VALUES, max_size=3), min_size=1, max_size=3))
def test_blocks_with_the_same_key_render_the_same_cells(a: list[list[object]],
                                                        b: list[list[object]]) -> None:
    """The key of a write as the layout gave it (a RowBlock, before normalising): equal only
    for the same rows type for type, at the same anchor, with the same clears and context;
    never equal to the key of a normalised write."""
    ctx = b"context"
    rects = [(5, 1, 9, 9)]
    ba, bb = X.RowBlock("B5", a), X.RowBlock("B5", b)
    assert X._raw_plain(ba) and X._raw_plain(bb)
    same_key = X._verdict_what_block(ctx, ba, rects) == X._verdict_what_block(ctx, bb, rects)
    assert same_key == (repr(a) == repr(b))
    if same_key:
        na, nb = X._normalise_block(ba), X._normalise_block(bb)
        ra, rb = X._rows_of(na), X._rows_of(nb)
        assert ra.keys() == rb.keys()
        for r in ra:
            assert X._RowRenderer({}).row(r, ra[r])[0] == X._RowRenderer({}).row(r, rb[r])[0]
    assert X._verdict_what_block(ctx, X.RowBlock("B6", a), rects) != \
        X._verdict_what_block(ctx, ba, rects)
    assert X._verdict_what_block(ctx, X.RowBlock("C5", a), rects) != \
        X._verdict_what_block(ctx, ba, rects)
    assert X._verdict_what_block(b"other", ba, rects) != X._verdict_what_block(ctx, ba, rects)
    assert X._verdict_what_block(ctx, ba, [(6, 1, 9, 9)]) != \
        X._verdict_what_block(ctx, ba, rects)
    assert X._verdict_what_block(ctx, ba, rects) != \
        X._verdict_what(ctx, X._rows_of(X._normalise_block(ba)), rects)


def test_a_block_whose_repr_is_not_exact_gets_no_key() -> None:
    """Only lists or tuples of plain values are keyed as given (another sequence's repr may
    elide, a date's cell depends on the workbook's date system, a formula is not plain)."""
    import datetime as dt

    from workbook_templates.files.xlsx_writer import Formula

    class Rows(list):
        def __repr__(self) -> str:
            return "[...]"

    assert X._raw_plain(X.RowBlock("A1", [[1, "a", None, Decimal("1.00"), 1.5, True]]))
    assert X._raw_plain(X.RowBlock("A1", ((1, 2), [3])))
    assert not X._raw_plain(X.RowBlock("A1", Rows([[1]])))
    assert not X._raw_plain(X.RowBlock("A1", [Rows([1])]))
    assert not X._raw_plain(X.RowBlock("A1", [[dt.date(2025, 1, 1)]]))
    assert not X._raw_plain(X.RowBlock("A1", [[Formula("=1")]]))
