"""The front-desk board: one card per session in progress, in the order they need attention.

Everything here is computed from the stored events and `now`, so cards are right after a restart,
across midnight and across a daylight-saving change (all instants are UTC).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from desk_app.domain.alerts import Alert, due_alerts
from desk_app.domain.countdown import GelPhase
from desk_app.domain.procedure import ItemKind, PausePoint
from desk_app.domain.session import ItemState, SessionRecord, SessionState


class BoardPhase(StrEnum):
    """What the front desk needs to know at a glance; shown in colour and in words."""

    REMOVE_NOW = "remove gel now"
    READY = "ready"
    WAITING = "waiting"
    PREPARING = "sign-in and gel"
    IN_LASER_ROOM = "in the laser room"


# Lower comes first on the board.
_ATTENTION_ORDER = {
    BoardPhase.REMOVE_NOW: 0,
    BoardPhase.READY: 1,
    BoardPhase.WAITING: 2,
    BoardPhase.PREPARING: 3,
    BoardPhase.IN_LASER_ROOM: 4,
}


@dataclass(frozen=True)
class BoardCard:
    record: SessionRecord
    state: SessionState
    phase: BoardPhase
    next_label: str
    gel_remaining: timedelta | None
    laser_room_since: datetime | None
    alerts: tuple[Alert, ...]
    attention_at: datetime

    @property
    def sort_key(self) -> tuple[int, datetime, int]:
        return _ATTENTION_ORDER[self.phase], self.attention_at, self.record.id


def _laser_room_point(state: SessionState) -> PausePoint | None:
    """The pause point held in the laser room: the one where the gel comes off (the time-out)."""
    gel_removed = state.procedure.gel_removed
    return state.procedure.pause_point_of(gel_removed.id) if gel_removed else None


def _time_out_done_at(state: SessionState, time_out: PausePoint) -> datetime | None:
    """When the time-out was completed: the laser room's clock starts then."""
    items = [state.item(item.id) for item in time_out.items]
    if not all(item.satisfied for item in items):
        return None
    return max((event.at for item in items for event in (item.tick, item.override) if event), default=None)


def board_card(record: SessionRecord, now: datetime) -> BoardCard:
    state = record.state(now)
    countdown = state.countdown
    gel = state.gel_phase(now)
    time_out = _laser_room_point(state)
    started_time_out = time_out is not None and any(state.item(i.id).tick for i in time_out.items)
    done_at = _time_out_done_at(state, time_out) if time_out else None
    if gel is GelPhase.REMOVE_NOW:  # a safety alert outranks where the patient is
        assert countdown is not None  # gel_phase is NOT_STARTED without one
        phase, attention_at = BoardPhase.REMOVE_NOW, countdown.remove_at
    elif gel is GelPhase.REMOVED or started_time_out:
        phase, attention_at = BoardPhase.IN_LASER_ROOM, done_at or record.started_at
    elif countdown is None:
        phase, attention_at = BoardPhase.PREPARING, record.started_at
    elif gel is GelPhase.READY:
        phase, attention_at = BoardPhase.READY, countdown.ready_at
    else:
        phase, attention_at = BoardPhase.WAITING, countdown.ready_at
    next_item = state.next_item()
    return BoardCard(
        record=record,
        state=state,
        phase=phase,
        next_label=_next_label(state, next_item),
        gel_remaining=countdown.remaining(now) if phase is BoardPhase.WAITING and countdown else None,
        laser_room_since=done_at if phase is BoardPhase.IN_LASER_ROOM else None,
        alerts=tuple(due_alerts(record, state, now)),
        attention_at=attention_at,
    )


def _next_label(state: SessionState, next_item: ItemState | None) -> str:
    """The next thing to do; during the wait, the pause point that follows it."""
    if next_item is None:
        return "Sign out"
    if next_item.item.kind is ItemKind.COUNTDOWN:
        points = state.procedure.pause_points
        waiting = points.index(state.procedure.pause_point_of(next_item.item.id))
        if waiting + 1 < len(points):
            return f"{points[waiting + 1].title} (when the gel is ready)"
    return next_item.item.label


def board(records: Sequence[SessionRecord], now: datetime) -> list[BoardCard]:
    """Cards for every session in progress, the one that needs attention first at the top."""
    return sorted((board_card(record, now) for record in records), key=lambda card: card.sort_key)
