"""Words for what happened to an item, shared by the screen and the printed record."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from desk_app.domain.clinic import PrintEntry
from desk_app.domain.follow_up import describe_follow_up
from desk_app.domain.history import ChangeEntry
from desk_app.domain.photos import PhotoInfo, PhotoStage, PhotoView
from desk_app.domain.procedure import FollowUp
from desk_app.domain.session import Event, EventKind, ItemState, ItemStatus, SessionStatus
from desk_app.domain.values import describe_values
from desk_app.reports.formats import pages_text

TimeFormatter = Callable[[datetime], str]

ITEM_STATUS_WORDS = {
    ItemStatus.OPEN: "Not done",
    ItemStatus.WAITING: "Waiting",
    ItemStatus.DONE: "Done",
    ItemStatus.NEEDS_OVERRIDE: "Needs a clinician's decision",
    ItemStatus.OVERRIDDEN: "Overridden by a clinician",
}
SESSION_STATUS_WORDS = {
    SessionStatus.IN_PROGRESS: "In progress",
    SessionStatus.SIGNED_OUT: "Signed out and locked",
    SessionStatus.ABORTED: "Treatment stopped",
}


def _entered_by(event: Event) -> str:
    """Who typed a clinician's decision at the desk, when it was not the clinician."""
    entered = event.values.get("entered_by")
    return f" (entered by {entered})" if entered and entered != event.staff_name else ""


def _line(item_state: ItemState, event: Event, show_time: TimeFormatter) -> str:
    who = f"{show_time(event.at)} {event.staff_name}"
    match event.kind:
        case EventKind.TICK:
            shown = describe_values(item_state.item, dict(event.values))
            values = "; ".join(f"{label}: {value}" for label, value in shown)
            return f"{who} recorded it" + (f": {values}" if values else "")
        case EventKind.CORRECTION if "entered_by" in event.values:  # a clinician cleared a stop
            return f"{who}, clinician, cleared the stop{_entered_by(event)}: {event.text}"
        case EventKind.CORRECTION:
            return f"{who} undid it: {event.text}"
        case EventKind.OVERRIDE:
            return f"{who}, clinician, overrode it{_entered_by(event)}: {event.text}"
        case EventKind.AMENDMENT:
            return f"AMENDMENT {amendment_line(event, show_time)}"
        case _:
            return f"{who} noted: {event.text}"


def history_lines(item_state: ItemState, show_time: TimeFormatter) -> list[str]:
    """Everything done to the item except its live tick (shown as its value), oldest first.

    Undone ticks and withdrawn overrides stay here: the record shows them beside the current answer.
    """
    live = item_state.tick
    return [
        _line(item_state, event, show_time)
        for event in item_state.history
        if live is None or event.id != live.id
    ]


def amendment_line(event: Event, show_time: TimeFormatter) -> str:
    return (
        f"{show_time(event.at)} by {event.staff_name}: {event.text} (why: {event.values.get('reason', '')})"
    )


def follow_up_line(event: Event, form: FollowUp | None, show_time: TimeFormatter) -> str:
    """A call or complication after the session: when, who, and every answer with its label."""
    answers = "; ".join(f"{label}: {value}" for label, value in describe_follow_up(event, form))
    return f"{show_time(event.at)} by {event.staff_name}: {answers}"


def change_line(change: ChangeEntry, show_time: TimeFormatter) -> str:
    """One change to a patient's registration, as the patient page and the printed history show it."""
    who = f"{show_time(change.at)} {change.staff_name}"
    return f"{who} changed {change.label}: '{change.old}' to '{change.new}'"


def print_line(entry: PrintEntry, show_time: TimeFormatter, session_numbers: dict[int, int]) -> str:
    """One line of the print log: what, of which session, by whom, when, where to."""
    what = entry.document.value
    if entry.session_id in session_numbers:
        what += f", session {session_numbers[entry.session_id]}"
    return (
        f"{show_time(entry.at)} {entry.printed_by}: {what} ({pages_text(entry.pages)}) to {entry.destination}"
    )


# A photo's room on a printed history (in the document's pixels): three views across the page.
PRINTED_PHOTO = (200, 150)


def printed_photos(photos: Sequence[PhotoInfo], thumbnails: Mapping[int, bytes]) -> list[dict[str, Any]]:
    """The photos of a printed history (only when the nurse asks for them), by session: a row for
    before and for after, a column for each view; each photo its thumbnail as a data URL (which
    QTextDocument reads: no file is written), sized to fit PRINTED_PHOTO with its proportions."""
    sessions: dict[int, dict[str, Any]] = {}
    for info in sorted(photos, key=lambda photo: (photo.session_number, photo.id)):
        session = sessions.setdefault(
            info.session_id,
            {
                "number": info.session_number,
                "day": info.session_date,
                "rows": {stage: {view: [] for view in PhotoView} for stage in PhotoStage},
            },
        )
        if (thumbnail := thumbnails.get(info.id)) is not None:
            width, height = _fitted(info.width, info.height)
            source = "data:image/jpeg;base64," + base64.b64encode(thumbnail).decode("ascii")
            session["rows"][info.stage][info.view].append({"src": source, "width": width, "height": height})
    return [
        {
            "number": session["number"],
            "day": session["day"],
            "views": [view.label for view in PhotoView],
            "rows": [
                (stage.label, list(cells.values()))
                for stage, cells in session["rows"].items()
                if any(cells.values())
            ],
        }
        for session in sessions.values()
    ]


def _fitted(width: int, height: int) -> tuple[int, int]:
    room_width, room_height = PRINTED_PHOTO
    scale = min(room_width / width, room_height / height)
    return max(1, round(width * scale)), max(1, round(height * scale))
