"""The rules for each action on a session: each check returns what to store, or raises with a message
for the user. `can_override` and `can_correct` answer the same questions for the screen, so a button
is only offered when the action would be accepted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from desk_app.domain.clinical_rules import check_course_plan
from desk_app.domain.dates import local_today
from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import Role, Staff
from desk_app.domain.procedure import ItemDef, ItemKind, Stop
from desk_app.domain.session import Event, ItemState, SessionState, SessionStatus
from desk_app.domain.text import check_plain_text
from desk_app.domain.values import validate_values

REASON_MAX = 1000
NOTE_MAX = 2000


def closed_reason(state: SessionState) -> str | None:
    if state.status is SessionStatus.SIGNED_OUT:
        return "This session is signed out and locked; it cannot be changed here."
    if state.status is SessionStatus.ABORTED:
        return "This treatment was stopped; the session is closed."
    return None


def _open_session(state: SessionState) -> None:
    if (reason := closed_reason(state)) is not None:
        raise ActionRefused(reason)


def _known_item(state: SessionState, item_id: str) -> ItemState:
    try:
        return state.item(item_id)
    except KeyError:
        raise ActionRefused(f"'{item_id}' is not an item of this procedure.") from None


def check_reason(reason: str, what: str = "Reason") -> str:
    return check_plain_text(reason, what, REASON_MAX, multiline=True)


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
            f"'{item_state.item.label}' is already done. To change it, undo it with a reason."
        )
    values = validate_values(item_state.item, raw_values, local_today(now))
    check_course_plan(item_state.item, values, state.course_context)
    _check_same_laser(state, item_state.item, values)
    return values


def _check_same_laser(state: SessionState, item: ItemDef, values: dict[str, Any]) -> None:
    """A laser pass uses the laser the staff confirmed their eyewear for, at the time-out."""
    if item.kind is not ItemKind.LASER_PASS:
        return
    chosen = state.confirmed_laser
    for field in item.device_fields():
        used = values.get(field.id)
        if used is not None and chosen is not None and used["id"] != chosen["id"]:
            raise ActionRefused(other_laser_message(state, chosen["name"], used["name"]))


def other_laser_message(state: SessionState, confirmed: str, used: str) -> str:
    eyewear = state.procedure.eyewear_item
    label = eyewear.label if eyewear is not None else "the eyewear"
    return (
        f"The staff eyewear was confirmed for the {confirmed}, not the {used}. "
        f"Undo '{label}' and confirm the eyewear for the {used} first."
    )


def can_correct(state: SessionState, item_id: str) -> str | None:
    """None if the item's tick (or, with no tick, its override) may be undone; else why not."""
    if (reason := closed_reason(state)) is not None:
        return reason
    item_state = _known_item(state, item_id)
    item = item_state.item
    if item_state.tick is None and item_state.override is None:
        return f"'{item.label}' is not done, so there is nothing to undo."
    if item_state.locked:
        return f"'{item.label}' is locked. {item_state.lock_reason}"
    if item.kind is ItemKind.SIGN_OUT:
        return "A sign-out cannot be undone."
    if item_state.hard_stopped:
        return (
            f"'{item.label}' is a stop: only a clinician who has seen the patient may clear it, "
            "with their PIN."
        )
    if _answers_stop_the_laser(item) and item_state.tick is not None:
        passes = [s for s in state.items.values() if s.item.kind is ItemKind.LASER_PASS and s.tick]
        if passes:
            adverse = state.procedure.adverse_events_item
            where = f"under '{adverse.label}'" if adverse is not None else "in a note"
            return (
                f"The laser passes are recorded: signs now are an adverse event. Record them {where} "
                "and call the clinician now."
            )
    if item.starts_countdown and item_state.tick is not None:
        ender = state.procedure.gel_removed
        if ender is not None and state.item(ender.id).tick is not None:
            return f"The gel is already off: undo '{ender.label}' first."
    if item.confirms_eyewear and item_state.tick is not None:
        # Passes on the laser stay tied to the eyewear confirmed for it.
        passes = [s for s in state.items.values() if s.item.kind is ItemKind.LASER_PASS and s.tick]
        if passes:
            return f"'{passes[-1].item.label}' was recorded with this laser: undo it first."
    return None


def _answers_stop_the_laser(item: ItemDef) -> bool:
    """A hard stop whose answers can flag a risk: the toxicity check."""
    return item.stop is Stop.HARD and any(field.flag for field in item.fields)


def can_clear_stop(state: SessionState, item_id: str) -> str | None:
    """None if a clinician may clear the item's stop now (undo its flagged answer); else why not."""
    if (reason := closed_reason(state)) is not None:
        return reason
    item_state = _known_item(state, item_id)
    if not item_state.hard_stopped:
        return f"'{item_state.item.label}' raises no stop to clear."
    if item_state.locked:
        return f"'{item_state.item.label}' is locked. {item_state.lock_reason}"
    return None


def check_clear_stop(state: SessionState, item_id: str, role: Role, reason: str) -> tuple[Event, str]:
    """A clinician who has seen the patient undoes the flagged answer, saying why it is safe; the
    answer stays in the record and the item is then answered again."""
    if (problem := can_clear_stop(state, item_id)) is not None:
        raise ActionRefused(problem)
    if role is not Role.CLINICIAN:
        raise ActionRefused("Only a clinician who has seen the patient may clear a stop.")
    tick = state.item(item_id).tick
    assert tick is not None  # a hard stop flags a tick's answers
    return tick, check_reason(reason)


def check_correction(state: SessionState, item_id: str, reason: str) -> tuple[Event, str]:
    """Undo the item's live tick, or withdraw its override; the original stays in the record."""
    if (problem := can_correct(state, item_id)) is not None:
        raise ActionRefused(problem)
    item_state = state.item(item_id)
    undone = item_state.tick or item_state.override
    assert undone is not None  # can_correct made sure
    return undone, check_reason(reason)


def can_override(state: SessionState, item_id: str) -> str | None:
    """None if a clinician may override this item now; else why not (whoever asks)."""
    if (reason := closed_reason(state)) is not None:
        return reason
    item_state = _known_item(state, item_id)
    item = item_state.item
    if item.stop is not Stop.SOFT:
        kind = "a hard stop" if item.stop is Stop.HARD else "an item that must be done"
        return f"'{item.label}' is {kind} and cannot be overridden."
    if item_state.locked:
        return f"'{item.label}' is locked. {item_state.lock_reason}"
    if item_state.satisfied:
        return f"'{item.label}' needs no override."
    if item.kind in (ItemKind.RECORD, ItemKind.LASER_PASS) and item_state.tick is None:
        return f"Record '{item.label}' first; a clinician can then override the risk it shows."
    if item.kind is ItemKind.COUNTDOWN and state.countdown is None:
        return "The gel countdown has not started: tick 'Gel applied' first."
    return None


def check_override(state: SessionState, item_id: str, role: Role, reason: str) -> str:
    """Only a clinician, with a written reason, may override a soft stop; hard stops never."""
    if (problem := can_override(state, item_id)) is not None:
        raise ActionRefused(problem)
    if role is not Role.CLINICIAN:
        raise ActionRefused("Only a clinician may override a stop.")
    return check_reason(reason)


def check_note(state: SessionState, item_id: str | None, text: str) -> str:
    """Notes are added while the session is open; a closed record is not written to here."""
    _open_session(state)
    if item_id is not None:
        _known_item(state, item_id)
    return check_plain_text(text, "Note", NOTE_MAX, multiline=True)


def gel_still_on(state: SessionState) -> bool:
    return state.countdown is not None and state.countdown.removed_at is None


def check_abort(state: SessionState, reason: str, gel_removed: bool) -> tuple[str, dict[str, Any]]:
    """Stopping a treatment with gel on the skin needs someone to say the gel came off.

    Returns the reason and the values to store: the gel's removal, which also ends its countdown.
    """
    _open_session(state)
    checked = check_reason(reason, "Reason for stopping")
    if not gel_still_on(state):
        return checked, {}
    if not gel_removed:
        raise ActionRefused("The anaesthetic gel is still on. Remove it, then confirm that here.")
    return checked, {"gel_removed": True}


def check_take_over(
    state: SessionState, holder: Staff, staff_id: int, holder_seen_id: int | None = None
) -> None:
    """Handover: someone else takes the patient; refused for the one who already has them, and
    when the patient changed hands since the screen showed them (another desk took over first)."""
    _open_session(state)
    if holder.id == staff_id:
        raise ActionRefused("You already have this patient.")
    if holder_seen_id is not None and holder.id != holder_seen_id:
        raise ActionRefused(f"{holder.name} has just taken over this patient. Nothing was changed.")


def check_amendment(
    state: SessionState, item_id: str | None, text: str, reason: str
) -> tuple[str, dict[str, Any]]:
    """An amendment is for a closed session only (an open one is corrected directly); it needs the
    text and why. Returns the text and the values to store."""
    if not state.ended:
        raise ActionRefused("This session is still open: undo and redo the item instead of amending it.")
    if item_id is not None:
        _known_item(state, item_id)
    checked_text = check_plain_text(text, "Amendment", NOTE_MAX, multiline=True)
    return checked_text, {"reason": check_reason(reason, "Why it is amended")}
