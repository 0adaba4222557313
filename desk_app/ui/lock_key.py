"""The lock key from another window of the app. A modal dialog (a note being written, an override)
blocks the main window's shortcuts, and a window of its own (the F1 sheet) does not have them, so
Ctrl+L would do nothing there while a patient's name is on screen; the lock then closes the dialogs
(MainWindow.lock)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QKeyCombination, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QWidget


class LockKeyInDialogs(QObject):
    """Installed on the application: the lock action's key, pressed in a window other than the main
    window (whose own shortcut serves it there), triggers the action when it is enabled (somebody
    is at the desk)."""

    def __init__(self, lock_action: QAction, main_window: QWidget) -> None:
        super().__init__(main_window)
        self.lock_action = lock_action
        self.main_window = main_window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and self.lock_action.isEnabled()
            and (
                QApplication.activeModalWidget() is not None
                or QApplication.activeWindow() is not self.main_window
            )
        ):
            pressed = QKeySequence(QKeyCombination(event.modifiers(), Qt.Key(event.key())))
            if pressed.matches(self.lock_action.shortcut()) is QKeySequence.SequenceMatch.ExactMatch:
                self.lock_action.trigger()
                return True
        return False
