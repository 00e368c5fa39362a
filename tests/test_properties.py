"""Property tests over generated budgets (issue 9): the sums hold exactly, always.

What is here (hypothesis, modest ``max_examples``; the module runs in a few seconds):

* **Statements** (spec §5–6, V4): a whole generated :class:`~engine.budget.Budget` (tasks of every
  financing form with random lines and years, central lines, investment projects) through
  :func:`~engine.budget.berakna`: every computed line of the resultaträkningsdel, investeringsdel
  and finansieringsdel equals the sum of its leaves exactly (a transfer leaf such as
  ``FD.VK.AB`` carrying its source), årsbidrag = verksamhetsbidrag + skatteinkomster +
  statsandelar + finansiella poster, inverkan på likviditeten = VIK + FK, everything in cents;
  adding an enterprise (affärsverk: a task and its projects) never changes the municipality's
  statement (§6.3.1).
* **Outturn** (§9, B1): a whole change log against a tablå: every row's budget after changes is
  its original budget plus exactly its own item's changes of that year, part totals are the sums
  of their rows, and every change is counted once: in its row or as a B1 stray.
* **Workbook round-trip**: values written by :func:`~workbook_templates.files.xlsx_writer.write_cells`
  into an owned sheet of a *generated template* (``templates.new_namnd``, openpyxl-made, shared
  strings) read back identically through :func:`~workbook_templates.files.reader.open_workbook`:
  Decimal amounts exactly, negative numbers, strings with XML specials, control characters and
  ``_xHHHH_`` look-alikes, and ``None`` clearing a cell that held a value.

Properties that already exist elsewhere are not repeated here (docs/RELIABILITY.md lists them):
sum of leaves per line for ``statements.compute`` (tests/test_statements.py), budget after
changes per change list (test_binding.py, test_outturn.py), every resultatbalansering split
conserves the total and R4 guarantees (test_resultatbalansering.py), writer round-trip and
idempotency on the XlsxWriter fixture (test_xlsx_writer.py).
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.binding import BindingItem, BudgetChange, Kind, Part, Principle
from engine.budget import Budget, Finansiering, Projekt, Uppgift, berakna
from engine.catalogue import catalogue
from engine.money import ZERO
from engine.outturn import OutturnInput, Status, tabla
from workbook_templates.files.reader import open_workbook
from workbook_templates.files.xlsx_writer import WriteStatus, write_cells
from workbook_templates.generate.templates import new_namnd
from workbook_templates.schema import NAMND_OUTPUTS

CAT = catalogue()
YEARS = ("2025", "2026", "2027")
# lines a task may budget: operating and result-budget leaves, and internal items
TASK_LINES = sorted(ln.code for ln in CAT.part("RR") if not ln.computed and ln.code.startswith(
    ("RR.VI", "RR.VU", "RR.LAGER", "RR.TEB", "RR.FIN", "RR.AVS", "RR.EXTRA"))) + [
    "DR.INT.INK", "DR.INT.UTG"]
# centrally budgeted leaves: taxes, state shares, financial items, bokslutsdispositioner and the
# finansieringsdel's own rows (transfer rows such as FD.VK.AB are never given)
CENTRAL_LINES = sorted(ln.code for ln in CAT.lines.values()
                       if ln.part in ("RR", "FD") and not ln.computed and ln.source is None
                       and not CAT.children(ln.code)
                       and ln.code.startswith(("RR.SKATT", "RR.SA", "RR.FIN", "RR.EXTRA",
                                               "RR.BD", "FD.")))
PROJECT_LINES = ("IN.UTG", "IN.FA", "IN.FORS")

amounts = st.decimals(min_value=Decimal("-1e10"), max_value=Decimal("1e10"), places=2,
                      allow_nan=False, allow_infinity=False)


def _lines(draw: st.DrawFn, codes: list[str] | tuple[str, ...], n: int,
           max_lines: int) -> dict[str, tuple[Decimal | None, ...]]:
    chosen = draw(st.lists(st.sampled_from(codes), max_size=max_lines, unique=True))
    return {c: tuple(draw(st.lists(st.none() | amounts, min_size=n, max_size=n))) for c in chosen}


@st.composite
def budgets(draw: st.DrawFn, finansiering: st.SearchStrategy[Finansiering] | None = None
            ) -> Budget:
    n = draw(st.integers(1, 3))
    forms = finansiering if finansiering is not None else st.sampled_from(list(Finansiering))
    tasks = tuple(
        Uppgift(f"U{i}", f"N{i % 2}", draw(forms), _lines(draw, TASK_LINES, n, 6))
        for i in range(draw(st.integers(0, 5)))
    )
    projects = tuple(
        Projekt(f"P{i}", "N0", belopp=_lines(draw, PROJECT_LINES, n, 3))
        for i in range(draw(st.integers(0, 3)))
    )
    return Budget("Provkommun", YEARS[:n], tasks, projects, _lines(draw, CENTRAL_LINES, n, 8))


def _expected_given(b: Budget) -> dict[str, list[Decimal]]:
    """Independently: what enters the municipality's statement, line by line (enterprises and
    internal items out, projects' gross flows in)."""
    out: dict[str, list[Decimal]] = {}

    def add(code: str, vals) -> None:
        acc = out.setdefault(code, [ZERO] * b.n)
        for i, v in enumerate(vals):
            if v is not None:
                acc[i] += v

    enterprises = {u.namn for u in b.uppgifter if u.finansiering is Finansiering.AFFARSVERK}
    for u in b.uppgifter:
        if u.namn not in enterprises:
            for code, vals in u.belopp.items():
                if CAT[code].part == "RR":
                    add(code, vals)
    for p in b.projekt:
        if p.uppgift not in enterprises:
            for code, vals in p.belopp.items():
                add(code, vals)
    for code, vals in b.central.items():
        add(code, vals)
    return out


def _leaf_value(code: str, given: dict[str, list[Decimal]], i: int) -> Decimal:
    line = CAT[code]
    if line.source is not None:  # a transfer row carries its source line
        return sum((_leaf_value(c, given, i) for c in CAT.leaves_below(line.source)), ZERO)
    return given.get(code, [ZERO] * (i + 1))[i]


@settings(max_examples=100, deadline=None)
@given(budgets())
def test_every_computed_line_of_a_generated_budget_is_the_sum_of_its_leaves(b: Budget) -> None:
    st_ = berakna(b).statement
    given = _expected_given(b)
    for line in CAT.lines.values():
        if line.part not in ("RR", "IN", "FD") or not line.computed:
            continue
        for i in range(b.n):
            expected = sum((_leaf_value(c, given, i) for c in CAT.leaves_below(line.code)), ZERO)
            assert st_[line.code][i] == expected, (line.code, i)
            assert st_[line.code][i].as_tuple().exponent >= -2  # cents, no float noise


# totals a task may give instead of (or beside) their components: the resultaträkningsdel's sums
RR_TOTALS = sorted(ln.code for ln in CAT.part("RR") if CAT.children(ln.code))


@st.composite
def budgets_with_totals(draw: st.DrawFn) -> Budget:
    """Tasks that give any mix of leaves and totals, consistent or not (units that budget only
    a total, other balance units with only their årsbidrag, totals beside their parts)."""
    n = draw(st.integers(1, 3))
    tasks = tuple(
        Uppgift(f"U{i}", "N", draw(st.sampled_from(list(Finansiering))),
                _lines(draw, TASK_LINES + RR_TOTALS, n, 8))
        for i in range(draw(st.integers(1, 5))))
    return Budget("Provkommun", YEARS[:n], tasks, (), _lines(draw, CENTRAL_LINES, n, 4))


@settings(max_examples=150, deadline=None)
@given(budgets_with_totals())
def test_the_consolidation_is_the_sum_of_the_tasks_own_statements(b: Budget) -> None:
    # Independently: every task judged on its own figures (its driftsekonomidel, where a total
    # given without components stands and one given with components is replaced by them), then
    # summed with the central lines' own statement: the consolidated resultaträkningsdel must be
    # that sum, line by line, whatever mix of totals and parts the tasks typed.
    from engine.statements import compute

    r = berakna(b)
    own = [r.uppgifter[u.namn] for u in b.uppgifter if u.finansiering is not Finansiering.AFFARSVERK]
    central = compute(b.central, b.years, ("RR", "FD"))
    for line in CAT.part("RR"):
        for i in range(b.n):
            expected = sum((s[line.code][i] for s in own), central[line.code][i])
            assert r.statement[line.code][i] == expected, (line.code, i)
    errors = {f.object for f in r.findings if f.severity.value == "error" and f.rule == "SUM"}
    # a SUM error names the task whose own total disagrees with its own parts
    task_errors = {f"{u}: {c}" for u in r.uppgifter
                   for c in {f.object for f in r.uppgifter[u].findings if f.rule == "SUM"}}
    assert errors <= task_errors, errors - task_errors


@settings(max_examples=100, deadline=None)
@given(budgets())
def test_arsbidrag_and_inverkan_pa_likviditeten_identities(b: Budget) -> None:
    s = berakna(b).statement
    for i in range(b.n):
        # V4 identities of the published statements
        assert s["RR.VB"][i] + s["RR.SKATT"][i] + s["RR.SA"][i] + s["RR.FIN"][i] == s["RR.AB"][i]
        assert s["RR.AB"][i] + s["RR.AVS"][i] + s["RR.EXTRA"][i] == s["RR.RES"][i]
        assert s["FD.VIK"][i] + s["FD.FK"][i] == s["FD.INV"][i]
        assert s["FD.VK"][i] + s["FD.IK"][i] == s["FD.VIK"][i]
        assert s["FD.VK.AB"][i] == s["RR.AB"][i]  # årsbidrag carried into the finansieringsdel
        assert s["IN.NETTO"][i] == s["IN.UTG"][i] + s["IN.FA"][i] + s["IN.FORS"][i]


@settings(max_examples=100, deadline=None)
@given(budgets(), budgets(finansiering=st.just(Finansiering.AFFARSVERK)))
def test_adding_an_enterprise_never_changes_the_municipalitys_statement(
        b: Budget, other: Budget) -> None:
    before = berakna(b).statement
    n = b.n
    # the enterprise: tasks and projects drawn for another budget, cut to this one's years
    ent_tasks = tuple(
        Uppgift(f"Affärsverk {u.namn}", "Tekniska", Finansiering.AFFARSVERK,
                {c: (tuple(v[:n]) + (None,) * n)[:n] for c, v in u.belopp.items()})
        for u in other.uppgifter
    ) or (Uppgift("Vatten", "Tekniska", Finansiering.AFFARSVERK,
                  {"RR.VI.AVG": (Decimal("123.45"),) * n}),)
    ent_projects = tuple(
        Projekt(f"AP{i}", "Tekniska", uppgift=ent_tasks[0].namn,
                belopp={c: (tuple(v[:n]) + (None,) * n)[:n] for c, v in p.belopp.items()})
        for i, p in enumerate(other.projekt)
    )
    with_ent = Budget(b.kommun, b.years, b.uppgifter + ent_tasks, b.projekt + ent_projects,
                      b.central)
    after = berakna(with_ent).statement
    assert after.values == before.values
    assert after.has_data == before.has_data


# ---------------------------------------------------------------------------------------------
# Outturn: a whole change log against a tablå

ITEMS = [BindingItem(Part.DRIFT, f"U{i}", Kind.NETTO, Principle.NETTO) for i in range(3)] + [
    BindingItem(Part.INVESTERING, "P1", Kind.NETTO, Principle.NETTO)]


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(st.tuples(amounts, amounts), min_size=len(ITEMS), max_size=len(ITEMS)),
    in_table=st.lists(st.booleans(), min_size=len(ITEMS), max_size=len(ITEMS)),
    log=st.lists(st.tuples(st.integers(0, len(ITEMS) - 1), st.sampled_from([2025, 2026]),
                           amounts, st.dates(date(2025, 1, 1), date(2025, 12, 31))),
                 max_size=25),
)
def test_tabla_budget_after_changes_is_original_plus_its_own_changes(rows, in_table, log) -> None:
    changes = [BudgetChange(ITEMS[k].key, year, d, f"§ {j}", amount)
               for j, (k, year, amount, d) in enumerate(log)]
    inputs = [OutturnInput(ITEMS[k], 2025, orig, utfall)
              for k, (orig, utfall) in enumerate(rows) if in_table[k]]
    t = tabla(inputs, changes)
    # a netto item whose budget after changes and outturn have different signs is judged on
    # nothing: a V10 finding, and (since 2026-12) a row with its budget and the status "fel
    # tecken" (issue 14: one sign convention, never a status from mixed signs)
    refused = {f.object for f in t.findings if f.rule == "V10"}
    status = {r.item.name: r.status for r in t.rows}
    for inp in inputs:
        after = inp.ursprunglig + sum((c.belopp for c in changes
                                       if c.item == inp.item.key and c.year == 2025), ZERO)
        figures = [v for v in (inp.ursprunglig, after, inp.utfall) if v != 0]
        mixed = any(v > 0 for v in figures) and any(v < 0 for v in figures)
        assert (inp.item.name in refused) == mixed
        assert (status[inp.item.name] is Status.FEL_TECKEN) == mixed
    assert len(t.rows) == len(inputs)
    for row in t.rows:
        own = [c.belopp for c in changes if c.item == row.item.key and c.year == 2025]
        assert row.andringar == sum(own, ZERO)
        assert row.budget_efter == row.ursprunglig + sum(own, ZERO)
        if row.status is Status.FEL_TECKEN:  # judged on nothing: no outturn, no deviation
            assert row.utfall is None and row.avvikelse is None
        else:
            assert row.avvikelse == row.utfall - row.budget_efter
    for total in t.parts:
        mine = [r for r in t.rows if r.item.part is total.part]
        assert total.budget_efter == sum((r.budget_efter for r in mine), ZERO)
        assert total.budget_efter == total.ursprunglig + total.andringar
    # every change counted exactly once: in its row, or reported as a stray (B1)
    strays = [f for f in t.findings if f.rule == "B1"]
    counted = sum((r.andringar for r in t.rows), ZERO)
    stray_sum = sum((c.belopp for c in changes
                     if not any(c.item == r.item.key and c.year == r.year for r in t.rows)),
                    ZERO)
    assert counted + stray_sum == sum((c.belopp for c in changes), ZERO)
    assert len(strays) == sum(1 for c in changes
                              if not any(c.item == r.item.key and c.year == r.year
                                         for r in t.rows)
                              and not any(c.item == i.item.key and c.year == i.year
                                          and i.item.name in refused for i in inputs))


# ---------------------------------------------------------------------------------------------
# Workbook round-trip through an owned sheet of a generated template

OWNED = NAMND_OUTPUTS[0]  # "Resultat"

_specials = st.sampled_from(["<b>&amp;</b>", 'citat "x" och \'y\'', "_x0041_", "a\x01b\x1fc",
                             "rad1\nrad2\r\n", "  blanksteg  ", "Å Ä Ö é ß ∑ 💶", "=SUMMA(A1)",
                             "#REF!", "-0", "1e5", "\u00a0", "\t"])
_value = st.one_of(
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2,
                allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(10**15), max_value=10**15),
    _specials,
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30),
)
_address = st.builds(lambda r, c: f"{'ABCDEFGH'[c]}{r}", st.integers(3, 60), st.integers(0, 7))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return new_namnd(tmp_path_factory.mktemp("tpl") / "Socialnämnden.xlsx", "Socialnämnden")


def _expected(v: object) -> object:
    if isinstance(v, str):
        return v or None
    return Decimal(v)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.dictionaries(_address, _value, min_size=1, max_size=20),
       cleared=st.lists(st.integers(0, 19), max_size=5))
def test_values_written_into_an_owned_template_sheet_read_back_identically(
        template: Path, tmp_path_factory: pytest.TempPathFactory, first: dict, cleared: list[int]
) -> None:
    book = tmp_path_factory.mktemp("rt") / template.name
    shutil.copyfile(template, book)
    r = write_cells(book, {OWNED: first}, owned_sheets=NAMND_OUTPUTS, backups=0)
    assert r.status is WriteStatus.WRITTEN, r.findings
    with open_workbook(book) as wb:
        got = wb.values(OWNED, list(first))
    assert got == {a: _expected(v) for a, v in first.items()}
    for a, v in got.items():  # numbers come back as Decimal, text as text, never mixed up
        assert type(v) is type(_expected(first[a]))
    # None clears a cell that held a value; the rest stay as they were
    addresses = list(first)
    gone = {addresses[i % len(addresses)] for i in cleared}
    r = write_cells(book, {OWNED: dict.fromkeys(gone)}, owned_sheets=NAMND_OUTPUTS, backups=0)
    assert r.ok, r.findings
    with open_workbook(book) as wb:
        got = wb.values(OWNED, addresses)
    assert got == {a: None if a in gone else _expected(v) for a, v in first.items()}
