"""17. The once-a-second tick with 12 and with 60 patients in progress (issue 23).

A clinic PC runs all day: the tick's cost must not grow with the board. The tick works the board out
once (shared by the board and the alerts), takes each session's state from its cache (rebuilt only
when its events change, or its gel countdown ends), and restyles a card only when its phase changes.
Measured beside the same tick with those caches off.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from PySide6.QtWidgets import QApplication

from desk_app.domain.board import board
from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.session import SessionRecord, derive_state
from desk_app.store.desk import Desk
from desk_app.ui import home_page
from desk_app.ui.live_sessions import LiveSessions
from desk_app.ui.main_window import MainWindow
from tests.benchmarks.bench_tools import (
    Report,
    Row,
    board_read,
    median,
    p95,
    register_patients,
    time_ms,
    walk,
)

TICKS = 120
TARGET_MS = 5.0


@contextmanager
def caches_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The tick as it was: the board worked out per caller, every state replayed, every card restyled."""
    with monkeypatch.context() as patched:
        patched.setattr(
            SessionRecord, "state", lambda self, now: derive_state(self.procedure, self.events, now)
        )
        patched.setattr(LiveSessions, "cards", lambda self: board(self._records, self.clock.now()))
        patched.setattr(home_page.BoardCardWidget, "_restyle_if_changed", home_page.BoardCardWidget._restyle)
        yield


def _in_progress(desk: Desk, clock: ManualClock, nurse: Staff, count: int, prefix: str) -> None:
    """Sessions at different points: just started, signed in, numbing (most), in the laser room."""
    for index, patient_id in enumerate(register_patients(desk, nurse.id, count, prefix)):
        session_id = desk.sessions.start_session(patient_id, nurse.id).id
        walk(desk, clock, session_id, nurse.id, stop_after=(2, 6, 9, 9, 9, 12)[index % 6])


def _ticks(qapp: QApplication, window: MainWindow, clock: ManualClock) -> list[float]:
    samples = []
    for _ in range(TICKS):
        clock.advance(seconds=1)
        samples.append(time_ms(window.tick)[0])
        qapp.processEvents()
    return samples


@pytest.mark.parametrize("patients", [12, 60])
def test_the_one_second_tick_does_not_grow_with_the_board(
    report: Report,
    qapp: QApplication,
    window: MainWindow,
    desk: Desk,
    clock: ManualClock,
    nurse: Staff,
    monkeypatch: pytest.MonkeyPatch,
    patients: int,
) -> None:
    _in_progress(desk, clock, nurse, patients, f"T{patients}")
    window.timer.stop()  # only the ticks measured here
    window.show_home()
    window.home_page.activate()
    board_read(qapp, window)
    assert len(window.home_page.card_widgets) == patients
    with caches_off(monkeypatch):
        uncached = _ticks(qapp, window, clock)
    cached = _ticks(qapp, window, clock)
    row = report.add(
        Row(
            f"17. one second tick, {patients} patients",
            TICKS,
            median(cached),
            p95(cached),
            f"median < {TARGET_MS:.0f} ms",
            baseline_ms=median(uncached),
            fail_above_ms=TARGET_MS,
            checked="median",
        )
    )
    report.note(f"17: baseline = the same tick with the caches off ({patients} patients).")
    assert row.passed
