"""A restore the clinic can trust: refused while a desk has the database open (naming it), through a
symlink to the real file, only of a whole backup of this clinic, recorded in the audit trail, and
finished or undone by the next start after a kill at any step. Where the database is missing or
empty but a clinic's records were there, no empty new clinic is started unless someone chooses it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from peewee import Database

from desk_app.cli import main
from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store import restoring
from desk_app.store.audit import verify_audit
from desk_app.store.backup import BackupError, backup_to
from desk_app.store.database import NoClinicHereError, open_database
from desk_app.store.desk import Desk
from desk_app.store.models import DATABASE_ID_SETTING, DEMO_SETTING, ClinicSetting, database_proxy
from desk_app.store.restoring import restore
from tests.support.seal_rows import write_as_the_app

MOMENT = datetime(2026, 11, 25, 9, 30, 5, tzinfo=UTC)


def patients_in(path: Path) -> list[str]:
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as file:
        return [row[0] for row in file.execute("SELECT clinic_number FROM patient ORDER BY id")]


def copy_of(live: Path, target: Path) -> Path:
    with closing(sqlite3.connect(f"{live.resolve().as_uri()}?mode=ro", uri=True)) as source:
        backup_to(source, target)
    return target


@pytest.fixture
def taken(tmp_path: Path, desk: Desk, db: Database, db_path: Path, nurse: Staff) -> Path:
    """A backup holding one patient; the live database then gains a second, and is closed."""
    desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-0001", nurse.id)
    (tmp_path / "usb").mkdir()
    backup = copy_of(db_path, tmp_path / "usb" / "taken.sqlite3")
    desk.patients.register_patient("Late", "Arrival", "2000-01-01", "AZ-0002", nurse.id)
    db.close()
    return backup


# --- refused while a desk has the database open ----------------------------------------------------

_DESK = """
import sys
from desk_app.store.database import open_database
db = open_database(sys.argv[1], create=False)
db.execute_sql("SELECT 1")
print("READY", flush=True)
sys.stdin.read()
"""


def test_a_restore_is_refused_while_a_desk_elsewhere_has_the_database_open_and_names_it(
    db_path: Path, taken: Path
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _DESK, str(db_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline() == "READY\n"
        before = patients_in(db_path)
        with pytest.raises(BackupError, match="Not restored: the database is open in") as refused:
            restore(taken, db_path, MOMENT)
        assert f"process {child.pid}" in str(refused.value) and socket.gethostname() in str(refused.value)
        assert patients_in(db_path) == before == ["AZ-0001", "AZ-0002"]
        assert not list(db_path.parent.glob("*.replaced-*"))
    finally:
        child.send_signal(signal.SIGKILL)  # killed, not closed: its mark is left behind, stale
        child.wait()
    restore(taken, db_path, MOMENT)
    assert patients_in(db_path) == ["AZ-0001"]


def test_a_restore_is_refused_while_this_process_has_the_database_open(db_path: Path, taken: Path) -> None:
    again = open_database(str(db_path))
    try:
        again.execute_sql("SELECT 1")
        with pytest.raises(BackupError, match=f"process {os.getpid()}"):
            restore(taken, db_path, MOMENT)
    finally:
        again.close()
    restore(taken, db_path, MOMENT)


def test_a_symlinked_database_is_restored_in_the_real_file_and_the_link_is_kept(
    tmp_path: Path, db_path: Path, taken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = tmp_path / "shortcut.sqlite3"
    link.symlink_to(db_path)
    assert main(["restore", str(taken), "--db", str(link)]) == 0
    assert link.is_symlink() and link.resolve() == db_path
    assert patients_in(db_path) == ["AZ-0001"]
    assert f"Restored {db_path}" in capsys.readouterr().out


# --- only a whole backup of this clinic, and the restore recorded -------------------------------


def test_the_restore_is_recorded_in_the_audit_trail_with_the_backups_rows_and_head(
    db_path: Path, taken: Path
) -> None:
    with closing(sqlite3.connect(taken)) as backup:
        rows, head = backup.execute(
            "SELECT count(*), (SELECT hash FROM audit_log ORDER BY id DESC) FROM audit_log"
        ).fetchone()
    restored = restore(taken, db_path, MOMENT)
    assert (restored.rows, restored.head_hash) == (rows, head)
    reopened = open_database(str(db_path), create=False)
    try:
        report = verify_audit(reopened)
        assert report.ok and report.rows == rows + 1
        (action, detail) = reopened.execute_sql(
            "SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1"
        ).fetchone()
    finally:
        reopened.close()
    assert action == "database restored from a backup"
    assert json.loads(detail) == {
        "from": str(taken),
        "backup_file": taken.name,
        "backup_audit_rows": rows,
        "backup_head_hash": head,
        "replaced_kept_as": restored.kept.name,
    }


def test_a_backup_whose_audit_trail_was_edited_is_refused(db_path: Path, taken: Path) -> None:
    with closing(sqlite3.connect(taken)) as backup:
        backup.execute("DROP TRIGGER audit_log_no_update")
        backup.execute("UPDATE audit_log SET detail = '{}' WHERE id = 2")
        backup.commit()
    with pytest.raises(BackupError, match=r"audit trail is broken \(row 2"):
        restore(taken, db_path, MOMENT)
    assert patients_in(db_path) == ["AZ-0001", "AZ-0002"]


def test_a_backup_of_another_database_or_a_demo_is_refused_unless_forced(
    tmp_path: Path, db_path: Path, taken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other clinic.sqlite3"
    open_database(str(other)).close()
    other_backup = copy_of(other, tmp_path / "usb" / "other.sqlite3")
    assert main(["restore", str(other_backup), "--db", str(db_path)]) == 1
    assert "is a backup of another database" in capsys.readouterr().err
    demo_mark = "INSERT INTO clinic_setting (key, value) VALUES ('demo', '1')"
    write_as_the_app(taken, demo_mark, (), [(ClinicSetting, DEMO_SETTING)], MOMENT)
    assert main(["restore", str(taken), "--db", str(db_path)]) == 1
    assert "is a training demo" in capsys.readouterr().err
    assert patients_in(db_path) == ["AZ-0001", "AZ-0002"]

    assert main(["restore", str(other_backup), "--db", str(db_path), "--force"]) == 0
    assert patients_in(db_path) == []


def test_a_backup_from_before_database_ids_is_this_clinics_when_the_live_trail_holds_its_head(
    tmp_path: Path, db_path: Path, taken: Path
) -> None:
    with closing(sqlite3.connect(db_path)) as live:
        own_id = live.execute("SELECT value FROM clinic_setting WHERE key = 'database id'").fetchone()[0]
    # The clinic's file before ids, backed up; then the upgrade gave it its id (each sealed as the app would).
    the_id = [(ClinicSetting, DATABASE_ID_SETTING)]
    write_as_the_app(db_path, "DELETE FROM clinic_setting WHERE key = 'database id'", (), the_id, MOMENT)
    before_ids = copy_of(db_path, tmp_path / "usb" / "before ids.sqlite3")
    made = "INSERT INTO clinic_setting (key, value) VALUES ('database id', ?)"
    write_as_the_app(db_path, made, (own_id,), the_id, MOMENT)
    foreign = shutil.copyfile(before_ids, tmp_path / "usb" / "foreign.sqlite3")
    with closing(sqlite3.connect(foreign)) as backup:
        backup.execute("DROP TRIGGER audit_log_no_update")
        backup.execute("UPDATE audit_log SET hash = ?, prev_hash = ? WHERE id = 1", ("1" * 64, "0" * 64))
        backup.commit()

    restore(before_ids, db_path, MOMENT)

    assert patients_in(db_path) == ["AZ-0001", "AZ-0002"]
    with closing(sqlite3.connect(db_path)) as live:  # it carries on as the same database
        assert (
            live.execute("SELECT value FROM clinic_setting WHERE key = 'database id'").fetchone()[0] == own_id
        )


# --- a kill at any step: the next start finishes or undoes it, never an empty clinic --------------


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it in the restore runs."""


def _killed_after_step(monkeypatch: pytest.MonkeyPatch, step: int) -> None:
    """Make the restore stop dead after its `step`th durable step (each is followed by a folder
    sync): 1 the journal written, 2 the live file moved aside, 3 the copy in place, 4 the journal
    removed."""
    real = restoring.sync_folder
    calls = []

    def sync_then_maybe_die(folder: Path) -> None:
        real(folder)
        calls.append(folder)
        if len(calls) == step:
            raise Killed

    monkeypatch.setattr(restoring, "sync_folder", sync_then_maybe_die)


def restore_killed_after_step(step: int, source: Path, live: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        _killed_after_step(patch, step)
        with pytest.raises(Killed):
            restore(source, live, MOMENT)


@pytest.mark.parametrize(
    ("step", "outcome"),
    [(1, ["AZ-0001", "AZ-0002"]), (2, ["AZ-0001"]), (3, ["AZ-0001"]), (4, ["AZ-0001"])],
    ids=["journal written", "live moved aside", "copy in place", "journal removed"],
)
def test_a_restore_killed_at_each_step_is_finished_or_undone_by_the_next_start(
    db_path: Path,
    taken: Path,
    procedure,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    step: int,
    outcome: list[str],
) -> None:  # noqa: ANN001
    restore_killed_after_step(step, taken, db_path, monkeypatch)

    reopened = open_database(str(db_path))  # the next start, with its permission to create
    try:
        assert [p.clinic_number for p in Desk(reopened, procedure, clock).patients.search_patients("")] in (
            outcome,
            outcome[::-1],
        )
        assert verify_audit(reopened).ok
    finally:
        reopened.close()
        database_proxy.initialize(reopened)
    assert not [
        name for name in os.listdir(db_path.parent) if name.endswith((".restore", ".restoring", ".new"))
    ]


def test_a_restore_killed_while_copying_leaves_the_live_database_alone(
    db_path: Path, taken: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def half_a_copy(source: Path, live: Path, partial: Path, now: datetime, backup: object) -> None:
        partial.write_bytes(b"SQLite format 3\x00 and then nothing")
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(restoring, "_prepare_working_copy", half_a_copy)
        with pytest.raises(Killed):
            restore(taken, db_path, MOMENT)
    assert main(["check", "--db", str(db_path)]) == 0  # the next command
    assert patients_in(db_path) == ["AZ-0001", "AZ-0002"]


def test_a_restore_killed_between_its_renames_is_finished_by_the_next_command(
    db_path: Path, taken: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    restore_killed_after_step(2, taken, db_path, monkeypatch)
    assert not db_path.exists()  # the moment the old code opened an empty new clinic
    assert main(["check", "--db", str(db_path)]) == 0
    assert "has been finished" in capsys.readouterr().err
    assert patients_in(db_path) == ["AZ-0001"]


# --- no silent new clinic ------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_a_missing_or_empty_database_beside_its_backups_is_not_taken_for_a_new_clinic(
    tmp_path: Path, taken: Path, db_path: Path, state: str
) -> None:
    backups = db_path.parent / "backups"
    backups.mkdir()
    shutil.copyfile(taken, backups / "treatment-desk-0123456789ab-2026-11-24T020000Z.sqlite3")
    db_path.unlink()
    assert not db_path.with_name(f".{db_path.name}.desks").exists()  # the last desk took its mark
    if state == "empty":
        db_path.write_bytes(b"")

    with pytest.raises(
        NoClinicHereError, match=f"is {state}.*backups in the backups folder.*desk-app restore"
    ):
        open_database(str(db_path))
    assert (
        db_path.exists() == (state == "empty") and db_path.stat().st_size == 0 if db_path.exists() else True
    )

    open_database(str(db_path), new_clinic=True).close()  # a deliberate choice
    assert patients_in(db_path) == []


def test_a_database_this_pc_has_opened_before_is_not_silently_made_anew(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite3"
    with pytest.raises(NoClinicHereError, match="this PC has opened a clinic's database at this very place"):
        open_database(str(path), remembered=[path])
    assert not path.exists()
    open_database(str(tmp_path / "brand new.sqlite3")).close()  # no signs: a new clinic as before


def test_a_backup_from_before_the_audit_trail_is_refused_with_a_message(
    tmp_path: Path, db_path: Path, taken: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desk_app.store import migrations

    old = tmp_path / "usb" / "schema-4.sqlite3"
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:4])
        patch.setattr(migrations, "LATEST_VERSION", 4)
        open_database(str(old)).close()
    with pytest.raises(BackupError, match=r"older version of the app \(schema 4\)"):
        restore(old, db_path, MOMENT)
    assert patients_in(db_path) == ["AZ-0001", "AZ-0002"]


def test_verify_of_a_database_whose_restore_stopped_halfway_says_how_to_finish_it(
    db_path: Path, taken: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    restore_killed_after_step(2, taken, db_path, monkeypatch)
    assert main(["audit", "verify", "--db", str(db_path)]) == 2  # read-only: it finishes nothing
    assert "stopped halfway. Run desk-app check" in capsys.readouterr().err
    assert not db_path.exists()


def test_a_planted_journal_cannot_move_another_file_into_the_databases_place(
    tmp_path: Path, db_path: Path, taken: Path
) -> None:
    precious = tmp_path / "precious.sqlite3"
    shutil.copyfile(taken, precious)
    db_path.unlink()
    restoring.journal_path(db_path).write_text(
        json.dumps({"kept": str(precious), "working_copy": str(taken)})
    )

    assert restoring.finish_unfinished_restore(db_path) == "cleared"

    assert precious.exists() and taken.exists() and not db_path.exists()
    assert not restoring.journal_path(db_path).exists()


@pytest.mark.parametrize("where", ["5,000 characters", "under a file"])
def test_a_backup_path_that_cannot_be_reached_is_said_without_a_traceback(
    tmp_path: Path, db_path: Path, taken: Path, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    long_way = Path(tmp_path, *["x" * 200] * 25, "b.sqlite3")  # 5,000 characters and more
    source = long_way if where[0] == "5" else taken / "b.sqlite3"
    for command in (["restore", str(source)], ["backup", str(source)]):
        assert main([*command, "--db", str(db_path)]) == 1
        err = capsys.readouterr().err
        assert re.search("no such file|does not exist|cannot be reached|too long", err), err
    assert patients_in(db_path) == ["AZ-0001", "AZ-0002"]


def test_a_symlinked_database_whose_restore_was_killed_between_renames_is_finished_by_any_command(
    tmp_path: Path,
    db_path: Path,
    taken: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    link = tmp_path / "shortcut.sqlite3"
    link.symlink_to(db_path)
    restore_killed_after_step(2, taken, link, monkeypatch)
    assert link.is_symlink() and not link.exists()  # for now a link to nothing
    assert main(["backup", str(tmp_path / "usb" / "after.sqlite3"), "--db", str(link)]) == 0
    assert "stopped halfway has been finished" in capsys.readouterr().err
    assert patients_in(tmp_path / "usb" / "after.sqlite3") == ["AZ-0001"]


def test_an_old_wal_left_beside_a_missing_database_is_set_aside_not_replayed_over_the_backup(
    tmp_path: Path, db_path: Path, taken: Path
) -> None:
    # A desk killed with work in its WAL, then the database file itself lost: only its -wal is left.
    writer = sqlite3.connect(db_path)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("INSERT INTO clinic_setting (key, value) VALUES ('clinic.name', 'Only in the WAL')")
    writer.commit()
    wal = Path(f"{db_path}-wal").read_bytes()
    writer.close()
    db_path.unlink()
    Path(f"{db_path}-wal").write_bytes(wal)

    restore(taken, db_path, MOMENT)

    assert patients_in(db_path) == ["AZ-0001"]
    with closing(sqlite3.connect(db_path)) as restored:
        assert (
            restored.execute("SELECT value FROM clinic_setting WHERE key = 'clinic.name'").fetchone() is None
        )
        last = restored.execute("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert last == "database restored from a backup"
    (aside,) = [
        path for path in tmp_path.iterdir() if path.name.endswith("-wal") and ".replaced-" in path.name
    ]
    assert aside.read_bytes() == wal  # kept, not deleted


def test_a_command_that_must_not_create_refuses_an_empty_file_and_leaves_it_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "clinic.sqlite3"
    empty.write_bytes(b"")
    assert main(["unlock", "AA", "--db", str(empty)]) == 2
    assert "only an empty file" in capsys.readouterr().err
    assert empty.read_bytes() == b""


def test_a_second_restore_while_one_is_copying_is_refused_and_the_first_goes_on(
    db_path: Path, taken: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = restoring._prepare_working_copy
    refused: list[str] = []

    def copying_while_another_starts(*args: object) -> restoring.Restored:
        with pytest.raises(BackupError, match="another restore of .* is under way") as second:
            restore(taken, db_path, MOMENT)
        refused.append(str(second.value))
        return real(*args)

    monkeypatch.setattr(restoring, "_prepare_working_copy", copying_while_another_starts)
    restore(taken, db_path, MOMENT)
    assert refused and patients_in(db_path) == ["AZ-0001"]
