"""Composition root: database URL -> database -> procedure -> Desk -> main window."""

from __future__ import annotations

import sys
import traceback
from datetime import UTC, datetime
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox

from desk_app.domain.clock import Clock, SystemClock
from desk_app.domain.errors import ProcedureError
from desk_app.domain.procedure import load_procedure
from desk_app.paths import PROCEDURE_FILE, data_folder, resource_path
from desk_app.store.database import DatabaseOpenError, open_database
from desk_app.store.desk import Desk
from desk_app.ui.backups import BackupKeeper
from desk_app.ui.main_window import MainWindow

ERROR_LOG = "errors.log"


def load_style(app: QApplication) -> None:
    app.setStyleSheet(resource_path("styles/desk.qss").read_text(encoding="utf-8"))


def build_window(database_url: str, clock: Clock) -> MainWindow:
    """Open everything the window needs; raises DatabaseOpenError or ProcedureError with a message."""
    procedure = load_procedure(resource_path(PROCEDURE_FILE))
    database = open_database(database_url)
    desk = Desk(database, procedure, clock)
    file = desk.database_file()
    keeper = BackupKeeper(file, desk.backup_folder, clock) if file is not None else None
    return MainWindow(desk, clock, backups=keeper)


def _report_unexpected(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    """A bug must not pass silently (a windowed app has no console): log it and tell the user."""
    text = "".join(traceback.format_exception(kind, error, trace))
    print(text, file=sys.stderr)
    try:
        with (data_folder() / ERROR_LOG).open("a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now(UTC).isoformat()}\n{text}")
    except OSError:
        pass
    QMessageBox.critical(
        QApplication.activeWindow(),
        "Treatment Desk: unexpected error",
        f"Something went wrong: {error}\n\nCheck that the last step shows as done; if not, do it "
        "again. Please tell the clinic manager.",
    )


def run(database_url: str) -> int:
    """Start the app; a database or procedure problem is shown in a message box, not a traceback."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Treatment Desk")
    app.setOrganizationName("Azure Medical")
    load_style(app)
    try:
        window = build_window(database_url, SystemClock())
    except (DatabaseOpenError, ProcedureError) as error:
        # No window exists yet to be the parent of this message.
        QMessageBox.critical(None, "Treatment Desk cannot start", str(error))
        return 2
    sys.excepthook = _report_unexpected
    window.show()
    return app.exec()
