"""The database this desk works on: where it is, how the way there is protected, who backs it up and
where its backups and checkpoints go. A service of Desk (desk.database)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from peewee import SqliteDatabase

from desk_app.store.clinic import Clinic
from desk_app.store.context import Service, StoreContext
from desk_app.store.errors import store_errors
from desk_app.store.models import DEMO_SETTING, ClinicSetting
from desk_app.store.server_address import describe
from desk_app.store.transactions import on_server

if TYPE_CHECKING:
    from desk_app.domain.integrity import DatabaseLink

# Every account of a demo database (store.demo) signs in with these (the README and the sign-in page
# say so): here, so the sign-in page does not import the demo's builder to say them.
DEMO_PASSWORD = "training"
DEMO_PIN = "123456"


class ThisDatabase(Service):
    """Facts about the desk's database that the window, the backups and the checkpoints ask for."""

    def __init__(self, context: StoreContext, clinic: Clinic) -> None:
        self._context = context
        self._clinic = clinic

    def keeps_its_own_backups(self) -> bool:
        """A database file is backed up by the app; a PostgreSQL database by its server."""
        return isinstance(self._context.db, SqliteDatabase)

    def database_file(self) -> Path | None:
        """The database's file on this PC (nothing may be written over it); None on a server."""
        db = self._context.db
        return Path(db.database) if isinstance(db, SqliteDatabase) else None

    def backup_folder(self) -> Path:
        """Where the app keeps a database file's backups (see keeps_its_own_backups): this PC's
        folder, else the clinic's details' one, else a 'backups' folder beside the file."""
        return self.chosen_backup_folder() or Path(self._context.db.database).parent / "backups"

    def chosen_backup_folder(self) -> Path | None:
        """This PC's backup folder if it has one, else the clinic's details' one; None if neither."""
        if self._context.this_pc_backup_folder is not None:
            return self._context.this_pc_backup_folder
        chosen = self._clinic.clinic_details().backup_folder
        return Path(chosen).expanduser() if chosen else None

    def checkpoint_folder(self, data_folder: Path) -> Path:
        """Where the daily checkpoint goes: the backup folder of a database file; on a server (which
        the app does not back up) the chosen backup folder if one is set, else `data_folder`."""
        if self.keeps_its_own_backups():
            return self.backup_folder()
        return self.chosen_backup_folder() or data_folder

    @store_errors
    def database_link(self) -> DatabaseLink:
        """Where the records are and whether the way there is encrypted, asked of the server
        itself: an administrator checks it in Clinic details."""
        from desk_app.domain.integrity import DatabaseLink  # Clinic details': not a start's

        db = self._context.db
        if on_server(db):
            encrypted, how, local = db.encryption()
            return DatabaseLink(describe(db.database), True, encrypted, local, how)
        return DatabaseLink(str(Path(db.database).resolve()), False, False, True)

    @store_errors
    def is_demo(self) -> bool:
        """A demo database holds training data only; the window says so."""
        return ClinicSetting.get_or_none(ClinicSetting.key == DEMO_SETTING) is not None
