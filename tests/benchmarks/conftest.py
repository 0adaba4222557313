"""Benchmark fixtures: the shared result table (printed once at the end) and GUI safety guards.

The database, desk, clock and staff fixtures come from tests/conftest.py, as in the other tests.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from desk_app.app import load_style
from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.main_window import MainWindow
from tests.benchmarks.bench_tools import REPORT, Report


def _quiet_offscreen(kind: QtMsgType, _context: object, message: str) -> None:
    """The offscreen platform warns on every window resize; keep the rest of Qt's messages."""
    if "propagateSizeHints" not in message:
        sys.stderr.write(f"Qt {kind.name}: {message}\n")


qInstallMessageHandler(_quiet_offscreen)


@pytest.fixture(scope="session")
def report() -> Report:
    return REPORT


_LOAD_AT_START = os.getloadavg()


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    if not REPORT.rows:
        return
    terminalreporter.write_sep("=", "Treatment Desk benchmarks (design.md §6)")
    for line in REPORT.lines():
        terminalreporter.write_line(line)
    load = " / ".join(
        f"{start:.2f} -> {end:.2f}" for start, end in zip(_LOAD_AT_START, os.getloadavg(), strict=True)
    )
    terminalreporter.write_line(
        f"  machine: {os.cpu_count()} cores; load average (1, 5, 15 min) start -> end: {load}. "
        "Other work on the machine moves every number; each row's baseline was measured beside it."
    )


@pytest.fixture(autouse=True)
def _no_blocking_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A modal exec() would hang a headless run: fail loudly instead."""

    def refuse(*_args: object, **_kwargs: object) -> int:
        raise AssertionError("a dialog called exec() during a benchmark")

    monkeypatch.setattr(QDialog, "exec", refuse)
    monkeypatch.setattr(QMessageBox, "exec", refuse)


@pytest.fixture
def window(qapp: QApplication, desk: Desk, clock: ManualClock, nurse: Staff) -> Iterator[MainWindow]:
    """The real main window, styled as in the app, shown, with the nurse at the desk."""
    load_style(qapp)
    main = MainWindow(desk, clock)
    main.show()
    main.set_staff(nurse)
    qapp.processEvents()
    yield main
    for widget in QApplication.topLevelWidgets():
        widget.close()
    main.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
