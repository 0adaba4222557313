"""Printing on paper tells the truth (issue 22): a print is in the print log only once the printer
took it; one it did not take is said, with what to do, and audited as not sent; no printer is said
before the print dialog; a paused queue is named; the clinic's paper size is what the printer gets."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from PySide6.QtGui import QPageSize
from PySide6.QtPrintSupport import QPrintDialog
from PySide6.QtWidgets import QDialog, QLabel
from pytestqt.qtbot import QtBot

from desk_app.domain.clinic import PaperSize
from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.store.models import AuditLog
from desk_app.ui import printing
from desk_app.ui.main_window import MainWindow
from desk_app.ui.printing import PrintDialog
from tests.gui.nurse import click, settle, visible_texts
from tests.gui.printers import QUEUE, FakePrinter, FakePrintSystem
from tests.gui.test_printing import open_signed_out_session, print_dialog
from tests.support.people import administrator

DONE_GREEN, ERROR_RED = "#1e7b34", "#b3261e"


@pytest.fixture
def system(print_system: FakePrintSystem) -> FakePrintSystem:
    return print_system


def printing_dialog(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> PrintDialog:
    open_signed_out_session(qtbot, window, desk, clock, nurse)
    click(qtbot, window, "Print record…")
    return print_dialog()


def print_on(qtbot: QtBot, dialog: PrintDialog, printer: FakePrinter) -> None:
    """Print… then the printer chosen in Qt's print dialog; the outcome as the nurse waits for it."""
    dialog.printer = printer
    click(qtbot, dialog, "Print…")
    (chooser,) = [w for w in dialog.findChildren(QPrintDialog) if w.isVisible()]
    chooser.done(QDialog.DialogCode.Accepted)
    settle(qtbot)  # the attempt is audited first
    settle(qtbot)  # then the outcome


def trail(desk: Desk) -> list[tuple[str, dict]]:
    rows = AuditLog.select().where(AuditLog.action.contains("print")).order_by(AuditLog.id)
    return [(row.action, json.loads(row.detail or "{}")) for row in rows]


def message(dialog: PrintDialog) -> QLabel:
    return dialog.message


def colour(label: QLabel) -> str:
    return label.palette().color(label.foregroundRole()).name()


def test_a_print_the_printer_took_is_logged_after_its_attempt_and_said_in_green(
    qtbot: QtBot, nurse: Staff, window: MainWindow, desk: Desk, clock: ManualClock, system: FakePrintSystem
) -> None:
    dialog = printing_dialog(qtbot, window, desk, clock, nurse)
    print_on(qtbot, dialog, FakePrinter(system))

    pages = dialog.page_count()
    said = f"Sent {pages} page{'s' if pages > 1 else ''} to printer {QUEUE}. The print is in the print log."
    assert message(dialog).text() == said and message(dialog).isVisible()
    assert message(dialog).property("tone") == "done" and colour(message(dialog)) == DONE_GREEN
    (entry,) = desk.clinic.print_log(dialog.document.patient_id)
    assert entry.destination == f"printer {QUEUE}" and entry.pages == pages
    (attempted, attempt), (printed, logged) = trail(desk)
    assert (attempted, printed) == ("print attempted", "printed")
    assert logged["attempt"] == attempt["attempt"] and logged["held"] is None


@pytest.mark.parametrize(
    ("breaks", "said"),
    [
        ("end fails", f"The printer {QUEUE} could not take the pages"),
        ("refuses jobs", f"The printer {QUEUE} is not taking jobs (Rejecting: out of toner)"),
        ("server stopped", f"Not sent to the printer {QUEUE}: no job reached its queue"),
    ],
)
def test_a_print_the_printer_did_not_take_is_said_and_audited_and_never_in_the_print_log(
    qtbot: QtBot,
    nurse: Staff,
    window: MainWindow,
    desk: Desk,
    clock: ManualClock,
    system: FakePrintSystem,
    breaks: str,
    said: str,
) -> None:
    dialog = printing_dialog(qtbot, window, desk, clock, nurse)
    printer = FakePrinter(system)
    if breaks == "end fails":
        printer.hands_over = False
    elif breaks == "refuses jobs":
        system.refusing = f"the printer {QUEUE} is not taking jobs (Rejecting: out of toner)"
    else:
        system.takes_jobs = False
    print_on(qtbot, dialog, printer)

    text = message(dialog).text()
    assert text.startswith(f"Not printed. {said}"), text
    assert text.endswith("Choose another printer, or Save as PDF and print the file later.")
    assert colour(message(dialog)) == ERROR_RED
    assert desk.clinic.print_log(dialog.document.patient_id) == []
    (attempted, attempt), (not_sent, outcome) = trail(desk)
    assert (attempted, not_sent) == ("print attempted", "print not sent")
    assert outcome["attempt"] == attempt["attempt"] and said in outcome["reason"]
    assert (printer.layouts == []) is (breaks == "refuses jobs")  # refused before any page is sent


def test_a_paused_printer_is_named_and_the_print_is_logged_as_held(
    qtbot: QtBot, nurse: Staff, window: MainWindow, desk: Desk, clock: ManualClock, system: FakePrintSystem
) -> None:
    system.paused_because = "Paused"
    dialog = printing_dialog(qtbot, window, desk, clock, nurse)
    print_on(qtbot, dialog, FakePrinter(system))

    assert (
        "The printer is paused (Paused): the record will print when it is resumed." in message(dialog).text()
    )
    assert message(dialog).property("tone") == "note"
    (entry,) = desk.clinic.print_log(dialog.document.patient_id)
    assert trail(desk)[-1][1]["held"] == "Paused"


def test_no_printer_is_said_before_the_print_dialog_and_save_as_pdf_is_offered(
    qtbot: QtBot,
    nurse: Staff,
    window: MainWindow,
    desk: Desk,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(printing, "print_system", lambda: FakePrintSystem(printers=()))
    dialog = printing_dialog(qtbot, window, desk, clock, nurse)
    click(qtbot, dialog, "Print…")
    assert not [w for w in dialog.findChildren(QPrintDialog) if w.isVisible()]
    assert "No printer is available on this PC" in visible_texts(dialog)
    assert "Save the record as a PDF instead" in visible_texts(dialog)
    assert dialog.focusWidget().text() == "Save as PDF…"
    assert trail(desk) == []


def test_the_printer_is_asked_for_the_clinics_paper_whatever_its_queue_offers(
    qtbot: QtBot, nurse: Staff, window: MainWindow, desk: Desk, clock: ManualClock, system: FakePrintSystem
) -> None:
    admin = administrator(desk)
    desk.clinic.update_clinic_details(replace(desk.clinic.clinic_details(), paper=PaperSize.LETTER), admin.id)
    dialog = printing_dialog(qtbot, window, desk, clock, nurse)
    printer = FakePrinter(system)
    dialog.printer = printer
    click(qtbot, dialog, "Print…")
    (chooser,) = [w for w in dialog.findChildren(QPrintDialog) if w.isVisible()]
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))  # the queue's default, as the dialog offers it
    chooser.done(QDialog.DialogCode.Accepted)
    settle(qtbot)
    settle(qtbot)

    assert [layout.pageSize().id() for layout in printer.layouts] == [QPageSize.PageSizeId.Letter]
    assert message(dialog).text().startswith("Sent ")
