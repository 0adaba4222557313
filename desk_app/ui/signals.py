"""One app-wide object whose signals tell every page that the records changed."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class DeskSignals(QObject):
    session_changed = Signal(int)
    """A session's events changed (tick, correction, override, note, abort, sign-out)."""

    patients_changed = Signal()
    """A patient was registered or changed."""

    staff_changed = Signal()
    """A member of staff was added, or the person at the desk changed."""
