"""A thread of its own for the photos' heavy work: preparing a camera's 12-megapixel photo for
import, decoding a full-size photo, making a folder's previews. Neither the window (countdowns,
alerts, the idle lock) nor the database worker (the nurse's ticks) waits on a decode.

`photo_work().submit(work, done, failed)`: `work()` runs on the photos' thread; `done(result)` or
`failed(refusal)` runs on the UI thread once it has returned. The asker checks that what it would
show is still there (a dialog closed by the lock is gone)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal

from desk_app.domain.errors import DomainError

log = logging.getLogger(__name__)

R = TypeVar("R")


class PhotoWorkFailed(DomainError):
    """What the asker hears when the work failed with something other than a refusal (logged)."""

    def __init__(self) -> None:
        super().__init__("The photo could not be read: it went wrong unexpectedly (see the log).")


@dataclass(eq=False)
class _Job:
    work: Callable[[], Any]
    done: Callable[[Any], None]
    failed: Callable[[DomainError], None]
    result: Any = None
    error: DomainError | None = None


class PhotoWork(QObject):
    """One thread, the photos' jobs run in the order asked."""

    _finished = Signal(object)  # a _Job, carried to the UI thread

    def __init__(self) -> None:
        super().__init__()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="photos")
        self._unfinished = 0  # asked and not yet delivered (UI thread only)
        self._running = 0  # asked and not yet run to its end (guarded by _drained)
        self._drained = threading.Condition()
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def submit(
        self, work: Callable[[], R], done: Callable[[R], None], failed: Callable[[DomainError], None]
    ) -> None:
        job = _Job(work, done, failed)
        self._unfinished += 1
        with self._drained:
            self._running += 1
        self._pool.submit(self._run, job)

    def idle(self) -> bool:
        """Nothing asked that has not been delivered (tests wait for this)."""
        return self._unfinished == 0

    def wait_until_drained(self, timeout: float) -> bool:
        """Wait until every job asked has run (its result may still wait for the event loop);
        False if `timeout` seconds passed first. As DatabaseWorker's: for tests and closing."""
        with self._drained:
            return self._drained.wait_for(lambda: self._running == 0, timeout)

    def _run(self, job: _Job) -> None:
        try:
            job.result = job.work()
        except DomainError as refusal:
            job.error = refusal
        except Exception:  # a bug or an OS error the pipeline did not word: logged, said plainly
            log.exception("A photo job failed")
            job.error = PhotoWorkFailed()
        self._finished.emit(job)
        with self._drained:
            self._running -= 1
            self._drained.notify_all()

    def _deliver(self, job: _Job) -> None:
        self._unfinished -= 1
        if job.error is None:
            job.done(job.result)
        else:
            job.failed(job.error)


_shared: PhotoWork | None = None


def photo_work() -> PhotoWork:
    """The app's one photos' thread, made when first needed (most days open no photo)."""
    global _shared  # noqa: PLW0603 (one thread for the app, made lazily)
    if _shared is None:
        _shared = PhotoWork()
    return _shared
