"""Where the keyboard is, a nurse sees (issue 18, point 2): every control that takes Tab, on the
pages a nurse uses most, shows a ring about 3 px wide in a colour that stands out from the control
when it has the focus, and none without it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.main_window import MainWindow
from tests.gui.a11y import activate, control_name
from tests.gui.nurse import settle
from tests.gui.test_keyboard_and_names import start_session
from tests.support.walk import SIGN_IN, tick_all

RINGS = (QColor("#0b0c0c"), QColor("#ffdd00"))  # near-black; yellow on the dark buttons and tool bar
FOCUSABLE = (QAbstractButton, QLineEdit, QPlainTextEdit, QComboBox, QAbstractItemView)


def _is_ring(colour: QColor) -> bool:
    return any(
        abs(colour.red() - ring.red()) + abs(colour.green() - ring.green()) + abs(colour.blue() - ring.blue())
        < 60
        for ring in RINGS
    )


def ring_share(image: QImage) -> float:
    """How much of the line 1 px inside the control's edge is in a ring colour (corners rounded off
    by a border radius count against it, so a full ring is a little under 1)."""
    width, height = image.width(), image.height()
    edge = [(x, y) for x in range(width) for y in (1, height - 2)]
    edge += [(x, y) for y in range(height) for x in (1, width - 2)]
    return sum(_is_ring(image.pixelColor(x, y)) for x, y in edge) / len(edge)


def controls_taking_tab(page: QWidget) -> list[QWidget]:
    """One control of each kind and style (class and object name) that Tab reaches on the page: the
    ring comes from the style sheet, so the twentieth Confirm button shows what the first shows."""
    kinds: dict[tuple[str, str], QWidget] = {}
    for widget in page.findChildren(QWidget):
        if (
            isinstance(widget, FOCUSABLE)
            and widget.isVisible()
            and widget.isEnabled()
            and widget.focusPolicy().value & Qt.FocusPolicy.TabFocus.value
            and widget.width() > 8
        ):
            kinds.setdefault((type(widget).__name__, widget.objectName()), widget)
    return list(kinds.values())


def unringed(window: MainWindow) -> list[str]:
    """Each control of the page shown whose focus is not seen: no ring with the focus, or one without."""
    problems = []
    controls = controls_taking_tab(window.stack.currentWidget())
    assert controls, "no control to look at"
    for control in controls:
        window.setFocus(Qt.FocusReason.OtherFocusReason)
        QApplication.processEvents()
        without = ring_share(control.grab().toImage())
        control.setFocus(Qt.FocusReason.TabFocusReason)
        QApplication.processEvents()
        with_focus = ring_share(control.grab().toImage())
        if with_focus < 0.75 or without > 0.3:
            problems.append(
                f"{control_name(control)} ({type(control).__name__}): {without:.0%} -> {with_focus:.0%}"
            )
    return problems


PAGES = ["board", "session at sign-in", "session at the anaesthetic", "patients", "patient record", "sign-in"]


@pytest.mark.parametrize("page", PAGES)
def test_every_control_shows_a_ring_where_the_keyboard_is(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, page: str
) -> None:
    session_id = start_session(desk, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    activate(qtbot, window)
    if page.startswith("session"):
        if page.endswith("anaesthetic"):
            tick_all(desk, session_id, SIGN_IN, nurse.id)
        window.show_session(session_id)
        settle(qtbot)  # the session is read on the database worker
    elif page == "patients":
        window.show_patients()
    elif page == "patient record":
        window.show_patient(desk.sessions.session(session_id).patient.id)
    elif page == "sign-in":
        window.sign_out()
    assert unringed(window) == []
