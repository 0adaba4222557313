"""`desk-app migrate-to URL --db FILE`: a clinic's file copied to PostgreSQL, every row, checked."""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import sys
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from peewee import Database, SqliteDatabase

from desk_app import cli
from desk_app.domain.clinic import DocumentKind
from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.procedure import Procedure
from desk_app.store.audit import verify_audit
from desk_app.store.copying import TABLES
from desk_app.store.database import DatabaseOpenError, open_database
from desk_app.store.desk import Desk
from tests.support.people import FAST_HASHER, PASSWORD, add_member
from tests.support.pg_databases import desk_address, emptied_postgres_database, owner_address
from tests.support.pg_server import DESK
from tests.support.raw_sql import run_sql
from tests.support.seal_rows import unsealed
from tests.support.walk import ANAESTHETIC, SIGN_IN, signed_out_session, tick_all


@pytest.fixture
def pg_url() -> str:
    """The server database, as the owner's login that migrate-to runs as."""
    return owner_address(emptied_postgres_database())


@pytest.fixture
def clinic_file(
    desk: Desk, db: Database, db_path: Path, clock: ManualClock, admin: Staff, nurse: Staff
) -> Path:
    """A clinic's file after some days: staff, patients (one edited), a whole session with a
    correction, one in progress, a print, a clinic setting changed, a laser device changed and one
    retired."""
    clinician = add_member(desk, "Dr Clive Doctor", "CD", "clinician")
    zoe = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    desk.patients.register_patient("Łukasz", "Nowak", "1985-07-14", "AZ-00002", nurse.id)
    desk.patients.update_patient(zoe.id, {"phone": "07700 900123"}, nurse.id)
    done = signed_out_session(desk, clock, zoe.id, nurse)
    desk.clinic.record_print(DocumentKind.SESSION_RECORD, zoe.id, done, "paper", 2, nurse.name, nurse.id)
    # Days, not weeks: migrate-to then writes with the PC's own clock, and verify refuses a trail
    # whose times go back (the test clock starts on 25 Nov 2026; its rows must stay in the past).
    clock.advance(days=5)
    running = desk.sessions.start_session(zoe.id, nurse.id)
    tick_all(desk, running.id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    desk.sessions.correct(running.id, "gel_applied", "Ticked too early", nurse.id)
    desk.sessions.take_over(running.id, clinician.id)
    desk.clinic.update_clinic_details(
        replace(desk.clinic.clinic_details(), name="Azure Medical, Harley Street"), admin.id
    )
    laser = {"make": "Fotona", "model": "SP Dynamis", "serial_number": "SP-1", "wavelengths_nm": "2940"}
    laser |= {"laser_class": "4", "eyewear_marking": "D 2940 LB5", "lpa_name": "Dr Lisa Adviser"}
    device = desk.devices.register_device(laser | {"next_service_on": "01/06/2027"}, admin.id)
    desk.devices.update_device(device.id, {"next_service_on": "15/06/2027"}, admin.id)
    old = desk.devices.register_device(
        laser | {"serial_number": "SP-0", "next_service_on": "01/01/2027"}, admin.id
    )
    desk.devices.retire_device(old.id, "Replaced", admin.id)
    db.close()
    return db_path


def rows_before_the_moved_mark(path: Path) -> tuple[dict[str, list[tuple]], str]:
    """Every row of a moved file as it was copied (with its "moving" mark), and its audit head then:
    all but the "moved" mark written after the copy."""
    reader = SqliteDatabase(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = every_row(reader)
    finally:
        reader.close()
    head = rows["audit_log"][-1][-2]  # the "moved" row's link to the row before it
    rows["clinic_setting"] = [row for row in rows["clinic_setting"] if row[0] != "moved to"]
    rows["audit_log"] = rows["audit_log"][:-1]
    return rows, head


def every_row(db: Database) -> dict[str, list[tuple]]:
    return {
        model._meta.table_name: list(model.select().order_by(model._meta.primary_key).tuples().execute(db))
        for model in TABLES
    }


def test_every_row_is_copied_as_it_was_and_the_copy_is_checked(
    clinic_file: Path,
    pg_url: str,
    procedure: Procedure,
    clock: ManualClock,
    nurse: Staff,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file)]) == 0
    out = capsys.readouterr().out
    rows, head = rows_before_the_moved_mark(clinic_file)
    target = open_database(desk_address(pg_url), create=False)
    try:
        assert every_row(target) == rows
        assert f"head hash {head}" in out and "every table's row count matches" in out
        assert verify_audit(target).ok
        # The clinic carries on, on the server: same passwords, same search, new ids after the old;
        # from now on (the move's own rows were written with the PC's clock).
        clock.set(datetime.now(UTC))
        desk = Desk(target, procedure, clock, FAST_HASHER)
        assert desk.accounts.sign_in(nurse.id, PASSWORD) == nurse
        (zoe,) = desk.patients.search_patients("zoe o'b")
        newcomer = desk.patients.register_patient("Søren", "Kierkegaard", "1980-05-05", "AZ-00003", nurse.id)
        assert newcomer.id == max(p.id for p in desk.patients.search_patients("")) and newcomer.id > zoe.id
        assert len(desk.sessions.patient_history(zoe.id).sessions) == 2
        devices = desk.devices.devices(include_retired=True)
        assert [d.serial_number for d in devices] == ["SP-1", "SP-TEST-1", "SP-0"]
        (checked,) = desk.device_checks.pre_use_checks(
            device_id=devices[1].id
        )  # the session's laser, checked
        assert checked.passed and checked.staff_name == nurse.name
        assert verify_audit(target).ok
        # Every row sealed in the file is sealed alike on the server: a change there is found too.
        run_sql(target, "UPDATE staff SET name = 'Dr Ann Nurse' WHERE id = ?", (nurse.id,))
        assert f"staff row {nurse.id} was changed outside the app" in str(verify_audit(target).problem)
    finally:
        target.close()


def test_the_file_is_marked_as_moved_and_no_desk_opens_it_any_more(
    clinic_file: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file)]) == 0
    where = desk_address(pg_url).removeprefix("postgresql://")
    with pytest.raises(
        DatabaseOpenError,
        match=f"were moved to the clinic's PostgreSQL database.*config set database postgresql://{where}",
    ):
        open_database(str(clinic_file))
    with closing(sqlite3.connect(clinic_file)) as file:  # the move is audited in the file itself
        (action, detail) = file.execute(
            "SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert (action, unsealed(detail)) == ("records moved to PostgreSQL", {"to": where})
    assert (
        cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file)]) == 2
    )  # so it is not copied twice
    assert "were moved to the clinic's PostgreSQL database" in capsys.readouterr().err


def test_a_server_database_that_already_holds_records_is_refused_and_nothing_is_added(
    clinic_file: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    second_clinic = shutil.copyfile(clinic_file, clinic_file.with_name("second.sqlite3"))
    assert cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file)]) == 0
    target = open_database(desk_address(pg_url), create=False)
    before = every_row(target)
    target.close()
    assert cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(second_clinic)]) == 1
    assert "already holds records; nothing was copied" in capsys.readouterr().err
    target = open_database(desk_address(pg_url), create=False)
    try:
        assert every_row(target) == before
    finally:
        target.close()


def test_a_file_whose_audit_trail_is_broken_is_not_copied(
    clinic_file: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = open_database(str(clinic_file))
    run_sql(source, "DROP TRIGGER audit_log_no_update")
    run_sql(source, "UPDATE audit_log SET detail = '{}' WHERE id = 3")
    source.close()
    assert cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file)]) == 1
    assert "audit trail is broken (row 3" in capsys.readouterr().err
    target = open_database(desk_address(pg_url), create=False)
    try:
        found = every_row(target)
        assert [key for key, _ in found.pop("clinic_setting")] == ["database id"]  # the server's own
        assert all(not rows for rows in found.values())
    finally:
        target.close()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("postgresql://desk:secret@127.0.0.1/desk", "~/.pgpass"),
        ("/tmp/other.sqlite3", "copies a database file (--db) to a PostgreSQL database"),
    ],
)
def test_a_wrong_target_is_refused_before_anything_is_read(
    clinic_file: Path, target: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["migrate-to", target, "--desk-login", DESK, "--db", str(clinic_file)]) == 2
    assert message in capsys.readouterr().err


def test_a_missing_file_is_said_and_not_created(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.sqlite3"
    assert cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(missing)]) == 2
    assert "There is no database at" in capsys.readouterr().err
    assert not missing.exists()


# --- a move killed at any point: finished or undone by running it again --------------------------


def moving_mark(path: Path) -> str | None:
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as file:
        row = file.execute("SELECT value FROM clinic_setting WHERE key = 'moving to'").fetchone()
    return row[0] if row else None


def test_a_move_killed_before_the_servers_commit_leaves_the_file_closed_and_a_rerun_copies(
    clinic_file: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from desk_app.store import copying

    def killed(source: Database, target: Database, progress: object = None) -> None:
        raise KeyboardInterrupt  # as a kill would: nothing after it runs, the server rolls back

    with monkeypatch.context() as patch:
        patch.setattr(copying, "copy_database", killed)
        with pytest.raises(KeyboardInterrupt):
            cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file)])
    where = desk_address(pg_url).removeprefix("postgresql://")
    assert moving_mark(clinic_file) == where
    with pytest.raises(DatabaseOpenError, match="move did not finish.*migrate-to"):
        open_database(str(clinic_file))  # no desk works on the file meanwhile

    assert cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file)]) == 0
    assert "every table's row count matches" in capsys.readouterr().out
    with pytest.raises(DatabaseOpenError, match="were moved to"):
        open_database(str(clinic_file))


def test_a_move_killed_after_the_servers_commit_is_finished_by_a_rerun_without_copying_twice(
    clinic_file: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from desk_app.store import copying

    def killed(source: Database, where: str, now: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(copying, "mark_moved", killed)
        with pytest.raises(KeyboardInterrupt):
            cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file)])
    with pytest.raises(DatabaseOpenError, match="move did not finish"):
        open_database(str(clinic_file))  # the server is live: the file must not be
    target = open_database(desk_address(pg_url), create=False)
    copied = every_row(target)
    target.close()

    assert cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file)]) == 0
    assert "already holds every record of this file" in capsys.readouterr().out
    target = open_database(desk_address(pg_url), create=False)
    try:
        assert every_row(target) == copied
    finally:
        target.close()
    with pytest.raises(DatabaseOpenError, match="were moved to"):
        open_database(str(clinic_file))


def test_an_unfinished_move_can_be_undone_while_the_server_does_not_hold_the_records(
    clinic_file: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from desk_app.store import copying

    with monkeypatch.context() as patch:
        patch.setattr(
            copying,
            "copy_database",
            lambda source, target, progress=None: (_ for _ in ()).throw(KeyboardInterrupt),
        )
        with pytest.raises(KeyboardInterrupt):
            cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file)])

    assert cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file), "--undo"]) == 0
    assert moving_mark(clinic_file) is None
    open_database(str(clinic_file)).close()  # a desk may work on the file again


def test_a_move_is_refused_while_a_desk_has_the_file_open(
    clinic_file: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    desk_at_work = open_database(str(clinic_file))
    try:
        desk_at_work.execute_sql("SELECT 1")
        assert cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file)]) == 1
        assert f"process {os.getpid()}" in capsys.readouterr().err
    finally:
        desk_at_work.close()
    assert moving_mark(clinic_file) is None  # nothing was marked: the desk may go on
    assert cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file)]) == 0


def test_a_commit_that_may_or_may_not_have_reached_the_server_keeps_the_file_closed(
    clinic_file: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from desk_app.store import copying
    from desk_app.store.errors import OutcomeUnknown

    real = copying.copy_database

    def lost_at_commit(source: Database, target: Database, progress: object = None) -> None:
        real(source, target)
        raise OutcomeUnknown

    with monkeypatch.context() as patch:
        patch.setattr(copying, "copy_database", lost_at_commit)
        assert cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file)]) == 1
    assert "may or may not" in capsys.readouterr().err
    assert moving_mark(clinic_file) is not None
    assert (
        cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file), "--undo"]) == 1
    )  # the server has it
    assert cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file)]) == 0
    assert "already holds every record of this file" in capsys.readouterr().out


def test_on_a_terminal_the_copy_shows_each_table_and_trail_check_with_counts_and_no_patient(
    clinic_file: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    assert cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(clinic_file)]) == 0
    shown = [line.rsplit("\r", 1)[-1].rstrip() for line in screen.getvalue().split("\n")]
    reader = SqliteDatabase(f"{clinic_file.resolve().as_uri()}?mode=ro", uri=True)
    try:
        copied = {name: len(rows) for name, rows in every_row(reader).items()}
    finally:
        reader.close()
    copied["clinic_setting"] -= 1  # the "moved" mark, written after the copy
    copied["audit_log"] -= 1  # and its audit row
    assert shown == [
        "Checking the audit trail of the file: its rows against the records…",
        *(f"Copying the table {name}: {count:,} of {count:,} rows" for name, count in copied.items()),
        "Checking the audit trail on the server: its rows against the records…",
        "",
    ]
    assert "Zoë" not in screen.getvalue() and "every table's row count matches" in capsys.readouterr().out
