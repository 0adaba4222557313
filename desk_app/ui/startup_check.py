"""The start-up check of a large database file, with a small window saying so, before the main
window: SQLite's structure check reads every page (1.8 s at 1.1 GB), and a start that shows nothing
for seconds looks like a start that failed (and is clicked again).

The check runs on a thread of its own (its own read-only connection, made and closed there) while
the event loop goes on here, so the small window is drawn and answers. Nothing else touches the file
meanwhile: the opening waits for the check's answer and then goes on exactly as before, with the
same refusals and messages. There is no Cancel: the records are not opened unchecked, and quitting
a read changes nothing that waiting would not.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from desk_app.ui.widgets import Tone, say

log = logging.getLogger(__name__)
_Checked = TypeVar("_Checked")

# Files smaller than this are checked before a window could be drawn (about 80 ms here): no window.
LARGE_FILE_BYTES = 48 * 1024 * 1024
CHECKING = "Checking the clinic's records…"
HEARD_AS = "Start-up check"


class CheckingWindow(QWidget):
    """A small window: what is happening, and a busy bar (SQLite's check cannot say how far it is)."""

    def __init__(self, path: Path, size: int) -> None:
        super().__init__(
            None, Qt.WindowType.Dialog | Qt.WindowType.CustomizeWindowHint | Qt.WindowType.WindowTitleHint
        )
        self.setWindowTitle("Treatment Desk")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        self.words = QLabel(self)
        self.words.setWordWrap(True)
        layout.addWidget(self.words)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)
        self.bar.setAccessibleName(f"{HEARD_AS}: progress")
        layout.addWidget(self.bar)
        where = QLabel(f"The file {path.name} ({size / 1024**2:,.0f} MB) is read once at each start.", self)
        where.setWordWrap(True)
        layout.addWidget(where)
        say(self.words, CHECKING, Tone.NOTE, HEARD_AS)


def check_with_window(path: Path, check: Callable[[], _Checked]) -> _Checked:
    """database.FileCheckRunner for the window: a large file is checked on a thread of its own
    while CheckingWindow shows; a small one at once, here."""
    try:
        size = os.stat(path).st_size
    except OSError:
        size = 0  # the check itself says what is wrong with the file
    if size < LARGE_FILE_BYTES:
        return check()
    from desk_app.ui.long_job import run_while_waiting  # a large file only: not every start

    window = CheckingWindow(path, size)
    window.show()
    log.info("Start-up check of a large database file, on its own thread")
    try:
        return run_while_waiting(check)
    finally:
        window.close()
        window.deleteLater()
