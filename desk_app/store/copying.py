"""Moving a clinic from its SQLite file to a PostgreSQL server, every row as it is, then checked.

Rows keep their ids (audit rows hash them), times keep their instants to the microsecond, and the
copy is one transaction on the server: it is whole or it is not there. Afterwards each table's
row count must match and the audit chain must verify on the server with the file's head hash.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from peewee import AutoField, Database, Model

from desk_app.domain.errors import ActionRefused
from desk_app.domain.progress import Progress
from desk_app.store.audit import verify_audit, write_audit
from desk_app.store.errors import store_errors
from desk_app.store.models import (
    DATABASE_ID_SETTING,
    MOVED_SETTING,
    MOVING_SETTING,
    AuditLog,
    ClinicSetting,
    ClinicSettingChange,
    ConsentRow,
    ConsentWithdrawalRow,
    EventRow,
    LaserAuthorisationRow,
    LaserDeviceChange,
    LaserDeviceCheck,
    LaserDeviceRow,
    PatientChange,
    PatientRow,
    PatientWord,
    PhotoRow,
    PrintLog,
    ProcedureVersionRow,
    SessionRow,
    StaffCredential,
    StaffRow,
)
from desk_app.store.transactions import long_job

log = logging.getLogger(__name__)

# Each table after the tables it refers to.
TABLES: tuple[type[Model], ...] = (
    StaffRow,
    StaffCredential,
    LaserAuthorisationRow,
    LaserDeviceRow,
    LaserDeviceChange,
    PatientRow,
    PatientWord,
    PatientChange,
    ProcedureVersionRow,
    LaserDeviceCheck,
    SessionRow,
    EventRow,
    ClinicSetting,
    ClinicSettingChange,
    PrintLog,
    PhotoRow,
    ConsentRow,
    ConsentWithdrawalRow,
    AuditLog,
)
_BATCH = 2_000
_PHOTO_BATCH = 20  # photos of a megabyte or two each: a few at a time


class CopyRefused(ActionRefused):
    """The copy was not made (or was rolled back); the message says why."""


@dataclass(frozen=True)
class CopyReport:
    counts: dict[str, int]
    audit_rows: int
    head_hash: str

    def __str__(self) -> str:
        tables = ", ".join(f"{name} {count}" for name, count in self.counts.items())
        return (
            f"Copied {sum(self.counts.values())} rows; every table's row count matches ({tables}). "
            f"Audit trail intact on the server: {self.audit_rows} rows; head hash {self.head_hash}."
        )


def _copied(query: Any, model: type[Model]) -> Any:
    """Every row of the table but the file's own "moving" mark, which says nothing about the server."""
    return query.where(ClinicSetting.key != MOVING_SETTING) if model is ClinicSetting else query


def _count(model: type[Model], db: Database) -> int:
    return _copied(model.select(), model).count(db)


def _rows(model: type[Model], db: Database) -> Iterator[list[tuple]]:
    fields = model._meta.sorted_fields
    size = _PHOTO_BATCH if model is PhotoRow else _BATCH
    query = _copied(model.select(*fields), model).order_by(model._meta.primary_key).tuples()
    batch: list[tuple] = []
    for row in query.iterator(db):  # not .execute(): its rows would all stay cached
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@store_errors
def mark_moving(source: Database, where: str, now: datetime) -> None:
    """Mark the file as being moved to `where` before anything is copied: from now on no desk opens
    it, so the file and the server are never both open for work (audited in the file)."""
    with source.bind_ctx([ClinicSetting, AuditLog]), source.atomic():
        ClinicSetting.insert(key=MOVING_SETTING, value=where).execute()
        detail = {"to": where}
        write_audit(source, now, None, "records being moved to PostgreSQL", "clinic_setting", None, detail)
    log.info("The database file is closed for work while its records move to %s", where)


@store_errors
def undo_moving(source: Database, where: str, now: datetime) -> None:
    """Take the mark off a file whose move was given up: desks may open it again (audited)."""
    with source.bind_ctx([ClinicSetting, AuditLog]), source.atomic():
        ClinicSetting.delete().where(ClinicSetting.key == MOVING_SETTING).execute()
        write_audit(source, now, None, "move to PostgreSQL undone", "clinic_setting", None, {"to": where})
    log.info("The move to %s is undone: the database file is open for work again", where)


@store_errors
def mark_moved(source: Database, where: str, now: datetime) -> None:
    """Mark the file as moved to `where` (user@server:port/name; audited in the file, with when), so
    that no desk goes on writing where nobody looks."""
    with source.bind_ctx([ClinicSetting, AuditLog]), source.atomic():
        ClinicSetting.delete().where(ClinicSetting.key == MOVING_SETTING).execute()
        ClinicSetting.insert(key=MOVED_SETTING, value=where).execute()
        sealed = [(ClinicSetting, MOVED_SETTING)]  # the 'moving' mark is never sealed (seals.py)
        write_audit(
            source, now, None, "records moved to PostgreSQL", "clinic_setting", None, {"to": where}, sealed
        )
    log.info("The database file's records are moved to %s: the file no longer opens", where)


def _setting(db: Database, key: str) -> str | None:
    row = ClinicSetting.select(ClinicSetting.value).where(ClinicSetting.key == key).first(db)
    return row.value if row else None


def moved_to(db: Database) -> str | None:
    """Where this file's records went, if they were moved to a server."""
    return _setting(db, MOVED_SETTING)


def moving_to(db: Database) -> str | None:
    """Where this file's records were being moved when the move stopped, if it did not finish."""
    return _setting(db, MOVING_SETTING)


def server_holds_copy_of(source: Database, target: Database) -> bool | None:
    """Does the server hold this file's records already (a move killed after the server's commit)?
    True: the same audit head; None: the server is empty; False: it holds other records."""
    if not any(_count(model, target) for model in TABLES if model is not ClinicSetting):
        return None
    return verify_audit(target).head_hash == verify_audit(source).head_hash


CopyProgress = Callable[[str, int, int], None]
"""Told (what, done, total) as the copy goes: a table's name and its rows copied, or one of the
audit trail checks below and its rows walked (a total of 0 while it checks the rest). Names and
counts only: never a row's content."""
CHECK_FILE = "audit trail of the file"
CHECK_SERVER = "audit trail on the server"


def _trail_progress(progress: CopyProgress | None, what: str) -> Progress | None:
    return None if progress is None else lambda done, total: progress(what, done, total)


@store_errors
def copy_database(source: Database, target: Database, progress: CopyProgress | None = None) -> CopyReport:
    """Copy every row of `source` (migrated, its audit chain intact) into the empty, migrated
    `target`, then check the counts and the chain. Raises CopyRefused, leaving the target empty."""
    before = verify_audit(source, progress=_trail_progress(progress, CHECK_FILE))
    if not before.ok:
        raise CopyRefused(f"The database's own audit trail is broken ({before.problem}); nothing was copied.")
    counts = {model._meta.table_name: _count(model, source) for model in TABLES}
    # The write lock: no desk writes on the server between the check and the copy. Minutes for a big
    # clinic, so without the bounds of a desk's action.
    with long_job(target), target.atomic():
        # The server's own id, made when it was first opened, gives way to the file's: the same records.
        ClinicSetting.delete().where(ClinicSetting.key == DATABASE_ID_SETTING).execute(target)
        if any(_count(model, target) for model in TABLES):
            raise CopyRefused("The PostgreSQL database already holds records; nothing was copied.")
        for model in TABLES:
            table, done = model._meta.table_name, 0
            if progress is not None:
                progress(table, done, counts[table])
            for batch in _rows(model, source):
                model.insert_many(batch, fields=model._meta.sorted_fields).execute(target)
                done += len(batch)
                if progress is not None:
                    progress(table, done, counts[table])
            if isinstance(model._meta.primary_key, AutoField):
                table = model._meta.table_name
                target.execute_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )
        copied = {model._meta.table_name: _count(model, target) for model in TABLES}
        if copied != counts:
            differ = ", ".join(
                f"{name} {counts[name]} -> {copied[name]}" for name in counts if copied[name] != counts[name]
            )
            raise CopyRefused(f"The row counts differ after copying ({differ}); the copy was undone.")
        after = verify_audit(target, progress=_trail_progress(progress, CHECK_SERVER))
        if not after.ok or after.head_hash != before.head_hash:
            raise CopyRefused(f"The audit trail did not survive the copy ({after}); the copy was undone.")
    return CopyReport(counts, after.rows, after.head_hash)
