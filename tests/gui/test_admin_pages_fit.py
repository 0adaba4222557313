"""The administrators' pages on a small screen, by keyboard and by ear (issue 18): staff, laser devices
and the laser register work in 1280x380 px (the page scrolls, its footer stays in view, nothing is cut
off at 1280 wide), Tab follows the reading order, every shown word is heard, a save is said in green
and a refusal in red, and a locked screen leaves nothing of a patient on them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desk_app.app import load_style
from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.devices_page import LaserDevicesPage
from desk_app.ui.register_page import LaserRegisterPage
from desk_app.ui.staff_admin import StaffAdminPage
from desk_app.ui.tab_order import reading_order
from tests.gui.a11y import activate, control_name, fully_visible, heard, shrink_to, tab_walk, unheard
from tests.gui.alone import context_alone
from tests.gui.nurse import click, settle
from tests.support.laser_register import treated
from tests.support.lasers import laser_ready, register_test_laser

PATIENT = ("Zoë", "O'Brien")
CLINIC_NUMBER = "AZ-00012"
# A long name and marking: at 1280 px the list once scrolled sideways and showed "a SP Dynamis Er:YAG".
LONG_MODEL = "SP Dynamis Er:YAG"
LONG_MARKING = 'EN 207 "DIR LB6 2940 + D LB5 2940"'
PAGE_SIZE = (1280, 380)  # what a page is given on a small screen under the tool bar and four alerts


@pytest.fixture
def clinic(qapp: QApplication, desk: Desk, clock: ManualClock, nurse: Staff, admin: Staff) -> Desk:
    """Two lasers (one with a long name) and Zoë treated with the test laser today."""
    load_style(qapp)
    register_test_laser(desk, model=LONG_MODEL, serial_number="SPD-21-04817", eyewear_marking=LONG_MARKING)
    zoe = desk.patients.register_patient(*PATIENT, "1990-02-03", CLINIC_NUMBER, nurse.id)
    laser_ready(desk, nurse.id)
    treated(desk, clock, zoe.id, nurse)
    return desk


def staff_page(desk: Desk, admin: Staff) -> StaffAdminPage:
    context = context_alone(desk, admin)
    page = StaffAdminPage(context)
    context.worker.setParent(page)
    page.refresh()
    settle(None)
    return page


def devices_page(desk: Desk, admin: Staff) -> LaserDevicesPage:
    context = context_alone(desk, admin)
    page = LaserDevicesPage(context)
    context.worker.setParent(page)
    page.refresh()
    settle(None)
    return page


def register_page(desk: Desk, admin: Staff) -> LaserRegisterPage:
    context = context_alone(desk, admin)
    page = LaserRegisterPage(context)
    context.worker.setParent(page)
    page.open()
    settle(None)
    return page


PAGES: dict[str, Callable[[Desk, Staff], QWidget]] = {
    "staff": staff_page,
    "devices": devices_page,
    "register": register_page,
}
# Tab from the first control, in the order each page reads.
TAB_ORDER = {
    "staff": [
        "Members of staff",
        "New role",
        "Change role",
        "Make inactive / active",
        "Unlock account",
        "Set password and PIN…",
        "Change name…",
        "Renew the laser authorisation of Ann Nurse",
        "Withdraw the laser authorisation of Ann Nurse",
        "Full name",
    ],
    "devices": [
        "Laser devices",
        "Show retired devices",
        "Register a device…",
        "Change details…",
        "Retire…",
        "Back to board",
    ],
    "register": [
        "Device",
        "From",
        "To",
        "Show",
        "Laser exposures",
        "Save as CSV…",
        "Save as PDF…",
        "Back to board",
    ],
}


def shown_page(qtbot: QtBot, name: str, desk: Desk, admin: Staff) -> QWidget:
    page = PAGES[name](desk, admin)
    qtbot.addWidget(page)
    page.show()
    return page


@pytest.mark.parametrize("name", PAGES)
def test_each_admin_page_works_in_1280_by_380(qtbot: QtBot, clinic: Desk, admin: Staff, name: str) -> None:
    page = shown_page(qtbot, name, clinic, admin)
    shrink_to(page, PAGE_SIZE)
    buttons = [b for b in page.findChildren(QPushButton) if b.text() in ("Back to board", "Verify records")]
    assert buttons and all(fully_visible(button) for button in buttons), "the footer is off screen"
    for area in page.findChildren(QScrollArea):  # and once scrolled to the end of the page
        area.verticalScrollBar().setValue(area.verticalScrollBar().maximum())
    assert all(fully_visible(button) for button in buttons), "the footer scrolls away"
    for table in page.findChildren(QTableView):
        if name != "register":  # the register's thirteen columns scroll sideways, as a sheet does
            assert table.horizontalScrollBar().maximum() == 0, f"{table.accessibleName()} scrolls sideways"
    cut = [
        label.text()
        for label in page.findChildren(QLabel)
        if label.isVisible() and not label.wordWrap() and label.sizeHint().width() > label.width()
    ]
    cut += [
        button.text()
        for button in page.findChildren(QAbstractButton)
        if button.isVisible() and button.sizeHint().width() > button.width()
    ]
    assert not cut, f"cut off at 1280 px: {cut}"


def test_a_long_device_name_is_read_whole_in_the_list(qtbot: QtBot, clinic: Desk, admin: Staff) -> None:
    page = shown_page(qtbot, "devices", clinic, admin)
    shrink_to(page, PAGE_SIZE)
    table = page.table
    row = next(r for r in range(table.rowCount()) if LONG_MODEL in table.item(r, 0).text())
    assert table.horizontalScrollBar().maximum() == 0, "the list scrolls sideways: a name's start hides"
    for column in range(table.columnCount()):
        cell = table.visualRect(table.model().index(row, column))
        assert table.viewport().rect().contains(cell), f"{table.item(row, column).text()!r} is cut off"
    needed = table.sizeHintForIndex(table.model().index(row, 0)).height()
    assert table.rowHeight(row) >= needed  # wrapped onto lines, each shown


@pytest.mark.parametrize("name", PAGES)
def test_tab_follows_the_reading_order_of_each_admin_page(
    qtbot: QtBot, clinic: Desk, admin: Staff, name: str
) -> None:
    page = shown_page(qtbot, name, clinic, admin)
    activate(qtbot, page)
    first = next(w for w in reading_order(page) if control_name(w) == TAB_ORDER[name][0])
    walked = [control_name(widget) for widget in tab_walk(qtbot, first)]
    assert walked[: len(TAB_ORDER[name])] == TAB_ORDER[name]
    if name == "staff":  # then the form to add a member, and last the footer
        assert walked[-2:] == ["Back to board", "Verify records"]


@pytest.mark.parametrize("name", PAGES)
def test_every_word_on_each_admin_page_is_heard(qtbot: QtBot, clinic: Desk, admin: Staff, name: str) -> None:
    page = shown_page(qtbot, name, clinic, admin)
    if name == "devices":
        page.table.selectRow(0)  # its history is shown
    if name == "staff":
        click(qtbot, page, "Verify records")
        qtbot.waitUntil(lambda: page.verify_result.text().startswith("Audit trail"))
    assert unheard(page) == []


def test_a_saved_register_is_said_in_green_and_a_refusal_in_red(
    qtbot: QtBot, clinic: Desk, admin: Staff, tmp_path: Path
) -> None:
    page = shown_page(qtbot, "register", clinic, admin)
    page.save("pdf", str(tmp_path / "register.pdf"))
    qtbot.waitUntil(lambda: not page.export_job.running())  # written on a thread of its own
    assert page.message.text().startswith("Saved register.pdf (")
    assert page.message.property("tone") == "done"
    page.save("csv", str(tmp_path / "no such folder" / "register.csv"))
    qtbot.waitUntil(lambda: not page.export_job.running())
    assert page.message.text().startswith("Not saved")
    assert page.message.property("tone") == "error"


def test_a_staff_change_is_said_in_green_and_a_refusal_in_red(
    qtbot: QtBot, clinic: Desk, admin: Staff
) -> None:
    page = shown_page(qtbot, "staff", clinic, admin)
    click(qtbot, page, "Unlock account")  # nobody chosen
    assert page.message.property("tone") == "error"
    page.table.selectRow(1)
    click(qtbot, page, "Unlock account")
    assert page.message.text().endswith("may sign in again.")
    assert page.message.property("tone") == "done"


def everything_said(root: QWidget) -> str:
    """Every text, item and accessible name under `root`, shown or not."""
    said = [heard(root)]
    for widget in root.findChildren(QWidget):
        said.append(heard(widget))
        said.append(widget.toolTip())
        if isinstance(widget, QLabel | QAbstractButton):
            said.append(widget.text())
        if isinstance(widget, QTableView) and widget.model() is not None:
            model = widget.model()
            said += [
                str(model.index(row, column).data() or "")
                for row in range(model.rowCount())
                for column in range(model.columnCount())
            ]
    return "\n".join(said)


@pytest.mark.parametrize("name", PAGES)
def test_forget_leaves_nothing_of_a_patient_on_an_admin_page(
    qtbot: QtBot, clinic: Desk, admin: Staff, name: str
) -> None:
    if name == "devices":  # a laser retired after a burn: its history names the patient
        burnt = register_test_laser(clinic, serial_number="OLD-1")
        clinic.devices.retire_device(burnt, f"Burnt {' '.join(PATIENT)}'s cheek at 30 mJ", admin.id)
    page = shown_page(qtbot, name, clinic, admin)
    if name == "devices":
        page.show_retired.setChecked(True)
        settle(qtbot)
        page.table.selectRow(next(r for r, d in enumerate(page.shown) if d.retired))
        settle(qtbot)
    if name != "staff":
        assert CLINIC_NUMBER in everything_said(page) or " ".join(PATIENT) in everything_said(page)
    page.forget()
    said = everything_said(page)
    assert " ".join(PATIENT) not in said and CLINIC_NUMBER not in said
    assert all(table.model().rowCount() == 0 for table in page.findChildren(QTableView))
