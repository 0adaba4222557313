"""Patient register actions: register, find, edit (every change kept), archive (never delete).

A service of Desk (desk.patients): it uses the desk's database, clock and staff check.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from peewee import IntegrityError

from desk_app.domain.dates import local_today, parse_user_date
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.history import ChangeEntry
from desk_app.domain.patient_record import LABELS, changed_fields, checked_patient
from desk_app.domain.people import (
    Patient,
    check_new_patient,
    search_key,
    search_keys,
    search_words,
    sort_key,
)
from desk_app.domain.refusals import PossibleDuplicate
from desk_app.store.context import Service, StoreContext
from desk_app.store.errors import store_errors
from desk_app.store.models import PatientChange, PatientRow, PatientWord
from desk_app.store.rows import (
    PATIENT_COLUMNS,
    change_entries,
    patient_from_row,
    patients_from_query,
)
from desk_app.store.seals import Sealed

SEARCH_LIMIT = 50
MAX_SEARCH_WORDS = 8
_AFTER_ALL_TEXT = "\U0010ffff"  # sorts after any character: 'abc' <= word < 'abc' + this = starts with 'abc'


class Patients(Service):
    """The patient register."""

    def __init__(self, context: StoreContext) -> None:
        self._context = context

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
            given_names, family_name, date_of_birth, clinic_number, local_today(self._context.clock.now())
        )
        full_name = f"{new.given_names} {new.family_name}"
        with self._context.db.atomic():
            self._context.staff(staff_id)
            if PatientRow.get_or_none(PatientRow.clinic_number == new.clinic_number) is not None:
                raise ValidationError(f"Clinic number {new.clinic_number} is already in use.")
            twin = self._twin(full_name, new.date_of_birth)
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
                    search_text=search_key(full_name),
                    sort_key=sort_key(new.given_names, new.family_name),
                    created_at=self._context.clock.now(),
                    created_by=staff_id,
                )
            except IntegrityError:
                raise ValidationError(f"Clinic number {new.clinic_number} is already in use.") from None
            patient = patient_from_row(row)
            self._index_words(patient)
            registered = {"name": patient.full_name, "born": patient.date_of_birth.isoformat()}
            self._context.audit(
                "patient registered",
                staff_id,
                "patient",
                patient.id,
                registered | {"number": patient.clinic_number},
                [(PatientRow, patient.id)],
            )
        return patient

    def _twin(self, full_name: str, date_of_birth: date) -> PatientRow | None:
        """The first patient born that day whose name reads the same, blind to case, accents and
        look-alike letters. Compared here rather than on a stored key: a look-alike capital gives a
        name two keys ('Вrown' with a Cyrillic 'В' reads 'ʙrown' in small letters, 'brown' as
        written), and a match on either is a possible duplicate. Few share a birthday, even among
        100,000 patients, and the date is indexed."""
        keys = search_keys(full_name)
        same_day = (
            PatientRow.select().where(PatientRow.date_of_birth == date_of_birth).order_by(PatientRow.id)
        )
        return next(
            (row for row in same_day if keys & search_keys(f"{row.given_names} {row.family_name}")), None
        )

    def _index_words(self, patient: Patient) -> None:
        PatientWord.delete().where(PatientWord.patient == patient.id).execute()
        words = sorted(search_words(patient.given_names, patient.family_name, patient.clinic_number))
        order = sort_key(patient.given_names, patient.family_name)
        PatientWord.insert_many(
            [(patient.id, word, order, patient.archived) for word in words],
            fields=[PatientWord.patient, PatientWord.word, PatientWord.sort_key, PatientWord.archived],
        ).execute()

    @store_errors
    def patient(self, patient_id: int) -> Patient:
        row = PatientRow.get_or_none(PatientRow.id == patient_id)
        if row is None:
            raise ActionRefused("That patient is not known.")
        return patient_from_row(row)

    @store_errors
    def patient_by_clinic_number(self, clinic_number: str) -> Patient:
        """The patient with this clinic number (stored in capitals), archived or not."""
        row = PatientRow.get_or_none(PatientRow.clinic_number == clinic_number.strip().upper())
        if row is None:
            raise ActionRefused(f"No patient has the clinic number {clinic_number.strip()}.")
        return patient_from_row(row)

    @store_errors
    def search_patients(
        self, text: str, limit: int = SEARCH_LIMIT, offset: int = 0, include_archived: bool = False
    ) -> list[Patient]:
        """Each typed word must start one of the patient's words (name parts, clinic number), blind
        to case and accents; or the text is a date of birth. Typed %, _ and quotes match nothing
        special. Every condition runs on an index.

        Typed names list their matches in the order of the matching word, then surname and first
        names ('zo': every Zoe, then every Zofia), straight off the index with no sorting, so the
        first page is as quick at 100,000 patients as at 100. Otherwise: surname, first names.
        """
        # A word typed twice narrows nothing; past a few words a name is not being typed (a paste):
        # each word is one nested condition, and SQLite refuses a thousand of them.
        words = list(dict.fromkeys(search_key(text).split()))[:MAX_SEARCH_WORDS]
        birth = parse_user_date(text)
        if birth is None and words:
            ids = self._ids_by_words(words, offset + limit, include_archived)[offset:]
            found = {p.id: p for p in patients_from_query(PatientRow.select().where(PatientRow.id.in_(ids)))}
            return [found[patient_id] for patient_id in ids]
        if text.strip() and birth is None:
            return []  # only punctuation typed: nothing can match it
        query = PatientRow.select()
        if not include_archived:
            query = query.where(PatientRow.archived == False)  # noqa: E712
        if birth is not None:
            query = query.where(PatientRow.date_of_birth == birth)
        return patients_from_query(
            query.order_by(PatientRow.sort_key, PatientRow.id).limit(limit).offset(offset)
        )

    def _ids_by_words(self, words: list[str], wanted: int, include_archived: bool) -> list[int]:
        """The first `wanted` patients (ids, in list order) with a word starting with each typed word;
        the first typed word orders the list."""
        # Written as SQL once rather than built by peewee on every keystroke: building the query
        # cost ten times more than running it. Plain SQL, the same on SQLite and PostgreSQL.
        mark = self._context.db.param
        starting = f"word >= {mark} AND word < {mark}"
        first, *others = words
        sql = f"SELECT patient_id FROM patient_word WHERE {starting}"
        params: list[object] = [first, first + _AFTER_ALL_TEXT]
        if not include_archived:
            sql += f" AND archived = {mark}"
            params.append(False)
        for other in others:
            # '+ 0' keeps the planner walking the word index in list order instead of looking each
            # patient up by id and sorting them all afterwards (4x slower at 100,000 patients).
            sql += f" AND patient_id + 0 IN (SELECT patient_id FROM patient_word WHERE {starting})"
            params += [other, other + _AFTER_ALL_TEXT]
        sql += f" ORDER BY word, sort_key, patient_id LIMIT {mark} OFFSET {mark}"
        # A patient may have two words with the same start ('Sam Smith' for 's'): keep the first.
        ids: list[int] = []
        seen: set[int] = set()
        fetched, batch = 0, wanted + 16  # a few spare for patients with two matching words
        while len(ids) < wanted:
            rows = self._context.db.execute_sql(sql, [*params, batch, fetched]).fetchall()
            for (patient_id,) in rows:
                if patient_id not in seen:
                    seen.add(patient_id)
                    ids.append(patient_id)
            fetched += len(rows)
            if len(rows) < batch:
                break
        return ids[:wanted]

    @store_errors
    def update_patient(self, patient_id: int, changes: dict[str, Any], staff_id: int) -> Patient:
        """Change registration fields; each changed field is kept with its old and new value."""
        with self._context.db.atomic():
            self._context.staff(staff_id)
            before = self.patient(patient_id)
            after = checked_patient(before, changes, local_today(self._context.clock.now()))
            if after.clinic_number != before.clinic_number and PatientRow.get_or_none(
                PatientRow.clinic_number == after.clinic_number
            ):
                raise ValidationError(f"Clinic number {after.clinic_number} is already in use.")
            self._save_changes(before, after, staff_id)
        return after

    @store_errors
    def set_archived(self, patient_id: int, archived: bool, staff_id: int) -> Patient:
        """Archive (or bring back) a patient: nothing is deleted; searches leave archived patients out."""
        with self._context.db.atomic():
            self._context.staff(staff_id)
            before = self.patient(patient_id)
            after = replace(before, archived=archived)
            self._save_changes(before, after, staff_id)
        return after

    def _save_changes(self, before: Patient, after: Patient, staff_id: int) -> None:
        changes = changed_fields(before, after)
        if not changes:
            raise ValidationError("Nothing was changed.")
        now = self._context.clock.now()
        sealed: list[Sealed] = [(PatientRow, before.id)]
        for field, old, new in changes:
            change = PatientChange.create(
                patient=before.id, staff=staff_id, at=now, field=field, old_value=old, new_value=new
            )
            sealed.append((PatientChange, change.id))
        stored = {column: getattr(after, column.name) for column in PATIENT_COLUMNS if column.name != "id"}
        PatientRow.update(
            {
                **stored,
                PatientRow.search_text: search_key(f"{after.given_names} {after.family_name}"),
                PatientRow.sort_key: sort_key(after.given_names, after.family_name),
            }
        ).where(PatientRow.id == before.id).execute()
        self._index_words(after)
        self._context.audit("patient changed", staff_id, "patient", before.id, {"changes": changes}, sealed)

    @store_errors
    def patient_changes(self, patient_id: int) -> list[ChangeEntry]:
        """Every change to the registration, oldest first."""
        return change_entries(PatientChange, PatientChange.patient, patient_id, LABELS)
