"""The locked screen leaks no patient's full name, to the eye or the accessibility bus, and the
sign-in page reads as it looks: the names first, heard as radio buttons (issue 18)."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QAccessibleInterface
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QDialog,
    QLabel,
    QLineEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.refusals import PinChangeNeeded
from desk_app.store.desk import Desk
from desk_app.ui.db_worker import DatabaseWorker
from desk_app.ui.main_window import MainWindow
from desk_app.ui.pin_change import NewPinDialog
from desk_app.ui.staff_pages import FirstAdministratorPage, SignInMode, SignInPage
from tests.gui.a11y import activate, control_name, fully_visible, heard, tab_walk, unheard
from tests.gui.nurse import settle, staff_choice, tick
from tests.gui.test_frame_and_alerts import PATIENTS, four_alerts
from tests.support.people import add_member

FULL_NAMES = [f"{given} {family}" for given, family, _ in PATIENTS]
FAMILY_NAMES = [family for _, family, _ in PATIENTS]


def _texts_of(widget: QWidget) -> list[str]:
    """What a widget holds in words, shown or not: its text, names, tip, title, and a list's rows."""
    texts = [widget.accessibleName(), widget.accessibleDescription(), widget.toolTip(), widget.windowTitle()]
    if isinstance(widget, QLabel | QAbstractButton | QLineEdit):
        texts.append(widget.text())
    if isinstance(widget, QAbstractItemView) and widget.model() is not None:
        model = widget.model()
        for row in range(model.rowCount()):
            column = 0
            while (cell := model.index(row, column)).isValid():
                texts.append(str(cell.data() or ""))
                column += 1
    return texts


def _accessible_texts(interface: QAccessibleInterface, depth: int = 0) -> list[str]:
    """Name, value and description of every node of the accessible tree under `interface`."""
    kinds = (QAccessible.Text.Name, QAccessible.Text.Value, QAccessible.Text.Description)
    texts = [interface.text(kind) for kind in kinds]
    if depth < 40:
        for index in range(interface.childCount()):
            child = interface.child(index)
            if child is not None and child.isValid():
                texts += _accessible_texts(child, depth + 1)
    return texts


def leaks(window: MainWindow) -> list[str]:
    """Where a patient's full name (or family name) can still be read in the window."""
    found = []
    for widget in [window, *window.findChildren(QWidget)]:
        for text in _texts_of(widget):
            if any(name in text for name in FAMILY_NAMES):
                owner = widget.parentWidget()
                while owner is not None and owner.parentWidget() is not window.stack:
                    owner = owner.parentWidget()
                where = type(owner).__name__ if owner is not None else "the frame"
                found.append(f"{where}: {type(widget).__name__} {text!r}")
    for text in _accessible_texts(QAccessible.queryAccessibleInterface(window)):
        if any(name in text for name in FAMILY_NAMES):
            found.append(f"accessibility bus: {text!r}")
    return found


def test_the_locked_window_names_no_patient_in_any_widget_or_on_the_accessibility_bus(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    sessions = four_alerts(qtbot, window, desk, nurse, clock)
    window.show_patients()
    window.show_patient(desk.sessions.session(sessions[0]).patient.id)
    window.show_follow_up_calls()
    window.show_session(sessions[1])
    settle(qtbot)  # the session is read on the database worker
    window.show_home()
    assert leaks(window), "the names are on screen before the lock"

    window.lock(idle=False)
    QApplication.processEvents()

    assert window.locked
    assert unheard(window.sign_in_page) == [] and unheard(window.banner) == []
    assert leaks(window) == []
    board = window.sign_in_page.locked_board
    assert "Zoë O. · " in board.text() and heard(board).startswith(board.text()), "the list is heard"
    assert [alert.text().split(":")[0] for alert in window.banner.findChildren(QLabel, "alertText")] == [
        "Zoë O.",
        "Siân P.",
        "Callum M.",
        "Ada L.",
    ]


def test_switch_staff_hands_the_desk_over_acting_for_nobody_and_leaving_no_record_behind(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    """Between Switch staff and the next PIN, the nurse who stepped away is not at the desk: the
    acknowledge key or an alert's button must not answer an alert in her name, and the pages behind
    the sign-in page keep no patient's name."""
    sessions = four_alerts(qtbot, window, desk, nurse, clock)
    window.show_patient(desk.sessions.session(sessions[0]).patient.id)
    window.show_home()
    activate(qtbot, window)
    qtbot.keyClick(
        window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    QApplication.processEvents()
    assert window.stack.currentWidget() is window.sign_in_page

    events_before = [len(desk.sessions.session(s).events) for s in sessions]
    keys = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_K, keys)
    window.acknowledge_top_alert()
    assert [len(desk.sessions.session(s).events) for s in sessions] == events_before, (
        "acknowledged for nobody"
    )
    assert window.banner.findChildren(QAbstractButton) == [] or not any(
        b.isVisible() for b in window.banner.findChildren(QAbstractButton)
    ), "no Acknowledge while nobody is at the desk"
    assert leaks(window) == []
    assert window.staff_label.text() == "Switching staff"


def test_while_switching_the_administrators_keys_act_for_nobody_and_the_idle_lock_waits(
    qtbot: QtBot, window: MainWindow, admin: Staff, clock: ManualClock
) -> None:
    """An administrator hands the desk over: her Staff page, Clinic details and register keys must
    not open in her name for whoever is next, nor the idle lock record a lock of hers."""
    window.set_staff(admin)
    settle(qtbot)
    window.show_switch()
    activate(qtbot, window)
    for key in (Qt.Key.Key_A, Qt.Key.Key_D, Qt.Key.Key_R):
        keys = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        qtbot.keyClick(QApplication.focusWidget() or window, key, keys)
    assert window.stack.currentWidget() is window.sign_in_page
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    assert not window.admin_tool.isVisible()

    window.idle.idle_for = lambda: timedelta(hours=1)
    tick(qtbot, window)
    assert not window.locked, "nobody is at the desk to lock out"


def test_ctrl_l_locks_from_the_f1_sheet(qtbot: QtBot, window: MainWindow, nurse: Staff) -> None:
    """The F1 sheet is a window of its own, without the main window's keys."""
    window.set_staff(nurse)
    settle(qtbot)
    activate(qtbot, window)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_F1)
    sheet = window.help_sheet
    qtbot.waitUntil(sheet.isActiveWindow, timeout=1000)
    qtbot.keyClick(QApplication.focusWidget() or sheet, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.locked


def test_ctrl_l_locks_from_inside_a_dialog_and_the_dialog_goes(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    """A modal dialog blocks the window's shortcuts: the lock key must work there too (found over
    AT-SPI: with a note being written, Ctrl+L did nothing and the names stayed on screen)."""
    sessions = four_alerts(qtbot, window, desk, nurse, clock)
    window.show_session(sessions[0])
    settle(qtbot)  # the session is read on the database worker
    activate(qtbot, window)
    note = next(b for b in window.checklist_page.footer_buttons if b.text().startswith("Note on session"))
    qtbot.mouseClick(note, Qt.MouseButton.LeftButton)
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible())
    qtbot.waitUntil(dialog.isActiveWindow, timeout=1000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    QApplication.processEvents()
    assert window.locked
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    assert leaks(window) == []


def test_at_the_desk_is_heard_as_it_reads(qtbot, window: MainWindow, nurse: Staff) -> None:
    window.set_staff(nurse)
    settle(qtbot)
    assert heard(window.staff_label) == "At the desk: Ann Nurse (AN)"


def test_sign_in_names_come_first_as_radio_buttons_and_arrows_choose(
    qtbot: QtBot, window: MainWindow, nurse: Staff, clinician: Staff
) -> None:
    window.show_sign_in()
    settle(qtbot)
    activate(qtbot, window)
    ada = staff_choice(window, "Ada Admin")  # the administrator every window's desk has, first
    ann, clive = staff_choice(window, "Ann Nurse"), staff_choice(window, "Dr Clive Doctor")
    assert QApplication.focusWidget() is ada, "the page opens on who you are"
    for name in (ann, clive):
        assert QAccessible.queryAccessibleInterface(name).role() == QAccessible.Role.RadioButton

    assert [control_name(w) for w in tab_walk(qtbot, ann)] == [
        "Ann Nurse (AN) · nurse",
        "Password",
        "Sign in",
    ]

    ann.setFocus()
    qtbot.keyClick(ann, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is clive and clive.isChecked() and not ann.isChecked()
    assert window.sign_in_page.chosen_id() == clinician.id


def test_the_lock_screen_tabs_from_your_name_to_your_pin(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clinician: Staff
) -> None:
    window.set_staff(nurse)
    settle(qtbot)
    window.lock(idle=False)
    activate(qtbot, window)
    ann = staff_choice(window, "Ann Nurse")
    assert ann.isChecked() and QApplication.focusWidget() is window.sign_in_page.secret

    walked = [control_name(w) for w in tab_walk(qtbot, ann)]
    assert walked == ["Ann Nurse (AN) · nurse", "PIN", "Sign in", "Use my password instead"]


def test_tab_comes_round_to_the_name_chosen_not_the_first_listed(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clinician: Staff
) -> None:
    """Found over AT-SPI: from 'Use my password instead', Tab went to the first name listed, not to
    the one chosen; the names are one Tab stop, at the name chosen (arrows move among them)."""
    window.set_staff(clinician)
    settle(qtbot)
    window.lock(idle=False)
    activate(qtbot, window)
    doctor = staff_choice(window, "Dr Clive Doctor")
    assert doctor.isChecked() and window.sign_in_page.staff_buttons[0] is not doctor
    walked = [control_name(w) for w in tab_walk(qtbot, window.sign_in_page.password_button)]
    assert walked == ["Use my password instead", "Dr Clive Doctor (CD) · clinician", "PIN", "Sign in"]


def test_the_lock_screen_keeps_the_pin_and_sign_in_on_a_small_page_whatever_the_staff(
    qtbot: QtBot, desk: Desk, nurse: Staff
) -> None:
    """The page gets 1280x380 under four alert lines on a 1280x641 window; a clinic of 12 staff."""
    last = [add_member(desk, f"Nurse {letter}ee", f"N{letter}", "nurse") for letter in "BCDEFGHIJKL"][-1]
    worker = DatabaseWorker(desk.db, desk.clock)  # a page alone: no window to own one
    page = SignInPage(desk, worker)
    worker.setParent(page)
    qtbot.addWidget(page)
    page.resize(1280, 380)
    page.show()
    page.locked_board.setText("\n".join(f"Patient {n}. · Gel working: 38:12 left · AN" for n in range(4)))
    page.open(SignInMode.LOCKED, last)
    settle(qtbot)
    QApplication.processEvents()

    for control in (page.secret, page.sign_in_button, page.password_button):
        assert fully_visible(control), control_name(control)
    assert fully_visible(staff_choice(page, "Nurse Lee")), "the locked desk's nurse is chosen, in view"
    assert page.minimumSizeHint().height() <= 380


def test_the_first_administrator_and_new_pin_forms_tab_in_reading_order(
    qtbot: QtBot, desk: Desk, nurse: Staff
) -> None:
    worker = DatabaseWorker(desk.db, desk.clock)  # a page alone: no window to own one
    first = FirstAdministratorPage(desk, worker)
    worker.setParent(first)
    qtbot.addWidget(first)
    first.show()
    activate(qtbot, first)
    assert [control_name(w) for w in tab_walk(qtbot, first.form.name)] == [
        "Full name",
        "Initials",
        "Password",
        "Password again",
        "PIN",
        "Create administrator",
    ]

    dialog = NewPinDialog(first, desk, worker, PinChangeNeeded(nurse, 4), "2468", lambda _pin: None)
    dialog.open()
    activate(qtbot, dialog)
    walked = [control_name(w) for w in tab_walk(qtbot, dialog.pin)]
    assert walked[:2] == ["New PIN", "New PIN again"] and "Save the new PIN" in walked[2:]
    dialog.reject()


def test_a_member_added_at_another_desk_appears_and_the_keyboard_stays_on_its_name(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    window.show_sign_in()
    settle(qtbot)
    activate(qtbot, window)
    staff_choice(window, "Ann Nurse").setFocus(Qt.FocusReason.TabFocusReason)
    add_member(desk, "Beth Nurse", "BN", "nurse")  # at another desk
    window.sign_in_page.read_staff()  # as at the next sign-in, or the screen opened again
    settle(qtbot)
    assert staff_choice(window, "Beth Nurse").isVisible()
    assert QApplication.focusWidget() is staff_choice(window, "Ann Nurse"), "the keyboard lost its place"
