"""`desk-app export`: a session record, an aftercare sheet or a patient history to PDF, or the laser
treatment register to CSV or PDF, from a terminal.

Used by a manager answering an inspector, or by a script; it needs no window and no display.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from pathlib import Path

from peewee import Database

from desk_app.domain.clinic import DocumentKind
from desk_app.domain.clock import SystemClock
from desk_app.domain.errors import DomainError
from desk_app.domain.procedure import load_procedure
from desk_app.paths import PROCEDURE_FILE, resource_path
from desk_app.store.database import DatabaseOpenError, open_database
from desk_app.store.desk import Desk

# The documents about one patient: what each is, and what names its subject.
DOCUMENTS = {
    "session": ("a session record", "the session ID shown in the app, for example 12"),
    "aftercare": ("the patient's aftercare sheet", "the session ID shown in the app, for example 12"),
    "history": ("a patient history", "the patient's clinic number, for example AZ-00012"),
}


def _qt_for_pages() -> None:
    """Fonts and text layout need a Qt application; a terminal export needs no screen for it."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        QGuiApplication(["desk-app"])


def _session_id(text: str) -> int:
    # ASCII digits only ('²' is a digit to Python), and few enough for the database's integers.
    if not (text.isascii() and text.isdigit() and len(text) <= 15):
        raise DomainError(f"'{text}' is not a session number (the ID shown in the app, for example 12).")
    return int(text)


def _desk(db: Database, clock: SystemClock, this_pc_backups: Path | None) -> Desk:
    """A desk for one export; this PC's backup folder (its own setting) is refused as a target, as
    in the window."""
    desk = Desk(db, load_procedure(resource_path(PROCEDURE_FILE)), clock)
    desk.this_pc_backup_folder = this_pc_backups
    return desk


def export(
    document: str,
    subject: str,
    pdf: Path,
    database_url: str,
    *,
    replace: bool = False,
    this_pc_backups: Path | None = None,
) -> str:
    """Write the PDF and log it; return a line saying what was written. Raises DomainError or OSError.

    An existing file at `pdf` is replaced only with `replace`; never a database, a backup or a link.
    """
    _qt_for_pages()
    from desk_app.reports.documents import document_for
    from desk_app.reports.export import save_pdf
    from desk_app.reports.formats import pages_text
    from desk_app.ui.formatting import LOCAL_FORMATS

    clock = SystemClock()
    db = open_database(database_url, create=False)
    try:
        desk = _desk(db, clock, this_pc_backups)
        now = clock.now()
        if document == "history":
            patient = desk.patients.patient_by_clinic_number(subject)
            built = document_for(desk, DocumentKind.PATIENT_HISTORY, patient.id, now, LOCAL_FORMATS)
        else:
            kind = DocumentKind.SESSION_RECORD if document == "session" else DocumentKind.AFTERCARE_SHEET
            built = document_for(desk, kind, _session_id(subject), now, LOCAL_FORMATS)
            patient = desk.patients.patient(built.patient_id)
        printed_by = f"{getpass.getuser()} (terminal export)"
        pages = save_pdf(desk, built, pdf, printed_by, None, LOCAL_FORMATS.date_time(now), replace=replace)
    finally:
        db.close()
    return f"Wrote the {built.title.lower()} of {patient.full_name}: {pdf} ({pages_text(pages)})."


def _day(text: str, option: str) -> date:
    """A day as the command takes it, YYYY-MM-DD: never read the wrong way round."""
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise DomainError(
            f"{option} {text} is not a date: write it as YYYY-MM-DD, for example 2026-01-31."
        ) from None


def export_register(
    from_text: str,
    to_text: str,
    serial: str | None,
    csv_file: Path | None,
    pdf_file: Path | None,
    database_url: str,
    *,
    replace: bool = False,
    this_pc_backups: Path | None = None,
) -> str:
    """Write the register as CSV, PDF or both, each audited; return a line saying what was written.
    Both files are checked, and the PDF painted, before either is written: a failure then writes
    nothing. Raises DomainError (saying which file was written, if a write fails after the first)
    or OSError."""
    from_day, to_day = _day(from_text, "--from"), _day(to_text, "--to")
    from desk_app.domain.laser_register import check_register_range  # the register's: not a start's

    check_register_range(from_day, to_day)  # before Qt starts and the database opens
    if csv_file is not None and pdf_file is not None and csv_file.absolute() == pdf_file.absolute():
        raise DomainError("--csv and --pdf name the same file: give each its own.")
    _qt_for_pages()
    from desk_app.reports.export import pdf_target
    from desk_app.reports.formats import pages_text
    from desk_app.reports.laser_register import (
        RegisterScope,
        register_pdf,
        register_summary,
        save_register_csv,
        save_register_pdf,
        times_text,
    )
    from desk_app.ui.formatting import LOCAL_FORMATS

    clock = SystemClock()
    db = open_database(database_url, create=False)
    try:
        desk = _desk(db, clock, this_pc_backups)
        scope = RegisterScope(
            from_day, to_day, desk.devices.device_by_serial(serial) if serial is not None else None
        )
        if csv_file is not None:
            pdf_target(desk, csv_file, replace=replace, kind="CSV file")
        if pdf_file is not None:
            pdf_target(desk, pdf_file, replace=replace)
        register = desk.laser_register.laser_register(from_day, to_day, scope.device)
        printed_by = f"{getpass.getuser()} (terminal export)"
        pdf = None
        if pdf_file is not None:
            printed_at = LOCAL_FORMATS.date_time(clock.now())
            pdf = register_pdf(desk, register, scope, printed_by, LOCAL_FORMATS, printed_at)
        # Each file's content is ready: a write fails now only for the disk (or a file put there since).
        writes: list[tuple[Path, Callable[[], object], str]] = []
        if csv_file is not None:
            save = partial(
                save_register_csv, desk, register.rows, scope, csv_file, printed_by, None, replace=replace
            )
            writes.append((csv_file, save, f"{csv_file} (CSV)"))
        if pdf_file is not None and pdf is not None:
            save = partial(save_register_pdf, desk, pdf, scope, pdf_file, printed_by, None, replace=replace)
            writes.append((pdf_file, save, f"{pdf_file} (PDF, {pages_text(pdf.pages)})"))
        written: list[str] = []
        for path, write, said in writes:
            try:
                write()
            except OSError as error:
                done = f"Only {written[0]} was written." if written else "Nothing was written."
                raise DomainError(
                    f"{path} could not be written ({error.strerror or error}). {done}"
                ) from error
            except DomainError as error:
                if written:  # a file put at the second path meanwhile, say
                    raise DomainError(f"{error} Only {written[0]} was written.") from error
                raise
            written.append(said)
    finally:
        db.close()
    summary = register_summary(register, scope, LOCAL_FORMATS.date)
    files = "; ".join(written)
    return f"Wrote the laser treatment register of {summary}. Files: {files}. {times_text(to_day.year)}."


def _reported(write: Callable[[], str]) -> int:
    """Print what `write` says it wrote and exit 0; 1 with a message on stderr when it did not."""
    from desk_app.reports.export import TargetExists

    try:
        print(write())
    except TargetExists as error:
        print(f"desk-app export: {error} Add --force to replace it.", file=sys.stderr)
        return 1
    except (DatabaseOpenError, DomainError) as error:
        print(f"desk-app export: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        where = f" {error.filename}" if error.filename else ""
        print(
            f"desk-app export: the file{where} could not be written ({error.strerror or error}).",
            file=sys.stderr,
        )
        return 1
    return 0


def main(
    document: str,
    subject: str,
    pdf: str,
    database_url: str,
    *,
    replace: bool = False,
    this_pc_backups: Path | None = None,
) -> int:
    """Exit 0 once the PDF is written; 1 with a message on stderr when it is not."""
    return _reported(
        lambda: export(
            document, subject, Path(pdf), database_url, replace=replace, this_pc_backups=this_pc_backups
        )
    )


def register_main(
    from_text: str,
    to_text: str,
    serial: str | None,
    csv_file: str | None,
    pdf_file: str | None,
    database_url: str,
    *,
    replace: bool = False,
    this_pc_backups: Path | None = None,
) -> int:
    """`desk-app export register`: exit 0 once every file asked for is written; 1 saying why not."""
    csv_path = Path(csv_file) if csv_file else None
    pdf_path = Path(pdf_file) if pdf_file else None
    return _reported(
        lambda: export_register(
            from_text,
            to_text,
            serial,
            csv_path,
            pdf_path,
            database_url,
            replace=replace,
            this_pc_backups=this_pc_backups,
        )
    )
