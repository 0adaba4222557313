"""The sessions in progress, kept fresh for the board and the alerts without slowing a tick.

A change (here or at another desk) only marks the list stale; it is read again when next needed,
at most once a second, so a nurse's click never waits for the whole board to reload. Every second
only the cheap part runs: deriving each session's state at the new `now`.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from desk_app.domain.board import BoardCard, board
from desk_app.domain.clock import Clock
from desk_app.domain.errors import DomainError
from desk_app.domain.session import SessionRecord
from desk_app.store.desk import Desk
from desk_app.ui.signals import DeskSignals


class LiveSessions(QObject):
    def __init__(self, desk: Desk, clock: Clock, signals: DeskSignals, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.clock = clock
        self._records: list[SessionRecord] = []
        self._stale = True
        self.error: str | None = None
        signals.session_changed.connect(lambda _session_id: self.mark_stale())
        signals.changed_elsewhere.connect(self.mark_stale)

    def mark_stale(self) -> None:
        self._stale = True

    def reload(self) -> None:
        self._records = self.desk.sessions.sessions_in_progress()
        self._stale = False

    def cards(self) -> list[BoardCard]:
        """The board at this instant, the session needing attention first. If the database cannot
        be read, the last records read are used, so countdowns and alerts go on; `error` says why."""
        if self._stale:
            try:
                self.reload()
                self.error = None
            except DomainError as error:
                self.error = str(error)
        return board(self._records, self.clock.now())
