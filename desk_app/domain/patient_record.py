"""Editing a patient's registration: which fields exist, how each is checked, and what changed.

Every change is kept as (field, old value, new value, who, when) by the store; this module decides
what a valid change is and returns only the fields that really change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any, TypedDict

from desk_app.domain.errors import ValidationError
from desk_app.domain.people import Patient, check_new_patient
from desk_app.domain.text import check_plain_text

FITZPATRICK_TYPES = ("I", "II", "III", "IV", "V", "VI")
_PHONE = re.compile(r"^\+?[0-9 ()-]{6,25}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class PatientField:
    id: str
    label: str
    multiline: bool = False


EDITABLE_FIELDS = (
    PatientField("given_names", "First names"),
    PatientField("family_name", "Surname"),
    PatientField("date_of_birth", "Date of birth"),
    PatientField("clinic_number", "Clinic number"),
    PatientField("phone", "Phone"),
    PatientField("email", "Email"),
    PatientField("fitzpatrick", "Fitzpatrick skin type"),
    PatientField("allergies", "Allergies", multiline=True),
    PatientField("notes", "Notes", multiline=True),
)
LABELS = {field.id: field.label for field in EDITABLE_FIELDS} | {"archived": "Archived"}
# The fields that say who the patient is; the rest are details about them.
IDENTIFIERS = ("given_names", "family_name", "date_of_birth", "clinic_number")


def _optional_text(value: str, label: str, max_length: int, multiline: bool = False) -> str:
    return check_plain_text(value, label, max_length, multiline=multiline) if value.strip() else ""


class _Details(TypedDict):
    """A patient's optional details, checked: Patient's fields of the same names."""

    phone: str
    email: str
    fitzpatrick: str
    allergies: str
    notes: str


def _check_details(phone: str, email: str, fitzpatrick: str, allergies: str, notes: str) -> _Details:
    phone = _optional_text(phone, "Phone", 25)
    if phone and (not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 6):
        raise ValidationError("Phone: digits, spaces, brackets and dashes, for example 07700 900123.")
    email = _optional_text(email, "Email", 120)
    if email and not _EMAIL.match(email):
        raise ValidationError("Email: that does not look like an email address.")
    fitzpatrick = fitzpatrick.strip().upper()
    if fitzpatrick and fitzpatrick not in FITZPATRICK_TYPES:
        raise ValidationError("Fitzpatrick skin type: I, II, III, IV, V or VI (or leave it empty).")
    return {
        "phone": phone,
        "email": email,
        "fitzpatrick": fitzpatrick,
        "allergies": _optional_text(allergies, "Allergies", 500, multiline=True),
        "notes": _optional_text(notes, "Notes", 2000, multiline=True),
    }


def checked_patient(patient: Patient, changes: dict[str, Any], today: date) -> Patient:
    """The patient with `changes` applied, every field checked as at registration."""
    unknown = set(changes) - {field.id for field in EDITABLE_FIELDS}
    if unknown:
        raise ValidationError(f"'{sorted(unknown)[0]}' is not a field of a patient's registration.")
    for field_id, value in changes.items():
        if not isinstance(value, str) and not (field_id == "date_of_birth" and isinstance(value, date)):
            raise ValidationError(f"{LABELS[field_id]}: expected text, got {type(value).__name__}.")
    merged = {field.name: getattr(patient, field.name) for field in fields(patient)} | changes
    identity = check_new_patient(
        str(merged["given_names"]),
        str(merged["family_name"]),
        merged["date_of_birth"],
        str(merged["clinic_number"]),
        today,
    )
    details = _check_details(
        str(merged["phone"]),
        str(merged["email"]),
        str(merged["fitzpatrick"]),
        str(merged["allergies"]),
        str(merged["notes"]),
    )
    return replace(
        patient,
        given_names=identity.given_names,
        family_name=identity.family_name,
        date_of_birth=identity.date_of_birth,
        clinic_number=identity.clinic_number,
        **details,
    )


def changed_fields(before: Patient, after: Patient) -> list[tuple[str, str, str]]:
    """(field, old, new) for each field that differs, as text, in the form's order."""
    changes = []
    for field in (*EDITABLE_FIELDS, PatientField("archived", "Archived")):
        old, new = getattr(before, field.id), getattr(after, field.id)
        if old != new:
            changes.append((field.id, _as_text(old), _as_text(new)))
    return changes


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
