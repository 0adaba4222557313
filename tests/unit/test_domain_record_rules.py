"""Rules found in review: nothing recorded disappears from view, and the gel's countdown cannot be
fooled by undoing, overriding or re-applying."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk_app.domain.actions import can_correct, can_override
from desk_app.domain.alerts import AlertKind, check_acknowledge, due_alerts
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.session import EventKind, ItemStatus, SessionRecord
from tests.conftest import START
from tests.support.session_log import NURSE, Log, through_anaesthetic
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, TIME_OUT


def test_a_corrected_answer_and_its_override_stay_in_the_item_s_history(log: Log) -> None:
    log.tick_all(SIGN_IN, skin_type={"fitzpatrick": "VI"})
    override = log.override("skin_type", "Test patch fine")
    log.correct("skin_type", "Wrong patient's answer read out")
    log.tick("skin_type", {"fitzpatrick": "II"})
    item = log.state().item("skin_type")
    assert item.status is ItemStatus.DONE
    assert [event.kind for event in item.history] == [
        EventKind.TICK,
        EventKind.OVERRIDE,
        EventKind.CORRECTION,
        EventKind.TICK,
    ]
    assert item.history[0].values == {"fitzpatrick": "VI"}
    assert item.history[1] == override


def test_an_override_given_by_mistake_can_be_withdrawn(log: Log) -> None:
    applied = through_anaesthetic(log)
    log.clock.advance(minutes=10)
    early = log.override("gel_wait", "Patient in a hurry")
    assert log.state().item("identity_read_back").lock_reason is None
    assert can_correct(log.state(), "gel_wait") is None
    log.correct("gel_wait", "Clinician changed her mind: full hour")
    state = log.state()
    assert state.item("gel_wait").override is None
    assert state.item("identity_read_back").locked
    assert early in state.item("gel_wait").history
    assert state.countdown.ready_at == applied.at + timedelta(minutes=60)


def test_gel_removal_is_a_hard_stop_that_cannot_be_overridden(log: Log) -> None:
    through_anaesthetic(log)
    log.clock.advance(minutes=61)
    assert "hard stop" in can_override(log.state(), "gel_removed")
    with pytest.raises(ActionRefused):
        log.override("gel_removed", "Forgot to tick it")
    log.tick("identity_read_back")
    assert "Gel removed" in log.state().item("fractional_pass").lock_reason


def test_gel_applied_cannot_be_undone_once_the_gel_is_off(log: Log) -> None:
    through_anaesthetic(log)
    log.clock.advance(minutes=61)
    log.tick_all(TIME_OUT)
    assert "undo 'Gel removed, skin cleansed and dry' first" in can_correct(log.state(), "gel_applied")
    with pytest.raises(ActionRefused, match="gel is already off"):
        log.correct("gel_applied", "Re-apply")


def test_an_acknowledgement_answers_only_the_gel_it_was_given_for(log: Log) -> None:
    through_anaesthetic(log)
    log.clock.advance(minutes=61)
    values = check_acknowledge(log.state(), AlertKind.READY, log.clock.now())
    log._append(EventKind.ALERT_ACK, NURSE, text=AlertKind.READY.value, values=values)
    assert AlertKind.READY.value in log.state().alert_acks
    log.correct("gel_applied", "Gel wiped off by the patient; painted again")
    log.tick("gel_applied")
    record = _record(log)
    assert log.state().alert_acks == {}
    later = log.clock.advance(minutes=61)
    assert [alert.kind for alert in due_alerts(record, record.state(later), later)] == [AlertKind.READY]


def _record(session_log: Log) -> SessionRecord:
    from desk_app.domain.people import Patient

    patient = Patient(1, "Zoë", "O'Brien", START.date(), "AZ-00001")
    return SessionRecord(1, patient, 1, session_log.procedure, START, NURSE, tuple(session_log.events))


def test_an_adverse_event_needs_its_description(log: Log) -> None:
    through_anaesthetic(log)
    log.clock.advance(minutes=61)
    log.tick_all(TIME_OUT)
    for item_id in ("fractional_pass", "full_beam_pass", "skin_response"):
        log.tick(item_id, LASER[item_id])
    with pytest.raises(ValidationError, match="Description: please fill this in"):
        log.tick("adverse_events", {"adverse": "Yes (describe below)"})
    log.tick(
        "adverse_events",
        {
            "adverse": "Yes (describe below)",
            "description": "Small blister, left cheek",
            "kinds": ["Blistering"],
            "severity": "Mild",
            "action": "Cooled",
            "follow_up": "No follow-up needed",
        },
    )
    assert log.state().item("adverse_events").status is ItemStatus.NEEDS_OVERRIDE


def test_recent_isotretinoin_needs_the_date_of_the_last_dose(log: Log) -> None:
    with pytest.raises(ValidationError, match="Date of last isotretinoin dose: please fill this in"):
        log.tick(
            "medication_history",
            {"isotretinoin": "In the last 6 months", "cold_sores": "No history of cold sores"},
        )


def test_the_next_session_cannot_be_planned_in_the_past(log: Log) -> None:
    yesterday = (log.clock.now() - timedelta(days=1)).date().isoformat()
    item = log.procedure.item("next_session")
    from desk_app.domain.values import validate_values

    with pytest.raises(ValidationError, match="cannot be in the past"):
        validate_values(item, {"planned_sessions": 3, "next_date": yesterday}, log.clock.now().date())


def test_override_is_offered_only_when_it_would_be_accepted(log: Log) -> None:
    state = log.state()
    assert can_override(state, "skin_type").startswith("Record 'Fitzpatrick skin type and test patch' first")
    assert "hard stop" in can_override(state, "identity")
    log.tick_all(SIGN_IN, skin_type={"fitzpatrick": "V"})
    assert can_override(log.state(), "skin_type") is None
    assert "flags a risk" in can_override(log.state(), "gel_wait")  # locked behind the skin type
    log.override("skin_type", "Test patch fine")
    assert "Waiting for 'Anaesthetic product" in can_override(log.state(), "gel_wait")  # recorded first
    log.tick("gel_product", ANAESTHETIC["gel_product"])
    assert "Hard stop: 'Areas painted'" in can_override(log.state(), "gel_wait")
    log.tick("gel_areas", ANAESTHETIC["gel_areas"])
    assert can_override(log.state(), "gel_wait").startswith("The gel countdown has not started")
