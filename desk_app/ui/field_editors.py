"""One editor per field type, each named for screen readers and big enough to touch.

Editors only collect what was typed or chosen; the domain checks it when the item is saved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.laser_use import DeviceUse, short_status
from desk_app.domain.procedure import FieldDef, FieldType
from desk_app.domain.values import format_number
from desk_app.ui.widgets import message_label

# Which way each arrow key moves along an answer group: back for up and left, on for down and right.
_ARROW_STEPS: dict[int, int] = {
    Qt.Key.Key_Up: -1,
    Qt.Key.Key_Left: -1,
    Qt.Key.Key_Down: 1,
    Qt.Key.Key_Right: 1,
}
_CHORD_MODIFIERS = (
    Qt.KeyboardModifier.ShiftModifier
    | Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)

NO_DEVICE = "No laser is registered: an administrator registers it under Administration ▸ Laser devices."


def field_caption(field: FieldDef, fields: Sequence[FieldDef]) -> str:
    """A field's caption: its label; '(if any)' when it may stay empty; and for a field needed only
    with one answer of another of `fields` (required_if), that answer, so it does not look optional."""
    if field.required:
        return field.label
    if field.required_if is not None:
        other_id, answer = field.required_if
        other = next((f.label for f in fields if f.id == other_id), other_id)
        return f"{field.label} (needed if {other}: {answer})"
    return f"{field.label} (if any)"


class FieldEditor(QWidget):
    """Base: `value()` returns what the user entered (None when empty), `set_value()` fills it in."""

    changed = Signal()
    """The user changed the value (used to show a change from last session's setting)."""

    tall = False
    """Taller than one line: its caption goes level with its first line."""

    def __init__(self, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self._description = ""
        self._hint = ""

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def focus_target(self) -> QWidget:
        """The control the keyboard goes to (and a caption's buddy)."""
        raise NotImplementedError

    def set_description(self, text: str) -> None:
        """What a screen reader says after the control's name (e.g. the allergies registered)."""
        self._description = text
        self._describe()

    def set_hint(self, text: str) -> None:
        """Said after the description: how the value compares with last session's ('Changed: was
        5.5 J/cm² last session'), which a sighted nurse reads under the field."""
        self._hint = text
        self._describe()

    def _describe(self) -> None:
        text = ". ".join(part for part in (self._description, self._hint) if part)
        for control in self._described_controls():
            control.setAccessibleDescription(text)

    def _described_controls(self) -> list[QWidget]:
        return [self.focus_target()]


class ChoiceEditor(FieldEditor):
    """Radio buttons rather than a drop-down: every answer visible, one touch to choose. Short
    answers side by side; long ones (a product's name, a medicine's history) one under another, so
    that a card fits a small screen without scrolling sideways.

    By keyboard the group is one stop: Tab and Shift+Tab come to the answer chosen (or the first)
    and leave the group, and every arrow key chooses the answer it moves to, stopping at the ends. Qt's
    own arrows only move the choice once an answer is chosen (a question starts with none), and
    find nothing up or down along a row, where the page scrolled instead."""

    # Answers longer than this, all together, go one under another.
    SIDE_BY_SIDE_CHARACTERS = 56

    def __init__(self, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(field, parent)
        self.group = QButtonGroup(self)
        self.buttons: list[QRadioButton] = []
        stacked = sum(len(option) for option in field.options) > self.SIDE_BY_SIDE_CHARACTERS
        self.tall = stacked
        options = QVBoxLayout() if stacked else self.row
        for option in field.options:
            button = QRadioButton(option, self)
            button.setAccessibleName(f"{field.label}: {option}")
            self.group.addButton(button)
            button.toggled.connect(self.changed)
            button.installEventFilter(self)
            self.buttons.append(button)
            options.addWidget(button)
        if stacked:
            options.setSpacing(0)
            self.row.addLayout(options)
        self.row.addStretch(1)
        # Qt makes the answer that gets the focus the group's one Tab stop; so is the answer chosen.
        # Until then every answer takes Tab, so that a page ordering Tab when it is built keeps
        # them all, in order, in its chain.
        self.group.buttonToggled.connect(self._one_tab_stop)

    def _one_tab_stop(self) -> None:
        """Only the answer chosen takes Tab; the others are reached with the arrows or a click."""
        stop = self.focus_target()
        for button in self.buttons:
            policy = Qt.FocusPolicy.StrongFocus if button is stop else Qt.FocusPolicy.ClickFocus
            button.setFocusPolicy(policy)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (  # Shift+Tab into a group with none chosen comes to its first answer, as Tab does
            event.type() == QEvent.Type.FocusIn
            and isinstance(event, QFocusEvent)
            and event.reason() is Qt.FocusReason.BacktabFocusReason
            and self.group.checkedButton() is None
            and watched is not self.buttons[0]
        ):
            self.buttons[0].setFocus(Qt.FocusReason.BacktabFocusReason)
            return False
        if (
            event.type() == QEvent.Type.KeyPress
            and watched in self.buttons
            and isinstance(event, QKeyEvent)
            and not event.modifiers() & _CHORD_MODIFIERS
            and (step := _ARROW_STEPS.get(event.key())) is not None
        ):
            self._choose(self.buttons.index(watched) + step, step)
            return True
        return super().eventFilter(watched, event)

    def _choose(self, index: int, step: int) -> None:
        """Choose the answer at `index` and move the keyboard to it, as arrows do in any group of
        radio buttons (Down on "No" chooses "Yes"). They stop at the ends rather than going round:
        one press too many never turns the last answer into the first."""
        button = self.buttons[max(0, min(index, len(self.buttons) - 1))]
        button.setChecked(True)
        reason = Qt.FocusReason.BacktabFocusReason if step < 0 else Qt.FocusReason.TabFocusReason
        button.setFocus(reason)

    def value(self) -> Any:
        checked = self.group.checkedButton()
        return checked.text() if checked else None

    def set_value(self, value: Any) -> None:
        for button in self.buttons:
            button.setChecked(button.text() == value)

    def focus_target(self) -> QWidget:
        return self.group.checkedButton() or self.buttons[0]

    def _described_controls(self) -> list[QWidget]:
        return list(self.buttons)


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


class DeviceEditor(FieldEditor):
    """The clinic's lasers in a list, by name. A device that may not be used today is listed all the
    same, marked, and when chosen its hard stop is said in words under the list: the nurse sees why,
    rather than wondering where the laser went."""

    tall = True  # a stop is said under the list

    def __init__(self, field: FieldDef, parent: QWidget | None = None) -> None:
        super().__init__(field, parent)
        column = QVBoxLayout()
        self.row.addLayout(column, 1)
        self.combo = QComboBox(self)
        self.combo.setAccessibleName(field.label)
        self.combo.setMinimumHeight(44)
        self.combo.setPlaceholderText("Choose the laser")
        self.combo.currentIndexChanged.connect(self._chosen_changed)
        column.addWidget(self.combo)
        self.stop_label = message_label(self, "error", visible=False)
        column.addWidget(self.stop_label)
        # Last session's laser, when it may not be used today: said, and none chosen in its place.
        self.last_session_label = message_label(self, "previousHint", visible=False)
        self.last_session_label.setProperty("changed", True)
        column.addWidget(self.last_session_label)
        self._last_session: Mapping[str, Any] | None = None  # its stored snapshot, if offered
        self.uses: dict[int, DeviceUse] = {}
        self._listed = False  # the devices have been read at least once
        self._wanted: int | None = None  # a device asked for before the list was read

    def set_uses(self, uses: Sequence[DeviceUse]) -> None:
        """The devices to offer, each with today's status; the one chosen stays chosen."""
        wanted = self.value() if self.value() is not None else self._wanted
        self.uses = {use.device.id: use for use in uses}
        self._listed = True
        self.combo.blockSignals(True)
        self.combo.clear()
        for use in uses:
            mark = short_status(use)  # why it may not be used today, or what it needs
            self.combo.addItem(f"{use.device.name} — {mark}" if mark else use.device.name, use.device.id)
        self.combo.setEnabled(bool(uses))
        self.combo.blockSignals(False)
        self.set_value(wanted)
        self._say_last_session()

    def prefer(self, last_session: Mapping[str, Any] | None) -> None:
        """Choose last session's laser (its stored snapshot) if it may be used today. If it may not,
        choose none, so that the nurse chooses, and say why under the list: another laser is never
        chosen in its place unseen. With no last session's laser, the one laser that may be used; of
        several, none (each has its own eyewear marking: the nurse says which is in the room, not
        the order of a list); if none may be used, the first listed, so that its hard stop is read
        under the list."""
        self._last_session = last_session
        if last_session is not None:
            use = self._use_of(last_session)
            if use is not None and use.stop is None:
                self.set_value(use.device.id)
        else:
            usable = [use.device.id for use in self.uses.values() if use.stop is None]
            if len(usable) == 1:
                self.set_value(usable[0])
            elif not usable and self.uses:
                self.set_value(next(iter(self.uses)))
        self._say_last_session()

    def _use_of(self, stored: Mapping[str, Any]) -> DeviceUse | None:
        """The listed device a stored snapshot names, if it is listed."""
        device_id = stored.get("id")
        return self.uses.get(device_id) if isinstance(device_id, int) else None

    def _say_last_session(self) -> None:
        """'Last session: <laser> — out of use today' while last session's laser may not be used."""
        last = self._last_session
        line = None
        if last is not None and self._listed:
            use = self._use_of(last)
            if use is None:  # not listed: retired since (a device is never deleted)
                line = f"Last session: {last.get('name', 'the laser')} — retired"
            elif use.stop is not None:
                line = f"Last session: {use.device.name} — {short_status(use)}"
        self.last_session_label.setText(line or "")
        self.last_session_label.setAccessibleName(line or "")
        self.last_session_label.setVisible(line is not None)

    def chosen_use(self) -> DeviceUse | None:
        device_id = self.value()
        return self.uses.get(device_id) if device_id is not None else None

    def stop(self) -> str | None:
        """The hard stop of the device chosen, or that no laser is registered at all."""
        use = self.chosen_use()
        if use is not None:
            return use.stop
        return NO_DEVICE if self._listed and not self.uses else None

    def _chosen_changed(self) -> None:
        stop = self.stop()
        self.stop_label.setText(stop or "")
        self.stop_label.setAccessibleName(stop or "")
        self.stop_label.setVisible(stop is not None)
        self.combo.setAccessibleDescription(stop or "")
        self.changed.emit()

    def value(self) -> Any:
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        """A device id, or a stored snapshot (last session's) whose id is chosen if it is listed."""
        device_id = value.get("id") if isinstance(value, Mapping) else value
        self._wanted = device_id if not self._listed else None
        index = self.combo.findData(device_id) if device_id is not None else -1
        if index == self.combo.currentIndex():
            self._chosen_changed()  # the same choice, but the list (and so its stop) may be new
        else:
            self.combo.setCurrentIndex(index)

    def focus_target(self) -> QWidget:
        return self.combo


def make_editor(field: FieldDef, parent: QWidget | None = None) -> FieldEditor:
    match field.type:
        case FieldType.CHOICE:
            editor: FieldEditor = ChoiceEditor(field, parent)
        case FieldType.MULTI:
            editor = MultiEditor(field, parent)
        case FieldType.DEVICE:
            editor = DeviceEditor(field, parent)
        case _:
            editor = LineEditor(field, parent)
    if field.default is not None:
        editor.set_value(field.default)
    return editor
