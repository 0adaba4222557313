"""Portable field types with the data rules of the design: times are always UTC and aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from peewee import BlobField, DateTimeField


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


class BytesField(BlobField):
    """Bytes as they are: a BLOB on SQLite, bytea on PostgreSQL. Peewee's BlobField wraps a value in
    the binary type of the database its model was last bound to, which is the wrong one while
    migrate-to has a file and a server open at once; both drivers take plain bytes."""

    def db_value(self, value: Any) -> Any:
        return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else value

    def python_value(self, value: Any) -> Any:
        return bytes(value) if isinstance(value, bytearray | memoryview) else value
