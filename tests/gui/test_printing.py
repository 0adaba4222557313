"""Printing from the app as a nurse does it: open the pages, then print them or save them as a PDF."""

from __future__ import annotations

import stat
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtGui import QPageSize
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QComboBox, QDialog, QFileDialog, QLabel, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from desk_app.domain.clinic import DocumentKind, PaperSize, checked_clinic_details
from desk_app.domain.clock import ManualClock
from desk_app.domain.integrity import DatabaseLink
from desk_app.domain.people import Patient, Staff
from desk_app.store.desk import Desk
from desk_app.store.errors import StoreUnavailable
from desk_app.store.postgres import describe
from desk_app.ui.main_window import MainWindow
from desk_app.ui.printing import PrintDialog
from tests.gui.nurse import click, described, find, open_dialog, settle, type_text, visible_texts
from tests.gui.printers import FakePrintSystem
from tests.gui.test_clinical_rules_gui import signed_out
from tests.gui.test_patient_screens import open_patient_page
from tests.support.people import administrator
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, TIME_OUT, signed_out_session, tick_all

CONTACT = "Questions or worries? Call 020 7946 0000"
OUT_OF_HOURS = "When we are closed, call NHS 111, or 999 in an emergency"


def pdf_text(path: Path) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(path).pages)
    return " ".join(unicodedata.normalize("NFKC", text).split())


def register(desk: Desk, nurse: Staff) -> Patient:
    return desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00012", nurse.id)


def open_signed_out_session(
    qtbot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> tuple[Patient, int]:
    """Zoë's first session, signed out, on screen for the nurse at the desk."""
    patient = register(desk, nurse)
    session_id = signed_out_session(desk, clock, patient.id, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    return patient, session_id


def print_dialog() -> PrintDialog:
    dialog = open_dialog()
    assert isinstance(dialog, PrintDialog)
    return dialog


def save_through_file_dialog(qtbot: QtBot, dialog: PrintDialog, target: Path, finished: bool = True) -> None:
    """Click Save as PDF…, then type the file's name in the file dialog and accept it; then, if
    `finished`, wait (as the nurse does) for the PDF made on a thread of its own."""
    click(qtbot, dialog, "Save as PDF…")
    (chooser,) = [w for w in dialog.findChildren(QFileDialog) if w.isVisible()]
    assert chooser.acceptMode() is QFileDialog.AcceptMode.AcceptSave
    # Qt's own question about an existing file would block: the print dialog asks instead.
    assert chooser.testOption(QFileDialog.Option.DontConfirmOverwrite)
    chooser.selectFile(str(target))
    chooser.accept()
    if finished:  # the progress bar goes, and the PDF is saved (or a question asked)
        qtbot.waitUntil(lambda: not dialog.pdf_job.running())


def test_a_nurse_previews_a_signed_out_session_and_saves_its_record_as_a_pdf(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, tmp_path: Path
) -> None:
    patient, session_id = open_signed_out_session(qtbot, window, desk, clock, nurse)

    click(qtbot, window, "Print record…")
    dialog = print_dialog()
    assert dialog.windowTitle() == "Print: Session record, session 1"
    qtbot.waitUntil(lambda: dialog.page_count() >= 1)
    assert "A4 paper" in visible_texts(dialog)
    assert desk.clinic.print_log(patient.id) == []  # a preview is not a print

    target = tmp_path / "zoe record.pdf"
    rows, head = desk.audit.audit_head()
    save_through_file_dialog(qtbot, dialog, target)

    pages = len(PdfReader(target).pages)
    assert f"Saved zoe record.pdf ({pages} page" in visible_texts(dialog)
    text = pdf_text(target)
    assert "Zoë O'Brien" in text and "AZ-00012" in text
    assert f"Printed by {nurse.name} on" in text and f"Page {pages} of {pages}" in text
    assert f"audit row {rows} · hash {head[:12]}" in text  # the trail's head as it was painted
    (entry,) = desk.clinic.print_log(patient.id)
    assert (entry.document, entry.session_id, entry.pages, entry.printed_by) == (
        DocumentKind.SESSION_RECORD,
        session_id,
        pages,
        nurse.name,
    )
    assert entry.destination == f"PDF {target}"


def test_saving_over_an_existing_file_asks_first_and_keeping_it_changes_nothing(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, tmp_path: Path
) -> None:
    patient, _session_id = open_signed_out_session(qtbot, window, desk, clock, nurse)
    click(qtbot, window, "Print record…")
    dialog = print_dialog()
    documents = tmp_path / "documents"
    documents.mkdir()
    target = documents / "zoe record.pdf"
    target.write_bytes(b"last month's record")
    target.chmod(0o644)

    save_through_file_dialog(qtbot, dialog, target)
    (question,) = [w for w in dialog.findChildren(QMessageBox) if w.isVisible()]
    assert question.text() == f"zoe record.pdf already exists in {documents}. Replace it?"
    click(qtbot, question, "Keep the old file")
    assert "Not saved: zoe record.pdf was kept as it was." in visible_texts(dialog)
    assert target.read_bytes() == b"last month's record"
    assert desk.clinic.print_log(patient.id) == []

    save_through_file_dialog(qtbot, dialog, target)
    (question,) = [w for w in dialog.findChildren(QMessageBox) if w.isVisible()]
    click(qtbot, question, "Replace")
    qtbot.waitUntil(lambda: not dialog.pdf_job.running())  # made on a thread of its own
    assert "Saved zoe record.pdf (" in visible_texts(dialog)
    assert "Zoë O'Brien" in pdf_text(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [path.name for path in documents.iterdir()] == ["zoe record.pdf"]  # no temporary file left
    (entry,) = desk.clinic.print_log(patient.id)
    assert entry.destination == f"PDF {target}"


def test_neither_save_as_pdf_nor_print_to_file_write_over_the_database(
    qtbot: QtBot,
    window: MainWindow,
    desk: Desk,
    clock: ManualClock,
    nurse: Staff,
    tmp_path: Path,
    print_system: FakePrintSystem,
) -> None:
    patient, _session_id = open_signed_out_session(qtbot, window, desk, clock, nurse)
    live = desk.database.database_file()
    assert live is not None
    before = live.read_bytes()
    link = tmp_path / "record.pdf"
    link.symlink_to(live)
    click(qtbot, window, "Print record…")
    dialog = print_dialog()

    save_through_file_dialog(qtbot, dialog, live)
    assert not [w for w in dialog.findChildren(QMessageBox) if w.isVisible()]  # refused, not asked
    assert f"{live} is named like a database or a backup" in visible_texts(dialog)

    click(qtbot, dialog, "Print…")
    (chooser,) = [w for w in dialog.findChildren(QPrintDialog) if w.isVisible()]
    chooser.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    chooser.printer().setOutputFileName(str(link))  # 'Print to file', as the print dialog offers
    chooser.done(QDialog.DialogCode.Accepted)
    settle(qtbot)
    assert f"Not printed: {link} is a link to {live}" in visible_texts(dialog)

    assert live.read_bytes() == before
    assert link.readlink() == live
    assert desk.clinic.print_log(patient.id) == []


def test_print_to_file_as_a_printer_driver_would_is_logged_and_sends_every_page(
    qtbot: QtBot,
    window: MainWindow,
    desk: Desk,
    clock: ManualClock,
    nurse: Staff,
    tmp_path: Path,
    print_system: FakePrintSystem,
) -> None:
    patient, session_id = open_signed_out_session(qtbot, window, desk, clock, nurse)
    click(qtbot, window, "Print record…")
    dialog = print_dialog()
    rows, head = desk.audit.audit_head()

    click(qtbot, dialog, "Print…")
    (chooser,) = [w for w in dialog.findChildren(QPrintDialog) if w.isVisible()]
    # The test's "printer" writes its pages to a file, as a printer driver would to paper.
    paper = tmp_path / "paper.pdf"
    printer = chooser.printer()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(paper))
    chooser.done(QDialog.DialogCode.Accepted)
    settle(qtbot)

    pages = len(PdfReader(paper).pages)
    assert pages == dialog.page_count()
    assert "Zoë O'Brien" in pdf_text(paper)
    assert f"audit row {rows} · hash {head[:12]}" in pdf_text(paper)  # the head as it was printed
    (entry,) = desk.clinic.print_log(patient.id)
    assert entry.pages == pages and entry.printed_by == nurse.name
    assert f"Sent {pages} page" in visible_texts(dialog)


def test_cancelling_the_printer_choice_prints_and_logs_nothing(
    qtbot: QtBot,
    window: MainWindow,
    desk: Desk,
    clock: ManualClock,
    nurse: Staff,
    print_system: FakePrintSystem,
) -> None:
    patient, _session_id = open_signed_out_session(qtbot, window, desk, clock, nurse)
    click(qtbot, window, "Print record…")
    dialog = print_dialog()
    click(qtbot, dialog, "Print…")
    (chooser,) = [w for w in dialog.findChildren(QPrintDialog) if w.isVisible()]
    chooser.reject()
    assert desk.clinic.print_log(patient.id) == []


def test_the_aftercare_sheet_is_printed_from_the_open_session_before_sign_out(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, tmp_path: Path
) -> None:
    patient = register(desk, nurse)
    session = desk.sessions.start_session(patient.id, nurse.id)
    tick_all(desk, session.id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    clock.advance(minutes=61)
    tick_all(desk, session.id, {**TIME_OUT, **LASER}, nurse.id)  # the laser is done; sign-out to come
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session.id)
    settle(qtbot)  # the session is read on the database worker
    # The clinic has not said whom its patients should call: the sheet is refused, saying where to fix it.
    click(qtbot, window, "Aftercare sheet…")
    shown = visible_texts(window)
    assert "No aftercare sheet yet" in shown and "“Contact line for patients” and" in shown
    assert "under Clinic details" in shown
    assert not [w for w in window.findChildren(PrintDialog) if w.isVisible()]
    assert desk.clinic.print_log(patient.id) == []

    lines = checked_clinic_details("Azure Medical", "", CONTACT, "A4", out_of_hours_line=OUT_OF_HOURS)
    desk.clinic.update_clinic_details(lines, administrator(desk).id)
    click(qtbot, window, "Aftercare sheet…")
    dialog = print_dialog()
    assert dialog.windowTitle() == "Print: Aftercare sheet"
    target = tmp_path / "sheet.pdf"
    save_through_file_dialog(qtbot, dialog, target)
    text = pdf_text(target)
    assert "After your laser treatment" in text and "Red, like sunburn, until about" in text
    assert "When to call us" in text and CONTACT in text and OUT_OF_HOURS in text
    assert "From Azure Medical · printed" in text and nurse.name not in text  # the clinic, not the account
    (entry,) = desk.clinic.print_log(patient.id)
    assert entry.document is DocumentKind.AFTERCARE_SHEET and entry.printed_by == nurse.name


def test_no_aftercare_sheet_before_the_laser_says_why(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    patient = register(desk, nurse)
    session = desk.sessions.start_session(patient.id, nurse.id)
    tick_all(desk, session.id, SIGN_IN, nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session.id)
    settle(qtbot)  # the session is read on the database worker
    click(qtbot, window, "Aftercare sheet…")
    assert "no laser pass recorded" in visible_texts(window)
    assert not [w for w in window.findChildren(PrintDialog) if w.isVisible()]


def test_a_patients_whole_history_prints_from_the_patient_page(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, tmp_path: Path
) -> None:
    patient = register(desk, nurse)
    signed_out_session(desk, clock, patient.id, nurse)
    clock.advance(days=30)
    signed_out(desk, clock, patient.id, nurse, "2027-01-24")
    open_patient_page(qtbot, window, nurse, "zoe")

    click(qtbot, window, "Print history…")
    dialog = print_dialog()
    assert dialog.windowTitle() == "Print: Patient history"
    target = tmp_path / "history.pdf"
    save_through_file_dialog(qtbot, dialog, target)
    qtbot.waitUntil(lambda: "Saved history.pdf (" in dialog.message.text())  # made on a thread
    text = pdf_text(target)
    assert "Patient history" in text and "Session 1," in text and "Session 2," in text
    (entry,) = desk.clinic.print_log(patient.id)
    assert entry.document is DocumentKind.PATIENT_HISTORY and entry.session_id is None
    click(qtbot, dialog, "Close")
    prints = described(window, QLabel, "Prints and exports").text()
    assert f"{nurse.name}: patient history (" in prints and str(target) in prints


def test_clinic_details_are_saved_from_the_toolbar_and_printed(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, admin: Staff
) -> None:
    window.set_staff(nurse)
    settle(qtbot)
    assert not window.clinic_action.isVisible(), "only an administrator changes the clinic's details"
    window.set_staff(admin)
    settle(qtbot)
    window.clinic_action.trigger()
    settle(qtbot)
    dialog = open_dialog()
    contact = find(dialog, QLineEdit, "Contact line for patients")
    type_text(contact, "Worried after treatment? Call 020 7946 0000")
    type_text(find(dialog, QLineEdit, "Out-of-hours line for patients"), OUT_OF_HOURS)
    find(dialog, QComboBox, "Paper size").setCurrentText("Letter")
    click(qtbot, dialog, "Save")
    assert not dialog.isVisible()
    details = desk.clinic.clinic_details()
    assert details.contact_line == "Worried after treatment? Call 020 7946 0000"
    assert details.out_of_hours_line == OUT_OF_HOURS
    assert details.paper is PaperSize.LETTER

    patient, _session_id = open_signed_out_session(qtbot, window, desk, clock, nurse)
    click(qtbot, window, "Aftercare sheet…")
    sheet = print_dialog()
    assert "Letter paper" in visible_texts(sheet)
    assert sheet.printer.pageLayout().pageSize().id() is QPageSize.PageSizeId.Letter


def test_a_blank_clinic_name_is_refused_and_nothing_changes(
    qtbot: QtBot, window: MainWindow, desk: Desk, admin: Staff
) -> None:
    window.set_staff(admin)
    settle(qtbot)
    window.clinic_action.trigger()
    settle(qtbot)
    dialog = open_dialog()
    find(dialog, QLineEdit, "Clinic name").clear()
    click(qtbot, dialog, "Save")
    assert dialog.isVisible()
    assert "Clinic name: please fill this in." in visible_texts(dialog)
    assert desk.clinic.clinic_details().name == "Azure Medical"


@pytest.mark.both_databases
def test_the_backup_folder_is_offered_only_where_the_app_makes_the_backups(
    qtbot: QtBot, window: MainWindow, admin: Staff, backend: str
) -> None:
    window.set_staff(admin)
    settle(qtbot)
    window.clinic_action.trigger()
    settle(qtbot)
    dialog = open_dialog()
    folder = find(dialog, QLineEdit, "Backup folder (empty: beside the database)")
    if backend == "sqlite":
        assert folder.isEnabled()
    else:  # a shared database on a server: its backups are the server's (README)
        assert not folder.isEnabled()
        assert folder.text() == ""  # the demo sets none: what shows is the reason
        assert folder.placeholderText() == folder.toolTip() == "Not used: the server keeps them"
    click(qtbot, dialog, "Cancel")


@pytest.mark.both_databases
def test_clinic_details_say_where_the_records_are_and_whether_the_way_there_is_encrypted(
    qtbot: QtBot, window: MainWindow, admin: Staff, backend: str, db_url: str
) -> None:
    window.set_staff(admin)
    settle(qtbot)
    window.clinic_action.trigger()
    settle(qtbot)
    dialog = open_dialog()
    if backend == "sqlite":
        shown = f"A file on this PC: {Path(db_url).resolve()}"
    else:  # the test server: loopback, without TLS
        shown = (
            f"On the server {describe(db_url)}, on this PC: not encrypted, and the connection never "
            "leaves this PC."
        )
    assert shown in visible_texts(dialog).splitlines()
    label = dialog.findChild(QLabel, "databaseLink")
    assert label.accessibleName() == f"Where the records are: {label.text()}"  # heard, not only seen
    assert label.property("exposed") is not True
    click(qtbot, dialog, "Cancel")


@pytest.mark.parametrize(
    ("link", "shown", "exposed"),
    [
        (
            DatabaseLink("desk@clinic-server:5432/treatment_desk", True, True, False, "TLSv1.3"),
            "On the server desk@clinic-server:5432/treatment_desk. The connection is encrypted (TLSv1.3).",
            False,
        ),
        (
            DatabaseLink("desk@clinic-server:5432/treatment_desk", True, False, False),
            "On the server desk@clinic-server:5432/treatment_desk. The connection is NOT encrypted: others "
            "on the network could read the records. Ask whoever looks after the server to turn on "
            "encryption (TLS).",
            True,
        ),
    ],
)
def test_clinic_details_warn_of_a_connection_to_another_host_that_is_not_encrypted(
    qtbot: QtBot,
    window: MainWindow,
    desk: Desk,
    admin: Staff,
    monkeypatch: pytest.MonkeyPatch,
    link: DatabaseLink,
    shown: str,
    exposed: bool,
) -> None:
    """What the server would say over TLS, or in clear text that the address allowed: a server
    with neither is not run by the tests (and no test connects to another host)."""
    monkeypatch.setattr(desk.database, "database_link", lambda: link)
    window.set_staff(admin)
    settle(qtbot)
    window.clinic_action.trigger()
    settle(qtbot)
    dialog = open_dialog()
    assert shown in visible_texts(dialog).splitlines()
    label = dialog.findChild(QLabel, "databaseLink")
    assert label.accessibleName() == f"Where the records are: {label.text()}"
    assert label.property("exposed") is exposed
    red = label.palette().color(label.foregroundRole()).name() == "#b00020"  # as desk.qss paints it
    assert red is exposed
    click(qtbot, dialog, "Cancel")


def test_the_preview_reads_the_trails_head_once_and_says_so_when_it_cannot(
    qtbot: QtBot,
    window: MainWindow,
    desk: Desk,
    clock: ManualClock,
    nurse: Staff,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    open_signed_out_session(qtbot, window, desk, clock, nurse)
    reads = []

    def unreadable_head() -> tuple[int, str]:
        reads.append("read")
        raise StoreUnavailable("Not saved: the database could not be used (disk I/O error).")

    monkeypatch.setattr(desk.audit, "audit_head", unreadable_head)
    click(qtbot, window, "Print record…")
    dialog = print_dialog()
    qtbot.waitUntil(lambda: dialog.page_count() >= 1)
    dialog.preview.updatePreview()  # as a zoom or a resize repaints it
    dialog.preview.updatePreview()

    assert reads == ["read"]
    assert "The preview shows no audit row in its footer" in visible_texts(dialog)
