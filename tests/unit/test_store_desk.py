"""The Desk service: each user action validates, writes in one transaction, and is append-only. No Qt."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from peewee import Database, IntegrityError

from desk_app.domain.clinical_rules import CourseContext
from desk_app.domain.clock import ManualClock
from desk_app.domain.dates import local_today
from desk_app.domain.errors import ActionRefused, DomainError, ValidationError
from desk_app.domain.people import Patient, Staff
from desk_app.domain.procedure import Procedure, parse_procedure
from desk_app.domain.refusals import SessionAlreadyInProgress
from desk_app.domain.session import EventKind, ItemStatus, SessionRecord
from desk_app.store import sessions as store_sessions
from desk_app.store.desk import Desk
from tests.support.lasers import TEST_LASER_VALUE, laser_ready
from tests.support.people import PIN, add_member
from tests.support.raw_sql import run_sql, stored_utc_text
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT, tick_all

pytestmark = pytest.mark.both_databases


def count(db: Database, table: str) -> int:
    return run_sql(db, f"SELECT count(*) FROM {table}").fetchone()[0]


def count_events(db: Database) -> int:
    """Session events other than the 'course' event each session starts with."""
    return run_sql(db, "SELECT count(*) FROM session_event WHERE kind <> 'course'").fetchone()[0]


def raw_event(db: Database, event_id: int) -> tuple:
    return run_sql(db, "SELECT * FROM session_event WHERE id = ?", (event_id,)).fetchone()


def session_row(db: Database, session_id: int) -> tuple[str, str | None]:
    status, ended_at = run_sql(
        db, "SELECT status, ended_at FROM treatment_session WHERE id = ?", (session_id,)
    ).fetchone()
    return status, stored_utc_text(ended_at)


def walk_to_time_out(desk: Desk, clock: ManualClock, session_id: int, staff_id: int) -> SessionRecord:
    tick_all(desk, session_id, SIGN_IN, staff_id)
    tick_all(desk, session_id, ANAESTHETIC, staff_id)
    clock.advance(minutes=61)
    return tick_all(desk, session_id, TIME_OUT, staff_id)


def walk_to_sign_out(
    desk: Desk,
    clock: ManualClock,
    session_id: int,
    staff_id: int,
    laser: dict[str, dict[str, Any]] = LASER,
) -> SessionRecord:
    walk_to_time_out(desk, clock, session_id, staff_id)
    tick_all(desk, session_id, laser, staff_id)
    tick_all(desk, session_id, SIGN_OUT, staff_id)
    return desk.sessions.sign_out(session_id, staff_id, PIN)


@pytest.fixture
def zoe(desk: Desk, nurse: Staff) -> Patient:
    return desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-0001", nurse.id)


@pytest.fixture
def ann(desk: Desk, nurse: Staff) -> Patient:
    return desk.patients.register_patient("Ann", "Smith", "1975-06-30", "AZ-0002", nurse.id)


# --- staff ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "initials", "role"),
    [
        pytest.param("   ", "BB", "nurse", id="blank-name"),
        pytest.param("Bea Brown", "", "nurse", id="blank-initials"),
        pytest.param("Bea Brown", "B1", "nurse", id="digit-in-initials"),
        pytest.param("Bea Brown", "BB", "porter", id="unknown-role"),
    ],
)
def test_add_staff_refuses_bad_input_and_writes_nothing(
    desk: Desk, db: Database, nurse: Staff, name: str, initials: str, role: str
) -> None:
    before = count(db, "staff")
    with pytest.raises(ValidationError):
        add_member(desk, name, initials, role)
    assert count(db, "staff") == before


def test_add_staff_refuses_initials_already_in_use_whatever_their_case(
    desk: Desk, db: Database, nurse: Staff
) -> None:
    before = count(db, "staff")
    with pytest.raises(ValidationError, match="AN already belong to Ann Nurse"):
        add_member(desk, "Alan Newman", " an ", "clinician")
    assert count(db, "staff") == before


def test_add_staff_stores_a_valid_member(desk: Desk, nurse: Staff, clinician: Staff) -> None:
    assert [(s.name, s.initials, s.role.value) for s in desk.accounts.list_staff()] == [
        ("Ada Admin", "AA", "administrator"),
        ("Ann Nurse", "AN", "nurse"),
        ("Dr Clive Doctor", "CD", "clinician"),
    ]


# --- patients ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "family", "birth", "number", "message"),
    [
        pytest.param(" ", "Smith", "1990-01-01", "AZ-9", "First names", id="blank-given-name"),
        pytest.param("Ann", "\t", "1990-01-01", "AZ-9", "Surname", id="blank-family-name"),
        pytest.param("Ann", "Smith", "2026-11-26", "AZ-9", "future", id="born-tomorrow"),
        pytest.param("Ann", "Smith", "1990-02-30", "AZ-9", "not a real date", id="no-such-date"),
        pytest.param("Ann", "Smith", "1990-01-01", "AZ 9!", "Clinic number", id="bad-clinic-number"),
    ],
)
def test_register_patient_refuses_bad_input_and_writes_nothing(
    desk: Desk, db: Database, nurse: Staff, given: str, family: str, birth: str, number: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        desk.patients.register_patient(given, family, birth, number, nurse.id)
    assert count(db, "patient") == 0


def test_register_patient_refuses_a_birth_date_after_the_clocks_today(
    desk: Desk, db: Database, nurse: Staff, clock: ManualClock
) -> None:
    tomorrow = clock.now().date() + timedelta(days=1)
    with pytest.raises(ValidationError, match="future"):
        desk.patients.register_patient("Ann", "Smith", tomorrow, "AZ-9", nurse.id)
    assert count(db, "patient") == 0
    desk.patients.register_patient("Ann", "Smith", clock.now().date(), "AZ-9", nurse.id)  # born today is fine
    assert count(db, "patient") == 1


def test_register_patient_refuses_a_clinic_number_in_use_whatever_its_case(
    desk: Desk, db: Database, nurse: Staff, zoe: Patient
) -> None:
    with pytest.raises(ValidationError, match="AZ-0001 is already in use"):
        desk.patients.register_patient("Zed", "Other", "1980-01-01", " az-0001 ", nurse.id)
    assert count(db, "patient") == 1


def test_register_patient_needs_a_known_member_of_staff(desk: Desk, db: Database, nurse: Staff) -> None:
    with pytest.raises(ActionRefused):
        desk.patients.register_patient("Ann", "Smith", "1990-01-01", "AZ-9", 4242)
    assert count(db, "patient") == 0


def test_names_are_stored_exactly_as_typed(desk: Desk, db: Database, nurse: Staff) -> None:
    given = 'Zoë "Zo" <b>Renée</b>'
    family = "O'Brien-Nuñez & <i>Şahin</i>"
    patient = desk.patients.register_patient(given, family, "1990-02-03", "AZ-7", nurse.id)
    assert (patient.given_names, patient.family_name) == (given, family)
    assert desk.patients.patient(patient.id).given_names == given
    raw = run_sql(db, "SELECT given_names, family_name FROM patient WHERE id = ?", (patient.id,)).fetchone()
    assert raw == (given, family)


# --- search --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "zoe",
        "ZOE",
        "Zoë",
        "obrien",
        "O'Brien",
        "o'brien zoe",
        "03/02/1990",
        "1990-02-03",
        "AZ-0001",
        "az-0001",
    ],
)
def test_search_finds_her_by_name_date_of_birth_or_clinic_number(
    desk: Desk, zoe: Patient, ann: Patient, text: str
) -> None:
    assert [p.id for p in desk.patients.search_patients(text)] == [zoe.id]


def test_search_needs_every_word(desk: Desk, zoe: Patient, ann: Patient) -> None:
    assert desk.patients.search_patients("zoe smith") == []
    assert [p.id for p in desk.patients.search_patients("ann smith")] == [ann.id]


def test_search_does_not_match_a_different_date_of_birth(desk: Desk, zoe: Patient, ann: Patient) -> None:
    assert desk.patients.search_patients("02/03/1990") == []  # 2 March, not 3 February


@pytest.mark.parametrize("text", ["s%h", "s_ith", "%m_th"])
def test_search_percent_and_underscore_are_not_wildcards(desk: Desk, ann: Patient, text: str) -> None:
    # As SQL LIKE patterns these would all match "Smith".
    assert desk.patients.search_patients(text) == []


@pytest.mark.parametrize("text", ["smi%", "%smith", "_smith"])
def test_search_ignores_a_percent_or_underscore_beside_real_letters(
    desk: Desk, ann: Patient, zoe: Patient, text: str
) -> None:
    assert [p.id for p in desk.patients.search_patients(text)] == [ann.id]


@pytest.mark.parametrize("text", ["%", "_", "%_"])
def test_search_for_only_punctuation_finds_nobody(desk: Desk, ann: Patient, text: str) -> None:
    assert desk.patients.search_patients(text) == []


# --- starting sessions ---------------------------------------------------------------------------


def test_sessions_are_numbered_per_patient(
    desk: Desk, clock: ManualClock, nurse: Staff, zoe: Patient, ann: Patient
) -> None:
    first = desk.sessions.start_session(zoe.id, nurse.id)
    assert first.session_number == 1
    assert desk.sessions.start_session(ann.id, nurse.id).session_number == 1
    walk_to_sign_out(desk, clock, first.id, nurse.id)
    clock.advance(days=42)
    assert desk.sessions.start_session(zoe.id, nurse.id).session_number == 2


def test_a_second_session_in_progress_is_refused_naming_the_running_one(
    desk: Desk, db: Database, nurse: Staff, zoe: Patient
) -> None:
    running = desk.sessions.start_session(zoe.id, nurse.id)
    with pytest.raises(SessionAlreadyInProgress, match="Zoë O'Brien already has a session") as refused:
        desk.sessions.start_session(zoe.id, nurse.id)
    assert refused.value.session_id == running.id
    assert count(db, "treatment_session") == 1


def test_start_session_refuses_an_unknown_patient(desk: Desk, db: Database, nurse: Staff) -> None:
    with pytest.raises(ActionRefused, match="patient is not known"):
        desk.sessions.start_session(4242, nurse.id)
    assert count(db, "treatment_session") == 0


def test_event_times_are_aware_utc_and_the_clocks_instant(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, zoe: Patient
) -> None:
    session = desk.sessions.start_session(zoe.id, nurse.id)
    assert session.started_at == clock.now()
    instant = clock.advance(minutes=7, seconds=30, microseconds=250)
    record = desk.sessions.tick(session.id, "identity", SIGN_IN["identity"], nurse.id)
    event = record.events[-1]
    assert event.at == instant
    assert event.at.utcoffset() == timedelta(0)
    assert event.at.tzinfo is not None
    # A fresh Desk reads the same instant back from the file.
    reread = Desk(db, desk.procedure, clock).sessions.session(session.id).events[-1]
    assert reread.at == instant and reread.at.tzinfo is not None


# --- ticks and the append-only log ---------------------------------------------------------------


def test_each_tick_writes_exactly_one_event_row(desk: Desk, db: Database, nurse: Staff, zoe: Patient) -> None:
    session = desk.sessions.start_session(zoe.id, nurse.id)
    for number, (item_id, values) in enumerate(SIGN_IN.items(), start=1):
        record = desk.sessions.tick(session.id, item_id, values, nurse.id)
        assert count_events(db) == number
        last = record.events[-1]
        assert (last.kind, last.item_id, last.staff_id) == (EventKind.TICK, item_id, nurse.id)
        assert dict(last.values) == values


REFUSED_TICKS: dict[str, tuple[str, dict[str, Any], type[DomainError], str]] = {
    "locked-item": ("identity_read_back", {}, ActionRefused, "locked"),
    "bad-value": ("skin_type", {"fitzpatrick": "VII"}, ValidationError, "choose one of"),
    "missing-value": ("consent", {"form_version": "  "}, ValidationError, "fill this in"),
    "unknown-field": ("identity", {"second_identifier": "Date of birth", "x": 1}, ValidationError, "'x'"),
    "unknown-item": ("no_such_item", {}, ActionRefused, "not an item"),
    "countdown-item": ("gel_wait", {}, ActionRefused, "locked|countdown"),
}


@pytest.mark.parametrize("case", REFUSED_TICKS, ids=list(REFUSED_TICKS))
def test_a_refused_tick_writes_nothing(
    desk: Desk, db: Database, nurse: Staff, zoe: Patient, case: str
) -> None:
    item_id, values, error, message = REFUSED_TICKS[case]
    session = desk.sessions.start_session(zoe.id, nurse.id)
    with pytest.raises(error, match=message):
        desk.sessions.tick(session.id, item_id, values, nurse.id)
    assert count_events(db) == 0


def test_a_tick_by_unknown_staff_writes_nothing(desk: Desk, db: Database, nurse: Staff, zoe: Patient) -> None:
    session = desk.sessions.start_session(zoe.id, nurse.id)
    with pytest.raises(ActionRefused, match="not known"):
        desk.sessions.tick(session.id, "identity", SIGN_IN["identity"], 4242)
    assert count_events(db) == 0


def test_a_second_tick_of_the_same_item_is_refused(
    desk: Desk, db: Database, nurse: Staff, zoe: Patient
) -> None:
    session = desk.sessions.start_session(zoe.id, nurse.id)
    desk.sessions.tick(session.id, "identity", SIGN_IN["identity"], nurse.id)
    with pytest.raises(ActionRefused, match="already done"):
        desk.sessions.tick(session.id, "identity", {"second_identifier": "Clinic number"}, nurse.id)
    assert count_events(db) == 1


@pytest.fixture
def one_tick(desk: Desk, nurse: Staff, zoe: Patient) -> Iterator[tuple[int, int]]:
    """(session id, event id) of a session with its identity item ticked."""
    session = desk.sessions.start_session(zoe.id, nurse.id)
    record = desk.sessions.tick(session.id, "identity", SIGN_IN["identity"], nurse.id)
    yield session.id, record.events[-1].id


@pytest.mark.parametrize(
    "statement",
    [
        'UPDATE session_event SET values_json = \'{"second_identifier": "Clinic number"}\' WHERE id = ?',
        "UPDATE session_event SET at = '2020-01-01 00:00:00' WHERE id = ?",
        "DELETE FROM session_event WHERE id = ?",
    ],
    ids=["update-values", "update-time", "delete"],
)
def test_raw_sql_cannot_change_or_delete_an_event(
    db: Database, one_tick: tuple[int, int], statement: str
) -> None:
    _, event_id = one_tick
    before = raw_event(db, event_id)
    with pytest.raises(IntegrityError, match="append-only"):
        run_sql(db, statement, (event_id,))
    assert raw_event(db, event_id) == before
    assert count_events(db) == 1


def test_a_correction_adds_a_row_and_leaves_the_tick_as_it_was(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, one_tick: tuple[int, int]
) -> None:
    session_id, tick_id = one_tick
    original = raw_event(db, tick_id)
    clock.advance(minutes=2)
    record = desk.sessions.correct(session_id, "identity", "Patient gave a nickname; re-check", nurse.id)
    assert count_events(db) == 2
    assert raw_event(db, tick_id) == original
    correction = record.events[-1]
    assert correction.kind is EventKind.CORRECTION
    assert correction.corrects_id == tick_id
    assert correction.text == "Patient gave a nickname; re-check"
    assert [event.id for event in record.events if event.kind is not EventKind.COURSE] == [
        tick_id,
        correction.id,
    ]
    item = record.state(clock.now()).item("identity")
    assert item.tick is None and item.status is ItemStatus.OPEN
    assert [event.id for event in item.corrections] == [correction.id]


def test_a_correction_without_a_reason_writes_nothing(
    desk: Desk, db: Database, nurse: Staff, one_tick: tuple[int, int]
) -> None:
    session_id, _ = one_tick
    with pytest.raises(ValidationError):
        desk.sessions.correct(session_id, "identity", "   ", nurse.id)
    assert count_events(db) == 1


@pytest.fixture
def flagged_skin(desk: Desk, nurse: Staff, zoe: Patient) -> int:
    """A session whose skin type needs a clinician's override."""
    session = desk.sessions.start_session(zoe.id, nurse.id)
    record = desk.sessions.tick(session.id, "skin_type", {"fitzpatrick": "V"}, nurse.id)
    assert record.state(record.started_at).item("skin_type").status is ItemStatus.NEEDS_OVERRIDE
    return session.id


def test_an_override_by_a_nurse_is_refused_and_writes_only_the_refusals_audit_row(
    desk: Desk, db: Database, nurse: Staff, flagged_skin: int
) -> None:
    audit_rows = count(db, "audit_log")
    with pytest.raises(ActionRefused, match="only a clinician may override"):
        desk.sessions.override(flagged_skin, "skin_type", "Patient insists", nurse.id, nurse.id, PIN)
    assert count_events(db) == 1
    assert count(db, "audit_log") == audit_rows + 1  # issue 14: every refusal of who may is audited


def test_an_override_by_a_clinician_with_a_reason_is_recorded(
    desk: Desk, db: Database, clock: ManualClock, clinician: Staff, flagged_skin: int
) -> None:
    record = desk.sessions.override(
        flagged_skin, "skin_type", "Test patch fine last month", clinician.id, clinician.id, PIN
    )
    assert count_events(db) == 2
    override = record.events[-1]
    assert (override.kind, override.staff_id, override.text) == (
        EventKind.OVERRIDE,
        clinician.id,
        "Test patch fine last month",
    )
    assert record.state(clock.now()).item("skin_type").status is ItemStatus.OVERRIDDEN


def test_a_pass_on_an_area_without_gel_holds_up_sign_out_until_a_clinician_overrides_it(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, clinician: Staff, zoe: Patient
) -> None:
    """Issue 16: the gel went on the forehead and cheeks; the full-beam pass also treated the nose."""
    session = desk.sessions.start_session(zoe.id, nurse.id)
    walk_to_time_out(desk, clock, session.id, nurse.id)
    nose = {**LASER["full_beam_pass"], "areas": ["Cheeks", "Nose"]}
    record = tick_all(desk, session.id, {**LASER, "full_beam_pass": nose}, nurse.id)
    beam = record.state(clock.now()).item("full_beam_pass")
    assert (beam.status, beam.flags) == (ItemStatus.NEEDS_OVERRIDE, ("Not painted with gel: Nose",))
    events = count_events(db)
    with pytest.raises(ActionRefused, match="'Full-beam pass, 7 mm beam' .* flags a risk"):
        desk.sessions.tick(session.id, "stratamed", SIGN_OUT["stratamed"], nurse.id)
    with pytest.raises(ActionRefused, match="only a clinician may override"):
        desk.sessions.override(session.id, "full_beam_pass", "Nose looked numb", nurse.id, nurse.id, PIN)
    assert count_events(db) == events

    reason = "Gel had spread onto the nose; numb on testing, patient comfortable"
    record = desk.sessions.override(session.id, "full_beam_pass", reason, clinician.id, nurse.id, PIN)
    beam = record.state(clock.now()).item("full_beam_pass")
    assert (beam.status, beam.override.text if beam.override else None) == (ItemStatus.OVERRIDDEN, reason)
    tick_all(desk, session.id, SIGN_OUT, nurse.id)
    assert desk.sessions.sign_out(session.id, nurse.id, PIN).state(clock.now()).status.value == "signed out"


# --- ending sessions -----------------------------------------------------------------------------


def test_a_walked_session_signs_out_and_then_refuses_every_action(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, clinician: Staff, zoe: Patient
) -> None:
    session = desk.sessions.start_session(zoe.id, nurse.id)
    record = walk_to_sign_out(desk, clock, session.id, nurse.id)
    assert session_row(db, session.id) == ("signed out", clock.now().strftime("%Y-%m-%d %H:%M:%S"))
    assert record.state(clock.now()).status.value == "signed out"
    assert desk.sessions.sessions_in_progress() == []

    events = count_events(db)
    actions: list[Callable[[], object]] = [
        lambda: desk.sessions.tick(session.id, "cool_air", {"cool_air": "Declined"}, nurse.id),
        lambda: desk.sessions.sign_out(session.id, nurse.id, PIN),
        lambda: desk.sessions.correct(session.id, "cool_air", "Wrong answer", nurse.id),
        lambda: desk.sessions.correct(session.id, "operator_sign_out", "Too early", nurse.id),
        lambda: desk.sessions.override(
            session.id, "settings_read_back", "Reason", clinician.id, clinician.id, PIN
        ),
        lambda: desk.sessions.add_note(session.id, None, "A late note", nurse.id),
        lambda: desk.sessions.add_note(session.id, "cool_air", "A late note", nurse.id),
        lambda: desk.sessions.abort(session.id, "Changed mind", nurse.id),
    ]
    for action in actions:
        with pytest.raises(ActionRefused, match="signed out and locked|cannot be undone"):
            action()
    assert count_events(db) == events
    assert session_row(db, session.id)[0] == "signed out"


def test_abort_closes_the_session(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, zoe: Patient
) -> None:
    session = desk.sessions.start_session(zoe.id, nurse.id)
    tick_all(desk, session.id, SIGN_IN, nurse.id)
    clock.advance(minutes=3)
    record = desk.sessions.abort(session.id, "Patient felt faint", nurse.id)
    assert session_row(db, session.id) == ("aborted", clock.now().strftime("%Y-%m-%d %H:%M:%S"))
    assert record.events[-1].kind is EventKind.ABORT
    assert record.events[-1].text == "Patient felt faint"
    events = count_events(db)
    with pytest.raises(ActionRefused, match="treatment was stopped"):
        desk.sessions.tick(session.id, "gel_product", ANAESTHETIC["gel_product"], nurse.id)
    with pytest.raises(ActionRefused, match="treatment was stopped"):
        desk.sessions.abort(session.id, "Twice", nurse.id)
    assert count_events(db) == events
    # An aborted session does not block a new one, and does not count as a session done.
    assert desk.sessions.start_session(zoe.id, nurse.id).session_number == 1


def test_abort_without_a_reason_writes_nothing(desk: Desk, db: Database, nurse: Staff, zoe: Patient) -> None:
    session = desk.sessions.start_session(zoe.id, nurse.id)
    with pytest.raises(ValidationError):
        desk.sessions.abort(session.id, " ", nurse.id)
    assert count_events(db) == 0
    assert session_row(db, session.id) == ("in progress", None)


# --- reading sessions ----------------------------------------------------------------------------


def test_previous_values_is_empty_for_a_first_session(desk: Desk, nurse: Staff, zoe: Patient) -> None:
    session = desk.sessions.start_session(zoe.id, nurse.id)
    assert desk.sessions.previous_values(session) == (None, {})


def test_previous_values_are_the_laser_settings_of_the_last_signed_out_session(
    desk: Desk, clock: ManualClock, nurse: Staff, zoe: Patient, ann: Patient
) -> None:
    first = desk.sessions.start_session(zoe.id, nurse.id)
    first_day = clock.now().date()
    walk_to_sign_out(desk, clock, first.id, nurse.id)
    # Another patient's session with other settings must not leak in.
    other = desk.sessions.start_session(ann.id, nurse.id)
    walk_to_sign_out(desk, clock, other.id, nurse.id, laser={**LASER, "full_beam_pass": _beam(fluence=9.5)})

    # A later session of hers reached the laser with other settings, then was aborted: not signed out.
    clock.advance(days=30)
    aborted = desk.sessions.start_session(zoe.id, nurse.id)
    walk_to_time_out(desk, clock, aborted.id, nurse.id)
    tick_all(desk, aborted.id, {"full_beam_pass": _beam(fluence=7.0)}, nurse.id)
    desk.sessions.abort(aborted.id, "Laser fault", nurse.id)

    clock.advance(days=1)
    current = desk.sessions.start_session(zoe.id, nurse.id)
    when, values = desk.sessions.previous_values(current)
    assert when == first_day
    laser = {**TEST_LASER_VALUE, "id": laser_ready(desk)}  # as the session keeps it
    assert values == {
        item: {**LASER[item], "device": laser} for item in ("fractional_pass", "full_beam_pass")
    }


def _beam(fluence: float) -> dict[str, Any]:
    return {**LASER["full_beam_pass"], "fluence_j_cm2": fluence}


def test_sessions_in_progress_lists_only_running_sessions(
    desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    patients = [
        desk.patients.register_patient("Pat", f"Number {n}", "1980-01-01", f"AZ-10{n}", nurse.id)
        for n in range(4)
    ]
    sessions = [desk.sessions.start_session(patient.id, nurse.id) for patient in patients]
    walk_to_sign_out(desk, clock, sessions[0].id, nurse.id)
    desk.sessions.abort(sessions[1].id, "Did not attend", nurse.id)
    running = desk.sessions.sessions_in_progress()
    assert [record.id for record in running] == [sessions[2].id, sessions[3].id]
    assert [record.patient.family_name for record in running] == ["Number 2", "Number 3"]


def _count_queries(db: Database, monkeypatch: pytest.MonkeyPatch, action: Callable[[], object]) -> int:
    statements: list[str] = []
    real = db.execute_sql

    def counting(sql: str, params: object = None) -> object:
        statements.append(sql)
        return real(sql, params)

    with monkeypatch.context() as patch:
        patch.setattr(db, "execute_sql", counting)
        action()
    return len(statements)


def test_sessions_in_progress_loads_in_a_constant_number_of_queries(
    desk: Desk,
    db: Database,
    clock: ManualClock,
    nurse: Staff,
    clinician: Staff,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def add_sessions(how_many: int, start: int) -> None:
        for n in range(start, start + how_many):
            patient = desk.patients.register_patient(
                "Pat", f"Number {n}", "1980-01-01", f"AZ-20{n:02d}", nurse.id
            )
            session = desk.sessions.start_session(patient.id, nurse.id if n % 2 else clinician.id)
            desk.sessions.tick(session.id, "identity", SIGN_IN["identity"], nurse.id)
            desk.sessions.tick(session.id, "consent", SIGN_IN["consent"], clinician.id)

    add_sessions(2, 0)
    loaded: list[list[SessionRecord]] = []
    for_two = _count_queries(db, monkeypatch, lambda: loaded.append(desk.sessions.sessions_in_progress()))
    add_sessions(10, 2)
    for_twelve = _count_queries(db, monkeypatch, lambda: loaded.append(desk.sessions.sessions_in_progress()))
    assert [len(records) for records in loaded] == [2, 12]
    assert all(len(record.events) == 3 for record in loaded[1])  # the course, identity, consent
    assert {record.events[2].staff_initials for record in loaded[1]} == {"CD"}
    assert {record.holder.initials for record in loaded[1]} == {"AN", "CD"}
    assert for_two > 0
    assert for_twelve == for_two


# --- the procedure version stays with the session ------------------------------------------------

OLD_LABEL = 'label = "Identity confirmed with two identifiers"'
NEW_LABEL = 'label = "Identity checked: name and date of birth"'


@pytest.fixture
def procedure_v1_6(procedure: Procedure) -> Procedure:
    assert procedure.version == "1.5"
    source = procedure.source.replace('version = "1.5"', 'version = "1.6"', 1).replace(
        OLD_LABEL, NEW_LABEL, 1
    )
    assert source.count('version = "1.6"') == 1 and NEW_LABEL in source
    return parse_procedure(source, "laser-acne-scarring 1.6 (test)")


def test_old_sessions_keep_the_procedure_version_they_ran(
    desk: Desk,
    db: Database,
    clock: ManualClock,
    nurse: Staff,
    zoe: Patient,
    ann: Patient,
    procedure_v1_6: Procedure,
) -> None:
    old = desk.sessions.start_session(zoe.id, nurse.id)
    desk.sessions.tick(old.id, "identity", SIGN_IN["identity"], nurse.id)

    updated = Desk(db, procedure_v1_6, clock)  # the app restarted with a new procedure file
    new = updated.sessions.start_session(ann.id, nurse.id)
    assert new.procedure.version == "1.6"
    assert new.procedure.item("identity").label == "Identity checked: name and date of birth"

    reloaded = updated.sessions.session(old.id)
    assert reloaded.procedure.version == "1.5"
    assert reloaded.procedure.item("identity").label == "Identity confirmed with two identifiers"
    assert reloaded.procedure.source == desk.procedure.source
    by_id = {record.id: record.procedure.version for record in updated.sessions.sessions_in_progress()}
    assert by_id == {old.id: "1.5", new.id: "1.6"}
    # The old session goes on under its own version.
    record = updated.sessions.tick(old.id, "consent", SIGN_IN["consent"], nurse.id)
    assert record.procedure.version == "1.5"
    assert count(db, "procedure_version") == 2
    versions = run_sql(db, "SELECT version FROM procedure_version ORDER BY id").fetchall()
    assert versions == [("1.5",), ("1.6",)]


def test_the_same_procedure_is_stored_once(
    desk: Desk, db: Database, nurse: Staff, zoe: Patient, ann: Patient
) -> None:
    desk.sessions.start_session(zoe.id, nurse.id)
    desk.sessions.start_session(ann.id, nurse.id)
    assert count(db, "procedure_version") == 1


def test_a_session_starts_with_the_course_as_it_stood_and_judges_the_interval_on_it(
    desk: Desk, clock: ManualClock, nurse: Staff, zoe: Patient
) -> None:
    first_day = local_today(clock.now())
    first = desk.sessions.start_session(zoe.id, nurse.id)
    assert first.state(clock.now()).course_context == CourseContext(1, first_day, None, 3)
    tick_all(desk, first.id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    clock.advance(minutes=61)
    tick_all(desk, first.id, {**TIME_OUT, **LASER, **SIGN_OUT, "operator_sign_out": {}}, nurse.id)
    clock.advance(days=10)
    second = desk.sessions.start_session(zoe.id, nurse.id)
    context = second.state(clock.now()).course_context
    assert context == CourseContext(2, first_day + timedelta(days=10), first_day, 3)
    record = desk.sessions.tick(second.id, "course_interval", {}, nurse.id)
    assert record.state(clock.now()).item("course_interval").status is ItemStatus.NEEDS_OVERRIDE


def test_a_service_is_made_when_first_used_then_kept_though_two_threads_reach_for_it_at_once(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Services are made when first used (a start imports only those of its first screen), and once:
    the window's thread and the database worker may both reach for one first."""
    fresh = Desk(desk.db, desk.procedure, desk.clock, desk.hasher)
    assert "sessions" not in vars(fresh) and "patients" not in vars(fresh)
    made_by_hand: list[object] = []
    make = store_sessions.Sessions.__init__

    def slowly(self: object, *args: object) -> None:  # a make that takes its time: both threads in it
        made_by_hand.append(self)
        time.sleep(0.05)
        make(self, *args)

    monkeypatch.setattr(store_sessions.Sessions, "__init__", slowly)
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda _: fresh.sessions, range(8)))
    assert len(made_by_hand) == 1  # made once
    assert all(one is made[0] for one in made) and fresh.sessions is made[0]
    assert fresh.patients is fresh.patients  # and the services it was made with, kept too
