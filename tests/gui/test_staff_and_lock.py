"""Who is at the desk, as staff meet it: password to start, PIN to switch, the idle lock, the Staff page."""

from __future__ import annotations

import contextlib
from dataclasses import replace

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit, QPushButton, QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.refusals import SignInRefused
from desk_app.domain.session import EventKind
from desk_app.store.desk import Desk
from desk_app.store.models import AuditLog
from desk_app.ui.main_window import MainWindow
from tests.gui.nurse import (
    click,
    find,
    open_dialog,
    settle,
    sign_in,
    tick,
    type_into,
    type_text,
    visible_texts,
    write_in_dialog,
)
from tests.gui.test_checklist_actions import at_laser, show, start_session
from tests.support.people import (
    LEGACY_PIN,
    OTHER_PIN,
    PASSWORD,
    PIN,
    WRONG_PIN,
    administrator,
    give_legacy_pin,
)
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, tick_all


def actions(desk: Desk) -> list[str]:
    return [row.action for row in AuditLog.select(AuditLog.action).order_by(AuditLog.id)]


def at_desk(window: MainWindow) -> str:
    return window.staff_label.text()


def numbing_patient(desk: Desk, nurse: Staff) -> int:
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00012", nurse.id)
    session = desk.sessions.start_session(patient.id, nurse.id)
    tick_all(desk, session.id, {**SIGN_IN, **ANAESTHETIC}, nurse.id)
    return session.id


def test_the_app_starts_at_sign_in_and_a_wrong_password_is_counted(
    qtbot: QtBot, nurse: Staff, window: MainWindow, desk: Desk
) -> None:
    assert "Sign in" in visible_texts(window)
    assert not window.board_action.isEnabled() and not window.patients_action.isEnabled()
    sign_in(qtbot, window, "Ann Nurse", "not my password")
    assert "Wrong password (9 tries left before the account locks)." in visible_texts(window)
    assert "sign-in failed" in actions(desk)

    sign_in(qtbot, window, "Ann Nurse", PASSWORD)
    assert at_desk(window) == "At the desk: Ann Nurse (AN)"
    assert window.stack.currentWidget() is window.home_page
    assert actions(desk)[-1] == "signed in"


def test_switching_staff_takes_the_pin_of_whoever_steps_up(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clinician: Staff
) -> None:
    window.set_staff(nurse)
    settle(qtbot)
    window.switch_action.trigger()
    assert find(window, QLineEdit, "PIN")
    sign_in(qtbot, window, "Dr Clive Doctor", WRONG_PIN)
    assert "Wrong PIN. 4 tries left before the password is needed." in visible_texts(window)
    assert window.stack.currentWidget() is window.sign_in_page

    sign_in(qtbot, window, "Dr Clive Doctor", PIN)
    assert at_desk(window) == "At the desk: Dr Clive Doctor (CD)"
    assert actions(desk)[-1] == "PIN accepted"


def test_after_five_wrong_pins_the_password_is_needed(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clinician: Staff
) -> None:
    window.set_staff(nurse)
    settle(qtbot)
    window.switch_action.trigger()
    for _ in range(5):
        sign_in(qtbot, window, "Dr Clive Doctor", WRONG_PIN)
    sign_in(qtbot, window, "Dr Clive Doctor", PIN)
    assert "Too many wrong PINs: Dr Clive Doctor must sign in with their password." in visible_texts(window)

    click(qtbot, window, "Use my password instead")
    sign_in(qtbot, window, "Dr Clive Doctor", PASSWORD)
    assert at_desk(window) == "At the desk: Dr Clive Doctor (CD)"


def test_an_idle_desk_locks_itself_and_shows_no_patient_record(
    qtbot: QtBot, idle_window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    window = idle_window
    session_id = numbing_patient(desk, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker

    clock.advance(minutes=4, seconds=59)
    tick(qtbot, window)
    assert not window.locked, "not before the clinic's 5 minutes"
    clock.advance(seconds=1)
    tick(qtbot, window)

    assert window.locked and window.stack.currentWidget() is window.sign_in_page
    shown = visible_texts(window)
    assert "O'Brien" not in shown and "AZ-00012" not in shown, "no whole name, no clinic number"
    board = window.sign_in_page.locked_board.text()
    assert board.startswith("Zoë O. · Gel working: 55:00 left · AN")
    assert not window.board_action.isEnabled() and not window.patients_action.isEnabled()
    assert "screen locked" in actions(desk)

    clock.advance(minutes=1)  # the countdown keeps running while locked
    tick(qtbot, window)
    assert "Gel working: 54:00 left" in window.sign_in_page.locked_board.text()

    sign_in(qtbot, window, "Ann Nurse", PIN)
    assert not window.locked and at_desk(window) == "At the desk: Ann Nurse (AN)"
    assert window.stack.currentWidget() is window.home_page


def test_using_the_desk_keeps_it_unlocked(
    qtbot: QtBot, idle_window: MainWindow, clock: ManualClock, nurse: Staff
) -> None:
    window = idle_window
    window.set_staff(nurse)
    settle(qtbot)
    clock.advance(minutes=4)
    qtbot.keyClick(window.home_page.search_edit, Qt.Key.Key_A)
    clock.advance(minutes=4)
    tick(qtbot, window)
    assert not window.locked
    clock.advance(minutes=1)
    tick(qtbot, window)
    assert window.locked


def test_the_clinic_sets_how_soon_the_screen_locks(
    qtbot: QtBot, idle_window: MainWindow, desk: Desk, clock: ManualClock, admin: Staff, nurse: Staff
) -> None:
    from desk_app.domain.clinic import checked_clinic_details

    desk.clinic.update_clinic_details(checked_clinic_details("Azure Medical", "", "", "A4", 2), admin.id)
    window = idle_window
    window.set_staff(nurse)
    settle(qtbot)
    clock.advance(minutes=2)
    tick(qtbot, window)
    assert window.locked


def test_while_locked_an_alert_names_the_patient_by_first_name_and_cannot_be_acknowledged(
    qtbot: QtBot, idle_window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    window = idle_window
    numbing_patient(desk, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.lock_action.trigger()
    assert window.locked
    clock.advance(minutes=61)
    tick(qtbot, window)
    banner = visible_texts(window.banner)
    assert "Zoë O.: the gel has worked. Ready for the laser room." in banner
    assert "O'Brien" not in banner
    assert not [b for b in window.banner.findChildren(QPushButton) if b.isVisible()], "nobody to acknowledge"

    sign_in(qtbot, window, "Ann Nurse", PIN)
    qtbot.wait(1)  # new banner rows are shown by Qt's next turn of the event loop
    assert "Zoë O'Brien: the gel has worked. Ready for the laser room." in visible_texts(window.banner)


def test_signing_out_asks_the_next_person_for_a_password(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    window.set_staff(nurse)
    settle(qtbot)
    window.sign_out_action.trigger()
    assert find(window, QLineEdit, "Password") and at_desk(window) == ""
    assert not window.sign_out_action.isEnabled()
    settle(qtbot)  # the sign-out's row is written on the database worker
    assert actions(desk)[-1] == "signed out"


def test_only_administrators_see_staff_and_clinic_details(
    qtbot: QtBot, window: MainWindow, nurse: Staff, clinician: Staff, admin: Staff
) -> None:
    for member in (nurse, clinician):
        window.set_staff(member)
        settle(qtbot)
        assert not window.staff_action.isVisible() and not window.clinic_action.isVisible()
        window.show_staff_admin()
        assert window.stack.currentWidget() is not window.staff_admin_page
    window.set_staff(admin)
    settle(qtbot)
    assert window.staff_action.isVisible() and window.clinic_action.isVisible()


def test_an_administrator_unlocks_a_locked_account_from_the_staff_page(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, admin: Staff
) -> None:
    for _ in range(10):
        with contextlib.suppress(SignInRefused):
            desk.accounts.sign_in(nurse.id, "wrong password")
    window.set_staff(admin)
    settle(qtbot)
    window.staff_action.trigger()
    settle(qtbot)
    table = find(window, QTableWidget, "Members of staff")
    rows = {table.item(row, 0).text(): row for row in range(table.rowCount())}
    assert table.item(rows["Ann Nurse"], 5).text() == "LOCKED"
    table.selectRow(rows["Ann Nurse"])
    click(qtbot, window, "Unlock account")
    assert "Ann Nurse may sign in again." in visible_texts(window)
    assert table.item(rows["Ann Nurse"], 5).text() == ""
    assert desk.accounts.sign_in(nurse.id, PASSWORD) == nurse


def test_an_administrator_adds_a_member_of_staff_who_can_then_sign_in(
    qtbot: QtBot, window: MainWindow, desk: Desk, admin: Staff
) -> None:
    window.set_staff(admin)
    settle(qtbot)
    window.staff_action.trigger()
    settle(qtbot)
    for name, text in (
        ("Full name", "Beth Nurse"),
        ("Initials", "BN"),
        ("Password", "beth's password"),
        ("Password again", "beth's password"),
        ("PIN", LEGACY_PIN),
    ):
        type_text(find(window, QLineEdit, name), text)
    assert "PIN (6 to 8 digits)" in visible_texts(window)
    click(qtbot, window, "Add member of staff")  # 4 digits: refused, nobody added
    assert "PIN: 6 to 8 digits." in visible_texts(window)
    assert "Beth Nurse" not in [member.name for member in desk.accounts.list_staff()]
    type_into(qtbot, window, "PIN", OTHER_PIN)
    click(qtbot, window, "Add member of staff")
    assert "Beth Nurse was added." in visible_texts(window)
    beth = next(member for member in desk.accounts.list_staff() if member.name == "Beth Nurse")
    assert beth.role.value == "nurse"
    window.sign_out_action.trigger()
    sign_in(qtbot, window, "Beth Nurse", "beth's password")
    assert at_desk(window) == "At the desk: Beth Nurse (BN)"


def test_first_start_refuses_two_different_passwords(qtbot: QtBot, window: MainWindow, desk: Desk) -> None:
    for name, text in (
        ("Full name", "Mo Manager"),
        ("Initials", "MM"),
        ("Password", "first password"),
        ("Password again", "second password"),
        ("PIN", PIN),
    ):
        type_text(find(window, QLineEdit, name), text)
    click(qtbot, window, "Create administrator")
    assert "The two passwords are not the same." in visible_texts(window)
    assert not desk.accounts.has_administrator()


def test_verify_records_reports_an_intact_trail_and_then_a_record_changed_outside_the_app(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, admin: Staff
) -> None:
    numbing_patient(desk, nurse)
    window.set_staff(admin)
    settle(qtbot)
    window.staff_action.trigger()
    settle(qtbot)
    click(qtbot, window, "Verify records")
    said = window.findChild(QLabel, "verifyResult")
    qtbot.waitUntil(lambda: said.text().startswith("Audit trail"))  # on a thread of its own
    result = said.text()
    assert result.startswith("Audit trail intact: ") and "head hash" in result
    assert said.accessibleName() == f"Verification result: {result}"  # heard, not only seen
    green = said.palette().color(said.foregroundRole()).name()
    assert green == "#1e7b34", "an intact trail is said in green"
    ran = desk.db.execute_sql(
        "SELECT action, staff_id, detail FROM audit_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert ran[:2] == ("audit trail verified", admin.id) and '"result": "intact"' in ran[2]  # who, and what

    desk.db.execute_sql("DROP TRIGGER session_event_no_update")  # someone with the file and a tool
    desk.db.execute_sql("UPDATE session_event SET text = 'edited' WHERE id = 3")
    click(qtbot, window, "Verify records")
    qtbot.waitUntil(
        lambda: (
            "Audit trail BROKEN: session event 3 differs from its audit row"
            in window.findChild(QLabel, "verifyResult").text()
        )
    )
    broken = window.findChild(QLabel, "verifyResult")
    assert broken.palette().color(broken.foregroundRole()).name() == "#b3261e", "a break is said in red"


def test_an_administrator_corrects_a_name_and_the_trail_keeps_the_old_one(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, admin: Staff
) -> None:
    window.set_staff(admin)
    settle(qtbot)
    window.staff_action.trigger()
    settle(qtbot)
    table = find(window, QTableWidget, "Members of staff")
    table.selectRow([table.item(row, 0).text() for row in range(table.rowCount())].index("Ann Nurse"))
    click(qtbot, window, "Change name…")
    dialog = open_dialog()
    name = find(dialog, QLineEdit, "New full name")
    name.clear()
    type_text(name, "Ann Newsome")
    click(qtbot, dialog, "Save")
    assert not dialog.isVisible()
    assert "Ann Nurse is now Ann Newsome (AN)." in visible_texts(window)
    assert desk.accounts.staff(nurse.id).name == "Ann Newsome"
    renamed = AuditLog.select().where(AuditLog.action == "staff renamed").get()
    assert '"Ann Nurse"' in renamed.detail and renamed.staff_id == admin.id


def test_closing_the_app_signs_out_whoever_is_at_the_desk(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    window.set_staff(nurse)
    settle(qtbot)
    window.close()
    assert actions(desk)[-1] == "signed out"


def test_locking_closes_an_open_print_preview_so_no_record_stays_on_screen(
    qtbot: QtBot, idle_window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    from desk_app.ui.printing import PrintDialog
    from tests.support.walk import signed_out_session

    window = idle_window
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00012", nurse.id)
    session_id = signed_out_session(desk, clock, patient.id, nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    click(qtbot, window, "Print record…")
    assert [w for w in window.findChildren(PrintDialog) if w.isVisible()]

    clock.advance(minutes=5)
    tick(qtbot, window)
    assert window.locked
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    assert desk.clinic.print_log(patient.id) == []


def test_with_nobody_signed_in_alerts_name_patients_by_first_name_only(
    qtbot: QtBot, desk: Desk, clock: ManualClock, nurse: Staff, window: MainWindow
) -> None:
    window.signals.session_changed.emit(numbing_patient(desk, nurse))  # as the desk that started it does
    settle(qtbot)  # the page reads the session again on the database worker
    clock.advance(minutes=61)
    tick(qtbot, window)
    qtbot.wait(1)
    assert "Zoë O.: the gel has worked." in visible_texts(window.banner)
    assert "O'Brien" not in visible_texts(window)

    window.set_staff(nurse)

    settle(qtbot)
    qtbot.wait(1)
    assert "Zoë O'Brien: the gel has worked." in visible_texts(window.banner)
    window.sign_out_action.trigger()
    qtbot.wait(1)
    assert "O'Brien" not in visible_texts(window)


def test_a_name_that_looks_like_markup_is_shown_as_typed(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    patient = desk.patients.register_patient(
        "<b>Zoë", "&amp; <!--O'Brien", "1990-02-03", "AZ-00013", nurse.id
    )
    session = desk.sessions.start_session(patient.id, nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session.id)
    settle(qtbot)  # the session is read on the database worker
    qtbot.wait(1)
    assert find(window, QLabel, patient.full_name).textFormat() is Qt.TextFormat.PlainText
    rich = [
        label.text()
        for label in window.findChildren(QLabel)
        if label.isVisible() and label.textFormat() is not Qt.TextFormat.PlainText
    ]
    assert not rich


def test_when_another_desk_creates_the_administrator_first_this_desk_goes_to_sign_in(
    qtbot: QtBot, window: MainWindow, desk: Desk
) -> None:
    assert window.stack.currentWidget() is window.first_admin_page
    administrator(desk)  # the other desk was quicker
    for name, text in (
        ("Full name", "Mo Manager"),
        ("Initials", "MM"),
        ("Password", "manager password"),
        ("Password again", "manager password"),
        ("PIN", PIN),
    ):
        type_text(find(window, QLineEdit, name), text)
    click(qtbot, window, "Create administrator")
    assert window.stack.currentWidget() is window.sign_in_page
    assert find(window, QLineEdit, "Password")


def test_an_administrator_on_a_1366_screen_still_sees_who_is_at_the_desk(
    qtbot: QtBot, window: MainWindow, admin: Staff
) -> None:
    window.resize(1366, 768)
    window.set_staff(admin)
    settle(qtbot)
    QApplication.processEvents()
    assert window.admin_button.isVisible()
    assert window.staff_label.isVisible(), "the tool bar pushed 'At the desk' into its overflow"
    assert window.staff_label.text().strip() == "At the desk: Ada Admin (AA)"


# --- PINs of 4 digits, kept from before PINs needed 6 ------------------------------------------------


def new_pin_dialog() -> QDialog:
    """The dialog that asks for a new PIN (it may sit over the dialog that took the old one)."""
    shown = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QDialog) and w.isVisible() and w.windowTitle() == "Choose a new PIN"
    ]
    assert len(shown) == 1, f"expected the new PIN dialog, found {len(shown)}"
    return shown[0]


def choose_new_pin(qtbot: QtBot, dialog: QDialog, new_pin: str) -> None:
    type_into(qtbot, dialog, "New PIN", new_pin)
    type_into(qtbot, dialog, "New PIN again", new_pin)
    click(qtbot, dialog, "Save the new PIN")


def test_a_4_digit_pin_unlocks_once_and_the_nurse_then_chooses_one_of_6_digits(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    give_legacy_pin(nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.lock_action.trigger()
    sign_in(qtbot, window, "Ann Nurse", LEGACY_PIN)
    assert "This PIN has only 4 digits: choose a new PIN of 6 to 8 digits to go on." in visible_texts(window)
    dialog = new_pin_dialog()
    assert window.locked and actions(desk)[-1] == "PIN accepted: change needed"

    choose_new_pin(qtbot, dialog, "12345")  # too short again: refused in the dialog, nothing changes
    assert dialog.isVisible() and "PIN: 6 to 8 digits." in visible_texts(dialog)
    type_into(qtbot, dialog, "New PIN", OTHER_PIN)
    type_into(qtbot, dialog, "New PIN again", PIN)
    click(qtbot, dialog, "Save the new PIN")
    assert "The two new PINs are not the same; type them again." in visible_texts(dialog)
    assert "PIN changed" not in actions(desk)

    choose_new_pin(qtbot, dialog, OTHER_PIN)
    assert not dialog.isVisible()
    assert not window.locked and at_desk(window) == "At the desk: Ann Nurse (AN)"
    assert actions(desk)[-2:] == ["PIN changed", "PIN accepted"]

    window.lock_action.trigger()  # the old PIN is gone; the new one unlocks
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # the last list of names goes
    sign_in(qtbot, window, "Ann Nurse", LEGACY_PIN)
    assert "Wrong PIN. 4 tries left before the password is needed." in visible_texts(window)
    sign_in(qtbot, window, "Ann Nurse", OTHER_PIN)
    assert not window.locked


def everything_exposed(root: QWidget) -> str:
    """What the screen shows and tells a screen reader: texts, accessible names, window titles."""
    widgets = [root, *root.findChildren(QWidget)]
    return "\n".join(
        f"{getattr(w, 'text', lambda: '')()} {w.accessibleName()} {w.windowTitle()}"
        for w in widgets
        if w.isVisible()
    )


def test_a_new_pin_dialog_left_open_on_the_lock_screen_closes_when_the_desk_idles(
    qtbot: QtBot, idle_window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    """A nurse types her old 4-digit PIN at the locked desk and walks away: nobody else may choose her
    new PIN and be signed in as her, and the locked screen never names her in full."""
    window = idle_window
    give_legacy_pin(nurse)
    window.set_staff(nurse)
    settle(qtbot)
    window.lock_action.trigger()
    sign_in(qtbot, window, "Ann Nurse", LEGACY_PIN)
    dialog = new_pin_dialog()
    assert "Ann Nurse" not in everything_exposed(dialog)
    assert "Ann Nurse" not in visible_texts(window.sign_in_page.error.parentWidget())

    clock.advance(minutes=4, seconds=59)
    tick(qtbot, window)
    assert new_pin_dialog() is dialog, "not before the clinic's 5 minutes"
    clock.advance(seconds=1)
    tick(qtbot, window)

    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    assert window.locked and "choose a new PIN" not in visible_texts(window)
    assert "PIN changed" not in actions(desk)
    sign_in(qtbot, window, "Ann Nurse", LEGACY_PIN)  # she comes back: her old PIN asks again
    choose_new_pin(qtbot, new_pin_dialog(), PIN)
    assert not window.locked and at_desk(window) == "At the desk: Ann Nurse (AN)"


def test_a_new_pin_dialog_over_an_override_closes_when_the_desk_locks_itself(
    qtbot: QtBot, idle_window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff, clinician: Staff
) -> None:
    window = idle_window
    give_legacy_pin(clinician)
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00012", nurse.id)
    session_id = desk.sessions.start_session(patient.id, nurse.id).id
    tick_all(desk, session_id, {**SIGN_IN, "skin_type": {"fitzpatrick": "V"}}, nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    click(qtbot, window, "Override: Fitzpatrick skin type and test patch")
    override = open_dialog()
    click(qtbot, override, "Dr Clive Doctor (CD)")
    write_in_dialog(override, "Test patch healed without pigment change")
    type_into(qtbot, override, "Clinician's PIN", LEGACY_PIN)
    click(qtbot, override, "Override")
    dialog = new_pin_dialog()

    clock.advance(minutes=5)
    tick(qtbot, window)

    assert window.locked and not dialog.isVisible() and not override.isVisible()
    dialog.pin.setText(OTHER_PIN)  # a reference kept to the closed dialog saves nothing
    dialog.repeat.setText(OTHER_PIN)
    assert dialog.save() is not None
    assert "PIN changed" not in actions(desk)
    assert desk.sessions.session(session_id).events[-1].kind is not EventKind.OVERRIDE


def test_enter_pressed_twice_on_the_lock_screen_counts_one_wrong_pin(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    window.set_staff(nurse)
    settle(qtbot)
    window.lock_action.trigger()
    sign_in(qtbot, window, "Ann Nurse", WRONG_PIN)
    qtbot.keyClick(find(window, QLineEdit, "PIN"), Qt.Key.Key_Return)

    assert actions(desk).count("PIN failed") == 1
    assert "Type your PIN." in visible_texts(window)


def test_a_clinicians_4_digit_pin_on_an_override_asks_for_a_new_one_then_the_override_is_saved(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clinician: Staff
) -> None:
    give_legacy_pin(clinician)
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00012", nurse.id)
    session_id = desk.sessions.start_session(patient.id, nurse.id).id
    tick_all(desk, session_id, {**SIGN_IN, "skin_type": {"fitzpatrick": "V"}}, nurse.id)
    window.set_staff(nurse)
    settle(qtbot)
    window.show_session(session_id)
    settle(qtbot)  # the session is read on the database worker
    click(qtbot, window, "Override: Fitzpatrick skin type and test patch")
    override = open_dialog()
    click(qtbot, override, "Dr Clive Doctor (CD)")
    write_in_dialog(override, "Test patch healed without pigment change")
    type_into(qtbot, override, "Clinician's PIN", LEGACY_PIN)
    click(qtbot, override, "Override")
    assert "Dr Clive Doctor's PIN has only 4 digits" in visible_texts(override)
    assert desk.sessions.session(session_id).events[-1].kind is not EventKind.OVERRIDE

    choose_new_pin(qtbot, new_pin_dialog(), OTHER_PIN)
    assert not override.isVisible()  # the override went on with the new PIN
    assert desk.sessions.session(session_id).events[-1].kind is EventKind.OVERRIDE
    assert actions(desk)[-3:-1] == ["PIN changed", "PIN accepted"]


def test_sign_and_lock_with_two_4_digit_pins_asks_each_signer_for_a_new_one_then_signs(
    qtbot: QtBot,
    window: MainWindow,
    desk: Desk,
    clock: ManualClock,
    admin: Staff,
    nurse: Staff,
    clinician: Staff,
) -> None:
    give_legacy_pin(nurse)
    give_legacy_pin(clinician)
    desk.clinic.update_clinic_details(
        replace(desk.clinic.clinic_details(), countersignature_required=True), admin.id
    )
    session_id = start_session(desk, nurse)
    at_laser(desk, clock, session_id, nurse)
    tick_all(desk, session_id, {**LASER, **SIGN_OUT}, nurse.id)
    show(qtbot, window, nurse, session_id)
    click(qtbot, window, "Sign and lock: Operator signs; the record locks")
    signing = open_dialog()
    type_into(qtbot, signing, "Ann Nurse's PIN", LEGACY_PIN)
    type_into(qtbot, signing, "Countersigning clinician's PIN", LEGACY_PIN)
    click(qtbot, signing, "Sign and lock")
    assert "Ann Nurse's PIN has only 4 digits" in visible_texts(new_pin_dialog())

    choose_new_pin(qtbot, new_pin_dialog(), PIN)  # then the clinician's turn, the nurse's PIN kept
    assert "Dr Clive Doctor's PIN has only 4 digits" in visible_texts(signing)
    assert desk.sessions.sessions_in_progress() != []
    choose_new_pin(qtbot, new_pin_dialog(), OTHER_PIN)
    assert not signing.isVisible() and desk.sessions.sessions_in_progress() == []
    signed = desk.sessions.session(session_id).events[-1].values
    assert (signed["signature"]["name"], signed["countersignature"]["name"]) == (
        "Ann Nurse",
        "Dr Clive Doctor",
    )
    assert desk.accounts.confirm_pin(clinician.id, OTHER_PIN, "switch staff") == clinician
