"""Sessions for the laser register's tests: treated with a chosen laser, or under procedure 1.2,
whose fractional pass named the device in free text (before devices were registered)."""

from __future__ import annotations

from typing import Any

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.procedure import Procedure, parse_procedure
from desk_app.store.desk import Desk
from tests.support.lasers import TEST_LASER, passed_answers
from tests.support.people import PIN
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT, tick_all

SECOND_LASER_SERIAL = "CO2-7788"
OLD_DEVICE_TEXT = "Fraxel re:pair"
_DEVICE_LINE = '  { id = "device", label = "Laser device", type = "device" },\n'


def checked_today(desk: Desk, device_id: int, staff: Staff) -> None:
    """The device's pre-use check, passed today, unless it has had one."""
    if desk.device_checks.device_use(device_id).passed_check is None:
        desk.device_checks.record_pre_use_check(device_id, passed_answers(desk), "", staff.id)


def with_device(items: dict[str, dict[str, Any]], device_id: int) -> dict[str, dict[str, Any]]:
    """`items` naming `device_id` wherever they name the test laser."""
    return {
        item: {key: device_id if value == TEST_LASER else value for key, value in values.items()}
        for item, values in items.items()
    }


def treated(
    desk: Desk,
    clock: ManualClock,
    patient_id: int,
    staff: Staff,
    device_id: int | None = None,
    laser: dict[str, dict[str, Any]] | None = None,
) -> int:
    """A whole session signed out, its passes fired with `device_id` (the test laser if None) and
    `laser`'s values (the walk's by default); the clock moves past the gel wait."""
    session_id = desk.sessions.start_session(patient_id, staff.id).id
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, staff.id)
    clock.advance(minutes=61)
    rest = {**TIME_OUT, **(laser or LASER), **SIGN_OUT}
    if device_id is not None:
        checked_today(desk, device_id, staff)
        rest = with_device(rest, device_id)
    tick_all(desk, session_id, rest, staff.id)
    desk.sessions.sign_out(session_id, staff.id, PIN)
    return session_id


def procedure_v1_2(procedure: Procedure) -> Procedure:
    """The current procedure as version 1.2 had it: no device at the time-out or on the full-beam
    pass, and the fractional pass's device typed as text."""
    source = procedure.source.replace('version = "1.3"', 'version = "1.2"', 1)
    source = source.replace("confirms_eyewear = true\n", "", 1)
    eyewear_fields = f"fields = [\n{_DEVICE_LINE}]\n"
    assert source.count(eyewear_fields) == 1 and source.count(_DEVICE_LINE) == 3
    source = source.replace(eyewear_fields, "", 1)
    source = source.replace(
        _DEVICE_LINE, '  { id = "device", label = "Device", type = "text", max_length = 60 },\n', 1
    )
    source = source.replace(_DEVICE_LINE, "", 1)
    return parse_procedure(source, "laser-acne-scarring 1.2 (test)")


# The walk's time-out as procedure 1.2 took it: the eyewear confirmed without naming a device.
OLD_TIME_OUT = {**TIME_OUT, "staff_eyewear": {}}


def old_laser_values() -> dict[str, dict[str, Any]]:
    """The walk's laser values as procedure 1.2 took them."""
    fractional = {**LASER["fractional_pass"], "device": OLD_DEVICE_TEXT}
    full_beam = {key: value for key, value in LASER["full_beam_pass"].items() if key != "device"}
    return {**LASER, "fractional_pass": fractional, "full_beam_pass": full_beam}
