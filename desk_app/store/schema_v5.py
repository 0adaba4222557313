"""The tables migration 5 created, frozen (see schema_v1.py for why). Never edit this file."""

from __future__ import annotations

from peewee import BooleanField, ForeignKeyField, IntegerField, Model, TextField

from desk_app.store.models import database_proxy
from desk_app.store.schema_v1 import Staff


class _Frozen(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class StaffCredential(_Frozen):
    staff = ForeignKeyField(Staff, unique=True)
    password_hash = TextField()
    pin_hash = TextField()
    failed_pins = IntegerField(default=0)
    failed_sign_ins = IntegerField(default=0)
    locked = BooleanField(default=False)

    class Meta:
        table_name = "staff_credential"


class AuditLog(_Frozen):
    id = IntegerField(primary_key=True)
    at = TextField()
    staff = ForeignKeyField(Staff, null=True)
    action = TextField()
    subject = TextField()
    subject_id = IntegerField(null=True)
    detail = TextField()
    prev_hash = TextField()
    hash = TextField()

    class Meta:
        table_name = "audit_log"


TABLES = [StaffCredential, AuditLog]
