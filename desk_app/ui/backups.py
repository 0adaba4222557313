"""The automatic backup: once a day (at the first tick of a day with none yet) and when the app closes.

The daily copy runs on a thread of its own, with its own connection, so the countdowns never wait for
it; the copy at closing runs before the window goes. A failure is said on screen: a clinic that has
lost its backups must know. Each backup is then recorded in the live audit trail, on the UI thread
(the desk's own connection): which file, and the trail it holds.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, date
from pathlib import Path

from desk_app.domain.clock import Clock
from desk_app.domain.dates import local_today
from desk_app.domain.errors import DomainError
from desk_app.store.backup import BackupError, backup_now, file_database_id, has_backup_of
from desk_app.store.checkpoints import head_of_file
from desk_app.store.errors import error_for_log

log = logging.getLogger(__name__)

# Records a backup in the live trail: (backup file, its audit rows, its head hash).
RecordBackup = Callable[[Path, int, str], None]


class BackupKeeper:
    """Makes the day's backup of `database` into the folder `folder()` names (read at each use)."""

    def __init__(
        self, database: Path, folder: Callable[[], Path], clock: Clock, record: RecordBackup | None = None
    ) -> None:
        self.database, self.folder, self.clock, self.record = database, folder, clock, record
        self._unrecorded: tuple[Path, int, str] | None = None  # a backup made, not yet in the trail
        self._thread: threading.Thread | None = None
        self._tried_on: date | None = None  # the UTC day last looked at
        self.problem: str | None = None
        self.last: Path | None = None
        self._database_id: str | None = None  # read from the file at the first look

    def _make(self, folder: Path) -> None:
        """Copy the database into `folder`, read by the caller: on the backup's own thread the desk's
        records are never asked (a connection opened there would stay open, a file a day)."""
        try:
            self.last = backup_now(self.database, folder, self.clock.now().astimezone(UTC))
            self._unrecorded = (self.last, *head_of_file(self.last))
            self.problem = None
        except (BackupError, OSError, sqlite3.Error) as error:
            log.error("The automatic backup failed: %s", error_for_log(error))
            self.problem = f"The automatic backup failed: {error}. Tell the clinic manager."

    def _record_made(self) -> None:
        """Write the backup just made into the live trail (on the thread that owns the desk)."""
        made, self._unrecorded = self._unrecorded, None
        if made is None or self.record is None:
            return
        try:
            self.record(*made)
        except DomainError as error:
            self.not_recorded(made[0], error)

    def not_recorded(self, backup: Path, error: DomainError) -> None:
        """The backup was made but its row in the audit trail could not be written: said on screen."""
        log.error("The backup %s was made but not recorded: %s", backup.name, error_for_log(error))
        self.problem = f"The backup {backup.name} was made but not recorded: {error}."

    def tick(self) -> None:
        """Once a UTC day, start the day's backup if the folder has none yet.

        Called every second on the UI thread: on any other second it only compares two dates, so a
        slow backup folder (a USB disk, a share) and the settings are looked at once a day.
        """
        if self._thread is not None and not self._thread.is_alive():
            self._record_made()
        today = self.clock.now().astimezone(UTC).date()
        if self._tried_on == today or (self._thread is not None and self._thread.is_alive()):
            return
        self._tried_on = today
        try:
            self._database_id = self._database_id or file_database_id(self.database)
            folder = self.folder()
            due = self._database_id is None or not has_backup_of(folder, today, self._database_id)
        except (OSError, sqlite3.Error, DomainError) as error:
            log.error("The backup folder cannot be read: %s", error_for_log(error))
            self.problem = f"The backup folder cannot be read: {error}."
            return
        if due:
            self._thread = threading.Thread(
                target=self._make, args=(folder,), name="daily backup", daemon=False
            )
            self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._record_made()

    def at_exit(self) -> None:
        """The last copy, as the app closes cleanly."""
        self.wait()
        try:
            folder = self.folder()
        except (OSError, DomainError) as error:
            log.error("The backup folder cannot be read: %s", error_for_log(error))
            self.problem = f"The backup folder cannot be read: {error}."
            return
        self._make(folder)
        self._record_made()


class CheckpointKeeper:
    """On a server, which the app does not back up: the day's audit checkpoint (see
    store.checkpoints) at the first tick of each clinic day and as the app closes. `write` logs its
    own failures: a checkpoint missed is not a reason to stop a desk."""

    problem: str | None = None

    def __init__(self, write: Callable[[], object], clock: Clock) -> None:
        self.write, self.clock = write, clock
        self._written_on: date | None = None

    def tick(self) -> None:
        today = local_today(self.clock.now())
        if self._written_on != today:
            self._written_on = today
            self.write()

    def at_exit(self) -> None:
        self.write()
