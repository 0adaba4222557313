"""Every dialog by keyboard and by ear on a small screen (issue 18): Tab goes in the order the dialog
reads (the override once went reason, Override, Cancel, clinician, PIN), each fits 1280x641 with its
buttons in view, every shown word is heard, Enter on Cancel never throws away a typed reason, and a
saved PDF is said in green, a refusal in red."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from desk_app.app import load_style
from desk_app.domain.clinic import LABELS, DocumentKind
from desk_app.domain.devices import FIELDS
from desk_app.domain.people import Role, Staff
from desk_app.reports.documents import document_for
from desk_app.reports.export import audit_anchor
from desk_app.store.desk import Desk
from desk_app.ui.clinic_dialog import ClinicDetailsDialog, read_clinic_settings
from desk_app.ui.db_worker import DatabaseWorker
from desk_app.ui.devices_page import DeviceDialog
from desk_app.ui.dialogs import (
    AmendmentDialog,
    ClearStopDialog,
    OverrideDialog,
    ReasonDialog,
    SignDialog,
    StopTreatmentDialog,
)
from desk_app.ui.form_dialog import KEEP
from desk_app.ui.formatting import LOCAL_FORMATS
from desk_app.ui.pre_use_check_dialog import NOTE_NAME, PreUseCheckDialog
from desk_app.ui.printing import Anchor, PrintDialog
from desk_app.ui.staff_admin import CredentialsDialog, LaserAuthorisationDialog, RenameDialog
from desk_app.ui.tab_order import reading_order
from tests.gui.a11y import SMALL_SCREENS, activate, control_name, fully_visible, tab_walk, unheard
from tests.gui.alone import context_alone
from tests.gui.nurse import type_text
from tests.support.lasers import register_test_laser

SMALLEST = SMALL_SCREENS["1920x1080 at 150%"]  # 1280x641


def refused(*_args: object) -> str:
    return "Refused by the test."


def _override(parent: QWidget, people: People) -> QDialog:
    return OverrideDialog(parent, "Skin type", ["Skin type V"], [people.clinician], None, refused)


def _crowded_override(parent: QWidget, people: People) -> QDialog:
    """A big clinic's override: many clinicians and risks, more than a small screen holds."""
    clinicians = [Staff(100 + n, f"Dr Locum {n}", f"L{n}", Role.CLINICIAN) for n in range(12)]
    flags = [f"Risk number {n}: a sentence long enough to take a line of its own" for n in range(8)]
    return OverrideDialog(parent, "Skin type", flags, clinicians, None, refused)


def _clear_stop(parent: QWidget, people: People) -> QDialog:
    return ClearStopDialog(parent, "Toxicity check", ["Numb lips"], [people.clinician], None, refused)


def _note(parent: QWidget, people: People) -> QDialog:
    return ReasonDialog(parent, "Note on the session", "Write the note.", refused)


def _print_preview(parent: QWidget, people: People) -> QDialog:
    desk = people.desk
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00012", people.nurse.id)
    document = document_for(desk, DocumentKind.PATIENT_HISTORY, patient.id, desk.clock.now(), LOCAL_FORMATS)
    worker = DatabaseWorker(desk.db, desk.clock, parent)  # the print log is written on it
    return PrintDialog(parent, desk, desk.clock, people.nurse, document, worker, Anchor(audit_anchor(desk)))


def _pre_use_check(parent: QWidget, people: People) -> QDialog:
    use = people.desk.device_checks.device_use(register_test_laser(people.desk))
    worker = context_alone(people.desk, people.nurse, parent).worker
    return PreUseCheckDialog(
        parent, people.desk, worker, use, people.nurse, lambda _check: None, lambda _words: None
    )


CLINIC_FIELDS = ("name", "address", "contact_line", "out_of_hours_line", "paper", "idle_lock_minutes")
BUTTONS = ["Save", "Cancel"]
# Each dialog, and the names Tab reaches in it from its first control.
DIALOGS: dict[str, tuple[Callable[[QWidget, People], QDialog], Callable[[People], list[str]]]] = {
    "override": (
        _override,
        lambda p: ["Override: Skin type", "Dr Clive Doctor (CD)", "Clinician's PIN", "Override", "Cancel"],
    ),
    "override, many clinicians": (
        _crowded_override,
        lambda p: ["Override: Skin type", "Dr Locum 0 (L0)", "Clinician's PIN", "Override", "Cancel"],
    ),
    "clear stop": (
        _clear_stop,
        lambda p: [
            "Clear the stop: Toxicity check",
            "Dr Clive Doctor (CD)",
            "Clinician's PIN",
            "Clear the stop",
            "Cancel",
        ],
    ),
    "note or correction": (_note, lambda p: ["Note on the session", *BUTTONS]),
    "stop treatment": (
        lambda parent, p: StopTreatmentDialog(parent, True, refused),
        lambda p: [
            "Stop treatment",
            "The gel has been removed and the skin cleansed",
            "Stop treatment",
            "Cancel",
        ],
    ),
    "amendment": (
        lambda parent, p: AmendmentDialog(parent, [("consent", "Consent")], refused),
        lambda p: ["Add amendment", "About", "Why it is amended", "Add amendment", "Cancel"],
    ),
    "sign and countersign": (
        lambda parent, p: SignDialog(parent, p.nurse, "I did this", [p.clinician], refused),
        lambda p: [
            "Ann Nurse's PIN",
            "Clinician who countersigns",
            "Countersigning clinician's PIN",
            "Sign and lock",
            "Cancel",
        ],
    ),
    "print preview": (
        _print_preview,
        lambda p: ["Include photos", "Print preview", "Print…", "Save as PDF…", "Close"],
    ),
    "clinic details": (
        lambda parent, p: ClinicDetailsDialog(
            parent, context_alone(p.desk, p.admin, parent), p.admin, read_clinic_settings(p.desk)
        ),
        lambda p: [
            *(LABELS[field] for field in CLINIC_FIELDS),
            LABELS["countersignature_required"],
            LABELS["backup_folder"],
            *BUTTONS,
        ],
    ),
    "pre-use check": (
        _pre_use_check,
        lambda p: [
            *(f"{item.label}: Passed" for item in p.desk.pre_use_checklist.items),
            NOTE_NAME,
            "Record the check",
            "Cancel",
        ],
    ),
    "staff password and PIN": (
        lambda parent, p: CredentialsDialog(parent, p.nurse, refused),
        lambda p: ["New password", "New password again", "New PIN", *BUTTONS],
    ),
    "staff name": (
        lambda parent, p: RenameDialog(parent, p.nurse, refused),
        lambda p: ["New full name", "New initials", *BUTTONS],
    ),
    "laser authorisation": (
        lambda parent, p: LaserAuthorisationDialog(parent, p.nurse, refused),
        lambda p: ["Date trained", "Authorised until", *BUTTONS],
    ),
    "device": (
        lambda parent, p: DeviceDialog(parent, None, refused),
        lambda p: [*(field.label for field in FIELDS), *BUTTONS],
    ),
}


@dataclass
class People:
    desk: Desk
    admin: Staff
    nurse: Staff
    clinician: Staff
    window: QWidget  # the dialogs' parent


@pytest.fixture
def people(
    qtbot: QtBot, qapp: QApplication, desk: Desk, admin: Staff, nurse: Staff, clinician: Staff
) -> People:
    load_style(qapp)
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    return People(desk, admin, nurse, clinician, window)


def opened(qtbot: QtBot, name: str, people: People) -> QDialog:
    dialog = DIALOGS[name][0](people.window, people)
    dialog.open()
    qtbot.waitExposed(dialog)
    QApplication.processEvents()  # sized to its content once styled
    return dialog


@pytest.mark.parametrize("name", DIALOGS)
def test_tab_goes_through_each_dialog_in_the_order_it_reads(qtbot: QtBot, people: People, name: str) -> None:
    dialog = opened(qtbot, name, people)
    activate(qtbot, dialog)
    walked = [control_name(widget) for widget in tab_walk(qtbot, reading_order(dialog)[0])]
    assert walked == DIALOGS[name][1](people)


@pytest.mark.parametrize("name", DIALOGS)
def test_each_dialog_fits_1280_by_641_and_every_word_is_heard(
    qtbot: QtBot, people: People, name: str
) -> None:
    dialog = opened(qtbot, name, people)
    dialog.resize(min(dialog.width(), SMALLEST[0]), min(dialog.sizeHint().height(), SMALLEST[1]))
    QApplication.processEvents()
    assert dialog.width() <= SMALLEST[0] and dialog.height() <= SMALLEST[1], (
        f"{name} needs {dialog.minimumSizeHint().width()}x{dialog.minimumSizeHint().height()}"
    )
    buttons = [button for button in dialog.findChildren(QPushButton) if button.isVisible()]
    assert buttons and all(fully_visible(button) for button in buttons), "a button is off screen"
    assert unheard(dialog) == []


def test_enter_on_cancel_keeps_a_typed_reason(qtbot: QtBot, people: People) -> None:
    dialog = opened(qtbot, "override", people)
    activate(qtbot, dialog)
    type_text(dialog.text, "Test patch healed well")
    cancel = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Cancel")
    cancel.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(cancel, Qt.Key.Key_Return)
    (question,) = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert question.defaultButton().text() == KEEP
    qtbot.keyClick(question, Qt.Key.Key_Return)  # Enter again: kept
    assert dialog.isVisible() and dialog.text.toPlainText() == "Test patch healed well"

    dialog.text.clear()  # nothing typed: Cancel closes at once
    qtbot.keyClick(cancel, Qt.Key.Key_Return)
    assert not dialog.isVisible()


def test_the_title_bars_close_button_asks_before_dropping_a_typed_reason(
    qtbot: QtBot, people: People
) -> None:
    dialog = opened(qtbot, "override", people)
    type_text(dialog.text, "Test patch healed well")
    dialog.windowHandle().close()  # as the title bar's close button does, through the window system
    (question,) = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert question.defaultButton().text() == KEEP
    qtbot.keyClick(question, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.text.toPlainText() == "Test patch healed well"


def test_a_saved_pdf_is_said_in_green_and_a_refusal_in_red(
    qtbot: QtBot, people: People, tmp_path: Path
) -> None:
    dialog = opened(qtbot, "print preview", people)
    dialog.save_as_pdf(str(tmp_path / "history.pdf"))
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Saved history.pdf ("))  # made on a thread
    assert dialog.message.property("tone") == "done"
    dialog.save_as_pdf(str(tmp_path / "no such folder" / "history.pdf"))
    qtbot.waitUntil(lambda: not dialog.pdf_job.running())  # checked on the thread, before it is made
    assert dialog.message.text().endswith("does not exist.")
    assert dialog.message.property("tone") == "error"
