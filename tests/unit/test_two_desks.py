"""Two copies of the app on one database file work side by side (the decision of issue 7, point 6).

Several desks on one PC may share the file: SQLite's WAL lets them read while one writes, every write
starts IMMEDIATE (one writer at a time, the others wait up to the busy timeout), and the audit chain is
extended inside each write transaction. Here three processes write at once, as fast as they can.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from peewee import Database, SqliteDatabase

from desk_app.domain.people import Staff
from desk_app.store.audit import verify_audit
from desk_app.store.desk import Desk

pytestmark = pytest.mark.both_databases

REPO = Path(__file__).resolve().parents[2]
NOTES_EACH = 40


def test_three_desks_writing_at_once_lose_nothing_and_keep_the_audit_chain_whole(
    desk: Desk, db: Database, db_url: str, nurse: Staff
) -> None:
    patient = desk.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00012", nurse.id)
    session = desk.start_session(patient.id, nurse.id)
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

    notes = [event.text for event in desk.session(session.id).events]
    for desk_number in range(3):
        mine = [text for text in notes if text.startswith(f"desk {desk_number} ")]
        assert mine == [f"desk {desk_number} note {n}" for n in range(NOTES_EACH)], "in order, none lost"
    report = verify_audit(db)
    assert report.ok, report.problem
    if isinstance(db, SqliteDatabase):
        assert db.execute_sql("PRAGMA integrity_check").fetchone() == ("ok",)
