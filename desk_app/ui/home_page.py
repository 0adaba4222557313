"""The home screen: the front-desk board of sessions in progress, and finding or registering a patient."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFontMetrics, QHideEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.board import BoardCard, BoardPhase
from desk_app.domain.countdown import clock_text, duration_words
from desk_app.domain.dates import local_today
from desk_app.domain.errors import DomainError
from desk_app.domain.laser_use import DeviceUse, short_status
from desk_app.domain.people import Patient, Staff, short_name
from desk_app.domain.pre_use_check import PreUseCheck
from desk_app.domain.refusals import PossibleDuplicate, SessionAlreadyInProgress
from desk_app.domain.session import SessionRecord
from desk_app.store.errors import error_for_log
from desk_app.store.patients import SEARCH_LIMIT
from desk_app.ui import tab_order
from desk_app.ui.access_trail import SettledSearches
from desk_app.ui.context import DeskContext
from desk_app.ui.db_worker import LATER
from desk_app.ui.forgetting import drop_dialogs
from desk_app.ui.formatting import local_date, local_time
from desk_app.ui.help_sheet import FOLLOW_UP_KEYS
from desk_app.ui.live_sessions import LiveSessions
from desk_app.ui.pre_use_check_dialog import PreUseCheckDialog
from desk_app.ui.saving import SAVING, Asked, ReadFirst
from desk_app.ui.saving_button import submit_from
from desk_app.ui.scrolling import scrolling_column
from desk_app.ui.typed_search import Query, SearchOnWorker, TypedSearch
from desk_app.ui.widgets import DownToResults, ask, message_label

log = logging.getLogger(__name__)
PRE_USE_CHECK = "Do the pre-use check"
CONFIRM_START = "Yes, start the session"
RESULTS_MIN_HEIGHT = 150  # about three patients found, on the smallest screen


def card_lines(card: BoardCard, now: datetime) -> list[str]:
    """What a board card says, in words as well as colour."""
    patient = card.record.patient
    return [
        f"{patient.full_name} · {patient.clinic_number}",
        card_where(card, now),
        *hard_stops(card),
        f"Next: {card.next_label}",
        f"With {card.record.holder.name}",
    ]


def hard_stops(card: BoardCard) -> list[str]:
    """A hard stop's flagged answer (a sign of anaesthetic toxicity), for everyone at the board: its
    first flag only, to fit a card's line (the checklist lists them all)."""
    return [f"STOP: {state.flags[0]}" for state in card.state.items.values() if state.hard_stopped]


def locked_card_line(card: BoardCard, now: datetime) -> str:
    """A card on the locked screen: a first name and an initial, where the patient is, who has them."""
    return f"{short_name(card.record.patient)} · {card_where(card, now)} · {card.record.holder.initials}"


def card_where(card: BoardCard, now: datetime) -> str:
    match card.phase:
        case BoardPhase.WAITING if card.gel_remaining is not None:
            where = f"Gel working: {clock_text(card.gel_remaining)} left"
        case BoardPhase.READY if card.state.countdown is not None:
            where = f"Ready for the laser room · remove gel by {local_time(card.state.countdown.remove_at)}"
        case BoardPhase.REMOVE_NOW if card.state.countdown is not None:
            where = f"Remove the gel now: on for {duration_words(card.state.countdown.gel_time(now))}"
        case BoardPhase.IN_LASER_ROOM if card.laser_room_since is not None:
            where = f"In the laser room for {duration_words(now - card.laser_room_since)}"
        case BoardPhase.IN_LASER_ROOM:
            where = "In the laser room: time-out"
        case _:
            where = "Sign-in and gel"
    return where


def wrapped_lines(lines: list[str], metrics: QFontMetrics, room: int) -> list[str]:
    """`lines` broken between words so that each fits `room` pixels (a word longer than that stays
    whole)."""
    wrapped = []
    for line in lines:
        current = ""
        for word in line.split(" "):
            candidate = f"{current} {word}" if current else word
            if current and metrics.horizontalAdvance(candidate) > room:
                wrapped.append(current)
                current = word
            else:
                current = candidate
        wrapped.append(current)
    return wrapped


class WrappingButton(QPushButton):
    """A button whose lines wrap between words at the width it is given (a QPushButton never wraps):
    a long name makes the card taller, never the board wider than a small screen."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__("", parent)
        self.lines: list[str] = []
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(240)

    def set_lines(self, lines: list[str]) -> None:
        self.lines = lines
        self._wrap()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._wrap()

    def _wrap(self) -> None:
        option = QStyleOptionButton()
        self.initStyleOption(option)
        frame = self.style().sizeFromContents(QStyle.ContentsType.CT_PushButton, option, QSize(0, 0), self)
        text = "\n".join(wrapped_lines(self.lines, self.fontMetrics(), self.width() - frame.width()))
        if text != self.text():
            self.setText(text)


class BoardCardWidget(QFrame):
    """One patient in progress: the card opens the checklist; 'Take over' hands the patient over."""

    def __init__(
        self,
        parent: QWidget,
        session_id: int,
        open_session: Callable[[int], None],
        take_over: Callable[[int, int | None], None],
    ) -> None:
        super().__init__(parent)
        self.setObjectName("boardCard")
        self.session_id = session_id
        self.holder_seen_id: int | None = None  # who has the patient, as this card shows it
        self._styled: tuple[BoardPhase, bool] | None = None  # the phase and stop its colours show
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.open_button = WrappingButton(self)
        self.open_button.setObjectName("sessionCard")
        self.open_button.setAutoDefault(True)  # Enter opens the card, as Space does
        self.open_button.clicked.connect(lambda: open_session(self.session_id))
        row.addWidget(self.open_button, 1)
        self.take_over_button = QPushButton("Take over", self)
        self.take_over_button.setMinimumHeight(44)
        self.take_over_button.clicked.connect(lambda: take_over(self.session_id, self.holder_seen_id))
        row.addWidget(self.take_over_button)

    def forget(self) -> None:
        """Nothing of the patient left in the card (the screen locked)."""
        for button in (self.open_button, self.take_over_button):
            button.setAccessibleName("")
        self.open_button.set_lines([])

    def show_card(self, card: BoardCard, now: datetime, staff: Staff | None) -> None:
        """Each second: only what changed is set (issue 23: restyling every card each second was
        a seventh of a tick, and each new name is an event on the accessibility bus)."""
        lines = card_lines(card, now)
        self.open_button.set_lines(lines)
        _name(self.open_button, ", ".join(lines))
        _name(self.take_over_button, f"Take over: {card.record.patient.full_name}")
        self.take_over_button.setVisible(staff is not None and staff.id != card.record.holder.id)
        self.holder_seen_id = card.record.holder.id
        self._restyle_if_changed(card.phase, bool(hard_stops(card)))

    def _restyle_if_changed(self, phase: BoardPhase, stopped: bool) -> None:
        if (phase, stopped) != self._styled:
            self._restyle(phase, stopped)

    def _restyle(self, phase: BoardPhase, stopped: bool) -> None:
        """The card's colours follow its phase and hard stops (desk.qss)."""
        self._styled = (phase, stopped)
        for widget in (self, self.open_button):
            widget.setProperty("phase", phase.value)
            widget.setProperty("stop", stopped)
            widget.style().unpolish(widget)
            widget.style().polish(widget)


def _name(widget: QWidget, name: str) -> None:
    if widget.accessibleName() != name:
        widget.setAccessibleName(name)


class HomePage(QWidget):
    open_session_requested = Signal(int)
    """Open this session's checklist."""

    open_patient_requested = Signal(int)
    """Open this patient's page (history, course, registration)."""

    follow_up_calls_requested = Signal()
    """Open the follow-up calls due today."""

    def __init__(self, context: DeskContext, sessions: LiveSessions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = context.desk
        self.worker = context.worker
        self.clock = context.clock
        self.signals = signals = context.signals
        self.sessions = sessions
        self.current_staff = context.current_staff
        self.card_widgets: list[BoardCardWidget] = []
        self._running_session_id: int | None = None
        self._lasers_read_on: date | None = None  # None until read, and after a read that failed
        self._lasers_problem = ""  # why the last read failed, as the board says it
        self._lasers_reading = False  # a read of the lasers is on the worker: no second one meanwhile
        self._asked = Asked()  # the lock moves it on: an answer asked before is not shown
        self._reading_patient = ReadFirst(self.worker)
        self.searches = SettledSearches(context, self)
        self._build()
        signals.second_passed.connect(self._on_second)
        signals.patients_changed.connect(self.search)
        signals.changed_elsewhere.connect(self._laser_checked_elsewhere)

    # --- layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        """Two columns, each scrolling on its own: on a small screen the board keeps its place while
        the nurse scrolls to the register form, and nothing is squeezed until it is cut off."""
        layout = QHBoxLayout(self)
        left, column = scrolling_column(self)
        # The lasers that may not be used today, above the board: out of use (failed today's check)
        # in red, not yet checked more quietly, with the check for an operator to do.
        self.lasers_box = QWidget(left.widget())
        self.lasers_column = QVBoxLayout(self.lasers_box)
        self.lasers_column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.lasers_box)
        self.cards_box = board_box = QGroupBox("Patients in progress", left.widget())
        board_column = QVBoxLayout(board_box)
        self.board_message = message_label(board_box, visible=False)
        board_column.addWidget(self.board_message)
        self.cards_layout = QVBoxLayout()
        self.no_sessions = QLabel("No patient in progress.", board_box)
        self.cards_layout.addWidget(self.no_sessions)
        board_column.addLayout(self.cards_layout)
        board_column.addStretch(1)
        column.addWidget(board_box, 1)
        layout.addWidget(left, 3)

        right, patients = scrolling_column(self)
        find_box = QGroupBox("Find a patient", right.widget())
        find = QVBoxLayout(find_box)
        self.search_edit = QLineEdit(find_box)
        self.search_edit.setAccessibleName("Search patients")
        self.search_edit.setPlaceholderText("Name, date of birth or clinic number")
        self.search_edit.setMinimumHeight(44)
        self.typing = TypedSearch(self.search_edit, self._typed)  # once she pauses, not at each key
        self.on_worker = SearchOnWorker[Patient](self.typing, self.worker, self._found, self._say_error)
        # Down or Enter in the search goes to the list: the nurse then chooses the patient there.
        find.addWidget(self.search_edit)
        DownToResults(self.search_edit, self._to_results)
        self.results = QListWidget(find_box)
        self.results.setAccessibleName("Patients found")
        self.results.setMinimumHeight(RESULTS_MIN_HEIGHT)
        self.results.setAlternatingRowColors(True)  # which two lines are one patient, at a glance
        self.results.setSpacing(2)
        # Choosing a patient only gets the start button ready: starting a session is a record.
        self.results.itemActivated.connect(lambda _item: self.start_button.setFocus())
        self.results.itemSelectionChanged.connect(self._on_selection_changed)
        find.addWidget(self.results, 1)
        # Typed here for the type checker: the lambda above reads it first.
        self.start_button: QPushButton = QPushButton("Start session", find_box)
        self.start_button.setObjectName("primaryButton")
        self.start_button.setMinimumHeight(44)
        self.start_button.setAutoDefault(True)  # Enter presses it, as Space does
        self.start_button.clicked.connect(self._ask_start_session)
        find.addWidget(self.start_button)
        self.record_button = QPushButton("Patient record", find_box)
        self.record_button.setMinimumHeight(44)
        self.record_button.setAutoDefault(True)
        self.record_button.clicked.connect(self._open_record)
        find.addWidget(self.record_button)
        self.start_message = message_label(find_box, visible=False)  # no gap under the buttons
        find.addWidget(self.start_message)
        self.open_running_button = QPushButton("Open the session in progress", find_box)
        self.open_running_button.setMinimumHeight(44)
        self.open_running_button.setVisible(False)
        self.open_running_button.clicked.connect(self._open_running)
        find.addWidget(self.open_running_button)
        patients.addWidget(find_box, 1)
        self.follow_up_button = QPushButton("Follow-up calls", right.widget())
        self.follow_up_button.setToolTip(f"The patients to call after their treatment ({FOLLOW_UP_KEYS})")
        self.follow_up_button.setMinimumHeight(44)
        self.follow_up_button.clicked.connect(self.follow_up_calls_requested)
        patients.addWidget(self.follow_up_button)

        register_box = QGroupBox("Register a new patient", right.widget())
        form = QFormLayout(register_box)
        self.given_edit = self._line(form, "First names")
        self.family_edit = self._line(form, "Surname")
        self.birth_edit = self._line(form, "Date of birth")
        self.birth_edit.setPlaceholderText("DD/MM/YYYY")
        self.number_edit = self._line(form, "Clinic number")
        # Enter moves on from field to field; in the last one it registers.
        for edit, following in (
            (self.given_edit, self.family_edit),
            (self.family_edit, self.birth_edit),
            (self.birth_edit, self.number_edit),
        ):
            edit.returnPressed.connect(following.setFocus)
        self.number_edit.returnPressed.connect(lambda: self._register())
        self.register_button = QPushButton("Register patient", register_box)
        self.register_button.setMinimumHeight(44)
        self.register_button.clicked.connect(lambda: self._register())
        form.addRow(self.register_button)
        self.register_anyway_button = QPushButton("Register anyway: a different person", register_box)
        self.register_anyway_button.setMinimumHeight(44)
        self.register_anyway_button.setVisible(False)
        self.register_anyway_button.clicked.connect(lambda: self._register(duplicate_confirmed=True))
        form.addRow(self.register_anyway_button)
        self.register_message = message_label(register_box)
        form.addRow(self.register_message)
        patients.addWidget(register_box)
        layout.addWidget(right, 2)
        self._order_tabs()

    def _line(self, form: QFormLayout, label: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setAccessibleName(label)
        edit.setMinimumHeight(44)
        form.addRow(label, edit)
        return edit

    # --- the board -------------------------------------------------------------------------------

    def activate(self) -> None:
        self.sessions.mark_stale()
        self.refresh_board()
        self.refresh_lasers()
        self.search()

    def _on_second(self) -> None:
        if self.isVisible():
            new_day = self._lasers_read_on != local_today(self.clock.now())
            if new_day and self.worker.answering():  # not behind a stalled database
                self.refresh_lasers()  # a new day (or a read that failed): every laser needs a check
            self.refresh_board()

    def _laser_checked_elsewhere(self) -> None:
        if self.isVisible():
            self.refresh_lasers()

    # --- the lasers today ------------------------------------------------------------------------

    def refresh_lasers(self) -> None:
        """Read the lasers' status today (two queries): when the page is shown, when another desk
        writes, after a check here and when the day changes; not every second, but for a read that
        failed, which shows no laser's line (it could be out of date) and is tried again."""
        if self._lasers_reading:
            return
        staff = self.current_staff()
        desk = self.desk

        def read() -> tuple[list[DeviceUse], bool]:
            uses = desk.device_checks.device_uses()
            return uses, staff is not None and desk.operators.is_authorised_operator(staff.id)

        def answered(result: tuple[list[DeviceUse], bool]) -> None:
            self._lasers_reading = False
            self._show_lasers(*result)

        def failed(error: DomainError) -> None:
            self._lasers_reading = False
            self._clear_laser_lines()  # none is left standing from before: it could be out of date
            log.warning("The lasers' status today could not be read: %s", error_for_log(error))
            self._lasers_read_on = None  # read again at the next second
            self._lasers_problem = str(error)
            self.board_message.setText(self._lasers_problem)
            self.board_message.setVisible(True)

        self._lasers_reading = True  # a read the page does by itself: the nurse's actions go first
        self.worker.submit(read, answered, failed, lane=LATER)

    def _show_lasers(self, uses: list[DeviceUse], may_check: bool) -> None:
        self._clear_laser_lines()
        self._lasers_read_on = local_today(self.clock.now())
        if self._lasers_problem and self.board_message.text() == self._lasers_problem:
            self.board_message.setVisible(False)  # the lasers' own message, not another one since
        self._lasers_problem = ""
        for use in uses:
            self._laser_line(use, may_check)
        self.lasers_box.setVisible(self.lasers_column.count() > 0)
        self._order_tabs()

    def _clear_laser_lines(self) -> None:
        while self.lasers_column.count():
            row = self.lasers_column.takeAt(0)
            assert row is not None  # the column still has one
            widget = row.widget()
            if widget is not None:
                widget.hide()  # at once: deleted at the next event loop turn
                widget.deleteLater()
        self.lasers_box.setVisible(False)

    def _laser_line(self, use: DeviceUse, may_check: bool) -> None:
        """One line for a laser that may not be used today (or whose service is overdue)."""
        name = use.device.name
        match short_status(use):
            case "out of use today":
                text, style = use.stop or "", "deviceOutOfUse"
            case "not checked today" as status:
                who = "" if may_check else " An authorised laser operator does it."
                text = f"{status.capitalize()}: the {name} needs its pre-use check before use.{who}"
                style = "deviceNotChecked"
            case "service overdue":
                text = f"{use.service_message}. Each pass with it needs a clinician's override."
                style = "deviceNotChecked"
            case _:
                return
        line = QWidget(self.lasers_box)
        row = QHBoxLayout(line)
        row.setContentsMargins(0, 0, 0, 0)
        label = message_label(line, style)
        label.setText(text)
        label.setAccessibleName(text)
        row.addWidget(label, 1)
        if use.passed_check is None and not use.out_of_use and may_check:
            button = QPushButton(PRE_USE_CHECK, line)
            button.setAccessibleName(f"{PRE_USE_CHECK}: {name}")
            button.setMinimumHeight(44)
            button.clicked.connect(lambda _=False, chosen=use: self._ask_check(chosen))
            row.addWidget(button)
        self.lasers_column.addWidget(line)
        line.show()  # a widget added to a page already on screen is not shown by itself

    def _ask_check(self, use: DeviceUse) -> None:
        staff = self.current_staff()
        if staff is not None:
            PreUseCheckDialog(
                self, self.desk, self.worker, use, staff, self._checked, self.signals.not_saved.emit
            ).open()

    def _checked(self, check: PreUseCheck) -> None:
        log.info("Pre-use check of laser %s recorded: passed=%s", check.device_id, check.passed)
        self.refresh_lasers()

    def refresh_board(self) -> None:
        """Cards in attention order. Each widget belongs to one session for its whole life, so a
        button under a finger (or the keyboard's focus) never changes patient when cards move."""
        cards = self.sessions.cards()
        by_session = {widget.session_id: widget for widget in self.card_widgets}
        wanted = [card.record.id for card in cards]
        for session_id in set(by_session) - set(wanted):
            widget = by_session.pop(session_id)
            self.cards_layout.removeWidget(widget)
            widget.hide()  # at once: deleted at the next turn of the event loop
            widget.deleteLater()
        for session_id in wanted:
            if session_id not in by_session:
                # Made in the box that shows it: reparented by the layout, it would stay hidden
                # until the next turn of the event loop.
                widget = BoardCardWidget(
                    self.cards_box, session_id, self.open_session_requested.emit, self._take_over
                )
                widget.show()  # at once, not at the next event loop turn
                by_session[session_id] = widget
        order = [by_session[session_id] for session_id in wanted]
        if order != self.card_widgets:
            for index, widget in enumerate(order):
                self.cards_layout.removeWidget(widget)
                self.cards_layout.insertWidget(index, widget)
            self.card_widgets = order
            self._order_tabs()  # only when the cards change: not every second
        staff = self.current_staff()
        now = self.sessions.clock.now()
        for widget, card in zip(self.card_widgets, cards, strict=True):
            widget.show_card(card, now, staff)
        self.no_sessions.setVisible(not cards)

    def _order_tabs(self) -> None:
        """Tab follows the reading order: the lasers' checks, the board top card first, then the
        patient search, its list and buttons, the follow-up calls and the register form."""
        checks = [button for line in self._laser_lines() for button in line.findChildren(QPushButton)]
        cards = [w for widget in self.card_widgets for w in (widget.open_button, widget.take_over_button)]
        tab_order.chain(
            [
                *checks,
                *cards,
                self.search_edit,
                self.results,
                self.start_button,
                self.record_button,
                self.open_running_button,
                self.follow_up_button,
                self.given_edit,
                self.family_edit,
                self.birth_edit,
                self.number_edit,
                self.register_button,
                self.register_anyway_button,
            ]
        )

    def _laser_lines(self) -> list[QWidget]:
        items = (self.lasers_column.itemAt(index) for index in range(self.lasers_column.count()))
        lines = (item.widget() for item in items if item is not None)
        return [line for line in lines if line is not None]

    def _take_over(self, session_id: int, holder_seen_id: int | None) -> None:
        staff = self.current_staff()
        card = next((widget for widget in self.card_widgets if widget.session_id == session_id), None)
        if staff is None or card is None:
            return
        sessions, still = self.desk.sessions, self._asked.still()

        def taken(_result: object) -> None:
            if not still():
                return  # locked meanwhile: the board is read again when unlocked
            self.board_message.setVisible(False)
            self.signals.session_changed.emit(session_id)
            self.refresh_board()  # the new holder shows once read (LiveSessions.read), not next second

        def refused(error: DomainError) -> None:
            if not still():
                self.signals.not_saved.emit(f"Take over: {error}")
                return
            self.board_message.setText(str(error))
            self.board_message.setVisible(True)
            self.sessions.mark_stale()  # another desk may have just changed it: show who has them now
            self.refresh_board()

        submit_from(
            card.take_over_button,
            self.worker,
            lambda: sessions.take_over(session_id, staff.id, holder_seen_id),
            taken,
            refused,
        )

    # --- patients --------------------------------------------------------------------------------

    def search(self) -> None:
        """Show the patients matching the text (the list read again: no new search is audited)."""
        self._search(self.typing.ask(), audited=False)

    def _search(self, query: Query, audited: bool) -> None:
        """The patients matching `query`, asked of the database worker without waiting (see
        SearchOnWorker). None is chosen when they come: the nurse chooses the patient, so no key
        press starts a session for whoever happens to come first. Locked, nothing is read."""
        if self.current_staff() is None:
            self.results.clear()
            self._on_selection_changed()
            return
        patients = self.desk.patients
        self.on_worker.ask(query, lambda: patients.search_patients(query.text), audited)

    def _found(self, query: Query, found: list[Patient], audited: bool) -> None:
        self.results.clear()
        for patient in found:
            self._add_result(patient)
        self._on_selection_changed()
        if audited:  # a search the nurse made: audited once settled (ui.access_trail)
            self.searches.ran(query.text, len(found), len(found) == SEARCH_LIMIT)
            if not self.isVisible():  # typed just before she left the page: audited as she left
                self.searches.settle()

    def _to_results(self) -> None:
        """To the list, the first patient chosen (the nurse's own key press) unless one already is:
        the list of the text in the field, searched now if typing had not yet paused (then as soon
        as its patients come)."""
        self.typing.flush()
        self.on_worker.then(self._into_results)

    def _into_results(self) -> None:
        if not self.results.count():
            return
        self.results.setFocus(Qt.FocusReason.OtherFocusReason)
        if self.chosen_item() is None:
            self.results.setCurrentRow(0)

    def chosen_item(self) -> QListWidgetItem | None:
        """The patient the nurse chose in the list: selected, not only under the list's cursor."""
        selected = self.results.selectedItems()
        return selected[0] if selected else None

    def _typed(self, query: Query) -> None:
        """A search the nurse made (typing paused, Enter, Down): audited once settled."""
        self._search(query, audited=True)

    def hideEvent(self, event: QHideEvent) -> None:
        self.typing.flush()  # typed just before leaving the page: searched and audited as before
        self.searches.settle()
        super().hideEvent(event)

    def _add_result(self, patient: Patient) -> None:
        # Two short lines, not one long one: read whole in a narrow column, never cut off.
        text = f"{patient.full_name}\nborn {local_date(patient.date_of_birth)} · {patient.clinic_number}"
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, patient.id)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, text.replace("\n", ", "))
        self.results.addItem(item)

    def _on_selection_changed(self) -> None:
        # A message about the last patient must not stay beside another patient's name.
        self._say("")
        self.open_running_button.setVisible(False)
        chosen = self.chosen_item() is not None
        self.start_button.setEnabled(chosen)
        self.record_button.setEnabled(chosen)

    def _register(self, duplicate_confirmed: bool = False) -> None:
        staff = self.current_staff()
        if staff is None:
            self.register_message.setText("Choose who you are first.")
            return
        if self.register_button.text() == SAVING:
            return  # Enter in the last field again while saving asks nothing more
        self.register_anyway_button.setVisible(False)
        self.register_message.clear()
        patients, still = self.desk.patients, self._asked.still()
        typed = (
            self.given_edit.text(),
            self.family_edit.text(),
            self.birth_edit.text(),
            self.number_edit.text(),
        )

        def refused(error: DomainError) -> None:
            if not still():
                self.signals.not_saved.emit(f"Register a new patient: {error}")
            elif isinstance(error, PossibleDuplicate):
                self.register_message.setText(f"{error} If not, register this patient anyway.")
                self.register_anyway_button.setVisible(True)
            else:
                self.register_message.setText(str(error))

        submit_from(
            self.register_button,
            self.worker,
            lambda: patients.register_patient(*typed, staff.id, duplicate_confirmed=duplicate_confirmed),
            lambda patient: self._registered(patient) if still() else None,
            refused,
        )

    def _registered(self, patient: Patient) -> None:
        """The patient registered: the form empties and the list shows them, chosen."""
        self.register_message.clear()
        for edit in (self.given_edit, self.family_edit, self.birth_edit, self.number_edit):
            edit.clear()
        self.search_edit.setText(patient.clinic_number)  # shows the new patient
        # The patient she has just typed in is the one she chose: chosen once listed, ready to start.
        # Now, not after a pause: she pressed a button; and when the field already held that number
        # (searched, not found, then registered) setText changes nothing and no search is waiting.
        self.typing.run_now()
        self.on_worker.then(lambda: self._choose(patient.id))

    def _choose(self, patient_id: int) -> None:
        """The patient just registered, chosen in the list and ready to start."""
        for row in range(self.results.count()):
            if self.results.item(row).data(Qt.ItemDataRole.UserRole) == patient_id:
                self.results.setCurrentRow(row)
        self.start_button.setFocus()

    def _ask_start_session(self) -> None:
        """Show who the session would be for, to be confirmed: Enter and Esc cancel."""
        current = self.chosen_item()
        if self.current_staff() is None or current is None:
            return
        patients, still = self.desk.patients, self._asked.still()
        patient_id = current.data(Qt.ItemDataRole.UserRole)
        self._reading_patient(  # as stored now: another desk may have corrected the name since the search
            lambda: patients.patient(patient_id),
            self._confirm_start,
            self._say_error,
            still,
        )

    def _confirm_start(self, patient: Patient) -> None:
        ask(
            self,
            QMessageBox.Icon.Question,
            "Start a session?",
            f"Start a session for this patient?\n\n{patient.full_name}\n"
            f"Born {local_date(patient.date_of_birth)}\nClinic number {patient.clinic_number}",
            CONFIRM_START,
            "Cancel",
            lambda confirmed: self._start_session(patient.id) if confirmed else None,
        )

    def _start_session(self, patient_id: int) -> None:
        staff = self.current_staff()
        if staff is None:
            return
        self.searches.settle()  # the search, then the session started from it
        sessions, still = self.desk.sessions, self._asked.still()

        def started(record: SessionRecord) -> None:
            if not still():
                return  # locked meanwhile: it is on the board, opened from there
            self._say("")
            self.signals.session_changed.emit(record.id)
            self.open_session_requested.emit(record.id)

        def refused(error: DomainError) -> None:
            if not still():
                self.signals.not_saved.emit(f"Start session: {error}")
                return
            self._say(str(error))
            if isinstance(error, SessionAlreadyInProgress):
                self._running_session_id = error.session_id
                self.open_running_button.setVisible(True)

        submit_from(
            self.start_button,
            self.worker,
            lambda: sessions.start_session(patient_id, staff.id),
            started,
            refused,
        )

    def _say_error(self, error: DomainError) -> None:
        self._say(str(error))

    def _say(self, text: str) -> None:
        """Why a session did not start (or nothing): shown under the buttons only while it says something."""
        self.start_message.setText(text)
        self.start_message.setVisible(bool(text))

    def _open_record(self) -> None:
        current = self.chosen_item()
        if current is not None:
            self.searches.settle()  # the search, then the record opened from it
            self.open_patient_requested.emit(current.data(Qt.ItemDataRole.UserRole))

    def _open_running(self) -> None:
        if self._running_session_id is not None:
            self.open_running_button.setVisible(False)
            self._say("")
            self.open_session_requested.emit(self._running_session_id)

    # --- the locked screen -----------------------------------------------------------------------

    def forget(self) -> None:
        """Locked: no patient's name stays anywhere on the page, nor in what a screen reader can
        read; activate() fills it again."""
        drop_dialogs(self)
        self._asked.move_on()  # what was asked before is not shown when it comes
        for widget in self.card_widgets:
            widget.forget()
            self.cards_layout.removeWidget(widget)
            widget.hide()  # its focus goes back into the window, not with it
            widget.setParent(None)  # out of the window's tree now, not at the next event loop turn
            widget.deleteLater()
        self.card_widgets = []
        self.no_sessions.setVisible(True)
        self.searches.settle()  # a search typed just before the lock, written now
        self.typing.forget()  # the text typed, and a search still waiting for a pause
        self.on_worker.forget()  # a list on its way is not shown
        self.results.clear()
        for edit in (self.given_edit, self.family_edit, self.birth_edit, self.number_edit):
            edit.clear()
        for label in (self.start_message, self.register_message, self.board_message):
            label.clear()
        self.start_message.setVisible(False)
        self.board_message.setVisible(False)
        self.register_anyway_button.setVisible(False)
        self._running_session_id = None
        self._on_selection_changed()
