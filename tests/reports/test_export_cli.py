"""`desk-app export`: a PDF from the terminal, for a manager answering an inspector or for a script.

Success writes a readable PDF naming the patient and logs it once; every failure exits 1 with a
message, leaves no file (not even a half-written one) and logs nothing. Run in-process through
desk_app.cli.main, and once as a real process with no display at all.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from desk_app import cli
from desk_app.domain.clinic import DocumentKind
from desk_app.domain.clock import ManualClock
from desk_app.domain.procedure import Procedure
from desk_app.store.clinic import PrintEntry
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from tests.conftest import START
from tests.reports.pdf_text import pdf_pages
from tests.reports.sessions import open_clinic
from tests.support.walk import SIGN_IN, signed_out_session, tick_all

REPO = Path(__file__).resolve().parents[2]
TERMINAL = f"{getpass.getuser()} (terminal export)"


@dataclass(frozen=True)
class Stored:
    """A small clinic database, built once: Zoë treated and signed out, José stopped before the gel."""

    path: Path
    zoe_id: int
    zoe_session: int
    jose_session: int


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Stored:
    path = tmp_path_factory.mktemp("export") / "clinic.sqlite3"
    clinic = open_clinic(path)
    try:
        zoe = clinic.register("Zoë", "O'Brien", "1990-02-03", "AZ-01012")
        zoe_session = signed_out_session(clinic.desk, clinic.clock, zoe.id, clinic.nurse)
        jose = clinic.register("José", "Nuñez", "1995-11-23", "AZ-01018")
        session = clinic.desk.start_session(jose.id, clinic.nurse.id)
        tick_all(clinic.desk, session.id, SIGN_IN, clinic.nurse.id)
        clinic.desk.abort(session.id, "Patient felt faint; rebooked", clinic.nurse.id)
    finally:
        clinic.close()
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return Stored(path, zoe.id, zoe_session, session.id)


@pytest.fixture
def database(stored: Stored, tmp_path: Path) -> Path:
    """This test's own copy of the clinic database, so print logs never mix between tests."""
    copy = tmp_path / "clinic.sqlite3"
    shutil.copyfile(stored.path, copy)
    return copy


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def print_log(database: Path, procedure: Procedure, patient_id: int) -> list[PrintEntry]:
    db = open_database(str(database))
    try:
        return Desk(db, procedure, ManualClock(START)).print_log(patient_id)
    finally:
        db.close()


def logged(database: Path) -> int:
    """Rows in the print log, whoever they are about."""
    db = open_database(str(database))
    try:
        return db.execute_sql("SELECT count(*) FROM print_log").fetchone()[0]
    finally:
        db.close()


def export(database: Path, *args: str) -> int:
    return cli.main(["export", *args, "--db", str(database)])


@pytest.mark.parametrize(
    ("document", "kind"),
    [
        pytest.param("session", DocumentKind.SESSION_RECORD, id="session"),
        pytest.param("aftercare", DocumentKind.AFTERCARE_SHEET, id="aftercare"),
        pytest.param("history", DocumentKind.PATIENT_HISTORY, id="history"),
    ],
)
def test_each_export_writes_a_pdf_of_the_patient_and_logs_it_once(
    capsys: pytest.CaptureFixture[str],
    procedure: Procedure,
    stored: Stored,
    database: Path,
    out: Path,
    document: str,
    kind: DocumentKind,
) -> None:
    pdf = out / f"{document} for the inspector.pdf"
    subject = "AZ-01012" if document == "history" else str(stored.zoe_session)
    assert export(database, document, subject, "--pdf", str(pdf)) == 0

    said = capsys.readouterr()
    assert said.err == ""
    assert "Zoë O'Brien" in said.out and str(pdf) in said.out
    pages = pdf_pages(pdf.read_bytes())
    assert f"({len(pages)} page" in said.out
    for number, text in enumerate(pages, start=1):
        assert "Zoë O'Brien" in text and "AZ-01012" in text
        assert f"Printed by {TERMINAL} on " in text
        assert f"Page {number} of {len(pages)}" in text
    assert sorted(path.name for path in out.iterdir()) == [pdf.name]  # no temporary file left behind

    (entry,) = print_log(database, procedure, stored.zoe_id)
    assert entry.document is kind
    assert entry.patient_id == stored.zoe_id
    assert entry.session_id == (None if document == "history" else stored.zoe_session)
    assert entry.destination == f"PDF {pdf.resolve()}"
    assert entry.pages == len(pages)
    assert entry.printed_by == TERMINAL


def test_exporting_again_replaces_the_file_and_logs_again(
    capsys: pytest.CaptureFixture[str], procedure: Procedure, stored: Stored, database: Path, out: Path
) -> None:
    pdf = out / "record.pdf"
    pdf.write_bytes(b"an old file")
    assert export(database, "session", str(stored.zoe_session), "--pdf", str(pdf)) == 0
    assert export(database, "session", str(stored.zoe_session), "--pdf", str(pdf)) == 0
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert [entry.document for entry in print_log(database, procedure, stored.zoe_id)] == [
        DocumentKind.SESSION_RECORD,
        DocumentKind.SESSION_RECORD,
    ]


FAILURES = [
    pytest.param("session", "999", "out", "Session 999 does not exist.", id="unknown-session"),
    pytest.param("aftercare", "999", "out", "Session 999 does not exist.", id="unknown-session-aftercare"),
    pytest.param(
        "history", "AZ-99999", "out", "No patient has the clinic number AZ-99999.", id="unknown-patient"
    ),
    pytest.param("session", "twelve", "out", "'twelve' is not a session number", id="words-for-a-number"),
    pytest.param("session", "-3", "out", "'-3' is not a session number", id="negative-number"),
    pytest.param("session", "zoe", "missing", "does not exist", id="folder-missing"),
    pytest.param("aftercare", "jose", "out", "has no laser pass recorded", id="aftercare-without-laser"),
]


@pytest.mark.parametrize(("document", "subject", "folder", "message"), FAILURES)
def test_a_failed_export_says_why_and_leaves_no_file_and_no_log(
    capsys: pytest.CaptureFixture[str],
    stored: Stored,
    database: Path,
    out: Path,
    document: str,
    subject: str,
    folder: str,
    message: str,
) -> None:
    subject = {"zoe": str(stored.zoe_session), "jose": str(stored.jose_session)}.get(subject, subject)
    pdf = (out if folder == "out" else out / "no such folder") / "record.pdf"
    assert export(database, document, subject, "--pdf", str(pdf)) == 1

    said = capsys.readouterr()
    assert said.out == ""
    assert said.err.startswith("desk-app export: ")
    assert message in said.err
    assert "Traceback" not in said.err
    assert not pdf.exists()
    assert list(out.iterdir()) == []
    assert logged(database) == 0


def test_a_database_that_does_not_exist_is_not_created(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, out: Path
) -> None:
    missing = tmp_path / "typo.sqlite3"
    pdf = out / "record.pdf"
    assert export(missing, "session", "1", "--pdf", str(pdf)) == 1
    said = capsys.readouterr()
    assert said.err.startswith("desk-app export: ")
    assert f"There is no database at {missing}" in said.err
    assert not pdf.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]  # no database, WAL or journal


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["export", "session", "1"], id="no-pdf"),
        pytest.param(["export", "invoice", "1", "--pdf", "x.pdf"], id="unknown-document"),
        pytest.param(["export", "--pdf", "x.pdf"], id="no-subject"),
    ],
)
def test_a_malformed_command_is_a_usage_error(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(args)
    assert stopped.value.code == 2
    assert "usage: desk-app export" in capsys.readouterr().err


@pytest.mark.parametrize("subject", ["²", "99999999999999999999"])
def test_a_session_number_that_is_not_a_plain_id_is_refused_with_a_message(
    capsys: pytest.CaptureFixture[str], database: Path, out: Path, subject: str
) -> None:
    pdf = out / "record.pdf"
    assert export(database, "session", subject, "--pdf", str(pdf)) == 1
    assert capsys.readouterr().err.startswith("desk-app export: ")
    assert not pdf.exists()


def test_an_export_onto_a_folder_fails_without_logging_an_export(
    capsys: pytest.CaptureFixture[str], stored: Stored, database: Path, out: Path
) -> None:
    target = out / "records"
    target.mkdir()
    assert export(database, "session", str(stored.zoe_session), "--pdf", str(target)) == 1
    assert "could not be written" in capsys.readouterr().err
    assert list(target.iterdir()) == [] and sorted(p.name for p in out.iterdir()) == ["records"]
    assert logged(database) == 0


# --- as a real process, with no display ------------------------------------------------------------


def run_desk_app(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return subprocess.run(
        [sys.executable, "-m", "desk_app", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_command_runs_without_a_display(
    procedure: Procedure, stored: Stored, database: Path, out: Path
) -> None:
    pdf = out / "aftercare.pdf"
    done = run_desk_app(
        "export", "aftercare", str(stored.zoe_session), "--pdf", str(pdf), "--db", str(database)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Wrote the aftercare sheet of Zoë O'Brien")
    (page,) = pdf_pages(pdf.read_bytes())
    assert "After your laser treatment" in page and "AZ-01012" in page
    assert len(print_log(database, procedure, stored.zoe_id)) == 1

    failed = run_desk_app("export", "session", "999", "--pdf", str(out / "x.pdf"), "--db", str(database))
    assert failed.returncode == 1
    assert failed.stderr == "desk-app export: Session 999 does not exist.\n"
    assert not (out / "x.pdf").exists()
