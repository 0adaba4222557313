"""The log of a whole session at a clinic's desk, from the window opened to the window closed: it
tells what happened (the start, the database opened, a backup, who signed in, a refusal, a lock) and
holds nothing of a patient's record and no secret.

(A clinic of a few patients rather than the demo, which takes 1.5 s to build: the log's lines do not
depend on how many records there are.)"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import sys
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desk_app import cli, logs
from desk_app.domain.clock import SystemClock
from desk_app.domain.procedure import Procedure
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from desk_app.ui.main_window import MainWindow
from tests.conftest import migrated_sqlite_file
from tests.gui.nurse import click, settle, sign_in, tick, visible_texts
from tests.gui.test_board_and_alerts import card_of, start
from tests.gui.test_frame_and_alerts import PATIENTS
from tests.support.people import FAST_HASHER, PASSWORD, PIN, add_member

NURSE = "Ann Nurse"


def a_clinic(path: Path, procedure: Procedure) -> Path:
    """A clinic's database file: an administrator and a nurse (the tests' password and PIN), and the
    board tests' patients, each with a session under way."""
    db = open_database(str(migrated_sqlite_file(path)))
    try:
        desk = Desk(db, procedure, SystemClock(), FAST_HASHER)
        nurse = add_member(desk, NURSE, "AN", "nurse")
        for number, (given, family, _minutes) in enumerate(PATIENTS):
            start(desk, nurse, number, given, family)
        desk.sessions.add_note(
            start(desk, nurse, 99, "Marie-Thérèse", "Nguyen"), None, "Prefers the left cheek first", nurse.id
        )
    finally:
        db.close()
    return path


def visible_windows() -> list[MainWindow]:
    """The app's window on screen (those of earlier tests are closed)."""
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]


def a_nurses_session(qtbot: QtBot) -> int:
    """What a nurse does while the window runs (in place of its event loop): returns its exit code."""
    (window,) = visible_windows()
    window.timer.stop()
    tick(qtbot, window)  # the first tick of the day starts the day's backup
    window.backups.wait()
    sign_in(qtbot, window, NURSE, "not my password")
    assert "Wrong password" in visible_texts(window)
    sign_in(qtbot, window, NURSE, PASSWORD)
    qtbot.mouseClick(card_of(window, "Zoë O'Brien"), Qt.MouseButton.LeftButton)
    settle(qtbot)  # the session is read on the database worker
    click(qtbot, window, "Second identifier checked: Date of birth")
    window.lock_action.trigger()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # the names listed before
    sign_in(qtbot, window, NURSE, "000000")  # a wrong PIN
    sign_in(qtbot, window, NURSE, PIN)
    window.close()  # signs out and backs up
    return 0


def record_words(database: Path) -> list[str]:
    """Every word of every patient's record in the database that a log must not hold: names, dates
    of birth (as stored and as shown), clinic numbers, contact details, notes; staff's full names."""
    with closing(sqlite3.connect(database)) as db:
        patients = db.execute(
            "SELECT given_names, family_name, date_of_birth, clinic_number, phone, email, allergies, notes "
            "FROM patient"
        ).fetchall()
        staff = [name for (name,) in db.execute("SELECT name FROM staff")]
        notes = [text for (text,) in db.execute("SELECT text FROM session_event WHERE text != ''")]
    words = []
    for given, family, born, number, *contact in patients:
        words += [*given.split(), *family.split(), born, f"{date.fromisoformat(born):%d/%m/%Y}", number]
        words += [detail for detail in contact if detail]
    return [*words, *staff, *notes]


def test_a_sessions_log_tells_what_happened_and_holds_no_name_and_no_secret(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, procedure: Procedure
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.setattr("desk_app.store.desk.SecretHasher", lambda: FAST_HASHER)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # the window sets its own
    monkeypatch.setattr(QApplication, "exec", lambda *_: a_nurses_session(qtbot))
    database = a_clinic(tmp_path / "clinic.sqlite3", procedure)

    assert cli.main(["--db", str(database)]) == 0

    log_file = tmp_path / "share" / "TreatmentDesk" / logs.LOG_FILE
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    logged = log_file.read_text(encoding="utf-8")
    told = [
        r"INFO desk_app\.logs: Treatment Desk \S+ started: the window; Python [\d.]+, \S+",
        r"INFO desk_app\.app: The window opens: Qt [\d.]+ \(offscreen\)",
        rf"INFO desk_app\.store\.database: Database opened: the file {re.escape(str(database))}, schema \d+",
        r"INFO desk_app\.store\.backup: Backup made: \S+treatment-desk-\S+\.sqlite3",
        r"INFO desk_app\.store\.errors: Refused: sign in, AN \(staff \d+\): wrong password \(1 in a row\) "
        r"\(SignInRefused\)",
        r"INFO desk_app\.store\.accounts: Signed in: AN \(staff \d+\)",
        r"INFO desk_app\.store\.accounts: Screen locked: staff \d+",
        r"INFO desk_app\.store\.errors: Refused: PIN for unlock, AN \(staff \d+\): wrong PIN \(1 in a row\)",
        r"INFO desk_app\.store\.accounts: PIN accepted for unlock: AN \(staff \d+\)",
        r"INFO desk_app\.store\.accounts: Signed out: staff \d+",
        r"INFO desk_app\.logs: Treatment Desk stopped: the window ended with exit code 0",
    ]
    assert [line for line in told if not re.search(line, logged)] == [], logged
    assert logged.count("Backup made:") == 2  # the day's, and the one at closing

    secrets = [PASSWORD, PIN, "$argon2"]
    leaked = [word for word in [*record_words(database), *secrets] if word and word in logged]
    assert leaked == [], logged


@pytest.mark.timeout(10)
def test_the_window_opens_without_its_log_when_a_fifo_stands_in_its_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    (tmp_path / "share" / "TreatmentDesk").mkdir(parents=True)
    os.mkfifo(tmp_path / "share" / "TreatmentDesk" / logs.LOG_FILE)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    opened: list[MainWindow] = []
    monkeypatch.setattr(QApplication, "exec", lambda *_: opened.extend(visible_windows()) or 0)
    assert cli.main(["--db", str(tmp_path / "clinic.sqlite3")]) == 0
    assert len(opened) == 1
    assert "No log file:" in capsys.readouterr().err
