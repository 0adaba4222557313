"""The clinic's printed details (with every change kept) and the log of everything printed or exported.

A service of Desk (desk.clinic): it uses the desk's database, clock and staff check.
"""

from __future__ import annotations

import secrets

from desk_app.domain.clinic import (
    IDLE_LOCK_MINUTES,
    ClinicDetails,
    DocumentKind,
    PaperSize,
    PrintEntry,
    changed_details,
)
from desk_app.domain.errors import ValidationError
from desk_app.store.audit_actions import PRINT_ATTEMPTED, PRINT_NOT_SENT
from desk_app.store.context import Service, StoreContext
from desk_app.store.errors import store_errors
from desk_app.store.models import ClinicSetting, ClinicSettingChange, PrintLog
from desk_app.store.seals import Sealed

_PREFIX = "clinic."


def _paper(stored: str | None, default: PaperSize) -> PaperSize:
    try:
        return PaperSize(stored) if stored else default
    except ValueError:  # written by a newer version that knows more sizes
        return default


def _minutes(stored: str | None, default: int) -> int:
    low, high = IDLE_LOCK_MINUTES
    return int(stored) if stored and stored.isdigit() and low <= int(stored) <= high else default


class Clinic(Service):
    """The clinic's details and its print log."""

    def __init__(self, context: StoreContext) -> None:
        self._context = context

    @store_errors
    def clinic_details(self) -> ClinicDetails:
        """The clinic's details; a fresh database has the defaults until a manager sets them."""
        stored = {
            row.key.removeprefix(_PREFIX): row.value
            for row in ClinicSetting.select().where(ClinicSetting.key.startswith(_PREFIX))
        }
        defaults = ClinicDetails()
        return ClinicDetails(
            name=stored.get("name", defaults.name),
            address=stored.get("address", defaults.address),
            contact_line=stored.get("contact_line", defaults.contact_line),
            out_of_hours_line=stored.get("out_of_hours_line", defaults.out_of_hours_line),
            paper=_paper(stored.get("paper"), defaults.paper),
            idle_lock_minutes=_minutes(stored.get("idle_lock_minutes"), defaults.idle_lock_minutes),
            backup_folder=stored.get("backup_folder", defaults.backup_folder),
            countersignature_required=stored.get("countersignature_required") == "True",
        )

    def countersignature_required(self) -> bool:
        return self.clinic_details().countersignature_required

    @store_errors
    def update_clinic_details(self, details: ClinicDetails, staff_id: int) -> ClinicDetails:
        """Save checked details (see domain.clinic.checked_clinic_details); each change is kept."""
        with self._context.db.atomic():
            self._context.require_administrator(staff_id)
            changes = changed_details(self.clinic_details(), details)
            if not changes:
                raise ValidationError("Nothing was changed.")
            now = self._context.clock.now()
            sealed: list[Sealed] = []
            for key, old, new in changes:
                change = ClinicSettingChange.create(
                    staff=staff_id, at=now, key=key, old_value=old, new_value=new
                )
                ClinicSetting.insert(key=_PREFIX + key, value=new).on_conflict(
                    conflict_target=[ClinicSetting.key], update={ClinicSetting.value: new}
                ).execute()
                sealed += [(ClinicSettingChange, change.id), (ClinicSetting, _PREFIX + key)]
            detail = {"changes": changes}
            self._context.audit("clinic details changed", staff_id, "clinic_setting", None, detail, sealed)
        return details

    @store_errors
    def record_print_attempt(
        self,
        document: DocumentKind,
        patient_id: int,
        session_id: int | None,
        printer: str,
        pages: int,
        staff_id: int,
    ) -> str:
        """A print to paper about to be sent, in the audit trail before its pages leave the PC; its
        outcome follows (record_print with `attempt`, or record_print_not_sent). Returns the attempt's
        mark, which the outcome names: a trail with an attempt and no outcome tells of a print whose
        app ended while sending."""
        attempt = secrets.token_hex(8)
        with self._context.db.atomic():
            staff = self._context.staff(staff_id)
            what = {"document": document.value, "session": session_id, "pages": pages}
            where = {"printer": printer, "printed_by": staff.name, "attempt": attempt}
            self._context.audit(PRINT_ATTEMPTED, staff_id, "patient", patient_id, what | where)
        return attempt

    @store_errors
    def record_print_not_sent(
        self, attempt: str, patient_id: int, printer: str, reason: str, staff_id: int
    ) -> None:
        """The printer did not take an attempted print: in the trail, never in the print log."""
        with self._context.db.atomic():
            self._context.staff(staff_id)
            detail = {"attempt": attempt, "printer": printer, "reason": reason}
            self._context.audit(PRINT_NOT_SENT, staff_id, "patient", patient_id, detail)

    @store_errors
    def record_print(
        self,
        document: DocumentKind,
        patient_id: int,
        session_id: int | None,
        destination: str,
        pages: int,
        printed_by: str,
        staff_id: int | None,
        attempt: str | None = None,
        held: str | None = None,
    ) -> None:
        """Log a print or an export: an export before the file is handed over; a print to paper
        once the printer took it (`attempt`: its attempt, logged before; `held`: why the printer's
        queue holds it, a pause)."""
        with self._context.db.atomic():
            if staff_id is not None:
                self._context.staff(staff_id)
            row = PrintLog.create(
                at=self._context.clock.now(),
                document=document.value,
                patient=patient_id,
                session=session_id,
                destination=destination,
                pages=pages,
                printed_by=printed_by,
                staff=staff_id,
            )
            what = {"document": document.value, "patient": patient_id, "session": session_id, "pages": pages}
            where: dict[str, str | None] = {"destination": destination, "printed_by": printed_by}
            if attempt is not None:
                where |= {"attempt": attempt, "held": held}
            action = "exported" if destination.startswith("PDF ") else "printed"
            self._context.audit(action, staff_id, "print_log", row.id, what | where, [(PrintLog, row.id)])

    @store_errors
    def print_log(self, patient_id: int) -> list[PrintEntry]:
        """Everything printed or exported about a patient, oldest first."""
        rows = PrintLog.select().where(PrintLog.patient == patient_id).order_by(PrintLog.id)
        return [
            PrintEntry(
                at=row.at,
                document=DocumentKind(row.document),
                patient_id=row.patient_id,
                session_id=row.session_id,
                destination=row.destination,
                pages=row.pages,
                printed_by=row.printed_by,
            )
            for row in rows
        ]
