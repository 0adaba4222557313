"""Verify says how far it is and stops when asked, recording nothing: it runs on a thread of its
own in the window (ui/long_job.py), with a progress bar and Cancel."""

from __future__ import annotations

import pytest

from desk_app.domain.people import Staff
from desk_app.domain.progress import Cancelled
from desk_app.store import audit
from desk_app.store.audit_actions import VERIFY_ACTION
from desk_app.store.desk import Desk
from desk_app.store.models import AuditLog


def verify_rows(desk: Desk) -> int:
    return AuditLog.select().where(AuditLog.action == VERIFY_ACTION).count()


def test_verify_reports_the_rows_walked_of_the_whole_trail_then_the_checks_that_follow(
    desk: Desk, admin: Staff, nurse: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = AuditLog.select().count()
    monkeypatch.setattr(audit, "_BATCH", 2)  # a batch a step, as 20,000 rows are on a big trail
    heard: list[tuple[int, int]] = []
    report = audit.verify_audit(desk.db, progress=lambda done, total: heard.append((done, total)))
    assert report.ok and report.rows == rows
    walked = [done for done, total in heard if total]
    assert {total for _done, total in heard if total} == {rows}
    assert walked == sorted(walked) and walked[0] == 0 and walked[-1] == rows and len(walked) > 2
    assert heard[-1] == (0, 0)  # then the events, seals and rules: no count to show


@pytest.mark.parametrize("after_asks", [1, 3, 5])
def test_a_cancelled_verify_stops_reports_nothing_and_records_nothing(
    desk: Desk, admin: Staff, nurse: Staff, monkeypatch: pytest.MonkeyPatch, after_asks: int
) -> None:
    monkeypatch.setattr(audit, "_BATCH", 2)
    asked: list[bool] = []

    def cancelled() -> bool:
        asked.append(True)
        return len(asked) >= after_asks  # Cancel pressed during the walk, or during the checks after it

    before = verify_rows(desk)
    with pytest.raises(Cancelled):
        desk.audit.verify_and_record(admin.id, None, cancelled)
    assert len(asked) == after_asks
    assert verify_rows(desk) == before  # the trail gets no "verified" row for a verify that did not finish
    assert desk.audit.verify_and_record(admin.id).ok  # nothing was left half done: the next one runs
    assert verify_rows(desk) == before + 1
