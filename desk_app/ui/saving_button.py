"""A page's button whose action is done on the database worker: until the answer comes, the button
says so ("Saving…", "Signing in…") and cannot be pressed again, so done is shown only once the commit
has returned; the window goes on meanwhile."""

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
    """Run `call` on the worker; `button` says `saying` and is disabled until it answers, then is as
    it was, and `done(result)` or `failed(refusal)` runs (whatever the page has become meanwhile:
    each checks what it still shows). Pressed again while it says so, nothing more is asked. A write
    is named by the button's words for the question at closing (MainWindow)."""
    words, enabled = button.text(), button.isEnabled()
    if words == saying:
        return
    button.setText(saying)
    button.setEnabled(False)

    def answered() -> None:
        if shiboken6.isValid(button):  # the page may have gone meanwhile (the window closing)
            button.setText(words)
            button.setEnabled(enabled)

    def saved(result: R) -> None:
        answered()
        done(result)

    def refused(error: DomainError) -> None:
        answered()
        failed(error)

    worker.submit(call, saved, refused, what=words if saying == SAVING else "")
