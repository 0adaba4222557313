"""One thread owns the desk's database connection; the window never waits on the database.

The model is Anki's: store calls are queued in order to one worker thread, which alone talks to the
database; each result comes back to the UI thread by a signal. So a stalled server holds up the
worker, never the event loop: countdowns, alerts and the idle lock go on from the last state known.

Two ways in:
- `submit(call, done, failed)`: the window goes on at once; `done(result)` or `failed(refusal)`
  runs on the UI thread once the call has returned (a write: once it has committed).
- `call(method, ...)`: waits for the result, after everything queued before it (the same order). It
  is for the actions not yet moved to `submit`, which waited on the database before the worker too;
  `OnWorker` routes a desk's methods through it, so no store call can overtake a queued write.

Contact: `out_of_touch_since` says since when the database has not answered, when a call has been
waiting (or failing for want of the database) longer than OUT_OF_TOUCH_AFTER. Workers on one
database share their contact (`shares_contact_with`): an answer to any of them is contact.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from peewee import Database
from PySide6.QtCore import QObject, Qt, Signal

from desk_app.domain.clock import Clock
from desk_app.domain.errors import DomainError
from desk_app.store.context import Service
from desk_app.store.errors import StoreUnavailable
from desk_app.ui.formatting import local_time

log = logging.getLogger(__name__)

R = TypeVar("R")
D = TypeVar("D")

NOW, LATER, _LAST = 0, 1, 2  # the worker's lanes (see DatabaseWorker.submit)
OUT_OF_TOUCH_AFTER = timedelta(seconds=5)
PROMPT_ANSWER = timedelta(seconds=1)
STOP_WAIT_SECONDS = 10.0  # at closing: what is queued is finished first, within reason


@dataclass(eq=False)
class _Job:
    call: Callable[[], Any]
    done: Callable[[Any], None] | None = None
    failed: Callable[[DomainError], None] | None = None
    result: Any = None
    error: BaseException | None = None
    returned: threading.Event | None = None  # set for a waiting call(); such a job is not delivered
    what: str = ""  # a write the nurse made, named for the question at closing; "" for a read
    asked_at: datetime | None = None  # when a named write was asked


class _Contact:
    """When the database last answered, and since when it has been failing for want of it, as the
    workers talking to it see it. Written by the workers, read by the UI thread: single assignments
    of immutable values; `workers` is only added to on the UI thread, as each is made."""

    def __init__(self, clock: Clock) -> None:
        self.last: datetime = clock.now()
        self.failing_since: datetime | None = None
        self.workers: list[DatabaseWorker] = []


class DatabaseWorker(QObject):
    """The thread that owns the desk's connection (peewee gives each thread its own; the worker's
    is closed when the worker stops). A second worker on the same database has a connection of
    its own: for reads that must never hold up the nurse's actions (the look for other desks'
    changes), sharing the first one's contact."""

    _finished = Signal(object)  # a submitted _Job, carried to the UI thread

    def __init__(
        self,
        db: Database,
        clock: Clock,
        parent: QObject | None = None,
        shares_contact_with: DatabaseWorker | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._clock = clock
        # (lane, order asked, job): the nurse's actions first (NOW), in the order asked; then the
        # reads the window keeps fresh by itself (LATER); the stop last.
        self._jobs: queue.PriorityQueue[tuple[int, int, _Job | None]] = queue.PriorityQueue()
        self._asked = itertools.count()
        self._unfinished = 0  # queued or running (guarded by _drained)
        self._stopping = False  # stop() was called: what comes later runs on the caller's thread
        self._drained = threading.Condition()
        self._undelivered = 0  # submitted jobs whose result the UI thread has not had yet
        self._saving: list[_Job] = []  # named writes not yet run to their end (guarded by _drained)
        self.unsaved = 0  # named writes refused or failed, as their askers were told (UI thread)
        # Written by the worker, read by the UI thread: a single assignment of an immutable value.
        self._waiting_since: datetime | None = None  # the running call's start
        self._contact: _Contact = (
            _Contact(clock) if shares_contact_with is None else shares_contact_with._contact
        )
        self._contact.workers.append(self)
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._thread = threading.Thread(target=self._serve, name="database worker", daemon=True)
        self._thread.start()

    # --- the UI thread's side ---------------------------------------------------------------------

    def submit(
        self,
        call: Callable[[], R],
        done: Callable[[R], None] | None = None,
        failed: Callable[[DomainError], None] | None = None,
        lane: int = NOW,
        what: str = "",
    ) -> None:
        """Queue `call`; `done` or `failed` runs on the UI thread when it has returned. An error that
        is not a refusal or an unavailable database is a bug: `failed` hears UnexpectedError (so the
        asker does not wait for ever), then the bug is raised on the UI thread. `lane` LATER is for
        a read the window keeps fresh by itself (never a write: writes keep the order asked): it
        gives way to the nurse's actions queued after it, which it then sees. `what` names a write:
        closing asks about the writes still being saved (`still_saving`)."""
        job = _Job(call, done, failed, what=what)
        self._undelivered += 1
        if self._stopping:  # the window is closing: nothing is lost, nothing waits for a thread
            self._run(job, deliver=self._deliver)
            return
        if what:
            job.asked_at = self._clock.now()
            with self._drained:
                self._saving.append(job)
        self._put(job, lane)

    def call(self, method: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """`method(*args, **kwargs)` on the worker, after everything queued before; waits for it."""
        if threading.current_thread() is self._thread or self._stopping:
            return method(*args, **kwargs)
        job = _Job(lambda: method(*args, **kwargs), returned=threading.Event())
        self._put(job, NOW)
        assert job.returned is not None
        job.returned.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def idle(self) -> bool:
        """Nothing queued, running or waiting to be delivered."""
        return self._undelivered == 0

    def wait_until_drained(self, timeout: float) -> bool:
        """Wait until nothing is queued or running (results may still wait to be delivered, by the
        event loop); False if `timeout` seconds passed first."""
        with self._drained:
            return self._drained.wait_for(lambda: self._unfinished == 0, timeout)

    def still_saving(self) -> list[str]:
        """The named writes asked and not yet saved (or refused), in the order asked."""
        with self._drained:
            return [job.what for job in self._saving]

    def _put(self, job: _Job | None, lane: int) -> None:
        with self._drained:
            self._unfinished += 1
        self._jobs.put((lane, next(self._asked), job))

    def out_of_touch_since(self) -> datetime | None:
        """The last time the database answered (any worker sharing this one's contact), when that
        is longer ago than OUT_OF_TOUCH_AFTER and a call is waiting on it or failing for want of
        it; None while in touch."""
        contact = self._contact
        waiting = any(worker._waiting_since is not None for worker in contact.workers)
        if not waiting and contact.failing_since is None:
            return None
        last = contact.last
        return last if self._clock.now() - last >= OUT_OF_TOUCH_AFTER else None

    def slow_since(self) -> datetime | None:
        """When the oldest write still being saved was asked, once that is OUT_OF_TOUCH_AFTER ago:
        a database that answers, but so slowly that what the nurse saved waits behind other work."""
        with self._drained:
            asked = self._saving[0].asked_at if self._saving else None
        return asked if asked is not None and self._clock.now() - asked >= OUT_OF_TOUCH_AFTER else None

    def answering(self) -> bool:
        """The database answers promptly now: no call waiting on this worker for a second or more,
        none failing. A page that would wait on a read it could do without asks this first."""
        since = self._waiting_since
        prompt = since is None or self._clock.now() - since < PROMPT_ANSWER
        return prompt and self._contact.failing_since is None

    def stop(self, wait_seconds: float = STOP_WAIT_SECONDS) -> None:
        """Finish what is queued (a write the nurse made must not be dropped), then end the thread;
        after `wait_seconds` the app closes all the same, and the log counts what was not saved."""
        if self._stopping:
            return
        self._stopping = True
        self._put(None, _LAST)
        self._thread.join(wait_seconds)
        if self._thread.is_alive() and (unsaved := len(self.still_saving())):
            # Counted, not named: the log holds no one's name.
            log.error(
                "The database did not answer within %s s at closing: %s actions not saved",
                wait_seconds,
                unsaved,
            )
        elif self._thread.is_alive():
            log.info("Closing without waiting for a read the database has not answered")

    def _deliver(self, job: _Job) -> None:
        self._undelivered -= 1
        if job.error is None:
            if job.done is not None:
                job.done(job.result)
            return
        if job.what:
            self.unsaved += 1
        if job.failed is not None:  # a bug too: the asker must not wait for an answer for ever
            job.failed(job.error if isinstance(job.error, DomainError) else UnexpectedError())
        if not isinstance(job.error, DomainError):
            raise job.error  # the app's handler logs it and tells the nurse

    # --- the worker's side ------------------------------------------------------------------------

    def _serve(self) -> None:
        try:
            while (job := self._jobs.get()[2]) is not None:
                self._run(job, deliver=self._finished.emit)
                self._finished_one(job)
        finally:
            self._db.close()  # this thread's connection only; closing twice is harmless
            self._finished_one()  # the stop

    def _finished_one(self, job: _Job | None = None) -> None:
        with self._drained:
            if job is not None and job.what:
                self._saving.remove(job)
            self._unfinished -= 1
            self._drained.notify_all()

    def _run(self, job: _Job, deliver: Callable[[_Job], None]) -> None:
        self._waiting_since = self._clock.now()
        try:
            job.result = job.call()
        except Exception as error:  # carried to the UI thread, raised or handed to `failed` there
            job.error = error
        now, contact = self._clock.now(), self._contact
        if isinstance(job.error, StoreUnavailable):
            if contact.failing_since is None:
                contact.failing_since = now
        else:  # an answer, even a refusal, is contact
            contact.last, contact.failing_since = now, None
        self._waiting_since = None
        if job.returned is not None:
            job.returned.set()
        else:
            deliver(job)


class UnexpectedError(DomainError):
    """What the asker hears when its call failed with a bug (the bug itself is raised too)."""

    def __init__(self) -> None:
        super().__init__("It went wrong unexpectedly: check what is shown, and tell the clinic manager.")


def out_of_touch_text(since: datetime) -> str:
    """The banner's words: what is wrong, since when, and what still works."""
    return (
        f"Out of touch with the clinic's records since {local_time(since)}. Countdowns and alerts go "
        "on from what was last read; what you save waits until the records answer."
    )


def slow_text(since: datetime) -> str:
    """The banner's words when the records answer, slowly."""
    return (
        f"The clinic's records are answering slowly: what was saved at {local_time(since)} is not saved "
        "yet. Countdowns and alerts go on; wait for “Saving…” to end before relying on it."
    )


class OnWorker:
    """A desk whose every method, and every method of its services, called from the UI thread runs on
    the worker and is waited for (`DatabaseWorker.call`); its other attributes (the procedure, the
    clock) are read as they are.

    What the pages hold as their desk: an action not yet moved to `submit` still cannot overtake
    a write queued before it, and only the worker's connection is ever used.
    """

    __slots__ = ("_target", "_worker")  # setting anything else on it is a mistake, and says so

    def __init__(self, target: object, worker: DatabaseWorker) -> None:
        self._target = target
        self._worker = worker

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if inspect.ismethod(value):
            return functools.partial(self._worker.call, value)
        if isinstance(value, Service):  # desk.sessions.tick(...) runs on the worker too
            return OnWorker(value, self._worker)
        return value


def for_a_thread_of_its_own(desk: D) -> D:
    """The desk itself, not through the worker: for a long job on a thread of its own, which uses
    its own connection (ui.long_job closes it), so a verify or a long PDF holds up no tick."""
    return cast("D", desk._target) if isinstance(desk, OnWorker) else desk
