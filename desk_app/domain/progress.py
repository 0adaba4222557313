"""How a long job (verify, a history PDF, a copy to a server) says how far it is and learns that it
should stop, without knowing who waits on it: a window's progress bar, a terminal, or nobody."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int], None]
"""Told (done, total) now and then; a total of 0 means the job cannot tell how much is left."""

CancelAsked = Callable[[], bool]
"""Asked at the points where a job may stop safely: True once someone pressed Cancel."""


class Cancelled(Exception):  # noqa: N818 (what happened, said as the user would)
    """The job stopped at its user's request before it wrote anything; there is no result."""


def step(progress: Progress | None, cancelled: CancelAsked | None, done: int, total: int) -> None:
    """Report (done, total), then stop here (raise Cancelled) if Cancel was pressed."""
    if progress is not None:
        progress(done, total)
    if cancelled is not None and cancelled():
        raise Cancelled
