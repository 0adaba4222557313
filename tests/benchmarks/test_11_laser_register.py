"""11. The laser treatment register of a busy device for a year: 10,000 exposures, to CSV and to PDF
(design.md §6), each beside a raw query of the same rows.

The database is built once (module fixture): one session walked through the app's own Desk with the
test laser (checked before use, as the app requires), then its event rows copied with raw sqlite3
executemany for 5,000 sessions over 2026 (20 a working day, every 25 minutes from 08:00 UTC), each
under a new session id and moved in time with its own start: the values are byte for byte what the
app wrote. The copies have no audit rows (the register reads none; `audit verify` would flag them):
this file is a benchmark, not a clinic's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from peewee import Database
from PySide6.QtWidgets import QApplication

from desk_app.domain.clock import ManualClock
from desk_app.domain.procedure import load_procedure
from desk_app.paths import PROCEDURE_FILE, resource_path
from desk_app.reports.laser_register import RegisterScope, register_pdf, save_register_csv, save_register_pdf
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from desk_app.ui.formatting import LOCAL_FORMATS
from tests.benchmarks.bench_tools import Report, Row, median, register_patients, time_ms
from tests.benchmarks.test_8_audit_verify import _db_time
from tests.support.laser_register import treated
from tests.support.lasers import TEST_LASER_SERIAL, laser_ready
from tests.support.people import FAST_HASHER, add_member

pytestmark = pytest.mark.timeout(900)

SESSIONS = 5_000
EXPOSURES = 2 * SESSIONS
PATIENTS = 500
PER_DAY = 20
SLOT = timedelta(minutes=25)
YEAR = (date(2026, 1, 1), date(2026, 12, 31))
FIRST_DAY = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # a Monday
RUNS = 3
PASSES = ("fractional_pass", "full_beam_pass")
RAW_QUERY = (
    "SELECT e.at, s.id, p.clinic_number, st.name, e.item_id, e.values_json "
    "FROM session_event e JOIN treatment_session s ON s.id = e.session_id "
    "JOIN patient p ON p.id = s.patient_id JOIN staff st ON st.id = e.staff_id "
    "WHERE e.kind = 'tick' AND e.item_id IN (?, ?) AND e.at >= ? AND e.at < ? ORDER BY e.at"
)


@dataclass
class BusyYear:
    db: Database
    path: Path
    desk: Desk
    build_ms: float


def _working_days() -> Iterator[datetime]:
    """8:00 UTC on each weekday of 2026 from FIRST_DAY on."""
    day = FIRST_DAY
    while True:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def _build(db: Database, desk: Desk, clock: ManualClock) -> None:
    """One session walked by the app, then its rows copied SESSIONS times (see the module's doc)."""
    nurse = add_member(desk, "Ann Nurse", "AN", "nurse")
    laser_ready(desk, nurse.id)
    patients = register_patients(desk, nurse.id, PATIENTS, prefix="L")
    walked_id = treated(desk, clock, patients[0], nurse)
    connection = db.connection()
    session = connection.execute(
        "SELECT procedure_id, started_at, ended_at FROM treatment_session WHERE id = ?", (walked_id,)
    ).fetchone()
    procedure_id, started = session[0], datetime.fromisoformat(session[1]).replace(tzinfo=UTC)
    ended = datetime.fromisoformat(session[2]).replace(tzinfo=UTC)
    events = connection.execute(
        "SELECT kind, item_id, staff_id, at, values_json, text FROM session_event WHERE session_id = ? "
        "ORDER BY id",
        (walked_id,),
    ).fetchall()
    offsets = [datetime.fromisoformat(row[3]).replace(tzinfo=UTC) - started for row in events]
    session_id = connection.execute("SELECT max(id) FROM treatment_session").fetchone()[0]
    event_id = connection.execute("SELECT max(id) FROM session_event").fetchone()[0]
    sessions, copies = [], []
    days = _working_days()
    for number in range(SESSIONS):
        if number % PER_DAY == 0:
            day = next(days)
        start = day + SLOT * (number % PER_DAY)
        session_id += 1
        finished = _db_time(start + (ended - started))
        row = (session_id, patients[number % PATIENTS], procedure_id, number // PATIENTS + 1, "signed out")
        sessions.append((*row, _db_time(start), nurse.id, nurse.id, finished))
        for (kind, item_id, staff_id, _at, values, text), offset in zip(events, offsets, strict=True):
            event_id += 1
            copies.append(
                (event_id, session_id, kind, item_id, staff_id, _db_time(start + offset), values, text)
            )
    with db.atomic():
        connection.executemany(
            "INSERT INTO treatment_session (id, patient_id, procedure_id, session_number, status, "
            "started_at, started_by_id, holder_id, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            sessions,
        )
        connection.executemany(
            "INSERT INTO session_event (id, session_id, kind, item_id, staff_id, at, values_json, text) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            copies,
        )


@pytest.fixture(scope="module")
def busy_year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BusyYear]:
    path = tmp_path_factory.mktemp("register") / "desk.sqlite3"
    db = open_database(str(path))
    clock = ManualClock(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    desk = Desk(db, load_procedure(resource_path(PROCEDURE_FILE)), clock, FAST_HASHER)
    build_ms, _ = time_ms(lambda: _build(db, desk, clock))
    yield BusyYear(db, path, desk, build_ms)
    db.close()


def _raw_rows(path: Path) -> int:
    """The baseline: the same exposures' rows read by one plain query on a read-only connection."""
    start = datetime.combine(YEAR[0], datetime.min.time()).astimezone()
    end = datetime.combine(YEAR[1] + timedelta(days=1), datetime.min.time()).astimezone()
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as raw:
        bounds = (_db_time(start.astimezone(UTC)), _db_time(end.astimezone(UTC)))
        return len(raw.execute(RAW_QUERY, (*PASSES, *bounds)).fetchall())


def test_11_laser_register_of_a_busy_year(
    qapp: QApplication, report: Report, busy_year: BusyYear, tmp_path: Path
) -> None:
    """The PDF's pages are laid out by Qt: `qapp` gives it fonts."""
    desk = busy_year.desk
    device = desk.devices.device_by_serial(TEST_LASER_SERIAL)
    scope = RegisterScope(*YEAR, device)

    def read() -> int:
        return len(
            desk.laser_register.laser_register(*YEAR, desk.devices.device_by_serial(TEST_LASER_SERIAL)).rows
        )

    def to_csv(run: int) -> int:
        rows = desk.laser_register.laser_register(*YEAR, device).rows
        return save_register_csv(desk, rows, scope, tmp_path / f"register-{run}.csv", "Bench", None)

    pages: list[int] = []

    def to_pdf(run: int) -> int:
        register = desk.laser_register.laser_register(*YEAR, device)
        pdf = register_pdf(desk, register, scope, "Bench", LOCAL_FORMATS, "04/01/2027 09:00")
        pages.append(save_register_pdf(desk, pdf, scope, tmp_path / f"register-{run}.pdf", "Bench", None))
        return len(register.rows)

    raw_ms, read_ms, csv_ms, pdf_ms = [], [], [], []
    for run in range(RUNS):
        for samples, action in (
            (raw_ms, lambda: _raw_rows(busy_year.path)),
            (read_ms, read),
            (csv_ms, lambda run=run: to_csv(run)),
            (pdf_ms, lambda run=run: to_pdf(run)),
        ):
            elapsed, rows = time_ms(action)
            assert rows == EXPOSURES
            samples.append(elapsed)

    report.note(
        f"11: built {SESSIONS:,} sessions ({EXPOSURES:,} exposures) in {busy_year.build_ms / 1000:.1f} s"
    )
    report.add(Row(f"11a0. raw query, {EXPOSURES:,} exposures' rows", RUNS, median(raw_ms), None, "baseline"))
    report.add(
        Row("11a. laser_register, a busy year", RUNS, median(read_ms), None, "beside raw", median(raw_ms))
    )
    report.add(Row("11b. register -> CSV", RUNS, median(csv_ms), None, "beside raw", median(raw_ms)))
    report.add(
        Row(
            f"11c. register -> PDF, {pages[-1]:,} pages",
            RUNS,
            median(pdf_ms),
            None,
            "beside raw",
            median(raw_ms),
        )
    )
