"""The audit trail: one row per action, in the action's own transaction, each row chained by hash.

Row n's hash covers its id, time, staff, action, subject and detail and row n-1's hash, so a row
changed, removed or slipped in outside the app breaks the chain from there on, and `verify` finds it.
The database refuses UPDATE and DELETE on the table as well. Every session event's full content is
in its audit row, so an event edited in the file (triggers dropped) no longer matches its row.

Anyone with the file could rewrite the whole chain; `verify` prints the head hash so that it can be
written down elsewhere (a printed report, a backup manifest) and compared later.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peewee import Database, DataError, SqliteDatabase

from desk_app.domain.progress import CancelAsked, Progress, step
from desk_app.store.audit_actions import PRE_TRAIL
from desk_app.store.files import read_only_uri
from desk_app.store.models import AuditLog, EventRow
from desk_app.store.seals import SEAL_KEY, SEALED_MARK, SealBook, Sealed, first_row_seals, seals_of
from desk_app.store.transactions import long_job, read_snapshot

if TYPE_CHECKING:
    from desk_app.domain.integrity import AuditReport

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
_sha256 = hashlib.sha256
_BATCH = 20_000


def chain_hash(
    row_id: int,
    at: str,
    staff_id: int | None,
    action: str,
    subject: str,
    subject_id: int | None,
    detail: str,
    prev_hash: str,
) -> str:
    """The fields as text (None as nothing), joined by \\x1f (a character no field may contain:
    control characters are refused on input), hashed. Spelt out rather than joined from a
    generator: verify calls it for every row, and this form takes half the time."""
    staff = "" if staff_id is None else staff_id
    subject_key = "" if subject_id is None else subject_id
    canonical = f"{row_id}\x1f{at}\x1f{staff}\x1f{action}\x1f{subject}\x1f{subject_key}\x1f{detail}"
    canonical += f"\x1f{prev_hash}"
    return _sha256(canonical.encode("utf-8")).hexdigest()


def utc_text(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


# Written out rather than built by peewee: every action runs both, and building them took a
# millisecond an action (a third of a tick).
LAST_ROW = "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"
_INSERT_ROW = (
    "INSERT INTO audit_log (id, at, staff_id, action, subject, subject_id, detail, prev_hash, hash) "
    "VALUES ({})"
)


def audit_head(cursor: Any) -> tuple[int, str]:
    """The next row's id and the hash it links to, from a cursor that ran LAST_ROW: read under the
    write lock, so no other desk can append before this transaction ends."""
    last = cursor.fetchone()
    return (last[0] + 1, last[1]) if last else (1, GENESIS)


def write_audit(
    db: Database,
    at: datetime,
    staff_id: int | None,
    action: str,
    subject: str,
    subject_id: int | None = None,
    detail: dict[str, Any] | None = None,
    sealed: Sequence[Sealed] = (),
    head: tuple[int, str] | None = None,
) -> str:
    """Append one chained row and return its hash; must run inside the action's own write
    transaction (BEGIN IMMEDIATE on SQLite, the write lock on PostgreSQL), after its writes: the
    rows named in `sealed` are read back and sealed in the row (seals.py). `head`: the chain's
    head as read earlier in the same transaction (audit_head), else read now."""
    assert db.in_transaction(), "an audit row belongs in the transaction of the action it records"
    row_id, prev_hash = head or audit_head(db.execute_sql(LAST_ROW))
    if row_id == 1:
        sealed = [*sealed, *first_row_seals()]
    if sealed:
        detail = {**(detail or {}), SEAL_KEY: seals_of(db, sealed)}
    text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)
    when = utc_text(at)
    row_hash = chain_hash(row_id, when, staff_id, action, subject, subject_id, text, prev_hash)
    row = (row_id, when, staff_id, action, subject, subject_id, text, prev_hash, row_hash)
    db.execute_sql(_INSERT_ROW.format(", ".join([db.param] * len(row))), row)
    return row_hash


def stored_time_text(instant: datetime) -> str:
    """An instant as the session_event table stores it: naive UTC, 'YYYY-MM-DD HH:MM:SS[.ffffff]'
    (the domain's stored_text, which the replayed rules compare with)."""
    from desk_app.domain.replay import stored_text  # the replay: imported when first used, not by a start

    return stored_text(instant)


def event_detail(row: EventRow | tuple) -> dict[str, Any]:
    """A session event's whole content, as its audit row keeps it.

    Never change this form: audit rows already written are compared with it. `at` is the text the
    event's own table holds, so the database can compare the two directly.
    """
    fields: Sequence[Any]
    if isinstance(row, EventRow):
        fields = (row.session_id, row.kind, row.item_id, row.staff_id, row.at, row.values_json, row.text)
        corrects = row.corrects_id
    else:
        *fields, corrects = row
    session_id, kind, item_id, staff_id, at, values_json, text = fields
    return {
        "session": session_id,
        "kind": kind,
        "item": item_id,
        "staff": staff_id,
        "at": stored_time_text(at),
        "values": values_json,
        "text": text,
        "corrects": corrects,
    }


def _rows(db: Database, batch_read: Callable[[int], None]) -> Iterator[tuple]:
    """Every row in order, a batch at a time; `batch_read` hears the rows read so far after each."""
    cursor = db.execute_sql(
        "SELECT id, at, staff_id, action, subject, subject_id, detail, prev_hash, hash "
        "FROM audit_log ORDER BY id"
    )
    read = 0
    while batch := cursor.fetchmany(_BATCH):
        yield from batch
        read += len(batch)
        batch_read(read)


def verify_audit(
    db: Database, *, progress: Progress | None = None, cancelled: CancelAsked | None = None
) -> AuditReport:
    """Walk the chain from the first row; then match session events and their audit rows both ways.

    On a server, without the bounds of a desk's action: a million rows take seconds to read.
    `progress` hears (rows walked, rows in the trail) after each batch of the walk, then (0, 0) while
    the rest is checked; `cancelled` is asked at the same points, and once it says yes the verify
    stops there and raises Cancelled: a verify that did not finish reports nothing."""
    with long_job(db):
        return _verify_audit(db, progress, cancelled)


def _verify_audit(db: Database, progress: Progress | None, cancelled: CancelAsked | None) -> AuditReport:
    """All in one read snapshot: a row another desk writes meanwhile (with its seals) is seen by no
    step, rather than by the seal check and not the walk. The events check aside starts first (it
    refuses inside a transaction); its own snapshot is whole by itself, events against audit rows."""
    aside = EventsCheckAside.start(db)
    try:
        with read_snapshot(db):
            return _walk_and_check(db, aside, progress, cancelled)
    finally:
        if aside is not None:
            aside.cancel()  # the walk found a break or failed (nothing to do once its result was taken)


def _walk_and_check(
    db: Database, aside: EventsCheckAside | None, progress: Progress | None, cancelled: CancelAsked | None
) -> AuditReport:
    """The chain first (each row, its link, its time); then what the chain vouches for: the session
    events, the rows of every other table a record depends on (their seals), and the rules the app
    enforced when each event was written."""
    from desk_app.domain.integrity import AuditReport  # a verify's, as the replay: not a start's
    from desk_app.store.replay_check import ChainTimes, rules_problem

    expected_prev, expected_id, count = GENESIS, 1, 0
    seals, times = SealBook(), ChainTimes()
    # The last id is the row count of an intact trail, read from the index (count(*) reads every row).
    total = (db.execute_sql("SELECT max(id) FROM audit_log").fetchone()[0] or 0) if progress else 0
    step(progress, cancelled, 0, total)
    walked = _rows(db, lambda read: step(progress, cancelled, min(read, total), total))
    for row_id, at, staff_id, action, subject, subject_id, detail, prev_hash, stored_hash in walked:
        count += 1
        problem = None
        if row_id != expected_id:
            problem = f"row {expected_id} is missing"
        elif prev_hash != expected_prev:
            problem = f"row {row_id} does not link to the row before it"
        elif chain_hash(row_id, at, staff_id, action, subject, subject_id, detail, prev_hash) != stored_hash:
            problem = f"row {row_id} ({action}) was changed after it was written"
        else:
            problem = times.see(row_id, at, action)
        if problem:
            return AuditReport(count, expected_prev, problem)
        if SEALED_MARK in detail:
            seals.see(row_id, detail)
        expected_prev, expected_id = stored_hash, row_id + 1
    step(progress, cancelled, 0, 0)  # what follows cannot tell how far it is
    if aside is not None:
        events_problem = aside.problem(db)
    elif isinstance(db, SqliteDatabase):
        events_problem = _events_by_sql(db)
    else:
        events_problem = _events_by_postgres_sql(db)
    if events_problem:
        return AuditReport(count, expected_prev, events_problem)
    step(progress, cancelled, 0, 0)
    problem = seals.problem(db)
    if problem is None:
        step(progress, cancelled, 0, 0)
        problem = rules_problem(db)
    return AuditReport(count, expected_prev, problem)


# An event with no audit row, or whose audit row records other content (SQLite's JSON functions).
# Its audit row's own time and action must be the event's too (within a second: the row is written
# with the event, from the same clock), or a forged event could be dated weeks back on a row of now,
# or its row's action changed to one whose time is not checked along the chain. Migration 5 entered
# the events from before the trail with the migration's own time and action. An event time that is
# not a time at all is left to the replay, which names it.
_EVENT_DIFFERS = """
SELECT e.id, a.id FROM session_event e
LEFT JOIN audit_log a ON a.subject = 'session_event' AND a.subject_id = e.id
WHERE a.id IS NULL
   OR json_extract(a.detail, '$.session') IS NOT e.session_id
   OR json_extract(a.detail, '$.kind') IS NOT e.kind
   OR json_extract(a.detail, '$.item') IS NOT e.item_id
   OR json_extract(a.detail, '$.staff') IS NOT e.staff_id
   OR json_extract(a.detail, '$.at') IS NOT e.at
   OR json_extract(a.detail, '$.values') IS NOT e.values_json
   OR json_extract(a.detail, '$.text') IS NOT e.text
   OR json_extract(a.detail, '$.corrects') IS NOT e.corrects_id
   OR (a.action IS NOT e.kind AND a.action IS NOT 'recorded before the audit trail')
   OR (a.action IS NOT 'recorded before the audit trail'
       AND coalesce(abs(julianday(a.at) - julianday(e.at)) > 1.0 / 86400, julianday(e.at) IS NOT NULL))
ORDER BY e.id LIMIT 1
"""
# The same on PostgreSQL, with its JSON operators; `at` compared as a UTC wall time.
_EVENT_DIFFERS_POSTGRES = """
SELECT e.id, a.id FROM session_event e
LEFT JOIN audit_log a ON a.subject = 'session_event' AND a.subject_id = e.id
WHERE a.id IS NULL
   OR (a.detail::jsonb ->> 'session')::bigint IS DISTINCT FROM e.session_id
   OR a.detail::jsonb ->> 'kind' IS DISTINCT FROM e.kind
   OR a.detail::jsonb ->> 'item' IS DISTINCT FROM e.item_id
   OR (a.detail::jsonb ->> 'staff')::bigint IS DISTINCT FROM e.staff_id
   OR (a.detail::jsonb ->> 'at')::timestamp IS DISTINCT FROM (e.at AT TIME ZONE 'UTC')
   OR a.detail::jsonb ->> 'values' IS DISTINCT FROM e.values_json
   OR a.detail::jsonb ->> 'text' IS DISTINCT FROM e.text
   OR (a.detail::jsonb ->> 'corrects')::bigint IS DISTINCT FROM e.corrects_id
   OR (a.action IS DISTINCT FROM e.kind AND a.action <> 'recorded before the audit trail')
   OR (a.action <> 'recorded before the audit trail'
       AND abs(extract(epoch FROM a.at::timestamptz - (e.at AT TIME ZONE 'UTC'))) > 1)
ORDER BY e.id LIMIT 1
"""
# An audit row of an event that is no longer there.
_EVENT_GONE = """
SELECT a.subject_id FROM audit_log a LEFT JOIN session_event e ON e.id = a.subject_id
WHERE a.subject = 'session_event' AND e.id IS NULL
ORDER BY a.id LIMIT 1
"""


def _event_problem(event_id: int, has_row: bool) -> str:
    return f"session event {event_id} " + ("differs from its audit row" if has_row else "has no audit row")


def _events_by_postgres_sql(db: Database) -> str | None:
    """In SQL on the server; a detail that is not JSON at all (forged with its hash) cannot be cast,
    and the slower check in Python then names the event."""
    guard = db.savepoint() if db.in_transaction() else nullcontext()  # an error must not end a caller's
    try:
        with guard:
            return _events_by_sql(db, _EVENT_DIFFERS_POSTGRES)
    except DataError:
        return _events_by_python(db)


def _events_by_sql(db: Database, differs_query: str = _EVENT_DIFFERS) -> str | None:
    return _events_problem(db.execute_sql, differs_query)


def _events_problem(execute: Callable[[str], Any], differs_query: str = _EVENT_DIFFERS) -> str | None:
    differs = execute(differs_query).fetchone()
    if differs:
        return _event_problem(differs[0], differs[1] is not None)
    gone = execute(_EVENT_GONE).fetchone()
    return f"session event {gone[0]} is in the audit trail but no longer in the records" if gone else None


class EventsCheckAside:
    """The session events matched with their audit rows by SQLite on a second, read-only connection
    in a thread, while Python walks the chain: SQLite runs without Python's lock, so on a PC with two
    cores the two overlap (the match is about a third of verify's time at a million rows).

    Whatever it finds is looked for again on the walk's own connection before it is reported, so
    a write committed between the two connections' reads (another desk's) is never taken for a break.
    """

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._found: str | None = None
        self._failed = True  # until its query has answered: a check that never ran is done again
        self._cancelled = threading.Event()
        self._over = False  # its thread joined and its connection closed
        self._thread = threading.Thread(target=self._run, name="audit events check", daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, db: Database) -> EventsCheckAside | None:
        """None where a second connection cannot be had (PostgreSQL, a database in memory) or would
        not see what the caller sees (inside the caller's transaction)."""
        if not isinstance(db, SqliteDatabase) or db.database in ("", ":memory:") or db.in_transaction():
            return None
        name = db.database
        try:
            if name.startswith("file:"):
                connection = sqlite3.connect(name, uri=True, check_same_thread=False)
            else:
                connection = sqlite3.connect(read_only_uri(Path(name)), uri=True, check_same_thread=False)
        except sqlite3.Error:
            return None
        return cls(connection)

    def _run(self) -> None:
        try:
            self._found = _events_problem(self._execute)
        except Exception:  # whatever it is, the walk's connection looks again (problem)
            if not self._cancelled.is_set():
                logger.exception(
                    "The events check beside the walk failed; it is done on the walk's connection"
                )
            return
        self._failed = False

    def _execute(self, query: str) -> sqlite3.Cursor:
        if self._cancelled.is_set():  # cancelled before its query began: not worth starting
            raise sqlite3.OperationalError("cancelled")
        return self._connection.execute(query)

    def problem(self, db: Database) -> str | None:
        """The result; checked again on `db` if the thread found a break or could not look."""
        self._finish()
        if self._found is None and not self._failed:
            return None
        return _events_by_sql(db)

    def cancel(self) -> None:
        """The walk found a break first, or failed: stop the thread's query and close its connection."""
        if self._over:
            return
        self._cancelled.set()
        self._connection.interrupt()
        self._finish()

    def _finish(self) -> None:
        self._thread.join()
        self._connection.close()
        self._over = True


def _parsed(detail: str) -> Any:
    try:
        return json.loads(detail)
    except ValueError:
        return None  # not JSON: it differs from any event


def _same_second(audit_at: object, event_at: object) -> bool:
    """The event's audit row was written with it, from the same clock: their times within a second
    (either may be a datetime, on PostgreSQL, or stored text)."""
    from desk_app.domain.replay import stored_instant

    try:
        audit, event = (
            stored_instant(value.isoformat() if isinstance(value, datetime) else str(value))
            for value in (audit_at, event_at)
        )
    except ValueError:
        return False
    return abs(audit - event) <= timedelta(seconds=1)


def _events_by_python(db: Database) -> str | None:
    """The same checks in Python (slower: every event read), for details the server cannot read as JSON."""
    kept = {
        subject_id: (action, at, detail)
        for subject_id, action, at, detail in AuditLog.select(
            AuditLog.subject_id, AuditLog.action, AuditLog.at, AuditLog.detail
        )
        .where(AuditLog.subject == "session_event")
        .tuples()
        .execute(db)
    }
    columns = (
        EventRow.id,
        EventRow.session,
        EventRow.kind,
        EventRow.item_id,
        EventRow.staff,
        EventRow.at,
        EventRow.values_json,
        EventRow.text,
        EventRow.corrects,
    )
    for event_id, *content in EventRow.select(*columns).order_by(EventRow.id).tuples().iterator(db):
        row = kept.pop(event_id, None)
        if row is None:
            return _event_problem(event_id, False)
        action, at, detail = row
        kind, event_at = content[1], content[4]
        labelled = action == PRE_TRAIL or (action == kind and _same_second(at, event_at))
        if not labelled or _parsed(detail) != event_detail(tuple(content)):
            return _event_problem(event_id, True)
    if kept:
        return f"session event {min(kept)} is in the audit trail but no longer in the records"
    return None
