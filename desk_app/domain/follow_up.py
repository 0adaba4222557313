"""After sign-out (issue 16): the call to the patient a few days after the treatment, and any
complication they report, recorded as a follow-up event linked to the session, never as an
amendment of it (the record of the day stays as it was).

The form is the procedure's `[follow_up]`. A session run under a version from before it (1.4 and
older) uses the running procedure's form, so a patient treated just before an upgrade is still
called; recording and describing both go through `follow_up_form`, so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import Patient
from desk_app.domain.procedure import FollowUp, Procedure
from desk_app.domain.session import Event, SessionState
from desk_app.domain.values import describe_values, validate_values


def follow_up_form(procedure: Procedure, running: Procedure | None) -> FollowUp | None:
    """The form for a session run under `procedure`: its own, else the running procedure's."""
    return procedure.follow_up or (running.follow_up if running is not None else None)


def check_follow_up(
    state: SessionState, form: FollowUp | None, raw_values: dict[str, Any], today: date
) -> dict[str, Any]:
    """The values to store for a follow-up of an ended session; refused while it is in progress
    (a complication then belongs in the session itself) or with values the form does not accept."""
    if not state.ended:
        raise ActionRefused(
            "This session is still in progress: record it in the session (the adverse-events item, "
            "or a note), not as a follow-up."
        )
    if form is None:
        raise ActionRefused(
            f"Procedure version {state.procedure.version} has no follow-up form: record it as an amendment."
        )
    return validate_values(form.as_item(), raw_values, today)


def describe_follow_up(event: Event, form: FollowUp | None) -> list[tuple[str, str]]:
    """(label, value) pairs of a follow-up event, in the form's order. Without a form (a database
    read by an older procedure than the one that wrote it) the stored values, by their ids."""
    if form is None:
        return [(key, str(value)) for key, value in sorted(event.values.items())]
    return describe_values(form.as_item(), dict(event.values))


def contact_text(event: Event, form: FollowUp | None) -> str:
    """How the contact went: the answer of the form's first field ('Spoke to the patient')."""
    described = describe_follow_up(event, form)
    return described[0][1] if described else ""


def call_days(form: FollowUp, today: date) -> tuple[date, date]:
    """The treatment days whose patients are listed today, those overdue a call included:
    (earliest, latest)."""
    earliest = today - timedelta(days=max(form.overdue_until_day, form.call_to_day))
    return earliest, today - timedelta(days=form.call_from_day)


def overdue(form: FollowUp, treated_on: date, today: date) -> bool:
    """Treated before the days the patient is called on: listed only while no call is recorded."""
    return treated_on < today - timedelta(days=form.call_to_day)


@dataclass(frozen=True)
class FollowUpCall:
    """A patient due a call: the session, its answer on adverse events, and the latest call made."""

    session_id: int
    patient: Patient
    session_number: int
    treated_on: date
    adverse_events: str
    last_call: Event | None
    form: FollowUp
    overdue: bool = False  # past the days to call on, and not called yet

    @property
    def contact(self) -> str:
        return contact_text(self.last_call, self.form) if self.last_call is not None else ""
