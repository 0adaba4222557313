"""Start-up checks on damaged files: a clear message, and the file never written to (issue 7, point 3).

One real database (patients, a signed-out session, its audit trail) is damaged in 120 ways: cut
short, pages zeroed, bytes scrambled, its header spoilt. Opening each either refuses it with a message
and leaves it byte for byte as it was, or (damage inside a row's text, which SQLite's structure check
cannot see) opens it; nothing else ever happens.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from desk_app.store.database import DatabaseOpenError, open_database
from desk_app.store.desk import Desk
from tests.support.people import FAST_HASHER, add_member
from tests.support.walk import signed_out_session

# Its module fixture is built once: every test of the module runs in one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("damaged files")

PAGE = 4096


@pytest.fixture(scope="session")  # once a worker: its tests may run between other modules'
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed database with real content, its WAL folded in: one self-contained file."""
    from datetime import UTC, datetime

    from desk_app.domain.clock import ManualClock
    from desk_app.domain.procedure import load_procedure
    from desk_app.paths import PROCEDURE_FILE, resource_path

    path = tmp_path_factory.mktemp("healthy") / "desk.sqlite3"
    db = open_database(str(path))
    clock = ManualClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    desk = Desk(db, load_procedure(resource_path(PROCEDURE_FILE)), clock, FAST_HASHER)
    nurse = add_member(desk, "Ann Nurse", "AN", "nurse")
    for number in range(12):
        patient = desk.patients.register_patient(
            "Zoë", f"O'Brien {number}", "1990-02-03", f"AZ-{number:05d}", nurse.id
        )
        if number < 3:
            signed_out_session(desk, clock, patient.id, nurse)
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    with closing(sqlite3.connect(path)) as plain:
        plain.execute("PRAGMA journal_mode = DELETE")
    return path


def damages(size: int) -> list[tuple[str, object]]:
    """(name, how) for 120 kinds of damage, the same every run."""
    rng = random.Random(7)
    pages = size // PAGE
    found: list[tuple[str, object]] = []
    for offset in sorted(rng.sample(range(1, size), 30)):
        found.append((f"cut at byte {offset}", ("cut", offset)))
    for page in sorted(rng.sample(range(1, pages), min(30, pages - 1))):
        found.append((f"page {page + 1} zeroed", ("zero", page)))
    for number in range(30):
        spots = [rng.randrange(100, size) for _ in range(1 + number)]
        found.append((f"{len(spots)} bytes scrambled", ("scramble", spots)))
    header_spots = [0, 5, 15, 16, 17, 18, 19, 21, 28, 44, 52, 56, 60, 68, 72, 92, 96, 99, 40, 24]
    for spot in header_spots:
        found.append((f"header byte {spot} spoilt", ("scramble", [spot])))
    for cut in (1, 99, 100, PAGE - 1, PAGE, PAGE + 1, 2 * PAGE, size - PAGE, size - 1, size // 2):
        found.append((f"cut to {cut} bytes", ("cut", cut)))
    return found


def spoil(source: Path, target: Path, how: tuple) -> None:
    data = bytearray(source.read_bytes())
    kind, where = how
    if kind == "cut":
        data = data[:where]
    elif kind == "zero":
        data[where * PAGE : (where + 1) * PAGE] = bytes(PAGE)
    else:
        for spot in where:
            data[spot] ^= 0xA5
    target.write_bytes(bytes(data))


def test_there_are_at_least_a_hundred_kinds_of_damage(healthy: Path) -> None:
    assert len(damages(healthy.stat().st_size)) >= 100


@pytest.mark.parametrize("number", range(120))
def test_a_damaged_file_is_refused_with_a_message_or_opened_and_never_written_to(
    healthy: Path, tmp_path: Path, number: int
) -> None:
    name, how = damages(healthy.stat().st_size)[number]
    damaged = tmp_path / "damaged.sqlite3"
    spoil(healthy, damaged, how)
    before = damaged.read_bytes()
    try:
        db = open_database(str(damaged))
    except DatabaseOpenError as error:
        message = str(error)
        assert str(damaged) in message, name
        assert "was not changed" in message or "not a Treatment Desk database" in message, (name, message)
        assert damaged.read_bytes() == before, f"{name}: a refused file was written to"
        assert not list(tmp_path.glob("damaged.sqlite3-*")), f"{name}: files were made beside it"
        return
    db.close()  # damage SQLite cannot see (inside a row's text): the file opens, and that is all


def test_a_damaged_file_names_the_restore(healthy: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "desk.sqlite3"
    shutil.copyfile(healthy, damaged)
    spoil(healthy, damaged, ("zero", 3))
    with pytest.raises(DatabaseOpenError, match="restore the latest backup"):
        open_database(str(damaged))
