"""The laser treatment register (issue 15): every exposure of one laser or all over a range of days,
for an administrator or an authorised laser operator, saved as a CSV file or a PDF (each audited).

The page asks the store whether who is at the desk may read the register before each reading, and
says so instead of listing anything when not; the store refuses an export by anyone else (a reading
itself has no staff check: a terminal export has nobody signed in). Each reading runs on the database
worker: the page says it is reading, and the window goes on meanwhile.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from desk_app.domain.dates import entered_date, local_today
from desk_app.domain.devices import LaserDevice
from desk_app.domain.errors import DomainError
from desk_app.domain.laser_register import COLUMNS, Exposure, LaserRegister
from desk_app.reports.export import pdf_target
from desk_app.reports.formats import pages_text
from desk_app.reports.laser_register import (
    RegisterScope,
    register_pdf,
    register_summary,
    rows_text,
    save_register_csv,
    save_register_pdf,
    times_text,
)
from desk_app.ui.context import DeskContext
from desk_app.ui.db_worker import for_a_thread_of_its_own
from desk_app.ui.formatting import DATE_HINT, LOCAL_FORMATS, local_date, local_date_time
from desk_app.ui.long_job import JobControl, LongJob
from desk_app.ui.patient_models import _RowsModel
from desk_app.ui.printing import ask_file_to_save, save_file_on_a_thread
from desk_app.ui.saving import Asked
from desk_app.ui.scrolling import page_with_footer
from desk_app.ui.tab_order import tab_in_reading_order
from desk_app.ui.widgets import Tone, message_label, row_table, show_message

DEFAULT_DAYS = 30
MEASURED_ROWS = 50
NOT_ALLOWED = "The laser register is for an administrator or an authorised laser operator."
EDITED = "The dates were changed: press Show to list them before saving."
READING = "Reading the register…"


class ExposureModel(_RowsModel[Exposure]):
    """The register's rows, in the columns of the CSV and the PDF."""

    COLUMNS = COLUMNS

    def show(self, exposures: list[Exposure]) -> None:
        self.beginResetModel()
        self._rows = exposures
        self.endResetModel()

    @property
    def exposures(self) -> list[Exposure]:
        return self._rows

    def cells(self, row: Exposure) -> tuple[str, ...]:
        return row.cells(local_date)


class LaserRegisterPage(QWidget):
    back_requested = Signal()
    """Back to the board."""

    def __init__(self, context: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.clock, self.current_staff = context.desk, context.clock, context.current_staff
        self.worker = context.worker
        self._asked = Asked()  # each read asked and the lock move it on: only the last one asked is shown
        self.scope: RegisterScope | None = None  # what the table shows
        self.register: LaserRegister | None = None
        self._shown_texts = ("", "")  # the From and To fields' texts when the table was read
        _page, layout, buttons = page_with_footer(self)  # the buttons in view, under the page
        title = QLabel("Laser treatment register", self)
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        intro = QLabel(
            "Every laser pass fired, with its settings and areas, who fired it and the adverse events, "
            "for one laser or all. Each saved copy is kept in the audit trail.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        choices = QHBoxLayout()
        self.device_combo = QComboBox(self)
        self.device_combo.setAccessibleName("Device")
        # As wide as the row leaves it (a long name is shortened, in full in its list), so the
        # dates and Show are never pushed off a 1280 px screen.
        self.device_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.device_combo.setMinimumContentsLength(24)
        self.device_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.device_combo.activated.connect(lambda _index: self.refresh())  # a laser chosen: its rows
        self.from_edit, self.to_edit = QLineEdit(self), QLineEdit(self)
        for label, widget in (("Device", self.device_combo), ("From", self.from_edit), ("To", self.to_edit)):
            caption = QLabel(label, self)
            caption.setBuddy(widget)
            choices.addWidget(caption)
            choices.addWidget(widget)
        for edit, name in ((self.from_edit, "From"), (self.to_edit, "To")):
            edit.setAccessibleName(name)
            edit.setPlaceholderText(DATE_HINT)
            edit.returnPressed.connect(self.refresh)
            edit.textEdited.connect(self._choices_edited)
        self.show_button = QPushButton("Show", self)
        self.show_button.clicked.connect(self.refresh)
        choices.addWidget(self.show_button)
        choices.addStretch(1)
        layout.addLayout(choices)

        self.summary = QLabel("", self)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.model = ExposureModel(self)
        self.table = row_table(self, "Laser exposures", self.model)
        self.table.setWordWrap(False)  # a year holds thousands of rows: one line each
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        # Columns as wide as their first rows' text, measured once a reading: never the whole year.
        header.setResizeContentsPrecision(MEASURED_ROWS)
        # Five rows at least: on a small screen the page scrolls, the table keeps room to read in.
        self.table.setMinimumHeight(180)
        layout.addWidget(self.table, 1)
        self.message = message_label(self, visible=False)
        layout.addWidget(self.message)
        # A year of a busy laser is 500 pages (16 s): written on a thread of its own.
        self.export_job = LongJob(self, "Saving the register", self.message, cancellable=False)
        layout.addWidget(self.export_job)

        self.csv_button = QPushButton("Save as CSV…", self)
        self.csv_button.clicked.connect(lambda: self._ask_path("csv"))
        self.pdf_button = QPushButton("Save as PDF…", self)
        self.pdf_button.clicked.connect(lambda: self._ask_path("pdf"))
        back = QPushButton("Back to board", self)
        back.clicked.connect(self.back_requested)
        for button in (self.csv_button, self.pdf_button, back):
            button.setMinimumHeight(44)
            buttons.addWidget(button)
        tab_in_reading_order(self)

    def forget(self) -> None:
        """Locked: empty the rows (each names a patient's clinic number and what was done) and the
        words about them; open() reads them again when the page is next opened."""
        self._asked.move_on()  # a reading on its way is not shown
        self._refused("")
        self.message.setText("")
        self.message.hide()

    def open(self) -> None:
        """Fresh choices each time the page opens: every device, the last DEFAULT_DAYS days."""
        today = local_today(self.clock.now())
        self.from_edit.setText(local_date(today - timedelta(days=DEFAULT_DAYS - 1)))
        self.to_edit.setText(local_date(today))
        self.device_combo.clear()
        self.device_combo.addItem("All devices", None)
        self._refused(READING, Tone.NOTE)  # nothing of an earlier reading shows meanwhile
        still, devices = self._asked.newest(), self.desk.devices

        def answered(found: list[LaserDevice]) -> None:
            if not still():
                return
            for device in found:
                self.device_combo.addItem(device.name + (" (retired)" if device.retired else ""), device)
            self.refresh()

        def failed(error: DomainError) -> None:
            if still():
                self._refused(str(error))

        self.worker.submit(lambda: devices.devices(include_retired=True), answered, failed)

    def _refused(self, why: str, tone: Tone = Tone.ERROR) -> None:
        self.scope = self.register = None
        self.model.show([])
        self.summary.setText("")
        show_message(self.message, why, tone)
        for button in (self.csv_button, self.pdf_button):
            button.setEnabled(False)

    def refresh(self) -> None:
        """Read the register for what is chosen, on the worker (the page says it is reading; what
        it showed is not saved meanwhile); say why not (the dates, the database, who asks)."""
        staff = self.current_staff()
        if staff is None:
            self._refused(NOT_ALLOWED)
            return
        try:
            scope = RegisterScope(
                entered_date(self.from_edit.text(), "From"),
                entered_date(self.to_edit.text(), "To"),
                self.device_combo.currentData(),
            )
        except DomainError as error:
            self._refused(str(error))
            return
        texts = (self.from_edit.text(), self.to_edit.text())
        self._refused(READING, Tone.NOTE)
        still, laser_register = self._asked.newest(), self.desk.laser_register

        def read() -> LaserRegister | None:
            if not laser_register.may_read_register(staff.id):
                return None
            return laser_register.laser_register(scope.from_day, scope.to_day, scope.device)

        def answered(register: LaserRegister | None) -> None:
            if not still():
                return
            if register is None:
                self._refused(NOT_ALLOWED)
            else:
                self._show(scope, register, texts)

        def failed(error: DomainError) -> None:
            if still():
                self._refused(str(error))

        self.worker.submit(read, answered, failed)

    def _show(self, scope: RegisterScope, register: LaserRegister, texts: tuple[str, str]) -> None:
        self.scope, self.register = scope, register
        self._shown_texts = texts
        self.model.show(register.rows)
        self.table.resizeColumnsToContents()
        summary = register_summary(register, scope, local_date)
        self.summary.setText(f"{summary}. {times_text(scope.to_day.year)}.")
        self.message.setText("")
        self.message.hide()  # its room goes to the rows
        for button in (self.csv_button, self.pdf_button):
            button.setEnabled(True)

    def _ask_path(self, suffix: str) -> None:
        if self.scope is not None:
            name_filter = f"{suffix.upper()} files (*.{suffix})"
            file_name = self.scope.file_name(suffix)
            ask_file_to_save(
                self,
                f"Save as {suffix.upper()}",
                file_name,
                name_filter,
                lambda path: self.save(suffix, path),
            )

    def _choices_edited(self) -> None:
        """The dates typed no longer those shown: nothing is saved until Show lists them."""
        for button in (self.csv_button, self.pdf_button):
            button.setEnabled(False)
        show_message(self.message, EDITED, Tone.NOTE)

    def save(self, suffix: str, path: str, replace: bool = False) -> None:
        """Write the rows shown as 'csv' or 'pdf', audited with who is at the desk; ask before
        replacing a file. Refused while the dates typed differ from those shown (the buttons are
        disabled then too): a file named for one range never holds another's rows."""
        staff, scope, register = self.current_staff(), self.scope, self.register
        if staff is None or scope is None or register is None:
            return
        if (self.from_edit.text(), self.to_edit.text()) != self._shown_texts:
            self._choices_edited()
            return
        desk, at, target = for_a_thread_of_its_own(self.desk), local_date_time(self.clock.now()), Path(path)
        kind = suffix.upper()

        def write(_job: JobControl) -> str:
            """The file, checked before anything is made; how much was written ('12 exposures')."""
            pdf_target(desk, target, replace=replace, kind=kind)
            who = (staff.name, staff.id)
            if suffix == "csv":
                return rows_text(save_register_csv(desk, register.rows, scope, target, *who, replace=replace))
            pdf = register_pdf(desk, register, scope, staff.name, LOCAL_FORMATS, at)
            return pages_text(save_register_pdf(desk, pdf, scope, target, *who, replace=replace))

        again = lambda: self.save(suffix, path, replace=True)  # noqa: E731 (a name says what it is for)
        save_file_on_a_thread(self, self.export_job, path, write, again, desk, "the audit trail")
