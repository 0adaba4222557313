"""What a dialog saves through the database worker, without the window waiting for it.

A dialog's save gives back a `Saving`: the store call to run on the worker, what the page shows once
it has committed, and how a refusal is put in words. The dialog says "Saving…" on its button until
the answer comes (ui.form_dialog), closes when saved and says why not when refused. Meanwhile the
window goes on: countdowns and alerts run, and a stalled server holds up only this dialog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from desk_app.domain.errors import DomainError
from desk_app.ui.db_worker import DatabaseWorker

log = logging.getLogger(__name__)

R = TypeVar("R")

SAVING = "Saving…"  # what a control says while what it asked is on its way to the database


def _nothing(_result: object) -> None:
    """What a save that changes nothing on the page shows once committed: nothing."""


def _unseen(words: str) -> None:
    log.warning("Not saved, and its dialog had closed: %s", words)


class Asked:
    """Whether an answer is still wanted when it comes back from the worker: the lock, another
    patient or a newer read moves the page on, and what was asked before is then not shown."""

    def __init__(self) -> None:
        self._moves = 0

    def move_on(self) -> None:
        """What was asked before is not shown when it comes."""
        self._moves += 1

    def still(self) -> Callable[[], bool]:
        """Asked now: true while the page has not moved on since."""
        asked = self._moves
        return lambda: asked == self._moves

    def newest(self) -> Callable[[], bool]:
        """A read that replaces any still on its way."""
        self.move_on()
        return self.still()


@dataclass(frozen=True)
class Saving(Generic[R]):
    """A store call (`call`, run on the worker) and what follows it on the UI thread: `saved(result)`
    once it has committed; `refused(error)` gives the words to show in the dialog (a page may read
    its state again first: what it showed may be why it was refused); `unseen(words)` says it where
    the nurse will see it when the dialog has been closed meanwhile (by the lock)."""

    worker: DatabaseWorker
    call: Callable[[], R]
    saved: Callable[[R], None] = _nothing
    refused: Callable[[DomainError], str] = str
    unseen: Callable[[str], None] = _unseen

    def then(self, after: Callable[[], None]) -> Saving[R]:
        """The same save, with `after()` run once what it saved is shown."""
        shown = self.saved

        def saved_then_after(result: R) -> None:
            shown(result)
            after()

        return replace(self, saved=saved_then_after)

    def refused_with(self, words: Callable[[DomainError], str]) -> Saving[R]:
        """The same save, refusals put in `words` (which may hand a refusal on to `self.refused`)."""
        return replace(self, refused=words)


# What a dialog's save gives back: None (done: close), a problem to show, or a save to wait for.
Answer = str | None | Saving[Any]


class ReadFirst:
    """What a dialog needs to show, read on the worker before it opens: the window goes on
    meanwhile, and a second press before the answer comes asks nothing more (one dialog opens)."""

    def __init__(self, worker: DatabaseWorker) -> None:
        self._worker = worker
        self.reading = False

    def __call__(
        self,
        read: Callable[[], R],
        then: Callable[[R], None],
        failed: Callable[[DomainError], None],
        still_wanted: Callable[[], bool] = lambda: True,
    ) -> None:
        """`then(what was read)` unless `still_wanted()` has become False meanwhile (the page moved
        on, the screen locked); a refusal or a database gone goes to `failed`."""
        if self.reading:
            return
        self.reading = True

        def answered(result: R) -> None:
            self.reading = False
            if still_wanted():
                then(result)

        def not_answered(error: DomainError) -> None:
            self.reading = False
            failed(error)

        self._worker.submit(read, answered, not_answered)
