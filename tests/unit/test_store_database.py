"""Opening the database: durability pragmas read back, private file, refusals that leave files alone,
schema versions and the backup taken before a migration. No Qt."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from peewee import Database, IntegrityError

from desk_app.domain.clock import ManualClock
from desk_app.domain.procedure import Procedure, load_procedure
from desk_app.paths import PROCEDURE_FILE, resource_path
from desk_app.store import migrations
from desk_app.store.database import APPLICATION_ID, DatabaseOpenError, open_database
from desk_app.store.desk import Desk
from desk_app.store.migrations import LATEST_VERSION, schema_version
from tests.support.people import FAST_HASHER, add_member

SQLITE_HEADER = b"SQLite format 3\x00"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def make_existing_database(path: Path) -> None:
    """A closed Treatment Desk database with its administrator and one nurse in it."""
    db = open_database(str(path))
    desk = Desk(
        db,
        load_procedure(resource_path(PROCEDURE_FILE)),
        ManualClock(datetime(2026, 1, 5, tzinfo=UTC)),
        FAST_HASHER,
    )
    add_member(desk, "Ann Nurse", "AN", "nurse")
    db.close()


@pytest.fixture
def access_honours_mode_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    """os.access as an ordinary user sees it.

    Running as root (as in CI containers), os.access says every file and folder is writable whatever
    its mode, so chmod alone cannot make one read-only. This makes a missing owner-write bit count as
    read-only, for root and non-root alike; the chmod is real, so SQLite sees the same for non-root.
    """
    real_access = os.access

    def access(path: os.PathLike | str, mode: int, *args: object, **kwargs: object) -> bool:
        if not real_access(path, mode, *args, **kwargs):
            return False
        return not (mode & os.W_OK and not os.stat(path).st_mode & stat.S_IWUSR)

    monkeypatch.setattr(os, "access", access)


# --- a fresh database ----------------------------------------------------------------------------


def test_fresh_database_reads_back_the_durability_pragmas(db: Database) -> None:
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_fresh_database_is_marked_as_ours_and_fully_migrated(db: Database) -> None:
    assert db.execute_sql("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert schema_version(db) == LATEST_VERSION
    rows = db.execute_sql("SELECT version FROM schema_migration ORDER BY version").fetchall()
    assert [row[0] for row in rows] == list(range(1, LATEST_VERSION + 1))


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        db.execute_sql(
            "INSERT INTO session_event (session_id, kind, staff_id, at, values_json, text) "
            "VALUES (4242, 'tick', 4242, '2026-01-01 00:00:00', '{}', '')"
        )


def test_write_transactions_start_immediate(db: Database, db_path: Path) -> None:
    """Inside atomic(), before any write, the write lock is already held: BEGIN IMMEDIATE."""
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        with db.atomic():
            db.execute_sql("SELECT count(*) FROM staff").fetchone()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # released at commit
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_database_file_is_private_to_its_owner(db: Database, db_path: Path) -> None:
    assert mode_of(db_path) == 0o600
    for side_file in (Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
        if side_file.exists():
            assert mode_of(side_file) == 0o600, side_file.name


def test_database_file_is_private_even_with_a_permissive_umask(db_path: Path) -> None:
    old_umask = os.umask(0)
    try:
        db = open_database(str(db_path))
    finally:
        os.umask(old_umask)
    db.close()
    assert mode_of(db_path) == 0o600


def test_sqlite_url_opens_the_same_file_as_a_path(tmp_path: Path) -> None:
    path = tmp_path / "by-url.sqlite3"
    db = open_database(f"sqlite:///{path}")
    db.close()
    assert path.read_bytes().startswith(SQLITE_HEADER)
    assert list(tmp_path.iterdir()) == [path]


def test_an_empty_file_becomes_a_new_database(db_path: Path) -> None:
    db_path.touch(mode=0o600)
    db = open_database(str(db_path))
    try:
        assert schema_version(db) == LATEST_VERSION
    finally:
        db.close()


def test_reopening_an_existing_database_keeps_its_data(
    db_path: Path, procedure: Procedure, clock: ManualClock
) -> None:
    make_existing_database(db_path)
    db = open_database(str(db_path))
    try:
        desk = Desk(db, procedure, clock)
        assert [(staff.name, staff.initials) for staff in desk.accounts.list_staff()] == [
            ("Ada Admin", "AA"),
            ("Ann Nurse", "AN"),
        ]
        assert db.execute_sql("SELECT count(*) FROM schema_migration").fetchone()[0] == LATEST_VERSION
    finally:
        db.close()
    assert not list(db_path.parent.glob("*.before-v*")), "no backup when nothing is migrated"


# --- refusals: a clear message, and nothing written ----------------------------------------------


def test_missing_folder_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    folder = tmp_path / "not-there"
    with pytest.raises(DatabaseOpenError, match=r"folder .*not-there.* does not exist"):
        open_database(str(folder / "desk.sqlite3"))
    assert not folder.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("access_honours_mode_bits")
def test_read_only_folder_is_refused_for_a_new_file(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(DatabaseOpenError, match="read-only"):
            open_database(str(folder / "desk.sqlite3"))
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


@pytest.mark.usefixtures("access_honours_mode_bits")
def test_read_only_folder_is_refused_for_an_existing_database(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    path = folder / "desk.sqlite3"
    make_existing_database(path)
    before = path.read_bytes()
    folder.chmod(0o555)
    try:
        with pytest.raises(DatabaseOpenError, match=r"folder .* is read-only"):
            open_database(str(path))
        assert path.read_bytes() == before
        assert list(folder.iterdir()) == [path]
    finally:
        folder.chmod(0o755)


@pytest.mark.usefixtures("access_honours_mode_bits")
def test_read_only_file_is_refused_and_left_unchanged(db_path: Path) -> None:
    make_existing_database(db_path)
    before = db_path.read_bytes()
    db_path.chmod(0o400)
    with pytest.raises(DatabaseOpenError, match=r"desk\.sqlite3 is read-only"):
        open_database(str(db_path))
    assert db_path.read_bytes() == before
    assert list(db_path.parent.iterdir()) == [db_path]


def test_a_folder_given_as_the_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatabaseOpenError, match="is a folder"):
        open_database(str(tmp_path))


def _write_text(path: Path) -> None:
    path.write_text("Patients to call back:\nMrs Jones, Tuesday\n", encoding="utf-8")


def _write_random(path: Path) -> None:
    path.write_bytes(bytes(range(7, 256)) * 40)


def _write_truncated(path: Path) -> None:
    """A real Treatment Desk database cut short after its header: a damaged copy."""
    whole = path.with_name("whole.sqlite3")
    make_existing_database(whole)
    path.write_bytes(whole.read_bytes()[:1000])
    whole.unlink()


def _write_foreign_sqlite(path: Path) -> None:
    """Another program's SQLite file: a table, application_id left at 0."""
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
        connection.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    connection.close()


def _write_other_application(path: Path) -> None:
    """A SQLite file stamped with another program's application_id (even without tables)."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA application_id = 1195461702")  # 'GPKG', a GeoPackage
        connection.execute("PRAGMA user_version = 3")
    connection.close()


@pytest.mark.parametrize(
    ("make_file", "message"),
    [
        pytest.param(_write_text, r"desk\.sqlite3 is not a Treatment Desk database", id="text-file"),
        pytest.param(_write_random, r"desk\.sqlite3 is not a Treatment Desk database", id="random-bytes"),
        pytest.param(_write_truncated, r"desk\.sqlite3 cannot be (read|used) as a database", id="truncated"),
        pytest.param(_write_foreign_sqlite, r"database of another program", id="sqlite-app-id-0"),
        pytest.param(_write_other_application, r"database of another program", id="sqlite-other-app-id"),
    ],
)
def test_a_file_that_is_not_ours_is_refused_and_left_byte_for_byte_unchanged(
    db_path: Path, make_file: Callable[[Path], None], message: str
) -> None:
    make_file(db_path)
    before = db_path.read_bytes()
    with pytest.raises(DatabaseOpenError, match=message) as refused:
        open_database(str(db_path))
    assert "not changed" in str(refused.value)
    assert db_path.read_bytes() == before


def test_unsupported_url_scheme_gets_a_clear_message() -> None:
    with pytest.raises(DatabaseOpenError, match=r"'mysql://' are not supported.*postgresql://USER@HOST"):
        open_database("mysql://x")


# --- schema versions -----------------------------------------------------------------------------


def _stamp_newer_schema(path: Path) -> None:
    make_existing_database(path)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)",
            (LATEST_VERSION + 1, "from the future", "2030-01-01 00:00:00"),
        )
    connection.close()


def test_newer_schema_is_refused_with_a_message_about_a_newer_version(db_path: Path) -> None:
    _stamp_newer_schema(db_path)
    with pytest.raises(DatabaseOpenError, match=r"newer Treatment Desk.*update the app"):
        open_database(str(db_path))
    with sqlite3.connect(db_path) as connection:
        versions = [row[0] for row in connection.execute("SELECT version FROM schema_migration")]
    connection.close()
    assert versions == [*range(1, LATEST_VERSION + 1), LATEST_VERSION + 1]


def test_newer_schema_is_left_byte_for_byte_unchanged(db_path: Path) -> None:
    _stamp_newer_schema(db_path)
    before = db_path.read_bytes()
    with pytest.raises(DatabaseOpenError, match="newer"):
        open_database(str(db_path))
    assert db_path.read_bytes() == before


def ship_second_migration(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Pretend the app now ships schema version 2; returns the log of the steps that ran."""
    ran: list[str] = []

    def _m002_add_table(db: Database) -> None:
        db.execute_sql("CREATE TABLE added_in_v2 (id INTEGER PRIMARY KEY)")
        ran.append("v2")

    steps = [*migrations.MIGRATIONS, ("add a table", _m002_add_table)]
    monkeypatch.setattr(migrations, "MIGRATIONS", steps)
    monkeypatch.setattr(migrations, "LATEST_VERSION", len(steps))
    return ran


def test_pending_migration_takes_a_backup_then_runs(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_existing_database(db_path)  # at today's LATEST_VERSION
    new_version = LATEST_VERSION + 1
    ran = ship_second_migration(monkeypatch)

    db = open_database(str(db_path))
    try:
        assert ran == ["v2"]
        assert schema_version(db) == new_version
        assert db.table_exists("added_in_v2")
        assert db.execute_sql("SELECT name FROM staff").fetchall() == [("Ada Admin",), ("Ann Nurse",)]
    finally:
        db.close()

    backups = list(db_path.parent.glob(f"*.before-v{new_version}.*"))
    assert len(backups) == 1, sorted(p.name for p in db_path.parent.iterdir())
    backup = backups[0]
    assert backup.name.startswith(f"desk.before-v{new_version}.") and backup.suffix == ".sqlite3"
    assert mode_of(backup) == 0o600
    with sqlite3.connect(backup) as copy:
        versions = [row[0] for row in copy.execute("SELECT version FROM schema_migration")]
        staff = copy.execute("SELECT name FROM staff").fetchall()
        tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    copy.close()
    assert versions == list(range(1, LATEST_VERSION + 1))
    assert staff == [("Ada Admin",), ("Ann Nurse",)]
    assert "added_in_v2" not in tables


def test_pending_migration_runs_once(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_existing_database(db_path)
    ran = ship_second_migration(monkeypatch)
    open_database(str(db_path)).close()
    open_database(str(db_path)).close()
    assert ran == ["v2"]
    assert len(list(db_path.parent.glob("*.before-v*"))) == 1


def test_no_backup_for_a_brand_new_database(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ran = ship_second_migration(monkeypatch)
    open_database(str(db_path)).close()
    assert ran == ["v2"]
    assert not list(db_path.parent.glob("*.before-v*"))


def test_backup_is_private_from_its_first_byte(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_existing_database(db_path)
    ship_second_migration(monkeypatch)
    modes_before_copy: list[int] = []
    real_connect = sqlite3.connect

    def connect(target: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        connection = real_connect(target, *args, **kwargs)
        if ".before-v" in str(target):
            # SQLite has created the file; the patient data is copied into it next.
            modes_before_copy.append(mode_of(Path(str(target))))
        return connection

    monkeypatch.setattr(sqlite3, "connect", connect)
    old_umask = os.umask(0o022)
    try:
        open_database(str(db_path)).close()
    finally:
        os.umask(old_umask)
    assert modes_before_copy == [0o600]
