"""Two desks doing the same thing at the same moment: one wins, the other is told why, nothing is lost.

Each desk here is a thread with its own connection (peewee keeps one per thread), as two PCs would
have. A third connection holds the write lock while both desks press their button, then lets go:
both actions are then truly waiting for the same moment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from desk_app.domain.clock import ManualClock
from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import Staff
from desk_app.domain.procedure import Procedure
from desk_app.domain.session import EventKind
from desk_app.store.desk import Desk
from desk_app.store.models import EventRow
from tests.support.people import FAST_HASHER, PIN, add_member
from tests.support.raw_sql import other_connection
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT, tick_all

pytestmark = pytest.mark.both_databases


def at_the_same_moment(db_url: str, actions: list[Callable[[], Any]]) -> list[Any]:
    """Run the actions on threads that all wait on another desk's write lock, then release it.

    Returns each action's result, or the exception it raised."""
    results: list[Any] = [None] * len(actions)
    waiting = threading.Barrier(len(actions) + 1)

    def run(index: int) -> None:
        waiting.wait()
        try:
            results[index] = actions[index]()
        except Exception as error:  # noqa: BLE001 - the refusal is the result under test
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(actions))]
    with other_connection(db_url) as other:
        other.hold_the_write_lock()
        for thread in threads:
            thread.start()
        waiting.wait()  # every desk is about to press its button while the lock is held
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def two_desks(db_url: str, desk: Desk, procedure: Procedure, clock: ManualClock) -> tuple[Desk, Desk]:
    return desk, Desk(desk.db, procedure, clock, FAST_HASHER)


def ready_to_sign_out(desk: Desk, clock: ManualClock, nurse: Staff) -> int:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    session = desk.sessions.start_session(patient.id, nurse.id)
    tick_all(desk, session.id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    clock.advance(minutes=61)
    tick_all(desk, session.id, {**TIME_OUT, **LASER, **SIGN_OUT}, nurse.id)
    return session.id


def test_two_desks_signing_out_one_session_at_once_end_with_one_sign_out_and_a_message(
    two_desks: tuple[Desk, Desk], db_url: str, clock: ManualClock, nurse: Staff
) -> None:
    front, laser_room = two_desks
    other_nurse = add_member(front, "Kate Whitmore", "KW", "nurse")
    session_id = ready_to_sign_out(front, clock, nurse)

    results = at_the_same_moment(
        db_url,
        [
            lambda: front.sessions.sign_out(session_id, nurse.id, PIN),
            lambda: laser_room.sessions.sign_out(session_id, other_nurse.id, PIN),
        ],
    )

    refused = [result for result in results if isinstance(result, Exception)]
    assert len(refused) == 1, results
    assert isinstance(refused[0], ActionRefused)
    assert "signed out" in str(refused[0])
    events = front.sessions.session(session_id).events
    sign_outs = [event for event in events if event.item_id == "operator_sign_out"]
    assert len(sign_outs) == 1
    assert EventRow.select().where(EventRow.item_id == "operator_sign_out").count() == 1
    assert front.audit.verify_audit().ok


def test_two_desks_taking_over_one_patient_at_once_end_with_one_holder_and_a_message(
    two_desks: tuple[Desk, Desk], db_url: str, nurse: Staff, clinician: Staff
) -> None:
    front, laser_room = two_desks
    kate = add_member(front, "Kate Whitmore", "KW", "nurse")
    patient = front.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    session = front.sessions.start_session(patient.id, nurse.id)
    shown_holder = front.sessions.session(session.id).holder.id  # both boards show the nurse has the patient

    results = at_the_same_moment(
        db_url,
        [
            lambda: front.sessions.take_over(session.id, kate.id, shown_holder),
            lambda: laser_room.sessions.take_over(session.id, clinician.id, shown_holder),
        ],
    )

    refused = [result for result in results if isinstance(result, Exception)]
    assert len(refused) == 1, results
    winner = next(result for result in results if not isinstance(result, Exception)).holder
    assert isinstance(refused[0], ActionRefused)
    assert str(refused[0]) == f"{winner.name} has just taken over this patient. Nothing was changed."
    record = front.sessions.session(session.id)
    assert record.holder.id == winner.id
    assert [event.kind for event in record.events].count(EventKind.HANDOVER) == 1
    assert front.audit.verify_audit().ok


def test_a_take_over_from_a_board_that_is_up_to_date_still_hands_over(
    desk: Desk, nurse: Staff, clinician: Staff
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    session = desk.sessions.start_session(patient.id, nurse.id)
    assert desk.sessions.take_over(session.id, clinician.id, nurse.id).holder.id == clinician.id
    assert desk.sessions.take_over(session.id, nurse.id, clinician.id).holder.id == nurse.id


def test_two_desks_ticking_one_item_at_once_end_with_one_tick_and_a_message(
    two_desks: tuple[Desk, Desk], db_url: str, nurse: Staff
) -> None:
    """Each tick reads the session after the write lock is granted (on a server, in the round trip
    after BEGIN's), so the second sees the first's tick."""
    front, laser_room = two_desks
    kate = add_member(front, "Kate Whitmore", "KW", "nurse")
    patient = front.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    session = front.sessions.start_session(patient.id, nurse.id)

    results = at_the_same_moment(
        db_url,
        [
            lambda: front.sessions.tick(session.id, "identity", SIGN_IN["identity"], nurse.id),
            lambda: laser_room.sessions.tick(session.id, "identity", SIGN_IN["identity"], kate.id),
        ],
    )

    refused = [result for result in results if isinstance(result, Exception)]
    assert len(refused) == 1, results
    assert isinstance(refused[0], ActionRefused)
    events = front.sessions.session(session.id).events
    assert [event.item_id for event in events].count("identity") == 1
    assert front.audit.verify_audit().ok


def test_two_desks_writing_notes_at_once_both_keep_theirs_in_one_unbroken_trail(
    two_desks: tuple[Desk, Desk], db_url: str, nurse: Staff, clinician: Staff
) -> None:
    """On a server each note's event id and the audit trail's last row are read with the session,
    under the lock, and the rows go with the COMMIT: the second desk links to the first's row."""
    front, laser_room = two_desks
    patient = front.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    session = front.sessions.start_session(patient.id, nurse.id)

    results = at_the_same_moment(
        db_url,
        [
            lambda: front.sessions.add_note(session.id, None, "Patient anxious", nurse.id),
            lambda: laser_room.sessions.add_note(session.id, None, "Spoke to the patient", clinician.id),
        ],
    )

    assert not [result for result in results if isinstance(result, Exception)], results
    notes = {
        event.text for event in front.sessions.session(session.id).events if event.kind is EventKind.NOTE
    }
    assert notes == {"Patient anxious", "Spoke to the patient"}
    assert front.audit.verify_audit().ok
