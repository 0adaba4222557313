"""The tables. Session events are append-only: the database itself refuses UPDATE and DELETE on them."""

from __future__ import annotations

from typing import ClassVar

from peewee import (
    SQL,
    AutoField,
    BooleanField,
    DatabaseProxy,
    DateField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from desk_app.domain.photos import PhotoStage, PhotoView
from desk_app.store.fields import BytesField, UTCDateTimeField

database_proxy = DatabaseProxy()


class BaseModel(Model):
    # Attributes peewee adds to a model at run time, declared for the type checker only (an annotation
    # without a value adds no field): the automatic primary key here, and in each model the `x_id`
    # that reads a foreign key `x`'s id without loading its row.
    id: ClassVar[AutoField[int]]

    class Meta:
        database = database_proxy
        legacy_table_names = False


class SchemaMigration(BaseModel):
    """One row per migration applied; the highest version is the schema version."""

    version = IntegerField(primary_key=True)
    name = TextField()
    applied_at = UTCDateTimeField()


class StaffRow(BaseModel):
    name = TextField()
    initials = TextField()
    role = TextField()
    active = BooleanField(default=True)
    created_at = UTCDateTimeField()

    class Meta:
        table_name = "staff"


class LaserAuthorisationRow(BaseModel):
    """Append-only: each time an administrator marks a member of staff as an authorised laser
    operator (trained on, expires on) or withdraws it (`granted` false). The latest row counts."""

    staff = ForeignKeyField(StaffRow, backref="laser_authorisations")
    granted = BooleanField()
    trained_on = DateField(null=True)
    expires_on = DateField(null=True)
    reason = TextField(default="")
    by = ForeignKeyField(StaffRow, backref="laser_authorisations_set")
    at = UTCDateTimeField()

    staff_id: ClassVar[IntegerField[int]]
    by_id: ClassVar[IntegerField[int]]

    class Meta:
        table_name = "laser_authorisation"


class LaserDeviceRow(BaseModel):
    """A laser the clinic uses (issue 15). Its details change (each change kept in
    laser_device_change); it is retired, never deleted: the database refuses DELETE, and any change
    to a retired device."""

    make = TextField()
    model = TextField()
    serial_number = TextField(unique=True)
    wavelengths_nm = TextField()  # ascending whole numbers, comma-separated: '532,1064'
    laser_class = TextField()
    eyewear_marking = TextField(default="")
    lpa_name = TextField()
    next_service_on = DateField()
    registered_at = UTCDateTimeField()
    registered_by = ForeignKeyField(StaffRow, backref="laser_devices_registered")
    retired_at = UTCDateTimeField(null=True)
    retired_by = ForeignKeyField(StaffRow, null=True, backref="laser_devices_retired")
    retired_reason = TextField(default="")

    registered_by_id: ClassVar[IntegerField[int]]
    retired_by_id: ClassVar[IntegerField[int | None]]

    class Meta:
        table_name = "laser_device"
        constraints = [
            SQL(
                "CHECK ((retired_at IS NULL AND retired_by_id IS NULL AND retired_reason = '') OR "
                "(retired_at IS NOT NULL AND retired_by_id IS NOT NULL AND retired_reason <> ''))"
            )
        ]


class LaserDeviceChange(BaseModel):
    """Append-only: one row per detail of a laser device changed (or its retirement), with who and when."""

    device = ForeignKeyField(LaserDeviceRow, backref="changes")
    staff = ForeignKeyField(StaffRow)
    at = UTCDateTimeField()
    field = TextField()
    old_value = TextField()
    new_value = TextField()

    device_id: ClassVar[IntegerField[int]]
    staff_id: ClassVar[IntegerField[int]]

    class Meta:
        table_name = "laser_device_change"


class PatientRow(BaseModel):
    given_names = TextField()
    family_name = TextField()
    date_of_birth = DateField()
    clinic_number = TextField(unique=True)
    # The folded full name (search_key). The duplicate check no longer reads it: it folds the names
    # of those born the same day itself, as a look-alike capital gives a name two keys (issue 13).
    search_text = TextField(index=True)
    created_at = UTCDateTimeField()
    created_by = ForeignKeyField(StaffRow, backref="patients_created")
    phone = TextField(default="")
    email = TextField(default="")
    fitzpatrick = TextField(default="")
    allergies = TextField(default="")
    notes = TextField(default="")
    archived = BooleanField(default=False)
    # Folded "surname, first names": lists sort on an index, blind to case and accents.
    sort_key = TextField(default="")

    created_by_id: ClassVar[IntegerField[int]]

    class Meta:
        table_name = "patient"


class PatientWord(BaseModel):
    """Each word a patient is found by (folded), so search matches word starts on an index."""

    patient = ForeignKeyField(PatientRow, backref="words")
    word = TextField()
    # Copied from the patient so a search reads its first page straight off one covering index.
    sort_key = TextField()
    archived = BooleanField(default=False)

    patient_id: ClassVar[IntegerField[int]]

    class Meta:
        table_name = "patient_word"
        indexes = ((("word", "sort_key", "patient", "archived"), False),)


class PatientChange(BaseModel):
    """Append-only: one row per field changed in a patient's registration, with who and when."""

    patient = ForeignKeyField(PatientRow, backref="changes")
    staff = ForeignKeyField(StaffRow)
    at = UTCDateTimeField()
    field = TextField()
    old_value = TextField()
    new_value = TextField()

    patient_id: ClassVar[IntegerField[int]]
    staff_id: ClassVar[IntegerField[int]]

    class Meta:
        table_name = "patient_change"


class ProcedureVersionRow(BaseModel):
    """The exact procedure file a session ran, so an old record reads as it was done."""

    procedure_id = TextField()
    version = TextField()
    sha256 = TextField(unique=True)
    source = TextField()

    class Meta:
        table_name = "procedure_version"


class LaserDeviceCheck(BaseModel):
    """Append-only: one daily pre-use safety check of a laser (issue 15): the clinic's local day,
    who, when, the checklist version it followed (stored like a procedure version), each item's
    answer (JSON: item id -> passed) and the note that says what failed."""

    device = ForeignKeyField(LaserDeviceRow, backref="checks")
    day = DateField(index=True)
    staff = ForeignKeyField(StaffRow)
    at = UTCDateTimeField()
    checklist = ForeignKeyField(ProcedureVersionRow)
    passed = BooleanField()
    answers_json = TextField()
    note = TextField(default="")

    device_id: ClassVar[IntegerField[int]]
    staff_id: ClassVar[IntegerField[int]]
    checklist_id: ClassVar[IntegerField[int]]

    class Meta:
        table_name = "laser_device_check"


class SessionRow(BaseModel):
    patient = ForeignKeyField(PatientRow, backref="sessions")
    procedure = ForeignKeyField(ProcedureVersionRow)
    session_number = IntegerField()
    # A summary of the events kept for quick lists; the events remain the record.
    status = TextField(index=True)
    started_at = UTCDateTimeField()
    started_by = ForeignKeyField(StaffRow)
    holder = ForeignKeyField(StaffRow)
    ended_at = UTCDateTimeField(null=True)

    patient_id: ClassVar[IntegerField[int]]
    procedure_id: ClassVar[IntegerField[int]]
    started_by_id: ClassVar[IntegerField[int]]
    holder_id: ClassVar[IntegerField[int]]

    class Meta:
        table_name = "treatment_session"


class EventRow(BaseModel):
    session = ForeignKeyField(SessionRow, backref="events")
    kind = TextField()
    item_id = TextField(null=True)
    staff = ForeignKeyField(StaffRow)
    at = UTCDateTimeField()
    values_json = TextField(default="{}")
    text = TextField(default="")
    corrects = ForeignKeyField("self", null=True)

    session_id: ClassVar[IntegerField[int]]
    staff_id: ClassVar[IntegerField[int]]
    corrects_id: ClassVar[IntegerField[int | None]]

    class Meta:
        table_name = "session_event"
        constraints = [SQL("CHECK (kind <> '')")]


class ClinicSetting(BaseModel):
    """Settings that belong to the database itself, not to one PC (e.g. 'this is a demo')."""

    key = TextField(primary_key=True)
    value = TextField()

    class Meta:
        table_name = "clinic_setting"


DEMO_SETTING = "demo"
# Set in a file whose records were copied to a PostgreSQL server (desk-app migrate-to): where to.
MOVED_SETTING = "moved to"
# Set in a file while its records are being copied to a PostgreSQL server: where to.
MOVING_SETTING = "moving to"
# The database's own random id (desk_app.store.identity).
DATABASE_ID_SETTING = "database id"


class ClinicSettingChange(BaseModel):
    """Append-only: one row per clinic setting changed, with who and when."""

    staff = ForeignKeyField(StaffRow)
    at = UTCDateTimeField()
    key = TextField()
    old_value = TextField()
    new_value = TextField()

    staff_id: ClassVar[IntegerField[int]]

    class Meta:
        table_name = "clinic_setting_change"


class PrintLog(BaseModel):
    """Append-only: every record printed on paper or exported to PDF, by whom and when."""

    at = UTCDateTimeField(index=True)
    document = TextField()
    patient = ForeignKeyField(PatientRow)
    session = ForeignKeyField(SessionRow, null=True)
    destination = TextField()
    pages = IntegerField()
    printed_by = TextField()
    # Empty for an export from the terminal, where nobody signed in: printed_by names the account.
    staff = ForeignKeyField(StaffRow, null=True)

    patient_id: ClassVar[IntegerField[int]]
    session_id: ClassVar[IntegerField[int | None]]
    staff_id: ClassVar[IntegerField[int | None]]

    class Meta:
        table_name = "print_log"


class StaffCredential(BaseModel):
    """A member of staff's password and PIN hashes, and their failed attempts (never the secrets)."""

    staff = ForeignKeyField(StaffRow, unique=True)
    password_hash = TextField()
    pin_hash = TextField()
    failed_pins = IntegerField(default=0)
    failed_sign_ins = IntegerField(default=0)
    locked = BooleanField(default=False)

    staff_id: ClassVar[IntegerField[int]]

    class Meta:
        table_name = "staff_credential"


class AuditLog(BaseModel):
    """Append-only and hash-chained: each row's hash covers its content and the previous row's hash.

    The id is given, not left to the database, because the hash covers it; `at` is UTC as ISO text
    so the hash is computed over exactly what is stored.
    """

    id = IntegerField(primary_key=True)
    at = TextField()
    staff = ForeignKeyField(StaffRow, null=True)
    action = TextField()
    subject = TextField()
    subject_id = IntegerField(null=True)
    detail = TextField()
    prev_hash = TextField()
    hash = TextField()

    staff_id: ClassVar[IntegerField[int | None]]

    class Meta:
        table_name = "audit_log"


class PhotoRow(BaseModel):
    """Append-only: one clinical photo of a session (issue 21), its metadata stripped, with its
    thumbnail. The thumbnail comes before the photo so that SQLite reads a page of thumbnails
    without walking the photos' pages; a list reads neither."""

    session = ForeignKeyField(SessionRow, backref="photos")
    patient = ForeignKeyField(PatientRow, backref="photos")
    view = TextField()
    stage = TextField()
    imported_at = UTCDateTimeField()
    imported_by = ForeignKeyField(StaffRow)
    source_name = TextField()
    sha256 = TextField()
    width = IntegerField()
    height = IntegerField()
    thumbnail = BytesField()
    jpeg = BytesField()

    session_id: ClassVar[IntegerField[int]]
    patient_id: ClassVar[IntegerField[int]]
    imported_by_id: ClassVar[IntegerField[int]]

    class Meta:
        table_name = "photo"
        constraints = [
            SQL(f"CHECK (view IN ({', '.join(repr(view.value) for view in PhotoView)}))"),
            SQL(f"CHECK (stage IN ({', '.join(repr(stage.value) for stage in PhotoStage)}))"),
        ]


class ConsentRow(BaseModel):
    """Append-only: a consent as the patient signed it (issue 21): the form's version and its very
    text, the strokes and their image, the answers, the witness, and the SHA-256 of it all. A
    withdrawal is a row of its own (ConsentWithdrawalRow): a signed row never changes."""

    patient = ForeignKeyField(PatientRow, backref="consents")
    session = ForeignKeyField(SessionRow, null=True, backref="consents")
    form_version = TextField()
    form_title = TextField()
    form_text = TextField()
    photo_question = TextField()
    photos_allowed = BooleanField()
    signed_at = UTCDateTimeField()
    witness = ForeignKeyField(StaffRow)
    strokes = TextField()  # Signature.to_json()
    svg = TextField()  # Signature.svg(): the image printed
    digest = TextField()  # domain.consent.consent_digest, also in the signing's audit row

    patient_id: ClassVar[IntegerField[int]]
    session_id: ClassVar[IntegerField[int | None]]
    witness_id: ClassVar[IntegerField[int]]

    class Meta:
        table_name = "consent"


class ConsentWithdrawalRow(BaseModel):
    """Append-only: a consent withdrawn, by whom (who recorded the patient's word), when and why;
    one per consent at most (the unique index: two desks cannot both withdraw it)."""

    consent = ForeignKeyField(ConsentRow, unique=True, backref="withdrawals")
    withdrawn_at = UTCDateTimeField()
    withdrawn_by = ForeignKeyField(StaffRow)
    reason = TextField()

    consent_id: ClassVar[IntegerField[int]]
    withdrawn_by_id: ClassVar[IntegerField[int]]

    class Meta:
        table_name = "consent_withdrawal"
