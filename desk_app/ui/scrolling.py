"""Pages that scroll up and down on their own, so a page fits a small screen (issue 18) with its
footer buttons outside it, always in view."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QVBoxLayout, QWidget


def scrolling_column(parent: QWidget) -> tuple[QScrollArea, QVBoxLayout]:
    """The scroll area to place in the page, and the column inside it to fill. The area itself
    takes no focus: Tab goes from the control before it straight to the first control in it (and
    Qt scrolls a control reached by Tab into view)."""
    scroll = QScrollArea(parent)
    scroll.setViewport(_viewport())
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    column = QWidget(scroll)
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    scroll.setWidget(column)
    column.setAutoFillBackground(False)
    return scroll, layout


def _viewport() -> QWidget:
    """A scroll area's viewport as Qt makes its own, but painted as the page around it, not in the
    grey of a bare scroll area. Made here rather than read from the area (`viewport()`): PySide
    wrapping the one Qt made, the first widget of Qt's own making it meets, builds every Qt class
    there is with their enums to find its type (some 80 enums, about 10 ms of every start)."""
    viewport = QWidget()
    viewport.setObjectName("qt_scrollarea_viewport")
    viewport.setBackgroundRole(QPalette.ColorRole.NoRole)
    viewport.setAutoFillBackground(False)
    return viewport


def page_with_footer(owner: QWidget) -> tuple[QWidget, QVBoxLayout, QHBoxLayout]:
    """`owner` laid out as a page that scrolls above a row that stays in view. Returns the page's
    content (to parent its widgets), the column to fill, and the footer row for its buttons."""
    from PySide6.QtWidgets import QStyle  # here: its enums cost every start (the sign-in page has no footer)

    outer = QVBoxLayout(owner)
    outer.setContentsMargins(0, 0, 0, 0)
    scroll, column = scrolling_column(owner)
    outer.addWidget(scroll, 1)
    style = owner.style()
    margin = {
        side: style.pixelMetric(metric)
        for side, metric in (
            ("left", QStyle.PixelMetric.PM_LayoutLeftMargin),
            ("top", QStyle.PixelMetric.PM_LayoutTopMargin),
            ("right", QStyle.PixelMetric.PM_LayoutRightMargin),
            ("bottom", QStyle.PixelMetric.PM_LayoutBottomMargin),
        )
    }
    column.setContentsMargins(margin["left"], margin["top"], margin["right"], margin["bottom"])
    footer = QHBoxLayout()
    footer.setContentsMargins(margin["left"], 0, margin["right"], margin["bottom"])
    outer.addLayout(footer)
    content = scroll.widget()
    assert content is not None  # scrolling_column gave the area its column
    return content, column, footer
