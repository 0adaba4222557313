"""Shared fixtures: a fresh database file per test, an injected clock, a nurse and a clinician."""

from __future__ import annotations

import os
import shutil
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The clinic's own time zone, so shown times and daylight-saving tests mean the same everywhere.
os.environ["TZ"] = "Europe/London"
time.tzset()

from collections.abc import Iterator  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from peewee import Database  # noqa: E402

from desk_app.domain.clock import ManualClock  # noqa: E402
from desk_app.domain.people import Staff  # noqa: E402
from desk_app.domain.procedure import Procedure, load_procedure  # noqa: E402
from desk_app.paths import PROCEDURE_FILE, resource_path  # noqa: E402
from desk_app.store.database import open_database  # noqa: E402
from desk_app.store.desk import Desk  # noqa: E402
from tests.support.people import FAST_HASHER, add_member, administrator  # noqa: E402
from tests.support.pg_databases import emptied_postgres_database  # noqa: E402

# A Wednesday morning in winter (GMT): UTC and UK local time agree, so shown times are predictable.
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def procedure() -> Procedure:
    """Read once per test process: a Procedure is frozen, and reading it costs 6 ms a test."""
    return load_procedure(resource_path(PROCEDURE_FILE))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "desk.sqlite3"


BACKENDS = ("sqlite", "postgresql")


# A folder in memory (tmpfs) on most Linux machines. The app syncs every commit to disk
# (synchronous=FULL); on a busy disk one sync can take tens of milliseconds, and the suite makes
# tens of thousands. Nothing a test checks depends on the disk surviving a power cut.
_MEMORY = Path("/dev/shm")
_memory_folder: list[str] = []


def _temporary_files_in_memory(config: pytest.Config) -> None:
    """Put this run's temporary files (tmp_path and tempfile's, in workers and in the programs the
    tests start) in a fresh folder of /dev/shm, removed at the end, unless a --basetemp is given."""
    if config.option.basetemp or hasattr(config, "workerinput") or not os.access(_MEMORY, os.W_OK):
        return
    if any(str(arg).startswith("tests/benchmarks") for arg in config.args):
        return  # benchmarks measure the disk the clinic's file is on, and build gigabytes
    folder = tempfile.mkdtemp(prefix="desk-app-tests-", dir=_MEMORY)
    os.chmod(folder, 0o1777)  # as /tmp: the tests that run a step as another user reach it too
    _memory_folder.append(folder)
    os.environ["TMPDIR"] = folder
    tempfile.tempdir = None  # read TMPDIR again
    config.option.basetemp = os.path.join(folder, "basetemp")


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _memory_folder:
        shutil.rmtree(folder, ignore_errors=True)


def pytest_configure(config: pytest.Config) -> None:
    _temporary_files_in_memory(config)
    # The app's own data folder (the list of databases it has opened, its log) is a throwaway one,
    # for this process and the children it starts: never the real user's.
    os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="desk-data-")
    # This PC's settings (config.py) too: no test reads the real user's, or meets the first start.
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="desk-config-")
    config.addinivalue_line("markers", "both_databases: run each test on SQLite and on PostgreSQL")
    config.addinivalue_line("markers", "sqlite_only: a test of SQLite itself, in a both_databases module")
    config.addinivalue_line(
        "markers",
        "postgresql_for(*values): of a parametrized test, only the cases with one of these values "
        "run on PostgreSQL",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked both_databases run once per database; the others on SQLite only."""
    definition = metafunc.definition
    if (
        "backend" in metafunc.fixturenames
        and definition.get_closest_marker("both_databases")
        and not definition.get_closest_marker("sqlite_only")
    ):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A long list of cases that differ in what the app does, not in the SQL it sends, runs whole on
    SQLite and, on PostgreSQL, only the cases its postgresql_for marker names (the suite's time)."""
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("postgresql_for")
        params = item.callspec.params if hasattr(item, "callspec") else {}
        wanted = marker is not None and any(value in marker.args for value in params.values())
        if marker and params.get("backend") == "postgresql" and not wanted:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


_migrated_file: list[Path] = []  # this test process's freshly migrated database file, made once


def migrated_sqlite_file(path: Path) -> Path:
    """A copy, at `path`, of a database file just made and migrated by open_database: the same
    bytes as making it again, in a tenth of the time (migrating costs some 20 ms a test)."""
    if not _migrated_file:
        template = Path(tempfile.mkdtemp(prefix="desk-template-")) / "migrated.sqlite3"
        open_database(str(template)).close()
        _migrated_file.append(template)
    shutil.copyfile(_migrated_file[0], path)
    path.chmod(0o600)
    return path


@pytest.fixture
def db_url(backend: str, db_path: Path) -> Iterator[str]:
    """The test's own new database: a file, or a database on the PostgreSQL test server."""
    yield str(migrated_sqlite_file(db_path)) if backend == "sqlite" else emptied_postgres_database()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.close()


@pytest.fixture
def desk(db: Database, procedure: Procedure, clock: ManualClock) -> Desk:
    return Desk(db, procedure, clock, FAST_HASHER)


@pytest.fixture
def admin(desk: Desk) -> Staff:
    return administrator(desk)


@pytest.fixture
def nurse(desk: Desk) -> Staff:
    return add_member(desk, "Ann Nurse", "AN", "nurse")


@pytest.fixture
def clinician(desk: Desk) -> Staff:
    return add_member(desk, "Dr Clive Doctor", "CD", "clinician")
