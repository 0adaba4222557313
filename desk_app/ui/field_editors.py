"""One editor per field type, each named for screen readers and big enough to touch.

Editors only collect what was typed or chosen; the domain checks it when the item is saved.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QWidget,
)

from desk_app.domain.procedure import FieldDef, FieldType
from desk_app.domain.values import format_number


class FieldEditor(QWidget):
    """Base: `value()` returns what the user entered (None when empty), `set_value()` fills it in."""

    changed = Signal()
    """The user changed the value (used to show a change from last session's setting)."""

    def __init__(self, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def focus_target(self) -> QWidget:
        """The control the keyboard goes to (and a caption's buddy)."""
        raise NotImplementedError


class ChoiceEditor(FieldEditor):
    """Radio buttons rather than a drop-down: every answer visible, one touch to choose."""

    def __init__(self, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(field, parent)
        self.group = QButtonGroup(self)
        self.buttons: list[QRadioButton] = []
        for option in field.options:
            button = QRadioButton(option, self)
            button.setAccessibleName(f"{field.label}: {option}")
            self.group.addButton(button)
            button.toggled.connect(self.changed)
            self.buttons.append(button)
            self.row.addWidget(button)
        self.row.addStretch(1)

    def value(self) -> Any:
        checked = self.group.checkedButton()
        return checked.text() if checked else None

    def set_value(self, value: Any) -> None:
        for button in self.buttons:
            button.setChecked(button.text() == value)

    def focus_target(self) -> QWidget:
        return self.group.checkedButton() or self.buttons[0]


class MultiEditor(FieldEditor):
    """Check boxes in rows of four, so the seven face areas fit a card on a small screen."""

    PER_ROW = 4

    def __init__(self, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(field, parent)
        grid = QGridLayout()
        self.row.addLayout(grid)
        self.boxes: list[QCheckBox] = []
        for index, option in enumerate(field.options):
            box = QCheckBox(option, self)
            box.setAccessibleName(f"{field.label}: {option}")
            box.toggled.connect(self.changed)
            self.boxes.append(box)
            grid.addWidget(box, index // self.PER_ROW, index % self.PER_ROW)
        self.row.addStretch(1)

    def value(self) -> Any:
        return [box.text() for box in self.boxes if box.isChecked()]

    def set_value(self, value: Any) -> None:
        chosen = set(value or [])
        for box in self.boxes:
            box.setChecked(box.text() in chosen)

    def focus_target(self) -> QWidget:
        return self.boxes[0]


class LineEditor(FieldEditor):
    """Numbers, texts and dates are typed; the unit (or the date format) is shown beside them."""

    def __init__(self, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(field, parent)
        self.edit = QLineEdit(self)
        self.edit.setAccessibleName(field.label)
        self.edit.setMinimumHeight(44)
        self.edit.textChanged.connect(self.changed)
        if field.type is FieldType.NUMBER:
            self.edit.setMaximumWidth(140)
            low = format_number(field.min or 0, field.decimals)
            high = format_number(field.max or 0, field.decimals)
            self.edit.setToolTip(f"{low} to {high} {field.unit}".strip())
        elif field.type is FieldType.DATE:
            self.edit.setMaximumWidth(180)
            self.edit.setPlaceholderText("DD/MM/YYYY")
        else:
            self.edit.setMaxLength(field.max_length)
        self.row.addWidget(self.edit)
        if field.unit:
            self.row.addWidget(QLabel(field.unit, self))
        self.row.addStretch(1)

    def value(self) -> Any:
        text = self.edit.text()
        return text if text.strip() else None

    def set_value(self, value: Any) -> None:
        if value is None:
            self.edit.clear()
        elif self.field.type is FieldType.NUMBER:
            self.edit.setText(format_number(float(value), self.field.decimals))
        elif self.field.type is FieldType.DATE:
            year, month, day = str(value).split("-")
            self.edit.setText(f"{day}/{month}/{year}")
        else:
            self.edit.setText(str(value))

    def focus_target(self) -> QWidget:
        return self.edit


def make_editor(field: FieldDef, parent: QWidget | None = None) -> FieldEditor:
    match field.type:
        case FieldType.CHOICE:
            editor: FieldEditor = ChoiceEditor(field, parent)
        case FieldType.MULTI:
            editor = MultiEditor(field, parent)
        case _:
            editor = LineEditor(field, parent)
    if field.default is not None:
        editor.set_value(field.default)
    return editor
