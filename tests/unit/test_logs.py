"""The app's log file stays its owner's only, through every rollover, and is never written through a
link, into a FIFO or into a folder put in its place: the app then works without it, and says why on
stderr. An exception's message (a database's may quote a patient's row) never reaches it."""

from __future__ import annotations

import io
import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from peewee import SqliteDatabase

from desk_app import logs
from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import Staff
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from desk_app.store.errors import StoreUnavailable, error_for_log, store_errors
from desk_app.store.migrations import LATEST_VERSION, MIGRATIONS

NAME = "Zoë O'Brien"  # a patient's, as a message would carry it


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The app's data folder under tmp_path, the log stopped after the test."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    folder = tmp_path / "share" / "TreatmentDesk"
    folder.mkdir(parents=True)
    yield folder
    logs.stop_logging()


@pytest.fixture
def open_umask() -> Iterator[None]:
    """umask 000: whatever is made is open to everyone unless the app says otherwise."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_every_log_file_is_private_across_rollovers_whatever_the_umask(
    tmp_path: Path, open_umask: None
) -> None:
    path = tmp_path / logs.LOG_FILE
    handler = logs.PrivateRotatingFileHandler(path, maxBytes=200, backupCount=2, encoding="utf-8")
    logger = logging.getLogger("tests.rollover")
    logger.addHandler(handler)
    try:
        for number in range(20):
            logger.warning("line %s of a busy day at the desk", number)
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = sorted(tmp_path.iterdir())
    assert [file.name for file in files] == [logs.LOG_FILE, f"{logs.LOG_FILE}.1", f"{logs.LOG_FILE}.2"]
    assert all(mode_of(file) == 0o600 for file in files), [oct(mode_of(file)) for file in files]
    assert "line 19 " in path.read_text(encoding="utf-8")


def test_a_link_planted_in_the_place_of_the_log_is_not_followed(
    data_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = data_folder.parent / "someone-elses.txt"
    victim.write_text("theirs\n")
    victim.chmod(0o644)
    (data_folder / logs.LOG_FILE).symlink_to(victim)
    assert logs.start_logging("a test") is None
    logging.getLogger("desk_app.test").warning("a warning after the start")
    assert victim.read_text() == "theirs\n" and mode_of(victim) == 0o644
    said = capsys.readouterr().err
    assert f"No log file: {data_folder / logs.LOG_FILE} cannot be written" in said
    assert "a warning after the start" in said  # the terminal still hears


def test_a_link_planted_during_a_rollover_is_not_followed(tmp_path: Path) -> None:
    """Between the rename of the full file and the opening of a new one."""
    victim = tmp_path / "someone-elses.txt"
    victim.write_text("theirs\n")
    path = tmp_path / logs.LOG_FILE
    handler = logs.PrivateRotatingFileHandler(path, maxBytes=100, backupCount=1, encoding="utf-8")

    def rename_then_plant(source: str, dest: str) -> None:
        os.rename(source, dest)
        if source == str(path):
            path.symlink_to(victim)

    handler.rotator = rename_then_plant
    handler.handleError = lambda record: None  # type: ignore[method-assign]  # logging says it on stderr
    logger = logging.getLogger("tests.planted")
    logger.addHandler(handler)
    try:
        for number in range(10):
            logger.warning("line %s, long enough to fill the file soon", number)
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert victim.read_text() == "theirs\n"
    assert path.is_symlink()


@pytest.mark.timeout(5)
@pytest.mark.parametrize("planted", ["a FIFO", "a folder"])
def test_a_fifo_or_a_folder_in_the_place_of_the_log_is_refused_at_once(
    data_folder: Path, planted: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = data_folder / logs.LOG_FILE
    os.mkfifo(path) if planted == "a FIFO" else path.mkdir()
    assert logs.start_logging("a test") is None
    assert "cannot be written" in capsys.readouterr().err


def test_a_data_folder_that_cannot_be_made_leaves_the_log_out_and_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """(Tests run as root pass every permission check, so a file stands where the folder goes.)"""
    blocker = tmp_path / "share"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    try:
        assert logs.start_logging("a test") is None
    finally:
        logs.stop_logging()
    assert "No log file: the data folder cannot be written" in capsys.readouterr().err


def test_a_line_is_stamped_in_utc_with_its_level_and_logger(data_folder: Path) -> None:
    path = logs.start_logging("a test")
    assert path is not None
    logging.getLogger("desk_app.store.backup").info("Backup made: %s", "here")
    last = path.read_text(encoding="utf-8").splitlines()[-1]
    stamp, level, name, message = last.split(" ", 3)
    assert stamp.endswith("Z") and len(stamp) == len("2026-12-03T21:08:45.046Z")
    assert (level, name, message) == ("INFO", "desk_app.store.backup:", "Backup made: here")


def test_a_second_start_does_not_write_each_line_twice(data_folder: Path) -> None:
    logs.start_logging("a test")
    path = logs.start_logging("a test, again")
    assert path is not None
    logging.getLogger("desk_app.test").info("once")
    assert path.read_text(encoding="utf-8").count("once") == 1


def test_an_exception_is_logged_with_its_frames_and_types_but_no_message() -> None:
    try:
        try:
            raise KeyError(NAME)
        except KeyError as error:
            raise StoreUnavailable(f"Not saved: {error}") from error
    except StoreUnavailable as error:
        told = logs.withheld_traceback(error)
    assert NAME not in told
    assert "KeyError: (message withheld from the log)" in told
    assert "desk_app.store.errors.StoreUnavailable: (message withheld from the log)" in told
    assert told.count("Traceback (most recent call last):") == 2
    assert "test_an_exception_is_logged_with_its_frames_and_types_but_no_message" in told


def test_an_exception_formatted_first_by_another_handler_still_reaches_the_file_without_its_message(
    data_folder: Path,
) -> None:
    """A handler with Python's own formatter, on a module's logger, runs first and leaves its text
    (message and all) on the record."""
    path = logs.start_logging("a test")
    assert path is not None
    module_log = logging.getLogger("desk_app.store.audit")
    theirs = logging.StreamHandler(io.StringIO())
    module_log.addHandler(theirs)
    try:
        try:
            raise ValueError(NAME)
        except ValueError:
            module_log.exception("A check failed")
    finally:
        module_log.removeHandler(theirs)
    logged = path.read_text(encoding="utf-8")
    assert "ValueError: (message withheld from the log)" in logged and NAME not in logged


def test_a_failure_is_told_to_the_log_without_a_value_from_a_row() -> None:
    db = SqliteDatabase(":memory:")
    db.execute_sql("CREATE TABLE patient (name TEXT UNIQUE)")
    db.execute_sql("INSERT INTO patient VALUES (?)", (NAME,))

    @store_errors
    def add_again() -> None:
        db.execute_sql("INSERT INTO patient VALUES (?)", (NAME,))

    with pytest.raises(StoreUnavailable) as sqlite_failure:
        add_again()
    assert error_for_log(sqlite_failure.value) == (
        "StoreUnavailable: SQLite IntegrityError: UNIQUE constraint failed: patient.name"
    )
    server_said = psycopg.errors.UniqueViolation(f"duplicate key\nDETAIL:  Key (name)=({NAME}) exists.")
    assert error_for_log(server_said) == "UniqueViolation: PostgreSQL UniqueViolation: SQLSTATE 23505"
    assert error_for_log(ActionRefused(f"{NAME} already has a session")) == "ActionRefused"
    assert error_for_log(sqlite3.OperationalError("database is locked")).endswith(": database is locked")


def test_a_new_database_is_logged_migrated_step_by_step_then_opened(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="desk_app")
    path = tmp_path / "new.sqlite3"
    open_database(str(path)).close()
    said = [record.getMessage() for record in caplog.records]
    assert said == [
        *[
            f"Schema migrated from {number - 1} to {number} ({name})"
            for number, (name, _) in enumerate(MIGRATIONS, 1)
        ],
        f"Database opened: the file {path}, schema {LATEST_VERSION}",
    ]


def test_a_refused_action_is_logged_once_by_what_and_why_not_by_its_message(
    desk: Desk, nurse: Staff, caplog: pytest.LogCaptureFixture
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    session = desk.sessions.start_session(patient.id, nurse.id)
    caplog.set_level(logging.INFO, logger="desk_app")
    with pytest.raises(ActionRefused):
        desk.sessions.start_session(patient.id, nurse.id)
    with pytest.raises(ActionRefused):
        desk.sessions.tick(
            session.id, "fractional_pass", {}, nurse.id
        )  # the laser, before the sign-in checks
    said = [record.getMessage() for record in caplog.records]
    assert said == [
        "Refused: start session (SessionAlreadyInProgress)",
        f"Refused: tick, session {session.id}, item fractional_pass, staff {nurse.id} (ActionRefused)",
    ]
    assert not [line for line in said if "O'Brien" in line]
