"""The patient page's consents: listed as signed, withdrawn with a reason (a recorded event, the
signed consent kept), signed again outside a session, and printed as their own document."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QPushButton
from pytestqt.qtbot import QtBot

from desk_app.domain.consent import Signature
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui.consent_dialog import PHOTOS_AGREED
from desk_app.ui.main_window import MainWindow
from desk_app.ui.printing import PrintDialog
from tests.gui.a11y import activate, control_name, tab_walk, unheard
from tests.gui.nurse import click, find, open_dialog, settle, the_one, visible_texts, write_in_dialog
from tests.gui.test_consent_signing import A_SIGNATURE, save, sign_on
from tests.support.people import PIN

SIGN_AGAIN = "Read and sign the consent…"
STROKES = (((30.0, 120.0, 0), (80.0, 60.0, 40), (130.0, 130.0, 80), (260.0, 110.0, 120)),)


def signed_consent_for(desk: Desk, nurse: Staff) -> int:
    """Zoë, with a consent signed at the desk (no session), witnessed by the nurse."""
    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    form = desk.consents.current_form()
    desk.consents.sign(patient.id, None, form.version, Signature(STROKES, 560, 180), False, nurse.id, PIN)
    return patient.id


def consents_box(qtbot: QtBot, window: MainWindow, nurse: Staff, patient_id: int) -> QGroupBox:
    window.set_staff(nurse)
    settle(qtbot)
    window.show_patient(patient_id)
    settle(qtbot)
    return the_one(window, QGroupBox, lambda box: box.title() == "Consents", "titled Consents")


def test_a_withdrawn_consent_shows_withdrawn_with_who_and_why(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    patient_id = signed_consent_for(desk, nurse)
    version = desk.consents.current_form().version
    box = consents_box(qtbot, window, nurse, patient_id)
    line = f"Signed 25 Nov 2026 09:00 · form {version} · photos: no · witnessed by Ann Nurse · In force"
    assert line in visible_texts(box)
    assert unheard(box) == []
    activate(qtbot, window)
    walked = [control_name(w) for w in tab_walk(qtbot, find(box, QPushButton, SIGN_AGAIN), limit=3)]
    assert walked == [
        SIGN_AGAIN,
        "Withdraw consent signed 25 Nov 2026 09:00",
        "Print consent signed 25 Nov 2026 09:00",
        "Back to patients",
    ]

    click(qtbot, box, "Withdraw consent signed 25 Nov 2026 09:00")
    dialog = open_dialog()
    write_in_dialog(dialog, "Patient changed her mind about the treatment")
    click(qtbot, dialog, "Withdraw consent")

    assert not dialog.isVisible()
    shown = visible_texts(box)
    assert "In force" not in shown
    assert "WITHDRAWN 25 Nov 2026 09:00 by Ann Nurse: Patient changed her mind about the treatment" in shown
    (consent,) = desk.consents.consents_of(patient_id)
    assert not consent.in_force and desk.consents.consent_in_force(patient_id) is None
    buttons = [b.accessibleName() or b.text() for b in box.findChildren(QPushButton) if b.isVisible()]
    assert buttons == [SIGN_AGAIN, "Print consent signed 25 Nov 2026 09:00"]


def test_after_a_withdrawal_the_patient_signs_again_from_the_patient_page(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    patient_id = signed_consent_for(desk, nurse)
    (first,) = desk.consents.consents_of(patient_id)
    desk.consents.withdraw(first.id, "Wanted to think it over", nurse.id)
    box = consents_box(qtbot, window, nurse, patient_id)

    click(qtbot, box, SIGN_AGAIN)
    dialog = open_dialog()
    click(qtbot, dialog, PHOTOS_AGREED)
    sign_on(dialog.pad, *A_SIGNATURE)
    save(qtbot, dialog, PIN, nurse)

    assert not dialog.isVisible()
    in_force = desk.consents.consent_in_force(patient_id)
    assert in_force is not None and in_force.session_id is None and in_force.photos_allowed
    shown = visible_texts(box)
    assert "Consent signed." in shown and "photos: yes" in shown and "WITHDRAWN" in shown


def test_a_consent_prints_as_its_own_document(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff
) -> None:
    patient_id = signed_consent_for(desk, nurse)
    box = consents_box(qtbot, window, nurse, patient_id)

    click(qtbot, box, "Print consent signed 25 Nov 2026 09:00")

    dialog = open_dialog()
    assert isinstance(dialog, PrintDialog)
    assert dialog.page_count() >= 1
