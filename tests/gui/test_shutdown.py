"""A clinic PC is shut down, not closed: SIGTERM (a shutdown or logout), SIGINT and the end of the
system session close the window as its close button does (issue 23)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.store.desk import Desk
from desk_app.store.models import AuditLog
from desk_app.ui.backups import BackupKeeper
from desk_app.ui.main_window import MainWindow
from desk_app.ui.shutdown import ShutdownListener
from tests.gui.nurse import settle, sign_in
from tests.support.people import PASSWORD

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="POSIX signals")


@pytest.fixture
def closings() -> list[str]:
    return []


@pytest.fixture
def listener(qapp: QApplication, window: MainWindow, closings: list[str]) -> Iterator[ShutdownListener]:
    """The window's shut_down wired as the app wires it; the signals given back after the test."""

    def shut_down() -> None:
        closings.append("closed")
        window.shut_down()

    listening = ShutdownListener(qapp, shut_down)
    yield listening
    listening.stop()


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT])
def test_a_shutdown_signs_out_whoever_is_at_the_desk_and_makes_the_closing_backup(
    qtbot,  # noqa: ANN001
    nurse: Staff,
    window: MainWindow,
    desk: Desk,
    clock: ManualClock,
    tmp_path: Path,
    listener: ShutdownListener,
    closings: list[str],
    sent: signal.Signals,
) -> None:
    folder = tmp_path / "backups"
    window.backups = BackupKeeper(Path(desk.database.database_file() or ""), lambda: folder, clock)
    sign_in(qtbot, window, nurse.name, PASSWORD)
    settle(qtbot)

    os.kill(os.getpid(), sent)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)

    assert closings == ["closed"]
    assert any(row.action == "signed out" and row.staff_id == nurse.id for row in AuditLog.select())
    assert len(list(folder.glob("treatment-desk-*.sqlite3"))) == 1  # the closing backup


def test_two_signals_close_the_window_once(
    qtbot,  # noqa: ANN001
    window: MainWindow,
    listener: ShutdownListener,
    closings: list[str],
) -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    os.kill(os.getpid(), signal.SIGTERM)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    settle(qtbot)
    assert closings == ["closed"]


class SessionManager:
    """What Qt hands over as Windows' session ends (a QSessionManager cannot be made in a test)."""

    released = False

    def release(self) -> None:
        self.released = True


def test_the_end_of_the_windows_session_signs_out_and_closes_without_a_question(
    qtbot,  # noqa: ANN001
    nurse: Staff,
    window: MainWindow,
    listener: ShutdownListener,
) -> None:
    sign_in(qtbot, window, nurse.name, PASSWORD)
    settle(qtbot)
    manager = SessionManager()
    listener.session_ending(manager)  # type: ignore[arg-type]  # as Qt's commitDataRequest calls it
    settle(qtbot)
    assert manager.released and not window.isVisible()
    assert any(row.action == "signed out" and row.staff_id == nurse.id for row in AuditLog.select())
