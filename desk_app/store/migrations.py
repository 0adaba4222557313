"""Numbered schema migrations, each applied in one transaction, with a backup taken first.

To change the schema, append a function to MIGRATIONS; never edit one that has shipped.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from peewee import Database, PostgresqlDatabase, SqliteDatabase

from desk_app.domain.people import search_key, search_words, sort_key
from desk_app.store.audit import GENESIS, LAST_ROW, chain_hash, event_detail, utc_text
from desk_app.store.audit_actions import PRE_TRAIL, UPGRADE_SEALS
from desk_app.store.files import create_private_file
from desk_app.store.models import DATABASE_ID_SETTING, ClinicSetting, SchemaMigration
from desk_app.store.seals import SEAL_KEY, SEALED_SCHEMA, every_row, row_key, trail_holds_seals

log = logging.getLogger(__name__)

_DATABASE_ID = row_key(ClinicSetting, DATABASE_ID_SETTING)


class SchemaTooNewError(Exception):
    """The database was written by a newer Treatment Desk; it is left untouched."""


def _m001_initial(db: Database) -> None:
    from desk_app.store import schema_v1  # an old file's upgrade only

    db.create_tables(schema_v1.TABLES)
    table = schema_v1.SessionEvent._meta.table_name
    if isinstance(db, SqliteDatabase):
        for action in ("UPDATE", "DELETE"):
            db.execute_sql(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'session events are append-only'); END"
            )
    elif isinstance(db, PostgresqlDatabase):
        _forbid_update_and_delete(db, table)


def _m002_clinic_settings(db: Database) -> None:
    db.create_tables([ClinicSetting])


def _forbid_update_and_delete(db: Database, table: str) -> None:
    """The database itself refuses to change or remove rows of an append-only table.

    On PostgreSQL TRUNCATE is refused too; a REPLACE-like INSERT ... ON CONFLICT DO UPDATE fires
    the UPDATE trigger, so the primary key alone keeps inserts from overwriting a row.
    """
    if isinstance(db, SqliteDatabase):
        for action in ("UPDATE", "DELETE"):
            db.execute_sql(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END"
            )
    elif isinstance(db, PostgresqlDatabase):
        db.execute_sql(
            "CREATE OR REPLACE FUNCTION desk_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', "
            "MESSAGE = TG_TABLE_NAME || ' rows are append-only'; END $$"
        )
        db.execute_sql(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION desk_refuse_change()"
        )


def _m003_patient_register(db: Database) -> None:
    """Patient details, change history, and search on word starts (an index, not a table scan).

    Its tables are frozen here (schema_v3) and existing rows are read column by column, so this
    step does the same on any database, whatever later migrations add to the live models.
    """
    from desk_app.store import schema_v3  # an old file's upgrade only

    boolean, false = ("INTEGER", "0") if isinstance(db, SqliteDatabase) else ("BOOLEAN", "FALSE")
    for column in ("phone", "email", "fitzpatrick", "allergies", "notes", "sort_key"):
        db.execute_sql(f"ALTER TABLE patient ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    db.execute_sql(f"ALTER TABLE patient ADD COLUMN archived {boolean} NOT NULL DEFAULT {false}")
    db.execute_sql("CREATE INDEX patient_date_of_birth ON patient (date_of_birth)")
    db.execute_sql("CREATE INDEX patient_sort_key ON patient (sort_key)")
    db.create_tables([schema_v3.PatientWord, schema_v3.PatientChange])
    if isinstance(db, PostgresqlDatabase):
        # Compare folded words byte by byte, as SQLite does, whatever the server's language: a
        # word-start search is then a plain range on the index, and lists sort the same everywhere.
        folded = (("patient", "sort_key"), ("patient_word", "word"), ("patient_word", "sort_key"))
        for table, column in folded:
            db.execute_sql(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE TEXT COLLATE "C"')
    _forbid_update_and_delete(db, schema_v3.PatientChange._meta.table_name)
    existing = db.execute_sql("SELECT id, given_names, family_name, clinic_number FROM patient").fetchall()
    for patient_id, given, family, number in existing:
        order = sort_key(given, family)
        mark = db.param
        db.execute_sql(
            f"UPDATE patient SET search_text = {mark}, sort_key = {mark} WHERE id = {mark}",
            (search_key(f"{given} {family}"), order, patient_id),
        )
        rows = [(patient_id, word, order, False) for word in sorted(search_words(given, family, number))]
        schema_v3.PatientWord.insert_many(rows, fields=["patient", "word", "sort_key", "archived"]).execute()


def _m004_printing(db: Database) -> None:
    """Who changed the clinic's printed details, and who printed or exported what (both append-only)."""
    from desk_app.store import schema_v4  # an old file's upgrade only

    db.create_tables(schema_v4.TABLES)
    for model in schema_v4.TABLES:
        _forbid_update_and_delete(db, model._meta.table_name)


def _m005_accounts_and_audit(db: Database) -> None:
    """Passwords and PINs (as hashes), and the hash-chained audit trail (append-only).

    Session events written before the trail existed are entered in it as they stand, so that from
    now on a change to any of them shows.
    """
    from desk_app.store import schema_v1, schema_v5  # an old file's upgrade only

    db.create_tables(schema_v5.TABLES)
    audit = schema_v5.AuditLog._meta.table_name
    _forbid_update_and_delete(db, audit)
    db.execute_sql(f"CREATE INDEX {audit}_subject ON {audit} (subject, subject_id)")
    if isinstance(db, SqliteDatabase):
        # REPLACE deletes without firing DELETE triggers: only rows after the last may be written.
        db.execute_sql(
            f"CREATE TRIGGER {audit}_append_only BEFORE INSERT ON {audit} "
            f"WHEN NEW.id <= (SELECT COALESCE(MAX(id), 0) FROM {audit}) "
            f"BEGIN SELECT RAISE(ABORT, '{audit} rows are append-only'); END"
        )
    event = schema_v1.SessionEvent
    columns = (event.session, event.kind, event.item_id, event.staff, event.at, event.values_json)
    key = event.id  # type: ignore[attr-defined]  # peewee's own primary key: a frozen model declares none
    query = event.select(key, *columns, event.text, event.corrects).order_by(key).tuples()
    rows = cast("Iterable[tuple[Any, ...]]", query)  # peewee's stubs type the rows of .tuples() as models
    now, prev_hash = utc_text(datetime.now(UTC)), GENESIS
    action = PRE_TRAIL
    for row_id, (event_id, *content) in enumerate(rows, start=1):
        detail = json.dumps(event_detail(tuple(content)), ensure_ascii=False, sort_keys=True)
        row_hash = chain_hash(row_id, now, None, action, "session_event", event_id, detail, prev_hash)
        schema_v5.AuditLog.insert(
            id=row_id,
            at=now,
            staff=None,
            action=action,
            subject="session_event",
            subject_id=event_id,
            detail=detail,
            prev_hash=prev_hash,
            hash=row_hash,
        ).execute()
        prev_hash = row_hash


def _m006_look_alike_letters(db: Database) -> None:
    """Fold every patient's search words again, now blind to look-alike letters as well (issue
    13), or a patient registered before could not be found by the new rule ('Jоhn' with a Cyrillic
    'о' stored as 'jоhn', typed as 'john'). No table changes. Sort keys fold as before, except
    that they now leave out the invisible Hangul fillers: the few that change are written too.

    Patients' names are read at once (100,000 rows of a few short columns) and their stored words 500
    patients at a time; only those whose keys changed are written: on a clinic of
    Latin names that is almost none (100,000 patients, a fifth of them changed: about 4 s on SQLite).
    Plain SQL on the columns migration 3 made, so the step is the same on any database whatever
    later migrations add.
    """
    mark = db.param
    patients = db.execute_sql(
        "SELECT id, given_names, family_name, clinic_number, search_text, sort_key, archived "
        "FROM patient ORDER BY id"
    ).fetchall()
    cursor = db.cursor()
    for start in range(0, len(patients), 500):
        batch = patients[start : start + 500]
        stored: dict[int, set[str]] = {row[0]: set() for row in batch}
        words = db.execute_sql(
            f"SELECT patient_id, word FROM patient_word WHERE patient_id BETWEEN {mark} AND {mark}",
            (batch[0][0], batch[-1][0]),
        )
        for patient_id, word in words:
            stored[patient_id].add(word)
        keys, changed, rows = [], [], []
        for patient_id, given, family, number, search_text, stored_order, archived in batch:
            folded, order = search_key(f"{given} {family}"), sort_key(given, family)
            if (folded, order) != (search_text, stored_order):
                keys.append((folded, order, patient_id))
            new = search_words(given, family, number)
            if new != stored[patient_id] or order != stored_order:
                changed.append(patient_id)
                rows += [(patient_id, word, order, archived) for word in sorted(new)]
        if keys:
            cursor.executemany(
                f"UPDATE patient SET search_text = {mark}, sort_key = {mark} WHERE id = {mark}", keys
            )
        if changed:
            marks = ", ".join([mark] * len(changed))
            db.execute_sql(f"DELETE FROM patient_word WHERE patient_id IN ({marks})", changed)
            cursor.executemany(
                f"INSERT INTO patient_word (patient_id, word, sort_key, archived) "
                f"VALUES ({mark}, {mark}, {mark}, {mark})",
                rows,
            )


def _m007_laser_authorisation(db: Database) -> None:
    """Who is an authorised laser operator (issue 14): append-only, every grant and withdrawal kept.
    Nobody is authorised yet: the first administrator is told to grant it."""
    from desk_app.store import schema_v7  # an old file's upgrade only

    db.create_tables(schema_v7.TABLES)
    _forbid_update_and_delete(db, schema_v7.LaserAuthorisation._meta.table_name)


def _m008_laser_devices(db: Database) -> None:
    """The clinic's lasers (issue 15), each change kept (append-only). A device is retired, never
    deleted, and a retired one stays as it was: the database itself refuses both."""
    from desk_app.store import schema_v8  # an old file's upgrade only

    db.create_tables(schema_v8.TABLES)
    _forbid_update_and_delete(db, schema_v8.LaserDeviceChange._meta.table_name)
    table = schema_v8.LaserDevice._meta.table_name
    never_deleted = f"{table} rows are retired, never deleted"
    retired_stays = f"a retired {table} row cannot be changed"
    if isinstance(db, SqliteDatabase):
        db.execute_sql(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{never_deleted}'); END"
        )
        db.execute_sql(
            f"CREATE TRIGGER {table}_retired_stays BEFORE UPDATE ON {table} WHEN OLD.retired_at IS NOT NULL "
            f"BEGIN SELECT RAISE(ABORT, '{retired_stays}'); END"
        )
    elif isinstance(db, PostgresqlDatabase):
        for name, message in (("never_deleted", never_deleted), ("retired_stays", retired_stays)):
            db.execute_sql(
                f"CREATE OR REPLACE FUNCTION desk_{table}_{name}() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', "
                f"MESSAGE = '{message}'; END $$"
            )
        db.execute_sql(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION desk_{table}_never_deleted()"
        )
        db.execute_sql(
            f"CREATE TRIGGER {table}_retired_stays BEFORE UPDATE ON {table} FOR EACH ROW "
            f"WHEN (OLD.retired_at IS NOT NULL) EXECUTE FUNCTION desk_{table}_retired_stays()"
        )


def _m009_laser_device_checks(db: Database) -> None:
    """The daily pre-use safety check of each laser (issue 15): append-only."""
    from desk_app.store import schema_v9  # an old file's upgrade only

    db.create_tables(schema_v9.TABLES)
    _forbid_update_and_delete(db, schema_v9.LaserDeviceCheck._meta.table_name)


def _m010_laser_register_index(db: Database) -> None:
    """The laser register (issue 15) finds the sessions with a pass ticked in its range by the
    passes' item ids and the ticks' times: without an index that read every event the clinic ever
    recorded, however short the range."""
    db.execute_sql("CREATE INDEX session_event_item_id_at ON session_event (item_id, at)")


def _m011_course_and_follow_up_events(db: Database) -> None:
    """Issue 16: sessions now hold 'course' and 'follow-up' events, which an older desk cannot read;
    this version makes it refuse the database ("written by a newer Treatment Desk") instead. The
    follow-up calls find the sessions treated on given days by their start: an index on it."""
    db.execute_sql("CREATE INDEX treatment_session_started_at ON treatment_session (started_at)")


def _m012_seals(db: Database) -> None:
    """Issue 17: every row of a table a record depends on is sealed by the audit row of its last
    change (seals.py); the rows already there are sealed now, as they stand, so that from now on a
    change to any of them outside the app shows. One audit row per table and 5,000 rows.

    A trail that holds seals already was sealed before (its version lowered outside the app, say):
    sealing its rows anew would vouch for any change made to them since, so nothing is sealed and
    verify compares them with the seals they have."""
    if trail_holds_seals(db):
        return
    seal_every_row(db, f"{UPGRADE_SEALS}{SEALED_SCHEMA}")


def _m_clinical_photos(db: Database) -> None:
    """Issue 21: clinical photos, kept in the database (backed up, restored and moved with it):
    append-only, each sealed by the audit row of its import. A new table: nothing to seal yet."""
    from desk_app.store import schema_photos  # an old file's upgrade only

    db.create_tables(schema_photos.TABLES)
    _forbid_update_and_delete(db, schema_photos.Photo._meta.table_name)


def _m_signed_consents(db: Database) -> None:
    """Issue 21: consents signed on the pad, and their withdrawals: both append-only (a withdrawal
    is a row of its own, never a change to the signed row), each sealed by the audit row that wrote
    it. New tables: nothing to seal yet."""
    from desk_app.store import schema_consent  # an old file's upgrade only

    db.create_tables(schema_consent.TABLES)
    for model in schema_consent.TABLES:
        _forbid_update_and_delete(db, model._meta.table_name)


def seal_every_row(db: Database, action: str) -> None:
    """Seal every covered row as it stands, in audit rows appended to the chain (raw SQL on the
    columns migration 5 made: the same on any database). A later migration that adds a column to a
    covered table changes its digests and must call this again. A database with no trail and no row
    but its id seals nothing: its first audit row seals the id (write_audit)."""
    batches = list(every_row(db))
    head = db.execute_sql(LAST_ROW).fetchone()
    if head is None and all(list(batch) == [_DATABASE_ID] for _model, batch in batches):
        return
    row_id, prev_hash = (head[0], head[1]) if head else (0, GENESIS)
    now = utc_text(datetime.now(UTC))
    mark = db.param
    for model, batch in batches:
        row_id += 1
        subject = model._meta.table_name
        detail = json.dumps({SEAL_KEY: batch}, ensure_ascii=False, sort_keys=True)
        row_hash = chain_hash(row_id, now, None, action, subject, None, detail, prev_hash)
        db.execute_sql(
            "INSERT INTO audit_log (id, at, staff_id, action, subject, subject_id, detail, prev_hash, hash) "
            f"VALUES ({mark}, {mark}, NULL, {mark}, {mark}, NULL, {mark}, {mark}, {mark})",
            (row_id, now, action, subject, detail, prev_hash, row_hash),
        )
        prev_hash = row_hash


MIGRATIONS: list[tuple[str, Callable[[Database], None]]] = [
    ("initial schema", _m001_initial),
    ("clinic settings", _m002_clinic_settings),
    ("patient register", _m003_patient_register),
    ("printing", _m004_printing),
    ("accounts and audit", _m005_accounts_and_audit),
    ("look-alike letters", _m006_look_alike_letters),
    ("laser authorisation", _m007_laser_authorisation),
    ("laser devices", _m008_laser_devices),
    ("laser device checks", _m009_laser_device_checks),
    ("laser register index", _m010_laser_register_index),
    ("course and follow-up events", _m011_course_and_follow_up_events),
    ("seals", _m012_seals),
    ("clinical photos", _m_clinical_photos),
    ("signed consents", _m_signed_consents),
]
LATEST_VERSION = len(MIGRATIONS)
# The first schema with an audit trail: an older file has none to verify or to record a restore in.
AUDITED_SCHEMA = 5


def schema_version(db: Database) -> int:
    if not db.table_exists(SchemaMigration._meta.table_name):
        return 0
    latest = SchemaMigration.select(SchemaMigration.version).order_by(SchemaMigration.version.desc())
    row = latest.first()
    return row.version if row else 0


def backup_before_migrating(db: SqliteDatabase, path: Path, version: int) -> Path:
    """Copy the live database with SQLite's online backup, beside it, before changing its schema.

    The copy is written as a hidden part file and renamed only when whole: a disk that fills up or
    a kill halfway leaves no file that looks like a backup but is not one."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.before-v{version + 1}.{stamp}{path.suffix}")
    partial = target.with_name(f".{target.name}.part")
    partial.unlink(missing_ok=True)  # left by a copy that was killed
    create_private_file(partial)
    try:
        with closing(sqlite3.connect(partial)) as copy:
            db.connection().backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, as a backup is
        os.link(partial, target)  # never over a file already there (a second copy in the same second)
    finally:
        partial.unlink(missing_ok=True)
    log.info("Copy of the database kept before migrating from schema %s: %s", version, target)
    return target


def migrate(db: Database, path: Path | None = None) -> int:
    """Bring the schema up to date; refuse a newer schema without writing anything."""
    current = schema_version(db)
    if current > LATEST_VERSION:
        raise SchemaTooNewError(
            f"This database was written by a newer Treatment Desk (schema {current}; "
            f"this version knows {LATEST_VERSION}). Please update the app. It was not changed."
        )
    if current and current < LATEST_VERSION and path is not None and isinstance(db, SqliteDatabase):
        backup_before_migrating(db, path, current)
    for version in range(current + 1, LATEST_VERSION + 1):
        name, step = MIGRATIONS[version - 1]
        with db.atomic():
            if schema_version(db) >= version:
                continue  # another desk, started at the same moment, applied it while we waited
            step(db)
            SchemaMigration.create(version=version, name=name, applied_at=datetime.now(UTC))
        log.info("Schema migrated from %s to %s (%s)", version - 1, version, name)
    return LATEST_VERSION
