"""One fresh start, timed from inside: `python -m tests.benchmarks.startup_child app|bare [DB_URL]`.

'app' starts as `desk-app --db DB_URL` does (desk_app.launch.main: this PC's settings, the log, the
style sheet, the icon, the database, the window), through the command's own entry point;
'bare' shows an empty QMainWindow of the same size, the least any Qt window costs. Once the window
is shown and the event queue is empty (for the app: its database worker has answered too, so the
sign-in page lists the names to choose from), it prints one line, READY {json of phase times in
ms}, and exits (the app's event loop is not entered).
"""

from __future__ import annotations

import time

_START = time.perf_counter_ns()

import json  # noqa: E402
import sys  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication


def _ms(since: int) -> float:
    return (time.perf_counter_ns() - since) / 1e6


def _ready(phases: dict[str, float]) -> None:
    phases["in process"] = _ms(_START)
    print("READY " + json.dumps(phases), flush=True)


def _app(url: str) -> None:
    """As the command: its entry (desk_app.launch, which pauses the garbage collector while the app
    starts) imports the rest. The event loop is replaced once the start is over (launch.started,
    called by desk_app.app.run when the window is shown, just before app.exec())."""
    phases: dict[str, float] = {}
    mark = time.perf_counter_ns()
    from desk_app import launch

    start_over = launch.started

    def shown() -> None:
        phases["imports, to window shown"] = _ms(mark)
        start_over()
        from PySide6.QtWidgets import QApplication

        def instead_of_the_event_loop(app: QApplication) -> int:
            paint = time.perf_counter_ns()
            app.processEvents()
            _answered(app)
            phases["paint"] = _ms(paint)
            _ready(phases)
            return 0

        QApplication.exec = instead_of_the_event_loop  # type: ignore[method-assign, assignment]

    launch.started = shown  # type: ignore[assignment]
    assert launch.main(["--db", url]) == 0


def _answered(app: QApplication) -> None:
    """Until the database worker has answered what the first screen asked (the sign-in page's
    names) and the answers are shown: a sign-in page without them cannot be used."""
    from desk_app.ui.db_worker import DatabaseWorker

    while workers := [w for top in app.topLevelWidgets() for w in top.findChildren(DatabaseWorker)]:
        if all(worker.idle() for worker in workers):
            return
        for worker in workers:
            assert worker.wait_until_drained(10), "the database worker did not answer within 10 s"
        app.processEvents()


def _bare() -> None:
    phases: dict[str, float] = {}
    mark = time.perf_counter_ns()
    from PySide6.QtWidgets import QApplication, QMainWindow

    phases["imports"] = _ms(mark)
    mark = time.perf_counter_ns()
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("Bare")
    window.resize(1280, 860)
    window.show()
    phases["to window shown"] = _ms(mark)
    mark = time.perf_counter_ns()
    app.processEvents()
    phases["paint"] = _ms(mark)
    _ready(phases)


if __name__ == "__main__":
    if sys.argv[1] == "app":
        _app(sys.argv[2])
    else:
        _bare()
