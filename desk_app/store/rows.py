"""Rows to domain dataclasses: the only place that knows both shapes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from peewee import Database, Field

from desk_app.domain.people import Patient, Role, Staff
from desk_app.store.models import (
    EventRow,
    LaserDeviceChange,
    PatientChange,
    PatientRow,
    ProcedureVersionRow,
    StaffRow,
)
from desk_app.store.seals import Sealed

if TYPE_CHECKING:
    from desk_app.domain.history import ChangeEntry
    from desk_app.domain.session import Event


def source_digest(text: str) -> str:
    """What names a stored file version: the SHA-256 of its exact text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_version_sealed(
    file_id: str, version: str, source: str
) -> tuple[ProcedureVersionRow, list[Sealed]]:
    """The row keeping this exact file text (a procedure or the pre-use checklist), added the first
    time a session or a check uses it, so a record always names the wording it followed; with the
    row to seal in the action's audit row if it was added now (else none)."""
    digest = source_digest(source)
    row = ProcedureVersionRow.get_or_none(ProcedureVersionRow.sha256 == digest)
    if row is not None:
        return row, []
    row = ProcedureVersionRow.create(procedure_id=file_id, version=version, sha256=digest, source=source)
    return row, [(ProcedureVersionRow, row.id)]


def staff_from_row(row: StaffRow) -> Staff:
    return Staff(id=row.id, name=row.name, initials=row.initials, role=Role(row.role), active=row.active)


# The columns a Patient is made of, in the dataclass's order (read as plain tuples, a page of search
# results costs a fraction of building peewee model instances).
PATIENT_COLUMNS = (
    PatientRow.id,
    PatientRow.given_names,
    PatientRow.family_name,
    PatientRow.date_of_birth,
    PatientRow.clinic_number,
    PatientRow.phone,
    PatientRow.email,
    PatientRow.fitzpatrick,
    PatientRow.allergies,
    PatientRow.notes,
    PatientRow.archived,
)


def patient_from_row(row: PatientRow) -> Patient:
    return Patient(*(getattr(row, column.name) for column in PATIENT_COLUMNS))


def event_from_row(row: EventRow) -> Event:
    from desk_app.domain.session import Event, EventKind  # a session's: not imported by a start

    return Event(
        id=row.id,
        kind=EventKind(row.kind),
        at=row.at,
        staff_id=row.staff.id,
        staff_name=row.staff.name,
        staff_initials=row.staff.initials,
        item_id=row.item_id,
        values=json.loads(row.values_json),
        text=row.text,
        corrects_id=row.corrects_id,
    )


# An event's columns in Event's order, for reading many as plain tuples (see events_from_tuples).
EVENT_COLUMNS = (
    EventRow.id,
    EventRow.kind,
    EventRow.at,
    EventRow.staff,
    StaffRow.name,
    StaffRow.initials,
    EventRow.item_id,
    EventRow.values_json,
    EventRow.text,
    EventRow.corrects,
)


def event_from_tuple(row: tuple) -> Event:
    """An Event from one row selecting exactly EVENT_COLUMNS (joined to StaffRow)."""
    from desk_app.domain.session import Event, EventKind  # a session's: not imported by a start

    event_id, kind, at, staff_id, name, initials, item_id, values_json, text, corrects = row
    values = json.loads(values_json)
    return Event(event_id, EventKind(kind), at, staff_id, name, initials, item_id, values, text, corrects)


def patients_from_query(query: Any) -> list[Patient]:
    """Patients from a PatientRow query, selecting exactly PATIENT_COLUMNS, as tuples."""
    rows: Iterable[tuple[int, str, str, date, str, str, str, str, str, str, Any]]
    rows = query.select(*PATIENT_COLUMNS).tuples()
    return [Patient(*values[:-1], archived=bool(values[-1])) for values in rows]  # SQLite: 0 or 1


def change_entries(
    model: type[PatientChange | LaserDeviceChange], owner: Field, owner_id: int, labels: Mapping[str, str]
) -> list[ChangeEntry]:
    """Every row of a change table (field, old_value, new_value, staff, at) about one record, oldest
    first, with who made it: one statement."""
    from desk_app.domain.history import ChangeEntry  # a record's history: not a start's

    rows = model.select(model, StaffRow.name).join(StaffRow).where(owner == owner_id).order_by(model.id)
    return [
        ChangeEntry(
            row.field, labels.get(row.field, row.field), row.old_value, row.new_value, row.staff.name, row.at
        )
        for row in rows
    ]


# Stands for the one value a compiled query is run with: no row has this id.
ANY_ID = -424_242_424


class CompiledQuery:
    """A peewee query run many times with one value changed, its SQL built once: peewee builds the
    SQL anew on every run, and for a session's four-table join that was a third of each tick."""

    def __init__(self, query: Any) -> None:
        self.query = query
        self.sql, self.params = query.sql()
        if self.params.count(ANY_ID) > 1:
            raise ValueError("a compiled query takes at most one value, ANY_ID")

    def rows(self, db: Database, value: int | None = None) -> list[Any]:
        """The query's rows (model instances, joined models filled in as peewee would) for `value`."""
        return self.rows_from(db.execute_sql(*self.statement(value)))

    def statement(self, value: int | None = None) -> tuple[str, list[Any]]:
        """The SQL and its parameters for `value`, to send with others (postgres.read_together)."""
        return self.sql, [value if param == ANY_ID else param for param in self.params]

    def rows_from(self, cursor: Any) -> list[Any]:
        """The rows of a cursor that ran this query's statement."""
        return list(self.query._get_cursor_wrapper(cursor))

    def read(self, value: int | None = None) -> Read:
        """This query for `value`, as a read an action may send ahead (Read)."""
        sql, params = self.statement(value)
        return Read(sql, tuple(params), self.rows_from)


@dataclass(frozen=True)
class Read:
    """One read as the server is sent it, and how its rows are made: an action on a server may send
    the reads it will need with its first ones, in one round trip (StoreContext.reading_ahead),
    and the service that needs them finds them there (StoreContext.rows)."""

    sql: str
    params: tuple[Any, ...]
    rows_from: Callable[[Any], list[Any]]

    @classmethod
    def of(cls, query: Any) -> Read:
        """A peewee select as a read (its SQL built now)."""
        sql, params = query.sql()
        return cls(sql, tuple(params), lambda cursor: list(query._get_cursor_wrapper(cursor)))
