"""`desk-app export`: a PDF from the terminal, for a manager answering an inspector or for a script.

Success writes a readable PDF naming the patient and logs it once; every failure exits 1 with a
message, leaves no file (not even a half-written one) and logs nothing. Run in-process through
desk_app.cli.main, and once as a real process with no display at all.
"""

from __future__ import annotations

import errno
import getpass
import hashlib
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from desk_app import cli
from desk_app.domain.clinic import DocumentKind, PrintEntry, checked_clinic_details
from desk_app.domain.clock import ManualClock
from desk_app.domain.procedure import Procedure
from desk_app.reports.export import TargetExists, write_into_place
from desk_app.store.checkpoints import head_of_file
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from tests.conftest import START
from tests.reports.pdf_text import pdf_pages
from tests.reports.sessions import open_clinic
from tests.support.other_user import AS_ROOT, for_nobody, open_folder, without_root
from tests.support.people import administrator
from tests.support.walk import SIGN_IN, signed_out_session, tick_all

# Its module fixture is built once: every test of the module runs in one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("export cli")

REPO = Path(__file__).resolve().parents[2]
TERMINAL = f"{getpass.getuser()} (terminal export)"
CONTACT = "Questions or worries? Call 0113 496 0000"
OUT_OF_HOURS = "When we are closed, call NHS 111, or 999 in an emergency"


@dataclass(frozen=True)
class Stored:
    """A small clinic database, built once: Zoë treated and signed out, José stopped before the gel."""

    path: Path
    zoe_id: int
    zoe_session: int
    jose_session: int


@pytest.fixture(scope="session")  # once a worker: its tests may run between other modules'
def stored(tmp_path_factory: pytest.TempPathFactory) -> Stored:
    path = tmp_path_factory.mktemp("export") / "clinic.sqlite3"
    clinic = open_clinic(path)
    try:
        zoe = clinic.register("Zoë", "O'Brien", "1990-02-03", "AZ-01012")
        zoe_session = signed_out_session(clinic.desk, clinic.clock, zoe.id, clinic.nurse)
        jose = clinic.register("José", "Nuñez", "1995-11-23", "AZ-01018")
        session = clinic.desk.sessions.start_session(jose.id, clinic.nurse.id)
        tick_all(clinic.desk, session.id, SIGN_IN, clinic.nurse.id)
        clinic.desk.sessions.abort(session.id, "Patient felt faint; rebooked", clinic.nurse.id)
        lines = checked_clinic_details("Azure Medical", "", CONTACT, "A4", out_of_hours_line=OUT_OF_HOURS)
        clinic.desk.clinic.update_clinic_details(lines, administrator(clinic.desk).id)
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
        return Desk(db, procedure, ManualClock(START)).clinic.print_log(patient_id)
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
    rows, head = head_of_file(database)
    assert export(database, document, subject, "--pdf", str(pdf)) == 0

    said = capsys.readouterr()
    assert said.err == ""
    assert "Zoë O'Brien" in said.out and str(pdf) in said.out
    pages = pdf_pages(pdf.read_bytes())
    assert f"({len(pages)} page" in said.out
    # A patient's handout names the clinic at the foot of its pages; a record names who printed it.
    footer = "From Azure Medical · printed " if document == "aftercare" else f"Printed by {TERMINAL} on "
    for number, text in enumerate(pages, start=1):
        assert "Zoë O'Brien" in text and "AZ-01012" in text
        assert footer in text
        assert f"audit row {rows} · hash {head[:12]}" in text  # the trail's head as it was printed
        assert f"Page {number} of {len(pages)}" in text
    assert (CONTACT in pages[-1]) is (document == "aftercare")
    assert sorted(path.name for path in out.iterdir()) == [pdf.name]  # no temporary file left behind
    assert stat.S_IMODE(pdf.stat().st_mode) == 0o600

    (entry,) = print_log(database, procedure, stored.zoe_id)
    assert entry.document is kind
    assert entry.patient_id == stored.zoe_id
    assert entry.session_id == (None if document == "history" else stored.zoe_session)
    assert entry.destination == f"PDF {pdf.resolve()}"
    assert entry.pages == len(pages)
    assert entry.printed_by == TERMINAL


def test_the_footer_typed_back_proves_the_trail_still_holds_what_was_printed(
    capsys: pytest.CaptureFixture[str], stored: Stored, database: Path, out: Path
) -> None:
    pdf = out / "record.pdf"
    assert export(database, "session", str(stored.zoe_session), "--pdf", str(pdf)) == 0
    footer = re.search(
        r"audit row (\d+) · hash ([0-9a-f]{12}) · (\d{4}-\d\d-\d\d) (\d\d:\d\d)",
        pdf_pages(pdf.read_bytes())[0],
    )
    assert footer is not None
    typed = f"{footer[1]}:{footer[2]}@{footer[3]}T{footer[4]}"
    capsys.readouterr()

    assert cli.main(["audit", "verify", "--db", str(database), "--checkpoint", typed]) == 0
    assert "1 of 1 typed checkpoints held." in capsys.readouterr().out

    with closing(sqlite3.connect(database)) as raw:  # someone with the file cuts the printed row away
        for (trigger,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            raw.execute(f'DROP TRIGGER "{trigger}"')
        raw.execute("DELETE FROM audit_log WHERE id >= ?", (int(footer[1]),))
        raw.commit()
    assert cli.main(["audit", "verify", "--db", str(database), "--checkpoint", typed]) == 1
    assert f"checkpoint typed {typed} (row {footer[1]}, " in capsys.readouterr().err


def test_an_existing_file_is_replaced_only_with_force(
    capsys: pytest.CaptureFixture[str], procedure: Procedure, stored: Stored, database: Path, out: Path
) -> None:
    pdf = out / "record.pdf"
    pdf.write_bytes(b"last week's record")
    pdf.chmod(0o644)
    assert export(database, "session", str(stored.zoe_session), "--pdf", str(pdf)) == 1
    assert capsys.readouterr().err == (
        f"desk-app export: {pdf} already exists. It was not changed. Add --force to replace it.\n"
    )
    assert pdf.read_bytes() == b"last week's record"
    assert logged(database) == 0

    assert export(database, "session", str(stored.zoe_session), "--pdf", str(pdf), "--force") == 0
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert stat.S_IMODE(pdf.stat().st_mode) == 0o600  # the new file's mode, not the old one's
    assert sorted(path.name for path in out.iterdir()) == [pdf.name]
    assert [entry.document for entry in print_log(database, procedure, stored.zoe_id)] == [
        DocumentKind.SESSION_RECORD
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


def test_no_aftercare_sheet_while_the_clinic_has_no_contact_line(
    capsys: pytest.CaptureFixture[str], procedure: Procedure, stored: Stored, database: Path, out: Path
) -> None:
    db = open_database(str(database))
    try:
        desk = Desk(db, procedure, ManualClock(START))
        cleared = checked_clinic_details("Azure Medical", "", "", "A4", out_of_hours_line=OUT_OF_HOURS)
        desk.clinic.update_clinic_details(cleared, administrator(desk).id)
    finally:
        db.close()
    pdf = out / "sheet.pdf"
    assert export(database, "aftercare", str(stored.zoe_session), "--pdf", str(pdf)) == 1
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err.startswith("desk-app export: No aftercare sheet yet")
    assert (
        "“Contact line for patients” has no phone number" in said.err and "under Clinic details" in said.err
    )
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
    assert export(database, "session", str(stored.zoe_session), "--pdf", str(target), "--force") == 1
    assert f"{target} is a folder, not a file a PDF can replace" in capsys.readouterr().err
    assert list(target.iterdir()) == [] and sorted(p.name for p in out.iterdir()) == ["records"]
    assert logged(database) == 0


# --- never over a database, a backup or anything through a link ------------------------------------

LONG = "/".join(["a folder with a long name"] * 200) + "/record.pdf"

FORBIDDEN = [
    pytest.param("live.db", "live.db is the clinic's database", id="the-live-database"),
    pytest.param("live.db-wal", "live.db-wal is a side file of the clinic's database", id="its-wal"),
    pytest.param("live.db-shm", "live.db-shm is a side file of the clinic's database", id="its-shm"),
    pytest.param("live.db-journal", "is a side file of the clinic's database", id="its-journal"),
    pytest.param("through/live.db", "through/live.db is the clinic's database", id="through-a-linked-folder"),
    pytest.param("backups/treatment-desk-2026-11-24T090000Z.sqlite3", "named like a database", id="a-backup"),
    pytest.param("backups/record.pdf", "backups is the clinic's backup folder", id="the-backup-folder"),
    pytest.param("treatment-desk-2026-11-25T090000Z.sqlite3", "named like a database", id="a-backup-name"),
    pytest.param("other clinic.db", "other clinic.db is a database", id="another-database"),
    pytest.param("other clinic.db-wal", "is a side file of the database", id="another-databases-wal"),
    pytest.param("link.pdf", "link.pdf is a link to notes.txt", id="a-link-to-a-file"),
    pytest.param("gone.pdf", "gone.pdf is a link to missing.pdf", id="a-dangling-link"),
    pytest.param("pipe.pdf", "pipe.pdf is a named pipe (FIFO)", id="a-fifo"),
    pytest.param("device", "device is a device", id="a-device"),
    pytest.param("records", "records is a folder", id="a-folder"),
    pytest.param("notes.txt/record.pdf", "notes.txt is a file, not a folder", id="under-a-file"),
    pytest.param("closed/record.pdf", "the folder {folder}/closed is closed to this user", id="closed"),
    pytest.param(LONG, f"is too long ({len(LONG):,} characters)", id="5000-characters"),
]


@pytest.fixture
def clinic_folder(stored: Stored) -> Iterator[Path]:
    """A folder with the live database (live.db, as in the report), its backups, another clinic's
    database, links, a FIFO, a device and a closed folder; all nobody's, whom the export runs as."""
    with open_folder() as folder:
        shutil.copyfile(stored.path, folder / "live.db")
        (folder / "backups").mkdir()
        shutil.copyfile(stored.path, folder / "backups" / "treatment-desk-2026-11-24T090000Z.sqlite3")
        shutil.copyfile(stored.path, folder / "other clinic.db")
        (folder / "notes.txt").write_text("Call Zoë on Monday")
        (folder / "link.pdf").symlink_to("notes.txt")
        (folder / "gone.pdf").symlink_to("missing.pdf")
        (folder / "through").symlink_to(folder)
        os.mkfifo(folder / "pipe.pdf")
        if AS_ROOT:
            os.mknod(folder / "device", 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # as /dev/null
        else:
            (folder / "device").symlink_to("/dev/null")
        (folder / "records").mkdir()
        (folder / "closed").mkdir(mode=0)
        for path in [folder, *folder.rglob("*")]:
            for_nobody(path)
        yield folder


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under `folder` (links not followed), with its kind and content."""
    seen = {}
    for path in sorted(folder.rglob("*")):
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            seen[str(path)] = f"link to {os.readlink(path)}"
        elif stat.S_ISREG(mode):
            seen[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            seen[str(path)] = stat.filemode(mode)
    return seen


@pytest.mark.parametrize(("given", "says"), FORBIDDEN)
def test_an_export_never_lands_on_a_database_a_backup_or_through_a_link_even_forced(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stored: Stored,
    clinic_folder: Path,
    given: str,
    says: str,
) -> None:
    monkeypatch.chdir(clinic_folder)
    before = snapshot(clinic_folder)
    with without_root():
        code = export(Path("live.db"), "session", str(stored.zoe_session), "--pdf", given, "--force")
    said = capsys.readouterr()
    assert code == 1
    assert said.err.startswith("desk-app export: ")
    assert says.format(folder=clinic_folder) in said.err
    assert "Traceback" not in said.err and said.out == ""
    assert snapshot(clinic_folder) == before  # nothing changed, and no temporary file left
    assert logged(clinic_folder / "live.db") == 0


def test_a_pdf_that_appears_while_the_export_is_written_is_kept(tmp_path: Path) -> None:
    """Without --force the PDF is put in place by a hard link, which never replaces a file."""
    target = tmp_path / "record.pdf"

    def pdf(part: Path) -> None:
        part.write_bytes(b"%PDF-")

    def another_program_writes() -> None:
        target.write_bytes(b"written meanwhile")

    with pytest.raises(TargetExists):
        write_into_place(target, pdf, another_program_writes, replace=False)
    assert target.read_bytes() == b"written meanwhile"
    assert [path.name for path in tmp_path.iterdir()] == ["record.pdf"]


@pytest.mark.parametrize("meanwhile", [False, True], ids=["new-file", "file-appeared"])
def test_without_hard_links_a_new_pdf_still_never_replaces_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, meanwhile: bool
) -> None:
    """A FAT USB stick has no hard links: the file is looked for just before it is renamed."""
    target = tmp_path / "record.pdf"

    def no_hard_links(*_args: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_hard_links)
    log = (lambda: target.write_bytes(b"written meanwhile")) if meanwhile else (lambda: None)
    if meanwhile:
        with pytest.raises(TargetExists):
            write_into_place(target, lambda part: part.write_bytes(b"%PDF-"), log, replace=False)
    else:
        write_into_place(target, lambda part: part.write_bytes(b"%PDF-"), log, replace=False)
    assert target.read_bytes() == (b"written meanwhile" if meanwhile else b"%PDF-")
    assert [path.name for path in tmp_path.iterdir()] == ["record.pdf"]


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
