"""Issue 17 point 6 at the window: who opened a patient's record, a session or a printed history, and
who searched (how many found, never the words), as a clinic manager reads the audit trail afterwards.
The refreshes every second and after another desk's write record nothing; nor does a locked desk."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Patient, Staff
from desk_app.store.access import PATIENTS_SEARCHED, RECORD_OPENED
from desk_app.store.desk import Desk
from desk_app.store.models import AuditLog
from desk_app.ui.access_trail import SETTLED_AFTER
from desk_app.ui.main_window import MainWindow
from tests.gui.nurse import click, find, open_dialog, settle, tick, type_into

TYPED = "Ottol"  # a patient's name as typed: it must not reach the trail


def rows_after(row_id: int) -> list[AuditLog]:
    return list(AuditLog.select().where(AuditLog.id > row_id).order_by(AuditLog.id))


def last_row_id() -> int:
    return AuditLog.select().order_by(AuditLog.id.desc()).first().id


def opening(row: AuditLog) -> tuple[str, int | None, int | None, str, int | None]:
    detail = json.loads(row.detail)
    return row.action, row.staff_id, row.subject_id, detail["opened"], detail["session"]


def a_patient(desk: Desk, nurse: Staff) -> Patient:
    return desk.patients.register_patient("Ottoline", "Morrell", "1983-06-16", "AZ-00017", nurse.id)


def refreshes(qtbot, window: MainWindow, clock: ManualClock) -> None:
    """What happens while nobody touches the desk: seconds pass, and another desk writes."""
    for _ in range(3):
        clock.advance(seconds=5)
        tick(qtbot, window)
        window.signals.changed_elsewhere.emit()
        settle(qtbot)  # the page reads the session again on the database worker


def test_a_search_then_a_patient_opened_from_the_list_are_one_row_each_naming_the_nurse(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    patient = a_patient(desk, nurse)
    desk.patients.register_patient("Otto", "Dix", "1991-12-02", "AZ-00018", nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    click(qtbot, window, "Patients")
    before = last_row_id()
    type_into(qtbot, window, "Search all patients", TYPED)  # searched as she pauses
    assert rows_after(before) == []  # not settled yet: no row for each keystroke
    qtbot.keyClick(find(window, QLineEdit, "Search all patients"), Qt.Key.Key_Down)  # Ottoline, found
    click(qtbot, window, "Open patient")
    assert window.patient_page.name_label.text() == "Ottoline Morrell"

    search, opened = rows_after(before)
    assert (search.action, search.staff_id, json.loads(search.detail)) == (
        PATIENTS_SEARCHED,
        nurse.id,
        {"found": 1, "more": False},
    )
    every_column = " ".join(str(value) for value in search.__data__.values()).casefold()
    assert "otto" not in every_column  # neither what was typed nor any part of it
    assert opening(opened) == (RECORD_OPENED, nurse.id, patient.id, "patient page", None)

    refreshes(qtbot, window, clock)  # the page reads the patient again: not an opening
    assert len(rows_after(before)) == 2
    assert desk.audit.verify_audit().ok


def test_a_search_left_on_screen_is_recorded_once_it_settles_and_a_new_name_is_another_search(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    a_patient(desk, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    before = last_row_id()
    type_into(qtbot, window, "Search patients", "Ott")  # the board's search
    clock.advance(seconds=1)
    tick(qtbot, window)
    assert rows_after(before) == []
    clock.advance(seconds=SETTLED_AFTER.seconds)
    tick(qtbot, window)
    tick(qtbot, window)
    assert [json.loads(row.detail)["found"] for row in rows_after(before)] == [1]

    type_into(qtbot, window, "Search patients", "Nobody")  # cleared, then another name
    clock.advance(seconds=SETTLED_AFTER.seconds)
    tick(qtbot, window)
    searches = rows_after(before)
    assert [json.loads(row.detail)["found"] for row in searches] == [1, 0]
    assert {row.action for row in searches} == {PATIENTS_SEARCHED}


def test_the_history_a_past_session_and_the_printed_history_each_record_their_opening(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    patient = a_patient(desk, nurse)
    session_id = desk.sessions.start_session(patient.id, nurse.id).id
    window.set_staff(nurse)
    settle(qtbot)
    before = last_row_id()
    window.show_patient(patient.id)
    settle(qtbot)
    window.patient_page.sessions_table.selectRow(0)
    click(qtbot, window, "Open session")
    refreshes(qtbot, window, clock)  # the session's page reloads: not an opening
    click(qtbot, window, "Back to patient")
    click(qtbot, window, "Print history…")
    assert open_dialog().windowTitle() == "Print: Patient history"

    assert [opening(row) for row in rows_after(before)] == [
        (RECORD_OPENED, nurse.id, patient.id, "patient page", None),
        (RECORD_OPENED, nurse.id, patient.id, "session", session_id),
        (RECORD_OPENED, nurse.id, patient.id, "patient page", None),
        (RECORD_OPENED, nurse.id, patient.id, "patient history preview", None),
    ]
    assert desk.audit.verify_audit().ok


def test_the_board_refreshing_records_nothing_and_opening_its_card_records_the_session(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    patient = a_patient(desk, nurse)
    session = desk.sessions.start_session(patient.id, nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    before = last_row_id()
    refreshes(qtbot, window, clock)  # the board's cards and countdowns, read again and again
    assert rows_after(before) == []
    (card,) = window.home_page.card_widgets
    qtbot.mouseClick(card.open_button, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.checklist_page
    refreshes(qtbot, window, clock)
    assert [opening(row) for row in rows_after(before)] == [
        (RECORD_OPENED, nurse.id, patient.id, "session", session.id)
    ]


def test_a_locked_or_signed_out_desk_records_no_opening_while_its_pages_refresh(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    patient = a_patient(desk, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_patient(patient.id)
    window.lock(idle=False)
    settle(qtbot)  # the lock's own row is written after the screen locked
    before = last_row_id()
    refreshes(qtbot, window, clock)
    window.patient_page.open_patient(patient.id)  # a stray call with nobody proven at the desk
    assert rows_after(before) == []

    window.sign_out_action.trigger()
    settle(qtbot)  # the sign-out's own row is written after the desk signed out
    before = last_row_id()
    refreshes(qtbot, window, clock)
    window.patient_page.open_patient(patient.id)
    assert rows_after(before) == []


def test_a_database_that_refuses_the_row_still_opens_the_record_and_says_it_was_not_recorded(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    patient = a_patient(desk, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    before = last_row_id()
    # every write refused, as a read-only file would (on the connection the window uses)
    window.worker.call(desk.db.execute_sql, "PRAGMA query_only = 1")
    window.show_patient(patient.id)
    settle(qtbot)
    assert window.patient_page.name_label.text() == "Ottoline Morrell"
    assert window.patient_page.message.text().startswith(
        "Opened, but the audit trail could not record it: Not saved: the database could not be used"
    )
    window.worker.call(desk.db.execute_sql, "PRAGMA query_only = 0")
    assert rows_after(before) == []
