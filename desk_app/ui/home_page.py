"""The home screen: sessions in progress with their countdowns, and finding or registering a patient."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.clock import Clock
from desk_app.domain.countdown import GelPhase, mm_ss
from desk_app.domain.errors import DomainError
from desk_app.domain.people import Patient, Staff
from desk_app.domain.session import SessionRecord
from desk_app.store.desk import Desk, SessionAlreadyInProgress
from desk_app.ui.formatting import local_date
from desk_app.ui.signals import DeskSignals

REFRESH_MS = 1000


def session_card_text(record: SessionRecord, now_state_text: str) -> str:
    patient = record.patient
    return f"{patient.full_name} · {patient.clinic_number}\n{now_state_text}\nWith {record.holder.name}"


class HomePage(QWidget):
    open_session_requested = Signal(int)
    """Open this session's checklist."""

    def __init__(
        self,
        desk: Desk,
        signals: DeskSignals,
        clock: Clock,
        current_staff: Callable[[], Staff | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.clock = clock
        self.current_staff = current_staff
        self.records: list[SessionRecord] = []
        self.session_buttons: list[QPushButton] = []
        self._running_session_id: int | None = None
        self._build()
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh_countdowns)
        signals.session_changed.connect(lambda _id: self.reload_sessions())
        signals.patients_changed.connect(self.search)
        self.signals = signals

    def _build(self) -> None:
        layout = QHBoxLayout(self)
        sessions_box = QGroupBox("Sessions in progress", self)
        self.sessions_layout = QVBoxLayout(sessions_box)
        self.no_sessions = QLabel("No session in progress.", sessions_box)
        self.sessions_layout.addWidget(self.no_sessions)
        self.sessions_layout.addStretch(1)
        layout.addWidget(sessions_box, 1)

        patients = QVBoxLayout()
        find_box = QGroupBox("Find a patient", self)
        find = QVBoxLayout(find_box)
        self.search_edit = QLineEdit(find_box)
        self.search_edit.setAccessibleName("Search patients")
        self.search_edit.setPlaceholderText("Name, date of birth or clinic number")
        self.search_edit.setMinimumHeight(44)
        self.search_edit.textChanged.connect(self.search)
        find.addWidget(self.search_edit)
        self.results = QListWidget(find_box)
        self.results.setAccessibleName("Patients found")
        self.results.itemActivated.connect(lambda _item: self._start_session())
        self.results.currentItemChanged.connect(lambda *_: self._update_start_button())
        find.addWidget(self.results)
        self.start_button = QPushButton("Start session", find_box)
        self.start_button.setObjectName("primaryButton")
        self.start_button.setMinimumHeight(44)
        self.start_button.clicked.connect(self._start_session)
        find.addWidget(self.start_button)
        self.start_message = QLabel("", find_box)
        self.start_message.setObjectName("error")
        self.start_message.setWordWrap(True)
        find.addWidget(self.start_message)
        self.open_running_button = QPushButton("Open the session in progress", find_box)
        self.open_running_button.setMinimumHeight(44)
        self.open_running_button.setVisible(False)
        self.open_running_button.clicked.connect(self._open_running)
        find.addWidget(self.open_running_button)
        patients.addWidget(find_box, 1)

        register_box = QGroupBox("Register a new patient", self)
        form = QFormLayout(register_box)
        self.given_edit = self._line(form, "Given names")
        self.family_edit = self._line(form, "Family name")
        self.birth_edit = self._line(form, "Date of birth")
        self.birth_edit.setPlaceholderText("DD/MM/YYYY")
        self.number_edit = self._line(form, "Clinic number")
        self.register_button = QPushButton("Register patient", register_box)
        self.register_button.setMinimumHeight(44)
        self.register_button.clicked.connect(self._register)
        form.addRow(self.register_button)
        self.register_message = QLabel("", register_box)
        self.register_message.setObjectName("error")
        self.register_message.setWordWrap(True)
        form.addRow(self.register_message)
        patients.addWidget(register_box)
        layout.addLayout(patients, 1)

    def _line(self, form: QFormLayout, label: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setAccessibleName(label)
        edit.setMinimumHeight(44)
        edit.returnPressed.connect(self._register)
        form.addRow(label, edit)
        return edit

    # --- sessions in progress --------------------------------------------------------------------

    def activate(self) -> None:
        self.reload_sessions()
        self.search()
        self.timer.start()

    def deactivate(self) -> None:
        self.timer.stop()

    def reload_sessions(self) -> None:
        self.records = self.desk.sessions_in_progress()
        for button in self.session_buttons:
            self.sessions_layout.removeWidget(button)
            button.deleteLater()
        self.session_buttons = []
        for index, record in enumerate(self.records):
            button = QPushButton("", self)
            button.setObjectName("sessionCard")
            button.setMinimumHeight(88)
            button.clicked.connect(lambda _=False, sid=record.id: self.open_session_requested.emit(sid))
            self.sessions_layout.insertWidget(index, button)
            self.session_buttons.append(button)
        self.no_sessions.setVisible(not self.records)
        self.refresh_countdowns()

    def refresh_countdowns(self) -> None:
        now = self.clock.now()
        for record, button in zip(self.records, self.session_buttons, strict=True):
            state = record.state(now)
            phase = state.gel_phase(now)
            next_item = state.next_item()
            doing = f"Next: {next_item.item.label}" if next_item else "Ready to sign out"
            if phase is GelPhase.WAITING and state.countdown:
                doing = f"Gel working: {mm_ss(state.countdown.remaining(now))} left"
            elif phase is GelPhase.READY:
                doing = f"Ready for the laser room · {doing}"
            elif phase is GelPhase.REMOVE_NOW:
                doing = f"Remove the gel now · {doing}"
            text = session_card_text(record, doing)
            button.setText(text)
            button.setAccessibleName(text.replace("\n", ", "))
            button.setProperty("phase", phase.value)
            button.style().unpolish(button)
            button.style().polish(button)

    # --- patients --------------------------------------------------------------------------------

    def search(self) -> None:
        # A message about the last patient must not stay beside another patient's name.
        self.start_message.clear()
        self.open_running_button.setVisible(False)
        self.results.clear()
        for patient in self.desk.search_patients(self.search_edit.text()):
            self._add_result(patient)
        if self.results.count():
            self.results.setCurrentRow(0)
        self._update_start_button()

    def _add_result(self, patient: Patient) -> None:
        text = f"{patient.full_name} · born {local_date(patient.date_of_birth)} · {patient.clinic_number}"
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, patient.id)
        self.results.addItem(item)

    def _update_start_button(self) -> None:
        self.start_button.setEnabled(self.results.currentItem() is not None)

    def _register(self) -> None:
        staff = self.current_staff()
        if staff is None:
            self.register_message.setText("Choose who you are first.")
            return
        try:
            patient = self.desk.register_patient(
                self.given_edit.text(),
                self.family_edit.text(),
                self.birth_edit.text(),
                self.number_edit.text(),
                staff.id,
            )
        except DomainError as error:
            self.register_message.setText(str(error))
            return
        self.register_message.clear()
        for edit in (self.given_edit, self.family_edit, self.birth_edit, self.number_edit):
            edit.clear()
        self.search_edit.setText(patient.clinic_number)
        self.signals.patients_changed.emit()

    def _start_session(self) -> None:
        staff = self.current_staff()
        current = self.results.currentItem()
        if staff is None or current is None:
            return
        self.open_running_button.setVisible(False)
        try:
            record = self.desk.start_session(current.data(Qt.ItemDataRole.UserRole), staff.id)
        except SessionAlreadyInProgress as error:
            self.start_message.setText(str(error))
            self._running_session_id = error.session_id
            self.open_running_button.setVisible(True)
            return
        except DomainError as error:
            self.start_message.setText(str(error))
            return
        self.start_message.clear()
        self.signals.session_changed.emit(record.id)
        self.open_session_requested.emit(record.id)

    def _open_running(self) -> None:
        if self._running_session_id is not None:
            self.open_running_button.setVisible(False)
            self.start_message.clear()
            self.open_session_requested.emit(self._running_session_id)
