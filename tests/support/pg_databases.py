"""PostgreSQL databases on the test server for the tests that run on PostgreSQL.

Creating and migrating a database costs about half a second, so each test process migrates one
database once and every test gets it emptied: all rows gone, ids from 1 again, and any trigger a
test disabled (to play a determined editor) enabled again. A test that needs a database no
migration has touched asks for fresh_postgres_database().
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import uuid4

import psycopg
import pytest
from peewee import AutoField

from desk_app.store.copying import TABLES
from tests.support.pg_server import REQUIRED_VARIABLE, SKIP_VARIABLE, URL_VARIABLE

_NOT_STARTED = "no PostgreSQL test server was started (make test starts one)"


def server_url() -> str:
    """The test server's address; skips the test (or fails it, when CI requires PostgreSQL) without one."""
    url = os.environ.get(URL_VARIABLE)
    if url:
        return url
    reason = f"PostgreSQL tests skipped: {os.environ.get(SKIP_VARIABLE) or _NOT_STARTED}"
    if os.environ.get(REQUIRED_VARIABLE) == "required":
        pytest.fail(reason)
    pytest.skip(reason)


_migrated: dict[str, str] = {}  # server address -> this process's migrated database
_TABLES = [model._meta.table_name for model in TABLES]
_NUMBERED = [model._meta.table_name for model in TABLES if isinstance(model._meta.primary_key, AutoField)]


_EMPTY_ALL = ";".join(
    [
        "SET session_replication_role = replica",
        *(f"DELETE FROM {table}" for table in _TABLES),
        *(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1, false)" for table in _NUMBERED),
    ]
).encode()


def _address_of(server: str, name: str) -> str:
    return f"{server.rsplit('/', 1)[0]}/{name}"


def emptied_postgres_database() -> str:
    """This test process's migrated database, emptied for the next test."""
    server = server_url()
    if server not in _migrated:
        from desk_app.store.database import open_database

        name = f"desk_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid4().hex[:8]}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        open_database(_address_of(server, name)).close()
        _migrated[server] = _address_of(server, name)
        return _migrated[server]
    url = _migrated[server]
    with psycopg.connect(url, autocommit=True) as admin:
        # Enable again only the triggers a test disabled: ALTER TABLE on every table costs more.
        disabled = admin.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgenabled = 'D'"
        ).fetchall()
        for (table,) in disabled:
            admin.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        # The append-only tables refuse DELETE: their triggers (and the foreign keys') do not fire
        # for a replica. DELETE of a few rows is quicker than TRUNCATE, which makes new files.
        # One round trip for all of it: a statement each cost a quarter of a test's setup.
        admin.execute(_EMPTY_ALL)
    return url


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create a database named for this test only, yield its address, and drop it afterwards."""
    server = server_url()
    name = f"desk_{uuid4().hex[:16]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield _address_of(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
