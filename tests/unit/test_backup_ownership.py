"""Backups know whose they are: each database's random id is in its backups' names, so two
databases backing up into one folder keep their own copies; a killed backup's working copy is
cleared away; the copy before a migration is never a half-written file with a backup's name."""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desk_app.store.backup import STALE_PART_SECONDS, backup_now, check_file, file_database_id
from desk_app.store.checkpoints import is_checkpoint_name
from desk_app.store.database import open_database
from desk_app.store.migrations import backup_before_migrating

BACKUP = re.compile(r"^treatment-desk-([0-9a-f]{12})-(\d{4}-\d{2}-\d{2})T\d{6}Z\.sqlite3$")


def new_database(path: Path) -> Path:
    open_database(str(path)).close()
    return path


def test_every_database_gets_its_own_random_id_at_first_start_and_keeps_it(tmp_path: Path) -> None:
    first, second = new_database(tmp_path / "a.sqlite3"), new_database(tmp_path / "b.sqlite3")
    made = file_database_id(first)
    assert made and re.fullmatch(r"[0-9a-f]{32}", made)
    assert file_database_id(second) not in (None, made)
    open_database(str(first)).close()
    assert file_database_id(first) == made


def test_two_databases_backing_up_into_one_folder_for_30_days_keep_their_own_backups(
    tmp_path: Path,
) -> None:
    clinic = new_database(tmp_path / "clinic.sqlite3")
    demo = new_database(tmp_path / "demo.sqlite3")
    folder = tmp_path / "shared backups"
    first_day = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
    for day in range(30):
        backup_now(clinic, folder, first_day + timedelta(days=day))
        backup_now(demo, folder, first_day + timedelta(days=day, seconds=1))

    names = os.listdir(folder)
    backups = [name for name in names if not is_checkpoint_name(name)]
    sidecars = {name for name in names if name.endswith(".checkpoint.json")}
    assert sidecars == {f"{name}.checkpoint.json" for name in backups}  # each kept backup's, no other
    assert len(names) - len(backups) - len(sidecars) == 2 * 30  # each database's checkpoint of each day
    by_owner: dict[str, list[str]] = {}
    for name in backups:
        match = BACKUP.match(name)
        assert match, name
        by_owner.setdefault(match[1], []).append(match[2])
    assert set(by_owner) == {file_database_id(clinic)[:12], file_database_id(demo)[:12]}
    for days in by_owner.values():
        # 14 daily copies (17-30 October), then the newest of each older ISO week: 12-16 Oct
        # 5-11 Oct and 1-4 Oct (1 October 2026 is a Thursday).
        assert sorted(days)[-14:] == [f"2026-10-{day:02}" for day in range(17, 31)]
        assert sorted(days)[:-14] == ["2026-10-04", "2026-10-11", "2026-10-16"]
    for name in backups:
        assert check_file(folder / name).ok


def test_rotation_removes_its_own_killed_backups_working_copies_and_no_one_elses(tmp_path: Path) -> None:
    clinic = new_database(tmp_path / "clinic.sqlite3")
    own = file_database_id(clinic)[:12]
    folder = tmp_path / "backups"
    folder.mkdir()
    stale = folder / f".treatment-desk-{own}-2026-10-01T020000Z.sqlite3.part"
    in_progress = folder / f".treatment-desk-{own}-2026-10-02T020000Z.sqlite3.part"
    others = folder / ".treatment-desk-fedcba987654-2026-10-01T020000Z.sqlite3.part"
    for part in (stale, in_progress, others):
        part.write_bytes(b"half a copy")
    long_ago = datetime.now().timestamp() - STALE_PART_SECONDS - 60
    os.utime(stale, (long_ago, long_ago))
    os.utime(others, (long_ago, long_ago))

    backup_now(clinic, folder, datetime(2026, 10, 2, 3, 0, tzinfo=UTC))

    assert not stale.exists()
    assert in_progress.exists(), "a copy being written right now (by another desk) is left alone"
    assert others.exists(), "another database's working copy is not this rotation's to remove"


class _DiskFullsHalfway:
    """A live connection whose online backup writes part of the copy, then finds the disk full."""

    def __init__(self, real: sqlite3.Connection) -> None:
        self.real = real

    def backup(self, target: sqlite3.Connection) -> None:
        self.real.backup(target, pages=1)  # the first page reaches the disk...
        raise sqlite3.OperationalError("database or disk is full")


class _Database:
    def __init__(self, real: sqlite3.Connection) -> None:
        self.real = real

    def connection(self) -> _DiskFullsHalfway:
        return _DiskFullsHalfway(self.real)


def test_a_disk_full_during_the_copy_before_a_migration_leaves_no_file_named_as_a_backup(
    tmp_path: Path,
) -> None:
    live = new_database(tmp_path / "desk.sqlite3")
    with sqlite3.connect(live) as real, pytest.raises(sqlite3.OperationalError, match="disk is full"):
        backup_before_migrating(_Database(real), live, 5)  # type: ignore[arg-type]
    real.close()
    assert sorted(os.listdir(tmp_path)) == ["desk.sqlite3"]
