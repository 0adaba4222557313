"""Backups as the clinic manager meets them: a private, whole copy with every row of the live
database; a restore that puts a checked backup back and keeps what it replaced; rotation to 14
daily and 8 weekly copies; `desk-app backup/restore/check`; and the automatic daily backup, whose
failure is said on screen."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from peewee import Database

from desk_app.cli import main
from desk_app.domain.clock import ManualClock
from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import Patient, Staff
from desk_app.domain.procedure import Procedure
from desk_app.store.backup import (
    BackupError,
    backup_name,
    backup_now,
    backup_to,
    check_file,
    has_backup_of,
    rotate,
)
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from desk_app.store.migrations import LATEST_VERSION
from desk_app.store.models import database_proxy
from desk_app.store.restoring import restore
from desk_app.ui.backups import BackupKeeper
from tests.conftest import START
from tests.support.people import FAST_HASHER
from tests.support.walk import signed_out_session

BACKUP_NAME = re.compile(r"^treatment-desk-[0-9a-f]{12}-(\d{4}-\d{2}-\d{2}T\d{6})Z\.sqlite3$")
# The id of the database whose backups the rotation tests plant.
PLANTED_ID = "0123456789abcdef0123456789abcdef"
PAGE = 4096


# --- helpers -------------------------------------------------------------------------------------


def day_in(name: str) -> str:
    """The UTC date in a backup's name."""
    return BACKUP_NAME.match(name)[1][:10]


def time_in(name: str) -> str:
    return BACKUP_NAME.match(name)[1][11:17]


def id_of(path: Path) -> str:
    with read_only(path) as connection:
        return connection.execute("SELECT value FROM clinic_setting WHERE key = 'database id'").fetchone()[0]


@contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
        yield connection


def all_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table (and the schema itself), in rowid order."""
    with read_only(path) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        found = {
            table: connection.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()
            for table in tables
        }
        found["(schema)"] = connection.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
    return found


def before_the_backups_row(live: Path) -> dict[str, list[tuple]]:
    """The live database's rows but its last audit row, which records the backup just taken (and
    names it: the backup cannot hold it)."""
    rows = all_rows(live)
    *earlier, last = rows["audit_log"]
    assert last[3] == "database backed up"
    return rows | {"audit_log": earlier}


def restored_rows(path: Path, source: Path) -> dict[str, list[tuple]]:
    """Every row of a restored database but the audit row that records the restore (checked here)."""
    rows = all_rows(path)
    record = rows["audit_log"].pop()
    assert record[3] == "database restored from a backup"
    assert json.loads(record[6])["from"] == str(source)
    return rows


def integrity(path: Path) -> list[tuple]:
    with read_only(path) as connection:
        return connection.execute("PRAGMA integrity_check").fetchall()


def mode_of(path: Path) -> int:
    return path.stat().st_mode & 0o777


def backup_of(live: Path, target: Path) -> Path:
    with read_only(live) as source:
        backup_to(source, target)
    return target


def leftovers(folder: Path) -> list[str]:
    """Working files a backup or a restore must not leave behind."""
    return sorted(
        name for name in os.listdir(folder) if name.endswith((".part", ".restoring", "-wal", "-shm"))
    )


def foreign_database(path: Path) -> Path:
    """A SQLite file of another program (application_id 0), with a patient table of its own."""
    with closing(sqlite3.connect(path)) as other:
        other.execute("CREATE TABLE patient (id INTEGER PRIMARY KEY, name TEXT)")
        other.execute("INSERT INTO patient (name) VALUES ('someone else')")
        other.commit()
    return path


def damage(path: Path, how: str) -> None:
    size = path.stat().st_size
    middle = (size // PAGE // 2) * PAGE
    if how == "truncated":
        os.truncate(path, middle + 123)
    else:  # three whole pages in the middle overwritten
        with path.open("r+b") as handle:
            handle.seek(middle)
            handle.write(b"\xa5" * (3 * PAGE))


def newer_schema(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute(
            "INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)",
            (LATEST_VERSION + 1, "from a newer app", "2030-01-01T00:00:00Z"),
        )
        connection.commit()


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def clinic(desk: Desk, clock: ManualClock, admin: Staff, nurse: Staff, clinician: Staff) -> list[Patient]:
    """Three patients, one of them with a whole signed-out session."""
    patients = [
        desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-0001", nurse.id),
        desk.patients.register_patient("Ann", "Smith", "1975-06-30", "AZ-0002", nurse.id),
        desk.patients.register_patient("Raj", "Patel", "1988-12-01", "AZ-0003", nurse.id),
    ]
    signed_out_session(desk, clock, patients[0].id, nurse)
    return patients


@pytest.fixture
def small_backup(tmp_path: Path, db: Database, db_path: Path) -> Path:
    """A real backup of a fresh database, outside the folders the tests rotate."""
    store = tmp_path / "store"
    store.mkdir()
    return backup_of(db_path, store / "fresh.sqlite3")


# --- 1. a backup is a whole, private, single-file copy --------------------------------------------


def test_a_backup_holds_every_row_of_the_live_database_in_one_private_file(
    tmp_path: Path, db_path: Path, clinic: list[Patient]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / "copy.sqlite3"
    with read_only(db_path) as source:
        checked = backup_to(source, target)

    assert checked.ok, checked.problem
    assert (checked.patients, checked.sessions, checked.schema) == (3, 1, LATEST_VERSION)
    assert mode_of(target) == 0o600
    assert integrity(target) == [("ok",)]
    live = all_rows(db_path)
    copy = all_rows(target)
    assert {"patient", "treatment_session", "session_event", "staff", "schema_migration"} <= set(copy)
    assert copy == live
    assert len(copy["patient"]) == 3 and copy["session_event"]
    # One self-contained file: no -wal or -shm beside it, no working file, a rollback-journal header.
    assert sorted(os.listdir(out)) == ["copy.sqlite3", "copy.sqlite3.checkpoint.json"]  # and its checkpoint
    assert target.read_bytes()[18:20] == b"\x01\x01"


def test_a_backup_is_made_while_another_desk_is_in_the_middle_of_a_write(
    tmp_path: Path, db_path: Path, clinic: list[Patient]
) -> None:
    committed = all_rows(db_path)
    with closing(sqlite3.connect(db_path, isolation_level=None, timeout=0)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO clinic_setting (key, value) VALUES ('probe', 'not yet committed')")
        made = backup_now(db_path, tmp_path / "backups", START)  # online: not blocked by the writer
        writer.execute("COMMIT")

    assert check_file(made).ok
    assert all_rows(made) == committed  # a consistent snapshot: the unfinished write is not in it
    assert ("probe", "not yet committed") in all_rows(db_path)["clinic_setting"]


# --- 2. backup_to refuses rather than overwrite, and leaves nothing half-made ----------------------


def test_a_backup_never_overwrites_an_existing_file(tmp_path: Path, db: Database, db_path: Path) -> None:
    existing = tmp_path / "keep me.sqlite3"
    existing.write_bytes(b"the manager's own file")
    listing = sorted(os.listdir(tmp_path))

    with read_only(db_path) as source, pytest.raises(BackupError, match="already exists"):
        backup_to(source, existing)

    assert existing.read_bytes() == b"the manager's own file"
    assert sorted(os.listdir(tmp_path)) == listing  # no working file left


def test_a_backup_into_a_missing_folder_is_refused(tmp_path: Path, db: Database, db_path: Path) -> None:
    target = tmp_path / "USB disk not plugged in" / "copy.sqlite3"

    with read_only(db_path) as source, pytest.raises(BackupError, match="does not exist"):
        backup_to(source, target)

    assert not target.parent.exists()


def test_a_backup_that_fails_leaves_no_part_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / "copy.sqlite3"
    # Not a Treatment Desk database: the copy is made, then fails its check.
    foreign = foreign_database(tmp_path / "other.sqlite3")
    with read_only(foreign) as source, pytest.raises(BackupError, match="did not check out"):
        backup_to(source, target)
    # A source that cannot be read at all.
    source = sqlite3.connect(tmp_path / "other.sqlite3")
    source.close()
    with pytest.raises(BackupError, match="No backup was made"):
        backup_to(source, target)

    assert os.listdir(out) == []


# --- 3. rotation: the newest of each of 14 days, then of each of 8 weeks ---------------------------


def expected_survivors(names: list[str]) -> set[str]:
    """Worked out from the rule, file by file: a backup stays when it is the newest of one of the 14
    newest days that have a backup, or the newest of one of the 8 newest ISO weeks among the days
    older than those."""
    day_of = {name: date.fromisoformat(day_in(name)) for name in names}
    days = sorted(set(day_of.values()), reverse=True)
    daily = set(days[:14])
    older = [name for name in names if day_of[name] not in daily]

    def week(name: str) -> tuple[int, int]:
        year, number, _ = day_of[name].isocalendar()
        return year, number

    latest_weeks = sorted({week(name) for name in older}, reverse=True)[:8]
    keep = set()
    for name in names:
        same_day = [other for other in names if day_of[other] == day_of[name]]
        if day_of[name] in daily and name == max(same_day):
            keep.add(name)
        same_week = [other for other in older if week(other) == week(name)]
        if name in older and week(name) in latest_weeks and name == max(same_week):
            keep.add(name)
    return keep


def plant(folder: Path, backup: Path, last_day: date, span: int, gaps: bool) -> list[str]:
    """Backups named for `span` days up to `last_day`: one at 02:00 every day (but for a few missing
    days when `gaps`), a second one on every third day, a third one on every fifth."""
    names = []
    for back in range(span):
        if gaps and back % 9 == 4:
            continue
        day = last_day - timedelta(days=back)
        times = [time(2, 0, 0)]
        if back % 3 == 0:
            times.append(time(17, 30, 15))
        if back % 5 == 0:
            times.append(time(23, 59, 59))
        for moment in times:
            name = backup_name(datetime.combine(day, moment, UTC), PLANTED_ID)
            shutil.copyfile(backup, folder / name)
            names.append(name)
    return names


OTHERS = {
    "notes.txt": b"which disk went to the bank",
    "desk.sqlite3": b"not a backup",
    "treatment-desk-2026-09-01.sqlite3": b"no time in the name",
    "treatment-desk-2026-09-01T020000Z.sqlite3.bak": b"renamed by hand",
    "treatment-desk-2026-09-01T020000Z.SQLITE3": b"other case",
    "old-treatment-desk-2026-09-01T020000Z.sqlite3": b"prefixed",
    ".treatment-desk-2026-09-01T020000Z.sqlite3.part": b"a working file",
}


@pytest.mark.parametrize(
    ("span", "gaps"), [(60, False), (100, True)], ids=["60 consecutive days", "100 days with gaps"]
)
def test_rotation_keeps_14_daily_and_8_weekly_backups_and_nothing_else_of_its_own(
    tmp_path: Path, small_backup: Path, span: int, gaps: bool
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    names = plant(folder, small_backup, date(2026, 11, 25), span, gaps)
    for name, content in OTHERS.items():
        (folder / name).write_bytes(content)
    (folder / "a folder").mkdir()
    (folder / "a folder" / names[-1]).write_bytes(b"in a subfolder")
    stamps = {name: os.stat(folder / name).st_mtime_ns for name in OTHERS}
    expected = expected_survivors(names)

    removed = rotate(folder, PLANTED_ID)

    remaining = {name for name in os.listdir(folder) if BACKUP_NAME.match(name)}
    assert remaining == expected
    assert {path.name for path in removed} == set(names) - expected
    assert len(expected) == 14 + 8
    for name, content in OTHERS.items():
        assert (folder / name).read_bytes() == content
        assert os.stat(folder / name).st_mtime_ns == stamps[name]
    assert (folder / "a folder" / names[-1]).read_bytes() == b"in a subfolder"
    assert all(check_file(folder / name).ok for name in remaining)
    if span == 60:
        # Worked out on a calendar: 25 Nov 2026 is a Wednesday, 27 Sep 2026 (the first day) a Sunday.
        daily = [date(2026, 11, 25) - timedelta(days=n) for n in range(14)]
        weekly = ["11-11", "11-08", "11-01", "10-25", "10-18", "10-11", "10-04", "09-27"]
        kept_days = sorted(day_in(name) for name in remaining)
        assert kept_days == sorted([day.isoformat() for day in daily] + [f"2026-{d}" for d in weekly])
        for name in remaining:  # the newest of its day: the evening one where a day had two or three
            day = date.fromisoformat(day_in(name))
            back = (date(2026, 11, 25) - day).days
            newest = "235959" if back % 5 == 0 else "173015" if back % 3 == 0 else "020000"
            assert time_in(name) == newest
    else:
        assert len(set(names)) > len(expected) + 30  # the 8-week limit did remove older weeks


def test_rotation_of_a_few_days_removes_only_the_older_backups_of_a_day(
    tmp_path: Path, small_backup: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    names = plant(folder, small_backup, date(2026, 11, 25), 10, gaps=False)

    removed = rotate(folder, PLANTED_ID)

    assert len(os.listdir(folder)) == 10
    assert {path.name for path in removed} == {
        name
        for name in names
        if time_in(name) != max(time_in(other) for other in names if day_in(other) == day_in(name))
    }
    assert rotate(folder, PLANTED_ID) == []


def test_has_backup_of_looks_only_at_backups_of_that_day_of_that_database(
    tmp_path: Path, small_backup: Path
) -> None:
    folder = tmp_path / "backups"
    day = date(2026, 11, 25)
    assert not has_backup_of(folder, day, PLANTED_ID)  # no folder yet
    folder.mkdir()
    (folder / "treatment-desk-2026-11-25.sqlite3").write_bytes(b"not one of ours")
    assert not has_backup_of(folder, day, PLANTED_ID)
    late = datetime(2026, 11, 24, 23, 59, 59, tzinfo=UTC)
    shutil.copyfile(small_backup, folder / backup_name(late, PLANTED_ID))
    assert not has_backup_of(folder, day, PLANTED_ID)
    early = datetime(2026, 11, 25, 0, 0, 1, tzinfo=UTC)
    shutil.copyfile(small_backup, folder / backup_name(early, "fedcba9876543210fedcba9876543210"))
    assert not has_backup_of(folder, day, PLANTED_ID)  # another database's
    shutil.copyfile(small_backup, folder / backup_name(early, PLANTED_ID))
    assert has_backup_of(folder, day, PLANTED_ID)


# --- 4. restore ----------------------------------------------------------------------------------


@pytest.fixture
def taken(tmp_path: Path, db_path: Path, clinic: list[Patient]) -> Path:
    """A backup of the clinic, outside the database's folder."""
    store = tmp_path / "store"
    store.mkdir()
    return backup_of(db_path, store / "taken.sqlite3")


def test_restore_puts_the_backup_back_and_keeps_the_database_it_replaced(
    tmp_path: Path,
    db: Database,
    db_path: Path,
    desk: Desk,
    nurse: Staff,
    taken: Path,
    procedure: Procedure,
    clock: ManualClock,
) -> None:
    desk.patients.register_patient("Late", "Arrival", "2000-01-01", "AZ-0099", nurse.id)  # after the backup
    replaced = all_rows(db_path)
    db.close()

    kept = restore(taken, db_path, datetime(2026, 11, 25, 9, 30, 5, tzinfo=UTC)).kept

    assert leftovers(db_path.parent) == []  # one file: no -wal, -shm or working file beside it
    assert restored_rows(db_path, taken) == all_rows(taken)
    assert integrity(db_path) == [("ok",)]
    assert mode_of(db_path) == 0o600
    assert kept == db_path.with_name("desk.replaced-20261125T093005Z.sqlite3")
    assert all_rows(kept) == replaced
    assert integrity(kept) == [("ok",)]
    reopened = open_database(str(db_path), create=False)
    try:
        back = Desk(reopened, procedure, clock, FAST_HASHER)
        zoe = back.patients.patient_by_clinic_number("AZ-0001")
        assert zoe.family_name == "O'Brien"
        assert len(back.sessions.patient_history(zoe.id).sessions) == 1
        with pytest.raises(ActionRefused):
            back.patients.patient_by_clinic_number("AZ-0099")
    finally:
        reopened.close()
        database_proxy.initialize(db)


def _missing(path: Path) -> None:
    path.unlink()


def _foreign(path: Path) -> None:
    path.unlink()
    foreign_database(path)


BAD_BACKUPS = {
    "truncated in the middle": (lambda path: damage(path, "truncated"), "cannot be read|damaged"),
    "bytes overwritten in the middle": (lambda path: damage(path, "overwritten"), "cannot be read|damaged"),
    "another program's database": (_foreign, "not a Treatment Desk database"),
    "a newer schema": (newer_schema, "schema"),
    "a missing file": (_missing, "there is no such file"),
}


@pytest.mark.parametrize("kind", BAD_BACKUPS)
def test_a_bad_backup_is_refused_and_the_live_database_is_left_byte_for_byte(
    db: Database, db_path: Path, taken: Path, kind: str
) -> None:
    spoil, message = BAD_BACKUPS[kind]
    bad = taken.with_name("bad.sqlite3")
    shutil.copyfile(taken, bad)
    spoil(bad)
    db.close()
    before = db_path.read_bytes()
    listing = sorted(os.listdir(db_path.parent))

    assert not check_file(bad).ok
    with pytest.raises(BackupError, match=f"Not restored: .*({message}).*left as it was"):
        restore(bad, db_path, START)

    assert db_path.read_bytes() == before
    assert sorted(os.listdir(db_path.parent)) == listing  # no kept copy, no working file


def test_a_newer_schema_backup_is_refused_naming_its_schema(db: Database, db_path: Path, taken: Path) -> None:
    newer_schema(taken)
    db.close()
    with pytest.raises(BackupError, match=rf"schema \({LATEST_VERSION + 1}\) is not one this version"):
        restore(taken, db_path, START)


def test_restore_replaces_a_live_database_whose_first_page_is_destroyed(
    db: Database, db_path: Path, taken: Path
) -> None:
    db.close()
    with db_path.open("r+b") as handle:
        handle.write(b"\x00" * 100)
    destroyed = db_path.read_bytes()

    kept = restore(taken, db_path, START).kept

    assert restored_rows(db_path, taken) == all_rows(taken)
    assert kept.read_bytes() == destroyed


def test_two_restores_in_the_same_second_keep_both_replaced_databases(
    db: Database, db_path: Path, desk: Desk, nurse: Staff, taken: Path
) -> None:
    desk.patients.register_patient("Late", "Arrival", "2000-01-01", "AZ-0099", nurse.id)
    original = all_rows(db_path)
    db.close()
    moment = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)

    restore(taken, db_path, moment)
    restore(taken, db_path, moment)

    kept = [path for path in db_path.parent.iterdir() if ".replaced-" in path.name]
    assert any(all_rows(path) == original for path in kept)


# --- 5. check_file and `desk-app check` ----------------------------------------------------------


def test_check_says_an_intact_database_is_intact_with_its_counts(
    db_path: Path, clinic: list[Patient], db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--db", str(db_path)]) == 0
    out, err = capsys.readouterr()
    assert "intact" in out and err == ""
    assert re.search(r"3 patients, 1 sessions?\b", out)
    assert check_file(db_path).ok  # read-only: the open app may go on
    database_proxy.initialize(db)


def test_check_says_a_damaged_database_is_not_usable(
    db: Database, db_path: Path, clinic: list[Patient], capsys: pytest.CaptureFixture[str]
) -> None:
    db.close()
    damage(db_path, "overwritten")

    assert main(["check", "--db", str(db_path)]) == 1
    out, err = capsys.readouterr()
    assert "NOT usable" in err and out == ""


def test_check_of_a_foreign_file_says_it_is_not_ours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = foreign_database(tmp_path / "other.sqlite3")
    before = other.read_bytes()

    assert main(["check", "--db", str(other)]) == 1
    assert "NOT usable: it is not a Treatment Desk database" in capsys.readouterr().err
    assert other.read_bytes() == before


def test_check_of_a_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # No database at all is 2, as for `desk-app backup`; a damaged one is 1.
    missing = tmp_path / "nowhere.sqlite3"
    assert main(["check", "--db", str(missing)]) == 2
    assert "NOT usable: there is no such file" in capsys.readouterr().err
    assert not missing.exists()


# --- 6. `desk-app backup` and `desk-app restore` -------------------------------------------------


def test_cli_backup_into_a_folder_names_the_file_by_date_and_time(
    tmp_path: Path, db: Database, db_path: Path, clinic: list[Patient], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "usb"
    folder.mkdir()
    before = datetime.now(UTC).replace(microsecond=0)

    assert main(["backup", str(folder), "--db", str(db_path)]) == 0

    after = datetime.now(UTC)
    (name, sidecar) = sorted(os.listdir(folder))
    assert sidecar == f"{name}.checkpoint.json"
    match = BACKUP_NAME.match(name)
    assert match, name
    assert before <= datetime.strptime(match.group(1), "%Y-%m-%dT%H%M%S").replace(tzinfo=UTC) <= after
    out = capsys.readouterr().out
    assert f"Backed up to {folder / name}" in out
    assert all_rows(folder / name) == before_the_backups_row(db_path)
    assert mode_of(folder / name) == 0o600
    database_proxy.initialize(db)


def test_cli_backup_to_a_new_file(
    tmp_path: Path, db: Database, db_path: Path, clinic: list[Patient], capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "friday.sqlite3"
    assert main(["--db", str(db_path), "backup", str(target)]) == 0
    assert all_rows(target) == before_the_backups_row(db_path)
    assert integrity(target) == [("ok",)]
    assert capsys.readouterr().err == ""


def test_cli_backup_onto_an_existing_file_is_refused(
    tmp_path: Path, db: Database, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "friday.sqlite3"
    target.write_bytes(b"last week's, on purpose")

    assert main(["backup", str(target), "--db", str(db_path)]) == 1

    assert "already exists" in capsys.readouterr().err
    assert target.read_bytes() == b"last week's, on purpose"
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".part")]


def test_cli_backup_into_a_missing_folder_or_of_a_missing_database(
    tmp_path: Path, db: Database, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backup", str(tmp_path / "no disk" / "copy.sqlite3"), "--db", str(db_path)]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["backup", str(tmp_path), "--db", str(tmp_path / "nowhere.sqlite3")]) == 2
    assert "there is no such file" in capsys.readouterr().err
    assert not (tmp_path / "nowhere.sqlite3").exists()


def test_cli_restore_round_trip(
    tmp_path: Path,
    db: Database,
    db_path: Path,
    desk: Desk,
    nurse: Staff,
    clinic: list[Patient],
    clock: ManualClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "usb"
    folder.mkdir()
    assert main(["backup", str(folder), "--db", str(db_path)]) == 0
    (backup,) = folder.glob("*.sqlite3")
    database_proxy.initialize(db)
    clock.set(datetime.now(UTC))  # the command recorded the backup with the PC's clock
    desk.patients.register_patient("Late", "Arrival", "2000-01-01", "AZ-0099", nurse.id)
    replaced = all_rows(db_path)
    db.close()
    capsys.readouterr()

    assert main(["restore", str(backup), "--db", str(db_path)]) == 0

    out = capsys.readouterr().out
    (kept,) = [path for path in db_path.parent.iterdir() if ".replaced-" in path.name]
    assert f"Restored {db_path} from {backup}" in out and str(kept) in out
    assert restored_rows(db_path, backup) == all_rows(backup)
    assert all_rows(kept) == replaced
    assert main(["check", "--db", str(db_path)]) == 0
    assert "3 patients" in capsys.readouterr().out


def test_cli_restore_of_a_damaged_backup_is_refused(
    tmp_path: Path, db: Database, db_path: Path, taken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damage(taken, "truncated")
    db.close()
    before = db_path.read_bytes()

    assert main(["restore", str(taken), "--db", str(db_path)]) == 1

    err = capsys.readouterr().err
    assert "Not restored" in err and "left as it was" in err
    assert db_path.read_bytes() == before


# --- 7. the automatic backup ---------------------------------------------------------------------


def backups_in(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if BACKUP_NAME.match(name))


def test_the_keeper_backs_up_once_a_day_and_at_exit(
    tmp_path: Path, db_path: Path, clinic: list[Patient], clock: ManualClock
) -> None:
    folder = tmp_path / "backups"
    keeper = BackupKeeper(db_path, lambda: folder, clock)

    keeper.tick()
    keeper.wait()
    first = backup_name(clock.now(), id_of(db_path))
    assert backups_in(folder) == [first]
    assert keeper.last == folder / first and keeper.problem is None
    assert mode_of(folder) == 0o700
    assert all_rows(folder / first) == all_rows(db_path)

    clock.advance(hours=8)
    keeper.tick()
    keeper.wait()
    assert backups_in(folder) == [first]  # one a day

    second = backup_name(clock.advance(days=1), id_of(db_path))
    keeper.tick()
    keeper.wait()
    assert backups_in(folder) == [first, second]

    last = backup_name(clock.advance(minutes=5), id_of(db_path))
    keeper.at_exit()
    assert backups_in(folder) == [first, last]  # rotation keeps the newest of a day
    assert keeper.last == folder / last
    assert keeper.problem is None


def test_the_keeper_finds_the_folder_in_the_clinic_details(
    db_path: Path, desk: Desk, admin: Staff, clock: ManualClock, tmp_path: Path
) -> None:
    keeper = BackupKeeper(db_path, desk.database.backup_folder, clock)
    keeper.tick()
    keeper.wait()
    assert keeper.problem is None
    beside = db_path.parent / "backups"  # the default: beside the database
    assert backups_in(beside) == [backup_name(clock.now(), id_of(db_path))]

    chosen = tmp_path / "usb disk"
    chosen.mkdir()
    desk.clinic.update_clinic_details(
        replace(desk.clinic.clinic_details(), backup_folder=str(chosen)), admin.id
    )
    keeper.tick()  # today's backup was made (in the old folder): the next is tomorrow's
    keeper.wait()
    assert backups_in(chosen) == []
    clock.advance(days=1)
    keeper.tick()
    keeper.wait()
    assert keeper.problem is None
    assert backups_in(chosen) == [backup_name(clock.now(), id_of(db_path))]


def test_a_failed_automatic_backup_is_said_and_not_retried_the_same_day(
    tmp_path: Path, db_path: Path, clinic: list[Patient], clock: ManualClock
) -> None:
    folder = tmp_path / "backups"
    folder.write_text("a plain file where the folder should be")
    keeper = BackupKeeper(db_path, lambda: folder, clock)

    keeper.tick()
    keeper.wait()
    assert keeper.problem and "automatic backup failed" in keeper.problem
    assert keeper.last is None

    folder.unlink()
    clock.advance(hours=2)
    keeper.tick()
    keeper.wait()
    assert not folder.exists()  # no second try that day
    assert keeper.problem

    clock.advance(days=1)
    keeper.tick()
    keeper.wait()
    assert backups_in(folder) == [backup_name(clock.now(), id_of(db_path))]
    assert keeper.problem is None


def test_the_main_window_shows_a_failed_backup_and_backs_up_as_it_closes(
    qtbot, qapp, tmp_path: Path, db_path: Path, desk: Desk, clock: ManualClock
) -> None:  # noqa: ANN001
    from desk_app.app import load_style
    from desk_app.ui.main_window import MainWindow

    class Silent:
        def announce(self, alert: object) -> None:
            pass

    folder = tmp_path / "backups"
    folder.write_text("a plain file where the folder should be")
    keeper = BackupKeeper(db_path, lambda: folder, clock)
    load_style(qapp)
    window = MainWindow(desk, clock, Silent(), backups=keeper)
    window.timer.stop()
    window.idle.idle_for = lambda: timedelta(0)
    qtbot.addWidget(window)
    window.show()

    window.tick()  # starts the backup on its thread
    keeper.wait()
    window.tick()
    assert window.alert_message.isVisible()
    assert "automatic backup failed" in window.alert_message.text()

    folder.unlink()
    clock.advance(minutes=1)
    window.close()  # the backup at a clean exit
    assert backups_in(folder) == [backup_name(clock.now(), id_of(db_path))]


def test_a_second_backup_in_the_same_second_is_made_and_kept_as_the_days_newest(
    db_path: Path, desk: Desk, nurse: Staff, tmp_path: Path
) -> None:
    """The exit copy can follow the daily one within a second: it must not fail as 'already exists'."""
    folder = tmp_path / "same-second"
    now = datetime(2026, 11, 25, 17, 0, 0, 250000, tzinfo=UTC)
    first = backup_now(db_path, folder, now)
    second = backup_now(db_path, folder, now)
    assert first != second and second.exists() and check_file(second).ok
    assert not first.exists(), "rotation keeps the newest copy of a day"
    assert has_backup_of(folder, now.date(), id_of(db_path))


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files in /proc (Linux)")
def test_a_hundred_days_of_backups_leave_no_file_open(
    db_path: Path, desk: Desk, admin: Staff, clock: ManualClock, tmp_path: Path
) -> None:
    """The folder is read from the clinic's details through the desk: on the backup's thread that
    opened a connection a day that was never closed (issue 23: 22 -> 60 open files in 110 days)."""
    keeper = BackupKeeper(db_path, desk.database.backup_folder, clock)
    days = 100

    def a_day() -> None:
        clock.advance(days=1)
        keeper.tick()
        keeper.wait()

    a_day()
    before = open_files()
    for _day in range(days - 1):
        a_day()
    assert keeper.problem is None
    assert open_files() == before
    assert len(backups_in(db_path.parent / "backups")) == 14 + 8  # the rotation held, day after day
