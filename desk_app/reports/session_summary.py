"""The sign-out summary of a session: every pause point, item, value, override, correction and note."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment, FileSystemLoader, select_autoescape

from desk_app.domain.countdown import mm_ss
from desk_app.domain.session import SessionRecord
from desk_app.domain.values import describe_values
from desk_app.paths import resource_path

TimeFormatter = Callable[[datetime], str]


@dataclass(frozen=True)
class _Line:
    label: str
    status: str
    when: str
    values: list[tuple[str, str]]
    flags: tuple[str, ...]
    remarks: list[str]


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(resource_path("print")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def session_summary_html(record: SessionRecord, now: datetime, show_time: TimeFormatter) -> str:
    """HTML for the summary shown at sign-out; `show_time` turns a UTC instant into local text."""
    state = record.state(now)
    sections = []
    for pause_point in record.procedure.pause_points:
        lines = []
        for item in pause_point.items:
            item_state = state.item(item.id)
            tick, override = item_state.tick, item_state.override
            remarks = (
                [f"Overridden by {override.staff_name} at {show_time(override.at)}: {override.text}"]
                if override
                else []
            )
            remarks += [
                f"Corrected by {event.staff_name} at {show_time(event.at)}: {event.text}"
                for event in item_state.corrections
            ]
            remarks += [
                f"Note by {event.staff_name} at {show_time(event.at)}: {event.text}"
                for event in item_state.notes
            ]
            lines.append(
                _Line(
                    label=item.label,
                    status=item_state.status.value,
                    when=f"{show_time(tick.at)} {tick.staff_initials}" if tick else "",
                    values=describe_values(item, dict(tick.values)) if tick else [],
                    flags=item_state.flags,
                    remarks=remarks,
                )
            )
        sections.append((pause_point.title, lines))
    gel_time = mm_ss(state.countdown.gel_time(now)) if state.countdown else None
    return (
        _environment()
        .get_template("session_summary.html.j2")
        .render(
            record=record,
            state=state,
            sections=sections,
            gel_time=gel_time,
            started=show_time(record.started_at),
            abort_time=show_time(state.abort.at) if state.abort else "",
            session_notes=[
                f"{event.staff_name} at {show_time(event.at)}: {event.text}" for event in state.session_notes
            ],
        )
    )
