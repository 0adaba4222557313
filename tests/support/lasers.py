"""A registered laser for tests, checked before use as the clinic's rules require (issue 15)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from desk_app.domain.people import Role
from desk_app.store.desk import Desk
from tests.support.people import administrator

# What a test's values name in place of a device's id: the test laser of the desk in use.
TEST_LASER = "<the test laser>"
TEST_LASER_SERIAL = "SP-TEST-1"
TEST_LASER_MARKING = 'EN 207 "D 2940 LB5"'
TEST_LASER_DETAILS: dict[str, Any] = {
    "make": "Fotona",
    "model": "SP Dynamis",
    "serial_number": TEST_LASER_SERIAL,
    "wavelengths_nm": "2940",
    "laser_class": "4",
    "eyewear_marking": TEST_LASER_MARKING,
    "lpa_name": "Pat Adviser",
}
# The snapshot a session keeps of the test laser, for domain tests that have no store.
TEST_LASER_VALUE: dict[str, Any] = {
    "id": 1,
    "name": f"Fotona SP Dynamis (serial {TEST_LASER_SERIAL})",
    "serial_number": TEST_LASER_SERIAL,
}


def register_test_laser(desk: Desk, **changes: Any) -> int:
    """The test laser (or one like it with `changes`), registered by the administrator; its id."""
    details = TEST_LASER_DETAILS | {"next_service_on": desk.clock.now().date() + timedelta(days=1000)}
    return desk.devices.register_device(details | changes, administrator(desk).id).id


def passed_answers(desk: Desk, **failed: bool) -> dict[str, bool]:
    """Every item of the pre-use check passed, but those given as False."""
    return {item.id: failed.get(item.id, True) for item in desk.pre_use_checklist.items}


def laser_ready(desk: Desk, staff_id: int | None = None) -> int:
    """The test laser's id, registered if need be and checked today (by `staff_id` if an authorised
    operator, else by any), as a session's laser pass needs."""
    device = next((d for d in desk.devices.devices() if d.serial_number == TEST_LASER_SERIAL), None)
    device_id = device.id if device is not None else register_test_laser(desk)
    use = desk.device_checks.device_use(device_id)
    if use.passed_check is None and not use.out_of_use:
        checker = (
            staff_id if staff_id is not None and desk.operators.is_authorised_operator(staff_id) else None
        )
        if checker is None:
            operators = [m for m in desk.accounts.list_staff() if m.role is not Role.ADMINISTRATOR]
            checker = next(m.id for m in operators if desk.operators.is_authorised_operator(m.id))
        desk.device_checks.record_pre_use_check(device_id, passed_answers(desk), "", checker)
    return device_id


def with_test_laser(desk: Desk, values: dict[str, Any], staff_id: int | None = None) -> dict[str, Any]:
    """`values` with TEST_LASER replaced by the test laser's id, made ready for use today."""
    if TEST_LASER not in values.values():
        return values
    device_id = laser_ready(desk, staff_id)
    return {key: device_id if value == TEST_LASER else value for key, value in values.items()}
