"""The first start on a PC: are the records in this PC's own file, or on the clinic's server?

Asked before anything is opened, so nothing is made in the wrong place. A server's address can be
tried first ("Test connection"); the choice is kept in this PC's settings only when it is usable.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.store.database import DatabaseOpenError
from desk_app.store.server_check import SERVER_FORM, check_server
from desk_app.ui.busy import wait_cursor
from desk_app.ui.widgets import Tone, message_label, say, show_message

TITLE = "Treatment Desk: where are the clinic's records?"
OWN_FILE = "This PC's own file"
SERVER = "The clinic's server"
ADDRESS = "Server address"
TEST = "Test connection"
START = "Start"
QUIT = "Quit"
NEW_FILE = "If chosen, a new file is made at"
OPENED_BEFORE = "The file this PC opened before:"

# Keeps the chosen address in this PC's settings; returns why it could not, None when kept.
Save = Callable[[str], str | None]


class FirstStartDialog(QDialog):
    """Two choices; Start keeps the one made (through `save`), Quit starts nothing.

    A clinic's database file this PC opened before is offered as its own file, instead of a new one.
    Nothing is chosen for the nurse, and Start asks for a choice: an Enter pressed without reading
    must not start an empty clinic, or another one, on a PC whose records are on the clinic's server.

    What the dialog finds is said where it is shown and spoken: the message's accessible name, an
    announcement, and the description of the control in use (Orca 43 speaks only that), as a web
    form's error describes its field."""

    def __init__(
        self,
        parent: QWidget | None,
        own_file: Path,
        save: Save,
        test: Callable[[str], str] = check_server,
        *,
        opened_before: bool = False,
    ) -> None:
        super().__init__(parent)
        self.own_file, self.save, self.test = own_file, save, test
        self.chosen: str | None = None
        self._said_on: tuple[QWidget, str] | None = (
            None  # the control a message was said on, and its own words
        )
        self.setWindowTitle(TITLE)
        self.setModal(True)
        self.setMinimumWidth(640)  # a path and a server's address are long: read whole, not cut
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # grows with what it says
        question = QLabel(
            "This is the first start of Treatment Desk on this PC. Where are the clinic's records: in "
            "this PC's own file, or on the clinic's server?",
            self,
        )
        question.setWordWrap(True)
        layout.addWidget(question)

        self.own = QRadioButton(OWN_FILE, self)
        layout.addWidget(self.own)
        where = OPENED_BEFORE if opened_before else NEW_FILE
        self.where = QLabel(f"{where} {own_file}", self)
        self.where.setWordWrap(True)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where.setContentsMargins(24, 0, 0, 0)
        layout.addWidget(self.where)
        self.own.setAccessibleDescription(self.where.text())

        self.server = QRadioButton(SERVER, self)
        self.server.setAccessibleDescription("Type its address below, then Test connection.")
        layout.addWidget(self.server)
        choices = QButtonGroup(self)
        choices.addButton(self.own)
        choices.addButton(self.server)
        row = QHBoxLayout()
        row.setContentsMargins(24, 0, 0, 0)
        self.address = QLineEdit(self)
        self.address.setAccessibleName(ADDRESS)
        self.address.setPlaceholderText(SERVER_FORM)
        self.address.setMinimumWidth(420)
        self.address.textEdited.connect(lambda _text: self.server.setChecked(True))
        row.addWidget(self.address, 1)
        self.test_button = QPushButton(TEST, self)
        self.test_button.setAutoDefault(False)  # Enter means Start, wherever the focus is
        self.test_button.clicked.connect(self.test_connection)
        row.addWidget(self.test_button)
        layout.addLayout(row)

        self.found = message_label(self, "firstStartFound")
        layout.addWidget(self.found)
        buttons = QDialogButtonBox(self)
        self.start = buttons.addButton(START, QDialogButtonBox.ButtonRole.AcceptRole)
        self.start.setDefault(True)
        choices.buttonToggled.connect(self._chosen)
        quit_button = buttons.addButton(QUIT, QDialogButtonBox.ButtonRole.RejectRole)
        quit_button.setAutoDefault(False)
        buttons.accepted.connect(self.keep_choice)
        buttons.rejected.connect(self.reject)  # Esc too
        layout.addWidget(buttons)
        QWidget.setTabOrder(self.own, self.server)
        QWidget.setTabOrder(self.server, self.address)
        QWidget.setTabOrder(self.address, self.test_button)
        QWidget.setTabOrder(self.test_button, self.start)
        QWidget.setTabOrder(self.start, quit_button)

    def _say(self, text: str, tone: Tone = Tone.ERROR, about: QWidget | None = None) -> None:
        """Show and speak `text`, about the control `about` (focused), else the one in use."""
        say(self.found, text, tone)
        self.found.setAccessibleName(text)  # a screen reader hears the words themselves
        self._unsay_from_controls()
        in_use = about or QApplication.focusWidget()
        if isinstance(in_use, QAbstractButton | QLineEdit) and self.isAncestorOf(in_use):
            self._said_on = (in_use, in_use.accessibleDescription())
            in_use.setAccessibleDescription(text)
        if about is not None:  # after: Orca reads the control as it is when the focus arrives
            about.setFocus()
        # As tall as the words need at the dialog's width, which stays (a wrapped label's own hint is
        # one line short, and a wider dialog would leave its place on the screen).
        self.found.setMinimumHeight(self.found.heightForWidth(self.found.width()))
        self.resize(self.width(), self.sizeHint().height())

    def _unsay_from_controls(self) -> None:
        """Give back the description a control had before a message was said on it."""
        if self._said_on is not None:
            control, description = self._said_on
            control.setAccessibleDescription(description)
            self._said_on = None

    def _chosen(self, _button: QAbstractButton, checked: bool) -> None:
        """A new choice: what was said of the last one is stale."""
        if checked and self.found.text():
            show_message(self.found, "", Tone.NOTE)
            self.found.setAccessibleName("")
            self._unsay_from_controls()

    def _tried(self) -> str | None:
        """What is at the typed address, in words; None (the reason shown) when a desk could not use it."""
        address = self.address.text().strip()
        if not address:
            self._say(f"Type the server's address first: {SERVER_FORM}.", about=self.address)
            return None
        try:
            with wait_cursor():  # nothing else runs yet: no countdown waits on this
                found = self.test(address)
        except DatabaseOpenError as error:
            self._say(f"Not usable: {error}")
            return None
        self._say(found, Tone.DONE)
        return found

    def test_connection(self) -> None:
        """Try the address as a desk would open it, and say what was found; nothing is saved."""
        self.server.setChecked(True)
        self._tried()

    def keep_choice(self) -> None:
        """Save the choice and close; a server that a desk could not use is not saved."""
        if not (self.own.isChecked() or self.server.isChecked()):
            self._say("Choose one first: this PC's own file, or the clinic's server.", about=self.own)
            return
        if self.server.isChecked():
            if self._tried() is None:
                return
            address = self.address.text().strip()
        else:
            address = str(self.own_file)
        if (problem := self.save(address)) is not None:
            self._say(f"The choice could not be kept: {problem}")
            return
        self.chosen = address
        self.accept()

    @classmethod
    def ask(cls, own_file: Path, save: Save, *, opened_before: bool = False) -> str | None:
        """The address chosen and saved, or None when the person chose Quit (nothing starts)."""
        dialog = cls(None, own_file, save, opened_before=opened_before)  # no window yet to be its parent
        dialog.exec()
        return dialog.chosen
