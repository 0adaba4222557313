"""The app's rules replayed over a stored history (issue 17, point 2): an event the app would have
refused where it stands in its session is a break in the record.

Someone with the database file can append events and chain their audit rows (no secret is needed);
what they cannot do is make those events ones the app would have written: a tick after the
sign-out, an override by someone who was not a clinician then, a laser pass by someone who was
not an authorised operator that day, times running backwards.

One pass over the events in the order they were written keeps a little state per session (ended?,
live ticks and overrides, the last time seen) and checks every event cheaply (a plain tick inline);
the rare events whose rules need the whole state (overrides, corrections, alert acknowledgements,
stops, and the sign-out of a session that had any of those) are noted and replayed afterwards
through `derive_state` and the domain's own checks, as the app ran them before writing the event.
Times are compared as the stored text ('YYYY-MM-DD HH:MM:SS[.ffffff]', naive UTC), which sorts as
the instants do; they are parsed only where an order is in doubt or a duration is needed.

Not replayed for every event (too slow for a million rows, and covered elsewhere): each tick's
values (their content is vouched for by the audit row) and the flags they raise in a session of
ticks alone; the countersignature; the gates of pause points other than the gel wait.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from desk_app.domain.actions import (
    check_abort,
    check_clear_stop,
    check_correction,
    check_override,
    check_tick,
)
from desk_app.domain.alerts import AlertKind, check_acknowledge
from desk_app.domain.dates import shown_instant
from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import Role
from desk_app.domain.permissions import Clearance, Permissions
from desk_app.domain.procedure import Procedure
from desk_app.domain.session import Event, EventKind, derive_state

# How far a time may go back along the audit chain, or from one event of a session to the next,
# before it is a break: desks sharing a server write in turn, each with its own PC's clock, and
# those clocks differ by seconds. A change of the PC's clock by more than this shows as a break.
TIME_TOLERANCE = timedelta(minutes=2)
TOLERANCE_TEXT = f"{TIME_TOLERANCE.seconds // 60} minutes"

# Events written after a session ended; every other kind needs it open.
_AFTER_THE_END = frozenset({EventKind.AMENDMENT.value, EventKind.FOLLOW_UP.value})
# Events whose rules need the session's whole state: replayed through derive_state.
_WHOLE_STATE = frozenset({EventKind.OVERRIDE.value, EventKind.CORRECTION.value, EventKind.ALERT_ACK.value})
_KINDS = frozenset(kind.value for kind in EventKind)
# A session event's time as stored: naive UTC text, which sorts as the instants do.
STORED_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{6})?")


def stored_instant(text: str) -> datetime:
    """A stored time text (naive UTC, or ISO with its offset) as an aware instant."""
    instant = datetime.fromisoformat(text)
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def stored_text(instant: datetime) -> str:
    """An aware instant as session events store it: naive UTC text."""
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def shown_time(text: str) -> str:
    """A stored time as the clinic reads it: '3 Dec 2026 14:02' (the PC's time zone); a value that
    is not a time as it is (a break names it, it does not fail on it)."""
    try:
        return shown_instant(stored_instant(text))
    except (ValueError, TypeError):
        return repr(text)


def back_beyond_tolerance(earlier: str, later: str) -> bool:
    """`later` (stored text) is before `earlier` by more than TIME_TOLERANCE; text compared first."""
    return later < earlier and stored_instant(earlier) - stored_instant(later) > TIME_TOLERANCE


@dataclass
class Member:
    """A member of staff over time: when added, and their role and whether active since each change."""

    id: int
    name: str
    initials: str
    added: str  # stored time text
    standings: list[tuple[str, Role, bool]]  # (since, role, active), oldest first; the first as added

    @property
    def steady_role(self) -> Role | None:
        """The role, if it never changed and the member never left; else None."""
        if len(self.standings) != 1 or not self.standings[0][2]:
            return None
        return self.standings[0][1]

    def standing(self, at: str) -> tuple[Role, bool] | None:
        """Role and active at `at`; None before the member was added."""
        if at < self.added:
            return None
        _, role, active = self.standings[0]
        for since, later_role, later_active in self.standings[1:]:
            if since > at:
                break
            role, active = later_role, later_active
        return role, active


@dataclass(frozen=True)
class OperatorWindows:
    """When each member's laser authorisation held: (from, until) stored-text spans, per member; and
    from when it was needed at all (stored text; '~', after any time: never)."""

    spans: Mapping[int, Sequence[tuple[str, str]]]
    needed_from: str = ""

    def holds(self, staff_id: int, at: str) -> bool:
        return at < self.needed_from or any(start <= at < end for start, end in self.spans.get(staff_id, ()))


def operator_windows(
    rows: Sequence[tuple[int, bool, date | None, date | None, datetime]],
    authorisations_since: datetime | None,
) -> OperatorWindows:
    """From the laser_authorisation rows (staff, granted, trained on, expires on, at) in order:
    each grant holds from its time, on the clinic's days from training to expiry, until the
    member's next grant or withdrawal.

    Needed only from the first grant, or from when the app began to keep authorisations
    (`authorisations_since`, the upgrade to schema 7) if earlier: an app from before had none and
    refused no one, so a laser pass in a database upgraded from then is no break. The first grant
    bounds it, as its table is sealed and append-only: the upgrade's time (kept unsealed, in
    schema_migration) changed outside the app can only narrow what is checked to before it."""
    firsts = [row[4] for row in rows] + ([authorisations_since] if authorisations_since else [])
    needed_from = stored_text(min(firsts)) if firsts else "~"
    by_member: dict[int, list[tuple[bool, date | None, date | None, datetime]]] = {}
    for staff_id, granted, trained_on, expires_on, at in rows:
        by_member.setdefault(staff_id, []).append((granted, trained_on, expires_on, at))
    spans: dict[int, list[tuple[str, str]]] = {}
    for staff_id, changes in by_member.items():
        for index, (granted, trained_on, expires_on, at) in enumerate(changes):
            if not granted or trained_on is None or expires_on is None:
                continue
            start = max(at, _local_midnight(trained_on))
            end = _local_midnight(expires_on + timedelta(days=1))
            if index + 1 < len(changes):
                end = min(end, changes[index + 1][3])
            if start < end:
                spans.setdefault(staff_id, []).append((stored_text(start), stored_text(end)))
    return OperatorWindows(spans, needed_from)


def _local_midnight(day: date) -> datetime:
    """The instant the clinic's `day` begins (the PC's time zone)."""
    return datetime.combine(day, time.min).astimezone()


@dataclass(frozen=True)
class Rulebook:
    """One procedure version's rules, as the replay asks them for every event."""

    procedure: Procedure
    permissions: Permissions | None  # None: the clinic's file does not fit this version
    items: frozenset[str]
    laser_items: frozenset[str]
    to_do: frozenset[str]  # what must be done or overridden before the sign-out
    held_by_the_wait: frozenset[str]  # items of the pause points after the gel wait's
    sign_out: str
    countdown: str
    gel_applied: str
    ready: timedelta
    # The items whose tick changes nothing beyond the item (not the sign-out, the gel, the wait), by
    # what their tick needs: nothing more; an operator; the wait ended; both.
    ticks_by_check: tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]
    clinical_roles: frozenset[Role]

    @classmethod
    def of(cls, procedure: Procedure, permissions: Permissions | None) -> Rulebook:
        items = procedure.all_items()
        sign_out, countdown = procedure.sign_out_item().id, procedure.gel_wait.id
        wait_at = next(
            i for i, point in enumerate(procedure.pause_points) if any(x.id == countdown for x in point.items)
        )
        held = {
            item.id
            for point in procedure.pause_points[wait_at + 1 :]
            for item in point.items
            if not item.ends_countdown
        }
        laser = {
            item.id
            for item in items
            if permissions is not None and permissions.needs(item.id) is not Clearance.CLINICAL
        }
        plain = frozenset(item.id for item in items) - {sign_out, countdown, procedure.gel_applied.id}
        return cls(
            procedure=procedure,
            permissions=permissions,
            items=frozenset(item.id for item in items),
            laser_items=frozenset(laser),
            to_do=frozenset(item.id for item in items) - {sign_out, countdown},
            held_by_the_wait=frozenset(held),
            sign_out=sign_out,
            countdown=countdown,
            gel_applied=procedure.gel_applied.id,
            ready=timedelta(minutes=procedure.ready_minutes),
            ticks_by_check=(
                plain - laser - held,
                (plain & laser) - held,
                (plain & held) - laser,
                plain & held & laser,
            ),
            clinical_roles=frozenset(
                role
                for role in Role
                if (permissions.roles[role].clinical if permissions else role is not Role.ADMINISTRATOR)
            ),
        )

    def clinical(self, role: Role) -> bool:
        return role in self.clinical_roles


@dataclass
class _Session:
    """What the pass keeps of one session: small, whatever its length."""

    id: int
    rules: Rulebook
    holder: int | None
    last_at: str = ""  # the latest event's time; '' before the first
    ended: str | None = None  # 'signed out' or 'stopped'
    ticks: dict[str, int] = field(default_factory=dict)  # item -> live tick's event id
    overrides: dict[str, int] = field(default_factory=dict)
    gel_ready: str | None = None  # when the live 'gel applied' tick's wait ends (stored text)
    whole_state: list[int] = field(default_factory=list)  # event ids to replay through derive_state

    def inline(self) -> bool:
        """Its plain ticks may be checked inline: open, and no override to expire."""
        return self.ended is None and not self.overrides


class StoredEvent(NamedTuple):
    """One session event as the pass reads it (values and text are read only where needed)."""

    id: int
    session_id: int
    kind: str
    item_id: str | None
    staff_id: int
    at: str
    corrects_id: int | None


class RuleReplay:
    """Checks each event in the order written (`replay`, or `see` one at a time): the break, if any.

    After the pass, `whole_state_checks` lists the (session, event ids) whose rules need the
    session's whole state, for `check_whole_state` with the session's events read in full."""

    def __init__(self, staff: Mapping[int, Member], operators: OperatorWindows) -> None:
        self.staff = staff
        self.operators = operators
        self.whole_state_checks: list[tuple[int, Rulebook, list[int]]] = []
        self._sessions: dict[int, _Session] = {}
        # Members whose role never changed: (added, role, laser authorisation's one span or none).
        never = ("", "")
        self._steady = {
            member.id: (member.added, role, *(spans[0] if len(spans) == 1 else never))
            for member in staff.values()
            if (role := member.steady_role) is not None
            and len(spans := operators.spans.get(member.id, ())) <= 1
        }

    def replay(
        self,
        batches: Iterable[Sequence[tuple[Any, ...]]],
        session_rules: Callable[[int], tuple[Rulebook, int | None]],
    ) -> str | None:
        """Every event, as StoredEvent tuples in the order written (batch by batch): the first break.

        A plain tick (most events) by a member whose role never changed, in a session with no live
        override, is checked here inline with the session's state in local names: a million events
        must take about a second. Everything else goes through `see`."""
        steady, sessions = self._steady, self._sessions
        current: int | None = None
        session: _Session | None = None
        last_at = ""
        row: tuple[Any, ...] = (None, None)
        try:
            for batch in batches:
                for row in batch:
                    event_id, session_id, kind, item_id, staff_id, at, _ = row
                    if session_id != current:
                        if session is not None:
                            session.last_at = last_at
                        current = session_id
                        if (session := sessions.get(session_id)) is None:
                            session = sessions[session_id] = _Session(session_id, *session_rules(session_id))
                        rules, ticks, last_at = session.rules, session.ticks, session.last_at
                        free, laser, held, held_laser = rules.ticks_by_check
                        inline, ready = session.inline(), session.gel_ready or "~"  # '~' sorts after any time
                    if (
                        inline
                        and kind == "tick"
                        and at >= last_at
                        and item_id not in ticks
                        and at[10:11] == " "  # the stored form, which sorts as the instants do
                        and (member := steady.get(staff_id)) is not None
                        and at >= member[0]
                        and member[1] in rules.clinical_roles
                        and (
                            item_id in free
                            or (item_id in held_laser and at >= ready and member[2] <= at < member[3])
                            or (item_id in laser and member[2] <= at < member[3])
                            or (item_id in held and at >= ready)
                        )
                    ):
                        ticks[item_id] = event_id
                        last_at = at
                        continue
                    if (
                        inline
                        and kind == "tick"
                        and at >= last_at
                        and at[10:11] == " "
                        and (member := steady.get(staff_id)) is not None
                        and at >= member[0]
                        and member[1] in rules.clinical_roles
                    ):  # the gel on, or the record signed: once each a session
                        assert session is not None  # `inline` is set with it, on a session's first row
                        if (
                            item_id == rules.gel_applied
                            and item_id not in ticks
                            and item_id not in rules.laser_items
                        ):
                            ticks[item_id] = event_id
                            last_at, ready = at, stored_text(stored_instant(at) + rules.ready)
                            session.gel_ready = ready
                            continue
                        if (
                            item_id == rules.sign_out
                            and at >= ready
                            and member[2] <= at < member[3]
                            and rules.to_do <= ticks.keys()
                            and not session.whole_state  # else its answers are replayed in full
                        ):
                            last_at, inline, session.ended = at, False, "signed out"
                            ticks.clear()
                            continue
                    assert session is not None  # as above: `inline` was read, so a session was found
                    session.last_at = last_at
                    if (problem := self.see(StoredEvent(*row))) is not None:
                        return problem
                    last_at, inline, ready = session.last_at, session.inline(), session.gel_ready or "~"
        except (ValueError, TypeError) as odd:  # a time, id or kind of a type or form never written
            return f"session {row[1]}, event {row[0]} has a value the app never writes: {odd}"
        if session is not None:
            session.last_at = last_at
        self.finish()
        return None

    def finish(self) -> None:
        """After the pass: the sessions with events to replay through derive_state, in order."""
        self.whole_state_checks = [
            (session.id, session.rules, session.whole_state)
            for session in sorted(self._sessions.values(), key=lambda session: session.id)
            if session.whole_state
        ]

    def see(self, event: StoredEvent) -> str | None:
        session = self._sessions[event.session_id]
        why = self._why_refused(session, event)
        session.last_at = max(session.last_at, event.at)
        if session.ended:  # what is left to check needs no ticks: the memory goes
            session.ticks.clear()
            session.overrides.clear()
        return None if why is None else f"{self.described(event)}: {why}"

    def described(self, event: StoredEvent) -> str:
        member = self.staff.get(event.staff_id)
        who = member.name if member else f"staff {event.staff_id}"
        what = f"{event.kind} of {event.item_id}" if event.item_id else event.kind
        return f"session {event.session_id}, event {event.id} ({what} by {who} on {shown_time(event.at)})"

    def _why_refused(self, session: _Session, event: StoredEvent) -> str | None:
        if not STORED_TIME.fullmatch(event.at):
            return f"its time {event.at!r} is not written as the app writes times"
        member = self.staff.get(event.staff_id)
        if member is None:
            return f"staff {event.staff_id} is not a member of staff"
        standing = member.standing(event.at)
        if standing is None:
            return f"{member.name} was only added as a member of staff on {shown_time(member.added)}"
        role, active = standing
        if not active:
            return f"{member.name} no longer worked here then"
        kind, rules = event.kind, session.rules
        if event.item_id is not None and event.item_id not in rules.items:
            return f"'{event.item_id}' is not an item of this session's procedure"
        if session.ended and kind not in _AFTER_THE_END:
            return f"the session was already {session.ended}"
        if not session.ended and kind in _AFTER_THE_END:
            return f"the session was still open: a {kind} is added once it has ended"
        if session.last_at and back_beyond_tolerance(session.last_at, event.at):
            return (
                f"its time is before the session's previous event ({shown_time(session.last_at)}) by "
                f"more than the {TOLERANCE_TEXT} allowed"
            )
        if kind in _WHOLE_STATE:
            session.whole_state.append(event.id)
        match kind:
            case EventKind.TICK:
                return self._tick(session, event, member, role)
            case EventKind.CORRECTION:
                return self._correction(session, event)
            case EventKind.OVERRIDE:
                if role is not Role.CLINICIAN:
                    return f"{member.name} was not a clinician then"
                session.overrides[event.item_id or ""] = event.id
            case EventKind.ABORT:
                session.whole_state.append(event.id)
                session.ended = "stopped"
                return self._clinical(rules, member, role, "stop a treatment")
            case EventKind.AMENDMENT | EventKind.FOLLOW_UP:
                return self._clinical(rules, member, role, f"add a {kind}") or self._operator(
                    rules, event, member
                )
            case EventKind.HANDOVER:
                if event.staff_id == session.holder:
                    return f"{member.name} already had the patient"
                session.holder = event.staff_id
            case EventKind.COURSE if session.last_at:
                return "a course is written only as the session starts"
            case EventKind.COURSE | EventKind.NOTE:
                return None
            case _ if kind not in _KINDS:
                return f"'{kind}' is not an event the app writes"
        return None

    def _tick(self, session: _Session, event: StoredEvent, member: Member, role: Role) -> str | None:
        rules, item_id = session.rules, event.item_id
        if item_id is None:
            return "a tick names no item"
        refused = self._clinical(rules, member, role, "tick an item") or self._operator(rules, event, member)
        if refused:
            return refused
        if item_id == rules.countdown:
            return "the gel wait ends by itself: it is never ticked"
        if (done := session.ticks.get(item_id)) is not None:
            return f"the item was already done (event {done}) and not undone"
        waiting = session.gel_ready is None or event.at < session.gel_ready
        if item_id in rules.held_by_the_wait and rules.countdown not in session.overrides and waiting:
            return "the gel wait had not ended"
        if item_id == rules.sign_out:
            return self._sign_out(session, event)
        session.ticks[item_id] = event.id
        session.overrides.pop(item_id, None)
        if item_id == rules.gel_applied:
            session.overrides.pop(rules.countdown, None)
            session.gel_ready = stored_text(stored_instant(event.at) + rules.ready)
        return None

    def _sign_out(self, session: _Session, event: StoredEvent) -> str | None:
        rules = session.rules
        left = sorted(rules.to_do - session.ticks.keys() - session.overrides.keys())
        if left:
            return f"the record was signed with {', '.join(left)} still to do"
        if session.whole_state:  # not a session of ticks alone: its answers' flags replayed too
            session.whole_state.append(event.id)
        session.ended = "signed out"
        return None

    def _correction(self, session: _Session, event: StoredEvent) -> str | None:
        item_id, undone = event.item_id or "", event.corrects_id
        if undone is not None and session.ticks.get(item_id) == undone:
            del session.ticks[item_id]
            session.overrides.pop(item_id, None)
            if item_id == session.rules.gel_applied:
                session.overrides.pop(session.rules.countdown, None)
                session.gel_ready = None
        elif undone is not None and session.overrides.get(item_id) == undone:
            del session.overrides[item_id]
        else:
            return f"it undoes event {event.corrects_id}, which is not the item's standing tick or override"
        return None

    def _clinical(self, rules: Rulebook, member: Member, role: Role, what: str) -> str | None:
        if rules.clinical(role):
            return None
        article = "an" if role.value[:1] in "aeiou" else "a"
        return f"{member.name} was {article} {role.value} then: only a nurse or a clinician may {what}"

    def _operator(self, rules: Rulebook, event: StoredEvent, member: Member) -> str | None:
        if event.item_id not in rules.laser_items or self.operators.holds(member.id, event.at):
            return None
        return f"{member.name} was not an authorised laser operator that day"


def check_whole_state(
    rules: Rulebook, events: Sequence[Event], checked: Sequence[int], staff: Mapping[int, Member]
) -> tuple[Event, str] | None:
    """Replay the session's events through derive_state at each event in `checked` (ids) and ask
    the domain's own check of that action, as the app asked it before writing the event. Returns
    the first event refused and why."""
    wanted = set(checked)
    for index, event in enumerate(events):
        if event.id not in wanted:
            continue
        state = derive_state(rules.procedure, events[:index], event.at)
        try:
            why = _whole_state_refusal(rules, state, event, staff)
        except (ActionRefused, ValueError) as refusal:  # ValueError: not an alert the app knows
            why = str(refusal)
        if why is not None:
            return event, why
    return None


def _whole_state_refusal(
    rules: Rulebook, state: Any, event: Event, staff: Mapping[int, Member]
) -> str | None:
    item_id = event.item_id or ""
    match event.kind:
        case EventKind.OVERRIDE:
            check_override(state, item_id, Role.CLINICIAN, event.text)
        case EventKind.CORRECTION if "entered_by_id" in event.values:  # a clinician clearing a stop
            member = staff[event.staff_id]
            standing = member.standing(stored_text(event.at))
            if standing is None or standing[0] is not Role.CLINICIAN:
                return f"{member.name} was not a clinician then"
            undone, _ = check_clear_stop(state, item_id, Role.CLINICIAN, event.text)
            return _undoes(undone, event)
        case EventKind.CORRECTION:
            undone, _ = check_correction(state, item_id, event.text)
            return _undoes(undone, event)
        case EventKind.ALERT_ACK:
            values = check_acknowledge(state, AlertKind(event.text), event.at)
            if values != dict(event.values):
                return "it answers another 'gel applied' than the one on the skin"
        case EventKind.ABORT:
            _, values = check_abort(state, event.text, bool(event.values.get("gel_removed")))
            if values != dict(event.values):
                return "it records the gel's removal when no gel was on"
        case EventKind.TICK if item_id == rules.sign_out:
            check_tick(state, item_id, {}, event.at)
    return None


def _undoes(undone: Event, event: Event) -> str | None:
    if undone.id != event.corrects_id:
        return f"it undoes event {event.corrects_id}, not the item's standing event {undone.id}"
    return None
