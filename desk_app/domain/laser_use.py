"""Whether a laser may be used today, and what a treatment record keeps of the laser it used.

A device is usable on a day when it is in service and has passed that day's pre-use check, and has
not failed one: a failed check takes it out of use until the next day (hard stops, with the reason in
words). A service overdue is a soft stop on a laser pass: the stored device value says so, and the
pass then needs a clinician's override with a reason.

A session's values keep a snapshot of the device (its id, name, serial number, and where it matters
its eyewear marking and overdue service date), so the record reads the same after the device's
details change or it is retired.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from desk_app.domain.devices import LaserDevice
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.pre_use_check import PreUseCheck

# What a device field's stored value holds; 'eyewear_marking' only on the item confirming eyewear,
# 'service_due' only on a laser pass with the service overdue.
_REQUIRED_KEYS = {"id", "name", "serial_number"}
_OPTIONAL_KEYS = {"eyewear_marking", "service_due"}


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class DeviceUse:
    """One device on one day: may it be used, and if not, why (in words a nurse reads)."""

    device: LaserDevice
    today: date
    checks_today: tuple[PreUseCheck, ...] = ()

    @property
    def failed_check(self) -> PreUseCheck | None:
        return next((check for check in self.checks_today if not check.passed), None)

    @property
    def passed_check(self) -> PreUseCheck | None:
        return next((check for check in self.checks_today if check.passed), None)

    @property
    def out_of_use(self) -> bool:
        """Failed today's check: out of use for the rest of the day, on every screen."""
        return self.failed_check is not None

    @property
    def stop(self) -> str | None:
        """None if the device may be used now; else the hard stop's reason."""
        name = self.device.name
        if self.device.retired:
            return f"The {name} is retired: choose a device in service."
        failed = self.failed_check
        if failed is not None:
            what = "; ".join(failed.failed_items)
            at = failed.at.astimezone().strftime("%H:%M")
            return (
                f"Out of use today: the {name} failed its pre-use check at {at} ({what}: {failed.note}). "
                "It can be used again tomorrow, after a new check."
            )
        if self.passed_check is None:
            return (
                f"Hard stop: the {name} has not had today's pre-use safety check. An authorised laser "
                "operator does it first, from the board (Do the pre-use check)."
            )
        return None

    @property
    def service_overdue(self) -> bool:
        return self.device.next_service_on < self.today

    @property
    def service_message(self) -> str | None:
        if not self.service_overdue:
            return None
        return service_flag(self.device.name, self.device.next_service_on)

    @property
    def status_text(self) -> str:
        """One line for the list of devices: 'Checked today at 08:05 by Kate Whitmore' (and an overdue
        service), 'Retired', 'Not checked today', or why a failed check put it out of use."""
        if self.device.retired or (self.passed_check is None and not self.out_of_use):
            return (short_status(self) or "").capitalize()
        if (stop := self.stop) is not None:
            return stop
        check = self.passed_check
        assert check is not None  # no stop means a passed check today
        line = f"Checked today at {check.at.astimezone():%H:%M} by {check.staff_name}"
        if self.service_overdue:
            line += f". Service overdue since {_day(self.device.next_service_on)}"
        return line


def short_status(use: DeviceUse) -> str | None:
    """Today's status in two or three words, where a list or a line has no room for the reason:
    None for a device that may be used as it is."""
    if use.device.retired:
        return "retired"
    if use.out_of_use:
        return "out of use today"
    if use.passed_check is None:
        return "not checked today"
    return "service overdue" if use.service_overdue else None


def service_flag(name: str, due: date) -> str:
    return f"Service overdue: the {name} was due a service on {_day(due)}"


def device_uses(
    devices: Sequence[LaserDevice], checks_today: Sequence[PreUseCheck], today: date
) -> list[DeviceUse]:
    """Each device's use today, from the day's checks of all devices (one query's worth)."""
    return [
        DeviceUse(device, today, tuple(check for check in checks_today if check.device_id == device.id))
        for device in devices
    ]


def device_value(use: DeviceUse, *, confirms_eyewear: bool, laser_pass: bool) -> dict[str, Any]:
    """The snapshot a session keeps of the device it used; refuses a device that may not be used."""
    stop = use.stop
    if stop is not None:
        raise ActionRefused(stop)
    device = use.device
    value: dict[str, Any] = {"id": device.id, "name": device.name, "serial_number": device.serial_number}
    if confirms_eyewear:
        value["eyewear_marking"] = device.eyewear_marking
    if laser_pass and use.service_overdue:
        value["service_due"] = device.next_service_on.isoformat()
    return value


def check_device_value(label: str, raw: object) -> dict[str, Any]:
    """A stored device value is a snapshot the store built (see device_value), nothing else."""
    if not isinstance(raw, Mapping):
        raise ValidationError(f"{label}: choose a registered laser device from the list.")
    keys = set(raw)
    if not keys >= _REQUIRED_KEYS or keys - _REQUIRED_KEYS - _OPTIONAL_KEYS:
        raise ValidationError(f"{label}: choose a registered laser device from the list.")
    device_id = raw["id"]
    if isinstance(device_id, bool) or not isinstance(device_id, int) or device_id < 1:
        raise ValidationError(f"{label}: choose a registered laser device from the list.")
    if not all(isinstance(raw[key], str) for key in keys - {"id"}):
        raise ValidationError(f"{label}: choose a registered laser device from the list.")
    if "service_due" in raw:
        date.fromisoformat(raw["service_due"])  # a ValueError here is the store's bug, not a nurse's
    return dict(raw)


def device_flag(value: Mapping[str, Any] | str) -> str | None:
    """The soft stop a stored device value raises: its service was overdue when it was used."""
    if isinstance(value, str):  # typed as text before version 1.3
        return None
    due = value.get("service_due")
    return service_flag(value["name"], date.fromisoformat(due)) if due else None


def describe_device_value(value: Mapping[str, Any] | str) -> str:
    """'Fotona SP Dynamis (serial SP-1); eyewear EN 207 "D 2940 LB5"' where the marking was confirmed;
    a device typed as text before version 1.3 (a last session's, shown beside today's) as typed."""
    if isinstance(value, str):
        return value
    marking = value.get("eyewear_marking")
    return f"{value['name']}; eyewear {marking}" if marking else str(value["name"])
