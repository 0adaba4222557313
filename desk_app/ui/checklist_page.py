"""The checklist of one session: the current pause point large, the gel countdown, every action.

Every action goes to the store first; the screen changes only from the state the store returns,
so nothing is shown as done that was not committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, cast

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.access import Opened
from desk_app.domain.actions import gel_still_on
from desk_app.domain.clinic import DocumentKind
from desk_app.domain.countdown import GelPhase, clock_text, duration_words
from desk_app.domain.dates import local_today
from desk_app.domain.errors import DomainError
from desk_app.domain.laser_use import DeviceUse
from desk_app.domain.people import Role, Staff
from desk_app.domain.procedure import ItemDef, ItemKind, PausePoint, Stop
from desk_app.domain.session import ItemState, ItemStatus, SessionRecord, SessionState
from desk_app.domain.signatures import SIGNATURE_MEANING
from desk_app.reports.formats import minutes_text
from desk_app.store.desk import Desk
from desk_app.store.errors import OutcomeUnknown, error_for_log
from desk_app.ui import tab_order
from desk_app.ui.access_trail import record_opening
from desk_app.ui.consent_item import ConsentOnCard
from desk_app.ui.context import DeskContext
from desk_app.ui.db_worker import LATER
from desk_app.ui.dialogs import (
    AmendmentDialog,
    ClearStopDialog,
    OverrideDialog,
    ReasonDialog,
    SignDialog,
    StopTreatmentDialog,
)
from desk_app.ui.formatting import LOCAL_FORMATS, local_date, local_date_time, local_time
from desk_app.ui.item_card import NEXT_ITEM_KEYS, ItemCard
from desk_app.ui.pin_change import with_pin_change
from desk_app.ui.saving import ReadFirst, Saving
from desk_app.ui.widgets import message_label

log = logging.getLogger(__name__)


def pause_point_state(state: SessionState, pause_point: PausePoint) -> tuple[str, str]:
    """A pause point's mark in the list and the same in words, for a screen reader."""
    items = [state.item(item.id) for item in pause_point.items]
    needs = [item for item in items if item.status is ItemStatus.NEEDS_OVERRIDE]
    if any(item.item.stop is Stop.HARD for item in needs):
        # a stop no override lifts (a sign of anaesthetic toxicity)
        return "✖", "stopped: a clinician must clear the stop"
    if needs:
        return "⚠", "needs a clinician's decision"
    if all(item.status is ItemStatus.DONE for item in items):
        return "✓", "done"
    if all(item.satisfied for item in items):
        return "✓⚠", "done, with a clinician's override"
    if all(item.locked for item in items):
        return "⊘", f"locked: {items[0].lock_reason}"
    if state.current_pause_point and state.current_pause_point.id == pause_point.id:
        return "▶", "current"
    return "•", "to do"


def not_saved_words(error: DomainError) -> str:
    """Whether an action that failed was saved: not, unless the connection went as it committed."""
    return "Perhaps not saved (check it)" if isinstance(error, OutcomeUnknown) else "Not saved"


def _scroll_area(parent: QWidget) -> QScrollArea:
    """A column that scrolls up and down, never sideways (what does not fit wraps), and is not a stop
    for Tab itself: the controls in it are."""
    scroll = QScrollArea(parent)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return scroll


def _see_through(scroll: QScrollArea) -> None:
    """The page's own background behind a scrolled header or list (a scroll area paints its own)."""
    scroll.viewport().setAutoFillBackground(False)
    content = scroll.widget()
    assert content is not None  # called once the area holds its header or list
    content.setAutoFillBackground(False)


class ChecklistPage(QWidget):
    """One session's checklist. Pause point pages are built when first shown, so opening is quick."""

    back_requested = Signal()
    """The user wants to go back to the board."""

    def __init__(self, context: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.desk = context.desk
        self.worker = context.worker
        self.signals = signals = context.signals
        self.clock = context.clock
        self.current_staff = context.current_staff
        self.record: SessionRecord | None = None
        self.cards: dict[str, ItemCard] = {}
        self.nav_buttons: dict[str, QPushButton] = {}
        self.pages: dict[str, QWidget] = {}
        self._unbuilt: dict[str, list[ItemDef]] = {}  # each page's cards still to build
        self._ahead = QTimer(self, singleShot=True, interval=0)  # builds the next card (_build_ahead)
        self._ahead.timeout.connect(self._build_ahead)
        self._previous: tuple[str, dict[str, dict]] = ("", {})
        self._last_current: str | None = None
        self._announcing = False
        self._summary_of: SessionRecord | None = None  # the record the summary shows
        self._permitted_for: tuple[int, int, date] | None = None  # whose permissions were asked, when
        self._why_not: dict[str, str | None] = {}
        self._device_uses: list[DeviceUse] | None = None  # the lasers and today's status, as last read
        self._devices_read_on: date | None = None  # read again each day and on every reload
        self._reading_for_dialog = ReadFirst(self.worker)
        self._opening: int | None = None  # the session being read to be shown (open_session)
        self.consent = ConsentOnCard(context, lambda: self.record, self)  # the consent item's way in
        self._build()
        next_item = QShortcut(QKeySequence(NEXT_ITEM_KEYS), self)
        next_item.setWhatsThis("Session: go to the next item to do")  # read by the F1 sheet
        next_item.activated.connect(lambda: self.focus_next_item(by_itself=False))
        signals.second_passed.connect(self._on_second)
        signals.session_changed.connect(self._on_session_changed)
        signals.changed_elsewhere.connect(self._reload)

    # --- layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)  # a small screen gives the page 380 px: each one counts
        layout.setSpacing(4)
        header = QHBoxLayout()
        identity = QVBoxLayout()
        identity.setSpacing(0)
        self.patient_label = QLabel("", self)
        self.patient_label.setObjectName("patientName")
        self.patient_label.setWordWrap(True)  # a long name wraps rather than widen the page
        self.details_label = QLabel("", self)
        self.details_label.setWordWrap(True)
        self.session_notes = QLabel("", self)
        self.session_notes.setObjectName("sessionNotes")
        self.session_notes.setWordWrap(True)
        # Many notes scroll in two lines' room rather than push the checklist off a short screen.
        self.notes_scroll = _scroll_area(self)
        self.notes_scroll.setWidget(self.session_notes)
        _see_through(self.notes_scroll)
        self.notes_scroll.setMaximumHeight(2 * self.session_notes.fontMetrics().lineSpacing() + 4)
        self.notes_scroll.setVisible(False)
        identity.addWidget(self.patient_label)
        identity.addWidget(self.details_label)
        identity.addWidget(self.notes_scroll)
        identity.addStretch(1)
        header.addLayout(identity, 1)
        countdown = QVBoxLayout()
        countdown.setSpacing(0)
        # Each label says what it shows (its name, set as it changes); the description says which it is.
        self.countdown_label = QLabel("", self)
        self.countdown_label.setObjectName("countdown")
        self.countdown_label.setAccessibleDescription("Gel countdown")
        self.countdown_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.phase_label = QLabel("", self)
        self.phase_label.setObjectName("phase")
        self.phase_label.setAccessibleDescription("Gel status")
        self.phase_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        countdown.addWidget(self.countdown_label)
        countdown.addWidget(self.phase_label)
        countdown.addStretch(1)
        header.addLayout(countdown)
        layout.addLayout(header)

        body = QHBoxLayout()
        self.nav = QVBoxLayout()
        self.nav_box = QWidget(self)
        self.nav_box.setObjectName("pausePointNav")
        self.nav_box.setLayout(self.nav)
        # The pause points scroll on a short screen, as the items do; never sideways.
        self.nav_scroll = _scroll_area(self)
        self.nav_scroll.setWidget(self.nav_box)
        _see_through(self.nav_scroll)
        self.nav_scroll.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        body.addWidget(self.nav_scroll)
        self.stack = QStackedWidget(self)
        body.addWidget(self.stack, 1)
        layout.addLayout(body, 1)

        self.summary = QTextBrowser(self)
        self.summary.setAccessibleName("Session summary")
        self.summary.setVisible(False)
        layout.addWidget(self.summary, 1)

        footer = QHBoxLayout()
        self.back_button = QPushButton("Back to board", self)
        self.back_button.clicked.connect(self.back_requested)
        self.session_note_button = QPushButton("Note on session…", self)
        self.session_note_button.clicked.connect(lambda: self._ask_note(None))
        self.amend_button = QPushButton("Add amendment…", self)
        self.amend_button.clicked.connect(self._ask_amendment)
        self.abort_button = QPushButton("Stop treatment…", self)
        self.abort_button.setObjectName("dangerButton")
        self.abort_button.clicked.connect(self._ask_stop)
        self.print_record_button = QPushButton("Print record…", self)
        self.print_record_button.clicked.connect(lambda: self._print(DocumentKind.SESSION_RECORD))
        self.aftercare_button = QPushButton("Aftercare sheet…", self)
        self.aftercare_button.clicked.connect(lambda: self._print(DocumentKind.AFTERCARE_SHEET))
        self.photos_button = QPushButton("Photos…", self)  # the session's photos and Import… (issue 21)
        self.photos_button.clicked.connect(self._open_photos)
        self.footer_buttons = (  # Stop treatment last, away from the everyday buttons
            self.back_button,
            self.session_note_button,
            self.amend_button,
            self.photos_button,
            self.print_record_button,
            self.aftercare_button,
            self.abort_button,
        )
        for button in self.footer_buttons:
            button.setMinimumHeight(44)
            footer.addWidget(button)
        self.message = message_label(self)
        footer.addWidget(self.message, 1)
        layout.addLayout(footer)

    def _clear_session_widgets(self) -> None:
        """Take the session's cards and buttons out of the page at once (they name the patient's
        answers), not only when Qt next deletes them."""
        for widget in self.pages.values():
            self.stack.removeWidget(widget)
            widget.setParent(None)
            widget.deleteLater()
        while self.nav.count():  # buttons and the stretch below them
            item = self.nav.takeAt(0)
            assert item is not None  # the column still has one
            if (control := item.widget()) is not None:
                control.setParent(None)
                control.deleteLater()
        self._ahead.stop()
        self.cards.clear()
        self.pages.clear()
        self._unbuilt.clear()
        self.nav_buttons.clear()

    def _build_nav(self, record: SessionRecord) -> None:
        for number, pause_point in enumerate(record.procedure.pause_points, start=1):
            # Not checkable: a screen reader would call it a check box, "checked" meaning shown.
            button = QPushButton(f"{number}. {pause_point.title}", self.nav_box)
            button.setObjectName("pausePointButton")
            button.setMinimumHeight(44)
            button.clicked.connect(lambda _=False, pid=pause_point.id: self.show_pause_point(pid))
            self.nav.addWidget(button)
            button.show()  # at once: the page is on screen already while the session is read
            self.nav_buttons[pause_point.id] = button
        self.nav.addStretch(1)

    def _pause_point_page(self, pause_point: PausePoint) -> QWidget:
        """The pause point's page, its cards still to add (_add_card): a page of seven cards takes
        about 100 ms to build, so they are built ahead one at a time (_build_ahead)."""
        scroll = _scroll_area(self)
        content = QWidget(scroll)
        content.setObjectName("pausePointContent")
        column = QVBoxLayout(content)
        heading = pause_point.title
        if pause_point.flow.casefold() != pause_point.title.casefold():
            heading += f"  ·  {pause_point.flow}"
        title = QLabel(heading, content)
        title.setObjectName("pausePointTitle")
        column.addWidget(title)
        instructions = QLabel(pause_point.instructions, content)
        instructions.setObjectName("instructions")
        instructions.setWordWrap(True)
        column.addWidget(instructions)
        column.addStretch(1)
        scroll.setWidget(content)
        self._unbuilt[pause_point.id] = list(pause_point.items)
        return scroll

    def _add_card(self, pause_point_id: str) -> None:
        """The pause point's next card still to build, added above the page's closing stretch."""
        item = self._unbuilt[pause_point_id].pop(0)
        content = cast("QScrollArea", self.pages[pause_point_id]).widget()
        assert content is not None  # _pause_point_page gave the page its content
        previous_date, previous_values = self._previous
        card = ItemCard(item, content)
        card.tick_requested.connect(self._tick)
        card.override_requested.connect(self._ask_override)
        card.correct_requested.connect(self._ask_correction)
        card.clear_stop_requested.connect(self._ask_clear_stop)
        card.note_requested.connect(self._ask_note)
        self.consent.attach(card)
        if item.id in previous_values:
            card.set_previous(previous_values[item.id], previous_date)
        if self._device_uses is not None:
            self._give_devices(card, self._device_uses)
        if self.record is not None:
            card.show_product_limits(self.record.procedure)
        self.cards[item.id] = card
        column = cast("QVBoxLayout", content.layout())
        column.insertWidget(column.count() - 1, card)
        card.show()  # at once: its page may be on screen already
        if (state := self.state()) is not None:
            barred = self._not_permitted()
            self._apply_card(state, item.id, card, barred)

    def _complete(self, pause_point_id: str) -> None:
        """Every card of the page built (it is about to be shown), and Tab in its reading order."""
        if pause_point_id not in self.pages and self.record is not None:
            pause_point = next(p for p in self.record.procedure.pause_points if p.id == pause_point_id)
            self.pages[pause_point_id] = self._pause_point_page(pause_point)
            self.stack.addWidget(self.pages[pause_point_id])
        if self._unbuilt.get(pause_point_id):
            while self._unbuilt[pause_point_id]:
                self._add_card(pause_point_id)
            self._order_tabs()

    def _build_ahead(self) -> None:
        """One card of a page not shown yet, per turn of the event loop, the next pause points
        first: when the session moves on, its page is there already (no click waits on a build)."""
        if self.record is None:
            return
        pause_points = [p.id for p in self.record.procedure.pause_points]
        shown = self._last_current or pause_points[0]
        ahead = pause_points[pause_points.index(shown) :] + pause_points[: pause_points.index(shown)]
        for pause_point_id in ahead:
            if pause_point_id not in self.pages:
                pause_point = self.record.procedure.pause_points[pause_points.index(pause_point_id)]
                self.pages[pause_point_id] = self._pause_point_page(pause_point)
                self.stack.addWidget(self.pages[pause_point_id])
                self._ahead.start()
                return
            if self._unbuilt.get(pause_point_id):
                self._add_card(pause_point_id)
                if not self._unbuilt[pause_point_id]:
                    self._order_tabs()
                self._ahead.start()
                return

    # --- showing ---------------------------------------------------------------------------------

    def open_session(self, session_id: int) -> None:
        """A nurse opens the session (from the board or the patient's page): read on the worker (the
        page says so meanwhile, and a page closed or opened on another session drops the answer),
        shown, then written to the audit trail as opened by her. Reloads write nothing (_reload)."""
        self.close_session()
        self._opening = session_id
        self.patient_label.setText("Opening the session…")
        self._session_actions_enabled(False)  # no session to act on until it is read
        desk = self.desk

        def read() -> tuple[SessionRecord, tuple[date | None, dict[str, dict]]]:
            record = desk.sessions.session(session_id)
            return record, desk.sessions.previous_values(record)

        def not_read(error: DomainError) -> None:
            if self._opening == session_id:
                self._opening = None
                self.patient_label.clear()
                self.message.setText(str(error))

        self.worker.submit(read, lambda answer: self._opened(session_id, *answer), not_read)

    def _opened(
        self, session_id: int, record: SessionRecord, previous: tuple[date | None, dict[str, dict]]
    ) -> None:
        if self._opening != session_id:  # closed, locked or another opened meanwhile
            return
        self._opening = None
        self._clear_session_widgets()
        self._session_actions_enabled(True)
        self.record = record
        previous_date, previous_values = previous
        self._previous = (local_date(previous_date) if previous_date else "", previous_values)
        self._device_uses, self._devices_read_on = None, None
        self._build_nav(record)
        self.message.clear()
        self._last_current = None
        self.refresh()
        self.focus_next_item()
        self._ahead.start()  # the other pause points' pages, a card at a time
        record_opening(self.context, record.patient.id, Opened.SESSION, record.id, self.message)

    def _session_actions_enabled(self, enabled: bool) -> None:
        """The foot's actions on the session (all but Back): greyed, and heard as unavailable, while
        there is no session shown to act on."""
        for button in self.footer_buttons:
            if button is not self.back_button:
                button.setEnabled(enabled)

    def close_session(self) -> None:
        """Leaving the session, or the screen locks: nothing on the page may still name the patient
        (hidden widgets are read by any accessibility client). open_session fills it again."""
        self.record = None
        self._opening = None  # a session being read is not shown when it comes
        self._clear_session_widgets()
        for label in (self.patient_label, self.details_label, self.session_notes, self.message):
            label.clear()
        for label in (self.countdown_label, self.phase_label):
            label.clear()
            label.setAccessibleName("")
        self.summary.clear()
        self._summary_of = None
        self._last_current = None
        self._previous = ("", {})

    def forget(self) -> None:
        """The screen locks (main_window calls forget() on every page): as close_session."""
        self.close_session()

    def _open_photos(self) -> None:
        """The session's photos (their opening audited) and Import…, in a dialog the lock closes."""
        if (record := self.record) is None:
            return
        from desk_app.ui.photo_dialogs import SessionPhotos  # loaded when first used

        about = f"{record.patient.full_name}, session {record.session_number}"
        SessionPhotos(self, self.context, record.id, about).open()

    def show_pause_point(self, pause_point_id: str) -> None:
        self._complete(pause_point_id)
        self.stack.setCurrentWidget(self.pages[pause_point_id])
        for pid, button in self.nav_buttons.items():
            button.setProperty("shown", pid == pause_point_id)
            button.style().unpolish(button)
            button.style().polish(button)
        if (state := self.state()) is not None:
            self._refresh_nav(state)
        self.nav_scroll.ensureWidgetVisible(self.nav_buttons[pause_point_id])

    def _order_tabs(self) -> None:
        """Tab follows the reading order: the pause points, the items of the one shown, the summary of
        an ended session, then the buttons at the foot. The foot comes last, as it is read last and
        the keyboard starts at the next item to do; without this it would come first, as it is built
        before the pause points and their cards."""
        window = self.window()  # not a list's drop-down, a window of its own
        # The cards' controls, in the order they were made (their reading order); those that take
        # Tab only at times (the answers of a group once one is chosen) keep their place too.
        in_chain = [
            widget
            for widget in self.stack.findChildren(QWidget)
            if widget.focusPolicy() != Qt.FocusPolicy.NoFocus and widget.window() is window
        ]
        tab_order.chain([*self.nav_buttons.values(), *in_chain, self.summary, *self.footer_buttons])

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        """On a shorter screen the pause point shown stays in sight in the scrolled list."""
        super().resizeEvent(event)
        shown = next((button for button in self.nav_buttons.values() if button.property("shown")), None)
        if shown is not None:
            self.nav_scroll.ensureWidgetVisible(shown)

    def state(self) -> SessionState | None:
        return self.record.state(self.clock.now()) if self.record else None

    def _on_second(self) -> None:
        if self.isVisible():
            self.refresh()

    def _apply_cards(self) -> None:
        if (state := self.state()) is not None:
            self._read_devices()
            barred = self._not_permitted()
            for item_id, card in self.cards.items():
                self._apply_card(state, item_id, card, barred)

    def _apply_card(
        self, state: SessionState, item_id: str, card: ItemCard, barred: dict[str, str | None]
    ) -> None:
        card.set_patient_allergies(self.record.patient.allergies if self.record is not None else "")
        if card.item.kind is ItemKind.LASER_PASS:
            card.follow_device(state.confirmed_laser["id"] if state.confirmed_laser else None)
        card.apply(state, state.item(item_id), barred.get(item_id))
        self.consent.follow(card)

    def _read_devices(self) -> None:
        """The lasers and whether each may be used today: read (on the worker) when a session opens
        or is reloaded and when the day changes (a check is for one day), not every second."""
        today = local_today(self.clock.now())
        if self._devices_read_on == today or self.record is None:
            return
        self._devices_read_on = today  # a database that fails is not asked again every second
        session_id = self.record.id

        def read(uses: list[DeviceUse]) -> None:
            if self.record is not None and self.record.id == session_id:
                self._device_uses = uses
                for card in self.cards.values():
                    self._give_devices(card, uses)

        def not_read(error: DomainError) -> None:
            log.warning("The laser devices could not be read: %s", error_for_log(error))
            self.message.setText(str(error))

        self.worker.submit(self.desk.device_checks.device_uses, read, not_read, LATER)

    def _give_devices(self, card: ItemCard, uses: list[DeviceUse]) -> None:
        card.set_device_uses(uses)
        if card.item.confirms_eyewear:
            card.prefer_device(self._previous_device())

    def _previous_device(self) -> Mapping[str, Any] | None:
        """The laser of the patient's last signed-out session (as its record keeps it), offered first
        at the time-out."""
        if self.record is None:
            return None
        items = {item.id: item for item in self.record.procedure.all_items()}
        for item_id, values in self._previous[1].items():
            item = items.get(item_id)  # the last session may have followed another version
            for field in item.device_fields() if item else ():
                stored = values.get(field.id)
                if isinstance(stored, Mapping):
                    return stored
        return None

    def _not_permitted(self) -> dict[str, str | None]:
        """Why the member at the desk may not do each item: asked of the store when the member, the
        session or the day changes, not every second."""
        staff = self.current_staff()
        if staff is None or self.record is None:
            return {}
        key = (staff.id, self.record.id, local_today(self.clock.now()))
        if key != self._permitted_for:
            self._permitted_for = key  # a database that fails is not asked again every second
            self._why_not = {}  # not another member's answers meanwhile
            item_ids = [item.id for item in self.record.procedure.all_items()]

            def read(why_not: dict[str, str | None]) -> None:
                if self._permitted_for == key:
                    self._why_not = why_not
                    self._apply_cards()

            # On a failure the last answer stands until the next reload; the store refuses what is not
            # allowed whatever the screen shows.
            self.worker.submit(
                lambda: self.desk.operators.why_not_for_items(staff.id, item_ids),
                read,
                lambda _error: None,
                LATER,
            )
        return self._why_not

    def refresh(self) -> None:
        """Recompute everything from the stored events and now: every second and after actions."""
        if self.record is None:
            return
        now = self.clock.now()
        state = self.record.state(now)
        session_open = not state.ended
        self._refresh_header(self.record)
        current = state.current_pause_point
        # Move on when the session moves on; between moves, the nurse may look at any pause point.
        if current is not None and current.id != self._last_current:
            self._last_current = current.id
            self.show_pause_point(current.id)
        self._apply_cards()
        self._refresh_nav(state)
        self._refresh_countdown(state)
        notes = [f"{n.staff_name} ({local_time(n.at)}): {n.text}" for n in state.session_notes]
        self.session_notes.setText("Notes: " + " · ".join(notes) if notes else "")
        self.notes_scroll.setVisible(bool(notes) and session_open)
        self.session_note_button.setVisible(session_open)
        self.abort_button.setVisible(session_open)
        self.amend_button.setVisible(not session_open)
        self.summary.setVisible(not session_open)
        self.stack.setVisible(session_open)
        self.nav_box.setVisible(session_open)
        if not session_open and self._summary_of is not self.record:
            # Imported here: Jinja2 costs ~50 ms at start-up and is needed only once a session ends.
            from desk_app.reports.session_view import session_summary_html

            self.summary.setHtml(session_summary_html(self.record, now, LOCAL_FORMATS, self.desk.procedure))
            self._summary_of = self.record  # records are immutable: a new one means new events

    def _refresh_header(self, record: SessionRecord) -> None:
        patient = record.patient
        self.patient_label.setText(patient.full_name)
        self.details_label.setText(
            f"Born {local_date(patient.date_of_birth)} · Clinic number {patient.clinic_number} · "
            f"Session {record.session_number} · {record.procedure.title}, version "
            f"{record.procedure.version} · started {local_date_time(record.started_at)} · "
            f"with {record.holder.name}"
        )

    def _refresh_nav(self, state: SessionState) -> None:
        for number, pause_point in enumerate(state.procedure.pause_points, start=1):
            mark, said = pause_point_state(state, pause_point)
            button = self.nav_buttons[pause_point.id]
            button.setText(f"{mark} {number}. {pause_point.title}")
            shown = ", shown" if button.property("shown") else ""  # the page below is this one
            button.setAccessibleName(f"{number}. {pause_point.title}, {said}{shown}")
        # As wide as the widest button (a mark can widen one), so that no title is cut off; from the
        # buttons themselves, as those of a session just opened are not laid out yet.
        margins = self.nav.contentsMargins()
        widest = max((button.sizeHint().width() for button in self.nav_buttons.values()), default=0)
        scroll_bar = self.nav_scroll.verticalScrollBar().sizeHint().width()
        self.nav_scroll.setFixedWidth(widest + margins.left() + margins.right() + scroll_bar)

    def _refresh_countdown(self, state: SessionState) -> None:
        now = self.clock.now()
        countdown = state.countdown
        phase = state.gel_phase(now)
        for label in (self.countdown_label, self.phase_label):
            label.setProperty("phase", phase.value)
            label.style().unpolish(label)
            label.style().polish(label)
        if countdown is None:
            shown, said = "--:--", "Gel countdown not started"
            self.phase_label.setText("Gel countdown not started")
        else:
            match phase:
                case GelPhase.WAITING:
                    shown = clock_text(countdown.remaining(now))
                    said = f"Gel working, {minutes_text(countdown.remaining(now))} left ({shown})"
                    self.phase_label.setText(f"Gel working · ready at {local_time(countdown.ready_at)}")
                case GelPhase.READY:
                    left = countdown.remove_at - now
                    shown, said = "Ready", f"Gel ready, to come off within {minutes_text(left)}"
                    early = state.wait_ended_early
                    why = (
                        f"Wait ended early by {early.staff_name}"
                        if early and now < countdown.ready_at
                        else ""
                    )
                    self.phase_label.setText(
                        (why or "Ready for the laser room")
                        + f" · remove gel by {local_time(countdown.remove_at)} ({duration_words(left)} left)"
                    )
                case GelPhase.REMOVE_NOW:
                    on_for = countdown.gel_time(now)
                    shown, said = "Remove gel", f"Remove gel now, on the skin for {minutes_text(on_for)}"
                    self.phase_label.setText(
                        f"Remove the gel now: it has been on for {duration_words(on_for)}"
                    )
                case _:
                    on_for = countdown.gel_time(now)
                    shown, said = "Gel off", f"Gel off, it was on the skin for {minutes_text(on_for)}"
                    self.phase_label.setText(f"The gel was on the skin for {duration_words(on_for)}")
        self.countdown_label.setText(shown)
        self.countdown_label.setAccessibleName(said)

    def _reload(self) -> None:
        """Read the session again, on the worker: another desk may have changed it (an amendment, a
        handover, a laser authorisation). Answers come in the order the worker ran them, so this one
        is never older than a record shown before it."""
        if self.record is None:
            return
        self._permitted_for = None
        self._devices_read_on = None  # a laser may have been checked, or failed, meanwhile
        session_id = self.record.id

        def read(record: SessionRecord) -> None:
            if self.record is not None and self.record.id == session_id:
                self.record = record
                self.refresh()

        def not_read(error: DomainError) -> None:
            if self.record is not None and self.record.id == session_id:
                self.message.setText(str(error))

        self.worker.submit(lambda: self.desk.sessions.session(session_id), read, not_read, LATER)

    def _on_session_changed(self, session_id: int) -> None:
        if self._announcing:
            return
        if self.record is not None and self.record.id == session_id and self.isVisible():
            self._reload()

    # --- actions ---------------------------------------------------------------------------------

    def _staff_or_complain(self) -> Staff | None:
        staff = self.current_staff()
        if staff is None:
            self.message.setText("Choose who you are first.")
        return staff

    def _commit(self, action: Callable[[], SessionRecord]) -> Saving[SessionRecord]:
        """One store action, saved on the worker: once committed the page shows the state it returned
        and tells the other pages; refused, the session is read again (what was shown may be why)."""

        def refused(error: DomainError) -> str:
            self._reload()
            return str(error)

        return Saving(self.worker, action, self._committed, refused, self.signals.not_saved.emit)

    def _committed(self, record: SessionRecord) -> None:
        """A dialog's save committed: shown if its session still is (the lock, or another session
        opened meanwhile, must not be filled again with it); the other pages are told either way."""
        if self.record is not None and self.record.id == record.id:
            self._show_committed(record)
        else:
            self._tell_others(record)

    def _tell_others(self, record: SessionRecord) -> None:
        """Saved while this page shows another session, or none: the board and the others take it."""
        self.signals.session_saved.emit(record)
        self.signals.session_changed.emit(record.id)

    def _show_committed(self, record: SessionRecord) -> None:
        """Show the state a committed action returned, and tell the other pages."""
        self.record = record
        self.refresh()
        self.signals.session_saved.emit(record)  # the board takes it: no read queued after each tick
        self._announcing = True  # the other pages refresh; this one already shows the new state
        try:
            self.signals.session_changed.emit(record.id)
        finally:
            self._announcing = False

    def _tick(self, item_id: str, values: dict) -> None:
        staff = self._staff_or_complain()
        if staff is None or self.record is None:
            return
        session_id = self.record.id
        if self.record.procedure.item(item_id).kind is ItemKind.SIGN_OUT:
            self._ask_signature(session_id, staff)
            return
        card = self.cards[item_id]
        card.show_saving()  # done is shown only once the tick has committed (_saved)
        label = card.item.label
        self.worker.submit(
            lambda: self.desk.sessions.tick(session_id, item_id, values, staff.id),
            lambda record: self._saved(item_id, record),
            lambda error: self._not_saved(session_id, item_id, label, error),
            what=label,
        )

    def _card_shown(self, session_id: int, item_id: str) -> ItemCard | None:
        """The item's card as the page shows it now: None if the page has moved on to another
        session (or closed); a session opened again meanwhile has new cards."""
        if self.record is None or self.record.id != session_id:
            return None
        return self.cards.get(item_id)

    def _saved(self, item_id: str, record: SessionRecord) -> None:
        card = self._card_shown(record.id, item_id)
        if card is None or self.record is None:  # the nurse has moved on meanwhile
            self._tell_others(record)
            return
        card.done_saving()
        focus = QApplication.focusWidget()
        # The worker's answers come in the order it ran them: what is shown is never newer than this.
        self._show_committed(record)
        if focus is None or card.isAncestorOf(focus):  # the keyboard is not taken from elsewhere
            self.focus_next_item()

    def _not_saved(self, session_id: int, item_id: str, label: str, error: DomainError) -> None:
        """Said on the item's card if its session is still shown here, else above every page."""
        card = self._card_shown(session_id, item_id)
        if card is None:
            self.signals.not_saved.emit(f"{not_saved_words(error)}: {label}. {error}")
            return
        card.done_saving()
        self._reload()  # what is shown may be out of date: that can be why it was refused
        card.show_error(str(error))

    def _read_first(self, read: Callable[[], Any], then: Callable[[Any], None]) -> None:
        """Read what a dialog needs on the worker, then open it if the session is still shown."""
        session_id = self.record.id if self.record is not None else None
        self._reading_for_dialog(
            read,
            then,
            lambda error: self.message.setText(str(error)),
            lambda: self.record is not None and self.record.id == session_id,
        )

    def _ask_signature(self, session_id: int, staff: Staff) -> None:
        """Sign and lock takes the operator's PIN at this moment (and a clinician's, where asked)."""

        def countersigners() -> list[Staff] | None:
            required = self.desk.clinic.countersignature_required()
            return self.desk.accounts.list_clinicians() if required else None

        self._read_first(
            countersigners, lambda clinicians: self._open_signature(session_id, staff, clinicians)
        )

    def _open_signature(self, session_id: int, staff: Staff, clinicians: list[Staff] | None) -> None:
        def sign(pin: str, countersigner_id: int | None, counter_pin: str) -> Saving:
            pins = {staff.id: pin}
            if countersigner_id is not None:
                pins[countersigner_id] = counter_pin

            def attempt(typed: dict[int, str]) -> Saving:
                counter = typed[countersigner_id] if countersigner_id is not None else ""
                return self._commit(
                    lambda: self.desk.sessions.sign_out(
                        session_id, staff.id, typed[staff.id], countersigner_id, counter
                    )
                )

            return with_pin_change(dialog, self.desk, pins, attempt)

        dialog = SignDialog(self, staff, SIGNATURE_MEANING, clinicians, sign)
        dialog.open()

    def focus_next_item(self, by_itself: bool = True) -> None:
        """The keyboard goes to the next item to do, on its pause point, scrolled into view: when the
        session opens, after a tick, and on NEXT_ITEM_KEYS. Moved there `by_itself` (not by the
        nurse's key), the item ignores a confirming key for a moment (ItemCard.guard_focus)."""
        state = self.state()
        next_item = state.next_item() if state else None
        if next_item is None or state is None or state.current_pause_point is None:
            return
        self.show_pause_point(state.current_pause_point.id)
        card = self.cards[next_item.item.id]
        page = self.pages[state.current_pause_point.id]
        card.take_focus(page if isinstance(page, QScrollArea) else None)
        if by_itself:
            card.guard_focus(self.clock)

    def _ask_override(self, item_id: str) -> None:
        """A clinician lets the session go on past a soft stop, with a reason and their PIN."""
        self._ask_clinician(item_id, OverrideDialog, lambda desk: desk.sessions.override, focus_after=False)

    def _ask_clear_stop(self, item_id: str) -> None:
        """A clinician who has seen the patient clears a hard stop (a sign of anaesthetic toxicity);
        the nurse then answers the item again."""
        self._ask_clinician(item_id, ClearStopDialog, lambda desk: desk.sessions.clear_stop, focus_after=True)

    def _ask_clinician(
        self,
        item_id: str,
        dialog: type[OverrideDialog] | type[ClearStopDialog],
        action: Callable[[Desk], Callable[..., SessionRecord]],
        focus_after: bool,
    ) -> None:
        """The clinician chooses themself (the one signed in, if a clinician is) and confirms with
        their PIN, checked with the action itself; the member at the desk is kept as who typed it."""
        staff = self._staff_or_complain()
        if staff is None or self.record is None or (state := self.state()) is None:
            return
        session_id = self.record.id
        item_state = state.item(item_id)
        self._read_first(
            self.desk.accounts.list_clinicians,
            lambda clinicians: self._open_clinician_dialog(
                session_id, item_state, staff, clinicians, dialog, action, focus_after
            ),
        )

    def _open_clinician_dialog(
        self,
        session_id: int,
        item_state: ItemState,
        staff: Staff,
        clinicians: list[Staff],
        dialog: type[OverrideDialog] | type[ClearStopDialog],
        action: Callable[[Desk], Callable[..., SessionRecord]],
        focus_after: bool,
    ) -> None:
        item_id = item_state.item.id

        def submit(clinician_id: int, reason: str, pin: str) -> Saving:
            def attempt(typed: dict[int, str]) -> Saving:
                saving = self._commit(
                    lambda: action(self.desk)(
                        session_id, item_id, reason, clinician_id, staff.id, typed[clinician_id]
                    )
                )
                return saving.then(lambda: self._cleared(item_id) if focus_after else self.focus_next_item())

            return with_pin_change(asking, self.desk, {clinician_id: pin}, attempt)

        asking = dialog(
            self,
            item_state.item.label,
            list(item_state.flags),
            clinicians,
            staff if staff.role is Role.CLINICIAN else None,
            submit,
        )
        asking.open()

    def _cleared(self, item_id: str) -> None:
        """Once the stop is cleared, the keyboard goes to the item's questions, to ask them again
        (guarded: the Enter that confirmed the dialog must not answer them)."""
        if item_id in self.cards:
            self.cards[item_id].first_control().setFocus()
            self.cards[item_id].guard_focus(self.clock)

    def _ask_correction(self, item_id: str) -> None:
        staff = self._staff_or_complain()
        if staff is None or self.record is None:
            return
        session_id = self.record.id
        label = self.record.procedure.item(item_id).label
        ReasonDialog(
            self,
            f"Undo: {label}",
            "What was recorded stays in the record; this is added after it, with your name and "
            "the reason. Then do the item again.",
            # Then the keyboard goes on to the next item to do: the Undo button may be gone.
            lambda reason: self._commit(
                lambda: self.desk.sessions.correct(session_id, item_id, reason, staff.id)
            ).then(self.focus_next_item),
            ok_text="Undo",
        ).open()

    def _ask_note(self, item_id: str | None) -> None:
        staff = self._staff_or_complain()
        if staff is None or self.record is None:
            return
        session_id = self.record.id
        about = self.record.procedure.item(item_id).label if item_id else "the session"
        ReasonDialog(
            self,
            f"Note on {about}",
            "Write the note; it is kept with your name and the time.",
            lambda text: self._commit(
                lambda: self.desk.sessions.add_note(session_id, item_id, text, staff.id)
            ),
            ok_text="Add note",
        ).open()

    def _ask_amendment(self) -> None:
        staff = self._staff_or_complain()
        if staff is None or self.record is None:
            return
        session_id = self.record.id
        items = [(item.id, item.label) for item in self.record.procedure.all_items()]
        AmendmentDialog(
            self,
            items,
            lambda item_id, text, reason: self._commit(
                lambda: self.desk.sessions.amend(session_id, item_id, text, reason, staff.id)
            ),
        ).open()

    def _print(self, kind: DocumentKind) -> None:
        if self.record is not None:
            from desk_app.ui.printing import open_print_dialog  # Qt's print support loads when first used

            open_print_dialog(
                self, self.context, kind, self.record.id, self.message, self._reading_for_dialog
            )

    def _ask_stop(self) -> None:
        staff = self._staff_or_complain()
        if staff is None or self.record is None or (state := self.state()) is None:
            return
        session_id = self.record.id
        StopTreatmentDialog(
            self,
            gel_still_on(state),
            lambda reason, gel_removed: self._commit(
                lambda: self.desk.sessions.abort(session_id, reason, staff.id, gel_removed)
            ),
        ).open()
