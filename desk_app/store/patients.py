"""Patient register actions: register, find, edit (every change kept), archive (never delete).

A mixin of Desk: it uses the Desk's database, clock and staff check.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from peewee import Database, IntegrityError

from desk_app.domain.clock import Clock
from desk_app.domain.dates import local_today, parse_user_date
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.patient_record import LABELS, changed_fields, checked_patient
from desk_app.domain.people import Patient, Staff, check_new_patient, search_key, search_words, sort_key
from desk_app.store.errors import store_errors
from desk_app.store.models import PatientChange, PatientRow, PatientWord, StaffRow
from desk_app.store.rows import patient_from_row

SEARCH_LIMIT = 50
_AFTER_ALL_TEXT = "\U0010ffff"  # sorts after any character: 'abc' <= word < 'abc' + this = starts with 'abc'


class PossibleDuplicate(ActionRefused):
    """A patient with the same name and date of birth exists; register anyway only on purpose."""

    def __init__(self, message: str, existing: Patient) -> None:
        super().__init__(message)
        self.existing = existing


@dataclass(frozen=True)
class PatientChangeEntry:
    """One field of a registration changed: old and new value, who and when."""

    field: str
    label: str
    old: str
    new: str
    staff_name: str
    at: datetime


class PatientActions:
    db: Database
    clock: Clock

    def staff(self, staff_id: int) -> Staff:  # provided by Desk
        raise NotImplementedError

    @store_errors
    def register_patient(
        self,
        given_names: str,
        family_name: str,
        date_of_birth: date | str,
        clinic_number: str,
        staff_id: int,
        *,
        duplicate_confirmed: bool = False,
    ) -> Patient:
        """Register a patient; a second person with the same name and birth date needs confirming."""
        new = check_new_patient(
            given_names, family_name, date_of_birth, clinic_number, local_today(self.clock.now())
        )
        folded_name = search_key(f"{new.given_names} {new.family_name}")
        with self.db.atomic():
            self.staff(staff_id)
            if PatientRow.get_or_none(PatientRow.clinic_number == new.clinic_number) is not None:
                raise ValidationError(f"Clinic number {new.clinic_number} is already in use.")
            twin = PatientRow.get_or_none(
                (PatientRow.search_text == folded_name) & (PatientRow.date_of_birth == new.date_of_birth)
            )
            if twin is not None and not duplicate_confirmed:
                raise PossibleDuplicate(
                    f"{twin.given_names} {twin.family_name}, born on the same day, is already registered "
                    f"as {twin.clinic_number}. Is this the same person?",
                    patient_from_row(twin),
                )
            try:
                row = PatientRow.create(
                    given_names=new.given_names,
                    family_name=new.family_name,
                    date_of_birth=new.date_of_birth,
                    clinic_number=new.clinic_number,
                    search_text=folded_name,
                    sort_key=sort_key(new.given_names, new.family_name),
                    created_at=self.clock.now(),
                    created_by=staff_id,
                )
            except IntegrityError:
                raise ValidationError(f"Clinic number {new.clinic_number} is already in use.") from None
            self._index_words(row.id, new.given_names, new.family_name, new.clinic_number)
        return patient_from_row(row)

    def _index_words(self, patient_id: int, given_names: str, family_name: str, clinic_number: str) -> None:
        PatientWord.delete().where(PatientWord.patient == patient_id).execute()
        words = sorted(search_words(given_names, family_name, clinic_number))
        PatientWord.insert_many(
            [(patient_id, word) for word in words], fields=[PatientWord.patient, PatientWord.word]
        ).execute()

    @store_errors
    def patient(self, patient_id: int) -> Patient:
        row = PatientRow.get_or_none(PatientRow.id == patient_id)
        if row is None:
            raise ActionRefused("That patient is not known.")
        return patient_from_row(row)

    @store_errors
    def search_patients(
        self, text: str, limit: int = SEARCH_LIMIT, offset: int = 0, include_archived: bool = False
    ) -> list[Patient]:
        """Each typed word must start one of the patient's words (name parts, clinic number), blind
        to case and accents; or the text is a date of birth. Typed %, _ and quotes match nothing
        special. Every condition runs on an index."""
        query = PatientRow.select()
        if not include_archived:
            query = query.where(PatientRow.archived == False)  # noqa: E712
        words = search_key(text).split()
        birth = parse_user_date(text)
        if birth is not None:
            query = query.where(PatientRow.date_of_birth == birth)
        elif text.strip() and not words:
            return []  # only punctuation typed: nothing can match it
        for word in [] if birth is not None else words:
            starting = PatientWord.select(PatientWord.patient).where(
                (PatientWord.word >= word) & (PatientWord.word < word + _AFTER_ALL_TEXT)
            )
            query = query.where(PatientRow.id.in_(starting))
        rows = query.order_by(PatientRow.sort_key, PatientRow.id)
        return [patient_from_row(row) for row in rows.limit(limit).offset(offset)]

    @store_errors
    def update_patient(self, patient_id: int, changes: dict[str, object], staff_id: int) -> Patient:
        """Change registration fields; each changed field is kept with its old and new value."""
        with self.db.atomic():
            self.staff(staff_id)
            before = self.patient(patient_id)
            after = checked_patient(before, changes, local_today(self.clock.now()))
            if after.clinic_number != before.clinic_number and PatientRow.get_or_none(
                PatientRow.clinic_number == after.clinic_number
            ):
                raise ValidationError(f"Clinic number {after.clinic_number} is already in use.")
            self._save_changes(before, after, staff_id)
        return after

    @store_errors
    def set_archived(self, patient_id: int, archived: bool, staff_id: int) -> Patient:
        """Archive (or bring back) a patient: nothing is deleted; searches leave archived patients out."""
        with self.db.atomic():
            self.staff(staff_id)
            before = self.patient(patient_id)
            after = replace(before, archived=archived)
            self._save_changes(before, after, staff_id)
        return after

    def _save_changes(self, before: Patient, after: Patient, staff_id: int) -> None:
        changes = changed_fields(before, after)
        if not changes:
            raise ValidationError("Nothing was changed.")
        now = self.clock.now()
        for field, old, new in changes:
            PatientChange.create(
                patient=before.id, staff=staff_id, at=now, field=field, old_value=old, new_value=new
            )
        PatientRow.update(
            given_names=after.given_names,
            family_name=after.family_name,
            date_of_birth=after.date_of_birth,
            clinic_number=after.clinic_number,
            search_text=search_key(f"{after.given_names} {after.family_name}"),
            sort_key=sort_key(after.given_names, after.family_name),
            phone=after.phone,
            email=after.email,
            fitzpatrick=after.fitzpatrick,
            allergies=after.allergies,
            notes=after.notes,
            archived=after.archived,
        ).where(PatientRow.id == before.id).execute()
        self._index_words(before.id, after.given_names, after.family_name, after.clinic_number)

    @store_errors
    def patient_changes(self, patient_id: int) -> list[PatientChangeEntry]:
        """Every change to the registration, oldest first."""
        rows = (
            PatientChange.select(PatientChange, StaffRow)
            .join(StaffRow)
            .where(PatientChange.patient == patient_id)
            .order_by(PatientChange.id)
        )
        return [
            PatientChangeEntry(
                row.field,
                LABELS.get(row.field, row.field),
                row.old_value,
                row.new_value,
                row.staff.name,
                row.at,
            )
            for row in rows
        ]
