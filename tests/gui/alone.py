"""A page or dialog tested alone, with no window to own the database worker its saves go through."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.context import DeskContext
from desk_app.ui.db_worker import DatabaseWorker
from desk_app.ui.signals import DeskSignals


def context_alone(desk: Desk, staff: Staff, owner: QWidget | None = None) -> DeskContext:
    """What a page is given, with a worker of its own; give the worker an `owner` on screen (now or
    with setParent once the page is made) so that nurse.settle waits for it."""
    worker = DatabaseWorker(desk.db, desk.clock, owner)
    return DeskContext(desk, DeskSignals(), desk.clock, lambda: staff, worker)
