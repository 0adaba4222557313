"""The demo database: built through the Desk, a believable clinic, three sessions running now, new files only.

The demo is built once for the module (it takes a few seconds); each test reads it through a new Desk.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from peewee import Database
from PySide6.QtGui import QImage

from desk_app.domain.alerts import AlertKind, raised_alerts
from desk_app.domain.clinic import missing_patient_lines
from desk_app.domain.clock import SystemClock
from desk_app.domain.countdown import GelPhase
from desk_app.domain.course import course, ends_course
from desk_app.domain.dates import local_today
from desk_app.domain.errors import ActionRefused
from desk_app.domain.pre_use_check import PreUseCheck
from desk_app.domain.procedure import Procedure, load_procedure
from desk_app.domain.session import (
    Event,
    EventKind,
    ItemStatus,
    SessionRecord,
    SessionState,
    SessionStatus,
)
from desk_app.paths import PROCEDURE_FILE, resource_path
from desk_app.store.audit import verify_audit
from desk_app.store.database import open_database
from desk_app.store.demo import DEMO_PASSWORD, DEMO_PHOTOS, DEMO_PIN, build_demo
from desk_app.store.desk import Desk
from desk_app.store.models import SessionRow
from tests.support.people import FAST_HASHER
from tests.support.raw_sql import run_sql
from tests.support.walk import LASER, TIME_OUT, tick_all

# Its module fixture is built once: every test of the module runs in one worker (make test: --dist loadgroup).
pytestmark = [pytest.mark.both_databases, pytest.mark.xdist_group("demo")]

TABLES = ("staff", "patient", "treatment_session", "session_event", "laser_device", "laser_device_check")
OPERATORS = {"Kate Whitmore", "Dr Samir Haddad"}


@pytest.fixture(scope="session")  # once a worker: its tests may run between other modules'
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    return path, build_demo(f"sqlite:///{path}", FAST_HASHER)


@pytest.fixture
def demo_db(demo: tuple[Path, str]) -> Iterator[Database]:
    database = open_database(str(demo[0]))
    yield database
    database.close()


@pytest.fixture
def demo_desk(demo_db: Database, procedure: Procedure) -> Desk:
    return Desk(demo_db, procedure, SystemClock(), FAST_HASHER)


@pytest.fixture(scope="session")  # once a worker: its tests may run between other modules'
def history(demo: tuple[Path, str]) -> list[SessionRecord]:
    """Every session of the demo, loaded once: records are plain values, usable after closing."""
    database = open_database(str(demo[0]))
    try:
        desk = Desk(database, load_procedure(resource_path(PROCEDURE_FILE)), SystemClock())
        return [
            desk.sessions.session(row.id) for row in SessionRow.select(SessionRow.id).order_by(SessionRow.id)
        ]
    finally:
        database.close()


def counts(db: Database) -> dict[str, int]:
    return {table: run_sql(db, f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}


def laser_ticks(history: list[SessionRecord]) -> list[tuple[SessionRecord, Event]]:
    """Every tick that names a laser (the time-out's eyewear and each pass), corrected ones too."""
    return [
        (record, event)
        for record in history
        for event in record.events
        if event.kind is EventKind.TICK and "device" in event.values
    ]


def every_check(desk: Desk) -> list[PreUseCheck]:
    """Every pre-use check of every laser, on every day."""
    return [
        check
        for device in desk.devices.devices()
        for check in desk.device_checks.pre_use_checks(device_id=device.id)
    ]


def on_laser(items: dict[str, dict[str, Any]], device_id: int) -> dict[str, dict[str, Any]]:
    """The walk's values with each device field naming `device_id`."""
    return {
        item_id: values | {"device": device_id} if "device" in values else values
        for item_id, values in items.items()
    }


def test_summary_names_the_database_and_what_was_made(demo: tuple[Path, str]) -> None:
    path, summary = demo
    assert str(path.resolve()) in summary
    assert "30 patients" in summary
    assert "3 sessions in progress" in summary
    assert "2 registered lasers (Fotona SP Dynamis and Asclepion MCL31 Dermablate;" in summary
    assert "daily pre-use checks, one of them failed" in summary


def test_four_staff_who_sign_in_with_the_demo_credentials(demo_desk: Desk) -> None:
    staff = demo_desk.accounts.list_staff()
    assert len(staff) == 4
    assert len({member.initials for member in staff}) == 4
    assert sorted(member.role.value for member in staff) == ["administrator", "clinician", "nurse", "nurse"]
    for member in staff:  # the README gives these to trainees
        assert demo_desk.accounts.sign_in(member.id, DEMO_PASSWORD) == member
        assert demo_desk.accounts.confirm_pin(member.id, DEMO_PIN, "test") == member


def test_the_clinic_details_say_whom_patients_call_so_the_aftercare_sheets_print(demo_desk: Desk) -> None:
    details = demo_desk.clinic.clinic_details()
    assert missing_patient_lines(details) == []
    assert details.address and "999" in details.out_of_hours_line


def test_patients_have_realistic_names_ages_and_clinic_numbers(demo_desk: Desk) -> None:
    patients = demo_desk.patients.search_patients("", limit=1000)
    assert 25 <= len(patients) <= 35
    names = [patient.full_name for patient in patients]
    assert any(not name.isascii() for name in names)
    assert any("'" in name for name in names)
    today = datetime.now(UTC).date()
    for patient in patients:
        assert 19 <= (today - patient.date_of_birth).days // 365.25 <= 60
        assert patient.clinic_number.startswith("AZ-")
    # Found blind to accents, as a nurse would type it.
    assert [p.full_name for p in demo_desk.patients.search_patients("zoe obrien")] == ["Zoë O'Brien"]


def test_three_sessions_in_progress_at_their_stages_now(demo_desk: Desk) -> None:
    now = datetime.now(UTC)
    states = [record.state(now) for record in demo_desk.sessions.sessions_in_progress()]
    assert len(states) == 3
    phases = sorted(state.gel_phase(now) for state in states)
    assert phases == sorted([GelPhase.WAITING, GelPhase.READY, GelPhase.REMOVED])

    waiting = next(state for state in states if state.gel_phase(now) is GelPhase.WAITING)
    assert waiting.countdown is not None
    assert timedelta(minutes=35) <= waiting.countdown.remaining(now) <= timedelta(minutes=45)

    time_out = [item.id for item in demo_desk.procedure.pause_point_of("identity_read_back").items]
    ready = next(state for state in states if state.gel_phase(now) is GelPhase.READY)
    assert not any(ready.item(item_id).tick for item_id in time_out)
    assert ready.next_item() is not None and ready.next_item().item.id == "identity_read_back"

    laser_room = next(state for state in states if state.gel_phase(now) is GelPhase.REMOVED)
    assert all(laser_room.item(item_id).satisfied for item_id in time_out)
    assert laser_room.item("fractional_pass").satisfied
    assert laser_room.next_item().item.id == "full_beam_pass"


def test_sessions_in_progress_have_last_times_settings_to_prefill(demo_desk: Desk) -> None:
    for record in demo_desk.sessions.sessions_in_progress():
        last_date, values = demo_desk.sessions.previous_values(record)
        assert last_date is not None
        assert timedelta(weeks=4) <= record.started_at.date() - last_date <= timedelta(weeks=6, days=2)
        assert set(values) == {"fractional_pass", "full_beam_pass"}
        assert record.session_number >= 2


def test_history_has_signed_out_courses_and_the_rarer_events(history: list[SessionRecord]) -> None:
    now = datetime.now(UTC)
    sessions = history
    signed_out = [record for record in sessions if record.state(now).status is SessionStatus.SIGNED_OUT]
    aborted = [record for record in sessions if record.state(now).status is SessionStatus.ABORTED]
    assert len({record.patient.id for record in signed_out}) >= 8
    assert len(aborted) == 1
    events = [event for record in sessions for event in record.events]
    kinds = {event.kind for event in events}
    assert {EventKind.OVERRIDE, EventKind.NOTE, EventKind.CORRECTION, EventKind.ABORT} <= kinds
    assert all(event.at <= now for event in events)
    assert min(record.started_at for record in signed_out) < now - timedelta(weeks=12)


def test_one_past_pass_treated_an_area_without_gel_for_a_clinicians_reason(
    history: list[SessionRecord],
) -> None:
    """Issue 16: the demo shows the soft stop overridden, on the screen, the record and the register."""
    now = datetime.now(UTC)
    flagged = [
        state.item("full_beam_pass")
        for state in (record.state(now) for record in history)
        if state.item("full_beam_pass").flags
    ]
    assert [(item.flags, item.status) for item in flagged] == [
        (("Not painted with gel: Chin",), ItemStatus.OVERRIDDEN)
    ]
    assert flagged[0].override is not None and "without the gel" in flagged[0].override.text


def test_each_ready_alert_of_gel_since_removed_was_acknowledged_by_the_nurse(
    history: list[SessionRecord],
) -> None:
    now = datetime.now(UTC)
    for record in history:
        state = record.state(now)
        if state.status is SessionStatus.ABORTED or state.gel_phase(now) is not GelPhase.REMOVED:
            continue  # stopped before the gel; or today's waiting patients, whose alert is the board's
        alerts = raised_alerts(record, state, now)
        assert [alert.kind for alert in alerts] == [AlertKind.READY]
        assert alerts[0].acknowledged is not None
        assert alerts[0].acknowledged.at - alerts[0].due_at == timedelta(minutes=1)


def test_past_laser_settings_stay_within_the_demo_ranges(history: list[SessionRecord]) -> None:
    now = datetime.now(UTC)
    for record in history:
        state = record.state(now)
        fractional = state.item("fractional_pass").tick
        full_beam = state.item("full_beam_pass").tick
        if fractional is not None:
            assert 20 <= fractional.values["energy_mj"] <= 60
            assert 10 <= fractional.values["density_pct"] <= 25
        if full_beam is not None:
            assert full_beam.values["beam_mm"] == 7
            assert 3 <= full_beam.values["fluence_j_cm2"] <= 8


def test_visits_of_one_patient_are_four_to_six_weeks_apart_but_one_overridden(
    history: list[SessionRecord],
) -> None:
    """The sun rule's 4 weeks; one session brought forward, with a clinician's override (issue 16)."""
    now = datetime.now(UTC)
    by_patient: dict[int, list[SessionRecord]] = {}
    for record in history:
        if record.state(now).status is SessionStatus.SIGNED_OUT:
            by_patient.setdefault(record.patient.id, []).append(record)
    early = []
    for records in by_patient.values():
        records.sort(key=lambda record: record.started_at)
        for earlier, later in zip(records, records[1:], strict=False):
            gap = later.started_at - earlier.started_at
            assert gap <= timedelta(weeks=6)
            if gap < timedelta(weeks=4):
                early.append(later)
    assert len(early) == 1
    state = early[0].state(now)
    assert state.course_context is not None and state.course_context.days_since_last is not None
    assert 14 <= state.course_context.days_since_last < 28
    interval = state.item("course_interval")
    assert interval.status is ItemStatus.OVERRIDDEN
    assert interval.flags[0].startswith("Sooner than 4 weeks after the last session: the last was on ")
    assert interval.override is not None and "Brought forward" in interval.override.text


# --- the clinical rules of procedure 1.5 (issue 16) -------------------------------------------------


def past_states(history: list[SessionRecord]) -> list[tuple[SessionRecord, SessionState]]:
    now = datetime.now(UTC)
    return [(record, record.state(now)) for record in history]


def test_the_only_flags_in_the_history_are_the_demos_overridden_ones(history: list[SessionRecord]) -> None:
    """Each flag is there on purpose and a clinician answered it: anything else is a demo out of date."""
    flagged = sorted(
        (record.patient.family_name, item_id, item.status)
        for record, state in past_states(history)
        for item_id, item in state.items.items()
        if item.flags
    )
    assert flagged == [
        ("Bjørk", "full_beam_pass", ItemStatus.OVERRIDDEN),
        ("Llewellyn", "course_interval", ItemStatus.OVERRIDDEN),
        ("Okoye", "skin_type", ItemStatus.OVERRIDDEN),
        ("Wiśniewski", "adverse_events", ItemStatus.OVERRIDDEN),
        ("Wiśniewski", "gel_product", ItemStatus.OVERRIDDEN),
    ]


def test_every_session_records_the_product_its_grams_and_cover_and_the_toxicity_check(
    history: list[SessionRecord], procedure: Procedure
) -> None:
    assert procedure.anaesthetic is not None
    products = {product.name: product for product in procedure.anaesthetic.products}
    used = []
    for record, state in past_states(history):
        if state.status is SessionStatus.ABORTED:
            continue
        gel = state.item("gel_product").tick
        assert gel is not None, record.patient.full_name
        product = products[gel.values["product"]]  # one of the clinic's two, never another
        used.append((product.name, gel.values["grams"], gel.values["covered"]))
        if state.item("gel_removed").tick is not None:
            toxicity = state.item("anaesthetic_toxicity")
            assert toxicity.satisfied and not toxicity.flags
            assert set(toxicity.tick.values.values()) == {"No"}
    assert len(used) >= 15
    within = [
        (name, grams, covered)
        for name, grams, covered in used
        if grams <= products[name].max_grams and (covered == "No" or products[name].occlusion_allowed)
    ]
    assert len(within) == len(used) - 1  # the one overridden
    lmx4 = [entry for entry in used if entry[0].startswith("LMX4")]
    assert len(lmx4) > len(used) / 2
    assert {covered for _name, _grams, covered in used} == {"No", "Yes"}


def test_one_session_used_more_gel_than_the_product_allows_with_a_clinicians_reason(
    history: list[SessionRecord],
) -> None:
    over = [
        state.item("gel_product")
        for _record, state in past_states(history)
        if state.item("gel_product").flags
    ]
    assert len(over) == 1
    (flag,) = over[0].flags
    assert flag.startswith("More gel than the product allows: 24")
    assert "g of LMX4 lidocaine 4% cream, at most 20" in flag
    assert over[0].status is ItemStatus.OVERRIDDEN
    assert over[0].override is not None and "24 g of LMX4" in over[0].override.text


def test_skin_types_four_to_six_had_a_test_patch_before_their_first_session(
    history: list[SessionRecord], procedure: Procedure
) -> None:
    needing = procedure.item("skin_type").test_patch_for
    firsts = [
        (record, state)
        for record, state in past_states(history)
        if record.session_number == 1 and state.item("skin_type").tick is not None
    ]
    patched = []
    for record, state in firsts:
        values = state.item("skin_type").tick.values
        if values["fitzpatrick"] not in needing:
            continue
        patch_day = date.fromisoformat(values["test_patch_date"])
        assert patch_day < local_today(record.started_at)
        assert values["test_patch_result"] == "No reaction"
        assert "no test patch" not in " ".join(state.item("skin_type").flags)
        patched.append((record.patient.family_name, values["fitzpatrick"]))
    assert ("Sharma", "IV") in patched
    assert ("Okoye", "V") in patched


def test_courses_of_three_end_at_session_three_with_no_next_date(history: list[SessionRecord]) -> None:
    now = datetime.now(UTC)
    complete = []
    for record, state in past_states(history):
        plan = state.item("next_session").tick
        if plan is None:
            continue
        if ends_course(record, now):
            assert "next_date" not in plan.values
            complete.append(
                (record.patient.family_name, record.session_number, plan.values["planned_sessions"])
            )
        else:
            assert date.fromisoformat(plan.values["next_date"]) >= local_today(record.started_at) + timedelta(
                weeks=4
            )
    assert ("O'Brien", 3, 3) in complete and ("Sharma", 3, 3) in complete
    by_patient = {}
    for record in history:
        by_patient.setdefault(record.patient.family_name, []).append(record)
    for family in ("O'Brien", "Sharma"):
        done = course(by_patient[family], now)
        assert (done.sessions_done, done.planned) == (3, 3)
        assert done.earliest_next is None and done.next_planned is None


def test_one_course_extended_to_four_at_its_third_session_with_a_reason(history: list[SessionRecord]) -> None:
    extended = [
        (record, state.item("next_session").tick.values)
        for record, state in past_states(history)
        if state.item("next_session").tick is not None
        and "extension_reason" in state.item("next_session").tick.values
    ]
    assert len(extended) == 1
    record, plan = extended[0]
    assert record.session_number == 3
    assert plan["planned_sessions"] == 4 and "next_date" in plan
    assert "fourth" in plan["extension_reason"]
    context = record.state(datetime.now(UTC)).course_context
    assert context is not None and context.planned == 3 and context.last_planned


def test_a_patients_registration_allergies_are_recorded(demo_desk: Desk) -> None:
    allergic = [
        patient for patient in demo_desk.patients.search_patients("", limit=1000) if patient.allergies
    ]
    assert any("Penicillin" in patient.allergies for patient in allergic)
    # Someone the board shows today: a trainee sees them beside the anaesthetic-allergy question.
    running = {record.patient.id for record in demo_desk.sessions.sessions_in_progress()}
    assert running & {patient.id for patient in allergic}


def test_a_second_demo_on_the_same_file_is_refused_and_adds_nothing(
    demo: tuple[Path, str], demo_db: Database
) -> None:
    before = counts(demo_db)
    with pytest.raises(ActionRefused, match="new, empty database"):
        build_demo(str(demo[0]))
    assert counts(demo_db) == before


def test_a_demo_that_fails_half_way_leaves_the_new_file_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(self: object) -> None:
        raise RuntimeError("disk full")

    # Staff are already written when registering patients fails: all of it must roll back.
    monkeypatch.setattr("desk_app.store.demo._DemoBuilder.register_patients", fail)
    path = tmp_path / "half.sqlite3"
    with pytest.raises(RuntimeError):
        build_demo(str(path), FAST_HASHER)
    db = open_database(str(path))
    try:
        assert counts(db) == dict.fromkeys(TABLES, 0)
    finally:
        db.close()


def test_the_demo_has_two_authorised_laser_operators_and_a_nurse_who_is_not_one(
    demo: tuple[Path, str], demo_desk: Desk
) -> None:
    operators = {member.name for member in demo_desk.operators.authorised_operators()}
    assert operators == {"Kate Whitmore", "Dr Samir Haddad"}
    rhiannon = next(member for member in demo_desk.accounts.list_staff() if member.name == "Rhiannon Hughes")
    assert demo_desk.operators.may_tick(rhiannon.id, "gel_applied") is None
    assert "is not one" in (demo_desk.operators.may_tick(rhiannon.id, "fractional_pass") or "")
    assert "authorised laser operators: Kate Whitmore and Dr Samir Haddad" in demo[1]


# --- the lasers, their daily checks, and the sessions that used them (issue 15) ---------------------


def test_two_lasers_registered_by_the_administrator_before_any_session(
    demo_desk: Desk, history: list[SessionRecord]
) -> None:
    devices = demo_desk.devices.devices(include_retired=True)
    assert len(devices) == 2
    assert len({device.serial_number for device in devices}) == 2
    assert len({device.eyewear_marking for device in devices}) == 2  # the time-out's choice matters
    today = local_today(datetime.now(UTC))
    for device in devices:
        assert not device.retired
        assert device.laser_class == "4"
        assert device.eyewear_marking.startswith("EN 207")
        assert device.lpa_name
        assert device.registered_by == "Morgan Price"
        assert device.registered_at < min(record.started_at for record in history)
        assert today <= device.next_service_on <= today + timedelta(days=366)  # none overdue
    assert min(device.next_service_on for device in devices) <= today + timedelta(weeks=6)


def test_every_laser_used_was_checked_that_day_first_by_an_operator(
    demo_desk: Desk, history: list[SessionRecord]
) -> None:
    checks = every_check(demo_desk)
    assert {check.staff_name for check in checks} == OPERATORS
    ticks = laser_ticks(history)
    assert len({local_today(event.at) for _record, event in ticks}) >= 10
    for record, event in ticks:
        device_id = event.values["device"]["id"]
        day = local_today(event.at)
        assert any(
            check.device_id == device_id and check.day == day and check.passed and check.at < event.at
            for check in checks
        ), f"{record.patient.full_name}: {event.item_id} on {day} on a laser not checked first"


def test_every_pass_names_the_laser_whose_eyewear_was_confirmed_and_each_patient_keeps_one(
    demo_desk: Desk, history: list[SessionRecord]
) -> None:
    devices = {device.id: device for device in demo_desk.devices.devices()}
    now = datetime.now(UTC)
    lasers_of_patient: dict[int, set[int]] = {}
    for record in history:
        state = record.state(now)
        eyewear = state.item("staff_eyewear").tick
        passes = [state.item(item_id).tick for item_id in ("fractional_pass", "full_beam_pass")]
        if eyewear is None:
            assert passes == [None, None]
            continue
        chosen = eyewear.values["device"]
        assert chosen["eyewear_marking"] == devices[chosen["id"]].eyewear_marking
        assert {tick.values["device"]["id"] for tick in passes if tick is not None} == {chosen["id"]}
        assert all("service_due" not in tick.values["device"] for tick in passes if tick is not None)
        lasers_of_patient.setdefault(record.patient.id, set()).add(chosen["id"])
    assert all(len(lasers) == 1 for lasers in lasers_of_patient.values())
    assert set().union(*lasers_of_patient.values()) == set(devices)  # both lasers are in use


def test_one_failed_check_and_no_session_on_that_laser_that_day(
    demo_desk: Desk, history: list[SessionRecord]
) -> None:
    checks = every_check(demo_desk)
    failed = [check for check in checks if not check.passed]
    assert len(failed) == 1
    check = failed[0]
    assert check.failed_items == ("Plume extraction working",)
    assert "Plume extractor not drawing" in check.note
    used_that_day = {
        event.values["device"]["id"]
        for _record, event in laser_ticks(history)
        if local_today(event.at) == check.day
    }
    assert used_that_day  # the day's patients were treated, on the other laser
    assert check.device_id not in used_that_day


def test_the_sessions_in_progress_can_reach_and_tick_their_passes(
    demo: tuple[Path, str], tmp_path: Path
) -> None:
    # Ticking a copy leaves the module's demo as it was built, for the other tests.
    copy = shutil.copyfile(demo[0], tmp_path / "copy.sqlite3")
    database = open_database(str(copy))
    try:
        desk = Desk(database, load_procedure(resource_path(PROCEDURE_FILE)), SystemClock())
        operator = next(member for member in desk.accounts.list_staff() if member.name == "Kate Whitmore")
        now = datetime.now(UTC)
        by_phase = {
            record.state(now).gel_phase(now): record for record in desk.sessions.sessions_in_progress()
        }

        in_the_room = by_phase[GelPhase.REMOVED]
        device_id = in_the_room.state(now).item("staff_eyewear").tick.values["device"]["id"]
        record = tick_all(
            desk,
            in_the_room.id,
            on_laser({"full_beam_pass": LASER["full_beam_pass"]}, device_id),
            operator.id,
        )
        assert record.state(datetime.now(UTC)).item("full_beam_pass").satisfied

        ready = by_phase[GelPhase.READY]
        device_id = desk.sessions.previous_values(ready)[1]["fractional_pass"]["device"][
            "id"
        ]  # offered again
        passes = {item_id: LASER[item_id] for item_id in ("fractional_pass", "full_beam_pass")}
        record = tick_all(desk, ready.id, on_laser(TIME_OUT | passes, device_id), operator.id)
        assert record.state(datetime.now(UTC)).item("full_beam_pass").satisfied

        numbing = by_phase[GelPhase.WAITING]  # its passes wait for the gel, but its laser is ready
        device_id = desk.sessions.previous_values(numbing)[1]["fractional_pass"]["device"]["id"]
        assert desk.device_checks.device_use(device_id).stop is None
    finally:
        database.close()


def test_the_demo_has_a_structured_adverse_event_and_follow_up_calls_with_and_without_a_complication(
    history: list[SessionRecord],
) -> None:
    """Issue 16 point 7: the trainer finds an adverse event by kind, and the calls after sign-out."""
    now = datetime.now(UTC)
    adverse = [
        record.state(now).item("adverse_events").tick
        for record in history
        if record.state(now).status is SessionStatus.SIGNED_OUT
    ]
    events = [tick for tick in adverse if tick is not None and tick.values["adverse"] != "None"]
    assert [(tick.values["kinds"], tick.values["severity"]) for tick in events] == [(["Blistering"], "Mild")]
    calls = [event for record in history for event in record.state(now).follow_ups]
    assert sorted(event.values["complication"] for event in calls) == ["No", "Yes"]
    for record in history:
        for call in record.state(now).follow_ups:
            assert (local_today(call.at) - local_today(record.started_at)).days in (2, 3)


def test_the_demo_has_a_patient_due_a_follow_up_call_today(demo: tuple[Path, str]) -> None:
    database = open_database(str(demo[0]))
    try:
        desk = Desk(database, load_procedure(resource_path(PROCEDURE_FILE)), SystemClock())
        calls = desk.sessions.follow_up_calls(local_today(datetime.now(UTC)))
    finally:
        database.close()
    assert [(call.patient.full_name, call.last_call) for call in calls] == [("Isla Fraser", None)]


def test_one_toxicity_sign_was_cleared_by_the_clinician_before_the_laser(
    history: list[SessionRecord],
) -> None:
    cleared = [
        (record.patient.family_name, item.history)
        for record, state in past_states(history)
        if len((item := state.item("anaesthetic_toxicity")).history) > 1
    ]
    assert len(cleared) == 1
    name, (signs, clearing, again) = cleared[0]
    assert name == "Nuñez"
    assert signs.values["metallic_taste"] == "Yes" and again.values["metallic_taste"] == "No"
    assert clearing.kind is EventKind.CORRECTION and clearing.staff_name.startswith("Dr ")
    assert clearing.values["entered_by"] == signs.staff_name
    assert signs.at < clearing.at < again.at


def test_the_demo_verifies_intact_every_row_it_wrote_sealed(demo_db: Database) -> None:
    """The demo does every kind of action through the app: each covered row it wrote is sealed."""
    report = verify_audit(demo_db)
    assert report.ok, report.problem


def test_the_demo_patients_course_has_before_and_after_photos_whose_scars_fade(demo_desk: Desk) -> None:
    """Issue 21 point 4: synthetic photos, before (front, left, right) and after (front) each session."""
    (zoe,) = demo_desk.patients.search_patients("Zoë O'Brien")
    photos = demo_desk.photos.photos_of_patient(zoe.id)
    shot = [(photo.session_number, photo.stage.value, photo.view.value) for photo in photos]
    assert shot == [(number, stage, view) for number in (1, 2, 3) for stage, view in DEMO_PHOTOS]
    fronts = [photo.id for photo in photos if (photo.stage.value, photo.view.value) == ("before", "front")]
    nurse = demo_desk.accounts.list_staff()[0]
    thumbnails = demo_desk.photos.open_thumbnails(fronts, nurse.id)
    assert [thumbnails[photo_id][:3] for photo_id in fronts] == [b"\xff\xd8\xff"] * 3
    scars = [darkness_of_the_cheek(demo_desk.photos.open_photo(photo_id, nurse.id)) for photo_id in fronts]
    assert scars == sorted(scars, reverse=True) and scars[0] > scars[-1]


def darkness_of_the_cheek(jpeg: bytes) -> float:
    """How dark the left cheek's skin is on average (the scars darken it): 0 white, 255 black."""
    image = QImage.fromData(jpeg)
    pixels = [image.pixelColor(x, y).lightness() for x in range(285, 345, 3) for y in range(295, 365, 3)]
    return 255 - sum(pixels) / len(pixels)


def test_each_patient_on_a_course_signed_a_consent_at_their_first_session_and_one_withdrew(
    demo_desk: Desk, history: list[SessionRecord]
) -> None:
    """Issue 21 point 4: consents signed on the pad (synthetic scribbles), witnessed by the nurse who
    signed the patient in; one refusing photos, one withdrawn; every session covered by its patient's."""
    first_sessions = {record.patient.id: record for record in reversed(history) if record.session_number == 1}
    signed = {patient_id: demo_desk.consents.consents_of(patient_id) for patient_id in first_sessions}
    assert all(len(consents) == 1 for consents in signed.values())
    consents = {patient_id: consents[0] for patient_id, consents in signed.items()}
    for patient_id, consent in consents.items():
        assert consent.session_id == first_sessions[patient_id].id
        tick = first_sessions[patient_id].state(demo_desk.clock.now()).item("consent").tick
        assert tick is not None and tick.staff_id == consent.witness_id
        assert tick.values == {"form_version": demo_desk.consents.current_form().version}
    assert len({consent.svg for consent in consents.values()}) == len(consents)  # a scribble each
    by_name = {
        first_sessions[patient_id].patient.family_name: consent for patient_id, consent in consents.items()
    }
    assert [name for name, consent in by_name.items() if not consent.photos_allowed] == ["Llewellyn"]
    assert [name for name, consent in by_name.items() if not consent.in_force] == ["Bjørk"]
    assert "does not wish to go on" in (by_name["Bjørk"].withdrawal_reason or "")
    for record in history:
        assert demo_desk.consents.consent_for_session(record.id) == consents[record.patient.id]
