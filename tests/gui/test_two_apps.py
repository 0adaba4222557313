"""Two Treatment Desk apps on one database (two PCs on the clinic's server, or two desks on one
file) tick different items of one session: each sees the other's tick within 2 seconds."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from tests.support.lasers import laser_ready
from tests.support.walk import ANAESTHETIC, SIGN_IN, tick_all

pytestmark = pytest.mark.both_databases

REPO = Path(__file__).resolve().parents[2]
READ_BACK = "Patient identity read back"
EYEWEAR = "Laser chosen; staff eyewear matches its marking"


def start_app(db_url: str, session_id: int, staff: Staff, instant: str, mine: str, theirs: str):  # noqa: ANN201
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.two_apps_child",
            db_url,
            str(session_id),
            str(staff.id),
            instant,
            mine,
            theirs,
        ],  # fmt: skip
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_apps_tick_different_items_of_one_session_and_each_sees_the_other_within_2_seconds(
    desk: Desk, db_url: str, clock: ManualClock, nurse: Staff, clinician: Staff
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    session = desk.sessions.start_session(patient.id, nurse.id)
    tick_all(desk, session.id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    laser_ready(desk, nurse.id)  # the eyewear item offers the laser checked today
    instant = (clock.now() + timedelta(minutes=61)).isoformat()  # the gel has worked: time-out is open
    desk.db.close()  # only the two apps use the database now
    front = start_app(db_url, session.id, nurse, instant, READ_BACK, EYEWEAR)
    laser_room = start_app(db_url, session.id, clinician, instant, EYEWEAR, READ_BACK)
    try:
        for app in (front, laser_room):
            assert app.stdout.readline().strip() == "READY", app.stderr.read()
        for app in (front, laser_room):
            app.stdin.write("GO\n")
            app.stdin.flush()
        reports = [app.stdout.read().split() for app in (front, laser_room)]
    finally:
        for app in (front, laser_room):
            app.kill()
            app.wait()
    (_, front_ticked, _, front_saw), (_, laser_ticked, _, laser_saw) = reports
    assert float(front_saw) - float(laser_ticked) < 2.0, "the front desk saw the laser room's tick late"
    assert float(laser_saw) - float(front_ticked) < 2.0, "the laser room saw the front desk's tick late"
    events = [(event.item_id, event.staff_id) for event in desk.sessions.session(session.id).events]
    assert ("identity_read_back", nurse.id) in events and ("staff_eyewear", clinician.id) in events
