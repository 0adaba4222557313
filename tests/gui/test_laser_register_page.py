"""The laser register page (issue 15): an administrator or an authorised laser operator chooses a
laser and days, sees the exposures and saves them as CSV or PDF (each audited with who saved it);
a nurse who is neither is not offered it, and the page refuses if reached."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox, QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.laser_register import zone_text
from desk_app.domain.people import Staff
from desk_app.reports.laser_register import CSV_ENCODING
from desk_app.store.desk import Desk
from desk_app.store.errors import StoreUnavailable
from desk_app.store.laser_register import EXPORTED
from desk_app.store.models import AuditLog
from desk_app.ui.main_window import MainWindow
from desk_app.ui.register_page import EDITED, NOT_ALLOWED, LaserRegisterPage
from tests.gui.nurse import click, find, settle, type_into
from tests.gui.test_database_worker import Stall, quickly
from tests.reports.pdf_text import pdf_pages
from tests.support.laser_register import SECOND_LASER_SERIAL, treated
from tests.support.lasers import laser_ready, register_test_laser
from tests.support.people import add_member, administrator

SECOND_NAME = f"Lumenis UltraPulse (serial {SECOND_LASER_SERIAL})"


def treat_two(desk: Desk, clock: ManualClock, nurse: Staff) -> None:
    """Ian treated 40 days ago with a second laser, since retired; Zoë today with the test laser."""
    today = clock.now()
    clock.set(today - timedelta(days=40))
    second = register_test_laser(desk, make="Lumenis", model="UltraPulse", serial_number=SECOND_LASER_SERIAL)
    ian = desk.patients.register_patient("Ian", "Rees", "1984-06-30", "AZ-00031", nurse.id)
    treated(desk, clock, ian.id, nurse, device_id=second)
    clock.set(today)
    desk.devices.retire_device(second, "Replaced by the new laser", administrator(desk).id)
    zoe = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00012", nurse.id)
    laser_ready(desk, nurse.id)
    treated(desk, clock, zoe.id, nurse)


def save_through_file_dialog(qtbot: QtBot, page: LaserRegisterPage, button: str, target: Path) -> None:
    click(qtbot, page, button)
    (chooser,) = [w for w in page.findChildren(QFileDialog) if w.isVisible()]
    assert chooser.acceptMode() is QFileDialog.AcceptMode.AcceptSave
    chooser.selectFile(str(target))
    chooser.accept()
    qtbot.waitUntil(lambda: not page.export_job.running())  # written on a thread of its own


def exported() -> list[tuple[dict, int | None]]:
    rows = AuditLog.select().where(AuditLog.action == EXPORTED).order_by(AuditLog.id)
    return [(json.loads(row.detail), row.staff_id) for row in rows]


def test_an_operator_chooses_a_laser_and_days_and_saves_the_register(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, tmp_path: Path
) -> None:
    treat_two(desk, clock, nurse)
    window.set_staff(nurse)  # an authorised laser operator, not an administrator
    settle(qtbot)  # whether she may read the register is read on the database worker
    assert window.admin_tool.isVisible() and window.register_action.isVisible()
    assert not window.devices_action.isVisible() and not window.staff_action.isVisible()
    window.register_action.trigger()
    settle(qtbot)
    page = window.register_page
    assert window.stack.currentWidget() is page

    # The last 30 days, every device: Ian's session 40 days ago is not in them.
    assert page.model.rowCount() == 2
    assert {page.model.exposures[row].clinic_number for row in range(2)} == {"AZ-00012"}
    combo = find(page, QComboBox, "Device")
    shown = [combo.itemText(i) for i in range(combo.count())]
    assert shown[0] == "All devices" and f"{SECOND_NAME} (retired)" in shown

    type_into(qtbot, page, "From", "01/10/2026")
    click(qtbot, page, "Show")
    assert page.model.rowCount() == 4
    second = combo.findText(f"{SECOND_NAME} (retired)")
    combo.setCurrentIndex(second)
    combo.activated.emit(second)  # as a click on the laser in the list does
    settle(qtbot)
    assert page.model.rowCount() == 2
    assert {row.clinic_number for row in page.model.exposures} == {"AZ-00031"}
    assert page.model.data(page.model.index(0, 3)) == "AZ-00031"
    assert page.summary.text().startswith(f"{SECOND_NAME}, 01/10/2026 to 25/11/2026: 2 exposures")

    target = tmp_path / "co2 register.csv"
    save_through_file_dialog(qtbot, page, "Save as CSV…", target)
    assert page.message.text() == "Saved co2 register.csv (2 exposures). The export is in the audit trail."
    with target.open(encoding=CSV_ENCODING, newline="") as file:
        assert [row["Clinic number"] for row in csv.DictReader(file)] == ["AZ-00031", "AZ-00031"]
    ((detail, staff_id),) = exported()
    assert staff_id == nurse.id and detail["device"] == SECOND_LASER_SERIAL and detail["format"] == "CSV"
    assert detail["from"] == "2026-10-01" and detail["printed_by"] == nurse.name

    pdf = tmp_path / "co2 register.pdf"
    save_through_file_dialog(qtbot, page, "Save as PDF…", pdf)
    assert page.message.text() == "Saved co2 register.pdf (1 page). The export is in the audit trail."
    (text,) = pdf_pages(pdf.read_bytes())
    assert "Laser treatment register" in text and f"Printed by {nurse.name} on " in text


def register_opened(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> LaserRegisterPage:
    """Two treated (treat_two), the register opened by the nurse, an authorised operator."""
    treat_two(desk, clock, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.register_action.trigger()
    settle(qtbot)
    return window.register_page


def test_a_file_that_exists_is_kept_unless_the_operator_says_replace(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, tmp_path: Path
) -> None:
    page = register_opened(qtbot, window, desk, clock, nurse)
    target = tmp_path / "register.csv"
    target.write_text("last month's register")

    page.save("csv", str(target))
    qtbot.waitUntil(lambda: not page.export_job.running())  # the target is checked on its thread
    (question,) = [w for w in page.findChildren(QMessageBox) if w.isVisible()]
    click(qtbot, question, "Keep the old file")
    assert target.read_text() == "last month's register" and exported() == []
    assert page.message.text() == "Not saved: register.csv was kept as it was."

    page.save("csv", str(target))
    qtbot.waitUntil(lambda: not page.export_job.running())  # the target is checked on its thread
    (question,) = [w for w in page.findChildren(QMessageBox) if w.isVisible()]
    click(qtbot, question, "Replace")
    qtbot.waitUntil(lambda: not page.export_job.running())  # written on a thread of its own
    assert target.read_text(encoding=CSV_ENCODING).startswith("Date,Time,Session,")
    assert len(exported()) == 1


def test_bad_days_are_said_and_nothing_is_listed(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, admin: Staff
) -> None:
    treat_two(desk, clock, nurse)
    window.set_staff(admin)
    settle(qtbot)
    window.register_action.trigger()
    settle(qtbot)
    page = window.register_page
    type_into(qtbot, page, "From", "30/11/2026")
    click(qtbot, page, "Show")
    assert "before it starts" in page.message.text()
    assert page.model.rowCount() == 0 and not page.csv_button.isEnabled()
    type_into(qtbot, page, "From", "31/02/2026")
    click(qtbot, page, "Show")
    assert page.message.text() == "From is not a real date (for example 31/01/2027)."


def test_a_nurse_who_is_not_a_laser_operator_is_not_offered_the_register(
    qtbot: QtBot, window: MainWindow, desk: Desk, admin: Staff
) -> None:
    trainee = add_member(desk, "Tess Trainee", "TT", "nurse", laser_operator=False)
    window.set_staff(trainee)
    settle(qtbot)
    assert not window.register_action.isVisible() and not window.admin_tool.isVisible()
    window.show_register()  # the shortcut, say: nothing opens
    assert window.stack.currentWidget() is not window.register_page

    page = LaserRegisterPage(replace(window.context, current_staff=lambda: trainee), window)  # all the same
    page.open()
    settle(qtbot)
    assert page.message.text() == NOT_ALLOWED
    assert page.model.rowCount() == 0 and not page.csv_button.isEnabled()


def test_days_typed_since_show_are_listed_before_anything_is_saved(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, tmp_path: Path
) -> None:
    page = register_opened(qtbot, window, desk, clock, nurse)
    assert page.model.rowCount() == 2 and f"Times in {zone_text(2026)}." in page.summary.text()

    type_into(qtbot, page, "From", "01/10/2026")  # Ian's session is in these days; Show not pressed
    assert not page.csv_button.isEnabled() and not page.pdf_button.isEnabled()
    target = tmp_path / "register.csv"
    page.save("csv", str(target))  # the dialog was open already, say
    assert page.message.text() == EDITED
    assert not target.exists() and exported() == []

    click(qtbot, page, "Show")
    assert page.csv_button.isEnabled() and page.model.rowCount() == 4
    page.save("csv", str(target))
    qtbot.waitUntil(lambda: not page.export_job.running())  # written on a thread of its own
    with target.open(encoding=CSV_ENCODING, newline="") as file:
        assert len(list(csv.DictReader(file))) == 4


def test_a_year_far_away_is_refused_in_words(
    qtbot: QtBot, window: MainWindow, desk: Desk, admin: Staff
) -> None:
    window.set_staff(admin)
    settle(qtbot)
    window.register_action.trigger()
    settle(qtbot)
    page = window.register_page
    for from_text, to_text in (("31/12/9999", "31/12/9999"), ("01/01/0001", "02/01/0001")):
        type_into(qtbot, page, "From", from_text)
        type_into(qtbot, page, "To", to_text)
        click(qtbot, page, "Show")
        assert "The register covers the years 2000 to 2100" in page.message.text()
        assert page.model.rowCount() == 0 and not page.csv_button.isEnabled()


def test_an_administrator_keeps_the_register_when_the_read_at_sign_in_fails(
    qtbot, window: MainWindow, desk: Desk, admin: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(_staff_id: int) -> bool:
        raise StoreUnavailable("The database is busy.")

    monkeypatch.setattr(desk.laser_register, "may_read_register", busy)
    window.set_staff(admin)
    settle(qtbot)
    assert window.register_action.isVisible() and window.admin_tool.isVisible()


def test_a_register_is_written_while_the_windows_database_worker_is_held(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, tmp_path: Path
) -> None:
    """A year of a busy laser is 500 pages: made on a thread of its own, the window waits for nothing."""
    page = register_opened(qtbot, window, desk, clock, nurse)
    stalled = Stall(window.worker)
    quickly(lambda: page.save("pdf", str(tmp_path / "register.pdf")))
    qtbot.waitUntil(lambda: not page.export_job.running())
    assert page.message.text().startswith("Saved register.pdf (")
    stalled.resume()
