"""A patient's photos on her page as a nurse sees them (issue 21 points 2 and 3): nothing until she
presses Show photos (the look audited), then the grid, each photo full size when pressed, and one
view across the course side by side."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.audit_actions import PHOTOS_VIEWED
from desk_app.store.desk import Desk
from desk_app.store.models import AuditLog
from desk_app.ui.main_window import MainWindow
from desk_app.ui.photo_dialogs import CourseComparison, PhotoViewer
from desk_app.ui.photo_widgets import PhotoTile
from tests.gui.a11y import unheard
from tests.gui.nurse import click, find, open_dialog, type_into, visible_texts
from tests.gui.photo_shots import (
    COLOURS,
    fits_small_screens,
    painted,
    photographed_course,
    settle_photos,
    share_of,
)
from tests.gui.test_patient_screens import open_patient_page

FRONT_BEFORE_1 = "Front, before, session 1, 25 Nov 2026"
FRONT_BEFORE_2 = "Front, before, session 2, 30 Dec 2026"


def looks() -> list[dict]:
    """Who saw which photos, as the audit trail says."""
    return [json.loads(row.detail) for row in AuditLog.select().where(AuditLog.action == PHOTOS_VIEWED)]


def tiles(window: MainWindow) -> list[str]:
    return [tile.accessibleName() for tile in window.findChildren(PhotoTile) if tile.isVisible()]


@pytest.fixture
def page(qtbot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff) -> MainWindow:  # noqa: ANN001
    photographed_course(desk, clock, nurse)
    open_patient_page(qtbot, window, nurse, "O'Brien")
    return window


def test_no_photo_shows_until_the_nurse_asks_and_her_look_is_audited(qtbot, page: MainWindow) -> None:  # noqa: ANN001
    assert tiles(page) == [] and looks() == []
    assert find(page, QLabel, "Photos are shown only when you ask; who opens them is recorded.")
    click(qtbot, page, "Show photos")
    assert len(tiles(page)) == 5
    assert FRONT_BEFORE_1 in tiles(page) and FRONT_BEFORE_2 in tiles(page)
    assert [look["size"] for look in looks()] == ["thumbnails"]
    assert len(looks()[0]["photos"]) == 5
    front = find(page, QAbstractButton, FRONT_BEFORE_1)
    assert share_of(painted(front), COLOURS["front"]) > 0.3
    assert find(page, QLabel, "5 photos from 2 sessions. Press a photo to see it full size.")
    assert unheard(page.patient_page.photos) == []
    click(qtbot, page, "Hide photos")
    assert tiles(page) == []
    click(qtbot, page, "Show photos")
    click(qtbot, page, "Back to patients")  # leaving the page takes the photos with it
    type_into(qtbot, page, "Search all patients", "O'Brien")
    qtbot.keyClick(find(page, QLineEdit, "Search all patients"), Qt.Key.Key_Down)
    click(qtbot, page, "Open patient")
    assert tiles(page) == [] and page.patient_page.photos.grid.tiles == []
    find(page, QAbstractButton, "Show photos")
    assert len(looks()) == 2


def test_a_photo_pressed_opens_full_size_audited(qtbot, page: MainWindow) -> None:  # noqa: ANN001
    click(qtbot, page, "Show photos")
    tile = find(page, QAbstractButton, FRONT_BEFORE_2)
    tile.setFocus()
    qtbot.keyClick(tile, Qt.Key.Key_Return)  # as a click does
    settle_photos(qtbot)
    viewer = open_dialog()
    assert isinstance(viewer, PhotoViewer)
    assert viewer.picture.has_picture() and viewer.picture.accessibleName() == FRONT_BEFORE_2
    assert find(viewer, QLabel, FRONT_BEFORE_2)
    assert "by Ann Nurse, from IMG_0100.JPG (64 × 48)" in visible_texts(viewer)
    assert [look["size"] for look in looks()] == ["thumbnails", "full size"]
    fits_small_screens(viewer)
    click(qtbot, viewer, "Close")
    assert not viewer.picture.has_picture()  # no pixels kept once closed


def test_one_view_side_by_side_across_the_course(qtbot, page: MainWindow) -> None:  # noqa: ANN001
    click(qtbot, page, "Show photos")
    click(qtbot, page, "Compare across the course…")
    settle_photos(qtbot)
    compared = open_dialog()
    assert isinstance(compared, CourseComparison)
    shown = [tile for tile in compared.strip.tiles if tile.isVisible()]
    assert [tile.accessibleName() for tile in shown] == [FRONT_BEFORE_1, FRONT_BEFORE_2]
    assert [tile.text() for tile in shown] == ["Session 1, 25 Nov 2026", "Session 2, 30 Dec 2026"]
    assert shown[0].x() < shown[1].x() and shown[0].y() == shown[1].y()
    assert all(share_of(painted(tile), COLOURS["front"]) > 0.3 for tile in shown)
    click(qtbot, compared, "Left side")
    settle_photos(qtbot)
    assert [tile.accessibleName() for tile in compared.strip.tiles] == [
        "Left side, before, session 1, 25 Nov 2026"
    ]
    click(qtbot, compared, "After")
    settle_photos(qtbot)
    assert compared.strip.tiles == []
    assert compared.message.text() == "No left side photos after a session yet."
    assert unheard(compared) == []
    fits_small_screens(compared)
