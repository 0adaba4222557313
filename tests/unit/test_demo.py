"""The demo database: built through the Desk, a believable clinic, three sessions running now, new files only.

The demo is built once for the module (it takes a few seconds); each test reads it through a new Desk.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from peewee import Database

from desk_app.domain.clock import SystemClock
from desk_app.domain.countdown import GelPhase
from desk_app.domain.errors import ActionRefused
from desk_app.domain.procedure import Procedure, load_procedure
from desk_app.domain.session import EventKind, SessionRecord, SessionStatus
from desk_app.paths import PROCEDURE_FILE, resource_path
from desk_app.store.database import open_database
from desk_app.store.demo import DEMO_PASSWORD, DEMO_PIN, build_demo
from desk_app.store.desk import Desk
from desk_app.store.models import SessionRow
from tests.support.people import FAST_HASHER
from tests.support.raw_sql import run_sql

pytestmark = pytest.mark.both_databases

TABLES = ("staff", "patient", "treatment_session", "session_event")


@pytest.fixture(scope="module")
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
    return Desk(demo_db, procedure, SystemClock())


@pytest.fixture(scope="module")
def history(demo: tuple[Path, str]) -> list[SessionRecord]:
    """Every session of the demo, loaded once: records are plain values, usable after closing."""
    database = open_database(str(demo[0]))
    try:
        desk = Desk(database, load_procedure(resource_path(PROCEDURE_FILE)), SystemClock())
        return [desk.session(row.id) for row in SessionRow.select(SessionRow.id).order_by(SessionRow.id)]
    finally:
        database.close()


def counts(db: Database) -> dict[str, int]:
    return {table: run_sql(db, f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}


def test_summary_names_the_database_and_what_was_made(demo: tuple[Path, str]) -> None:
    path, summary = demo
    assert str(path.resolve()) in summary
    assert "30 patients" in summary
    assert "3 sessions in progress" in summary


def test_four_staff_who_sign_in_with_the_demo_credentials(demo_desk: Desk) -> None:
    staff = demo_desk.list_staff()
    assert len(staff) == 4
    assert len({member.initials for member in staff}) == 4
    assert sorted(member.role.value for member in staff) == ["administrator", "clinician", "nurse", "nurse"]
    for member in staff:  # the README gives these to trainees
        assert demo_desk.sign_in(member.id, DEMO_PASSWORD) == member
        assert demo_desk.confirm_pin(member.id, DEMO_PIN, "test") == member


def test_patients_have_realistic_names_ages_and_clinic_numbers(demo_desk: Desk) -> None:
    patients = demo_desk.search_patients("", limit=1000)
    assert 25 <= len(patients) <= 35
    names = [patient.full_name for patient in patients]
    assert any(not name.isascii() for name in names)
    assert any("'" in name for name in names)
    today = datetime.now(UTC).date()
    for patient in patients:
        assert 19 <= (today - patient.date_of_birth).days // 365.25 <= 60
        assert patient.clinic_number.startswith("AZ-")
    # Found blind to accents, as a nurse would type it.
    assert [p.full_name for p in demo_desk.search_patients("zoe obrien")] == ["Zoë O'Brien"]


def test_three_sessions_in_progress_at_their_stages_now(demo_desk: Desk) -> None:
    now = datetime.now(UTC)
    states = [record.state(now) for record in demo_desk.sessions_in_progress()]
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
    for record in demo_desk.sessions_in_progress():
        last_date, values = demo_desk.previous_values(record)
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


def test_visits_of_one_patient_are_four_to_six_weeks_apart(history: list[SessionRecord]) -> None:
    now = datetime.now(UTC)
    by_patient: dict[int, list[datetime]] = {}
    for record in history:
        if record.state(now).status is SessionStatus.SIGNED_OUT:
            by_patient.setdefault(record.patient.id, []).append(record.started_at)
    for starts in by_patient.values():
        starts.sort()
        for earlier, later in zip(starts, starts[1:], strict=False):
            assert timedelta(weeks=4) <= later - earlier <= timedelta(weeks=6)


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
        build_demo(str(path))
    db = open_database(str(path))
    try:
        assert counts(db) == dict.fromkeys(TABLES, 0)
    finally:
        db.close()


def test_the_demo_has_two_authorised_laser_operators_and_a_nurse_who_is_not_one(
    demo: tuple[Path, str], demo_desk: Desk
) -> None:
    operators = {member.name for member in demo_desk.authorised_operators()}
    assert operators == {"Kate Whitmore", "Dr Samir Haddad"}
    rhiannon = next(member for member in demo_desk.list_staff() if member.name == "Rhiannon Hughes")
    assert demo_desk.may_tick(rhiannon.id, "gel_applied") is None
    assert "is not one" in (demo_desk.may_tick(rhiannon.id, "fractional_pass") or "")
    assert "authorised laser operators: Kate Whitmore and Dr Samir Haddad" in demo[1]
