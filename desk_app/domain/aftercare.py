"""The patient's aftercare sheet: plain words from the procedure file, with real calendar dates.

The procedure file says how many days after the treatment each milestone falls ("red for 4-5 days":
red until day 5); this module turns them into dates from the day of the session. The sheet gives the
later end of each range, so a patient is never told to expect to be better sooner than is likely.
The dates are listed in time order, so a patient reads down the sheet as the days go by.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from desk_app.domain.clinic import ClinicDetails, missing_patient_lines
from desk_app.domain.errors import ActionRefused
from desk_app.domain.procedure import Aftercare


class SheetDateKind(StrEnum):
    """What a dated line is: a milestone words itself (its label); the template words the others."""

    MILESTONE = "milestone"
    EARLIEST_NEXT_SESSION = "earliest next session"
    PLANNED_NEXT_SESSION = "planned next session"


@dataclass(frozen=True)
class SheetDate:
    kind: SheetDateKind
    day: date
    label: str = ""  # a milestone's words, from the procedure file


@dataclass(frozen=True)
class AftercareSheet:
    """What the printed sheet says, with every date worked out and the clinic's lines to call."""

    title: str
    treated_on: date
    advice: tuple[str, ...]
    skin_care: tuple[str, ...]
    call_us_if: tuple[str, ...]
    dates: tuple[SheetDate, ...]
    contact_line: str
    out_of_hours_line: str


def aftercare_sheet(
    aftercare: Aftercare,
    clinic: ClinicDetails,
    treated_on: date,
    planned_next_session: date | None,
    earliest_next_session: date | None,
) -> AftercareSheet:
    """The sheet for a treatment on the clinic's calendar day `treated_on`.

    `earliest_next_session` is None when the course ends with this session: the sheet then prints
    no next date at all.

    Refused while the clinic has no contact or out-of-hours line: a sheet that lists the signs to
    call about must say whom to call, day and night. Calendar arithmetic on dates, not instants: a
    clock change or a month end moves no line by a day. Lines on the same day keep the file's order,
    the next session after the milestones.
    """
    missing = missing_patient_lines(clinic)
    if missing:
        empty, them = ("has", "it") if len(missing) == 1 else ("have", "them")
        named = " and ".join(f"“{label}”" for label in missing)
        raise ActionRefused(
            "No aftercare sheet yet: it must tell the patient whom to call, and the clinic's "
            f"{named} {empty} no phone number. An administrator fills {them} in under Clinic details "
            "first. Nothing was printed or saved."
        )
    lines = [
        SheetDate(SheetDateKind.MILESTONE, treated_on + timedelta(days=step.days), step.label)
        for step in aftercare.milestones
    ]
    earliest = earliest_next_session
    # A session planned sooner was the clinic's decision: the sheet does not also say "not before".
    if earliest is not None and (planned_next_session is None or planned_next_session >= earliest):
        lines.append(SheetDate(SheetDateKind.EARLIEST_NEXT_SESSION, earliest))
    if earliest is not None and planned_next_session is not None:
        lines.append(SheetDate(SheetDateKind.PLANNED_NEXT_SESSION, planned_next_session))
    return AftercareSheet(
        title=aftercare.title,
        treated_on=treated_on,
        advice=aftercare.advice,
        skin_care=aftercare.skin_care,
        call_us_if=aftercare.call_us_if,
        dates=tuple(sorted(lines, key=lambda line: line.day)),  # a stable sort: ties keep their order
        contact_line=clinic.contact_line,
        out_of_hours_line=clinic.out_of_hours_line,
    )
