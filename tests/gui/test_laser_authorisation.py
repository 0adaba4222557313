"""Laser authorisation as an administrator meets it on the Staff page, the line that says nobody holds
it, who may do what, and the clinic's countersignature setting (issue 14)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QGroupBox,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.store.models import AuditLog
from desk_app.ui.main_window import NO_LASER_OPERATOR, MainWindow
from tests.gui.nurse import click, find, open_dialog, settle, type_into, type_text, visible_texts
from tests.gui.test_keyboard_and_names import TOUCH, unnamed_or_untabbable, visible_buttons
from tests.support.people import add_member, authorise_laser_operator

GRANT = "Grant the laser authorisation of Rhiannon Hughes"
NOT_AUTHORISED = "Not an authorised laser operator"


def staff_page_as(qtbot, window: MainWindow, admin: Staff) -> None:
    window.set_staff(admin)
    settle(qtbot)
    window.staff_action.trigger()
    settle(qtbot)


def lines(root: QWidget) -> list[str]:
    return visible_texts(root).splitlines()


def usable_by_anyone(dialog: QDialog) -> list[str]:
    """Named, reachable by Tab, and buttons big enough to touch."""
    small = [f"{b.text()!r} is {b.height()} px high" for b in visible_buttons(dialog) if b.height() < TOUCH]
    return unnamed_or_untabbable(dialog, dialog.windowTitle()) + small


def grant(qtbot: QtBot, window: MainWindow, trained: str, until: str) -> QDialog:
    click(qtbot, window, GRANT)
    dialog = open_dialog()
    type_into(qtbot, dialog, "Date trained", trained)
    type_into(qtbot, dialog, "Authorised until", until)
    click(qtbot, dialog, "Save")
    return dialog


def test_an_administrator_grants_laser_authorisation_and_the_staff_page_says_so(
    qtbot: QtBot, window: MainWindow, desk: Desk, admin: Staff
) -> None:
    rhiannon = add_member(desk, "Rhiannon Hughes", "RH", "nurse", laser_operator=False)
    staff_page_as(qtbot, window, admin)
    assert NOT_AUTHORISED in lines(window)
    assert NO_LASER_OPERATOR in lines(window), "nobody holds it: the administrator is told to grant it"

    # From the keyboard: Tab from the last button above reaches Grant, and Space opens the dialog.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=1000)
    find(window, QPushButton, "Change name…").setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is find(window, QPushButton, GRANT)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    dialog = open_dialog()
    assert dialog.parent() is window.staff_admin_page
    qtbot.wait(1)  # real sizes
    assert not usable_by_anyone(dialog)
    dialog.reject()

    dialog = grant(qtbot, window, "03/11/2026", "2/11/2027")
    assert not dialog.isVisible()
    shown = "Authorised laser operator: trained 3 November 2026, until 2 November 2027 (granted by Ada Admin)"
    assert shown in lines(window)
    assert "Rhiannon Hughes is an authorised laser operator until 2 November 2027." in lines(window)
    held = desk.operators.laser_authorisation(rhiannon.id)
    assert held is not None and (held.trained_on, held.expires_on) == (date(2026, 11, 3), date(2027, 11, 2))
    assert NO_LASER_OPERATOR not in lines(window), "the line goes once someone holds it"
    assert find(window, QPushButton, "Withdraw the laser authorisation of Rhiannon Hughes")


def test_a_refused_grant_says_why_in_the_dialog_and_changes_nothing(
    qtbot: QtBot, window: MainWindow, desk: Desk, admin: Staff
) -> None:
    rhiannon = add_member(desk, "Rhiannon Hughes", "RH", "nurse", laser_operator=False)
    staff_page_as(qtbot, window, admin)
    dialog = grant(qtbot, window, "03/11/2026", "31/02/2027")
    assert "Authorised until is not a real date (for example 31/01/2027)." in lines(dialog)

    type_into(qtbot, dialog, "Authorised until", "24/11/2026")  # yesterday
    click(qtbot, dialog, "Save")
    assert dialog.isVisible()
    assert "The expiry date has passed already: the training must be renewed first." in lines(dialog)
    assert desk.operators.laser_authorisation(rhiannon.id) is None
    assert NOT_AUTHORISED in lines(window)
    assert "laser authorisation granted" not in [row.action for row in AuditLog.select()]


def test_an_administrator_withdraws_laser_authorisation_with_a_reason(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, admin: Staff
) -> None:
    staff_page_as(qtbot, window, admin)
    click(qtbot, window, "Withdraw the laser authorisation of Ann Nurse")
    dialog = open_dialog()
    qtbot.wait(1)
    assert not usable_by_anyone(dialog)
    click(qtbot, dialog, "Withdraw")
    assert dialog.isVisible(), "a withdrawal needs a reason"
    assert desk.operators.laser_authorisation(nurse.id) is not None

    type_text(find(dialog, QPlainTextEdit, "Why it is withdrawn"), "Has not renewed the laser safety course")
    click(qtbot, dialog, "Withdraw")
    assert not dialog.isVisible()
    assert desk.operators.laser_authorisation(nurse.id) is None
    assert NOT_AUTHORISED in lines(window)
    assert "Ann Nurse is no longer an authorised laser operator." in lines(window)
    withdrawn = AuditLog.get(AuditLog.action == "laser authorisation withdrawn")
    assert "Has not renewed the laser safety course" in withdrawn.detail and withdrawn.staff_id == admin.id
    assert NO_LASER_OPERATOR in lines(window), "she was the only one"


def test_an_expired_authorisation_reads_as_expired_and_the_administrator_is_told_at_sign_in(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, admin: Staff
) -> None:
    staff_page_as(qtbot, window, admin)
    assert NO_LASER_OPERATOR not in lines(window)
    clock.advance(days=366)  # authorised until 25 November 2027, a year from the tests' first day
    window.sign_out_action.trigger()
    staff_page_as(qtbot, window, admin)
    assert "Laser authorisation expired on 25 November 2027" in lines(window)
    assert find(window, QPushButton, "Renew the laser authorisation of Ann Nurse")
    assert NO_LASER_OPERATOR in lines(window)
    window.set_staff(nurse)
    settle(qtbot)
    assert NO_LASER_OPERATOR not in lines(window), "an administrator's to do"
    window.set_staff(admin)
    settle(qtbot)
    assert NO_LASER_OPERATOR in lines(window)

    authorise_laser_operator(desk, nurse)  # at another desk, whose write this desk then notices
    window.signals.changed_elsewhere.emit()
    settle(qtbot)  # the page reads the session again on the database worker
    assert NO_LASER_OPERATOR not in lines(window)


def test_the_staff_page_says_who_may_do_what(qtbot, window: MainWindow, admin: Staff) -> None:
    staff_page_as(qtbot, window, admin)
    titles = {box.title() for box in window.findChildren(QGroupBox) if box.isVisible()}
    assert {"Who may do what", "Administrator or receptionist", "Nurse", "Clinician"} <= titles
    shown = lines(window)
    assert "• tick any clinical item: screening answers, gel, time-out, laser passes, sign-out" in shown
    assert "• override a soft stop, with PIN and reason" in shown


def test_the_countersignature_setting_is_saved_with_the_clinic_details(
    qtbot: QtBot, window: MainWindow, desk: Desk, admin: Staff
) -> None:
    window.set_staff(admin)
    settle(qtbot)
    window.clinic_action.trigger()
    settle(qtbot)
    dialog = open_dialog()
    box = find(dialog, QCheckBox, "A clinician countersigns each record")
    assert not box.isChecked()
    click(qtbot, dialog, "A clinician countersigns each record")
    click(qtbot, dialog, "Save")
    assert not dialog.isVisible()
    assert desk.clinic.clinic_details().countersignature_required

    window.clinic_action.trigger()
    settle(qtbot)
    assert find(open_dialog(), QCheckBox, "A clinician countersigns each record").isChecked()
