"""The tables migration 4 created, frozen (see schema_v1.py for why). Never edit this file."""

from __future__ import annotations

from peewee import ForeignKeyField, IntegerField, Model, TextField

from desk_app.store.fields import UTCDateTimeField
from desk_app.store.models import database_proxy
from desk_app.store.schema_v1 import Patient, Staff, TreatmentSession


class _Frozen(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class ClinicSettingChange(_Frozen):
    staff = ForeignKeyField(Staff)
    at = UTCDateTimeField()
    key = TextField()
    old_value = TextField()
    new_value = TextField()

    class Meta:
        table_name = "clinic_setting_change"


class PrintLog(_Frozen):
    at = UTCDateTimeField(index=True)
    document = TextField()
    patient = ForeignKeyField(Patient)
    session = ForeignKeyField(TreatmentSession, null=True)
    destination = TextField()
    pages = IntegerField()
    printed_by = TextField()
    staff = ForeignKeyField(Staff, null=True)

    class Meta:
        table_name = "print_log"


TABLES = [ClinicSettingChange, PrintLog]
