"""Staff and patients: what they are, and the checks on what a user types about them."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from desk_app.domain import confusables
from desk_app.domain.dates import parse_user_date
from desk_app.domain.errors import ValidationError
from desk_app.domain.text import check_plain_text
from desk_app.domain.values import EARLIEST_DATE

NAME_MAX = 100
_INITIALS = re.compile(r"^[^\W\d_]{1,4}$")
_CLINIC_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$")


class Role(StrEnum):
    NURSE = "nurse"
    CLINICIAN = "clinician"
    ADMINISTRATOR = "administrator"


@dataclass(frozen=True)
class Staff:
    id: int
    name: str
    initials: str
    role: Role
    active: bool = True

    @property
    def is_clinician(self) -> bool:
        return self.role is Role.CLINICIAN


@dataclass(frozen=True)
class Patient:
    """A patient as registered: two identifiers (name and date of birth, clinic number) and details."""

    id: int
    given_names: str
    family_name: str
    date_of_birth: date
    clinic_number: str
    phone: str = ""
    email: str = ""
    fitzpatrick: str = ""
    allergies: str = ""
    notes: str = ""
    archived: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}"


def short_name(patient: Patient) -> str:
    """'Zoë O.': the first of the given names and the family name's initial, for shared screens."""
    first = patient.given_names.split()[0] if patient.given_names.split() else patient.given_names
    return f"{first} {patient.family_name[:1]}."


@dataclass(frozen=True)
class NewStaff:
    name: str
    initials: str
    role: Role


@dataclass(frozen=True)
class NewPatient:
    given_names: str
    family_name: str
    date_of_birth: date
    clinic_number: str


def _name(text: str, label: str) -> str:
    name = check_plain_text(text, label, NAME_MAX)
    # A 'letter' search folds away entirely (a modifier prime 'ʹ', say) would leave a name that no
    # search could ever find.
    if not any(character.isalpha() for character in name) or not search_key(name):
        raise ValidationError(f"{label} must contain letters.")
    return name


def check_new_staff(name: str, initials: str, role: str) -> NewStaff:
    """Validate a new member of staff: a real name, 1-4 letters of initials, a known role."""
    checked_name = _name(name, "Name")
    checked_initials = initials.strip().upper()
    if not _INITIALS.match(checked_initials):
        raise ValidationError("Initials: 1 to 4 letters, for example 'AB'.")
    try:
        checked_role = Role(role)
    except ValueError:
        raise ValidationError(f"Role must be one of: {', '.join(r.value for r in Role)}.") from None
    return NewStaff(checked_name, checked_initials, checked_role)


def check_new_patient(
    given_names: str, family_name: str, date_of_birth: date | str, clinic_number: str, today: date
) -> NewPatient:
    """Validate a new patient; a birth date must be real, not in the future, not absurdly old."""
    given = _name(given_names, "First names")
    family = _name(family_name, "Surname")
    if isinstance(date_of_birth, date):
        birth = date_of_birth
    else:
        parsed = parse_user_date(date_of_birth)
        if parsed is None:
            raise ValidationError("Date of birth is not a real date (for example 31/01/1990).")
        birth = parsed
    if birth > today:
        raise ValidationError("Date of birth cannot be in the future.")
    if birth < max(EARLIEST_DATE, date(today.year - 130, 1, 1)):
        raise ValidationError("Date of birth is too long ago to be right.")
    number = clinic_number.strip().upper()
    if not _CLINIC_NUMBER.match(number):
        raise ValidationError("Clinic number: up to 20 letters, digits or dashes, for example 'AZ-01234'.")
    return NewPatient(given, family, birth, number)


# Letters that carry their mark inside them, so Unicode decomposition cannot strip it.
_UNDECOMPOSABLE = str.maketrans(
    {"ł": "l", "ı": "i", "ø": "o", "đ": "d", "ħ": "h", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"}
)


# Hangul fillers: the only letters that show nothing (decomposition makes U+3164 and U+FFA0 into
# U+1160). Unicode's skeleton drops every invisible character; the others are not letters, so
# search drops them anyway.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160")


def _bare(text: str) -> str:
    """Decomposed, compatibility forms too ('ﬁ' is 'fi', '𝐉' is 'J'), without combining marks and
    invisible letters."""
    if text.isascii():
        return text  # most of what is typed: nothing to decompose
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c not in _INVISIBLE_LETTERS)


def _folded(bare: str) -> str:
    """Blind to case and accents (what lists sort by; search folds look-alikes as well)."""
    return bare.casefold().translate(_UNDECOMPOSABLE)


_NOT_ALPHANUMERIC = re.compile(r"[^\w\s]|_")  # \w is exactly str.isalnum() plus the underscore


def _words(folded: str) -> str:
    return " ".join(_NOT_ALPHANUMERIC.sub("", folded).split())


@functools.cache
def _look_alike_tables() -> tuple[dict[int, str], dict[int, str]]:
    """What each letter looks like (UTS #39), folded as search folds: one table for text already
    case-folded, one for the capitals that case folding robs of their look-alike. Made at the first
    search or registration, not at import: some 25 ms the start of the window need not wait for.

    Departures from Unicode's skeleton, each for the nurse at the keyboard: ASCII letters and every
    digit stay as they are (so 'I' is no 'l', '0' no 'O': clinic numbers and dates keep their
    digits), no letter becomes a digit, and 'rn' looks like 'm' rather than 'm' like 'rn' (or
    typing 'r' would list every Martin). Folding case first keeps search blind to case; a capital
    whose small letter looks like something else (Cyrillic 'В' is 'B', but 'в' a small capital 'ʙ')
    gets the second table.
    """
    prototypes = {
        source: "m" + prototype[2:] if prototype.startswith("rn") else prototype
        for source, prototype in confusables.prototypes().items()
        if source.isalpha() and not any(c.isdigit() for c in prototype)
    }
    mapping = str.maketrans(prototypes)
    caseless: dict[int, str] = {}
    for source in prototypes:
        key = source
        for _ in range(8):  # a prototype may fold to another letter that has one: follow it
            again = _folded(_bare(key.translate(mapping)))
            if again == key:
                break
            key = again
        if key != source:
            caseless[ord(source)] = key
    capitals: dict[int, str] = {}
    for source, prototype in prototypes.items():
        # Unicode writes capital I's look-alikes as 'l' (like the ASCII I it leaves alone here).
        looks_like = _bare("I" if prototype == "l" else prototype)
        latin = _words(_folded(looks_like))
        folded = _words(_folded(source).translate(caseless))
        if source != source.casefold() and looks_like.isascii() and latin.isalpha() and latin != folded:
            capitals[ord(source)] = looks_like
    return caseless, capitals


def _key(bare: str) -> str:
    # ASCII has no look-alikes to fold (see above) and lower() is its case fold: skip the tables.
    return _words(bare.lower() if bare.isascii() else _folded(bare).translate(_look_alike_tables()[0]))


def search_key(text: str) -> str:
    """Fold text for search blind to case, accents and look-alike letters: 'Zoë O'Brien' ->
    'zoe obrien', 'Łukasz' -> 'lukasz', 'Jоhn' with a Cyrillic 'о' -> 'john'."""
    return _key(_bare(text))


def search_keys(text: str) -> set[str]:
    """The text's search key and, when it has a look-alike capital that case folding loses, the
    key of what it looks like as written: {'ʙrown', 'brown'} for 'Вrown' with a Cyrillic 'В'."""
    bare = _bare(text)
    written = bare.translate(_look_alike_tables()[1])
    return {_key(bare), _key(written)} if written != bare else {_key(bare)}


def search_words(given_names: str, family_name: str, clinic_number: str) -> set[str]:
    """The words a patient is found by, each matched from its start: every name, each part of a
    name with punctuation in it ('O'Brien' gives 'obrien', 'o' and 'brien'), each as its look-alike
    capitals read too (search_keys), the clinic number with and without its letters."""
    words: set[str] = set()
    for name in f"{given_names} {family_name}".split():
        for written in {name, re.sub(r"[^\w]", " ", name)}:
            for key in search_keys(written):
                words.update(key.split())
    number = search_key(clinic_number)
    words.add(number)
    digits = number.lstrip("abcdefghijklmnopqrstuvwxyz")
    if digits:
        words.add(digits)
    return {word for word in words if word}


def sort_key(given_names: str, family_name: str) -> str:
    """Order for lists: by surname then first names, blind to case and accents ('de Souza' among
    the Ds, 'Ábel' among the As). Not to look-alikes: a Greek or Cyrillic name sorts in its own
    alphabet, not half in ours."""
    return f"{_words(_folded(_bare(family_name)))}\x1f{_words(_folded(_bare(given_names)))}"
