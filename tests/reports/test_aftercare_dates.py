"""The patient's aftercare sheet: real calendar dates counted from the day of treatment.

The sheet gives the later end of each range from the clinic's words (red 4-5 days: red until day 5;
3-4 days before work: back on day 4; mineral make-up after 4 days; peeling 7-10 days: until day 10;
no sun for 4 weeks: day 28) and the next session no sooner than 4 weeks, listed in time order. Dates
must stay right across a month end, the UK clock change and a year end, and a laser pass just after
local midnight in summer time belongs to the next day even though it is still the day before in UTC.
The sheet says when to call the clinic and whom to call, day and night: it is refused while the
clinic's contact or out-of-hours line is empty, and its pages name the clinic, not who printed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from peewee import Database
from PySide6.QtWidgets import QApplication

from desk_app.domain.aftercare import AftercareSheet, SheetDateKind, aftercare_sheet
from desk_app.domain.clinic import ClinicDetails, checked_clinic_details
from desk_app.domain.clock import ManualClock
from desk_app.domain.dates import local_today
from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import Staff
from desk_app.domain.procedure import Aftercare, AftercareMilestone, Procedure, parse_procedure
from desk_app.domain.session import SessionRecord
from desk_app.reports.documents import aftercare_document, treatment_day
from desk_app.reports.formats import LocalFormats
from desk_app.store.desk import Desk
from desk_app.ui.formatting import LOCAL_FORMATS, local_long_date
from tests.reports.sessions import Printed, open_clinic, start_through_time_out, to_pdf, treat
from tests.support.people import administrator
from tests.support.walk import LASER, SIGN_IN, tick_all

# Its module fixture is built once: every test of the module runs in one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("aftercare dates")

# What the patient reads beside each date, in the order of the procedure file.
RED = "Red, like sunburn, until about"
WORK = "Back to work from about"
MAKE_UP = "Mineral make-up from"
PEELING = "Dry and peeling until about"
SUN = "Avoid strong sun until"
NOT_BEFORE = "Your next session: not before"
PLANNED = "Your next session is planned on or after"
# The template's words for the lines the procedure file does not word.
WORDS = {SheetDateKind.EARLIEST_NEXT_SESSION: NOT_BEFORE, SheetDateKind.PLANNED_NEXT_SESSION: PLANNED}

CONTACT = "Worried? Call Azure Medical on 0113 496 0000, 9am to 6pm, Monday to Saturday"
OUT_OF_HOURS = "When we are closed, call our on-call nurse on 0113 496 0999, or 999 in an emergency"
CLINIC = ClinicDetails(contact_line=CONTACT, out_of_hours_line=OUT_OF_HOURS)


def lines(sheet: AftercareSheet) -> list[tuple[str, date]]:
    """The dated lines as the patient reads them, top to bottom."""
    return [(line.label or WORDS[line.kind], line.day) for line in sheet.dates]


# (treated on, red until, back to work, mineral make-up, peeling until, no sun until = next not before)
CALENDAR = [
    pytest.param(
        date(2026, 11, 25),
        date(2026, 11, 30),
        date(2026, 11, 29),
        date(2026, 11, 29),
        date(2026, 12, 5),
        date(2026, 12, 23),
        id="ordinary-week",
    ),
    pytest.param(
        date(2027, 1, 28),
        date(2027, 2, 2),
        date(2027, 2, 1),
        date(2027, 2, 1),
        date(2027, 2, 7),
        date(2027, 2, 25),
        id="month-end",
    ),
    pytest.param(
        date(2026, 10, 22),  # a Thursday; the clocks go back on Sunday 25 October
        date(2026, 10, 27),
        date(2026, 10, 26),
        date(2026, 10, 26),
        date(2026, 11, 1),
        date(2026, 11, 19),
        id="uk-clock-change",
    ),
    pytest.param(
        date(2026, 12, 29),
        date(2027, 1, 3),
        date(2027, 1, 2),
        date(2027, 1, 2),
        date(2027, 1, 8),
        date(2027, 1, 26),
        id="year-end",
    ),
    pytest.param(
        date(2028, 2, 26),
        date(2028, 3, 2),
        date(2028, 3, 1),
        date(2028, 3, 1),
        date(2028, 3, 7),
        date(2028, 3, 25),
        id="leap-february",
    ),
]


@pytest.mark.parametrize(("treated", "red", "work", "make_up", "peeling", "sun"), CALENDAR)
def test_the_sheet_dates_each_milestone_from_the_day_of_treatment(
    procedure: Procedure, treated: date, red: date, work: date, make_up: date, peeling: date, sun: date
) -> None:
    assert procedure.aftercare is not None
    sheet = aftercare_sheet(procedure.aftercare, CLINIC, treated, None, treated + timedelta(days=28))
    assert sheet.treated_on == treated
    # In time order: the file lists red (day 5) before work and make-up (day 4).
    assert lines(sheet) == [
        (WORK, work),
        (MAKE_UP, make_up),
        (RED, red),
        (PEELING, peeling),
        (SUN, sun),
        (NOT_BEFORE, sun),
    ]


def test_the_planned_next_session_is_carried_onto_the_sheet(procedure: Procedure) -> None:
    assert procedure.aftercare is not None
    sheet = aftercare_sheet(
        procedure.aftercare, CLINIC, date(2026, 11, 25), date(2027, 1, 6), date(2026, 12, 23)
    )
    assert lines(sheet)[-2:] == [(NOT_BEFORE, date(2026, 12, 23)), (PLANNED, date(2027, 1, 6))]
    assert sheet.advice == procedure.aftercare.advice
    assert sheet.skin_care == procedure.aftercare.skin_care
    assert sheet.call_us_if == procedure.aftercare.call_us_if
    assert (sheet.contact_line, sheet.out_of_hours_line) == (CONTACT, OUT_OF_HOURS)
    assert sheet.title == "After your laser treatment"


def test_every_dated_line_is_in_time_order_and_a_tie_keeps_the_files_order() -> None:
    """A milestone after the earliest next session, and a next session planned before a milestone."""
    days = {"late": 40, "mid": 10, "first": 4, "second": 4}
    aftercare = Aftercare(
        "After", ("Advice",), tuple(AftercareMilestone(key, key, count) for key, count in days.items())
    )
    treated = date(2026, 11, 25)
    sheet = aftercare_sheet(
        aftercare, CLINIC, treated, treated + timedelta(days=7), treated + timedelta(days=28)
    )
    assert lines(sheet) == [
        ("first", treated + timedelta(days=4)),
        ("second", treated + timedelta(days=4)),
        (PLANNED, treated + timedelta(days=7)),  # planned sooner: no "not before" contradicts it
        ("mid", treated + timedelta(days=10)),
        ("late", treated + timedelta(days=40)),
    ]


@pytest.mark.parametrize(
    ("contact", "out_of_hours", "named"),
    [
        pytest.param(
            "", OUT_OF_HOURS, "“Contact line for patients” has no phone number", id="no-contact-line"
        ),
        pytest.param(
            CONTACT, "", "“Out-of-hours line for patients” has no phone number", id="no-out-of-hours-line"
        ),
        # Pasted text can carry characters that print as nothing.
        pytest.param(
            "\u200b",
            "\u3164",
            "“Contact line for patients” and “Out-of-hours line for patients” have no",
            id="invisible-characters",
        ),
        pytest.param(
            "",
            "",
            "“Contact line for patients” and “Out-of-hours line for patients” have no phone number",
            id="neither",
        ),
    ],
)
def test_no_sheet_while_the_clinic_has_no_line_to_call(
    procedure: Procedure, contact: str, out_of_hours: str, named: str
) -> None:
    assert procedure.aftercare is not None
    clinic = ClinicDetails(contact_line=contact, out_of_hours_line=out_of_hours)
    with pytest.raises(ActionRefused) as refused:
        aftercare_sheet(procedure.aftercare, clinic, date(2026, 11, 25), None, date(2026, 12, 23))
    message = str(refused.value)
    assert named in message
    assert "under Clinic details" in message and "Nothing was printed" in message


# --- sessions walked through the Desk, and their printed sheets ------------------------------------


@dataclass(frozen=True)
class Sheets:
    """Records and printed sheets for sessions treated on chosen days; built once for the module."""

    month_end: tuple[SessionRecord, Printed]
    clock_change: tuple[SessionRecord, Printed]
    year_end: tuple[SessionRecord, Printed]
    after_midnight: tuple[SessionRecord, Printed]
    not_signed_out: tuple[SessionRecord, Printed]
    course_end: tuple[SessionRecord, Printed]  # session 3 of 3: the course is complete
    extended: tuple[SessionRecord, Printed]  # session 3 of 3, the course extended to 4 there
    stopped: SessionRecord
    no_pass_yet: SessionRecord
    now: datetime


MONTH_END_NEXT = date(2027, 3, 4)
EXTENDED = "Deep scars half improved after 3 sessions; a fourth agreed with the patient"
LAST_SESSION = "This was the last planned session of your course of treatment."


@pytest.fixture(scope="session")  # once a worker: its tests may run between other modules'
def sheets(qapp: QApplication, tmp_path_factory: pytest.TempPathFactory) -> Sheets:
    clinic = open_clinic(tmp_path_factory.mktemp("aftercare") / "desk.sqlite3")
    desk, clock = clinic.desk, clinic.clock
    typed = checked_clinic_details("Azure Medical", "", CONTACT, "A4", out_of_hours_line=OUT_OF_HOURS)
    details = desk.clinic.update_clinic_details(typed, administrator(desk).id)

    def treated(
        given: str, number: str, start: datetime, earlier: int = 0, **options: object
    ) -> tuple[SessionRecord, Printed]:
        """The patient's session at `start`, after `earlier` sessions 5 weeks apart before it."""
        clock.set(start - timedelta(weeks=5 * earlier))
        patient = clinic.register(given, "Okoye", "1993-04-06", number)
        for weeks_before in range(5 * earlier, 0, -5):
            clock.set(start - timedelta(weeks=weeks_before))
            treat(clinic, patient)
        clock.set(start)
        record = treat(clinic, patient, **options)  # type: ignore[arg-type]
        return record, to_pdf(aftercare_document(record, details, clock.now(), LOCAL_FORMATS), clock.now())

    try:
        month_end = treated(
            "Amara", "AZ-02001", datetime(2027, 1, 28, 10, 0, tzinfo=UTC), next_date=MONTH_END_NEXT
        )
        clock_change = treated("Bea", "AZ-02002", datetime(2026, 10, 22, 9, 0, tzinfo=UTC))
        year_end = treated("Cara", "AZ-02003", datetime(2026, 12, 29, 14, 0, tzinfo=UTC))
        # Started at 23:00 BST on Saturday 24 October; the first laser pass at 00:30 BST on Sunday 25th.
        after_midnight = treated(
            "Dora",
            "AZ-02004",
            datetime(2026, 10, 24, 22, 0, tzinfo=UTC),
            laser_at=datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
        )
        not_signed_out = treated("Edna", "AZ-02005", datetime(2026, 11, 25, 9, 0, tzinfo=UTC), sign_out=False)
        course_end = treated("Ines", "AZ-02008", datetime(2027, 2, 3, 9, 0, tzinfo=UTC), 2, ends_course=True)
        extended = treated(
            "Jade",
            "AZ-02009",
            datetime(2027, 2, 4, 9, 0, tzinfo=UTC),
            2,
            planned=4,
            extension_reason=EXTENDED,
        )

        clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
        fay = clinic.register("Fay", "Okoye", "1993-04-06", "AZ-02006")
        session = desk.sessions.start_session(fay.id, clinic.nurse.id)
        tick_all(desk, session.id, SIGN_IN, clinic.nurse.id)
        stopped = desk.sessions.abort(
            session.id, "Patient felt faint before the gel; rebooked", clinic.nurse.id
        )
        gwen = clinic.register("Gwen", "Okoye", "1993-04-06", "AZ-02007")
        no_pass_yet = desk.sessions.start_session(gwen.id, clinic.nurse.id)
        return Sheets(
            month_end=month_end,
            clock_change=clock_change,
            year_end=year_end,
            after_midnight=after_midnight,
            not_signed_out=not_signed_out,
            course_end=course_end,
            extended=extended,
            stopped=stopped,
            no_pass_yet=no_pass_yet,
            now=clock.now(),
        )
    finally:
        clinic.close()


def expected_lines(treated: date) -> list[str]:
    """What the sheet should say, top to bottom: each line's date is its number of days after the
    treatment day, and the lines are in time order."""
    long = local_long_date
    return [
        f"Your treatment was on {long(treated)}",
        f"{WORK} {long(treated + timedelta(days=4))}",
        f"{MAKE_UP} {long(treated + timedelta(days=4))}",
        f"{RED} {long(treated + timedelta(days=5))}",
        f"{PEELING} {long(treated + timedelta(days=10))}",
        f"{SUN} {long(treated + timedelta(days=28))}",
        f"{NOT_BEFORE} {long(treated + timedelta(days=28))}",
    ]


@pytest.mark.parametrize(
    ("which", "treated"),
    [
        pytest.param("month_end", date(2027, 1, 28), id="month-end"),
        pytest.param("clock_change", date(2026, 10, 22), id="uk-clock-change"),
        pytest.param("year_end", date(2026, 12, 29), id="year-end"),
        pytest.param("after_midnight", date(2026, 10, 25), id="pass-after-local-midnight"),
    ],
)
def test_the_printed_sheet_gives_real_dates_in_the_long_format(
    sheets: Sheets, which: str, treated: date
) -> None:
    record, printed = getattr(sheets, which)
    assert treatment_day(record, sheets.now) == treated
    where = [printed.text.find(line) for line in expected_lines(treated)]
    assert -1 not in where, expected_lines(treated)[where.index(-1)]
    assert where == sorted(where), "the dates are not in time order"


def test_month_end_dates_read_as_a_patient_expects(sheets: Sheets, formats: LocalFormats) -> None:
    """One case spelled out: treated Thursday 28 January 2027, red until Tuesday 2 February."""
    text = sheets.month_end[1].text
    assert f"{RED} {formats.long_date(date(2027, 2, 2))}" in text
    assert "2 February 2027" in formats.long_date(date(2027, 2, 2))
    assert f"{PLANNED} {formats.long_date(MONTH_END_NEXT)}" in text


def test_a_laser_pass_after_local_midnight_belongs_to_the_next_day(sheets: Sheets) -> None:
    record, printed = sheets.after_midnight
    # In UTC the pass was on the 24th, and the session started (locally) on the 24th too.
    assert local_today(record.started_at) == date(2026, 10, 24)
    assert treatment_day(record, sheets.now) == date(2026, 10, 25)
    assert f"Your treatment was on {local_long_date(date(2026, 10, 25))}" in printed.text
    assert f"{RED} {local_long_date(date(2026, 10, 30))}" in printed.text


def test_the_sheet_names_the_patient_and_gives_the_advice(sheets: Sheets, formats: LocalFormats) -> None:
    record, printed = sheets.clock_change
    born = formats.date(date(1993, 4, 6))
    # (pypdf puts a space after the bold name: "For Bea Okoye , born ...")
    assert "For Bea Okoye" in printed.text
    assert f"born {born}, clinic number AZ-02002" in printed.text
    assert "(session 1)" in printed.text
    aftercare = record.procedure.aftercare
    assert aftercare is not None
    for paragraph in aftercare.advice + aftercare.skin_care:
        assert paragraph in printed.text
    assert "After your laser treatment" in printed.text
    assert "What to expect Your face" in printed.text and "Looking after your skin" in printed.text
    assert "sunscreen" in printed.text and "Do not pick" in printed.text


def test_the_sheet_says_when_to_call_us_and_whom_to_call_day_and_night(sheets: Sheets) -> None:
    record, printed = sheets.month_end
    assert record.procedure.aftercare is not None
    text = printed.text
    box = text[text.index("When to call us") :]
    for sign in record.procedure.aftercare.call_us_if:
        assert sign in box
    for sign in ("fever", "spreads", "Pus", "Blisters", "Severe pain", "Cold sores", "near your eyes"):
        assert sign in box
    assert box.index(CONTACT) < box.index(OUT_OF_HOURS)


def test_every_sheet_page_names_the_clinic_not_who_printed_it(sheets: Sheets) -> None:
    """A patient's handout: the foot of each page names the clinic; the print log keeps who printed it."""
    printed = sheets.month_end[1]
    assert printed.footer.startswith("From Azure Medical · printed ")
    for text in printed.texts:
        assert printed.footer in text
        assert "Printed by" not in text


def test_the_planned_next_session_appears_only_when_one_was_recorded(sheets: Sheets) -> None:
    assert PLANNED in sheets.month_end[1].text
    record, printed = sheets.not_signed_out  # printed in the laser room, before the plan is ticked
    assert PLANNED not in printed.text
    assert f"{NOT_BEFORE} {local_long_date(date(2026, 11, 25) + timedelta(days=28))}" in printed.text


def test_a_session_is_refused_its_sheet_while_the_clinic_has_no_contact_line(sheets: Sheets) -> None:
    record = sheets.year_end[0]
    without = ClinicDetails(out_of_hours_line=OUT_OF_HOURS)
    with pytest.raises(
        ActionRefused, match="“Contact line for patients” has no phone number.*under Clinic details"
    ):
        aftercare_document(record, without, sheets.now, LOCAL_FORMATS)


def test_every_sheet_page_names_the_patient_and_counts_pages(sheets: Sheets, formats: LocalFormats) -> None:
    printed = sheets.year_end[1]
    born = formats.date(date(1993, 4, 6))
    assert printed.pages == len(printed.texts)
    for number, text in enumerate(printed.texts, start=1):
        assert f"Cara Okoye · born {born} · AZ-02003" in text
        assert f"Page {number} of {printed.pages}" in text


@pytest.mark.parametrize("which", ["stopped", "no_pass_yet"])
def test_no_sheet_for_a_session_without_a_laser_pass(sheets: Sheets, which: str) -> None:
    record = getattr(sheets, which)
    with pytest.raises(ActionRefused, match="has no laser pass recorded") as refused:
        aftercare_document(record, CLINIC, sheets.now, LOCAL_FORMATS)
    assert record.patient.full_name in str(refused.value)


def test_a_session_run_under_a_version_without_the_sheet_is_refused_clearly(
    db: Database, desk: Desk, procedure: Procedure, clock: ManualClock, nurse: Staff
) -> None:
    """Version 1.1 had no [aftercare]; its records still open, and asking for a sheet says why not."""
    cut = procedure.source.index("\n[aftercare]\n")
    old_text = procedure.source[:cut].replace(f'version = "{procedure.version}"', 'version = "1.1"', 1)
    old = parse_procedure(old_text, "stored laser-acne-scarring version 1.1", authoring=False)
    assert old.aftercare is None
    then = Desk(db, old, clock)
    patient = then.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-01012", nurse.id)
    session = start_through_time_out(then, clock, patient.id, nurse)
    tick_all(then, session.id, {"fractional_pass": LASER["fractional_pass"]}, nurse.id)

    record = desk.sessions.session(session.id)  # read back by today's app, on the current procedure
    assert record.procedure.version == "1.1"
    assert treatment_day(record, clock.now()) == date(2026, 11, 25)  # the laser was used
    with pytest.raises(ActionRefused, match="version 1.1, which has no aftercare sheet"):
        aftercare_document(record, desk.clinic.clinic_details(), clock.now(), LOCAL_FORMATS)


def test_a_session_run_under_a_version_before_the_signs_prints_its_own_words(
    db: Database, desk: Desk, procedure: Procedure, clock: ManualClock, nurse: Staff
) -> None:
    """Version 1.3's sheet had no signs or skin care: it prints as written, still with whom to call."""
    lists = re.compile(r"^(skin_care|call_us_if) = \[\n.*?\n\]\n", flags=re.DOTALL | re.MULTILINE)
    old_text = lists.sub("", procedure.source).replace(
        f'version = "{procedure.version}"', 'version = "1.3"', 1
    )
    old = parse_procedure(old_text, "stored laser-acne-scarring version 1.3", authoring=False)
    assert old.aftercare is not None and old.aftercare.call_us_if == ()
    then = Desk(db, old, clock)
    patient = then.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-01012", nurse.id)
    session = start_through_time_out(then, clock, patient.id, nurse)
    tick_all(then, session.id, {"fractional_pass": LASER["fractional_pass"]}, nurse.id)

    sheet = aftercare_document(desk.sessions.session(session.id), CLINIC, clock.now(), LOCAL_FORMATS)
    printed = to_pdf(sheet, clock.now())
    assert "What to expect, and what to do" in printed.text
    assert "Looking after your skin" not in printed.text
    assert "When to call us Call us with any question or worry about your skin." in printed.text
    assert CONTACT in printed.text and OUT_OF_HOURS in printed.text


# --- the course's end (procedure 1.5, issue 16) -----------------------------------------------------


def test_the_sheet_of_session_three_of_three_gives_no_next_session(sheets: Sheets) -> None:
    record, printed = sheets.course_end
    assert record.session_number == 3
    text = printed.text
    assert NOT_BEFORE not in text and PLANNED not in text
    assert LAST_SESSION in text
    # The rest of the sheet is as ever, the sun's 4 weeks included.
    treated = treatment_day(record, sheets.now)
    assert f"{SUN} {local_long_date(treated + timedelta(days=28))}" in text


def test_a_course_extended_at_its_last_planned_session_keeps_the_next_session(sheets: Sheets) -> None:
    record, printed = sheets.extended
    assert record.session_number == 3
    treated = treatment_day(record, sheets.now)
    assert f"{NOT_BEFORE} {local_long_date(treated + timedelta(days=28))}" in printed.text
    assert f"{PLANNED} {local_long_date(treated + timedelta(weeks=5))}" in printed.text
    assert LAST_SESSION not in printed.text


def test_only_the_courses_last_session_says_so(sheets: Sheets) -> None:
    for which in ("month_end", "clock_change", "year_end", "after_midnight", "not_signed_out"):
        assert LAST_SESSION not in getattr(sheets, which)[1].text
