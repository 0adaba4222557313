"""Every write path under a failing database: disk full, disk I/O error, locked past the timeout.

The requirement: the user sees a clear message, nothing is shown as done that was not committed, and
the app keeps running. At the store that means each public method that writes raises StoreUnavailable
("Not saved: ..." naming the problem), leaves every table as it was (audit_log and sqlite_sequence
included, as the desk itself and as another program read them), leaves no transaction open, and the
same Desk does the same action normally once the fault is gone.

Full disks and failing disks are injected where SQLite reports them: the raw sqlite3 cursor raises
sqlite3.OperationalError for a write statement or for COMMIT, and peewee turns it into its own error
exactly as it does for a real one. A locked database is real: a second connection holds
BEGIN IMMEDIATE on the file and the desk's busy timeout is shortened to 50 ms.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
from peewee import Database

from desk_app.domain.access import Opened
from desk_app.domain.alerts import AlertKind
from desk_app.domain.clinic import DocumentKind, checked_clinic_details
from desk_app.domain.clock import ManualClock
from desk_app.domain.credentials import MAX_PIN_FAILURES, MAX_SIGN_IN_FAILURES
from desk_app.domain.errors import DomainError
from desk_app.domain.people import Patient, Staff
from desk_app.domain.permissions import PermissionRefused
from desk_app.domain.refusals import PinChangeNeeded, SignInRefused
from desk_app.store.context import Service
from desk_app.store.database import open_database
from desk_app.store.demo_signatures import scribble
from desk_app.store.desk import Desk
from desk_app.store.errors import StoreUnavailable
from tests.support.consent import consented
from tests.support.lasers import passed_answers, register_test_laser
from tests.support.people import (
    LEGACY_PIN,
    OTHER_PIN,
    PASSWORD,
    PIN,
    WRONG_PIN,
    add_member,
    administrator,
    give_legacy_pin,
)
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT, signed_out_session, tick_all
from tests.unit.test_devices import ERBIUM

DISK_FULL = "database or disk is full"
DISK_IO_ERROR = "disk I/O error"
LOCKED = "database is locked"

_WRITES = {"INSERT", "UPDATE", "DELETE", "REPLACE"}
_COMMITS = {"COMMIT", "END"}


# --- the faults ------------------------------------------------------------------------------------


class DiskFault:
    """A full or failing disk, from the `from_point`-th write on, counting every write statement and
    every COMMIT as they come: that one and every later one fail with sqlite3.OperationalError(message)
    until the fault is removed. Reads, BEGIN and ROLLBACK still work, as on a full disk, so an action
    can be refused and rolled back cleanly.
    """

    def __init__(self, message: str, from_point: int = 1) -> None:
        self.message = message
        self.from_point = from_point
        self.points = 0
        self.struck: str | None = None  # the first statement that failed: "INSERT", ..., "COMMIT"

    def check(self, sql: str) -> None:
        words = sql.split(None, 1)
        verb = words[0].upper() if words else ""
        if verb not in _WRITES | _COMMITS:
            return
        self.points += 1
        if self.points < self.from_point:
            return
        self.struck = self.struck or verb
        raise sqlite3.OperationalError(self.message)

    @contextmanager
    def injected(self, db: Database) -> Iterator[DiskFault]:
        """While inside: every cursor the database hands out (peewee's queries, BEGIN, COMMIT) is
        watched by this fault. The fault is gone on leaving, whatever happened inside."""
        original = db.cursor

        def watched_cursor(*args: Any, **kwargs: Any) -> _WatchedCursor:
            return _WatchedCursor(original(*args, **kwargs), self)

        db.cursor = watched_cursor  # type: ignore[method-assign]
        try:
            yield self
        finally:
            del db.cursor  # the class's own method again


class _WatchedCursor:
    """A sqlite3 cursor whose execute() asks the fault first; everything else is the real cursor."""

    def __init__(self, cursor: sqlite3.Cursor, fault: DiskFault) -> None:
        self._cursor = cursor
        self._fault = fault

    def execute(self, sql: str, params: Any = ()) -> _WatchedCursor:
        self._fault.check(sql)
        self._cursor.execute(sql, params)
        return self

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


@contextmanager
def another_desk_writing(db: Database, db_path: Path) -> Iterator[None]:
    """Another program holds the write lock for longer than this desk waits (shortened to 50 ms)."""
    db.execute_sql("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(db_path, timeout=0.05)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.rollback()
        other.close()


def ram_folder(fallback: Path) -> Iterator[Path]:
    """A folder of its own on a RAM disk (removed afterwards), or `fallback` where there is none."""
    ram = Path("/dev/shm")
    if not (ram.is_dir() and os.access(ram, os.W_OK)):
        yield fallback
        return
    folder = Path(tempfile.mkdtemp(prefix="desk-faults-", dir=ram))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- what the database holds -----------------------------------------------------------------------

Rows = dict[str, list[str]]


def _rows(execute: Callable[[str], list[tuple]]) -> Rows:
    tables = [
        name for (name,) in execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    ]
    return {table: sorted(repr(row) for row in execute(f'SELECT * FROM "{table}"')) for table in tables}


def committed_rows(db_path: Path) -> Rows:
    """Every row of every table as another program reads the file: what is committed."""
    with closing(sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)) as reader:
        return _rows(lambda sql: reader.execute(sql).fetchall())


def rows_seen_by_desk(db: Database) -> Rows:
    """Every row as the desk's own connection reads it: an unfinished transaction would show here."""
    return _rows(lambda sql: db.execute_sql(sql).fetchall())


def assert_nothing_changed(db: Database, db_path: Path, before: Rows) -> None:
    assert not db.in_transaction(), "peewee still thinks a transaction is open"
    assert not db.connection().in_transaction, "the connection holds a transaction (and the write lock)"
    assert committed_rows(db_path) == before
    assert rows_seen_by_desk(db) == before


def assert_refused_as_not_saved(error: StoreUnavailable, problem: str) -> None:
    message = str(error)
    assert isinstance(error, DomainError)  # what every screen catches and shows
    assert message.startswith("Not saved"), message
    assert problem in message, message
    assert "Nothing was changed" in message


# --- the scene each action needs -------------------------------------------------------------------


@dataclass
class Scene:
    """What an action needs, made only when a case asks for it (the first administrator needs nobody)."""

    desk: Desk
    clock: ManualClock

    @cached_property
    def admin(self) -> Staff:
        return administrator(self.desk)

    @cached_property
    def nurse(self) -> Staff:
        return add_member(self.desk, "Ann Nurse", "AN", "nurse")

    @cached_property
    def clinician(self) -> Staff:
        return add_member(self.desk, "Dr Clive Doctor", "CD", "clinician")

    @cached_property
    def zoe(self) -> Patient:
        return self.desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", self.nurse.id)

    def start(self) -> int:
        return self.desk.sessions.start_session(self.zoe.id, self.nurse.id).id

    def gel_on(self) -> int:
        session_id = self.start()
        tick_all(self.desk, session_id, {**SIGN_IN, **ANAESTHETIC}, self.nurse.id)
        return session_id

    def lock_out_nurse(self) -> None:
        for _ in range(MAX_SIGN_IN_FAILURES):
            with pytest.raises(SignInRefused):
                self.desk.accounts.sign_in(self.nurse.id, "not the password")


Action = Callable[[], object]
# Each case sets the scene, then returns the action: without a fault it succeeds (or, for a refused
# sign-in, is refused after committing what it records, as designed).
Case = Callable[[Scene], Action]


def start_session(s: Scene) -> Action:
    zoe, nurse = s.zoe, s.nurse
    return lambda: s.desk.sessions.start_session(zoe.id, nurse.id)


def tick(s: Scene) -> Action:
    session_id = s.start()
    return lambda: s.desk.sessions.tick(session_id, "identity", SIGN_IN["identity"], s.nurse.id)


def tick_that_signs_out(s: Scene) -> Action:
    """The last tick writes the event and closes the session: two writes in one transaction."""
    session_id = s.gel_on()
    s.clock.advance(minutes=61)
    tick_all(s.desk, session_id, {**TIME_OUT, **LASER, **SIGN_OUT}, s.nurse.id)
    return lambda: s.desk.sessions.sign_out(session_id, s.nurse.id, PIN)


def tick_refused_for_an_unauthorised_nurse(s: Scene) -> Action:
    """A refusal is audited in a transaction of its own, after the refused one rolled back."""
    session_id = s.gel_on()
    s.clock.advance(minutes=61)
    tick_all(s.desk, session_id, {"identity_read_back": {}, "gel_removed": {}}, s.nurse.id)
    trainee = add_member(s.desk, "Tia Trainee", "TT", "nurse", laser_operator=False)
    return _refused(
        lambda: s.desk.sessions.tick(session_id, "staff_eyewear", {}, trainee.id),
        "Only an authorised laser operator",
        PermissionRefused,
    )


def grant_laser_authorisation(s: Scene) -> Action:
    admin = s.admin
    trainee = add_member(s.desk, "Tia Trainee", "TT", "nurse", laser_operator=False)
    today = s.clock.now().date()
    return lambda: s.desk.operators.grant_laser_authorisation(
        trainee.id, today - timedelta(days=7), today + timedelta(days=365), admin.id
    )


def withdraw_laser_authorisation(s: Scene) -> Action:
    admin, nurse = s.admin, s.nurse
    return lambda: s.desk.operators.withdraw_laser_authorisation(nurse.id, "Left the laser rota", admin.id)


def register_device(s: Scene) -> Action:
    admin = s.admin
    return lambda: s.desk.devices.register_device(ERBIUM, admin.id)


def update_device(s: Scene) -> Action:
    admin = s.admin
    device = s.desk.devices.register_device(ERBIUM, admin.id)
    return lambda: s.desk.devices.update_device(device.id, {"lpa_name": "Dr Ravi Adviser"}, admin.id)


def retire_device(s: Scene) -> Action:
    admin = s.admin
    device = s.desk.devices.register_device(ERBIUM, admin.id)
    return lambda: s.desk.devices.retire_device(device.id, "Sold to another clinic", admin.id)


def record_pre_use_check(s: Scene) -> Action:
    device_id = register_test_laser(s.desk)
    nurse = s.nurse
    return lambda: s.desk.device_checks.record_pre_use_check(device_id, passed_answers(s.desk), "", nurse.id)


def record_register_export(s: Scene) -> Action:
    nurse = s.nurse
    what = {"from": "2026-11-01", "to": "2026-11-25", "device": "All devices", "format": "CSV", "rows": 0}
    return lambda: s.desk.laser_register.record_register_export(what, nurse.id, nurse.name)


def correct(s: Scene) -> Action:
    session_id = s.start()
    s.desk.sessions.tick(session_id, "identity", SIGN_IN["identity"], s.nurse.id)
    return lambda: s.desk.sessions.correct(session_id, "identity", "Ticked for the wrong patient", s.nurse.id)


def override(s: Scene) -> Action:
    session_id = s.start()
    s.desk.sessions.tick(session_id, "skin_type", {"fitzpatrick": "V"}, s.nurse.id)  # needs a clinician
    clinician = s.clinician
    return lambda: s.desk.sessions.override(
        session_id, "skin_type", "Test patch fine", clinician.id, s.nurse.id, PIN
    )


def clear_stop(s: Scene) -> Action:
    session_id = s.start()
    signs = {**TIME_OUT["anaesthetic_toxicity"], "dizziness": "Yes"}
    tick_all(s.desk, session_id, {**SIGN_IN, **ANAESTHETIC}, s.nurse.id)
    s.clock.advance(minutes=61)
    tick_all(
        s.desk,
        session_id,
        {"identity_read_back": {}, "gel_removed": {}, "anaesthetic_toxicity": signs},
        s.nurse.id,
    )
    clinician = s.clinician
    reason = "Seen: the dizziness passed; observations normal"
    return lambda: s.desk.sessions.clear_stop(
        session_id, "anaesthetic_toxicity", reason, clinician.id, s.nurse.id, PIN
    )


def add_note(s: Scene) -> Action:
    session_id = s.start()
    return lambda: s.desk.sessions.add_note(
        session_id, "consent", "Patient anxious; talked it through", s.nurse.id
    )


def acknowledge_alert(s: Scene) -> Action:
    session_id = s.gel_on()
    s.clock.advance(minutes=61)  # 'ready' is due
    return lambda: s.desk.sessions.acknowledge_alert(session_id, AlertKind.READY, s.nurse.id)


def take_over(s: Scene) -> Action:
    session_id, clinician = s.start(), s.clinician
    return lambda: s.desk.sessions.take_over(session_id, clinician.id)


def amend(s: Scene) -> Action:
    session_id, clinician = s.start(), s.clinician
    s.desk.sessions.abort(session_id, "Patient felt faint", s.nurse.id)  # closed: amended, not corrected
    return lambda: s.desk.sessions.amend(
        session_id, None, "Phoned: no blistering", "Follow-up call", clinician.id
    )


def record_follow_up(s: Scene) -> Action:
    session_id = signed_out_session(s.desk, s.clock, s.zoe.id, s.nurse)
    called = {"contact": "Spoke to the patient", "complication": "No"}
    return lambda: s.desk.sessions.record_follow_up(session_id, called, s.nurse.id)


def abort(s: Scene) -> Action:
    """Writes the event and closes the session, with the gel's removal."""
    session_id = s.gel_on()
    return lambda: s.desk.sessions.abort(session_id, "Patient felt faint", s.nurse.id, gel_removed=True)


def register_patient(s: Scene) -> Action:
    nurse = s.nurse
    return lambda: s.desk.patients.register_patient("Ann", "Smith", "1975-06-30", "AZ-00002", nurse.id)


def update_patient(s: Scene) -> Action:
    zoe = s.zoe
    return lambda: s.desk.patients.update_patient(
        zoe.id, {"phone": "07700 900123", "family_name": "Brien"}, s.nurse.id
    )


def set_archived(s: Scene) -> Action:
    zoe = s.zoe
    return lambda: s.desk.patients.set_archived(zoe.id, True, s.nurse.id)


def update_clinic_details(s: Scene) -> Action:
    admin = s.admin
    details = checked_clinic_details("Azure Medical", "1 High St, Leeds", "Call 0113 496 0000", "Letter")
    return lambda: s.desk.clinic.update_clinic_details(details, admin.id)


def record_print(s: Scene) -> Action:
    session_id = s.start()
    return lambda: s.desk.clinic.record_print(
        DocumentKind.SESSION_RECORD, s.zoe.id, session_id, "printer Front Desk", 2, s.nurse.name, s.nurse.id
    )


def record_print_attempt(s: Scene) -> Action:
    session_id = s.start()
    return lambda: s.desk.clinic.record_print_attempt(
        DocumentKind.SESSION_RECORD, s.zoe.id, session_id, "Front Desk", 2, s.nurse.id
    )


def record_print_not_sent(s: Scene) -> Action:
    zoe, nurse = s.zoe, s.nurse
    return lambda: s.desk.clinic.record_print_not_sent(
        "0123abcd", zoe.id, "Front Desk", "out of toner", nurse.id
    )


def add_first_administrator(s: Scene) -> Action:
    return lambda: s.desk.accounts.add_staff("Ada Admin", "AA", "administrator", PASSWORD, PIN, None)


def add_staff(s: Scene) -> Action:
    admin = s.admin
    return lambda: s.desk.accounts.add_staff("Kate Whitmore", "KW", "nurse", PASSWORD, PIN, admin.id)


def update_staff(s: Scene) -> Action:
    admin, nurse = s.admin, s.nurse
    return lambda: s.desk.accounts.update_staff(nurse.id, "clinician", True, admin.id)


def rename_staff(s: Scene) -> Action:
    admin, nurse = s.admin, s.nurse
    return lambda: s.desk.accounts.rename_staff(nurse.id, "Ann Nurse-Jones", "ANJ", admin.id)


def set_credentials(s: Scene) -> Action:
    admin, nurse = s.admin, s.nurse
    return lambda: s.desk.accounts.set_credentials(nurse.id, "a new password", OTHER_PIN, admin.id)


def unlock_account(s: Scene) -> Action:
    admin = s.admin
    s.lock_out_nurse()
    return lambda: s.desk.accounts.unlock_account(s.nurse.id, admin.id)


def unlock_from_terminal(s: Scene) -> Action:
    s.lock_out_nurse()
    return lambda: s.desk.accounts.unlock_from_terminal("an", "mo")


def sign_in(s: Scene) -> Action:
    nurse = s.nurse
    return lambda: s.desk.accounts.sign_in(nurse.id, PASSWORD)


def _refused(call: Action, match: str, refusal: type[Exception] = SignInRefused) -> Action:
    """An action refused by design after it commits the failure count (or the refusal's audit row)."""

    def act() -> None:
        with pytest.raises(refusal, match=match):
            call()

    return act


def sign_in_with_a_wrong_password(s: Scene) -> Action:
    nurse = s.nurse
    # "9 tries left" on the retry also proves the faulty attempt was not counted.
    return _refused(lambda: s.desk.accounts.sign_in(nurse.id, "not the password"), r"9 tries left")


def sign_in_to_a_locked_account(s: Scene) -> Action:
    s.lock_out_nurse()
    return _refused(lambda: s.desk.accounts.sign_in(s.nurse.id, PASSWORD), "is locked")


def confirm_pin(s: Scene) -> Action:
    clinician = s.clinician
    return lambda: s.desk.accounts.confirm_pin(clinician.id, PIN, "switch staff")


def confirm_a_wrong_pin(s: Scene) -> Action:
    nurse = s.nurse
    return _refused(
        lambda: s.desk.accounts.confirm_pin(nurse.id, WRONG_PIN, "unlock"), r"Wrong PIN\. 4 tries left"
    )


def confirm_a_pin_after_too_many_wrong_ones(s: Scene) -> Action:
    nurse = s.nurse
    for _ in range(MAX_PIN_FAILURES):
        with pytest.raises(SignInRefused):
            s.desk.accounts.confirm_pin(nurse.id, WRONG_PIN, "unlock")
    return _refused(
        lambda: s.desk.accounts.confirm_pin(nurse.id, PIN, "unlock"), "must sign in with their password"
    )


def confirm_a_4_digit_pin(s: Scene) -> Action:
    nurse = s.nurse
    give_legacy_pin(nurse)
    return _refused(
        lambda: s.desk.accounts.confirm_pin(nurse.id, LEGACY_PIN, "unlock"), "only 4 digits", PinChangeNeeded
    )


def change_pin(s: Scene) -> Action:
    nurse = s.nurse
    give_legacy_pin(nurse)
    return lambda: s.desk.accounts.change_pin(nurse.id, LEGACY_PIN, OTHER_PIN)


def record_access(s: Scene) -> Action:
    nurse, zoe = s.nurse, s.zoe
    return lambda: s.desk.access.record_access(nurse.id, zoe.id, Opened.PATIENT_PAGE)


def record_search(s: Scene) -> Action:
    nurse = s.nurse
    return lambda: s.desk.access.record_search(nurse.id, 3, False)


def record_sign_out(s: Scene) -> Action:
    nurse = s.nurse
    return lambda: s.desk.accounts.record_sign_out(nurse.id)


def record_screen_lock(s: Scene) -> Action:
    nurse = s.nurse
    return lambda: s.desk.accounts.record_screen_lock(nurse.id, True)


JPEG = b"\xff\xd8\xff\xe0 a photo the import pipeline made"


def add_photo(s: Scene) -> Action:
    session_id, nurse = s.start(), s.nurse
    consented(s.desk, s.zoe.id, nurse)
    return lambda: s.desk.photos.add(session_id, "front", "before", JPEG, JPEG, 8, 6, "IMG_1.JPG", nurse.id)


def open_thumbnails(s: Scene) -> Action:
    photo = add_photo(s)()
    return lambda: s.desk.photos.open_thumbnails([photo.id], s.nurse.id)


def open_photo(s: Scene) -> Action:
    photo = add_photo(s)()
    return lambda: s.desk.photos.open_photo(photo.id, s.nurse.id)


def sign_consent(s: Scene) -> Action:
    session_id, zoe, nurse = s.start(), s.zoe, s.nurse
    version = s.desk.consents.current_form().version
    return lambda: s.desk.consents.sign(zoe.id, session_id, version, scribble(1), True, nurse.id, PIN)


def withdraw_consent(s: Scene) -> Action:
    consent = consented(s.desk, s.zoe.id, s.nurse)  # no session in progress: it would be stopped first
    return lambda: s.desk.consents.withdraw(consent.id, "She changed her mind", s.nurse.id)


# Each public write method of the Desk, with the cases that drive it.
CASES_BY_METHOD: dict[str, list[Case]] = {
    "sign": [sign_consent],
    "withdraw": [withdraw_consent],
    "start_session": [start_session],
    "tick": [tick, tick_refused_for_an_unauthorised_nurse],
    "sign_out": [tick_that_signs_out],
    "grant_laser_authorisation": [grant_laser_authorisation],
    "withdraw_laser_authorisation": [withdraw_laser_authorisation],
    "register_device": [register_device],
    "update_device": [update_device],
    "retire_device": [retire_device],
    "record_pre_use_check": [record_pre_use_check],
    "record_register_export": [record_register_export],
    "correct": [correct],
    "override": [override],
    "clear_stop": [clear_stop],
    "add_note": [add_note],
    "acknowledge_alert": [acknowledge_alert],
    "take_over": [take_over],
    "amend": [amend],
    "record_follow_up": [record_follow_up],
    "abort": [abort],
    "register_patient": [register_patient],
    "update_patient": [update_patient],
    "set_archived": [set_archived],
    "update_clinic_details": [update_clinic_details],
    "record_print": [record_print],
    "record_print_attempt": [record_print_attempt],
    "record_print_not_sent": [record_print_not_sent],
    "add_staff": [add_first_administrator, add_staff],
    "update_staff": [update_staff],
    "rename_staff": [rename_staff],
    "set_credentials": [set_credentials],
    "unlock_account": [unlock_account],
    "unlock_from_terminal": [unlock_from_terminal],
    "sign_in": [sign_in, sign_in_with_a_wrong_password, sign_in_to_a_locked_account],
    "confirm_pin": [
        confirm_pin,
        confirm_a_wrong_pin,
        confirm_a_pin_after_too_many_wrong_ones,
        confirm_a_4_digit_pin,
    ],
    "change_pin": [change_pin],
    "record_access": [record_access],
    "record_search": [record_search],
    "record_sign_out": [record_sign_out],
    "record_screen_lock": [record_screen_lock],
    "add": [add_photo],
    "open_thumbnails": [open_thumbnails],
    "open_photo": [open_photo],
}
CASES = [case for cases in CASES_BY_METHOD.values() for case in cases]
CASE_IDS = [case.__name__ for case in CASES]


@pytest.fixture
def scene(desk: Desk, clock: ManualClock) -> Scene:
    return Scene(desk, clock)


@pytest.fixture(scope="module")
def empty_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A new database made once by open_database (created, migrated, closed), copied for each test."""
    for folder in ram_folder(tmp_path_factory.mktemp("template")):
        made = folder / "empty.sqlite3"
        open_database(str(made)).close()
        yield made


@pytest.fixture
def db_path(tmp_path: Path, empty_database: Path) -> Iterator[Path]:
    """A fresh copy of the new database, on a RAM disk where there is one: the tests commit some
    2,000 times, each synced. The app's settings, and the faults, are the same on either."""
    for folder in ram_folder(tmp_path):
        path = folder / "desk.sqlite3"
        shutil.copyfile(empty_database, path)
        yield path


def test_every_public_method_that_writes_has_a_case(desk: Desk) -> None:
    """Methods of the desk's services that open a write transaction (read from their source): each
    needs a case here."""
    import inspect

    services = {type(made) for name in dir(desk) if isinstance(made := getattr(desk, name), Service)}
    writers = {
        name
        for service in services
        for name, method in inspect.getmembers(service, inspect.isfunction)
        if not name.startswith("_") and "db.atomic()" in inspect.getsource(method)
    }
    assert writers == set(CASES_BY_METHOD)


# --- each action, each fault ---------------------------------------------------------------------


@pytest.mark.parametrize("fault", [DISK_FULL, DISK_IO_ERROR, LOCKED], ids=["disk-full", "io-error", "locked"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_a_failing_database_saves_nothing_says_so_and_the_desk_goes_on(
    scene: Scene, case: Case, fault: str, db: Database, db_path: Path
) -> None:
    """A lock is met at BEGIN IMMEDIATE; the desk is refused, then does the action once it is released.

    A full or failing disk strikes at the action's first write, then (action tried again) at its
    second, and so on through its COMMIT, until it strikes past the action's last write and the action
    goes through: a later write failing (the session closed after its event, the audit row after the
    change, a write after a commit) must take back every write before it."""
    act = case(scene)
    before = committed_rows(db_path)
    assert rows_seen_by_desk(db) == before

    if fault == LOCKED:
        with another_desk_writing(db, db_path), pytest.raises(StoreUnavailable) as raised:
            act()
        assert_refused_as_not_saved(raised.value, fault)
        assert_nothing_changed(db, db_path, before)
        act()  # the other desk has finished: the same desk does the same action
    else:
        struck: list[str] = []
        for from_point in range(1, 40):
            refused: StoreUnavailable | None = None
            with DiskFault(fault, from_point).injected(db) as disk:
                try:
                    act()
                except StoreUnavailable as error:
                    refused = error
            if disk.struck is None:
                break  # past the last write: the same desk did the action as on a sound disk
            assert refused is not None, f"the failed {disk.struck} (write {from_point}) reached nobody"
            assert_refused_as_not_saved(refused, fault)
            assert_nothing_changed(db, db_path, before)
            struck.append(disk.struck)
        else:
            pytest.fail("the action never got past the fault")
        assert struck[-1] in _COMMITS and len(struck) >= 2, struck  # at least one write, then the commit

    assert committed_rows(db_path) != before
    assert scene.desk.audit.verify_audit().ok


# --- the injection itself is faithful ---------------------------------------------------------


def test_an_injected_fault_reaches_the_store_as_a_real_one_does(
    desk: Desk, db: Database, nurse: Staff
) -> None:
    """Through peewee's own error wrapping, as a peewee OperationalError carrying SQLite's words;
    reads go on as on a full disk."""
    from peewee import OperationalError

    with DiskFault(DISK_FULL).injected(db) as fault:
        with pytest.raises(OperationalError, match=DISK_FULL):
            db.execute_sql("INSERT INTO clinic_setting (key, value) VALUES ('x', 'y')")
        assert fault.struck == "INSERT"
        assert nurse in desk.accounts.list_staff()
    assert db.execute_sql("SELECT count(*) FROM clinic_setting WHERE key = 'x'").fetchone() == (0,)


def test_a_desk_waits_no_longer_than_its_timeout_for_another_desk_s_lock(
    scene: Scene, db: Database, db_path: Path
) -> None:
    """The locked case is a real lock, not an injected message: the write lock of another connection."""
    act = record_screen_lock(scene)
    with another_desk_writing(db, db_path), pytest.raises(StoreUnavailable, match=LOCKED):
        act()
    act()
