"""The clinical rules that need more than an item's own answers: the anaesthetic product's limits,
the test patch before a first session, and the course's interval and end (issue 16).

Each rule's wording is the procedure's; the code adds the figures. A flag here is raised by the
item's live tick and the session's course as it stood at the start (`CourseContext`, kept in the
session's 'course' event), so a clinician's override answers exactly what the nurse saw, and a
new tick of the item needs a new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from desk_app.domain.dates import shown_date
from desk_app.domain.errors import ValidationError
from desk_app.domain.procedure import (
    COVERED_FIELD,
    EXTENSION_REASON_FIELD,
    GRAMS_FIELD,
    NEXT_DATE_FIELD,
    PLANNED_SESSIONS_FIELD,
    PRODUCT_FIELD,
    SKIN_TYPE_FIELD,
    TEST_PATCH_DATE_FIELD,
    TEST_PATCH_RESULT_FIELD,
    AnaestheticProduct,
    ItemDef,
    Procedure,
)
from desk_app.domain.values import format_number


@dataclass(frozen=True)
class CourseContext:
    """The patient's course when the session started: which session this is, on which day, when the
    last signed-out session was and how many sessions the course planned before this one."""

    session_number: int
    day: date
    last_session: date | None
    planned: int

    @property
    def days_since_last(self) -> int | None:
        return (self.day - self.last_session).days if self.last_session else None

    @property
    def last_planned(self) -> bool:
        """This session is the last the course planned (or beyond it)."""
        return self.session_number >= self.planned

    def values(self) -> dict[str, Any]:
        """What the 'course' event stores (JSON)."""
        stored: dict[str, Any] = {
            "session_number": self.session_number,
            "day": self.day.isoformat(),
            "planned": self.planned,
        }
        if self.last_session is not None:
            stored["last_session"] = self.last_session.isoformat()
        return stored

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> CourseContext | None:
        """The context a 'course' event stored; None if the row is not one this code wrote (edited
        outside the app): no course rule is then applied, rather than one on made-up figures."""
        try:
            last = values.get("last_session")
            context = cls(
                session_number=int(values["session_number"]),
                day=date.fromisoformat(values["day"]),
                last_session=date.fromisoformat(last) if last is not None else None,
                planned=int(values["planned"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        if context.session_number < 1 or context.planned < 1:
            return None
        return context


def chosen_product(procedure: Procedure, values: Mapping[str, Any]) -> AnaestheticProduct | None:
    """The clinic's product the anaesthetic item's values name; None for another product."""
    rules = procedure.anaesthetic
    return rules.product(values.get(PRODUCT_FIELD)) if rules is not None else None


def remove_minutes(procedure: Procedure, anaesthetic_values: Mapping[str, Any] | None) -> int:
    """Minutes after 'gel applied' by which the gel must come off: the clinic's, or the product's
    maximum time on the skin when that is shorter."""
    product = chosen_product(procedure, anaesthetic_values or {})
    if product is None:
        return procedure.remove_minutes
    return min(procedure.remove_minutes, product.max_minutes)


def _anaesthetic_flags(procedure: Procedure, item: ItemDef, values: Mapping[str, Any]) -> list[str]:
    rules = procedure.anaesthetic
    if rules is None or item.id != rules.item_id:
        return []
    product = chosen_product(procedure, values)
    if product is None:  # another product: the choice's own flag asks for a clinician
        return []
    flags = []
    grams = values.get(GRAMS_FIELD)
    if isinstance(grams, int | float) and grams > product.max_grams:
        shown, limit = format_number(grams, 1), format_number(product.max_grams, 1)
        flags.append(f"{rules.over_maximum_message}: {shown} g of {product.name}, at most {limit} g")
    if values.get(COVERED_FIELD) == rules.covered_answer and not product.occlusion_allowed:
        flags.append(f"{rules.occlusion_message}: {product.name}")
    return flags


def _test_patch_flags(item: ItemDef, values: Mapping[str, Any], context: CourseContext | None) -> list[str]:
    if not item.test_patch_for or context is None or context.session_number != 1:
        return []
    if values.get(SKIN_TYPE_FIELD) not in item.test_patch_for:
        return []
    if values.get(TEST_PATCH_DATE_FIELD) and values.get(TEST_PATCH_RESULT_FIELD):
        return []
    return [item.no_test_patch_message]


def interval_too_soon(procedure: Procedure, context: CourseContext | None) -> bool:
    """The session started sooner after the last one than the procedure's interval allows."""
    rules, days = procedure.course, context.days_since_last if context is not None else None
    return rules is not None and days is not None and days < rules.min_days_between


def _interval_flags(
    procedure: Procedure, item: ItemDef, context: CourseContext | None, unreadable: bool
) -> list[str]:
    rules = procedure.course
    if not item.checks_course_interval or rules is None:
        return []
    if unreadable:
        return [rules.unreadable_message]
    if context is None or context.last_session is None or not interval_too_soon(procedure, context):
        return []
    days = context.days_since_last
    return [f"{rules.too_soon_message}: the last was on {shown_date(context.last_session)}, {days} days ago"]


def earliest_next(procedure: Procedure, treated_on: date) -> date | None:
    """The first day the next session may be, by the procedure's interval; None before 1.5."""
    rules = procedure.course
    return treated_on + timedelta(days=rules.min_days_between) if rules is not None else None


def _plan_flags(
    procedure: Procedure, item: ItemDef, values: Mapping[str, Any], treated_on: date
) -> list[str]:
    rules, planned = procedure.course, values.get(NEXT_DATE_FIELD)
    if not item.plans_course or rules is None or not isinstance(planned, str):
        return []
    earliest = earliest_next(procedure, treated_on)
    next_day = date.fromisoformat(planned)
    if earliest is None or next_day >= earliest:
        return []
    return [f"{rules.plan_too_soon_message}: {shown_date(next_day)} is before {shown_date(earliest)}"]


def rule_flags(
    procedure: Procedure,
    item: ItemDef,
    values: Mapping[str, Any],
    context: CourseContext | None,
    recorded_on: date,
    *,
    course_unreadable: bool = False,
) -> tuple[str, ...]:
    """The risks the item's tick raises beyond its own answers (`recorded_on`: the tick's local day,
    the treatment day when the session has no course context; `course_unreadable`: the session's
    course event is there but cannot be read)."""
    treated_on = context.day if context is not None else recorded_on
    return (
        *_anaesthetic_flags(procedure, item, values),
        *_test_patch_flags(item, values, context),
        *_interval_flags(procedure, item, context, course_unreadable),
        *_plan_flags(procedure, item, values, treated_on),
    )


def course_complete(item: ItemDef, values: Mapping[str, Any], context: CourseContext | None) -> bool:
    """The course plan recorded ends the course with this session: no next session to print."""
    planned = values.get(PLANNED_SESSIONS_FIELD)
    if not item.plans_course or context is None or not isinstance(planned, int | float):
        return False
    return planned <= context.session_number


def check_course_plan(item: ItemDef, values: Mapping[str, Any], context: CourseContext | None) -> None:
    """At the last planned session the plan ends the course (no next date) or extends it with a
    reason; raise ValidationError saying which, and nothing is stored."""
    if not item.plans_course or context is None:
        return
    fields = {field.id: field for field in item.fields}
    planned = values.get(PLANNED_SESSIONS_FIELD)
    if not isinstance(planned, int | float) or EXTENSION_REASON_FIELD not in fields:
        return  # a version before the course rules (1.4 and before)
    number, planned = context.session_number, int(planned)
    next_label = fields[NEXT_DATE_FIELD].label
    most = _most_planned(item)
    if planned <= number and values.get(NEXT_DATE_FIELD) and most is not None and number >= most:
        raise ValidationError(
            f"Session {number} is the most a course plans ({most}): leave '{next_label}' empty. "
            "A further session is a clinician's decision outside the plan."
        )
    if planned <= number and values.get(NEXT_DATE_FIELD):
        raise ValidationError(
            f"Session {number} of {planned} completes the course: leave '{next_label}' empty, "
            "or plan more sessions (and say why) to book another."
        )
    extended = planned > context.planned and context.last_planned
    if extended and not values.get(EXTENSION_REASON_FIELD):
        raise ValidationError(
            f"The course planned {context.planned} sessions and this is session {number}: "
            f"'{fields[EXTENSION_REASON_FIELD].label}' is needed to plan {planned}."
        )


def _most_planned(item: ItemDef) -> int | None:
    """The most sessions the plan's number field allows (6)."""
    field = next((f for f in item.fields if f.id == PLANNED_SESSIONS_FIELD), None)
    return int(field.max) if field is not None and field.max is not None else None


def course_plan_hint(context: CourseContext | None, procedure: Procedure | None = None) -> str:
    """What the course-plan card says at the last planned session (empty before it)."""
    if context is None or not context.last_planned:
        return ""
    plan = procedure.course_plan_item if procedure is not None else None
    most = _most_planned(plan) if plan is not None else None
    if most is not None and context.session_number >= most:
        return (
            f"Session {context.session_number}: the most a course plans ({most}), so the course is "
            "complete with this session."
        )
    return (
        f"Session {context.session_number} of {context.planned}: the course is complete with this "
        "session. To plan more sessions, raise the number and say why."
    )
