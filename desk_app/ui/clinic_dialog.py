"""Clinic details: name, address, the patients' contact and out-of-hours lines and paper size for
printed pages, the screen lock, backups and countersignatures; where the records are."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QSpinBox,
    QWidget,
)

from desk_app.domain.clinic import (
    IDLE_LOCK_MINUTES,
    LABELS,
    ClinicDetails,
    PaperSize,
    checked_clinic_details,
)
from desk_app.domain.errors import DomainError
from desk_app.domain.integrity import DatabaseLink
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.context import DeskContext
from desk_app.ui.form_dialog import FormDialog
from desk_app.ui.saving import Answer, Saving
from desk_app.ui.widgets import message_label

UNUSED_ON_A_SERVER = "Not used: the server keeps them"
DATABASE_LABEL = "Database"
DATABASE_NAME = "Where the records are"


def link_text(link: DatabaseLink) -> str:
    """Where the records are and whether anyone on the network could read them on the way."""
    if not link.on_a_server:
        return f"A file on this PC: {link.where}"
    if link.encrypted:
        return f"On the server {link.where}. The connection is encrypted ({link.how})."
    if link.stays_on_this_pc:
        return (
            f"On the server {link.where}, on this PC: not encrypted, and the connection never leaves this PC."
        )
    return (
        f"On the server {link.where}. The connection is NOT encrypted: others on the network could "
        "read the records. Ask whoever looks after the server to turn on encryption (TLS)."
    )


@dataclass(frozen=True)
class ClinicSettings:
    """What the dialog shows, read on the database worker before it opens."""

    details: ClinicDetails
    keeps_its_own_backups: bool  # a file on this PC (a server keeps its own)
    this_pc_backup_folder: Path | None
    link: DatabaseLink | str  # where the records are, or why that could not be told


def read_clinic_settings(desk: Desk) -> ClinicSettings:
    try:
        link: DatabaseLink | str = desk.database.database_link()
    except DomainError as error:
        link = str(error)
    return ClinicSettings(
        desk.clinic.clinic_details(),
        desk.database.keeps_its_own_backups(),
        desk.this_pc_backup_folder,
        link,
    )


class ClinicDetailsDialog(FormDialog):
    """Edit the details every desk prints; each change is kept with who made it and when."""

    def __init__(self, parent: QWidget, context: DeskContext, staff: Staff, settings: ClinicSettings) -> None:
        super().__init__(
            parent,
            "Clinic details",
            "Printed at the top of every record and sheet. The contact and out-of-hours lines are on "
            "the patient's aftercare sheet, which is not printed without them: who to call with a "
            "worry after treatment, in opening hours and out of them.",
        )
        self.context, self.staff = context, staff
        details = settings.details
        self.name = self.line(LABELS["name"], details.name)
        self.address = self.line(LABELS["address"], details.address)
        self.contact_line = self.line(LABELS["contact_line"], details.contact_line)
        self.contact_line.setPlaceholderText("For example: Questions or worries? Call 020 7946 0000")
        self.out_of_hours_line = self.line(LABELS["out_of_hours_line"], details.out_of_hours_line)
        self.out_of_hours_line.setPlaceholderText(
            "For example: When we are closed, call NHS 111, or 999 in an emergency"
        )
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
        self.countersignature = QCheckBox(LABELS["countersignature_required"], self)
        self.countersignature.setChecked(details.countersignature_required)
        # As wide as its words: a click beside them, on an empty stretch of the row, would do nothing.
        self.countersignature.setMaximumWidth(self.countersignature.sizeHint().width())
        self.form.addRow(self.countersignature)
        countersigning = QLabel("At sign-out, a clinician signs the record too, with their PIN.", self)
        countersigning.setWordWrap(True)
        self.form.addRow(countersigning)
        self.backup_folder = self.line(LABELS["backup_folder"], details.backup_folder)
        self.backup_folder.setPlaceholderText("For example a USB disk: /media/clinic/backups")
        if not settings.keeps_its_own_backups:
            # Offered but unused, a manager would believe the app made backups that nobody makes.
            self.backup_folder.setEnabled(False)
            self.backup_folder.setPlaceholderText(UNUSED_ON_A_SERVER)
            self.backup_folder.setToolTip(UNUSED_ON_A_SERVER)
        elif settings.this_pc_backup_folder is not None:
            # Else a manager would look for this PC's backups where they are not.
            this_pc = QLabel(
                f"This PC keeps its backups in {settings.this_pc_backup_folder} instead (its own setting: "
                "desk-app config).",
                self,
            )
            this_pc.setWordWrap(True)
            self.form.addRow(this_pc)
        self.database = message_label(self, "databaseLink")
        self.database.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.database.setMinimumWidth(380)  # as wide as the fields above, not a word a line
        link = settings.link
        if isinstance(link, str):
            self.database.setText(link)
        else:
            self.database.setText(link_text(link))
            exposed = link.on_a_server and not (link.encrypted or link.stays_on_this_pc)
            self.database.setProperty("exposed", exposed)  # in red (desk.qss)
            self.database.style().unpolish(self.database)  # polished already, when it was measured
            self.database.style().polish(self.database)
        # A screen reader hears the words themselves, not only what the line is about.
        self.database.setAccessibleName(f"{DATABASE_NAME}: {self.database.text()}")
        self.form.addRow(DATABASE_LABEL, self.database)

    def save(self) -> Answer:
        try:
            details = replace(
                checked_clinic_details(
                    self.name.text(),
                    self.address.text(),
                    self.contact_line.text(),
                    self.paper.currentText(),
                    self.idle_minutes.value(),
                    self.backup_folder.text(),
                    out_of_hours_line=self.out_of_hours_line.text(),
                ),
                countersignature_required=self.countersignature.isChecked(),
            )
            folder = details.backup_folder if self.backup_folder.isEnabled() else ""
            if folder and not Path(folder).expanduser().is_dir():
                return f"The backup folder {details.backup_folder} does not exist (is the disk plugged in?)."
        except DomainError as error:
            return str(error)
        desk, staff_id = self.context.desk, self.staff.id
        return Saving(
            self.context.worker,
            lambda: desk.clinic.update_clinic_details(details, staff_id),
            unseen=self.context.signals.not_saved.emit,
        )
