"""The main window: who is at the desk, the gel alerts on every page, and the pages in one stack.

It owns the app's one clock tick: every second it asks whether another desk changed the database,
then lets each page and the alerts recompute from stored instants.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QStackedWidget, QToolBar, QVBoxLayout, QWidget

from desk_app.domain.alerts import Alert
from desk_app.domain.clock import Clock
from desk_app.domain.errors import DomainError
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.alerts import AlertBanner, AlertCentre, Announcer, SystemAnnouncer
from desk_app.ui.checklist_page import ChecklistPage
from desk_app.ui.clinic_dialog import ClinicDetailsDialog
from desk_app.ui.context import DeskContext
from desk_app.ui.home_page import HomePage
from desk_app.ui.live_sessions import LiveSessions
from desk_app.ui.patient_page import PatientPage
from desk_app.ui.patients_page import PatientsPage
from desk_app.ui.signals import DeskSignals
from desk_app.ui.staff_pages import AddStaffPage, WhoAreYouPage
from desk_app.ui.widgets import message_label

TICK_MS = 1000


def _warm_up_reports() -> None:
    import desk_app.reports.session_view  # noqa: F401


class MainWindow(QMainWindow):
    def __init__(self, desk: Desk, clock: Clock, announcer: Announcer | None = None) -> None:
        super().__init__()
        self.desk = desk
        self.clock = clock
        self.signals = DeskSignals(self)
        self.staff: Staff | None = None
        self._database_busy = False
        self.demo = desk.is_demo()
        title = "Treatment Desk"
        self.setWindowTitle(f"{title} · DEMO: training data only" if self.demo else title)
        self.resize(1280, 860)

        self.sessions = LiveSessions(desk, clock, self.signals, self)
        self.alert_centre = AlertCentre(self.sessions, self)
        self.announcer = announcer or SystemAnnouncer(self)
        self.alert_centre.alert_raised.connect(self.announcer.announce)

        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        self.demo_label = QLabel("DEMO database: training data only, never for real patients.", central)
        self.demo_label.setObjectName("demoBanner")
        self.demo_label.setVisible(self.demo)
        column.addWidget(self.demo_label)
        self.banner = AlertBanner(self._acknowledge, central)
        self.alert_centre.alerts_changed.connect(self.banner.show_alerts)
        column.addWidget(self.banner)
        self.alert_message = message_label(central, visible=False)
        column.addWidget(self.alert_message)
        self.stack = QStackedWidget(central)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.add_staff_page = AddStaffPage(desk, self)
        self.who_page = WhoAreYouPage(desk, self)
        context = DeskContext(desk, self.signals, clock, self.current_staff)
        self.home_page = HomePage(context, self.sessions, self)
        self.checklist_page = ChecklistPage(context, self)
        self.patients_page = PatientsPage(context, self)
        self.patient_page = PatientPage(context, self)
        for page in (
            self.add_staff_page,
            self.who_page,
            self.home_page,
            self.checklist_page,
            self.patients_page,
            self.patient_page,
        ):
            self.stack.addWidget(page)
        self._session_opened_from: QWidget = self.home_page

        self.add_staff_page.done.connect(self.show_who)
        self.who_page.chosen.connect(self.set_staff)
        self.who_page.add_staff_requested.connect(self.show_add_staff)
        self.home_page.open_session_requested.connect(self.show_session)
        self.home_page.open_patient_requested.connect(self.show_patient)
        self.checklist_page.back_requested.connect(self._back_from_session)
        self.patients_page.open_patient_requested.connect(self.show_patient)
        self.patient_page.open_session_requested.connect(self.show_session)
        self.patient_page.back_requested.connect(self.show_patients)
        self._build_toolbar()

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        if desk.list_staff():
            self.show_who()
        else:
            self.show_add_staff()
        self.alert_centre.check()  # alerts that fell due while the app was closed: at once
        self.timer.start()
        # Jinja2 (for the summary at sign-out) loads once the window is up, not during a click.
        QTimer.singleShot(2000, _warm_up_reports)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main", self)
        toolbar.setMovable(False)
        self.addToolBar(toolbar)
        self.board_action = QAction("Board", self)
        self.board_action.setShortcut(QKeySequence("Ctrl+B"))
        self.board_action.setToolTip("Back to the board of patients in progress (Ctrl+B)")
        self.board_action.triggered.connect(self.show_home)
        toolbar.addAction(self.board_action)
        self.patients_action = QAction("Patients", self)
        self.patients_action.setShortcut(QKeySequence("Ctrl+P"))
        self.patients_action.setToolTip("Find a patient and their history (Ctrl+P)")
        self.patients_action.triggered.connect(self.show_patients)
        toolbar.addAction(self.patients_action)
        self.switch_action = QAction("Switch staff", self)
        self.switch_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.switch_action.setToolTip("Choose who is at the desk (Ctrl+Shift+S)")
        self.switch_action.triggered.connect(self.show_who)
        toolbar.addAction(self.switch_action)
        self.clinic_action = QAction("Clinic details", self)
        self.clinic_action.setShortcut(QKeySequence("Ctrl+Shift+D"))
        self.clinic_action.setToolTip(
            "The clinic's name, address, contact line and paper size for printing (Ctrl+Shift+D)"
        )
        self.clinic_action.triggered.connect(self.show_clinic_details)
        toolbar.addAction(self.clinic_action)
        self.staff_label = QLabel("", self)
        self.staff_label.setObjectName("staffLabel")
        self.staff_label.setAccessibleName("At the desk")
        toolbar.addWidget(self.staff_label)
        self._update_staff_label()

    # --- the clock tick --------------------------------------------------------------------------

    def tick(self) -> None:
        """Once a second: pick up other desks' changes, then recompute countdowns and alerts.

        A database that cannot be read is said on screen, and the tick goes on next second: the
        countdowns shown keep running from what was last read.
        """
        problem = None
        try:
            if self.desk.changed_elsewhere():
                self.signals.changed_elsewhere.emit()
        except DomainError as error:
            problem = str(error)
        self.signals.second_passed.emit()  # pages and alerts read no more than the sessions' cache
        self.alert_centre.check()
        problem = problem or self.sessions.error
        if problem:
            self.alert_message.setText(problem)
            self.alert_message.setVisible(True)
            self._database_busy = True
        elif self._database_busy:
            self.alert_message.setVisible(False)
            self._database_busy = False

    def _acknowledge(self, alert: Alert) -> None:
        staff = self.staff
        if staff is None:
            self.alert_message.setText("Choose who you are first, then acknowledge the alert.")
            self.alert_message.setVisible(True)
            return
        try:
            self.desk.acknowledge_alert(alert.session_id, alert.kind, staff.id)
        except DomainError as error:
            self.alert_message.setText(str(error))
            self.alert_message.setVisible(True)
            return
        self.alert_message.setVisible(False)
        self.signals.session_changed.emit(alert.session_id)
        self.alert_centre.check()

    # --- pages -----------------------------------------------------------------------------------

    def current_staff(self) -> Staff | None:
        return self.staff

    def show_clinic_details(self) -> None:
        if self.staff is None:
            self.show_who()
            return
        ClinicDetailsDialog(self, self.desk, self.staff).open()

    def _update_staff_label(self) -> None:
        staff = self.staff
        self.staff_label.setText(f"  At the desk: {staff.name} ({staff.initials})" if staff else "")
        self.board_action.setEnabled(staff is not None)
        self.patients_action.setEnabled(staff is not None)

    def show_add_staff(self) -> None:
        self.checklist_page.close_session()
        self.add_staff_page.refresh()
        self.stack.setCurrentWidget(self.add_staff_page)
        self.add_staff_page.name.setFocus()

    def show_who(self) -> None:
        self.checklist_page.close_session()
        self.who_page.refresh()
        self.stack.setCurrentWidget(self.who_page)

    def set_staff(self, staff: Staff) -> None:
        self.staff = staff
        self.alert_message.setVisible(False)
        self._update_staff_label()
        self.show_home()

    def show_home(self) -> None:
        if self.staff is None:
            self.show_who()
            return
        self.checklist_page.close_session()
        self.home_page.activate()
        self.stack.setCurrentWidget(self.home_page)
        self.home_page.search_edit.setFocus()

    def show_session(self, session_id: int) -> None:
        if self.stack.currentWidget() is not self.checklist_page:
            self._session_opened_from = self.stack.currentWidget()
        from_patient = self._session_opened_from is self.patient_page
        self.checklist_page.back_button.setText("Back to patient" if from_patient else "Back to board")
        self.checklist_page.open_session(session_id)
        self.stack.setCurrentWidget(self.checklist_page)

    def _back_from_session(self) -> None:
        if self._session_opened_from is self.patient_page and self.patient_page.patient is not None:
            self.show_patient(self.patient_page.patient.id)
        else:
            self.show_home()

    def show_patients(self) -> None:
        if self.staff is None:
            self.show_who()
            return
        self.checklist_page.close_session()
        self.patients_page.search()
        self.stack.setCurrentWidget(self.patients_page)
        self.patients_page.search_edit.setFocus()

    def show_patient(self, patient_id: int) -> None:
        self.checklist_page.close_session()
        self.patient_page.open_patient(patient_id)
        self.stack.setCurrentWidget(self.patient_page)
