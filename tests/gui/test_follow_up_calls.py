"""Issue 16 point 7 on screen: the follow-up calls due, recording a call, and a complication
reported from the patient page, each saved as a follow-up of the session (not an amendment)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QTableView, QTextBrowser
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.store.errors import StoreUnavailable
from desk_app.ui.formatting import local_date_time
from desk_app.ui.main_window import MainWindow
from tests.conftest import START
from tests.gui.nurse import click, find, open_dialog, settle, type_into, visible_texts
from tests.gui.test_patient_screens import open_patient_page
from tests.support.walk import signed_out_session


def cells(table: QTableView, row: int) -> list[str]:
    model = table.model()
    return [model.index(row, column).data() for column in range(model.columnCount())]


def test_the_calls_due_list_who_was_called_and_a_call_is_recorded_from_the_list(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    window.resize(1366, 768)
    zoe = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    desk.patients.update_patient(zoe.id, {"phone": "07700 900123"}, nurse.id)
    first = signed_out_session(desk, clock, zoe.id, nurse)
    ann = desk.patients.register_patient("Ann", "Smith", "1975-06-30", "AZ-00002", nurse.id)
    signed_out_session(desk, clock, ann.id, nurse)
    clock.set(START + timedelta(days=2, hours=1))
    window.set_staff(nurse)
    settle(qtbot)
    QApplication.processEvents()
    assert window.follow_up_action.shortcut().toString() == "Ctrl+Shift+F"
    assert window.staff_label.isVisible()

    click(qtbot, window, "Follow-up calls")  # on the board
    table = find(window, QTableView, "Follow-up calls due")
    assert table.model().rowCount() == 2
    row = cells(table, 0)
    assert row[1:5] == ["Zoë O'Brien", "AZ-00001", "07700 900123", "1"]
    assert (row[5], row[6]) == ("None", "Not called yet")

    click(qtbot, window, "Record call…")
    dialog = open_dialog()
    assert dialog.sizeHint().height() <= 768 and dialog.sizeHint().width() <= 1366
    click(qtbot, dialog, "How the contact went: No answer, message left")
    click(qtbot, dialog, "Complication: No")
    click(qtbot, dialog, "Save")
    assert not dialog.isVisible()

    (event,) = desk.sessions.session(first).state(clock.now()).follow_ups
    assert event.values == {"contact": "No answer, message left", "complication": "No"}
    called = f"Called: {local_date_time(event.at)} by Ann Nurse (No answer, message left)"
    assert cells(table, 0)[6] == called
    assert cells(table, 1)[6] == "Not called yet"


def test_a_patient_not_called_in_time_is_listed_as_overdue_until_called(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    zoe = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    signed_out_session(desk, clock, zoe.id, nurse)
    clock.set(START + timedelta(days=6, hours=1))  # the calls were due on days 2 and 3
    window.set_staff(nurse)
    settle(qtbot)
    click(qtbot, window, "Follow-up calls")
    table = find(window, QTableView, "Follow-up calls due")
    assert cells(table, 0)[1] == "Zoë O'Brien" and cells(table, 0)[6] == "Overdue: not called yet"
    click(qtbot, window, "Record call…")
    dialog = open_dialog()
    click(qtbot, dialog, "How the contact went: Spoke to the patient")
    click(qtbot, dialog, "Complication: No")
    click(qtbot, dialog, "Save")
    assert table.model().rowCount() == 0
    assert "No calls are due today." in visible_texts(window)


def test_a_complication_reported_from_the_patient_page_is_refused_until_complete_then_shown(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    session_id = signed_out_session(desk, clock, patient.id, nurse)
    clock.advance(days=5)
    open_patient_page(qtbot, window, nurse, "zoe")
    find(window, QTableView, "Sessions of this patient").selectRow(0)

    click(qtbot, window, "Report a complication…")
    dialog = open_dialog()
    # What a complication needs is captioned so, not as optional; only the note may stay empty.
    captions = visible_texts(dialog).splitlines()
    for needed in ("Kind of complication", "Severity", "Action taken", "Follow-up"):
        assert f"{needed} (needed if Complication: Yes)" in captions
    assert [caption for caption in captions if caption.endswith("(if any)")] == ["Note (if any)"]
    click(qtbot, dialog, "How the contact went: The patient called us")
    click(qtbot, dialog, "Complication: Yes")
    click(qtbot, dialog, "Save")
    assert dialog.isVisible()  # the kind, severity and the rest are needed with a complication
    assert "please fill this in" in visible_texts(dialog)
    assert desk.sessions.session(session_id).state(clock.now()).follow_ups == ()

    click(qtbot, dialog, "Kind of complication: Pigment change")
    click(qtbot, dialog, "Severity: Mild")
    type_into(qtbot, dialog, "Action taken", "Sun advice repeated; review in 4 weeks")
    click(qtbot, dialog, "Follow-up: Follow-up needed")
    click(qtbot, dialog, "Save")
    assert not dialog.isVisible()

    follow_ups = [label for label in window.findChildren(QLabel) if label.text().startswith("Follow-ups:")]
    assert len(follow_ups) == 1 and follow_ups[0].isVisible()
    shown = follow_ups[0].text()
    assert "Session 1: " in shown and "by Ann Nurse" in shown
    assert "Kind of complication: Pigment change; Severity: Mild" in shown
    assert follow_ups[0].accessibleName() == shown
    record = desk.sessions.session(session_id)
    assert len(record.state(clock.now()).follow_ups) == 1
    assert record.state(clock.now()).session_amendments == ()

    find(window, QTableView, "Sessions of this patient").selectRow(0)
    click(qtbot, window, "Open session")  # the locked record shows it too, after the record of the day
    summary = find(window, QTextBrowser, "Session summary").toPlainText()
    assert "Follow-up after the session" in summary
    assert "Kind of complication: Pigment change" in summary


def test_when_the_calls_cannot_be_read_no_call_can_be_recorded(
    qtbot: QtBot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    zoe = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    signed_out_session(desk, clock, zoe.id, nurse)
    clock.set(START + timedelta(days=2, hours=1))
    window.set_staff(nurse)
    settle(qtbot)
    click(qtbot, window, "Follow-up calls")
    record = find(window, QAbstractButton, "Record call…")
    assert record.isEnabled()

    def unreadable(_today: object) -> None:
        raise StoreUnavailable("The database cannot be reached. Check the network, then try again.")

    monkeypatch.setattr(desk.sessions, "follow_up_calls", unreadable)
    window.follow_up_page.refresh()
    settle(qtbot)
    assert "The database cannot be reached" in visible_texts(window.follow_up_page)
    assert find(window, QTableView, "Follow-up calls due").model().rowCount() == 0
    assert not record.isEnabled()
