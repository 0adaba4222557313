"""A session as the page shows it: every pause point, item, value, override, correction and note.

One view feeds the sign-out summary on screen, the printed session record and the patient history,
so the three can never disagree about what was done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from desk_app.domain.alerts import AlertKind, GelOverrun, RaisedAlert, gel_overrun, raised_alerts
from desk_app.domain.clinical_rules import CourseContext
from desk_app.domain.consent import SignedConsent
from desk_app.domain.countdown import duration_words
from desk_app.domain.course import ends_course
from desk_app.domain.dates import local_today
from desk_app.domain.follow_up import follow_up_form
from desk_app.domain.laser_register import adverse_events_text
from desk_app.domain.people import Staff
from desk_app.domain.procedure import ItemDef, Procedure
from desk_app.domain.session import EventKind, SessionRecord, SessionState, SessionStatus
from desk_app.domain.signatures import SignatureLine, signature_lines
from desk_app.domain.values import describe_values
from desk_app.reports.formats import LocalFormats, minutes_text
from desk_app.reports.history import (
    ITEM_STATUS_WORDS,
    SESSION_STATUS_WORDS,
    amendment_line,
    follow_up_line,
    history_lines,
)
from desk_app.reports.templates import render


# Keys of the sign-out tick's values that hold the electronic signatures (issue 14): each a mapping
# of name, role, meaning and, for the operator, laser_operator. Their instant is the tick's own.
@dataclass(frozen=True)
class ItemLine:
    label: str
    status: str
    when: str
    values: list[tuple[str, str]]
    flags: tuple[str, ...]
    history: list[str]
    done_by: int | None = None  # the member of staff whose initials `when` shows


@dataclass(frozen=True)
class AlertLine:
    """One gel alert as the record lists it."""

    alert: str
    due: str
    acknowledged: str


@dataclass(frozen=True)
class SessionView:
    record: SessionRecord
    status: str
    started: str
    gel_time: str | None  # '1 h 4 min', never a clock's '64:10'
    sections: list[tuple[str, list[ItemLine]]]
    stopped: str
    overrides: list[str]
    adverse_events: str
    gel_overrun: str  # flagged at the top of the record; empty if the gel came off in time
    alerts: list[AlertLine]
    signatures: list[SignatureLine]
    signed_out: str  # a sign-out from before electronic signatures: who and when only
    notes: list[str]
    amendments: list[str]
    follow_ups: list[str]  # calls and complications after the session, oldest first
    course_complete: bool = False  # the session's course plan ends the course: no next session
    consent: str | None = None  # which signed consent covers the session (consent_line); None: not read


# What the record adds to the course items' own values (procedure 1.5): the last session the nurse's
# interval check was made against, and the course's end at its last session.
COURSE_COMPLETE_LINE = ("Next session", "none, the course is complete with this session")


def _interval_line(context: CourseContext | None, show_date: Callable[[date], str]) -> tuple[str, str] | None:
    """'Last session: 15/10/2026, 21 days before', as the card showed it when the session started."""
    if context is None:
        return None
    if context.last_session is None or context.days_since_last is None:
        return ("Last session", "none, this is the first session of the course")
    days = context.days_since_last
    return ("Last session", f"{show_date(context.last_session)}, {days} day{'s' if days != 1 else ''} before")


def _course_lines(
    item: ItemDef, state: SessionState, complete: bool, show_date: Callable[[date], str]
) -> list[tuple[str, str]]:
    if item.checks_course_interval and (line := _interval_line(state.course_context, show_date)):
        return [line]
    if item.plans_course and complete:
        return [COURSE_COMPLETE_LINE]
    return []


def consent_line(consent: SignedConsent | None, show_time: Callable[[datetime], str]) -> str:
    """Which signed consent covers a session, as its record says it (the consent prints whole on
    its own): 'Form version 1.0, signed 25/11/2026 09:02, witnessed by Ann Nurse; photographs
    agreed (SHA-256 1a2b3c4d5e6f7a8b)', a withdrawal since, or that none does."""
    if consent is None:
        return "None signed in the app for this session"
    photos = "agreed" if consent.photos_allowed else "refused"
    line = (
        f"Form version {consent.form_version}, signed {show_time(consent.signed_at)}, witnessed by "
        f"{consent.witness_name}; photographs {photos} (SHA-256 {consent.digest[:16]})"
    )
    if consent.withdrawn_at is not None:
        line += (
            f". WITHDRAWN on {show_time(consent.withdrawn_at)} by {consent.withdrawn_by_name}: "
            f"{consent.withdrawal_reason}"
        )
    return line


def session_view(
    record: SessionRecord,
    now: datetime,
    formats: LocalFormats,
    running: Procedure | None = None,
    *,
    consent: str | None = None,
) -> SessionView:
    """Everything a page says about one session, as text in the clinic's local time. `running` is
    the desk's procedure, whose follow-up form describes a follow-up of an older version's session;
    `consent` the line saying which signed consent covers it (consent_line), if it was read."""
    show_time = formats.date_time
    state = record.state(now)
    started_on = local_today(record.started_at)
    complete = ends_course(record, now)

    def when(instant: datetime) -> str:
        """The time alone on the session's own day; the date too on any other (an amendment, say)."""
        return formats.time(instant) if local_today(instant) == started_on else show_time(instant)

    sections = []
    for pause_point in record.procedure.pause_points:
        lines = []
        for item in pause_point.items:
            item_state = state.item(item.id)
            tick = item_state.tick
            lines.append(
                ItemLine(
                    label=item.label,
                    status=ITEM_STATUS_WORDS[item_state.status],
                    when=f"{when(tick.at)} {tick.staff_initials}" if tick else "",
                    values=(
                        [
                            *describe_values(item, dict(tick.values)),
                            *_course_lines(item, state, complete, formats.date),
                        ]
                        if tick
                        else []
                    ),
                    flags=item_state.flags,
                    history=history_lines(item_state, show_time),
                    done_by=tick.staff_id if tick else None,
                )
            )
        sections.append((pause_point.title, lines))
    overrides = []
    for event in record.events:
        if event.kind is EventKind.OVERRIDE and event.item_id:
            live = state.item(event.item_id).override
            withdrawn = "" if live is not None and live.id == event.id else " (withdrawn)"
            overrides.append(
                f"{record.procedure.item(event.item_id).label}: {event.staff_name}, clinician, at "
                f"{show_time(event.at)}{withdrawn}: {event.text}"
            )
    abort, sign_out = state.abort, state.sign_out
    overrun = gel_overrun(state, now)
    signatures = signature_lines(sign_out, show_time) if sign_out else []
    return SessionView(
        record=record,
        status=SESSION_STATUS_WORDS[state.status],
        started=show_time(record.started_at),
        gel_time=duration_words(state.countdown.gel_time(now)) if state.countdown else None,
        sections=sections,
        stopped=f"by {abort.staff_name} at {show_time(abort.at)}: {abort.text}" if abort else "",
        overrides=overrides,
        adverse_events=adverse_events_text(record.procedure, state),
        gel_overrun=_overrun_text(overrun, state, when) if overrun else "",
        alerts=[_alert_line(alert, record.procedure, when) for alert in raised_alerts(record, state, now)],
        signatures=signatures,
        signed_out=(
            f"Signed out by {sign_out.staff_name} at {show_time(sign_out.at)} (before electronic signatures)"
            if sign_out and not signatures
            else ""
        ),
        notes=[f"{event.staff_name} at {show_time(event.at)}: {event.text}" for event in state.session_notes],
        amendments=[amendment_line(event, show_time) for event in state.session_amendments],
        follow_ups=[
            follow_up_line(event, follow_up_form(record.procedure, running), show_time)
            for event in state.follow_ups
        ],
        course_complete=complete,
        consent=consent,
    )


@dataclass(frozen=True)
class InitialsLine:
    """One line of the key to the initials a record prints: 'RH: Rhiannon Hughes, nurse'."""

    initials: str
    who: str


def initials_key(views: Iterable[SessionView], team: Iterable[Staff]) -> list[InitialsLine]:
    """Each member of staff whose initials the views print beside an item done, once, in order of
    initials: a reader of the paper learns who 'RH' was without the app. `team` is every member of
    staff, active or not (someone who has since left still has their initials on old records)."""
    members = {member.id: member for member in team}
    used = {line.done_by for view in views for _, lines in view.sections for line in lines}
    listed = sorted((members[staff_id] for staff_id in used if staff_id is not None), key=_by_initials)
    return [InitialsLine(member.initials, f"{member.name}, {member.role.value}") for member in listed]


def _by_initials(member: Staff) -> tuple[str, str]:
    return member.initials, member.name


def _overrun_text(overrun: GelOverrun, state: SessionState, when: Callable[[datetime], str]) -> str:
    """'Gel left on 23 minutes past the remove-by time (remove by 10:45, removed 11:08)'."""
    over, remove_by, until = minutes_text(overrun.over), when(overrun.remove_by), when(overrun.until)
    if overrun.removed:
        return f"Gel left on {over} past the remove-by time (remove by {remove_by}, removed {until})"
    if state.status is SessionStatus.IN_PROGRESS:
        return f"Gel still on {over} past the remove-by time (remove by {remove_by}, still on at {until})"
    ended = "signed out" if state.status is SessionStatus.SIGNED_OUT else "treatment stopped"
    return (
        f"Gel removal not recorded: the gel was still on {over} past the remove-by time when the "
        f"session ended (remove by {remove_by}, {ended} {until})"
    )


def _alert_line(alert: RaisedAlert, procedure: Procedure, when: Callable[[datetime], str]) -> AlertLine:
    minutes = round((alert.due_at - alert.gel_applied.at).total_seconds() / 60)
    if alert.kind is AlertKind.READY:
        what = f"Ready for the laser room (gel on {minutes} minutes)"
    else:  # the clinic's maximum, or the product's when that is shorter (procedure 1.5)
        whose = "the clinic's" if minutes >= procedure.remove_minutes else "the anaesthetic product's"
        what = f"Remove the gel now (gel on {minutes} minutes, {whose} maximum)"
    if not alert.live_gel:
        what += f", for gel applied at {when(alert.gel_applied.at)} and since undone"
    ack = alert.acknowledged
    return AlertLine(
        alert=what,
        due=when(alert.due_at),
        acknowledged=f"{ack.staff_name} at {when(ack.at)}" if ack else "Not acknowledged",
    )


def session_summary_html(
    record: SessionRecord, now: datetime, formats: LocalFormats, running: Procedure | None = None
) -> str:
    """The summary shown on screen once a session has ended (`running` as for session_view)."""
    view = session_view(record, now, formats, running)
    return render("session_summary.html.j2", view=view, show_date=formats.date)
