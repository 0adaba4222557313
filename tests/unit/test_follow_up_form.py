"""Issue 16 point 7: adverse events by kind, and the call after sign-out ([follow_up]) as data.

Broken variants edit the shipped text, as the other procedure tests do; each refusal names the
file, the table and the field.
"""

from __future__ import annotations

from datetime import date

import pytest

from desk_app.domain.errors import ValidationError
from desk_app.domain.procedure import FieldType, ItemKind, Procedure, Stop, parse_procedure
from desk_app.domain.values import describe_values, validate_values
from tests.unit.test_domain_procedure import SHIPPED, edited, refusal

TODAY = date(2026, 11, 25)
YES = "Yes (describe below)"
FOLLOW_UP_TABLE = "\n[follow_up]\n"


def without_follow_up() -> str:
    """The shipped text without its [follow_up] table, as versions up to 1.4 were written."""
    assert SHIPPED.count(FOLLOW_UP_TABLE) == 1
    return SHIPPED[: SHIPPED.index(FOLLOW_UP_TABLE)]


def test_the_shipped_adverse_event_item_records_kind_severity_action_and_follow_up(
    procedure: Procedure,
) -> None:
    item = procedure.adverse_events_item
    assert item is not None
    fields = {field.id: field for field in item.fields}
    assert {"adverse", "kinds", "severity", "action", "follow_up", "description"} <= set(fields)
    assert fields["kinds"].type is FieldType.MULTI
    assert "Eye exposure" in fields["kinds"].options and "Anaesthetic reaction" in fields["kinds"].options
    for field_id in ("kinds", "severity", "action", "follow_up"):
        assert fields[field_id].required_if == ("adverse", YES)


def test_an_adverse_event_needs_its_kind_and_none_needs_nothing(procedure: Procedure) -> None:
    item = procedure.adverse_events_item
    assert item is not None
    assert validate_values(item, {"adverse": "None"}, TODAY) == {"adverse": "None"}
    with pytest.raises(ValidationError, match="Kind of event: please fill this in"):
        validate_values(item, {"adverse": YES, "description": "Two small blisters"}, TODAY)
    values = validate_values(
        item,
        {
            "adverse": YES,
            "kinds": ["Blistering", "Burn"],
            "severity": "Mild",
            "action": "Cooled, Stratamed",
            "follow_up": "Follow-up needed",
            "description": "Two small blisters on the left cheek",
        },
        TODAY,
    )
    assert dict(describe_values(item, values))["Kind of event"] == "Blistering, Burn"


def test_the_shipped_follow_up_calls_on_days_two_and_three(procedure: Procedure) -> None:
    form = procedure.follow_up
    assert form is not None
    assert (form.call_from_day, form.call_to_day) == (2, 3)
    item = form.as_item()
    assert (item.kind, item.stop) == (ItemKind.RECORD, Stop.NONE)
    assert [field.id for field in item.fields][:2] == ["contact", "complication"]
    with pytest.raises(ValidationError, match="please fill this in"):
        validate_values(item, {"contact": "Spoke to the patient", "complication": "Yes"}, TODAY)
    assert validate_values(item, {"contact": "Spoke to the patient", "complication": "No"}, TODAY) == {
        "contact": "Spoke to the patient",
        "complication": "No",
    }


def test_a_new_file_without_the_follow_up_is_refused_naming_it() -> None:
    assert "[follow_up]: is missing" in refusal(without_follow_up())


def test_a_stored_version_before_the_follow_up_still_reads() -> None:
    """Sessions run under 1.4 and before must still open: their stored text had no [follow_up]."""
    old_text = without_follow_up().replace('version = "1.5"', 'version = "1.4"', 1)
    old = parse_procedure(old_text, "stored laser-acne-scarring version 1.4", authoring=False)
    assert old.follow_up is None


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("call_from_day = 2", "call_from_day = -1", "field 'call_from_day' must be 0 to 30"),
        ("call_to_day = 3", "call_to_day = 31", "field 'call_to_day' must be 0 to 30"),
        ("call_from_day = 2", "call_from_day = 4", "field 'call_from_day' is after 'call_to_day'"),
        ("call_to_day = 3", "call_to_day = 3.5", "field 'call_to_day' has the wrong type"),
        ('title = "Follow-up call"\n', "", "field 'title' is missing"),
        ("call_to_day = 3\n", "call_to_day = 3\ncall_on = 4\n", "field 'call_on' is not known"),
        (
            '  { id = "note", label = "Note"',
            '  { id = "contact", label = "Note"',
            "field 'fields' repeats a field id",
        ),
        (
            'required_if = { field = "complication", equals = "Yes" } },\n  { id = "note"',
            'required_if = { field = "complication", equals = "Maybe" } },\n  { id = "note"',
            "field 'required_if' names 'complication' = 'Maybe'",
        ),
        (
            'label = "Complication", type = "choice", options = ["No", "Yes"] }',
            'label = "Complication", type = "choice", options = ["No", "Yes"], flag = ["Yes"], '
            'flag_message = "Complication" }',
            "can flag a risk",
        ),
    ],
)
def test_a_malformed_follow_up_is_refused_naming_where(old: str, new: str, problem: str) -> None:
    message = refusal(edited(old, new))
    assert "[follow_up]" in message and problem in message, message


def test_a_follow_up_without_fields_is_refused() -> None:
    text = SHIPPED[: SHIPPED.index('fields = [\n  { id = "contact"')] + "fields = []\n"
    assert "[follow_up]: field 'fields' must list at least one field" in refusal(text)
