"""8. `desk-app audit verify` at 1,000,000 audit rows: verify_audit walks the whole hash chain and
checks every session event against its row.

Target: under 10 s (fails above 10,000 ms, on the median of the runs). The trail is built as the app
would have written it over years of sessions (one 'session started' row, then one row per tick, each
carrying the event's whole content), but in bulk: the rows are chained with the app's own chain_hash
and event_detail and written with raw sqlite3 executemany in one transaction, into a database made by
open_database. The baseline is a plain read of every audit row, batch by batch, on the same
connection: what any walk of the table must pay before hashing anything. Beside it, the chain alone
(every row re-hashed and linked, no session events) shows how verify's time divides.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from peewee import Database

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.audit import chain_hash, event_detail, utc_text, verify_audit
from desk_app.store.desk import Desk
from desk_app.store.models import ProcedureVersionRow, SessionRow
from desk_app.store.seals import SEAL_KEY, row_digest, row_key
from tests.benchmarks.bench_tools import GEL_WAIT_MINUTES, WALK, Report, Row, median, time_ms
from tests.support.lasers import TEST_LASER, TEST_LASER_MARKING, TEST_LASER_VALUE
from tests.support.people import administrator

TOTAL_ROWS = 1_000_000
RUNS = 2
FAIL_ABOVE_MS = 10_000.0
BUILD_TARGET_S = 30.0
SESSIONS_PER_BATCH = 2_000
# The ticks of a whole session, as stored: (item, values as JSON), the last one signs it out.
# The test laser as a session keeps it (the bulk rows name device 1, registered by no one: the
# benchmarks read these values, never the device).
_LASER = {"staff_eyewear": TEST_LASER_VALUE | {"eyewear_marking": TEST_LASER_MARKING}}
TICKS = [
    (
        item_id,
        json.dumps(
            {k: _LASER.get(item_id, TEST_LASER_VALUE) if v == TEST_LASER else v for k, v in values.items()},
            sort_keys=True,
        ),
    )
    for item_id, values in filter(None, WALK)
]
TICKS.append(("operator_sign_out", "{}"))
# The ticks after the gel wait come once it has ended, as the app allows them.
AFTER_THE_WAIT = WALK.index(None)
GEL_WAIT = timedelta(minutes=GEL_WAIT_MINUTES)
# A session takes 70 minutes (its ticks 20 s apart and the wait): the next starts after it, the
# last of them 4.9 years after the first, within the nurse's authorisation.
SESSION_EVERY = timedelta(minutes=70)


def _detail(content: dict) -> str:
    return json.dumps(content, ensure_ascii=False, sort_keys=True)


class _Chain:
    """Appends rows to the chain exactly as write_audit would, continuing from the stored head."""

    def __init__(self, db: Database) -> None:
        head = db.execute_sql("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        self.next_id, self.prev = (head[0] + 1, head[1]) if head else (1, "0" * 64)
        self.rows: list[tuple] = []

    def add(self, when: str, staff_id: int, action: str, subject: str, subject_id: int, detail: str) -> None:
        row_hash = chain_hash(self.next_id, when, staff_id, action, subject, subject_id, detail, self.prev)
        self.rows.append(
            (self.next_id, when, staff_id, action, subject, subject_id, detail, self.prev, row_hash)
        )
        self.next_id, self.prev = self.next_id + 1, row_hash


def _event_template(item_id: str, values: str, staff_id: int) -> str:
    """A tick's audit detail with its time and session left as {at} and {session}: the same JSON
    write_audit makes of event_detail (checked against them in _session_batches)."""
    marker = {"at": "<at>", "corrects": None, "item": item_id, "kind": "tick", "session": -424242}
    text = _detail(marker | {"staff": staff_id, "text": "", "values": values})
    text = text.replace("{", "{{").replace("}", "}}")
    return text.replace('"<at>"', '"{at}"').replace("-424242", "{session}")


def _session_batches(
    db: Database,
    patient_id: int,
    procedure_id: int,
    version: str,
    staff_id: int,
    audit_rows: int,
    start: datetime,
) -> Iterator[tuple[list[tuple], list[tuple], list[tuple]]]:
    """(sessions, events, audit rows), SESSIONS_PER_BATCH sessions at a time from `start`, one after
    the other, until the trail holds `audit_rows` rows; the last session may stop part-way (it is
    then still in progress)."""
    chain = _Chain(db)
    first_session = db.execute_sql("SELECT coalesce(max(id), 0) FROM treatment_session").fetchone()[0] + 1
    event_id = db.execute_sql("SELECT coalesce(max(id), 0) FROM session_event").fetchone()[0]
    templates = [_event_template(item_id, values, staff_id) for item_id, values in TICKS]
    offsets = [
        timedelta(seconds=20 * tick, microseconds=tick * 1000)
        + (GEL_WAIT if tick > AFTER_THE_WAIT else timedelta())
        for tick in range(1, len(TICKS) + 1)
    ]
    procedure_seal = _procedure_seal(db, procedure_id)
    session_rows: list[tuple] = []
    event_rows: list[tuple] = []
    number = 0
    while chain.next_id <= audit_rows:
        session_id = first_session + number
        started = start + SESSION_EVERY * number
        ticks = min(len(TICKS), audit_rows - chain.next_id)
        status, ended = (
            ("signed out", _db_time(started + offsets[-1])) if ticks == len(TICKS) else ("in progress", None)
        )
        session = (
            session_id,
            patient_id,
            procedure_id,
            number + 1,
            status,
            _db_time(started),
            staff_id,
            staff_id,
        )
        session_rows.append((*session, ended))
        begun = {"patient": patient_id, "number": number + 1, "procedure": version}
        # The app seals the session's row as it started (and the procedure's version, stored then).
        begun[SEAL_KEY] = _session_seal(session, "in progress", None) | (
            procedure_seal if number == 0 else {}
        )
        chain.add(utc_text(started), staff_id, "session started", "session", session_id, _detail(begun))
        for tick in range(ticks):
            event_id += 1
            item_id, values = TICKS[tick]
            at = started + offsets[tick]
            when = at.isoformat(timespec="microseconds")
            event_rows.append((event_id, session_id, "tick", item_id, staff_id, _db_time(at), values, ""))
            detail = templates[tick].format(at=_db_time(at), session=session_id)
            if event_id <= len(TICKS):  # the first session: the templates make what the app makes
                assert when == utc_text(at)
                assert detail == _detail(
                    event_detail((session_id, "tick", item_id, staff_id, at, values, "", None))
                )
            if tick == len(TICKS) - 1:  # the sign-out seals the session's row, signed out
                signed_out = {SEAL_KEY: _session_seal(session, status, ended)}
                detail = _detail(json.loads(detail) | signed_out)
            chain.add(when, staff_id, "tick", "session_event", event_id, detail)
        number += 1
        if len(session_rows) == SESSIONS_PER_BATCH or chain.next_id > audit_rows:
            yield session_rows, event_rows, chain.rows
            session_rows, event_rows, chain.rows = [], [], []


def _procedure_seal(db: Database, procedure_id: int) -> dict[str, str]:
    """The seal of the procedure's version, which the bulk rows' first session stored."""
    stored = db.execute_sql(
        "SELECT id, procedure_id, version, sha256, source FROM procedure_version WHERE id = ?",
        (procedure_id,),
    ).fetchone()
    return {row_key(ProcedureVersionRow, procedure_id): row_digest(ProcedureVersionRow, stored)}


def _session_seal(session: tuple, status: str, ended: str | None) -> dict[str, str]:
    """The seal of a session's row (the first eight columns as inserted, then status and end)."""
    row = (*session[:4], status, *session[5:8], ended)
    return {row_key(SessionRow, row[0]): row_digest(SessionRow, row)}


def _db_time(instant: datetime) -> str:
    """How UTCDateTimeField stores an instant: naive UTC text."""
    return str(instant.replace(tzinfo=None))


def _build_trail(db: Database, desk: Desk, nurse: Staff) -> tuple[int, int]:
    """Fill the database up to TOTAL_ROWS audit rows; return (audit rows, session events).

    The sessions follow the rules verify replays: after the staff and patient were added, the gel
    wait kept, by a nurse authorised as a laser operator for the years they span (4.9)."""
    patient = desk.patients.register_patient("Bench", "Audit Patient", "1990-01-01", "AU-00001", nurse.id)
    today = desk.clock.now().date()
    five_years = today.replace(year=today.year + 5) - timedelta(days=1)
    desk.operators.grant_laser_authorisation(nurse.id, today, five_years, administrator(desk).id)
    start = desk.clock.now() + timedelta(hours=1)
    procedure = desk.procedure
    connection = db.connection()
    with db.atomic():
        procedure_id = connection.execute(
            "INSERT INTO procedure_version (procedure_id, version, sha256, source) VALUES (?, ?, ?, ?)",
            (procedure.id, procedure.version, "b" * 64, procedure.source),
        ).lastrowid
        batches = _session_batches(
            db, patient.id, procedure_id, procedure.version, nurse.id, TOTAL_ROWS, start
        )
        for session_rows, event_rows, audit_rows in batches:
            connection.executemany(
                "INSERT INTO treatment_session (id, patient_id, procedure_id, session_number, status, "
                "started_at, started_by_id, holder_id, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                session_rows,
            )
            connection.executemany(
                "INSERT INTO session_event (id, session_id, kind, item_id, staff_id, at, values_json, text) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                event_rows,
            )
            connection.executemany(
                "INSERT INTO audit_log (id, at, staff_id, action, subject, subject_id, detail, prev_hash, "
                "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                audit_rows,
            )
    rows = db.execute_sql("SELECT count(*) FROM audit_log").fetchone()[0]
    events = db.execute_sql("SELECT count(*) FROM session_event").fetchone()[0]
    return rows, events


def _read_every_row(db: Database) -> int:
    cursor = db.execute_sql(
        "SELECT id, at, staff_id, action, subject, subject_id, detail, prev_hash, hash "
        "FROM audit_log ORDER BY id"
    )
    count = 0
    while batch := cursor.fetchmany(20_000):
        count += len(batch)
    return count


def _rehash_every_row(db: Database) -> str:
    """The chain alone: every row read and its hash recomputed and linked, no session events."""
    cursor = db.execute_sql(
        "SELECT id, at, staff_id, action, subject, subject_id, detail, prev_hash, hash "
        "FROM audit_log ORDER BY id"
    )
    prev = "0" * 64
    while batch := cursor.fetchmany(20_000):
        for row_id, at, staff_id, action, subject, subject_id, detail, prev_hash, stored in batch:
            assert prev_hash == prev
            assert chain_hash(row_id, at, staff_id, action, subject, subject_id, detail, prev_hash) == stored
            prev = stored
    return prev


@pytest.mark.timeout(900)
def test_verify_a_million_row_trail(
    report: Report, db: Database, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    build_ms, (rows, events) = time_ms(lambda: _build_trail(db, desk, nurse))
    assert rows == TOTAL_ROWS
    head = db.execute_sql("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0]

    read_ms = []
    chain_ms = []
    verify_ms = []
    for _ in range(RUNS):
        elapsed, read = time_ms(lambda: _read_every_row(db))
        assert read == rows
        read_ms.append(elapsed)
        elapsed, last = time_ms(lambda: _rehash_every_row(db))
        assert last == head
        chain_ms.append(elapsed)
        elapsed, result = time_ms(lambda: verify_audit(db))
        assert result.ok, result.problem
        assert (result.rows, result.head_hash) == (rows, head)
        verify_ms.append(elapsed)

    report.add(
        Row(f"8a. build {rows:,} chained rows (bulk)", 1, build_ms, None, f"< {BUILD_TARGET_S:.0f} s (info)")
    )
    report.add(Row(f"8b. read {rows:,} audit rows (baseline)", RUNS, median(read_ms), None, "baseline"))
    report.add(
        Row(
            f"8c. rehash {rows:,} rows, no event check",
            RUNS,
            median(chain_ms),
            None,
            "info",
            baseline_ms=median(read_ms),
        )
    )
    verify = report.add(
        Row(
            f"8d. verify_audit, {rows:,} rows",
            RUNS,
            median(verify_ms),
            None,
            f"< {FAIL_ABOVE_MS / 1000:.0f} s",
            baseline_ms=median(read_ms),
            fail_above_ms=FAIL_ABOVE_MS,
            checked="median",
        )
    )
    seconds = verify.median_ms / 1000
    report.note(
        f"8: verify_audit walked {rows:,} audit rows and checked {events:,} session events against them in "
        f"{seconds:.2f} s median (runs: {', '.join(f'{ms / 1000:.2f} s' for ms in verify_ms)}): "
        f"{rows / seconds:,.0f} rows/s. The chain alone (8c) takes {median(chain_ms) / 1000:.2f} s; the "
        f"rest is the session-event check. Building the trail took {build_ms / 1000:.1f} s."
    )
    assert build_ms < 2 * BUILD_TARGET_S * 1000, f"building took {build_ms / 1000:.1f} s"
    assert verify.passed, f"verify_audit took {verify.median_ms:.0f} ms median (limit {FAIL_ABOVE_MS:.0f})"
