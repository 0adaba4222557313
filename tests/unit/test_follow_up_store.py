"""Issue 16 point 7 at the store: a follow-up (a call, a complication) after sign-out is one event
linked to the session, never an amendment; the calls due list patients treated two to three days ago."""

from __future__ import annotations

from datetime import timedelta

import pytest
from peewee import Database

from desk_app.domain.clock import ManualClock
from desk_app.domain.dates import local_today
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.follow_up import describe_follow_up
from desk_app.domain.people import Patient, Staff
from desk_app.domain.permissions import PermissionRefused
from desk_app.domain.procedure import parse_procedure
from desk_app.domain.session import EventKind
from desk_app.store.desk import Desk
from tests.conftest import START
from tests.support.people import FAST_HASHER
from tests.support.raw_sql import run_sql
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, TIME_OUT, signed_out_session, tick_all
from tests.unit.test_follow_up_form import without_follow_up
from tests.unit.test_store_desk import _count_queries, count

# On PostgreSQL too where the SQL differs: the calls due by the day of treatment, their queries.

CALLED = {"contact": "Spoke to the patient", "complication": "No"}
COMPLICATION = {
    "contact": "The patient called us",
    "complication": "Yes",
    "kinds": ["Blistering"],
    "severity": "Mild",
    "action": "Advised cool compresses; seen tomorrow",
    "follow_up": "Follow-up needed",
}


def register(desk: Desk, nurse: Staff, number: int) -> Patient:
    return desk.patients.register_patient(
        "Zoë", f"O'Brien {number}", "1990-02-03", f"AZ-0{number:04d}", nurse.id
    )


def test_a_follow_up_is_refused_while_the_session_is_in_progress_and_nothing_is_stored(
    desk: Desk, db: Database, nurse: Staff
) -> None:
    session = desk.sessions.start_session(register(desk, nurse, 1).id, nurse.id)
    events = count(db, "session_event")
    with pytest.raises(ActionRefused, match="record it in the session"):
        desk.sessions.record_follow_up(session.id, CALLED, nurse.id)
    assert count(db, "session_event") == events


@pytest.mark.both_databases
def test_a_call_after_sign_out_is_a_follow_up_event_shown_with_the_session_and_audited(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff
) -> None:
    session_id = signed_out_session(desk, clock, register(desk, nurse, 1).id, nurse)
    clock.advance(days=2)
    audit_rows = count(db, "audit_log")
    record = desk.sessions.record_follow_up(session_id, COMPLICATION, nurse.id)
    assert count(db, "audit_log") == audit_rows + 1
    state = desk.sessions.session(session_id).state(clock.now())
    (event,) = state.follow_ups
    assert event.kind is EventKind.FOLLOW_UP and event.item_id is None
    assert (event.staff_name, event.at) == (nurse.name, clock.now())
    assert record.events[-1].id == event.id
    assert state.session_amendments == ()  # a follow-up, not an amendment
    shown = dict(describe_follow_up(event, desk.sessions.follow_up_form(record)))
    assert shown["Kind of complication"] == "Blistering"
    assert shown["How the contact went"] == "The patient called us"
    last_audit = run_sql(db, "SELECT action, subject FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert tuple(last_audit) == (EventKind.FOLLOW_UP.value, "session_event")


def test_a_complication_without_its_kind_is_refused_and_nothing_is_stored(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff
) -> None:
    session_id = signed_out_session(desk, clock, register(desk, nurse, 1).id, nurse)
    events = count(db, "session_event")
    with pytest.raises(ValidationError, match="please fill this in"):
        desk.sessions.record_follow_up(
            session_id, {"contact": "Spoke to the patient", "complication": "Yes"}, nurse.id
        )
    with pytest.raises(ValidationError, match="not a field"):
        desk.sessions.record_follow_up(session_id, {**CALLED, "mood": "fine"}, nurse.id)
    assert count(db, "session_event") == events


def test_only_a_nurse_or_clinician_records_a_follow_up_and_a_refusal_is_audited(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, admin: Staff
) -> None:
    session_id = signed_out_session(desk, clock, register(desk, nurse, 1).id, nurse)
    events, audit_rows = count(db, "session_event"), count(db, "audit_log")
    with pytest.raises(PermissionRefused, match="only a nurse or a clinician"):
        desk.sessions.record_follow_up(session_id, CALLED, admin.id)
    assert count(db, "session_event") == events
    assert count(db, "audit_log") == audit_rows + 1
    desk.accounts.update_staff(nurse.id, "nurse", False, admin.id)
    with pytest.raises(ActionRefused, match="not known or no longer active"):
        desk.sessions.record_follow_up(session_id, CALLED, nurse.id)


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("days_after", "listed", "late"),
    [
        (0, False, False),
        (1, False, False),
        (2, True, False),
        (3, True, False),
        (4, True, True),
        (14, True, True),
        (15, False, False),
    ],
)
def test_the_calls_due_are_the_patients_treated_two_to_three_days_ago_and_those_not_called_since(
    desk: Desk, clock: ManualClock, nurse: Staff, days_after: int, listed: bool, late: bool
) -> None:
    patient = register(desk, nurse, 1)
    session_id = signed_out_session(desk, clock, patient.id, nurse)
    clock.set(START + timedelta(days=days_after, hours=2))
    calls = desk.sessions.follow_up_calls(local_today(clock.now()))
    assert [call.session_id for call in calls] == ([session_id] if listed else [])
    if listed:
        (call,) = calls
        assert (call.patient.id, call.session_number, call.treated_on) == (patient.id, 1, START.date())
        assert call.adverse_events == "None"
        assert call.last_call is None
        assert call.overdue is late


def test_a_patient_called_leaves_the_list_once_the_days_to_call_on_are_over(
    desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    called, missed = register(desk, nurse, 1), register(desk, nurse, 2)
    called_session = signed_out_session(desk, clock, called.id, nurse)
    missed_session = signed_out_session(desk, clock, missed.id, nurse)
    clock.set(START + timedelta(days=2, hours=3))
    desk.sessions.record_follow_up(
        called_session, {"contact": "No answer, message left", "complication": "No"}, nurse.id
    )
    clock.set(START + timedelta(days=5, hours=3))
    calls = desk.sessions.follow_up_calls(local_today(clock.now()))
    assert [(call.session_id, call.overdue) for call in calls] == [(missed_session, True)]
    desk.sessions.record_follow_up(missed_session, CALLED, nurse.id)
    assert desk.sessions.follow_up_calls(local_today(clock.now())) == []


def test_a_call_due_shows_the_latest_call_made_and_who_made_it(
    desk: Desk, clock: ManualClock, nurse: Staff, clinician: Staff
) -> None:
    first = signed_out_session(desk, clock, register(desk, nurse, 1).id, nurse)
    clock.advance(hours=1)
    second = signed_out_session(desk, clock, register(desk, nurse, 2).id, nurse)
    clock.set(START + timedelta(days=2))
    desk.sessions.record_follow_up(first, {**CALLED, "contact": "No answer, message left"}, nurse.id)
    clock.advance(hours=3)
    desk.sessions.record_follow_up(first, CALLED, clinician.id)
    calls = desk.sessions.follow_up_calls(local_today(clock.now()))
    assert [call.session_id for call in calls] == [first, second]  # oldest treatment first
    assert calls[0].last_call is not None
    assert (calls[0].last_call.staff_name, calls[0].contact) == (clinician.name, "Spoke to the patient")
    assert calls[1].last_call is None and calls[1].contact == ""


@pytest.mark.both_databases
def test_the_calls_due_load_in_a_constant_number_of_queries(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_out_session(desk, clock, register(desk, nurse, 1).id, nurse)
    day = START.date() + timedelta(days=2)
    for_one = _count_queries(db, monkeypatch, lambda: desk.sessions.follow_up_calls(day))
    for number in range(2, 5):
        signed_out_session(desk, clock, register(desk, nurse, number).id, nurse)
    for_four = _count_queries(db, monkeypatch, lambda: desk.sessions.follow_up_calls(day))
    assert len(desk.sessions.follow_up_calls(day)) == 4
    assert for_one == for_four


def test_a_session_run_before_the_form_existed_is_followed_up_with_the_running_form(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff
) -> None:
    """A patient treated under 1.4 just before the upgrade is still called, and the call described."""
    old_text = without_follow_up().replace('version = "1.5"', 'version = "1.4"', 1)
    old = parse_procedure(old_text, "laser-acne-scarring 1.4", authoring=False)
    before_upgrade = Desk(db, old, clock, FAST_HASHER)
    session_id = signed_out_session(before_upgrade, clock, register(desk, nurse, 1).id, nurse)
    clock.advance(days=2)
    record = desk.sessions.record_follow_up(session_id, COMPLICATION, nurse.id)
    assert record.procedure.version == "1.4" and record.procedure.follow_up is None
    (event,) = desk.sessions.session(session_id).state(clock.now()).follow_ups
    assert dict(describe_follow_up(event, desk.sessions.follow_up_form(record)))["Severity"] == "Mild"
    assert [call.session_id for call in desk.sessions.follow_up_calls(local_today(clock.now()))] == [
        session_id
    ]


@pytest.mark.both_databases
def test_a_treatment_stopped_after_a_pass_is_called_after_and_counts_as_the_last_session(
    desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    """The skin was treated: the patient is called, and the next session keeps the interval."""
    fired, stopped_early = register(desk, nurse, 1), register(desk, nurse, 2)
    for patient, passes in ((fired, {"fractional_pass": LASER["fractional_pass"]}), (stopped_early, {})):
        session_id = desk.sessions.start_session(patient.id, nurse.id).id
        tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
        clock.advance(minutes=61)
        tick_all(desk, session_id, {**TIME_OUT, **passes}, nurse.id)
        desk.sessions.abort(session_id, "Patient felt faint; stopped", nurse.id)
    clock.set(START + timedelta(days=2, hours=2))
    assert [call.patient.id for call in desk.sessions.follow_up_calls(local_today(clock.now()))] == [fired.id]
    clock.advance(days=8)
    context = desk.sessions.start_session(fired.id, nurse.id).state(clock.now()).course_context
    assert context is not None and (context.session_number, context.last_session) == (1, START.date())
    context = desk.sessions.start_session(stopped_early.id, nurse.id).state(clock.now()).course_context
    assert context is not None and context.last_session is None
