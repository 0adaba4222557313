"""Whether a print reached the printer, in words a nurse can act on (issue 22).

Qt's print engine does not say: on CUPS it hands the pages over and ignores the print server's
answer, so a queue refusing jobs, or a print server stopped while the print dialog was open, looked
like a print. So the print system is asked before the pages are sent (is there a printer? is this
one taking jobs?) and after (is there a new job on its queue? is the queue paused?). Where there is
no CUPS client to ask (Windows), the answer is what Qt can tell: whether the painter could start and
end, and the printer's state.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from desk_app.reports.formats import pages_text

log = logging.getLogger(__name__)

ASK_SECONDS = 2.0  # on the UI thread: a print server that hangs is given this long, then taken as gone


class NotPrinted(OSError):
    """The pages did not reach the printer; the message says why and what to do."""


@dataclass(frozen=True)
class Sent:
    """The printer took the job: `pages` pages, and `paused` (why its queue holds it), if it does."""

    pages: int
    queue: str
    paused: str | None = None

    def words(self) -> str:
        sent = f"Sent {pages_text(self.pages)} to printer {self.queue}."
        if self.paused is None:
            return f"{sent} The print is in the print log."
        return (
            f"{sent} The printer is paused ({self.paused}): the record will print when it is resumed. "
            "The print is in the print log."
        )


class PrintSystem(Protocol):
    """What the PC's print system says about its queues."""

    def printers(self) -> list[str]: ...

    def refusal(self, queue: str) -> str | None:
        """Why `queue` cannot take a job now (the print server is down, it refuses jobs), or None."""

    def jobs(self, queue: str) -> set[str] | None:
        """The jobs the queue has had (kept after printing), or None where that cannot be asked."""

    def paused(self, queue: str) -> str | None:
        """Why the queue holds its jobs (paused, stopped), or None if it prints them."""


class QtPrintSystem:
    """Where no CUPS client can be asked (Windows): the printers Qt lists, and nothing more."""

    def printers(self) -> list[str]:
        return QPrinterInfo.availablePrinterNames()

    def refusal(self, queue: str) -> str | None:  # noqa: ARG002 (nothing to ask)
        return None

    def jobs(self, queue: str) -> set[str] | None:  # noqa: ARG002
        return None

    def paused(self, queue: str) -> str | None:  # noqa: ARG002
        return None


class CupsPrintSystem:
    """CUPS (Linux, macOS), asked with its own client, lpstat: no library to build on each desk."""

    def __init__(self, lpstat: str) -> None:
        self._lpstat = lpstat

    def _ask(self, *arguments: str) -> str | None:
        """lpstat's answer, or None if the print server did not give one."""
        try:
            done = subprocess.run(
                [self._lpstat, *arguments],
                capture_output=True,
                text=True,
                timeout=ASK_SECONDS,
                env={**os.environ, "LC_ALL": "C"},  # its words in English, to be read here
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            log.warning("The print server could not be asked (lpstat %s): %s", arguments[0], error)
            return None
        if done.returncode != 0:
            log.warning("lpstat %s: %s", arguments[0], done.stderr.strip()[:200])
            return None
        return done.stdout

    def _running(self) -> bool:
        answer = self._ask("-r")
        return answer is not None and "scheduler is running" in answer

    def printers(self) -> list[str]:
        return QPrinterInfo.availablePrinterNames() if self._running() else []

    def refusal(self, queue: str) -> str | None:
        if not self._running():
            return "the print service of this PC is not running"
        answer = self._ask("-a", queue)
        if answer is None:
            return f"the print service does not know the printer {queue}"
        if "not accepting" in answer:
            return (
                f"the printer {queue} is not taking jobs ({_reason(answer) or 'it was set to refuse them'})"
            )
        return None

    def jobs(self, queue: str) -> set[str] | None:
        answer = self._ask("-W", "all", "-o", queue)
        if answer is None:
            return None
        return {line.split()[0] for line in answer.splitlines() if line.startswith(f"{queue}-")}

    def paused(self, queue: str) -> str | None:
        answer = self._ask("-p", queue)
        if answer is None or " disabled" not in answer:
            return None
        return _reason(answer) or "paused"


def _reason(answer: str) -> str:
    """The reason lpstat gives on the lines under a printer's (the administrator's words)."""
    lines = [line.strip() for line in answer.splitlines()[1:] if line.strip()]
    reason = lines[0] if lines else ""
    return "" if reason in {"reason unknown", "Rejecting Jobs"} else re.sub(r"\s+", " ", reason)[:120]


def print_system() -> PrintSystem:
    """The PC's print system: CUPS where its client is installed (not on Windows), else Qt's view."""
    lpstat = None if sys.platform == "win32" else shutil.which("lpstat")
    return CupsPrintSystem(lpstat) if lpstat else QtPrintSystem()


def send_to_printer(printer: QPrinter, paint: Callable[[], int], system: PrintSystem) -> Sent:
    """Paint the pages onto the native `printer` (`paint` returns their count) and say whether the
    printer took them; NotPrinted, with what to do, if it did not."""
    queue = printer.printerName()
    if refused := system.refusal(queue):
        raise NotPrinted(f"{_capital(refused)}. {TRY_INSTEAD}")
    before = system.jobs(queue)
    try:
        pages = paint()
    except OSError as error:
        raise NotPrinted(f"The printer {queue} could not take the pages ({error}). {TRY_INSTEAD}") from error
    if printer.printerState() is QPrinter.PrinterState.Error:
        raise NotPrinted(f"The printer {queue} reported an error. {TRY_INSTEAD}")
    if before is not None:
        after = system.jobs(queue)
        if after is None or not after - before:
            why = system.refusal(queue) or "no job reached its queue"
            raise NotPrinted(f"Not sent to the printer {queue}: {why}. {TRY_INSTEAD}")
    return Sent(pages, queue, system.paused(queue))


TRY_INSTEAD = "Choose another printer, or Save as PDF and print the file later."
NO_PRINTER = (
    "No printer is available on this PC (none is set up, or the print service is not running). "
    "Save the record as a PDF instead, and print the file later."
)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
