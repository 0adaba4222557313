"""Laser devices: an administrator registers each of the clinic's lasers, changes its details and
retires it (issue 15). Devices are never deleted, because records name them; every change is kept
and shown under the list, with who made it and when."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.dates import local_today
from desk_app.domain.devices import EYEWEAR_EXAMPLE, FIELDS, LASER_CLASSES, LaserDevice, wavelengths_text
from desk_app.domain.errors import DomainError
from desk_app.domain.history import ChangeEntry
from desk_app.domain.laser_use import DeviceUse
from desk_app.ui.context import DeskContext
from desk_app.ui.db_worker import LATER, NOW
from desk_app.ui.dialogs import ReasonDialog
from desk_app.ui.form_dialog import FormDialog
from desk_app.ui.formatting import DATE_HINT, local_date_time, long_day
from desk_app.ui.saving import Answer, Asked, Saving
from desk_app.ui.scrolling import page_with_footer
from desk_app.ui.tab_order import tab_in_reading_order
from desk_app.ui.widgets import Tone, message_label, show_message

COLUMNS = ("Device", "Wavelengths", "Class", "Eyewear marking", "LPA", "Next service", "Status")
_SHORT_COLUMNS = [COLUMNS.index(name) for name in ("Wavelengths", "Class", "Next service")]
RETIRE_REASON = "Why it is retired"
HISTORY_NAME = "History of the chosen device"
RETIRED_GREY = "#5f6b78"  # desk.qss's colour of what cannot be changed
READING = "Reading the devices…"
READING_HISTORY = "Reading its history…"
_HINTS = {
    "serial_number": "As on the device's plate",
    "wavelengths_nm": "For example 2940, or 532, 1064",
    "eyewear_marking": "For example D 2940 LB5",
    "lpa_name": "The clinic's Laser Protection Adviser",
    "next_service_on": DATE_HINT,
}


def device_cells(use: DeviceUse) -> tuple[str, ...]:
    """One row of the list, in words: retired devices say so, an overdue service too, and whether
    the device may be used today (checked, not checked, out of use after a failed check)."""
    device = use.device
    service = long_day(device.next_service_on)
    if not device.retired and use.service_overdue:
        service += " (overdue)"
    return (
        f"{device.make} {device.model}\nSerial {device.serial_number}",
        wavelengths_text(device.wavelengths_nm),
        device.laser_class,
        device.eyewear_marking or "None needed",
        device.lpa_name,
        service,
        use.status_text,
    )


def history_lines(device: LaserDevice, changes: list[ChangeEntry]) -> list[str]:
    """Who registered the device, each change since (old and new value), and its retirement with why."""
    lines = [f"{local_date_time(device.registered_at)} {device.registered_by} registered the {device.name}."]
    for change in changes:
        who = f"{local_date_time(change.at)} {change.staff_name}"
        if change.field == "retired":
            lines.append(f"{who} retired it: {device.retired_reason}")
        else:
            old, new = (_value(change.field, value) for value in (change.old, change.new))
            lines.append(f"{who} changed {change.label}: '{old}' to '{new}'")
    return lines


def _value(field_id: str, text: str) -> str:
    """A kept value as the page shows it: a date in words, as in the list."""
    if field_id == "next_service_on":
        return long_day(date.fromisoformat(text))
    return text


class LaserDevicesPage(QWidget):
    back_requested = Signal()
    """Back to the board."""

    def __init__(self, context: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.current_staff, self.clock = context.desk, context.current_staff, context.clock
        self.worker, self.signals = context.worker, context.signals
        self.shown: list[LaserDevice] = []
        self._read_on: date | None = None  # today's status is for one day: read again on the next
        self._reading = False  # a read of the devices is on the worker: the seconds ask no other
        self._history_of: int | None = None  # the device whose history is shown (or being read)
        self._asked = Asked()  # the lock moves it on: what was asked before is not shown after it
        # Another desk's check (a failed one takes a laser out of use) and midnight change the status.
        context.signals.changed_elsewhere.connect(self._changed_elsewhere)
        context.signals.second_passed.connect(self._on_second)
        page, layout, footer = page_with_footer(self)
        title = QLabel("Laser devices", page)
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        intro = QLabel(
            "Each laser the clinic uses, as its local rules and its Laser Protection Adviser (LPA) list it. "
            "A device is retired, never deleted: the records that name it keep it. Each day an authorised "
            "laser operator does each laser's pre-use check from the board before its first use.",
            page,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, len(COLUMNS), page)
        self.table.setAccessibleName("Laser devices")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the list; the arrow keys move in it
        # A clinic has a few lasers: short columns as wide as their text; the long ones (a device's
        # name, its eyewear, its LPA, today's status) share what is left and wrap, so that the list
        # fits a 1280 px screen without scrolling sideways (scrolled, a name lost its first letters).
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for column in _SHORT_COLUMNS:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(True)
        self.table.setMinimumHeight(160)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the page scrolls
        # Rows change height as the status column's width settles: fit once they all have, not at each.
        self._fit_later = QTimer(self, singleShot=True, interval=0)
        self._fit_later.timeout.connect(self._fit_height)
        self.table.verticalHeader().sectionResized.connect(lambda *_: self._fit_later.start())
        self.table.itemSelectionChanged.connect(self._show_history)
        layout.addWidget(self.table)
        self.show_retired = QCheckBox("Show retired devices", page)
        self.show_retired.toggled.connect(lambda _checked: self.refresh())
        # As wide as its words: a click beside them, on an empty stretch of the row, would do nothing.
        layout.addWidget(self.show_retired, 0, Qt.AlignmentFlag.AlignLeft)
        actions = QHBoxLayout()
        self.register_button = QPushButton("Register a device…", page)
        self.register_button.clicked.connect(self._ask_register)
        self.change_button = QPushButton("Change details…", page)
        self.change_button.clicked.connect(self._ask_change)
        self.retire_button = QPushButton("Retire…", page)
        self.retire_button.setObjectName("dangerButton")
        self.retire_button.clicked.connect(self._ask_retire)
        for button in (self.register_button, self.change_button, self.retire_button):
            button.setMinimumHeight(44)
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.message = message_label(page)
        layout.addWidget(self.message)
        history_box = QGroupBox(HISTORY_NAME, page)
        self.history = QLabel("", history_box)
        self.history.setObjectName("history")
        self.history.setWordWrap(True)
        QVBoxLayout(history_box).addWidget(self.history)
        layout.addWidget(history_box)
        layout.addStretch(1)
        # Below the page that scrolls, always in view.
        back = QPushButton("Back to board", self)
        back.clicked.connect(self.back_requested)
        back.setMinimumHeight(44)
        footer.addStretch(1)
        footer.addWidget(back)
        tab_in_reading_order(self)

    def forget(self) -> None:
        """Locked: empty the list, its history (a reason for retiring a laser may name a patient)
        and the message; refresh() fills them again when the page is next opened."""
        self._asked.move_on()
        self.shown = []
        self.table.setRowCount(0)
        self._history_of = None
        self._history_says("")
        self.message.setText("")
        self._read_on = None

    def _history_says(self, text: str) -> None:
        """The history's words, heard by a screen reader too (the name carries them)."""
        self.history.setText(text)
        self.history.setAccessibleName(f"{HISTORY_NAME}: {text}" if text else HISTORY_NAME)

    def _changed_elsewhere(self) -> None:
        if self.isVisible():
            self.refresh(lane=LATER)

    def _on_second(self) -> None:
        if self.isVisible() and not self._reading and self._read_on != local_today(self.clock.now()):
            # A new day: every laser needs a new check (or a read that failed, again).
            self.refresh(lane=LATER)

    def refresh(self, keep: int | None = None, lane: int = NOW) -> None:
        """Read the devices again on the worker (LATER when the page does so by itself); until they
        come the page shows what it had (or says it is reading, when it had nothing). Then the
        device `keep` (else the one chosen) stays chosen."""
        self._read_on = None
        self._reading = True
        if not self.shown and not self.message.text():
            show_message(self.message, READING)
        still, include_retired = self._asked.still(), self.show_retired.isChecked()

        def read() -> list[DeviceUse]:
            return self.desk.device_checks.device_uses(include_retired=include_retired)

        def not_read(error: DomainError) -> None:
            self._reading = False
            if still():  # not on the page emptied by the lock meanwhile
                show_message(self.message, str(error))

        def answered(uses: list[DeviceUse]) -> None:
            self._reading = False
            if still():
                self._show(uses, keep, lane)

        self.worker.submit(read, answered, not_read, lane)

    def _show(self, uses: list[DeviceUse], keep: int | None, lane: int) -> None:
        chosen = self._chosen()
        keep = keep if keep is not None else (chosen.id if chosen else None)
        if self.message.text() == READING:
            self.message.setText("")
        self._read_on = local_today(self.clock.now())
        grey, italic = QBrush(QColor(RETIRED_GREY)), QFont(self.font())
        italic.setItalic(True)
        self.shown = [use.device for use in uses]
        self.table.setRowCount(len(uses))
        for row, use in enumerate(uses):
            device = use.device
            for column, text in enumerate(device_cells(use)):
                item = QTableWidgetItem(text)
                if device.retired:  # in grey italics, and in words in the last column
                    item.setForeground(grey)
                    item.setFont(italic)
                self.table.setItem(row, column, item)
        self._fit_height()
        rows = [row for row, device in enumerate(self.shown) if device.id == keep]
        self.table.blockSignals(True)  # the history is read once, below
        if rows:
            self.table.selectRow(rows[0])
        else:
            self.table.clearSelection()
        self.table.blockSignals(False)
        self._show_history(lane)

    def _fit_height(self) -> None:
        """As tall as its rows (a clinic has a few lasers), so every device is seen without scrolling
        inside the list; the page scrolls as a whole."""
        rows = sum(self.table.rowHeight(row) for row in range(self.table.rowCount()))
        frame = 2 * self.table.frameWidth()
        self.table.setFixedHeight(max(160, self.table.horizontalHeader().height() + rows + frame))

    def _chosen(self) -> LaserDevice | None:
        rows = self.table.selectionModel().selectedRows()
        return self.shown[rows[0].row()] if rows and rows[0].row() < len(self.shown) else None

    def _show_history(self, lane: int = NOW) -> None:
        """The chosen device's history, read on the worker; another device's is not left on show
        meanwhile, and an answer for a device no longer chosen is not shown."""
        device = self._chosen()
        self._history_of = device.id if device is not None else None
        if device is None:
            self._history_says("Choose a device in the list to see its history." if self.shown else "")
            return
        if not self.history.text().startswith(history_lines(device, [])[0]):
            self._history_says(READING_HISTORY)

        def answered(changes: list[ChangeEntry]) -> None:
            if self._history_of == device.id:
                self._history_says("\n".join(history_lines(device, changes)))

        def not_read(error: DomainError) -> None:
            if self._history_of == device.id:
                self._history_says(str(error))

        self.worker.submit(lambda: self.desk.devices.device_changes(device.id), answered, not_read, lane)

    def _in_service(self) -> LaserDevice | None:
        """The chosen device, if it may be changed; else say why not."""
        device = self._chosen()
        if device is None:
            show_message(self.message, "Choose a device in the list first.")
            return None
        if device.retired:
            show_message(self.message, f"The {device.name} is retired: a retired device cannot be changed.")
            return None
        return device

    def _ask_register(self) -> None:
        DeviceDialog(self, None, self._register).open()

    def _saving(self, call: Callable[[], LaserDevice], done: Callable[[LaserDevice], str]) -> Saving:
        """A dialog's save: once committed, the list is read again with the device chosen, and the
        page says `done(device)` (not on a page the lock has emptied since)."""
        still = self._asked.still()

        def saved(device: LaserDevice) -> None:
            if still():
                self.refresh(keep=device.id)
                show_message(self.message, done(device), Tone.DONE)

        return Saving(self.worker, call, saved, unseen=self.signals.not_saved.emit)

    def _register(self, entered: dict[str, str]) -> Answer:
        if (admin := self.current_staff()) is None:
            return "Sign in first."
        return self._saving(
            lambda: self.desk.devices.register_device(entered, admin.id),
            lambda device: f"The {device.name} is registered.",
        )

    def _ask_change(self) -> None:
        if (device := self._in_service()) is not None:
            DeviceDialog(self, device, lambda changes: self._change(device, changes)).open()

    def _change(self, device: LaserDevice, changes: dict[str, str]) -> Answer:
        if (admin := self.current_staff()) is None:
            return "Sign in first."
        return self._saving(
            lambda: self.desk.devices.update_device(device.id, changes, admin.id),
            lambda changed: f"The {changed.name} is changed; the history below keeps what it was.",
        )

    def _ask_retire(self) -> None:
        if (device := self._in_service()) is None:
            return
        dialog = ReasonDialog(
            self,
            f"Retire the {device.name}",
            f"The {device.name} will stay in every record that names it, but it can no longer be changed "
            "or chosen for a treatment, and its serial number cannot be registered again. This cannot be "
            "undone. Why is it retired?",
            lambda reason: self._retire(device, reason),
            ok_text="Retire",
        )
        dialog.text.setAccessibleName(RETIRE_REASON)
        dialog.open()

    def _retire(self, device: LaserDevice, reason: str) -> Answer:
        if (admin := self.current_staff()) is None:
            return "Sign in first."
        return self._saving(
            lambda: self.desk.devices.retire_device(device.id, reason, admin.id),
            lambda retired: f"The {retired.name} is retired. Tick 'Show retired devices' to see it.",
        )


class DeviceDialog(FormDialog):
    """A new device's details, or a device's details to change (only what is changed is sent, so
    another desk's change to another detail meanwhile is not undone)."""

    def __init__(
        self, parent: QWidget, device: LaserDevice | None, submit: Callable[[dict[str, str]], Answer]
    ) -> None:
        title = "Register a laser device" if device is None else f"Change the details of the {device.name}"
        super().__init__(
            parent,
            title,
            "As on the device's plate and in the clinic's local rules. A class 3B or 4 laser needs the "
            f"marking of the eyewear made for it (for example {EYEWEAR_EXAMPLE}). Every change is kept, "
            "with who made it and when.",
        )
        self._submit, self.device = submit, device
        self.editors: dict[str, QLineEdit | QComboBox] = {}
        for field in FIELDS:
            if field.id == "laser_class":
                choice = QComboBox(self)
                choice.setAccessibleName(field.label)
                choice.setMinimumHeight(44)
                for laser_class in LASER_CLASSES:
                    choice.addItem(f"Class {laser_class}", laser_class)
                choice.setPlaceholderText("Choose the class")
                choice.setCurrentIndex(LASER_CLASSES.index(device.laser_class) if device else -1)
                self.form.addRow(field.label, choice)
                self.editors[field.id] = choice
            else:
                editor = self.line(field.label, _shown(device, field.id))
                editor.setPlaceholderText(_HINTS.get(field.id, ""))
                self.editors[field.id] = editor
        self.initial = self.entered()

    def entered(self) -> dict[str, str]:
        """What the form says now, as text."""
        return {
            field_id: (editor.currentData() or "") if isinstance(editor, QComboBox) else editor.text()
            for field_id, editor in self.editors.items()
        }

    def save(self) -> Answer:
        entered = self.entered()
        if self.device is not None:
            entered = {key: value for key, value in entered.items() if value != self.initial[key]}
        return self._submit(entered)


def _shown(device: LaserDevice | None, field_id: str) -> str:
    """A detail as the form shows it for changing (and check_device reads it back)."""
    if device is None:
        return ""
    if field_id == "wavelengths_nm":
        return wavelengths_text(device.wavelengths_nm)
    if field_id == "next_service_on":
        return device.next_service_on.strftime("%d/%m/%Y")
    return str(getattr(device, field_id))
