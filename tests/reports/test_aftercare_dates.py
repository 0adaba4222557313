"""The patient's aftercare sheet: real calendar dates counted from the day of treatment.

The sheet gives the later end of each range from the clinic's words (red 4-5 days: red until day 5;
3-4 days before work: back on day 4; mineral make-up after 4 days; peeling 7-10 days: until day 10;
no sun for 4 weeks: day 28) and the next session no sooner than 4 weeks. Dates must stay right across
a month end, the UK clock change and a year end, and a laser pass just after local midnight in summer
time belongs to the next day even though it is still the day before in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from peewee import Database
from PySide6.QtWidgets import QApplication

from desk_app.domain.aftercare import aftercare_sheet
from desk_app.domain.clinic import ClinicDetails, checked_clinic_details
from desk_app.domain.clock import ManualClock
from desk_app.domain.dates import local_today
from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import Staff
from desk_app.domain.procedure import Procedure, parse_procedure
from desk_app.domain.session import SessionRecord
from desk_app.reports.documents import aftercare_document, treatment_day
from desk_app.reports.formats import LocalFormats
from desk_app.store.desk import Desk
from desk_app.ui.formatting import LOCAL_FORMATS, local_long_date
from tests.reports.sessions import Printed, open_clinic, start_through_time_out, to_pdf, treat
from tests.support.people import administrator
from tests.support.walk import LASER, SIGN_IN, tick_all

# What the patient reads beside each date, in the order the sheet gives them.
RED = "Red, like sunburn, until about"
WORK = "Back to work from about"
MAKE_UP = "Mineral make-up from"
PEELING = "Dry and peeling until about"
SUN = "Avoid strong sun until"
NOT_BEFORE = "Your next session: not before"
PLANNED = "Your next session is planned on or after"

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
    sheet = aftercare_sheet(procedure.aftercare, treated, None)
    assert sheet.treated_on == treated
    assert list(sheet.dates) == [(RED, red), (WORK, work), (MAKE_UP, make_up), (PEELING, peeling), (SUN, sun)]
    assert sheet.earliest_next_session == sun
    assert sheet.planned_next_session is None


def test_the_planned_next_session_is_carried_onto_the_sheet(procedure: Procedure) -> None:
    assert procedure.aftercare is not None
    sheet = aftercare_sheet(procedure.aftercare, date(2026, 11, 25), date(2027, 1, 6))
    assert sheet.planned_next_session == date(2027, 1, 6)
    assert sheet.earliest_next_session == date(2026, 12, 23)
    assert sheet.advice == procedure.aftercare.advice
    assert sheet.title == "After your laser treatment"


# --- sessions walked through the Desk, and their printed sheets ------------------------------------


@dataclass(frozen=True)
class Sheets:
    """Records and printed sheets for sessions treated on chosen days; built once for the module."""

    month_end: tuple[SessionRecord, Printed]
    clock_change: tuple[SessionRecord, Printed]
    year_end: tuple[SessionRecord, Printed]
    after_midnight: tuple[SessionRecord, Printed]
    not_signed_out: tuple[SessionRecord, Printed]
    stopped: SessionRecord
    no_pass_yet: SessionRecord
    with_contact: Printed
    now: datetime


MONTH_END_NEXT = date(2027, 3, 4)
CONTACT = "Worried? Call Azure Medical on 0113 496 0000, 9am to 6pm, Monday to Saturday"


@pytest.fixture(scope="module")
def sheets(qapp: QApplication, tmp_path_factory: pytest.TempPathFactory) -> Sheets:
    clinic = open_clinic(tmp_path_factory.mktemp("aftercare") / "desk.sqlite3")
    desk, clock = clinic.desk, clinic.clock
    details = desk.clinic_details()

    def treated(given: str, number: str, start: datetime, **options: object) -> tuple[SessionRecord, Printed]:
        clock.set(start)
        patient = clinic.register(given, "Okoye", "1993-04-06", number)
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

        clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
        fay = clinic.register("Fay", "Okoye", "1993-04-06", "AZ-02006")
        session = desk.start_session(fay.id, clinic.nurse.id)
        tick_all(desk, session.id, SIGN_IN, clinic.nurse.id)
        stopped = desk.abort(session.id, "Patient felt faint before the gel; rebooked", clinic.nurse.id)
        gwen = clinic.register("Gwen", "Okoye", "1993-04-06", "AZ-02007")
        no_pass_yet = desk.start_session(gwen.id, clinic.nurse.id)

        # The manager fills in the contact line; the month-end sheet is printed again.
        contact = checked_clinic_details("Azure Medical", "", CONTACT, "A4")
        desk.update_clinic_details(contact, administrator(desk).id)
        record = month_end[0]
        with_contact = to_pdf(
            aftercare_document(record, desk.clinic_details(), clock.now(), LOCAL_FORMATS), clock.now()
        )
        return Sheets(
            month_end=month_end,
            clock_change=clock_change,
            year_end=year_end,
            after_midnight=after_midnight,
            not_signed_out=not_signed_out,
            stopped=stopped,
            no_pass_yet=no_pass_yet,
            with_contact=with_contact,
            now=clock.now(),
        )
    finally:
        clinic.close()


def expected_lines(treated: date) -> list[str]:
    """What the sheet should say: each line's date is its number of days after the treatment day."""
    long = local_long_date
    return [
        f"Your treatment was on {long(treated)}",
        f"{RED} {long(treated + timedelta(days=5))}",
        f"{WORK} {long(treated + timedelta(days=4))}",
        f"{MAKE_UP} {long(treated + timedelta(days=4))}",
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
    for line in expected_lines(treated):
        assert line in printed.text


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
    assert record.procedure.aftercare is not None
    for paragraph in record.procedure.aftercare.advice:
        assert paragraph in printed.text
    assert "After your laser treatment" in printed.text


def test_the_planned_next_session_appears_only_when_one_was_recorded(sheets: Sheets) -> None:
    assert PLANNED in sheets.month_end[1].text
    record, printed = sheets.not_signed_out  # printed in the laser room, before the plan is ticked
    assert PLANNED not in printed.text
    assert f"{NOT_BEFORE} {local_long_date(date(2026, 11, 25) + timedelta(days=28))}" in printed.text


def test_an_empty_contact_line_leaves_a_blank_to_fill_in(sheets: Sheets) -> None:
    assert "Call the clinic on: ____" in sheets.month_end[1].text


def test_the_clinics_contact_line_is_printed(sheets: Sheets) -> None:
    assert CONTACT in sheets.with_contact.text
    assert "Call the clinic on:" not in sheets.with_contact.text


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
        aftercare_document(record, ClinicDetails(), sheets.now, LOCAL_FORMATS)
    assert record.patient.full_name in str(refused.value)


def test_a_session_run_under_a_version_without_the_sheet_is_refused_clearly(
    db: Database, desk: Desk, procedure: Procedure, clock: ManualClock, nurse: Staff
) -> None:
    """Version 1.1 had no [aftercare]; its records still open, and asking for a sheet says why not."""
    cut = procedure.source.index("\n[aftercare]\n")
    old_text = procedure.source[:cut].replace('version = "1.3"', 'version = "1.1"', 1)
    old = parse_procedure(old_text, "stored laser-acne-scarring version 1.1", authoring=False)
    assert old.aftercare is None
    then = Desk(db, old, clock)
    patient = then.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-01012", nurse.id)
    session = start_through_time_out(then, clock, patient.id, nurse)
    tick_all(then, session.id, {"fractional_pass": LASER["fractional_pass"]}, nurse.id)

    record = desk.session(session.id)  # read back by today's app, on the current procedure
    assert record.procedure.version == "1.1"
    assert treatment_day(record, clock.now()) == date(2026, 11, 25)  # the laser was used
    with pytest.raises(ActionRefused, match="version 1.1, which has no aftercare sheet"):
        aftercare_document(record, desk.clinic_details(), clock.now(), LOCAL_FORMATS)
