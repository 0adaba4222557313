"""Administrators look after the staff list: add, change a role, make inactive, unlock, new password.

Staff are never deleted (records name them); every change is in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.errors import DomainError
from desk_app.domain.people import Role, Staff
from desk_app.store.desk import Desk
from desk_app.ui.form_dialog import FormDialog
from desk_app.ui.staff_pages import StaffForm
from desk_app.ui.widgets import message_label

_COLUMNS = ("Name", "Initials", "Role", "Active", "Can sign in", "Account")


class StaffAdminPage(QWidget):
    back_requested = Signal()
    """Back to the board."""

    def __init__(
        self, desk: Desk, current_staff: Callable[[], Staff | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.desk, self.current_staff = desk, current_staff
        self.members: list[Staff] = []
        # The page scrolls: on a small screen the form and its buttons stay within reach.
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer.addWidget(scroll)
        page = QWidget(scroll)
        scroll.setWidget(page)
        layout = QVBoxLayout(page)
        title = QLabel("Staff", self)
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        self.table = QTableWidget(0, len(_COLUMNS), self)
        self.table.setAccessibleName("Members of staff")
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        # A clinic's staff list is short: columns as wide as their text, and room for five rows.
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(180)
        layout.addWidget(self.table, 1)
        actions = QHBoxLayout()
        self.role_choice = QComboBox(self)
        self.role_choice.setAccessibleName("New role")
        self.role_choice.addItems([role.value for role in Role])
        self.role_button = QPushButton("Change role", self)
        self.role_button.clicked.connect(self._change_role)
        self.active_button = QPushButton("Make inactive / active", self)
        self.active_button.clicked.connect(self._toggle_active)
        self.unlock_button = QPushButton("Unlock account", self)
        self.unlock_button.clicked.connect(self._unlock)
        self.credentials_button = QPushButton("Set password and PIN…", self)
        self.credentials_button.clicked.connect(self._ask_credentials)
        self.rename_button = QPushButton("Change name…", self)
        self.rename_button.clicked.connect(self._ask_rename)
        actions.addWidget(self.role_choice)
        buttons = (
            self.role_button,
            self.active_button,
            self.unlock_button,
            self.credentials_button,
            self.rename_button,
        )
        for button in buttons:
            button.setMinimumHeight(44)
            actions.addWidget(button)
        layout.addLayout(actions)
        self.message = message_label(self)
        layout.addWidget(self.message)
        footer = QHBoxLayout()
        back = QPushButton("Back to board", self)
        back.clicked.connect(self.back_requested)
        self.verify_button = QPushButton("Verify records", self)
        self.verify_button.setToolTip("Check that no record was changed outside the app (the audit trail)")
        self.verify_button.clicked.connect(self._verify)
        for button in (back, self.verify_button):
            button.setMinimumHeight(44)
            footer.addWidget(button)
        self.verify_result = message_label(self, name="verifyResult")
        self.verify_result.setAccessibleName("Verification result")
        footer.addWidget(self.verify_result, 1)
        layout.addLayout(footer)
        add_box = QGroupBox("Add a member of staff", self)
        add = QVBoxLayout(add_box)
        self.form = StaffForm(add_box, with_role=True)
        add.addWidget(self.form)
        self.add_button = QPushButton("Add member of staff", add_box)
        self.add_button.setMinimumHeight(44)
        self.add_button.clicked.connect(self._add)
        add.addWidget(self.add_button)
        layout.addWidget(add_box)

    def refresh(self) -> None:
        rows = self.desk.list_all_staff()
        self.members = [member for member, _, _ in rows]
        self.table.setRowCount(len(rows))
        for row, (member, can_sign_in, locked) in enumerate(rows):
            cells = (
                member.name,
                member.initials,
                member.role.value,
                "yes" if member.active else "no",
                "yes" if can_sign_in else "no: set a password",
                "LOCKED" if locked else "",
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))

    def _selected(self) -> Staff | None:
        row = self.table.currentRow()
        if 0 <= row < len(self.members):
            return self.members[row]
        self.message.setText("Choose a member of staff in the list first.")
        return None

    def _act(self, action: Callable[[int], object], done: str) -> bool:
        """Run one administrator's action as the member of staff at the desk; say what happened."""
        admin = self.current_staff()
        if admin is None:
            return False
        try:
            action(admin.id)
        except DomainError as error:
            self.message.setText(str(error))
            return False
        self.refresh()
        self.message.setText(done)
        return True

    def _change_role(self) -> None:
        if (member := self._selected()) is not None:
            role = self.role_choice.currentText()
            self._act(
                lambda by: self.desk.update_staff(member.id, role, member.active, by),
                f"{member.name} is now a {role}.",
            )

    def _toggle_active(self) -> None:
        if (member := self._selected()) is not None:
            active = not member.active
            self._act(
                lambda by: self.desk.update_staff(member.id, member.role.value, active, by),
                f"{member.name} is {'active' if active else 'inactive: they can no longer sign in'}.",
            )

    def _unlock(self) -> None:
        if (member := self._selected()) is not None:
            self._act(lambda by: self.desk.unlock_account(member.id, by), f"{member.name} may sign in again.")

    def _ask_credentials(self) -> None:
        if (member := self._selected()) is None or (admin := self.current_staff()) is None:
            return
        CredentialsDialog(
            self, member, lambda password, pin: self._set_credentials(member, admin, password, pin)
        ).open()

    def _verify(self) -> None:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # about 7 s per million rows
        try:
            report = self.desk.verify_audit()
        except DomainError as error:
            self.verify_result.setText(str(error))
            return
        finally:
            QApplication.restoreOverrideCursor()
        self.verify_result.setProperty("broken", not report.ok)
        self.verify_result.setText(str(report))

    def _ask_rename(self) -> None:
        if (member := self._selected()) is None:
            return
        RenameDialog(self, member, lambda name, initials: self._rename(member, name, initials)).open()

    def _rename(self, member: Staff, name: str, initials: str) -> str | None:
        admin = self.current_staff()
        if admin is None:
            return "Sign in first."
        try:
            self.desk.rename_staff(member.id, name, initials, admin.id)
        except DomainError as error:
            return str(error)
        self.refresh()
        self.message.setText(f"{member.name} is now {name.strip()} ({initials.strip().upper()}).")
        return None

    def _set_credentials(self, member: Staff, admin: Staff, password: str, pin: str) -> str | None:
        try:
            self.desk.set_credentials(member.id, password, pin, admin.id)
        except DomainError as error:
            return str(error)
        self.refresh()
        self.message.setText(f"{member.name} has a new password and PIN.")
        return None

    def _add(self) -> None:
        form = self.form

        def add(by: int) -> Staff:
            return self.desk.add_staff(
                form.name.text(), form.initials.text(), form.role(), form.password_text(), form.pin.text(), by
            )

        if self._act(add, f"{form.name.text().strip()} was added."):
            form.clear()


class CredentialsDialog(FormDialog):
    """A new password (twice) and PIN for one member of staff."""

    def __init__(self, parent: QWidget, member: Staff, submit: Callable[[str, str], str | None]) -> None:
        super().__init__(parent, f"Password and PIN for {member.name}")
        self._submit = submit
        self.password = self.line("New password", secret=True)
        self.repeat = self.line("New password again", secret=True)
        self.pin = self.line("New PIN", secret=True)

    def save(self) -> str | None:
        if self.password.text() != self.repeat.text():
            return "The two passwords are not the same."
        return self._submit(self.password.text(), self.pin.text())


class RenameDialog(FormDialog):
    """A corrected name or new initials for one member of staff."""

    def __init__(self, parent: QWidget, member: Staff, submit: Callable[[str, str], str | None]) -> None:
        super().__init__(parent, f"Change the name of {member.name}")
        self._submit = submit
        self.name = self.line("New full name", member.name)
        self.initials = self.line("New initials", member.initials)
        self.initials.setMaxLength(4)

    def save(self) -> str | None:
        return self._submit(self.name.text(), self.initials.text())
