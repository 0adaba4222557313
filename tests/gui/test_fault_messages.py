"""A database that fails as the nurse clicks: she reads "Not saved", nothing shows as done that was not
saved, the window goes on, and the same click works once the database is back.

A few representative clicks: a tick on a checklist card, registering a patient, a note written in a
dialog, acknowledging a gel alert, saving a document as a PDF (logged first: a failed log means no
file), signing in, locking the screen and signing out. Every write method of the store meets every
fault in tests/unit/test_fault_injection.py; the faults here are the same (see DiskFault there).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from peewee import Database
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.session import EventKind
from desk_app.store.desk import Desk
from desk_app.ui.main_window import MainWindow
from tests.gui.nurse import (
    card,
    click,
    described,
    described_text,
    find,
    open_dialog,
    settle,
    sign_in,
    tick,
    type_into,
    visible_texts,
)
from tests.gui.test_checklist_actions import events
from tests.gui.test_printing import print_dialog, save_through_file_dialog
from tests.support.people import PASSWORD
from tests.support.walk import ANAESTHETIC, SIGN_IN, signed_out_session, tick_all
from tests.unit.test_fault_injection import (
    DISK_FULL,
    DISK_IO_ERROR,
    LOCKED,
    DiskFault,
    another_desk_writing,
    committed_rows,
)

IDENTITY = "Identity confirmed with two identifiers"
READY_ZOE = "Zoë O'Brien: the gel has worked. Ready for the laser room."


def not_saved(text: str, problem: str) -> bool:
    return "Not saved" in text and problem in text


def start_zoe(desk: Desk, nurse: Staff) -> int:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    return desk.sessions.start_session(patient.id, nurse.id).id


# --- a tick --------------------------------------------------------------------------------------


@pytest.mark.parametrize("problem", [DISK_FULL, DISK_IO_ERROR], ids=["disk-full", "io-error"])
def test_a_tick_that_cannot_be_saved_stays_to_do_and_says_why(
    qtbot: QtBot, window: MainWindow, desk: Desk, db: Database, db_path: Path, nurse: Staff, problem: str
) -> None:
    session_id = start_zoe(desk, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    status_before = described_text(window, f"Status of {IDENTITY}")
    click(qtbot, window, "Second identifier checked: Date of birth")
    before = committed_rows(db_path)

    with DiskFault(problem).injected(db):
        click(qtbot, window, f"Confirm: {IDENTITY}")
        tick(qtbot, window)  # a second goes by: the window runs on, and reads what is stored
    assert not_saved(visible_texts(card(window, IDENTITY)), problem)
    assert described_text(window, f"Status of {IDENTITY}") == status_before
    assert "Done" not in status_before
    assert described(window, QLabel, f"Status of {IDENTITY}").isVisible()
    assert committed_rows(db_path) == before
    assert events(desk, session_id) == ()

    click(qtbot, window, f"Confirm: {IDENTITY}")  # the choice is still made: one click again
    assert described_text(window, f"Status of {IDENTITY}").startswith("✓ Done")
    assert "Not saved" not in visible_texts(card(window, IDENTITY))
    assert [event.item_id for event in events(desk, session_id)] == ["identity"]


def test_a_tick_while_another_desk_holds_the_database_too_long_is_not_saved(
    qtbot: QtBot, window: MainWindow, desk: Desk, db: Database, db_path: Path, nurse: Staff
) -> None:
    session_id = start_zoe(desk, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    click(qtbot, window, "Second identifier checked: Date of birth")
    # The worker's connection waits half a second for the other desk, not the app's 5 s: the same
    # refusal, sooner (the suite's time).
    window.worker.submit(lambda: db.execute_sql("PRAGMA busy_timeout = 500"))
    settle(qtbot)

    with another_desk_writing(db, db_path):
        click(qtbot, window, f"Confirm: {IDENTITY}")
    assert not_saved(visible_texts(card(window, IDENTITY)), LOCKED)
    assert "Done" not in described_text(window, f"Status of {IDENTITY}")

    click(qtbot, window, f"Confirm: {IDENTITY}")
    assert described_text(window, f"Status of {IDENTITY}").startswith("✓ Done")


# --- registering a patient -----------------------------------------------------------------------


def test_a_registration_that_cannot_be_saved_keeps_the_form_and_registers_no_one(
    qtbot: QtBot, window: MainWindow, desk: Desk, db: Database, db_path: Path, nurse: Staff
) -> None:
    window.set_staff(nurse)
    settle(qtbot)
    type_into(qtbot, window, "First names", "Zoë")
    type_into(qtbot, window, "Surname", "O'Brien")
    type_into(qtbot, window, "Date of birth", "03/02/1990")
    type_into(qtbot, window, "Clinic number", "AZ-00001")
    before = committed_rows(db_path)

    with DiskFault(DISK_FULL).injected(db):
        click(qtbot, window, "Register patient")
    assert not_saved(visible_texts(window.home_page), DISK_FULL)
    assert find(window, QLineEdit, "Surname").text() == "O'Brien"  # kept, to try again
    assert window.home_page.results.count() == 0  # no new patient shown
    assert committed_rows(db_path) == before
    assert desk.patients.search_patients("O'Brien") == []

    click(qtbot, window, "Register patient")
    assert "Not saved" not in visible_texts(window.home_page)
    (zoe,) = desk.patients.search_patients("O'Brien")
    assert zoe.clinic_number == "AZ-00001"
    assert window.home_page.results.count() == 1


# --- a note in a dialog --------------------------------------------------------------------------


def test_a_note_that_cannot_be_saved_keeps_its_dialog_open_with_the_text(
    qtbot: QtBot, window: MainWindow, desk: Desk, db: Database, db_path: Path, nurse: Staff
) -> None:
    session_id = start_zoe(desk, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    click(qtbot, window, "Note on session…")
    dialog = open_dialog()
    dialog.findChild(QPlainTextEdit).setPlainText("Patient anxious; talked it through")
    before = committed_rows(db_path)

    with DiskFault(DISK_IO_ERROR).injected(db):
        click(qtbot, dialog, "Add note")
    assert dialog.isVisible()
    assert not_saved(visible_texts(dialog), DISK_IO_ERROR)
    assert dialog.findChild(QPlainTextEdit).toPlainText() == "Patient anxious; talked it through"
    assert "Patient anxious" not in visible_texts(window)  # the session's notes show no such note
    assert committed_rows(db_path) == before

    click(qtbot, dialog, "Add note")
    assert not dialog.isVisible()
    assert "Patient anxious; talked it through" in visible_texts(window)
    assert [event.kind for event in events(desk, session_id)] == [EventKind.NOTE]


# --- acknowledging an alert ----------------------------------------------------------------------


def test_an_acknowledgement_that_cannot_be_saved_leaves_the_alert_up(
    qtbot: QtBot,
    window: MainWindow,
    desk: Desk,
    db: Database,
    db_path: Path,
    nurse: Staff,
    clock: ManualClock,
) -> None:
    session_id = start_zoe(desk, nurse)
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    clock.advance(minutes=61)
    tick(qtbot, window)
    button = f"Acknowledge: {READY_ZOE}"
    assert find(window, QLabel, READY_ZOE).isVisible()
    events_before = desk.sessions.session(session_id).events
    before = committed_rows(db_path)

    with DiskFault(DISK_FULL).injected(db):
        click(qtbot, window, button)
        clock.advance(seconds=1)
        tick(qtbot, window)
    assert window.alert_message.isVisible()
    assert not_saved(window.alert_message.text(), DISK_FULL)
    assert find(window, QLabel, READY_ZOE).isVisible()  # still due: nobody has acknowledged it
    assert desk.sessions.session(session_id).events == events_before
    assert committed_rows(db_path) == before

    click(qtbot, window, button)
    assert not window.alert_message.isVisible()
    assert not window.banner.isVisible()
    assert desk.sessions.session(session_id).events[-1].kind is EventKind.ALERT_ACK


# --- saving a document as a PDF ------------------------------------------------------------------


def test_a_pdf_whose_export_cannot_be_logged_is_not_written(
    qtbot: QtBot,
    window: MainWindow,
    desk: Desk,
    db: Database,
    db_path: Path,
    nurse: Staff,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00012", nurse.id)
    session_id = signed_out_session(desk, clock, patient.id, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    click(qtbot, window, "Print record…")
    dialog = print_dialog()
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "zoe record.pdf"
    before = committed_rows(db_path)

    with DiskFault(DISK_FULL).injected(db):
        save_through_file_dialog(qtbot, dialog, target)
    assert not_saved(visible_texts(dialog), DISK_FULL)
    assert list(folder.iterdir()) == []  # no PDF, and no half-made file beside it
    assert desk.clinic.print_log(patient.id) == []
    assert committed_rows(db_path) == before

    save_through_file_dialog(qtbot, dialog, target)
    assert "Saved zoe record.pdf" in visible_texts(dialog)
    assert [path.name for path in folder.iterdir()] == ["zoe record.pdf"]
    (entry,) = desk.clinic.print_log(patient.id)
    assert entry.destination == f"PDF {target.resolve()}"


# --- signing in, locking, signing out ------------------------------------------------------------


def test_a_sign_in_that_cannot_be_recorded_leaves_the_desk_signed_out_and_says_why(
    qtbot: QtBot, window: MainWindow, desk: Desk, db: Database, db_path: Path, nurse: Staff
) -> None:
    window.show_sign_in()
    before = committed_rows(db_path)

    with DiskFault(DISK_FULL).injected(db):
        sign_in(qtbot, window, "Ann Nurse")
    assert not_saved(visible_texts(window.sign_in_page), DISK_FULL)
    assert window.staff is None
    assert "At the desk" not in window.staff_label.text()
    assert committed_rows(db_path) == before

    sign_in(qtbot, window, "Ann Nurse", PASSWORD)
    assert window.staff_label.text() == "At the desk: Ann Nurse (AN)"


def test_a_screen_lock_that_cannot_be_recorded_still_locks_and_says_so(
    qtbot: QtBot, window: MainWindow, desk: Desk, db: Database, db_path: Path, nurse: Staff
) -> None:
    window.set_staff(nurse)
    settle(qtbot)
    before = committed_rows(db_path)

    with DiskFault(DISK_FULL).injected(db):
        window.lock_action.trigger()
        settle(qtbot)  # the lock's row is written after the screen locked
    assert window.locked and window.staff_label.text() == "Locked"  # locked all the same
    assert committed_rows(db_path) == before
    assert window.not_saved_message.isVisible()
    assert not_saved(window.not_saved_message.text(), DISK_FULL)


def test_a_sign_out_that_cannot_be_recorded_still_signs_out_and_says_so(
    qtbot: QtBot, window: MainWindow, desk: Desk, db: Database, db_path: Path, nurse: Staff
) -> None:
    window.set_staff(nurse)
    settle(qtbot)
    before = committed_rows(db_path)

    with DiskFault(DISK_FULL).injected(db):
        window.sign_out_action.trigger()
        assert window.staff is None  # at once: the record must not stay on screen while it is written
        settle(qtbot)  # the sign-out is written on the database worker
    assert window.staff is None  # signed out all the same: the record must not stay on screen
    assert committed_rows(db_path) == before
    assert window.alert_message.isVisible()
    assert not_saved(window.alert_message.text(), DISK_FULL)
