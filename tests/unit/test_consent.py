"""The consent form and the signature (issue 21): a round trip keeps the same strokes, image and
digest; an empty or tiny signature is refused; a broken form file is a clear message."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desk_app.domain.consent import (
    BLANK_SIGNATURE,
    CONSENT_FORM_FILE,
    TOO_SMALL_SIGNATURE,
    ConsentForm,
    Signature,
    consent_digest,
    load_consent_form,
)
from desk_app.domain.errors import DomainError, ValidationError
from desk_app.paths import resource_path
from desk_app.store.demo_signatures import scribble

SIGNED_AT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def _digest(signature: Signature, form: ConsentForm, photos_allowed: bool = True) -> str:
    return consent_digest(signature.to_json(), signature.svg(), form, 7, 3, SIGNED_AT, 2, photos_allowed)


def test_the_clinics_form_loads_with_its_risks_and_a_photo_question() -> None:
    form = load_consent_form(resource_path(CONSENT_FORM_FILE))
    assert form.version and form.title
    text = " ".join(form.paragraphs)
    for told in ("anaesthetic", "eye shields", "4 to 5 days", "4 weeks", "withdraw", "scarring"):
        assert told in text
    assert "photograph" in form.photo_question


def test_a_signature_round_trip_keeps_strokes_image_and_digest() -> None:
    form = load_consent_form(resource_path(CONSENT_FORM_FILE))
    drawn = scribble(4)
    back = Signature.from_json(drawn.to_json())
    assert back == drawn
    assert back.strokes == drawn.strokes
    assert back.svg() == drawn.svg()
    assert _digest(back, form) == _digest(drawn, form)
    assert back.svg().startswith("<svg") and back.svg().count("<path") == len(drawn.strokes)


def test_the_digest_changes_with_any_stroke_answer_or_form_wording() -> None:
    form = load_consent_form(resource_path(CONSENT_FORM_FILE))
    drawn = scribble(4)
    first, *others = drawn.strokes
    nudged = Signature((((first[0][0] + 1, first[0][1], 0), *first[1:]), *others), drawn.width, drawn.height)
    assert _digest(nudged, form) != _digest(drawn, form)
    assert _digest(drawn, form, photos_allowed=False) != _digest(drawn, form)
    reworded = ConsentForm(form.version, form.title, form.text + " And more.", form.photo_question)
    assert _digest(drawn, reworded) != _digest(drawn, form)


@pytest.mark.parametrize(
    ("strokes", "message"),
    [
        ((), BLANK_SIGNATURE),
        (((),), BLANK_SIGNATURE),
        ((((300.0, 100.0, 0),),), TOO_SMALL_SIGNATURE),  # a dot
        ((((300.0, 100.0, 0), (310.0, 104.0, 20)),), TOO_SMALL_SIGNATURE),  # a tick
    ],
)
def test_a_blank_or_tiny_signature_is_refused(strokes: tuple, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Signature(strokes, 600, 200)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("point", "said"),
    [
        ((700.0, 10.0, 0), "outside the pad"),
        ((float("nan"), 10.0, 0), "not a number"),
        ((1.0, 2.0), "(x, y, time)"),
    ],
)
def test_a_signature_with_a_bad_point_is_refused(point: tuple, said: str) -> None:
    strokes = (*scribble(1).strokes, (point,))
    with pytest.raises(ValidationError, match=said):
        Signature(strokes, 600, 200)


@pytest.mark.parametrize("stored", ["not json", "[1, 2]", '{"width": 600, "height": 200, "strokes": 5}'])
def test_a_stored_signature_that_is_not_one_is_a_clear_message(stored: str) -> None:
    with pytest.raises(ValidationError, match="stored signature cannot be read"):
        Signature.from_json(stored)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b'version = "1.0"\ntitle = "Consent"\n', "'text' is missing or empty"),
        (b'version = "1.0"\ntitle = "Consent"\ntext = """\n"""\n', "'text' is missing or empty"),
        (b'version = "1.0\ntitle = "x"', "not valid TOML"),
        (b"\xff\xfe not text", "not UTF-8"),
        (b'version = "1.0"\ntitle = "C"\ntext = "T"\nsigned = true\n', "'signed' is not a field"),
        (b'version = "' + b"9" * 41 + b'"\ntitle = "C"\ntext = "T"\n', "longer than 40"),
    ],
)
def test_a_broken_form_file_is_a_clear_message(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / "consent.toml"
    path.write_bytes(content)
    with pytest.raises(DomainError, match=said) as refused:
        load_consent_form(path)
    assert "consent.toml" in str(refused.value)


def test_a_missing_form_file_is_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(DomainError, match=r"Consent form absent.toml: cannot be read"):
        load_consent_form(tmp_path / "absent.toml")


def test_a_form_file_that_is_a_fifo_or_a_folder_is_refused_without_waiting(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.toml")
    (tmp_path / "folder.toml").mkdir()
    with pytest.raises(DomainError, match="fifo.toml: not a regular file"):
        load_consent_form(tmp_path / "fifo.toml")
    with pytest.raises(DomainError, match="folder.toml"):
        load_consent_form(tmp_path / "folder.toml")


def test_a_huge_form_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    path.write_bytes(b"# " + b"x" * 300_000)
    with pytest.raises(DomainError, match="too large"):
        load_consent_form(path)
