"""The record of the last full check of a set of workbooks, so that an unchanged refresh can
reuse it (issue 17; ``kommunbudget refresh`` without ``--no-cache``).

A refresh is a function of the workbooks' bytes, the command's arguments and the program: when
none of them has changed since a full refresh left the workbooks up to date (it found nothing to
write, or its writes all went through), the same refresh would find nothing to write and report
what a check of those bytes reports. :class:`RunCache` keeps, per set of arguments, the
:class:`State` the full check left (every workbook's content hash, the workbooks found, the
program's fingerprint) and that report (``refresh._left_as_checked``); a later run that sees the
same state reuses the report and touches no workbook. Anything that could make the outcome
differ is part of the state or makes it unusable (:func:`state` returns ``None``): a workbook
open in Excel or LibreOffice, a refresh under way (its lock) or killed (its temp files), a link,
a file that is not writable, or one that cannot be read.

The record is a pickle in the user's cache folder (``KOMMUNBUDGET_CACHE``, else
``$XDG_CACHE_HOME/kommunbudget``, ``~/.cache/kommunbudget``; ``%LOCALAPPDATA%`` on Windows),
created private to the user and read only when the user owns it and no one else may write it:
it holds nothing that is not in the workbooks' own Kontroll sheets. A record that cannot be read
is ignored (the refresh does the full check), one that cannot be written is skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pickle
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

from workbook_templates.files import fileops

__all__ = ["CACHE_DIR_ENV", "Record", "RunCache", "State", "program_fingerprint", "state"]

#: environment variable naming the cache folder
CACHE_DIR_ENV = "KOMMUNBUDGET_CACHE"
#: the record's layout; a record of another layout is ignored
_FORMAT = 1
#: the packages whose code decides a refresh, and the libraries that read and write for it
_OWN_PACKAGES = ("engine", "workbook_templates", "addin")
_LIBRARIES = ("python_calamine", "lxml", "openpyxl")  # openpyxl: the writer's formula translator
#: keys kept at most in a record of what is known about content (about 60 bytes each)
_KNOWN_MAX = 200_000
#: a workbook's kept read, or a run's record, not written again for this many days is removed
_READ_DAYS = 60
#: the records of known content
_KNOWN_KINDS = frozenset({"wellformed", "unchanged-sheets", "gated"})
#: the run state the copies of a RunCache share in this process (per folder; see
#: ``RunCache.__setstate__``), and the lock they share
_PROCESS_RUNS: dict[Path, dict[str, tuple[set[str], set[str]]]] = {}
_PROCESS_LOCK = threading.Lock()


@dataclass(frozen=True)
class State:
    """What a refresh's outcome depends on besides its arguments: the program and every
    workbook's path and content (in the order found)."""

    program: str
    files: tuple[tuple[str, str], ...]  # (absolute path, fileops.content_digest of the bytes)


@dataclass(frozen=True)
class Record:
    """A full check's state and what it reported (``payload``, pickled by the caller's types),
    with the local time it finished (ISO 8601)."""

    state: State
    checked_at: str
    payload: object


_PROGRAM: list[str] = []


def program_fingerprint() -> str:
    """A hash of the program that would run the refresh: Python's version, every file of our
    packages (their content) and the installed reading libraries (their files' sizes and
    times). Computed once per process."""
    if _PROGRAM:
        return _PROGRAM[0]
    h = hashlib.blake2b(digest_size=20)
    h.update(sys.version.encode())
    for name in _OWN_PACKAGES:
        spec = importlib.util.find_spec(name)
        roots = list(spec.submodule_search_locations or []) if spec else []
        for root in roots:
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
                for fn in sorted(filenames):
                    if fn.endswith((".pyc", ".pyo")):
                        continue
                    p = os.path.join(dirpath, fn)
                    h.update(os.path.relpath(p, root).encode())
                    with open(p, "rb") as f:
                        h.update(hashlib.blake2b(f.read(), digest_size=20).digest())
    for name in _LIBRARIES:
        spec = importlib.util.find_spec(name)
        where = list(spec.submodule_search_locations or []) if spec else []
        if spec and spec.origin and not where:
            where = [os.path.dirname(spec.origin)]
        h.update(name.encode())
        for root in where:
            for entry in sorted(os.scandir(root), key=lambda e: e.name):
                if entry.is_file():
                    st = entry.stat()
                    h.update(f"{entry.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    _PROGRAM.append(h.hexdigest())
    return _PROGRAM[0]


def state(files: Sequence[Path]) -> State | None:
    """The state of ``files`` now, or None when a reused report could differ from a full
    check: a file that is a link, cannot be read, is too large for the safety gate, is not
    writable (the full check reports it), is open in an office program, or has a refresh's
    lock or temp files beside it."""
    listings: dict[Path, set[str]] = {}
    out: list[tuple[str, str]] = []
    for path in files:
        try:
            st = os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode) or not st.st_mode & stat.S_IWUSR \
                or not os.access(path, os.W_OK):
            return None
        folder = path.parent
        names = listings.get(folder)
        if names is None:
            try:
                names = {n.casefold() for n in os.listdir(folder)}
            except OSError:
                return None
            if any(n.startswith(fileops.TEMP_PREFIX.casefold()) for n in names):
                return None  # a refresh was killed here: the full check cleans up
            listings[folder] = names
        low = path.name.casefold()
        busy = {f"~${low}", f".~lock.{low}#", fileops.lock_path(path).name.casefold()}
        if len(low) > 2:
            busy.add(f"~${low[2:]}")
        if busy & names:
            return None
        digest = fileops.file_digest(path)  # (None: unreadable, or larger than the gate lets
        if digest is None:                   # any workbook be: the full check refuses it)
            return None
        out.append((str(path.absolute()), digest))
    return State(program_fingerprint(), tuple(out))


def default_folder() -> Path:
    """The cache folder: ``KOMMUNBUDGET_CACHE``, else the platform's user cache folder."""
    given = os.environ.get(CACHE_DIR_ENV)
    if given:
        return Path(given)
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or tempfile.gettempdir()
        return Path(base) / "kommunbudget" / "cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kommunbudget"


class RunCache:
    """Records of full checks in ``folder`` (default :func:`default_folder`), one per key."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_folder()
        #: inside :meth:`run`: per record of known content (``kind``), the keys known (the
        #: record as first read, and what this run added) and the keys this run added
        self._run: dict[str, tuple[set[str], set[str]]] | None = None
        self._lock = threading.Lock()  # (one object may serve runs in several threads)
        #: :meth:`gated_parts`' index of the record of files gated clean: (the set it was
        #: made from, its size then, {file key: parts key})
        self._gated: tuple[object, int, dict[str, str]] | None = None

    def __getstate__(self) -> dict[str, object]:
        # a copy for a worker process: the folder only (see __setstate__)
        return {"folder": self.folder}

    def __setstate__(self, state: dict[str, object]) -> None:
        """A copy (a worker process's, one per task) is always inside a run: it reads each
        record of known content once per process (the records as they are then: this run's
        additions not yet saved are not in them), shares what it knows with the other copies of
        the folder in its process, and keeps what it learns until :meth:`take_added` hands it
        to the run's own object (:meth:`add`), which saves it: a worker reading or saving a
        record of a year's nights per workbook cost more than the work it was given."""
        self.folder = state["folder"]  # type: ignore[assignment]
        self._lock = _PROCESS_LOCK
        self._gated = None
        with self._lock:
            self._run = _PROCESS_RUNS.setdefault(self.folder, {})

    @contextlib.contextmanager
    def run(self) -> Iterator[RunCache]:
        """One run's use of the records of known content (:meth:`wellformed`,
        :meth:`unchanged_sheets`): inside, each record is read once, when first asked, and
        what is remembered is kept in memory and saved once at the end, merged with the
        record as it is then (another run's additions kept; the bound applied as
        :meth:`remember_wellformed` says). Outside, every call reads and writes the record.
        A refresh asks for them per workbook (twice per write): read and written every time,
        a record of a year's nights (tens of thousands of keys) cost seconds per refresh."""
        with self._lock:
            nested = self._run is not None
            if not nested:
                self._run = {}
        if nested:  # (the outer run saves)
            yield self
            return
        try:
            yield self
        finally:
            with self._lock:
                kept, self._run = self._run, None
                for kind, (_known, added) in kept.items():  # type: ignore[union-attr]
                    self._save_known(kind, added)

    @staticmethod
    def key(parts: Iterable[str]) -> str:
        h = hashlib.blake2b(digest_size=20)
        for p in parts:
            h.update(p.encode("utf-8", "surrogatepass") + b"\0")
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / f"refresh-{key}.pickle"

    def _load(self, path: Path) -> object | None:
        """The pickle at ``path``, or None: none, unreadable, or not private to this user (a
        record someone else may write is never trusted)."""
        try:
            with open(path, "rb") as f:
                if os.name != "nt":
                    st = os.fstat(f.fileno())
                    if st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                        return None
                return pickle.load(f)
        except Exception:  # noqa: BLE001 - a record that cannot be used is no record
            return None

    def _save(self, path: Path, payload: object) -> bool:
        """Pickle ``payload`` to ``path`` in the private folder (temp file, atomic replace);
        False when it could not be written (nothing else happens)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.folder)
            try:
                with os.fdopen(fd, "wb") as f:
                    pickle.dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except Exception:  # noqa: BLE001 - a cache that cannot be written is skipped
            return False
        return True

    def load(self, key: str) -> Record | None:
        """The record under ``key``, or None (none, unreadable, not private to this user, of
        another layout)."""
        got = self._load(self._path(key))
        if not (isinstance(got, tuple) and len(got) == 2 and got[0] == _FORMAT
                and isinstance(got[1], Record)):
            return None
        return got[1]

    def save(self, key: str, record: Record) -> bool:
        """Store ``record`` under ``key`` (temp file, atomic replace); False when it could not
        be written (nothing else happens: the next run does the full check). Records of runs
        not written for :data:`_READ_DAYS` days are removed (arguments no longer used, e.g. a
        folder of its own for every night)."""
        saved = self._save(self._path(key), (_FORMAT, record))
        if saved:
            self._prune("refresh-")
        return saved

    # reads of single workbooks -----------------------------------------------------------
    def _read_path(self, workbook: Path) -> Path:
        return self.folder / f"read-{self.key([str(Path(workbook).absolute())])}.pickle"

    def load_read(self, workbook: Path, key: str) -> object | None:
        """What was read from ``workbook`` when its content, the program and the reading's
        arguments made ``key`` (one record per workbook, the last read kept), or None: no
        record, another key, unreadable, not private to this user, of another layout."""
        got = self._load(self._read_path(workbook))
        if not (isinstance(got, tuple) and len(got) == 3 and got[0] == _FORMAT
                and got[1] == key):
            return None
        return got[2]

    def save_read(self, workbook: Path, key: str, payload: object) -> bool:
        """Keep ``payload``, what was read from ``workbook`` under ``key`` (replacing the
        workbook's earlier record); False when it could not be written. Records not written for
        :data:`_READ_DAYS` days are removed (workbooks moved or gone; an unchanged workbook
        whose record goes is read once more)."""
        saved = self._save(self._read_path(workbook), (_FORMAT, key, payload))
        if saved:
            self._prune("read-")
        return saved

    def _prune(self, prefix: str) -> None:
        limit = time.time() - _READ_DAYS * 86_400
        with contextlib.suppress(OSError), os.scandir(self.folder) as entries:
            for entry in entries:
                if entry.name.startswith(prefix) and entry.name.endswith(".pickle"):
                    with contextlib.suppress(OSError):
                        if entry.stat(follow_symlinks=False).st_mtime < limit:
                            os.unlink(entry.path)

    # what this program has established about content, by key ------------------------------
    def _known(self, kind: str) -> AbstractSet[str]:
        with self._lock:
            if self._run is not None:
                return self._in_run(kind)[0]
        return self._read_known(kind)

    def _in_run(self, kind: str) -> tuple[set[str], set[str]]:
        got = self._run.get(kind)  # type: ignore[union-attr]
        if got is None:
            got = self._run[kind] = (set(self._read_known(kind)), set())  # type: ignore[index]
        return got

    def _read_known(self, kind: str) -> frozenset[str]:
        got = self._load(self.folder / f"{kind}.pickle")
        if not (isinstance(got, tuple) and len(got) == 3 and got[0] == _FORMAT
                and got[1] == program_fingerprint() and isinstance(got[2], frozenset)
                and all(type(d) is str for d in got[2])):
            return frozenset()
        return got[2]

    def _remember(self, kind: str, keys: Iterable[str]) -> None:
        with self._lock:  # (read, merged and saved by one thread of this process at a time)
            if self._run is not None:  # kept until the run ends (:meth:`run`)
                known, added = self._in_run(kind)
                new = set(keys).difference(known)
                known |= new
                added |= new
                return
            self._save_known(kind, keys)

    def _save_known(self, kind: str, keys: Iterable[str]) -> None:
        """Merge ``keys`` into the record as it is now and save it (the caller holds the
        lock)."""
        new = frozenset(keys)
        if not new:
            return
        known = self._read_known(kind)
        if new <= known:
            return
        merged = known | new if len(known) + len(new) <= _KNOWN_MAX else new
        self._save(self.folder / f"{kind}.pickle", (_FORMAT, program_fingerprint(), merged))

    def take_added(self) -> dict[str, frozenset[str]]:
        """What this run learnt (per record of known content) since it was last taken, now
        taken: a worker's copy hands it back with each task's result (empty outside a run)."""
        with self._lock:
            if self._run is None:
                return {}
            out = {}
            for kind, (_known, added) in self._run.items():
                if added:
                    out[kind] = frozenset(added)
                    added.clear()
            return out

    def add(self, learnt: dict[str, Iterable[str]]) -> None:
        """Remember what :meth:`take_added` of a copy gave (as :meth:`remember_wellformed`
        does); anything but a record of known content is ignored."""
        for kind, keys in learnt.items():
            if kind in _KNOWN_KINDS:
                self._remember(kind, keys)

    def wellformed(self) -> AbstractSet[str]:
        """blake2b digests of XML content this program's safety gate or verification parsed
        well-formed (``safety.inspect_workbook(known_wellformed=...)``); empty when there is no
        usable record (none, unreadable, not private to this user, another program)."""
        return self._known("wellformed")

    def remember_wellformed(self, digests: Iterable[str]) -> None:
        """Add ``digests`` (content just parsed well-formed) to the record; a record grown past
        :data:`_KNOWN_MAX` starts again from these. Nothing happens when it cannot be
        written (two runs at once may each keep only their own: then a part is parsed again)."""
        self._remember("wellformed", digests)

    def unchanged_sheets(self) -> AbstractSet[str]:
        """Keys of owned sheets this program found holding, or wrote and verified to hold, what
        a write would write (``xlsx_writer.write_cells(known_unchanged=...)``); empty when there
        is no usable record, as for :meth:`wellformed`."""
        return self._known("unchanged-sheets")

    def remember_unchanged_sheets(self, keys: Iterable[str]) -> None:
        """Add ``keys`` (a write's ``unchanged_keys``) to the record, as
        :meth:`remember_wellformed`."""
        self._remember("unchanged-sheets", keys)

    @staticmethod
    def _gated_key(workbook: Path, digest: str) -> str:
        return RunCache.key(["gated", str(Path(workbook).absolute()), digest])

    def gated_parts(self, workbook: Path, digest: str) -> str | None:
        """The key of the parts that the safety gate of this program found in the bytes of
        ``workbook`` whose content digest (:func:`fileops.content_digest`) is ``digest``, when
        it found nothing at all in them (:meth:`remember_gated`); None when no such gate is
        known (none, another program, another file or content)."""
        want = self._gated_key(workbook, digest)
        with self._lock:
            if self._run is None:  # (outside a run every call reads the record)
                return next((k[40:] for k in self._read_known("gated")
                             if len(k) > 40 and k.startswith(want)), None)
            known = self._in_run("gated")[0]
            if self._gated is None or self._gated[0] is not known \
                    or self._gated[1] != len(known):  # (made again when the run learnt more)
                self._gated = (known, len(known),
                               {k[:40]: k[40:] for k in known if len(k) > 40})
            return self._gated[2].get(want)

    def remember_gated(self, workbook: Path, digest: str, parts: str) -> None:
        """Remember that the safety gate found nothing in the bytes of ``workbook`` with the
        content digest ``digest``, and that the parts a reading keys on hash to ``parts``
        (``refresh._parts_key``): a later run that finds the same bytes there need not gate
        them again to find its kept read (docs/DECISIONS.md). A refresh remembers it only for a
        committee workbook it read (or whose kept read it used) or wrote (the bytes its write's
        verification gated), so it also says that the file is no municipality workbook. As
        :meth:`remember_wellformed`."""
        self._remember("gated", [self._gated_key(workbook, digest) + parts])

    def forget(self, key: str) -> None:
        """Remove the record under ``key`` (a run that wrote something or could not finish)."""
        with contextlib.suppress(OSError):
            self._path(key).unlink()

