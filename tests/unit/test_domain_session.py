"""The session state machine: every stop rule, replayed from plain events with no database.

`Log` plays the part of the store: it derives the state, asks the matching check_* function, and
appends an event only when the check passes, just as one user action would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from desk_app.domain.actions import (
    NOTE_MAX,
)
from desk_app.domain.clock import ManualClock
from desk_app.domain.countdown import Countdown, GelPhase, clock_text, duration_words
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.people import Patient, Staff
from desk_app.domain.procedure import Procedure, parse_procedure
from desk_app.domain.session import (
    ItemStatus,
    SessionRecord,
    SessionStatus,
    derive_state,
)
from tests.support.session_log import ADMIN, CLINICIAN, NURSE, Log, through_anaesthetic
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT

SIGN_IN_IDS = list(SIGN_IN)
LATER_IDS = [*ANAESTHETIC, "gel_wait", *TIME_OUT, *LASER, *SIGN_OUT, "operator_sign_out"]
TIME_OUT_IDS = list(TIME_OUT)
ALL_IDS = [*SIGN_IN_IDS, *LATER_IDS]


def through_time_out(log: Log) -> None:
    through_anaesthetic(log)
    log.clock.advance(minutes=60)
    log.tick_all(TIME_OUT)


def ready_to_sign_out(log: Log) -> None:
    through_time_out(log)
    log.tick_all(LASER)
    log.tick_all(SIGN_OUT)


def sign_in_except(log: Log, missing: str) -> None:
    for item_id, values in SIGN_IN.items():
        if item_id != missing:
            log.tick(item_id, values)


# --- the start -------------------------------------------------------------------------------------


def test_at_the_start_only_sign_in_items_are_open(log: Log) -> None:
    state = log.state()
    assert state.status is SessionStatus.IN_PROGRESS
    for item_id in SIGN_IN_IDS:
        assert state.item(item_id).status is ItemStatus.OPEN
        assert not state.item(item_id).locked, item_id
    for item_id in LATER_IDS:
        reason = state.item(item_id).lock_reason
        assert reason is not None, item_id
        assert "Identity confirmed with two identifiers" in reason, item_id
        assert "Sign-in" in reason


def test_at_the_start_the_next_item_is_identity_and_no_gel_is_on(log: Log) -> None:
    state = log.state()
    assert state.next_item() is not None
    assert state.next_item().item.id == "identity"  # type: ignore[union-attr]
    assert state.current_pause_point is not None
    assert state.current_pause_point.id == "sign_in"
    assert state.countdown is None
    assert state.gel_phase(log.clock.now()) is GelPhase.NOT_STARTED


def test_ticking_a_locked_item_is_refused_with_the_reason(log: Log) -> None:
    with pytest.raises(ActionRefused, match="locked. Hard stop: 'Identity confirmed"):
        log.tick("gel_applied")
    assert log.events == []


def test_ticking_an_unknown_item_is_refused(log: Log) -> None:
    with pytest.raises(ActionRefused, match="'laser_pass_3' is not an item of this procedure"):
        log.tick("laser_pass_3")


def test_identity_needs_the_second_identifier_recorded(log: Log) -> None:
    with pytest.raises(ValidationError, match="Second identifier checked: please fill this in"):
        log.tick("identity", {})
    assert log.state().item("identity").status is ItemStatus.OPEN


# --- hard stops at Sign-in -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "label"),
    [("identity", "Identity confirmed with two identifiers"), ("consent", "Consent form signed")],
)
def test_identity_or_consent_not_done_locks_everything_after_sign_in(
    log: Log, missing: str, label: str
) -> None:
    sign_in_except(log, missing)
    state = log.state()
    for item_id in LATER_IDS:
        assert state.item(item_id).lock_reason == f"Hard stop: '{label}' (Sign-in) is not done yet.", item_id
    with pytest.raises(ActionRefused, match="Hard stop"):
        log.tick("gel_product", ANAESTHETIC["gel_product"])


@pytest.mark.parametrize("item_id", ["identity", "consent"])
@pytest.mark.parametrize("staff", [NURSE, CLINICIAN, ADMIN], ids=lambda s: s.role.value)
def test_hard_stop_cannot_be_overridden_even_by_a_clinician(log: Log, item_id: str, staff: Staff) -> None:
    sign_in_except(log, item_id)
    with pytest.raises(ActionRefused, match="is a hard stop and cannot be overridden"):
        log.override(item_id, "Patient well known to me", staff=staff)
    assert log.state().item("gel_product").locked


# --- soft stops at Sign-in -------------------------------------------------------------------------

FLAGGED_SCREENING = [
    pytest.param("skin_type", {"fitzpatrick": "V"}, "Skin type V or VI", id="skin type V"),
    pytest.param("skin_type", {"fitzpatrick": "VI"}, "Skin type V or VI", id="skin type VI"),
    pytest.param(
        "contraindications",
        {**SIGN_IN["contraindications"], "pregnant": "Yes"},
        "Pregnant or breastfeeding",
        id="pregnant",
    ),
    pytest.param(
        "contraindications",
        {**SIGN_IN["contraindications"], "anaesthetic_allergy": "Yes"},
        "Allergy to local anaesthetic",
        id="allergy",
    ),
    pytest.param(
        "medication_history",
        {
            "isotretinoin": "In the last 6 months",
            "isotretinoin_last_dose": "2026-10-01",
            "cold_sores": "No history of cold sores",
        },
        "Isotretinoin now or in the last 6 months",
        id="isotretinoin",
    ),
    pytest.param(
        "medication_history",
        {"isotretinoin": "Never", "cold_sores": "History, no antiviral"},
        "Cold-sore history without an antiviral",
        id="cold sores",
    ),
    pytest.param(
        "medication_history",
        {"isotretinoin": "Taking it now", "cold_sores": "No history of cold sores"},
        "Isotretinoin now or in the last 6 months",
        id="isotretinoin now",
    ),
    *(
        pytest.param(
            "contraindications", {**SIGN_IN["contraindications"], question: "Yes"}, flag, id=question
        )
        for question, flag in [
            ("keloid", "History of keloid or raised scars"),
            ("photosensitising", "Photosensitising medicine"),
            ("anticoagulant", "Taking a blood thinner"),
            ("recent_procedure", "Recent peel, filler or laser in the area"),
        ]
    ),
]


@pytest.mark.parametrize(("item_id", "values", "flag"), FLAGGED_SCREENING)
def test_flagged_screening_answer_needs_a_clinician_override(
    log: Log, item_id: str, values: dict[str, Any], flag: str
) -> None:
    log.tick_all(SIGN_IN, **{item_id: values})
    state = log.state()
    flagged = state.item(item_id)
    assert flagged.status is ItemStatus.NEEDS_OVERRIDE
    assert not flagged.satisfied
    assert any(flag in text for text in flagged.flags), flagged.flags
    for later in ANAESTHETIC:
        reason = state.item(later).lock_reason
        assert reason is not None
        assert f"'{flagged.item.label}'" in reason
        assert "a clinician must override it with a reason" in reason
    with pytest.raises(ActionRefused, match="clinician must override"):
        log.tick("gel_product", ANAESTHETIC["gel_product"])


@pytest.mark.parametrize("staff", [NURSE, ADMIN], ids=lambda s: s.role.value)
def test_only_a_clinician_may_override_a_soft_stop(log: Log, staff: Staff) -> None:
    log.tick_all(SIGN_IN, skin_type={"fitzpatrick": "V"})
    with pytest.raises(ActionRefused, match="Only a clinician may override a stop"):
        log.override("skin_type", "Patient insists", staff=staff)
    assert log.state().item("skin_type").status is ItemStatus.NEEDS_OVERRIDE


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_clinician_override_without_a_reason_is_refused(log: Log, reason: str) -> None:
    log.tick_all(SIGN_IN, skin_type={"fitzpatrick": "V"})
    with pytest.raises(ValidationError, match="please fill this in"):
        log.override("skin_type", reason)
    assert log.state().item("skin_type").status is ItemStatus.NEEDS_OVERRIDE


def test_clinician_override_with_a_reason_lets_the_session_go_on(log: Log) -> None:
    log.tick_all(SIGN_IN, skin_type={"fitzpatrick": "V"})
    event = log.override("skin_type", "  Test patch in October, no pigment change.  ")
    state = log.state()
    skin = state.item("skin_type")
    assert skin.status is ItemStatus.OVERRIDDEN
    assert skin.satisfied
    assert skin.override == event
    assert skin.override.text == "Test patch in October, no pigment change."  # type: ignore[union-attr]
    assert skin.override.staff_name == "Dr Clive Doctor"  # type: ignore[union-attr]
    # The risk stays visible beside the override, for the printed record.
    assert skin.flags == ("Skin type V or VI: higher risk of pigment change",)
    for item_id in ANAESTHETIC:
        assert not state.item(item_id).locked, item_id


def test_each_flagged_item_needs_its_own_override(log: Log) -> None:
    log.tick_all(
        SIGN_IN,
        skin_type={"fitzpatrick": "V"},
        contraindications={**SIGN_IN["contraindications"], "sun": "Yes"},
    )
    log.override("skin_type")
    reason = log.state().item("gel_product").lock_reason
    assert reason is not None and "'Contraindications checked'" in reason
    log.override("contraindications", "Tan faded; patient accepts the risk")
    assert not log.state().item("gel_product").locked


def test_unanswered_soft_item_holds_up_the_next_pause_point(log: Log) -> None:
    sign_in_except(log, "contraindications")
    reason = log.state().item("gel_product").lock_reason
    assert reason == (
        "Waiting for 'Contraindications checked' (Sign-in): "
        "do it, or a clinician may override it with a reason."
    )


def test_unanswered_item_without_a_stop_does_not_hold_up_the_next_pause_point(log: Log) -> None:
    sign_in_except(log, "photos")
    state = log.state()
    assert not state.item("gel_product").locked
    assert state.item("photos").status is ItemStatus.OPEN


def test_an_item_that_is_done_needs_no_override(log: Log) -> None:
    log.tick_all(SIGN_IN)
    with pytest.raises(ActionRefused, match="needs no override"):
        log.override("skin_type")


def test_an_item_without_a_stop_cannot_be_overridden(log: Log) -> None:
    with pytest.raises(ActionRefused, match="must be done and cannot be overridden"):
        log.override("photos")


def test_a_locked_soft_item_cannot_be_overridden(log: Log) -> None:
    with pytest.raises(ActionRefused, match="locked. Hard stop"):
        log.override("fractional_pass")


# --- an override answers the item as it stood ------------------------------------------------------


def test_override_stops_counting_after_a_correction(log: Log) -> None:
    log.tick_all(SIGN_IN, skin_type={"fitzpatrick": "V"})
    log.override("skin_type")
    log.correct("skin_type", "Wrong patient's answer recorded")
    state = log.state()
    assert state.item("skin_type").status is ItemStatus.OPEN
    assert state.item("skin_type").override is None
    assert state.item("gel_product").locked


def test_override_stops_counting_after_a_new_tick(log: Log) -> None:
    log.tick_all(SIGN_IN, skin_type={"fitzpatrick": "V"})
    log.override("skin_type")
    log.correct("skin_type")
    log.tick("skin_type", {"fitzpatrick": "VI"})
    state = log.state()
    assert state.item("skin_type").status is ItemStatus.NEEDS_OVERRIDE
    assert state.item("gel_product").locked
    log.correct("skin_type")
    log.tick("skin_type", {"fitzpatrick": "III"})
    assert log.state().item("skin_type").status is ItemStatus.DONE


def test_a_screening_answer_must_be_recorded_before_a_clinician_can_override_it(log: Log) -> None:
    sign_in_except(log, "contraindications")
    with pytest.raises(ActionRefused, match="Record 'Contraindications checked' first"):
        log.override("contraindications", "Patient could not be asked; clinician examined")
    assert log.state().item("gel_product").locked


def test_adverse_events_cannot_be_overridden_without_an_answer(log: Log) -> None:
    """Design: adverse events are recorded even if none; an override must not stand in for them."""
    through_anaesthetic(log)
    log.clock.advance(minutes=61)
    for item_id, values in TIME_OUT.items():
        log.tick(item_id, values)
    with pytest.raises(ActionRefused, match="Record 'Adverse events' first"):
        log.override("adverse_events", "Nothing happened")


# --- the gel countdown -----------------------------------------------------------------------------


def test_gel_applied_starts_the_countdown_at_the_tick(log: Log) -> None:
    applied = through_anaesthetic(log)
    countdown = log.state().countdown
    assert countdown is not None
    assert countdown.applied_at == applied.at
    assert countdown.ready_at == applied.at + timedelta(minutes=60)
    assert countdown.remove_at == applied.at + timedelta(minutes=90)
    assert countdown.removed_at is None


def test_a_records_kept_state_follows_the_countdown_end_either_way(log: Log) -> None:
    """A record keeps its replayed state (issue 23), yet its time-out opens at sixty minutes, and a
    `now` before that (a desk whose clock is behind) still finds it closed."""
    applied = through_anaesthetic(log)
    patient = Patient(1, "Zoë", "O'Brien", applied.at.date(), "AZ-00001")
    record = SessionRecord(1, patient, 1, log.procedure, applied.at, NURSE, tuple(log.events))
    ready_at = applied.at + timedelta(minutes=60)
    for now in (ready_at - timedelta(seconds=1), ready_at, ready_at - timedelta(microseconds=1), ready_at):
        assert record.state(now) == derive_state(log.procedure, log.events, now), now
    assert record.state(ready_at).item("gel_wait").status is ItemStatus.DONE
    assert record.state(applied.at).item("gel_wait").status is ItemStatus.WAITING
    assert record.state(applied.at) is record.state(ready_at - timedelta(seconds=1))  # replayed once


def test_time_out_opens_at_exactly_sixty_minutes(log: Log) -> None:
    applied = through_anaesthetic(log)
    almost = log.state(applied.at + timedelta(minutes=59, seconds=59))
    assert almost.item("gel_wait").status is ItemStatus.WAITING
    for item_id in TIME_OUT_IDS:
        if item_id == "gel_removed":  # taking the gel off is never held up
            assert almost.item(item_id).lock_reason is None
            continue
        assert almost.item(item_id).lock_reason == (
            "The anaesthetic gel is still working: this opens when the countdown ends."
        )
    assert almost.next_item().item.id == "gel_wait"  # type: ignore[union-attr]
    assert almost.current_pause_point.id == "wait"  # type: ignore[union-attr]

    ready = log.state(applied.at + timedelta(minutes=60))
    assert ready.item("gel_wait").status is ItemStatus.DONE
    for item_id in TIME_OUT_IDS:
        assert not ready.item(item_id).locked, item_id
    assert ready.current_pause_point.id == "time_out"  # type: ignore[union-attr]


def test_time_out_cannot_be_ticked_while_the_gel_works(log: Log) -> None:
    through_anaesthetic(log)
    log.clock.advance(minutes=59, seconds=59)
    with pytest.raises(ActionRefused, match="gel is still working"):
        log.tick("identity_read_back")
    log.clock.advance(seconds=1)
    log.tick("identity_read_back")


@pytest.mark.parametrize(
    ("after", "phase"),
    [
        (timedelta(0), GelPhase.WAITING),
        (timedelta(minutes=59, seconds=59), GelPhase.WAITING),
        (timedelta(minutes=60), GelPhase.READY),
        (timedelta(minutes=89, seconds=59), GelPhase.READY),
        (timedelta(minutes=90), GelPhase.REMOVE_NOW),
        (timedelta(hours=5), GelPhase.REMOVE_NOW),
    ],
)
def test_gel_phase_at_each_instant(log: Log, after: timedelta, phase: GelPhase) -> None:
    applied = through_anaesthetic(log)
    assert log.state().gel_phase(applied.at + after) is phase


def test_gel_removed_tick_ends_the_gel_time(log: Log) -> None:
    applied = through_anaesthetic(log)
    log.clock.advance(minutes=75)
    log.tick("identity_read_back")
    log.tick("gel_removed")
    later = applied.at + timedelta(hours=3)
    state = log.state(later)
    assert state.gel_phase(later) is GelPhase.REMOVED
    assert state.countdown is not None
    assert state.countdown.removed_at == applied.at + timedelta(minutes=75)
    assert state.countdown.gel_time(later) == timedelta(minutes=75)


def test_the_countdown_item_cannot_be_ticked_by_hand(log: Log) -> None:
    through_anaesthetic(log)
    log.clock.advance(minutes=61)
    with pytest.raises(ActionRefused, match="countdown ends by itself"):
        log.tick("gel_wait")


def test_a_clinician_may_end_the_wait_early_with_a_reason(log: Log) -> None:
    applied = through_anaesthetic(log)
    log.clock.advance(minutes=45)
    with pytest.raises(ActionRefused, match="Only a clinician"):
        log.override("gel_wait", "Patient comfortable", staff=NURSE)
    with pytest.raises(ValidationError):
        log.override("gel_wait", " ")
    assert log.state().item("identity_read_back").locked

    log.override("gel_wait", "Numb after 45 minutes; patient must leave by 11:00")
    state = log.state()
    assert state.item("gel_wait").status is ItemStatus.OVERRIDDEN
    for item_id in TIME_OUT_IDS:
        assert not state.item(item_id).locked, item_id
    # The countdown itself is not rewritten: it still says when the gel would have been ready.
    assert state.countdown is not None
    assert state.countdown.ready_at == applied.at + timedelta(minutes=60)


def test_the_wait_cannot_be_overridden_before_the_gel_is_applied(log: Log) -> None:
    log.tick_all(SIGN_IN)
    log.tick_all({item: values for item, values in ANAESTHETIC.items() if item != "gel_applied"})
    state = log.state()
    assert state.item("gel_wait").lock_reason is None
    with pytest.raises(ActionRefused, match="countdown has not started"):
        log.override("gel_wait", "Patient in a hurry")
    assert state.item("identity_read_back").lock_reason == (
        "The gel countdown has not started: tick 'Gel applied' first."
    )


def test_correcting_gel_applied_restarts_the_countdown_from_the_new_tick(log: Log) -> None:
    through_anaesthetic(log)
    log.clock.advance(minutes=10)
    log.correct("gel_applied", "Gel wiped off; painted again")
    assert log.state().countdown is None
    again = log.tick("gel_applied")
    state = log.state(again.at + timedelta(minutes=59))
    assert state.countdown is not None
    assert state.countdown.ready_at == again.at + timedelta(minutes=60)
    assert state.item("identity_read_back").locked


def test_an_early_end_to_the_wait_does_not_carry_over_to_gel_painted_again(log: Log) -> None:
    through_anaesthetic(log)
    log.clock.advance(minutes=45)
    log.override("gel_wait", "Numb after 45 minutes")
    log.correct("gel_applied", "Gel wiped off; painted again")
    log.tick("gel_applied")
    state = log.state()
    assert state.item("gel_wait").status is ItemStatus.WAITING
    assert state.item("identity_read_back").locked


def test_countdown_remaining_is_deadline_minus_now_and_never_negative(log: Log) -> None:
    applied = through_anaesthetic(log)
    countdown = log.state().countdown
    assert countdown is not None
    assert countdown.remaining(applied.at + timedelta(minutes=20)) == timedelta(minutes=40)
    assert clock_text(countdown.remaining(applied.at + timedelta(minutes=20))) == "40:00"
    assert countdown.remaining(applied.at + timedelta(minutes=60)) == timedelta(0)
    assert countdown.remaining(applied.at + timedelta(minutes=200)) == timedelta(0)
    assert clock_text(countdown.remaining(applied.at + timedelta(minutes=200))) == "00:00"


@pytest.mark.parametrize(
    ("duration", "shown"),
    [
        (timedelta(minutes=40), "40:00"),
        (timedelta(minutes=60), "1:00:00"),
        (timedelta(minutes=97, seconds=19), "1:37:19"),
        (timedelta(seconds=59.2), "01:00"),
        (timedelta(seconds=0.001), "00:01"),
        (timedelta(minutes=4, seconds=59, milliseconds=1), "05:00"),
        (timedelta(seconds=61), "01:01"),
        (timedelta(0), "00:00"),
        (timedelta(seconds=-5), "00:00"),
        (timedelta(hours=-2), "00:00"),
    ],
)
def test_a_countdown_clock_rounds_up_is_never_negative_and_shows_hours(
    duration: timedelta, shown: str
) -> None:
    assert clock_text(duration) == shown


@pytest.mark.parametrize(
    ("duration", "shown"),
    [
        (timedelta(minutes=97, seconds=19), "1 h 38 min"),
        (timedelta(minutes=38), "38 min"),
        (timedelta(minutes=37, seconds=1), "38 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(seconds=1), "1 min"),
        (timedelta(0), "0 min"),
        (timedelta(minutes=-3), "0 min"),
    ],
)
def test_a_length_of_time_reads_in_hours_and_minutes_never_understated(
    duration: timedelta, shown: str
) -> None:
    assert duration_words(duration) == shown


def test_countdown_across_the_spring_clock_change_is_sixty_real_minutes(
    procedure: Procedure,
) -> None:
    # UK clocks go forward at 01:00 UTC on 29 March 2026: 00:30 GMT is followed by 02:00 BST.
    clock = ManualClock(datetime(2026, 3, 29, 0, 20, tzinfo=UTC))
    log = Log(procedure, clock)
    log.tick_all(SIGN_IN)
    clock.set(datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    log.tick_all(ANAESTHETIC)
    countdown = log.state().countdown
    assert countdown is not None
    assert countdown.ready_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert countdown.remove_at == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
    london = ZoneInfo("Europe/London")
    assert countdown.applied_at.astimezone(london).strftime("%H:%M") == "00:30"
    assert countdown.ready_at.astimezone(london).strftime("%H:%M") == "02:30"
    assert log.state(datetime(2026, 3, 29, 1, 29, 59, tzinfo=UTC)).item("identity_read_back").locked
    assert not log.state(datetime(2026, 3, 29, 1, 30, tzinfo=UTC)).item("identity_read_back").locked
    # Seen from the wall clock in London, the readings still count real time.
    now = datetime(2026, 3, 29, 2, 10, tzinfo=london)  # 01:10 UTC
    assert clock_text(countdown.remaining(now)) == "20:00"


def test_countdown_across_the_autumn_clock_change_is_sixty_real_minutes(
    procedure: Procedure,
) -> None:
    # UK clocks go back at 01:00 UTC on 25 October 2026: 01:30 BST is followed, an hour later, by 01:30 GMT.
    clock = ManualClock(datetime(2026, 10, 25, 0, 20, tzinfo=UTC))
    log = Log(procedure, clock)
    log.tick_all(SIGN_IN)
    clock.set(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    log.tick_all(ANAESTHETIC)
    countdown = log.state().countdown
    assert countdown is not None
    assert countdown.ready_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    london = ZoneInfo("Europe/London")
    # The same wall-clock time, an hour apart: the countdown follows real time, not the wall clock.
    assert countdown.applied_at.astimezone(london).strftime("%H:%M %Z") == "01:30 BST"
    assert countdown.ready_at.astimezone(london).strftime("%H:%M %Z") == "01:30 GMT"
    assert (
        log.state(datetime(2026, 10, 25, 1, 29, 59, tzinfo=UTC)).gel_phase(
            datetime(2026, 10, 25, 1, 29, 59, tzinfo=UTC)
        )
        is GelPhase.WAITING
    )


def test_countdown_dataclass_counts_from_the_stored_instant() -> None:
    applied = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    countdown = Countdown.starting(applied, 60, 90)
    assert countdown.phase(applied - timedelta(seconds=1)) is GelPhase.WAITING
    assert countdown.gel_time(applied - timedelta(minutes=5)) == timedelta(0)
    assert countdown.gel_time(applied + timedelta(minutes=61)) == timedelta(minutes=61)


# --- eye protection --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "label"),
    [
        ("patient_eye_protection", "Patient eye shields or glasses on"),
        ("staff_eyewear", "Laser chosen; staff eyewear matches its marking"),
    ],
)
def test_eye_protection_not_confirmed_locks_both_laser_passes(log: Log, missing: str, label: str) -> None:
    through_anaesthetic(log)
    log.clock.advance(minutes=60)
    for item_id, values in TIME_OUT.items():
        if item_id != missing:
            log.tick(item_id, values)
    state = log.state()
    for item_id in TIME_OUT_IDS:
        assert state.item(item_id).satisfied == (item_id != missing), item_id
    for pass_id in ("fractional_pass", "full_beam_pass"):
        reason = state.item(pass_id).lock_reason
        assert reason == f"Hard stop: '{label}' (Time-out) is not done yet.", pass_id
        assert "eye" in reason.lower()
    with pytest.raises(ActionRefused, match="Hard stop"):
        log.tick("fractional_pass", LASER["fractional_pass"])
    with pytest.raises(ActionRefused, match="hard stop and cannot be overridden"):
        log.override(missing, "Patient refuses the shields")
    log.tick(missing, TIME_OUT[missing])
    assert not log.state().item("fractional_pass").locked


def test_correcting_eye_protection_locks_the_laser_passes_again(log: Log) -> None:
    through_time_out(log)
    log.correct("patient_eye_protection", "Shields slipped off; replace before the next pass")
    state = log.state()
    assert state.item("full_beam_pass").lock_reason == (
        "Hard stop: 'Patient eye shields or glasses on' (Time-out) is not done yet."
    )


# --- laser settings --------------------------------------------------------------------------------


def test_setting_outside_clinic_limits_needs_an_override_with_the_flag(log: Log) -> None:
    through_time_out(log)
    log.tick("fractional_pass", {**LASER["fractional_pass"], "energy_mj": 80})
    state = log.state()
    fractional = state.item("fractional_pass")
    assert fractional.status is ItemStatus.NEEDS_OVERRIDE
    assert fractional.tick is not None and fractional.tick.values["energy_mj"] == 80.0
    assert fractional.flags == ("Energy per pulse 80.0 mJ is above the clinic limit of 70.0 mJ",)
    reason = state.item("stratamed").lock_reason
    assert reason == "'Fractional pass' (Laser) flags a risk: a clinician must override it with a reason."
    with pytest.raises(ActionRefused, match="Only a clinician"):
        log.override("fractional_pass", "Deep scars", staff=NURSE)
    log.override("fractional_pass", "Deep boxcar scars; tolerated 80 mJ last session")
    assert log.state().item("fractional_pass").status is ItemStatus.OVERRIDDEN
    log.tick_all({k: v for k, v in LASER.items() if k != "fractional_pass"})
    assert not log.state().item("stratamed").locked


@pytest.mark.parametrize(
    ("item_id", "changes", "message"),
    [
        ("fractional_pass", {"energy_mj": 400}, "Energy per pulse must be between 1.0 and 300.0 mJ."),
        (
            "fractional_pass",
            {"energy_mj": "abc"},
            "Energy per pulse must be a number in mJ, for example 12.5.",
        ),
        ("fractional_pass", {"density_pct": 0}, "Density must be between 1 and 100 %."),
        ("full_beam_pass", {"beam_mm": 5}, "Beam width must be 7 mm."),
    ],
)
def test_setting_outside_the_defined_range_is_refused(
    log: Log, item_id: str, changes: dict[str, Any], message: str
) -> None:
    through_time_out(log)
    before = len(log.events)
    with pytest.raises(ValidationError) as caught:
        log.tick(item_id, {**LASER[item_id], **changes})
    assert str(caught.value) == message
    assert len(log.events) == before
    assert log.state().item(item_id).status is ItemStatus.OPEN


# --- ticks and corrections -------------------------------------------------------------------------


def test_a_correction_reopens_the_item_and_keeps_the_original_tick(log: Log) -> None:
    original = log.tick("identity", {"second_identifier": "Clinic number"})
    correction = log.correct("identity", "Checked the wrong record")
    state = log.state()
    identity = state.item("identity")
    assert identity.status is ItemStatus.OPEN
    assert identity.tick is None
    assert original in log.events
    assert identity.corrections == (correction,)
    assert correction.corrects_id == original.id
    assert correction.text == "Checked the wrong record"
    assert state.item("gel_product").locked

    again = log.tick("identity", {"second_identifier": "Date of birth"})
    identity = log.state().item("identity")
    assert identity.status is ItemStatus.DONE
    assert identity.tick == again
    assert identity.corrections == (correction,)
    assert [e.id for e in log.events if e.item_id == "identity"] == [original.id, correction.id, again.id]


def test_correcting_an_item_that_is_not_done_is_refused(log: Log) -> None:
    with pytest.raises(ActionRefused, match="is not done, so there is nothing to undo"):
        log.correct("identity")
    log.tick("identity", SIGN_IN["identity"])
    log.correct("identity")
    with pytest.raises(ActionRefused, match="nothing to undo"):
        log.correct("identity")


@pytest.mark.parametrize("reason", ["", "  "])
def test_a_correction_needs_a_reason(log: Log, reason: str) -> None:
    log.tick("identity", SIGN_IN["identity"])
    with pytest.raises(ValidationError, match="please fill this in"):
        log.correct("identity", reason)
    assert log.state().item("identity").status is ItemStatus.DONE


def test_ticking_an_item_that_is_already_done_is_refused(log: Log) -> None:
    log.tick("identity", SIGN_IN["identity"])
    with pytest.raises(ActionRefused, match="already done. To change it, undo it with a reason"):
        log.tick("identity", {"second_identifier": "Clinic number"})


def test_correcting_identity_relocks_later_items_but_keeps_their_ticks(log: Log) -> None:
    gel = through_anaesthetic(log)
    log.correct("identity", "Two patients with the same name: re-check")
    state = log.state()
    assert state.item("gel_applied").tick == gel
    assert state.item("gel_applied").locked
    with pytest.raises(ActionRefused, match="locked"):
        log.correct("gel_applied")


# --- sign-out --------------------------------------------------------------------------------------


def test_sign_out_is_locked_while_items_are_still_to_do(log: Log) -> None:
    through_time_out(log)
    log.tick_all(LASER)
    log.tick("stratamed", SIGN_OUT["stratamed"])
    state = log.state()
    reason = state.item("operator_sign_out").lock_reason
    assert reason == "Still to do before sign-out: Aftercare explained; Next session planned."
    with pytest.raises(ActionRefused, match="Still to do before sign-out"):
        log.tick("operator_sign_out")


def test_sign_out_lists_items_without_a_stop_left_behind_earlier(log: Log) -> None:
    sign_in_except(log, "photos")
    log.tick_all(ANAESTHETIC)
    log.clock.advance(minutes=60)
    log.tick_all(TIME_OUT)
    log.tick_all(LASER)
    log.tick_all(SIGN_OUT)
    reason = log.state().item("operator_sign_out").lock_reason
    assert reason == "Still to do before sign-out: Before-photos."


def test_sign_out_locks_the_session(log: Log) -> None:
    ready_to_sign_out(log)
    state = log.state()
    assert state.item("operator_sign_out").lock_reason is None
    assert state.current_pause_point.id == "sign_out"  # type: ignore[union-attr]
    signed = log.tick("operator_sign_out")
    state = log.state()
    assert state.status is SessionStatus.SIGNED_OUT
    assert state.ended
    assert state.sign_out == signed
    assert state.item("operator_sign_out").status is ItemStatus.DONE
    assert state.next_item() is None


ACTIONS_AFTER_THE_END: list[tuple[str, Callable[[Log], object]]] = [
    ("tick", lambda log: log.tick("photos", {"photos": "Taken"})),
    ("correct", lambda log: log.correct("fractional_pass", "Energy typed wrongly")),
    ("override", lambda log: log.override("fractional_pass", "Reviewed")),
    ("note", lambda log: log.note("fractional_pass", "Mild swelling at the jaw line")),
    ("session note", lambda log: log.note(None, "Patient phoned")),
    ("abort", lambda log: log.abort("Changed my mind")),
]


@pytest.mark.parametrize("action", [pytest.param(action, id=name) for name, action in ACTIONS_AFTER_THE_END])
def test_after_sign_out_every_action_is_refused(log: Log, action: Callable[[Log], object]) -> None:
    ready_to_sign_out(log)
    log.tick("operator_sign_out")
    before = list(log.events)
    with pytest.raises(ActionRefused, match="signed out and locked"):
        action(log)
    assert log.events == before


def test_sign_out_cannot_be_overridden(log: Log) -> None:
    through_time_out(log)
    with pytest.raises(ActionRefused, match="hard stop and cannot be overridden"):
        log.override("operator_sign_out", "Operator left early")


# --- abort -----------------------------------------------------------------------------------------


def test_abort_with_a_reason_closes_the_session(log: Log) -> None:
    through_anaesthetic(log)
    log.clock.advance(minutes=20)
    with pytest.raises(ActionRefused, match="gel is still on"):
        log.abort("Patient felt faint; treatment postponed")
    aborted = log.abort("  Patient felt faint; treatment postponed  ", gel_removed=True)
    state = log.state()
    assert state.countdown.removed_at == aborted.at  # the gel time stops when it came off
    assert state.status is SessionStatus.ABORTED
    assert state.ended
    assert state.abort == aborted
    assert aborted.text == "Patient felt faint; treatment postponed"
    assert state.next_item() is None


@pytest.mark.parametrize("action", [pytest.param(action, id=name) for name, action in ACTIONS_AFTER_THE_END])
def test_after_an_abort_every_action_is_refused(log: Log, action: Callable[[Log], object]) -> None:
    ready_to_sign_out(log)
    log.abort("Laser fault")
    with pytest.raises(ActionRefused, match="stopped; the session is closed"):
        action(log)
    with pytest.raises(ActionRefused, match="treatment was stopped"):
        log.tick("operator_sign_out")


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_abort_without_a_reason_is_refused(log: Log, reason: str) -> None:
    with pytest.raises(ValidationError, match="Reason for stopping: please fill this in"):
        log.abort(reason)
    assert log.state().status is SessionStatus.IN_PROGRESS


def test_abort_reason_over_1000_characters_is_refused(log: Log) -> None:
    with pytest.raises(ValidationError, match="too long"):
        log.abort("x" * 1001)


# --- notes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_blank_note_is_refused(log: Log, text: str) -> None:
    with pytest.raises(ValidationError, match="Note: please fill this in"):
        log.note("skin_type", text)


def test_note_over_2000_characters_is_refused(log: Log) -> None:
    assert NOTE_MAX == 2000
    log.note("skin_type", "x" * 2000)
    with pytest.raises(ValidationError, match="Note is too long: 2001 characters, at most 2000"):
        log.note("skin_type", "x" * 2001)


def test_note_on_an_unknown_item_is_refused(log: Log) -> None:
    with pytest.raises(ActionRefused, match="'skin_colour' is not an item of this procedure"):
        log.note("skin_colour", "Looks fine")


def test_note_with_a_control_character_is_refused(log: Log) -> None:
    with pytest.raises(ValidationError, match="control character"):
        log.note("skin_type", "Fine\x1b[2J")


def test_notes_may_go_on_any_item_even_a_locked_one_and_on_the_session(log: Log) -> None:
    on_item = log.note("fractional_pass", "Last time: 45 mJ.\nPatient prefers the cool air.")
    on_session = log.note(None, "Patient arrived 10 minutes late")
    state = log.state()
    assert state.item("fractional_pass").locked
    assert state.item("fractional_pass").notes == (on_item,)
    assert state.session_notes == (on_session,)
    # A note is not a tick.
    assert state.item("fractional_pass").status is ItemStatus.OPEN


# --- what comes next -------------------------------------------------------------------------------


def test_next_item_and_pause_point_move_along_the_checklist(log: Log) -> None:
    def where() -> tuple[str | None, str | None]:
        state = log.state()
        item = state.next_item()
        point = state.current_pause_point
        return (item.item.id if item else None, point.id if point else None)

    assert where() == ("identity", "sign_in")
    log.tick("identity", SIGN_IN["identity"])
    assert where() == ("consent", "sign_in")
    log.tick_all({k: v for k, v in SIGN_IN.items() if k != "identity"})
    assert where() == ("gel_product", "anaesthetic")
    log.tick_all(ANAESTHETIC)
    assert where() == ("gel_wait", "wait")
    log.clock.advance(minutes=60)
    assert where() == ("identity_read_back", "time_out")
    log.tick_all(TIME_OUT)
    assert where() == ("fractional_pass", "laser")
    log.tick_all(LASER)
    assert where() == ("stratamed", "sign_out")
    log.tick_all(SIGN_OUT)
    assert where() == ("operator_sign_out", "sign_out")
    log.tick("operator_sign_out")
    assert log.state().next_item() is None


def test_next_item_is_the_first_unsatisfied_item_in_order(log: Log) -> None:
    log.tick("consent", SIGN_IN["consent"])
    log.tick("photos", SIGN_IN["photos"])
    assert log.state().next_item().item.id == "identity"  # type: ignore[union-attr]
    log.tick("identity", SIGN_IN["identity"])
    assert log.state().next_item().item.id == "course_interval"  # type: ignore[union-attr]


def test_state_is_the_same_whatever_order_the_events_arrive_in(log: Log, procedure: Procedure) -> None:
    ready_to_sign_out(log)
    now = log.clock.now()
    shuffled = list(reversed(log.events))
    assert derive_state(procedure, shuffled, now) == derive_state(procedure, log.events, now)


# --- found in review: where the nurse is, and the clinic's own calendar ------------------------------


def test_an_optional_item_left_behind_does_not_hold_the_checklist_back(log: Log) -> None:
    """Photos skipped at sign-in wait for sign-out; the checklist still follows the gel to the wait."""
    sign_in_except(log, "photos")
    assert log.state().current_pause_point.id == "sign_in"
    log.tick_all(ANAESTHETIC)
    state = log.state()
    assert state.current_pause_point.id == "wait"
    assert state.next_item().item.id == "gel_wait"
    assert not state.item("photos").satisfied  # still to do before sign-out


def test_today_is_the_clinic_s_date_not_utc_s(log: Log) -> None:
    """At 00:30 on a summer night in the UK it is still the previous day in UTC."""
    just_after_midnight = datetime(2026, 7, 1, 0, 30, tzinfo=ZoneInfo("Europe/London"))
    log.clock.set(just_after_midnight)
    sign_in_except(log, "medication_history")
    log.tick(
        "medication_history",
        {
            "isotretinoin": "More than 6 months ago",
            "isotretinoin_last_dose": "2026-07-01",
            "cold_sores": "No history of cold sores",
        },
    )
    assert log.state().item("medication_history").tick.values["isotretinoin_last_dose"] == "2026-07-01"


def test_a_countdown_given_local_time_still_counts_real_minutes() -> None:
    applied = datetime(2026, 10, 25, 1, 30, tzinfo=ZoneInfo("Europe/London"))  # the autumn change
    countdown = Countdown.starting(applied, 60, 90)
    assert countdown.ready_at - countdown.applied_at == timedelta(minutes=60)
    assert countdown.ready_at.utcoffset() == timedelta(0)


# --- the laser the eyewear was confirmed for ------------------------------------------------------

OTHER_LASER = {"id": 2, "name": "Lumenis UltraPulse (serial UP-9)", "serial_number": "UP-9"}


def test_a_pass_with_another_laser_than_the_eyewear_was_confirmed_for_is_refused(log: Log) -> None:
    through_time_out(log)  # eyewear confirmed for the test laser
    with pytest.raises(
        ActionRefused, match="confirmed for the Fotona SP Dynamis .*not the Lumenis UltraPulse"
    ):
        log.tick("fractional_pass", {**LASER["fractional_pass"], "device": OTHER_LASER})
    log.tick("fractional_pass", LASER["fractional_pass"])  # the same laser: recorded
    assert log.state().item("fractional_pass").status is ItemStatus.DONE


def test_eyewear_confirmed_again_for_another_laser_lets_its_passes_go_on(log: Log) -> None:
    through_time_out(log)
    log.correct("staff_eyewear", "Changed to the CO2 laser")
    log.tick("staff_eyewear", {"device": {**OTHER_LASER, "eyewear_marking": "EN 207 D 10600 LB6"}})
    log.tick("fractional_pass", {**LASER["fractional_pass"], "device": OTHER_LASER})
    assert log.state().item("fractional_pass").tick.values["device"]["id"] == 2


def test_the_eyewear_is_not_undone_while_a_pass_on_its_laser_stands(log: Log) -> None:
    through_time_out(log)
    log.tick("fractional_pass", LASER["fractional_pass"])
    with pytest.raises(ActionRefused, match="'Fractional pass' was recorded with this laser: undo it first"):
        log.correct("staff_eyewear")
    log.correct("fractional_pass")
    log.correct("staff_eyewear")
    assert log.state().item("staff_eyewear").tick is None


# --- laser areas within the areas painted with gel (issue 16) --------------------------------------

BEAM_LABEL = "'Full-beam pass, 7 mm beam' (Laser)"


def beam_on(*areas: str) -> dict[str, Any]:
    return {**LASER["full_beam_pass"], "areas": list(areas)}


def test_the_walk_s_passes_stay_within_the_areas_painted(log: Log) -> None:
    ready_to_sign_out(log)
    state = log.state()
    for item_id in ("fractional_pass", "full_beam_pass"):
        assert (state.item(item_id).status, state.item(item_id).flags) == (ItemStatus.DONE, ())


def test_a_pass_on_areas_without_gel_needs_a_clinicians_override_naming_them(log: Log) -> None:
    through_time_out(log)  # gel on the forehead and cheeks
    log.tick_all(LASER, full_beam_pass=beam_on("Chin", "Cheeks", "Nose"))
    state = log.state()
    beam = state.item("full_beam_pass")
    assert beam.status is ItemStatus.NEEDS_OVERRIDE
    assert beam.flags == ("Not painted with gel: Nose, Chin",)  # in the field's order, every time
    assert state.item("fractional_pass").status is ItemStatus.DONE
    reason = f"{BEAM_LABEL} flags a risk: a clinician must override it with a reason."
    assert state.item("stratamed").lock_reason == reason
    with pytest.raises(ActionRefused, match="Only a clinician"):
        log.override("full_beam_pass", "Patient wants it", staff=NURSE)
    log.override("full_beam_pass", "Gel spread onto the nose and chin; patient comfortable on test pulses")
    beam = log.state().item("full_beam_pass")
    assert (beam.status, beam.flags) == (ItemStatus.OVERRIDDEN, ("Not painted with gel: Nose, Chin",))
    assert not log.state().item("stratamed").locked


def test_an_area_without_gel_is_flagged_after_a_setting_outside_the_clinic_limits(log: Log) -> None:
    through_time_out(log)
    log.tick(
        "fractional_pass", {**LASER["fractional_pass"], "energy_mj": 80, "areas": ["Temples", "Forehead"]}
    )
    assert log.state().item("fractional_pass").flags == (
        "Energy per pulse 80.0 mJ is above the clinic limit of 70.0 mJ",
        "Not painted with gel: Temples",
    )


def test_the_flag_follows_the_areas_painted_when_they_are_corrected(log: Log) -> None:
    through_time_out(log)
    log.tick("full_beam_pass", beam_on("Cheeks", "Chin"))
    assert log.state().item("full_beam_pass").flags == ("Not painted with gel: Chin",)
    log.correct("gel_areas", "Chin was painted too; missed when recording")
    # No areas painted on record: none of the pass's areas is known to have had gel.
    assert log.state().item("full_beam_pass").flags == ("Not painted with gel: Cheeks, Chin",)
    log.tick("gel_areas", {"areas": ["Forehead", "Cheeks", "Chin"]})
    beam = log.state().item("full_beam_pass")
    assert (beam.status, beam.flags) == (ItemStatus.DONE, ())


def test_an_override_for_one_area_without_gel_does_not_cover_another_left_out_later(log: Log) -> None:
    through_time_out(log)
    log.tick_all(LASER, full_beam_pass=beam_on("Cheeks", "Chin"))
    override = log.override("full_beam_pass", "Chin numb from the cheek gel; patient comfortable")
    # Corrected for another reason, with the same areas: the override still answers the pass.
    log.correct("gel_areas", "It was covered with cling film")
    log.tick("gel_areas", {"areas": ["Forehead", "Cheeks"]})
    beam = log.state().item("full_beam_pass")
    assert (beam.status, beam.override) == (ItemStatus.OVERRIDDEN, override)
    # The cheeks turn out not to have been painted: an area the clinician never decided on.
    log.correct("gel_areas", "Only the forehead was painted")
    log.tick("gel_areas", {"areas": ["Forehead"]})
    state = log.state()
    beam = state.item("full_beam_pass")
    assert (beam.status, beam.override) == (ItemStatus.NEEDS_OVERRIDE, None)
    assert beam.flags == ("Not painted with gel: Cheeks, Chin",)
    assert state.item("fractional_pass").flags == ("Not painted with gel: Cheeks",)
    assert override in beam.history  # kept in the record, no longer counted
    log.override("full_beam_pass", "Cheeks and chin numb on testing; patient comfortable")
    assert log.state().item("full_beam_pass").status is ItemStatus.OVERRIDDEN


def test_a_stored_version_before_the_rule_does_not_flag_a_pass_without_gel(
    procedure: Procedure, clock: ManualClock
) -> None:
    marker = 'records_painted_areas = true\nunpainted_message = "Not painted with gel"\n'
    assert marker in procedure.source
    old_text = procedure.source.replace(marker, "").replace('version = "1.5"', 'version = "1.3"', 1)
    log = Log(parse_procedure(old_text, "stored version 1.3", authoring=False), clock)
    through_time_out(log)
    log.tick("full_beam_pass", beam_on("Chin"))
    beam = log.state().item("full_beam_pass")
    assert (beam.status, beam.flags) == (ItemStatus.DONE, ())


def test_the_laser_room_waits_for_the_areas_painted_so_no_pass_is_judged_against_none(log: Log) -> None:
    """A pass ticked before the areas were recorded would be flagged on every area, and recording
    them afterwards would clear the flag with no clinician: the areas come first."""
    log.tick_all(SIGN_IN)
    log.tick_all({item: values for item, values in ANAESTHETIC.items() if item != "gel_areas"})
    log.clock.advance(minutes=61)
    state = log.state()
    assert (
        state.item("identity_read_back").lock_reason
        == "Hard stop: 'Areas painted' (Anaesthetic) is not done yet."
    )
    with pytest.raises(ActionRefused, match="Areas painted"):
        log.tick("identity_read_back")
