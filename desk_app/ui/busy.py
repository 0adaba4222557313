"""The wait cursor while the window waits on slow work: only the first start (no window yet, so no
countdown waits on it) still does; the window's own work goes to the database worker or a long job."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


@contextmanager
def wait_cursor() -> Iterator[None]:
    """Show the hourglass until the block ends, however it ends: the window does not answer meanwhile."""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()
