"""The output layout's fast paths equal the general code they replace (issue 17).

Each fast path of :mod:`workbook_templates.pipeline.outputs` and of the refresh's write-back is
compared, on generated inputs, with the general definition it stands for: which findings belong
to a committee (:func:`belongs_to`), where an engine finding is located (:func:`_locate`), a
committee's Resultat rows (the scan over every unit and follow-up row, kept here as the
reference), the Kontroll rows (a stable sort by severity) and the cells of an owned sheet
(:func:`xlsx_writer.block`). Names are drawn from a few short words, so prefixes, case
differences, spaces and repeated names (the cases the indexes must get right) are common.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.binding import Kind, ObjectType, Part, Principle
from engine.budget import Finansiering, Projekt, Uppgift
from engine.findings import Finding, Location, Severity
from engine.outturn import OutturnRow
from engine.resultatbalansering import DISPOSITION
from workbook_templates import schema as S
from workbook_templates.files.xlsx_writer import block
from workbook_templates.pipeline import outputs as O
from workbook_templates.pipeline import refresh as R
from workbook_templates.pipeline.loader import KommunInput, NamndInput

# -- generated inputs -----------------------------------------------------------------------

WORDS = ["", "a", "A", "ab", "Ab", "a b", "ab c", "b", "ä", "Ä", "ss", "ß", "E1", "E1 x", "drift",
         "a-b", "a- b", "a -b", "a-"]
name = st.sampled_from(WORDS)
workbook = st.sampled_from(["n1.xlsx", "n2.xlsx", "N1.xlsx", "kommun.xlsx"])
codes = st.sampled_from(["A", "A.B", "A.B.C", "AB", "A.BC", "DR.INT", "DR.INT.INK", "x y"])


@st.composite
def locations(draw: st.DrawFn, named: bool | None = None) -> Location:
    wb = draw(workbook) if named or (named is None and draw(st.booleans())) else None
    return Location(workbook=wb, sheet=draw(st.sampled_from([None, "", "S", "T"])),
                    cell=draw(st.sampled_from([None, "", "A1", "A10", "B2"])),
                    table=draw(st.sampled_from([None, "t"])))


@st.composite
def committees(draw: st.DrawFn) -> list[NamndInput]:
    out = []
    for _ in range(draw(st.integers(0, 4))):
        tasks = draw(st.lists(name, max_size=4))
        n = NamndInput(path=Path("/x") / draw(workbook), namnd=draw(name),
                       uppgifter=[Uppgift(t, "n") for t in tasks])
        n.plats = {t: draw(locations(named=True)) for t in tasks}
        n.rader = {(draw(st.sampled_from([*tasks, "t"])), draw(codes)): draw(locations())
                   for _ in range(draw(st.integers(0, 6)))}
        n.plats_namnd = draw(st.none() | locations(named=True))
        out.append(n)
    return out


@st.composite
def objects(draw: st.DrawFn) -> str | None:
    parts = draw(st.lists(st.sampled_from([*WORDS, "interna poster", "A.B", "DR.INT", " "]),
                          max_size=3))
    text = draw(st.sampled_from([" ", "", "_"])).join(parts)
    return draw(st.sampled_from([None, text, text.upper(), f" {text} ", f"drift {text}"]))


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    return Finding(draw(st.sampled_from(["R3", "V5", "V7", "B1", "R5", "XX"])),
                   draw(st.sampled_from(list(Severity))), draw(st.sampled_from(["m", "n"])),
                   object=draw(objects()), year=draw(st.none() | st.integers(2024, 2026)),
                   location=draw(st.none() | locations()),
                   also=tuple(draw(st.lists(locations(), max_size=2))))


@st.composite
def kommuner(draw: st.DrawFn) -> KommunInput:
    k = KommunInput(path=Path("/x/kommun.xlsx"))
    k.namnder_plats = {draw(name).casefold(): draw(locations(named=True))
                       for _ in range(draw(st.integers(0, 2)))}
    k.projekt_plats = {draw(name): draw(locations(named=True))
                       for _ in range(draw(st.integers(0, 2)))}
    k.central_plats = {draw(codes): draw(locations()) for _ in range(draw(st.integers(0, 3)))}
    return k


# -- which findings belong to a committee -----------------------------------------------------

projects = st.lists(st.builds(Projekt, name, name), max_size=3)


@settings(max_examples=300, deadline=None)
@given(st.lists(findings(), max_size=12), committees(), committees(), projects)
def test_committee_findings_equal_belongs_to(fs: list[Finding], namnder: list[NamndInput],
                                             others: list[NamndInput],
                                             projekt: list[Projekt]) -> None:
    owners = O.CommitteeFindings(fs, namnder, projekt)
    for n in [*namnder, *others]:  # indexed committees, and any other committee
        assert owners.of(n) == [f for f in fs if O.belongs_to(f, n, projekt=projekt)]
        assert owners.kontroll(n) == [O.at_own_place(f, n.path.name) for f in owners.of(n)]


def test_a_projects_findings_belong_to_the_committee_its_column_namnd_names() -> None:
    """Case-insensitively; by the project's name as object or after the object's first word."""
    teknik = NamndInput(path=Path("/x/t.xlsx"), namnd="Tekniska nämnden")
    skola = NamndInput(path=Path("/x/s.xlsx"), namnd="Bildningsnämnden")
    projekt = [Projekt("Gatubelysning LED", "TEKNISKA NÄMNDEN"), Projekt("Skola Norr", "bildningsnämnden")]
    fs = [Finding("U1", Severity.ERROR, "m", object="investering Gatubelysning LED (anslag, brutto)"),
          Finding("V1", Severity.ERROR, "m", object="Skola Norr"),
          Finding("V1", Severity.ERROR, "m", object="Skola Norrmalm")]  # another name
    for owners in (O.CommitteeFindings(fs, [teknik, skola], projekt),
                   O.CommitteeFindings(fs, (), projekt)):
        assert owners.of(teknik) == [fs[0]]
        assert owners.of(skola) == [fs[1]]
    assert O.CommitteeFindings(fs, [teknik, skola]).of(teknik) == []  # without the projects


def test_a_name_followed_by_a_hyphen_and_letters_is_a_longer_name() -> None:
    """Task "Kultur" is not "Kultur- och fritidsnämnden"'s, nor "Kultur-Fritid"'s."""
    bildning = NamndInput(path=Path("/x/b.xlsx"), namnd="Bildningsnämnden",
                          uppgifter=[Uppgift("Kultur", "B")])
    fs = [Finding("R5", Severity.WARNING, "m", object="Kultur- och fritidsnämnden / Idrott"),
          Finding("R3", Severity.INFO, "m", object="Kultur-Fritid"),
          Finding("B1", Severity.ERROR, "m", object="drift Kultur (anslag, netto)"),
          Finding("V1", Severity.ERROR, "m", object="Kultur - rad 3"),
          Finding("V1", Severity.ERROR, "m", object="Kultur-"),
          Finding("V1", Severity.ERROR, "m", object="Kultur: rad 3")]
    for owners in (O.CommitteeFindings(fs, [bildning]), O.CommitteeFindings(fs)):
        assert owners.of(bildning) == fs[2:]


def test_a_finding_in_several_workbooks_is_shown_at_each_ones_own_place() -> None:
    a, b, c = (Location(workbook=w, sheet="Driftsbudget", cell=x)
               for w, x in (("a.xlsx", "A10"), ("b.xlsx", "A18"), ("c.xlsx", "A12")))
    f = Finding("V5", Severity.WARNING, "m", object="interna poster", location=a, also=(b, c))
    got = O.at_own_place(f, "c.xlsx")
    assert (got.location, got.also, got.workbooks) == (c, (a, b), ("c.xlsx", "a.xlsx", "b.xlsx"))
    assert O.at_own_place(f, "a.xlsx") is f
    assert O.at_own_place(f, "d.xlsx") is f  # no place there: as it is


def test_committee_findings_match_on_prefix_tail_and_workbook() -> None:
    """Hand-made cases: the object's start, the part after its first word, the workbook."""
    vard = NamndInput(path=Path("/x/vard.xlsx"), namnd="Vård",
                      uppgifter=[Uppgift("Äldreomsorg", "Vård")])
    skola = NamndInput(path=Path("/x/skola.xlsx"), namnd="Skola")
    fs = [Finding("B1", Severity.ERROR, "m", object="drift ÄLDREOMSORG (anslag, brutto)"),
          Finding("V1", Severity.ERROR, "m", object="vård: något"),
          Finding("IN", Severity.ERROR, "m", location=Location(workbook="skola.xlsx")),
          Finding("IN", Severity.ERROR, "m", object="skol"),
          Finding("IN", Severity.ERROR, "m", object="vårdnämnden"),  # another word
          Finding("R3", Severity.ERROR, "m", object="Äldreomsorgens kök")]
    owners = O.CommitteeFindings(fs, [vard, skola])
    assert owners.of(vard) == fs[:2]
    assert owners.of(skola) == [fs[2]]


def test_a_committee_name_that_starts_another_does_not_take_its_findings() -> None:
    """"Nämnd 1" and "Nämnd 10": a finding of the second is not on the first's Kontroll sheet."""
    one = NamndInput(path=Path("/x/n1.xlsx"), namnd="Nämnd 1", uppgifter=[Uppgift("Skola", "N1")])
    ten = NamndInput(path=Path("/x/n10.xlsx"), namnd="Nämnd 10",
                     uppgifter=[Uppgift("Skolan", "N10")])
    fs = [Finding("R3", Severity.ERROR, "m", object="Nämnd 10 / Enhet A"),
          Finding("R3", Severity.ERROR, "m", object="Nämnd 1 / Enhet B"),
          Finding("B1", Severity.ERROR, "m", object="drift Skolan (anslag, netto)"),
          Finding("B1", Severity.ERROR, "m", object="drift Skola (anslag, netto)"),
          Finding("V1", Severity.ERROR, "m", object="Nämnd 1")]
    for owners in (O.CommitteeFindings(fs, [one, ten]), O.CommitteeFindings(fs)):
        assert owners.of(one) == [fs[1], fs[3], fs[4]]
        assert owners.of(ten) == [fs[0], fs[2]]


# -- where a finding is located -----------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(kommuner(), committees(), st.lists(findings(), max_size=8))
def test_locator_equals_locate(k: KommunInput, namnder: list[NamndInput],
                               fs: list[Finding]) -> None:
    locate = O._Locator(k, namnder)
    for f in fs:  # one locator for all: its caches must not leak from one finding to the next
        assert locate(f) == O._locate(f, k, namnder)


def test_locator_names_every_workbook_of_a_code_once() -> None:
    a = NamndInput(path=Path("/x/a.xlsx"), namnd="A")
    a.rader = {("t", "DR.INT.INK"): Location("a.xlsx", "Drift", "A9"),
               ("u", "DR.INT.UTG"): Location("a.xlsx", "Drift", "A5"),
               ("u", "DR.INTX"): Location("a.xlsx", "Drift", "A1")}
    b = NamndInput(path=Path("/x/b.xlsx"), namnd="B")
    b.rader = {("t", "DR.INT"): Location("b.xlsx", "Drift", "A7")}
    k = KommunInput(path=Path("/x/kommun.xlsx"))
    f = Finding("V5", Severity.WARNING, "m", object="interna poster")
    got = O._Locator(k, [b, a])(f)
    assert got.location == Location("a.xlsx", "Drift", "A5")
    assert got.also == (Location("b.xlsx", "Drift", "A7"),)
    assert got == O._locate(f, k, [b, a])


def test_a_finding_of_nämnd_10_is_located_in_nämnd_10s_workbook() -> None:
    one = NamndInput(path=Path("/x/n1.xlsx"), namnd="Nämnd 1")
    ten = NamndInput(path=Path("/x/n10.xlsx"), namnd="Nämnd 10")
    k = KommunInput(path=Path("/x/kommun.xlsx"))
    k.projekt_plats = {"Bro": Location("kommun.xlsx", "Investeringar", "A5"),
                       "Broar": Location("kommun.xlsx", "Investeringar", "A9")}
    for f, workbook, cell in (
            (Finding("R3", Severity.ERROR, "m", object="Nämnd 10 / Enhet A"), "n10.xlsx", None),
            (Finding("R3", Severity.ERROR, "m", object="Nämnd 1 / Enhet B"), "n1.xlsx", None),
            (Finding("B1", Severity.ERROR, "m", object="investering Broar (anslag)"),
             "kommun.xlsx", "A9")):
        for got in (O._locate(f, k, [one, ten]), O._Locator(k, [one, ten])(f)):
            assert got.location.workbook == workbook and got.location.cell == cell


# -- a committee's Resultat rows ----------------------------------------------------------------

class _Statement:
    """A task's statement as the Resultat rows read it: every RR and DR line's values, and the
    lines with data."""

    def __init__(self, values: dict[str, tuple[Decimal, ...]], has_data: frozenset[str]) -> None:
        self.values = values
        self.has_data = has_data

    def __getitem__(self, code: str) -> tuple[Decimal, ...]:
        return self.values[code]


_SUBTOTALS = ("RR.VB", "RR.AB", "RR.RES", "RR.OVERSKOTT")
_GROUPS_BY_LINE = ("RR.FIN", "RR.EXTRA")
_INTERNAL = ("DR.INT.INK", "DR.INT.UTG")


def _reference_task_rows(u, st_, principer):  # noqa: ANN001, ANN202 - a scan of the catalogue
    """A task's block read off the catalogue in display order: the lines with data directly
    under a subtotal (a financial or extraordinary group by its lines with data, or itself when
    only the group has data); verksamhetsbidrag always; årsbidrag and överskott when a line of
    their own has data (or given alone); the result when it has data or is the base of the
    balance unit's row; then the internal items and the net binding item with them."""
    cat = O.catalogue()
    has = st_.has_data
    f = u.finansiering
    if f is Finansiering.BALANSENHET:
        netto, label = ("RR.RES", *_INTERNAL), "Resultat inklusive interna poster"
    elif f is Finansiering.NETTOENHET or (f is Finansiering.BUDGETFINANSIERAD
                                          and principer.get(u.namn, ("", ""))[0] == "netto"):
        netto, label = ("RR.VB", *_INTERNAL), "Verksamhetsbidrag inklusive interna poster"
    else:
        netto = label = None
    internal = [c for c in _INTERNAL if c in has]
    rows = []
    section = 0
    previous = None
    for line in cat.part("RR"):
        code = line.code
        if code in _SUBTOTALS:
            show = (code == "RR.VB"
                    or code == "RR.RES" and (code in has or bool(internal) and netto is not None
                                             and netto[0] == "RR.RES")
                    or code in ("RR.AB", "RR.OVERSKOTT") and (section > 0 or code in has
                                                             and previous not in has))
            if show:
                rows.append(["  " + line.label, *st_[code]])
            section = 0
            previous = code
        elif (line.parent in _SUBTOTALS and code not in _GROUPS_BY_LINE
              or line.parent in _GROUPS_BY_LINE
              or code in _GROUPS_BY_LINE and not any(k in has for k in cat.children(code))):
            if code in has:
                rows.append(["  " + line.label, *st_[code]])
                section += 1
    for code in internal:
        rows.append(["  " + cat[code].label + " (ingår inte i resultatet)", *st_[code]])
    if internal and netto is not None:
        per_year = zip(*(st_[c] for c in netto), strict=True)
        rows.append(["  " + label, *(sum(t, Decimal(0)) for t in per_year)])
    return rows


def _reference_namnd_rows(n, b, rb, cols, uf):  # noqa: ANN001, ANN202 - the scan it replaced
    rows = [[f"{n.namnd}: driftsekonomidel per uppgift", *cols]]
    for u in n.uppgifter:
        st_ = b.uppgifter.get(u.namn)
        if st_ is None:
            continue
        rows.append([f"{u.namn} ({u.finansiering.value})"])
        rows.extend(_reference_task_rows(u, st_, n.principer))
    tasks = {u.namn for u in n.uppgifter}
    own = [r for r in (uf.tabla.rows if uf and uf.tabla else ()) if r.item.object in tasks]
    if own:
        rows.append([])
        rows.append(["Budgetutfall", "Budget efter ändringar", "Utfall hittills", "Prognos helår",
                     "Avvikelse (prognos)", "Status"])
        for r in own:
            rows.append([O._item_name(r.item), r.budget_efter, r.utfall, r.prognos,
                         r.prognosavvikelse if r.prognos is not None else r.avvikelse,
                         r.status_text])
    if rb is not None:
        rows.append([])
        rows.append(["Resultatbalansering", "Resultat", "Justerat resultat", "Överföring",
                     "Handlingsplan krävs"])
        for e in rb.enheter:
            if e.namnd.casefold() == n.namnd.casefold():
                rows.append([e.namn, e.resultat, e.justerat_resultat, e.overforing,
                             "ja" if e.handlingsplan_kravs else "nej"])
        for nr in rb.namnder:
            if nr.namnd.casefold() == n.namnd.casefold():
                rows.append([DISPOSITION, None, nr.namnd_justering or None, nr.disposition,
                             None])
                rows.append(["Nämnden totalt", nr.resultat, nr.justerat_resultat,
                             nr.overforing, None])
                rows.append(["Kommunstyrelsens andel (budgeteras inte)", None, None,
                             nr.ks_andel, None])
    return rows


@st.composite
def results(draw: st.DrawFn, namnder: list[NamndInput]):  # noqa: ANN202
    tasks = [u.namn for n in namnder for u in n.uppgifter] + ["t"]
    counter = iter(range(10_000))

    def amount() -> Decimal:
        return Decimal(next(counter))

    uppgifter = {}
    lines = [c for c in O.catalogue().lines if c.startswith(("RR.", "DR."))]
    for t in tasks:
        values = {c: (amount(), amount()) for c in lines}
        uppgifter[t] = _Statement(values, frozenset(draw(st.sets(st.sampled_from(lines)))))
    b = SimpleNamespace(uppgifter=uppgifter)
    rb = None
    if draw(st.booleans()):
        rb = SimpleNamespace(
            enheter=[SimpleNamespace(namnd=draw(name), namn=f"e{i}", resultat=amount(),
                                     justerat_resultat=amount(), overforing=amount(),
                                     handlingsplan_kravs=draw(st.booleans()))
                     for i in range(draw(st.integers(0, 6)))],
            namnder=[SimpleNamespace(namnd=draw(name), namnd_justering=draw(st.sampled_from(
                [Decimal(0), Decimal(5)])), disposition=amount(), resultat=amount(),
                justerat_resultat=amount(), overforing=amount(), ks_andel=amount())
                for _ in range(draw(st.integers(0, 3)))])
    uf = None
    if draw(st.booleans()):
        rows = []
        for i in range(draw(st.integers(0, 8))):
            item = SimpleNamespace(object=draw(st.sampled_from(tasks)), label=f"l{i}",
                                   object_type=draw(st.sampled_from(list(ObjectType))),
                                   detalj=draw(st.sampled_from([None, "RR.RES", "RR.AB"])),
                                   kind=draw(st.sampled_from(list(Kind))),
                                   part=Part.DRIFT, principle=Principle.BRUTTO)
            row = SimpleNamespace(item=item, budget_efter=amount(), utfall=amount(),
                                  prognos=draw(st.none() | st.just(Decimal(1))),
                                  prognosavvikelse=amount(), avvikelse=amount(),
                                  status_text=f"s{i}")
            row.bedomd_avvikelse = OutturnRow.bedomd_avvikelse.fget(row)  # the real rule
            rows.append(row)
        uf = SimpleNamespace(tabla=SimpleNamespace(rows=rows) if draw(st.booleans()) else None)
    return b, rb, uf


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_namnd_rows_equal_the_scan(data: st.DataObject) -> None:
    namnder = data.draw(committees())
    for n in namnder:
        n.uppgifter = [Uppgift(u.namn, n.namnd, data.draw(st.sampled_from(list(Finansiering))))
                       for u in n.uppgifter]
        n.principer = {u.namn: (data.draw(st.sampled_from(["", "brutto", "netto"])), "")
                       for u in n.uppgifter}
    b, rb, uf = data.draw(results(namnder))
    index = O._PerCommittee(rb, uf)  # one index for every committee, as compute_outputs does
    for n in namnder:
        want = _reference_namnd_rows(n, b, rb, ["2025", "2026"], uf)
        assert O._namnd_rows(n, b, rb, ["2025", "2026"], uf, index) == want
        assert O._namnd_rows(n, b, rb, ["2025", "2026"], uf) == want


# -- the Kontroll rows and the cells of an owned sheet ------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.lists(findings(), max_size=15))
def test_findings_rows_equal_the_sort_by_severity(fs: list[Finding]) -> None:
    assert O.findings_rows(fs) == O._findings_rows_general(fs)


cell_values = st.one_of(
    st.none(), st.integers(-5, 5), st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.text(max_size=5), st.booleans(),
    st.sampled_from([R.EXCEL_CELL_CHARS, R.EXCEL_CELL_CHARS + 1]).map(lambda n: "x" * n))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cell_values, max_size=30), max_size=6))
def test_owned_block_equals_block(rows: list[list[object]]) -> None:
    want = block(S.OUTPUT_ANCHOR, [[R._fits_a_cell(v) for v in row] for row in rows])
    got = R._owned_block(rows)
    assert list(got.items()) == list(want.items())  # the same cells in the same order


def _reference_finish(report: R.RefreshReport) -> R.RefreshReport:
    for r in report.files:  # the scan it replaced: every finding's workbooks, once per file
        if r.status in ("refused", "error") and r.findings:
            continue
        mine = [f for f in report.findings if r.path.name in f.workbooks]
        r.findings = list(dict.fromkeys([*mine, *r.findings]))
    return report


@settings(max_examples=200, deadline=None)
@given(st.lists(findings(), max_size=10), st.data())
def test_finish_equals_the_scan(fs: list[Finding], data: st.DataObject) -> None:
    files = [(data.draw(workbook), data.draw(st.sampled_from(["written", "error", "refused"])),
              data.draw(st.lists(st.sampled_from(fs) if fs else findings(), max_size=3)))
             for _ in range(data.draw(st.integers(0, 4)))]

    def report() -> R.RefreshReport:
        return R.RefreshReport([R.FileReport(Path("/x") / name, "nämnd", status, list(own))
                                for name, status, own in files], [*fs, *fs[:2]], None)

    got, want = R._finish(report()), _reference_finish(report())
    assert [r.findings for r in got.files] == [r.findings for r in want.files]


def test_collector_thresholds_are_restored_after_runs_under_way() -> None:
    import gc

    before = gc.get_threshold()
    with R.collector_paused():
        assert gc.get_threshold()[:2] == before[:2] and gc.get_threshold()[2] > before[2]
        with R.collector_paused():  # a second run at the same time (the add-in's server)
            pass
        assert gc.get_threshold()[2] > before[2]  # still under way
    assert gc.get_threshold() == before


def test_a_refresh_leaves_nothing_frozen_behind(tmp_path: Path) -> None:
    """The run freezes what it reads (engine.gc_pause.freezing_survivors); afterwards the
    collector sees every object again."""
    import gc

    with R.collector_paused():
        from engine.gc_pause import freeze_now

        freeze_now()
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_the_command_lines_report_is_made_with_the_collector_paused(pristine: Path,
                                                                    tmp_path: Path,
                                                                    monkeypatch) -> None:
    """``kommunbudget refresh --report``: the report is built and written inside the refresh's
    collector pause (a full collection after the refresh scanned everything the run had made,
    about 0.13 s of a city refresh), and the thresholds are restored and nothing is frozen
    once the command has ended."""
    import gc
    import shutil

    from workbook_templates.cli import main as M

    folder = tmp_path / "f"
    shutil.copytree(pristine, folder)
    monkeypatch.setenv("KOMMUNBUDGET_CACHE", str(tmp_path / "cache"))
    before = gc.get_threshold()
    seen = {}
    real = M.write_report

    def write_report(path, report) -> None:
        seen["threshold"] = gc.get_threshold()
        real(path, report)

    monkeypatch.setattr(M, "write_report", write_report)
    M.main(["refresh", str(folder), "--report", str(tmp_path / "r.json"), "--quiet"])
    assert seen["threshold"][:2] == before[:2] and seen["threshold"][2] > before[2]
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_write_runs_with_the_collector_off(pristine: Path, tmp_path: Path,
                                             monkeypatch) -> None:
    """write_owned holds the collector off (its young collections scanned the changed-cell
    lists again and again) and turns it on again after."""
    import gc
    import shutil

    folder = tmp_path / "f"
    shutil.copytree(pristine, folder)
    real = R.write_cells
    enabled = []

    def write_cells(*args, **kwargs):
        enabled.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(R, "write_cells", write_cells)
    report = R.refresh([folder], folder / "kommun.xlsx", cache=None)
    assert enabled and not any(enabled)
    assert {r.status for r in report.files} <= {"written", "input-errors"}
    assert gc.isenabled()
