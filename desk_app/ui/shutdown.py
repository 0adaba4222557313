"""The PC shutting down closes the app as its close button does (issue 23).

A clinic PC is shut down, not closed: the system sends SIGTERM (a logout or shutdown on Linux),
SIGINT (Ctrl+C in a terminal), or, on Windows and in an X11 session, asks the session's apps to save
(Qt's commitDataRequest). Each closes the window the way its close button does, so the person at the
desk is signed out in the audit trail and the closing backup is made; the app then ends with status 0.

A signal arrives while Qt's event loop runs in C++, where Python's own handler would wait for the next
Python code to run: the signal is also written to a socket (signal.set_wakeup_fd) that a
QSocketNotifier watches, which wakes the loop at once.
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable
from types import FrameType

from PySide6.QtCore import QObject, QSocketNotifier
from PySide6.QtGui import QGuiApplication, QSessionManager

log = logging.getLogger(__name__)

# What a shutdown, a logout or Ctrl+C sends; SIGTERM does not exist as such on Windows, where the
# session's end comes as commitDataRequest.
SHUTDOWN_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
)


def _noted(signum: int, _frame: FrameType | None) -> None:
    """Python's handler does nothing itself: the wakeup socket carries the signal to the loop."""


class ShutdownListener(QObject):
    """Calls `close` once when the system asks the app to end. `stop()` puts the handlers back."""

    def __init__(self, app: QGuiApplication, close: Callable[[], None]) -> None:
        super().__init__(app)
        self._close = close
        self._closed = False
        self._app = app
        self._receiver, self._sender = socket.socketpair()
        for end in (self._receiver, self._sender):
            end.setblocking(False)
        self._previous_wakeup = signal.set_wakeup_fd(self._sender.fileno())
        self._previous = {number: signal.signal(number, _noted) for number in SHUTDOWN_SIGNALS}
        self._notifier = QSocketNotifier(self._receiver.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._woken)
        app.commitDataRequest.connect(self.session_ending)

    def _woken(self) -> None:
        try:
            received = self._receiver.recv(64)
        except BlockingIOError:
            return
        names = ", ".join(signal.Signals(number).name for number in received if number in SHUTDOWN_SIGNALS)
        if names:
            self._closing(f"asked to end by {names}")

    def session_ending(self, manager: QSessionManager) -> None:
        """Windows' end of session (or an X11 session manager's): the window closes now, while
        the system waits for the answer, rather than being killed with nothing recorded."""
        manager.release()  # no question will be asked: nobody may be at the desk to answer it
        self._closing("the system session is ending")

    def _closing(self, why: str) -> None:
        if self._closed:
            return
        self._closed = True
        log.warning("Closing: %s", why)
        self._close()

    def stop(self) -> None:
        """Give the signals back to whoever had them (a test, the Python default)."""
        self._notifier.setEnabled(False)
        self._app.commitDataRequest.disconnect(self.session_ending)
        signal.set_wakeup_fd(self._previous_wakeup)
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._receiver.close()
        self._sender.close()
