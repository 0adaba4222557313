"""The clinical rules of procedure 1.5 as a nurse meets them on the checklist (issue 16): the
anaesthetic toxicity check that stops the laser, the product's limits, another product, the test
patch, the interval between sessions, the course plan, and the allergies registered.

Each test gets the session to the card in question through the store, then clicks what a nurse
clicks; time moves only by the injected clock.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QRadioButton
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Patient, Staff
from desk_app.domain.session import EventKind
from desk_app.store.desk import Desk
from desk_app.ui.main_window import MainWindow
from tests.gui.nurse import (
    card,
    click,
    described,
    described_text,
    find,
    open_dialog,
    open_pause_point,
    pause_point_button,
    tick,
    type_into,
    visible_texts,
    write_in_dialog,
)
from tests.gui.test_checklist_actions import at_laser, board_cards, show, status
from tests.support.people import PIN, WRONG_PIN
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT, tick_all

TOXICITY = "Anaesthetic toxicity check"
TOXICITY_QUESTIONS = (
    "Numb lips or tongue",
    "Metallic taste",
    "Dizzy or light-headed",
    "Ringing in the ears",
    "Blurred vision",
)
PRODUCT = "Anaesthetic product, amount and cover"
LMX4 = "LMX4 lidocaine 4% cream"
EMLA_LIKE = "Lidocaine 2.5% / prilocaine 2.5% cream"  # at most 10 g, 75 minutes, never covered
INTERVAL = "Time since the last session checked"
SKIN_TYPE = "Fitzpatrick skin type and test patch"
PLAN = "Next session planned"
NEEDS_DECISION = "⚠ Needs a clinician's decision"
BEFORE_SIGN_OUT = {**TIME_OUT, **LASER, "stratamed": SIGN_OUT["stratamed"], "aftercare": {}}


@pytest.fixture
def patient(desk: Desk, nurse: Staff) -> Patient:
    return desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)


def signed_out(desk: Desk, clock: ManualClock, patient_id: int, staff: Staff, next_date: str) -> int:
    """A whole session signed out today, planning the next one on `next_date` (ISO): at least four
    weeks on, or the plan needs a clinician's override and the session cannot be signed out."""
    session_id = desk.sessions.start_session(patient_id, staff.id).id
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, staff.id)
    clock.advance(minutes=60)
    plan = {"next_session": {"planned_sessions": 3, "next_date": next_date}}
    tick_all(desk, session_id, {**BEFORE_SIGN_OUT, **plan, "operator_sign_out": {}}, staff.id)
    return session_id


def choose(qtbot: QtBot, where: Any, answers: dict[str, str]) -> None:
    """Click one answer for each question (its radio button, named 'question: answer')."""
    for question, answer in answers.items():
        click(qtbot, where, f"{question}: {answer}")


def override(qtbot: QtBot, window: MainWindow, label: str, reason: str) -> None:
    """The clinician (at the desk) overrides the item with a reason and their PIN."""
    click(qtbot, window, f"Override: {label}")
    dialog = open_dialog()
    click(qtbot, dialog, "Dr Clive Doctor (CD)")
    write_in_dialog(dialog, reason)
    type_into(qtbot, dialog, "Clinician's PIN", PIN)
    click(qtbot, dialog, "Override")
    assert not dialog.isVisible()


def offers_override(window: MainWindow, label: str) -> bool:
    return any(
        b.isVisible() and b.accessibleName() == f"Override: {label}"
        for b in window.findChildren(QAbstractButton)
    )


def offers(window: MainWindow, name: str) -> bool:
    """A visible button of that accessible name is on screen."""
    return any(b.isVisible() and b.accessibleName() == name for b in window.findChildren(QAbstractButton))


def toxicity_card_text(window: MainWindow) -> str:
    return visible_texts(card(window, TOXICITY))


def course_line(window: MainWindow, label: str) -> str:
    return described(window, QLabel, f"Course: {label}").text()


# --- (a) the toxicity check ----------------------------------------------------------------------


def test_a_toxicity_sign_stops_the_laser_with_no_override_until_answered_again(
    qtbot: QtBot,
    window: MainWindow,
    desk: Desk,
    clock: ManualClock,
    patient: Patient,
    nurse: Staff,
    clinician: Staff,
) -> None:
    session_id = desk.sessions.start_session(patient.id, nurse.id).id
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    clock.advance(minutes=60)
    rest = {key: values for key, values in TIME_OUT.items() if key != "anaesthetic_toxicity"}
    tick_all(desk, session_id, rest, nurse.id)
    show(qtbot, window, clinician, session_id)  # even a clinician at the desk gets no override

    toxicity = card(window, TOXICITY)
    choose(qtbot, toxicity, {question: "No" for question in TOXICITY_QUESTIONS} | {"Metallic taste": "Yes"})
    click(qtbot, toxicity, f"Save: {TOXICITY}")

    assert status(window, TOXICITY) == "✖ Stop: cannot be overridden"
    stop = find(toxicity, QLabel, toxicity.flags.text())
    assert stop.text().startswith(
        "STOP: Metallic taste: no laser, call the clinician now. This cannot be overridden"
    )
    assert stop.property("hardStop") is True
    assert pause_point_button(window, "Time-out").text() == "✖ 4. Time-out"
    assert not offers_override(window, TOXICITY)
    # Everyone at the board sees it too.
    click(qtbot, window, "Back to board")
    assert "\nSTOP: Metallic taste: no laser, call the clinician now\n" in board_cards(window)[0]
    show(qtbot, window, clinician, session_id)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # the last page's buttons

    open_pause_point(qtbot, window, "Laser")
    gate = f"Hard stop: '{TOXICITY}' (Time-out): Metallic taste: no laser, call the clinician now."
    assert f"Locked: {gate}" in visible_texts(card(window, "Fractional pass"))
    assert not find(window, QAbstractButton, "Save pass: Fractional pass").isEnabled()
    assert not offers_override(window, "Fractional pass")

    # The nurse at the desk cannot undo the answers: only a clinician who has seen the patient
    # clears the stop, with their PIN.
    show(qtbot, window, nurse, session_id)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    open_pause_point(qtbot, window, "Time-out")
    assert not offers(window, f"Undo tick: {TOXICITY}")
    assert "until a clinician who has seen the patient clears the stop" in toxicity_card_text(window)
    clock.advance(minutes=10)
    click(qtbot, window, f"Clear the stop: {TOXICITY}")
    dialog = open_dialog()
    assert dialog.windowTitle() == f"Clear the stop: {TOXICITY}"
    assert "Only a clinician who has seen the patient may clear this stop." in visible_texts(dialog)
    assert "• Metallic taste: no laser, call the clinician now" in visible_texts(dialog)
    click(qtbot, dialog, "Dr Clive Doctor (CD)")
    reason = "Seen by Dr Doctor: taste gone after 10 minutes, observations normal"
    write_in_dialog(dialog, reason)
    type_into(qtbot, dialog, "Clinician's PIN", WRONG_PIN)  # a wrong PIN is refused, in the dialog
    click(qtbot, dialog, "Clear the stop")
    assert dialog.isVisible()
    assert "PIN" in dialog.error.text()
    assert status(window, TOXICITY) == "✖ Stop: cannot be overridden"
    type_into(qtbot, dialog, "Clinician's PIN", PIN)
    click(qtbot, dialog, "Clear the stop")
    assert not dialog.isVisible()
    assert not offers(window, f"Clear the stop: {TOXICITY}")
    focused = window.focusWidget()  # the questions, to ask them again
    assert focused is not None and focused.accessibleName() == "Numb lips or tongue: No"

    # The nurse asks the questions again: all No.
    choose(qtbot, card(window, TOXICITY), {question: "No" for question in TOXICITY_QUESTIONS})
    click(qtbot, window, f"Save: {TOXICITY}")
    assert status(window, TOXICITY).startswith("✓ Done")
    # The record keeps the Yes, and the clinician's correction entered by the nurse.
    open_pause_point(qtbot, window, "Time-out")  # the page went on to the laser
    shown = toxicity_card_text(window)
    assert f"Dr Clive Doctor, clinician, cleared the stop (entered by Ann Nurse): {reason}" in shown
    assert "Dr Clive Doctor recorded it: " in shown and "Metallic taste: Yes" in shown
    toxicity_events = [
        e for e in desk.sessions.session(session_id).events if e.item_id == "anaesthetic_toxicity"
    ]
    assert [e.kind for e in toxicity_events] == [EventKind.TICK, EventKind.CORRECTION, EventKind.TICK]
    first, cleared, again = toxicity_events
    assert (first.values["metallic_taste"], first.staff_id) == ("Yes", clinician.id)
    assert (cleared.staff_id, cleared.corrects_id, cleared.text) == (clinician.id, first.id, reason)
    assert cleared.values["entered_by_id"] == nurse.id
    assert set(again.values.values()) == {"No"} and again.staff_id == nurse.id

    open_pause_point(qtbot, window, "Laser")
    assert "Locked" not in visible_texts(card(window, "Fractional pass"))
    assert find(window, QAbstractButton, "Save pass: Fractional pass").isEnabled()
    click(qtbot, window, "Back to board")
    assert "STOP" not in board_cards(window)[0]


def test_after_a_laser_pass_the_toxicity_check_is_not_undone_signs_are_an_adverse_event(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, patient: Patient, nurse: Staff
) -> None:
    session_id = desk.sessions.start_session(patient.id, nurse.id).id
    at_laser(desk, clock, session_id, nurse)
    show(qtbot, window, nurse, session_id)
    open_pause_point(qtbot, window, "Time-out")
    click(qtbot, window, f"Undo tick: {TOXICITY}")  # before any pass the answers may still be undone
    dialog = open_dialog()
    write_in_dialog(dialog, "Patient now says her lips feel numb")
    # Meanwhile the first pass is saved at the laser (another screen).
    tick_all(desk, session_id, {"fractional_pass": LASER["fractional_pass"]}, nurse.id)
    click(qtbot, dialog, "Undo")
    assert dialog.isVisible()
    assert dialog.error.text() == (
        "The laser passes are recorded: signs now are an adverse event. Record them under "
        "'Adverse events' and call the clinician now."
    )
    click(qtbot, dialog, "Cancel")
    assert not offers(window, f"Undo tick: {TOXICITY}")
    assert status(window, TOXICITY).startswith("✓ Done")


# --- (b) (c) (d) the anaesthetic product ---------------------------------------------------------


@pytest.fixture
def at_anaesthetic(
    qtbot, window: MainWindow, desk: Desk, patient: Patient, nurse: Staff, clinician: Staff
) -> int:
    """Sign-in done; the clinician at the desk, at the anaesthetic."""
    session_id = desk.sessions.start_session(patient.id, nurse.id).id
    tick_all(desk, session_id, SIGN_IN, nurse.id)
    show(qtbot, window, clinician, session_id)
    return session_id


def record_product(qtbot: QtBot, window: MainWindow, product: str, grams: str, covered: str) -> None:
    product_card = card(window, PRODUCT)
    click(qtbot, product_card, f"Product: {product}")
    type_into(qtbot, product_card, "Amount applied", grams)
    click(qtbot, product_card, f"Covered with cling film or dressing: {covered}")
    click(qtbot, product_card, f"Save: {PRODUCT}")


def test_more_grams_than_the_product_allows_needs_an_override_and_its_time_limit_counts(
    qtbot: QtBot, window: MainWindow, clock: ManualClock, at_anaesthetic: int
) -> None:
    # The product's limits are said as soon as it is chosen, before the grams are typed.
    click(qtbot, card(window, PRODUCT), f"Product: {EMLA_LIKE}")
    limits = "At most 10.0 g · off within 75 minutes of 'Gel applied' · must not be covered"
    assert limits in visible_texts(card(window, PRODUCT))
    assert find(window, QRadioButton, f"Product: {EMLA_LIKE}").accessibleDescription() == limits
    click(qtbot, card(window, PRODUCT), f"Product: {LMX4}")
    assert "At most 20.0 g · off within 90 minutes of 'Gel applied' · may be covered" in visible_texts(
        card(window, PRODUCT)
    )

    record_product(qtbot, window, EMLA_LIKE, "12", "No")
    assert status(window, PRODUCT) == NEEDS_DECISION
    assert f"Risk: More gel than the product allows: 12.0 g of {EMLA_LIKE}, at most 10.0 g" in visible_texts(
        card(window, PRODUCT)
    )
    override(qtbot, window, PRODUCT, "Both cheeks and forehead: 12 g agreed, no cover")
    assert status(window, PRODUCT).startswith("⚠ Overridden by clinician")

    # This product may stay on 75 minutes, less than the clinic's 90: the countdown says so.
    click(qtbot, window, "Areas: Forehead")
    click(qtbot, window, "Save: Areas painted")
    click(qtbot, window, "Confirm: Gel kept clear of the eyes")
    click(qtbot, window, "Confirm: Gel applied: start the countdown")  # at 09:00
    clock.advance(minutes=60)
    window.checklist_page.refresh()
    assert (
        described_text(window, "Gel status") == "Ready for the laser room · remove gel by 10:15 (15 min left)"
    )
    click(qtbot, window, "Back to board")
    session_card = board_cards(window)[0]  # then 'Take over': the session is Ann's
    assert "Ready for the laser room · remove gel by 10:15" in session_card
    clock.advance(minutes=15)
    tick(qtbot, window)
    assert "Remove the gel now: on for 1 h 15 min" in board_cards(window)[0]


def test_covering_a_product_that_must_not_be_covered_is_flagged(
    qtbot: QtBot, window: MainWindow, at_anaesthetic: int
) -> None:
    record_product(qtbot, window, EMLA_LIKE, "8", "Yes")
    assert status(window, PRODUCT) == NEEDS_DECISION
    assert f"Risk: Covered, but this product must not be covered: {EMLA_LIKE}" in visible_texts(
        card(window, PRODUCT)
    )
    assert offers_override(window, PRODUCT)

    # The same cover on a product that allows it is no risk.
    click(qtbot, window, f"Undo tick: {PRODUCT}")
    dialog = open_dialog()
    write_in_dialog(dialog, "Wrong tube read")
    click(qtbot, dialog, "Undo")
    record_product(qtbot, window, LMX4, "8", "Yes")
    assert status(window, PRODUCT).startswith("✓ Done")


def test_another_product_must_be_named_and_is_flagged(
    qtbot: QtBot, window: MainWindow, desk: Desk, at_anaesthetic: int
) -> None:
    other = "Another product (name it below)"
    # Captioned as needed with that answer, not as optional.
    assert f"Other product and strength (needed if Product: {other})" in visible_texts(card(window, PRODUCT))
    record_product(qtbot, window, other, "5", "No")
    refusal = f"Other product and strength: please fill this in (the answer is '{other}')."
    assert refusal in visible_texts(card(window, PRODUCT))
    assert status(window, PRODUCT) == "To do"

    type_into(qtbot, card(window, PRODUCT), "Other product and strength", "Tetracaine 4% gel")
    click(qtbot, window, f"Save: {PRODUCT}")
    assert status(window, PRODUCT) == NEEDS_DECISION
    assert "Risk: Not one of the clinic's anaesthetic products" in visible_texts(card(window, PRODUCT))
    assert offers_override(window, PRODUCT)
    (tick,) = [e for e in desk.sessions.session(at_anaesthetic).events if e.item_id == "gel_product"]
    assert tick.values["other_product"] == "Tetracaine 4% gel"


# --- (e) the test patch --------------------------------------------------------------------------


def test_skin_type_iv_without_a_test_patch_at_a_first_session_is_flagged(
    qtbot: QtBot, window: MainWindow, desk: Desk, patient: Patient, nurse: Staff
) -> None:
    session_id = desk.sessions.start_session(patient.id, nurse.id).id
    show(qtbot, window, nurse, session_id)
    skin = card(window, SKIN_TYPE)
    click(qtbot, skin, "Skin type: IV")
    click(qtbot, skin, f"Save: {SKIN_TYPE}")
    assert status(window, SKIN_TYPE) == NEEDS_DECISION
    assert "Risk: Skin type IV to VI: no test patch recorded before the first session" in visible_texts(skin)
    assert offers_override(window, SKIN_TYPE)


# --- (f) (g) (h) the course ----------------------------------------------------------------------


def test_a_session_ten_days_after_the_last_flags_the_interval(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, patient: Patient, nurse: Staff
) -> None:
    signed_out(desk, clock, patient.id, nurse, "2026-12-23")  # 25/11/2026
    clock.advance(days=10)
    session_id = desk.sessions.start_session(patient.id, nurse.id).id
    show(qtbot, window, nurse, session_id)

    assert course_line(window, INTERVAL) == (
        "Session 2. Last session 25/11/2026, 10 days ago. Sooner than 4 weeks after the last session: "
        "confirming it needs a clinician's decision."
    )
    click(qtbot, window, f"Confirm: {INTERVAL}")
    assert status(window, INTERVAL) == NEEDS_DECISION
    assert "Risk: Sooner than 4 weeks after the last session: the last was on 25/11/2026, 10 days ago" in (
        visible_texts(card(window, INTERVAL))
    )
    assert offers_override(window, INTERVAL)
    assert course_line(window, INTERVAL) == "Session 2. Last session 25/11/2026, 10 days ago"


def test_the_first_session_says_so_on_the_interval_check(
    qtbot, window: MainWindow, desk: Desk, patient: Patient, nurse: Staff
) -> None:
    show(qtbot, window, nurse, desk.sessions.start_session(patient.id, nurse.id).id)
    assert course_line(window, INTERVAL) == "First session"
    assert not described(window, QLabel, f"Course: {INTERVAL}").property("warning")


@pytest.fixture
def at_sign_out(
    qtbot, window: MainWindow, desk: Desk, clock: ManualClock, patient: Patient, nurse: Staff
) -> int:
    """A first session at the course plan, today 25/11/2026."""
    session_id = desk.sessions.start_session(patient.id, nurse.id).id
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    clock.advance(minutes=60)
    tick_all(desk, session_id, BEFORE_SIGN_OUT, nurse.id)
    show(qtbot, window, nurse, session_id)
    return session_id


def test_a_next_session_a_week_ahead_is_flagged(qtbot: QtBot, window: MainWindow, at_sign_out: int) -> None:
    assert not any(w.isVisible() for w in window.findChildren(QLabel, "courseNote")), "no hint at session 1"
    type_into(qtbot, window, "Next session on or after", "02/12/2026")
    click(qtbot, window, f"Save: {PLAN}")
    assert status(window, PLAN) == NEEDS_DECISION
    assert (
        "Risk: Next session planned sooner than 4 weeks after this one: 02/12/2026 is before 23/12/2026"
        in visible_texts(card(window, PLAN))
    )
    assert offers_override(window, PLAN)


def test_at_the_last_planned_session_a_next_date_is_refused_and_extending_needs_a_reason(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, patient: Patient, nurse: Staff
) -> None:
    signed_out(desk, clock, patient.id, nurse, "2026-12-23")  # session 1, 25/11/2026
    clock.advance(days=30)
    signed_out(desk, clock, patient.id, nurse, "2027-01-24")  # session 2, 25/12/2026
    clock.advance(days=30)
    session_id = desk.sessions.start_session(patient.id, nurse.id).id  # session 3 of 3, 24/01/2027
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    clock.advance(minutes=60)
    tick_all(desk, session_id, BEFORE_SIGN_OUT, nurse.id)
    show(qtbot, window, nurse, session_id)
    plan = card(window, PLAN)

    hint = (
        "Session 3 of 3: the course is complete with this session. To plan more sessions, raise the "
        "number and say why."
    )
    assert course_line(window, PLAN) == hint
    assert find(plan, QLineEdit, "Sessions planned in the course").text() == "3"

    type_into(qtbot, plan, "Next session on or after", "28/02/2027")
    click(qtbot, plan, f"Save: {PLAN}")
    assert (
        "Session 3 of 3 completes the course: leave 'Next session on or after' empty, or plan more "
        "sessions (and say why) to book another."
    ) in visible_texts(plan)
    assert status(window, PLAN) == "To do"

    type_into(qtbot, plan, "Sessions planned in the course", "4")
    click(qtbot, plan, f"Save: {PLAN}")
    assert (
        "The course planned 3 sessions and this is session 3: 'Why the course is extended' is needed "
        "to plan 4."
    ) in visible_texts(plan)
    assert status(window, PLAN) == "To do"

    type_into(qtbot, plan, "Why the course is extended", "Deep boxcar scars on the cheeks still visible")
    click(qtbot, plan, f"Save: {PLAN}")
    assert status(window, PLAN).startswith("✓ Done")
    ticks = [
        e
        for e in desk.sessions.session(session_id).events
        if e.kind is EventKind.TICK and e.item_id == "next_session"
    ]
    assert [dict(e.values) for e in ticks] == [
        {
            "planned_sessions": 4,
            "next_date": "2027-02-28",
            "extension_reason": "Deep boxcar scars on the cheeks still visible",
        }
    ]


# --- (i) the allergies registered ---------------------------------------------------------------


def test_the_allergy_question_shows_the_allergies_registered(
    qtbot, window: MainWindow, desk: Desk, patient: Patient, nurse: Staff
) -> None:
    desk.patients.update_patient(patient.id, {"allergies": "Penicillin\nSticking plasters"}, nurse.id)
    show(qtbot, window, nurse, desk.sessions.start_session(patient.id, nurse.id).id)
    contraindications = card(window, "Contraindications checked")
    line = "Allergies recorded at registration: Penicillin; Sticking plasters"
    assert line in visible_texts(contraindications)
    for answer in ("No", "Yes"):
        button = find(contraindications, QRadioButton, f"Allergy to local anaesthetic: {answer}")
        assert button.accessibleDescription() == line
