"""Composition root: database URL -> database -> procedure -> Desk -> main window."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QMessageBox

from desk_app.domain.clock import Clock, SystemClock
from desk_app.domain.errors import ProcedureError
from desk_app.domain.procedure import load_procedure
from desk_app.paths import PROCEDURE_FILE, resource_path
from desk_app.store.database import DatabaseOpenError, open_database
from desk_app.store.desk import Desk
from desk_app.ui.main_window import MainWindow


def load_style(app: QApplication) -> None:
    app.setStyleSheet(resource_path("styles/desk.qss").read_text(encoding="utf-8"))


def build_window(database_url: str, clock: Clock) -> MainWindow:
    """Open everything the window needs; raises DatabaseOpenError or ProcedureError with a message."""
    procedure = load_procedure(resource_path(PROCEDURE_FILE))
    database = open_database(database_url)
    return MainWindow(Desk(database, procedure, clock), clock)


def run(database_url: str) -> int:
    """Start the app; a database or procedure problem is shown in a message box, not a traceback."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Treatment Desk")
    app.setOrganizationName("Azure Medical")
    load_style(app)
    try:
        window = build_window(database_url, SystemClock())
    except (DatabaseOpenError, ProcedureError) as error:
        QMessageBox.critical(None, "Treatment Desk cannot start", str(error))
        return 2
    window.show()
    return app.exec()
