"""Administrators look after the staff list: add, change a role, make inactive, unlock, new password,
and grant or withdraw laser authorisation; the page also shows who may do what.

Staff are never deleted (records name them); every change is in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.credentials import PIN_DIGITS, PIN_RULE
from desk_app.domain.dates import entered_date, local_today
from desk_app.domain.errors import DomainError
from desk_app.domain.people import Role, Staff
from desk_app.domain.permissions import LaserAuthorisation, Permissions
from desk_app.store.desk import Desk
from desk_app.ui.context import DeskContext
from desk_app.ui.db_worker import for_a_thread_of_its_own
from desk_app.ui.dialogs import ReasonDialog
from desk_app.ui.form_dialog import FormDialog
from desk_app.ui.formatting import DATE_HINT, long_day
from desk_app.ui.long_job import LongJob
from desk_app.ui.saving import Answer, Asked, Saving
from desk_app.ui.saving_button import submit_from
from desk_app.ui.scrolling import page_with_footer
from desk_app.ui.staff_pages import StaffForm, checked_password
from desk_app.ui.tab_order import tab_in_reading_order
from desk_app.ui.widgets import Tone, message_label, show_message

_COLUMNS = ("Name", "Initials", "Role", "Active", "Can sign in", "Account")
TRAINED = "Date trained"
UNTIL = "Authorised until"
WITHDRAW_REASON = "Why it is withdrawn"
VERIFY_RESULT = "Verification result"
READING = "Reading the staff list…"

# Each member of staff (with whether they can sign in, and whether their account is locked), and
# each active nurse's and clinician's laser authorisation.
StaffList = tuple[list[tuple[Staff, bool, bool]], list[tuple[Staff, LaserAuthorisation | None]]]


def read_staff_list(desk: Desk) -> StaffList:
    """What the page lists, read in one go on the database worker."""
    rows = desk.accounts.list_all_staff()
    clinical = [m for m, _, _ in rows if m.active and m.role is not Role.ADMINISTRATOR]
    return rows, [(m, desk.operators.laser_authorisation(m.id)) for m in clinical]


def laser_standing(authorisation: LaserAuthorisation | None, today: date) -> str:
    """A nurse's or clinician's laser authorisation in words, as the store would judge it today."""
    if authorisation is None:
        return "Not an authorised laser operator"
    if (lapse := authorisation.lapse(today, long_day)) is not None:
        return f"Laser authorisation {lapse}"
    return (
        f"Authorised laser operator: trained {long_day(authorisation.trained_on)}, until "
        f"{long_day(authorisation.expires_on)} (granted by {authorisation.granted_by})"
    )


class StaffAdminPage(QWidget):
    back_requested = Signal()
    """Back to the board."""

    staff_changed = Signal()
    """A member of staff or a laser authorisation changed: who may use the laser may have too."""

    def __init__(self, context: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.current_staff, self.worker = context.desk, context.current_staff, context.worker
        self.clock, self.signals = context.clock, context.signals
        self.members: list[Staff] = []
        self._asked = Asked()  # the lock moves it on: what was asked before is not shown after it
        page, layout, footer = page_with_footer(self)
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
        self.table.setTabKeyNavigation(False)  # Tab leaves the list; the arrow keys move in it
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
        self.laser_box = LaserOperatorsBox(self, self._ask_grant, self._ask_withdraw)
        layout.addWidget(self.laser_box)
        add_box = QGroupBox("Add a member of staff", self)
        add = QVBoxLayout(add_box)
        self.form = StaffForm(add_box, with_role=True)
        add.addWidget(self.form)
        self.add_button = QPushButton("Add member of staff", add_box)
        self.add_button.setMinimumHeight(44)
        self.add_button.clicked.connect(self._add)
        add.addWidget(self.add_button)
        layout.addWidget(add_box)
        layout.addWidget(PermissionsBox(self.desk.permissions, self))
        # Below the page that scrolls, always in view: the way back, and the check of the records.
        back = QPushButton("Back to board", self)
        back.clicked.connect(self.back_requested)
        self.verify_button = QPushButton("Verify records", self)
        self.verify_button.setToolTip("Check that no record was changed outside the app (the audit trail)")
        self.verify_button.clicked.connect(self._verify)
        for button in (back, self.verify_button):
            button.setMinimumHeight(44)
            footer.addWidget(button)
        self.verify_result = message_label(self, name="verifyResult")
        self._verify_says("")
        self.verify_job = LongJob(
            self,
            "Verification",
            self.verify_result,
            VERIFY_RESULT,
            cancellable=True,
            starts=self.verify_button,
        )
        footer.addWidget(self.verify_job)
        footer.addWidget(self.verify_result, 1)

    def refresh(self) -> None:
        """Read the list again on the worker; until it comes the page shows what it had (or says
        it is reading, when it had nothing)."""
        if not self.members and not self.message.text():
            show_message(self.message, READING)
        still, desk = self._asked.still(), self.desk
        self.worker.submit(
            lambda: read_staff_list(desk),
            lambda staff: self._show(staff) if still() else None,
            self._not_read,
        )

    def _not_read(self, error: DomainError) -> None:
        show_message(self.message, str(error))

    def _show(self, staff: StaffList) -> None:
        rows, standings = staff
        if self.message.text() == READING:
            self.message.setText("")
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
        self.laser_box.show_members(standings, local_today(self.clock.now()))
        tab_in_reading_order(self)  # the laser buttons are made anew, after the form below them

    def forget(self) -> None:
        """Locked: empty the lists and messages (a message or a name typed in the form could name
        anyone); refresh() fills the page again when it is next opened."""
        self._asked.move_on()
        self.members = []
        self.table.setRowCount(0)
        self.laser_box.empty()
        self.form.clear()
        for label in (self.message, self.verify_result):
            label.setText("")
        self._verify_says("")

    def _selected(self) -> Staff | None:
        row = self.table.currentRow()
        if 0 <= row < len(self.members):
            return self.members[row]
        show_message(self.message, "Choose a member of staff in the list first.")
        return None

    def _act(
        self,
        button: QPushButton,
        action: Callable[[int], object],
        done: str,
        then: Callable[[], None] = lambda: None,
    ) -> None:
        """Run one administrator's action, as the member of staff at the desk, on the worker: the
        button says "Saving…" until it has committed; then say what happened, and `then()`."""
        admin = self.current_staff()
        if admin is None:
            return
        still = self._asked.still()

        def saved(_result: object) -> None:
            self._changed(done, still)
            if still():
                then()

        def refused(error: DomainError) -> None:
            if still():
                show_message(self.message, str(error))
            else:  # the lock emptied the page meanwhile: said above every page
                self.signals.not_saved.emit(f"Staff: {error}")

        submit_from(button, self.worker, lambda: action(admin.id), saved, refused)

    def _changed(self, done: str, still: Callable[[], bool], tell_others: bool = True) -> None:
        """Saved: the list is read again and says so (not on a page the lock has emptied since)."""
        if still():
            self.refresh()
            show_message(self.message, done, Tone.DONE)
        if tell_others:
            self.staff_changed.emit()

    def _saving(self, call: Callable[[], object], done: str, tell_others: bool = True) -> Saving:
        """A dialog's save: once committed, the page reads the list again and says `done`."""
        still = self._asked.still()
        return Saving(
            self.worker,
            call,
            lambda _result: self._changed(done, still, tell_others),
            unseen=self.signals.not_saved.emit,
        )

    def _change_role(self) -> None:
        if (member := self._selected()) is not None:
            role = self.role_choice.currentText()
            self._act(
                self.role_button,
                lambda by: self.desk.accounts.update_staff(member.id, role, member.active, by),
                f"{member.name} is now a {role}.",
            )

    def _toggle_active(self) -> None:
        if (member := self._selected()) is not None:
            active = not member.active
            self._act(
                self.active_button,
                lambda by: self.desk.accounts.update_staff(member.id, member.role.value, active, by),
                f"{member.name} is {'active' if active else 'inactive: they can no longer sign in'}.",
            )

    def _unlock(self) -> None:
        if (member := self._selected()) is not None:
            self._act(
                self.unlock_button,
                lambda by: self.desk.accounts.unlock_account(member.id, by),
                f"{member.name} may sign in again.",
            )

    def _ask_credentials(self) -> None:
        if (member := self._selected()) is None or (admin := self.current_staff()) is None:
            return
        CredentialsDialog(
            self, member, lambda password, pin: self._set_credentials(member, admin, password, pin)
        ).open()

    def _ask_grant(self, member: Staff) -> None:
        LaserAuthorisationDialog(
            self, member, lambda trained, until: self._grant(member, trained, until)
        ).open()

    def _grant(self, member: Staff, trained_text: str, until_text: str) -> Answer:
        try:
            trained, until = entered_date(trained_text, TRAINED), entered_date(until_text, UNTIL)
        except DomainError as error:
            return str(error)
        if (admin := self.current_staff()) is None:
            return "Sign in first."
        return self._saving(  # granted, it holds until the date typed
            lambda: self.desk.operators.grant_laser_authorisation(member.id, trained, until, admin.id),
            f"{member.name} is an authorised laser operator until {long_day(until)}.",
        )

    def _ask_withdraw(self, member: Staff) -> None:
        dialog = ReasonDialog(
            self,
            f"Withdraw the laser authorisation of {member.name}",
            f"Why is it withdrawn? From now on {member.name} may not confirm the laser items of the "
            "time-out, record a laser pass or sign a record out. The reason is kept in the audit trail.",
            lambda reason: self._withdraw(member, reason),
            ok_text="Withdraw",
        )
        dialog.text.setAccessibleName(WITHDRAW_REASON)
        dialog.open()

    def _withdraw(self, member: Staff, reason: str) -> Answer:
        if (admin := self.current_staff()) is None:
            return "Sign in first."
        return self._saving(
            lambda: self.desk.operators.withdraw_laser_authorisation(member.id, reason, admin.id),
            f"{member.name} is no longer an authorised laser operator.",
        )

    def _verify(self) -> None:
        """On a thread of its own (about 7 s per million rows), with Cancel: a read, until the
        result is recorded, which happens only once the whole trail is verified."""
        admin = self.current_staff()
        staff_id = admin.id if admin else None
        desk = for_a_thread_of_its_own(self.desk)
        self.verify_job.start(
            lambda job: desk.audit.verify_and_record(staff_id, job.progress, job.cancelled),  # audited too
            lambda report: (str(report), Tone.DONE if report.ok else Tone.ERROR),
            database=desk.db,
            running_text="Verifying the records…",
        )

    def _verify_says(self, text: str, tone: Tone = Tone.NOTE) -> None:
        """The verification's result, heard with what it is about."""
        show_message(self.verify_result, text, tone)
        self.verify_result.setAccessibleName(f"{VERIFY_RESULT}: {text}" if text else VERIFY_RESULT)

    def _ask_rename(self) -> None:
        if (member := self._selected()) is None:
            return
        RenameDialog(self, member, lambda name, initials: self._rename(member, name, initials)).open()

    def _rename(self, member: Staff, name: str, initials: str) -> Answer:
        admin = self.current_staff()
        if admin is None:
            return "Sign in first."
        return self._saving(
            lambda: self.desk.accounts.rename_staff(member.id, name, initials, admin.id),
            f"{member.name} is now {name.strip()} ({initials.strip().upper()}).",
            tell_others=False,
        )

    def _set_credentials(self, member: Staff, admin: Staff, password: str, pin: str) -> Answer:
        return self._saving(
            lambda: self.desk.accounts.set_credentials(member.id, password, pin, admin.id),
            f"{member.name} has a new password and PIN.",
            tell_others=False,
        )

    def _add(self) -> None:
        form = self.form
        # Read here, as typed now: the worker touches no widget.
        name, initials, role, pin = form.name.text(), form.initials.text(), form.role(), form.pin.text()
        password, repeat = form.password.text(), form.repeat.text()

        def add(by: int) -> Staff:
            return self.desk.accounts.add_staff(
                name, initials, role, checked_password(password, repeat), pin, by
            )

        self._act(self.add_button, add, f"{name.strip()} was added.", form.clear)


class CredentialsDialog(FormDialog):
    """A new password (twice) and PIN for one member of staff."""

    def __init__(self, parent: QWidget, member: Staff, submit: Callable[[str, str], Answer]) -> None:
        super().__init__(parent, f"Password and PIN for {member.name}")
        self._submit = submit
        self.password = self.line("New password", secret=True)
        self.repeat = self.line("New password again", secret=True)
        self.pin = self.line("New PIN", secret=True)
        self.pin.setMaxLength(PIN_DIGITS[1])
        self.pin.setPlaceholderText(PIN_RULE)

    def save(self) -> Answer:
        if self.password.text() != self.repeat.text():
            return "The two passwords are not the same."
        return self._submit(self.password.text(), self.pin.text())


class RenameDialog(FormDialog):
    """A corrected name or new initials for one member of staff."""

    def __init__(self, parent: QWidget, member: Staff, submit: Callable[[str, str], Answer]) -> None:
        super().__init__(parent, f"Change the name of {member.name}")
        self._submit = submit
        self.name = self.line("New full name", member.name)
        self.initials = self.line("New initials", member.initials)
        self.initials.setMaxLength(4)

    def save(self) -> Answer:
        return self._submit(self.name.text(), self.initials.text())


class LaserOperatorsBox(QGroupBox):
    """Each active nurse and clinician's laser authorisation in words, with what an administrator
    may do about it: grant (or renew, after new training) and withdraw."""

    def __init__(
        self, parent: QWidget, grant: Callable[[Staff], None], withdraw: Callable[[Staff], None]
    ) -> None:
        super().__init__("Authorised laser operators", parent)
        self.grant, self.withdraw = grant, withdraw
        self.column = QVBoxLayout(self)
        intro = QLabel(
            "Only an authorised laser operator confirms the laser items of the time-out, records laser "
            "passes and signs a record out. Grant it with the dates on the training certificate.",
            self,
        )
        intro.setWordWrap(True)
        self.column.addWidget(intro)
        self.rows = QWidget(self)  # made anew for each list: no stale button stays under a finger
        self.column.addWidget(self.rows)

    def _new_rows(self) -> QWidget:
        self.rows.hide()
        self.rows.deleteLater()
        self.rows = QWidget(self)
        self.column.addWidget(self.rows)
        return self.rows

    def empty(self) -> None:
        """No one listed (the screen is locked)."""
        self._new_rows()

    def show_members(self, standings: list[tuple[Staff, LaserAuthorisation | None]], today: date) -> None:
        grid = QGridLayout(self._new_rows())
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setColumnStretch(1, 1)
        if not standings:
            grid.addWidget(QLabel("No nurses or clinicians yet: add them below first.", self.rows), 0, 0)
        for row, (member, authorisation) in enumerate(standings):
            grid.addWidget(QLabel(f"{member.name} ({member.role.value})", self.rows), row, 0)
            lapsed = authorisation is not None and not authorisation.valid_on(today)
            standing = message_label(self.rows, "error" if lapsed else "laserStanding")
            standing.setText(laser_standing(authorisation, today))
            grid.addWidget(standing, row, 1)
            offers = [("Grant" if authorisation is None else "Renew", self.grant)]
            if authorisation is not None:
                offers.append(("Withdraw", self.withdraw))
            for column, (verb, act) in enumerate(offers, start=2):
                button = QPushButton(f"{verb}…", self.rows)
                button.setAccessibleName(f"{verb} the laser authorisation of {member.name}")
                button.setToolTip(button.accessibleName())
                button.setMinimumHeight(44)
                button.clicked.connect(lambda _=False, m=member, a=act: a(m))
                grid.addWidget(button, row, column)
        self.rows.show()  # at once: the page may be on screen already


class LaserAuthorisationDialog(FormDialog):
    """The dates of a nurse's or clinician's laser training, typed as the app takes any date."""

    def __init__(self, parent: QWidget, member: Staff, submit: Callable[[str, str], Answer]) -> None:
        super().__init__(
            parent,
            f"Laser authorisation for {member.name}",
            f"From the date trained until the expiry, {member.name} may confirm the laser items of the "
            f"time-out, record laser passes and sign records out. Dates as {DATE_HINT}.",
        )
        self._submit = submit
        self.trained = self.line(TRAINED)
        self.until = self.line(UNTIL)
        for edit in (self.trained, self.until):
            edit.setPlaceholderText(DATE_HINT)

    def save(self) -> Answer:
        return self._submit(self.trained.text(), self.until.text())


class PermissionsBox(QGroupBox):
    """The clinic's permissions file in words, so that anyone can read what the app will refuse."""

    def __init__(self, permissions: Permissions, parent: QWidget) -> None:
        super().__init__("Who may do what", parent)
        columns = QHBoxLayout(self)
        for rules in permissions.roles.values():
            role = QGroupBox(rules.title, self)
            lines = QVBoxLayout(role)
            for heading, items in (("May", rules.may), ("May not", rules.may_not)):
                if items:
                    words = QLabel("\n".join([f"{heading}:", *(f"• {item}" for item in items)]), role)
                    words.setWordWrap(True)
                    lines.addWidget(words)
            lines.addStretch(1)
            columns.addWidget(role, 1)
