"""Search as a nurse types without a database query at every keystroke (issue 20 point 3).

Each change to the field restarts one short single-shot timer; when the nurse pauses for
SEARCH_DELAY_MS the search runs once, with the text as it is then: a text typed over while waiting
(a superseded query) is never run. Enter or Down runs a waiting search at once (what follows reads
its results), and forget() cancels it. Leaving the field does not: a click on the list would then
land on a row of a list refilled under the pointer. Each search is a numbered `Query`: a result
that comes back after another query was asked is to be dropped by asking `is_current` before showing
it: a page whose search runs on the database worker (ui/db_worker.py) without waiting does so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, QSignalBlocker, QTimer
from PySide6.QtWidgets import QLineEdit

from desk_app.domain.errors import DomainError
from desk_app.ui.db_worker import DatabaseWorker

# Shorter than most gaps between keys (150-300 ms): a slow typist may search at most keys, a quick
# one at a pause; either way never a query per key of a burst, and never a result a moment stale.
SEARCH_DELAY_MS = 120

T = TypeVar("T")


@dataclass(frozen=True)
class Query:
    """One search asked: the text searched for, and its place in the order they were asked."""

    text: str
    number: int


class TypedSearch(QObject):
    """Installed on a search field: runs `run` with a `Query` once typing pauses (see the module)."""

    def __init__(self, field: QLineEdit, run: Callable[[Query], None]) -> None:
        super().__init__(field)
        self._field = field
        self._run = run
        self._latest = 0  # the number of the last query asked, or of the change that superseded it
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.run_now)
        field.textChanged.connect(self._changed)

    def _changed(self) -> None:
        """Typed, cleared or pasted: the query asked before is superseded; search once typing pauses.
        An emptied field waits too: it is often the first step of typing another name, and an empty
        search reads the most rows."""
        self._latest += 1
        self._timer.start()  # restarts a running timer: one search per pause, not per key

    def run_now(self) -> None:
        """Search now with the field's text (the pause is over, Enter, another choice of what to list)."""
        self._run(self.ask())

    def ask(self) -> Query:
        """A query for the field's text now, superseding any waiting or on its way, without running
        `run` (the page searches itself: the list read again, not a search the nurse made)."""
        self._timer.stop()
        self._latest += 1
        return Query(self._field.text(), self._latest)

    def flush(self) -> None:
        """Run the search still waiting for the pause, if one is: what follows reads its results."""
        if self._timer.isActive():
            self.run_now()

    def cancel(self) -> None:
        """The screen locked: the search waiting never runs, and a result still to come is dropped."""
        self._timer.stop()
        self._latest += 1

    def forget(self) -> None:
        """The page forgets: the field is emptied without searching, and nothing waits to fill the
        list again while the screen is locked."""
        with QSignalBlocker(self._field):
            self._field.clear()
        self.cancel()

    def is_current(self, query: Query) -> bool:
        """Whether a result for `query` may still be shown: nothing typed, asked or cancelled since."""
        return query.number == self._latest


class SearchOnWorker(Generic[T]):
    """A page's search run on the database worker without waiting (issue 20 point 1).

    `ask` sends a query's read; its result is shown (`show`) only if it is still current (nothing
    typed, asked or cancelled since), else dropped. What the nurse asked to follow the search (Down
    to the list, the patient just registered chosen) waits for its result: `then`.
    """

    def __init__(
        self,
        typing: TypedSearch,
        worker: DatabaseWorker,
        show: Callable[[Query, list[T], bool], None],
        failed: Callable[[DomainError], None],
    ) -> None:
        self._typing, self._worker, self._show, self._failed = typing, worker, show, failed
        self._waiting: Query | None = None  # asked, its result not yet shown
        self._then: Callable[[], None] | None = None

    def ask(self, query: Query, read: Callable[[], list[T]], audited: bool) -> None:
        """`read` (made on the UI thread: what it reads of the page is read now) runs on the worker;
        `audited`: a search the nurse made, not the list read again."""
        self._waiting = query
        self._worker.submit(
            read, lambda found: self._came(query, found, audited), lambda e: self._refused(query, e)
        )

    def then(self, step: Callable[[], None]) -> None:
        """`step` once the search asked is shown; at once if none is on its way."""
        if self._waiting is None:
            step()
        else:
            self._then = step

    def forget(self) -> None:
        """The page forgets (the screen locks): a result on its way is not shown, nothing follows."""
        self._waiting = self._then = None

    def _came(self, query: Query, found: list[T], audited: bool) -> None:
        if not self._typing.is_current(query):
            return  # typed over, asked again or cancelled meanwhile: not shown
        self._waiting = None
        self._show(query, found, audited)
        step, self._then = self._then, None
        if step is not None:
            step()

    def _refused(self, query: Query, error: DomainError) -> None:
        if self._typing.is_current(query):
            self.forget()
            self._failed(error)
