"""The main window: who is at the desk, and the pages (staff, home, checklist) in one stack."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QStackedWidget, QToolBar

from desk_app.domain.clock import Clock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.checklist_page import ChecklistPage
from desk_app.ui.home_page import HomePage
from desk_app.ui.signals import DeskSignals
from desk_app.ui.staff_pages import AddStaffPage, WhoAreYouPage


class MainWindow(QMainWindow):
    def __init__(self, desk: Desk, clock: Clock, title_note: str = "") -> None:
        super().__init__()
        self.desk = desk
        self.clock = clock
        self.signals = DeskSignals(self)
        self.staff: Staff | None = None
        self.setWindowTitle("Treatment Desk" + (f" · {title_note}" if title_note else ""))
        self.resize(1280, 860)

        self.stack = QStackedWidget(self)
        self.setCentralWidget(self.stack)
        self.add_staff_page = AddStaffPage(desk, self.signals, self)
        self.who_page = WhoAreYouPage(desk, self)
        self.home_page = HomePage(desk, self.signals, clock, self.current_staff, self)
        self.checklist_page = ChecklistPage(desk, self.signals, clock, self.current_staff, self)
        for page in (self.add_staff_page, self.who_page, self.home_page, self.checklist_page):
            self.stack.addWidget(page)

        self.add_staff_page.done.connect(self.show_who)
        self.who_page.chosen.connect(self.set_staff)
        self.who_page.add_staff_requested.connect(self.show_add_staff)
        self.home_page.open_session_requested.connect(self.show_session)
        self.checklist_page.back_requested.connect(self.show_home)
        self._build_toolbar()

        if desk.list_staff():
            self.show_who()
        else:
            self.show_add_staff()

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main", self)
        toolbar.setMovable(False)
        self.addToolBar(toolbar)
        self.board_action = QAction("Board", self)
        self.board_action.setShortcut(QKeySequence("Ctrl+B"))
        self.board_action.setToolTip("Back to the board of sessions in progress (Ctrl+B)")
        self.board_action.triggered.connect(self.show_home)
        toolbar.addAction(self.board_action)
        self.switch_action = QAction("Switch staff", self)
        self.switch_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.switch_action.triggered.connect(self.show_who)
        toolbar.addAction(self.switch_action)
        self.staff_label = QLabel("", self)
        self.staff_label.setObjectName("staffLabel")
        self.staff_label.setAccessibleName("At the desk")
        toolbar.addWidget(self.staff_label)
        self._update_staff_label()

    def current_staff(self) -> Staff | None:
        return self.staff

    def _update_staff_label(self) -> None:
        staff = self.staff
        self.staff_label.setText(f"  At the desk: {staff.name} ({staff.initials})" if staff else "")
        self.board_action.setEnabled(staff is not None)

    def _leave_pages(self) -> None:
        self.home_page.deactivate()
        self.checklist_page.close_session()

    def show_add_staff(self) -> None:
        self._leave_pages()
        self.add_staff_page.refresh()
        self.stack.setCurrentWidget(self.add_staff_page)
        self.add_staff_page.name.setFocus()

    def show_who(self) -> None:
        self._leave_pages()
        self.who_page.refresh()
        self.stack.setCurrentWidget(self.who_page)

    def set_staff(self, staff: Staff) -> None:
        self.staff = staff
        self._update_staff_label()
        self.signals.staff_changed.emit()
        self.show_home()

    def show_home(self) -> None:
        if self.staff is None:
            self.show_who()
            return
        self._leave_pages()
        self.home_page.activate()
        self.stack.setCurrentWidget(self.home_page)
        self.home_page.search_edit.setFocus()

    def show_session(self, session_id: int) -> None:
        self._leave_pages()
        self.checklist_page.open_session(session_id)
        self.stack.setCurrentWidget(self.checklist_page)
