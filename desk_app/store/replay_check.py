"""The rules replayed: each session's events checked in order as the app checked them when they
were written, and the chain's times checked to run forwards (issue 17, point 2).

The rules are desk_app.domain.replay's; this module reads what they need in a few queries: the
staff and their role changes (the audit rows of 'staff added' and 'staff changed', not the staff
table's current role), the laser authorisations, each session's procedure, and every event's
columns but its values and text, in one pass in the order written; then, in full, the few sessions
whose rare events are replayed through derive_state.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from peewee import Database

from desk_app.domain.errors import ProcedureError
from desk_app.domain.people import Role
from desk_app.domain.permissions import Permissions, load_permissions
from desk_app.domain.procedure import parse_procedure
from desk_app.domain.replay import (
    TIME_TOLERANCE,
    TOLERANCE_TEXT,
    Member,
    Rulebook,
    RuleReplay,
    StoredEvent,
    check_whole_state,
    operator_windows,
    shown_time,
    stored_instant,
    stored_text,
)
from desk_app.domain.session import Event, EventKind
from desk_app.paths import PERMISSIONS_FILE, resource_path
from desk_app.store.audit_actions import ID_MADE, PRE_TRAIL, UPGRADE_SEALS
from desk_app.store.models import (
    AuditLog,
    LaserAuthorisationRow,
    ProcedureVersionRow,
    SchemaMigration,
    StaffRow,
)

log = logging.getLogger(__name__)

_BATCH = 20_000
# The schema whose upgrade began to keep laser authorisations (migrations' 'laser authorisation').
LASER_AUTHORISATION_SCHEMA = 7
# Rows written with the PC's own clock as a database is made or upgraded, not by an action on a
# desk's clock (store.audit_actions).
OWN_CLOCK_ACTIONS = frozenset(
    {PRE_TRAIL, ID_MADE} | {f"{UPGRADE_SEALS}{version}" for version in range(1, 100)}
)
# The first row of a demo database (store.demo): its history is then written dated weeks back, out
# of order. Only as the trail's first row: one appended later makes no demo of a clinic's records.
DEMO_MARK = "marked as a training demo"
_NOT_PLAIN = OWN_CLOCK_ACTIONS | {DEMO_MARK}
_EVENTS = "SELECT id, session_id, kind, item_id, staff_id, at, corrects_id FROM session_event ORDER BY id"
_WHOLE_EVENTS = (
    "SELECT id, kind, item_id, staff_id, at, values_json, text, corrects_id FROM session_event "
    "WHERE session_id = %s ORDER BY id"
)


class ChainTimes:
    """The audit rows' times, in chain order: none may go back more than TIME_TOLERANCE from the
    latest time before it. The text (utc_text, fixed width) is compared first; parsed only when
    it is out of order.

    The rows of OWN_CLOCK_ACTIONS carry the PC's own clock rather than the desk's: their time is not
    checked, and sets none the rows after must follow. As anyone can append such a row, each is
    accepted only where the app writes it: the events from before the trail as the trail's first
    rows, the database's id once, an upgrade's seals in one run of rows for a schema this app knows,
    each upgrade's after the one before. A demo's trail (DEMO_MARK first) is not checked at all.
    """

    def __init__(self, latest_schema: int | None = None) -> None:
        if latest_schema is None:
            from desk_app.store.migrations import LATEST_VERSION  # noqa: PLC0415  # migrations imports audit

            latest_schema = LATEST_VERSION
        self._latest = ""
        self._latest_schema = latest_schema
        self._id_made = False
        self._sealed_schema, self._seals_end = 0, 0  # the last upgrade's seals: its schema, its last row

    def see(self, row_id: int, at: str, action: str) -> str | None:
        """Called for each of a million rows: the common case in one line."""
        if at >= self._latest and at[26:] == "+00:00" and action not in _NOT_PLAIN:
            self._latest = at
            return None
        return self._out_of_order(row_id, at, action)

    def _out_of_order(self, row_id: int, at: str, action: str) -> str | None:
        if action in OWN_CLOCK_ACTIONS:
            return self._own_clock_problem(row_id, action)
        if action == DEMO_MARK and row_id == 1:
            self.see = self._demo  # type: ignore[method-assign]  # the rest of the walk, at no cost
            return None
        if at[26:] != "+00:00":  # utc_text's fixed form, whose text sorts as the instants do
            return f"row {row_id} ({action}) has a time not written as the app writes times: {at!r}"
        if at >= self._latest:
            self._latest = at
            return None
        try:
            back = stored_instant(self._latest) - stored_instant(at)
        except ValueError:
            return f"row {row_id} ({action}) has a time that is not a time: {at!r}"
        if back <= TIME_TOLERANCE:
            return None
        return (
            f"row {row_id} ({action}) is dated {shown_time(at)}, before an earlier row's "
            f"{shown_time(self._latest)}: the trail's times go back by more than the "
            f"{TOLERANCE_TEXT} allowed"
        )

    def _own_clock_problem(self, row_id: int, action: str) -> str | None:
        if action == PRE_TRAIL:
            return f"row {row_id} ({action}) comes after rows of the trail itself" if self._latest else None
        if action == ID_MADE:
            if self._id_made:
                return f"row {row_id} ({action}) makes the database's id again"
            self._id_made = True
            return None
        schema = int(action.removeprefix(UPGRADE_SEALS))
        if schema > self._latest_schema:
            return f"row {row_id} ({action}) names an upgrade this app does not know"
        if schema == self._sealed_schema and row_id == self._seals_end + 1:
            self._seals_end = row_id
            return None
        if schema <= self._sealed_schema:
            return (
                f"row {row_id} ({action}) seals rows after the upgrade's seals ended "
                f"(at row {self._seals_end}, of schema {self._sealed_schema})"
            )
        self._sealed_schema, self._seals_end = schema, row_id
        return None

    @staticmethod
    def _demo(row_id: int, at: str, action: str) -> str | None:
        return None


def rules_problem(db: Database) -> str | None:
    """The first event the app would have refused at the point it stands in its session; a stored
    value of a type or form the app never writes (a time 'soon', a number) is a break too, named."""
    try:
        staff = _members(db)
    except _OddRow as odd:
        return f"audit row {odd.row_id} ({odd.action}) has a value the app never writes: {odd.value!r}"
    replay = RuleReplay(staff, operator_windows(_authorisations(db), _authorisations_since(db)))
    sessions = {
        row[0]: row[1:]
        for row in db.execute_sql("SELECT id, procedure_id, started_by_id FROM treatment_session").fetchall()
    }
    rulebooks: dict[int, Rulebook] = {}

    def session_rules(session_id: int) -> tuple[Rulebook, int | None]:
        if session_id not in sessions:
            raise _NoSuchSession(session_id)
        procedure_id, started_by = sessions[session_id]
        if procedure_id not in rulebooks:
            rulebooks[procedure_id] = _rulebook(db, session_id, procedure_id)
        return rulebooks[procedure_id], started_by

    try:
        if (problem := replay.replay(_event_batches(db), session_rules)) is not None:
            return problem
    except _NoProcedure as missing:
        return f"session {missing.session_id} names a procedure version that is not in the records"
    except _NoSuchSession as missing:
        return f"events of session {missing.session_id} are in the records, but not the session"
    for session_id, rules, checked in replay.whole_state_checks:
        try:
            events = _whole_events(db, session_id, staff)
            refused = check_whole_state(rules, events, checked, staff)
        except (ValueError, TypeError) as odd:
            return f"session {session_id} has an event with a value the app never writes: {odd}"
        if refused is not None:
            event, why = refused
            stored = StoredEvent(
                event.id,
                session_id,
                event.kind.value,
                event.item_id,
                event.staff_id,
                stored_text(event.at),
                event.corrects_id,
            )
            return f"{replay.described(stored)}: {why}"
    return None


class _OddRow(Exception):
    """An audit row the replay reads holds a value the app never writes."""

    def __init__(self, row_id: int, action: str, value: Any) -> None:
        super().__init__(row_id)
        self.row_id, self.action, self.value = row_id, action, value


class _NoSuchSession(Exception):
    def __init__(self, session_id: int) -> None:
        super().__init__(session_id)
        self.session_id = session_id


class _NoProcedure(_NoSuchSession):
    """The session's procedure version is not in the records."""


def _event_batches(db: Database) -> Iterator[list[tuple]]:
    cursor = db.execute_sql(_EVENTS)
    while batch := cursor.fetchmany(_BATCH):
        if not isinstance(batch[0][5], str):  # PostgreSQL: a datetime, made text
            batch = [(*row[:5], stored_text(_aware(row[5])), row[6]) for row in batch]
        yield batch


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _whole_events(db: Database, session_id: int, staff: dict[int, Member]) -> list[Event]:
    """One session's events in full, as derive_state reads them."""
    query = _WHOLE_EVENTS.replace("%s", db.param)
    events = []
    for event_id, kind, item_id, staff_id, at, values, text, corrects in db.execute_sql(query, (session_id,)):
        member = staff.get(staff_id)
        instant = stored_instant(at) if isinstance(at, str) else _aware(at)
        events.append(
            Event(
                id=event_id,
                kind=EventKind(kind),
                at=instant,
                staff_id=staff_id,
                staff_name=member.name if member else f"staff {staff_id}",
                staff_initials=member.initials if member else "",
                item_id=item_id,
                values=_json(values),
                text=text,
                corrects_id=corrects,
            )
        )
    return events


def _json(text: str | None) -> dict[str, Any]:
    try:
        values = json.loads(text)  # type: ignore[arg-type]  # None (a forged NULL): TypeError
    except (ValueError, TypeError):
        return {}
    return values if isinstance(values, dict) else {}


def _rulebook(db: Database, session_id: int, procedure_id: int) -> Rulebook:
    """The rules of the procedure version the session ran, read from `db` (not the models' bound
    database: migrate-to verifies a file while the server is bound)."""
    found = list(ProcedureVersionRow.select().where(ProcedureVersionRow.id == procedure_id).execute(db))
    if not found:
        raise _NoProcedure(session_id)
    row = found[0]
    procedure = parse_procedure(
        row.source, f"stored {row.procedure_id} version {row.version}", authoring=False
    )
    permissions: Permissions | None
    try:
        permissions = load_permissions(resource_path(PERMISSIONS_FILE), procedure)
    except ProcedureError:
        log.warning(
            "The permissions file does not fit %s %s: laser clearance not replayed",
            row.procedure_id,
            row.version,
        )
        permissions = None
    return Rulebook.of(procedure, permissions)


def _authorisations(db: Database) -> list[tuple]:
    columns = (
        LaserAuthorisationRow.staff,
        LaserAuthorisationRow.granted,
        LaserAuthorisationRow.trained_on,
        LaserAuthorisationRow.expires_on,
        LaserAuthorisationRow.at,
    )
    return list(
        LaserAuthorisationRow.select(*columns).order_by(LaserAuthorisationRow.id).tuples().execute(db)
    )


def _authorisations_since(db: Database) -> datetime | None:
    """When the upgrade that began to keep laser authorisations ran, a desk's clock allowed for."""
    found = list(
        SchemaMigration.select(SchemaMigration.applied_at)
        .where(SchemaMigration.version == LASER_AUTHORISATION_SCHEMA)
        .tuples()
        .execute(db)
    )
    return _aware(found[0][0]) + TIME_TOLERANCE if found and isinstance(found[0][0], datetime) else None


def _members(db: Database) -> dict[int, Member]:
    """Each member of staff with their role over time, from the audit rows that added and changed
    them (the staff table's role is only where it ended up)."""
    rows = list(StaffRow.select().execute(db))
    members = {
        row.id: Member(row.id, row.name, row.initials, stored_text(row.created_at), []) for row in rows
    }
    current_role = {row.id: row.role for row in rows}
    changes = (
        AuditLog.select(AuditLog.id, AuditLog.at, AuditLog.subject_id, AuditLog.action, AuditLog.detail)
        .where((AuditLog.subject == "staff") & AuditLog.action.in_(("staff added", "staff changed")))
        .order_by(AuditLog.id)
        .tuples()
        .execute(db)
    )
    for row_id, at, staff_id, action, detail in changes:
        member = members.get(staff_id)
        content = _json(detail)
        if member is None:
            continue
        try:
            since = stored_text(stored_instant(at))
        except (ValueError, TypeError) as odd:
            raise _OddRow(row_id, action, at) from odd
        if action == "staff added":
            member.added = max(member.added, since)
            member.standings.insert(0, (since, _role(content.get("role")), True))
            continue
        role, active = _change(content.get("role")), _change(content.get("active", [True, True]))
        if not member.standings:
            member.standings.append((member.added, _role(role[0]), bool(active[0])))
        member.standings.append((since, _role(role[1]), bool(active[1])))
    for staff_id, member in members.items():
        if not member.standings:
            member.standings.append((member.added, _role(current_role[staff_id]), True))
    return members


def _change(value: Any) -> tuple[Any, Any]:
    """A 'staff changed' row's [before, after]; (None, None) if it is not that."""
    return (value[0], value[1]) if isinstance(value, list) and len(value) == 2 else (None, None)


def _role(value: Any) -> Role:
    try:
        return Role(value)
    except ValueError:
        return Role.ADMINISTRATOR  # not a role the app writes: it may do nothing clinical
