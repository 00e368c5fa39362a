"""workbook_templates.files.ledger_io: CSV dialects, xlsx, exact amounts, bad rows (V10), end to end."""

from __future__ import annotations

import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.findings import Severity
from engine.ledger import utfall_decimal
from workbook_templates.files.ledger_io import (
    CsvOptions,
    import_utfall,
    parse_amounts,
    read_ledger,
    read_mappning,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_MAPPING = ROOT / "engine" / "data" / "kontoplan_exempel.csv"


def cents(texts: list[str], **kw) -> list[int | None]:
    values, ok = parse_amounts(np.array(texts, dtype=object), **kw)
    return [int(v) if o else None for v, o in zip(values, ok, strict=True)]


def test_parse_amounts_formats():
    assert cents(["1 234,56", "-12,5", "12,50-", "+7", "0,01", "\u22121\u00a0000,00", " 3 ,1 "]) == [
        123456, -1250, -1250, 700, 1, -100000, 310]
    assert cents(["1.234,56", "1.234.567,8", "1234.56", "12.34,5"], thousands=".") == [
        123456, 123456780, None, None]  # groups of three are checked: 1234.56 is not 123 456
    assert cents(["1,234.56", "1234.56", "-0.5"], decimal=".", thousands=",") == [123456, 123456, -50]
    assert cents(["", "abc", "--1", "1,2,3", "1-2", "-", ",", "12e3", "9" * 17]) == [None] * 9


def test_parse_amounts_rounds_once_half_away_from_zero():
    # 1,005 -> 1,01 and -1,005 -> -1,01 (Excel's ROUND); 1,0049 -> 1,00; 2,675 -> 2,68
    assert cents(["1,005", "-1,005", "1,0049", "2,675", "0,125"]) == [101, -101, 100, 268, 13]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(-(10**15), 10**15), min_size=1, max_size=50))
def test_parse_amounts_exact_on_the_fast_path(values):
    texts = [f"{'-' if v < 0 else ''}{abs(v) // 100},{abs(v) % 100:02d}" for v in values]
    assert cents(texts) == values


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-(10**12), 10**12), st.integers(0, 5), st.booleans(), st.booleans()),
        min_size=1,
        max_size=40,
    )
)
def test_parse_amounts_matches_decimal_reference(items):
    texts, expected = [], []
    for units, decimals, space_groups, trailing_minus in items:
        number = Decimal(units).scaleb(-decimals)
        body = f"{abs(number):,.{decimals}f}".replace(",", " " if space_groups else "")
        body = body.replace(".", ",")
        text = (body + "-" if trailing_minus else "-" + body) if number < 0 else body
        texts.append(text)
        expected.append(int((number * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    assert cents(texts) == expected


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_semicolon_decimal_comma_latin1(tmp_path):
    p = write(tmp_path / "export.csv",
              "Konto;Kostnadsställe;Period;Belopp\n3000;Ålands skola;2024-01;-1 234,56\n"
              "4000;Ålands skola;2024-01;99,99\n", "cp1252")
    read = read_ledger(p)
    assert read.encoding == "cp1252" and read.delimiter == ";" and read.decimal == ","
    assert read.frame["belopp"].tolist() == [-123456, 9999]
    assert list(read.frame["kostnadsstalle"].astype(str)) == ["Ålands skola"] * 2
    assert read.years == (2024,)
    assert any(f.severity is Severity.INFO and "cp1252" in f.message for f in read.findings)


def test_wrong_explicit_encoding_is_a_finding_not_a_crash(tmp_path):
    p = write(tmp_path / "export.csv", "Konto;Kostnadsställe;Period;Belopp\n3000;Å;1;1,00\n", "cp1252")
    read = read_ledger(p, CsvOptions(encoding="utf-8"))
    assert read.rows_read == 0 and len(read.frame) == 0
    (f,) = read.findings
    assert f.severity is Severity.ERROR and "rad 1" in f.message and "cp1252" in f.message
    p2 = write(tmp_path / "utf8.csv", "Konto;Kostnadsställe;Period;Belopp\n3000;Å;1;1,00\n")
    read = read_ledger(p2, CsvOptions(encoding="cp1252"))
    assert any(f.severity is Severity.WARNING and "UTF-8" in f.message for f in read.findings)


def test_bom_tab_delimiter_dot_decimal_and_finnish_headers(tmp_path):
    p = write(tmp_path / "vienti.txt",
              "\ufeffTili\tKustannuspaikka\tKausi\tSumma\n3000\t0100\t3\t-10.50\n4000\t0100\t12\t5\n")
    read = read_ledger(p)
    assert read.encoding == "utf-8-sig" and read.delimiter == "\t" and read.decimal == "."
    assert read.frame["belopp"].tolist() == [-1050, 500]
    assert read.frame["period"].tolist() == [3, 12]
    assert list(read.frame["kostnadsstalle"].astype(str)) == ["0100", "0100"]  # zeros kept


def test_comma_delimiter_quoted_thousands_and_explicit_columns(tmp_path):
    p = write(tmp_path / "export.csv",
              'Acc,CC,Month,Value\n3000,A,1,"-1,234.50"\n3000,A,1,"2,000"\n')
    read = read_ledger(p, CsvOptions(thousands=",", columns={
        "konto": "Acc", "kostnadsstalle": "CC", "period": "Month", "belopp": "Value"}))
    assert read.delimiter == "," and read.frame["belopp"].tolist() == [-123450, 200000]


def test_debet_and_kredit_columns(tmp_path):
    p = write(tmp_path / "export.csv",
              "Konto;Ansvar;Månad;Debet;Kredit\n3000;A;1;0,00;150,00\n4000;A;1;99,50;0\n")
    assert read_ledger(p).frame["belopp"].tolist() == [-15000, 9950]


def test_bad_rows_are_findings_with_line_numbers_never_dropped_silently(tmp_path):
    p = write(tmp_path / "export.csv",
              "Konto;Kostnadsställe;Period;Belopp\n"
              "3000;A;1;-10,00\n"  # line 2
              "\n"  # line 3: blank, not data
              "3000;A;1;tio\n"  # line 4: amount not a number -> rejected
              ";A;2;5,00\n"  # line 5: no account -> kept, unmapped
              "4000;A;14;7,00\n")  # line 6: no such month -> kept, unmapped
    read = read_ledger(p)
    assert read.rows_read == 4 and read.rows_rejected == 1 and len(read.frame) == 3
    cells = {f.location.cell: f for f in read.findings if f.location.cell}
    assert set(cells) == {"D4", "A5", "C6"}
    assert "'tio'" in cells["D4"].message and "rad 4" in cells["D4"].message
    assert all(f.location.workbook == "export.csv" for f in read.findings)
    m, _ = read_mappning(EXAMPLE_MAPPING)
    utfall, report = import_utfall(p, m)
    assert report.rows_read == 4 and report.rows_rejected == 1
    assert report.total_export_ore == -1000 + 500 + 700 and report.reconciled
    # the example mapping knows no cost centre "A": all three kept rows are unmapped
    assert report.total_unmapped_ore == 200 and report.rows_unmapped == 3
    assert {u.key for u in report.unmapped_accounts} == {""}  # the row without an account
    assert any("1 rad kunde inte läsas" in f.message for f in report.findings)


def test_missing_column_is_a_finding(tmp_path):
    p = write(tmp_path / "export.csv", "Konto;Period;Belopp\n3000;1;1,00\n")
    read = read_ledger(p)
    assert len(read.frame) == 0 and "kostnadsstalle" in read.findings[0].message


def test_xlsx_export_floats_strings_dates_and_bad_cells(tmp_path):
    xlsxwriter = pytest.importorskip("xlsxwriter")
    import datetime as dt

    path = tmp_path / "export.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Huvudbok")
    ws.write_row(0, 0, ["Konto", "Kostnadsställe", "Period", "Belopp"])
    ws.write_row(1, 0, [3000, "A", 1, -2.675])  # float: shown -2.675 -> -2.68 (half away)
    ws.write_row(2, 0, ["4000", 100, "2024-02", "1 234,56"])  # text amount with decimal comma
    ws.write(3, 0, 4000)
    ws.write(3, 1, "A")
    ws.write_datetime(3, 2, dt.datetime(2024, 3, 31), wb.add_format({"num_format": "yyyy-mm-dd"}))
    ws.write(3, 3, 0.1 + 0.2)  # 0.30000000000000004 -> 0.30
    ws.write_row(4, 0, [4000, "A", 4, "#N/A"])  # row 5: not an amount
    wb.close()
    read = read_ledger(path)
    assert read.frame["belopp"].tolist() == [-268, 123456, 30]
    assert read.frame["period"].tolist() == [1, 2, 3]
    assert list(read.frame["konto"].astype(str)) == ["3000", "4000", "4000"]
    assert list(read.frame["kostnadsstalle"].astype(str)) == ["A", "100", "A"]
    (f,) = [f for f in read.findings if f.severity is Severity.ERROR]
    assert (f.location.sheet, f.location.cell) == ("Huvudbok", "D5") and read.rows_rejected == 1


def test_example_mapping_file_reads_clean_and_maps_the_main_lines():
    m, findings = read_mappning(EXAMPLE_MAPPING)
    assert [f for f in findings if f.severity is not Severity.INFO] == []
    codes = {r.radkod for r in m.konton}
    assert {"RR.VI.FORS", "RR.VU.PERS.LON", "RR.AVS.PLAN", "DR.INT.INK", "EXKL"} <= codes
    assert all(r.tecken == -1 for r in m.konton if r.radkod != "EXKL")


def test_mapping_from_xlsx(tmp_path):
    xlsxwriter = pytest.importorskip("xlsxwriter")
    path = tmp_path / "mappning.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["Typ", "Från", "Till", "Kod", "Tecken"])
    ws.write_row(1, 0, ["konto", 3000, 3099, "RR.VI.FORS", "-"])
    ws.write_row(2, 0, ["kst", "1*", "", "E1", ""])
    ws.write_row(3, 0, ["konto", 4000, 4099, "RR.VU.PERS.LON", ""])  # no sign: row 4 finding
    wb.close()
    m, f = read_mappning(path)
    assert [(r.fran, r.till, r.tecken) for r in m.konton] == [("3000", "3099", -1)]
    assert [f_.location.cell for f_ in f] == ["A4"]


def test_generated_export_end_to_end_reconciles_to_the_cent(tmp_path):
    sys.path.insert(0, str(ROOT))
    from benchmarks.generate import generate_kommun, write_ledger_csv, write_mappning_csv

    kommun = generate_kommun("city", seed=3)
    export = tmp_path / "huvudbok.csv"
    truth = write_ledger_csv(kommun, export, 200_000, seed=3)
    mapping = write_mappning_csv(kommun, tmp_path / "mappning.csv")
    utfall, report = import_utfall(export, mapping)
    assert report.rows_read == 200_000 and report.rows_rejected == 0
    assert report.total_export_ore == truth.total_ore
    assert report.total_excluded_ore == truth.excluded_ore
    assert sum(u.total_ore for u in report.unmapped_accounts) == truth.unmapped_account_ore
    assert sum(u.total_ore for u in report.unmapped_cost_centres) == truth.unmapped_kst_ore
    assert report.reconciled
    assert int(utfall["belopp_ore"].sum()) == -report.total_mapped_ore  # every rule flips the sign
    assert set(utfall["enhet"].astype(str)) <= set(kommun.enheter["kod"])
    values = utfall_decimal(utfall)
    assert sum(values.values()) == Decimal(-report.total_mapped_ore).scaleb(-2)


def test_fast_and_general_csv_paths_agree(tmp_path, monkeypatch):
    import workbook_templates.files.ledger_io as lio

    text = ("Konto;Kostnadsställe;Period;Belopp\r\n3000;Skola Å;2024-01;-1 234,56\r\n"
            "4000;0100;2024-02;99,99-\r\n4000;0100;2024-02;x\r\n;0100;13;5\r\n")
    p = write(tmp_path / "crlf.csv", text)
    fast = read_ledger(p)
    monkeypatch.setattr(lio, "_fast_csv", lambda *a, **k: False)
    slow = read_ledger(p)
    assert fast.frame["belopp"].tolist() == slow.frame["belopp"].tolist() == [-123456, -9999, 5_00]
    assert list(fast.frame["kostnadsstalle"].astype(str)) == ["Skola Å", "0100", "0100"]
    for a, b in (("konto", "konto"), ("kostnadsstalle", "kostnadsstalle"), ("period", "period")):
        assert list(fast.frame[a].astype(str)) == list(slow.frame[b].astype(str))
    assert [str(f) for f in fast.findings] == [str(f) for f in slow.findings]
    assert {f.location.cell for f in fast.findings if f.location.cell} == {"D4", "A5", "C5"}
    assert fast.rows_rejected == slow.rows_rejected == 1


def test_ragged_line_is_reported_with_its_line_number(tmp_path):
    p = write(tmp_path / "ragged.csv",
              "Konto;Kostnadsställe;Period;Belopp\n3000;A;1;1,00\n3000;A;1;2,00;extra\n"
              "3000;A;1;4,00\n3000;A\n")
    read = read_ledger(p)
    assert read.frame["belopp"].tolist() == [100, 400]
    assert read.rows_read == 4 and read.rows_rejected == 2
    cells = sorted(f.location.cell for f in read.findings if f.location.cell)
    assert cells == ["A3", "D5"]  # the ragged line 3, and line 5 whose amount is missing


def test_benchmark_runner_does_not_rot(tmp_path):
    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_ledger import run, table

    (result,) = run((5_000,), tmp_path)
    assert result["rows"] == 5_000 and result["reconciled"] is True
    assert "5,000" in table([result])


def test_many_blank_lines_are_not_rows_or_findings(tmp_path):
    body = "3000;A;1;1,00\n" + "\n" * 60 + ";;;\n" * 60 + "3000;A;2;2,00\n"
    read = read_ledger(write(tmp_path / "blank.csv", "Konto;Kst;Period;Belopp\n" + body))
    assert read.rows_read == 2 and read.rows_rejected == 0
    (summary,) = read.findings
    assert summary.severity is Severity.INFO and "Läste 2 rader (kodning utf-8, avgränsare ;" in (
        summary.message)
    assert read.frame["belopp"].tolist() == [100, 200]


_KEY = st.text(alphabet="0123456789ABCÅÄÖ -", min_size=1, max_size=12).map(str.strip).filter(bool)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.from_regex(r"[0-9]{4,6}", fullmatch=True), _KEY, st.integers(1, 12),
                  st.integers(-(10**13), 10**13)),
        min_size=1,
        max_size=40,
    ),
    delimiter=st.sampled_from([";", "\t", ","]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    quoted=st.booleans(),
    crlf=st.booleans(),
)
def test_csv_round_trip_in_any_dialect(tmp_path_factory, rows, delimiter, encoding, quoted, crlf):
    decimal = "." if delimiter == "," else ","
    q = '"' if quoted else ""
    newline = "\r\n" if crlf else "\n"
    lines = [delimiter.join(["Konto", "Kostnadsställe", "Period", "Belopp"])]
    for konto, kst, period, cents in rows:
        amount = f"{'-' if cents < 0 else ''}{abs(cents) // 100}{decimal}{abs(cents) % 100:02d}"
        lines.append(delimiter.join([konto, f"{q}{kst}{q}", f"2024-{period:02d}", amount]))
    path = tmp_path_factory.mktemp("rt") / "export.csv"
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    read = read_ledger(path)
    assert read.findings == () or all(f.severity is Severity.INFO for f in read.findings)
    assert read.frame["belopp"].tolist() == [r[3] for r in rows]
    assert list(read.frame["konto"].astype(str)) == [r[0] for r in rows]
    assert list(read.frame["kostnadsstalle"].astype(str)) == [r[1] for r in rows]
    assert read.frame["period"].tolist() == [r[2] for r in rows]


def test_parallel_read_equals_serial_read(tmp_path, monkeypatch):
    import workbook_templates.files.ledger_io as lio

    sys.path.insert(0, str(ROOT))
    from benchmarks.generate import generate_kommun, write_ledger_csv

    path = tmp_path / "huvudbok.csv"
    write_ledger_csv(generate_kommun("small", seed=5), path, 5_000, seed=5)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("4000;100000;2024-05;fel\n;100000;2024-05;1,00\n")  # lines 5002, 5003
    monkeypatch.setattr(lio, "BLOCK_BYTES", 2048)  # many blocks, so that jobs=3 splits the file
    serial = read_ledger(path)
    parallel = read_ledger(path, jobs=3)
    assert parallel.rows_read == serial.rows_read == 5_002
    assert parallel.frame["belopp"].tolist() == serial.frame["belopp"].tolist()
    for col in ("konto", "kostnadsstalle"):
        assert list(parallel.frame[col].astype(str)) == list(serial.frame[col].astype(str))
    assert parallel.frame["period"].tolist() == serial.frame["period"].tolist()
    assert [str(f) for f in parallel.findings] == [str(f) for f in serial.findings]
    assert {f.location.cell for f in serial.findings if f.location.cell} == {"D5002", "A5003"}


@settings(max_examples=80, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.text(alphabet='0123456789;,."\n\r\t -aÅ', max_size=160).map(
            lambda t: ("Konto;Kostnadsställe;Period;Belopp\n" + t).encode()
        ),
    )
)
def test_any_bytes_give_findings_never_a_traceback_v10(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "x.csv").write_bytes(data)
    read = read_ledger(folder / "x.csv")
    assert read.rows_read >= len(read.frame) and read.rows_rejected >= 0
    read_mappning(folder / "x.csv")  # the same bytes as a mapping file


def test_import_with_unreadable_inputs_is_findings_only(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    utfall, report = import_utfall(tmp_path / "missing.csv", tmp_path / "empty.csv")
    assert len(utfall) == 0 and report.rows_read == 0 and report.reconciled
    messages = " ".join(f.message for f in report.findings)
    assert "Mappningsfilen kan inte läsas" in messages and "Filen kan inte läsas" in messages


def test_generator_sizes_central_units_and_reproducibility(tmp_path):
    import json

    sys.path.insert(0, str(ROOT))
    from benchmarks.generate import SIZES, generate_kommun, write_ledger_csv

    kommun = generate_kommun("small", seed=1)
    assert (len(kommun.namnder), len(kommun.enheter)) == (SIZES["small"].committees, 40)
    assert kommun.enheter.groupby("namnd")["central"].sum().tolist() == [1] * 5
    assert len(kommun.ar) == 5 and len(kommun.budget) == 5 * 40 * 15
    inv = kommun.investeringar
    last = kommun.ar[-1]
    for _, project in inv.groupby("projekt"):
        if project["ar"].max() < last:  # fully inside the plan: the split adds up to the estimate
            assert project["utgift_ore"].sum() == project["kostnadskalkyl_ore"].iloc[0]
    again = generate_kommun("small", seed=1)
    assert again.budget.equals(kommun.budget) and again.investeringar.equals(inv)
    assert not generate_kommun("small", seed=2).budget.equals(kommun.budget)
    dumped = json.loads(kommun.dump_json(tmp_path / "k.json").read_text(encoding="utf-8"))
    assert len(dumped["enheter"]) == 40 and dumped["ar"] == list(kommun.ar)
    a = write_ledger_csv(kommun, tmp_path / "a.csv", 3_000, seed=9)
    b = write_ledger_csv(kommun, tmp_path / "b.csv", 3_000, seed=9)
    assert a == b and (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_a_negative_credit_is_a_warning_at_its_cell(tmp_path: Path) -> None:
    # found by an audit (2026-12): some systems write a credit as a negative number in the
    # Kredit column; Debet − Kredit then books a fee income of 500 as a cost, without a word
    path = tmp_path / "kredit.csv"
    path.write_text("Konto;Kst;Period;Debet;Kredit\n3100;3100;3;0,00;-500,00\n"
                    "4000;3100;3;200,00;0,00\n", encoding="utf-8")
    read = read_ledger(path, CsvOptions())
    assert read.frame["belopp"].tolist() == [50000, 20000]  # as the columns say
    [w] = [f for f in read.findings if "negativa belopp" in f.message]
    assert w.severity.value == "warning" and w.location.cell == "E2"
    path.write_text("Konto;Kst;Period;Debet;Kredit\n3100;3100;3;0,00;500,00\n", encoding="utf-8")
    assert not [f for f in read_ledger(path, CsvOptions()).findings
                if "negativa belopp" in f.message]


def test_a_first_line_wider_than_the_header_never_shifts_the_columns(tmp_path: Path) -> None:
    # found by an audit (2026-12): pandas took the first column for an index when the first data
    # line had more fields than the header, and every column shifted (cost centre 3100 read as
    # account 3100, an income). A delimiter ending every line is harmless and read; an unquoted
    # decimal comma in a comma-separated file is refused (a split amount would be misread).
    path = tmp_path / "trailing.csv"
    path.write_text("Konto;Kst;Period;Belopp\n4000;3100;3;100,00;\n4000;3100;3;50,00;\n",
                    encoding="utf-8")
    read = read_ledger(path, CsvOptions())
    assert read.frame["konto"].astype(str).tolist() == ["4000", "4000"]
    assert read.frame["belopp"].tolist() == [10000, 5000]
    path = tmp_path / "comma.csv"
    path.write_text("Konto,Kst,Period,Belopp\n4000,3100,3,1234,56\n4000,3100,3,100\n",
                    encoding="utf-8")
    read = read_ledger(path, CsvOptions())
    assert len(read.frame) == 0
    [f] = [f for f in read.findings if f.severity is Severity.ERROR]
    assert f.location.cell == "A2" and "fler fält" in f.message
