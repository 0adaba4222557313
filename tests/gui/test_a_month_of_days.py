"""A desk that runs for weeks (issue 23): a month of clinic days on an injected clock, the window
ticking as it does in the clinic, makes one backup a day, keeps what the rotation documents, and
leaves no thread or open file behind."""

from __future__ import annotations

import os
import threading
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.audit_actions import BACKUP_ACTION
from desk_app.store.backup import KEEP_DAILY, KEEP_WEEKLY
from desk_app.store.desk import Desk
from desk_app.store.models import AuditLog
from desk_app.ui.backups import BackupKeeper
from desk_app.ui.main_window import MainWindow
from tests.gui.nurse import settle
from tests.unit.test_backups import BACKUP_NAME

DAYS = 31


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def kept_by_the_rotation(days: list[date]) -> list[date]:
    """backup.rotate's documented rule, worked out here: the newest of each of the last 14 days,
    then the newest of each of the 8 latest weeks before them."""
    newest_first = sorted(days, reverse=True)
    kept = newest_first[:KEEP_DAILY]
    weeks: dict[tuple[int, int], date] = {}
    for day in newest_first[KEEP_DAILY:]:
        week = day.isocalendar()[:2]
        if week not in weeks and len(weeks) < KEEP_WEEKLY:
            weeks[week] = day
    return sorted([*kept, *weeks.values()])


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files in /proc (Linux)")
def test_a_month_of_days_makes_a_backup_a_day_and_grows_no_threads_or_files(
    qtbot: QtBot, nurse: Staff, window: MainWindow, desk: Desk, clock: ManualClock
) -> None:
    database = desk.database.database_file()
    assert database is not None
    keeper = BackupKeeper(database, desk.database.backup_folder, clock)
    keeper.record = lambda *made: window.worker.submit(lambda: desk.audit.record_backup(*made))
    window.backups = keeper  # as the app wires it (app.build_window)
    window.set_staff(nurse)
    settle(qtbot)
    first_day = clock.now().date()
    counted: list[tuple[int, int]] = []

    for day in range(DAYS):
        clock.set(datetime.combine(first_day + timedelta(days=day), time(8, 0), clock.now().tzinfo))
        for _second in range(3):  # the day's first ticks: the backup starts, is made, is recorded
            window.tick()
            keeper.wait()
            settle(qtbot)
        clock.advance(hours=10)  # the rest of the clinic day: no second backup
        window.tick()
        settle(qtbot)
        assert keeper.problem is None, keeper.problem
        counted.append((threading.active_count(), open_files()))

    backups = sorted((keeper.folder()).glob("treatment-desk-*.sqlite3"))
    made_on = [date.fromisoformat(BACKUP_NAME.match(path.name)[1][:10]) for path in backups]
    days = [first_day + timedelta(days=day) for day in range(DAYS)]
    assert made_on == kept_by_the_rotation(days)
    recorded = AuditLog.select().where(AuditLog.action == BACKUP_ACTION).count()
    assert recorded == DAYS  # one a day, each recorded in the trail
    assert counted[-1] == counted[1], counted  # day 2 against day 31: no thread, no file more
