"""The clinic's register of laser devices: registered, changed (every change kept) and retired by an
administrator, never deleted, because treatment records name them (issue 15).

A service of Desk (desk.devices): it uses the desk's database, clock, administrator check and audit
row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime

from peewee import JOIN, IntegrityError, ModelSelect

from desk_app.domain.actions import check_reason
from desk_app.domain.dates import local_today
from desk_app.domain.devices import (
    FIELDS,
    LABELS,
    DeviceDetails,
    LaserDevice,
    changed_device_fields,
    check_device,
)
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.history import ChangeEntry
from desk_app.store.context import Service, StoreContext
from desk_app.store.errors import store_errors
from desk_app.store.models import LaserDeviceChange, LaserDeviceRow, StaffRow
from desk_app.store.rows import Read, change_entries
from desk_app.store.seals import Sealed

_SUBJECT = "laser_device"


def _stored(details: DeviceDetails) -> dict[str, object]:
    """The row's columns for a device's details."""
    columns = {field.id: getattr(details, field.id) for field in FIELDS}
    columns["wavelengths_nm"] = ",".join(str(wavelength) for wavelength in details.wavelengths_nm)
    return columns


def _audited(details: DeviceDetails) -> dict[str, object]:
    """The details as the audit row keeps them (JSON)."""
    return _stored(details) | {
        "wavelengths_nm": list(details.wavelengths_nm),
        "next_service_on": details.next_service_on.isoformat(),
    }


def _serial_taken(serial_number: str, whose: str = "") -> str:
    return f"Serial number {serial_number} is already registered{whose}."


def _device_from_row(row: LaserDeviceRow) -> LaserDevice:
    """A device from a row of LaserDevices._device_query (with the staff names it adds)."""
    details = {field.name: getattr(row, field.name) for field in fields(DeviceDetails)}
    details["wavelengths_nm"] = tuple(int(part) for part in row.wavelengths_nm.split(","))
    return LaserDevice(
        **details,
        id=row.id,
        registered_at=row.registered_at,
        registered_by=row.registered_by_name,  # type: ignore[attr-defined]  # _device_query's alias
        retired_at=row.retired_at,
        retired_by=row.retired_by_name or "",  # type: ignore[attr-defined]  # _device_query's alias
        retired_reason=row.retired_reason,
    )


class LaserDevices(Service):
    """The clinic's register of laser devices."""

    def __init__(self, context: StoreContext) -> None:
        self._context = context

    def _device_query(self) -> ModelSelect[LaserDeviceRow]:
        """Devices with the names of who registered and who retired them, in one statement."""
        registrar, retirer = StaffRow.alias(), StaffRow.alias()
        return (
            LaserDeviceRow.select(
                LaserDeviceRow,
                registrar.name.alias("registered_by_name"),
                retirer.name.alias("retired_by_name"),
            )
            .join(registrar, on=(LaserDeviceRow.registered_by == registrar.id))
            .switch(LaserDeviceRow)
            .join(retirer, JOIN.LEFT_OUTER, on=(LaserDeviceRow.retired_by == retirer.id))
            .objects()
        )

    @store_errors
    def devices(self, include_retired: bool = False) -> list[LaserDevice]:
        """The clinic's lasers by make, model and serial number; retired ones (last) only if asked."""
        query = self._device_query()
        if not include_retired:
            query = query.where(LaserDeviceRow.retired_at.is_null())
        order = (LaserDeviceRow.retired_at.is_null(False), LaserDeviceRow.make, LaserDeviceRow.model)
        return [_device_from_row(row) for row in query.order_by(*order, LaserDeviceRow.serial_number)]

    @store_errors
    def device(self, device_id: int) -> LaserDevice:
        """One device, retired or not: a record may name a device long retired."""
        rows = self._context.rows(self.device_read(device_id))
        if not rows:
            raise ActionRefused("That laser device is not registered.")
        return _device_from_row(rows[0])

    def device_read(self, device_id: int) -> Read:
        """The read of one device: sent ahead with a tick's first reads on a server."""
        return Read.of(self._device_query().where(LaserDeviceRow.id == device_id).limit(1))

    @store_errors
    def device_by_serial(self, serial_number: str) -> LaserDevice:
        """The registered device (retired ones too) with that serial number, as on its plate; else
        the device that last had it before its serial number was changed (a plate replaced, a
        typing slip corrected), as older records and an inspector's papers name it."""
        wanted = serial_number.strip().upper()
        if not wanted:
            raise ActionRefused("Give a laser's serial number, as on its plate.")
        devices = self.devices(include_retired=True)
        found = next((device for device in devices if device.serial_number == wanted), None)
        if found is None:
            former = (
                LaserDeviceChange.select(LaserDeviceChange.device)
                .where((LaserDeviceChange.field == "serial_number") & (LaserDeviceChange.old_value == wanted))
                .order_by(LaserDeviceChange.id.desc())
                .first()
            )
            found = next((device for device in devices if former and device.id == former.device_id), None)
        if found is None:
            known = ", ".join(device.serial_number for device in devices) or "none registered"
            raise ActionRefused(
                f"No laser device has the serial number {serial_number.strip()} (the clinic's: {known})."
            )
        return found

    def _refuse_serial_in_use(self, serial_number: str, device_id: int | None = None) -> None:
        clash = LaserDeviceRow.get_or_none(LaserDeviceRow.serial_number == serial_number)
        if clash is not None and clash.id != device_id:
            retired = ", retired" if clash.retired_at is not None else ""
            raise ValidationError(_serial_taken(serial_number, f" (the {clash.make} {clash.model}{retired})"))

    @store_errors
    def register_device(self, entered: Mapping[str, object], by: int) -> LaserDevice:
        """An administrator registers a laser with every detail (see domain.devices.check_device)."""
        with self._context.db.atomic():
            self._context.require_administrator(by)
            details = check_device(entered, local_today(self._context.clock.now()))
            self._refuse_serial_in_use(details.serial_number)
            registered = {"registered_at": self._context.clock.now(), "registered_by": by}
            try:
                row = LaserDeviceRow.create(**_stored(details), **registered)
            except IntegrityError:  # another desk registered it a moment ago
                raise ValidationError(_serial_taken(details.serial_number)) from None
            self._context.audit(
                "laser device registered", by, _SUBJECT, row.id, _audited(details), [(LaserDeviceRow, row.id)]
            )
        return self.device(row.id)

    @store_errors
    def update_device(self, device_id: int, changes: Mapping[str, object], by: int) -> LaserDevice:
        """Change some of a device's details; each changed detail is kept with its old and new value."""
        with self._context.db.atomic():
            self._context.require_administrator(by)
            before = self._device_in_service(device_id)
            after = check_device(changes, local_today(self._context.clock.now()), before)
            changed = changed_device_fields(before, after)
            if not changed:
                raise ValidationError("Nothing was changed.")
            if after.serial_number != before.serial_number:
                self._refuse_serial_in_use(after.serial_number, device_id)
            kept = self._keep_changes(device_id, changed, by, self._context.clock.now())
            try:
                LaserDeviceRow.update(_stored(after)).where(LaserDeviceRow.id == device_id).execute()
            except IntegrityError:
                raise ValidationError(_serial_taken(after.serial_number)) from None
            sealed: list[Sealed] = [kept, (LaserDeviceRow, device_id)]
            self._context.audit("laser device changed", by, _SUBJECT, device_id, {"changes": changed}, sealed)
        return self.device(device_id)

    @store_errors
    def retire_device(self, device_id: int, reason: str, by: int) -> LaserDevice:
        """An administrator retires a device, with why: it stays in the records that name it, but is
        no longer changed or chosen. It cannot be undone."""
        checked = check_reason(reason, "Why it is retired")
        with self._context.db.atomic():
            self._context.require_administrator(by)
            self._device_in_service(device_id)
            now = self._context.clock.now()
            kept = self._keep_changes(device_id, [("retired", "no", "yes")], by, now)  # one instant for both
            LaserDeviceRow.update(retired_at=now, retired_by=by, retired_reason=checked).where(
                LaserDeviceRow.id == device_id
            ).execute()
            sealed: list[Sealed] = [kept, (LaserDeviceRow, device_id)]
            self._context.audit("laser device retired", by, _SUBJECT, device_id, {"reason": checked}, sealed)
        return self.device(device_id)

    def _device_in_service(self, device_id: int) -> LaserDevice:
        device = self.device(device_id)
        if device.retired:
            raise ActionRefused(f"The {device.name} is retired: a retired device cannot be changed.")
        return device

    def _keep_changes(
        self, device_id: int, changes: list[tuple[str, str, str]], by: int, now: datetime
    ) -> Sealed:
        """Keep each change; returns the rows written, to seal (of this device, at this instant)."""
        LaserDeviceChange.insert_many(
            [(device_id, by, now, field, old, new) for field, old, new in changes],
            fields=[
                LaserDeviceChange.device,
                LaserDeviceChange.staff,
                LaserDeviceChange.at,
                LaserDeviceChange.field,
                LaserDeviceChange.old_value,
                LaserDeviceChange.new_value,
            ],
        ).execute()
        return (LaserDeviceChange, (LaserDeviceChange.device == device_id) & (LaserDeviceChange.at == now))

    @store_errors
    def device_changes(self, device_id: int) -> list[ChangeEntry]:
        """Every change to a device since it was registered, its retirement included, oldest first."""
        return change_entries(LaserDeviceChange, LaserDeviceChange.device, device_id, LABELS)
