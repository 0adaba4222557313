"""The gel's alerts and the electronic signatures on the printed record (issue 14, points 3 and 4).

Sessions are built as the domain's own event logs (tests.support.session_log), with the sign-out tick
carrying its signatures as the store writes them: values["signature"] and values["countersignature"].
The reports read only these domain objects, so no database is needed. Two records are printed to PDF
once for the module; the other cases read the on-screen summary or the view, which cost no PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from desk_app.domain.actions import check_tick
from desk_app.domain.alerts import AlertKind, check_acknowledge
from desk_app.domain.clinic import ClinicDetails
from desk_app.domain.clock import ManualClock
from desk_app.domain.dates import local_today
from desk_app.domain.people import Patient, Role, Staff
from desk_app.domain.procedure import Procedure
from desk_app.domain.session import Event, EventKind, SessionRecord
from desk_app.reports.documents import session_record_document
from desk_app.reports.formats import minutes_text
from desk_app.reports.session_view import session_summary_html, session_view
from desk_app.ui.formatting import LOCAL_FORMATS
from tests.reports.sessions import Printed, to_pdf
from tests.support.session_log import CLINICIAN, NURSE, Log, through_anaesthetic
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT

# Its module fixture is built once: every test of the module runs in one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("alerts pdf")

SUMMER = datetime(2027, 7, 15, 8, 0, tzinfo=UTC)  # 09:00 in the UK, in summer time
KATE = Staff(id=4, name="Kate Whitmore", initials="KW", role=Role.NURSE)
SIGNATURE = {
    "name": "Kate Whitmore",
    "role": "nurse",
    "laser_operator": True,
    "meaning": "I performed this treatment as recorded here.",
}
COUNTERSIGNATURE = {
    "name": "Dr Clive Doctor",
    "role": "clinician",
    "meaning": "I have reviewed this record and countersign it.",
}
PATIENT = Patient(1, "Zoë", "O'Brien", date(1990, 2, 3), "AZ-01012")
OVER = "Gel left on 23 minutes past the remove-by time (remove by 10:30, removed 10:53)"


@pytest.fixture
def log(procedure: Procedure, clock: ManualClock) -> Log:
    """A fresh session's event log at the test clock's start (09:00 in November)."""
    return Log(procedure, clock)


def acknowledge(log: Log, kind: AlertKind, staff: Staff = NURSE) -> Event:
    values = check_acknowledge(log.state(), kind, log.clock.now())
    return log._append(EventKind.ALERT_ACK, staff, text=kind.value, values=values)


def sign_out(log: Log, staff: Staff, signatures: dict[str, Any]) -> Event:
    """The sign-out tick as the store writes it: the item's own checked values plus the signatures."""
    values = check_tick(log.state(), "operator_sign_out", {}, log.clock.now())
    return log._append(EventKind.TICK, staff, item_id="operator_sign_out", values={**values, **signatures})


def treated(
    log: Log, removed_after: int, signatures: dict[str, Any], ready_acknowledged_after: int | None = None
) -> SessionRecord:
    """Gel on at the clock's now, off `removed_after` minutes later, the laser, the sign-out (by Kate
    with signatures, by Ann as before electronic signatures without)."""
    applied = through_anaesthetic(log).at
    if ready_acknowledged_after is not None:
        log.clock.set(applied + timedelta(minutes=ready_acknowledged_after))
        acknowledge(log, AlertKind.READY)
    log.clock.set(applied + timedelta(minutes=removed_after))
    log.tick_all(TIME_OUT)
    log.clock.advance(minutes=5)
    log.tick_all(LASER)
    log.clock.advance(minutes=12)
    next_date = (local_today(log.clock.now()) + timedelta(weeks=5)).isoformat()
    log.tick_all(SIGN_OUT, next_session={"planned_sessions": 3, "next_date": next_date})
    sign_out(log, KATE if signatures else NURSE, signatures)
    return record_of(log)


def record_of(log: Log) -> SessionRecord:
    return SessionRecord(1, PATIENT, 1, log.procedure, log.events[0].at, NURSE, tuple(log.events))


def print_record(record: SessionRecord, now: datetime) -> Printed:
    return to_pdf(
        session_record_document(record, [record], ClinicDetails(), now, LOCAL_FORMATS, team=[NURSE, KATE]),
        now,
    )


@dataclass(frozen=True)
class Records:
    overdue: SessionRecord  # ready acknowledged, remove-now not, gel off 23 minutes late; countersigned
    overdue_printed: Printed
    old: SessionRecord  # signed out before electronic signatures; gel off in time
    old_printed: Printed


@pytest.fixture(scope="session")  # once a worker: its tests may run between other modules'
def records(qapp: QApplication, procedure: Procedure) -> Records:
    # Gel on at 09:00: ready at 10:00 (acknowledged at 10:02), remove by 10:30 (not acknowledged),
    # removed at 10:53; signed at 11:10.
    signatures = {"signature": SIGNATURE, "countersignature": COUNTERSIGNATURE}
    overdue = treated(Log(procedure, ManualClock(SUMMER)), 113, signatures, ready_acknowledged_after=62)
    old = treated(Log(procedure, ManualClock(SUMMER + timedelta(days=35))), 61, {})
    later = old.events[-1].at + timedelta(days=1)
    return Records(overdue, print_record(overdue, later), old, print_record(old, later))


def event_time(record: SessionRecord, kind: EventKind, item_id: str | None = None) -> str:
    event = next(e for e in record.events if e.kind is kind and (item_id is None or e.item_id == item_id))
    return LOCAL_FORMATS.date_time(event.at)


def test_each_alert_is_printed_with_when_it_fell_due_and_who_acknowledged_it(records: Records) -> None:
    text = records.overdue_printed.text
    assert (
        "Gel alerts Alert Due Acknowledged "
        "Ready for the laser room (gel on 60 minutes) 10:00 Ann Nurse at 10:02 "
        "Remove the gel now (gel on 90 minutes, the clinic's maximum) 10:30 Not acknowledged"
    ) in text


def test_gel_left_on_past_the_remove_by_time_is_flagged_at_the_top(records: Records) -> None:
    first_page = records.overdue_printed.texts[0]
    assert OVER in first_page
    assert first_page.index("Session record") < first_page.index(OVER) < first_page.index("Patient Zoë")
    assert records.overdue_printed.text.count("past the remove-by time") == 1


def test_the_signature_and_countersignature_are_printed_with_their_meaning(records: Records) -> None:
    text = records.overdue_printed.text
    signed = event_time(records.overdue, EventKind.TICK, "operator_sign_out")
    assert signed.endswith("11:10")  # UTC 10:10 in July: the clinic's summer time
    assert (
        "Electronic signatures Signed Printed name: Kate Whitmore Role: nurse, authorised laser operator "
        f"Date and time: {signed} Meaning: I performed this treatment as recorded here. "
        f"Countersigned Printed name: Dr Clive Doctor Role: clinician Date and time: {signed} "
        "Meaning: I have reviewed this record and countersign it. The record is locked."
    ) in text
    assert "before electronic signatures" not in text


def test_the_signatures_never_show_as_raw_values_of_the_sign_out_item(records: Records) -> None:
    text = records.overdue_printed.text
    for raw in ("laser_operator", "countersignature", "'name'", "{", "True"):
        assert raw not in text
    assert "Operator signs; the record locks Done 11:10 KW" in text


def test_a_record_signed_before_electronic_signatures_says_so(records: Records) -> None:
    text = records.old_printed.text
    signed = event_time(records.old, EventKind.TICK, "operator_sign_out")
    assert (
        f"Signed out by Ann Nurse at {signed} (before electronic signatures). The record is locked." in text
    )
    assert "Electronic signatures" not in text and "Printed name" not in text
    # Gel off at 61 minutes: only 'ready' fell due, and nothing is flagged.
    assert "Ready for the laser room (gel on 60 minutes) 10:00 Not acknowledged" in text
    assert "Remove the gel now" not in text and "past the remove-by time" not in text


def test_the_on_screen_summary_carries_the_flag_the_alerts_and_the_signatures(records: Records) -> None:
    record = records.overdue
    summary = session_summary_html(record, record.events[-1].at, LOCAL_FORMATS)
    assert summary.index("Status: Signed out and locked") < summary.index(OVER) < summary.index("Gel alerts")
    assert "Not acknowledged" in summary and "Kate Whitmore" in summary
    assert "I have reviewed this record and countersign it." in summary


def test_a_treatment_stopped_late_is_flagged_with_the_gel_s_removal(log: Log) -> None:
    through_anaesthetic(log)  # 09:00 in November
    log.clock.advance(minutes=101)
    log.abort("Laser fault: rebooked", gel_removed=True)
    summary = session_summary_html(record_of(log), log.clock.now(), LOCAL_FORMATS)
    assert "Gel left on 11 minutes past the remove-by time (remove by 10:30, removed 10:41)" in summary


def test_gel_never_recorded_as_removed_is_flagged_as_still_on_when_the_session_ended(log: Log) -> None:
    through_anaesthetic(log)
    log.clock.advance(minutes=125)
    # An old record: stopped with nothing said about the gel (the desk now refuses that).
    log._append(EventKind.ABORT, CLINICIAN, text="Patient left")
    summary = session_summary_html(record_of(log), log.clock.now() + timedelta(days=2), LOCAL_FORMATS)
    assert (
        "Gel removal not recorded: the gel was still on 35 minutes past the remove-by time when the "
        "session ended (remove by 10:30, treatment stopped 11:05)"
    ) in summary


def test_alerts_of_gel_painted_again_are_kept_and_the_new_gel_is_still_on(log: Log) -> None:
    through_anaesthetic(log)  # 09:00
    log.clock.advance(minutes=61)
    acknowledge(log, AlertKind.READY, CLINICIAN)
    log.clock.advance(minutes=4)
    log.correct("gel_applied", "Gel wiped off by the patient; painted again")
    log.clock.advance(minutes=1)
    log.tick("gel_applied")  # 10:06: ready at 11:06, remove by 11:36
    log.clock.advance(minutes=94)
    view = session_view(record_of(log), log.clock.now(), LOCAL_FORMATS)
    assert [(line.alert, line.due, line.acknowledged) for line in view.alerts] == [
        (
            "Ready for the laser room (gel on 60 minutes), for gel applied at 09:00 and since undone",
            "10:00",
            "Dr Clive Doctor at 10:01",
        ),
        ("Ready for the laser room (gel on 60 minutes)", "11:06", "Not acknowledged"),
        ("Remove the gel now (gel on 90 minutes, the clinic's maximum)", "11:36", "Not acknowledged"),
    ]
    assert (
        view.gel_overrun
        == "Gel still on 4 minutes past the remove-by time (remove by 11:36, still on at 11:40)"
    )


def test_a_product_with_a_shorter_limit_raises_the_remove_alert_at_its_own_maximum(log: Log) -> None:
    """Procedure 1.5: the lidocaine/prilocaine cream must come off by 75 minutes, not the clinic's 90."""
    log.tick_all(SIGN_IN)
    cream = {"product": "Lidocaine 2.5% / prilocaine 2.5% cream", "grams": 6, "covered": "No"}
    log.tick_all(ANAESTHETIC, gel_product=cream)  # gel applied at 09:00
    log.clock.advance(minutes=80)
    view = session_view(record_of(log), log.clock.now(), LOCAL_FORMATS)
    assert [(line.alert, line.due) for line in view.alerts] == [
        ("Ready for the laser room (gel on 60 minutes)", "10:00"),
        ("Remove the gel now (gel on 75 minutes, the anaesthetic product's maximum)", "10:15"),
    ]
    assert (
        view.gel_overrun
        == "Gel still on 5 minutes past the remove-by time (remove by 10:15, still on at 10:20)"
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "1 minute"),
        (23 * 60, "23 minutes"),
        (23 * 60 + 1, "24 minutes"),
        (3600, "1 hour"),
        (7500, "2 hours 5 minutes"),
    ],
)
def test_time_over_is_in_whole_minutes_never_understated(seconds: int, text: str) -> None:
    assert minutes_text(timedelta(seconds=seconds)) == text


def test_a_product_with_a_shorter_maximum_is_printed_with_its_own_remove_by_time(log: Log) -> None:
    """The 2.5%/2.5% cream may stay on 75 minutes, not the clinic's 90: the alert, the overrun and
    their wording follow it."""
    log.tick_all(SIGN_IN)
    cream = {"product": "Lidocaine 2.5% / prilocaine 2.5% cream", "grams": 5, "covered": "No"}
    log.tick_all(ANAESTHETIC, gel_product=cream)  # 09:00
    log.clock.advance(minutes=80)
    log.abort("Patient felt faint; rebooked", gel_removed=True)
    summary = session_summary_html(record_of(log), log.clock.now(), LOCAL_FORMATS)
    assert "Remove the gel now (gel on 75 minutes, the anaesthetic product&#39;s maximum)" in summary
    assert "Gel left on 5 minutes past the remove-by time (remove by 10:15, removed 10:20)" in summary
