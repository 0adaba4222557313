"""What another desk does, and a database that fails, never mislead the nurse at this one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtWidgets import QApplication, QPushButton, QTextBrowser

from desk_app.domain.clock import ManualClock
from desk_app.domain.errors import DomainError
from desk_app.domain.people import Staff
from desk_app.domain.session import EventKind
from desk_app.store.desk import Desk
from desk_app.ui.main_window import MainWindow
from tests.gui.nurse import (
    click,
    described_text,
    find,
    settle,
    tick,
    type_into,
)
from tests.support.people import PIN
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT, tick_all


def test_saving_one_field_does_not_undo_what_another_desk_changed(
    qtbot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,
    db_path: Path,  # noqa: ANN001
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_patient(patient.id)
    settle(qtbot)
    type_into(qtbot, window, "Phone", "07700 900123")  # the nurse starts typing here ...
    with sqlite3.connect(db_path) as other:  # ... while the laser room records an allergy
        other.execute("UPDATE patient SET allergies = 'Lidocaine' WHERE id = ?", (patient.id,))
    tick(qtbot, window)
    click(qtbot, window, "Save changes")
    saved = desk.patients.patient(patient.id)
    assert (saved.phone, saved.allergies) == ("07700 900123", "Lidocaine")
    assert [change.field for change in desk.patients.patient_changes(patient.id)] == ["phone"]


def test_a_focused_board_button_stays_with_its_patient_when_the_cards_move(
    qtbot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,
    clinician: Staff,
    clock: ManualClock,  # noqa: ANN001
) -> None:
    bob = desk.patients.register_patient("Bob", "Brown", "1980-01-01", "AZ-00002", clinician.id)
    bob_session = desk.sessions.start_session(bob.id, clinician.id)
    tick_all(desk, bob_session.id, {**SIGN_IN, **ANAESTHETIC}, clinician.id)
    clock.advance(minutes=61)
    desk.sessions.tick(bob_session.id, "identity_read_back", {}, clinician.id)  # in the laser room, gel on
    alice = desk.patients.register_patient("Alice", "Able", "1981-01-01", "AZ-00001", clinician.id)
    alice_session = desk.sessions.start_session(alice.id, clinician.id)  # preparing: above the laser room
    window.set_staff(nurse)
    settle(qtbot)
    tick(qtbot, window)
    take_alice = find(window, QPushButton, "Take over: Alice Able")
    take_alice.setFocus()

    clock.advance(minutes=30)  # Bob's gel reaches the maximum: his card jumps to the top
    tick(qtbot, window)
    assert QApplication.focusWidget() is take_alice
    take_alice.click()
    settle(qtbot)
    assert desk.sessions.session(alice_session.id).holder.id == nurse.id
    assert desk.sessions.session(bob_session.id).holder.id == clinician.id


def test_a_database_that_cannot_be_read_is_said_and_the_countdowns_go_on(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    session = desk.sessions.start_session(patient.id, nurse.id)
    tick_all(desk, session.id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    tick(qtbot, window)

    def failing() -> list:
        raise DomainError("Not saved: the database could not be used (disk I/O error).")

    desk.sessions.sessions_in_progress = failing  # type: ignore[method-assign]
    window.sessions.mark_stale()
    clock.advance(minutes=1)
    tick(qtbot, window)  # no exception escapes the tick
    assert "disk I/O error" in window.alert_message.text()
    cards = [b.text() for b in window.home_page.findChildren(QPushButton) if b.objectName() == "sessionCard"]
    assert any("Gel working: 59:00 left" in text for text in cards)


def test_an_amendment_and_a_handover_made_elsewhere_show_on_the_open_record(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff, clinician: Staff, clock: ManualClock
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    running = desk.sessions.start_session(patient.id, nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(running.id)
    settle(qtbot)  # the session is read on the database worker
    desk.sessions.take_over(running.id, clinician.id)  # at the laser-room desk
    window.signals.changed_elsewhere.emit()
    settle(qtbot)  # the page reads the session again on the database worker
    assert "with Dr Clive Doctor" in window.checklist_page.details_label.text()

    tick_all(desk, running.id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    clock.advance(minutes=61)
    tick_all(desk, running.id, {**TIME_OUT, **LASER, **SIGN_OUT}, nurse.id)
    desk.sessions.sign_out(running.id, nurse.id, PIN)
    window.show_session(running.id)
    settle(qtbot)  # the session is read on the database worker
    desk.sessions.amend(running.id, None, "Patient phoned: no blistering", "Follow-up call", clinician.id)
    window.signals.changed_elsewhere.emit()
    settle(qtbot)  # the page reads the session again on the database worker
    summary = find(window, QTextBrowser, "Session summary").toPlainText()
    assert "Patient phoned: no blistering" in summary
    assert desk.sessions.session(running.id).events[-1].kind is EventKind.AMENDMENT
    assert described_text(window, "Gel countdown") == "Gel off"
