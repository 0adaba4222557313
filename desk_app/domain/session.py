"""The session state machine: the state of every item is derived from the append-only event list.

Nothing is stored as "current state". Replaying the events at a given instant tells which items are
open, done or locked, and why. A correction is a later event that undoes a tick; it never erases it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from desk_app.domain.countdown import Countdown, GelPhase
from desk_app.domain.dates import local_today
from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import Patient, Role, Staff
from desk_app.domain.procedure import ItemDef, ItemKind, PausePoint, Procedure, Stop
from desk_app.domain.text import check_plain_text
from desk_app.domain.values import flags_for, validate_values

REASON_MAX = 1000
NOTE_MAX = 2000


class EventKind(StrEnum):
    TICK = "tick"
    CORRECTION = "correction"
    OVERRIDE = "override"
    NOTE = "note"
    ABORT = "abort"
    ALERT_ACK = "alert acknowledged"
    HANDOVER = "handover"


class SessionStatus(StrEnum):
    IN_PROGRESS = "in progress"
    SIGNED_OUT = "signed out"
    ABORTED = "aborted"


class ItemStatus(StrEnum):
    OPEN = "open"
    WAITING = "waiting"
    DONE = "done"
    NEEDS_OVERRIDE = "needs override"
    OVERRIDDEN = "overridden"


@dataclass(frozen=True)
class Event:
    """One append-only row of a session's log. `id` orders events; `at` is aware UTC."""

    id: int
    kind: EventKind
    at: datetime
    staff_id: int
    staff_name: str
    staff_initials: str
    item_id: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    text: str = ""
    corrects_id: int | None = None


@dataclass(frozen=True)
class ItemState:
    item: ItemDef
    status: ItemStatus
    tick: Event | None
    override: Event | None
    flags: tuple[str, ...]
    lock_reason: str | None
    notes: tuple[Event, ...]
    corrections: tuple[Event, ...]

    @property
    def satisfied(self) -> bool:
        return self.status in (ItemStatus.DONE, ItemStatus.OVERRIDDEN)

    @property
    def locked(self) -> bool:
        return self.lock_reason is not None


@dataclass(frozen=True)
class SessionState:
    procedure: Procedure
    status: SessionStatus
    items: Mapping[str, ItemState]
    countdown: Countdown | None
    current_pause_point: PausePoint | None
    abort: Event | None
    sign_out: Event | None
    session_notes: tuple[Event, ...]
    alert_acks: Mapping[str, Event]
    handovers: tuple[Event, ...]

    def item(self, item_id: str) -> ItemState:
        return self.items[item_id]

    @property
    def ended(self) -> bool:
        return self.status is not SessionStatus.IN_PROGRESS

    def gel_phase(self, now: datetime) -> GelPhase:
        """Where the gel is; a wait ended early by a clinician counts as ready."""
        if self.countdown is None:
            return GelPhase.NOT_STARTED
        phase = self.countdown.phase(now)
        if phase is GelPhase.WAITING and self.wait_ended_early is not None:
            return GelPhase.READY
        return phase

    @property
    def wait_ended_early(self) -> Event | None:
        """The clinician's override that ended the gel wait before its time, if there is one."""
        wait = next(state for state in self.items.values() if state.item.kind is ItemKind.COUNTDOWN)
        return wait.override

    def next_item(self) -> ItemState | None:
        """The first item still to do at the current pause point: what the board shows as 'next'."""
        if self.ended or self.current_pause_point is None:
            return None
        here = [self.items[item.id] for item in self.current_pause_point.items]
        return next((state for state in here if not state.satisfied), None)


def _live_ticks(events: Sequence[Event]) -> dict[str, Event]:
    """The latest tick of each item that no later correction has undone."""
    live: dict[str, Event] = {}
    for event in events:
        if event.kind is EventKind.TICK and event.item_id:
            live[event.item_id] = event
        elif event.kind is EventKind.CORRECTION and event.item_id:
            tick = live.get(event.item_id)
            if tick is not None and tick.id == event.corrects_id:
                del live[event.item_id]
    return live


def _countdown(procedure: Procedure, live: Mapping[str, Event]) -> Countdown | None:
    starter = next(item for item in procedure.all_items() if item.starts_countdown)
    ender = next((item for item in procedure.all_items() if item.ends_countdown), None)
    applied = live.get(starter.id)
    if applied is None:
        return None
    removed = live.get(ender.id) if ender else None
    return Countdown.starting(
        applied.at,
        procedure.ready_minutes,
        procedure.remove_minutes,
        removed.at if removed else None,
    )


def _own_status(
    item: ItemDef,
    tick: Event | None,
    override: Event | None,
    countdown: Countdown | None,
    now: datetime,
) -> tuple[ItemStatus, tuple[str, ...]]:
    """An item's status from its own events only, before the gates of earlier pause points."""
    if item.kind is ItemKind.COUNTDOWN:
        if override is not None:
            return ItemStatus.OVERRIDDEN, ()
        if countdown is not None and now >= countdown.ready_at:
            return ItemStatus.DONE, ()
        return ItemStatus.WAITING, ()
    if tick is None:
        return (ItemStatus.OVERRIDDEN if override else ItemStatus.OPEN), ()
    flags = tuple(flags_for(item, dict(tick.values)))
    if not flags:
        return ItemStatus.DONE, ()
    return (ItemStatus.OVERRIDDEN if override else ItemStatus.NEEDS_OVERRIDE), flags


def _gate_message(state: ItemState, pause_point: PausePoint, countdown: Countdown | None) -> str:
    """Why an unsatisfied gating item holds up the later pause points."""
    label = f"'{state.item.label}' ({pause_point.title})"
    if state.item.kind is ItemKind.COUNTDOWN:
        if countdown is None:
            return "The gel countdown has not started: tick 'Gel applied' first."
        return "The anaesthetic gel is still working: this opens when the countdown ends."
    if state.status is ItemStatus.NEEDS_OVERRIDE:
        return f"{label} flags a risk: a clinician must override it with a reason."
    if state.item.stop is Stop.HARD:
        return f"Hard stop: {label} is not done yet."
    return f"Waiting for {label}: do it, or a clinician may override it with a reason."


def _current_pause_point(
    procedure: Procedure, states: Mapping[str, ItemState], countdown: Countdown | None
) -> PausePoint:
    """The pause point the nurse is at: the first with work left, unless only items without a stop
    are left there and the nurse has already moved on (those still wait for sign-out)."""

    def active(pause_point: PausePoint) -> bool:
        return any(
            (state := states.get(item.id)) is not None
            and (state.tick is not None or state.override is not None)
            or (item.kind is ItemKind.COUNTDOWN and countdown is not None)
            for item in pause_point.items
        )

    points = procedure.pause_points
    for index, pause_point in enumerate(points):
        left = [
            states[item.id]
            for item in pause_point.items
            if item.id in states and not states[item.id].satisfied
        ]
        if not left:
            continue
        only_optional = all(state.item.stop is Stop.NONE for state in left)
        if not only_optional or not any(active(later) for later in points[index + 1 :]):
            return pause_point
    return points[-1]


def derive_state(procedure: Procedure, events: Sequence[Event], now: datetime) -> SessionState:
    """Replay a session's events (in id order) into the state of every item at `now`."""
    events = sorted(events, key=lambda event: event.id)
    live = _live_ticks(events)
    countdown = _countdown(procedure, live)
    starter = next(item for item in procedure.all_items() if item.starts_countdown)
    countdown_item = next(item for item in procedure.all_items() if item.kind is ItemKind.COUNTDOWN)
    last_change: dict[str, int] = {}
    overrides: dict[str, Event] = {}
    notes: dict[str | None, list[Event]] = {}
    corrections: dict[str, list[Event]] = {}
    alert_acks: dict[str, Event] = {}
    handovers: list[Event] = []
    abort = None
    for event in events:
        if event.kind in (EventKind.TICK, EventKind.CORRECTION) and event.item_id:
            last_change[event.item_id] = event.id
            # Gel painted again restarts the wait: an early end given for the old gel no longer holds.
            if event.item_id == starter.id:
                last_change[countdown_item.id] = event.id
        if event.kind is EventKind.CORRECTION and event.item_id:
            corrections.setdefault(event.item_id, []).append(event)
        elif event.kind is EventKind.OVERRIDE and event.item_id:
            overrides[event.item_id] = event
        elif event.kind is EventKind.NOTE:
            notes.setdefault(event.item_id, []).append(event)
        elif event.kind is EventKind.ABORT:
            abort = event
        elif event.kind is EventKind.ALERT_ACK:
            alert_acks.setdefault(event.text, event)
        elif event.kind is EventKind.HANDOVER:
            handovers.append(event)

    states: dict[str, ItemState] = {}
    gate: str | None = None
    sign_out_item: ItemDef | None = None
    for pause_point in procedure.pause_points:
        for item in pause_point.items:
            if item.kind is ItemKind.SIGN_OUT:
                sign_out_item = item
                continue
            override = overrides.get(item.id)
            # An override answers the item as it stood; a later tick or correction needs a new one.
            if override is not None and override.id < last_change.get(item.id, 0):
                override = None
            status, flags = _own_status(item, live.get(item.id), override, countdown, now)
            states[item.id] = ItemState(
                item=item,
                status=status,
                tick=live.get(item.id),
                override=override,
                flags=flags,
                lock_reason=gate,
                notes=tuple(notes.get(item.id, ())),
                corrections=tuple(corrections.get(item.id, ())),
            )
        if gate is None:
            for item in pause_point.items:
                state = states.get(item.id)
                if state and not state.satisfied and item.stop is not Stop.NONE:
                    gate = _gate_message(state, pause_point, countdown)
                    break

    current = _current_pause_point(procedure, states, countdown)

    assert sign_out_item is not None  # the procedure reader guarantees one sign-out item
    sign_out = live.get(sign_out_item.id)
    outstanding = [state.item.label for state in states.values() if not state.satisfied]
    sign_out_lock = gate
    if sign_out_lock is None and outstanding:
        sign_out_lock = "Still to do before sign-out: " + "; ".join(outstanding) + "."
    states[sign_out_item.id] = ItemState(
        item=sign_out_item,
        status=ItemStatus.DONE if sign_out else ItemStatus.OPEN,
        tick=sign_out,
        override=None,
        flags=(),
        lock_reason=None if sign_out else sign_out_lock,
        notes=tuple(notes.get(sign_out_item.id, ())),
        corrections=(),
    )
    if sign_out is not None:
        status = SessionStatus.SIGNED_OUT
    elif abort is not None:
        status = SessionStatus.ABORTED
    else:
        status = SessionStatus.IN_PROGRESS
    if status is not SessionStatus.IN_PROGRESS:
        current = None
    return SessionState(
        procedure=procedure,
        status=status,
        items=states,
        countdown=countdown,
        current_pause_point=current,
        abort=abort,
        sign_out=sign_out,
        session_notes=tuple(notes.get(None, ())),
        alert_acks=alert_acks,
        handovers=tuple(handovers),
    )


# --- Checks for each action. Each returns what to store, or raises with a message for the user. ---


def _open_session(state: SessionState) -> None:
    if state.status is SessionStatus.SIGNED_OUT:
        raise ActionRefused("This session is signed out and locked. Add an amendment instead.")
    if state.status is SessionStatus.ABORTED:
        raise ActionRefused("This session was aborted and is closed.")


def _known_item(state: SessionState, item_id: str) -> ItemState:
    try:
        return state.item(item_id)
    except KeyError:
        raise ActionRefused(f"'{item_id}' is not an item of this procedure.") from None


def check_tick(
    state: SessionState, item_id: str, raw_values: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Refuse a tick on a locked, already-done or time-driven item; return the checked values."""
    _open_session(state)
    item_state = _known_item(state, item_id)
    if item_state.locked:
        raise ActionRefused(f"'{item_state.item.label}' is locked. {item_state.lock_reason}")
    if item_state.item.kind is ItemKind.COUNTDOWN:
        raise ActionRefused("The countdown ends by itself; only a clinician may override it.")
    if item_state.tick is not None:
        raise ActionRefused(
            f"'{item_state.item.label}' is already done. To change it, correct it with a reason."
        )
    return validate_values(item_state.item, raw_values, local_today(now))


def check_reason(reason: str, what: str = "Reason") -> str:
    return check_plain_text(reason, what, REASON_MAX, multiline=True)


def check_correction(state: SessionState, item_id: str, reason: str) -> tuple[Event, str]:
    """A correction undoes the item's live tick; the tick itself stays in the record."""
    _open_session(state)
    item_state = _known_item(state, item_id)
    if item_state.tick is None:
        raise ActionRefused(f"'{item_state.item.label}' is not done, so there is nothing to correct.")
    if item_state.locked:
        raise ActionRefused(f"'{item_state.item.label}' is locked. {item_state.lock_reason}")
    if item_state.item.kind is ItemKind.SIGN_OUT:
        raise ActionRefused("A sign-out cannot be undone. Add an amendment instead.")
    return item_state.tick, check_reason(reason)


def check_override(state: SessionState, item_id: str, role: Role, reason: str) -> str:
    """Only a clinician, with a written reason, may override a soft stop; hard stops never."""
    _open_session(state)
    item_state = _known_item(state, item_id)
    item = item_state.item
    if item.stop is not Stop.SOFT:
        kind = "a hard stop" if item.stop is Stop.HARD else "an item that must be done"
        raise ActionRefused(f"'{item.label}' is {kind} and cannot be overridden.")
    if item_state.locked:
        raise ActionRefused(f"'{item.label}' is locked. {item_state.lock_reason}")
    if item_state.satisfied:
        raise ActionRefused(f"'{item.label}' needs no override.")
    if item.kind in (ItemKind.RECORD, ItemKind.LASER_PASS) and item_state.tick is None:
        raise ActionRefused(f"Record '{item.label}' first; a clinician can then override the risk it shows.")
    if item.kind is ItemKind.COUNTDOWN and state.countdown is None:
        raise ActionRefused("The gel countdown has not started: tick 'Gel applied' first.")
    if role is not Role.CLINICIAN:
        raise ActionRefused("Only a clinician may override a stop.")
    return check_reason(reason)


def check_note(state: SessionState, item_id: str | None, text: str) -> str:
    _open_session(state)
    if item_id is not None:
        _known_item(state, item_id)
    return check_plain_text(text, "Note", NOTE_MAX, multiline=True)


def check_abort(state: SessionState, reason: str) -> str:
    _open_session(state)
    return check_reason(reason, "Reason for aborting")


def check_take_over(state: SessionState, holder_id: int, staff_id: int) -> None:
    """Handover: someone else takes the patient; refused for the one who already has them."""
    _open_session(state)
    if holder_id == staff_id:
        raise ActionRefused("You already have this patient.")


@dataclass(frozen=True)
class SessionRecord:
    """A session as loaded from the store: who, which procedure version, and its whole event log."""

    id: int
    patient: Patient
    session_number: int
    procedure: Procedure
    started_at: datetime
    holder: Staff
    events: tuple[Event, ...]

    def state(self, now: datetime) -> SessionState:
        return derive_state(self.procedure, self.events, now)
