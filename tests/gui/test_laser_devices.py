"""The Laser devices page as an administrator meets it (issue 15, point 1): register a laser, be told in
the dialog what is missing, change a detail and see it kept, retire a device and find it on request."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QPlainTextEdit, QPushButton, QTableWidget
from pytestqt.qtbot import QtBot

from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.main_window import MainWindow
from tests.gui.nurse import click, find, open_dialog, settle, type_into, type_text, visible_texts
from tests.gui.test_keyboard_and_names import TOUCH, unnamed_or_untabbable, visible_buttons
from tests.unit.test_devices import ERBIUM

DETAILS = {
    "Make": "Fotona",
    "Model": "SP Dynamis",
    "Serial number": "sp-12345",
    "Wavelengths (nm)": "2940, 1064",
    "Laser Protection Adviser (LPA)": "Dr Lisa Adviser",
    "Next service date": "01/06/2027",
}


def devices_page(qtbot: QtBot, window: MainWindow, admin: Staff) -> QTableWidget:
    window.set_staff(admin)
    settle(qtbot)
    window.devices_action.trigger()
    settle(qtbot)
    qtbot.wait(1)  # real sizes
    return find(window, QTableWidget, "Laser devices")


def usable_by_anyone(root: QDialog | MainWindow, where: str) -> list[str]:
    """Named, reachable by Tab, and buttons big enough to touch."""
    small = [f"{b.text()!r} is {b.height()} px high" for b in visible_buttons(root) if b.height() < TOUCH]
    return unnamed_or_untabbable(root, where) + small


def choose_row(qtbot: QtBot, table: QTableWidget, row: int) -> None:
    cell = table.visualRect(table.model().index(row, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    settle(qtbot)  # its history is read


def cells(table: QTableWidget) -> list[list[str]]:
    return [[table.item(row, column).text() for column in range(3)] for row in range(table.rowCount())]


def test_an_administrator_registers_a_laser_and_is_told_in_the_dialog_what_is_missing(
    qtbot: QtBot, window: MainWindow, desk: Desk, admin: Staff, nurse: Staff
) -> None:
    window.set_staff(nurse)
    settle(qtbot)
    assert not window.devices_action.isVisible(), "an administrator's page"
    table = devices_page(qtbot, window, admin)
    assert table.rowCount() == 0
    assert not usable_by_anyone(window, "laser devices")

    click(qtbot, window, "Register a device…")
    dialog = open_dialog()
    assert dialog.parent() is window.devices_page
    qtbot.wait(1)
    assert not usable_by_anyone(dialog, "register a laser device")
    for name, text in DETAILS.items():
        type_into(qtbot, dialog, name, text)
    find(dialog, QComboBox, "Laser class").setCurrentText("Class 4")
    click(qtbot, dialog, "Save")
    assert dialog.isVisible()
    needs = "Eyewear marking: a class 4 laser needs it, as the local rules give it"
    assert f'{needs} (for example EN 207 "D 2940 LB5").' in visible_texts(dialog)
    assert desk.devices.devices() == []

    type_into(qtbot, dialog, "Eyewear marking", "D 2940 LB5")
    click(qtbot, dialog, "Save")
    assert not dialog.isVisible()
    (device,) = desk.devices.devices()
    assert (device.serial_number, device.laser_class, device.eyewear_marking) == (
        "SP-12345",
        "4",
        "D 2940 LB5",
    )
    assert cells(table) == [["Fotona SP Dynamis\nSerial SP-12345", "1064, 2940 nm", "4"]]
    shown = visible_texts(window)
    assert "The Fotona SP Dynamis (serial SP-12345) is registered." in shown
    assert "Ada Admin registered the Fotona SP Dynamis (serial SP-12345)." in shown


def test_a_change_is_kept_and_a_retired_device_is_shown_only_on_request(
    qtbot: QtBot, window: MainWindow, desk: Desk, admin: Staff
) -> None:
    erbium = desk.devices.register_device(ERBIUM, admin.id)
    desk.devices.register_device(
        ERBIUM | {"make": "Lumenis", "model": "UltraPulse", "serial_number": "UP-1"}, admin.id
    )
    table = devices_page(qtbot, window, admin)
    assert [row[0] for row in cells(table)] == [
        "Fotona SP Dynamis\nSerial SP-12345",
        "Lumenis UltraPulse\nSerial UP-1",
    ]

    choose_row(qtbot, table, 0)
    click(qtbot, window, "Change details…")
    dialog = open_dialog()
    type_into(qtbot, dialog, "Next service date", "15/06/2027")
    click(qtbot, dialog, "Save")
    assert not dialog.isVisible()
    assert "changed Next service date: '1 June 2027' to '15 June 2027'" in visible_texts(window)
    assert [(c.old, c.new) for c in desk.devices.device_changes(erbium.id)] == [("2027-06-01", "2027-06-15")]

    click(qtbot, window, "Retire…")
    dialog = open_dialog()
    click(qtbot, dialog, "Retire")
    assert dialog.isVisible(), "retiring needs a reason"
    type_text(find(dialog, QPlainTextEdit, "Why it is retired"), "Replaced by the UltraPulse")
    click(qtbot, dialog, "Retire")
    assert not dialog.isVisible()
    assert [row[0] for row in cells(table)] == ["Lumenis UltraPulse\nSerial UP-1"]
    assert "Tick 'Show retired devices' to see it." in visible_texts(window)

    click(qtbot, window, "Show retired devices")
    assert table.rowCount() == 2 and table.item(1, table.columnCount() - 1).text() == "Retired"
    choose_row(qtbot, table, 1)
    assert "Ada Admin retired it: Replaced by the UltraPulse" in visible_texts(window)
    click(qtbot, window, "Change details…")
    assert not [w for w in window.findChildren(QDialog) if w.isVisible()]
    assert "is retired: a retired device cannot be changed." in visible_texts(window)
    assert find(window, QPushButton, "Back to board")
