"""Each database's own random id, made at its first start: it names the database's backups, so that
two databases backing up into one folder never rotate away each other's copies, and it tells a restore
whether a backup is of this clinic's database."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime

from peewee import Database

from desk_app.store.audit import write_audit
from desk_app.store.audit_actions import ID_MADE
from desk_app.store.models import DATABASE_ID_SETTING, AuditLog, ClinicSetting

# Backup names carry the first characters only: 48 random bits keep a clinic's few databases apart.
SHORT_ID_LENGTH = 12


def ensure_database_id(db: Database) -> str:
    """The database's id, made now if it has none (on every database; several desks starting at once
    agree on the first one written). Made with the database, it is sealed by the trail's first row;
    made in a database with a trail already (from before ids), by a row of its own."""
    if (existing := database_id(db)) is not None:
        return existing
    with db.atomic():
        if database_id(db) is None:
            ClinicSetting.insert(
                key=DATABASE_ID_SETTING, value=uuid.uuid4().hex
            ).on_conflict_ignore().execute(db)
            if db.table_exists(AuditLog._meta.table_name) and AuditLog.select().exists(db):
                sealed = [(ClinicSetting, DATABASE_ID_SETTING)]
                write_audit(db, datetime.now(UTC), None, ID_MADE, "clinic_setting", None, sealed=sealed)
    found = database_id(db)
    assert found is not None
    return found


def database_id(db: Database) -> str | None:
    row = ClinicSetting.select(ClinicSetting.value).where(ClinicSetting.key == DATABASE_ID_SETTING).first(db)
    return row.value if row else None


def setting_in_file(connection: sqlite3.Connection, key: str) -> str | None:
    """A clinic setting read on a plain sqlite3 connection (a backup being made or checked); None
    where it is not set, or in a schema without clinic settings."""
    try:
        row = connection.execute("SELECT value FROM clinic_setting WHERE key = ?", (key,)).fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def database_id_in_file(connection: sqlite3.Connection) -> str | None:
    """The database's id; None in a file from before ids existed."""
    return setting_in_file(connection, DATABASE_ID_SETTING)


def short_id(full: str) -> str:
    return full[:SHORT_ID_LENGTH]
