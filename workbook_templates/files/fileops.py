"""File operations for the workbook writer: locks, backups and the atomic replace.

Conventions (documented in docs/WORKBOOK_IO.md):

* **Open in Excel** — Excel (and Word) create an owner file next to an open workbook:
  ``~$Budget.xlsx`` (short names) or ``~$dget.xlsx`` (the first two characters of the name
  replaced). LibreOffice creates ``.~lock.Budget.xlsx#``. If any of these exists the workbook is
  treated as open and is skipped.
* **Another refresh** — our own advisory lock ``.~kommunbudget-<name>.lock`` in the same folder,
  created with ``O_CREAT | O_EXCL`` (atomic on local disks and SMB shares). It holds the pid,
  host and time. It is stale (and removed) when it is older than ``stale_after`` seconds, or when
  it was written on this host by a process that no longer exists.
* **Backups** — ``.kommunbudget-backup/<stem>.bak<k><suffix>`` next to the workbook,
  ``k = 1`` newest. Rotation shifts 1→2→…→N and drops the oldest.
* **Temporary files** — ``.~kb-tmp-<random>-<name>`` in the same folder (same file system, so
  ``os.replace`` is atomic), ``.~kb-tmp-old-<random>-<name>`` for the swapped-out original. A
  crash may leave one behind; the next write of the same workbook removes leftovers (also those
  of its backup slot) while holding the lock. A lock that could not be written (a full disk) is
  removed at once; an empty one is stale after :data:`UNREADABLE_LOCK_AFTER` seconds.
* **The checked swap** (:func:`swap_in`) — the last check against the :class:`Snapshot` of what
  was read comes immediately before an atomic name exchange (Linux) or a hard link plus
  ``os.replace``; what was swapped out is compared afterwards and a save that raced the swap is
  put back (or kept beside). The new file gets the original's owner, group and mode
  (:func:`keep_owner_and_mode`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import stat
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BACKUP_DIR",
    "LockBusy",
    "OwnerNotKept",
    "ReadVersion",
    "RefreshLock",
    "Snapshot",
    "SwapOutcome",
    "atomic_write_bytes",
    "backup_paths",
    "cleanup_temp_files",
    "excel_owner_files",
    "lock_path",
    "refresh_lock",
    "keep_owner_and_mode",
    "read_with_snapshot",
    "rotate_backups",
    "swap_in",
    "temp_path",
]

BACKUP_DIR = ".kommunbudget-backup"
LOCK_PREFIX = ".~kommunbudget-"
TEMP_PREFIX = ".~kb-tmp-"
DEFAULT_STALE_AFTER = 15 * 60.0
#: A lock file without a readable owner (empty: a crash or a full disk between its creation and
#: the write of its few bytes) is held by nobody once it is this old.
UNREADABLE_LOCK_AFTER = 10.0


def excel_owner_files(path: Path) -> list[Path]:
    """Owner/lock files of office programs that currently have ``path`` open (existing ones only).

    Checked case-insensitively against the folder listing, because Windows file systems are.
    """
    name = path.name
    candidates = {f"~${name}".casefold(), f".~lock.{name}#".casefold()}
    if len(name) > 2:
        candidates.add(f"~${name[2:]}".casefold())
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return []
    return sorted(p for p in entries if p.name.casefold() in candidates)


def lock_path(path: Path) -> Path:
    return path.parent / f"{LOCK_PREFIX}{path.name}.lock"


def temp_path(path: Path) -> Path:
    return path.parent / f"{TEMP_PREFIX}{secrets.token_hex(4)}-{path.name}"


class LockBusy(Exception):
    """Another refresh holds the advisory lock of the workbook."""

    def __init__(self, lock: Path, holder: str) -> None:
        super().__init__(f"{lock} held by {holder}")
        self.lock = lock
        self.holder = holder


@dataclass(frozen=True, slots=True)
class RefreshLock:
    path: Path
    token: str


def _lock_is_stale(lock: Path, stale_after: float) -> bool:
    try:
        st = lock.stat()
    except FileNotFoundError:
        return True
    if time.time() - st.st_mtime > stale_after:
        return True
    try:
        info = json.loads(lock.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        # being written right now (microseconds), or left empty by a crash or a full disk
        return time.time() - st.st_mtime > min(stale_after, UNREADABLE_LOCK_AFTER)
    if not isinstance(info, dict):
        return time.time() - st.st_mtime > min(stale_after, UNREADABLE_LOCK_AFTER)
    # (POSIX only: on Windows os.kill(pid, 0) would terminate the process.)
    if (
        os.name == "posix"
        and info.get("host") == socket.gethostname()
        and isinstance(info.get("pid"), int)
    ):
        try:
            os.kill(info["pid"], 0)
        except ProcessLookupError:
            return True
        except (PermissionError, OSError):
            return False
    return False


def _describe_lock(lock: Path) -> str:
    try:
        info = json.loads(lock.read_text(encoding="utf-8"))
        return f"pid {info.get('pid')} på {info.get('host')} sedan {info.get('since')}"
    except (OSError, ValueError, AttributeError):
        return "okänd process"


@contextlib.contextmanager
def refresh_lock(path: Path, *, stale_after: float = DEFAULT_STALE_AFTER) -> Iterator[RefreshLock]:
    """Hold the advisory refresh lock of ``path`` for the duration of the block.

    Raises :class:`LockBusy` if another live refresh holds it. A stale lock is removed once.
    """
    lock = lock_path(path)
    token = secrets.token_hex(8)
    payload = json.dumps(
        {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "token": token,
        }
    ).encode()
    for attempt in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if attempt == 0 and _lock_is_stale(lock, stale_after):
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
                continue
            raise LockBusy(lock, _describe_lock(lock)) from None
        try:
            try:
                os.write(fd, payload)
            finally:
                os.close(fd)
        except BaseException:
            # a full disk: the lock exists but holds nothing. Never leave it behind.
            with contextlib.suppress(OSError):
                lock.unlink()
            raise
        break
    try:
        yield RefreshLock(lock, token)
    finally:
        # Only remove the lock if it is still ours (a stale-lock breaker may have replaced it).
        with contextlib.suppress(OSError, ValueError):
            if json.loads(lock.read_text(encoding="utf-8")).get("token") == token:
                lock.unlink()


#: a temp file's name: ".~kb-tmp-" [old-] 8 hex "-" and the name of the file it is of
_TEMP_NAME = re.compile(rf"{re.escape(TEMP_PREFIX)}(?:old-)?[0-9a-f]{{8}}-(.*)", re.S)


def cleanup_temp_files(path: Path) -> list[Path]:
    """Remove temp files a crashed earlier write of ``path`` left behind. Call under the lock."""
    removed = []
    # the workbook's own temp files, and those of its backup slot (a run killed mid-backup)
    for folder, name in ((path.parent, path.name),
                         (path.parent / BACKUP_DIR, f"{path.stem}.bak1{path.suffix}")):
        # exactly ours: the temp name of this very name (not another workbook ending the same);
        # one pattern for every file (a pattern made per call was compiled per write)
        with contextlib.suppress(OSError):
            for entry in os.listdir(folder):
                if not entry.startswith(TEMP_PREFIX):
                    continue
                m = _TEMP_NAME.fullmatch(entry)
                if m is not None and m.group(1) == name:
                    p = folder / entry
                    with contextlib.suppress(OSError):
                        p.unlink()
                        removed.append(p)
    return removed


def _write_all(fd: int, data: bytes) -> None:
    """Write ``data`` fully to ``fd`` (a seam for tests that simulate a full disk)."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def atomic_write_bytes(target_dir: Path, data: bytes, tmp: Path, mode: int | None = None) -> Path:
    """Write ``data`` to the new file ``tmp`` (in ``target_dir``), fsync it, return ``tmp``.

    On any error the partial temp file is removed and the OSError propagates.
    """
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0), 0o600)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if mode is not None:
            os.chmod(tmp, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return tmp


def fsync_dir(directory: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def backup_paths(path: Path, count: int) -> list[Path]:
    """Backup slots of ``path``, newest first: ``.kommunbudget-backup/<stem>.bak1<suffix>`` …"""
    folder = path.parent / BACKUP_DIR
    return [folder / f"{path.stem}.bak{k}{path.suffix}" for k in range(1, count + 1)]


def rotate_backups(
    path: Path, count: int, data: bytes | None = None, st: os.stat_result | None = None
) -> Path | None:
    """Put a copy of ``path`` into backup slot 1 after shifting older ones; return slot 1.

    With ``data`` (the bytes the writer read, ``st`` their stat) the slot gets exactly those
    bytes, so the backup is the version that was checked, and the live file is not read again.
    Each step is a rename or a write-then-rename, so a crash leaves every slot either its old or
    its new content. ``count <= 0`` keeps no backups.
    """
    if count <= 0:
        return None
    slots = backup_paths(path, count)
    slots[0].parent.mkdir(exist_ok=True)
    for older, newer in zip(reversed(slots[1:]), reversed(slots[:-1]), strict=True):
        if newer.exists():
            os.replace(newer, older)
    tmp = slots[0].parent / f"{TEMP_PREFIX}{secrets.token_hex(4)}-{slots[0].name}"
    try:
        if data is None:
            shutil.copy2(path, tmp)
        else:
            atomic_write_bytes(slots[0].parent, data, tmp)
            if st is not None:
                with contextlib.suppress(OSError):  # the owner may read their own backup
                    keep_owner_and_mode(tmp, st)
        os.replace(tmp, slots[0])
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return slots[0]


# --------------------------------------------------------------------------------------------
# Owner, group and mode of a replaced file


class OwnerNotKept(PermissionError):
    """The new version could not be given the workbook's owner and group."""

    def __init__(self, uid: int, gid: int, cause: OSError) -> None:
        super().__init__(cause.errno, f"uid {uid} / gid {gid}: {cause.strerror or cause}")
        self.uid, self.gid = uid, gid


def _owner_of(st: os.stat_result) -> tuple[int, int]:
    """The owner and group the new version must have (a seam for tests)."""
    return st.st_uid, st.st_gid


def keep_owner_and_mode(new: Path, st: os.stat_result) -> None:
    """Give ``new`` the owner, group and permission bits of the file ``st`` describes.

    A new file belongs to whoever writes it; replacing a controller's workbook by a service
    account's file would lock the controller out. Raises :class:`OwnerNotKept` when the owner or
    group cannot be set (only root may give a file away); the caller then does not replace.
    The mode is set after the owner, because ``chown`` clears the set-group-id bit.
    """
    if os.name == "posix":
        uid, gid = _owner_of(st)
        cur = os.stat(new)
        if (cur.st_uid, cur.st_gid) != (uid, gid):
            try:
                os.chown(new, uid if cur.st_uid != uid else -1, gid if cur.st_gid != gid else -1)
            except OSError as e:
                raise OwnerNotKept(uid, gid, e) from e
    os.chmod(new, stat.S_IMODE(st.st_mode))


# --------------------------------------------------------------------------------------------
# Reading with a snapshot, and the checked swap


#: A file modified this recently before it was read may be modified again within the same
#: timestamp tick (coarse clocks; FAT's 2 s), so its identity is checked by content too.
RACY_NS = 3 * 10**9


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The file the writer read: enough to tell whether the file at a path is still that file.

    Inode, size and modification time identify it; when the modification time is too close to
    the read to tell a later save apart ("racy", as git calls it), the content digest decides.
    """

    ino: int
    dev: int
    size: int
    mtime_ns: int
    digest: bytes | None = None

    @classmethod
    def of(cls, st: os.stat_result, data: bytes, read_at_ns: int) -> Snapshot:
        racy = read_at_ns - st.st_mtime_ns < RACY_NS
        return cls(st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns,
                   hashlib.sha256(data).digest() if racy else None)

    def matches(self, path: Path) -> bool:
        """Is the file at ``path`` (not following a link) still the file that was read?"""
        try:
            st = os.lstat(path)
        except OSError:
            return False
        if (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns) != (
            self.ino, self.dev, self.size, self.mtime_ns
        ):
            return False
        if self.digest is None:
            return True
        try:
            return hashlib.sha256(path.read_bytes()).digest() == self.digest
        except OSError:
            return False


def content_digest(data: bytes) -> str:
    """A digest of a file's bytes (blake2b)."""
    return hashlib.blake2b(data, digest_size=20).hexdigest()


@dataclass(frozen=True)
class ReadVersion:
    """The version of a workbook a refresh read: the digest of its bytes and, for a zip
    package, every entry's name, CRC-32 and size. The write compares it with the version it is
    about to patch (:func:`workbook_templates.files.xlsx_writer.write_cells`)."""

    digest: str
    entries: tuple[tuple[str, int, int], ...]
    #: sheets whose change does not matter to what the caller computed from this version (the
    #: sheets a refresh writes, when another refresh writes them meanwhile)
    may_change: frozenset[str] = frozenset()

    @classmethod
    def of(cls, data: bytes, may_change: frozenset[str] = frozenset()) -> ReadVersion:
        return cls(content_digest(data), package_entries(data), may_change)


def package_entries(data: bytes) -> tuple[tuple[str, int, int], ...]:
    """(name, CRC-32, size) of every entry of a zip package, from its central directory; empty
    when the bytes are not a zip file (or a damaged or hostile one: whatever zipfile raises for
    it, as the safety gate catches it)."""
    import io
    import zipfile

    from workbook_templates.files.safety import _ZIP_ERRORS

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return tuple((i.filename, i.CRC, i.file_size) for i in zf.infolist())
    except _ZIP_ERRORS:
        return ()


def read_bounded(path: Path) -> bytes | None:
    """The bytes of ``path``, or None when it cannot be read or is larger than the safety gate
    lets any workbook be (``safety.DEFAULT_LIMITS.max_file_bytes``): a file is never read whole
    into memory before the gate has refused it for its size (a 600 MB file in the folder took
    a refresh to 657 MB before 2026-12; a few GB would have ended it without a report)."""
    from workbook_templates.files.safety import DEFAULT_LIMITS

    limit = DEFAULT_LIMITS.max_file_bytes
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > limit:
                return None
            data = f.read(limit + 1)
    except OSError:
        return None
    return data if len(data) <= limit else None


def file_version(path: Path, may_change: frozenset[str] = frozenset()) -> ReadVersion | None:
    """:class:`ReadVersion` of the file now; None when it cannot be read, or is larger than
    any workbook the safety gate passes (:func:`read_bounded`; the gate refuses it)."""
    data = read_bounded(path)
    return None if data is None else ReadVersion.of(data, may_change)


def file_digest(path: Path) -> str | None:
    """:func:`content_digest` of the file now, as :func:`file_version` reads it; None when it
    cannot be read (or is too large)."""
    data = read_bounded(path)
    return None if data is None else content_digest(data)


class ChangedWhileReading(OSError):
    """The file changed while it was being read."""


def read_with_snapshot(path: Path) -> tuple[bytes, os.stat_result, Snapshot]:
    """The bytes of ``path``, its stat and the :class:`Snapshot` that identifies them.

    Raises :class:`ChangedWhileReading` if the file changed while it was read, and OSError
    (EFBIG) for a file larger than the safety gate lets any workbook be (it is not read).
    """
    from workbook_templates.files.safety import DEFAULT_LIMITS

    limit = DEFAULT_LIMITS.max_file_bytes
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        if st.st_size > limit:  # (the gate refuses such a file: never read it whole)
            raise OSError(errno.EFBIG, f"filen är större än gränsen {limit // (1 << 20)} MB "
                          "för en arbetsbok", str(path))
        data = f.read(limit + 1)
        st2 = os.fstat(f.fileno())
    if (st.st_size, st.st_mtime_ns) != (st2.st_size, st2.st_mtime_ns) or len(data) != st.st_size:
        raise ChangedWhileReading(errno.EAGAIN, "changed while it was read", str(path))
    return data, st, Snapshot.of(st, data, time.time_ns())


def _before_swap(path: Path) -> None:
    """Called between the last check and the swap (a seam for tests: a save in the window)."""


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _load_renameat2():  # noqa: ANN202 - a ctypes function or None
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # glibc < 2.28, musl
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


#: renameat2, loaded on the first exchange (ctypes is not imported at every start); None where
#: the platform has none
_UNLOADED = object()
_renameat2: object = _UNLOADED


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap the names ``a`` and ``b`` (Linux ``renameat2(RENAME_EXCHANGE)``).

    False where the platform or file system cannot (then nothing happened); OSError otherwise.
    """
    global _renameat2
    if _renameat2 is _UNLOADED:
        _renameat2 = _load_renameat2()
    if _renameat2 is None:
        return False
    import ctypes

    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", -1)):
        return False
    raise OSError(err, os.strerror(err), str(b))


def can_exchange(folder: Path) -> bool:
    """Does ``folder``'s file system swap names atomically? (Probe with two empty files.)"""
    a, b = folder / f"{TEMP_PREFIX}probe-a", folder / f"{TEMP_PREFIX}probe-b"
    try:
        a.write_bytes(b"")
        b.write_bytes(b"")
        return _exchange(a, b)
    except OSError:
        return False
    finally:
        for p in (a, b):
            with contextlib.suppress(OSError):
                p.unlink()


@dataclass(frozen=True, slots=True)
class SwapOutcome:
    """``replaced``: our version is the workbook now. Otherwise the workbook had been changed by
    someone else; their version is the workbook again (``kept`` None) or, if it could not be put
    back, kept at ``kept``."""

    replaced: bool
    kept: Path | None = None
    late: bool = False  # the change was only seen after the swap (and undone)


def swap_in(tmp: Path, path: Path, snap: Snapshot) -> SwapOutcome:
    """Replace ``path`` by ``tmp`` if ``path`` is still the file ``snap`` describes.

    The last check is immediately before the swap. A change landing between the check and the
    swap is caught after it: the file that was at ``path`` is kept under a temporary name (an
    atomic name exchange on Linux, a hard link elsewhere) and compared with ``snap``; if it is
    not the file that was read, it is put back (or, failing that, kept beside) and the outcome
    says so. Without exchange or hard links (FAT, some shares) a save by rename in the
    microseconds between the last check and ``os.replace`` is the remaining window.
    """
    if not snap.matches(path):
        with contextlib.suppress(OSError):
            tmp.unlink()
        return SwapOutcome(False)
    ours = os.stat(tmp).st_ino
    _before_swap(path)
    if _exchange(tmp, path):
        aside = tmp  # the name tmp now holds what was at path
    else:
        aside = path.parent / f"{TEMP_PREFIX}old-{secrets.token_hex(4)}-{path.name}"
        try:
            os.link(path, aside)
        except OSError:
            aside = None  # no hard links here: the check before the swap is all we have
        try:
            os.replace(tmp, path)
        except BaseException:
            if aside is not None:
                with contextlib.suppress(OSError):
                    aside.unlink()
            raise
    fsync_dir(path.parent)
    if aside is None or snap.matches(aside):
        if aside is not None:
            with contextlib.suppress(OSError):
                aside.unlink()
        return SwapOutcome(True)
    return SwapOutcome(False, _put_back(aside, path, ours), late=True)


def _put_back(aside: Path, path: Path, ours: int) -> Path | None:
    """Someone saved ``path`` in the window: put their version (at ``aside``) back in place of
    ours; if ``path`` is no longer ours or the rename fails, keep theirs beside. Returns where it
    was kept, or None when it is the workbook again."""
    try:
        if os.lstat(path).st_ino == ours:
            os.replace(aside, path)
            fsync_dir(path.parent)
            return None
    except OSError:
        pass
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for folder in (path.parent / BACKUP_DIR, path.parent):
        kept = folder / f"{path.stem}.sparad-{stamp}-{secrets.token_hex(2)}{path.suffix}"
        try:
            folder.mkdir(exist_ok=True)
            os.replace(aside, kept)
            return kept
        except OSError:
            continue
    return aside


def is_disk_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1))
