"""Staff for tests: cheap password and PIN hashes, and an administrator added first, as the store requires."""

from __future__ import annotations

from datetime import datetime, timedelta

from desk_app.domain.credentials import PASSWORD_COST, Argon2Hasher, HashCost, SecretHasher
from desk_app.domain.dates import local_today
from desk_app.domain.people import Role, Staff
from desk_app.store.audit import write_audit
from desk_app.store.desk import Desk
from desk_app.store.models import AuditLog, StaffCredential, database_proxy
from desk_app.store.seals import credential_of

# The least argon2id allows, for passwords and PINs alike: tests add many staff and check many PINs;
# tests of the real costs build their own hasher.
CHEAPEST = HashCost(memory_kib=8, iterations=1, lanes=1)
FAST_HASHER = SecretHasher(CHEAPEST, CHEAPEST)
PASSWORD = "correct horse"
PIN = "246813"
OTHER_PIN = "864213"  # another member's PIN, or one newly chosen
WRONG_PIN = "135790"  # nobody's
LEGACY_PIN = "2468"  # 4 digits, as allowed before PINs needed 6: kept from then, never set anew
ADMIN = ("Ada Admin", "AA")


def administrator(desk: Desk) -> Staff:
    """The clinic's administrator, added first if there is none yet."""
    for member in desk.accounts.list_staff():
        if member.role is Role.ADMINISTRATOR:
            return member
    return desk.accounts.add_staff(*ADMIN, "administrator", PASSWORD, PIN, None)


def add_member(desk: Desk, name: str, initials: str, role: str, *, laser_operator: bool = True) -> Staff:
    """A member of staff added by the administrator, with the tests' password and PIN; a nurse or
    clinician is an authorised laser operator unless `laser_operator` is False."""
    if role == "administrator" and not desk.accounts.has_administrator():
        return desk.accounts.add_staff(name, initials, role, PASSWORD, PIN, None)
    member = desk.accounts.add_staff(name, initials, role, PASSWORD, PIN, administrator(desk).id)
    if laser_operator and role != "administrator":
        authorise_laser_operator(desk, member)
    return member


def give_legacy_pin(member: Staff) -> None:
    """The member's PIN as kept from before PINs needed 6 digits: LEGACY_PIN, hashed at the cost of then
    (the store no longer sets such a PIN, so it is written as it was left)."""
    old_hash = Argon2Hasher(PASSWORD_COST).hash(LEGACY_PIN)
    db = database_proxy.obj
    with db.atomic():
        StaffCredential.update(pin_hash=old_hash).where(StaffCredential.staff == member.id).execute()
        # Sealed as the app of then sealed it, at the trail's last time: the file verifies intact.
        last = AuditLog.select(AuditLog.at).order_by(AuditLog.id.desc()).first()
        at = datetime.fromisoformat(last.at)
        write_audit(
            db, at, None, "password and PIN set", "staff", member.id, sealed=[credential_of(member.id)]
        )


def authorise_laser_operator(desk: Desk, member: Staff) -> None:
    """Trained three years ago (tests move their clocks back), authorised for a year from today."""
    today = local_today(desk.clock.now())
    desk.operators.grant_laser_authorisation(
        member.id, today - timedelta(days=3 * 365), today + timedelta(days=365), administrator(desk).id
    )
