"""`desk-app migrate-to` says how far the copy is on a terminal's stderr, a line a step, updated in
place; nothing of it where stderr is a file or a pipe (a log keeps the result, not half-lines)."""

from __future__ import annotations

import io

from desk_app.store.copying import CHECK_FILE
from desk_app.terminal_progress import terminal_progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def shown_lines(written: str) -> list[str]:
    """What a terminal shows at the end: each line as its last carriage return left it."""
    return [line.rsplit("\r", 1)[-1].rstrip() for line in written.split("\n")]


def test_each_step_gets_a_line_updated_in_place_at_most_once_a_percent() -> None:
    screen = Terminal()
    lines = terminal_progress(screen)
    assert lines is not None
    for done in range(0, 1_000_001, 2_000):
        lines(CHECK_FILE, done, 1_000_000)
    lines(CHECK_FILE, 0, 0)
    lines(CHECK_FILE, 0, 0)
    lines("staff", 0, 3)
    lines("staff", 3, 3)
    lines.finish()
    written = screen.getvalue()
    assert written.count("\r") == 101 + 1 + 2  # 0 %, 1 %, ... 100 %; the rest once; staff twice
    assert shown_lines(written) == [
        "Checking the audit trail of the file: its rows against the records…",
        "Copying the table staff: 3 of 3 rows",
        "",
    ]
    assert "Checking the audit trail of the file: 1,000,000 of 1,000,000 rows" in written


def test_no_lines_where_stderr_is_not_a_terminal() -> None:
    assert terminal_progress(io.StringIO()) is None
