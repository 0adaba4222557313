"""The start-up check of a large database file runs on a thread of its own while a small window says
"Checking the clinic's records…" (ui/startup_check.py); what it refuses, and how it says so, is
exactly what it was on the UI thread."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from desk_app.store import database
from desk_app.store.database import DatabaseOpenError, check_here, open_database
from desk_app.ui import startup_check
from desk_app.ui.startup_check import CHECKING, CheckingWindow, check_with_window
from tests.conftest import migrated_sqlite_file

WAIT_S = 5.0


@pytest.fixture
def every_file_is_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(startup_check, "LARGE_FILE_BYTES", 1)


def shown_checking_windows() -> list[str]:
    return [
        label.text()
        for window in QApplication.topLevelWidgets()
        if isinstance(window, CheckingWindow) and window.isVisible()
        for label in window.findChildren(QLabel)
    ]


def test_a_large_file_is_checked_on_a_thread_while_a_small_window_says_so(
    qtbot: QtBot, tmp_path: Path, every_file_is_large: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = migrated_sqlite_file(tmp_path / "clinic.sqlite3")
    seen: list[str] = []
    checked_on: list[threading.Thread] = []
    let_go = threading.Event()
    probe = database._probe  # noqa: SLF001 (the check itself, held until the window was seen)

    def held_probe(checked: Path) -> tuple[int, int, str]:
        checked_on.append(threading.current_thread())
        assert let_go.wait(WAIT_S), "the window never answered while the file was checked"
        return probe(checked)

    def look_while_checking() -> None:  # a timer firing at all: the event loop goes on meanwhile
        seen.extend(shown_checking_windows())
        let_go.set()

    monkeypatch.setattr(database, "_probe", held_probe)
    QTimer.singleShot(0, look_while_checking)
    opened = open_database(str(path), run_check=check_with_window)
    opened.close()
    assert CHECKING in seen
    assert checked_on and checked_on[0] is not threading.main_thread()
    assert shown_checking_windows() == []  # gone before the main window comes


def foreign_file(path: Path) -> None:
    with closing(sqlite3.connect(path)) as other:
        other.execute("CREATE TABLE notes (text)")
        other.commit()


def unreadable_file(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)


def damaged_file(path: Path) -> None:
    migrated_sqlite_file(path)
    data = bytearray(path.read_bytes())
    data[4096 * 2 : 4096 * 3] = b"\x00" * 4096  # a page of a table zeroed
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("spoil", [foreign_file, unreadable_file, damaged_file])
def test_what_the_check_refuses_and_its_words_are_the_same_on_the_thread(
    qtbot: QtBot, tmp_path: Path, every_file_is_large: None, spoil: Callable[[Path], None]
) -> None:
    path = tmp_path / "clinic.sqlite3"
    spoil(path)
    before = path.read_bytes()
    with pytest.raises(DatabaseOpenError) as here:
        open_database(str(path), run_check=check_here)
    with pytest.raises(DatabaseOpenError) as on_thread:
        open_database(str(path), run_check=check_with_window)
    assert str(on_thread.value) == str(here.value)
    assert path.read_bytes() == before
