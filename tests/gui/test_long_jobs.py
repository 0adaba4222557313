"""Long jobs run on a thread of their own (ui/long_job.py): the window goes on answering, a progress
bar shows how far the job is, Cancel stops a read, and what became of the job is said and heard
where it was started. Threads are waited for with qtbot.waitUntil, never a sleep."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.audit_actions import VERIFY_ACTION
from desk_app.store.desk import Desk
from desk_app.store.models import AuditLog
from desk_app.ui import long_job
from desk_app.ui.long_job import JobControl, LongJob
from desk_app.ui.main_window import MainWindow
from desk_app.ui.staff_admin import StaffAdminPage
from desk_app.ui.widgets import Tone
from tests.gui.alone import context_alone
from tests.gui.nurse import click, find, settle
from tests.gui.test_patient_screens import open_patient_page
from tests.gui.test_printing import pdf_text, print_dialog, register, save_through_file_dialog
from tests.support.walk import signed_out_session

WAIT_MS = 5_000  # a thread's answer arrives in milliseconds; this only bounds a failing test


class Gate:
    """Holds a job at its first progress report until the test opens it: the test then acts
    (clicks Cancel, starts again) while the job is surely running."""

    def __init__(self) -> None:
        self.reached, self.opened = threading.Event(), threading.Event()
        self.held_on: threading.Thread | None = None

    def hold(self) -> None:
        self.held_on = threading.current_thread()
        self.reached.set()
        assert self.opened.wait(WAIT_MS / 1000), "the test never opened the gate"


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    held = Gate()
    report = JobControl.progress

    def progress(self: JobControl, done: int, total: int) -> None:
        report(self, done, total)
        if not held.reached.is_set():
            held.hold()

    monkeypatch.setattr(JobControl, "progress", progress)
    yield held
    held.opened.set()  # a failed test never leaves a thread waiting
    long_job.wait_for_jobs()


def staff_page(qtbot: QtBot, desk: Desk, admin: Staff) -> StaffAdminPage:
    context = context_alone(desk, admin)
    page = StaffAdminPage(context)
    context.worker.setParent(page)
    page.refresh()
    qtbot.addWidget(page)
    page.show()
    return page


def verify_rows() -> int:
    return AuditLog.select().where(AuditLog.action == VERIFY_ACTION).count()


def connections(desk: Desk) -> int:
    """How many connections of this process hold the database file (SQLite keeps a closed one's file
    descriptor for reuse, so the count of descriptors would not tell)."""
    return desk.db.presence._holders  # noqa: SLF001 (the count the file's open-here mark keeps)


def test_verify_shows_its_progress_can_be_cancelled_and_records_nothing_then(
    qtbot: QtBot, desk: Desk, admin: Staff, nurse: Staff, gate: Gate
) -> None:
    page = staff_page(qtbot, desk, admin)
    before, held = verify_rows(), connections(desk)
    click(qtbot, page, "Verify records")
    qtbot.waitUntil(gate.reached.is_set, timeout=WAIT_MS)
    bar = find(page, QProgressBar, "Verification: progress")
    qtbot.waitUntil(lambda: bar.maximum() == AuditLog.select().count())  # rows walked of the whole trail
    assert page.verify_result.text() == "Verifying the records…"
    assert not find(page, QPushButton, "Verify records").isEnabled()  # not twice at once
    assert not page.verify_job.start(lambda job: None, lambda result: ("", Tone.DONE))
    click(qtbot, page, "Cancel: verification")
    gate.opened.set()
    said = "Verification: cancelled. Nothing was recorded or written."
    qtbot.waitUntil(lambda: page.verify_result.text() == said, timeout=WAIT_MS)
    assert page.verify_result.accessibleName() == f"Verification result: {said}"  # heard, not only seen
    assert not bar.isVisible() and find(page, QPushButton, "Verify records").isEnabled()
    assert verify_rows() == before
    assert connections(desk) == held  # the job's own connection was closed on its thread


def test_verify_to_the_end_is_said_in_green_and_recorded(
    qtbot: QtBot, desk: Desk, admin: Staff, nurse: Staff
) -> None:
    page = staff_page(qtbot, desk, admin)
    with qtbot.waitSignal(page.verify_job.succeeded, timeout=WAIT_MS) as finished:
        click(qtbot, page, "Verify records")
    assert finished.args[0].ok
    assert page.verify_result.text().startswith("Audit trail intact: ")
    assert page.verify_result.property("tone") == "done"
    assert AuditLog.select().order_by(AuditLog.id.desc()).first().action == VERIFY_ACTION


def test_a_job_that_fails_says_so_where_it_was_started_and_the_window_can_start_it_again(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    page = QWidget()
    qtbot.addWidget(page)
    message = QLabel(page)
    start = QPushButton("Make it", page)
    job = LongJob(page, "Making it", message, "Making it", cancellable=False, starts=start)
    page.show()

    def broken(_job: JobControl) -> None:
        raise ZeroDivisionError("Zoë O'Brien")  # a bug whose words name a patient

    assert job.start(broken, lambda result: ("", Tone.DONE))
    assert not job.cancel_button.isVisible()  # a job that cannot stop safely offers no Cancel
    qtbot.waitUntil(lambda: not job.running(), timeout=WAIT_MS)
    assert message.text() == "Making it: it could not finish (ZeroDivisionError)."
    assert message.property("tone") == "error" and start.isEnabled()
    logged = next(record for record in caplog.records if record.levelname == "ERROR")
    assert logged.getMessage() == "Long job failed: Making it (ZeroDivisionError)"  # not its words
    with qtbot.waitSignal(job.succeeded, timeout=WAIT_MS) as finished:
        job.start(lambda control: 42, lambda result: (f"Made {result}.", Tone.DONE))
    assert finished.args == [42] and message.text() == "Made 42."


def test_a_history_pdf_is_made_on_a_thread_and_cancel_before_it_is_written_leaves_no_file_and_no_log(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, tmp_path: Path, gate: Gate
) -> None:
    patient = register(desk, nurse)
    signed_out_session(desk, clock, patient.id, nurse)
    open_patient_page(qtbot, window, nurse, "zoe")
    click(qtbot, window, "Print history…")
    dialog = print_dialog()
    documents = tmp_path / "documents"
    documents.mkdir()
    target = documents / "history.pdf"
    save_through_file_dialog(qtbot, dialog, target, finished=False)
    qtbot.waitUntil(gate.reached.is_set, timeout=WAIT_MS)
    assert gate.held_on is not threading.main_thread()  # laid out and painted off the UI thread
    assert find(dialog, QProgressBar, "Saving the PDF: progress").isVisible()
    assert not find(dialog, QPushButton, "Save as PDF…").isEnabled()
    click(qtbot, dialog, "Cancel: saving the PDF")
    gate.opened.set()
    said = "Saving the PDF: cancelled. Nothing was recorded or written."
    qtbot.waitUntil(lambda: dialog.message.text() == said, timeout=WAIT_MS)
    assert list(documents.iterdir()) == []  # no file, no part file
    assert desk.clinic.print_log(patient.id) == []

    save_through_file_dialog(qtbot, dialog, target)
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Saved history.pdf ("), timeout=WAIT_MS)
    assert "Patient history" in pdf_text(target)
    assert [entry.destination for entry in desk.clinic.print_log(patient.id)] == [f"PDF {target}"]


def test_a_history_pdf_aimed_at_a_link_to_the_live_database_is_refused_and_writes_nothing(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, tmp_path: Path
) -> None:
    """The threaded save checks its target as the record's save does (an attacker's link, say)."""
    patient = register(desk, nurse)
    signed_out_session(desk, clock, patient.id, nurse)
    live = desk.database.database_file()
    assert live is not None
    before = live.read_bytes()
    link = tmp_path / "history.pdf"
    link.symlink_to(live)
    open_patient_page(qtbot, window, nurse, "zoe")
    click(qtbot, window, "Print history…")
    dialog = print_dialog()
    save_through_file_dialog(qtbot, dialog, link)
    settle(qtbot)
    assert f"{link} is a link to {live}" in dialog.message.text()
    assert live.read_bytes() == before and link.readlink() == live
    assert desk.clinic.print_log(patient.id) == []
