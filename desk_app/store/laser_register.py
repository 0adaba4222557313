"""The laser treatment register read from the sessions' events, and its exports audited (issue 15).

A service of Desk (desk.laser_register): it uses the desk's stored procedure versions, its devices,
operators, staff checks and audit row. Reading a range costs four statements however many sessions it holds.

Anyone who may open the database may read the register here, as a terminal export does (the person
at a terminal is not signed in); the page asks may_read_register first, and record_register_export
refuses an export by anyone signed in who may not read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, cast

from desk_app.domain.devices import LaserDevice
from desk_app.domain.laser_register import (
    FiredSession,
    LaserRegister,
    register_exposures,
    register_items,
    utc_bounds,
)
from desk_app.domain.people import Role
from desk_app.domain.permissions import PermissionRefused
from desk_app.domain.procedure import Procedure
from desk_app.domain.session import Event, EventKind
from desk_app.store.context import Service, StoreContext
from desk_app.store.devices import LaserDevices
from desk_app.store.errors import store_errors
from desk_app.store.laser_operators import LaserOperators
from desk_app.store.models import (
    EventRow,
    PatientRow,
    ProcedureVersionRow,
    SessionRow,
    StaffRow,
)
from desk_app.store.rows import EVENT_COLUMNS, event_from_tuple

EXPORTED = "laser register exported"


class LaserTreatmentRegister(Service):
    """The laser treatment register and its exports."""

    def __init__(self, context: StoreContext, devices: LaserDevices, operators: LaserOperators) -> None:
        self._context = context
        self._devices = devices
        self._operators = operators

    def may_read_register(self, staff_id: int) -> bool:
        """An administrator or an authorised laser operator reads and exports the register."""
        return self._context.staff(
            staff_id
        ).role is Role.ADMINISTRATOR or self._operators.is_authorised_operator(staff_id)

    def _procedures_used(self) -> dict[int, Procedure]:
        """Every procedure version a session ran, by its row's id (a few rows)."""
        used = SessionRow.select(SessionRow.procedure).distinct()
        rows = ProcedureVersionRow.select().where(ProcedureVersionRow.id.in_(used))
        return {row.id: self._context.procedure_for(row) for row in rows}

    def _fired_sessions(self, start: datetime, end: datetime) -> list[FiredSession]:
        """The sessions with a laser pass ticked in [start, end), each with its events about the
        register's items and its amendments to the whole session only: three statements, however
        many sessions (the whole event logs of a busy year are fourteen times as many rows, read
        for nothing)."""
        procedures = self._procedures_used()
        items = sorted(set().union(*(register_items(procedure) for procedure in procedures.values())))
        passes = sorted({item.id for p in procedures.values() for item in p.laser_passes()})
        fired = EventRow.select(EventRow.session).where(
            (EventRow.kind == EventKind.TICK.value)
            & EventRow.item_id.in_(passes)
            & (EventRow.at >= start)
            & (EventRow.at < end)
        )
        # cast: peewee's stubs type the rows of .tuples() as models
        sessions = cast(
            "Iterable[tuple[int, str, int]]",
            SessionRow.select(SessionRow.id, PatientRow.clinic_number, SessionRow.procedure)
            .join(PatientRow)
            .where(SessionRow.id.in_(fired))
            .tuples(),
        )
        events: dict[int, list[Event]] = {}
        rows = cast(
            "Iterable[tuple[Any, ...]]",
            EventRow.select(EventRow.session, *EVENT_COLUMNS)
            .join(StaffRow)
            .where(
                EventRow.session.in_(fired)
                & (
                    EventRow.item_id.in_(items)
                    | (EventRow.item_id.is_null() & (EventRow.kind == EventKind.AMENDMENT.value))
                )
            )
            .order_by(EventRow.id)
            .tuples(),
        )
        for session_id, *event in rows:
            events.setdefault(session_id, []).append(event_from_tuple(tuple(event)))
        return [
            FiredSession(
                session_id, clinic_number, procedures[procedure_id], tuple(events.get(session_id, ()))
            )
            for session_id, clinic_number, procedure_id in sessions
        ]

    @store_errors
    def laser_register(
        self, from_day: date, to_day: date, device: LaserDevice | None = None
    ) -> LaserRegister:
        """Every exposure on the clinic's days `from_day` to `to_day` (of one device, as
        device_by_serial or devices gave it, or of all), oldest first, each with its device's serial
        number now: only sessions with a laser pass ticked in the range are read."""
        bounds = utc_bounds(from_day, to_day)
        fired = self._fired_sessions(*bounds)
        serials = {known.id: known.serial_number for known in self._devices.devices(include_retired=True)}
        device_id = device.id if device is not None else None
        return register_exposures(fired, self._context.clock.now(), bounds, device_id, serials)

    @store_errors
    def record_register_export(self, what: dict[str, Any], staff_id: int | None, printed_by: str) -> None:
        """Audit an export of the register (range, device, format, rows, file) before the file is
        handed over. `staff_id` is None for a terminal export, whose user `printed_by` names."""
        refusals = self._context.refusals_audited(
            staff_id, "export the laser register", None, subject="laser_register"
        )
        with refusals, self._context.db.atomic():  # a refused attempt is kept too, as for a refused tick
            if staff_id is not None and not self.may_read_register(staff_id):
                raise PermissionRefused(
                    f"{self._context.staff(staff_id).name} may not export the laser register: an "
                    "administrator or an authorised laser operator may."
                )
            self._context.audit(EXPORTED, staff_id, "laser_register", None, what | {"printed_by": printed_by})
