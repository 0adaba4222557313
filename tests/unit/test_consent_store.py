"""Signed consents in the store (issue 21 point 1): signed on the pad, witnessed with a PIN, the
session's consent item ticked with it, the digest in the audit trail, withdrawal a recorded event, and
strokes or an image changed outside the app found by `audit verify`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from peewee import Database

from desk_app import cli
from desk_app.domain.clock import ManualClock
from desk_app.domain.consent import Signature, consent_digest
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.people import Staff
from desk_app.domain.permissions import PermissionRefused
from desk_app.domain.procedure import Procedure
from desk_app.domain.refusals import SignInRefused
from desk_app.store import migrations
from desk_app.store.audit import verify_audit
from desk_app.store.consents import Consents
from desk_app.store.database import open_database
from desk_app.store.demo_signatures import scribble
from desk_app.store.desk import Desk
from desk_app.store.models import AuditLog, ConsentRow, ConsentWithdrawalRow
from tests.support.people import FAST_HASHER, PIN, WRONG_PIN, add_member
from tests.support.pg_databases import desk_address, emptied_postgres_database, owner_address
from tests.support.pg_server import DESK
from tests.support.raw_sql import run_sql
from tests.unit.test_audit_seals import drop_triggers, last_sealed_by

pytestmark = pytest.mark.both_databases


@pytest.fixture
def patient_id(desk: Desk, nurse: Staff) -> int:
    return desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-0001", nurse.id).id


def sign(desk: Desk, patient_id: int, session_id: int | None, witness: Staff, **change: object):  # noqa: ANN201
    values = {
        "form_version": desk.consents.current_form().version,
        "signature": scribble(patient_id),
        "photos_allowed": True,
        "witness_id": witness.id,
        "witness_pin": PIN,
    } | change
    return desk.consents.sign(patient_id, session_id, **values)


def consent_item(desk: Desk, session_id: int):  # noqa: ANN201
    return desk.sessions.session(session_id).state(desk.clock.now()).items["consent"]


def test_a_consent_signed_at_sign_in_is_kept_and_ticks_the_sessions_consent_item(
    desk: Desk, nurse: Staff, patient_id: int
) -> None:
    session_id = desk.sessions.start_session(patient_id, nurse.id).id
    signature = scribble(5)
    consent = sign(desk, patient_id, session_id, nurse, signature=signature, photos_allowed=False)
    form = desk.consents.current_form()
    assert (consent.patient_id, consent.session_id, consent.form_version) == (
        patient_id,
        session_id,
        form.version,
    )
    assert (consent.witness_name, consent.photos_allowed, consent.in_force) == ("Ann Nurse", False, True)
    assert consent.svg == signature.svg()
    assert consent.digest == consent_digest(
        signature.to_json(), signature.svg(), form, patient_id, session_id, consent.signed_at, nurse.id, False
    )
    tick = consent_item(desk, session_id).tick
    assert tick is not None and tick.values == {"form_version": form.version} and tick.staff_id == nurse.id
    signed = AuditLog.get((AuditLog.action == "consent signed") & (AuditLog.subject_id == consent.id))
    assert json.loads(signed.detail)["sha256"] == consent.digest
    assert desk.consents.consents_of(patient_id) == [consent]
    assert desk.consents.consent_in_force(patient_id) == consent
    assert desk.consents.consent_for_session(session_id) == consent
    stored = ConsentRow.get_by_id(consent.id)
    assert Signature.from_json(stored.strokes) == signature
    assert stored.form_text == form.text
    assert verify_audit(desk.db).ok


@pytest.mark.postgresql_for("Wrong PIN")
@pytest.mark.parametrize(
    ("change", "refusal", "said"),
    [
        ({"witness_pin": WRONG_PIN}, SignInRefused, "Wrong PIN"),
        ({"form_version": "0.9"}, ActionRefused, "The consent form is now version 1.0, not 0.9"),
    ],
)
def test_a_wrong_pin_or_an_outdated_form_keeps_nothing(
    desk: Desk, nurse: Staff, patient_id: int, change: dict, refusal: type, said: str
) -> None:
    session_id = desk.sessions.start_session(patient_id, nurse.id).id
    with pytest.raises(refusal, match=said):
        sign(desk, patient_id, session_id, nurse, **change)
    assert ConsentRow.select().count() == 0
    assert consent_item(desk, session_id).tick is None


def test_an_administrator_cannot_witness_and_a_session_must_be_the_patients_and_in_progress(
    desk: Desk, admin: Staff, nurse: Staff, patient_id: int
) -> None:
    other = desk.patients.register_patient("Ann", "Other", "1980-01-01", "AZ-0002", nurse.id).id
    others_session = desk.sessions.start_session(other, nurse.id).id
    with pytest.raises(PermissionRefused, match="witness a patient's consent"):
        sign(desk, patient_id, None, admin)
    with pytest.raises(ActionRefused, match="not this patient's"):
        sign(desk, patient_id, others_session, nurse)
    desk.sessions.abort(others_session, "Patient left", nurse.id)
    with pytest.raises(ActionRefused, match="Session 1 has ended"):
        sign(desk, other, others_session, nurse)
    assert ConsentRow.select().count() == 0


def test_a_consent_item_ticked_by_hand_stays_as_it_was(desk: Desk, nurse: Staff, patient_id: int) -> None:
    session_id = desk.sessions.start_session(patient_id, nurse.id).id
    desk.sessions.tick(session_id, "consent", {"form_version": "CF-LASER v3"}, nurse.id)
    consent = sign(desk, patient_id, session_id, nurse)
    assert desk.consents.consent_for_session(session_id) == consent
    assert consent_item(desk, session_id).tick.values == {"form_version": "CF-LASER v3"}


def test_withdrawal_is_a_recorded_event_beside_the_signed_consent(
    desk: Desk, nurse: Staff, clinician: Staff, patient_id: int, clock: ManualClock
) -> None:
    consent = sign(desk, patient_id, None, nurse)
    clock.advance(days=2)
    with pytest.raises(ValidationError, match="please fill this in"):
        desk.consents.withdraw(consent.id, "  ", clinician.id)
    withdrawn = desk.consents.withdraw(consent.id, "Changed her mind after reading more", clinician.id)
    assert (withdrawn.withdrawn_at, withdrawn.withdrawn_by_name) == (clock.now(), "Dr Clive Doctor")
    assert withdrawn.withdrawal_reason == "Changed her mind after reading more" and not withdrawn.in_force
    assert replace(withdrawn, withdrawn_at=None, withdrawn_by_name=None, withdrawal_reason=None) == consent
    assert desk.consents.consents_of(patient_id) == [withdrawn]
    assert desk.consents.consent_in_force(patient_id) is None
    row = AuditLog.select().order_by(AuditLog.id.desc()).get()
    assert (row.action, row.subject_id, row.staff_id) == ("consent withdrawn", consent.id, clinician.id)
    with pytest.raises(ActionRefused, match="withdrawn already"):
        desk.consents.withdraw(consent.id, "Again", clinician.id)
    assert verify_audit(desk.db).ok


def test_the_session_is_covered_by_the_consent_in_force_when_it_started(
    desk: Desk, nurse: Staff, patient_id: int, clock: ManualClock
) -> None:
    first = sign(desk, patient_id, None, nurse)
    clock.advance(days=30)
    covered = desk.sessions.start_session(patient_id, nurse.id).id
    desk.sessions.abort(covered, "Patient felt unwell", nurse.id)
    clock.advance(days=1)
    desk.consents.withdraw(first.id, "Does not want more sessions", nurse.id)
    clock.advance(days=1)
    uncovered = desk.sessions.start_session(patient_id, nurse.id).id
    assert desk.consents.consent_for_session(covered).id == first.id  # withdrawn since: still covered it
    assert desk.consents.consent_for_session(uncovered) is None
    again = sign(desk, patient_id, None, nurse)  # signed during it, from the patient's page
    assert desk.consents.consent_for_session(uncovered) == again
    assert [consent.id for consent in desk.consents.consents_of(patient_id)] == [again.id, first.id]


def test_a_new_version_of_the_form_needs_a_new_signature(desk: Desk, nurse: Staff, patient_id: int) -> None:
    sign(desk, patient_id, None, nurse)
    form = desk.consents.current_form()
    reworded = Consents(desk._context, desk.accounts, desk.sessions, replace(form, version="1.1"))
    assert reworded.consent_in_force(patient_id) is None
    with pytest.raises(ActionRefused, match="now version 1.1, not 1.0"):
        reworded.sign(patient_id, None, form.version, scribble(2), True, nurse.id, PIN)


@pytest.mark.parametrize("table", ["consent", "consent_withdrawal"])
def test_the_database_refuses_to_change_or_remove_a_consent_or_its_withdrawal(
    desk: Desk, nurse: Staff, patient_id: int, table: str
) -> None:
    consent = sign(desk, patient_id, None, nurse)
    desk.consents.withdraw(consent.id, "Moved away", nurse.id)
    for statement in (f"UPDATE {table} SET id = id WHERE id > 0", f"DELETE FROM {table} WHERE id > 0"):
        with pytest.raises(Exception, match="append-only"), desk.db.atomic():
            run_sql(desk.db, statement)


@pytest.mark.postgresql_for("svg")
@pytest.mark.parametrize(
    ("column", "forged"),
    [("strokes", scribble(99).to_json()), ("svg", scribble(99).svg()), ("photos_allowed", True)],
)
def test_verify_finds_a_signed_consent_changed_outside_the_app(
    desk: Desk, nurse: Staff, patient_id: int, column: str, forged: object
) -> None:
    consent = sign(desk, patient_id, None, nurse, photos_allowed=False)
    sign(desk, patient_id, None, nurse)
    drop_triggers(desk.db, "consent")
    run_sql(
        desk.db,
        f"UPDATE consent SET {column} = {desk.db.param} WHERE id = {desk.db.param}",
        (forged, consent.id),
    )
    assert verify_audit(desk.db).problem == (
        f"consent row {consent.id} was changed outside the app "
        f"(its last recorded change is audit row {last_sealed_by(desk.db, 'consent', consent.id)})"
    )


def test_verify_finds_a_withdrawal_removed_outside_the_app(desk: Desk, nurse: Staff, patient_id: int) -> None:
    consent = sign(desk, patient_id, None, nurse)
    desk.consents.withdraw(consent.id, "Moved away", nurse.id)
    withdrawal = ConsentWithdrawalRow.get().id
    drop_triggers(desk.db, "consent_withdrawal")
    run_sql(desk.db, "DELETE FROM consent_withdrawal")
    assert verify_audit(desk.db).problem == (
        f"consent_withdrawal row {withdrawal} was removed outside the app "
        f"(its last recorded change is audit row {last_sealed_by(desk.db, 'consent_withdrawal', withdrawal)})"
    )


@pytest.mark.sqlite_only
def test_migrate_to_carries_the_consents_still_sealed(
    db: Database, db_path: Path, nurse: Staff, patient_id: int, procedure: Procedure, clock: ManualClock
) -> None:
    desk = Desk(db, procedure, clock, FAST_HASHER)
    session_id = desk.sessions.start_session(patient_id, nurse.id).id
    signed = sign(desk, patient_id, session_id, nurse)
    desk.sessions.abort(session_id, "Moved away before the laser", nurse.id)
    withdrawn = desk.consents.withdraw(signed.id, "Moved away", nurse.id)
    db.close()
    pg_url = owner_address(emptied_postgres_database())
    assert cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(db_path)]) == 0
    target = open_database(desk_address(pg_url), create=False)
    try:
        assert verify_audit(target).ok  # each consent's seal: the same digest on the server
        on_server = Desk(target, procedure, clock, FAST_HASHER)
        assert on_server.consents.consent_for_session(session_id) == withdrawn
    finally:
        target.close()


@pytest.mark.sqlite_only
def test_a_file_from_before_consents_verifies_intact_and_takes_consents_once_opened(
    tmp_path: Path, procedure: Procedure, clock: ManualClock
) -> None:
    path = tmp_path / "before-consents.sqlite3"
    before = [name for name, _ in migrations.MIGRATIONS].index("signed consents")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:before])
        patch.setattr(migrations, "LATEST_VERSION", before)
        old = open_database(str(path))
        nurse = add_member(Desk(old, procedure, clock, FAST_HASHER), "Ann Nurse", "AN", "nurse")
        assert not old.table_exists("consent")
        assert verify_audit(old).ok
        old.close()
    db = open_database(str(path))
    try:
        desk = Desk(db, procedure, clock, FAST_HASHER)
        zoe = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-0001", nurse.id).id
        sign(desk, zoe, None, nurse)
        assert verify_audit(db).ok
    finally:
        db.close()


def test_a_withdrawal_waits_until_the_session_in_progress_is_stopped(
    desk: Desk, nurse: Staff, patient_id: int
) -> None:
    """No treatment goes on under a withdrawn consent: the session is stopped first, with the reason."""
    session_id = desk.sessions.start_session(patient_id, nurse.id).id
    signed = sign(desk, patient_id, session_id, nurse)
    with pytest.raises(ActionRefused, match="The patient has a session in progress: stop it first"):
        desk.consents.withdraw(signed.id, "She does not want the laser", nurse.id)
    assert desk.consents.consent_in_force(patient_id) == signed
    desk.sessions.abort(session_id, "The patient withdrew consent", nurse.id)
    assert not desk.consents.withdraw(signed.id, "She does not want the laser", nurse.id).in_force


def test_a_patient_who_withdrew_signs_again_before_the_consent_item_is_ticked(
    desk: Desk, nurse: Staff, patient_id: int
) -> None:
    """The item stays tickable by hand for a consent on paper (a patient who never signed in the
    app), never over a consent withdrawn in it."""
    withdrawn = sign(desk, patient_id, None, nurse)
    desk.consents.withdraw(withdrawn.id, "Wanted to think it over", nurse.id)
    session_id = desk.sessions.start_session(patient_id, nurse.id).id
    version = desk.consents.current_form().version
    with pytest.raises(ActionRefused, match="The patient withdrew their consent: they read and sign"):
        desk.sessions.tick(session_id, "consent", {"form_version": version}, nurse.id)
    assert consent_item(desk, session_id).tick is None
    sign(desk, patient_id, session_id, nurse)  # signed again: the item ticked with it
    assert consent_item(desk, session_id).tick is not None
