"""One checklist item on screen: its state, its fields, and the buttons to act on it.

A card is built once per session and updated in place, so values typed into one item are not lost
when another item is ticked or the countdown refreshes. Which buttons show is asked of the domain
(can_override, can_correct, can_clear_stop), so a button is only offered when the action would be
accepted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.actions import can_clear_stop, can_correct, can_override
from desk_app.domain.clinical_rules import (
    CourseContext,
    chosen_product,
    course_plan_hint,
    interval_too_soon,
    remove_minutes,
)
from desk_app.domain.clock import Clock
from desk_app.domain.dates import shown_date
from desk_app.domain.laser_use import DeviceUse
from desk_app.domain.procedure import (
    PLANNED_SESSIONS_FIELD,
    PRODUCT_FIELD,
    ItemDef,
    ItemKind,
    Procedure,
)
from desk_app.domain.session import Event, ItemState, ItemStatus, SessionState
from desk_app.domain.signatures import signature_lines
from desk_app.domain.values import describe_value, describe_values, format_number, same_value
from desk_app.reports.history import history_lines
from desk_app.ui.field_editors import (
    DeviceEditor,
    FieldEditor,
    MultiEditor,
    field_caption,
    make_editor,
)
from desk_app.ui.formatting import local_date_time, local_time
from desk_app.ui.saving import SAVING
from desk_app.ui.widgets import Tone, message_label, show_message

# A caption longer than this (in characters) wraps in a column this wide (in pixels), so that at
# 1366 px the answers keep the rest of the card.
LONG_CAPTION = 40
CAPTION_WIDTH = 420

_PRIMARY_TEXT = {
    ItemKind.CONFIRM: "Confirm",
    ItemKind.RECORD: "Save",
    ItemKind.LASER_PASS: "Save pass",
    ItemKind.SIGN_OUT: "Sign and lock",
}


# The next item to do, from anywhere on the session's page: "J" for jump. Free in the window and in
# Qt's text fields; the F keys are left for help (F1) and Ctrl+N, F, S to their usual meanings.
NEXT_ITEM_KEYS = "Ctrl+J"
# Enter (or the keypad's) on an answer, a field or a button of a card saves the item.
SAVE_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
# What presses a button: Space and Select; and Enter, which saves the item.
_PRESS_KEYS = (Qt.Key.Key_Space, Qt.Key.Key_Select)

# For this long after the keyboard came to an item by itself, a key that would confirm it or choose
# an answer is taken for the press (or a second press) that did the item before: ignored. Every
# item, not only hard stops: a second Enter would otherwise save the next laser pass with last
# session's settings, which nobody had read.
KEY_GUARD = timedelta(seconds=1)
TOO_SOON = "Key ignored: this item has only just come up. Check it, then press again."


@dataclass(frozen=True)
class _Guard:
    """The control the keyboard was moved to by itself on a hard stop, and when."""

    control: QWidget
    clock: Clock
    since: datetime


def _who_when(event: Event) -> str:
    return f"{local_time(event.at)} · {event.staff_initials}"


def eyewear_line(use: DeviceUse) -> str:
    """What the staff check on each pair of eyewear for the chosen laser."""
    device = use.device
    if device.eyewear_marking:
        return f"Eyewear marking to check on every pair: {device.eyewear_marking}"
    return f"No eyewear marking is registered for the {device.name} (class {device.laser_class})."


NO_ALLERGIES = "No allergies recorded at registration"


def allergies_line(allergies: str) -> str:
    """The allergies entered at registration (one line), shown beside the question about them."""
    entered = "; ".join(line.strip() for line in allergies.splitlines() if line.strip())
    return f"Allergies recorded at registration: {entered}" if entered else NO_ALLERGIES


def course_line(context: CourseContext | None) -> str:
    """Which session this is and when the last one was, as the course stood at the start; nothing
    for a session started before the course was kept with it."""
    if context is None:
        return ""
    last = context.last_session
    if last is None:
        if context.session_number == 1:
            return "First session"
        return f"Session {context.session_number}. No earlier session was signed out"
    days = context.days_since_last or 0
    ago = "today" if days == 0 else "1 day ago" if days == 1 else f"{days} days ago"
    return f"Session {context.session_number}. Last session {shown_date(last)}, {ago}"


def hard_stop_text(flags: Sequence[str]) -> str:
    """A flagged answer on a hard stop: no override; the item is answered again once it is safe."""
    return (
        "STOP: " + "; ".join(flags) + ". This cannot be overridden: the later steps stay locked "
        "until a clinician who has seen the patient clears the stop (Clear the stop) and the "
        "answers are recorded again."
    )


def product_limits_line(procedure: Procedure, product_name: object) -> str:
    """The limits of the anaesthetic product chosen, said before the amount is typed; empty for
    another product (its own flag asks for a clinician)."""
    product = chosen_product(procedure, {PRODUCT_FIELD: product_name})
    if product is None:
        return ""
    minutes = remove_minutes(procedure, {PRODUCT_FIELD: product_name})
    cover = "may be covered" if product.occlusion_allowed else "must not be covered"
    return (
        f"At most {format_number(product.max_grams, 1)} g · off within {minutes} minutes of "
        f"'Gel applied' · {cover}"
    )


def service_warning(use: DeviceUse) -> str | None:
    """A pass with a device whose service is overdue is saved, but flagged for a clinician."""
    if use.service_message is None:
        return None
    return f"{use.service_message}. This pass will need a clinician's override, with a reason."


class ItemCard(QFrame):
    tick_requested = Signal(str, object)
    """The user asked to mark the item done with these values (a dict)."""

    override_requested = Signal(str)
    """The user asked for a clinician's override of this item."""

    correct_requested = Signal(str)
    """The user asked to undo this item's tick (or withdraw its override), with a reason."""

    clear_stop_requested = Signal(str)
    """The user asked for a clinician who has seen the patient to clear this item's hard stop."""

    note_requested = Signal(str)
    """The user asked to add a note to this item."""

    def __init__(self, item: ItemDef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.setObjectName("itemCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.editors: dict[str, FieldEditor] = {}
        self.previous_hints: dict[str, QLabel] = {}
        self.previous_values: dict[str, Any] = {}
        self._previous_when = ""
        self._shown: tuple[ItemState, bool, str | None, tuple[bool, bool, bool]] | None = None
        self._may_act = True  # as the last apply() found: the session open, the item not locked or barred
        self._saving = False  # its tick is on its way to the database: not done until it has committed
        self._followed_device: int | None = None
        self._allergies: str | None = None  # as last shown beside the question about them
        self._plan_prefilled = False
        self.allergy_notes: dict[str, QLabel] = {}
        self._procedure: Procedure | None = None  # for the anaesthetic product's limits
        self._guard: _Guard | None = None  # see guard_focus
        self._build()
        self.device_editor: DeviceEditor | None = next(
            (editor for editor in self.editors.values() if isinstance(editor, DeviceEditor)), None
        )

    # --- layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        title_row = QHBoxLayout()
        self.title = QLabel(self.item.label, self)
        self.title.setObjectName("itemTitle")
        self.title.setWordWrap(True)
        title_row.addWidget(self.title, 1)
        self.status = QLabel("", self)
        self.status.setObjectName("itemStatus")
        # Its name says the status in words (set with it); the description, whose status it is.
        self.status.setAccessibleDescription(f"Status of {self.item.label}")
        title_row.addWidget(self.status)
        layout.addLayout(title_row)

        self.help = QLabel(self.item.help, self)
        self.help.setObjectName("itemHelp")
        self.help.setWordWrap(True)
        layout.addWidget(self.help)
        # The course as it stood at the start: the interval since the last session, or the plan's end.
        self.course_note = self._message_label("courseNote", layout)
        self.course_note.setAccessibleDescription(f"Course: {self.item.label}")

        self.lock = self._message_label("lock", layout)
        self.permission = self._message_label("permission", layout)
        self.flags = self._message_label("flags", layout)

        self.fields_box = QWidget(self)
        grid = QGridLayout(self.fields_box)
        grid.setContentsMargins(0, 0, 0, 0)
        # Under the laser chosen: the eyewear marking to check (on the eyewear item), or an overdue
        # service (on a pass).
        self.device_note = message_label(self.fields_box, "deviceNote", visible=False)
        row = 0
        for field in self.item.fields:
            caption = QLabel(field_caption(field, self.item.fields), self.fields_box)
            if len(caption.text()) > LONG_CAPTION:  # wraps, rather than push its answers off screen
                caption.setWordWrap(True)
                caption.setFixedWidth(CAPTION_WIDTH)
            editor = make_editor(field, self.fields_box)
            caption.setBuddy(editor.focus_target())
            editor.changed.connect(self._update_previous_hints)
            hint = QLabel("", self.fields_box)
            hint.setObjectName("previousHint")
            hint.setWordWrap(True)
            hint.setVisible(False)
            if isinstance(editor, MultiEditor):  # rows of four boxes: under the caption, to fit 1280 px
                grid.addWidget(caption, row, 0, 1, 2)
                row += 1
                grid.addWidget(editor, row, 0, 1, 2)
            elif editor.tall:  # level with the first answer (or the list), not halfway down
                caption.setMinimumHeight(44)
                grid.addWidget(caption, row, 0, Qt.AlignmentFlag.AlignTop)
                grid.addWidget(editor, row, 1)
            else:
                grid.addWidget(caption, row, 0)
                grid.addWidget(editor, row, 1)
            grid.addWidget(hint, row + 1, 1)
            row += 2
            if field.shows_patient_allergies:  # filled in by set_patient_allergies
                note = message_label(self.fields_box, "patientAllergies", visible=True)
                grid.addWidget(note, row, 1)
                row += 1
                self.allergy_notes[field.id] = note
            if field.id == PRODUCT_FIELD:  # filled in by show_product_limits, on the anaesthetic item
                self.product_note = message_label(self.fields_box, "productNote", visible=False)
                grid.addWidget(self.product_note, row, 1)
                row += 1
                editor.changed.connect(self._update_product_note)
            if isinstance(editor, DeviceEditor):
                editor.changed.connect(self._update_device_note)
                grid.addWidget(self.device_note, row, 1)
                row += 1
            self.editors[field.id] = editor
            self.previous_hints[field.id] = hint
        grid.setColumnStretch(1, 1)
        layout.addWidget(self.fields_box)
        self.fields_box.setVisible(bool(self.item.fields))

        self.recorded = self._message_label("recorded", layout)
        self.history = self._message_label("history", layout)
        self.error = self._message_label("error", layout)

        buttons = QHBoxLayout()
        self.primary = self._button(_PRIMARY_TEXT.get(self.item.kind, "Confirm"), "primary", buttons)
        self.primary.clicked.connect(self._request_tick)
        self.override = self._button("Override…", "Override", buttons)
        self.override.clicked.connect(lambda: self.override_requested.emit(self.item.id))
        self.correct = self._button("Undo tick…", "Undo tick", buttons)
        self.correct.clicked.connect(lambda: self.correct_requested.emit(self.item.id))
        self.clear_stop = self._button("Clear the stop…", "Clear the stop", buttons)
        self.clear_stop.clicked.connect(lambda: self.clear_stop_requested.emit(self.item.id))
        self.note = self._button("Note…", "Add note", buttons)
        self.note.clicked.connect(lambda: self.note_requested.emit(self.item.id))
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.primary.setVisible(self.item.kind is not ItemKind.COUNTDOWN)

    def _message_label(self, name: str, layout: QVBoxLayout) -> QLabel:
        label = message_label(self, name, visible=False)
        layout.addWidget(label)
        return label

    def _button(self, text: str, action: str, layout: QHBoxLayout) -> QPushButton:
        button = QPushButton(text, self)
        if action == "primary":
            button.setObjectName("primaryButton")
            action = text
        button.setAccessibleName(f"{action}: {self.item.label}")
        button.setMinimumHeight(44)
        layout.addWidget(button)
        return button

    # --- behaviour -------------------------------------------------------------------------------

    def entered_values(self) -> dict[str, Any]:
        """What was entered; on the item confirming eyewear, the laser chosen goes with the marking
        the card showed for it, so that the store refuses it if the marking has changed meanwhile."""
        values = {field_id: editor.value() for field_id, editor in self.editors.items()}
        editor = self.device_editor
        if self.item.confirms_eyewear and editor is not None and (use := editor.chosen_use()) is not None:
            values[editor.field.id] = {
                "id": use.device.id,
                "eyewear_marking_seen": use.device.eyewear_marking,
            }
        return values

    def _request_tick(self) -> None:
        if self._saving:
            return
        self.error.setVisible(False)
        self.tick_requested.emit(self.item.id, self.entered_values())

    def show_saving(self) -> None:
        """Until the tick has committed: 'Saving…', and a second press does nothing (the button stays
        enabled: disabling it would throw the keyboard's focus elsewhere)."""
        self._saving = True
        self.status.setText(SAVING)
        self.status.setAccessibleName(SAVING)

    def done_saving(self) -> None:
        """The tick came back (done or refused): the next apply() shows what is stored."""
        self._saving = False
        self._shown = None

    def show_error(self, message: str) -> None:
        show_message(self.error, message, Tone.ERROR)

    def first_control(self) -> QWidget:
        """Where the keyboard should go to do this item next: its first answer, else its primary
        button, else (the gel wait) the first button it offers."""
        for editor in self.editors.values():
            if editor.isEnabled():
                return editor.focus_target()
        buttons = (self.primary, self.override, self.clear_stop, self.correct, self.note)
        offered = (b for b in buttons if b.isVisibleTo(self) and b.isEnabled())
        return next(offered, self.primary)

    def take_focus(self, scroll: QScrollArea | None = None) -> None:
        """Put the keyboard on the item's first control and bring the card into view in `scroll`
        (once a page just built is laid out): whole where it fits, else from its title, and always
        the control."""
        control = self.first_control()
        control.setFocus(Qt.FocusReason.OtherFocusReason)
        if scroll is not None:
            QTimer.singleShot(0, scroll, lambda: self._scroll_to(scroll, control))

    def _scroll_to(self, scroll: QScrollArea, control: QWidget) -> None:
        """Up or down only (Qt's ensureWidgetVisible also scrolls sideways, off the captions)."""
        content, bar = scroll.widget(), scroll.verticalScrollBar()
        assert content is not None  # a page's scroll area always holds its column
        height = scroll.viewport().height()

        def top_of(widget: QWidget) -> int:
            return widget.mapTo(content, QPoint(0, 0)).y()

        top, bottom = top_of(self), top_of(self) + self.height()
        control_bottom = top_of(control) + control.height()
        shown = bar.value()
        if bottom - top > height:  # taller than the page: from its title, down to the control
            shown = max(top, control_bottom - height)
        elif top < shown:
            shown = top
        elif bottom > shown + height:
            shown = bottom - height
        bar.setValue(shown)

    def guard_focus(self, clock: Clock) -> None:
        """The keyboard came to this item by itself (the session opened, the item before was saved).
        A key that confirms or answers, pressed on that control within KEY_GUARD, is ignored and
        said: it may be the press that did the item before, or a second press of it. Moving the
        keyboard away ends the guard (that is a deliberate step); a click never meets it."""
        self._end_guard()
        control = self.first_control()
        self._guard = _Guard(control, clock, clock.now())
        control.installEventFilter(self)

    def _end_guard(self) -> None:
        if self._guard is not None:
            self._guard.control.removeEventFilter(self)
            self._guard = None
        if self.error.text() == TOO_SOON:  # said of a key the guard ignored: it is over now
            self.error.setVisible(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        guard = self._guard
        if guard is None or watched is not guard.control:
            return super().eventFilter(watched, event)
        if event.type() == QEvent.Type.FocusOut:
            self._end_guard()
        elif event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            presses = key in SAVE_KEYS or (key in _PRESS_KEYS and isinstance(watched, QAbstractButton))
            # Either way: a PC clock set back while the item waits must not hold the key for good.
            too_soon = abs(guard.clock.now() - guard.since) < KEY_GUARD
            if presses and (event.isAutoRepeat() or too_soon):
                show_message(self.error, TOO_SOON, Tone.NOTE)
                return True
            if presses:
                self._end_guard()
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter that no control inside took (a multi-line text keeps it for a new line) saves the
        item as its primary button does, or on another button of the card presses that button. A key
        held down (auto-repeat) does nothing; the key goes no further (not to a dialog behind)."""
        if event.key() not in SAVE_KEYS:
            super().keyPressEvent(event)
            return
        event.accept()
        if event.isAutoRepeat():
            return
        focused = QApplication.focusWidget()
        buttons = (self.override, self.correct, self.clear_stop, self.note)
        button = next((b for b in buttons if b is focused), self.primary)
        if button.isVisibleTo(self) and button.isEnabled():
            button.click()

    def set_patient_allergies(self, allergies: str) -> None:
        """The patient's allergies as registered, beside each question that asks about them (read
        aloud with the question by a screen reader)."""
        if not self.allergy_notes or allergies == self._allergies:
            return
        self._allergies = allergies
        line = allergies_line(allergies)
        for field_id, note in self.allergy_notes.items():
            note.setText(line)
            note.setAccessibleName(line)
            note.setProperty("recorded", line != NO_ALLERGIES)
            note.style().unpolish(note)
            note.style().polish(note)
            self.editors[field_id].set_description(line)

    def show_product_limits(self, procedure: Procedure) -> None:
        """On the item recording the anaesthetic, each product's limits are said when it is chosen."""
        rules = procedure.anaesthetic
        if rules is not None and rules.item_id == self.item.id and PRODUCT_FIELD in self.editors:
            self._procedure = procedure
            self._update_product_note()

    def _update_product_note(self) -> None:
        if self._procedure is None:
            return
        line = product_limits_line(self._procedure, self.editors[PRODUCT_FIELD].value())
        self.product_note.setText(line)
        self.product_note.setAccessibleName(line)
        self.product_note.setVisible(bool(line))
        self.editors[PRODUCT_FIELD].set_description(line)

    def _show_course(self, session: SessionState, done: bool) -> None:
        """The interval since the last session (on the item that checks it), or at the last planned
        session what the plan means (on the course plan, until it is saved)."""
        context = session.course_context
        too_soon = False
        if self.item.checks_course_interval:
            line = course_line(context)
            rules = session.procedure.course
            too_soon = interval_too_soon(session.procedure, context)
            if too_soon and not done and rules is not None:
                line += f". {rules.too_soon_message}: confirming it needs a clinician's decision."
        elif self.item.plans_course and not done:
            line = course_plan_hint(context, session.procedure)
        else:
            line = ""
        line = line if not session.ended else ""
        self.course_note.setText(line)
        self.course_note.setVisible(bool(line))
        self.course_note.setAccessibleName(f"Course: {line}")
        self.course_note.setProperty("warning", too_soon)
        self.course_note.style().unpolish(self.course_note)
        self.course_note.style().polish(self.course_note)
        planned = self.editors.get(PLANNED_SESSIONS_FIELD) if self.item.plans_course else None
        if planned is not None and context is not None and not self._plan_prefilled:
            # The plan as the course stands, rather than the file's default, which could shorten it.
            self._plan_prefilled = True
            planned.set_value(context.planned)

    def set_device_uses(self, uses: Sequence[DeviceUse]) -> None:
        """The clinic's lasers with today's status, for this item's device field (if it has one)."""
        if self.device_editor is not None:
            self.device_editor.set_uses(uses)

    def prefer_device(self, last_session: Mapping[str, Any] | None) -> None:
        """With no laser chosen yet, offer last session's (its stored snapshot) if it may be used
        today (the eyewear item); a choice already made stays. See DeviceEditor.prefer."""
        if self.device_editor is not None and self.device_editor.value() is None:
            self.device_editor.prefer(last_session)

    def follow_device(self, device_id: int | None) -> None:
        """A pass uses the laser the eyewear was confirmed for: choose it whenever that changes,
        leaving a choice the nurse made since alone."""
        if self.device_editor is not None and device_id is not None and device_id != self._followed_device:
            self._followed_device = device_id
            self.device_editor.set_value(device_id)

    def _update_device_note(self) -> None:
        """The chosen laser's eyewear marking, or its overdue service, said in words (and heard)."""
        assert self.device_editor is not None  # connected only to a device editor
        use = self.device_editor.chosen_use()
        if use is None or use.stop is not None:
            note = None  # the stop is said under the list
        elif self.item.confirms_eyewear:
            note = eyewear_line(use)
        else:
            note = service_warning(use) if self.item.kind is ItemKind.LASER_PASS else None
        self.device_note.setText(note or "")
        self.device_note.setAccessibleName(note or "")
        self.device_note.setProperty("warning", self.item.kind is ItemKind.LASER_PASS)
        self.device_note.style().unpolish(self.device_note)
        self.device_note.style().polish(self.device_note)
        self.device_note.setVisible(note is not None)
        self.device_editor.combo.setAccessibleDescription(self.device_editor.stop() or note or "")
        self._update_primary()

    def _update_primary(self) -> None:
        """The primary button works when the item may be done now and no laser chosen is stopped."""
        stopped = self.device_editor is not None and self.device_editor.stop() is not None
        self.primary.setEnabled(self._may_act and not stopped)

    def set_previous(self, values: dict[str, Any], when: str) -> None:
        """Last session's values for a laser pass: filled in, and shown beside each field."""
        self.previous_values = values
        self._previous_when = when
        for field_id, value in values.items():
            if field_id in self.editors:
                self.editors[field_id].set_value(value)
        self._update_previous_hints()

    def _update_previous_hints(self) -> None:
        for field in self.item.fields:
            hint = self.previous_hints[field.id]
            before = self.previous_values.get(field.id)
            hint.setVisible(before is not None)
            if before is None:
                self.editors[field.id].set_hint("")
                continue
            if same_value(field, self.editors[field.id].value(), before):
                hint.setText(f"Same as last session ({self._previous_when})")
                hint.setProperty("changed", False)
            else:
                shown = describe_value(field, before)
                hint.setText(f"Changed: was {shown} last session ({self._previous_when})")
                hint.setProperty("changed", True)
            hint.style().unpolish(hint)
            hint.style().polish(hint)
            self.editors[field.id].set_hint(hint.text())  # heard with the field, not only read under it

    def apply(self, session: SessionState, state: ItemState, not_permitted: str | None = None) -> None:
        """Show the item's derived state; editors keep whatever the user has typed. `not_permitted`
        says why the member of staff at the desk may not do this item (their role or laser
        authorisation), and how to switch."""
        session_open = not session.ended
        # What may be done to the item can change with other items (a laser pass saved ends the undo
        # of the toxicity check), so it is part of what was last shown.
        offered = (
            can_override(session, self.item.id) is None,
            can_correct(session, self.item.id) is None,
            can_clear_stop(session, self.item.id) is None,
        )
        shown = (state, session_open, not_permitted, offered)
        if self._shown == shown or self._saving:
            return  # nothing changed since the last second (no restyling, no flicker), or saving
        self._shown = shown
        may_override, may_correct, may_clear_stop = offered
        done = state.tick is not None
        written, said = status_texts(state)
        self.status.setText(written)
        self.status.setAccessibleName(said)
        self.setProperty("status", state.status.value)
        self.setProperty("locked", state.locked and not state.satisfied)
        self.style().unpolish(self)
        self.style().polish(self)

        show_lock = state.locked and not done and session_open
        self.lock.setText(f"Locked: {state.lock_reason}" if show_lock else "")
        self.lock.setVisible(show_lock)
        hard_stop = state.hard_stopped
        if hard_stop:
            self.flags.setText(hard_stop_text(state.flags))
        else:
            self.flags.setText("Risk: " + "; ".join(state.flags) if state.flags else "")
        self.flags.setProperty("hardStop", hard_stop)
        self.flags.style().unpolish(self.flags)
        self.flags.style().polish(self.flags)
        self.flags.setVisible(bool(state.flags))
        self.flags.setAccessibleName(self.flags.text())
        self._show_course(session, done)

        self.fields_box.setVisible(bool(self.item.fields) and not done and session_open)
        for editor in self.editors.values():
            editor.setEnabled(not state.locked)
        recorded = describe_values(self.item, dict(state.tick.values)) if state.tick else []
        if state.tick is not None:
            recorded += [
                (line.heading, line.words()) for line in signature_lines(state.tick, local_date_time)
            ]
        self.recorded.setText("\n".join(f"{label}: {value}" for label, value in recorded))
        self.recorded.setVisible(bool(recorded))
        history = history_lines(state, local_time)
        self.history.setText("\n".join(history))
        self.history.setVisible(bool(history))

        barred = not_permitted is not None and not done and session_open
        self.permission.setText(f"Not for you: {not_permitted}" if barred else "")
        self.permission.setVisible(barred)
        self.primary.setVisible(self.item.kind is not ItemKind.COUNTDOWN and not done and session_open)
        self._may_act = session_open and not state.locked and not barred
        self._update_primary()
        self.override.setVisible(may_override)
        # Who may not tick an item may not undo it either: the button is not offered.
        self.correct.setVisible(may_correct and not_permitted is None)
        correct = "Undo tick" if done else "Withdraw override"
        self.correct.setText(f"{correct}…")
        self.correct.setAccessibleName(f"{correct}: {self.item.label}")
        # A hard stop's flagged answers are not undone by whoever is at the desk: a clinician who
        # has seen the patient clears them, with a PIN (offered in place of Undo).
        self.clear_stop.setVisible(may_clear_stop)
        self.note.setVisible(session_open)
        if state.satisfied or done:
            self.error.setVisible(False)


def status_texts(state: ItemState) -> tuple[str, str]:
    """An item's status as shown (with its mark) and as a screen reader says it, in words."""
    match state.status:
        case ItemStatus.DONE if state.tick is not None:
            tick = state.tick
            return f"✓ Done {_who_when(tick)}", f"Done at {local_time(tick.at)} by {tick.staff_initials}"
        case ItemStatus.DONE:
            return "✓ Done", "Done"
        case ItemStatus.OVERRIDDEN if state.override is not None:
            override = state.override
            return (
                f"⚠ Overridden by clinician {_who_when(override)}",
                f"Overridden by clinician {override.staff_initials} at {local_time(override.at)}",
            )
        case ItemStatus.NEEDS_OVERRIDE if state.hard_stopped:
            return "✖ Stop: cannot be overridden", "Stop: cannot be overridden"
        case ItemStatus.NEEDS_OVERRIDE:
            return "⚠ Needs a clinician's decision", "Needs a clinician's decision"
        case ItemStatus.WAITING:
            return "Waiting", "Waiting"
    words = "Locked" if state.locked else "To do"
    return words, words
