"""The sessions in progress, kept fresh for the board and the alerts without slowing a tick.

A change (here or at another desk) only marks the list stale; it is read again on the database
worker when next needed, and `read` is emitted when it arrives, so neither a nurse's click nor a
second's tick waits for the whole board to reload, or for a stalled server. Every second only the
cheap part runs: deriving each session's state at the new `now` from the records last read.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desk_app.domain.board import BoardCard, board
from desk_app.domain.clock import Clock
from desk_app.domain.errors import DomainError
from desk_app.domain.session import SessionRecord
from desk_app.store.desk import Desk
from desk_app.ui.db_worker import DatabaseWorker
from desk_app.ui.signals import DeskSignals


class LiveSessions(QObject):
    read = Signal()
    """The sessions were read again: the board and the alerts have news."""

    def __init__(
        self,
        desk: Desk,
        worker: DatabaseWorker,
        clock: Clock,
        signals: DeskSignals,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.worker = worker
        self.clock = clock
        self._records: list[SessionRecord] = []
        self._stale = True
        self._reading = False  # a read is on the worker
        self.error: str | None = None
        signals.session_changed.connect(lambda _session_id: self.mark_stale())
        signals.changed_elsewhere.connect(self.mark_stale)

    def mark_stale(self) -> None:
        self._stale = True

    def cards(self) -> list[BoardCard]:
        """The board at this instant, the session needing attention first, from the records last
        read; a read is asked of the worker if they are stale. If the database cannot be read, the
        last records go on being used, so countdowns and alerts go on; `error` says why."""
        if self._stale and not self._reading:
            # Marked fresh now: a change made while this read is queued marks it stale again.
            self._stale, self._reading = False, True
            self.worker.submit(self.desk.sessions.sessions_in_progress, self._have_read, self._could_not_read)
        return board(self._records, self.clock.now())

    def _have_read(self, records: list[SessionRecord]) -> None:
        self._records, self._reading, self.error = records, False, None
        self.read.emit()

    def _could_not_read(self, error: DomainError) -> None:
        self._reading, self._stale, self.error = False, True, str(error)
