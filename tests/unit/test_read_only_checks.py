"""`desk-app audit verify` and `desk-app check` only read: the file they look at has the same bytes
afterwards, keeps its journal mode and its schema, and an empty or foreign file is an error, never
"intact"."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from desk_app.cli import main
from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store import migrations
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from tests.support.walk import signed_out_session


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def journal_mode(path: Path) -> str:
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as probe:
        return probe.execute("PRAGMA journal_mode").fetchone()[0]


@pytest.fixture
def copy_of_a_clinic(tmp_path: Path, desk: Desk, clock: ManualClock, nurse: Staff, db_path: Path) -> Path:
    """A whole backup-style copy (one file, rollback journal) of a clinic with a signed-out session."""
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-0001", nurse.id)
    signed_out_session(desk, clock, patient.id, nurse)
    copy = tmp_path / "copy.sqlite3"
    with closing(sqlite3.connect(db_path)) as live, closing(sqlite3.connect(copy)) as target:
        live.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
    return copy


@pytest.mark.parametrize("command", [["audit", "verify"], ["check"]])
def test_verify_and_check_leave_a_backup_byte_for_byte_in_its_journal_mode(
    copy_of_a_clinic: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = sha256(copy_of_a_clinic)
    assert main([*command, "--db", str(copy_of_a_clinic)]) == 0
    assert "intact" in capsys.readouterr().out
    assert sha256(copy_of_a_clinic) == before
    assert journal_mode(copy_of_a_clinic) == "delete"
    assert not copy_of_a_clinic.with_name("copy.sqlite3-wal").exists()


def test_verify_of_the_live_file_while_a_desk_writes_leaves_its_bytes_alone(
    db_path: Path, desk: Desk, nurse: Staff, capsys: pytest.CaptureFixture[str]
) -> None:
    desk.patients.register_patient("Ann", "Smith", "1975-06-30", "AZ-0002", nurse.id)  # in the -wal
    before = sha256(db_path)
    assert main(["audit", "verify", "--db", str(db_path)]) == 0
    assert sha256(db_path) == before


def test_verify_never_migrates_an_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "schema-4.sqlite3"
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:4])
        patch.setattr(migrations, "LATEST_VERSION", 4)
        open_database(str(old)).close()
    before = sha256(old)

    assert main(["audit", "verify", "--db", str(old)]) == 2

    assert "schema 4, from before the audit trail existed" in capsys.readouterr().err
    assert sha256(old) == before
    assert not list(tmp_path.glob("*before-v*")), "no copy before a migration: nothing was migrated"


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _foreign(path: Path) -> None:
    with closing(sqlite3.connect(path)) as other:
        other.execute("CREATE TABLE audit_log (id INTEGER PRIMARY KEY)")
        other.commit()


@pytest.mark.parametrize(
    ("make", "said"),
    [(_empty, "empty (0 bytes)"), (_foreign, "another program")],
    ids=["zero bytes", "another program's database"],
)
def test_verify_of_an_empty_or_foreign_file_is_an_error_and_changes_nothing(
    tmp_path: Path, make, said: str, capsys: pytest.CaptureFixture[str]
) -> None:  # noqa: ANN001
    path = tmp_path / "odd.sqlite3"
    make(path)
    before = sha256(path)
    assert main(["audit", "verify", "--db", str(path)]) == 2
    err = capsys.readouterr().err
    assert said in err and "intact" not in err
    assert sha256(path) == before


def test_check_of_an_empty_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.sqlite3"
    path.write_bytes(b"")
    assert main(["check", "--db", str(path)]) != 0
    assert "NOT usable" in capsys.readouterr().err
    assert path.read_bytes() == b""


def test_a_backup_copied_elsewhere_still_verifies(
    copy_of_a_clinic: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The read-only open must not depend on the folder being writable for a journal."""
    moved = tmp_path / "elsewhere" / "copy.sqlite3"
    moved.parent.mkdir()
    shutil.copyfile(copy_of_a_clinic, moved)
    assert main(["audit", "verify", "--db", str(moved)]) == 0
