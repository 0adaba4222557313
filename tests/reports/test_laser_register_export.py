"""The laser register as a CSV file a spreadsheet reads and as landscape PDF pages (issue 15): read
back with Python's csv and pypdf; placed like every export and audited before it is handed over."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desk_app.domain.clinic import ClinicDetails
from desk_app.domain.clock import ManualClock
from desk_app.domain.errors import DomainError
from desk_app.domain.laser_register import COLUMNS, Exposure, LaserRegister, zone_text
from desk_app.domain.permissions import PermissionRefused
from desk_app.domain.procedure import Procedure
from desk_app.reports.export import TargetExists
from desk_app.reports.formats import LocalFormats
from desk_app.reports.laser_register import (
    CSV_ENCODING,
    RegisterScope,
    register_document,
    register_pdf,
    save_register_csv,
    save_register_pdf,
)
from desk_app.reports.pages import pdf_bytes
from desk_app.store.database import open_database
from desk_app.store.desk import Desk
from desk_app.store.laser_register import EXPORTED
from desk_app.store.models import AuditLog
from tests.conftest import START
from tests.reports.pdf_text import page_sizes, pdf_pages
from tests.reports.sessions import PRINTED_BY, open_clinic
from tests.support.laser_register import SECOND_LASER_SERIAL, treated
from tests.support.lasers import TEST_LASER_SERIAL, laser_ready, register_test_laser
from tests.support.people import FAST_HASHER, add_member

# Its module fixture is built once: every test of the module runs in one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("register export")

TODAY = START.date()
SECOND_NAME = f"Lumenis UltraPulse (serial {SECOND_LASER_SERIAL})"  # as the device is chosen
AT = "25/11/2026 12:00"


@dataclass(frozen=True)
class Register:
    """A clinic's database file, built once, and its register for the day, read from it."""

    path: Path
    register: LaserRegister
    scope: RegisterScope

    @property
    def exposures(self) -> list[Exposure]:
        return self.register.rows


@pytest.fixture(scope="session")  # once a worker: its tests may run between other modules'
def register(tmp_path_factory: pytest.TempPathFactory) -> Register:
    """Zoë treated with the test laser, then Ian with a second laser. The models are bound to one
    database at a time: the file is closed before any test runs, and each test opens its own copy."""
    path = tmp_path_factory.mktemp("register") / "clinic.sqlite3"
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
        read = desk.laser_register.laser_register(TODAY, TODAY)
    finally:
        clinic.close()
    return Register(path, read, RegisterScope(TODAY, TODAY, None))


@pytest.fixture
def desk(register: Register, tmp_path: Path, procedure: Procedure) -> Iterator[Desk]:
    """This test's own copy of the clinic, so audit rows never mix between tests."""
    copy = tmp_path / "clinic.sqlite3"
    shutil.copyfile(register.path, copy)
    db = open_database(str(copy))
    yield Desk(db, procedure, ManualClock(START), FAST_HASHER)
    db.close()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def exports() -> list[dict[str, object]]:
    rows = AuditLog.select().where(AuditLog.action == EXPORTED).order_by(AuditLog.id)
    return [json.loads(row.detail) | {"staff": row.staff_id} for row in rows]


def test_the_csv_has_one_header_row_and_a_row_per_exposure(register: Register, desk: Desk, out: Path) -> None:
    path = out / "register.csv"
    before = len(exports())
    assert save_register_csv(desk, register.exposures, register.scope, path, PRINTED_BY, None) == 4

    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # a spreadsheet reads it as UTF-8
    with path.open(encoding=CSV_ENCODING, newline="") as file:
        reader = csv.DictReader(file)
        rows = list(reader)
    assert reader.fieldnames == list(COLUMNS)
    assert [row["Clinic number"] for row in rows] == ["AZ-01012", "AZ-01012", "AZ-01031", "AZ-01031"]
    first = rows[0]
    assert first["Date"] == "2026-11-25" and first["Session"] == str(register.exposures[0].session_id)
    assert first["Operator"] == "Ann Nurse" and first["Serial number"] == TEST_LASER_SERIAL
    assert first["Pass"] == "Fractional pass"
    assert first["Settings"] == "Energy per pulse 40.0 mJ; Density 20 %; Passes 2"
    assert first["Areas"] == "Forehead, Cheeks" and first["Adverse events"] == "None"
    assert rows[3]["Device"] == "Lumenis UltraPulse" and rows[3]["Settings"].startswith("Beam width 7 mm")

    (audited,) = exports()[before:]
    assert audited == {
        "from": "2026-11-25",
        "to": "2026-11-25",
        "device": "all",
        "format": "CSV",
        "rows": 4,
        "file": str(path.resolve()),
        "printed_by": PRINTED_BY,
        "staff": None,
    }


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text(
    register: Register, desk: Desk, out: Path
) -> None:
    typed = [
        Exposure(**{**vars(register.exposures[0]), "override": '=HYPERLINK("x")', "operator": "@Ann"}),
    ]
    path = out / "formula.csv"
    save_register_csv(desk, typed, register.scope, path, PRINTED_BY, None)
    with path.open(encoding=CSV_ENCODING, newline="") as file:
        (row,) = csv.DictReader(file)
    assert row["Override"] == '\'=HYPERLINK("x")' and row["Operator"] == "'@Ann"


def test_the_pdf_lists_every_exposure_on_landscape_pages(
    desk: Desk, out: Path, formats: LocalFormats
) -> None:
    path = out / "register.pdf"
    one_device = RegisterScope(TODAY, TODAY, desk.devices.device_by_serial(SECOND_LASER_SERIAL))
    read = desk.laser_register.laser_register(TODAY, TODAY, one_device.device)
    pdf = register_pdf(desk, read, one_device, PRINTED_BY, formats, AT)
    pages = save_register_pdf(desk, pdf, one_device, path, PRINTED_BY, None)

    texts = pdf_pages(path.read_bytes())
    assert len(texts) == pages == 1
    (text,) = texts
    for shown in (
        "Azure Medical",
        "Laser treatment register",
        f"{SECOND_NAME}, 25/11/2026 to 25/11/2026: 2 exposures",
        f"Times in {zone_text(2026)}.",
        "AZ-01031",
        "Full-beam pass, 7 mm beam",
        "Fluence 5.5",
        f"Printed by {PRINTED_BY} on {AT}",
        "Page 1 of 1",
    ):
        assert shown in text
    assert "AZ-01012" not in text
    assert f"{formats.long_date(TODAY)} · 2 exposures" in text  # a table a day, under its date
    (width, height), *_ = page_sizes(path.read_bytes())
    assert width > height  # A4 on its side: thirteen columns fit
    assert exports()[-1]["format"] == "PDF" and exports()[-1]["pages"] == 1


def test_a_long_register_repeats_its_column_headings_on_every_page(
    register: Register, formats: LocalFormats
) -> None:
    many = LaserRegister(register.exposures * 12)  # three pages
    document = register_document(many, register.scope, ClinicDetails(), formats)
    data, pages = pdf_bytes(document, "Printed by test")
    texts = pdf_pages(data)
    assert pages == len(texts) > 1
    for number, text in enumerate(texts, start=1):
        assert "Clinic number Operator Device" in text
        assert f"Page {number} of {pages}" in text


def test_no_exposures_is_said_not_left_blank(register: Register, formats: LocalFormats) -> None:
    document = register_document(LaserRegister([]), register.scope, ClinicDetails(), formats)
    assert "No laser exposures were recorded in this range." in document.html


def test_an_existing_file_or_a_link_is_not_written_over(register: Register, desk: Desk, out: Path) -> None:
    before = len(exports())
    existing = out / "register.csv"
    existing.write_text("last year's register")
    with pytest.raises(TargetExists):
        save_register_csv(desk, register.exposures, register.scope, existing, PRINTED_BY, None)
    assert existing.read_text() == "last year's register"
    link = out / "link.csv"
    link.symlink_to(existing)
    with pytest.raises(DomainError, match="a CSV file is never written through a link"):
        save_register_csv(desk, register.exposures, register.scope, link, PRINTED_BY, None, replace=True)
    assert existing.read_text() == "last year's register"
    assert len(exports()) == before

    save_register_csv(desk, register.exposures, register.scope, existing, PRINTED_BY, None, replace=True)
    assert existing.read_text(encoding=CSV_ENCODING).startswith("Date,Time,Session")


def test_an_export_refused_to_a_nurse_who_is_not_an_operator_leaves_no_file(
    register: Register, desk: Desk, out: Path
) -> None:
    trainee = add_member(desk, "Tess Trainee", "TT", "nurse", laser_operator=False)
    path = out / "register.csv"
    with pytest.raises(PermissionRefused):
        save_register_csv(desk, register.exposures, register.scope, path, trainee.name, trainee.id)
    assert list(out.iterdir()) == []
