"""How instants and dates are written on a page; the caller supplies the PC's locale and time zone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class LocalFormats:
    """Text for a stored UTC instant or a calendar date, in the clinic's local time and locale."""

    time: Callable[[datetime], str]  # '14:05'
    date_time: Callable[[datetime], str]  # '25/11/2026 14:05'
    date: Callable[[date], str]  # '25/11/2026'
    long_date: Callable[[date], str]  # 'Wednesday 25 November 2026', for the patient's sheet


def pages_text(count: int) -> str:
    """'1 page', '3 pages'."""
    return "1 page" if count == 1 else f"{count} pages"
