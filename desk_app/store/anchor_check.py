"""Does the audit trail still hold every checkpoint kept outside the file?

A checkpoint (row N, hash H) holds when the chain's row N has hash H (or, typed from a footer, a hash
starting with H). It fails when the trail is shorter (cut, or an older backup copied over the file)
or row N differs (the chain recomputed, or work done after such a copy). One exception: a restore
made by the app writes its own row ('database restored from a backup', with the backup's row count)
and its own restore checkpoint beside the backup, so a checkpoint taken after the backup's point and
before the restore was rolled back by it, in the open: that is said, not failed. A restore row that
no restore checkpoint confirms explains nothing: anyone with the file can write one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from peewee import Database, SqliteDatabase

from desk_app.domain.dates import shown_instant
from desk_app.store.checkpoints import (
    SIDECAR_SUFFIX,
    Checkpoint,
    checkpoints_in,
    first_hash_of,
    hash_of_row,
    head_of,
    typed_checkpoint,
)
from desk_app.store.identity import database_id
from desk_app.store.models import AuditLog

RESTORE_ACTION = "database restored from a backup"
_GIVE_THE_TIME = "give the date and time printed beside it (ROW:HASH@YYYY-MM-DDTHH:MM)"


@dataclass(frozen=True)
class _Restore:
    row: int
    row_hash: str
    at: datetime
    backup_rows: int
    backup_head_hash: str
    backup: str  # the backup file's name


@dataclass
class AnchorCheck:
    """What the checkpoints show: failures (each naming its checkpoint) and notices (rollbacks by a
    restore the trail records, checkpoints of other databases left aside)."""

    files: int = 0  # checkpoint files of this trail checked (restores' own aside)
    held_files: int = 0
    typed: int = 0
    held_typed: int = 0
    rolled_back: int = 0  # by a restore its restore checkpoint confirms
    failures: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def held(self) -> int:
        return self.held_files + self.held_typed

    def summary(self) -> str:
        counts = []
        if self.files:
            counts.append(f"{self.held_files} of {self.files} checkpoint files held")
        if self.typed:
            counts.append(f"{self.held_typed} of {self.typed} typed checkpoints held")
        if self.rolled_back:
            counts.append(f"{self.rolled_back} rolled back by a restore")
        return "; ".join(counts) + "." if counts else "No checkpoint of this trail was checked."


def shown_time(instant: datetime | None) -> str:
    """'2 Dec 2026 17:00' in the PC's (the clinic's) time zone."""
    return "no time given" if instant is None else shown_instant(instant)


def named(checkpoint: Checkpoint) -> str:
    return f"checkpoint {checkpoint.name} (row {checkpoint.rows}, {shown_time(checkpoint.at)})"


def check_checkpoints(db: Database, checkpoints: list[Checkpoint], unreadable: list[str]) -> AnchorCheck:
    """Check each checkpoint of this database against its chain (read only)."""
    result = AnchorCheck(failures=[f"checkpoint {problem.rstrip('.')}" for problem in unreadable])
    own_id, own_first = database_id(db), first_hash_of(db)
    mine = [point for point in checkpoints if _of_this_trail(point, own_id, own_first)]
    if others := len(checkpoints) - len(mine):
        ids = sorted({(point.database_id or "?")[:12] for point in checkpoints if point not in mine})
        result.notices.append(
            f"{others} checkpoints of other databases (ids {', '.join(ids)}) were left aside."
        )
    for source in dict.fromkeys(point.source for point in checkpoints if point.source):
        if not any(point.source == source for point in mine):
            result.failures.append(
                f"{source} holds no checkpoint of this database's trail (its id is {(own_id or '?')[:12]}): "
                "is it the right folder, or was the database's id changed?"
            )
    rows_now, _ = head_of(db)
    restores = _sort_restores(db, mine, result)
    where = ", ".join(dict.fromkeys(point.source for point in checkpoints if point.source))
    for point in (point for point in mine if point.restored_from is None):
        stored = hash_of_row(db, point.rows) if point.rows else None
        held = point.rows == 0 or (stored is not None and _matches(stored, point))
        result.files += not point.typed
        result.typed += point.typed
        result.held_files += held and not point.typed
        result.held_typed += held and point.typed
        if not held and not _rolled_back(point, restores, result, where or "the checkpoints given"):
            result.failures.append(
                f"the trail has only {rows_now} rows; {named(point)} recorded {point.rows}"
                if stored is None
                else f"row {point.rows}'s hash differs from {named(point)}"
            )
    return result


@dataclass
class _Restores:
    confirmed: list[_Restore]  # by their restore checkpoints
    unconfirmed: list[_Restore]
    named: set[int] = field(default_factory=set)  # unconfirmed restore rows already named as failures


def _rolled_back(point: Checkpoint, restores: _Restores, result: AnchorCheck, where: str) -> bool:
    """Whether a confirmed restore after `point` rolled its row back (said as a notice). A restore
    that is not confirmed, or a checkpoint with no time that only a restore could explain, fails."""
    if point.at is not None and (restore := _restore_after(point, restores.confirmed)) is not None:
        result.rolled_back += 1
        result.notices.append(
            f"{named(point)} was rolled back by the restore at audit row {restore.row} "
            f"({shown_time(restore.at)}) from backup {restore.backup}, which held {restore.backup_rows} rows."
        )
        return True
    if point.at is None and _restore_after(point, restores.confirmed + restores.unconfirmed):
        result.failures.append(f"{named(point)} could only be explained by a restore: {_GIVE_THE_TIME}")
    elif (restore := _restore_after(point, restores.unconfirmed)) and restore.row not in restores.named:
        restores.named.add(restore.row)
        result.failures.append(
            f"audit row {restore.row} says the database was restored from a backup, but no restore "
            f"checkpoint in {where} confirms it"
        )
    return False


def _of_this_trail(point: Checkpoint, own_id: str | None, own_first: str | None) -> bool:
    """Typed, or of this database by its id, or by its first row (an id changed in the file does not
    set a trail's checkpoints aside)."""
    return point.database_id in (None, own_id) or (
        point.first_hash is not None and point.first_hash == own_first
    )


def _matches(stored: str, point: Checkpoint) -> bool:
    return stored.startswith(point.head_hash) if point.typed else stored == point.head_hash


def _restores(db: Database, result: AnchorCheck) -> list[_Restore]:
    """The trail's restore rows. One whose time is not one the app writes (an aware ISO time) is a
    forgery and fails; one whose detail is not the app's explains nothing."""
    rows = (
        AuditLog.select(AuditLog.id, AuditLog.hash, AuditLog.at, AuditLog.detail)
        .where(AuditLog.action == RESTORE_ACTION)
        .order_by(AuditLog.id)
        .tuples()
        .execute(db)
    )
    found = []
    for row_id, row_hash, at, detail in rows:
        try:
            when = datetime.fromisoformat(at)
        except (TypeError, ValueError):
            when = None
        if when is None or when.tzinfo is None:
            result.failures.append(
                f"audit row {row_id} says the database was restored from a backup, but its time "
                f"({str(at)[:40]!r}) is not one the app writes"
            )
            continue
        try:
            content = json.loads(detail)
            backup_rows, backup_head = int(content["backup_audit_rows"]), str(content["backup_head_hash"])
            backup = content.get("backup_file") or Path(content["from"]).name
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # not a restore the app wrote: explains nothing
        found.append(_Restore(row_id, row_hash, when, backup_rows, backup_head, str(backup)))
    return found


def _sort_restores(db: Database, checkpoints: list[Checkpoint], result: AnchorCheck) -> _Restores:
    """The restores, confirmed or not. Anyone with the file can append a restore row: one that
    does not follow the backup's last row, or that its backup's checkpoint contradicts, fails; one
    that no restore checkpoint (written by the restore beside the backup) confirms explains nothing.
    The app never restores a server's database: there every restore row fails."""
    restores = _restores(db, result)
    if not isinstance(db, SqliteDatabase):
        result.failures += [
            f"audit row {restore.row} says the database was restored from a backup, but the app never "
            "restores a server's database"
            for restore in restores
        ]
        return _Restores([], [])
    sidecars = {point.name: point for point in checkpoints}
    restore_points = {
        (point.rows, point.head_hash, point.restored_from) for point in checkpoints if point.restored_from
    }
    confirmed, unconfirmed = [], []
    for restore in restores:
        where = f"the restore at audit row {restore.row} (from backup {restore.backup})"
        last = hash_of_row(db, restore.backup_rows)
        if restore.row != restore.backup_rows + 1 or (
            restore.backup_rows and last != restore.backup_head_hash
        ):
            result.failures.append(f"{where} does not follow the backup's last row, as a restore's row does")
            continue
        sidecar = sidecars.get(restore.backup + SIDECAR_SUFFIX)
        if sidecar is not None and (sidecar.rows, sidecar.head_hash) != (
            restore.backup_rows,
            restore.backup_head_hash,
        ):
            result.failures.append(
                f"{where} claims the backup held {restore.backup_rows} rows; its {named(sidecar)} "
                "says otherwise"
            )
            continue
        if (restore.row, restore.row_hash, restore.backup) in restore_points:
            confirmed.append(restore)
        else:
            unconfirmed.append(restore)
    return _Restores(confirmed, unconfirmed)


def _restore_after(point: Checkpoint, restores: list[_Restore]) -> _Restore | None:
    """The first restore, after the checkpoint was written, of a backup from before its row: the row
    the checkpoint names was rolled back by it. A checkpoint with no time: any such restore."""
    for restore in restores:
        if restore.backup_rows < point.rows and (point.at is None or restore.at >= point.at):
            return restore
    return None


def gather_checkpoints(sources: list[Path], typed: list[str]) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints of every folder or file in `sources` and those typed from footers, with the
    problems of checkpoint files that cannot be read. CheckpointError (nothing read) for a source
    that is not there or holds no checkpoint at all, or a typed checkpoint that is not one."""
    points = [typed_checkpoint(text) for text in typed]
    problems: list[str] = []
    for source in sources:
        found, unreadable = checkpoints_in(source)
        points += found
        problems += unreadable
    return points, problems
