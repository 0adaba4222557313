"""The front-desk board and gel alerts, with the injected clock: an hour passes in no time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desk_app.domain.alerts import AlertKind, due_alerts
from desk_app.domain.board import BoardPhase, board
from desk_app.domain.clock import ManualClock
from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import Staff
from desk_app.domain.session import EventKind, SessionRecord
from desk_app.store.desk import Desk
from desk_app.store.models import SessionRow
from tests.support.walk import ANAESTHETIC, SIGN_IN, TIME_OUT, tick_all

pytestmark = pytest.mark.both_databases


def numbing_session(desk: Desk, nurse: Staff, number: int) -> SessionRecord:
    """A patient whose gel is applied at the clock's current instant."""
    patient = desk.patients.register_patient(
        "Patient", f"Number {number}", "1990-01-01", f"AZ-{number:05d}", nurse.id
    )
    session = desk.sessions.start_session(patient.id, nurse.id)
    return tick_all(desk, session.id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)


def alert_kinds(desk: Desk, session_id: int, now: datetime) -> list[AlertKind]:
    record = desk.sessions.session(session_id)
    return [alert.kind for alert in due_alerts(record, record.state(now), now)]


def test_ready_alert_falls_due_at_exactly_sixty_minutes_and_remove_now_at_ninety(
    desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    applied = clock.now()
    session = numbing_session(desk, nurse, 1)
    assert alert_kinds(desk, session.id, applied + timedelta(minutes=59, seconds=59)) == []
    assert alert_kinds(desk, session.id, applied + timedelta(minutes=60)) == [AlertKind.READY]
    at_ninety = applied + timedelta(minutes=90)
    # Once the gel must come off, 'ready' is stale: only 'remove now' is due.
    assert alert_kinds(desk, session.id, at_ninety) == [AlertKind.REMOVE_NOW]


def test_an_acknowledged_alert_stays_acknowledged_with_who_and_when(
    desk: Desk, nurse: Staff, clinician: Staff, clock: ManualClock
) -> None:
    session = numbing_session(desk, nurse, 1)
    clock.advance(minutes=61)
    with pytest.raises(ActionRefused, match="no 'remove now' alert"):
        desk.sessions.acknowledge_alert(session.id, AlertKind.REMOVE_NOW, nurse.id)
    record = desk.sessions.acknowledge_alert(session.id, AlertKind.READY, clinician.id)
    event = record.state(clock.now()).alert_acks[AlertKind.READY.value]
    assert (event.staff_name, event.at) == ("Dr Clive Doctor", clock.now())
    assert alert_kinds(desk, session.id, clock.now()) == []
    with pytest.raises(ActionRefused, match="already acknowledged"):
        desk.sessions.acknowledge_alert(session.id, AlertKind.READY, nurse.id)
    clock.advance(minutes=30)  # the ready alert never comes back; remove-now is a new alert
    assert alert_kinds(desk, session.id, clock.now()) == [AlertKind.REMOVE_NOW]


def test_the_alert_that_matters_is_due_on_waking_after_the_pc_slept(
    desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    session = numbing_session(desk, nurse, 1)
    woke = clock.advance(hours=3)
    assert alert_kinds(desk, session.id, woke) == [AlertKind.REMOVE_NOW]


def test_no_gel_alerts_once_the_gel_is_off(desk: Desk, nurse: Staff, clock: ManualClock) -> None:
    session = numbing_session(desk, nurse, 1)
    clock.advance(minutes=62)
    desk.sessions.tick(session.id, "gel_removed", {}, nurse.id)
    assert alert_kinds(desk, session.id, clock.advance(minutes=60)) == []


def test_board_orders_by_who_needs_attention_first(desk: Desk, nurse: Staff, clock: ManualClock) -> None:
    start = clock.now()
    in_room = numbing_session(desk, nurse, 1)  # gel at 0 min, time-out done at 62 min
    clock.set(start + timedelta(minutes=5))
    overdue = numbing_session(desk, nurse, 2)  # gel at 5 min: remove now at 95
    clock.set(start + timedelta(minutes=40))
    ready = numbing_session(desk, nurse, 3)  # gel at 40: ready at 100
    clock.set(start + timedelta(minutes=60))
    waiting_long = numbing_session(desk, nurse, 4)  # gel at 60: ready at 120
    clock.set(start + timedelta(minutes=62))
    tick_all(desk, in_room.id, TIME_OUT, nurse.id)
    clock.set(start + timedelta(minutes=70))
    waiting_short = numbing_session(desk, nurse, 5)  # gel at 70: ready at 130
    patient = desk.patients.register_patient("Ann", "Arrival", "1980-05-05", "AZ-00006", nurse.id)
    preparing = desk.sessions.start_session(patient.id, nurse.id)

    now = start + timedelta(minutes=101)
    cards = board(desk.sessions.sessions_in_progress(), now)
    assert [(card.record.id, card.phase) for card in cards] == [
        (overdue.id, BoardPhase.REMOVE_NOW),
        (ready.id, BoardPhase.READY),
        (waiting_long.id, BoardPhase.WAITING),
        (waiting_short.id, BoardPhase.WAITING),
        (preparing.id, BoardPhase.PREPARING),
        (in_room.id, BoardPhase.IN_LASER_ROOM),
    ]
    by_id = {card.record.id: card for card in cards}
    assert by_id[waiting_long.id].gel_remaining == timedelta(minutes=19)
    assert by_id[in_room.id].laser_room_since == start + timedelta(minutes=62)
    assert by_id[in_room.id].next_label == "Fractional pass"
    assert by_id[preparing.id].next_label == "Identity confirmed with two identifiers"


def test_remove_now_outranks_being_in_the_laser_room(desk: Desk, nurse: Staff, clock: ManualClock) -> None:
    session = numbing_session(desk, nurse, 1)
    clock.advance(minutes=80)
    desk.sessions.tick(session.id, "identity_read_back", {}, nurse.id)
    [card] = board(desk.sessions.sessions_in_progress(), clock.advance(minutes=11))
    assert card.phase is BoardPhase.REMOVE_NOW


# The server's own time zone handling once, across the autumn change; every case on SQLite.
@pytest.mark.postgresql_for("across the autumn clock change")
@pytest.mark.parametrize(
    ("applied", "label"),
    [
        (datetime(2026, 11, 25, 23, 30, tzinfo=UTC), "across midnight"),
        # The next year's changes: the desk's clock never goes back before the staff were added.
        (datetime(2027, 3, 28, 0, 30, tzinfo=UTC), "across the spring clock change"),
        (datetime(2027, 10, 31, 0, 30, tzinfo=UTC), "across the autumn clock change"),
    ],
)
def test_twelve_countdowns_stay_right_across_midnight_and_clock_changes(
    desk: Desk, nurse: Staff, clock: ManualClock, applied: datetime, label: str
) -> None:
    for number in range(12):
        clock.set(applied + timedelta(minutes=number))
        numbing_session(desk, nurse, number)
    now = applied + timedelta(minutes=45)
    cards = board(desk.sessions.sessions_in_progress(), now)
    assert len(cards) == 12, label
    remaining = sorted(card.gel_remaining for card in cards)
    assert remaining == [timedelta(minutes=15 + number) for number in range(12)], label


def test_take_over_changes_who_has_the_patient_and_is_recorded(
    desk: Desk, nurse: Staff, clinician: Staff, clock: ManualClock
) -> None:
    session = numbing_session(desk, nurse, 1)
    clock.advance(minutes=3)
    record = desk.sessions.take_over(session.id, clinician.id)
    assert record.holder.name == "Dr Clive Doctor"
    [handover] = record.state(clock.now()).handovers
    assert (handover.kind, handover.staff_name, handover.at) == (
        EventKind.HANDOVER,
        "Dr Clive Doctor",
        clock.now(),
    )
    assert SessionRow.get_by_id(session.id).holder_id == clinician.id
    with pytest.raises(ActionRefused, match="already have this patient"):
        desk.sessions.take_over(session.id, clinician.id)


def test_ready_is_never_due_again_once_remove_now_is_acknowledged(
    desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    session = numbing_session(desk, nurse, 1)
    clock.advance(hours=3)  # closed or asleep through both instants
    desk.sessions.acknowledge_alert(session.id, AlertKind.REMOVE_NOW, nurse.id)
    assert alert_kinds(desk, session.id, clock.now()) == []
