"""The automatic backup: once a day (at the first tick of a day with none yet) and when the app closes.

The daily copy runs on a thread of its own, with its own connection, so the countdowns never wait for
it; the copy at closing runs before the window goes. A failure is said on screen: a clinic that has
lost its backups must know.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date
from pathlib import Path

from desk_app.domain.clock import Clock
from desk_app.store.backup import BackupError, backup_now, has_backup_of


class BackupKeeper:
    """Makes the day's backup of `database` into the folder `folder()` names (read at each use)."""

    def __init__(self, database: Path, folder: Callable[[], Path], clock: Clock) -> None:
        self.database, self.folder, self.clock = database, folder, clock
        self._thread: threading.Thread | None = None
        self._tried_on: date | None = None  # one try a day: a failing disk is not hammered every second
        self.problem: str | None = None
        self.last: Path | None = None

    def _make(self) -> None:
        try:
            self.last = backup_now(self.database, self.folder(), self.clock.now().astimezone(UTC))
            self.problem = None
        except (BackupError, OSError) as error:
            self.problem = f"The automatic backup failed: {error}. Tell the clinic manager."

    def tick(self) -> None:
        """Start today's backup if there is none yet and none is being made."""
        if self._thread is not None and self._thread.is_alive():
            return
        today = self.clock.now().astimezone(UTC).date()
        try:
            due = not has_backup_of(self.folder(), today)
        except OSError as error:
            self.problem = f"The backup folder cannot be read: {error}."
            return
        if due and self._tried_on != today:
            self._tried_on = today
            self._thread = threading.Thread(target=self._make, name="daily backup", daemon=False)
            self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def at_exit(self) -> None:
        """The last copy, as the app closes cleanly."""
        self.wait()
        self._make()
