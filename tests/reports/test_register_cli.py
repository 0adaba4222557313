"""`desk-app export register`: the laser register from a terminal, as CSV, PDF or both (issue 15).

Success writes each file asked for, audits each once and says what it wrote; every failure exits 1
with a message, writes no file and audits nothing; a command without a file is a usage error.
"""

from __future__ import annotations

import csv
import errno
import getpass
import json
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from desk_app import cli
from desk_app.domain.errors import DomainError
from desk_app.domain.laser_register import COLUMNS, zone_text
from desk_app.reports import laser_register
from desk_app.reports.laser_register import CSV_ENCODING
from desk_app.store.checkpoints import head_of_file
from desk_app.store.laser_register import EXPORTED
from tests.reports.pdf_text import pdf_pages
from tests.reports.sessions import open_clinic
from tests.support.laser_register import SECOND_LASER_SERIAL, treated
from tests.support.lasers import laser_ready, register_test_laser

# Its module fixture is built once: every test of the module runs in one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("register cli")

TERMINAL = f"{getpass.getuser()} (terminal export)"
DAY = ("--from", "2026-11-25", "--to", "2026-11-25")


@dataclass(frozen=True)
class Stored:
    path: Path


@pytest.fixture(scope="session")  # once a worker: its tests may run between other modules'
def stored(tmp_path_factory: pytest.TempPathFactory) -> Stored:
    """Zoë treated with the test laser and Ian with a second one, on 25 November 2026."""
    path = tmp_path_factory.mktemp("register-cli") / "clinic.sqlite3"
    clinic = open_clinic(path)
    try:
        desk, nurse = clinic.desk, clinic.nurse
        laser_ready(desk, nurse.id)
        second = register_test_laser(
            desk, make="Lumenis", model="UltraPulse", serial_number=SECOND_LASER_SERIAL
        )
        zoe = clinic.register("Zoë", "O'Brien", "1990-02-03", "AZ-01012")
        ian = clinic.register("Ian", "Rees", "1984-06-30", "AZ-01031")
        treated(desk, clinic.clock, zoe.id, nurse)
        treated(desk, clinic.clock, ian.id, nurse, device_id=second)
    finally:
        clinic.close()
    return Stored(path)


@pytest.fixture
def database(stored: Stored, tmp_path: Path) -> Path:
    """This test's own copy, so audit rows never mix between tests."""
    copy = tmp_path / "clinic.sqlite3"
    shutil.copyfile(stored.path, copy)
    return copy


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def export(database: Path, *args: str) -> int:
    return cli.main(["export", "register", *args, "--db", str(database)])


def audited(database: Path) -> list[tuple[dict, int | None]]:
    with closing(sqlite3.connect(database)) as raw:
        rows = raw.execute(
            "SELECT detail, staff_id FROM audit_log WHERE action = ? ORDER BY id", (EXPORTED,)
        ).fetchall()
    return [(json.loads(detail), staff) for detail, staff in rows]


def test_the_register_is_written_as_csv_and_pdf_and_each_is_audited(
    capsys: pytest.CaptureFixture[str], database: Path, out: Path
) -> None:
    sheet, pages = out / "register.csv", out / "register.pdf"
    rows_before, head_before = head_of_file(database)
    assert export(database, *DAY, "--csv", str(sheet), "--pdf", str(pages)) == 0

    said = capsys.readouterr()
    assert said.err == ""
    assert said.out == (
        "Wrote the laser treatment register of All devices, 25/11/2026 to 25/11/2026: 4 exposures. "
        f"Files: {sheet} (CSV); {pages} (PDF, 1 page). Times in {zone_text(2026)}.\n"
    )
    with sheet.open(encoding=CSV_ENCODING, newline="") as file:
        reader = csv.DictReader(file)
        rows = list(reader)
    assert reader.fieldnames == list(COLUMNS)
    assert [row["Clinic number"] for row in rows] == ["AZ-01012", "AZ-01012", "AZ-01031", "AZ-01031"]
    (text,) = pdf_pages(pages.read_bytes())
    assert "Laser treatment register" in text and "All devices, 25/11/2026 to 25/11/2026: 4" in text
    assert f"Times in {zone_text(2026)}." in text
    assert f"Printed by {TERMINAL} on " in text and "Page 1 of 1" in text
    assert f"audit row {rows_before} · hash {head_before[:12]}" in text  # the trail's head, on paper
    assert sorted(path.name for path in out.iterdir()) == ["register.csv", "register.pdf"]

    (csv_row, csv_staff), (pdf_row, pdf_staff) = audited(database)
    assert csv_staff is None and pdf_staff is None
    common = {"from": "2026-11-25", "to": "2026-11-25", "device": "all", "rows": 4, "printed_by": TERMINAL}
    assert csv_row == common | {"format": "CSV", "file": str(sheet.resolve())}
    assert pdf_row == common | {"format": "PDF", "file": str(pages.resolve()), "pages": 1}


def test_one_device_by_its_serial_number(
    capsys: pytest.CaptureFixture[str], database: Path, out: Path
) -> None:
    sheet = out / "co2.csv"
    assert export(database, "--device", SECOND_LASER_SERIAL, *DAY, "--csv", str(sheet)) == 0
    assert "of Lumenis UltraPulse (serial CO2-7788), 25/11/2026 to 25/11/2026: 2 exposures." in (
        capsys.readouterr().out
    )
    with sheet.open(encoding=CSV_ENCODING, newline="") as file:
        assert {row["Serial number"] for row in csv.DictReader(file)} == {SECOND_LASER_SERIAL}
    ((detail, _staff),) = audited(database)
    assert detail["device"] == SECOND_LASER_SERIAL


def test_an_existing_file_is_replaced_only_with_force(
    capsys: pytest.CaptureFixture[str], database: Path, out: Path
) -> None:
    sheet = out / "register.csv"
    sheet.write_text("last year's register")
    assert export(database, *DAY, "--csv", str(sheet)) == 1
    assert capsys.readouterr().err == (
        f"desk-app export: {sheet} already exists. It was not changed. Add --force to replace it.\n"
    )
    assert sheet.read_text() == "last year's register" and audited(database) == []
    assert export(database, *DAY, "--csv", str(sheet), "--force") == 0
    assert sheet.read_text(encoding=CSV_ENCODING).startswith("Date,Time,Session,")


FAILURES = [
    pytest.param(
        ("--from", "2026-13-01", "--to", "2026-12-31"), "--from 2026-13-01 is not a date", id="month-13"
    ),
    pytest.param(("--from", "25/11/2026", "--to", "2026-11-30"), "write it as YYYY-MM-DD", id="not-iso"),
    pytest.param(("--from", "2026-11-30", "--to", "2026-11-01"), "before it starts", id="backwards"),
    pytest.param(("--from", "2016-01-01", "--to", "2026-11-30"), "at most five years", id="too-long"),
    pytest.param(
        ("--device", "XX-99", *DAY), "No laser device has the serial number XX-99", id="unknown-serial"
    ),
    pytest.param(("--device", "", *DAY), "Give a laser's serial number", id="blank-serial"),
    pytest.param(
        ("--from", "9999-12-31", "--to", "9999-12-31"), "covers the years 2000 to 2100", id="year-9999"
    ),
    pytest.param(
        ("--from", "0001-01-01", "--to", "0001-01-02"), "covers the years 2000 to 2100", id="year-0001"
    ),
]


@pytest.mark.parametrize(("args", "message"), FAILURES)
def test_a_refused_export_says_why_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], database: Path, out: Path, args: tuple[str, ...], message: str
) -> None:
    assert export(database, *args, "--csv", str(out / "r.csv"), "--pdf", str(out / "r.pdf")) == 1
    said = capsys.readouterr()
    assert said.out == "" and said.err.startswith("desk-app export: ") and message in said.err
    assert "Traceback" not in said.err
    assert list(out.iterdir()) == [] and audited(database) == []


def test_a_file_that_cannot_be_written_is_refused_before_the_other_is_written(
    capsys: pytest.CaptureFixture[str], database: Path, out: Path
) -> None:
    missing = out / "no such folder" / "r.pdf"
    assert export(database, *DAY, "--csv", str(out / "r.csv"), "--pdf", str(missing)) == 1
    assert "does not exist" in capsys.readouterr().err
    assert list(out.iterdir()) == [] and audited(database) == []
    assert export(database, *DAY, "--csv", str(out / "r.csv"), "--pdf", str(out / "r.csv")) == 1
    assert "--csv and --pdf name the same file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["export", "register", *DAY], id="no-file"),
        pytest.param(["export", "register", "--to", "2026-11-25", "--csv", "x.csv"], id="no-from"),
    ],
)
def test_a_malformed_register_command_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(args)
    assert stopped.value.code == 2
    assert "usage: desk-app export register" in capsys.readouterr().err


def test_the_pdf_is_painted_before_either_file_is_written(
    capsys: pytest.CaptureFixture[str], database: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(*_args: object) -> tuple[bytes, int]:
        raise DomainError("The pages could not be laid out.")

    monkeypatch.setattr(laser_register, "pdf_bytes", fails)
    assert export(database, *DAY, "--csv", str(out / "r.csv"), "--pdf", str(out / "r.pdf")) == 1
    assert capsys.readouterr().err == "desk-app export: The pages could not be laid out.\n"
    assert list(out.iterdir()) == [] and audited(database) == []


def test_a_second_file_that_fails_says_which_file_was_written(
    capsys: pytest.CaptureFixture[str], database: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sheet, pages = out / "r.csv", out / "r.pdf"

    def disk_full(*_args: object, **_options: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(laser_register, "save_register_pdf", disk_full)
    assert export(database, *DAY, "--csv", str(sheet), "--pdf", str(pages)) == 1
    assert capsys.readouterr().err == (
        f"desk-app export: {pages} could not be written (No space left on device). "
        f"Only {sheet} (CSV) was written.\n"
    )
    assert [path.name for path in out.iterdir()] == ["r.csv"]
    ((detail, _staff),) = audited(database)
    assert detail["format"] == "CSV"


def test_the_database_may_be_named_before_the_document(
    capsys: pytest.CaptureFixture[str], database: Path, out: Path
) -> None:
    """As `desk-app export --db X session 12 --pdf f` worked before the register came."""
    record = out / "record.pdf"
    assert cli.main(["export", "--db", str(database), "session", "1", "--pdf", str(record)]) == 0
    assert cli.main(["export", "--db", str(database), "register", *DAY, "--csv", str(out / "r.csv")]) == 0
    assert capsys.readouterr().err == ""
    assert record.read_bytes().startswith(b"%PDF") and len(audited(database)) == 1
