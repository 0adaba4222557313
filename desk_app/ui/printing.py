"""Print a document: see its pages first, then print them on paper or save them as a PDF.

The preview is part of this dialog, not Qt's own preview window, whose print button would print
without going through the print log. Every print and every PDF is logged before it leaves the PC,
on the database worker (the window goes on; Print… says "Saving…"): a PDF's print-log row, or a
paper print's attempt in the audit trail; the pages are sent only once that has committed. A paper
print goes into the print log only once the printer took it; one it did not take is said, with what
to do, and audited as not sent (ui/print_queue.py asks the print system).
Dialogs open with open(), never exec(), so countdowns keep running while the nurse prints.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewWidget
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.access import Opened
from desk_app.domain.clinic import DocumentKind
from desk_app.domain.clock import Clock
from desk_app.domain.errors import DomainError
from desk_app.domain.people import Staff
from desk_app.reports.documents import PrintDocument, document_for
from desk_app.reports.export import (
    TargetExists,
    audit_anchor,
    page_footer,
    pdf_target,
    save_pdf,
    write_into_place,
)
from desk_app.reports.formats import pages_text
from desk_app.reports.pages import count_pages, page_layout, paint_document
from desk_app.store.desk import Desk
from desk_app.ui.access_trail import record_opening
from desk_app.ui.context import DeskContext
from desk_app.ui.db_worker import DatabaseWorker, for_a_thread_of_its_own
from desk_app.ui.formatting import LOCAL_FORMATS, local_date_time
from desk_app.ui.long_job import JobControl, LongJob
from desk_app.ui.print_queue import NO_PRINTER, NotPrinted, Sent, print_system, send_to_printer
from desk_app.ui.saving import ReadFirst
from desk_app.ui.saving_button import submit_from
from desk_app.ui.tab_order import tab_in_reading_order
from desk_app.ui.widgets import Tone, ask, message_label, show_message, still_shown

log = logging.getLogger(__name__)


class PrintDialog(QDialog):
    """One document's pages, with Print… and Save as PDF…; the printer is kept for the dialog's life."""

    def __init__(
        self,
        parent: QWidget,
        desk: Desk,
        clock: Clock,
        staff: Staff,
        document: PrintDocument,
        worker: DatabaseWorker,
        preview_anchor: Anchor,
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Print: {document.title}")
        self.setModal(True)
        room = parent.screen().availableGeometry()
        self.resize(min(860, room.width() - 40), min(900, room.height() - 60))
        self.desk, self.clock, self.staff, self.document = desk, clock, staff, document
        self.worker = worker
        self.print_system = print_system()
        # The audit trail's head in the preview's footer, read with the document (no repaint waits).
        self._preview_anchor = preview_anchor.row
        # Kept referenced: a QPrintDialog over a printer that was freed crashes (design §8).
        self.printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        self.printer.setPageLayout(page_layout(document.paper))
        self.printer.setDocName(document.file_name.removesuffix(".pdf"))
        layout = QVBoxLayout(self)
        heading = QLabel(f"{document.title} · {document.paper.value} paper", self)
        heading.setObjectName("dialogHeading")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        if document.kind is DocumentKind.PATIENT_HISTORY:  # its photos only when asked (issue 21)
            self.photos_box = QCheckBox("Include photos", self)
            self.photos_box.setMinimumHeight(44)
            self.photos_box.toggled.connect(self._include_photos)
            layout.addWidget(self.photos_box, 0, Qt.AlignmentFlag.AlignLeft)  # pressed on its words
        self.preview = QPrintPreviewWidget(self.printer, self)
        self.preview.setAccessibleName("Print preview")
        for view in self.preview.findChildren(QGraphicsView):  # what Tab reaches: named too
            view.setAccessibleName("Print preview")
        self.preview.paintRequested.connect(self._paint_preview)
        self.preview.fitToWidth()
        layout.addWidget(self.preview, 1)
        self.message = message_label(self)
        layout.addWidget(self.message)
        if preview_anchor.problem:
            show_message(
                self.message,
                f"The preview shows no audit row in its footer: {preview_anchor.problem}",
                Tone.NOTE,
            )
        buttons = QHBoxLayout()
        self.print_button = QPushButton("Print…", self)
        self.print_button.clicked.connect(self._ask_printer)
        self.pdf_button = QPushButton("Save as PDF…", self)
        self.pdf_button.clicked.connect(self._ask_pdf_path)
        self.pdf_job = LongJob(self, "Saving the PDF", self.message, cancellable=True, starts=self.pdf_button)
        layout.addWidget(self.pdf_job)
        self.close_button = QPushButton("Close", self)
        self.close_button.clicked.connect(self.reject)
        for button in (self.print_button, self.pdf_button, self.close_button):
            button.setMinimumHeight(44)
            buttons.addWidget(button)
        layout.addLayout(buttons)
        tab_in_reading_order(self)

    def _include_photos(self, wanted: bool) -> None:
        """The history built again on the worker, with the patient's photos (the look audited) or
        without; the preview, Print… and Save as PDF… then show and send that one."""
        box, desk, staff_id = self.photos_box, self.desk, self.staff.id
        patient_id, now = self.document.patient_id, self.clock.now()
        # Nothing printed or saved while the history is built again: it would be the one before
        # (with the photos the nurse has just left out).
        waiting = (box, self.print_button, self.pdf_button)
        for control in waiting:
            control.setEnabled(False)

        def read() -> PrintDocument:
            seen_by = staff_id if wanted else None
            return document_for(desk, DocumentKind.PATIENT_HISTORY, patient_id, now, LOCAL_FORMATS, seen_by)

        def built(document: PrintDocument) -> None:
            if still_shown(self):  # not closed (by the lock) meanwhile
                for control in waiting:
                    control.setEnabled(True)
                self.document = document
                self.preview.updatePreview()

        def not_built(error: DomainError) -> None:
            if still_shown(self):
                for control in waiting:
                    control.setEnabled(True)
                box.blockSignals(True)
                box.setChecked(not wanted)  # the pages shown are still those of before
                box.blockSignals(False)
                show_message(
                    self.message, f"The photos could not be {'added' if wanted else 'left out'}: {error}"
                )

        self.worker.submit(read, built, not_built)

    def _footer(self) -> str:
        return page_footer(self.document, self.staff.name, local_date_time(self.clock.now()))

    def _paint_preview(self, printer: QPrinter) -> None:
        paint_document(self.document, printer, self._footer(), self._preview_anchor)

    def page_count(self) -> int:
        return self.preview.pageCount()

    # --- paper ---------------------------------------------------------------------------------------

    def _ask_printer(self) -> None:
        if not self.print_system.printers():  # said before Qt's dialog, which would fall back to a file
            show_message(self.message, NO_PRINTER)
            self.pdf_button.setFocus()
            return
        dialog = QPrintDialog(self.printer, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowTitle(f"Print {self.document.title}")
        dialog.finished.connect(self._printer_chosen)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.show()  # what open() does; QPrintDialog.open() in PySide6 wants a receiver

    def _printer_chosen(self, result: int) -> None:
        if result != QDialog.DialogCode.Accepted:
            return
        printer = self.printer
        # The clinic's paper, whatever the queue's default that the print dialog offered.
        printer.setPageLayout(page_layout(self.document.paper))
        if printer.outputFileName():
            self._print_to_file(Path(printer.outputFileName()))
        else:
            self._print_on_paper(printer)

    def _print_on_paper(self, printer: QPrinter) -> None:
        """The attempt is audited first (Print… says "Saving…"), then the pages are sent, then the
        outcome is written: the print log holds the print only if the printer took it."""
        document, staff, desk, clinic = self.document, self.staff, self.desk, self.desk.clinic
        queue, pages = printer.printerName(), count_pages(self.document, printer)

        def attempt() -> tuple[str, str]:
            anchor = audit_anchor(desk)  # the trail's head before this print's own rows
            mark = clinic.record_print_attempt(
                document.kind, document.patient_id, document.session_id, queue, pages, staff.id
            )
            return anchor, mark

        def attempted(answer: tuple[str, str]) -> None:
            anchor, mark = answer
            if not (still_shown(self)):
                self._not_sent(mark, queue, "its print dialog was closed before it was sent")
                return
            try:
                sent = send_to_printer(
                    printer,
                    lambda: paint_document(document, printer, self._footer(), anchor),
                    self.print_system,
                )
            except NotPrinted as refused:
                self._not_sent(mark, queue, str(refused))
                show_message(self.message, f"Not printed. {refused}")
                return
            self._sent(mark, sent)

        def not_attempted(error: DomainError) -> None:
            if shiboken6.isValid(self):
                show_message(self.message, f"Not printed: {error}")

        submit_from(self.print_button, self.worker, attempt, attempted, not_attempted)

    def _not_sent(self, mark: str, queue: str, reason: str, unconfirmed: bool = False) -> None:
        patient_id, staff_id = self.document.patient_id, self.staff.id
        log.warning("A print to %s was %s: %s", queue, "unconfirmed" if unconfirmed else "not sent", reason)
        self.worker.submit(
            lambda: self.desk.clinic.record_print_not_sent(
                mark, patient_id, queue, reason, staff_id, unconfirmed=unconfirmed
            ),
            failed=lambda error: log.error("A print's outcome was not audited: %s", error),
        )

    def _sent(self, mark: str, sent: Sent) -> None:
        """The printer took the job: into the print log; said once it is there. A job the print
        system did not confirm is audited so, and said, not logged as printed."""
        document, staff = self.document, self.staff
        if not sent.confirmed:
            self._not_sent(mark, sent.queue, "the print service did not answer after", unconfirmed=True)
            show_message(self.message, sent.words(), Tone.NOTE)
            return

        def logged(_nothing: None) -> None:
            if shiboken6.isValid(self):
                show_message(self.message, sent.words(), Tone.NOTE if sent.paused else Tone.DONE)

        def not_logged(error: DomainError) -> None:
            if shiboken6.isValid(self):
                show_message(self.message, f"Printed, but the print log could not be written: {error}")

        self.worker.submit(
            lambda: self.desk.clinic.record_print(
                document.kind,
                document.patient_id,
                document.session_id,
                f"printer {sent.queue}",
                sent.pages,
                staff.name,
                staff.id,
                attempt=mark,
                held=sent.paused,
            ),
            logged,
            not_logged,
            what=f"Print log: {document.title}",
        )

    def _print_to_file(self, path: Path) -> None:
        """'Print to file' is a PDF export too: the same checks (the print dialog has asked before
        replacing a file), logged, then written beside the target and moved into place."""
        printer = self.printer
        try:
            target = pdf_target(self.desk, path, replace=True)
            pages = count_pages(self.document, printer)
        except (DomainError, OSError) as error:
            show_message(self.message, f"Not printed: {error}")
            return

        def write(anchor: str) -> int:
            def paint_into(temporary: Path) -> None:
                printer.setOutputFileName(str(temporary))
                try:
                    paint_document(self.document, printer, self._footer(), anchor)
                finally:
                    printer.setOutputFileName(str(path))

            write_into_place(target, paint_into, lambda: None, replace=True)  # logged already
            return pages

        self._logged_then(f"PDF {target}", pages, write)

    # --- PDF -----------------------------------------------------------------------------------------

    def _ask_pdf_path(self) -> None:
        ask_file_to_save(self, "Save as PDF", self.document.file_name, "PDF files (*.pdf)", self.save_as_pdf)

    def done(self, result: int) -> None:
        """Closed (Close, Esc, the screen locking): a PDF not yet written is not written."""
        self.pdf_job.cancel()
        super().done(result)

    def save_as_pdf(self, path: str, replace: bool = False) -> None:
        """Save the PDF at `path`; an existing file is replaced only once the user says so.

        Made on a thread of its own, with its own connection and Cancel until the file is written: a
        patient's history grows with every session (46 pages: half a second), and its print-log row
        must not wait behind the window's worker, nor the window behind it. The target is checked here
        first, so that replacing a file is asked before anything is made (and again on the thread)."""
        desk, document, staff = for_a_thread_of_its_own(self.desk), self.document, self.staff
        printed_at = local_date_time(self.clock.now())

        def save(job: JobControl) -> str:
            pages = save_pdf(
                desk,
                document,
                Path(path),
                staff.name,
                staff.id,
                printed_at,
                replace=replace,
                progress=job.progress,
                cancelled=job.cancelled,
            )
            return pages_text(pages)

        again = lambda: self.save_as_pdf(path, replace=True)  # noqa: E731 (a name says what it is for)
        save_file_on_a_thread(self, self.pdf_job, path, save, again, desk, "the print log")

    def _logged_then(self, destination: str, pages: int, send: Callable[[str], int]) -> None:
        """A print to a file (Print to file): log it on the worker (Print… says "Saving…"
        meanwhile), then, once the row has committed, write it (`send` is given the audit anchor
        read with it): one that cannot be logged is not written, nor one whose dialog was closed."""
        document, staff, desk, clinic = self.document, self.staff, self.desk, self.desk.clinic

        def log_it() -> str:
            anchor = audit_anchor(desk)  # the trail's head as it stands before this print's own row
            clinic.record_print(
                document.kind,
                document.patient_id,
                document.session_id,
                destination,
                pages,
                staff.name,
                staff.id,
            )
            return anchor

        def logged(anchor: str) -> None:
            if not (still_shown(self)):
                log.warning("Logged a print to %s, not sent: its dialog closed meanwhile", destination)
                return
            try:
                sent = send(anchor)
            except (DomainError, OSError) as error:
                show_message(self.message, f"Not printed: {error}")
                return
            sent_text = f"Sent {pages_text(sent)} to {destination}. The print is in the print log."
            show_message(self.message, sent_text, Tone.DONE)

        def not_logged(error: DomainError) -> None:
            if shiboken6.isValid(self):
                show_message(self.message, f"Not printed: {error}")

        submit_from(self.print_button, self.worker, log_it, logged, not_logged)


def _not_written(path: str, error: OSError) -> str:
    return f"Not saved: {path} could not be written ({error.strerror or error})."


def ask_file_to_save(
    parent: QWidget, title: str, file_name: str, name_filter: str, chosen: Callable[[str], None]
) -> QFileDialog:
    """Ask where to save a file (in the Documents folder at first); `chosen` gets the path. The
    caller asks before replacing a file, after its own checks (Qt's question would block)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    dialog = QFileDialog(parent, title, str(Path(folder) / file_name), name_filter)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setOption(QFileDialog.Option.DontConfirmOverwrite)
    dialog.setDefaultSuffix(Path(file_name).suffix.removeprefix("."))
    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog


def save_file_on_a_thread(
    parent: QWidget,
    job: LongJob,
    path: str,
    write: Callable[[JobControl], str],
    replace: Callable[[], None],
    desk: Desk,
    logged_in: str,
) -> None:
    """Write a file (an export, a PDF) on `job`'s thread, with `desk`'s own connection there: the
    window waits neither for it nor for the database. `write` checks the target before it makes
    anything (TargetExists for a file there already: the nurse is asked, and `replace()` saves it
    again over it) and says how much it wrote ("3 pages"); `logged_in` names where it is logged."""

    def work(control: JobControl) -> str | None:
        try:
            return write(control)
        except TargetExists:
            return None  # asked once said
        except DomainError as error:
            raise DomainError(f"Not saved: {error}") from None
        except OSError as error:
            raise DomainError(_not_written(path, error)) from None

    def said(wrote: str | None) -> tuple[str, Tone]:
        if wrote is None:
            return f"{Path(path).name} already exists.", Tone.NOTE
        return f"Saved {Path(path).name} ({wrote}). The export is in {logged_in}.", Tone.DONE

    def then(wrote: str | None) -> None:
        if wrote is None:
            ask_to_replace(parent, path, replace, job.message)

    job.start(work, said, then=then, database=desk.db, running_text=f"Making {Path(path).name}…")


def ask_to_replace(parent: QWidget, path: str, replace: Callable[[], None], message: QLabel) -> None:
    """Ask before replacing an existing file; keeping it is the default (Enter and Esc), and
    `message` then says so."""
    name = Path(path).name

    def answered(replaced: bool) -> None:
        if replaced:
            replace()
        else:
            show_message(message, f"Not saved: {name} was kept as it was.", Tone.NOTE)

    text = f"{name} already exists in {Path(path).parent}. Replace it?"
    ask(
        parent, QMessageBox.Icon.Question, "Replace the file?", text, "Replace", "Keep the old file", answered
    )


@dataclass(frozen=True)
class Anchor:
    """The audit trail's head shown in a preview's footer; empty, with the problem, if unread."""

    row: str
    problem: str = ""


def open_print_dialog(
    parent: QWidget,
    context: DeskContext,
    kind: DocumentKind,
    subject_id: int,
    message: QLabel,
    reading: ReadFirst,
    opened: Callable[[PrintDialog], None] = lambda _dialog: None,
) -> None:
    """Build the document (of a session, or a patient's history) on the worker and show its pages
    (`opened(dialog)`); say on `message` why not (nobody at the desk, or refused: for an aftercare
    sheet, no laser pass yet or no clinic lines for the patient to call). `reading` is the page's:
    a second press before the document comes opens nothing more."""
    staff = context.current_staff()
    if staff is None:
        show_message(message, "Choose who you are first: every print says who printed it.")
        return
    desk, now = context.desk, context.clock.now()

    def read() -> tuple[PrintDocument, Anchor]:
        document = document_for(desk, kind, subject_id, now, LOCAL_FORMATS)
        try:
            return document, Anchor(audit_anchor(desk))
        except DomainError as error:  # the document shows; its preview's footer lacks the row
            return document, Anchor("", str(error))

    def show(answer: tuple[PrintDocument, Anchor]) -> None:
        document, anchor = answer
        dialog = PrintDialog(parent, context.desk, context.clock, staff, document, context.worker, anchor)
        dialog.open()
        record_opening(context, document.patient_id, Opened.preview_of(kind), document.session_id, message)
        opened(dialog)

    reading(
        read,
        show,
        lambda error: show_message(message, str(error)),
        lambda: context.current_staff() == staff,  # not locked or switched meanwhile
    )
