"""The writer's row-text path (issue 17) is the element path, byte for byte.

:func:`xlsx_writer._plan` has two ways to patch a sheet: the general element path
(:class:`_SheetEditor`, a lxml element per cell) and the row-text path (each row rendered to its
``<row>`` XML text and compared with the row's present text; an unchanged sheet recognised from
its bytes). These tests hold them equal on real workbooks (the templates and a refresh's own
writes), on hostile values (``&``, ``<``, ``\\r``, control characters, ``_x0041_``, formulas)
and on random grids (hypothesis): the same package bytes, the same changed cells with the same
old and new values, the same lost formulas, the same errors. The verification's bulk read-back
is held to the cell-by-cell check the same way.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workbook_fixtures import OWNED_SHEET, build_fixture

from workbook_templates import schema as S
from workbook_templates.cli import report as cli_report
from workbook_templates.files import xlsx_writer as xw
from workbook_templates.files.reader import CellError, open_workbook
from workbook_templates.files.xlsx_writer import Formula, RowBlock, WriteStatus, write_cells
from workbook_templates.pipeline import refresh as rf


def _outcome(data: bytes, updates: dict, clear: dict | None, row_text: bool,
             max_changes: int | None = None) -> object:
    """What ``_plan`` makes of it: the package bytes and every patch, or the error raised."""
    if not row_text:  # the general path takes plain {address: value} mappings
        updates = {k: dict(v) for k, v in updates.items()}
    try:
        norm, clears = xw._normalise_updates(updates, clear, None)
        plan = xw._plan(data, norm, clears, True, max_changes, row_text=row_text)
    except Exception as e:  # noqa: BLE001 - the two paths must fail alike
        return ("raised", type(e).__name__, str(e))
    return (plan.data, sorted(plan.replaced), sorted(plan.removed),
            [(p.name, p.key, p.part, p.changed_cells, sorted(p.lost_formulas), p.changes)
             for p in plan.changed])


def assert_same(data: bytes, updates: dict, clear: dict | None = None,
                max_changes: int | None = None) -> object:
    general = _outcome(data, updates, clear, row_text=False, max_changes=max_changes)
    rows = _outcome(data, updates, clear, row_text=True, max_changes=max_changes)
    assert rows == general
    return general


class Spy:
    """Counts how each sheet was decided: unchanged from its bytes, row-text patch, fallback."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.raw_same = self.patched = self.fallback = 0
        raw, patch = xw._unchanged_raw, xw._patch_rows

        def spy_raw(*a: object) -> object:
            same, render = raw(*a)
            self.raw_same += same
            return same, render

        def spy_patch(*a: object, **k: object) -> object:
            try:
                out = patch(*a, **k)
            except xw._Fallback:
                self.fallback += 1
                raise
            self.patched += 1
            return out

        monkeypatch.setattr(xw, "_unchanged_raw", spy_raw)
        monkeypatch.setattr(xw, "_patch_rows", spy_patch)


# ---------------------------------------------------------------------------------------------
# Real workbooks: the templates and the refresh's own writes


@pytest.fixture(scope="module")
def refresh_writes(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> list:
    """(pristine bytes, bytes after the refresh, updates, clear) of every workbook a refresh
    of the example set writes."""
    folder = tmp_path_factory.mktemp("rows")
    for f in pristine.iterdir():
        shutil.copy(f, folder / f.name)
    before = {f.name: f.read_bytes() for f in folder.iterdir()}
    calls = []
    real = rf.write_cells

    def capture(path: Path, updates: dict, **kw: object) -> object:
        calls.append((Path(path).name, dict(updates), kw.get("clear")))
        return real(path, updates, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(rf, "write_cells", capture)
    try:
        rf.refresh([folder], folder / "kommun.xlsx")
    finally:
        mp.undo()
    assert len(calls) == 3
    return [(before[n], (folder / n).read_bytes(), u, c) for n, u, c in calls]


def test_first_refresh_of_the_templates_is_the_same(refresh_writes, monkeypatch) -> None:
    spy = Spy(monkeypatch)
    for data, _, updates, clear in refresh_writes:
        assert_same(data, updates, clear)
        assert_same(data, updates, clear, max_changes=25)
    assert spy.patched >= 6 and spy.fallback == 0  # every owned sheet took the row-text path


def test_unchanged_refresh_is_recognised_from_the_bytes(refresh_writes, monkeypatch) -> None:
    spy = Spy(monkeypatch)
    for _, data, updates, clear in refresh_writes:
        outcome = assert_same(data, updates, clear)
        assert outcome[0] is None  # nothing to write
    assert spy.raw_same >= 6 and spy.patched == 0


def test_changed_refresh_is_the_same(refresh_writes, monkeypatch) -> None:
    """Amounts moved, texts made hostile, the output shorter and longer: rows that differ go
    through the element path, the rest stay text."""
    spy = Spy(monkeypatch)
    for _, data, updates, clear in refresh_writes:
        for variant in range(3):
            changed = {}
            for sheet, block in updates.items():
                rows = [list(row) for row in block.rows]
                for i, row in enumerate(rows):
                    for j, v in enumerate(row):
                        if isinstance(v, Decimal) and (i + j) % 5 == variant:
                            row[j] = v + Decimal("0.01")
                        elif isinstance(v, str) and (i + j) % 7 == variant:
                            row[j] = v + " & <b>\r\n_x0041_\x01"
                if variant == 1:
                    rows = rows[: max(1, len(rows) - 3)]  # a shorter output
                elif variant == 2:
                    rows = [*rows, ["ny rad", Decimal("1E+3"), None, "", -0.0]]
                changed[sheet] = RowBlock(S.OUTPUT_ANCHOR, rows)
            assert_same(data, changed, clear)
            assert_same(data, changed, clear, max_changes=3)
    assert spy.patched >= 18 and spy.fallback == 0


# ---------------------------------------------------------------------------------------------
# Hostile values, on a workbook that holds everything (styles, a formula, other content)

HOSTILE = [
    "&", "<", ">", "a & b < c > d", "\r", "rad\r\nrad", "\n", " kant ", "\t", "",
    "\x01\x02\x0b\x0c\x1f", "_x0041_", "_x005F_x0041_", "_X0041_", "\ufffe", "\U0001f600",
    "naïve ÅÄÖ åäö", "]]>", "&amp;", "'\"", "=1+1",
]
OTHER = [
    Formula("=SUM(B2:B5)"), Formula("IF(A1<2,\"<&>\",\"x\")"), Formula("A1&\"\r\""),
    CellError("#N/A"), CellError("#DIV/0!"), True, False, 0, -7, 2**53 + 1, 3.25, -0.0, 1e-7,
    1.5e300, Decimal("0.10"), Decimal("-0"), Decimal("1E+3"), Decimal("-12345678.905"),
    Decimal("0E-5"), dt.date(2026, 1, 31), dt.datetime(2026, 1, 31, 12, 30), None,
]


@pytest.fixture(scope="module")
def fixture_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return build_fixture(tmp_path_factory.mktemp("fx") / "f.xlsm").read_bytes()


def _grid(values: list, width: int) -> list[list]:
    return [values[i : i + width] for i in range(0, len(values), width)]


@pytest.mark.parametrize("anchor", ["A1", "B2", "C10", "A40"])
def test_hostile_values_new_and_overwritten(fixture_bytes: bytes, anchor: str) -> None:
    values = [*HOSTILE, *OTHER]
    grid = _grid(values, 6)
    first = assert_same(fixture_bytes, {OWNED_SHEET: RowBlock(anchor, grid)})
    assert first[0] is not None
    # over what is there now: the same again (unchanged), reversed, and cleared below
    written = first[0]
    assert assert_same(written, {OWNED_SHEET: RowBlock(anchor, grid)})[0] is None  # unchanged
    flipped = _grid(values[::-1], 6)
    assert_same(written, {OWNED_SHEET: RowBlock(anchor, flipped)})
    assert_same(written, {OWNED_SHEET: RowBlock(anchor, grid[:2])}, {OWNED_SHEET: ["A1:XFD1048576"]})
    assert_same(written, {OWNED_SHEET: RowBlock(anchor, grid[3:])}, {OWNED_SHEET: ["B4:D30"]})
    assert_same(written, {OWNED_SHEET: xw.block(anchor, grid)})  # a plain mapping


def test_a_formula_lxml_refuses_fails_alike(fixture_bytes: bytes) -> None:
    outcome = assert_same(fixture_bytes, {OWNED_SHEET: RowBlock("A30", [[Formula("A1\x01")]])})
    assert outcome[0] == "raised"


def test_an_empty_formula_is_written_alike(fixture_bytes: bytes) -> None:
    # found by a differential fuzz (2026-12): the row text wrote <f></f>, lxml writes <f/>
    for body in ("", "="):
        outcome = assert_same(fixture_bytes, {OWNED_SHEET: RowBlock("A50", [[Formula(body)]])})
        assert outcome[0] is not None


def test_a_decoy_sheetdata_never_makes_a_stale_sheet_unchanged(fixture_bytes: bytes) -> None:
    # found by a differential fuzz (2026-12, a hand-made hostile part): the sheet's cells in a
    # prefixed <x:sheetData> (A5 = 999) and an unprefixed decoy <sheetData> (A5 = 42) inside
    # <extLst>. Writing 42 into A5 was "unchanged" from the bytes, leaving 999 in the sheet.
    m = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    part = (f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{m}" xmlns="{m}">'
            '<x:dimension ref="A5"/><x:sheetData><x:row r="5"><x:c r="A5"><x:v>999</x:v></x:c>'
            '</x:row></x:sheetData><x:extLst><x:ext uri="{decoy}"><sheetData><row r="1"></row>'
            '<row r="5"><c r="A5"><v>42</v></c></row></sheetData></x:ext></x:extLst>'
            '</x:worksheet>').encode()
    with zipfile.ZipFile(io.BytesIO(fixture_bytes)) as z:
        sheet_part = xw.workbook_structure(z).sheet(OWNED_SHEET).part
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
            for info in z.infolist():
                out.writestr(info, part if info.filename == sheet_part else z.read(info))
    outcome = assert_same(buf.getvalue(), {OWNED_SHEET: RowBlock("A5", [[Decimal(42)]])})
    assert outcome[0] is not None  # written
    [(_, _, _, _, _, changes)] = outcome[3]
    assert [(c.cell, c.old, c.new) for c in changes] == [("A5", Decimal(999), Decimal(42))]


# ---------------------------------------------------------------------------------------------
# Property: random grids, written on the fixture and over an earlier random write

_text = st.lists(st.sampled_from([*"aåZ0 &<>\r\n\t\x01_x0041", "_x0041_", "_x005F", "\ufffe"]),
                max_size=8).map("".join)
_value = st.one_of(
    st.none(), _text, st.booleans(), st.integers(-(10**15), 10**15),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**9,
                max_value=10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from([Formula("SUM(A1:B2)"), Formula("A1&\"<&>\""), CellError("#REF!"),
                     Decimal("1E+2"), Decimal("-0"), dt.date(2025, 6, 1)]),
)
_grids = st.tuples(
    st.sampled_from(["A1", "A3", "B2", "D7", "A25"]),
    st.lists(st.lists(_value, min_size=0, max_size=6), min_size=0, max_size=6),
)
_clears = st.sampled_from([None, ["A3:XFD1048576"], ["B2:C9"], ["A1:F40", "E5:E6"]])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(first=_grids, second=_grids, clear=_clears, room=st.sampled_from([None, 0, 2]))
def test_random_grids_take_the_same_path_both_ways(fixture_bytes, first, second, clear,
                                                   room) -> None:
    c = {OWNED_SHEET: clear} if clear else None
    out = assert_same(fixture_bytes, {OWNED_SHEET: RowBlock(*first)}, c, room)
    base = out[0] if out[0] not in (None, "raised") else fixture_bytes
    assert_same(base, {OWNED_SHEET: RowBlock(*second)}, c, room)
    assert_same(base, {OWNED_SHEET: RowBlock(*first)}, c, room)  # often: unchanged


def test_the_equivalence_check_can_fail(fixture_bytes, monkeypatch) -> None:
    """A renderer that writes one character differently is caught (the tests above mean it)."""
    real = xw._RowRenderer._row

    def off_by_one(self, r, cells):  # noqa: ANN001, ANN202
        text, *rest = real(self, r, cells)
        return (text.replace("<v>0</v>", "<v>0.0</v>"), *rest)

    monkeypatch.setattr(xw._RowRenderer, "_row", off_by_one)
    with pytest.raises(AssertionError):
        assert_same(fixture_bytes, {OWNED_SHEET: RowBlock("A30", [[Decimal(0)]])})


# ---------------------------------------------------------------------------------------------
# Verification in bulk, the change report's memory


def test_bulk_read_back_agrees_with_the_cell_by_cell_check(tmp_path: Path) -> None:
    book = build_fixture(tmp_path / "v.xlsm")
    rows = [["text", Decimal("1.5"), None, 7], ["", Decimal("-0.25"), "x & y", Decimal(0)]]
    assert write_cells(book, {OWNED_SHEET: RowBlock("B30", rows)}, backups=0).ok
    block = xw._normalise_updates({OWNED_SHEET: RowBlock("B30", rows)}, None, None)[0][OWNED_SHEET]
    with open_workbook(book) as wb:
        assert xw._read_back_in_bulk(wb, OWNED_SHEET, block, [(30, 2, 40, 20)])
        # a cell outside the block but inside the cleared rectangle holds something
        assert not xw._read_back_in_bulk(wb, OWNED_SHEET, block, [(1, 1, 40, 20)])
    for wrong in ([["text", Decimal("1.5001"), None, 7], rows[1]],  # a number off
                  [["Text", Decimal("1.5"), None, 7], rows[1]],  # a text off
                  [["text", Decimal("1.5"), "x", 7], rows[1]]):  # an empty cell is not "x"
        other = xw._normalise_updates({OWNED_SHEET: RowBlock("B30", wrong)}, None, None)[0]
        with open_workbook(book) as wb:
            assert not xw._read_back_in_bulk(wb, OWNED_SHEET, other[OWNED_SHEET], [])


def test_a_true_is_never_read_back_as_the_number_one(tmp_path: Path) -> None:
    book = build_fixture(tmp_path / "b.xlsm")
    assert write_cells(book, {OWNED_SHEET: {"B30": True}}, backups=0).ok
    block = xw._normalise_updates({OWNED_SHEET: RowBlock("B30", [[1]])}, None, None)[0]
    with open_workbook(book) as wb:
        assert not xw._read_back_in_bulk(wb, OWNED_SHEET, block[OWNED_SHEET], [])


@settings(max_examples=300, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False)
       | st.builds(Decimal, st.sampled_from(["-0", "0E+5", "-0.000", "1E+3", "1.500", "120",
                                            "0.10", "-12.0", "7E-9", "123456789012345678"])))
def test_number_text_fast_path_is_the_general_rule(v: Decimal) -> None:
    def rendered(v: Decimal) -> str:  # the row renderer's number, inline in its cell loop
        text = xw._RowRenderer([])._row(7, ([2], [v]))[0]
        assert text.startswith('<row r="7"><c r="B7"><v>') and text.endswith("</v></c></row>")
        return text[len('<row r="7"><c r="B7"><v>'):-len("</v></c></row>")]

    assert rendered(v) == xw._number_text(v)
    with localcontext() as ctx:  # normalize() rounds to the context's precision
        ctx.prec = 12
        assert rendered(v) == xw._number_text(v)


def test_bulk_read_back_tells_true_from_one(tmp_path: Path) -> None:
    book = build_fixture(tmp_path / "t.xlsm")
    rows = [[True, Decimal(1), False, 0.5]]
    assert write_cells(book, {OWNED_SHEET: RowBlock("B30", rows)}, backups=0).ok
    nb = xw._normalise_updates({OWNED_SHEET: RowBlock("B30", rows)}, None, None)[0][OWNED_SHEET]
    swapped = [[Decimal(1), True, Decimal(0), 0.5]]
    sb = xw._normalise_updates({OWNED_SHEET: RowBlock("B30", swapped)}, None, None)[0]
    with open_workbook(book) as wb:
        assert xw._read_back_in_bulk(wb, OWNED_SHEET, nb, [])
        assert not xw._read_back_in_bulk(wb, OWNED_SHEET, sb[OWNED_SHEET], [])


def test_only_the_reported_changes_are_kept_and_the_rest_counted(tmp_path: Path) -> None:
    book = build_fixture(tmp_path / "m.xlsm")
    rows = [[Decimal(r * 10 + c) for c in range(5)] for r in range(30)]  # 150 new cells
    full = _outcome(book.read_bytes(), {OWNED_SHEET: RowBlock("A40", rows)}, None, True)
    r = write_cells(book, {OWNED_SHEET: RowBlock("A40", rows)}, backups=0, max_changes=100)
    assert r.status is WriteStatus.WRITTEN and r.changed_cells == 150
    assert len(r.changes) == 100 and r.changes_omitted == 50
    assert list(r.changes) == [ch for p in full[3] for ch in p[5]][:100]
    assert r.changes[0].cell == "A40" and r.changes[-1].cell == "E59"


def test_the_report_counts_what_the_writer_left_out() -> None:
    assert rf.MAX_CHANGES == cli_report.MAX_CHANGES
    fr = rf.FileReport(Path("k.xlsx"), "kommun", "written",
                       changes=[xw.CellChange("S", "A1", None, Decimal(1))] * 3,
                       changes_omitted=1_000)
    out = cli_report._file(fr)
    assert len(out["changes"]) == 3 and out["changes_omitted"] == 1_000


def test_a_refresh_keeps_only_max_changes_per_file(pristine: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "m"
    shutil.copytree(pristine, folder)
    monkeypatch.setattr(rf, "MAX_CHANGES", 10)
    report = rf.refresh([folder], folder / "kommun.xlsx")
    kommun = next(f for f in report.files if f.role == "kommun")
    assert kommun.status in ("written", "input-errors")
    assert len(kommun.changes) == 10 and kommun.changes_omitted > 100
    with zipfile.ZipFile(io.BytesIO((folder / "kommun.xlsx").read_bytes())) as zf:
        assert zf.testzip() is None


def test_report_changes_are_json_objects_however_the_report_is_read(tmp_path: Path) -> None:
    import json

    changes = [xw.CellChange("S", f"A{i}", None, Decimal(i) / 4) for i in range(1, 5)]
    fr = rf.FileReport(Path("k.xlsx"), "kommun", "written", changes=changes)
    out = cli_report._file(fr)
    objs = [{"sheet": "S", "cell": f"A{i}", "old": None, "new": i / 4 if i % 4 else i // 4}
            for i in range(1, 5)]
    assert out["changes"] == objs and out["changes"][1] == objs[1] and list(out["changes"]) == objs
    path = tmp_path / "r.json"
    cli_report.write_report(path, {"files": [out]})
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps({"files": [out]}, ensure_ascii=False, indent=2, default=str) + "\n"
    assert json.loads(text)["files"][0]["changes"] == objs


_change_values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.text(max_size=6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**14,
                max_value=10**14),
    st.sampled_from([Decimal("-0.00"), Decimal("1E+3"), "\x00kb-changes-0\x00", "\"\\", "ä\u2028"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.tuples(st.text(max_size=4), st.text(max_size=4), _change_values,
                                   _change_values), max_size=5), max_size=4))
def test_the_report_text_is_the_encoders_whatever_the_changes(files: list) -> None:
    """write_report renders the changed cells itself (fast); the text must be json.dumps's."""
    import json
    import tempfile

    reports = [cli_report._file(rf.FileReport(Path(f"k{i}.xlsx"), "nämnd", "written",
                                              changes=[xw.CellChange(*c) for c in chs]))
               for i, chs in enumerate(files)]
    report = {"schema": "x", "files": reports, "findings": [{"message": "\x00kb-changes-"}]}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.json"
        cli_report.write_report(path, report)
        text = path.read_text(encoding="utf-8")
    assert text == json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n"


@pytest.mark.parametrize("n", range(1, 8))
def test_the_changed_cells_text_is_the_same_in_pieces(n: int) -> None:
    changes = cli_report._Changes([xw.CellChange("S", f"A{i}", None, Decimal(i)) for i in range(n)])
    whole = "".join(cli_report._changes_text(changes, 3, batch=10**9))
    for batch in (1, 2, 3, n):
        assert "".join(cli_report._changes_text(changes, 3, batch=batch)) == whole


# ---------------------------------------------------------------------------------------------
# Memory at the large size's peak (issue 17): what a write keeps, and what it does not make


def test_a_block_with_dates_is_written_and_verified_without_a_map_of_every_cell(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The municipality's budget changes carry dates; their block was turned into a dict of
    every cell (15 MB at the large size's write), and the verification made one again. Now the
    dates are converted in their rows and the cells are checked one by one from the rows; the
    caller's rows (the refresh's outputs, shared with its report) are left as they were."""
    book = build_fixture(tmp_path / "d.xlsm")
    rows = [["Paragraf 7", dt.date(2025, 6, 1), Decimal("-1250.50")],
            ["text", Decimal(3), None],
            [dt.datetime(2025, 1, 2, 12, 0), "x", Decimal("0.25")]]
    before = [list(r) for r in rows]

    def no_map(self: object) -> None:
        raise AssertionError("a map of every cell was made")

    monkeypatch.setattr(xw._Block, "cell_map", no_map)
    result = write_cells(book, {OWNED_SHEET: RowBlock("B30", rows)}, backups=0)
    assert result.status is WriteStatus.WRITTEN, result.findings
    assert rows == before  # not converted in the caller's rows
    monkeypatch.undo()
    with open_workbook(book) as wb:
        got = wb.read_back(OWNED_SHEET)
        assert got(30, 3) in (dt.date(2025, 6, 1), dt.datetime(2025, 6, 1), 45809)
        assert got(30, 4) == Decimal("-1250.50") and got(31, 2) == "text"
    # the same write again changes nothing (the dates compare as what was written)
    again = write_cells(book, {OWNED_SHEET: RowBlock("B30", rows)}, backups=0)
    assert again.status is WriteStatus.UNCHANGED


def test_a_plain_block_keeps_the_callers_rows_as_they_are(fixture_bytes: bytes) -> None:
    rows = [["a", Decimal(1), None], ["b", Decimal(2), 3]]
    block = xw._normalise_block(RowBlock("B2", rows))
    assert isinstance(block, xw._Block) and not block.dates
    assert [block.rows[2], block.rows[3]] == rows
    assert block.rows[2] is rows[0]  # not copied: the large municipality held 11 MB of copies
    dated = xw._normalise_block(RowBlock("B2", [["a", dt.date(2025, 1, 1)]]))
    assert isinstance(dated, xw._Block) and dated.dates
    assert dict(dated.items()) == {(2, 2): "a", (2, 3): dt.date(2025, 1, 1)}
    assert dated.has(2, 2) and dated.has(2, 3) and not dated.has(2, 4) and not dated.has(3, 2)


_row_piece = st.lists(st.sampled_from(["<c>", "<t></t>", "<t/>", "ä", "1", "</c>"]), max_size=5)


@settings(max_examples=400, deadline=None)
@given(st.lists(_row_piece.map(lambda p: f"<row>{''.join(p)}</row>"), max_size=5),
       st.binary(max_size=6), st.sampled_from(["same", "short", "other", "cut", "more"]),
       st.booleans())
def test_rows_compared_piece_by_piece_as_the_joined_text(texts: list[str], head: bytes,
                                                         how: str, empty: bool) -> None:
    """Issue 17: the unchanged check compares the sheet's rows with the rendered row texts one
    by one instead of joining and encoding them all; the verdict is the joined text's."""
    want = "".join(texts).encode("utf-8")
    rest = {"same": want, "short": want.replace(b"<t></t>", b"<t/>"),
            "other": want.replace(b"1", b"2"), "cut": want[:-1], "more": want + b"<row/>"}[how]
    body = head + rest
    expected = rest == want or empty and rest == want.replace(b"<t></t>", b"<t/>")
    assert xw._rows_are(body, len(head), texts, empty) is expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from(["S", "T ä", "\"x\""]), st.integers(1, 99),
                                   st.integers(1, 30), _change_values, _change_values),
                         max_size=6), max_size=3),
       st.sampled_from([1, 2, 5, 2048]))
def test_the_report_text_of_a_change_log_is_the_encoders(files: list, batch: int) -> None:
    """The writer's changes come as a ChangeLog, rendered run by run from its arrays; the text
    is json.dumps's of the same records, in pieces of any size."""
    import json
    import tempfile

    from workbook_templates.files.changes import ChangeLog
    from workbook_templates.files.reader import cell_name

    logs = [ChangeLog(xw.CellChange(s, cell_name(r, c), o, n) for s, r, c, o, n in chs)
            for chs in files]
    reports = [cli_report._file(rf.FileReport(Path(f"k{i}.xlsx"), "nämnd", "written",
                                              changes=log)) for i, log in enumerate(logs)]
    report = {"schema": "x", "files": reports}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.json"
        cli_report.write_report(path, report)
        text = path.read_text(encoding="utf-8")
    assert text == json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n"
    for out, log in zip(reports, logs, strict=True):
        if log:
            whole = "".join(cli_report._changes_text(out["changes"], 3, batch=10**9))
            assert "".join(cli_report._changes_text(out["changes"], 3, batch=batch)) == whole


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["S", "T ä"]), st.integers(1, 99), st.integers(1, 30),
                          st.one_of(st.none(), st.none(), _change_values), _change_values),
                max_size=12),
       st.sampled_from([1, 3, 2048]))
def test_the_report_text_of_cells_that_were_empty_is_the_encoders(changes: list,
                                                                   batch: int) -> None:
    """A first refresh's changes were empty cells nearly all ("old": null): runs of them, and
    runs with some other old value, are json.dumps's."""
    import json
    import tempfile

    from workbook_templates.files.changes import ChangeLog
    from workbook_templates.files.reader import cell_name

    log = ChangeLog(xw.CellChange(s, cell_name(r, c), o, n) for s, r, c, o, n in changes)
    out = cli_report._file(rf.FileReport(Path("k.xlsx"), "nämnd", "written", changes=log))
    report = {"files": [out]}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.json"
        cli_report.write_report(path, report)
        text = path.read_text(encoding="utf-8")
    assert text == json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n"
    if log:
        whole = "".join(cli_report._changes_text(out["changes"], 3, batch=10**9))
        assert "".join(cli_report._changes_text(out["changes"], 3, batch=batch)) == whole


def test_bulk_read_back_takes_a_number_in_a_date_cell_cell_by_cell(tmp_path: Path) -> None:
    """A number written into a date-formatted cell reads back through calamine as a date: the
    bulk check compares that row by the general rule (the serial of the date) instead of
    sending the whole block to the cell-by-cell path; a wrong number there is still caught."""
    import xlsxwriter

    book = tmp_path / "d.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    ws = wb.add_worksheet(OWNED_SHEET)
    ws.set_column("C:C", 12, wb.add_format({"num_format": "yyyy-mm-dd"}))
    ws.write("A1", "Rubrik")
    wb.close()
    rows = [["a", Decimal(1), Decimal(45700)], ["b", Decimal(2), Decimal("45726.5")],
            ["c", Decimal(3), None]]
    assert write_cells(book, {OWNED_SHEET: RowBlock("A3", rows)}, backups=0).ok
    with open_workbook(book) as wb_:
        assert isinstance(wb_.read_back(OWNED_SHEET)(3, 3), dt.date)  # calamine: a date
    block = xw._normalise_updates({OWNED_SHEET: RowBlock("A3", rows)}, None, None)[0]
    with open_workbook(book) as wb_:
        assert xw._read_back_in_bulk(wb_, OWNED_SHEET, block[OWNED_SHEET], [(3, 1, 40, 10)])
    for wrong in ([["a", Decimal(1), Decimal(45701)], *rows[1:]],  # another day
                  [["a", Decimal(1), Decimal("45700.25")], *rows[1:]],  # another time
                  [*rows[:2], ["c", Decimal(3), Decimal(45700)]]):  # a date where none is
        other = xw._normalise_updates({OWNED_SHEET: RowBlock("A3", wrong)}, None, None)[0]
        with open_workbook(book) as wb_:
            assert not xw._read_back_in_bulk(wb_, OWNED_SHEET, other[OWNED_SHEET], [])
