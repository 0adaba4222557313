"""The window never waits on the database (issue 20): one worker thread talks to it, in order.

A stalled server is a worker held inside a call: here a call that waits on a gate (released by the
test, or by itself after GATE_SECONDS, so a window that did wait fails the test instead of hanging
it). Nothing here may call nurse.settle while the gate is shut: that waits for the worker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from peewee import Database
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit, QPlainTextEdit, QPushButton
from pytestqt.qtbot import QtBot

from desk_app.app import build_window
from desk_app.domain.alerts import AlertKind
from desk_app.domain.clock import ManualClock
from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import Staff
from desk_app.domain.session import EventKind
from desk_app.store.desk import Desk
from desk_app.store.errors import StoreUnavailable
from desk_app.ui import main_window
from desk_app.ui.db_worker import LATER, DatabaseWorker, UnexpectedError
from desk_app.ui.formatting import local_time
from desk_app.ui.item_card import ItemCard
from desk_app.ui.main_window import MainWindow
from desk_app.ui.typed_search import TypedSearch
from tests.gui.conftest import RecordingAnnouncer
from tests.gui.nurse import card, click, find, open_dialog, settle, type_into, type_text, write_in_dialog
from tests.gui.test_board_and_alerts import ZOE, card_of, gel_on
from tests.gui.test_checklist_actions import IDENTITY, start_session
from tests.gui.test_staff_and_lock import actions
from tests.support.people import LEGACY_PIN, give_legacy_pin
from tests.support.walk import ANAESTHETIC, SIGN_IN, tick_all

GATE_SECONDS = 10
QUICK = 1.0  # seconds: far more than anything the window does without the database


class Stall:
    """The database stops answering until `resume()`: the worker is held inside a call."""

    def __init__(self, worker: DatabaseWorker) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()  # the worker is inside the call

        def hold() -> None:
            self.started.set()
            self.gate.wait(GATE_SECONDS)

        worker.submit(hold)

    def resume(self) -> None:
        self.gate.set()


@pytest.fixture
def stall(window: MainWindow) -> Iterator[Stall]:
    stalled = Stall(window.worker)
    yield stalled
    stalled.resume()


def quickly(action: object) -> None:
    """Run `action`; it must come back at once (it must not have waited on the stalled database)."""
    began = time.monotonic()
    action()  # type: ignore[operator]
    waited = time.monotonic() - began
    assert waited < QUICK, f"the window waited {waited:.1f} s on the database"


def ticks(desk: Desk, session_id: int) -> list[str]:
    """What is stored, read on the test's own connection (not the window's worker)."""
    return [e.item_id for e in desk.sessions.session(session_id).events if e.kind is EventKind.TICK]


def identity_answered(qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff) -> tuple[int, ItemCard]:
    """A session open at its first item, answered and not yet confirmed: its id and that card."""
    session_id = start_session(desk, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)
    identity = card(window, IDENTITY)
    for field_id, value in SIGN_IN["identity"].items():
        identity.editors[field_id].set_value(value)
    return session_id, identity


def test_a_tick_reads_saving_until_it_has_committed_and_done_only_then(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    session_id, identity = identity_answered(qtbot, window, desk, nurse)
    stalled = Stall(window.worker)

    button = find(identity, type(identity.primary), f"Confirm: {IDENTITY}")
    quickly(lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton))
    assert identity.status.text() == "Saving…" and identity.status.accessibleName() == "Saving…"
    assert ticks(desk, session_id) == []  # not stored yet, and not shown as done
    quickly(lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton))  # pressed again meanwhile
    quickly(window.tick)
    assert identity.status.text() == "Saving…", "a second's refresh must not hide that it is saving"

    stalled.resume()
    settle(qtbot)
    assert identity.status.text().startswith("✓ Done")
    assert ticks(desk, session_id) == ["identity"], "saved once, however often pressed while saving"


@pytest.fixture
def window_as_on_a_server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    """A window that looks for other desks' changes and reads its board on a worker (and
    connection) of its own, as on a server."""
    monkeypatch.setattr(main_window, "on_server", lambda _db: True)
    return request.getfixturevalue("window")


def test_a_tick_is_saved_and_shown_while_a_look_and_a_board_read_are_held_up(
    qtbot: QtBot, window_as_on_a_server: MainWindow, desk: Desk, nurse: Staff
) -> None:
    window = window_as_on_a_server
    session_id, identity = identity_answered(qtbot, window, desk, nurse)
    held = Stall(window.look_worker)  # the look running on a slow server
    window.sessions.mark_stale()  # a board read asked meanwhile
    quickly(window.tick)  # the second passes

    quickly(lambda: qtbot.mouseClick(identity.primary, Qt.MouseButton.LeftButton))
    assert window.worker.wait_until_drained(QUICK), "the tick waited behind the look"
    QCoreApplication.sendPostedEvents(window.worker, QEvent.Type.MetaCall)  # its answer, not theirs
    assert identity.status.text().startswith("✓ Done")
    assert ticks(desk, session_id) == ["identity"]
    held.resume()
    settle(qtbot)


def test_during_a_stall_countdowns_and_alerts_go_on_and_a_banner_says_since_when(
    qtbot: QtBot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,
    clock: ManualClock,
    announcer: RecordingAnnouncer,
) -> None:
    session_id = gel_on(desk, nurse, 1)
    window.set_staff(nurse)
    clock.advance(minutes=59, seconds=57)
    settle(qtbot)
    window.tick()
    settle(qtbot)
    assert "Gel working: 00:03 left" in card_of(window, ZOE).text()
    banner = window.contact_banner
    last_answer = clock.now()

    stalled = Stall(window.worker)
    shown = []
    for _second in range(8):
        clock.advance(seconds=1)
        quickly(window.tick)
        shown.append(card_of(window, ZOE).accessibleName().split(", ")[1])
    assert shown[:2] == ["Gel working: 00:02 left", "Gel working: 00:01 left"]
    assert shown[2].startswith("Ready for the laser room")
    assert announcer.announced[-1].session_id == session_id
    assert announcer.announced[-1].kind is AlertKind.READY, "the alert fell due during the stall"
    assert banner.isVisible()
    said = (
        f"Out of touch with the clinic's records since {local_time(last_answer)}. Countdowns and alerts "
        "go on from what was last read; what you save waits until the records answer."
    )
    assert banner.text() == said and banner.accessibleName() == said

    stalled.resume()
    settle(qtbot)
    window.tick()
    settle(qtbot)
    assert not banner.isVisible()


def test_records_answering_slowly_show_a_banner_when_a_save_waits_behind_other_work(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    _session_id, identity = identity_answered(qtbot, window, desk, nurse)
    asked = clock.now()
    first, second = Stall(window.worker), Stall(window.worker)  # two slow answers ahead of the tick
    qtbot.mouseClick(identity.primary, Qt.MouseButton.LeftButton)
    clock.advance(seconds=3)
    first.resume()  # the records answered: in touch, but slow
    assert second.started.wait(QUICK)
    clock.advance(seconds=3)
    quickly(window.tick)
    banner = window.contact_banner
    assert banner.isVisible()
    assert banner.text().startswith(
        f"The clinic's records are answering slowly: what was saved at {local_time(asked)}"
    )
    assert banner.accessibleName() == banner.text()

    second.resume()
    settle(qtbot)
    window.tick()
    assert not banner.isVisible()
    assert identity.status.text().startswith("✓ Done")


def test_workers_on_one_database_share_their_contact(qtbot: QtBot, db: Database, clock: ManualClock) -> None:
    """The look for other desks' changes has a worker of its own on a server: its answers are
    contact for the desk's worker (a write waiting 6 s for another desk's lock is not 'out of
    touch' while the server answers the looks), and its failures are lost contact."""
    desks = DatabaseWorker(db, clock)
    looks = DatabaseWorker(db, clock, shares_contact_with=desks)
    writing, lock_free = threading.Event(), threading.Event()
    desks.submit(lambda: (writing.set(), lock_free.wait(GATE_SECONDS)))  # waits for another desk's lock
    try:
        assert writing.wait(QUICK)
        clock.advance(seconds=6)
        assert desks.out_of_touch_since() is not None
        looks.submit(lambda: None)  # the server answers the look
        assert looks.wait_until_drained(QUICK)
        assert desks.out_of_touch_since() is None

        lock_free.set()  # the write is saved
        assert desks.wait_until_drained(QUICK)
        answered_at = clock.now()

        def unavailable() -> None:
            raise StoreUnavailable("The clinic's records cannot be reached.")

        looks.submit(unavailable, failed=lambda _error: None)
        assert looks.wait_until_drained(QUICK)
        clock.advance(seconds=6)
        assert desks.out_of_touch_since() == answered_at, "the look failed since: out of touch"
    finally:
        lock_free.set()
        desks.stop()
        looks.stop()


def test_a_short_wait_shows_no_banner(qtbot: QtBot, window: MainWindow, clock: ManualClock) -> None:
    stalled = Stall(window.worker)
    for _second in range(4):
        clock.advance(seconds=1)
        quickly(window.tick)
    assert not window.contact_banner.isVisible(), "4 s is a slow answer, not a lost database"
    stalled.resume()
    settle(qtbot)


def test_the_idle_lock_closes_the_record_during_a_stall_and_the_lock_is_written_after(
    qtbot: QtBot, idle_window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    window = idle_window
    session_id = start_session(desk, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)
    stalled = Stall(window.worker)

    clock.advance(minutes=6)  # the clinic's 5 minutes without use
    quickly(window.tick)
    assert window.locked and window.stack.currentWidget() is window.sign_in_page
    names = [w.text() for w in window.sign_in_page.staff_buttons]
    assert "Ann Nurse (AN) · nurse" in names, "the lock screen lists the staff last read"
    assert not [label for label in window.findChildren(QLabel) if ZOE in label.text() and label.isVisible()]

    stalled.resume()
    settle(qtbot)
    assert actions(desk)[-1] == "screen locked", "written once the database answered"


def test_calls_run_in_the_order_asked_and_a_waiting_call_comes_after_all_queued(
    qtbot: QtBot, window: MainWindow
) -> None:
    worker = window.worker
    done: list[int] = []
    stalled = Stall(worker)
    for number in range(20):
        worker.submit(lambda number=number: number, done.append)
    stalled.resume()
    seen_by_call = worker.call(lambda: list(range(20)))
    settle(qtbot)
    assert done == list(range(20)) == seen_by_call


def test_a_read_the_window_keeps_fresh_gives_way_to_what_the_nurse_asks_after_it(
    qtbot: QtBot, window: MainWindow
) -> None:
    worker = window.worker
    ran: list[str] = []
    stalled = Stall(worker)
    worker.submit(lambda: ran.append("the board read again"), lane=LATER)
    worker.submit(lambda: ran.append("a tick"))
    worker.submit(lambda: ran.append("a note"))
    stalled.resume()
    settle(qtbot)
    assert ran == ["a tick", "a note", "the board read again"]


def test_a_refusal_goes_to_where_it_was_asked_and_a_bug_is_raised_and_ends_the_wait(
    qtbot: QtBot, window: MainWindow
) -> None:
    worker = window.worker
    refusals: list[str] = []

    def refuse() -> None:
        raise ActionRefused("Someone else has just done that.")

    worker.submit(refuse, failed=lambda error: refusals.append(str(error)))
    settle(qtbot)
    assert refusals == ["Someone else has just done that."]

    def broken() -> None:
        raise ZeroDivisionError("a bug")

    with qtbot.captureExceptions() as raised:
        worker.submit(broken, failed=lambda error: refusals.append(str(error)))
        settle(qtbot)
    assert [kind for kind, _error, _trace in raised] == [ZeroDivisionError]
    assert refusals[1:] == [str(UnexpectedError())], "the asker hears it failed: it waits no more"


def test_closing_writes_what_was_queued_first(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    session_id = start_session(desk, nurse)
    stalled = Stall(window.worker)
    window.worker.submit(
        lambda: window.desk.sessions.tick(session_id, "identity", SIGN_IN["identity"], nurse.id)
    )
    threading.Timer(0.2, stalled.resume).start()  # the server answers while the window closes
    window.close()
    assert ticks(desk, session_id) == ["identity"]


def note_on_the_session(qtbot: QtBot, window: MainWindow, text: str) -> QDialog:
    """The nurse writes a note on the session and presses Add note (not waiting for its answer)."""
    qtbot.mouseClick(find(window, QPushButton, "Note on session…"), Qt.MouseButton.LeftButton)
    dialog = open_dialog()
    type_text(dialog.findChild(QPlainTextEdit), text)
    quickly(lambda: qtbot.mouseClick(find(dialog, QPushButton, "Add note"), Qt.MouseButton.LeftButton))
    return dialog


def test_a_dialog_says_saving_until_its_save_has_committed_and_closes_only_then(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    session_id, _identity = identity_answered(qtbot, window, desk, nurse)
    stalled = Stall(window.worker)
    dialog = note_on_the_session(qtbot, window, "Patient anxious")
    saving = find(dialog, QPushButton, "Saving…")
    assert not saving.isEnabled() and not find(dialog, QPushButton, "Cancel").isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # what was sent cannot be taken back: it waits
    assert (
        dialog.isVisible() and desk.sessions.session(session_id).state(window.clock.now()).session_notes == ()
    )
    quickly(window.tick)  # the window goes on meanwhile

    stalled.resume()
    settle(qtbot)
    assert not dialog.isVisible()
    assert "Patient anxious" in window.checklist_page.session_notes.text()


def test_a_refusal_while_saving_is_said_in_the_dialog_which_stays_open(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    identity_answered(qtbot, window, desk, nurse)
    stalled = Stall(window.worker)
    dialog = note_on_the_session(qtbot, window, "   ")  # an empty note is refused by the store
    stalled.resume()
    settle(qtbot)
    assert dialog.isVisible()
    assert find(dialog, QPushButton, "Add note").isEnabled(), "it may be written again and saved"
    assert dialog.findChild(QLabel, "error").isVisible()


def closing_with_a_tick_unanswered(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> tuple[int, ItemCard, Stall]:
    """The nurse confirms an item, the database stalls before it is saved, and she closes the app."""
    session_id, identity = identity_answered(qtbot, window, desk, nurse)
    stalled = Stall(window.worker)
    qtbot.mouseClick(identity.primary, Qt.MouseButton.LeftButton)
    window.close()
    return session_id, identity, stalled


def test_closing_with_a_tick_unanswered_asks_then_waits_and_closes_once_it_is_saved(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    session_id, identity, stalled = closing_with_a_tick_unanswered(qtbot, window, desk, nurse)
    assert window.isVisible(), "closed with a tick the database has not answered"
    question = open_dialog()
    assert f"• {IDENTITY}" in question.findChild(QLabel, "qt_msgbox_label").text()
    qtbot.mouseClick(find(question, QPushButton, "Wait until saved"), Qt.MouseButton.LeftButton)
    quickly(window.tick)
    assert window.isVisible()

    stalled.resume()
    settle(qtbot)
    window.tick()
    assert not window.isVisible(), "it closes by itself once saved"
    assert ticks(desk, session_id) == ["identity"]


def test_closing_without_what_is_unanswered_closes_at_once(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    _session_id, identity, stalled = closing_with_a_tick_unanswered(qtbot, window, desk, nurse)
    close_now = find(open_dialog(), QPushButton, "Close without them")
    quickly(lambda: qtbot.mouseClick(close_now, Qt.MouseButton.LeftButton))
    assert not window.isVisible()
    stalled.resume()


def test_a_late_tick_result_does_not_hide_a_note_saved_after_it(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    session_id, identity = identity_answered(qtbot, window, desk, nurse)
    page = window.checklist_page
    stalled = Stall(window.worker)
    qtbot.mouseClick(identity.primary, Qt.MouseButton.LeftButton)  # queued behind the stall
    note_on_the_session(qtbot, window, "Patient anxious")  # queued after the tick
    threading.Timer(0.2, stalled.resume).start()
    # Another desk's change read meanwhile: the page reads the session again (waiting for the tick
    # and the note) and shows the note, before the tick's (older) record comes back.
    window.signals.changed_elsewhere.emit()
    settle(qtbot)
    assert page.record is not None
    assert [n.text for n in page.record.state(window.clock.now()).session_notes] == ["Patient anxious"]
    assert identity.status.text().startswith("✓ Done")
    assert ticks(desk, session_id) == ["identity"]


def test_a_tick_here_is_on_the_board_and_its_alert_comes_without_reading_the_board_again(
    qtbot: QtBot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,
    clock: ManualClock,
    announcer: RecordingAnnouncer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tick's committed record is taken as it is: a board read queued after each tick would
    hold up the nurse's next click for as long as every session takes to read (issue 20)."""
    session_id = start_session(desk, nurse)
    tick_all(
        desk, session_id, SIGN_IN | {k: v for k, v in ANAESTHETIC.items() if k != "gel_applied"}, nurse.id
    )
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)
    board_reads: list[int] = []
    real_read = desk.sessions.sessions_in_progress
    monkeypatch.setattr(desk.sessions, "sessions_in_progress", lambda: board_reads.append(1) or real_read())

    gel_applied = card(window, desk.sessions.session(session_id).procedure.item("gel_applied").label)
    qtbot.mouseClick(gel_applied.primary, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert gel_applied.status.text().startswith("✓ Done")
    clock.advance(minutes=61)
    window.tick()
    settle(qtbot)
    assert [(a.session_id, a.kind) for a in announcer.announced] == [(session_id, AlertKind.READY)]
    assert board_reads == [], "the board was read again after this desk's own tick"


def test_an_acknowledged_alert_does_not_come_back_with_a_read_asked_before(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    gel_on(desk, nurse, 1)
    window.set_staff(nurse)
    clock.advance(minutes=61)
    settle(qtbot)
    window.tick()
    settle(qtbot)
    assert len(window.banner.alerts) == 1
    stalled = Stall(window.worker)
    window.sessions.mark_stale()  # a read asked now, before the acknowledgement
    threading.Timer(0.2, stalled.resume).start()
    window.acknowledge_top_alert()  # saved before that read runs (the nurse's actions go first)
    settle(qtbot)  # the read asked before comes back
    window.alert_centre.check()
    assert window.banner.alerts == [], "the acknowledged alert is back"


def test_an_alert_acknowledged_during_a_stall_reads_saving_until_it_is_saved(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    session_id = gel_on(desk, nurse, 1)
    window.set_staff(nurse)
    clock.advance(minutes=61)
    settle(qtbot)
    window.tick()
    settle(qtbot)
    (alert,) = window.banner.alerts
    stalled = Stall(window.worker)
    button = find(window.banner, QPushButton, f"Acknowledge: {alert.message}")
    quickly(lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton))
    assert button.text() == "Saving…" and not button.isEnabled()
    assert button.accessibleName() == f"Saving… {alert.message}", "a screen reader hears it is saving"
    quickly(window.acknowledge_top_alert)  # the acknowledge key pressed again meanwhile: nothing more
    quickly(window.tick)
    assert window.banner.alerts == [alert], "the line stays until the acknowledgement is saved"

    stalled.resume()
    settle(qtbot)
    assert window.banner.alerts == []
    events = desk.sessions.session(session_id).events
    assert [e.kind for e in events].count(EventKind.ALERT_ACK) == 1


def a_session_and_a_stall(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> tuple[int, str, Stall]:
    """A session in progress, the nurse at the desk, the database stalled: its id and patient's name."""
    session_id = start_session(desk, nurse)
    name = desk.sessions.session(session_id).patient.given_names
    window.set_staff(nurse)
    settle(qtbot)
    return session_id, name, Stall(window.worker)


def test_a_session_opened_during_a_stall_says_so_and_is_shown_once_read(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    session_id, name, stalled = a_session_and_a_stall(qtbot, window, desk, nurse)
    quickly(lambda: window.show_session(session_id))
    page = window.checklist_page
    assert page.patient_label.text() == "Opening the session…"
    for action in ("Note on session…", "Stop treatment…", "Print record…"):
        assert not find(page, QPushButton, action).isEnabled(), f"{action} offered with no session read"
    assert find(page, QPushButton, "Back to board").isEnabled()
    stalled.resume()
    settle(qtbot)
    assert name in page.patient_label.text()
    assert find(page, QPushButton, "Note on session…").isEnabled()
    assert find(page, QPushButton, f"Confirm: {IDENTITY}").isVisible()


def test_a_session_still_being_read_when_the_screen_locks_is_never_shown(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    session_id, name, stalled = a_session_and_a_stall(qtbot, window, desk, nurse)
    window.show_session(session_id)
    window.lock_action.trigger()
    stalled.resume()
    settle(qtbot)
    page = window.checklist_page
    assert page.record is None and page.cards == {}
    assert not any(name in label.text() for label in page.findChildren(QLabel))


def test_a_record_asked_to_print_during_a_stall_opens_once_read_and_only_once(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    identity_answered(qtbot, window, desk, nurse)
    stalled = Stall(window.worker)
    button = find(window, QPushButton, "Print record…")
    for _press in range(2):  # pressed again while nothing seems to happen
        quickly(lambda: qtbot.mouseClick(button, Qt.MouseButton.LeftButton))
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    stalled.resume()
    settle(qtbot)
    assert open_dialog().windowTitle().startswith("Print: ")
    open_dialog().reject()


def test_the_pause_points_ahead_are_built_while_the_nurse_works_so_moving_on_waits_for_no_build(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    identity_answered(qtbot, window, desk, nurse)
    page = window.checklist_page
    assert page.record is not None
    every_item = {item.id for item in page.record.procedure.all_items()}
    assert set(page.cards) < every_item, "only the page shown is built before the session shows"
    qtbot.waitUntil(lambda: set(page.cards) == every_item)  # a card per turn of the event loop
    laser_pass = next(card for card in page.cards.values() if card.item.kind.name == "LASER_PASS")
    before = dict(page.cards)
    page.show_pause_point("laser")
    assert page.cards == before and laser_pass.isVisible(), "shown as built, not built again"


def search_page(window: MainWindow, page: str) -> tuple[QLineEdit, TypedSearch, Callable[[], list[str]]]:
    """The board's or the patients page's search field, its typing, and the surnames it lists."""
    if page == "board":
        results = window.home_page.results
        field = find(window, QLineEdit, "Search patients")

        def listed() -> list[str]:
            return sorted(
                results.item(row).text().split("\n")[0].split()[-1] for row in range(results.count())
            )

    else:
        window.show_patients()
        model, field = window.patients_page.model, window.patients_page.search_edit

        def listed() -> list[str]:
            return sorted(model.row_at(row).family_name for row in range(model.rowCount()))

    typing = field.findChild(TypedSearch)
    assert typing is not None
    return field, typing, listed


@pytest.mark.parametrize("page", ["board", "patients"])
def test_a_search_waits_for_nothing_and_a_list_typed_over_meanwhile_is_not_shown(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, page: str
) -> None:
    gel_on(desk, nurse, 1)  # Zoë O'Brien
    desk.patients.register_patient("Siân", "Pritchard", "1990-02-03", "AZ-00002", nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    field, typing, listed = search_page(window, page)
    settle(qtbot)
    assert listed() == ["O'Brien", "Pritchard"]

    stalled = Stall(window.worker)
    type_text(field, "Zoë")
    quickly(typing.flush)  # Enter, Down or the pause: asked of the worker, not waited for
    assert listed() == ["O'Brien", "Pritchard"], "the list stays until the patients found come"
    type_text(field, " x")  # typed on while that list was on its way
    stalled.resume()
    settle(qtbot)
    assert listed() == ["O'Brien", "Pritchard"], "the list for 'Zoë' came after more was typed"

    quickly(typing.flush)
    settle(qtbot)
    assert listed() == []  # 'Zoë x' finds nobody


def test_the_apps_own_window_with_its_backups_ticks_through_a_stall(
    qtbot: QtBot, tmp_path: Path, clock: ManualClock
) -> None:
    """The window as `desk-app` builds it (its daily backup and checkpoint keepers too)."""
    window = build_window(str(tmp_path / "clinic.sqlite3"), clock, new_clinic=True)
    window.timer.stop()
    qtbot.addWidget(window)
    settle(qtbot)
    stalled = Stall(window.worker)
    for _second in range(3):
        clock.advance(seconds=1)
        quickly(window.tick)  # the first of the day starts the day's backup
    stalled.resume()
    settle(qtbot)


# --- what comes back once the lock, or closing, has moved on (review of session 11) -------------


def test_a_note_saved_after_the_lock_does_not_fill_the_locked_session_page_again(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    identity_answered(qtbot, window, desk, nurse)
    page = window.checklist_page
    stalled = Stall(window.worker)
    note_on_the_session(qtbot, window, "Patient anxious")
    window.lock_action.trigger()
    stalled.resume()
    settle(qtbot)
    assert page.record is None
    assert not [label.text() for label in page.findChildren(QLabel) if "O'Brien" in label.text()]


@pytest.mark.parametrize("deleted", [False, True], ids=["dialog closed", "dialog deleted"])
def test_a_short_pin_answered_after_the_lock_opens_no_new_pin_dialog_on_the_locked_desk(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clinician: Staff, deleted: bool
) -> None:
    give_legacy_pin(clinician)
    session_id = start_session(desk, nurse)
    tick_all(desk, session_id, {**SIGN_IN, "skin_type": {"fitzpatrick": "V"}}, nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)
    click(qtbot, window, "Override: Fitzpatrick skin type and test patch")
    override = open_dialog()
    click(qtbot, override, "Dr Clive Doctor (CD)")
    write_in_dialog(override, "Test patch healed without pigment change")
    type_into(qtbot, override, "Clinician's PIN", LEGACY_PIN)
    stalled = Stall(window.worker)
    qtbot.mouseClick(find(override, QPushButton, "Override"), Qt.MouseButton.LeftButton)
    window.lock_action.trigger()
    if deleted:  # as in the clinic: the closed dialog is deleted long before a stalled answer
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    stalled.resume()
    settle(qtbot)
    shown = [
        w.windowTitle() for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()
    ]
    assert shown == []
    assert "Override: Fitzpatrick skin type and test patch" in window.not_saved_message.text()


def test_closing_without_what_is_unanswered_on_a_server_waits_for_no_look(
    qtbot: QtBot, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, desk: Desk, nurse: Staff
) -> None:
    monkeypatch.setattr("desk_app.ui.main_window.on_server", lambda _db: True)  # a look worker too
    window = request.getfixturevalue("window")
    _session_id, identity = identity_answered(qtbot, window, desk, nurse)
    looks, actions = Stall(window.look_worker), Stall(window.worker)  # the server stalls for both
    qtbot.mouseClick(identity.primary, Qt.MouseButton.LeftButton)
    window.close()
    close_now = find(open_dialog(), QPushButton, "Close without them")
    quickly(lambda: qtbot.mouseClick(close_now, Qt.MouseButton.LeftButton))
    assert not window.isVisible()
    looks.resume()
    actions.resume()


def test_closing_after_the_lock_closed_the_still_saving_question_asks_again(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    _session_id, identity, stalled = closing_with_a_tick_unanswered(qtbot, window, desk, nurse)
    open_dialog()  # "Still saving"
    window.lock_action.trigger()  # the lock closes every dialog, unanswered
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    window.close()  # the nurse closes again
    assert open_dialog().windowTitle() == "Still saving"
    stalled.resume()


def test_waiting_to_close_does_not_close_over_a_tick_that_failed(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    _session_id, identity, stalled = closing_with_a_tick_unanswered(qtbot, window, desk, nurse)
    qtbot.mouseClick(find(open_dialog(), QPushButton, "Wait until saved"), Qt.MouseButton.LeftButton)

    def gone(*_args: object, **_kwargs: object) -> None:
        raise StoreUnavailable("The clinic's records could not be reached.")

    monkeypatch.setattr(type(desk.sessions), "tick", gone)  # the server gives up on the tick
    stalled.resume()
    settle(qtbot)
    window.tick()
    assert window.isVisible(), "closed by itself over a tick that was not saved"
    assert "could not be reached" in identity.error.text()
