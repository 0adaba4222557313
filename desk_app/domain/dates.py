"""Dates as people type them at a UK clinic: 31/01/2000, 31.01.2000 or 2000-01-31."""

from __future__ import annotations

from datetime import date, datetime

from desk_app.domain.errors import ValidationError

_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")


def entered_date(raw: object, label: str) -> date:
    """A date as a form gives it (a date, or text a nurse typed), or ValidationError naming the field."""
    if isinstance(raw, date):
        return raw
    if not str(raw).strip():
        raise ValidationError(f"{label}: please fill this in.")
    parsed = parse_user_date(str(raw))
    if parsed is None:
        raise ValidationError(f"{label} is not a real date (for example 31/01/2027).")
    return parsed


def parse_user_date(text: str) -> date | None:
    """The date meant by `text`, or None if it is not a real date in a known format."""
    cleaned = text.strip()
    for pattern in _FORMATS:
        try:
            return datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
    return None


def shown_date(day: date) -> str:
    """A date as the screen and the record show it: 06/01/2027."""
    return day.strftime("%d/%m/%Y")


def shown_instant(instant: datetime) -> str:
    """An instant as a report of the audit trail names it: '3 Dec 2026 14:02', the PC's time zone."""
    local = instant.astimezone()
    return f"{local.day} {local:%b %Y %H:%M}"


def local_today(now: datetime) -> date:
    """The calendar date at the clinic (the PC's time zone) at the instant `now`."""
    return now.astimezone().date()
