"""A nurse's whole morning on a new database, from the first start to a signed-out session."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QLineEdit, QTableWidget, QTextBrowser

from desk_app.store.desk import Desk
from desk_app.store.models import EventRow
from desk_app.ui.home_page import CONFIRM_START
from desk_app.ui.main_window import MainWindow
from tests.gui.nurse import (
    card,
    click,
    described_text,
    find,
    label_text,
    open_dialog,
    open_pause_point,
    sign_in,
    type_into,
    visible_texts,
    write_in_dialog,
)
from tests.support.people import OTHER_PIN, PIN, WRONG_PIN

LASER_DETAILS = {
    "Make": "Fotona",
    "Model": "SP Dynamis",
    "Serial number": "SP-1",
    "Wavelengths (nm)": "2940",
    "Eyewear marking": "D 2940 LB5",
    "Laser Protection Adviser (LPA)": "Dr Lisa Adviser",
    "Next service date": "01/06/2027",
}


def fill_staff_form(qtbot, window: MainWindow, name: str, initials: str, password: str, pin: str) -> None:  # noqa: ANN001
    type_into(qtbot, window, "Full name", name)
    type_into(qtbot, window, "Initials", initials)
    type_into(qtbot, window, "Password", password)
    type_into(qtbot, window, "Password again", password)
    type_into(qtbot, window, "PIN", pin)


def add_staff(qtbot, window: MainWindow, name: str, initials: str, role: str, pin: str) -> None:  # noqa: ANN001
    fill_staff_form(qtbot, window, name, initials, f"{initials} password", pin)
    click(qtbot, window, f"Role: {role}")
    click(qtbot, window, "Add member of staff")
    assert f"{name} was added." in visible_texts(window)


def confirm(qtbot, window: MainWindow, label: str, action: str = "Confirm") -> None:  # noqa: ANN001
    click(qtbot, window, f"{action}: {label}")
    # The card may have scrolled out of view as the checklist moved on; read its status anyway.
    status = [w for w in window.findChildren(QLabel) if w.accessibleDescription() == f"Status of {label}"]
    assert "✓ Done" in status[0].text()


def test_first_start_to_sign_out_by_clicking(qtbot, window: MainWindow, desk: Desk, clock) -> None:  # noqa: ANN001
    # First start: no staff yet, so the app asks for the administrator, who adds the others.
    assert "Welcome to Treatment Desk" in visible_texts(window)
    fill_staff_form(qtbot, window, "Mo Manager", "MM", "manager password", PIN)
    click(qtbot, window, "Create administrator")
    assert "At the desk: Mo Manager (MM)" in window.staff_label.text()
    window.staff_action.trigger()
    add_staff(qtbot, window, "Ann Nurse", "AN", "nurse", PIN)
    add_staff(qtbot, window, "Clive Doctor", "CD", "clinician", OTHER_PIN)
    # Ann did the laser safety course this month: the administrator authorises her to use the laser.
    click(qtbot, window, "Grant the laser authorisation of Ann Nurse")
    dialog = open_dialog()
    type_into(qtbot, dialog, "Date trained", "02/11/2026")
    type_into(qtbot, dialog, "Authorised until", "01/11/2027")
    click(qtbot, dialog, "Save")
    # The clinic's laser, as its local rules list it.
    window.devices_action.trigger()
    click(qtbot, window, "Register a device…")
    dialog = open_dialog()
    for name, text in LASER_DETAILS.items():
        type_into(qtbot, dialog, name, text)
    find(dialog, QComboBox, "Laser class").setCurrentText("Class 4")
    click(qtbot, dialog, "Save")
    table = find(window, QTableWidget, "Laser devices")
    assert table.item(0, table.columnCount() - 1).text() == "Not checked today"
    window.sign_out_action.trigger()
    sign_in(qtbot, window, "Ann Nurse", "AN password")
    assert "At the desk: Ann Nurse (AN)" in window.staff_label.text()

    # Before its first use today, Ann checks the laser, item by item.
    assert "Not checked today: the Fotona SP Dynamis (serial SP-1)" in visible_texts(window)
    click(qtbot, window, "Do the pre-use check: Fotona SP Dynamis (serial SP-1)")
    dialog = open_dialog()
    for item in desk.pre_use_checklist.items:
        click(qtbot, dialog, f"{item.label}: Passed")
    click(qtbot, dialog, "Record the check")
    assert not dialog.isVisible()
    assert "Not checked today" not in visible_texts(window)

    # Register a patient with an accent and an apostrophe, then start her session.
    type_into(qtbot, window, "First names", "Zoë")
    type_into(qtbot, window, "Surname", "O'Brien")
    type_into(qtbot, window, "Date of birth", "03/02/1990")
    type_into(qtbot, window, "Clinic number", "AZ-00001")
    click(qtbot, window, "Register patient")
    click(qtbot, window, "Start session")
    click(qtbot, open_dialog(), CONFIRM_START)  # the new patient, chosen: her name, birth and number
    assert label_text(window, "Zoë O'Brien")

    # Sign-in. Skin type V flags a risk: the anaesthetic stays locked until a clinician overrides.
    click(qtbot, window, "Second identifier checked: Date of birth")
    confirm(qtbot, window, "Identity confirmed with two identifiers")
    type_into(qtbot, window, "Consent form version", "CF-LASER v3")
    confirm(qtbot, window, "Consent form signed")
    assert described_text(window, "Course: Time since the last session checked") == "First session"
    confirm(qtbot, window, "Time since the last session checked")
    click(qtbot, window, "Skin type: V")
    type_into(qtbot, window, "Test patch done on", "11/11/2026")
    click(qtbot, window, "Test patch result: No reaction")
    click(qtbot, window, "Save: Fitzpatrick skin type and test patch")
    assert "Needs a clinician's decision" in described_text(
        window, "Status of Fitzpatrick skin type and test patch"
    )
    click(qtbot, window, "Isotretinoin taken: Never")
    click(qtbot, window, "Cold sores, and antiviral: No history of cold sores")
    confirm(qtbot, window, "Isotretinoin and cold sores", "Save")
    contraindications = card(window, "Contraindications checked")
    assert "No allergies recorded at registration" in visible_texts(contraindications)
    for question in (
        "Pregnant or breastfeeding",
        "Active infection or open lesions in the area",
        "Sun exposure or tan in the last 4 weeks",
        "Allergy to local anaesthetic",
        "Keloid or raised (hypertrophic) scars, ever",
        "Medicines that make the skin sensitive to light (doxycycline, St John's wort, retinoid creams)",
        "Blood thinners (warfarin, apixaban, rivaroxaban, clopidogrel, daily aspirin)",
        "Peel, filler or laser in the area in the last 4 weeks",
    ):
        click(qtbot, contraindications, f"{question}: No")
    confirm(qtbot, window, "Contraindications checked", "Save")
    click(qtbot, window, "Before-photos: Taken")
    confirm(qtbot, window, "Before-photos", "Save")

    open_pause_point(qtbot, window, "Anaesthetic")
    assert not find(window, QAbstractButton, "Confirm: Gel kept clear of the eyes").isEnabled()
    assert "flags a risk" in visible_texts(window)

    open_pause_point(qtbot, window, "Sign-in")
    click(qtbot, window, "Override: Fitzpatrick skin type and test patch")
    dialog = open_dialog()
    click(qtbot, dialog, "Clive Doctor (CD)")
    write_in_dialog(dialog, "Test patch healed without pigment change")
    type_into(qtbot, dialog, "Clinician's PIN", OTHER_PIN)
    click(qtbot, dialog, "Override")
    # Sign-in is now complete, so the checklist moves on to the anaesthetic by itself.
    assert find(window, QAbstractButton, "Confirm: Gel kept clear of the eyes").isEnabled()
    open_pause_point(qtbot, window, "Sign-in")
    assert "Overridden" in described_text(window, "Status of Fitzpatrick skin type and test patch")
    assert "Test patch healed without pigment change" in visible_texts(window)
    open_pause_point(qtbot, window, "Anaesthetic")

    # Anaesthetic: ticking "gel applied" starts the one-hour countdown.
    click(qtbot, window, "Product: LMX4 lidocaine 4% cream")
    type_into(qtbot, window, "Amount applied", "8")
    click(qtbot, window, "Covered with cling film or dressing: No")
    confirm(qtbot, window, "Anaesthetic product, amount and cover", "Save")
    click(qtbot, window, "Areas: Cheeks")
    click(qtbot, window, "Areas: Forehead")
    confirm(qtbot, window, "Areas painted", "Save")
    confirm(qtbot, window, "Gel kept clear of the eyes")
    confirm(qtbot, window, "Gel applied: start the countdown")
    assert described_text(window, "Gel countdown") == "1:00:00"

    # Twenty minutes pass in no time; the page's timer slot recomputes from the stored instant.
    clock.advance(minutes=20)
    window.checklist_page.refresh()
    assert described_text(window, "Gel countdown") == "40:00"
    open_pause_point(qtbot, window, "Time-out")
    assert "still working" in visible_texts(window)
    clock.advance(minutes=40)
    window.checklist_page.refresh()
    assert "Ready for the laser room" in described_text(window, "Gel status")

    # Time-out, in the laser room.
    confirm(qtbot, window, "Patient identity read back")
    confirm(qtbot, window, "Gel removed, skin cleansed and dry")
    toxicity = card(window, "Anaesthetic toxicity check")
    for question in (
        "Numb lips or tongue",
        "Metallic taste",
        "Dizzy or light-headed",
        "Ringing in the ears",
        "Blurred vision",
    ):
        click(qtbot, toxicity, f"{question}: No")
    confirm(qtbot, window, "Anaesthetic toxicity check", "Save")
    click(qtbot, window, "Eye protection: External eye shields")
    confirm(qtbot, window, "Patient eye shields or glasses on", "Save")
    eyewear = card(window, "Laser chosen; staff eyewear matches its marking")
    assert find(eyewear, QComboBox, "Laser device").currentText() == "Fotona SP Dynamis (serial SP-1)"
    assert "Eyewear marking to check on every pair: D 2940 LB5" in visible_texts(eyewear)
    confirm(qtbot, window, "Laser chosen; staff eyewear matches its marking")
    click(qtbot, window, "Cool air blower: Accepted")
    confirm(qtbot, window, "Cool air blower offered", "Save")
    confirm(qtbot, window, "Device and planned settings read back")

    # Laser: a setting outside the defined range is refused and nothing is saved.
    fractional = card(window, "Fractional pass")
    assert find(fractional, QComboBox, "Laser device").currentText() == "Fotona SP Dynamis (serial SP-1)"
    type_into(qtbot, fractional, "Energy per pulse", "400")
    type_into(qtbot, fractional, "Density", "20")
    type_into(qtbot, fractional, "Passes", "2")
    click(qtbot, fractional, "Areas treated: Cheeks")
    events_before = EventRow.select().count()
    click(qtbot, fractional, "Save pass: Fractional pass")
    assert "between 1.0 and 300.0 mJ" in visible_texts(fractional)
    assert EventRow.select().count() == events_before
    type_into(qtbot, fractional, "Energy per pulse", "40")
    confirm(qtbot, window, "Fractional pass", "Save pass")

    full_beam = card(window, "Full-beam pass, 7 mm beam")
    assert find(full_beam, QLineEdit, "Beam width").text() == "7"
    type_into(qtbot, full_beam, "Fluence", "5.5")
    type_into(qtbot, full_beam, "Passes", "1")
    click(qtbot, full_beam, "Areas treated: Cheeks")
    confirm(qtbot, window, "Full-beam pass, 7 mm beam", "Save pass")
    click(qtbot, window, "Response: Expected redness")
    confirm(qtbot, window, "Immediate skin response", "Save")
    click(qtbot, window, "Adverse events: None")
    confirm(qtbot, window, "Adverse events", "Save")

    # Sign-out: the operator's signature locks the session and shows the summary.
    click(qtbot, window, "Tube for home: Sold")
    confirm(qtbot, window, "Stratamed applied", "Save")
    confirm(qtbot, window, "Aftercare explained")
    assert find(window, QLineEdit, "Sessions planned in the course").text() == "3"
    type_into(qtbot, window, "Next session on or after", "06/01/2027")
    confirm(qtbot, window, "Next session planned", "Save")
    click(qtbot, window, "Sign and lock: Operator signs; the record locks")
    dialog = open_dialog()
    assert "I performed this treatment as recorded here" in visible_texts(dialog)
    type_into(qtbot, dialog, "Ann Nurse's PIN", WRONG_PIN)
    click(qtbot, dialog, "Sign and lock")
    assert "Wrong PIN" in visible_texts(dialog)  # nothing signed: the record is still open
    assert desk.sessions.sessions_in_progress() != []
    type_into(qtbot, dialog, "Ann Nurse's PIN", PIN)
    click(qtbot, dialog, "Sign and lock")

    summary = find(window, QTextBrowser, "Session summary").toPlainText()
    assert "Status: Signed out and locked" in summary
    assert "Zoë O'Brien" in summary
    assert "Test patch healed without pigment change" in summary
    assert "Energy per pulse: 40.0 mJ" in summary
    assert "Beam width: 7 mm" in summary
    assert desk.sessions.sessions_in_progress() == []
