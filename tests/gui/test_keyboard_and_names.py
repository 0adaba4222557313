"""Keyboard, screen readers and fingers: every control is named and reachable by Tab, a tick can be made
without a mouse, and buttons are big enough to touch (design brief §5)."""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QGroupBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QToolBar,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.session import EventKind
from desk_app.store.desk import Desk
from desk_app.store.models import PatientRow
from desk_app.ui.item_card import ItemCard
from desk_app.ui.main_window import MainWindow
from tests.gui.front_desk import start_session_for
from tests.gui.nurse import (
    card,
    click,
    described_text,
    find,
    open_dialog,
    pause_point_button,
    settle,
    type_text,
)
from tests.support.people import add_member, administrator
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, TIME_OUT, tick_all

INTERACTIVE = (QAbstractButton, QLineEdit, QPlainTextEdit, QComboBox, QAbstractItemView)
TOUCH = 44
IDENTITY = "Identity confirmed with two identifiers"


def _in_toolbar(widget: QWidget) -> bool:
    return isinstance(widget, QToolButton) and isinstance(widget.parentWidget(), QToolBar)


def _name(widget: QWidget) -> str:
    """What a screen reader says: the accessible name, else a button's own text. An edit's text is
    its content, not its name."""
    if widget.accessibleName().strip():
        return widget.accessibleName()
    if isinstance(widget, QAbstractButton):
        return widget.text().replace("&", "").strip()
    return ""


def _describe(widget: QWidget) -> str:
    """Enough to find the control: its class, text, name, and the checklist card it sits in."""
    text = widget.text() if isinstance(widget, QAbstractButton | QLineEdit) else ""
    where = ""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, ItemCard):
            where = f" in the card {parent.item.label!r}"
            break
        parent = parent.parentWidget()
    return f"{type(widget).__name__} text={text!r} name={widget.accessibleName()!r}{where}"


def _takes_tab(widget: QWidget) -> bool:
    """Tab comes to it; in an exclusive group of radio buttons Tab comes to one, arrows to the rest."""
    group = widget.group() if isinstance(widget, QAbstractButton) else None
    if group is not None and group.exclusive():
        return any(b.focusPolicy().value & Qt.FocusPolicy.TabFocus.value for b in group.buttons())
    return bool(widget.focusPolicy().value & Qt.FocusPolicy.TabFocus.value)


def unnamed_or_untabbable(root: QWidget, where: str) -> list[str]:
    """Every visible control a screen reader cannot name, or whose focus policy refuses Tab."""
    problems = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or not widget.isVisible():
            continue
        if _in_toolbar(widget):
            continue  # tool bar buttons take no focus in Qt; their actions have shortcuts (tested below)
        if isinstance(widget, QHeaderView):
            continue  # a table's column titles: read with the table, which takes the focus
        if not _name(widget):
            problems.append(f"{where}: {_describe(widget)} has no visible text or accessible name")
        if not _takes_tab(widget):
            problems.append(f"{where}: {_describe(widget)} has focus policy {widget.focusPolicy().name}")
    return problems


def visible_buttons(root: QWidget) -> Iterator[QAbstractButton]:
    return (b for b in root.findChildren(QAbstractButton) if b.isVisible())


def start_session(desk: Desk, staff: Staff, number: str = "AZ-00001") -> int:
    patient = desk.patients.register_patient(
        "Zoë", "O'Brien", "1990-02-03", number, staff.id, duplicate_confirmed=True
    )
    return desk.sessions.start_session(patient.id, staff.id).id


def each_pause_point_unlocked(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, staff: Staff
) -> Iterator[str]:
    """Walk a session through the store, showing each pause point when it is the one to do (so its
    fields and buttons are on screen and enabled). Yields the pause point's title."""
    session_id = start_session(desk, staff)
    window.set_staff(staff)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    steps = [
        ("Sign-in", {}),
        ("Anaesthetic", SIGN_IN),
        ("Wait", ANAESTHETIC),
        ("Time-out", None),  # the hour passes
        ("Laser", TIME_OUT),
        ("Sign-out", LASER),
    ]
    for title, items in steps:
        if items is None:
            clock.advance(minutes=60)
        else:
            tick_all(desk, session_id, items, staff.id)
        window.signals.session_changed.emit(session_id)  # as after any tick: the page refreshes
        settle(qtbot)  # the page reads the session again on the database worker
        qtbot.wait(1)  # let layouts settle so sizes are real
        shown = pause_point_button(window, title)
        assert shown.property("shown"), f"{title} is not on screen"
        # A button that opens its page: a check box would be read "checked" for the page shown.
        role = QAccessible.queryAccessibleInterface(shown).role()
        assert role is QAccessible.Role.Button, f"{title} is announced as {role.name}"
        assert shown.accessibleName().endswith(", shown"), "which page is below is heard too"
        yield title


# --- names and Tab -------------------------------------------------------------------------------


def test_every_control_is_named_and_reachable_by_tab(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock
) -> None:
    problems: list[str] = []
    assert window.stack.currentWidget() is window.first_admin_page
    problems += unnamed_or_untabbable(window, "first start")

    nurse = add_member(desk, "Ann Nurse", "AN", "nurse")
    add_member(desk, "Dr Clive Doctor", "CD", "clinician")
    window.show_sign_in()
    problems += unnamed_or_untabbable(window, "sign in")
    window.set_staff(administrator(desk))
    window.show_staff_admin()
    problems += unnamed_or_untabbable(window, "staff")

    # The board with a session card, a search result and the 'open the session in progress' offer.
    running = start_session(desk, nurse, "AZ-00009")
    window.set_staff(nurse)
    settle(qtbot)
    type_text(find(window, QLineEdit, "Search patients"), "AZ-00009")
    start_session_for(qtbot, window, "AZ-00009")
    assert find(window, QPushButton, "Open the session in progress")
    problems += unnamed_or_untabbable(window, "home")
    desk.sessions.abort(running, "Set up for the test", nurse.id)

    for title in each_pause_point_unlocked(qtbot, window, desk, clock, nurse):
        problems += unnamed_or_untabbable(window, f"checklist {title}")
        if title == "Wait":
            click(qtbot, window, "Override: Gel working")
            dialog = open_dialog()
            problems += unnamed_or_untabbable(dialog, "override dialog")
            click(qtbot, dialog, "Cancel")
    click(qtbot, window, "Note on session…")
    dialog = open_dialog()
    problems += unnamed_or_untabbable(dialog, "note dialog")
    click(qtbot, dialog, "Cancel")

    assert not problems, "controls a keyboard or screen-reader user cannot use:\n" + "\n".join(problems)


def test_toolbar_actions_have_names_and_shortcuts(window: MainWindow) -> None:
    """Tool bar buttons take no Tab focus in Qt, so each of their actions needs a key of its own."""
    (toolbar,) = window.findChildren(QToolBar)
    actions = [a for a in toolbar.actions() if a.text()]
    assert [a.text() for a in actions] == [
        "Board",
        "Patients",
        "Switch staff",
        "Lock",
        "Sign out",
    ]
    administration = window.admin_button.menu().actions()
    assert [a.text() for a in administration] == [
        "Staff",
        "Laser devices",
        "Laser register",
        "Clinic details",
    ]
    missing = [a.text() for a in [*actions, *administration] if a.shortcut().isEmpty()]
    assert not missing, f"tool bar actions without a keyboard shortcut: {missing}"
    assert all(a in window.actions() for a in administration), "their shortcuts work with the menu closed"


# --- keyboard only -------------------------------------------------------------------------------


def test_a_nurse_ticks_an_item_and_goes_back_to_the_board_with_the_keyboard_only(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    session_id = start_session(desk, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=1000)

    identity = card(window, IDENTITY)
    choice = find(identity, QRadioButton, "Second identifier checked: Date of birth")
    assert QApplication.focusWidget() is choice, "the session opens on the first item"
    clock.advance(seconds=2)  # the nurse asks the patient (a key sooner is ignored on a hard stop)
    qtbot.keyClick(choice, Qt.Key.Key_Space)
    assert choice.isChecked()

    confirm = find(identity, QPushButton, f"Confirm: {IDENTITY}")
    tabs = 0
    while QApplication.focusWidget() is not confirm and tabs < 5:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        tabs += 1
    assert QApplication.focusWidget() is confirm, (
        f"Tab from the answer did not reach Confirm; focus is on {_describe(QApplication.focusWidget())}"
    )
    qtbot.keyClick(confirm, Qt.Key.Key_Space)
    settle(qtbot)

    status = described_text(identity, f"Status of {IDENTITY}")
    assert status == "✓ Done 09:00 · AN"
    (tick,) = [e for e in desk.sessions.session(session_id).events if e.kind is not EventKind.COURSE]
    assert (tick.kind, tick.item_id, dict(tick.values)) == (
        EventKind.TICK,
        "identity",
        {"second_identifier": "Date of birth"},
    )

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    boards = [
        b for b in window.findChildren(QGroupBox) if b.isVisible() and b.title() == "Patients in progress"
    ]
    assert len(boards) == 1, "Ctrl+B did not bring back the board"
    assert any("Zoë O'Brien" in b.text() for b in visible_buttons(boards[0]))
    assert window.checklist_page.record is None


def test_a_note_is_written_and_saved_with_the_keyboard_only(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    session_id = start_session(desk, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=1000)

    note_button = find(window, QPushButton, f"Add note: {IDENTITY}")
    note_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(note_button, Qt.Key.Key_Space)
    dialog = open_dialog()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=1000)
    text = dialog.findChild(QPlainTextEdit)
    assert QApplication.focusWidget() is text, "the note dialog opens ready to type"
    type_text(text, "Used the clinic number")
    qtbot.keyClick(text, Qt.Key.Key_Tab)  # leaves the box rather than typing a tab
    assert text.toPlainText() == "Used the clinic number"
    ok = QApplication.focusWidget()
    assert isinstance(ok, QPushButton) and ok.text() == "Add note"
    qtbot.keyClick(ok, Qt.Key.Key_Space)
    settle(qtbot)  # saved on the database worker: the dialog closes once it has committed

    assert not dialog.isVisible()
    (note,) = [e for e in desk.sessions.session(session_id).events if e.kind is not EventKind.COURSE]
    assert (note.kind, note.item_id, note.text) == (EventKind.NOTE, "identity", "Used the clinic number")


def test_enter_in_the_last_field_registers_the_patient(
    qtbot: QtBot, window: MainWindow, nurse: Staff
) -> None:
    window.set_staff(nurse)
    settle(qtbot)
    for name, text in (
        ("First names", "Zoë"),
        ("Surname", "O'Brien"),
        ("Date of birth", "03/02/1990"),
        ("Clinic number", "AZ-00001"),
    ):
        type_text(find(window, QLineEdit, name), text)
    qtbot.keyClick(find(window, QLineEdit, "Clinic number"), Qt.Key.Key_Return)
    settle(qtbot)
    assert [row.clinic_number for row in PatientRow.select()] == ["AZ-00001"]
    results = find(window, QAbstractItemView, "Patients found")
    assert results.model().rowCount() == 1
    assert "Zoë O'Brien" in results.model().index(0, 0).data()


# --- touch targets -------------------------------------------------------------------------------


def test_every_checklist_button_is_big_enough_to_touch(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    small: list[str] = []
    for title in each_pause_point_unlocked(qtbot, window, desk, clock, nurse):
        page = window.checklist_page
        small += [
            f"{title}: {_describe(b)} is {b.height()} px high"
            for b in page.findChildren(QPushButton)
            if b.isVisible() and b.height() < TOUCH
        ]
    assert not small, f"buttons under {TOUCH} px:\n" + "\n".join(small)


def test_dialog_buttons_are_big_enough_to_touch(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    session_id = start_session(desk, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    click(qtbot, window, "Stop treatment…")
    dialog: QDialog = open_dialog()
    qtbot.wait(1)
    heights = {b.text(): b.height() for b in visible_buttons(dialog)}
    assert set(heights) == {"Stop treatment", "Cancel"}
    assert all(h >= TOUCH for h in heights.values()), heights


def test_answers_and_toolbar_buttons_are_big_enough_to_touch(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    small: set[str] = set()
    for title in each_pause_point_unlocked(qtbot, window, desk, clock, nurse):
        small |= {
            f"{title}: {_describe(b)} is {b.height()} px high"
            for b in visible_buttons(window)
            if isinstance(b, QRadioButton | QCheckBox | QToolButton) and b.height() < TOUCH
        }
    assert not small, f"touch targets under {TOUCH} px:\n" + "\n".join(sorted(small))
