"""Staff accounts: the first administrator, who may add and change staff, how passwords and PINs are
kept (argon2id hashes only, rehashed when the cost rises), the counts of wrong tries (5 wrong PINs
need the password, 10 failed sign-ins lock the account until an administrator unlocks it), the audit
row of every attempt, and the clinic's idle-lock setting. No Qt.

The shared fixtures (admin, nurse, clinician) hash with the cheapest argon2id cost; the tests of the
real cost and of rehashing build their own Desk on the same database with another hasher.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from peewee import Database

from desk_app.domain.clinic import checked_clinic_details
from desk_app.domain.clock import ManualClock
from desk_app.domain.credentials import MAX_PIN_FAILURES, MAX_SIGN_IN_FAILURES, HashCost, SecretHasher
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.people import Role, Staff
from desk_app.domain.procedure import Procedure
from desk_app.domain.refusals import PinChangeNeeded, SignInRefused
from desk_app.store.desk import Desk
from desk_app.store.models import database_proxy
from tests.support.people import (
    CHEAPEST,
    LEGACY_PIN,
    OTHER_PIN,
    PASSWORD,
    PIN,
    WRONG_PIN,
    administrator,
    give_legacy_pin,
)
from tests.support.raw_sql import other_connection, run_sql
from tests.support.seal_rows import unsealed

pytestmark = pytest.mark.both_databases

WRONG_PASSWORD = "not my password"
STRONGER = HashCost(memory_kib=64, iterations=2, lanes=1)  # stronger than the fixtures', still quick

# --- reading what is stored --------------------------------------------------------------------------


def credential(db: Database, staff_id: int) -> dict[str, Any]:
    """The staff_credential row as stored, column by column."""
    cursor = run_sql(db, "SELECT * FROM staff_credential WHERE staff_id = ?", (staff_id,))
    names = [column[0] for column in cursor.description]
    row = cursor.fetchone()
    assert row is not None, f"no credential for staff {staff_id}"
    return dict(zip(names, row, strict=True))


def committed_credential(db_url: str, staff_id: int) -> tuple[int, int, int]:
    """(failed sign-ins, failed PINs, locked) as another program sees them: committed data only."""
    with other_connection(db_url) as other:
        failed_sign_ins, failed_pins, locked = other.execute(
            "SELECT failed_sign_ins, failed_pins, locked FROM staff_credential WHERE staff_id = ?",
            (staff_id,),
        ).fetchone()
    return failed_sign_ins, failed_pins, int(locked)


def hash_cost(stored_hash: str) -> tuple[str, HashCost]:
    """The variant and the cost written in an argon2 hash: $argon2id$v=19$m=...,t=...,p=...$salt$hash."""
    match = re.fullmatch(r"\$(argon2\w+)\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+", stored_hash)
    assert match, f"not an argon2 hash: {stored_hash!r}"
    variant, memory, iterations, lanes = match.groups()
    return variant, HashCost(int(memory), int(iterations), int(lanes))


def last_audit_id(db: Database) -> int:
    return run_sql(db, "SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]


def audit_after(db: Database, mark: int) -> list[tuple[str, int | None, str, int | None, dict]]:
    """(action, staff, subject, subject id, detail) of each audit row written after the mark."""
    cursor = run_sql(
        db,
        "SELECT action, staff_id, subject, subject_id, detail FROM audit_log WHERE id > ? ORDER BY id",
        (mark,),
    )
    return [(action, staff, subject, sid, unsealed(detail)) for action, staff, subject, sid, detail in cursor]


def audit_actions(db: Database, mark: int) -> list[str]:
    return [row[0] for row in audit_after(db, mark)]


def staff_count(db: Database) -> int:
    return run_sql(db, "SELECT count(*) FROM staff").fetchone()[0]


def credential_count(db: Database) -> int:
    return run_sql(db, "SELECT count(*) FROM staff_credential").fetchone()[0]


def refused_sign_in(desk: Desk, staff_id: int, password: str) -> str:
    with pytest.raises(ActionRefused) as refused:
        desk.accounts.sign_in(staff_id, password)
    return str(refused.value)


def refused_pin(desk: Desk, staff_id: int, pin: str, purpose: str = "unlock") -> str:
    with pytest.raises(ActionRefused) as refused:
        desk.accounts.confirm_pin(staff_id, pin, purpose)
    return str(refused.value)


def lock_out(desk: Desk, staff_id: int) -> str:
    """Ten wrong passwords in a row; the last refusal's message."""
    for _ in range(MAX_SIGN_IN_FAILURES - 1):
        refused_sign_in(desk, staff_id, WRONG_PASSWORD)
    return refused_sign_in(desk, staff_id, WRONG_PASSWORD)


def tries_left(message: str) -> int | None:
    found = re.search(r"(\d+) tr(?:y|ies) left", message)
    return int(found.group(1)) if found else None


@pytest.fixture
def stronger_desk(db: Database, procedure: Procedure, clock: ManualClock) -> Desk:
    """The same database, opened by a Desk whose hasher costs more than the one that made the hashes."""
    return Desk(db, procedure, clock, SecretHasher(STRONGER, STRONGER))


# --- 1. first start --------------------------------------------------------------------------------


def test_a_new_clinic_has_no_administrator_until_one_is_added(desk: Desk) -> None:
    assert not desk.accounts.has_administrator()
    administrator(desk)
    assert desk.accounts.has_administrator()


def test_the_first_member_of_staff_cannot_be_a_nurse(desk: Desk, db: Database) -> None:
    with pytest.raises(ActionRefused, match="first member of staff must be an administrator"):
        desk.accounts.add_staff("Ann Nurse", "AN", "nurse", PASSWORD, PIN, None)
    assert not desk.accounts.has_administrator()
    assert desk.accounts.list_all_staff() == []
    assert credential_count(db) == 0


def test_the_first_administrator_is_added_by_nobody(desk: Desk) -> None:
    with pytest.raises(ActionRefused, match="first member of staff must be an administrator"):
        desk.accounts.add_staff("Ada Admin", "AA", "administrator", PASSWORD, PIN, 1)
    assert desk.accounts.list_all_staff() == []
    first = desk.accounts.add_staff("Ada Admin", "AA", "administrator", PASSWORD, PIN, None)
    assert first.role is Role.ADMINISTRATOR
    assert desk.accounts.has_administrator()
    assert desk.accounts.sign_in(first.id, PASSWORD) == first


def test_once_there_is_an_administrator_nobody_else_adds_staff(desk: Desk, admin: Staff) -> None:
    with pytest.raises(ActionRefused, match="Only an administrator may add staff"):
        desk.accounts.add_staff("Ann Nurse", "AN", "nurse", PASSWORD, PIN, None)
    with pytest.raises(ActionRefused, match="Only an administrator may add staff"):
        desk.accounts.add_staff("Second Admin", "SA", "administrator", PASSWORD, PIN, None)
    assert desk.accounts.list_staff() == [admin]


def test_a_nurse_or_a_clinician_cannot_add_staff(desk: Desk, nurse: Staff, clinician: Staff) -> None:
    before = desk.accounts.list_all_staff()
    for by in (nurse, clinician):
        with pytest.raises(ActionRefused, match="Only an administrator"):
            desk.accounts.add_staff("Beth Nurse", "BN", "nurse", PASSWORD, PIN, by.id)
    assert desk.accounts.list_all_staff() == before


def test_an_administrator_adds_staff_and_it_is_audited(desk: Desk, db: Database, admin: Staff) -> None:
    mark = last_audit_id(db)
    beth = desk.accounts.add_staff("Beth Nurse", "BN", "nurse", PASSWORD, PIN, admin.id)
    assert beth in desk.accounts.list_staff()
    assert audit_after(db, mark) == [
        ("staff added", admin.id, "staff", beth.id, {"name": "Beth Nurse", "initials": "BN", "role": "nurse"})
    ]


def test_an_inactive_administrator_does_not_count(desk: Desk, db: Database, admin: Staff) -> None:
    # Only possible outside the app (update_staff keeps one active administrator), e.g. an old file.
    run_sql(db, "UPDATE staff SET active = ? WHERE id = ?", (False, admin.id))
    assert not desk.accounts.has_administrator()
    with pytest.raises(ActionRefused, match="first member of staff must be an administrator"):
        desk.accounts.add_staff("Ann Nurse", "AN", "nurse", PASSWORD, PIN, admin.id)
    new_admin = desk.accounts.add_staff("Bea Admin", "BA", "administrator", PASSWORD, PIN, None)
    assert desk.accounts.has_administrator()
    assert new_admin.role is Role.ADMINISTRATOR


# --- 2. passwords and PINs: argon2id hashes only ---------------------------------------------------


def test_a_password_and_pin_are_stored_only_as_argon2id_hashes(
    desk: Desk, db: Database, admin: Staff
) -> None:
    password, pin = "Wöodland tulip 7", "97531864"
    member = desk.accounts.add_staff("Beth Nurse", "BN", "nurse", password, pin, admin.id)
    row = credential(db, member.id)
    for value in row.values():
        assert password not in str(value)
        assert pin not in str(value)
    assert row["password_hash"].startswith("$argon2id$")
    assert row["pin_hash"].startswith("$argon2id$")
    assert row["password_hash"] != row["pin_hash"]


def test_the_same_password_hashes_differently_for_two_members(desk: Desk, db: Database, nurse: Staff) -> None:
    admin = administrator(desk)
    assert credential(db, admin.id)["password_hash"] != credential(db, nurse.id)["password_hash"]


@pytest.mark.sqlite_only  # one real PIN hash costs about 0.3 s: once is enough
def test_the_app_hashes_passwords_at_19_mib_2_iterations_and_pins_at_128_mib_3_iterations(
    db: Database, procedure: Procedure, clock: ManualClock
) -> None:
    real = Desk(db, procedure, clock)  # as the app builds it: SecretHasher() at its default costs
    first = real.accounts.add_staff("Ada Admin", "AA", "administrator", PASSWORD, PIN, None)
    row = credential(db, first.id)
    assert hash_cost(row["password_hash"]) == ("argon2id", HashCost(memory_kib=19456, iterations=2, lanes=1))
    assert hash_cost(row["pin_hash"]) == ("argon2id", HashCost(memory_kib=131072, iterations=3, lanes=1))
    assert real.accounts.sign_in(first.id, PASSWORD) == first


@pytest.mark.parametrize("password", ["", "short", "seven77", "        "])
def test_a_password_too_short_or_blank_is_refused_and_nothing_is_stored(
    desk: Desk, db: Database, admin: Staff, password: str
) -> None:
    mark, staff_before = last_audit_id(db), staff_count(db)
    with pytest.raises(ValidationError, match="Password"):
        desk.accounts.add_staff("Beth Nurse", "BN", "nurse", password, PIN, admin.id)
    assert staff_count(db) == staff_before
    assert credential_count(db) == staff_before
    assert audit_actions(db, mark) == []


def test_a_password_of_eight_characters_is_enough(desk: Desk, admin: Staff) -> None:
    member = desk.accounts.add_staff("Beth Nurse", "BN", "nurse", "eight888", PIN, admin.id)
    assert desk.accounts.sign_in(member.id, "eight888") == member


@pytest.mark.parametrize(
    "pin",
    [
        "",
        "123",
        "1234",
        "12345",
        "123456789",
        "12a456",
        "123 56",
        "-12345",
        "١٢٣٤٥٦",
        "１２３４５６",
        "²²²²²²",
    ],
    ids=[
        "empty",
        "3 digits",
        "4 digits",
        "5 digits",
        "9 digits",
        "letter",
        "space",
        "sign",
        "arabic-indic",
        "full-width",
        "superscript",
    ],
)
def test_a_pin_that_is_not_6_to_8_ascii_digits_is_refused_and_nothing_is_stored(
    desk: Desk, db: Database, admin: Staff, pin: str
) -> None:
    mark, staff_before = last_audit_id(db), staff_count(db)
    with pytest.raises(ValidationError, match="PIN: 6 to 8 digits"):
        desk.accounts.add_staff("Beth Nurse", "BN", "nurse", PASSWORD, pin, admin.id)
    assert staff_count(db) == staff_before
    assert credential_count(db) == staff_before
    assert audit_actions(db, mark) == []


@pytest.mark.parametrize("pin", ["123456", "12345678", "000000"])
def test_a_pin_of_6_to_8_digits_is_accepted(desk: Desk, admin: Staff, pin: str) -> None:
    member = desk.accounts.add_staff("Beth Nurse", "BN", "nurse", PASSWORD, pin, admin.id)
    assert desk.accounts.confirm_pin(member.id, pin, "switch") == member


def test_new_credentials_that_are_refused_leave_the_old_ones(desk: Desk, db: Database, nurse: Staff) -> None:
    before, mark = credential(db, nurse.id), last_audit_id(db)
    with pytest.raises(ValidationError, match="PIN"):
        desk.accounts.set_credentials(nurse.id, "a new password", "١٢٣٤", nurse.id)
    with pytest.raises(ValidationError, match="Password"):
        desk.accounts.set_credentials(nurse.id, "short", OTHER_PIN, nurse.id)
    assert credential(db, nurse.id) == before
    assert audit_actions(db, mark) == []
    assert desk.accounts.sign_in(nurse.id, PASSWORD) == nurse


# --- 3. rehashing when the cost rises --------------------------------------------------------------


def test_a_weaker_password_hash_is_replaced_at_the_next_sign_in(
    db: Database, stronger_desk: Desk, nurse: Staff
) -> None:
    old = credential(db, nurse.id)
    assert hash_cost(old["password_hash"])[1] == HashCost(8, 1, 1)
    assert stronger_desk.accounts.sign_in(nurse.id, PASSWORD) == nurse
    new = credential(db, nurse.id)
    assert new["password_hash"] != old["password_hash"]
    assert hash_cost(new["password_hash"]) == ("argon2id", STRONGER)
    assert new["pin_hash"] == old["pin_hash"]  # the PIN waits for its own next use
    assert stronger_desk.accounts.sign_in(nurse.id, PASSWORD) == nurse
    assert credential(db, nurse.id)["password_hash"] == new["password_hash"]  # not rehashed again


def test_a_weaker_pin_hash_is_replaced_at_the_next_pin(
    db: Database, stronger_desk: Desk, nurse: Staff
) -> None:
    old = credential(db, nurse.id)
    assert stronger_desk.accounts.confirm_pin(nurse.id, PIN, "switch") == nurse
    new = credential(db, nurse.id)
    assert new["pin_hash"] != old["pin_hash"]
    assert hash_cost(new["pin_hash"]) == ("argon2id", STRONGER)
    assert new["password_hash"] == old["password_hash"]
    assert stronger_desk.accounts.confirm_pin(nurse.id, PIN, "switch") == nurse


def test_a_failed_sign_in_or_pin_does_not_rehash(db: Database, stronger_desk: Desk, nurse: Staff) -> None:
    old = credential(db, nurse.id)
    refused_sign_in(stronger_desk, nurse.id, WRONG_PASSWORD)
    refused_pin(stronger_desk, nurse.id, WRONG_PIN)
    new = credential(db, nurse.id)
    assert (new["password_hash"], new["pin_hash"]) == (old["password_hash"], old["pin_hash"])


# --- 3b. PINs of 4 or 5 digits, kept from before PINs needed 6 --------------------------------------


def test_a_4_digit_pin_kept_from_before_works_once_to_choose_a_new_one(
    desk: Desk, db: Database, nurse: Staff
) -> None:
    give_legacy_pin(nurse)
    mark = last_audit_id(db)
    with pytest.raises(PinChangeNeeded) as needed:
        desk.accounts.confirm_pin(nurse.id, LEGACY_PIN, "unlock")
    assert (
        str(needed.value) == "Ann Nurse's PIN has only 4 digits: choose a new PIN of 6 to 8 digits to go on."
    )
    desk.accounts.change_pin(nurse.id, LEGACY_PIN, OTHER_PIN)
    assert audit_after(db, mark) == [
        ("PIN accepted: change needed", nurse.id, "staff", nurse.id, {"for": "unlock"}),
        ("PIN changed", nurse.id, "staff", nurse.id, {}),
    ]
    assert hash_cost(credential(db, nurse.id)["pin_hash"])[1] == CHEAPEST  # the PIN cost of this desk
    assert desk.accounts.confirm_pin(nurse.id, OTHER_PIN, "unlock") == nurse
    assert refused_pin(desk, nurse.id, LEGACY_PIN) == "Wrong PIN. 4 tries left before the password is needed."
    assert desk.audit.verify_audit().ok  # the new PIN is sealed: not taken for a change outside the app


@pytest.mark.parametrize("new_pin", ["1234", "12345", "12a456"])
def test_a_new_pin_of_fewer_than_6_digits_is_refused_and_the_old_one_stays(
    desk: Desk, db: Database, nurse: Staff, new_pin: str
) -> None:
    give_legacy_pin(nurse)
    before, mark = credential(db, nurse.id), last_audit_id(db)
    with pytest.raises(ValidationError, match="PIN: 6 to 8 digits"):
        desk.accounts.change_pin(nurse.id, LEGACY_PIN, new_pin)
    with pytest.raises(ValidationError, match="PIN: 6 to 8 digits"):
        desk.accounts.set_credentials(nurse.id, "a new password", new_pin, nurse.id)
    assert credential(db, nurse.id) == before
    assert audit_actions(db, mark) == []


def test_a_pin_change_with_a_wrong_current_pin_counts_as_a_wrong_pin_and_changes_nothing(
    desk: Desk, db: Database, nurse: Staff
) -> None:
    give_legacy_pin(nurse)
    before = credential(db, nurse.id)["pin_hash"]
    with pytest.raises(SignInRefused, match="Wrong PIN. 4 tries left"):
        desk.accounts.change_pin(nurse.id, "1357", OTHER_PIN)
    assert credential(db, nurse.id)["pin_hash"] == before
    with pytest.raises(PinChangeNeeded):
        desk.accounts.confirm_pin(nurse.id, LEGACY_PIN, "switch")


def test_after_five_wrong_pins_a_short_pin_cannot_be_changed_without_the_password(
    desk: Desk, nurse: Staff
) -> None:
    give_legacy_pin(nurse)
    for _ in range(MAX_PIN_FAILURES):
        refused_pin(desk, nurse.id, WRONG_PIN)
    with pytest.raises(SignInRefused, match="must sign in with their password"):
        desk.accounts.change_pin(nurse.id, LEGACY_PIN, OTHER_PIN)
    desk.accounts.sign_in(nurse.id, PASSWORD)
    desk.accounts.change_pin(nurse.id, LEGACY_PIN, OTHER_PIN)
    assert desk.accounts.confirm_pin(nurse.id, OTHER_PIN, "switch") == nurse


# --- 4. wrong passwords: 10 in a row lock the account ----------------------------------------------


def test_nine_wrong_passwords_then_the_right_one_signs_in_and_starts_the_count_again(
    desk: Desk, db_url: str, nurse: Staff
) -> None:
    for _ in range(MAX_SIGN_IN_FAILURES - 1):
        refused_sign_in(desk, nurse.id, WRONG_PASSWORD)
    assert desk.accounts.sign_in(nurse.id, PASSWORD) == nurse
    assert committed_credential(db_url, nurse.id) == (0, 0, 0)
    for _ in range(MAX_SIGN_IN_FAILURES - 1):
        refused_sign_in(desk, nurse.id, WRONG_PASSWORD)
    assert desk.accounts.sign_in(nurse.id, PASSWORD) == nurse


def test_each_wrong_password_says_how_many_tries_are_left(desk: Desk, nurse: Staff) -> None:
    left = [tries_left(refused_sign_in(desk, nurse.id, WRONG_PASSWORD)) for _ in range(9)]
    assert left == [9, 8, 7, 6, 5, 4, 3, 2, 1]


def test_the_tenth_wrong_password_in_a_row_locks_the_account(desk: Desk, db_url: str, nurse: Staff) -> None:
    message = lock_out(desk, nurse.id)
    assert "Wrong password" in message
    assert "locked" in message
    assert "administrator" in message
    assert committed_credential(db_url, nurse.id) == (10, 0, 1)
    locked = {member.id: is_locked for member, _, is_locked in desk.accounts.list_all_staff()}
    assert locked[nurse.id] is True


def test_a_locked_account_refuses_even_the_right_password_and_pin(
    desk: Desk, db: Database, nurse: Staff
) -> None:
    lock_out(desk, nurse.id)
    mark = last_audit_id(db)
    assert "locked" in refused_sign_in(desk, nurse.id, PASSWORD)
    assert "locked" in refused_pin(desk, nurse.id, PIN, "unlock")
    assert audit_after(db, mark) == [
        ("sign-in refused: account locked", nurse.id, "staff", nurse.id, {}),
        ("PIN refused: account locked", nurse.id, "staff", nurse.id, {"for": "unlock"}),
    ]


def test_an_administrator_unlocks_a_locked_account(
    desk: Desk, db: Database, admin: Staff, nurse: Staff
) -> None:
    lock_out(desk, nurse.id)
    mark = last_audit_id(db)
    desk.accounts.unlock_account(nurse.id, admin.id)
    assert audit_after(db, mark) == [("account unlocked", admin.id, "staff", nurse.id, {})]
    assert desk.accounts.sign_in(nurse.id, PASSWORD) == nurse
    assert desk.accounts.confirm_pin(nurse.id, PIN, "unlock") == nurse


def test_after_an_unlock_the_count_of_wrong_passwords_starts_again(
    desk: Desk, admin: Staff, nurse: Staff
) -> None:
    lock_out(desk, nurse.id)
    desk.accounts.unlock_account(nurse.id, admin.id)
    assert tries_left(refused_sign_in(desk, nurse.id, WRONG_PASSWORD)) == 9


def test_a_nurse_cannot_unlock_an_account(desk: Desk, db_url: str, nurse: Staff, clinician: Staff) -> None:
    lock_out(desk, clinician.id)
    with pytest.raises(ActionRefused, match="Only an administrator"):
        desk.accounts.unlock_account(clinician.id, nurse.id)
    assert committed_credential(db_url, clinician.id)[2] == 1
    assert "locked" in refused_sign_in(desk, clinician.id, PASSWORD)


# --- 4. wrong PINs: after 5 the password is needed -------------------------------------------------


def test_each_wrong_pin_says_how_many_tries_are_left(desk: Desk, clinician: Staff) -> None:
    messages = [refused_pin(desk, clinician.id, WRONG_PIN, "override") for _ in range(MAX_PIN_FAILURES)]
    assert [tries_left(message) for message in messages[:-1]] == [4, 3, 2, 1]
    assert all(message.startswith("Wrong PIN.") for message in messages)
    assert "password is needed" in messages[-1]


def test_after_five_wrong_pins_even_the_right_pin_is_refused(
    desk: Desk, db: Database, clinician: Staff
) -> None:
    for _ in range(MAX_PIN_FAILURES):
        refused_pin(desk, clinician.id, WRONG_PIN, "override")
    mark = last_audit_id(db)
    message = refused_pin(desk, clinician.id, PIN, "override")
    assert "password" in message
    assert audit_after(db, mark) == [
        ("PIN refused: password needed", clinician.id, "staff", clinician.id, {"for": "override"})
    ]


def test_signing_in_with_the_password_lets_the_pin_work_again(
    desk: Desk, db_url: str, clinician: Staff
) -> None:
    for _ in range(MAX_PIN_FAILURES):
        refused_pin(desk, clinician.id, WRONG_PIN)
    assert desk.accounts.sign_in(clinician.id, PASSWORD) == clinician
    assert committed_credential(db_url, clinician.id) == (0, 0, 0)
    assert desk.accounts.confirm_pin(clinician.id, PIN, "override") == clinician


def test_the_right_pin_starts_the_count_of_wrong_pins_again(desk: Desk, clinician: Staff) -> None:
    for _ in range(MAX_PIN_FAILURES - 1):
        refused_pin(desk, clinician.id, WRONG_PIN)
    assert desk.accounts.confirm_pin(clinician.id, PIN, "override") == clinician
    assert tries_left(refused_pin(desk, clinician.id, WRONG_PIN)) == 4


def test_wrong_pins_do_not_lock_the_account(desk: Desk, db_url: str, nurse: Staff) -> None:
    for _ in range(MAX_PIN_FAILURES + 3):
        refused_pin(desk, nurse.id, WRONG_PIN)
    assert committed_credential(db_url, nurse.id)[2] == 0
    assert desk.accounts.sign_in(nurse.id, PASSWORD) == nurse


# --- 4. every attempt is committed and audited -----------------------------------------------------


def test_wrong_passwords_are_committed_and_still_count_on_a_new_desk(
    desk: Desk, db: Database, db_url: str, procedure: Procedure, clock: ManualClock, nurse: Staff
) -> None:
    for _ in range(4):
        refused_sign_in(desk, nurse.id, WRONG_PASSWORD)
    assert committed_credential(db_url, nurse.id)[0] == 4
    another_desk = Desk(db, procedure, clock, desk.hasher)
    assert tries_left(refused_sign_in(another_desk, nurse.id, WRONG_PASSWORD)) == 5


def test_wrong_pins_are_committed_and_still_count_on_a_new_desk(
    desk: Desk, db: Database, db_url: str, procedure: Procedure, clock: ManualClock, nurse: Staff
) -> None:
    for _ in range(3):
        refused_pin(desk, nurse.id, WRONG_PIN)
    assert committed_credential(db_url, nurse.id)[1] == 3
    another_desk = Desk(db, procedure, clock, desk.hasher)
    assert tries_left(refused_pin(another_desk, nurse.id, WRONG_PIN)) == 1


def test_each_wrong_password_writes_an_audit_row_and_the_lock_writes_another(
    desk: Desk, db: Database, nurse: Staff
) -> None:
    mark = last_audit_id(db)
    lock_out(desk, nurse.id)
    rows = audit_after(db, mark)
    failed = [(action, staff, sid, detail) for action, staff, _, sid, detail in rows[:-1]]
    assert failed == [("sign-in failed", nurse.id, nurse.id, {"failures": n}) for n in range(1, 11)]
    assert rows[-1] == ("account locked", nurse.id, "staff", nurse.id, {})


def test_each_wrong_pin_writes_an_audit_row_with_its_purpose(
    desk: Desk, db: Database, clinician: Staff
) -> None:
    mark = last_audit_id(db)
    refused_pin(desk, clinician.id, WRONG_PIN, "override")
    refused_pin(desk, clinician.id, WRONG_PIN, "switch")
    assert audit_after(db, mark) == [
        ("PIN failed", clinician.id, "staff", clinician.id, {"failures": 1, "for": "override"}),
        ("PIN failed", clinician.id, "staff", clinician.id, {"failures": 2, "for": "switch"}),
    ]


def test_a_sign_in_is_audited(desk: Desk, db: Database, nurse: Staff) -> None:
    mark = last_audit_id(db)
    desk.accounts.sign_in(nurse.id, PASSWORD)
    assert audit_after(db, mark) == [("signed in", nurse.id, "staff", nurse.id, {})]


def test_an_accepted_pin_is_audited_with_its_purpose(desk: Desk, db: Database, clinician: Staff) -> None:
    mark = last_audit_id(db)
    desk.accounts.confirm_pin(clinician.id, PIN, "override")
    assert audit_after(db, mark) == [
        ("PIN accepted", clinician.id, "staff", clinician.id, {"for": "override"})
    ]


def test_signing_out_and_locking_the_screen_are_audited(desk: Desk, db: Database, nurse: Staff) -> None:
    mark = last_audit_id(db)
    desk.accounts.record_sign_out(nurse.id)
    desk.accounts.record_screen_lock(nurse.id, idle=True)
    desk.accounts.record_screen_lock(None, idle=False)
    assert audit_after(db, mark) == [
        ("signed out", nurse.id, "staff", nurse.id, {}),
        ("screen locked", nurse.id, "desk", None, {"idle": True}),
        ("screen locked", None, "desk", None, {"idle": False}),
    ]


# --- 5. roles and who may change what --------------------------------------------------------------


def test_only_an_administrator_changes_a_role(
    desk: Desk, db: Database, nurse: Staff, clinician: Staff
) -> None:
    mark = last_audit_id(db)
    with pytest.raises(ActionRefused, match="Only an administrator"):
        desk.accounts.update_staff(nurse.id, "clinician", True, clinician.id)
    assert desk.accounts.staff(nurse.id).role is Role.NURSE
    assert audit_actions(db, mark) == []


def test_an_administrator_changes_a_role_and_it_is_audited(
    desk: Desk, db: Database, admin: Staff, nurse: Staff
) -> None:
    mark = last_audit_id(db)
    changed = desk.accounts.update_staff(nurse.id, "clinician", True, admin.id)
    assert changed.role is Role.CLINICIAN
    assert desk.accounts.staff(nurse.id).role is Role.CLINICIAN
    assert nurse.id in [member.id for member in desk.accounts.list_clinicians()]
    assert audit_after(db, mark) == [
        (
            "staff changed",
            admin.id,
            "staff",
            nurse.id,
            {"role": ["nurse", "clinician"], "active": [True, True]},
        )
    ]


def test_the_last_active_administrator_cannot_be_made_inactive(
    desk: Desk, db: Database, admin: Staff
) -> None:
    mark = last_audit_id(db)
    with pytest.raises(ActionRefused, match="at least one active administrator"):
        desk.accounts.update_staff(admin.id, "administrator", False, admin.id)
    assert desk.accounts.staff(admin.id) == admin
    assert desk.accounts.has_administrator()
    assert audit_actions(db, mark) == []


def test_the_last_administrator_cannot_become_a_nurse(desk: Desk, db: Database, admin: Staff) -> None:
    mark = last_audit_id(db)
    with pytest.raises(ActionRefused, match="at least one active administrator"):
        desk.accounts.update_staff(admin.id, "nurse", True, admin.id)
    assert desk.accounts.staff(admin.id).role is Role.ADMINISTRATOR
    assert desk.accounts.has_administrator()
    assert audit_actions(db, mark) == []


def test_an_administrator_may_step_down_when_another_remains(desk: Desk, admin: Staff) -> None:
    second = desk.accounts.add_staff("Bea Admin", "BA", "administrator", PASSWORD, PIN, admin.id)
    assert desk.accounts.update_staff(admin.id, "nurse", True, admin.id).role is Role.NURSE
    assert desk.accounts.has_administrator()
    with pytest.raises(ActionRefused, match="at least one active administrator"):
        desk.accounts.update_staff(second.id, "administrator", False, second.id)


def test_an_inactive_member_cannot_sign_in_or_confirm_a_pin(desk: Desk, admin: Staff, nurse: Staff) -> None:
    desk.accounts.update_staff(nurse.id, "nurse", False, admin.id)
    with pytest.raises(ActionRefused, match="no longer active"):
        desk.accounts.sign_in(nurse.id, PASSWORD)
    with pytest.raises(ActionRefused, match="no longer active"):
        desk.accounts.confirm_pin(nurse.id, PIN, "switch")


def test_an_inactive_member_is_listed_only_among_all_staff(desk: Desk, admin: Staff, nurse: Staff) -> None:
    desk.accounts.update_staff(nurse.id, "nurse", False, admin.id)
    assert nurse.id not in [member.id for member in desk.accounts.list_staff()]
    everyone = {
        member.id: (member, can_sign_in, locked)
        for member, can_sign_in, locked in desk.accounts.list_all_staff()
    }
    assert nurse.id in everyone
    assert everyone[nurse.id][0].name == "Ann Nurse"


def test_a_member_made_active_again_can_sign_in(desk: Desk, admin: Staff, nurse: Staff) -> None:
    desk.accounts.update_staff(nurse.id, "nurse", False, admin.id)
    desk.accounts.update_staff(nurse.id, "nurse", True, admin.id)
    assert desk.accounts.sign_in(nurse.id, PASSWORD).id == nurse.id


def test_a_member_is_not_made_active_again_with_initials_now_in_use(
    desk: Desk, admin: Staff, nurse: Staff
) -> None:
    desk.accounts.update_staff(nurse.id, "nurse", False, admin.id)
    desk.accounts.add_staff("Alan Newman", "AN", "nurse", PASSWORD, PIN, admin.id)
    with pytest.raises(ValidationError, match="Initials AN"):
        desk.accounts.update_staff(nurse.id, "nurse", True, admin.id)


def test_a_member_cannot_set_someone_elses_password(
    desk: Desk, db: Database, nurse: Staff, clinician: Staff
) -> None:
    before = credential(db, clinician.id)
    with pytest.raises(ActionRefused, match="Only an administrator"):
        desk.accounts.set_credentials(clinician.id, "taken over now", OTHER_PIN, nurse.id)
    assert credential(db, clinician.id) == before
    assert desk.accounts.sign_in(clinician.id, PASSWORD) == clinician


def test_a_member_may_set_their_own_password_and_pin(desk: Desk, db: Database, nurse: Staff) -> None:
    mark = last_audit_id(db)
    desk.accounts.set_credentials(nurse.id, "my own new password", OTHER_PIN, nurse.id)
    assert "Wrong password" in refused_sign_in(desk, nurse.id, PASSWORD)
    assert desk.accounts.sign_in(nurse.id, "my own new password") == nurse
    assert desk.accounts.confirm_pin(nurse.id, OTHER_PIN, "switch") == nurse
    assert audit_actions(db, mark)[0] == "password and PIN set"


def test_an_administrator_sets_a_members_password_and_pin(
    desk: Desk, db: Database, admin: Staff, nurse: Staff
) -> None:
    mark = last_audit_id(db)
    desk.accounts.set_credentials(nurse.id, "given by the admin", OTHER_PIN, admin.id)
    assert audit_after(db, mark) == [("password and PIN set", admin.id, "staff", nurse.id, {})]
    assert desk.accounts.sign_in(nurse.id, "given by the admin") == nurse
    assert desk.accounts.confirm_pin(nurse.id, OTHER_PIN, "switch") == nurse


def test_a_nurse_cannot_change_the_clinic_details(desk: Desk, db: Database, nurse: Staff) -> None:
    before, mark = desk.clinic.clinic_details(), last_audit_id(db)
    details = checked_clinic_details("Nurse's Clinic", "", "", "A4", 10)
    with pytest.raises(ActionRefused, match="Only an administrator"):
        desk.clinic.update_clinic_details(details, nurse.id)
    assert desk.clinic.clinic_details() == before
    assert audit_actions(db, mark) == []


@pytest.mark.parametrize("minutes", [0, 16, "five", "", "-1", "٥"])
def test_the_idle_lock_must_be_1_to_15_minutes(minutes: int | str) -> None:
    with pytest.raises(ValidationError, match="1 to 15 minutes"):
        checked_clinic_details("Azure Medical", "", "", "A4", minutes)


@pytest.mark.parametrize("minutes", [1, 12, 15, " 7 "])
def test_an_idle_lock_of_1_to_15_minutes_is_kept(
    desk: Desk,
    db: Database,
    procedure: Procedure,
    clock: ManualClock,
    admin: Staff,
    minutes: int | str,
) -> None:
    details = checked_clinic_details("Azure Medical", "1 High Street", "", "A4", minutes)
    desk.clinic.update_clinic_details(details, admin.id)
    expected = int(str(minutes).strip())
    assert desk.clinic.clinic_details().idle_lock_minutes == expected
    assert Desk(db, procedure, clock, desk.hasher).clinic.clinic_details().idle_lock_minutes == expected


def test_the_idle_lock_is_5_minutes_on_a_new_clinic(desk: Desk) -> None:
    assert desk.clinic.clinic_details().idle_lock_minutes == 5


# --- 6. unknown staff ------------------------------------------------------------------------------


def test_signing_in_someone_unknown_is_refused_clearly(desk: Desk, db: Database, admin: Staff) -> None:
    mark = last_audit_id(db)
    with pytest.raises(ActionRefused, match="not known"):
        desk.accounts.sign_in(admin.id + 999, PASSWORD)
    with pytest.raises(ActionRefused, match="not known"):
        desk.accounts.confirm_pin(admin.id + 999, PIN, "switch")
    assert audit_actions(db, mark) == []


# --- names -----------------------------------------------------------------------------------------


def test_an_administrator_corrects_a_name_and_initials(desk: Desk, admin: Staff, nurse: Staff) -> None:
    renamed = desk.accounts.rename_staff(nurse.id, "Ann Newsome", "anw", admin.id)
    assert (renamed.name, renamed.initials) == ("Ann Newsome", "ANW")
    assert desk.accounts.staff(nurse.id) == renamed


def test_only_an_administrator_renames_and_not_to_initials_in_use(
    desk: Desk, admin: Staff, nurse: Staff, clinician: Staff
) -> None:
    with pytest.raises(ActionRefused, match="Only an administrator"):
        desk.accounts.rename_staff(nurse.id, "Ann Newsome", "AN", clinician.id)
    with pytest.raises(ValidationError, match="Initials CD already belong to Dr Clive Doctor"):
        desk.accounts.rename_staff(nurse.id, "Ann Nurse", "CD", admin.id)
    with pytest.raises(ValidationError, match="Nothing was changed"):
        desk.accounts.rename_staff(nurse.id, " Ann Nurse ", "an", admin.id)
    with pytest.raises(ValidationError, match="Name"):
        desk.accounts.rename_staff(nurse.id, "   ", "AN", admin.id)
    assert desk.accounts.staff(nurse.id) == nurse


# --- getting back in -------------------------------------------------------------------------------


def test_a_new_password_from_an_administrator_also_unlocks_the_account(
    desk: Desk, admin: Staff, nurse: Staff
) -> None:
    lock_out(desk, nurse.id)
    desk.accounts.set_credentials(nurse.id, "a fresh password", OTHER_PIN, admin.id)
    assert desk.accounts.sign_in(nurse.id, "a fresh password") == nurse
    assert desk.accounts.confirm_pin(nurse.id, OTHER_PIN, "test") == nurse


def test_trying_an_account_with_no_password_yet_is_refused_and_recorded(
    desk: Desk, db: Database, admin: Staff, nurse: Staff
) -> None:
    run_sql(db, "DELETE FROM staff_credential WHERE staff_id = ?", (nurse.id,))  # as before passwords
    mark = last_audit_id(db)
    with pytest.raises(SignInRefused, match="Ann Nurse has no password yet"):
        desk.accounts.sign_in(nurse.id, PASSWORD)
    with pytest.raises(SignInRefused, match="no password yet"):
        desk.accounts.confirm_pin(nurse.id, PIN, "switch staff")
    assert audit_actions(db, mark) == ["sign-in refused: no password yet"] * 2


def test_the_only_administrator_locked_out_is_let_back_in_from_the_terminal(
    desk: Desk,
    db: Database,
    db_url: str,
    db_path: Path,
    admin: Staff,
    clock: ManualClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from desk_app import cli

    lock_out(desk, admin.id)
    mark = last_audit_id(db)
    assert cli.main(["unlock", "aa", "--db", db_url]) == 0
    database_proxy.initialize(db)  # the command bound the models to its own connection, now closed
    assert "Ada Admin (AA) may sign in again." in capsys.readouterr().out
    clock.set(datetime.now(UTC))  # the command wrote with the PC's clock: the desk goes on from it
    assert desk.accounts.sign_in(admin.id, PASSWORD) == admin
    (row, *_rest) = audit_after(db, mark)
    assert row[0] == "account unlocked from the terminal" and row[1] is None and row[3] == admin.id
    assert row[4]["account"]

    assert cli.main(["unlock", "ZZ", "--db", db_url]) == 1
    assert "No active member of staff has the initials ZZ." in capsys.readouterr().err
    missing = db_path.with_name("nowhere.sqlite3")
    assert cli.main(["unlock", "AA", "--db", str(missing)]) == 2
    assert not missing.exists()


ACCOUNT_ACTIONS = {
    "staff added": lambda desk, admin, nurse: desk.accounts.add_staff(
        "Beth Nurse", "BN", "nurse", PASSWORD, PIN, admin.id
    ),
    "staff changed": lambda desk, admin, nurse: desk.accounts.update_staff(
        nurse.id, "clinician", True, admin.id
    ),
    "staff renamed": lambda desk, admin, nurse: desk.accounts.rename_staff(
        nurse.id, "Ann Newsome", "AN", admin.id
    ),
    "password and PIN set": lambda desk, admin, nurse: desk.accounts.set_credentials(
        nurse.id, "new password", OTHER_PIN, admin.id
    ),
    "account unlocked": lambda desk, admin, nurse: desk.accounts.unlock_account(nurse.id, admin.id),
    "account unlocked from the terminal": lambda desk, admin, nurse: desk.accounts.unlock_from_terminal(
        "AN", "root"
    ),
    "signed in": lambda desk, admin, nurse: desk.accounts.sign_in(nurse.id, PASSWORD),
    "PIN accepted": lambda desk, admin, nurse: desk.accounts.confirm_pin(nurse.id, PIN, "switch staff"),
    "signed out": lambda desk, admin, nurse: desk.accounts.record_sign_out(nurse.id),
    "screen locked": lambda desk, admin, nurse: desk.accounts.record_screen_lock(nurse.id, idle=True),
}


@pytest.mark.parametrize("action", list(ACCOUNT_ACTIONS))
def test_each_account_action_writes_exactly_its_one_audit_row(
    desk: Desk, db: Database, admin: Staff, nurse: Staff, action: str
) -> None:
    mark = last_audit_id(db)
    ACCOUNT_ACTIONS[action](desk, admin, nurse)
    assert audit_actions(db, mark) == [action]
