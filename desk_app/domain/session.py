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

from desk_app.domain.clinical_rules import CourseContext, remove_minutes, rule_flags
from desk_app.domain.countdown import Countdown, GelPhase
from desk_app.domain.dates import local_today
from desk_app.domain.people import Patient, Staff
from desk_app.domain.procedure import AREAS_FIELD, ItemDef, ItemKind, PausePoint, Procedure, Stop
from desk_app.domain.values import flags_for


class EventKind(StrEnum):
    TICK = "tick"
    CORRECTION = "correction"
    OVERRIDE = "override"
    NOTE = "note"
    ABORT = "abort"
    ALERT_ACK = "alert acknowledged"
    HANDOVER = "handover"
    AMENDMENT = "amendment"
    # Written when the session starts: the patient's course as it stood (see course_context).
    COURSE = "course"
    # After sign-out: a call to the patient, or a complication they reported (linked to the session).
    FOLLOW_UP = "follow-up"


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
    """One item as it stands: its live tick and override, and every event ever made about it."""

    item: ItemDef
    status: ItemStatus
    tick: Event | None
    override: Event | None
    flags: tuple[str, ...]
    lock_reason: str | None
    history: tuple[Event, ...]

    @property
    def satisfied(self) -> bool:
        return self.status in (ItemStatus.DONE, ItemStatus.OVERRIDDEN)

    @property
    def locked(self) -> bool:
        return self.lock_reason is not None

    @property
    def hard_stopped(self) -> bool:
        """A hard stop's answer flags a risk (a sign of anaesthetic toxicity): nothing overrides it;
        a clinician who has seen the patient clears it, and the item is answered again."""
        return self.item.stop is Stop.HARD and self.status is ItemStatus.NEEDS_OVERRIDE

    @property
    def notes(self) -> tuple[Event, ...]:
        return tuple(event for event in self.history if event.kind is EventKind.NOTE)

    @property
    def amendments(self) -> tuple[Event, ...]:
        """Added after the session was locked: beside the original, never instead of it."""
        return tuple(event for event in self.history if event.kind is EventKind.AMENDMENT)

    @property
    def corrections(self) -> tuple[Event, ...]:
        return tuple(event for event in self.history if event.kind is EventKind.CORRECTION)


@dataclass(frozen=True)
class SessionState:
    """A whole session at one instant, derived from its events; never stored."""

    procedure: Procedure
    status: SessionStatus
    items: Mapping[str, ItemState]
    countdown: Countdown | None
    current_pause_point: PausePoint | None
    abort: Event | None
    sign_out: Event | None
    session_notes: tuple[Event, ...]
    session_amendments: tuple[Event, ...]
    alert_acks: Mapping[str, Event]
    handovers: tuple[Event, ...]
    # Calls and complications recorded after the session, oldest first.
    follow_ups: tuple[Event, ...] = ()
    # The course as it stood at the start; None for a session started before 1.5 kept it.
    course_context: CourseContext | None = None

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
    def gel_remove_minutes(self) -> int:
        """Minutes from 'gel applied' to the remove-by time: the clinic's, or the anaesthetic
        product's longest time on the skin when that is shorter."""
        ticks = {item_id: state.tick for item_id, state in self.items.items() if state.tick is not None}
        return _remove_minutes(self.procedure, ticks)

    @property
    def wait_ended_early(self) -> Event | None:
        """The clinician's override that ended the gel wait before its time, if there is one."""
        return self.items[self.procedure.gel_wait.id].override

    @property
    def confirmed_laser(self) -> Mapping[str, Any] | None:
        """The laser the staff's eyewear was confirmed for at the time-out (the stored snapshot of
        it, see laser_use.device_value): the passes use it. None before, or if the eyewear's tick was
        undone, or in a procedure without the item."""
        eyewear = self.procedure.eyewear_item
        tick = self.items[eyewear.id].tick if eyewear is not None else None
        if eyewear is None or tick is None:
            return None
        value = tick.values.get(eyewear.device_fields()[0].id)
        return value if isinstance(value, Mapping) else None

    def next_item(self) -> ItemState | None:
        """The first item still to do at the current pause point: what the board shows as 'next'."""
        if self.ended or self.current_pause_point is None:
            return None
        here = [self.items[item.id] for item in self.current_pause_point.items]
        return next((state for state in here if not state.satisfied), None)


@dataclass(frozen=True)
class _Replay:
    """What the event log says, item by item, before any rule about stops is applied."""

    ticks: dict[str, Event]
    overrides: dict[str, Event]
    history: dict[str | None, list[Event]]
    abort: Event | None
    alert_acks: dict[str, Event]
    handovers: list[Event]
    follow_ups: list[Event]
    course: CourseContext | None
    course_unreadable: bool  # a course event is there, but not one this code wrote
    # The painted-areas tick live when each override was given: what the override answered.
    painted_at_override: dict[str, Event | None]


def _replay(procedure: Procedure, events: Sequence[Event]) -> _Replay:
    """Live ticks and overrides: the latest of each not undone by a correction.

    An override answers the item as it stood: a later tick or correction of the item (or, for the
    gel wait, of 'gel applied') needs a new one. A correction may also withdraw an override.
    """
    starter, wait = procedure.gel_applied, procedure.gel_wait
    painted = procedure.painted_areas_item
    painted_at_override: dict[str, Event | None] = {}
    ticks: dict[str, Event] = {}
    overrides: dict[str, Event] = {}
    history: dict[str | None, list[Event]] = {}
    acks: list[Event] = []
    handovers: list[Event] = []
    follow_ups: list[Event] = []
    course: CourseContext | None = None
    course_seen = False
    abort = None
    for event in sorted(events, key=lambda event: event.id):
        item_id = event.item_id
        if event.kind in (
            EventKind.TICK,
            EventKind.CORRECTION,
            EventKind.OVERRIDE,
            EventKind.NOTE,
            EventKind.AMENDMENT,
        ):
            history.setdefault(item_id, []).append(event)
        match event.kind:
            case EventKind.TICK if item_id:
                ticks[item_id] = event
                _expire_overrides(overrides, item_id, starter.id, wait.id)
            case EventKind.CORRECTION if item_id:
                if item_id in ticks and ticks[item_id].id == event.corrects_id:
                    del ticks[item_id]
                    _expire_overrides(overrides, item_id, starter.id, wait.id)
                elif item_id in overrides and overrides[item_id].id == event.corrects_id:
                    del overrides[item_id]
            case EventKind.OVERRIDE if item_id:
                overrides[item_id] = event
                painted_at_override[item_id] = ticks.get(painted.id) if painted else None
            case EventKind.ABORT:
                abort = event
            case EventKind.ALERT_ACK:
                acks.append(event)
            case EventKind.HANDOVER:
                handovers.append(event)
            case EventKind.FOLLOW_UP:
                follow_ups.append(event)
            case EventKind.COURSE if not course_seen:  # one is written, at the start
                course_seen, course = True, CourseContext.from_values(event.values)
    # An acknowledgement answers the alerts of the gel it was given for, not of gel painted again.
    gel = ticks.get(starter.id)
    alert_acks: dict[str, Event] = {}
    for ack in acks:
        if gel is not None and ack.values.get("gel_applied_event") == gel.id:
            alert_acks.setdefault(ack.text, ack)
    return _Replay(
        ticks,
        overrides,
        history,
        abort,
        alert_acks,
        handovers,
        follow_ups,
        course,
        course_seen and course is None,
        painted_at_override,
    )


def _expire_overrides(overrides: dict[str, Event], item_id: str, starter_id: str, wait_id: str) -> None:
    overrides.pop(item_id, None)
    if item_id == starter_id:  # gel painted again restarts the wait
        overrides.pop(wait_id, None)


def _countdown(procedure: Procedure, replay: _Replay) -> Countdown | None:
    starter, ender = procedure.gel_applied, procedure.gel_removed
    applied = replay.ticks.get(starter.id)
    if applied is None:
        return None
    removed = replay.ticks.get(ender.id) if ender else None
    removed_at = removed.at if removed is not None and removed.id > applied.id else None
    if removed_at is None and replay.abort is not None and replay.abort.values.get("gel_removed"):
        removed_at = replay.abort.at  # stopped early: the gel came off when the treatment stopped
    remove_by = _remove_minutes(procedure, replay.ticks)
    return Countdown.starting(applied.at, procedure.ready_minutes, remove_by, removed_at)


def _remove_minutes(procedure: Procedure, ticks: Mapping[str, Event]) -> int:
    """Minutes from 'gel applied' to the remove-by time, by the anaesthetic recorded (if any)."""
    anaesthetic = procedure.anaesthetic
    product = ticks.get(anaesthetic.item_id) if anaesthetic is not None else None
    return remove_minutes(procedure, product.values if product is not None else None)


def _unpainted(item: ItemDef, tick: Event | None, painted: Event | None) -> tuple[str, ...]:
    """The areas a laser pass's tick treated that the painted-areas tick does not list (all of them
    while no areas painted are recorded), in the pass's order."""
    if item.kind is not ItemKind.LASER_PASS or tick is None:
        return ()
    treated = tick.values.get(AREAS_FIELD)
    if not isinstance(treated, list | tuple):
        return ()
    gel = painted.values.get(AREAS_FIELD) if painted is not None else None
    gel_areas = set(gel) if isinstance(gel, list | tuple) else set()
    return tuple(area for area in treated if area not in gel_areas)


def _painted_areas_rule(
    painted: ItemDef | None, replay: _Replay, item: ItemDef, override: Event | None
) -> tuple[tuple[str, ...], Event | None]:
    """A laser pass on areas without gel: the flag (worded by the procedure) and the override that
    still answers it. An override given for some areas without gel does not cover another one left
    out later, when the areas painted are corrected: that needs a clinician's new decision."""
    if painted is None:  # versions before 1.4
        return (), override
    tick = replay.ticks.get(item.id)
    unpainted = _unpainted(item, tick, replay.ticks.get(painted.id))
    if not unpainted:
        return (), override
    if override is not None:
        answered = _unpainted(item, tick, replay.painted_at_override.get(item.id))
        if not set(unpainted) <= set(answered):
            override = None
    return (f"{painted.unpainted_message}: {', '.join(unpainted)}",), override


def _own_status(
    item: ItemDef,
    tick: Event | None,
    override: Event | None,
    countdown: Countdown | None,
    now: datetime,
    other_flags: tuple[str, ...] = (),
) -> tuple[ItemStatus, tuple[str, ...]]:
    """An item's status from its own events (and `other_flags`, the risks other items' answers
    raise about it), before the gates of earlier pause points."""
    if item.kind is ItemKind.COUNTDOWN:
        if override is not None:
            return ItemStatus.OVERRIDDEN, ()
        if _countdown_over(countdown, now):
            return ItemStatus.DONE, ()
        return ItemStatus.WAITING, ()
    if tick is None:
        return (ItemStatus.OVERRIDDEN if override else ItemStatus.OPEN), ()
    flags = (*flags_for(item, dict(tick.values)), *other_flags)
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
    if state.status is ItemStatus.NEEDS_OVERRIDE and state.item.stop is Stop.HARD:
        return f"Hard stop: {label}: {'; '.join(state.flags)}."
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


def _gel_may_come_off(item: ItemDef, countdown: Countdown | None) -> bool:
    """Taking the gel off is never held up: not by the wait, nor by a stop before it (more gel than
    the product allows is exactly when it must come off). The laser stays behind its own stops."""
    return item.ends_countdown and countdown is not None and countdown.removed_at is None


def _still_to_do_note(state: ItemState) -> str:
    """Why an answered item is still in the sign-out's list, if it is answered."""
    if state.hard_stopped:
        return " (a stop: a clinician clears it)"
    if state.status is ItemStatus.NEEDS_OVERRIDE:
        return " (needs a clinician's decision)"
    return ""


def derive_state(procedure: Procedure, events: Sequence[Event], now: datetime) -> SessionState:
    """Replay a session's events into the state of every item at `now`."""
    replay = _replay(procedure, events)
    countdown = _countdown(procedure, replay)
    painted = procedure.painted_areas_item
    states: dict[str, ItemState] = {}
    gate: str | None = None
    sign_out_item: ItemDef | None = None
    sign_out_gate: str | None = None
    for pause_point in procedure.pause_points:
        for item in pause_point.items:
            if item.kind is ItemKind.SIGN_OUT:
                # Held by earlier pause points only: its own lists what is left beside it.
                sign_out_item, sign_out_gate = item, gate
                continue
            tick, override = replay.ticks.get(item.id), replay.overrides.get(item.id)
            areas_flag, override = _painted_areas_rule(painted, replay, item, override)
            other_flags = areas_flag
            if tick is not None:
                recorded_on = local_today(tick.at)
                other_flags += rule_flags(
                    procedure,
                    item,
                    tick.values,
                    replay.course,
                    recorded_on,
                    course_unreadable=replay.course_unreadable,
                )
            status, flags = _own_status(item, tick, override, countdown, now, other_flags)
            states[item.id] = ItemState(
                item=item,
                status=status,
                tick=tick,
                override=override,
                flags=flags,
                lock_reason=None if _gel_may_come_off(item, countdown) else gate,
                history=tuple(replay.history.get(item.id, ())),
            )
        if gate is None:
            for item in pause_point.items:
                state = states.get(item.id)
                if state and not state.satisfied and item.stop is not Stop.NONE:
                    gate = _gate_message(state, pause_point, countdown)
                    break

    assert sign_out_item is not None  # the procedure reader guarantees one sign-out item
    sign_out = replay.ticks.get(sign_out_item.id)
    outstanding = [
        state.item.label + _still_to_do_note(state) for state in states.values() if not state.satisfied
    ]
    sign_out_lock = sign_out_gate
    if sign_out_lock is None and outstanding:
        sign_out_lock = "Still to do before sign-out: " + "; ".join(outstanding) + "."
    states[sign_out_item.id] = ItemState(
        item=sign_out_item,
        status=ItemStatus.DONE if sign_out else ItemStatus.OPEN,
        tick=sign_out,
        override=None,
        flags=(),
        lock_reason=None if sign_out else sign_out_lock,
        history=tuple(replay.history.get(sign_out_item.id, ())),
    )
    if sign_out is not None:
        session_status = SessionStatus.SIGNED_OUT
    elif replay.abort is not None:
        session_status = SessionStatus.ABORTED
    else:
        session_status = SessionStatus.IN_PROGRESS
    current = (
        _current_pause_point(procedure, states, countdown)
        if session_status is SessionStatus.IN_PROGRESS
        else None
    )
    return SessionState(
        procedure=procedure,
        status=session_status,
        items=states,
        countdown=countdown,
        current_pause_point=current,
        abort=replay.abort,
        sign_out=sign_out,
        session_notes=tuple(e for e in replay.history.get(None, ()) if e.kind is EventKind.NOTE),
        session_amendments=tuple(e for e in replay.history.get(None, ()) if e.kind is EventKind.AMENDMENT),
        alert_acks=replay.alert_acks,
        handovers=tuple(replay.handovers),
        follow_ups=tuple(replay.follow_ups),
        course_context=replay.course,
    )


def _countdown_over(countdown: Countdown | None, now: datetime) -> bool:
    """The one way `now` changes a session's state (derive_state: the countdown item is done)."""
    return countdown is not None and now >= countdown.ready_at


def laser_fired(state: SessionState) -> bool:
    """A laser pass stands in the session: the skin was treated, whether or not it was signed out."""
    return any(state.item(item.id).tick is not None for item in state.procedure.laser_passes())


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
    _states: dict[bool, SessionState] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    """The state either side of the gel's countdown end, kept: see state()."""

    def state(self, now: datetime) -> SessionState:
        """The session's state at `now`, replayed from its events once and kept (issue 23: a board
        of 40 patients replayed every session each second). A record's events never change, and
        its state changes with `now` at one instant only: when the gel's countdown is over."""
        # A kept state's countdown is the same at any `now`. Looked up, never iterated: another
        # thread may add to the dict meanwhile.
        known = self._states.get(False) or self._states.get(True)
        if known is not None and (state := self._states.get(_countdown_over(known.countdown, now))):
            return state
        state = derive_state(self.procedure, self.events, now)
        self._states[_countdown_over(state.countdown, now)] = state
        return state
