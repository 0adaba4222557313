"""Tab in the order a screen reads: top to bottom, left to right, as the layouts place the controls,
whatever order they were made in (issue 18: a dialog's extra fields came after its buttons)."""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLayout, QScrollArea, QWidget


def _takes_tab(widget: QWidget) -> bool:
    return bool(widget.focusPolicy().value & Qt.FocusPolicy.TabFocus.value)


def reading_order(root: QWidget) -> list[QWidget]:
    """The controls under `root` that Tab may reach, in the order its layouts place them (hidden
    ones too: Tab passes over them, and they keep their place for when they are shown)."""
    found: list[QWidget] = []

    def visit_layout(layout: QLayout) -> None:
        for index in range(layout.count()):
            item = layout.itemAt(index)
            assert item is not None  # an index below count()
            if (widget := item.widget()) is not None:
                visit_widget(widget)
            elif (inner := item.layout()) is not None:
                visit_layout(inner)

    def visit_widget(widget: QWidget) -> None:
        if isinstance(widget, QScrollArea) and (content := widget.widget()) is not None:
            visit_widget(content)  # the area itself scrolls to the control Tab reaches
        elif (layout := widget.layout()) is not None:
            visit_layout(layout)
        elif _takes_tab(widget):
            found.append(widget)

    if (layout := root.layout()) is not None:
        visit_layout(layout)
    return found


def chain(controls: list[QWidget]) -> None:
    """Tab goes through `controls` in this order."""
    for before, after in pairwise(controls):
        QWidget.setTabOrder(before, after)


def tab_in_reading_order(root: QWidget) -> None:
    """Chain Tab through the controls under `root` in reading order."""
    chain(reading_order(root))
