"""Checkpoints outside the file: a backup's sidecar, the day's checkpoint, a printed footer.

Someone with the database file alone can cut its trail, recompute its chain or copy an older backup
over it; `desk-app audit verify --against` then fails, naming the checkpoint that shows it. A restore
made by the app is recorded in the trail: the checkpoints it rolled back are said, not failed.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from peewee import Database, OperationalError

from desk_app import cli
from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.paths import remember_opened
from desk_app.store import anchoring
from desk_app.store.anchor_check import RESTORE_ACTION, check_checkpoints, gather_checkpoints
from desk_app.store.audit import chain_hash, write_audit
from desk_app.store.backup import backup_now, rotate
from desk_app.store.checkpoints import (
    KIND,
    Checkpoint,
    CheckpointError,
    checkpoints_in,
    daily_name,
    head_of_file,
    sidecar_of,
    write_checkpoint,
)
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from desk_app.store.identity import database_id
from desk_app.store.restoring import restore
from desk_app.ui.backups import BackupKeeper, CheckpointKeeper
from tests.support.raw_sql import run_sql


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "backups"


def work(desk: Desk, nurse: Staff, number: int) -> None:
    """A little of the clinic's day: a patient registered (one audit row or more)."""
    desk.patients.register_patient("Pat", f"Number{number}", "1980-01-01", f"AZ-{number:04d}", nurse.id)


def backup(db_path: Path, folder: Path, clock: ManualClock) -> Path:
    return backup_now(db_path, folder, clock.now().astimezone(UTC))


def against(db: Database, place: Path) -> tuple[list[str], list[str]]:
    """(failures, notices) of the database's trail against the checkpoints at `place`."""
    points, unreadable = gather_checkpoints([place], [])
    result = check_checkpoints(db, points, unreadable)
    return result.failures, result.notices


def last_row(db: Database) -> tuple[str, dict]:
    action, detail = db.execute_sql(
        "SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return action, json.loads(detail)


# --- what is written, and where --------------------------------------------------------------------


def test_the_daily_backup_leaves_its_checkpoint_and_the_days_and_is_recorded_in_the_live_trail(
    db_path: Path, db: Database, desk: Desk, nurse: Staff, clock: ManualClock, folder: Path
) -> None:
    work(desk, nurse, 1)
    keeper = BackupKeeper(db_path, lambda: folder, clock, desk.audit.record_backup)
    keeper.tick()
    keeper.wait()

    assert keeper.problem is None and keeper.last is not None
    rows, head = head_of_file(keeper.last)
    (sidecar,) = checkpoints_in(sidecar_of(keeper.last))[0]
    assert (sidecar.rows, sidecar.head_hash, sidecar.name) == (
        rows,
        head,
        f"{keeper.last.name}.checkpoint.json",
    )
    day_file = folder / daily_name(clock.now().date(), database_id(db))
    assert json.loads(day_file.read_text())["rows"] == rows
    assert oct(day_file.stat().st_mode & 0o777) == "0o600"
    action, detail = last_row(db)
    assert action == "database backed up"
    assert detail["backup_file"] == keeper.last.name
    assert (detail["backup_audit_rows"], detail["backup_head_hash"]) == (rows, head)


def test_rotation_takes_a_backups_checkpoint_with_it_and_leaves_every_other_checkpoint(
    db_path: Path, db: Database, clock: ManualClock, folder: Path
) -> None:
    made = [backup(db_path, folder, clock)]
    clock.advance(minutes=30)
    made.append(backup(db_path, folder, clock))  # the day's newest
    stray = folder / "treatment-desk-notes.checkpoint.json"  # a checkpoint no backup has
    stray.write_text("the manager's")
    clock.advance(days=1)
    made.append(backup(db_path, folder, clock))  # rotates: the first day keeps its newest only

    assert not made[0].exists() and not sidecar_of(made[0]).exists()
    assert sidecar_of(made[1]).exists() and sidecar_of(made[2]).exists()
    assert len(list(folder.glob("audit-checkpoint-*.json"))) == 2, "the daily checkpoints stay"
    assert stray.read_text() == "the manager's"
    assert rotate(folder, database_id(db)) == []


def test_the_days_checkpoint_at_start_up_is_replaced_only_by_one_that_extends_it(
    db_path: Path, db: Database, desk: Desk, nurse: Staff, folder: Path
) -> None:
    work(desk, nurse, 1)
    day_file = desk.audit.write_daily_checkpoint(db_path.parent, db_path)
    assert day_file is not None and day_file.parent == folder
    first = json.loads(day_file.read_text())
    work(desk, nurse, 2)
    assert desk.audit.write_daily_checkpoint(db_path.parent, db_path) == day_file
    assert json.loads(day_file.read_text())["rows"] > first["rows"]
    later = day_file.read_text()

    for trigger in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        run_sql(db, f'DROP TRIGGER "{trigger[0]}"')
    run_sql(db, "DELETE FROM audit_log WHERE id > ?", (first["rows"],))  # an attacker cuts the trail...

    assert desk.audit.write_daily_checkpoint(db_path.parent, db_path) is None  # ...and restarts the app
    assert day_file.read_text() == later, "the checkpoint that shows the cut is kept"


def test_on_a_server_each_clinic_day_gets_its_checkpoint_in_the_data_folder_when_no_backup_folder_is_set(
    db: Database, desk: Desk, clock: ManualClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(desk.database, "keeps_its_own_backups", lambda: False)  # as on PostgreSQL
    data = tmp_path / "data"
    data.mkdir()
    keeper = CheckpointKeeper(lambda: desk.audit.write_daily_checkpoint(data, None), clock)

    keeper.tick()
    keeper.tick()
    clock.advance(days=1)
    keeper.tick()

    days = [clock.now().date() - timedelta(days=1), clock.now().date()]
    assert sorted(os.listdir(data)) == [daily_name(day, database_id(db)) for day in days]


# --- the attacks ----------------------------------------------------------------------------------


def test_a_cut_trail_fails_naming_the_checkpoint(
    db_path: Path, db: Database, desk: Desk, nurse: Staff, clock: ManualClock, folder: Path
) -> None:
    work(desk, nurse, 1)
    cut_to = head_of_file(db_path)[0]
    work(desk, nurse, 2)
    taken = backup(db_path, folder, clock)
    recorded = head_of_file(taken)[0]
    for (trigger,) in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        run_sql(db, f'DROP TRIGGER "{trigger}"')
    run_sql(db, "DELETE FROM audit_log WHERE id > ?", (cut_to,))

    failures, _ = against(db, folder)

    when = f"{clock.now().day} {clock.now():%b %Y %H:%M}"  # the tests' clock: GMT, as London's
    assert (
        f"the trail has only {cut_to} rows; checkpoint {sidecar_of(taken).name} (row {recorded}, {when}) "
        f"recorded {recorded}"
    ) in failures
    assert len(failures) == 2, "the backup's checkpoint and the day's"

    run_sql(db, "UPDATE clinic_setting SET value = ? WHERE key = 'database id'", ("f" * 32,))
    assert against(db, folder)[0] == failures, "a new id in the file does not set its checkpoints aside"


def test_a_recomputed_chain_fails_naming_the_checkpoint(
    db_path: Path, db: Database, desk: Desk, nurse: Staff, clock: ManualClock, folder: Path
) -> None:
    work(desk, nurse, 1)
    taken = backup(db_path, folder, clock)
    rows = head_of_file(taken)[0]
    for (trigger,) in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        run_sql(db, f'DROP TRIGGER "{trigger}"')
    # The first row rewritten, and every hash after it recomputed: the chain itself holds.
    previous = "0" * 64
    trail = db.execute_sql(
        "SELECT id, at, staff_id, action, subject, subject_id, detail FROM audit_log ORDER BY id"
    )
    for row_id, at, staff_id, action, subject, subject_id, detail in trail.fetchall():
        if row_id == 1:
            detail = detail.replace("}", ', "note": "rewritten"}') if detail != "{}" else '{"note": "x"}'
        new = chain_hash(row_id, at, staff_id, action, subject, subject_id, detail, previous)
        run_sql(
            db,
            "UPDATE audit_log SET detail = ?, prev_hash = ?, hash = ? WHERE id = ?",
            (detail, previous, new, row_id),
        )
        previous = new

    failures, _ = against(db, sidecar_of(taken))

    assert len(failures) == 1 and failures[0].startswith(
        f"row {rows}'s hash differs from checkpoint {sidecar_of(taken).name}"
    )


def test_an_older_backup_copied_over_the_file_fails_naming_the_later_checkpoint(
    db_path: Path, db: Database, desk: Desk, nurse: Staff, clock: ManualClock, folder: Path
) -> None:
    older = backup(db_path, folder, clock)
    work(desk, nurse, 1)
    clock.advance(days=1)
    newer = backup(db_path, folder, clock)
    db.close()
    for side in ("-wal", "-shm"):
        Path(f"{db_path}{side}").unlink(missing_ok=True)
    shutil.copyfile(older, db_path)  # no restore row: a rollback nobody recorded

    copied = open_database(str(db_path), create=False)
    try:
        failures, notices = against(copied, folder)
    finally:
        copied.close()

    assert len(failures) == 2, "the later backup's checkpoint and its day's"
    (named,) = [failure for failure in failures if sidecar_of(newer).name in failure]
    assert named.startswith(f"the trail has only {head_of_file(older)[0]} rows")
    assert not notices


def test_a_restore_by_the_app_is_shown_as_a_rollback_and_passes(
    db_path: Path, db: Database, desk: Desk, nurse: Staff, clock: ManualClock, folder: Path
) -> None:
    older = backup(db_path, folder, clock)
    work(desk, nurse, 1)
    clock.advance(days=1)
    newer = backup(db_path, folder, clock)
    db.close()
    restore(older, db_path, clock.advance(minutes=5).astimezone(UTC))
    restored = open_database(str(db_path), create=False)
    try:
        failures, notices = against(restored, folder)
    finally:
        restored.close()

    assert failures == []
    restore_row = head_of_file(older)[0] + 1
    (rolled_back,) = [notice for notice in notices if sidecar_of(newer).name in notice]
    assert f"was rolled back by the restore at audit row {restore_row}" in rolled_back
    assert (
        f"from backup {older.name}, which held {restore_row - 1} rows." in rolled_back
    )  # its checkpoint agrees


def test_a_restore_row_forged_after_a_cut_explains_nothing_and_fails(
    db_path: Path, db: Database, desk: Desk, nurse: Staff, clock: ManualClock, folder: Path
) -> None:
    older = backup(db_path, folder, clock)
    work(desk, nurse, 1)
    work(desk, nurse, 2)
    clock.advance(days=1)
    newer = backup(db_path, folder, clock)
    cut_to = head_of_file(older)[0] + 1  # not where the named backup ended
    for (trigger,) in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        run_sql(db, f'DROP TRIGGER "{trigger}"')
    run_sql(db, "DELETE FROM audit_log WHERE id > ?", (cut_to,))
    claimed = db.execute_sql("SELECT hash FROM audit_log WHERE id = ?", (cut_to,)).fetchone()[0]
    forged = {"from": str(older), "backup_audit_rows": cut_to, "backup_head_hash": claimed}
    with db.atomic():
        write_audit(db, clock.now(), None, "database restored from a backup", "database", None, forged)

    failures, notices = against(db, folder)

    assert any(
        f"claims the backup held {cut_to} rows; its checkpoint {sidecar_of(older).name}" in f
        for f in failures
    )
    assert any(sidecar_of(newer).name in failure for failure in failures), "nothing is explained away"
    assert not [notice for notice in notices if "rolled back" in notice]


# --- typed checkpoints, and files that are not checkpoints -------------------------------------------


def test_a_checkpoint_typed_from_a_footer_holds_and_a_wrong_one_fails(
    db_path: Path, db: Database, desk: Desk, nurse: Staff
) -> None:
    work(desk, nurse, 1)
    rows, head = desk.audit.audit_head()
    good, _ = gather_checkpoints([], [f"{rows}:{head[:12]}"])
    assert check_checkpoints(db, good, []).held == 1
    wrong, _ = gather_checkpoints([], [f"{rows}:{'0' * 12}"])
    assert check_checkpoints(db, wrong, []).failures == [
        f"row {rows}'s hash differs from checkpoint typed {rows}:{'0' * 12} (row {rows}, no time given)"
    ]
    for typo in ("12", "12:abc", "x:1a2b3c4d5e6f", "12:not-hex-at-all"):
        with pytest.raises(CheckpointError, match="ROW:HASH"):
            gather_checkpoints([], [typo])


def test_a_checkpoint_is_never_written_through_a_link_or_into_a_pipe(
    db_path: Path, db: Database, folder: Path, clock: ManualClock
) -> None:
    folder.mkdir()
    point = Checkpoint(1, "a" * 64, clock.now(), database_id(db), "x")
    link = folder / "audit-checkpoint-2026-11-25-aaaaaaaaaaaa.json"
    link.symlink_to(db_path)
    before = db_path.read_bytes()
    with pytest.raises(CheckpointError, match="is a link"):
        write_checkpoint(link, point, db_path)
    assert db_path.read_bytes() == before and link.is_symlink()
    pipe = folder / "audit-checkpoint-2026-11-26-aaaaaaaaaaaa.json"
    os.mkfifo(pipe)
    with pytest.raises(CheckpointError, match="named pipe"):
        write_checkpoint(pipe, point)
    with pytest.raises(CheckpointError, match="is a database"):
        shutil.copyfile(db_path, folder / "copy.checkpoint.json")
        write_checkpoint(folder / "copy.checkpoint.json", point)
    assert not [name for name in os.listdir(folder) if name.endswith(".part")]

    points, unreadable = checkpoints_in(folder)  # read back: neither followed nor waited on
    assert points == []
    assert [problem.split(" ")[0] for problem in unreadable] == [
        "audit-checkpoint-2026-11-25-aaaaaaaaaaaa.json",
        "audit-checkpoint-2026-11-26-aaaaaaaaaaaa.json",
        "copy.checkpoint.json",
    ]


# --- the command -----------------------------------------------------------------------------------


def test_cli_verify_against_a_folder_fails_a_rollback_and_records_its_run_in_the_live_trail(
    db_path: Path,
    db: Database,
    desk: Desk,
    nurse: Staff,
    clock: ManualClock,
    folder: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    older = backup(db_path, folder, clock)
    work(desk, nurse, 1)
    clock.advance(days=1)
    newer = backup(db_path, folder, clock)
    db.close()
    untouched = head_of_file(db_path)
    assert cli.main(["audit", "verify", "--db", str(db_path), "--against", str(folder)]) == 0
    assert "4 of 4 checkpoint files held." in capsys.readouterr().out
    assert head_of_file(db_path) == untouched, "a file the app has not opened here is a copy: only read"

    for side in ("-wal", "-shm"):
        Path(f"{db_path}{side}").unlink(missing_ok=True)
    shutil.copyfile(older, db_path)
    remember_opened(db_path)  # the clinic's live file: the run is recorded in it
    assert cli.main(["audit", "verify", "--db", str(db_path), "--against", str(folder)]) == 1

    err = capsys.readouterr().err
    cut = f"Checkpoint FAILED: the trail has only {head_of_file(older)[0]} rows; checkpoint"
    assert f"{cut} {sidecar_of(newer).name}" in err
    with closing(sqlite3.connect(db_path)) as live:
        action, detail = live.execute(
            "SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert action == "audit trail verified"
    assert json.loads(detail)["result"] == "BROKEN" and json.loads(detail)["checkpoint_failures"]


def test_a_verify_in_the_app_is_recorded_with_who_ran_it(db: Database, desk: Desk, admin: Staff) -> None:
    report = desk.audit.verify_and_record(admin.id)
    assert report.ok
    action, detail = last_row(db)
    assert action == "audit trail verified"
    assert (detail["result"], detail["rows_verified"]) == ("intact", report.rows)
    staff = db.execute_sql("SELECT staff_id FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert staff == admin.id


# --- what a reviewer tried next ------------------------------------------------------------------


def cut_after(db: Database, rows: int) -> str:
    """Someone with the file deletes every audit row after `rows`; returns row `rows`'s hash."""
    for (trigger,) in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        run_sql(db, f'DROP TRIGGER "{trigger}"')
    run_sql(db, "DELETE FROM audit_log WHERE id > ?", (rows,))
    return db.execute_sql("SELECT hash FROM audit_log WHERE id = ?", (rows,)).fetchone()[0]


def forge_restore_row(db: Database, clock: ManualClock, rows: int, head: str) -> int:
    """A chained 'database restored from a backup' row naming a backup nobody made."""
    claim = {"from": "/media/usb/treatment-desk-made-up.sqlite3", "backup_audit_rows": rows}
    with db.atomic():
        write_audit(
            db, clock.now(), None, RESTORE_ACTION, "database", None, claim | {"backup_head_hash": head}
        )
    return rows + 1


def test_a_restore_row_no_restore_checkpoint_confirms_explains_nothing(
    db_path: Path, db: Database, desk: Desk, nurse: Staff, clock: ManualClock, folder: Path
) -> None:
    backup(db_path, folder, clock)
    kept = head_of_file(db_path)[0]
    work(desk, nurse, 1)
    clock.advance(days=1)
    newer = backup(db_path, folder, clock)
    forged = forge_restore_row(db, clock.advance(minutes=5), kept, cut_after(db, kept))

    failures, notices = against(db, folder)

    assert (
        f"audit row {forged} says the database was restored from a backup, but no restore checkpoint "
        f"in {folder} confirms it"
    ) in failures
    assert any(sidecar_of(newer).name in failure for failure in failures), "the cut is not explained away"
    assert not [notice for notice in notices if "rolled back" in notice]


def test_a_restore_by_the_app_leaves_its_own_checkpoint_beside_the_backup(
    db_path: Path, db: Database, clock: ManualClock, folder: Path
) -> None:
    older = backup(db_path, folder, clock)
    db.close()
    restore(older, db_path, clock.advance(minutes=5).astimezone(UTC))

    (written,) = folder.glob("audit-restore-*.json")
    content = json.loads(written.read_text())
    assert (content["rows"], content["restored_from"]) == (head_of_file(older)[0] + 1, older.name)
    assert content["head_hash"] == head_of_file(db_path)[1]


def test_a_typed_checkpoint_a_restore_rolled_back_needs_the_time_printed_beside_it(
    db_path: Path, db: Database, desk: Desk, nurse: Staff, clock: ManualClock, folder: Path
) -> None:
    older = backup(db_path, folder, clock)
    work(desk, nurse, 1)
    rows, head = desk.audit.audit_head()
    printed = f"{clock.now().astimezone():%Y-%m-%dT%H:%M}"
    db.close()
    restore(older, db_path, clock.advance(minutes=5).astimezone(UTC))
    restored = open_database(str(db_path), create=False)
    try:
        without_time = check_checkpoints(restored, *gather_checkpoints([folder], [f"{rows}:{head[:12]}"]))
        with_time = check_checkpoints(
            restored, *gather_checkpoints([folder], [f"{rows}:{head[:12]}@{printed}"])
        )
    finally:
        restored.close()

    assert any("give the date and time printed beside it" in failure for failure in without_time.failures)
    assert with_time.failures == [] and with_time.rolled_back == 1
    assert (
        with_time.summary()
        == "2 of 2 checkpoint files held; 0 of 1 typed checkpoints held; 1 rolled back by a restore."
    )


def test_a_folder_with_no_checkpoint_of_this_trail_fails(
    db_path: Path, db: Database, clock: ManualClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CheckpointError, match="There is no audit checkpoint in"):
        gather_checkpoints([empty], [])
    db.close()
    assert cli.main(["audit", "verify", "--db", str(db_path), "--against", str(empty)]) == 2
    assert f"There is no audit checkpoint in {empty}" in capsys.readouterr().err

    elsewhere = tmp_path / "another clinic"
    elsewhere.mkdir()
    other = Checkpoint(1, "a" * 64, clock.now(), "e" * 32, "x", "b" * 64)
    write_checkpoint(elsewhere / daily_name(clock.now().date(), "e" * 32), other)
    reopened = open_database(str(db_path), create=False)
    try:
        failures, _ = against(reopened, elsewhere)
    finally:
        reopened.close()
    assert [failure for failure in failures if "holds no checkpoint of this database's trail" in failure]


@pytest.mark.parametrize("at", ["not a time", "2026-11-25T10:00:00"])
def test_a_restore_row_with_a_time_the_app_never_writes_fails_and_does_not_crash(
    db_path: Path, db: Database, desk: Desk, nurse: Staff, clock: ManualClock, folder: Path, at: str
) -> None:
    backup(db_path, folder, clock)
    kept = head_of_file(db_path)[0]
    work(desk, nurse, 1)
    backup(db_path, folder, clock.advance(days=1))
    forged = forge_restore_row(db, clock.advance(minutes=5), kept, cut_after(db, kept))
    run_sql(db, "UPDATE audit_log SET at = ? WHERE id = ?", (at, forged))

    failures, _ = against(db, folder)

    assert f"audit row {forged} says the database was restored from a backup, but its time ({at!r}) " in (
        "\n".join(failures)
    )


def test_a_checkpoint_with_a_row_number_no_database_holds_is_refused_without_a_crash(
    db_path: Path, db: Database, desk: Desk, clock: ManualClock, folder: Path
) -> None:
    folder.mkdir()
    day_file = folder / daily_name(clock.now().date(), database_id(db))
    day_file.write_text(
        json.dumps({"kind": KIND, "rows": 10**30, "head_hash": "ab", "at": clock.now().isoformat()})
    )
    with pytest.raises(CheckpointError, match="row count or hash is not valid"):
        checkpoints_in(day_file)
    for typed in (f"{10**30}:1a2b3c4d5e6f", f"{'9' * 5000}:1a2b3c4d5e6f"):
        with pytest.raises(CheckpointError, match="is not a checkpoint"):
            gather_checkpoints([], [typed])

    assert desk.audit.write_daily_checkpoint(db_path.parent, db_path) is None  # start-up goes on
    keeper = BackupKeeper(db_path, lambda: folder, clock, desk.audit.record_backup)
    keeper.tick()
    keeper.wait()
    assert keeper.problem is not None and "not the day's checkpoint" in keeper.problem


def test_a_verify_run_the_database_refuses_to_record_is_said_not_a_traceback(
    db_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refused(*_: object) -> str:
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(anchoring, "record_verify", refused)
    db.close()
    remember_opened(db_path)
    assert cli.main(["audit", "verify", "--db", str(db_path)]) == 0
    assert "the run could not be recorded in the audit trail (disk I/O error)" in capsys.readouterr().err


@pytest.mark.both_databases
def test_on_a_server_which_the_app_never_restores_any_restore_row_fails(
    db: Database, desk: Desk, nurse: Staff, clock: ManualClock, backend: str
) -> None:
    work(desk, nurse, 1)
    forged = forge_restore_row(
        db, clock, *desk.audit.audit_head()
    )  # it follows the last row, as a restore's does
    typed = f"{forged}:{desk.audit.audit_head()[1][:12]}"

    result = check_checkpoints(db, *gather_checkpoints([], [typed]))

    server_says = (
        f"audit row {forged} says the database was restored from a backup, but the app never restores a "
        "server's database"
    )
    assert result.held == 1
    assert (server_says in result.failures) == (backend == "postgresql")
