"""A column of a page that scrolls up and down on its own, so a page fits a small screen (issue 18)
with its footer buttons outside it, always in view."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget


def scrolling_column(parent: QWidget) -> tuple[QScrollArea, QVBoxLayout]:
    """The scroll area to place in the page, and the column inside it to fill. The area itself
    takes no focus: Tab goes from the control before it straight to the first control in it (and
    Qt scrolls a control reached by Tab into view)."""
    scroll = QScrollArea(parent)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    column = QWidget(scroll)
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    scroll.setWidget(column)
    # Painted as the page around it, not in the grey of a bare scroll area.
    scroll.viewport().setAutoFillBackground(False)
    column.setAutoFillBackground(False)
    return scroll, layout
