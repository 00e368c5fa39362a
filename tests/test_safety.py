"""Tests for the safety gate (workbook_templates/files/safety.py), rule IN, issue 9 "Hostile files".

Every hostile case in tests/hostile_files.py must be refused (or warned about) with the right
finding, the gate must stay within its byte cap (asserted through ``GateReport``, and through
resource limits in a subprocess for the zip bomb and the XML attacks), and the file must be
byte-identical afterwards. No timing assertions.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import hostile_files as hf
import pytest
from libreoffice import needs_libreoffice, recalculate, soffice_path
from lxml import etree
from openpyxl import load_workbook

from engine.findings import Finding, Severity
from workbook_templates.files.safety import (
    DEFAULT_LIMITS,
    Limits,
    UnsafePartError,
    check_workbook,
    inspect_workbook,
    parse_part,
    safe_xml_parser,
)

REPO = Path(__file__).resolve().parents[1]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="module")
def hostile_paths(hostile_dir: Path) -> dict[str, Path]:
    """Every hostile case generated once per module (the 1 GiB bomb file is about 1 MB)."""
    out = {}
    for case, (gen, _code, _sev) in hf.HOSTILE.items():
        sub = hostile_dir / case
        sub.mkdir()
        out[case] = gen(sub)
    return out


# --------------------------------------------------------------------------------------------
# The valid workbooks pass


def test_IN_valid_workbook_passes_with_no_findings(tmp_path: Path) -> None:
    path = hf.valid_workbook(tmp_path)
    report = inspect_workbook(path)
    assert report.findings == ()
    assert not report.refused
    # every entry was decompressed and checked: 11 parts written by XlsxWriter
    with zipfile.ZipFile(path) as zf:
        assert report.entries_checked == len(zf.infolist())
        assert report.bytes_decompressed == sum(i.file_size for i in zf.infolist())


def test_IN_openpyxl_workbook_passes(tmp_path: Path) -> None:
    assert check_workbook(hf.openpyxl_workbook(tmp_path)) == []


def test_IN_hostile_generators_start_from_a_readable_workbook(tmp_path: Path) -> None:
    # the base really is a workbook openpyxl reads: B2 is 125000 (written above)
    wb = load_workbook(hf.valid_workbook(tmp_path))
    assert wb["Resultaträkning"]["B2"].value == 125000


# --------------------------------------------------------------------------------------------
# Every hostile case: the right finding, within the cap, file untouched


@pytest.mark.parametrize("case", sorted(hf.HOSTILE))
def test_IN_hostile_file_is_refused_or_warned(case: str, hostile_paths: dict[str, Path]) -> None:
    _gen, code, severity = hf.HOSTILE[case]
    path = hostile_paths[case]
    before = sha256(path)
    report = inspect_workbook(path)
    assert sha256(path) == before, "the gate must never change the file"
    assert code in report.codes, report.codes
    assert "internal" not in report.codes
    hits = [f for c, f in zip(report.codes, report.findings, strict=True) if c == code]
    assert {f.severity.value for f in hits} == {severity}
    for f in report.findings:
        assert isinstance(f, Finding)
        assert f.rule == "IN"
        assert f.location is not None and f.location.workbook == path.name
    # bounded: never more than the total cap (plus one chunk) decompressed
    assert report.bytes_decompressed <= DEFAULT_LIMITS.max_total_uncompressed
    # a refused file is refused; the only warning-only case is the external link
    assert report.refused == (severity == "error")


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("zip_bomb", ["zip-bomb", "1024.0 MB", "100.0 MB"]),
        ("zip_bomb_many", ["zip-bomb", "240.0 MB totalt", "200.0 MB"]),
        ("billion_laughs", ["xl/sharedStrings.xml", "<!DOCTYPE>", "billion laughs"]),
        ("xxe", ["xl/sharedStrings.xml", "externa entiteter"]),
        ("xxe_utf16", ["xl/workbook.xml", "<!DOCTYPE>"]),
        ("truncated", ["avkortad", "ny kopia"]),
        ("not_a_zip", ["textfil", "CSV", "spara som Excel-arbetsbok"]),
        ("password_protected", ["lösenordsskyddad", "ta bort lösenordet"]),
        ("legacy_xls", ["97–2003", ".xls", "spara som Excel-arbetsbok (.xlsx)"]),
        ("renamed_xlsm", [".xlsx", "makro", "Byt filändelse till .xlsm"]),
        ("external_link", [hf.EXTERNAL_TARGET, "följer aldrig", "Bryt länk"]),
        ("path_traversal", ["../../Startmeny/evil.bat", "utanför arbetsboken"]),
        ("duplicate_names", ["xl/worksheets/sheet1.xml", "2 gånger"]),
        ("missing_content_types", ["[Content_Types].xml", "saknar"]),
        ("missing_workbook", ["xl/workbook.xml", "saknar"]),
    ],
)
def test_IN_message_says_what_is_wrong_and_what_to_do(
    case: str, words: list[str], hostile_paths: dict[str, Path]
) -> None:
    code = hf.HOSTILE[case][1]
    report = inspect_workbook(hostile_paths[case])
    text = " ".join(
        f.message for c, f in zip(report.codes, report.findings, strict=True) if c == code
    )
    for word in words:
        assert word in text, (word, text)


def test_IN_zip_bomb_is_refused_without_decompressing_it(hostile_paths: dict[str, Path]) -> None:
    path = hostile_paths["zip_bomb"]
    with zipfile.ZipFile(path) as zf:
        bomb = zf.getinfo("xl/media/image1.bin")
        assert bomb.file_size == hf.GiB  # the entry really declares 1 GiB ...
        assert bomb.compress_size < 2 * hf.MiB  # ... in about 1 MB
    report = inspect_workbook(path)
    # total declared 1 GiB + ~15 KB > 200 MB: nothing at all is decompressed
    assert report.bytes_decompressed == 0
    assert report.entries_checked == 0


def test_IN_zip_bomb_generator_makes_a_real_bomb(tmp_path: Path) -> None:
    # the same construction at 4 MiB inflates to exactly 4 MiB of zeros with a valid CRC
    path = hf.zip_bomb(tmp_path, size=4 * hf.MiB)
    with zipfile.ZipFile(path) as zf:
        data = zf.read("xl/media/image1.bin")  # zipfile checks the CRC
    assert len(data) == 4 * hf.MiB and data.count(0) == len(data)


def test_IN_limits_are_parameters(tmp_path: Path) -> None:
    # the 4 MiB bomb passes the default limits' size checks but not its ratio check (~1000x)...
    path = hf.zip_bomb(tmp_path, size=4 * hf.MiB)
    assert "zip_bomb" in inspect_workbook(path).codes
    # ... and passes when the ratio limit is raised; then all 4 MiB + base are streamed
    lenient = Limits(max_ratio=10_000)
    report = inspect_workbook(path, lenient)
    assert report.codes == ()
    assert report.bytes_decompressed > 4 * hf.MiB
    # a total cap below the declared size refuses it again, decompressing nothing
    strict = Limits(max_ratio=10_000, max_total_uncompressed=1 * hf.MiB)
    report = inspect_workbook(path, strict)
    assert "zip_bomb" in report.codes and report.bytes_decompressed == 0


def test_IN_entry_count_and_file_size_limits(tmp_path: Path) -> None:
    path = hf.valid_workbook(tmp_path)
    assert "too_many_entries" in inspect_workbook(path, Limits(max_entries=3)).codes
    assert "file_too_large" in inspect_workbook(path, Limits(max_file_bytes=100)).codes


_CHILD = r"""
import json, resource, sys
sys.path.insert(0, sys.argv[1])
limit = 768 * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
resource.setrlimit(resource.RLIMIT_CPU, (30, 30))
from workbook_templates.files.safety import inspect_workbook
r = inspect_workbook(sys.argv[2])
print(json.dumps({"codes": list(r.codes), "bytes": r.bytes_decompressed}))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX only")
@pytest.mark.parametrize("case", ["zip_bomb", "billion_laughs", "xxe"])
def test_IN_gate_runs_under_memory_and_cpu_limits(
    case: str, hostile_paths: dict[str, Path]
) -> None:
    # 768 MB of address space cannot hold the 1 GiB bomb; 30 s of CPU is far more than needed.
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(REPO), str(hostile_paths[case])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert hf.HOSTILE[case][1] in result["codes"]
    assert "internal" not in result["codes"]


# --------------------------------------------------------------------------------------------
# The XML attacks are real, and the safe parser defuses them even on its own


def test_IN_xxe_payload_is_a_real_attack_and_safe_parser_defuses_it() -> None:
    if not Path("/etc/passwd").exists():
        pytest.skip("needs /etc/passwd")
    unsafe = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=False)
    leaked = etree.fromstring(hf.XXE, unsafe).findtext(".//{*}t") or ""
    assert "root:" in leaked  # an unsafe parser would read the file
    safe = etree.fromstring(hf.XXE, safe_xml_parser()).findtext(".//{*}t") or ""
    assert "root:" not in safe


def test_IN_safe_parser_does_not_expand_billion_laughs() -> None:
    # libxml2 either stops at its amplification limit or leaves the entities unexpanded;
    # expanded, the text would be 3 * 10**9 characters
    try:
        root = etree.fromstring(hf.BILLION_LAUGHS, safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        assert "amplification" in str(exc) or "entity" in str(exc).lower()
    else:
        assert len("".join(root.itertext())) < 1000


def test_IN_parse_part_reads_a_normal_part(tmp_path: Path) -> None:
    with zipfile.ZipFile(hf.valid_workbook(tmp_path)) as zf:
        root = parse_part(zf, "xl/workbook.xml", 1 * hf.MiB)
    names = [s.get("name") for s in root.iter("{*}sheet")]
    assert names == ["Resultaträkning", "Nämnder"]


@pytest.mark.parametrize(
    ("case", "part", "cap", "code"),
    [
        ("billion_laughs", "xl/sharedStrings.xml", hf.MiB, "xml_dtd"),
        ("xxe", "xl/sharedStrings.xml", hf.MiB, "xml_dtd"),
        ("xxe_utf16", "xl/workbook.xml", hf.MiB, "xml_dtd"),
        ("xxe", "xl/styles.xml", 100, "part_too_large"),
    ],
)
def test_IN_parse_part_refuses(
    case: str, part: str, cap: int, code: str, hostile_paths: dict[str, Path]
) -> None:
    with zipfile.ZipFile(hostile_paths[case]) as zf, pytest.raises(UnsafePartError) as err:
        parse_part(zf, part, cap)
    assert err.value.code == code
    assert part in str(err.value)


# --------------------------------------------------------------------------------------------
# Further checks, each on a one-change variant of the valid workbook


def _variant(tmp_path: Path, name: str, change) -> Path:  # type: ignore[no-untyped-def]
    entries = hf.read_entries(hf.valid_workbook(tmp_path, "base.xlsx"))
    return hf.write_zip(tmp_path / name, change(entries))


def test_IN_malformed_sheet_xml_is_an_error(tmp_path: Path) -> None:
    def change(entries: list[hf.Entry]) -> list[hf.Entry]:
        return [
            hf.Entry(e.name, e.data[:-20]) if e.name == "xl/worksheets/sheet1.xml" else e
            for e in entries
        ]

    report = inspect_workbook(_variant(tmp_path, "trasig.xlsx", change))
    assert report.codes == ("xml_malformed",)
    assert report.findings[0].severity is Severity.ERROR
    assert report.findings[0].object == "xl/worksheets/sheet1.xml"


def test_IN_malformed_custom_xml_is_only_a_warning(tmp_path: Path) -> None:
    def change(entries: list[hf.Entry]) -> list[hf.Entry]:
        return [*entries, hf.Entry("customXml/item1.xml", b"<a><b></a>")]

    report = inspect_workbook(_variant(tmp_path, "custom.xlsx", change))
    assert report.codes == ("xml_malformed",)
    assert report.findings[0].severity is Severity.WARNING


def test_IN_dtd_in_vml_is_found_by_the_byte_scan(tmp_path: Path) -> None:
    def change(entries: list[hf.Entry]) -> list[hf.Entry]:
        return [*entries, hf.Entry("xl/drawings/vmlDrawing1.vml", hf.XXE)]

    assert inspect_workbook(_variant(tmp_path, "vml.xlsx", change)).codes == ("xml_dtd",)


def test_IN_damaged_entry_bad_crc(tmp_path: Path) -> None:
    def change(entries: list[hf.Entry]) -> list[hf.Entry]:
        out = []
        for e in entries:
            if e.name == "xl/styles.xml":
                # stored entry whose CRC belongs to other bytes
                bad = e.data.replace(b"Calibri", b"Calibrx")
                e = hf.Entry(e.name, bad, method=0, raw=True, crc=0x1234, size=len(bad))
            out.append(e)
        return out

    report = inspect_workbook(_variant(tmp_path, "crc.xlsx", change))
    assert report.codes == ("damaged_entry",)
    assert "CRC" in report.findings[0].message


def test_IN_zip_encryption_and_odd_methods_are_refused(tmp_path: Path) -> None:
    path = hf.valid_workbook(tmp_path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/styles.xml")
    # patch the central directory record of xl/styles.xml: flag bit 0 means encrypted
    name = b"xl/styles.xml"
    cd = data.find(b"PK\x01\x02")
    while data[cd + 46 : cd + 46 + len(name)] != name:
        cd = data.find(b"PK\x01\x02", cd + 4)
    data[cd + 8] |= 0x01
    enc = tmp_path / "enc.xlsx"
    enc.write_bytes(bytes(data))
    assert "zip_encrypted" in inspect_workbook(enc).codes
    data[cd + 8] &= 0xFE
    data[cd + 10 : cd + 12] = (14).to_bytes(2, "little")  # LZMA
    odd = tmp_path / "lzma.xlsx"
    odd.write_bytes(bytes(data))
    assert "zip_method" in inspect_workbook(odd).codes
    assert info.compress_type == zipfile.ZIP_DEFLATED


def test_IN_overlapping_entries_are_refused(tmp_path: Path) -> None:
    path = hf.valid_workbook(tmp_path)
    data = bytearray(path.read_bytes())
    # point the second central directory record at the first local header
    first = data.find(b"PK\x01\x02")
    second = data.find(b"PK\x01\x02", first + 4)
    data[second + 42 : second + 46] = data[first + 42 : first + 46]
    bad = tmp_path / "overlap.xlsx"
    bad.write_bytes(bytes(data))
    report = inspect_workbook(bad)
    assert "overlapping_entries" in report.codes
    assert report.refused


def test_IN_xlsm_with_macros_passes_and_without_macros_warns(tmp_path: Path) -> None:
    macro = hf.renamed_xlsm(tmp_path)
    as_xlsm = tmp_path / "makron.xlsm"
    as_xlsm.write_bytes(macro.read_bytes())
    assert check_workbook(as_xlsm) == []
    plain = tmp_path / "vanlig.xlsm"
    plain.write_bytes(hf.valid_workbook(tmp_path).read_bytes())
    assert inspect_workbook(plain).codes == ("macro_extension_mismatch",)


def test_IN_data_connections_warn(tmp_path: Path) -> None:
    def change(entries: list[hf.Entry]) -> list[hf.Entry]:
        xml = b'<connections xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
        return [*entries, hf.Entry("xl/connections.xml", xml)]

    report = inspect_workbook(_variant(tmp_path, "conn.xlsx", change))
    assert report.codes == ("data_connections",)
    assert not report.refused


@pytest.mark.parametrize("name", ["/etc/evil.xml", "C:/evil.xml", "xl\\..\\evil.xml"])
def test_IN_other_unsafe_names(tmp_path: Path, name: str) -> None:
    def change(entries: list[hf.Entry]) -> list[hf.Entry]:
        return [*entries, hf.Entry(name, b"x")]

    assert "path_traversal" in inspect_workbook(_variant(tmp_path, "n.xlsx", change)).codes


def test_IN_case_insensitive_duplicate(tmp_path: Path) -> None:
    def change(entries: list[hf.Entry]) -> list[hf.Entry]:
        return [*entries, hf.Entry("XL/Workbook.xml", b"<workbook/>")]

    assert "duplicate_name" in inspect_workbook(_variant(tmp_path, "d.xlsx", change)).codes


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"<html><table><tr><td>1</td></tr></table></html>", "not_zip_text"),
        (bytes(range(256)) * 4, "not_zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "ole_other"),
    ],
)
def test_IN_not_a_workbook(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    assert inspect_workbook(path).codes == (code,)


def test_IN_missing_path_and_directory(tmp_path: Path) -> None:
    assert inspect_workbook(tmp_path / "nope.xlsx").codes == ("missing_file",)
    assert inspect_workbook(tmp_path).codes == ("not_a_file",)


# --------------------------------------------------------------------------------------------
# Files written by another real program (LibreOffice), when it is installed


def _soffice_xls(src: Path, out_dir: Path) -> Path:
    # the harness has no .xls target; same isolation: a fresh profile, a timeout
    profile = (out_dir / "profile").as_uri()
    subprocess.run(
        [
            str(soffice_path()),
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "xls",
            "--outdir",
            str(out_dir),
            str(src),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    out = out_dir / (src.stem + ".xls")
    assert out.exists(), "LibreOffice wrote no .xls"
    return out


@pytest.mark.slow  # three soffice starts, ~5-10 s
@needs_libreoffice
def test_IN_real_files_from_libreoffice(tmp_path: Path) -> None:
    src = hf.valid_workbook(tmp_path, "src.xlsx")
    out = {fmt: recalculate(src, tmp_path / fmt, fmt=fmt) for fmt in ("xlsx", "ods")}
    out["xls"] = _soffice_xls(src, tmp_path)
    assert check_workbook(out["xlsx"]) == []  # LibreOffice's own xlsx passes
    for fmt, code in (("xls", "legacy_xls"), ("ods", "opendocument")):
        renamed = tmp_path / f"from_{fmt}.xlsx"  # what a user does: rename it .xlsx
        renamed.write_bytes(out[fmt].read_bytes())
        assert inspect_workbook(renamed).codes == (code,)


def test_IN_really_encrypted_workbook(tmp_path: Path) -> None:
    # a workbook encrypted the way Excel does it (agile encryption, MS-OFFCRYPTO), by
    # msoffcrypto-tool; our own generator only imitates the container
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    src = hf.valid_workbook(tmp_path, "plain.xlsx")
    target = tmp_path / "krypterad.xlsx"
    with src.open("rb") as fh, target.open("wb") as out:
        ooxml.OOXMLFile(fh).encrypt("hemligt", out)
    before = sha256(target)
    report = inspect_workbook(target)
    assert report.codes == ("encrypted",)
    assert "lösenordsskyddad" in report.findings[0].message
    assert sha256(target) == before


def test_IN_directory_larger_than_file_is_damage_not_unreadable(tmp_path: Path) -> None:
    path = hf.valid_workbook(tmp_path)
    data = bytearray(path.read_bytes())
    eocd = data.rfind(b"PK\x05\x06")
    # declared directory size: more than everything before the end record
    data[eocd + 12 : eocd + 16] = (eocd + 100).to_bytes(4, "little")
    bad = tmp_path / "cd.xlsx"
    bad.write_bytes(bytes(data))
    assert inspect_workbook(bad).codes == ("truncated",)


def test_IN_unreadable_file_is_a_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # as when Excel on Windows holds the file open, or a network drive drops; no traceback
    path = hf.valid_workbook(tmp_path)

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)
    report = inspect_workbook(path)
    assert report.codes == ("unreadable",)
    assert "öppen i ett annat program" in report.findings[0].message


def test_IN_utf16_part_without_dtd_passes(tmp_path: Path) -> None:
    # UTF-16 is legal in OOXML parts; fed to the parser in 64-byte chunks it must still parse
    def change(entries: list[hf.Entry]) -> list[hf.Entry]:
        out = []
        for e in entries:
            if e.name == "xl/workbook.xml":
                text = e.data.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
                e = hf.Entry(e.name, text.encode("utf-16"))
            out.append(e)
        return out

    path = _variant(tmp_path, "utf16.xlsx", change)
    assert inspect_workbook(path, Limits(chunk_bytes=64)).codes == ()


# --------------------------------------------------------------------------------------------
# Content parsed well-formed before is not parsed again (issue 17); every other check runs


@pytest.mark.parametrize("hold", [None, 1])  # held until the digest is known; or streamed
@pytest.mark.parametrize("case", sorted(hf.HOSTILE))
def test_IN_known_content_changes_no_verdict_on_hostile_files(
        case: str, hold: int | None, hostile_paths: dict[str, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every hostile file gets the same findings when the gate is told the content of every
    part of the valid workbook (and of the file itself, as far as it parsed) is known
    well-formed: only a parse of that very content is skipped."""
    import workbook_templates.files.safety as safety

    if hold is not None:
        monkeypatch.setattr(safety, "_HOLD_BYTES", hold)
    plain = inspect_workbook(hostile_paths[case])
    valid = inspect_workbook(hf.valid_workbook(tmp_path, "valid.xlsx"))
    known = {d for _, d in (*valid.part_digests, *plain.part_digests)}
    told = inspect_workbook(hostile_paths[case], known_wellformed=known)
    assert (told.codes, told.findings) == (plain.codes, plain.findings)
    assert told.part_digests == plain.part_digests


def test_IN_known_content_is_not_parsed_again_and_new_content_is(tmp_path: Path,
                                                                  monkeypatch) -> None:
    import workbook_templates.files.safety as safety

    path = hf.valid_workbook(tmp_path, "base.xlsx")
    first = inspect_workbook(path, known_wellformed=frozenset())
    xml = {n for n, _ in first.part_digests if n.endswith((".xml", ".rels"))}
    assert len(first.wellformed) == len(xml)  # every XML part parsed and reported
    parsers = []
    real = safety.safe_xml_parser

    def counting(**kwargs):
        parser = real(**kwargs)
        parsers.append(parser)
        return parser

    monkeypatch.setattr(safety, "safe_xml_parser", counting)
    again = inspect_workbook(path, known_wellformed=frozenset(first.wellformed))
    assert again.findings == first.findings == ()
    assert again.wellformed == ()  # nothing parsed, nothing new to remember
    assert again.part_digests == first.part_digests

    def change(entries: list[hf.Entry]) -> list[hf.Entry]:
        return [hf.Entry(e.name, e.data[:-20]) if e.name == "xl/worksheets/sheet1.xml" else e
                for e in entries]

    broken = _variant(tmp_path, "trasig.xlsx", change)  # new content: parsed, and refused
    report = inspect_workbook(broken, known_wellformed=frozenset(first.wellformed))
    assert report.codes == ("xml_malformed",)
    assert "xl/worksheets/sheet1.xml" not in {n for n, _ in report.part_digests}


def test_IN_a_dtd_in_known_content_is_still_refused(tmp_path: Path) -> None:
    """Told that a part's content is well-formed, the gate still scans it for a DTD: the
    memo skips the parse only."""
    def change(entries: list[hf.Entry]) -> list[hf.Entry]:
        return [hf.Entry(e.name, hf.XXE) if e.name == "xl/sharedStrings.xml" else e
                for e in entries]

    path = _variant(tmp_path, "xxe.xlsx", change)
    known = {hashlib.blake2b(hf.XXE, digest_size=20).hexdigest()}
    assert "xml_dtd" in inspect_workbook(path, known_wellformed=known).codes


def test_a_gate_covers_a_package_only_when_it_digested_each_entry_once(tmp_path: Path) -> None:
    """``GateReport.covers``: its part digests stand for the package only when they name every
    entry, each once, and nothing else; ``errors`` are the findings that refuse the file."""
    from workbook_templates.files.safety import GateReport, inspect_workbook

    path = hf.valid_workbook(tmp_path)
    report = inspect_workbook(path)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    assert report.covers(names) and report.errors == ()
    assert not report.covers(names[:-1]) and not report.covers([*names, "x.xml"])
    twice = GateReport((), (), 0, 0, (*report.part_digests, report.part_digests[0]))
    assert not twice.covers(names)  # an entry digested twice (a duplicate name)
    bad = inspect_workbook(hf.with_dtd(path))
    assert bad.refused and bad.errors and all(f.severity is Severity.ERROR for f in bad.errors)
    assert not bad.covers(names)  # the refused part was not digested whole
