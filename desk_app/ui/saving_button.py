"""A page's button whose action writes: it says "Saving…" and is disabled until the commit returns,
so done is shown only then and a second press asks nothing more; the window goes on meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import shiboken6
from PySide6.QtWidgets import QAbstractButton

from desk_app.domain.errors import DomainError
from desk_app.ui.db_worker import DatabaseWorker
from desk_app.ui.form_dialog import SAVING

R = TypeVar("R")


def save_from(
    button: QAbstractButton,
    worker: DatabaseWorker,
    call: Callable[[], R],
    saved: Callable[[R], None],
    refused: Callable[[DomainError], None],
) -> None:
    """Run `call` (a write) on the worker; `button` reads "Saving…" until it answers, then is as it
    was, and `saved(result)` or `refused(error)` runs (whatever the page has become meanwhile: each
    checks what it still shows). Pressed again while saving, nothing more is asked."""
    if button.text() == SAVING:
        return
    text, enabled = button.text(), button.isEnabled()
    button.setText(SAVING)
    button.setEnabled(False)

    def restored() -> None:
        if shiboken6.isValid(button):
            button.setText(text)
            button.setEnabled(enabled)

    def done(result: R) -> None:
        restored()
        saved(result)

    def failed(error: DomainError) -> None:
        restored()
        refused(error)

    worker.submit(call, done, failed)
