"""One fresh start, timed from inside: `python -m tests.benchmarks.startup_child app|bare [DB_URL]`.

'app' starts as desk_app.app.run does (QApplication, style sheet, build_window on the database, show);
'bare' shows an empty QMainWindow of the same size, the least any Qt window costs. Once the window
is shown and the event queue is empty, it prints one line, READY {json of phase times in ms}, and exits.
"""

from __future__ import annotations

import time

_START = time.perf_counter_ns()

import json  # noqa: E402
import sys  # noqa: E402


def _ms(since: int) -> float:
    return (time.perf_counter_ns() - since) / 1e6


def main() -> None:
    mode = sys.argv[1]
    phases: dict[str, float] = {}
    mark = time.perf_counter_ns()
    from PySide6.QtWidgets import QApplication, QMainWindow

    if mode == "app":
        from desk_app.app import build_window, load_style
        from desk_app.domain.clock import SystemClock
    phases["imports"] = _ms(mark)

    mark = time.perf_counter_ns()
    app = QApplication(sys.argv[:1])
    if mode == "app":
        app.setApplicationName("Treatment Desk")
        app.setOrganizationName("Azure Medical")
        load_style(app)
    phases["QApplication"] = _ms(mark)

    mark = time.perf_counter_ns()
    if mode == "app":
        window = build_window(sys.argv[2], SystemClock())
    else:
        window = QMainWindow()
        window.setWindowTitle("Bare")
        window.resize(1280, 860)
    phases["build window"] = _ms(mark)

    mark = time.perf_counter_ns()
    window.show()
    app.processEvents()
    phases["show"] = _ms(mark)
    phases["in process"] = _ms(_START)
    print("READY " + json.dumps(phases), flush=True)


if __name__ == "__main__":
    main()
