"""Values recorded with an item: what is refused, what is kept exactly, and what flags a risk."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk_app.domain.errors import ValidationError
from desk_app.domain.procedure import FieldDef, Procedure, load_procedure
from desk_app.domain.values import describe_value, describe_values, flags_for, validate_field, validate_values
from desk_app.paths import PROCEDURE_FILE, resource_path
from tests.support.lasers import TEST_LASER_VALUE
from tests.support.walk import SIGN_IN

TODAY = date(2026, 11, 25)
# Hypothesis tests cannot use function-scoped fixtures; the procedure is read once for them.
PROCEDURE = load_procedure(resource_path(PROCEDURE_FILE))


def field_of(procedure: Procedure, item_id: str, field_id: str) -> FieldDef:
    return next(field for field in procedure.item(item_id).fields if field.id == field_id)


ENERGY = field_of(PROCEDURE, "fractional_pass", "energy_mj")
DENSITY = field_of(PROCEDURE, "fractional_pass", "density_pct")
BEAM = field_of(PROCEDURE, "full_beam_pass", "beam_mm")
PRODUCT = field_of(PROCEDURE, "gel_product", "other_product")
LAST_DOSE = field_of(PROCEDURE, "medication_history", "isotretinoin_last_dose")
NEXT_DATE = field_of(PROCEDURE, "next_session", "next_date")
FITZPATRICK = field_of(PROCEDURE, "skin_type", "fitzpatrick")
AREAS = field_of(PROCEDURE, "gel_areas", "areas")

GOOD_FRACTIONAL: dict[str, Any] = {
    "device": TEST_LASER_VALUE,
    "energy_mj": 40,
    "density_pct": 20,
    "passes": 2,
    "areas": ["Forehead", "Cheeks"],
}


def fractional(**changes: Any) -> dict[str, Any]:
    return {**GOOD_FRACTIONAL, **changes}


# --- numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["abc", "nan", "NaN", "inf", "-inf", "Infinity", "40 mJ", "4O", True, False])
def test_laser_setting_that_is_not_a_number_is_refused(raw: Any) -> None:
    with pytest.raises(ValidationError, match="Energy per pulse must be a number"):
        validate_field(ENERGY, raw, TODAY)


@pytest.mark.parametrize("raw", [float("nan"), float("inf"), float("-inf")])
def test_float_nan_and_infinity_are_refused(raw: float) -> None:
    with pytest.raises(ValidationError, match="must be a number"):
        validate_field(ENERGY, raw, TODAY)


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_empty_laser_setting_is_refused_as_missing(raw: Any) -> None:
    with pytest.raises(ValidationError, match="Energy per pulse: please fill this in"):
        validate_field(ENERGY, raw, TODAY)


@pytest.mark.parametrize("raw", [0, 0.9, -5, 300.1, 400, "400", 1e9])
def test_laser_setting_outside_the_defined_range_is_refused(raw: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_field(ENERGY, raw, TODAY)
    assert str(caught.value) == "Energy per pulse must be between 1.0 and 300.0 mJ."


@pytest.mark.parametrize("raw", [1, 300, "1", "300.0", 1.0])
def test_range_ends_are_accepted(raw: Any) -> None:
    assert validate_field(ENERGY, raw, TODAY) == float(raw)


def test_fixed_beam_width_accepts_only_7_mm() -> None:
    assert validate_field(BEAM, 7, TODAY) == 7.0
    with pytest.raises(ValidationError) as caught:
        validate_field(BEAM, 8, TODAY)
    assert str(caught.value) == "Beam width must be 7 mm."


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        (ENERGY, 40.25, "Energy per pulse takes 1 decimal place (got 40.25)."),
        (ENERGY, "40.25", "Energy per pulse takes 1 decimal place (got 40.25)."),
        (DENSITY, 20.5, "Density takes no decimal places (got 20.5)."),
        (DENSITY, "20.5", "Density takes no decimal places (got 20.5)."),
    ],
)
def test_more_decimals_than_the_field_allows_are_refused(field: FieldDef, raw: Any, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_field(field, raw, TODAY)
    assert str(caught.value) == message


@pytest.mark.parametrize(("raw", "expected"), [(" 40.5 ", 40.5), ("7.", 7.0), (40.5, 40.5), (40, 40.0)])
def test_numbers_typed_as_text_are_read(raw: Any, expected: float) -> None:
    value = validate_field(ENERGY, raw, TODAY)
    assert value == expected
    assert isinstance(value, float)


@pytest.mark.parametrize("raw", ["40,5", "1,000", "4_0", "4e1", "0x28", "40 mJ"])
def test_only_plain_decimal_numbers_are_read(raw: str) -> None:
    """'1,000' must not become 1.0 and '4_0' must not become 40: refuse, and say what is expected."""
    with pytest.raises(ValidationError, match="must be a number in mJ, for example 12.5"):
        validate_field(ENERGY, raw, TODAY)


def test_an_absurdly_large_integer_is_refused_with_a_message() -> None:
    with pytest.raises(ValidationError, match="far too large"):
        validate_field(ENERGY, 10**400, TODAY)


@given(tenths=st.integers(min_value=10, max_value=3000))
@settings(max_examples=60, deadline=None)
def test_any_energy_in_range_with_one_decimal_comes_back_exactly(tenths: int) -> None:
    value = tenths / 10
    assert validate_field(ENERGY, value, TODAY) == value
    assert validate_field(ENERGY, str(value), TODAY) == value


# --- clinic limits and flags -----------------------------------------------------------------------


def test_inside_range_but_above_clinic_limit_is_accepted_and_flagged(procedure: Procedure) -> None:
    item = procedure.item("fractional_pass")
    values = validate_values(item, fractional(energy_mj=80), TODAY)
    assert values["energy_mj"] == 80.0
    assert flags_for(item, values) == ["Energy per pulse 80.0 mJ is above the clinic limit of 70.0 mJ"]


def test_inside_range_but_below_clinic_limit_is_accepted_and_flagged(procedure: Procedure) -> None:
    item = procedure.item("fractional_pass")
    values = validate_values(item, fractional(density_pct=3), TODAY)
    assert flags_for(item, values) == ["Density 3 % is below the clinic limit of 5 %"]


def test_several_settings_outside_clinic_limits_give_one_flag_each(procedure: Procedure) -> None:
    item = procedure.item("fractional_pass")
    values = validate_values(item, fractional(energy_mj=100, passes=5), TODAY)
    flags = flags_for(item, values)
    assert len(flags) == 2
    assert "clinic limit of 70.0 mJ" in flags[0]
    assert flags[1] == "Passes 5 is above the clinic limit of 3"


@pytest.mark.parametrize("energy", [5, 5.0, 40, 70, 70.0])
def test_settings_on_or_inside_clinic_limits_raise_no_flag(procedure: Procedure, energy: float) -> None:
    item = procedure.item("fractional_pass")
    assert flags_for(item, validate_values(item, fractional(energy_mj=energy), TODAY)) == []


def test_fluence_above_clinic_limit_is_flagged_with_its_unit(procedure: Procedure) -> None:
    item = procedure.item("full_beam_pass")
    values = validate_values(
        item,
        {"device": TEST_LASER_VALUE, "beam_mm": 7, "fluence_j_cm2": 25, "passes": 1, "areas": ["Cheeks"]},
        TODAY,
    )
    assert flags_for(item, values) == ["Fluence 25.0 J/cm² is above the clinic limit of 20.0 J/cm²"]


@pytest.mark.parametrize(
    ("item_id", "values", "flag"),
    [
        ("skin_type", {"fitzpatrick": "V"}, "Skin type V or VI: higher risk of pigment change"),
        ("skin_type", {"fitzpatrick": "VI"}, "Skin type V or VI: higher risk of pigment change"),
        (
            "contraindications",
            {**SIGN_IN["contraindications"], "pregnant": "Yes"},
            "Pregnant or breastfeeding",
        ),
        (
            "medication_history",
            {
                "isotretinoin": "In the last 6 months",
                "isotretinoin_last_dose": "2026-10-01",
                "cold_sores": "No history of cold sores",
            },
            "Isotretinoin now or in the last 6 months",
        ),
    ],
)
def test_flagged_screening_answers_raise_their_message(
    procedure: Procedure, item_id: str, values: dict[str, Any], flag: str
) -> None:
    item = procedure.item(item_id)
    assert flags_for(item, validate_values(item, values, TODAY)) == [flag]


def test_safe_screening_answers_raise_no_flag(procedure: Procedure) -> None:
    item = procedure.item("skin_type")
    for answer in ("I", "II", "III", "IV"):
        assert flags_for(item, validate_values(item, {"fitzpatrick": answer}, TODAY)) == []


# --- choices ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["VII", "ii", " II", "Type II", 2, ["II"]])
def test_choice_not_among_the_options_is_refused(raw: Any) -> None:
    with pytest.raises(ValidationError, match="Skin type: choose one of I, II, III, IV, V, VI"):
        validate_field(FITZPATRICK, raw, TODAY)


def test_multi_keeps_the_definition_order_and_drops_repeats() -> None:
    chosen = ["Temples", "Cheeks", "Forehead", "Cheeks", "Temples"]
    assert validate_field(AREAS, chosen, TODAY) == ["Forehead", "Cheeks", "Temples"]


def test_multi_with_one_choice_given_as_text_is_a_list() -> None:
    assert validate_field(AREAS, "Nose", TODAY) == ["Nose"]


def test_multi_with_an_unknown_choice_is_refused() -> None:
    with pytest.raises(ValidationError, match="'Ears' is not one of the choices"):
        validate_field(AREAS, ["Cheeks", "Ears"], TODAY)


def test_multi_with_nothing_chosen_is_refused() -> None:
    with pytest.raises(ValidationError, match="Areas: please fill this in"):
        validate_field(AREAS, [], TODAY)


# --- dates -----------------------------------------------------------------------------------------


def test_date_in_the_future_is_refused() -> None:
    with pytest.raises(ValidationError, match="cannot be in the future"):
        validate_field(LAST_DOSE, "2026-11-26", TODAY)


def test_date_today_and_in_the_past_is_accepted() -> None:
    assert validate_field(LAST_DOSE, "2026-11-25", TODAY) == "2026-11-25"
    assert validate_field(LAST_DOSE, date(2026, 5, 1), TODAY) == "2026-05-01"


def test_uk_day_first_date_is_read_as_day_month_year() -> None:
    assert validate_field(LAST_DOSE, "03/11/2026", TODAY) == "2026-11-03"


def test_date_in_the_future_is_accepted_where_the_field_allows_it() -> None:
    assert validate_field(NEXT_DATE, "2027-01-06", TODAY) == "2027-01-06"


@pytest.mark.parametrize(
    "raw", ["2026-02-30", "30/02/2026", "2026-13-01", "31/11/2026", "2026-11", "yesterday", "25-11-26x"]
)
def test_impossible_date_is_refused(raw: str) -> None:
    with pytest.raises(ValidationError, match="is not a real date"):
        validate_field(LAST_DOSE, raw, TODAY)


def test_date_before_1900_is_refused() -> None:
    with pytest.raises(ValidationError, match="too long ago"):
        validate_field(LAST_DOSE, "1899-12-31", TODAY)


# --- text ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["LMX4\x07 lidocaine", "LMX4\nlidocaine", "LMX4\tlidocaine", "LMX4\x00"])
def test_text_with_control_characters_is_refused(raw: str) -> None:
    with pytest.raises(ValidationError, match="control character"):
        validate_field(PRODUCT, raw, TODAY)


def test_over_long_text_is_refused() -> None:
    assert validate_field(PRODUCT, "x" * 80, TODAY) == "x" * 80
    with pytest.raises(ValidationError, match="too long: 81 characters, at most 80"):
        validate_field(PRODUCT, "x" * 81, TODAY)


def test_text_is_kept_exactly_but_trimmed() -> None:
    assert validate_field(PRODUCT, "  LMX4 lidocaine 4% — «Zoë»  ", TODAY) == "LMX4 lidocaine 4% — «Zoë»"


@given(
    text=st.text(alphabet=st.characters(exclude_categories=("Cc", "Cs")), max_size=90).filter(
        lambda text: 0 < len(text.strip()) <= 80
    )
)
@settings(max_examples=80, deadline=None)
def test_any_plain_text_within_the_limit_is_stored_exactly_trimmed(text: str) -> None:
    assert validate_field(PRODUCT, text, TODAY) == text.strip()


# --- whole items -----------------------------------------------------------------------------------


def test_required_field_missing_is_refused(procedure: Procedure) -> None:
    with pytest.raises(ValidationError, match="Product: please fill this in"):
        validate_values(procedure.item("gel_product"), {}, TODAY)
    with pytest.raises(ValidationError, match="Energy per pulse: please fill this in"):
        validate_values(procedure.item("fractional_pass"), fractional(energy_mj=""), TODAY)


def test_optional_field_may_be_left_out(procedure: Procedure) -> None:
    item = procedure.item("medication_history")
    values = validate_values(item, {"isotretinoin": "Never", "cold_sores": "No history of cold sores"}, TODAY)
    assert values == {"isotretinoin": "Never", "cold_sores": "No history of cold sores"}


def test_value_for_a_field_the_item_does_not_have_is_refused(procedure: Procedure) -> None:
    with pytest.raises(ValidationError, match="'energy' is not a field of this item"):
        validate_values(procedure.item("fractional_pass"), {**GOOD_FRACTIONAL, "energy": 40}, TODAY)


def test_values_are_described_in_definition_order_with_units(procedure: Procedure) -> None:
    item = procedure.item("fractional_pass")
    values = validate_values(item, fractional(areas=["Cheeks", "Forehead"]), TODAY)
    assert describe_values(item, values) == [
        ("Laser device", "Fotona SP Dynamis (serial SP-TEST-1)"),
        ("Energy per pulse", "40.0 mJ"),
        ("Density", "20 %"),
        ("Passes", "2"),
        ("Areas treated", "Forehead, Cheeks"),
    ]


DEVICE = field_of(PROCEDURE, "fractional_pass", "device")


@pytest.mark.parametrize(
    "raw",
    [
        7,  # an id the store has not turned into a device's snapshot
        "Fraxel re:pair",  # free text, as before version 1.3
        {"id": 1, "name": "Fotona"},  # no serial number
        {**TEST_LASER_VALUE, "id": True},
        {**TEST_LASER_VALUE, "id": 0},
        {**TEST_LASER_VALUE, "colour": "red"},
    ],
)
def test_a_device_value_is_only_the_stores_snapshot_of_a_registered_laser(raw: Any) -> None:
    with pytest.raises(ValidationError, match="Laser device: choose a registered laser device"):
        validate_field(DEVICE, raw, TODAY)


def test_a_pass_with_the_service_overdue_is_flagged_with_the_device_and_the_date(
    procedure: Procedure,
) -> None:
    item = procedure.item("fractional_pass")
    overdue = validate_values(
        item, fractional(device={**TEST_LASER_VALUE, "service_due": "2026-11-30"}), TODAY
    )
    assert flags_for(item, overdue) == [
        "Service overdue: the Fotona SP Dynamis (serial SP-TEST-1) was due a service on 30/11/2026"
    ]
    assert flags_for(item, validate_values(item, fractional(), TODAY)) == []


def test_the_eyewear_item_describes_the_device_with_the_marking_confirmed(procedure: Procedure) -> None:
    item = procedure.item("staff_eyewear")
    values = validate_values(
        item, {"device": {**TEST_LASER_VALUE, "eyewear_marking": 'EN 207 "D 2940 LB5"'}}, TODAY
    )
    assert describe_values(item, values) == [
        ("Laser device", 'Fotona SP Dynamis (serial SP-TEST-1); eyewear EN 207 "D 2940 LB5"')
    ]


def test_a_device_typed_before_version_1_3_reads_as_typed_beside_todays(procedure: Procedure) -> None:
    """A last session's pass under 1.2 named its laser as text; today's card shows it as it was."""
    assert describe_value(DEVICE, "Fraxel re:pair") == "Fraxel re:pair"
    assert flags_for(procedure.item("fractional_pass"), fractional(device="Fraxel re:pair")) == []
