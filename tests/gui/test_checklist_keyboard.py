"""The checklist by keyboard (issue 18, point 3): the session opens on the next item to do, Enter saves
the item it is pressed in, Ctrl+J jumps to the next item to do, arrows choose radio answers, and a
hard stop is never confirmed by the key press that confirmed the item before it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QPushButton, QRadioButton, QWidget
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.session import EventKind
from desk_app.store.desk import Desk
from desk_app.ui.main_window import MainWindow
from tests.gui.a11y import activate, control_name, fully_visible
from tests.gui.nurse import card, click, find, open_dialog, settle, type_text
from tests.gui.test_keyboard_and_names import start_session
from tests.support.walk import ANAESTHETIC, SIGN_IN, tick_all

IDENTITY = "Identity confirmed with two identifiers"
CONTRAINDICATIONS = "Contraindications checked"
READ_BACK = "Patient identity read back"
GEL_REMOVED = "Gel removed, skin cleansed and dry"


def ticked(desk: Desk, session_id: int) -> list[str]:
    """The items ticked, in order."""
    return [e.item_id for e in desk.sessions.session(session_id).events if e.kind is EventKind.TICK]


def values(desk: Desk, session_id: int, item_id: str) -> dict:
    (tick,) = [e for e in desk.sessions.session(session_id).events if e.item_id == item_id]
    return dict(tick.values)


def focused() -> str:
    return control_name(QApplication.focusWidget())


def press(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A key pressed and released on whatever has the keyboard, and what it saved shown."""
    qtbot.keyClick(QApplication.focusWidget(), key, modifier)
    settle(qtbot)


def held(key: Qt.Key, text: str) -> None:
    """The presses a key held down sends after the first: auto-repeated."""
    widget = QApplication.focusWidget()
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(widget, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, text, True))


def opened(qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, done: dict | None = None) -> int:
    """A session with the items `done` ticked, opened by the nurse in the active window."""
    session_id = start_session(desk, nurse)
    if done:
        tick_all(desk, session_id, done, nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    activate(qtbot, window)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    return session_id


def test_the_session_opens_on_the_next_item_and_enter_saves_it_and_moves_on(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    session_id = opened(qtbot, window, desk, nurse)
    assert focused() == "Second identifier checked: Date of birth", "not 'Back to board'"
    clock.advance(seconds=2)  # the nurse asks the patient

    press(qtbot, Qt.Key.Key_Space)
    press(qtbot, Qt.Key.Key_Return)  # on an answer
    assert values(desk, session_id, "identity") == {"second_identifier": "Date of birth"}
    assert card(window, IDENTITY).status.text().startswith("✓ Done")
    assert focused() == "Consent form version"

    type_text(QApplication.focusWidget(), "CF-LASER v3")
    clock.advance(seconds=2)
    press(qtbot, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)  # in a field, the keypad's
    assert values(desk, session_id, "consent") == {"form_version": "CF-LASER v3"}
    assert focused() == "Confirm: Time since the last session checked", "an item without fields"

    held(Qt.Key.Key_Return, "\r")
    assert ticked(desk, session_id) == ["identity", "consent"], "a key held down saves nothing"
    press(qtbot, Qt.Key.Key_Return)  # at once: the press that saved the consent, pressed twice
    assert ticked(desk, session_id) == ["identity", "consent"], "a second Enter saves nothing"
    clock.advance(seconds=2)  # the nurse reads the item
    press(qtbot, Qt.Key.Key_Return)  # on the primary button
    assert ticked(desk, session_id)[-1] == "course_interval"
    assert focused() == "Skin type: I"


def test_arrows_choose_the_answer_they_move_to_and_tab_leaves_the_answers(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    """Each arrow chooses the answer it moves to; they stop at the ends, never going round from the
    last answer to the first."""
    opened(qtbot, window, desk, nurse, {k: SIGN_IN[k] for k in ("identity", "consent", "course_interval")})
    assert focused() == "Skin type: I"
    skin = card(window, "Fitzpatrick skin type and test patch")
    chosen = []
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_Up):
        press(qtbot, key)
        chosen.append([control_name(b) for b in skin.findChildren(QRadioButton) if b.isChecked()])
        assert focused() == chosen[-1][0]
    assert chosen == [
        ["Skin type: II"],
        ["Skin type: III"],
        ["Skin type: II"],
        ["Skin type: I"],
        ["Skin type: I"],
    ]

    press(qtbot, Qt.Key.Key_Tab)
    assert focused() == "Test patch done on", "Tab leaves the answers rather than step through them"
    press(qtbot, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert focused() == "Skin type: I", "and comes back to the answer chosen"
    find(skin, QPushButton, "Save: Fitzpatrick skin type and test patch").setFocus()
    press(qtbot, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert focused() == "Test patch result: No reaction", "none chosen: the first answer"

    # Answers one under another: the same keys.
    medication = card(window, "Isotretinoin and cold sores")
    find(medication, QRadioButton, "Isotretinoin taken: Never").setFocus(Qt.FocusReason.TabFocusReason)
    press(qtbot, Qt.Key.Key_Down)
    assert find(medication, QRadioButton, "Isotretinoin taken: More than 6 months ago").isChecked()


def test_ctrl_j_brings_the_next_item_into_view_from_anywhere_and_saves_move_on(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    before = {k: v for k, v in SIGN_IN.items() if k not in ("contraindications", "photos")}
    session_id = opened(qtbot, window, desk, nurse, before)
    window.resize(1280, 641)
    page = window.checklist_page
    first_answer = "Pregnant or breastfeeding: No"
    assert focused() == first_answer
    sign_in = page.pages["sign_in"]
    qtbot.waitUntil(lambda: fully_visible(QApplication.focusWidget()), timeout=1000)
    # The nurse scrolls up, looks ahead at the laser, and leaves the keyboard on Back to board.
    sign_in.verticalScrollBar().setValue(0)
    assert not fully_visible(QApplication.focusWidget()), "the item to do is out of sight"
    qtbot.mouseClick(page.nav_buttons["laser"], Qt.MouseButton.LeftButton)
    assert not sign_in.isVisible()
    page.back_button.setFocus(Qt.FocusReason.MouseFocusReason)

    press(qtbot, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    assert sign_in.isVisible()
    assert focused() == first_answer
    qtbot.waitUntil(lambda: fully_visible(QApplication.focusWidget()), timeout=1000)

    # Eight questions: Space answers, Tab goes to the next question; Enter saves.
    for _ in range(8):
        press(qtbot, Qt.Key.Key_Space)
        press(qtbot, Qt.Key.Key_Tab)
    assert focused() == f"Save: {CONTRAINDICATIONS}"
    press(qtbot, Qt.Key.Key_Return)
    assert set(values(desk, session_id, "contraindications").values()) == {"No"}
    assert focused() == "Before-photos: Taken"
    qtbot.waitUntil(lambda: fully_visible(QApplication.focusWidget()), timeout=1000)
    clock.advance(seconds=2)  # the nurse checks the photos were taken
    press(qtbot, Qt.Key.Key_Space)
    press(qtbot, Qt.Key.Key_Return)
    assert ticked(desk, session_id)[-1] == "photos"
    assert focused() == "Product: LMX4 lidocaine 4% cream", "on to the next pause point"
    assert page.pages["anaesthetic"].isVisible()


def test_enter_in_a_note_writes_a_new_line_and_saves_no_item(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    session_id = opened(qtbot, window, desk, nurse)
    card(window, IDENTITY).note.setFocus(Qt.FocusReason.TabFocusReason)
    press(qtbot, Qt.Key.Key_Return)  # on the card's Note… button: that button, not Confirm
    dialog = open_dialog()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=1000)
    text = dialog.findChild(QPlainTextEdit)
    type_text(text, "Used the clinic number")
    press(qtbot, Qt.Key.Key_Return)
    type_text(text, "as the patient is hard of hearing")
    assert text.toPlainText() == "Used the clinic number\nas the patient is hard of hearing"
    assert dialog.isVisible()
    assert desk.sessions.session(session_id).events == desk.sessions.session(session_id).events[:1], (
        "nothing saved"
    )
    click(qtbot, dialog, "Cancel")


def at_time_out(qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff) -> int:
    """A session whose sign-in and anaesthetic are done and whose gel has worked, open at the
    time-out with the keyboard on 'Patient identity read back' and the team reading it back."""
    session_id = start_session(desk, nurse)
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    clock.advance(minutes=61)
    window.set_staff(nurse)
    settle(qtbot)
    activate(qtbot, window)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    assert focused() == f"Confirm: {READ_BACK}"
    clock.advance(seconds=5)
    return session_id


def test_two_quick_presses_of_space_do_not_confirm_the_hard_stop_after_the_item_they_confirmed(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    session_id = at_time_out(qtbot, window, desk, clock, nurse)
    press(qtbot, Qt.Key.Key_Space)
    assert ticked(desk, session_id)[-1] == "identity_read_back"
    assert focused() == f"Confirm: {GEL_REMOVED}", "the keyboard moves on to the next item"

    press(qtbot, Qt.Key.Key_Space)  # the same second: a double press
    press(qtbot, Qt.Key.Key_Return)
    clock.advance(seconds=2)
    held(Qt.Key.Key_Space, " ")  # nor a key held down, however long
    held(Qt.Key.Key_Return, "\r")
    gel = card(window, GEL_REMOVED)
    assert "gel_removed" not in ticked(desk, session_id)
    assert "Done" not in gel.status.text()
    assert "Key ignored: this item has only just come up" in gel.error.text()
    assert gel.error.isVisible()

    press(qtbot, Qt.Key.Key_Space)  # pressed again, on purpose
    assert ticked(desk, session_id)[-1] == "gel_removed"
    assert not gel.error.isVisible()


def test_a_click_confirms_a_hard_stop_at_once(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    session_id = at_time_out(qtbot, window, desk, clock, nurse)
    press(qtbot, Qt.Key.Key_Space)
    click(qtbot, card(window, GEL_REMOVED), f"Confirm: {GEL_REMOVED}")
    assert ticked(desk, session_id)[-2:] == ["identity_read_back", "gel_removed"]
    anaesthetic_toxicity: QWidget = QApplication.focusWidget()
    assert control_name(anaesthetic_toxicity) == "Numb lips or tongue: No"


def test_after_an_undo_by_keyboard_the_keyboard_is_on_the_item_to_do_again(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    """The Undo button goes with the tick it undid: the keyboard must not be left nowhere."""
    session_id = opened(qtbot, window, desk, nurse, {"identity": SIGN_IN["identity"]})
    card(window, IDENTITY).correct.setFocus(Qt.FocusReason.TabFocusReason)
    press(qtbot, Qt.Key.Key_Return)
    dialog = open_dialog()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=1000)
    type_text(dialog.findChild(QPlainTextEdit), "Ticked for the wrong patient")
    click(qtbot, dialog, "Undo")
    assert ticked(desk, session_id) == ["identity"]
    assert [e.kind for e in desk.sessions.session(session_id).events][-1] is EventKind.CORRECTION
    assert not dialog.isVisible()
    activate(qtbot, window)  # as the desktop gives the window back its keyboard
    assert focused() == "Second identifier checked: Date of birth"


def test_the_key_ignored_note_goes_when_the_keyboard_moves_on(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    session_id = at_time_out(qtbot, window, desk, clock, nurse)
    press(qtbot, Qt.Key.Key_Space)
    press(qtbot, Qt.Key.Key_Space)  # a double press: ignored, and said
    gel = card(window, GEL_REMOVED)
    assert gel.error.isVisible()
    press(qtbot, Qt.Key.Key_Tab)
    assert not gel.error.isVisible(), "a note about a key long past stays on screen"
    assert ticked(desk, session_id)[-1] == "identity_read_back"
