"""A clinic's shared database on a PostgreSQL server, behaving as the embedded SQLite one does.

- One writer at a time: every transaction first takes one advisory lock, as SQLite's BEGIN
  IMMEDIATE does, so an action reads what the last one committed and the audit chain has no fork.
  A desk waits for it at most LOCK_WAIT_SECONDS, then the action is "Not saved".
- Few round trips across a network: BEGIN and the lock travel together, an action's reads may
  travel together (read_together) and its last writes with the COMMIT (send_with_commit), each
  still its own statement, in one message (send_together).
- Times are `timestamptz`, and each connection talks UTC, so no server setting shifts them.
- The password never comes from the address: libpq reads ~/.pgpass or PGPASSWORD itself.
- Nothing waits long: the server ends a statement after STATEMENT_SECONDS and a desk's
  transaction left idle after IDLE_IN_TRANSACTION_SECONDS (freeing the write lock of a desk that
  froze), and the desk itself stops waiting for a server that does not answer (stopped, frozen)
  after ANSWER_WITHIN_SECONDS. Whole-database jobs lift these bounds (long_job).
- Records never cross a network unencrypted unless the address says so (sslmode).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from time import monotonic
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

import psycopg
from peewee import (
    InterfaceError,
    OperationalError,
    PostgresqlDatabase,
    Psycopg3Adapter,
)
from peewee import __exception_wrapper__ as as_peewee_error  # type: ignore[attr-defined]  # peewee's stubs leave it out
from peewee import _savepoint as peewee_savepoint  # private: the counted savepoint extends it
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus

from desk_app.store import give_peewee_psycopg
from desk_app.store.errors import OutcomeUnknown, error_for_log
from desk_app.store.files import APPLICATION_ID
from desk_app.store.server_address import PostgresAddressError, checked_postgres_url, describe
from desk_app.store.server_address import is_postgres_url as is_postgres_url  # also known from here
from desk_app.store.server_address import with_login as with_login
from desk_app.store.transactions import READ_SNAPSHOT
from desk_app.store.transactions import long_job as long_job

if TYPE_CHECKING:
    from peewee import _ConnectionState

logger = logging.getLogger(__name__)
give_peewee_psycopg()  # before any ClinicPostgresDatabase: peewee may have been imported without it

WRITE_LOCK_KEY = APPLICATION_ID  # the same mark as a SQLite file's
LOCK_WAIT_SECONDS = 5
# Every statement a desk runs takes milliseconds; a server that takes 5 s is not going to answer
# in time for the nurse, who is better told "Not saved" and tries again.
STATEMENT_SECONDS = 5
# A desk's transactions never wait for a person, so a transaction idle this long is a desk that
# froze (its PC asleep, its network gone) while holding the clinic's write lock. Shorter than the
# others' LOCK_WAIT_SECONDS: a desk waiting for that lock gets it instead of "Not saved".
IDLE_IN_TRANSACTION_SECONDS = 3
# A server that is stopped (a frozen virtual machine, a stuck disk) enforces none of its timeouts,
# and its kernel still acknowledges what is sent, so no TCP timeout fires either: the desk stops
# waiting by itself. Half a second longer than the server's own bounds, so that a live server
# always answers first (a lock wait ends as the server's error, on a connection still usable).
ANSWER_WITHIN_SECONDS = max(STATEMENT_SECONDS, LOCK_WAIT_SECONDS) + 0.5
# Migrating, verifying or copying a whole clinic may take minutes, with someone waiting for it.
LONG_JOB_SECONDS = 600
CONNECT_TIMEOUT_SECONDS = 5
RETRY_AFTER_SECONDS = 5
# libpq's sslmode values that refuse a connection without TLS, and those that accept one.
ENCRYPTED_MODES = ("require", "verify-ca", "verify-full")
UNENCRYPTED_MODES = ("disable", "allow", "prefer")
NOT_ANSWERING = "the database server stopped answering"
NOT_ENCRYPTED = "is not encrypted, so others on the network could read the records"
SSL_REQUIRED_REFUSED = "server does not support SSL, but SSL was required"  # libpq's words


def is_on_this_pc(host: str) -> bool:
    """True for a Unix socket (no host, a folder, or Linux's '@' abstract name), localhost or a
    loopback address: what passes there never crosses a network."""
    host = host.strip()
    if not host or host.startswith(("/", "@")):
        return True
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])  # '%': an IPv6 zone
    except ValueError:
        return False  # a name: another host as far as anyone can tell before connecting
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def _connection_parameters(url: str) -> dict[str, str]:
    """The address as libpq itself reads it (several hosts, %-escaped socket folders, the last of
    a repeated setting), so that what is checked is what will be used."""
    try:
        # Read from text alone, every value is text (psycopg's type allows the keywords' ints too).
        return cast("dict[str, str]", conninfo_to_dict(checked_postgres_url(url)))
    except psycopg.ProgrammingError as error:
        raise PostgresAddressError(f"The database address cannot be read: {error}.") from None


def _targets(parameters: Mapping[str, str], environ: Mapping[str, str]) -> list[str]:
    """Where libpq will connect: `hostaddr` over `host`, each from the environment when the address
    has none, and the default Unix socket when nothing names one."""
    hostaddr = parameters.get("hostaddr") or environ.get("PGHOSTADDR", "")
    host = parameters.get("host") or environ.get("PGHOST", "")
    return (hostaddr or host).split(",")


def address_stays_on_this_pc(url: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Every server the address may connect to is on this PC. A PostgreSQL service (service= or
    PGSERVICE) names its hosts in a file not read here: not vouched for."""
    parameters = _connection_parameters(url)
    if parameters.get("service") or environ.get("PGSERVICE"):
        return False
    return all(is_on_this_pc(target) for target in _targets(parameters, environ))


def allowed_unencrypted(url: str) -> str | None:
    """The sslmode by which the address itself accepts an unencrypted connection, if it does."""
    mode = _connection_parameters(url).get("sslmode")
    return mode if mode in UNENCRYPTED_MODES else None


def encryption_parameters(url: str, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """What to add to the address so that records never cross a network in clear text.

    To another host, an address that says nothing of encryption gets sslmode=require: libpq then
    refuses a server without TLS before anything (a password included) is sent. Not verify-full:
    that needs the server's certificate authority on every PC first, and would stop every clinic
    without one on the day the app is upgraded; libpq checks the server's certificate anyway once
    ~/.postgresql/root.crt is there, and an address may say verify-full itself (README). A
    stricter setting in the environment (PGSSLMODE, GSSAPI encryption) or a service file is left
    alone: the check after connecting (refuse_unencrypted) still holds for those.
    """
    parameters = _connection_parameters(url)
    if parameters.get("sslmode") or address_stays_on_this_pc(url, environ):  # "sslmode=" says nothing
        return {}
    if parameters.get("service") or environ.get("PGSERVICE"):
        return {}
    if environ.get("PGSSLMODE") in ENCRYPTED_MODES:
        return {}
    if "require" in (parameters.get("gssencmode"), environ.get("PGGSSENCMODE")):
        return {}
    return {"sslmode": "require"}


class UnencryptedConnection(OperationalError):
    """Connected to another host in clear text, which the address did not allow: closed at once."""


def refuse_unencrypted(url: str, host: str, hostaddr: str, encrypted: bool) -> None:
    """After connecting, from what libpq says it did: the last word on encryption, whatever the
    environment, a service file or a name like localhost pointed at."""
    if encrypted or is_on_this_pc(hostaddr or host) or allowed_unencrypted(url):
        return
    raise UnencryptedConnection(
        f"the connection to {describe(url)} {NOT_ENCRYPTED}. Turn on encryption (TLS) on the "
        "server; only on a network you trust, write ?sslmode=prefer at the end of the address"
    )


class ServerNotAnswering(psycopg.OperationalError):
    """The server sent nothing for the desk's bound: the connection was closed, not waited on."""


def _until(gen: Any, seconds: float) -> Any:
    """psycopg's generator for one exchange with the server, given up after `seconds` of silence.

    psycopg's wait loop wakes the generator every 0.1 s with nothing ready; that is when the
    silence is measured. A long answer that keeps arriving (a big read) is not cut off.
    """
    last_heard = time.monotonic()  # time itself: tests move the retry back-off's `monotonic`
    try:
        waiting_for = next(gen)
        while True:
            ready = yield waiting_for
            if ready:
                last_heard = time.monotonic()
            elif time.monotonic() - last_heard > seconds:
                raise ServerNotAnswering(NOT_ANSWERING)
            waiting_for = gen.send(ready)
    except StopIteration as done:
        return done.value


class AnsweringConnection(psycopg.Connection):
    """A psycopg connection that waits for the server at most `answer_within` seconds of silence
    per exchange, then closes itself and raises ServerNotAnswering."""

    answer_within: float = ANSWER_WITHIN_SECONDS

    def wait(self, gen: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().wait(_until(gen, self.answer_within), *args, **kwargs)
        except ServerNotAnswering:
            # Half-way through an exchange the connection is of no further use. A COMMIT sent may
            # still be applied when the server wakes: ClinicPostgresDatabase.commit says so.
            self.close()
            raise


class _AnsweringAdapter(Psycopg3Adapter):
    """peewee's psycopg 3 adapter, connecting with AnsweringConnection."""

    def connect(self, db: PostgresqlDatabase, **params: Any) -> AnsweringConnection:
        params.setdefault("conninfo", db.database)  # always a postgresql:// address here
        return AnsweringConnection.connect(**params)


@dataclass(frozen=True)
class Bounds:
    """How long the server lets a statement run and a transaction idle, and the desk waits."""

    statement_seconds: float
    idle_seconds: float
    answer_within: float


DESK_BOUNDS = Bounds(STATEMENT_SECONDS, IDLE_IN_TRANSACTION_SECONDS, ANSWER_WITHIN_SECONDS)
LONG_JOB_BOUNDS = Bounds(LONG_JOB_SECONDS, LONG_JOB_SECONDS, LONG_JOB_SECONDS + 0.5)


# What joins statements sent in one message (send_together); the benchmark of round trips splits by it.
TOGETHER = ";\n"


class Answer:
    """One statement's answer out of a message of several, read whole: its columns and rows, as a
    DB-API cursor gives them (what peewee and the callers read)."""

    def __init__(self, description: Any, rows: list[Any]) -> None:
        self.description = description
        self._rows = iter(rows)

    def fetchone(self) -> Any:
        return next(self._rows, None)

    def fetchmany(self, size: int = 1) -> list[Any]:
        return [row for _, row in zip(range(size), self._rows, strict=False)]

    def fetchall(self) -> list[Any]:
        return list(self._rows)

    def __iter__(self) -> Iterator[Any]:
        return self._rows

    def close(self) -> None:
        """Nothing to free: the rows came whole."""


class _EachThreads(threading.local):
    """What a thread's use of the database holds, apart from other threads'."""

    def __init__(self) -> None:
        self.bounds = DESK_BOUNDS
        self.long_jobs = 0  # how deep in long_job()
        # From send_with_commit() to the COMMIT (or ROLLBACK): the writes waiting to go with the COMMIT.
        self.with_commit: list[tuple[str, Any]] | None = None
        self.savepoints = 0  # atomic() blocks open inside the transaction (peewee does not count them)


class _CountedSavepoint(peewee_savepoint):
    """peewee's savepoint, counted: an action in a caller's transaction must know it is one."""

    def __enter__(self) -> Any:
        entered = super().__enter__()
        self.db._mine.savepoints += 1
        return entered

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> Any:
        self.db._mine.savepoints -= 1
        return super().__exit__(kind, error, trace)


class ClinicPostgresDatabase(PostgresqlDatabase):
    """PostgreSQL through psycopg 3, with SQLite's one-writer rule, UTC on every connection, bounded
    waits and encryption off this PC."""

    psycopg3_adapter = _AnsweringAdapter

    # peewee's connection of this thread, which its stubs leave out.
    _state: _ConnectionState

    def __init__(self, url: str) -> None:
        encryption: dict[str, Any] = encryption_parameters(url)
        super().__init__(
            checked_postgres_url(url),
            prefer_psycopg3=True,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name="Treatment Desk",
            # A network that vanishes without a word (a cable pulled) is noticed on an idle
            # connection too, so the next action opens a new one instead of waiting on a dead one.
            keepalives=1,
            keepalives_idle=5,
            keepalives_interval=2,
            keepalives_count=3,
            tcp_user_timeout=15_000,
            field_types={"DATETIME": "TIMESTAMPTZ"},
            **encryption,
        )
        if (mode := allowed_unencrypted(url)) and not address_stays_on_this_pc(url):
            logger.warning(
                "The address of %s allows an unencrypted connection (sslmode=%s): on the way to the "
                "server, others on the network may read the records.",
                describe(url),
                mode,
            )
        self._next_attempt = 0.0  # monotonic time before which no new connection is tried
        self._where = describe(url)  # as the log names it: no password
        self._out_of_contact = False  # a connection was lost or refused: the next one is logged
        self._connected_once = False
        # Each thread's own (a desk's database worker and a long job on a thread of its own share
        # this object, each with its own connection): its bounds and its writes waiting to commit.
        self._mine = _EachThreads()

    def _connect(self) -> AnsweringConnection:
        """After a failed attempt, the next is made only RETRY_AFTER_SECONDS later: the window
        asks the database every second, and each attempt at a server that does not answer would
        freeze it for the connect timeout."""
        if monotonic() < self._next_attempt:
            raise OperationalError("the database server did not answer; trying again in a few seconds")
        try:
            conn = super()._connect()  # type: ignore[misc]  # peewee's stubs leave out _connect
            try:
                refuse_unencrypted(self.database, conn.info.host, conn.info.hostaddr, self._encrypted(conn))
            except UnencryptedConnection:
                conn.close()
                raise
            if self._out_of_contact and self._connected_once:
                logger.info("Connected again to %s", self._where)
            self._out_of_contact, self._connected_once = False, True
            return conn
        except Exception as error:
            self._next_attempt = monotonic() + RETRY_AFTER_SECONDS
            if not self._out_of_contact:  # said once, not at every attempt
                # A desk that had the server and lost it warns; a first attempt's failure is said
                # by whoever opened the database (a message box, a command's error).
                level = logging.WARNING if self._connected_once else logging.INFO
                logger.log(level, "Cannot connect to %s: %s", self._where, error_for_log(error))
                self._out_of_contact = True
            raise

    @staticmethod
    def _encrypted(conn: psycopg.Connection) -> bool:
        """TLS, as libpq says; or GSSAPI's encryption, which libpq prefers when it can, as the
        server says (asked only on a connection to another host without TLS)."""
        if conn.pgconn.ssl_in_use:
            return True
        if is_on_this_pc(conn.info.hostaddr or conn.info.host):
            return False
        row = conn.execute("SELECT encrypted FROM pg_stat_gssapi WHERE pid = pg_backend_pid()").fetchone()
        return bool(row and row[0])

    def _initialize_connection(self, conn: AnsweringConnection) -> None:
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
        self._apply_bounds(conn)

    def _apply_bounds(self, conn: AnsweringConnection) -> None:
        bounds = self._mine.bounds
        conn.answer_within = bounds.answer_within
        with conn.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = '{bounds.statement_seconds:g}s'")
            cursor.execute(f"SET idle_in_transaction_session_timeout = '{bounds.idle_seconds:g}s'")

    @contextmanager
    def long_job(self) -> Iterator[None]:
        """Lift the desk's bounds for a job on the whole database (migrating, verifying, copying a
        clinic in), which may take minutes on a big clinic while someone waits for it. A connection
        this thread opens meanwhile gets the same bounds; a job within a job changes nothing; other
        threads (the desk's database worker) keep the desk's bounds."""
        self._mine.long_jobs += 1
        try:
            if self._mine.long_jobs == 1:
                self._mine.bounds = LONG_JOB_BOUNDS
                if not self.is_closed() and not self._lost():
                    self._apply_bounds(self._state.conn)
            yield
        finally:
            self._mine.long_jobs -= 1
            if self._mine.long_jobs == 0:
                self._mine.bounds = DESK_BOUNDS
                self._restore_bounds()

    def _restore_bounds(self) -> None:
        if self.is_closed() or self._lost():
            return  # the next connection gets the desk's bounds
        try:
            self._apply_bounds(self._state.conn)
        except Exception:  # a job that failed may leave a connection that cannot be told
            if not self.in_transaction():
                self.close()

    def encryption(self) -> tuple[bool, str, bool]:
        """Whether this desk's connection is encrypted and how ("TLSv1.3"), as the server sees it,
        and whether it stays on this PC (a Unix socket or loopback)."""
        encrypted, how = self.execute_sql(
            "SELECT s.ssl OR COALESCE(g.encrypted, false), "
            "CASE WHEN s.ssl THEN s.version WHEN g.encrypted THEN 'GSSAPI' ELSE '' END "
            "FROM pg_stat_ssl s LEFT JOIN pg_stat_gssapi g ON g.pid = s.pid WHERE s.pid = pg_backend_pid()"
        ).fetchone()
        info = self._state.conn.info
        return bool(encrypted), how or "", is_on_this_pc(info.hostaddr or info.host)

    def _lost(self) -> bool:
        """The server dropped this connection (a restart, a network blip): psycopg now says closed."""
        return not self.is_closed() and self._state.conn.closed

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        """A statement outside a transaction (a read: every write is in one) that finds the
        connection lost runs once more on a new connection, so the desk recovers by itself."""
        if self._mine.with_commit is not None:  # a write, to go with the COMMIT (send_with_commit)
            if not sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
                raise psycopg.ProgrammingError(
                    "only writes may wait for the COMMIT: nothing reads their answer"
                )
            self._mine.with_commit.append((sql, params))
            return None
        if self.in_transaction():
            return super().execute_sql(sql, params)
        try:
            return super().execute_sql(sql, params)
        except (OperationalError, InterfaceError) as error:
            if not self._lost() or _gave_up(error):
                raise
            self._connection_lost(error)
        self.close()
        return super().execute_sql(sql, params)

    def _connection_lost(self, error: Exception) -> None:
        """The server dropped the connection (a restart, a network blip); a new one is opened now."""
        logger.warning(
            "The connection to %s was lost (%s); connecting again", self._where, error_for_log(error)
        )
        self._out_of_contact = True

    def send_together(self, statements: Sequence[tuple[str, Any]]) -> list[Answer]:
        """The statements in one message, so one round trip, and each one's answer. Each is still a
        statement of its own, run in order: under READ COMMITTED each takes its own snapshot, so a
        read after the write lock sees what the last writer committed. The server runs none after
        one that fails (the error is raised here), and none of them are prepared.

        One message of several statements is PostgreSQL's simple protocol, which takes no separate
        parameters: psycopg's ClientCursor writes them in as literals, quoted as the server will read
        them. (Not psycopg's pipeline mode: it ends every exchange with a Flush message, after which
        the server no longer ends a transaction left idle, and a desk that froze would keep the write
        lock for good.)"""
        with as_peewee_error:
            with psycopg.ClientCursor(self._state.conn) as binder:
                message = TOGETHER.join(binder.mogrify(sql, params or None) for sql, params in statements)
            cursor = self.cursor()
            cursor.execute(message)
            answers = []
            while True:
                answers.append(Answer(cursor.description, cursor.fetchall() if cursor.description else []))
                if not cursor.nextset():
                    return answers

    def read_together(self, statements: Sequence[tuple[str, Any]]) -> list[Answer]:
        """Inside a transaction, the reads' answers, in one round trip (send_together)."""
        assert self.in_transaction() and self._mine.with_commit is None
        return self.send_together(statements)

    def savepoint(self, sid: str | None = None) -> _CountedSavepoint:
        return _CountedSavepoint(self, sid)

    def in_savepoint(self) -> bool:
        """Inside an atomic() within another: a caller's transaction holds this action's."""
        return self._mine.savepoints > 0

    def send_with_commit(self) -> None:
        """From here to the end of the transaction, the statements (writes, whose answers nobody
        reads) wait, and travel with the COMMIT in one round trip: an error in any of them (the
        server then runs neither the rest nor the COMMIT) is raised by commit(), and the
        transaction rolled back. Only in a transaction of its own (not a savepoint: its release is
        no COMMIT)."""
        assert not self.in_savepoint() and self._mine.with_commit is None
        self._mine.with_commit = []

    def commit(self) -> None:
        waiting, self._mine.with_commit = self._mine.with_commit, None
        try:
            if waiting is None:
                super().commit()
            elif self.is_closed():
                raise InterfaceError("Cannot commit, database connection not open.")
            else:
                self.send_together([*waiting, ("COMMIT", None)])
        except (OperationalError, InterfaceError) as error:
            if self._lost():
                logger.error(
                    "The connection to %s was lost during a commit: it may or may not be saved", self._where
                )
                self._out_of_contact = True
                raise OutcomeUnknown from error  # the COMMIT may have reached the server
            raise

    def rollback(self) -> None:
        self._mine.with_commit = None  # never sent
        if not self._lost():  # a lost connection took its transaction with it
            super().rollback()

    def begin(self, isolation_level: str | None = None) -> None:
        """BEGIN, then the write lock (not for a READ_SNAPSHOT). A connection found lost at BEGIN is
        replaced: nothing of the action has run yet."""
        try:
            self._begin_and_lock(isolation_level)
        except (OperationalError, InterfaceError) as error:
            if not self._lost() or _gave_up(error):
                raise
            self._connection_lost(error)
            self.close()
            self._begin_and_lock(isolation_level)

    def _begin_and_lock(self, isolation_level: str | None) -> None:
        """BEGIN and the write lock in one round trip. The lock is a statement of its own: a statement
        that locked and read would read a snapshot taken before the lock was granted (READ
        COMMITTED takes it at the statement's start), so the action's reads come after it."""
        if isolation_level == READ_SNAPSHOT:
            super().begin(isolation_level)
            return
        conn = self.connection()
        # A level given as words (this class sets no default: each connection says READ COMMITTED).
        begin = "BEGIN" if isolation_level is None else f"BEGIN TRANSACTION ISOLATION LEVEL {isolation_level}"
        try:
            # Never through this class's execute_sql: peewee counts the transaction only once
            # begin() returns, and a retry there would take the lock on a new connection outside
            # any transaction, so the action's statements would each commit on their own.
            self.send_together([(begin, None), ("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))])
            if conn.info.transaction_status != TransactionStatus.INTRANS:
                raise OperationalError("the write transaction was lost before it began")
        except Exception:
            # Not yet a transaction peewee knows of, so nobody else would end it.
            with suppress(Exception):  # a lost connection has nothing left to roll back
                self.cursor().execute("ROLLBACK")
            raise


def _gave_up(error: Exception) -> bool:
    """The desk stopped waiting for a silent server: trying again at once would only wait as long
    again (a new connection to a stopped server waits for the connect timeout)."""
    return isinstance(getattr(error, "orig", error), ServerNotAnswering)
