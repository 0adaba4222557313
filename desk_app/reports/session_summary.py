"""The summary of a finished session: every pause point, item, value, override, correction and note."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment, FileSystemLoader, select_autoescape

from desk_app.domain.countdown import mm_ss
from desk_app.domain.session import SessionRecord
from desk_app.domain.values import describe_values
from desk_app.paths import resource_path
from desk_app.reports.history import (
    ITEM_STATUS_WORDS,
    SESSION_STATUS_WORDS,
    TimeFormatter,
    amendment_line,
    history_lines,
)


@dataclass(frozen=True)
class _Line:
    label: str
    status: str
    when: str
    values: list[tuple[str, str]]
    flags: tuple[str, ...]
    history: list[str]


@functools.cache
def _environment() -> Environment:
    """One environment for the app's life, so templates are compiled once."""
    return Environment(
        loader=FileSystemLoader(resource_path("print")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def session_summary_html(
    record: SessionRecord, now: datetime, show_time: TimeFormatter, show_date: TimeFormatter
) -> str:
    """HTML for the summary shown at sign-out; `show_time`/`show_date` give local text for instants."""
    state = record.state(now)
    sections = []
    for pause_point in record.procedure.pause_points:
        lines = []
        for item in pause_point.items:
            item_state = state.item(item.id)
            tick = item_state.tick
            lines.append(
                _Line(
                    label=item.label,
                    status=ITEM_STATUS_WORDS[item_state.status],
                    when=f"{show_time(tick.at)} {tick.staff_initials}" if tick else "",
                    values=describe_values(item, dict(tick.values)) if tick else [],
                    flags=item_state.flags,
                    history=history_lines(item_state, show_time),
                )
            )
        sections.append((pause_point.title, lines))
    gel_time = mm_ss(state.countdown.gel_time(now)) if state.countdown else None
    return (
        _environment()
        .get_template("session_summary.html.j2")
        .render(
            record=record,
            status=SESSION_STATUS_WORDS[state.status],
            born=record.patient.date_of_birth,
            sections=sections,
            gel_time=gel_time,
            started=show_time(record.started_at),
            stopped=state.abort,
            stopped_at=show_time(state.abort.at) if state.abort else "",
            session_notes=[
                f"{event.staff_name} at {show_time(event.at)}: {event.text}" for event in state.session_notes
            ],
            session_amendments=[amendment_line(event, show_time) for event in state.session_amendments],
            show_date=show_date,
        )
    )
