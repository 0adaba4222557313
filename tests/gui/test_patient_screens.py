"""The patients screens as a nurse uses them: find a patient, read the course and past sessions,
change the registration (every change kept), archive, and amend a locked session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QTableView, QTextBrowser

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.procedure import Procedure, load_procedure, parse_procedure
from desk_app.domain.session import EventKind
from desk_app.paths import PROCEDURE_FILE, resource_path
from desk_app.store.desk import Desk
from desk_app.store.models import EventRow
from desk_app.ui.main_window import MainWindow
from desk_app.ui.patient_models import PAGE, PatientListModel, SessionListModel
from tests.gui.nurse import (
    click,
    described_text,
    find,
    open_dialog,
    settle,
    type_into,
    type_text,
    visible_texts,
)
from tests.gui.test_clinical_rules_gui import signed_out
from tests.support.walk import signed_out_session


def open_patient_page(qtbot, window: MainWindow, nurse: Staff, text: str) -> None:  # noqa: ANN001
    window.set_staff(nurse)
    settle(qtbot)
    click(qtbot, window, "Patients")
    type_into(qtbot, window, "Search all patients", text)
    qtbot.keyClick(find(window, QLineEdit, "Search all patients"), Qt.Key.Key_Down)  # the first found
    click(qtbot, window, "Open patient")


def test_the_patient_list_pages_lazily_and_passes_the_model_tester(
    qtmodeltester,
    desk: Desk,
    nurse: Staff,  # noqa: ANN001
) -> None:
    for number in range(PAGE * 2 + 50):
        desk.patients.register_patient(
            "Ann", f"Surname{number:03d}", "1980-01-01", f"AZ-{number:05d}", nurse.id
        )
    model = PatientListModel(
        lambda text, limit, offset, deliver, _not_read: deliver(
            desk.patients.search_patients(text, limit, offset)
        )
    )
    model.show("", desk.patients.search_patients("", PAGE, 0))  # the page's search reads the first
    assert model.rowCount() == PAGE  # the first paint costs one page
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == PAGE * 2 + 50
    assert not model.canFetchMore(QModelIndex())
    assert [model.row_at(row).family_name for row in (0, 249)] == ["Surname000", "Surname249"]
    qtmodeltester.check(model)
    model.show("surname01", desk.patients.search_patients("surname01", PAGE, 0))
    assert model.rowCount() == 10
    qtmodeltester.check(model)


def test_the_sessions_model_passes_the_model_tester(
    qtmodeltester,
    desk: Desk,
    nurse: Staff,
    clock: ManualClock,  # noqa: ANN001
) -> None:
    from desk_app.domain.course import session_line

    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    signed_out_session(desk, clock, patient.id, nurse)
    model = SessionListModel()
    model.set_lines(
        [session_line(r, clock.now()) for r in desk.sessions.patient_history(patient.id).sessions]
    )
    assert model.rowCount() == 1
    qtmodeltester.check(model)


def test_a_patient_page_shows_the_course_and_every_session(
    qtbot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,
    clock: ManualClock,  # noqa: ANN001
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    signed_out_session(desk, clock, patient.id, nurse)
    clock.advance(days=35)
    signed_out(desk, clock, patient.id, nurse, "2027-02-03")
    clock.advance(days=3)

    open_patient_page(qtbot, window, nurse, "zoe")

    course = described_text(window, "Course")
    assert course.startswith("2 of 3 sessions done · last session 30/12/2026, 3 days ago")
    assert "next session from 27/01/2027 (28 days after the last)" in course
    assert "planned for 03/02/2027" in course
    table = find(window, QTableView, "Sessions of this patient")
    rows = [
        [table.model().index(row, column).data() for column in range(5)]
        for row in range(table.model().rowCount())
    ]
    assert [row[:4] for row in rows] == [
        ["30/12/2026", "2", "Signed out and locked", "Ann Nurse"],
        ["25/11/2026", "1", "Signed out and locked", "Ann Nurse"],
    ]
    assert "40.0 mJ" in rows[0][4] and "5.5 J/cm²" in rows[0][4] and "7 mm" not in rows[0][4]


def five_weeks_between(procedure: Procedure) -> Procedure:
    """The procedure with its course's interval at 35 days rather than 28."""
    source = procedure.source.replace("min_days_between = 28\n", "min_days_between = 35\n", 1)
    assert source != procedure.source
    return parse_procedure(source, "laser-acne-scarring, 35 days between sessions (test)")


@pytest.mark.parametrize("procedure", [five_weeks_between(load_procedure(resource_path(PROCEDURE_FILE)))])
def test_the_earliest_next_session_follows_the_procedures_interval(
    qtbot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,
    clock: ManualClock,  # noqa: ANN001
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    signed_out_session(desk, clock, patient.id, nurse)  # 25/11/2026
    clock.advance(days=3)

    open_patient_page(qtbot, window, nurse, "zoe")

    assert "next session from 30/12/2026 (35 days after the last)" in described_text(window, "Course")


def test_a_nurse_typing_john_smith_finds_him_written_with_a_cyrillic_o(
    qtbot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,  # noqa: ANN001
) -> None:
    """Issue 13: the name looks like John Smith on screen, so that is what a nurse types."""
    desk.patients.register_patient("J\u043ehn", "Smith", "1980-05-06", "AZ-00001", nurse.id)
    open_patient_page(qtbot, window, nurse, "john smith")
    assert find(window, QLabel, "J\u043ehn Smith").isVisible()


def test_changes_to_the_registration_are_kept_and_listed(
    qtbot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,
    clock: ManualClock,  # noqa: ANN001
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    open_patient_page(qtbot, window, nurse, "AZ-00001")
    clock.advance(minutes=5)
    type_into(qtbot, window, "Phone", "07700 900123")
    click(qtbot, window, "Save changes")
    assert "Saved." in visible_texts(window.patient_page)
    assert desk.patients.patient(patient.id).phone == "07700 900123"
    changes = described_text(window, "Changes to the registration")
    assert "25/11/2026 09:05 Ann Nurse changed Phone: '' to '07700 900123'" in changes

    # A 10,000-character note is refused with a message, and nothing is saved.
    notes = find(window, QPlainTextEdit, "Notes")
    notes.setPlainText("x" * 10_000)
    click(qtbot, window, "Save changes")
    assert "Notes is too long" in visible_texts(window.patient_page)
    assert desk.patients.patient(patient.id).notes == ""
    assert len(desk.patients.patient_changes(patient.id)) == 1


def test_an_archived_patient_leaves_the_search_but_is_never_deleted(
    qtbot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,  # noqa: ANN001
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    open_patient_page(qtbot, window, nurse, "obrien")
    click(qtbot, window, "Archive patient")
    assert "(archived)" in find(window, QLabel, "Zoë O'Brien  (archived)").text()
    assert desk.patients.search_patients("obrien") == []
    assert [p.id for p in desk.patients.search_patients("obrien", include_archived=True)] == [patient.id]
    click(qtbot, window, "Bring back from archive")
    assert [p.id for p in desk.patients.search_patients("obrien")] == [patient.id]


def test_a_past_session_opens_read_only_and_takes_an_amendment_beside_the_original(
    qtbot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,
    clock: ManualClock,  # noqa: ANN001
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    session_id = signed_out_session(desk, clock, patient.id, nurse)
    original = [(row.id, row.kind, row.text, row.values_json, row.at) for row in EventRow.select()]
    clock.advance(days=2)
    open_patient_page(qtbot, window, nurse, "zoe")
    click(qtbot, window, "Open session")

    summary = find(window, QTextBrowser, "Session summary").toPlainText()
    assert "Status: Signed out and locked" in summary
    assert not [w for w in window.findChildren(QLabel) if w.isVisible() and w.text().startswith("✓ Done")]

    click(qtbot, window, "Add amendment…")
    dialog = open_dialog()
    type_text(dialog.findChild(QPlainTextEdit), "Fluence was 5.0, not 5.5 J/cm² (device log)")
    type_into(qtbot, dialog, "Why it is amended", "Typed from the wrong line of the log")
    click(qtbot, dialog, "Add amendment")

    summary = find(window, QTextBrowser, "Session summary").toPlainText()
    assert "AMENDMENT 27/11/2026 10:01 by Ann Nurse: Fluence was 5.0, not 5.5 J/cm² (device log)" in summary
    assert "(why: Typed from the wrong line of the log)" in summary
    assert "Fluence: 5.5 J/cm²" in summary  # the original stays as it was
    after = [(row.id, row.kind, row.text, row.values_json, row.at) for row in EventRow.select()]
    assert after[: len(original)] == original
    [amendment] = after[len(original) :]
    assert amendment[1] == EventKind.AMENDMENT.value
    assert desk.sessions.session(session_id).events[-1].staff_name == "Ann Nurse"

    click(qtbot, window, "Back to patient")  # back where the nurse came from
    assert described_text(window, "Course").startswith("1 of 3 sessions done")
    assert clock.now() - desk.sessions.session(session_id).events[-1].at == timedelta(0)


def test_a_second_patient_with_the_same_name_and_birth_date_is_registered_only_on_purpose(
    qtbot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,  # noqa: ANN001
) -> None:
    desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    for name, text in (
        ("First names", "ZOE"),
        ("Surname", "o'brien"),
        ("Date of birth", "03/02/1990"),
        ("Clinic number", "AZ-00002"),
    ):
        type_into(qtbot, window, name, text)
    click(qtbot, window, "Register patient")
    assert "already registered as AZ-00001. Is this the same person?" in visible_texts(window.home_page)
    assert len(desk.patients.search_patients("obrien")) == 1
    click(qtbot, window, "Register anyway: a different person")
    assert [p.clinic_number for p in desk.patients.search_patients("obrien")] == ["AZ-00001", "AZ-00002"]
