"""The register of laser devices in the store (issue 15, point 1): an administrator registers, changes
and retires them; every change is kept and audited; a device is never deleted, and a retired one
stays as it was, whatever writes to the database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from peewee import Database, IntegrityError

from desk_app.domain.clock import ManualClock
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.people import Staff
from desk_app.domain.procedure import Procedure
from desk_app.store.desk import Desk
from desk_app.store.models import AuditLog
from tests.conftest import START
from tests.support.people import PIN
from tests.support.raw_sql import run_sql
from tests.support.seal_rows import unsealed

pytestmark = pytest.mark.both_databases

ERBIUM = {
    "make": "Fotona",
    "model": "SP Dynamis",
    "serial_number": "SP-12345",
    "wavelengths_nm": "2940, 1064",
    "laser_class": "4",
    "eyewear_marking": 'EN 207 "D 2940 LB5"',
    "lpa_name": "Dr Lisa Adviser",
    "next_service_on": "01/06/2027",
}


def everything(db: Database) -> list[list[tuple]]:
    """Every row a device action may write."""
    tables = ("laser_device", "laser_device_change", "audit_log")
    return [run_sql(db, f"SELECT * FROM {table} ORDER BY id").fetchall() for table in tables]


def audited(action: str) -> list[tuple[int, dict]]:
    rows = AuditLog.select().where(AuditLog.action == action).order_by(AuditLog.id)
    return [(row.staff_id, unsealed(row.detail)) for row in rows]


def test_an_administrator_registers_a_device_with_every_detail_and_it_is_audited(
    desk: Desk, admin: Staff
) -> None:
    device = desk.devices.register_device(ERBIUM, admin.id)
    assert desk.devices.devices() == [device] and desk.devices.device(device.id) == device
    assert (device.serial_number, device.wavelengths_nm, device.next_service_on) == (
        "SP-12345",
        (1064, 2940),
        date(2027, 6, 1),
    )
    assert (device.registered_by, device.registered_at, device.retired) == (admin.name, START, False)
    assert audited("laser device registered") == [
        (
            admin.id,
            {
                "make": "Fotona",
                "model": "SP Dynamis",
                "serial_number": "SP-12345",
                "wavelengths_nm": [1064, 2940],
                "laser_class": "4",
                "eyewear_marking": 'EN 207 "D 2940 LB5"',
                "lpa_name": "Dr Lisa Adviser",
                "next_service_on": "2027-06-01",
            },
        )
    ]
    assert desk.devices.device_changes(device.id) == []
    assert desk.audit.verify_audit().ok


def test_a_refused_registration_or_change_writes_nothing(
    desk: Desk, db: Database, admin: Staff, nurse: Staff
) -> None:
    device = desk.devices.register_device(ERBIUM, admin.id)
    before = everything(db)
    with pytest.raises(ValidationError, match="Eyewear marking: a class 4 laser needs it"):
        desk.devices.register_device(ERBIUM | {"serial_number": "SP-2", "eyewear_marking": ""}, admin.id)
    with pytest.raises(
        ValidationError, match=r"Serial number SP-12345 is already registered \(the Fotona SP Dynamis\)"
    ):
        desk.devices.register_device(
            ERBIUM | {"serial_number": " sp-12345"}, admin.id
        )  # the same, typed small
    with pytest.raises(ActionRefused, match="Only an administrator may do this; Ann Nurse is a nurse"):
        desk.devices.register_device(ERBIUM | {"serial_number": "SP-2"}, nurse.id)
    with pytest.raises(ActionRefused, match="Only an administrator"):
        desk.devices.register_device({}, nurse.id)  # refused as a nurse before anything typed is looked at
    with pytest.raises(ActionRefused, match="Only an administrator"):
        desk.devices.update_device(device.id, {"lpa_name": "Lasermet Ltd"}, nurse.id)
    with pytest.raises(ActionRefused, match="Only an administrator"):
        desk.devices.retire_device(device.id, "Sold", nurse.id)
    with pytest.raises(ValidationError, match="Nothing was changed"):
        desk.devices.update_device(
            device.id, {"serial_number": "sp-12345", "wavelengths_nm": "1064/2940"}, admin.id
        )
    with pytest.raises(ValidationError, match="Why it is retired: please fill this in"):
        desk.devices.retire_device(device.id, "  ", admin.id)
    with pytest.raises(ActionRefused, match="That laser device is not registered"):
        desk.devices.update_device(4242, {"lpa_name": "Lasermet Ltd"}, admin.id)
    assert everything(db) == before


def test_each_change_is_kept_with_who_and_when_and_audited(
    desk: Desk, admin: Staff, clock: ManualClock
) -> None:
    device = desk.devices.register_device(ERBIUM, admin.id)
    other = desk.devices.register_device(
        ERBIUM | {"serial_number": "CO2-1", "wavelengths_nm": "10,600"}, admin.id
    )
    manager = desk.accounts.add_staff("Mo Manager", "MM", "administrator", "a password", PIN, admin.id)
    clock.advance(days=3)
    changed = desk.devices.update_device(
        device.id, {"next_service_on": "15/06/2027", "lpa_name": "Lasermet Ltd"}, admin.id
    )
    clock.advance(minutes=5)
    desk.devices.update_device(device.id, {"laser_class": "3B"}, manager.id)
    assert (changed.next_service_on, changed.lpa_name) == (date(2027, 6, 15), "Lasermet Ltd")
    kept = [(c.label, c.old, c.new, c.staff_name, c.at) for c in desk.devices.device_changes(device.id)]
    first, second = clock.now().replace(minute=0), clock.now()
    assert kept == [
        ("Laser Protection Adviser (LPA)", "Dr Lisa Adviser", "Lasermet Ltd", admin.name, first),
        ("Next service date", "2027-06-01", "2027-06-15", admin.name, first),
        ("Laser class", "4", "3B", manager.name, second),
    ]
    lpa_and_date = [
        ["lpa_name", "Dr Lisa Adviser", "Lasermet Ltd"],
        ["next_service_on", "2027-06-01", "2027-06-15"],
    ]
    assert audited("laser device changed") == [
        (admin.id, {"changes": lpa_and_date}),
        (manager.id, {"changes": [["laser_class", "4", "3B"]]}),
    ]
    with pytest.raises(ValidationError, match=r"Serial number CO2-1 is already registered"):
        desk.devices.update_device(device.id, {"serial_number": "co2-1"}, admin.id)
    assert (
        desk.devices.device(other.id).serial_number == "CO2-1" and desk.devices.device_changes(other.id) == []
    )
    assert desk.audit.verify_audit().ok


def test_a_retired_device_is_kept_listed_on_request_and_never_changed_again(
    desk: Desk, admin: Staff, clock: ManualClock
) -> None:
    old = desk.devices.register_device(ERBIUM, admin.id)
    new = desk.devices.register_device(
        ERBIUM | {"serial_number": "SP-99999", "model": "SP Dynamis Pro"}, admin.id
    )
    clock.advance(days=30)
    retired = desk.devices.retire_device(
        old.id, "Replaced by the SP Dynamis Pro; sold to the maker", admin.id
    )
    assert (retired.retired, retired.retired_at, retired.retired_by) == (True, clock.now(), admin.name)
    assert retired.retired_reason == "Replaced by the SP Dynamis Pro; sold to the maker"
    assert desk.devices.devices() == [new]
    assert desk.devices.devices(include_retired=True) == [new, retired]  # in service first
    assert desk.devices.device(old.id) == retired  # records that name it still find it
    for attempt in (
        lambda: desk.devices.update_device(old.id, {"lpa_name": "Lasermet Ltd"}, admin.id),
        lambda: desk.devices.retire_device(old.id, "Again", admin.id),
    ):
        with pytest.raises(ActionRefused, match=r"The Fotona SP Dynamis \(serial SP-12345\) is retired"):
            attempt()
    kept = [(c.field, c.old, c.new) for c in desk.devices.device_changes(old.id)]
    assert kept == [("retired", "no", "yes")]
    assert audited("laser device retired") == [
        (admin.id, {"reason": "Replaced by the SP Dynamis Pro; sold to the maker"})
    ]
    with pytest.raises(ValidationError, match="Serial number SP-12345 is already registered .*, retired"):
        desk.devices.register_device(ERBIUM, admin.id)  # its serial number stays its own


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("DELETE FROM laser_device", "laser_device rows are retired, never deleted"),
        ("UPDATE laser_device SET lpa_name = 'x' WHERE retired_at IS NOT NULL", "a retired laser_device row"),
        ("UPDATE laser_device SET retired_at = NULL, retired_by_id = NULL, retired_reason = ''", "a retired"),
        ("UPDATE laser_device_change SET new_value = 'x'", "laser_device_change rows are append-only"),
        ("DELETE FROM laser_device_change", "laser_device_change rows are append-only"),
    ],
    ids=["delete", "change-retired", "bring-back", "change-kept", "delete-kept"],
)
def test_the_database_refuses_to_delete_a_device_change_a_retired_one_or_a_kept_change(
    desk: Desk, db: Database, admin: Staff, statement: str, refusal: str
) -> None:
    device = desk.devices.register_device(ERBIUM, admin.id)
    desk.devices.update_device(device.id, {"lpa_name": "Lasermet Ltd"}, admin.id)
    desk.devices.retire_device(device.id, "Sold", admin.id)
    before = everything(db)
    with pytest.raises(IntegrityError, match=refusal):
        run_sql(db, statement)
    assert everything(db) == before


@pytest.mark.sqlite_only
def test_an_existing_database_migrates_with_no_devices(
    tmp_path: Path, procedure: Procedure, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desk_app.store import migrations
    from desk_app.store.database import open_database
    from tests.support.people import FAST_HASHER, administrator

    path = tmp_path / "before.sqlite3"
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:7])
        patch.setattr(migrations, "LATEST_VERSION", 7)
        old = open_database(str(path))
        administrator(Desk(old, procedure, clock, FAST_HASHER))
        assert not old.table_exists("laser_device")
        old.close()
    migrated = open_database(str(path))
    try:
        desk = Desk(migrated, procedure, clock, FAST_HASHER)
        assert desk.devices.devices(include_retired=True) == []
        assert desk.devices.register_device(ERBIUM, administrator(desk).id).serial_number == "SP-12345"
    finally:
        migrated.close()
