"""Photos live in the database (issue 21 point 2): a backup and its restore, and `migrate-to` a
PostgreSQL server, carry them with the records, byte for byte, still sealed (verify intact there, and
a photo changed on the server found)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from peewee import Database

from desk_app import cli
from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.procedure import Procedure
from desk_app.store import migrations
from desk_app.store.audit import verify_audit
from desk_app.store.backup import backup_now
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from desk_app.store.restoring import restore
from tests.support.people import FAST_HASHER, add_member
from tests.support.pg_databases import desk_address, emptied_postgres_database, owner_address
from tests.support.pg_server import DESK
from tests.support.raw_sql import run_sql
from tests.unit.test_audit_seals import drop_triggers
from tests.unit.test_photos_store import fake_jpeg


def add_photo(desk: Desk, nurse: Staff, session_id: int, view: str, seed: str) -> tuple[int, bytes]:
    """A photo of some 200 KB: its row spans many of SQLite's pages."""
    jpeg = fake_jpeg(seed, 200_000)
    info = desk.photos.add(
        session_id, view, "before", jpeg, fake_jpeg(seed, 900), 2560, 1920, "IMG.JPG", nurse.id
    )
    return info.id, jpeg


@pytest.fixture
def photographed(desk: Desk, nurse: Staff) -> tuple[int, int, bytes]:
    """A session with a front photo: (session, photo, its bytes)."""
    zoe = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-0001", nurse.id)
    session_id = desk.sessions.start_session(zoe.id, nurse.id).id
    return (session_id, *add_photo(desk, nurse, session_id, "front", "front"))


def test_a_backup_restored_brings_back_its_photos_sealed(
    tmp_path: Path,
    db: Database,
    db_path: Path,
    desk: Desk,
    nurse: Staff,
    procedure: Procedure,
    clock: ManualClock,
    photographed: tuple[int, int, bytes],
) -> None:
    session_id, photo_id, jpeg = photographed
    backup = backup_now(db_path, tmp_path / "backups", clock.now())
    later, _ = add_photo(desk, nurse, session_id, "left", "after the backup")
    db.close()
    restore(backup, db_path, clock.now())
    back = open_database(str(db_path), create=False)
    try:
        desk = Desk(back, procedure, clock, FAST_HASHER)
        assert [photo.id for photo in desk.photos.photos_of_session(session_id)] == [photo_id]
        assert desk.photos.open_photo(photo_id, nurse.id) == jpeg
        assert later != photo_id
        assert verify_audit(back).ok
    finally:
        back.close()


def test_migrate_to_carries_the_photos_byte_for_byte_and_still_sealed(
    db: Database,
    db_path: Path,
    nurse: Staff,
    procedure: Procedure,
    clock: ManualClock,
    photographed: tuple[int, int, bytes],
) -> None:
    session_id, photo_id, jpeg = photographed
    db.close()
    pg_url = owner_address(emptied_postgres_database())
    assert cli.main(["migrate-to", pg_url, "--desk-login", DESK, "--db", str(db_path)]) == 0
    target = open_database(desk_address(pg_url), create=False)
    try:
        assert verify_audit(target).ok  # each photo's seal: the same digest from bytea as from a BLOB
        clock.set(datetime.now(UTC))
        desk = Desk(target, procedure, clock, FAST_HASHER)
        (photo,) = desk.photos.photos_of_session(session_id)
        assert photo.id == photo_id
        assert desk.photos.open_photo(photo_id, nurse.id) == jpeg
        assert desk.photos.open_thumbnails([photo_id], nurse.id) == {photo_id: fake_jpeg("front", 900)}
        drop_triggers(target, "photo")
        run_sql(target, "UPDATE photo SET jpeg = ? WHERE id = ?", (fake_jpeg("retouched"), photo_id))
        assert f"photo row {photo_id} was changed outside the app" in str(verify_audit(target).problem)
    finally:
        target.close()


def test_a_file_from_before_photos_verifies_intact_and_takes_photos_once_opened(
    tmp_path: Path, procedure: Procedure, clock: ManualClock
) -> None:
    """A backup made before the photos' migration (no photo table) is checked before it is restored:
    its seals are read without one; opened, it is migrated and photos are added."""
    path = tmp_path / "before-photos.sqlite3"
    before_photos = [name for name, _ in migrations.MIGRATIONS].index("clinical photos")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:before_photos])
        patch.setattr(migrations, "LATEST_VERSION", before_photos)
        old = open_database(str(path))
        nurse = add_member(Desk(old, procedure, clock, FAST_HASHER), "Ann Nurse", "AN", "nurse")
        assert not old.table_exists("photo")
        assert verify_audit(old).ok
        old.close()
    db = open_database(str(path))
    try:
        desk = Desk(db, procedure, clock, FAST_HASHER)
        zoe = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-0001", nurse.id)
        add_photo(desk, nurse, desk.sessions.start_session(zoe.id, nurse.id).id, "front", "front")
        assert verify_audit(db).ok
    finally:
        db.close()
