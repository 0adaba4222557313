"""The patient's aftercare sheet: plain words from the procedure file, with real calendar dates.

The procedure file says how many days after the treatment each milestone falls ("red for 4-5 days":
red until day 5); this module turns them into dates from the day of the session. The sheet gives the
later end of each range, so a patient is never told to expect to be better sooner than is likely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from desk_app.domain.course import GAP_BETWEEN_SESSIONS
from desk_app.domain.procedure import Aftercare


@dataclass(frozen=True)
class AftercareSheet:
    """What the printed sheet says, with every date worked out."""

    title: str
    treated_on: date
    advice: tuple[str, ...]
    dates: tuple[tuple[str, date], ...]
    earliest_next_session: date
    planned_next_session: date | None


def aftercare_sheet(
    aftercare: Aftercare, treated_on: date, planned_next_session: date | None
) -> AftercareSheet:
    """The sheet for a treatment on the clinic's calendar day `treated_on`.

    Calendar arithmetic on dates, not instants: a clock change or a month end moves no line by a day.
    """
    return AftercareSheet(
        title=aftercare.title,
        treated_on=treated_on,
        advice=aftercare.advice,
        dates=tuple((step.label, treated_on + timedelta(days=step.days)) for step in aftercare.milestones),
        earliest_next_session=treated_on + GAP_BETWEEN_SESSIONS,
        planned_next_session=planned_next_session,
    )
