"""The sessions in progress, loaded once and kept fresh, for the board and the alerts.

Records are reloaded only when something changed (here or at another desk); every second only the
cheap part runs: deriving each session's state at the new `now`.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desk_app.domain.board import BoardCard, board
from desk_app.domain.clock import Clock
from desk_app.domain.session import SessionRecord
from desk_app.store.desk import Desk
from desk_app.ui.signals import DeskSignals


class LiveSessions(QObject):
    reloaded = Signal()
    """The list of sessions in progress was read again from the database."""

    def __init__(self, desk: Desk, clock: Clock, signals: DeskSignals, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.clock = clock
        self.records: list[SessionRecord] = []
        signals.session_changed.connect(lambda _session_id: self.reload())
        signals.changed_elsewhere.connect(self.reload)

    def reload(self) -> None:
        self.records = self.desk.sessions_in_progress()
        self.reloaded.emit()

    def cards(self) -> list[BoardCard]:
        """The board at this instant, the session needing attention first."""
        return board(self.records, self.clock.now())
