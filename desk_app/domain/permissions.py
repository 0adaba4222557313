"""Who may do what: the clinic's permissions file (resources/procedures/permissions.toml) read into
rules the store enforces, and the words that explain a refusal.

Two clearances: "clinical" items are ticked by nurses and clinicians only; "laser operator" items
only by a nurse or clinician whom an administrator has marked as an authorised laser operator, on a
day between the training date and the expiry (UK guidance limits a class 4 laser to named,
trained users).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from desk_app.domain.errors import ActionRefused, ProcedureError
from desk_app.domain.people import Role, Staff
from desk_app.domain.procedure import Procedure

SWITCH_HINT = "Switch staff (Ctrl+Shift+S) to someone who may."


class Clearance(StrEnum):
    CLINICAL = "clinical"
    LASER_OPERATOR = "laser operator"


@dataclass(frozen=True)
class LaserAuthorisation:
    """A member of staff's standing as an authorised laser operator, as an administrator last set it."""

    staff_id: int
    trained_on: date
    expires_on: date
    granted_by: str

    def valid_on(self, day: date) -> bool:
        return self.trained_on <= day <= self.expires_on

    def lapse(
        self, today: date, day_text: Callable[[date], str] = lambda day: f"{day.day} {day:%B %Y}"
    ) -> str | None:
        """Why it does not hold today, in words ('expired on 2 March 2027'); None if it does."""
        if today > self.expires_on:
            return f"expired on {day_text(self.expires_on)}"
        if today < self.trained_on:  # the PC's date was wrong when it was granted, or is now
            return f"starts on {day_text(self.trained_on)}"
        return None


@dataclass(frozen=True)
class RoleRules:
    title: str
    clinical: bool
    may: tuple[str, ...]
    may_not: tuple[str, ...]


@dataclass(frozen=True)
class Permissions:
    roles: dict[Role, RoleRules]
    clearance: dict[str, Clearance]  # item id -> clearance, every item of the procedure

    def needs(self, item_id: str) -> Clearance:
        """An item this file does not know (from another version of the procedure) needs the most."""
        return self.clearance.get(item_id, Clearance.LASER_OPERATOR)

    def why_not(
        self, staff: Staff, item_id: str, authorisation: LaserAuthorisation | None, today: date
    ) -> str | None:
        """None if `staff` may tick (or undo) the item today; else why not, and what to do."""
        rules = self.roles[staff.role]
        if not rules.clinical:
            return (
                f"{staff.name} is {_a(rules.title)}, and only nurses and clinicians tick clinical "
                f"items. {SWITCH_HINT}"
            )
        if self.needs(item_id) is Clearance.CLINICAL:
            return None
        if authorisation is None:
            return (
                f"Only an authorised laser operator may do this, and {staff.name} is not one. "
                f"{SWITCH_HINT} An administrator grants laser authorisation on the Staff page."
            )
        if (lapse := authorisation.lapse(today)) is not None:
            return f"{staff.name}'s laser authorisation {lapse}. {SWITCH_HINT}"
        return None

    def check(
        self, staff: Staff, item_id: str, authorisation: LaserAuthorisation | None, today: date
    ) -> None:
        if (reason := self.why_not(staff, item_id, authorisation, today)) is not None:
            raise PermissionRefused(reason)

    def check_clinical(self, staff: Staff, what: str) -> None:
        """Actions on the treatment itself that are not one item's (stopping it, amending it)."""
        rules = self.roles[staff.role]
        if not rules.clinical:
            raise PermissionRefused(
                f"{staff.name} is {_a(rules.title)}: only a nurse or a clinician may {what}. {SWITCH_HINT}"
            )


class PermissionRefused(ActionRefused):
    """The person at the desk may not do this; nothing was changed (and the refusal is audited)."""


def _a(title: str) -> str:
    article = "an" if title[:1].lower() in "aeiou" else "a"
    return f"{article} {title.lower()}"


def parse_permissions(text: str, source: str, procedure: Procedure) -> Permissions:
    """Read the permissions; every problem becomes a ProcedureError naming the file."""

    def fail(problem: str) -> ProcedureError:
        return ProcedureError(f"Permissions file {source}: {problem}")

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise fail(f"not valid TOML ({error})") from None
    roles = _roles(data.get("roles"), fail)
    listed = data.get("clearance")
    if not isinstance(listed, dict):
        raise fail("it has no [clearance] table")
    known = {pause_point.id for pause_point in procedure.pause_points} | {
        item.id for item in procedure.all_items()
    }
    for key, value in listed.items():
        if key not in known:
            raise fail(f"[clearance] names '{key}', which is not a pause point or item of the procedure")
        if value not in {clearance.value for clearance in Clearance}:
            raise fail(f"[clearance] {key} = '{value}': say 'clinical' or 'laser operator'")
    clearance: dict[str, Clearance] = {}
    for pause_point in procedure.pause_points:
        for item in pause_point.items:
            chosen = listed.get(item.id, listed.get(pause_point.id))
            if chosen is None:
                raise fail(f"no clearance for item '{item.id}' (nor for its pause point '{pause_point.id}')")
            clearance[item.id] = Clearance(chosen)
    return Permissions(roles, clearance)


def _roles(table: Any, fail: Any) -> dict[Role, RoleRules]:
    if not isinstance(table, dict):
        raise fail("it has no [roles] table")
    roles = {}
    for role in Role:
        entry = table.get(role.value)
        if not isinstance(entry, dict):
            raise fail(f"[roles.{role.value}] is missing")
        clinical = entry.get("clinical")
        if not isinstance(clinical, bool):
            raise fail(f"[roles.{role.value}] clinical must be true or false")
        if role is Role.ADMINISTRATOR and clinical:
            raise fail("[roles.administrator] cannot be clinical: administrators tick no clinical item")
        lists = {key: entry.get(key, []) for key in ("may", "may_not")}
        if any(
            not isinstance(words, list) or not all(isinstance(w, str) for w in words)
            for words in lists.values()
        ):
            raise fail(f"[roles.{role.value}] may and may_not are lists of words")
        roles[role] = RoleRules(
            str(entry.get("title", role.value)), clinical, tuple(lists["may"]), tuple(lists["may_not"])
        )
    unknown = set(table) - {role.value for role in Role}
    if unknown:
        raise fail(f"[roles] names unknown roles: {', '.join(sorted(unknown))}")
    return roles


def load_permissions(path: Path, procedure: Procedure) -> Permissions:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ProcedureError(f"Permissions file {path.name}: cannot be read ({error})") from None
    return parse_permissions(text, path.name, procedure)
