"""Reference implementations: the engine's functions as they were before issue 17's fast paths.

Kept verbatim (only renamed) so that the equivalence tests (tests/test_engine_equivalence.py)
can hold every fast path equal to the general computation it replaced: same values, same
exponents and signs of every Decimal, same order, same findings.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from decimal import Decimal

from engine.catalogue import Catalogue, catalogue
from engine.findings import Finding, Severity
from engine.money import ZERO
from engine.money import format_sv as _fmt
from engine.statements import _SOFT_TRANSFERS, Amounts, Statement, _year_int


def reference_compute(
    given: Amounts,
    years: Sequence[str | int],
    parts: Sequence[str] = ("RR",),
    *,
    cat: Catalogue | None = None,
) -> Statement:
    """Evaluate every line of ``parts`` from the ``given`` amounts (see the module docstring)."""
    cat = cat or catalogue()
    year_labels = tuple(str(y) for y in years)
    n = len(year_labels)
    findings: list[Finding] = []
    given_vals: dict[str, tuple[Decimal | None, ...]] = {}
    for code, vals in given.items():
        if code not in cat:
            findings.append(
                Finding("V10", Severity.ERROR, f"okänd radkod {code!r}; rätta koden", object=code)
            )
            continue
        vals = tuple(vals)
        if len(vals) != n:
            raise ValueError(f"{code}: {len(vals)} values for {n} year columns")
        if any(v is not None for v in vals):
            given_vals[code] = vals

    def _compare(code: str, own: Sequence[Decimal | None], result: Sequence[Decimal],
                 rule: str, severity: Severity) -> None:
        line = cat[code]
        for i, (g, c) in enumerate(zip(own, result, strict=True)):
            if g is not None and g != c:
                if rule == "V4" and code in _SOFT_TRANSFERS:
                    src = cat[line.source].label if line.source else ""
                    msg = (
                        f"'{line.label}' är angiven som {_fmt(g)} men '{src}' är {_fmt(c)} "
                        f"(skillnad {_fmt(g - c)}); det angivna beloppet används (t.ex. "
                        "försäljningsvinster som korrigeras in, §6.6). Kontrollera att skillnaden "
                        "är avsiktlig"
                    )
                elif rule == "V4":
                    src = cat[line.source].label if line.source else ""
                    msg = (
                        f"'{line.label}' är angiven som {_fmt(g)} men '{src}' är {_fmt(c)} "
                        f"(skillnad {_fmt(g - c)}); överföringsraden ska vara lika med sin källa, "
                        "rätta den ena"
                    )
                else:
                    msg = (
                        f"'{line.label}' är angiven som {_fmt(g)} men summan av dess delposter är "
                        f"{_fmt(c)} (skillnad {_fmt(g - c)}); rätta delposterna eller summan"
                    )
                findings.append(
                    Finding(rule, severity, msg, object=code, year=_year_int(year_labels[i]))
                )

    values: dict[str, tuple[Decimal, ...]] = {}
    has_data: set[str] = set()
    zeros = (ZERO,) * n
    # The lines in evaluation order (components and sources before the lines they feed): the
    # order of the recursive definition, computed once per catalogue and set of parts.
    for code, kids, source in _reference_evaluation_order(cat, frozenset(parts)):
        own = given_vals.get(code)
        result: tuple[Decimal, ...]
        if kids:
            data_kids = [values[k] for k in kids if k in has_data]
            if data_kids:
                # components without data are exactly ZERO: leaving them out of the sum (which
                # starts at ZERO) changes neither value nor exponent
                if len(data_kids) == 1:
                    result = tuple([ZERO + v for v in data_kids[0]])
                else:
                    result = tuple([sum(col, ZERO) for col in zip(*data_kids, strict=True)])
                has_data.add(code)
                if own is not None:
                    _compare(code, own, result, "SUM", Severity.ERROR)
            elif own is not None:
                result = tuple([v if v is not None else ZERO for v in own])
                has_data.add(code)
            else:
                result = zeros
        elif source is not None:
            if source in has_data:
                result = values[source]
                has_data.add(code)
                if own is not None:
                    sev = Severity.WARNING if code in _SOFT_TRANSFERS else Severity.ERROR
                    _compare(code, own, result, "V4", sev)
                    if code in _SOFT_TRANSFERS:  # a given year stands (disposal gains)
                        result = tuple(c if g is None else g
                                       for g, c in zip(own, result, strict=True))
            elif own is not None:
                result = tuple([v if v is not None else ZERO for v in own])
                has_data.add(code)
            else:
                result = zeros
        elif own is not None:
            result = tuple([v if v is not None else ZERO for v in own])
            has_data.add(code)
        else:
            result = zeros
        values[code] = result

    # given lines of other parts (e.g. BAL figures for ratios) are carried along as given
    for code, vals in given_vals.items():
        if code not in values:
            values[code] = tuple(v if v is not None else ZERO for v in vals)
            has_data.add(code)
    return Statement(
        parts=tuple(parts),
        years=year_labels,
        values=values,
        given=frozenset(given_vals),
        has_data=frozenset(has_data),
        findings=tuple(findings),
    )


_REFERENCE_ORDERS: weakref.WeakKeyDictionary[Catalogue, dict[frozenset[str], tuple]] = (
    weakref.WeakKeyDictionary())


def _reference_evaluation_order(cat: Catalogue, parts: frozenset[str]
                      ) -> tuple[tuple[str, tuple[str, ...], str | None], ...]:
    """(code, components, transfer source) of every line :func:`compute` evaluates for
    ``parts``, components and sources first, in the order of the recursive definition: each
    line of the parts in catalogue order, depth first. Depends on the catalogue only."""
    per_cat = _REFERENCE_ORDERS.setdefault(cat, {})
    order = per_cat.get(parts)
    if order is None:
        out: list[tuple[str, tuple[str, ...], str | None]] = []
        seen: set[str] = set()

        def visit(code: str) -> None:
            if code in seen:
                return
            line = cat[code]
            kids = tuple(cat.children(code))
            source = None
            if kids:
                for k in kids:
                    visit(k)
            elif line.source is not None and line.source in cat \
                    and cat[line.source].part in parts:
                source = line.source
                visit(source)
            seen.add(code)
            out.append((code, kids, source))

        for line in cat.lines.values():
            if line.part in parts:
                visit(line.code)
        order = per_cat[parts] = tuple(out)
    return order


def reference_sum_amounts(parts: Sequence[Amounts], n: int) -> dict[str, tuple[Decimal | None, ...]]:
    """Line-by-line sum of several amount maps (a year is ``None`` only if no part gave it)."""
    out: dict[str, list[Decimal | None]] = {}
    for amounts in parts:
        for code, vals in amounts.items():
            acc = out.setdefault(code, [None] * n)
            for i, v in enumerate(vals):
                if v is not None:
                    acc[i] = v if acc[i] is None else acc[i] + v
    return {code: tuple(vals) for code, vals in out.items()}


def reference_quantize(value: Decimal, unit: Decimal) -> Decimal:
    """engine.money.quantize before its whole-cents fast path: the general rule for every input.

    With the rule change of 2026-12 applied to this copy too (a deliberate change, not a faster
    path): the division by the unit is exact (100 digits), where the default context cut a value
    of more than 28 digits half to even first, which could cross a half (…122.2228 to 0.05 gave
    .25; a ratio's 40-digit quotient is the case that matters)."""
    from decimal import ROUND_HALF_UP, Context, InvalidOperation

    from engine.money import UNIT, AmountTooLarge, short_number

    if unit <= 0:
        raise ValueError("rounding unit must be positive")
    try:
        steps = Context(prec=100).divide(value, unit).quantize(UNIT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise AmountTooLarge(f"beloppet är för stort: {short_number(value)}") from None
    result = steps * unit
    return result.quantize(unit) if unit < 1 else result.quantize(UNIT)
