"""Passwords and PINs: what is accepted, and how they are kept (argon2id hashes, never the secret).

A password signs a member of staff in; a PIN is the quick proof at a shared desk (switching who is at
the desk, unlocking the screen, a clinician confirming an override). Both are hashed with argon2id at
no less than the OWASP minimum (19 MiB, 2 iterations, 1 lane); a hash made with weaker parameters is
replaced at the next successful sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from desk_app.domain.errors import ValidationError
from desk_app.domain.text import check_plain_text

PASSWORD_MIN = 8
PASSWORD_MAX = 128
PIN_DIGITS = (4, 8)
MAX_PIN_FAILURES = 5  # then the password is needed
MAX_SIGN_IN_FAILURES = 10  # then an administrator must unlock the account


@dataclass(frozen=True)
class HashCost:
    memory_kib: int
    iterations: int
    lanes: int


CLINIC_COST = HashCost(memory_kib=19 * 1024, iterations=2, lanes=1)


class SecretHasher:
    """argon2id with the given cost; tests pass a cheap cost, the app the clinic's."""

    def __init__(self, cost: HashCost = CLINIC_COST) -> None:
        self._hasher = PasswordHasher(
            time_cost=cost.iterations, memory_cost=cost.memory_kib, parallelism=cost.lanes
        )

    def hash(self, secret: str) -> str:
        return self._hasher.hash(secret)

    def matches(self, stored_hash: str, secret: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, secret)
        except (VerificationError, InvalidHashError, UnicodeEncodeError):  # the last: not text at all
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when the stored hash was made with other (older, weaker) parameters."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True


def check_password(text: str) -> str:
    """At least 8 characters, kept exactly as typed (spaces and accents included)."""
    if len(text) < PASSWORD_MIN:
        raise ValidationError(f"Password: at least {PASSWORD_MIN} characters.")
    check_plain_text(text, "Password", PASSWORD_MAX)
    return text


def check_pin(text: str) -> str:
    low, high = PIN_DIGITS
    if not (text.isascii() and text.isdigit() and low <= len(text) <= high):
        raise ValidationError(f"PIN: {low} to {high} digits.")
    return text
