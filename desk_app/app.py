"""Composition root: database URL -> database -> procedure -> Desk -> main window."""

from __future__ import annotations

import logging
import sys
from types import TracebackType

from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QApplication, QMessageBox

from desk_app.domain.clock import Clock, SystemClock
from desk_app.domain.errors import ProcedureError
from desk_app.domain.pre_use_check import load_pre_use_checklist
from desk_app.domain.procedure import load_procedure
from desk_app.paths import (
    PRE_USE_CHECK_FILE,
    PROCEDURE_FILE,
    data_folder,
    opened_databases,
    remember_opened,
    resource_path,
)
from desk_app.store.database import DatabaseOpenError, NoClinicHereError, open_database
from desk_app.store.desk import Desk
from desk_app.ui.backups import BackupKeeper, CheckpointKeeper
from desk_app.ui.main_window import MainWindow

log = logging.getLogger(__name__)


def load_style(app: QApplication) -> None:
    """The app's look; set once (setting it again repolishes every widget there is)."""
    sheet = resource_path("styles/desk.qss").read_text(encoding="utf-8")
    if app.styleSheet() != sheet:
        app.setStyleSheet(sheet)


def build_window(database_url: str, clock: Clock, *, new_clinic: bool = False) -> MainWindow:
    """Open everything the window needs; raises DatabaseOpenError or ProcedureError with a message.

    A missing or empty database file where a clinic's was (NoClinicHereError) is made anew only with
    `new_clinic`."""
    procedure = load_procedure(resource_path(PROCEDURE_FILE))
    # Read now, like the procedure: a broken check file stops the start, not the first check of a day.
    checklist = load_pre_use_checklist(resource_path(PRE_USE_CHECK_FILE))
    database = open_database(database_url, new_clinic=new_clinic, remembered=opened_databases())
    desk = Desk(database, procedure, clock, pre_use_checklist=checklist)
    file = desk.database_file()  # None on a server
    if file is not None:
        remember_opened(file)
    desk.write_daily_checkpoint(data_folder(), file)  # the trail's anchor for today, outside the file
    if file is not None:  # the daily backup writes the day's checkpoint too
        keeper: BackupKeeper | CheckpointKeeper = BackupKeeper(
            file, desk.backup_folder, clock, desk.record_backup
        )
    else:
        keeper = CheckpointKeeper(lambda: desk.write_daily_checkpoint(data_folder(), None), clock)
    return MainWindow(desk, clock, backups=keeper)


def _report_unexpected(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    """A bug must not pass silently (a windowed app has no console): log it and tell the user. The log
    gets its type and stack, not its message (which may name a patient): the message box shows it."""
    log.error(
        "Unexpected error: %s (its message is shown, not logged)",
        kind.__name__,
        exc_info=(kind, error, trace),
    )
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
    leave = box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    start = box.addButton("Start a new, empty clinic...", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(leave)
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
    log.info("The window opens: Qt %s (%s)", qVersion(), app.platformName())
    load_style(app)
    try:
        try:
            window = build_window(database_url, SystemClock(), new_clinic=new_clinic)
        except NoClinicHereError as error:
            if not ask_to_start_new_clinic(str(error)):
                log.warning("The clinic's database is missing or empty; not replaced by a new clinic")
                return 2
            log.warning("The clinic's database is missing or empty; a new clinic is started as asked")
            window = build_window(database_url, SystemClock(), new_clinic=True)
    except (DatabaseOpenError, ProcedureError) as error:
        log.error("The window cannot start: %s", error)  # a path or a server, a file's problem
        # No window exists yet to be the parent of this message.
        QMessageBox.critical(None, "Treatment Desk cannot start", str(error))
        return 2
    sys.excepthook = _report_unexpected
    window.fit_to_screen()
    window.show()
    return app.exec()
