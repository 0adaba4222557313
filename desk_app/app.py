"""Composition root: database URL -> database -> procedure -> Desk -> main window."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QSize, qVersion
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from desk_app import launch
from desk_app.config import PcSettings, RefusedValue, SettingsError, chosen_database
from desk_app.domain.clock import Clock, SystemClock
from desk_app.domain.errors import ProcedureError
from desk_app.domain.pre_use_check import load_pre_use_checklist
from desk_app.domain.procedure import load_procedure
from desk_app.paths import (
    DATABASE_FILE,
    PRE_USE_CHECK_FILE,
    PROCEDURE_FILE,
    data_folder,
    opened_databases,
    remember_opened,
    resource_path,
)
from desk_app.store.database import (
    DatabaseOpenError,
    FileCheckRunner,
    NoClinicHereError,
    check_here,
    open_database,
)
from desk_app.store.desk import Desk
from desk_app.store.errors import error_for_log
from desk_app.store.server_address import describe, is_postgres_url
from desk_app.store.signs import clinics_worked_on, signs_of_a_clinic
from desk_app.ui.backups import BackupKeeper, CheckpointKeeper
from desk_app.ui.main_window import MainWindow
from desk_app.ui.shutdown import ShutdownListener
from desk_app.ui.startup_check import check_with_window

# The name of resources/install/treatment-desk.desktop: Wayland and taskbars find the icon through it.
DESKTOP_FILE_NAME = "treatment-desk"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
log = logging.getLogger(__name__)


def load_style(app: QApplication) -> None:
    """The app's look; set once (setting it again repolishes every widget there is)."""
    sheet = resource_path("styles/desk.qss").read_text(encoding="utf-8")
    if app.styleSheet() != sheet:
        app.setStyleSheet(sheet)


def app_icon() -> QIcon:
    """The icon of every window and of the taskbar, at each size it is drawn in (PNGs, which need no
    SVG plugin in the bundle)."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(resource_path(f"icons/{DESKTOP_FILE_NAME}-{size}.png")), QSize(size, size))
    return icon


def build_window(
    database_url: str,
    clock: Clock,
    *,
    new_clinic: bool = False,
    this_pc_backup_folder: Path | None = None,
    run_check: FileCheckRunner = check_here,
) -> MainWindow:
    """Open everything the window needs; raises DatabaseOpenError or ProcedureError with a message.

    A missing or empty database file where a clinic's was (NoClinicHereError) is made anew only with
    `new_clinic`. `this_pc_backup_folder` (this PC's setting) is used over the clinic's details' one."""
    procedure = load_procedure(resource_path(PROCEDURE_FILE))
    # Read now, like the procedure: a broken check file stops the start, not the first check of a day.
    checklist = load_pre_use_checklist(resource_path(PRE_USE_CHECK_FILE))
    database = open_database(
        database_url, new_clinic=new_clinic, remembered=opened_databases(), run_check=run_check
    )
    desk = Desk(database, procedure, clock, pre_use_checklist=checklist)
    desk.this_pc_backup_folder = this_pc_backup_folder
    file = desk.database.database_file()  # None on a server
    if file is not None:
        remember_opened(file)
    desk.audit.write_daily_checkpoint(data_folder(), file)  # the trail's anchor for today, outside the file
    window = MainWindow(desk, clock)
    worker = window.worker
    if file is not None:  # the daily backup writes the day's checkpoint too
        # The folder is read on the UI thread's own connection (a read of a file in WAL mode waits
        # for no writer), not behind the worker's queue; the backup's row is written by the worker
        # without waiting.
        keeper = BackupKeeper(file, desk.database.backup_folder, clock)
        keeper.record = lambda *made: worker.submit(
            lambda: desk.audit.record_backup(*made), failed=lambda error: keeper.not_recorded(made[0], error)
        )
        window.backups = keeper
    else:  # on a server: written by the worker, never waited for (it logs its own failures)
        window.backups = CheckpointKeeper(
            lambda: worker.submit(lambda: desk.audit.write_daily_checkpoint(data_folder(), None)), clock
        )
    return window


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


def _kept(settings: PcSettings, address: str) -> str | None:
    """Keep the first start's choice in the form `desk-app config set` keeps it; why not, if not."""
    try:
        kept = settings.set_database(address)
    except (SettingsError, RefusedValue) as error:
        return str(error)
    where = describe(kept) if is_postgres_url(kept) else f"the file {kept}"  # never a password
    log.info("First start on this PC: the records are in %s (kept in this PC's settings)", where)
    return None


def database_to_open(explicit: str | None, settings: PcSettings) -> str | None:
    """--db, $DESK_APP_DB or this PC's setting; else, on this PC's first start, the place chosen in
    FirstStartDialog and kept in its settings (None: the person chose to quit).

    A PC that worked on its own file before there were settings (the default file is there, or
    there are signs of it) is not asked: that file is its answer, kept without a word. Asking could
    only lead a nurse away from the clinic's records, to an empty new file or another server."""
    if (address := chosen_database(explicit, settings).address) is not None:
        return address
    try:
        own_file = data_folder() / DATABASE_FILE
    except OSError as error:
        raise DatabaseOpenError(
            f"The data folder {error.filename} cannot be used ({error.strerror})."
        ) from None
    if os.path.lexists(own_file) or signs_of_a_clinic(own_file, opened_databases()):
        try:
            settings.set_database(str(own_file))
        except (SettingsError, RefusedValue) as error:  # still this PC's answer: opened, and why unsaved
            log.warning("This PC's database could not be kept in its settings: %s", error)
        return str(own_file)
    from desk_app.ui.first_start import FirstStartDialog  # only a new PC's first start needs it

    # A clinic's file opened here before (through --db or $DESK_APP_DB) is offered over a new one.
    before = next(iter(clinics_worked_on(opened_databases())), None)
    chosen = FirstStartDialog.ask(
        before or own_file, lambda address: _kept(settings, address), opened_before=before is not None
    )
    if chosen is None:
        log.info("First start on this PC: Quit chosen, nothing kept")
    return chosen


def run(database_url: str | None, *, new_clinic: bool = False, settings: PcSettings | None = None) -> int:
    """Start the app; a database, settings or procedure problem is shown in a message box, not a
    traceback. `database_url` None: the one $DESK_APP_DB or this PC's settings name, else the one
    chosen at this PC's first start."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)  # never a bare QCoreApplication: the app makes none
    app.setApplicationName("Treatment Desk")
    app.setOrganizationName("Azure Medical")
    app.setWindowIcon(app_icon())
    app.setDesktopFileName(DESKTOP_FILE_NAME)
    log.info("The window opens: Qt %s (%s)", qVersion(), app.platformName())
    load_style(app)
    settings = settings or PcSettings()
    try:
        if (url := database_to_open(database_url, settings)) is None:
            return 2  # Quit at the first start: nothing was made
        backup_folder = settings.backup_folder()
        try:
            window = build_window(
                url,
                SystemClock(),
                new_clinic=new_clinic,
                this_pc_backup_folder=backup_folder,
                run_check=check_with_window,
            )
        except NoClinicHereError as error:
            if not ask_to_start_new_clinic(str(error)):
                log.warning("The clinic's database is missing or empty; not replaced by a new clinic")
                return 2
            log.warning("The clinic's database is missing or empty; a new clinic is started as asked")
            window = build_window(
                url,
                SystemClock(),
                new_clinic=True,
                this_pc_backup_folder=backup_folder,
                run_check=check_with_window,
            )
    except (DatabaseOpenError, ProcedureError, SettingsError) as error:
        # A procedure file's error names a line of it; the others a path, a server or a setting.
        said = str(error) if isinstance(error, ProcedureError) else error_for_log(error)
        log.error("The window cannot start: %s", said)
        # No window exists yet to be the parent of this message.
        QMessageBox.critical(None, "Treatment Desk cannot start", str(error))
        return 2
    sys.excepthook = _report_unexpected
    window.fit_to_screen()
    window.show()
    window.activateWindow()  # the keyboard (and a screen reader) starts in it, not nowhere
    launch.started()  # the garbage collector runs again, from the event loop on
    ShutdownListener(app, lambda: _shut_down(app, window))
    return app.exec()


def _shut_down(app: QApplication, window: MainWindow) -> None:
    """Closed by the system (a shutdown, a logout): as the close button closes; then the app ends,
    even if closing failed (it would otherwise ignore every later signal but SIGKILL)."""
    try:
        window.shut_down()
    finally:
        app.quit()
