"""Gel alerts on screen: a banner on every page, a system notification and a sound, each alert
raised once (per start of the app) and shown until a member of staff acknowledges it.

Whether an alert is due comes from the domain (stored instants and acknowledgements), so an alert
that fell due while the app was closed or the PC asleep is raised as soon as the app looks.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, QProcess, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.alerts import Alert
from desk_app.paths import resource_path
from desk_app.ui.live_sessions import LiveSessions

ALERT_SOUND = "sounds/alert.wav"


class Announcer(Protocol):
    def announce(self, alert: Alert) -> None: ...


class SystemAnnouncer:
    """A desktop notification and a chime. Qt's sound module is not in PySide6-Essentials, so the
    chime is played by the system's own player (winsound on Windows; paplay, aplay or afplay)."""

    def __init__(self, parent: QObject) -> None:
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            self.tray = QSystemTrayIcon(icon, parent)
            self.tray.setToolTip("Treatment Desk")
            self.tray.show()

    def announce(self, alert: Alert) -> None:
        if self.tray is not None:
            # A notification can pop up over a locked screen: the short name only.
            self.tray.showMessage(
                "Treatment Desk", alert.private_message, QSystemTrayIcon.MessageIcon.Warning
            )
        play_alert_sound()


def play_alert_sound() -> None:
    path = str(resource_path(ALERT_SOUND))
    if sys.platform == "win32":
        import winsound

        winsound.PlaySound(path, winsound.SND_FILENAME | winsound.SND_ASYNC)
        return
    for player in ("paplay", "aplay", "afplay"):
        if shutil.which(player):
            QProcess.startDetached(player, [path])
            return
    QApplication.beep()


class AlertCentre(QObject):
    """Finds the alerts due every second and raises each new one once."""

    alert_raised = Signal(object)
    """An alert (domain Alert) fell due and was not yet announced by this run of the app."""

    alerts_changed = Signal(list)
    """The list of alerts due and not acknowledged changed (for the banner)."""

    def __init__(self, sessions: LiveSessions, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sessions = sessions
        self.announced: set[tuple[int, str]] = set()
        self.due: list[Alert] = []

    def check(self, force: bool = False) -> None:
        """Raise new alerts; tell the banner when the list changed (or always, with `force`)."""
        due = [alert for card in self.sessions.cards() for alert in card.alerts]
        for alert in due:
            if alert.key not in self.announced:
                self.announced.add(alert.key)
                self.alert_raised.emit(alert)
        if due != self.due or force:
            self.due = due
            self.alerts_changed.emit(due)


class AlertBanner(QFrame):
    """One line per alert due, with who needs what, and a button to acknowledge it."""

    def __init__(self, acknowledge: Callable[[Alert], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertBanner")
        self.acknowledge = acknowledge
        self.private = False  # while the screen is locked: short names, nothing to acknowledge
        self.rows = QVBoxLayout(self)
        self.rows.setContentsMargins(8, 4, 8, 4)
        self.setVisible(False)

    def show_alerts(self, alerts: list[Alert]) -> None:
        while self.rows.count():
            widget = self.rows.takeAt(0).widget()
            if widget is not None:
                widget.hide()  # at once: the deletion waits for the event loop, and must not show
                widget.deleteLater()
        for alert in alerts:
            row = QWidget(self)
            row.setObjectName("alertRow")
            row.setProperty("kind", alert.kind.value)
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            text = QLabel(alert.private_message if self.private else alert.message, row)
            text.setObjectName("alertText")
            text.setWordWrap(True)
            line.addWidget(text, 1)
            if not self.private:
                button = QPushButton("Acknowledge", row)
                button.setAccessibleName(f"Acknowledge: {alert.message}")
                button.setMinimumHeight(44)
                button.clicked.connect(lambda _=False, a=alert: self.acknowledge(a))
                line.addWidget(button)
            self.rows.addWidget(row)
        self.setVisible(bool(alerts))
