"""The start imports what its first screen needs, the rest when first used (issue 20, point 6).

One fresh process starts as `desk-app --db FILE` does and stops once the sign-in screen is shown: the
modules of the other pages, the reports with Jinja2, Qt's print support, argon2 and, on a database
file, the PostgreSQL driver must not have been imported (together some 200 ms of every start).
peewee imports that driver with itself, so the store imports peewee without it and gives it to peewee
when a server's database is first opened: the same process then checks that peewee holds what its own
import would have set.
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
    "desk_app.ui.home_page",  # the board: built at the first sign-in
    "desk_app.ui.pin_change",  # a right PIN of 4 or 5 digits, which asks for a new one
    "desk_app.ui.long_job",  # the start-up check of a large file, a verify, a history PDF
    "desk_app.store.schema_v1",  # an old database file's upgrade (the schema of its day)
    "desk_app.ui.checklist_page",  # the first session opened (or F1, which lists its keys)
    "desk_app.ui.patients_page",
    "desk_app.ui.patient_page",
    "desk_app.ui.follow_up",
    "desk_app.ui.staff_admin",
    "desk_app.ui.devices_page",
    "desk_app.ui.register_page",
    "desk_app.ui.clinic_dialog",
    "desk_app.ui.first_start",  # a new PC's first start only
    "psycopg",  # a PostgreSQL database opened (store/postgres.py)
    "desk_app.store.postgres",
    # The desk's services are made when first used (store/desk.py: @service): the sign-in screen
    # needs accounts, clinic, this database and its trail only.
    "desk_app.store.sessions",  # the board or a session, after the first sign-in
    "desk_app.store.patients",
    "desk_app.store.devices",
    "desk_app.store.device_checks",
    "desk_app.store.laser_operators",
    "desk_app.store.laser_register",
    "desk_app.store.access",
    "desk_app.store.consents",  # a patient's consents (issue 21), and photos
    "desk_app.store.photos",
    "desk_app.domain.follow_up",
    "desk_app.domain.course",
    "desk_app.domain.signatures",
    "desk_app.domain.history",  # a record's history (store.rows reads it there)
    "desk_app.domain.laser_register",  # the register, and desk-app export register
    "desk_app.domain.laser_use",  # a laser's field or check (domain.values imports it there)
    "desk_app.domain.devices",
    "desk_app.domain.replay",  # a verify, or a session's rules (store.audit imports it there)
    "desk_app.domain.actions",
    "desk_app.store.replay_check",
    "desk_app.domain.integrity",  # a verify's result, Clinic details' database link
    "desk_app.domain.session",  # the first session read (ui.live_sessions, store.rows, domain.alerts)
    "desk_app.domain.board",
    "desk_app.domain.clinical_rules",
    "desk_app.store.anchor_check",
)
# Qt's own classes the start must not build (each with its enums, some ms each): PySide builds every
# class there is, once, when it first wraps a widget Qt made of a class it does not know (as a scroll
# area's own viewport: ui/scrolling.py makes it instead); Qt's accessibility classes at the first
# announcement (ui/widgets.announce). Looked up in PySide's module dictionaries, which hold a class
# once built.
QT_NOT_AT_START = ("QtGui.QAccessible", "QtWidgets.QWizard", "QtCore.QProcess", "QtWidgets.QFileDialog")

# The start of desk-app, in a fresh interpreter; instead of the event loop: the page shown, the modules.
_START = """
import gc, json, sys
from desk_app.launch import main  # the desk-app command's entry point
from PySide6.QtCore import QAbstractAnimation
from PySide6.QtWidgets import QApplication
from desk_app.ui.main_window import MainWindow

def driver_names(peewee):  # what peewee holds of psycopg: its module's names and its adapter's
    adapter = {"Psycopg3Adapter." + name: value for name, value in vars(peewee.Psycopg3Adapter).items()}
    return {
        name: getattr(value, "__qualname__", None) or repr(value)
        for name, value in {**vars(peewee), **adapter}.items()
        if value is None
        or (getattr(value, "__module__", None) or getattr(value, "__name__", "")).startswith("psycopg")
    }

def peewee_given_psycopg():  # peewee given the driver late, beside a fresh copy that imports it itself
    import importlib.util
    import peewee
    from desk_app.store import give_peewee_psycopg

    give_peewee_psycopg()
    spec = importlib.util.find_spec("peewee")
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    return {"given": driver_names(peewee), "own": driver_names(fresh)}

collected = []  # the garbage collector's runs from the command's call to the window shown

def shown(app):
    collector = {"runs in the start": len(collected), "on": gc.isenabled(), "frozen": gc.get_freeze_count()}
    app.processEvents()
    window = next(w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
    page, modules = type(window.stack.currentWidget()).__name__, sorted(sys.modules)
    import PySide6.QtCore, PySide6.QtGui, PySide6.QtWidgets
    qt_built = sorted(
        f"{name}.{cls}" for name in ("QtCore", "QtGui", "QtWidgets")
        for cls, value in vars(getattr(PySide6, name)).items() if isinstance(value, type)
    )
    animations = [type(made).__name__ for made in window.findChildren(QAbstractAnimation)]
    peewee = peewee_given_psycopg()
    seen = {"page": page, "modules": modules, "animations": animations, "peewee": peewee, "qt": qt_built}
    print(json.dumps({**seen, **collector}))
    return 0

QApplication.exec = shown
gc.callbacks.append(lambda phase, _info: phase == "start" and collected.append(phase))
sys.exit(main(["--db", sys.argv[1]]))
"""


def test_the_sign_in_screen_opens_without_the_modules_of_later_pages_reports_printing_argon2_or_psycopg(
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
    assert [name for name in QT_NOT_AT_START if name in seen["qt"]] == []
    # No animation at the start (the main window's tool bar and page area were animated into place,
    # in zero time): the first event of its timer in the app's event filter made PySide build every
    # Qt class there is, to find the timer's (some 190 enums, tens of ms before the first paint).
    assert seen["animations"] == []
    # The garbage collector paused while the app starts (desk_app.launch), and running once the window
    # is shown, never walking again what the start made (frozen).
    assert (seen["runs in the start"], seen["on"]) == (0, True)
    assert seen["frozen"] > 10_000
    assert seen["peewee"]["given"] == seen["peewee"]["own"]  # a server's database opens as before
