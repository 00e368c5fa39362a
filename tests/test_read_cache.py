"""A refresh reuses a committee workbook's last read when nothing it was read from has changed
(issue 17; ``workbook_templates.pipeline.refresh._read_key``, ``RunCache.load_read``).

The key is the content of every part of the workbook except the sheets a refresh writes, so the
refresh's own write does not make the next run read the workbook again. That is right only while
the loader never reads those sheets: the first test holds it to that. The others hold the
reuse to what a full read gives: the same report, and a workbook read again as soon as anything
it was read from changed (an input cell, the municipality's year columns, the folder it is in).
"""

from __future__ import annotations

import collections
import shutil
import zipfile
from pathlib import Path

import hostile_files as hf
import pytest
from workbook_fixtures import with_raw_values

from workbook_templates import schema as S
from workbook_templates.files.reader import WorkbookReader, open_workbook, workbook_structure
from workbook_templates.files.run_cache import RunCache
from workbook_templates.files.safety import inspect_workbook
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd
from workbook_templates.pipeline import refresh as R
from workbook_templates.pipeline.loader import read_kolumner, read_namnd


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    ex = exempelkommun()
    root = tmp_path / "mapp"
    root.mkdir()
    new_kommun(root / "kommun.xlsx", ex)
    for i, n in enumerate(ex.namndlista):
        new_namnd(root / f"n{i}.xlsx", n, ex)
    return root


def _committees(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("n*.xlsx"))


def _run(root: Path, cache: RunCache | None, monkeypatch) -> tuple[R.RefreshReport, list[str]]:
    """A refresh of ``root`` and the names of the workbooks the loader read."""
    read: list[str] = []

    def counting(src, *args, **kwargs):
        read.append(Path(src.path if hasattr(src, "path") else src).name)
        return read_namnd(src, *args, **kwargs)

    monkeypatch.setattr(R, "read_namnd", counting)
    if cache is not None:  # the whole-run reuse is another feature: make every run a check
        for record in cache.folder.glob("refresh-*.pickle"):
            record.unlink()
    report = R.refresh([root], root / "kommun.xlsx", cache=cache)
    return report, read


def _same(a: R.RefreshReport, b: R.RefreshReport) -> None:
    assert [(r.path, r.status, r.findings) for r in a.files] == \
        [(r.path, r.status, r.findings) for r in b.files]
    assert a.findings == b.findings
    assert a.outputs.kommun_sheets == b.outputs.kommun_sheets
    assert a.outputs.namnd_sheets == b.outputs.namnd_sheets


def test_the_loader_reads_no_sheet_that_a_refresh_writes(folder: Path, monkeypatch) -> None:
    """What the key leaves out must be what the loader never reads: no sheet a refresh writes
    is loaded, and none of their parts is opened, while a committee workbook is read (before
    and after a refresh has written it)."""
    R.refresh([folder], folder / "kommun.xlsx")  # the owned sheets now hold the outputs
    with open_workbook(folder / "kommun.xlsx") as r:
        kolumner = read_kolumner(r, [])
    sheets: list[str] = []
    parts: list[str] = []
    grid, opened, read = WorkbookReader._grid, zipfile.ZipFile.open, zipfile.ZipFile.read

    def grid_seen(self, sheet):
        sheets.append(sheet)
        return grid(self, sheet)

    def open_seen(self, name, *args, **kwargs):
        parts.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return opened(self, name, *args, **kwargs)

    def read_seen(self, name, *args, **kwargs):
        parts.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return read(self, name, *args, **kwargs)

    for path in _committees(folder):
        with zipfile.ZipFile(path) as zf:
            structure = workbook_structure(zf)
        owned = {structure.sheet(s).part for s in R.REFRESH_SHEETS if structure.sheet(s)}
        assert owned, "the committee workbook has sheets a refresh writes"
        sheets.clear()
        parts.clear()
        monkeypatch.setattr(WorkbookReader, "_grid", grid_seen)
        monkeypatch.setattr(zipfile.ZipFile, "open", open_seen)
        monkeypatch.setattr(zipfile.ZipFile, "read", read_seen)
        n = read_namnd(path, kolumner)
        monkeypatch.undo()
        assert n.readable and sheets
        assert not set(sheets) & R.REFRESH_SHEETS, path.name
        assert not set(parts) & owned, path.name


def test_an_unchanged_check_after_a_write_reuses_every_read_and_reports_the_same(
        folder: Path, tmp_path: Path, monkeypatch) -> None:
    cache = RunCache(tmp_path / "cache")
    first, read = _run(folder, cache, monkeypatch)
    assert {r.status for r in first.files} >= {"written"}
    assert sorted(read) == [p.name for p in _committees(folder)]
    again, read = _run(folder, cache, monkeypatch)
    assert read == []  # every committee's read reused, though the refresh wrote each one
    full, read = _run(folder, None, monkeypatch)  # --no-cache: every workbook read
    assert len(read) == len(_committees(folder))
    _same(again, full)
    assert {r.status for r in again.files} <= {"unchanged", "input-errors"}


def test_a_changed_input_cell_is_read_again_and_counted(folder: Path, tmp_path: Path,
                                                         monkeypatch) -> None:
    cache = RunCache(tmp_path / "cache")
    _run(folder, cache, monkeypatch)
    _run(folder, cache, monkeypatch)
    social = next(p for p in _committees(folder)
                  if "Socialnämnden" in str(read_namnd(p).namnd))
    with open_workbook(social) as wb:
        row = wb.table(S.T.DRIFT.name).table.rows[0]
        cell = next(c for c in row.cells if isinstance(c.value, (int, float))
                    or type(c.value).__name__ == "Decimal")
    with_raw_values(social, S.T.DRIFT.sheet, {cell.address: "123456.78"})
    twin = tmp_path / "twin"  # the same folder, read in full
    shutil.copytree(folder, twin)
    changed, read = _run(folder, cache, monkeypatch)
    assert read == [social.name]  # only the workbook that changed
    assert any(r.path == social and r.written for r in changed.files)
    full, _ = _run(twin, None, monkeypatch)
    assert [(r.path.name, r.status, r.findings) for r in changed.files] == \
        [(r.path.name, r.status, r.findings) for r in full.files]
    assert changed.findings == full.findings
    assert changed.outputs.kommun_sheets == full.outputs.kommun_sheets
    assert changed.outputs.namnd_sheets == full.outputs.namnd_sheets
    # edited and put back as it was: the content of the record again, which is reused
    with_raw_values(social, S.T.DRIFT.sheet, {cell.address: "1"})
    with_raw_values(social, S.T.DRIFT.sheet, {cell.address: "123456.78"})
    _, read = _run(folder, cache, monkeypatch)
    assert read == []


def test_a_folder_moved_or_copied_is_read_again(folder: Path, tmp_path: Path,
                                                monkeypatch) -> None:
    cache = RunCache(tmp_path / "cache")
    _run(folder, cache, monkeypatch)
    _run(folder, cache, monkeypatch)
    moved = tmp_path / "flyttad"
    shutil.copytree(folder, moved)
    before = {p.name: p.read_bytes() for p in folder.glob("*.xlsx")}
    report, read = _run(moved, cache, monkeypatch)
    assert sorted(read) == [p.name for p in _committees(moved)]
    assert all(r.path.parent == moved for r in report.files)
    assert {p.name: p.read_bytes() for p in folder.glob("*.xlsx")} == before


def test_a_record_that_cannot_be_used_means_a_full_read(folder: Path, tmp_path: Path,
                                                       monkeypatch) -> None:
    cache = RunCache(tmp_path / "cache")
    _run(folder, cache, monkeypatch)
    _run(folder, cache, monkeypatch)
    records = sorted(cache.folder.glob("read-*.pickle"))
    assert len(records) == len(_committees(folder))
    records[0].write_bytes(b"not a pickle")
    records[1].chmod(0o666)  # writable by others: never trusted
    report, read = _run(folder, cache, monkeypatch)
    assert len(read) == 2
    full, _ = _run(folder, None, monkeypatch)
    _same(report, full)


def test_the_key_changes_with_what_the_loader_reads_and_not_with_the_owned_sheets(
        folder: Path) -> None:
    path = _committees(folder)[0]
    with open_workbook(folder / "kommun.xlsx") as r:
        kolumner = read_kolumner(r, [])
    gate = inspect_workbook(path)
    before = R.version_before_reading(path)
    key = R._read_key(path, kolumner, gate, before)
    assert key is not None and key == R._read_key(path, kolumner, gate, before)
    with zipfile.ZipFile(path) as zf:
        structure = workbook_structure(zf)
    owned = structure.sheet(S.NAMND_OUTPUTS[0]).part
    drift = structure.sheet(S.T.DRIFT.sheet).part

    def with_digest(part: str, digest: str):
        return type(gate)(gate.findings, gate.codes, gate.bytes_decompressed,
                          gate.entries_checked,
                          tuple((n, digest if n == part else d) for n, d in gate.part_digests))

    assert R._read_key(path, kolumner, with_digest(owned, "0" * 40), before) == key
    assert R._read_key(path, kolumner, with_digest(drift, "0" * 40), before) != key
    assert R._read_key(path, kolumner[:-1], gate, before) != key
    partial = type(gate)(gate.findings, gate.codes, gate.bytes_decompressed,
                         gate.entries_checked, gate.part_digests[1:])
    assert R._read_key(path, kolumner, partial, before) is None  # a part not checked whole
    counts = collections.Counter(n for n, _ in gate.part_digests)
    assert max(counts.values()) == 1


def test_a_location_pickles_as_its_constructor_arguments_every_field_kept() -> None:
    """Location's __reduce__ (kept reads unpickle tens of thousands of them) keeps every field,
    also one added later: each field is set to a value of its own and read back."""
    import dataclasses
    import pickle

    from engine.findings import Location

    names = [f.name for f in dataclasses.fields(Location)]
    loc = Location(**{name: f"v-{name}" for name in names})
    back = pickle.loads(pickle.dumps(loc, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == loc and type(back) is Location
    assert [getattr(back, n) for n in names] == [f"v-{n}" for n in names]
    assert pickle.loads(pickle.dumps(Location())) == Location()


def _gate_reports(monkeypatch, owner) -> list:
    """The reports of the safety gate called through ``owner``'s binding of it
    (``owner.inspect_workbook``) from now on, in order."""
    seen: list = []
    real = owner.inspect_workbook

    def gate(path, *args, **kwargs):
        seen.append(real(path, *args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(owner, "inspect_workbook", gate)
    return seen


def test_the_gate_of_an_unchanged_check_parses_no_content_it_has_parsed_or_written(
        folder: Path, tmp_path: Path, monkeypatch) -> None:
    """After a refresh has written, the next check's safety gate knows every XML part: those it
    parsed, and those the writer wrote (their verification gated the written file, parsing
    them with the gate's parser). It still decompresses, CRC-checks and scans the workbook it
    gates; it parses none. It gates only the municipality's workbook: the committees' written
    bytes passed the gate in their verification, with nothing found, and their reads are kept."""
    cache = RunCache(tmp_path / "cache")
    reports = _gate_reports(monkeypatch, R)
    R.refresh([folder], folder / "kommun.xlsx", cache=cache)
    assert len(reports) == 1 + len(_committees(folder)) and any(r.wellformed for r in reports)
    reports.clear()
    for record in cache.folder.glob("refresh-*.pickle"):
        record.unlink()
    again = R.refresh([folder], folder / "kommun.xlsx", cache=cache)
    assert len(reports) == 1  # the municipality's workbook (its read is not kept)
    assert all(r.wellformed == () and r.part_digests for r in reports)
    assert {r.status for r in again.files} <= {"unchanged", "input-errors"}


# bytes gated clean before are not gated again when their read is kept -------------------

def _gated_names(monkeypatch) -> list[str]:
    """The names of the workbooks the safety gate inspects from now on, in order."""
    seen: list[str] = []
    real = R.inspect_workbook

    def gate(path, *args, **kwargs):
        seen.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(R, "inspect_workbook", gate)
    return seen


def test_bytes_gated_clean_before_are_not_gated_again_when_their_read_is_kept(
        folder: Path, tmp_path: Path, monkeypatch) -> None:
    """The first refresh gates and reads every workbook and writes every one (new bytes, which
    its verification gates); from then on a check gates only the municipality's workbook,
    which it reads, and reports what a full check reports."""
    cache = RunCache(tmp_path / "cache")
    assert all(not inspect_workbook(p).findings for p in _committees(folder))  # clean
    gated = _gated_names(monkeypatch)
    _run(folder, cache, monkeypatch)
    assert sorted(gated) == sorted(p.name for p in folder.glob("*.xlsx"))  # unknown: gated
    gated.clear()
    _run(folder, cache, monkeypatch)
    assert gated == ["kommun.xlsx"]  # the written bytes passed the gate as they were written
    gated.clear()
    again, read = _run(folder, cache, monkeypatch)
    assert read == [] and gated == ["kommun.xlsx"]
    full, read = _run(folder, None, monkeypatch)  # --no-cache: every workbook gated and read
    assert len(read) == len(_committees(folder))
    assert sorted(gated) == sorted(["kommun.xlsx", *(p.name for p in folder.glob("*.xlsx"))])
    _same(again, full)


def test_a_workbook_whose_bytes_changed_is_gated_again_and_refused_when_hostile(
        folder: Path, tmp_path: Path, monkeypatch) -> None:
    cache = RunCache(tmp_path / "cache")
    _run(folder, cache, monkeypatch)
    _run(folder, cache, monkeypatch)
    hostile = _committees(folder)[0]
    hf.with_dtd(hostile)
    assert inspect_workbook(hostile).refused
    gated = _gated_names(monkeypatch)
    report, read = _run(folder, cache, monkeypatch)
    assert sorted(gated) == sorted(["kommun.xlsx", hostile.name])
    assert read == []  # refused: not read (and its kept read not used)
    assert {r.path.name: r.status for r in report.files}[hostile.name] == "refused"


def test_a_workbook_the_gate_warns_about_is_gated_every_time(
        folder: Path, tmp_path: Path, monkeypatch) -> None:
    """Only a gate that found nothing at all is remembered: a warning is said every run. The
    workbook holds data connections (xl/connections.xml), which the gate warns about wherever
    it looks: before the read, and in the verification of the bytes written."""
    warned = _committees(folder)[0]
    entries = hf.read_entries(warned)
    hf.write_zip(warned, [*entries, hf.Entry(
        "xl/connections.xml", b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<connections xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>')])
    assert [c for c in inspect_workbook(warned).codes] == ["data_connections"]
    seen = _gated_names(monkeypatch)
    cache = RunCache(tmp_path / "cache")
    for i in range(3):  # written, then checked twice
        seen.clear()
        report = R.refresh([folder], folder / "kommun.xlsx", cache=cache)
        assert report.files[1].path == warned and report.files[1].written is (i == 0)
        for record in cache.folder.glob("refresh-*.pickle"):
            record.unlink()
    assert sorted(seen) == sorted(["kommun.xlsx", warned.name])  # the others: known clean
    assert any("dataanslutningar" in f.message for f in report.findings)


def test_bytes_that_changed_while_read_are_not_remembered_as_gated(
        folder: Path, tmp_path: Path, monkeypatch) -> None:
    """Another refresh writes a committee's owned sheet between the hash of its bytes and the
    gate (here: the sheet's part deflated anew, so the bytes differ and the content does not).
    The read goes on (only the sheets a refresh writes changed), but the gate saw other bytes
    than those hashed: nothing is remembered for either."""
    cache = RunCache(tmp_path / "cache")
    _run(folder, cache, monkeypatch)
    moved = _committees(folder)[0]
    with zipfile.ZipFile(moved) as zf:
        owned = workbook_structure(zf).sheet(S.NAMND_OUTPUTS[0]).part
        entries = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(moved, "w") as out:  # bytes its write's gate never saw: gated below
        for info, data in entries:
            out.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    hashed: list[str] = []
    real = R.inspect_workbook

    def gate(path, *args, **kwargs):
        if Path(path) == moved and not hashed:
            hashed.append(R.version_before_reading(moved).digest)
            with zipfile.ZipFile(moved) as zf:
                entries = [(i, zf.read(i)) for i in zf.infolist()]
            with zipfile.ZipFile(moved, "w") as out:
                for info, data in entries:
                    out.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED,
                                 compresslevel=1 if info.filename == owned else None)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(R, "inspect_workbook", gate)
    for record in cache.folder.glob("refresh-*.pickle"):
        record.unlink()
    report = R.refresh([folder], folder / "kommun.xlsx", cache=cache)
    monkeypatch.undo()
    assert hashed and report.outputs is not None
    assert cache.gated_parts(moved, hashed[0]) is None
    assert cache.gated_parts(moved, R.version_before_reading(moved).digest) is None
    for p in _committees(folder)[1:]:  # the others: remembered
        assert cache.gated_parts(p, R.version_before_reading(p).digest) is not None, p.name


def test_a_gate_is_remembered_per_file_content_and_program(tmp_path: Path,
                                                           monkeypatch) -> None:
    from workbook_templates.files import run_cache

    cache = RunCache(tmp_path / "cache")
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    cache.remember_gated(a, "1" * 40, "p" * 40)
    assert cache.gated_parts(a, "1" * 40) == "p" * 40
    assert cache.gated_parts(a, "2" * 40) is None  # other bytes
    assert cache.gated_parts(b, "1" * 40) is None  # the same bytes in another file
    with cache.run():  # inside a run: what it learns is found at once
        assert cache.gated_parts(a, "1" * 40) == "p" * 40
        cache.remember_gated(b, "1" * 40, "q" * 40)
        assert cache.gated_parts(b, "1" * 40) == "q" * 40
    assert RunCache(tmp_path / "cache").gated_parts(b, "1" * 40) == "q" * 40  # saved
    monkeypatch.setattr(run_cache, "_PROGRAM", ["another program"])
    assert cache.gated_parts(a, "1" * 40) is None


def test_a_record_of_well_formed_content_is_trusted_only_when_private_and_this_programs(
        tmp_path: Path, monkeypatch) -> None:
    from workbook_templates.files import run_cache

    cache = RunCache(tmp_path / "cache")
    cache.remember_wellformed(["a" * 40, "b" * 40])
    assert cache.wellformed() == {"a" * 40, "b" * 40}
    cache.remember_wellformed(["c" * 40])
    assert cache.wellformed() == {"a" * 40, "b" * 40, "c" * 40}
    record = cache.folder / "wellformed.pickle"
    record.chmod(0o666)
    assert cache.wellformed() == frozenset()  # writable by others
    record.chmod(0o600)
    monkeypatch.setattr(run_cache, "_PROGRAM", ["another program"])
    assert cache.wellformed() == frozenset()
    monkeypatch.setattr(run_cache, "_PROGRAM", [])
    monkeypatch.setattr(run_cache, "_KNOWN_MAX", 3)
    cache.remember_wellformed(["d" * 40])  # grown past the bound: starts again
    assert cache.wellformed() == {"d" * 40}


def test_records_of_reads_not_written_for_long_are_removed(tmp_path: Path) -> None:
    import os
    import time

    from workbook_templates.files import run_cache

    cache = RunCache(tmp_path / "cache")
    assert cache.save_read(tmp_path / "gone.xlsx", "k1", {"read": 1})
    old = cache._read_path(tmp_path / "gone.xlsx")
    past = time.time() - (run_cache._READ_DAYS + 1) * 86_400
    os.utime(old, (past, past))
    assert cache.save_read(tmp_path / "here.xlsx", "k2", {"read": 2})
    assert not old.exists()
    assert cache.load_read(tmp_path / "here.xlsx", "k2") == {"read": 2}
    assert cache.load_read(tmp_path / "here.xlsx", "k1") is None  # another key: not this read


def test_records_of_runs_not_written_for_long_are_removed(tmp_path: Path) -> None:
    """A nightly job that refreshes a folder of its own every night leaves a record per
    night: one not written for as long as a read's is removed."""
    import os
    import time

    from workbook_templates.files import run_cache

    cache = RunCache(tmp_path / "cache")
    record = run_cache.Record(run_cache.State("p", ()), "2026-01-01T00:00:00+00:00", "x")
    assert cache.save("night1", record)
    assert cache.save("night2", record)
    old, recent = cache._path("night1"), cache._path("night2")
    os.utime(old, (time.time() - (run_cache._READ_DAYS + 1) * 86_400,) * 2)
    os.utime(recent, (time.time() - (run_cache._READ_DAYS - 1) * 86_400,) * 2)
    assert cache.save("night3", record)
    assert not old.exists() and recent.exists()
    assert cache.load("night3") == record and cache.load("night2") == record


# the read as the cache keeps it (workbook_templates.pipeline.read_record) -------------------

def _amount(v) -> object:
    return None if v is None else (type(v), v.as_tuple() if hasattr(v, "as_tuple") else v)


def _place(loc) -> object:
    return None if loc is None else (type(loc), loc.workbook, loc.sheet, loc.cell, loc.table,
                                     *map(type, (loc.workbook, loc.sheet, loc.cell, loc.table)))


def _exact(n) -> tuple:
    """A read's tasks, outturn rows and row locations, type for type and each amount's sign,
    digits and exponent."""
    tasks = tuple((type(u), u.namn, u.namnd, u.finansiering, type(u.belopp), tuple(
        (code, type(vals), tuple(_amount(v) for v in vals))
        for code, vals in u.belopp.items())) for u in n.uppgifter)
    rows = (type(n.utfall), tuple((type(r), r.objekt, r.kod, _amount(r.utfall),
                                   _amount(r.prognos), _place(r.location)) for r in n.utfall))
    places = (type(n.rader), tuple((type(k), k, _place(v)) for k, v in n.rader.items()))
    return tasks, rows, places


def _kept(n):
    import pickle

    from workbook_templates.pipeline import read_record

    return read_record.unpack(pickle.loads(pickle.dumps(read_record.pack(n),
                                                        protocol=pickle.HIGHEST_PROTOCOL)))


def test_a_kept_read_is_the_read_it_was_type_for_type(folder: Path) -> None:
    from workbook_templates.pipeline import read_record

    for path in _committees(folder):
        n = read_namnd(path, read_kolumner(open_workbook(folder / "kommun.xlsx"), []))
        packed = read_record.pack(n)
        assert n.uppgifter and type(packed) is tuple  # packed, not kept as it is
        assert n.utfall and n.rader and packed[-2] is not None and packed[-1] is not None
        back = _kept(n)
        assert back == n
        assert _exact(back) == _exact(n)


def test_amounts_of_every_form_are_kept_exactly() -> None:
    from decimal import Decimal

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from engine.budget import Finansiering, Uppgift
    from workbook_templates.pipeline.loader import NamndInput

    amounts = st.one_of(
        st.none(),
        st.decimals(allow_nan=False, allow_infinity=False, places=None),
        st.sampled_from([Decimal("-0.00"), Decimal("0"), Decimal("1E+3"), Decimal("-5.10"),
                         Decimal("NaN"), Decimal("-Infinity")]))
    tasks = st.lists(st.builds(
        Uppgift, st.text(), st.text(), st.sampled_from(list(Finansiering)),
        st.dictionaries(st.text(), st.lists(amounts, max_size=6).map(tuple), max_size=5)),
        max_size=6)

    @settings(max_examples=300, deadline=None)
    @given(tasks)
    def check(ups: list) -> None:
        n = NamndInput(Path("n.xlsx"), "Nämnd", uppgifter=ups)
        back = _kept(n)
        assert back is not None and back.path == n.path and back.namnd == n.namnd
        assert _exact(back) == _exact(n)

    check()


def test_a_read_of_another_shape_is_kept_as_it_is_and_a_damaged_record_is_none() -> None:
    from decimal import Decimal

    from engine.budget import Uppgift
    from workbook_templates.pipeline import read_record
    from workbook_templates.pipeline.loader import NamndInput

    odd = NamndInput(Path("n.xlsx"), uppgifter=[Uppgift("a", "b", belopp={"RR.VI": [
        Decimal("1.00")]})])  # a list row: not what the loader makes
    assert read_record.pack(odd) is odd
    assert _kept(odd) == odd
    good = NamndInput(Path("n.xlsx"), uppgifter=[Uppgift("a", "b", belopp={"RR.VI": (
        Decimal("1.00"), None)})])
    layout, bare, shape, count, text, rows, places = read_record.pack(good)
    assert (count, text) == (2, "1.00,")
    assert read_record.unpack((layout, bare, shape, count, "1.00,x", rows, places)) is None
    assert read_record.unpack((layout, bare, shape, 3, "1.00,,", rows, places)) is None
    assert read_record.unpack((layout, bare, shape, 1, "1.00", rows, places)) is None
    assert read_record.unpack(("other", bare, shape, count, text, rows, places)) is None
    assert read_record.unpack((layout, bare, shape, count, text)) is None  # the old layout
    assert read_record.unpack({"read": 1}) is None


def test_outturn_rows_and_row_places_of_every_form_are_kept_exactly() -> None:
    """The outturn rows and the task rows' locations, kept as columns, come back equal type for
    type (every amount its own exponent, a location's every field, None where None)."""
    from decimal import Decimal

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from engine.findings import Location
    from engine.uppfoljning import PostUtfall
    from workbook_templates.pipeline import read_record
    from workbook_templates.pipeline.loader import NamndInput

    amounts = st.one_of(st.none(), st.decimals(allow_nan=True, allow_infinity=True),
                        st.sampled_from([Decimal("-0.00"), Decimal("1E+3"), Decimal("5.10")]))
    texts = st.one_of(st.none(), st.text(max_size=8), st.sampled_from(["a,b", "", ","]))
    locations = st.builds(Location, texts, texts, texts, texts)
    rows = st.lists(st.builds(PostUtfall, st.text(max_size=8), st.text(max_size=8), amounts,
                              amounts, st.one_of(st.none(), locations)), max_size=8)
    places = st.dictionaries(st.tuples(st.text(max_size=6), st.text(max_size=6)), locations,
                             max_size=6)

    @settings(max_examples=300, deadline=None)
    @given(rows, places)
    def check(utfall: list, rader: dict) -> None:
        n = NamndInput(Path("n.xlsx"), "Nämnd", utfall=utfall, rader=rader)
        packed = read_record.pack(n)
        assert packed[-2] is not None and packed[-1] is not None  # both as columns
        back = _kept(n)
        assert back is not None and back.path == n.path and back.namnd == n.namnd
        assert _exact(back) == _exact(n)  # (not ==: a NaN is not equal to itself)

    check()


def test_outturn_rows_of_another_shape_are_kept_as_they_are() -> None:
    from decimal import Decimal

    from engine.findings import Location
    from engine.uppfoljning import PostUtfall
    from workbook_templates.pipeline import read_record
    from workbook_templates.pipeline.loader import NamndInput

    plain = PostUtfall("a", "RR.VI", Decimal("1.00"), None, Location("n.xlsx", "Utfall", "A2"))
    odd_row = PostUtfall("a", "RR.VI", 1.5, None)  # a float: not what the loader makes
    odd_place = Location("n.xlsx", "Utfall", 7)  # a cell that is no text
    for n in (NamndInput(Path("n.xlsx"), utfall=[plain, odd_row]),
              NamndInput(Path("n.xlsx"), utfall=[_with_location(plain, odd_place)]),
              NamndInput(Path("n.xlsx"), rader={("a", "RR.VI"): odd_place}),
              NamndInput(Path("n.xlsx"), rader={("a", "RR.VI"): None})):
        packed = read_record.pack(n)
        assert packed[-2] is None or packed[-1] is None
        back = _kept(n)
        assert back == n and _exact(back) == _exact(n)
    damaged = read_record.pack(NamndInput(Path("n.xlsx"), utfall=[plain, plain]))
    objekts, kods, text, locations = damaged[5]
    for rows in ((objekts[:1], kods, text, locations), (objekts, kods, text + ",1", locations),
                 (objekts, kods, text, (locations[0], locations[1][:1], locations[2]))):
        assert read_record.unpack((*damaged[:5], rows, damaged[6])) is None


def _with_location(row, loc):
    from dataclasses import replace

    return replace(row, location=loc)


def test_a_task_field_the_record_does_not_know_is_never_dropped(monkeypatch) -> None:
    """A field added to Uppgift that the packer does not know turns packing off (the read is
    kept as it is, whole) rather than being lost; the test above of a real read says packed,
    so such a field also breaks it, which points here."""
    from decimal import Decimal

    from engine.budget import Uppgift
    from workbook_templates.pipeline import read_record
    from workbook_templates.pipeline.loader import NamndInput

    good = NamndInput(Path("n.xlsx"), uppgifter=[Uppgift("a", "b", belopp={"RR.VI": (
        Decimal("1.00"),)})])
    assert type(read_record.pack(good)) is tuple
    monkeypatch.setattr(read_record, "_TASK_FIELDS", (*read_record._TASK_FIELDS[:3],))
    assert read_record.pack(good) is good


# a run reads and writes the records of known content once (RunCache.run) -----------------

def _record_io(monkeypatch, cache: RunCache) -> collections.Counter:
    """Counts of reads and writes of the records of known content, by record."""
    io: collections.Counter = collections.Counter()
    load, save = RunCache._load, RunCache._save

    def loading(self, path):
        if not path.name.startswith(("read-", "refresh-")):
            io["load " + path.stem] += 1
        return load(self, path)

    def saving(self, path, payload):
        if not path.name.startswith(("read-", "refresh-")):
            io["save " + path.stem] += 1
        return save(self, path, payload)

    monkeypatch.setattr(RunCache, "_load", loading)
    monkeypatch.setattr(RunCache, "_save", saving)
    return io


def test_a_refresh_reads_and_saves_each_record_of_known_content_once(
        folder: Path, tmp_path: Path, monkeypatch) -> None:
    """Read and written per workbook (twice per write), a record of a year's nights cost
    seconds per refresh: once each, and what the run learnt is all there afterwards."""
    cache = RunCache(tmp_path / "cache")
    io = _record_io(monkeypatch, cache)
    first = R.refresh([folder], folder / "kommun.xlsx", cache=cache)
    assert {r.status for r in first.files} >= {"written"}
    assert io == {"load wellformed": 2, "load unchanged-sheets": 2,  # first use, and the end
                  "load gated": 2, "save wellformed": 1, "save unchanged-sheets": 1,
                  "save gated": 1}
    # what the run learnt: every part of every workbook the gate parsed, every sheet written
    after = RunCache(tmp_path / "cache")
    known = after.wellformed()
    for p in [folder / "kommun.xlsx", *_committees(folder)]:
        gate = inspect_workbook(p)
        assert set(gate.wellformed) <= known, p.name  # (the written parts, as verified)
    assert len(after.unchanged_sheets()) >= 2 * len(_committees(folder))


def test_a_run_keeps_what_another_run_saved_meanwhile(tmp_path: Path) -> None:
    cache, other = RunCache(tmp_path / "cache"), RunCache(tmp_path / "cache")
    cache.remember_wellformed(["a" * 40])
    with cache.run():
        assert cache.wellformed() == {"a" * 40}
        cache.remember_wellformed(["b" * 40])
        assert cache.wellformed() == {"a" * 40, "b" * 40}  # known at once in this run …
        assert other.wellformed() == {"a" * 40}  # … saved when it ends
        other.remember_wellformed(["c" * 40])  # another run, meanwhile
        with cache.run():  # nested: the outer run saves
            cache.remember_unchanged_sheets(["k" * 40])
        assert other.unchanged_sheets() == frozenset()
    assert other.wellformed() == {"a" * 40, "b" * 40, "c" * 40}
    assert other.unchanged_sheets() == {"k" * 40}


def test_a_run_that_fails_still_saves_what_it_learnt_and_what_a_copy_handed_back(
        tmp_path: Path) -> None:
    import pickle

    cache = RunCache(tmp_path / "cache")
    with pytest.raises(RuntimeError), cache.run():
        cache.remember_wellformed(["a" * 40])
        copy = pickle.loads(pickle.dumps(cache))  # what a worker process gets
        assert copy.wellformed() == frozenset()  # (not saved yet)
        copy.remember_wellformed(["w" * 40])  # a worker's copy keeps it …
        assert "w" * 40 in copy.wellformed()
        assert RunCache(tmp_path / "cache").wellformed() == frozenset()
        cache.add(copy.take_added())  # … until the run's own object takes it
        assert copy.take_added() == {}
        raise RuntimeError
    assert RunCache(tmp_path / "cache").wellformed() == {"a" * 40, "w" * 40}


def test_copies_in_one_process_read_each_record_once_and_save_none(
        tmp_path: Path, monkeypatch) -> None:
    """A worker gets a copy with every task: the copies of its process read each record of
    known content once between them, share what they learn, and write nothing (a worker
    reading and saving a year's record per workbook cost more than its work)."""
    import pickle

    seed = RunCache(tmp_path / "cache")
    seed.remember_wellformed(["s" * 40])
    seed.remember_unchanged_sheets(["u" * 40])
    io = _record_io(monkeypatch, seed)
    blob = pickle.dumps(RunCache(tmp_path / "cache"))
    tasks = [pickle.loads(blob) for _ in range(3)]
    learnt = []
    for i, copy in enumerate(tasks):
        assert "s" * 40 in copy.wellformed() and "u" * 40 in copy.unchanged_sheets()
        assert all(f"{j}" * 40 in copy.wellformed() for j in range(i))  # the others' too
        copy.remember_wellformed([f"{i}" * 40])
        copy.remember_unchanged_sheets([f"{i}" * 40])
        learnt.append(copy.take_added())
    assert io == {"load wellformed": 1, "load unchanged-sheets": 1}
    assert learnt == [{"wellformed": {f"{i}" * 40}, "unchanged-sheets": {f"{i}" * 40}}
                      for i in range(3)]
    parent = RunCache(tmp_path / "cache")
    for got in learnt:
        parent.add({**got, "refresh-x": {"z" * 40}})  # (only records of known content)
    assert parent.wellformed() == {"s" * 40, *(f"{i}" * 40 for i in range(3))}
    assert not list(parent.folder.glob("refresh-*"))


def test_a_refresh_in_worker_processes_keeps_what_its_workers_learnt(
        folder: Path, tmp_path: Path) -> None:
    """Reads and writes in two workers: every part the gates parsed, every sheet written,
    is known afterwards, as after a run in one process."""
    cache = RunCache(tmp_path / "cache")
    first = R.refresh([folder], folder / "kommun.xlsx", cache=cache, jobs=2)
    assert {r.status for r in first.files} >= {"written"}
    after = RunCache(tmp_path / "cache")
    known = after.wellformed()
    for p in [folder / "kommun.xlsx", *_committees(folder)]:
        assert set(inspect_workbook(p).wellformed) <= known, p.name
    assert len(after.unchanged_sheets()) >= 2 * len(_committees(folder))


def test_a_run_grown_past_the_bound_starts_the_record_again(tmp_path: Path,
                                                            monkeypatch) -> None:
    from workbook_templates.files import run_cache

    cache = RunCache(tmp_path / "cache")
    cache.remember_wellformed(["a" * 40, "b" * 40])
    monkeypatch.setattr(run_cache, "_KNOWN_MAX", 3)
    with cache.run():
        cache.remember_wellformed(["c" * 40])
        cache.remember_wellformed(["d" * 40])
    assert RunCache(tmp_path / "cache").wellformed() == {"c" * 40, "d" * 40}


def test_runs_in_two_threads_on_one_cache_keep_everything_both_learnt(tmp_path: Path) -> None:
    import threading

    cache = RunCache(tmp_path / "cache")
    start = threading.Barrier(2)

    def night(tag: str, n: int) -> None:
        start.wait()
        with cache.run():
            for i in range(n):
                cache.remember_wellformed([f"{tag}{i:039d}"])
                assert f"{tag}{i:039d}" in cache.wellformed()

    threads = [threading.Thread(target=night, args=(tag, n)) for tag, n in (("a", 50), ("b", 80))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = RunCache(tmp_path / "cache").wellformed()
    assert got == {f"a{i:039d}" for i in range(50)} | {f"b{i:039d}" for i in range(80)}


def test_written_committee_bytes_are_remembered_gated_by_their_writer_and_kommuns_never(
        folder: Path, tmp_path: Path, monkeypatch) -> None:
    """A write's verification gates the bytes it leaves. A committee's, found clean, is
    remembered, also by the worker process that wrote it (``--jobs 2``); the municipality's
    never: a record of its bytes would tell the detection of the municipality workbook (no
    ``--kommun``) that they are a committee's. The next check, detecting the municipality
    workbook, gates only it, reads no committee and reports what a check without the cache
    reports."""
    cache = RunCache(tmp_path / "cache")
    first = R.refresh([folder], None, cache=cache, jobs=2)
    assert all(r.written for r in first.files)
    for p in _committees(folder):
        assert cache.gated_parts(p, R.version_before_reading(p).digest) is not None, p.name
    kommun = folder / "kommun.xlsx"
    assert cache.gated_parts(kommun, R.version_before_reading(kommun).digest) is None
    gated = _gated_names(monkeypatch)
    read: list[str] = []
    real_read = R.read_namnd
    monkeypatch.setattr(R, "read_namnd", lambda src, *a, **k: read.append(str(src)) or
                        real_read(src, *a, **k))
    for record in cache.folder.glob("refresh-*.pickle"):
        record.unlink()
    again = R.refresh([folder], None, cache=cache)
    assert gated == ["kommun.xlsx"] and read == []
    assert again.files[0].path == kommun and {r.status for r in again.files} == {"unchanged"}
    full = R.refresh([folder], None, cache=None)
    _same(again, full)


def _writers_gates(monkeypatch) -> list:
    """The reports of the safety gate the writer's verification runs from now on (the read's
    gate in refresh is another binding of it, not counted)."""
    from workbook_templates.files import safety

    return _gate_reports(monkeypatch, safety)


def _parsed_by_reads(folder: Path) -> set[str]:
    return {d for p in folder.glob("*.xlsx") for d in inspect_workbook(p).wellformed}


def test_without_a_cache_a_writes_gate_parses_only_what_the_runs_gates_did_not(
        folder: Path, monkeypatch) -> None:
    """Without a cache (``--no-cache``), the verification's gate of each write is told what the
    run's own gates parsed well-formed: the parts a write copies are not parsed a second time
    in the run (a city's first refresh: 0.2 s), the written sheets are."""
    read = _parsed_by_reads(folder)
    seen = _writers_gates(monkeypatch)
    report = R.refresh([folder], None, cache=None)
    assert all(r.written for r in report.files) and len(seen) == len(report.files)
    for g in seen:
        assert g.wellformed and not set(g.wellformed) & read  # the written parts only
        assert not g.findings


def test_the_buttons_update_of_every_workbook_parses_no_copied_part_twice(
        folder: Path, monkeypatch) -> None:
    """The same for the button Uppdatera allt: its committee writes' gates parse only what
    they wrote (the button works without a cache)."""
    from addin.buttons import FileSink, run_on

    read = _parsed_by_reads(folder)
    with open_workbook(folder / "kommun.xlsx") as src:
        seen = _writers_gates(monkeypatch)
        result = run_on(src, FileSink(folder / "kommun.xlsx"), "uppdatera_allt")
    assert {f.status for f in result.files} == {"written"}
    assert len(seen) == len(result.files) + 1  # and the municipality's, through the file sink
    for g in seen[:-1]:
        assert g.wellformed and not set(g.wellformed) & read
