"""A second (third...) Treatment Desk on the same database file, in a process of its own.

Run as: python -m tests.support.desk_child DB_PATH STAFF_ID SESSION_ID COUNT LABEL
It writes COUNT notes on the session, each its own transaction through the store's public action,
and prints one line 'saved N' per note once the store has returned (committed).
"""

from __future__ import annotations

import sys

from desk_app.domain.clock import SystemClock
from desk_app.domain.procedure import load_procedure
from desk_app.paths import PROCEDURE_FILE, resource_path
from desk_app.store.database import open_database
from desk_app.store.desk import Desk


def main() -> None:
    path, staff_id, session_id, count, label = sys.argv[1:6]
    desk = Desk(
        open_database(path, create=False), load_procedure(resource_path(PROCEDURE_FILE)), SystemClock()
    )
    for number in range(int(count)):
        desk.sessions.add_note(int(session_id), None, f"{label} note {number}", int(staff_id))
        print(f"saved {number}", flush=True)
    desk.db.close()


if __name__ == "__main__":
    main()
