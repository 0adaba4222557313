"""The store under trouble: a locked database, odd file names, another desk's writes, demo data."""

from __future__ import annotations

import functools
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desk_app import cli
from desk_app.domain.clock import ManualClock
from desk_app.domain.errors import ProcedureError
from desk_app.domain.people import Staff
from desk_app.domain.procedure import Procedure, parse_procedure
from desk_app.store import demo as demo_module
from desk_app.store.database import DatabaseOpenError, open_database
from desk_app.store.desk import Desk
from desk_app.store.errors import StoreUnavailable
from desk_app.store.models import EventRow
from tests.support.people import FAST_HASHER, PIN, add_member
from tests.support.raw_sql import other_connection, shorten_lock_wait
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT, tick_all

pytestmark = pytest.mark.both_databases


def test_a_locked_database_gives_a_message_and_saves_nothing(desk: Desk, nurse: Staff, db_url: str) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    session = desk.sessions.start_session(patient.id, nurse.id)
    shorten_lock_wait(desk.db)
    with other_connection(db_url) as other:
        other.hold_the_write_lock()  # another desk in the middle of an action
        with pytest.raises(StoreUnavailable, match="Not saved: the database could not be used"):
            desk.sessions.tick(session.id, "identity", SIGN_IN["identity"], nurse.id)
    assert EventRow.select().count() == 1  # the course, written at the start
    desk.sessions.tick(session.id, "identity", SIGN_IN["identity"], nurse.id)  # and it works again after
    assert EventRow.select().count() == 2


def test_another_program_s_database_is_refused_even_in_a_folder_named_with_a_hash(tmp_path: Path) -> None:
    folder = tmp_path / "clinic #1?"
    folder.mkdir()
    foreign = folder / "other.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
    before = foreign.read_bytes()
    with pytest.raises(DatabaseOpenError, match="another program"):
        open_database(str(foreign))
    assert foreign.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["other.db"]


def test_another_desk_s_write_is_noticed(desk: Desk, nurse: Staff, db_url: str, procedure: Procedure) -> None:
    assert desk.changed_elsewhere() is False  # the first look sets the mark
    desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    assert desk.changed_elsewhere() is False  # our own writes are not "elsewhere"
    with other_connection(db_url) as other:  # another desk adds a member of staff, with its audit row
        other.execute(
            "INSERT INTO staff (name, initials, role, active, created_at) "
            "VALUES ('Kate Whitmore', 'KW', 'nurse', ?, '2026-11-25 09:00:00')",
            (True,),
        )
        other.execute(
            "INSERT INTO audit_log (id, at, action, subject, detail, prev_hash, hash) "
            "SELECT max(id) + 1, '2026-11-25T09:00:00.000000+00:00', 'staff added', 'staff', '{}', "
            "'', 'forged' FROM audit_log"
        )
        other.commit()
    assert desk.changed_elsewhere() is True
    assert desk.changed_elsewhere() is False


def test_last_session_date_is_the_clinic_s_date(desk: Desk, nurse: Staff, clock: ManualClock) -> None:
    """00:30 on 1 July in London is still 30 June in UTC: the nurse must see 1 July."""
    clock.set(datetime(2027, 6, 30, 23, 30, tzinfo=UTC))  # after the staff were added: clocks go forward
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    first = desk.sessions.start_session(patient.id, nurse.id)
    tick_all(desk, first.id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    clock.advance(minutes=61)
    tick_all(desk, first.id, {**TIME_OUT, **LASER, **SIGN_OUT}, nurse.id)
    desk.sessions.sign_out(first.id, nurse.id, PIN)
    second = desk.sessions.start_session(patient.id, nurse.id)
    day, _values = desk.sessions.previous_values(second)
    assert day.isoformat() == "2027-07-01"


def test_the_demo_needs_an_explicit_file_and_marks_it_as_a_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], procedure: Procedure
) -> None:
    monkeypatch.setenv(cli.DATABASE_ENV, str(tmp_path / "real.sqlite3"))
    assert cli.main(["demo"]) == 2
    assert "--db" in capsys.readouterr().err
    assert not (tmp_path / "real.sqlite3").exists()

    demo = tmp_path / "demo.sqlite3"
    # The demo's accounts at the tests' cheap hashing cost (the real cost took most of this test).
    monkeypatch.setattr(
        demo_module, "build_demo", functools.partial(demo_module.build_demo, hasher=FAST_HASHER)
    )
    assert cli.main(["demo", "--db", str(demo)]) == 0
    database = open_database(str(demo))
    try:
        assert Desk(database, procedure, ManualClock(datetime.now(UTC))).database.is_demo()
    finally:
        database.close()
    real = open_database(str(tmp_path / "real.sqlite3"))
    try:
        assert not Desk(real, procedure, ManualClock(datetime.now(UTC))).database.is_demo()
    finally:
        real.close()


def test_a_session_run_under_an_older_looser_procedure_still_opens(
    db,
    procedure: Procedure,
    clock: ManualClock,  # noqa: ANN001
) -> None:
    """Rules for writing new checklists get stricter; records made under an old one must stay readable."""
    old_text = procedure.source.replace('version = "1.5"', 'version = "1.0"').replace(
        'id = "gel_removed"\nkind = "confirm"\nstop = "hard"',
        'id = "gel_removed"\nkind = "confirm"\nstop = "soft"',
    )
    with pytest.raises(ProcedureError, match="must be a hard stop"):
        parse_procedure(old_text, "old.toml")
    old = parse_procedure(old_text, "old.toml", authoring=False)
    then = Desk(db, old, clock, FAST_HASHER)
    nurse = add_member(then, "Ann Nurse", "AN", "nurse")
    patient = then.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    session = then.sessions.start_session(patient.id, nurse.id)

    now = Desk(db, procedure, clock)
    reopened = now.sessions.session(session.id)
    assert reopened.procedure.version == "1.0"
    assert reopened.procedure.item("gel_removed").stop.value == "soft"
    assert [record.id for record in now.sessions.sessions_in_progress()] == [session.id]
