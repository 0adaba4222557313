"""Screenshots for the README, from real windows on a virtual X screen (run by `make screenshots`).

Builds a fresh demo database, opens the app as a nurse would see it, and grabs the screen.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from desk_app.app import app_icon, build_window, load_style
from desk_app.domain.clock import SystemClock
from desk_app.store.demo import build_demo
from desk_app.ui.first_start import FirstStartDialog
from desk_app.ui.main_window import MainWindow
from desk_app.ui.signature_pad import SignatureCanvas
from tests.gui.nurse import settle

OUT = Path(__file__).resolve().parents[2] / "resources" / "screenshots"


# `make screenshots` shoots twice: a 1366x768 screen, and a 1920x1080 one at 150% (QT_SCALE_FACTOR),
# whose pictures end in this suffix.
SUFFIX = sys.argv[1] if len(sys.argv) > 1 else ""


def shoot(app: QApplication, window: MainWindow, name: str) -> None:
    app.processEvents()
    stem, extension = name.rsplit(".", 1)
    picture = app.primaryScreen().grabWindow(0)  # the whole screen: the window and any dialog on it
    picture.save(str(OUT / f"{stem}{SUFFIX}.{extension}"))


def signed_as(pad: QWidget) -> None:
    """A scribble on the signature pad, as a mouse would draw it."""
    width, height = pad.width(), pad.height()
    for stroke in ((0.12, 0.62, 0.3, 0.25, 0.42, 0.7), (0.45, 0.55, 0.6, 0.3, 0.78, 0.62)):
        points = [
            QPoint(int(x * width), int(y * height)) for x, y in zip(stroke[::2], stroke[1::2], strict=True)
        ]
        QTest.mousePress(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
        for point in points[1:]:
            QTest.mouseMove(pad, point, 20)
        QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        url = str(Path(folder) / "demo.sqlite3")
        build_demo(url)
        app = QApplication(sys.argv[:1])
        load_style(app)
        app.setWindowIcon(app_icon())
        window = build_window(url, SystemClock())
        # Maximised, as on a small clinic screen (Xvfb has no window manager to do it, nor a title bar).
        window.setGeometry(app.primaryScreen().availableGeometry())
        window.show()
        window.set_staff(window.desk.accounts.list_staff()[0])
        sessions = window.desk.sessions.sessions_in_progress()

        def steps() -> None:
            shoot(app, window, "board.png")
            numbing = next(s for s in sessions if s.patient.given_names == "Siân")
            window.show_session(numbing.id)
            QTimer.singleShot(500, lambda: (shoot(app, window, "countdown.png"), laser_room()))

        def laser_room() -> None:
            in_room = next(s for s in sessions if s.patient.given_names == "José")
            window.show_session(in_room.id)
            QTimer.singleShot(500, lambda: (shoot(app, window, "laser-pass.png"), eyewear()))

        def eyewear() -> None:
            """At the time-out: the laser chosen and the eyewear marking to check on every pair."""
            ready = next(s for s in sessions if s.patient.given_names == "Callum")
            window.show_session(ready.id)
            settle(None)  # the session is read on the database worker
            page = window.checklist_page
            page.show_pause_point("time_out")
            scroll = page.pages["time_out"]
            scroll.ensureWidgetVisible(page.cards["staff_eyewear"], 0, 200)
            in_room = next(s for s in sessions if s.patient.given_names == "José")
            QTimer.singleShot(500, lambda: (shoot(app, window, "eyewear.png"), not_permitted(in_room)))

        def not_permitted(in_room) -> None:  # noqa: ANN001
            """A nurse without laser authorisation at the same screen: why the pass is not hers."""
            at_desk = window.current_staff()
            window.set_staff(
                next(m for m in window.desk.accounts.list_staff() if m.name == "Rhiannon Hughes")
            )
            window.show_session(in_room.id)

            def back() -> None:
                shoot(app, window, "not-permitted.png")
                window.set_staff(at_desk)
                patient(in_room.patient.id)

            QTimer.singleShot(500, back)

        def patient(patient_id: int) -> None:
            window.show_patient(patient_id)
            QTimer.singleShot(500, lambda: (shoot(app, window, "patient.png"), print_record()))

        def print_record() -> None:
            signed_out = window.desk.sessions.patient_history(sessions[0].patient.id).sessions
            window.show_session(next(s for s in signed_out if s.id != sessions[0].id).id)
            window.checklist_page.print_record_button.click()
            QTimer.singleShot(800, lambda: (shoot(app, window, "print.png"), photos()))

        def photos() -> None:
            """The demo's synthetic photos of one view, side by side across the course."""
            close_dialogs()
            zoe = next(p for p in window.desk.patients.search_patients("O'Brien") if p.given_names == "Zoë")
            window.show_patient(zoe.id)
            settle(None)
            window.patient_page.photos.show_button.click()
            settle(None)

            def compare() -> None:
                window.patient_page.photos.compare_button.click()
                QTimer.singleShot(1200, lambda: (shoot(app, window, "photos.png"), consent()))

            QTimer.singleShot(800, compare)

        def consent() -> None:
            """The consent as the patient reads and signs it (a scribble drawn on the pad)."""
            close_dialogs()
            window.patient_page.consents.sign_button.click()

            def sign() -> None:
                pad = next(w for w in app.allWidgets() if isinstance(w, SignatureCanvas) and w.isVisible())
                signed_as(pad)
                QTimer.singleShot(300, lambda: (shoot(app, window, "consent.png"), locked()))

            QTimer.singleShot(800, sign)

        def close_dialogs() -> None:
            for widget in app.topLevelWidgets():
                if widget is not window and widget.isVisible():
                    widget.close()

        def locked() -> None:
            close_dialogs()
            window.lock(idle=True)
            QTimer.singleShot(500, lambda: (shoot(app, window, "locked.png"), first_start()))

        def first_start() -> None:
            """A new PC's first question, nothing chosen for the nurse yet, over an empty screen."""
            window.hide()
            own_file = Path.home() / ".local/share/TreatmentDesk/treatment-desk.sqlite3"
            question = FirstStartDialog(None, own_file, lambda _address: None)
            question.show()
            shot = "first-start.png"
            QTimer.singleShot(500, lambda: (shoot(app, window, shot), question.close(), app.quit()))

        QTimer.singleShot(800, steps)
        app.exec()
        window.desk.db.close()


if __name__ == "__main__":
    main()
