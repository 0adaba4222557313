"""The laser treatment register read from the sessions' events, and its exports audited (issue 15).

A mixin of Desk: it uses the Desk's session query and record building, its devices, staff checks
and audit row. Reading a range costs a handful of queries however many sessions it holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from desk_app.domain.devices import LaserDevice
from desk_app.domain.errors import ActionRefused
from desk_app.domain.laser_register import Exposure, check_register_range, register_exposures, utc_bounds
from desk_app.domain.people import Role
from desk_app.domain.permissions import PermissionRefused
from desk_app.domain.procedure import ItemKind, Procedure
from desk_app.domain.session import EventKind, SessionRecord
from desk_app.store.devices import DeviceActions
from desk_app.store.errors import store_errors
from desk_app.store.models import EventRow, ProcedureVersionRow, SessionRow

EXPORTED = "laser register exported"


class LaserRegisterActions(DeviceActions):
    def _procedure_for(self, row: ProcedureVersionRow) -> Procedure:  # provided by Desk
        raise NotImplementedError

    def _session_query(self):  # noqa: ANN202 - provided by Desk
        raise NotImplementedError

    def _records(self, session_rows: Iterable[SessionRow]) -> list[SessionRecord]:  # provided by Desk
        raise NotImplementedError

    def may_read_register(self, staff_id: int) -> bool:
        """An administrator or an authorised laser operator reads and exports the register."""
        return self.staff(staff_id).role is Role.ADMINISTRATOR or self.is_authorised_operator(staff_id)

    def _laser_pass_ids(self) -> list[str]:
        """The laser passes' item ids of every procedure version a session ran (a few rows)."""
        used = SessionRow.select(SessionRow.procedure).distinct()
        ids = {
            item.id
            for row in ProcedureVersionRow.select().where(ProcedureVersionRow.id.in_(used))
            for item in self._procedure_for(row).all_items()
            if item.kind is ItemKind.LASER_PASS
        }
        return sorted(ids)

    @store_errors
    def device_by_serial(self, serial_number: str) -> LaserDevice:
        """The registered device (retired ones too) with that serial number, as on its plate."""
        wanted = serial_number.strip().upper()
        devices = self.devices(include_retired=True)
        found = next((device for device in devices if device.serial_number == wanted), None)
        if found is None:
            known = ", ".join(device.serial_number for device in devices) or "none registered"
            raise ActionRefused(
                f"No laser device has the serial number {serial_number.strip()} (the clinic's: {known})."
            )
        return found

    @store_errors
    def laser_register(
        self, from_day: date, to_day: date, device_serial: str | None = None
    ) -> list[Exposure]:
        """Every exposure on the clinic's days `from_day` to `to_day` (of one device, by its serial
        number, or of all), oldest first: only sessions with a laser pass ticked in the range are read."""
        check_register_range(from_day, to_day)
        device_id = self.device_by_serial(device_serial).id if device_serial is not None else None
        start, end = utc_bounds(from_day, to_day)
        fired = EventRow.select(EventRow.session).where(
            (EventRow.kind == EventKind.TICK.value)
            & EventRow.item_id.in_(self._laser_pass_ids())
            & (EventRow.at >= start)
            & (EventRow.at < end)
        )
        query = self._session_query().where(SessionRow.id.in_(fired))
        records = self._records(query.order_by(SessionRow.started_at, SessionRow.id))
        return register_exposures(records, self.clock.now(), from_day, to_day, device_id)

    @store_errors
    def record_register_export(self, what: dict[str, Any], staff_id: int | None, printed_by: str) -> None:
        """Audit an export of the register (range, device, format, rows, file) before the file is
        handed over. `staff_id` is None for a terminal export, whose user `printed_by` names."""
        with self.db.atomic():
            if staff_id is not None and not self.may_read_register(staff_id):
                raise PermissionRefused(
                    f"{self.staff(staff_id).name} may not export the laser register: an administrator "
                    "or an authorised laser operator may."
                )
            self._audit(EXPORTED, staff_id, "laser_register", None, what | {"printed_by": printed_by})
