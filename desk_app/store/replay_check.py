"""The rules replayed: each session's events checked in order as the app checked them when they
were written, and the chain's times checked to run forwards (issue 17, point 2).

Skeleton: filled in by the work on issue 17, point 2.
"""

from __future__ import annotations

from peewee import Database


class ChainTimes:
    """The audit rows' times, in chain order: none may go back more than the recorded tolerance."""

    def see(self, row_id: int, at: str, action: str) -> str | None:
        return None


def rules_problem(db: Database) -> str | None:
    """The first event the app would have refused at the point it stands in its session."""
    return None
