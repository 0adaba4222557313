"""Composition root: database URL -> database -> procedure -> Desk -> main window."""

from __future__ import annotations

import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox

from desk_app.domain.clock import Clock, SystemClock
from desk_app.domain.errors import ProcedureError
from desk_app.domain.procedure import load_procedure
from desk_app.paths import PROCEDURE_FILE, data_folder, opened_databases, remember_opened, resource_path
from desk_app.store.database import DatabaseOpenError, NoClinicHereError, open_database
from desk_app.store.desk import Desk
from desk_app.ui.backups import BackupKeeper
from desk_app.ui.main_window import MainWindow

ERROR_LOG = "errors.log"


def load_style(app: QApplication) -> None:
    app.setStyleSheet(resource_path("styles/desk.qss").read_text(encoding="utf-8"))


def build_window(database_url: str, clock: Clock, *, new_clinic: bool = False) -> MainWindow:
    """Open everything the window needs; raises DatabaseOpenError or ProcedureError with a message.

    A missing or empty database file where a clinic's was (NoClinicHereError) is made anew only with
    `new_clinic`."""
    procedure = load_procedure(resource_path(PROCEDURE_FILE))
    database = open_database(database_url, new_clinic=new_clinic, remembered=opened_databases())
    remember_opened(database_url)
    desk = Desk(database, procedure, clock)
    keeper = (
        BackupKeeper(Path(database.database), lambda: _backup_folder(desk), clock)
        if desk.keeps_its_own_backups()
        else None
    )
    return MainWindow(desk, clock, backups=keeper)


def _backup_folder(desk: Desk) -> Path:
    """The folder from the clinic's settings, or a 'backups' folder beside the database file."""
    chosen = desk.clinic_details().backup_folder
    return Path(chosen).expanduser() if chosen else Path(desk.db.database).parent / "backups"


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


def ask_to_start_new_clinic(reason: str) -> bool:
    """Ask, twice, before an empty new clinic is started where a clinic's records were; Quit is the
    default answer both times."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Treatment Desk: the clinic's records are not here", reason)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    start = box.addButton("Start a new, empty clinic...", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.NoButton)
    box.exec()
    if box.clickedButton() is not start:
        return False
    sure = QMessageBox.warning(
        None,
        "Treatment Desk: start a new clinic?",
        "A new clinic starts with no patients and no records, and asks for a first administrator. "
        "It does not bring back the records that were here. Start it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return sure == QMessageBox.StandardButton.Yes


def run(database_url: str, *, new_clinic: bool = False) -> int:
    """Start the app; a database or procedure problem is shown in a message box, not a traceback."""
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Treatment Desk")
    app.setOrganizationName("Azure Medical")
    load_style(app)
    try:
        try:
            window = build_window(database_url, SystemClock(), new_clinic=new_clinic)
        except NoClinicHereError as error:
            if not ask_to_start_new_clinic(str(error)):
                return 2
            window = build_window(database_url, SystemClock(), new_clinic=True)
    except (DatabaseOpenError, ProcedureError) as error:
        # No window exists yet to be the parent of this message.
        QMessageBox.critical(None, "Treatment Desk cannot start", str(error))
        return 2
    sys.excepthook = _report_unexpected
    window.show()
    return app.exec()
