"""Backups: a copy of the live database made with SQLite's online backup, checked, and rotated (the
restore is in restoring.py).

The online backup copies a consistent snapshot while the app goes on writing; nothing is locked for
longer than one step of the copy. Every file written here is readable by its owner only.

Each backup gets a checkpoint of its audit trail beside it (its sidecar, checkpoints.py), and the
app's own backups write the day's checkpoint too: anchors a copy of the database cannot rewrite.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from desk_app.domain.dates import local_today
from desk_app.store.checkpoints import (
    Checkpoint,
    CheckpointError,
    sidecar_of,
    trail_of_file,
    write_backup_sidecar,
    write_daily_checkpoint,
)
from desk_app.store.files import APPLICATION_ID, create_private_file, read_only_connection
from desk_app.store.identity import SHORT_ID_LENGTH, database_id_in_file, short_id
from desk_app.store.migrations import LATEST_VERSION

log = logging.getLogger(__name__)

KEEP_DAILY = 14
KEEP_WEEKLY = 8
# A working copy this old was left by a backup that was killed: no backup takes an hour.
STALE_PART_SECONDS = 3600
# treatment-desk-<database id>-<UTC date and time>Z.sqlite3; a second backup in the same second (the
# exit copy just after the daily one) adds microseconds. Backups from before database ids have no id:
# nobody can tell whose they are, so rotation leaves them alone.
_NAME = re.compile(
    rf"^treatment-desk-(?:([0-9a-f]{{{SHORT_ID_LENGTH}}})-)?(\d{{4}}-\d{{2}}-\d{{2}})T(\d{{6}})"
    r"(?:\.(\d{6}))?Z\.sqlite3$"
)


class BackupError(Exception):
    """A backup or restore could not be made safely; the message says what was left as it was."""


@dataclass(frozen=True)
class FileCheck:
    """What `check_file` found: fine, or the first problem, with what the file holds."""

    path: Path
    problem: str | None
    schema: int | None = None
    sessions: int | None = None
    patients: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def __str__(self) -> str:
        if self.ok:
            return (
                f"{self.path}: intact (schema {self.schema}; {self.patients} patients, "
                f"{self.sessions} sessions)."
            )
        return f"{self.path}: NOT usable: {self.problem}"


def check_file(path: Path) -> FileCheck:
    """Read-only: is this a whole, undamaged Treatment Desk database of a schema this app knows?"""
    if not path.is_file():
        return FileCheck(path, "there is no such file")
    try:
        with closing(read_only_connection(path)) as probe:
            if probe.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                return FileCheck(path, "it is not a Treatment Desk database")
            result = probe.execute("PRAGMA integrity_check").fetchall()
            if result != [("ok",)]:
                return FileCheck(path, f"it is damaged ({result[0][0]})")
            schema = probe.execute("SELECT max(version) FROM schema_migration").fetchone()[0]
            if schema is None or schema > LATEST_VERSION:
                return FileCheck(path, f"its schema ({schema}) is not one this version of the app knows")
            patients = probe.execute("SELECT count(*) FROM patient").fetchone()[0]
            sessions = probe.execute("SELECT count(*) FROM treatment_session").fetchone()[0]
    except sqlite3.Error as error:
        return FileCheck(path, f"it cannot be read as a database ({error})")
    return FileCheck(path, None, schema, sessions, patients)


def backup_to(source: sqlite3.Connection, target: Path, now: datetime | None = None) -> FileCheck:
    """Copy the live database into `target` (a new file), check the copy, then write its checkpoint
    beside it (read from the copy); refuse to overwrite."""
    if target.exists():
        raise BackupError(f"{target} already exists; it was left as it was.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    partial = target.with_name(f".{target.name}.part")
    try:
        create_private_file(partial)
        with closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        checked = check_file(partial)
        if not checked.ok:
            raise BackupError(f"The copy did not check out: {checked.problem}")
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as error:
        raise BackupError(f"No backup was made in {target.parent}: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
    checked = check_file(target)
    log.info("Backup made: %s", target)
    try:
        write_backup_sidecar(target, database_id_in_file(source), now or datetime.now(UTC))
    except (CheckpointError, OSError, sqlite3.Error) as error:
        raise BackupError(f"The backup {target} was made, but not its checkpoint: {error}") from None
    return checked


def backup_name(now: datetime, database_id: str | None) -> str:
    """The file name of a backup made at `now` (UTC) of the database with this id."""
    owner = f"{short_id(database_id)}-" if database_id else ""
    return f"treatment-desk-{owner}{now:%Y-%m-%dT%H%M%S}Z.sqlite3"


def backup_file(database: Path, target: Path, now: datetime | None = None) -> FileCheck:
    """A checked copy of the database file at `target` (a new file), read without writing to it."""
    with closing(read_only_connection(database)) as source:
        return backup_to(source, target, now)


def has_backup_of(folder: Path, day: date, database_id: str) -> bool:
    return folder.is_dir() and any(made == day for made, _ in _backups(folder, database_id))


def file_database_id(database: Path) -> str | None:
    """The id of the database in this file, read without writing to it."""
    with closing(read_only_connection(database)) as source:
        return database_id_in_file(source)


def backup_now(database: Path, folder: Path, now: datetime) -> Path:
    """A backup of the database file now, on a connection of its own (so any thread may make it), its
    checkpoint and the day's, then rotate the folder's backups of this database. `now` is UTC: it
    names the file."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with closing(read_only_connection(database)) as source:
        owner = database_id_in_file(source)
        if owner is None:
            raise BackupError(f"{database} has no database id yet; open it with the app once.")
        target = folder / backup_name(now, owner)
        if target.exists():
            target = target.with_name(target.name.replace("Z.sqlite3", f".{now:%f}Z.sqlite3"))
        backup_to(source, target, now)
    try:
        _write_days_checkpoint(target, owner, now, database)
    finally:
        rotate(folder, owner)
    return target


def _write_days_checkpoint(backup: Path, owner: str, now: datetime, live: Path) -> None:
    """The day's checkpoint, from the backup just made (the live trail at the same instant)."""

    def hash_in_backup(row: int) -> str | None:
        with closing(read_only_connection(backup)) as copy:
            found = copy.execute("SELECT hash FROM audit_log WHERE id = ?", (row,)).fetchone()
        return found[0] if found else None

    try:
        rows, head, first = trail_of_file(backup)
        point = Checkpoint(rows, head, now, owner, "today", first)
        write_daily_checkpoint(backup.parent, point, local_today(now), hash_in_backup, live)
    except (CheckpointError, OSError, sqlite3.Error) as error:
        raise BackupError(f"The backup {backup} was made, but not the day's checkpoint: {error}") from None


def _backups(folder: Path, database_id: str) -> list[tuple[date, Path]]:
    """The backups of this database in `folder`, oldest first (by the time in their names), with
    their UTC days."""
    owner = short_id(database_id)
    found = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if match and match[1] == owner:
            _, day, clock_time, fraction = match.groups()
            found.append(((day, clock_time, fraction or "000000"), date.fromisoformat(day), path))
    return [(day, path) for _, day, path in sorted(found)]


def _stale_parts(folder: Path, database_id: str) -> list[Path]:
    """Working copies of this database's backups left by a backup that was killed."""
    oldest = time.time() - STALE_PART_SECONDS
    stale = []
    for path in folder.iterdir():
        if not (path.name.startswith(".") and path.name.endswith(".part")):
            continue
        match = _NAME.match(path.name[1 : -len(".part")])
        with contextlib.suppress(OSError):
            if match and match[1] == short_id(database_id) and path.lstat().st_mtime < oldest:
                stale.append(path)
    return stale


def rotate(folder: Path, database_id: str) -> list[Path]:
    """Keep the newest backup of this database of each of the last 14 days that have one, and the
    newest of each of the 8 latest weeks before them; remove the rest of its backups (with their
    checkpoints) and its stale working copies; the daily checkpoint files stay. Other databases'
    files are never touched. Returns what was removed."""
    newest_per_day: dict[date, Path] = {}
    for day, path in _backups(folder, database_id):
        newest_per_day[day] = path  # oldest first: the last of a day is its newest
    days = sorted(newest_per_day, reverse=True)
    keep = {newest_per_day[day] for day in days[:KEEP_DAILY]}
    weeks: dict[tuple[int, int], Path] = {}
    for day in days[KEEP_DAILY:]:
        week = day.isocalendar()[:2]
        if week not in weeks and len(weeks) < KEEP_WEEKLY:
            weeks[week] = newest_per_day[day]
    keep |= set(weeks.values())
    removed = [path for _, path in _backups(folder, database_id) if path not in keep]
    removed += _stale_parts(folder, database_id)
    for path in removed:
        path.unlink(missing_ok=True)
        if path.name.endswith(".sqlite3"):  # a backup's own checkpoint goes with it; no other
            sidecar_of(path).unlink(missing_ok=True)
    if removed:
        log.info("Old backups pruned from %s: %s", folder, ", ".join(path.name for path in removed))
    return removed
