"""Every label shows its text as typed, never as markup.

A QLabel guesses whether its text is HTML: a patient named "<b>Zoë" would show in bold, and a name
starting "<!--" would hide everything after it. No label of this app uses markup (the summaries and
printouts are escaped HTML in text browsers), so each label is made plain text before it is first
shown (told by app_events when Qt first polishes it), in one place rather than at each of the forty
places a label is made.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel


def make_label_plain(polished: QObject) -> None:
    """A label about to be shown for the first time becomes plain text."""
    if isinstance(polished, QLabel):
        polished.setTextFormat(Qt.TextFormat.PlainText)
