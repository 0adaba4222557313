"""The patient register (issue 4): register, edit with every change kept, archive, search, migration 3.

Store tests on a real database file; the basics already proven in test_store_desk.py (bad names and
dates at registration, a clinic number in use, names stored exactly, the first search rules) are not
repeated here.
"""

from __future__ import annotations

import itertools
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import Database, IntegrityError

from desk_app.domain.clock import ManualClock
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.people import Patient, Staff, search_key
from desk_app.domain.procedure import Procedure
from desk_app.domain.refusals import PossibleDuplicate
from desk_app.store import migrations
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from tests.support.people import FAST_HASHER
from tests.support.pg_databases import fresh_postgres_database, migrated
from tests.support.raw_sql import run_sql

pytestmark = pytest.mark.both_databases

DETAILS = ("phone", "email", "fitzpatrick", "allergies", "notes")


def count(db: Database, table: str) -> int:
    return run_sql(db, f"SELECT count(*) FROM {table}").fetchone()[0]


def raw_patient(db: Database, patient_id: int) -> tuple:
    return run_sql(db, "SELECT * FROM patient WHERE id = ?", (patient_id,)).fetchone()


def everything(db: Database) -> dict[str, list[tuple]]:
    """Every row of the tables the register writes, to prove a refused action wrote nothing."""
    return {
        table: run_sql(db, f"SELECT * FROM {table} ORDER BY id").fetchall()
        for table in ("patient", "patient_word", "patient_change")
    }


def found(desk: Desk, text: str, **options: Any) -> list[int]:
    return [patient.id for patient in desk.patients.search_patients(text, **options)]


@pytest.fixture
def zoe(desk: Desk, nurse: Staff) -> Patient:
    return desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00012", nurse.id)


@pytest.fixture
def ann(desk: Desk, nurse: Staff) -> Patient:
    return desk.patients.register_patient("Ann", "Smith", "1975-06-30", "AZ-00200", nurse.id)


# --- registering ---------------------------------------------------------------------------------


def test_names_and_details_with_accents_quotes_and_markup_are_stored_exactly(
    desk: Desk, db: Database, nurse: Staff
) -> None:
    given = 'Renée "Ren" <b>O\'Hara</b>'
    family = "Nuñez & <script>alert('x')</script> Şahin"
    patient = desk.patients.register_patient(given, family, "03/02/1990", "az-7", nurse.id)
    details = {
        "allergies": "Latex <b>severe</b>\n\"plasters\" & 'tape'\tsince 2019",
        "notes": "Prefers 'Ren'; <i>no</i> photos — ask first.\nSecond line: ½ dose?",
        "email": "renée.o'hara+laser@example.co.uk",
    }
    updated = desk.patients.update_patient(patient.id, details, nurse.id)
    assert (updated.given_names, updated.family_name, updated.clinic_number) == (given, family, "AZ-7")
    assert updated.date_of_birth == date(1990, 2, 3)
    stored = run_sql(
        db,
        "SELECT given_names, family_name, allergies, notes, email FROM patient WHERE id = ?",
        (patient.id,),
    ).fetchone()
    assert stored == (given, family, details["allergies"], details["notes"], details["email"])
    assert desk.patients.patient(patient.id) == updated


@pytest.mark.parametrize(
    ("given_names", "family_name"),
    [
        pytest.param("ZOE", "o'brien", id="upper-and-lower-case-no-accent"),
        pytest.param("zoë", "OBRIEN", id="no-apostrophe"),
        pytest.param("  Zoe ", " O'Brien  ", id="spaces"),
    ],
)
def test_a_second_patient_with_the_same_name_and_birth_date_is_a_possible_duplicate(
    desk: Desk, db: Database, nurse: Staff, zoe: Patient, given_names: str, family_name: str
) -> None:
    before = everything(db)
    with pytest.raises(PossibleDuplicate, match="AZ-00012") as refused:
        desk.patients.register_patient(given_names, family_name, date(1990, 2, 3), "AZ-00099", nurse.id)
    assert refused.value.existing == zoe
    assert "Zoë O'Brien" in str(refused.value)
    assert everything(db) == before

    twin = desk.patients.register_patient(
        given_names, family_name, date(1990, 2, 3), "AZ-00099", nurse.id, duplicate_confirmed=True
    )
    assert twin.id != zoe.id
    assert (twin.given_names, twin.family_name) == (given_names.strip(), family_name.strip())
    assert count(db, "patient") == 2
    assert set(found(desk, "zoe obrien")) == {zoe.id, twin.id}


def test_the_same_name_with_another_birth_date_is_no_duplicate(
    desk: Desk, db: Database, nurse: Staff, zoe: Patient
) -> None:
    other = desk.patients.register_patient("Zoe", "O'Brien", "1990-03-02", "AZ-00099", nurse.id)
    assert count(db, "patient") == 2
    assert found(desk, "03/02/1990") == [zoe.id]
    assert found(desk, "02/03/1990") == [other.id]


CYRILLIC_O = "\u043e"  # looks like a Latin o
CYRILLIC_VE = "\u0412"  # looks like a Latin B, though its small letter looks like a small capital


def test_a_name_written_with_look_alike_letters_is_found_and_is_a_possible_duplicate(
    desk: Desk, db: Database, nurse: Staff
) -> None:
    """Issue 13: 'Jоhn Smith' with a Cyrillic 'о' is John Smith to anyone reading the screen."""
    john = desk.patients.register_patient("John", "Smith", "1980-05-06", "AZ-00001", nurse.id)
    before = everything(db)
    with pytest.raises(PossibleDuplicate, match="AZ-00001") as refused:
        desk.patients.register_patient(f"J{CYRILLIC_O}hn", "Smith", date(1980, 5, 6), "AZ-00002", nurse.id)
    assert refused.value.existing == john
    assert everything(db) == before
    look_alike = desk.patients.register_patient(
        f"J{CYRILLIC_O}hn", "Smith", "1980-05-06", "AZ-00002", nurse.id, duplicate_confirmed=True
    )
    for text in ("john smith", "john", "jo", "SMITH JOHN", f"J{CYRILLIC_O}HN"):
        assert set(found(desk, text)) == {john.id, look_alike.id}, text

    # The look-alike registered first, the Latin name second; a capital that reads as 'B' only
    # as written (its small letter does not).
    bob = desk.patients.register_patient("Bob", f"{CYRILLIC_VE}rown", "1975-01-02", "AZ-00003", nurse.id)
    with pytest.raises(PossibleDuplicate, match="AZ-00003"):
        desk.patients.register_patient("BOB", "brown", "1975-01-02", "AZ-00004", nurse.id)
    assert found(desk, "bob brown") == found(desk, "brown") == [bob.id]
    # Still a duplicate only when born the same day.
    other = desk.patients.register_patient(f"J{CYRILLIC_O}hn", "Smith", "1980-05-07", "AZ-00005", nurse.id)
    assert other.id in found(desk, "john smith")


@pytest.mark.parametrize(
    ("given_names", "family_name", "birth", "number", "message"),
    [
        pytest.param("Ann", "Smith", "30/02/1990", "AZ-9", "not a real date", id="30-february"),
        pytest.param("Ann", "Smith", "31.04.1990", "AZ-9", "not a real date", id="31-april-dotted"),
        pytest.param("", "Smith", "1990-01-01", "AZ-9", "First names: please fill this in", id="empty-name"),
        pytest.param("Ann", "\u3000", "1990-01-01", "AZ-9", "Surname: please fill", id="ideographic-space"),
        pytest.param("A\x07nn", "Smith", "1990-01-01", "AZ-9", "control character", id="bell-in-name"),
        pytest.param("Ann", "Smith\x1b[2J", "1990-01-01", "AZ-9", "control character", id="escape-in-name"),
        pytest.param("Ann", "Sm\x7fith", "1990-01-01", "AZ-9", "control character", id="delete-in-name"),
        pytest.param("Ann", "Sm\x85ith", "1990-01-01", "AZ-9", "control character", id="c1-next-line"),
        pytest.param("Ann\nMarie", "Smith", "1990-01-01", "AZ-9", "control character", id="newline-in-name"),
        pytest.param("Ann", "Smith", "1990-01-01", "AZ-\x079", "Clinic number", id="bell-in-number"),
        pytest.param("A" * 101, "Smith", "1990-01-01", "AZ-9", "too long", id="101-character-name"),
    ],
)
def test_bad_registration_gives_a_clear_message_and_writes_nothing(
    desk: Desk,
    db: Database,
    nurse: Staff,
    ann: Patient,
    given_names: str,
    family_name: str,
    birth: str,
    number: str,
    message: str,
) -> None:
    before = everything(db)
    with pytest.raises(ValidationError, match=message):
        desk.patients.register_patient(given_names, family_name, birth, number, nurse.id)
    assert everything(db) == before


def test_a_bidirectional_override_in_a_name_is_refused_as_a_control_character(
    desk: Desk, db: Database, nurse: Staff
) -> None:
    with pytest.raises(ValidationError, match="control character"):
        desk.patients.register_patient("Zoë", "\u202eneirB'O", "1990-02-03", "AZ-9", nurse.id)
    assert count(db, "patient") == 0


# --- editing: bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"clinic_number": "AZ-00200"}, "AZ-00200 is already in use", id="another-s-number"),
        pytest.param({"clinic_number": " az-00200 "}, "AZ-00200 is already in use", id="another-s-lower"),
        pytest.param({"date_of_birth": "30/02/1990"}, "not a real date", id="30-february"),
        pytest.param({"date_of_birth": "2026-11-26"}, "future", id="born-tomorrow"),
        pytest.param({"given_names": "   "}, "First names: please fill this in", id="blank-first-names"),
        pytest.param({"family_name": ""}, "Surname: please fill this in", id="blank-surname"),
        pytest.param({"family_name": "--"}, "Surname must contain letters", id="surname-no-letters"),
        pytest.param({"notes": "x" * 10_000}, "Notes is too long: 10000 characters, at most 2000", id="note"),
        pytest.param({"allergies": "L" * 501}, "Allergies is too long", id="long-allergies"),
        pytest.param({"given_names": "Zo\x07ë"}, "First names contains a control character", id="bell-name"),
        pytest.param({"family_name": "O'Brien\x00"}, "Surname contains a control", id="nul-surname"),
        pytest.param({"clinic_number": "AZ\x07-1"}, "Clinic number:", id="bell-clinic-number"),
        pytest.param({"phone": "07700\x07900123"}, "Phone contains a control character", id="bell-phone"),
        pytest.param({"email": "zoe\x07@example.com"}, "Email contains a control character", id="bell-email"),
        pytest.param({"fitzpatrick": "II\x07"}, "Fitzpatrick skin type: I, II, III", id="bell-skin-type"),
        pytest.param({"allergies": "Latex\x07"}, "Allergies contains a control character", id="bell-allergy"),
        pytest.param({"notes": "Line\r\nbreak\x1b"}, "Notes contains a control character", id="escape-note"),
        pytest.param({"notes": "\x07"}, "Notes contains a control character", id="note-only-bell"),
        pytest.param({"email": "zoe.example.com"}, "Email: that does not look like", id="email-no-at"),
        pytest.param({"email": "zoe@example"}, "Email: that does not look like", id="email-no-dot"),
        pytest.param({"email": "zoe o@example.com"}, "Email: that does not look like", id="email-space"),
        pytest.param({"phone": "ring after 6"}, "Phone: digits, spaces", id="phone-words"),
        pytest.param({"phone": "123"}, "Phone: digits, spaces", id="phone-too-short"),
        pytest.param({"phone": "0" * 26}, "Phone is too long", id="phone-too-long"),
        pytest.param({"fitzpatrick": "VII"}, "Fitzpatrick skin type: I, II, III, IV, V or VI", id="skin-VII"),
        pytest.param({"fitzpatrick": "2"}, "Fitzpatrick skin type", id="skin-type-as-digit"),
        pytest.param({"nhs_number": "943 476 5919"}, "'nhs_number' is not a field", id="unknown-field"),
        pytest.param({"archived": True}, "'archived' is not a field", id="archive-by-edit"),
    ],
)
def test_a_bad_edit_gives_a_clear_message_and_writes_nothing(
    desk: Desk, db: Database, nurse: Staff, zoe: Patient, ann: Patient, changes: dict, message: str
) -> None:
    before = everything(db)
    with pytest.raises(ValidationError, match=message):
        desk.patients.update_patient(zoe.id, {"phone": "07700 900123", **changes}, nurse.id)
    assert everything(db) == before
    assert desk.patients.patient(zoe.id) == zoe


@pytest.mark.parametrize("phone", ["((((((", "- - - -", "+()()()"])
def test_a_phone_number_without_digits_is_refused(
    desk: Desk, db: Database, nurse: Staff, zoe: Patient, phone: str
) -> None:
    before = everything(db)
    with pytest.raises(ValidationError, match="Phone: digits"):
        desk.patients.update_patient(zoe.id, {"phone": phone}, nurse.id)
    assert everything(db) == before


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="no-fields"),
        pytest.param({"phone": ""}, id="empty-stays-empty"),
        pytest.param({"phone": "   "}, id="spaces-are-empty"),
        pytest.param({"given_names": " Zoë  "}, id="same-name-with-spaces"),
        pytest.param({"date_of_birth": "03/02/1990"}, id="same-date-typed"),
        pytest.param({"date_of_birth": date(1990, 2, 3)}, id="same-date"),
        pytest.param({"clinic_number": "az-00012"}, id="same-number-lower-case"),
        pytest.param(
            {"given_names": "Zoë", "family_name": "O'Brien", "date_of_birth": "03/02/1990"}
            | {"clinic_number": "AZ-00012"}
            | dict.fromkeys(DETAILS, ""),
            id="the-whole-form-as-shown",
        ),
    ],
)
def test_an_edit_that_changes_nothing_says_so_and_writes_nothing(
    desk: Desk, db: Database, nurse: Staff, zoe: Patient, changes: dict
) -> None:
    before = everything(db)
    with pytest.raises(ValidationError, match="^Nothing was changed.$"):
        desk.patients.update_patient(zoe.id, changes, nurse.id)
    assert everything(db) == before


def test_an_edit_needs_a_known_patient_and_member_of_staff(
    desk: Desk, db: Database, nurse: Staff, zoe: Patient
) -> None:
    before = everything(db)
    with pytest.raises(ActionRefused, match="patient is not known"):
        desk.patients.update_patient(4242, {"phone": "07700 900123"}, nurse.id)
    with pytest.raises(ActionRefused, match="member of staff"):
        desk.patients.update_patient(zoe.id, {"phone": "07700 900123"}, 4242)
    assert everything(db) == before


# --- editing: every change kept --------------------------------------------------------------------


def test_every_change_is_kept_with_old_and_new_value_who_and_when(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, clinician: Staff, zoe: Patient
) -> None:
    first_edit = clock.advance(days=3, minutes=17)
    updated = desk.patients.update_patient(
        zoe.id, {"phone": "07700 900123", "family_name": "O'Brien-Nuñez"}, clinician.id
    )
    assert (updated.phone, updated.family_name) == ("07700 900123", "O'Brien-Nuñez")
    assert desk.patients.patient(zoe.id) == updated
    assert run_sql(db, "SELECT family_name, phone FROM patient WHERE id = ?", (zoe.id,)).fetchone() == (
        "O'Brien-Nuñez",
        "07700 900123",
    )
    changes = desk.patients.patient_changes(zoe.id)
    assert [(c.field, c.label, c.old, c.new, c.staff_name, c.at) for c in changes] == [
        ("family_name", "Surname", "O'Brien", "O'Brien-Nuñez", clinician.name, first_edit),
        ("phone", "Phone", "", "07700 900123", clinician.name, first_edit),
    ]
    assert count(db, "patient_change") == 2
    # The register's search follows the new surname; the old one is found as its start.
    assert found(desk, "nunez") == [zoe.id]
    assert found(desk, "zoe obrien") == [zoe.id]

    second_edit = clock.advance(days=1)
    desk.patients.update_patient(
        zoe.id, {"phone": "", "fitzpatrick": "iv", "date_of_birth": "04/02/1990"}, nurse.id
    )
    changes = desk.patients.patient_changes(zoe.id)
    assert [(c.field, c.old, c.new, c.staff_name, c.at) for c in changes[2:]] == [
        ("date_of_birth", "1990-02-03", "1990-02-04", nurse.name, second_edit),
        ("phone", "07700 900123", "", nurse.name, second_edit),
        ("fitzpatrick", "", "IV", nurse.name, second_edit),
    ]
    assert changes[:2] == desk.patients.patient_changes(zoe.id)[:2]  # the first edit's rows are untouched
    assert found(desk, "03/02/1990") == []
    assert found(desk, "04/02/1990") == [zoe.id]
    assert desk.patients.patient_changes(4242) == []


def test_a_clinic_number_change_is_kept_and_the_old_number_finds_nobody(
    desk: Desk, nurse: Staff, zoe: Patient
) -> None:
    desk.patients.update_patient(zoe.id, {"clinic_number": "az-00777"}, nurse.id)
    assert [(c.field, c.old, c.new) for c in desk.patients.patient_changes(zoe.id)] == [
        ("clinic_number", "AZ-00012", "AZ-00777")
    ]
    assert found(desk, "AZ-00777") == found(desk, "00777") == [zoe.id]
    assert found(desk, "AZ-00012") == found(desk, "00012") == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE patient_change SET new_value = 'tampered' WHERE id = ?",
        "UPDATE patient_change SET at = '2020-01-01 00:00:00' WHERE id = ?",
        "DELETE FROM patient_change WHERE id = ?",
    ],
    ids=["update-value", "update-time", "delete"],
)
def test_raw_sql_cannot_change_or_delete_a_kept_change(
    desk: Desk, db: Database, nurse: Staff, zoe: Patient, statement: str
) -> None:
    desk.patients.update_patient(zoe.id, {"phone": "07700 900123"}, nurse.id)
    change_id, *_ = run_sql(db, "SELECT id FROM patient_change").fetchone()
    before = run_sql(db, "SELECT * FROM patient_change").fetchall()
    with pytest.raises(IntegrityError, match="append-only"):
        run_sql(db, statement, (change_id,))
    assert run_sql(db, "SELECT * FROM patient_change").fetchall() == before


# --- archive -------------------------------------------------------------------------------------


def test_an_archived_patient_is_hidden_from_search_refused_a_session_and_can_come_back(
    desk: Desk, db: Database, clock: ManualClock, nurse: Staff, zoe: Patient, ann: Patient
) -> None:
    at = clock.advance(hours=2)
    archived = desk.patients.set_archived(zoe.id, True, nurse.id)
    assert archived.archived and desk.patients.patient(zoe.id).archived
    for text in ("zoe", "obrien", "03/02/1990", "AZ-00012", ""):
        assert zoe.id not in found(desk, text), text
        assert zoe.id in found(desk, text, include_archived=True), text
    assert found(desk, "", include_archived=True) == [zoe.id, ann.id]  # O'Brien before Smith
    last = desk.patients.patient_changes(zoe.id)[-1]
    assert (last.field, last.label, last.old, last.new, last.staff_name, last.at) == (
        "archived",
        "Archived",
        "no",
        "yes",
        nurse.name,
        at,
    )

    with pytest.raises(ActionRefused, match="archived: bring the record back first"):
        desk.sessions.start_session(zoe.id, nurse.id)
    assert count(db, "treatment_session") == 0
    with pytest.raises(ValidationError, match="Nothing was changed"):
        desk.patients.set_archived(zoe.id, True, nurse.id)
    assert desk.sessions.patient_history(zoe.id).patient.archived  # the record still opens

    back = desk.patients.set_archived(zoe.id, False, nurse.id)
    assert not back.archived
    assert found(desk, "zoe") == [zoe.id]
    assert [(c.field, c.old, c.new) for c in desk.patients.patient_changes(zoe.id)] == [
        ("archived", "no", "yes"),
        ("archived", "yes", "no"),
    ]
    assert desk.sessions.start_session(zoe.id, nurse.id).patient.id == zoe.id
    assert count(db, "patient") == 2  # nothing was ever deleted


def test_archiving_an_unknown_patient_is_refused(desk: Desk, db: Database, nurse: Staff) -> None:
    with pytest.raises(ActionRefused, match="not known"):
        desk.patients.set_archived(4242, True, nurse.id)
    assert count(db, "patient_change") == 0


# --- search rules --------------------------------------------------------------------------------


@pytest.fixture
def register(desk: Desk, nurse: Staff):  # noqa: ANN201 - a factory
    numbers = itertools.count(300)

    def add(given_names: str, family_name: str, birth: str = "1980-01-01", number: str = "") -> Patient:
        return desk.patients.register_patient(
            given_names, family_name, birth, number or f"AZ-{next(numbers):05d}", nurse.id
        )

    return add


@pytest.fixture
def clinic(register, zoe: Patient, ann: Patient) -> dict[str, Patient]:  # noqa: ANN001
    return {
        "zoe": zoe,
        "ann": ann,
        "ellie": register("Ellie-Mae", "Smith", "1985-07-14"),
        "lukasz": register("Łukasz", "Nowak", "1979-11-30"),
        "sasha": register("Sasha", "Hale", "1979-11-30"),
        "obi": register("Obi", "Brightwell", "1962-05-01"),
    }


SEARCH_RULES = [
    ("zoe", ["zoe"]),
    ("ZOE", ["zoe"]),
    ("Zoë", ["zoe"]),
    ("zoë", ["zoe"]),
    ("Zoe\u0308", ["zoe"]),  # typed with a combining diaeresis
    ("obrien", ["zoe"]),
    ("o'brien", ["zoe"]),
    ("O’Brien", ["zoe"]),  # a typographic apostrophe
    ("brien", ["zoe"]),
    ("O'BRIEN", ["zoe"]),
    ("ob", ["obi", "zoe"]),  # Obi (Brightwell), O'Brien
    ("bri", ["zoe", "obi"]),  # by the word matched: "brien" (O'Brien) before "brightwell"
    ("mae", ["ellie"]),
    ("ellie", ["ellie"]),
    ("ellie-mae", ["ellie"]),
    ("elliemae", ["ellie"]),
    ("lukasz", ["lukasz"]),
    ("ŁUKASZ", ["lukasz"]),
    ("luk", ["lukasz"]),
    ("03/02/1990", ["zoe"]),
    ("3/2/1990", ["zoe"]),
    ("03.02.1990", ["zoe"]),
    ("3.2.1990", ["zoe"]),
    ("1990-02-03", ["zoe"]),
    (" 03/02/1990 ", ["zoe"]),
    ("AZ-00012", ["zoe"]),
    ("az00012", ["zoe"]),
    ("00012", ["zoe"]),
    ("az-00012", ["zoe"]),
    ("30/11/1979", ["sasha", "lukasz"]),  # Hale before Nowak
    ("ellie smith", ["ellie"]),
    ("smith ellie", ["ellie"]),
    ("SMITH mae", ["ellie"]),
    ("ann smith", ["ann"]),
    ("smith", ["ann", "ellie"]),
    ("zoe smith", []),
    ("zoe brien", ["zoe"]),
    ("zoe nowak", []),
    ("smithe", []),
    ("02/03/1990", []),
    ("AZ-00013", []),
]


def test_search_rules(desk: Desk, clinic: dict[str, Patient]) -> None:
    """Every rule against one register (registering it for each rule would cost 40 times more)."""
    by_id = {patient.id: name for name, patient in clinic.items()}
    wrong = {
        text: [by_id.get(patient_id, patient_id) for patient_id in found(desk, text)]
        for text, who in SEARCH_RULES
        if found(desk, text) != [clinic[name].id for name in who]
    }
    assert wrong == {}, "typed text -> what was found instead"


LITERALS = [
    "%",
    "_",
    "'",
    '"',
    "''",
    '""',
    "%%",
    "s%h",
    "s_h",
    "sa%a",
    "h_le",
    "n%k",
    "'; DROP TABLE patient; --",
]


def test_wildcards_and_quotes_are_plain_characters(
    desk: Desk, db: Database, clinic: dict[str, Patient]
) -> None:
    # As LIKE patterns, "s%h", "sa%a", "h_le" and "n%k" would match Smith, Sasha, Hale and Nowak.
    assert {text: found(desk, text) for text in LITERALS} == {text: [] for text in LITERALS}
    assert count(db, "patient") == len(clinic)


@pytest.mark.parametrize(
    ("text", "who"),
    [("'zoe'", ["zoe"]), ('"Smith"', ["ann", "ellie"]), ("zo%", ["zoe"]), ("_luk", ["lukasz"])],
)
def test_quotes_and_wildcards_around_a_word_are_ignored_not_matched(
    desk: Desk, clinic: dict[str, Patient], text: str, who: list[str]
) -> None:
    assert found(desk, text) == [clinic[name].id for name in who]


def test_results_are_ordered_by_surname_then_first_names(desk: Desk, register) -> None:  # noqa: ANN001
    for given_names, family_name in [
        ("Zak", "Smith"),
        ("Al", "Young"),
        ("Ann", "Smith"),
        ("Bea", "Adams"),
        ("Ann Marie", "Smith"),
    ]:
        register(given_names, family_name, "1970-07-07")
    names = [(p.family_name, p.given_names) for p in desk.patients.search_patients("07/07/1970")]
    assert names == [
        ("Adams", "Bea"),
        ("Smith", "Ann"),
        ("Smith", "Ann Marie"),
        ("Smith", "Zak"),
        ("Young", "Al"),
    ]


def test_results_are_ordered_by_surname_blind_to_case_and_accents(desk: Desk, register) -> None:  # noqa: ANN001
    for given_names, family_name in zip(
        ["Al", "Bo", "Cy", "Di", "Ed", "Flo", "Gus"],
        ["Zimmer", "de Souza", "Smith", "Ábel", "smith", "Adams", "Öztürk"],
        strict=True,
    ):
        register(given_names, family_name, "1970-07-07")
    names = [p.family_name for p in desk.patients.search_patients("07/07/1970")]
    assert names[:4] == ["Ábel", "Adams", "de Souza", "Öztürk"]
    assert names[4:6] == ["Smith", "smith"]  # Smith, Cy before smith, Ed: then by first names
    assert names[6:] == ["Zimmer"]


def test_pages_of_results_have_no_repeats_and_no_gaps(desk: Desk, nurse: Staff) -> None:
    # 23 Smiths, four of them with exactly the same names: only the id can order those.
    expected = []
    for number in range(23):
        given_names = "Jo" if number % 6 == 0 else f"Pat {chr(ord('A') + (number * 7) % 23)}"
        patient = desk.patients.register_patient(
            given_names, "Smith", date(1980, 1, 1), f"AZ-{900 + number}", nurse.id, duplicate_confirmed=True
        )
        expected.append(patient)
    expected.sort(key=lambda p: (p.given_names, p.id))
    pages = [desk.patients.search_patients("smith", limit=5, offset=offset) for offset in range(0, 30, 5)]
    assert [len(page) for page in pages] == [5, 5, 5, 5, 3, 0]
    assert [p.id for page in pages for p in page] == [p.id for p in expected]
    assert desk.patients.search_patients("smith", limit=100) == expected
    assert len(desk.patients.search_patients("smith")) == 23  # under the default page size of 50


# --- any name -------------------------------------------------------------------------------------

# Letters of every script, combining marks, right-to-left letters (Hebrew, Arabic), emoji and spaces.
NAME_PIECES = st.one_of(
    st.characters(categories=("Lu", "Ll", "Lt", "Lm", "Lo")),
    st.characters(categories=("Mn", "Mc", "Me")),
    st.characters(min_codepoint=0x0590, max_codepoint=0x06FF, categories=("Lo", "Mn")),
    st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF, categories=("So",)),
    st.just(" "),
)
# A name must have something search can find it by (people._name): letters that fold away entirely
# (Hangul fillers, which show nothing; a lone modifier prime) are rightly refused, so not "any name".
ANY_NAME = st.text(NAME_PIECES, min_size=1, max_size=60).filter(
    lambda name: name.strip() and any(character.isalpha() for character in name) and search_key(name)
)


def _first_searchable_word(name: str) -> str | None:
    """The first word of the name that has something left to search by once folded (an emoji or a
    lone mark has not), or None."""
    return next((word for word in name.split() if search_key(word)), None)


@given(given_names=ANY_NAME, family_name=ANY_NAME)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_unicode_name_is_stored_exactly_and_found_by_search(
    desk: Desk, db: Database, nurse: Staff, given_names: str, family_name: str
) -> None:
    number = f"U-{count(db, 'patient') + 1:05d}"  # a fresh clinic number per example
    patient = desk.patients.register_patient(
        given_names, family_name, "1990-02-03", number, nurse.id, duplicate_confirmed=True
    )
    expected = (given_names.strip(), family_name.strip())
    assert (patient.given_names, patient.family_name) == expected
    assert desk.patients.patient(patient.id) == patient
    raw = run_sql(db, "SELECT given_names, family_name FROM patient WHERE id = ?", (patient.id,))
    assert raw.fetchone() == expected

    assert patient.id in found(desk, number)
    for name in expected:
        word = _first_searchable_word(name)
        if word is None:
            assert not search_key(name)
            continue
        assert patient.id in found(desk, word, limit=10_000), word
    words = [_first_searchable_word(name) for name in expected]
    if all(words):
        assert patient.id in found(desk, " ".join(words), limit=10_000)  # type: ignore[arg-type]


# --- migration 3 on an existing database -----------------------------------------------------------


def test_migration_3_brings_an_existing_version_2_database_up_to_date(
    db_path: Path, procedure: Procedure, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:2])
        patch.setattr(migrations, "LATEST_VERSION", 2)
        old = open_database(str(db_path))
        assert migrations.schema_version(old) == 2
        assert "phone" not in [column.name for column in old.get_columns("patient")]
        with old.atomic():
            old.execute_sql(
                "INSERT INTO staff (name, initials, role, active, created_at) "
                "VALUES ('Ann Nurse', 'AN', 'nurse', 1, '2025-06-01 08:00:00')"
            )
            old.execute_sql(
                "INSERT INTO patient (given_names, family_name, date_of_birth, clinic_number, search_text, "
                "created_at, created_by_id) VALUES (?, ?, ?, ?, ?, ?, 1)",
                ("Zoë", "O'Brien", "1990-02-03", "AZ-00012", "ZOË O'BRIEN az-00012", "2025-06-01 09:00:00"),
            )
        old.close()

    db = open_database(str(db_path))
    try:
        assert migrations.schema_version(db) == migrations.LATEST_VERSION
        backups = list(db_path.parent.glob(f"{db_path.stem}.before-v3.*{db_path.suffix}"))
        assert len(backups) == 1
        assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600
        with closing(sqlite3.connect(backups[0])) as copy:
            assert copy.execute("SELECT max(version) FROM schema_migration").fetchone() == (2,)
            assert copy.execute("SELECT given_names FROM patient").fetchall() == [("Zoë",)]

        desk = Desk(db, procedure, clock)
        for text in ("zoe", "obrien", "brien", "zoe o'brien", "AZ-00012", "00012", "03/02/1990"):
            assert [p.clinic_number for p in desk.patients.search_patients(text)] == ["AZ-00012"], text
        patient = desk.patients.search_patients("zoe")[0]
        assert (patient.given_names, patient.family_name, patient.date_of_birth) == (
            "Zoë",
            "O'Brien",
            date(1990, 2, 3),
        )
        assert [getattr(patient, field) for field in DETAILS] == [""] * len(DETAILS)
        assert patient.archived is False
        assert desk.patients.patient_changes(patient.id) == []
        # The folded name was recomputed, so a second registration of her is noticed.
        with pytest.raises(PossibleDuplicate, match="AZ-00012"):
            desk.patients.register_patient("ZOE", "OBRIEN", "1990-02-03", "AZ-00099", 1)
        # And the new tables work: edits are kept, and kept changes cannot be altered.
        desk.patients.update_patient(patient.id, {"phone": "07700 900123"}, 1)
        with pytest.raises(IntegrityError, match="append-only"):
            run_sql(db, "DELETE FROM patient_change")
        assert count(db, "patient_change") == 1
    finally:
        db.close()

    # Opening again migrates nothing and takes no second backup.
    again = open_database(str(db_path))
    again.close()
    assert len(list(db_path.parent.glob(f"*.before-v*{db_path.suffix}"))) == 1


# --- migration 6 on an existing database -----------------------------------------------------------


@pytest.fixture
def unmigrated_url(backend: str, db_path: Path) -> Iterator[str]:
    """A database no migration has touched yet, on SQLite or PostgreSQL."""
    if backend == "sqlite":
        yield str(db_path)
    else:
        with fresh_postgres_database() as url:
            yield url


def test_migration_6_folds_the_stored_words_again_so_look_alike_names_are_found(
    unmigrated_url: str, procedure: Procedure, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:5])
        patch.setattr(migrations, "LATEST_VERSION", 5)
        old = migrated(unmigrated_url)
    try:
        assert migrations.schema_version(old) == 5
        with old.atomic():
            run_sql(
                old,
                "INSERT INTO staff (name, initials, role, active, created_at) "
                "VALUES ('Ann Nurse', 'AN', 'nurse', ?, '2025-06-01 08:00:00')",
                (True,),
            )
            # As the app before migration 6 stored them: folded for accents and case only.
            ids = []
            for given, family, number, words in (
                (f"J{CYRILLIC_O}hn", "Smith", "AZ-00012", (f"j{CYRILLIC_O}hn", "smith", "az00012", "00012")),
                ("Ann", "Smith", "AZ-00200", ("ann", "smith", "az00200", "00200")),
                # A Hangul filler, a letter that shows nothing, in her surname.
                ("Mia", "Le\u3164e", "AZ-00300", ("mia", "le\u1160e", "az00300", "00300")),
            ):
                folded = f"{given} {family}".lower()
                order = f"{words[1]}\x1f{words[0]}"
                patient_id = run_sql(
                    old,
                    "INSERT INTO patient (given_names, family_name, date_of_birth, clinic_number, "
                    "search_text, sort_key, created_at, created_by_id) "
                    "VALUES (?, ?, '1980-05-06', ?, ?, ?, '2025-06-01 09:00:00', 1) RETURNING id",
                    (given, family, number, folded, order),
                ).fetchone()[0]
                ids.append(patient_id)
                for word in words:
                    run_sql(
                        old,
                        "INSERT INTO patient_word (patient_id, word, sort_key, archived) VALUES (?, ?, ?, ?)",
                        (patient_id, word, order, False),
                    )
        ann_rows = run_sql(
            old, "SELECT id FROM patient_word WHERE patient_id = ? ORDER BY id", (ids[1],)
        ).fetchall()
    finally:
        old.close()

    db = migrated(unmigrated_url)
    try:
        assert migrations.schema_version(db) == migrations.LATEST_VERSION
        desk = Desk(db, procedure, clock, FAST_HASHER)
        for text in ("john smith", "john", "jo", "az-00012"):
            assert [p.clinic_number for p in desk.patients.search_patients(text)] == ["AZ-00012"], text
        assert [p.clinic_number for p in desk.patients.search_patients("smith")] == ["AZ-00200", "AZ-00012"]
        assert [p.clinic_number for p in desk.patients.search_patients("lee")] == ["AZ-00300"]
        mia = run_sql(
            db,
            "SELECT p.sort_key, w.sort_key FROM patient p JOIN patient_word w ON w.patient_id = p.id "
            "WHERE p.id = ?",
            (ids[2],),
        )
        assert set(mia.fetchall()) == {("lee\x1fmia", "lee\x1fmia")}  # the filler left out of both
        with pytest.raises(PossibleDuplicate, match="AZ-00012"):
            desk.patients.register_patient("John", "Smith", "1980-05-06", "AZ-00099", 1)
        stored = run_sql(db, "SELECT search_text, sort_key FROM patient WHERE id = ?", (ids[0],)).fetchone()
        assert stored == ("john smith", f"smith\x1fj{CYRILLIC_O}hn")  # lists still sort as written
        # A name whose words did not change keeps its rows: a clinic of Latin names migrates quickly.
        ann_now = run_sql(db, "SELECT id FROM patient_word WHERE patient_id = ? ORDER BY id", (ids[1],))
        assert ann_now.fetchall() == ann_rows
    finally:
        db.close()
