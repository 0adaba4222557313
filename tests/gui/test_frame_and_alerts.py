"""The window's frame (issue 18): it opens sized to its screen, the chrome above the pages stays small
with four alerts, each alert is a compact line with its own Acknowledge (calm for ready, red for
remove now), one key acknowledges the top one, F1 lists every key, and `make demo` opens a demo."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QToolBar
from pytestqt.qtbot import QtBot

from desk_app.domain.alerts import AlertKind
from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.session import EventKind
from desk_app.store.desk import Desk
from desk_app.ui.help_sheet import HelpSheet
from desk_app.ui.main_window import ACKNOWLEDGE_KEYS, MainWindow
from tests.gui.a11y import SMALL_SCREENS, activate, heard, shrink_to, unheard
from tests.gui.nurse import settle, tick
from tests.gui.test_board_and_alerts import flush, gel_on

ROOT = Path(__file__).resolve().parents[2]
# (given, family, minutes after the first gel): at 95 minutes two gels must come off, two are ready.
PATIENTS = (
    ("Zoë", "O'Brien", 0),
    ("Siân", "Pritchard", 3),
    ("Callum", "McKenzie", 20),
    ("Ada", "Lovelace", 25),
)


def four_alerts(qtbot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock) -> list[int]:
    """Four sessions whose alerts are due, the nurse at the desk; their ids, first gel first."""
    start = clock.now()
    sessions = []
    for number, (given, family, minutes) in enumerate(PATIENTS, 1):
        clock.set(start + timedelta(minutes=minutes))
        sessions.append(gel_on(desk, nurse, number, given, family))
    window.set_staff(nurse)
    settle(qtbot)
    clock.set(start + timedelta(minutes=95))
    tick(qtbot, window)
    flush()
    return sessions


def alert_lines(window: MainWindow) -> list[QLabel]:
    rows = [label for label in window.banner.findChildren(QLabel, "alertText") if not label.isHidden()]
    return sorted(rows, key=lambda label: label.mapTo(window, QPoint(0, 0)).y())


def test_alerts_come_most_urgent_first_each_in_its_tone_with_its_own_acknowledge_beside_it(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    four_alerts(qtbot, window, desk, nurse, clock)

    lines = alert_lines(window)
    assert [label.text().split(":")[0] for label in lines] == [
        "Zoë O'Brien",  # remove now, due at 90 min
        "Siân Pritchard",  # remove now, due at 93 min
        "Callum McKenzie",  # ready, due at 80 min
        "Ada Lovelace",  # ready, due at 85 min
    ]
    assert unheard(window.banner) == [] and unheard(window.findChild(QToolBar)) == []
    tones = [label.parentWidget().property("tone") for label in lines]
    assert tones == ["urgent", "urgent", "calm", "calm"]
    for label in lines:
        button = label.parentWidget().findChild(QPushButton)
        assert heard(label).startswith(label.text()), "a screen reader hears each alert's words"
        assert heard(button).startswith(f"Acknowledge: {label.text()}"), "its button names the alert"
        gap = button.mapTo(window, QPoint(0, 0)).x() - label.mapTo(window, QPoint(label.width(), 0)).x()
        assert 0 <= gap < 40, f"Acknowledge is {gap} px from its alert"


def test_with_four_alerts_the_chrome_above_the_pages_stays_under_200_px_and_the_alerts_scroll(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    """Tool bar, demo line and three alert lines in view: 200 px at most. A message line more (a busy
    database) takes one line more: the pages still have the 380 px of a 1280x641 window."""
    four_alerts(qtbot, window, desk, nurse, clock)
    window.demo_label.setVisible(True)  # as on a demo database
    QApplication.processEvents()

    assert window.stack.mapTo(window, QPoint(0, 0)).y() <= 200
    assert window.banner.verticalScrollBar().maximum() > 0, "the fourth alert is scrolled to"

    window.alert_message.setText("The database is busy: the last step shows as done only once saved.")
    window.alert_message.setVisible(True)
    QApplication.processEvents()
    assert window.stack.mapTo(window, QPoint(0, 0)).y() <= 641 - 380


def test_the_acknowledge_key_answers_the_top_alert_and_records_who(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    sessions = four_alerts(qtbot, window, desk, nurse, clock)
    activate(qtbot, window)

    assert isinstance(QApplication.focusWidget(), QLineEdit), (
        "typing in the board's search: it works there too"
    )
    keys = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_K, keys)
    settle(qtbot)
    flush()

    acknowledged = desk.sessions.session(sessions[0]).events[-1]
    assert (acknowledged.kind, acknowledged.text, acknowledged.staff_name) == (
        EventKind.ALERT_ACK,
        AlertKind.REMOVE_NOW.value,
        "Ann Nurse",
    )
    assert [label.text().split(":")[0] for label in alert_lines(window)] == [
        "Siân Pritchard",
        "Callum McKenzie",
        "Ada Lovelace",
    ]
    assert ACKNOWLEDGE_KEYS == "Ctrl+Shift+K"


def test_acknowledged_by_keyboard_the_keyboard_goes_to_the_next_alert(
    qtbot: QtBot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    four_alerts(qtbot, window, desk, nurse, clock)
    activate(qtbot, window)
    first = window.banner.findChildren(QPushButton, "acknowledgeButton")[0]
    first.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(first, Qt.Key.Key_Space)
    settle(qtbot)
    qtbot.waitUntil(lambda: QApplication.focusWidget().accessibleName().startswith("Acknowledge: "))
    assert QApplication.focusWidget().accessibleName().startswith("Acknowledge: Siân Pritchard")


def test_the_window_opens_at_its_size_on_a_big_screen_and_maximised_on_a_small_one(
    window: MainWindow,
) -> None:
    window.fit_to_screen(QRect(0, 0, 1920, 1040))
    assert window.size() == QSize(1280, 860) and not window.isMaximized()
    assert window.frameGeometry().center().x() in range(955, 966)

    window.fit_to_screen(QRect(0, 0, 1366, 728))
    assert window.windowState() & Qt.WindowState.WindowMaximized


def test_the_window_shrinks_to_either_small_screen_with_four_alerts(
    qtbot, window: MainWindow, desk: Desk, nurse: Staff, clock: ManualClock
) -> None:
    four_alerts(qtbot, window, desk, nurse, clock)
    for size in SMALL_SCREENS.values():
        shrink_to(window, size)


def test_f1_opens_a_sheet_of_every_key_and_screen_and_esc_closes_it(
    qtbot: QtBot, window: MainWindow, nurse: Staff
) -> None:
    window.set_staff(nurse)
    settle(qtbot)
    activate(qtbot, window)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_F1)
    sheets = [w for w in QApplication.topLevelWidgets() if isinstance(w, HelpSheet) and w.isVisible()]
    assert len(sheets) == 1 and not sheets[0].isModal(), "a sheet beside the window, not blocking it"
    sheet = sheets[0]

    shown = "\n".join(label.text() for label in sheet.findChildren(QLabel) if label.isVisible())
    keys = {
        action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        for action in window.findChildren(QAction)
        if not action.shortcut().isEmpty()
    }
    assert {"Ctrl+B", "Ctrl+Shift+K", "Ctrl+Shift+A", "F1"} <= keys
    assert [key for key in keys if key not in shown.splitlines()] == []
    for screen in ("Board", "Session", "Patients", "Follow-up calls", "Locked"):
        assert screen in shown.splitlines()
    lines = shown.splitlines()
    assert lines[lines.index("Ctrl+J") + 1] == "Session: go to the next item to do", "each key says what"

    assert unheard(sheet) == []

    qtbot.waitUntil(sheet.isActiveWindow, timeout=1000)
    qtbot.keyClick(QApplication.focusWidget() or sheet, Qt.Key.Key_Escape)
    assert not sheet.isVisible()


def test_make_demo_builds_a_new_demo_in_a_new_temporary_folder_then_opens_it(tmp_path: Path) -> None:
    """Run with stand-ins for the app's commands, which write down how they were called (the demo's
    building has tests of its own, tests/unit/test_demo.py)."""
    bin_folder, calls, installed = tmp_path / "bin", tmp_path / "calls", tmp_path / "installed"
    bin_folder.mkdir()
    installed.touch()  # newer than pyproject.toml: make installs nothing
    for program in ("python", "desk-app"):
        stand_in = bin_folder / program
        stand_in.write_text(f'#!/bin/sh\necho "{program} $*" >> {calls}\n')
        stand_in.chmod(0o755)
    for _ in range(2):
        subprocess.run(
            ["make", "-s", "demo", f"BIN={bin_folder}", f"STAMP={installed}", f"TMPDIR={tmp_path}"],
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path)},
            check=True,
        )

    lines = calls.read_text().splitlines()
    assert lines[0] == "python -m desk_app.syscheck"
    built, opened = lines[1].split(), lines[2].split()
    assert built[:3] == ["desk-app", "demo", "--db"] and opened == ["desk-app", "--db", built[3]]
    assert Path(built[3]).parent.parent == tmp_path, "in a new temporary folder"
    assert lines[4].split()[3] != built[3], "a new demo each time"
