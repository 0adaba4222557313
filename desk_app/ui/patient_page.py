"""One patient's page: the course so far, every past session and its follow-ups, the registration
and its changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QItemSelectionModel, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.access import Opened
from desk_app.domain.clinic import DocumentKind, PrintEntry
from desk_app.domain.course import course, session_line
from desk_app.domain.errors import DomainError
from desk_app.domain.history import PatientHistory
from desk_app.domain.patient_record import EDITABLE_FIELDS
from desk_app.domain.people import Patient
from desk_app.domain.procedure import FollowUp
from desk_app.domain.session import SessionStatus
from desk_app.reports.history import change_line, follow_up_line, print_line
from desk_app.ui.access_trail import record_opening
from desk_app.ui.consent_section import ConsentSection
from desk_app.ui.context import DeskContext
from desk_app.ui.db_worker import LATER, NOW
from desk_app.ui.follow_up import FollowUpDialog
from desk_app.ui.forgetting import drop_dialogs
from desk_app.ui.formatting import local_date, local_date_time
from desk_app.ui.patient_models import SessionListModel
from desk_app.ui.photo_section import PhotoSection
from desk_app.ui.saving import Asked, ReadFirst
from desk_app.ui.saving_button import submit_from
from desk_app.ui.scrolling import scrolling_column
from desk_app.ui.widgets import Tone, message_label, row_table, show_message

SESSIONS_MIN_HEIGHT = 120  # the titles and two rows
SESSIONS_MAX_HEIGHT = 420  # a long course scrolls in its table beyond this
READING = "Reading…"


@dataclass(frozen=True)
class PatientRead:
    """What the page shows of a patient, read in one go on the database worker."""

    history: PatientHistory
    forms: dict[int, FollowUp | None]  # each session's follow-up form, by session id
    prints: list[PrintEntry]


def days_ago(days: int | None) -> str:
    if days is None:
        return ""
    return "today" if days == 0 else f"{days} day{'' if days == 1 else 's'} ago"


def describe_as(label: QLabel, what: str) -> None:
    """A label for one kind of thing ('Course'): its description says what it is (so tests and
    screen readers find it), its name carries the text after it (see show_described)."""
    label.setAccessibleDescription(what)
    label.setAccessibleName(what)


def show_described(label: QLabel, text: str) -> None:
    """Show `text` in a label made by describe_as: a screen reader hears 'Course: 2 of 3 sessions
    done…', the content in the name itself (a screen reader's review of the screen reads names)."""
    label.setText(text)
    what = label.accessibleDescription()
    label.setAccessibleName(f"{what}: {text}" if text else what)


class PatientPage(QWidget):
    open_session_requested = Signal(int)
    """Open this past (or current) session."""

    back_requested = Signal()
    """Back to the list of patients."""

    def __init__(self, context: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.desk = context.desk
        self.signals = context.signals
        self.clock = context.clock
        self.current_staff = context.current_staff
        self.patient: Patient | None = None
        self.history: PatientHistory | None = None
        self.forms: dict[int, FollowUp | None] = {}
        self.worker = context.worker
        self._reading_for_print = ReadFirst(self.worker)  # the history, read before its pages show
        self._asked = Asked()  # each read asked and the lock move it on: only the last one asked is shown
        self._reading: int | None = None  # the patient whose read is on its way, if one is
        self.editors: dict[str, QLineEdit | QPlainTextEdit] = {}
        self._loaded: dict[str, str] = {}
        self._build()
        self.signals.changed_elsewhere.connect(self._on_changed_elsewhere)

    def _build(self) -> None:
        """Everything above the footer scrolls as one: on a small screen the nurse scrolls the
        record, and Back and Print stay in view."""
        layout = QVBoxLayout(self)
        scroll, content = scrolling_column(self)
        page = scroll.widget()
        self.name_label = QLabel("", page)
        self.name_label.setObjectName("patientName")
        self.name_label.setWordWrap(True)
        content.addWidget(self.name_label)
        self.identity_label = QLabel("", page)
        self.identity_label.setWordWrap(True)
        content.addWidget(self.identity_label)
        self.course_label = QLabel("", page)
        self.course_label.setObjectName("course")
        describe_as(self.course_label, "Course")
        self.course_label.setWordWrap(True)
        content.addWidget(self.course_label)

        columns = QHBoxLayout()
        sessions_box = QGroupBox("Sessions", page)
        sessions = QVBoxLayout(sessions_box)
        self.sessions_model = SessionListModel(self)
        self.sessions_table = row_table(sessions_box, "Sessions of this patient", self.sessions_model)
        header = self.sessions_table.horizontalHeader()
        # A patient has a handful of sessions (up to six a course): sizing to contents is cheap here.
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.sessions_table.setWordWrap(True)
        # Rows as tall as their settings need, so the laser settings are read whole, not cut off.
        self.sessions_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.sessions_table.activated.connect(lambda index: self._open_session(index.row()))
        sessions.addWidget(self.sessions_table, 1)
        open_button = QPushButton("Open session", sessions_box)
        open_button.setMinimumHeight(44)
        open_button.clicked.connect(lambda: self._open_session(self.sessions_table.currentIndex().row()))
        self.complication_button = QPushButton("Report a complication…", sessions_box)
        self.complication_button.setMinimumHeight(44)
        self.complication_button.clicked.connect(self._report_complication)
        session_buttons = QHBoxLayout()
        session_buttons.addWidget(open_button)
        session_buttons.addWidget(self.complication_button)
        sessions.addLayout(session_buttons)
        self.session_message = message_label(sessions_box)
        sessions.addWidget(self.session_message)
        self.follow_ups_label = QLabel("", sessions_box)
        self.follow_ups_label.setObjectName("history")
        self.follow_ups_label.setWordWrap(True)
        sessions.addWidget(self.follow_ups_label)
        self.prints_label = QLabel("", sessions_box)
        self.prints_label.setObjectName("history")
        describe_as(self.prints_label, "Prints and exports")
        self.prints_label.setWordWrap(True)
        sessions.addWidget(self.prints_label)
        columns.addWidget(sessions_box, 2)

        details_box = QGroupBox("Registration", page)
        details = QVBoxLayout(details_box)
        form = QFormLayout()
        for field in EDITABLE_FIELDS:
            editor: QLineEdit | QPlainTextEdit
            if field.multiline:
                editor = QPlainTextEdit(details_box)
                editor.setTabChangesFocus(True)
                editor.setMaximumHeight(90)
            else:
                editor = QLineEdit(details_box)
                editor.setMinimumHeight(40)
            editor.setAccessibleName(field.label)
            form.addRow(field.label, editor)
            self.editors[field.id] = editor
        details.addLayout(form)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save changes", details_box)
        self.save_button.setObjectName("primaryButton")
        self.save_button.setMinimumHeight(44)
        self.save_button.clicked.connect(self._save)
        self.archive_button = QPushButton("Archive patient", details_box)
        self.archive_button.setMinimumHeight(44)
        self.archive_button.clicked.connect(self._toggle_archive)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.archive_button)
        details.addLayout(buttons)
        self.message = message_label(details_box)
        details.addWidget(self.message)
        self.changes_label = QLabel("", details_box)
        self.changes_label.setObjectName("history")
        describe_as(self.changes_label, "Changes to the registration")
        self.changes_label.setWordWrap(True)
        details.addWidget(self.changes_label)
        details.addStretch(1)
        columns.addWidget(details_box, 1)
        content.addLayout(columns, 1)
        self.photos = PhotoSection(self.context, page)
        content.addWidget(self.photos)
        self.consents = ConsentSection(self.context, page)
        content.addWidget(self.consents)
        layout.addWidget(scroll, 1)

        footer = QHBoxLayout()
        back = QPushButton("Back to patients", self)
        back.clicked.connect(self.back_requested)
        self.print_button = QPushButton("Print history…", self)
        self.print_button.clicked.connect(self._print_history)
        for button in (back, self.print_button):
            button.setMinimumHeight(44)
            footer.addWidget(button)
        self.print_message = message_label(self)
        footer.addWidget(self.print_message, 1)
        layout.addLayout(footer)

    # --- showing ---------------------------------------------------------------------------------

    def open_patient(self, patient_id: int) -> None:
        """A nurse opens the page: it says it is reading (another patient's record is not left on it
        meanwhile); once read the patient is shown, then written to the audit trail as opened by her."""
        if self.patient is None or self.patient.id != patient_id:
            self.forget()
            self.name_label.setText(READING)
        show_message(self.message, READING, Tone.NOTE)

        def shown() -> None:
            record_opening(self.context, patient_id, Opened.PATIENT_PAGE, None, self.message)

        self._read(patient_id, NOW, shown)

    def _read(self, patient_id: int, lane: int = NOW, then: Callable[[], None] | None = None) -> None:
        """Read the patient on the worker and show them: on opening, and after a change here or
        elsewhere. An answer the page has moved on from (another patient, the lock) is not shown."""
        sessions, clinic = self.desk.sessions, self.desk.clinic
        still, self._reading = self._asked.newest(), patient_id

        def read() -> PatientRead:
            history = sessions.patient_history(patient_id)
            forms = {record.id: sessions.follow_up_form(record) for record in history.sessions}
            return PatientRead(history, forms, clinic.print_log(patient_id))

        def answered(result: PatientRead) -> None:
            if not still():
                return
            self._reading = None
            self._show(result)
            if then is not None:
                then()

        def failed(error: DomainError) -> None:
            if still():
                self._reading = None
                show_message(self.message, str(error))

        self.worker.submit(read, answered, failed, lane)

    def _show(self, read: PatientRead) -> None:
        history = read.history
        self.forms = read.forms
        now = self.clock.now()
        patient = history.patient
        self.patient, self.history = patient, history
        self.photos.show_patient(patient.id, patient.full_name)
        self.name_label.setText(patient.full_name + ("  (archived)" if patient.archived else ""))
        self.identity_label.setText(
            f"Born {local_date(patient.date_of_birth)} · Clinic number {patient.clinic_number}"
        )
        so_far = course(history.sessions, now)
        parts = [so_far.summary]
        if so_far.last_session:
            parts.append(
                f"last session {local_date(so_far.last_session)}, {days_ago(so_far.days_since_last)}"
            )
        if so_far.earliest_next:
            next_from = f"next session from {local_date(so_far.earliest_next)}"
            if so_far.last_session:  # the procedure's interval ([course] min_days_between)
                next_from += f" ({(so_far.earliest_next - so_far.last_session).days} days after the last)"
            parts.append(next_from)
        if so_far.next_planned:
            parts.append(f"planned for {local_date(so_far.next_planned)}")
        show_described(self.course_label, " · ".join(parts))
        self.sessions_model.set_lines([session_line(record, now) for record in history.sessions])
        self._fit_sessions_table()
        table = self.sessions_table
        if table.hasFocus() and self.sessions_model.rowCount():  # focused while reading: as focusing does
            table.selectionModel().setCurrentIndex(
                self.sessions_model.index(0, 0), QItemSelectionModel.SelectionFlag.NoUpdate
            )
        for field in EDITABLE_FIELDS:
            value = getattr(patient, field.id)
            # The form's own date format, whatever the PC's locale: it is read back as typed.
            text = value.strftime("%d/%m/%Y") if field.id == "date_of_birth" else str(value)
            editor = self.editors[field.id]
            if isinstance(editor, QPlainTextEdit):
                editor.setPlainText(text)
            else:
                editor.setText(text)
        self._loaded = self._entered()
        self.archive_button.setText("Bring back from archive" if patient.archived else "Archive patient")
        changes = [change_line(change, local_date_time) for change in history.changes]
        show_described(self.changes_label, "\n".join(changes))
        self._show_prints(history, read.prints)
        self._show_follow_ups(history)
        self.consents.show_patient(patient.id, patient.full_name)
        self.message.clear()
        self.session_message.clear()

    def _fit_sessions_table(self) -> None:
        """The table as tall as its rows (a handful): the page scrolls, not the table inside it."""
        table = self.sessions_table
        rows = table.verticalHeader().length()
        wanted = table.horizontalHeader().height() + rows + 2 * table.frameWidth() + 4
        table.setMinimumHeight(min(max(wanted, SESSIONS_MIN_HEIGHT), SESSIONS_MAX_HEIGHT))

    def forget(self) -> None:
        """Locked: the patient's name, details and history leave the page and what a screen reader
        can read of it; open_patient() shows them again."""
        drop_dialogs(self)
        self.photos.forget()
        self._asked.move_on()  # a read on its way is not shown
        self._reading = None
        self.patient, self.history, self._loaded, self.forms = None, None, {}, {}
        for label in (
            self.name_label,
            self.identity_label,
            self.course_label,
            self.changes_label,
            self.prints_label,
            self.follow_ups_label,
        ):
            show_described(label, "")
        self.follow_ups_label.setAccessibleName("No follow-ups")
        self.consents.forget()
        self.sessions_model.set_lines([])
        for editor in self.editors.values():
            editor.clear()
        for label in (self.message, self.session_message, self.print_message):
            label.clear()

    def _show_follow_ups(self, history: PatientHistory) -> None:
        """Every call and complication after a session, under the session it follows."""
        lines = [
            f"Session {record.session_number}: "
            + follow_up_line(event, self.forms.get(record.id), local_date_time)
            for record in history.sessions
            for event in record.state(self.clock.now()).follow_ups
        ]
        text = "Follow-ups:\n" + "\n".join(lines) if lines else ""
        self.follow_ups_label.setText(text)
        self.follow_ups_label.setAccessibleName(text or "No follow-ups")

    def _show_prints(self, history: PatientHistory, log: list[PrintEntry]) -> None:
        numbers = {record.id: record.session_number for record in history.sessions}
        prints = [print_line(entry, local_date_time, numbers) for entry in log]
        show_described(self.prints_label, "Printed or exported:\n" + "\n".join(prints) if prints else "")

    def _print_history(self) -> None:
        if (patient := self.patient) is None:
            return
        from desk_app.ui.printing import open_print_dialog  # Qt's print support loads when first used

        self.print_message.clear()

        def opened(dialog: QDialog) -> None:  # the print log shown here gains a line once printed
            dialog.finished.connect(lambda _result: self._read_prints(patient.id))

        open_print_dialog(
            self,
            self.context,
            DocumentKind.PATIENT_HISTORY,
            patient.id,
            self.print_message,
            self._reading_for_print,
            opened,
        )

    def _read_prints(self, patient_id: int) -> None:
        """The print log read again (on the worker, after what the nurse asks) and shown, if the
        page still shows that patient."""
        clinic = self.desk.clinic

        def answered(log: list[PrintEntry]) -> None:
            if self.history is not None and self.history.patient.id == patient_id:
                self._show_prints(self.history, log)

        self.worker.submit(lambda: clinic.print_log(patient_id), answered, lane=LATER)

    def _open_session(self, row: int) -> None:
        if 0 <= row < self.sessions_model.rowCount():
            self.open_session_requested.emit(self.sessions_model.row_at(row).session_id)

    # --- actions ---------------------------------------------------------------------------------

    def _report_complication(self) -> None:
        """A complication the patient reports after the session: a follow-up of the chosen session."""
        row = self.sessions_table.currentIndex().row()
        if self.history is None or not 0 <= row < self.sessions_model.rowCount():
            self.session_message.setText("Choose the session the complication follows first.")
            return
        line = self.sessions_model.row_at(row)
        if line.status is SessionStatus.IN_PROGRESS:
            self.session_message.setText(
                f"Session {line.number} is still in progress: record it in the session itself."
            )
            return
        record = next(record for record in self.history.sessions if record.id == line.session_id)
        form = self.forms.get(record.id)
        if form is None:
            self.session_message.setText("This procedure has no follow-up form: add an amendment instead.")
            return
        patient = record.patient
        about = f"{patient.full_name}, {patient.clinic_number}: session {record.session_number}"
        dialog = FollowUpDialog(self, self.context, record.id, about, form, "Report a complication")
        dialog.recorded.connect(lambda: self._read(patient.id))
        dialog.open()

    def _entered(self) -> dict[str, str]:
        return {
            field_id: editor.toPlainText() if isinstance(editor, QPlainTextEdit) else editor.text()
            for field_id, editor in self.editors.items()
        }

    def _edited(self) -> dict[str, str]:
        """Only the fields the nurse changed on this form: a field changed meanwhile at another
        desk is not written back with its old value."""
        return {
            field_id: text for field_id, text in self._entered().items() if text != self._loaded[field_id]
        }

    def _on_changed_elsewhere(self) -> None:
        """Read again by itself (after what the nurse asks), unless a read is on its way already or
        she is editing the registration."""
        if self.patient is not None and self._reading is None and self.isVisible() and not self._edited():
            self._read(self.patient.id, LATER)

    def _save(self) -> None:
        staff = self.current_staff()
        if staff is None or self.patient is None:
            return
        patients, patient_id, edited = self.desk.patients, self.patient.id, self._edited()
        self._write(
            self.save_button,
            patient_id,
            lambda: patients.update_patient(patient_id, edited, staff.id),
            "Saved.",
        )

    def _toggle_archive(self) -> None:
        staff = self.current_staff()
        if staff is None or self.patient is None:
            return
        patients, patient_id, archived = self.desk.patients, self.patient.id, not self.patient.archived
        self._write(
            self.archive_button, patient_id, lambda: patients.set_archived(patient_id, archived, staff.id)
        )

    def _write(
        self, button: QPushButton, patient_id: int, call: Callable[[], object], done: str = ""
    ) -> None:
        """Save a change of the patient shown: the button says "Saving…" until committed; then the
        patient is read again and shown (then `done` said), or why not is said: on the page if it
        still shows the patient, above every page if not."""

        def saved(_result: object) -> None:
            self.signals.patients_changed.emit()
            if self._reading_or_shown() == patient_id:
                self._read(
                    patient_id, NOW, lambda: show_message(self.message, done, Tone.DONE) if done else None
                )

        def refused(error: DomainError) -> None:
            if self._reading_or_shown() == patient_id:
                show_message(self.message, str(error))
            else:
                self.signals.not_saved.emit(f"A patient's registration: {error}")

        submit_from(button, self.worker, call, saved, refused)

    def _reading_or_shown(self) -> int | None:
        """The patient the page shows, or is reading to show."""
        return self._reading if self._reading is not None else self.patient.id if self.patient else None
