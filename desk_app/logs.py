"""The app's log: a rotating file in this PC's data folder, readable by its owner only, and warnings
on stderr for a terminal that started the app.

It says what happened on this desk, for the clinic manager and whoever supports the app: start and
stop, the database opened and migrated, backups, contact with the server lost and found again,
sign-ins, sign-outs, locks and refused actions. It never holds a patient's name or details, nor a
password, a PIN or a hash of one: modules log ids, initials and kinds of things, never the messages
written for the nurse (they may name a patient). For the same reason an exception is logged with its
type and where it was raised, its message withheld: a database's message may quote a row.
"""

from __future__ import annotations

import logging
import os
import platform
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from io import TextIOWrapper
from logging.handlers import RotatingFileHandler
from pathlib import Path

from desk_app import __version__
from desk_app.paths import data_folder
from desk_app.store.files import open_private_append

LOG_FILE = "treatment-desk.log"
# 1 MB a file, the live one and 5 older: months of a desk's days, and never more than 6 MB.
MAX_BYTES = 1_000_000
KEPT_FILES = 5
LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
APP_LOGGER = "desk_app"

log = logging.getLogger(__name__)
_handlers: list[logging.Handler] = []  # the handlers start_logging added, removed by stop_logging


class PrivateLogFormatter(logging.Formatter):
    """Each line stamped with UTC time in ISO 8601 (the PC's clock, whatever its time zone); an
    exception as its chain of types and stack frames, each message withheld."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        stamp = datetime.fromtimestamp(record.created, UTC)
        return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def format(self, record: logging.LogRecord) -> str:
        """Never the exception's text another handler's formatter may have left on the record (with
        the message in it), but this formatter's own."""
        theirs = record.exc_text
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = theirs

    def formatException(self, ei: logging._SysExcInfoType) -> str:  # noqa: N802
        error = ei[1]
        return withheld_traceback(error) if error is not None else ""


def withheld_traceback(error: BaseException) -> str:
    """The traceback Python would print, each exception's message replaced by a note: the frames
    show where it went wrong, and a message (a database's DETAIL quoting a row) may name a patient."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts = []
    for exception in reversed(chain):
        kind = type(exception)
        name = (
            kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
        )
        parts.append(
            "Traceback (most recent call last):\n"
            + "".join(traceback.format_tb(exception.__traceback__))
            + f"{name}: (message withheld from the log)"
        )
    return "\n\nwhich led to\n\n".join(parts)


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating log whose every file, the first and each one opened after a rollover, is made 0600
    whatever the umask (as it is created, so no other user can open it in between), and is never a
    link, a FIFO, a folder or a device put in its place: that is refused with OSError."""

    def _open(self) -> TextIOWrapper:
        descriptor = open_private_append(Path(self.baseFilename))
        return os.fdopen(descriptor, "a", encoding=self.encoding, errors=self.errors)


def start_logging(what: str) -> Path | None:
    """From now on, the app's messages of INFO and up go to the log file in the data folder, and its
    warnings to stderr too. Returns the log file; None when it cannot be written, said on stderr:
    the app works without it. A second start replaces the first (no line is written twice)."""
    stop_logging()
    app_log = logging.getLogger(APP_LOGGER)
    app_log.setLevel(logging.INFO)
    formatter = PrivateLogFormatter(LINE_FORMAT)
    to_terminal = logging.StreamHandler(sys.stderr)
    to_terminal.setLevel(logging.WARNING)
    _add(app_log, to_terminal, formatter)
    path: Path | None = None
    try:
        path = data_folder() / LOG_FILE
        to_file = PrivateRotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=KEPT_FILES, encoding="utf-8"
        )
    except OSError as error:
        where = path or "the data folder"
        log.warning("No log file: %s cannot be written (%s). Messages go here only.", where, error)
        return None
    _add(app_log, to_file, formatter)
    log.info("Treatment Desk %s started: %s; %s", __version__, what, _platform())
    return path


def stop_logging() -> None:
    """Remove and close what start_logging added."""
    app_log = logging.getLogger(APP_LOGGER)
    while _handlers:
        handler = _handlers.pop()
        app_log.removeHandler(handler)
        handler.close()


@contextmanager
def logged_run(what: str) -> Iterator[Callable[[int], int]]:
    """Log a run of the app (the window, or a command) from its start to its end: yields a function
    that is given the exit code and returns it. An exception that ends the run is logged as such
    (its message withheld) before it goes on."""

    def ended(code: int) -> int:
        log.info("Treatment Desk stopped: %s ended with exit code %s", what, code)
        return code

    start_logging(what)
    try:
        yield ended
    except SystemExit as leaving:  # argparse's usage error, after the start
        ended(leaving.code if isinstance(leaving.code, int) else 1)
        raise
    except BaseException as error:
        log.error("Treatment Desk stopped: %s ended by %s", what, type(error).__name__, exc_info=error)
        raise
    finally:
        stop_logging()


def _platform() -> str:
    """The versions that matter when a desk misbehaves (the window adds Qt's)."""
    system = f"{platform.system()} {platform.release()} {platform.machine()}"  # not platform(): 9 ms
    return f"Python {platform.python_version()}, {system}"


def _add(app_log: logging.Logger, handler: logging.Handler, formatter: logging.Formatter) -> None:
    handler.setFormatter(formatter)
    app_log.addHandler(handler)
    _handlers.append(handler)
