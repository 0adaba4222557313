"""Transactions that differ between a database file and a server, chosen without loading the
server's driver on a file (store/postgres.py imports psycopg: issue 20, point 6)."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, TypeGuard

from peewee import Database, SqliteDatabase

if TYPE_CHECKING:
    from desk_app.store.postgres import ClinicPostgresDatabase

# A transaction that reads one moment of the database and writes nothing (audit verify): it neither
# waits for nor holds up the desks' write lock.
READ_SNAPSHOT = "REPEATABLE READ READ ONLY"


def on_server(db: Database) -> TypeGuard[ClinicPostgresDatabase]:
    """A clinic's database on a PostgreSQL server, where each round trip crosses a network."""
    if isinstance(db, SqliteDatabase):
        return False
    from desk_app.store.postgres import ClinicPostgresDatabase  # a server's: psycopg is loaded already

    return isinstance(db, ClinicPostgresDatabase)


def long_job(db: Database) -> AbstractContextManager[None]:
    """ClinicPostgresDatabase.long_job on a server database; nothing to lift on a file."""
    return db.long_job() if on_server(db) else nullcontext()


def read_snapshot(db: Database) -> AbstractContextManager[Any]:
    """A read transaction: every statement in it sees the database as it was at the first, while the
    desks go on writing (SQLite: a DEFERRED transaction, never the desks' IMMEDIATE; PostgreSQL:
    REPEATABLE READ without the write lock). Inside a caller's transaction, that one (with its writes)."""
    if db.in_transaction():
        return nullcontext()
    if isinstance(db, SqliteDatabase):
        return db.transaction(lock_type="DEFERRED")
    return db.transaction(isolation_level=READ_SNAPSHOT)
