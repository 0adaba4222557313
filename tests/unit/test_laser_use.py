"""The laser a session uses (issue 15, points 2-4): chosen at the time-out, where the staff confirm its
eyewear marking, and named by each pass; usable only after that day's pre-use check has passed;
out of use for the day after a failed one; never once retired; a pass with its service overdue needs
a clinician's override. Each stop is enforced by the store, inside the tick's transaction."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from peewee import Database

from desk_app.domain.clock import ManualClock
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.people import Patient, Staff
from desk_app.domain.permissions import PermissionRefused
from desk_app.domain.procedure import Procedure, parse_procedure
from desk_app.domain.session import ItemStatus
from desk_app.store.desk import Desk
from tests.support.lasers import TEST_LASER_MARKING, passed_answers, register_test_laser
from tests.support.people import PIN, add_member
from tests.support.raw_sql import run_sql
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, TIME_OUT, tick_all

# The checks' rows, their day and their triggers on both databases; the rules above them on SQLite.
pytestmark = pytest.mark.both_databases

BEFORE_EYEWEAR = ("identity_read_back", "gel_removed", "anaesthetic_toxicity", "patient_eye_protection")


@pytest.fixture
def zoe(desk: Desk, nurse: Staff) -> Patient:
    return desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-0001", nurse.id)


@pytest.fixture
def laser(desk: Desk) -> int:
    """The test laser, registered, not yet checked today."""
    return register_test_laser(desk)


def at_the_eyewear(desk: Desk, clock: ManualClock, patient: Patient, nurse: Staff) -> int:
    """A session through sign-in, the gel's hour and the time-out's items before the eyewear."""
    session_id = desk.sessions.start_session(patient.id, nurse.id).id
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    clock.advance(minutes=61)
    tick_all(desk, session_id, {item: TIME_OUT[item] for item in BEFORE_EYEWEAR}, nurse.id)
    return session_id


def at_the_passes(desk: Desk, clock: ManualClock, patient: Patient, nurse: Staff, laser: int) -> int:
    session_id = at_the_eyewear(desk, clock, patient, nurse)
    desk.sessions.tick(session_id, "staff_eyewear", {"device": laser}, nurse.id)
    tick_all(desk, session_id, {"cool_air": TIME_OUT["cool_air"], "settings_read_back": {}}, nurse.id)
    return session_id


def fractional(laser: int) -> dict[str, Any]:
    return {**LASER["fractional_pass"], "device": laser}


def rows(db: Database) -> list[list[tuple]]:
    tables = ("session_event", "laser_device_check", "audit_log")
    return [run_sql(db, f"SELECT * FROM {table} ORDER BY id").fetchall() for table in tables]


def check(desk: Desk, laser: int, staff: Staff, note: str = "", **failed: bool) -> None:
    desk.device_checks.record_pre_use_check(laser, passed_answers(desk, **failed), note, staff.id)


# --- the hard stops ---------------------------------------------------------------------------------


def test_a_laser_not_checked_today_cannot_be_chosen_and_nothing_is_written(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, zoe: Patient, laser: int
) -> None:
    session_id = at_the_eyewear(desk, clock, zoe, nurse)
    before = rows(db)
    with pytest.raises(
        ActionRefused, match="Hard stop: the Fotona SP Dynamis .* has not had today's pre-use"
    ):
        desk.sessions.tick(session_id, "staff_eyewear", {"device": laser}, nurse.id)
    assert rows(db) == before
    check(desk, laser, nurse)
    record = desk.sessions.tick(session_id, "staff_eyewear", {"device": laser}, nurse.id)
    assert record.events[-1].values == {
        "device": {
            "id": laser,
            "name": "Fotona SP Dynamis (serial SP-TEST-1)",
            "serial_number": "SP-TEST-1",
            "eyewear_marking": TEST_LASER_MARKING,
        }
    }


@pytest.mark.sqlite_only  # the rule is the store's; the database's part is tested on both
def test_yesterdays_check_does_not_hold_today(
    desk: Desk, clock: ManualClock, nurse: Staff, zoe: Patient, laser: int
) -> None:
    check(desk, laser, nurse)
    clock.advance(days=1)
    session_id = at_the_passes_after_a_new_check(desk, clock, zoe, nurse, laser)
    assert (
        desk.sessions.session(session_id).state(clock.now()).item("staff_eyewear").status is ItemStatus.DONE
    )


def at_the_passes_after_a_new_check(
    desk: Desk, clock: ManualClock, patient: Patient, nurse: Staff, laser: int
) -> int:
    session_id = at_the_eyewear(desk, clock, patient, nurse)
    with pytest.raises(ActionRefused, match="has not had today's pre-use safety check"):
        desk.sessions.tick(session_id, "staff_eyewear", {"device": laser}, nurse.id)
    check(desk, laser, nurse)
    desk.sessions.tick(session_id, "staff_eyewear", {"device": laser}, nurse.id)
    return session_id


def test_a_failed_check_takes_the_laser_out_of_use_until_tomorrow(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, zoe: Patient, laser: int
) -> None:
    session_id = at_the_passes(desk, clock, zoe, nurse, laser_checked(desk, laser, nurse))
    clock.advance(minutes=5)
    with pytest.raises(ValidationError, match="A failed check needs a note"):
        check(desk, laser, nurse, plume_extraction=False)
    check(desk, laser, nurse, "Extractor not drawing", plume_extraction=False)  # checked again, failed

    use = desk.device_checks.device_use(laser)
    assert use.out_of_use and "Plume extraction working: Extractor not drawing" in (use.stop or "")
    before = rows(db)
    with pytest.raises(
        ActionRefused, match="Out of use today: the Fotona SP Dynamis .* failed its pre-use check"
    ):
        desk.sessions.tick(session_id, "fractional_pass", fractional(laser), nurse.id)
    with pytest.raises(ActionRefused, match="Out of use today"):
        check(desk, laser, nurse)  # no passing it again the same day
    assert rows(db) == before

    clock.advance(days=1)
    check(desk, laser, nurse)
    assert desk.device_checks.device_use(laser).stop is None


def laser_checked(desk: Desk, laser: int, staff: Staff) -> int:
    check(desk, laser, staff)
    return laser


@pytest.mark.sqlite_only  # the rule is the store's; the database's part is tested on both
def test_a_retired_laser_is_neither_checked_nor_used(
    desk: Desk, clock: ManualClock, admin: Staff, nurse: Staff, zoe: Patient, laser: int
) -> None:
    session_id = at_the_passes(desk, clock, zoe, nurse, laser_checked(desk, laser, nurse))
    desk.devices.retire_device(laser, "Sold", admin.id)
    with pytest.raises(ActionRefused, match="The Fotona SP Dynamis .* is retired"):
        desk.sessions.tick(session_id, "fractional_pass", fractional(laser), nurse.id)
    with pytest.raises(ActionRefused, match="is retired"):
        check(desk, laser, nurse)


@pytest.mark.sqlite_only  # the rule is the store's; the database's part is tested on both
def test_a_device_that_is_not_registered_or_not_an_id_is_refused(
    desk: Desk, clock: ManualClock, nurse: Staff, zoe: Patient, laser: int
) -> None:
    session_id = at_the_eyewear(desk, clock, zoe, nurse)
    for chosen, message in (
        (laser + 100, "That laser device is not registered"),
        ("Fraxel re:pair", "choose a registered laser device"),
        (True, "choose a registered laser device"),
        ({"id": laser, "name": "Forged", "serial_number": "X"}, "choose a registered laser device"),
    ):
        with pytest.raises(ActionRefused, match=message):
            desk.sessions.tick(session_id, "staff_eyewear", {"device": chosen}, nurse.id)
    with pytest.raises(ValidationError, match="Laser device: please fill this in"):
        desk.sessions.tick(session_id, "staff_eyewear", {}, nurse.id)


@pytest.mark.sqlite_only  # the rule is the store's; the database's part is tested on both
def test_a_pass_on_another_laser_than_the_eyewear_was_confirmed_for_is_refused(
    desk: Desk, clock: ManualClock, nurse: Staff, zoe: Patient, laser: int
) -> None:
    other = register_test_laser(desk, serial_number="SP-TEST-2", eyewear_marking="EN 207 D 2940 LB6")
    check(desk, laser, nurse)
    check(desk, other, nurse)
    session_id = at_the_passes(desk, clock, zoe, nurse, laser)
    with pytest.raises(
        ActionRefused, match=r"eyewear was confirmed for the .*SP-TEST-1\), not the .*SP-TEST-2\)"
    ):
        desk.sessions.tick(session_id, "fractional_pass", fractional(other), nurse.id)
    record = desk.sessions.tick(session_id, "fractional_pass", fractional(laser), nurse.id)
    assert record.events[-1].values["device"]["serial_number"] == "SP-TEST-1"


# --- the soft stop: a service overdue -----------------------------------------------------------------


@pytest.mark.sqlite_only  # the rule is the store's; the database's part is tested on both
def test_a_pass_with_the_service_overdue_needs_a_clinicians_override(
    desk: Desk, clock: ManualClock, admin: Staff, nurse: Staff, clinician: Staff, zoe: Patient
) -> None:
    due = date(2026, 12, 1)
    laser = register_test_laser(desk, next_service_on=due.isoformat())
    clock.set(clock.now() + timedelta(days=7))  # 2 December: the service was due yesterday
    check(desk, laser, nurse)
    assert desk.device_checks.device_use(laser).service_overdue
    session_id = at_the_passes(desk, clock, zoe, nurse, laser)  # the eyewear item: no flag
    record = desk.sessions.tick(session_id, "fractional_pass", fractional(laser), nurse.id)
    state = record.state(clock.now())
    item = state.item("fractional_pass")
    assert item.status is ItemStatus.NEEDS_OVERRIDE
    assert item.flags == (
        "Service overdue: the Fotona SP Dynamis (serial SP-TEST-1) was due a service on 01/12/2026",
    )
    assert state.item("staff_eyewear").status is ItemStatus.DONE
    record = desk.sessions.override(
        session_id, "fractional_pass", "LPA agreed by phone", clinician.id, nurse.id, PIN
    )
    assert record.state(clock.now()).item("fractional_pass").status is ItemStatus.OVERRIDDEN


# --- the check itself --------------------------------------------------------------------------------


@pytest.mark.sqlite_only  # the rule is the store's; the database's part is tested on both
def test_only_an_authorised_operator_checks_a_laser_and_every_item_is_answered(
    desk: Desk, db: Database, nurse: Staff, laser: int
) -> None:
    trainee = add_member(desk, "Tia Trainee", "TT", "nurse", laser_operator=False)
    with pytest.raises(PermissionRefused, match="Tia Trainee is not an authorised laser operator"):
        check(desk, laser, trainee)
    refused = "SELECT staff_id, subject, subject_id FROM audit_log WHERE action = 'refused: not permitted'"
    assert [tuple(row) for row in run_sql(db, refused).fetchall()] == [(trainee.id, "laser_device", laser)]
    answers = passed_answers(desk)
    del answers["emergency_stop"]
    with pytest.raises(ValidationError, match="'Emergency stop tested': answer passed or failed"):
        desk.device_checks.record_pre_use_check(laser, answers, "", nurse.id)
    with pytest.raises(ValidationError, match="'kettle' is not an item of the pre-use check"):
        desk.device_checks.record_pre_use_check(laser, {**passed_answers(desk), "kettle": True}, "", nurse.id)
    assert run_sql(db, "SELECT count(*) FROM laser_device_check").fetchone()[0] == 0


def test_a_check_keeps_who_when_each_answer_and_the_checklist_version_it_followed(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, laser: int
) -> None:
    check(desk, laser, nurse, "Two pairs of eyewear only", eyewear=False, test_fire=False)
    (kept,) = desk.device_checks.pre_use_checks(device_id=laser)
    assert (kept.passed, kept.staff_name, kept.at, kept.day) == (
        False,
        nurse.name,
        clock.now(),
        date(2026, 11, 25),
    )
    assert kept.failed_items == (
        "Eyewear present and undamaged for this wavelength",
        "Test fire as the maker describes",
    )
    assert kept.checklist_version == desk.pre_use_checklist.version == "1.0"
    stored = run_sql(db, "SELECT procedure_id, source FROM procedure_version").fetchall()
    assert ("laser-pre-use-check", desk.pre_use_checklist.source) in [tuple(row) for row in stored]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE laser_device_check SET passed = {true}", "DELETE FROM laser_device_check"],
)
def test_the_database_refuses_to_change_or_remove_a_check(
    desk: Desk, db: Database, nurse: Staff, laser: int, backend: str, statement: str
) -> None:
    check(desk, laser, nurse, "Key left in", warning_sign_and_key=False)
    true = "1" if backend == "sqlite" else "true"
    with pytest.raises(Exception, match="laser_device_check rows are append-only"), db.atomic():
        run_sql(db, statement.format(true=true))
    assert not desk.device_checks.pre_use_checks(device_id=laser)[0].passed


def test_a_session_whose_eyewear_was_confirmed_yesterday_needs_todays_check_for_its_passes(
    desk: Desk, clock: ManualClock, nurse: Staff, zoe: Patient, laser: int
) -> None:
    clock.set(clock.now().replace(hour=22, minute=0))  # a late evening: 22:00 GMT
    session_id = at_the_passes(desk, clock, zoe, nurse, laser_checked(desk, laser, nurse))
    clock.advance(hours=3)  # past midnight: yesterday's check no longer holds
    with pytest.raises(ActionRefused, match="has not had today's pre-use safety check"):
        desk.sessions.tick(session_id, "fractional_pass", fractional(laser), nurse.id)
    check(desk, laser, nurse)
    desk.sessions.tick(session_id, "fractional_pass", fractional(laser), nurse.id)


@pytest.mark.sqlite_only  # the rule is the store's; the database's part is tested on both
def test_the_marking_kept_is_the_one_the_nurse_read_and_still_the_lasers_at_each_pass(
    desk: Desk, clock: ManualClock, admin: Staff, nurse: Staff, zoe: Patient, laser: int
) -> None:
    check(desk, laser, nurse)
    session_id = at_the_eyewear(desk, clock, zoe, nurse)
    desk.devices.update_device(laser, {"eyewear_marking": "EN 207 D 2940 LB6"}, admin.id)  # at another desk
    seen = {"id": laser, "eyewear_marking_seen": TEST_LASER_MARKING}  # what the card still showed
    with pytest.raises(ActionRefused, match="marking of the Fotona .* has just changed to EN 207 D 2940 LB6"):
        desk.sessions.tick(session_id, "staff_eyewear", {"device": seen}, nurse.id)
    seen["eyewear_marking_seen"] = "EN 207 D 2940 LB6"
    record = desk.sessions.tick(session_id, "staff_eyewear", {"device": seen}, nurse.id)
    assert record.events[-1].values["device"]["eyewear_marking"] == "EN 207 D 2940 LB6"

    tick_all(desk, session_id, {"cool_air": TIME_OUT["cool_air"], "settings_read_back": {}}, nurse.id)
    desk.devices.update_device(laser, {"eyewear_marking": TEST_LASER_MARKING}, admin.id)
    with pytest.raises(
        ActionRefused, match="changed to EN 207 .D 2940 LB5. after the time-out. Undo 'Laser chosen"
    ):
        desk.sessions.tick(session_id, "fractional_pass", fractional(laser), nurse.id)


@pytest.mark.sqlite_only  # the rule is the store's; the database's part is tested on both
def test_a_session_under_a_procedure_before_registered_lasers_records_no_pass(
    desk: Desk, db: Database, procedure: Procedure, clock: ManualClock, nurse: Staff, zoe: Patient
) -> None:
    """Open at the upgrade to 1.3: its passes would escape the daily check, so they are refused."""
    old_text = (
        procedure.source.replace('version = "1.5"', 'version = "1.2"', 1)
        .replace("confirms_eyewear = true\n", "")
        .replace(
            '{ id = "device", label = "Laser device", type = "device" },',
            '{ id = "device", label = "Device", type = "text" },',
        )
    )
    old = parse_procedure(old_text, "stored 1.2", authoring=False)
    session_id = Desk(db, old, clock).sessions.start_session(zoe.id, nurse.id).id
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    clock.advance(minutes=61)
    tick_all(desk, session_id, {**TIME_OUT, "staff_eyewear": {"device": "Fraxel"}}, nurse.id)
    with pytest.raises(
        ActionRefused, match="follows procedure version 1.2, which does not name a registered laser"
    ):
        desk.sessions.tick(
            session_id, "full_beam_pass", {**LASER["full_beam_pass"], "device": "Fraxel"}, nurse.id
        )
