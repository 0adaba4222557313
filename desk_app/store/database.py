"""Opening the database from a URL, with the durability pragmas of the design read back and checked.

Every problem at opening time becomes a DatabaseOpenError whose message a nurse can act on, and a
file that is not ours is never written to.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Collection, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from peewee import Database, DatabaseError, InterfaceError, SqliteDatabase

from desk_app.store.backup import BackupError
from desk_app.store.copying import moved_to, moving_to
from desk_app.store.files import (
    APPLICATION_ID,
    SQLITE_HEADER,
    create_private_file,
    not_a_file,
    read_only_connection,
    read_only_uri,
    unreachable,
)
from desk_app.store.identity import ensure_database_id
from desk_app.store.migrations import (
    AUDITED_SCHEMA,
    LATEST_VERSION,
    SchemaTooNewError,
    migrate,
    schema_version,
)
from desk_app.store.models import SchemaMigration, database_proxy
from desk_app.store.pg_roles import (
    LoginRefused,
    clinic_schema,
    grant_desk_login,
    refuse_unfit_desk_candidate,
    refuse_unfit_desk_login,
)
from desk_app.store.presence import Presence
from desk_app.store.restoring import finish_unfinished_restore, unfinished_restore
from desk_app.store.server_address import PostgresAddressError, describe, is_postgres_url
from desk_app.store.signs import is_missing_or_empty, signs_of_a_clinic
from desk_app.store.transactions import long_job

if TYPE_CHECKING:
    from desk_app.store.postgres import ClinicPostgresDatabase

log = logging.getLogger(__name__)
_Checked = TypeVar("_Checked")

BUSY_TIMEOUT_SECONDS = 5
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": BUSY_TIMEOUT_SECONDS * 1000,
}
EXPECTED_READBACK = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}


_RESTORE_HINT = "Ask the clinic manager to restore the latest backup (desk-app restore)."


class DatabaseOpenError(Exception):
    """The database cannot be opened safely; the message says why and what was left untouched."""


class NoClinicHereError(DatabaseOpenError):
    """The database file is missing or empty, but there are signs that a clinic's was there: a new
    clinic is started there only when someone chooses to (`new_clinic`)."""


class ClinicSqliteDatabase(SqliteDatabase):
    """SQLite that marks the file as open by this process while it holds a connection, so that a
    restore refuses meanwhile (presence.py)."""

    def __init__(self, path: Path, **kwargs: Any) -> None:
        super().__init__(str(path), **kwargs)
        self.presence = Presence(path.resolve())

    def _connect(self) -> sqlite3.Connection:
        self.presence.acquire()
        try:
            return super()._connect()  # type: ignore[misc]  # peewee's stubs leave out _connect
        except BaseException:
            self.presence.release()
            raise

    def _close(self, conn: sqlite3.Connection) -> None:
        try:
            super()._close(conn)  # type: ignore[misc]  # peewee's stubs leave out _close
        finally:
            self.presence.release()


def sqlite_path_from_url(url: str) -> Path:
    """Accept 'sqlite:///path' or a plain path; other schemes are refused with a clear message."""
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).expanduser()
    if is_postgres_url(url):
        raise DatabaseOpenError(
            "This works on a database file on this PC only. A PostgreSQL database is backed up and "
            "checked on its server (pg_dump; see the README)."
        )
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise DatabaseOpenError(
            f"Database addresses starting with '{scheme}://' are not supported; "
            "use a file path, sqlite:///path or postgresql://USER@HOST:PORT/NAME."
        )
    return Path(url).expanduser()


def shown_name(url: str) -> str:
    """The database as messages name it: the file's full path, or user@server:port/name."""
    return describe(url) if is_postgres_url(url) else str(sqlite_path_from_url(url).resolve())


def check_database_path(path: Path) -> None:
    """Refuse a path where no database file can be, before anything opens it: opening a FIFO waits
    for ever, and a device, a folder, a dangling link or an unreachable or over-long path would end
    in a hang, a file made elsewhere or a traceback. A missing file passes: it may be made."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):  # opening would make the file where the link points
            raise DatabaseOpenError(
                f"{path} is a link to {os.readlink(path)}, which does not exist. Nothing was created."
            ) from None
        return
    except OSError as error:
        raise DatabaseOpenError(unreachable(path, error)) from None
    if (kind := not_a_file(status.st_mode)) is not None:
        raise DatabaseOpenError(f"{path} is {kind}, not a database file.")


def _check_sqlite_file(path: Path) -> None:
    """Refuse what check_database_file refuses; create a missing file, private from the first byte."""
    check_database_file(path)
    if not path.exists():
        create_private_file(path)


def check_database_file(path: Path) -> None:
    """Refuse a missing or read-only folder, a read-only file or a file that is not SQLite (what
    check_database_path refuses too); change nothing. `desk-app config set database` asks it too."""
    check_database_path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise DatabaseOpenError(f"The folder {folder} does not exist, so {path.name} cannot be created.")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise DatabaseOpenError(f"{path} is read-only. Treatment Desk needs to save every tick.")
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
        if header and header != SQLITE_HEADER:
            raise DatabaseOpenError(f"{path} is not a Treatment Desk database. It was not changed.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DatabaseOpenError(
            f"The folder {folder} is read-only. Treatment Desk needs to write its database there."
        )


class FileCheckRunner(Protocol):
    """Runs the start-up check of a database file (`check`, a read on a connection of its own,
    made and closed by the check) and returns what it returns or raises what it raises. The window
    runs it on a thread of its own while it shows that it is checking (ui/startup_check.py)."""

    def __call__(self, path: Path, check: Callable[[], _Checked]) -> _Checked: ...


def check_here(path: Path, check: Callable[[], _Checked]) -> _Checked:
    """The start-up check on the caller's own thread (a command in a terminal, a test)."""
    return check()


def _probe(path: Path) -> tuple[int, int, str]:
    """(application id, tables, the structure check's first finding): read only, on a connection
    of its own, opened and closed here (so on whichever thread runs it)."""
    with closing(read_only_connection(path)) as probe:
        application_id = probe.execute("PRAGMA application_id").fetchone()[0]
        table_count = probe.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        # Every page's structure, without reading every row's content: 1.8 s at 1.1 GB.
        damage = probe.execute("PRAGMA quick_check(1)").fetchone()[0] if application_id else "ok"
    return application_id, table_count, damage


def _refuse_foreign_or_damaged_file(path: Path, run_check: FileCheckRunner = check_here) -> None:
    """Refuse a SQLite file of another program, or a damaged one, reading it only: peewee's pragmas
    and the migrations would write to it."""
    if path.stat().st_size == 0:
        return
    try:
        application_id, table_count, damage = run_check(path, lambda: _probe(path))
    except (sqlite3.Error, UnicodeDecodeError) as error:  # scrambled text is not valid UTF-8
        raise DatabaseOpenError(
            f"{path} cannot be read as a database ({error}). It was not changed. {_RESTORE_HINT}"
        ) from None
    if application_id != APPLICATION_ID and (application_id != 0 or table_count):
        raise DatabaseOpenError(
            f"{path} is a database of another program, not of Treatment Desk. It was not changed."
        )
    if damage != "ok":
        raise DatabaseOpenError(f"{path} is damaged ({damage}). It was not changed. {_RESTORE_HINT}")


def _check_pragmas(db: SqliteDatabase) -> None:
    """Read the durability settings back: a silently ignored pragma would weaken every tick."""
    for name, expected in EXPECTED_READBACK.items():
        actual = db.execute_sql(f"PRAGMA {name}").fetchone()[0]
        if str(actual).lower() != str(expected):
            raise DatabaseOpenError(f"The database refused the setting {name}={expected} (it says {actual}).")


def open_database(
    url: str,
    *,
    create: bool = True,
    moving_ok: bool = False,
    new_clinic: bool = False,
    remembered: Collection[Path] = (),
    run_check: FileCheckRunner = check_here,
) -> Database:
    """Open (creating if new, unless `create` is False) and migrate the database at `url`; bind the models.

    On PostgreSQL nothing is created or migrated: the administrator does that (open_as_owner), and
    a desk refuses the owner's login (see _open_postgres).
    A file whose move to a server did not finish opens only for `migrate-to` itself (`moving_ok`).
    A restore killed halfway is finished or undone first. A missing or empty file where there are
    signs of a clinic (`remembered`: files this PC has opened) is created only with `new_clinic`.
    `run_check` runs the file's structure check (the window: on a thread, showing that it checks).
    """
    if is_postgres_url(url):
        return _open_postgres(url)
    path = sqlite_path_from_url(url)
    try:
        finish_unfinished_restore(path.resolve())
    except BackupError as error:
        raise DatabaseOpenError(str(error)) from None
    except OSError:
        pass  # a path that cannot be reached: check_database_path says how
    check_database_path(path)
    if not create and is_missing_or_empty(path):
        state = "only an empty file" if path.exists() else "no database"
        raise DatabaseOpenError(f"There is {state} at {path}. {_RESTORE_HINT} Nothing was changed.")
    if (
        create
        and not new_clinic
        and is_missing_or_empty(path)
        and (signs := signs_of_a_clinic(path, remembered))
    ):
        state = "is empty (0 bytes)" if path.exists() else "is missing"
        raise NoClinicHereError(
            f"The database {path} {state}, but a clinic's records were here: {'; '.join(signs)}. "
            f"To put them back, restore the latest backup (desk-app restore BACKUP --db {path}). "
            "Start a new, empty clinic here only if you are sure. Nothing was changed."
        )
    _check_sqlite_file(path)
    _refuse_foreign_or_damaged_file(path, run_check)
    db = ClinicSqliteDatabase(
        path, pragmas=SQLITE_PRAGMAS, timeout=BUSY_TIMEOUT_SECONDS, lock_type="IMMEDIATE"
    )
    with _opening(db, lambda reason: _sqlite_failure(path, reason)):
        db.connect()  # marks the file as open here before looking for a restore under way
        if unfinished_restore(path.resolve()):
            raise DatabaseOpenError(f"A restore of {path} is under way; try again when it has finished.")
        # Written only on a new file: any write would change the header of a file we must refuse.
        if db.execute_sql("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            db.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")
        _check_pragmas(db)
        database_proxy.initialize(db)
        migrate(db, path)
        if (where := moved_to(db)) is not None:
            raise DatabaseOpenError(
                f"The records in {path} were moved to the clinic's PostgreSQL database. Open that "
                f"instead: desk-app config set database postgresql://{where} on this PC (or --db). "
                "The file is kept as it was."
            )
        if not moving_ok and (where := moving_to(db)) is not None:
            raise DatabaseOpenError(
                f"The records in {path} were being moved to the PostgreSQL database {where} and the "
                f"move did not finish. Run desk-app migrate-to postgresql://{where} --db {path} again "
                "to finish it (or add --undo to keep working on this file). Nothing was changed."
            )
        ensure_database_id(db)
    log.info("Database opened: the file %s, schema %s", path, LATEST_VERSION)
    return db


def _sqlite_failure(path: Path, reason: str) -> DatabaseOpenError:
    if "locked" in reason or "busy" in reason:
        return DatabaseOpenError(f"{path} is busy: another program holds it. Try again in a moment.")
    return DatabaseOpenError(f"{path} cannot be used as a database ({reason}). It was not changed.")


@contextmanager
def _opening(db: Database, failure: Callable[[str], DatabaseOpenError]) -> Iterator[None]:
    """Close the connection when opening fails, and say why as a DatabaseOpenError: a driver's
    error through `failure`, given the error's text."""
    try:
        yield
    except DatabaseOpenError:
        db.close()
        raise
    except SchemaTooNewError as error:
        db.close()
        raise DatabaseOpenError(str(error)) from None
    except (DatabaseError, InterfaceError, sqlite3.Error, UnicodeDecodeError) as error:
        db.close()
        raise failure(" ".join(str(error).split()) or type(error).__name__) from None


def _connected_postgres(url: str) -> tuple[ClinicPostgresDatabase, str]:
    """A connection to the server database at `url` (refused for a database of another program),
    and the database as messages name it. Ours or empty: nothing is written to it here."""
    from desk_app.store.postgres import NOT_ENCRYPTED, SSL_REQUIRED_REFUSED, ClinicPostgresDatabase

    try:
        db = ClinicPostgresDatabase(url)
    except PostgresAddressError as error:
        raise DatabaseOpenError(str(error)) from None
    where = describe(url)

    def failure(reason: str) -> DatabaseOpenError:
        if SSL_REQUIRED_REFUSED in reason:  # sslmode=require (postgres.encryption_parameters)
            return DatabaseOpenError(
                f"Cannot use the PostgreSQL database {where}: the server does not offer an encrypted "
                f"connection ({reason}), and records must not cross the network in clear text. Ask "
                "whoever looks after the server to turn on TLS (see the README); only on a network you "
                "trust, write ?sslmode=prefer at the end of the address. Nothing was changed."
            )
        if NOT_ENCRYPTED in reason:  # refused after connecting (postgres.refuse_unencrypted)
            return DatabaseOpenError(f"Cannot use the PostgreSQL database: {reason}. Nothing was changed.")
        return DatabaseOpenError(
            f"Cannot use the PostgreSQL database {where} ({reason}). Check that the server is running, "
            "that the address is right and that the password is in ~/.pgpass. Nothing was changed."
        )

    with _opening(db, failure):
        db.connect()
        tables = db.get_tables()
        if SchemaMigration._meta.table_name not in tables and tables:
            raise DatabaseOpenError(
                f"The PostgreSQL database {where} holds another program's tables, not Treatment "
                "Desk's. It was not changed."
            )
    return db, where


def _open_postgres(url: str) -> Database:
    """A desk's connection: as the desks' login, to a database the administrator has migrated.

    A desk never creates or migrates a server database: its login may not change the schema (it
    could then disable the triggers). It refuses the owner's login, a superuser, or a login with
    rights a desk does not need; and a schema older or newer than this app's, telling who to ask.
    """
    db, where = _connected_postgres(url)
    with _opening(db, lambda reason: DatabaseOpenError(f"Cannot use {where} ({reason}).")):
        if clinic_schema(db) is None:  # not get_tables(): it lists only what this login may use
            raise DatabaseOpenError(
                f"There is no Treatment Desk database at {where} (it is empty). The clinic's "
                "administrator makes it with desk-app migrate (see the README). Nothing was changed."
            )
        try:
            refuse_unfit_desk_login(db)
        except LoginRefused as refused:
            raise DatabaseOpenError(str(refused)) from None
        database_proxy.initialize(db)
        version = schema_version(db)
        if version > LATEST_VERSION:
            raise DatabaseOpenError(
                f"The database {where} was written by a newer Treatment Desk (schema {version}; this "
                f"version knows {LATEST_VERSION}). Please update the app. It was not changed."
            )
        if version < LATEST_VERSION:
            raise DatabaseOpenError(
                f"The database {where} has schema {version}, and this Treatment Desk needs schema "
                f"{LATEST_VERSION}. Ask the clinic's administrator to run desk-app migrate with this "
                "version (see the README); desks cannot upgrade a server database. Nothing was changed."
            )
        ensure_database_id(db)
    log.info("Database opened: the PostgreSQL database %s, schema %s", where, version)
    return db


def open_as_owner(url: str, desk_login: str) -> Database:
    """The administrator's way in (desk-app migrate, migrate-to), as the login that owns the tables:
    create or upgrade them, then give the desks' login what a desk needs and nothing more.

    The desks' login is checked before anything changes; the tables of another login are refused.
    """
    db, where = _connected_postgres(url)
    with _opening(db, lambda reason: DatabaseOpenError(f"Cannot migrate {where} ({reason}).")):
        if SchemaMigration._meta.table_name in db.get_tables():
            owner, is_owner = db.execute_sql(
                "SELECT pg_get_userbyid(relowner), pg_has_role(current_user, relowner, 'USAGE') "
                "FROM pg_class WHERE oid = to_regclass('schema_migration')"
            ).fetchone()
            if not is_owner:
                raise DatabaseOpenError(
                    f"The clinic's tables in {where} belong to the login {owner}: run desk-app migrate "
                    "as that login. Nothing was changed."
                )
        try:
            refuse_unfit_desk_candidate(db, desk_login)
            database_proxy.initialize(db)
            with long_job(db):  # a migration of a big clinic may take longer than an action may
                migrate(db)
                ensure_database_id(db)
                with db.atomic():  # the write lock: two administrators at once grant in turn
                    grant_desk_login(db, desk_login)
        except LoginRefused as refused:
            raise DatabaseOpenError(str(refused)) from None
    log.info(
        "Database opened by its owner: %s, schema %s, the desks' login %s", where, LATEST_VERSION, desk_login
    )
    return db


def open_read_only(url: str) -> Database:
    """Open an existing database to read it only, as `audit verify` does: never created, never
    migrated, its journal mode left as it is, every statement refused a write. A file's bytes are
    the same afterwards. An empty or foreign file, or a schema this app cannot read, is refused."""
    if is_postgres_url(url):
        db: Database = _read_only_postgres(url)
    else:
        path = sqlite_path_from_url(url)
        if unfinished_restore(path.resolve()):
            raise DatabaseOpenError(
                f"A restore of {path} was stopped halfway. Run desk-app check --db {path} (or start the "
                "app) to finish or undo it first."
            )
        if not path.is_file():
            raise DatabaseOpenError(f"There is no database file at {path}.")
        if path.stat().st_size == 0:
            raise DatabaseOpenError(f"{path} is empty (0 bytes): it holds no Treatment Desk database.")
        _refuse_foreign_or_damaged_file(path)
        db = SqliteDatabase(read_only_uri(path), uri=True, pragmas={"query_only": 1})
        with _opening(db, lambda reason: _sqlite_failure(path, reason)):
            db.connect()
            if db.execute_sql("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                raise DatabaseOpenError(f"{path} is not a Treatment Desk database. It was not changed.")
    with _opening(db, lambda reason: DatabaseOpenError(f"{shown_name(url)} cannot be read ({reason}).")):
        database_proxy.initialize(db)
        version = schema_version(db)
        if version > LATEST_VERSION:
            raise DatabaseOpenError(
                f"{shown_name(url)} was written by a newer Treatment Desk (schema {version}; this "
                f"version knows {LATEST_VERSION}). Use the newer app to read it."
            )
        if version < AUDITED_SCHEMA:
            raise DatabaseOpenError(
                f"{shown_name(url)} has schema {version}, from before the audit trail existed: "
                "there is no trail to verify. It was not changed."
            )
    log.info("Database opened to read only: %s, schema %s", shown_name(url), version)
    return db


def _read_only_postgres(url: str) -> Database:
    """A connection whose every transaction is read-only, to a database that must be ours already."""
    from desk_app.store.postgres import ClinicPostgresDatabase

    try:
        db = ClinicPostgresDatabase(url)
    except PostgresAddressError as error:
        raise DatabaseOpenError(str(error)) from None
    with _opening(db, lambda reason: DatabaseOpenError(f"Cannot read {describe(url)} ({reason}).")):
        db.connect()
        db.execute_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        if SchemaMigration._meta.table_name not in db.get_tables():
            raise DatabaseOpenError(f"There is no Treatment Desk database at {describe(url)}.")
    return db
