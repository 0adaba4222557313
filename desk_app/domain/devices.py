"""The clinic's lasers as its local rules and its Laser Protection Adviser (LPA) list them.

An administrator registers each device, changes its details (the store keeps every change) and
retires it, never deletes it: treatment records name it. This module says what a device is and
checks what an administrator types about one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from desk_app.domain.dates import entered_date
from desk_app.domain.errors import ValidationError
from desk_app.domain.text import check_plain_text

# IEC 60825-1 (BS EN 60825-1), in order of hazard.
LASER_CLASSES = ("1", "1M", "2", "2M", "3R", "3B", "4")
# A class 3B or 4 beam harms the eye directly: the local rules name the eyewear made for it.
EYEWEAR_REQUIRED = ("3B", "4")
# Ultraviolet (an excimer's 193 nm) to far infrared (CO2's 10,600 nm).
WAVELENGTH_RANGE_NM = (190, 11_000)
MAX_WAVELENGTHS = 6
# Lasers are serviced once a year or so: a date further off is a slip of the year, not a plan.
SERVICE_AHEAD = timedelta(days=3 * 366)
SERVICE_BEHIND = timedelta(days=366)
EYEWEAR_EXAMPLE = 'EN 207 "D 2940 LB5"'

_TEXT_MAX = {"make": 60, "model": 60, "eyewear_marking": 100, "lpa_name": 100}
_SERIAL = re.compile(r"^[A-Z0-9][A-Z0-9 ./-]{0,39}$")
# '10,600' is CO2's one wavelength written with a thousands comma, not 10 nm and 600 nm.
_THOUSANDS = re.compile(r"(?<!\d)(\d{1,2}),(\d{3})(?!\d)")
_UNIT = re.compile(r"nm\b", re.IGNORECASE)
_WAVELENGTH_SEPARATORS = re.compile(r"[\s,;/&+]+|\band\b", re.IGNORECASE)


@dataclass(frozen=True)
class DeviceField:
    id: str
    label: str


FIELDS = (
    DeviceField("make", "Make"),
    DeviceField("model", "Model"),
    DeviceField("serial_number", "Serial number"),
    DeviceField("wavelengths_nm", "Wavelengths (nm)"),
    DeviceField("laser_class", "Laser class"),
    DeviceField("eyewear_marking", "Eyewear marking"),
    DeviceField("lpa_name", "Laser Protection Adviser (LPA)"),
    DeviceField("next_service_on", "Next service date"),
)
LABELS = {field.id: field.label for field in FIELDS} | {"retired": "Retired"}


@dataclass(frozen=True)
class DeviceDetails:
    """What an administrator enters about a laser, checked (see check_device)."""

    make: str
    model: str
    serial_number: str  # in capitals, as on the device's plate
    wavelengths_nm: tuple[int, ...]  # ascending, each once
    laser_class: str  # one of LASER_CLASSES
    eyewear_marking: str  # may be empty below class 3B
    lpa_name: str
    next_service_on: date

    @property
    def name(self) -> str:
        """'Fotona SP Dynamis (serial SP-1234)': how screens, messages and records name it."""
        return f"{self.make} {self.model} (serial {self.serial_number})"


@dataclass(frozen=True)
class LaserDevice(DeviceDetails):
    """A registered laser: its details, who registered it, and whether it is retired (never deleted)."""

    id: int
    registered_at: datetime
    registered_by: str  # the administrator's name
    retired_at: datetime | None = None
    retired_by: str = ""
    retired_reason: str = ""

    @property
    def retired(self) -> bool:
        """A retired device stays in the records that name it; it is not changed or chosen again."""
        return self.retired_at is not None


def wavelengths_text(wavelengths: Sequence[int]) -> str:
    """'532, 1064 nm': how screens and the change history show them (and check_device reads them)."""
    return ", ".join(str(wavelength) for wavelength in wavelengths) + " nm"


def field_text(details: DeviceDetails, field_id: str) -> str:
    """One detail as text, as the change history keeps it."""
    value = getattr(details, field_id)
    if field_id == "wavelengths_nm":
        return wavelengths_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def changed_device_fields(before: DeviceDetails, after: DeviceDetails) -> list[tuple[str, str, str]]:
    """(field, old, new) for each detail that differs, as text, in the form's order."""
    return [
        (field.id, field_text(before, field.id), field_text(after, field.id))
        for field in FIELDS
        if getattr(before, field.id) != getattr(after, field.id)
    ]


def _text(value: object, field_id: str) -> str:
    label = LABELS[field_id]
    if not isinstance(value, str):
        raise ValidationError(f"{label}: expected text, got {type(value).__name__}.")
    return value


def _words(value: object, field_id: str, *, letters_only: bool = False) -> str:
    """Plain text with something to read in it: not only punctuation ('-', '?', '...')."""
    label = LABELS[field_id]
    text = check_plain_text(_text(value, field_id), label, _TEXT_MAX[field_id])
    if letters_only and not any(character.isalpha() for character in text):
        raise ValidationError(f"{label} must contain letters.")
    if not any(character.isalnum() for character in text):
        raise ValidationError(f"{label} must contain letters or digits.")
    return text


def check_serial_number(value: object) -> str:
    """The serial number in capitals: letters, digits and the few marks plates use."""
    text = _text(value, "serial_number").strip().upper()
    if not text:
        raise ValidationError("Serial number: please fill this in.")
    if not (text.isascii() and _SERIAL.match(text)):
        raise ValidationError(
            "Serial number: up to 40 letters, digits, spaces, dots, dashes or slashes, starting with "
            "a letter or a digit, as on the device's plate (for example 'SP-12345')."
        )
    return text


def check_wavelengths(value: object) -> tuple[int, ...]:
    """One or more whole numbers of nm, typed as '2940', '532, 1064' or '10,600 nm'; ascending."""
    label = LABELS["wavelengths_nm"]
    if isinstance(value, str):
        text = _UNIT.sub(" ", _THOUSANDS.sub(r"\1\2", value))
        parts = [part for part in _WAVELENGTH_SEPARATORS.split(text) if part]
        for part in parts:
            if not (part.isascii() and part.isdigit()):
                raise ValidationError(
                    f"{label}: '{part}' is not a whole number of nm; write them like 2940, or 532, 1064."
                )
        numbers = [int(part) for part in parts]
    elif isinstance(value, Sequence) and all(type(n) is int for n in value):
        numbers = list(value)
    else:
        raise ValidationError(f"{label}: expected text, got {type(value).__name__}.")
    if not numbers:
        raise ValidationError(f"{label}: please fill this in (for example 2940, or 532, 1064).")
    low, high = WAVELENGTH_RANGE_NM
    for number in numbers:
        if not low <= number <= high:
            raise ValidationError(f"{label}: {number} nm is not a laser's wavelength ({low} to {high:,} nm).")
    distinct = tuple(sorted(set(numbers)))
    if len(distinct) > MAX_WAVELENGTHS:
        raise ValidationError(f"{label}: at most {MAX_WAVELENGTHS}, one for each beam the device emits.")
    return distinct


def check_laser_class(value: object) -> str:
    """One of the classes of IEC 60825-1; 'class 3b' reads as '3B'."""
    text = re.sub(r"^CLASS\s*", "", _text(value, "laser_class").strip().upper())
    if not text:
        raise ValidationError("Laser class: please fill this in.")
    if text not in LASER_CLASSES:
        choices = ", ".join(LASER_CLASSES[:-1]) + f" or {LASER_CLASSES[-1]}"
        raise ValidationError(f"Laser class must be one of {choices} (IEC 60825-1).")
    return text


def _service_date(value: object, today: date, before: date | None) -> date:
    label = LABELS["next_service_on"]
    day = value if isinstance(value, date) else entered_date(_text(value, "next_service_on"), label)
    if day == before:
        return day  # left as it was: a device long overdue may still have its LPA's name corrected
    if day > today + SERVICE_AHEAD:
        raise ValidationError(f"{label} is more than 3 years away: is the year right?")
    if day < today - SERVICE_BEHIND:
        raise ValidationError(
            f"{label} is more than a year ago: is the year right? (An overdue service is entered as it is.)"
        )
    return day


def check_device(
    entered: Mapping[str, object], today: date, before: DeviceDetails | None = None
) -> DeviceDetails:
    """A new device's details (`before` None: every field is needed) or `before` with the fields in
    `entered` changed, each checked; the first problem found is raised, nothing is half-kept."""
    unknown = set(entered) - {field.id for field in FIELDS}
    if unknown:
        raise ValidationError(f"'{sorted(unknown)[0]}' is not a detail of a laser device.")
    kept: dict[str, object] = {}
    if before is not None:
        kept = {field.id: getattr(before, field.id) for field in FIELDS}
    merged = {field.id: "" for field in FIELDS} | kept | dict(entered)
    make = _words(merged["make"], "make")
    model = _words(merged["model"], "model")
    serial_number = check_serial_number(merged["serial_number"])
    wavelengths = check_wavelengths(merged["wavelengths_nm"])
    laser_class = check_laser_class(merged["laser_class"])
    eyewear = _text(merged["eyewear_marking"], "eyewear_marking")
    if eyewear.strip():
        eyewear = _words(eyewear, "eyewear_marking")
    elif laser_class in EYEWEAR_REQUIRED:
        raise ValidationError(
            f"Eyewear marking: a class {laser_class} laser needs it, as the local rules give it "
            f"(for example {EYEWEAR_EXAMPLE})."
        )
    lpa_name = _words(merged["lpa_name"], "lpa_name", letters_only=True)
    kept_date = before.next_service_on if before is not None else None
    return DeviceDetails(
        make=make,
        model=model,
        serial_number=serial_number,
        wavelengths_nm=wavelengths,
        laser_class=laser_class,
        eyewear_marking=eyewear.strip(),
        lpa_name=lpa_name,
        next_service_on=_service_date(merged["next_service_on"], today, kept_date),
    )
