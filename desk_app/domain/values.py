"""Checking the values recorded with an item, and finding the answers that flag a risk.

Values travel as JSON-friendly types: a choice is a str, a multi a list of str, a number a float,
a date an ISO 'YYYY-MM-DD' str, a text a str, a device the store's snapshot of it (a dict, see
laser_use.device_value). What is accepted is stored and shown exactly as given.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from desk_app.domain.dates import entered_date, shown_date
from desk_app.domain.errors import ValidationError
from desk_app.domain.procedure import FieldDef, FieldType, ItemDef
from desk_app.domain.text import check_plain_text

EARLIEST_DATE = date(1900, 1, 1)
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def format_number(value: float, decimals: int) -> str:
    """Show a number with exactly the field's decimals (40.0 mJ for a field with one)."""
    return f"{value:.{decimals}f}"


def _number(field: FieldDef, raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValidationError(f"{field.label} must be a number.")
    if isinstance(raw, int | float):
        try:
            value = float(raw)
        except OverflowError:
            raise ValidationError(f"{field.label} is far too large.") from None
        text = repr(raw)
    else:
        text = str(raw).strip()
        if not _PLAIN_NUMBER.match(text):
            unit = f" in {field.unit}" if field.unit else ""
            raise ValidationError(f"{field.label} must be a number{unit}, for example 12.5.")
        value = float(text)
    if not math.isfinite(value):
        raise ValidationError(f"{field.label} must be a number.")
    unit = f" {field.unit}" if field.unit else ""
    assert field.min is not None and field.max is not None  # the procedure reader guarantees it
    if not field.min <= value <= field.max:
        low, high = format_number(field.min, field.decimals), format_number(field.max, field.decimals)
        if field.min == field.max:
            raise ValidationError(f"{field.label} must be {low}{unit}.")
        raise ValidationError(f"{field.label} must be between {low} and {high}{unit}.")
    if round(value, field.decimals) != value:
        places = "no decimal places" if field.decimals == 0 else f"{field.decimals} decimal place"
        plural = "s" if field.decimals > 1 else ""
        raise ValidationError(f"{field.label} takes {places}{plural} (got {text}).")
    return value


def _date(field: FieldDef, raw: Any, today: date) -> str:
    value = entered_date(raw, field.label)
    if value < EARLIEST_DATE:
        raise ValidationError(f"{field.label} is too long ago to be right.")
    if not field.allow_future and value > today:
        raise ValidationError(f"{field.label} cannot be in the future.")
    if not field.allow_past and value < today:
        raise ValidationError(f"{field.label} cannot be in the past.")
    return value.isoformat()


def _is_empty(raw: Any) -> bool:
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple):
        return not raw
    return raw is None


def validate_field(field: FieldDef, raw: Any, today: date) -> Any:
    """Return the value to store for one field, or raise ValidationError with a clear message."""
    if _is_empty(raw):
        if field.required:
            raise ValidationError(f"{field.label}: please fill this in.")
        return None
    match field.type:
        case FieldType.CHOICE:
            if raw not in field.options:
                raise ValidationError(f"{field.label}: choose one of {', '.join(field.options)}.")
            return raw
        case FieldType.MULTI:
            chosen = list(raw) if isinstance(raw, list | tuple) else [raw]
            unknown = [value for value in chosen if value not in field.options]
            if unknown:
                raise ValidationError(f"{field.label}: '{unknown[0]}' is not one of the choices.")
            # Keep the definition's order, drop repeats: the same set is always stored alike.
            return [option for option in field.options if option in chosen]
        case FieldType.NUMBER:
            return _number(field, raw)
        case FieldType.DATE:
            return _date(field, raw, today)
        case FieldType.TEXT:
            return check_plain_text(str(raw), field.label, field.max_length)
        case FieldType.DEVICE:  # the laser's module: imported by a laser's field, not by a start
            from desk_app.domain.laser_use import check_device_value

            return check_device_value(field.label, raw)
    raise ValidationError(f"{field.label}: unknown field type")  # pragma: no cover


def validate_values(item: ItemDef, raw_values: dict[str, Any], today: date) -> dict[str, Any]:
    """Check every field of an item; the first problem found is raised, nothing is half-kept."""
    unknown = set(raw_values) - {field.id for field in item.fields}
    if unknown:
        raise ValidationError(f"{item.label}: '{sorted(unknown)[0]}' is not a field of this item.")
    values: dict[str, Any] = {}
    for field in item.fields:
        value = validate_field(field, raw_values.get(field.id), today)
        if value is not None:
            values[field.id] = value
    for field in item.fields:
        if field.required_if is not None and field.id not in values:
            other, answer = field.required_if
            if values.get(other) == answer:
                raise ValidationError(f"{field.label}: please fill this in (the answer is '{answer}').")
    return values


def flags_for(item: ItemDef, values: dict[str, Any]) -> list[str]:
    """The risks a set of stored values raises: flagged answers and numbers outside clinic limits."""
    flags: list[str] = []
    for field in item.fields:
        value = values.get(field.id)
        if value is None:
            continue
        if field.type is FieldType.CHOICE and value in field.flag:
            flags.append(field.flag_message)
        if field.type is FieldType.DEVICE:
            from desk_app.domain.laser_use import device_flag

            if service := device_flag(value):
                flags.append(service)
        if field.type is FieldType.NUMBER:
            unit = f" {field.unit}" if field.unit else ""
            shown = format_number(value, field.decimals)
            if field.clinic_max is not None and value > field.clinic_max:
                limit = format_number(field.clinic_max, field.decimals)
                flags.append(f"{field.label} {shown}{unit} is above the clinic limit of {limit}{unit}")
            if field.clinic_min is not None and value < field.clinic_min:
                limit = format_number(field.clinic_min, field.decimals)
                flags.append(f"{field.label} {shown}{unit} is below the clinic limit of {limit}{unit}")
    return flags


def describe_value(field: FieldDef, value: Any) -> str:
    """One stored value as a person reads it: '40.0 mJ', 'Forehead, Cheeks', '06/01/2027'."""
    if field.type is FieldType.MULTI:
        return ", ".join(value)
    if field.type is FieldType.NUMBER:
        return format_number(float(value), field.decimals) + (f" {field.unit}" if field.unit else "")
    if field.type is FieldType.DATE:
        return shown_date(date.fromisoformat(value))
    if field.type is FieldType.DEVICE:
        from desk_app.domain.laser_use import describe_device_value

        return describe_device_value(value)
    return str(value)


def same_value(field: FieldDef, typed: Any, stored: Any) -> bool:
    """Would what is typed now be stored as `stored`? (So 'Same as last session' never lies.)

    A device is chosen by its id; the same device is the same value."""
    if field.type is FieldType.DEVICE:
        return isinstance(stored, dict) and typed == stored.get("id")
    try:
        return bool(validate_field(field, typed, date.max) == stored)
    except ValidationError:
        return False


def describe_values(item: ItemDef, values: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, shown value) pairs in the definition's order, for summaries and print."""
    return [
        (field.label, describe_value(field, values[field.id]))
        for field in item.fields
        if values.get(field.id) is not None
    ]
