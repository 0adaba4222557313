"""`desk-app backup DEST`, `desk-app restore SRC` and `desk-app check`, for the clinic manager."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from desk_app.domain.errors import DomainError
from desk_app.store.anchoring import record_backup
from desk_app.store.backup import (
    BackupError,
    backup_file,
    backup_name,
    check_file,
    file_database_id,
)
from desk_app.store.checkpoints import head_of_file
from desk_app.store.database import DatabaseOpenError, open_database, sqlite_path_from_url
from desk_app.store.files import unreachable
from desk_app.store.restoring import restore, unfinished_restore


def run_backup_command(command: str, database_url: str, args: argparse.Namespace) -> int:
    """Exit 0 when done (or the file is intact), 1 with a message when not, 2 when there is no database."""
    try:
        live = sqlite_path_from_url(database_url)
    except DatabaseOpenError as error:
        print(f"desk-app {command}: {error}", file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    try:
        if command == "check":
            checked = check_file(live)
            print(checked, file=sys.stdout if checked.ok else sys.stderr)
            return 0 if checked.ok else 1 if live.exists() else 2
        if command == "backup":
            return _backup(live, Path(args.destination).expanduser(), now, database_url)
        restored = restore(Path(args.source).expanduser(), live, now, force=args.force)
    except BackupError as error:
        print(f"desk-app {command}: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        if unfinished_restore(live.resolve()):
            print(
                f"desk-app {command}: the restore stopped halfway ({error.strerror or error}). The next "
                "start of the app, or any command, finishes or undoes it.",
                file=sys.stderr,
            )
        else:  # a backup or destination path that cannot be reached: nothing was changed
            print(f"desk-app {command}: {unreachable(Path(error.filename or ''), error)}", file=sys.stderr)
        return 1
    kept = f" The database it replaced is kept as {restored.kept}." if restored.kept else ""
    print(
        f"Restored {live.resolve()} from {args.source} ({restored.rows} audit rows; head hash "
        f"{restored.head_hash}); the restore is recorded in its audit trail.{kept}"
    )
    return 0


def _backup(live: Path, destination: Path, now: datetime, database_url: str) -> int:
    checked = check_file(live)
    if not checked.ok:
        print(f"desk-app backup: {checked}", file=sys.stderr)
        return 2 if not live.exists() else 1
    target = destination / backup_name(now, file_database_id(live)) if destination.is_dir() else destination
    copy = backup_file(live, target, now)
    print(f"Backed up to {copy}")
    _record_backup(database_url, target, now)
    return 0


def _record_backup(database_url: str, backup: Path, now: datetime) -> None:
    """The backup's row in the live trail (which file, the trail it holds); said if it cannot be."""
    try:
        rows, head = head_of_file(backup)
        db = open_database(database_url, create=False)
        try:
            record_backup(db, now, backup, rows, head)
        finally:
            db.close()
    except (DatabaseOpenError, DomainError, OSError, sqlite3.Error) as error:
        print(
            f"desk-app backup: the backup could not be recorded in the audit trail ({error}).",
            file=sys.stderr,
        )
