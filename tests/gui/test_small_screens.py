"""Every screen on a small clinic PC (issue 18, point 1): a 1366x768 screen at 100% and a 1920x1080
screen at 150% (1280x720 logical pixels), with four gel alerts due above the page. The window shrinks
to the space there is, a page's content scrolls inside it, and what stays put (the tool bar, the
alerts' Acknowledge, a page's footer buttons) is fully on screen, its text not cut off."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QLabel,
    QScrollArea,
    QToolBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desk_app.domain.alerts import AlertKind
from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.main_window import MainWindow
from tests.gui.a11y import SMALL_SCREENS, fully_visible, shrink_to
from tests.gui.nurse import settle, tick
from tests.support.people import add_member
from tests.support.walk import ANAESTHETIC, SIGN_IN, tick_all

# Long real-world names: what fits "Zoë O'Brien" may cut these off.
PATIENTS = [
    ("Anna-Katharina", "Featherstonehaugh-Wolstenholme", "AZ-01001"),
    ("Oluwaseun", "Adebayo-Richardson", "AZ-01002"),
    ("Siân", "Pritchard", "AZ-01003"),
    ("José María", "Núñez de Balboa", "AZ-01004"),
]


def in_scrolling_area(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def in_toolbar(widget: QWidget) -> bool:
    return isinstance(widget.parentWidget(), QToolBar)


def cut_off(widget: QWidget) -> bool:
    """A line of text narrower than it needs: a button, or a label that does not wrap."""
    if isinstance(widget, QLabel) and (widget.wordWrap() or not widget.text()):
        return False
    return widget.minimumSizeHint().width() > widget.width() and widget.sizeHint().width() > widget.width()


def problems_on_screen(window: MainWindow) -> list[str]:
    """Fixed controls off screen or cut off, and scrolling areas with no room to show anything."""
    problems = []
    if window.staff is not None and not fully_visible(window.staff_label):
        problems.append(f"who is at the desk is not on screen: {window.staff_label.text()!r}")
    page = window.stack.currentWidget()
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or in_toolbar(widget):
            continue
        named = f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r}"
        fixed = isinstance(widget, QAbstractButton) and not in_scrolling_area(widget)
        if fixed and not fully_visible(widget):
            problems.append(f"{named} is not fully on screen")
        if isinstance(widget, QAbstractButton | QLabel) and cut_off(widget):
            problems.append(
                f"{named} is cut off: {widget.width()} px wide, needs {widget.sizeHint().width()}"
            )
        if isinstance(widget, QScrollArea) and page.isAncestorOf(widget):
            if widget.horizontalScrollBar().isVisible():
                problems.append(f"{named} on {type(page).__name__} scrolls sideways")
            if widget.viewport().height() < 120:
                problems.append(
                    f"{named} on {type(page).__name__} has {widget.viewport().height()} px to show"
                )
    return problems


@pytest.fixture
def busy_clinic(desk: Desk, clock: ManualClock, nurse: Staff) -> list[int]:
    """Four patients with gel on: two to take off now, two ready; each alert due and not answered."""
    sessions = []
    for index, (given, family, number) in enumerate(PATIENTS):
        patient = desk.patients.register_patient(given, family, "1990-02-03", number, nurse.id)
        session_id = desk.sessions.start_session(patient.id, nurse.id).id
        tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
        sessions.append(session_id)
        if index == 1:
            clock.advance(minutes=30)
    clock.advance(minutes=65)
    for session_id in sessions[:2]:  # past the gel's maximum: their ready alerts were answered
        desk.sessions.acknowledge_alert(session_id, AlertKind.READY, nurse.id)
    return sessions


def _board(window: MainWindow, sessions: list[int]) -> None:
    window.show_home()


def _session(window: MainWindow, sessions: list[int]) -> None:
    window.show_session(sessions[0])
    settle(None)  # the session is read on the database worker


def _session_at_sign_in(window: MainWindow, sessions: list[int]) -> None:
    window.show_session(sessions[0])
    settle(None)  # the session is read on the database worker
    window.checklist_page.show_pause_point("sign_in")


def _patients(window: MainWindow, sessions: list[int]) -> None:
    window.show_patients()


def _patient(window: MainWindow, sessions: list[int]) -> None:
    window.show_patient(window.desk.sessions.session(sessions[0]).patient.id)


def _follow_up(window: MainWindow, sessions: list[int]) -> None:
    window.show_follow_up_calls()


def _staff(window: MainWindow, sessions: list[int]) -> None:
    window.show_staff_admin()


def _devices(window: MainWindow, sessions: list[int]) -> None:
    window.show_devices()


def _register(window: MainWindow, sessions: list[int]) -> None:
    window.show_register()


def _locked(window: MainWindow, sessions: list[int]) -> None:
    window.lock(idle=False)


PAGES: dict[str, Callable[[MainWindow, list[int]], None]] = {
    "board": _board,
    "session at the time-out": _session,
    "session at sign-in": _session_at_sign_in,
    "patients": _patients,
    "patient record": _patient,
    "follow-up calls": _follow_up,
    "staff": _staff,
    "laser devices": _devices,
    "laser register": _register,
    "lock screen": _locked,
}


@pytest.mark.parametrize("screen", list(SMALL_SCREENS))
def test_every_page_fits_a_small_screen_with_four_alerts(
    qtbot: QtBot, window: MainWindow, desk: Desk, busy_clinic: list[int], screen: str
) -> None:
    # A name as long as many: who is at the desk stays on screen beside the tool bar's buttons.
    window.set_staff(add_member(desk, "Dr Rhiannon Featherstone", "RF", "administrator"))
    tick(qtbot, window)
    assert len(window.alert_centre.due) == 4
    failures = {}
    for page, show in PAGES.items():
        show(window, busy_clinic)
        QApplication.processEvents()
        try:
            shrink_to(window, SMALL_SCREENS[screen])
        except AssertionError as too_big:
            failures[page] = [str(too_big)]
            continue
        if problems := problems_on_screen(window):
            failures[page] = problems
    assert not failures, "\n".join(f"{page}: {problems}" for page, problems in failures.items())
