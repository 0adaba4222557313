"""Restore: a checked backup of this clinic put in place of the live database, never while a desk has
it open, audited, and safe to kill at any point.

The steps, each leaving something the next start can act on:
1. the backup is checked (whole, its audit trail unbroken, this clinic's, not a demo over a real
   clinic) and copied beside the live file as a hidden working copy, with the restore recorded in its
   audit trail, and that row's checkpoint written beside the backup (anchor_check.py believes a
   restore row only when its restore checkpoint confirms it);
2. a journal naming the files is written (and locked while the restore runs): from here on no desk
   opens the database;
3. the live file is renamed to a kept `replaced` copy, then the working copy to the live name;
4. the journal is removed.
After a kill, `finish_unfinished_restore` (called before any database file is opened) finishes the
restore if the live file was already moved aside, and undoes it (removes the working copy) if not.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from peewee import SqliteDatabase

from desk_app.store.audit import LAST_ROW, verify_audit, write_audit
from desk_app.store.backup import BackupError, check_file
from desk_app.store.checkpoints import (
    Checkpoint,
    CheckpointError,
    first_hash_of,
    head_of,
    restore_checkpoint_name,
    write_checkpoint,
)
from desk_app.store.files import (
    SIDE_FILES,
    create_private_file,
    read_only_connection,
    read_only_uri,
    sync_folder,
)
from desk_app.store.identity import database_id_in_file, setting_in_file
from desk_app.store.migrations import AUDITED_SCHEMA
from desk_app.store.models import DATABASE_ID_SETTING, DEMO_SETTING, AuditLog, ClinicSetting, EventRow
from desk_app.store.presence import _lock, fcntl, programs_using
from desk_app.store.seals import Sealed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Restored:
    kept: Path | None  # the database it replaced, kept under another name (None: there was none)
    rows: int  # audit rows of the backup
    head_hash: str


def journal_path(live: Path) -> Path:
    return live.with_name(f".{live.name}.restore")


def working_copy_path(live: Path) -> Path:
    return live.with_name(f".{live.name}.restoring")


def _replaced_name(live: Path, at: datetime) -> Path:
    """Where the database a restore replaces is kept: beside it, named for when, never over a file."""
    return _unused(live.with_name(f"{live.stem}.replaced-{at:%Y%m%dT%H%M%S}Z{live.suffix}"))


def _unused(path: Path) -> Path:
    """`path`, or the same name with -2, -3... if it is taken: a kept database is never overwritten."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def _audit_of(path: Path) -> tuple[int, str, str | None]:
    """(rows, head hash, problem) of the file's audit trail, read only."""
    db = SqliteDatabase(read_only_uri(path), uri=True)
    try:
        with db.bind_ctx([AuditLog, EventRow]):
            report = verify_audit(db)
    finally:
        db.close()
    return report.rows, report.head_hash, report.problem


def _refuse_other_clinics(source: Path, live: Path, force: bool) -> None:
    """A backup of another database (by id, or failing that by the audit trail) or a demo over a real
    clinic is refused unless forced."""
    if force or not live.is_file() or not check_file(live).ok:
        return  # nothing there to confuse it with: this is how a lost clinic comes back
    with closing(read_only_connection(source)) as backup, closing(read_only_connection(live)) as current:
        if setting_in_file(backup, DEMO_SETTING) and not setting_in_file(current, DEMO_SETTING):
            raise BackupError(
                f"Not restored: {source} is a training demo and {live} holds real records. "
                "Add --force only if you really mean to replace them. It was left as it was."
            )
        backup_id, live_id = database_id_in_file(backup), database_id_in_file(current)
        if backup_id and live_id:
            if backup_id != live_id:
                raise BackupError(
                    f"Not restored: {source} is a backup of another database (its id is "
                    f"{backup_id[:12]}, this one's {live_id[:12]}). Add --force only if you mean it. "
                    f"{live} was left as it was."
                )
            return
        # A backup from before ids: this clinic's if its last audit row is in the live trail.
        last = backup.execute(LAST_ROW).fetchone()
        same = (
            last is None
            or current.execute("SELECT 1 FROM audit_log WHERE id = ? AND hash = ?", last).fetchone()
        )
        if not same:
            raise BackupError(
                f"Not restored: nothing shows that {source} is a backup of this clinic's database. "
                f"Add --force only if you are sure. {live} was left as it was."
            )


def _prepare_working_copy(
    source: Path, live: Path, partial: Path, now: datetime, backup: Restored
) -> tuple[Restored, Checkpoint]:
    """Copy the backup beside the live file and record the restore in its own audit trail, so the
    restore and its record arrive together or not at all. Returns the restore row's checkpoint too."""
    kept, rows, head = backup.kept, backup.rows, backup.head_hash
    live_id = None
    if live.is_file() and check_file(live).ok:
        with closing(read_only_connection(live)) as current:
            live_id = database_id_in_file(current)
    create_private_file(partial)
    with closing(read_only_connection(source)) as src, closing(sqlite3.connect(partial)) as copy:
        src.backup(copy)
        copy.execute("PRAGMA journal_mode = WAL")
    db = SqliteDatabase(str(partial), pragmas={"synchronous": "full"})
    try:
        with db.bind_ctx([AuditLog, ClinicSetting]), db.atomic():
            sealed: list[Sealed] = []
            if live_id and not ClinicSetting.get_or_none(ClinicSetting.key == DATABASE_ID_SETTING):
                # A backup from before ids carries on as the database it was taken of.
                ClinicSetting.insert(key=DATABASE_ID_SETTING, value=live_id).execute()
                sealed.append((ClinicSetting, DATABASE_ID_SETTING))
            detail = {
                "from": str(source),
                "backup_file": source.name,  # what checkpoints beside it are named for
                "backup_audit_rows": rows,
                "backup_head_hash": head,
                "replaced_kept_as": kept.name if kept else None,
            }
            write_audit(db, now, None, "database restored from a backup", "database", None, detail, sealed)
            row, row_hash = head_of(db)
            setting = ClinicSetting.get_or_none(ClinicSetting.key == DATABASE_ID_SETTING)
            owner = setting.value if setting else None
            name = restore_checkpoint_name(now, owner)
            point = Checkpoint(row, row_hash, now, owner, name, first_hash_of(db), restored_from=source.name)
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    with open(partial, "rb+") as handle:
        os.fsync(handle.fileno())
    return Restored(kept, rows, head), point


def _write_journal(live: Path, kept: Path | None) -> int:
    """The journal, written whole under a temporary name and renamed into place already locked;
    returns its descriptor, held (with the lock) until the restore is over."""
    journal = journal_path(live)
    working = journal.with_name(f"{journal.name}.new")
    working.unlink(missing_ok=True)
    fd = os.open(working, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    if fcntl is not None:
        _lock(fd)
    # Only "kept" is read back (and checked); who was restoring is for a person looking at it.
    content = {"kept": str(kept) if kept else None, "pc": socket.gethostname(), "process": os.getpid()}
    os.write(fd, json.dumps(content).encode())
    os.fsync(fd)
    try:
        os.link(working, journal)  # refuses if another restore's journal is there
    except FileExistsError:
        os.close(fd)
        working.unlink(missing_ok=True)
        raise BackupError(
            f"Not restored: another restore of {live} is under way. It was left as it was."
        ) from None
    try:
        working.unlink()
        sync_folder(live.parent)
    except BaseException:
        os.close(fd)
        raise
    return fd


def restore(source: Path, live: Path, now: datetime, *, force: bool = False) -> Restored:
    """Replace the database at `live` (a symlink is followed to the real file) with the backup at
    `source`, keeping the replaced file beside it. Refused while any program has the database open,
    and while another restore of it runs (their working copies would be the same file)."""
    live = live.resolve()
    with _only_restore_of(live):
        restored = _restore(source.expanduser(), live, now, force)
    log.info(
        "Database %s restored from the backup %s; the file it replaced is kept as %s",
        live,
        source,
        restored.kept,
    )
    return restored


@contextmanager
def _only_restore_of(live: Path) -> Iterator[None]:
    """Hold a lock on the database's folder for the whole restore (no file is made for it); a second
    restore in that folder at the same time is refused at once."""
    fd = os.open(live.parent, os.O_RDONLY)
    try:
        if fcntl is not None and not _lock(fd):
            raise BackupError(f"Not restored: another restore of {live} is under way. It was left as it was.")
        yield
    finally:
        os.close(fd)


def _restore(source: Path, live: Path, now: datetime, force: bool) -> Restored:
    finish_unfinished_restore(live)
    checked = check_file(source)
    if not checked.ok:
        raise BackupError(f"Not restored: {checked.problem}. {live} was left as it was.")
    if source.resolve() == live:
        raise BackupError(f"Not restored: {source} is the live database itself.")
    if (checked.schema or 0) < AUDITED_SCHEMA:
        raise BackupError(
            f"Not restored: {source} is from an older version of the app (schema {checked.schema}), "
            f"before the audit trail, so it cannot be checked. {live} was left as it was."
        )
    rows, head, problem = _audit_of(source)  # walked once: the record of the restore quotes it
    if problem:
        raise BackupError(
            f"Not restored: the backup's audit trail is broken ({problem}). {live} was left as it was."
        )
    _refuse_other_clinics(source, live, force)
    if users := programs_using(live):
        raise BackupError(
            f"Not restored: the database is open in {'; '.join(users)}. Close Treatment Desk there "
            f"first. {live} was left as it was."
        )
    kept = _replaced_name(live, now) if live.exists() else None
    partial = working_copy_path(live)
    partial.unlink(missing_ok=True)  # a working copy with no journal: a restore killed while copying
    try:
        restored, restore_point = _prepare_working_copy(
            source, live, partial, now, Restored(kept, rows, head)
        )
    except (OSError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"Not restored: {error}. {live} was left as it was.") from None
    try:
        # The restore row's checkpoint, beside the backup, before the live file is touched: a
        # restore that cannot leave it is not made (anchor_check.py believes no restore row without it).
        write_checkpoint(source.parent / restore_point.name, restore_point, live)
    except (CheckpointError, OSError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        raise BackupError(
            f"Not restored: the restore's checkpoint could not be written beside the backup ({error}). "
            f"{live} was left as it was."
        ) from None
    try:
        journal = _write_journal(live, kept)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"Not restored: {error}. {live} was left as it was.") from None
    try:
        # A desk that started between the first look and the journal: it has not seen the journal.
        if users := programs_using(live):
            _undo(live, partial, kept)
            raise BackupError(
                f"Not restored: the database was opened in {'; '.join(users)} meanwhile. {live} was "
                "left as it was."
            )
        if kept is not None:
            _fold_wal_into(live)
            os.replace(live, kept)
        _set_aside_side_files(live, kept)
        sync_folder(live.parent)
        os.replace(partial, live)
        sync_folder(live.parent)
        journal_path(live).unlink()
        sync_folder(live.parent)
    finally:
        os.close(journal)
    return restored


def _set_aside_side_files(live: Path, kept: Path | None) -> None:
    """Move the old database's -wal, -shm and -journal beside its kept copy (or, with no main file,
    under a name of their own): left in place, SQLite would replay an old WAL over the restored
    file; deleted, the kept copy would lose what was not yet folded into it."""
    base = kept or _replaced_name(live, datetime.now(UTC))
    for suffix in SIDE_FILES:
        side = Path(f"{live}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{base}{suffix}"))


def _fold_wal_into(live: Path) -> None:
    """Write the live file's WAL into it before it is kept; a file too damaged to open is kept as it is."""
    try:
        with closing(sqlite3.connect(live)) as old:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error:
        return


def _undo(live: Path, partial: Path, kept: Path | None) -> None:
    partial.unlink(missing_ok=True)
    if not live.exists() and kept is not None and kept.exists():
        os.replace(kept, live)
    journal_path(live).unlink(missing_ok=True)
    sync_folder(live.parent)


def finish_unfinished_restore(live: Path) -> str | None:
    """If a restore of `live` was killed, finish it (the live file was already moved aside) or undo
    it (it was not); return what was done, or None if there was nothing to do. Raises BackupError
    while another process is still restoring."""
    journal = journal_path(live)
    try:
        fd = os.open(journal, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        if fcntl is not None and not _lock(fd):
            raise BackupError(f"A restore of {live} is under way; try again when it has finished.")
        partial, kept = working_copy_path(live), _kept_named_in(fd, live)
        if partial.is_symlink() or (partial.exists() and not partial.is_file()):
            raise BackupError(f"{partial} is not a file a restore made; move it away and try again.")
        if partial.exists() and not live.exists():
            _set_aside_side_files(live, kept)  # killed between the two renames: finish
            os.replace(partial, live)
            done = "finished"
        elif partial.exists():
            partial.unlink()  # killed before the live file was touched: undo
            done = "undone"
        elif not live.exists() and kept is not None and kept.exists():
            os.replace(kept, live)  # the working copy is gone: put the old database back
            done = "undone"
        elif live.exists():
            done = "finished"  # killed after the last rename, before the journal went
        else:
            done = "cleared"  # nothing of the restore is left to finish or undo
        journal.unlink(missing_ok=True)
        sync_folder(live.parent)
        log.info("A restore of %s stopped halfway was %s", live, done)
        return done
    finally:
        os.close(fd)


def _kept_named_in(journal: int, live: Path) -> Path | None:
    """The replaced copy the journal names, trusted only if it is one a restore of `live` would make:
    a journal planted or garbled must not move any other file into the database's place."""
    try:
        named = json.loads(os.read(journal, 65536)).get("kept")
    except (ValueError, AttributeError):
        return None  # never whole: it was written before anything was moved
    if not isinstance(named, str):
        return None
    kept = Path(named)
    expected = kept.parent == live.parent and kept.name.startswith(f"{live.stem}.replaced-")
    return kept if expected and kept.name.endswith(live.suffix) and not kept.is_symlink() else None


def unfinished_restore(live: Path) -> bool:
    with contextlib.suppress(OSError):
        return journal_path(live).exists()
    return False
