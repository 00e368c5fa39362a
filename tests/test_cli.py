"""The command line as a Swedish-speaking user and a nightly job use it (issue 18): Swedish help,
errors and statuses, --version, log levels and a log file, the versioned JSON report (validated
against the shipped JSON Schema), the exit codes, and a lone committee workbook validated on its
own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import openpyxl
import pytest

from workbook_templates import __version__
from workbook_templates.cli.main import main
from workbook_templates.cli.report import schema
from workbook_templates.generate.example import exempelkommun
from workbook_templates.generate.templates import new_kommun, new_namnd

ENGLISH = ("usage:", "options:", "show this help", "the following arguments", "invalid choice",
           "positional arguments", "error:", "unrecognized arguments")


def _validator() -> jsonschema.Draft202012Validator:
    s = schema()
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s, format_checker=jsonschema.FormatChecker())


def _valid(report: dict) -> dict:
    errors = sorted(_validator().iter_errors(report), key=str)
    assert not errors, [e.message for e in errors[:5]]
    return report


@pytest.fixture(scope="module")
def example_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ex = exempelkommun()
    d = tmp_path_factory.mktemp("example")
    new_kommun(d / "kommun.xlsx", ex)
    for namnd in ("Socialnämnden", "Bildningsnämnden"):
        new_namnd(d / f"{namnd}.xlsx", namnd, ex)
    return d


@pytest.fixture
def folder(example_folder: Path, tmp_path: Path) -> Path:
    d = tmp_path / "kommun"
    shutil.copytree(example_folder, d)
    return d


# 1. Swedish -----------------------------------------------------------------------------------

def test_usage_error_exits_2(capsys) -> None:
    assert main(["no-such-command"]) == 2


@pytest.mark.parametrize("argv", [["--help"], ["refresh", "--help"], ["validate", "--help"],
                                  ["import-utfall", "--help"], ["new", "--help"],
                                  ["excel-setup", "--help"], ["excel-kontroll", "--help"]])
def test_help_is_swedish(argv: list[str], capsys) -> None:
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "användning:" in out and "flaggor:" in out and "visa den här hjälpen" in out
    assert not [w for w in ENGLISH if w in out]


@pytest.mark.parametrize(("argv", "swedish"), [
    (["refresh"], "följande argument saknas: SÖKVÄG"),
    (["nope"], "ogiltigt val: 'nope'"),
    (["new", "hus", "x.xlsx"], "ogiltigt val: 'hus'"),
    (["refresh", "x", "--jobs", "många"], "ogiltigt antal: 'många' (ange ett heltal från 1"),
    (["refresh", "x", "--jobs", "0"], "ogiltigt antal: '0'"),
    (["import-utfall", "x", "--jobs", "många"], "ogiltigt värde (int): 'många'"),
    (["refresh", "x", "--okand"], "okända argument: --okand"),
    (["refresh", "x", "--quiet", "--verbose"], "kan inte anges tillsammans med"),
])
def test_usage_errors_are_swedish_and_exit_2(argv: list[str], swedish: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert swedish in err and "fel:" in err
    assert not [w for w in ENGLISH if w in err.replace("fel:", "")]


def test_version(capsys) -> None:
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == f"kommunbudget {__version__}" and __version__ != "0+unknown"


def test_statuses_are_swedish_on_screen_and_stable_in_the_json(folder: Path, tmp_path: Path,
                                                             capsys) -> None:
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    main(["refresh", str(folder), "--report", str(first)])
    out = capsys.readouterr().out
    assert "skriven" in out and "written" not in out
    main(["refresh", str(folder), "--report", str(second)])
    out = capsys.readouterr().out
    assert "oförändrad" in out and "unchanged" not in out
    assert {f["status"] for f in json.loads(first.read_text("utf-8"))["files"]} == {"written"}
    assert {f["status"] for f in json.loads(second.read_text("utf-8"))["files"]} == {"unchanged"}


# 2. Logging -----------------------------------------------------------------------------------

def test_each_error_on_one_line_warnings_summarised(folder: Path, capsys) -> None:
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out.splitlines()
    errors = [ln for ln in out if " fel: " in ln]
    # the example's deliberate errors, e.g. U1 on Utfall!A5 of Socialnämnden's workbook; a sheet
    # name with a space is quoted as in Excel
    assert any(ln.startswith("Socialnämnden.xlsx Utfall!A5: U1 fel: ") for ln in errors)
    assert any(ln.startswith("kommun.xlsx 'Resultatbalansering in'!B4: IN fel: ")
               for ln in errors)
    assert not [ln for ln in out if " varning: " in ln]  # warnings: one summary line
    summary = [ln for ln in out if ln.split(" ")[0].isdigit() and "varning" in ln]
    assert len(summary) == 1 and "se bladet Kontroll" in summary[0]
    main(["validate", str(folder), "--format", "json"])
    t = json.loads(capsys.readouterr().out)["totals"]
    assert t["error"] > 1 and t["warning"] > 1 and t["info"] == 1
    assert [ln for ln in out if ln.startswith("Kontroll: ")] == [
        f"Kontroll: {t['error']} fel, {t['warning']} varningar, 1 info"]
    assert len(errors) == t["error"]


def test_verbose_lists_warnings_quiet_only_errors(folder: Path, capsys) -> None:
    main(["validate", str(folder), "--verbose"])
    verbose = capsys.readouterr().out
    assert " varning: " in verbose
    main(["refresh", str(folder), "--quiet"])
    quiet = capsys.readouterr().out
    assert " fel: " in quiet and "Kontroll: " in quiet
    assert "skriven" not in quiet and "Årsbidrag" not in quiet and " varning: " not in quiet


def test_log_file_has_time_and_level(folder: Path, tmp_path: Path, capsys) -> None:
    log = tmp_path / "natt.log"
    main(["refresh", str(folder), "--quiet", "--log-file", str(log)])
    lines = log.read_text("utf-8").splitlines()
    assert any(" ERROR " in ln and "U1 fel" in ln for ln in lines)
    assert any(" INFO " in ln and "skriven" in ln for ln in lines)
    assert any(" DEBUG " in ln and "Läser" in ln for ln in lines)
    assert any(" DEBUG " in ln and " varning: " in ln for ln in lines)  # each warning
    assert all(ln[:4].isdigit() and ln[4] == "-" for ln in lines)


def test_lines_no_one_shows_are_not_made(folder: Path, monkeypatch, capsys) -> None:
    """Without --verbose or --log-file a finding's line is made only for an error (the
    console shows those); the debug lines of the warnings and infos were made and dropped."""
    import logging

    from workbook_templates.cli import main as cli

    made: list[str] = []
    real = cli.finding_line

    def counting(f):
        made.append(f.severity.value)
        return real(f)

    monkeypatch.setattr(cli, "finding_line", counting)
    records: list[int] = []
    monkeypatch.setattr(logging.Logger, "handle", lambda self, r: records.append(r.levelno))
    main(["refresh", str(folder)])
    assert made and set(made) == {"error"}
    assert logging.DEBUG not in records and logging.INFO in records


# 3. The JSON report ---------------------------------------------------------------------------

def test_refresh_report_is_valid_and_lists_changed_cells(folder: Path, tmp_path: Path,
                                                        capsys) -> None:
    first = tmp_path / "first.json"
    main(["refresh", str(folder), "--report", str(first)])
    r = _valid(json.loads(first.read_text("utf-8")))
    assert r["schema_version"].startswith("1.") and r["tool_version"] == __version__
    assert r["command"] == "refresh" and r["exit_code"] == 1
    # two of the example's six committees are in the folder: incomplete, and the report says why
    assert r["complete"] is False and len(r["ofullstandig"]) == 4
    assert all(g["namnd"] and g["orsak"] for g in r["ofullstandig"])
    assert r["started"] <= r["finished"]
    assert r["totals"] == {s: sum(1 for f in r["findings"] if f["severity"] == s)
                           for s in ("error", "warning", "info")}
    u1 = [f for f in r["findings"] if f["rule"] == "U1" and f["severity"] == "error"]
    assert {(f["workbook"], f["sheet"], f["cell"]) for f in u1} >= {
        ("Socialnämnden.xlsx", "Utfall", "A5")}
    social = next(f for f in r["files"] if f["workbook"] == "Socialnämnden.xlsx")
    assert social["findings"]["error"] >= 1
    kommun = next(f for f in r["files"] if f["role"] == "kommun")
    # a first refresh fills the empty output sheets: every change is from empty
    assert kommun["changes"] and all(c["old"] is None for c in kommun["changes"])

    # a committee changes one amount; the next report names exactly what moved
    social = folder / "Socialnämnden.xlsx"
    wb = openpyxl.load_workbook(social)  # a fresh template file: openpyxl is fine here
    ws = wb["Driftsbudget"]
    header = [c.value for c in ws[3]]
    col = header.index("Budget 2026") + 1
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value and
               isinstance(ws.cell(r, col).value, int | float) and ws.cell(r, col).value < 0)
    ws.cell(row, col).value = ws.cell(row, col).value - 1000
    wb.save(social)
    second = tmp_path / "second.json"
    main(["refresh", str(folder), "--report", str(second)])
    r2 = _valid(json.loads(second.read_text("utf-8")))
    kommun2 = next(f for f in r2["files"] if f["role"] == "kommun")
    rr = [c for c in kommun2["changes"] if c["sheet"] == "Resultaträkning"]
    assert rr and all(c["old"] is not None and c["new"] is not None for c in rr)
    # the net costs moved by exactly 1 000 in one year column
    assert any(round(c["new"] - c["old"], 2) == -1000 for c in rr
               if isinstance(c["new"], int | float) and isinstance(c["old"], int | float))
    unchanged = [f for f in r2["files"] if f["workbook"] == "Bildningsnämnden.xlsx"]
    assert unchanged[0]["status"] in ("unchanged", "written")


def test_validate_json_on_stdout_is_the_report(folder: Path, capsys) -> None:
    assert main(["validate", str(folder), "--format", "json"]) == 1
    r = _valid(json.loads(capsys.readouterr().out))
    assert r["command"] == "validate"
    assert {f["status"] for f in r["files"]} == {"validated"}
    assert all(f["changes"] == [] for f in r["files"])


def test_report_schema_rejects_a_wrong_report(folder: Path, tmp_path: Path, capsys) -> None:
    path = tmp_path / "r.json"
    main(["validate", str(folder), "--report", str(path)])
    r = json.loads(path.read_text("utf-8"))
    r["files"][0]["status"] = "skriven"  # the Swedish word is for people, not the JSON
    assert list(_validator().iter_errors(r))
    r = json.loads(path.read_text("utf-8"))
    del r["tool_version"]
    assert list(_validator().iter_errors(r))


def test_import_utfall_report_and_quiet(folder: Path, tmp_path: Path, capsys) -> None:
    from tests.test_import_utfall import _export, _mappning

    report = tmp_path / "import.json"
    code = main(["import-utfall", str(_export(tmp_path / "export.csv")), "--mappning",
                 str(_mappning(tmp_path / "m.csv")), "--kommun", str(folder / "kommun.xlsx"),
                 "--quiet", "--report", str(report)])
    out = capsys.readouterr().out
    assert code in (0, 1)
    assert "stämmer på centen" not in out and "skriven" not in out  # quiet
    r = _valid(json.loads(report.read_text("utf-8")))
    assert r["command"] == "import-utfall" and r["import"]["reconciled"] is True
    assert r["import"]["total_export_ore"] == 8 * 100_000_050 - 25_000_025 + 99_999 + 1_234
    written = [f for f in r["files"] if f["status"] == "written"]
    assert written and any(c["sheet"] == "Bokfört utfall" for f in written for c in f["changes"])


# 4. Exit codes --------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["refresh", "validate"])
def test_an_empty_folder_or_a_missing_path_is_2(command: str, tmp_path: Path, capsys) -> None:
    (tmp_path / "tom").mkdir()
    assert main([command, str(tmp_path / "tom")]) == 2
    assert "Ingen arbetsbok" in capsys.readouterr().out
    assert main([command, str(tmp_path / "finns-inte")]) == 2
    assert "finns inte" in capsys.readouterr().out


def test_import_utfall_missing_export_is_2(folder: Path, tmp_path: Path, capsys) -> None:
    assert main(["import-utfall", str(tmp_path / "nej.csv"), "--mappning", str(tmp_path / "m"),
                 "--kommun", str(folder / "kommun.xlsx")]) == 2
    assert "finns inte" in capsys.readouterr().out


def test_a_lone_committee_workbook_is_validated_on_its_own(folder: Path, tmp_path: Path,
                                                          capsys) -> None:
    social = folder / "Socialnämnden.xlsx"
    report = tmp_path / "r.json"
    assert main(["validate", str(social), "--report", str(report)]) == 0
    r = _valid(json.loads(report.read_text("utf-8")))
    assert [f["status"] for f in r["files"]] == ["validated"]
    assert social.read_bytes() == (folder.parent / "kommun" / social.name).read_bytes()

    # a typing mistake in the committee's own table is found without the municipality
    wb = openpyxl.load_workbook(social)
    ws = wb["Driftsbudget"]
    ws["D4"] = "12 OOO"
    wb.save(social)
    assert main(["validate", str(social)]) == 1
    out = capsys.readouterr().out
    assert "Driftsbudget!D4" in out and " fel: " in out
