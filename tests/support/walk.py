"""Values that pass every item of the procedure, for tests that need a session at a given point."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from desk_app.domain.clock import ManualClock
from desk_app.domain.dates import local_today
from desk_app.domain.people import Staff
from desk_app.domain.session import ItemStatus, SessionRecord
from desk_app.store.desk import Desk
from tests.support.lasers import TEST_LASER, with_test_laser
from tests.support.people import PIN, add_member

SIGN_IN: dict[str, dict[str, Any]] = {
    "identity": {"second_identifier": "Date of birth"},
    "consent": {"form_version": "CF-LASER v3"},
    "course_interval": {},
    "skin_type": {"fitzpatrick": "II"},
    "medication_history": {"isotretinoin": "Never", "cold_sores": "No history of cold sores"},
    "contraindications": {
        "pregnant": "No",
        "infection": "No",
        "sun": "No",
        "anaesthetic_allergy": "No",
        "keloid": "No",
        "photosensitising": "No",
        "anticoagulant": "No",
        "recent_procedure": "No",
    },
    "photos": {"photos": "Taken"},
}
ANAESTHETIC: dict[str, dict[str, Any]] = {
    "gel_product": {"product": "LMX4 lidocaine 4% cream", "grams": 8, "covered": "No"},
    "gel_areas": {"areas": ["Forehead", "Cheeks"]},
    "gel_clear_of_eyes": {},
    "gel_applied": {},
}
TIME_OUT: dict[str, dict[str, Any]] = {
    "identity_read_back": {},
    "gel_removed": {},
    "anaesthetic_toxicity": {
        "numb_mouth": "No",
        "metallic_taste": "No",
        "dizziness": "No",
        "ringing_ears": "No",
        "blurred_vision": "No",
    },
    "patient_eye_protection": {"type": "External eye shields"},
    "staff_eyewear": {"device": TEST_LASER},
    "cool_air": {"cool_air": "Accepted"},
    "settings_read_back": {},
}
LASER: dict[str, dict[str, Any]] = {
    "fractional_pass": {
        "device": TEST_LASER,
        "energy_mj": 40,
        "density_pct": 20,
        "passes": 2,
        "areas": ["Forehead", "Cheeks"],
    },
    "full_beam_pass": {
        "device": TEST_LASER,
        "beam_mm": 7,
        "fluence_j_cm2": 5.5,
        "passes": 1,
        "areas": ["Cheeks"],
    },
    "skin_response": {"response": "Expected redness"},
    "adverse_events": {"adverse": "None"},
}
SIGN_OUT: dict[str, dict[str, Any]] = {
    "stratamed": {"tube": "Sold"},
    "aftercare": {},
    "next_session": {"planned_sessions": 3, "next_date": "2027-01-06"},
}


def tick_all(desk: Desk, session_id: int, items: dict[str, dict[str, Any]], staff_id: int) -> SessionRecord:
    """Tick each item with its values, as a session that goes well: a course plan that would be
    refused or flagged for its date (SIGN_OUT's) follows the course instead, and a session started
    sooner than the interval after the last (tests run sessions back to back) has a clinician's
    override."""
    record = desk.sessions.session(session_id)
    for item_id, values in items.items():
        if item_id == "operator_sign_out":
            record = desk.sessions.sign_out(session_id, staff_id, PIN)
            continue
        if values == SIGN_OUT["next_session"]:
            values = course_plan(record, desk)
        record = desk.sessions.tick(session_id, item_id, with_test_laser(desk, values, staff_id), staff_id)
        state = record.state(desk.clock.now()).item(item_id)
        if state.item.checks_course_interval and state.status is ItemStatus.NEEDS_OVERRIDE:
            clinician = _a_clinician(desk)
            reason = "Back-to-back test sessions"
            record = desk.sessions.override(session_id, item_id, reason, clinician.id, clinician.id, PIN)
    return record


def course_plan(record: SessionRecord, desk: Desk) -> dict[str, Any]:
    """Three sessions; the next six weeks after this one, none once the course is complete."""
    context = record.state(desk.clock.now()).course_context
    plan: dict[str, Any] = {"planned_sessions": 3}
    if context is None or context.session_number < 3:
        day = context.day if context else local_today(desk.clock.now())
        plan["next_date"] = (day + timedelta(weeks=6)).isoformat()
    return plan


def _a_clinician(desk: Desk) -> Staff:
    return next(iter(desk.accounts.list_clinicians()), None) or add_member(
        desk, "Cleo Clinician", "CW", "clinician"
    )


def signed_out_session(desk: Desk, clock: ManualClock, patient_id: int, staff: Staff) -> int:
    """A whole session, every item passed, signed out; the clock moves past the gel wait."""
    session = desk.sessions.start_session(patient_id, staff.id)
    tick_all(desk, session.id, {**SIGN_IN, **ANAESTHETIC}, staff.id)
    clock.advance(minutes=61)
    tick_all(desk, session.id, {**TIME_OUT, **LASER, **SIGN_OUT}, staff.id)
    desk.sessions.sign_out(session.id, staff.id, PIN)
    return session.id
