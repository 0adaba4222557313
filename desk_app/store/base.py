"""What every group of Desk actions shares: the database, the clock, the staff check, the audit row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any

from peewee import Database

from desk_app.domain.clock import Clock
from desk_app.domain.dates import local_today
from desk_app.domain.people import Staff
from desk_app.store.audit import write_audit
from desk_app.store.rows import ANY_ID, CompiledQuery
from desk_app.store.seals import Sealed


class DeskBase:
    db: Database
    clock: Clock
    # The hashes of the audit rows this desk wrote: how it tells its own writes from another desk's.
    written_by_this_desk: set[str]
    _compiled_queries: dict[str, CompiledQuery]

    def staff(self, staff_id: int) -> Staff:  # provided by Desk
        raise NotImplementedError

    def list_staff(self) -> list[Staff]:  # provided by Desk
        raise NotImplementedError

    def _require_administrator(self, staff_id: int) -> Staff:  # provided by AccountActions
        raise NotImplementedError

    def is_authorised_operator(self, staff_id: int) -> bool:  # provided by LaserOperatorActions
        raise NotImplementedError

    def _refusals_audited(  # provided by LaserOperatorActions
        self,
        staff_id: int | None,
        action: str,
        subject_id: int | None,
        item_id: str | None = None,
        subject: str = "session",
    ) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _compiled(self, name: str, query_for: Callable[[list[int]], Any]) -> CompiledQuery:
        """The query (for one id, or for none), its SQL built once by this desk (see CompiledQuery)."""
        if name not in self._compiled_queries:
            self._compiled_queries[name] = CompiledQuery(query_for([ANY_ID]))
        return self._compiled_queries[name]

    def _today(self) -> date:
        """The clinic's calendar day now (the PC's time zone)."""
        return local_today(self.clock.now())

    def _audit(
        self,
        action: str,
        staff_id: int | None,
        subject: str,
        subject_id: int | None = None,
        detail: dict[str, Any] | None = None,
        sealed: Sequence[Sealed] = (),
        at: datetime | None = None,
    ) -> None:
        """One audit row for the action under way, inside its transaction, after its writes: it seals
        the rows of covered tables the action wrote (`sealed`, seals.py). `at`: the time of the
        event it records (verify requires the two to agree), else now."""
        row_hash = write_audit(
            self.db, at or self.clock.now(), staff_id, action, subject, subject_id, detail, sealed
        )
        self.written_by_this_desk.add(row_hash)
