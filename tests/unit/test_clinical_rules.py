"""Issue 16's clinical rules in the domain: the anaesthetic product's limits, the toxicity check,
the test patch, and the course's interval and end."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from desk_app.domain.actions import can_clear_stop, can_correct, can_override
from desk_app.domain.clinical_rules import CourseContext, course_complete, course_plan_hint
from desk_app.domain.errors import ActionRefused, ProcedureError, ValidationError
from desk_app.domain.procedure import Procedure, parse_procedure
from desk_app.domain.session import ItemStatus
from tests.support.session_log import NURSE, Log, through_anaesthetic
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT

LMX4 = "LMX4 lidocaine 4% cream"
NO_COVER_PRODUCT = "Lidocaine 2.5% / prilocaine 2.5% cream"
OTHER = "Another product (name it below)"
TODAY = date(2026, 11, 25)  # the test clock's day


def gel(product: str = LMX4, grams: float = 8, covered: str = "No", **more: Any) -> dict[str, Any]:
    return {"product": product, "grams": grams, "covered": covered, **more}


def context(number: int = 1, last_days_ago: int | None = None, planned: int = 3) -> CourseContext:
    last = TODAY - timedelta(days=last_days_ago) if last_days_ago is not None else None
    return CourseContext(session_number=number, day=TODAY, last_session=last, planned=planned)


# --- 1. the anaesthetic product ---------------------------------------------------------------------


def test_more_grams_than_the_product_allows_needs_a_clinician_before_the_laser_room(log: Log) -> None:
    log.tick_all(SIGN_IN)
    log.tick_all(ANAESTHETIC, gel_product=gel(grams=25))
    product = log.state().item("gel_product")
    assert product.status is ItemStatus.NEEDS_OVERRIDE
    assert product.flags == (
        "More gel than the product allows: 25.0 g of LMX4 lidocaine 4% cream, at most 20.0 g",
    )
    log.clock.advance(minutes=61)
    assert "'Anaesthetic product, amount and cover' (Anaesthetic) flags a risk" in (
        log.state().item("identity_read_back").lock_reason or ""
    )
    log.override("gel_product", "Large treatment area; weighed, within the weight-based dose")
    assert log.state().item("identity_read_back").lock_reason is None


def test_at_or_under_the_maximum_and_uncovered_raises_nothing(log: Log) -> None:
    log.tick_all(SIGN_IN)
    log.tick("gel_product", gel(grams=20))
    assert log.state().item("gel_product").status is ItemStatus.DONE


def test_a_cover_is_flagged_only_for_a_product_that_must_not_be_covered(log: Log) -> None:
    log.tick_all(SIGN_IN)
    log.tick("gel_product", gel(LMX4, covered="Yes"))
    assert log.state().item("gel_product").status is ItemStatus.DONE
    log.correct("gel_product", "Wrong tube read")
    log.tick("gel_product", gel(NO_COVER_PRODUCT, grams=5, covered="Yes"))
    assert log.state().item("gel_product").flags == (
        f"Covered, but this product must not be covered: {NO_COVER_PRODUCT}",
    )


def test_another_product_is_named_and_needs_a_clinician(log: Log) -> None:
    log.tick_all(SIGN_IN)
    with pytest.raises(ValidationError, match="Other product and strength: please fill this in"):
        log.tick("gel_product", gel(OTHER))
    log.tick("gel_product", gel(OTHER, other_product="Pliaglis 7%/7%"))
    item = log.state().item("gel_product")
    assert item.flags == ("Not one of the clinic's anaesthetic products",)
    assert can_override(log.state(), "gel_product") is None


@pytest.mark.parametrize(
    ("product", "minutes"),
    [(LMX4, 90), (NO_COVER_PRODUCT, 75), (OTHER, 90)],
    ids=["longer than the clinic's: the clinic's 90", "shorter: the product's 75", "another: the clinic's"],
)
def test_the_gel_must_come_off_by_the_product_s_maximum_when_it_is_shorter(
    log: Log, product: str, minutes: int
) -> None:
    log.tick_all(SIGN_IN)
    log.tick_all(ANAESTHETIC, gel_product=gel(product, grams=5, other_product="Other cream 4%"))
    countdown = log.state().countdown
    assert countdown is not None
    assert countdown.remove_at - countdown.applied_at == timedelta(minutes=minutes)
    assert countdown.ready_at - countdown.applied_at == timedelta(minutes=60)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("max_minutes = 75", "max_minutes = 60", "must be longer than the gel's wait (60 minutes)"),
        ("max_grams = 10", "max_grams = 0", "field 'max_grams' must be a number above 0"),
        (
            'name = "LMX4 lidocaine 4% cream"',
            'name = "LMX4 lidocaine 4% gel"',
            "product 'LMX4 lidocaine 4% gel' of [anaesthetic] is not a choice of field 'product'",
        ),
        (
            'flag = ["Another product (name it below)"], flag_message = "Not one',
            'flag_message = "Not one',
            "choice 'Another product (name it below)' is not a product of [anaesthetic]: flag it",
        ),
        ('item = "gel_product"', 'item = "gel_products"', "field 'item' names 'gel_products'"),
        ('covered_answer = "Yes"', 'covered_answer = "Covered"', "with the answer 'Covered'"),
        (
            'unit = "g", min = 0.5, max = 100, decimals = 1 }',
            'unit = "g", min = 0.5, max = 100, decimals = 1, required = false }',
            "field 'grams' must be required: without it no limit can be checked",
        ),
        (
            '{ id = "blurred_vision", label = "Blurred vision", type = "choice",',
            '{ id = "blurred_vision", label = "Blurred vision", required = false, type = "choice",',
            "field 'blurred_vision' flags a hard stop, so it must be required",
        ),
    ],
)
def test_a_broken_anaesthetic_table_is_refused_naming_what_is_wrong(
    procedure: Procedure, old: str, new: str, message: str
) -> None:
    assert procedure.source.count(old) == 1
    with pytest.raises(ProcedureError, match="laser-acne-scarring.toml") as refused:
        parse_procedure(procedure.source.replace(old, new), "laser-acne-scarring.toml")
    assert message in str(refused.value)


def test_a_version_stored_before_the_rules_reads_without_them(procedure: Procedure) -> None:
    start = procedure.source.index("\n[anaesthetic]\n")
    end = procedure.source.index("\n[[pause_points]]\n")
    without = (procedure.source[:start] + procedure.source[end:]).replace(
        "checks_course_interval = true\n", ""
    )
    old = parse_procedure(without, "stored 1.4", authoring=False)
    assert (old.anaesthetic, old.course) == (None, None)
    with pytest.raises(ProcedureError, match=r"table \[anaesthetic\]: is missing"):
        parse_procedure(without, "laser-acne-scarring.toml")


# --- 2. the toxicity check --------------------------------------------------------------------------

TOXICITY_ALL_NO = TIME_OUT["anaesthetic_toxicity"]


@pytest.mark.parametrize("sign", sorted(TOXICITY_ALL_NO))
def test_any_sign_of_toxicity_is_a_hard_stop_on_the_laser(log: Log, sign: str) -> None:
    through_anaesthetic(log)
    log.clock.advance(minutes=60)
    log.tick_all(TIME_OUT, anaesthetic_toxicity={**TOXICITY_ALL_NO, sign: "Yes"})
    state = log.state()
    check = state.item("anaesthetic_toxicity")
    assert check.status is ItemStatus.NEEDS_OVERRIDE
    assert all(flag.endswith("no laser, call the clinician now") for flag in check.flags)
    reason = state.item("fractional_pass").lock_reason or ""
    assert reason.startswith("Hard stop: 'Anaesthetic toxicity check' (Time-out): ")
    assert "call the clinician now" in reason
    assert "cannot be overridden" in (can_override(state, "anaesthetic_toxicity") or "")
    with pytest.raises(ActionRefused, match="is locked"):
        log.tick("fractional_pass", LASER["fractional_pass"])


def test_the_laser_opens_when_a_clinician_clears_the_stop_and_the_check_is_answered_again(
    log: Log,
) -> None:
    through_anaesthetic(log)
    log.clock.advance(minutes=60)
    log.tick_all(TIME_OUT, anaesthetic_toxicity={**TOXICITY_ALL_NO, "metallic_taste": "Yes"})
    log.clock.advance(minutes=20)
    assert log.state().item("anaesthetic_toxicity").hard_stopped
    assert can_clear_stop(log.state(), "anaesthetic_toxicity") is None
    with pytest.raises(ActionRefused, match="only a clinician who has seen the patient may clear it"):
        log.correct("anaesthetic_toxicity", "The taste has gone")
    with pytest.raises(ActionRefused, match="Only a clinician who has seen the patient"):
        log.clear_stop("anaesthetic_toxicity", "The taste has gone", staff=NURSE)
    log.clear_stop("anaesthetic_toxicity", "Seen the patient: the taste has gone, observations normal")
    assert not log.state().item("anaesthetic_toxicity").hard_stopped
    assert "raises no stop to clear" in (can_clear_stop(log.state(), "anaesthetic_toxicity") or "")
    log.tick("anaesthetic_toxicity", TOXICITY_ALL_NO)
    state = log.state()
    assert state.item("fractional_pass").lock_reason is None
    assert [event.kind.value for event in state.item("anaesthetic_toxicity").history] == [
        "tick",
        "correction",
        "tick",
    ]


def test_after_a_laser_pass_the_toxicity_check_is_not_undone_signs_are_an_adverse_event(log: Log) -> None:
    through_anaesthetic(log)
    log.clock.advance(minutes=60)
    log.tick_all(TIME_OUT)
    assert can_correct(log.state(), "anaesthetic_toxicity") is None  # before any pass
    log.tick("fractional_pass", LASER["fractional_pass"])
    refusal = can_correct(log.state(), "anaesthetic_toxicity") or ""
    assert refusal.startswith("The laser passes are recorded: signs now are an adverse event.")
    assert "under 'Adverse events'" in refusal
    with pytest.raises(ActionRefused, match="raises no stop to clear"):
        log.clear_stop("anaesthetic_toxicity")


def test_gel_can_come_off_however_the_session_is_held_up(log: Log) -> None:
    """Too much gel is exactly when it must come off: neither the wait nor a stop before it holds
    up its removal; the laser stays behind them."""
    log.tick_all(SIGN_IN)
    log.tick_all(ANAESTHETIC, gel_product=gel(grams=30))
    log.clock.advance(minutes=10)
    state = log.state()
    assert state.item("gel_removed").lock_reason is None
    assert state.item("identity_read_back").locked
    log.tick("gel_removed")
    assert log.state().countdown.removed_at == log.clock.now()  # type: ignore[union-attr]
    assert log.state().item("fractional_pass").locked


# --- 4. the test patch --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "skin", "patch", "flagged"),
    [
        (1, "IV", {}, True),
        (1, "VI", {"test_patch_date": "2026-11-10"}, True),  # no result yet
        (1, "IV", {"test_patch_date": "2026-11-10", "test_patch_result": "No reaction"}, False),
        (1, "III", {}, False),
        (2, "IV", {}, False),  # before the first session only
    ],
)
def test_skin_types_iv_to_vi_need_a_test_patch_before_a_first_session(
    log: Log, number: int, skin: str, patch: dict[str, str], flagged: bool
) -> None:
    log.course(context(number, last_days_ago=None if number == 1 else 40))
    log.tick("skin_type", {"fitzpatrick": skin, **patch})
    flags = log.state().item("skin_type").flags
    missing = "Skin type IV to VI: no test patch recorded before the first session"
    assert (missing in flags) is flagged


def test_a_test_patch_that_reacted_is_flagged_and_cannot_be_dated_in_the_future(log: Log) -> None:
    log.course(context())
    with pytest.raises(ValidationError, match="Test patch done on cannot be in the future"):
        log.tick(
            "skin_type",
            {"fitzpatrick": "IV", "test_patch_date": "2026-12-01", "test_patch_result": "Reaction"},
        )
    log.tick(
        "skin_type", {"fitzpatrick": "IV", "test_patch_date": "2026-11-10", "test_patch_result": "Reaction"}
    )
    assert log.state().item("skin_type").flags == ("The test patch reacted",)


def test_the_allergy_question_shows_the_registration_s_allergies(procedure: Procedure) -> None:
    shown = [
        field.id for item in procedure.all_items() for field in item.fields if field.shows_patient_allergies
    ]
    assert shown == ["anaesthetic_allergy"]


# --- 5. the course ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "flagged"), [(10, True), (27, True), (28, False), (None, False)])
def test_a_session_sooner_than_the_interval_after_the_last_needs_a_clinician(
    log: Log, days: int | None, flagged: bool
) -> None:
    log.course(context(2 if days else 1, last_days_ago=days))
    log.tick("course_interval")
    item = log.state().item("course_interval")
    assert (item.status is ItemStatus.NEEDS_OVERRIDE) is flagged
    if flagged:
        last = (TODAY - timedelta(days=days or 0)).strftime("%d/%m/%Y")
        assert item.flags == (
            f"Sooner than 4 weeks after the last session: the last was on {last}, {days} days ago",
        )
        log.override("course_interval", "Patient flying abroad; sun advice repeated")
        assert log.state().item("course_interval").status is ItemStatus.OVERRIDDEN


def ready_for_the_plan(log: Log, course: CourseContext) -> None:
    log.course(course)
    through_anaesthetic(log)
    log.clock.advance(minutes=60)
    log.tick_all(TIME_OUT)
    log.tick_all(LASER)
    log.tick("stratamed", SIGN_OUT["stratamed"])
    log.tick("aftercare")


@pytest.mark.parametrize(("days", "flagged"), [(7, True), (27, True), (28, False), (42, False)])
def test_a_next_session_planned_before_the_earliest_date_needs_a_clinician(
    log: Log, days: int, flagged: bool
) -> None:
    ready_for_the_plan(log, context(1))
    planned = TODAY + timedelta(days=days)
    log.tick("next_session", {"planned_sessions": 3, "next_date": planned.isoformat()})
    item = log.state().item("next_session")
    assert (item.status is ItemStatus.NEEDS_OVERRIDE) is flagged
    if flagged:
        assert item.flags == (
            "Next session planned sooner than 4 weeks after this one: "
            f"{planned:%d/%m/%Y} is before {TODAY + timedelta(days=28):%d/%m/%Y}",
        )
        assert "Next session planned (needs a clinician's decision)" in (
            log.state().item("operator_sign_out").lock_reason or ""
        )


def test_the_last_planned_session_ends_the_course_with_no_next_date(log: Log) -> None:
    course = context(3, last_days_ago=35, planned=3)
    ready_for_the_plan(log, course)
    assert course_plan_hint(log.state().course_context).startswith("Session 3 of 3: the course is complete")
    with pytest.raises(
        ValidationError, match="Session 3 of 3 completes the course: leave 'Next session on or after'"
    ):
        log.tick("next_session", {"planned_sessions": 3, "next_date": "2027-01-20"})
    tick = log.tick("next_session", {"planned_sessions": 3})
    assert course_complete(log.procedure.item("next_session"), tick.values, log.state().course_context)


def test_extending_the_course_at_its_last_planned_session_needs_a_reason(log: Log) -> None:
    ready_for_the_plan(log, context(3, last_days_ago=35, planned=3))
    with pytest.raises(ValidationError, match="The course planned 3 sessions and this is session 3"):
        log.tick("next_session", {"planned_sessions": 4, "next_date": "2027-01-20"})
    log.tick(
        "next_session",
        {
            "planned_sessions": 4,
            "next_date": "2027-01-20",
            "extension_reason": "Deep ice-pick scars on the cheeks",
        },
    )
    state = log.state()
    assert state.item("next_session").status is ItemStatus.DONE
    assert not course_complete(
        state.procedure.item("next_session"), state.item("next_session").tick.values, state.course_context
    )  # type: ignore[union-attr]


def test_before_the_last_planned_session_a_plan_needs_no_reason_and_the_card_no_hint(log: Log) -> None:
    ready_for_the_plan(log, context(1))
    assert course_plan_hint(log.state().course_context) == ""
    log.tick("next_session", {"planned_sessions": 5, "next_date": "2027-01-20"})
    assert log.state().item("next_session").status is ItemStatus.DONE


def test_a_course_event_edited_outside_the_app_leaves_the_interval_to_a_clinician(log: Log) -> None:
    log.course(context(2, last_days_ago=40))
    log.events[-1] = replace(log.events[-1], values={"day": "garbage"})
    log.tick("course_interval")
    state = log.state()
    assert state.course_context is None
    unreadable = "The course as it stood at the start of this session cannot be read"
    assert state.item("course_interval").flags == (f"{unreadable}: check the date of the last session",)
    log.override("course_interval", "Last session 40 days ago, checked on the patient's page")
    assert log.state().item("course_interval").status is ItemStatus.OVERRIDDEN


def test_at_the_most_sessions_a_course_plans_the_plan_ends_it_and_says_why(log: Log) -> None:
    ready_for_the_plan(log, context(6, last_days_ago=35, planned=6))
    with pytest.raises(ValidationError, match="Session 6 is the most a course plans"):
        log.tick("next_session", {"planned_sessions": 6, "next_date": "2027-01-20"})
    assert "the most a course plans" in course_plan_hint(log.state().course_context, log.procedure)
    log.tick("next_session", {"planned_sessions": 6})
