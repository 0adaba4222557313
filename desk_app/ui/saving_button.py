"""A page's button whose action is saved on the database worker: until the answer comes, the button
says so ("Saving…") and cannot be pressed again; the window goes on meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import shiboken6
from PySide6.QtWidgets import QAbstractButton

from desk_app.domain.errors import DomainError
from desk_app.ui.db_worker import DatabaseWorker
from desk_app.ui.saving import SAVING

R = TypeVar("R")


def submit_from(
    button: QAbstractButton,
    worker: DatabaseWorker,
    call: Callable[[], R],
    done: Callable[[R], None],
    failed: Callable[[DomainError], None],
    saying: str = SAVING,
) -> None:
    """Run `call` on the worker; `button` says `saying` and is disabled until `done(result)` or
    `failed(refusal)` runs (done only once the commit has returned)."""
    words = button.text()
    button.setText(saying)
    button.setEnabled(False)

    def answered() -> None:
        if shiboken6.isValid(button):  # the page may have gone meanwhile (the window closing)
            button.setText(words)
            button.setEnabled(True)

    def saved(result: R) -> None:
        answered()
        done(result)

    def refused(error: DomainError) -> None:
        answered()
        failed(error)

    worker.submit(call, saved, refused)
