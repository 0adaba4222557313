"""The table migration 9 created, frozen (see schema_v1.py for why). Never edit this file."""

from __future__ import annotations

from peewee import BooleanField, DateField, ForeignKeyField, Model, TextField

from desk_app.store.fields import UTCDateTimeField
from desk_app.store.models import database_proxy
from desk_app.store.schema_v1 import ProcedureVersion, Staff
from desk_app.store.schema_v8 import LaserDevice


class _Frozen(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class LaserDeviceCheck(_Frozen):
    device = ForeignKeyField(LaserDevice, backref="checks")
    day = DateField(index=True)
    staff = ForeignKeyField(Staff)
    at = UTCDateTimeField()
    checklist = ForeignKeyField(ProcedureVersion)
    passed = BooleanField()
    answers_json = TextField()
    note = TextField(default="")

    class Meta:
        table_name = "laser_device_check"


TABLES = [LaserDeviceCheck]
