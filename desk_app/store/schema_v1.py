"""The tables exactly as migration 1 created them, frozen.

Migration 1 must build the same schema on a new database today as it did on the first day, so it
cannot use the live models (they grow with later migrations). Never edit this file.
"""

from __future__ import annotations

from peewee import SQL, BooleanField, DateField, ForeignKeyField, IntegerField, Model, TextField

from desk_app.store.fields import UTCDateTimeField
from desk_app.store.models import database_proxy


class _Frozen(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class SchemaMigration(_Frozen):
    version = IntegerField(primary_key=True)
    name = TextField()
    applied_at = UTCDateTimeField()


class Staff(_Frozen):
    name = TextField()
    initials = TextField()
    role = TextField()
    active = BooleanField(default=True)
    created_at = UTCDateTimeField()

    class Meta:
        table_name = "staff"


class Patient(_Frozen):
    given_names = TextField()
    family_name = TextField()
    date_of_birth = DateField()
    clinic_number = TextField(unique=True)
    search_text = TextField(index=True)
    created_at = UTCDateTimeField()
    created_by = ForeignKeyField(Staff, backref="patients_created")

    class Meta:
        table_name = "patient"


class ProcedureVersion(_Frozen):
    procedure_id = TextField()
    version = TextField()
    sha256 = TextField(unique=True)
    source = TextField()

    class Meta:
        table_name = "procedure_version"


class TreatmentSession(_Frozen):
    patient = ForeignKeyField(Patient, backref="sessions")
    procedure = ForeignKeyField(ProcedureVersion)
    session_number = IntegerField()
    status = TextField(index=True)
    started_at = UTCDateTimeField()
    started_by = ForeignKeyField(Staff)
    holder = ForeignKeyField(Staff)
    ended_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "treatment_session"


class SessionEvent(_Frozen):
    session = ForeignKeyField(TreatmentSession, backref="events")
    kind = TextField()
    item_id = TextField(null=True)
    staff = ForeignKeyField(Staff)
    at = UTCDateTimeField()
    values_json = TextField(default="{}")
    text = TextField(default="")
    corrects = ForeignKeyField("self", null=True)

    class Meta:
        table_name = "session_event"
        constraints = [SQL("CHECK (kind <> '')")]


TABLES = [SchemaMigration, Staff, Patient, ProcedureVersion, TreatmentSession, SessionEvent]
