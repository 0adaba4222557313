"""`desk-app export`: a session record, an aftercare sheet or a patient history to PDF, from a terminal.

Used by a manager answering an inspector, or by a script; it needs no window and no display.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from desk_app.domain.clinic import DocumentKind
from desk_app.domain.clock import SystemClock
from desk_app.domain.errors import DomainError
from desk_app.domain.procedure import load_procedure
from desk_app.paths import PROCEDURE_FILE, resource_path
from desk_app.store.database import DatabaseOpenError, open_database
from desk_app.store.desk import Desk

DOCUMENTS = ("session", "aftercare", "history")


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


def export(document: str, subject: str, pdf: Path, database_url: str, *, replace: bool = False) -> str:
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
        desk = Desk(db, load_procedure(resource_path(PROCEDURE_FILE)), clock)
        now = clock.now()
        if document == "history":
            patient = desk.patient_by_clinic_number(subject)
            built = document_for(desk, DocumentKind.PATIENT_HISTORY, patient.id, now, LOCAL_FORMATS)
        else:
            kind = DocumentKind.SESSION_RECORD if document == "session" else DocumentKind.AFTERCARE_SHEET
            built = document_for(desk, kind, _session_id(subject), now, LOCAL_FORMATS)
            patient = desk.patient(built.patient_id)
        printed_by = f"{getpass.getuser()} (terminal export)"
        pages = save_pdf(desk, built, pdf, printed_by, None, LOCAL_FORMATS.date_time(now), replace=replace)
    finally:
        db.close()
    return f"Wrote the {built.title.lower()} of {patient.full_name}: {pdf} ({pages_text(pages)})."


def main(document: str, subject: str, pdf: str, database_url: str, *, replace: bool = False) -> int:
    """Exit 0 once the PDF is written; 1 with a message on stderr when it is not."""
    from desk_app.reports.export import TargetExists

    try:
        print(export(document, subject, Path(pdf), database_url, replace=replace))
    except TargetExists as error:
        print(f"desk-app export: {error} Add --force to replace it.", file=sys.stderr)
        return 1
    except (DatabaseOpenError, DomainError) as error:
        print(f"desk-app export: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"desk-app export: the PDF could not be written ({error.strerror or error}).", file=sys.stderr)
        return 1
    return 0
