"""Gel alerts on screen: a line each above every page, a system notification and a sound, each alert
raised once (per start of the app) and shown until a member of staff acknowledges it.

Whether an alert is due comes from the domain (stored instants and acknowledgements), so an alert
that fell due while the app was closed or the PC asleep is raised as soon as the app looks.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.alerts import Alert, AlertKind
from desk_app.paths import resource_path
from desk_app.ui.live_sessions import LiveSessions
from desk_app.ui.saving import SAVING

ALERT_SOUND = "sounds/alert.wav"


class Announcer(Protocol):
    def announce(self, alert: Alert) -> None: ...


class SystemAnnouncer:
    """A desktop notification and a chime. Qt's sound module is not in PySide6-Essentials, so the
    chime is played by the system's own player (winsound on Windows; paplay, aplay or afplay)."""

    def __init__(self, parent: QObject) -> None:
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            from PySide6.QtWidgets import QStyle  # here: its many enums cost every start (issue 20)

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
    from PySide6.QtCore import QProcess  # when first heard, not at every start

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
        self.announced: set[tuple[int, AlertKind, datetime]] = set()
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


ALERTS_IN_VIEW = 3
"""Alert lines shown at once; more scroll inside the banner, so the pages below keep their room."""

_TONES = {AlertKind.READY: "calm", AlertKind.REMOVE_NOW: "urgent"}
_HEARD_TONES = {AlertKind.READY: "Alert", AlertKind.REMOVE_NOW: "Urgent alert"}


def most_urgent_first(alerts: list[Alert]) -> list[Alert]:
    """Gel to remove now before gel that is ready; among each, the one due longest."""
    return sorted(alerts, key=lambda alert: (alert.kind is not AlertKind.REMOVE_NOW, alert.due_at))


class AlertBanner(QScrollArea):
    """One compact line per alert due, most urgent first, each with its own Acknowledge beside its
    words: calm for gel that is ready, urgent (red) for gel to remove now. Beyond three lines the
    banner scrolls inside, so four or more alerts never push a page's footer off the screen."""

    def __init__(self, acknowledge: Callable[[Alert], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertBanner")
        self.acknowledge = acknowledge
        self.private = False  # while the screen is locked: short names, nothing to acknowledge
        self.alerts: list[Alert] = []
        self.acknowledging: set[tuple] = set()  # the alerts whose acknowledgement is being saved
        self._buttons: dict[tuple, QPushButton] = {}  # each line's Acknowledge, by its alert
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its buttons take the keyboard, not the frame
        lines = QWidget(self)
        lines.setObjectName("alertLines")
        self.rows = QVBoxLayout(lines)
        self.rows.setContentsMargins(8, 3, 8, 3)
        self.rows.setSpacing(3)
        self.setWidget(lines)
        self.setVisible(False)

    def show_alerts(self, alerts: list[Alert]) -> None:
        while self.rows.count():
            item = self.rows.takeAt(0)
            assert item is not None  # the column still has one
            if (widget := item.widget()) is not None:
                # Out of the window at once (its words may name a patient the lock must hide); the
                # deletion waits for the event loop: a clicked Acknowledge may be on the stack.
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        self._buttons.clear()
        shown_before = {alert.key for alert in self.alerts}
        self.alerts = most_urgent_first(alerts)
        for alert in self.alerts:
            line = self._line(alert)
            self.rows.addWidget(line)
            if alert.key not in shown_before:  # a screen reader says a new alert wherever the focus is
                words = line.findChild(QLabel, "alertText")
                assert words is not None  # _line made it
                from PySide6.QtGui import QAccessible, QAccessibleEvent  # at the first alert, not the start

                QAccessible.updateAccessibility(QAccessibleEvent(words, QAccessible.Event.Alert))
        self.setVisible(bool(alerts))
        self.setAccessibleName(f"Gel alerts: {len(alerts)}, the most urgent first")
        self._fit_lines()

    def show_acknowledging(self, alert: Alert, saving: bool) -> None:
        """The line's button reads "Saving…" while its acknowledgement is on its way to the
        database, and asks nothing more; the line goes once it is saved (show_alerts)."""
        if saving:
            self.acknowledging.add(alert.key)
        else:
            self.acknowledging.discard(alert.key)
        if (button := self._buttons.get(alert.key)) is not None:
            _show_button_saving(button, alert, saving)

    def _line(self, alert: Alert) -> QWidget:
        row = QWidget()
        row.setObjectName("alertRow")
        row.setProperty("kind", alert.kind.value)
        row.setProperty("tone", _TONES[alert.kind])
        row.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)  # its tone's colour fills the line
        line = QHBoxLayout(row)
        line.setContentsMargins(8, 1, 8, 1)
        text = QLabel(alert.private_message if self.private else alert.message, row)
        text.setObjectName("alertText")
        text.setAccessibleDescription(_HEARD_TONES[alert.kind])
        line.addWidget(text)
        if not self.private:
            button = QPushButton("Acknowledge", row)
            button.setObjectName("acknowledgeButton")
            self._buttons[alert.key] = button
            _show_button_saving(button, alert, alert.key in self.acknowledging)
            button.clicked.connect(lambda _=False, a=alert: self.acknowledge(a))
            line.addWidget(button)
        line.addStretch(1)
        return row

    def _row(self, index: int) -> QWidget:
        """The line at `index` (below rows.count(): each row of the column is a line)."""
        item = self.rows.itemAt(index)
        widget = item.widget() if item is not None else None
        assert widget is not None
        return widget

    def _fit_lines(self) -> None:
        """As tall as its lines, up to ALERTS_IN_VIEW of them; the rest scroll."""
        shown = [self._row(i) for i in range(min(self.rows.count(), ALERTS_IN_VIEW))]
        margins = self.rows.contentsMargins()
        lines = sum(row.sizeHint().height() for row in shown) + self.rows.spacing() * max(len(shown) - 1, 0)
        self.setFixedHeight(lines + margins.top() + margins.bottom() + 2 * self.frameWidth())


def _show_button_saving(button: QPushButton, alert: Alert, saving: bool) -> None:
    button.setText(SAVING if saving else "Acknowledge")
    button.setAccessibleName(f"{SAVING} {alert.message}" if saving else f"Acknowledge: {alert.message}")
    button.setEnabled(not saving)
