"""Statements: resultaträkningsdel, finansieringsdel, investeringsdel, driftsekonomidel (spec §5–6).

Everything here is a function of plain data. Amounts are ``Decimal`` in the published sign
convention (income +, costs −), one value per year column; any number of year columns.

The core is :func:`compute`: given amounts for some lines (by catalogue code), it evaluates every
line of the requested parts. The semantics for computed lines (issue 2):

* a computed line is the plain sum of its children in the catalogue;
* given *with* (some of) its components, it is checked: a mismatch is a finding with both figures,
  and the computed value is used (the leaves are the truth);
* given *without* any of its components, it is taken as given (a budget that only has the total
  "Övriga förändringar av likviditeten", a finansieringsdel without the income statement);
* a transfer line (``FD.VK.AB`` ← ``RR.AB``) takes its source's value when the source's part is in
  the same computation and has data; if it is given as well, the two must agree to the cent (V4).

Input lines that are not given count as zero in the sums (as in a published statement, where an
empty line is a zero); blank cells in the workbook are therefore zeros, but text and error values
never are: those are refused before they reach this module.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from itertools import repeat
from operator import add, is_, is_not

from engine.catalogue import Catalogue, catalogue
from engine.findings import Finding, Severity
from engine.money import ZERO, cents_to_money
from engine.money import format_sv as _fmt

__all__ = [
    "Amounts",
    "CentValues",
    "Row",
    "Statement",
    "Consolidation",
    "Source",
    "compute",
    "consolidate",
    "finansieringsdel",
    "resultatrakning",
    "sum_amounts",
    "sum_rows",
]

Amounts = Mapping[str, Sequence[Decimal | None]]
"""Given amounts: line code -> one value per year column (``None`` = not given that year)."""

#: Transfer lines whose source may differ legitimately (disposal gains are corrected in, §6.6).
_SOFT_TRANSFERS = frozenset({"FD.IK.FORS"})


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a computed statement."""

    code: str
    label: str
    values: tuple[Decimal, ...]
    computed: bool  # the value was computed from components or taken from a source line
    given: bool  # the user gave a value for this line
    depth: int


@dataclass(frozen=True)
class Statement:
    """The lines of one or more parts, evaluated for every year column."""

    parts: tuple[str, ...]
    years: tuple[str, ...]
    #: line code -> one amount per year column (a dict, or :class:`CentValues` when computed
    #: from integer cents)
    values: Mapping[str, tuple[Decimal, ...]]
    given: frozenset[str]
    has_data: frozenset[str]
    findings: tuple[Finding, ...] = field(default=())
    #: (code, year index) of a given line's year left blank (counted as zero in the sums; a
    #: balance-sheet stock left blank is unknown, not zero: the ratios say "ej definierat")
    blank: frozenset[tuple[str, int]] = field(default=frozenset())

    def __getitem__(self, code: str) -> tuple[Decimal, ...]:
        return self.values[code]

    def get(self, code: str, year: int = 0) -> Decimal:
        return self.values[code][year]

    def rows(self, part: str | None = None, wording: str = "sv_budget", *, full: bool = False
             ) -> list[Row]:
        """Rows in the standard order: lines shown by default, lines with data, or all (``full``)."""
        cat = catalogue()
        out = []
        for line in cat.lines.values():
            if line.part not in self.parts or (part is not None and line.part != part):
                continue
            if line.code not in self.values:
                continue
            if not (full or line.show or line.code in self.has_data):
                continue
            out.append(
                Row(
                    code=line.code,
                    label=line.label_in(wording),
                    values=self.values[line.code],
                    computed=line.code not in self.given or line.computed,
                    given=line.code in self.given,
                    depth=_depth(cat, line.code),
                )
            )
        return out


class CentValues(Mapping[str, tuple[Decimal, ...]]):
    """A statement's values computed in integer cents (:func:`compute` with ``cents=True``),
    each line made Decimal amounts (:func:`engine.money.cents_to_money`) when it is first
    looked up: a caller that reads one line (an Excel function's result) converts five
    numbers, not every line's. The same values as the Decimal computation gives, exponent and
    sign included (``tests/test_engine_equivalence.py``)."""

    __slots__ = ("_cents", "_money")

    def __init__(self, cents: dict[str, tuple[int, ...]]) -> None:
        self._cents = cents
        self._money: dict[str, tuple[Decimal, ...]] = {}

    def __getitem__(self, code: str) -> tuple[Decimal, ...]:
        got = self._money.get(code)
        if got is None:
            got = self._money[code] = tuple(map(cents_to_money, self._cents[code]))
        return got

    def __contains__(self, code: object) -> bool:
        return code in self._cents

    def __iter__(self) -> Iterator[str]:
        return iter(self._cents)

    def __len__(self) -> int:
        return len(self._cents)

    def cents(self, code: str) -> tuple[int, ...]:
        """Line ``code``'s values in cents, as computed."""
        return self._cents[code]

    def __repr__(self) -> str:
        return f"CentValues({self._cents!r})"


def _depth(cat: Catalogue, code: str) -> int:
    """Indentation level: group members are indented below their group header."""
    line = cat[code]
    depth = 0
    while line.parent is not None:
        parent = cat[line.parent]
        # a result line (shown after its children) does not indent its children
        if parent.order > line.order:
            break
        depth += 1
        line = parent
    return depth


_NONE = repeat(None)
_NO_BLANKS: frozenset[tuple[str, int]] = frozenset()


def compute(
    given: Amounts,
    years: Sequence[str | int],
    parts: Sequence[str] = ("RR",),
    *,
    cat: Catalogue | None = None,
    unallocated: Amounts | None = None,
    cents: bool = False,
) -> Statement:
    """Evaluate every line of ``parts`` from the ``given`` amounts (see the module docstring).

    ``unallocated``: amounts of computed lines that are part of the line's value without being
    broken down into its components (a consolidation where one source gave only the total, see
    :func:`consolidate`): the line is the sum of its components with data plus this amount; it
    is not a given figure and is checked against nothing.

    ``cents``: the given amounts are integer cents (what :func:`engine.money.floats_to_cents`
    makes of an Excel function's arguments), added as integers; the statement's values are
    :class:`CentValues`, each line the Decimal amounts the same computation in Decimal gives
    for ``cents_to_money`` of the given cents (every sum of amounts is exact in both: Decimal
    keeps 28 digits, and every sum of two-decimal amounts is a two-decimal amount, so the
    ``ZERO`` start that normalises a Decimal sum has nothing to do). Not with ``unallocated``."""
    if cents and unallocated:
        raise ValueError("unallocated amounts are Decimal amounts: not with cents=True")
    cat = cat or catalogue()
    zero = 0 if cents else ZERO
    year_labels = tuple(map(str, years))
    n = len(year_labels)
    findings: list[Finding] = []
    given_vals: dict[str, tuple[Decimal | None, ...]] = {}
    own_vals: dict[str, tuple[Decimal, ...]] = {}  # the given lines, blanks as ZERO
    blank: list[tuple[str, int]] = []
    lines = cat.lines
    if _every_year_filled(given, lines, n):
        # what the loop below makes of such input: every line as it is
        given_vals = own_vals = given  # type: ignore[assignment]  # (read, never changed)
    else:
        for code, vals in given.items():
            if code not in lines:
                findings.append(Finding("V10", Severity.ERROR,
                                        f"okänd radkod {code!r}; rätta koden", object=code))
                continue
            if type(vals) is not tuple:
                vals = tuple(vals)
            if len(vals) != n:
                raise ValueError(f"{code}: {len(vals)} values for {n} year columns")
            # identity tests only (``None in vals`` would ask every Decimal to compare with None)
            if not any(map(is_, vals, _NONE)):  # every year filled: the common case
                if n:
                    given_vals[code] = own_vals[code] = vals
                continue
            filled = [v for v in vals if v is not None]
            if filled:
                given_vals[code] = vals
                # a blank year of a given line counts as zero (and is remembered as blank)
                own_vals[code] = tuple([v if v is not None else zero for v in vals])
                blank.extend((code, i) for i, v in enumerate(vals) if v is None)

    frozen_parts = parts if type(parts) is frozenset else frozenset(parts)
    given_codes = frozenset(given_vals)
    extra: dict[str, tuple[Decimal, ...]] = {}
    if unallocated:
        extra = _unallocated_terms(cat, frozen_parts, unallocated, n)
    plan = _plan(cat, frozen_parts, given_codes, n, frozenset(extra))
    # Every line of the parts is zero unless it has data (a component with data, or given);
    # given lines take their own values (given lines of other parts, e.g. BAL figures for
    # ratios, are carried along after the parts' lines, in the order given); then the computed
    # and transfer lines with data are evaluated, in evaluation order.
    values = plan.cent_zeros.copy() if cents else plan.zeros.copy()
    values.update(own_vals)
    if extra:
        values.update(extra)
    money = cents_to_money if cents else None

    def checked(code: str, result: tuple) -> tuple:
        """A given line's computed ``result`` checked against the given figures; its value."""
        _compare(cat, code, given_vals[code], result, plan.checks[code], year_labels,
                 findings, money)
        if code in _SOFT_TRANSFERS:  # may differ (disposal gains): a given year stands
            result = tuple([c if g is None else g for g, c in zip(given_vals[code], result,
                                                                   strict=True)])
        return result

    run = plan.compiled(cents)
    if run is not None:  # the same steps as the loop below, as straight-line code
        run(values, checked)
    else:
        _evaluate(plan, values, cents, checked)
    for term in extra:
        del values[term]
    return Statement(
        parts=tuple(parts),
        years=year_labels,
        values=CentValues(values) if cents else values,
        given=given_codes,
        has_data=plan.has_data,
        findings=tuple(findings),
        blank=frozenset(blank) if blank else _NO_BLANKS,
    )


def _evaluate(plan: _Plan, values: dict[str, tuple], cents: bool,
              checked: Callable[[str, tuple], tuple]) -> None:
    """The plan's steps on ``values`` (what :meth:`_Plan.compiled` makes straight-line code);
    ``checked(code, result)`` is a given line's value."""
    for code, kids, zero_start, compare in plan.steps:
        # per year ((ZERO + first) + second) + ..., the additions of sum(column, ZERO); a
        # transfer line is its source's tuple
        result = values[kids[0]]
        if zero_start and not cents:
            result = map(add, repeat(ZERO), result)
        for k in kids[1:]:
            result = map(add, result, values[k])
        if type(result) is not tuple:
            result = tuple(result)
        values[code] = result if compare is None else checked(code, result)


def _every_year_filled(given: Amounts, lines: Mapping[str, object], n: int) -> bool:
    """Whether ``given`` is a dict of known codes, each with a tuple of ``n`` values, none of
    them blank (``None``): what an input workbook gives for most tasks. Identity tests only
    (``None in vals`` would ask every Decimal to compare with None)."""
    if not n or type(given) is not dict or not given.keys() <= lines.keys():
        return False
    rows = given.values()
    if set(map(type, rows)) != _TUPLE or set(map(len, rows)) != {n}:
        return False
    for row in rows:
        for v in row:
            if v is None:
                return False
    return True


_TUPLE = frozenset({tuple})


def _compare(cat: Catalogue, code: str, own: Sequence[Decimal | None],
             result: Sequence[Decimal], check: tuple[str, Severity],
             year_labels: tuple[str, ...], findings: list[Finding],
             money: Callable[[int], Decimal] | None = None) -> None:
    """A given computed or transfer line against its computed value: a finding per year that
    differs (``check``: the rule, ``SUM`` or ``V4``, and its severity); ``money``: the amounts
    are integer cents, worded as the amounts it makes of them."""
    rule, severity = check
    line = cat[code]
    for i, (g, c) in enumerate(zip(own, result, strict=True)):
        if g is not None and g != c:
            if money is not None:
                g, c = money(g), money(c)  # type: ignore[arg-type]
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


@dataclass(frozen=True, slots=True)
class _Plan:
    """How :func:`compute` evaluates one shape of input (catalogue, parts, the set of given
    lines, the number of year columns). Which lines have data depends on that shape alone, so
    the lines to evaluate, their components with data, the checks and ``has_data`` are worked
    out once per shape; every other line is zero."""

    #: every line of the parts -> zeros, in evaluation order (copied per call)
    zeros: dict[str, tuple[Decimal, ...]]
    #: the same in integer cents (``compute(…, cents=True)``)
    cent_zeros: dict[str, tuple[int, ...]]
    #: the computed and transfer lines with data, in evaluation order: (code, terms, whether
    #: the sum starts at ZERO, (rule, severity) of the check of a given line against its value
    #: or None). A computed line is ``sum(column, ZERO)`` of its components with data (always
    #: from ZERO: ``ZERO + x`` normalises the exponent and −0, and where a sum of huge figures
    #: was rounded it is not ``x`` either, not even for ``x`` a sum from ZERO itself: a rounded
    #: sum keeps its larger exponent through later cancellations); a transfer line is its
    #: source, one term, no ZERO.
    steps: tuple[tuple[str, tuple[str, ...], bool, tuple[str, Severity] | None], ...]
    has_data: frozenset[str]
    #: the number of year columns
    n: int
    #: the check of each checked step's line (as in ``steps``)
    checks: dict[str, tuple[str, Severity]] = field(init=False)
    #: per ``cents``: the steps as straight-line code, or how often the plan has been used
    _compiled: dict[bool, Callable[..., None] | int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "checks", {code: compare for code, _, _, compare in self.steps
                                            if compare is not None})
        object.__setattr__(self, "_compiled", {})

    def compiled(self, cents: bool) -> Callable[..., None] | None:
        """The steps as one generated function ``run(values, check)`` (issue 17): per line
        with data, one tuple of per-year additions in the loop's order (``ZERO + a + b + …``
        for a Decimal sum, ``a + b + …`` in cents; a transfer line is its source's tuple;
        ``check(code, result)`` gives a checked line's value), without the loop's map
        objects. Made when the plan is used the :data:`COMPILE_AFTER`-th time (a budget has
        a handful of shapes, used again and again); None until then."""
        got = self._compiled.get(cents, 0)
        if type(got) is not int:
            return got  # type: ignore[return-value]
        if got < 0:  # (never: see below)
            return None
        if got < COMPILE_AFTER:
            self._compiled[cents] = got + 1
            return None
        if self.n > _STRAIGHT_MAX or any(len(kids) > _STRAIGHT_MAX
                                         for _, kids, _, _ in self.steps):
            self._compiled[cents] = -1  # (the code would grow with them: the loop runs it)
            return None
        run = self._compiled[cents] = _straight_line(self.steps, self.n, cents)
        return run


#: uses of a plan before its steps are made straight-line code (tests set 0 and a large value
#: to run each path)
COMPILE_AFTER = 1
#: at most this many year columns, and terms in a sum, are made straight-line code (a budget
#: has a handful of years; an Excel range can have 16 384 columns)
_STRAIGHT_MAX = 64


def _straight_line(steps: tuple[tuple[str, tuple[str, ...], bool, object], ...], n: int,
                   cents: bool) -> Callable[..., None]:
    """See :meth:`_Plan.compiled`. Line codes appear as literals (``repr``); the additions are
    Python's ``+`` on the same values in the same order as the loop's ``map(add, …)`` chain,
    year by year, so the same results (exponents, signs, roundings, context flags) and the
    same first exception."""
    src = ["def run(v, check):"]
    for code, kids, zero_start, compare in steps:
        start = "Z + " if zero_start and not cents else ""
        if len(kids) == 1 and not start:
            expr = f"v[{kids[0]!r}]"  # a transfer line (or a sum of one in cents): its tuple
        else:
            src.append("    " + "; ".join(f"t{i} = v[{k!r}]" for i, k in enumerate(kids)))
            expr = "(" + "".join(
                start + " + ".join(f"t{i}[{j}]" for i in range(len(kids))) + ", "
                for j in range(n)) + ")"
        if compare is not None:
            expr = f"check({code!r}, {expr})"
        src.append(f"    v[{code!r}] = {expr}")
    src.append("    return None")
    namespace: dict[str, object] = {"Z": ZERO}
    exec(compile("\n".join(src), "<engine.statements plan>", "exec"), namespace)  # noqa: S102
    return namespace["run"]  # type: ignore[return-value]


_PLANS: weakref.WeakKeyDictionary[Catalogue, dict[tuple, _Plan]] = weakref.WeakKeyDictionary()
#: Distinct input shapes kept per catalogue (a budget has a handful: most tasks give the same
#: lines); beyond it the cache starts over.
_MAX_PLANS = 4096


#: Prefix of the term that holds a line's unallocated amount inside :func:`compute` (no line
#: code starts with it; the terms are removed before the statement is returned).
_UNALLOCATED = "\x00"


def _unallocated_terms(cat: Catalogue, parts: frozenset[str], unallocated: Amounts, n: int
                       ) -> dict[str, tuple[Decimal, ...]]:
    """``compute``'s extra terms: one per computed line of ``parts`` with an unallocated amount
    (a blank year counts as zero)."""
    out: dict[str, tuple[Decimal, ...]] = {}
    for code, vals in unallocated.items():
        line = cat.lines.get(code)
        if line is None or line.part not in parts or not cat.children(code):
            raise ValueError(f"{code}: an unallocated amount belongs to a computed line of "
                             f"{sorted(parts)}")
        vals = tuple(vals)
        if len(vals) != n:
            raise ValueError(f"{code}: {len(vals)} values for {n} year columns")
        if any(v is not None for v in vals):
            out[_UNALLOCATED + code] = tuple(ZERO if v is None else v for v in vals)
    return out


def _plan(cat: Catalogue, parts: frozenset[str], given: frozenset[str], n: int,
          unallocated: frozenset[str] = frozenset()) -> _Plan:
    per_cat = _PLANS.get(cat)
    if per_cat is None:
        per_cat = _PLANS.setdefault(cat, {})
    key = (parts, given, n, unallocated)
    plan = per_cat.get(key)
    if plan is not None:
        return plan
    order = _evaluation_order(cat, parts)
    has_data: set[str] = set()
    steps = []
    for code, kids, source in order:
        own = code in given
        if kids:
            data_kids = tuple(k for k in kids if k in has_data)
            if _UNALLOCATED + code in unallocated:
                data_kids = (*data_kids, _UNALLOCATED + code)
            if data_kids:
                steps.append((code, data_kids, True, ("SUM", Severity.ERROR) if own else None))
                has_data.add(code)
        elif source is not None and source in has_data:
            check = ("V4", Severity.WARNING if code in _SOFT_TRANSFERS else Severity.ERROR)
            steps.append((code, (source,), False, check if own else None))
            has_data.add(code)
        if own:
            has_data.add(code)  # given: its own value, unless computed above
    zeros = (ZERO,) * n
    plan = _Plan({code: zeros for code, _, _ in order}, dict.fromkeys(
        (code for code, _, _ in order), (0,) * n), tuple(steps), frozenset(has_data | given),
        n)
    if len(per_cat) >= _MAX_PLANS:
        per_cat.clear()
    per_cat[key] = plan
    return plan


_ORDERS: weakref.WeakKeyDictionary[Catalogue, dict[frozenset[str], tuple]] = (
    weakref.WeakKeyDictionary())


def _evaluation_order(cat: Catalogue, parts: frozenset[str]
                      ) -> tuple[tuple[str, tuple[str, ...], str | None], ...]:
    """(code, components, transfer source) of every line :func:`compute` evaluates for
    ``parts``, components and sources first, in the order of the recursive definition: each
    line of the parts in catalogue order, depth first. Depends on the catalogue only."""
    per_cat = _ORDERS.setdefault(cat, {})
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


def _year_int(label: str) -> int | None:
    digits = "".join(ch for ch in label if ch.isdigit())
    return int(digits) if len(digits) == 4 else None


def resultatrakning(given: Amounts, years: Sequence[str | int]) -> Statement:
    """The resultaträkningsdel (spec §5.2): verksamhetsbidrag, årsbidrag, resultat, överskott."""
    return compute(given, years, ("RR",))


def finansieringsdel(
    given: Amounts,
    years: Sequence[str | int],
    *,
    accounts: bool = False,
) -> Statement:
    """The finansieringsdel (spec §5.4), with the resultaträkningsdel and investeringsdel lines
    that feed it when they are given (årsbidrag, extraordinary items, investment flows).

    ``accounts=True`` is the accounts variant (finansieringsanalys / rahoituslaskelma): the
    bottom line must then reconcile to the change in cash (``BAL.LIKV`` − ``BAL.LIKV.START``); a
    difference is an error finding, missing cash figures a warning.
    """
    st = compute(given, years, ("RR", "IN", "FD"))
    if not accounts:
        return st
    findings = list(st.findings)
    if "BAL.LIKV" in st.given and "BAL.LIKV.START" in st.given:
        for i, year in enumerate(st.years):
            change = st.get("BAL.LIKV", i) - st.get("BAL.LIKV.START", i)
            bottom = st.get("FD.INV", i)
            if change != bottom:
                findings.append(
                    Finding(
                        "SUM",
                        Severity.ERROR,
                        f"Förändring av likvida medel är {_fmt(bottom)} men likvida medel 31.12 − "
                        f"1.1 är {_fmt(change)} (skillnad {_fmt(bottom - change)}); kontrollera "
                        "kassaflödesraderna och kassan",
                        object="FD.INV",
                        year=_year_int(year),
                    )
                )
    else:
        findings.append(
            Finding(
                "SUM",
                Severity.WARNING,
                "Likvida medel 1.1 och 31.12 saknas: bokslutets finansieringsanalys kan inte "
                "stämmas av mot kassan; ange båda",
                object="FD.INV",
            )
        )
    return Statement(st.parts, st.years, st.values, st.given, st.has_data, tuple(findings),
                     st.blank)


@dataclass(frozen=True)
class Source:
    """One contributor to a consolidated statement (a task, the central lines, the projects).

    ``checked``: the source's own statement is computed and its findings reported elsewhere
    (a task's driftsekonomidel); otherwise :func:`consolidate` checks its given totals itself."""

    name: str
    amounts: Amounts
    checked: bool = True


@dataclass(frozen=True)
class Consolidation:
    """Several sources summed for one :func:`compute`: ``compute(c.given, years, parts,
    unallocated=c.unallocated)``; ``findings`` are the unchecked sources' own SUM findings and an
    info per line whose total holds figures given without their components."""

    given: dict[str, tuple[Decimal | None, ...]]
    unallocated: dict[str, tuple[Decimal | None, ...]]
    findings: tuple[Finding, ...]


def consolidate(sources: Sequence[Source], years: Sequence[str | int],
                parts: Sequence[str], *, cat: Catalogue | None = None) -> Consolidation:
    """Sum several sources line by line so that every total is judged on its own source's
    figures (the statements' rule, module docstring, applied per source rather than to the sum).

    A computed line whose components are all input lines (no transfer line below it: the
    resultaträkningsdel's sums, the financing sums, nettoinvesteringar) that a source gives

    * *with* some of its components: the source's own statement checks it against them and
      uses them; the consolidation takes the components and drops the total (summed with other
      sources' figures it would be checked against components it never had);
    * *without* any of its components (a unit that budgets only its personnel costs, an other
      balance unit with only its årsbidrag): the total is part of the line's consolidated value,
      not broken down (``unallocated``); it is never dropped because another source gives the
      components.

    Every other line (input lines, transfer lines and the sums above them, lines of other
    parts) is summed as :func:`sum_amounts` does and judged on the sum."""
    cat = cat or catalogue()
    frozen_parts = frozenset(parts)
    n = len(years)
    pure = _pure_totals(cat)
    given_parts: list[Amounts] = []
    unallocated_parts: list[Amounts] = []
    findings: list[Finding] = []
    total_only: dict[str, list[str]] = {}
    broken_down: set[str] = set()
    for src in sources:
        filled = [] if pure.isdisjoint(src.amounts) else [
            c for c, v in src.amounts.items()
            if c in pure and any(x is not None for x in v) and cat[c].part in frozen_parts]
        if not filled:
            given_parts.append(src.amounts)
            continue
        codes = frozenset(c for c, v in src.amounts.items()
                          if c in cat and any(x is not None for x in v))
        has_data = _plan(cat, frozen_parts, codes, n).has_data
        dropped, own_total = set(), {}
        for code in filled:
            if any(k in has_data for k in cat.children(code)):
                dropped.add(code)
                broken_down.add(code)
            else:
                own_total[code] = src.amounts[code]
                total_only.setdefault(code, []).append(src.name)
        given_parts.append({c: v for c, v in src.amounts.items()
                            if c not in dropped and c not in own_total})
        if own_total:
            unallocated_parts.append(own_total)
        if dropped and not src.checked:
            members = _pure_members(cat)
            st = compute({c: v for c, v in src.amounts.items() if c in members}, years, parts,
                         cat=cat)
            findings.extend(f for f in st.findings if f.rule == "SUM" and f.object in dropped)
    given = sum_amounts(given_parts, n)
    unallocated = sum_amounts(unallocated_parts, n)
    if unallocated:
        has_data = _plan(cat, frozen_parts, frozenset(given), n).has_data
        for code, names in total_only.items():
            if code in broken_down or any(k in has_data for k in cat.children(code)):
                findings.append(Finding(
                    "SUM", Severity.INFO,
                    f"'{cat[code].label}' anges bara som summa (utan delposter) av "
                    f"{_names(names)}; summan ingår i sammanställningens '{cat[code].label}', "
                    "som därför inte är lika med summan av de delposter som visas. Vill du se "
                    "fördelningen: ange delposterna i stället för summan.",
                    object=code))
    return Consolidation(given, unallocated, tuple(findings))


def _names(names: Sequence[str], shown: int = 5) -> str:
    head = ", ".join(names[:shown])
    return head + (f" och {len(names) - shown} till" if len(names) > shown else "")


_PURE: weakref.WeakKeyDictionary[Catalogue, tuple[frozenset[str], frozenset[str]]] = (
    weakref.WeakKeyDictionary())


def _pure(cat: Catalogue) -> tuple[frozenset[str], frozenset[str]]:
    """(computed lines with only input lines below them, every line of their subtrees)."""
    got = _PURE.get(cat)
    if got is None:
        def below(code: str) -> list[str]:
            out = []
            for k in cat.children(code):
                out.append(k)
                out.extend(below(k))
            return out

        totals, members = set(), set()
        for code, line in cat.lines.items():
            kids = below(code)
            if kids and line.source is None and all(cat[k].source is None for k in kids):
                totals.add(code)
                members.update([code, *kids])
        got = _PURE[cat] = (frozenset(totals), frozenset(members))
    return got


def _pure_totals(cat: Catalogue) -> frozenset[str]:
    return _pure(cat)[0]


def _pure_members(cat: Catalogue) -> frozenset[str]:
    return _pure(cat)[1]


def sum_amounts(parts: Sequence[Amounts], n: int) -> dict[str, tuple[Decimal | None, ...]]:
    """Line-by-line sum of several amount maps (a year is ``None`` only if no part gave it)."""
    grouped: dict[str, list[Sequence[Decimal | None]]] = {}
    for amounts in parts:
        for code, vals in amounts.items():
            rows = grouped.get(code)
            if rows is None:
                grouped[code] = [vals]
            else:
                rows.append(vals)
    return {code: sum_rows(rows, n) for code, rows in grouped.items()}


def sum_rows(rows: Sequence[Sequence[Decimal | None]], n: int) -> tuple[Decimal | None, ...]:
    """One line of :func:`sum_amounts`: the parts' values of the line (at least one part) summed
    per year column, in the order of the parts, from the first given value (its exponent kept);
    ``None`` where no part gave the year."""
    if set(map(len, rows)) != {n}:
        return _sum_rows_general(rows, n)
    acc: list[Decimal | None] = []
    for col in zip(*rows, strict=True):
        given = filter(_is_given, col)
        first = next(given, None)
        acc.append(first if first is None else sum(given, first))
    return tuple(acc)


_is_given = partial(is_not, None)


def _sum_rows_general(rows: Sequence[Sequence[Decimal | None]], n: int
                      ) -> tuple[Decimal | None, ...]:
    """One line's sum when a part has more or fewer than ``n`` values (the general rule)."""
    acc: list[Decimal | None] = [None] * n
    for vals in rows:
        for i, v in enumerate(vals):
            if v is not None:
                acc[i] = v if acc[i] is None else acc[i] + v
    return tuple(acc)
