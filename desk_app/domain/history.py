"""A patient's history as the window and the printed history show it: the sessions, and every change
kept to a record (a registration, a laser's details)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desk_app.domain.people import Patient
from desk_app.domain.session import SessionRecord


@dataclass(frozen=True)
class ChangeEntry:
    """One detail of a record changed (a patient's registration, a laser's details, its retirement):
    old and new value, who and when."""

    field: str
    label: str
    old: str
    new: str
    staff_name: str
    at: datetime


@dataclass(frozen=True)
class PatientHistory:
    patient: Patient
    sessions: tuple[SessionRecord, ...]
    changes: tuple[ChangeEntry, ...]
