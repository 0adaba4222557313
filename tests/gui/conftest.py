"""GUI fixtures: a real main window on a fresh database, an injected clock, and safety guards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from desk_app.app import load_style
from desk_app.domain.alerts import Alert
from desk_app.domain.clock import ManualClock
from desk_app.store.desk import Desk
from desk_app.ui import printing
from desk_app.ui.main_window import MainWindow
from tests.gui.nurse import settle
from tests.gui.printers import FakePrintSystem


@pytest.fixture(autouse=True)
def _no_blocking_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A modal exec() would hang a headless run: fail loudly instead."""

    def refuse(*_args: object, **_kwargs: object) -> int:
        raise AssertionError("a dialog called exec(); use open() so tests and countdowns go on")

    monkeypatch.setattr(QDialog, "exec", refuse)
    monkeypatch.setattr(QMessageBox, "exec", refuse)


@pytest.fixture(autouse=True)
def _flush_widgets(qapp: QApplication) -> Iterator[None]:
    """Close leftovers and deliver deferred deletes, so no widget dies inside the next test."""
    yield
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog):
            widget.reject()  # close() would ask first about anything typed in it
        else:
            widget.close()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


class RecordingAnnouncer:
    """Stands in for the notification and the chime: remembers each alert announced."""

    def __init__(self) -> None:
        self.announced: list[Alert] = []

    def announce(self, alert: Alert) -> None:
        self.announced.append(alert)


@pytest.fixture
def announcer() -> RecordingAnnouncer:
    return RecordingAnnouncer()


def _shown_window(
    qtbot, qapp: QApplication, desk: Desk, clock: ManualClock, announcer: RecordingAnnouncer
) -> MainWindow:  # noqa: ANN001
    load_style(qapp)
    main = MainWindow(desk, clock, announcer)
    main.timer.stop()  # time moves only when a test says so: it calls main.tick() itself
    qtbot.addWidget(main)
    main.show()
    settle(qtbot)
    return main


@pytest.fixture
def window(
    qtbot, qapp: QApplication, desk: Desk, clock: ManualClock, announcer: RecordingAnnouncer
) -> MainWindow:  # noqa: ANN001
    main = _shown_window(qtbot, qapp, desk, clock, announcer)
    # These tests jump the clock by an hour with nobody at the keyboard, which would lock the
    # screen; the idle lock has tests of its own (idle_window).
    main.idle.idle_for = lambda: timedelta(0)
    return main


@pytest.fixture
def idle_window(
    qtbot, qapp: QApplication, desk: Desk, clock: ManualClock, announcer: RecordingAnnouncer
) -> MainWindow:  # noqa: ANN001
    """A window whose idle lock counts, as in the clinic."""
    return _shown_window(qtbot, qapp, desk, clock, announcer)


@pytest.fixture
def print_system(monkeypatch: pytest.MonkeyPatch) -> FakePrintSystem:
    """The PC's print system has one queue (tests/gui/printers.py), whatever this machine has."""
    faked = FakePrintSystem()
    monkeypatch.setattr(printing, "print_system", lambda: faked)
    return faked
