"""The table the "clinical photos" migration created, frozen (see schema_v1.py for why). Never edit
this file."""

from __future__ import annotations

from peewee import SQL, ForeignKeyField, IntegerField, Model, TextField

from desk_app.store.fields import BytesField, UTCDateTimeField
from desk_app.store.models import database_proxy
from desk_app.store.schema_v1 import Patient, Staff, TreatmentSession


class _Frozen(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class Photo(_Frozen):
    session = ForeignKeyField(TreatmentSession, backref="photos")
    patient = ForeignKeyField(Patient, backref="photos")
    view = TextField()
    stage = TextField()
    imported_at = UTCDateTimeField()
    imported_by = ForeignKeyField(Staff)
    source_name = TextField()
    sha256 = TextField()
    width = IntegerField()
    height = IntegerField()
    thumbnail = BytesField()
    jpeg = BytesField()

    class Meta:
        table_name = "photo"
        constraints = [
            SQL("CHECK (view IN ('front', 'left', 'right'))"),
            SQL("CHECK (stage IN ('before', 'after'))"),
        ]


TABLES = [Photo]
