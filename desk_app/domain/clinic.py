"""The clinic's own details for printed pages: its name, address, contact line and paper size.

They belong to the clinic, not to one PC, so they live in the database and every desk prints alike.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum

from desk_app.domain.errors import ValidationError
from desk_app.domain.text import check_plain_text


class PaperSize(StrEnum):
    A4 = "A4"
    LETTER = "Letter"


@dataclass(frozen=True)
class ClinicDetails:
    name: str = "Azure Medical"
    address: str = ""
    # Printed on the patient's aftercare sheet: who to call with a worry after treatment.
    contact_line: str = ""
    paper: PaperSize = PaperSize.A4
    # An unattended desk locks itself: never off, so that no record stays on an empty screen.
    idle_lock_minutes: int = 5
    # Where the daily backups go; empty: a 'backups' folder beside the database file.
    backup_folder: str = ""
    # A clinician countersigns each record at sign-out, with their PIN.
    countersignature_required: bool = False
    # Printed beside the contact line: whom to call when the clinic is closed (the signs to call about
    # do not wait for opening hours). Last, so details written out in order keep their places.
    out_of_hours_line: str = ""


LABELS = {
    "name": "Clinic name",
    "address": "Address",
    "contact_line": "Contact line for patients",
    "out_of_hours_line": "Out-of-hours line for patients",
    "paper": "Paper size",
    "idle_lock_minutes": "Lock the screen after (minutes without use)",
    "backup_folder": "Backup folder (empty: beside the database)",
    "countersignature_required": "A clinician countersigns each record",
}
IDLE_LOCK_MINUTES = (1, 15)
_MAX_LENGTH = {
    "name": 80,
    "address": 200,
    "contact_line": 200,
    "out_of_hours_line": 200,
    "backup_folder": 400,
}


def checked_clinic_details(
    name: str,
    address: str,
    contact_line: str,
    paper: str,
    idle_lock_minutes: int | str = 5,
    backup_folder: str = "",
    *,
    out_of_hours_line: str = "",
) -> ClinicDetails:
    """Validate what the manager typed; the name is needed, the other lines may be blank (the
    aftercare sheet is refused until both patient lines are set: see missing_patient_lines)."""
    low, high = IDLE_LOCK_MINUTES
    minutes = str(idle_lock_minutes).strip()
    if not (minutes.isascii() and minutes.isdigit() and low <= int(minutes) <= high):
        raise ValidationError(
            f"The screen locks after {low} to {high} minutes without use (it cannot be off)."
        )
    try:
        paper_size = PaperSize(paper)
    except ValueError:
        choices = " or ".join(size.value for size in PaperSize)
        raise ValidationError(f"Paper size must be {choices}.") from None
    return ClinicDetails(
        name=check_plain_text(name, LABELS["name"], _MAX_LENGTH["name"]),
        address=_optional(address, "address"),
        contact_line=_optional(contact_line, "contact_line"),
        out_of_hours_line=_optional(out_of_hours_line, "out_of_hours_line"),
        paper=paper_size,
        idle_lock_minutes=int(minutes),
        backup_folder=_optional(backup_folder, "backup_folder"),
    )


def _optional(text: str, key: str) -> str:
    return check_plain_text(text, LABELS[key], _MAX_LENGTH[key]) if text.strip() else ""


def missing_patient_lines(details: ClinicDetails) -> list[str]:
    """The labels of the lines a patient's handout cannot go without: whom to call, in hours and out.
    A line with no number in it is missing too: one of invisible characters prints as nothing."""
    keys = ("contact_line", "out_of_hours_line")
    return [
        LABELS[key] for key in keys if not any(character.isdigit() for character in getattr(details, key))
    ]


def changed_details(before: ClinicDetails, after: ClinicDetails) -> list[tuple[str, str, str]]:
    """(key, old text, new text) for each detail that differs."""
    return [
        (field.name, str(getattr(before, field.name)), str(getattr(after, field.name)))
        for field in fields(ClinicDetails)
        if getattr(before, field.name) != getattr(after, field.name)
    ]


class DocumentKind(StrEnum):
    """What was printed or exported; stored in the print log."""

    SESSION_RECORD = "session record"
    AFTERCARE_SHEET = "aftercare sheet"
    PATIENT_HISTORY = "patient history"
    CONSENT = "consent"  # a signed consent form (issue 21)


@dataclass(frozen=True)
class PrintEntry:
    """One line of the print log."""

    at: datetime
    document: DocumentKind
    patient_id: int
    session_id: int | None
    destination: str
    pages: int
    printed_by: str
