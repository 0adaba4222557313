"""The clinic's details for printed pages: name, address, the patients' contact line, paper size."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.clinic import IDLE_LOCK_MINUTES, LABELS, PaperSize, checked_clinic_details
from desk_app.domain.errors import DomainError
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.widgets import message_label


class ClinicDetailsDialog(QDialog):
    """Edit the details every desk prints; each change is kept with who made it and when."""

    def __init__(self, parent: QWidget, desk: Desk, staff: Staff) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Clinic details")
        self.setModal(True)
        self.setMinimumWidth(560)
        self.desk, self.staff = desk, staff
        details = desk.clinic_details()
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Printed at the top of every record and sheet. The contact line is on the patient's "
            "aftercare sheet: who to call with a worry after treatment.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.name = self._line(details.name, "name", form)
        self.address = self._line(details.address, "address", form)
        self.contact_line = self._line(details.contact_line, "contact_line", form)
        self.contact_line.setPlaceholderText("For example: Questions or worries? Call 020 7946 0000")
        self.paper = QComboBox(self)
        self.paper.setAccessibleName(LABELS["paper"])
        self.paper.addItems([size.value for size in PaperSize])
        self.paper.setCurrentText(details.paper.value)
        form.addRow(LABELS["paper"], self.paper)
        self.idle_minutes = QSpinBox(self)
        self.idle_minutes.setRange(*IDLE_LOCK_MINUTES)
        self.idle_minutes.setValue(details.idle_lock_minutes)
        self.idle_minutes.setAccessibleName(LABELS["idle_lock_minutes"])
        form.addRow(LABELS["idle_lock_minutes"], self.idle_minutes)
        layout.addLayout(form)
        self.error = message_label(self)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(self)
        buttons.addButton("Save", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _line(self, text: str, key: str, form: QFormLayout) -> QLineEdit:
        editor = QLineEdit(text, self)
        editor.setAccessibleName(LABELS[key])
        editor.setMinimumHeight(40)
        form.addRow(LABELS[key], editor)
        return editor

    def _save(self) -> None:
        try:
            details = checked_clinic_details(
                self.name.text(),
                self.address.text(),
                self.contact_line.text(),
                self.paper.currentText(),
                self.idle_minutes.value(),
            )
            self.desk.update_clinic_details(details, self.staff.id)
        except DomainError as error:
            self.error.setText(str(error))
            return
        self.accept()
