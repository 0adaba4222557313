"""Killing the app right after a tick is shown loses nothing: a restart shows it, and the time left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from desk_app.domain.clock import ManualClock
from desk_app.domain.procedure import Procedure
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from desk_app.ui.main_window import MainWindow
from tests.conftest import START
from tests.gui.nurse import (
    click,
    described_text,
    open_pause_point,
    sign_in,
)
from tests.support.people import FAST_HASHER, add_member
from tests.support.walk import ANAESTHETIC, SIGN_IN, tick_all

ROOT = Path(__file__).resolve().parents[2]


def prepare_session(db_path: Path, procedure: Procedure) -> tuple[int, int]:
    """A session with sign-in done and the gel painted, but 'gel applied' not yet ticked."""
    database = open_database(str(db_path))
    desk = Desk(database, procedure, ManualClock(START), FAST_HASHER)
    nurse = add_member(desk, "Ann Nurse", "AN", "nurse")
    patient = desk.patients.register_patient("Siân", "Nuñez", "1985-07-14", "AZ-00042", nurse.id)
    session = desk.sessions.start_session(patient.id, nurse.id)
    before_gel = {key: value for key, value in ANAESTHETIC.items() if key != "gel_applied"}
    tick_all(desk, session.id, {**SIGN_IN, **before_gel}, nurse.id)
    database.close()
    return session.id, nurse.id


def run_child_until_tick_shown(db_path: Path, session_id: int, staff_id: int) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.app_child",
            str(db_path),
            str(session_id),
            str(staff_id),
            START.isoformat(),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "SHOWN", child.stderr.read() if child.poll() is not None else line
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL


def test_tick_shown_then_killed_is_there_after_restart_with_right_time_left(
    qtbot,
    db_path: Path,
    procedure: Procedure,  # noqa: ANN001
) -> None:
    session_id, staff_id = prepare_session(db_path, procedure)
    run_child_until_tick_shown(db_path, session_id, staff_id)

    # Restart 17 minutes later on the same file, as the nurse would after a crash.
    clock = ManualClock(START + timedelta(minutes=17))
    database = open_database(str(db_path))
    window = MainWindow(Desk(database, procedure, clock), clock)
    qtbot.addWidget(window)
    window.show()
    sign_in(qtbot, window, "Ann Nurse")
    click(
        qtbot,
        window,
        "Siân Nuñez · AZ-00042, Gel working: 43:00 left, Next: Time-out (when the gel is ready), "
        "With Ann Nurse",
    )
    assert described_text(window, "Gel countdown") == "43:00"
    shown = [b.text() for b in window.checklist_page.nav_buttons.values() if b.property("shown")]
    assert shown == ["▶ 3. Wait"]
    open_pause_point(qtbot, window, "Anaesthetic")
    assert described_text(window, "Status of Gel applied: start the countdown") == "✓ Done 09:00 · AN"
    database.close()
