"""The clinic's printed details (every change kept) and the append-only log of what was printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from peewee import Database, IntegrityError

from desk_app.domain.clinic import ClinicDetails, DocumentKind, PaperSize, PrintEntry, checked_clinic_details
from desk_app.domain.clock import ManualClock
from desk_app.domain.errors import ActionRefused, DomainError, ValidationError
from desk_app.domain.people import Patient, Staff
from desk_app.reports.documents import PrintDocument, history_document, session_record_document
from desk_app.reports.export import save_pdf
from desk_app.store.desk import Desk
from desk_app.ui.formatting import LOCAL_FORMATS
from tests.conftest import START
from tests.reports.sessions import everyone


def count(db: Database, table: str) -> int:
    return db.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0]


def changes(db: Database) -> list[tuple]:
    return db.execute_sql(
        "SELECT staff_id, at, key, old_value, new_value FROM clinic_setting_change ORDER BY id"
    ).fetchall()


@pytest.fixture
def zoe(desk: Desk, nurse: Staff) -> Patient:
    return desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-01012", nurse.id)


# --- clinic details --------------------------------------------------------------------------------


def test_a_new_clinic_has_the_defaults(desk: Desk, db: Database) -> None:
    assert desk.clinic.clinic_details() == ClinicDetails(
        name="Azure Medical", address="", contact_line="", paper=PaperSize.A4
    )
    assert count(db, "clinic_setting_change") == 0


def test_saved_details_are_read_back_trimmed_and_each_change_is_kept(
    desk: Desk, db: Database, clock: ManualClock, admin: Staff
) -> None:
    details = checked_clinic_details(
        "  Azure Medical Leeds ", "1 Park Row, Leeds LS1 5AB", " Call 0113 496 0000 ", "Letter"
    )
    assert desk.clinic.update_clinic_details(details, admin.id) == details
    assert desk.clinic.clinic_details() == ClinicDetails(
        "Azure Medical Leeds", "1 Park Row, Leeds LS1 5AB", "Call 0113 496 0000", PaperSize.LETTER
    )
    at = START.strftime("%Y-%m-%d %H:%M:%S")
    assert [(staff, stamp[:19], key, old, new) for staff, stamp, key, old, new in changes(db)] == [
        (admin.id, at, "name", "Azure Medical", "Azure Medical Leeds"),
        (admin.id, at, "address", "", "1 Park Row, Leeds LS1 5AB"),
        (admin.id, at, "contact_line", "", "Call 0113 496 0000"),
        (admin.id, at, "paper", "A4", "Letter"),
    ]

    clock.advance(days=1)
    back = checked_clinic_details("Azure Medical Leeds", "1 Park Row, Leeds LS1 5AB", "", "A4")
    desk.clinic.update_clinic_details(back, admin.id)
    assert desk.clinic.clinic_details() == back
    assert [(key, old, new) for _, _, key, old, new in changes(db)[4:]] == [
        ("contact_line", "Call 0113 496 0000", ""),
        ("paper", "Letter", "A4"),
    ]


def test_the_out_of_hours_line_is_saved_trimmed_kept_as_a_change_and_may_be_cleared(
    desk: Desk, db: Database, admin: Staff
) -> None:
    line = "When we are closed, call NHS 111, or 999 in an emergency"
    details = checked_clinic_details("Azure Medical", "", "Call us", "A4", out_of_hours_line=f" {line} ")
    desk.clinic.update_clinic_details(details, admin.id)
    assert desk.clinic.clinic_details().out_of_hours_line == line
    desk.clinic.update_clinic_details(checked_clinic_details("Azure Medical", "", "Call us", "A4"), admin.id)
    assert desk.clinic.clinic_details().out_of_hours_line == ""
    assert [(key, old, new) for _, _, key, old, new in changes(db)] == [
        ("contact_line", "", "Call us"),
        ("out_of_hours_line", "", line),
        ("out_of_hours_line", line, ""),
    ]
    with pytest.raises(ValidationError, match="^Out-of-hours line for patients contains a control"):
        checked_clinic_details("Azure Medical", "", "", "A4", out_of_hours_line="Call\x1b[31m 111")


def test_saving_the_same_details_says_nothing_was_changed(desk: Desk, db: Database, admin: Staff) -> None:
    with pytest.raises(ValidationError, match=r"^Nothing was changed\.$"):
        desk.clinic.update_clinic_details(ClinicDetails(), admin.id)
    details = checked_clinic_details("Azure Medical", "", "Call us", "A4")
    desk.clinic.update_clinic_details(details, admin.id)
    with pytest.raises(ValidationError, match=r"^Nothing was changed\.$"):
        desk.clinic.update_clinic_details(
            checked_clinic_details(" Azure Medical", "", "Call us ", "A4"), admin.id
        )
    assert count(db, "clinic_setting_change") == 1


@pytest.mark.parametrize(
    ("name", "address", "contact", "paper", "message"),
    [
        pytest.param("   ", "", "", "A4", "Clinic name: please fill this in.", id="blank-name"),
        pytest.param("Azure\x07Medical", "", "", "A4", "Clinic name contains a control character", id="bell"),
        pytest.param("Azure", "1 Park Row\x00", "", "A4", "Address contains a control character", id="nul"),
        pytest.param(
            "Azure", "", "Call\x1b[31m us", "A4", "Contact line for patients contains a control", id="esc"
        ),
        pytest.param(
            "Azure", "", "Zoë \u202e0000", "A4", "Contact line for patients contains a control", id="rtl"
        ),
        pytest.param("Azure", "", "", "A5", "Paper size must be A4 or Letter.", id="a5"),
        pytest.param("Azure", "", "", "", "Paper size must be A4 or Letter.", id="no-paper"),
        pytest.param(
            "A" * 81, "", "", "A4", "Clinic name is too long: 81 characters, at most 80.", id="long"
        ),
    ],
)
def test_bad_details_are_refused_with_a_message(
    name: str, address: str, contact: str, paper: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        checked_clinic_details(name, address, contact, paper)
    assert str(refused.value).startswith(message)


def test_details_from_an_unknown_member_of_staff_are_refused_and_not_saved(desk: Desk, db: Database) -> None:
    with pytest.raises(ActionRefused, match="not known"):
        desk.clinic.update_clinic_details(checked_clinic_details("Other Clinic", "", "", "A4"), 999)
    assert desk.clinic.clinic_details() == ClinicDetails()
    assert count(db, "clinic_setting_change") == 0


# --- the print log ---------------------------------------------------------------------------------


@pytest.fixture
def record_document(desk: Desk, clock: ManualClock, nurse: Staff, zoe: Patient, qapp) -> PrintDocument:  # noqa: ANN001
    session = desk.sessions.start_session(zoe.id, nurse.id)
    return session_record_document(
        session, [session], desk.clinic.clinic_details(), clock.now(), LOCAL_FORMATS, team=everyone(desk)
    )


def test_a_saved_pdf_is_logged_once_with_what_who_and_where(
    desk: Desk, clock: ManualClock, nurse: Staff, zoe: Patient, record_document: PrintDocument, tmp_path: Path
) -> None:
    target = tmp_path / "record.pdf"
    pages = save_pdf(desk, record_document, target, nurse.name, nurse.id, "25/11/2026 09:00")
    assert target.read_bytes().startswith(b"%PDF-")
    assert desk.clinic.print_log(zoe.id) == [
        PrintEntry(
            at=START,
            document=DocumentKind.SESSION_RECORD,
            patient_id=zoe.id,
            session_id=record_document.session_id,
            destination=f"PDF {target}",
            pages=pages,
            printed_by="Ann Nurse",
        )
    ]


def test_the_print_log_lists_one_patients_prints_oldest_first(
    desk: Desk,
    db: Database,
    clock: ManualClock,
    nurse: Staff,
    zoe: Patient,
    record_document: PrintDocument,
    tmp_path: Path,
) -> None:
    ann = desk.patients.register_patient("Ann", "Smith", "1975-06-30", "AZ-01015", nurse.id)
    save_pdf(desk, record_document, tmp_path / "a.pdf", nurse.name, nurse.id, "now")
    clock.advance(minutes=5)
    history = history_document(
        desk.sessions.patient_history(ann.id),
        desk.clinic.clinic_details(),
        clock.now(),
        LOCAL_FORMATS,
        team=everyone(desk),
    )
    save_pdf(desk, history, tmp_path / "b.pdf", "root (terminal export)", None, "now")
    clock.advance(minutes=5)
    zoe_history = history_document(
        desk.sessions.patient_history(zoe.id),
        desk.clinic.clinic_details(),
        clock.now(),
        LOCAL_FORMATS,
        team=everyone(desk),
    )
    save_pdf(desk, zoe_history, tmp_path / "c.pdf", nurse.name, nurse.id, "now")

    entries = desk.clinic.print_log(zoe.id)
    assert [(e.document, e.session_id, e.destination) for e in entries] == [
        (DocumentKind.SESSION_RECORD, record_document.session_id, f"PDF {tmp_path / 'a.pdf'}"),
        (DocumentKind.PATIENT_HISTORY, None, f"PDF {tmp_path / 'c.pdf'}"),
    ]
    assert entries[0].at < entries[1].at
    (theirs,) = desk.clinic.print_log(ann.id)
    assert theirs.printed_by == "root (terminal export)"
    assert db.execute_sql("SELECT staff_id FROM print_log WHERE patient_id = ?", (ann.id,)).fetchone() == (
        None,
    )


def test_a_pdf_that_cannot_be_written_is_not_logged(
    desk: Desk, db: Database, nurse: Staff, zoe: Patient, record_document: PrintDocument, tmp_path: Path
) -> None:
    target = tmp_path / "no such folder" / "record.pdf"
    with pytest.raises(DomainError, match="does not exist"):
        save_pdf(desk, record_document, target, nurse.name, nurse.id, "now")
    assert desk.clinic.print_log(zoe.id) == []
    assert count(db, "print_log") == 0
    assert not target.parent.exists()


@pytest.fixture
def logged(desk: Desk, db: Database, admin: Staff, zoe: Patient) -> None:
    desk.clinic.record_print(
        DocumentKind.PATIENT_HISTORY, zoe.id, None, "PDF /tmp/h.pdf", 3, "Mo Manager", None
    )
    desk.clinic.update_clinic_details(checked_clinic_details("Azure Medical", "", "Call us", "A4"), admin.id)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE print_log SET destination = 'PDF /elsewhere.pdf'",
        "UPDATE print_log SET printed_by = 'Someone else'",
        "DELETE FROM print_log",
        "UPDATE clinic_setting_change SET old_value = 'Other Clinic'",
        "DELETE FROM clinic_setting_change",
    ],
    ids=["print-destination", "print-who", "print-delete", "change-update", "change-delete"],
)
def test_raw_sql_cannot_change_or_delete_the_logs(db: Database, logged: None, statement: str) -> None:
    table = statement.split()[1] if statement.startswith("UPDATE") else statement.split()[2]
    before = db.execute_sql(f"SELECT * FROM {table}").fetchall()
    with pytest.raises(IntegrityError, match="append-only"):
        db.execute_sql(statement)
    assert db.execute_sql(f"SELECT * FROM {table}").fetchall() == before


def test_only_an_administrator_may_change_the_clinic_details(desk: Desk, db: Database, nurse: Staff) -> None:
    with pytest.raises(ActionRefused, match="Only an administrator"):
        desk.clinic.update_clinic_details(checked_clinic_details("Other Clinic", "", "", "A4"), nurse.id)
    assert desk.clinic.clinic_details() == ClinicDetails()
    assert count(db, "clinic_setting_change") == 0
