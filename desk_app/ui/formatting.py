"""Showing stored UTC instants and dates in the PC's own time zone and locale."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QDate, QDateTime, QLocale, QTimeZone

from desk_app.reports.formats import LocalFormats


def clinic_locale() -> QLocale:
    """The PC's locale; British English where the PC has none set (the bare C locale)."""
    system = QLocale.system()
    if system.language() == QLocale.Language.C:
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)
    return system


def _qdatetime(instant: datetime) -> QDateTime:
    utc = QDateTime.fromSecsSinceEpoch(int(instant.timestamp()), QTimeZone.utc())
    return utc.toLocalTime()


def local_time(instant: datetime) -> str:
    """'14:05' in the PC's time zone and locale."""
    return clinic_locale().toString(_qdatetime(instant).time(), QLocale.FormatType.ShortFormat)


def local_date_time(instant: datetime) -> str:
    return clinic_locale().toString(_qdatetime(instant), QLocale.FormatType.ShortFormat)


def local_date(day: date) -> str:
    return clinic_locale().toString(QDate(day.year, day.month, day.day), QLocale.FormatType.ShortFormat)


# How a date is typed everywhere a date is entered.
DATE_HINT = "DD/MM/YYYY"


def long_day(day: date) -> str:
    """'3 March 2026': the month in words, so that nobody reads 03/02 the American way round."""
    return clinic_locale().toString(QDate(day.year, day.month, day.day), "d MMMM yyyy")


def short_day(day: date) -> str:
    """'4 Dec 2026': as long_day, short enough for a caption."""
    return clinic_locale().toString(QDate(day.year, day.month, day.day), "d MMM yyyy")


def local_long_date(day: date) -> str:
    """'Wednesday 25 November 2026': a date a patient reads without thinking about its order."""
    return clinic_locale().toString(QDate(day.year, day.month, day.day), QLocale.FormatType.LongFormat)


LOCAL_FORMATS = LocalFormats(
    time=local_time, date_time=local_date_time, date=local_date, long_date=local_long_date
)
