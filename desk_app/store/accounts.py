"""Staff accounts: who may sign in, with what, and what happens after wrong tries.

A service of Desk (desk.accounts). Passwords and PINs are kept only as argon2id hashes. Every
sign-in, PIN, failure, lock and account change writes its audit row; a failure is committed before
the refusal is raised, so wrong tries count even though the action they were for did not happen.
"""

from __future__ import annotations

import logging

from desk_app.domain.credentials import (
    MAX_PIN_FAILURES,
    MAX_SIGN_IN_FAILURES,
    check_password,
    check_pin,
    is_legacy_pin,
)
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.people import Role, Staff, check_new_staff
from desk_app.domain.refusals import PinChangeNeeded, SignInRefused
from desk_app.store.context import Service, StoreContext
from desk_app.store.errors import log_refusal, store_errors
from desk_app.store.models import StaffCredential, StaffRow
from desk_app.store.rows import staff_from_row
from desk_app.store.seals import credential_of, staff_rows

log = logging.getLogger(__name__)

_UNLOCK_HINT = " Ask an administrator to unlock it."


def _tries(count: int) -> str:
    return "1 try" if count == 1 else f"{count} tries"


class Accounts(Service):
    """Staff, their accounts and their sign-ins."""

    def __init__(self, context: StoreContext) -> None:
        self._context = context

    # --- reading ---------------------------------------------------------------------------------

    def staff(self, staff_id: int) -> Staff:
        """An active member of staff; refused if not known or no longer active."""
        return self._context.staff(staff_id)

    def list_staff(self) -> list[Staff]:
        return self._context.list_staff()

    @store_errors
    def list_clinicians(self) -> list[Staff]:
        """Who may override a stop."""
        return [member for member in self.list_staff() if member.role is Role.CLINICIAN]

    @store_errors
    def has_administrator(self) -> bool:
        """True once an active administrator who can sign in exists (first start asks for one)."""
        query = (
            StaffRow.select()
            .join(StaffCredential, on=(StaffCredential.staff == StaffRow.id))
            .where((StaffRow.role == Role.ADMINISTRATOR.value) & (StaffRow.active == True))  # noqa: E712
        )
        return query.exists()

    @store_errors
    def list_all_staff(self) -> list[tuple[Staff, bool, bool]]:
        """Every member of staff, active or not, with (can sign in, account locked): for administrators."""
        credentials = {row.staff_id: row.locked for row in StaffCredential.select()}
        return [
            (staff_from_row(row), row.id in credentials, credentials.get(row.id, False))
            for row in StaffRow.select().order_by(StaffRow.name, StaffRow.id)
        ]

    def _refuse_initials_in_use(self, initials: str) -> None:
        """Records and cards show initials: two active members of staff must never share them."""
        clash = StaffRow.get_or_none((StaffRow.initials == initials) & (StaffRow.active == True))  # noqa: E712
        if clash is not None:
            raise ValidationError(f"Initials {initials} already belong to {clash.name}.")

    # --- staff -----------------------------------------------------------------------------------

    @store_errors
    def add_staff(
        self, name: str, initials: str, role: str, password: str, pin: str, by: int | None
    ) -> Staff:
        """Add a member of staff with their password and PIN.

        An administrator (`by`) adds staff; the very first member of staff, when no administrator
        exists, must be an administrator and is added by nobody.
        """
        new = check_new_staff(name, initials, role)
        password_hash = self._context.hasher.password.hash(check_password(password))
        pin_hash = self._context.hasher.pin.hash(check_pin(pin))
        with self._context.db.atomic():
            if self.has_administrator():
                if by is None:
                    raise ActionRefused("Only an administrator may add staff.")
                self._context.require_administrator(by)
            elif new.role is not Role.ADMINISTRATOR or by is not None:
                raise ActionRefused("The first member of staff must be an administrator.")
            self._refuse_initials_in_use(new.initials)
            row = StaffRow.create(
                name=new.name,
                initials=new.initials,
                role=new.role.value,
                created_at=self._context.clock.now(),
            )
            StaffCredential.create(staff=row.id, password_hash=password_hash, pin_hash=pin_hash)
            added = {"name": new.name, "initials": new.initials, "role": new.role.value}
            self._context.audit("staff added", by, "staff", row.id, added, staff_rows(row.id))
        return staff_from_row(row)

    @store_errors
    def update_staff(self, staff_id: int, role: str, active: bool, by: int) -> Staff:
        """Change a member of staff's role, or make them inactive (never deleted: records name them)."""
        try:
            new_role = Role(role)
        except ValueError:
            raise ValidationError(f"Role must be one of: {', '.join(r.value for r in Role)}.") from None
        with self._context.db.atomic():
            self._context.require_administrator(by)
            row = StaffRow.get_or_none(StaffRow.id == staff_id)
            if row is None:
                raise ActionRefused("That member of staff is not known.")
            before = (row.role, row.active)
            if (new_role.value, active) == before:
                raise ValidationError("Nothing was changed.")
            if active and not row.active:
                self._refuse_initials_in_use(row.initials)
            StaffRow.update(role=new_role.value, active=active).where(StaffRow.id == staff_id).execute()
            if not self.has_administrator():
                raise ActionRefused(
                    "The clinic needs at least one active administrator; nothing was changed."
                )
            change = {"role": [before[0], new_role.value], "active": [before[1], active]}
            self._context.audit("staff changed", by, "staff", staff_id, change, [(StaffRow, staff_id)])
            row = StaffRow.get_by_id(staff_id)
        return staff_from_row(row)

    @store_errors
    def rename_staff(self, staff_id: int, name: str, initials: str, by: int) -> Staff:
        """Correct a name or initials (a typo, a new surname). Records show the name as it is now;
        the audit trail keeps the old one."""
        with self._context.db.atomic():
            self._context.require_administrator(by)
            row = StaffRow.get_or_none(StaffRow.id == staff_id)
            if row is None:
                raise ActionRefused("That member of staff is not known.")
            new = check_new_staff(name, initials, row.role)
            if (new.name, new.initials) == (row.name, row.initials):
                raise ValidationError("Nothing was changed.")
            if new.initials != row.initials and row.active:
                self._refuse_initials_in_use(new.initials)
            StaffRow.update(name=new.name, initials=new.initials).where(StaffRow.id == staff_id).execute()
            change = {"name": [row.name, new.name], "initials": [row.initials, new.initials]}
            self._context.audit("staff renamed", by, "staff", staff_id, change, [(StaffRow, staff_id)])
            row = StaffRow.get_by_id(staff_id)
        return staff_from_row(row)

    @store_errors
    def set_credentials(self, staff_id: int, password: str, pin: str, by: int) -> None:
        """A new password and PIN, set by an administrator or by the member of staff themself."""
        password_hash = self._context.hasher.password.hash(check_password(password))
        pin_hash = self._context.hasher.pin.hash(check_pin(pin))
        with self._context.db.atomic():
            if by != staff_id:
                self._context.require_administrator(by)
            self._context.staff(staff_id)
            updated = (
                StaffCredential.update(
                    password_hash=password_hash,
                    pin_hash=pin_hash,
                    failed_pins=0,
                    failed_sign_ins=0,
                    locked=False,
                )
                .where(StaffCredential.staff == staff_id)
                .execute()
            )
            if not updated:
                StaffCredential.create(staff=staff_id, password_hash=password_hash, pin_hash=pin_hash)
            self._context.audit(
                "password and PIN set", by, "staff", staff_id, sealed=[credential_of(staff_id)]
            )

    @store_errors
    def unlock_account(self, staff_id: int, by: int) -> None:
        """After 10 failed sign-ins only an administrator can let the member of staff try again."""
        with self._context.db.atomic():
            self._context.require_administrator(by)
            if StaffRow.get_or_none(StaffRow.id == staff_id) is None:
                raise ActionRefused("That member of staff is not known.")
            StaffCredential.update(locked=False, failed_sign_ins=0, failed_pins=0).where(
                StaffCredential.staff == staff_id
            ).execute()
            self._context.audit("account unlocked", by, "staff", staff_id, sealed=[credential_of(staff_id)])
        log.info("Account of staff %s unlocked by staff %s", staff_id, by)

    @store_errors
    def unlock_from_terminal(self, initials: str, account: str) -> Staff:
        """The way back when the only administrator is locked out: someone at the PC's terminal, with
        the database file in reach, unlocks by initials. Audited with the computer account's name."""
        wanted = initials.strip().upper()
        with self._context.db.atomic():
            row = StaffRow.get_or_none((StaffRow.initials == wanted) & (StaffRow.active == True))  # noqa: E712
            if row is None:
                raise ActionRefused(f"No active member of staff has the initials {wanted}.")
            StaffCredential.update(locked=False, failed_sign_ins=0, failed_pins=0).where(
                StaffCredential.staff == row.id
            ).execute()
            self._context.audit(
                "account unlocked from the terminal",
                None,
                "staff",
                row.id,
                {"account": account},
                [credential_of(row.id)],
            )
        log.info("Account of %s (staff %s) unlocked from the terminal by %s", row.initials, row.id, account)
        return staff_from_row(row)

    # --- signing in ------------------------------------------------------------------------------
    #
    # The argon2 check takes tens of milliseconds: it runs before the write transaction, so no other
    # desk waits on it. The transaction then reads the credential again and counts or clears the
    # failures; a refusal is raised only after that transaction has committed.

    def _checked_secret(
        self, staff_id: int, secret: str, pin: bool
    ) -> tuple[Staff, StaffCredential, bool, str | None]:
        """(member, credential as read, whether `secret` matches, a stronger hash to store or None)."""
        member = self._context.staff(staff_id)
        credential = StaffCredential.get_or_none(StaffCredential.staff == staff_id)
        if credential is None:
            with self._context.db.atomic():
                self._context.audit("sign-in refused: no password yet", staff_id, "staff", staff_id)
            refused = SignInRefused(f"{member.name} has no password yet: an administrator must set one.")
            log_refusal(refused, "sign in", f"{member.initials} (staff {staff_id}): no password yet")
            raise refused
        stored = credential.pin_hash if pin else credential.password_hash
        hasher = self._context.hasher.pin if pin else self._context.hasher.password
        matches = hasher.matches(stored, secret)
        # A short PIN is not rehashed: it is about to be replaced (change_pin), and hashing costs.
        worth_keeping = not (pin and is_legacy_pin(secret))
        stronger = hasher.hash(secret) if matches and worth_keeping and hasher.needs_rehash(stored) else None
        return member, credential, matches, stronger

    @store_errors
    def sign_in(self, staff_id: int, password: str) -> Staff:
        """Check the password; 10 failures in a row lock the account until an administrator unlocks it."""
        member, read, matches, stronger = self._checked_secret(staff_id, password, pin=False)
        refusal, why = None, ""
        with self._context.db.atomic():
            credential = StaffCredential.get_by_id(read.id)
            if credential.password_hash != read.password_hash:
                refusal, why = (
                    "The password was changed just now; please try again.",
                    "password changed meanwhile",
                )
            elif credential.locked:
                why = "account locked"
                self._context.audit("sign-in refused: account locked", staff_id, "staff", staff_id)
                refusal = f"{member.name}'s account is locked after {MAX_SIGN_IN_FAILURES} failed sign-ins."
            elif not matches:
                failures = credential.failed_sign_ins + 1
                locked = failures >= MAX_SIGN_IN_FAILURES
                StaffCredential.update(failed_sign_ins=failures, locked=locked).where(
                    StaffCredential.id == credential.id
                ).execute()
                self._context.audit(
                    "sign-in failed",
                    staff_id,
                    "staff",
                    staff_id,
                    {"failures": failures},
                    [credential_of(staff_id)],
                )
                why = f"wrong password ({failures} in a row)"
                if locked:
                    self._context.audit("account locked", staff_id, "staff", staff_id)
                    refusal = f"Wrong password. {member.name}'s account is now locked."
                    why += ", account now locked"
                else:
                    left = MAX_SIGN_IN_FAILURES - failures
                    refusal = f"Wrong password ({_tries(left)} left before the account locks)."
            else:
                changes: dict[str, object] = {"failed_sign_ins": 0, "failed_pins": 0}
                if stronger:
                    changes["password_hash"] = stronger
                StaffCredential.update(changes).where(StaffCredential.id == credential.id).execute()
                self._context.audit(
                    "signed in", staff_id, "staff", staff_id, sealed=[credential_of(staff_id)]
                )
        if refusal:
            refused = SignInRefused(refusal + _UNLOCK_HINT * ("locked" in refusal))
            log_refusal(refused, "sign in", f"{member.initials} (staff {staff_id}): {why}")
            raise refused
        log.info("Signed in: %s (staff %s)", member.initials, staff_id)
        return member

    @store_errors
    def confirm_pin(self, staff_id: int, pin: str, purpose: str) -> Staff:
        """The PIN proves who is at the desk (switching, unlocking, a clinician's override).

        After 5 wrong PINs in a row the PIN is refused until the password is used.
        """
        member, read, matches, stronger = self._checked_secret(staff_id, pin, pin=True)
        refusal, change_needed, why = None, None, ""
        with self._context.db.atomic():
            credential = StaffCredential.get_by_id(read.id)
            if credential.pin_hash != read.pin_hash:
                refusal, why = "The PIN was changed just now; please try again.", "PIN changed meanwhile"
            elif credential.locked:
                why = "account locked"
                self._context.audit(
                    "PIN refused: account locked", staff_id, "staff", staff_id, {"for": purpose}
                )
                refusal = f"{member.name}'s account is locked.{_UNLOCK_HINT}"
            elif credential.failed_pins >= MAX_PIN_FAILURES:
                why = "password needed after too many wrong PINs"
                self._context.audit(
                    "PIN refused: password needed", staff_id, "staff", staff_id, {"for": purpose}
                )
                refusal = f"Too many wrong PINs: {member.name} must sign in with their password."
            elif not matches:
                failures = credential.failed_pins + 1
                StaffCredential.update(failed_pins=failures).where(
                    StaffCredential.id == credential.id
                ).execute()
                self._context.audit(
                    "PIN failed",
                    staff_id,
                    "staff",
                    staff_id,
                    {"failures": failures, "for": purpose},
                    [credential_of(staff_id)],
                )
                left = MAX_PIN_FAILURES - failures
                why = f"wrong PIN ({failures} in a row)"
                then = (
                    f"{_tries(left)} left before the password is needed."
                    if left
                    else "The password is needed now."
                )
                refusal = f"Wrong PIN. {then}"
            elif is_legacy_pin(pin):
                self._context.audit(
                    "PIN accepted: change needed", staff_id, "staff", staff_id, {"for": purpose}
                )
                change_needed = PinChangeNeeded(member, len(pin))
            else:
                changes: dict[str, object] = {"failed_pins": 0}
                if stronger:
                    changes["pin_hash"] = stronger
                StaffCredential.update(changes).where(StaffCredential.id == credential.id).execute()
                self._context.audit(
                    "PIN accepted", staff_id, "staff", staff_id, {"for": purpose}, [credential_of(staff_id)]
                )
        if refusal:
            refused = SignInRefused(refusal)
            log_refusal(refused, f"PIN for {purpose}", f"{member.initials} (staff {staff_id}): {why}")
            raise refused
        if change_needed:
            raise change_needed
        log.info("PIN accepted for %s: %s (staff %s)", purpose, member.initials, staff_id)
        return member

    @store_errors
    def change_pin(self, staff_id: int, old_pin: str, new_pin: str) -> None:
        """A member of staff chooses a new PIN, proving it with their current one (a PIN of 4 or 5
        digits, refused with PinChangeNeeded, is changed this way). A wrong current PIN counts as any."""
        new_hash = self._context.hasher.pin.hash(check_pin(new_pin))
        _member, read, matches, _stronger = self._checked_secret(staff_id, old_pin, pin=True)
        if not matches or read.locked or read.failed_pins >= MAX_PIN_FAILURES:
            self.confirm_pin(staff_id, old_pin, "PIN change")  # counts the failure, audits it and refuses
            raise SignInRefused("The PIN was not accepted; please try again.")
        with self._context.db.atomic():
            credential = StaffCredential.get_by_id(read.id)
            if credential.pin_hash != read.pin_hash or credential.locked:
                raise SignInRefused("The PIN was changed, or the account locked, just now; please try again.")
            StaffCredential.update(pin_hash=new_hash, failed_pins=0).where(
                StaffCredential.id == credential.id
            ).execute()
            self._context.audit("PIN changed", staff_id, "staff", staff_id, sealed=[credential_of(staff_id)])

    def pin_checked_first(self, staff_id: int, pin: str, purpose: str) -> tuple[str, str | None]:
        """A PIN given with an action (a signature), checked before its transaction: argon2 is slow
        and no desk should wait on it. A wrong one is counted, audited and refused by confirm_pin.
        Returns the PIN hash it matched and a stronger hash to store, or None."""
        _member, read, matches, stronger = self._checked_secret(staff_id, pin, pin=True)
        if not matches or read.locked or read.failed_pins >= MAX_PIN_FAILURES or is_legacy_pin(pin):
            self.confirm_pin(staff_id, pin, purpose)  # counts a failure, or asks for a new PIN; refuses
            raise SignInRefused("The PIN was not accepted; please try again.")
        return read.pin_hash, stronger

    def accept_pin(self, staff_id: int, matched: tuple[str, str | None], purpose: str) -> None:
        """Inside the action's own transaction: the PIN still holds; recorded with the action, so the
        two are saved together or not at all."""
        pin_hash, stronger = matched
        credential = StaffCredential.get(StaffCredential.staff == staff_id)
        if credential.pin_hash != pin_hash or credential.locked:
            raise SignInRefused("The PIN was changed, or the account locked, just now; please try again.")
        changes: dict[str, object] = {"failed_pins": 0}
        if stronger:
            changes["pin_hash"] = stronger
        StaffCredential.update(changes).where(StaffCredential.id == credential.id).execute()
        self._context.audit(
            "PIN accepted", staff_id, "staff", staff_id, {"for": purpose}, [credential_of(staff_id)]
        )

    @store_errors
    def record_sign_out(self, staff_id: int) -> None:
        with self._context.db.atomic():
            self._context.audit("signed out", staff_id, "staff", staff_id)
        log.info("Signed out: staff %s", staff_id)

    @store_errors
    def record_screen_lock(self, staff_id: int | None, idle: bool) -> None:
        with self._context.db.atomic():
            self._context.audit("screen locked", staff_id, "desk", None, {"idle": idle})
        log.info("Screen locked%s: staff %s", " after idle time" if idle else "", staff_id)
