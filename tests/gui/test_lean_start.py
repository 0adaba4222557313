"""The start imports what its first screen needs, the rest when first used (issue 20, point 6).

One fresh process starts as `desk-app --db FILE` does and stops once the sign-in screen is shown: the
modules of the other pages, the reports with Jinja2, Qt's print support and argon2 must not have been
imported (together some 100 ms of every start). psycopg is not among them: peewee imports it with
itself, so every start has it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from desk_app.domain.people import Staff
from desk_app.store.desk import Desk

REPO = Path(__file__).resolve().parents[2]

# Imported when first used, never by the start: each line says what first uses it.
NOT_AT_START = (
    "jinja2",  # a print, a PDF, the sign-out summary (warmed 2 s after the window is up)
    "desk_app.reports.documents",  # the same
    "PySide6.QtPrintSupport",  # Print... on a record or the register
    "argon2",  # the first password or PIN checked
    "desk_app.ui.checklist_page",  # the first session opened (or F1, which lists its keys)
    "desk_app.ui.patients_page",
    "desk_app.ui.patient_page",
    "desk_app.ui.follow_up",
    "desk_app.ui.staff_admin",
    "desk_app.ui.devices_page",
    "desk_app.ui.register_page",
    "desk_app.ui.clinic_dialog",
    "desk_app.ui.first_start",  # a new PC's first start only
)

# The start of desk-app, in a fresh interpreter; instead of the event loop: the page shown, the modules.
_START = """
import json, sys
from desk_app.cli import main
from PySide6.QtWidgets import QApplication
from desk_app.ui.main_window import MainWindow

def shown(app):
    app.processEvents()
    window = next(w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
    print(json.dumps({"page": type(window.stack.currentWidget()).__name__, "modules": sorted(sys.modules)}))
    return 0

QApplication.exec = shown
sys.exit(main(["--db", sys.argv[1]]))
"""


def test_the_sign_in_screen_opens_without_the_modules_of_later_pages_reports_printing_or_argon2(
    desk: Desk, admin: Staff
) -> None:
    path = desk.database.database_file()
    assert path is not None  # a SQLite file, with an administrator: the start shows the sign-in screen
    started = subprocess.run(
        [sys.executable, "-c", _START, str(path)], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert started.returncode == 0, started.stderr[-2000:]
    seen = json.loads(started.stdout.splitlines()[-1])
    assert seen["page"] == "SignInPage"
    assert [name for name in NOT_AT_START if name in seen["modules"]] == []
