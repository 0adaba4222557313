"""What a member of staff opened, as the access trail records it (store.access writes the rows)."""

from __future__ import annotations

from enum import StrEnum

from desk_app.domain.clinic import DocumentKind


class Opened(StrEnum):
    """What a member of staff opened: kept in the audit row's detail."""

    PATIENT_PAGE = "patient page"
    SESSION = "session"
    SESSION_RECORD_PREVIEW = "session record preview"
    AFTERCARE_SHEET_PREVIEW = "aftercare sheet preview"
    PATIENT_HISTORY_PREVIEW = "patient history preview"
    CONSENT_PREVIEW = "consent preview"

    @classmethod
    def preview_of(cls, kind: DocumentKind) -> Opened:
        """The print preview of a document: it shows the record as a page does."""
        return cls(f"{kind.value} preview")
