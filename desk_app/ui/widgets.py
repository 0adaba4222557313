"""Small widgets every page builds the same way."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QAbstractItemView, QLabel, QScrollArea, QTableView, QVBoxLayout, QWidget


def message_label(parent: QWidget, name: str = "error", visible: bool = True) -> QLabel:
    """A wrapping label for what the nurse must read: an error, a lock reason, a risk."""
    label = QLabel("", parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setVisible(visible)
    return label


def row_table(parent: QWidget, name: str, model: QAbstractItemModel) -> QTableView:
    """A read-only table where a whole row is chosen, named for screen readers."""
    table = QTableView(parent)
    table.setAccessibleName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    return table


def scrolling_page(owner: QWidget) -> tuple[QWidget, QVBoxLayout]:
    """A page that scrolls as a whole inside `owner`: on a small screen its forms and buttons stay
    within reach. Returns the page and its column to fill."""
    outer = QVBoxLayout(owner)
    outer.setContentsMargins(0, 0, 0, 0)
    scroll = QScrollArea(owner)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    outer.addWidget(scroll)
    page = QWidget(scroll)
    scroll.setWidget(page)
    return page, QVBoxLayout(page)
