"""A clinic and its sessions walked through the Desk for the printing tests.

`treat` runs the whole checklist with tests.support.walk's passing answers and adds what a printed
record must show when asked: a clinician's override of a flagged skin type, an adverse event, a laser
pass at a chosen instant, a session note.

Reading a PDF's text with pypdf takes a fifth of a second a document, so each test module builds its
clinic and prints its documents once (`open_clinic` in a module-scoped fixture) and its tests only read
the results. The models are bound to one database at a time: a module fixture builds everything,
keeps plain values (records, PDF text) and closes its database before any test runs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from peewee import Database

from desk_app.domain.clock import ManualClock
from desk_app.domain.dates import local_today
from desk_app.domain.people import Patient, Staff
from desk_app.domain.procedure import load_procedure
from desk_app.domain.session import SessionRecord
from desk_app.paths import PROCEDURE_FILE, resource_path
from desk_app.reports.documents import PrintDocument
from desk_app.reports.export import page_footer
from desk_app.reports.pages import pdf_bytes
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from desk_app.ui.formatting import LOCAL_FORMATS
from tests.conftest import START
from tests.reports.pdf_text import pdf_pages
from tests.support.people import FAST_HASHER, PIN, add_member
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT, tick_all

OVERRIDE_REASON = "Skin type V: test patch 4 weeks ago healed without pigment change"
ADVERSE_YES = "Yes (describe below)"
BLISTER = "Small blister on the left cheek; cooled and dressed"
# The structured answers that go with an adverse event (procedure 1.5).
ADVERSE_DETAILS: dict[str, Any] = {
    "kinds": ["Blistering"],
    "severity": "Mild",
    "action": "Cooled, dressed, aftercare repeated",
    "follow_up": "Follow-up needed",
}
ADVERSE_REASON = "Blister reviewed: superficial, aftercare given, review in 1 week"
NOTE = "Patient anxious at first; settled once the cool air was on"
UNPAINTED_REASON = "Gel had spread onto the chin; numb on testing, patient comfortable"
EARLY_REASON = "Brought forward a week: the patient moves abroad; skin healed, no sun since"
PRINTED_BY = "Mo Manager"


def everyone(desk: Desk) -> list[Staff]:
    """Every member of staff, active or not, as the app passes them to name the initials on paper."""
    return [member for member, _, _ in desk.accounts.list_all_staff()]


@dataclass
class Clinic:
    """A Desk on its own database file, with a manual clock, a nurse and a clinician."""

    db: Database
    desk: Desk
    clock: ManualClock
    nurse: Staff
    clinician: Staff

    def register(self, given: str, family: str, born: str, number: str) -> Patient:
        return self.desk.patients.register_patient(given, family, born, number, self.nurse.id)

    def close(self) -> None:
        self.db.close()


def open_clinic(path: Path, start: datetime = START) -> Clinic:
    db = open_database(str(path))
    clock = ManualClock(start)
    desk = Desk(db, load_procedure(resource_path(PROCEDURE_FILE)), clock, FAST_HASHER)
    nurse = add_member(desk, "Ann Nurse", "AN", "nurse")
    clinician = add_member(desk, "Dr Clive Doctor", "CD", "clinician")
    return Clinic(db, desk, clock, nurse, clinician)


def start_through_time_out(
    desk: Desk,
    clock: ManualClock,
    patient_id: int,
    nurse: Staff,
    clinician: Staff | None = None,
    early_by: Staff | None = None,
) -> SessionRecord:
    """Sign-in (with skin type V overridden when a clinician is given, and a session sooner than 4
    weeks after the last overridden by `early_by`), gel, the hour's wait, time-out."""
    session = desk.sessions.start_session(patient_id, nurse.id)
    sign_in = dict(SIGN_IN)
    if early_by is not None:  # ticked here, so that the override is this clinician's, with this reason
        desk.sessions.tick(session.id, "course_interval", sign_in.pop("course_interval"), nurse.id)
        clock.advance(minutes=2)
        desk.sessions.override(session.id, "course_interval", EARLY_REASON, early_by.id, nurse.id, PIN)
    if clinician is None:
        tick_all(desk, session.id, sign_in, nurse.id)
    else:
        tick_all(desk, session.id, {**sign_in, "skin_type": {"fitzpatrick": "V"}}, nurse.id)
        clock.advance(minutes=2)
        desk.sessions.override(session.id, "skin_type", OVERRIDE_REASON, clinician.id, nurse.id, PIN)
    tick_all(desk, session.id, ANAESTHETIC, nurse.id)
    clock.advance(minutes=61)
    return tick_all(desk, session.id, TIME_OUT, nurse.id)


def treat(
    clinic: Clinic,
    patient: Patient,
    *,
    override: bool = False,
    laser_at: datetime | None = None,
    adverse: str = "",
    note: str = "",
    planned: int = 3,
    next_date: date | None = None,
    ends_course: bool = False,
    extension_reason: str = "",
    early: bool = False,
    fluence: float = 5.5,
    beam_areas: tuple[str, ...] = (),
    sign_out: bool = True,
) -> SessionRecord:
    """A whole session from the clock's now; `laser_at` moves the clock to the first laser pass.

    With `adverse`, the adverse-event item records "Yes" with that description (and
    ADVERSE_DETAILS) and the clinician reviews it (an override) before sign-out. With `beam_areas`
    the full-beam pass treats them; one not painted with gel is overridden by the clinician. The
    next session defaults to five weeks after today; with `ends_course` none is planned (the last
    planned session), and an `extension_reason` plans `planned` beyond the course's last session.
    With `early` the session comes sooner than 4 weeks after the last, and the clinician overrides
    the interval check.
    """
    desk, clock, nurse, clinician = clinic.desk, clinic.clock, clinic.nurse, clinic.clinician
    record = start_through_time_out(
        desk, clock, patient.id, nurse, clinician if override else None, clinician if early else None
    )
    if laser_at is not None:
        clock.set(laser_at)
    else:
        clock.advance(minutes=5)
    laser: dict[str, dict[str, Any]] = {
        **LASER,
        "full_beam_pass": {
            **LASER["full_beam_pass"],
            "fluence_j_cm2": fluence,
            **({"areas": list(beam_areas)} if beam_areas else {}),
        },
    }
    if adverse:
        laser["adverse_events"] = {"adverse": ADVERSE_YES, "description": adverse, **ADVERSE_DETAILS}
    record = tick_all(desk, record.id, laser, nurse.id)
    if beam_areas and record.state(clock.now()).item("full_beam_pass").flags:
        record = desk.sessions.override(
            record.id, "full_beam_pass", UNPAINTED_REASON, clinician.id, nurse.id, PIN
        )
    if adverse:
        record = desk.sessions.override(
            record.id, "adverse_events", ADVERSE_REASON, clinician.id, nurse.id, PIN
        )
    if note:
        record = desk.sessions.add_note(record.id, None, note, nurse.id)
    if not sign_out:
        return record
    clock.advance(minutes=10)
    planned_next = next_date or local_today(clock.now()) + timedelta(weeks=5)
    plan: dict[str, Any] = {"planned_sessions": planned}
    if not ends_course:
        plan["next_date"] = planned_next.isoformat()
    if extension_reason:
        plan["extension_reason"] = extension_reason
    tick_all(desk, record.id, {**SIGN_OUT, "next_session": plan}, nurse.id)
    return desk.sessions.sign_out(record.id, nurse.id, PIN)


@dataclass(frozen=True)
class Printed:
    """A document as PDF: its bytes, the page count the painter returned, and (read when first
    asked for) each page's text."""

    document: PrintDocument
    data: bytes
    pages: int
    footer: str

    @functools.cached_property
    def texts(self) -> list[str]:
        return pdf_pages(self.data)

    @property
    def text(self) -> str:
        return " ".join(self.texts)


def to_pdf(document: PrintDocument, printed_at: datetime) -> Printed:
    """Paint a document to PDF in memory, printed by the manager at `printed_at`, and read it back."""
    footer = page_footer(document, PRINTED_BY, LOCAL_FORMATS.date_time(printed_at))
    data, pages = pdf_bytes(document, footer)
    return Printed(document, data, pages, footer)
