"""The printed patient history: the registration, one line per session, then each session in full.

A patient with three sessions (one stopped before the gel, between two signed-out ones), a changed
registration and a clinician's override; built and printed once for the module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from PySide6.QtWidgets import QApplication

from desk_app.domain.session import EventKind, SessionRecord
from desk_app.reports.documents import history_document
from desk_app.reports.formats import LocalFormats
from desk_app.ui.formatting import LOCAL_FORMATS
from tests.reports.sessions import OVERRIDE_REASON, Printed, everyone, open_clinic, to_pdf, treat
from tests.support.walk import SIGN_IN, tick_all

# Its module fixture is built once: every test of the module runs in one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("history pdf")

STOP_REASON = "Cold sore on the upper lip: rebooked after antiviral treatment"


@dataclass(frozen=True)
class History:
    sessions: list[SessionRecord]  # oldest first
    printed: Printed
    nobody: Printed  # a patient registered but never treated
    complete: Printed  # a course of 3 complete at its third session (procedure 1.5, issue 16)


@pytest.fixture(scope="session")  # once a worker: its tests may run between other modules'
def history(qapp: QApplication, tmp_path_factory: pytest.TempPathFactory) -> History:
    clinic = open_clinic(tmp_path_factory.mktemp("history") / "desk.sqlite3")
    desk, clock, nurse = clinic.desk, clinic.clock, clinic.nurse
    try:
        zoe = clinic.register("Zoë", "O'Brien", "1990-02-03", "AZ-01012")
        clock.advance(minutes=5)
        details = {"phone": "07700 900123", "email": "zoe@example.org", "allergies": "Sticking plasters"}
        desk.patients.update_patient(zoe.id, details, nurse.id)
        first = treat(clinic, zoe, fluence=4.5)
        clock.advance(weeks=5)
        session = desk.sessions.start_session(zoe.id, nurse.id)
        tick_all(desk, session.id, SIGN_IN, nurse.id)
        clock.advance(minutes=3)
        stopped = desk.sessions.abort(session.id, STOP_REASON, nurse.id)
        clock.advance(days=2)
        third = treat(clinic, zoe, fluence=5.5, override=True, planned=3)
        now = clock.now()
        printed = to_pdf(
            history_document(
                desk.sessions.patient_history(zoe.id),
                desk.clinic.clinic_details(),
                now,
                LOCAL_FORMATS,
                team=everyone(desk),
            ),
            now,
        )
        ann = clinic.register("Ann", "Smith", "1975-06-30", "AZ-01015")
        nobody = to_pdf(
            history_document(
                desk.sessions.patient_history(ann.id),
                desk.clinic.clinic_details(),
                now,
                LOCAL_FORMATS,
                team=everyone(desk),
            ),
            now,
        )
        bea = clinic.register("Bea", "Lloyd", "1988-09-12", "AZ-01018")
        for _ in range(2):
            treat(clinic, bea)
            clock.advance(weeks=5)
        treat(clinic, bea, ends_course=True)
        now = clock.now()
        complete = to_pdf(
            history_document(
                desk.sessions.patient_history(bea.id),
                desk.clinic.clinic_details(),
                now,
                LOCAL_FORMATS,
                team=everyone(desk),
            ),
            now,
        )
        return History([first, stopped, third], printed, nobody, complete)
    finally:
        clinic.close()


def day(record: SessionRecord) -> str:
    return LOCAL_FORMATS.date(record.started_at.astimezone().date())


def test_the_history_opens_with_the_registration(history: History, formats: LocalFormats) -> None:
    first_page = history.printed.texts[0]
    assert "Patient history" in first_page
    assert "Patient Zoë O'Brien" in first_page
    assert f"Date of birth {formats.date(date(1990, 2, 3))}" in first_page
    assert "Clinic number AZ-01012" in first_page
    for shown in ("Phone 07700 900123", "Email zoe@example.org", "Allergies Sticking plasters"):
        assert shown in first_page


def test_the_course_so_far_and_the_earliest_next_session(history: History, formats: LocalFormats) -> None:
    last_day = history.sessions[-1].started_at.astimezone().date()
    not_before = formats.date(last_day + timedelta(weeks=4))
    assert f"Course 2 of 3 sessions done; next session not before {not_before}" in history.printed.texts[0]


def test_a_complete_course_says_so_and_gives_no_next_session(history: History) -> None:
    first_page = history.complete.texts[0]
    assert "Course 3 of 3 sessions done; the course is complete" in first_page
    assert "not before" not in history.complete.text
    last = history.complete.text[history.complete.text.rindex("Session 3, ") :]
    assert "Session 3 of 3 planned: Course complete" in last
    assert "Next session: none, the course is complete with this session" in last
    earlier = history.complete.text[: history.complete.text.rindex("Session 3, ")]
    assert "Course complete" not in earlier


def test_one_summary_line_per_session_comes_before_the_sessions_in_full(history: History) -> None:
    text = history.printed.text
    first, stopped, third = history.sessions
    lines = [
        f"{day(first)} 1 Signed out and locked Ann Nurse Fractional pass: 40",
        f"{day(stopped)} 2 Treatment stopped Ann Nurse",
        f"{day(third)} 2 Signed out and locked Ann Nurse Fractional pass: 40",
    ]
    positions = [text.index(line) for line in lines]
    assert positions == sorted(positions)
    assert "Full-beam pass: 4.5 J/cm2" in text[positions[0] : positions[1]]
    assert "Full-beam pass: 5.5 J/cm2" in text[positions[2] : text.index("Changes to the registration")]
    assert positions[-1] < text.index(f"Session 1, {day(first)}")


def test_each_session_follows_in_full_each_on_a_new_page(history: History) -> None:
    first, stopped, third = history.sessions
    headings = [f"Session 1, {day(first)}", f"Session 2, {day(stopped)}", f"Session 2, {day(third)}"]
    starts = [
        next(number for number, text in enumerate(history.printed.texts) if text.startswith(heading))
        for heading in headings
    ]
    assert 0 < starts[0] < starts[1] < starts[2]
    text = history.printed.text
    sections = [text[text.index(heading) :] for heading in headings]
    assert "Fluence: 4.5 J/cm2" in sections[0][: sections[0].index(headings[1])]
    assert STOP_REASON in sections[1][: sections[1].index(headings[2])]
    assert "Not signed out by an operator." in sections[1][: sections[1].index(headings[2])]
    override = next(e for e in third.events if e.kind is EventKind.OVERRIDE)
    at = LOCAL_FORMATS.date_time(override.at)
    skin_type = "Fitzpatrick skin type and test patch"
    assert f"Overrides: {skin_type}: Dr Clive Doctor, clinician, at {at}: {OVERRIDE_REASON}" in sections[2]
    assert "Fluence: 5.5 J/cm2" in sections[2]
    assert "The record is locked." in sections[2]  # signed out (the wording: test_alerts_and_signatures_pdf)


def test_the_registration_changes_are_listed_with_who_and_when(history: History) -> None:
    text = history.printed.text
    assert "Changes to the registration" in text
    assert "Ann Nurse changed Phone: '' to '07700 900123'" in text
    assert "Ann Nurse changed Allergies: '' to 'Sticking plasters'" in text


def test_every_page_names_the_patient_and_says_page_n_of_m(history: History, formats: LocalFormats) -> None:
    printed = history.printed
    assert printed.pages == len(printed.texts) >= 4
    born = formats.date(date(1990, 2, 3))
    for number, text in enumerate(printed.texts, start=1):
        assert f"Zoë O'Brien · born {born} · AZ-01012" in text, f"page {number}"
        assert "Patient history" in text
        assert printed.footer in text, f"page {number}"
        assert f"Page {number} of {printed.pages}" in text


def test_a_patient_without_sessions_prints_a_one_page_history(history: History) -> None:
    printed = history.nobody
    assert printed.pages == 1
    assert "Patient Ann Smith" in printed.text
    assert "No sessions yet." in printed.text
    assert "Course 0 of 3 sessions done" in printed.text
    assert "Page 1 of 1" in printed.text
