"""Backups and verify runs recorded in the live audit trail (who, when, result), and the daily
checkpoint of the trail written outside the database (see checkpoints.py).

A restore records itself (restoring.py). Only the live database is written to: a verify of a copy
reads it and nothing more. AuditTrail is the desk's service for these (desk.audit).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peewee import Database

from desk_app.domain.dates import local_today
from desk_app.domain.errors import DomainError
from desk_app.domain.progress import CancelAsked, Progress
from desk_app.store.audit import verify_audit, write_audit
from desk_app.store.audit_actions import BACKUP_ACTION, VERIFY_ACTION
from desk_app.store.checkpoints import (
    Checkpoint,
    CheckpointError,
    first_hash_of,
    hash_of_row,
    head_of,
    write_daily_checkpoint,
)
from desk_app.store.context import Service, StoreContext
from desk_app.store.errors import error_for_log, store_errors
from desk_app.store.identity import database_id
from desk_app.store.this_database import ThisDatabase

if TYPE_CHECKING:  # a verify's results: not imported by a start
    from desk_app.domain.integrity import AuditReport
    from desk_app.store.anchor_check import AnchorCheck

log = logging.getLogger(__name__)


def record_backup(db: Database, now: datetime, backup: Path, rows: int, head_hash: str) -> str:
    """The backup's row in the live trail: which file, and the trail it holds."""
    detail = {"backup_file": backup.name, "folder": str(backup.parent), "backup_audit_rows": rows}
    with db.atomic():
        return write_audit(
            db, now, None, BACKUP_ACTION, "database", None, detail | {"backup_head_hash": head_hash}
        )


def record_verify(
    db: Database,
    now: datetime,
    report: AuditReport,
    anchors: AnchorCheck | None,
    staff_id: int | None,
    by: str,
) -> str:
    """A verify run's result in the live trail. The row comes after the rows it verified."""
    detail: dict[str, Any] = {
        "by": by,
        "result": "intact" if report.ok and (anchors is None or anchors.ok) else "BROKEN",
        "rows_verified": report.rows,
        "head_hash": report.head_hash,
        "problem": report.problem,
    }
    if anchors is not None:
        detail |= {"checkpoints_held": anchors.held, "checkpoint_failures": anchors.failures[:20]}
        detail |= {"checkpoint_notices": anchors.notices[:20]}
    with db.atomic():
        return write_audit(db, now, staff_id, VERIFY_ACTION, "database", None, detail)


def write_todays_checkpoint(db: Database, folder: Path, now: datetime, live: Path | None) -> Path | None:
    """Today's checkpoint file of this database in `folder` (its last component made if missing).
    Returns the file written, or None when today's file already holds as much."""
    owner = database_id(db)
    if owner is None:
        return None
    folder.mkdir(exist_ok=True, mode=0o700)
    rows, head = head_of(db)
    point = Checkpoint(rows, head, now, owner, "today", first_hash_of(db))
    return write_daily_checkpoint(folder, point, local_today(now), lambda row: hash_of_row(db, row), live)


class AuditTrail(Service):
    """The desk's side of the trail: the head to print on a record, a verify run and a backup
    recorded, the day's checkpoint."""

    def __init__(self, context: StoreContext, database: ThisDatabase) -> None:
        self._context = context
        self._database = database

    @store_errors
    def audit_head(self) -> tuple[int, str]:
        """(row count, head hash) now: printed at the foot of every record."""
        return head_of(self._context.db)

    @store_errors
    def verify_audit(self) -> AuditReport:
        """Walk the audit trail's chain and match it with the session events (see store.audit)."""
        return verify_audit(self._context.db)

    @store_errors
    def record_backup(self, backup: Path, rows: int, head_hash: str) -> None:
        context = self._context
        context.written_by_this_desk.add(
            record_backup(context.db, context.clock.now(), backup, rows, head_hash)
        )

    @store_errors
    def verify_and_record(
        self, staff_id: int | None, progress: Progress | None = None, cancelled: CancelAsked | None = None
    ) -> AuditReport:
        """Verify the trail, then record who ran it and what it found; a cancelled verify (Cancelled)
        records nothing: it found nothing."""
        context = self._context
        report = verify_audit(context.db, progress=progress, cancelled=cancelled)
        row_hash = record_verify(context.db, context.clock.now(), report, None, staff_id, "the app")
        context.written_by_this_desk.add(row_hash)
        return report

    @store_errors
    def _write_todays_checkpoint(self, data_folder: Path, live: Path | None) -> Path | None:
        folder = self._database.checkpoint_folder(data_folder)
        return write_todays_checkpoint(self._context.db, folder, self._context.clock.now(), live)

    def write_daily_checkpoint(self, data_folder: Path, live: Path | None) -> Path | None:
        """Today's checkpoint, at start-up; a failure is logged, never stops the desk."""
        try:
            return self._write_todays_checkpoint(data_folder, live)
        except (CheckpointError, DomainError, OSError) as error:
            log.warning("The day's audit checkpoint could not be written: %s", error_for_log(error))
            return None
