"""Signed consent (issue 21): the form a patient reads, the signature they draw, and what is kept.

The form's text lives in the resources, versioned like the procedure (a change of wording is a new
version). A signature is the strokes drawn on the pad, each point with its time; its rendering as SVG
is deterministic, so the same strokes always give the same image and the same digest. The digest
(SHA-256) covers the strokes, the image, the form's version and text, the times and the answers: the
audit row carries it, so a consent changed outside the app no longer matches what was recorded.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desk_app.domain.errors import DomainError, ValidationError

# Where the clinic's consent form lives among the resources.
CONSENT_FORM_FILE = "consent/laser-resurfacing-consent.toml"
MAX_FORM_VERSION = 40  # as the procedure's consent item records it
MAX_FORM_FILE_BYTES = 256 * 1024

# A signature pad is a few hundred pixels wide; these bounds keep a stored signature small whatever
# the input device sends (a pen reports hundreds of points a second).
MAX_PAD_SIDE = 4000
MAX_STROKES = 200
MAX_POINTS = 20_000
MAX_SIGNING_MS = 30 * 60 * 1000
# A signature must be more than a dot or a tick: its ink spans at least this share of the pad's width
# (and MIN_EXTENT_PX), and its strokes are together at least twice that long.
MIN_EXTENT_SHARE = 0.08
MIN_EXTENT_PX = 20.0
BLANK_SIGNATURE = "The signature is empty: please ask the patient to sign in the box."
TOO_SMALL_SIGNATURE = (
    "The signature is too small to be a signature: please clear it and ask the patient to sign again."
)

Point = tuple[float, float, int]  # x, y in pad pixels; milliseconds since the first touch
Stroke = tuple[Point, ...]


@dataclass(frozen=True)
class ConsentForm:
    """One version of the clinic's consent form: what the patient reads and signs."""

    version: str
    title: str
    text: str
    photo_question: str = "I agree to clinical photographs being taken and kept with my treatment record."

    @property
    def paragraphs(self) -> list[str]:
        """The text's paragraphs (separated by a blank line), each on one line."""
        return [" ".join(block.split()) for block in self.text.split("\n\n") if block.strip()]


def load_consent_form(path: Path) -> ConsentForm:
    """Read the consent form file; every problem becomes a DomainError naming the file."""
    name = path.name
    try:
        # Without waiting: a FIFO put in the file's place would hold the open until someone wrote to it.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise DomainError(f"Consent form {name}: not a regular file.")
            raw = file.read(MAX_FORM_FILE_BYTES + 1)
    except OSError as error:
        raise DomainError(f"Consent form {name}: cannot be read ({error.strerror or error}).") from None
    if len(raw) > MAX_FORM_FILE_BYTES:
        raise DomainError(f"Consent form {name}: the file is too large to be a consent form.")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise DomainError(f"Consent form {name}: the file is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as error:
        raise DomainError(f"Consent form {name}: not valid TOML ({error}).") from None
    return consent_form_from(data, name)


def consent_form_from(data: dict[str, Any], name: str) -> ConsentForm:
    """A consent form from its file's values, each checked (`name` says which file in a message)."""
    values = {}
    for key in ("version", "title", "text"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise DomainError(f"Consent form {name}: '{key}' is missing or empty.")
        values[key] = value.strip()
    if len(values["version"]) > MAX_FORM_VERSION:
        raise DomainError(f"Consent form {name}: 'version' is longer than {MAX_FORM_VERSION} characters.")
    question = data.get("photo_question")
    if question is not None and (not isinstance(question, str) or not question.strip()):
        raise DomainError(f"Consent form {name}: 'photo_question' is empty.")
    if question is not None:
        values["photo_question"] = question.strip()
    unknown = sorted(set(data) - {"version", "title", "text", "photo_question"})
    if unknown:
        raise DomainError(f"Consent form {name}: '{unknown[0]}' is not a field of a consent form.")
    return ConsentForm(**values)


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError("The signature holds a point that is not a number; it was not kept.")
    return float(value)


def _time(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError("The signature holds a time that is not a number; it was not kept.")
    milliseconds = int(value)
    if not 0 <= milliseconds <= MAX_SIGNING_MS:
        raise ValidationError("The signature's times are out of range; it was not kept.")
    return milliseconds


def _side(value: object, which: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_PAD_SIDE:
        raise ValidationError(f"The signature pad's {which} is out of range; the signature was not kept.")
    return value


@dataclass(frozen=True)
class Signature:
    """A signature as drawn: its strokes in the pad's pixels, and the pad's size.

    Made from what the pad recorded, it is checked at once: an empty pad, a dot or a tick is refused
    (ValidationError, with the message for the nurse), and so is a point outside the pad (the pad
    clamps what it records to itself). Coordinates are kept as floats and times as integers, so a
    signature read back from its JSON is equal to the one stored, with the same SVG and digest."""

    strokes: tuple[Stroke, ...]
    width: int
    height: int

    def __post_init__(self) -> None:
        width, height = _side(self.width, "width"), _side(self.height, "height")
        strokes = tuple(self._stroke(stroke, width, height) for stroke in self.strokes if len(stroke))
        if len(strokes) > MAX_STROKES or sum(len(stroke) for stroke in strokes) > MAX_POINTS:
            raise ValidationError(
                "The signature has too many strokes to keep: please clear it and sign again."
            )
        object.__setattr__(self, "strokes", strokes)
        check_signature(self)

    @staticmethod
    def _stroke(stroke: Any, width: int, height: int) -> Stroke:
        points = []
        for point in stroke:
            if not isinstance(point, tuple | list) or len(point) != 3:
                raise ValidationError(
                    "The signature holds a point that is not (x, y, time); it was not kept."
                )
            x, y, at = _number(point[0]), _number(point[1]), _time(point[2])
            if not (0 <= x <= width and 0 <= y <= height):
                raise ValidationError("The signature holds a point outside the pad; it was not kept.")
            points.append((x, y, at))
        return tuple(points)

    def svg(self) -> str:
        """The signature drawn as SVG: black round-ended lines on a transparent pad of the same size.
        Deterministic (coordinates to a tenth of a pixel, a fixed layout): the image stored and printed."""
        paths = "".join(f'<path d="{_path_data(stroke)}"/>' for stroke in self.strokes)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}">'
            '<g fill="none" stroke="#000000" stroke-width="2.5" '
            'stroke-linecap="round" stroke-linejoin="round">'
            f"{paths}</g></svg>"
        )

    def to_json(self) -> str:
        """The signature as compact JSON, for storage: {"width", "height", "strokes": [[[x, y, t]...]...]}."""
        data = {
            "width": self.width,
            "height": self.height,
            "strokes": [list(map(list, s)) for s in self.strokes],
        }
        return json.dumps(data, separators=(",", ":"), sort_keys=True, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> Signature:
        """A stored signature read back; anything else than to_json's shape is a clear ValidationError."""
        try:
            data = json.loads(text)
        except (ValueError, TypeError):
            raise ValidationError("The stored signature cannot be read: it is not JSON.") from None
        if not isinstance(data, dict) or set(data) != {"width", "height", "strokes"}:
            raise ValidationError("The stored signature cannot be read: it is not a signature.")
        strokes = data["strokes"]
        if not isinstance(strokes, list) or not all(isinstance(stroke, list) for stroke in strokes):
            raise ValidationError("The stored signature cannot be read: its strokes are not lists.")
        return cls(tuple(tuple(stroke) for stroke in strokes), data["width"], data["height"])


def _coordinate(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _path_data(stroke: Stroke) -> str:
    """One stroke as an SVG path; a single point as a zero-length line, drawn as a round dot."""
    first, *rest = stroke
    start = f"M{_coordinate(first[0])} {_coordinate(first[1])}"
    if not rest:
        return f"{start}l0 0"
    return start + "".join(f"L{_coordinate(x)} {_coordinate(y)}" for x, y, _at in rest)


def check_signature(signature: Signature) -> None:
    """Refuse an empty pad, a dot or a tick: a signature spans a share of the pad and has some length."""
    points = [point for stroke in signature.strokes for point in stroke]
    if not points:
        raise ValidationError(BLANK_SIGNATURE)
    xs, ys = [point[0] for point in points], [point[1] for point in points]
    extent = max(max(xs) - min(xs), max(ys) - min(ys))
    ink = sum(
        math.dist(a[:2], b[:2])
        for stroke in signature.strokes
        for a, b in zip(stroke, stroke[1:], strict=False)
    )
    needed = max(MIN_EXTENT_PX, MIN_EXTENT_SHARE * signature.width)
    if extent < needed or ink < 2 * needed:
        raise ValidationError(TOO_SMALL_SIGNATURE)


def consent_digest(
    signature_json: str,
    svg: str,
    form: ConsentForm,
    patient_id: int,
    session_id: int | None,
    signed_at: datetime,
    witness_id: int,
    photos_allowed: bool,
) -> str:
    """SHA-256 (hex) of all a signed consent says: the strokes, their image, the form (version, title,
    text, photo question), who, when (UTC, to the microsecond) and the answers, as canonical JSON."""
    content = {
        "strokes": signature_json,
        "svg": svg,
        "form_version": form.version,
        "form_title": form.title,
        "form_text": form.text,
        "photo_question": form.photo_question,
        "patient": patient_id,
        "session": session_id,
        "signed_at": signed_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "witness": witness_id,
        "photos_allowed": photos_allowed,
    }
    text = json.dumps(content, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class SignedConsent:
    """A consent as stored: signed once, never changed; a withdrawal is recorded beside it."""

    id: int
    patient_id: int
    session_id: int | None
    form_version: str
    form_title: str
    signed_at: datetime  # UTC
    witness_id: int
    witness_name: str
    photos_allowed: bool
    digest: str
    svg: str
    withdrawn_at: datetime | None = None  # UTC
    withdrawn_by_name: str | None = None
    withdrawal_reason: str | None = None
    form_text: str = ""
    photo_question: str = ""

    @property
    def in_force(self) -> bool:
        """Not withdrawn (whether its form is still the current version is the store's to say)."""
        return self.withdrawn_at is None

    @property
    def form(self) -> ConsentForm:
        """The form as the patient read and signed it."""
        return ConsentForm(self.form_version, self.form_title, self.form_text, self.photo_question)
