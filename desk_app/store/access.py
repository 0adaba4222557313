"""Who read what: an audit row each time a member of staff opens a patient's record or searches the
register (HIPAA 164.312(b) asks for the reads as well as the writes).

A service of Desk (desk.access). The window calls these at the moment a nurse opens a page or
settles on a search; the store's own reads (Patients.patient, patient_history, search_patients) write
nothing, since actions and the periodic refreshes use them too. A search row says how many were
found, never what was typed: the words are a patient's name.
"""

from __future__ import annotations

from desk_app.domain.access import Opened
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.store.audit_actions import PATIENTS_SEARCHED, RECORD_OPENED
from desk_app.store.context import Service, StoreContext
from desk_app.store.errors import store_errors
from desk_app.store.models import PatientRow, SessionRow


class Access(Service):
    """The access trail: who opened or searched what."""

    def __init__(self, context: StoreContext) -> None:
        self._context = context

    @store_errors
    def record_access(
        self, staff_id: int, patient_id: int, opened: Opened, session_id: int | None = None
    ) -> None:
        """One audit row: this member of staff opened this patient's record (a session of it)."""
        if opened not in set(Opened):
            raise ValidationError(f"{opened!r} is not something a member of staff opens.")
        with self._context.db.atomic():
            self._context.staff(staff_id)
            if PatientRow.get_or_none(PatientRow.id == patient_id) is None:
                raise ActionRefused("That patient is not known.")
            if session_id is not None:
                session = SessionRow.get_or_none(SessionRow.id == session_id)
                if session is None or session.patient_id != patient_id:
                    raise ActionRefused(f"Session {session_id} is not a session of that patient.")
            detail = {"opened": Opened(opened).value, "session": session_id}
            self._context.audit(RECORD_OPENED, staff_id, "patient", patient_id, detail)

    @store_errors
    def record_search(self, staff_id: int, found: int, more: bool) -> None:
        """One audit row for a search the member of staff settled on: how many patients it listed
        (`more`: the list filled its page, so more may match), never the words typed."""
        if isinstance(found, bool) or not isinstance(found, int) or found < 0:
            raise ValidationError("A search finds a whole number of patients, 0 or more.")
        with self._context.db.atomic():
            self._context.staff(staff_id)
            self._context.audit(
                PATIENTS_SEARCHED, staff_id, "patient_search", None, {"found": found, "more": bool(more)}
            )
