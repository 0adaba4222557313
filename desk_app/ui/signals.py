"""One app-wide object whose signals keep every page in step with the records and the clock."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class DeskSignals(QObject):
    session_changed = Signal(int)
    """This desk changed a session (tick, correction, override, note, stop, sign-out, handover)."""

    session_saved = Signal(object)
    """The SessionRecord an action here has just committed, when it is at hand: emitted just
    before that session's session_changed, so the board takes it instead of reading again."""

    patients_changed = Signal()
    """This desk registered or changed a patient."""

    changed_elsewhere = Signal()
    """Another desk wrote to the database: reload what is shown."""

    not_saved = Signal(str)
    """An action the window went on from was refused or failed once the page had moved on: say so."""

    second_passed = Signal()
    """The app's one clock tick: countdowns and alerts are recomputed from stored instants."""
