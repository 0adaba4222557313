"""The daily pre-use safety check of a laser: a short checklist in the procedure data, versioned like
the procedure, answered item by item by an authorised operator before the device's first use that day.

Each item is passed or failed. A failed item needs a note saying what is wrong, and a failed check
takes the device out of use for the rest of the day (see laser_use.DeviceUse).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from desk_app.domain.errors import ProcedureError, ValidationError
from desk_app.domain.text import check_plain_text

NOTE_MAX = 1000
_HEADER_KEYS = ("id", "title", "version", "effective")
_ITEM_KEYS = ("id", "label", "help")


@dataclass(frozen=True)
class CheckItem:
    id: str
    label: str
    help: str


@dataclass(frozen=True)
class PreUseChecklist:
    """One version of the check. `source` is the file's exact text, stored with the checks made."""

    id: str
    title: str
    version: str
    effective: str
    items: tuple[CheckItem, ...]
    source: str

    def label_of(self, item_id: str) -> str:
        return next((item.label for item in self.items if item.id == item_id), item_id)


@dataclass(frozen=True)
class PreUseCheck:
    """One check as recorded: the device, the clinic's day, who, when, and what failed if anything."""

    id: int
    device_id: int
    day: date
    at: datetime
    staff_id: int
    staff_name: str
    passed: bool
    failed_items: tuple[str, ...]  # the labels of the items failed, as the checklist then said
    note: str
    checklist_version: str


def _fail(source_name: str, where: str, problem: str) -> ProcedureError:
    return ProcedureError(f"Pre-use check file {source_name}: {where}: {problem}")


def _text(table: Mapping[str, Any], key: str, where: str, source_name: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(source_name, where, f"field '{key}' is missing or empty")
    return value


def parse_pre_use_checklist(text: str, source_name: str) -> PreUseChecklist:
    """Read and check a checklist file; a malformed one is refused as a whole, naming the problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _fail(source_name, "the file", f"is not valid TOML ({error})") from None
    header = data.get("checklist")
    if not isinstance(header, dict):
        raise _fail(source_name, "table [checklist]", "is missing")
    values = {key: _text(header, key, "table [checklist]", source_name) for key in _HEADER_KEYS}
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise _fail(source_name, "the file", "has no [[items]]")
    items: list[CheckItem] = []
    for number, raw in enumerate(raw_items, start=1):
        where = f"item {number}"
        if not isinstance(raw, dict):
            raise _fail(source_name, where, "must be a table with id, label and help")
        unknown = sorted(set(raw) - set(_ITEM_KEYS))
        if unknown:
            raise _fail(source_name, where, f"field '{unknown[0]}' is not known (a typo?)")
        items.append(CheckItem(*(_text(raw, key, where, source_name) for key in _ITEM_KEYS)))
    if len({item.id for item in items}) != len(items):
        raise _fail(source_name, "the file", "an item id is used twice")
    return PreUseChecklist(**values, items=tuple(items), source=text)


def load_pre_use_checklist(path: Path) -> PreUseChecklist:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ProcedureError(f"Pre-use check file {path.name}: cannot be read ({error})") from None
    return parse_pre_use_checklist(text, path.name)


def check_answers(
    checklist: PreUseChecklist, answers: Mapping[str, object], note: str
) -> tuple[bool, dict[str, bool], str]:
    """(passed, answers in the checklist's order, note) for one check, or ValidationError.

    Every item is answered True (passed) or False (failed); a failed item needs a note of what is
    wrong, so that the day's record says why the device was taken out of use."""
    known = {item.id for item in checklist.items}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ValidationError(f"'{unknown[0]}' is not an item of the pre-use check.")
    checked: dict[str, bool] = {}
    for item in checklist.items:
        answer = answers.get(item.id)
        if not isinstance(answer, bool):
            raise ValidationError(f"'{item.label}': answer passed or failed.")
        checked[item.id] = answer
    passed = all(checked.values())
    written = check_plain_text(note or "", "Note", NOTE_MAX, multiline=True) if (note or "").strip() else ""
    if not passed and not written:
        raise ValidationError("A failed check needs a note: say what is wrong.")
    return passed, checked, written
