"""The signed consent as its own PDF, and the session record saying which consent covers it (issue 21),
read back from the PDF as a reader of the paper would. Built and printed once for the module."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PySide6.QtWidgets import QApplication

from desk_app.domain.clinic import DocumentKind
from desk_app.domain.consent import SignedConsent
from desk_app.domain.errors import DomainError
from desk_app.reports.documents import document_for
from desk_app.reports.signature_image import signature_picture
from desk_app.store.demo_signatures import scribble
from desk_app.ui.formatting import LOCAL_FORMATS
from tests.reports.sessions import Printed, open_clinic, to_pdf, treat
from tests.support.people import PIN

pytestmark = pytest.mark.xdist_group("consent pdf")

WITHDRAWAL = "Wants to think about it over the summer"


@dataclass(frozen=True)
class Consents:
    signed: SignedConsent
    signed_pdf: Printed
    withdrawn: SignedConsent
    withdrawn_pdf: Printed
    covered_record: Printed  # a session signed at its sign-in
    uncovered_record: Printed  # a session of a patient who never signed in the app
    history: Printed  # the signed patient's history


@pytest.fixture(scope="session")
def consents(qapp: QApplication, tmp_path_factory: pytest.TempPathFactory) -> Consents:
    clinic = open_clinic(tmp_path_factory.mktemp("consents") / "desk.sqlite3")
    desk, clock, nurse = clinic.desk, clinic.clock, clinic.nurse
    version = desk.consents.current_form().version
    zoe = clinic.register("Zoë", "O'Brien", "1990-02-03", "AZ-0001")
    session = desk.sessions.start_session(zoe.id, nurse.id)
    signed = desk.consents.sign(zoe.id, session.id, version, scribble(3), False, nurse.id, PIN)
    desk.sessions.abort(session.id, "Patient felt faint; rebooked", nurse.id)
    clock.advance(days=1)
    sam = clinic.register("Sam", "Lee", "1985-06-07", "AZ-0002")
    first = desk.consents.sign(sam.id, None, version, scribble(8), True, nurse.id, PIN)
    clock.advance(hours=1)
    withdrawn = desk.consents.withdraw(first.id, WITHDRAWAL, clinic.clinician.id)
    never = clinic.register("Nia", "Jones", "1979-01-01", "AZ-0003")
    uncovered = treat(clinic, never)
    now = clock.now()

    def printed(kind: DocumentKind, subject_id: int) -> Printed:
        return to_pdf(document_for(desk, kind, subject_id, now, LOCAL_FORMATS), now)

    built = Consents(
        signed=signed,
        signed_pdf=printed(DocumentKind.CONSENT, signed.id),
        withdrawn=withdrawn,
        withdrawn_pdf=printed(DocumentKind.CONSENT, withdrawn.id),
        covered_record=printed(DocumentKind.SESSION_RECORD, session.id),
        uncovered_record=printed(DocumentKind.SESSION_RECORD, uncovered.id),
        history=printed(DocumentKind.PATIENT_HISTORY, zoe.id),
    )
    clinic.close()
    return built


def test_the_consent_prints_the_form_the_answers_the_witness_and_the_digest(consents: Consents) -> None:
    consent, printed = consents.signed, consents.signed_pdf
    text = printed.text
    assert printed.document.kind is DocumentKind.CONSENT
    assert printed.document.file_name.startswith("consent-AZ-0001-")
    for told in (
        consent.form_title,
        f"version {consent.form_version}",
        "Zoë O'Brien",
        "AZ-0001",
        "eye shields",
    ):
        assert told in text
    assert "at the sign-in of session 1" in text
    assert "Refused: no clinical photographs are taken" in text
    assert "Printed name: Ann Nurse" in text and "Witnessed with their PIN at" in text
    assert consent.digest in text.replace(" ", "")
    assert "WITHDRAWN" not in text
    assert all("Zoë O'Brien" in page for page in printed.texts)  # a loose page is never misfiled


def test_the_signature_is_drawn_on_the_page(consents: Consents) -> None:
    assert b"/Subtype /Image" in consents.signed_pdf.data or b"/Subtype/Image" in consents.signed_pdf.data


def test_a_withdrawn_consent_says_so_at_the_top(consents: Consents) -> None:
    consent, text = consents.withdrawn, consents.withdrawn_pdf.text
    withdrawn_at = LOCAL_FORMATS.date_time(consent.withdrawn_at)
    assert f"WITHDRAWN on {withdrawn_at} by Dr Clive Doctor: {WITHDRAWAL}" in text
    assert text.index("WITHDRAWN") < text.index(consent.form_title)
    assert "Photographs" in text and "Agreed" in text


def test_the_session_record_says_which_consent_covers_it(consents: Consents) -> None:
    signed_at = LOCAL_FORMATS.date_time(consents.signed.signed_at)
    line = (
        f"Signed consent Form version {consents.signed.form_version}, signed {signed_at}, witnessed by "
        f"Ann Nurse; photographs refused (SHA-256 {consents.signed.digest[:16]})"
    )
    assert line in consents.covered_record.text
    assert line in consents.history.text
    assert "Signed consent None signed in the app for this session" in consents.uncovered_record.text


@pytest.mark.parametrize("svg", ["<svg", "not an image", '<svg xmlns="http://www.w3.org/2000/svg"/>'])
def test_a_signature_image_changed_outside_the_app_is_a_clear_message(svg: str) -> None:
    with pytest.raises(DomainError, match="The stored signature image cannot be drawn"):
        signature_picture(svg)


def test_the_signature_picture_keeps_the_pads_proportions() -> None:
    picture = signature_picture(scribble(2).svg())
    assert picture.url.startswith("data:image/png;base64,")
    assert (picture.width, picture.height) == (300, 100)
