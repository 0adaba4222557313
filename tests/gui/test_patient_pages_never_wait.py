"""The patient pages never wait on the database (issue 20): a stalled server holds up only what was
asked of it, and the page says it is reading or saving meanwhile (see test_database_worker)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from desk_app.domain.people import Staff
from desk_app.store.access import RECORD_OPENED
from desk_app.store.desk import Desk
from desk_app.ui import patient_models
from desk_app.ui.form_dialog import SAVING
from desk_app.ui.main_window import MainWindow
from tests.gui.nurse import click, find, settle, type_into
from tests.gui.test_access_audit import last_row_id, opening, rows_after
from tests.gui.test_database_worker import Stall, quickly


def test_a_patient_opened_during_a_stall_reads_then_shows_the_last_one_asked(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    zoe = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    ian = desk.patients.register_patient("Ian", "Ironside", "1970-05-06", "AZ-00002", nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    page = window.patient_page
    before = last_row_id()
    stalled = Stall(window.worker)
    quickly(lambda: window.show_patient(zoe.id))
    assert window.stack.currentWidget() is page and page.name_label.text() == "Reading…"
    quickly(lambda: window.show_patient(ian.id))  # she changed her mind before Zoë's record came

    stalled.resume()
    settle(qtbot)
    assert page.name_label.text() == "Ian Ironside", "Zoë's late answer is not shown over Ian's"
    opened = [opening(row) for row in rows_after(before) if row.action == RECORD_OPENED]
    assert opened == [(RECORD_OPENED, nurse.id, ian.id, "patient page", None)], "only what was shown"


def test_registering_a_patient_during_a_stall_says_saving_until_it_has_committed(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    window.set_staff(nurse)
    settle(qtbot)
    for field, text in (
        ("First names", "Zoë"),
        ("Surname", "O'Brien"),
        ("Date of birth", "03/02/1990"),
        ("Clinic number", "AZ-00001"),
    ):
        type_into(qtbot, window, field, text)
    stalled = Stall(window.worker)
    button = find(window, QPushButton, "Register patient")
    quickly(lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton))
    assert button.text() == SAVING and not button.isEnabled()
    quickly(lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton))  # pressed again meanwhile
    assert desk.patients.search_patients("AZ-00001") == []

    stalled.resume()
    settle(qtbot)
    assert button.text() == "Register patient" and button.isEnabled()
    assert [p.full_name for p in desk.patients.search_patients("AZ-00001")] == ["Zoë O'Brien"]
    assert window.home_page.chosen_item() is not None, "registered once, and chosen to start"


def test_the_patient_lists_next_page_is_added_when_it_comes(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(patient_models, "PAGE", 3)  # a page of 3 rows: 5 patients are 2 pages
    monkeypatch.setattr("desk_app.ui.patients_page.PAGE", 3)
    for number in range(5):
        desk.patients.register_patient("Ann", f"Surname{number}", "1980-01-01", f"AZ-0000{number}", nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    click(qtbot, window, "Patients")
    model = window.patients_page.model
    assert model.rowCount() == 3 and model.canFetchMore(QModelIndex())

    stalled = Stall(window.worker)
    quickly(lambda: model.fetchMore(QModelIndex()))
    assert model.rowCount() == 3 and not model.canFetchMore(QModelIndex()), "asked once, not again"
    stalled.resume()
    settle(qtbot)
    assert [model.row_at(row).family_name for row in range(model.rowCount())] == [
        f"Surname{number}" for number in range(5)
    ]
