"""Printing through a real CUPS queue (a PDF printer, cups-pdf), where the machine has one
(Debian: apt-get install cups printer-driver-cups-pdf, run as root or in group lpadmin): accepted,
refused, the print server stopped while the dialog is open, paused, and Letter paper. Each test
makes a queue of its own and removes it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from PySide6.QtPrintSupport import QPrintDialog
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from desk_app.domain.clinic import PaperSize
from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.main_window import MainWindow
from desk_app.ui.print_queue import CupsPrintSystem
from desk_app.ui.printing import PrintDialog
from tests.gui.nurse import click, settle
from tests.gui.test_printing import open_signed_out_session, print_dialog
from tests.support.people import administrator

CUPS_PDF_DRIVER = "lsb/usr/cups-pdf/CUPS-PDF_opt.ppd"


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)


def _why_no_queue() -> str | None:
    if not all(shutil.which(tool) for tool in ("lpstat", "lpadmin", "cupsreject", "cupsdisable")):
        return "no CUPS client (apt-get install cups printer-driver-cups-pdf)"
    if "scheduler is running" not in _run("lpstat", "-r").stdout:
        return "the CUPS scheduler is not running"
    if CUPS_PDF_DRIVER not in _run("lpinfo", "-m").stdout:
        return "no cups-pdf driver (apt-get install printer-driver-cups-pdf)"
    return None


pytestmark = pytest.mark.skipif(bool(_why_no_queue()), reason=_why_no_queue() or "")


@pytest.fixture
def queue() -> Iterator[str]:
    name = f"DeskTest{os.getpid()}"
    made = _run(
        "lpadmin", "-p", name, "-v", "cups-pdf:/", "-E", "-m", CUPS_PDF_DRIVER, "-o", "media-default=A4"
    )
    if made.returncode != 0:
        pytest.skip(f"cannot add a CUPS queue here (root or group lpadmin needed): {made.stderr.strip()}")
    try:
        yield name
    finally:
        _run("lpadmin", "-x", name)


def jobs(name: str) -> set[str]:
    jobs = CupsPrintSystem(shutil.which("lpstat") or "lpstat").jobs(name)
    assert jobs is not None
    return jobs


def print_to(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, name: str
) -> PrintDialog:
    open_signed_out_session(qtbot, window, desk, clock, nurse)
    click(qtbot, window, "Print record…")
    dialog = print_dialog()
    dialog.printer.setPrinterName(name)  # the queue the nurse picks in the print dialog
    click(qtbot, dialog, "Print…")
    return dialog


def accept(qtbot: QtBot, dialog: PrintDialog) -> None:
    (chooser,) = [w for w in dialog.findChildren(QPrintDialog) if w.isVisible()]
    chooser.done(QDialog.DialogCode.Accepted)
    for _ in range(3):
        settle(qtbot)


def test_a_print_the_queue_accepts_is_a_job_on_it_and_in_the_print_log(
    qtbot: QtBot, nurse: Staff, window: MainWindow, desk: Desk, clock: ManualClock, queue: str
) -> None:
    before = jobs(queue)
    dialog = print_to(qtbot, window, desk, clock, nurse, queue)
    accept(qtbot, dialog)
    assert dialog.message.text().startswith(f"Sent {dialog.page_count()} page"), dialog.message.text()
    assert len(jobs(queue) - before) == 1
    (entry,) = desk.clinic.print_log(dialog.document.patient_id)
    assert entry.destination == f"printer {queue}"


def test_a_queue_refusing_jobs_prints_nothing_and_says_so(
    qtbot: QtBot, nurse: Staff, window: MainWindow, desk: Desk, clock: ManualClock, queue: str
) -> None:
    dialog = print_to(qtbot, window, desk, clock, nurse, queue)
    _run("cupsreject", "-r", "out of toner", queue)
    accept(qtbot, dialog)
    assert dialog.message.text().startswith(
        f"Not printed. The printer {queue} is not taking jobs (out of toner)"
    )
    assert desk.clinic.print_log(dialog.document.patient_id) == []


def test_a_print_server_stopped_while_the_dialog_was_open_prints_nothing_and_says_so(
    qtbot: QtBot,
    nurse: Staff,
    window: MainWindow,
    desk: Desk,
    clock: ManualClock,
    queue: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    dialog = print_to(qtbot, window, desk, clock, nurse, queue)
    monkeypatch.setenv("CUPS_SERVER", str(tmp_path / "no-server.sock"))  # the server gone meanwhile
    accept(qtbot, dialog)
    assert dialog.message.text().startswith("Not printed. The print service of this PC is not running.")
    assert desk.clinic.print_log(dialog.document.patient_id) == []


def test_a_paused_queue_takes_the_job_and_is_named(
    qtbot: QtBot, nurse: Staff, window: MainWindow, desk: Desk, clock: ManualClock, queue: str
) -> None:
    _run("cupsdisable", "-r", "paper being loaded", queue)
    dialog = print_to(qtbot, window, desk, clock, nurse, queue)
    accept(qtbot, dialog)
    assert "The printer is paused (paper being loaded): the record will print when it is resumed." in (
        dialog.message.text()
    )
    assert len(desk.clinic.print_log(dialog.document.patient_id)) == 1


def test_letter_paper_is_what_the_queue_is_asked_for_though_its_default_is_a4(
    qtbot: QtBot, nurse: Staff, window: MainWindow, desk: Desk, clock: ManualClock, queue: str
) -> None:
    admin = administrator(desk)
    desk.clinic.update_clinic_details(replace(desk.clinic.clinic_details(), paper=PaperSize.LETTER), admin.id)
    output = Path.home() / "PDF"  # where cups-pdf writes the job of the user who printed it
    before = set(output.glob("*.pdf")) if output.is_dir() else set()
    dialog = print_to(qtbot, window, desk, clock, nurse, queue)
    accept(qtbot, dialog)
    assert dialog.message.text().startswith("Sent "), dialog.message.text()
    deadline = time.monotonic() + 20
    while (pages := _pages_written(output, before)) is None:
        if time.monotonic() > deadline:
            pytest.skip("cups-pdf wrote no file where expected (its Out folder is set otherwise)")
        time.sleep(0.1)
    assert {tuple(round(float(x)) for x in page.mediabox[2:]) for page in pages} == {
        (612, 792)
    }  # Letter, in points


def _pages_written(output: Path, before: set[Path]) -> list | None:
    """The pages of the PDF cups-pdf wrote, once it is whole; None until then."""
    made = set(output.glob("*.pdf")) - before if output.is_dir() else set()
    for path in made:
        try:
            return list(PdfReader(path).pages)
        except (PdfReadError, OSError):
            return None  # still being written
    return None
