"""F1: a sheet of every keyboard shortcut and what each screen is for, beside the window.

The keys are read from the window itself each time the sheet opens (every QAction and QShortcut
with a key, on the window or any page), so the sheet never goes stale. A key a page handles
itself, without an action or a shortcut object, is told here by adding a line to EXTRA_KEYS.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

HELP_KEYS = "F1"
# The follow-up calls due open from the board's button or with these keys, on any page (here, not in
# a page's module: the window makes its action before the board or the calls page is first opened).
FOLLOW_UP_KEYS = "Ctrl+Shift+F"

EXTRA_KEYS: list[tuple[str, str]] = [
    ("Tab, Shift+Tab", "Move to the next or the previous control, in reading order"),
    ("Space", "Press the focused button, tick the focused box"),
    ("Up, Down", "Choose among answers (radio buttons), or names on the sign-in page"),
    ("Enter", "Sign in; save the focused checklist item"),
    ("Esc", "Close a dialog or this sheet without saving"),
]
"""(keys, what they do) for keys no QAction or QShortcut carries: a page may append its own."""

SCREENS: list[tuple[str, str]] = [
    ("Sign in", "Choose your name, then your password (your PIN when switching staff or unlocking)."),
    ("Board", "Every patient in progress, the one who needs attention first at the top."),
    ("Session", "The checklist of one treatment, pause point by pause point; the gel countdown."),
    ("Patients", "Find anyone in the register by name, date of birth or clinic number; register a patient."),
    ("Patient", "One patient's course, sessions and registration; a past session opens read-only."),
    ("Follow-up calls", "Patients treated two to three days ago, and overdue calls: record each call."),
    ("Locked", "The screen locked itself or was locked: patients by first name only; your PIN to go on."),
    ("Staff", "Administrators: add staff, roles, passwords; unlock an account."),
    ("Laser devices", "Administrators: the clinic's lasers, their eyewear, LPA and service dates."),
    ("Laser register", "Administrators and laser operators: every laser exposure, as CSV or PDF."),
    ("Clinic details", "Administrators: the clinic's name, address, paper size and screen lock."),
]


def _shown(keys: QKeySequence) -> str:
    return keys.toString(QKeySequence.SequenceFormat.NativeText)


def _what(action: QAction) -> str:
    """An action's name and its tip, without the key the tip repeats."""
    tip = action.toolTip().removesuffix(f" ({_shown(action.shortcut())})")
    tip = tip.removesuffix(f" ({action.shortcut().toString()})")
    text = action.text().replace("&", "")
    if tip in ("", text) or tip.startswith(f"{text}:"):
        return tip or text
    return f"{text}: {tip}"


def window_keys(window: QWidget) -> list[tuple[str, str]]:
    """(keys, what they do) of every action and shortcut of `window` and its pages, then EXTRA_KEYS."""
    found: dict[str, str] = {}
    for action in window.findChildren(QAction):
        if not action.shortcut().isEmpty():
            found.setdefault(_shown(action.shortcut()), _what(action))
    for shortcut in window.findChildren(QShortcut):
        if not shortcut.key().isEmpty():
            what = shortcut.whatsThis() or shortcut.objectName()  # a page says what its key does there
            found.setdefault(_shown(shortcut.key()), what)
    return [*found.items(), *EXTRA_KEYS]


class HelpSheet(QDialog):
    """Not modal: the nurse may keep it open beside the window. Esc or Close shuts it."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window_shown = window
        self.setWindowTitle("Treatment Desk: keys and screens")
        self.setModal(False)
        layout = QVBoxLayout(self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        self.content = QWidget(scroll)
        scroll.setWidget(self.content)
        self.grid = QGridLayout(self.content)
        self.grid.setColumnStretch(1, 1)  # the keys as wide as they need, the words the rest
        self.grid.setHorizontalSpacing(24)
        layout.addWidget(scroll, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def refresh(self) -> None:
        """Read the keys again: an administrator's keys, or a page's, may have come since. As big as
        the window allows, up to 900x600."""
        self.resize(min(900, self.window_shown.width() - 40), min(600, self.window_shown.height() - 40))
        while self.grid.count():
            item = self.grid.takeAt(0)
            assert item is not None  # the grid still has one
            if (widget := item.widget()) is not None:
                widget.hide()
                widget.deleteLater()
        row = self._heading("Keys", 0)
        for keys, what in window_keys(self.window_shown):
            row = self._line(keys, what, row)
        row = self._heading("Screens", row)
        for screen, what in SCREENS:
            row = self._line(screen, what, row)
        self.grid.setRowStretch(row, 1)

    def _heading(self, text: str, row: int) -> int:
        heading = QLabel(text, self.content)
        heading.setObjectName("pageTitle")
        self.grid.addWidget(heading, row, 0, 1, 2)
        return row + 1

    def _line(self, name: str, what: str, row: int) -> int:
        first = QLabel(name, self.content)
        first.setAlignment(Qt.AlignmentFlag.AlignTop)
        second = QLabel(what, self.content)
        second.setWordWrap(True)
        second.setAccessibleName(f"{name}: {what}")  # one line heard as one: the key and what it does
        self.grid.addWidget(first, row, 0)
        self.grid.addWidget(second, row, 1)
        return row + 1
