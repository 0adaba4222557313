"""A clinic's shared database on a PostgreSQL server, behaving as the embedded SQLite one does.

- One writer at a time: every transaction first takes one advisory lock, as SQLite's BEGIN
  IMMEDIATE does, so an action reads what the last one committed and the audit chain has no fork.
  A desk waits for it at most LOCK_WAIT_SECONDS, then the action is "Not saved".
- Times are `timestamptz`, and each connection talks UTC, so no server setting shifts them.
- The password never comes from the address: libpq reads ~/.pgpass or PGPASSWORD itself.
"""

from __future__ import annotations

from contextlib import suppress
from time import monotonic
from typing import Any
from urllib.parse import parse_qs, urlsplit

from peewee import InterfaceError, OperationalError, PostgresqlDatabase
from psycopg.pq import TransactionStatus

from desk_app.store.errors import OutcomeUnknown

WRITE_LOCK_KEY = 0x54444553  # "TDES", the same mark as the SQLite application id
LOCK_WAIT_SECONDS = 5
CONNECT_TIMEOUT_SECONDS = 5
RETRY_AFTER_SECONDS = 5
SCHEMES = ("postgresql://", "postgres://")


class PostgresAddressError(ValueError):
    """The address cannot be used as it stands; the message says how to write it."""


def is_postgres_url(url: str) -> bool:
    return url.startswith(SCHEMES)


def checked_postgres_url(url: str) -> str:
    """The address in the postgresql:// form, refusing a password in it (a command line and the
    environment of a shared PC are readable by others) and an address with no database name."""
    parts = urlsplit(url)
    if parts.password is not None or "password" in parse_qs(parts.query):
        raise PostgresAddressError(
            "Do not put the password in the database address: others on this PC can read it. "
            "Put it in the PostgreSQL password file (~/.pgpass) instead."
        )
    if not parts.path.strip("/"):
        raise PostgresAddressError(
            "The database address names no database: write postgresql://USER@HOST:PORT/NAME."
        )
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError:
        raise PostgresAddressError(
            f"The port in the database address is not a number from 1 to 65535: {parts.netloc!r}."
        ) from None
    return "postgresql://" + url.split("://", 1)[1]


def describe(url: str) -> str:
    """The address as shown in messages: user, server and database, never anything else."""
    parts = urlsplit(url)
    where = parts.hostname or "the local server"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.username + '@' if parts.username else ''}{where}{port}/{parts.path.strip('/')}"


class ClinicPostgresDatabase(PostgresqlDatabase):
    """PostgreSQL through psycopg 3, with SQLite's one-writer rule and UTC on every connection."""

    def __init__(self, url: str) -> None:
        super().__init__(
            checked_postgres_url(url),
            prefer_psycopg3=True,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name="Treatment Desk",
            # A network that vanishes without a word (a cable pulled) is noticed within about 15 s,
            # instead of a statement waiting for the system's default of some 15 minutes.
            keepalives=1,
            keepalives_idle=5,
            keepalives_interval=2,
            keepalives_count=3,
            tcp_user_timeout=15_000,
            field_types={"DATETIME": "TIMESTAMPTZ"},
        )
        self._next_attempt = 0.0  # monotonic time before which no new connection is tried

    def _connect(self):  # type: ignore[no-untyped-def]
        """After a failed attempt, the next is made only RETRY_AFTER_SECONDS later: the window
        asks the database every second, and each attempt at a server that does not answer would
        freeze it for the connect timeout."""
        if monotonic() < self._next_attempt:
            raise OperationalError("the database server did not answer; trying again in a few seconds")
        try:
            return super()._connect()
        except Exception:
            self._next_attempt = monotonic() + RETRY_AFTER_SECONDS
            raise

    def _initialize_connection(self, conn) -> None:  # type: ignore[no-untyped-def]
        with conn.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
            # Statements after the write lock must see what the last writer committed; a server
            # whose default is REPEATABLE READ would take the snapshot before the lock is granted.
            cursor.execute("SET default_transaction_isolation = 'read committed'")
            cursor.execute(f"SET lock_timeout = '{LOCK_WAIT_SECONDS}s'")
            # psycopg prepares a statement run five times; a generic plan would not know the typed
            # word, and the search would scan instead of seek (165 ms instead of 9 ms in 5,000
            # patients). Prepared, but planned for each run's values.
            cursor.execute("SET plan_cache_mode = force_custom_plan")

    def _lost(self) -> bool:
        """The server dropped this connection (a restart, a network blip): psycopg now says closed."""
        return not self.is_closed() and self._state.conn.closed

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        """A statement outside a transaction (a read: every write is in one) that finds the
        connection lost runs once more on a new connection, so the desk recovers by itself."""
        if self.in_transaction():
            return super().execute_sql(sql, params)
        try:
            return super().execute_sql(sql, params)
        except (OperationalError, InterfaceError):
            if not self._lost():
                raise
        self.close()
        return super().execute_sql(sql, params)

    def commit(self) -> None:
        try:
            super().commit()
        except (OperationalError, InterfaceError) as error:
            if self._lost():
                raise OutcomeUnknown from error  # the COMMIT may have reached the server
            raise

    def rollback(self) -> None:
        if not self._lost():  # a lost connection took its transaction with it
            super().rollback()

    def begin(self, isolation_level: str | None = None) -> None:
        """BEGIN, then the write lock. A connection found lost at BEGIN is replaced: nothing of
        the action has run yet."""
        try:
            super().begin(isolation_level)
        except (OperationalError, InterfaceError):
            if not self._lost():
                raise
            self.close()
            super().begin(isolation_level)
        try:
            # Never through this class's execute_sql: peewee counts the transaction only once
            # begin() returns, and a retry there would take the lock on a new connection outside
            # any transaction, so the action's statements would each commit on their own.
            super().execute_sql("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
            if self._state.conn.info.transaction_status != TransactionStatus.INTRANS:
                raise OperationalError("the write transaction was lost before it began")
        except Exception:
            # Not yet a transaction peewee knows of, so nobody else would end it.
            with suppress(Exception):  # a lost connection has nothing left to roll back
                self.cursor().execute("ROLLBACK")
            raise
