"""Whatever a patient is called, the page prints it exactly as typed and never as markup.

Registration accepts angle brackets, ampersands and quotes (a name needs only one letter), so a patient
named <b>Zoë & "O'Brien"</b> is walked through the Desk and printed; the templates are also rendered
straight from a Patient built here, with a session log grown through the domain's own checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from PySide6.QtWidgets import QApplication

from desk_app.domain.clinic import ClinicDetails, checked_clinic_details
from desk_app.domain.clock import ManualClock
from desk_app.domain.history import PatientHistory
from desk_app.domain.people import Patient
from desk_app.domain.procedure import Procedure
from desk_app.domain.session import SessionRecord
from desk_app.reports.documents import (
    PrintDocument,
    aftercare_document,
    history_document,
    session_record_document,
)
from desk_app.reports.session_view import session_summary_html
from desk_app.ui.formatting import LOCAL_FORMATS
from tests.reports.sessions import Printed, everyone, open_clinic, to_pdf, treat
from tests.support.people import administrator
from tests.support.session_log import NURSE, Log
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, TIME_OUT

# Its module fixture is built once: every test of the module runs in one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("escaping")

GIVEN = "<b>Zoë &"
FAMILY = '"O\'Brien"</b>'
NAME = '<b>Zoë & "O\'Brien"</b>'
NOTE = "<i>not italic</i> & <table><tr><td>not a table"
CLINIC = "Azure <Medical> & Co"
CONTACT = 'Call <u>0113 496 0000</u> & ask for "Mo"'
OUT_OF_HOURS = 'Closed? Call <b>111</b> & say "laser"'


@dataclass(frozen=True)
class Escaped:
    record: Printed
    aftercare: Printed
    history: PrintDocument


@pytest.fixture(scope="session")  # once a worker: its tests may run between other modules'
def escaped(qapp: QApplication, tmp_path_factory: pytest.TempPathFactory) -> Escaped:
    clinic = open_clinic(tmp_path_factory.mktemp("escaping") / "desk.sqlite3")
    desk, clock = clinic.desk, clinic.clock
    try:
        typed = checked_clinic_details(CLINIC, "", CONTACT, "A4", out_of_hours_line=OUT_OF_HOURS)
        desk.clinic.update_clinic_details(typed, administrator(desk).id)
        patient = clinic.register(GIVEN, FAMILY, "1990-02-03", "AZ-01012")
        assert patient.full_name == NAME  # stored exactly as typed
        record = treat(clinic, patient, note=NOTE)
        details, now = desk.clinic.clinic_details(), clock.now()
        history = desk.sessions.patient_history(patient.id)
        return Escaped(
            record=to_pdf(
                session_record_document(
                    record, history.sessions, details, now, LOCAL_FORMATS, team=everyone(desk)
                ),
                now,
            ),
            aftercare=to_pdf(aftercare_document(record, details, now, LOCAL_FORMATS), now),
            history=history_document(history, details, now, LOCAL_FORMATS, team=everyone(desk)),
        )
    finally:
        clinic.close()


def test_the_name_prints_exactly_as_typed_on_the_record(escaped: Escaped) -> None:
    printed = escaped.record
    assert f"Patient {NAME}" in printed.text
    assert NOTE in printed.text
    for number, text in enumerate(printed.texts, start=1):
        assert f"{NAME} · born" in text, f"page {number}: the running header"


def test_the_name_and_clinic_details_print_exactly_on_the_aftercare_sheet(escaped: Escaped) -> None:
    text = escaped.aftercare.text
    assert NAME in text
    assert CLINIC in text
    assert CONTACT in text
    assert OUT_OF_HOURS in text
    assert f"From {CLINIC} · printed" in text  # the foot of the page, painted as plain text


@pytest.mark.parametrize("which", ["record", "aftercare", "history"])
def test_the_html_carries_the_name_escaped_never_as_markup(escaped: Escaped, which: str) -> None:
    found = getattr(escaped, which)
    html = (found if isinstance(found, PrintDocument) else found.document).html
    assert "&lt;b&gt;Zoë &amp;" in html
    assert "&lt;/b&gt;" in html
    assert "<b>Zoë" not in html
    assert "Azure &lt;Medical&gt; &amp; Co" in html
    assert "<Medical>" not in html
    if which == "aftercare":
        assert "Call &lt;b&gt;111&lt;/b&gt; &amp; say" in html and "<b>111" not in html
    else:
        assert "&lt;i&gt;not italic&lt;/i&gt;" in html
        assert "<i>not italic" not in html and "<td>not a table" not in html


# --- templates rendered from a patient built here --------------------------------------------------


@pytest.fixture
def built(procedure: Procedure, clock: ManualClock) -> SessionRecord:
    """A session of a Patient dataclass, grown through the domain's checks up to the laser passes."""
    log = Log(procedure, clock)
    log.tick_all(SIGN_IN)
    log.tick_all(ANAESTHETIC)
    clock.advance(minutes=61)
    log.tick_all(TIME_OUT)
    log.tick_all(LASER)
    log.note(None, NOTE)
    patient = Patient(
        id=7,
        given_names=GIVEN,
        family_name=FAMILY,
        date_of_birth=date(1990, 2, 3),
        clinic_number="AZ-<01012>",
        phone="07700 900123",
        allergies="<script>alert('x')</script>",
    )
    return SessionRecord(
        id=1,
        patient=patient,
        session_number=1,
        procedure=procedure,
        started_at=log.events[0].at,
        holder=NURSE,
        events=tuple(log.events),
    )


def test_every_template_escapes_a_patient_built_by_hand(built: SessionRecord, clock: ManualClock) -> None:
    clinic = ClinicDetails(name=CLINIC, contact_line=CONTACT, out_of_hours_line=OUT_OF_HOURS)
    now = clock.now()
    documents = [
        session_record_document(built, [built], clinic, now, LOCAL_FORMATS, team=[NURSE]),
        aftercare_document(built, clinic, now, LOCAL_FORMATS),
        history_document(
            PatientHistory(built.patient, (built,), ()), clinic, now, LOCAL_FORMATS, team=[NURSE]
        ),
    ]
    for document in documents:
        assert "&lt;b&gt;Zoë &amp; &#34;O&#39;Brien&#34;&lt;/b&gt;" in document.html, document.kind
        assert "AZ-&lt;01012&gt;" in document.html
        assert "<b>Zoë" not in document.html and "<01012>" not in document.html
        # The running header is painted as plain text, not parsed: it keeps the name as typed.
        assert document.running_header.startswith(f"{NAME} · born ")
    assert "&lt;script&gt;" in documents[2].html and "<script>" not in documents[2].html
    summary = session_summary_html(built, now, LOCAL_FORMATS)
    assert "&lt;b&gt;Zoë &amp;" in summary and "<b>Zoë" not in summary


def test_a_hand_built_patient_prints_exactly_as_named(built: SessionRecord, clock: ManualClock) -> None:
    clinic = ClinicDetails(contact_line=CONTACT, out_of_hours_line=OUT_OF_HOURS)
    document = aftercare_document(built, clinic, clock.now(), LOCAL_FORMATS)
    printed = to_pdf(document, clock.now())
    assert f"For {NAME}" in printed.text
    assert "clinic number AZ-<01012>" in printed.text
