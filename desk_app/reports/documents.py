"""The printed documents: a session record, the patient's aftercare sheet, a patient history, a
signed consent.

Each is built as HTML from a template plus what every page needs (its running header, the paper size,
what to log), and is painted onto paper or PDF by reports.pages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from desk_app.domain.aftercare import SheetDateKind, aftercare_sheet
from desk_app.domain.clinic import ClinicDetails, DocumentKind, PaperSize
from desk_app.domain.consent import SignedConsent
from desk_app.domain.course import (
    course,
    ends_course,
    next_session_from,
    planned_at,
    planned_next_date,
    session_line,
)
from desk_app.domain.dates import local_today
from desk_app.domain.errors import ActionRefused
from desk_app.domain.history import PatientHistory
from desk_app.domain.patient_record import EDITABLE_FIELDS, IDENTIFIERS
from desk_app.domain.people import Patient, Staff
from desk_app.domain.procedure import ItemKind, Procedure
from desk_app.domain.session import SessionRecord
from desk_app.reports.formats import LocalFormats
from desk_app.reports.history import SESSION_STATUS_WORDS, change_line, printed_photos
from desk_app.reports.session_view import consent_line, initials_key, session_view
from desk_app.reports.signature_image import signature_picture
from desk_app.reports.templates import render
from desk_app.store.desk import Desk

# Which consent covers each session, by the session's id (desk.consents.consent_for_session): a
# record printed with it says so, or that none does; printed without it, it says nothing of consent.
Coverage = Mapping[int, SignedConsent | None]

# Registration fields printed under the two identifiers (which the page shows first, in bold).
_DETAILS = [field for field in EDITABLE_FIELDS if field.id not in IDENTIFIERS]


@dataclass(frozen=True)
class PrintDocument:
    """A document ready to paint: HTML body, a header for every page, and what the print log needs."""

    kind: DocumentKind
    title: str
    running_header: str
    html: str
    paper: PaperSize
    patient_id: int
    session_id: int | None
    file_name: str
    landscape: bool = False  # pages.Paged: a patient's documents are portrait
    # A handout for the patient names the clinic it is from at the foot of each page, where a
    # record for the clinic names who printed it (the print log keeps who printed a handout).
    handout_from: str | None = None


def _running_header(clinic: ClinicDetails, title: str, patient: Patient, formats: LocalFormats) -> str:
    """Every page names the patient by two identifiers, so a loose page is never misfiled.

    The identifiers come first: a line too long for the page is shortened at its end.
    """
    return (
        f"{patient.full_name} · born {formats.date(patient.date_of_birth)} · {patient.clinic_number} · "
        f"{title} · {clinic.name}"
    )


def _document(
    kind: DocumentKind,
    title: str,
    patient: Patient,
    session_id: int | None,
    html: str,
    file_name: str,
    clinic: ClinicDetails,
    formats: LocalFormats,
    *,
    handout: bool = False,
) -> PrintDocument:
    return PrintDocument(
        kind=kind,
        title=title,
        running_header=_running_header(clinic, title, patient, formats),
        html=html,
        paper=clinic.paper,
        patient_id=patient.id,
        session_id=session_id,
        file_name=file_name,
        handout_from=clinic.name if handout else None,
    )


def _earlier(record: SessionRecord, sessions: Sequence[SessionRecord]) -> list[SessionRecord]:
    return [other for other in sessions if (other.started_at, other.id) < (record.started_at, record.id)]


def session_record_document(
    record: SessionRecord,
    patient_sessions: Sequence[SessionRecord],
    clinic: ClinicDetails,
    now: datetime,
    formats: LocalFormats,
    running: Procedure | None = None,
    *,
    team: Sequence[Staff],
    consents: Coverage | None = None,
) -> PrintDocument:
    """The record of one session; `patient_sessions` (any order) give the course it belongs to;
    `running` describes follow-ups of a session from before the follow-up form (session_view);
    `team` (every member of staff, active or not) names the initials the record prints;
    `consents`: which signed consent covers the session (Coverage)."""
    title = f"Session record, session {record.session_number}"
    view = session_view(record, now, formats, running, consent=_consent_text(record, consents, formats))
    html = render(
        "session_record.html.j2",
        clinic=clinic,
        view=view,
        planned=planned_at(record, _earlier(record, patient_sessions), now),
        show_date=formats.date,
        key=initials_key([view], team),
    )
    file_name = f"session-record-{record.patient.clinic_number}-session-{record.session_number}.pdf"
    return _document(
        DocumentKind.SESSION_RECORD, title, record.patient, record.id, html, file_name, clinic, formats
    )


def _consent_text(record: SessionRecord, consents: Coverage | None, formats: LocalFormats) -> str | None:
    if consents is None:
        return None
    return consent_line(consents.get(record.id), formats.date_time)


def treatment_day(record: SessionRecord, now: datetime) -> date:
    """The clinic's calendar day of the first laser pass; refused if the laser was never used."""
    state = record.state(now)
    passes = [
        tick.at
        for item in record.procedure.all_items()
        if item.kind is ItemKind.LASER_PASS and (tick := state.item(item.id).tick) is not None
    ]
    if not passes:
        raise ActionRefused(
            f"Session {record.session_number} of {record.patient.full_name} has no laser pass recorded, "
            "so there is no aftercare sheet to give."
        )
    return local_today(min(passes))


def aftercare_document(
    record: SessionRecord, clinic: ClinicDetails, now: datetime, formats: LocalFormats
) -> PrintDocument:
    """The patient's sheet, in the words of the procedure version the session ran, with real dates;
    refused (ActionRefused) while the clinic's lines for patients to call are empty."""
    aftercare = record.procedure.aftercare
    if aftercare is None:
        raise ActionRefused(
            f"This session ran procedure version {record.procedure.version}, which has no aftercare sheet; "
            "give the patient the aftercare in words."
        )
    treated_on = treatment_day(record, now)
    complete = ends_course(record, now)
    if complete:  # the last planned session: no next date on the sheet
        planned, earliest = None, None
    else:
        planned, earliest = planned_next_date(record, now), next_session_from(record, treated_on)
    sheet = aftercare_sheet(aftercare, clinic, treated_on, planned, earliest)
    title = "Aftercare sheet"
    html = render(
        "aftercare_sheet.html.j2",
        clinic=clinic,
        sheet=sheet,
        kinds=SheetDateKind,
        patient=record.patient,
        session_number=record.session_number,
        course_complete=complete,
        show_date=formats.date,
        long_date=formats.long_date,
    )
    file_name = f"aftercare-{record.patient.clinic_number}-session-{record.session_number}.pdf"
    return _document(
        DocumentKind.AFTERCARE_SHEET,
        title,
        record.patient,
        record.id,
        html,
        file_name,
        clinic,
        formats,
        handout=True,
    )


def history_document(
    history: PatientHistory,
    clinic: ClinicDetails,
    now: datetime,
    formats: LocalFormats,
    running: Procedure | None = None,
    *,
    team: Sequence[Staff],
    consents: Coverage | None = None,
    photos: list[dict[str, Any]] | None = None,
) -> PrintDocument:
    """Every session of the patient a line each, the registration and its changes, then each session
    whole, and one key to the initials of them all (`running`, `team` and `consents` as for
    session_record_document); `photos` (reports.history.printed_photos) only when asked for."""
    patient = history.patient
    sessions = sorted(history.sessions, key=lambda record: (record.started_at, record.id))
    lines = [session_line(record, now) for record in sessions]
    views = [
        session_view(record, now, formats, running, consent=_consent_text(record, consents, formats))
        for record in sessions
    ]
    so_far = course(sessions, now)
    course_text = so_far.summary
    if so_far.sessions_done and so_far.sessions_done >= so_far.planned:
        course_text += "; the course is complete"
    elif so_far.earliest_next:
        course_text += f"; next session not before {formats.date(so_far.earliest_next)}"
    title = "Patient history"
    html = render(
        "patient_history.html.j2",
        clinic=clinic,
        patient=patient,
        details=[(field.label, value) for field in _DETAILS if (value := getattr(patient, field.id))],
        course_text=course_text,
        lines=[
            {
                "day": line.day,
                "number": line.number,
                "status": SESSION_STATUS_WORDS[line.status],
                "operator": line.operator,
                "settings": line.settings,
            }
            for line in lines
        ],
        changes=[change_line(change, formats.date_time) for change in history.changes],
        sessions=[
            (view, planned_at(record, _earlier(record, sessions), now), local_today(record.started_at))
            for view, record in zip(views, sessions, strict=True)
        ],
        show_date=formats.date,
        key=initials_key(views, team),
        photos=photos,
    )
    file_name = f"history-{patient.clinic_number}.pdf"
    return _document(DocumentKind.PATIENT_HISTORY, title, patient, None, html, file_name, clinic, formats)


def consent_document(
    consent: SignedConsent,
    patient: Patient,
    clinic: ClinicDetails,
    formats: LocalFormats,
    session_number: int | None = None,
) -> PrintDocument:
    """A signed consent as its own document: the form's text as signed, the signature drawn from its
    stored image, the photo answer, the witness, the time, the digest; a withdrawal at the top.
    `session_number`: the session at whose sign-in it was signed, if any."""
    title = f"Signed consent, form version {consent.form_version}"
    html = render(
        "consent.html.j2",
        clinic=clinic,
        consent=consent,
        patient=patient,
        session_number=session_number,
        signature=signature_picture(consent.svg),
        digest=" ".join(consent.digest[start : start + 8] for start in range(0, len(consent.digest), 8)),
        show_date=formats.date,
        show_time=formats.date_time,
    )
    stamp = local_today(consent.signed_at).strftime("%Y%m%d")  # the clinic's day, not UTC's
    file_name = f"consent-{patient.clinic_number}-{stamp}-{consent.id}.pdf"
    return _document(
        DocumentKind.CONSENT, title, patient, consent.session_id, html, file_name, clinic, formats
    )


def document_for(
    desk: Desk,
    kind: DocumentKind,
    subject_id: int,
    now: datetime,
    formats: LocalFormats,
    photos_seen_by: int | None = None,
) -> PrintDocument:
    """Read what `kind` needs from the store and build it: `subject_id` is the session's ID, the
    patient's for a history, the consent's for a consent. A history has its photos when
    `photos_seen_by` (a member of staff) asks for them, which the audit trail records as her look at
    them. Raises ActionRefused (unknown session, no laser pass) or StoreUnavailable."""
    clinic = desk.clinic.clinic_details()
    if kind is DocumentKind.CONSENT:
        consent = desk.consents.consent(subject_id)
        number = desk.sessions.session(consent.session_id).session_number if consent.session_id else None
        return consent_document(consent, desk.patients.patient(consent.patient_id), clinic, formats, number)
    team = [member for member, _, _ in desk.accounts.list_all_staff()]  # who left still has initials on paper
    if kind is DocumentKind.PATIENT_HISTORY:
        history = desk.sessions.patient_history(subject_id)
        consents = {record.id: desk.consents.consent_for_session(record.id) for record in history.sessions}
        photos = None
        if photos_seen_by is not None and (infos := desk.photos.photos_of_patient(subject_id)):
            thumbnails = desk.photos.open_thumbnails([info.id for info in infos], photos_seen_by)
            photos = printed_photos(infos, thumbnails)
        return history_document(
            history, clinic, now, formats, desk.procedure, team=team, consents=consents, photos=photos
        )
    record = desk.sessions.session(subject_id)
    if kind is DocumentKind.SESSION_RECORD:
        sessions = desk.sessions.patient_history(record.patient.id).sessions
        covered = {record.id: desk.consents.consent_for_session(record.id)}
        return session_record_document(
            record, sessions, clinic, now, formats, desk.procedure, team=team, consents=covered
        )
    return aftercare_document(record, clinic, now, formats)
