"""The command line: the demo runs on the embedded example and exit codes are as documented."""

from __future__ import annotations

from workbook_templates.cli.main import main


def test_usage_error_exits_2(capsys) -> None:
    assert main(["no-such-command"]) == 2
