"""The lock key from another window of the app. A modal dialog (a note being written, an override)
blocks the main window's shortcuts, and a window of its own (the F1 sheet) does not have them, so
Ctrl+L would do nothing there while a patient's name is on screen; the lock then closes the dialogs
(MainWindow.lock)."""

from __future__ import annotations

from PySide6.QtCore import QKeyCombination, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QWidget


class LockKeyInDialogs:
    """The lock action's key, pressed in a window other than the main window (whose own shortcut
    serves it there), triggers the action when it is enabled (somebody is at the desk)."""

    def __init__(self, lock_action: QAction, main_window: QWidget) -> None:
        self.lock_action = lock_action
        self.main_window = main_window

    def pressed(self, event: QKeyEvent) -> bool:
        """Told of every key pressed in the app (app_events); whether it locked (the key is used)."""
        if self.lock_action.isEnabled() and (
            QApplication.activeModalWidget() is not None
            or QApplication.activeWindow() is not self.main_window
        ):
            pressed = QKeySequence(QKeyCombination(event.modifiers(), Qt.Key(event.key())))
            if pressed.matches(self.lock_action.shortcut()) is QKeySequence.SequenceMatch.ExactMatch:
                self.lock_action.trigger()
                return True
        return False
