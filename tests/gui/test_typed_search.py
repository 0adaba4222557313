"""Issue 20 point 3: the search as a nurse types reads the database once she pauses, not at each key;
Enter shows what her whole text finds at once; the lock drops a search still waiting for the pause.
The board's search and the patients screen's, each as the nurse uses it."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from desk_app.domain.people import Staff
from desk_app.store.access import PATIENTS_SEARCHED
from desk_app.store.desk import Desk
from desk_app.store.models import AuditLog
from desk_app.ui.main_window import MainWindow
from desk_app.ui.typed_search import SEARCH_DELAY_MS, Query, TypedSearch
from tests.gui.nurse import click, find, settle, type_into, type_text

# Each page: its search field and its list of patients found.
PAGES = {
    "board": ("Search patients", "Patients found"),
    "patients": ("Search all patients", "Patients"),
}
SMITH, SMART = "AZ-00001", "AZ-00002"  # "Sm" finds both; "Smith" one


def searches(monkeypatch: pytest.MonkeyPatch, desk: Desk) -> list[str]:
    """The texts the store is asked to search for, from now on (the store still answers)."""
    texts: list[str] = []
    search_patients = desk.patients.search_patients

    def spy(text: str, *args: object, **kwargs: object) -> list:
        texts.append(text)
        return search_patients(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(desk.patients, "search_patients", spy)
    return texts


def open_search(qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, page: str) -> QLineEdit:
    """Two patients, the nurse at the desk on `page`; its search field, every patient listed."""
    desk.patients.register_patient("Zoë", "Smith", "1990-02-03", SMITH, nurse.id)
    desk.patients.register_patient("Ian", "Smart", "1985-07-21", SMART, nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    if page == "patients":
        click(qtbot, window, "Patients")
    assert len(listed(window, page)) == 2
    return find(window, QLineEdit, PAGES[page][0])


def listed(window: MainWindow, page: str) -> list[str]:
    """Each line of the page's list of patients found (shown or not), as a screen reader reads it."""
    root = window.home_page if page == "board" else window.patients_page
    (view,) = [v for v in root.findChildren(QAbstractItemView) if v.accessibleName() == PAGES[page][1]]
    model = view.model()
    columns = 1 if page == "board" else model.columnCount()  # the board's list: one column
    return [
        " ".join(model.index(row, column).data() for column in range(columns))
        for row in range(model.rowCount())
    ]


@pytest.mark.parametrize("page", PAGES)
def test_typing_quickly_searches_once_with_the_whole_text(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    field = open_search(qtbot, window, desk, nurse, page)
    searched = searches(monkeypatch, desk)
    type_text(field, "Smith")  # S, Sm, Smi, Smit, Smith: each key supersedes the text before
    assert searched == []  # not a query per key
    qtbot.waitUntil(lambda: searched != [], timeout=10 * SEARCH_DELAY_MS)  # the pause
    settle(qtbot)  # and its patients shown (the search ran on the database worker)
    assert searched == ["Smith"]
    (found,) = listed(window, page)
    assert SMITH in found


@pytest.mark.parametrize("page", PAGES)
def test_enter_right_after_typing_shows_what_the_whole_text_finds_at_once(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    field = open_search(qtbot, window, desk, nurse, page)
    searched = searches(monkeypatch, desk)
    type_text(field, "Smart")
    qtbot.keyClick(field, Qt.Key.Key_Return)  # no pause: the list still holds Zoë Smith first
    settle(qtbot)
    assert searched == ["Smart"]
    (found,) = listed(window, page)
    assert SMART in found
    results = find(window, QAbstractItemView, PAGES[page][1])
    assert QApplication.focusWidget() is results
    assert [index.row() for index in results.selectionModel().selectedRows()] == [0]  # Ian Smart


@pytest.mark.parametrize("page", PAGES)
def test_a_search_waiting_when_the_screen_locks_reads_nothing_and_fills_nothing(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    field = open_search(qtbot, window, desk, nurse, page)
    searched = searches(monkeypatch, desk)
    type_text(field, "Smith")
    window.lock(idle=True)
    qtbot.wait(2 * SEARCH_DELAY_MS)  # past the pause the search waited for
    assert searched == []
    assert listed(window, page) == []


def test_a_forgotten_page_is_not_filled_by_the_search_that_was_waiting(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window forgets its pages while the nurse is still signed in (then signs her out): the
    forgotten page's waiting search must not fill it again, whoever is at the desk by then."""
    field = open_search(qtbot, window, desk, nurse, "board")
    searched = searches(monkeypatch, desk)
    type_text(field, "Smith")
    window.home_page.forget()
    qtbot.wait(2 * SEARCH_DELAY_MS)
    assert searched == []
    assert listed(window, "board") == []


def test_a_search_typed_just_before_leaving_the_page_is_run_and_audited_as_she_leaves(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    field = open_search(qtbot, window, desk, nurse, "board")
    before = AuditLog.select().order_by(AuditLog.id.desc()).first().id
    type_text(field, "Smith")
    click(qtbot, window, "Patients")  # before the pause
    (search,) = AuditLog.select().where(AuditLog.id > before, AuditLog.action == PATIENTS_SEARCHED)
    assert json.loads(search.detail) == {"found": 1, "more": False}


def test_ticking_include_archived_searches_at_once(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    field = open_search(qtbot, window, desk, nurse, "patients")
    searched = searches(monkeypatch, desk)
    desk.patients.set_archived(desk.patients.patient_by_clinic_number(SMART).id, True, nurse.id)
    type_text(field, "Sma")
    click(qtbot, window, "Include archived patients")
    assert searched == ["Sma"]
    (found,) = listed(window, "patients")
    assert SMART in found


def test_a_result_for_a_query_superseded_or_cancelled_is_not_shown(qtbot: QtBot) -> None:
    """What a search on a database worker checks when its result comes back."""
    field = QLineEdit()
    qtbot.addWidget(field)
    asked: list[Query] = []
    typing = TypedSearch(field, asked.append)
    type_text(field, "Smi")
    typing.flush()  # the pause
    (first,) = asked
    assert first.text == "Smi" and typing.is_current(first)
    type_text(field, "th")  # typed on while the result for "Smi" was on its way
    assert not typing.is_current(first)
    typing.flush()
    assert asked[-1].text == "Smith" and typing.is_current(asked[-1])
    typing.run_now()  # asked again (another choice of what to list): the one before is superseded
    assert not typing.is_current(asked[1]) and typing.is_current(asked[2])
    type_text(field, "s")
    typing.cancel()  # the lock
    typing.flush()
    assert len(asked) == 3  # the search waiting never ran
    assert not typing.is_current(asked[2])


def test_a_patient_registered_under_the_number_searched_for_is_listed_and_chosen(
    qtbot: QtBot, window: MainWindow, nurse: Staff
) -> None:
    """Searched for, not found, registered with that number: the field's text does not change, so
    no search waits; the new patient must still be listed and chosen, ready to start."""
    window.set_staff(nurse)
    settle(qtbot)
    type_into(qtbot, window, "Search patients", "AZ-00009")
    type_into(qtbot, window, "First names", "Zoë")
    type_into(qtbot, window, "Surname", "Okafor")
    type_into(qtbot, window, "Date of birth", "01/02/1990")
    type_into(qtbot, window, "Clinic number", "AZ-00009")
    click(qtbot, window, "Register patient")
    results = find(window, QAbstractItemView, "Patients found")
    assert results.model().rowCount() == 1 and results.currentIndex().row() == 0
    assert find(window, QPushButton, "Start session").isEnabled()
