"""The printed session record, read back from the PDF as an inspector would read the paper.

Sessions are walked through the Desk (tests.reports.sessions), so the record shows what the app stored:
both identifiers, the course, both laser passes, the override and who made it, adverse events, notes,
an amendment made after sign-out, the operator's signature, and on every page who the patient is,
who printed it and which page of how many it is. Everything is built and printed once for the module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from PySide6.QtWidgets import QApplication

from desk_app.domain.clinic import checked_clinic_details
from desk_app.domain.session import EventKind, SessionRecord
from desk_app.reports.documents import session_record_document
from desk_app.reports.formats import LocalFormats
from desk_app.ui.formatting import LOCAL_FORMATS
from tests.reports.pdf_text import page_sizes
from tests.reports.sessions import (
    ADVERSE_REASON,
    BLISTER,
    EARLY_REASON,
    NOTE,
    OVERRIDE_REASON,
    PRINTED_BY,
    UNPAINTED_REASON,
    Clinic,
    Printed,
    everyone,
    open_clinic,
    to_pdf,
    treat,
)
from tests.support.people import administrator
from tests.support.walk import SIGN_IN, tick_all

# Its module fixture is built once: every test of the module runs in one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("session record pdf")

AMENDMENT = "Cool air was declined, not accepted: the patient said so at the door"
AMEND_REASON = "Nurse typed the wrong answer during the time-out"
ABORT_REASON = "Patient felt faint before the gel; rebooked"
LONG_GIVEN = "Anna-Maria Josefina Magdalena Victoria"
LONG_FAMILY = "Fitzwilliam-Montgomery-Llewellyn-Harrington"
LONG_CLINIC = "Azure Medical Laser and Skin Clinic at the Royal Parade Consulting Rooms, Leeds"


@dataclass(frozen=True)
class Records:
    amended: SessionRecord
    printed: Printed  # the amended record, on the clinic's default paper (A4)
    on_letter: Printed  # the same record after the manager chose Letter
    adverse: tuple[SessionRecord, Printed]
    stopped: tuple[SessionRecord, Printed]
    first_of_two: Printed
    second_of_two: Printed
    summer: Printed
    long_header: Printed  # a long name and a long clinic name on a new session
    unpainted: tuple[SessionRecord, Printed]  # a full-beam pass on the chin, painted without gel
    early: tuple[SessionRecord, Printed]  # 3 weeks after the last session, overridden (issue 16)
    course_end: tuple[SessionRecord, Printed]  # session 3 of 3: the course is complete


def print_record(clinic: Clinic, record: SessionRecord) -> Printed:
    sessions = clinic.desk.sessions.patient_history(record.patient.id).sessions
    now = clinic.clock.now()
    document = session_record_document(
        record, sessions, clinic.desk.clinic.clinic_details(), now, LOCAL_FORMATS, team=everyone(clinic.desk)
    )
    return to_pdf(document, now)


@pytest.fixture(scope="session")  # once a worker: its tests may run between other modules'
def records(qapp: QApplication, tmp_path_factory: pytest.TempPathFactory) -> Records:
    clinic = open_clinic(tmp_path_factory.mktemp("records") / "desk.sqlite3")
    desk, clock = clinic.desk, clinic.clock
    try:
        zoe = clinic.register("Zoë", "O'Brien", "1990-02-03", "AZ-01012")
        record = treat(clinic, zoe, override=True, note=NOTE)
        clock.advance(days=1)
        amended = desk.sessions.amend(record.id, None, AMENDMENT, AMEND_REASON, clinic.clinician.id)
        printed = print_record(clinic, amended)

        siân = clinic.register("Siân", "Pritchard", "1992-07-02", "AZ-01015")
        adverse = treat(clinic, siân, adverse=BLISTER)

        josé = clinic.register("José", "Nuñez", "1995-11-23", "AZ-01018")
        session = desk.sessions.start_session(josé.id, clinic.nurse.id)
        tick_all(desk, session.id, SIGN_IN, clinic.nurse.id)
        clock.advance(minutes=4)
        stopped = desk.sessions.abort(session.id, ABORT_REASON, clinic.nurse.id)

        callum = clinic.register("Callum", "McKenzie", "2004-06-21", "AZ-01021")
        first = treat(clinic, callum)
        clock.advance(weeks=5)
        second = treat(clinic, callum, planned=4)

        clock.set(datetime(2027, 7, 15, 9, 0, tzinfo=UTC))  # 10:00 in the UK, in summer time
        isla = clinic.register("Isla", "Fraser", "1996-01-12", "AZ-01024")
        summer = treat(clinic, isla)

        priya = clinic.register("Priya", "Shah", "1991-03-09", "AZ-01026")
        unpainted = treat(clinic, priya, beam_areas=("Cheeks", "Chin"))

        ffion = clinic.register("Ffion", "Llewellyn", "2003-10-03", "AZ-01042")
        treat(clinic, ffion)
        clock.advance(weeks=3)
        early = treat(clinic, ffion, early=True)
        clock.advance(weeks=5)
        course_end = treat(clinic, ffion, ends_course=True)

        on_a4 = {
            "printed": printed,
            "adverse": (adverse, print_record(clinic, adverse)),
            "stopped": (stopped, print_record(clinic, stopped)),
            "first_of_two": print_record(clinic, first),
            "second_of_two": print_record(clinic, second),
            "summer": print_record(clinic, summer),
            "unpainted": (unpainted, print_record(clinic, unpainted)),
            "early": (early, print_record(clinic, early)),
            "course_end": (course_end, print_record(clinic, course_end)),
        }
        letter = checked_clinic_details("Azure Medical", "", "", "Letter")
        desk.clinic.update_clinic_details(letter, administrator(desk).id)
        on_letter = print_record(clinic, amended)

        long = checked_clinic_details(LONG_CLINIC, "", "", "A4")
        desk.clinic.update_clinic_details(long, administrator(desk).id)
        ruairí = clinic.register(LONG_GIVEN, LONG_FAMILY, "1988-04-24", "AZ-01027")
        just_started = desk.sessions.start_session(ruairí.id, clinic.nurse.id)
        long_header = print_record(clinic, just_started)
        return Records(amended=amended, on_letter=on_letter, long_header=long_header, **on_a4)
    finally:
        clinic.close()


def event_time(record: SessionRecord, kind: EventKind, item_id: str | None = None) -> str:
    event = next(e for e in record.events if e.kind is kind and (item_id is None or e.item_id == item_id))
    return LOCAL_FORMATS.date_time(event.at)


def test_the_record_names_the_patient_by_two_identifiers(records: Records, formats: LocalFormats) -> None:
    text = records.printed.text
    assert "Patient Zoë O'Brien" in text
    assert f"Date of birth {formats.date(date(1990, 2, 3))}" in text
    assert "Clinic number AZ-01012" in text


def test_the_record_says_which_session_of_the_course_and_which_procedure_version(records: Records) -> None:
    text = records.printed.text
    assert "Session 1 of 3 planned" in text
    procedure = records.amended.procedure
    assert procedure.version == "1.5"
    assert f"Procedure {procedure.title}, version 1.5" in text
    assert "Status Signed out and locked" in text


def test_both_laser_passes_are_printed_with_their_settings(records: Records) -> None:
    text = records.printed.text
    fractional = text[text.index("Fractional pass") : text.index("Full-beam pass")]
    laser = "Laser device: Fotona SP Dynamis (serial SP-TEST-1)"
    for shown in (laser, "Energy per pulse: 40", "mJ", "Density: 20 %", "Passes: 2"):
        assert shown in fractional
    assert "Areas treated: Forehead, Cheeks" in fractional
    full_beam = text[text.index("Full-beam pass") : text.index("Immediate skin response")]
    for shown in (laser, "Beam width: 7 mm", "Fluence: 5.5 J/cm2", "Passes: 1", "Areas treated: Cheeks"):
        assert shown in full_beam
    eyewear = text[text.index("Laser chosen; staff eyewear") : text.index("Cool air blower offered")]
    assert f'{laser}; eyewear EN 207 "D 2940 LB5"' in eyewear


def test_the_override_is_printed_with_its_reason_and_the_clinicians_name(records: Records) -> None:
    at = event_time(records.amended, EventKind.OVERRIDE)
    text = records.printed.text
    skin_type = "Fitzpatrick skin type and test patch"
    assert f"Overrides: {skin_type}: Dr Clive Doctor, clinician, at {at}: {OVERRIDE_REASON}" in text
    # Beside the item too, saying who typed it in at the desk.
    assert f"Dr Clive Doctor, clinician, overrode it (entered by Ann Nurse): {OVERRIDE_REASON}" in text


def test_a_pass_on_an_area_without_gel_prints_its_flag_beside_it_and_the_override(records: Records) -> None:
    record, printed = records.unpainted
    at = event_time(record, EventKind.OVERRIDE, "full_beam_pass")
    text = printed.text
    full_beam = text[text.index("Full-beam pass") : text.index("Immediate skin response")]
    assert "Risk: Not painted with gel: Chin" in full_beam
    assert "Areas treated: Cheeks, Chin" in full_beam
    override = f"Full-beam pass, 7 mm beam: Dr Clive Doctor, clinician, at {at}: {UNPAINTED_REASON}"
    assert f"Overrides: {override}" in text


def test_no_adverse_events_is_stated_not_left_blank(records: Records) -> None:
    assert "Adverse events: None" in records.printed.text


def test_an_adverse_event_is_printed_with_its_description_and_the_clinicians_review(records: Records) -> None:
    record, printed = records.adverse
    assert (
        f"Adverse events: Yes (describe below); Description: {BLISTER}; Kind of event: Blistering; "
        "Severity: Mild; Action taken: Cooled, dressed, aftercare repeated; Follow-up: Follow-up needed"
    ) in printed.text
    assert "Adverse events: None" not in printed.text
    at = event_time(record, EventKind.OVERRIDE, "adverse_events")
    assert f"Overrides: Adverse events: Dr Clive Doctor, clinician, at {at}: {ADVERSE_REASON}" in printed.text


def test_notes_the_amendment_and_the_operators_sign_out_are_printed(records: Records) -> None:
    record, text = records.amended, records.printed.text
    assert f"Notes on the session Ann Nurse at {event_time(record, EventKind.NOTE)}: {NOTE}" in text
    amended_at = event_time(record, EventKind.AMENDMENT)
    assert (
        f"Amendments to the session AMENDMENT {amended_at} by Dr Clive Doctor: {AMENDMENT} "
        f"(why: {AMEND_REASON})" in text
    )
    signed = event_time(record, EventKind.TICK, "operator_sign_out")
    assert signed != amended_at
    # After the amendments: who signed and when (the signature's own wording: test_alerts_and_signatures_pdf).
    signing = text[text.index("Amendments to the session") :]
    assert "Ann Nurse" in signing and signed in signing and "The record is locked." in signing
    # The original answer stays beside the amendment, never replaced by it.
    assert "Cool air blower: Accepted" in text


def test_every_page_has_the_running_header_the_printed_by_footer_and_page_n_of_m(
    records: Records, formats: LocalFormats
) -> None:
    printed = records.printed
    pages = len(printed.texts)
    assert pages >= 2, "the record should run to more than one page for this test to mean anything"
    assert printed.pages == pages
    born = formats.date(date(1990, 2, 3))
    header = printed.document.running_header
    assert f"Zoë O'Brien · born {born} · AZ-01012" in header
    assert "Session record, session 1" in header and "Azure Medical" in header
    assert printed.footer.startswith(f"Printed by {PRINTED_BY} on ")
    for number, text in enumerate(printed.texts, start=1):
        assert header in text, f"page {number}"
        assert printed.footer in text, f"page {number}"
        assert f"Page {number} of {pages}" in text
        assert text.count("Page ") == 1, f"page {number}"


def test_a_header_too_long_for_the_page_keeps_both_identifiers(
    records: Records, formats: LocalFormats
) -> None:
    printed = records.long_header
    assert printed.texts
    born = formats.date(date(1988, 4, 24))
    identifiers = f"{LONG_GIVEN} {LONG_FAMILY} · born {born} · AZ-01027 · "
    assert printed.document.running_header.startswith(identifiers)
    for text in printed.texts:
        assert identifiers in text
        # Shortened at its end (the ellipsis reads as '...' after NFKC), never at the identifiers.
        assert printed.document.running_header not in text
        assert "..." in text[text.index(identifiers) :]


def test_a_stopped_session_prints_why_and_that_nobody_signed_it_out(records: Records) -> None:
    record, printed = records.stopped
    stopped = event_time(record, EventKind.ABORT)
    assert f"Treatment stopped by Ann Nurse at {stopped}: {ABORT_REASON}" in printed.text
    assert "Not signed out by an operator." in printed.text
    assert "Adverse events: Not recorded" in printed.text
    assert "The record is locked." not in printed.text


def test_each_session_shows_its_own_place_in_the_course(records: Records) -> None:
    assert "Session 2 of 4 planned" in records.second_of_two.text
    # The first record keeps the plan it recorded.
    assert "1 of 3 planned" in records.first_of_two.document.html


def test_summer_times_are_printed_in_uk_local_time(records: Records, formats: LocalFormats) -> None:
    assert f"Started {formats.date(date(2027, 7, 15))} 10:00 by Ann Nurse" in records.summer.text


def test_the_clinics_paper_size_sets_the_pdf_page_size(records: Records) -> None:
    a4 = page_sizes(records.printed.data)
    letter = page_sizes(records.on_letter.data)
    assert len(a4) == records.printed.pages and len(letter) == records.on_letter.pages
    for width, height in a4:
        assert (width, height) == (pytest.approx(595.3, abs=1), pytest.approx(841.9, abs=1))
    for width, height in letter:
        assert (width, height) == (pytest.approx(612, abs=1), pytest.approx(792, abs=1))


# --- the course rules of procedure 1.5 (issue 16) ---------------------------------------------------


def between(text: str, start: str, end: str) -> str:
    """The text from `start` to the next `end` after it (the item's row, say)."""
    at = text.index(start)
    return text[at : text.index(end, at)]


def test_a_session_sooner_than_four_weeks_prints_the_flag_and_the_clinicians_reason(
    records: Records, formats: LocalFormats
) -> None:
    record, printed = records.early
    context = record.state(record.started_at).course_context
    assert context is not None and context.last_session is not None
    last, days = formats.date(context.last_session), context.days_since_last
    assert days is not None and 20 <= days <= 22
    at = event_time(record, EventKind.OVERRIDE, "course_interval")
    text = printed.text
    assert (
        f"Overrides: Time since the last session checked: Dr Clive Doctor, clinician, at {at}: {EARLY_REASON}"
        in text
    )
    interval = between(text, "Time since the last session checked Risk:", "Fitzpatrick skin type")
    assert (
        f"Risk: Sooner than 4 weeks after the last session: the last was on {last}, {days} days ago"
        in interval
    )
    assert f"Last session: {last}, {days} days before" in interval
    assert "Overridden by a clinician" in interval
    assert f"Dr Clive Doctor, clinician, overrode it (entered by Ann Nurse): {EARLY_REASON}" in interval


def test_a_session_in_time_prints_the_last_session_it_was_checked_against(records: Records) -> None:
    text = records.printed.text  # a first session
    interval = between(text, "Time since the last session checked Done", "Fitzpatrick skin type")
    assert "Last session: none, this is the first session of the course" in interval
    assert "Risk:" not in interval


def test_the_session_ending_the_course_says_the_course_is_complete_and_no_next_date(records: Records) -> None:
    record, printed = records.course_end
    assert record.session_number == 3
    text = printed.text
    assert "Session 3 of 3 planned: Course complete" in text  # in bold: pypdf reads ' ,' after it
    assert "Course complete , no next session Procedure" in text
    plan = between(text, "Next session planned", "Operator signs")
    assert "Sessions planned in the course: 3" in plan
    assert "Next session: none, the course is complete with this session" in plan
    assert "Next session on or after" not in plan


def test_a_session_before_the_courses_end_does_not_say_complete(records: Records) -> None:
    for printed in (records.printed, records.early[1], records.second_of_two):
        assert "Course complete" not in printed.text
        assert "the course is complete" not in printed.text
        assert "Next session on or after" in printed.text
