"""Issue 17 point 6 at the store: an opening or a search is one chained audit row naming who, which
patient (and session), what was opened or how many were found; bad input is refused and writes
nothing; the store's own reads, which actions and refreshes use, write nothing."""

from __future__ import annotations

import json

import pytest
from peewee import Database

from desk_app.domain.access import Opened
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.people import Staff
from desk_app.store.access import PATIENTS_SEARCHED, RECORD_OPENED
from desk_app.store.desk import Desk
from desk_app.store.models import AuditLog
from tests.support.people import add_member
from tests.unit.test_store_desk import count


@pytest.mark.both_databases
def test_an_opening_and_a_search_are_chained_rows_and_the_stores_own_reads_write_none(
    desk: Desk, db: Database, nurse: Staff
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    session_id = desk.sessions.start_session(patient.id, nurse.id).id
    before = count(db, "audit_log")
    desk.patients.patient(patient.id)
    desk.sessions.patient_history(patient.id)
    desk.sessions.session(session_id)
    desk.patients.search_patients("zoe")
    assert count(db, "audit_log") == before

    desk.access.record_access(nurse.id, patient.id, Opened.SESSION, session_id)
    desk.access.record_search(nurse.id, 50, more=True)
    opened, searched = AuditLog.select().where(AuditLog.id > before).order_by(AuditLog.id)
    assert (opened.action, opened.staff_id, opened.subject, opened.subject_id) == (
        RECORD_OPENED,
        nurse.id,
        "patient",
        patient.id,
    )
    assert json.loads(opened.detail) == {"opened": "session", "session": session_id}
    assert (searched.action, searched.staff_id, searched.subject_id) == (PATIENTS_SEARCHED, nurse.id, None)
    assert json.loads(searched.detail) == {"found": 50, "more": True}
    assert desk.audit.verify_audit().ok


def test_an_opening_of_an_unknown_record_or_by_someone_gone_is_refused_and_writes_nothing(
    desk: Desk, db: Database, nurse: Staff, admin: Staff
) -> None:
    zoe = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    jose = desk.patients.register_patient("José", "Núñez", "1985-07-14", "AZ-00002", nurse.id)
    session_id = desk.sessions.start_session(zoe.id, nurse.id).id
    leaver = add_member(desk, "Lee Leaver", "LL", "nurse", laser_operator=False)
    desk.accounts.update_staff(leaver.id, "nurse", False, admin.id)
    before = count(db, "audit_log")
    refused = [
        (lambda: desk.access.record_access(nurse.id, 9999, Opened.PATIENT_PAGE), ActionRefused, "not known"),
        (
            lambda: desk.access.record_access(nurse.id, jose.id, Opened.SESSION, session_id),
            ActionRefused,
            f"Session {session_id} is not a session of that patient.",
        ),
        (lambda: desk.access.record_access(nurse.id, zoe.id, "a peek"), ValidationError, "not something"),
        (
            lambda: desk.access.record_access(leaver.id, zoe.id, Opened.PATIENT_PAGE),
            ActionRefused,
            "no longer",
        ),
        (lambda: desk.access.record_search(nurse.id, -1, more=False), ValidationError, "0 or more"),
        (lambda: desk.access.record_search(leaver.id, 3, more=False), ActionRefused, "no longer"),
    ]
    for attempt, error, message in refused:
        with pytest.raises(error, match=message):
            attempt()
    assert count(db, "audit_log") == before
