"""Seals: the audit row of every change to a table a record depends on carries each changed row's
digest, so `audit verify` finds a row changed, added or removed outside the app (issue 17).

Skeleton: filled in by the work on issue 17, point 1.
"""

from __future__ import annotations

from peewee import Database

# The key of the seals in an audit row's detail; a detail without this text seals nothing.
SEAL_KEY = "sealed"
SEALED_MARK = f'"{SEAL_KEY}"'


class SealBook:
    """The last seal of each row, as the chain is walked; then every covered row compared with it."""

    def see(self, row_id: int, detail: str) -> None:
        """An audit row whose detail carries seals (read in chain order: the last seal wins)."""

    def problem(self, db: Database) -> str | None:
        """The first covered row that differs from its last seal, has none, or is gone."""
        return None
