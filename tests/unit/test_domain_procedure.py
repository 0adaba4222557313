"""The procedure file: the shipped checklist loads as designed, and a malformed file is refused whole.

Broken variants are made by editing the shipped text, so each one is a realistic slip in a real file.
Every refusal must say where the problem is: the file, the item and the field.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from desk_app.domain.errors import ProcedureError
from desk_app.domain.procedure import (
    FieldType,
    ItemKind,
    Procedure,
    Stop,
    load_procedure,
    parse_procedure,
)
from desk_app.paths import PROCEDURE_FILE, resource_path

FILE_NAME = "laser-acne-scarring.toml"
SHIPPED = resource_path(PROCEDURE_FILE).read_text(encoding="utf-8")


def edited(old: str, new: str) -> str:
    """The shipped text with one realistic edit; fails loudly if the shipped text has moved on."""
    assert SHIPPED.count(old) >= 1, f"the shipped file no longer contains {old!r}"
    return SHIPPED.replace(old, new, 1)


def refusal(text: str) -> str:
    with pytest.raises(ProcedureError) as caught:
        parse_procedure(text, FILE_NAME)
    message = str(caught.value)
    assert FILE_NAME in message, message
    return message


# --- the shipped file ------------------------------------------------------------------------------


def test_shipped_file_has_the_six_pause_points_in_order(procedure: Procedure) -> None:
    assert [point.id for point in procedure.pause_points] == [
        "sign_in",
        "anaesthetic",
        "wait",
        "time_out",
        "laser",
        "sign_out",
    ]
    for point in procedure.pause_points:
        assert 1 <= len(point.items) <= 9, point.id
        assert point.title.strip() and point.instructions.strip()


def test_shipped_file_has_a_version_and_the_one_hour_countdown(procedure: Procedure) -> None:
    assert procedure.id == "laser-acne-scarring"
    assert procedure.version == "1.5"
    assert procedure.effective == "2026-12-03"
    assert procedure.ready_minutes == 60
    assert procedure.remove_minutes == 90
    # The exact text is kept, so every session can store the version it ran.
    assert procedure.source == SHIPPED


def test_full_beam_pass_is_fixed_at_a_7_mm_beam(procedure: Procedure) -> None:
    item = procedure.item("full_beam_pass")
    assert item.kind is ItemKind.LASER_PASS
    beam = next(field for field in item.fields if field.id == "beam_mm")
    assert beam.type is FieldType.NUMBER
    assert (beam.min, beam.max, beam.default, beam.unit) == (7, 7, 7, "mm")


def test_shipped_stops_are_where_the_design_puts_them(procedure: Procedure) -> None:
    for item_id in ("identity", "consent", "patient_eye_protection", "staff_eyewear"):
        assert procedure.item(item_id).stop is Stop.HARD, item_id
    for item_id in ("skin_type", "medication_history", "contraindications", "fractional_pass"):
        assert procedure.item(item_id).stop is Stop.SOFT, item_id
    starters = [item.id for item in procedure.all_items() if item.starts_countdown]
    enders = [item.id for item in procedure.all_items() if item.ends_countdown]
    assert starters == ["gel_applied"]
    assert enders == ["gel_removed"]
    assert [item.id for item in procedure.pause_point_of("gel_wait").items] == ["gel_wait"]
    assert procedure.all_items()[-1].kind is ItemKind.SIGN_OUT


def test_laser_energy_has_a_defined_range_and_narrower_clinic_limits(procedure: Procedure) -> None:
    energy = next(f for f in procedure.item("fractional_pass").fields if f.id == "energy_mj")
    assert (energy.min, energy.clinic_min, energy.clinic_max, energy.max) == (1, 5, 70, 300)
    assert energy.unit == "mJ"
    assert energy.decimals == 1


def test_asking_for_an_item_that_does_not_exist_is_a_key_error(procedure: Procedure) -> None:
    with pytest.raises(KeyError):
        procedure.item("no_such_item")
    with pytest.raises(KeyError):
        procedure.pause_point_of("no_such_item")


def test_load_procedure_reads_a_copy_on_disk(tmp_path: Path) -> None:
    copy = tmp_path / FILE_NAME
    copy.write_text(SHIPPED, encoding="utf-8")
    assert load_procedure(copy).version == "1.5"


# --- malformed files -------------------------------------------------------------------------------


def test_broken_toml_is_refused_with_the_line() -> None:
    message = refusal(edited("ready_minutes = 60", "ready_minutes = "))
    assert "not valid TOML" in message
    line = SHIPPED[: SHIPPED.index("ready_minutes = 60")].count("\n") + 1
    assert f"line {line}" in message


def test_missing_file_is_a_procedure_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ProcedureError, match="no-such-procedure.toml"):
        load_procedure(tmp_path / "no-such-procedure.toml")


def test_file_that_is_not_utf8_is_a_procedure_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(SHIPPED.replace("Fitzpatrick skin type", "Fitzpatrick skin type \xe9").encode("latin-1"))
    with pytest.raises(ProcedureError, match="latin1.toml"):
        load_procedure(path)


# Each case: (what went wrong, old text, new text, fragments the message must contain).
# The fragments name the item (or table) and the field, so the editor can go straight to the line.
MALFORMED = [
    (
        "unknown kind",
        'kind = "countdown"',
        'kind = "count_down"',
        ["item 'gel_wait'", "'kind'", "count_down"],
    ),
    (
        "unknown stop",
        'stop = "hard"\nlabel = "Consent form signed"',
        'stop = "hrad"\nlabel = "Consent form signed"',
        ["item 'consent'", "'stop'", "hrad"],
    ),
    (
        "number field with min above max",
        "min = 1, max = 300, clinic_min = 5",
        "min = 301, max = 300, clinic_min = 5",
        ["item 'fractional_pass'", "field 'energy_mj'", "'min' is greater than 'max'"],
    ),
    (
        "clinic_max above max",
        "clinic_max = 70,",
        "clinic_max = 700,",
        ["item 'fractional_pass'", "field 'energy_mj'", "'clinic_max'"],
    ),
    (
        "clinic_min below min",
        "min = 0.5, max = 50, clinic_min = 1,",
        "min = 0.5, max = 50, clinic_min = 0.1,",
        ["item 'full_beam_pass'", "field 'fluence_j_cm2'", "'clinic_min'"],
    ),
    (
        "clinic_min above clinic_max",
        "clinic_min = 5, clinic_max = 70",
        "clinic_min = 75, clinic_max = 70",
        ["item 'fractional_pass'", "field 'energy_mj'", "'clinic_min' is greater than 'clinic_max'"],
    ),
    (
        "number field without a max",
        "min = 1, max = 300, clinic_min = 5",
        "min = 1, clinic_min = 5",
        ["item 'fractional_pass'", "field 'energy_mj'", "'max'"],
    ),
    (
        "infinite limit",
        "min = 1, max = 300, clinic_min = 5",
        "min = 1, max = inf, clinic_min = 5",
        ["item 'fractional_pass'", "field 'energy_mj'", "'max'", "finite"],
    ),
    (
        "limit given as text",
        "min = 1, max = 300, clinic_min = 5",
        'min = 1, max = "300", clinic_min = 5',
        ["item 'fractional_pass'", "'max'", "wrong type"],
    ),
    (
        "limit given as true",
        "min = 1, max = 300, clinic_min = 5",
        "min = 1, max = true, clinic_min = 5",
        ["item 'fractional_pass'", "'max'", "wrong type"],
    ),
    (
        "flag value not among the options",
        'flag = ["V", "VI"]',
        'flag = ["V", "Vi"]',
        ["item 'skin_type'", "field 'fitzpatrick'", "'flag'", "'Vi'"],
    ),
    (
        "flag without a message",
        ', flag_message = "Skin type V or VI: higher risk of pigment change"',
        "",
        ["item 'skin_type'", "field 'fitzpatrick'", "'flag_message'"],
    ),
    (
        "choice without options",
        'options = ["Taken", "Refused by patient"]',
        "options = []",
        ["item 'photos'", "field 'photos'", "'options'"],
    ),
    (
        "choice repeating an option",
        'options = ["Accepted", "Declined"]',
        'options = ["Accepted", "Accepted"]',
        ["item 'cool_air'", "field 'cool_air'", "'options'"],
    ),
    (
        "unknown field type",
        'type = "date", required = false, required_if',
        'type = "datum", required = false, required_if',
        ["item 'medication_history'", "field 'isotretinoin_last_dose'", "'type'", "datum"],
    ),
    (
        "two fields with one id",
        '{ id = "infection", label',
        '{ id = "pregnant", label',
        ["item 'contraindications'", "'fields'", "repeats"],
    ),
    (
        "record item without fields",
        'fields = [\n  { id = "tube", label = "Tube for home", type = "choice", '
        'options = ["Sold", "Recommended, declined"] },\n]\n',
        "",
        ["item 'stratamed'", "'fields' is missing"],
    ),
    (
        "duplicate item id",
        'id = "aftercare"',
        'id = "stratamed"',
        ["item 'stratamed'", "id is used twice"],
    ),
    (
        "no sign_out item",
        'kind = "sign_out"',
        'kind = "confirm"',
        ["sign_out"],
    ),
    (
        "no countdown item",
        'kind = "countdown"',
        'kind = "confirm"',
        ["countdown"],
    ),
    (
        "no item starts the countdown",
        "starts_countdown = true\n",
        "",
        ["starts_countdown"],
    ),
    (
        "remove_minutes equal to ready_minutes",
        "remove_minutes = 90",
        "remove_minutes = 60",
        ["[countdown]", "'remove_minutes'", "'ready_minutes'"],
    ),
    (
        "remove_minutes before ready_minutes",
        "remove_minutes = 90",
        "remove_minutes = 45",
        ["[countdown]", "'remove_minutes'"],
    ),
    (
        "ready_minutes given as text",
        "ready_minutes = 60",
        'ready_minutes = "60"',
        ["[countdown]", "'ready_minutes'", "wrong type"],
    ),
    (
        "no version",
        'version = "1.5"\n',
        "",
        ["[procedure]", "'version'", "missing"],
    ),
    (
        "unknown top-level table",
        "[countdown]\n",
        '[extras]\nnote = "x"\n\n[countdown]\n',
        ["'extras'", "not known"],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "fragments"),
    [pytest.param(old, new, fragments, id=name) for name, old, new, fragments in MALFORMED],
)
def test_malformed_file_is_refused_naming_where(old: str, new: str, fragments: list[str]) -> None:
    message = refusal(edited(old, new))
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_sign_out_that_is_not_the_last_item_is_refused() -> None:
    extra = (
        "\n[[pause_points.items]]\n"
        'id = "after_sign_out"\nkind = "confirm"\nstop = "none"\n'
        'label = "Something after signing"\nhelp = "Should never be allowed."\n'
    )
    message = refusal(SHIPPED + extra)
    assert "sign_out" in message and "last" in message


def test_countdown_before_the_item_that_starts_it_is_refused() -> None:
    # Move the starter from gel_applied to a Time-out item, after the countdown.
    text = edited("starts_countdown = true\n", "").replace(
        'id = "identity_read_back"\n', 'id = "identity_read_back"\nstarts_countdown = true\n', 1
    )
    message = refusal(text)
    assert "item 'identity_read_back'" in message
    assert "after the countdown" in message


def test_unknown_key_on_a_field_is_refused_naming_the_item_and_the_key() -> None:
    message = refusal(edited("clinic_max = 70,", "clinic_mx = 70,"))
    assert "item 'fractional_pass'" in message
    assert "'clinic_mx'" in message
    assert "not known" in message


def test_unknown_key_on_a_field_names_the_field() -> None:
    message = refusal(edited("clinic_max = 70,", "clinic_mx = 70,"))
    assert "energy_mj" in message


def test_unknown_key_on_an_item_is_refused_naming_the_key() -> None:
    message = refusal(edited('id = "consent"\n', 'id = "consent"\nstops = "hard"\n'))
    assert "pause point 'sign_in'" in message
    assert "'stops'" in message
    assert "not known" in message


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param('id = "consent"\n', 'id = "consent"\nstops = "hard"\n', id="unknown key"),
        pytest.param(
            'stop = "hard"\nlabel = "Consent form signed"',
            'stop = 1\nlabel = "Consent form signed"',
            id="wrong type",
        ),
    ],
)
def test_problem_in_an_item_s_own_keys_names_the_item(old: str, new: str) -> None:
    message = refusal(edited(old, new))
    assert "consent" in message


def test_a_flag_on_an_item_without_a_stop_is_refused() -> None:
    """A flagged answer on an item without a stop could never be lifted: the sign-out would be stuck."""
    text = edited(
        'id = "contraindications"\nkind = "record"\nstop = "soft"',
        'id = "contraindications"\nkind = "record"\nstop = "none"',
    )
    message = refusal(text)
    assert "item 'contraindications'" in message
    assert "field 'pregnant' can flag a risk, so the item needs a soft or hard stop" in message


def test_a_flag_on_a_hard_stop_is_allowed_but_a_clinic_limit_there_is_not() -> None:
    """The toxicity check's 'yes' holds the laser until answered again; a number outside the
    clinic's limits is a clinician's decision, so it needs an item that can be overridden."""
    assert parse_procedure(SHIPPED, FILE_NAME).item("anaesthetic_toxicity").stop is Stop.HARD
    text = edited(
        'id = "fractional_pass"\nkind = "laser_pass"\nstop = "soft"',
        'id = "fractional_pass"\nkind = "laser_pass"\nstop = "hard"',
    )
    assert "field 'energy_mj' can flag a risk, so the item's stop must be soft" in refusal(text)


def test_a_clinic_limit_on_an_item_without_a_stop_is_refused() -> None:
    text = edited(
        'id = "fractional_pass"\nkind = "laser_pass"\nstop = "soft"',
        'id = "fractional_pass"\nkind = "laser_pass"\nstop = "none"',
    )
    assert "field 'energy_mj' can flag a risk" in refusal(text)


def test_a_flag_on_a_multi_choice_field_is_refused() -> None:
    text = edited(
        '"Temples"] },\n]\n',
        '"Temples"], flag = ["Nose"], flag_message = "Nose" },\n]\n',
    )
    assert "field 'areas': field 'flag' is only for choice fields" in refusal(text)


def test_a_default_outside_the_field_s_range_is_refused() -> None:
    text = edited(
        "min = 7, max = 7, decimals = 0, default = 7", "min = 7, max = 7, decimals = 0, default = 9"
    )
    message = refusal(text)
    assert "field 'beam_mm'" in message
    assert "field 'default' is not a valid value (Beam width must be 7 mm.)" in message


# --- the patient's aftercare sheet ([aftercare]) ---------------------------------------------------

AFTERCARE_TABLE = "\n[aftercare]\n"


def without_aftercare() -> str:
    """The shipped text up to its [aftercare] table, as versions 1.0 and 1.1 were written."""
    assert SHIPPED.count(AFTERCARE_TABLE) == 1
    return SHIPPED[: SHIPPED.index(AFTERCARE_TABLE)]


def test_shipped_sheet_dates_each_milestone_at_the_later_end_of_its_range(procedure: Procedure) -> None:
    assert procedure.aftercare is not None
    assert procedure.aftercare.title == "After your laser treatment"
    assert {m.id: m.days for m in procedure.aftercare.milestones} == {
        "red_until": 5,  # red for 4-5 days
        "back_to_work": 4,  # 3-4 days before work
        "mineral_make_up": 4,  # mineral make-up after 4 days
        "peeling_until": 10,  # peeling for 7-10 days
        "no_sun_until": 28,  # no sun for 4 weeks
    }
    assert all(m.label.strip() for m in procedure.aftercare.milestones)
    assert len(procedure.aftercare.advice) >= 4


def test_shipped_sheet_says_when_to_call_and_how_to_look_after_the_skin(procedure: Procedure) -> None:
    """Issue 16: the signs a patient must call about, sunscreen and do-not-pick are in the data."""
    assert procedure.aftercare is not None
    signs = " ".join(procedure.aftercare.call_us_if).lower()
    for sign in ("fever", "redness that spreads", "pus", "blisters", "severe pain", "cold sores", "eyes"):
        assert sign in signs, sign
    care = " ".join(procedure.aftercare.skin_care).lower()
    assert "sunscreen" in care and "do not pick" in care


def test_shipped_file_marks_the_adverse_event_item_for_the_printed_record(procedure: Procedure) -> None:
    marked = [item.id for item in procedure.all_items() if item.records_adverse_events]
    assert marked == ["adverse_events"]


def test_a_new_file_without_the_aftercare_sheet_is_refused_naming_it() -> None:
    message = refusal(without_aftercare())
    assert "[aftercare]" in message
    assert "missing" in message


AFTERCARE_MALFORMED = [
    (
        "days below zero",
        "days = 5\n",
        "days = -1\n",
        ["[aftercare]", "date 'red_until'", "'days' must be 0 to"],
    ),
    ("days past a year", "days = 5\n", "days = 400\n", ["date 'red_until'", "'days' must be 0 to 366"]),
    ("days as text", "days = 5\n", 'days = "5"\n', ["date 'red_until'", "'days'", "wrong type"]),
    (
        "no label",
        'label = "Red, like sunburn, until about"\n',
        "",
        ["[aftercare]", "date 'red_until'", "'label' is missing"],
    ),
    ("no days", "days = 5\n", "", ["date 'red_until'", "'days' is missing"]),
    (
        "date id used twice",
        'id = "back_to_work"',
        'id = "red_until"',
        ["[aftercare]", "a date id is used twice"],
    ),
    (
        "blank advice paragraph",
        "advice = [\n",
        'advice = [\n  "  ",\n',
        ["[aftercare]", "'advice' must list at least one line of text"],
    ),
    (
        "blank sign to call about",
        "call_us_if = [\n",
        'call_us_if = [\n  "",\n',
        ["[aftercare]", "'call_us_if' must list at least one line of text"],
    ),
    ("unknown key", 'title = "After your laser treatment"', 'titel = "After"', ["[aftercare]", "'titel'"]),
]


@pytest.mark.parametrize(
    ("old", "new", "fragments"),
    [pytest.param(old, new, fragments, id=name) for name, old, new, fragments in AFTERCARE_MALFORMED],
)
def test_a_malformed_aftercare_sheet_is_refused_naming_where(
    old: str, new: str, fragments: list[str]
) -> None:
    message = refusal(edited(old, new))
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_an_aftercare_sheet_without_dates_is_refused() -> None:
    text = SHIPPED[: SHIPPED.index("\n[[aftercare.dates]]")] + "dates = []\n"
    assert "field 'dates' must list at least one date" in refusal(text)


def shipped_with_list(key: str, new: str) -> str:
    """The shipped text with the [aftercare] list `key` replaced by `new` (empty: left out)."""
    text, found = re.subn(rf"\n{key} = \[\n.*?\n\]\n", f"\n{new}", SHIPPED, count=1, flags=re.DOTALL)
    assert found == 1, f"the shipped file no longer has the list {key}"
    return text


@pytest.mark.parametrize("key", ["call_us_if", "skin_care"])
@pytest.mark.parametrize(
    ("new", "problem"),
    [
        pytest.param("", "is missing", id="missing"),
        pytest.param("{key} = []\n", "must list at least one line of text", id="empty"),
        pytest.param('{key} = "Call us"\n', "has the wrong type", id="text-not-a-list"),
        pytest.param("{key} = [3]\n", "must list at least one line of text", id="not-text"),
    ],
)
def test_a_new_sheet_without_its_signs_or_skin_care_is_refused(key: str, new: str, problem: str) -> None:
    message = refusal(shipped_with_list(key, new.format(key=key)))
    assert f"[aftercare]: field '{key}' {problem}" in message


def test_a_stored_sheet_from_before_the_signs_still_reads() -> None:
    """Sessions run under 1.2 or 1.3 must still open: their stored sheet had no signs or skin care."""
    old_text = shipped_with_list("call_us_if", "").replace('version = "1.5"', 'version = "1.3"', 1)
    old_text = re.sub(r"\nskin_care = \[\n.*?\n\]\n", "\n", old_text, count=1, flags=re.DOTALL)
    with pytest.raises(ProcedureError, match="'call_us_if' is missing"):
        parse_procedure(old_text, FILE_NAME)
    old = parse_procedure(old_text, "stored laser-acne-scarring version 1.3", authoring=False)
    assert old.aftercare is not None
    assert (old.aftercare.call_us_if, old.aftercare.skin_care) == ((), ())
    assert old.aftercare.advice and old.aftercare.milestones


def test_a_stored_old_version_without_the_sheet_still_reads() -> None:
    """Sessions run under 1.0 or 1.1 must still open: their stored text never had [aftercare]."""
    old_text = without_aftercare().replace('version = "1.5"', 'version = "1.1"', 1)
    old = parse_procedure(old_text, "stored laser-acne-scarring version 1.1", authoring=False)
    assert old.version == "1.1"
    assert old.aftercare is None
    assert old.item("adverse_events").label == "Adverse events"


def test_a_stored_version_with_a_broken_sheet_is_still_refused() -> None:
    """Leniency for old files is for a sheet that is absent, not one that is wrong."""
    with pytest.raises(ProcedureError, match="'days' must be 0 to"):
        parse_procedure(edited("days = 5\n", "days = -1\n"), FILE_NAME, authoring=False)


DEVICE_FIELD = '{ id = "device", label = "Laser device", type = "device" },'
EYEWEAR_DEVICE = f'{DEVICE_FIELD}\n]\n\n[[pause_points.items]]\nid = "cool_air"'


def test_the_shipped_file_confirms_the_eyewear_for_the_laser_each_pass_names(procedure: Procedure) -> None:
    assert procedure.eyewear_item is not None and procedure.eyewear_item.id == "staff_eyewear"
    for item_id in ("staff_eyewear", "fractional_pass", "full_beam_pass"):
        assert [field.type for field in procedure.item(item_id).device_fields()] == [FieldType.DEVICE]


def test_an_eyewear_item_without_a_device_field_is_refused() -> None:
    text = edited(
        EYEWEAR_DEVICE,
        '{ id = "seen", label = "Seen", type = "text" },\n]\n\n[[pause_points.items]]\nid = "cool_air"',
    )
    assert "item 'staff_eyewear': an item with confirms_eyewear needs a field of type device" in refusal(text)


def test_a_second_device_field_on_an_item_is_refused() -> None:
    text = edited(
        EYEWEAR_DEVICE,
        EYEWEAR_DEVICE.replace(
            DEVICE_FIELD, f'{DEVICE_FIELD}\n  {{ id = "spare", label = "Spare", type = "device" }},'
        ),
    )
    assert "an item names at most one laser device" in refusal(text)


def test_a_pass_naming_a_device_must_be_a_soft_stop_for_an_overdue_service() -> None:
    """The service flag needs a clinician's override: only a soft stop can have one."""
    text = edited(
        'id = "full_beam_pass"\nkind = "laser_pass"\nstop = "soft"',
        'id = "full_beam_pass"\nkind = "laser_pass"\nstop = "hard"',
    )
    assert "item 'full_beam_pass': field 'fluence_j_cm2' can flag a risk" in refusal(text)


def test_a_laser_pass_before_the_eyewear_is_confirmed_is_refused() -> None:
    text = edited("confirms_eyewear = true\n", "").replace(
        'id = "stratamed"\nkind = "record"',
        'id = "stratamed"\nkind = "record"\nconfirms_eyewear = true',
        1,
    )
    text = text.replace(
        '{ id = "tube", label',
        '{ id = "device", label = "Laser device", type = "device" },\n  { id = "tube", label',
        1,
    )
    assert "item 'fractional_pass': a laser pass comes before the eyewear is confirmed" in refusal(text)


@pytest.mark.parametrize(
    "setting", ["required = false", 'required_if = { field = "areas", equals = "Cheeks" }', 'unit = "nm"']
)
def test_a_device_field_takes_no_setting_that_could_leave_a_pass_without_its_laser(setting: str) -> None:
    text = edited(
        '{ id = "device", label = "Laser device", type = "device" },\n  { id = "beam_mm"',
        f'{{ id = "device", label = "Laser device", type = "device", {setting} }},\n  {{ id = "beam_mm"',
    )
    key = setting.split(" ")[0]
    assert (
        f"item 'full_beam_pass', field 'device': field '{key}' is not allowed on a device field"
        in refusal(text)
    )


def test_a_laser_pass_that_does_not_name_its_laser_is_refused() -> None:
    text = edited(
        '{ id = "device", label = "Laser device", type = "device" },\n  { id = "beam_mm"', '{ id = "beam_mm"'
    )
    assert "item 'full_beam_pass': a laser pass must name its laser" in refusal(text)


# --- issue 16: laser areas within the areas painted with gel ---------------------------------------

PAINTED_MARKER = 'records_painted_areas = true\nunpainted_message = "Not painted with gel"\n'
GEL_AREAS_FIELD = '{ id = "areas", label = "Areas", type = "multi", options'
FULL_BEAM_AREAS = (
    '  { id = "areas", label = "Areas treated", type = "multi", options = ["Forehead", "Cheeks", "Nose", '
    '"Chin", "Upper lip", "Jaw line", "Temples"] },\n]\n\n[[pause_points.items]]\nid = "skin_response"'
)


def test_the_shipped_file_marks_the_areas_painted_and_words_the_flag(procedure: Procedure) -> None:
    painted = procedure.painted_areas_item
    assert painted is not None and painted.id == "gel_areas"
    assert painted.unpainted_message == "Not painted with gel"
    marked = [item.id for item in procedure.all_items() if item.records_painted_areas]
    assert marked == ["gel_areas"]
    for item_id in ("gel_areas", "fractional_pass", "full_beam_pass"):
        (areas,) = [field for field in procedure.item(item_id).fields if field.id == "areas"]
        assert areas.type is FieldType.MULTI


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        pytest.param(
            GEL_AREAS_FIELD,
            GEL_AREAS_FIELD.replace('id = "areas"', 'id = "painted"'),
            "item 'gel_areas': a records_painted_areas item needs a multi field 'areas'",
            id="no areas field",
        ),
        pytest.param(
            'unpainted_message = "Not painted with gel"\n',
            "",
            "item 'gel_areas': field 'unpainted_message' is missing",
            id="no wording",
        ),
        pytest.param(
            'id = "stratamed"\nkind = "record"\n',
            'id = "stratamed"\nkind = "record"\nunpainted_message = "Not painted"\n',
            "item 'stratamed': field 'unpainted_message' is only for the item with records_painted_areas",
            id="wording without the marker",
        ),
        pytest.param(
            FULL_BEAM_AREAS,
            FULL_BEAM_AREAS.replace('"Temples"]', '"Temples", "Neck"]'),
            "item 'full_beam_pass': area 'Neck' is not one of the areas of 'gel_areas'",
            id="an area that can never be painted",
        ),
        pytest.param(
            FULL_BEAM_AREAS,
            FULL_BEAM_AREAS.split("type =")[0]
            + 'type = "text" },\n]\n\n[[pause_points.items]]\nid = "skin_response"',
            "item 'full_beam_pass': a laser pass needs a multi field 'areas'",
            id="a pass whose areas are free text",
        ),
    ],
)
def test_a_malformed_painted_areas_rule_is_refused_naming_where(old: str, new: str, problem: str) -> None:
    assert problem in refusal(edited(old, new))


def test_a_second_painted_areas_item_is_refused() -> None:
    text = edited(
        'id = "gel_clear_of_eyes"\nkind = "confirm"\n',
        'id = "gel_clear_of_eyes"\nkind = "confirm"\n'
        + PAINTED_MARKER
        + 'fields = [\n  { id = "areas", label = "Areas", type = "multi", options = ["Forehead"] },\n]\n',
    )
    assert "item 'gel_clear_of_eyes': a second item with records_painted_areas" in refusal(text)


def test_a_stored_version_before_the_painted_areas_still_reads_without_the_rule() -> None:
    """Sessions run under 1.0 to 1.3 keep their passes as they were: no marker, no flag."""
    old_text = edited(PAINTED_MARKER, "").replace('version = "1.5"', 'version = "1.3"', 1)
    old = parse_procedure(old_text, "stored laser-acne-scarring version 1.3", authoring=False)
    assert old.painted_areas_item is None
    assert not old.item("gel_areas").records_painted_areas


def test_a_laser_pass_before_the_areas_painted_is_refused() -> None:
    every_area = '["Forehead", "Cheeks", "Nose", "Chin", "Upper lip", "Jaw line", "Temples"]'
    text = (
        edited(PAINTED_MARKER, "")
        .replace(
            'id = "stratamed"\nkind = "record"\n', f'id = "stratamed"\nkind = "record"\n{PAINTED_MARKER}', 1
        )
        .replace(
            '{ id = "tube", label',
            f'{{ id = "areas", label = "Areas", type = "multi", options = {every_area} }},\n'
            '  { id = "tube", label',
            1,
        )
    )
    assert "item 'fractional_pass': a laser pass comes before the areas painted ('stratamed')" in refusal(
        text
    )
