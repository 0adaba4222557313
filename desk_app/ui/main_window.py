"""The main window: who is at the desk, the gel alerts on every page, and the pages in one stack.

It owns the app's one clock tick: every second it asks whether another desk changed the database,
then lets each page and the alerts recompute from stored instants.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from enum import Enum, auto
from functools import cached_property
from typing import TYPE_CHECKING, Protocol, TypeVar, cast, runtime_checkable

from PySide6.QtCore import QRect, QSize, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QKeyEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.alerts import Alert
from desk_app.domain.clinic import ClinicDetails
from desk_app.domain.clock import Clock
from desk_app.domain.errors import DomainError
from desk_app.domain.people import Role, Staff
from desk_app.store.desk import Desk
from desk_app.store.transactions import on_server
from desk_app.ui.alerts import AlertBanner, AlertCentre, Announcer, SystemAnnouncer
from desk_app.ui.app_events import AppEvents
from desk_app.ui.backups import BackupKeeper, CheckpointKeeper
from desk_app.ui.context import DeskContext
from desk_app.ui.db_worker import (
    LATER,
    STOP_WAIT_SECONDS,
    DatabaseWorker,
    OnWorker,
    for_a_thread_of_its_own,
    out_of_touch_text,
    slow_text,
)
from desk_app.ui.help_sheet import FOLLOW_UP_KEYS, HELP_KEYS, HelpSheet
from desk_app.ui.idle import IdleWatcher
from desk_app.ui.live_sessions import LiveSessions
from desk_app.ui.lock_key import LockKeyInDialogs
from desk_app.ui.plain_text import make_label_plain
from desk_app.ui.saving import ReadFirst
from desk_app.ui.signals import DeskSignals
from desk_app.ui.staff_pages import FirstAdministratorPage, SignInMode, SignInPage
from desk_app.ui.widgets import announce, ask, message_label

if TYPE_CHECKING:  # the pages after the sign-in screen: imported when first opened
    from desk_app.domain.session import SessionRecord
    from desk_app.ui.checklist_page import ChecklistPage
    from desk_app.ui.clinic_dialog import ClinicSettings
    from desk_app.ui.devices_page import LaserDevicesPage
    from desk_app.ui.follow_up import FollowUpCallsPage
    from desk_app.ui.home_page import HomePage
    from desk_app.ui.patient_page import PatientPage
    from desk_app.ui.patients_page import PatientsPage
    from desk_app.ui.register_page import LaserRegisterPage
    from desk_app.ui.staff_admin import StaffAdminPage

log = logging.getLogger(__name__)

TICK_MS = 1000
PREFERRED_SIZE = QSize(1280, 860)
TITLE_BAR = 40  # room the system's title bar takes above a window, at most, on the clinic's desktops
ACKNOWLEDGE_KEYS = "Ctrl+Shift+K"  # not Ctrl+K: a text field deletes to the end of its line with it
CLOSING_GRACE_SECONDS = 0.5  # at closing, a write just asked is given this long before asking
UNANSWERED_WAIT_SECONDS = 0.5  # closing without what the database has not answered: the sign-out's chance
SHUTDOWN_WAIT_SECONDS = 3.0  # the PC shutting down: what was saved gets this long to be written
CLOSE_WITHOUT = "Close without them"
WAIT_FOR_SAVES = "Wait until saved"


class Closing(Enum):
    """Where closing stands while the database has not answered what the nurse saved."""

    NOT_ASKED = auto()
    ASKING = auto()
    WHEN_SAVED = auto()  # the window closes by itself once they are saved
    ANYWAY = auto()


NO_LASER_OPERATOR = "No one is an authorised laser operator today: grant it on the Staff page (Ctrl+Shift+A)."


def _warm_up_reports() -> None:
    import desk_app.reports.session_view  # noqa: F401


def _first_reads(desk: Desk) -> tuple[bool, bool]:
    """What the window reads before its first screen: whether the database is a demo, whether it has
    an administrator (else the first one is made). First, the first look for other desks' changes
    marks where this desk starts: another desk's write from now on, even one before the first
    second's tick, reloads what the pages are about to read."""
    with contextlib.suppress(DomainError):
        desk.changed_elsewhere()
    return desk.database.is_demo(), desk.accounts.has_administrator()


PageT = TypeVar("PageT", bound=QWidget)


@runtime_checkable
class ForgetsPatients(Protocol):
    def forget(self) -> None:
        """Empty every text that names a patient: the screen is locking."""


class MainWindow(QMainWindow):
    def __init__(
        self,
        desk: Desk,
        clock: Clock,
        announcer: Announcer | None = None,
        backups: BackupKeeper | CheckpointKeeper | None = None,
    ) -> None:
        super().__init__()
        # The worker alone talks to the database; the pages' desk runs each method there (OnWorker).
        self.worker = DatabaseWorker(desk.db, clock, self)
        self.desk = cast("Desk", OnWorker(desk, self.worker))
        # The once-a-second look for other desks' changes: on a server, on a thread and connection of
        # its own, so a nurse's click never waits behind it; on a file (no network), on the worker.
        server = on_server(desk.db)
        self.look_worker = DatabaseWorker(desk.db, clock, self, self.worker) if server else self.worker
        self.clock = clock
        # One wait on the worker, not three, before the first screen (a start waits on each).
        self.demo, has_administrator = self.worker.call(_first_reads, desk)
        self._closing = Closing.NOT_ASKED  # closing while the database has not answered writes
        self._unsaved_when_asked = 0  # the worker's refused or failed writes when the nurse chose
        self._looking_elsewhere = False  # a look for other desks' changes is on the worker
        self._look_problem: str | None = None  # why the last look failed
        self.signals = DeskSignals(self)
        self.signals.changed_elsewhere.connect(self._read_idle_limit)  # another desk's Clinic details
        self.signals.changed_elsewhere.connect(self._another_desk_wrote)
        self.signals.not_saved.connect(self._not_saved)
        self.staff: Staff | None = None
        self.backups = backups
        self.idle = IdleWatcher(clock)
        self.lock_key: LockKeyInDialogs | None = None  # made with the tool bar's lock action
        self.app_events = AppEvents(
            self, used=self.idle.touch, polished=make_label_plain, key_pressed=self._lock_key_pressed
        )
        self.locked = False  # the screen locked itself or was locked: no record shows until a PIN
        # Switch staff was pressed: the desk is handed over, and until the next PIN nobody is at it
        # (the keys and alert buttons act for nobody; the pages behind are emptied as on a lock).
        self.switching = False
        self.idle_limit = timedelta(minutes=ClinicDetails().idle_lock_minutes)
        self._database_busy = False
        title = "Treatment Desk"
        self.setWindowTitle(f"{title} · DEMO: training data only" if self.demo else title)
        self.resize(PREFERRED_SIZE)  # until the app fits it to its screen (fit_to_screen)

        self.sessions = LiveSessions(self.desk, self.look_worker, clock, self.signals, self)
        self.alert_centre = AlertCentre(self.sessions, self)
        self.announcer = announcer or SystemAnnouncer(self)
        self.alert_centre.alert_raised.connect(self.announcer.announce)

        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)  # the lines above the pages are flush: the pages keep the room
        self.demo_label = QLabel("DEMO database: training data only, never for real patients.", central)
        self.demo_label.setObjectName("demoBanner")
        self.demo_label.setVisible(self.demo)
        column.addWidget(self.demo_label)
        self.contact_banner = message_label(central, visible=False)
        self.contact_banner.setContentsMargins(8, 4, 8, 4)
        column.addWidget(self.contact_banner)
        self.banner = AlertBanner(self._acknowledge, central)
        self.banner.private = True  # nobody is signed in yet
        self.alert_centre.alerts_changed.connect(self.banner.show_alerts)
        column.addWidget(self.banner)
        self.not_saved_message = message_label(central, visible=False)
        self.not_saved_message.setContentsMargins(8, 2, 8, 2)
        column.addWidget(self.not_saved_message)
        self.alert_message = message_label(central, visible=False)
        self.alert_message.setContentsMargins(8, 2, 8, 2)
        column.addWidget(self.alert_message)
        self.laser_notice = message_label(central, visible=False)
        self.laser_notice.setText(NO_LASER_OPERATOR)
        self.laser_notice.setContentsMargins(8, 4, 8, 4)
        column.addWidget(self.laser_notice)
        self.stack = QStackedWidget(central)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.sign_in_page = SignInPage(self.desk, self.worker, self)
        self.reads_register = False  # who is at the desk may read the laser register (read at sign-in)
        self.context = DeskContext(self.desk, self.signals, clock, self.current_staff, self.worker)
        self.sessions.read.connect(self._sessions_read)
        # The first screen is the sign-in page: the board and the other pages are built, and their
        # modules imported, when first opened (the cached properties below): the window opens sooner.
        self.stack.addWidget(self.sign_in_page)
        self._session_opened_from: QWidget | None = None  # the page a session was opened from

        self.sign_in_page.signed_in.connect(self.set_staff)
        self._build_toolbar()
        self.lock_key = LockKeyInDialogs(self.lock_action, self)

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        if has_administrator:
            self.show_sign_in()
        else:
            self.show_first_administrator()
        self.alert_centre.check()  # alerts that fell due while the app was closed: at once
        self._watch_the_app()
        self.timer.start()
        # Jinja2 (for the summary at sign-out) loads once the window is up, not during a click.
        QTimer.singleShot(2000, _warm_up_reports)

    def _watch_the_app(self) -> None:
        """Install the app's event filter once the first screen is made, not before: Qt would call it
        for each of the thousands of events of their making (some 15 ms of every start), and nobody
        can use a window not yet shown. The labels made so far, some polished already (a layout
        measured them), are made plain here; every later one when Qt first polishes it."""
        for label in self.findChildren(QLabel):
            make_label_plain(label)
        app = QApplication.instance()
        assert app is not None  # a window is made in a running application
        app.installEventFilter(self.app_events)

    # --- pages built when first opened ------------------------------------------------------------

    def _stacked(self, page: PageT) -> PageT:
        self.stack.addWidget(page)
        return page

    def _opened_before(self, name: str) -> QWidget | None:
        """The page of the cached property `name` if it was ever opened; never builds it."""
        page = self.__dict__.get(name)
        return page if isinstance(page, QWidget) else None

    @cached_property
    def home_page(self) -> HomePage:
        from desk_app.ui.home_page import HomePage

        page = HomePage(self.context, self.sessions, self)
        page.open_session_requested.connect(self.show_session)
        page.open_patient_requested.connect(self.show_patient)
        page.follow_up_calls_requested.connect(self.show_follow_up_calls)
        return self._stacked(page)

    @cached_property
    def first_admin_page(self) -> FirstAdministratorPage:
        page = FirstAdministratorPage(self.desk, self.worker, self)  # only a new clinic needs it
        page.done.connect(self.set_staff)
        page.administrator_exists.connect(self.show_sign_in)
        return self._stacked(page)

    @cached_property
    def checklist_page(self) -> ChecklistPage:
        from desk_app.ui.checklist_page import ChecklistPage

        page = ChecklistPage(self.context, self)
        page.back_requested.connect(self._back_from_session)
        return self._stacked(page)

    def _close_session(self) -> None:
        """Close the session the checklist shows, if the checklist was ever opened."""
        if (checklist := self._opened_before("checklist_page")) is not None:
            cast("ChecklistPage", checklist).close_session()

    @cached_property
    def patients_page(self) -> PatientsPage:
        from desk_app.ui.patients_page import PatientsPage

        page = PatientsPage(self.context, self)
        page.open_patient_requested.connect(self.show_patient)
        return self._stacked(page)

    @cached_property
    def patient_page(self) -> PatientPage:
        from desk_app.ui.patient_page import PatientPage

        page = PatientPage(self.context, self)
        page.open_session_requested.connect(self.show_session)
        page.back_requested.connect(self.show_patients)
        return self._stacked(page)

    @cached_property
    def follow_up_page(self) -> FollowUpCallsPage:
        from desk_app.ui.follow_up import FollowUpCallsPage

        page = FollowUpCallsPage(self.context, self)
        page.back_requested.connect(self.show_home)
        return self._stacked(page)

    @cached_property
    def staff_admin_page(self) -> StaffAdminPage:
        from desk_app.ui.staff_admin import StaffAdminPage

        page = StaffAdminPage(self.context, self)
        page.back_requested.connect(self.show_home)
        page.staff_changed.connect(self._read_laser_operators)
        return self._stacked(page)

    @cached_property
    def devices_page(self) -> LaserDevicesPage:
        from desk_app.ui.devices_page import LaserDevicesPage

        page = LaserDevicesPage(self.context, self)
        page.back_requested.connect(self.show_home)
        return self._stacked(page)

    @cached_property
    def register_page(self) -> LaserRegisterPage:
        # With it come Jinja2, the reports and Qt's print support: none of them at the start.
        from desk_app.ui.register_page import LaserRegisterPage

        page = LaserRegisterPage(self.context, self)
        page.back_requested.connect(self.show_home)
        return self._stacked(page)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main", self)
        toolbar.setMovable(False)
        self.addToolBar(toolbar)

        # The administrators' pages share one button: on a 1366 px screen the tool bar must keep
        # room for who is at the desk.
        admin_menu = QMenu("Administration", self)

        def action(
            text: str, keys: str, tip: str, slot: Callable[[], None], into: QToolBar | QMenu = toolbar
        ) -> QAction:
            made = QAction(text, self)
            made.setShortcut(QKeySequence(keys))
            made.setToolTip(f"{tip} ({keys})")
            made.triggered.connect(slot)
            into.addAction(made)
            if into is admin_menu:
                self.addAction(made)  # its shortcut works with the menu closed
            return made

        self.board_action = action(
            "Board", "Ctrl+B", "Back to the board of patients in progress", self.show_home
        )
        self.patients_action = action(
            "Patients", "Ctrl+P", "Find a patient and their history", self.show_patients
        )
        # Not on the tool bar, full at 1366 px: the board's button and this key open the calls due.
        self.follow_up_action = QAction("Follow-up calls", self)
        self.follow_up_action.setShortcut(QKeySequence(FOLLOW_UP_KEYS))
        self.follow_up_action.triggered.connect(self.show_follow_up_calls)
        self.addAction(self.follow_up_action)
        self.switch_action = action(
            "Switch staff", "Ctrl+Shift+S", "Another member of staff steps up: their PIN", self.show_switch
        )
        self.lock_action = action(
            "Lock", "Ctrl+L", "Lock the screen when you step away", lambda: self.lock(idle=False)
        )
        self.sign_out_action = action(
            "Sign out", "Ctrl+Shift+Q", "Sign out: the next person signs in", self.sign_out
        )
        self.staff_action = action(
            "Staff",
            "Ctrl+Shift+A",
            "Administrators: add staff, roles, passwords, unlock",
            self.show_staff_admin,
            admin_menu,
        )
        self.devices_action = action(
            "Laser devices",
            "Ctrl+Shift+L",
            "Administrators: the clinic's lasers, their eyewear, LPA and service dates",
            self.show_devices,
            admin_menu,
        )
        self.register_action = action(
            "Laser register",
            "Ctrl+Shift+R",
            "Administrators and laser operators: every laser exposure, saved as CSV or PDF",
            self.show_register,
            admin_menu,
        )
        self.clinic_action = action(
            "Clinic details",
            "Ctrl+Shift+D",
            "The clinic's name, address, contact line, paper size and screen lock",
            self.show_clinic_details,
            admin_menu,
        )
        # Off the tool bar: the alert lines have their buttons; these keys work on every page.
        self.acknowledge_action = QAction("Acknowledge the top alert", self)
        self.acknowledge_action.setShortcut(QKeySequence(ACKNOWLEDGE_KEYS))
        self.acknowledge_action.setToolTip(
            f"The first alert line (gel to remove now first, then the one due longest) ({ACKNOWLEDGE_KEYS})"
        )
        self.acknowledge_action.triggered.connect(self.acknowledge_top_alert)
        self.addAction(self.acknowledge_action)
        self.help_action = QAction("Keys and screens", self)
        self.help_action.setShortcut(QKeySequence(HELP_KEYS))
        self.help_action.setToolTip(f"Every keyboard shortcut and what each screen is for ({HELP_KEYS})")
        self.help_action.triggered.connect(self.show_help)
        self.addAction(self.help_action)
        self.help_sheet: HelpSheet | None = None
        self.admin_button = QToolButton(self)
        self.admin_button.setText("Administration")
        self.admin_button.setAccessibleName("Administration: staff, laser devices, clinic details")
        self.admin_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.admin_button.setMenu(admin_menu)
        self.admin_tool = toolbar.addWidget(self.admin_button)
        self.staff_label = QLabel("", self)
        self.staff_label.setObjectName("staffLabel")
        self.staff_label.setContentsMargins(12, 0, 12, 0)  # its text is what a screen reader says
        toolbar.addWidget(self.staff_label)
        self._update_staff_label()

    # --- the clock tick --------------------------------------------------------------------------

    def tick(self) -> None:
        """Once a second: the board, its alerts and the locked screen worked out once, at one instant."""
        with self.sessions.one_instant():
            self._tick()

    def _tick(self) -> None:
        """Pick up other desks' changes, then recompute countdowns and alerts.

        The look runs on a database worker and nothing here waits for it: a database that is slow
        or cannot be read is said on screen, and the countdowns, alerts and idle lock keep running
        from what was last read. What it finds is read again on the worker (LiveSessions), after
        what this desk saved.
        """
        if not self._looking_elsewhere:  # one look at a time: a stalled server is not asked again
            self._looking_elsewhere = True
            look = for_a_thread_of_its_own(self.desk).changed_elsewhere  # on the look's worker
            self.look_worker.submit(look, self._looked_elsewhere, self._look_failed, LATER)
        self._show_contact()
        self.sessions.read_if_stale()  # after a failed read: asked again once a second
        self.signals.second_passed.emit()  # pages and alerts read no more than the sessions' cache
        self.alert_centre.check()
        if self.backups is not None:
            self.backups.tick()
        if self.idle.idle_for() >= self.idle_limit:
            if self.current_staff() is not None:  # switching staff: nobody is at the desk to lock out
                self.lock(idle=True)
            self.sign_in_page.forget_pin_change()  # one left open on the lock screen: nobody's to finish
        if self.locked:
            from desk_app.ui.home_page import locked_card_line  # imported with the board, at sign-in

            now = self.clock.now()
            lines = [locked_card_line(card, now) for card in self.sessions.cards()]
            self.sign_in_page.locked_board.setText("\n".join(lines) or "No patients in progress.")
        self._show_database_problem()
        if self._closing is Closing.WHEN_SAVED:
            self._close_when_saved()

    def _show_database_problem(self) -> None:
        """Why the records could not be read or backed up, above every page, until they can."""
        backup_problem = self.backups.problem if self.backups is not None else None
        problem = self._look_problem or backup_problem or self.sessions.error
        if problem:
            self.alert_message.setText(problem)
            self.alert_message.setVisible(True)
            self._database_busy = True
        elif self._database_busy:
            self.alert_message.setVisible(False)
            self._database_busy = False

    def _sessions_read(self) -> None:
        """New records from the database (or a failure to read them): the board and the alerts show
        them now, not next second."""
        if (board := self._opened_before("home_page")) is not None and board.isVisible():
            cast("HomePage", board).refresh_board()
        self.alert_centre.check()
        self._show_database_problem()

    def _looked_elsewhere(self, changed: bool) -> None:
        self._looking_elsewhere, self._look_problem = False, None
        if changed:
            self.signals.changed_elsewhere.emit()
            self.alert_centre.check()  # the board and alerts are read again now, not next second
        self._show_database_problem()

    def _look_failed(self, error: DomainError) -> None:
        self._looking_elsewhere, self._look_problem = False, str(error)
        self._show_database_problem()

    def _show_contact(self) -> None:
        """The banner that says the desk is out of touch with the records, and since when; or that
        they answer so slowly that what was saved a while ago is not saved yet."""
        # The look's worker's answers count too: the two workers share their contact.
        if (since := self.worker.out_of_touch_since()) is not None:
            text = out_of_touch_text(since)
        elif (asked := self.worker.slow_since()) is not None:
            text = slow_text(asked)
        else:
            text = ""
        if text == self.contact_banner.text():
            return
        self.contact_banner.setText(text)
        self.contact_banner.setVisible(bool(text))
        self.contact_banner.setAccessibleName(text)
        if text:  # said once when it appears (and when the time changes), not every second
            announce(self.contact_banner, text)

    def _lock_key_pressed(self, event: QKeyEvent) -> bool:
        return self.lock_key is not None and self.lock_key.pressed(event)

    def acknowledge_top_alert(self) -> None:
        """The acknowledge key: the first line of the alerts, the most urgent and then the oldest."""
        if self.banner.alerts:
            self._acknowledge(self.banner.alerts[0])

    def _acknowledge(self, alert: Alert) -> None:
        """Saved on the worker: the line's button reads "Saving…" until the commit returns, and the
        line goes only then (a second press meanwhile asks nothing more)."""
        staff = self.current_staff()  # a locked screen names nobody, and nobody acknowledges there
        if staff is None:
            self.alert_message.setText("Choose who you are first, then acknowledge the alert.")
            self.alert_message.setVisible(True)
            return
        if alert.key in self.banner.acknowledging:
            return
        self.banner.show_acknowledging(alert, True)
        focus = QApplication.focusWidget()
        from_banner = focus is not None and self.banner.isAncestorOf(focus)
        desk, staff_id = self.desk, staff.id

        def acknowledged(record: SessionRecord) -> None:
            self.banner.show_acknowledging(alert, False)
            self.alert_message.setVisible(False)
            self.signals.session_saved.emit(record)  # the acknowledged line goes now, not after a read
            self.signals.session_changed.emit(alert.session_id)
            self.alert_centre.check()
            if from_banner:  # once the new lines are shown (the next turn of the event loop)
                QTimer.singleShot(0, self._focus_after_acknowledging)

        def refused(error: DomainError) -> None:
            self.banner.show_acknowledging(alert, False)
            self.alert_message.setText(str(error))
            self.alert_message.setVisible(True)

        self.worker.submit(
            lambda: desk.sessions.acknowledge_alert(alert.session_id, alert.kind, staff_id),
            acknowledged,
            refused,
            what="Acknowledging an alert",  # its words name the patient
        )

    def _focus_after_acknowledging(self) -> None:
        """The Acknowledge pressed by keyboard went with its line: the keyboard goes to the next
        line's, or back into the page where it was, never nowhere."""
        buttons = [b for b in self.banner.findChildren(QPushButton) if b.isVisibleTo(self.banner)]
        if self.current_staff() is None:
            return
        if buttons:
            buttons[0].setFocus(Qt.FocusReason.TabFocusReason)
        elif (checklist := self._opened_before("checklist_page")) is not None and (
            self.stack.currentWidget() is checklist
        ):
            cast("ChecklistPage", checklist).focus_next_item()
        elif (page := self.stack.currentWidget()) is not None and (last := page.focusWidget()) is not None:
            last.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- pages -----------------------------------------------------------------------------------

    def current_staff(self) -> Staff | None:
        return None if self.locked or self.switching else self.staff

    def _read_idle_limit(self) -> None:
        """The clinic's idle-lock minutes, read at each sign-in, after Clinic details is saved and when
        another desk writes (not every second); on the worker: the limit known stands meanwhile."""

        def read(details: ClinicDetails) -> None:
            self.idle_limit = timedelta(minutes=details.idle_lock_minutes)

        def not_read(_error: DomainError) -> None:
            read(ClinicDetails())

        self.worker.submit(self.desk.clinic.clinic_details, read, not_read, LATER)

    def _read_laser_operators(self) -> None:
        """Tell an administrator when nobody may use the laser today. Read when an administrator signs in
        and when the Staff page changes someone; not every second, nor for others (it reads every
        member of staff, and a refused laser item says the same to a nurse when it matters)."""
        if not self._is_administrator():
            self.laser_notice.setVisible(False)
            return

        def read(operators: list[Staff]) -> None:
            if self._is_administrator():  # still: the line is for an administrator
                self.laser_notice.setVisible(not operators)

        # A failure (a busy database: the tick says so) leaves the line as it was.
        self.worker.submit(self.desk.operators.authorised_operators, read, lambda _error: None, LATER)

    def _another_desk_wrote(self) -> None:
        """Another desk may have granted the first authorisation: look again while the line is up."""
        if not self.laser_notice.isHidden():
            self._read_laser_operators()

    def _is_administrator(self) -> bool:
        staff = self.current_staff()  # nobody while locked or switching staff
        return staff is not None and staff.role is Role.ADMINISTRATOR

    def show_clinic_details(self) -> None:
        if self._is_administrator():
            assert self.staff is not None  # an administrator is signed in
            from desk_app.ui.clinic_dialog import read_clinic_settings  # imported when first opened

            staff, desk = self.staff, self.desk
            self._clinic_details_read(
                lambda: read_clinic_settings(desk),
                lambda settings: self._open_clinic_details(staff, settings),
                lambda error: self._not_saved(f"Clinic details could not be read. {error}"),
                lambda: self.current_staff() == staff,  # still signed in (not locked meanwhile)
            )

    @cached_property
    def _clinic_details_read(self) -> ReadFirst:
        return ReadFirst(self.worker)

    def _open_clinic_details(self, staff: Staff, settings: ClinicSettings) -> None:
        from desk_app.ui.clinic_dialog import ClinicDetailsDialog

        dialog = ClinicDetailsDialog(self, self.context, staff, settings)
        dialog.accepted.connect(self._read_idle_limit)
        dialog.open()

    def show_staff_admin(self) -> None:
        if self._is_administrator():
            self._close_session()
            self.staff_admin_page.refresh()
            self.stack.setCurrentWidget(self.staff_admin_page)

    def show_devices(self) -> None:
        if self._is_administrator():
            self._close_session()
            self.devices_page.refresh()
            self.stack.setCurrentWidget(self.devices_page)

    def show_register(self) -> None:
        if self._shows_register():
            self._close_session()
            self.register_page.open()
            self.stack.setCurrentWidget(self.register_page)

    def _read_register_access(self) -> None:
        """Whether who signs in may read the laser register: an administrator, or an operator whose
        authorisation holds today (the store checks again at each read and export)."""
        staff = self.staff
        self.reads_register = False  # until the answer; a failure (a busy database: the tick says so)
        if staff is None:
            return

        def read(may: bool) -> None:
            if self.staff is staff:  # the same member is still signed in
                self.reads_register = may
                self._update_staff_label()

        self.worker.submit(
            lambda: self.desk.laser_register.may_read_register(staff.id), read, lambda _error: None, LATER
        )

    def _shows_register(self) -> bool:
        """An administrator always finds the register (a read at sign-in that failed must not hide
        it); an operator when sign-in found the authorisation holding. The page asks the store again."""
        return self.current_staff() is not None and (self._is_administrator() or self.reads_register)

    def _update_staff_label(self) -> None:
        staff = self.staff
        if self.locked:
            self.staff_label.setText("Locked")
        elif self.switching:
            self.staff_label.setText("Switching staff")
        else:
            self.staff_label.setText(f"At the desk: {staff.name} ({staff.initials})" if staff else "")
        working = self.current_staff() is not None
        for action in (
            self.board_action,
            self.patients_action,
            self.follow_up_action,
            self.switch_action,
            self.lock_action,
            self.acknowledge_action,
        ):
            action.setEnabled(working)
        self.sign_out_action.setEnabled(staff is not None)
        for action in (self.staff_action, self.devices_action, self.clinic_action):
            action.setVisible(self._is_administrator())
        # An authorised laser operator finds the register under the same button, alone there.
        reads_register = self._shows_register()
        self.register_action.setVisible(reads_register)
        self.admin_tool.setVisible(self._is_administrator() or reads_register)
        self.admin_button.setAccessibleName(
            "Administration: staff, laser devices, laser register, clinic details"
            if self._is_administrator()
            else "Administration: laser register"
        )
        # Nobody proven at the desk: alerts name patients by first name and initial only.
        private = self.current_staff() is None
        if self.banner.private != private:
            self.banner.private = private
            self.alert_centre.check(force=True)

    def show_first_administrator(self) -> None:
        self._close_session()
        self.stack.setCurrentWidget(self.first_admin_page)
        self.first_admin_page.form.name.setFocus()

    def show_sign_in(self) -> None:
        """Nobody at the desk: a password is needed."""
        self._close_session()
        self.sign_in_page.open(SignInMode.PASSWORD)
        self.stack.setCurrentWidget(self.sign_in_page)

    def show_switch(self) -> None:
        """Someone else steps up to the desk: their PIN. Until then nobody is at it: whoever was
        cannot be acted for (an alert acknowledged in their name), and no record stays behind."""
        if self.current_staff() is None:
            return
        self.switching = True
        self._close_dialogs()
        self._close_session()
        self._forget_patients()
        self.sign_in_page.open(SignInMode.PIN)
        self.stack.setCurrentWidget(self.sign_in_page)
        self._update_staff_label()

    def lock(self, idle: bool) -> None:
        """Hide every record: the lock screen names patients by first name only; countdowns go on."""
        if self.staff is None or self.locked:
            return
        # Hide first, write after: a busy database must not keep a record on screen.
        self.locked = True
        self._close_dialogs()
        self._close_session()
        self.stack.setCurrentWidget(self.sign_in_page)
        self._forget_patients()
        self._update_staff_label()
        self.sign_in_page.open(SignInMode.LOCKED, self.staff)
        self.tick()
        staff_id = self.staff.id
        self.worker.submit(  # the screen is locked already, whatever the database does
            lambda: self.desk.accounts.record_screen_lock(staff_id, idle),
            failed=lambda error: self._not_saved(f"The lock was not recorded. {error}"),
        )

    def _forget_patients(self) -> None:
        """Nobody proven at the desk: every page empties what names a patient. Hidden behind the
        sign-in page is not enough: the accessibility bus reads hidden widgets too. A page is
        refilled when it is next opened."""
        for page in self._pages():
            # Not every page names patients (the sign-in page, the Staff page...): those need no forget().
            if isinstance(page, ForgetsPatients):
                page.forget()

    def _pages(self) -> Iterator[QWidget | None]:
        for index in range(self.stack.count()):
            yield self.stack.widget(index)

    def fit_to_screen(self, available: QRect | None = None) -> None:
        """Open at the preferred size, centred, where the screen has room for it (with a title bar);
        maximised on a smaller screen (1366x768, or 1920x1080 at 150%). `available`: the screen's
        room less its task bar, by default that of the screen the window is on."""
        room = available if available is not None else self.screen().availableGeometry()
        if room.width() < PREFERRED_SIZE.width() or room.height() < PREFERRED_SIZE.height() + TITLE_BAR:
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
            return
        self.resize(PREFERRED_SIZE)
        frame = self.frameGeometry()
        frame.moveCenter(room.center())
        self.move(frame.topLeft())

    def show_help(self) -> None:
        """F1: every key and what each screen is for, beside the window (it does not block it)."""
        if self.help_sheet is None:
            self.help_sheet = HelpSheet(self)
        _ = self.checklist_page  # built now if not yet: the sheet lists its keys (Ctrl+J) too
        self.help_sheet.refresh()
        self.help_sheet.show()
        self.help_sheet.raise_()
        self.help_sheet.activateWindow()

    def _close_dialogs(self) -> None:
        """An open dialog (a print preview, a new password) would outlive the lock: close them all."""
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                widget.reject()
        if self._closing is Closing.ASKING:  # the question closed unanswered: asked again at closing
            self._closing = Closing.NOT_ASKED

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing the app signs out whoever is at the desk (in the audit trail too) and backs up.
        What the nurse saved and the database has not answered yet is asked about first."""
        if self._closing is not Closing.ANYWAY and self._still_saving():
            event.ignore()
            return
        if self.staff is not None:
            staff_id = self.staff.id
            # Queued behind what is saving; closing does not wait on it beyond the worker's stop.
            self.worker.submit(lambda: self.desk.accounts.record_sign_out(staff_id))
            self.staff = None
        # What was queued is written first (within STOP_WAIT_SECONDS; a moment when the nurse chose
        # to close without what the database did not answer).
        anyway = self._closing is Closing.ANYWAY
        if self.look_worker is not self.worker:
            self.look_worker.stop(0)  # a look at most: a read, never worth a wait
        self.worker.stop(UNANSWERED_WAIT_SECONDS if anyway else STOP_WAIT_SECONDS)
        if self.backups is not None and not anyway:
            self.backups.at_exit()
        elif anyway:  # it would wait on the records that do not answer; the day's backup stands
            log.warning("No closing backup: the clinic's records did not answer at closing")
        super().closeEvent(event)

    def shut_down(self) -> None:
        """The PC is shutting down or its session ends (ui/shutdown.py): closed as the close button
        closes, but with no question, since nobody may be there to answer it. What was saved gets a
        few seconds to be written; closed without what the records have not answered by then."""
        self._close_dialogs()
        if not self.worker.wait_until_drained(SHUTDOWN_WAIT_SECONDS):
            self._closing = Closing.ANYWAY
        self.close()

    def _still_saving(self) -> bool:
        """Whether closing must wait: after a moment's grace (a tick just pressed is saved in
        milliseconds), the writes the database has not answered are listed, and the nurse chooses
        to wait for them (the window closes by itself once they are saved) or to close without."""
        self.worker.wait_until_drained(CLOSING_GRACE_SECONDS)
        unsaved = self.worker.still_saving()
        if not unsaved:
            return False
        if self._closing is not Closing.ASKING:
            self._closing = Closing.ASKING
            listed = "".join(f"\n• {what}" for what in unsaved)
            ask(
                self,
                QMessageBox.Icon.Warning,
                "Still saving",
                f"The clinic's records have not answered yet; not saved so far:{listed}\n\nWait, and the "
                "window closes by itself once they are saved; or close now without them (do them again "
                "after).",
                CLOSE_WITHOUT,
                WAIT_FOR_SAVES,
                self._close_answered,
            )
        return True

    def _close_answered(self, close_anyway: bool) -> None:
        self._closing = Closing.ANYWAY if close_anyway else Closing.WHEN_SAVED
        self._unsaved_when_asked = self.worker.unsaved
        if close_anyway:
            self.close()

    def _close_when_saved(self) -> None:
        """Waiting to close until the writes are saved: closed once they are; but a write refused
        or failed meanwhile keeps the window open, its refusal on screen (the nurse does it again
        or closes again), never closed away unseen."""
        if self.worker.unsaved > self._unsaved_when_asked:
            self._closing = Closing.NOT_ASKED
        elif not self.worker.still_saving():
            self.close()

    def sign_out(self) -> None:
        if self.staff is not None:
            staff_id = self.staff.id
            self.worker.submit(  # signed out at once; a failure is said: the trail lacks it
                lambda: self.desk.accounts.record_sign_out(staff_id),
                failed=lambda error: self._tell(f"The sign-out was not recorded. {error}"),
                what="Signing out",
            )
        self._close_dialogs()
        self._forget_patients()  # the session, if one is open, closes with the sign-in page
        self.staff, self.locked, self.switching = None, False, False
        self.reads_register = False
        self._update_staff_label()
        self.show_sign_in()

    def _tell(self, message: str) -> None:
        """A message above every page, until the next member of staff signs in."""
        self.alert_message.setText(message)
        self.alert_message.setVisible(True)

    def _not_saved(self, message: str) -> None:
        """An action the window went on from did not save: kept above every page (not replaced by
        the database's state each second) until the next sign-in, every one of them."""
        lines = [*filter(None, self.not_saved_message.text().split("\n")), message]
        self.not_saved_message.setText("\n".join(lines))
        self.not_saved_message.setVisible(True)
        announce(self.not_saved_message, message)

    def set_staff(self, staff: Staff) -> None:
        self.staff = staff
        self.not_saved_message.clear()
        self.not_saved_message.setVisible(False)
        self.sign_in_page.read_staff()  # the lock screen's names, ready before it is needed
        self._read_idle_limit()
        self.idle.touch()
        self.locked = self.switching = False
        self._read_laser_operators()
        self._read_register_access()
        self.alert_message.setVisible(False)
        self._update_staff_label()
        self.show_home()

    def show_home(self) -> None:
        if self.current_staff() is None:
            return
        self._close_session()
        self.home_page.activate()
        self.stack.setCurrentWidget(self.home_page)
        self.home_page.search_edit.setFocus()

    def show_session(self, session_id: int) -> None:
        if self.stack.currentWidget() is not self.checklist_page:
            self._session_opened_from = self.stack.currentWidget()
        from_patient = self._session_opened_from is self._opened_before("patient_page")
        self.checklist_page.back_button.setText("Back to patient" if from_patient else "Back to board")
        self.checklist_page.open_session(session_id)
        self.stack.setCurrentWidget(self.checklist_page)

    def _back_from_session(self) -> None:
        page = cast("PatientPage | None", self._opened_before("patient_page"))
        if page is not None and self._session_opened_from is page and page.patient is not None:
            self.show_patient(page.patient.id)
        else:
            self.show_home()

    def show_patients(self) -> None:
        if self.current_staff() is None:
            return
        self._close_session()
        self.patients_page.search()
        self.stack.setCurrentWidget(self.patients_page)
        self.patients_page.search_edit.setFocus()

    def show_follow_up_calls(self) -> None:
        if self.current_staff() is None:
            return
        self._close_session()
        self.follow_up_page.refresh()
        self.stack.setCurrentWidget(self.follow_up_page)
        self.follow_up_page.table.setFocus()

    def show_patient(self, patient_id: int) -> None:
        self._close_session()
        self.patient_page.open_patient(patient_id)
        self.stack.setCurrentWidget(self.patient_page)
