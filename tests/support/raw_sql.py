"""Raw SQL in tests, written once with '?' placeholders, on SQLite or PostgreSQL (which wants '%s')."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import psycopg
from peewee import Database, PostgresqlDatabase, SqliteDatabase

from desk_app.store.postgres import WRITE_LOCK_KEY
from tests.support.pg_databases import AS_OWNER
from tests.support.pg_server import DESK


def _on_a_desks_connection(db: Database) -> bool:
    return isinstance(db, PostgresqlDatabase) and urlsplit(db.database).username == DESK


_OWNERS_WORK = ("UPDATE", "DELETE", "TRUNCATE", "ALTER", "DROP", "CREATE")


def run_sql(db: Database, statement: str, params: Sequence[Any] = ()) -> Any:
    """Run `statement` as written, its '?' marks turned into the database's own placeholder.

    On a desk's PostgreSQL connection, a change the desks' login may not make (an editor's UPDATE,
    DELETE, upsert or schema change) runs as the owner's login, in the desk's own transaction: the
    editor of these tests has the owner's password, as anyone with the file has on SQLite.
    """
    words = statement.lstrip().upper()
    if _on_a_desks_connection(db) and (words.startswith(_OWNERS_WORK) or " ON CONFLICT " in words):
        written = statement.replace("?", "%s")
        text = psycopg.ClientCursor(db.connection()).mogrify(written, tuple(params)) if params else written
        return db.execute_sql(f"SELECT {AS_OWNER}(%s)", (text,))
    return db.execute_sql(statement.replace("?", db.param), tuple(params))


def stored_utc_text(value: Any) -> Any:
    """A stored time in SQLite's form, 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC.

    SQLite returns that text itself; PostgreSQL's timestamptz comes back as a datetime, which must
    be in UTC (each connection talks UTC) to be turned into the same text.
    """
    if isinstance(value, datetime):
        assert value.utcoffset() == timedelta(0), f"{value} is not in UTC"
        return value.replace(tzinfo=None).isoformat(" ")
    return value


class OtherConnection:
    """A second connection to the test's database, as another program (or desk) would open it."""

    def __init__(self, url: str) -> None:
        self.postgres = "://" in url
        self.connection: Any = psycopg.connect(url) if self.postgres else sqlite3.connect(url, timeout=0.05)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self.connection.execute(statement.replace("?", "%s") if self.postgres else statement, params)

    def hold_the_write_lock(self) -> None:
        """Begin a write transaction and keep it open, as a desk in the middle of an action does."""
        if self.postgres:
            self.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK_KEY,))
        else:
            self.execute("BEGIN IMMEDIATE")

    def release_the_write_lock(self) -> None:
        self.connection.rollback()

    def commit(self) -> None:
        self.connection.commit()

    def close(self) -> None:
        self.connection.rollback()
        self.connection.close()


@contextmanager
def other_connection(url: str) -> Iterator[OtherConnection]:
    other = OtherConnection(url)
    try:
        yield other
    finally:
        other.close()


def shorten_lock_wait(db: Database) -> None:
    """Wait 50 ms, not the desk's full 5 s, for another desk's write lock in a test."""
    if isinstance(db, SqliteDatabase):
        db.execute_sql("PRAGMA busy_timeout = 50")
    else:
        db.execute_sql("SET lock_timeout = '50ms'")
