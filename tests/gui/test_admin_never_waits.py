"""The administrator's pages, Clinic details and signing in never wait on the database (issue 20):
what they read and save goes through the database worker; a stalled server holds up only the
control that asked, which says so ("Saving…", "Signing in…", "Reading…") until the answer."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton, QTableWidget
from pytestqt.qtbot import QtBot

from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.main_window import MainWindow
from desk_app.ui.staff_admin import READING
from tests.gui.nurse import choose_staff, find, open_dialog, settle, type_text, visible_texts
from tests.gui.test_database_worker import Stall, quickly
from tests.support.people import PASSWORD


def press(qtbot: QtBot, button: QPushButton) -> None:
    """The nurse presses it and does not wait for the answer: the window must answer at once."""
    quickly(lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton))


def test_the_staff_page_reads_and_saves_on_the_worker_saying_so_meanwhile(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, admin: Staff
) -> None:
    window.set_staff(admin)
    settle(qtbot)
    stalled = Stall(window.worker)
    quickly(window.staff_action.trigger)
    assert READING in visible_texts(window)
    stalled.resume()
    settle(qtbot)
    table = find(window, QTableWidget, "Members of staff")
    names = [table.item(row, 0).text() for row in range(table.rowCount())]
    assert "Ann Nurse" in names and READING not in visible_texts(window)

    table.selectRow(names.index("Ann Nurse"))
    stalled = Stall(window.worker)
    press(qtbot, find(window, QPushButton, "Make inactive / active"))
    assert not find(window, QPushButton, "Saving…").isEnabled()
    assert nurse in desk.accounts.list_staff(), "not saved before the database answers"
    stalled.resume()
    settle(qtbot)
    assert "Ann Nurse is inactive: they can no longer sign in." in visible_texts(window)
    assert find(window, QPushButton, "Make inactive / active").isEnabled()
    assert nurse not in desk.accounts.list_staff()


def test_clinic_details_are_read_before_the_dialog_opens_and_saved_without_the_window_waiting(
    qtbot: QtBot, window: MainWindow, desk: Desk, admin: Staff
) -> None:
    window.set_staff(admin)
    settle(qtbot)
    stalled = Stall(window.worker)
    quickly(window.clinic_action.trigger)
    quickly(window.clinic_action.trigger)  # pressed again while reading: still one dialog
    stalled.resume()
    settle(qtbot)
    dialog = open_dialog()

    name = find(dialog, QLineEdit, "Clinic name")
    name.clear()
    type_text(name, "Azure Skin Clinic")
    stalled = Stall(window.worker)
    press(qtbot, find(dialog, QPushButton, "Save"))
    assert not find(dialog, QPushButton, "Saving…").isEnabled() and dialog.isVisible()
    quickly(window.tick)  # the window goes on meanwhile
    stalled.resume()
    settle(qtbot)
    assert not dialog.isVisible()
    assert desk.clinic.clinic_details().name == "Azure Skin Clinic"


def test_sign_in_says_signing_in_until_the_database_answers(
    qtbot: QtBot, window: MainWindow, nurse: Staff
) -> None:
    window.show_sign_in()
    choose_staff(qtbot, window, "Ann Nurse")
    type_text(find(window, QLineEdit, "Password"), PASSWORD)
    stalled = Stall(window.worker)
    press(qtbot, find(window, QPushButton, "Sign in"))
    assert not find(window, QPushButton, "Signing in…").isEnabled()
    assert window.staff is None
    stalled.resume()
    settle(qtbot)
    assert window.staff == nurse


def test_a_staff_list_asked_before_the_screen_locked_is_not_shown_after_it(
    qtbot: QtBot, window: MainWindow, admin: Staff
) -> None:
    window.set_staff(admin)
    settle(qtbot)
    stalled = Stall(window.worker)
    quickly(window.staff_action.trigger)
    quickly(lambda: window.lock(idle=False))
    stalled.resume()
    settle(qtbot)
    assert window.staff_admin_page.table.rowCount() == 0, "the locked desk lists the staff"
