"""Portable field types with the data rules of the design: times are always UTC and aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from peewee import DateTimeField


class UTCDateTimeField(DateTimeField):
    """Stores an aware datetime as UTC; refuses naive ones, so no local time slips in."""

    def db_value(self, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"{self.name}: a timezone-aware datetime is required, got {value!r}")
        return super().db_value(value.astimezone(UTC).replace(tzinfo=None))

    def python_value(self, value: Any) -> Any:
        parsed = super().python_value(value)
        if isinstance(parsed, datetime):
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return parsed
