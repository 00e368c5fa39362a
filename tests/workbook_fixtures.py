"""Test workbooks built by code, never opaque binaries (issue 5, "Nothing lost").

:func:`build_fixture` writes an ``.xlsm`` with XlsxWriter that holds everything a controller's
workbook may hold and the writer must not lose:

* a VBA project (``xl/vbaProject.bin``, see :func:`make_vba_project`) and a **button** (a VML
  form control in ``xl/drawings/vmlDrawing*.vml``) with the macro ``Uppdatera`` assigned;
* a column **chart** (``xl/charts/chart1.xml`` + drawing) plotting cells of the owned sheet;
* a PNG **image** generated in code (:func:`make_png`);
* **comments** (comments part + VML), **data validation** and **conditional formatting** on both
  the input sheet and the owned sheet, **defined names** (workbook and sheet scope);
* an input sheet ``Indata`` with an Excel **table** ``Budget`` (headers Nämnd, År, Belopp, Datum;
  an error value and a date in it), and the tool-owned output sheet ``Resultat`` with styled
  cells, a column style and a row style, existing values and a formula;
* a third sheet ``Anteckningar`` with shared strings (so sharedStrings.xml exists and must stay
  byte-identical while we write inline strings).

The VBA project is a structurally valid Compound File Binary (CFB/OLE2) container with the
storage layout Excel uses (``PROJECT``, ``PROJECTwm``, ``VBA/_VBA_PROJECT``, ``VBA/dir``,
``VBA/Module1``, ``VBA/ThisWorkbook``); module streams hold VBA source in MS-OVBA compressed form
(literal tokens only). It is *not* a complete project Excel would run (the ``dir`` stream is a
placeholder): the preservation test treats ``vbaProject.bin`` as an opaque part whose bytes must
survive unchanged, which is exactly the property under test.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import xlsxwriter
from lxml import etree

INPUT_SHEET = "Indata"
OWNED_SHEET = "Resultat"
NOTES_SHEET = "Anteckningar"
TABLE_NAME = "Budget"
TABLE_HEADERS = ("Nämnd", "År", "Belopp", "Datum")
TABLE_ANCHOR = "B3"  # header row of the table
MACRO = "Uppdatera"

# ---------------------------------------------------------------------------------------------
# A small PNG, made here


def make_png(width: int = 8, height: int = 8) -> bytes:
    """An RGB PNG of a blue/yellow square (Swedish colours), built with zlib and struct."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b""
    for y in range(height):
        line = b"\x00"  # filter: none
        for x in range(width):
            cross = x in (width // 3, width // 3 + 1) or y in (height // 2 - 1, height // 2)
            line += b"\xfe\xcc\x02" if cross else b"\x00\x6a\xa7"
        rows += line
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------------------------------
# A CFB (OLE2) container with the layout of a VBA project

_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF
_SECTOR = 512
_MIN_REGULAR = 4096  # streams at least this big live in regular sectors (no mini stream needed)


def ovba_compress(data: bytes) -> bytes:
    """MS-OVBA compression using literal tokens only (valid, just not smaller)."""
    out = bytearray(b"\x01")
    for i in range(0, max(len(data), 1), 4096):
        chunk = data[i : i + 4096]
        body = bytearray()
        for j in range(0, len(chunk), 8):
            body += b"\x00" + chunk[j : j + 8]  # flag byte 0: eight literal tokens follow
        header = 0x8000 | 0x3000 | (len(body) + 2 - 3)
        out += struct.pack("<H", header) + body
    return bytes(out)


def _dir_entry(
    name: str, kind: int, left: int, right: int, child: int, start: int, size: int
) -> bytes:
    encoded = (name + "\x00").encode("utf-16-le") if name else b""
    return (
        encoded.ljust(64, b"\x00")
        + struct.pack("<HBB", len(encoded), kind, 1)  # colour 1 = black
        + struct.pack("<III", left, right, child)
        + b"\x00" * 16  # CLSID
        + struct.pack("<I", 0)  # state bits
        + b"\x00" * 16  # creation and modification time
        + struct.pack("<IQ", start, size)
    )


def make_cfb(streams: dict[str, bytes]) -> bytes:
    """A CFB v3 file with ``Root Entry`` → ``PROJECT``, ``PROJECTwm`` and storage ``VBA`` → the
    ``VBA/*`` streams. Streams are padded to 4096 bytes so no mini stream is needed."""
    order = ["PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir", "VBA/Module1",
             "VBA/ThisWorkbook"]
    data = {k: streams[k].ljust(_MIN_REGULAR, b"\x00") for k in order}
    # directory ids: 0 root, 1 VBA, 2 PROJECT, 3 PROJECTwm, 4 _VBA_PROJECT, 5 dir, 6 Module1,
    # 7 ThisWorkbook. Sibling trees ordered by (name length, upper-case name):
    #   root:  VBA < PROJECT < PROJECTwm                      → child PROJECT(2), 1 left, 3 right
    #   VBA:   dir < Module1 < ThisWorkbook < _VBA_PROJECT    → child Module1(6), 5 left, 7 right,
    #                                                            7.right = 4
    n_dir_sectors = 2  # 8 entries of 128 bytes
    first_stream_sector = 1 + n_dir_sectors
    sectors_of = {k: -(-len(v) // _SECTOR) for k, v in data.items()}
    starts = {}
    s = first_stream_sector
    for k in order:
        starts[k] = s
        s += sectors_of[k]
    total = s
    fat = [_FREE] * 128
    fat[0] = _FAT
    fat[1], fat[2] = 2, _END
    for k in order:
        for i in range(sectors_of[k]):
            sec = starts[k] + i
            fat[sec] = sec + 1 if i + 1 < sectors_of[k] else _END
    assert total <= 128
    entries = [
        _dir_entry("Root Entry", 5, _NOSTREAM, _NOSTREAM, 2, _END, 0),
        _dir_entry("VBA", 1, _NOSTREAM, _NOSTREAM, 6, 0, 0),
        _dir_entry("PROJECT", 2, 1, 3, _NOSTREAM, starts["PROJECT"], len(data["PROJECT"])),
        _dir_entry("PROJECTwm", 2, _NOSTREAM, _NOSTREAM, _NOSTREAM, starts["PROJECTwm"],
                   len(data["PROJECTwm"])),
        _dir_entry("_VBA_PROJECT", 2, _NOSTREAM, _NOSTREAM, _NOSTREAM,
                   starts["VBA/_VBA_PROJECT"], len(data["VBA/_VBA_PROJECT"])),
        _dir_entry("dir", 2, _NOSTREAM, _NOSTREAM, _NOSTREAM, starts["VBA/dir"],
                   len(data["VBA/dir"])),
        _dir_entry("Module1", 2, 5, 7, _NOSTREAM, starts["VBA/Module1"],
                   len(data["VBA/Module1"])),
        _dir_entry("ThisWorkbook", 2, _NOSTREAM, 4, _NOSTREAM, starts["VBA/ThisWorkbook"],
                   len(data["VBA/ThisWorkbook"])),
    ]
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
        + struct.pack("<I", 0)  # DIFAT[0]: the FAT is sector 0
        + struct.pack("<I", _FREE) * 108
    )
    assert len(header) == 512
    out = bytearray(header)
    out += struct.pack("<128I", *fat)
    out += b"".join(entries)
    for k in order:
        out += data[k].ljust(sectors_of[k] * _SECTOR, b"\x00")
    return bytes(out)


MODULE1_SOURCE = (
    'Attribute VB_Name = "Module1"\r\n'
    "Sub Uppdatera()\r\n"
    '    RunPython "import addin.handlers as h; h.uppdatera()"\r\n'
    "End Sub\r\n"
)
THISWORKBOOK_SOURCE = 'Attribute VB_Name = "ThisWorkbook"\r\nAttribute VB_Base = "0{00020819-0000-0000-C000-000000000046}"\r\n'


def make_vba_project() -> bytes:
    """``vbaProject.bin`` for the fixture (see the module docstring for what it is and is not)."""
    project = (
        'ID="{5A6E1C3B-0000-4000-8000-00000000C0DE}"\r\n'
        "Document=ThisWorkbook/&H00000000\r\n"
        "Module=Module1\r\n"
        'Name="VBAProject"\r\n'
        'HelpContextID="0"\r\n'
        'VersionCompatible32="393222000"\r\n'
        'CMG=""\r\nDPB=""\r\nGC=""\r\n\r\n'
        "[Host Extender Info]\r\n&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000\r\n"
    ).encode("cp1252")
    return make_cfb(
        {
            "PROJECT": project,
            "PROJECTwm": b"ThisWorkbook\x00T\x00h\x00i\x00s\x00W\x00o\x00r\x00k\x00b\x00o\x00o"
            b"\x00k\x00\x00\x00Module1\x00M\x00o\x00d\x00u\x00l\x00e\x001\x00\x00\x00\x00",
            "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00",
            "VBA/dir": ovba_compress(b"kommunbudget test fixture: placeholder dir stream"),
            "VBA/Module1": ovba_compress(MODULE1_SOURCE.encode("cp1252")),
            "VBA/ThisWorkbook": ovba_compress(THISWORKBOOK_SOURCE.encode("cp1252")),
        }
    )


# ---------------------------------------------------------------------------------------------
# The fixture workbook

TABLE_ROWS = [
    # Nämnd, År, Belopp, Datum
    ("Kommunstyrelsen", 2025, 1250000.50, dt.date(2025, 1, 15)),
    ("Barn- och utbildningsnämnden", 2025, -350000, dt.date(2025, 2, 1)),
    ("Socialnämnden", 2026, None, dt.date(2025, 3, 1)),  # Belopp is an error value (below)
    ("Tekniska nämnden", 2026, 42.1, dt.date(2025, 4, 30)),
]


def build_fixture(path: str | Path, *, table_at: str = TABLE_ANCHOR, extra_columns: int = 0,
                  merged_header: bool = False, duplicate_header: bool = False) -> Path:
    """Write the fixture workbook (an ``.xlsm``) to ``path`` and return the path.

    ``table_at`` moves the input table (users insert rows and columns), ``extra_columns`` adds
    that many user columns before the table on the input sheet, ``merged_header`` merges two
    header cells, ``duplicate_header`` gives two columns the same header.
    """
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path))
    wb.set_vba_name("ThisWorkbook")
    wb.add_vba_project(io.BytesIO(make_vba_project()), is_stream=True)
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7"})
    money = wb.add_format({"num_format": "# ##0;-# ##0", "font_color": "#1F4E79"})
    money_col = wb.add_format({"num_format": "0.00", "italic": True})
    row_fmt = wb.add_format({"bg_color": "#FFF2CC"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    red = wb.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE"})

    ws = wb.add_worksheet(INPUT_SHEET)
    ws.write("A1", "Budget per nämnd (indata)", bold)
    r0, c0 = _rc(table_at)
    c0 += extra_columns
    for i in range(extra_columns):
        ws.write(r0, c0 - extra_columns + i, f"Egen kolumn {i + 1}")
    headers = list(TABLE_HEADERS)
    if duplicate_header:
        headers.append("Belopp 2")  # becomes "Belopp" in the sheet cell below
    last_col = c0 + len(headers) - 1
    data = []
    for n, ar, belopp, datum in TABLE_ROWS:
        row = [n, ar, belopp, datum]
        if duplicate_header:
            row.append(1)
        data.append(row)
    ws.add_table(
        r0,
        c0,
        r0 + len(data),
        last_col,
        {
            "name": TABLE_NAME,
            "columns": [{"header": h} for h in headers],
            "data": data,
            "style": "Table Style Medium 2",
        },
    )
    # The table's Datum column needs a date format, and one Belopp cell an error value.
    for i, (*_, datum) in enumerate(TABLE_ROWS):
        ws.write_datetime(r0 + 1 + i, c0 + 3, dt.datetime.combine(datum, dt.time()), date_fmt)
    ws.write_formula(r0 + 3, c0 + 2, "=1/0", money, "#DIV/0!")
    if duplicate_header:
        # XlsxWriter (like Excel) refuses duplicate column names; overwrite the header cell.
        ws.write_string(r0, last_col, " belopp")
    merge_ref = None
    if merged_header:
        # Neither Excel nor XlsxWriter merge cells inside a table, but files made by other tools
        # can have it: the merge is added to the sheet XML after the build (see below).
        merge_ref = f"{_a1(r0, c0 + 2)}:{_a1(r0, c0 + 3)}"
    ws.data_validation(
        r0 + 1,
        c0,
        r0 + 20,
        c0,
        {"validate": "list", "source": ["Kommunstyrelsen", "Socialnämnden", "Tekniska nämnden"]},
    )
    ws.conditional_format(r0 + 1, c0 + 2, r0 + 20, c0 + 2,
                          {"type": "cell", "criteria": "<", "value": 0, "format": red})
    ws.write_comment("A1", "Skriv bara i tabellen Budget.", {"author": "Ekonomikontoret"})
    ws.insert_image("J2", "flagga.png", {"image_data": io.BytesIO(make_png())})
    ws.insert_button("J10", {"macro": MACRO, "caption": "Uppdatera", "width": 96, "height": 28})
    ws.write("L3", "Invånare", bold)
    ws.write_number("M3", 15230)

    out = wb.add_worksheet(OWNED_SHEET)
    out.set_column("E:E", 12, money_col)  # column style: new cells in E get it
    out.set_row(11, None, row_fmt)  # row 12 is custom-formatted: new cells in it get row_fmt
    out.write_row("A1", ["Nämnd", "Netto", "Dubbelt"], bold)
    for i, (n, _, belopp, _) in enumerate(TABLE_ROWS):
        out.write_string(1 + i, 0, n)
        out.write_number(1 + i, 1, belopp or 0, money)
        out.write_formula(1 + i, 2, f"=B{i + 2}*2", money, (belopp or 0) * 2)
    out.write_blank("B8", None, money)  # styled but empty
    out.write_comment("A1", "Detta blad skrivs av kommunbudget.", {"author": "kommunbudget"})
    out.conditional_format("B2:B7", {"type": "cell", "criteria": "<", "value": 0, "format": red})
    out.data_validation("F2:F7", {"validate": "list", "source": ["ja", "nej"]})
    chart = wb.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "Netto",
            "categories": f"={OWNED_SHEET}!$A$2:$A$5",
            "values": f"={OWNED_SHEET}!$B$2:$B$5",
        }
    )
    chart.set_title({"name": "Netto per nämnd"})
    out.insert_chart("H2", chart)

    notes = wb.add_worksheet(NOTES_SHEET)
    notes.write("A1", "Fritext som användaren skrivit")
    notes.write("A2", "Kommunstyrelsen")  # same string as on Resultat: one shared string

    wb.define_name("Invanare", f"={INPUT_SHEET}!$M$3")
    wb.define_name("Netto", f"={OWNED_SHEET}!$B$2:$B$5")
    wb.define_name(f"{OWNED_SHEET}!Utskriftsomrade", f"={OWNED_SHEET}!$A$1:$C$5")
    wb.close()
    _as_if_saved_by_excel(path, merge_ref)
    return path


def _as_if_saved_by_excel(path: Path, merge_ref: str | None = None) -> None:
    """XlsxWriter asks for a full recalculation on open; a file saved by Excel does not
    (``<calcPr calcId="191029"/>``). Make the fixture look like the latter so the writer's
    calcPr edit is exercised, and add a merged range on the input sheet if asked.
    (Rewrites the fixture zip with the standard library.)"""
    import zipfile

    with zipfile.ZipFile(path) as src:
        items = [(info, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w") as dst:
        for info, data in items:
            # Compress like another program would (fast deflate; media and the VBA project
            # stored), so an entry recompressed by the writer would no longer be byte-identical.
            if info.filename.endswith((".png", ".bin")):
                info.compress_type = zipfile.ZIP_STORED
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                info._compresslevel = 1
            if info.filename == "xl/workbook.xml":
                data = data.replace(
                    b'<calcPr calcId="124519" fullCalcOnLoad="1"/>', b'<calcPr calcId="191029"/>'
                )
            if merge_ref and info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b"</sheetData>",
                    b'</sheetData><mergeCells count="1"><mergeCell ref="'
                    + merge_ref.encode()
                    + b'"/></mergeCells>',
                )
            dst.writestr(info, data)


def _a1(row: int, col: int) -> str:
    """Zero-based (row, col) → "B3"."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _rc(a1: str) -> tuple[int, int]:
    """"B3" → (2, 1) zero-based (XlsxWriter's row, col)."""
    letters = "".join(ch for ch in a1 if ch.isalpha())
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return int(a1[len(letters):]) - 1, col - 1


# ---------------------------------------------------------------------------------------------
# An error value written into a sheet's XML

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _col_of(ref: str) -> int:
    n = 0
    for ch in ref.rstrip("0123456789"):
        n = n * 26 + ord(ch) - 64
    return n


def _edit_cells(path: Path, sheet: str, values: dict[str, object],
                fill: Callable[[etree._Element, object], None]) -> None:
    """Edit the cells ``sheet!ref`` of the sheet XML: each cell (made, in its row in column
    order, when missing; a missing cell stays missing for ``None``) is emptied of its children
    and handed to ``fill`` with its value; every other part is copied byte for byte."""
    from workbook_templates.files.reader import workbook_structure

    with zipfile.ZipFile(path) as z:
        part = workbook_structure(z).sheet(sheet).part
        entries = [(i, z.read(i)) for i in z.infolist()]
    root = etree.fromstring(next(data for i, data in entries if i.filename == part))
    sd = root.find(f"{{{_MAIN_NS}}}sheetData")
    for ref, value in values.items():
        row_no = int(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        row = next((r for r in sd if int(r.get("r")) == row_no), None)
        if row is None:
            if value is None:
                continue
            row = etree.Element(f"{{{_MAIN_NS}}}row", r=str(row_no))
            later = [r for r in sd if int(r.get("r")) > row_no]
            (later[0].addprevious(row) if later else sd.append(row))
        cell = next((c for c in row if c.get("r") == ref), None)
        if cell is None:
            if value is None:
                continue
            cell = etree.Element(f"{{{_MAIN_NS}}}c", r=ref)
            later = [c for c in row if _col_of(c.get("r")) > _col_of(ref)]
            (later[0].addprevious(cell) if later else row.append(cell))
        for child in list(cell):
            cell.remove(child)
        fill(cell, value)
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, old in entries:
            z.writestr(info, data if info.filename == part else old)


def with_raw_values(path: Path, sheet: str, values: dict[str, str]) -> None:
    """Make each ``sheet!ref`` a number cell holding the raw text ``<v>text</v>`` (``inf``,
    ``nan``: what no spreadsheet writes, but a tool may), by editing the sheet XML."""

    def fill(cell: etree._Element, text: object) -> None:
        cell.attrib.pop("t", None)
        etree.SubElement(cell, f"{{{_MAIN_NS}}}v").text = str(text)

    _edit_cells(path, sheet, dict(values), fill)


def with_error(path: Path, sheet: str, ref: str, code: str) -> None:
    """Make ``sheet!ref`` an error cell ``<c r=ref t="e"><v>code</v></c>`` by editing the sheet
    XML (the cell replaced, or added to its row in column order); every other part is copied."""

    def fill(cell: etree._Element, value: object) -> None:
        cell.set("t", "e")
        etree.SubElement(cell, f"{{{_MAIN_NS}}}v").text = str(value)

    _edit_cells(path, sheet, {ref: code}, fill)
    with zipfile.ZipFile(path) as z:
        from workbook_templates.files.reader import workbook_structure

        data = z.read(workbook_structure(z).sheet(sheet).part)
    assert f'<c r="{ref}"'.encode() in data and f"<v>{code}</v>".encode() in data


def with_cells(path: Path, sheet: str, values: dict[str, str | None]) -> None:
    """Make each ``sheet!ref`` an inline text cell ``<c r=ref t="inlineStr"><is><t>text</t></is>``
    (a typo typed in the cell), or, for ``None``, remove the cell's value (the cell emptied), by
    editing the sheet XML: the cell's style and every other part are kept."""

    def fill(cell: etree._Element, text: object) -> None:
        if text is None:
            cell.attrib.pop("t", None)  # an empty cell keeps its style (as Excel's Delete does)
            return
        cell.set("t", "inlineStr")
        is_ = etree.SubElement(cell, f"{{{_MAIN_NS}}}is")
        etree.SubElement(is_, f"{{{_MAIN_NS}}}t").text = str(text)

    _edit_cells(path, sheet, dict(values), fill)

