"""A consent signed on screen at the sign-in: the patient reads the form, answers about photos and
signs; the nurse witnesses with her PIN; the consent item then shows done. Bad input is said in the
dialog and saves nothing; a consent in force is shown on the item for the nurse to confirm."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from desk_app.domain.consent import TOO_SMALL_SIGNATURE, Signature
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.consent_dialog import NO_PHOTO_ANSWER, NO_PIN, NOT_SIGNED, PHOTOS_AGREED, PHOTOS_REFUSED
from desk_app.ui.consent_item import SIGN_BUTTON
from desk_app.ui.form_dialog import KEEP
from desk_app.ui.main_window import MainWindow
from desk_app.ui.signature_pad import SignaturePad
from desk_app.ui.tab_order import reading_order
from tests.gui.a11y import SMALL_SCREENS, activate, control_name, fully_visible, heard, tab_walk, unheard
from tests.gui.nurse import card, click, find, open_dialog, settle, type_text, visible_texts
from tests.gui.test_database_worker import Stall
from tests.support.people import PIN, WRONG_PIN

CONSENT = "Consent form signed"
LEFT = Qt.MouseButton.LeftButton
A_SIGNATURE = ((30, 120), (80, 60), (130, 130), (180, 70), (260, 110))


def start_session(desk: Desk, staff: Staff) -> tuple[int, int]:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", staff.id)
    return patient.id, desk.sessions.start_session(patient.id, staff.id).id


def show(qtbot: QtBot, window: MainWindow, staff: Staff, session_id: int) -> None:
    window.set_staff(staff)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)


def sign_on(pad: SignaturePad, *points: tuple[int, int]) -> None:
    """The patient draws one stroke through `points` with the mouse."""
    canvas = pad.canvas
    QTest.mousePress(canvas, LEFT, Qt.KeyboardModifier.NoModifier, QPoint(*points[0]))
    for point in points[1:]:
        QTest.mouseMove(canvas, QPoint(*point), 8)
    QTest.mouseRelease(canvas, LEFT, Qt.KeyboardModifier.NoModifier, QPoint(*points[-1]))


def open_question() -> QMessageBox:
    (question,) = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    return question


def pin_field(dialog: QDialog, staff: Staff) -> QLineEdit:
    return find(dialog, QLineEdit, f"{staff.name}'s PIN, as witness")


def save(qtbot: QtBot, dialog: QDialog, pin: str, staff: Staff) -> None:
    type_text(pin_field(dialog, staff), pin)
    click(qtbot, dialog, "Save signed consent")


def open_consent(qtbot: QtBot, window: MainWindow) -> QDialog:
    click(qtbot, card(window, CONSENT), SIGN_BUTTON)
    dialog = open_dialog()
    qtbot.waitExposed(dialog)
    return dialog


def test_a_nurse_witnesses_a_consent_signed_on_screen_and_the_item_shows_done(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    patient_id, session_id = start_session(desk, nurse)
    show(qtbot, window, nurse, session_id)
    form = desk.consents.current_form()
    assert f"No signed consent of form {form.version} is in force" in visible_texts(card(window, CONSENT))

    dialog = open_consent(qtbot, window)

    shown = visible_texts(dialog)
    assert form.title in shown and f"Form version {form.version}" in shown
    click(qtbot, dialog, PHOTOS_AGREED)
    sign_on(dialog.pad, *A_SIGNATURE)
    assert dialog.pad.state.text() == "Signed"
    assert heard(dialog.pad.canvas).startswith("Signature pad: signed, 1 stroke")
    assert unheard(dialog) == []
    save(qtbot, dialog, PIN, nurse)

    assert not dialog.isVisible()
    (consent,) = desk.consents.consents_of(patient_id)
    assert (consent.session_id, consent.form_version, consent.photos_allowed) == (
        session_id,
        form.version,
        True,
    )
    assert consent.witness_id == nurse.id and consent.in_force
    assert card(window, CONSENT).status.text().startswith("✓ Done")
    assert SIGN_BUTTON not in [
        b.text() for b in card(window, CONSENT).findChildren(QPushButton) if b.isVisible()
    ]


def test_bad_input_is_said_in_the_dialog_and_saves_nothing_and_photos_may_be_refused(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    patient_id, session_id = start_session(desk, nurse)
    show(qtbot, window, nurse, session_id)
    dialog = open_consent(qtbot, window)

    sign_on(dialog.pad, *A_SIGNATURE)
    save(qtbot, dialog, PIN, nurse)
    assert NO_PHOTO_ANSWER in visible_texts(dialog)

    click(qtbot, dialog, "Clear signature")
    click(qtbot, dialog, PHOTOS_REFUSED)
    save(qtbot, dialog, PIN, nurse)
    assert NOT_SIGNED in visible_texts(dialog)

    sign_on(dialog.pad, (40, 100), (41, 100))  # a dot is not a signature
    save(qtbot, dialog, PIN, nurse)
    assert TOO_SMALL_SIGNATURE in visible_texts(dialog)
    assert dialog.isVisible() and desk.consents.consents_of(patient_id) == []

    click(qtbot, dialog, "Clear signature")
    sign_on(dialog.pad, *A_SIGNATURE)
    click(qtbot, dialog, "Save signed consent")
    assert NO_PIN in visible_texts(dialog)

    save(qtbot, dialog, WRONG_PIN, nurse)
    assert dialog.isVisible() and "PIN" in dialog.error.text()
    assert pin_field(dialog, nurse).text() == ""  # a refused PIN is typed again, never left on screen
    assert desk.consents.consents_of(patient_id) == []
    assert card(window, CONSENT).status.text() == "To do"

    save(qtbot, dialog, PIN, nurse)  # refusing photos does not stop the treatment

    assert not dialog.isVisible()
    (consent,) = desk.consents.consents_of(patient_id)
    assert consent.photos_allowed is False
    assert card(window, CONSENT).status.text().startswith("✓ Done")


def test_a_consent_in_force_is_shown_on_the_item_for_the_nurse_to_confirm(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    patient_id, session_id = start_session(desk, nurse)
    form = desk.consents.current_form()
    strokes = tuple(tuple((float(x), float(y), n * 10) for n, (x, y) in enumerate(A_SIGNATURE)) for _ in (1,))
    desk.consents.sign(patient_id, None, form.version, Signature(strokes, 560, 180), True, nurse.id, PIN)

    show(qtbot, window, nurse, session_id)

    shown = visible_texts(card(window, CONSENT))
    assert f"Signed 25 Nov 2026 09:00, form {form.version}, witnessed by Ann Nurse" in shown
    click(qtbot, window, f"Confirm: {CONSENT}")
    assert card(window, CONSENT).status.text().startswith("✓ Done")


def test_the_dialog_fits_a_1366_by_768_screen_with_the_pad_and_buttons_in_view(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    _patient_id, session_id = start_session(desk, nurse)
    show(qtbot, window, nurse, session_id)
    dialog = open_consent(qtbot, window)
    width, height = SMALL_SCREENS["1366x768 at 100%"]

    dialog.resize(min(dialog.width(), width), min(dialog.height(), height))
    QApplication.processEvents()

    assert dialog.width() <= width and dialog.height() <= height
    in_view = [dialog.pad.canvas, pin_field(dialog, nurse), *dialog.findChildren(QPushButton)]
    assert all(fully_visible(widget) for widget in in_view if widget.isVisible())


def test_tab_goes_through_the_dialog_as_it_reads_and_cancel_asks_before_dropping_a_signature(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    _patient_id, session_id = start_session(desk, nurse)
    show(qtbot, window, nurse, session_id)
    dialog = open_consent(qtbot, window)
    activate(qtbot, dialog)
    form = desk.consents.current_form()

    walked = [control_name(widget) for widget in tab_walk(qtbot, reading_order(dialog)[0])]

    assert walked == [
        f"{form.title}, version {form.version}",
        PHOTOS_AGREED,
        f"{nurse.name}'s PIN, as witness",  # Clear signature is greyed until there is one
        "Save signed consent",
        "Cancel",
    ]
    sign_on(dialog.pad, *A_SIGNATURE)
    click(qtbot, dialog, "Cancel")
    click(qtbot, open_question(), KEEP)
    assert dialog.isVisible() and dialog.pad.is_signed()


def test_a_consent_saved_after_the_desk_locked_is_kept_and_says_nothing_on_the_locked_screen(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    """The dialog is gone with the lock when the save comes back: nothing may be said from it (an
    error box on the locked screen would have the patient sign twice)."""
    patient_id, session_id = start_session(desk, nurse)
    show(qtbot, window, nurse, session_id)
    dialog = open_consent(qtbot, window)
    click(qtbot, dialog, PHOTOS_AGREED)
    sign_on(dialog.pad, *A_SIGNATURE)
    stall = Stall(window.worker)
    try:
        type_text(pin_field(dialog, nurse), PIN)
        find(dialog, QPushButton, "Save signed consent").click()  # queued behind the stalled database
        window.lock(idle=True)
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # the dialog gone, as it soon is
        assert not shiboken6.isValid(dialog)
    finally:
        stall.resume()
    settle(qtbot)
    (consent,) = desk.consents.consents_of(patient_id)
    assert consent.session_id == session_id and window.locked
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_a_consent_refused_after_the_desk_locked_is_said_above_every_page(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    """Its dialog gone with the lock, the refusal is said where the nurse will see it once back (it
    was only logged): the patient has not signed as far as the records go."""
    patient_id, session_id = start_session(desk, nurse)
    show(qtbot, window, nurse, session_id)
    dialog = open_consent(qtbot, window)
    click(qtbot, dialog, PHOTOS_AGREED)
    sign_on(dialog.pad, *A_SIGNATURE)
    stall = Stall(window.worker)
    try:
        type_text(pin_field(dialog, nurse), WRONG_PIN)
        find(dialog, QPushButton, "Save signed consent").click()
        window.lock(idle=True)
    finally:
        stall.resume()
    settle(qtbot)
    assert desk.consents.consents_of(patient_id) == []
    said = window.not_saved_message.text()
    assert said.startswith("Consent") and "Wrong PIN" in said, said
