"""The checklist by keyboard (issue 18, point 3): the session opens on the next item to do, Enter saves
the item it is pressed in, Ctrl+J jumps to the next item to do, arrows choose radio answers, and a
hard stop is never confirmed by the key press that confirmed the item before it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.session import EventKind
from desk_app.store.desk import Desk
from desk_app.ui.main_window import MainWindow
from tests.gui.a11y import activate, control_name
from tests.gui.nurse import card, find
from tests.gui.test_keyboard_and_names import start_session
from tests.support.walk import ANAESTHETIC, SIGN_IN, tick_all

READ_BACK = "Patient identity read back"
GEL_REMOVED = "Gel removed, skin cleansed and dry"


def ticked(desk: Desk, session_id: int) -> list[str]:
    """The items ticked, in order."""
    return [e.item_id for e in desk.session(session_id).events if e.kind is EventKind.TICK]


def focused() -> str:
    return control_name(QApplication.focusWidget())


def at_time_out(qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff) -> int:
    """A session whose sign-in and anaesthetic are done and whose gel has worked, shown and active."""
    session_id = start_session(desk, nurse)
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    clock.advance(minutes=61)
    window.set_staff(nurse)
    window.show_session(session_id)
    activate(qtbot, window)
    return session_id


def test_two_quick_presses_of_space_do_not_confirm_the_hard_stop_after_the_item_they_confirmed(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    session_id = at_time_out(qtbot, window, desk, clock, nurse)
    read_back = find(card(window, READ_BACK), QPushButton, f"Confirm: {READ_BACK}")
    read_back.setFocus(Qt.FocusReason.TabFocusReason)
    clock.advance(seconds=5)  # the team reads the name and date of birth back

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert ticked(desk, session_id)[-1] == "identity_read_back"
    assert focused() == f"Confirm: {GEL_REMOVED}", "the keyboard moves on to the next item"
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)  # the same second: a double press

    assert "gel_removed" not in ticked(desk, session_id)
    gel = card(window, GEL_REMOVED)
    assert "Done" not in gel.status.text()
