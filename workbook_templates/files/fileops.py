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
  ``os.replace`` is atomic). A crash may leave one behind; the next write of the same workbook
  removes leftovers while holding the lock.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BACKUP_DIR",
    "LockBusy",
    "RefreshLock",
    "atomic_write_bytes",
    "backup_paths",
    "cleanup_temp_files",
    "excel_owner_files",
    "lock_path",
    "refresh_lock",
    "rotate_backups",
    "temp_path",
]

BACKUP_DIR = ".kommunbudget-backup"
LOCK_PREFIX = ".~kommunbudget-"
TEMP_PREFIX = ".~kb-tmp-"
DEFAULT_STALE_AFTER = 15 * 60.0


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
        return False  # being written right now, or unreadable: respect it until the timeout
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
    except (OSError, ValueError):
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
            os.write(fd, payload)
        finally:
            os.close(fd)
        break
    try:
        yield RefreshLock(lock, token)
    finally:
        # Only remove the lock if it is still ours (a stale-lock breaker may have replaced it).
        with contextlib.suppress(OSError, ValueError):
            if json.loads(lock.read_text(encoding="utf-8")).get("token") == token:
                lock.unlink()


def cleanup_temp_files(path: Path) -> list[Path]:
    """Remove temp files a crashed earlier write of ``path`` left behind. Call under the lock."""
    removed = []
    suffix = f"-{path.name}"
    with contextlib.suppress(OSError):
        for p in path.parent.iterdir():
            if p.name.startswith(TEMP_PREFIX) and p.name.endswith(suffix):
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


def rotate_backups(path: Path, count: int) -> Path | None:
    """Copy the current ``path`` into backup slot 1 after shifting older ones; return slot 1.

    Each step is a rename or a copy-then-rename, so a crash leaves every slot either its old or
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
        shutil.copy2(path, tmp)
        os.replace(tmp, slots[0])
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return slots[0]


def is_disk_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1))
