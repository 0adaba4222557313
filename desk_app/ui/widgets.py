"""Small widgets every page builds the same way."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import shiboken6
from PySide6.QtCore import QAbstractItemModel, QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QTableView,
    QWidget,
)


def message_label(parent: QWidget, name: str = "error", visible: bool = True) -> QLabel:
    """A wrapping label for what the nurse must read: an error, a lock reason, a risk."""
    label = QLabel("", parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setVisible(visible)
    return label


class Tone(StrEnum):
    """What a message is, shown by colour and weight (styles/desk.qss): a success never looks like
    an error."""

    ERROR = "error"  # red and bold: something was refused or went wrong
    DONE = "done"  # green: a save or an export went through
    NOTE = "note"  # plain: for information


def still_shown(widget: QWidget) -> bool:
    """The widget still exists and is on screen: an answer that comes back from the database after
    it closed (Close, the lock) is not shown in it."""
    return shiboken6.isValid(widget) and widget.isVisible()


def show_message(label: QLabel, text: str, tone: Tone = Tone.ERROR) -> None:
    """Show `text` in a message label, coloured for its tone."""
    label.setProperty("tone", tone.value)
    label.style().unpolish(label)
    label.style().polish(label)
    label.setText(text)
    label.setVisible(True)


def say(label: QLabel, text: str, tone: Tone, heard_as: str = "") -> None:
    """Show `text` on `label` and speak it wherever the focus is: an announcement says the words at
    once, and the label is heard as "`heard_as`: text" (with no `heard_as`, as its own text)."""
    show_message(label, text, tone)
    if heard_as:
        label.setAccessibleName(f"{heard_as}: {text}" if text else heard_as)
    if text:
        announce(label, text)


def announce(widget: QWidget, text: str) -> None:
    """A screen reader says `text` at once, wherever the focus is. Qt's accessibility classes are
    imported at the first announcement: not by a start (their enums cost some ms)."""
    from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent

    QAccessible.updateAccessibility(QAccessibleAnnouncementEvent(widget, text))


def row_table(parent: QWidget, name: str, model: QAbstractItemModel) -> QTableView:
    """A read-only table where a whole row is chosen, named for screen readers."""
    table = QTableView(parent)
    table.setAccessibleName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.setTabKeyNavigation(False)  # Tab leaves the table; the arrow keys move in it
    return table


def ask(
    parent: QWidget,
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    yes: str,
    no: str,
    answered: Callable[[bool], None],
) -> None:
    """Ask a yes-or-no question without blocking (countdowns go on; tests click its buttons): `no`
    is the default for Enter and Esc, and `answered` gets whether `yes` was clicked."""
    question = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    question.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    yes_button = question.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    no_button = question.addButton(no, QMessageBox.ButtonRole.RejectRole)
    question.setDefaultButton(no_button)
    question.setEscapeButton(no_button)
    question.buttonClicked.connect(lambda button: answered(button is yes_button))
    question.open()


class DownToResults(QObject):
    """Installed on a search field: Down or Enter goes to the list of what was found."""

    def __init__(self, field: QLineEdit, go_to_results: Callable[[], None]) -> None:
        super().__init__(field)
        self.go_to_results = go_to_results
        field.returnPressed.connect(go_to_results)
        field.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
        ):
            self.go_to_results()
            return True
        return False
