"""Who may do what, as the person at the desk meets it: a control they may not use says why in words
and how to switch staff; switching to an authorised laser operator takes one PIN; Sign and lock
shows what the signature means, takes the PIN and puts the signature on the record."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QAbstractButton
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.item_card import ItemCard
from desk_app.ui.main_window import MainWindow
from tests.gui.nurse import (
    click,
    find,
    open_dialog,
    open_pause_point,
    settle,
    sign_in,
    type_into,
    visible_texts,
)
from tests.gui.test_checklist_actions import at_laser, events, show, start_session, status
from tests.support.people import PIN, WRONG_PIN, add_member
from tests.support.walk import LASER, SIGN_OUT, tick_all

FRACTIONAL = "Fractional pass"


def offers_undo(window: MainWindow, item_id: str) -> bool:
    """Whether the item's card offers Undo (on its own page, shown or not)."""
    (item_card,) = [c for c in window.findChildren(ItemCard) if c.item.id == item_id]
    return item_card.correct.isVisibleTo(item_card)


def test_an_administrator_sees_why_clinical_items_are_not_theirs_and_cannot_tick_them(
    qtbot: QtBot, window: MainWindow, desk: Desk, admin: Staff, nurse: Staff
) -> None:
    session_id = start_session(desk, nurse)
    show(qtbot, window, admin, session_id)
    identity = find(window, QAbstractButton, "Confirm: Identity confirmed with two identifiers")
    assert not identity.isEnabled()
    assert "Not for you: Ada Admin is an administrator or receptionist" in visible_texts(window)
    assert "Switch staff (Ctrl+Shift+S)" in visible_texts(window)
    assert events(desk, session_id) == ()


def test_a_nurse_without_laser_authorisation_switches_to_an_operator_with_one_pin(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    trainee = add_member(desk, "Tia Trainee", "TT", "nurse", laser_operator=False)
    session_id = start_session(desk, trainee)
    at_laser(desk, clock, session_id, nurse)
    show(qtbot, window, trainee, session_id)
    save_pass = find(window, QAbstractButton, f"Save pass: {FRACTIONAL}")
    assert not save_pass.isEnabled()
    open_pause_point(qtbot, window, "Time-out")
    assert not offers_undo(window, "staff_eyewear")  # done by Ann, an operator: not Tia's to undo
    open_pause_point(qtbot, window, "Laser")
    assert "Not for you: Only an authorised laser operator may do this, and Tia Trainee is not one." in (
        visible_texts(window)
    )

    window.switch_action.trigger()  # Ctrl+Shift+S
    sign_in(qtbot, window, "Ann Nurse", PIN)
    assert "At the desk: Ann Nurse (AN)" in window.staff_label.text()
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # the old page's buttons go
    save_pass = find(window, QAbstractButton, f"Save pass: {FRACTIONAL}")
    assert save_pass.isEnabled()
    open_pause_point(qtbot, window, "Time-out")
    assert offers_undo(window, "staff_eyewear")
    assert "Not for you" not in visible_texts(window)


def test_sign_and_lock_shows_the_meaning_takes_the_pin_and_the_record_shows_the_signature(
    qtbot: QtBot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    session_id = start_session(desk, nurse)
    at_laser(desk, clock, session_id, nurse)
    tick_all(desk, session_id, {**LASER, **SIGN_OUT}, nurse.id)
    show(qtbot, window, nurse, session_id)
    click(qtbot, window, "Sign and lock: Operator signs; the record locks")
    dialog = open_dialog()
    assert "Ann Nurse signs this record: “I performed this treatment as recorded here.”" in visible_texts(
        dialog
    )
    type_into(qtbot, dialog, "Ann Nurse's PIN", WRONG_PIN)
    click(qtbot, dialog, "Sign and lock")
    assert "Wrong PIN" in visible_texts(dialog)
    assert status(window, "Operator signs; the record locks") == "To do"
    type_into(qtbot, dialog, "Ann Nurse's PIN", PIN)
    click(qtbot, dialog, "Sign and lock")
    assert desk.sessions.sessions_in_progress() == []
    signed = desk.sessions.session(session_id).events[-1].values["signature"]
    assert signed["name"] == "Ann Nurse" and signed["laser_operator"] is True


def test_the_signature_dialog_asks_for_a_countersigning_clinician_only_where_the_clinic_does(
    qtbot: QtBot,
    window: MainWindow,
    desk: Desk,
    clock: ManualClock,
    admin: Staff,
    nurse: Staff,
    clinician: Staff,
) -> None:
    from dataclasses import replace

    from PySide6.QtWidgets import QComboBox

    session_id = start_session(desk, nurse)
    at_laser(desk, clock, session_id, nurse)
    tick_all(desk, session_id, {**LASER, **SIGN_OUT}, nurse.id)
    show(qtbot, window, nurse, session_id)
    click(qtbot, window, "Sign and lock: Operator signs; the record locks")
    dialog = open_dialog()
    assert not dialog.findChildren(QComboBox), "no stray clinician list where none is asked for"
    dialog.reject()

    desk.clinic.update_clinic_details(
        replace(desk.clinic.clinic_details(), countersignature_required=True), admin.id
    )
    click(qtbot, window, "Sign and lock: Operator signs; the record locks")
    dialog = open_dialog()
    assert find(dialog, QComboBox, "Clinician who countersigns").currentText() == "Dr Clive Doctor (CD)"
    type_into(qtbot, dialog, "Ann Nurse's PIN", PIN)
    type_into(qtbot, dialog, "Countersigning clinician's PIN", PIN)
    click(qtbot, dialog, "Sign and lock")
    assert (
        desk.sessions.session(session_id).events[-1].values["countersignature"]["name"] == "Dr Clive Doctor"
    )
