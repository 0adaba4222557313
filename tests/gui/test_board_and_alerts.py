"""The front-desk board and the gel alerts as a nurse sees them (issue 3, design brief §5).

The window's one-second timer is stopped: each test moves the injected clock, then calls
`tick(qtbot, window)` itself, exactly what the timer does. The domain rules behind the board (attention
order, when an alert falls due) are tested in tests/unit/test_board.py; here we test what is on screen
and what is stored when a nurse acts on it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from desk_app.domain import board as board_module
from desk_app.domain.alerts import AlertKind
from desk_app.domain.board import BoardPhase
from desk_app.domain.clock import ManualClock, SystemClock
from desk_app.domain.errors import DomainError
from desk_app.domain.people import Staff
from desk_app.domain.session import Event, EventKind
from desk_app.store.desk import Desk
from desk_app.ui.main_window import MainWindow
from tests.gui.conftest import RecordingAnnouncer
from tests.gui.nurse import click, find, settle, tick, visible_texts
from tests.support.people import add_member
from tests.support.walk import ANAESTHETIC, SIGN_IN, TIME_OUT, tick_all

LONDON = ZoneInfo("Europe/London")
ZOE = "Zoë O'Brien"
READY_ZOE = f"{ZOE}: the gel has worked. Ready for the laser room."
REMOVE_ZOE = f"{ZOE}: remove the gel now. It has been on for its maximum time."
# With nobody signed in (or the screen locked) the banner names the patient by first name and initial.
READY_ZOE_BRIEFLY = "Zoë O.: the gel has worked. Ready for the laser room."
REMOVE_ZOE_BRIEFLY = "Zoë O.: remove the gel now. It has been on for its maximum time."

# The colour of a card's left edge for each state (resources/styles/desk.qss); the state is also in words.
EDGE = {
    BoardPhase.REMOVE_NOW: "#b3261e",
    BoardPhase.READY: "#1e7b34",
    BoardPhase.WAITING: "#1f4e79",
    BoardPhase.PREPARING: "#8a97a6",
    BoardPhase.IN_LASER_ROOM: "#6b3fa0",
}


# --- helpers -------------------------------------------------------------------------------------


def flush() -> None:
    """One turn of the event loop, as before the screen is painted: new banner rows are shown (Qt shows
    a widget added to a visible layout at the next turn) and replaced rows and cards are deleted."""
    QApplication.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def start(desk: Desk, staff: Staff, number: int, given: str = "Zoë", family: str = "O'Brien") -> int:
    patient = desk.patients.register_patient(given, family, "1990-02-03", f"AZ-{number:05d}", staff.id)
    return desk.sessions.start_session(patient.id, staff.id).id


def gel_on(desk: Desk, staff: Staff, number: int, given: str = "Zoë", family: str = "O'Brien") -> int:
    """A session whose 'gel applied' tick is stamped with the clock's current instant."""
    session_id = start(desk, staff, number, given, family)
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, staff.id)
    return session_id


def board_buttons(window: MainWindow) -> list[QPushButton]:
    """The board's card buttons on screen, top to bottom, as the nurse reads them."""
    flush()
    buttons = [
        b
        for b in window.home_page.findChildren(QPushButton)
        if b.objectName() == "sessionCard" and b.isVisible()
    ]
    return sorted(buttons, key=lambda b: b.mapTo(window, QPoint(0, 0)).y())


def board(window: MainWindow) -> list[str]:
    """What each card says (its accessible name: the card's lines joined by ', '), top to bottom."""
    return [b.accessibleName() for b in board_buttons(window)]


def card_of(window: MainWindow, name: str) -> QPushButton:
    found = [b for b in board_buttons(window) if b.text().startswith(f"{name} · ")]
    assert len(found) == 1, f"expected one card for {name!r} on the board, found {board(window)}"
    return found[0]


def banner(window: MainWindow) -> list[str]:
    """The alert lines on the banner above every page (empty when the banner is hidden)."""
    flush()
    if not window.banner.isVisible():
        return []
    return [label.text() for label in window.banner.findChildren(QLabel) if label.isVisible()]


def announced(announcer: RecordingAnnouncer) -> list[tuple[int, AlertKind]]:
    return [(alert.session_id, alert.kind) for alert in announcer.announced]


def last_event(desk: Desk, session_id: int) -> Event:
    return desk.sessions.session(session_id).events[-1]


def edge_colour(button: QPushButton) -> str:
    """The colour painted on the card's left edge, as a nurse sees it."""
    image = button.grab().toImage()
    return image.pixelColor(3, image.height() // 2).name()


def take_overs(window: MainWindow) -> list[str]:
    """The 'Take over' buttons on the board, by accessible name."""
    flush()
    buttons = window.home_page.findChildren(QPushButton)
    return [b.accessibleName() for b in buttons if b.isVisible() and b.text() == "Take over"]


def on_screen(window: MainWindow, page: QWidget) -> bool:
    return window.stack.currentWidget() is page and page.isVisible()


# --- 1. what the board shows, and in which order -------------------------------------------------


def test_board_shows_every_patient_in_attention_order_in_words_and_colour(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff, clinician: Staff, clock: ManualClock
) -> None:
    t0 = clock.now()
    in_room = gel_on(desk, nurse, 1, "Astrid", "Bjørk")  # gel at 0 min
    clock.set(t0 + timedelta(minutes=10))
    remove_now = gel_on(desk, nurse, 2, "Siân", "Pritchard")  # gel at 10 min: 90 min at 100
    clock.set(t0 + timedelta(minutes=30))
    gel_on(desk, nurse, 3, "José", "Nuñez")  # gel at 30 min: ready since 90
    clock.set(t0 + timedelta(minutes=62))
    tick_all(desk, in_room, TIME_OUT, nurse.id)  # time-out done at 62 min
    desk.sessions.take_over(in_room, clinician.id)
    clock.set(t0 + timedelta(minutes=80))
    gel_on(desk, nurse, 4)  # gel at 80 min: 40:00 left at 100
    clock.set(t0 + timedelta(minutes=100))
    start(desk, nurse, 5, "Chloé", "Dubois")  # just arrived
    window.set_staff(nurse)
    settle(qtbot)
    tick(qtbot, window)

    assert board(window) == [
        "Siân Pritchard · AZ-00002, Remove the gel now: on for 1 h 30 min, Next: Patient identity read back, "
        "With Ann Nurse",
        "José Nuñez · AZ-00003, Ready for the laser room · remove gel by 11:00, "
        "Next: Patient identity read back, With Ann Nurse",
        f"{ZOE} · AZ-00004, Gel working: 40:00 left, Next: Time-out (when the gel is ready), With Ann Nurse",
        "Chloé Dubois · AZ-00005, Sign-in and gel, Next: Identity confirmed with two identifiers, "
        "With Ann Nurse",
        "Astrid Bjørk · AZ-00001, In the laser room for 38 min, Next: Fractional pass, With Dr Clive Doctor",
    ]
    # The visible text is the same lines, one under the other.
    assert [b.text() for b in board_buttons(window)] == [name.replace(", ", "\n") for name in board(window)]
    phases = [
        BoardPhase.REMOVE_NOW,
        BoardPhase.READY,
        BoardPhase.WAITING,
        BoardPhase.PREPARING,
        BoardPhase.IN_LASER_ROOM,
    ]
    cards = board_buttons(window)
    assert [b.property("phase") for b in cards] == [phase.value for phase in phases]
    assert [b.parentWidget().property("phase") for b in cards] == [phase.value for phase in phases]
    assert [edge_colour(b) for b in cards] == [EDGE[phase] for phase in phases]
    # Only the clinician's patient offers the nurse a take-over.
    assert take_overs(window) == ["Take over: Astrid Bjørk"]
    # What is stored is what is shown: the remove-now patient's gel went on 90 minutes ago.
    assert desk.sessions.session(remove_now).events[-1].at == t0 + timedelta(minutes=10)

    # A second later the order holds and the time in the laser room has moved on (a part minute
    # counts as a whole one).
    clock.advance(seconds=1)
    tick(qtbot, window)
    assert board(window)[4].startswith("Astrid Bjørk · AZ-00001, In the laser room for 39 min,")


def test_a_card_changes_colour_as_its_gel_works_and_each_second_works_the_board_out_once(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 23: the tick's cost must not grow with the day. A card is restyled only when its phase
    changes (so it must still change when it does), and the board, its alerts and the banner share
    one board per second."""
    gel_on(desk, nurse, 1)
    window.set_staff(nurse)
    settle(qtbot)
    tick(qtbot, window)
    boards: list[datetime] = []
    worked_out = board_module.board  # the live sessions import it when they work a board out
    monkeypatch.setattr(
        board_module, "board", lambda records, now: boards.append(now) or worked_out(records, now)
    )

    seen = []
    for minutes in (1, 59, 30):
        clock.advance(minutes=minutes)
        tick(qtbot, window)
        [card] = board_buttons(window)
        seen.append((card.property("phase"), edge_colour(card), card.parentWidget().property("phase")))
    assert seen == [
        (phase.value, EDGE[phase], phase.value)
        for phase in (BoardPhase.WAITING, BoardPhase.READY, BoardPhase.REMOVE_NOW)
    ]
    assert len(boards) == 3  # once a second, though the board, the alerts and the banner all read it
    assert banner(window) == [REMOVE_ZOE]


def test_an_empty_board_says_so(qtbot, window: MainWindow, nurse: Staff) -> None:
    window.set_staff(nurse)
    settle(qtbot)
    tick(qtbot, window)
    assert board(window) == []
    assert "No patient in progress." in visible_texts(window)


# --- 2. live countdowns --------------------------------------------------------------------------


def test_the_countdown_is_recomputed_from_the_stored_instant_not_counted(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    session_id = gel_on(desk, nurse, 1)
    applied = clock.now()
    window.set_staff(nurse)
    settle(qtbot)
    clock.advance(minutes=20)
    tick(qtbot, window)
    assert "Gel working: 40:00 left" in card_of(window, ZOE).text()

    clock.advance(seconds=61)
    tick(qtbot, window)  # one tick for 61 seconds: a counter would say 39:59
    assert "Gel working: 38:59 left" in card_of(window, ZOE).text()
    tick(qtbot, window)
    tick(qtbot, window)  # ticks without time passing change nothing
    assert "Gel working: 38:59 left" in card_of(window, ZOE).text()

    # After a reload from the database the same instant gives the same reading.
    window.sessions.mark_stale()
    tick(qtbot, window)
    assert "Gel working: 38:59 left" in card_of(window, ZOE).text()
    gel = next(e for e in desk.sessions.session(session_id).events if e.item_id == "gel_applied")
    assert gel.at == applied


@pytest.mark.parametrize(
    ("applied", "now", "label"),
    [
        (
            datetime(2026, 11, 25, 23, 40, tzinfo=LONDON),
            datetime(2026, 11, 26, 0, 10, tzinfo=LONDON),
            "midnight",
        ),
        # 00:50 GMT to 02:20 BST is 30 minutes of real time, 90 on the wall clock.
        (datetime(2026, 3, 29, 0, 50, tzinfo=LONDON), datetime(2026, 3, 29, 2, 20, tzinfo=LONDON), "spring"),
        # 01:40 BST to 01:10 GMT is 30 minutes of real time, minus 30 on the wall clock.
        (
            datetime(2026, 10, 25, 1, 40, tzinfo=LONDON),
            datetime(2026, 10, 25, 1, 10, fold=1, tzinfo=LONDON),
            "autumn",
        ),
    ],
)
def test_the_countdown_stays_right_across_midnight_and_clock_changes(
    qtbot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,
    clock: ManualClock,
    applied: datetime,
    now: datetime,
    label: str,
) -> None:
    clock.set(applied)
    gel_on(desk, nurse, 1)
    window.set_staff(nurse)
    settle(qtbot)
    clock.set(now)
    tick(qtbot, window)
    assert "Gel working: 30:00 left" in card_of(window, ZOE).text(), label


# --- 3. alerts fire once, at the right instant, on every page ------------------------------------


def test_each_alert_is_raised_once_at_its_instant_and_shown_on_every_page(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock, announcer: RecordingAnnouncer
) -> None:
    applied = clock.now()
    session_id = gel_on(desk, nurse, 1)
    window.set_staff(nurse)
    settle(qtbot)

    clock.set(applied + timedelta(minutes=59, seconds=59))
    tick(qtbot, window)
    assert banner(window) == []
    assert announcer.announced == []
    assert "Gel working: 00:01 left" in card_of(window, ZOE).text()

    clock.set(applied + timedelta(minutes=60))
    tick(qtbot, window)
    assert banner(window) == [READY_ZOE]
    assert announced(announcer) == [(session_id, AlertKind.READY)]
    assert announcer.announced[0].message == READY_ZOE
    assert "Ready for the laser room" in card_of(window, ZOE).text()

    for _ in range(3):
        clock.advance(seconds=20)
        tick(qtbot, window)
    window.signals.session_changed.emit(session_id)  # a reload from the database is not a new alert
    settle(qtbot)  # the page reads the session again on the database worker
    tick(qtbot, window)
    assert announced(announcer) == [(session_id, AlertKind.READY)]
    assert banner(window) == [READY_ZOE]

    clock.set(applied + timedelta(minutes=89, seconds=59))
    tick(qtbot, window)
    assert len(announcer.announced) == 1
    clock.set(applied + timedelta(minutes=90))
    tick(qtbot, window)
    assert announced(announcer) == [(session_id, AlertKind.READY), (session_id, AlertKind.REMOVE_NOW)]
    assert banner(window) == [REMOVE_ZOE]  # 'ready' is no longer news once the gel must come off
    assert "Remove the gel now" in card_of(window, ZOE).text()
    tick(qtbot, window)
    tick(qtbot, window)
    assert len(announcer.announced) == 2

    # The banner is above every page: the checklist too, and it keeps ticking there.
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    assert on_screen(window, window.checklist_page)
    assert banner(window) == [REMOVE_ZOE]
    clock.advance(seconds=5)
    tick(qtbot, window)
    assert banner(window) == [REMOVE_ZOE]
    assert len(announcer.announced) == 2
    assert find(window, QPushButton, f"Acknowledge: {REMOVE_ZOE}").isVisible()


def test_the_banner_names_each_patient_whose_alert_is_due(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock, announcer: RecordingAnnouncer
) -> None:
    first = gel_on(desk, nurse, 1)
    clock.advance(minutes=5)
    second = gel_on(desk, nurse, 2, "Siân", "Pritchard")
    window.set_staff(nurse)
    settle(qtbot)
    clock.advance(minutes=56)  # Zoë at 61 minutes, Siân at 56
    tick(qtbot, window)
    assert banner(window) == [READY_ZOE]
    clock.advance(minutes=4)
    tick(qtbot, window)
    assert banner(window) == [READY_ZOE, "Siân Pritchard: the gel has worked. Ready for the laser room."]
    assert announced(announcer) == [(first, AlertKind.READY), (second, AlertKind.READY)]


# --- 4. acknowledging an alert -------------------------------------------------------------------


def test_acknowledging_removes_the_line_and_records_who_and_when(
    qtbot: QtBot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,
    clock: ManualClock,
    announcer: RecordingAnnouncer,
) -> None:
    session_id = gel_on(desk, nurse, 1)
    window.set_staff(nurse)
    settle(qtbot)
    clock.advance(minutes=60, seconds=30)
    tick(qtbot, window)
    assert banner(window) == [READY_ZOE]
    events_before = len(desk.sessions.session(session_id).events)

    clock.advance(seconds=12)
    click(qtbot, window, f"Acknowledge: {READY_ZOE}")

    assert banner(window) == []
    assert not window.banner.isVisible()
    assert not window.alert_message.isVisible()
    events = desk.sessions.session(session_id).events
    assert len(events) == events_before + 1
    ack = events[-1]
    assert (ack.kind, ack.staff_name, ack.at, ack.text) == (
        EventKind.ALERT_ACK,
        "Ann Nurse",
        clock.now(),
        AlertKind.READY.value,
    )
    # The card still says where the patient is; only the alert is answered.
    assert "Ready for the laser room" in card_of(window, ZOE).text()

    for _ in range(3):
        clock.advance(minutes=5)
        tick(qtbot, window)
    assert banner(window) == []
    assert announced(announcer) == [(session_id, AlertKind.READY)]

    clock.advance(minutes=15)  # 90 min 42 s: remove-now is a new alert, the ready one stays answered
    tick(qtbot, window)
    assert banner(window) == [REMOVE_ZOE]
    assert announced(announcer) == [(session_id, AlertKind.READY), (session_id, AlertKind.REMOVE_NOW)]


def test_acknowledging_with_nobody_at_the_desk_asks_who_and_stores_nothing(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    session_id = gel_on(desk, nurse, 1)
    window.set_staff(nurse)
    settle(qtbot)
    clock.advance(minutes=61)
    tick(qtbot, window)
    window.staff = None
    events_before = desk.sessions.session(session_id).events

    click(qtbot, window, f"Acknowledge: {READY_ZOE}")

    assert window.alert_message.isVisible()
    assert window.alert_message.text() == "Choose who you are first, then acknowledge the alert."
    assert desk.sessions.session(session_id).events == events_before
    assert banner(window) == [READY_ZOE]
    tick(qtbot, window)
    assert banner(window) == [READY_ZOE]


def test_with_nobody_at_the_desk_the_banner_names_the_patient_briefly_and_asks_for_no_one(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    session_id = gel_on(desk, nurse, 1)
    window.signals.session_changed.emit(session_id)
    settle(qtbot)  # the page reads the session again on the database worker
    clock.advance(minutes=61)
    tick(qtbot, window)
    assert window.staff is None  # the sign-in page: the banner is there too, first name only
    assert banner(window) == [READY_ZOE_BRIEFLY]
    assert not [b for b in window.banner.findChildren(QPushButton) if b.isVisible()], "nobody to acknowledge"

    window.set_staff(nurse)

    settle(qtbot)
    assert banner(window) == [READY_ZOE]
    click(qtbot, window, f"Acknowledge: {READY_ZOE}")
    assert banner(window) == []


def test_a_busy_database_warning_goes_when_the_database_answers_again(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    gel_on(desk, nurse, 1)
    window.set_staff(nurse)
    settle(qtbot)

    def busy() -> bool:
        raise DomainError("The database is busy: another desk is saving. Try again in a moment.")

    desk.changed_elsewhere = busy  # type: ignore[method-assign]
    clock.advance(minutes=1)
    tick(qtbot, window)
    assert window.alert_message.isVisible()
    assert "Gel working: 59:00 left" in card_of(window, ZOE).text()  # the countdown goes on meanwhile
    del desk.changed_elsewhere  # the other desk has finished saving

    clock.advance(seconds=1)
    tick(qtbot, window)
    assert "Gel working: 58:59 left" in card_of(window, ZOE).text()
    assert not window.alert_message.isVisible(), f"still shown: {window.alert_message.text()!r}"


# --- 5. after a restart and after a sleep --------------------------------------------------------


def test_alerts_that_fell_due_while_the_app_was_closed_are_raised_at_once(
    qtbot: QtBot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,
    clock: ManualClock,
    announcer: RecordingAnnouncer,
) -> None:
    applied = clock.now()
    session_id = gel_on(desk, nurse, 1)
    window.set_staff(nurse)
    settle(qtbot)
    clock.advance(minutes=10)
    tick(qtbot, window)
    assert announcer.announced == []
    window.close()  # the app is closed ...

    clock.set(applied + timedelta(hours=2))  # ... and started again two hours after the gel
    again = RecordingAnnouncer()
    restarted = MainWindow(desk, clock, again)
    restarted.timer.stop()
    qtbot.addWidget(restarted)
    restarted.show()
    tick(qtbot, restarted)

    # Only what matters now is raised: the gel must come off ('ready' has gone stale).
    assert announced(again) == [(session_id, AlertKind.REMOVE_NOW)]
    assert banner(restarted) == [REMOVE_ZOE_BRIEFLY]  # on the sign-in page already
    tick(qtbot, restarted)
    clock.advance(seconds=30)
    tick(qtbot, restarted)
    assert len(again.announced) == 1
    restarted.set_staff(nurse)
    settle(qtbot)
    tick(qtbot, restarted)
    assert "Remove the gel now" in card_of(restarted, ZOE).text()
    assert len(again.announced) == 1
    assert announcer.announced == []  # the closed window said nothing


def test_alerts_that_fell_due_while_the_pc_slept_are_all_raised_on_waking(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock, announcer: RecordingAnnouncer
) -> None:
    session_id = gel_on(desk, nurse, 1)
    window.set_staff(nurse)
    settle(qtbot)
    clock.advance(minutes=30)
    tick(qtbot, window)
    assert announcer.announced == []

    clock.advance(hours=3)  # asleep: no tick for three hours
    tick(qtbot, window)

    assert announced(announcer) == [(session_id, AlertKind.REMOVE_NOW)]
    assert banner(window) == [REMOVE_ZOE]
    assert "Remove the gel now" in card_of(window, ZOE).text()
    tick(qtbot, window)
    assert len(announcer.announced) == 1


def test_gel_painted_again_brings_a_new_ready_alert_with_its_sound(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock, announcer: RecordingAnnouncer
) -> None:
    session_id = gel_on(desk, nurse, 1)
    window.set_staff(nurse)
    settle(qtbot)
    clock.advance(minutes=60)
    tick(qtbot, window)
    assert announced(announcer) == [(session_id, AlertKind.READY)]
    desk.sessions.acknowledge_alert(session_id, AlertKind.READY, nurse.id)

    clock.advance(minutes=5)  # the patient wiped the gel off: painted again
    desk.sessions.correct(session_id, "gel_applied", "Gel wiped off by the patient; painted again.", nurse.id)
    desk.sessions.tick(session_id, "gel_applied", {}, nurse.id)
    window.signals.session_changed.emit(session_id)
    settle(qtbot)
    clock.advance(minutes=60)
    tick(qtbot, window)

    assert banner(window) == [READY_ZOE]  # the banner shows it ...
    assert announced(announcer) == [(session_id, AlertKind.READY)] * 2  # ... but it was announced?


# --- 6. take over --------------------------------------------------------------------------------


def test_take_over_changes_who_has_the_patient_on_the_card_and_in_the_record(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clinician: Staff, clock: ManualClock
) -> None:
    session_id = gel_on(desk, clinician, 1)
    own = gel_on(desk, nurse, 2, "Siân", "Pritchard")
    window.set_staff(nurse)
    settle(qtbot)
    clock.advance(minutes=7)
    tick(qtbot, window)
    assert card_of(window, ZOE).text().endswith("\nWith Dr Clive Doctor")
    take_over = find(window, QPushButton, f"Take over: {ZOE}")
    assert take_over.text() == "Take over"
    assert take_overs(window) == [f"Take over: {ZOE}"]  # not for Siân: the nurse already has her

    click(qtbot, window, f"Take over: {ZOE}")
    tick(qtbot, window)  # the next second (see the test below for why this is needed)

    assert card_of(window, ZOE).text().endswith("\nWith Ann Nurse")
    assert not take_over.isVisible()
    assert take_overs(window) == []
    assert not window.home_page.board_message.isVisible()
    handover = last_event(desk, session_id)
    assert (handover.kind, handover.staff_name, handover.at) == (EventKind.HANDOVER, "Ann Nurse", clock.now())
    assert desk.sessions.session(session_id).holder.id == nurse.id
    assert EventKind.HANDOVER not in [e.kind for e in desk.sessions.session(own).events]
    clock.advance(seconds=1)
    tick(qtbot, window)
    assert card_of(window, ZOE).text().endswith("\nWith Ann Nurse")


def test_take_over_shows_the_new_holder_at_once(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clinician: Staff
) -> None:
    gel_on(desk, clinician, 1)
    window.set_staff(nurse)
    settle(qtbot)
    tick(qtbot, window)

    click(qtbot, window, f"Take over: {ZOE}")

    assert card_of(window, ZOE).text().endswith("\nWith Ann Nurse")
    assert take_overs(window) == []


def test_take_over_pressed_after_another_desk_took_the_patient_says_who_has_them_and_changes_nothing(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clinician: Staff
) -> None:
    session_id = gel_on(desk, clinician, 1)
    window.set_staff(nurse)
    settle(qtbot)
    tick(qtbot, window)
    assert card_of(window, ZOE).text().endswith("\nWith Dr Clive Doctor")
    kate = add_member(desk, "Kate Whitmore", "KW", "nurse")
    desk.sessions.take_over(session_id, kate.id)  # at the laser-room desk, before this board's next second

    click(qtbot, window, f"Take over: {ZOE}")

    message = window.home_page.board_message
    assert message.isVisible()
    assert message.text() == "Kate Whitmore has just taken over this patient. Nothing was changed."
    assert card_of(window, ZOE).text().endswith("\nWith Kate Whitmore")
    assert desk.sessions.session(session_id).holder.id == kate.id
    assert [e.kind for e in desk.sessions.session(session_id).events].count(EventKind.HANDOVER) == 1


# --- 7. twelve sessions at once ------------------------------------------------------------------


def test_twelve_sessions_are_all_on_the_board_least_time_left_first(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock, announcer: RecordingAnnouncer
) -> None:
    t0 = clock.now()
    # Created latest-gel first, so the board must sort them rather than keep the order of the database.
    for number in reversed(range(12)):
        clock.set(t0 + timedelta(minutes=number))
        gel_on(desk, nurse, number + 1, "Patient", f"Number {number + 1:02d}")
    window.set_staff(nurse)
    settle(qtbot)
    clock.set(t0 + timedelta(minutes=45))
    tick(qtbot, window)

    cards = board(window)
    assert len(cards) == 12
    assert [card.split(", ")[:2] for card in cards] == [
        [f"Patient Number {n + 1:02d} · AZ-{n + 1:05d}", f"Gel working: {15 + n:02d}:00 left"]
        for n in range(12)
    ]

    clock.set(t0 + timedelta(minutes=65, seconds=30))  # the first six have passed the hour
    tick(qtbot, window)
    cards = board(window)
    assert len(cards) == 12
    assert [card.split(", ")[1].split(" · ")[0] for card in cards] == ["Ready for the laser room"] * 6 + [
        f"Gel working: {n - 6:02d}:30 left" for n in range(6, 12)
    ]
    assert [card.split(" · ")[0] for card in cards] == [f"Patient Number {n + 1:02d}" for n in range(12)]
    assert len(banner(window)) == 6
    assert len(announcer.announced) == 6


# --- 8. keyboard ---------------------------------------------------------------------------------


def tab_to_a_card(qtbot: QtBot) -> QPushButton:
    for _ in range(40):
        focus = QApplication.focusWidget()
        if isinstance(focus, QPushButton) and focus.objectName() == "sessionCard":
            return focus
        qtbot.keyClick(focus, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached a board card; focus is on {QApplication.focusWidget()!r}")


def keyboard_board(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> list[int]:
    first = gel_on(desk, nurse, 1)
    clock.advance(minutes=5)
    second = gel_on(desk, nurse, 2, "Siân", "Pritchard")
    window.set_staff(nurse)
    settle(qtbot)
    tick(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=1000)
    return [first, second]


def test_tab_reaches_the_board_and_space_opens_the_checklist_and_ctrl_b_comes_back(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    first, _second = keyboard_board(qtbot, window, desk, nurse, clock)
    focused = tab_to_a_card(qtbot)
    assert focused is board_buttons(window)[0], "Tab reached a card below the top one first"
    assert focused.accessibleName().startswith(f"{ZOE} · AZ-00001")

    qtbot.keyClick(focused, Qt.Key.Key_Space)
    settle(qtbot)  # the session is read on the database worker
    assert on_screen(window, window.checklist_page)
    assert window.checklist_page.record is not None
    assert window.checklist_page.record.id == first

    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert on_screen(window, window.home_page)
    assert window.checklist_page.record is None
    assert len(board(window)) == 2


def test_enter_on_a_focused_card_opens_its_checklist(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    first, _second = keyboard_board(qtbot, window, desk, nurse, clock)
    focused = tab_to_a_card(qtbot)
    qtbot.keyClick(focused, Qt.Key.Key_Return)
    settle(qtbot)  # the session is read on the database worker
    assert on_screen(window, window.checklist_page), "Enter on the focused card did not open it"
    assert window.checklist_page.record is not None
    assert window.checklist_page.record.id == first


# --- 9. the demo database ------------------------------------------------------------------------


def test_the_demo_opens_on_a_board_with_its_three_sessions_counting_down(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desk_app.app import build_window, load_style
    from desk_app.store.demo import build_demo
    from tests.support.people import FAST_HASHER

    chimes: list[str] = []
    monkeypatch.setattr("desk_app.ui.alerts.play_alert_sound", lambda: chimes.append("chime"))
    url = str(tmp_path / "demo.sqlite3")
    build_demo(url, FAST_HASHER)
    load_style(QApplication.instance())
    window = build_window(url, SystemClock())  # the real clock, as `desk-app demo` runs
    try:
        window.timer.stop()
        qtbot.addWidget(window)
        window.show()
        window.set_staff(window.desk.accounts.list_staff()[0])
        tick(qtbot, window)

        cards = board(window)
        assert len(cards) == 3, cards
        wheres = [card.split(", ")[1] for card in cards]
        assert wheres[0].startswith("Ready for the laser room · remove gel by ")
        numbing = re.fullmatch(r"Gel working: (\d\d):(\d\d) left", wheres[1])
        assert numbing, wheres
        assert (
            timedelta(minutes=35)
            <= timedelta(minutes=int(numbing[1]), seconds=int(numbing[2]))
            <= timedelta(minutes=45)
        )
        assert wheres[2].startswith("In the laser room") or "Next: Full-beam pass" in cards[2], cards[2]
        assert all(re.search(r"^.+ · \S+, .+, Next: .+, With .+$", card) for card in cards), cards

        assert "DEMO" in window.windowTitle()
        assert window.demo_label.isVisible()
        assert "DEMO" in window.demo_label.text()
        ready_name = cards[0].split(" · ")[0]
        assert banner(window) == [f"{ready_name}: the gel has worked. Ready for the laser room."]
        assert chimes == ["chime"]  # the real announcer played the sound once, for the ready patient
        tick(qtbot, window)
        assert chimes == ["chime"]
    finally:
        window.timer.stop()
        window.desk.db.close()
