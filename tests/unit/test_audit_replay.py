"""`desk-app audit verify` replays the app's rules over each session (issue 17, point 2).

Each attack is forged as someone with a copy of the database would: an event inserted with raw SQL
and its audit row appended with the chain's hash recomputed (no secret is needed), so the chain and
the event check both hold; only the rules tell the event is one the app would have refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from peewee import Database

from desk_app.domain.alerts import AlertKind
from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Patient, Staff
from desk_app.store import audit
from desk_app.store.audit import chain_hash, event_detail, utc_text, verify_audit
from desk_app.store.desk import Desk
from desk_app.store.replay_check import rules_problem
from tests.support.people import add_member
from tests.support.raw_sql import run_sql
from tests.support.walk import ANAESTHETIC, SIGN_IN, signed_out_session, tick_all

PRE_TRAIL = "recorded before the audit trail"


@dataclass(frozen=True)
class Forged:
    session_id: int
    kind: str
    item_id: str | None
    staff: Staff
    at: datetime  # the event's own time
    values: dict[str, Any] | None = None
    text: str = ""


def forge(
    db: Database,
    event: Forged,
    audit_at: datetime | None = None,
    at_text: str | int | None = None,
    action: str | None = None,
    pre_trail: bool = False,
) -> int:
    """Insert the event and append its audit row, chained as write_audit would (`audit_at`: the
    row's time, the event's by default; `at_text`: the event's time as stored, if not the app's
    form; `action`: the row's action, the event's kind by default; `pre_trail`: the row as migration 5
    wrote one for an event from before the trail, no staff and its own time); return the event's id."""
    values = json.dumps(event.values or {}, ensure_ascii=False, sort_keys=True)
    content = (
        event.session_id,
        event.kind,
        event.item_id,
        event.staff.id,
        event.at,
        values,
        event.text,
        None,
    )
    detail = event_detail(content) | ({"at": at_text} if at_text else {})
    event_id = run_sql(
        db,
        "INSERT INTO session_event (session_id, kind, item_id, staff_id, at, values_json, text) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (event.session_id, event.kind, event.item_id, event.staff.id, detail["at"], values, event.text),
    ).fetchone()[0]
    text = json.dumps(detail, ensure_ascii=False, sort_keys=True)
    if pre_trail:
        append_row(db, audit_at or event.at, None, PRE_TRAIL, "session_event", event_id, text)
    else:
        append_row(
            db, audit_at or event.at, event.staff.id, action or event.kind, "session_event", event_id, text
        )
    return event_id


def append_row(
    db: Database,
    at: datetime | str,
    staff_id: int | None,
    action: str,
    subject: str,
    subject_id: int | None,
    detail: str,
) -> None:
    """An audit row appended to the chain with its hash recomputed, as write_audit would (`at` as
    stored, if text)."""
    head_id, head_hash = run_sql(db, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    row = (
        head_id + 1,
        at if isinstance(at, str) else utc_text(at),
        staff_id,
        action,
        subject,
        subject_id,
        detail,
        head_hash,
    )
    run_sql(
        db,
        "INSERT INTO audit_log (id, at, staff_id, action, subject, subject_id, detail, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*row, chain_hash(*row)),
    )


@pytest.fixture
def patient(desk: Desk, nurse: Staff) -> Patient:
    return desk.patients.register_patient("Zoë", "Replay", "1990-04-01", "RP-001", nurse.id)


@pytest.fixture
def nora(desk: Desk) -> Staff:
    """A nurse who is not an authorised laser operator."""
    return add_member(desk, "Nora Nurse", "NN", "nurse", laser_operator=False)


def open_session(desk: Desk, patient: Patient, nurse: Staff) -> int:
    """A session under way: the sign-in checks done, the gel on."""
    session_id = desk.sessions.start_session(patient.id, nurse.id).id
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    return session_id


def problem(db: Database) -> str | None:
    report = verify_audit(db)
    return report.problem


def test_a_whole_session_written_by_the_app_replays_cleanly(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff, clinician: Staff
) -> None:
    """Sessions back to back (an override), an alert seen, an undo, a handover, an amendment, a
    follow-up and a stopped treatment: everything the app writes is what the rules allow."""
    first = signed_out_session(desk, clock, patient.id, nurse)
    clock.advance(days=2)
    desk.sessions.amend(first, "skin_response", "Mild redness", "Seen at the follow-up", clinician.id)
    desk.sessions.record_follow_up(first, {"contact": "Spoke to the patient", "complication": "No"}, nurse.id)
    second = signed_out_session(desk, clock, patient.id, nurse)  # too soon: a clinician overrides
    assert any(event.kind == "override" for event in desk.sessions.session(second).events)
    third = open_session(desk, patient, nurse)
    clock.advance(minutes=61)
    desk.sessions.acknowledge_alert(third, AlertKind.READY, clinician.id)
    desk.sessions.correct(third, "photos", "Wrong photos", nurse.id)
    desk.sessions.take_over(third, clinician.id)
    desk.sessions.abort(third, "Patient unwell", clinician.id, gel_removed=True)

    assert problem(db) is None


def test_a_tick_after_the_sign_out_is_a_break(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff
) -> None:
    session_id = signed_out_session(desk, clock, patient.id, nurse)
    clock.advance(minutes=5)
    event_id = forge(
        db, Forged(session_id, "tick", "adverse_events", nurse, clock.now(), {"adverse": "None"})
    )

    assert problem(db) == (
        f"session {session_id}, event {event_id} (tick of adverse_events by Ann Nurse on "
        f"{_shown(clock.now())}): the session was already signed out"
    )


@pytest.mark.both_databases
def test_a_backdated_override_added_to_a_signed_out_session_is_a_break(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff, clinician: Staff
) -> None:
    """The attack of the issue: an override added after the sign-out, dated as written (dated back,
    its audit row dated now would differ from it; the row dated back too breaks the trail's times)."""
    session_id = signed_out_session(desk, clock, patient.id, nurse)
    clock.advance(days=3)
    override = Forged(session_id, "override", "contraindications", clinician, clock.now(), text="Seen by me")
    event_id = forge(db, override)

    assert problem(db) == (
        f"session {session_id}, event {event_id} (override of contraindications by Dr Clive Doctor "
        f"on {_shown(clock.now())}): the session was already signed out"
    )


def test_an_event_dated_back_on_an_audit_row_of_now_is_a_break(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff
) -> None:
    """The row is written with the event, from the same clock: their times agree within a second."""
    session_id = open_session(desk, patient, nurse)
    clock.advance(seconds=1)
    forge(db, Forged(session_id, "note", None, nurse, clock.now(), text="Fine"), audit_at=clock.now())
    assert problem(db) is None

    back = clock.now() - timedelta(days=20)
    event_id = forge(
        db, Forged(session_id, "note", None, nurse, back, text="Backdated"), audit_at=clock.now()
    )

    assert problem(db) == f"session event {event_id} differs from its audit row"
    assert audit._events_by_python(db) == problem(db), "the check in Python, for details not JSON, too"


def test_an_event_row_labelled_as_another_action_is_a_break(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff
) -> None:
    """'database id made' carries the PC's clock, unchecked along the chain: not an event's action."""
    session_id = open_session(desk, patient, nurse)
    event_id = forge(
        db, Forged(session_id, "note", None, nurse, clock.now(), text="x"), action="database id made"
    )

    assert problem(db) == f"session event {event_id} differs from its audit row"
    assert audit._events_by_python(db) == problem(db), "the check in Python, for details not JSON, too"


def test_an_audit_row_dated_back_is_a_break_beyond_two_minutes(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff
) -> None:
    session_id = open_session(desk, patient, nurse)
    clock.advance(minutes=10)
    forge(db, Forged(session_id, "note", None, nurse, clock.now(), text="Patient chatty"))
    within = clock.now() - timedelta(minutes=2)  # two desks' clocks a little apart: allowed
    forge(db, Forged(session_id, "note", None, nurse, within, text="Still chatty"))
    assert problem(db) is None

    head = run_sql(db, "SELECT id FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0]
    back = clock.now() - timedelta(minutes=3)
    forge(db, Forged(session_id, "note", None, nurse, back, text="Backdated"))

    assert problem(db) == (
        f"row {head + 1} (note) is dated {_shown(back)}, before an earlier row's {_shown(clock.now())}: "
        "the trail's times go back by more than the 2 minutes allowed"
    )


def test_a_demo_mark_appended_later_does_not_excuse_times_going_back(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff
) -> None:
    """A demo's history is written dated back, its mark the trail's first row; one added later is not."""
    session_id = open_session(desk, patient, nurse)
    append_row(db, clock.now(), None, "marked as a training demo", "clinic_setting", None, "{}")
    back = clock.now() - timedelta(hours=1)
    forge(db, Forged(session_id, "note", None, nurse, back, text="Backdated"))

    found = problem(db)
    assert found is not None
    assert found.endswith("the trail's times go back by more than the 2 minutes allowed")


def test_an_event_dated_before_the_sessions_last_is_a_break(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff
) -> None:
    """The replay's own check (verify finds the event's time differs from its row's first)."""
    session_id = open_session(desk, patient, nurse)
    clock.advance(minutes=45)
    last = desk.sessions.add_note(session_id, None, "Gel on", nurse.id).events[-1].at
    earlier = last - timedelta(minutes=30)
    event_id = forge(db, Forged(session_id, "note", None, nurse, earlier, text="x"), audit_at=clock.now())

    assert problem(db) == f"session event {event_id} differs from its audit row"
    assert rules_problem(db) == (
        f"session {session_id}, event {event_id} (note by Ann Nurse on {_shown(earlier)}): its time is "
        f"before the session's previous event ({_shown(last)}) by more than the 2 minutes allowed"
    )


def test_an_event_time_not_in_the_apps_form_is_a_break(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff
) -> None:
    """'T' sorts after ' ': a time so written would never look earlier than the session's last."""
    session_id = open_session(desk, patient, nurse)
    note = Forged(session_id, "note", None, nurse, clock.now(), text="x")
    at_text = clock.now().replace(tzinfo=None).isoformat()  # as the app writes it but for the "T"
    event_id = forge(db, note, at_text=at_text)

    found = problem(db)
    assert found is not None
    assert found.startswith(f"session {session_id}, event {event_id} (note by Ann Nurse")
    assert found.endswith(f"its time {at_text!r} is not written as the app writes times")


def test_an_override_by_a_nurse_is_a_break(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff, nora: Staff
) -> None:
    session_id = open_session(desk, patient, nurse)
    clock.advance(minutes=1)
    when = clock.now()
    event_id = forge(db, Forged(session_id, "override", "gel_wait", nora, when, text="Hurry"))

    assert problem(db) == (
        f"session {session_id}, event {event_id} (override of gel_wait by Nora Nurse on {_shown(when)}): "
        "Nora Nurse was not a clinician then"
    )


@pytest.mark.both_databases
def test_an_override_by_someone_made_a_clinician_only_later_is_a_break(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff, nora: Staff, admin: Staff
) -> None:
    """The staff table says clinician (as the app wrote it, later): the role then is what counts."""
    session_id = open_session(desk, patient, nurse)
    clock.advance(minutes=1)
    when = clock.now()
    event_id = forge(db, Forged(session_id, "override", "gel_wait", nora, when, text="Numb enough"))
    clock.advance(minutes=10)
    desk.accounts.update_staff(nora.id, "clinician", True, admin.id)

    assert problem(db) == (
        f"session {session_id}, event {event_id} (override of gel_wait by Nora Nurse on {_shown(when)}): "
        "Nora Nurse was not a clinician then"
    )


def test_a_laser_pass_by_a_nurse_not_then_authorised_is_a_break(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff, nora: Staff, admin: Staff
) -> None:
    """Nora is authorised since, as the laser_authorisation table shows: not when the pass was ticked."""
    session_id = open_session(desk, patient, nurse)
    clock.advance(minutes=61)
    when = clock.now()
    event_id = forge(db, Forged(session_id, "tick", "fractional_pass", nora, when, {"passes": 2}))
    clock.advance(minutes=5)
    today = when.date()
    desk.operators.grant_laser_authorisation(
        nora.id, today - timedelta(days=30), today + timedelta(days=300), admin.id
    )

    assert problem(db) == (
        f"session {session_id}, event {event_id} (tick of fractional_pass by Nora Nurse on {_shown(when)}): "
        "Nora Nurse was not an authorised laser operator that day"
    )


def test_a_laser_pass_from_before_any_authorisation_is_no_break_but_one_after_the_first_grant_is(
    desk: Desk, db: Database, clock: ManualClock, admin: Staff
) -> None:
    """A database upgraded from before laser authorisations (schema 7): its old passes were ticked by
    nurses nobody authorised, as the app of then asked no one. Once a first grant is written (to
    anyone), a pass by someone not authorised is a break."""
    run_sql(
        db, "UPDATE schema_migration SET applied_at = ? WHERE version = 7", (clock.now() + timedelta(days=9),)
    )
    nora = add_member(desk, "Nora Nurse", "NN", "nurse", laser_operator=False)
    patient = desk.patients.register_patient("Zoë", "Replay", "1990-04-01", "RP-001", nora.id)
    session_id = open_session(desk, patient, nora)
    clock.advance(minutes=61)
    forge(db, Forged(session_id, "tick", "fractional_pass", nora, clock.now(), {"passes": 2}))
    assert problem(db) is None

    clock.advance(days=10)
    add_member(desk, "Cleo Operator", "CO", "clinician")  # the clinic's first grant
    clock.advance(minutes=1)
    other = desk.patients.register_patient("Yann", "Replay", "1991-05-02", "RP-002", nora.id)
    later = open_session(desk, other, nora)
    clock.advance(minutes=61)
    event_id = forge(db, Forged(later, "tick", "fractional_pass", nora, clock.now(), {"passes": 2}))

    assert problem(db) == (
        f"session {later}, event {event_id} (tick of fractional_pass by Nora Nurse on "
        f"{_shown(clock.now())}): Nora Nurse was not an authorised laser operator that day"
    )


def test_an_event_by_staff_added_after_it_is_a_break(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff
) -> None:
    """The replay's own check (verify finds the event's time differs from its row's first)."""
    session_id = open_session(desk, patient, nurse)
    during = clock.now()
    clock.advance(hours=2)
    later = add_member(desk, "Lou Later", "LL", "nurse")
    event_id = forge(db, Forged(session_id, "note", None, later, during, text="x"), audit_at=clock.now())

    assert problem(db) == f"session event {event_id} differs from its audit row"
    assert rules_problem(db) == (
        f"session {session_id}, event {event_id} (note by Lou Later on {_shown(during)}): "
        f"Lou Later was only added as a member of staff on {_shown(clock.now())}"
    )


def test_a_second_tick_of_an_item_not_undone_is_a_break(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff
) -> None:
    session_id = open_session(desk, patient, nurse)
    first = next(event.id for event in desk.sessions.session(session_id).events if event.item_id == "photos")
    event_id = forge(db, Forged(session_id, "tick", "photos", nurse, clock.now(), {"photos": "Taken"}))

    assert problem(db) == (
        f"session {session_id}, event {event_id} (tick of photos by Ann Nurse on {_shown(clock.now())}): "
        f"the item was already done (event {first}) and not undone"
    )


@pytest.mark.both_databases
def test_an_override_of_an_item_that_cannot_be_overridden_is_a_break(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff, clinician: Staff
) -> None:
    """By a clinician, in an open session: the domain's own check, replayed on the state then."""
    session_id = open_session(desk, patient, nurse)
    override = Forged(session_id, "override", "photos", clinician, clock.now(), text="Because")
    event_id = forge(db, override)

    found = problem(db)
    assert found is not None
    assert found.startswith(f"session {session_id}, event {event_id} (override of photos by Dr Clive Doctor")
    assert found.endswith("'Before-photos' is an item that must be done and cannot be overridden.")


def test_a_tick_by_an_administrator_is_a_break(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff, admin: Staff
) -> None:
    session_id = open_session(desk, patient, nurse)
    when = clock.now()
    event_id = forge(db, Forged(session_id, "tick", "gel_removed", admin, when))

    assert problem(db) == (
        f"session {session_id}, event {event_id} (tick of gel_removed by Ada Admin on {_shown(when)}): "
        "Ada Admin was an administrator then: only a nurse or a clinician may tick an item"
    )


def _shown(instant: datetime) -> str:
    local = instant.astimezone()
    return f"{local.day} {local:%b %Y %H:%M}"


def test_an_event_time_that_is_not_a_time_is_named_as_a_break(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff
) -> None:
    session_id = open_session(desk, patient, nurse)
    event_id = forge(db, Forged(session_id, "note", None, nurse, clock.now(), text="x"), at_text="soon")

    assert problem(db) == (
        f"session {session_id}, event {event_id} (note by Ann Nurse on 'soon'): "
        "its time 'soon' is not written as the app writes times"
    )


def test_an_event_time_stored_as_a_number_is_named_as_a_break(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff
) -> None:
    """SQLite keeps a number as a number; the replay (which verify runs after the event check,
    itself a break here) names the event rather than failing on it."""
    session_id = open_session(desk, patient, nurse)
    event_id = forge(db, Forged(session_id, "note", None, nurse, clock.now(), text="x"), at_text=12345)

    found = rules_problem(db)
    assert found is not None
    assert found.startswith(f"session {session_id}, event {event_id} has a value the app never writes")
    assert problem(db) == f"session event {event_id} differs from its audit row"


def test_a_staff_row_dated_on_no_day_is_named_as_a_break(desk: Desk, db: Database, nurse: Staff) -> None:
    """Its time has the form of the app's, so the trail's times pass it; the replay reads it."""
    odd = "9999-99-99T00:00:00.000000+00:00"
    append_row(db, odd, None, "staff added", "staff", nurse.id, json.dumps({"role": "clinician"}))

    head = run_sql(db, "SELECT MAX(id) FROM audit_log").fetchone()[0]
    assert problem(db) == f"audit row {head} (staff added) has a value the app never writes: {odd!r}"


def test_an_event_entered_as_from_before_the_trail_after_the_trails_rows_is_a_break(
    desk: Desk, db: Database, clock: ManualClock, patient: Patient, nurse: Staff
) -> None:
    """Migration 5 entered those as the trail's first rows, with its own time: never after."""
    session_id = open_session(desk, patient, nurse)
    back = clock.now() - timedelta(days=20)
    forge(db, Forged(session_id, "note", None, nurse, back, text="Backdated"), clock.now(), pre_trail=True)

    head = run_sql(db, "SELECT MAX(id) FROM audit_log").fetchone()[0]
    assert problem(db) == f"row {head} (recorded before the audit trail) comes after rows of the trail itself"


def test_the_database_id_made_a_second_time_is_a_break(
    db: Database, clock: ManualClock, nurse: Staff
) -> None:
    """Its row carries the PC's own clock, unchecked: the app writes it once, at an upgrade."""
    id_made = ("database id made", "clinic_setting", None, "{}")
    append_row(db, clock.now(), None, *id_made)
    assert problem(db) is None
    append_row(db, clock.now() - timedelta(days=20), None, *id_made)

    head = run_sql(db, "SELECT MAX(id) FROM audit_log").fetchone()[0]
    assert problem(db) == f"row {head} (database id made) makes the database's id again"
