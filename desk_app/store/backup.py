"""Backups: a copy of the live database made with SQLite's online backup, checked, and rotated; and
a restore that checks the copy first and keeps the file it replaces.

The online backup copies a consistent snapshot while the app goes on writing; nothing is locked for
longer than one step of the copy. Every file written here is readable by its owner only.
"""

from __future__ import annotations

import os
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from desk_app.store.database import APPLICATION_ID
from desk_app.store.files import create_private_file
from desk_app.store.migrations import LATEST_VERSION

KEEP_DAILY = 14
KEEP_WEEKLY = 8
# A second backup in the same second (the exit copy just after the daily one) adds microseconds.
_NAME = re.compile(r"^treatment-desk-(\d{4}-\d{2}-\d{2})T(\d{6})(?:\.(\d{6}))?Z\.sqlite3$")


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
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as probe:
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


def backup_to(source: sqlite3.Connection, target: Path) -> FileCheck:
    """Copy the live database into `target` (a new file), then check the copy; refuse to overwrite."""
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
    return check_file(target)


def backup_name(now: datetime) -> str:
    return f"treatment-desk-{now:%Y-%m-%dT%H%M%S}Z.sqlite3"


def has_backup_of(folder: Path, day: date) -> bool:
    return folder.is_dir() and any(made == day for made, _ in _backups(folder))


def backup_now(database: Path, folder: Path, now: datetime) -> Path:
    """A backup of the database file now, on a connection of its own (so any thread may make it),
    then rotate the folder. `now` is UTC: it names the file."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / backup_name(now)
    if target.exists():
        target = folder / f"treatment-desk-{now:%Y-%m-%dT%H%M%S.%f}Z.sqlite3"
    with closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)) as source:
        backup_to(source, target)
    rotate(folder)
    return target


def _backups(folder: Path) -> list[tuple[date, Path]]:
    """The backups in `folder`, oldest first (by the time in their names), with their UTC days."""
    found = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if match:
            day, time, fraction = match.groups()
            found.append(((day, time, fraction or "000000"), date.fromisoformat(day), path))
    return [(day, path) for _, day, path in sorted(found)]


def rotate(folder: Path) -> list[Path]:
    """Keep the newest backup of each of the last 14 days that have one, and the newest of each of the
    8 latest weeks before them; remove the rest. Returns what was removed."""
    newest_per_day: dict[date, Path] = {}
    for day, path in _backups(folder):
        newest_per_day[day] = path  # oldest first: the last of a day is its newest
    days = sorted(newest_per_day, reverse=True)
    keep = {newest_per_day[day] for day in days[:KEEP_DAILY]}
    weeks: dict[tuple[int, int], Path] = {}
    for day in days[KEEP_DAILY:]:
        week = day.isocalendar()[:2]
        if week not in weeks and len(weeks) < KEEP_WEEKLY:
            weeks[week] = newest_per_day[day]
    keep |= set(weeks.values())
    removed = [path for _, path in _backups(folder) if path not in keep]
    for path in removed:
        path.unlink()
    return removed


def _unused(path: Path) -> Path:
    """`path`, or the same name with -2, -3... if it is taken: a kept database is never overwritten."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def _fold_wal_into(live: Path) -> None:
    """Write the live file's WAL into it before it is kept; a file too damaged to open is kept as it is."""
    try:
        with closing(sqlite3.connect(live)) as old:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error:
        return


def restore(source: Path, live: Path, now: datetime) -> Path:
    """Replace the database at `live` with the backup at `source`, keeping the replaced file beside it.

    The backup is checked first; the app must not be running on `live` meanwhile. Returns the path
    the replaced database was kept under.
    """
    checked = check_file(source)
    if not checked.ok:
        raise BackupError(f"Not restored: {checked.problem}. {live} was left as it was.")
    kept = _unused(live.with_name(f"{live.stem}.replaced-{now:%Y%m%dT%H%M%S}Z{live.suffix}"))
    partial = live.with_name(f".{live.name}.restoring")
    try:
        create_private_file(partial)
        reading = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        with closing(reading) as src, closing(sqlite3.connect(partial)) as copy:
            src.backup(copy)
            copy.execute("PRAGMA journal_mode = WAL")
        if live.exists():
            _fold_wal_into(live)
            os.replace(live, kept)
            for suffix in ("-wal", "-shm"):
                Path(f"{live}{suffix}").unlink(missing_ok=True)
        try:
            os.replace(partial, live)
        except OSError:
            if kept.exists():
                os.replace(kept, live)  # put the old one back rather than leave no database
            raise
    except (OSError, sqlite3.Error) as error:
        raise BackupError(f"Not restored: {error}. {live} was left as it was.") from None
    finally:
        partial.unlink(missing_ok=True)
    return kept
