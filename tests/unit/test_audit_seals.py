"""`desk-app audit verify` covers every table a record depends on (issue 17, point 1): each row of
staff, credentials, patients, sessions, devices, settings, the print log... is sealed by the audit
row of its last change, so an edit of the file outside the app is found, naming the table and row.

Each attack is made as someone with the file would: raw SQL on it, the triggers that refuse an UPDATE
or DELETE dropped first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from peewee import Database, SqliteDatabase

from desk_app.domain.clinic import DocumentKind
from desk_app.domain.clock import ManualClock
from desk_app.domain.credentials import MAX_SIGN_IN_FAILURES
from desk_app.domain.people import Staff
from desk_app.domain.procedure import Procedure
from desk_app.domain.refusals import SignInRefused
from desk_app.store import audit, context, migrations
from desk_app.store.audit import verify_audit, write_audit
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from desk_app.store.migrations import LATEST_VERSION
from desk_app.store.models import ClinicSetting, StaffRow
from desk_app.store.restoring import restore
from desk_app.store.seals import SEALED_SCHEMA, row_digest
from tests.support.lasers import laser_ready
from tests.support.people import FAST_HASHER, PASSWORD, PIN, add_member, administrator
from tests.support.raw_sql import run_sql

pytestmark = pytest.mark.both_databases


@dataclass
class Clinic:
    db: Database
    desk: Desk
    admin: Staff
    nurse: Staff
    clinician: Staff
    patient_id: int
    session_id: int
    device_id: int


@pytest.fixture
def clinic(db: Database, desk: Desk, admin: Staff, nurse: Staff, clinician: Staff) -> Clinic:
    """The smallest clinic every attack needs: staff, a patient with a session started, a print, a
    laser and a clinic detail changed, each written by the app."""
    zoe = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-0001", nurse.id)
    session = desk.sessions.start_session(zoe.id, nurse.id)
    desk.clinic.record_print(
        DocumentKind.SESSION_RECORD, zoe.id, session.id, "paper", 2, nurse.name, nurse.id
    )
    laser = laser_ready(desk, nurse.id)  # registered, and checked before use
    desk.clinic.update_clinic_details(
        replace(desk.clinic.clinic_details(), name="Azure Laser Clinic, Leeds"), admin.id
    )
    assert verify_audit(db).ok
    return Clinic(db, desk, admin, nurse, clinician, zoe.id, session.id, laser)


def drop_triggers(db: Database, table: str) -> None:
    """The triggers are no protection against a determined editor of the file (or the owner's login)."""
    if not isinstance(db, SqliteDatabase):
        run_sql(db, f"ALTER TABLE {table} DISABLE TRIGGER USER")
        return
    for (name,) in run_sql(
        db, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
    ):
        run_sql(db, f"DROP TRIGGER {name}")


def last_sealed_by(db: Database, table: str, row_id: int | str) -> int:
    """The audit row of the row's last recorded change (the last whose seals name it)."""
    pattern = f'%"{table}:{row_id}"%'
    return run_sql(db, "SELECT max(id) FROM audit_log WHERE detail LIKE ?", (pattern,)).fetchone()[0]


def changed(clinic: Clinic, table: str, row_id: int | str) -> str:
    return (
        f"{table} row {row_id} was changed outside the app "
        f"(its last recorded change is audit row {last_sealed_by(clinic.db, table, row_id)})"
    )


# --- the attacks: each returns the problem verify must report -------------------------------------


def staff_renamed(clinic: Clinic) -> str:
    run_sql(clinic.db, "UPDATE staff SET name = 'Dr Ann Nurse' WHERE id = ?", (clinic.nurse.id,))
    return changed(clinic, "staff", clinic.nurse.id)


def role_changed_to_clinician(clinic: Clinic) -> str:
    run_sql(clinic.db, "UPDATE staff SET role = 'clinician' WHERE id = ?", (clinic.nurse.id,))
    return changed(clinic, "staff", clinic.nurse.id)


def patient_born_another_day(clinic: Clinic) -> str:
    run_sql(clinic.db, "UPDATE patient SET date_of_birth = '1980-02-03' WHERE id = ?", (clinic.patient_id,))
    return changed(clinic, "patient", clinic.patient_id)


def session_status_changed(clinic: Clinic) -> str:
    run_sql(
        clinic.db, "UPDATE treatment_session SET status = 'signed out' WHERE id = ?", (clinic.session_id,)
    )
    return changed(clinic, "treatment_session", clinic.session_id)


def print_log_emptied(clinic: Clinic) -> str:
    (row_id,) = run_sql(clinic.db, "SELECT id FROM print_log").fetchone()
    sealed_by = last_sealed_by(clinic.db, "print_log", row_id)
    drop_triggers(clinic.db, "print_log")
    run_sql(clinic.db, "DELETE FROM print_log")
    gone = f"print_log row {row_id} was removed outside the app"
    return f"{gone} (its last recorded change is audit row {sealed_by})"


def pin_hash_replaced(clinic: Clinic) -> str:
    """The clinician's PIN hash swapped for the nurse's: the nurse could then sign as the clinician."""
    known = "SELECT pin_hash FROM staff_credential WHERE staff_id = ?"
    (pin_hash,) = run_sql(clinic.db, known, (clinic.nurse.id,)).fetchone()
    run_sql(
        clinic.db,
        "UPDATE staff_credential SET pin_hash = ? WHERE staff_id = ?",
        (pin_hash, clinic.clinician.id),
    )
    (row_id,) = run_sql(
        clinic.db, "SELECT id FROM staff_credential WHERE staff_id = ?", (clinic.clinician.id,)
    ).fetchone()
    return changed(clinic, "staff_credential", row_id)


def procedure_source_edited(clinic: Clinic) -> str:
    used = "SELECT procedure_id FROM treatment_session WHERE id = ?"
    (row_id,) = run_sql(clinic.db, used, (clinic.session_id,)).fetchone()
    run_sql(clinic.db, "UPDATE procedure_version SET source = source || ' ' WHERE id = ?", (row_id,))
    return changed(clinic, "procedure_version", row_id)


def device_serial_changed(clinic: Clinic) -> str:
    run_sql(clinic.db, "UPDATE laser_device SET serial_number = 'SP-99' WHERE id = ?", (clinic.device_id,))
    return changed(clinic, "laser_device", clinic.device_id)


def clinic_setting_changed(clinic: Clinic) -> str:
    run_sql(clinic.db, "UPDATE clinic_setting SET value = 'Cheap Lasers Ltd' WHERE key = 'clinic.name'")
    sealed_by = last_sealed_by(clinic.db, "clinic_setting", "clinic.name")
    return (
        "clinic_setting row 'clinic.name' was changed outside the app "
        f"(its last recorded change is audit row {sealed_by})"
    )


def staff_inserted(clinic: Clinic) -> str:
    run_sql(
        clinic.db,
        "INSERT INTO staff (id, name, initials, role, active, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (99, "Dr Nobody", "DN", "clinician", True, "2026-01-05 09:00:00"),
    )
    return "staff row 99 was added outside the app: no audit row records it"


ATTACKS: list[Callable[[Clinic], str]] = [
    staff_renamed,
    role_changed_to_clinician,
    patient_born_another_day,
    session_status_changed,
    print_log_emptied,
    pin_hash_replaced,
    procedure_source_edited,
    device_serial_changed,
    clinic_setting_changed,
    staff_inserted,
]


@pytest.mark.postgresql_for(staff_renamed, print_log_emptied, pin_hash_replaced, staff_inserted)
@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.__name__ for attack in ATTACKS])
def test_a_row_changed_added_or_removed_outside_the_app_is_found_and_named(
    clinic: Clinic, attack: Callable[[Clinic], str]
) -> None:
    problem = attack(clinic)
    report = verify_audit(clinic.db)
    assert not report.ok
    assert report.problem == problem
    assert str(report).startswith("Audit trail BROKEN: ")


def test_a_row_changed_back_as_it_was_verifies_intact(clinic: Clinic) -> None:
    """The seal is of the content, not of the act: an edit undone leaves nothing to find."""
    run_sql(clinic.db, "UPDATE staff SET name = 'Someone Else' WHERE id = ?", (clinic.nurse.id,))
    run_sql(clinic.db, "UPDATE staff SET name = ? WHERE id = ?", (clinic.nurse.name, clinic.nurse.id))
    assert verify_audit(clinic.db).ok


def test_a_change_through_the_app_after_one_outside_it_does_not_hide_it(clinic: Clinic) -> None:
    """The app seals only the rows an action wrote: an edit of another row stays found."""
    run_sql(clinic.db, "UPDATE staff SET role = 'clinician' WHERE id = ?", (clinic.nurse.id,))
    clinic.desk.accounts.rename_staff(clinic.clinician.id, "Dr Clive Doctor-Smith", "CS", clinic.admin.id)
    assert verify_audit(clinic.db).problem == changed(clinic, "staff", clinic.nurse.id)


@pytest.mark.sqlite_only
def test_the_digest_reads_alike_from_the_file_and_from_peewee(clinic: Clinic) -> None:
    """What the app writes and what the driver gives back digest the same (the bulk builders of the
    benchmarks seal their rows from the values they write)."""
    row = StaffRow.get_by_id(clinic.nurse.id)
    values = [getattr(row, field.name) for field in StaffRow._meta.sorted_fields]
    stored = run_sql(
        clinic.db, "SELECT id, name, initials, role, active, created_at FROM staff WHERE id = ?", (row.id,)
    )
    assert row_digest(StaffRow, values) == row_digest(StaffRow, stored.fetchone())


@pytest.mark.sqlite_only
def test_account_actions_and_failed_tries_seal_what_they_write(clinic: Clinic) -> None:
    """The counters of failed tries, locks and unlocks are written too: each is sealed with its row,
    or the next verify would take the app's own writes for an attack."""
    desk, nurse, admin = clinic.desk, clinic.nurse, clinic.admin
    for _ in range(MAX_SIGN_IN_FAILURES):
        with pytest.raises(SignInRefused):
            desk.accounts.sign_in(nurse.id, PASSWORD + " (wrong)")
    desk.accounts.unlock_account(nurse.id, admin.id)
    with pytest.raises(SignInRefused):
        desk.accounts.confirm_pin(nurse.id, PIN[::-1], "switch")
    desk.accounts.confirm_pin(nurse.id, PIN, "switch")
    desk.accounts.sign_in(nurse.id, PASSWORD)
    desk.accounts.unlock_from_terminal(nurse.initials, "kate")
    desk.accounts.set_credentials(nurse.id, PASSWORD, PIN, admin.id)
    desk.accounts.update_staff(clinic.clinician.id, "clinician", False, admin.id)
    desk.operators.withdraw_laser_authorisation(nurse.id, "Left the laser rota", admin.id)
    desk.devices.retire_device(clinic.device_id, "Sent back", admin.id)
    desk.patients.set_archived(clinic.patient_id, True, nurse.id)
    report = verify_audit(clinic.db)
    assert report.ok, report.problem


# --- an older database: sealed at the upgrade ------------------------------------------------------


def _written_by_an_app_without_seals(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app before schema 12: its migrations stop at schema 11, and its actions seal nothing."""
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[: SEALED_SCHEMA - 1])
    monkeypatch.setattr(migrations, "LATEST_VERSION", SEALED_SCHEMA - 1)
    write = audit.write_audit

    def unsealed(*args: object, **kwargs: object) -> str:
        return write(*args[:7], **{k: v for k, v in kwargs.items() if k != "sealed"})  # type: ignore[arg-type]

    monkeypatch.setattr(context, "write_audit", unsealed)
    monkeypatch.setattr(audit, "first_row_seals", list)


@pytest.mark.sqlite_only
def test_an_older_database_is_sealed_at_the_upgrade_then_a_change_outside_the_app_is_found(
    tmp_path: Path, procedure: Procedure, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "schema 11.sqlite3"
    with monkeypatch.context() as patch:
        _written_by_an_app_without_seals(patch)
        old = open_database(str(path))
        desk = Desk(old, procedure, clock, FAST_HASHER)
        admin = administrator(desk)
        nurse = add_member(desk, "Ann Nurse", "AN", "nurse", laser_operator=False)
        zoe = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-0001", nurse.id)
        desk.sessions.start_session(zoe.id, nurse.id)
        desk.clinic.update_clinic_details(
            replace(desk.clinic.clinic_details(), name="Azure Laser Clinic, Leeds"), admin.id
        )
        assert "sealed" not in "".join(run_sql(old, "SELECT detail FROM audit_log").fetchall()[-1])
        old.close()

    db = open_database(str(path))
    try:
        report = verify_audit(db)
        assert report.ok, report.problem
        upgrade = run_sql(
            db,
            "SELECT id, subject FROM audit_log WHERE action = ?",
            ("rows sealed at the upgrade to schema 12",),
        )
        sealed_tables = {subject: row_id for row_id, subject in upgrade}
        assert {"staff", "staff_credential", "patient", "treatment_session", "clinic_setting"} <= set(
            sealed_tables
        )

        run_sql(db, "UPDATE patient SET family_name = 'Smith' WHERE id = ?", (zoe.id,))
        assert verify_audit(db).problem == (
            f"patient row {zoe.id} was changed outside the app "
            f"(its last recorded change is audit row {sealed_tables['patient']})"
        )
    finally:
        db.close()


@pytest.mark.sqlite_only
def test_a_backup_from_before_seals_and_ids_restored_then_upgraded_verifies_intact(
    tmp_path: Path, procedure: Procedure, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The restore gives the backup the live database's id and seals it: the id alone sealed does not
    make the upgrade take the trail for one sealed before (which would flag every row as added)."""
    backup = tmp_path / "schema 11 before ids.sqlite3"
    with monkeypatch.context() as patch:
        _written_by_an_app_without_seals(patch)
        old = open_database(str(backup))
        desk = Desk(old, procedure, clock, FAST_HASHER)
        nurse = add_member(desk, "Ann Nurse", "AN", "nurse", laser_operator=False)
        desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-0001", nurse.id)
        run_sql(old, "DELETE FROM clinic_setting WHERE key = 'database id'")  # as before ids
        old.close()
    live = tmp_path / "live.sqlite3"
    open_database(str(live)).close()

    restore(backup, live, clock.now(), force=True)

    db = open_database(str(live))
    try:
        report = verify_audit(db)
        assert report.ok, report.problem
    finally:
        db.close()


@pytest.mark.sqlite_only
def test_a_schema_version_lowered_outside_the_app_does_not_seal_a_change_anew(
    clinic: Clinic, db_path: Path
) -> None:
    """Migration 12 run again on a sealed trail would vouch for every row as it stands: it seals nothing."""
    staff_renamed(clinic)
    run_sql(clinic.db, "DELETE FROM schema_migration WHERE version >= ?", (SEALED_SCHEMA,))
    clinic.db.close()
    with pytest.MonkeyPatch.context() as patch:  # the later migrations' tables are there already
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:SEALED_SCHEMA])
        patch.setattr(migrations, "LATEST_VERSION", SEALED_SCHEMA)
        db = open_database(str(db_path))
    try:
        assert verify_audit(db).problem == changed(replace(clinic, db=db), "staff", clinic.nurse.id)
    finally:
        db.close()


def test_the_database_id_is_sealed_and_a_changed_one_is_found(clinic: Clinic) -> None:
    run_sql(clinic.db, "UPDATE clinic_setting SET value = ? WHERE key = 'database id'", ("0" * 32,))
    sealed_by = last_sealed_by(clinic.db, ClinicSetting._meta.table_name, "database id")
    assert sealed_by == 1  # the trail's first row seals the id made before it
    assert verify_audit(clinic.db).problem == (
        "clinic_setting row 'database id' was changed outside the app "
        "(its last recorded change is audit row 1)"
    )


def _upgrade_seals(clinic: Clinic, clock: ManualClock, schema: int) -> int:
    """A row titled as an upgrade's seals, sealing the nurse's row as it stands, appended to the chain
    as anyone with the file can (the app's own writer; no secret is needed); its id."""
    with clinic.db.atomic():
        write_audit(
            clinic.db,
            clock.now(),
            None,
            f"rows sealed at the upgrade to schema {schema}",
            "staff",
            sealed=[(StaffRow, clinic.nurse.id)],
        )
    return run_sql(clinic.db, "SELECT MAX(id) FROM audit_log").fetchone()[0]


def test_an_upgrades_seals_appended_after_its_run_cannot_vouch_for_a_change(
    clinic: Clinic, clock: ManualClock
) -> None:
    """An upgrade seals in one run of rows: a later row of the same upgrade is a forgery."""
    _upgrade_seals(clinic, clock, SEALED_SCHEMA)
    assert verify_audit(clinic.db).ok
    clinic.desk.patients.register_patient("Yann", "Other", "1991-05-02", "AZ-0002", clinic.nurse.id)

    staff_renamed(clinic)
    forged = _upgrade_seals(clinic, clock, SEALED_SCHEMA)

    assert verify_audit(clinic.db).problem == (
        f"row {forged} (rows sealed at the upgrade to schema {SEALED_SCHEMA}) seals rows after the "
        f"upgrade's seals ended (at row {forged - 2}, of schema {SEALED_SCHEMA})"
    )


def test_seals_of_an_upgrade_this_app_does_not_know_are_a_break(clinic: Clinic, clock: ManualClock) -> None:
    staff_renamed(clinic)
    forged = _upgrade_seals(clinic, clock, LATEST_VERSION + 1)

    assert verify_audit(clinic.db).problem == (
        f"row {forged} (rows sealed at the upgrade to schema {LATEST_VERSION + 1}) names an upgrade "
        "this app does not know"
    )
