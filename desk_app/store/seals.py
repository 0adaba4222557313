"""Seals: the audit row of every change to a table a record depends on carries each changed row's
digest, so `audit verify` finds a row changed, added or removed outside the app (issue 17).

An action that inserts, changes or deletes rows of a covered table names them to its audit row
(`write_audit(..., sealed=...)`), which reads them back inside the same transaction, after the write,
and keeps {"<table>:<id>": digest} under SEAL_KEY in its detail (a deleted row: null). Verify walks
the chain, keeps the last seal of each row, then reads every covered row and compares.

Covered: every table a printed or shown record reads (COVERED). Not covered, and why:
- session_event and audit_log: the chain itself, and each event matched with its audit row (audit.py).
- patient_word: a search index derived from the patient row (its names and number), rewritten with
  it; a word changed outside the app can only make a patient harder or easier to find, never change
  what a record says, and the register rebuilds it from the (sealed) patient.
- schema_migration: the schema's version, which the app reads to decide what to migrate; a version
  changed outside the app makes it refuse to open or re-run a step, which fails loudly. Its times say
  nothing about a patient.
- the clinic setting 'moving to': the file's own mark while its records are copied to a server,
  which the copy leaves out by design; its audit rows (kept) say when it was set and taken off.

The database's id is made at the first start, before anything can be audited: the trail's first
row seals it (write_audit), and a database opened with a trail already (an upgrade) gets a row of
its own (identity.py). An empty trail vouches for nothing, so it vouches for the id alone.

Signed consents and their withdrawals (issue 21) are covered: a consent's strokes or image changed
outside the app shows like any other row (and no longer matches the digest its signing recorded).
Clinical photos (issue 21) are covered too: a blob is digested as the SHA-256 of its bytes, so a
photo changed outside the app shows like any other row. Their table is read a few rows at a time (each
holds a photo), and a file from before its migration has none: a table a later migration added is
read only once that migration is applied (ADDED_BY), and its seals then say if it was removed.

The digest is the same on SQLite and PostgreSQL for the same row (migrate-to copies the file's rows
and its trail to a server, which must verify intact): each value is put in one form first (times as
UTC 'YYYY-MM-DD HH:MM:SS.ffffff', dates as 'YYYY-MM-DD', booleans as true/false, bytes as their
SHA-256: SQLite gives bytes, psycopg bytes or a memoryview), then the table's
name and its columns by name go through JSON (ASCII only) and SHA-256, kept to 32 hex digits (128
bits: no second row with the same digest can be made). A migration that adds a column to a covered
table changes every digest of that table: it must seal that table's rows again (seal_every_row).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

from peewee import SQL, BlobField, Database, DateField, Field, Model, Node

from desk_app.store.fields import UTCDateTimeField
from desk_app.store.models import (
    DATABASE_ID_SETTING,
    MOVING_SETTING,
    ClinicSetting,
    ClinicSettingChange,
    ConsentRow,
    ConsentWithdrawalRow,
    LaserAuthorisationRow,
    LaserDeviceChange,
    LaserDeviceCheck,
    LaserDeviceRow,
    PatientChange,
    PatientRow,
    PhotoRow,
    PrintLog,
    ProcedureVersionRow,
    SessionRow,
    StaffCredential,
    StaffRow,
)

# The key of the seals in an audit row's detail; a detail without this text seals nothing.
SEAL_KEY = "sealed"
SEALED_MARK = f'"{SEAL_KEY}"'
DIGEST_LENGTH = 32

COVERED: tuple[type[Model], ...] = (
    StaffRow,
    StaffCredential,
    LaserAuthorisationRow,
    LaserDeviceRow,
    LaserDeviceChange,
    PatientRow,
    PatientChange,
    ProcedureVersionRow,
    LaserDeviceCheck,
    SessionRow,
    ClinicSetting,
    ClinicSettingChange,
    PrintLog,
    PhotoRow,
    ConsentRow,
    ConsentWithdrawalRow,
)
# A covered table made by a later migration than seals (by its name in schema_migration): an older
# file has no such table to read.
ADDED_BY: dict[type[Model], str] = {
    PhotoRow: "clinical photos",
    ConsentRow: "signed consents",
    ConsentWithdrawalRow: "signed consents",
}
_BY_TABLE = {model._meta.table_name: model for model in COVERED}
# Clinic settings that are not sealed (see the module's docstring).
UNSEALED_SETTINGS = frozenset({MOVING_SETTING})
_BATCH = 5_000
_BLOB_BATCH = 20  # rows of a table with blobs (photos of a megabyte or two) read at once
# The schema from which every covered row is sealed (migration 12 sealed those already there).
SEALED_SCHEMA = 12

# A row to seal: (table, primary key) or (table, condition): every row that meets the condition.
Sealed = tuple[type[Model], Any]


def _time_text(value: Any) -> Any:
    """A stored time in one form: SQLite keeps text, PostgreSQL gives a datetime (aware, in UTC)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value  # not a time at all: compared as the text it is
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(" ", timespec="microseconds")
    return value


def _date_text(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return value
    return value.isoformat() if isinstance(value, date) else value


def _truth(value: Any) -> Any:
    """SQLite keeps booleans as 0 and 1; any other value stays what it is, and differs."""
    return bool(value) if type(value) is int and value in (0, 1) else value


def _same(value: Any) -> Any:
    return value


def _bytes_digest(value: Any) -> Any:
    """Bytes (a photo) by their SHA-256: the same whichever driver read them."""
    return hashlib.sha256(value).hexdigest() if isinstance(value, bytes | memoryview) else value


def _converter(field: Field) -> Callable[[Any], Any]:
    if isinstance(field, UTCDateTimeField):
        return _time_text
    if isinstance(field, DateField):
        return _date_text
    if field.field_type == "BOOL":
        return _truth
    if isinstance(field, BlobField):
        return _bytes_digest
    return _same


def _primary_key(model: type[Model]) -> Field:
    """The model's primary key: every covered table has one (peewee's type allows False, for none)."""
    key = model._meta.primary_key
    assert key is not False
    return key


class _Shape:
    """How a table's rows are digested, given its columns as the database has them (a migration that
    adds a column may run after rows were sealed without it): by name, sorted, each in one form."""

    def __init__(self, model: type[Model], names: Sequence[str]) -> None:
        fields = model._meta.columns
        self.key_index = list(names).index(_primary_key(model).column_name)
        self.order = sorted(range(len(names)), key=names.__getitem__)
        self.converters = [_converter(fields[names[i]]) if names[i] in fields else _same for i in self.order]
        self.prefix = json.dumps([model._meta.table_name, [names[i] for i in self.order]]).encode("ascii")

    def digest(self, row: Sequence[Any]) -> str:
        values = [convert(row[i]) for convert, i in zip(self.converters, self.order, strict=True)]
        text = self.prefix + json.dumps(values).encode("ascii")
        return hashlib.sha256(text).hexdigest()[:DIGEST_LENGTH]


class _Table:
    """One covered table: its rows read raw, a batch at a time, each with the shape to digest it."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.table = model._meta.table_name
        self.primary_key = _primary_key(model)
        self.batch = (
            _BLOB_BATCH
            if any(isinstance(field, BlobField) for field in model._meta.sorted_fields)
            else _BATCH
        )
        self._shapes: dict[tuple[str, ...], _Shape] = {}

    def shape(self, names: tuple[str, ...]) -> _Shape:
        found = self._shapes.get(names)
        if found is None:
            found = self._shapes[names] = _Shape(self.model, names)
        return found

    def row_by_key(self, db: Database, key: Any) -> tuple[_Shape, tuple] | None:
        """One row by its primary key, its SQL written out: every action seals a row or two, and
        building the query with peewee took longer than reading the row."""
        column = self.primary_key.column_name
        cursor = db.execute_sql(f'SELECT * FROM "{self.table}" WHERE "{column}" = {db.param}', (key,))
        row = cursor.fetchone()
        if row is None:
            return None
        return self.shape(tuple(description[0] for description in cursor.description)), row

    def rows(self, db: Database, condition: Any = None) -> Iterator[tuple[_Shape, tuple]]:
        """Every row (or those meeting `condition`), as the driver gives it, in primary-key order."""
        last = None
        while True:
            query = self.model.select(SQL("*")).order_by(self.primary_key).limit(self.batch)
            if condition is not None:
                query = query.where(condition)
            if last is not None:
                query = query.where(self.primary_key > last)
            sql, params = db.get_sql_context().sql(query).query()
            cursor = db.execute_sql(sql, params)
            shape = self.shape(tuple(column[0] for column in cursor.description))
            batch = cursor.fetchall()
            for row in batch:
                yield shape, row
            if len(batch) < self.batch:
                return
            last = batch[-1][shape.key_index]


_TABLES: dict[type[Model], _Table] = {}


def _table(model: type[Model]) -> _Table:
    found = _TABLES.get(model)
    if found is None:
        found = _TABLES[model] = _Table(model)
    return found


def row_digest(model: type[Model], row: Sequence[Any]) -> str:
    """The digest of one row of a covered table, its values in the order of the model's fields
    (as stored or as peewee reads them: both give the same digest)."""
    names = tuple(field.column_name for field in model._meta.sorted_fields)
    return _table(model).shape(names).digest(row)


def row_key(model: type[Model], primary_key: Any) -> str:
    return f"{model._meta.table_name}:{primary_key}"


def seals_of(db: Database, rows: Iterable[Sealed]) -> dict[str, str | None]:
    """The seals of the rows an action wrote, read back now (in its transaction): a row named by its
    primary key that is no longer there is sealed as removed (null)."""
    seals: dict[str, str | None] = {}
    for model, selector in rows:
        table = _table(model)
        if isinstance(selector, Node):
            for shape, row in table.rows(db, selector):
                seals[row_key(model, row[shape.key_index])] = shape.digest(row)
        else:
            found = table.row_by_key(db, selector)
            seals[row_key(model, selector)] = found[0].digest(found[1]) if found else None
    return seals


def first_row_seals() -> list[Sealed]:
    """What the trail's first row seals besides its own rows: the database's id, made before it."""
    return [(ClinicSetting, ClinicSetting.key == DATABASE_ID_SETTING)]


def every_row(db: Database) -> Iterator[tuple[type[Model], dict[str, str]]]:
    """The seals of every covered row, a batch of one table at a time (an upgrade seals them all)."""
    for model in COVERED:
        if not in_schema(db, model):
            continue
        batch: dict[str, str] = {}
        for shape, row in _table(model).rows(db):
            key = row[shape.key_index]
            if model is ClinicSetting and key in UNSEALED_SETTINGS:
                continue
            batch[row_key(model, key)] = shape.digest(row)
            if len(batch) == _BATCH:
                yield model, batch
                batch = {}
        if batch:
            yield model, batch


def _named(table: str, key: str) -> str:
    return f"{table} row {key}" if key.isdigit() else f"{table} row '{key}'"


class SealBook:
    """The last seal of each row, as the chain is walked; then every covered row compared with it."""

    def __init__(self) -> None:
        # table -> primary key (as text) -> (audit row, digest or None for a row removed)
        self._seals: dict[str, dict[str, tuple[int, str | None]]] = {}
        self._unreadable: int | None = None

    def see(self, row_id: int, detail: str) -> None:
        """An audit row whose detail carries seals (read in chain order: the last seal wins)."""
        try:
            seals = json.loads(detail).get(SEAL_KEY, {})
        except (ValueError, AttributeError):
            seals = None
        if not isinstance(seals, dict):
            self._unreadable = self._unreadable or row_id
            return
        for name, digest in seals.items():
            table, _, key = name.partition(":")
            if not isinstance(digest, str | None) or table not in _BY_TABLE:
                self._unreadable = self._unreadable or row_id
                continue
            self._seals.setdefault(table, {})[key] = (row_id, digest)

    def problem(self, db: Database) -> str | None:
        """The first covered row that differs from its last seal, has none, or is gone. A file from
        before seals (a backup being checked before a restore) has none to compare: unless its trail
        holds seals, which shows its schema's version was lowered outside the app."""
        if self._unreadable is not None:
            return f"audit row {self._unreadable} holds seals that cannot be read"
        if not self._seals and _schema_version(db) < SEALED_SCHEMA:
            return None
        for model in COVERED:
            if problem := self._table_problem(db, _table(model)):
                return problem
        return None

    def _table_problem(self, db: Database, table: _Table) -> str | None:
        seals = dict(self._seals.get(table.table, {}))
        settings = table.model is ClinicSetting
        for shape, row in table.rows(db) if in_schema(db, table.model) else ():
            key = str(row[shape.key_index])
            if settings and key in UNSEALED_SETTINGS:
                continue
            sealed = seals.pop(key, None)
            named = _named(table.table, key)
            if sealed is None:
                if settings and key == DATABASE_ID_SETTING and not _any_audit_row(db):
                    continue  # made at the first start; the trail's first row will seal it
                return f"{named} was added outside the app: no audit row records it"
            audit_row, digest = sealed
            if digest is None:
                return f"{named} was added outside the app (audit row {audit_row} records it removed)"
            if digest != shape.digest(row):
                return (
                    f"{named} was changed outside the app (its last recorded change is audit row {audit_row})"
                )
        for key, (audit_row, digest) in seals.items():
            if digest is not None:
                return (
                    f"{_named(table.table, key)} was removed outside the app "
                    f"(its last recorded change is audit row {audit_row})"
                )
        return None


def in_schema(db: Database, model: type[Model]) -> bool:
    """Whether the database has the table yet (ADDED_BY: the migration that made it was applied)."""
    added_by = ADDED_BY.get(model)
    if added_by is None:
        return True
    query = f"SELECT 1 FROM schema_migration WHERE name = {db.param}"
    return db.execute_sql(query, (added_by,)).fetchone() is not None


def _schema_version(db: Database) -> int:
    return db.execute_sql("SELECT MAX(version) FROM schema_migration").fetchone()[0] or 0


def trail_holds_seals(db: Database) -> bool:
    """Whether any audit row carries seals of more than the database's id (a whole read of the trail:
    for an upgrade, once). The id alone is sealed by a trail's first row and by a restore that gives
    a backup from before ids its id, in a file whose other rows were never sealed."""
    id_alone = json.dumps({SEAL_KEY: {row_key(ClinicSetting, DATABASE_ID_SETTING): "#"}})[1:-1]
    id_alone = id_alone.replace("#", "_" * DIGEST_LENGTH)  # as json.dumps writes it: a digest in full
    mark = db.param
    query = f"SELECT 1 FROM audit_log WHERE detail LIKE {mark} AND detail NOT LIKE {mark} LIMIT 1"
    found = db.execute_sql(query, (f"%{SEALED_MARK}: {{%", f"%{id_alone}%")).fetchone()
    return found is not None


def _any_audit_row(db: Database) -> bool:
    return db.execute_sql("SELECT 1 FROM audit_log LIMIT 1").fetchone() is not None


def staff_rows(staff_id: int) -> list[Sealed]:
    """A member of staff's row and their credential's (if they have one)."""
    return [(StaffRow, staff_id), credential_of(staff_id)]


def credential_of(staff_id: int) -> Sealed:
    """A member of staff's credential, found by whose it is (its id is seldom at hand)."""
    return (StaffCredential, StaffCredential.staff == staff_id)
