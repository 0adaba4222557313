"""What every service of the desk shares: the database, the clock, the staff check, the audit row.

One StoreContext per Desk; each service (sessions, patients, accounts, ...) takes it, and any other
service it needs, in its constructor.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from peewee import Database

from desk_app.domain.clock import Clock
from desk_app.domain.credentials import SecretHasher
from desk_app.domain.dates import local_today
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.people import Role, Staff
from desk_app.domain.permissions import PermissionRefused, Permissions
from desk_app.domain.pre_use_check import PreUseChecklist
from desk_app.domain.procedure import Procedure, parse_procedure
from desk_app.store.audit import write_audit
from desk_app.store.errors import log_refusal, store_errors
from desk_app.store.models import ProcedureVersionRow, StaffRow
from desk_app.store.rows import ANY_ID, CompiledQuery, Read, source_digest, staff_from_row
from desk_app.store.seals import Sealed


class Service:
    """A group of the desk's actions (sessions, patients, ...): each public method is one call to the
    store, which the window runs on its database worker (ui.db_worker.OnWorker)."""


class StoreContext:
    """One desk's database and settings, with the helpers every group of actions uses."""

    def __init__(
        self,
        db: Database,
        procedure: Procedure,
        clock: Clock,
        hasher: SecretHasher,
        permissions: Permissions,
        pre_use_checklist: PreUseChecklist,
    ) -> None:
        self.db = db
        self.procedure = procedure  # the clinic's current version, for new sessions
        self.clock = clock
        self.hasher = hasher
        self.permissions = permissions
        self.pre_use_checklist = pre_use_checklist  # the clinic's current version, for new checks
        # The hashes of the audit rows this desk wrote: how it tells its own writes from another desk's.
        self.written_by_this_desk: set[str] = set()
        # This PC's own backup folder, from its settings, given by the composition root (the store
        # reads no settings): over the clinic's details' folder, for this PC's backups and checkpoints.
        self.this_pc_backup_folder: Path | None = None
        self._compiled_queries: dict[str, CompiledQuery] = {}
        self._procedures: dict[str, Procedure] = {}
        # Reads an action sent ahead, (sql, params) -> rows: each thread's own (a long job on a
        # thread of its own shares this context, never the worker's transaction).
        self._read_ahead = threading.local()

    def compiled(self, name: str, query_for: Callable[[list[int]], Any]) -> CompiledQuery:
        """The query (for one id, or for none), its SQL built once by this desk (see CompiledQuery)."""
        if name not in self._compiled_queries:
            self._compiled_queries[name] = CompiledQuery(query_for([ANY_ID]))
        return self._compiled_queries[name]

    @contextmanager
    def reading_ahead(self) -> Iterator[None]:
        """An action's block in which reads sent ahead with its first ones (read_ahead) are found
        by `rows` instead of being asked of the server again; forgotten at the block's end."""
        try:
            yield
        finally:
            self._read_ahead.rows = {}

    def read_ahead(self, reads: Sequence[Read], answers: Sequence[Any]) -> None:
        """The answers to `reads`, sent after the write lock (nobody else writes meanwhile, so they
        stand for the rest of the action), inside reading_ahead."""
        answered = zip(reads, answers, strict=True)
        self._read_ahead.rows = {(read.sql, read.params): read.rows_from(answer) for read, answer in answered}

    def rows(self, read: Read) -> list[Any]:
        """The read's rows: sent ahead (reading_ahead), or read now."""
        ahead = getattr(self._read_ahead, "rows", {}).get((read.sql, read.params))
        if ahead is not None:
            return ahead
        return read.rows_from(self.db.execute_sql(read.sql, list(read.params)))

    def today(self) -> date:
        """The clinic's calendar day now (the PC's time zone)."""
        return local_today(self.clock.now())

    def audit(
        self,
        action: str,
        staff_id: int | None,
        subject: str,
        subject_id: int | None = None,
        detail: dict[str, Any] | None = None,
        sealed: Sequence[Sealed] = (),
        at: datetime | None = None,
        head: tuple[int, str] | None = None,
    ) -> None:
        """One audit row for the action under way, inside its transaction, after its writes: it seals
        the rows of covered tables the action wrote (`sealed`, seals.py). `at`: the time of the
        event it records (verify requires the two to agree), else now. `head`: see write_audit."""
        row_hash = write_audit(
            self.db, at or self.clock.now(), staff_id, action, subject, subject_id, detail, sealed, head
        )
        self.written_by_this_desk.add(row_hash)

    @store_errors
    def staff(self, staff_id: int) -> Staff:
        """An active member of staff, read at the start of every action (its SQL built once)."""
        return self.active_staff(self.staff_query().rows(self.db, staff_id))

    def staff_query(self) -> CompiledQuery:
        return self.compiled("staff", lambda ids: StaffRow.select().where(StaffRow.id == ids[0]))

    @staticmethod
    def active_staff(rows: list[StaffRow]) -> Staff:
        """The member of staff staff_query found, refused if not found or no longer active."""
        row = rows[0] if rows else None
        if row is None or not row.active:
            raise ActionRefused("That member of staff is not known or no longer active.")
        return staff_from_row(row)

    @store_errors
    def list_staff(self) -> list[Staff]:
        """Every active member of staff, by name."""
        rows = StaffRow.select().where(StaffRow.active == True).order_by(StaffRow.name, StaffRow.id)  # noqa: E712
        return [staff_from_row(row) for row in rows]

    def require_administrator(self, staff_id: int) -> Staff:
        member = self.staff(staff_id)
        if member.role is not Role.ADMINISTRATOR:
            raise ActionRefused(f"Only an administrator may do this; {member.name} is a {member.role.value}.")
        return member

    def procedure_for(self, row: ProcedureVersionRow) -> Procedure:
        """The procedure version a session ran, parsed once per desk."""
        if row.sha256 == source_digest(self.procedure.source):
            return self.procedure
        if row.sha256 not in self._procedures:
            name = f"stored {row.procedure_id} version {row.version}"
            self._procedures[row.sha256] = parse_procedure(row.source, name, authoring=False)
        return self._procedures[row.sha256]

    @contextmanager
    def refusals_audited(
        self,
        staff_id: int | None,
        action: str,
        subject_id: int | None,
        item_id: str | None = None,
        subject: str = "session",
    ) -> Iterator[None]:
        """Audit a permission refusal once the refused action's transaction has rolled back: about a
        session (and an item of it), or another subject such as a laser device."""
        about = f"{subject} {subject_id}{f', item {item_id}' if item_id else ''}, staff {staff_id}"
        try:
            yield
        except PermissionRefused as refusal:
            with self.db.atomic():
                detail = {"action": action, "item": item_id, "why": str(refusal)}
                self.audit("refused: not permitted", staff_id, subject, subject_id, detail)
            log_refusal(refusal, action, about)
            raise
        except (ActionRefused, ValidationError) as refusal:
            log_refusal(refusal, action, about)
            raise
