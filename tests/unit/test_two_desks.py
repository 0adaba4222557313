"""Two copies of the app on one database file work side by side (the decision of issue 7, point 6).

Several desks on one PC may share the file: SQLite's WAL lets them read while one writes, every write
starts IMMEDIATE (one writer at a time, the others wait up to the busy timeout), and the audit chain is
extended inside each write transaction. Here three processes write at once, as fast as they can.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from peewee import Database, SqliteDatabase

from desk_app.domain.access import Opened
from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.procedure import Procedure
from desk_app.store.audit import verify_audit
from desk_app.store.desk import Desk
from desk_app.store.seals import SealBook
from tests.support.people import FAST_HASHER
from tests.support.raw_sql import other_connection
from tests.support.walk import SIGN_IN, tick_all

pytestmark = pytest.mark.both_databases

REPO = Path(__file__).resolve().parents[2]
NOTES_EACH = 40


def test_three_desks_writing_at_once_lose_nothing_and_keep_the_audit_chain_whole(
    desk: Desk, db: Database, db_url: str, nurse: Staff
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00012", nurse.id)
    session = desk.sessions.start_session(patient.id, nurse.id)
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.desk_child",
                db_url,
                str(nurse.id),
                str(session.id),
                str(NOTES_EACH),
                f"desk {desk_number}",
            ],  # fmt: skip
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for desk_number in range(3)
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    assert [child.returncode for child in children] == [0, 0, 0], [err for _, err in outputs]
    assert all(out.count("saved") == NOTES_EACH for out, _ in outputs)

    notes = [event.text for event in desk.sessions.session(session.id).events]
    for desk_number in range(3):
        mine = [text for text in notes if text.startswith(f"desk {desk_number} ")]
        assert mine == [f"desk {desk_number} note {n}" for n in range(NOTES_EACH)], "in order, none lost"
    report = verify_audit(db)
    assert report.ok, report.problem
    if isinstance(db, SqliteDatabase):
        assert db.execute_sql("PRAGMA integrity_check").fetchone() == ("ok",)


def at_another_desk(desk: Desk, action: Callable[[], object]) -> None:
    """Run `action` as another desk would: on its own connection (peewee keeps one per thread)."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as error:  # noqa: BLE001 - raised again on the test's thread
            failures.append(error)
        finally:
            desk.db.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not failures, failures


def test_another_desk_reading_a_record_does_not_make_this_desk_read_again_but_a_tick_does(
    desk: Desk, nurse: Staff, procedure: Procedure, clock: ManualClock
) -> None:
    """Opening a record or searching writes an audit row, yet changes no record: the other desks'
    board, checklist and patient page stay as they are until something is changed."""
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00012", nurse.id)
    session = desk.sessions.start_session(patient.id, nurse.id)
    front = Desk(desk.db, procedure, clock, FAST_HASHER)
    assert desk.changed_elsewhere() is False  # the first look sets the mark
    desk.sessions.add_note(
        session.id, None, "Patient asked about aftercare", nurse.id
    )  # this desk's own write

    at_another_desk(
        front, lambda: front.access.record_access(nurse.id, patient.id, Opened.SESSION, session.id)
    )
    assert desk.changed_elsewhere() is False
    at_another_desk(front, lambda: front.access.record_search(nurse.id, 1, False))
    assert desk.changed_elsewhere() is False

    at_another_desk(front, lambda: tick_all(front, session.id, SIGN_IN, nurse.id))
    assert desk.changed_elsewhere() is True
    assert desk.changed_elsewhere() is False


@pytest.mark.sqlite_only
def test_another_program_s_write_without_an_audit_row_is_still_noticed(
    desk: Desk, nurse: Staff, db_url: str
) -> None:
    assert desk.changed_elsewhere() is False
    with other_connection(db_url) as other:
        other.execute("UPDATE staff SET initials = 'AX' WHERE id = ?", (nurse.id,))
        other.commit()
    assert desk.changed_elsewhere() is True


def test_a_patient_registered_at_another_desk_while_verify_runs_is_not_taken_for_a_break(
    desk: Desk,
    db: Database,
    nurse: Staff,
    procedure: Procedure,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Verify reads one moment of the database: a row another desk writes between the walk of the
    chain and the seal check (with the audit row that seals it) is seen by neither."""
    desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00012", nurse.id)
    rows_before = verify_audit(db).rows
    front = Desk(db, procedure, clock, FAST_HASHER)
    check_seals = SealBook.problem

    def another_desk_registers_first(book: SealBook, read: Database) -> str | None:
        at_another_desk(
            front,
            lambda: front.patients.register_patient("Late", "Arrival", "2000-01-01", "AZ-00013", nurse.id),
        )
        return check_seals(book, read)

    monkeypatch.setattr(SealBook, "problem", another_desk_registers_first)
    report = verify_audit(db)
    assert report.ok, report.problem
    assert report.rows == rows_before
    monkeypatch.undo()
    after = verify_audit(db)  # the other desk's row, read now
    assert after.ok and after.rows > rows_before
