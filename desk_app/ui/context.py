"""What every page needs from the window: the store, the app-wide signals, the clock, who is at the
desk, and the database worker. One object, so a page's constructor says only what is its own.

`desk` runs each of its methods on the worker and waits; `worker.submit` runs one without waiting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from desk_app.domain.clock import Clock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.db_worker import DatabaseWorker
from desk_app.ui.signals import DeskSignals


@dataclass(frozen=True)
class DeskContext:
    desk: Desk
    signals: DeskSignals
    clock: Clock
    current_staff: Callable[[], Staff | None]
    worker: DatabaseWorker
