"""The laser treatment register (issue 15): every exposure, for one device or all, over the clinic's
days; corrected ticks are not exposures, older free-text records still listed, exports audited."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from peewee import Database

from desk_app.domain.clock import ManualClock
from desk_app.domain.dates import local_today
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.laser_register import COLUMNS, adverse_events_text, check_register_range, utc_bounds
from desk_app.domain.people import Patient, Staff
from desk_app.domain.permissions import PermissionRefused
from desk_app.domain.procedure import Procedure, parse_procedure
from desk_app.store.desk import Desk
from desk_app.store.laser_register import EXPORTED
from desk_app.store.models import AuditLog
from tests.conftest import START
from tests.support.laser_register import (
    OLD_DEVICE_TEXT,
    OLD_TIME_OUT,
    SECOND_LASER_SERIAL,
    old_laser_values,
    procedure_v1_2,
    treated,
)
from tests.support.lasers import TEST_LASER_SERIAL, laser_ready, register_test_laser, with_test_laser
from tests.support.people import PIN, add_member
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, TIME_OUT, tick_all
from tests.unit.test_patient_history import count_statements

TODAY = START.date()
TEST_LASER_NAME = "Fotona SP Dynamis"  # make and model: the serial number has a column of its own


@pytest.fixture
def zoe(desk: Desk, nurse: Staff) -> Patient:
    return desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00012", nurse.id)


@pytest.fixture
def ian(desk: Desk, nurse: Staff) -> Patient:
    return desk.patients.register_patient("Ian", "Rees", "1984-06-30", "AZ-00031", nurse.id)


def through_time_out(
    desk: Desk,
    clock: ManualClock,
    patient: Patient,
    staff: Staff,
    time_out: dict[str, dict[str, Any]] = TIME_OUT,
) -> int:
    session_id = desk.sessions.start_session(patient.id, staff.id).id
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, staff.id)
    clock.advance(minutes=61)
    tick_all(desk, session_id, time_out, staff.id)
    return session_id


@pytest.mark.both_databases
def test_a_treated_sessions_two_passes_are_its_exposures(
    desk: Desk, clock: ManualClock, nurse: Staff, zoe: Patient
) -> None:
    session_id = treated(desk, clock, zoe.id, nurse)

    fractional, full_beam = desk.laser_register.laser_register(TODAY, TODAY).rows
    assert fractional.session_id == full_beam.session_id == session_id
    assert fractional.clinic_number == "AZ-00012" and fractional.operator == "Ann Nurse"
    assert (fractional.device, fractional.serial_number) == (TEST_LASER_NAME, TEST_LASER_SERIAL)
    assert fractional.pass_label == "Fractional pass"
    assert fractional.settings == "Energy per pulse 40.0 mJ; Density 20 %; Passes 2"
    assert fractional.areas == "Forehead, Cheeks"
    assert full_beam.pass_label == "Full-beam pass, 7 mm beam"
    assert full_beam.settings == "Beam width 7 mm; Fluence 5.5 J/cm²; Passes 1"
    assert full_beam.areas == "Cheeks"
    assert fractional.adverse_events == full_beam.adverse_events == "None"
    assert fractional.override == ""
    assert fractional.at <= full_beam.at
    assert fractional.cells()[:3] == (
        TODAY.isoformat(),
        fractional.at.astimezone().strftime("%H:%M"),
        str(session_id),
    )
    assert len(fractional.cells()) == len(COLUMNS)


@pytest.mark.both_databases
def test_one_device_or_all_and_an_unknown_serial_is_refused(
    desk: Desk, clock: ManualClock, nurse: Staff, zoe: Patient, ian: Patient
) -> None:
    laser_ready(desk, nurse.id)
    second = register_test_laser(desk, make="Lumenis", model="UltraPulse", serial_number=SECOND_LASER_SERIAL)
    first_session = treated(desk, clock, zoe.id, nurse)
    second_session = treated(desk, clock, ian.id, nurse, device_id=second)

    everything = desk.laser_register.laser_register(TODAY, TODAY).rows
    assert [row.session_id for row in everything] == [first_session] * 2 + [second_session] * 2
    only_second = desk.laser_register.laser_register(
        TODAY, TODAY, desk.devices.device_by_serial(SECOND_LASER_SERIAL.lower())
    ).rows  # as typed
    assert [row.session_id for row in only_second] == [second_session] * 2
    assert {row.device for row in only_second} == {"Lumenis UltraPulse"}
    with pytest.raises(ActionRefused, match="No laser device has the serial number XX-1"):
        desk.devices.device_by_serial("XX-1")
    with pytest.raises(ActionRefused, match="Give a laser's serial number"):
        desk.devices.device_by_serial(" ")


@pytest.mark.both_databases
def test_the_range_is_the_clinics_days_in_summer_time(
    desk: Desk, clock: ManualClock, nurse: Staff, zoe: Patient
) -> None:
    register_test_laser(desk, next_service_on=date(2027, 12, 1))  # in service all summer
    clock.set(datetime(2027, 7, 15, 21, 0, tzinfo=UTC))  # 22:00 in the UK
    session_id = through_time_out(desk, clock, zoe, nurse)
    clock.set(datetime(2027, 7, 15, 22, 30, tzinfo=UTC))  # 23:30 on 15 July in the UK
    tick_all(desk, session_id, {"fractional_pass": LASER["fractional_pass"]}, nurse.id)

    (exposure,) = desk.laser_register.laser_register(date(2027, 7, 15), date(2027, 7, 15)).rows
    assert exposure.day == date(2027, 7, 15) and exposure.time_text == "23:30"
    assert desk.laser_register.laser_register(date(2027, 7, 16), date(2027, 7, 16)).rows == []
    assert desk.laser_register.laser_register(date(2027, 7, 14), date(2027, 7, 14)).rows == []


@pytest.mark.both_databases
def test_an_undone_tick_is_no_exposure_and_a_tick_made_again_is(
    desk: Desk, clock: ManualClock, nurse: Staff, zoe: Patient
) -> None:
    session_id = through_time_out(desk, clock, zoe, nurse)
    tick_all(desk, session_id, LASER, nurse.id)
    desk.sessions.correct(session_id, "fractional_pass", "Wrong energy typed", nurse.id)
    ticked_at = clock.now()
    clock.advance(minutes=1)
    desk.sessions.correct(session_id, "full_beam_pass", "Full beam not done after all", nurse.id)
    clock.advance(minutes=3)
    again = {**LASER["fractional_pass"], "energy_mj": 35}
    desk.sessions.tick(session_id, "fractional_pass", with_test_laser(desk, again, nurse.id), nurse.id)

    register = desk.laser_register.laser_register(
        TODAY, TODAY
    )  # in progress: the laser was fired all the same
    withdrawn, exposure = register.rows
    assert exposure.pass_label == "Fractional pass" and exposure.at == clock.now()
    assert exposure.settings.startswith("Energy per pulse 35.0 mJ") and not exposure.withdrawn
    assert exposure.adverse_events == "None"
    # Ticked, undone and never ticked again: listed, marked, with the undo's reason.
    assert withdrawn.pass_label == "Full-beam pass, 7 mm beam" and withdrawn.at == ticked_at
    assert withdrawn.withdrawn and withdrawn.settings.startswith("Beam width 7 mm")
    undone_at = (ticked_at + timedelta(minutes=1)).astimezone().strftime("%H:%M")
    assert withdrawn.override == f"Withdrawn: Full beam not done after all (by Ann Nurse at {undone_at})"
    assert register.withdrawn == 1
    assert register.notes() == ["1 of them ticked and then withdrawn (see Override)"]


@pytest.mark.both_databases
def test_a_stopped_session_lists_its_pass_and_a_flagged_pass_says_who_overrode_it(
    desk: Desk, clock: ManualClock, nurse: Staff, clinician: Staff, zoe: Patient
) -> None:
    session_id = through_time_out(desk, clock, zoe, nurse)
    hot = {**LASER["fractional_pass"], "energy_mj": 80}
    desk.sessions.tick(session_id, "fractional_pass", with_test_laser(desk, hot, nurse.id), nurse.id)
    desk.sessions.override(
        session_id, "fractional_pass", "Deep boxcar scars, test patch fine", clinician.id, nurse.id, PIN
    )
    desk.sessions.abort(session_id, "Patient asked to stop", nurse.id)

    (exposure,) = desk.laser_register.laser_register(TODAY, TODAY).rows
    assert exposure.adverse_events == "Not recorded"
    assert exposure.override == (
        "Energy per pulse 80.0 mJ is above the clinic limit of 70.0 mJ. "
        "Overridden by Dr Clive Doctor: Deep boxcar scars, test patch fine"
    )


@pytest.mark.both_databases
def test_a_pass_on_an_area_without_gel_says_so_and_who_overrode_it(
    desk: Desk, clock: ManualClock, nurse: Staff, clinician: Staff, zoe: Patient
) -> None:
    """Issue 16: the flag comes from the areas painted, another item: the register reads it too."""
    session_id = through_time_out(desk, clock, zoe, nurse)  # gel on the forehead and cheeks
    chin = {**LASER["full_beam_pass"], "areas": ["Cheeks", "Chin"]}
    desk.sessions.tick(session_id, "full_beam_pass", with_test_laser(desk, chin, nurse.id), nurse.id)
    reason = "Chin numb from the cheek gel on testing"
    desk.sessions.override(session_id, "full_beam_pass", reason, clinician.id, nurse.id, PIN)

    (exposure,) = desk.laser_register.laser_register(TODAY, TODAY).rows
    assert exposure.areas == "Cheeks, Chin"
    assert exposure.override == f"Not painted with gel: Chin. Overridden by Dr Clive Doctor: {reason}"


def test_an_older_record_lists_its_typed_device_when_no_device_is_asked_for(
    db: Database, desk: Desk, procedure: Procedure, clock: ManualClock, nurse: Staff, zoe: Patient
) -> None:
    old_desk = Desk(db, procedure_v1_2(procedure), clock, desk.hasher)
    session_id = through_time_out(old_desk, clock, zoe, nurse, OLD_TIME_OUT)
    tick_all(old_desk, session_id, old_laser_values(), nurse.id)
    laser_ready(desk, nurse.id)

    everything = desk.laser_register.laser_register(TODAY, TODAY)  # read by today's version of the app
    fractional, full_beam = everything.rows
    assert (fractional.device, fractional.serial_number, fractional.device_id) == (OLD_DEVICE_TEXT, "", None)
    assert (full_beam.device, full_beam.serial_number) == ("", "")
    assert fractional.settings == "Energy per pulse 40.0 mJ; Density 20 %; Passes 2"
    assert everything.typed_device_elsewhere == 0 and everything.notes() == []
    # One device asked for: the older records cannot be told apart, so they are counted, not lost.
    one_device = desk.laser_register.laser_register(
        TODAY, TODAY, desk.devices.device_by_serial(TEST_LASER_SERIAL)
    )
    assert one_device.rows == [] and one_device.typed_device_elsewhere == 2
    assert one_device.notes() == [
        "2 earlier exposures name the device in typed text or not at all and are listed only under "
        "All devices"
    ]


@pytest.mark.both_databases
def test_a_clinic_that_has_treated_nobody_has_an_empty_register(desk: Desk, nurse: Staff) -> None:
    assert desk.laser_register.laser_register(TODAY, TODAY).rows == []


def test_a_range_backwards_or_too_long_is_refused_in_words() -> None:
    with pytest.raises(ValidationError, match=r"ends \(01/03/2027\) before it starts \(02/03/2027\)"):
        check_register_range(date(2027, 3, 2), date(2027, 3, 1))
    with pytest.raises(ValidationError, match="at most five years"):
        check_register_range(date(2020, 1, 1), date(2026, 1, 1))
    check_register_range(date(2027, 3, 2), date(2027, 3, 2))  # one day
    check_register_range(date(2026, 1, 1), date(2026, 12, 31))  # a year


@pytest.mark.parametrize(
    ("from_day", "to_day"),
    [
        pytest.param(date(9999, 12, 31), date(9999, 12, 31), id="9999"),  # an overflow past the last day
        pytest.param(date(1, 1, 1), date(1, 1, 2), id="0001"),  # and before the first
        pytest.param(date(1999, 12, 31), date(2000, 1, 1), id="1999"),
        pytest.param(date(2100, 12, 31), date(2101, 1, 1), id="2101"),
    ],
)
def test_a_year_outside_2000_to_2100_is_refused_in_words(from_day: date, to_day: date) -> None:
    with pytest.raises(ValidationError, match="The register covers the years 2000 to 2100: .* is outside"):
        utc_bounds(from_day, to_day)
    check_register_range(date(2000, 1, 1), date(2000, 1, 1))
    check_register_range(date(2100, 12, 31), date(2100, 12, 31))


def test_reading_a_busy_range_takes_as_few_statements_as_a_quiet_one(
    db: Database,
    desk: Desk,
    clock: ManualClock,
    nurse: Staff,
    zoe: Patient,
    ian: Patient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    treated(desk, clock, zoe.id, nurse)
    quiet = count_statements(db, monkeypatch, lambda: desk.laser_register.laser_register(TODAY, TODAY).rows)
    treated(desk, clock, zoe.id, nurse)
    treated(desk, clock, ian.id, nurse)
    busy = count_statements(db, monkeypatch, lambda: desk.laser_register.laser_register(TODAY, TODAY).rows)
    assert busy == quiet == 4  # procedure versions, sessions, their events, the devices' serial numbers
    assert len(desk.laser_register.laser_register(TODAY, TODAY).rows) == 6


@pytest.mark.both_databases
def test_an_export_is_audited_and_only_for_an_administrator_or_an_operator(
    desk: Desk, admin: Staff, nurse: Staff
) -> None:
    what = {
        "from": "2026-11-01",
        "to": "2026-11-30",
        "device": "all",
        "format": "CSV",
        "rows": 0,
        "file": "/x.csv",
    }
    desk.laser_register.record_register_export(what, admin.id, admin.name)
    desk.laser_register.record_register_export(what, nurse.id, nurse.name)  # an authorised laser operator
    desk.laser_register.record_register_export(what, None, "kate (terminal export)")
    trainee = add_member(desk, "Tess Trainee", "TT", "nurse", laser_operator=False)
    with pytest.raises(PermissionRefused, match="Tess Trainee may not export the laser register"):
        desk.laser_register.record_register_export(what, trainee.id, trainee.name)

    (refused,) = AuditLog.select().where(AuditLog.action == "refused: not permitted")
    assert refused.staff_id == trainee.id and "may not export the laser register" in refused.detail
    rows = list(AuditLog.select().where(AuditLog.action == EXPORTED).order_by(AuditLog.id))
    assert [row.staff_id for row in rows] == [admin.id, nurse.id, None]
    assert json.loads(rows[2].detail) == what | {"printed_by": "kate (terminal export)"}
    assert desk.laser_register.may_read_register(admin.id) and desk.laser_register.may_read_register(nurse.id)
    assert not desk.laser_register.may_read_register(trainee.id)


def test_a_day_of_the_range_starts_at_local_midnight_across_the_clock_change() -> None:
    start, end = utc_bounds(date(2027, 3, 27), date(2027, 3, 28))  # the clocks go forward on the 28th
    assert start.astimezone(UTC) == datetime(2027, 3, 27, 0, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2027, 3, 28, 23, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=47)


@pytest.mark.both_databases
def test_amendments_after_sign_out_are_listed_beside_the_passes_they_concern(
    desk: Desk, clock: ManualClock, nurse: Staff, clinician: Staff, zoe: Patient
) -> None:
    session_id = treated(desk, clock, zoe.id, nurse)
    clock.advance(hours=20)
    late = "Patient phoned:\nblister on the left cheek"
    desk.sessions.amend(session_id, "adverse_events", late, "Reported after sign-out", clinician.id)
    desk.sessions.amend(session_id, "fractional_pass", "Energy was 45 mJ, not 40 mJ", "Typing slip", nurse.id)
    desk.sessions.amend(session_id, None, "Consent form scanned late", "Filed the next day", nurse.id)

    fractional, full_beam = desk.laser_register.laser_register(TODAY, TODAY).rows
    next_day = local_today(clock.now()).isoformat()
    adverse = (  # on one line, as every cell
        f"{next_day} by Dr Clive Doctor: Patient phoned: blister on the left cheek "
        "(why: Reported after sign-out)"
    )
    energy = f"{next_day} by Ann Nurse: Energy was 45 mJ, not 40 mJ (why: Typing slip)"
    consent = f"{next_day} by Ann Nurse: Consent form scanned late (why: Filed the next day)"
    assert fractional.cells()[-1] == f"{adverse}; {energy}; {consent}"
    assert full_beam.cells()[-1] == f"{adverse}; {consent}"  # not the fractional pass's
    assert fractional.adverse_events == "None"  # the answer as ticked; the amendment beside it
    assert COLUMNS[-1] == "Amendments"


def test_an_adverse_events_answer_under_version_1_1_is_found_by_its_id(
    db: Database, desk: Desk, procedure: Procedure, clock: ManualClock, nurse: Staff, zoe: Patient
) -> None:
    """Versions 1.0 and 1.1 had no records_adverse_events marker: their item is found by its id."""
    marker = "records_adverse_events = true\n"
    assert procedure.source.count(marker) == 1
    old_text = procedure.source.replace('version = "1.5"', 'version = "1.1"', 1).replace(marker, "")
    old = parse_procedure(old_text, "stored laser-acne-scarring version 1.1", authoring=False)
    assert not any(item.records_adverse_events for item in old.all_items())
    assert old.adverse_events_item is old.item("adverse_events")
    session_id = treated(Desk(db, old, clock, desk.hasher), clock, zoe.id, nurse)

    rows = desk.laser_register.laser_register(TODAY, TODAY).rows
    assert [row.adverse_events for row in rows] == ["None", "None"]
    record = desk.sessions.session(session_id)
    assert record.procedure.version == "1.1"
    assert adverse_events_text(record.procedure, record.state(clock.now())) == "None"  # the printed record's


@pytest.mark.both_databases
def test_a_changed_serial_number_shows_the_one_then_and_still_finds_the_device(
    desk: Desk, clock: ManualClock, nurse: Staff, admin: Staff, zoe: Patient
) -> None:
    device_id = laser_ready(desk, nurse.id)
    treated(desk, clock, zoe.id, nurse)
    desk.devices.update_device(device_id, {"serial_number": "sp-new-2"}, admin.id)

    (fractional, _full_beam) = desk.laser_register.laser_register(TODAY, TODAY).rows
    assert (fractional.serial_number, fractional.serial_then) == ("SP-NEW-2", TEST_LASER_SERIAL)
    assert fractional.cells()[COLUMNS.index("Serial number")] == f"SP-NEW-2 (then {TEST_LASER_SERIAL})"
    assert (
        desk.devices.device_by_serial(TEST_LASER_SERIAL).id == device_id
    )  # as the inspector's papers name it
    assert (
        len(
            desk.laser_register.laser_register(
                TODAY, TODAY, desk.devices.device_by_serial(TEST_LASER_SERIAL)
            ).rows
        )
        == 2
    )
    # A device registered since with the old serial number is the one that has it now.
    other = register_test_laser(desk, make="Lumenis", model="UltraPulse", serial_number=TEST_LASER_SERIAL)
    assert desk.devices.device_by_serial(TEST_LASER_SERIAL).id == other


@pytest.mark.both_databases
def test_the_sessions_fired_in_a_range_are_found_by_an_index(db: Database) -> None:
    """Migration 10: a week's register no longer reads every event the clinic ever recorded."""
    indexes = {index.name: index.columns for index in db.get_indexes("session_event")}
    assert indexes["session_event_item_id_at"] == ["item_id", "at"]
