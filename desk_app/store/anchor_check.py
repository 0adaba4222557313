"""Does the audit trail still hold every checkpoint kept outside the file?

A checkpoint (row N, hash H) holds when the chain's row N has hash H (or, typed from a footer, a hash
starting with H). It fails when the trail is shorter (cut, or an older backup copied over the file)
or row N differs (the chain recomputed, or work done after such a copy). One exception: a restore
made by the app writes its own row ('database restored from a backup', with the backup's row count),
so a checkpoint taken after the backup's point and before the restore was rolled back by it, in the
open: that is said, not failed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from peewee import Database

from desk_app.store.checkpoints import (
    SIDECAR_SUFFIX,
    Checkpoint,
    checkpoints_in,
    first_hash_of,
    head_of,
    typed_checkpoint,
)
from desk_app.store.identity import database_id
from desk_app.store.models import AuditLog

RESTORE_ACTION = "database restored from a backup"


@dataclass(frozen=True)
class _Restore:
    row: int
    at: datetime
    backup_rows: int
    backup_head_hash: str
    backup: str  # the backup file's name


@dataclass
class AnchorCheck:
    """What the checkpoints show: failures (each naming its checkpoint) and notices (rollbacks by a
    restore the trail records, checkpoints of other databases left aside)."""

    held: int = 0
    rolled_back: int = 0  # by a restore the trail records
    failures: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self, checked: int) -> str:
        rolled_back = f"; {self.rolled_back} rolled back by a restore" if self.rolled_back else ""
        return f"{self.held} of {checked} checkpoints held{rolled_back}."


def shown_time(instant: datetime | None) -> str:
    """'2 Dec 2026 17:00' in the PC's (the clinic's) time zone."""
    if instant is None:
        return "time on the paper"
    local = instant.astimezone()
    return f"{local.day} {local:%b %Y %H:%M}"


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
        if not mine:
            result.failures.append(
                f"none of the {others} checkpoints is of this database (its id is {(own_id or '?')[:12]}): "
                "was its id changed?"
            )
    rows_now, _ = head_of(db)
    restores = _confirmed_restores(db, _restores(db), checkpoints, result)
    for point in mine:
        stored = (
            AuditLog.select(AuditLog.hash).where(AuditLog.id == point.rows).scalar(db) if point.rows else None
        )
        if point.rows == 0 or (stored is not None and _matches(stored, point)):
            result.held += 1
        elif (found := _restore_after(point, restores)) is not None:
            restore, confirmed = found
            result.rolled_back += 1
            result.notices.append(
                f"{named(point)} was rolled back by the restore at audit row {restore.row} "
                f"({shown_time(restore.at)}) from backup {restore.backup}, which held "
                f"{restore.backup_rows} rows"
                + ("." if confirmed else " (no checkpoint of that backup was read to confirm it).")
            )
        elif stored is None:
            result.failures.append(
                f"the trail has only {rows_now} rows; {named(point)} recorded {point.rows}"
            )
        else:
            result.failures.append(f"row {point.rows}'s hash differs from {named(point)}")
    return result


def _of_this_trail(point: Checkpoint, own_id: str | None, own_first: str | None) -> bool:
    """Typed, or of this database by its id, or by its first row (an id changed in the file does not
    set a trail's checkpoints aside)."""
    return point.database_id in (None, own_id) or (
        point.first_hash is not None and point.first_hash == own_first
    )


def _matches(stored: str, point: Checkpoint) -> bool:
    return stored == point.head_hash if point.at is not None else stored.startswith(point.head_hash)


def _restores(db: Database) -> list[_Restore]:
    rows = (
        AuditLog.select(AuditLog.id, AuditLog.at, AuditLog.detail)
        .where(AuditLog.action == RESTORE_ACTION)
        .order_by(AuditLog.id)
        .tuples()
        .execute(db)
    )
    found = []
    for row_id, at, detail in rows:
        try:
            content = json.loads(detail)
            backup_rows, backup_head = int(content["backup_audit_rows"]), str(content["backup_head_hash"])
            backup = content.get("backup_file") or Path(content["from"]).name
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # not a restore the app wrote: explains nothing
        found.append(_Restore(row_id, datetime.fromisoformat(at), backup_rows, backup_head, str(backup)))
    return found


def _confirmed_restores(
    db: Database, restores: list[_Restore], checkpoints: list[Checkpoint], result: AnchorCheck
) -> list[tuple[_Restore, bool]]:
    """The restores that may explain a rollback, each with whether its backup's own checkpoint was
    read and agrees. Anyone with the file can append a restore row: one that does not follow the
    backup's last row, or that its backup's checkpoint contradicts, explains nothing and fails."""
    sidecars = {point.name: point for point in checkpoints}
    usable = []
    for restore in restores:
        where = f"the restore at audit row {restore.row} (from backup {restore.backup})"
        last = AuditLog.select(AuditLog.hash).where(AuditLog.id == restore.backup_rows).scalar(db)
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
        usable.append((restore, sidecar is not None))
    return usable


def _restore_after(point: Checkpoint, restores: list[tuple[_Restore, bool]]) -> tuple[_Restore, bool] | None:
    """The first restore, after the checkpoint was written, of a backup from before its row: the row
    the checkpoint names was rolled back by it. A typed checkpoint has no time: any restore counts."""
    for restore, confirmed in restores:
        if restore.backup_rows < point.rows and (point.at is None or restore.at >= point.at):
            return restore, confirmed
    return None


def gather_checkpoints(sources: list[Path], typed: list[str]) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints of every folder or file in `sources` and those typed from footers, with the
    problems of checkpoint files that cannot be read. CheckpointError (nothing read) for a source
    that is not there or a typed checkpoint that is not one."""
    points = [typed_checkpoint(text) for text in typed]
    problems: list[str] = []
    for source in sources:
        found, unreadable = checkpoints_in(source)
        points += found
        problems += unreadable
    return points, problems
