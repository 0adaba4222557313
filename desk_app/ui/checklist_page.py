"""The checklist of one session: the current pause point large, the gel countdown, every action.

Every action goes to the store first; the screen changes only from the state the store returns,
so nothing is shown as done that was not committed.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.clock import Clock
from desk_app.domain.countdown import GelPhase, mm_ss
from desk_app.domain.errors import DomainError
from desk_app.domain.people import Role, Staff
from desk_app.domain.procedure import PausePoint
from desk_app.domain.session import SessionRecord, SessionState, SessionStatus
from desk_app.reports.session_summary import session_summary_html
from desk_app.store.desk import Desk
from desk_app.ui.dialogs import OverrideDialog, ReasonDialog
from desk_app.ui.formatting import local_date, local_date_time, local_time
from desk_app.ui.item_card import ItemCard
from desk_app.ui.signals import DeskSignals

REFRESH_MS = 1000


class ChecklistPage(QWidget):
    back_requested = Signal()
    """The user wants to go back to the board."""

    def __init__(
        self,
        desk: Desk,
        signals: DeskSignals,
        clock: Clock,
        current_staff: Callable[[], Staff | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.signals = signals
        self.clock = clock
        self.current_staff = current_staff
        self.record: SessionRecord | None = None
        self.cards: dict[str, ItemCard] = {}
        self.nav_buttons: dict[str, QPushButton] = {}
        self.pages: dict[str, QWidget] = {}
        self._last_current: str | None = None
        self._build()
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        signals.session_changed.connect(self._on_session_changed)

    # --- layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        identity = QVBoxLayout()
        self.patient_label = QLabel("", self)
        self.patient_label.setObjectName("patientName")
        self.details_label = QLabel("", self)
        self.details_label.setWordWrap(True)
        identity.addWidget(self.patient_label)
        identity.addWidget(self.details_label)
        header.addLayout(identity, 1)
        countdown = QVBoxLayout()
        self.countdown_label = QLabel("--:--", self)
        self.countdown_label.setObjectName("countdown")
        self.countdown_label.setAccessibleName("Gel countdown")
        self.countdown_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.phase_label = QLabel("", self)
        self.phase_label.setObjectName("phase")
        self.phase_label.setAccessibleName("Gel status")
        self.phase_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        countdown.addWidget(self.countdown_label)
        countdown.addWidget(self.phase_label)
        header.addLayout(countdown)
        layout.addLayout(header)

        body = QHBoxLayout()
        self.nav = QVBoxLayout()
        nav_box = QWidget(self)
        nav_box.setObjectName("pausePointNav")
        nav_box.setLayout(self.nav)
        body.addWidget(nav_box)
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
        self.abort_button = QPushButton("Abort session…", self)
        self.abort_button.setObjectName("dangerButton")
        self.abort_button.clicked.connect(self._ask_abort)
        for button in (self.back_button, self.session_note_button, self.abort_button):
            button.setMinimumHeight(44)
            footer.addWidget(button)
        footer.addStretch(1)
        self.message = QLabel("", self)
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        footer.addWidget(self.message, 2)
        layout.addLayout(footer)

    def _build_session(self, record: SessionRecord) -> None:
        """Cards for every item of the session's own procedure version, built once per session."""
        for widget in list(self.pages.values()):
            self.stack.removeWidget(widget)
            widget.deleteLater()
        while self.nav.count():  # buttons and the stretch below them
            widget = self.nav.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.cards.clear()
        self.pages.clear()
        self.nav_buttons.clear()
        previous_date, previous_values = self.desk.previous_values(record)
        for number, pause_point in enumerate(record.procedure.pause_points, start=1):
            page = self._pause_point_page(pause_point)
            self.pages[pause_point.id] = page
            self.stack.addWidget(page)
            button = QPushButton(f"{number}. {pause_point.title}", self)
            button.setCheckable(True)
            button.setMinimumHeight(44)
            button.setAccessibleName(f"Pause point {pause_point.title}")
            button.clicked.connect(lambda _=False, pid=pause_point.id: self.show_pause_point(pid))
            self.nav.addWidget(button)
            self.nav_buttons[pause_point.id] = button
        self.nav.addStretch(1)
        for item_id, values in previous_values.items():
            if previous_date is not None and item_id in self.cards:
                self.cards[item_id].set_previous(values, local_date(previous_date))

    def _pause_point_page(self, pause_point: PausePoint) -> QWidget:
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
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
        for item in pause_point.items:
            card = ItemCard(item, content)
            card.tick_requested.connect(self._tick)
            card.override_requested.connect(self._ask_override)
            card.correct_requested.connect(self._ask_correction)
            card.note_requested.connect(self._ask_note)
            self.cards[item.id] = card
            column.addWidget(card)
        column.addStretch(1)
        scroll.setWidget(content)
        return scroll

    # --- showing ---------------------------------------------------------------------------------

    def open_session(self, session_id: int) -> None:
        record = self.desk.session(session_id)
        self.record = record
        self._build_session(record)
        patient = record.patient
        self.patient_label.setText(patient.full_name)
        self.details_label.setText(
            f"Born {local_date(patient.date_of_birth)} · Clinic number {patient.clinic_number} · "
            f"Session {record.session_number} · {record.procedure.title}, version "
            f"{record.procedure.version} · started {local_date_time(record.started_at)} · "
            f"with {record.holder.name}"
        )
        self.message.clear()
        self._last_current = None
        self.refresh()
        self.timer.start()

    def close_session(self) -> None:
        self.timer.stop()
        self.record = None

    def show_pause_point(self, pause_point_id: str) -> None:
        self.stack.setCurrentWidget(self.pages[pause_point_id])
        for pid, button in self.nav_buttons.items():
            button.setChecked(pid == pause_point_id)

    def state(self) -> SessionState | None:
        return self.record.state(self.clock.now()) if self.record else None

    def refresh(self) -> None:
        """Recompute everything from the stored events and now; called every second and after actions."""
        if self.record is None:
            return
        now = self.clock.now()
        state = self.record.state(now)
        session_open = state.status is SessionStatus.IN_PROGRESS
        for item_id, card in self.cards.items():
            card.apply(state.item(item_id), session_open, now)
        self._refresh_nav(state)
        self._refresh_countdown(state)
        current = state.current_pause_point
        # Move on when the session moves on; between moves, the nurse may look at any pause point.
        if current is not None and current.id != self._last_current:
            self.show_pause_point(current.id)
            self._last_current = current.id
        self.session_note_button.setVisible(session_open)
        self.abort_button.setVisible(session_open)
        self.summary.setVisible(not session_open)
        self.stack.setVisible(session_open)
        self.nav.parentWidget().setVisible(session_open)
        if not session_open:
            self.timer.stop()
            self.summary.setHtml(session_summary_html(self.record, now, local_date_time))

    def _refresh_nav(self, state: SessionState) -> None:
        for pause_point in state.procedure.pause_points:
            items = [state.item(item.id) for item in pause_point.items]
            if all(item.satisfied for item in items):
                mark = "✓"
            elif all(item.locked for item in items):
                mark = "⊘"
            elif state.current_pause_point and state.current_pause_point.id == pause_point.id:
                mark = "▶"
            else:
                mark = "•"
            button = self.nav_buttons[pause_point.id]
            number = state.procedure.pause_points.index(pause_point) + 1
            button.setText(f"{mark} {number}. {pause_point.title}")

    def _refresh_countdown(self, state: SessionState) -> None:
        now = self.clock.now()
        countdown = state.countdown
        phase = state.gel_phase(now)
        self.countdown_label.setProperty("phase", phase.value)
        self.phase_label.setProperty("phase", phase.value)
        for label in (self.countdown_label, self.phase_label):
            label.style().unpolish(label)
            label.style().polish(label)
        if countdown is None:
            self.countdown_label.setText(f"{state.procedure.ready_minutes:02d}:00")
            self.phase_label.setText("Countdown starts when the gel is applied")
            return
        match phase:
            case GelPhase.WAITING:
                self.countdown_label.setText(mm_ss(countdown.remaining(now)))
                self.phase_label.setText(f"Gel working · ready at {local_time(countdown.ready_at)}")
            case GelPhase.READY if (early := state.wait_ended_early) and now < countdown.ready_at:
                self.countdown_label.setText(mm_ss(countdown.gel_time(now)))
                self.phase_label.setText(
                    f"Wait ended early by {early.staff_name} · gel on for this long (mm:ss)"
                )
            case GelPhase.READY:
                self.countdown_label.setText("00:00")
                self.phase_label.setText(
                    f"Ready for the laser room · remove gel by {local_time(countdown.remove_at)}"
                )
            case GelPhase.REMOVE_NOW:
                self.countdown_label.setText(mm_ss(countdown.gel_time(now)))
                self.phase_label.setText("Remove the gel now: it has been on too long")
            case _:
                self.countdown_label.setText("Gel off")
                self.phase_label.setText(
                    f"The gel was on the skin for {mm_ss(countdown.gel_time(now))} (mm:ss)"
                )

    def _on_session_changed(self, session_id: int) -> None:
        if self.record is not None and self.record.id == session_id:
            self.record = self.desk.session(session_id)
            self.refresh()

    # --- actions ---------------------------------------------------------------------------------

    def _staff_or_complain(self) -> Staff | None:
        staff = self.current_staff()
        if staff is None:
            self.message.setText("Choose who you are first.")
        return staff

    def _commit(self, action: Callable[[], SessionRecord]) -> str | None:
        """Run one store action; on success show the returned state and tell the other pages."""
        try:
            record = action()
        except DomainError as error:
            return str(error)
        self.record = record
        self.refresh()
        self.signals.session_changed.emit(record.id)
        return None

    def _tick(self, item_id: str, values: dict) -> None:
        staff = self._staff_or_complain()
        if staff is None or self.record is None:
            return
        session_id = self.record.id
        problem = self._commit(lambda: self.desk.tick(session_id, item_id, values, staff.id))
        if problem:
            self.cards[item_id].show_error(problem)

    def _ask_override(self, item_id: str) -> None:
        if self.record is None or (state := self.state()) is None:
            return
        session_id = self.record.id
        staff = self.current_staff()
        clinicians = [member for member in self.desk.list_staff() if member.role is Role.CLINICIAN]
        item_state = state.item(item_id)
        dialog = OverrideDialog(
            self,
            item_state.item.label,
            list(item_state.flags),
            clinicians,
            staff if staff and staff.role is Role.CLINICIAN else None,
            lambda clinician_id, reason: self._commit(
                lambda: self.desk.override(session_id, item_id, reason, clinician_id)
            ),
        )
        dialog.open()

    def _ask_correction(self, item_id: str) -> None:
        staff = self._staff_or_complain()
        if staff is None or self.record is None:
            return
        session_id = self.record.id
        label = self.record.procedure.item(item_id).label
        ReasonDialog(
            self,
            f"Correct: {label}",
            "The tick stays in the record; this correction is added after it, with your name "
            "and the reason. Then do the item again.",
            lambda reason: self._commit(lambda: self.desk.correct(session_id, item_id, reason, staff.id)),
            ok_text="Correct",
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
            lambda text: self._commit(lambda: self.desk.add_note(session_id, item_id, text, staff.id)),
            ok_text="Add note",
        ).open()

    def _ask_abort(self) -> None:
        staff = self._staff_or_complain()
        if staff is None or self.record is None:
            return
        session_id = self.record.id
        ReasonDialog(
            self,
            "Abort session",
            "Aborting ends this session; it stays in the record as aborted. Why is it aborted?",
            lambda reason: self._commit(lambda: self.desk.abort(session_id, reason, staff.id)),
            ok_text="Abort session",
        ).open()
