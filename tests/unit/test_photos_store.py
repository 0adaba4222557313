"""Clinical photos in the store (issue 21 point 2): kept with the session, listed without bytes,
every look audited, each import's SHA-256 in the audit trail, and a photo changed outside the app
found by `audit verify`."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from peewee import Database

from desk_app.domain.clock import ManualClock
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.people import Staff
from desk_app.domain.photos import PhotoStage, PhotoView
from desk_app.store.audit import verify_audit
from desk_app.store.desk import Desk
from desk_app.store.models import AuditLog, PhotoRow
from tests.support.camera_photos import exif_segment
from tests.support.consent import consented
from tests.support.raw_sql import run_sql
from tests.unit.test_audit_seals import drop_triggers

pytestmark = pytest.mark.both_databases


def fake_jpeg(seed: str, size: int = 600) -> bytes:
    """Bytes that start as a JPEG does: the store keeps what the import pipeline made, unread."""
    body = hashlib.sha256(seed.encode()).digest() * (size // 32 + 1)
    return b"\xff\xd8\xff\xe0" + body[:size]


def add(desk: Desk, session_id: int, staff: Staff, view: str, stage: str, seed: str) -> int:
    jpeg, thumbnail = fake_jpeg(seed), fake_jpeg(f"{seed} small", 100)
    return desk.photos.add(session_id, view, stage, jpeg, thumbnail, 800, 600, f"IMG_{seed}.JPG", staff.id).id


@pytest.fixture
def session_id(desk: Desk, nurse: Staff) -> int:
    zoe = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-0001", nurse.id)
    consented(desk, zoe.id, nurse)  # photos are kept only with the patient's agreement to them
    return desk.sessions.start_session(zoe.id, nurse.id).id


def last_audit(desk: Desk) -> AuditLog:
    return AuditLog.select().order_by(AuditLog.id.desc()).get()


def test_a_photo_is_kept_with_its_session_and_its_sha256_in_the_audit_trail(
    desk: Desk, nurse: Staff, session_id: int
) -> None:
    jpeg = fake_jpeg("front")
    info = desk.photos.add(
        session_id, PhotoView.FRONT, PhotoStage.BEFORE, jpeg, fake_jpeg("t", 90), 800, 600,
        "/media/card/DCIM/100CANON/IMG_0001.JPG", nurse.id,
    )  # fmt: skip
    assert (info.view, info.stage, info.session_number) == (PhotoView.FRONT, PhotoStage.BEFORE, 1)
    assert (info.source_name, info.width, info.height) == ("IMG_0001.JPG", 800, 600)
    assert info.imported_by_name == "Ann Nurse"
    assert info.sha256 == hashlib.sha256(jpeg).hexdigest()
    row = last_audit(desk)
    assert (row.action, row.subject, row.subject_id) == ("photo imported", "photo", info.id)
    assert json.loads(row.detail)["sha256"] == info.sha256
    assert verify_audit(desk.db).ok


def test_photos_are_listed_by_session_then_before_after_and_view_without_bytes(
    desk: Desk, nurse: Staff, session_id: int, clock: ManualClock
) -> None:
    after = add(desk, session_id, nurse, "front", "after", "a")
    right = add(desk, session_id, nurse, "right", "before", "r")
    front = add(desk, session_id, nurse, "front", "before", "f")
    patient_id = desk.sessions.session(session_id).patient.id
    desk.sessions.abort(session_id, "Patient felt unwell", nurse.id)
    clock.advance(days=1)
    second = desk.sessions.start_session(patient_id, nurse.id).id
    later = add(desk, second, nurse, "left", "before", "l")
    assert [photo.id for photo in desk.photos.photos_of_session(session_id)] == [front, right, after]
    listed = desk.photos.photos_of_patient(patient_id)
    assert [photo.id for photo in listed] == [front, right, after, later]
    assert [photo.session_id for photo in listed] == [session_id, session_id, session_id, second]
    assert listed[-1].session_date == listed[0].session_date + timedelta(days=1)
    assert desk.photos.photos_of_patient(patient_id + 1) == []


def test_opening_thumbnails_or_a_photo_gives_its_bytes_and_is_audited(
    desk: Desk, nurse: Staff, session_id: int
) -> None:
    first = add(desk, session_id, nurse, "front", "before", "f")
    second = add(desk, session_id, nurse, "left", "before", "l")
    thumbnails = desk.photos.open_thumbnails([first, second], nurse.id)
    assert thumbnails == {first: fake_jpeg("f small", 100), second: fake_jpeg("l small", 100)}
    row = last_audit(desk)
    assert (row.action, row.staff_id, row.subject) == ("photos viewed", nurse.id, "patient")
    assert json.loads(row.detail)["photos"] == [first, second]
    assert desk.photos.open_photo(second, nurse.id) == fake_jpeg("l")
    row = last_audit(desk)
    assert (row.action, json.loads(row.detail)) == (
        "photos viewed",
        {"photos": [second], "size": "full size", "patients": [row.subject_id]},
    )


def test_opening_an_unknown_photo_is_refused_and_audits_nothing(
    desk: Desk, nurse: Staff, session_id: int
) -> None:
    known = add(desk, session_id, nurse, "front", "before", "f")
    before = last_audit(desk).id
    with pytest.raises(ActionRefused, match=f"Photo {known + 1} is not known"):
        desk.photos.open_thumbnails([known, known + 1], nurse.id)
    with pytest.raises(ActionRefused, match=f"Photo {known + 1} is not known"):
        desk.photos.open_photo(known + 1, nurse.id)
    assert last_audit(desk).id == before


@pytest.mark.postgresql_for("The photo is not a JPEG image")  # the others differ in the app, not in SQL
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"jpeg": b"GIF89a..."}, "The photo is not a JPEG image"),
        ({"thumbnail": b""}, "The thumbnail is not a JPEG image"),
        ({"view": "back"}, "'back' is not a photo view"),
        ({"stage": "during"}, "'during' is not a photo stage"),
        ({"width": 0}, "1 to 2560 pixels a side"),
        ({"source_name": "/media/card/\n"}, "file name is empty"),
    ],
)
def test_bad_photo_values_are_refused_and_nothing_is_stored(
    desk: Desk, nurse: Staff, session_id: int, change: dict, message: str
) -> None:
    values = {
        "view": "front", "stage": "before", "jpeg": fake_jpeg("x"), "thumbnail": fake_jpeg("y"),
        "width": 800, "height": 600, "source_name": "IMG_1.JPG",
    }  # fmt: skip
    with pytest.raises(ValidationError, match=message):
        desk.photos.add(session_id, **(values | change), staff_id=nurse.id)
    assert PhotoRow.select().count() == 0


def test_the_same_photo_twice_an_unknown_session_or_a_session_of_an_earlier_day_are_refused(
    desk: Desk, nurse: Staff, session_id: int, clock: ManualClock
) -> None:
    add(desk, session_id, nurse, "front", "before", "f")
    with pytest.raises(ActionRefused, match=r"stored already for this session \(before, front\)"):
        add(desk, session_id, nurse, "left", "after", "f")
    with pytest.raises(ActionRefused, match="That session is not known"):
        add(desk, session_id + 1, nurse, "front", "before", "g")
    desk.sessions.abort(session_id, "Patient felt unwell", nurse.id)
    add(desk, session_id, nurse, "front", "after", "same day: the card read at the end of the day")
    clock.advance(days=1)
    with pytest.raises(ActionRefused, match="Session 1 ended on an earlier day"):
        add(desk, session_id, nurse, "right", "after", "next day")
    assert PhotoRow.select().count() == 2


def test_the_database_refuses_to_change_or_remove_a_photo(desk: Desk, nurse: Staff, session_id: int) -> None:
    photo = add(desk, session_id, nurse, "front", "before", "f")
    for statement in ("UPDATE photo SET view = 'left' WHERE id = ?", "DELETE FROM photo WHERE id = ?"):
        with pytest.raises(Exception, match="append-only"), desk.db.atomic():
            run_sql(desk.db, statement, (photo,))


def photo_sealed_by(db: Database, photo_id: int) -> int:
    pattern = f'%"photo:{photo_id}"%'
    return run_sql(db, "SELECT max(id) FROM audit_log WHERE detail LIKE ?", (pattern,)).fetchone()[0]


def test_verify_finds_a_photo_changed_outside_the_app(desk: Desk, nurse: Staff, session_id: int) -> None:
    photo = add(desk, session_id, nurse, "front", "before", "f")
    add(desk, session_id, nurse, "left", "before", "l")
    drop_triggers(desk.db, "photo")
    run_sql(desk.db, "UPDATE photo SET jpeg = ? WHERE id = ?", (fake_jpeg("retouched"), photo))
    report = verify_audit(desk.db)
    assert report.problem == (
        f"photo row {photo} was changed outside the app "
        f"(its last recorded change is audit row {photo_sealed_by(desk.db, photo)})"
    )


def test_verify_finds_a_photo_removed_outside_the_app(desk: Desk, nurse: Staff, session_id: int) -> None:
    photo = add(desk, session_id, nurse, "front", "before", "f")
    drop_triggers(desk.db, "photo")
    run_sql(desk.db, "DELETE FROM photo WHERE id = ?", (photo,))
    assert verify_audit(desk.db).problem == (
        f"photo row {photo} was removed outside the app "
        f"(its last recorded change is audit row {photo_sealed_by(desk.db, photo)})"
    )


@pytest.mark.parametrize(
    ("consent", "refusal"),
    [
        ("none signed", "No consent to photos is on file for this patient"),
        ("photos refused", r"The patient did not agree to photos \(consent signed 25 Nov 2026\)"),
        ("withdrawn", "No consent to photos is on file for this patient"),
    ],
)
def test_a_photo_is_kept_only_with_the_patients_agreement_to_photos(
    desk: Desk, nurse: Staff, consent: str, refusal: str
) -> None:
    """Photo consent is its own answer (the patient may refuse photos and still be treated)."""
    bea = desk.patients.register_patient("Bea", "Lund", "1985-06-07", "AZ-0002", nurse.id)
    if consent == "photos refused":
        consented(desk, bea.id, nurse, photos=False)
    elif consent == "withdrawn":
        desk.consents.withdraw(consented(desk, bea.id, nurse).id, "She no longer agrees", nurse.id)
    session_id = desk.sessions.start_session(bea.id, nurse.id).id
    rows = PhotoRow.select().count()
    with pytest.raises(ActionRefused, match=refusal):
        add(desk, session_id, nurse, "front", "before", "bea")
    assert PhotoRow.select().count() == rows


@pytest.mark.parametrize("which", ["photo", "thumbnail"])
def test_bytes_still_carrying_exif_and_gps_are_not_stored(
    desk: Desk, nurse: Staff, session_id: int, which: str
) -> None:
    """Only the import strips metadata; bytes that did not come through it (a caller of the store's
    own) are refused, so no stored photo can say where it was taken."""
    plain = fake_jpeg("exif")
    with_gps = plain[:2] + exif_segment(orientation=1) + plain[2:]
    photo, thumbnail = (with_gps, fake_jpeg("t", 90)) if which == "photo" else (plain, with_gps)
    with pytest.raises(ValidationError, match=f"The {which} still carries metadata"):
        desk.photos.add(session_id, "front", "before", photo, thumbnail, 800, 600, "IMG.JPG", nurse.id)
    assert PhotoRow.select().count() == 0
