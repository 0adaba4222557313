"""Showing stored UTC instants and dates in the PC's own time zone and locale."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QDate, QDateTime, QLocale, QTimeZone


def _qdatetime(instant: datetime) -> QDateTime:
    utc = QDateTime.fromSecsSinceEpoch(int(instant.timestamp()), QTimeZone.utc())
    return utc.toLocalTime()


def local_time(instant: datetime) -> str:
    """'14:05' in the PC's time zone and locale."""
    return QLocale.system().toString(_qdatetime(instant).time(), QLocale.FormatType.ShortFormat)


def local_date_time(instant: datetime) -> str:
    return QLocale.system().toString(_qdatetime(instant), QLocale.FormatType.ShortFormat)


def local_date(day: date) -> str:
    return QLocale.system().toString(QDate(day.year, day.month, day.day), QLocale.FormatType.ShortFormat)
