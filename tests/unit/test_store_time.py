"""Times in the store: aware datetimes only, stored as UTC, read back aware, right across a DST change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from peewee import Database

from desk_app.domain.clock import ManualClock
from desk_app.domain.countdown import GelPhase
from desk_app.domain.people import Staff
from desk_app.domain.procedure import Procedure
from desk_app.domain.session import ItemStatus
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from desk_app.store.fields import UTCDateTimeField
from desk_app.store.models import StaffRow
from tests.support.people import add_member
from tests.support.raw_sql import run_sql, stored_utc_text
from tests.support.walk import ANAESTHETIC, SIGN_IN, tick_all

pytestmark = pytest.mark.both_databases

LONDON = ZoneInfo("Europe/London")
# UK clocks go forward at 01:00 UTC on Sunday 29 March 2026: 01:00 GMT becomes 02:00 BST.
BEFORE_THE_CHANGE = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
GEL_APPLIED = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
GEL_READY = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def raw_times(db: Database, item_id: str) -> list[str]:
    rows = run_sql(db, "SELECT at FROM session_event WHERE item_id = ?", (item_id,)).fetchall()
    return [stored_utc_text(row[0]) for row in rows]


@pytest.fixture
def gel_across_dst(desk: Desk, clock: ManualClock) -> int:
    """A session whose gel went on at 00:30 UTC (00:30 GMT), half an hour before the clocks change."""
    clock.set(BEFORE_THE_CHANGE)
    nurse = add_member(desk, "Night Nurse", "NN", "nurse")
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-0001", nurse.id)
    session = desk.sessions.start_session(patient.id, nurse.id)
    tick_all(desk, session.id, SIGN_IN, nurse.id)
    clock.set(GEL_APPLIED)
    tick_all(desk, session.id, ANAESTHETIC, nurse.id)
    return session.id


def test_gel_applied_before_the_clocks_go_forward_is_ready_an_hour_later_in_utc(
    gel_across_dst: int, db_url: str, db: Database, procedure: Procedure, clock: ManualClock
) -> None:
    db.close()
    reopened = open_database(db_url)  # read back from the database, not from any cache
    try:
        record = Desk(reopened, procedure, clock).sessions.session(gel_across_dst)
        countdown = record.state(GEL_APPLIED).countdown
        assert countdown is not None
        assert countdown.applied_at == GEL_APPLIED
        assert countdown.ready_at == GEL_READY
        assert countdown.ready_at.utcoffset() == timedelta(0)
        # Shown in UK time the wall clock jumps: applied 00:30 GMT, ready 02:30 BST, one real hour.
        assert countdown.applied_at.astimezone(LONDON).strftime("%H:%M %Z") == "00:30 GMT"
        assert countdown.ready_at.astimezone(LONDON).strftime("%H:%M %Z") == "02:30 BST"

        just_before = GEL_READY - timedelta(seconds=1)
        assert record.state(just_before).item("gel_wait").status is ItemStatus.WAITING
        assert countdown.phase(just_before) is GelPhase.WAITING
        assert record.state(GEL_READY).item("gel_wait").status is ItemStatus.DONE
        assert countdown.phase(GEL_READY) is GelPhase.READY
    finally:
        reopened.close()


def test_times_are_stored_as_utc_wall_time_without_an_offset(gel_across_dst: int, db: Database) -> None:
    assert raw_times(db, "gel_applied") == ["2026-03-29 00:30:00"]
    assert raw_times(db, "identity") == ["2026-03-29 00:00:00"]
    started = run_sql(
        db, "SELECT started_at FROM treatment_session WHERE id = ?", (gel_across_dst,)
    ).fetchone()[0]
    assert stored_utc_text(started) == "2026-03-29 00:00:00"


def test_a_tick_after_the_change_is_stored_in_utc_not_bst(
    gel_across_dst: int, desk: Desk, db: Database, clock: ManualClock
) -> None:
    """A clock handed a UK local time still stores UTC: 02:40 BST is 01:40 UTC."""
    nurse = next(staff for staff in desk.accounts.list_staff() if staff.initials == "NN")
    clock.set(datetime(2026, 3, 29, 2, 40, tzinfo=LONDON))
    record = desk.sessions.add_note(gel_across_dst, None, "Patient comfortable", nurse.id)
    assert record.events[-1].at == datetime(2026, 3, 29, 1, 40, tzinfo=UTC)
    raw = run_sql(db, "SELECT at FROM session_event ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert stored_utc_text(raw) == "2026-03-29 01:40:00"


# --- the field itself ----------------------------------------------------------------------------


def test_field_stores_an_aware_local_time_as_utc_and_reads_it_back_aware(db: Database) -> None:
    bst = datetime(2026, 7, 1, 14, 15, 16, 123456, tzinfo=LONDON)
    row = StaffRow.create(name="Summer Staff", initials="SS", role="nurse", created_at=bst)
    raw = run_sql(db, "SELECT created_at FROM staff WHERE id = ?", (row.id,)).fetchone()[0]
    assert stored_utc_text(raw) == "2026-07-01 13:15:16.123456"
    read = StaffRow.get_by_id(row.id).created_at
    assert read == bst
    assert read.tzinfo is UTC
    assert (read.hour, read.minute) == (13, 15)


def test_field_refuses_a_naive_datetime_and_writes_nothing(db: Database, nurse: Staff) -> None:
    before = StaffRow.select().count()
    with pytest.raises(ValueError, match="timezone-aware"):
        StaffRow.create(
            name="Naive Staff", initials="NS", role="nurse", created_at=datetime(2026, 7, 1, 14, 0)
        )
    assert StaffRow.select().count() == before


def test_field_refuses_a_non_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        StaffRow.created_at.db_value("2026-07-01 14:00:00")


def test_field_keeps_none(db: Database) -> None:
    assert UTCDateTimeField().db_value(None) is None
    assert UTCDateTimeField().python_value(None) is None


def test_field_reads_a_stored_offset_correctly(db: Database, nurse: Staff) -> None:
    run_sql(db, "UPDATE staff SET created_at = ? WHERE id = ?", ("2026-03-29 02:30:00+01:00", nurse.id))
    assert StaffRow.get_by_id(nurse.id).created_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
