"""The window's side of the access audit (store.access): when a record counts as opened, and which of
the searches run as a nurse types count as searches.

A page is opened when a nurse asks for it (a click, a key); the refreshes every few seconds and after
another desk's write read it again and write nothing. A search runs at each pause in typing; a row for
each would flood the trail, so a search is recorded once it is settled: nothing more typed for
SETTLED_AFTER, or the next text does not just carry on typing it (a correction, a new name), or a
result is opened, or the page is left (a search typed just before the desk locks is written then,
naming who typed it). Nobody at the desk (locked, signed out): nothing opened or typed is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel

from desk_app.domain.access import Opened
from desk_app.domain.errors import DomainError
from desk_app.store.errors import error_for_log
from desk_app.ui.context import DeskContext
from desk_app.ui.widgets import Tone, show_message

log = logging.getLogger(__name__)

SETTLED_AFTER = timedelta(seconds=2)
NOT_RECORDED = "Opened, but the audit trail could not record it: {error}"


def record_opening(
    context: DeskContext, patient_id: int, opened: Opened, session_id: int | None, message: QLabel
) -> None:
    """Write who opened this record, once it is on screen: queued on the database worker in the
    order asked (nothing waits for it, and closing the window writes it first), so a busy database
    never keeps a nurse from a patient's record; a failure is said on `message` and logged, and the
    record stays open."""
    staff = context.current_staff()
    if staff is None:
        return

    def not_recorded(error: DomainError) -> None:
        log.warning("Opening of patient %s (%s) not audited: %s", patient_id, opened, error_for_log(error))
        if shiboken6.isValid(message):
            show_message(message, NOT_RECORDED.format(error=error), Tone.ERROR)

    access = context.desk.access
    context.worker.submit(
        lambda: access.record_access(staff.id, patient_id, opened, session_id), failed=not_recorded
    )


@dataclass(frozen=True)
class _Search:
    staff_id: int
    text: str  # kept in memory only, to tell a search carried on from a new one; never written
    found: int
    more: bool
    at: datetime


class SettledSearches(QObject):
    """One page's typed searches, each written to the audit trail once settled (see the module)."""

    def __init__(self, context: DeskContext, parent: QObject) -> None:
        super().__init__(parent)
        self.context = context
        self._pending: _Search | None = None
        context.signals.second_passed.connect(self._on_second)

    def ran(self, text: str, found: int, more: bool) -> None:
        """A search the nurse typed has just been run and shown."""
        staff = self.context.current_staff()
        pending = self._pending
        carried_on = pending is not None and staff is not None and staff.id == pending.staff_id
        if pending is not None and not (carried_on and text.startswith(pending.text)):
            self.settle()  # a correction or a new name: the last one was read, then left
        self._pending = None
        if staff is not None and text.strip():  # an empty field lists the register: no search
            self._pending = _Search(staff.id, text, found, more, self.context.clock.now())

    def settle(self) -> None:
        """Write the pending search now (a result opened, the page left)."""
        pending, self._pending = self._pending, None
        if pending is None:
            return

        def not_recorded(error: DomainError) -> None:
            log.warning("A search (%s found) was not audited: %s", pending.found, error_for_log(error))

        access = self.context.desk.access
        self.context.worker.submit(  # the page goes on (it may be locking) while the row is written
            lambda: access.record_search(pending.staff_id, pending.found, pending.more), failed=not_recorded
        )

    def _on_second(self) -> None:
        pending = self._pending
        if pending is not None and self.context.clock.now() - pending.at >= SETTLED_AFTER:
            self.settle()
