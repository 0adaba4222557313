"""Every label shows its text as typed, never as markup.

A QLabel guesses whether its text is HTML: a patient named "<b>Zoë" would show in bold, and a name
starting "<!--" would hide everything after it. No label of this app uses markup (the summaries and
printouts are escaped HTML in text browsers), so each label is made plain text before it is first
shown, in one place rather than at each of the forty places a label is made.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel


class PlainTextLabels(QObject):
    """Installed on the application: a label about to be shown for the first time becomes plain text."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Polish and isinstance(watched, QLabel):
            watched.setTextFormat(Qt.TextFormat.PlainText)
        return False
