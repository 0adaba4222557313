"""The child of the kill harness (tests/unit/test_kill_harness.py): a desk that walks sessions for
ever through the store's public actions, until the harness kills it with SIGKILL.

It runs in a process forked from the test process, and opens its own connection to the database
(never the parent's). After each action has returned, and so has committed, it writes one line, its
acknowledgement (ACK), to a pipe: one write() of less than PIPE_BUF bytes, so a line is whole or
absent, and what is in the pipe survives the writer's death. The harness then checks that every
acknowledged action is in the database exactly as acknowledged.

A child goes on from the stored state: the sessions in progress, left by the child killed before it,
are continued item by item in procedure order; new ones are started for patients without one.
"""

from __future__ import annotations

import json
import os
import random
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from desk_app.domain.actions import can_correct, gel_still_on
from desk_app.domain.alerts import AlertKind
from desk_app.domain.clock import ManualClock
from desk_app.domain.procedure import Procedure
from desk_app.domain.session import Event, SessionRecord, SessionState
from desk_app.store.audit import stored_time_text
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from tests.support.lasers import TEST_LASER, passed_answers
from tests.support.people import FAST_HASHER, PIN
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT, course_plan

BEFORE_WAIT: dict[str, dict[str, Any]] = {**SIGN_IN, **ANAESTHETIC}
AFTER_WAIT: dict[str, dict[str, Any]] = {**TIME_OUT, **LASER, **SIGN_OUT, "operator_sign_out": {}}
WALK: dict[str, dict[str, Any]] = {**BEFORE_WAIT, **AFTER_WAIT}
GEL_WAIT = timedelta(minutes=61)
SESSIONS_AT_ONCE = 2
READY = b"READY\n"


@dataclass(frozen=True)
class Cast:
    """Who and what the harness set up in the database: the child's script works with these."""

    nurse_ids: tuple[int, ...]
    patient_ids: tuple[int, ...]
    laser_id: int
    # Overrides the interval of a patient's sessions run back to back.
    clinician_id: int


def event_ack(action: str, event: Event, session_id: int) -> dict[str, Any]:
    """The acknowledgement of an action that appended `event`: its whole stored content."""
    return {
        "action": action,
        "session": session_id,
        "event": event.id,
        "kind": event.kind.value,
        "item": event.item_id,
        "staff": event.staff_id,
        "at": stored_time_text(event.at),
        "values": json.dumps(dict(event.values), ensure_ascii=False, sort_keys=True),
        "text": event.text,
        "corrects": event.corrects_id,
    }


class Script:
    """One desk's work: each step is one public action, acknowledged once it has returned."""

    def __init__(self, desk: Desk, clock: ManualClock, cast: Cast, rng: random.Random, ack_fd: int) -> None:
        self.desk, self.clock, self.cast, self.rng, self.ack_fd = desk, clock, cast, rng, ack_fd

    def ack(self, line: dict[str, Any]) -> None:
        data = (json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        assert len(data) < 4096, "one atomic write per acknowledgement"  # PIPE_BUF on Linux
        os.write(self.ack_fd, data)

    def run_forever(self) -> None:
        # The sessions in progress, as the store returned them after each action (as a screen keeps
        # them); read from the database only at the start, so most of the time is spent in writes.
        running = {record.id: record for record in self.desk.sessions.sessions_in_progress()}
        os.write(self.ack_fd, READY)  # the harness times its kill from here: the first action is next
        while True:
            self.clock.advance(seconds=self.rng.randint(5, 40))
            if len(running) < SESSIONS_AT_ONCE and (not running or self.rng.random() < 0.3):
                record = self.start(running)
            else:
                record = self.work_on(self.rng.choice(list(running.values())))
            running[record.id] = record
            if record.state(self.clock.now()).ended:
                del running[record.id]

    def start(self, running: dict[int, SessionRecord]) -> SessionRecord:
        busy = {record.patient.id for record in running.values()}
        patient_id = self.rng.choice([p for p in self.cast.patient_ids if p not in busy])
        nurse_id = self.rng.choice(self.cast.nurse_ids)
        record = self.desk.sessions.start_session(patient_id, nurse_id)
        self.ack(
            {
                "action": "start",
                "session": record.id,
                "patient": patient_id,
                "staff": nurse_id,
                "number": record.session_number,
                "at": stored_time_text(record.started_at),
            }
        )
        return record

    def work_on(self, record: SessionRecord) -> SessionRecord:
        """One action on a session: mostly the next tick of the walk, sometimes something else."""
        state = record.state(self.clock.now())
        item_id = next(item for item in WALK if state.item(item).tick is None)
        gel = state.item(state.procedure.gel_applied.id).tick
        if item_id in AFTER_WAIT and gel is not None and self.clock.now() < gel.at + GEL_WAIT:
            self.clock.set(gel.at + GEL_WAIT)
            state = record.state(self.clock.now())
        desk, session_id, staff_id, roll = self.desk, record.id, record.holder.id, self.rng.random()
        interval = next(
            (i for i in state.items.values() if i.item.checks_course_interval and i.flags and not i.override),
            None,
        )
        if interval is not None:  # the same patient again within the interval: a clinician agrees
            reason, clinician = "Back-to-back sessions in the kill test", self.cast.clinician_id
            return self.append(
                "override",
                desk.sessions.override(session_id, interval.item.id, reason, clinician, staff_id, PIN),
            )
        if self.ready_alert_due(state) and roll < 0.5:
            return self.append(
                "acknowledge", desk.sessions.acknowledge_alert(session_id, AlertKind.READY, staff_id)
            )
        if roll < 0.06:
            target = self.rng.choice([None, item_id])
            text = f"Note {self.rng.randint(0, 10**6)} · patient asked about the gel, café au lait"
            return self.append("note", desk.sessions.add_note(session_id, target, text, staff_id))
        if roll < 0.09:
            other = self.rng.choice([n for n in self.cast.nurse_ids if n != staff_id])
            return self.append("take over", desk.sessions.take_over(session_id, other))
        if roll < 0.13 and (undo := self.undoable(state)) is not None:
            reason = "Ticked by mistake: done again"
            return self.append("correct", desk.sessions.correct(session_id, undo, reason, staff_id))
        if 0.13 <= roll < 0.135:
            reason = "Patient felt unwell; treatment stopped"
            return self.append(
                "abort", desk.sessions.abort(session_id, reason, staff_id, gel_still_on(state))
            )
        if item_id == "operator_sign_out":
            return self.append("tick", desk.sessions.sign_out(session_id, staff_id, PIN))
        values = course_plan(record, desk) if item_id == "next_session" else WALK[item_id]
        if TEST_LASER in values.values():
            if desk.device_checks.device_use(self.cast.laser_id).passed_check is None:  # a new day
                self.check_laser(staff_id)
                return record
            values = {
                key: self.cast.laser_id if value == TEST_LASER else value for key, value in values.items()
            }
        return self.append("tick", desk.sessions.tick(session_id, item_id, values, staff_id))

    def check_laser(self, staff_id: int) -> None:
        """The day's pre-use check of the laser, before its first use that day: an action of its own."""
        check = self.desk.device_checks.record_pre_use_check(
            self.cast.laser_id, passed_answers(self.desk), "", staff_id
        )
        self.ack(
            {
                "action": "check",
                "check": check.id,
                "device": check.device_id,
                "staff": staff_id,
                "at": stored_time_text(check.at),
                "passed": check.passed,
            }
        )

    def append(self, action: str, record: SessionRecord) -> SessionRecord:
        self.ack(event_ack(action, record.events[-1], record.id))
        return record

    def undoable(self, state: SessionState) -> str | None:
        """An item already ticked that may be undone now (the walk then ticks it again)."""
        done = [item for item in WALK if state.item(item).tick is not None]
        allowed = [item for item in done[-3:] if can_correct(state, item) is None]
        return self.rng.choice(allowed) if allowed else None

    def ready_alert_due(self, state: SessionState) -> bool:
        countdown = state.countdown
        return (
            countdown is not None
            and countdown.removed_at is None
            and countdown.ready_at <= self.clock.now() < countdown.remove_at
            and AlertKind.READY.value not in state.alert_acks
        )


def last_instant(desk: Desk) -> datetime:
    """The time of the latest audit row: a new desk's clock goes on from there."""
    text = desk.db.execute_sql("SELECT at FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0]
    return datetime.fromisoformat(text)


def child_main(db_path: str, procedure: Procedure, cast: Cast, seed: int, ack_fd: int) -> None:
    """Run in the forked child; never returns (os._exit), whatever happens."""
    code = 70
    try:
        db = open_database(db_path, create=False)  # its own connection; rebinds the models' proxy
        clock = ManualClock(datetime.fromisoformat("2000-01-01T00:00:00+00:00"))
        desk = Desk(db, procedure, clock, FAST_HASHER)
        clock.set(last_instant(desk) + timedelta(seconds=1))
        Script(desk, clock, cast, random.Random(seed), ack_fd).run_forever()
    except BaseException:  # noqa: BLE001 - anything at all goes back to the harness, as a failure
        try:
            message = "ERROR " + json.dumps(traceback.format_exc()) + "\n"
            os.write(ack_fd, message.encode("utf-8")[:4000])
        finally:
            os._exit(code)
    os._exit(code)
