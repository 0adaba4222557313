"""Checkpoints of the audit trail kept outside the database: (row count, head hash, time) in small
JSON files in the backup folder, one beside each backup, one a clinic day, and one for each restore
(the restore's own row: only it makes a 'restored from a backup' row in the trail believable).

Anyone with the database file can rewrite its whole chain, cut its last rows or copy an older backup
over it; the chain alone cannot show that. A checkpoint written elsewhere can: `audit verify
--against` (see anchor_check.py) proves the chain still holds each one.

Files are written as the app writes any file a record depends on: a private temporary file beside
the target, flushed, then renamed into place; never through a link, never over a pipe or a database.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import stat
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from peewee import Database

from desk_app.store.audit import GENESIS, LAST_ROW
from desk_app.store.files import (
    NO_FOLLOW,
    NO_WAIT,
    SQLITE_HEADER,
    not_a_file,
    read_only_connection,
    sync_folder,
)
from desk_app.store.identity import SHORT_ID_LENGTH, short_id
from desk_app.store.models import AuditLog

log = logging.getLogger(__name__)

KIND = "treatment-desk audit checkpoint"
SIDECAR_SUFFIX = ".checkpoint.json"
_DAILY_NAME = re.compile(
    rf"^audit-checkpoint-(\d{{4}}-\d{{2}}-\d{{2}})-([0-9a-f]{{{SHORT_ID_LENGTH}}})\.json$"
)
_RESTORE_NAME = re.compile(
    rf"^audit-restore-\d{{8}}T\d{{6}}\.\d{{6}}Z-([0-9a-f]{{{SHORT_ID_LENGTH}}}|unknown)\.json$"
)
_LARGEST = 64 * 1024  # a checkpoint is a few hundred bytes: anything larger is not one
_HEX = re.compile(r"^[0-9a-f]+$")
MIN_TYPED_HEX = 8  # a hash prefix typed from a printed footer (which shows 12)
ROW_LIMIT = 2**63  # a row number SQLite and PostgreSQL can hold: a larger one is not a checkpoint


class CheckpointError(Exception):
    """A checkpoint could not be written or read; the message names the file."""


@dataclass(frozen=True)
class Checkpoint:
    """The audit trail as it stood at `at`: `rows` rows, the last with hash `head_hash` (whole in a
    file, the first hex digits when typed from a printed footer)."""

    rows: int
    head_hash: str
    at: datetime | None  # UTC; None when typed from a footer (it is on the paper, not here)
    database_id: str | None
    name: str  # the file it was read from, or how it was typed
    # Row 1's hash: ties the checkpoint to its trail even if the database's id is changed in the file.
    first_hash: str | None = None
    # A restore's checkpoint: the backup it restored (its row is the restore's row); None otherwise.
    restored_from: str | None = None
    typed: bool = False  # typed from a printed footer: `head_hash` is the first hex digits only
    source: str | None = None  # the folder or file it was found in (for a message)

    def to_json(self) -> str:
        at = self.at.astimezone(UTC).isoformat() if self.at else None
        fields = {
            "kind": KIND,
            "database_id": self.database_id,
            "rows": self.rows,
            "head_hash": self.head_hash,
            "first_row_hash": self.first_hash,
        }
        if self.restored_from is not None:
            fields["restored_from"] = self.restored_from
        return json.dumps(fields | {"at": at}, indent=1) + "\n"


def head_of_file(path: Path) -> tuple[int, str]:
    """(row count, head hash) of the audit trail in the database file at `path`, read only."""
    rows, head, _ = trail_of_file(path)
    return rows, head


def trail_of_file(path: Path) -> tuple[int, str, str | None]:
    """(row count, head hash, row 1's hash) of the trail in the file at `path`, on one read-only
    connection."""
    with closing(read_only_connection(path)) as connection:
        rows, head = _head(connection.execute(LAST_ROW).fetchone())
        first = connection.execute("SELECT hash FROM audit_log WHERE id = 1").fetchone()
    return rows, head, first[0] if first else None


def hash_of_row(db: Database, row: int) -> str | None:
    """Row `row`'s hash in the trail, None if it has no such row."""
    return AuditLog.select(AuditLog.hash).where(AuditLog.id == row).scalar(db)


def head_of(db: Database) -> tuple[int, str]:
    """(row count, head hash) of a database's audit trail now (the last row's id is its count)."""
    return _head(
        AuditLog.select(AuditLog.id, AuditLog.hash).order_by(AuditLog.id.desc()).limit(1).tuples().first(db)
    )


def first_hash_of(db: Database) -> str | None:
    return AuditLog.select(AuditLog.hash).where(AuditLog.id == 1).scalar(db)


def _head(last: tuple[int, str] | None) -> tuple[int, str]:
    return (last[0], last[1]) if last else (0, GENESIS)


def sidecar_of(backup: Path) -> Path:
    return backup.with_name(backup.name + SIDECAR_SUFFIX)


def daily_name(day: date, database_id: str) -> str:
    return f"audit-checkpoint-{day.isoformat()}-{short_id(database_id)}.json"


def restore_checkpoint_name(at: datetime, database_id: str | None) -> str:
    owner = short_id(database_id) if database_id else "unknown"
    return f"audit-restore-{at.astimezone(UTC):%Y%m%dT%H%M%S.%f}Z-{owner}.json"


def is_checkpoint_name(name: str) -> bool:
    return name.endswith(SIDECAR_SUFFIX) or any(
        pattern.match(name) is not None for pattern in (_DAILY_NAME, _RESTORE_NAME)
    )


def write_backup_sidecar(backup: Path, database_id: str | None, now: datetime) -> Path:
    """The checkpoint of a backup, read from the backup itself (not the live file, which has moved on)."""
    rows, head, first = trail_of_file(backup)
    target = sidecar_of(backup)
    point = Checkpoint(rows, head, now, database_id, target.name, first)
    write_checkpoint(target, point)
    return target


def write_daily_checkpoint(
    folder: Path,
    checkpoint: Checkpoint,
    day: date,
    hash_of: Callable[[int], str | None],
    live: Path | None = None,
) -> Path | None:
    """Today's checkpoint file of this database in `folder`. One already there is replaced only by
    one that extends it (`hash_of(row)` of the chain now gives its hash): a chain cut or rewritten
    since must not wipe out the checkpoint that shows it. Returns the file written, None if kept."""
    assert checkpoint.database_id is not None
    target = folder / daily_name(day, checkpoint.database_id)
    with suppress(FileNotFoundError):
        earlier = read_checkpoint(target)
        if (earlier.rows, earlier.head_hash) == (checkpoint.rows, checkpoint.head_hash):
            return None
        if earlier.rows and hash_of(earlier.rows) != earlier.head_hash:
            log.warning("%s is not extended by the audit trail now: it was kept as it was.", target)
            return None
    write_checkpoint(target, checkpoint, live)
    return target


def write_checkpoint(target: Path, checkpoint: Checkpoint, live: Path | None = None) -> None:
    """Write `checkpoint` at `target` whole or not at all. Refuses (CheckpointError) a link, a pipe,
    anything but a regular file at `target`, the live database and any SQLite file."""
    folder = target.parent
    if not folder.is_dir():
        raise CheckpointError(f"The folder {folder} for the checkpoint {target.name} does not exist.")
    _refuse_unsafe_target(target, live)
    temporary = folder / f".{target.name}.{os.getpid()}.part"
    temporary.unlink(missing_ok=True)
    try:
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY | NO_FOLLOW, 0o600)
        try:
            os.write(fd, checkpoint.to_json().encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        _refuse_unsafe_target(target, live)  # anything planted meanwhile
        os.replace(temporary, target)  # a rename replaces the name, never writes through it
        sync_folder(folder)
    except OSError as error:
        raise CheckpointError(
            f"The checkpoint {target} could not be written ({error.strerror or error})."
        ) from None
    finally:
        temporary.unlink(missing_ok=True)


def _refuse_unsafe_target(target: Path, live: Path | None) -> None:
    try:
        status = os.lstat(target)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(status.st_mode):
        raise CheckpointError(
            f"{target} is a link: a checkpoint is never written through one. It was left as it was."
        )
    if (what := not_a_file(status.st_mode)) is not None:
        raise CheckpointError(f"{target} is {what}, not a checkpoint file. It was left as it was.")
    if live is not None and live.exists() and os.path.samefile(target, live):
        raise CheckpointError(f"{target} is the clinic's database. It was left as it was.")
    with open(_open_regular(target), "rb") as existing:
        if existing.read(len(SQLITE_HEADER)) == SQLITE_HEADER:
            raise CheckpointError(f"{target} is a database, not a checkpoint file. It was left as it was.")


def _open_regular(path: Path) -> int:
    """A descriptor of the regular file at `path`: a link is not followed, a pipe never waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | NO_FOLLOW | NO_WAIT)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise CheckpointError(f"{path.name} is a link, not a checkpoint file.") from None
        raise
    if (what := not_a_file(os.fstat(fd).st_mode)) is not None:
        os.close(fd)
        raise CheckpointError(f"{path.name} is {what}, not a checkpoint file.")
    return fd


def read_checkpoint(path: Path) -> Checkpoint:
    """One checkpoint file; CheckpointError naming it if it is not a whole checkpoint.
    FileNotFoundError if there is none."""
    try:
        with open(_open_regular(path), "rb") as handle:
            content = json.loads(handle.read(_LARGEST + 1)[:_LARGEST].decode("utf-8"))
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as error:
        raise CheckpointError(f"{path.name} cannot be read as a checkpoint ({error}).") from None
    try:
        if content.get("kind") != KIND:
            raise ValueError("it is not a Treatment Desk checkpoint")
        rows, head = content["rows"], content["head_hash"]
        if not _valid_row(rows) or not isinstance(head, str) or not _HEX.match(head):
            raise ValueError("its row count or hash is not valid")
        at = datetime.fromisoformat(content["at"])
        if at.tzinfo is None:
            raise ValueError("its time has no time zone")
        database_id, first = content.get("database_id"), content.get("first_row_hash")
        restored_from = content.get("restored_from")
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{path.name} is not a valid checkpoint ({error}).") from None
    owner = database_id if isinstance(database_id, str) else None
    return Checkpoint(
        rows,
        head,
        at.astimezone(UTC),
        owner,
        path.name,
        first if isinstance(first, str) else None,
        restored_from if isinstance(restored_from, str) else None,
    )


def _valid_row(rows: object) -> bool:
    return isinstance(rows, int) and not isinstance(rows, bool) and 0 <= rows < ROW_LIMIT


def checkpoints_in(target: Path) -> tuple[list[Checkpoint], list[str]]:
    """Every checkpoint in a folder (backups' sidecars and daily files), or the one file `target`;
    with the problems of files that look like checkpoints and cannot be read (a link, a pipe...)."""
    if not target.is_dir():
        try:
            return [replace(read_checkpoint(target), source=str(target))], []
        except FileNotFoundError:
            raise CheckpointError(f"There is no checkpoint file or folder at {target}.") from None
    found, problems = [], []
    for path in sorted(target.iterdir()):
        if not is_checkpoint_name(path.name):
            continue
        try:
            found.append(replace(read_checkpoint(path), source=str(target)))
        except CheckpointError as error:
            problems.append(str(error))
        except OSError as error:
            problems.append(f"{path.name} cannot be read ({error.strerror or error}).")
    if not found and not problems:
        raise CheckpointError(f"There is no audit checkpoint in {target}: is it the backup folder?")
    return found, problems


def typed_checkpoint(text: str) -> Checkpoint:
    """`N:HASHPREFIX` or `N:HASHPREFIX@YYYY-MM-DDTHH:MM` as typed from a printed footer ("audit row N
    · hash PREFIX · DATE TIME", the time the PC's local time)."""
    rows, _, rest = text.strip().partition(":")
    prefix, _, when = rest.partition("@")
    prefix, when = prefix.strip().lower(), when.strip()
    rows = rows.strip()
    if (
        not (rows.isascii() and rows.isdigit() and len(rows) <= len(str(ROW_LIMIT)))
        or not _valid_row(int(rows))
        or len(prefix) < MIN_TYPED_HEX
        or not _HEX.match(prefix)
    ):
        raise CheckpointError(
            f"{text!r} is not a checkpoint: type it as ROW:HASH@TIME from a printed footer, for example "
            f"812:1a2b3c4d5e6f@2026-12-03T17:05 (at least {MIN_TYPED_HEX} hex digits of the hash, and "
            "the date and time printed beside it)."
        )
    at = _typed_time(when, text) if when else None
    shown = f"{rows}:{prefix}" + (f"@{when}" if when else "")
    return Checkpoint(int(rows), prefix, at, None, f"typed {shown}", typed=True)


def _typed_time(when: str, text: str) -> datetime:
    """The footer's local date and time as an instant (the minute it shows, in this PC's zone)."""
    try:
        at = datetime.fromisoformat(when)
    except ValueError:
        at = None
    if at is None or at.tzinfo is not None:
        raise CheckpointError(
            f"{text!r} is not a checkpoint: type the time printed beside it as YYYY-MM-DDTHH:MM, "
            "for example 812:1a2b3c4d5e6f@2026-12-03T17:05."
        )
    return at.astimezone(UTC)
