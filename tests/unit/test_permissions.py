"""Who may do what, enforced by the store: an administrator ticks no clinical item; only an authorised
laser operator, on a day their authorisation holds, does the laser items of the time-out, the passes
and the sign-out; every refusal changes nothing but its audit row; signing takes the PIN at that
moment and stores the signature's printed name, role and meaning."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from peewee import Database

from desk_app.domain.clock import ManualClock
from desk_app.domain.dates import local_today
from desk_app.domain.errors import ActionRefused, ProcedureError, ValidationError
from desk_app.domain.people import Patient, Staff
from desk_app.domain.permissions import PermissionRefused, parse_permissions
from desk_app.domain.procedure import Procedure
from desk_app.domain.refusals import PinChangeNeeded, SignInRefused
from desk_app.domain.session import EventKind
from desk_app.paths import PERMISSIONS_FILE, resource_path
from desk_app.store.desk import Desk
from tests.support.lasers import with_test_laser
from tests.support.people import LEGACY_PIN, PIN, WRONG_PIN, add_member, give_legacy_pin
from tests.support.raw_sql import run_sql
from tests.support.seal_rows import unsealed
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT, tick_all

pytestmark = pytest.mark.both_databases

WALK = {**SIGN_IN, **ANAESTHETIC, **TIME_OUT, **LASER, **SIGN_OUT}
LASER_ITEMS = {"patient_eye_protection", "staff_eyewear", "cool_air", "settings_read_back", *LASER, *SIGN_OUT}


@pytest.fixture
def zoe(desk: Desk, nurse: Staff) -> Patient:
    return desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-0001", nurse.id)


def counts(db: Database) -> tuple[int, int]:
    """(session events, audit rows)."""
    events = run_sql(db, "SELECT count(*) FROM session_event").fetchone()[0]
    return events, run_sql(db, "SELECT count(*) FROM audit_log").fetchone()[0]


def last_audit(db: Database) -> tuple[str, dict]:
    action, detail = run_sql(db, "SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return action, unsealed(detail)


def ready_for(desk: Desk, clock: ManualClock, zoe: Patient, nurse: Staff, item_id: str) -> int:
    """A session with every item before `item_id` done by the (authorised) nurse."""
    session_id = desk.sessions.start_session(zoe.id, nurse.id).id
    for done, values in WALK.items():
        if done == item_id:
            break
        if done == "identity_read_back":
            clock.advance(minutes=61)
        desk.sessions.tick(session_id, done, with_test_laser(desk, values, nurse.id), nurse.id)
    return session_id


def test_the_permissions_file_gives_every_item_a_clearance_the_clinic_can_read(procedure: Procedure) -> None:
    permissions = parse_permissions(
        resource_path(PERMISSIONS_FILE).read_text(), "permissions.toml", procedure
    )
    laser = {
        item.id for item in procedure.all_items() if permissions.needs(item.id).value == "laser operator"
    }
    assert laser == LASER_ITEMS | {"operator_sign_out"}
    assert not permissions.roles[
        next(role for role in permissions.roles if role.value == "administrator")
    ].clinical
    assert all(rules.may for rules in permissions.roles.values())


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda text: text.replace('staff_eyewear = "laser operator"', 'staff_eyewar = "laser operator"'),
            "staff_eyewar",
        ),
        (lambda text: text.replace('sign_in = "clinical"\n', ""), "no clearance for item 'identity'"),
        (
            lambda text: text.replace('laser = "laser operator"', 'laser = "anyone"'),
            "say 'clinical' or 'laser operator'",
        ),
        (
            lambda text: text.replace("clinical = false", "clinical = true", 1),
            "administrators tick no clinical item",
        ),
        (lambda text: text + "\n[roles.porter]\nclinical = false\n", "unknown roles: porter"),
    ],
    ids=[
        "unknown item",
        "item without clearance",
        "unknown clearance",
        "clinical administrator",
        "unknown role",
    ],
)
def test_a_permissions_file_the_app_cannot_follow_is_refused_naming_the_problem(
    procedure: Procedure, change, problem: str
) -> None:  # noqa: ANN001
    text = change(resource_path(PERMISSIONS_FILE).read_text())
    with pytest.raises(ProcedureError, match=problem):
        parse_permissions(text, "permissions.toml", procedure)


def test_an_administrator_can_tick_no_clinical_item_and_each_refusal_is_audited(
    desk: Desk, db: Database, clock: ManualClock, admin: Staff, zoe: Patient
) -> None:
    session_id = desk.sessions.start_session(zoe.id, admin.id).id  # running the board is theirs
    for item_id, values in WALK.items():
        before = counts(db)
        refused = "an administrator or receptionist, and only nurses and clinicians"
        with pytest.raises(PermissionRefused, match=refused):
            desk.sessions.tick(session_id, item_id, values, admin.id)
        assert counts(db) == (before[0], before[1] + 1)  # no event; one audit row for the refusal
        assert last_audit(db) == (
            "refused: not permitted",
            {"action": "tick", "item": item_id, "why": desk.operators.may_tick(admin.id, item_id)},
        )
    with pytest.raises(PermissionRefused):
        desk.sessions.sign_out(session_id, admin.id, PIN)
    with pytest.raises(PermissionRefused, match="only a nurse or a clinician may stop a treatment"):
        desk.sessions.abort(session_id, "Patient left", admin.id)
    assert [event.kind for event in desk.sessions.session(session_id).events] == [EventKind.COURSE]


def test_a_nurse_who_is_not_authorised_does_sign_in_and_gel_but_not_the_laser(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, zoe: Patient
) -> None:
    trainee = add_member(desk, "Tia Trainee", "TT", "nurse", laser_operator=False)
    session_id = desk.sessions.start_session(zoe.id, trainee.id).id
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, trainee.id)
    clock.advance(minutes=61)
    tick_all(desk, session_id, {"identity_read_back": {}, "gel_removed": {}}, trainee.id)
    for item_id in ("patient_eye_protection", "staff_eyewear", "cool_air", "settings_read_back"):
        with pytest.raises(PermissionRefused, match="Only an authorised laser operator.*Ctrl\\+Shift\\+S"):
            desk.sessions.tick(session_id, item_id, TIME_OUT[item_id], trainee.id)
    tick_all(
        desk,
        session_id,
        {key: TIME_OUT[key] for key in TIME_OUT if key not in ("identity_read_back", "gel_removed")},
        nurse.id,
    )
    with pytest.raises(PermissionRefused, match="Only an authorised laser operator"):
        desk.sessions.tick(session_id, "fractional_pass", LASER["fractional_pass"], trainee.id)
    tick_all(desk, session_id, {**LASER, **SIGN_OUT}, nurse.id)
    with pytest.raises(PermissionRefused, match="Only an authorised laser operator"):
        desk.sessions.sign_out(session_id, trainee.id, PIN)
    with pytest.raises(PermissionRefused):
        desk.sessions.correct(session_id, "full_beam_pass", "Wrong beam", trainee.id)
    desk.sessions.sign_out(session_id, nurse.id, PIN)


def test_an_authorisation_that_expired_yesterday_no_longer_lets_a_nurse_record_a_pass(
    desk: Desk, clock: ManualClock, admin: Staff, zoe: Patient
) -> None:
    operator = add_member(desk, "Opal Operator", "OO", "nurse", laser_operator=False)
    today = local_today(clock.now())
    desk.operators.grant_laser_authorisation(
        operator.id, today - timedelta(days=300), today + timedelta(days=1), admin.id
    )
    session_id = ready_for(desk, clock, zoe, operator, "fractional_pass")
    clock.advance(days=2)  # the expiry was yesterday
    with pytest.raises(PermissionRefused, match="laser authorisation expired on"):
        desk.sessions.tick(session_id, "fractional_pass", LASER["fractional_pass"], operator.id)


def test_granting_and_withdrawing_are_an_administrators_checked_and_audited(
    desk: Desk, db: Database, clock: ManualClock, admin: Staff, nurse: Staff
) -> None:
    trainee = add_member(desk, "Tia Trainee", "TT", "nurse", laser_operator=False)
    today = local_today(clock.now())
    refused = {
        "in the future": (today + timedelta(days=1), today + timedelta(days=300)),
        "has passed already": (today - timedelta(days=400), today),
        "at most 5 years": (today - timedelta(days=10), today + timedelta(days=6 * 365)),
    }
    for message, (trained, expires) in refused.items():
        with pytest.raises(ValidationError, match=message):
            desk.operators.grant_laser_authorisation(trainee.id, trained, expires, admin.id)
    with pytest.raises(ActionRefused):
        desk.operators.grant_laser_authorisation(trainee.id, today, today + timedelta(days=300), nurse.id)
    with pytest.raises(ValidationError, match="administrator: only a nurse or a clinician"):
        desk.operators.grant_laser_authorisation(admin.id, today, today + timedelta(days=300), admin.id)
    assert desk.operators.laser_authorisation(trainee.id) is None

    granted = desk.operators.grant_laser_authorisation(
        trainee.id, today, today + timedelta(days=300), admin.id
    )
    assert (granted.trained_on, granted.expires_on, granted.granted_by) == (
        today,
        today + timedelta(days=300),
        admin.name,
    )
    assert last_audit(db)[0] == "laser authorisation granted"
    assert trainee in desk.operators.authorised_operators()
    desk.operators.withdraw_laser_authorisation(trainee.id, "Left the laser rota", admin.id)
    assert last_audit(db) == (
        "laser authorisation withdrawn",
        {"staff": trainee.id, "reason": "Left the laser rota"},
    )
    assert (
        desk.operators.laser_authorisation(trainee.id) is None
        and trainee not in desk.operators.authorised_operators()
    )


def test_signing_takes_the_operators_pin_at_that_moment_and_stores_the_signature(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, zoe: Patient
) -> None:
    session_id = ready_for(desk, clock, zoe, nurse, "operator_sign_out")
    before = counts(db)
    with pytest.raises(SignInRefused, match="Wrong PIN"):
        desk.sessions.sign_out(session_id, nurse.id, WRONG_PIN)
    assert counts(db) == (before[0], before[1] + 1)  # the failed PIN is audited; nothing is signed
    with pytest.raises(ActionRefused, match="needs the operator's PIN"):
        desk.sessions.tick(session_id, "operator_sign_out", {}, nurse.id)

    record = desk.sessions.sign_out(session_id, nurse.id, PIN)

    signed = record.events[-1]
    assert signed.values == {
        "signature": {
            "name": "Ann Nurse",
            "role": "nurse",
            "laser_operator": True,
            "meaning": "I performed this treatment as recorded here.",
        }
    }
    assert signed.at == clock.now() and desk.sessions.sessions_in_progress() == []


def test_a_clinic_may_require_a_clinicians_countersignature_with_their_pin(
    desk: Desk, clock: ManualClock, admin: Staff, nurse: Staff, clinician: Staff, zoe: Patient
) -> None:
    desk.clinic.update_clinic_details(
        replace(desk.clinic.clinic_details(), countersignature_required=True), admin.id
    )
    session_id = ready_for(desk, clock, zoe, nurse, "operator_sign_out")
    other_nurse = add_member(desk, "Nia Nurse", "NN", "nurse")
    for countersigner, pin, problem in (
        (None, None, "asks a clinician to countersign"),
        (nurse.id, PIN, "cannot be countersigned by the person who signed it"),
        (other_nurse.id, PIN, "only a clinician may countersign"),
        (clinician.id, WRONG_PIN, "Wrong PIN"),
    ):
        with pytest.raises(ActionRefused, match=problem):
            desk.sessions.sign_out(session_id, nurse.id, PIN, countersigner, pin)
    record = desk.sessions.sign_out(session_id, nurse.id, PIN, clinician.id, PIN)
    assert record.events[-1].values["countersignature"] == {
        "name": "Dr Clive Doctor",
        "role": "clinician",
        "meaning": "I have reviewed this record and countersign it.",
    }


@pytest.mark.sqlite_only
def test_an_existing_database_migrates_with_no_one_authorised(
    tmp_path, procedure: Procedure, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: ANN001
    from desk_app.store import migrations
    from desk_app.store.database import open_database
    from tests.support.people import FAST_HASHER, administrator

    path = tmp_path / "before.sqlite3"
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:6])
        patch.setattr(migrations, "LATEST_VERSION", 6)
        old = open_database(str(path))
        old_desk = Desk(old, procedure, clock, FAST_HASHER)
        administrator(old_desk)
        old_desk.accounts.add_staff("Ann Nurse", "AN", "nurse", "a password", PIN, 1)
        assert not old.table_exists("laser_authorisation")
        old.close()
    migrated = open_database(str(path))
    try:
        desk = Desk(migrated, procedure, clock, FAST_HASHER)
        assert desk.operators.authorised_operators() == []
        ann = next(member for member in desk.accounts.list_staff() if member.initials == "AN")
        assert "is not one" in (desk.operators.may_tick(ann.id, "fractional_pass") or "")
        assert desk.operators.may_tick(ann.id, "identity") is None
    finally:
        migrated.close()


def test_an_operator_keeps_their_authorisation_when_the_administrator_who_granted_it_leaves(
    desk: Desk, clock: ManualClock, admin: Staff, zoe: Patient
) -> None:
    second_admin = add_member(desk, "Bo Boss", "BB", "administrator")
    operator = add_member(desk, "Opal Operator", "OO", "nurse", laser_operator=False)
    today = local_today(clock.now())
    desk.operators.grant_laser_authorisation(operator.id, today, today + timedelta(days=300), second_admin.id)
    desk.accounts.update_staff(second_admin.id, "administrator", False, admin.id)  # Bo leaves
    assert desk.operators.laser_authorisation(operator.id).granted_by == "Bo Boss"
    session_id = ready_for(desk, clock, zoe, operator, "fractional_pass")
    desk.sessions.tick(
        session_id, "fractional_pass", with_test_laser(desk, LASER["fractional_pass"]), operator.id
    )


def test_a_signature_says_laser_operator_only_when_the_signer_is_one(
    desk: Desk, db: Database, procedure: Procedure, clock: ManualClock, nurse: Staff, zoe: Patient
) -> None:
    """A clinic whose file lets any nurse sign out: the signature must not claim an authorisation."""
    text = (
        resource_path(PERMISSIONS_FILE)
        .read_text()
        .replace('sign_out = "laser operator"', 'sign_out = "clinical"')
    )
    lenient = Desk(db, procedure, clock, desk.hasher, parse_permissions(text, "permissions.toml", procedure))
    trainee = add_member(lenient, "Tia Trainee", "TT", "nurse", laser_operator=False)
    session_id = ready_for(lenient, clock, zoe, nurse, "stratamed")
    tick_all(lenient, session_id, SIGN_OUT, trainee.id)
    signed = lenient.sessions.sign_out(session_id, trainee.id, PIN).events[-1].values["signature"]
    assert signed["name"] == "Tia Trainee" and signed["laser_operator"] is False


def test_an_override_chosen_for_someone_who_is_not_a_clinician_is_refused_and_audited(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, zoe: Patient
) -> None:
    session_id = desk.sessions.start_session(zoe.id, nurse.id).id
    desk.sessions.tick(session_id, "skin_type", {"fitzpatrick": "V"}, nurse.id)
    with pytest.raises(PermissionRefused, match="Ann Nurse is not a clinician"):
        desk.sessions.override(session_id, "skin_type", "Test patch fine", nurse.id, nurse.id, PIN)
    assert last_audit(db)[0] == "refused: not permitted"


def test_an_override_checks_the_clinicians_pin_in_the_store_not_only_on_screen(
    desk: Desk, db: Database, nurse: Staff, clinician: Staff, zoe: Patient
) -> None:
    session_id = desk.sessions.start_session(zoe.id, nurse.id).id
    desk.sessions.tick(session_id, "skin_type", {"fitzpatrick": "V"}, nurse.id)
    events = counts(db)[0]
    with pytest.raises(SignInRefused, match="Wrong PIN"):
        desk.sessions.override(session_id, "skin_type", "Test patch fine", clinician.id, nurse.id, WRONG_PIN)
    assert counts(db)[0] == events and last_audit(db)[0] == "PIN failed"
    desk.sessions.override(session_id, "skin_type", "Test patch fine", clinician.id, nurse.id, PIN)
    assert counts(db)[0] == events + 1


def test_an_override_with_a_clinicians_4_digit_pin_asks_for_a_new_pin_and_saves_nothing(
    desk: Desk, db: Database, nurse: Staff, clinician: Staff, zoe: Patient
) -> None:
    give_legacy_pin(clinician)
    session_id = desk.sessions.start_session(zoe.id, nurse.id).id
    desk.sessions.tick(session_id, "skin_type", {"fitzpatrick": "V"}, nurse.id)
    events = counts(db)[0]
    with pytest.raises(PinChangeNeeded, match="Dr Clive Doctor's PIN has only 4 digits"):
        desk.sessions.override(session_id, "skin_type", "Test patch fine", clinician.id, nurse.id, LEGACY_PIN)
    assert counts(db)[0] == events
    assert last_audit(db) == ("PIN accepted: change needed", {"for": "override of skin_type in session 1"})
    desk.accounts.change_pin(clinician.id, LEGACY_PIN, PIN)
    desk.sessions.override(session_id, "skin_type", "Test patch fine", clinician.id, nurse.id, PIN)
    assert counts(db)[0] == events + 1


def test_a_sign_of_toxicity_is_cleared_only_by_a_clinician_with_their_pin(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, clinician: Staff, zoe: Patient
) -> None:
    session_id = ready_for(desk, clock, zoe, nurse, "anaesthetic_toxicity")
    signs = {**TIME_OUT["anaesthetic_toxicity"], "metallic_taste": "Yes"}
    flagged = desk.sessions.tick(session_id, "anaesthetic_toxicity", signs, nurse.id).events[-1]
    reason = "Seen the patient: the taste has gone, observations normal"
    with pytest.raises(ActionRefused, match="only a clinician who has seen the patient may clear it"):
        desk.sessions.correct(session_id, "anaesthetic_toxicity", reason, nurse.id)
    with pytest.raises(PermissionRefused, match="Ann Nurse is not a clinician"):
        desk.sessions.clear_stop(session_id, "anaesthetic_toxicity", reason, nurse.id, nurse.id, PIN)
    assert last_audit(db)[0] == "refused: not permitted"
    events = counts(db)[0]
    with pytest.raises(SignInRefused, match="Wrong PIN"):
        desk.sessions.clear_stop(
            session_id, "anaesthetic_toxicity", reason, clinician.id, nurse.id, WRONG_PIN
        )
    assert counts(db)[0] == events and last_audit(db)[0] == "PIN failed"

    cleared = desk.sessions.clear_stop(
        session_id, "anaesthetic_toxicity", reason, clinician.id, nurse.id, PIN
    )
    event = cleared.events[-1]
    assert (event.kind, event.staff_id, event.corrects_id, event.text) == (
        EventKind.CORRECTION,
        clinician.id,
        flagged.id,
        reason,
    )
    assert event.values["entered_by_id"] == nurse.id
    assert not cleared.state(clock.now()).item("anaesthetic_toxicity").hard_stopped
    with pytest.raises(ActionRefused, match="raises no stop to clear"):
        desk.sessions.clear_stop(session_id, "anaesthetic_toxicity", reason, clinician.id, nurse.id, PIN)
