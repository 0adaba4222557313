"""The tables migration 3 created, frozen (see schema_v1.py for why). Never edit this file."""

from __future__ import annotations

from peewee import BooleanField, ForeignKeyField, Model, TextField

from desk_app.store.fields import UTCDateTimeField
from desk_app.store.models import database_proxy
from desk_app.store.schema_v1 import Patient, Staff


class _Frozen(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class PatientWord(_Frozen):
    patient = ForeignKeyField(Patient, backref="words")
    word = TextField()
    sort_key = TextField()
    archived = BooleanField(default=False)

    class Meta:
        table_name = "patient_word"
        indexes = ((("word", "sort_key", "patient", "archived"), False),)


class PatientChange(_Frozen):
    patient = ForeignKeyField(Patient, backref="changes")
    staff = ForeignKeyField(Staff)
    at = UTCDateTimeField()
    field = TextField()
    old_value = TextField()
    new_value = TextField()

    class Meta:
        table_name = "patient_change"
