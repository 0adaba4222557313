"""The first start on a PC: this PC's own file or the clinic's server, asked before anything is
opened, and kept in this PC's settings; and the backup folder this PC is set to."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QRadioButton, QWidget
from pytestqt.qtbot import QtBot

from desk_app import app, cli
from desk_app.config import PcSettings
from desk_app.domain.people import Staff
from desk_app.paths import remember_opened
from desk_app.store.desk import Desk
from desk_app.store.models import DEMO_SETTING, MOVED_SETTING
from desk_app.ui.clinic_dialog import ClinicDetailsDialog, read_clinic_settings
from desk_app.ui.first_start import FirstStartDialog
from desk_app.ui.main_window import MainWindow
from tests.conftest import migrated_sqlite_file
from tests.gui.a11y import activate, control_name, tab_walk, unheard
from tests.gui.alone import context_alone
from tests.gui.nurse import click, find, type_into
from tests.support.pg_databases import emptied_postgres_database


@pytest.fixture
def own_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Where this PC's own file goes: the data folder under tmp_path; no $DESK_APP_DB. The windows
    the app opened are closed afterwards, with their databases, as quitting the app would."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.delenv(cli.DATABASE_ENV, raising=False)
    monkeypatch.setattr(app.QApplication, "exec", lambda *_: 0)  # the window is not used here
    yield tmp_path / "share" / "TreatmentDesk" / "treatment-desk.sqlite3"
    for window in QApplication.topLevelWidgets():
        if isinstance(window, MainWindow):
            window.timer.stop()
            window.close()
            window.desk.db.close()


def choose(qtbot: QtBot, dialog: FirstStartDialog, answer: str) -> None:
    """Click a choice on its words, at its left, as a nurse does: a radio button stretched across the
    dialog does not answer a click in the empty part right of its words."""
    radio = find(dialog, QRadioButton, answer)
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(12, radio.height() // 2))
    assert radio.isChecked()


@pytest.fixture
def settings(tmp_path: Path) -> PcSettings:
    return PcSettings(tmp_path / "config" / "desk.ini")


def answer_with(monkeypatch: pytest.MonkeyPatch, answer: Callable[[FirstStartDialog], None]) -> list[str]:
    """The first-start dialog, answered by `answer` (clicks) instead of blocking; what it showed."""
    asked: list[str] = []

    def exec_(dialog: FirstStartDialog) -> int:
        dialog.show()
        asked.append(dialog.where.text())
        answer(dialog)
        return dialog.result()

    monkeypatch.setattr(FirstStartDialog, "exec", exec_)
    return asked


def test_the_first_start_asks_and_keeps_this_pcs_own_file_which_the_app_then_opens(
    monkeypatch: pytest.MonkeyPatch,
    qtbot: QtBot,
    own_file: Path,
    settings: PcSettings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def own_file_then_start(dialog: FirstStartDialog) -> None:
        click(qtbot, dialog, "Start")  # nothing is chosen for the nurse on a new PC
        assert dialog.isVisible() and dialog.found.text() == (
            "Choose one first: this PC's own file, or the clinic's server."
        )
        own = find(dialog, QRadioButton, "This PC's own file")
        assert own.accessibleDescription() == dialog.found.text()  # said where the keyboard goes
        choose(qtbot, dialog, "This PC's own file")
        assert dialog.found.text() == ""  # what was said of no choice is gone, from the choice too
        assert own.accessibleDescription() == dialog.where.text()
        click(qtbot, dialog, "Start")

    asked = answer_with(monkeypatch, own_file_then_start)
    assert cli.main([], settings=settings) == 0
    assert asked == [f"If chosen, a new file is made at {own_file}"]
    assert settings.database() == str(own_file)
    assert own_file.stat().st_size > 0
    assert f"First start on this PC: the records are in the file {own_file}" in caplog.text

    answer_with(monkeypatch, lambda dialog: pytest.fail("asked again"))
    assert cli.main([], settings=settings) == 0


def test_quit_at_the_first_start_starts_nothing_and_keeps_nothing(
    monkeypatch: pytest.MonkeyPatch,
    qtbot: QtBot,
    own_file: Path,
    settings: PcSettings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    answer_with(monkeypatch, lambda dialog: qtbot.keyClick(dialog, Qt.Key.Key_Escape))
    assert cli.main([], settings=settings) == 2
    assert "First start on this PC: Quit chosen, nothing kept" in caplog.text
    assert not own_file.exists()
    assert settings.database() is None


def test_a_pc_that_already_has_its_own_file_is_not_asked(
    monkeypatch: pytest.MonkeyPatch, own_file: Path, settings: PcSettings
) -> None:
    """Its file from before there were settings is its answer: asking could lead away from it."""
    own_file.parent.mkdir(parents=True)
    migrated_sqlite_file(own_file)
    answer_with(monkeypatch, lambda dialog: pytest.fail("asked"))
    assert cli.main([], settings=settings) == 0
    assert settings.database() == str(own_file)
    # The window and the taskbar show the app's icon; Wayland finds it by the desktop file's name.
    assert QApplication.windowIcon().availableSizes() == [QSize(size, size) for size in app.ICON_SIZES]
    assert QApplication.desktopFileName() == "treatment-desk"


@pytest.mark.parametrize("mark", [None, DEMO_SETTING, MOVED_SETTING])
def test_a_clinics_file_this_pc_opened_before_is_offered_not_a_demo_or_a_moved_one(
    monkeypatch: pytest.MonkeyPatch,
    qtbot: QtBot,
    own_file: Path,
    settings: PcSettings,
    db_path: Path,
    mark: str | None,
) -> None:
    """Opened with --db or $DESK_APP_DB, it is offered (not chosen) over a new file, which would be a
    second clinic; a training demo or a file whose records moved to the server never is."""
    before = migrated_sqlite_file(db_path)
    if mark is not None:
        with closing(sqlite3.connect(before)) as connection, connection:
            connection.execute("INSERT INTO clinic_setting (key, value) VALUES (?, 'x')", (mark,))
    remember_opened(before)

    def own_file_then_start(dialog: FirstStartDialog) -> None:
        choose(qtbot, dialog, "This PC's own file")
        click(qtbot, dialog, "Start")

    asked = answer_with(monkeypatch, own_file_then_start)
    assert cli.main([], settings=settings) == 0
    offered = own_file if mark else before
    said = "If chosen, a new file is made at" if mark else "The file this PC opened before:"
    assert asked == [f"{said} {offered}"]
    assert settings.database() == str(offered)


def test_a_fifo_where_this_pcs_own_file_was_is_said_and_not_kept(
    monkeypatch: pytest.MonkeyPatch, own_file: Path, settings: PcSettings
) -> None:
    """Not asked (something is at the default place), not kept as the setting, not waited on."""
    shown: list[str] = []
    monkeypatch.setattr(app.QMessageBox, "critical", lambda _parent, _title, text: shown.append(text))
    answer_with(monkeypatch, lambda dialog: pytest.fail("asked"))
    own_file.parent.mkdir(parents=True)
    os.mkfifo(own_file)
    assert cli.main([], settings=settings) == 2
    assert shown == [f"{own_file} is a named pipe (FIFO), not a database file."]
    assert settings.database() is None


def test_damaged_settings_stop_the_start_with_a_message_not_a_first_start(
    monkeypatch: pytest.MonkeyPatch, own_file: Path, settings: PcSettings
) -> None:
    """Asked again, a nurse might choose a new file where the clinic's server was set."""
    shown: list[str] = []
    monkeypatch.setattr(app.QMessageBox, "critical", lambda _parent, _title, text: shown.append(text))
    answer_with(monkeypatch, lambda dialog: pytest.fail("asked"))
    settings.path.parent.mkdir()
    settings.path.write_text("[General]\ndatabase=postgresql://desk@server/clinic\nserver went here\n")
    assert cli.main([], settings=settings) == 2
    assert shown == [
        f"This PC's settings file {settings.path} cannot be read as settings (line 3). Correct it in a "
        "text editor, or delete it (the app then asks again where the records are)."
    ]
    assert not own_file.exists()


def test_the_app_puts_the_days_checkpoint_in_this_pcs_backup_folder(
    monkeypatch: pytest.MonkeyPatch, own_file: Path, settings: PcSettings, tmp_path: Path, db_path: Path
) -> None:
    mine = tmp_path / "this PC's backups"
    mine.mkdir()
    settings.set_backup_folder(mine)
    assert cli.main(["--db", str(migrated_sqlite_file(db_path))], settings=settings) == 0
    assert [path.name.startswith("audit-checkpoint-") for path in mine.iterdir()] == [True]
    assert not (db_path.parent / "backups").exists()


@pytest.fixture
def dialog(qtbot: QtBot, tmp_path: Path) -> tuple[FirstStartDialog, list[str]]:
    """The dialog on its own, shown, with what it would keep in this PC's settings."""
    kept: list[str] = []

    def keep(address: str) -> None:
        kept.append(address)

    shown = FirstStartDialog(None, tmp_path / "treatment-desk.sqlite3", keep)
    qtbot.addWidget(shown)
    shown.show()
    return shown, kept


@pytest.mark.parametrize(
    ("address", "said"),
    [
        (
            "postgresql://desk@127.0.0.1:1/clinic",
            "Not usable: Cannot use the PostgreSQL database desk@127.0.0.1:1/clinic (",
        ),
        ("postgresql://desk:secret@clinic-server/clinic", "Not usable: Do not put the password"),
        ("clinic-server", "Not usable: A server's address starts with postgresql://"),
    ],
)
def test_a_server_that_cannot_be_used_is_said_in_words_and_nothing_is_kept(
    qtbot: QtBot, dialog: tuple[FirstStartDialog, list[str]], address: str, said: str
) -> None:
    shown, kept = dialog
    type_into(qtbot, shown, "Server address", address)
    assert find(shown, QRadioButton, "The clinic's server").isChecked()
    click(qtbot, shown, "Test connection")
    assert shown.found.text().startswith(said)
    assert shown.found.accessibleName() == shown.found.text()  # heard, not only seen
    # ... and spoken where the nurse is: Orca speaks a change to the focused control's description.
    test_button = find(shown, QPushButton, "Test connection")
    assert test_button.hasFocus() and test_button.accessibleDescription() == shown.found.text()
    click(qtbot, shown, "Start")
    assert shown.isVisible() and kept == []


def test_a_server_a_desk_can_use_is_said_and_kept(
    qtbot: QtBot, dialog: tuple[FirstStartDialog, list[str]]
) -> None:
    url = emptied_postgres_database()  # skips without a PostgreSQL server
    shown, kept = dialog
    type_into(qtbot, shown, "Server address", url)
    click(qtbot, shown, "Test connection")
    assert shown.found.text().startswith("Connected to ")
    assert "a Treatment Desk database at schema" in shown.found.text()
    click(qtbot, shown, "Start")
    assert kept == [url] and not shown.isVisible()


def test_every_control_is_named_and_reached_by_tab_and_enter_starts(
    qtbot: QtBot, dialog: tuple[FirstStartDialog, list[str]], tmp_path: Path
) -> None:
    shown, kept = dialog
    assert unheard(shown) == []
    choose(qtbot, shown, "This PC's own file")
    activate(qtbot, shown)
    walked = [
        control_name(widget) for widget in tab_walk(qtbot, find(shown, QRadioButton, "This PC's own file"))
    ]
    assert walked == ["This PC's own file", "Server address", "Test connection", "Start", "Quit"]
    find(shown, QLineEdit, "Server address").setFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert kept == [str(tmp_path / "treatment-desk.sqlite3")] and not shown.isVisible()


def test_clinic_details_say_where_this_pc_keeps_its_backups_instead(
    qtbot: QtBot, desk: Desk, admin: Staff, tmp_path: Path
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    mine = tmp_path / "this PC's backups"
    desk.this_pc_backup_folder = mine
    details = ClinicDetailsDialog(
        parent, context_alone(desk, admin, parent), admin, read_clinic_settings(desk)
    )
    details.show()
    note = f"This PC keeps its backups in {mine} instead (its own setting: desk-app config)."
    assert find(details, QLabel, note).isVisible()
    assert unheard(details) == []
