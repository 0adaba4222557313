"""Every text field, date field and the search box, fuzzed: Unicode over its whole range, combining
marks, emoji joined with ZWJ, Hebrew and Arabic, 10,000 characters, NUL, quotes, % and _.

The property for every input path: the action either refuses with the app's own ValidationError or
ActionRefused, with a message, and nothing in the database changed; or it succeeds, and a fresh read
from the store gives back exactly what the rule keeps (the text trimmed of outer whitespace). No other
exception type ever escapes. The search box returns a list for any text, and finds a registered
patient by any start of any word of their name.

Function-scoped fixtures are not reset between Hypothesis examples, so each property either builds
what it needs inside the test body (a new patient, a new session) or restores the state it changed,
and compares with what it read just before acting: no example depends on an earlier one.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from peewee import Database

from desk_app.domain.clinic import ClinicDetails, checked_clinic_details
from desk_app.domain.clock import ManualClock
from desk_app.domain.credentials import check_password, check_pin
from desk_app.domain.dates import local_today, parse_user_date
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.patient_record import EDITABLE_FIELDS, checked_patient
from desk_app.domain.people import (
    NAME_MAX,
    Patient,
    Staff,
    check_new_patient,
    check_new_staff,
    search_key,
    search_words,
)
from desk_app.domain.procedure import FieldType, load_procedure
from desk_app.domain.session import EventKind, SessionStatus
from desk_app.domain.text import check_plain_text
from desk_app.domain.values import validate_field, validate_values
from desk_app.paths import PROCEDURE_FILE, resource_path
from desk_app.store.desk import Desk
from tests.support.people import PASSWORD, PIN
from tests.support.raw_sql import run_sql
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT, tick_all

pytestmark = pytest.mark.both_databases

T = TypeVar("T")

# The fixtures (desk, db, staff) are made once per test and shared by its examples: each property
# below is written so that this is safe (see the module's docstring). The store's properties run on
# both databases, so each has fewer examples than on one (the file stays near 10 s of CPU a
# database: the suite's three minutes; each run of the suite draws new examples).
STORE = settings(max_examples=18, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Each example of the session properties starts a new session: fewer still.
SESSION = settings(
    max_examples=14, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
DOMAIN = settings(max_examples=200, deadline=None)

# --- strategies ------------------------------------------------------------------------------------

EMOJI = ("👩‍⚕️", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🧑🏿‍🦰", "👍🏽", "🇬🇧", "❤️", "😀")
TRICKY = (
    "\x00",
    "'",
    '"',
    "''",
    "`",
    "\\",
    "\\\\",
    "%",
    "_",
    "%_%",
    "\\%",
    "\\_",
    "' OR '1'='1' --",
    '"; DROP TABLE patient; --',
    "\u200d",  # zero-width joiner
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u061c",  # Arabic letter mark
    "\u202e",  # right-to-left override: refused everywhere
    "\u2066",  # left-to-right isolate: refused everywhere
    "\u2028",  # line separator: refused in single lines
    "\u2029",
    "\ufeff",
    "\ufffd",
    "\U0010ffff",
    "\n",
    "\r\n",
    "\t",
    "\x1f",
    "\x7f",
    "\x85",
    "\u00a0",
    "\u3000",
    " ",
)
WORDS = ("Zoë", "O'Brien", "Łukasz", "Søren", "José María", "مريم", "שרה", "e\u0301", "Ng\u0303", "ß")
SPACES = st.sampled_from(("", "", " ", "   ", "\t", "\n", " \u00a0", "\u3000", "\u2003 "))

ANY_CHARACTER = st.characters()  # every code point but lone surrogates (Hypothesis' default)
SURROGATE = st.characters(categories=("Cs",))  # not valid UTF-8: never from Qt, but from argv
COMBINING = st.characters(categories=("Mn", "Mc", "Me"))
RTL = st.characters(min_codepoint=0x0590, max_codepoint=0x06FF)  # Hebrew and Arabic, with their marks
LETTER = st.characters(categories=("L",))
# Characters that are not whitespace, for long texts whose length after trimming is known.
VISIBLE = st.one_of(
    LETTER,
    COMBINING,
    RTL.filter(lambda character: not character.isspace()),
    st.sampled_from(EMOJI),
    st.sampled_from(("'", '"', "%", "_", "\\", "-")),
)
PIECE = st.one_of(
    st.text(ANY_CHARACTER, min_size=1, max_size=6),
    st.text(COMBINING, min_size=1, max_size=3),
    st.text(RTL, min_size=1, max_size=8),
    st.sampled_from(EMOJI),
    st.sampled_from(TRICKY),
    st.sampled_from(WORDS),
)


def _sized(seed: str, length: int, left: str, right: str) -> str:
    """`seed` repeated to exactly `length` characters, between outer whitespace."""
    return left + (seed * (length // len(seed) + 1))[:length] + right


def texts(*limits: int, surrogates: bool = True) -> st.SearchStrategy[str]:
    """Any text: Hypothesis' own over every code point; pieces of the tricky kinds above; text a
    field should take (letters of any script, marks, emoji, quotes, % and _, inner spaces); and long
    texts of exactly one below, at and one over each limit, and of 10,000 characters; each with or
    without outer whitespace."""
    pieces = st.one_of(PIECE, SURROGATE) if surrogates else PIECE
    short = st.tuples(SPACES, st.lists(pieces, max_size=10).map("".join), SPACES).map("".join)
    clean = st.tuples(
        SPACES, st.lists(st.one_of(VISIBLE, st.just(" ")), min_size=1, max_size=20).map("".join), SPACES
    )
    lengths = sorted({n for limit in limits for n in (limit - 1, limit, limit + 1) if n > 0} | {10_000})
    seed = st.lists(VISIBLE, min_size=1, max_size=3).map("".join)
    long = st.builds(_sized, seed, st.sampled_from(lengths), SPACES, SPACES)
    any_text = st.text(st.one_of(ANY_CHARACTER, SURROGATE)) if surrogates else st.text()
    return st.one_of(any_text, short, clean.map("".join), long)


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")
ALMOST_DATES = (
    "31/02/2020",
    "29/02/2023",
    "29/02/2024",
    "00/01/2020",
    "32/01/2020",
    "2020-13-01",
    "1/2/2020",
    "2020-1-2",
    "01/01/99",
    "1899-12-31",
    "1900-01-01",
    "24/11/2026",
    "25/11/2026",
    "26/11/2026",
    "9999-12-31",
    "0001-01-01",
    "2020-01-01\x00",
    "2020\x00-01-01",
    "٢٠٢٠-01-01",  # Arabic-Indic digits
    "２０２０-01-01",  # full-width digits
    "2020-01-01T10:00",
    "2020/01/01",
    "01.01.2020.",
    "'2020-01-01'",
    "%Y-%m-%d",
    "%d/%m/%Y",
)
REAL_DATES = st.builds(
    lambda day, pattern, left, right: left + day.strftime(pattern) + right,
    st.dates(date(1880, 1, 1), date(2040, 12, 31)),
    st.sampled_from(DATE_FORMATS),
    SPACES,
    SPACES,
)
DATE_TEXT = st.one_of(REAL_DATES, st.sampled_from(ALMOST_DATES), texts(10))

CLINIC_NUMBER_TEXT = st.one_of(
    texts(20),
    st.tuples(SPACES, st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,21}", fullmatch=True), SPACES).map("".join),
    st.sampled_from(("az-1", "AZ_1", "AZ%1", "AZ'1", "AZ 1", "ı-1", "ſ1", "Ｚ1", "AZ-1\x00", "-AZ1")),
)
PHONE_TEXT = st.one_of(
    texts(25),
    st.tuples(SPACES, st.from_regex(r"\+?[0-9 ()-]{4,27}", fullmatch=True), SPACES).map("".join),
    st.from_regex(r"\+?(\(0\))?[0-9]{3,5}[ -]?[0-9]{3,6}( [0-9]{1,8})?", fullmatch=True),
)
_EMAIL_PART = st.lists(st.one_of(VISIBLE, st.sampled_from(("+", ".", "!", "#"))), min_size=1, max_size=8).map(
    "".join
)
EMAIL_TEXT = st.one_of(
    texts(120),
    st.builds(lambda user, host, tld: f"{user}@{host}.{tld}", _EMAIL_PART, _EMAIL_PART, _EMAIL_PART),
)
FITZPATRICK_TEXT = st.one_of(
    texts(3), st.sampled_from(("I", "ii", " iii ", "IV", "v", "VI", "VII", "ı", "Ⅰ", "I\x00", "", " "))
)
NAME_TEXT = texts(NAME_MAX)
INITIALS_TEXT = st.one_of(
    texts(4), st.text(LETTER, min_size=1, max_size=5), st.sampled_from(("ß", "ﬃ", "ǆ", "Zö", "ا", "AA", "a1"))
)


def _registrable(name: str) -> bool:
    try:
        check_new_patient(name, name, "1990-02-03", "AZ-1", date(2026, 11, 25))
    except ValidationError:
        return False
    return True


# Names that registration accepts, in many scripts, with marks, emoji, quotes, % and _.
NAME_PIECE = st.one_of(
    st.text(LETTER, min_size=1, max_size=8),
    st.text(RTL, min_size=1, max_size=8),
    COMBINING,
    st.sampled_from(EMOJI),
    st.sampled_from(("'", '"', "%", "_", "\\", "-", ".", "`", "‘", "’")),
    st.sampled_from(WORDS),
    st.just(" "),
)
REGISTRABLE_NAME = st.lists(NAME_PIECE, min_size=1, max_size=12).map("".join).filter(_registrable)

# Procedure fields a nurse types into: every text and date field of the clinic's procedure.
PROCEDURE = load_procedure(resource_path(PROCEDURE_FILE))
TYPED_FIELDS = tuple(
    (item, field)
    for pause_point in PROCEDURE.pause_points
    for item in pause_point.items
    for field in item.fields
    if field.type in (FieldType.TEXT, FieldType.DATE)
)
PASSING_VALUES: dict[str, dict[str, Any]] = {**SIGN_IN, **ANAESTHETIC, **TIME_OUT, **LASER, **SIGN_OUT}


# --- helpers ---------------------------------------------------------------------------------------

_numbers = itertools.count(1)


def new_clinic_number() -> str:
    """A clinic number no other example used (the fixtures' database outlives each example)."""
    return f"FZ-{next(_numbers):06d}"


def table_counts(db: Database) -> dict[str, int]:
    """The number of rows in every table, to prove that a refused action wrote nothing."""
    return {name: run_sql(db, f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in db.get_tables()}


def attempt(action: Callable[[], T]) -> tuple[T | None, Exception | None]:
    """(result, None), or (None, the app's refusal) when it refused with a message for the user.

    Any other exception escapes: that is the bug these tests look for."""
    try:
        result = action()
    except (ValidationError, ActionRefused) as error:
        assert str(error).strip(), f"{type(error).__name__} without a message"
        event(f"refused: {type(error).__name__}")
        return None, error
    event("accepted")
    return result, None


def rule(check: Callable[[], T]) -> T | None:
    """What the domain rule keeps, or None when it refuses."""
    try:
        return check()
    except ValidationError as error:
        assert str(error).strip()
        return None


def kept_text(text: str, max_length: int, *, multiline: bool = False) -> str | None:
    return rule(lambda: check_plain_text(text, "Field", max_length, multiline=multiline))


def add_patient(desk: Desk, staff: Staff) -> Patient:
    return desk.patients.register_patient(
        "Zoë", "O'Brien", "03/02/1990", new_clinic_number(), staff.id, duplicate_confirmed=True
    )


def new_session(desk: Desk, staff: Staff) -> int:
    return desk.sessions.start_session(add_patient(desk, staff).id, staff.id).id


def events(desk: Desk, session_id: int) -> tuple:
    return desk.sessions.session(session_id).events


# --- the rule itself -------------------------------------------------------------------------------

_HIDDEN = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


@given(text=texts(1, 40, 80, 2000), max_length=st.sampled_from((1, 40, 80, 2000)), multiline=st.booleans())
@DOMAIN
def test_check_plain_text_keeps_the_trimmed_text_or_refuses_with_a_message(
    text: str, max_length: int, multiline: bool
) -> None:
    """Written from the rule's description, not its code: blank, too long, a control character
    (NUL among them), a direction control, or a line separator in a single line are refused."""
    trimmed = text.strip()
    allowed = {"\n", "\t"} if multiline else set()
    refused = (
        not trimmed
        or len(trimmed) > max_length
        or any(unicodedata.category(c) in ("Cc", "Cs") and c not in allowed for c in trimmed)
        or any(c in _HIDDEN for c in trimmed)
        or (not multiline and any(c in "\u2028\u2029" for c in trimmed))
    )
    assert kept_text(text, max_length, multiline=multiline) == (None if refused else trimmed)


@given(text=st.one_of(DATE_TEXT, st.text(), texts(10)))
@DOMAIN
def test_parse_user_date_never_raises(text: str) -> None:
    parsed = parse_user_date(text)
    assert parsed is None or isinstance(parsed, date)
    if parsed is not None:
        assert parse_user_date(parsed.isoformat()) == parsed
        assert parse_user_date(f" {parsed.day:02d}/{parsed.month:02d}/{parsed.year:04d} ") == parsed


@given(typed=st.sampled_from(TYPED_FIELDS), text=st.one_of(DATE_TEXT, texts(40, 60, 80, 500)))
@DOMAIN
def test_every_text_and_date_field_accepts_exactly_or_refuses_with_a_message(typed: Any, text: str) -> None:
    _item, field = typed
    today = date(2026, 11, 25)
    value = rule(lambda: validate_field(field, text, today))
    if not text.strip():
        assert value is None  # blank: required ones refuse, optional ones keep nothing
    elif field.type is FieldType.TEXT:
        assert value == kept_text(text, field.max_length)
    else:
        parsed = parse_user_date(text)
        ok = (
            parsed is not None
            and parsed >= date(1900, 1, 1)
            and (field.allow_future or parsed <= today)
            and (field.allow_past or parsed >= today)
        )
        assert value == (parsed.isoformat() if ok and parsed else None)


ALL_FIELDS = tuple(
    field for pause_point in PROCEDURE.pause_points for item in pause_point.items for field in item.fields
)
NUMBER_TEXT = st.one_of(
    texts(4),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-(10**400), 10**400).map(str),
    st.decimals(places=2, allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(
        (
            "40",
            " 40.0 ",
            "٤٠",
            "４０",
            "1e3",
            "inf",
            "nan",
            "40.",
            ".5",
            "1_000",
            "-0",
            "+5",
            "0x28",
            "4\x000",
        )
    ),
)


@given(field=st.sampled_from(ALL_FIELDS), data=st.data())
@DOMAIN
def test_every_field_of_the_procedure_takes_any_text_as_a_value_or_refuses_with_a_message(
    field: Any, data: st.DataObject
) -> None:
    """Number, choice and multi fields too: what the UI offers as a list can still be sent any text."""
    options = st.sampled_from(field.options) if field.options else st.nothing()
    text = data.draw(st.one_of(NUMBER_TEXT, texts(20), options), label="text")
    value = rule(lambda: validate_field(field, text, date(2026, 11, 25)))
    if value is None:
        return
    if field.type is FieldType.NUMBER:
        assert value == float(text.strip()) and field.min <= value <= field.max
    elif field.type is FieldType.CHOICE:
        assert value == text and text in field.options
    elif field.type is FieldType.MULTI:
        assert value == [text] and text in field.options
    elif field.type is FieldType.TEXT:
        assert value == text.strip()


# --- registering and editing patients --------------------------------------------------------------

REGISTER_INPUT = st.one_of(
    st.tuples(st.just("given_names"), NAME_TEXT),
    st.tuples(st.just("family_name"), NAME_TEXT),
    st.tuples(st.just("date_of_birth"), DATE_TEXT),
    st.tuples(st.just("clinic_number"), CLINIC_NUMBER_TEXT),
)


@given(fuzzed=st.lists(REGISTER_INPUT, min_size=1, max_size=2).map(dict))
@STORE
def test_registering_any_text_stores_it_exactly_or_refuses_and_writes_nothing(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, fuzzed: dict[str, str]
) -> None:
    typed = {
        "given_names": "Zoë",
        "family_name": "O'Brien",
        "date_of_birth": "03/02/1990",
        "clinic_number": new_clinic_number(),
    } | fuzzed
    expected = rule(lambda: check_new_patient(**typed, today=local_today(clock.now())))
    if (
        expected is not None
        and run_sql(db, "SELECT 1 FROM patient WHERE clinic_number = ?", (expected.clinic_number,)).fetchone()
    ):
        expected = None  # an earlier example registered that number: refused, rightly
    before = table_counts(db)

    patient, error = attempt(
        lambda: desk.patients.register_patient(**typed, staff_id=nurse.id, duplicate_confirmed=True)
    )

    if error is not None:
        assert expected is None, f"refused a valid registration: {error}"
        assert table_counts(db) == before
        return
    assert patient is not None and expected is not None
    stored = desk.patients.patient(patient.id)
    assert stored == patient
    assert stored.given_names == typed["given_names"].strip()
    assert stored.family_name == typed["family_name"].strip()
    assert stored.date_of_birth == parse_user_date(typed["date_of_birth"])
    assert stored.clinic_number == typed["clinic_number"].strip().upper()
    assert desk.patients.patient_by_clinic_number(typed["clinic_number"]).id == patient.id


EDIT_INPUT = st.one_of(
    st.tuples(st.just("given_names"), NAME_TEXT),
    st.tuples(st.just("family_name"), NAME_TEXT),
    st.tuples(st.just("date_of_birth"), DATE_TEXT),
    st.tuples(st.just("clinic_number"), CLINIC_NUMBER_TEXT),
    st.tuples(st.just("phone"), PHONE_TEXT),
    st.tuples(st.just("email"), EMAIL_TEXT),
    st.tuples(st.just("fitzpatrick"), FITZPATRICK_TEXT),
    st.tuples(st.just("allergies"), texts(500)),
    st.tuples(st.just("notes"), texts(2000)),
)


def _as_kept(field: str, text: str) -> object:
    """What a field keeps of accepted text: trimmed; clinic number and skin type in capitals."""
    if field == "date_of_birth":
        return parse_user_date(text)
    if field in ("clinic_number", "fitzpatrick"):
        return text.strip().upper()
    return text.strip()


@given(changes=st.lists(EDIT_INPUT, min_size=1, max_size=3).map(dict))
@STORE
def test_editing_any_patient_field_stores_it_exactly_or_refuses_and_changes_nothing(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, changes: dict[str, str]
) -> None:
    assert set(changes) <= {field.id for field in EDITABLE_FIELDS}
    patient = add_patient(desk, nurse)
    expected = rule(lambda: checked_patient(patient, changes, local_today(clock.now())))
    if expected == patient:
        expected = None  # "Nothing was changed."
    if (
        expected is not None
        and expected.clinic_number != patient.clinic_number
        and run_sql(db, "SELECT 1 FROM patient WHERE clinic_number = ?", (expected.clinic_number,)).fetchone()
    ):
        expected = None
    before = table_counts(db)

    updated, error = attempt(lambda: desk.patients.update_patient(patient.id, changes, nurse.id))

    stored = desk.patients.patient(patient.id)
    if error is not None:
        assert expected is None, f"refused a valid change: {error}"
        assert table_counts(db) == before
        assert stored == patient
        return
    assert expected is not None
    assert stored == updated == expected
    for field, text in changes.items():
        assert getattr(stored, field) == _as_kept(field, text), field


# --- the search box --------------------------------------------------------------------------------

SEARCH_NAMES = (
    ("Zoë", "O'Brien"),
    ("Ann_Marie", "Smith%"),
    ("Łukasz", "Nowak-Kowalski"),
    ("مريم", "حداد"),
    ("שרה", "לוי"),
    ("José María", "Núñez 👩‍⚕️"),
    ('Renée "Ren"', "d'Arc\\"),
)
# A text of about 1,000 words or more fails: see the BUG test below. Left out of the main property.
WORDS_SQLITE_TAKES = 900
SEARCH_TEXT = st.one_of(
    texts(20),
    st.tuples(
        st.sampled_from([part for name in SEARCH_NAMES for part in name]), st.integers(1, 6), PIECE
    ).map(lambda parts: parts[0][: parts[1]] + parts[2]),
    st.sampled_from(
        ("%", "_", "%%", "'", '"', "\\", "o'b", "ann_", "smith%", "\x00", "zo\x00", "03/02/1990")
    ),
).filter(lambda text: len(search_key(text).split()) < WORDS_SQLITE_TAKES)


@pytest.fixture
def search_register(desk: Desk, nurse: Staff) -> list[Patient]:
    return [
        desk.patients.register_patient(
            given, family, "03/02/1990", f"SR-{index}", nurse.id, duplicate_confirmed=True
        )
        for index, (given, family) in enumerate(SEARCH_NAMES)
    ]


@given(text=SEARCH_TEXT)
@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_search_box_takes_any_text_and_finds_only_what_it_says(
    desk: Desk, search_register: list[Patient], text: str
) -> None:
    found = desk.patients.search_patients(text)
    assert isinstance(found, list) and len(found) <= 50
    assert all(isinstance(patient, Patient) for patient in found)
    typed = search_key(text).split()
    if parse_user_date(text) is None and typed:
        # %, _ and quotes match nothing special: every typed word starts a word of each patient found,
        # and the text finds what its folded words find.
        for patient in found:
            words = search_words(patient.given_names, patient.family_name, patient.clinic_number)
            assert all(any(word.startswith(part) for word in words) for part in typed), patient
        assert [p.id for p in found] == [p.id for p in desk.patients.search_patients(" ".join(typed))]


@given(given_names=REGISTRABLE_NAME, family_name=REGISTRABLE_NAME, data=st.data())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_registered_patient_is_found_by_any_start_of_any_word_of_their_name(
    desk: Desk, nurse: Staff, given_names: str, family_name: str, data: st.DataObject
) -> None:
    patient = desk.patients.register_patient(
        given_names, family_name, "03/02/1990", new_clinic_number(), nurse.id, duplicate_confirmed=True
    )

    def found(text: str) -> bool:
        return patient.id in [p.id for p in desk.patients.search_patients(text, limit=10_000)]

    folded = search_key(f"{patient.given_names} {patient.family_name}").split()
    assert folded, "a name with letters always leaves something to search by"
    word = data.draw(st.sampled_from(folded), label="word")
    start = word[: data.draw(st.integers(1, len(word)), label="length")]
    assert found(start), start
    typed = [part for part in patient.full_name.split() if search_key(part) and parse_user_date(part) is None]
    if typed:
        part = data.draw(st.sampled_from(typed), label="as typed")
        assert found(part), part
    first, last = search_key(patient.given_names).split(), search_key(patient.family_name).split()
    if first and last:
        assert found(f"{first[0][:2]} {last[-1][:2]}")
    assert found(patient.clinic_number.lower())


@pytest.mark.parametrize("text", ["a " * 1000, "a b " * 2500], ids=["1000 words", "10,000 characters"])
def test_search_box_takes_a_text_of_a_thousand_words(desk: Desk, nurse: Staff, text: str) -> None:
    """A word typed again narrows nothing: a thousand times 'a' is a search for 'a'."""
    zoe = desk.patients.register_patient("Zoë", "O'Brien", "03/02/1990", "AZ-1", nurse.id)
    assert desk.patients.search_patients(text) == desk.patients.search_patients(
        " ".join(dict.fromkeys(text.split()))
    )
    assert desk.patients.search_patients("zo " * 1000) == [zoe]
    assert isinstance(desk.patients.search_patients(" ".join(f"w{n}" for n in range(2000))), list)


# --- the procedure's text and date fields ----------------------------------------------------------


@pytest.fixture
def full_session(desk: Desk, clock: ManualClock, nurse: Staff) -> int:
    """A session with every item passed, just before the operator signs it out."""
    session_id = new_session(desk, nurse)
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    clock.advance(minutes=61)
    tick_all(desk, session_id, {**TIME_OUT, **LASER, **SIGN_OUT}, nurse.id)
    return session_id


def _redo(desk: Desk, session_id: int, item_id: str, staff: Staff) -> None:
    desk.sessions.correct(session_id, item_id, "Fuzz test: ticked again", staff.id)


@given(
    typed=st.sampled_from(TYPED_FIELDS),
    text=st.one_of(DATE_TEXT, texts(40, 60, 80, 500)),
    triggered=st.booleans(),
)
@STORE
def test_ticking_any_text_or_date_value_stores_it_exactly_or_refuses_and_writes_nothing(
    desk: Desk,
    db: Database,
    clock: ManualClock,
    nurse: Staff,
    full_session: int,
    typed: Any,
    text: str,
    triggered: bool,
) -> None:
    item, field = typed
    values = dict(PASSING_VALUES[item.id])
    if triggered and field.required_if is not None:
        other, answer = field.required_if
        values[other] = answer  # the answer that makes this field required
    values[field.id] = text
    expected = rule(lambda: validate_values(item, values, local_today(clock.now())))
    _redo(desk, full_session, item.id, nurse)  # every item is ticked at the start of an example
    before = table_counts(db)

    record, error = attempt(lambda: desk.sessions.tick(full_session, item.id, values, nurse.id))

    if error is not None:
        assert expected is None, f"refused valid values: {error}"
        assert table_counts(db) == before
    else:
        assert record is not None and expected is not None
        tick = desk.sessions.session(full_session).state(clock.now()).item(item.id).tick
        assert tick is not None and tick.id == record.events[-1].id
        assert dict(tick.values) == expected
        if not text.strip():
            assert field.id not in tick.values
        elif field.type is FieldType.TEXT:
            assert tick.values[field.id] == text.strip()
        else:
            assert tick.values[field.id] == parse_user_date(text).isoformat()  # type: ignore[union-attr]
        _redo(desk, full_session, item.id, nurse)
    desk.sessions.tick(full_session, item.id, PASSING_VALUES[item.id], nurse.id)  # as it was


# --- notes, corrections, overrides, amendments, stopping -------------------------------------------


def _assert_event(desk: Desk, session_id: int, kind: EventKind, text: str, before: int) -> Any:
    """The session read afresh has exactly one new event, of this kind, with exactly this text."""
    now = desk.sessions.session(session_id).events
    assert len(now) == before + 1
    assert now[-1].kind is kind
    assert now[-1].text == text
    return now[-1]


@given(text=texts(2000), item_id=st.sampled_from((None, "consent", "fractional_pass")))
@SESSION
def test_a_note_of_any_text_is_kept_exactly_or_refused_and_nothing_written(
    desk: Desk, db: Database, nurse: Staff, text: str, item_id: str | None
) -> None:
    session_id = new_session(desk, nurse)
    expected = kept_text(text, 2000, multiline=True)
    before, counts = len(events(desk, session_id)), table_counts(db)

    _record, error = attempt(lambda: desk.sessions.add_note(session_id, item_id, text, nurse.id))

    if error is not None:
        assert expected is None, f"refused a valid note: {error}"
        assert table_counts(db) == counts
    else:
        assert expected == text.strip()
        note = _assert_event(desk, session_id, EventKind.NOTE, text.strip(), before)
        assert note.item_id == item_id


@pytest.mark.sqlite_only  # the same text column as a note, which runs on both
@given(reason=texts(1000))
@SESSION
def test_a_correction_with_any_reason_is_kept_exactly_or_refused_and_nothing_written(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, reason: str
) -> None:
    session_id = new_session(desk, nurse)
    desk.sessions.tick(session_id, "consent", SIGN_IN["consent"], nurse.id)
    expected = kept_text(reason, 1000, multiline=True)
    before, counts = len(events(desk, session_id)), table_counts(db)

    _record, error = attempt(lambda: desk.sessions.correct(session_id, "consent", reason, nurse.id))

    state = desk.sessions.session(session_id).state(clock.now())
    if error is not None:
        assert expected is None, f"refused a valid reason: {error}"
        assert table_counts(db) == counts
        assert state.item("consent").tick is not None
    else:
        assert expected == reason.strip()
        _assert_event(desk, session_id, EventKind.CORRECTION, reason.strip(), before)
        assert state.item("consent").tick is None


@pytest.mark.sqlite_only  # the same text column as a note, which runs on both
@given(reason=texts(1000))
@SESSION
def test_an_override_with_any_reason_is_kept_exactly_or_refused_and_nothing_written(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, clinician: Staff, reason: str
) -> None:
    session_id = new_session(desk, nurse)
    desk.sessions.tick(
        session_id, "skin_type", {"fitzpatrick": "V"}, nurse.id
    )  # a soft stop: needs a clinician
    expected = kept_text(reason, 1000, multiline=True)
    before, counts = len(events(desk, session_id)), table_counts(db)

    _record, error = attempt(
        lambda: desk.sessions.override(session_id, "skin_type", reason, clinician.id, nurse.id, PIN)
    )

    state = desk.sessions.session(session_id).state(clock.now())
    if error is not None:
        assert expected is None, f"refused a valid reason: {error}"
        assert table_counts(db) == counts
        assert state.item("skin_type").override is None
    else:
        assert expected == reason.strip()
        override = _assert_event(desk, session_id, EventKind.OVERRIDE, reason.strip(), before)
        assert override.staff_id == clinician.id and override.values["entered_by_id"] == nurse.id
        assert state.item("skin_type").override is not None


@pytest.fixture
def stopped_session(desk: Desk, nurse: Staff) -> int:
    session_id = new_session(desk, nurse)
    desk.sessions.abort(session_id, "The patient felt unwell.", nurse.id)
    return session_id


@pytest.mark.sqlite_only  # the same text column as a note, which runs on both
@given(text=texts(2000), reason=texts(1000), item_id=st.sampled_from((None, "consent")))
@STORE
def test_an_amendment_of_any_text_and_reason_is_kept_exactly_or_refused_and_nothing_written(
    desk: Desk, db: Database, nurse: Staff, stopped_session: int, text: str, reason: str, item_id: str | None
) -> None:
    kept, why = kept_text(text, 2000, multiline=True), kept_text(reason, 1000, multiline=True)
    before, counts = len(events(desk, stopped_session)), table_counts(db)

    _record, error = attempt(lambda: desk.sessions.amend(stopped_session, item_id, text, reason, nurse.id))

    if error is not None:
        assert kept is None or why is None, f"refused a valid amendment: {error}"
        assert table_counts(db) == counts
    else:
        assert (kept, why) == (text.strip(), reason.strip())
        amendment = _assert_event(desk, stopped_session, EventKind.AMENDMENT, text.strip(), before)
        assert amendment.values == {"reason": reason.strip()} and amendment.item_id == item_id


@pytest.mark.sqlite_only  # the same text column as a note, which runs on both
@given(reason=texts(1000))
@SESSION
def test_stopping_with_any_reason_keeps_it_exactly_or_refuses_and_nothing_written(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, reason: str
) -> None:
    session_id = new_session(desk, nurse)
    expected = kept_text(reason, 1000, multiline=True)
    before, counts = len(events(desk, session_id)), table_counts(db)

    _record, error = attempt(lambda: desk.sessions.abort(session_id, reason, nurse.id))

    status = desk.sessions.session(session_id).state(clock.now()).status
    if error is not None:
        assert expected is None, f"refused a valid reason: {error}"
        assert table_counts(db) == counts
        assert status is SessionStatus.IN_PROGRESS
    else:
        assert expected == reason.strip()
        _assert_event(desk, session_id, EventKind.ABORT, reason.strip(), before)
        assert status is SessionStatus.ABORTED


# --- the clinic's details --------------------------------------------------------------------------

CLINIC_INPUT = st.one_of(
    st.tuples(st.just("name"), texts(80)),
    st.tuples(st.just("address"), texts(200)),
    st.tuples(st.just("contact_line"), texts(200)),
    st.tuples(st.just("out_of_hours_line"), texts(200)),
    st.tuples(st.just("backup_folder"), texts(400)),
    st.tuples(
        st.just("idle_lock_minutes"),
        st.one_of(texts(2), st.sampled_from(("1", " 15 ", "16", "0", "٥", "５"))),
    ),
    st.tuples(st.just("paper"), st.one_of(texts(6), st.sampled_from(("A4", "Letter", "a4", "A4 ")))),
)


@given(fuzzed=st.lists(CLINIC_INPUT, min_size=1, max_size=3).map(dict))
@STORE
def test_clinic_details_of_any_text_come_back_exactly_or_are_refused_and_nothing_written(
    desk: Desk, db: Database, admin: Staff, fuzzed: dict[str, str]
) -> None:
    typed = {
        "name": "Azure Medical",
        "address": "1 High Street",
        "contact_line": "Call 01234 567890",
        "paper": "A4",
        "idle_lock_minutes": "5",
        "backup_folder": "",
    } | fuzzed
    current = desk.clinic.clinic_details()
    before = table_counts(db)

    def save() -> ClinicDetails:
        return desk.clinic.update_clinic_details(checked_clinic_details(**typed), admin.id)

    saved, error = attempt(save)

    if error is not None:
        checked = rule(lambda: checked_clinic_details(**typed))
        assert checked is None or checked == current, f"refused valid details: {error}"
        assert table_counts(db) == before
        assert desk.clinic.clinic_details() == current
        return
    stored = desk.clinic.clinic_details()
    assert stored == saved
    for key in ("name", "address", "contact_line", "out_of_hours_line", "backup_folder"):
        assert getattr(stored, key) == typed.get(key, "").strip(), key
    assert stored.idle_lock_minutes == int(typed["idle_lock_minutes"].strip())
    assert stored.paper.value == typed["paper"]


# --- staff: names, initials, passwords, PINs -------------------------------------------------------

STAFF_INPUT = st.one_of(
    st.tuples(st.just("name"), NAME_TEXT),
    st.tuples(st.just("initials"), INITIALS_TEXT),
    st.tuples(
        st.just("password"), st.one_of(texts(8, 128), st.sampled_from((" " * 7 + "a", "pass\x00word")))
    ),
    st.tuples(st.just("pin"), st.one_of(texts(4, 8), st.from_regex(r"[0-9]{3,9}", fullmatch=True))),
)


def _leave(desk: Desk, member: Staff, admin: Staff) -> None:
    """Make the member inactive, so that the next example may use the same initials."""
    desk.accounts.update_staff(member.id, member.role.value, False, admin.id)


@given(fuzzed=st.lists(STAFF_INPUT, min_size=1, max_size=2).map(dict))
@STORE
def test_new_staff_of_any_text_come_back_exactly_or_are_refused_and_nothing_written(
    desk: Desk, db: Database, admin: Staff, fuzzed: dict[str, str]
) -> None:
    typed = {"name": "Fay Fuzz", "initials": "FZ", "role": "nurse", "password": PASSWORD, "pin": PIN} | fuzzed
    valid = (
        rule(lambda: check_new_staff(typed["name"], typed["initials"], "nurse")) is not None
        and rule(lambda: check_password(typed["password"])) is not None
        and rule(lambda: check_pin(typed["pin"])) is not None
        and typed["initials"].strip().upper() != admin.initials
    )
    before = table_counts(db)

    member, error = attempt(lambda: desk.accounts.add_staff(**typed, by=admin.id))

    if error is not None:
        assert not valid, f"refused a valid member of staff: {error}"
        assert table_counts(db) == before
        return
    assert member is not None and valid
    stored = desk.accounts.staff(member.id)
    assert (stored.name, stored.initials) == (typed["name"].strip(), typed["initials"].strip().upper())
    assert desk.accounts.sign_in(member.id, typed["password"]) == stored  # the password exactly as typed
    assert desk.accounts.confirm_pin(member.id, typed["pin"], "fuzz test") == stored
    _leave(desk, member, admin)


@given(
    fuzzed=st.lists(
        st.one_of(st.tuples(st.just("name"), NAME_TEXT), st.tuples(st.just("initials"), INITIALS_TEXT)),
        min_size=1,
        max_size=2,
    ).map(dict)
)
@STORE
def test_renaming_staff_to_any_text_comes_back_exactly_or_is_refused_and_nothing_written(
    desk: Desk, db: Database, admin: Staff, fuzzed: dict[str, str]
) -> None:
    member = desk.accounts.add_staff("Fay Fuzz", "FZ", "nurse", PASSWORD, PIN, admin.id)
    typed = {"name": member.name, "initials": member.initials} | fuzzed
    checked = rule(lambda: check_new_staff(typed["name"], typed["initials"], "nurse"))
    valid = (
        checked is not None
        and (checked.name, checked.initials) != (member.name, member.initials)
        and checked.initials != admin.initials
    )
    before = table_counts(db)

    renamed, error = attempt(
        lambda: desk.accounts.rename_staff(member.id, typed["name"], typed["initials"], admin.id)
    )

    stored = desk.accounts.staff(member.id)
    if error is not None:
        assert not valid, f"refused a valid name: {error}"
        assert table_counts(db) == before
        assert stored == member
    else:
        assert valid and stored == renamed
        assert (stored.name, stored.initials) == (typed["name"].strip(), typed["initials"].strip().upper())
    _leave(desk, stored, admin)


@given(
    secret=st.one_of(
        texts(8, 128, surrogates=False), st.sampled_from((PASSWORD, PIN, f" {PASSWORD}", PIN + "\x00"))
    )
)
@STORE
def test_signing_in_with_any_text_lets_in_only_the_exact_password_or_pin(
    desk: Desk, admin: Staff, nurse: Staff, secret: str
) -> None:
    desk.accounts.unlock_account(nurse.id, admin.id)  # wrong tries of earlier examples do not count here
    member, error = attempt(lambda: desk.accounts.sign_in(nurse.id, secret))
    assert (member == nurse) == (secret == PASSWORD) and (error is None) == (secret == PASSWORD)
    member, error = attempt(lambda: desk.accounts.confirm_pin(nurse.id, secret, "fuzz test"))
    assert (member == nurse) == (secret == PIN) and (error is None) == (secret == PIN)


@pytest.mark.parametrize(
    "action", ["sign_in", "confirm_pin", "unlock_from_terminal", "patient_by_clinic_number"]
)
def test_a_lone_surrogate_is_refused_with_a_message(desk: Desk, nurse: Staff, action: str) -> None:
    calls: dict[str, Callable[[], object]] = {
        "sign_in": lambda: desk.accounts.sign_in(nurse.id, "\udcff"),
        "confirm_pin": lambda: desk.accounts.confirm_pin(nurse.id, "\udcff", "fuzz test"),
        "unlock_from_terminal": lambda: desk.accounts.unlock_from_terminal("\udcff", "fuzz"),
        "patient_by_clinic_number": lambda: desk.patients.patient_by_clinic_number("\udcff"),
    }
    with pytest.raises((ValidationError, ActionRefused)):
        calls[action]()
