"""The tables the "signed consents" migration created, frozen (see schema_v1.py for why). Never edit
this file."""

from __future__ import annotations

from peewee import BooleanField, ForeignKeyField, Model, TextField

from desk_app.store.fields import UTCDateTimeField
from desk_app.store.models import database_proxy
from desk_app.store.schema_v1 import Patient, Staff, TreatmentSession


class _Frozen(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class Consent(_Frozen):
    patient = ForeignKeyField(Patient, backref="consents")
    session = ForeignKeyField(TreatmentSession, null=True, backref="consents")
    form_version = TextField()
    form_title = TextField()
    form_text = TextField()
    photo_question = TextField()
    photos_allowed = BooleanField()
    signed_at = UTCDateTimeField()
    witness = ForeignKeyField(Staff)
    strokes = TextField()
    svg = TextField()
    digest = TextField()

    class Meta:
        table_name = "consent"


class ConsentWithdrawal(_Frozen):
    consent = ForeignKeyField(Consent, unique=True, backref="withdrawals")
    withdrawn_at = UTCDateTimeField()
    withdrawn_by = ForeignKeyField(Staff)
    reason = TextField()

    class Meta:
        table_name = "consent_withdrawal"


TABLES = [Consent, ConsentWithdrawal]
