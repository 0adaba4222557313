"""The laser treatment register (issue 15): every exposure of a class 4 laser, as the clinic's local
rules and an inspector expect to read them, for one device or all and a range of days.

An exposure is one laser pass as the session's record now stands: its live tick (an undone tick
was not an exposure; a tick made again is). Sessions still in progress and stopped ones count:
the laser was fired all the same. Older records (procedure 1.0 to 1.2) named the device in free
text on the fractional pass only; they are listed with that text and no serial number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from desk_app.domain.dates import local_today
from desk_app.domain.errors import ValidationError
from desk_app.domain.procedure import ItemKind, Procedure
from desk_app.domain.session import Event, SessionState, derive_state
from desk_app.domain.values import describe_value, describe_values

NOT_RECORDED = "Not recorded"
# The two fields of a laser pass with columns of their own, by their ids in the procedure file (the
# same from version 1.0 on); every other field is a setting.
DEVICE_FIELD = "device"
AREAS_FIELD = "areas"
# A register for an inspection covers a year or a few; a longer span is a typing slip.
MAX_SPAN = timedelta(days=5 * 366)

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
)


@dataclass(frozen=True)
class Exposure:
    """One laser pass of one session: when, whom, who fired it, with what and how."""

    at: datetime  # the pass's live tick, aware UTC
    session_id: int
    clinic_number: str
    operator: str  # who ticked the pass
    device: str  # the registered device's name as it was then, or an older record's free text
    serial_number: str  # blank for an older record's free text
    device_id: int | None  # the registered device's id; None for free text
    pass_label: str
    settings: str  # 'Energy per pulse 40.0 mJ; Density 20 %; Passes 2'
    areas: str
    adverse_events: str  # the session's answer, 'None' included; NOT_RECORDED if not given
    override: str  # what the pass flagged and the clinician's decision; blank if nothing flagged

    @property
    def day(self) -> date:
        """The clinic's calendar day of the pass (the PC's time zone)."""
        return local_today(self.at)

    @property
    def time_text(self) -> str:
        return self.at.astimezone().strftime("%H:%M")

    def cells(self, show_date: Callable[[date], str] = date.isoformat) -> tuple[str, ...]:
        """The row's texts in COLUMNS' order; a spreadsheet gets ISO dates, a page the clinic's."""
        return (
            show_date(self.day),
            self.time_text,
            str(self.session_id),
            self.clinic_number,
            self.operator,
            self.device,
            self.serial_number,
            self.pass_label,
            self.settings,
            self.areas,
            self.adverse_events,
            self.override,
        )


def check_register_range(from_day: date, to_day: date) -> None:
    """Refuse a range that ends before it starts or is longer than anyone means to ask for."""
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
    in the PC's time zone (so a summer day is 23:00 to 23:00 UTC)."""
    start = datetime.combine(from_day, time()).astimezone()
    end = datetime.combine(to_day + timedelta(days=1), time()).astimezone()
    return start, end


def adverse_events_text(procedure: Procedure, state: SessionState) -> str:
    """The answer of the procedure's adverse-event item, 'None' included; NOT_RECORDED if unanswered."""
    item = next((i for i in procedure.all_items() if i.records_adverse_events), None)
    tick = state.item(item.id).tick if item else None
    if item is None or tick is None:
        return NOT_RECORDED
    return "; ".join(value for _label, value in describe_values(item, dict(tick.values)))


def _device(value: Any) -> tuple[str, str, int | None]:
    """(name, serial number, id) of a stored device value; an older record's text as it was typed."""
    if isinstance(value, Mapping):
        return str(value["name"]), str(value["serial_number"]), int(value["id"])
    return ("" if value is None else str(value)), "", None


def _override_text(flags: tuple[str, ...], override: Event | None) -> str:
    """What the pass flagged (a setting outside the clinic's limits, a service overdue, an area
    without gel) and the clinician's decision; blank when it flagged nothing."""
    if not flags:
        return ""
    decision = f"Overridden by {override.staff_name}: {override.text}" if override else "Not overridden"
    return "; ".join(flags) + f". {decision}"


@dataclass(frozen=True)
class FiredSession:
    """What the register reads of a session that used the laser: the patient's clinic number, the
    procedure version it ran, and its events about the items of register_items (a pass's tick,
    override and flags come from its own events and the areas painted: see domain.session)."""

    id: int
    clinic_number: str
    procedure: Procedure
    events: tuple[Event, ...]


def register_items(procedure: Procedure) -> set[str]:
    """The items a register row is made of: the laser passes, the adverse-events item, and the
    areas painted with gel (a pass on an area without gel is flagged, and its override shown)."""
    return {
        item.id
        for item in procedure.all_items()
        if item.kind is ItemKind.LASER_PASS or item.records_adverse_events or item.records_painted_areas
    }


def session_exposures(session: FiredSession, now: datetime) -> list[Exposure]:
    """Every live laser pass of one session, in the procedure's order."""
    procedure = session.procedure
    state = derive_state(procedure, session.events, now)
    adverse = adverse_events_text(procedure, state)
    found = []
    for item in procedure.all_items():
        if item.kind is not ItemKind.LASER_PASS:
            continue
        item_state = state.item(item.id)
        tick = item_state.tick
        if tick is None:
            continue
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
        found.append(
            Exposure(
                at=tick.at,
                session_id=session.id,
                clinic_number=session.clinic_number,
                operator=tick.staff_name,
                device=name,
                serial_number=serial,
                device_id=device_id,
                pass_label=item.label,
                settings="; ".join(settings),
                areas=areas,
                adverse_events=adverse,
                override=_override_text(item_state.flags, item_state.override),
            )
        )
    return found


def register_exposures(
    sessions: Iterable[FiredSession],
    now: datetime,
    from_day: date,
    to_day: date,
    device_id: int | None = None,
) -> list[Exposure]:
    """The register's rows: each session's live passes on the clinic's days `from_day` to `to_day`
    (with one device's only, given its id), oldest first."""
    check_register_range(from_day, to_day)
    start, end = utc_bounds(from_day, to_day)
    rows = [
        exposure
        for session in sessions
        for exposure in session_exposures(session, now)
        if start <= exposure.at < end and (device_id is None or exposure.device_id == device_id)
    ]
    return sorted(rows, key=lambda exposure: (exposure.at, exposure.session_id))
