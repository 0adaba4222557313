"""How instants and dates are written on a page; the caller supplies the PC's locale and time zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class LocalFormats:
    """Text for a stored UTC instant or a calendar date, in the clinic's local time and locale."""

    time: Callable[[datetime], str]  # '14:05'
    date_time: Callable[[datetime], str]  # '25/11/2026 14:05'
    date: Callable[[date], str]  # '25/11/2026'
    # dt.date: in this class the field above hides the name `date`
    long_date: Callable[[dt.date], str]  # 'Wednesday 25 November 2026', for the patient's sheet


def pages_text(count: int) -> str:
    """'1 page', '3 pages'."""
    return "1 page" if count == 1 else f"{count} pages"


def minutes_text(duration: timedelta) -> str:
    """'1 minute', '23 minutes', '2 hours 5 minutes'. A part minute counts as a whole one, so a
    time over a limit is never understated."""
    minutes = max(0, int(-(-duration.total_seconds() // 60)))
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if minutes or not hours:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)
