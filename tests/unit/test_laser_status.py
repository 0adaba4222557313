"""A laser's status today in two or three words (issue 15): the one wording the device list, the
board and the devices page use where there is no room for the reason."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from desk_app.domain.devices import LaserDevice
from desk_app.domain.laser_use import DeviceUse, short_status
from desk_app.domain.pre_use_check import PreUseCheck

TODAY = date(2026, 12, 3)


def device(**changes: object) -> LaserDevice:
    details: dict[str, object] = {
        "id": 1,
        "make": "Fotona",
        "model": "SP Dynamis",
        "serial_number": "SP-1",
        "wavelengths_nm": (2940,),
        "laser_class": "4",
        "eyewear_marking": 'EN 207 "D 2940 LB5"',
        "lpa_name": "Pat Adviser",
        "next_service_on": date(2027, 6, 1),
        "registered_at": datetime(2026, 1, 5, 9, tzinfo=UTC),
        "registered_by": "Alice Admin",
    }
    return LaserDevice(**(details | changes))  # type: ignore[arg-type]


def check(passed: bool) -> PreUseCheck:
    failed = () if passed else ("Plume extraction working",)
    at = datetime(2026, 12, 3, 8, 5, tzinfo=UTC)
    note = "" if passed else "The extractor does not draw"
    return PreUseCheck(1, 1, TODAY, at, 2, "Kate Whitmore", passed, failed, note, "1.0")


@pytest.mark.parametrize(
    ("laser", "checks", "expected"),
    [
        (device(), (check(True),), None),
        (device(), (), "not checked today"),
        (device(), (check(True), check(False)), "out of use today"),
        (device(next_service_on=date(2026, 12, 1)), (check(True),), "service overdue"),
        (device(next_service_on=date(2026, 12, 1)), (), "not checked today"),
        (device(retired_at=datetime(2026, 11, 1, tzinfo=UTC)), (check(True),), "retired"),
    ],
)
def test_the_short_status_says_the_first_thing_that_stops_or_flags_the_laser(
    laser: LaserDevice, checks: tuple[PreUseCheck, ...], expected: str | None
) -> None:
    assert short_status(DeviceUse(laser, TODAY, checks)) == expected


def test_the_device_lists_line_says_the_status_and_only_a_failed_check_says_why() -> None:
    retired = device(
        retired_at=datetime(2026, 11, 1, tzinfo=UTC), retired_by="Alice Admin", retired_reason="Sold"
    )
    assert DeviceUse(retired, TODAY).status_text == "Retired"
    assert DeviceUse(device(), TODAY).status_text == "Not checked today"
    assert DeviceUse(device(), TODAY, (check(True),)).status_text == "Checked today at 08:05 by Kate Whitmore"
    overdue = device(next_service_on=date(2026, 12, 1))
    assert DeviceUse(overdue, TODAY, (check(True),)).status_text == (
        "Checked today at 08:05 by Kate Whitmore. Service overdue since 01/12/2026"
    )
    failed = DeviceUse(device(), TODAY, (check(False),)).status_text
    assert failed.startswith("Out of use today") and "The extractor does not draw" in failed
