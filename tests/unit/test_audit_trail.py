"""The audit trail: one hash-chained audit_log row per store action, in the action's own transaction;
the database refuses to change or remove a row; verify_audit (and `desk-app audit verify`) finds a
row changed, removed or slipped in, and a session event that no longer matches its row. No Qt.

Staff come only from the shared fixtures (nurse, clinician; and `admin`, where conftest has it, for the
clinic's details, which are an administrator's). Those fixtures write audit rows of their own, so
every test here looks at the rows written after a mark, never at absolute row numbers.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import pytest
from peewee import Database, IntegrityError, OperationalError, SqliteDatabase

from desk_app import cli
from desk_app.domain.alerts import AlertKind
from desk_app.domain.clinic import DocumentKind, checked_clinic_details
from desk_app.domain.clock import ManualClock
from desk_app.domain.errors import ActionRefused, DomainError, ValidationError
from desk_app.domain.integrity import AuditReport
from desk_app.domain.people import Patient, Staff
from desk_app.domain.procedure import Procedure
from desk_app.domain.refusals import PossibleDuplicate, SessionAlreadyInProgress
from desk_app.domain.session import EventKind
from desk_app.store import audit, migrations
from desk_app.store.audit import GENESIS, chain_hash, stored_time_text, utc_text, verify_audit
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from desk_app.store.seals import SealBook
from tests.support.lasers import laser_ready, passed_answers, register_test_laser, with_test_laser
from tests.support.people import PIN
from tests.support.raw_sql import run_sql
from tests.support.seal_rows import unsealed
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, TIME_OUT, signed_out_session, tick_all

pytestmark = pytest.mark.both_databases

# --- reading the trail -----------------------------------------------------------------------------


class AuditRow(NamedTuple):
    id: int
    at: str
    staff_id: int | None
    action: str
    subject: str
    subject_id: int | None
    detail: str
    prev_hash: str
    hash: str


_COLUMNS = "id, at, staff_id, action, subject, subject_id, detail, prev_hash, hash"


def audit_rows(db: Database, after: int = 0) -> list[AuditRow]:
    cursor = run_sql(db, f"SELECT {_COLUMNS} FROM audit_log WHERE id > ? ORDER BY id", (after,))
    return [AuditRow(*row) for row in cursor.fetchall()]


def last_id(db: Database) -> int:
    return run_sql(db, "SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]


def count(db: Database, table: str) -> int:
    return run_sql(db, f"SELECT count(*) FROM {table}").fetchone()[0]


def audit_triggers(db: Database) -> set[str]:
    sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
    return {name for (name,) in run_sql(db, sql).fetchall()}


def recomputed(row: AuditRow) -> str:
    return chain_hash(
        row.id, row.at, row.staff_id, row.action, row.subject, row.subject_id, row.detail, row.prev_hash
    )


def event_row_of(db: Database, event_id: int) -> AuditRow:
    """The audit row that records session event `event_id`."""
    cursor = run_sql(
        db,
        f"SELECT {_COLUMNS} FROM audit_log WHERE subject = 'session_event' AND subject_id = ?",
        (event_id,),
    )
    rows = [AuditRow(*row) for row in cursor.fetchall()]
    assert len(rows) == 1, rows
    return rows[0]


def values_text(values: dict[str, Any]) -> str:
    """Event values as the store keeps them (and so as the audit row copies them)."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


# --- one world for the action cases ----------------------------------------------------------------


@dataclass
class World:
    desk: Desk
    db: Database
    clock: ManualClock
    procedure: Procedure
    nurse: Staff
    clinician: Staff
    manager: Staff
    zoe: Patient

    def start(self) -> int:
        return self.desk.sessions.start_session(self.zoe.id, self.nurse.id).id

    def event(
        self,
        session_id: int,
        kind: str,
        staff: Staff,
        item: str | None = None,
        values: dict[str, Any] | None = None,
        text: str = "",
        corrects: int | None = None,
    ) -> dict[str, Any]:
        """The detail the audit row of an event written now must hold: the event's whole content."""
        return {
            "session": session_id,
            "kind": kind,
            "item": item,
            "staff": staff.id,
            "at": stored_time_text(self.clock.now()),
            "values": values_text(values or {}),
            "text": text,
            "corrects": corrects,
        }


@pytest.fixture
def zoe(desk: Desk, nurse: Staff) -> Patient:
    return desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-0001", nurse.id)


@pytest.fixture
def manager(request: pytest.FixtureRequest, clinician: Staff) -> Staff:
    """Who may change the clinic's details: the shared `admin` fixture where the store has
    administrators (clinic details are theirs alone), else the clinician."""
    try:
        return request.getfixturevalue("admin")
    except pytest.FixtureLookupError:
        return clinician


@pytest.fixture
def world(
    desk: Desk,
    db: Database,
    clock: ManualClock,
    procedure: Procedure,
    nurse: Staff,
    clinician: Staff,
    manager: Staff,
    zoe: Patient,
) -> World:
    return World(desk, db, clock, procedure, nurse, clinician, manager, zoe)


class Expected(NamedTuple):
    action: str
    staff_id: int | None
    subject: str
    subject_id: int | None
    detail: dict[str, Any]


# Each case sets the scene, then returns the action itself; the action returns the row it must write.
Case = Callable[[World], Callable[[], Expected]]


def start_session(w: World) -> Callable[[], Expected]:
    def act() -> Expected:
        session = w.desk.sessions.start_session(w.zoe.id, w.nurse.id)
        detail = {"patient": w.zoe.id, "number": 1, "procedure": w.procedure.version}
        return Expected("session started", w.nurse.id, "session", session.id, detail)

    return act


def tick(w: World) -> Callable[[], Expected]:
    session_id = w.start()

    def act() -> Expected:
        record = w.desk.sessions.tick(session_id, "identity", SIGN_IN["identity"], w.nurse.id)
        event = record.events[-1]
        detail = w.event(session_id, "tick", w.nurse, "identity", SIGN_IN["identity"])
        return Expected("tick", w.nurse.id, "session_event", event.id, detail)

    return act


def tick_of_a_laser_pass(w: World) -> Callable[[], Expected]:
    session_id = w.start()
    tick_all(w.desk, session_id, {**SIGN_IN, **ANAESTHETIC}, w.nurse.id)
    w.clock.advance(minutes=61)
    tick_all(w.desk, session_id, TIME_OUT, w.nurse.id)

    values = with_test_laser(w.desk, LASER["fractional_pass"])

    def act() -> Expected:
        record = w.desk.sessions.tick(session_id, "fractional_pass", values, w.nurse.id)
        event = record.events[-1]
        # The values as checked and stored (the device's snapshot, numbers as the store keeps them),
        # copied whole into the row.
        assert event.values["device"]["serial_number"] == "SP-TEST-1" and event.values["energy_mj"] == 40
        detail = w.event(session_id, "tick", w.nurse, "fractional_pass", event.values)
        return Expected("tick", w.nurse.id, "session_event", event.id, detail)

    return act


def correct(w: World) -> Callable[[], Expected]:
    session_id = w.start()
    tick_id = w.desk.sessions.tick(session_id, "identity", SIGN_IN["identity"], w.nurse.id).events[-1].id

    def act() -> Expected:
        reason = "Patient gave a nickname; re-check"
        record = w.desk.sessions.correct(session_id, "identity", reason, w.nurse.id)
        detail = w.event(session_id, "correction", w.nurse, "identity", text=reason, corrects=tick_id)
        return Expected("correction", w.nurse.id, "session_event", record.events[-1].id, detail)

    return act


def override(w: World) -> Callable[[], Expected]:
    session_id = w.start()
    w.desk.sessions.tick(
        session_id, "skin_type", {"fitzpatrick": "V"}, w.nurse.id
    )  # flagged: needs a clinician

    def act() -> Expected:
        reason = "Test patch fine last month"
        record = w.desk.sessions.override(session_id, "skin_type", reason, w.clinician.id, w.nurse.id, PIN)
        values = {"entered_by_id": w.nurse.id, "entered_by": w.nurse.name}
        detail = w.event(session_id, "override", w.clinician, "skin_type", values, reason)
        return Expected("override", w.clinician.id, "session_event", record.events[-1].id, detail)

    return act


def add_note(w: World) -> Callable[[], Expected]:
    session_id = w.start()

    def act() -> Expected:
        text = "Patient anxious; talked through the steps\nSecond line"
        record = w.desk.sessions.add_note(session_id, "consent", text, w.nurse.id)
        detail = w.event(session_id, "note", w.nurse, "consent", text=text)
        return Expected("note", w.nurse.id, "session_event", record.events[-1].id, detail)

    return act


def acknowledge_alert(w: World) -> Callable[[], Expected]:
    session_id = w.start()
    record = tick_all(w.desk, session_id, {**SIGN_IN, **ANAESTHETIC}, w.nurse.id)
    gel_id = record.events[-1].id
    assert record.events[-1].item_id == "gel_applied"
    w.clock.advance(minutes=61)  # the 'ready' alert is due

    def act() -> Expected:
        record = w.desk.sessions.acknowledge_alert(session_id, AlertKind.READY, w.clinician.id)
        values = {"gel_applied_event": gel_id}
        detail = w.event(session_id, "alert acknowledged", w.clinician, None, values, "ready")
        return Expected("alert acknowledged", w.clinician.id, "session_event", record.events[-1].id, detail)

    return act


def take_over(w: World) -> Callable[[], Expected]:
    session_id = w.start()

    def act() -> Expected:
        record = w.desk.sessions.take_over(session_id, w.clinician.id)
        detail = w.event(session_id, "handover", w.clinician)
        return Expected("handover", w.clinician.id, "session_event", record.events[-1].id, detail)

    return act


def amend(w: World) -> Callable[[], Expected]:
    session_id = signed_out_session(w.desk, w.clock, w.zoe.id, w.nurse)

    def act() -> Expected:
        text, reason = "Some swelling by the evening", "Patient phoned"
        record = w.desk.sessions.amend(session_id, "skin_response", text, reason, w.clinician.id)
        values = {"reason": reason}
        detail = w.event(session_id, "amendment", w.clinician, "skin_response", values, text)
        return Expected("amendment", w.clinician.id, "session_event", record.events[-1].id, detail)

    return act


def record_follow_up(w: World) -> Callable[[], Expected]:
    session_id = signed_out_session(w.desk, w.clock, w.zoe.id, w.nurse)

    def act() -> Expected:
        values = {"contact": "Spoke to the patient", "complication": "No"}
        record = w.desk.sessions.record_follow_up(session_id, values, w.nurse.id)
        detail = w.event(session_id, "follow-up", w.nurse, None, values)
        return Expected("follow-up", w.nurse.id, "session_event", record.events[-1].id, detail)

    return act


def abort(w: World) -> Callable[[], Expected]:
    session_id = w.start()
    tick_all(w.desk, session_id, {**SIGN_IN, **ANAESTHETIC}, w.nurse.id)  # the gel is on

    def act() -> Expected:
        reason = "Patient felt faint"
        record = w.desk.sessions.abort(session_id, reason, w.nurse.id, gel_removed=True)
        detail = w.event(session_id, "abort", w.nurse, None, {"gel_removed": True}, reason)
        return Expected("abort", w.nurse.id, "session_event", record.events[-1].id, detail)

    return act


def register_patient(w: World) -> Callable[[], Expected]:
    def act() -> Expected:
        patient = w.desk.patients.register_patient("Ann", "Smith", "1975-06-30", "az-0002", w.nurse.id)
        detail = {"name": "Ann Smith", "born": "1975-06-30", "number": "AZ-0002"}
        return Expected("patient registered", w.nurse.id, "patient", patient.id, detail)

    return act


def update_patient(w: World) -> Callable[[], Expected]:
    def act() -> Expected:
        w.desk.patients.update_patient(
            w.zoe.id, {"phone": "07700 900123", "family_name": "Brien"}, w.clinician.id
        )
        changes = [["family_name", "O'Brien", "Brien"], ["phone", "", "07700 900123"]]
        return Expected("patient changed", w.clinician.id, "patient", w.zoe.id, {"changes": changes})

    return act


def set_archived(w: World) -> Callable[[], Expected]:
    def act() -> Expected:
        w.desk.patients.set_archived(w.zoe.id, True, w.nurse.id)
        changes = [["archived", "no", "yes"]]
        return Expected("patient changed", w.nurse.id, "patient", w.zoe.id, {"changes": changes})

    return act


def update_clinic_details(w: World) -> Callable[[], Expected]:
    def act() -> Expected:
        details = checked_clinic_details("Azure Medical", "1 High St, Leeds", "Call 0113 496 0000", "Letter")
        w.desk.clinic.update_clinic_details(details, w.manager.id)
        changes = [
            ["address", "", "1 High St, Leeds"],
            ["contact_line", "", "Call 0113 496 0000"],
            ["paper", "A4", "Letter"],
        ]
        return Expected("clinic details changed", w.manager.id, "clinic_setting", None, {"changes": changes})

    return act


def _print_log_id(db: Database) -> int:
    return run_sql(db, "SELECT max(id) FROM print_log").fetchone()[0]


def record_print(w: World) -> Callable[[], Expected]:
    session_id = signed_out_session(w.desk, w.clock, w.zoe.id, w.nurse)

    def act() -> Expected:
        w.desk.clinic.record_print(
            DocumentKind.SESSION_RECORD,
            w.zoe.id,
            session_id,
            "Printer Front Desk",
            2,
            w.nurse.name,
            w.nurse.id,
        )
        detail = {
            "document": "session record",
            "patient": w.zoe.id,
            "session": session_id,
            "pages": 2,
            "destination": "Printer Front Desk",
            "printed_by": w.nurse.name,
        }
        return Expected("printed", w.nurse.id, "print_log", _print_log_id(w.db), detail)

    return act


def record_pre_use_check(w: World) -> Callable[[], Expected]:
    device_id = register_test_laser(w.desk)

    def act() -> Expected:
        answers = passed_answers(w.desk, plume_extraction=False)
        w.desk.device_checks.record_pre_use_check(device_id, answers, "Extractor not drawing", w.nurse.id)
        (check,) = w.desk.device_checks.pre_use_checks(device_id=device_id)
        detail = {
            "device": device_id,
            "device_name": "Fotona SP Dynamis (serial SP-TEST-1)",
            "day": "2026-11-25",
            "passed": False,
            "failed": ["Plume extraction working"],
            "note": "Extractor not drawing",
            "answers": answers,
            "checklist_version": "1.0",
        }
        return Expected("laser pre-use check", w.nurse.id, "laser_device_check", check.id, detail)

    return act


def record_export_from_the_terminal(w: World) -> Callable[[], Expected]:
    def act() -> Expected:
        destination = "PDF /tmp/history.pdf"
        w.desk.clinic.record_print(
            DocumentKind.PATIENT_HISTORY, w.zoe.id, None, destination, 3, "mo (terminal)", None
        )
        detail = {
            "document": "patient history",
            "patient": w.zoe.id,
            "session": None,
            "pages": 3,
            "destination": destination,
            "printed_by": "mo (terminal)",
        }
        return Expected("exported", None, "print_log", _print_log_id(w.db), detail)

    return act


ACTIONS: list[Case] = [
    start_session,
    tick,
    tick_of_a_laser_pass,
    correct,
    override,
    add_note,
    acknowledge_alert,
    take_over,
    amend,
    record_follow_up,
    abort,
    register_patient,
    update_patient,
    set_archived,
    update_clinic_details,
    record_print,
    record_pre_use_check,
    record_export_from_the_terminal,
]


# --- 1. each action: exactly its one row -----------------------------------------------------------


# On PostgreSQL: an action of each kind of row and transaction (a session event, a PIN checked in
# its own transaction, a patient, the clinic, a laser check, a follow-up); all of them on SQLite.
@pytest.mark.postgresql_for(
    start_session,
    tick,
    override,
    amend,
    record_follow_up,
    register_patient,
    update_clinic_details,
    record_pre_use_check,
)
@pytest.mark.parametrize("case", ACTIONS, ids=[case.__name__ for case in ACTIONS])
def test_each_action_writes_exactly_its_one_audit_row(world: World, case: Case) -> None:
    act = case(world)
    world.clock.advance(seconds=7, microseconds=250)
    mark = last_id(world.db)
    expected = act()

    every = audit_rows(world.db, after=mark)
    # An action that takes a PIN (an override, a signature) records it accepted in its own transaction.
    pin_rows = [row for row in every if row.action == "PIN accepted"]
    # Starting a session also writes its 'course' event, audited as every event is, after the start.
    course_rows = [row for row in every if row.action == EventKind.COURSE.value]
    assert len(course_rows) == (1 if case is start_session else 0)
    rows = [row for row in every if row.action not in ("PIN accepted", EventKind.COURSE.value)]
    assert len(rows) == 1 and len(pin_rows) <= 1, [(row.action, row.subject) for row in every]
    row = rows[0]
    assert (row.action, row.staff_id, row.subject, row.subject_id) == expected[:4]
    assert unsealed(row.detail) == expected.detail
    assert row.at == utc_text(world.clock.now())
    # It continues the chain from the row before it.
    assert row.id == mark + 1 + len(pin_rows)
    assert row.prev_hash == audit_rows(world.db, after=mark - 1 + len(pin_rows))[0].hash
    assert row.hash == recomputed(row)
    assert verify_audit(world.db).ok


def test_a_session_events_row_holds_exactly_what_the_event_row_holds(
    world: World, desk: Desk, db: Database
) -> None:
    session_id = world.start()
    record = desk.sessions.tick(
        session_id, "medication_history", SIGN_IN["medication_history"], world.nurse.id
    )
    event_id = record.events[-1].id
    stored = run_sql(
        db,
        "SELECT session_id, kind, item_id, staff_id, values_json, text, corrects_id FROM session_event "
        "WHERE id = ?",
        (event_id,),
    ).fetchone()
    detail = json.loads(event_row_of(db, event_id).detail)
    kept = (
        detail["session"],
        detail["kind"],
        detail["item"],
        detail["staff"],
        detail["values"],
        detail["text"],
        detail["corrects"],
    )
    assert kept == stored
    # The event's time as its own table holds it (naive UTC text), so the two compare directly.
    assert detail["at"] == stored_time_text(world.clock.now()) == "2026-11-25 09:00:00"


def test_a_whole_session_writes_one_row_per_event_and_one_for_its_start(
    world: World, desk: Desk, db: Database, clock: ManualClock, nurse: Staff
) -> None:
    laser_ready(desk)  # the laser registered and checked first: rows of their own
    mark = last_id(db)
    session_id = signed_out_session(desk, clock, world.zoe.id, nurse)
    rows = audit_rows(db, after=mark)
    events = desk.sessions.session(session_id).events
    # The signature's PIN is checked (and audited) just before the sign-out's own row.
    ticks = ["tick"] * (len(events) - 1)  # after the course as it stood at the start
    assert [row.action for row in rows] == ["session started", "course", *ticks[:-1], "PIN accepted", "tick"]
    event_rows = [row for row in rows[1:] if row.action in ("course", "tick")]
    assert [row.subject_id for row in event_rows] == [event.id for event in events]
    assert {row.staff_id for row in rows} == {nurse.id}
    assert [row.id for row in rows] == list(range(mark + 1, mark + 1 + len(rows)))


# Actions refused by a check made inside the transaction, after other reads: the audit row must not
# survive them. Each case sets the scene, then returns the refused call, its error and its message.
RefusedCase = Callable[[World], tuple[Callable[[], object], type[Exception], str]]


def _refused_tick_bad_value(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    session_id = w.start()
    return (
        lambda: w.desk.sessions.tick(session_id, "skin_type", {"fitzpatrick": "IX"}, w.nurse.id),
        ValidationError,
        "choose one of",
    )


def _refused_second_tick(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    session_id = w.start()
    w.desk.sessions.tick(session_id, "identity", SIGN_IN["identity"], w.nurse.id)
    values = {"second_identifier": "Clinic number"}
    return (
        lambda: w.desk.sessions.tick(session_id, "identity", values, w.nurse.id),
        ActionRefused,
        "already done",
    )


def _refused_tick_by_unknown_staff(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    session_id = w.start()
    return (
        lambda: w.desk.sessions.tick(session_id, "identity", SIGN_IN["identity"], 4242),
        ActionRefused,
        "not known",
    )


def _refused_correction_without_reason(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    session_id = w.start()
    w.desk.sessions.tick(session_id, "identity", SIGN_IN["identity"], w.nurse.id)
    return (
        lambda: w.desk.sessions.correct(session_id, "identity", "   ", w.nurse.id),
        ValidationError,
        "fill this in",
    )


def _refused_note_blank(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    session_id = w.start()
    return (
        lambda: w.desk.sessions.add_note(session_id, None, " \n ", w.nurse.id),
        ValidationError,
        "fill this in",
    )


def _refused_early_alert(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    session_id = w.start()
    tick_all(w.desk, session_id, {**SIGN_IN, **ANAESTHETIC}, w.nurse.id)
    w.clock.advance(minutes=59)
    return (
        lambda: w.desk.sessions.acknowledge_alert(session_id, AlertKind.READY, w.nurse.id),
        ActionRefused,
        "no 'ready' alert",
    )


def _refused_take_over_by_holder(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    session_id = w.start()
    return lambda: w.desk.sessions.take_over(session_id, w.nurse.id), ActionRefused, "already have"


def _refused_amend_open_session(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    session_id = w.start()
    return (
        lambda: w.desk.sessions.amend(session_id, None, "Text", "Reason", w.nurse.id),
        ActionRefused,
        "still open",
    )


def _refused_abort_with_gel_on(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    session_id = w.start()
    tick_all(w.desk, session_id, {**SIGN_IN, **ANAESTHETIC}, w.nurse.id)
    return (
        lambda: w.desk.sessions.abort(session_id, "Patient left", w.nurse.id),
        ActionRefused,
        "gel is still on",
    )


def _refused_second_session(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    w.start()
    return (
        lambda: w.desk.sessions.start_session(w.zoe.id, w.nurse.id),
        SessionAlreadyInProgress,
        "in progress",
    )


def _refused_register_blank_name(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    return (
        lambda: w.desk.patients.register_patient("   ", "Smith", "1975-06-30", "AZ-0002", w.nurse.id),
        ValidationError,
        "fill this in",
    )


def _refused_register_number_in_use(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    return (
        lambda: w.desk.patients.register_patient("Ann", "Smith", "1975-06-30", "az-0001", w.nurse.id),
        ValidationError,
        "already in use",
    )


def _refused_register_twin(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    return (
        lambda: w.desk.patients.register_patient("ZOE", "OBRIEN", "1990-02-03", "AZ-0099", w.nurse.id),
        PossibleDuplicate,
        "AZ-0001",
    )


def _refused_update_nothing_changed(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    return (
        lambda: w.desk.patients.update_patient(w.zoe.id, {"family_name": "O'Brien"}, w.nurse.id),
        ValidationError,
        "Nothing was changed",
    )


def _refused_archive_twice(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    w.desk.patients.set_archived(w.zoe.id, True, w.nurse.id)
    return (
        lambda: w.desk.patients.set_archived(w.zoe.id, True, w.nurse.id),
        ValidationError,
        "Nothing was changed",
    )


def _refused_clinic_unchanged(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    details = checked_clinic_details("Azure Medical", "", "", "A4")  # the defaults
    return (
        lambda: w.desk.clinic.update_clinic_details(details, w.manager.id),
        ValidationError,
        "Nothing was changed",
    )


def _refused_print_by_unknown_staff(w: World) -> tuple[Callable[[], object], type[Exception], str]:
    return (
        lambda: w.desk.clinic.record_print(
            DocumentKind.PATIENT_HISTORY, w.zoe.id, None, "Printer", 1, "X", 4242
        ),
        ActionRefused,
        "not known",
    )


REFUSED: list[RefusedCase] = [
    _refused_tick_bad_value,
    _refused_second_tick,
    _refused_tick_by_unknown_staff,
    _refused_correction_without_reason,
    _refused_note_blank,
    _refused_early_alert,
    _refused_take_over_by_holder,
    _refused_amend_open_session,
    _refused_abort_with_gel_on,
    _refused_second_session,
    _refused_register_blank_name,
    _refused_register_number_in_use,
    _refused_register_twin,
    _refused_update_nothing_changed,
    _refused_archive_twice,
    _refused_clinic_unchanged,
    _refused_print_by_unknown_staff,
]


# On PostgreSQL: a refusal by the domain, by the database's constraints, and of the clinic's details.
@pytest.mark.postgresql_for(
    _refused_tick_bad_value,
    _refused_second_session,
    _refused_register_number_in_use,
    _refused_clinic_unchanged,
)
@pytest.mark.parametrize("case", REFUSED, ids=[case.__name__.removeprefix("_refused_") for case in REFUSED])
def test_a_refused_action_writes_no_audit_row(world: World, case: RefusedCase) -> None:
    refused, error, message = case(world)
    before = audit_rows(world.db)
    with pytest.raises(error, match=message):
        refused()
    assert audit_rows(world.db) == before
    assert verify_audit(world.db).ok
    # The next action's row follows straight on: the refused one left no gap and no dangling link.
    world.desk.patients.register_patient("Next", "Patient", "1980-01-01", "AZ-0500", world.nurse.id)
    (row,) = audit_rows(world.db, after=before[-1].id)
    assert (row.id, row.prev_hash, row.action) == (before[-1].id + 1, before[-1].hash, "patient registered")


def test_an_action_whose_later_write_fails_leaves_no_audit_row(
    world: World, desk: Desk, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit row is written first in _save_changes; a failure after it must take it away too."""
    before = audit_rows(db)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(desk.patients, "_index_words", broken)
    with pytest.raises(DomainError, match="Nothing was changed"):
        desk.patients.update_patient(world.zoe.id, {"phone": "07700 900123"}, world.nurse.id)
    assert audit_rows(db) == before
    assert count(db, "patient_change") == 0


# --- 2. the rows: UTC times and the chain ----------------------------------------------------------


def _realistic_run(world: World) -> None:
    """Two sessions (one signed out and amended, one aborted), patients registered and changed,
    clinic details, a print and an export."""
    desk, clock, nurse, clinician = world.desk, world.clock, world.nurse, world.clinician
    signed_out = signed_out_session(desk, clock, world.zoe.id, nurse)
    desk.sessions.amend(signed_out, None, "Patient phoned: no blistering", "Follow-up call", clinician.id)
    desk.clinic.record_print(
        DocumentKind.SESSION_RECORD, world.zoe.id, signed_out, "Printer", 2, nurse.name, nurse.id
    )
    ann = desk.patients.register_patient("Ann", "Smith", "1975-06-30", "AZ-0002", nurse.id)
    running = desk.sessions.start_session(ann.id, nurse.id).id
    desk.sessions.tick(running, "skin_type", {"fitzpatrick": "V"}, nurse.id)
    desk.sessions.override(running, "skin_type", "Test patch fine", clinician.id, nurse.id, PIN)
    desk.sessions.tick(running, "identity", SIGN_IN["identity"], nurse.id)
    desk.sessions.correct(running, "identity", "Wrong identifier read out", nurse.id)
    desk.sessions.add_note(running, None, "Patient asked about downtime", nurse.id)
    desk.sessions.take_over(running, clinician.id)
    clock.advance(minutes=5)
    desk.sessions.abort(running, "Laser fault", clinician.id)
    desk.patients.update_patient(ann.id, {"email": "ann@example.org"}, nurse.id)
    desk.patients.set_archived(ann.id, True, clinician.id)
    details = checked_clinic_details("Azure Medical", "", "Call us", "A4")
    desk.clinic.update_clinic_details(details, world.manager.id)
    desk.clinic.record_print(
        DocumentKind.PATIENT_HISTORY, world.zoe.id, None, "PDF /tmp/h.pdf", 3, "mo", None
    )


def test_times_are_utc_iso_text_whatever_zone_the_clock_speaks(
    world: World, desk: Desk, db: Database
) -> None:
    class ZonedClock:
        """A clock that answers in a zone other than UTC (the store must not care)."""

        def __init__(self, instant: datetime) -> None:
            self.instant = instant

        def now(self) -> datetime:
            return self.instant

    session_id = world.start()
    mark = last_id(db)
    # British Summer Time (UTC+1) with microseconds, then India (UTC+5:30).
    zoned = ZonedClock(datetime(2027, 7, 1, 10, 30, 15, 123456, tzinfo=ZoneInfo("Europe/London")))
    zoned_desk = Desk(db, desk.procedure, zoned, desk.hasher, desk.permissions)
    zoned_desk.sessions.tick(session_id, "identity", SIGN_IN["identity"], world.nurse.id)
    zoned.instant = datetime(2027, 7, 1, 15, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    zoned_desk.sessions.tick(session_id, "consent", SIGN_IN["consent"], world.nurse.id)

    first, second = audit_rows(db, after=mark)
    assert first.at == "2027-07-01T09:30:15.123456+00:00"
    assert second.at == "2027-07-01T09:30:00.000000+00:00"
    assert json.loads(first.detail)["at"] == "2027-07-01 09:30:15.123456"
    # The event as read back from its table still matches its row, to the microsecond.
    assert verify_audit(db).ok


def test_every_row_is_utc_iso_text_and_rows_chain_from_genesis(world: World, db: Database) -> None:
    _realistic_run(world)
    rows = audit_rows(db)
    assert len(rows) > 40
    assert [row.id for row in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == GENESIS == "0" * 64
    for before, row in zip(rows, rows[1:], strict=False):
        assert row.prev_hash == before.hash, row.id
    for row in rows:
        assert row.hash == recomputed(row), row.id
        assert len(row.hash) == 64 and int(row.hash, 16) >= 0
        at = datetime.fromisoformat(row.at)
        assert at.utcoffset() == timedelta(0) and row.at.endswith("+00:00"), row.at
        assert datetime(2026, 11, 25, tzinfo=UTC) <= at < datetime(2026, 11, 26, tzinfo=UTC)
    assert len({row.hash for row in rows}) == len(rows)


def test_each_field_of_a_row_is_covered_by_its_hash() -> None:
    fields = (7, "2026-11-25T09:00:00.000000+00:00", 3, "tick", "session_event", 12, '{"a": 1}', GENESIS)
    original = chain_hash(*fields)
    changed = [
        (8, *fields[1:]),
        (fields[0], "2026-11-25T09:00:01.000000+00:00", *fields[2:]),
        (*fields[:2], 4, *fields[3:]),
        (*fields[:2], None, *fields[3:]),
        (*fields[:3], "note", *fields[4:]),
        (*fields[:4], "patient", *fields[5:]),
        (*fields[:5], 13, *fields[6:]),
        (*fields[:5], None, *fields[6:]),
        (*fields[:6], '{"a": 2}', fields[7]),
        (*fields[:7], "f" * 64),
    ]
    for other in changed:
        assert chain_hash(*other) != original, other
    assert chain_hash(*fields) == original


# --- 3. the database refuses to change or remove a row ---------------------------------------------


STATEMENTS = {
    "update-detail": "UPDATE audit_log SET detail = '{}' WHERE id = ?",
    "update-hash": "UPDATE audit_log SET hash = prev_hash WHERE id = ?",
    "update-staff": "UPDATE audit_log SET staff_id = NULL WHERE id = ?",
    "upsert": "INSERT INTO audit_log (id, at, action, subject, detail, prev_hash, hash) "
    "SELECT id, at, 'x', 'x', '{}', prev_hash, hash FROM audit_log WHERE id = ? "
    "ON CONFLICT (id) DO UPDATE SET detail = excluded.detail",
    "delete-one": "DELETE FROM audit_log WHERE id = ?",
    "delete-all": "DELETE FROM audit_log WHERE id > ? - 1000000",
}


@pytest.mark.parametrize("statement", list(STATEMENTS.values()), ids=list(STATEMENTS))
def test_raw_sql_cannot_change_or_delete_an_audit_row(world: World, db: Database, statement: str) -> None:
    _realistic_run(world)
    before = audit_rows(db)
    target = before[len(before) // 2].id
    with pytest.raises(IntegrityError, match="audit_log rows are append-only"):
        run_sql(db, statement, (target,))
    assert audit_rows(db) == before
    assert verify_audit(db).ok


@pytest.mark.sqlite_only
@pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"])
def test_another_program_cannot_change_or_delete_an_audit_row_either(
    world: World, db: Database, db_path: Path, statement: str
) -> None:
    """The triggers live in the file, so a plain sqlite3 connection (a DB browser) is refused too."""
    _realistic_run(world)
    before = audit_rows(db)
    with closing(sqlite3.connect(db_path)) as other:
        with pytest.raises(sqlite3.IntegrityError, match="audit_log rows are append-only"):
            other.execute(statement)
        other.rollback()
    assert audit_rows(db) == before


@pytest.mark.sqlite_only
def test_insert_or_replace_cannot_overwrite_an_audit_row(world: World, db: Database) -> None:
    before = audit_rows(db)
    target = before[-1]
    with pytest.raises((IntegrityError, OperationalError), match="append-only"):
        run_sql(
            db,
            "INSERT OR REPLACE INTO audit_log (id, at, staff_id, action, subject, subject_id, detail, "
            "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                target.id,
                target.at,
                None,
                target.action,
                target.subject,
                target.subject_id,
                "{}",
                target.prev_hash,
                target.hash,
            ),
        )
    assert audit_rows(db) == before


@pytest.mark.sqlite_only
def test_a_row_replaced_through_insert_or_replace_is_still_found_by_verify(
    world: World, db: Database
) -> None:
    """An editor who drops the append-only trigger can REPLACE a row; the chain still shows it."""
    _realistic_run(world)
    target = audit_rows(db)[5]
    run_sql(db, "DROP TRIGGER audit_log_append_only")
    run_sql(
        db,
        "INSERT OR REPLACE INTO audit_log (id, at, staff_id, action, subject, subject_id, detail, "
        "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*target[:6], '{"forged": true}', target.prev_hash, target.hash),
    )
    report = verify_audit(db)
    assert not report.ok
    assert f"row {target.id} ({target.action}) was changed" in report.problem


# --- 4. verify -------------------------------------------------------------------------------------


def drop_triggers(db: Database, table: str) -> None:
    """What anyone with the file (or the database owner's login) can do: the triggers are no
    protection against a determined editor."""
    if not isinstance(db, SqliteDatabase):
        run_sql(db, f"ALTER TABLE {table} DISABLE TRIGGER USER")
        return
    run_sql(db, f"DROP TRIGGER {table}_no_update")
    run_sql(db, f"DROP TRIGGER {table}_no_delete")
    run_sql(db, f"DROP TRIGGER IF EXISTS {table}_append_only")


def test_verify_finds_the_trail_intact_after_a_realistic_run(world: World, db: Database) -> None:
    _realistic_run(world)
    rows = audit_rows(db)
    report = verify_audit(db)
    assert report.ok and report.problem is None
    assert report.rows == len(rows)
    assert report.head_hash == rows[-1].hash
    assert str(report) == f"Audit trail intact: {len(rows)} rows; head hash {rows[-1].hash}."


def test_verify_of_a_new_database_is_intact_with_the_genesis_hash(tmp_path: Path) -> None:
    db = open_database(str(tmp_path / "new.sqlite3"))
    try:
        report = verify_audit(db)
    finally:
        db.close()
    assert (report.ok, report.rows, report.head_hash) == (True, 0, GENESIS)


def _middle(db: Database, subject: str | None = None) -> AuditRow:
    rows = [row for row in audit_rows(db) if subject is None or row.subject == subject]
    return rows[len(rows) // 2]


ROW_EDITS = [
    ("detail", '{"changes": [["archived", "yes", "no"]]}'),
    ("action", "patient viewed"),
    ("staff_id", None),
    ("subject_id", 999),
    ("at", "2026-11-24T09:00:00.000000+00:00"),
]


# The walk is the same Python on either database: PostgreSQL runs one case of each (the suite's time).
@pytest.mark.postgresql_for("session_event")
@pytest.mark.parametrize("subject", ["patient", "session_event", "session"])
def test_verify_names_a_row_edited_in_the_file(world: World, db: Database, subject: str) -> None:
    """Each column edited in turn (each edit undone before the next: one realistic run serves all)."""
    _realistic_run(world)
    target = _middle(db, subject)
    drop_triggers(db, "audit_log")
    for column, value in ROW_EDITS:
        with db.atomic() as edit:
            run_sql(db, f"UPDATE audit_log SET {column} = ? WHERE id = ?", (value, target.id))
            action = audit_rows(db, target.id - 1)[0].action  # as the edited row now says
            report = verify_audit(db)
            edit.rollback()
        assert not report.ok, column
        assert report.problem == f"row {target.id} ({action}) was changed after it was written", column
        assert report.rows == target.id, column
        assert str(report).startswith(f"Audit trail BROKEN: row {target.id} "), column
    assert verify_audit(db).ok  # every edit was undone


def test_verify_finds_a_row_whose_hash_was_recomputed_after_an_edit(world: World, db: Database) -> None:
    """An editor who also fixes the row's hash breaks the link to the row after it."""
    _realistic_run(world)
    target = _middle(db, "patient")
    drop_triggers(db, "audit_log")
    forged = target._replace(detail='{"changes": []}')
    run_sql(
        db,
        "UPDATE audit_log SET detail = ?, hash = ? WHERE id = ?",
        (forged.detail, recomputed(forged), target.id),
    )
    report = verify_audit(db)
    assert report.problem == f"row {target.id + 1} does not link to the row before it"


@pytest.mark.postgresql_for("middle-event")
@pytest.mark.parametrize("which", ["first", "middle", "middle-event", "two-in-a-row"])
def test_verify_finds_a_deleted_row(world: World, db: Database, which: str) -> None:
    _realistic_run(world)
    rows = audit_rows(db)
    target = {
        "first": rows[0],
        "middle": _middle(db, "patient"),
        "middle-event": _middle(db, "session_event"),
        "two-in-a-row": rows[len(rows) // 2],
    }[which]
    drop_triggers(db, "audit_log")
    run_sql(db, "DELETE FROM audit_log WHERE id = ?", (target.id,))
    if which == "two-in-a-row":
        run_sql(db, "DELETE FROM audit_log WHERE id = ?", (target.id + 1,))
    report = verify_audit(db)
    assert not report.ok
    assert report.problem == f"row {target.id} is missing"
    assert str(report).startswith(f"Audit trail BROKEN: row {target.id} is missing")


def test_a_deleted_last_row_changes_the_head_hash_that_was_written_down(world: World, db: Database) -> None:
    """The chain cannot show a cut tail by itself; the head hash, compared with a copy kept
    elsewhere, does."""
    _realistic_run(world)
    written_down = verify_audit(db).head_hash
    last = audit_rows(db)[-1]
    assert last.subject == "print_log"
    drop_triggers(db, "audit_log")
    run_sql(db, "DELETE FROM audit_log WHERE id = ?", (last.id,))
    report = verify_audit(db)
    assert report.head_hash != written_down
    assert report.head_hash == last.prev_hash


def _append_raw(db: Database, row: AuditRow) -> None:
    run_sql(db, f"INSERT INTO audit_log ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", tuple(row))


@pytest.mark.postgresql_for("gap")
@pytest.mark.parametrize("forgery", ["made-up-hash", "links-to-an-older-row", "before-the-first", "gap"])
def test_verify_finds_a_row_slipped_in(world: World, db: Database, forgery: str) -> None:
    _realistic_run(world)
    rows = audit_rows(db)
    head = rows[-1]
    base = AuditRow(
        head.id + 1, head.at, world.nurse.id, "printed", "print_log", 1, '{"pages": 1}', head.hash, "e" * 64
    )
    if forgery == "made-up-hash":
        forged, expected = base, f"row {base.id} (printed) was changed after it was written"
    elif forgery == "links-to-an-older-row":
        forged = base._replace(prev_hash=rows[-2].hash)
        forged = forged._replace(hash=recomputed(forged))
        expected = f"row {base.id} does not link to the row before it"
    elif forgery == "before-the-first":
        if isinstance(db, SqliteDatabase):  # PostgreSQL has no REPLACE, so no trigger to refuse it
            run_sql(db, "DROP TRIGGER audit_log_append_only")  # it refuses any row before the last
        forged = base._replace(id=0, prev_hash=GENESIS)
        forged = forged._replace(hash=recomputed(forged))
        expected = "row 1 is missing"
    else:
        forged = base._replace(id=head.id + 5)
        forged = forged._replace(hash=recomputed(forged))
        expected = f"row {head.id + 1} is missing"
    _append_raw(db, forged)  # inserting is allowed: only UPDATE and DELETE are refused
    report = verify_audit(db)
    assert report.problem == expected


def test_verify_finds_a_forged_session_event_row_written_with_its_audit_row(
    world: World, db: Database
) -> None:
    """A made-up event with a made-up (but hash-free) audit row: the chain breaks at that row."""
    _realistic_run(world)
    session_id = world.start()
    head = audit_rows(db)[-1]
    cursor = run_sql(
        db,
        "INSERT INTO session_event (session_id, kind, item_id, staff_id, at, values_json, text) "
        "VALUES (?, 'tick', 'identity', ?, '2026-11-25 09:30:00', '{}', '') RETURNING id",
        (session_id, world.nurse.id),
    )
    event_id = cursor.fetchone()[0]
    detail = world.event(session_id, "tick", world.nurse, "identity")
    detail["at"] = "2026-11-25T09:30:00.000000+00:00"
    forged = AuditRow(
        head.id + 1,
        head.at,
        world.nurse.id,
        "tick",
        "session_event",
        event_id,
        json.dumps(detail),
        "0" * 64,
        "1" * 64,
    )
    _append_raw(db, forged)
    assert verify_audit(db).problem == f"row {head.id + 1} does not link to the row before it"


EVENT_EDITS = {
    "text": "UPDATE session_event SET text = 'Patient fine' WHERE id = ?",
    "values": """UPDATE session_event SET values_json = '{"fitzpatrick": "II"}' WHERE id = ?""",
    "values-same-json-other-spacing": (
        """UPDATE session_event SET values_json = '{"fitzpatrick":"V"}' WHERE id = ?"""
    ),
    "at": "UPDATE session_event SET at = '2026-11-25 08:00:00' WHERE id = ?",
    "kind": "UPDATE session_event SET kind = 'note' WHERE id = ?",
    "item": "UPDATE session_event SET item_id = 'photos' WHERE id = ?",
    "staff": "UPDATE session_event SET staff_id = (SELECT max(id) FROM staff) WHERE id = ?",
    "corrects": "UPDATE session_event SET corrects_id = id - 1 WHERE id = ?",
}


def test_verify_finds_a_session_event_edited_in_the_file(world: World, db: Database, desk: Desk) -> None:
    """Each edit in turn (each undone before the next: one realistic run serves all)."""
    _realistic_run(world)
    session_id = world.start()
    # The last event: a flagged skin type ticked by the nurse (so the staff edit names someone else).
    desk.sessions.tick(session_id, "identity", SIGN_IN["identity"], world.nurse.id)
    event_id = desk.sessions.tick(session_id, "skin_type", {"fitzpatrick": "V"}, world.nurse.id).events[-1].id
    rows_before = audit_rows(db)
    drop_triggers(db, "session_event")
    for name, statement in EVENT_EDITS.items():
        with db.atomic() as edit:
            run_sql(db, statement, (event_id,))
            rows_after_edit = audit_rows(db)
            report = verify_audit(db)
            edit.rollback()
        assert rows_after_edit == rows_before, name  # the trail itself is untouched
        assert not report.ok, name
        assert report.problem == f"session event {event_id} differs from its audit row", name
        assert report.rows == len(rows_before), name
        assert report.head_hash == rows_before[-1].hash, name
    assert verify_audit(db).ok  # every edit was undone


@pytest.mark.sqlite_only
def test_an_events_check_beside_the_walk_that_crashes_is_done_again_and_finds_an_edited_event(
    desk: Desk, db: Database, nurse: Staff, zoe: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = desk.sessions.start_session(zoe.id, nurse.id)
    event_id = (
        desk.sessions.add_note(session.id, None, "Patient asked about aftercare", nurse.id).events[-1].id
    )
    drop_triggers(db, "session_event")
    run_sql(db, "UPDATE session_event SET text = 'Patch test done' WHERE id = ?", (event_id,))
    events_problem = audit._events_problem

    def crashes_beside_the_walk(execute: Callable[[str], Any], *args: str) -> str | None:
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("not an sqlite3 error")
        return events_problem(execute, *args)

    monkeypatch.setattr(audit, "_events_problem", crashes_beside_the_walk)
    assert verify_audit(db).problem == f"session event {event_id} differs from its audit row"


@pytest.mark.sqlite_only
def test_a_verify_that_crashes_midway_closes_the_connection_of_its_events_check(
    db: Database, nurse: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[audit.EventsCheckAside | None] = []
    start = audit.EventsCheckAside.start

    def kept(checked: Database) -> audit.EventsCheckAside | None:
        started.append(start(checked))
        return started[-1]

    def crash(*_: object) -> None:
        raise RuntimeError("the walk crashed")

    monkeypatch.setattr(audit.EventsCheckAside, "start", staticmethod(kept))
    monkeypatch.setattr(SealBook, "see", crash)  # on the nurse's first sealed row
    with pytest.raises(RuntimeError, match="the walk crashed"):
        verify_audit(db)
    (aside,) = started
    assert aside is not None
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        aside._connection.execute("SELECT 1")  # no file left open by a verify that crashed


def test_verify_finds_a_session_event_with_no_audit_row(world: World, db: Database, desk: Desk) -> None:
    _realistic_run(world)
    session_id = world.start()
    cursor = run_sql(
        db,
        "INSERT INTO session_event (session_id, kind, item_id, staff_id, at, values_json, text) "
        "VALUES (?, 'tick', 'identity', ?, '2026-11-25 09:30:00', ?, '') RETURNING id",
        (session_id, world.nurse.id, values_text(SIGN_IN["identity"])),
    )
    event_id = cursor.fetchone()[0]
    assert desk.sessions.session(session_id).events[-1].id == event_id  # the record would show it
    report = verify_audit(db)
    assert report.problem == f"session event {event_id} has no audit row"


def test_verify_finds_a_session_event_deleted_from_the_file(world: World, db: Database, desk: Desk) -> None:
    _realistic_run(world)
    session_id = world.start()
    desk.sessions.tick(session_id, "skin_type", {"fitzpatrick": "V"}, world.nurse.id)
    override = desk.sessions.override(
        session_id, "skin_type", "Test patch fine", world.clinician.id, world.nurse.id, PIN
    )
    event_id = override.events[-1].id
    drop_triggers(db, "session_event")
    run_sql(db, "DELETE FROM session_event WHERE id = ?", (event_id,))
    report = verify_audit(db)
    assert not report.ok
    assert f"session event {event_id}" in report.problem


def test_verify_reports_the_first_break_only(world: World, db: Database) -> None:
    _realistic_run(world)
    rows = audit_rows(db)
    drop_triggers(db, "audit_log")
    run_sql(db, "UPDATE audit_log SET detail = '{}' WHERE id = ?", (rows[-2].id,))
    run_sql(db, "UPDATE audit_log SET detail = '{}' WHERE id = ?", (rows[3].id,))
    assert verify_audit(db).problem.startswith(f"row {rows[3].id} (")


# --- 4b. the command -------------------------------------------------------------------------------


def test_cli_verify_of_an_intact_trail_exits_0_with_count_and_head_hash(
    world: World, db: Database, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _realistic_run(world)
    rows = audit_rows(db)
    db.close()
    assert cli.main(["audit", "verify", "--db", db_url]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == f"Audit trail intact: {len(rows)} rows; head hash {rows[-1].hash}."
    assert err == ""


def test_cli_verify_takes_the_database_before_the_command_and_from_the_environment(
    world: World,
    db: Database,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    head = audit_rows(db)[-1].hash
    db.close()
    assert cli.main(["--db", db_url, "audit", "verify"]) == 0
    monkeypatch.setenv(cli.DATABASE_ENV, db_url if "://" in db_url else f"sqlite:///{db_url}")
    assert cli.main(["audit", "verify"]) == 0
    out, _ = capsys.readouterr()
    first, second = out.splitlines()
    assert head in first
    assert second.startswith("Audit trail intact")  # on a server, with the first run's own record after it


@pytest.mark.postgresql_for("edit-event")
@pytest.mark.parametrize("tamper", ["edit-row", "delete-row", "edit-event"])
def test_cli_verify_of_a_broken_trail_exits_1_naming_the_break(
    world: World, db: Database, db_url: str, capsys: pytest.CaptureFixture[str], tamper: str
) -> None:
    _realistic_run(world)
    target = _middle(db, "patient")
    event_id = _middle(db, "session_event").subject_id
    if tamper == "edit-event":
        drop_triggers(db, "session_event")
        run_sql(db, "UPDATE session_event SET text = 'nothing happened' WHERE id = ?", (event_id,))
        expected = f"session event {event_id} differs from its audit row"
    else:
        drop_triggers(db, "audit_log")
        if tamper == "edit-row":
            run_sql(db, "UPDATE audit_log SET detail = '{}' WHERE id = ?", (target.id,))
            expected = f"row {target.id} ({target.action}) was changed after it was written"
        else:
            run_sql(db, "DELETE FROM audit_log WHERE id = ?", (target.id,))
            expected = f"row {target.id} is missing"
    db.close()
    assert cli.main(["audit", "verify", "--db", db_url]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"Audit trail BROKEN: {expected}.")


def test_cli_verify_of_a_missing_database_exits_2_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.sqlite3"
    assert cli.main(["audit", "verify", "--db", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("desk-app audit: ") and str(missing) in err
    assert not missing.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["missing-folder", "folder", "not-a-database", "other-scheme"])
def test_cli_verify_of_a_database_it_cannot_open_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    if kind == "missing-folder":
        target = str(tmp_path / "no-such-folder" / "desk.sqlite3")
    elif kind == "folder":
        target = str(tmp_path)
    elif kind == "not-a-database":
        text = tmp_path / "notes.txt"
        text.write_text("shopping list\n")
        target = str(text)
    else:
        target = "postgresql://clinic/desk"
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert cli.main(["audit", "verify", "--db", target]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("desk-app audit: ")
    assert {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()} == before
    assert not (tmp_path / "no-such-folder").exists()


# --- 5. migration 5 on a database from before the trail --------------------------------------------


def _insert(db: Database, table: str, **values: object) -> int:
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    return run_sql(db, f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(values.values())).lastrowid


def test_migration_5_enters_every_existing_session_event_in_the_trail(
    tmp_path: Path, procedure: Procedure, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.sqlite3"
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:4])
        patch.setattr(migrations, "LATEST_VERSION", 4)
        old = open_database(str(path))
        assert migrations.schema_version(old) == 4
        assert not old.table_exists("audit_log")
        with old.atomic():
            nurse = _insert(old, "staff", name="Ann Nurse", initials="AN", role="nurse", active=1,
                            created_at="2025-06-01 08:00:00")  # fmt: skip
            doctor = _insert(old, "staff", name="Dr Clive Doctor", initials="CD", role="clinician", active=1,
                             created_at="2025-06-01 08:00:00")  # fmt: skip
            patient = _insert(old, "patient", given_names="Zoë", family_name="O'Brien",
                              date_of_birth="1990-02-03", clinic_number="AZ-00012",
                              search_text="ZOE O'BRIEN", created_at="2025-06-01 09:00:00",
                              created_by_id=nurse, sort_key="obrien zoe")  # fmt: skip
            version = _insert(old, "procedure_version", procedure_id=procedure.id, version=procedure.version,
                              sha256="f" * 64, source=procedure.source)  # fmt: skip
            session = _insert(old, "treatment_session", patient_id=patient, procedure_id=version,
                              session_number=1, status="in progress", started_at="2025-07-01 08:59:00",
                              started_by_id=nurse, holder_id=nurse)  # fmt: skip
            events = [
                # Summer (BST) instants, stored as UTC: the trail must not shift them by an hour.
                ("tick", "identity", nurse, "2025-07-01 09:00:00", values_text(SIGN_IN["identity"]), "",
                 None),
                ("tick", "skin_type", nurse, "2025-07-01 09:01:00.250000", '{"fitzpatrick": "V"}', "", None),
                ("override", "skin_type", doctor, "2025-07-01 09:02:00",
                 values_text({"entered_by_id": nurse, "entered_by": "Ann Nurse"}), "Patch test fine", None),
                ("note", None, nurse, "2025-07-01 09:03:00", "{}", "Zoë asked: «how long?»\nTwo lines", None),
            ]  # fmt: skip
            event_ids = []
            for kind, item, staff, at, values, text, corrects in events:
                event_ids.append(
                    _insert(
                        old,
                        "session_event",
                        session_id=session,
                        kind=kind,
                        item_id=item,
                        staff_id=staff,
                        at=at,
                        values_json=values,
                        text=text,
                        corrects_id=corrects,
                    )  # fmt: skip
                )
            # A correction pointing at the first tick.
            event_ids.append(
                _insert(
                    old,
                    "session_event",
                    session_id=session,
                    kind="correction",
                    item_id="identity",
                    staff_id=nurse,
                    at="2025-07-01 09:04:00",
                    values_json="{}",
                    text="Wrong identifier",
                    corrects_id=event_ids[0],
                )  # fmt: skip
            )
        old.close()

    db = open_database(str(path))
    try:
        assert migrations.schema_version(db) == migrations.LATEST_VERSION
        assert len(list(tmp_path.glob("old.before-v5.*.sqlite3"))) == 1
        rows = audit_rows(db)[: len(event_ids)]
        assert [row.subject_id for row in rows] == event_ids
        assert [row.id for row in rows] == list(range(1, len(event_ids) + 1))
        for row in rows:
            assert (row.action, row.subject, row.staff_id) == (
                "recorded before the audit trail",
                "session_event",
                None,
            )
            assert datetime.fromisoformat(row.at).utcoffset() == timedelta(0)
        assert rows[0].prev_hash == GENESIS
        details = [json.loads(row.detail) for row in rows]
        assert [detail["at"] for detail in details] == [
            "2025-07-01 09:00:00",
            "2025-07-01 09:01:00.250000",
            "2025-07-01 09:02:00",
            "2025-07-01 09:03:00",
            "2025-07-01 09:04:00",
        ]
        assert details[3]["text"] == "Zoë asked: «how long?»\nTwo lines"
        assert details[4]["corrects"] == event_ids[0]
        assert details[2]["staff"] == doctor
        report = verify_audit(db)
        assert report.ok, report.problem

        # The trail goes on from there: a new event chains onto the migrated rows.
        desk = Desk(db, procedure, clock)
        clock.set(datetime(2025, 7, 1, 9, 10, tzinfo=UTC))
        record = desk.sessions.tick(session, "consent", SIGN_IN["consent"], nurse)
        newest = audit_rows(db)[-1]
        assert (newest.action, newest.subject_id, newest.prev_hash) == (
            "tick",
            record.events[-1].id,
            audit_rows(db)[-2].hash,
        )
        assert verify_audit(db).ok

        # And an old event edited afterwards in the file is found against its migrated row.
        drop_triggers(db, "session_event")
        run_sql(db, "UPDATE session_event SET text = 'Patch test not done' WHERE id = ?", (event_ids[2],))
        assert verify_audit(db).problem == f"session event {event_ids[2]} differs from its audit row"
    finally:
        db.close()


def test_migration_5_on_a_database_with_no_events_starts_an_empty_trail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.sqlite3"
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:4])
        patch.setattr(migrations, "LATEST_VERSION", 4)
        open_database(str(path)).close()
    db = open_database(str(path))
    try:
        assert [row.action for row in audit_rows(db)].count("recorded before the audit trail") == 0
        assert verify_audit(db).ok
        assert audit_triggers(db) == {"audit_log_no_update", "audit_log_no_delete", "audit_log_append_only"}
    finally:
        db.close()


@pytest.mark.sqlite_only
def test_a_new_database_has_the_trigger_pair_too(db: Database) -> None:
    """Migration 5 runs on a new database as well, so its audit_log refuses alike."""
    assert audit_triggers(db) == {"audit_log_no_update", "audit_log_no_delete", "audit_log_append_only"}


def test_the_report_of_a_new_database_says_one_row_not_one_rows() -> None:
    assert str(AuditReport(1, "ab", None)) == "Audit trail intact: 1 row; head hash ab."
    assert str(AuditReport(2, "ab", None)) == "Audit trail intact: 2 rows; head hash ab."
