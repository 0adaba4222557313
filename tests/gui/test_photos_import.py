"""Importing a session's photos as a nurse does (issue 21 point 2): Photos… on the session page,
Import…, the camera card offered first, the newest photos listed with previews, a view and a stage
given to each, Import. A refused file says why in the dialog and nothing is stored; links and pipes
in the folder are never read; the 12-megapixel work is done off the window's thread."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractButton, QComboBox, QFileDialog, QLabel, QLineEdit

from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.ui import photo_dialogs
from desk_app.ui.main_window import MainWindow
from desk_app.ui.photo_dialogs import ImportPhotos, SessionPhotos
from tests.gui.a11y import unheard
from tests.gui.nurse import click, find, open_dialog, type_into
from tests.gui.photo_shots import fits_small_screens, jpeg, settle_photos
from tests.gui.test_checklist_actions import show, start_session
from tests.support.consent import consented


def choose(dialog: ImportPhotos, name: str, text: str) -> None:
    combo = find(dialog, QComboBox, name)
    assert isinstance(combo, QComboBox)
    combo.setCurrentIndex(combo.findText(text))


def write_photo(folder: Path, name: str, colour: str, age_minutes: int) -> Path:
    path = folder / name
    path.write_bytes(jpeg(colour))
    modified = 1_780_000_000 - 60 * age_minutes
    os.utime(path, (modified, modified))
    return path


@pytest.fixture
def card(tmp_path: Path) -> Path:
    """A camera card's DCIM folder: two photos, IMG_0002 the newer."""
    folder = tmp_path / "card" / "DCIM" / "100CANON"
    folder.mkdir(parents=True)
    write_photo(folder, "IMG_0001.JPG", "#e00000", 10)
    write_photo(folder, "IMG_0002.JPG", "#00c000", 5)
    return tmp_path / "card" / "DCIM"


@pytest.fixture
def session_id(qtbot, window: MainWindow, desk: Desk, nurse: Staff, monkeypatch: pytest.MonkeyPatch) -> int:  # noqa: ANN001
    monkeypatch.setattr(photo_dialogs, "camera_folders", lambda: [])  # this PC's own cards, if any, unseen
    session = start_session(desk, nurse)
    consented(desk, desk.sessions.session(session).patient.id, nurse)  # agreeing to photos
    show(qtbot, window, nurse, session)
    return session


def open_import(qtbot, window: MainWindow) -> tuple[SessionPhotos, ImportPhotos]:  # noqa: ANN001
    click(qtbot, window, "Photos…")
    settle_photos(qtbot)
    photos = open_dialog()
    assert isinstance(photos, SessionPhotos)
    assert "No photos of this session yet" in photos.message.text()
    click(qtbot, photos, "Import…")
    settle_photos(qtbot)
    importing = photos.findChild(ImportPhotos)
    assert importing is not None and importing.isVisible()
    return photos, importing


def list_folder(qtbot, dialog: ImportPhotos, folder: Path) -> None:  # noqa: ANN001
    type_into(qtbot, dialog, "Folder", str(folder))
    click(qtbot, dialog, "Show photos")
    settle_photos(qtbot)


def test_a_nurse_imports_photos_from_the_camera_card_offered_first(
    qtbot,
    window: MainWindow,
    desk: Desk,
    session_id: int,
    card: Path,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
) -> None:
    monkeypatch.setattr(photo_dialogs, "camera_folders", lambda: [card])
    photos, importing = open_import(qtbot, window)
    assert find(importing, QLineEdit, "Folder").text() == str(card)  # the card's photos, listed at once
    find(importing, QAbstractButton, f"Camera card: {card}")
    names = [
        label.text().split("\n")[0] for label in importing.findChildren(QLabel) if ".JPG\n" in label.text()
    ]
    assert names == ["IMG_0002.JPG", "IMG_0001.JPG"]  # the newest first
    assert "Showing 2 photos, newest first." in importing.listed.text()
    assert find(importing, QLabel, "Preview of IMG_0002.JPG").pixmap().width() > 0
    assert unheard(importing) == []
    fits_small_screens(importing)
    choose(importing, "View of IMG_0002.JPG", "Front")
    choose(importing, "View of IMG_0001.JPG", "Left side")
    choose(importing, "Stage of IMG_0001.JPG", "After")
    click(qtbot, importing, "Import")
    settle_photos(qtbot)
    assert not importing.isVisible()
    stored = desk.photos.photos_of_session(session_id)
    assert [(p.view.label, p.stage.label, p.source_name) for p in stored] == [
        ("Front", "Before", "IMG_0002.JPG"),
        ("Left side", "After", "IMG_0001.JPG"),
    ]
    day = photos.grid.tiles[0].accessibleName().split("session 1, ")[1]
    find(photos, QAbstractButton, f"Front, before, session 1, {day}")  # the session's photos, read again
    find(photos, QAbstractButton, f"Left side, after, session 1, {day}")
    assert unheard(photos) == []


def test_a_refused_file_says_why_in_the_dialog_and_nothing_is_stored(
    qtbot,
    window: MainWindow,
    desk: Desk,
    session_id: int,
    card: Path,  # noqa: ANN001
) -> None:
    folder = card / "100CANON"
    (folder / "notes.jpg").write_text("not a photo at all")
    (folder / "IMG_0003.HEIC").write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(40))
    _photos, importing = open_import(qtbot, window)
    list_folder(qtbot, importing, folder)
    for name, view in (
        ("IMG_0001.JPG", "Front"),
        ("notes.jpg", "Left side"),
        ("IMG_0003.HEIC", "Right side"),
    ):
        choose(importing, f"View of {name}", view)
    click(qtbot, importing, "Import")
    settle_photos(qtbot)
    assert importing.isVisible()  # still open, saying why
    assert (
        "2 photos were refused" in importing.error.text() and "nothing was imported" in importing.error.text()
    )
    said = [label.accessibleName() for label in importing.findChildren(QLabel) if label.isVisible()]
    assert any(s.startswith("notes.jpg: Refused: notes.jpg is not a photo") for s in said), said
    assert any(s.startswith("IMG_0003.HEIC: Refused:") and "JPEG" in s for s in said), said
    assert desk.photos.photos_of_session(session_id) == []
    choose(importing, "View of notes.jpg", "Not imported")
    choose(importing, "View of IMG_0003.HEIC", "Not imported")
    click(qtbot, importing, "Import")  # the good one alone, once the others are left out
    settle_photos(qtbot)
    assert [p.source_name for p in desk.photos.photos_of_session(session_id)] == ["IMG_0001.JPG"]


def test_links_pipes_and_hidden_copies_in_the_folder_are_never_read(
    qtbot,
    window: MainWindow,
    desk: Desk,
    session_id: int,
    card: Path,
    db_path: Path,  # noqa: ANN001
) -> None:
    folder = card / "100CANON"
    os.mkfifo(folder / "pipe.jpg")  # a read would block for ever
    (folder / "records.jpg").symlink_to(db_path)  # the live database, dressed as a photo
    (folder / "._IMG_0001.JPG").write_bytes(b"a Mac's resource fork")
    _photos, importing = open_import(qtbot, window)
    list_folder(qtbot, importing, folder)
    assert "Showing 2 photos" in importing.listed.text()
    listed = [label.text() for label in importing.findChildren(QLabel)]
    assert not any(name in text for text in listed for name in ("pipe.jpg", "records.jpg", "._IMG"))


def test_the_photos_are_prepared_off_the_windows_thread(
    qtbot,
    window: MainWindow,
    desk: Desk,
    session_id: int,
    card: Path,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
) -> None:
    threads = []
    prepare = photo_dialogs.prepare_photo

    def watched(path: Path) -> photo_dialogs.PreparedPhoto:
        threads.append(threading.current_thread())
        return prepare(path)

    monkeypatch.setattr(photo_dialogs, "prepare_photo", watched)
    _photos, importing = open_import(qtbot, window)
    list_folder(qtbot, importing, card)
    choose(importing, "View of IMG_0001.JPG", "Front")
    click(qtbot, importing, "Import")
    assert importing.ok_button.text() == "Preparing…"  # the window goes on meanwhile
    settle_photos(qtbot)
    assert threads and threading.main_thread() not in threads
    assert len(desk.photos.photos_of_session(session_id)) == 1


def test_choosing_nothing_to_import_says_so(qtbot, window: MainWindow, session_id: int, card: Path) -> None:  # noqa: ANN001
    _photos, importing = open_import(qtbot, window)
    list_folder(qtbot, importing, card)
    click(qtbot, importing, "Import")
    assert "Choose the view of at least one photo" in importing.error.text()


def test_a_photo_stored_already_is_said_beside_it_and_the_others_are_kept(
    qtbot,
    window: MainWindow,
    desk: Desk,
    session_id: int,
    card: Path,  # noqa: ANN001
) -> None:
    photos, importing = open_import(qtbot, window)
    list_folder(qtbot, importing, card)
    choose(importing, "View of IMG_0001.JPG", "Front")
    click(qtbot, importing, "Import")
    settle_photos(qtbot)
    click(qtbot, photos, "Import…")
    importing = [d for d in photos.findChildren(ImportPhotos) if d.isVisible()][0]
    list_folder(qtbot, importing, card)
    choose(importing, "View of IMG_0001.JPG", "Left side")  # the same photo again
    choose(importing, "View of IMG_0002.JPG", "Right side")
    click(qtbot, importing, "Import")
    settle_photos(qtbot)
    assert (
        importing.isVisible()
        and "1 photo was not stored (said beside each); 1 imported." in importing.error.text()
    )
    said = {label.accessibleName() for label in importing.findChildren(QLabel) if label.isVisible()}
    assert "IMG_0002.JPG: Imported." in said
    assert any(s.startswith("IMG_0001.JPG: Not stored: This photo is stored already") for s in said), said
    assert not find(importing, QComboBox, "View of IMG_0002.JPG").isEnabled()  # not sent twice
    stored = desk.photos.photos_of_session(session_id)
    assert [(p.view.label, p.source_name) for p in stored] == [
        ("Front", "IMG_0001.JPG"),
        ("Right side", "IMG_0002.JPG"),
    ]
    assert len(photos.grid.tiles) == 2  # the session's photos, read again


def test_browse_chooses_the_folder_in_qts_own_file_dialog(
    qtbot, window: MainWindow, session_id: int, card: Path
) -> None:  # noqa: ANN001
    _photos, importing = open_import(qtbot, window)
    click(qtbot, importing, "Browse…")
    chooser = importing.findChild(QFileDialog)
    assert chooser is not None and chooser.isVisible()
    assert chooser.testOption(QFileDialog.Option.DontUseNativeDialog)  # never the system's, which blocks
    chooser.selectFile(str(card / "100CANON"))
    chooser.accept()
    settle_photos(qtbot)
    assert find(importing, QLineEdit, "Folder").text() == str(card / "100CANON")
    assert "Showing 2 photos, newest first." in importing.listed.text()


def test_a_patient_who_refused_photos_has_no_photo_stored_and_the_dialog_says_why(
    qtbot,
    window: MainWindow,
    desk: Desk,
    nurse: Staff,
    session_id: int,
    card: Path,  # noqa: ANN001
) -> None:
    patient_id = desk.sessions.session(session_id).patient.id
    consented(desk, patient_id, nurse, photos=False)  # signed again at this sign-in: no photos now
    _photos, importing = open_import(qtbot, window)
    list_folder(qtbot, importing, card / "100CANON")
    choose(importing, "View of IMG_0002.JPG", "Front")
    click(qtbot, importing, "Import")
    settle_photos(qtbot)
    said = [label.accessibleName() for label in importing.findChildren(QLabel) if label.isVisible()]
    assert any("The patient did not agree to photos" in s for s in said), said
    assert desk.photos.photos_of_session(session_id) == []
