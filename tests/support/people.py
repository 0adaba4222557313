"""Staff for tests: cheap password hashes, and an administrator added first, as the store requires."""

from __future__ import annotations

from datetime import timedelta

from desk_app.domain.credentials import HashCost, SecretHasher
from desk_app.domain.dates import local_today
from desk_app.domain.people import Role, Staff
from desk_app.store.desk import Desk

# The least argon2id allows: tests add many staff; tests of the real cost build their own hasher.
FAST_HASHER = SecretHasher(HashCost(memory_kib=8, iterations=1, lanes=1))
PASSWORD = "correct horse"
PIN = "2468"
ADMIN = ("Ada Admin", "AA")


def administrator(desk: Desk) -> Staff:
    """The clinic's administrator, added first if there is none yet."""
    for member in desk.list_staff():
        if member.role is Role.ADMINISTRATOR:
            return member
    return desk.add_staff(*ADMIN, "administrator", PASSWORD, PIN, None)


def add_member(desk: Desk, name: str, initials: str, role: str, *, laser_operator: bool = True) -> Staff:
    """A member of staff added by the administrator, with the tests' password and PIN; a nurse or
    clinician is an authorised laser operator unless `laser_operator` is False."""
    if role == "administrator" and not desk.has_administrator():
        return desk.add_staff(name, initials, role, PASSWORD, PIN, None)
    member = desk.add_staff(name, initials, role, PASSWORD, PIN, administrator(desk).id)
    if laser_operator and role != "administrator":
        authorise_laser_operator(desk, member)
    return member


def authorise_laser_operator(desk: Desk, member: Staff) -> None:
    """Trained three years ago (tests move their clocks back), authorised for a year from today."""
    today = local_today(desk.clock.now())
    desk.grant_laser_authorisation(
        member.id, today - timedelta(days=3 * 365), today + timedelta(days=365), administrator(desk).id
    )
