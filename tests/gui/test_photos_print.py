"""A patient's printed history has her photos only when the nurse asks (issue 21 point 2): Include
photos, off by default, adds them (her look audited) and taking it off leaves them out again."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage, QPainter, QTextDocument
from PySide6.QtWidgets import QCheckBox, QPushButton

from desk_app.domain.clinic import DocumentKind, checked_clinic_details
from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.reports.documents import document_for
from desk_app.store.desk import Desk
from desk_app.ui.formatting import LOCAL_FORMATS
from desk_app.ui.main_window import MainWindow
from tests.gui.nurse import click, find, settle
from tests.gui.photo_shots import COLOURS, photographed_course, share_of
from tests.gui.test_database_worker import Stall
from tests.gui.test_patient_screens import open_patient_page
from tests.gui.test_photos_patient import looks
from tests.gui.test_printing import CONTACT, OUT_OF_HOURS, print_dialog
from tests.support.people import administrator


def printed(html: str) -> QImage:
    """The history's HTML laid out and painted as the pages are (images read from their data URLs)."""
    text = QTextDocument()
    text.setHtml(html)
    text.setTextWidth(800)
    page = QImage(800, int(text.size().height()), QImage.Format.Format_RGB32)
    page.fill(0xFFFFFF)
    painter = QPainter(page)
    text.drawContents(painter)
    painter.end()
    return page


def test_photos_are_printed_in_the_history_only_when_asked(
    qtbot,
    window: MainWindow,
    desk: Desk,
    clock: ManualClock,
    nurse: Staff,  # noqa: ANN001
) -> None:
    photographed_course(desk, clock, nurse)
    open_patient_page(qtbot, window, nurse, "O'Brien")
    click(qtbot, window, "Print history…")
    dialog = print_dialog()
    box = find(dialog, QCheckBox, "Include photos")
    assert not box.isChecked()
    assert "<img" not in dialog.document.html and looks() == []

    click(qtbot, dialog, "Include photos")
    assert dialog.document.html.count("<img") == 5
    assert "Session 2, " in dialog.document.html and "<h2" in dialog.document.html
    assert [look["size"] for look in looks()] == ["thumbnails"]
    assert share_of(printed(dialog.document.html), COLOURS["front"]) > 0.005

    click(qtbot, dialog, "Include photos")
    assert "<img" not in dialog.document.html
    assert len(looks()) == 1  # leaving them out reads none


def test_nothing_prints_while_the_history_is_built_again_without_its_photos(
    qtbot,
    window: MainWindow,
    desk: Desk,
    clock: ManualClock,
    nurse: Staff,  # noqa: ANN001
) -> None:
    """Print… or Save as PDF… pressed meanwhile would send the pages of before, photos and all."""
    photographed_course(desk, clock, nurse)
    open_patient_page(qtbot, window, nurse, "O'Brien")
    click(qtbot, window, "Print history…")
    dialog = print_dialog()
    click(qtbot, dialog, "Include photos")
    stall = Stall(window.worker)
    try:
        find(dialog, QCheckBox, "Include photos").click()  # left out again, behind a slow database
        sending = [find(dialog, QPushButton, name) for name in ("Print…", "Save as PDF…")]
        assert [button.isEnabled() for button in sending] == [False, False]
    finally:
        stall.resume()
    settle(qtbot)
    assert [button.isEnabled() for button in sending] == [True, True]
    assert "<img" not in dialog.document.html


@pytest.mark.parametrize("kind", [DocumentKind.AFTERCARE_SHEET, DocumentKind.SESSION_RECORD])
def test_the_aftercare_sheet_and_the_session_record_never_carry_photos(
    desk: Desk, clock: ManualClock, nurse: Staff, kind: DocumentKind
) -> None:
    """The patient takes the aftercare sheet home: no photo of her face goes with it, even when the
    one printing it could see them."""
    lines = checked_clinic_details("Azure Medical", "", CONTACT, "A4", out_of_hours_line=OUT_OF_HOURS)
    desk.clinic.update_clinic_details(lines, administrator(desk).id)  # the sheet says whom to call
    patient_id = photographed_course(desk, clock, nurse)
    first = next(s for s in desk.sessions.patient_history(patient_id).sessions if s.session_number == 1)
    assert desk.photos.photos_of_session(first.id)  # photographed, and signed out
    document = document_for(desk, kind, first.id, clock.now(), LOCAL_FORMATS, photos_seen_by=nurse.id)
    assert "<img" not in document.html and "data:image" not in document.html
    assert looks() == []  # nor looked at
