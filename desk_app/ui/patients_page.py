"""The patients screen: search as you type over the whole register, then open a patient's page."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.errors import DomainError
from desk_app.domain.people import Patient
from desk_app.ui.access_trail import SettledSearches
from desk_app.ui.context import DeskContext
from desk_app.ui.patient_models import PAGE, PatientListModel
from desk_app.ui.typed_search import Query, SearchOnWorker, TypedSearch
from desk_app.ui.widgets import DownToResults, message_label, row_table


class PatientsPage(QWidget):
    open_patient_requested = Signal(int)
    """Open this patient's page."""

    def __init__(self, context: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = context.desk
        self.worker = context.worker
        self.current_staff = context.current_staff
        signals = context.signals
        self.searches = SettledSearches(context, self)
        layout = QVBoxLayout(self)
        title = QLabel("Patients", self)
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        row = QHBoxLayout()
        self.search_edit = QLineEdit(self)
        self.search_edit.setAccessibleName("Search all patients")
        self.search_edit.setPlaceholderText("Name, date of birth or clinic number")
        self.search_edit.setMinimumHeight(44)
        self.typing = TypedSearch(self.search_edit, self._typed)  # once she pauses, not at each key
        self.on_worker = SearchOnWorker[Patient](self.typing, self.worker, self._found, self._not_found)
        # Down or Enter in the search goes to the list, the first patient chosen by that key press.
        DownToResults(self.search_edit, self._to_table)
        row.addWidget(self.search_edit, 1)
        self.archived = QCheckBox("Include archived patients", self)
        self.archived.toggled.connect(self.typing.run_now)  # a click: searched at once
        row.addWidget(self.archived)
        layout.addLayout(row)
        self.message = message_label(self)
        layout.addWidget(self.message)

        self.model = PatientListModel(self._page, self)
        self.table = row_table(self, "Patients", self.model)
        self.table.verticalHeader().setDefaultSectionSize(40)  # fixed rows: no per-row sizing
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(self._open)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._on_selection_changed())
        layout.addWidget(self.table, 1)
        self.open_button = QPushButton("Open patient", self)
        self.open_button.setObjectName("primaryButton")
        self.open_button.setMinimumHeight(44)
        self.open_button.setAutoDefault(True)  # Enter presses it, as Space does
        self.open_button.setEnabled(False)  # until the nurse chooses a patient
        self.open_button.clicked.connect(lambda: self._open(self.chosen()))
        layout.addWidget(self.open_button)
        signals.patients_changed.connect(self.search)

    def _page(
        self,
        text: str,
        limit: int,
        offset: int,
        deliver: Callable[[list[Patient]], None],
        not_read: Callable[[], None],
    ) -> None:
        """A further page of the list, as the table scrolls to it: asked of the worker without waiting
        (she scrolled: it is asked as her actions are), added when it comes."""
        patients, archived = self.desk.patients, self.archived.isChecked()  # a widget is the UI thread's

        def failed(error: DomainError) -> None:
            self.message.setText(str(error))
            not_read()

        self.worker.submit(
            lambda: patients.search_patients(text, limit=limit, offset=offset, include_archived=archived),
            deliver,
            failed,
        )

    def search(self) -> None:
        """Show the patients matching the text (the list read again: no new search is audited)."""
        self._search(self.typing.ask(), audited=False)

    def _search(self, query: Query, audited: bool) -> None:
        """The first page of patients matching `query`, asked of the database worker without
        waiting (see SearchOnWorker). Locked, nothing is read."""
        if self.current_staff() is None:
            self.model.clear()
            return
        archived = self.archived.isChecked()  # read here: a widget is the UI thread's
        patients = self.desk.patients
        self.on_worker.ask(
            query,
            lambda: patients.search_patients(query.text, limit=PAGE, offset=0, include_archived=archived),
            audited,
        )

    def _found(self, query: Query, found: list[Patient], audited: bool) -> None:
        self.model.show(query.text, found)
        self.message.clear()
        self._on_selection_changed()  # nobody chosen: the nurse chooses (a reset drops the choice)
        if audited:  # a search the nurse made: audited once settled (ui.access_trail)
            self.searches.ran(query.text, self.model.rowCount(), self.model.canFetchMore())
            if not self.isVisible():  # typed just before she left the page: audited as she left
                self.searches.settle()

    def _not_found(self, error: DomainError) -> None:
        self.message.setText(str(error))

    def chosen(self) -> QModelIndex:
        """The row the nurse chose: selected, not only under the table's cursor."""
        rows = self.table.selectionModel().selectedRows()
        return rows[0] if rows else QModelIndex()

    def _on_selection_changed(self) -> None:
        self.open_button.setEnabled(self.chosen().isValid())

    def _to_table(self) -> None:
        """To the list of the text in the field, searched now if typing had not yet paused (then as
        soon as its patients come)."""
        self.typing.flush()
        self.on_worker.then(self._into_table)

    def _into_table(self) -> None:
        if not self.model.rowCount():
            return
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.chosen().isValid():
            self.table.selectRow(0)

    def _typed(self, query: Query) -> None:
        """A search the nurse made (typing paused, Enter, Down, the archived box): audited once settled."""
        self._search(query, audited=True)

    def _open(self, index: QModelIndex) -> None:
        if index.isValid():
            self.searches.settle()  # the search, then the record opened from it
            self.open_patient_requested.emit(self.model.row_at(index.row()).id)

    def forget(self) -> None:
        """Locked: no patient found stays in the table (nor the text typed to find them); the
        window searches again when the page is next shown."""
        self.searches.settle()  # a search typed just before the lock, written now
        self.typing.forget()  # the text typed, and a search still waiting for a pause
        self.on_worker.forget()  # a list on its way is not shown
        self.model.clear()
        self.message.clear()
        self._on_selection_changed()

    def hideEvent(self, event: QHideEvent) -> None:
        self.typing.flush()  # typed just before leaving the page: searched and audited as before
        self.searches.settle()
        super().hideEvent(event)
