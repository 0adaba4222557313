"""Treatment sessions: started, ticked, signed, corrected, stopped, followed up; read back whole.

A service of Desk (desk.sessions): one method per user action, each one transaction, each returning
the session as it now stands. Writes start with BEGIN IMMEDIATE (set on the database), so two desks
cannot interleave a read-check-write on the same session.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from peewee import JOIN, fn

from desk_app.domain.actions import (
    check_abort,
    check_amendment,
    check_clear_stop,
    check_correction,
    check_note,
    check_override,
    check_take_over,
    check_tick,
)
from desk_app.domain.alerts import AlertKind, check_acknowledge
from desk_app.domain.clinical_rules import CourseContext
from desk_app.domain.course import DEFAULT_PLANNED, planned_after
from desk_app.domain.dates import local_today
from desk_app.domain.errors import ActionRefused
from desk_app.domain.follow_up import FollowUpCall, call_days, check_follow_up, follow_up_form, overdue
from desk_app.domain.history import PatientHistory
from desk_app.domain.laser_register import adverse_events_text, utc_bounds
from desk_app.domain.people import Role, Staff
from desk_app.domain.permissions import Clearance, PermissionRefused
from desk_app.domain.procedure import FollowUp, ItemKind
from desk_app.domain.refusals import SessionAlreadyInProgress
from desk_app.domain.session import (
    Event,
    EventKind,
    SessionRecord,
    SessionState,
    SessionStatus,
    laser_fired,
)
from desk_app.domain.signatures import check_countersigner, countersignature, signature
from desk_app.store.accounts import Accounts
from desk_app.store.audit import LAST_ROW, audit_head, event_detail
from desk_app.store.clinic import Clinic
from desk_app.store.context import Service, StoreContext
from desk_app.store.device_checks import DeviceChecks
from desk_app.store.errors import store_errors
from desk_app.store.laser_operators import LaserOperators
from desk_app.store.models import (
    ConsentRow,
    ConsentWithdrawalRow,
    EventRow,
    PatientRow,
    ProcedureVersionRow,
    SessionRow,
    StaffRow,
)
from desk_app.store.patients import Patients
from desk_app.store.rows import (
    CompiledQuery,
    Read,
    event_from_row,
    patient_from_row,
    staff_from_row,
    stored_version_sealed,
)
from desk_app.store.seals import Sealed
from desk_app.store.transactions import on_server

# The id the next event will have, taken from its serial's sequence (PostgreSQL): like any id a
# transaction takes there, not given back if the action is refused or rolled back.
_NEXT_EVENT_ID = f"SELECT nextval(pg_get_serial_sequence('{EventRow._meta.table_name}', 'id'))"


@dataclass(frozen=True)
class _ReadAhead:
    """On a server, what an action that appends one event read with the session, under the write
    lock: the event's id and the audit chain's head, so its two rows can travel with the COMMIT."""

    event_id: int
    audit_head: tuple[int, str]


CONSENT_ITEM = "consent"  # the procedure's sign-in item a signed consent ticks


def _withdrawn_consent_read(session_id: int) -> Read:
    """The newest consent the session's patient signed in the app, with its withdrawal's id (or
    none): one read, sent ahead with a tick's first ones on a server."""
    patient = SessionRow.select(SessionRow.patient).where(SessionRow.id == session_id)
    newest = (
        ConsentRow.select(ConsentRow.id, ConsentWithdrawalRow.id)
        .join(ConsentWithdrawalRow, JOIN.LEFT_OUTER, on=(ConsentWithdrawalRow.consent == ConsentRow.id))
        .where(ConsentRow.patient.in_(patient))
        .order_by(ConsentRow.signed_at.desc(), ConsentRow.id.desc())
        .limit(1)
        .tuples()
    )
    return Read.of(newest)


class Sessions(Service):
    """Treatment sessions, read and acted on."""

    def __init__(
        self,
        context: StoreContext,
        patients: Patients,
        accounts: Accounts,
        clinic: Clinic,
        operators: LaserOperators,
        device_checks: DeviceChecks,
    ) -> None:
        self._context = context
        self._patients = patients
        self._accounts = accounts
        self._clinic = clinic
        self._operators = operators
        self._device_checks = device_checks

    def _records(
        self, session_rows: Iterable[SessionRow], event_rows: list[EventRow] | None = None
    ) -> list[SessionRecord]:
        """Build records for many sessions in three queries, whatever their number. `event_rows`:
        the one session's events, read already (_read_for_append)."""
        session_rows = list(session_rows)
        ids = [row.id for row in session_rows]
        events: dict[int, list[Event]] = {session_id: [] for session_id in ids}
        if ids and event_rows is None:
            if len(ids) == 1:  # one session, as every action reads it: its SQL built once
                event_rows = self._events_compiled().rows(self._context.db, ids[0])
            else:
                event_rows = self._events_query(ids)
        for row in event_rows or ():
            events[row.session_id].append(event_from_row(row))
        return [
            SessionRecord(
                id=row.id,
                patient=patient_from_row(row.patient),
                session_number=row.session_number,
                procedure=self._context.procedure_for(row.procedure),
                started_at=row.started_at,
                holder=staff_from_row(row.holder),
                events=tuple(events[row.id]),
            )
            for row in session_rows
        ]

    def _events_compiled(self) -> CompiledQuery:
        return self._context.compiled("events", self._events_query)

    @staticmethod
    def _events_query(ids: list[int]):  # noqa: ANN205 - a peewee query
        return (
            EventRow.select(EventRow, StaffRow)
            .join(StaffRow)
            .where(EventRow.session.in_(ids))
            .order_by(EventRow.id)
        )

    def _session_query(self):  # noqa: ANN202 - a peewee query
        return (
            SessionRow.select(SessionRow, PatientRow, StaffRow, ProcedureVersionRow)
            .join(PatientRow)
            .switch(SessionRow)
            .join(StaffRow, on=SessionRow.holder)
            .switch(SessionRow)
            .join(ProcedureVersionRow)
        )

    @store_errors
    def session(self, session_id: int) -> SessionRecord:
        rows = self._session_compiled().rows(self._context.db, session_id)
        if not rows:
            raise ActionRefused(f"Session {session_id} does not exist.")
        return self._records(rows)[0]

    def _session_compiled(self) -> CompiledQuery:
        return self._context.compiled(
            "session", lambda ids: self._session_query().where(SessionRow.id == ids[0])
        )

    @store_errors
    def sessions_in_progress(self) -> list[SessionRecord]:
        # The id breaks ties: sessions started in the same microsecond (a test's clock) would
        # otherwise come back in whatever order PostgreSQL found them. Read after every action and
        # every few seconds by the board: its SQL built once.
        in_progress = self._context.compiled(
            "in progress",
            lambda _ids: (
                self._session_query()
                .where(SessionRow.status == SessionStatus.IN_PROGRESS.value)
                .order_by(SessionRow.started_at, SessionRow.id)
            ),
        )
        return self._records(in_progress.rows(self._context.db))

    @store_errors
    def patient_history(self, patient_id: int) -> PatientHistory:
        """A patient's registration, every session (newest first) with its events, and every
        change to the registration: four statements, however many sessions."""
        patient = self._patients.patient(patient_id)
        query = self._session_query().where(SessionRow.patient == patient_id)
        records = self._records(query.order_by(SessionRow.started_at.desc(), SessionRow.id.desc()))
        return PatientHistory(patient, tuple(records), tuple(self._patients.patient_changes(patient_id)))

    @store_errors
    def previous_values(self, session: SessionRecord) -> tuple[date | None, dict[str, dict]]:
        """Laser settings of the patient's last signed-out session: (its date, item -> values)."""
        query = (
            self._session_query()
            .where(
                (SessionRow.patient == session.patient.id)
                & (SessionRow.status == SessionStatus.SIGNED_OUT.value)
                & (SessionRow.id != session.id)
            )
            .order_by(SessionRow.started_at.desc(), SessionRow.id.desc())
            .limit(1)
        )
        records = self._records(query)
        if not records:
            return None, {}
        previous = records[0]
        state = previous.state(self._context.clock.now())
        values = {
            item_id: dict(item_state.tick.values)
            for item_id, item_state in state.items.items()
            if item_state.item.kind is ItemKind.LASER_PASS and item_state.tick is not None
        }
        return local_today(previous.started_at), values

    # --- sessions: the actions -------------------------------------------------------------------

    @store_errors
    def start_session(self, patient_id: int, staff_id: int) -> SessionRecord:
        with self._context.db.atomic():
            staff = self._context.staff(staff_id)
            patient = PatientRow.get_or_none(PatientRow.id == patient_id)
            if patient is None:
                raise ActionRefused("That patient is not known.")
            if patient.archived:
                raise ActionRefused(
                    f"{patient.given_names} {patient.family_name} is archived: bring the record back first."
                )
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
            procedure = self._context.procedure
            version, sealed = stored_version_sealed(procedure.id, procedure.version, procedure.source)
            row = SessionRow.create(
                patient=patient_id,
                procedure=version,
                session_number=done + 1,
                status=SessionStatus.IN_PROGRESS.value,
                started_at=self._context.clock.now(),
                started_by=staff_id,
                holder=staff_id,
            )
            started = {
                "patient": patient_id,
                "number": row.session_number,
                "procedure": self._context.procedure.version,
            }
            sealed.append((SessionRow, row.id))
            self._context.audit("session started", staff_id, "session", row.id, started, sealed)
            # The course as the nurse starts it: the interval and the plan's end are judged on it.
            context = self._course_context(patient_id, row.session_number)
            record = self.session(row.id)
            return self._append(record, EventKind.COURSE, staff, values=context.values())

    def _course_context(self, patient_id: int, session_number: int) -> CourseContext:
        """The patient's course as it stands now: the plan from their last signed-out session; the
        last session is the last that fired the laser, a treatment stopped after a pass included.
        Reads only those sessions, however long the patient's history."""
        now = self._context.clock.now()
        mine = SessionRow.patient == patient_id
        newest_first = (SessionRow.started_at.desc(), SessionRow.id.desc())
        done = SessionRow.status == SessionStatus.SIGNED_OUT.value
        last_done = self._records(self._session_query().where(mine & done).order_by(*newest_first).limit(1))
        # Stopped since, with a pass ticked (then read whole: the tick may have been undone).
        passes = [item.id for item in self._context.procedure.laser_passes()]
        fired = EventRow.select(EventRow.session).where(
            EventRow.item_id.in_(passes) & (EventRow.kind == EventKind.TICK.value)
        )
        stopped = mine & (SessionRow.status == SessionStatus.ABORTED.value) & SessionRow.id.in_(fired)
        if last_done:
            stopped &= SessionRow.started_at > last_done[0].started_at
        treated = [local_today(record.started_at) for record in last_done]
        for record in self._records(self._session_query().where(stopped).order_by(*newest_first)):
            if laser_fired(record.state(now)):
                treated.append(local_today(record.started_at))
                break
        return CourseContext(
            session_number=session_number,
            day=local_today(now),
            last_session=max(treated, default=None),
            planned=planned_after(last_done[0], session_number - 1, now) if last_done else DEFAULT_PLANNED,
        )

    def _state_in_transaction(self, session_id: int) -> tuple[SessionRecord, SessionState]:
        """Inside the caller's write transaction (BEGIN IMMEDIATE): the session as it stands now,
        after any other desk's writes, and no other desk can write until we commit."""
        assert self._context.db.in_transaction()
        record = self.session(session_id)
        return record, record.state(self._context.clock.now())

    def _tick_reads(self, staff_id: int, session_id: int, item_id: str, values: dict[str, Any]) -> list[Read]:
        """What a tick of the item will read besides the member and the session (the laser
        authorisation, its devices), to send with those: guessed from the clinic's current
        procedure before the session is read; what a wrong guess misses is read as ever."""
        db = self._context.db
        if not on_server(db) or db.in_savepoint():  # read as ever (_read_for_append)
            return []
        reads = []
        if self._context.permissions.needs(item_id) is not Clearance.CLINICAL:
            reads.append(self._operators.authorisation_read(staff_id))
        if item_id in self._context.procedure.item_ids():
            reads += self._device_checks.tick_reads(self._context.procedure.item(item_id), values)
        if item_id == CONSENT_ITEM:
            reads.append(_withdrawn_consent_read(session_id))
        return reads

    def _refuse_under_a_withdrawn_consent(self, session_id: int) -> None:
        """The consent item is not ticked by hand while the patient's newest consent signed in the
        app is withdrawn: they sign again (a patient who never signed in the app may have signed on
        paper, whose form version the nurse records)."""
        newest = self._context.rows(_withdrawn_consent_read(session_id))
        if newest and newest[0][1] is not None:
            raise ActionRefused(
                "The patient withdrew their consent: they read and sign the consent form again before "
                "any treatment (Read and sign the consent…)."
            )

    def _read_for_append(
        self, staff_id: int, session_id: int, reads: Sequence[Read] = ()
    ) -> tuple[Staff, SessionRecord, SessionState, _ReadAhead | None]:
        """Inside the write transaction: the member of staff and the session as it stands, as
        context.staff and _state_in_transaction read them; on a server in one round trip, with what
        lets the action's last writes travel with its COMMIT (_ReadAhead), and `reads` (found by
        context.rows inside context.reading_ahead). A file reads as ever, and so does an action
        inside a caller's transaction (the demo's): its end is a savepoint's release, not a COMMIT
        the writes could travel with."""
        db = self._context.db
        if not on_server(db) or db.in_savepoint():
            staff = self._context.staff(staff_id)
            return staff, *self._state_in_transaction(session_id), None
        staff_query, session_query, events_query = (
            self._context.staff_query(),
            self._session_compiled(),
            self._events_compiled(),
        )
        staff_rows, session_rows, event_rows, last_audit_row, next_event_id, *answers = db.read_together(
            [
                staff_query.statement(staff_id),
                session_query.statement(session_id),
                events_query.statement(session_id),
                (LAST_ROW, []),
                (_NEXT_EVENT_ID, []),
                *((read.sql, list(read.params)) for read in reads),
            ],
        )
        self._context.read_ahead(reads, answers)
        staff = self._context.active_staff(staff_query.rows_from(staff_rows))
        sessions = session_query.rows_from(session_rows)
        if not sessions:
            raise ActionRefused(f"Session {session_id} does not exist.")
        record = self._records(sessions, events_query.rows_from(event_rows))[0]
        head = audit_head(last_audit_row)
        # The trail's first row seals the clinic's settings, read back as it is written: not ahead.
        ahead = _ReadAhead(next_event_id.fetchone()[0], head) if head[0] > 1 else None
        return staff, record, record.state(self._context.clock.now()), ahead

    def _append(
        self,
        record: SessionRecord,
        kind: EventKind,
        staff: Staff,
        item_id: str | None = None,
        values: dict[str, Any] | None = None,
        text: str = "",
        corrects_id: int | None = None,
        sealed: Sequence[Sealed] = (),
        ahead: _ReadAhead | None = None,
    ) -> SessionRecord:
        """Insert one event; return the session with it, without reading the session again. Its audit
        row seals `sealed` too: the session's row, changed by the action just before. With `ahead`
        (a server), the event and its audit row are the transaction's last statements, sent with
        its COMMIT: nothing may be read after this (so it seals nothing: sealing reads the rows)."""
        assert ahead is None or not sealed, "sealed rows are read back as the audit row is written"
        stored_values = values or {}
        fields = {
            "session": record.id,
            "kind": kind.value,
            "item_id": item_id,
            "staff": staff.id,
            "at": self._context.clock.now(),
            "values_json": json.dumps(stored_values, ensure_ascii=False, sort_keys=True),
            "text": text,
            "corrects": corrects_id,
        }
        if ahead is None:
            row = EventRow.create(**fields)
        else:
            db = self._context.db
            assert on_server(db), "read ahead only on a server"
            db.send_with_commit()
            row = EventRow(id=ahead.event_id, **fields)
            db.execute_sql(*EventRow.insert(id=ahead.event_id, **fields).sql())
        self._context.audit(
            kind.value,
            staff.id,
            "session_event",
            row.id,
            event_detail(row),
            sealed,
            at=row.at,
            head=ahead.audit_head if ahead else None,
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

    def _end(self, session_id: int, status: SessionStatus) -> list[Sealed]:
        """Close the session's row, before the closing event: its audit row seals the row."""
        SessionRow.update(status=status.value, ended_at=self._context.clock.now()).where(
            SessionRow.id == session_id
        ).execute()
        return [(SessionRow, session_id)]

    @store_errors
    def tick(self, session_id: int, item_id: str, values: dict[str, Any], staff_id: int) -> SessionRecord:
        """Mark an item done with its values, if the member's role and laser authorisation allow it.
        The sign-out is signed with a PIN instead (sign_out)."""
        refusals = self._context.refusals_audited(staff_id, "tick", session_id, item_id)
        with refusals, self._context.db.atomic(), self._context.reading_ahead():
            reads = self._tick_reads(staff_id, session_id, item_id, values)
            staff, record, state, ahead = self._read_for_append(staff_id, session_id, reads)
            self._operators.check_may_tick(staff, item_id, state.procedure)  # first: who may helps most
            item_state = state.items.get(item_id)
            if item_state is not None and item_state.tick is None and not item_state.locked:
                values = self._device_checks.with_devices(
                    state, item_state.item, values
                )  # else check_tick says why
            checked = check_tick(state, item_id, values, self._context.clock.now())
            if state.item(item_id).item.kind is ItemKind.SIGN_OUT:
                raise ActionRefused("Signing the record needs the operator's PIN: use Sign and lock.")
            if item_id == CONSENT_ITEM:
                self._refuse_under_a_withdrawn_consent(session_id)
            return self._append(record, EventKind.TICK, staff, item_id, checked, ahead=ahead)

    @store_errors
    def sign_out(
        self,
        session_id: int,
        staff_id: int,
        pin: str,
        countersigner_id: int | None = None,
        countersigner_pin: str | None = None,
    ) -> SessionRecord:
        """Sign the record and lock it: an electronic signature, the operator's PIN given at this
        moment, stored with the printed name, role and what the signature means; and a clinician's
        countersignature, with their PIN, where the clinic requires one.

        Everything is checked before the PINs (argon2 is slow: no transaction waits on it) and again
        inside the signing transaction, as things then stand."""
        with self._context.refusals_audited(staff_id, "sign out", session_id), self._context.db.atomic():
            _, _, countersigner = self._sign_out_checks(session_id, staff_id, countersigner_id)
        pin_matched = self._accounts.pin_checked_first(staff_id, pin, "signature")
        if countersigner is not None:
            counter_pin = countersigner_pin or ""
            counter_matched = self._accounts.pin_checked_first(
                countersigner.id, counter_pin, "countersignature"
            )
        with self._context.refusals_audited(staff_id, "sign out", session_id), self._context.db.atomic():
            staff, record, countersigner = self._sign_out_checks(session_id, staff_id, countersigner_id)
            self._accounts.accept_pin(staff_id, pin_matched, "signature")
            signed = {
                "signature": signature(staff, authorised=self._operators.is_authorised_operator(staff_id))
            }
            if countersigner is not None:
                self._accounts.accept_pin(countersigner.id, counter_matched, "countersignature")
                signed["countersignature"] = countersignature(countersigner)
            item = record.procedure.sign_out_item()
            ended = self._end(session_id, SessionStatus.SIGNED_OUT)
            record = self._append(record, EventKind.TICK, staff, item.id, signed, sealed=ended)
        return record

    def _sign_out_checks(
        self, session_id: int, staff_id: int, countersigner_id: int | None
    ) -> tuple[Staff, SessionRecord, Staff | None]:
        """Inside a transaction: who signs may, the record may be signed now, and the countersigner
        (where the clinic asks for one) is a clinician other than the signer."""
        staff = self._context.staff(staff_id)
        record, state = self._state_in_transaction(session_id)
        item = state.procedure.sign_out_item()
        self._operators.check_may_tick(staff, item.id, state.procedure)
        check_tick(state, item.id, {}, self._context.clock.now())
        if not self._clinic.countersignature_required():
            return staff, record, None
        if countersigner_id is None:
            raise ActionRefused("This clinic asks a clinician to countersign each record: choose one.")
        countersigner = self._context.staff(countersigner_id)
        check_countersigner(staff, countersigner)
        return staff, record, countersigner

    @store_errors
    def correct(self, session_id: int, item_id: str, reason: str, staff_id: int) -> SessionRecord:
        """Undo an item's tick with a reason; the original tick stays in the record. Who may tick an
        item may undo it."""
        with self._context.refusals_audited(staff_id, "undo", session_id, item_id), self._context.db.atomic():
            staff, record, state, ahead = self._read_for_append(staff_id, session_id)
            undone, checked_reason = check_correction(state, item_id, reason)
            self._operators.check_may_tick(staff, item_id, state.procedure)
            return self._append(
                record,
                EventKind.CORRECTION,
                staff,
                item_id,
                text=checked_reason,
                corrects_id=undone.id,
                ahead=ahead,
            )

    @store_errors
    def override(
        self, session_id: int, item_id: str, reason: str, clinician_id: int, entered_by_id: int, pin: str
    ) -> SessionRecord:
        """A clinician lets the session go on past a soft stop, with a written reason and their PIN,
        checked here (not only by the window) and accepted in the override's own transaction. The
        member of staff signed in at the desk, who typed it, is kept as well."""
        with (
            self._context.refusals_audited(entered_by_id, "override", session_id, item_id),
            self._context.db.atomic(),
        ):
            self._override_checks(session_id, item_id, reason, clinician_id, entered_by_id)
        purpose = f"override of {item_id} in session {session_id}"
        pin_matched = self._accounts.pin_checked_first(clinician_id, pin, purpose)
        with (
            self._context.refusals_audited(entered_by_id, "override", session_id, item_id),
            self._context.db.atomic(),
        ):
            clinician, entered_by, record, checked_reason = self._override_checks(
                session_id, item_id, reason, clinician_id, entered_by_id
            )
            self._accounts.accept_pin(clinician_id, pin_matched, purpose)
            values = {"entered_by_id": entered_by.id, "entered_by": entered_by.name}
            return self._append(record, EventKind.OVERRIDE, clinician, item_id, values, text=checked_reason)

    @store_errors
    def clear_stop(
        self, session_id: int, item_id: str, reason: str, clinician_id: int, entered_by_id: int, pin: str
    ) -> SessionRecord:
        """A clinician who has seen the patient clears a hard stop raised by an answer (a sign of
        anaesthetic toxicity) with a reason and their PIN: the answer is undone (kept in the record,
        as the clinician's correction) and the nurse answers the item again."""
        with (
            self._context.refusals_audited(entered_by_id, "clear stop", session_id, item_id),
            self._context.db.atomic(),
        ):
            self._clear_stop_checks(session_id, item_id, reason, clinician_id, entered_by_id)
        purpose = f"clearing the stop of {item_id} in session {session_id}"
        pin_matched = self._accounts.pin_checked_first(clinician_id, pin, purpose)
        with (
            self._context.refusals_audited(entered_by_id, "clear stop", session_id, item_id),
            self._context.db.atomic(),
        ):
            clinician, entered_by, record, undone, checked_reason = self._clear_stop_checks(
                session_id, item_id, reason, clinician_id, entered_by_id
            )
            self._accounts.accept_pin(clinician_id, pin_matched, purpose)
            values = {"entered_by_id": entered_by.id, "entered_by": entered_by.name}
            return self._append(
                record, EventKind.CORRECTION, clinician, item_id, values, checked_reason, undone.id
            )

    def _clear_stop_checks(
        self, session_id: int, item_id: str, reason: str, clinician_id: int, entered_by_id: int
    ) -> tuple[Staff, Staff, SessionRecord, Event, str]:
        """Inside a transaction: a clinician, a stop that may be cleared now, a reason."""
        clinician, entered_by = self._clinician_at_the_desk(clinician_id, entered_by_id, "clear a stop")
        record, state = self._state_in_transaction(session_id)
        undone, checked = check_clear_stop(state, item_id, clinician.role, reason)
        return clinician, entered_by, record, undone, checked

    def _override_checks(
        self, session_id: int, item_id: str, reason: str, clinician_id: int, entered_by_id: int
    ) -> tuple[Staff, Staff, SessionRecord, str]:
        """Inside a transaction: a clinician, an item that may be overridden now, a reason."""
        clinician, entered_by = self._clinician_at_the_desk(clinician_id, entered_by_id, "override a stop")
        record, state = self._state_in_transaction(session_id)
        return clinician, entered_by, record, check_override(state, item_id, clinician.role, reason)

    def _clinician_at_the_desk(
        self, clinician_id: int, entered_by_id: int, action: str
    ) -> tuple[Staff, Staff]:
        """The clinician deciding, and the member of staff signed in at the desk who typed it in."""
        clinician = self._context.staff(clinician_id)
        entered_by = self._context.staff(entered_by_id)
        if clinician.role is not Role.CLINICIAN:
            raise PermissionRefused(f"{clinician.name} is not a clinician: only a clinician may {action}.")
        return clinician, entered_by

    @store_errors
    def add_note(self, session_id: int, item_id: str | None, text: str, staff_id: int) -> SessionRecord:
        """A note on an item (or, with no item, on the session), kept with who and when."""
        with self._context.db.atomic():
            staff, record, state, ahead = self._read_for_append(staff_id, session_id)
            checked = check_note(state, item_id, text)
            return self._append(record, EventKind.NOTE, staff, item_id, text=checked, ahead=ahead)

    @store_errors
    def acknowledge_alert(self, session_id: int, kind: AlertKind, staff_id: int) -> SessionRecord:
        """A member of staff has seen a gel alert: recorded with who and when; it stops showing."""
        with self._context.db.atomic():
            staff, record, state, ahead = self._read_for_append(staff_id, session_id)
            values = check_acknowledge(state, kind, self._context.clock.now())
            return self._append(
                record, EventKind.ALERT_ACK, staff, values=values, text=kind.value, ahead=ahead
            )

    @store_errors
    def take_over(self, session_id: int, staff_id: int, holder_seen_id: int | None = None) -> SessionRecord:
        """Handover: this member of staff now has the patient. `holder_seen_id` is who had the patient
        on the screen where Take over was pressed: if another desk took over since, this one is refused."""
        with self._context.db.atomic():
            staff = self._context.staff(staff_id)
            record, state = self._state_in_transaction(session_id)
            check_take_over(state, record.holder, staff_id, holder_seen_id)
            SessionRow.update(holder=staff_id).where(SessionRow.id == session_id).execute()
            record = self._append(record, EventKind.HANDOVER, staff, sealed=[(SessionRow, session_id)])
        return replace(record, holder=staff)

    @store_errors
    def amend(
        self, session_id: int, item_id: str | None, text: str, reason: str, staff_id: int
    ) -> SessionRecord:
        """Add an amendment to a closed session: who, when, why and what; the original stays."""
        with (
            self._context.refusals_audited(staff_id, "amend", session_id, item_id),
            self._context.db.atomic(),
        ):
            staff = self._context.staff(staff_id)
            self._context.permissions.check_clinical(staff, "amend a treatment record")
            record, state = self._state_in_transaction(session_id)
            self._operators.check_may_tick(staff, item_id, state.procedure)  # a laser item's, by an operator
            checked_text, values = check_amendment(state, item_id, text, reason)
            return self._append(record, EventKind.AMENDMENT, staff, item_id, values, text=checked_text)

    def follow_up_form(self, record: SessionRecord) -> FollowUp | None:
        """The form a follow-up of this session is recorded and described with (domain.follow_up)."""
        return follow_up_form(record.procedure, self._context.procedure)

    @store_errors
    def record_follow_up(self, session_id: int, values: dict[str, Any], staff_id: int) -> SessionRecord:
        """A call to the patient after the session, or a complication they reported: one follow-up
        event linked to the session, beside the record, which stays as it was. A nurse or a
        clinician records it (it may report a complication)."""
        with (
            self._context.refusals_audited(staff_id, "record a follow-up", session_id),
            self._context.db.atomic(),
        ):
            staff = self._context.staff(staff_id)
            self._context.permissions.check_clinical(staff, "record a follow-up call or a complication")
            record, state = self._state_in_transaction(session_id)
            today = local_today(self._context.clock.now())
            checked = check_follow_up(state, self.follow_up_form(record), values, today)
            return self._append(record, EventKind.FOLLOW_UP, staff, values=checked)

    @store_errors
    def follow_up_calls(self, today: date) -> list[FollowUpCall]:
        """Patients due a call today (treated `call_from_day` to `call_to_day` days ago, by the
        running procedure), and those treated before who were never called (until
        `overdue_until_day`), oldest treatment first, each with the latest call made: two queries,
        whatever the number of sessions."""
        form = self._context.procedure.follow_up
        if form is None:
            return []
        start, end = utc_bounds(*call_days(form, today))
        ended = (SessionStatus.SIGNED_OUT.value, SessionStatus.ABORTED.value)
        query = self._session_query().where(
            SessionRow.status.in_(ended) & (SessionRow.started_at >= start) & (SessionRow.started_at < end)
        )
        now = self._context.clock.now()
        calls = []
        for record in self._records(query.order_by(SessionRow.started_at, SessionRow.id)):
            state = record.state(now)
            if state.status is SessionStatus.ABORTED and not laser_fired(state):
                continue  # stopped before the laser: nothing was treated
            late = overdue(form, local_today(record.started_at), today)
            if late and state.follow_ups:
                continue  # called, if late: off the list
            calls.append(
                FollowUpCall(
                    session_id=record.id,
                    patient=record.patient,
                    session_number=record.session_number,
                    treated_on=local_today(record.started_at),
                    adverse_events=adverse_events_text(record.procedure, state),
                    last_call=state.follow_ups[-1] if state.follow_ups else None,
                    form=self.follow_up_form(record) or form,
                    overdue=late,
                )
            )
        return calls

    @store_errors
    def abort(self, session_id: int, reason: str, staff_id: int, gel_removed: bool = False) -> SessionRecord:
        """Stop the treatment with a reason; if gel is on, someone must confirm it came off."""
        with (
            self._context.refusals_audited(staff_id, "stop the treatment", session_id),
            self._context.db.atomic(),
        ):
            staff = self._context.staff(staff_id)
            self._context.permissions.check_clinical(staff, "stop a treatment")
            record, state = self._state_in_transaction(session_id)
            checked_reason, values = check_abort(state, reason, gel_removed)
            ended = self._end(session_id, SessionStatus.ABORTED)
            record = self._append(
                record, EventKind.ABORT, staff, values=values, text=checked_reason, sealed=ended
            )
        return record
