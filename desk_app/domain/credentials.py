"""Passwords and PINs: what is accepted, and how they are kept (argon2id hashes, never the secret).

A password signs a member of staff in; a PIN is the quick proof at a shared desk (switching who is at
the desk, unlocking the screen, a clinician confirming an override or signing a record). Both are
hashed with argon2id, each at its own cost; a hash made with weaker parameters is replaced at its next
successful use.

A password is at least 8 characters: the OWASP minimum cost (19 MiB, 2 iterations, 1 lane) is enough.
A PIN of 6 digits has only a million values, so its hash costs far more: someone with a copy of the
file must spend at least a CPU-day, on average, to find one (tests/benchmarks/test_12_pin_cost.py
measures it). PINs of 4 or 5 digits, allowed before, still open the desk once and must then be changed.

No pepper (a secret kept outside the database): a clinic's desks share one database, so every PC would
need the same secret, and a backup restored on a new PC would lose every PIN and password with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from desk_app.domain.errors import ValidationError
from desk_app.domain.text import check_plain_text

if TYPE_CHECKING:
    from argon2 import PasswordHasher

PASSWORD_MIN = 8
PASSWORD_MAX = 128
PIN_DIGITS = (6, 8)
PIN_RULE = f"{PIN_DIGITS[0]} to {PIN_DIGITS[1]} digits"
LEGACY_PIN_MIN = 4  # the shortest PIN allowed before: still accepted, once, to choose a new one
MAX_PIN_FAILURES = 5  # then the password is needed
MAX_SIGN_IN_FAILURES = 10  # then an administrator must unlock the account


@dataclass(frozen=True)
class HashCost:
    memory_kib: int
    iterations: int
    lanes: int


PASSWORD_COST = HashCost(memory_kib=19 * 1024, iterations=2, lanes=1)
# About 0.33 s of an idle core per try on the clinic's PC (2026, 13.7 times a password try): a 6-digit
# PIN then takes 1.9 CPU-days on average to find (one day needs at least 0.17 s a try); each PIN check
# at the desk waits as long. make bench measures it (tests/benchmarks/test_12_pin_cost.py).
PIN_COST = HashCost(memory_kib=128 * 1024, iterations=3, lanes=1)


class Argon2Hasher:
    """argon2id at one cost: hashing, checking, and telling a hash made at another cost."""

    def __init__(self, cost: HashCost) -> None:
        self.cost = cost

    @cached_property
    def _hasher(self) -> PasswordHasher:
        # argon2 is imported at the first sign-in or new secret, not when the window starts.
        from argon2 import PasswordHasher

        cost = self.cost
        return PasswordHasher(time_cost=cost.iterations, memory_cost=cost.memory_kib, parallelism=cost.lanes)

    def hash(self, secret: str) -> str:
        return self._hasher.hash(secret)

    def matches(self, stored_hash: str, secret: str) -> bool:
        from argon2.exceptions import InvalidHashError, VerificationError  # with _hasher, at first use

        try:
            return self._hasher.verify(stored_hash, secret)
        except (VerificationError, InvalidHashError, UnicodeEncodeError):  # the last: not text at all
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when the stored hash was made with other (older, weaker) parameters."""
        from argon2.exceptions import InvalidHashError  # with _hasher, at first use

        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True


class SecretHasher:
    """Passwords and PINs, each hashed at its own cost; tests pass cheap costs, the app the clinic's."""

    def __init__(self, password_cost: HashCost = PASSWORD_COST, pin_cost: HashCost = PIN_COST) -> None:
        self.password = Argon2Hasher(password_cost)
        self.pin = Argon2Hasher(pin_cost)


def check_password(text: str) -> str:
    """At least 8 characters, kept exactly as typed (spaces and accents included)."""
    if len(text) < PASSWORD_MIN:
        raise ValidationError(f"Password: at least {PASSWORD_MIN} characters.")
    check_plain_text(text, "Password", PASSWORD_MAX)
    return text


def check_pin(text: str) -> str:
    """A new PIN: 6 to 8 ASCII digits (a shorter one is found too quickly from a copy of the file)."""
    low, high = PIN_DIGITS
    if not (text.isascii() and text.isdigit() and low <= len(text) <= high):
        raise ValidationError(f"PIN: {PIN_RULE}.")
    return text


def is_legacy_pin(text: str) -> bool:
    """A PIN of 4 or 5 digits, as allowed before: it may be used once more, to choose a new one."""
    return text.isascii() and text.isdigit() and LEGACY_PIN_MIN <= len(text) < PIN_DIGITS[0]
