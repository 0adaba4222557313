"""One of two Treatment Desk apps on the same database, for the two-desks test.

Run as: python -m tests.support.two_apps_child DB_URL SESSION_ID STAFF_ID ISO_INSTANT MINE THEIRS
It opens the session, prints READY, and on a line 'GO' on stdin clicks Confirm on the item
labelled MINE and prints 'TICKED <unix time>'. Its window then runs as in the clinic (its own
one-second timer) until the item labelled THEIRS, ticked by the other app, shows done: it prints
'SAW <unix time>', or 'NOT SEEN' after 10 seconds.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel

from desk_app.app import build_window
from desk_app.domain.clock import ManualClock
from tests.gui.nurse import settle


def main() -> None:
    url, session_id, staff_id, instant, mine, theirs = sys.argv[1:7]
    app = QApplication(sys.argv[:1])
    window = build_window(url, ManualClock(datetime.fromisoformat(instant)))
    window.idle.idle_for = lambda: 0 * (window.idle_limit)  # nobody types here: never lock
    window.show()
    window.set_staff(window.desk.accounts.staff(int(staff_id)))
    window.show_session(int(session_id))
    settle(None)  # the session is read on the database worker
    app.processEvents()
    print("READY", flush=True)
    sys.stdin.readline()
    button = next(b for b in window.findChildren(QAbstractButton) if b.accessibleName() == f"Confirm: {mine}")
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    print(f"TICKED {time.time()}", flush=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        app.processEvents()
        statuses = [
            w for w in window.findChildren(QLabel) if w.accessibleDescription() == f"Status of {theirs}"
        ]
        if statuses and "✓ Done" in statuses[0].text():
            print(f"SAW {time.time()}", flush=True)
            return
        time.sleep(0.02)
    print("NOT SEEN", flush=True)


if __name__ == "__main__":
    main()
