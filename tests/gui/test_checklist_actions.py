"""What a nurse does on the checklist besides ticking: correct, note, abort, override, and what she sees
when time passes (the gel countdown, across a clock change) or when she types something wrong.

Every test checks both the screen and the stored events: nothing may look done that was not stored,
and nothing may be stored that the nurse was told was refused.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTextBrowser,
)
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.session import Event, EventKind
from desk_app.store.desk import Desk
from desk_app.store.models import PatientRow, SessionRow
from desk_app.ui.main_window import MainWindow
from tests.gui.front_desk import choose_patient, start_session_for
from tests.gui.nurse import (
    card,
    click,
    described,
    described_text,
    find,
    open_dialog,
    open_pause_point,
    settle,
    type_into,
    type_text,
    visible_texts,
    write_in_dialog,
)
from tests.support.lasers import TEST_LASER_VALUE
from tests.support.people import PIN, WRONG_PIN, add_member
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT, tick_all

IDENTITY = "Identity confirmed with two identifiers"
SKIN_TYPE = "Fitzpatrick skin type and test patch"


# --- helpers -------------------------------------------------------------------------------------


def start_session(
    desk: Desk, staff: Staff, number: str = "AZ-00001", given: str = "Zoë", family: str = "O'Brien"
) -> int:
    patient = desk.patients.register_patient(given, family, "1990-02-03", number, staff.id)
    return desk.sessions.start_session(patient.id, staff.id).id


def show(qtbot, window: MainWindow, staff: Staff, session_id: int) -> None:
    """The window opened on a session, as after clicking its card on the board."""
    window.set_staff(staff)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker


def status(window: MainWindow, item_label: str) -> str:
    """An item's status, even when its pause point is not the one on screen."""
    labels = [
        w for w in window.findChildren(QLabel) if w.accessibleDescription() == f"Status of {item_label}"
    ]
    assert len(labels) == 1, f"expected one status label for {item_label!r}, found {len(labels)}"
    return labels[0].text()


def events(desk: Desk, session_id: int) -> tuple[Event, ...]:
    """What the staff did: without the course as it stood at the start, written with the session."""
    return tuple(
        event for event in desk.sessions.session(session_id).events if event.kind is not EventKind.COURSE
    )


def kinds(desk: Desk, session_id: int) -> list[tuple[EventKind, str | None]]:
    return [(event.kind, event.item_id) for event in events(desk, session_id)]


def board_cards(window: MainWindow) -> list[str]:
    """The texts of the session cards the nurse sees under 'Patients in progress'."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # cards replaced on reload
    boxes = [
        b for b in window.findChildren(QGroupBox) if b.isVisible() and b.title() == "Patients in progress"
    ]
    assert len(boxes) == 1, "the board with 'Patients in progress' is not on screen"
    return [b.text() for b in boxes[0].findChildren(QPushButton) if b.isVisible()]


def at_laser(desk: Desk, clock: ManualClock, session_id: int, staff: Staff) -> None:
    """Sign-in, anaesthetic, the full hour's wait and the time-out done through the store."""
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, staff.id)
    clock.advance(minutes=60)
    tick_all(desk, session_id, TIME_OUT, staff.id)


# --- correct a tick ------------------------------------------------------------------------------


def test_correcting_a_tick_needs_a_reason_and_keeps_the_original_tick(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    session_id = start_session(desk, nurse)
    desk.sessions.tick(session_id, "identity", SIGN_IN["identity"], nurse.id)
    show(qtbot, window, nurse, session_id)
    assert status(window, IDENTITY) == "✓ Done 09:00 · AN"

    clock.advance(minutes=5)
    click(qtbot, window, f"Undo tick: {IDENTITY}")
    dialog = open_dialog()
    assert dialog.windowTitle() == f"Undo: {IDENTITY}"
    assert "What was recorded stays in the record" in visible_texts(dialog)

    # No reason (nothing, then only spaces): refused inside the dialog, nothing stored.
    click(qtbot, dialog, "Undo")
    assert "Reason: please fill this in." in visible_texts(dialog)
    write_in_dialog(dialog, "   ")
    click(qtbot, dialog, "Undo")
    assert dialog.isVisible()
    assert "Reason: please fill this in." in visible_texts(dialog)
    assert kinds(desk, session_id) == [(EventKind.TICK, "identity")]
    assert status(window, IDENTITY) == "✓ Done 09:00 · AN"

    write_in_dialog(dialog, "Checked against the wrong record")
    click(qtbot, dialog, "Undo")
    assert not dialog.isVisible()

    # The item is to do again, and the card says who undid it, when and why.
    assert status(window, IDENTITY) == "To do"
    assert find(window, QAbstractButton, f"Confirm: {IDENTITY}").isEnabled()
    assert not [b for b in window.findChildren(QAbstractButton) if b.isVisible() and b.text() == "Undo tick…"]
    assert "09:05 Ann Nurse undid it: Checked against the wrong record" in visible_texts(
        card(window, IDENTITY)
    )

    # Stored: the original tick untouched, then the correction pointing at it.
    tick, correction = events(desk, session_id)
    assert (tick.kind, tick.item_id, dict(tick.values)) == (
        EventKind.TICK,
        "identity",
        {"second_identifier": "Date of birth"},
    )
    assert tick.at == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert correction.kind is EventKind.CORRECTION
    assert correction.item_id == "identity"
    assert correction.corrects_id == tick.id
    assert correction.text == "Checked against the wrong record"
    assert correction.staff_id == nurse.id
    assert correction.at == datetime(2026, 11, 25, 9, 5, tzinfo=UTC)

    # Done again: a third event; the correction stays on the card.
    click(qtbot, window, "Second identifier checked: Clinic number")
    click(qtbot, window, f"Confirm: {IDENTITY}")
    assert status(window, IDENTITY) == "✓ Done 09:05 · AN"
    assert "09:05 Ann Nurse undid it" in visible_texts(card(window, IDENTITY))
    assert kinds(desk, session_id) == [
        (EventKind.TICK, "identity"),
        (EventKind.CORRECTION, "identity"),
        (EventKind.TICK, "identity"),
    ]


# --- notes ---------------------------------------------------------------------------------------


def test_notes_on_an_item_and_on_the_session(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    session_id = start_session(desk, nurse)
    show(qtbot, window, nurse, session_id)
    consent = "Consent form signed"
    clock.advance(minutes=2)

    click(qtbot, window, f"Add note: {consent}")
    dialog = open_dialog()
    assert dialog.windowTitle() == f"Note on {consent}"
    write_in_dialog(dialog, "  \n ")
    click(qtbot, dialog, "Add note")
    assert dialog.isVisible()
    assert "Note: please fill this in." in visible_texts(dialog)
    assert events(desk, session_id) == ()

    write_in_dialog(dialog, "Patient asked for a copy of the form")
    click(qtbot, dialog, "Add note")
    assert not dialog.isVisible()
    (note,) = events(desk, session_id)
    assert (note.kind, note.item_id, note.text) == (
        EventKind.NOTE,
        "consent",
        "Patient asked for a copy of the form",  # the blank start is trimmed
    )
    assert note.staff_id == nurse.id
    # The card shows the note; a note is not a tick.
    assert "09:02 Ann Nurse noted: Patient asked for a copy of the form" in visible_texts(
        card(window, consent)
    )
    assert status(window, consent) == "To do"

    # A note on the session: Cancel keeps nothing.
    click(qtbot, window, "Note on session…")
    dialog = open_dialog()
    assert dialog.windowTitle() == "Note on the session"
    write_in_dialog(dialog, "Changed her mind")
    click(qtbot, dialog, "Cancel")
    click(qtbot, dialog, "Discard what I typed")  # asked first: typed words go only when she says so
    assert not dialog.isVisible()
    assert len(events(desk, session_id)) == 1

    click(qtbot, window, "Note on session…")
    dialog = open_dialog()
    assert dialog.findChild(QPlainTextEdit).toPlainText() == "", "a new note starts empty"
    write_in_dialog(dialog, "Mother waiting in reception")
    click(qtbot, dialog, "Add note")
    assert not dialog.isVisible()
    session_note = events(desk, session_id)[-1]
    assert (session_note.kind, session_note.item_id, session_note.text, session_note.staff_id) == (
        EventKind.NOTE,
        None,
        "Mother waiting in reception",
        nurse.id,
    )


# --- abort ---------------------------------------------------------------------------------------


def test_abort_needs_a_reason_then_shows_the_summary_and_leaves_the_board(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    session_id = start_session(desk, nurse)
    other_id = start_session(desk, nurse, "AZ-00002", "Siân", "Nuñez")
    desk.sessions.tick(session_id, "identity", SIGN_IN["identity"], nurse.id)
    show(qtbot, window, nurse, session_id)
    clock.advance(minutes=3)

    click(qtbot, window, "Stop treatment…")
    dialog = open_dialog()
    click(qtbot, dialog, "Stop treatment")
    assert dialog.isVisible()
    assert "Reason for stopping: please fill this in." in visible_texts(dialog)
    assert kinds(desk, session_id) == [(EventKind.TICK, "identity")]
    assert [r.id for r in desk.sessions.sessions_in_progress()] == [session_id, other_id]

    write_in_dialog(dialog, "Patient felt faint; rebooked")
    click(qtbot, dialog, "Stop treatment")
    assert not dialog.isVisible()

    summary = find(window, QTextBrowser, "Session summary").toPlainText()
    assert "Status: Treatment stopped" in summary
    assert "Treatment stopped by Ann Nurse at 25/11/2026 09:03: Patient felt faint; rebooked" in summary
    assert "Zoë O'Brien" in summary
    # Nothing more can be done on it.
    for name in ("Stop treatment…", "Note on session…", f"Confirm: {IDENTITY}", "Undo tick…"):
        assert not [b for b in window.findChildren(QAbstractButton) if b.isVisible() and b.text() == name]

    abort = events(desk, session_id)[-1]
    assert (abort.kind, abort.text, abort.staff_id) == (
        EventKind.ABORT,
        "Patient felt faint; rebooked",
        nurse.id,
    )
    assert SessionRow.get_by_id(session_id).status == "aborted"

    click(qtbot, window, "Back to board")
    cards = board_cards(window)
    assert len(cards) == 1
    assert "Siân Nuñez" in cards[0]
    assert "Zoë O'Brien" not in "\n".join(cards)
    assert [r.id for r in desk.sessions.sessions_in_progress()] == [other_id]


# --- overrides -----------------------------------------------------------------------------------


def test_a_nurse_cannot_override_without_choosing_a_clinician(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clinician: Staff
) -> None:
    add_member(desk, "Beth Nurse", "BN", "nurse")
    add_member(desk, "Ada Manager", "AM", "administrator")
    session_id = start_session(desk, nurse)
    tick_all(
        desk,
        session_id,
        {"identity": SIGN_IN["identity"], "consent": SIGN_IN["consent"], "skin_type": {"fitzpatrick": "V"}},
        nurse.id,
    )
    show(qtbot, window, nurse, session_id)
    assert status(window, SKIN_TYPE) == "⚠ Needs a clinician's decision"

    click(qtbot, window, f"Override: {SKIN_TYPE}")
    dialog = open_dialog()
    assert "Skin type V or VI: higher risk of pigment change" in visible_texts(dialog)
    choices = [b for b in dialog.findChildren(QRadioButton) if b.isVisible()]
    assert [b.text() for b in choices] == ["Dr Clive Doctor (CD)"], "only clinicians may be chosen"
    assert not any(b.isChecked() for b in choices), "a nurse at the desk must not be preselected"

    write_in_dialog(dialog, "Test patch healed well")
    click(qtbot, dialog, "Override")
    assert dialog.isVisible()
    assert "Choose the clinician who takes this decision." in visible_texts(dialog)
    assert EventKind.OVERRIDE not in [kind for kind, _ in kinds(desk, session_id)]
    assert status(window, SKIN_TYPE) == "⚠ Needs a clinician's decision"

    click(qtbot, dialog, "Cancel")
    open_pause_point(qtbot, window, "Anaesthetic")
    assert not find(window, QAbstractButton, "Save: Anaesthetic product, amount and cover").isEnabled()


def test_a_clinician_ends_the_gel_wait_early_with_a_reason(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, clinician: Staff
) -> None:
    session_id = start_session(desk, nurse)
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)  # gel applied at 09:00
    clock.advance(minutes=20)
    show(qtbot, window, clinician, session_id)
    assert described_text(window, "Gel countdown") == "40:00"
    assert status(window, "Gel working") == "Waiting"

    open_pause_point(qtbot, window, "Time-out")
    assert not find(window, QAbstractButton, "Confirm: Patient identity read back").isEnabled()
    assert "still working" in visible_texts(window)

    open_pause_point(qtbot, window, "Wait")
    click(qtbot, window, "Override: Gel working")
    dialog = open_dialog()
    doctor = find(dialog, QRadioButton, "Dr Clive Doctor (CD)")
    assert doctor.isChecked(), "the clinician at the desk is chosen for them"
    write_in_dialog(dialog, "Small area only; numb on testing")
    type_text(find(dialog, QLineEdit, "Clinician's PIN"), PIN)
    click(qtbot, dialog, "Override")
    assert not dialog.isVisible()

    # Twenty minutes in, the time-out opens; the checklist moves on to it by itself.
    assert status(window, "Gel working") == "⚠ Overridden by clinician 09:20 · CD"
    click(qtbot, window, "Confirm: Patient identity read back")
    assert status(window, "Patient identity read back") == "✓ Done 09:20 · CD"

    override = [e for e in events(desk, session_id) if e.kind is EventKind.OVERRIDE]
    assert [(e.item_id, e.staff_id, e.text) for e in override] == [
        ("gel_wait", clinician.id, "Small area only; numb on testing")
    ]
    assert override[0].at == datetime(2026, 11, 25, 9, 20, tzinfo=UTC)

    # Looking back, the Wait shows who ended it early and why.
    open_pause_point(qtbot, window, "Wait")
    assert "09:20 Dr Clive Doctor, clinician, overrode it: Small area only; numb on testing" in visible_texts(
        card(window, "Gel working")
    )


# --- the countdown -------------------------------------------------------------------------------


def test_countdown_across_the_spring_clock_change(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    # UK clocks go forward at 01:00 UTC on 29 March 2026: 01:00 GMT becomes 02:00 BST.
    clock.set(datetime(2026, 3, 29, 0, 0, tzinfo=UTC))
    session_id = start_session(desk, nurse)
    before_gel = {key: value for key, value in ANAESTHETIC.items() if key != "gel_applied"}
    tick_all(desk, session_id, {**SIGN_IN, **before_gel}, nurse.id)
    clock.set(datetime(2026, 3, 29, 0, 30, tzinfo=UTC))  # 00:30 GMT
    show(qtbot, window, nurse, session_id)

    click(qtbot, window, "Confirm: Gel applied: start the countdown")
    assert status(window, "Gel applied: start the countdown") == "✓ Done 00:30 · AN"
    assert described_text(window, "Gel countdown") == "1:00:00"
    # One real hour later is 02:30 on the wall clock, not 01:30.
    assert described_text(window, "Gel status") == "Gel working · ready at 02:30"

    clock.set(datetime(2026, 3, 29, 1, 10, tzinfo=UTC))  # 02:10 BST
    window.checklist_page.refresh()
    assert described_text(window, "Gel countdown") == "20:00"
    assert described_text(window, "Gel status") == "Gel working · ready at 02:30"

    clock.set(datetime(2026, 3, 29, 1, 30, tzinfo=UTC))  # 02:30 BST
    window.checklist_page.refresh()
    assert described_text(window, "Gel countdown") == "Ready"
    assert (
        described_text(window, "Gel status") == "Ready for the laser room · remove gel by 03:00 (30 min left)"
    )

    applied = [e for e in events(desk, session_id) if e.item_id == "gel_applied"]
    assert [e.at for e in applied] == [datetime(2026, 3, 29, 0, 30, tzinfo=UTC)]


def test_remove_the_gel_now_at_ninety_minutes(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    session_id = start_session(desk, nurse)
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)  # gel applied at 09:00
    show(qtbot, window, nurse, session_id)

    clock.advance(minutes=89, seconds=59)
    window.checklist_page.refresh()
    assert (
        described_text(window, "Gel status") == "Ready for the laser room · remove gel by 10:30 (1 min left)"
    )

    clock.advance(seconds=1)
    window.checklist_page.refresh()
    assert described_text(window, "Gel status") == "Remove the gel now: it has been on for 1 h 30 min"
    assert described_text(window, "Gel countdown") == "Remove gel"
    assert described(window, QLabel, "Gel status").property("phase") == "remove now"  # shown in red

    click(qtbot, window, "Back to board")
    (session_card,) = board_cards(window)
    assert "Remove the gel now" in session_card
    assert "gel_removed" not in [item for _, item in kinds(desk, session_id)]


# --- registering a patient -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "born", "number", "message"),
    [
        ("", "03/02/1990", "AZ-00002", "Surname: please fill this in."),
        ("   ", "03/02/1990", "AZ-00002", "Surname: please fill this in."),
        ("O'Brien", "01/01/2099", "AZ-00002", "Date of birth cannot be in the future."),
        ("O'Brien", "31/02/1990", "AZ-00002", "Date of birth is not a real date (for example 31/01/1990)."),
        ("O'Brien", "03/02/1990", "az-00001", "Clinic number AZ-00001 is already in use."),
    ],
    ids=[
        "blank-family-name",
        "spaces-family-name",
        "born-in-the-future",
        "31-february",
        "clinic-number-taken",
    ],
)
def test_registering_a_patient_with_bad_input_adds_no_one(
    qtbot: QtBot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,
    family: str,
    born: str,
    number: str,
    message: str,
) -> None:
    desk.patients.register_patient("Ann", "Existing", "1980-01-01", "AZ-00001", nurse.id)
    window.set_staff(nurse)
    settle(qtbot)

    type_into(qtbot, window, "First names", "Zoë")
    type_into(qtbot, window, "Surname", family)
    type_into(qtbot, window, "Date of birth", born)
    type_into(qtbot, window, "Clinic number", number)
    click(qtbot, window, "Register patient")

    assert message in visible_texts(window.home_page)
    assert PatientRow.select().count() == 1
    assert [p.clinic_number for p in desk.patients.search_patients("")] == ["AZ-00001"]
    # What the nurse typed is still there to put right.
    assert find(window, QLineEdit, "First names").text() == "Zoë"
    assert find(window, QLineEdit, "Date of birth").text() == born
    assert find(window, QLineEdit, "Clinic number").text() == number


def test_a_second_session_for_a_patient_offers_to_open_the_one_in_progress(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    running_id = start_session(desk, nurse)
    desk.sessions.tick(running_id, "identity", SIGN_IN["identity"], nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    assert not [
        b for b in window.findChildren(QPushButton) if b.isVisible() and "session in progress" in b.text()
    ]

    type_into(qtbot, window, "Search patients", "obrien")
    start_session_for(qtbot, window, "Zoë O'Brien")
    assert "Zoë O'Brien already has a session in progress." in visible_texts(window.home_page)
    assert SessionRow.select().count() == 1

    click(qtbot, window, "Open the session in progress")
    assert window.checklist_page.record is not None
    assert window.checklist_page.record.id == running_id
    assert find(window, QLabel, "Zoë O'Brien").isVisible()
    assert status(window, IDENTITY) == "✓ Done 09:00 · AN"
    assert SessionRow.select().count() == 1


def test_the_session_in_progress_offer_goes_when_another_patient_is_chosen(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    start_session(desk, nurse)
    desk.patients.register_patient("Siân", "Nuñez", "1985-07-14", "AZ-00002", nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    type_into(qtbot, window, "Search patients", "AZ-00001")
    start_session_for(qtbot, window, "AZ-00001")
    assert "Zoë O'Brien already has a session in progress." in visible_texts(window.home_page)

    type_into(qtbot, window, "Search patients", "AZ-00002")
    choose_patient(qtbot, window, "Siân Nuñez")
    assert "Zoë O'Brien already has a session in progress." not in visible_texts(window.home_page)
    assert not [
        b
        for b in window.findChildren(QPushButton)
        if b.isVisible() and b.text() == "Open the session in progress"
    ]


# --- laser settings ------------------------------------------------------------------------------


def test_a_laser_setting_outside_the_clinic_limits_needs_a_clinicians_override(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, clinician: Staff
) -> None:
    session_id = start_session(desk, nurse)
    at_laser(desk, clock, session_id, nurse)
    others = {key: value for key, value in LASER.items() if key != "fractional_pass"}
    tick_all(desk, session_id, others, nurse.id)
    show(qtbot, window, nurse, session_id)

    fractional = card(window, "Fractional pass")
    type_into(qtbot, fractional, "Energy per pulse", "80")
    type_into(qtbot, fractional, "Density", "20")
    type_into(qtbot, fractional, "Passes", "2")
    click(qtbot, fractional, "Areas treated: Cheeks")
    click(qtbot, fractional, "Save pass: Fractional pass")

    # Saved as given, but flagged, with the limit it broke.
    assert status(window, "Fractional pass") == "⚠ Needs a clinician's decision"
    shown = visible_texts(fractional)
    assert "Risk: Energy per pulse 80.0 mJ is above the clinic limit of 70.0 mJ" in shown
    assert "Energy per pulse: 80.0 mJ" in shown
    ticks = [e for e in events(desk, session_id) if e.item_id == "fractional_pass"]
    assert len(ticks) == 1 and ticks[0].values["energy_mj"] == 80.0

    open_pause_point(qtbot, window, "Sign-out")
    assert not find(window, QAbstractButton, "Save: Stratamed applied").isEnabled()
    assert not find(window, QAbstractButton, "Sign and lock: Operator signs; the record locks").isEnabled()
    assert "'Fractional pass' (Laser) flags a risk" in visible_texts(window)

    open_pause_point(qtbot, window, "Laser")
    click(qtbot, window, "Override: Fractional pass")
    dialog = open_dialog()
    assert "above the clinic limit of 70.0 mJ" in visible_texts(dialog)
    click(qtbot, dialog, "Dr Clive Doctor (CD)")
    write_in_dialog(dialog, "Deep boxcar scars; discussed with the patient")
    # The nurse at the desk cannot decide for the clinician: the clinician's own PIN is needed.
    type_text(find(dialog, QLineEdit, "Clinician's PIN"), WRONG_PIN)
    click(qtbot, dialog, "Override")
    assert dialog.isVisible()
    assert "Wrong PIN. 4 tries left before the password is needed." in visible_texts(dialog)
    assert not [e for e in events(desk, session_id) if e.kind is EventKind.OVERRIDE]
    type_text(find(dialog, QLineEdit, "Clinician's PIN"), PIN)
    click(qtbot, dialog, "Override")
    assert not dialog.isVisible()

    assert status(window, "Fractional pass") == "⚠ Overridden by clinician 10:00 · CD"
    assert find(window, QAbstractButton, "Save: Stratamed applied").isEnabled()  # now on Sign-out
    override = [e for e in events(desk, session_id) if e.kind is EventKind.OVERRIDE]
    assert [(e.item_id, e.staff_id) for e in override] == [("fractional_pass", clinician.id)]


def test_a_pass_on_an_area_not_painted_with_gel_shows_the_risk_and_needs_a_clinicians_override(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, clinician: Staff
) -> None:
    """Issue 16: the gel went on the forehead and cheeks; the full-beam pass also treats the chin."""
    session_id = start_session(desk, nurse)
    at_laser(desk, clock, session_id, nurse)
    tick_all(desk, session_id, {"fractional_pass": LASER["fractional_pass"]}, nurse.id)
    show(qtbot, window, nurse, session_id)
    beam_label = "Full-beam pass, 7 mm beam"

    beam = card(window, beam_label)
    type_into(qtbot, beam, "Fluence", "5.5")
    type_into(qtbot, beam, "Passes", "1")
    click(qtbot, beam, "Areas treated: Cheeks")
    click(qtbot, beam, "Areas treated: Chin")
    click(qtbot, beam, f"Save pass: {beam_label}")

    assert status(window, beam_label) == "⚠ Needs a clinician's decision"
    assert "Risk: Not painted with gel: Chin" in visible_texts(beam)
    click(qtbot, window, f"Override: {beam_label}")
    dialog = open_dialog()
    assert "Not painted with gel: Chin" in visible_texts(dialog)
    click(qtbot, dialog, "Dr Clive Doctor (CD)")
    write_in_dialog(dialog, "Gel had spread onto the chin; numb on testing")
    type_text(find(dialog, QLineEdit, "Clinician's PIN"), PIN)
    click(qtbot, dialog, "Override")
    assert not dialog.isVisible()

    assert status(window, beam_label).startswith("⚠ Overridden by clinician")
    override = [e for e in events(desk, session_id) if e.kind is EventKind.OVERRIDE]
    assert [(e.item_id, e.staff_id) for e in override] == [("full_beam_pass", clinician.id)]


def test_laser_settings_are_prefilled_from_the_last_signed_out_session(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    first = desk.sessions.start_session(patient.id, nurse.id).id
    at_laser(desk, clock, first, nurse)
    tick_all(desk, first, {**LASER, **SIGN_OUT, "operator_sign_out": {}}, nurse.id)

    # A later session (four weeks on), aborted after a different pass, is not "last time's settings".
    clock.advance(days=28)
    aborted = desk.sessions.start_session(patient.id, nurse.id).id
    at_laser(desk, clock, aborted, nurse)
    tick_all(desk, aborted, {"fractional_pass": {**LASER["fractional_pass"], "energy_mj": 60}}, nurse.id)
    desk.sessions.abort(aborted, "Laser fault", nurse.id)

    clock.advance(days=21)
    today = desk.sessions.start_session(patient.id, nurse.id).id
    at_laser(desk, clock, today, nurse)
    show(qtbot, window, nurse, today)

    fractional = card(window, "Fractional pass")
    assert find(fractional, QComboBox, "Laser device").currentText() == TEST_LASER_VALUE["name"]
    assert find(fractional, QLineEdit, "Energy per pulse").text() == "40.0"
    assert find(fractional, QLineEdit, "Density").text() == "20"
    assert find(fractional, QLineEdit, "Passes").text() == "2"
    ticked = [b.text() for b in fractional.findChildren(QCheckBox) if b.isChecked()]
    assert ticked == ["Forehead", "Cheeks"]
    assert "Same as last session (25/11/2026)" in visible_texts(fractional)
    assert "Changed" not in visible_texts(fractional)
    assert find(card(window, "Full-beam pass, 7 mm beam"), QLineEdit, "Fluence").text() == "5.5"

    type_into(qtbot, fractional, "Energy per pulse", "45")
    assert "Changed: was 40.0 mJ last session (25/11/2026)" in visible_texts(fractional)
    energy = find(fractional, QLineEdit, "Energy per pulse")
    assert "Changed: was 40.0 mJ last session (25/11/2026)" in energy.accessibleDescription(), (
        "a screen reader hears the change with the field, not only in a label under it"
    )
    assert visible_texts(fractional).count("Changed:") == 1, "only the changed setting is marked"

    click(qtbot, fractional, "Save pass: Fractional pass")
    assert status(window, "Fractional pass").startswith("✓ Done")
    (tick,) = [e for e in events(desk, today) if e.item_id == "fractional_pass"]
    assert dict(tick.values) == {
        "device": TEST_LASER_VALUE,
        "energy_mj": 45.0,
        "density_pct": 20.0,
        "passes": 2.0,
        "areas": ["Forehead", "Cheeks"],
    }
    # The earlier sessions are untouched.
    (first_tick,) = [e for e in events(desk, first) if e.item_id == "fractional_pass"]
    assert first_tick.values["energy_mj"] == 40
