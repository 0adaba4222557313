"""After sign-out (issue 16): the calls due to patients treated two to three days ago, and the
dialog that records a call or a complication, built from the procedure's follow-up form with the
checklist's own field editors (the wording is the procedure's, never the code's)."""

from __future__ import annotations

import logging
from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QPushButton, QVBoxLayout, QWidget

from desk_app.domain.dates import local_today
from desk_app.domain.errors import DomainError
from desk_app.domain.follow_up import FollowUpCall, contact_text
from desk_app.domain.procedure import FollowUp
from desk_app.domain.session import Event
from desk_app.ui.context import DeskContext
from desk_app.ui.db_worker import LATER, NOW
from desk_app.ui.field_editors import FieldEditor, field_caption, make_editor
from desk_app.ui.forgetting import drop_dialogs
from desk_app.ui.form_dialog import FormDialog
from desk_app.ui.formatting import local_date, local_date_time
from desk_app.ui.patient_models import _RowsModel
from desk_app.ui.saving import Answer, Asked, Saving
from desk_app.ui.widgets import message_label, row_table, still_shown

log = logging.getLogger(__name__)

NOT_CALLED = "Not called yet"
OVERDUE = "Overdue: not called yet"


def called_text(event: Event | None, form: FollowUp) -> str:
    """'Called: 27/11/2026 10:15 by Ann Nurse (Spoke to the patient)', or NOT_CALLED."""
    if event is None:
        return NOT_CALLED
    return f"Called: {local_date_time(event.at)} by {event.staff_name} ({contact_text(event, form)})"


class FollowUpDialog(FormDialog):
    """One call or complication for one session; stays open, saying why, until the store accepts it."""

    recorded = Signal()
    """The follow-up was saved."""

    def __init__(
        self, parent: QWidget, context: DeskContext, session_id: int, about: str, form: FollowUp, title: str
    ) -> None:
        super().__init__(parent, title, f"{about}\n{form.instructions}")
        self.context = context
        self.session_id = session_id
        self.editors: dict[str, FieldEditor] = {}
        for field in form.fields:
            editor = make_editor(field, self)
            caption = QLabel(field_caption(field, form.fields), self)
            caption.setBuddy(editor.focus_target())
            self.form.addRow(caption, editor)
            self.editors[field.id] = editor

    def save(self) -> Answer:
        staff = self.context.current_staff()
        if staff is None:
            return "Sign in first."
        values = {field_id: editor.value() for field_id, editor in self.editors.items()}
        sessions, session_id = self.context.desk.sessions, self.session_id

        def saved(_result: object) -> None:
            log.info("Follow-up recorded for session %s by staff %s", session_id, staff.id)
            if still_shown(self):  # not closed by the lock meanwhile
                self.recorded.emit()

        return Saving(
            self.context.worker,
            lambda: sessions.record_follow_up(session_id, values, staff.id),
            saved,
            unseen=self.context.signals.not_saved.emit,
        )


class FollowUpCallModel(_RowsModel[FollowUpCall]):
    COLUMNS = ("Treated", "Patient", "Clinic number", "Phone", "Session", "Adverse events", "Call")

    def show(self, calls: list[FollowUpCall]) -> None:
        self.beginResetModel()
        self._rows = calls
        self.endResetModel()

    def cells(self, row: FollowUpCall) -> tuple[str, ...]:
        return (
            local_date(row.treated_on),
            row.patient.full_name,
            row.patient.clinic_number,
            row.patient.phone,
            str(row.session_number),
            row.adverse_events,
            OVERDUE if row.overdue else called_text(row.last_call, row.form),
        )


class FollowUpCallsPage(QWidget):
    """The patients to call today, with whether (and how) they were called."""

    back_requested = Signal()
    """Back to the board."""

    def __init__(self, context: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.worker = context.worker
        layout = QVBoxLayout(self)
        title = QLabel("Follow-up calls", self)
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        self.intro = QLabel("", self)
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        self.model = FollowUpCallModel(self)
        self.table = row_table(self, "Follow-up calls due", self.model)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # a day's calls: a few rows
        header.setStretchLastSection(True)
        self.table.activated.connect(lambda _index: self._record_call())
        layout.addWidget(self.table, 1)
        self.message = message_label(self)
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        self.record_button = QPushButton("Record call…", self)
        self.record_button.setObjectName("primaryButton")
        self.record_button.clicked.connect(self._record_call)
        back = QPushButton("Back to board", self)
        back.clicked.connect(self.back_requested)
        for button in (self.record_button, back):
            button.setMinimumHeight(44)
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self._asked = Asked()  # each read asked and the lock move it on: only the last one asked is shown
        context.signals.changed_elsewhere.connect(self._on_changed_elsewhere)

    def refresh(self, lane: int = NOW) -> None:
        """Read the calls due today (on the worker: what is shown stays until they come); say why
        not if the database cannot be read."""
        today: date = local_today(self.context.clock.now())
        form = self.context.desk.procedure.follow_up
        if form is not None:
            self.intro.setText(
                f"Patients treated {form.call_from_day} to {form.call_to_day} days ago "
                f"({local_date(today)}), and any treated before then who were not called "
                f"(up to {form.overdue_until_day} days). {form.instructions}"
            )
        sessions = self.context.desk.sessions
        still = self._asked.newest()

        def failed(error: DomainError) -> None:
            if still():
                self.model.show([])
                self.message.setText(str(error))
                self.record_button.setEnabled(False)  # nothing to record a call against

        def answered(calls: list[FollowUpCall]) -> None:
            if still():
                self._show(calls)

        self.worker.submit(lambda: sessions.follow_up_calls(today), answered, failed, lane)

    def _show(self, calls: list[FollowUpCall]) -> None:
        self.model.show(calls)
        self.message.setText("" if calls else "No calls are due today.")
        self.record_button.setEnabled(bool(calls))
        if calls:
            self.table.selectRow(0)

    def _on_changed_elsewhere(self) -> None:
        if self.isVisible():
            self.refresh(LATER)

    def forget(self) -> None:
        """Locked: no patient to call stays in the table; refresh() reads them again."""
        drop_dialogs(self)
        self._asked.move_on()  # a read on its way is not shown
        self.model.show([])
        self.message.clear()
        self.record_button.setEnabled(False)

    def _record_call(self) -> None:
        row = self.table.currentIndex().row()
        if not 0 <= row < self.model.rowCount():
            self.message.setText("Choose a patient in the list first.")
            return
        call = self.model.row_at(row)
        about = f"{call.patient.full_name}, {call.patient.clinic_number}: session {call.session_number}"
        dialog = FollowUpDialog(self, self.context, call.session_id, about, call.form, "Record call")
        dialog.recorded.connect(self.refresh)
        dialog.open()
