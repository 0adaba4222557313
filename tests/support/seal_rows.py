"""Audit rows in tests: their content without the seals, and rows written to a file as the app would
have written them (each change sealed in its audit row), to make a file of another kind."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from peewee import SqliteDatabase

from desk_app.store.audit import write_audit
from desk_app.store.models import AuditLog, ClinicSetting
from desk_app.store.seals import SEAL_KEY, Sealed


def unsealed(detail: str) -> dict[str, Any]:
    """An audit row's detail without the seals of the rows its action wrote."""
    return {key: value for key, value in json.loads(detail).items() if key != SEAL_KEY}


def write_as_the_app(
    path: Path, statement: str, params: Sequence[Any], sealed: Sequence[Sealed], at: datetime
) -> None:
    """Run one SQL statement on the file, with an audit row that seals what it wrote."""
    db = SqliteDatabase(str(path))
    try:
        with db.bind_ctx([AuditLog, ClinicSetting]), db.atomic():
            db.execute_sql(statement, tuple(params))
            write_audit(db, at, None, "written by a test", "clinic_setting", None, sealed=sealed)
    finally:
        db.close()
