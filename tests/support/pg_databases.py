"""PostgreSQL databases on the test server for the tests that run on PostgreSQL.

As in a clinic, each database belongs to the owner's login, which migrates it (open_as_owner), and
desks connect as the desks' login (their address is what a test gets). Creating and migrating a
database costs about half a second, so each test process migrates one database once and every test
gets it emptied by the server's superuser: all rows gone, ids from 1 again, and any trigger a test
disabled (to play a determined editor) enabled again. A test that needs a database no migration has
touched asks for fresh_postgres_database() (the owner's address).

A test playing an editor who has the owner's login runs its SQL through run_sql (raw_sql.py): on a
desk's connection, a statement that changes rows or the schema runs as the owner, through
AS_OWNER, in the desk's own transaction.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit
from uuid import uuid4

import psycopg
import pytest
from peewee import AutoField, Database

from desk_app.store.copying import TABLES
from desk_app.store.postgres import is_postgres_url, with_login
from tests.support.pg_server import DESK, OWNER, REQUIRED_VARIABLE, SKIP_VARIABLE, URL_VARIABLE

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


# A test's editor with the owner's login, on a desk's connection: runs `statement` as the owner.
AS_OWNER = "test_as_owner"
_AS_OWNER_FUNCTION = (
    f"CREATE FUNCTION {AS_OWNER}(statement text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER "
    f"AS $$ BEGIN EXECUTE statement; END $$; GRANT EXECUTE ON FUNCTION {AS_OWNER}(text) TO {DESK}"
)


def _address_of(server: str, name: str) -> str:
    return f"{server.rsplit('/', 1)[0]}/{name}"


def owner_address(url: str) -> str:
    """The same database as the owner's login: what the administrator migrates with."""
    return with_login(url, OWNER)


def desk_address(url: str) -> str:
    """The same database as the desks' login: what every desk opens."""
    return with_login(url, DESK)


def _new_database(server: str, name: str) -> str:
    """An empty database belonging to the owner's login, as the README has the server's
    administrator make it; its owner's address."""
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} OWNER {OWNER}")
    return owner_address(_address_of(server, name))


def emptied_postgres_database() -> str:
    """This test process's migrated database, emptied for the next test: the desks' address."""
    server = server_url()
    if server not in _migrated:
        from desk_app.store.database import open_as_owner

        owner = _new_database(
            server, f"desk_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid4().hex[:8]}"
        )
        open_as_owner(owner, DESK).close()
        with psycopg.connect(owner, autocommit=True) as administrator:
            administrator.execute(_AS_OWNER_FUNCTION)
        _migrated[server] = desk_address(owner)
        return _migrated[server]
    url = _migrated[server]
    with psycopg.connect(with_login(url, urlsplit(server).username or ""), autocommit=True) as admin:
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


def migrated(url: str) -> Database:
    """A database brought up to the schema as each kind is: a file by open_database; a server
    database by its owner's login, as desk-app migrate does (the owner's connection is returned)."""
    from desk_app.store.database import open_as_owner, open_database

    return open_as_owner(url, DESK) if is_postgres_url(url) else open_database(url)


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create an empty database named for this test only, yield its owner's address (a desk cannot
    use it before the owner migrates it), and drop it afterwards."""
    server = server_url()
    name = f"desk_{uuid4().hex[:16]}"
    try:
        yield _new_database(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
