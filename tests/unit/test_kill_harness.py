"""Kill harness: a desk in another process is killed with SIGKILL at random moments, over and over.

Each round forks a child from this (already imported) test process: it opens its own connection and
walks sessions through the store's public actions (tests/support/kill_child.py), acknowledging each
action on a pipe only after it has returned (committed). After a random delay the harness kills it,
and with the child dead opens the file as the app would after a crash, and checks:

- PRAGMA integrity_check is 'ok';
- every acknowledged action is stored exactly as acknowledged (no acknowledged tick is ever lost);
- at most one action was committed but not acknowledged (the one the kill cut short);
- the audit chain is whole and matches the session events.

The next child goes on from what is stored. KILLS (default 45) sets the number of kills; `make soak`
runs 5,000. KILL_SEED changes the random delays and the children's choices.

On PostgreSQL (KILLS_ON_POSTGRESQL, default 20) the desk is the same and the file is the server's:
a killed client's transaction is rolled back by the server and its write lock released.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from peewee import Database, SqliteDatabase

from desk_app.domain.clock import ManualClock
from desk_app.domain.procedure import Procedure
from desk_app.store.audit import verify_audit
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from tests.conftest import START
from tests.support.kill_child import READY, Cast, child_main
from tests.support.lasers import register_test_laser
from tests.support.people import FAST_HASHER, add_member, administrator
from tests.support.pg_databases import emptied_postgres_database
from tests.support.raw_sql import run_sql, stored_utc_text

# make test's share of the suite's three minutes; a soak raises them (KILLS=2000 make test).
KILLS = int(os.environ.get("KILLS", "45"))
KILLS_ON_POSTGRESQL = int(os.environ.get("KILLS_ON_POSTGRESQL", "20"))
SEED = int(os.environ.get("KILL_SEED", "20261125"))
# A fresh database every so many kills keeps each round's checks (a whole-file walk) short in a soak.
KILLS_PER_FILE = 100
# A few kills land straight after the fork: while the child opens the file (and recovers its WAL).
EARLY_KILL_SHARE = 0.05
EARLY_KILL_WINDOW = 0.020
# The rest land up to this long after the child is ready: from before its first commit to mid-walk.
# A server's round trips are slower, the more so while the rest of the suite runs beside it: the
# window is wider there, or half the rounds would end before anything was acknowledged.
LATE_KILL_WINDOW = {"sqlite": 0.080, "postgresql": 0.150}
READY_TIMEOUT = 20.0


@dataclass
class Round:
    number: int
    seed: int
    delay: float
    early: bool
    acks: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    status: int = 0

    def describe(self) -> str:
        when = "after the fork" if self.early else "after READY"
        kill = f"kill {self.delay * 1000:.1f} ms {when}"
        return f"round {self.number} (KILL_SEED={SEED}, child seed {self.seed}, {kill})"


def set_up_file(url: str, procedure: Procedure) -> Cast:
    """Staff and patients, written by the harness before any child runs."""
    db = open_database(url)
    try:
        desk = Desk(db, procedure, ManualClock(START), FAST_HASHER)
        administrator(desk)
        nurses = (add_member(desk, "Ann Nurse", "AN", "nurse"), add_member(desk, "Bea Nurse", "BN", "nurse"))
        patients = [
            desk.patients.register_patient(
                given, family, "1980-01-0" + str(n + 1), f"AZ-{n:05d}", nurses[0].id
            )
            for n, (given, family) in enumerate(
                [("Zoë", "O'Brien"), ("Siân", "Nuñez"), ("Li", "Wei"), ("Åsa", "Berg"), ("Tom", "Hart")]
            )
        ]
        laser_id = register_test_laser(desk)
        clinician = add_member(desk, "Dr Clive Doctor", "CD", "clinician")
    finally:
        db.close()
    return Cast(tuple(n.id for n in nurses), tuple(p.id for p in patients), laser_id, clinician.id)


def read_lines(fd: int, buffer: bytearray, deadline: float | None, until_ready: bool = False) -> bool:
    """Read what the child wrote until `deadline` (None: until end of file), or with `until_ready`
    until it says READY; False at end of file."""
    while not (until_ready and READY in buffer):
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return True
        chunk = os.read(fd, 65536)
        if not chunk:
            return False
        buffer += chunk
    return True


def run_round(round_: Round, url: str, procedure: Procedure, cast: Cast) -> None:
    """Fork a child, kill it after the round's delay, and collect its acknowledgements."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        child_main(url, procedure, cast, round_.seed, write_fd)
        os._exit(71)  # not reached: child_main ends the process itself
    os.close(write_fd)
    buffer = bytearray()
    try:
        if round_.early:
            time.sleep(round_.delay)
        else:
            read_lines(read_fd, buffer, time.monotonic() + READY_TIMEOUT, until_ready=True)
            if READY in buffer:
                read_lines(read_fd, buffer, time.monotonic() + round_.delay)
    finally:
        os.kill(pid, signal.SIGKILL)
        _, round_.status = os.waitpid(pid, 0)
    read_lines(read_fd, buffer, None)
    os.close(read_fd)
    for line in buffer.decode("utf-8").splitlines():
        if line.startswith("ERROR "):
            round_.error = json.loads(line.removeprefix("ERROR "))
        elif line != READY.decode().strip():
            round_.acks.append(json.loads(line))


EVENT_COLUMNS = "session_id, kind, item_id, staff_id, at, values_json, text, corrects_id"


def stored(db: Database, ack: dict[str, Any]) -> dict[str, Any] | None:
    """What the database holds for an acknowledged action, in the acknowledgement's form."""
    if ack["action"] == "check":
        query = "SELECT device_id, staff_id, at, passed FROM laser_device_check WHERE id = ?"
        row = run_sql(db, query, (ack["check"],)).fetchone()
        if row is None:
            return None
        device, staff, at, passed = row
        at = stored_utc_text(at)
        return {
            "action": "check",
            "check": ack["check"],
            "device": device,
            "staff": staff,
            "at": at,
            "passed": passed,
        }
    if ack["action"] == "start":
        row = run_sql(
            db,
            "SELECT patient_id, started_by_id, session_number, started_at "
            "FROM treatment_session WHERE id = ?",
            (ack["session"],),
        ).fetchone()
        if row is None:
            return None
        keys = ("patient", "staff", "number", "at")
        *values, at = row
        return {
            "action": "start",
            "session": ack["session"],
            **dict(zip(keys, [*values, stored_utc_text(at)], strict=True)),
        }
    row = run_sql(db, f"SELECT {EVENT_COLUMNS} FROM session_event WHERE id = ?", (ack["event"],)).fetchone()
    if row is None:
        return None
    keys = ("session", "kind", "item", "staff", "at", "values", "text", "corrects")
    session, kind, item, staff, at, *rest = row
    values = (session, kind, item, staff, stored_utc_text(at), *rest)
    return {"action": ack["action"], "event": ack["event"], **dict(zip(keys, values, strict=True))}


def audit_rows(db: Database) -> int:
    """Audit rows of actions: a signature's PIN is audited in the sign-out's own transaction, as a
    second row of the same action, and a session's start writes its 'course' event with it."""
    sql = "SELECT count(*) FROM audit_log WHERE action NOT IN ('PIN accepted', 'course')"
    return db.execute_sql(sql).fetchone()[0]


@contextmanager
def reopened(url: str) -> Iterator[Database]:
    """The database opened as the app opens it after a crash (its start-up checks included)."""
    db = open_database(url, create=False)
    try:
        yield db
    finally:
        db.close()


def check_after_kill(url: str, round_: Round, audit_before: int) -> int:
    """Every check of one round, with the child dead; returns the audit rows now stored."""
    where = round_.describe()
    assert round_.error is None, f"{where}: the child failed:\n{round_.error}"
    assert os.WIFSIGNALED(round_.status) and os.WTERMSIG(round_.status) == signal.SIGKILL, (
        f"{where}: the child ended by itself (status {round_.status})"
    )
    with reopened(url) as db:
        if isinstance(db, SqliteDatabase):
            assert db.execute_sql("PRAGMA integrity_check").fetchall() == [("ok",)], where
        for ack in round_.acks:
            assert stored(db, ack) == ack, f"{where}: an acknowledged action is lost or changed: {ack}"
        report = verify_audit(db)
        assert report.ok, f"{where}: {report.problem}"
        audit_now = audit_rows(db)
    # One audit row per action: all acknowledged ones, and at most the one the kill cut short.
    unacknowledged = audit_now - audit_before - len(round_.acks)
    assert unacknowledged in (0, 1), f"{where}: {unacknowledged} actions committed without acknowledgement"
    return audit_now


def check_whole_file(url: str, acks: list[dict[str, Any]]) -> None:
    """At the end of a file: every acknowledgement of every round is still there."""
    with reopened(url) as db:
        lost = [ack for ack in acks if stored(db, ack) != ack]
        assert not lost, f"acknowledged actions lost or changed by later rounds: {lost[:5]}"


@pytest.mark.both_databases
@pytest.mark.timeout(max(120, KILLS // 2))
def test_killed_desk_loses_no_acknowledged_action_and_leaves_the_file_whole(
    tmp_path: Path, procedure: Procedure, backend: str
) -> None:
    rng = random.Random(SEED)
    total = KILLS if backend == "sqlite" else KILLS_ON_POSTGRESQL
    kills = acked = rounds_without_ack = 0
    while kills < total:
        path = tmp_path / f"kill-{kills // KILLS_PER_FILE}.sqlite3"
        url = str(path) if backend == "sqlite" else emptied_postgres_database()
        cast = set_up_file(url, procedure)
        with reopened(url) as db:
            audit_before = audit_rows(db)
        file_acks: list[dict[str, Any]] = []
        for _ in range(min(KILLS_PER_FILE, total - kills)):
            early = rng.random() < EARLY_KILL_SHARE
            delay = rng.uniform(0, EARLY_KILL_WINDOW if early else LATE_KILL_WINDOW[backend])
            round_ = Round(kills, rng.getrandbits(32), delay, early)
            run_round(round_, url, procedure, cast)
            kills += 1
            audit_before = check_after_kill(url, round_, audit_before)
            file_acks += round_.acks
            acked += len(round_.acks)
            rounds_without_ack += not round_.acks
        check_whole_file(url, file_acks)
        for leftover in tmp_path.glob(f"{path.name}*"):  # a soak would otherwise fill the disk
            leftover.unlink()
    # The harness itself: most kills must land after some work was acknowledged, or it tests little.
    assert rounds_without_ack <= total / 2, f"{rounds_without_ack} of {total} rounds acknowledged nothing"
    assert acked >= total, f"only {acked} actions acknowledged in {total} rounds"
