"""Gel alerts: 'ready for the laser room' at 60 minutes and 'remove the gel now' at the clinic maximum.

An alert is due from its instant until a member of staff acknowledges it (an event in the session's
log). Nothing is scheduled: whatever is due at `now` is due, so an alert that fell due while the app
was closed or the PC asleep is due the moment the app looks again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import short_name
from desk_app.domain.session import SessionRecord, SessionState, SessionStatus


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
        return f"{name}: remove the gel now. It has been on for the clinic's maximum."


def _instants(state: SessionState) -> dict[AlertKind, datetime]:
    countdown = state.countdown
    if countdown is None or countdown.removed_at is not None or state.ended:
        return {}
    return {AlertKind.READY: countdown.ready_at, AlertKind.REMOVE_NOW: countdown.remove_at}


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
