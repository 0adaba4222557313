"""Procedure definitions: the checklist as data, read from a TOML file and checked strictly.

A malformed file is refused as a whole, with a message naming the file, the item and the field,
so that a typo in a limit can never reach a patient.
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from desk_app.domain.errors import ProcedureError, ValidationError

# The field listing body areas: on the painted-areas item (where the gel went) and on each laser pass
# (where the laser went), compared by records_painted_areas.
AREAS_FIELD = "areas"
# The adverse-events item's id in every version; versions 1.0 and 1.1 have no records_adverse_events.
ADVERSE_EVENTS_ID = "adverse_events"
# The fields of the item named by [anaesthetic] (1.5 on): which product, how much, whether covered.
PRODUCT_FIELD = "product"
GRAMS_FIELD = "grams"
COVERED_FIELD = "covered"
# The fields of the skin-type item that asks for a test patch (test_patch_for, 1.5 on).
SKIN_TYPE_FIELD = "fitzpatrick"
TEST_PATCH_DATE_FIELD = "test_patch_date"
TEST_PATCH_RESULT_FIELD = "test_patch_result"
# The course-plan item's fields: how many sessions, the next one's date, why the course is extended.
PLANNED_SESSIONS_FIELD = "planned_sessions"
NEXT_DATE_FIELD = "next_date"
EXTENSION_REASON_FIELD = "extension_reason"
# The follow-up form as an item (FollowUp.as_item): not a checklist item, never ticked in a session.
FOLLOW_UP_ID = "follow_up"


class ItemKind(StrEnum):
    CONFIRM = "confirm"
    RECORD = "record"
    COUNTDOWN = "countdown"
    LASER_PASS = "laser_pass"
    SIGN_OUT = "sign_out"


class Stop(StrEnum):
    HARD = "hard"
    SOFT = "soft"
    NONE = "none"


class FieldType(StrEnum):
    CHOICE = "choice"
    MULTI = "multi"
    NUMBER = "number"
    TEXT = "text"
    DATE = "date"
    # A registered laser (issue 15): the store turns the chosen device's id into a snapshot of it.
    DEVICE = "device"


@dataclass(frozen=True)
class FieldDef:
    """One value recorded with an item: its type, allowed range and what flags a risk."""

    id: str
    label: str
    type: FieldType
    required: bool = True
    options: tuple[str, ...] = ()
    flag: tuple[str, ...] = ()
    flag_message: str = ""
    unit: str = ""
    min: float | None = None
    max: float | None = None
    clinic_min: float | None = None
    clinic_max: float | None = None
    decimals: int = 0
    max_length: int = 200
    allow_future: bool = False
    allow_past: bool = True
    default: Any = None
    # Required only when another field of the item has this answer: (field id, answer).
    required_if: tuple[str, str] | None = None
    # The screen shows the allergies entered at registration beside this question.
    shows_patient_allergies: bool = False


@dataclass(frozen=True)
class ItemDef:
    """One checklist item. Code acts on its kind and stop, never on its wording."""

    id: str
    kind: ItemKind
    stop: Stop
    label: str
    help: str
    fields: tuple[FieldDef, ...] = ()
    starts_countdown: bool = False
    ends_countdown: bool = False
    # The item that plans the course: its fields 'planned_sessions' (number) and 'next_date' (date).
    plans_course: bool = False
    # The item that records adverse events: the printed record states its answer, "None" included.
    records_adverse_events: bool = False
    # The item where the staff confirm the eyewear for its device field's laser: every laser pass
    # must use that device.
    confirms_eyewear: bool = False
    # The item recording where the anaesthetic was painted (its multi field 'areas'): a laser pass
    # treating an area it does not list flags `unpainted_message` with those areas.
    records_painted_areas: bool = False
    unpainted_message: str = ""
    # The item where the staff check the time since the last session against [course] (1.5 on).
    checks_course_interval: bool = False
    # Skin types (answers of its field 'fitzpatrick') needing a test patch before a first session,
    # and what the flag says when none is recorded.
    test_patch_for: tuple[str, ...] = ()
    no_test_patch_message: str = ""

    def device_fields(self) -> tuple[FieldDef, ...]:
        return tuple(field for field in self.fields if field.type is FieldType.DEVICE)


@dataclass(frozen=True)
class PausePoint:
    id: str
    title: str
    flow: str
    instructions: str
    items: tuple[ItemDef, ...]


@dataclass(frozen=True)
class AftercareMilestone:
    """One dated line of the sheet: 'Red, like sunburn, until about' + the day `days` after treatment."""

    id: str
    label: str
    days: int


@dataclass(frozen=True)
class Aftercare:
    """The patient's sheet: plain-words advice, and milestones dated from the day of treatment.

    `skin_care` (what to do, and not do) and `call_us_if` (the signs to call the clinic about) are
    empty only in a version stored before they were part of the file (1.2 and 1.3).
    """

    title: str
    advice: tuple[str, ...]
    milestones: tuple[AftercareMilestone, ...]
    skin_care: tuple[str, ...] = ()
    call_us_if: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnaestheticProduct:
    """One anaesthetic the clinic uses, with the limits its product information sets."""

    name: str
    strength: str
    max_minutes: int
    max_grams: float
    occlusion_allowed: bool


@dataclass(frozen=True)
class Anaesthetic:
    """The anaesthetic rules: the item recording product, grams and cover, and each product's limits.
    The messages start the flags; the code adds the amounts and the product's name."""

    item_id: str
    covered_answer: str
    over_maximum_message: str
    occlusion_message: str
    products: tuple[AnaestheticProduct, ...]

    def product(self, name: object) -> AnaestheticProduct | None:
        """The product with this name; None for another product (a flagged choice)."""
        return next((product for product in self.products if product.name == name), None)


@dataclass(frozen=True)
class CourseRules:
    """The clinic's interval between sessions (the sun rule), and what its two flags say."""

    min_days_between: int
    too_soon_message: str
    plan_too_soon_message: str
    # The session's record of its course cannot be read (edited outside the app): the interval
    # is then a clinician's decision.
    unreadable_message: str


@dataclass(frozen=True)
class FollowUp:
    """The call after sign-out (and any complication reported then): when the patient is called, in
    days after the day of treatment, and the form recorded, whose fields follow the items' rules."""

    title: str
    instructions: str
    call_from_day: int
    call_to_day: int
    fields: tuple[FieldDef, ...]
    # A patient not called by call_to_day stays on the list, as overdue, until this day.
    overdue_until_day: int = 0

    def as_item(self) -> ItemDef:
        """The form as an item with nothing to override, so values are checked and described as
        an item's are (validate_values, describe_values)."""
        return ItemDef(
            id=FOLLOW_UP_ID,
            kind=ItemKind.RECORD,
            stop=Stop.NONE,
            label=self.title,
            help=self.instructions,
            fields=self.fields,
        )


@dataclass(frozen=True)
class Procedure:
    """A whole versioned checklist. `source` is the exact file text, stored with each session."""

    id: str
    title: str
    version: str
    effective: str
    ready_minutes: int
    remove_minutes: int
    pause_points: tuple[PausePoint, ...]
    source: str
    # None only in a version stored before the sheet was part of the file (1.0 and 1.1).
    aftercare: Aftercare | None = None
    # None only in a version stored before these rules were part of the file (1.4 and before).
    anaesthetic: Anaesthetic | None = None
    course: CourseRules | None = None
    # None only in a version stored before the call after sign-out was part of the file (up to 1.4).
    follow_up: FollowUp | None = None

    def item(self, item_id: str) -> ItemDef:
        for pause_point in self.pause_points:
            for item in pause_point.items:
                if item.id == item_id:
                    return item
        raise KeyError(item_id)

    def pause_point_of(self, item_id: str) -> PausePoint:
        for pause_point in self.pause_points:
            if any(item.id == item_id for item in pause_point.items):
                return pause_point
        raise KeyError(item_id)

    def all_items(self) -> list[ItemDef]:
        return [item for pause_point in self.pause_points for item in pause_point.items]

    def laser_passes(self) -> list[ItemDef]:
        """The items that record a firing of the laser."""
        return [item for item in self.all_items() if item.kind is ItemKind.LASER_PASS]

    def item_ids(self) -> set[str]:
        return {item.id for item in self.all_items()}

    def sign_out_item(self) -> ItemDef:
        """The item whose tick signs the record and locks it (the reader makes sure there is one)."""
        return next(item for item in self.all_items() if item.kind is ItemKind.SIGN_OUT)

    @property
    def gel_applied(self) -> ItemDef:
        """The item whose tick starts the countdown (the reader makes sure there is one)."""
        return next(item for item in self.all_items() if item.starts_countdown)

    @property
    def gel_wait(self) -> ItemDef:
        """The countdown item itself (the reader makes sure there is one)."""
        return next(item for item in self.all_items() if item.kind is ItemKind.COUNTDOWN)

    @property
    def eyewear_item(self) -> ItemDef | None:
        """The item confirming the staff's eyewear for the chosen laser, if the procedure has one."""
        return next((item for item in self.all_items() if item.confirms_eyewear), None)

    @property
    def painted_areas_item(self) -> ItemDef | None:
        """The item recording the areas painted with gel, if the procedure has one (1.4 on)."""
        return next((item for item in self.all_items() if item.records_painted_areas), None)

    @property
    def course_plan_item(self) -> ItemDef | None:
        """The item planning the course (planned_sessions, next_date), if the procedure has one."""
        return next((item for item in self.all_items() if item.plans_course), None)

    @property
    def gel_removed(self) -> ItemDef | None:
        """The item whose tick ends the countdown, if the procedure has one."""
        return next((item for item in self.all_items() if item.ends_countdown), None)

    @property
    def adverse_events_item(self) -> ItemDef | None:
        """The item whose answer states the session's adverse events: the one marked
        records_adverse_events, or (in versions 1.0 and 1.1, before the marker) the one with the id
        ADVERSE_EVENTS_ID, which those versions all had."""
        items = self.all_items()
        marked = next((item for item in items if item.records_adverse_events), None)
        return marked or next((item for item in items if item.id == ADVERSE_EVENTS_ID), None)


_FIELD_KEYS = {
    "id": str,
    "label": str,
    "type": str,
    "required": bool,
    "options": list,
    "flag": list,
    "flag_message": str,
    "unit": str,
    "min": (int, float),
    "max": (int, float),
    "clinic_min": (int, float),
    "clinic_max": (int, float),
    "decimals": int,
    "max_length": int,
    "allow_future": bool,
    "allow_past": bool,
    "default": (int, float, str, list),
    "required_if": dict,
    "shows_patient_allergies": bool,
}
_ITEM_KEYS = {
    "id": str,
    "kind": str,
    "stop": str,
    "label": str,
    "help": str,
    "fields": list,
    "starts_countdown": bool,
    "ends_countdown": bool,
    "plans_course": bool,
    "records_adverse_events": bool,
    "confirms_eyewear": bool,
    "records_painted_areas": bool,
    "unpainted_message": str,
    "checks_course_interval": bool,
    "test_patch_for": list,
    "no_test_patch_message": str,
}
_PAUSE_POINT_KEYS = {"id": str, "title": str, "flow": str, "instructions": str, "items": list}
_AFTERCARE_KEYS = {"title": str, "advice": list, "dates": list, "skin_care": list, "call_us_if": list}
# Needed in every version that has the sheet; the others only in a new file (a 1.2 or 1.3 had none).
_AFTERCARE_SINCE_1_2 = {"title", "advice", "dates"}
_MILESTONE_KEYS = {"id": str, "label": str, "days": int}
_ANAESTHETIC_KEYS = {
    "item": str,
    "covered_answer": str,
    "over_maximum_message": str,
    "occlusion_message": str,
    "products": list,
}
_PRODUCT_KEYS = {
    "name": str,
    "strength": str,
    "max_minutes": int,
    "max_grams": (int, float),
    "occlusion_allowed": bool,
}
_COURSE_KEYS = {
    "min_days_between": int,
    "too_soon_message": str,
    "plan_too_soon_message": str,
    "unreadable_message": str,
}
# The rule tables a new file must have; a version stored before them (1.4 and before) has none.
_RULE_TABLES_SINCE_1_5 = ("anaesthetic", "course")
_FOLLOW_UP_KEYS = {
    "title": str,
    "instructions": str,
    "call_from_day": int,
    "call_to_day": int,
    "overdue_until_day": int,
    "fields": list,
}
# The latest day after the treatment a follow-up call may be planned for.
_MAX_FOLLOW_UP_DAYS = 30
# The latest a milestone may fall: the sun rule (4 weeks) is the longest the sheet speaks of.
_MAX_MILESTONE_DAYS = 366


class _Reader:
    """Checks one file's tables, building messages that say exactly where a problem is.

    Two kinds of rule: what is needed to read the file at all, and authoring rules that keep a new
    checklist safe to run. A version already stored with sessions is read with the first kind only,
    so a rule added later can never make an old record unreadable.
    """

    def __init__(self, source_name: str, authoring: bool) -> None:
        self.source_name = source_name
        self.authoring = authoring

    def fail(self, where: str, problem: str) -> ProcedureError:
        return ProcedureError(f"Procedure file {self.source_name}: {where}: {problem}")

    def authoring_rule(self, broken: bool, where: str, problem: str) -> None:
        if broken and self.authoring:
            raise self.fail(where, problem)

    def check_keys(
        self, table: dict[str, Any], allowed: dict[str, Any], required: set[str], where: str
    ) -> None:
        for key in table:
            self.authoring_rule(key not in allowed, where, f"field '{key}' is not known (a typo?)")
        for key in sorted(required):  # the same message every run
            if key not in table:
                raise self.fail(where, f"field '{key}' is missing")
        for key, value in table.items():
            if key not in allowed:
                continue  # only in a stored version: a key of an older or newer reader
            expected = allowed[key]
            # bool is an int in Python; a number field given `true` is still wrong.
            if isinstance(value, bool) and expected is not bool:
                raise self.fail(where, f"field '{key}' has the wrong type")
            if not isinstance(value, expected):
                raise self.fail(where, f"field '{key}' has the wrong type")
            if isinstance(value, str) and key in {"id", "label", "title"} and not value.strip():
                raise self.fail(where, f"field '{key}' is empty")

    def enum(self, enum_type: type[StrEnum], value: str, key: str, where: str) -> Any:
        try:
            return enum_type(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum_type)
            raise self.fail(where, f"field '{key}' is '{value}'; expected one of {allowed}") from None

    def field(self, table: dict[str, Any], where: str) -> FieldDef:
        where = _named(where, "field", table)
        self.check_keys(table, _FIELD_KEYS, {"id", "label", "type"}, where)
        field_type = self.enum(FieldType, table["type"], "type", where)
        options = tuple(table.get("options", ()))
        flag = tuple(table.get("flag", ()))
        if field_type in (FieldType.CHOICE, FieldType.MULTI):
            if not options or not all(isinstance(o, str) and o.strip() for o in options):
                raise self.fail(where, "field 'options' must list at least one non-empty text")
            if len(set(options)) != len(options):
                raise self.fail(where, "field 'options' repeats a choice")
        elif options:
            raise self.fail(where, "field 'options' is only for choice and multi fields")
        if flag and field_type is not FieldType.CHOICE:
            raise self.fail(where, "field 'flag' is only for choice fields")
        unknown_flags = [value for value in flag if value not in options]
        if unknown_flags:
            raise self.fail(where, f"field 'flag' names '{unknown_flags[0]}', not one of the options")
        if flag and not table.get("flag_message", "").strip():
            raise self.fail(where, "field 'flag_message' is missing: say what the flag means")
        # A device field is the laser itself: always needed, nothing to set but its label.
        extra = sorted(set(table) - {"id", "label", "type"})
        self.authoring_rule(
            field_type is FieldType.DEVICE and bool(extra),
            where,
            f"field '{extra[0] if extra else ''}' is not allowed on a device field (it is always required)",
        )
        limits = {k: table.get(k) for k in ("min", "max", "clinic_min", "clinic_max")}
        if field_type is FieldType.NUMBER:
            self._check_number_limits(limits, where)
        elif any(value is not None for value in limits.values()):
            raise self.fail(where, "fields 'min', 'max' and clinic limits are only for numbers")
        decimals = table.get("decimals", 0)
        if not 0 <= decimals <= 4:
            raise self.fail(where, "field 'decimals' must be between 0 and 4")
        max_length = table.get("max_length", 200)
        if not 1 <= max_length <= 2000:
            raise self.fail(where, "field 'max_length' must be between 1 and 2000")
        required_if = table.get("required_if")
        if required_if is not None:
            if set(required_if) != {"field", "equals"} or not all(
                isinstance(value, str) for value in required_if.values()
            ):
                raise self.fail(where, "field 'required_if' needs text 'field' and 'equals' and nothing else")
            required_if = (required_if["field"], required_if["equals"])
        field = FieldDef(
            id=table["id"],
            label=table["label"],
            type=field_type,
            required=table.get("required", True),
            options=options,
            flag=flag,
            flag_message=table.get("flag_message", ""),
            unit=table.get("unit", ""),
            min=_float_or_none(limits["min"]),
            max=_float_or_none(limits["max"]),
            clinic_min=_float_or_none(limits["clinic_min"]),
            clinic_max=_float_or_none(limits["clinic_max"]),
            decimals=decimals,
            max_length=max_length,
            allow_future=table.get("allow_future", False),
            allow_past=table.get("allow_past", True),
            default=table.get("default"),
            required_if=required_if,
            shows_patient_allergies=table.get("shows_patient_allergies", False),
        )
        if field.default is not None and self.authoring:
            from desk_app.domain.values import validate_field  # values builds on these types

            try:
                validate_field(field, field.default, date.max)
            except ValidationError as error:
                raise self.fail(where, f"field 'default' is not a valid value ({error})") from None
        return field

    def _check_number_limits(self, limits: dict[str, Any], where: str) -> None:
        low, high = limits["min"], limits["max"]
        if low is None or high is None:
            raise self.fail(where, "fields 'min' and 'max' are required for a number")
        for key, value in limits.items():
            if value is not None and not math.isfinite(value):
                raise self.fail(where, f"field '{key}' must be a finite number")
        if low > high:
            raise self.fail(where, "field 'min' is greater than 'max'")
        for key in ("clinic_min", "clinic_max"):
            value = limits[key]
            if value is not None and not low <= value <= high:
                raise self.fail(where, f"field '{key}' lies outside 'min' to 'max'")
        clinic_low, clinic_high = limits["clinic_min"], limits["clinic_max"]
        if clinic_low is not None and clinic_high is not None and clinic_low > clinic_high:
            raise self.fail(where, "field 'clinic_min' is greater than 'clinic_max'")

    def item(self, table: dict[str, Any], where: str) -> ItemDef:
        where = _named(where, "item", table)
        self.check_keys(table, _ITEM_KEYS, {"id", "kind", "stop", "label", "help"}, where)
        kind = self.enum(ItemKind, table["kind"], "kind", where)
        stop = self.enum(Stop, table["stop"], "stop", where)
        raw_fields = table.get("fields", [])
        if not all(isinstance(field, dict) for field in raw_fields):
            raise self.fail(where, "field 'fields' must be a list of tables")
        fields = tuple(self.field(field, where) for field in raw_fields)
        limited = [f.id for f in fields if f.clinic_min is not None or f.clinic_max is not None]
        if kind is ItemKind.LASER_PASS:  # a pass's laser may be overdue its service
            limited += [f.id for f in fields if f.type is FieldType.DEVICE]
        # Only a soft stop can be overridden: a value outside the clinic's limits elsewhere would
        # block the session for good.
        self.authoring_rule(
            bool(limited) and stop is not Stop.SOFT,
            where,
            f"field '{limited[0] if limited else ''}' can flag a risk, so the item's stop must be soft",
        )
        # A flagged answer on a hard stop holds the later pause points until it is answered again
        # (a toxicity sign: no laser, call the clinician); on an item without a stop it would block
        # the sign-out with nothing to lift it.
        flagged = [f.id for f in fields if f.flag]
        self.authoring_rule(
            bool(flagged) and stop is Stop.NONE,
            where,
            f"field '{flagged[0] if flagged else ''}' can flag a risk, so the item needs a soft or hard stop",
        )
        # A hard stop's question left unanswered would let the laser go on without it.
        unasked = [f.id for f in fields if f.flag and not f.required]
        self.authoring_rule(
            stop is Stop.HARD and bool(unasked),
            where,
            f"field '{unasked[0] if unasked else ''}' flags a hard stop, so it must be required",
        )
        if len({field.id for field in fields}) != len(fields):
            raise self.fail(where, "field 'fields' repeats a field id")
        by_id = {field.id: field for field in fields}
        for field in fields:
            if field.required_if is None:
                continue
            other, answer = field.required_if
            if other not in by_id or answer not in by_id[other].options:
                raise self.fail(
                    f"{where}, field '{field.id}'",
                    f"field 'required_if' names '{other}' = '{answer}', not a field and answer of this item",
                )
        if table.get("plans_course"):
            types = {field.id: field.type for field in fields}
            if (
                types.get("planned_sessions") is not FieldType.NUMBER
                or types.get("next_date") is not FieldType.DATE
            ):
                raise self.fail(
                    where,
                    "a plans_course item needs a number field 'planned_sessions' and a date 'next_date'",
                )
        if table.get("records_painted_areas"):
            areas = by_id.get(AREAS_FIELD)
            if areas is None or areas.type is not FieldType.MULTI:
                raise self.fail(where, f"a records_painted_areas item needs a multi field '{AREAS_FIELD}'")
            if not table.get("unpainted_message", "").strip():
                raise self.fail(
                    where, "field 'unpainted_message' is missing: say what a pass on an unpainted area means"
                )
        self.authoring_rule(
            "unpainted_message" in table and not table.get("records_painted_areas"),
            where,
            "field 'unpainted_message' is only for the item with records_painted_areas",
        )
        self._check_test_patch(table, by_id, stop, where)
        self.authoring_rule(
            bool(table.get("checks_course_interval")) and stop is not Stop.SOFT,
            where,
            "the item with checks_course_interval can flag a short interval, so its stop must be soft",
        )
        devices = [field for field in fields if field.type is FieldType.DEVICE]
        if len(devices) > 1:
            raise self.fail(where, "an item names at most one laser device (one field of type device)")
        if table.get("confirms_eyewear") and not devices:
            raise self.fail(where, "an item with confirms_eyewear needs a field of type device")
        if kind in (ItemKind.RECORD, ItemKind.LASER_PASS) and not fields:
            raise self.fail(where, f"field 'fields' is missing: a {kind} item records values")
        if kind in (ItemKind.COUNTDOWN, ItemKind.SIGN_OUT) and fields:
            raise self.fail(where, f"field 'fields' is not allowed on a {kind} item")
        # Overriding the gel's removal would leave the countdown running for ever.
        self.authoring_rule(
            bool(table.get("ends_countdown")) and stop is not Stop.HARD,
            where,
            "an item that ends the countdown must be a hard stop",
        )
        self.authoring_rule(
            bool(table.get("starts_countdown")) and stop is Stop.SOFT,
            where,
            "an item that starts the countdown cannot be overridden (stop soft)",
        )
        return ItemDef(
            id=table["id"],
            kind=kind,
            stop=stop,
            label=table["label"],
            help=table["help"],
            fields=fields,
            starts_countdown=table.get("starts_countdown", False),
            ends_countdown=table.get("ends_countdown", False),
            plans_course=table.get("plans_course", False),
            records_adverse_events=table.get("records_adverse_events", False),
            confirms_eyewear=table.get("confirms_eyewear", False),
            records_painted_areas=table.get("records_painted_areas", False),
            unpainted_message=table.get("unpainted_message", ""),
            checks_course_interval=table.get("checks_course_interval", False),
            test_patch_for=tuple(table.get("test_patch_for", ())),
            no_test_patch_message=table.get("no_test_patch_message", ""),
        )

    def _check_test_patch(
        self, table: dict[str, Any], by_id: dict[str, FieldDef], stop: Stop, where: str
    ) -> None:
        """An item asking for a test patch names skin types of its field 'fitzpatrick', records the
        patch's date and result, says what a missing patch means and can be overridden."""
        needing = table.get("test_patch_for")
        if not needing:
            self.authoring_rule(
                "no_test_patch_message" in table,
                where,
                "field 'no_test_patch_message' is only for an item with test_patch_for",
            )
            return
        skin = by_id.get(SKIN_TYPE_FIELD)
        if skin is None or skin.type is not FieldType.CHOICE:
            raise self.fail(where, f"an item with test_patch_for needs a choice field '{SKIN_TYPE_FIELD}'")
        unknown = [value for value in needing if value not in skin.options]
        if unknown:
            raise self.fail(
                where, f"field 'test_patch_for' names '{unknown[0]}', not a skin type of the item"
            )
        patch_date, result = by_id.get(TEST_PATCH_DATE_FIELD), by_id.get(TEST_PATCH_RESULT_FIELD)
        if patch_date is None or patch_date.type is not FieldType.DATE or patch_date.allow_future:
            raise self.fail(
                where,
                f"an item with test_patch_for needs a date field '{TEST_PATCH_DATE_FIELD}' "
                "(not in the future)",
            )
        if result is None or result.type is not FieldType.CHOICE:
            raise self.fail(
                where, f"an item with test_patch_for needs a choice field '{TEST_PATCH_RESULT_FIELD}'"
            )
        if not table.get("no_test_patch_message", "").strip():
            raise self.fail(
                where, "field 'no_test_patch_message' is missing: say what a missing test patch means"
            )
        self.authoring_rule(
            stop is not Stop.SOFT,
            where,
            "an item with test_patch_for can flag a risk, so its stop must be soft",
        )

    def anaesthetic(self, table: Any, ready_minutes: int) -> Anaesthetic:
        where = "table [anaesthetic]"
        if not isinstance(table, dict):
            raise self.fail(where, "is missing (the anaesthetic products and their limits)")
        self.check_keys(table, _ANAESTHETIC_KEYS, set(_ANAESTHETIC_KEYS), where)
        for key in ("covered_answer", "over_maximum_message", "occlusion_message"):
            if not table[key].strip():
                raise self.fail(where, f"field '{key}' is empty")
        products = []
        for number, raw in enumerate(table["products"], start=1):
            at = _named_by(f"{where}, product {number}", raw, "name")
            if not isinstance(raw, dict):
                raise self.fail(at, "must be a table with name, strength and its limits")
            self.check_keys(raw, _PRODUCT_KEYS, set(_PRODUCT_KEYS), at)
            if not raw["name"].strip() or not raw["strength"].strip():
                raise self.fail(at, "fields 'name' and 'strength' must not be empty")
            if not 1 <= raw["max_minutes"] <= 24 * 60:
                raise self.fail(at, "field 'max_minutes' must be 1 to 1440")
            self.authoring_rule(
                raw["max_minutes"] <= ready_minutes,
                at,
                f"field 'max_minutes' must be longer than the gel's wait ({ready_minutes} minutes)",
            )
            if not (math.isfinite(raw["max_grams"]) and raw["max_grams"] > 0):
                raise self.fail(at, "field 'max_grams' must be a number above 0")
            products.append(
                AnaestheticProduct(
                    name=raw["name"],
                    strength=raw["strength"],
                    max_minutes=raw["max_minutes"],
                    max_grams=float(raw["max_grams"]),
                    occlusion_allowed=raw["occlusion_allowed"],
                )
            )
        if not products:
            raise self.fail(where, "field 'products' must list at least one product")
        if len({product.name for product in products}) != len(products):
            raise self.fail(where, "a product name is used twice")
        return Anaesthetic(
            item_id=table["item"],
            covered_answer=table["covered_answer"],
            over_maximum_message=table["over_maximum_message"],
            occlusion_message=table["occlusion_message"],
            products=tuple(products),
        )

    def course(self, table: Any) -> CourseRules:
        where = "table [course]"
        if not isinstance(table, dict):
            raise self.fail(where, "is missing (the interval between sessions)")
        self.check_keys(table, _COURSE_KEYS, set(_COURSE_KEYS), where)
        if not 1 <= table["min_days_between"] <= 365:
            raise self.fail(where, "field 'min_days_between' must be 1 to 365")
        for key in ("too_soon_message", "plan_too_soon_message", "unreadable_message"):
            if not table[key].strip():
                raise self.fail(where, f"field '{key}' is empty")
        return CourseRules(
            min_days_between=table["min_days_between"],
            too_soon_message=table["too_soon_message"],
            plan_too_soon_message=table["plan_too_soon_message"],
            unreadable_message=table["unreadable_message"],
        )

    def pause_point(self, table: dict[str, Any], where: str) -> PausePoint:
        self.check_keys(table, _PAUSE_POINT_KEYS, set(_PAUSE_POINT_KEYS), where)
        where = f"pause point '{table['id']}'"
        if not table["items"] or not all(isinstance(item, dict) for item in table["items"]):
            raise self.fail(where, "field 'items' must list at least one item")
        items = tuple(self.item(item, where) for item in table["items"])
        return PausePoint(
            id=table["id"],
            title=table["title"],
            flow=table["flow"],
            instructions=table["instructions"],
            items=items,
        )

    def aftercare(self, table: Any) -> Aftercare:
        where = "table [aftercare]"
        if not isinstance(table, dict):
            raise self.fail(where, "is missing (the patient's aftercare sheet)")
        required = set(_AFTERCARE_KEYS) if self.authoring else _AFTERCARE_SINCE_1_2
        self.check_keys(table, _AFTERCARE_KEYS, required, where)
        advice = self.paragraphs(table, "advice", where)
        skin_care = self.paragraphs(table, "skin_care", where)
        call_us_if = self.paragraphs(table, "call_us_if", where)
        milestones = []
        for number, raw in enumerate(table["dates"], start=1):
            at = _named(f"{where}, date {number}", "date", raw if isinstance(raw, dict) else {})
            if not isinstance(raw, dict):
                raise self.fail(at, "must be a table with id, label and days")
            self.check_keys(raw, _MILESTONE_KEYS, set(_MILESTONE_KEYS), at)
            if not 0 <= raw["days"] <= _MAX_MILESTONE_DAYS:
                raise self.fail(at, f"field 'days' must be 0 to {_MAX_MILESTONE_DAYS}")
            milestones.append(AftercareMilestone(id=raw["id"], label=raw["label"], days=raw["days"]))
        if not milestones:
            raise self.fail(where, "field 'dates' must list at least one date")
        if len({milestone.id for milestone in milestones}) != len(milestones):
            raise self.fail(where, "a date id is used twice")
        return Aftercare(
            title=table["title"],
            advice=advice,
            milestones=tuple(milestones),
            skin_care=skin_care,
            call_us_if=call_us_if,
        )

    def paragraphs(self, table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
        """A list of plain-words lines: at least one, none blank; () if a stored version has no `key`."""
        if key not in table:
            return ()
        lines = table[key]
        if not lines or not all(isinstance(line, str) and line.strip() for line in lines):
            raise self.fail(where, f"field '{key}' must list at least one line of text")
        return tuple(lines)

    def follow_up(self, table: Any) -> FollowUp:
        """The call after sign-out: its days and its form. The form is read as an item with no stop,
        so its fields meet every rule of an item's (and none may flag a risk: nothing to override)."""
        where = "table [follow_up]"
        if not isinstance(table, dict):
            raise self.fail(where, "is missing (the call to the patient after the treatment)")
        self.check_keys(table, _FOLLOW_UP_KEYS, set(_FOLLOW_UP_KEYS), where)
        first, last, overdue = table["call_from_day"], table["call_to_day"], table["overdue_until_day"]
        for key in ("call_from_day", "call_to_day", "overdue_until_day"):
            if not 0 <= table[key] <= _MAX_FOLLOW_UP_DAYS:
                raise self.fail(where, f"field '{key}' must be 0 to {_MAX_FOLLOW_UP_DAYS}")
        if first > last:
            raise self.fail(where, "field 'call_from_day' is after 'call_to_day'")
        if overdue < last:
            raise self.fail(where, "field 'overdue_until_day' is before 'call_to_day'")
        if not table["fields"]:
            raise self.fail(where, "field 'fields' must list at least one field")
        form = {
            "id": FOLLOW_UP_ID,
            "kind": ItemKind.RECORD.value,
            "stop": Stop.NONE.value,
            "label": table["title"],
            "help": table["instructions"],
            "fields": table["fields"],
        }
        item = self.item(form, where)
        return FollowUp(table["title"], table["instructions"], first, last, item.fields, overdue)


def _named_by(where: str, table: Any, key: str) -> str:
    """Name a table of a list by its `key` (a product by its name) as soon as it has one."""
    name = table.get(key) if isinstance(table, dict) else None
    return f"{where} '{name}'" if isinstance(name, str) and name.strip() else where


def _named(where: str, kind: str, table: dict[str, Any]) -> str:
    """Add the item's or field's id to the location, as soon as there is one to name."""
    name = table.get("id")
    return f"{where}, {kind} '{name}'" if isinstance(name, str) and name.strip() else f"{where}, a {kind}"


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


@functools.lru_cache(maxsize=16)
def parse_procedure(text: str, source_name: str, *, authoring: bool = True) -> Procedure:
    """Parse and check a procedure definition; raise ProcedureError naming what is wrong.

    The same text read again (each window a desk opens, each stored version) is the same frozen
    Procedure: it is read once. A refusal is not kept; the text is read again, and refused again.

    `authoring=False` reads a version stored with past sessions: only what is needed to read it.
    """
    reader = _Reader(source_name, authoring)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise reader.fail("the file", f"is not valid TOML ({error})") from None
    header = data.get("procedure")
    if not isinstance(header, dict):
        raise reader.fail("table [procedure]", "is missing")
    reader.check_keys(
        header,
        {"id": str, "title": str, "version": str, "effective": str},
        {"id", "title", "version", "effective"},
        "table [procedure]",
    )
    countdown = data.get("countdown")
    if not isinstance(countdown, dict):
        raise reader.fail("table [countdown]", "is missing")
    reader.check_keys(
        countdown,
        {"ready_minutes": int, "remove_minutes": int},
        {"ready_minutes", "remove_minutes"},
        "table [countdown]",
    )
    if not 1 <= countdown["ready_minutes"] < countdown["remove_minutes"] <= 24 * 60:
        raise reader.fail(
            "table [countdown]", "field 'remove_minutes' must be after 'ready_minutes' (minutes > 0)"
        )
    known_tables = {
        "procedure",
        "countdown",
        "pause_points",
        "aftercare",
        "follow_up",
        *_RULE_TABLES_SINCE_1_5,
    }
    unknown = sorted(set(data) - known_tables)
    reader.authoring_rule(
        bool(unknown), "the file", f"table '{unknown[0] if unknown else ''}' is not known (a typo?)"
    )
    raw_points = data.get("pause_points")
    if not isinstance(raw_points, list) or not raw_points:
        raise reader.fail("the file", "has no [[pause_points]]")
    pause_points = tuple(
        reader.pause_point(point, f"pause point {number}") for number, point in enumerate(raw_points, start=1)
    )
    # A new file must carry the patient's sheet; a stored 1.0 or 1.1 never did.
    has_aftercare = "aftercare" in data or authoring
    # Likewise the call after sign-out: a new file must have it, a stored 1.4 or older never did.
    has_follow_up = "follow_up" in data or authoring
    procedure = Procedure(
        id=header["id"],
        title=header["title"],
        version=header["version"],
        effective=header["effective"],
        ready_minutes=countdown["ready_minutes"],
        remove_minutes=countdown["remove_minutes"],
        pause_points=pause_points,
        source=text,
        aftercare=reader.aftercare(data.get("aftercare")) if has_aftercare else None,
        anaesthetic=(
            reader.anaesthetic(data.get("anaesthetic"), countdown["ready_minutes"])
            if "anaesthetic" in data or authoring
            else None
        ),
        course=reader.course(data.get("course")) if "course" in data or authoring else None,
        follow_up=reader.follow_up(data.get("follow_up")) if has_follow_up else None,
    )
    _check_whole(procedure, reader)
    return procedure


def _check_whole(procedure: Procedure, reader: _Reader) -> None:
    """Rules that span items: unique ids, one countdown and its start, sign-out last."""
    seen: set[str] = set()
    for pause_point in procedure.pause_points:
        if pause_point.id in seen:
            raise reader.fail(f"pause point '{pause_point.id}'", "id is used twice")
        seen.add(pause_point.id)
    item_ids: set[str] = set()
    for item in procedure.all_items():
        if item.id in item_ids:
            raise reader.fail(f"item '{item.id}'", "id is used twice")
        item_ids.add(item.id)
    items = procedure.all_items()
    countdowns = [item for item in items if item.kind is ItemKind.COUNTDOWN]
    starters = [item for item in items if item.starts_countdown]
    if len(countdowns) != 1 or len(starters) != 1:
        raise reader.fail("the file", "needs exactly one countdown item and one item with starts_countdown")
    order = [item.id for item in items]
    if order.index(starters[0].id) > order.index(countdowns[0].id):
        raise reader.fail(f"item '{starters[0].id}'", "starts the countdown after the countdown")
    eyewear = [item for item in items if item.confirms_eyewear]
    if len(eyewear) > 1:
        raise reader.fail(f"item '{eyewear[1].id}'", "a second item with confirms_eyewear (one is allowed)")
    if eyewear:
        passes = procedure.laser_passes()
        if passes and order.index(passes[0].id) < order.index(eyewear[0].id):
            raise reader.fail(f"item '{passes[0].id}'", "a laser pass comes before the eyewear is confirmed")
        unnamed = [item for item in passes if not item.device_fields()]
        reader.authoring_rule(
            bool(unnamed),
            f"item '{unnamed[0].id if unnamed else ''}'",
            "a laser pass must name its laser (a field of type device), as the eyewear is confirmed for one",
        )
    _check_painted_areas(procedure, reader, order)
    _check_anaesthetic(procedure, reader)
    _check_course(procedure, reader)
    sign_outs = [item for item in items if item.kind is ItemKind.SIGN_OUT]
    if len(sign_outs) != 1 or items[-1].kind is not ItemKind.SIGN_OUT:
        raise reader.fail("the file", "needs exactly one sign_out item, as the very last item")


def _check_painted_areas(procedure: Procedure, reader: _Reader, order: list[str]) -> None:
    """One item records where the gel went; each laser pass lists its areas from the same choices,
    after it, and can be overridden when it treats an area without gel."""
    painted = [item for item in procedure.all_items() if item.records_painted_areas]
    if len(painted) > 1:
        raise reader.fail(
            f"item '{painted[1].id}'", "a second item with records_painted_areas (one is allowed)"
        )
    if not painted:
        return
    marker = painted[0]
    choices = set(next(f for f in marker.fields if f.id == AREAS_FIELD).options)
    for item in procedure.all_items():
        if item.kind is not ItemKind.LASER_PASS:
            continue
        where = f"item '{item.id}'"
        areas = next((f for f in item.fields if f.id == AREAS_FIELD), None)
        reader.authoring_rule(
            areas is None or areas.type is not FieldType.MULTI,
            where,
            f"a laser pass needs a multi field '{AREAS_FIELD}', to compare with the areas painted",
        )
        if areas is None:
            continue
        unknown = [option for option in areas.options if option not in choices]
        reader.authoring_rule(
            bool(unknown),
            where,
            f"area '{unknown[0] if unknown else ''}' is not one of the areas of '{marker.id}': "
            "it could never be painted",
        )
        reader.authoring_rule(
            order.index(item.id) < order.index(marker.id),
            where,
            f"a laser pass comes before the areas painted ('{marker.id}')",
        )
        # A pass on an area without gel needs a clinician's override: only a soft stop has one.
        reader.authoring_rule(
            item.stop is not Stop.SOFT,
            where,
            "a laser pass can treat an area without gel, so its stop must be soft",
        )


def _check_anaesthetic(procedure: Procedure, reader: _Reader) -> None:
    """The anaesthetic item records a product (each of [anaesthetic]'s, or another one that needs a
    clinician), its grams and whether it was covered, and can be overridden."""
    rules = procedure.anaesthetic
    if rules is None:
        return
    where = "table [anaesthetic]"
    try:
        item = procedure.item(rules.item_id)
    except KeyError:
        raise reader.fail(where, f"field 'item' names '{rules.item_id}', not an item of the file") from None
    fields = {field.id: field for field in item.fields}
    product, grams, covered = (fields.get(key) for key in (PRODUCT_FIELD, GRAMS_FIELD, COVERED_FIELD))
    if product is None or product.type is not FieldType.CHOICE:
        raise reader.fail(f"item '{item.id}'", f"the anaesthetic item needs a choice field '{PRODUCT_FIELD}'")
    if grams is None or grams.type is not FieldType.NUMBER:
        raise reader.fail(f"item '{item.id}'", f"the anaesthetic item needs a number field '{GRAMS_FIELD}'")
    if covered is None or rules.covered_answer not in covered.options:
        raise reader.fail(
            f"item '{item.id}'",
            f"the anaesthetic item needs a choice field '{COVERED_FIELD}' with the answer "
            f"'{rules.covered_answer}' (covered_answer)",
        )
    optional = [field.id for field in (product, grams, covered) if not field.required]
    reader.authoring_rule(
        bool(optional),
        f"item '{item.id}'",
        f"field '{optional[0] if optional else ''}' must be required: without it no limit can be checked",
    )
    names = {p.name for p in rules.products}
    missing = [name for name in sorted(names) if name not in product.options]
    reader.authoring_rule(
        bool(missing),
        f"item '{item.id}'",
        f"product '{missing[0] if missing else ''}' of [anaesthetic] is not a choice of "
        f"field '{PRODUCT_FIELD}'",
    )
    unflagged = [o for o in product.options if o not in names and o not in product.flag]
    reader.authoring_rule(
        bool(unflagged),
        f"item '{item.id}'",
        f"choice '{unflagged[0] if unflagged else ''}' is not a product of [anaesthetic]: flag it, "
        "so that another product needs a clinician's override",
    )
    reader.authoring_rule(
        item.stop is not Stop.SOFT,
        f"item '{item.id}'",
        "the anaesthetic item can flag more than a product's maximum, so its stop must be soft",
    )


def _check_course(procedure: Procedure, reader: _Reader) -> None:
    """The course rules need their items: one checking the interval, and the plan, which can be
    overridden and gives a reason for extending the course."""
    checks = [item for item in procedure.all_items() if item.checks_course_interval]
    if checks and procedure.course is None:
        raise reader.fail(f"item '{checks[0].id}'", "checks_course_interval needs a table [course]")
    if procedure.course is None:
        return
    reader.authoring_rule(len(checks) != 1, "table [course]", "exactly one item needs checks_course_interval")
    plan = procedure.course_plan_item
    if plan is None:
        raise reader.fail("table [course]", "needs an item with plans_course")
    reason = next((field for field in plan.fields if field.id == EXTENSION_REASON_FIELD), None)
    reader.authoring_rule(
        reason is None or reason.type is not FieldType.TEXT or reason.required,
        f"item '{plan.id}'",
        f"the course plan needs an optional text field '{EXTENSION_REASON_FIELD}' (why a course is extended)",
    )
    reader.authoring_rule(
        plan.stop is not Stop.SOFT,
        f"item '{plan.id}'",
        "the course plan can flag a next session planned too soon, so its stop must be soft",
    )


def load_procedure(path: Path) -> Procedure:
    """Read a procedure file; every problem becomes a ProcedureError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ProcedureError(f"Procedure file {path.name}: cannot be read ({error})") from None
    return parse_procedure(text, path.name)
