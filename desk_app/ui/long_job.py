"""A long job (verify the records, a patient's history as a PDF) on a thread of its own, with a
progress bar and, where stopping is safe, Cancel, so the window never waits on it: countdowns,
alerts and the idle lock go on.

The job's function runs on its thread and is given a JobControl (progress, cancelled); its result
or its error comes back to the UI thread by a Qt signal, and what became of it (done, failed,
cancelled) is said on the message label of the page that started it, and announced to a screen
reader. A job that uses the database gets its own connection on its thread (peewee keeps one a
thread), closed when it ends, however it ends: one never closed would hold the file open.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from peewee import Database
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QThread, Signal
from PySide6.QtWidgets import QAbstractButton, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from desk_app.domain.errors import DomainError
from desk_app.domain.progress import Cancelled
from desk_app.ui.widgets import Tone, say

log = logging.getLogger(__name__)
_Result = TypeVar("_Result")


class JobControl:
    """What the job's function is given, on its thread: say how far it is, ask whether to stop."""

    def __init__(self, progressed: Callable[[int, int], None], cancel: threading.Event) -> None:
        self._progressed, self._cancel = progressed, cancel

    def progress(self, done: int, total: int) -> None:
        """(done, total) to the progress bar; a total of 0 shows it busy."""
        self._progressed(done, total)

    def cancelled(self) -> bool:
        """True once Cancel was pressed: stop at the next safe point by raising Cancelled."""
        return self._cancel.is_set()


@dataclass(frozen=True)
class _Outcome:
    result: Any = None
    error: BaseException | None = None


class _Runner(QThread):
    """The thread: runs the function, closes the thread's database connection, hands the outcome back."""

    progressed = Signal(int, int)
    """(done, total) from the job, to the UI thread."""

    ended = Signal(object)
    """The _Outcome, once the thread's connection is closed."""

    def __init__(self, work: Callable[[JobControl], Any], database: Database | None) -> None:
        super().__init__()
        self.work, self.database = work, database
        self.cancel = threading.Event()

    def run(self) -> None:
        control = JobControl(self.progressed.emit, self.cancel)
        try:
            try:
                outcome = _Outcome(result=self.work(control))
            finally:
                self._close_connection()
        except Exception as error:  # every failure goes back to the page that started the job
            outcome = _Outcome(error=error)
        self.ended.emit(outcome)

    def _close_connection(self) -> None:
        if self.database is not None and not self.database.is_closed():
            self.database.close()  # this thread's own connection only (peewee's are per thread)


# Every job still running, kept from the garbage collector until its thread has ended (a page may
# go first); at quit each is asked to stop and waited for.
_running: set[_Runner] = set()


def _keep_running(runner: _Runner) -> None:
    """Keep `runner` until its thread ends; forget those that have (their page went first)."""
    for ended in [each for each in _running if each.isFinished()]:
        _running.discard(ended)
    _running.add(runner)


def _stop_all_at_quit() -> None:
    for runner in list(_running):
        runner.cancel.set()
        runner.wait()


def _stop_jobs_at_quit() -> None:
    """Once per app: a thread still running when Qt's objects go would take the process down."""
    app = QCoreApplication.instance()
    if app is not None and not app.property(_QUIT_HOOKED):
        app.aboutToQuit.connect(_stop_all_at_quit)
        app.setProperty(_QUIT_HOOKED, True)


_QUIT_HOOKED = "deskAppLongJobsStopAtQuit"


def wait_for_jobs() -> bool:
    """Wait for every job's thread to end (tests); True if any was running."""
    was_running = bool(_running)
    for runner in list(_running):
        runner.wait()
    QCoreApplication.sendPostedEvents()  # their outcomes are delivered
    return was_running


class _Waiter(QObject):
    """Receives a runner's outcome on the UI thread and ends the local event loop waiting for it."""

    def __init__(self, loop: QEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.outcome = _Outcome()

    def take(self, outcome: _Outcome) -> None:
        self.outcome = outcome
        self.loop.quit()


def run_while_waiting(work: Callable[[], _Result]) -> _Result:
    """Run `work` on a thread of its own while the event loop goes on here (windows are drawn and
    answer, timers fire); return its result, or raise its error, on this thread. For work that must
    end before anything else can start, as the start-up check of the clinic's file."""
    loop = QEventLoop()
    waiter = _Waiter(loop)
    runner = _Runner(lambda _control: work(), None)
    runner.ended.connect(waiter.take)  # queued: delivered once the loop below runs
    _keep_running(runner)
    runner.start()
    try:
        loop.exec()
        runner.wait()
    finally:
        _running.discard(runner)
    if waiter.outcome.error is not None:
        raise waiter.outcome.error
    return waiter.outcome.result


class LongJob(QWidget):
    """A job's progress bar and Cancel button, shown in the page while the job runs.

    One job at a time: the button that starts it is disabled meanwhile, and start() refuses a
    second. Cancel is offered only where the job stops without harm (a read, a file not yet
    written); pressed after the job's last safe point it changes nothing, and the job says what it
    did."""

    succeeded = Signal(object)
    """The job's result, on the UI thread, after its message was said."""

    def __init__(
        self,
        parent: QWidget,
        what: str,
        message: QLabel,
        heard_as: str = "",
        *,
        cancellable: bool,
        starts: QAbstractButton | None = None,
    ) -> None:
        super().__init__(parent)
        self.what, self.message, self.heard_as, self.starts = what, message, heard_as, starts
        self._runner: _Runner | None = None
        self._said: Callable[[Any], tuple[str, Tone]] | None = None  # given by start()
        self._then: Callable[[Any], None] | None = None  # given by start()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.bar = QProgressBar(self)
        self.bar.setAccessibleName(f"{what}: progress")
        self.bar.setMinimumWidth(160)
        row.addWidget(self.bar, 1)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAccessibleName(f"Cancel: {what[:1].lower()}{what[1:]}")
        self.cancel_button.setMinimumHeight(44)
        self.cancel_button.setVisible(cancellable)
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.cancel_button)
        self.setVisible(False)
        _stop_jobs_at_quit()

    def running(self) -> bool:
        return self._runner is not None

    def start(
        self,
        work: Callable[[JobControl], Any],
        said: Callable[[Any], tuple[str, Tone]],
        *,
        then: Callable[[Any], None] | None = None,
        database: Database | None = None,
        running_text: str = "",
    ) -> bool:
        """Run `work` on a thread of its own; `said` turns its result into the message (words, tone),
        and `then(result)` goes on from it (a question, say) once said.
        `database`: the one `work` uses, whose connection on the job's thread is closed at its end.
        False, and nothing started, while this job runs already."""
        if self._runner is not None:
            return False
        self._said, self._then = said, then
        runner = _Runner(work, database)
        runner.progressed.connect(self._progressed)
        runner.ended.connect(self._ended)
        self._runner = runner
        _keep_running(runner)
        self.bar.setRange(0, 0)  # busy until the job says how much there is
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.setVisible(True)
        if self.starts is not None:
            self.starts.setEnabled(False)
        say(self.message, running_text or f"{self.what}…", Tone.NOTE, self.heard_as)
        log.info("Long job started: %s", self.what)
        runner.start()
        return True

    def cancel(self) -> None:
        """Ask the job to stop at its next safe point; it says so when it has."""
        if self._runner is None:
            return
        self._runner.cancel.set()
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")

    def _progressed(self, done: int, total: int) -> None:
        if total <= 0:
            self.bar.setRange(0, 0)
            return
        self.bar.setRange(0, total)
        self.bar.setValue(min(done, total))

    def _ended(self, outcome: _Outcome) -> None:
        runner = self._runner
        assert runner is not None  # only its own runner's signal is connected
        runner.wait()  # run() has returned: a moment
        _running.discard(runner)
        runner.deleteLater()
        self._runner = None
        self.setVisible(False)
        if self.starts is not None:
            self.starts.setEnabled(True)
        error = outcome.error
        if error is None:
            assert self._said is not None  # start() gave it before the job could end
            words, tone = self._said(outcome.result)
            log.info("Long job done: %s", self.what)
        elif isinstance(error, Cancelled):
            words, tone = f"{self.what}: cancelled. Nothing was recorded or written.", Tone.NOTE
            log.info("Long job cancelled: %s", self.what)
        elif isinstance(error, DomainError):  # written for the user: refused, or the database failed
            words, tone = str(error), Tone.ERROR
            log.info("Long job refused or failed: %s (%s)", self.what, type(error).__name__)
        else:
            # A bug: its type and stack to the log, never its message (it may name a patient).
            log.error(
                "Long job failed: %s (%s)",
                self.what,
                type(error).__name__,
                exc_info=(type(error), error, error.__traceback__),
            )
            words, tone = f"{self.what}: it could not finish ({type(error).__name__}).", Tone.ERROR
        say(self.message, words, tone, self.heard_as)
        if error is None:
            if self._then is not None:
                self._then(outcome.result)
            self.succeeded.emit(outcome.result)
