"""The app's one event filter. Qt calls an application's event filter for every event of every
object, tens of thousands for one window, and each call into Python and each reading of an event's
type costs: so the app installs one filter, which reads the type once and tells each watcher only
of the events it needs."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent

# What counts as someone using the desk (the idle lock).
USE = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class AppEvents(QObject):
    """Installed on the application by the main window (its child: removed with it)."""

    def __init__(
        self,
        parent: QObject,
        *,
        used: Callable[[], None],
        polished: Callable[[QObject], None],
        key_pressed: Callable[[QKeyEvent], bool],
    ) -> None:
        super().__init__(parent)
        self.used, self.polished, self.key_pressed = used, polished, key_pressed

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind == QEvent.Type.Polish:
            self.polished(watched)
        elif kind in USE:
            self.used()
            if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
                return self.key_pressed(event)
        return False
