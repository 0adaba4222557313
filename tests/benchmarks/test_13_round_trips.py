"""13. Where a desk's round trips go: the statements each action sends, on PostgreSQL and on SQLite.

Issue 20 (point 5) asks for a tick on PostgreSQL in at most 2 round trips after BEGIN (one statement
that locks, reads and checks, or a server-side function). This counts, without changing the app's
SQL, every statement the desk sends while a tick, a laser pass's tick, an override, a sign-in with a
PIN, the once-a-second look for other desks' changes and a patient search run: in all, in each
transaction after its BEGIN (the COMMIT included), and by their first words, so the next change knows
which ones to merge.

Counted at peewee's cursor (Database.cursor, swapped on the instance in this test only): every
statement goes through it, BEGIN, COMMIT and ROLLBACK included, which Database.execute_sql never sees.
On PostgreSQL each statement is one round trip on the wire, and so is each (libpq Sync or simple
Query message, counted from libpq's own trace): psycopg also prepares a statement the fifth time it
runs, which costs one more (the "wire" count). On SQLite a statement is a call into the library, not
a round trip; it is counted beside for comparison.

The tick's target is reported, not enforced: today's tick is far from it and this session only
measures; the PostgreSQL case ends as an expected failure (xfail) naming the count while it misses,
and passes by itself once it does not (then replace the xfail by an assert).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from peewee import Database, SqliteDatabase
from psycopg.pq import Trace

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.procedure import Procedure
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from desk_app.store.models import database_proxy
from tests.benchmarks.bench_tools import Report, Row, register_patients, time_ms, walk
from tests.support.lasers import with_test_laser
from tests.support.people import FAST_HASHER, PIN
from tests.support.walk import LASER

pytestmark = pytest.mark.both_databases

TICK_TARGET_AFTER_BEGIN = 2  # issue 20, point 5: on PostgreSQL
TICKS_BEFORE_THE_LASER_PASS = 18  # SIGN_IN, ANAESTHETIC and TIME_OUT, as bench_tools.WALK ticks them
_ENDS = ("COMMIT", "ROLLBACK")


@dataclass
class Sent:
    """The statements one action sent, in order, and the wire's round trips where counted."""

    statements: list[str] = field(default_factory=list)
    wire: int | None = None

    @property
    def transactions(self) -> list[list[str]]:
        """Each transaction's statements after its BEGIN, its COMMIT or ROLLBACK included."""
        found: list[list[str]] = []
        current: list[str] | None = None
        for sql in self.statements:
            if sql.startswith("BEGIN"):
                current = []
                found.append(current)
            elif current is not None:
                current.append(sql)
                if sql.startswith(_ENDS):
                    current = None
        return found

    def summary(self) -> str:
        """'3 in all; after BEGIN: 5 + 4' (one figure a transaction)."""
        after = " + ".join(str(len(statements)) for statements in self.transactions) or "-"
        wire = f" (wire {self.wire})" if self.wire is not None else ""
        return f"{len(self.statements)} in all{wire}; after BEGIN: {after}"


class _CountingCursor:
    """A DB-API cursor that notes each statement's first words before sending it."""

    def __init__(self, cursor: Any, sent: list[str]) -> None:
        self._cursor = cursor
        self._sent = sent

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._sent.append(first_words(sql))
        return self._cursor.execute(sql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)


@contextmanager
def counting(db: Database) -> Iterator[Sent]:
    """Every statement `db` sends while inside (the connection must be open already)."""
    sent = Sent()
    real = db.cursor
    db.cursor = lambda *args, **kwargs: _CountingCursor(real(*args, **kwargs), sent.statements)  # type: ignore[method-assign]
    try:
        with _libpq_trace(db) as wire:
            yield sent
    finally:
        del db.cursor
    sent.wire = wire() if wire else None


@contextmanager
def _libpq_trace(db: Database) -> Iterator[Callable[[], int] | None]:
    """On PostgreSQL, libpq's trace of the connection: the round trips are the frontend's Sync and
    simple Query messages (each waits for the server's ReadyForQuery). None on SQLite."""
    if isinstance(db, SqliteDatabase):
        yield None
        return
    pgconn = db.connection().pgconn
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
        counted: list[int] = []
        try:
            yield lambda: counted[0]
        finally:
            pgconn.untrace()
            trace.seek(0)
            messages = [line.split("\t") for line in trace.read().splitlines()]
            counted.append(
                sum(1 for m in messages if len(m) > 2 and m[0] == "F" and m[2] in ("Sync", "Query"))
            )


_TABLE = re.compile(r'\b(?:FROM|JOIN|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)
_FUNCTION = re.compile(r"^SELECT\s+(\w+)\s*\(", re.IGNORECASE)


def first_words(sql: str) -> str:
    """'SELECT treatment_session+patient+staff', 'INSERT audit_log', 'SELECT pg_advisory_xact_lock',
    'BEGIN IMMEDIATE', 'PRAGMA data_version': what a statement does and to which tables."""
    words = sql.split()
    verb = words[0].upper() if words else "?"
    tables = list(dict.fromkeys(_TABLE.findall(sql)))
    if verb in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH") and tables:
        return f"{verb} {'+'.join(tables)}"
    if verb == "SELECT" and (function := _FUNCTION.match(sql)):
        return f"SELECT {function.group(1)}"
    return " ".join(words[:2])


@dataclass
class Measured:
    what: str
    sent: Sent
    ms: float


def measure(db: Database, what: str, action: Callable[[], Any]) -> Measured:
    with counting(db) as sent:
        elapsed, _ = time_ms(action)
    return Measured(what, sent, elapsed)


def test_round_trips_of_each_action(
    report: Report,
    backend: str,
    db_url: str,
    db: Database,
    desk: Desk,
    procedure: Procedure,
    clock: ManualClock,
    nurse: Staff,
    clinician: Staff,
) -> None:
    patient_ids = register_patients(desk, nurse.id, 3, prefix="R")
    measured: list[Measured] = []

    session_id = desk.sessions.start_session(patient_ids[0], nurse.id).id
    clock.advance(seconds=20)
    identity = {"second_identifier": "Date of birth"}
    measured.append(
        measure(db, "tick", lambda: desk.sessions.tick(session_id, "identity", identity, nurse.id))
    )
    tick = measured[-1]

    # A laser pass: the tick that reads most (the device, its daily check, the operator's authorisation).
    laser_session = desk.sessions.start_session(patient_ids[1], nurse.id).id
    walk(desk, clock, laser_session, nurse.id, stop_after=TICKS_BEFORE_THE_LASER_PASS)
    clock.advance(seconds=20)
    laser = with_test_laser(desk, LASER["fractional_pass"], nurse.id)
    measured.append(
        measure(
            db,
            "tick, laser pass",
            lambda: desk.sessions.tick(laser_session, "fractional_pass", laser, nurse.id),
        )
    )

    clock.advance(seconds=20)
    desk.sessions.tick(session_id, "skin_type", {"fitzpatrick": "V"}, nurse.id)  # a soft stop
    reason = "Test patch fine"
    measured.append(
        measure(
            db,
            "override (clinician's PIN)",
            lambda: desk.sessions.override(session_id, "skin_type", reason, clinician.id, nurse.id, PIN),
        )
    )
    measured.append(
        measure(db, "sign-in with PIN", lambda: desk.accounts.confirm_pin(nurse.id, PIN, "switch staff"))
    )

    desk.changed_elsewhere()  # the first look marks where the trail stands
    measured.append(measure(db, "look for changes, none", desk.changed_elsewhere))
    other_db = open_database(db_url)
    try:
        Desk(other_db, procedure, clock, FAST_HASHER).sessions.add_note(
            session_id, None, "From another desk", nurse.id
        )
    finally:
        other_db.close()
        database_proxy.initialize(db)  # open_database bound the models to the other desk's database
    measured.append(measure(db, "look for changes, another desk wrote", desk.changed_elsewhere))

    measured.append(
        measure(db, "patient search 'bench pat'", lambda: desk.patients.search_patients("bench pat"))
    )
    measured.append(
        measure(db, "patient search by birth date", lambda: desk.patients.search_patients("01/01/1990"))
    )

    for one in measured:
        target = "info"
        if one is tick and backend == "postgresql":
            target = f"<= {TICK_TARGET_AFTER_BEGIN} after BEGIN (issue 20.5)"
        report.add(Row(f"13. {one.what} ({backend}): {one.sent.summary()}", 1, one.ms, None, target))
        report.note(f"13. {one.what} ({backend}): {', '.join(one.sent.statements)}")

    assert tick.sent.transactions, "the tick ran in no transaction"
    after_begin = len(tick.sent.transactions[0])
    if backend == "postgresql" and after_begin > TICK_TARGET_AFTER_BEGIN:
        pytest.xfail(
            f"a tick sends {after_begin} statements after BEGIN on PostgreSQL "
            f"(issue 20 point 5's target: {TICK_TARGET_AFTER_BEGIN})"
        )
