"""The footer of a page that scrolls (widgets.scrolling_page): below the scroll area, always in view
on a small screen, with the page's side margins."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QVBoxLayout, QWidget


def footer_below(owner: QWidget, column: QVBoxLayout) -> QHBoxLayout:
    """A row under `owner`'s scrolling page (whose content is laid out in `column`) for its footer
    buttons. The scroll area takes no Tab of its own: Tab goes to the controls in it, and it scrolls
    to show each."""
    outer = owner.layout()
    assert isinstance(outer, QVBoxLayout)
    scroll = outer.itemAt(0).widget()
    assert isinstance(scroll, QScrollArea)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    footer = QHBoxLayout()
    margins = column.contentsMargins()
    footer.setContentsMargins(margins.left(), 0, margins.right(), margins.bottom())
    outer.addLayout(footer)
    return footer
