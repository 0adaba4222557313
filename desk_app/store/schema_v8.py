"""The tables migration 8 created, frozen (see schema_v1.py for why). Never edit this file."""

from __future__ import annotations

from peewee import SQL, DateField, ForeignKeyField, Model, TextField

from desk_app.store.fields import UTCDateTimeField
from desk_app.store.models import database_proxy
from desk_app.store.schema_v1 import Staff

# Retired means when, by whom and why, all three; in service, none of them.
RETIRED_WHOLE = SQL(
    "CHECK ((retired_at IS NULL AND retired_by_id IS NULL AND retired_reason = '') OR "
    "(retired_at IS NOT NULL AND retired_by_id IS NOT NULL AND retired_reason <> ''))"
)


class _Frozen(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class LaserDevice(_Frozen):
    make = TextField()
    model = TextField()
    serial_number = TextField(unique=True)
    wavelengths_nm = TextField()
    laser_class = TextField()
    eyewear_marking = TextField(default="")
    lpa_name = TextField()
    next_service_on = DateField()
    registered_at = UTCDateTimeField()
    registered_by = ForeignKeyField(Staff, backref="laser_devices_registered")
    retired_at = UTCDateTimeField(null=True)
    retired_by = ForeignKeyField(Staff, null=True, backref="laser_devices_retired")
    retired_reason = TextField(default="")

    class Meta:
        table_name = "laser_device"
        constraints = [RETIRED_WHOLE]


class LaserDeviceChange(_Frozen):
    device = ForeignKeyField(LaserDevice, backref="changes")
    staff = ForeignKeyField(Staff)
    at = UTCDateTimeField()
    field = TextField()
    old_value = TextField()
    new_value = TextField()

    class Meta:
        table_name = "laser_device_change"


TABLES = [LaserDevice, LaserDeviceChange]
