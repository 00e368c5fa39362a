"""The JSON report of ``refresh``, ``validate`` and ``import-utfall`` (``--report FILE``).

Documented in docs/RAPPORT.md and pinned by the JSON Schema shipped next to this module
(``report.schema.json``, :func:`schema`); the tests validate every report against it. Values are
stable machine values (status ``written``, severity ``error``); the Swedish wording a person
reads is in :mod:`workbook_templates.cli.svenska`. Bump :data:`SCHEMA_VERSION` on any change:
the minor part for added fields, the major part when a field changes meaning or goes away.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import workbook_templates
from engine.findings import Finding, count_by_severity
from workbook_templates.files.changes import ChangeLog

__all__ = ["MAX_CHANGES", "SCHEMA_VERSION", "build_report", "schema", "write_report"]

SCHEMA_VERSION = "1.2"
#: changed cells listed per file; more are counted in ``changes_omitted`` (a first refresh of a
#: large municipality writes every output cell)
MAX_CHANGES = 20_000


def schema() -> dict[str, Any]:
    """The report's JSON Schema (draft 2020-12), from the installed package."""
    text = resources.files("workbook_templates.cli").joinpath("report.schema.json").read_text(
        encoding="utf-8")
    return json.loads(text)


def _json_value(v: object) -> object:
    """A cell value for JSON: numbers as numbers (int when whole), text, booleans, null."""
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)


class _Changes(list):
    """A file's listed changed cells in the report: a view of the writer's (sheet, cell, old,
    new) records (:class:`~workbook_templates.files.changes.ChangeLog`, or any sequence of
    them), each made a JSON object when it is read or encoded. A large first refresh lists
    790 000 cells: neither the objects nor the records are ever all in memory at once (the log
    keeps 24 bytes a cell). A ``list`` to every reader of the report (``json.dumps`` encodes it
    as an array, a schema validator sees one), whose own storage stays empty: length, items
    and iteration come from the records."""

    __slots__ = ("_records",)

    def __init__(self, records: Sequence[Any] = ()) -> None:
        super().__init__()
        self._records = records

    @staticmethod
    def _obj(c: Any) -> dict[str, object]:
        return {"sheet": c.sheet, "cell": c.cell, "old": _json_value(c.old),
                "new": _json_value(c.new)}

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[dict[str, object]]:  # type: ignore[override]
        return map(self._obj, self._records)

    def __getitem__(self, i: Any) -> Any:
        got = self._records[i]
        return [self._obj(c) for c in got] if isinstance(i, slice) else self._obj(got)

    def __eq__(self, other: object) -> bool:
        return list(self) == other

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))


def _finding(f: Finding) -> dict[str, object]:
    return f.as_dict()


def _file(fr: Any) -> dict[str, object]:
    changes = getattr(fr, "changes", None) or []
    return {
        "path": str(fr.path),
        "workbook": Path(fr.path).name,
        "role": fr.role,
        "status": fr.status,
        "findings": count_by_severity(fr.findings),
        "backup": str(fr.backup) if fr.backup else None,
        "changes": _Changes(changes if len(changes) <= MAX_CHANGES else changes[:MAX_CHANGES]),
        # the writer keeps only the first changes (refresh.MAX_CHANGES) and counts the rest
        "changes_omitted": max(0, len(changes) - MAX_CHANGES)
        + int(getattr(fr, "changes_omitted", 0) or 0),
    }


def build_report(command: str, started: datetime, finished: datetime, exit_code: int,
                 files: Iterable[Any], findings: Sequence[Finding], *,
                 complete: bool = True, ofullstandig: Iterable[Any] = (),
                 extra: dict[str, object] | None = None) -> dict[str, object]:
    """The report as a JSON-ready dict. ``files`` are :class:`FileReport`-like objects (path,
    role, status, findings, backup, changes); ``ofullstandig`` entries are dicts or objects with
    ``namnd, workbook, sheet, cell, orsak`` (what made a result incomplete)."""
    out: dict[str, object] = {
        "schema": "kommunbudget-rapport",
        "schema_version": SCHEMA_VERSION,
        "tool_version": workbook_templates.__version__,  # read on first use
        "command": command,
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "exit_code": exit_code,
        "complete": complete,
        "ofullstandig": [_gap(g) for g in ofullstandig],
        "totals": count_by_severity(findings),
        "files": [_file(f) for f in files],
        "findings": [_finding(f) for f in findings],
    }
    if extra:
        out.update(extra)
    return out


def _gap(g: Any) -> dict[str, object]:
    keys = ("namnd", "workbook", "sheet", "cell", "orsak")
    if isinstance(g, dict):
        return {k: g.get(k) for k in keys}
    return {k: getattr(g, k, None) for k in keys}


def write_report(path: str | Path, report: dict[str, object]) -> None:
    """The report as indented JSON (exactly ``json.dumps(…, indent=2)`` and a newline), encoded
    piece by piece and written in batches: a large first refresh lists hundreds of thousands of
    changed cells, and the whole text (with the encoder's pieces of it) need not be in memory
    at once. The files' lists of changed cells, nearly all of such a report, are rendered by
    :func:`_changes_text` in the encoder's own layout (the pure-Python indented encoder took
    0.6 s for a city's first refresh); everything else by the encoder."""
    encoder = json.JSONEncoder(ensure_ascii=False, indent=2, default=str)
    # report["files"][i]["changes"] -> a token the encoder writes as a string, replaced by the
    # list's text (at indentation level 3: report, files, file, changes) as it is written
    holes: dict[str, _Changes] = {}
    files = report.get("files")
    if isinstance(files, list):
        salt = secrets.token_hex(8)  # no text of the report can hold the tokens
        files = [dict(f) if isinstance(f, dict) else f for f in files]
        for f in files:
            if isinstance(f, dict) and isinstance(f.get("changes"), _Changes) and f["changes"]:
                token = f"\x00kb-changes-{salt}-{len(holes)}\x00"
                holes[json.dumps(token, ensure_ascii=False)] = f["changes"]
                f["changes"] = token
        report = {**report, "files": files}
    with open(path, "w", encoding="utf-8") as out:
        batch: list[str] = []
        for piece in encoder.iterencode(report):
            if holes and "\\u0000kb-changes-" in piece:
                for quoted, changes in holes.items():
                    at = piece.find(quoted)
                    if at >= 0:
                        batch.append(piece[:at])
                        out.write("".join(batch))
                        batch.clear()
                        for text in _changes_text(changes, 3):  # written as it is made
                            out.write(text)
                        piece = piece[at + len(quoted):]
                        break
            batch.append(piece)
            if len(batch) >= 8192:
                out.write("".join(batch))
                batch.clear()
        batch.append("\n")
        out.write("".join(batch))


_ENCODE_TEXT = json.encoder.encode_basestring  # ensure_ascii=False, as the report's encoder


def _runs(changes: _Changes, size: int) -> Iterator[tuple[object, list[str], list[object],
                                                          list[object]]]:
    """The changed cells as (sheet, cells as JSON strings, old values, new values) of one sheet
    and at most ``size`` cells each, in order."""
    records = changes._records
    if isinstance(records, ChangeLog):
        for sheet, names, olds, news in records.runs(size):
            yield sheet, list(map(_ENCODE_TEXT, names)), olds, news
        return
    run: list[Any] = []
    for c in records:  # any sequence of records: consecutive ones of one sheet together
        if run and (c.sheet != run[0].sheet or len(run) >= size):
            yield run[0].sheet, [_json_scalar(r.cell) for r in run], [r.old for r in run], \
                [r.new for r in run]
            run = []
        run.append(c)
    if run:
        yield run[0].sheet, [_json_scalar(r.cell) for r in run], [r.old for r in run], \
            [r.new for r in run]


def _json_scalar(v: object) -> str:
    """One value as ``json.JSONEncoder(ensure_ascii=False, default=str)`` writes it."""
    if isinstance(v, str):
        return _ENCODE_TEXT(v)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return int.__repr__(v)
    if isinstance(v, float):
        if v != v:
            return "NaN"
        if v in (float("inf"), float("-inf")):
            return "Infinity" if v > 0 else "-Infinity"
        return float.__repr__(v)
    return _ENCODE_TEXT(str(v))


def _value_text(v: object) -> str:
    """``_json_scalar(_json_value(v))``, the common cell values first."""
    t = type(v)
    if t is Decimal:
        return int.__repr__(int(v)) if v == v.to_integral_value() else _json_scalar(float(v))
    if v is None:
        return "null"
    if t is str:
        return _ENCODE_TEXT(v)
    return _json_scalar(_json_value(v))


def _changes_text(changes: _Changes, level: int, batch: int = 2048) -> Iterator[str]:
    """A non-empty list of changed cells as the indented encoder writes it at ``level`` (the
    list's own indentation, two spaces a level), in pieces of at most ``batch`` cells (never the
    whole text at once: a large first refresh lists 20 000 cells in each of 61 files), each
    piece the cells of one sheet (from a :class:`ChangeLog`, without a record per cell)."""
    close = " " * (2 * level)
    item = " " * (2 * level + 2)
    key = " " * (2 * level + 4)
    head = f"{item}{{\n{key}\"sheet\": "
    cell, old, new = f",\n{key}\"cell\": ", f",\n{key}\"old\": ", f",\n{key}\"new\": "
    tail = f"\n{item}}}"
    value = _value_text
    lead = "[\n"
    for sheet, cells, olds, news in _runs(changes, batch):
        pre = f"{head}{_json_scalar(sheet)}{cell}"
        yield lead + ",\n".join([f"{pre}{c}{old}{value(o)}{new}{value(n)}{tail}"
                                  for c, o, n in zip(cells, olds, news, strict=True)])
        lead = ",\n"
    yield "\n" + close + "]"
