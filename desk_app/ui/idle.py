"""How long the desk has gone without anyone touching it, for the idle lock.

Time comes from the app's clock, so tests move it on instead of waiting five minutes.
"""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QEvent, QObject

from desk_app.domain.clock import Clock

_USE = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleWatcher(QObject):
    """Installed on the application: every key press, click, mouse move or touch counts as use."""

    def __init__(self, clock: Clock, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clock = clock
        self.last_use = clock.now()

    def touch(self) -> None:
        self.last_use = self.clock.now()

    def idle_for(self) -> timedelta:
        return self.clock.now() - self.last_use

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _USE:
            self.touch()
        return False
