"""Who is at the desk: the first administrator, signing in (password or PIN), the locked screen.

A password signs a member of staff in when nobody is at the desk. Switching to someone else, or
unlocking the screen, takes the PIN of whoever steps up; after 5 wrong PINs their password is needed.
A right PIN of 4 or 5 digits, kept from before PINs needed 6, asks for a new one first (pin_change.py).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.credentials import PIN_DIGITS, PIN_RULE
from desk_app.domain.errors import DomainError, ValidationError
from desk_app.domain.people import Role, Staff
from desk_app.domain.refusals import PinChangeNeeded
from desk_app.store.desk import Desk
from desk_app.ui import tab_order
from desk_app.ui.db_worker import LATER, DatabaseWorker
from desk_app.ui.saving import Asked
from desk_app.ui.saving_button import submit_from
from desk_app.ui.scrolling import scrolling_column
from desk_app.ui.widgets import message_label

if TYPE_CHECKING:  # imported by the first short PIN, not by every start
    from desk_app.ui.pin_change import NewPinDialog

SIGNING_IN = "Signing in…"


def checked_password(password: str, repeat: str) -> str:
    """The password typed twice, if both are the same."""
    if password != repeat:
        raise ValidationError("The two passwords are not the same.")
    return password


def secret_edit(parent: QWidget, name: str) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setAccessibleName(name)
    edit.setMinimumHeight(40)
    return edit


class StaffForm(QWidget):
    """Name, initials, role (unless fixed), password twice and PIN: a new member of staff."""

    def __init__(self, parent: QWidget, with_role: bool) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.name = QLineEdit(self)
        self.name.setAccessibleName("Full name")
        self.initials = QLineEdit(self)
        self.initials.setAccessibleName("Initials")
        self.initials.setMaxLength(4)
        form.addRow("Full name", self.name)
        form.addRow("Initials", self.initials)
        self.role_group = QButtonGroup(self)
        if with_role:
            roles = QHBoxLayout()
            for role in Role:
                button = QRadioButton(role.value.capitalize(), self)
                button.setProperty("role", role.value)
                button.setAccessibleName(f"Role: {role.value}")
                self.role_group.addButton(button)
                roles.addWidget(button)
                button.setChecked(role is Role.NURSE)
            form.addRow("Role", roles)
        self.password = secret_edit(self, "Password")
        self.repeat = secret_edit(self, "Password again")
        self.pin = secret_edit(self, "PIN")
        self.pin.setMaxLength(PIN_DIGITS[1])
        form.addRow("Password (8 characters or more)", self.password)
        form.addRow("Password again", self.repeat)
        form.addRow(f"PIN ({PIN_RULE})", self.pin)

    def role(self) -> str:
        checked = self.role_group.checkedButton()
        return checked.property("role") if checked else Role.ADMINISTRATOR.value

    def clear(self) -> None:
        for edit in (self.name, self.initials, self.password, self.repeat, self.pin):
            edit.clear()
        self.name.setFocus()


class FirstAdministratorPage(QWidget):
    """A new database (or one from before passwords) needs an administrator before anyone works."""

    done = Signal(object)
    """The administrator (Staff) was added and is signed in."""

    administrator_exists = Signal()
    """Another desk created the administrator first: sign in instead."""

    def __init__(self, desk: Desk, worker: DatabaseWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        layout = QVBoxLayout(self)
        title = QLabel("Welcome to Treatment Desk", self)
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        intro = QLabel(
            "First, the administrator: the person who adds the other members of staff, sets their "
            "passwords and looks after the clinic's settings.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.form = StaffForm(self, with_role=False)
        layout.addWidget(self.form)
        self.add_button = QPushButton("Create administrator", self)
        self.add_button.setObjectName("primaryButton")
        self.add_button.setMinimumHeight(44)
        self.add_button.clicked.connect(self._add)
        layout.addWidget(self.add_button)
        self.error = message_label(self)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def _add(self) -> None:
        """Added and signed in on the worker; the button says "Saving…" until then."""
        form, accounts = self.form, self.desk.accounts
        # Read here, as typed now: the worker touches no widget.
        name, initials, role, pin = form.name.text(), form.initials.text(), form.role(), form.pin.text()
        password, repeat = form.password.text(), form.repeat.text()

        def add() -> Staff | None:
            """The administrator, signed in; None if another desk created one first."""
            try:
                member = accounts.add_staff(
                    name, initials, role, checked_password(password, repeat), pin, None
                )
                accounts.sign_in(member.id, password)
            except DomainError:
                if accounts.has_administrator():
                    return None
                raise
            return member

        submit_from(
            self.add_button, self.worker, add, self._added, lambda error: self.error.setText(str(error))
        )

    def _added(self, member: Staff | None) -> None:
        if member is None:
            self.administrator_exists.emit()
            return
        self.error.clear()
        self.form.clear()
        self.done.emit(member)


_ARROWS = {Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right}


class StaffChoice(QRadioButton):
    """A name on the sign-in page. An arrow key chooses the name it moves to, as in any group of
    radio buttons, even before a name is chosen (Qt then only moves the focus)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        super().keyPressEvent(event)
        landed = QApplication.focusWidget()
        if event.key() in _ARROWS and isinstance(landed, StaffChoice) and landed.group() is self.group():
            landed.setChecked(True)


class SignInMode(Enum):
    PASSWORD = "Password"  # nobody is at the desk
    PIN = "PIN"  # switching to another member of staff
    LOCKED = "locked"  # the screen locked itself: PIN to go on, patients by first name only


class SignInPage(QWidget):
    """Choose your name, then your password (or your PIN when switching or unlocking)."""

    signed_in = Signal(object)
    """A member of staff (Staff) proved who they are."""

    def __init__(self, desk: Desk, worker: DatabaseWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.worker = worker
        self._staff: list[Staff] | None = None  # as last read: the lock screen lists them at once
        self._preselect_id: int | None = None  # who is chosen when the names come
        self._read_failure = ""  # why the names could not be read, as last said
        self._asked = Asked()  # each opening moves it on: a proof asked before does not sign in after it
        self.mode = SignInMode.PASSWORD
        self.use_password = False
        page = QVBoxLayout(self)
        # Who is at the desk, the names and (locked) the patients in progress scroll; the field and
        # Sign in below them stay on the smallest screen, whatever the number of staff.
        self.scroll_area, layout = scrolling_column(self)
        page.addWidget(self.scroll_area, 1)
        self.title = QLabel("Sign in", self)
        self.title.setObjectName("pageTitle")
        layout.addWidget(self.title)
        self.demo_hint = QLabel("", self)  # training only: the README gives the same credentials
        self.demo_hint.setObjectName("demoHint")
        self.demo_hint.hide()
        layout.addWidget(self.demo_hint)
        # Unread (the database busy), the hint is missing: the window's banner says the demo anyway.
        worker.submit(desk.database.is_demo, self._show_demo_hint, lambda _error: None)
        self.locked_board = QLabel("", self)
        self.locked_board.setObjectName("lockedBoard")
        self.locked_board.setAccessibleDescription("Patients in progress")  # its text is its name
        self.locked_board.setWordWrap(True)
        layout.addWidget(self.locked_board)
        self.buttons_box = QVBoxLayout()
        self.buttons_box.setSpacing(0)
        layout.addLayout(self.buttons_box)
        layout.addStretch(1)
        self.group = QButtonGroup(self)
        self.group.buttonToggled.connect(lambda _button, _checked: self._one_tab_stop())
        form = QFormLayout()
        self.secret = secret_edit(self, "Password")
        self.secret_label = QLabel("Password", self)
        form.addRow(self.secret_label, self.secret)
        page.addLayout(form)
        row = QHBoxLayout()
        self.sign_in_button = QPushButton("Sign in", self)
        self.sign_in_button.setObjectName("primaryButton")
        self.sign_in_button.clicked.connect(self._sign_in)
        self.secret.returnPressed.connect(self._sign_in)
        self.password_button = QPushButton("Use my password instead", self)
        self.password_button.clicked.connect(self._switch_to_password)
        for button in (self.sign_in_button, self.password_button):
            button.setMinimumHeight(44)
            row.addWidget(button)
        page.addLayout(row)
        self.error = message_label(self)
        page.addWidget(self.error)
        self.staff_buttons: list[StaffChoice] = []
        self.pin_change: NewPinDialog | None = None  # open after a right short PIN; holds that PIN

    def _show_demo_hint(self, demo: bool) -> None:
        if demo:
            from desk_app.store.this_database import DEMO_PASSWORD, DEMO_PIN

            self.demo_hint.setText(
                f"Demo database: every account's password is '{DEMO_PASSWORD}', its PIN {DEMO_PIN}."
            )
            self.demo_hint.show()

    def open(self, mode: SignInMode, preselect: Staff | None = None) -> None:
        self._asked.move_on()
        self.mode, self.use_password = mode, mode is SignInMode.PASSWORD
        self.title.setText(
            {
                SignInMode.PASSWORD: "Sign in",
                SignInMode.PIN: "Who is at the desk?",
                SignInMode.LOCKED: "Locked: sign in with your PIN to go on",
            }[mode]
        )
        self.forget_pin_change()
        self.locked_board.setVisible(mode is SignInMode.LOCKED)
        self.error.clear()
        self._fill_staff(preselect)
        self._show_secret_kind()
        chosen = self.group.checkedButton()
        if chosen is not None:  # the name chosen already (the lock screen's) in view, however many staff
            # Once the new names are laid out: at the next turn of the event loop.
            QTimer.singleShot(0, chosen, lambda: self.scroll_area.ensureWidgetVisible(chosen))

    def _fill_staff(self, preselect: Staff | None) -> None:
        """The names as last read, at once (a desk locking while the server is stalled must not
        wait for it), then read again on the worker: a member added at another desk appears. The
        first time, the names come when that read does (the window is opening)."""
        self._preselect_id = preselect.id if preselect is not None else None
        if self._staff is not None:
            self._show_staff(self._staff, self._preselect_id)
        self.read_staff()

    def read_staff(self) -> None:
        """Read the names again on the worker (also at each sign-in: a lock screen never opened
        before, on a new clinic's first start, has names to show however the database is)."""
        self.worker.submit(self.desk.accounts.list_staff, self._staff_read, self._staff_not_read, LATER)

    def _staff_read(self, staff: list[Staff]) -> None:
        if self.error.text() == self._read_failure:
            self.error.clear()  # said of an earlier read: the names are read now
        if staff == self._staff:
            return
        self._staff, first_names = staff, not self.staff_buttons
        chosen = self.group.checkedButton()
        focused = QApplication.focusWidget()
        on_name = focused.property("staff_id") if focused in self.staff_buttons else None
        self._show_staff(staff, chosen.property("staff_id") if chosen is not None else self._preselect_id)
        if on_name is not None:  # the list changed under the keyboard: it stays on the same name
            again = next((b for b in self.staff_buttons if b.property("staff_id") == on_name), None)
            (again or self.secret).setFocus(Qt.FocusReason.OtherFocusReason)
        if first_names and self.isVisible():  # as open() would have, had the names been there
            if (chosen := self.group.checkedButton()) is not None:
                QTimer.singleShot(0, chosen, lambda: self.scroll_area.ensureWidgetVisible(chosen))
            elif not self.secret.text() and self.staff_buttons:
                self.staff_buttons[0].setFocus()  # first, who you are (focus alone chooses nobody)

    def _staff_not_read(self, error: DomainError) -> None:
        self._read_failure = str(error)
        if not self.error.text():  # never over what the nurse is being told (a wrong PIN)
            self.error.setText(self._read_failure)

    def _show_staff(self, staff: list[Staff], chosen_id: int | None) -> None:
        for button in self.staff_buttons:
            self.group.removeButton(button)
            self.buttons_box.removeWidget(button)
            button.hide()  # at once: deleted at the next turn of the event loop
            button.deleteLater()
        self.staff_buttons = []
        for member in staff:
            # A radio button: heard as one choice of several; Tab comes to the names once, arrows
            # move between them. Its text is what a screen reader says.
            button = StaffChoice(f"{member.name} ({member.initials}) · {member.role.value}", self)
            button.setObjectName("staffButton")
            button.setProperty("staff_id", member.id)
            button.setChecked(member.id == chosen_id)
            self.group.addButton(button)
            self.buttons_box.addWidget(button)
            button.show()  # the page may already be on screen
            self.staff_buttons.append(button)
        self._one_tab_stop()
        self._order_tabs()

    def _one_tab_stop(self) -> None:
        """The names are one Tab stop, at the name chosen (the first, while none is): Tab coming
        round lands on who is at the desk, not on the first listed; the arrows move among them."""
        stop = self.group.checkedButton() or (self.staff_buttons[0] if self.staff_buttons else None)
        for button in self.staff_buttons:
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus if button is stop else Qt.FocusPolicy.ClickFocus)

    def _order_tabs(self) -> None:
        """The names first, as the page reads: they are made after the field and the buttons."""
        tab_order.chain([*self.staff_buttons, self.secret, self.sign_in_button, self.password_button])

    def _show_secret_kind(self) -> None:
        kind = "Password" if self.use_password else "PIN"
        self.secret_label.setText(kind)
        self.secret.setAccessibleName(kind)
        self.secret.setMaxLength(128 if self.use_password else 8)
        self.secret.clear()
        self.password_button.setVisible(not self.use_password)
        if self.chosen_id() is None and self.staff_buttons:
            self.staff_buttons[0].setFocus()  # first, who you are (focus alone chooses nobody)
        else:
            self.secret.setFocus()

    def _switch_to_password(self) -> None:
        self.use_password = True
        self._show_secret_kind()

    def chosen_id(self) -> int | None:
        checked = self.group.checkedButton()
        return int(checked.property("staff_id")) if checked else None

    def _sign_in(self) -> None:
        if not self.sign_in_button.isEnabled():  # Enter while signing in: the answer is awaited
            return
        staff_id = self.chosen_id()
        if staff_id is None:
            self.error.setText("Choose your name first.")
            return
        secret = self.secret.text()
        self.secret.clear()
        if not secret:  # Enter pressed twice: the first took it; an empty one would count as wrong
            self.error.setText("Type your password." if self.use_password else "Type your PIN.")
            return
        if self.use_password:
            self._prove(lambda: self.desk.accounts.sign_in(staff_id, secret))
        else:
            self._prove_with_pin(staff_id, secret)

    def _prove_with_pin(self, staff_id: int, pin: str) -> None:
        """A right PIN of 4 or 5 digits asks its owner for a new one, then signs them in with it.

        The page may be the locked screen: what it says names nobody (her name is on her button)."""
        purpose = "unlock" if self.mode is SignInMode.LOCKED else "switch staff"

        def new_pin_needed(error: DomainError) -> bool:
            if not isinstance(error, PinChangeNeeded):
                return False
            self._ask_new_pin(error, staff_id, pin)
            return True

        self._prove(lambda: self.desk.accounts.confirm_pin(staff_id, pin, purpose), new_pin_needed)

    def _ask_new_pin(self, needed: PinChangeNeeded, staff_id: int, pin: str) -> None:
        self.forget_pin_change()
        notice = f"This PIN has only {len(pin)} digits: choose a new PIN of {PIN_RULE} to go on."
        self.error.setText(notice)
        from desk_app.ui.pin_change import NewPinDialog

        self.pin_change = NewPinDialog(
            self,
            self.desk,
            self.worker,
            needed,
            pin,
            lambda new_pin: self._prove_with_pin(staff_id, new_pin),
            notice,
        )
        self.pin_change.finished.connect(self._pin_change_closed)
        self.pin_change.open()

    def _pin_change_closed(self) -> None:
        self.pin_change = None

    def forget_pin_change(self) -> None:
        """Close the "Choose a new PIN" dialog, and the proven PIN it holds, if one is open: the lock
        screen was reset, or nobody has touched the desk for the idle limit."""
        if self.pin_change is not None:
            self.pin_change.reject()  # finished: pin_change is None again
            self.error.clear()

    def _prove(
        self, check: Callable[[], Staff], handled: Callable[[DomainError], bool] = lambda _error: False
    ) -> None:
        """Check who it is on the worker: Sign in says "Signing in…" until the answer, which signs in
        (or says why not, unless `handled` took the refusal) only if the page was not opened anew
        meanwhile (locked, reset): a proof given before that is not one for what it shows now."""
        still = self._asked.still()

        def proven(member: Staff) -> None:
            if still():
                self.error.clear()
                self.signed_in.emit(member)

        def refused(error: DomainError) -> None:
            if still() and not handled(error):
                self.error.setText(str(error))

        submit_from(self.sign_in_button, self.worker, check, proven, refused, SIGNING_IN)
