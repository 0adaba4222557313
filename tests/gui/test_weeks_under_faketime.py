"""The real app, as a clinic PC runs it, for days on a clock sped up by libfaketime (issue 23): one
backup a day, no thread or open file more from one day to the next, and the shutdown's SIGTERM
closes it with status 0. Skipped where the machine has no libfaketime (Debian: apt-get install
faketime); `make soak` runs a month (FAKETIME_DAYS=31), `make test` a few days."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from desk_app.store.backup import KEEP_DAILY
from desk_app.store.desk import Desk
from tests.unit.test_backups import BACKUP_NAME

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")
DAYS = int(os.environ.get("FAKETIME_DAYS", "3"))
SPEED = 100_000  # a clinic day in under a second
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not (LIBFAKETIME.exists() and Path("/proc/self/fd").is_dir()),
    reason=f"needs libfaketime at {LIBFAKETIME} (Debian x86_64: apt-get install faketime) and /proc",
)


def _backup_days(folder: Path) -> set[date]:
    return {
        date.fromisoformat(BACKUP_NAME.match(path.name)[1][:10])
        for path in folder.glob("treatment-desk-*.sqlite3")
    }


def _wait_for(app: subprocess.Popen, what: str, done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not done():
        assert app.poll() is None, "the app ended early (its stderr.txt says why)"
        assert time.monotonic() < deadline, f"not within 30 s: {what}"
        time.sleep(0.02)


def _threads_and_files(pid: int) -> tuple[int, int]:
    """The fewest seen over a moment: a day's backup thread may be running at one look."""
    looks = []
    for _ in range(8):
        looks.append((len(os.listdir(f"/proc/{pid}/task")), len(os.listdir(f"/proc/{pid}/fd"))))
        time.sleep(0.02)
    return min(looks)


def test_the_app_runs_for_days_on_a_fast_clock_and_a_sigterm_closes_it_cleanly(
    desk: Desk, db_path: Path, tmp_path: Path
) -> None:
    desk.db.close()  # only the app uses the database now
    backups = db_path.parent / "backups"  # the default: beside the database
    environment = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "share"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "QT_QPA_PLATFORM": "offscreen",
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME": f"@2026-12-01 08:00:00 x{SPEED}",
    }
    errors = (tmp_path / "stderr.txt").open("w")
    app = subprocess.Popen(
        [sys.executable, "-m", "desk_app", "--db", str(db_path)],
        cwd=REPO,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=errors,  # a file: a month's warnings would fill a pipe nobody reads, and hang the app
        text=True,
    )
    try:
        # Starting takes the first fake day or so: the days are counted from the first backup.
        _wait_for(app, "a first backup", lambda: bool(_backup_days(backups)))
        first = min(_backup_days(backups))
        _wait_for(app, "the next day's backup", lambda: first + timedelta(days=1) in _backup_days(backups))
        next_day = _threads_and_files(app.pid)
        last = first + timedelta(days=DAYS - 1)
        _wait_for(app, f"a backup on day {DAYS}", lambda: last in _backup_days(backups))
        last_day = _threads_and_files(app.pid)
        app.send_signal(signal.SIGTERM)
        status = app.wait(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
        errors.close()
    assert status == 0, (tmp_path / "stderr.txt").read_text()[-2000:]
    (threads, files), (threads_before, files_before) = last_day, next_day
    assert threads <= threads_before, f"threads: {threads_before} on day 2, {threads} on day {DAYS}"
    assert files <= files_before, f"open files: {files_before} on day 2, {files} on day {DAYS}"
    kept_daily = [last - timedelta(days=day) for day in range(min(DAYS, KEEP_DAILY))]
    assert set(kept_daily) <= _backup_days(backups)  # one each day (the last 14 days' kept)
