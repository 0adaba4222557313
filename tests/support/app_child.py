"""A real Treatment Desk process for the kill test: tick 'gel applied', say so, wait to be killed.

Run as: python -m tests.support.app_child DB_URL SESSION_ID STAFF_ID ISO_INSTANT
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

GEL_APPLIED = "Gel applied: start the countdown"


def main() -> None:
    url, session_id, staff_id, instant = sys.argv[1:5]
    app = QApplication(sys.argv[:1])
    window = build_window(url, ManualClock(datetime.fromisoformat(instant)))
    window.show()
    window.set_staff(window.desk.accounts.staff(int(staff_id)))
    window.show_session(int(session_id))
    settle(None)  # the session is read on the database worker
    button = next(
        b for b in window.findChildren(QAbstractButton) if b.accessibleName() == f"Confirm: {GEL_APPLIED}"
    )
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    status = next(
        w for w in window.findChildren(QLabel) if w.accessibleDescription() == f"Status of {GEL_APPLIED}"
    )
    deadline = time.monotonic() + 10
    while "✓ Done" not in status.text() and time.monotonic() < deadline:  # saved on the worker
        app.processEvents()
        time.sleep(0.01)
    if "✓ Done" in status.text():
        print("SHOWN", flush=True)
    while True:  # wait for SIGKILL, like a PC losing power right after the nurse saw the tick
        time.sleep(1)


if __name__ == "__main__":
    main()
