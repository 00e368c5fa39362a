"""Safety gate: every workbook passes here before the reader or the writer opens it.

A controller's workbook is an untrusted file: it may come by mail, from another municipality or
from a shared drive. ``check_workbook`` looks at the file without trusting anything in it and
returns findings (rule ``IN``); a finding with severity ``ERROR`` means *refuse this file*. The gate
never raises, never writes to the file, and works within bounded time and memory:

* it reads the file only through ``open(path, "rb")``;
* before decompressing anything it checks the zip's end record, the declared sizes and the
  compression ratios (a zip bomb is refused from its directory alone);
* it decompresses entries as a stream in chunks with a running byte cap (``Limits``), never a whole
  entry at once;
* every XML part is scanned for a document type declaration (``<!DOCTYPE``/``<!ENTITY``: entity
  expansion, "billion laughs", external entities, XXE) and parsed with a parser that resolves no
  entities, loads no DTD, uses no network and keeps libxml2's size limits (``safe_xml_parser``);
  sheets are parsed as a stream without building a tree; only a few small package parts
  (content types, relationships, external links; ``Limits.max_small_part``) become trees.

Threats and decisions (docs/RELIABILITY.md, "Hostile files", has the full table):

* not a zip (CSV, HTML, legacy ``.xls``, password-protected OOXML which is an OLE/CFB container
  holding ``EncryptedPackage``) or not OOXML (OpenDocument ``.ods``): ERROR, the message says
  what the file seems to be;
* unreadable (held open by another program, permissions, network drive): ERROR;
* truncated or damaged zip (no end record, bad CRC, bad local header): ERROR;
* zip bomb (total or per-entry uncompressed size, ratio, entry count, overlapping entries): ERROR;
* DTD in any XML part: ERROR; malformed XML in a package part: ERROR;
* ``.xlsm`` renamed ``.xlsx`` (macro-enabled workbook content type or ``vbaProject.bin`` while the
  extension is ``.xlsx``/``.xltx``): ERROR. Excel itself refuses to open such a file, and a writer
  saving it as ``.xlsx`` would silently drop the macros. A ``.xlsm`` without macros is a WARNING;
* external links (``xl/externalLinks/*``) and data connections: WARNING listing the targets; the
  add-in never follows them;
* missing required parts (``[Content_Types].xml``, the workbook part, its relationships): ERROR;
* unsafe entry names (``../``, absolute paths, backslashes, drive letters) and duplicate entry names
  (also when they differ only in case, since OPC part names are case-insensitive): ERROR.

Public API: ``check_workbook``, ``inspect_workbook`` (findings plus the number of bytes the gate
decompressed), ``Limits``, ``safe_xml_parser``, ``parse_part``, ``UnsafePartError``.
"""

from __future__ import annotations

import errno
import hashlib
import posixpath
import re
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from engine.findings import Finding, Location, Severity

__all__ = [
    "DEFAULT_LIMITS",
    "GateReport",
    "Limits",
    "UnsafePartError",
    "check_workbook",
    "inspect_workbook",
    "parse_part",
    "safe_xml_parser",
]

KB = 1024
MB = 1024 * KB

RULE = "IN"


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds the gate enforces. All sizes in bytes. Pass your own to ``check_workbook``.

    max_file_bytes             size of the file on disk
    max_total_uncompressed     sum of the uncompressed sizes of all entries (declared and actual)
    max_entry_uncompressed     uncompressed size of any one entry (declared and actual)
    max_ratio                  uncompressed/compressed size of one entry; only checked for entries
                               whose uncompressed size is at least ``ratio_min_bytes`` (small parts
                               of repeated XML legitimately compress very well)
    ratio_min_bytes            see ``max_ratio``
    max_entries                number of entries in the zip directory
    max_central_directory      size of the zip directory (read into memory by ``zipfile``)
    max_small_part             cap for the small parts the gate parses into a tree
                               (``[Content_Types].xml``, relationships, external links)
    chunk_bytes                how much is decompressed at a time
    """

    max_file_bytes: int = 100 * MB
    max_total_uncompressed: int = 200 * MB
    max_entry_uncompressed: int = 100 * MB
    max_ratio: float = 100.0
    ratio_min_bytes: int = 1 * MB
    max_entries: int = 10_000
    max_central_directory: int = 4 * MB
    max_small_part: int = 4 * MB
    chunk_bytes: int = 64 * KB


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class GateReport:
    """What the gate found. ``codes[i]`` is a stable English key for ``findings[i]`` (for logs and
    tests; messages may be reworded). ``bytes_decompressed`` is how many uncompressed bytes the
    gate produced in total; it never exceeds ``limits.max_total_uncompressed`` plus one chunk."""

    findings: tuple[Finding, ...]
    codes: tuple[str, ...]
    bytes_decompressed: int
    entries_checked: int
    #: (name, blake2b of the decompressed content) of every entry the gate decompressed whole
    #: without a problem, in the zip's order (what was checked; a refresh keys its read on it)
    part_digests: tuple[tuple[str, str], ...] = ()
    #: blake2b of the XML parts this run parsed and found well-formed (for the caller to
    #: remember: ``inspect_workbook(known_wellformed=...)`` does not parse them again)
    wellformed: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings that refuse the file, in order (none: it passed)."""
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    def covers(self, names: Collection[str]) -> bool:
        """Whether the gate decompressed whole exactly the entries ``names`` of the package,
        each once (its part digests name each of them once, and nothing else): then the
        digests stand for the whole package's content."""
        digests = dict(self.part_digests)
        return len(digests) == len(self.part_digests) and digests.keys() == set(names)


class UnsafePartError(ValueError):
    """Raised by ``parse_part`` when a part is too big, declares a DTD or is not well-formed XML.
    ``str(error)`` is a Swedish message fit for a finding; ``code`` is a stable key."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------------------------
# XML


def safe_xml_parser(**kwargs: object) -> etree.XMLParser:
    """An lxml parser that resolves no entities, loads no DTD, touches no network and keeps
    libxml2's limits on text size and nesting depth. A new parser per call (not thread-safe)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        **kwargs,
    )


_DTD_MARKERS = tuple(
    marker.encode(enc)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for enc in ("ascii", "utf-16-le", "utf-16-be")
)
_MARKER_OVERLAP = max(len(m) for m in _DTD_MARKERS)


class _DtdScanner:
    """Finds ``<!DOCTYPE``/``<!ENTITY`` (any case, UTF-8 or UTF-16) across chunk boundaries."""

    def __init__(self) -> None:
        self._tail = b""
        self.found = False

    def feed(self, chunk: bytes) -> bool:
        if not self.found:
            window = self._tail + chunk
            # every marker, in each encoding, holds the byte "!" (0x21), which upper() keeps:
            # a window without one cannot hold a marker (most parts have none; issue 17)
            if b"!" in window:
                window = window.upper()
                self.found = any(m in window for m in _DTD_MARKERS)
            self._tail = window[-_MARKER_OVERLAP:]
        return self.found


class _NullTarget:
    """Parser target that builds nothing; only notes a doctype (second line of defence)."""

    def __init__(self) -> None:
        self.doctype_seen = False

    def doctype(self, *_args: object) -> None:
        self.doctype_seen = True

    def close(self) -> None:
        return None


def _dtd_message(part: str) -> str:
    return (
        f"Delen {part} innehåller en dokumenttypdeklaration (<!DOCTYPE>/<!ENTITY>). Excel skriver "
        "aldrig sådana; de används för attacker (entitetsexpansion, 'billion laughs', och externa "
        "entiteter som läser filer på datorn). Filen öppnas inte. Öppna den inte i andra program "
        "heller; be avsändaren om en ny kopia som sparats direkt från Excel."
    )


def _read_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, chunk: int) -> bytes:
    """The entry's bytes, decompressed as a stream; raises UnsafePartError past ``cap``."""
    if info.file_size > cap:
        raise UnsafePartError(
            "part_too_large",
            f"Delen {info.filename} är {info.file_size} byte uppackad, mer än gränsen {cap} byte. "
            "Filen öppnas inte; spara om arbetsboken i Excel eller kontrollera var den kommer ifrån.",
        )
    out = bytearray()
    with zf.open(info) as fh:
        while True:
            data = fh.read(chunk)
            if not data:
                break
            out += data
            if len(out) > cap:
                raise UnsafePartError(
                    "part_too_large",
                    f"Delen {info.filename} packas upp till mer än gränsen {cap} byte. Filen "
                    "öppnas inte; spara om arbetsboken i Excel.",
                )
    return bytes(out)


def parse_part(zf: zipfile.ZipFile, name: str, max_bytes: int) -> etree._Element:
    """Parse one XML part of an already opened workbook, safely.

    Reads at most ``max_bytes`` uncompressed bytes (streaming), refuses any document type
    declaration and parses with ``safe_xml_parser``. Raises ``KeyError`` if the part is missing
    and ``UnsafePartError`` (Swedish message) if it is too big, declares a DTD or is not XML.
    Zip-level errors (``zipfile.BadZipFile``, ``zlib.error``) pass through.
    """
    info = zf.getinfo(name)
    data = _read_capped(zf, info, max_bytes, 64 * KB)
    scanner = _DtdScanner()
    if scanner.feed(data):
        raise UnsafePartError("xml_dtd", _dtd_message(name))
    try:
        root = etree.fromstring(data, safe_xml_parser())
    except etree.LxmlError as exc:
        raise UnsafePartError("xml_malformed", _malformed_message(name, exc)) from None
    if root is None or root.getroottree().docinfo.doctype:
        raise UnsafePartError("xml_dtd", _dtd_message(name))
    return root


def _malformed_message(part: str, exc: Exception) -> str:
    return (
        f"Delen {part} är inte giltig XML ({_short(exc)}). Arbetsboken är skadad eller skapad av "
        "ett program som inte följer formatet. Öppna den i Excel och spara om den, eller återställ "
        "en tidigare version."
    )


def _short(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------
# Gate context


@dataclass(slots=True)
class _Gate:
    path: Path
    limits: Limits
    found: list[tuple[str, Finding]] = field(default_factory=list)
    zf: zipfile.ZipFile | None = None
    infos: list[zipfile.ZipInfo] = field(default_factory=list)
    skip: set[int] = field(default_factory=set)  # indexes of entries not to decompress
    unsafe_parts: set[str] = field(default_factory=set)
    bytes_decompressed: int = 0
    entries_checked: int = 0
    part_digests: list[tuple[str, str]] = field(default_factory=list)
    #: digests of XML content parsed well-formed before (skipped), and of what this run parsed
    known_wellformed: Collection[str] | None = None
    wellformed: list[str] = field(default_factory=list)

    def add(self, code: str, severity: Severity, message: str, part: str | None = None) -> None:
        location = Location(workbook=self.path.name)
        self.found.append((code, Finding(RULE, severity, message, part, None, location)))

    def error(self, code: str, message: str, part: str | None = None) -> None:
        self.add(code, Severity.ERROR, message, part)

    def warning(self, code: str, message: str, part: str | None = None) -> None:
        self.add(code, Severity.WARNING, message, part)

    @property
    def refused(self) -> bool:
        return any(f.severity is Severity.ERROR for _, f in self.found)

    def names(self) -> set[str]:
        return {i.filename for i in self.infos}

    def info(self, name: str) -> zipfile.ZipInfo | None:
        matches = [i for i in self.infos if i.filename == name]
        return matches[-1] if matches else None


# Exceptions that a damaged or hostile zip can raise from zipfile/zlib/struct.
_ZIP_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    struct.error,
    ValueError,
    NotImplementedError,
    OverflowError,
    RuntimeError,
    OSError,
    KeyError,
    IndexError,
)


def _mb(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB // 10 else f"{n} byte"


# --------------------------------------------------------------------------------------------
# Checks on the raw file (before zipfile touches it)

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_file(g: _Gate) -> None:
    """The path is a readable, non-empty regular file within the size limit."""
    try:
        if not g.path.exists():
            g.error("missing_file", f"Filen {g.path} finns inte. Kontrollera sökvägen.")
            return
        if not g.path.is_file():
            g.error("not_a_file", f"{g.path} är ingen vanlig fil. Välj en Excel-arbetsbok.")
            return
        size = g.path.stat().st_size
    except OSError as exc:
        _unreadable(g, exc)
        return
    if size == 0:
        g.error("empty_file", "Filen är tom (0 byte). Återställ en tidigare version av filen.")
    elif size > g.limits.max_file_bytes:
        g.error(
            "file_too_large",
            f"Filen är {_mb(size)}, mer än gränsen {_mb(g.limits.max_file_bytes)}. En budget-"
            "arbetsbok är normalt några MB; kontrollera att det är rätt fil och ta bort inklistrade "
            "bilder eller stora rådatablad.",
        )


def check_signature(g: _Gate) -> None:
    """The file starts like a zip (OOXML). Otherwise say what it seems to be instead."""
    with g.path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith((_ZIP_MAGIC, _EMPTY_ZIP_MAGIC)):
        return
    if head.startswith(_OLE_MAGIC):
        kind = _ole_kind(g.path)
        if kind == "encrypted":
            g.error(
                "encrypted",
                "Arbetsboken är lösenordsskyddad (krypterad). Kommunbudget kan inte läsa "
                "krypterade filer. Öppna den i Excel, ta bort lösenordet (Arkiv > Information > "
                "Skydda arbetsbok > Kryptera med lösenord, töm fältet) och spara den igen.",
            )
        elif kind == "xls":
            g.error(
                "legacy_xls",
                "Filen är en arbetsbok i det gamla Excel 97–2003-formatet (.xls), även om "
                "filändelsen säger något annat. Öppna den i Excel och spara som Excel-arbetsbok "
                "(.xlsx).",
            )
        else:
            g.error(
                "ole_other",
                "Filen är ett äldre Office-dokument (OLE-format), inte en Excel-arbetsbok "
                "(.xlsx). Öppna den i rätt program och spara som Excel-arbetsbok (.xlsx).",
            )
        return
    if _looks_like_text(head):
        lowered = head.lower()
        if b"<html" in lowered or b"<table" in lowered or b"<?xml" in lowered:
            what = "en HTML- eller XML-fil (t.ex. en webbexport)"
        else:
            what = "en textfil (t.ex. CSV)"
        g.error(
            "not_zip_text",
            f"Filen är {what}, inte en Excel-arbetsbok, även om filändelsen säger något annat. "
            "Öppna den i Excel och spara som Excel-arbetsbok (.xlsx).",
        )
        return
    g.error(
        "not_zip",
        "Filen är inte en Excel-arbetsbok (.xlsx/.xlsm): den saknar zip-signaturen som sådana "
        "filer börjar med. Kontrollera att det är rätt fil; spara den annars som Excel-arbetsbok.",
    )


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            return True
    if b"\x00" in head:
        return False
    printable = sum(1 for b in head if b >= 0x20 or b in (9, 10, 13))
    return printable / len(head) > 0.95


def _ole_kind(path: Path) -> str:
    """'encrypted', 'xls' or 'other' from the directory of an OLE/CFB file; bounded reads."""
    try:
        names = _cfb_names(path)
    except (OSError, struct.error, ValueError):
        return "other"
    if "EncryptedPackage" in names or "EncryptionInfo" in names:
        return "encrypted"
    if "Workbook" in names or "Book" in names:
        return "xls"
    return "other"


def _cfb_names(path: Path, max_sectors: int = 4096) -> set[str]:
    """Names in the directory of a Compound File Binary (MS-CFB), following the FAT chain with a
    bound on its length and a loop check. Only the header's 109 DIFAT slots are used, which
    covers files up to about 7 MB of FAT-addressed data with 512-byte sectors."""
    with path.open("rb") as fh:
        header = fh.read(512)
        if len(header) < 512 or not header.startswith(_OLE_MAGIC):
            raise ValueError("not CFB")
        shift = struct.unpack_from("<H", header, 30)[0]
        if shift not in (9, 12):
            raise ValueError("bad sector shift")
        size = 1 << shift
        n_fat = struct.unpack_from("<I", header, 44)[0]
        first_dir = struct.unpack_from("<I", header, 48)[0]
        difat = struct.unpack_from("<109I", header, 76)[: min(n_fat, 109)]

        def sector(n: int) -> bytes:
            fh.seek((n + 1) * size)
            data = fh.read(size)
            if len(data) < size:
                raise ValueError("sector past end")
            return data

        fat: list[int] = []
        for s in difat:
            if s >= 0xFFFFFFFA:
                break
            fat.extend(struct.unpack(f"<{size // 4}I", sector(s)))
        names: set[str] = set()
        seen: set[int] = set()
        cur = first_dir
        while cur < 0xFFFFFFFA and cur not in seen and len(seen) < max_sectors:
            seen.add(cur)
            data = sector(cur)
            for off in range(0, size, 128):
                name_len = struct.unpack_from("<H", data, off + 64)[0]
                kind = data[off + 66]
                if kind in (1, 2, 5) and 2 <= name_len <= 64:
                    names.add(data[off : off + name_len - 2].decode("utf-16-le", "replace"))
            cur = fat[cur] if cur < len(fat) else 0xFFFFFFFE
        return names


def check_end_record(g: _Gate) -> None:
    """The zip's end-of-central-directory record exists and declares a sane directory
    (entry count and size) before ``zipfile`` loads it into memory."""
    size = g.path.stat().st_size
    with g.path.open("rb") as fh:
        tail_len = min(size, 22 + 65535)
        fh.seek(size - tail_len)
        tail = fh.read(tail_len)
        pos = tail.rfind(b"PK\x05\x06")
        if pos < 0 or len(tail) - pos < 22:
            _truncated(g, "zip-filens slutpost saknas")
            return
        eocd_at = size - tail_len + pos
        entries = struct.unpack_from("<H", tail, pos + 10)[0]
        cd_size = struct.unpack_from("<I", tail, pos + 12)[0]
        if (entries == 0xFFFF or cd_size == 0xFFFFFFFF) and pos >= 20:
            loc = tail[pos - 20 : pos]
            if loc.startswith(b"PK\x06\x07"):
                z64_off = struct.unpack_from("<Q", loc, 8)[0]
                if z64_off + 56 <= size:
                    fh.seek(z64_off)
                    rec = fh.read(56)
                    if rec.startswith(b"PK\x06\x06"):
                        entries = struct.unpack_from("<Q", rec, 32)[0]
                        cd_size = struct.unpack_from("<Q", rec, 40)[0]
    if entries > g.limits.max_entries:
        g.error(
            "too_many_entries",
            f"Zip-filen uppger {entries} delar, fler än gränsen {g.limits.max_entries}. Filen kan "
            "vara en så kallad zip-bomb och öppnas inte. Kontrollera var den kommer ifrån.",
        )
    elif cd_size > g.limits.max_central_directory:
        g.error(
            "directory_too_large",
            f"Zip-filens innehållsförteckning är {_mb(cd_size)}, mer än gränsen "
            f"{_mb(g.limits.max_central_directory)}. Filen öppnas inte; kontrollera var den "
            "kommer ifrån.",
        )
    elif cd_size > eocd_at:
        _truncated(g, "zip-filens innehållsförteckning är större än filen")


def _truncated(g: _Gate, detail: str) -> None:
    g.error(
        "truncated",
        f"Filen är avkortad eller skadad ({detail}). Den kan ha kopierats eller laddats ned "
        "ofullständigt. Hämta en ny kopia, eller återställ en tidigare version av filen.",
    )


def open_zip(g: _Gate) -> None:
    """Open the zip directory (bounded by ``check_end_record``)."""
    try:
        g.zf = zipfile.ZipFile(g.path)
        g.infos = g.zf.infolist()
    except OSError as exc:
        if exc.errno == errno.EINVAL:  # a seek to a negative offset: damaged directory
            _truncated(g, f"zip-strukturen kan inte läsas: {_short(exc)}")
        else:
            _unreadable(g, exc)
    except _ZIP_ERRORS as exc:
        _truncated(g, f"zip-strukturen kan inte läsas: {_short(exc)}")
        if g.zf is not None:
            g.zf.close()
            g.zf = None


# --------------------------------------------------------------------------------------------
# Checks on the zip directory (nothing decompressed yet)

_DRIVE = re.compile(r"^[A-Za-z]:")


def check_entry_names(g: _Gate) -> None:
    """No entry name may leave the package: no '..' segment, absolute path, backslash, drive
    letter or control character."""
    for i, info in enumerate(g.infos):
        name = info.filename
        segments = name.split("/")
        bad = (
            name.startswith("/")
            or "\\" in name
            or ".." in segments
            or _DRIVE.match(name) is not None
            or any(ord(c) < 0x20 for c in name)
        )
        if bad:
            g.skip.add(i)
            g.error(
                "path_traversal",
                f"Zip-filen innehåller delen '{name}' vars namn pekar utanför arbetsboken "
                "('../', absolut sökväg eller enhetsbokstav). Excel skapar aldrig sådana namn; "
                "filen kan vara manipulerad och öppnas inte. Be om en ny kopia sparad från Excel.",
                name,
            )


def check_duplicate_names(g: _Gate) -> None:
    """Each part name occurs once (case-insensitively: OPC part names ignore case). With
    duplicates, different programs read different contents."""
    counts = Counter(info.filename.lower() for info in g.infos)
    for name, n in sorted(counts.items()):
        if n > 1:
            g.error(
                "duplicate_name",
                f"Zip-filen innehåller delen '{name}' {n} gånger. Då kan olika program läsa olika "
                "innehåll; filen kan vara manipulerad och öppnas inte. Öppna den i Excel och spara "
                "om den, eller be om en ny kopia.",
                name,
            )


def check_entry_flags(g: _Gate) -> None:
    """Entries are stored or deflated (what Excel writes) and not zip-encrypted."""
    for i, info in enumerate(g.infos):
        if info.flag_bits & 0x1:
            g.skip.add(i)
            g.error(
                "zip_encrypted",
                f"Delen {info.filename} är krypterad i zip-filen. Excel krypterar aldrig så; "
                "filen öppnas inte. Spara om arbetsboken från Excel utan lösenord.",
                info.filename,
            )
        elif info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            g.skip.add(i)
            g.error(
                "zip_method",
                f"Delen {info.filename} är packad med en metod ({info.compress_type}) som Excel "
                "inte använder. Filen öppnas inte; öppna den i Excel och spara om den.",
                info.filename,
            )


def check_declared_sizes(g: _Gate) -> None:
    """Zip bomb, from the directory alone: total and per-entry uncompressed size and the
    compression ratio of big entries. Entries over a limit are never decompressed. One finding
    per kind of excess, naming the parts (at most five)."""
    lim = g.limits
    total = 0
    too_big: list[str] = []
    too_packed: list[str] = []
    for i, info in enumerate(g.infos):
        total += info.file_size
        if info.file_size > lim.max_entry_uncompressed:
            g.skip.add(i)
            too_big.append(f"{info.filename} ({_mb(info.file_size)})")
        elif info.file_size >= lim.ratio_min_bytes and (
            info.compress_size == 0 or info.file_size / info.compress_size > lim.max_ratio
        ):
            g.skip.add(i)
            ratio = info.file_size / max(info.compress_size, 1)
            too_packed.append(f"{info.filename} ({ratio:.0f} gånger)")
    if too_big:
        g.error(
            "zip_bomb",
            f"Delar som packas upp till mer än gränsen {_mb(lim.max_entry_uncompressed)} per del: "
            f"{_listing(too_big)}. Filen kan vara en så kallad zip-bomb och öppnas inte. "
            "Kontrollera var den kommer ifrån; spara annars om den i Excel.",
            too_big[0].split(" (")[0],
        )
    if too_packed:
        g.error(
            "zip_bomb",
            f"Delar som är packade hårdare än gränsen {lim.max_ratio:.0f} gånger: "
            f"{_listing(too_packed)}. Så hög packningsgrad har inga riktiga kalkylblad; filen kan "
            "vara en så kallad zip-bomb och öppnas inte. Kontrollera var den kommer ifrån.",
            too_packed[0].split(" (")[0],
        )
    if total > lim.max_total_uncompressed:
        g.skip.update(range(len(g.infos)))
        g.error(
            "zip_bomb",
            f"Arbetsboken packas upp till {_mb(total)} totalt, mer än gränsen "
            f"{_mb(lim.max_total_uncompressed)}. Filen kan vara en så kallad zip-bomb och öppnas "
            "inte. Kontrollera var den kommer ifrån; ta annars bort stora bilder och rådata.",
        )


def _listing(items: list[str], shown: int = 5) -> str:
    head = ", ".join(items[:shown])
    return head + (f" och {len(items) - shown} till" if len(items) > shown else "")


def check_overlapping_entries(g: _Gate) -> None:
    """Entries must not share compressed data (the trick behind non-recursive zip bombs)."""
    spans = sorted(
        (info.header_offset, info.header_offset + 30 + info.compress_size, info.filename)
        for info in g.infos
    )
    for (start, end, name), (next_start, _, next_name) in zip(spans, spans[1:], strict=False):
        if end > next_start:
            g.skip.update(range(len(g.infos)))
            g.error(
                "overlapping_entries",
                f"Delarna {name} och {next_name} delar samma data i zip-filen (start {start}, "
                f"{next_start}). Så ser en zip-bomb ut; Excel skapar aldrig sådana filer. Filen "
                "öppnas inte.",
                next_name,
            )
            return


# --------------------------------------------------------------------------------------------
# Streaming pass: integrity, running cap, XML safety

_XML_SUFFIXES = (".xml", ".rels")
_SCAN_ONLY_SUFFIXES = (".vml",)


def check_contents(g: _Gate) -> None:
    """Decompress every entry not already refused as a stream with a running byte cap, checking
    its CRC, scanning XML-like parts for a DTD and XML parts for well-formedness.

    A part whose content (blake2b) the caller knows to be well-formed (``g.known_wellformed``:
    parsed by this program before) is not parsed again; every other check runs. Up to
    :data:`_HOLD_BYTES` of a part is held until its digest is known; a larger part is parsed as
    it streams, as every part is without that knowledge."""
    assert g.zf is not None
    lim = g.limits
    known = g.known_wellformed
    for i, info in enumerate(g.infos):
        if i in g.skip:
            continue
        lower = info.filename.lower()
        is_xml = lower.endswith(_XML_SUFFIXES)
        scan = is_xml or lower.endswith(_SCAN_ONLY_SUFFIXES)
        scanner = _DtdScanner() if scan else None
        target = _NullTarget() if is_xml else None
        parser = safe_xml_parser(target=target) if target is not None else None
        xml_error: Exception | None = None
        entry_bytes = 0
        oversize = False
        whole = False  # read to its end (no cap, DTD or damage stopped the stream)
        digest = hashlib.blake2b(digest_size=20)
        held: list[bytes] | None = [] if parser is not None and known is not None else None
        g.entries_checked += 1

        def feed(chunk: bytes, parser: etree.XMLParser | None = parser,
                 target: _NullTarget | None = target) -> bool:
            """Parse ``chunk``; True when the stream should stop (the parser saw a DTD)."""
            nonlocal xml_error
            if xml_error is None:
                try:
                    parser.feed(chunk)  # type: ignore[union-attr]
                except etree.LxmlError as exc:
                    xml_error = exc
            return target is not None and target.doctype_seen

        try:
            with g.zf.open(info) as fh:
                while True:
                    remaining = lim.max_total_uncompressed - g.bytes_decompressed
                    chunk = fh.read(max(1, min(lim.chunk_bytes, remaining + 1)))
                    if not chunk:
                        whole = True
                        break
                    digest.update(chunk)
                    entry_bytes += len(chunk)
                    g.bytes_decompressed += len(chunk)
                    if entry_bytes > lim.max_entry_uncompressed or entry_bytes > info.file_size:
                        g.error(
                            "zip_bomb",
                            f"Delen {info.filename} packas upp till mer än den uppgivna storleken "
                            f"eller gränsen {_mb(lim.max_entry_uncompressed)}. Filen är "
                            "manipulerad eller skadad och öppnas inte.",
                            info.filename,
                        )
                        oversize = True
                        break
                    if g.bytes_decompressed > lim.max_total_uncompressed:
                        g.error(
                            "zip_bomb",
                            f"Arbetsboken packas upp till mer än gränsen "
                            f"{_mb(lim.max_total_uncompressed)}. Filen kan vara en så kallad "
                            "zip-bomb och öppnas inte.",
                        )
                        return
                    if scanner is not None and scanner.feed(chunk):
                        break
                    if held is not None:
                        held.append(chunk)
                        if entry_bytes <= _HOLD_BYTES:
                            continue
                        stop = any(feed(c) for c in held)  # too large to hold: parse from here
                        held = None
                        if stop:
                            break
                    elif parser is not None and feed(chunk):
                        break
        except _ZIP_ERRORS as exc:
            g.unsafe_parts.add(info.filename)
            g.error(
                "damaged_entry",
                f"Delen {info.filename} är skadad och kan inte packas upp ({_short(exc)}). Filen "
                "kan vara avkortad eller ändrad. Hämta en ny kopia eller återställ en tidigare "
                "version.",
                info.filename,
            )
            continue
        if oversize:
            g.unsafe_parts.add(info.filename)
            continue
        hexdigest = digest.hexdigest() if whole else None
        parsed = parser is not None
        if held is not None and whole and not (scanner is not None and scanner.found):
            if hexdigest in known:  # type: ignore[operator]
                parsed = False  # this very content parsed well-formed before: not again
            else:
                any(feed(c) for c in held)
        held = None
        if (scanner is not None and scanner.found) or (target is not None and target.doctype_seen):
            g.unsafe_parts.add(info.filename)
            g.error("xml_dtd", _dtd_message(info.filename), info.filename)
            continue
        if parsed and xml_error is None:
            try:
                parser.close()  # type: ignore[union-attr]
            except etree.LxmlError as exc:
                xml_error = exc
        if xml_error is not None:
            g.unsafe_parts.add(info.filename)
            _malformed(g, info.filename, xml_error)
        elif whole:
            g.part_digests.append((info.filename, hexdigest))  # type: ignore[arg-type]
            if parsed:
                g.wellformed.append(hexdigest)  # type: ignore[arg-type]


#: how much of one part the gate holds until it knows whether the content parsed before
_HOLD_BYTES = 16 * MB


def _malformed(g: _Gate, part: str, exc: Exception) -> None:
    # Parts Excel and openpyxl read are required to be XML; other XML (customXml, add-ins'
    # parts) is only a warning since the add-in never reads it.
    core = part.startswith(("xl/", "_rels/", "docProps/")) or part == "[Content_Types].xml"
    g.add(
        "xml_malformed",
        Severity.ERROR if core else Severity.WARNING,
        _malformed_message(part, exc),
        part,
    )


# --------------------------------------------------------------------------------------------
# Package checks (small parts parsed into trees, only if they passed the streaming pass)

_WB_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": "xlsm",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": "xltx",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": "xltm",
    "application/vnd.ms-excel.addin.macroEnabled.main+xml": "xlam",
    "application/vnd.ms-excel.sheet.binary.macroEnabled.main": "xlsb",
}
_MACRO_KINDS = {"xlsm", "xltm", "xlam", "xlsb"}
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CONTENT_TYPES = "[Content_Types].xml"


def _small_part(g: _Gate, name: str) -> etree._Element | None:
    """A small part parsed safely, or None (finding already added, or part unusable)."""
    info = g.info(name)
    if info is None or name in g.unsafe_parts or g.zf is None:
        return None
    try:
        return parse_part(g.zf, name, g.limits.max_small_part)
    except UnsafePartError as exc:
        g.unsafe_parts.add(name)
        g.error(exc.code, str(exc), name)
    except _ZIP_ERRORS as exc:
        g.unsafe_parts.add(name)
        g.error("damaged_entry", f"Delen {name} kan inte läsas ({_short(exc)}).", name)
    return None


def _workbook_part(g: _Gate) -> tuple[str, str | None]:
    """(workbook part name, kind from its content type or None)."""
    root = _small_part(g, _CONTENT_TYPES)
    if root is not None:
        for el in root.iter(f"{_CT_NS}Override"):
            kind = _WB_TYPES.get((el.get("ContentType") or "").strip())
            if kind:
                return (el.get("PartName") or "").lstrip("/"), kind
    return "xl/workbook.xml", None


def _opendocument(g: _Gate) -> bool:
    """An OpenDocument file (.ods, LibreOffice's own format): a zip whose ``mimetype`` entry names
    an OASIS type. Read with a 200-byte cap."""
    info = g.info("mimetype")
    if info is None or g.zf is None or info.filename in g.unsafe_parts:
        return False
    try:
        with g.zf.open(info) as fh:
            head = fh.read(200)
    except _ZIP_ERRORS:
        return False
    return head.startswith(b"application/vnd.oasis.opendocument")


def check_required_parts(g: _Gate) -> None:
    """``[Content_Types].xml``, the workbook part and the workbook's relationships exist. An
    OpenDocument spreadsheet gets one finding saying so instead."""
    names = g.names()
    if _CONTENT_TYPES not in names and _opendocument(g):
        g.error(
            "opendocument",
            "Filen är ett OpenDocument-kalkylblad (.ods, t.ex. från LibreOffice), inte en "
            "Excel-arbetsbok. Öppna den och spara som Excel-arbetsbok (.xlsx).",
        )
        return
    if _CONTENT_TYPES not in names:
        g.error(
            "missing_part",
            "Arbetsboken saknar delen [Content_Types].xml som varje Excel-fil har. Filen är skadad "
            "eller inte en Excel-arbetsbok. Öppna den i Excel och spara om den, eller återställ "
            "en tidigare version.",
            _CONTENT_TYPES,
        )
    wb, _kind = _workbook_part(g)
    if wb not in names:
        g.error(
            "missing_part",
            f"Arbetsboken saknar själva arbetsboksdelen ({wb}). Filen är skadad eller inte en "
            "Excel-arbetsbok. Återställ en tidigare version av filen.",
            wb,
        )
        return
    rels = posixpath.join(posixpath.dirname(wb), "_rels", posixpath.basename(wb) + ".rels")
    if rels not in names:
        g.error(
            "missing_part",
            f"Arbetsboken saknar delen {rels} som talar om var bladen finns. Filen är skadad; "
            "öppna den i Excel och spara om den, eller återställ en tidigare version.",
            rels,
        )


def check_macros(g: _Gate) -> None:
    """Extension and content match: a macro-enabled workbook (content type, or a
    ``vbaProject.bin``) named ``.xlsx``/``.xltx`` is refused: Excel will not open it and saving
    it as ``.xlsx`` would silently drop the macros. ``.xlsm`` without macros is a warning."""
    if _CONTENT_TYPES not in g.names():
        return
    wb, kind = _workbook_part(g)
    ext = g.path.suffix.lower().lstrip(".")
    has_vba = any(posixpath.basename(i.filename).lower() == "vbaproject.bin" for i in g.infos)
    if kind == "xlsb":
        g.error(
            "binary_workbook",
            "Filen är en binär Excel-arbetsbok (.xlsb). Kommunbudget läser bara .xlsx och .xlsm. "
            "Öppna den i Excel och spara som Excel-arbetsbok (.xlsx).",
            wb,
        )
        return
    macro = kind in _MACRO_KINDS or has_vba
    if ext in ("xlsx", "xltx") and macro:
        g.error(
            "macro_renamed",
            f"Filen heter .{ext} men innehåller en makroaktiverad arbetsbok (VBA-makron). Excel "
            "öppnar inte en sådan fil, och om den sparades som .xlsx skulle makrona försvinna. "
            "Byt filändelse till .xlsm (eller spara om den i Excel som Excel-arbetsbok med "
            "makron) och försök igen.",
            wb,
        )
    elif ext in ("xlsm", "xltm") and kind is not None and kind not in _MACRO_KINDS:
        g.warning(
            "macro_extension_mismatch",
            f"Filen heter .{ext} men är en vanlig arbetsbok utan makron; Excel vägrar öppna den med "
            "den filändelsen. Byt filändelse till .xlsx.",
            wb,
        )
    elif ext not in ("xlsx", "xlsm", "xltx", "xltm"):
        g.warning(
            "unexpected_extension",
            f"Filändelsen '.{ext}' är ovanlig för en Excel-arbetsbok. Spara filen som .xlsx.",
        )


_EXTERNAL_DIR = "xl/externalLinks/"


def check_external_links(g: _Gate) -> None:
    """External links (other workbooks, DDE, OLE) and data connections are listed in one
    WARNING each; the add-in never follows them and reads only the values cached in the file."""
    targets: list[str] = []
    for info in g.infos:
        name = info.filename
        if not name.startswith(_EXTERNAL_DIR) or "/_rels/" in name or not name.endswith(".xml"):
            continue
        rels_name = f"{_EXTERNAL_DIR}_rels/{posixpath.basename(name)}.rels"
        found = False
        rels = _small_part(g, rels_name)
        if rels is not None:
            for rel in rels.iter(f"{_REL_NS}Relationship"):
                target = rel.get("Target")
                if target:
                    targets.append(target)
                    found = True
        root = _small_part(g, name)
        if root is not None:
            for el in root.iter():
                tag = etree.QName(el).localname if isinstance(el.tag, str) else ""
                if tag == "ddeLink":
                    targets.append(f"DDE {el.get('ddeService')}|{el.get('ddeTopic')}")
                    found = True
                elif tag == "oleLink":
                    targets.append(f"OLE {el.get('progId')}")
                    found = True
        if not found:
            targets.append(f"(okänt mål i {name})")
    if targets:
        shown = _listing(targets, 10)
        g.warning(
            "external_links",
            f"Arbetsboken har externa länkar till: {shown}. Kommunbudget följer aldrig länkarna "
            "och läser bara de värden som är sparade i filen; de kan vara inaktuella. Uppdatera "
            "länkarna i Excel före körningen, eller bryt dem (Data > Redigera länkar > Bryt länk) "
            "om värdena ska vara fasta.",
            _EXTERNAL_DIR,
        )
    if "xl/connections.xml" in g.names():
        g.warning(
            "data_connections",
            "Arbetsboken har dataanslutningar (xl/connections.xml) till externa källor. "
            "Kommunbudget kör aldrig dem och läser bara värdena som är sparade i filen. Uppdatera "
            "dem i Excel före körningen om värdena ska vara aktuella.",
            "xl/connections.xml",
        )


# --------------------------------------------------------------------------------------------
# The gate

_Check = Callable[[_Gate], None]

# Checks run in order. The first four decide whether there is a zip to look into at all, so a
# refusal there ends the run; after that every check runs and all findings are returned.
_GATEKEEPERS: tuple[_Check, ...] = (check_file, check_signature, check_end_record, open_zip)
_CHECKS: tuple[_Check, ...] = (
    check_entry_names,
    check_duplicate_names,
    check_entry_flags,
    check_declared_sizes,
    check_overlapping_entries,
    check_contents,
    check_required_parts,
    check_macros,
    check_external_links,
)


def _unreadable(g: _Gate, exc: OSError) -> None:
    g.error(
        "unreadable",
        f"Filen kunde inte läsas ({_short(exc)}). Den kan vara öppen i ett annat program, ligga på "
        "en nätverksenhet som inte svarar eller sakna läsbehörighet. Stäng den i andra program och "
        "försök igen.",
    )


def _guarded(g: _Gate, check: _Check) -> None:
    try:
        check(g)
    except OSError as exc:
        _unreadable(g, exc)
    except Exception as exc:  # noqa: BLE001 - the gate never raises
        g.error(
            "internal",
            f"Filen kunde inte kontrolleras ({check.__name__}: {_short(exc)}); den öppnas inte "
            "för säkerhets skull. Spara om den i Excel och försök igen, och rapportera felet till "
            "förvaltarna av Kommunbudget.",
        )


def inspect_workbook(path: str | Path, limits: Limits = DEFAULT_LIMITS, *,
                     known_wellformed: Collection[str] | None = None) -> GateReport:
    """Run every safety check on ``path`` and report findings plus what the gate decompressed.
    Never raises, never writes to the file. ``known_wellformed``: blake2b digests of XML
    content this program parsed well-formed before (:attr:`GateReport.wellformed` of earlier
    runs); such a part is decompressed, CRC-checked and scanned for a DTD, not parsed again."""
    g = _Gate(Path(path), limits, known_wellformed=known_wellformed)
    try:
        for check in _GATEKEEPERS:
            _guarded(g, check)
            if g.refused:
                break
        else:
            for check in _CHECKS:
                _guarded(g, check)
    finally:
        if g.zf is not None:
            g.zf.close()
    return GateReport(
        findings=tuple(f for _, f in g.found),
        codes=tuple(c for c, _ in g.found),
        bytes_decompressed=g.bytes_decompressed,
        entries_checked=g.entries_checked,
        part_digests=tuple(g.part_digests),
        wellformed=tuple(g.wellformed),
    )


def check_workbook(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> list[Finding]:
    """All safety findings for the workbook at ``path`` (rule ``IN``). Any ``ERROR`` means the
    reader and the writer must not open the file. An empty list means it passed."""
    return list(inspect_workbook(path, limits).findings)
