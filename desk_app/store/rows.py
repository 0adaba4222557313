"""Rows to domain dataclasses: the only place that knows both shapes."""

from __future__ import annotations

import json

from desk_app.domain.people import Patient, Role, Staff
from desk_app.domain.session import Event, EventKind
from desk_app.store.models import EventRow, PatientRow, StaffRow


def staff_from_row(row: StaffRow) -> Staff:
    return Staff(id=row.id, name=row.name, initials=row.initials, role=Role(row.role), active=row.active)


def patient_from_row(row: PatientRow) -> Patient:
    return Patient(
        id=row.id,
        given_names=row.given_names,
        family_name=row.family_name,
        date_of_birth=row.date_of_birth,
        clinic_number=row.clinic_number,
        phone=row.phone,
        email=row.email,
        fitzpatrick=row.fitzpatrick,
        allergies=row.allergies,
        notes=row.notes,
        archived=row.archived,
    )


def event_from_row(row: EventRow) -> Event:
    return Event(
        id=row.id,
        kind=EventKind(row.kind),
        at=row.at,
        staff_id=row.staff.id,
        staff_name=row.staff.name,
        staff_initials=row.staff.initials,
        item_id=row.item_id,
        values=json.loads(row.values_json),
        text=row.text,
        corrects_id=row.corrects_id,
    )
