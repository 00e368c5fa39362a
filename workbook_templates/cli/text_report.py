"""Plain-text tables for the terminal (the demo and the batch command's summary)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from engine.findings import Finding, count_by_severity
from engine.money import format_sv
from engine.ratios import Ratio
from engine.statements import Statement
from engine.svenska import antal

__all__ = ["format_amount", "format_findings", "format_ratios", "format_statement"]


def format_amount(value: Decimal | None, decimals: int = 0) -> str:
    """Swedish style: space as thousands separator, comma as decimal sign."""
    return "" if value is None else format_sv(value, decimals)


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], first_width: int = 52) -> str:
    rows = list(rows)
    widths = [max([len(header[i])] + [len(r[i]) for r in rows]) for i in range(len(header))]
    widths[0] = max(widths[0], min(first_width, widths[0]))
    lines = ["  ".join(h.ljust(widths[0]) if i == 0 else h.rjust(widths[i])
                       for i, h in enumerate(header))]
    lines.append("-" * len(lines[0]))
    for r in rows:
        lines.append("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                               for i, c in enumerate(r)))
    return "\n".join(lines)


def format_statement(st: Statement, part: str, columns: Sequence[str], title: str,
                     wording: str = "sv_budget") -> str:
    rows = [["  " * row.depth + row.label, *(format_amount(v) for v in row.values)]
            for row in st.rows(part, wording)]
    return f"{title}\n" + _table(["", *columns], rows)


def format_ratios(per_year: Sequence[dict[str, Ratio]], columns: Sequence[str]) -> str:
    names = list(per_year[0])
    rows = []
    for name in names:
        cells = []
        for ratios in per_year:
            r = ratios[name]
            cells.append(format_amount(r.value, 1) if r.defined else "ej def.")
        rows.append([name, *cells])
    return "Nyckeltal\n" + _table(["", *columns], rows)


def format_findings(findings: Sequence[Finding], limit: int = 20) -> str:
    counts = count_by_severity(findings)
    head = (f"Kontroll: {antal(counts['error'], 'fel')}, "
            f"{antal(counts['warning'], 'varning')}, {antal(counts['info'], 'info')}")
    lines = [head]
    for f in list(findings)[:limit]:
        lines.append(f"  {f}")
    if len(findings) > limit > 0:
        lines.append(f"  ... och {len(findings) - limit} till")
    return "\n".join(lines)
