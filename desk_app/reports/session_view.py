"""A session as the page shows it: every pause point, item, value, override, correction and note.

One view feeds the sign-out summary on screen, the printed session record and the patient history,
so the three can never disagree about what was done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desk_app.domain.countdown import mm_ss
from desk_app.domain.dates import local_today
from desk_app.domain.session import EventKind, SessionRecord
from desk_app.domain.values import describe_values
from desk_app.reports.formats import LocalFormats
from desk_app.reports.history import (
    ITEM_STATUS_WORDS,
    SESSION_STATUS_WORDS,
    amendment_line,
    history_lines,
)
from desk_app.reports.templates import render

NOT_RECORDED = "Not recorded"


@dataclass(frozen=True)
class ItemLine:
    label: str
    status: str
    when: str
    values: list[tuple[str, str]]
    flags: tuple[str, ...]
    history: list[str]


@dataclass(frozen=True)
class SessionView:
    record: SessionRecord
    status: str
    started: str
    gel_time: str | None
    sections: list[tuple[str, list[ItemLine]]]
    stopped: str
    overrides: list[str]
    adverse_events: str
    signed_out: str
    notes: list[str]
    amendments: list[str]


def session_view(record: SessionRecord, now: datetime, formats: LocalFormats) -> SessionView:
    """Everything a page says about one session, as text in the clinic's local time."""
    show_time = formats.date_time
    state = record.state(now)
    started_on = local_today(record.started_at)

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
                    values=describe_values(item, dict(tick.values)) if tick else [],
                    flags=item_state.flags,
                    history=history_lines(item_state, show_time),
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
    return SessionView(
        record=record,
        status=SESSION_STATUS_WORDS[state.status],
        started=show_time(record.started_at),
        gel_time=mm_ss(state.countdown.gel_time(now)) if state.countdown else None,
        sections=sections,
        stopped=f"by {abort.staff_name} at {show_time(abort.at)}: {abort.text}" if abort else "",
        overrides=overrides,
        adverse_events=_adverse_events(record, now),
        signed_out=f"{sign_out.staff_name} at {show_time(sign_out.at)}" if sign_out else "",
        notes=[f"{event.staff_name} at {show_time(event.at)}: {event.text}" for event in state.session_notes],
        amendments=[amendment_line(event, show_time) for event in state.session_amendments],
    )


def _adverse_events(record: SessionRecord, now: datetime) -> str:
    """The answer of the procedure's adverse-event item, 'None' included; 'Not recorded' if unanswered."""
    item = next((i for i in record.procedure.all_items() if i.records_adverse_events), None)
    tick = record.state(now).item(item.id).tick if item else None
    if item is None or tick is None:
        return NOT_RECORDED
    return "; ".join(value for _label, value in describe_values(item, dict(tick.values)))


def session_summary_html(record: SessionRecord, now: datetime, formats: LocalFormats) -> str:
    """The summary shown on screen once a session has ended."""
    return render("session_summary.html.j2", view=session_view(record, now, formats), show_date=formats.date)
