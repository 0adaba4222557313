"""1. The cost of committing one tick: Desk.tick on a real WAL/FULL file, beside a raw sqlite3 insert.

Target (design.md §6): tick click-to-committed-and-shown <= 100 ms p95, and the commit itself within
2x of a raw sqlite3 insert with the same pragmas. Desk.tick also checks the member of staff, re-reads
the session (before, to validate against the stored state, and after, to return it) and validates the
values, so its ratio to a bare insert is reported honestly but only the 100 ms p95 fails the run.
A third column, peewee's own insert in the same transaction style, shows what the ORM alone costs.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from peewee import Database

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.store.models import EventRow
from tests.benchmarks.bench_tools import (
    GEL_WAIT_MINUTES,
    WALK,
    Report,
    Row,
    median,
    p95,
    register_patients,
    sql_log,
    time_ms,
)
from tests.support.lasers import with_test_laser

TICKS = 200
TARGET_P95_MS = 100.0

RAW_SCHEMA = """
CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT NOT NULL, initials TEXT NOT NULL);
CREATE TABLE treatment_session (id INTEGER PRIMARY KEY, status TEXT NOT NULL);
CREATE TABLE session_event (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES treatment_session (id),
    kind TEXT NOT NULL CHECK (kind <> ''),
    item_id TEXT,
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    at TEXT NOT NULL,
    values_json TEXT NOT NULL,
    text TEXT NOT NULL,
    corrects_id INTEGER REFERENCES session_event (id)
);
CREATE INDEX session_event_session_id ON session_event (session_id);
CREATE INDEX session_event_staff_id ON session_event (staff_id);
CREATE INDEX session_event_corrects_id ON session_event (corrects_id);
INSERT INTO staff (id, name, initials) VALUES (1, 'Ann Nurse', 'AN');
INSERT INTO treatment_session (id, status) VALUES (1, 'in progress');
"""


def _raw_database(path: Path) -> sqlite3.Connection:
    """The same durability pragmas as open_database, in autocommit mode so BEGIN is ours."""
    connection = sqlite3.connect(path, isolation_level=None)
    assert connection.execute("PRAGMA journal_mode = wal").fetchone()[0] == "wal"
    connection.execute("PRAGMA synchronous = full")
    connection.execute("PRAGMA foreign_keys = 1")
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2
    connection.executescript(RAW_SCHEMA)
    return connection


def _raw_insert(connection: sqlite3.Connection, values: dict) -> None:
    connection.execute("BEGIN IMMEDIATE")
    connection.execute(
        "INSERT INTO session_event (session_id, kind, item_id, staff_id, at, values_json, text, corrects_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (1, "tick", "identity", 1, datetime.now(UTC).isoformat(), json.dumps(values), "", None),
    )
    connection.execute("COMMIT")


def _tick_plan(desk: Desk, clock: ManualClock, staff: Staff, patient_ids: list[int]):  # noqa: ANN202
    """Yield (session id, item, values) for TICKS ticks, walking one session after another; the
    fractional pass of each session is mistyped-then-corrected first, so re-ticks are measured too."""
    for patient_id in patient_ids:
        session_id = desk.sessions.start_session(patient_id, staff.id).id
        for step in WALK:
            if step is None:
                clock.advance(minutes=GEL_WAIT_MINUTES)
                continue
            item_id, values = step
            values = with_test_laser(desk, values, staff.id)
            clock.advance(seconds=20)
            if item_id == "fractional_pass":
                yield session_id, item_id, {**values, "density_pct": 10}
                desk.sessions.correct(session_id, item_id, "Density mistyped", staff.id)
            yield session_id, item_id, values


def test_tick_commit_beside_raw_insert(
    report: Report, db: Database, desk: Desk, clock: ManualClock, nurse: Staff, tmp_path: Path
) -> None:
    patient_ids = register_patients(desk, nurse.id, 12)
    insert_session = desk.sessions.start_session(patient_ids.pop(), nurse.id).id
    tick_ms: list[float] = []
    raw_ms: list[float] = []
    orm_ms: list[float] = []

    def orm_insert() -> None:
        with db.atomic():
            EventRow.create(
                session=insert_session,
                kind="note",
                item_id=None,
                staff=nurse.id,
                at=clock.now(),
                values_json="{}",
                text="bench",
            )

    with closing(_raw_database(tmp_path / "raw.sqlite3")) as raw:
        plan = _tick_plan(desk, clock, nurse, patient_ids)
        for session_id, item_id, values in plan:
            # Interleaved, so drift in the machine's speed touches all three alike.
            elapsed, record = time_ms(lambda: desk.sessions.tick(session_id, item_id, values, nurse.id))  # noqa: B023
            assert record.state(clock.now()).item(item_id).tick is not None
            tick_ms.append(elapsed)
            raw_ms.append(time_ms(lambda: _raw_insert(raw, values))[0])  # noqa: B023
            orm_ms.append(time_ms(orm_insert)[0])
            if len(tick_ms) == TICKS:
                break
        plan.close()
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    assert len(tick_ms) == TICKS, "not enough sessions to tick"
    # What one tick sends to the database (counted on one more tick, untimed).
    session_id = desk.sessions.start_session(_fresh_patient(desk, nurse), nurse.id).id
    with sql_log() as statements:
        desk.sessions.tick(session_id, "identity", {"second_identifier": "Date of birth"}, nurse.id)

    raw_median = median(raw_ms)
    report.add(
        Row("1a. raw sqlite3 insert (WAL, FULL, FK)", len(raw_ms), raw_median, p95(raw_ms), "baseline")
    )
    report.add(
        Row(
            "1b. peewee EventRow.create in atomic()",
            len(orm_ms),
            median(orm_ms),
            p95(orm_ms),
            "<= 2x raw",
            baseline_ms=raw_median,
        )
    )
    row = report.add(
        Row(
            "1c. Desk.sessions.tick (check + commit)",
            len(tick_ms),
            median(tick_ms),
            p95(tick_ms),
            "p95 <= 100 ms; <= 2x raw",
            baseline_ms=raw_median,
            fail_above_ms=TARGET_P95_MS,
        )
    )
    if row.ratio and row.ratio > 2:
        row.verdict_note = "*"
        report.note(
            f"* 1c: Desk.tick is {row.ratio:.1f}x the raw insert (target 2x, reported, not enforced): "
            f"{len(statements)} SQL statements per tick besides BEGIN/COMMIT "
            f"(staff check, the session and its events read inside the transaction, insert)."
        )
    assert row.passed, f"Desk.tick p95 {row.p95_ms:.1f} ms is over {TARGET_P95_MS} ms"


def _fresh_patient(desk: Desk, nurse: Staff) -> int:
    return register_patients(desk, nurse.id, 1, prefix="X")[0]
