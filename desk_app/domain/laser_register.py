"""The laser treatment register (issue 15): every exposure of a class 4 laser, as the clinic's local
rules and an inspector expect to read them, for one device or all and a range of days.

An exposure is one laser pass as the session's record now stands: its live tick (a tick made again
after an undo is). Sessions still in progress and stopped ones count: the laser was fired all the
same. A pass ticked, undone and never ticked again is listed too, marked withdrawn with the undo's
reason: the register cannot tell a pass ticked by mistake from one fired and then recorded wrongly,
and an inspector should see either rather than find a gap. Amendments, made once the session was
closed (a late adverse event, a corrected setting), are listed beside the rows they concern. Older records
(procedure 1.0 to 1.2) named the device in free text on the fractional pass only; they are listed
with that text and no serial number, so only under all devices.

Times and day bounds are the PC's time zone (the clinic's): see zone_text.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from desk_app.domain.dates import local_today
from desk_app.domain.errors import ValidationError
from desk_app.domain.procedure import AREAS_FIELD, ItemKind, Procedure
from desk_app.domain.session import Event, EventKind, ItemState, SessionState, derive_state
from desk_app.domain.values import describe_value, describe_values

NOT_RECORDED = "Not recorded"
# The two fields of a laser pass with columns of their own, by their ids in the procedure file (the
# same from version 1.0 on); every other field is a setting.
DEVICE_FIELD = "device"
# A register for an inspection covers a year or a few; a longer span is a typing slip.
MAX_SPAN = timedelta(days=5 * 366)
# Years a register may cover: the clinic's records start after 2000; a year beyond these is a typing
# slip (and 0001 or 9999 would overflow the time-zone arithmetic of utc_bounds).
FIRST_YEAR, LAST_YEAR = 2000, 2100

COLUMNS = (
    "Date",
    "Time",
    "Session",
    "Clinic number",
    "Operator",
    "Device",
    "Serial number",
    "Pass",
    "Settings",
    "Areas",
    "Adverse events",
    "Override",
    "Amendments",
)


@dataclass(frozen=True)
class Exposure:
    """One laser pass of one session: when, whom, who fired it, with what and how."""

    at: datetime  # the pass's live tick, aware UTC
    session_id: int
    clinic_number: str
    operator: str  # who ticked the pass
    device: str  # the registered device's make and model as they were then, or an older record's text
    serial_number: str  # the registered device's serial now; blank for an older record's free text
    serial_then: str  # the serial number the session recorded (a plate replaced since: it differs)
    device_id: int | None  # the registered device's id; None for free text
    pass_label: str
    settings: str  # 'Energy per pulse 40.0 mJ; Density 20 %; Passes 2'
    areas: str
    adverse_events: str  # the session's answer, 'None' included; NOT_RECORDED if not given
    override: str  # what the pass flagged and the clinician's decision, or its withdrawal; may be blank
    amendments: tuple[Event, ...] = ()  # to this pass, the adverse-events item or the whole session
    withdrawn: bool = False  # ticked, undone and never ticked again (see the module's docstring)

    @property
    def day(self) -> date:
        """The clinic's calendar day of the pass (the PC's time zone)."""
        return local_today(self.at)

    @property
    def time_text(self) -> str:
        return self.at.astimezone().strftime("%H:%M")

    @property
    def serial_text(self) -> str:
        """'SP-1234', or 'SP-1234 (then SP-12)' when the device's serial number changed since."""
        if self.serial_then and self.serial_then != self.serial_number:
            return f"{self.serial_number} (then {self.serial_then})"
        return self.serial_number

    def amendments_text(self, show_date: Callable[[date], str]) -> str:
        """'03/11/2026 by Dr Clive Doctor: blister on the left cheek (why: reported by phone)', one
        after another; on one line, as every cell of the register is."""
        return "; ".join(
            f"{show_date(local_today(event.at))} by {event.staff_name}: {' '.join(event.text.split())}"
            f" (why: {event.values.get('reason', '')})"
            for event in self.amendments
        )

    def cells(self, show_date: Callable[[date], str] = date.isoformat) -> tuple[str, ...]:
        """The row's texts in COLUMNS' order; a spreadsheet gets ISO dates, a page the clinic's."""
        return (
            show_date(self.day),
            self.time_text,
            str(self.session_id),
            self.clinic_number,
            self.operator,
            self.device,
            self.serial_text,
            self.pass_label,
            self.settings,
            self.areas,
            self.adverse_events,
            self.override,
            self.amendments_text(show_date),
        )


@dataclass(frozen=True)
class LaserRegister:
    """The register's rows, oldest first, and how many exposures in the range a device filter left
    out because their record names the device in typed text or not at all (procedure 1.0 to 1.2):
    those are listed only under all devices."""

    rows: list[Exposure]
    typed_device_elsewhere: int = 0

    @property
    def withdrawn(self) -> int:
        return sum(row.withdrawn for row in self.rows)

    def notes(self) -> list[str]:
        """What the summary line adds to the count: the passes withdrawn, the records left out."""
        said = []
        if self.withdrawn:
            said.append(f"{self.withdrawn} of them ticked and then withdrawn (see Override)")
        if self.typed_device_elsewhere:
            said.append(
                f"{self.typed_device_elsewhere} earlier exposures name the device in typed text or not "
                "at all and are listed only under All devices"
            )
        return said


def check_register_range(from_day: date, to_day: date) -> None:
    """Refuse a range that ends before it starts, is longer than anyone means to ask for, or lies
    outside FIRST_YEAR to LAST_YEAR."""
    for day in (from_day, to_day):
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValidationError(
                f"The register covers the years {FIRST_YEAR} to {LAST_YEAR}: {day:%d/%m/%Y} is outside them."
            )
    if to_day < from_day:
        raise ValidationError(
            f"The register's range ends ({to_day:%d/%m/%Y}) before it starts ({from_day:%d/%m/%Y}): "
            "give the earlier date first."
        )
    if to_day - from_day >= MAX_SPAN:
        raise ValidationError(
            "The register covers at most five years at a time: choose a shorter range "
            f"(asked for {from_day:%d/%m/%Y} to {to_day:%d/%m/%Y})."
        )


def utc_bounds(from_day: date, to_day: date) -> tuple[datetime, datetime]:
    """The instants at which the clinic's day `from_day` starts and the day after `to_day` starts,
    in the PC's time zone (so a summer day is 23:00 to 23:00 UTC). The range is checked first:
    every reading of the register passes here."""
    check_register_range(from_day, to_day)
    start = datetime.combine(from_day, time()).astimezone()
    end = datetime.combine(to_day + timedelta(days=1), time()).astimezone()
    return start, end


def zone_text(year: int) -> str:
    """The PC's time zone, in which the register's times and days are: 'Europe/London (GMT/BST)'
    where the TZ variable names it, else its abbreviations in `year`'s winter and summer alone
    ('GMT/BST', or Windows's long names)."""
    names = (datetime(year, month, 1).astimezone().tzname() or "" for month in (1, 7))
    abbreviations = "/".join(name for name in dict.fromkeys(names) if name) or "local time"
    key = os.environ.get("TZ", "").lstrip(":")
    return f"{key} ({abbreviations})" if "/" in key else abbreviations


def adverse_events_text(procedure: Procedure, state: SessionState) -> str:
    """The answer of the procedure's adverse-event item, 'None' included; NOT_RECORDED if unanswered.

    The answer comes first as it was given; the details after it (description, kind, severity...)
    each with their label, so a bare 'Mild' or 'Follow-up needed' is never left to guess."""
    item = procedure.adverse_events_item
    tick = state.item(item.id).tick if item else None
    if item is None or tick is None:
        return NOT_RECORDED
    described = describe_values(item, dict(tick.values))
    if not described:  # a confirm-style tick with no values, in some older version
        return NOT_RECORDED
    (_label, answer), *details = described
    return "; ".join([answer, *(f"{label}: {value}" for label, value in details)])


def _device(value: Any) -> tuple[str, str, int | None]:
    """(make and model, serial number, id) of a stored device value, whose name ends with its serial
    number (the register has a column for it); an older record's text as it was typed."""
    if isinstance(value, Mapping):
        serial = str(value["serial_number"])
        return str(value["name"]).removesuffix(f" (serial {serial})"), serial, int(value["id"])
    return ("" if value is None else str(value)), "", None


def _override_text(flags: tuple[str, ...], override: Event | None) -> str:
    """What the pass flagged (a setting outside the clinic's limits, a service overdue, an area
    without gel) and the clinician's decision; blank when it flagged nothing."""
    if not flags:
        return ""
    decision = f"Overridden by {override.staff_name}: {override.text}" if override else "Not overridden"
    return "; ".join(flags) + f". {decision}"


def _withdrawn(item_state: ItemState) -> tuple[Event, Event] | None:
    """The last tick of a pass with no live tick and the undo that withdrew it; None if never ticked."""
    ticks = [event for event in item_state.history if event.kind is EventKind.TICK]
    if not ticks:
        return None
    undo = next(
        event
        for event in item_state.history
        if event.kind is EventKind.CORRECTION and event.corrects_id == ticks[-1].id
    )
    return ticks[-1], undo


@dataclass(frozen=True)
class FiredSession:
    """What the register reads of a session that used the laser: the patient's clinic number, the
    procedure version it ran, its events about the items of register_items and its amendments to
    the whole session (a pass's tick, override and flags come from its own events and the areas
    painted: see domain.session)."""

    id: int
    clinic_number: str
    procedure: Procedure
    events: tuple[Event, ...]


def register_items(procedure: Procedure) -> set[str]:
    """The items a register row is made of: the laser passes, the adverse-events item, and the
    areas painted with gel (a pass on an area without gel is flagged, and its override shown)."""
    found = [procedure.painted_areas_item, procedure.adverse_events_item]
    return {item.id for item in procedure.laser_passes()} | {item.id for item in found if item is not None}


def session_exposures(
    session: FiredSession, now: datetime, current_serials: Mapping[int, str] | None = None
) -> list[Exposure]:
    """Every live or withdrawn laser pass of one session, in the procedure's order, with the
    amendments to it, to the adverse-events item and to the whole session. `current_serials` are the
    registered devices' serial numbers now, by id (the record's own where a device is missing)."""
    procedure = session.procedure
    state = derive_state(procedure, session.events, now)
    adverse = adverse_events_text(procedure, state)
    adverse_item = procedure.adverse_events_item
    shared = state.session_amendments + (state.item(adverse_item.id).amendments if adverse_item else ())
    found = []
    for item in procedure.all_items():
        if item.kind is not ItemKind.LASER_PASS:
            continue
        item_state = state.item(item.id)
        tick, withdrawal = item_state.tick, None
        if tick is None:
            if (withdrawn := _withdrawn(item_state)) is None:
                continue
            tick, undo = withdrawn
            withdrawal = f"Withdrawn: {undo.text} (by {undo.staff_name} at {undo.at.astimezone():%H:%M})"
        values = dict(tick.values)
        name, serial, device_id = _device(values.get(DEVICE_FIELD))
        settings, areas = [], ""
        for field in item.fields:
            if field.id == DEVICE_FIELD or values.get(field.id) is None:
                continue
            shown = describe_value(field, values[field.id])
            if field.id == AREAS_FIELD:
                areas = shown
            else:
                settings.append(f"{field.label} {shown}")
        amendments = tuple(sorted(item_state.amendments + shared, key=lambda event: event.id))
        found.append(
            Exposure(
                at=tick.at,
                session_id=session.id,
                clinic_number=session.clinic_number,
                operator=tick.staff_name,
                device=name,
                serial_number=(current_serials or {}).get(device_id, serial) if device_id else serial,
                serial_then=serial,
                device_id=device_id,
                pass_label=item.label,
                settings="; ".join(settings),
                areas=areas,
                adverse_events=adverse,
                override=withdrawal or _override_text(item_state.flags, item_state.override),
                amendments=amendments,
                withdrawn=withdrawal is not None,
            )
        )
    return found


def register_exposures(
    sessions: Iterable[FiredSession],
    now: datetime,
    bounds: tuple[datetime, datetime],
    device_id: int | None = None,
    current_serials: Mapping[int, str] | None = None,
) -> LaserRegister:
    """The register's rows: each session's passes fired within `bounds` (utc_bounds of the clinic's
    days asked for; with one device's only, given its id), oldest first."""
    start, end = bounds
    in_range = [
        exposure
        for session in sessions
        for exposure in session_exposures(session, now, current_serials)
        if start <= exposure.at < end
    ]
    rows = [exposure for exposure in in_range if device_id is None or exposure.device_id == device_id]
    typed = 0 if device_id is None else sum(exposure.device_id is None for exposure in in_range)
    return LaserRegister(sorted(rows, key=lambda exposure: (exposure.at, exposure.session_id)), typed)
