"""A patient's history (issue 4): loading it in a fixed number of statements, amendments that leave the
original rows alone, and the course tracker and history lines computed from the sessions."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from peewee import Database, SqliteDatabase

from desk_app.domain.clock import ManualClock
from desk_app.domain.course import MAX_PLANNED, course, session_line
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.people import Patient, Staff
from desk_app.domain.procedure import Procedure
from desk_app.domain.session import EventKind, SessionRecord, SessionStatus
from desk_app.store.desk import Desk
from tests.support.people import PIN
from tests.support.raw_sql import run_sql
from tests.support.session_log import NURSE, Log
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT, tick_all

pytestmark = pytest.mark.both_databases


def count(db: Database, table: str) -> int:
    return run_sql(db, f"SELECT count(*) FROM {table}").fetchone()[0]


def raw_events(db: Database, session_id: int) -> list[tuple]:
    """Every column of the session's event rows as stored: on SQLite byte for byte (the type and hex
    of each value); PostgreSQL's columns have one type each, so their values say it all."""
    columns = [column.name for column in db.get_columns("session_event")]
    typed = isinstance(db, SqliteDatabase)
    selected = ", ".join(f"typeof({c}), hex({c})" if typed else c for c in columns)
    return run_sql(
        db, f"SELECT {selected} FROM session_event WHERE session_id = ? ORDER BY id", (session_id,)
    ).fetchall()


def raw_session(db: Database, session_id: int) -> tuple:
    return run_sql(db, "SELECT * FROM treatment_session WHERE id = ?", (session_id,)).fetchone()


def sign_out(
    desk: Desk,
    clock: ManualClock,
    session_id: int,
    staff_id: int,
    plan: dict[str, Any] | None = None,
    laser: dict[str, dict[str, Any]] = LASER,
    operator_id: int | None = None,
) -> SessionRecord:
    """Walk an open session to sign-out; `plan` is what 'next session' records."""
    tick_all(desk, session_id, SIGN_IN, staff_id)
    tick_all(desk, session_id, ANAESTHETIC, staff_id)
    clock.advance(minutes=61)
    tick_all(desk, session_id, TIME_OUT, staff_id)
    tick_all(desk, session_id, laser, staff_id)
    tick_all(desk, session_id, {**SIGN_OUT, "next_session": plan or {"planned_sessions": 3}}, staff_id)
    return desk.sessions.sign_out(session_id, operator_id or staff_id, PIN)


def count_statements(db: Database, monkeypatch: pytest.MonkeyPatch, action: Callable[[], Any]) -> int:
    """How many SQL statements `action` sends through the database (peewee sends all through here)."""
    statements: list[str] = []
    real = db.execute_sql

    def counting(sql: str, params: object = None) -> Any:
        statements.append(sql)
        return real(sql, params)

    with monkeypatch.context() as patch:
        patch.setattr(db, "execute_sql", counting)
        action()
    return len(statements)


@pytest.fixture
def zoe(desk: Desk, nurse: Staff) -> Patient:
    return desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00012", nurse.id)


@pytest.fixture
def signed_out(desk: Desk, clock: ManualClock, nurse: Staff, clinician: Staff, zoe: Patient) -> int:
    session_id = desk.sessions.start_session(zoe.id, nurse.id).id
    sign_out(desk, clock, session_id, nurse.id, operator_id=clinician.id)
    return session_id


# --- loading the history ---------------------------------------------------------------------------

SIGNED_OUT_AT = {0, 20, 37}  # sessions walked to sign-out; the others are stopped at once


def add_sessions(desk: Desk, clock: ManualClock, nurse: Staff, patient_id: int, numbers: range) -> None:
    for number in numbers:
        clock.advance(days=1)
        session_id = desk.sessions.start_session(patient_id, nurse.id).id
        if number in SIGNED_OUT_AT:
            plan = {"planned_sessions": 6, "next_date": (clock.now() + timedelta(days=28)).date().isoformat()}
            sign_out(desk, clock, session_id, nurse.id, plan)
        else:
            desk.sessions.abort(session_id, f"Session {number}: patient unwell", nurse.id)


def test_a_history_of_40_sessions_loads_in_the_same_few_statements_as_one_of_3(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, zoe: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.patients.update_patient(zoe.id, {"phone": "07700 900123"}, nurse.id)
    add_sessions(desk, clock, nurse, zoe.id, range(3))
    histories = []
    for_3 = count_statements(db, monkeypatch, lambda: histories.append(desk.sessions.patient_history(zoe.id)))
    add_sessions(desk, clock, nurse, zoe.id, range(3, 40))
    for_40 = count_statements(
        db, monkeypatch, lambda: histories.append(desk.sessions.patient_history(zoe.id))
    )

    assert 0 < for_40 <= 5
    assert for_40 == for_3
    small, history = histories
    assert len(small.sessions) == 3 and len(history.sessions) == 40
    assert history.patient == desk.patients.patient(zoe.id)
    assert [(c.field, c.new) for c in history.changes] == [("phone", "07700 900123")]

    # Newest first, each with its own events, as stored.
    started = [record.started_at for record in history.sessions]
    assert started == sorted(started, reverse=True)
    assert [record.id for record in history.sessions] == sorted(
        (record.id for record in history.sessions), reverse=True
    )
    now = clock.now()
    for record in history.sessions:
        assert all(event.id for event in record.events)
        assert record.patient.id == zoe.id
        state = record.state(now)
        assert record.events[0].kind is EventKind.COURSE  # each starts with the course as it stood
        if len(record.events) == 2:
            assert record.events[1].kind is EventKind.ABORT
            assert record.events[1].text.endswith("patient unwell")
            assert state.status is SessionStatus.ABORTED
        else:
            assert state.status is SessionStatus.SIGNED_OUT
            assert state.sign_out is not None and state.sign_out.staff_name == nurse.name
    assert sum(len(record.events) > 2 for record in history.sessions) == len(SIGNED_OUT_AT)
    assert sum(len(record.events) for record in history.sessions) == count(db, "session_event")
    # A session's number is one more than the signed-out sessions before it (a stopped one does not
    # count): the first is 1, and the newest, after three signed out, is 4.
    assert (history.sessions[-1].session_number, history.sessions[0].session_number) == (1, 4)
    oldest_events = [event.id for event in history.sessions[-1].events]
    assert oldest_events == sorted(oldest_events)


def test_the_history_of_a_patient_without_sessions_is_empty(
    desk: Desk, db: Database, zoe: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements = count_statements(db, monkeypatch, lambda: desk.sessions.patient_history(zoe.id))
    history = desk.sessions.patient_history(zoe.id)
    assert (history.patient, history.sessions, history.changes) == (zoe, (), ())
    assert statements <= 5
    with pytest.raises(ActionRefused, match="not known"):
        desk.sessions.patient_history(4242)


# --- amendments ----------------------------------------------------------------------------------


def test_an_amendment_adds_one_event_and_leaves_every_earlier_row_as_it_was(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, clinician: Staff, signed_out: int
) -> None:
    before = raw_events(db, signed_out)
    session_before = raw_session(db, signed_out)
    original_tick = desk.sessions.session(signed_out).state(clock.now()).item("fractional_pass").tick
    at = clock.advance(days=2, hours=3)

    record = desk.sessions.amend(
        signed_out,
        "fractional_pass",
        "Energy was 45 mJ, not 40 mJ",
        " Read from the laser's log ",
        clinician.id,
    )

    after = raw_events(db, signed_out)
    assert after[: len(before)] == before
    assert len(after) == len(before) + 1
    assert raw_session(db, signed_out) == session_before  # still signed out, same end time, same holder
    stored = run_sql(
        db,
        "SELECT kind, item_id, staff_id, at, values_json, text, corrects_id FROM session_event "
        "WHERE session_id = ? ORDER BY id DESC LIMIT 1",
        (signed_out,),
    ).fetchone()
    assert stored[:3] == ("amendment", "fractional_pass", clinician.id)
    assert json.loads(stored[4]) == {"reason": "Read from the laser's log"}
    assert stored[5:] == ("Energy was 45 mJ, not 40 mJ", None)

    for loaded in (
        record,
        desk.sessions.session(signed_out),
        desk.sessions.patient_history(record.patient.id).sessions[0],
    ):
        state = loaded.state(clock.now())
        assert state.status is SessionStatus.SIGNED_OUT
        item = state.item("fractional_pass")
        assert item.tick == original_tick  # the original stays the live value, beside the amendment
        assert item.tick is not None and item.tick.values["energy_mj"] == 40
        (amendment,) = item.amendments
        assert amendment.kind is EventKind.AMENDMENT
        assert (amendment.staff_id, amendment.staff_name, amendment.at) == (clinician.id, clinician.name, at)
        assert amendment.text == "Energy was 45 mJ, not 40 mJ"
        assert amendment.values == {"reason": "Read from the laser's log"}
        assert state.session_amendments == ()
        assert all(not other.amendments for key, other in state.items.items() if key != "fractional_pass")


def test_an_amendment_of_the_whole_session_shows_as_a_session_amendment(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, signed_out: int
) -> None:
    desk.sessions.amend(
        signed_out, "skin_response", "Some swelling by the evening", "Patient phoned", nurse.id
    )
    before = raw_events(db, signed_out)
    record = desk.sessions.amend(
        signed_out, None, "Patient's second name is Ann", "Record note was incomplete", nurse.id
    )
    assert raw_events(db, signed_out)[: len(before)] == before
    state = record.state(clock.now())
    (amendment,) = state.session_amendments
    assert (amendment.item_id, amendment.text, amendment.staff_name) == (
        None,
        "Patient's second name is Ann",
        nurse.name,
    )
    assert amendment.values == {"reason": "Record note was incomplete"}
    assert [a.text for a in state.item("skin_response").amendments] == ["Some swelling by the evening"]
    assert state.session_notes == ()


BAD_AMENDMENTS = [
    ("no text", "consent", "", "Typo", ValidationError, "Amendment: please fill this in"),
    ("blank text", None, " \n\t ", "Typo", ValidationError, "Amendment: please fill"),
    ("no reason", "consent", "Form CF-LASER v4", "", ValidationError, "Why it is amended"),
    ("blank reason", "consent", "v4", "   ", ValidationError, "Why it is amended: please fill"),
    ("bell in the text", "consent", "v4\x07", "Typo", ValidationError, "control character"),
    ("reason too long", "consent", "v4", "x" * 1001, ValidationError, "too long"),
    ("unknown item", "no_such_item", "v4", "Typo", ActionRefused, "not an item"),
]


def test_a_bad_amendment_is_refused_and_writes_nothing(
    desk: Desk, db: Database, nurse: Staff, signed_out: int
) -> None:
    """Each bad amendment in turn, on one signed-out session (walking one costs half a second)."""
    before = raw_events(db, signed_out)
    for case, item_id, text, reason, error, message in BAD_AMENDMENTS:
        with pytest.raises(error, match=message):
            desk.sessions.amend(signed_out, item_id, text, reason, nurse.id)
        assert raw_events(db, signed_out) == before, case


def test_an_open_session_cannot_be_amended(desk: Desk, db: Database, nurse: Staff, zoe: Patient) -> None:
    session_id = desk.sessions.start_session(zoe.id, nurse.id).id
    tick_all(desk, session_id, SIGN_IN, nurse.id)
    before = raw_events(db, session_id)
    for item_id in ("consent", None):
        with pytest.raises(ActionRefused, match="still open"):
            desk.sessions.amend(session_id, item_id, "Consent form v4", "Wrong version ticked", nurse.id)
    assert raw_events(db, session_id) == before


def test_an_amendment_needs_a_known_member_of_staff_and_session(
    desk: Desk, db: Database, nurse: Staff, signed_out: int
) -> None:
    before = count(db, "session_event")
    with pytest.raises(ActionRefused, match="member of staff"):
        desk.sessions.amend(signed_out, None, "Text", "Reason", 4242)
    with pytest.raises(ActionRefused, match="does not exist"):
        desk.sessions.amend(4242, None, "Text", "Reason", nurse.id)
    assert count(db, "session_event") == before


def test_an_aborted_session_can_be_amended(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, zoe: Patient
) -> None:
    session_id = desk.sessions.start_session(zoe.id, nurse.id).id
    tick_all(desk, session_id, SIGN_IN, nurse.id)
    desk.sessions.abort(session_id, "Patient felt faint", nurse.id)
    before = raw_events(db, session_id)
    clock.advance(hours=1)
    record = desk.sessions.amend(
        session_id, None, "Recovered after 10 minutes; sent home", "Follow-up", nurse.id
    )
    assert raw_events(db, session_id)[: len(before)] == before
    state = record.state(clock.now())
    assert state.status is SessionStatus.ABORTED
    assert state.abort is not None and state.abort.text == "Patient felt faint"
    assert [a.text for a in state.session_amendments] == ["Recovered after 10 minutes; sent home"]
    with pytest.raises(ActionRefused, match="closed"):
        desk.sessions.add_note(session_id, None, "A note is not an amendment", nurse.id)


# --- the course ----------------------------------------------------------------------------------


def test_course_after_two_sessions_five_weeks_apart(
    desk: Desk, clock: ManualClock, nurse: Staff, clinician: Staff, zoe: Patient
) -> None:
    first = desk.sessions.start_session(zoe.id, nurse.id).id
    sign_out(desk, clock, first, nurse.id, {"planned_sessions": 3, "next_date": "2026-12-30"})
    clock.advance(days=10)
    stopped = desk.sessions.start_session(zoe.id, nurse.id).id  # stopped: does not count as done
    desk.sessions.abort(stopped, "Cold sore on the upper lip", nurse.id)
    clock.set(datetime(2026, 12, 30, 14, 0, tzinfo=UTC))  # five weeks after the first, in the afternoon
    second = desk.sessions.start_session(zoe.id, nurse.id).id
    sign_out(
        desk,
        clock,
        second,
        nurse.id,
        {"planned_sessions": 4, "next_date": "2027-02-10"},
        operator_id=clinician.id,
    )
    clock.set(datetime(2027, 1, 9, 10, 0, tzinfo=UTC))
    desk.sessions.start_session(zoe.id, nurse.id)  # in progress: not done either

    summary = course(desk.sessions.patient_history(zoe.id).sessions, clock.now())
    assert summary.summary == "2 of 4 sessions done"
    assert (summary.sessions_done, summary.planned) == (2, 4)
    assert summary.last_session == date(2026, 12, 30)
    assert summary.days_since_last == 10
    assert summary.earliest_next == date(2027, 1, 27)  # the 4-week sun rule: last + 28 days
    assert summary.next_planned == date(2027, 2, 10)


def test_course_with_no_session_is_0_of_3(desk: Desk, clock: ManualClock, zoe: Patient) -> None:
    summary = course(desk.sessions.patient_history(zoe.id).sessions, clock.now())
    assert summary.summary == "0 of 3 sessions done"
    assert (summary.last_session, summary.days_since_last, summary.earliest_next, summary.next_planned) == (
        None,
        None,
        None,
        None,
    )


def test_course_counts_a_session_signed_out_late_in_the_evening_on_the_clinic_s_date(
    desk: Desk, clock: ManualClock, nurse: Staff, zoe: Patient
) -> None:
    # 23:30 in London in summer is 22:30 UTC: the clinic's date, not UTC's, is the session's date.
    clock.set(datetime(2027, 6, 30, 22, 30, tzinfo=UTC))
    sign_out(desk, clock, desk.sessions.start_session(zoe.id, nurse.id).id, nurse.id)
    clock.set(datetime(2027, 7, 1, 8, 0, tzinfo=UTC))
    summary = course(desk.sessions.patient_history(zoe.id).sessions, clock.now())
    assert (summary.last_session, summary.days_since_last) == (date(2027, 6, 30), 1)
    assert summary.earliest_next == date(2027, 7, 28)


def test_a_course_plan_above_6_sessions_is_refused(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, zoe: Patient
) -> None:
    session_id = desk.sessions.start_session(zoe.id, nurse.id).id
    tick_all(desk, session_id, SIGN_IN, nurse.id)
    tick_all(desk, session_id, ANAESTHETIC, nurse.id)
    clock.advance(minutes=61)
    tick_all(desk, session_id, TIME_OUT, nurse.id)
    tick_all(desk, session_id, LASER, nurse.id)
    before = count(db, "session_event")
    with pytest.raises(ValidationError, match="Sessions planned"):
        desk.sessions.tick(session_id, "next_session", {"planned_sessions": MAX_PLANNED + 1}, nurse.id)
    assert count(db, "session_event") == before


def _signed_out_records(procedure: Procedure, plans: list[int]) -> list[SessionRecord]:
    """Signed-out sessions four weeks apart, built in memory, each planning the given number."""
    patient = Patient(
        id=1, given_names="Zoë", family_name="O'Brien", date_of_birth=date(1990, 2, 3), clinic_number="AZ-1"
    )
    records = []
    for number, planned in enumerate(plans, start=1):
        clock = ManualClock(datetime(2026, 1, 7, 9, 0, tzinfo=UTC) + timedelta(weeks=4 * number))
        start = clock.now()
        log = Log(procedure, clock)
        log.tick_all(SIGN_IN)
        log.tick_all(ANAESTHETIC)
        clock.advance(minutes=61)
        log.tick_all(TIME_OUT)
        log.tick_all(LASER)
        log.tick_all(SIGN_OUT, next_session={"planned_sessions": planned})
        log.tick("operator_sign_out")
        records.append(SessionRecord(number, patient, number, procedure, start, NURSE, tuple(log.events)))
    return records


@pytest.mark.parametrize(
    ("plans", "done", "planned"),
    [
        ([3, 3, 3], 3, 3),
        ([3, 6], 2, 6),
        ([6, 2], 2, 2),
        ([3, 3, 2], 3, 3),  # planned fewer than already done: at least the number done
        ([3, 3, 3, 3, 3, 3, 3], 7, MAX_PLANNED),  # a seventh session: the plan still says at most 6
        ([6] * 8, 8, MAX_PLANNED),
    ],
)
def test_the_planned_number_comes_from_the_last_session_and_is_never_above_6(
    procedure: Procedure, plans: list[int], done: int, planned: int
) -> None:
    records = _signed_out_records(procedure, plans)
    now = records[-1].started_at + timedelta(days=3)
    summary = course(list(reversed(records)), now)
    assert (summary.sessions_done, summary.planned) == (done, planned)
    assert summary.planned <= MAX_PLANNED
    assert summary.days_since_last == 3


# --- the lines of the history --------------------------------------------------------------------


def test_a_history_line_shows_date_operator_status_and_the_settings_that_vary(
    desk: Desk, clock: ManualClock, nurse: Staff, clinician: Staff, signed_out: int
) -> None:
    record = desk.sessions.session(signed_out)
    line = session_line(record, clock.now())
    assert line.session_id == signed_out and line.number == 1
    assert line.day == date(2026, 11, 25)
    assert line.status is SessionStatus.SIGNED_OUT
    assert line.operator == clinician.name  # who signed out, not who held the patient
    assert record.holder.id == nurse.id
    assert "mJ" in line.settings and "J/cm²" in line.settings
    assert "40.0 mJ" in line.settings and "5.5 J/cm²" in line.settings
    assert "7 mm" not in line.settings and "mm" not in line.settings  # the fixed beam width says nothing
    assert line.settings.startswith("Fractional pass: ")
    assert "Full-beam pass: " in line.settings


def test_a_history_line_of_a_stopped_session_has_no_settings_and_names_who_had_the_patient(
    desk: Desk, clock: ManualClock, nurse: Staff, clinician: Staff, zoe: Patient
) -> None:
    session_id = desk.sessions.start_session(zoe.id, nurse.id).id
    desk.sessions.take_over(session_id, clinician.id)
    desk.sessions.abort(session_id, "Patient changed her mind", clinician.id)
    line = session_line(desk.sessions.session(session_id), clock.now())
    assert (line.status, line.operator, line.settings) == (SessionStatus.ABORTED, clinician.name, "")


def test_history_lines_follow_the_history_newest_first(
    desk: Desk, clock: ManualClock, nurse: Staff, signed_out: int, zoe: Patient
) -> None:
    clock.advance(weeks=5)
    second = desk.sessions.start_session(zoe.id, nurse.id).id
    sign_out(
        desk,
        clock,
        second,
        nurse.id,
        laser={**LASER, "fractional_pass": {**LASER["fractional_pass"], "energy_mj": 45}},
    )
    lines = [session_line(record, clock.now()) for record in desk.sessions.patient_history(zoe.id).sessions]
    assert [(line.session_id, line.number) for line in lines] == [(second, 2), (signed_out, 1)]
    assert "45.0 mJ" in lines[0].settings and "40.0 mJ" in lines[1].settings
    assert lines[0].day == date(2026, 12, 30)


def test_a_course_beyond_its_plan_says_so_instead_of_seven_of_six() -> None:
    from desk_app.domain.course import Course

    assert Course(7, 6, None, None, None, None).summary == "7 sessions done (6 planned)"
    assert Course(2, 3, None, None, None, None).summary == "2 of 3 sessions done"
