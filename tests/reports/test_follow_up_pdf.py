"""Issue 16 point 7 on paper: the session record prints each follow-up (who, when, every answer)
after the record of the day, and the structured adverse event as the item's values."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from desk_app.domain.clinic import DocumentKind
from desk_app.domain.session import EventKind
from desk_app.reports.documents import document_for
from desk_app.ui.formatting import LOCAL_FORMATS
from tests.reports.sessions import BLISTER, Printed, open_clinic, to_pdf, treat
from tests.reports.test_session_record_pdf import event_time

# Its module fixture is built once: every test of the module runs in one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("follow-up pdf")

CALL = {
    "contact": "Spoke to the patient",
    "complication": "Yes",
    "kinds": ["Infection"],
    "severity": "Moderate",
    "action": "Antibiotics from the GP; seen on Friday",
    "follow_up": "Follow-up needed",
    "note": "Crusting on the right cheek since yesterday",
}


@dataclass(frozen=True)
class Printouts:
    record: Printed
    history: Printed
    called_at: str
    called_again_at: str


@pytest.fixture(scope="session")  # once a worker: its tests may run between other modules'
def printouts(tmp_path_factory: pytest.TempPathFactory) -> Printouts:
    clinic = open_clinic(tmp_path_factory.mktemp("follow-up") / "desk.sqlite3")
    desk, clock = clinic.desk, clinic.clock
    try:
        siân = clinic.register("Siân", "Pritchard", "1992-07-02", "AZ-01015")
        record = treat(clinic, siân, adverse=BLISTER)
        clock.advance(days=2)
        desk.sessions.record_follow_up(record.id, CALL, clinic.nurse.id)
        clock.advance(hours=26)
        called = desk.sessions.record_follow_up(
            record.id, {"contact": "Seen in the clinic", "complication": "No"}, clinic.clinician.id
        )
        now = clock.now()
        return Printouts(
            record=to_pdf(
                document_for(desk, DocumentKind.SESSION_RECORD, record.id, now, LOCAL_FORMATS), now
            ),
            history=to_pdf(
                document_for(desk, DocumentKind.PATIENT_HISTORY, siân.id, now, LOCAL_FORMATS), now
            ),
            called_at=event_time(called, EventKind.FOLLOW_UP),
            called_again_at=LOCAL_FORMATS.date_time(called.events[-1].at),
        )
    finally:
        clinic.close()


def test_the_record_prints_each_follow_up_with_who_when_and_every_answer(printouts: Printouts) -> None:
    text = printouts.record.text
    assert "Follow-up after the session" in text
    assert (
        f"FOLLOW-UP {printouts.called_at} by Ann Nurse: How the contact went: Spoke to the patient; "
        "Complication: Yes; Kind of complication: Infection; Severity: Moderate; "
        "Action taken: Antibiotics from the GP; seen on Friday; Follow-up: Follow-up needed; "
        "Note: Crusting on the right cheek since yesterday"
    ) in text
    assert (
        f"FOLLOW-UP {printouts.called_again_at} by Dr Clive Doctor: How the contact went: Seen in the "
        "clinic; Complication: No"
    ) in text
    assert "AMENDMENT" not in text  # a follow-up is not an amendment of the record


def test_the_structured_adverse_event_prints_as_the_item_s_values(printouts: Printouts) -> None:
    text = printouts.record.text
    assert "Kind of event: Blistering" in text and "Severity: Mild" in text
    assert "Follow-up: Follow-up needed" in text


def test_the_history_prints_the_follow_ups_with_the_session(printouts: Printouts) -> None:
    assert f"FOLLOW-UP {printouts.called_at} by Ann Nurse" in printouts.history.text
