"""What a page does with its open dialogs when the screen locks: a dialog names its patient (a
confirmation, a call, a complication), so it leaves the window's tree at once, not at the next
event loop turn when Qt deletes a closed dialog."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QWidget


def drop_dialogs(page: QWidget) -> None:
    """Close every dialog opened from `page` (as Cancel would) and take it out of the page."""
    for dialog in page.findChildren(QDialog):
        dialog.reject()
        dialog.setParent(None)
        dialog.deleteLater()
