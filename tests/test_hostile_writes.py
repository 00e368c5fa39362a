"""Issue 15, writer level: saves that race the replace, links, owner/group/mode, a full disk.

Each test reproduces one way a refresh used to damage or lose a user's file (points 1, 2, 3 and 6
of the issue) and asserts what happens now.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import hostile_files as hf
import pytest
from workbook_fixtures import OWNED_SHEET, build_fixture

from workbook_templates.files import fileops
from workbook_templates.files import xlsx_writer as xw
from workbook_templates.files.reader import open_workbook
from workbook_templates.files.xlsx_writer import WriteStatus, write_cells

UPDATES = {OWNED_SHEET: {"A40": "från uppdateringen", "B40": 42}}
USER_SAVE = b"PK-the user's own save, bytes the refresh must never lose"


@pytest.fixture()
def book(tmp_path: Path) -> Path:
    return build_fixture(tmp_path / "Nämnd.xlsm")


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith((fileops.TEMP_PREFIX, fileops.LOCK_PREFIX)))


def _save_by_rename(path: Path, data: bytes) -> None:
    """How Excel and LibreOffice save: a new file, renamed over the old one (a new inode)."""
    tmp = path.with_name("~save.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _save_in_place(path: Path, data: bytes) -> None:
    """How some programs save: the same file truncated and rewritten (same inode)."""
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(data)


# ---------------------------------------------------------------------------------------------
# 1. A save by another program during the write


def test_save_while_the_backup_is_taken_is_not_overwritten(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user saves while the refresh copies the backup (the old window covered the whole
    backup copy): the user's version stays the workbook, the write is an error that says so."""
    real = fileops.rotate_backups

    def rotate_while_user_saves(*args, **kwargs):
        _save_in_place(book, USER_SAVE)
        return real(*args, **kwargs)

    monkeypatch.setattr(fileops, "rotate_backups", rotate_while_user_saves)
    r = write_cells(book, UPDATES)
    assert book.read_bytes() == USER_SAVE
    assert r.status is WriteStatus.ERROR
    assert "ändrades" in r.findings[0].message
    assert _leftovers(book.parent) == []


@pytest.mark.parametrize("save", [_save_by_rename, _save_in_place], ids=["rename", "in-place"])
@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "link-fallback"])
def test_save_in_the_last_moment_before_the_swap_is_detected_and_restored(
    book: Path, monkeypatch: pytest.MonkeyPatch, save, exchange: bool
) -> None:
    """A save that lands after the last check, right before the swap (the hook is called at
    exactly that point): detected after the swap, the user's version is back in place, the run
    says the workbook was not written."""
    if exchange and not fileops.can_exchange(book.parent):
        pytest.skip("no RENAME_EXCHANGE on this file system")
    if not exchange:
        monkeypatch.setattr(fileops, "_exchange", lambda a, b: False)
    calls = []

    def user_saves(path: Path) -> None:
        calls.append(path)
        save(book, USER_SAVE)

    monkeypatch.setattr(fileops, "_before_swap", user_saves, raising=False)
    r = write_cells(book, UPDATES)
    assert calls == [book]
    assert book.read_bytes() == USER_SAVE
    assert r.status is WriteStatus.ERROR
    assert "ändrades" in r.findings[0].message and "inte" in r.findings[0].message
    assert _leftovers(book.parent) == []
    # the next run writes on top of the user's version (here: not a workbook any more, refused)
    assert write_cells(book, UPDATES).status is WriteStatus.ERROR
    assert book.read_bytes() == USER_SAVE


def test_user_version_is_kept_beside_when_it_cannot_be_put_back(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If even putting the user's version back fails, it is kept beside and the finding names
    the file: never lost without a word."""
    monkeypatch.setattr(fileops, "_exchange", lambda a, b: False)
    monkeypatch.setattr(fileops, "_before_swap", lambda p: _save_by_rename(book, USER_SAVE),
                        raising=False)
    real_replace = os.replace

    def replace(src, dst, *a, **kw):
        if Path(dst) == book and Path(src).name.startswith(fileops.TEMP_PREFIX + "old-"):
            raise OSError(errno.EIO, "I/O error")
        return real_replace(src, dst, *a, **kw)

    monkeypatch.setattr(fileops.os, "replace", replace)
    r = write_cells(book, UPDATES)
    monkeypatch.undo()
    assert r.status is WriteStatus.ERROR
    msg = r.findings[0].message
    kept = [p for p in (book.parent / fileops.BACKUP_DIR).iterdir() if "sparad" in p.name]
    assert len(kept) == 1 and kept[0].read_bytes() == USER_SAVE
    assert kept[0].name in msg
    assert _leftovers(book.parent) == []


def test_unchanged_file_is_written_as_before(book: Path) -> None:
    r = write_cells(book, UPDATES)
    assert r.status is WriteStatus.WRITTEN
    with open_workbook(book) as wb:
        assert wb.values(OWNED_SHEET, ["A40"]) == {"A40": "från uppdateringen"}
    assert _leftovers(book.parent) == []


# ---------------------------------------------------------------------------------------------
# 2. Symbolic links


def test_symbolic_link_is_followed_and_the_target_written(tmp_path: Path) -> None:
    (tmp_path / "delad").mkdir()
    real = build_fixture(tmp_path / "delad" / "Nämnd.xlsm")
    (tmp_path / "mina").mkdir()
    link = tmp_path / "mina" / "Nämnd.xlsm"
    link.symlink_to(Path("..") / "delad" / "Nämnd.xlsm")
    r = write_cells(link, UPDATES)
    assert r.status is WriteStatus.WRITTEN
    assert link.is_symlink() and os.readlink(link) == str(Path("..") / "delad" / "Nämnd.xlsm")
    with open_workbook(real) as wb:
        assert wb.values(OWNED_SHEET, ["A40"]) == {"A40": "från uppdateringen"}
    assert (tmp_path / "delad" / fileops.BACKUP_DIR).is_dir()  # the backup sits by the target
    assert _leftovers(tmp_path / "mina") == [] and _leftovers(tmp_path / "delad") == []
    assert write_cells(link, UPDATES).status is WriteStatus.UNCHANGED


def test_dangling_link_is_a_finding(tmp_path: Path) -> None:
    link = tmp_path / "Nämnd.xlsm"
    link.symlink_to(tmp_path / "borta.xlsm")
    r = write_cells(link, UPDATES)
    assert r.status is WriteStatus.ERROR and "finns inte" in r.findings[0].message
    assert link.is_symlink() and not (tmp_path / "borta.xlsm").exists()


def test_a_file_grown_too_large_for_the_gate_is_not_read_whole_by_the_writer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workbook that grew past the gate's size limit after its gate (replaced by a huge
    file, say) is refused by the write with the reason and left untouched; the writer does not
    read it into memory first (it reads nothing of it)."""
    path = tmp_path / "Nämnd.xlsm"
    with open(path, "wb") as f:  # sparse: no disk is used
        f.truncate(200 << 20)
    reads: list[int] = []
    real_open = open

    def counting_open(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        handle = real_open(file, mode, *args, **kwargs)
        if Path(str(file)) == path and "r" in mode and "b" in mode:
            real_read = handle.read
            handle.read = lambda n=-1: reads.append(n) or real_read(n)  # type: ignore[method-assign]
        return handle

    monkeypatch.setattr("builtins.open", counting_open)
    r = write_cells(path, UPDATES)
    monkeypatch.undo()
    assert r.status is WriteStatus.ERROR
    assert "större än gränsen 100 MB för en arbetsbok" in r.findings[0].message
    assert reads == [] and path.stat().st_size == 200 << 20 and _leftovers(tmp_path) == []


def test_a_write_never_leaves_a_file_the_safety_gate_would_refuse(tmp_path: Path) -> None:
    """The verification gates the temp file as the next run's gate will gate the workbook. A
    part the gate refuses (a DTD in docProps/app.xml, a part the write copies as it is: a
    refresh gates a workbook before it writes, and the writer is the last line) is not left in
    the folder: the write is refused with the gate's reason, and the file is as it was."""
    book = hf.with_dtd(build_fixture(tmp_path / "Nämnd.xlsm"))
    data = book.read_bytes()
    r = write_cells(book, UPDATES)
    assert r.status is WriteStatus.ERROR, r
    message = r.findings[0].message
    assert "säkerhetskontrollen" in message and "docProps/app.xml" in message, message
    assert book.read_bytes() == data and _leftovers(tmp_path) == []


# ---------------------------------------------------------------------------------------------
# 3. Owner, group and mode


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root (chown)")
@pytest.mark.parametrize("mode", [0o640, 0o600, 0o664, 0o2660])
def test_owner_group_and_mode_survive_a_refresh(book: Path, mode: int) -> None:
    os.chown(book, 12345, 23456)
    os.chmod(book, mode)
    r = write_cells(book, UPDATES)
    assert r.status is WriteStatus.WRITTEN
    st = os.stat(book)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (12345, 23456, mode)


def test_owner_that_cannot_be_kept_is_refused_untouched(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service account that may write the file but not give it back to its owner: refusing is
    better than leaving the controller with a file they can no longer save."""
    data = book.read_bytes()
    uid = os.stat(book).st_uid
    monkeypatch.setattr(fileops, "_owner_of", lambda st: (uid + 1, st.st_gid), raising=False)

    def no_chown(*a, **kw):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(fileops.os, "chown", no_chown)
    r = write_cells(book, UPDATES)
    assert r.status is WriteStatus.ERROR
    assert "ägare" in r.findings[0].message
    assert book.read_bytes() == data
    assert _leftovers(book.parent) == []


# ---------------------------------------------------------------------------------------------
# 6. A completely full disk and the lock file


def test_full_disk_leaves_no_lock_behind(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a full disk the lock file can be created (an inode) but not written: it must not be
    left behind, or every run skips the workbook for 15 minutes."""
    real_write = os.write

    def write(fd: int, data) -> int:
        target = os.readlink(f"/proc/self/fd/{fd}")
        if Path(target).name.startswith(fileops.LOCK_PREFIX):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    r = write_cells(book, UPDATES)
    monkeypatch.undo()
    assert r.status is WriteStatus.ERROR
    assert "Disken är full" in r.findings[0].message
    assert _leftovers(book.parent) == []
    assert write_cells(book, UPDATES).status is WriteStatus.WRITTEN


def test_empty_lock_of_a_crashed_run_does_not_block_for_15_minutes(book: Path) -> None:
    """A lock file left empty (a crash or a full disk between create and write) is not held by
    anyone: a minute later it is broken, not respected for the whole stale period."""
    lock = fileops.lock_path(book)
    lock.write_bytes(b"")
    old = lock.stat().st_mtime - 60
    os.utime(lock, (old, old))
    assert write_cells(book, UPDATES).status is WriteStatus.WRITTEN
    assert not lock.exists()


def test_fresh_empty_lock_is_respected(book: Path) -> None:
    fileops.lock_path(book).write_bytes(b"")  # another run is writing it right now
    assert write_cells(book, UPDATES).status is WriteStatus.SKIPPED


def test_lock_with_a_live_pid_on_this_host_is_respected(book: Path) -> None:
    import socket

    fileops.lock_path(book).write_text(json.dumps(
        {"pid": os.getpid(), "host": socket.gethostname(), "since": "x"}))
    assert write_cells(book, UPDATES).status is WriteStatus.SKIPPED


def test_writer_module_keeps_its_public_steps() -> None:
    assert xw.STEPS == ("temp_written", "verified", "backup_made", "replaced")


def test_temp_file_of_a_backup_killed_half_way_is_removed_by_the_next_write(book: Path) -> None:
    """A run killed while it wrote the backup leaves a temp file in the backup folder; the next
    write of the same workbook removes it (no temp file outlives a run, not even a killed one)."""
    folder = book.parent / fileops.BACKUP_DIR
    folder.mkdir()
    left = folder / f"{fileops.TEMP_PREFIX}0badf00d-{book.stem}.bak1{book.suffix}"
    left.write_bytes(b"half a backup")
    other = folder / f"{fileops.TEMP_PREFIX}0badf00d-Annan.bak1{book.suffix}"
    other.write_bytes(b"another workbook's, not ours to remove")
    assert write_cells(book, UPDATES).status is WriteStatus.WRITTEN
    assert not left.exists() and other.exists()


def test_cleanup_never_touches_another_workbooks_temp_file(tmp_path: Path) -> None:
    book = build_fixture(tmp_path / "nd.xlsm")
    theirs = tmp_path / f"{fileops.TEMP_PREFIX}0badf00d-a-nd.xlsm"  # workbook "a-nd.xlsm"
    theirs.write_bytes(b"being written by another run")
    mine = tmp_path / f"{fileops.TEMP_PREFIX}old-0badf00d-nd.xlsm"
    mine.write_bytes(b"left by a killed run")
    assert write_cells(book, UPDATES).status is WriteStatus.WRITTEN
    assert theirs.exists() and not mine.exists()


@pytest.mark.parametrize("name", ["a+b (1).xlsm", "[x].*.xlsm", "Nämnd\n2.xlsm"])
def test_cleanup_takes_a_name_as_it_is_not_as_a_pattern(tmp_path: Path, name: str) -> None:
    """Names with the characters of a regular expression, or a line break: the temp files of
    exactly that name are removed (also the backup slot's), no other."""
    book = tmp_path / name
    book.write_bytes(b"")
    backups = tmp_path / fileops.BACKUP_DIR
    backups.mkdir()
    stem, suffix = book.stem, book.suffix
    mine = [tmp_path / f"{fileops.TEMP_PREFIX}0badf00d-{name}",
            tmp_path / f"{fileops.TEMP_PREFIX}old-12345678-{name}",
            backups / f"{fileops.TEMP_PREFIX}abcdef01-{stem}.bak1{suffix}"]
    theirs = [tmp_path / f"{fileops.TEMP_PREFIX}0badf00d-x{name}",
              tmp_path / f"{fileops.TEMP_PREFIX}0badf00-{name}",  # 7 hex: not a temp name
              tmp_path / f"{fileops.TEMP_PREFIX}0BADF00D-{name}",  # upper case: not ours
              tmp_path / f"{fileops.TEMP_PREFIX}0badf00d-{name}.bak",
              backups / f"{fileops.TEMP_PREFIX}abcdef01-{stem}.bak2{suffix}"]
    for p in (*mine, *theirs):
        p.write_bytes(b"x")
    assert sorted(fileops.cleanup_temp_files(book)) == sorted(mine)
    assert all(p.exists() for p in theirs) and not any(p.exists() for p in mine)
