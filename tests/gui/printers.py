"""Printers for tests: a print system that says what a test wants, and a printer whose engine
takes or refuses the pages, as a real queue would (ui/print_queue.py asks both)."""

from __future__ import annotations

from PySide6.QtGui import QPageLayout, QPaintDevice, QPaintEngine
from PySide6.QtPrintSupport import QPrinter

QUEUE = "Laser room"


class FakePrintSystem:
    """One queue; `refusing` and `paused` as the print server would say them; `takes_jobs` False: the
    pages go, and no job appears on the queue (a print server stopped while the dialog was open)."""

    def __init__(self, printers: tuple[str, ...] = (QUEUE,)) -> None:
        self._printers = printers
        self.refusing: str | None = None
        self.paused_because: str | None = None
        self.takes_jobs = True
        self.queue_jobs: set[str] = {f"{QUEUE}-1"}

    def printers(self) -> list[str]:
        return list(self._printers)

    def refusal(self, queue: str) -> str | None:  # noqa: ARG002
        return self.refusing

    def jobs(self, queue: str) -> set[str] | None:  # noqa: ARG002
        return set(self.queue_jobs)

    def paused(self, queue: str) -> str | None:  # noqa: ARG002
        return self.paused_because

    def job_arrived(self) -> None:
        if self.takes_jobs:
            self.queue_jobs.add(f"{QUEUE}-{len(self.queue_jobs) + 1}")


class _Engine(QPaintEngine):
    """Takes every drawing; at the end hands the pages to the print system, or refuses them."""

    def __init__(self, printer: FakePrinter) -> None:
        super().__init__(QPaintEngine.PaintEngineFeature.AllFeatures)
        self._printer = printer

    def begin(self, device: QPaintDevice) -> bool:  # noqa: ARG002
        return True

    def end(self) -> bool:
        self._printer.layouts.append(self._printer.pageLayout())
        if not self._printer.hands_over:
            return False
        self._printer.system.job_arrived()
        return True

    def updateState(self, state: object) -> None:
        pass

    def drawPixmap(self, *_args: object) -> None:
        pass

    def drawTextItem(self, *_args: object) -> None:
        pass

    def drawPolygon(self, *_args: object) -> None:
        pass

    def type(self) -> QPaintEngine.Type:
        return QPaintEngine.Type.User


class FakePrinter(QPrinter):
    """A queue's printer: `hands_over` False is an engine whose end() fails; `layouts` the page
    layout the printer was asked for, at each job's end."""

    def __init__(self, system: FakePrintSystem) -> None:
        super().__init__(QPrinter.PrinterMode.HighResolution)
        self.system = system
        self.hands_over = True
        self.layouts: list[QPageLayout] = []
        self._engine = _Engine(self)

    def paintEngine(self) -> QPaintEngine:
        return self._engine

    def printerName(self) -> str:
        return QUEUE
