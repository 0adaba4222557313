"""What a screen reader hears, where Tab goes and what fits on a small screen: the measures the
accessibility and screen-size tests (issue 18) share."""

from __future__ import annotations

import re

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

SMALL_SCREENS = {
    # A 1366x768 clinic PC at 100%, less a 40 px task bar and a 30 px title bar.
    "1366x768 at 100%": (1366, 698),
    # 1920x1080 at 150% is 1280x720 logical pixels, less a 48 px task bar and a 31 px title bar.
    "1920x1080 at 150%": (1280, 641),
}


def heard(widget: QWidget) -> str:
    """What a screen reader says of `widget` wherever it is read: its accessible name and value. Not
    its description: Orca's review of the screen reads names, so content only there goes unheard."""
    interface = QAccessible.queryAccessibleInterface(widget)
    if interface is None:
        return ""
    texts = (QAccessible.Text.Name, QAccessible.Text.Value)
    return " ".join(part for part in (interface.text(kind) for kind in texts) if part)


def words(text: str) -> list[str]:
    """The words of a text, in lower case, without punctuation or symbols."""
    return re.findall(r"\w+", text.casefold())


def shown_text(widget: QWidget) -> str:
    if isinstance(widget, QLabel | QAbstractButton):
        return widget.text().replace("&", "")
    return ""


def unheard(root: QWidget) -> list[str]:
    """Every visible label or button under `root` whose shown words a screen reader does not hear:
    a word of its text is missing from what it says (its name, value or description), or, for a
    label that names a field (its buddy), from what the field says. The accessible name carries the
    content (found over AT-SPI with pyatspi, issue 18)."""
    problems = []
    for widget in root.findChildren(QWidget):
        text = shown_text(widget)
        if not text.strip() or not widget.isVisible():
            continue
        said = set(words(heard(widget)))
        if isinstance(widget, QLabel) and widget.buddy() is not None:
            said |= set(words(heard(widget.buddy())))
        missing = [word for word in words(text) if word not in said]
        if missing:
            problems.append(
                f"{type(widget).__name__} shows {text!r} but says {heard(widget)!r} (missing {missing})"
            )
    return problems


def control_name(widget: QWidget | None) -> str:
    """How a test names a control: its accessible name, else its visible text."""
    if widget is None:
        return "<nothing>"
    if widget.accessibleName():
        return widget.accessibleName()
    if isinstance(widget, QAbstractButton | QLabel):
        return widget.text().replace("&", "")
    if isinstance(widget, QLineEdit) and widget.placeholderText():
        return widget.placeholderText()
    return type(widget).__name__


def tab_walk(qtbot: QtBot, start: QWidget, limit: int = 80) -> list[QWidget]:
    """The controls Tab visits from `start` (first) until it comes back to `start`, as a nurse's key
    presses would. The window must be active (see `activate`)."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    visited = [start]
    for _ in range(limit):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
        if focused is None or focused is start or focused in visited:
            break
        visited.append(focused)
    return visited


def activate(qtbot: QtBot, window: QWidget) -> None:
    """Make `window` the active window, as a click on it would: keys go to it."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=1000)


def fully_visible(widget: QWidget) -> bool:
    """Whether the whole of `widget` is on screen inside its window: shown, not scrolled or cut off
    by a parent, and inside the window's own rectangle."""
    if not widget.isVisible():
        return False
    if widget.visibleRegion().boundingRect() != widget.rect():
        return False
    top_left = widget.mapTo(widget.window(), widget.rect().topLeft())
    return widget.window().rect().contains(QRect(top_left, widget.size()))


def shrink_to(window: QWidget, size: tuple[int, int]) -> None:
    """Give `window` a small screen's size; fails where its contents will not let it shrink."""
    window.resize(*size)
    QApplication.processEvents()
    assert window.size() == QSize(*size), (
        f"the window will not shrink to {size[0]}x{size[1]}: its contents need "
        f"{window.minimumSizeHint().width()}x{window.minimumSizeHint().height()}"
    )
