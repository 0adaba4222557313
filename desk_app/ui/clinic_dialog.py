"""The clinic's details for printed pages: name, address, the patients' contact line, paper size."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QSpinBox,
    QWidget,
)

from desk_app.domain.clinic import IDLE_LOCK_MINUTES, LABELS, PaperSize, checked_clinic_details
from desk_app.domain.errors import DomainError
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.form_dialog import FormDialog

UNUSED_ON_A_SERVER = "Not used: the server keeps them"


class ClinicDetailsDialog(FormDialog):
    """Edit the details every desk prints; each change is kept with who made it and when."""

    def __init__(self, parent: QWidget, desk: Desk, staff: Staff) -> None:
        super().__init__(
            parent,
            "Clinic details",
            "Printed at the top of every record and sheet. The contact line is on the patient's "
            "aftercare sheet: who to call with a worry after treatment.",
        )
        self.desk, self.staff = desk, staff
        details = desk.clinic_details()
        self.name = self.line(LABELS["name"], details.name)
        self.address = self.line(LABELS["address"], details.address)
        self.contact_line = self.line(LABELS["contact_line"], details.contact_line)
        self.contact_line.setPlaceholderText("For example: Questions or worries? Call 020 7946 0000")
        self.paper = QComboBox(self)
        self.paper.setAccessibleName(LABELS["paper"])
        self.paper.addItems([size.value for size in PaperSize])
        self.paper.setCurrentText(details.paper.value)
        self.form.addRow(LABELS["paper"], self.paper)
        self.idle_minutes = QSpinBox(self)
        self.idle_minutes.setRange(*IDLE_LOCK_MINUTES)
        self.idle_minutes.setValue(details.idle_lock_minutes)
        self.idle_minutes.setAccessibleName(LABELS["idle_lock_minutes"])
        self.form.addRow(LABELS["idle_lock_minutes"], self.idle_minutes)
        self.backup_folder = self.line(LABELS["backup_folder"], details.backup_folder)
        self.backup_folder.setPlaceholderText("For example a USB disk: /media/clinic/backups")
        if not desk.keeps_its_own_backups():
            # Offered but unused, a manager would believe the app made backups that nobody makes.
            self.backup_folder.setEnabled(False)
            self.backup_folder.setPlaceholderText(UNUSED_ON_A_SERVER)
            self.backup_folder.setToolTip(UNUSED_ON_A_SERVER)

    def save(self) -> str | None:
        try:
            details = checked_clinic_details(
                self.name.text(),
                self.address.text(),
                self.contact_line.text(),
                self.paper.currentText(),
                self.idle_minutes.value(),
                self.backup_folder.text(),
            )
            folder = details.backup_folder if self.backup_folder.isEnabled() else ""
            if folder and not Path(folder).expanduser().is_dir():
                return f"The backup folder {details.backup_folder} does not exist (is the disk plugged in?)."
            self.desk.update_clinic_details(details, self.staff.id)
        except DomainError as error:
            return str(error)
        return None
