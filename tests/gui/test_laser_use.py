"""The laser on screen (issue 15): the daily pre-use check done from the board, a laser out of use or
not checked today said in words wherever it can be chosen, the eyewear marking of the laser chosen at
the time-out, and an overdue service flagged for a clinician."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QScrollArea,
    QTableWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.errors import DomainError
from desk_app.domain.people import Staff
from desk_app.domain.procedure import Procedure
from desk_app.store.desk import Desk
from desk_app.ui.item_card import ItemCard
from desk_app.ui.main_window import MainWindow
from tests.gui.nurse import card, click, find, open_dialog, settle, tick, type_into, type_text, visible_texts
from tests.gui.test_checklist_actions import show, start_session, status
from tests.gui.test_laser_devices import usable_by_anyone
from tests.support.lasers import TEST_LASER_MARKING, laser_ready, passed_answers, register_test_laser
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, TIME_OUT, signed_out_session, tick_all

EYEWEAR = "Laser chosen; staff eyewear matches its marking"
FRACTIONAL = "Fractional pass"
LASER_NAME = "Fotona SP Dynamis (serial SP-TEST-1)"
CO2 = {
    "make": "Lumenis",
    "model": "UltraPulse",
    "serial_number": "UP-1",
    "wavelengths_nm": "10600",
    "eyewear_marking": 'EN 207 "D 10600 LB6"',
}
CO2_NAME = "Lumenis UltraPulse (serial UP-1)"
NOT_CHECKED = "has not had today's pre-use safety check"


def at_time_out(desk: Desk, clock: ManualClock, staff: Staff) -> int:
    """A session whose gel has worked and whose time-out is done but for the laser and eyewear."""
    session_id = start_session(desk, staff)
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, staff.id)
    clock.advance(minutes=60)
    tick_all(desk, session_id, {k: v for k, v in TIME_OUT.items() if k != "staff_eyewear"}, staff.id)
    return session_id


def choose(qtbot: QtBot, combo: QComboBox, text: str) -> None:
    """Choose an entry of a list with the arrow keys, as a keyboard user does."""
    index = combo.findText(text)
    assert index >= 0, f"{text!r} is not in the list: {entries(combo)}"
    combo.setFocus()
    while combo.currentIndex() != index:
        key = Qt.Key.Key_Down if combo.currentIndex() < index else Qt.Key.Key_Up
        qtbot.keyClick(combo, key)


def entries(combo: QComboBox) -> list[str]:
    return [combo.itemText(index) for index in range(combo.count())]


def reopen(window: MainWindow, session_id: int) -> None:
    """The session opened again from the board: its cards are built anew, the old ones deleted."""
    window.show_session(session_id)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def laser_list(root: QWidget) -> QComboBox:
    return find(root, QComboBox, "Laser device")


def fill_pass(qtbot: QtBot, fractional: QWidget) -> None:
    type_into(qtbot, fractional, "Energy per pulse", "40")
    type_into(qtbot, fractional, "Density", "20")
    type_into(qtbot, fractional, "Passes", "2")
    click(qtbot, fractional, "Areas treated: Cheeks")


def test_the_pre_use_check_from_the_board_lets_the_laser_be_chosen_and_the_pass_saved(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    session_id = at_time_out(desk, clock, nurse)
    show(qtbot, window, nurse, session_id)
    eyewear = card(window, EYEWEAR)
    assert "No laser is registered: an administrator registers it under Administration ▸ Laser devices" in (
        visible_texts(eyewear)
    )
    assert not find(eyewear, QAbstractButton, f"Confirm: {EYEWEAR}").isEnabled()

    register_test_laser(desk)
    click(qtbot, window, "Back to board")
    assert f"Not checked today: the {LASER_NAME} needs its pre-use check before use." in visible_texts(window)
    reopen(window, session_id)
    eyewear = card(window, EYEWEAR)
    assert entries(laser_list(eyewear)) == [f"{LASER_NAME} — not checked today"]
    assert f"Hard stop: the {LASER_NAME} {NOT_CHECKED}" in visible_texts(eyewear)
    assert not find(eyewear, QAbstractButton, f"Confirm: {EYEWEAR}").isEnabled()

    click(qtbot, window, "Back to board")
    click(qtbot, window, f"Do the pre-use check: {LASER_NAME}")
    dialog = open_dialog()
    qtbot.wait(1)  # real sizes
    assert not usable_by_anyone(dialog, "pre-use check")
    assert "Ann Nurse (AN)" in visible_texts(dialog)
    click(qtbot, dialog, "Record the check")
    assert dialog.isVisible(), "nothing is answered for the nurse"
    assert "'Warning sign up and key controlled': answer passed or failed." in visible_texts(dialog)
    items, note = dialog.findChild(QScrollArea), find(dialog, QPlainTextEdit, "Note: what is wrong")
    assert items.geometry().bottom() < note.geometry().top(), "the items lie above the note, not under it"
    for item in desk.pre_use_checklist.items:
        click(qtbot, dialog, f"{item.label}: Passed")
    click(qtbot, dialog, "Record the check")
    assert not dialog.isVisible()
    assert "Not checked today" not in visible_texts(window)
    (check,) = desk.device_checks.pre_use_checks()
    assert (check.passed, check.staff_name) == (True, "Ann Nurse")

    reopen(window, session_id)
    eyewear = card(window, EYEWEAR)
    assert entries(laser_list(eyewear)) == [LASER_NAME]
    assert f"Eyewear marking to check on every pair: {TEST_LASER_MARKING}" in visible_texts(eyewear)
    click(qtbot, eyewear, f"Confirm: {EYEWEAR}")
    assert status(window, EYEWEAR).startswith("✓ Done")

    fractional = card(window, FRACTIONAL)
    assert laser_list(fractional).currentText() == LASER_NAME, "the laser of the time-out"
    fill_pass(qtbot, fractional)
    click(qtbot, fractional, f"Save pass: {FRACTIONAL}")
    assert status(window, FRACTIONAL).startswith("✓ Done")
    (tick,) = [e for e in desk.sessions.session(session_id).events if e.item_id == "fractional_pass"]
    assert tick.values["device"]["name"] == LASER_NAME


def failed_check_question(dialog: QWidget) -> QMessageBox:
    (question,) = [w for w in dialog.findChildren(QMessageBox) if w.isVisible()]
    return question


def test_a_failed_check_needs_a_note_and_puts_the_laser_out_of_use_on_the_board_and_the_devices_page(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, admin: Staff
) -> None:
    register_test_laser(desk)
    window.set_staff(admin)
    settle(qtbot)
    assert "An authorised laser operator does it." in visible_texts(window), "not an administrator"
    assert not [b for b in window.findChildren(QAbstractButton) if b.isVisible() and "pre-use" in b.text()]
    window.set_staff(nurse)
    settle(qtbot)
    click(qtbot, window, f"Do the pre-use check: {LASER_NAME}")
    dialog = open_dialog()
    for item in desk.pre_use_checklist.items:
        click(qtbot, dialog, f"{item.label}: {'Failed' if item.id == 'plume_extraction' else 'Passed'}")
    click(qtbot, dialog, "Record the check")
    assert "A failed check needs a note: say what is wrong." in visible_texts(dialog)
    type_text(find(dialog, QPlainTextEdit, "Note: what is wrong"), "The extractor does not draw")
    click(qtbot, dialog, "Record the check")
    question = failed_check_question(dialog)
    assert "Failed: Plume extraction working." in question.text()
    assert f"the {LASER_NAME} out of use until tomorrow" in question.text()
    click(qtbot, question, "Go back to the answers")
    assert dialog.isVisible() and desk.device_checks.pre_use_checks() == [], (
        "a mistaken Failed is not recorded"
    )
    assert not [w for w in dialog.findChildren(QMessageBox) if w.isVisible()]

    click(qtbot, dialog, "Record the check")
    click(qtbot, failed_check_question(dialog), "Record: out of use until tomorrow")
    assert not dialog.isVisible()
    (check,) = desk.device_checks.pre_use_checks()
    assert not check.passed

    out_of_use = (
        f"Out of use today: the {LASER_NAME} failed its pre-use check at 09:00 "
        "(Plume extraction working: The extractor does not draw)."
    )
    banner = find(window, QLabel, out_of_use + " It can be used again tomorrow, after a new check.")
    assert banner.objectName() == "deviceOutOfUse"
    assert not [b for b in window.findChildren(QAbstractButton) if b.isVisible() and "pre-use" in b.text()]

    window.set_staff(admin)

    settle(qtbot)
    window.devices_action.trigger()
    table = find(window, QTableWidget, "Laser devices")
    assert table.item(0, table.columnCount() - 1).text().startswith(out_of_use)


def test_the_devices_page_shows_a_check_failed_at_another_desk_and_a_new_day_without_reopening(
    qtbot, window: MainWindow, desk: Desk, clock: ManualClock, admin: Staff, clinician: Staff
) -> None:
    device_id = register_test_laser(desk)
    window.set_staff(admin)
    settle(qtbot)
    window.devices_action.trigger()
    table = find(window, QTableWidget, "Laser devices")

    def status_shown() -> str:
        return table.item(0, table.columnCount() - 1).text()

    assert status_shown() == "Not checked today"
    failed = passed_answers(desk, plume_extraction=False)
    desk.device_checks.record_pre_use_check(device_id, failed, "The extractor does not draw", clinician.id)
    window.signals.changed_elsewhere.emit()  # the laser-room desk wrote
    assert status_shown().startswith(f"Out of use today: the {LASER_NAME} failed its pre-use check at 09:00")

    clock.advance(days=1)
    tick(qtbot, window)  # the first second of the new day
    assert status_shown() == "Not checked today"


def test_a_failed_read_of_the_lasers_leaves_no_stale_line_on_the_board_and_is_tried_again(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_test_laser(desk)
    window.set_staff(nurse)
    settle(qtbot)
    not_checked = f"Not checked today: the {LASER_NAME} needs its pre-use check before use."
    assert not_checked in visible_texts(window)

    laser_ready(desk)  # checked at the laser-room desk
    problem = "The database could not be read: disk I/O error"
    read = desk.device_checks.device_uses
    failures = [DomainError(problem)]

    def fails_once(*args: object, **kwargs: object) -> object:
        if failures:
            raise failures.pop()
        return read(*args, **kwargs)

    monkeypatch.setattr(desk.device_checks, "device_uses", fails_once)
    window.signals.changed_elsewhere.emit()
    settle(qtbot)  # the page reads the session again on the database worker
    shown = visible_texts(window)
    assert problem in shown
    assert not_checked not in shown, "a line that may be out of date is not left standing"

    tick(qtbot, window)  # the next second: read again
    shown = visible_texts(window)
    assert problem not in shown
    assert "Not checked today" not in shown


def test_a_laser_failed_at_another_desk_is_refused_with_the_reason_and_marked_out_of_use(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, clinician: Staff
) -> None:
    session_id = at_time_out(desk, clock, nurse)
    tick_all(desk, session_id, {"staff_eyewear": TIME_OUT["staff_eyewear"]}, nurse.id)
    show(qtbot, window, nurse, session_id)
    fractional = card(window, FRACTIONAL)
    fill_pass(qtbot, fractional)

    # Meanwhile the clinician finds the extractor broken and records it at the other desk.
    clock.advance(minutes=5)
    device_id = laser_ready(desk)
    failed = passed_answers(desk, plume_extraction=False)
    desk.device_checks.record_pre_use_check(device_id, failed, "The extractor does not draw", clinician.id)
    click(qtbot, fractional, f"Save pass: {FRACTIONAL}")
    reason = f"Out of use today: the {LASER_NAME} failed its pre-use check at 10:05"
    assert reason in visible_texts(fractional)
    assert not [e for e in desk.sessions.session(session_id).events if e.item_id == "fractional_pass"]
    assert laser_list(fractional).currentText() == f"{LASER_NAME} — out of use today"
    assert not find(fractional, QAbstractButton, f"Save pass: {FRACTIONAL}").isEnabled()

    click(qtbot, window, "Back to board")
    assert reason in visible_texts(window)


def test_the_eyewear_marking_follows_the_laser_chosen_and_a_pass_names_a_laser_not_checked(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    laser_ready(desk)
    co2 = register_test_laser(desk, **CO2)
    desk.device_checks.record_pre_use_check(co2, passed_answers(desk), "", nurse.id)
    register_test_laser(desk, serial_number="SP-2")  # a second erbium laser, not checked today
    session_id = at_time_out(desk, clock, nurse)
    show(qtbot, window, nurse, session_id)

    eyewear = card(window, EYEWEAR)
    lasers = laser_list(eyewear)
    spare = "Fotona SP Dynamis (serial SP-2)"
    assert entries(lasers) == [f"{spare} — not checked today", LASER_NAME, CO2_NAME]
    assert lasers.currentText() == "", "two lasers may be used: the nurse says which, not the list"
    click(qtbot, eyewear, f"Confirm: {EYEWEAR}")
    assert "Done" not in eyewear.status.text(), "no laser chosen: nothing confirmed"
    assert "Laser device: please fill this in." in visible_texts(eyewear)
    choose(qtbot, lasers, LASER_NAME)
    marking = f"Eyewear marking to check on every pair: {TEST_LASER_MARKING}"
    assert find(eyewear, QLabel, marking).isVisible()
    choose(qtbot, lasers, CO2_NAME)
    co2_marking = 'Eyewear marking to check on every pair: EN 207 "D 10600 LB6"'
    assert find(eyewear, QLabel, co2_marking).accessibleName() == co2_marking
    assert marking not in visible_texts(eyewear)
    assert lasers.accessibleDescription() == co2_marking
    choose(qtbot, lasers, LASER_NAME)
    assert marking in visible_texts(eyewear)
    click(qtbot, eyewear, f"Confirm: {EYEWEAR}")

    fractional = card(window, FRACTIONAL)
    passes = laser_list(fractional)
    assert passes.currentText() == LASER_NAME
    choose(qtbot, passes, f"{spare} — not checked today")
    assert f"Hard stop: the {spare} {NOT_CHECKED}" in visible_texts(fractional)
    assert not find(fractional, QAbstractButton, f"Save pass: {FRACTIONAL}").isEnabled()
    choose(qtbot, passes, LASER_NAME)
    assert NOT_CHECKED not in visible_texts(fractional)
    assert find(fractional, QAbstractButton, f"Save pass: {FRACTIONAL}").isEnabled()


def test_an_eyewear_marking_changed_at_another_desk_after_the_card_showed_it_is_refused_and_shown(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, admin: Staff
) -> None:
    device_id = laser_ready(desk)
    session_id = at_time_out(desk, clock, nurse)
    show(qtbot, window, nurse, session_id)
    eyewear = card(window, EYEWEAR)
    assert f"Eyewear marking to check on every pair: {TEST_LASER_MARKING}" in visible_texts(eyewear)

    new_marking = 'EN 207 "D 2940 LB6"'
    desk.devices.update_device(
        device_id, {"eyewear_marking": new_marking}, admin.id
    )  # the administrator's desk
    click(qtbot, eyewear, f"Confirm: {EYEWEAR}")
    shown = visible_texts(eyewear)
    refusal = next((line for line in shown.splitlines() if "has just changed" in line), shown)
    assert refusal.startswith(f"The eyewear marking of the {LASER_NAME} has just changed to ")
    assert new_marking in refusal
    assert refusal.endswith("check the eyewear against the new marking.")
    assert status(window, EYEWEAR) != "✓ Done"
    assert f"Eyewear marking to check on every pair: {new_marking}" in shown, "read again at once"
    assert TEST_LASER_MARKING not in shown

    click(qtbot, eyewear, f"Confirm: {EYEWEAR}")
    assert status(window, EYEWEAR).startswith("✓ Done")
    (tick,) = [e for e in desk.sessions.session(session_id).events if e.item_id == "staff_eyewear"]
    assert tick.values["device"]["eyewear_marking"] == new_marking


def test_last_sessions_laser_out_of_use_is_said_and_no_other_laser_is_chosen_in_its_place(
    qtbot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, clinician: Staff
) -> None:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    signed_out_session(desk, clock, patient.id, nurse)  # with the test laser
    clock.advance(days=28)  # the next session, four weeks on
    co2 = register_test_laser(desk, **CO2)
    desk.device_checks.record_pre_use_check(co2, passed_answers(desk), "", nurse.id)
    failed = passed_answers(desk, plume_extraction=False)
    desk.device_checks.record_pre_use_check(
        laser_ready(desk), failed, "The extractor does not draw", clinician.id
    )
    session_id = desk.sessions.start_session(patient.id, nurse.id).id
    tick_all(desk, session_id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    clock.advance(minutes=60)
    tick_all(desk, session_id, {k: v for k, v in TIME_OUT.items() if k != "staff_eyewear"}, nurse.id)
    show(qtbot, window, nurse, session_id)

    eyewear = card(window, EYEWEAR)
    lasers = laser_list(eyewear)
    assert entries(lasers) == [f"{LASER_NAME} — out of use today", CO2_NAME]
    assert lasers.currentIndex() == -1, "the nurse chooses: the CO2 laser is not chosen unseen"
    assert find(eyewear, QLabel, f"Last session: {LASER_NAME} — out of use today").isVisible()
    assert "Eyewear marking to check on every pair" not in visible_texts(eyewear)

    clock.advance(days=1)
    desk.device_checks.record_pre_use_check(co2, passed_answers(desk), "", nurse.id)
    tick(qtbot, window)  # a new day: the lasers are read again
    assert lasers.currentIndex() == -1
    assert find(eyewear, QLabel, f"Last session: {LASER_NAME} — not checked today").isVisible()


def test_a_laser_with_its_service_overdue_is_flagged_for_a_clinicians_override(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    register_test_laser(desk, next_service_on=clock.now().date() - timedelta(days=3))
    laser_ready(desk)
    session_id = at_time_out(desk, clock, nurse)
    tick_all(desk, session_id, {"staff_eyewear": TIME_OUT["staff_eyewear"]}, nurse.id)
    others = {key: value for key, value in LASER.items() if key != "fractional_pass"}
    tick_all(desk, session_id, others, nurse.id)
    show(qtbot, window, nurse, session_id)

    fractional = card(window, FRACTIONAL)
    assert laser_list(fractional).currentText() == f"{LASER_NAME} — service overdue"
    warning = (
        f"Service overdue: the {LASER_NAME} was due a service on 22/11/2026. This pass will need a "
        "clinician's override, with a reason."
    )
    assert find(fractional, QLabel, warning).isVisible()
    fill_pass(qtbot, fractional)
    click(qtbot, fractional, f"Save pass: {FRACTIONAL}")
    assert status(window, FRACTIONAL) == "⚠ Needs a clinician's decision"
    assert f"Service overdue: the {LASER_NAME} was due a service on 22/11/2026" in visible_texts(fractional)
    assert find(fractional, QAbstractButton, f"Override: {FRACTIONAL}").isVisible()
    click(qtbot, window, "Back to board")
    board_line = (
        f"Service overdue: the {LASER_NAME} was due a service on 22/11/2026. Each pass with it needs a "
        "clinician's override."
    )
    assert find(window, QLabel, board_line).objectName() == "deviceNotChecked"


def test_the_lasers_are_read_when_a_page_is_shown_and_on_a_new_day_not_every_second(
    qtbot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_test_laser(desk)
    session_id = at_time_out(desk, clock, nurse)
    reads: list[int] = []
    read = desk.device_checks.device_uses
    monkeypatch.setattr(desk.device_checks, "device_uses", lambda *a, **k: reads.append(1) or read(*a, **k))

    def seconds_pass(page: str) -> None:
        before = len(reads)
        for _ in range(5):
            clock.advance(seconds=1)
            tick(qtbot, window)
        assert len(reads) == before, f"{page} reads the lasers every second"

    window.set_staff(nurse)

    settle(qtbot)
    assert len(reads) == 1
    seconds_pass("the board")
    window.show_session(session_id)
    assert len(reads) == 2
    seconds_pass("the checklist")
    clock.advance(days=1)
    tick(qtbot, window)
    assert len(reads) == 3, "a new day: every laser needs a new check"
    assert laser_list(card(window, EYEWEAR)).currentText().endswith("— not checked today")


def test_last_sessions_laser_typed_before_version_1_3_is_shown_as_it_was(
    qtbot: QtBot, procedure: Procedure
) -> None:
    fractional = ItemCard(procedure.item("fractional_pass"))
    qtbot.addWidget(fractional)
    fractional.set_device_uses([])
    fractional.set_previous({"device": "Fraxel re:pair", "energy_mj": 40.0}, "28/10/2026")
    fractional.show()
    assert "Changed: was Fraxel re:pair last session (28/10/2026)" in visible_texts(fractional)
    assert "Same as last session (28/10/2026)" in visible_texts(fractional), "the energy"
