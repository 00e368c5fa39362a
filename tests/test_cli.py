"""The command line: the demo runs on the embedded example and exit codes are as documented."""

from __future__ import annotations

from workbook_templates.cli import main


def test_demo_prints_statements_ratios_and_resultatbalansering(capsys, tmp_path) -> None:
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Exempelby kommun" in out
    assert "Årsbidrag" in out and "Inverkan på likviditeten" in out
    assert "Nyckeltal" in out and "Resultatbalansering" in out


def test_usage_error_exits_2(capsys) -> None:
    assert main(["no-such-command"]) == 2
