"""The sessions in progress, kept fresh for the board and the alerts without slowing a tick.

A change (here or at another desk) only marks the list stale; it is read again on the database
worker when next needed, and `read` is emitted when it arrives, so neither a nurse's click nor a
second's tick waits for the whole board to reload, or for a stalled server. A change made here
whose committed record is at hand (a tick, an acknowledgement) is taken as it is, not read again:
a read queued after every tick would hold up the nurse's next click on a server far away. On a
server the reads run on the look's worker, a connection of their own, so a click never waits
behind one either: a read asked before a change made here (it may have run before that change
committed) is dropped and asked again. Every second only the cheap part runs: the board at the new
`now` from the records last read, worked out once for the whole tick (`one_instant`), each session's
state kept by its record (SessionRecord.state).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from desk_app.domain.clock import Clock
from desk_app.domain.errors import DomainError
from desk_app.store.desk import Desk
from desk_app.ui.db_worker import LATER, DatabaseWorker, for_a_thread_of_its_own
from desk_app.ui.signals import DeskSignals

if TYPE_CHECKING:
    from desk_app.domain.board import BoardCard
    from desk_app.domain.session import SessionRecord


class LiveSessions(QObject):
    read = Signal()
    """The sessions were read again, or could not be (`error`), or an action here committed one:
    the board and the alerts have news."""

    def __init__(
        self,
        desk: Desk,
        worker: DatabaseWorker,  # where the reads run: the look's worker, on a server
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
        self._changes = 0  # changes known here: a read asked before the last one is out of date
        self._taken: int | None = None  # the session whose committed record was just taken
        self.error: str | None = None
        self._in_instant = False  # a tick is running: the board is worked out once for all of it
        self._instant_cards: list[BoardCard] | None = None
        signals.session_saved.connect(self._saved_here)
        signals.session_changed.connect(self._changed_here)
        signals.changed_elsewhere.connect(self.mark_stale)

    def mark_stale(self) -> None:
        """A session changed: read them again now (on the worker), so the alerts are worked out
        from the old records no longer than a read takes."""
        self._stale = True
        self._changes += 1
        self.read_if_stale()

    def read_if_stale(self) -> None:
        """Ask the worker for the sessions if they changed, or the last read failed (asked again
        each second by the window's tick, not at once: a failing database is not hammered)."""
        if self._stale and not self._reading:
            # Marked fresh now: a change made while this read is queued marks it stale again.
            self._stale, self._reading = False, True
            asked_after = self._changes
            self.worker.submit(
                for_a_thread_of_its_own(self.desk).sessions.sessions_in_progress,  # the worker's thread
                lambda records: self._have_read(records, asked_after),
                self._could_not_read,
                LATER,  # on the desk's worker (a file's): after a tick queued meanwhile
            )

    def replace(self, record: SessionRecord) -> None:
        """A session's record as an action here just committed it: used at once (its alerts are
        gone now, not after a read). Other desks' changes come with the look for them
        (changed_elsewhere); a record older than the one kept (an answer overtaken by a later
        action's) changes nothing."""
        kept = next((kept for kept in self._records if kept.id == record.id), None)
        if kept is not None and _last_event_id(kept) > _last_event_id(record):
            return
        others = [kept for kept in self._records if kept.id != record.id]
        self._changes += 1  # a read already on its way may not hold it: it is read again
        self._records_changed(others if record.state(self.clock.now()).ended else [*others, record])

    def cards(self) -> list[BoardCard]:
        """The board at this instant, the session needing attention first, from the records last
        read; never waits. If the database cannot be read, the last records go on being used, so
        countdowns and alerts go on; `error` says why. Within `one_instant`, the same board."""
        if not self._records:  # none in progress (as at the start, before any is read): no board
            return []
        from desk_app.domain.board import board  # with the first session read: not by a start

        if not self._in_instant:
            return board(self._records, self.clock.now())
        if self._instant_cards is None:
            self._instant_cards = board(self._records, self.clock.now())
        return self._instant_cards

    @contextmanager
    def one_instant(self) -> Iterator[None]:
        """A second's tick: the alerts, the board and the locked screen's lines read one board,
        worked out once (issue 23: it was worked out by each), again only if the records change.
        Within one already (the idle lock ticks again as it locks), the same instant goes on."""
        if self._in_instant:
            yield
            return
        self._in_instant = True
        try:
            yield
        finally:
            self._in_instant, self._instant_cards = False, None

    def _records_changed(self, records: list[SessionRecord]) -> None:
        self._records, self._instant_cards = records, None
        self.read.emit()

    def _saved_here(self, record: SessionRecord) -> None:
        self.replace(record)
        self._taken = record.id

    def _changed_here(self, session_id: int) -> None:
        """A session changed here: read them again, unless its committed record was just taken."""
        taken, self._taken = self._taken, None
        if session_id != taken:
            self.mark_stale()

    def _have_read(self, records: list[SessionRecord], asked_after: int) -> None:
        self._reading, self.error = False, None
        if asked_after != self._changes:  # read before a change made here: read again, show none
            self._stale = True
            self.read_if_stale()
            return
        self._records_changed(records)

    def _could_not_read(self, error: DomainError) -> None:
        self._reading, self._stale, self.error = False, True, str(error)
        self.read.emit()


def _last_event_id(record: SessionRecord) -> int:
    """How far a session's record goes: the newer of two records of a session has the higher id."""
    return max((event.id for event in record.events), default=0)
