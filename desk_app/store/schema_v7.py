"""The table migration 7 created, frozen (see schema_v1.py for why). Never edit this file."""

from __future__ import annotations

from peewee import BooleanField, DateField, ForeignKeyField, Model, TextField

from desk_app.store.fields import UTCDateTimeField
from desk_app.store.models import database_proxy
from desk_app.store.schema_v1 import Staff


class _Frozen(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class LaserAuthorisation(_Frozen):
    staff = ForeignKeyField(Staff, backref="laser_authorisations")
    granted = BooleanField()
    trained_on = DateField(null=True)
    expires_on = DateField(null=True)
    reason = TextField(default="")
    by = ForeignKeyField(Staff, backref="laser_authorisations_set")
    at = UTCDateTimeField()

    class Meta:
        table_name = "laser_authorisation"


TABLES = [LaserAuthorisation]
