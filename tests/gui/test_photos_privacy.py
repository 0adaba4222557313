"""Photos never stay on a locked screen (issue 21 point 3): whatever photo is open when the desk
locks (full size, the course side by side, a session's photos, the patient page's grid, a photo
still being read), it closes and no photo's pixels stay on the screen or in a widget."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QDialog, QLabel

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui import photo_dialogs
from desk_app.ui.main_window import MainWindow
from desk_app.ui.photo_widgets import PhotoPicture, PhotoTile
from tests.gui.nurse import click, open_dialog, settle, type_into
from tests.gui.photo_shots import COLOURS, painted, photographed_course, settle_photos, share_of
from tests.gui.test_patient_screens import open_patient_page
from tests.gui.test_photos_import import write_photo

FRONT = COLOURS["front"]


def photo_pixels_in_widgets() -> list[str]:
    """Every widget of the app still holding a photo's picture, shown or not (a folder's previews
    in the import too)."""
    return [
        widget.accessibleName()
        for widget in QApplication.allWidgets()
        if (isinstance(widget, PhotoTile | PhotoPicture) and widget.has_picture())
        or (isinstance(widget, QLabel) and not widget.pixmap().isNull())
    ]


def dialogs_shown() -> list[QDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]


def full_size(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    click(qtbot, window, "Front, before, session 1, 25 Nov 2026")


def side_by_side(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    click(qtbot, window, "Compare across the course…")


@pytest.fixture
def shown(qtbot, window: MainWindow, desk: Desk, clock: ManualClock, nurse: Staff) -> MainWindow:  # noqa: ANN001
    """Her page, her photos shown."""
    photographed_course(desk, clock, nurse)
    open_patient_page(qtbot, window, nurse, "O'Brien")
    click(qtbot, window, "Show photos")
    return window


@pytest.mark.parametrize("opened", [full_size, side_by_side, None], ids=["full size", "side by side", "grid"])
def test_the_lock_closes_every_photo_and_leaves_no_pixels(
    qtbot, shown: MainWindow, opened: Callable | None
) -> None:  # noqa: ANN001
    if opened is not None:
        opened(qtbot, shown)
        settle_photos(qtbot)
    section = shown.patient_page.photos
    assert photo_pixels_in_widgets()
    assert share_of(painted(open_dialog() if opened else section), FRONT) > 0.01  # on screen before

    shown.lock(idle=True)
    settle_photos(qtbot)

    assert dialogs_shown() == []
    assert photo_pixels_in_widgets() == []
    assert share_of(painted(shown), FRONT) == 0
    assert share_of(painted(section), FRONT) == 0 and section.grid.tiles == []


def test_a_photo_on_its_way_when_the_desk_locks_is_never_shown(qtbot, shown: MainWindow) -> None:  # noqa: ANN001
    full_size(qtbot, shown)  # read; its decoding is on the photos' thread still
    shown.lock(idle=True)
    settle_photos(qtbot)
    assert photo_pixels_in_widgets() == []


def test_the_sessions_photos_and_the_import_close_with_the_lock(
    qtbot,  # noqa: ANN001
    window: MainWindow,
    desk: Desk,
    clock: ManualClock,
    nurse: Staff,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(photo_dialogs, "camera_folders", lambda: [])
    photographed_course(desk, clock, nurse)
    window.set_staff(nurse)
    window.show_session(desk.sessions.sessions_in_progress()[0].id)
    settle(qtbot)
    click(qtbot, window, "Photos…")
    settle_photos(qtbot)
    session_photos = open_dialog()
    click(qtbot, session_photos, "Import…")
    importing = session_photos.findChild(photo_dialogs.ImportPhotos)
    write_photo(tmp_path, "IMG_0001.JPG", FRONT, 1)
    type_into(qtbot, importing, "Folder", str(tmp_path))
    click(qtbot, importing, "Show photos")
    settle_photos(qtbot)
    assert sorted(photo_pixels_in_widgets()) == [
        "Front, before, session 2, 30 Dec 2026",
        "Preview of IMG_0001.JPG",
    ]
    window.lock(idle=True)
    settle_photos(qtbot)
    assert dialogs_shown() == []
    assert photo_pixels_in_widgets() == []
