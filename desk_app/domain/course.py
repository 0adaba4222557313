"""A patient's course of treatment: how far along, when the last session was, when the next may be.

Most patients need three sessions, up to six for deep scarring; the sun rule asks for four weeks
between sessions. The planned number is what the last signed-out session recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from desk_app.domain.clinical_rules import course_complete, earliest_next
from desk_app.domain.dates import local_today
from desk_app.domain.procedure import NEXT_DATE_FIELD, PLANNED_SESSIONS_FIELD, FieldType, ItemKind
from desk_app.domain.session import SessionRecord, SessionStatus
from desk_app.domain.values import describe_value

DEFAULT_PLANNED = 3
MAX_PLANNED = 6
GAP_BETWEEN_SESSIONS = timedelta(weeks=4)


@dataclass(frozen=True)
class Course:
    sessions_done: int
    planned: int
    last_session: date | None
    days_since_last: int | None
    earliest_next: date | None
    next_planned: date | None

    @property
    def summary(self) -> str:
        """'2 of 3 sessions done' in words a nurse reads at a glance."""
        if self.sessions_done > self.planned:  # beyond the most a course plans (6)
            return f"{self.sessions_done} sessions done ({self.planned} planned)"
        return f"{self.sessions_done} of {self.planned} sessions done"


@dataclass(frozen=True)
class SessionLine:
    """One line of a patient's history: enough to see what was done without opening it."""

    session_id: int
    number: int
    day: date
    status: SessionStatus
    operator: str
    settings: str


def _planned_values(record: SessionRecord, now: datetime) -> dict[str, Any]:
    """What the session's course-plan item recorded (planned_sessions, next_date), if anything."""
    item = record.procedure.course_plan_item
    tick = record.state(now).item(item.id).tick if item else None
    return dict(tick.values) if tick else {}


def course(records: Sequence[SessionRecord], now: datetime) -> Course:
    """The course so far, from the patient's sessions (any order)."""
    done = sorted(
        (r for r in records if r.state(now).status is SessionStatus.SIGNED_OUT), key=lambda r: r.started_at
    )
    planned, next_planned = DEFAULT_PLANNED, None
    if done:
        planned = planned_after(done[-1], len(done), now)
        next_planned = planned_next_date(done[-1], now)
    last = local_today(done[-1].started_at) if done else None
    today = local_today(now)
    # A course ends at its last planned session from procedure 1.5 on; before, a next date stood.
    finished = bool(done) and len(done) >= planned and done[-1].procedure.course is not None
    return Course(
        sessions_done=len(done),
        planned=planned,
        last_session=last,
        days_since_last=(today - last).days if last else None,
        earliest_next=None if last is None or finished else next_session_from(done[-1], last),
        next_planned=None if finished else next_planned,
    )


def planned_after(last_done: SessionRecord, sessions_done: int, now: datetime) -> int:
    """Sessions the course plans after `sessions_done` signed-out sessions, the last `last_done`:
    its plan, never fewer than those done nor more than a course plans."""
    recorded = int(_planned_values(last_done, now).get(PLANNED_SESSIONS_FIELD, DEFAULT_PLANNED))
    return min(max(recorded, sessions_done), MAX_PLANNED)


def next_session_from(record: SessionRecord, treated_on: date) -> date:
    """The first day after `treated_on` a next session may be: the procedure's interval (1.5 on),
    or the sun rule's four weeks in a version before it."""
    return earliest_next(record.procedure, treated_on) or treated_on + GAP_BETWEEN_SESSIONS


def ends_course(record: SessionRecord, now: datetime) -> bool:
    """This session's plan completes the course: nothing next to print."""
    item = record.procedure.course_plan_item
    state = record.state(now)
    tick = state.item(item.id).tick if item else None
    return item is not None and tick is not None and course_complete(item, tick.values, state.course_context)


def planned_at(record: SessionRecord, earlier: Sequence[SessionRecord], now: datetime) -> int:
    """Sessions the course plans as of this session: its own plan if recorded, else the course before it."""
    values = _planned_values(record, now)
    if PLANNED_SESSIONS_FIELD in values:
        return int(values[PLANNED_SESSIONS_FIELD])
    return max(course(earlier, now).planned, record.session_number)


def planned_next_date(record: SessionRecord, now: datetime) -> date | None:
    """The next session's date this session recorded, if any."""
    values = _planned_values(record, now)
    return date.fromisoformat(values[NEXT_DATE_FIELD]) if NEXT_DATE_FIELD in values else None


def session_line(record: SessionRecord, now: datetime) -> SessionLine:
    state = record.state(now)
    operator = state.sign_out.staff_name if state.sign_out else record.holder.name
    settings = []
    for item in record.procedure.all_items():
        tick = state.item(item.id).tick
        if item.kind is not ItemKind.LASER_PASS or tick is None:
            continue
        # The settings that vary: numbers with a unit, not fixed ones such as the 7 mm beam.
        shown = [
            describe_value(field, tick.values[field.id])
            for field in item.fields
            if field.type is FieldType.NUMBER
            and field.unit
            and field.min != field.max
            and field.id in tick.values
        ]
        settings.append(f"{item.label.split(',')[0]}: {', '.join(shown)}")
    return SessionLine(
        session_id=record.id,
        number=record.session_number,
        day=local_today(record.started_at),
        status=state.status,
        operator=operator,
        settings="; ".join(settings),
    )
