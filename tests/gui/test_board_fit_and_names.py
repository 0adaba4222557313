"""Issue 18 on the board, the patients list, a patient's page and the follow-up calls: nobody chosen
for the nurse, a session started only once its patient is confirmed, each page usable on a small
screen, Tab in reading order, every word heard, times over an hour in words, and nothing of a
patient left behind once the screen locks (forget)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.store.models import SessionRow
from desk_app.ui.home_page import CONFIRM_START
from desk_app.ui.main_window import MainWindow
from tests.gui.a11y import activate, control_name, fully_visible, heard, tab_walk, unheard
from tests.gui.front_desk import choose_patient
from tests.gui.nurse import click, find, open_dialog, settle, type_text
from tests.support.lasers import register_test_laser
from tests.support.walk import ANAESTHETIC, SIGN_IN, TIME_OUT, signed_out_session, tick_all

CALLUM = "Callum McKenzie"  # treated two days ago, now in the laser room with the clinician
LASER_NAME = "Fotona SP Dynamis Er:YAG (serial SP-TEST-2)"
MCKENZIE = "McKenzie"  # how the patients list shows him (a column for each name) and the others too
SMALL_PAGE = (1280, 380)  # what a page is given on the smallest screen with four alerts


@dataclass
class Clinic:
    """A morning at the clinic: a patient in each phase on the board, one with a history and a
    follow-up call due."""

    callum_id: int
    in_room_id: int


def _patient(desk: Desk, staff: Staff, number: int, given: str, family: str) -> int:
    return desk.patients.register_patient(given, family, "1990-02-03", f"AZ-{number:05d}", staff.id).id


def _gel_on(desk: Desk, staff: Staff, patient_id: int) -> int:
    session_id = desk.sessions.start_session(patient_id, staff.id).id
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, staff.id)
    return session_id


@pytest.fixture
def clinic(desk: Desk, nurse: Staff, clinician: Staff, clock: ManualClock) -> Clinic:
    callum = _patient(desk, nurse, 1, "Callum", "McKenzie")
    signed_out_session(desk, clock, callum, nurse)
    clock.advance(days=2)  # his follow-up call is due today
    t0 = clock.now()
    in_room = _gel_on(desk, nurse, callum)
    clock.set(t0 + timedelta(minutes=10))
    _gel_on(desk, nurse, _patient(desk, nurse, 2, "Siân", "Pritchard"))  # on for 90 min at 100
    clock.set(t0 + timedelta(minutes=30))
    _gel_on(desk, nurse, _patient(desk, nurse, 3, "José", "Nuñez"))  # ready
    clock.set(t0 + timedelta(minutes=62))
    tick_all(desk, in_room, TIME_OUT, nurse.id)  # in the laser room from 62 min
    desk.sessions.take_over(in_room, clinician.id)
    clock.set(t0 + timedelta(minutes=80))
    _gel_on(desk, nurse, _patient(desk, nurse, 4, "Zoë", "O'Brien"))  # gel working, 40:00 left
    clock.set(t0 + timedelta(minutes=100))
    desk.sessions.start_session(_patient(desk, nurse, 5, "Chloé", "Dubois"), nurse.id)  # just arrived
    # A second laser, not checked today: a line above the board, with its check to do.
    register_test_laser(desk, model="SP Dynamis Er:YAG", serial_number="SP-TEST-2")
    return Clinic(callum, in_room)


# How a page is opened from the window, as main_window does when a nurse asks for it.
PAGES: dict[str, Callable[[MainWindow, Clinic], QWidget]] = {
    "board": lambda window, _clinic: (window.show_home(), window.home_page)[1],
    "patients": lambda window, _clinic: (window.show_patients(), window.patients_page)[1],
    "patient": lambda window, clinic: (window.show_patient(clinic.callum_id), window.patient_page)[1],
    "follow-up calls": lambda window, _clinic: (window.show_follow_up_calls(), window.follow_up_page)[1],
}
# The buttons and fields that must stay in view on each page however small the screen.
ALWAYS_IN_VIEW = {
    "board": ["Search patients", "Start session", "Patient record"],
    "patients": ["Search all patients", "Open patient"],
    "patient": ["Back to patients", "Print history…"],
    "follow-up calls": ["Record call…", "Back to board"],
}


def opened(qtbot, window: MainWindow, clinic: Clinic, nurse: Staff, page: str) -> QWidget:
    window.set_staff(nurse)
    settle(qtbot)
    shown = PAGES[page](window, clinic)
    settle(qtbot)  # what the page asked of the database worker, shown
    QApplication.processEvents()
    return shown


def everything_said(root: QWidget) -> str:
    """Every text under `root` a person or an accessibility client can read: shown text, accessible
    names and descriptions, fields, tool tips, and every cell of every list and table."""
    parts: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        parts += [heard(widget), widget.accessibleName(), widget.accessibleDescription(), widget.toolTip()]
        if isinstance(widget, QLabel | QAbstractButton | QLineEdit):
            parts.append(widget.text())
        if isinstance(widget, QPlainTextEdit):
            parts.append(widget.toPlainText())
        if isinstance(widget, QListWidget):
            items = [widget.item(row) for row in range(widget.count())]
            parts += [item.data(Qt.ItemDataRole.AccessibleTextRole) or item.text() for item in items]
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            for row in range(model.rowCount(QModelIndex())):
                for column in range(model.columnCount(QModelIndex())):
                    index = model.index(row, column)
                    for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                        parts.append(str(index.data(role) or ""))
    return "\n".join(parts)


def cut_off(root: QWidget) -> list[str]:
    """Every visible label or button under `root` whose words do not fit it (a label that does not
    wrap, or a button, narrower than its text needs; a label that wraps, less high than its lines),
    and every visible horizontal scroll bar."""
    problems = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel) and widget.text():
            if widget.wordWrap():
                needs, has = widget.heightForWidth(widget.width()), widget.height()
            else:
                needs, has = widget.sizeHint().width(), widget.width()
            if needs > has:
                problems.append(f"label {widget.text()!r}: {has} px for {needs}")
        elif isinstance(widget, QPushButton) and widget.text():
            if widget.sizeHint().width() > widget.width():
                problems.append(
                    f"button {widget.text()!r}: {widget.width()} px for {widget.sizeHint().width()}"
                )
        elif isinstance(widget, QScrollArea | QAbstractItemView) and widget.horizontalScrollBar().isVisible():
            problems.append(f"{control_name(widget)} scrolls sideways")
    return problems


# --- 4. nobody chosen; a session starts once its patient is confirmed ------------------------------


def test_no_patient_is_chosen_and_a_session_starts_only_once_the_nurse_confirms_who(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    _patient(desk, nurse, 1, "Callum", "McKenzie")
    _patient(desk, nurse, 2, "Siân", "Pritchard")
    window.set_staff(nurse)
    settle(qtbot)
    activate(qtbot, window)
    results = find(window, QListWidget, "Patients found")
    start = find(window, QPushButton, "Start session")
    assert results.count() == 2
    assert results.selectedItems() == []
    assert not start.isEnabled()
    assert not find(window, QPushButton, "Patient record").isEnabled()
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Space):  # no key press starts anything
        qtbot.keyClick(start, key)
    assert SessionRow.select().count() == 0

    # By keyboard: type the clinic number, Down to the list (the nurse's own choice), Enter to the
    # Start button, Enter to press it: the confirmation says who, and Enter there cancels.
    type_text(find(window, QLineEdit, "Search patients"), "AZ-00002")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down)
    settle(qtbot)  # Down goes to the list once its patients are there
    assert [item.text() for item in results.selectedItems()] == ["Siân Pritchard\nborn 03/02/1990 · AZ-00002"]
    assert start.isEnabled()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert QApplication.focusWidget() is start
    qtbot.keyClick(start, Qt.Key.Key_Return)
    settle(qtbot)  # the patient is read as stored now
    dialog = open_dialog()
    assert isinstance(dialog, QMessageBox)
    assert dialog.text() == (
        "Start a session for this patient?\n\nSiân Pritchard\nBorn 03/02/1990\nClinic number AZ-00002"
    )
    assert unheard(dialog) == []
    assert dialog.defaultButton().text() == "Cancel"
    assert dialog.escapeButton() is dialog.defaultButton()
    qtbot.keyClick(dialog.defaultButton(), Qt.Key.Key_Return)
    assert not dialog.isVisible()
    assert SessionRow.select().count() == 0
    assert window.stack.currentWidget() is window.home_page

    qtbot.keyClick(start, Qt.Key.Key_Space)
    settle(qtbot)
    click(qtbot, open_dialog(), CONFIRM_START)
    assert window.stack.currentWidget() is window.checklist_page
    (session,) = SessionRow.select()
    assert session.patient.clinic_number == "AZ-00002"


def test_the_confirmation_shows_the_patient_as_stored_now_not_as_found(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    """Another desk corrects the date of birth after this desk's search: the nurse confirms the
    patient against what is on record, not against the list's old line."""
    patient_id = _patient(desk, nurse, 2, "Siân", "Pritchard")
    window.set_staff(nurse)
    settle(qtbot)
    results = find(window, QListWidget, "Patients found")
    results.setCurrentRow(0)
    desk.patients.update_patient(
        patient_id, {"date_of_birth": "1990-03-02"}, nurse.id
    )  # as from another desk
    click(qtbot, window, "Start session")
    assert "Born 02/03/1990" in open_dialog().text()


# --- 1, 5, 6. each page on a small screen; every word heard; durations in words ------------------


def test_each_page_fits_a_small_screen_and_every_word_is_heard(
    qtbot: QtBot, window: MainWindow, clinic: Clinic, nurse: Staff
) -> None:
    """Each page in turn (one clinic for all four: it is the costly part of the test)."""
    for page in PAGES:
        shown = opened(qtbot, window, clinic, nurse, page)
        assert unheard(shown) == [], page

        # The page alone at the size it is given on the smallest screen with four alerts.
        window.stack.removeWidget(shown)
        shown.setParent(None)
        qtbot.addWidget(shown)
        shown.resize(*SMALL_PAGE)
        shown.show()
        QApplication.processEvents()
        assert (shown.width(), shown.height()) == SMALL_PAGE, (page, shown.minimumSizeHint())
        for name in ALWAYS_IN_VIEW[page]:
            control = [w for w in shown.findChildren(QWidget) if control_name(w) == name]
            assert len(control) == 1 and fully_visible(control[0]), f"{page}: {name!r} is not in view"
        assert cut_off(shown) == [], page


def test_the_board_says_times_in_words_and_each_phase_in_words(
    qtbot, window: MainWindow, clinic: Clinic, nurse: Staff
) -> None:
    board = opened(qtbot, window, clinic, nurse, "board")
    cards = [b.accessibleName() for b in board.findChildren(QPushButton) if b.objectName() == "sessionCard"]
    wheres = sorted(card.split(", ")[1] for card in cards)
    assert wheres == [
        "Gel working: 40:00 left",  # a running countdown stays a clock
        "In the laser room for 38 min",
        "Ready for the laser room · remove gel by 12:01",
        "Remove the gel now: on for 1 h 30 min",
        "Sign-in and gel",
    ]
    # Each card's words are its text: what its colour says, a screen reader hears.
    assert [
        b.text().replace("\n", ", ")
        for b in board.findChildren(QPushButton)
        if b.objectName() == "sessionCard"
    ] == cards


# --- 2. Tab in reading order ---------------------------------------------------------------------


def walk_in(qtbot: QtBot, page: QWidget, start: QWidget) -> list[QWidget]:
    """The controls Tab visits on `page` from `start`, until it leaves the page for the window's."""
    walked = tab_walk(qtbot, start)
    inside = [page.isAncestorOf(widget) for widget in walked]
    return walked[: inside.index(False)] if False in inside else walked


def card_or_control(widget: QWidget) -> str:
    """A board card by its patient's name; any other control by its name."""
    name = control_name(widget)
    return name.split(" · ")[0] if widget.objectName() == "sessionCard" else name


def test_tab_goes_through_the_board_in_reading_order(
    qtbot: QtBot, window: MainWindow, clinic: Clinic, nurse: Staff
) -> None:
    board = opened(qtbot, window, clinic, nurse, "board")
    activate(qtbot, window)
    check = find(board, QPushButton, f"Do the pre-use check: {LASER_NAME}")
    walked = [card_or_control(w) for w in walk_in(qtbot, board, check)]
    assert walked == [
        f"Do the pre-use check: {LASER_NAME}",  # the line above the board
        "Siân Pritchard",  # remove the gel now: first
        "José Nuñez",
        "Zoë O'Brien",
        "Chloé Dubois",
        CALLUM,
        f"Take over: {CALLUM}",  # the clinician has him: the nurse may take over
        "Search patients",
        "Patients found",  # Start session and Patient record wait for a patient to be chosen
        "Follow-up calls",
        "First names",
        "Surname",
        "Date of birth",
        "Clinic number",
        "Register patient",
    ]


def test_tab_goes_through_a_patient_page_in_reading_order(
    qtbot: QtBot, window: MainWindow, clinic: Clinic, nurse: Staff
) -> None:
    page = opened(qtbot, window, clinic, nurse, "patient")
    activate(qtbot, window)
    table = find(page, QAbstractItemView, "Sessions of this patient")
    walked = [control_name(w) for w in walk_in(qtbot, page, table)]
    fields = [editor.accessibleName() for editor in window.patient_page.editors.values()]
    assert walked == [
        "Sessions of this patient",
        "Open session",
        "Report a complication…",
        *fields,
        "Save changes",
        "Archive patient",
        "Show photos",  # the photos, then the consents, below the two columns
        "Read and sign the consent…",
        "Back to patients",
        "Print history…",
    ]


@pytest.mark.parametrize(
    ("page", "start", "order"),
    [
        # Open patient waits for a patient to be chosen in the list.
        ("patients", "Search all patients", ["Include archived patients", "Patients"]),
        ("follow-up calls", "Follow-up calls due", ["Record call…", "Back to board"]),
    ],
)
def test_tab_goes_through_the_lists_in_reading_order(
    qtbot: QtBot, window: MainWindow, clinic: Clinic, nurse: Staff, page: str, start: str, order: list[str]
) -> None:
    shown = opened(qtbot, window, clinic, nurse, page)
    activate(qtbot, window)
    first = next(w for w in shown.findChildren(QWidget) if w.accessibleName() == start)
    assert [control_name(w) for w in walk_in(qtbot, shown, first)] == [start, *order]


def test_a_saved_registration_says_so_in_green_not_as_an_error(
    qtbot: QtBot, window: MainWindow, clinic: Clinic, nurse: Staff
) -> None:
    page = opened(qtbot, window, clinic, nurse, "patient")
    phone = find(page, QLineEdit, "Phone")
    phone.clear()
    type_text(phone, "07700 900123")
    click(qtbot, page, "Save changes")
    saved = find(page, QLabel, "Saved.")
    assert saved.property("tone") == "done"


# --- 7. the locked screen ------------------------------------------------------------------------


def test_forget_leaves_no_patient_name_on_the_page_and_opening_it_shows_them_again(
    qtbot: QtBot, window: MainWindow, clinic: Clinic, nurse: Staff
) -> None:
    """Each page in turn, as the lock forgets them all."""
    for page in PAGES:
        shown = opened(qtbot, window, clinic, nurse, page)
        # Just before the lock: a search typed, and a dialog that names the patient left open.
        if page == "board":
            type_text(find(shown, QLineEdit, "Search patients"), "McK")
            choose_patient(qtbot, shown, CALLUM)
            click(qtbot, shown, "Start session")
        elif page == "patients":
            type_text(find(shown, QLineEdit, "Search all patients"), "McK")
        elif page == "patient":
            find(shown, QAbstractItemView, "Sessions of this patient").selectRow(1)  # the one signed out
            click(qtbot, shown, "Report a complication…")
        else:
            click(qtbot, shown, "Record call…")
        if page != "patients":
            assert MCKENZIE in open_dialog().findChild(QLabel).text() or MCKENZIE in everything_said(
                open_dialog()
            )
        assert MCKENZIE in everything_said(shown)

        shown.forget()
        assert MCKENZIE not in everything_said(shown)

        assert PAGES[page](window, clinic) is shown
        settle(qtbot)
        QApplication.processEvents()
        assert MCKENZIE in everything_said(shown)
