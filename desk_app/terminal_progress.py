"""Progress lines for a long command in a terminal (`desk-app migrate-to`): one line a step (each
table copied, each audit trail check), updated in place, on stderr so the command's result on
stdout stays as it was.

Only on a terminal: a command whose stderr goes to a file or a pipe (a script, a scheduled job, a
log) gets its result and its errors, not hundreds of half-lines. Names and counts only, never a
row's content: the lines name tables, not patients.
"""

from __future__ import annotations

from typing import TextIO

from desk_app.store.copying import CHECK_FILE, CHECK_SERVER


class TerminalProgress:
    """A copying.CopyProgress: "Copying the table staff: 12 of 12 rows" and the like, a line for
    each step, updated in place while it goes, at most once a percent."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._step: str | None = None
        self._shown: tuple[int, int] | None = None  # the last (percent, total) written for the step
        self._width = 0

    def __call__(self, what: str, done: int, total: int) -> None:
        shown = (done * 100 // total if total else -1, total)
        if what == self._step and shown == self._shown:
            return
        if what != self._step and self._step is not None:
            self.stream.write("\n")
            self._width = 0
        self._step, self._shown = what, shown
        self._write(_line(what, done, total))

    def _write(self, line: str) -> None:
        self.stream.write("\r" + line.ljust(self._width))
        self._width = len(line)
        self.stream.flush()

    def finish(self) -> None:
        """End the last line, so that what the command says next starts on its own."""
        if self._step is not None:
            self.stream.write("\n")
            self.stream.flush()
            self._step, self._shown, self._width = None, None, 0


def _line(what: str, done: int, total: int) -> str:
    if what in (CHECK_FILE, CHECK_SERVER):
        if total == 0:
            return f"Checking the {what}: its rows against the records…"
        return f"Checking the {what}: {done:,} of {total:,} rows"
    return f"Copying the table {what}: {done:,} of {total:,} rows"


def terminal_progress(stream: TextIO) -> TerminalProgress | None:
    """Progress lines on `stream` if it is a terminal; None (no lines) otherwise."""
    try:
        on_terminal = stream.isatty()
    except (AttributeError, ValueError):  # no stream, or a closed one
        on_terminal = False
    return TerminalProgress(stream) if on_terminal else None
