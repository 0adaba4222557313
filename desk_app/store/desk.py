"""The store's service: one method per user action, each one transaction, each returning new state.

The UI calls these and shows "done" only after they return. Writes start with BEGIN IMMEDIATE (set on
the database), so two desks cannot interleave a read-check-write on the same session.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

from peewee import Database, IntegrityError, fn

from desk_app.domain.alerts import AlertKind, check_acknowledge
from desk_app.domain.clock import Clock
from desk_app.domain.dates import local_today, parse_user_date
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.people import (
    Patient,
    Role,
    Staff,
    check_new_patient,
    check_new_staff,
    search_key,
)
from desk_app.domain.procedure import ItemKind, Procedure, parse_procedure
from desk_app.domain.session import (
    Event,
    EventKind,
    SessionRecord,
    SessionState,
    SessionStatus,
    check_abort,
    check_correction,
    check_note,
    check_override,
    check_take_over,
    check_tick,
)
from desk_app.store.models import (
    EventRow,
    PatientRow,
    ProcedureVersionRow,
    SessionRow,
    StaffRow,
)

SEARCH_LIMIT = 50


class SessionAlreadyInProgress(ActionRefused):
    """The patient already has a session in progress; `session_id` says which, so it can be opened."""

    def __init__(self, message: str, session_id: int) -> None:
        super().__init__(message)
        self.session_id = session_id


def _staff(row: StaffRow) -> Staff:
    return Staff(id=row.id, name=row.name, initials=row.initials, role=Role(row.role), active=row.active)


def _patient(row: PatientRow) -> Patient:
    return Patient(
        id=row.id,
        given_names=row.given_names,
        family_name=row.family_name,
        date_of_birth=row.date_of_birth,
        clinic_number=row.clinic_number,
    )


def _event(row: EventRow) -> Event:
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


class Desk:
    """The front desk's actions on one database, with the procedure for new sessions and a clock."""

    def __init__(self, db: Database, procedure: Procedure, clock: Clock) -> None:
        self.db = db
        self.procedure = procedure
        self.clock = clock
        self._procedures: dict[str, Procedure] = {}

    # --- staff -----------------------------------------------------------------------------------

    def list_staff(self) -> list[Staff]:
        rows = StaffRow.select().where(StaffRow.active == True).order_by(StaffRow.name)  # noqa: E712
        return [_staff(row) for row in rows]

    def add_staff(self, name: str, initials: str, role: str) -> Staff:
        new = check_new_staff(name, initials, role)
        with self.db.atomic():
            clash = StaffRow.get_or_none(
                (StaffRow.initials == new.initials) & (StaffRow.active == True)  # noqa: E712
            )
            if clash is not None:
                raise ValidationError(f"Initials {new.initials} already belong to {clash.name}.")
            row = StaffRow.create(
                name=new.name, initials=new.initials, role=new.role.value, created_at=self.clock.now()
            )
        return _staff(row)

    def staff(self, staff_id: int) -> Staff:
        row = StaffRow.get_or_none(StaffRow.id == staff_id)
        if row is None or not row.active:
            raise ActionRefused("That member of staff is not known or no longer active.")
        return _staff(row)

    # --- patients --------------------------------------------------------------------------------

    def register_patient(
        self,
        given_names: str,
        family_name: str,
        date_of_birth: date | str,
        clinic_number: str,
        staff_id: int,
    ) -> Patient:
        new = check_new_patient(
            given_names, family_name, date_of_birth, clinic_number, local_today(self.clock.now())
        )
        with self.db.atomic():
            self.staff(staff_id)
            if PatientRow.get_or_none(PatientRow.clinic_number == new.clinic_number) is not None:
                raise ValidationError(f"Clinic number {new.clinic_number} is already in use.")
            try:
                row = PatientRow.create(
                    given_names=new.given_names,
                    family_name=new.family_name,
                    date_of_birth=new.date_of_birth,
                    clinic_number=new.clinic_number,
                    search_text=search_key(f"{new.given_names} {new.family_name} {new.clinic_number}"),
                    created_at=self.clock.now(),
                    created_by=staff_id,
                )
            except IntegrityError:
                raise ValidationError(f"Clinic number {new.clinic_number} is already in use.") from None
        return _patient(row)

    def patient(self, patient_id: int) -> Patient:
        return _patient(PatientRow.get_by_id(patient_id))

    def search_patients(self, text: str, limit: int = SEARCH_LIMIT) -> list[Patient]:
        """Every word must appear in the name or clinic number, blind to case and accents."""
        query = PatientRow.select()
        words = search_key(text).split()
        birth = parse_user_date(text)
        if birth is not None:
            query = query.where(PatientRow.date_of_birth == birth)
        elif text.strip() and not words:
            return []  # only punctuation typed: nothing can match it
        else:
            for word in words:
                # peewee escapes %, _ and backslash in contains(): they match only themselves.
                query = query.where(PatientRow.search_text.contains(word))
        rows = query.order_by(PatientRow.family_name, PatientRow.given_names).limit(limit)
        return [_patient(row) for row in rows]

    # --- sessions: reading -----------------------------------------------------------------------

    def _procedure_for(self, row: ProcedureVersionRow) -> Procedure:
        if row.sha256 == _sha256(self.procedure.source):
            return self.procedure
        if row.sha256 not in self._procedures:
            name = f"stored {row.procedure_id} version {row.version}"
            self._procedures[row.sha256] = parse_procedure(row.source, name)
        return self._procedures[row.sha256]

    def _records(self, session_rows: Iterable[SessionRow]) -> list[SessionRecord]:
        """Build records for many sessions in three queries, whatever their number."""
        session_rows = list(session_rows)
        ids = [row.id for row in session_rows]
        events: dict[int, list[Event]] = {session_id: [] for session_id in ids}
        if ids:
            event_rows = (
                EventRow.select(EventRow, StaffRow)
                .join(StaffRow)
                .where(EventRow.session.in_(ids))
                .order_by(EventRow.id)
            )
            for row in event_rows:
                events[row.session_id].append(_event(row))
        return [
            SessionRecord(
                id=row.id,
                patient=_patient(row.patient),
                session_number=row.session_number,
                procedure=self._procedure_for(row.procedure),
                started_at=row.started_at,
                holder=_staff(row.holder),
                events=tuple(events[row.id]),
            )
            for row in session_rows
        ]

    def _session_query(self):  # noqa: ANN202 - a peewee query
        return (
            SessionRow.select(SessionRow, PatientRow, StaffRow, ProcedureVersionRow)
            .join(PatientRow)
            .switch(SessionRow)
            .join(StaffRow, on=SessionRow.holder)
            .switch(SessionRow)
            .join(ProcedureVersionRow)
        )

    def session(self, session_id: int) -> SessionRecord:
        rows = list(self._session_query().where(SessionRow.id == session_id))
        if not rows:
            raise ActionRefused(f"Session {session_id} does not exist.")
        return self._records(rows)[0]

    def sessions_in_progress(self) -> list[SessionRecord]:
        query = self._session_query().where(SessionRow.status == SessionStatus.IN_PROGRESS.value)
        return self._records(query.order_by(SessionRow.started_at))

    def previous_values(self, session: SessionRecord) -> tuple[date | None, dict[str, dict]]:
        """Laser settings of the patient's last signed-out session: (its date, item -> values)."""
        query = (
            self._session_query()
            .where(
                (SessionRow.patient == session.patient.id)
                & (SessionRow.status == SessionStatus.SIGNED_OUT.value)
                & (SessionRow.id != session.id)
            )
            .order_by(SessionRow.started_at.desc())
            .limit(1)
        )
        records = self._records(query)
        if not records:
            return None, {}
        previous = records[0]
        state = previous.state(self.clock.now())
        values = {
            item_id: dict(item_state.tick.values)
            for item_id, item_state in state.items.items()
            if item_state.item.kind is ItemKind.LASER_PASS and item_state.tick is not None
        }
        return previous.started_at.date(), values

    # --- sessions: the actions -------------------------------------------------------------------

    def start_session(self, patient_id: int, staff_id: int) -> SessionRecord:
        with self.db.atomic():
            self.staff(staff_id)
            patient = PatientRow.get_or_none(PatientRow.id == patient_id)
            if patient is None:
                raise ActionRefused("That patient is not known.")
            running = SessionRow.get_or_none(
                (SessionRow.patient == patient_id) & (SessionRow.status == SessionStatus.IN_PROGRESS.value)
            )
            if running is not None:
                raise SessionAlreadyInProgress(
                    f"{patient.given_names} {patient.family_name} already has a session in progress.",
                    running.id,
                )
            done = (
                SessionRow.select(fn.COUNT(SessionRow.id))
                .where(
                    (SessionRow.patient == patient_id) & (SessionRow.status == SessionStatus.SIGNED_OUT.value)
                )
                .scalar()
            )
            row = SessionRow.create(
                patient=patient_id,
                procedure=self._procedure_row(),
                session_number=done + 1,
                status=SessionStatus.IN_PROGRESS.value,
                started_at=self.clock.now(),
                started_by=staff_id,
                holder=staff_id,
            )
        return self.session(row.id)

    def _procedure_row(self) -> ProcedureVersionRow:
        digest = _sha256(self.procedure.source)
        row = ProcedureVersionRow.get_or_none(ProcedureVersionRow.sha256 == digest)
        if row is None:
            row = ProcedureVersionRow.create(
                procedure_id=self.procedure.id,
                version=self.procedure.version,
                sha256=digest,
                source=self.procedure.source,
            )
        return row

    def _locked_state(self, session_id: int) -> tuple[SessionRecord, SessionState]:
        """Inside a write transaction: the session as it stands now, after any other desk's writes."""
        record = self.session(session_id)
        return record, record.state(self.clock.now())

    def _append(
        self,
        record: SessionRecord,
        kind: EventKind,
        staff: Staff,
        item_id: str | None = None,
        values: dict[str, Any] | None = None,
        text: str = "",
        corrects_id: int | None = None,
    ) -> SessionRecord:
        """Insert one event; return the session with it, without reading the session again."""
        stored_values = values or {}
        row = EventRow.create(
            session=record.id,
            kind=kind.value,
            item_id=item_id,
            staff=staff.id,
            at=self.clock.now(),
            values_json=json.dumps(stored_values, ensure_ascii=False, sort_keys=True),
            text=text,
            corrects=corrects_id,
        )
        event = Event(
            id=row.id,
            kind=kind,
            at=row.at,
            staff_id=staff.id,
            staff_name=staff.name,
            staff_initials=staff.initials,
            item_id=item_id,
            values=stored_values,
            text=text,
            corrects_id=corrects_id,
        )
        return replace(record, events=(*record.events, event))

    def _end(self, session_id: int, status: SessionStatus) -> None:
        SessionRow.update(status=status.value, ended_at=self.clock.now()).where(
            SessionRow.id == session_id
        ).execute()

    def tick(self, session_id: int, item_id: str, values: dict[str, Any], staff_id: int) -> SessionRecord:
        """Mark an item done with its values. Ticking the sign-out item locks the session."""
        with self.db.atomic():
            staff = self.staff(staff_id)
            record, state = self._locked_state(session_id)
            checked = check_tick(state, item_id, values, self.clock.now())
            record = self._append(record, EventKind.TICK, staff, item_id, checked)
            if state.item(item_id).item.kind is ItemKind.SIGN_OUT:
                self._end(session_id, SessionStatus.SIGNED_OUT)
        return record

    def correct(self, session_id: int, item_id: str, reason: str, staff_id: int) -> SessionRecord:
        """Undo an item's tick with a reason; the original tick stays in the record."""
        with self.db.atomic():
            staff = self.staff(staff_id)
            record, state = self._locked_state(session_id)
            tick, checked_reason = check_correction(state, item_id, reason)
            return self._append(
                record, EventKind.CORRECTION, staff, item_id, text=checked_reason, corrects_id=tick.id
            )

    def override(self, session_id: int, item_id: str, reason: str, clinician_id: int) -> SessionRecord:
        """A clinician lets the session go on past a soft stop, with a written reason."""
        with self.db.atomic():
            clinician = self.staff(clinician_id)
            record, state = self._locked_state(session_id)
            checked_reason = check_override(state, item_id, clinician.role, reason)
            return self._append(record, EventKind.OVERRIDE, clinician, item_id, text=checked_reason)

    def add_note(self, session_id: int, item_id: str | None, text: str, staff_id: int) -> SessionRecord:
        with self.db.atomic():
            staff = self.staff(staff_id)
            record, state = self._locked_state(session_id)
            checked = check_note(state, item_id, text)
            return self._append(record, EventKind.NOTE, staff, item_id, text=checked)

    def acknowledge_alert(self, session_id: int, kind: AlertKind, staff_id: int) -> SessionRecord:
        """A member of staff has seen a gel alert: recorded with who and when; it stops showing."""
        with self.db.atomic():
            staff = self.staff(staff_id)
            record, state = self._locked_state(session_id)
            check_acknowledge(state, kind, self.clock.now())
            return self._append(record, EventKind.ALERT_ACK, staff, text=kind.value)

    def take_over(self, session_id: int, staff_id: int) -> SessionRecord:
        """Handover: this member of staff now has the patient."""
        with self.db.atomic():
            staff = self.staff(staff_id)
            record, state = self._locked_state(session_id)
            check_take_over(state, record.holder.id, staff_id)
            record = self._append(record, EventKind.HANDOVER, staff)
            SessionRow.update(holder=staff_id).where(SessionRow.id == session_id).execute()
        return replace(record, holder=staff)

    def abort(self, session_id: int, reason: str, staff_id: int) -> SessionRecord:
        with self.db.atomic():
            staff = self.staff(staff_id)
            record, state = self._locked_state(session_id)
            checked_reason = check_abort(state, reason)
            record = self._append(record, EventKind.ABORT, staff, text=checked_reason)
            self._end(session_id, SessionStatus.ABORTED)
        return record


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
