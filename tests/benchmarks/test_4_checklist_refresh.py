"""4. The checklist's once-a-second refresh on a long session, and derive_state alone.

ChecklistPage.refresh() runs every second while a session is open (and twice after every action), so it
must take well under one frame (16 ms); it fails the run only above 100 ms, where the design says the UI
thread must never be blocked. The session has 60 events: 22 ticks, 8 corrections with their re-ticks,
and 22 notes, as a long morning with second thoughts would leave.
"""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.session import derive_state
from desk_app.store.desk import Desk
from desk_app.ui.main_window import MainWindow
from tests.benchmarks.bench_tools import Report, Row, median, p95, register_patients, time_ms, walk
from tests.gui.nurse import settle

RUNS = 200
FRAME_MS = 16.0
FAIL_ABOVE_MS = 100.0
CORRECTED = [
    "consent",
    "skin_type",
    "medication_history",
    "gel_product",
    "gel_areas",
    "cool_air",
    "fractional_pass",
    "full_beam_pass",
]


def _long_session(desk: Desk, clock: ManualClock, nurse: Staff) -> int:
    session_id = desk.sessions.start_session(register_patients(desk, nurse.id, 1)[0], nurse.id).id
    record = walk(desk, clock, session_id, nurse.id, stop_after=24)  # to 'aftercare explained'
    for item_id in CORRECTED:
        tick = record.state(clock.now()).item(item_id).tick
        assert tick is not None
        clock.advance(seconds=30)
        desk.sessions.correct(session_id, item_id, f"{item_id} entered for the wrong area", nurse.id)
        values = dict(tick.values)
        if "device" in values:  # a laser is chosen by its id; the record keeps its snapshot
            values["device"] = values["device"]["id"]
        record = desk.sessions.tick(session_id, item_id, values, nurse.id)
    items = [item.id for item in record.procedure.all_items()]
    for number in range(22):
        clock.advance(seconds=30)
        about = items[number % len(items)] if number % 4 else None  # every fourth on the whole session
        record = desk.sessions.add_note(
            session_id, about, f"Note {number}: patient comfortable, chatting", nurse.id
        )
    assert len(record.events) == 63  # the course at the start, 24 ticks, 8 undone and redone, 22 notes
    return session_id


def test_checklist_refresh_on_a_long_session(
    report: Report, qapp: QApplication, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    session_id = _long_session(desk, clock, nurse)
    window.show_session(session_id)
    settle(None)  # the session is read on the database worker
    qapp.processEvents()
    page = window.checklist_page
    record = page.record
    assert record is not None and not record.state(clock.now()).ended

    derive_ms: list[float] = []
    refresh_ms: list[float] = []
    for _ in range(RUNS):
        clock.advance(seconds=1)
        now = clock.now()
        derive_ms.append(time_ms(lambda: derive_state(record.procedure, record.events, now))[0])  # noqa: B023
        refresh_ms.append(time_ms(page.refresh)[0])
        qapp.processEvents()  # paint, as between two timer ticks

    derive = report.add(
        Row(
            "4a. derive_state, 60 events",
            RUNS,
            median(derive_ms),
            p95(derive_ms),
            "p95 << 16 ms",
            fail_above_ms=FAIL_ABOVE_MS,
        )
    )
    refresh = report.add(
        Row(
            "4b. ChecklistPage.refresh, 60 events",
            RUNS,
            median(refresh_ms),
            p95(refresh_ms),
            "p95 << 16 ms (fail > 100)",
            baseline_ms=derive.median_ms,
            fail_above_ms=FAIL_ABOVE_MS,
        )
    )
    report.note(
        f"4: baseline of 4b = derive_state alone; one refresh is {100 * refresh.p95_ms / FRAME_MS:.0f}% of "
        f"a 16 ms frame at p95. It re-applies all {len(page.cards)} cards and re-polishes their styles "
        "every second, whether or not anything changed."
    )
    assert derive.passed and refresh.passed
