"""Gel alerts: 'ready for the laser room' at 60 minutes and 'remove the gel now' at the clinic maximum.

An alert is due from its instant until a member of staff acknowledges it (an event in the session's
log). Nothing is scheduled: whatever is due at `now` is due, so an alert that fell due while the app
was closed or the PC asleep is due the moment the app looks again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from desk_app.domain.countdown import Countdown
from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import short_name

if TYPE_CHECKING:  # the sessions' module is imported where one is checked: not by a start's banner
    from desk_app.domain.session import Event, SessionRecord, SessionState


class AlertKind(StrEnum):
    READY = "ready"
    REMOVE_NOW = "remove now"


@dataclass(frozen=True)
class Alert:
    session_id: int
    patient_name: str
    kind: AlertKind
    due_at: datetime
    # What a locked screen or a desktop notification may show: 'Zoë O.', never the whole name.
    short_name: str = ""

    @property
    def key(self) -> tuple[int, AlertKind, datetime]:
        """Identifies the alert across refreshes: gel painted again brings a new alert."""
        return self.session_id, self.kind, self.due_at

    @property
    def message(self) -> str:
        return self.message_naming(self.patient_name)

    @property
    def private_message(self) -> str:
        """For a screen anyone passing may read: the first name and an initial only."""
        return self.message_naming(self.short_name or "A patient")

    def message_naming(self, name: str) -> str:
        if self.kind is AlertKind.READY:
            return f"{name}: the gel has worked. Ready for the laser room."
        return f"{name}: remove the gel now. It has been on for its maximum time."


def _alert_instants(countdown: Countdown) -> dict[AlertKind, datetime]:
    return {AlertKind.READY: countdown.ready_at, AlertKind.REMOVE_NOW: countdown.remove_at}


def _instants(state: SessionState) -> dict[AlertKind, datetime]:
    countdown = state.countdown
    if countdown is None or countdown.removed_at is not None or state.ended:
        return {}
    return _alert_instants(countdown)


def due_alerts(record: SessionRecord, state: SessionState, now: datetime) -> list[Alert]:
    """Alerts of one session that are due at `now` and not yet acknowledged, oldest first.

    Once the gel must come off, 'ready' is no longer news, acknowledged or not: only 'remove now'
    can be due then.
    """
    instants = _instants(state)
    if AlertKind.REMOVE_NOW in instants and instants[AlertKind.REMOVE_NOW] <= now:
        del instants[AlertKind.READY]
    return [
        Alert(record.id, record.patient.full_name, kind, instant, short_name(record.patient))
        for kind, instant in instants.items()
        if instant <= now and kind.value not in state.alert_acks
    ]


def check_acknowledge(state: SessionState, kind: AlertKind, now: datetime) -> dict[str, int]:
    """Returns the values to store: the 'gel applied' tick the acknowledgement answers."""
    from desk_app.domain.session import SessionStatus

    if state.status is not SessionStatus.IN_PROGRESS:
        raise ActionRefused("This session is closed; it has no alerts.")
    instant = _instants(state).get(kind)
    if instant is None or instant > now:
        raise ActionRefused(f"There is no '{kind.value}' alert to acknowledge for this patient.")
    if kind.value in state.alert_acks:
        event = state.alert_acks[kind.value]
        raise ActionRefused(f"{event.staff_name} has already acknowledged this alert.")
    gel = state.item(state.procedure.gel_applied.id).tick
    assert gel is not None  # a due alert means the gel was applied
    return {"gel_applied_event": gel.id}


@dataclass(frozen=True)
class RaisedAlert:
    """An alert as the record keeps it: when it fell due, for which gel, and who answered it."""

    kind: AlertKind
    due_at: datetime
    gel_applied: Event  # the 'gel applied' tick whose countdown raised it
    live_gel: bool  # False: that tick was later undone (the gel painted again, say)
    acknowledged: Event | None


def _ended_at(state: SessionState) -> datetime | None:
    """When the session was signed out or stopped; None while it is open."""
    end = state.sign_out or state.abort
    return end.at if end is not None else None


def raised_alerts(record: SessionRecord, state: SessionState, now: datetime) -> list[RaisedAlert]:
    """Every alert the gel raised by `now`, oldest first, so the printed record can account for each.

    An alert is raised when its instant passes with that gel on the skin and the session open: the
    same rule as `due_alerts`, applied to every 'gel applied' tick, undone ones too (their window
    closes when the tick was undone or replaced).
    """
    from desk_app.domain.session import EventKind

    procedure = state.procedure
    gel = state.item(procedure.gel_applied.id)
    changes = [event for event in gel.history if event.kind in (EventKind.TICK, EventKind.CORRECTION)]
    acks = sorted((event for event in record.events if event.kind is EventKind.ALERT_ACK), key=lambda e: e.id)
    raised = []
    for tick in (event for event in changes if event.kind is EventKind.TICK):
        countdown = Countdown.starting(tick.at, procedure.ready_minutes, state.gel_remove_minutes)
        live = gel.tick is not None and gel.tick.id == tick.id
        if live:
            assert state.countdown is not None  # a live 'gel applied' tick starts the countdown
            closed = state.countdown.removed_at or _ended_at(state)
        else:
            closed = next(event.at for event in changes if event.id > tick.id)  # undone or replaced
        for kind, instant in _alert_instants(countdown).items():
            if instant > now or (closed is not None and instant >= closed):
                continue
            ack = next(
                (a for a in acks if a.text == kind.value and a.values.get("gel_applied_event") == tick.id),
                None,
            )
            raised.append(RaisedAlert(kind, instant, tick, live, ack))
    return sorted(raised, key=lambda alert: alert.due_at)


@dataclass(frozen=True)
class GelOverrun:
    """The live gel on the skin past its remove-by time: until it came off, or until `until` if it
    was never recorded as removed (the session's end, or now)."""

    remove_by: datetime
    until: datetime
    removed: bool

    @property
    def over(self) -> timedelta:
        return self.until - self.remove_by


def gel_overrun(state: SessionState, now: datetime) -> GelOverrun | None:
    """How far past the remove-by time the gel stayed on, or None if it came off in time (or never
    went on): the printed record flags it at the top."""
    countdown = state.countdown
    if countdown is None:
        return None
    removed = countdown.removed_at is not None
    until = countdown.removed_at or _ended_at(state) or now
    if until <= countdown.remove_at:
        return None
    return GelOverrun(countdown.remove_at, until, removed)
