"""An in-memory session log grown through the domain's own checks, for domain tests (no database)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from desk_app.domain.actions import (
    check_abort,
    check_clear_stop,
    check_correction,
    check_note,
    check_override,
    check_tick,
)
from desk_app.domain.clinical_rules import CourseContext
from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Role, Staff
from desk_app.domain.procedure import Procedure
from desk_app.domain.session import Event, EventKind, SessionState, derive_state
from tests.support.lasers import TEST_LASER, TEST_LASER_MARKING, TEST_LASER_VALUE
from tests.support.walk import ANAESTHETIC, SIGN_IN

NURSE = Staff(id=1, name="Ann Nurse", initials="AN", role=Role.NURSE)
CLINICIAN = Staff(id=2, name="Dr Clive Doctor", initials="CD", role=Role.CLINICIAN)
ADMIN = Staff(id=3, name="Mo Manager", initials="MM", role=Role.ADMINISTRATOR)


class Log:
    """One session's append-only event list, grown through the same checks the store makes."""

    def __init__(self, procedure: Procedure, clock: ManualClock) -> None:
        self.procedure = procedure
        self.clock = clock
        self.events: list[Event] = []

    def state(self, at: datetime | None = None) -> SessionState:
        return derive_state(self.procedure, self.events, at or self.clock.now())

    def _append(self, kind: EventKind, staff: Staff, **fields: Any) -> Event:
        event = Event(
            id=len(self.events) + 1,
            kind=kind,
            at=self.clock.now(),
            staff_id=staff.id,
            staff_name=staff.name,
            staff_initials=staff.initials,
            **fields,
        )
        self.events.append(event)
        return event

    def course(self, context: CourseContext, staff: Staff = NURSE) -> Event:
        """The course as it stood at the start, as the store writes it when the session starts."""
        return self._append(EventKind.COURSE, staff, values=context.values())

    def tick(self, item_id: str, values: dict[str, Any] | None = None, staff: Staff = NURSE) -> Event:
        checked = check_tick(
            self.state(), item_id, self._with_test_laser(item_id, values or {}), self.clock.now()
        )
        return self._append(EventKind.TICK, staff, item_id=item_id, values=checked)

    def _with_test_laser(self, item_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """TEST_LASER replaced by the snapshot the store would keep of the test laser."""
        snapshot = dict(TEST_LASER_VALUE)
        if item_id in self.procedure.item_ids() and self.procedure.item(item_id).confirms_eyewear:
            snapshot["eyewear_marking"] = TEST_LASER_MARKING
        return {key: snapshot if value == TEST_LASER else value for key, value in values.items()}

    def tick_all(self, items: dict[str, dict[str, Any]], **changes: dict[str, Any]) -> None:
        for item_id, values in items.items():
            self.tick(item_id, changes.get(item_id, values))

    def correct(self, item_id: str, reason: str = "Ticked by mistake", staff: Staff = NURSE) -> Event:
        tick, checked = check_correction(self.state(), item_id, reason)
        return self._append(EventKind.CORRECTION, staff, item_id=item_id, text=checked, corrects_id=tick.id)

    def clear_stop(
        self, item_id: str, reason: str = "Seen the patient; safe to go on", staff: Staff = CLINICIAN
    ) -> Event:
        """A clinician who has seen the patient clears a hard stop, as Desk.clear_stop writes it (the
        clinician's correction, entered by the nurse at the desk)."""
        tick, checked = check_clear_stop(self.state(), item_id, staff.role, reason)
        values = {"entered_by_id": NURSE.id, "entered_by": NURSE.name}
        return self._append(
            EventKind.CORRECTION, staff, item_id=item_id, values=values, text=checked, corrects_id=tick.id
        )

    def override(
        self, item_id: str, reason: str = "Discussed; safe to go on", staff: Staff = CLINICIAN
    ) -> Event:
        checked = check_override(self.state(), item_id, staff.role, reason)
        return self._append(EventKind.OVERRIDE, staff, item_id=item_id, text=checked)

    def note(self, item_id: str | None, text: str, staff: Staff = NURSE) -> Event:
        checked = check_note(self.state(), item_id, text)
        return self._append(EventKind.NOTE, staff, item_id=item_id, text=checked)

    def abort(self, reason: str, staff: Staff = NURSE, gel_removed: bool = False) -> Event:
        checked, values = check_abort(self.state(), reason, gel_removed)
        return self._append(EventKind.ABORT, staff, text=checked, values=values)


def through_anaesthetic(log: Log) -> Event:
    """Sign-in and Anaesthetic done; returns the 'gel applied' tick."""
    log.tick_all(SIGN_IN)
    log.tick_all(ANAESTHETIC)
    return next(e for e in reversed(log.events) if e.item_id == "gel_applied")
