"""Staff for tests: cheap password hashes, and an administrator added first, as the store requires."""

from __future__ import annotations

from desk_app.domain.credentials import HashCost, SecretHasher
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


def add_member(desk: Desk, name: str, initials: str, role: str) -> Staff:
    """A member of staff added by the administrator, with the tests' password and PIN."""
    if role == "administrator" and not desk.has_administrator():
        return desk.add_staff(name, initials, role, PASSWORD, PIN, None)
    return desk.add_staff(name, initials, role, PASSWORD, PIN, administrator(desk).id)
