"""import-utfall end to end: export -> mapping -> committee workbooks -> refresh (issue 8)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl

from engine.binding import Kind
from workbook_templates.cli.main import main
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd
from workbook_templates.pipeline.import_utfall import BOKFORT_SHEET
from workbook_templates.pipeline.loader import read_namnd
from workbook_templates.pipeline.refresh import refresh

KONTOPLAN = Path(__file__).resolve().parents[1] / "engine" / "data" / "kontoplan_exempel.csv"


def _mappning(path: Path) -> Path:
    # the example chart of accounts, and cost centres 3100 -> the task Äldreomsorg, 4100 -> Bibliotek
    konto = [ln for ln in KONTOPLAN.read_text(encoding="utf-8").splitlines()
             if ln.startswith(("typ;", "konto;"))]
    path.write_text("\n".join([*konto, "kst;3100;;Äldreomsorg;;Hemvård",
                               "kst;4100;;Bibliotek;;Biblioteket"]) + "\n", encoding="utf-8")
    return path


def _export(path: Path) -> Path:
    # debit positive, decimal comma, semicolons: salaries of Äldreomsorg in months 1-8,
    # a fee income (credit, negative in the export), an excluded balance-sheet account and an
    # account the mapping does not know (0999)
    lines = ["Konto;Kostnadsställe;Period;Belopp"]
    for month in range(1, 9):
        lines.append(f"4000;3100;{month};1000000,50")
    lines += ["3100;3100;3;-250000,25", "1910;3100;8;999,99", "0999;4100;2;12,34"]
    path.write_text("\n".join(lines) + "\n", encoding="cp1252")
    return path


def test_import_writes_the_ledger_into_the_committee_workbook_and_the_refresh_uses_it(
        tmp_path: Path, capsys) -> None:
    ex = exempelkommun()
    kommun = new_kommun(tmp_path / "kommun.xlsx", ex)
    social = new_namnd(tmp_path / "social.xlsx", "Socialnämnden", ex)
    # the controller left Utfall hittills empty for Äldreomsorg's salaries (fresh file: openpyxl ok)
    wb = openpyxl.load_workbook(social)
    ws = wb["Utfall"]
    for row in ws.iter_rows(min_row=4):
        if row[0].value == "Äldreomsorg" and row[1].value == "RR.VU.PERS.LON":
            row[3].value = None
    wb.save(social)

    code = main(["import-utfall", str(_export(tmp_path / "export.csv")), "--mappning",
                 str(_mappning(tmp_path / "mappning.csv")), "--kommun", str(kommun)])
    out = capsys.readouterr().out
    assert "stämmer på centen" in out
    assert code == 0 or code == 1  # unmapped account 0999 is reported, not dropped
    assert "0999" in out

    n = read_namnd(social)
    got = {(u.objekt, u.kod): u.utfall for u in n.utfall}
    # 8 × 1 000 000,50 debit -> cost −8 000 004,00 in published signs
    assert got[("Äldreomsorg", "RR.VU.PERS.LON")] == Decimal("-8000004.00")
    # a typed figure in tblUtfall wins over the ledger (the fee income row was typed)
    typed = [r for r in ex.utfall if r.uppgift == "Äldreomsorg" and r.kod == "RR.VI.AVG"][0]
    assert got[("Äldreomsorg", "RR.VI.AVG")] == typed.utfall

    report = refresh([tmp_path], kommun)
    rows = report.outputs.uppfoljning.tabla.rows
    (anslag,) = [r for r in rows if r.item.object == "Äldreomsorg" and r.item.kind is Kind.ANSLAG]
    other_costs = sum((r.utfall for r in ex.utfall if r.uppgift == "Äldreomsorg"
                       and r.kod.startswith(("RR.VU", "DR.INT.UTG"))
                       and r.kod != "RR.VU.PERS.LON"), Decimal(0))
    assert anslag.utfall == Decimal("-8000004.00") + other_costs

    wb = openpyxl.load_workbook(kommun, read_only=True)
    cells = [c for row in wb[BOKFORT_SHEET].iter_rows(values_only=True) for c in row if c]
    assert "Bibliotek" not in cells  # account 0999 was unmapped: never silently booked
    wb.close()


def test_an_unreadable_export_is_a_finding_and_exit_2(tmp_path: Path, capsys) -> None:
    ex = exempelkommun()
    kommun = new_kommun(tmp_path / "kommun.xlsx", ex)
    bad = tmp_path / "export.xlsx"
    bad.write_bytes(b"not a zip at all")
    assert main(["import-utfall", str(bad), "--mappning", str(_mappning(tmp_path / "m.csv")),
                 "--kommun", str(kommun)]) == 2


# --- found by an audit with real export habits (2026-12) ----------------------------------------


def _setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    ex = exempelkommun()
    kommun = new_kommun(tmp_path / "kommun.xlsx", ex)
    social = new_namnd(tmp_path / "social.xlsx", "Socialnämnden", ex)
    wb = openpyxl.load_workbook(social)  # Utfall hittills left to the ledger (fresh file)
    for row in wb["Utfall"].iter_rows(min_row=4):
        if row[0].value == "Äldreomsorg" and row[1].value in ("RR.VU.PERS.LON", "RR.VI.AVG"):
            row[3].value = None
    wb.save(social)
    return kommun, social, _mappning(tmp_path / "mappning.csv")


def _imported(tmp_path: Path, kommun: Path, mappning: Path) -> None:
    """A good first import (Äldreomsorg's salaries 3 000,00 in month 1)."""
    good = tmp_path / "good.csv"
    good.write_text("Konto;Kst;Period;Belopp\n4000;3100;1;3000,00\n", encoding="utf-8")
    assert main(["import-utfall", str(good), "--mappning", str(mappning), "--kommun",
                 str(kommun)]) == 0


def _booked(social: Path) -> dict[tuple[str, str], Decimal]:
    return {(u.objekt, u.kod): u.utfall for u in read_namnd(social).utfall}


def test_debet_and_kredit_with_one_side_empty_are_read(tmp_path: Path) -> None:
    # the usual layout of a Debet/Kredit export: one side filled per line. Every row was
    # rejected ("'1234,56 / ' är inte ett tal"). By hand: salary 1 234,56 debit -> cost
    # -1 234,56; fee 500,00 credit -> income +500,00 (account rules flip the debit sign).
    kommun, social, mappning = _setup(tmp_path)
    for i, text in enumerate([
            "Konto;Kst;Period;Debet;Kredit\n4000;3100;1;1234,56;\n3100;3100;1;;500,00\n",
            # quoted fields: the general (pandas) path
            'Konto;Kst;Period;Debet;Kredit\n"4000";3100;1;"1234,56";\n3100;3100;1;;"500,00"\n']):
        export = tmp_path / f"dk{i}.csv"
        export.write_text(text, encoding="utf-8")
        assert main(["import-utfall", str(export), "--mappning", str(mappning), "--kommun",
                     str(kommun)]) == 0
        got = _booked(social)
        assert got[("Äldreomsorg", "RR.VU.PERS.LON")] == Decimal("-1234.56")
        assert got[("Äldreomsorg", "RR.VI.AVG")] == Decimal("500.00")


def test_a_row_with_both_sides_empty_is_rejected_and_nothing_is_written(tmp_path: Path,
                                                                       capsys) -> None:
    # A rejected row's amount is in no total, so "stämmer på centen" could not see it: the
    # import wrote a partial outturn over the previous one. Now nothing is written.
    kommun, social, mappning = _setup(tmp_path)
    _imported(tmp_path, kommun, mappning)
    before = social.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("Konto;Kst;Period;Debet;Kredit\n4000;3100;1;;\n4000;3100;2;tio;\n",
                   encoding="utf-8")
    assert main(["import-utfall", str(bad), "--mappning", str(mappning), "--kommun",
                 str(kommun)]) == 1
    seen = capsys.readouterr()
    assert "ingenting skrevs" in seen.out + seen.err
    # the reconciliation line does not read as if every row were in it
    assert "Avstämning: stämmer på centen för de lästa raderna; 2 avvisade rader ingår " \
           "inte" in seen.out
    assert social.read_bytes() == before
    assert _booked(social)[("Äldreomsorg", "RR.VU.PERS.LON")] == Decimal("-3000.00")


def test_a_running_balance_beside_debet_and_kredit_is_not_summed(tmp_path: Path) -> None:
    # Saldo (a running balance, Fortnox/Visma) was taken for the amount: 100 + 150 = 250
    kommun, social, mappning = _setup(tmp_path)
    export = tmp_path / "saldo.csv"
    export.write_text("Konto;Kst;Period;Debet;Kredit;Saldo\n4000;3100;3;100,00;0,00;100,00\n"
                      "4000;3100;3;50,00;0,00;150,00\n", encoding="utf-8")
    assert main(["import-utfall", str(export), "--mappning", str(mappning), "--kommun",
                 str(kommun)]) == 0
    assert _booked(social)[("Äldreomsorg", "RR.VU.PERS.LON")] == Decimal("-150.00")


def test_units_spelled_in_other_letters_are_one_task(tmp_path: Path) -> None:
    # 3100 -> Äldreomsorg and 3101 -> ÄLDREOMSORG: two rows on the sheet, the loader kept one
    # (-500 instead of -1 500)
    kommun, social, mappning = _setup(tmp_path)
    text = mappning.read_text(encoding="utf-8") + "kst;3101;;ÄLDREOMSORG;;Hemvård 2\n"
    mappning.write_text(text, encoding="utf-8")
    export = tmp_path / "case.csv"
    export.write_text("Konto;Kst;Period;Belopp\n4000;3100;1;1000,00\n4000;3101;1;500,00\n",
                      encoding="utf-8")
    assert main(["import-utfall", str(export), "--mappning", str(mappning), "--kommun",
                 str(kommun)]) == 0
    assert _booked(social)[("Äldreomsorg", "RR.VU.PERS.LON")] == Decimal("-1500.00")


def test_a_date_serial_or_a_short_date_is_no_period(tmp_path: Path, capsys) -> None:
    # "45747" (an Excel date serial) was July 4574, "250301" January 2503: booked, exit 0
    kommun, social, mappning = _setup(tmp_path)
    for period in ("45747", "250301"):
        export = tmp_path / f"p{period}.csv"
        export.write_text(f"Konto;Kst;Period;Belopp\n4000;3100;{period};100,00\n",
                          encoding="utf-8")
        assert main(["import-utfall", str(export), "--mappning", str(mappning), "--kommun",
                     str(kommun)]) == 1
        seen = capsys.readouterr()
        assert "inte en månad 1-12" in seen.out + seen.err


def test_outturn_of_a_unit_no_committee_has_is_a_warning(tmp_path: Path, capsys) -> None:
    # a typo in the mapping (Aldreomsorg): its outturn went to a sheet nothing reads, with an
    # info finding shown only with -v
    kommun, social, mappning = _setup(tmp_path)
    mappning.write_text(mappning.read_text(encoding="utf-8").replace(
        "kst;3100;;Äldreomsorg", "kst;3100;;Aldreomsorg"), encoding="utf-8")
    export = tmp_path / "typo.csv"
    export.write_text("Konto;Kst;Period;Belopp\n4000;3100;1;100,00\n", encoding="utf-8")
    main(["import-utfall", str(export), "--mappning", str(mappning), "--kommun", str(kommun)])
    seen = capsys.readouterr()
    assert "1 varning" in seen.out + seen.err  # (a warning is counted on screen, an info was not)
    main(["import-utfall", str(export), "--mappning", str(mappning), "--kommun", str(kommun),
          "--verbose"])
    seen = capsys.readouterr()
    out = seen.out + seen.err  # (findings are logged on stderr)
    assert "Aldreomsorg" in out and "räknas inte in" in out


def test_dots_followed_by_three_digits_are_asked_about_not_read_as_decimals(tmp_path: Path,
                                                                          capsys) -> None:
    # "1.234" and "12.500" (thousands, a ledger has two decimals) were read with a decimal dot:
    # 1,23 and 12,50, a thousandth of the amount, exit 0. Now nothing is read or written until
    # the separator is given; with --tusental . they are 1 234,00 and 12 500,00.
    kommun, social, mappning = _setup(tmp_path)
    export = tmp_path / "dots.csv"
    export.write_text("Konto;Kst;Period;Belopp\n4000;3100;3;1.234\n4000;3100;3;12.500\n",
                      encoding="utf-8")
    before = social.read_bytes()
    assert main(["import-utfall", str(export), "--mappning", str(mappning), "--kommun",
                 str(kommun)]) == 1
    seen = capsys.readouterr()
    assert "--tusental" in seen.out + seen.err and social.read_bytes() == before
    assert main(["import-utfall", str(export), "--mappning", str(mappning), "--kommun",
                 str(kommun), "--tusental", "."]) == 0
    assert _booked(social)[("Äldreomsorg", "RR.VU.PERS.LON")] == Decimal("-13734.00")
    # two decimals after a dot are decimals, as before
    export.write_text("Konto;Kst;Period;Belopp\n4000;3100;3;1.23\n4000;3100;3;12.500\n",
                      encoding="utf-8")
    assert main(["import-utfall", str(export), "--mappning", str(mappning), "--kommun",
                 str(kommun)]) == 0
    assert _booked(social)[("Äldreomsorg", "RR.VU.PERS.LON")] == Decimal("-13.73")


def test_an_export_that_cannot_be_read_leaves_the_previous_outturn(tmp_path: Path,
                                                                   capsys) -> None:
    # found in this session: an export without the amount columns (or in another encoding)
    # was "read" as nothing, and the import wrote that nothing over the previous outturn
    kommun, social, mappning = _setup(tmp_path)
    _imported(tmp_path, kommun, mappning)
    before = social.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text("Foo;Bar\n1;2\n", encoding="utf-8")
    assert main(["import-utfall", str(bad), "--mappning", str(mappning), "--kommun",
                 str(kommun)]) == 1
    seen = capsys.readouterr()
    assert "ingenting skrevs" in seen.out + seen.err
    assert social.read_bytes() == before


def test_a_municipality_workbook_the_gate_refuses_is_neither_read_nor_written(
        tmp_path: Path, monkeypatch) -> None:
    """The municipality workbook passes the safety gate before its list of committees is read
    and before the import writes into it (it did neither before 2026-12): refused, nothing is
    read from it, and no workbook is written."""
    import hostile_files as hf

    from workbook_templates.pipeline import import_utfall as iu
    from workbook_templates.pipeline import loader

    kommun, social, mappning = _setup(tmp_path)
    hf.with_dtd(kommun)  # an entity attack: the gate refuses it
    before = {p: p.read_bytes() for p in (kommun, social)}
    read: list[str] = []
    real = loader.read_kommun
    monkeypatch.setattr(loader, "read_kommun",
                        lambda src, *a, **k: read.append(Path(src).name) or real(src, *a, **k))
    good = tmp_path / "good.csv"
    good.write_text("Konto;Kst;Period;Belopp\n4000;3100;1;3000,00\n", encoding="utf-8")
    result = iu.import_utfall(good, mappning, kommun)
    assert read == []
    assert [(f.path.name, f.status) for f in result.files] == [("kommun.xlsx", "refused")]
    assert result.exit_code == 2
    assert any(f.rule == "IN" and f.severity.value == "error" for f in result.findings)
    assert {p: p.read_bytes() for p in (kommun, social)} == before


def test_the_imports_writes_parse_only_the_parts_they_write(tmp_path: Path,
                                                           monkeypatch) -> None:
    """Each write's verification gates the file written; told what the import's own gates
    parsed well-formed, it parses only the sheet it wrote (Bokfört utfall), not the parts it
    copied (a city's municipality workbook holds about 20 MB of XML)."""
    from workbook_templates.files import safety
    from workbook_templates.pipeline import import_utfall as iu

    kommun, social, mappning = _setup(tmp_path)
    before = {d for p in (kommun, social) for d in safety.inspect_workbook(p).wellformed}
    seen: list = []
    real = safety.inspect_workbook
    monkeypatch.setattr(safety, "inspect_workbook",
                        lambda p, *a, **k: seen.append(real(p, *a, **k)) or seen[-1])
    good = tmp_path / "good.csv"
    good.write_text("Konto;Kst;Period;Belopp\n4000;3100;1;3000,00\n", encoding="utf-8")
    result = iu.import_utfall(good, mappning, kommun)
    assert [f.status for f in result.files] == ["written", "written"]
    assert len(seen) == 2  # the two writes' (the import's own gates are another binding)
    for g in seen:
        assert g.wellformed and not set(g.wellformed) & before and not g.findings


# --- found by metamorphic testing of export habits (2026-12) ------------------------------------


def _run(tmp_path: Path, kommun: Path, mappning: Path, name: str, text: str) -> int:
    export = tmp_path / name
    export.write_text(text, encoding="utf-8")
    return main(["import-utfall", str(export), "--mappning", str(mappning), "--kommun",
                 str(kommun)])


def test_an_export_of_only_its_header_writes_nothing(tmp_path: Path, capsys) -> None:
    # it emptied every workbook's Bokfört utfall, exit 0, no word but "Läste 0 rader"
    kommun, social, mappning = _setup(tmp_path)
    _imported(tmp_path, kommun, mappning)
    before = _booked(social)
    assert before[("Äldreomsorg", "RR.VU.PERS.LON")] == Decimal("-3000.00")
    capsys.readouterr()
    assert _run(tmp_path, kommun, mappning, "header.csv", "Konto;Kst;Period;Belopp\n") == 1
    out = capsys.readouterr().out
    assert "inga rader (bara rubrikraden)" in out and "ingenting skrevs" in out
    assert _booked(social) == before


def test_an_export_of_another_year_or_of_several_writes_nothing(tmp_path: Path,
                                                                capsys) -> None:
    # the example's Bokslutsår is 2024: the follow-up's year 2025. A whole export of 2024 was
    # written as 2025's outturn without a word; 2024 and 2025 together were summed per month
    # under one warning
    kommun, social, mappning = _setup(tmp_path)
    _imported(tmp_path, kommun, mappning)
    before = _booked(social)
    capsys.readouterr()
    assert _run(tmp_path, kommun, mappning, "y2024.csv",
                "Konto;Kst;Period;Belopp\n4000;3100;2024-01;500,00\n4000;3100;2024-02;1,00\n") == 1
    out = capsys.readouterr().out
    assert "Exporten gäller 2024, men uppföljningsåret är 2025" in out
    assert _booked(social) == before
    assert _run(tmp_path, kommun, mappning, "both.csv",
                "Konto;Kst;Period;Belopp\n4000;3100;2024-01;500,00\n4000;3100;2025-01;1,00\n") == 1
    assert "perioder från flera år (2024, 2025)" in capsys.readouterr().out
    assert _booked(social) == before
    # the follow-up's own year is imported (hand-computed: 500,00 + 1,00 debit -> -501,00)
    assert _run(tmp_path, kommun, mappning, "y2025.csv",
                "Konto;Kst;Period;Belopp\n4000;3100;2025-01;500,00\n4000;3100;2025-02;1,00\n") == 0
    assert _booked(social)[("Äldreomsorg", "RR.VU.PERS.LON")] == Decimal("-501.00")


def test_an_export_appended_to_itself_writes_nothing(tmp_path: Path, capsys) -> None:
    # the same rows twice (the second copy without its header): every amount counted twice,
    # without a word. Twelve rows of one month each, then the same twelve again.
    kommun, social, mappning = _setup(tmp_path)
    _imported(tmp_path, kommun, mappning)
    before = _booked(social)
    rows = [f"4000;3100;{m};{m}00,00" for m in range(1, 13)]
    capsys.readouterr()
    text = "Konto;Kst;Period;Belopp\n" + "\n".join(rows + rows) + "\n"
    assert _run(tmp_path, kommun, mappning, "twice.csv", text) == 1
    out = capsys.readouterr().out
    assert "2 exakt lika kopior" in out and "rad 2–13" in out and "ingenting skrevs" in out
    assert _booked(social) == before
    # three copies too; but one amount different in the second half: a real ledger, imported
    assert _run(tmp_path, kommun, mappning, "thrice.csv",
                "Konto;Kst;Period;Belopp\n" + "\n".join(rows * 3) + "\n") == 1
    assert "3 exakt lika kopior" in capsys.readouterr().out
    other = [*rows, *rows[:-1], "4000;3100;12;1200,01"]
    assert _run(tmp_path, kommun, mappning, "near.csv",
                "Konto;Kst;Period;Belopp\n" + "\n".join(other) + "\n") == 0
    # by hand: 2 × (100 + 200 + … + 1 200) + 0,01 = 15 600,01 debit -> cost -15 600,01
    assert _booked(social)[("Äldreomsorg", "RR.VU.PERS.LON")] == Decimal("-15600.01")
    # twelve equal bookings (one row repeated) are no copies of a block: imported, not judged
    assert _run(tmp_path, kommun, mappning, "same.csv",
                "Konto;Kst;Period;Belopp\n" + "\n".join(["4000;3100;1;5,00"] * 12) + "\n") == 0
    assert _booked(social)[("Äldreomsorg", "RR.VU.PERS.LON")] == Decimal("-60.00")
    # two equal rows in a short export can be two real bookings: imported, not judged
    assert _run(tmp_path, kommun, mappning, "pair.csv",
                "Konto;Kst;Period;Belopp\n4000;3100;1;5,00\n4000;3100;1;5,00\n") == 0
    assert _booked(social)[("Äldreomsorg", "RR.VU.PERS.LON")] == Decimal("-10.00")


def test_an_export_whose_last_line_has_no_line_end_is_said(tmp_path: Path) -> None:
    # a transfer cut inside the last amount ("1000,50" -> "10") was read without a word
    from workbook_templates.pipeline.import_utfall import import_utfall

    kommun, social, mappning = _setup(tmp_path)
    cut = tmp_path / "cut.csv"
    cut.write_text("Konto;Kst;Period;Belopp\n4000;3100;1;3000,00\n4000;3100;2;10",
                   encoding="utf-8")
    result = import_utfall(cut, mappning, kommun)
    [f] = [f for f in result.findings if "radslut" in f.message]
    assert f.severity.value == "warning" and f.location.cell == "A3"
    assert f.message.startswith("Exportens sista rad (rad 3) slutar utan radslut")
    assert result.exit_code == 0  # a warning: the import is written (it may be whole)
    whole = tmp_path / "whole.csv"
    whole.write_text(cut.read_text(encoding="utf-8") + "\r\n", encoding="utf-8")
    assert not [f for f in import_utfall(whole, mappning, kommun).findings
                if "radslut" in f.message]


# --- found by a test of the yearly rollover (2026-12) -------------------------------------------
# Controllers copy last year's folder and move the years on (Bokslutsår, tblAr). Bokfört utfall
# still held last year's imported bookings, and the next refresh counted them as this year's
# outturn to date, without a word. import-utfall now writes the year the outturn is for (C1);
# the refresh counts the rows only when that is Bokslutsår + 1.

# Äldreomsorg's anslag in the example, every outturn typed except the salaries (left to the
# ledger by _setup): pensions −1 798 071, other social costs −348 243, services −2 956 512,
# materials −724 914, internal purchases −990 000 = −6 817 740,00
_OTHER_COSTS = Decimal("-6817740.00")


def _roll_over(*paths: Path) -> None:
    """The yearly rollover as controllers do it: Bokslutsår and every year of tblAr plus one."""
    for path in paths:
        wb = openpyxl.load_workbook(path)
        ws = wb["Inställningar"]
        for row in ws.iter_rows():
            if row[0].value == "Bokslutsår" and isinstance(row[1].value, int):
                row[1].value += 1
        ref = openpyxl.worksheet.cell_range.CellRange(ws.tables["tblAr"].ref)
        for r in range(ref.min_row + 1, ref.max_row + 1):
            cell = ws.cell(r, ref.min_col + 1)  # År
            if isinstance(cell.value, int):
                cell.value += 1
        wb.save(path)


def _refresh(tmp_path: Path, kommun: Path, name: str) -> tuple[int, dict, Decimal | None]:
    """``kommunbudget refresh`` through the CLI: exit code, JSON report, and the tablå's Utfall
    hittills of Äldreomsorg's anslag (sheet Budgetutfall of the municipality workbook)."""
    import json

    report = tmp_path / f"{name}.json"
    code = main(["refresh", str(tmp_path), "--kommun", str(kommun), "--report", str(report),
                 "-q"])
    wb = openpyxl.load_workbook(kommun, read_only=True)
    utfall = next((Decimal(str(row[6])) for row in wb["Budgetutfall"].iter_rows(values_only=True)
                   if len(row) > 6 and row[1] == "Äldreomsorg – anslag"), None)
    wb.close()
    return code, json.loads(report.read_text(encoding="utf-8")), utfall


def _at_year_cell(data: dict) -> list[dict]:
    return [f for f in data["findings"] if f.get("workbook") == "social.xlsx"
            and f.get("sheet") == BOKFORT_SHEET and f.get("cell") == "C1"]


def _incomplete_for_it(data: dict) -> bool:
    """The run is marked incomplete because of the year cell (only social.xlsx of the list's
    committees is in the folder, so the run is incomplete anyway: the reason is what counts)."""
    return data["complete"] is False and any(
        (x["workbook"], x["sheet"], x["cell"]) == ("social.xlsx", BOKFORT_SHEET, "C1")
        for x in data["ofullstandig"])


def test_last_years_imported_outturn_is_not_counted_after_the_rollover(tmp_path: Path) -> None:
    kommun, social, mappning = _setup(tmp_path)  # Bokslutsår 2024: the follow-up year is 2025
    # 3 000,00 + 1 000,00 debit on salaries in January and February 2025 -> −4 000,00
    assert _run(tmp_path, kommun, mappning, "e2025.csv", "Konto;Kst;Period;Belopp\n"
                "4000;3100;2025-01;3000,00\n4000;3100;2025-02;1000,00\n") == 0
    code, data, utfall = _refresh(tmp_path, kommun, "before")
    assert utfall == Decimal("-4000.00") + _OTHER_COSTS == Decimal("-6821740.00")
    assert not _at_year_cell(data) and not _incomplete_for_it(data)

    _roll_over(kommun, social)  # the follow-up year is 2026, Bokfört utfall still 2025's
    code, data, utfall = _refresh(tmp_path, kommun, "after")
    assert utfall == _OTHER_COSTS  # the 2025 bookings are not 2026's outturn to date
    [f] = _at_year_cell(data)
    assert f["severity"] == "error" and f["rule"] == "V10"
    assert "har bokfört utfall för 2025" in f["message"]
    assert "uppföljningsåret är 2026" in f["message"]
    assert "Kör import-utfall med exporten för 2026, eller töm bladet" in f["message"]
    assert _incomplete_for_it(data)
    assert {Path(x["path"]).name: x["status"] for x in data["files"]}[
        "social.xlsx"] == "input-errors"

    # the year's own export: written with its year, counted again (2 500,00 debit -> −2 500,00)
    assert _run(tmp_path, kommun, mappning, "e2026.csv",
                "Konto;Kst;Period;Belopp\n4000;3100;2026-03;2500,00\n") == 0
    code, data, utfall = _refresh(tmp_path, kommun, "again")
    assert utfall == Decimal("-2500.00") + _OTHER_COSTS
    assert not _at_year_cell(data) and not _incomplete_for_it(data)
    wb = openpyxl.load_workbook(social, read_only=True)
    ws = wb[BOKFORT_SHEET]
    title = [ws[c].value for c in ("A1", "B1", "C1", "D1", "E1")]
    wb.close()
    assert title == [BOKFORT_SHEET, "Utfallsår", 2026, "Till och med period", 3]


def test_a_sheet_without_its_year_is_said_and_one_with_no_year_there_does_not_count(
        tmp_path: Path) -> None:
    # a sheet an older version wrote (no year in C1): counted, with a warning at C1; a C1 that
    # holds no year (typed over): not counted, an error at C1
    kommun, social, mappning = _setup(tmp_path)
    assert _run(tmp_path, kommun, mappning, "e2025.csv",
                "Konto;Kst;Period;Belopp\n4000;3100;2025-01;3000,00\n") == 0

    def title(c1: object):  # noqa: ANN202
        def edit(path: Path) -> None:
            wb = openpyxl.load_workbook(path)
            ws = wb[BOKFORT_SHEET]
            for cell in ("B1", "D1", "E1"):
                ws[cell] = None
            ws["C1"] = c1
            wb.save(path)
        return edit

    title(None)(social)
    code, data, utfall = _refresh(tmp_path, kommun, "old")
    assert utfall == Decimal("-3000.00") + _OTHER_COSTS  # counted as before
    [f] = _at_year_cell(data)
    assert f["severity"] == "warning" and "inget utfallsår" in f["message"]
    assert "äldre version av import-utfall" in f["message"] and not _incomplete_for_it(data)

    title("förra året")(social)
    code, data, utfall = _refresh(tmp_path, kommun, "text")
    assert utfall == _OTHER_COSTS
    [f] = _at_year_cell(data)
    assert f["severity"] == "error" and "är 'förra året', inte ett år" in f["message"]
    assert _incomplete_for_it(data)
