"""The lock key from inside a dialog. A modal dialog (a note being written, an override) blocks the
main window's shortcuts, so Ctrl+L would do nothing while the dialog shows a patient's name; the
lock then closes the dialog with every other (MainWindow.lock)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QKeyCombination, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication


class LockKeyInDialogs(QObject):
    """Installed on the application: the lock action's key, pressed while a modal dialog is up,
    triggers the action (when it is enabled: somebody is at the desk)."""

    def __init__(self, lock_action: QAction, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lock_action = lock_action

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and QApplication.activeModalWidget() is not None
            and self.lock_action.isEnabled()
        ):
            pressed = QKeySequence(QKeyCombination(event.modifiers(), Qt.Key(event.key())))
            if pressed.matches(self.lock_action.shortcut()) is QKeySequence.SequenceMatch.ExactMatch:
                self.lock_action.trigger()
                return True
        return False
