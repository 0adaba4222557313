"""Authorised laser operators and the clinic's permissions, enforced here rather than on the screen.

A service of Desk (desk.operators): it uses the desk's database, clock, staff check and audit row.
Every refusal is audited in a transaction of its own, after the refused action's has rolled back
(StoreContext.refusals_audited).
"""

from __future__ import annotations

from datetime import date

from peewee import fn

from desk_app.domain.actions import check_reason
from desk_app.domain.errors import ValidationError
from desk_app.domain.people import Role, Staff
from desk_app.domain.permissions import Clearance, LaserAuthorisation
from desk_app.domain.procedure import Procedure
from desk_app.store.context import Service, StoreContext
from desk_app.store.errors import store_errors
from desk_app.store.models import LaserAuthorisationRow, StaffRow
from desk_app.store.rows import Read

# A laser safety course is renewed every few years: an expiry further out is surely a typing slip.
LONGEST_AUTHORISATION_YEARS = 5


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class LaserOperators(Service):
    """Who may use the laser, and who may tick what (the clinic's permissions)."""

    def __init__(self, context: StoreContext) -> None:
        self._context = context

    @store_errors
    def laser_authorisation(self, staff_id: int) -> LaserAuthorisation | None:
        """The member's authorisation as an administrator last set it (None: never, or withdrawn)."""
        rows = self._context.rows(self.authorisation_read(staff_id))
        if not rows or not rows[0].granted:
            return None
        row = rows[0]
        # The administrator who granted it may since have left: their name still stands.
        return LaserAuthorisation(staff_id, row.trained_on, row.expires_on, row.by.name)

    def authorisation_read(self, staff_id: int) -> Read:
        """The read of the member's latest grant or withdrawal: asked for each laser item ticked,
        its SQL built once (CompiledQuery), and sent ahead with a tick's first reads on a server."""
        latest = self._context.compiled(
            "laser authorisation",
            lambda ids: (
                LaserAuthorisationRow.select(LaserAuthorisationRow, StaffRow.name)
                .join(StaffRow, on=LaserAuthorisationRow.by)
                .where(LaserAuthorisationRow.staff == ids[0])
                .order_by(LaserAuthorisationRow.id.desc())
                .limit(1)
            ),
        )
        return latest.read(staff_id)

    @store_errors
    def authorised_operators(self) -> list[Staff]:
        """Active nurses and clinicians whose laser authorisation holds today: one query for the
        latest grant or withdrawal of each member, however many staff."""
        today = self._context.today()
        latest = LaserAuthorisationRow.select(fn.MAX(LaserAuthorisationRow.id)).group_by(
            LaserAuthorisationRow.staff
        )
        valid = {
            row.staff_id
            for row in LaserAuthorisationRow.select(LaserAuthorisationRow.staff).where(
                LaserAuthorisationRow.id.in_(latest)
                & LaserAuthorisationRow.granted
                & (LaserAuthorisationRow.trained_on <= today)
                & (LaserAuthorisationRow.expires_on >= today)
            )
        }
        return [member for member in self._context.list_staff() if member.id in valid]

    @store_errors
    def grant_laser_authorisation(
        self, staff_id: int, trained_on: date, expires_on: date, by: int
    ) -> LaserAuthorisation:
        """An administrator marks a nurse or clinician as an authorised laser operator (audited)."""
        today = self._context.today()
        with self._context.db.atomic():
            self._context.require_administrator(by)
            member = self._context.staff(staff_id)
            if member.role is Role.ADMINISTRATOR:
                raise ValidationError(
                    f"{member.name} is an administrator: only a nurse or a clinician may use the laser."
                )
            if not member.active:
                raise ValidationError(f"{member.name} no longer works here.")
            if trained_on > today:
                raise ValidationError(
                    "The training date is in the future: grant it once the training is done."
                )
            if expires_on <= today:
                raise ValidationError(
                    "The expiry date has passed already: the training must be renewed first."
                )
            if expires_on > _years_after(trained_on, LONGEST_AUTHORISATION_YEARS):
                raise ValidationError(
                    f"An authorisation lasts at most {LONGEST_AUTHORISATION_YEARS} years from the training."
                )
            row = LaserAuthorisationRow.create(
                staff=staff_id,
                granted=True,
                trained_on=trained_on,
                expires_on=expires_on,
                by=by,
                at=self._context.clock.now(),
            )
            detail = {"trained_on": trained_on.isoformat(), "expires_on": expires_on.isoformat()}
            self._context.audit(
                "laser authorisation granted",
                by,
                "laser_authorisation",
                row.id,
                {"staff": staff_id, **detail},
                [(LaserAuthorisationRow, row.id)],
            )
        granted = self.laser_authorisation(staff_id)
        assert granted is not None
        return granted

    @store_errors
    def withdraw_laser_authorisation(self, staff_id: int, reason: str, by: int) -> None:
        """An administrator takes a member's laser authorisation away, with why (audited)."""
        checked = check_reason(reason, "Why it is withdrawn")
        with self._context.db.atomic():
            self._context.require_administrator(by)
            member = self._context.staff(staff_id)
            if self.laser_authorisation(staff_id) is None:
                raise ValidationError(f"{member.name} is not an authorised laser operator.")
            row = LaserAuthorisationRow.create(
                staff=staff_id, granted=False, reason=checked, by=by, at=self._context.clock.now()
            )
            self._context.audit(
                "laser authorisation withdrawn",
                by,
                "laser_authorisation",
                row.id,
                {"staff": staff_id, "reason": checked},
                [(LaserAuthorisationRow, row.id)],
            )

    @store_errors
    def may_tick(self, staff_id: int, item_id: str) -> str | None:
        """None if this member may tick (or undo) the item today; else why not, in words for the screen."""
        member = self._context.staff(staff_id)
        return self._context.permissions.why_not(
            member, item_id, self.laser_authorisation(staff_id), self._context.today()
        )

    @store_errors
    def why_not_for_items(self, staff_id: int, item_ids: list[str]) -> dict[str, str | None]:
        """may_tick for many items at once (one look at the member's authorisation): the screen
        explains each control the member may not use."""
        member = self._context.staff(staff_id)
        authorisation = self.laser_authorisation(staff_id)
        today = self._context.today()
        return {
            item_id: self._context.permissions.why_not(member, item_id, authorisation, today)
            for item_id in item_ids
        }

    def check_may_tick(self, member: Staff, item_id: str | None, procedure: Procedure) -> None:
        """Inside the action's transaction: raise PermissionRefused if the member may not. An item
        that is not the session's procedure's is left to the session's own check, which names it
        (and None, the whole session, needs nothing more here)."""
        if item_id in procedure.item_ids():
            # The authorisation is read only for an item that needs it: most ticks do not.
            needed = self._context.permissions.needs(item_id) is not Clearance.CLINICAL
            authorisation = self.laser_authorisation(member.id) if needed else None
            self._context.permissions.check(member, item_id, authorisation, self._context.today())

    def is_authorised_operator(self, staff_id: int) -> bool:
        """Whether the member's laser authorisation holds today."""
        authorisation = self.laser_authorisation(staff_id)
        return authorisation is not None and authorisation.valid_on(self._context.today())
