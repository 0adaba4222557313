"""The laser treatment register as a spreadsheet file (CSV) and as printed pages (PDF), issue 15.

Both are placed like a PDF of a record (reports.export): the target checked first (never a
database, a backup or a link; an existing file only when the user says so), written to a private
temporary file beside it, the export audited, and only then moved into place.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from desk_app.domain.clinic import ClinicDetails, PaperSize
from desk_app.domain.devices import LaserDevice
from desk_app.domain.laser_register import COLUMNS, Exposure, LaserRegister, zone_text
from desk_app.reports.export import audit_anchor, pdf_target, printed_footer, write_into_place
from desk_app.reports.formats import LocalFormats
from desk_app.reports.pages import pdf_bytes
from desk_app.reports.templates import render
from desk_app.store.desk import Desk

TITLE = "Laser treatment register"
ALL_DEVICES = "All devices"
# Excel and LibreOffice read UTF-8 only when the file says so: a byte-order mark first.
CSV_ENCODING = "utf-8-sig"
# A cell starting with one of these is run as a formula by a spreadsheet (a reason typed as
# "=HYPERLINK(...)"): such a cell is written with an apostrophe first, which shows it as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Share of the page's width for each of COLUMNS: settings, overrides and amendments wrap in the widest.
_WIDTHS = (6, 4, 5, 6, 6, 7, 6, 7, 15, 7, 8, 11, 12)


@dataclass(frozen=True)
class RegisterScope:
    """What was asked for: the clinic's days from and to, and one device or all."""

    from_day: date
    to_day: date
    device: LaserDevice | None

    @property
    def device_text(self) -> str:
        return self.device.name if self.device is not None else ALL_DEVICES

    def file_name(self, suffix: str) -> str:
        """'laser-register-SP-1234-2026-01-01-to-2026-12-31.csv': the default name offered."""
        which = self.device.serial_number.replace("/", "-").replace(" ", "-") if self.device else "all"
        return f"laser-register-{which}-{self.from_day.isoformat()}-to-{self.to_day.isoformat()}.{suffix}"

    def audited(self, file_format: str, rows: int, target: Path) -> dict[str, Any]:
        """The audit row's detail of one export."""
        return {
            "from": self.from_day.isoformat(),
            "to": self.to_day.isoformat(),
            "device": self.device.serial_number if self.device is not None else "all",
            "format": file_format,
            "rows": rows,
            "file": str(target),
        }


@dataclass(frozen=True)
class RegisterDocument:
    """The register's pages (see reports.pages.Paged): landscape, so thirteen columns fit."""

    running_header: str
    html: str
    paper: PaperSize
    landscape: bool = True


def rows_text(count: int) -> str:
    """'1 exposure', '10,000 exposures'."""
    return "1 exposure" if count == 1 else f"{count:,} exposures"


def register_summary(register: LaserRegister, scope: RegisterScope, show_date: Callable[[date], str]) -> str:
    """'All devices, 01/11/2026 to 30/11/2026: 12 exposures', then what else a reader must know (the
    withdrawn passes among them, the older records a device filter leaves out): the page, the
    PDF's heading and the terminal export all say it in these words."""
    period = f"{show_date(scope.from_day)} to {show_date(scope.to_day)}"
    return "; ".join([f"{scope.device_text}, {period}: {rows_text(len(register.rows))}", *register.notes()])


def times_text(year: int) -> str:
    """'Times in Europe/London (GMT/BST)': the zone of the register's times and days (the PC's)."""
    return f"Times in {zone_text(year)}"


def _by_day(exposures: Sequence[Exposure]) -> list[tuple[date, list[Exposure]]]:
    """The exposures (in time order) day by day."""
    return [(day, list(on_day)) for day, on_day in itertools.groupby(exposures, key=lambda row: row.day)]


def register_document(
    register: LaserRegister, scope: RegisterScope, clinic: ClinicDetails, formats: LocalFormats
) -> RegisterDocument:
    """The clinic's heading, what was asked for and the time zone, then a table a day (see the
    template for why); every page's header says which register a loose page belongs to."""
    period = f"{formats.date(scope.from_day)} to {formats.date(scope.to_day)}"
    exposures = register.rows
    html = render(
        "laser_register.html.j2",
        clinic=clinic,
        summary=register_summary(register, scope, formats.date),
        times=times_text(scope.to_day.year),
        columns=list(zip(COLUMNS, _WIDTHS, strict=True)),
        days=[
            (
                formats.long_date(day),
                rows_text(len(on_day)),
                [exposure.cells(formats.date) for exposure in on_day],
            )
            for day, on_day in _by_day(exposures)
        ],
    )
    header = f"{TITLE} · {scope.device_text} · {period} · {clinic.name}"
    return RegisterDocument(header, html, clinic.paper)


def _spreadsheet_safe(cell: str) -> str:
    return f"'{cell}" if cell.startswith(_FORMULA_START) else cell


def _write_csv(exposures: Sequence[Exposure], path: Path) -> None:
    with path.open("w", encoding=CSV_ENCODING, newline="") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        writer.writerows([_spreadsheet_safe(cell) for cell in exposure.cells()] for exposure in exposures)


def save_register_csv(
    desk: Desk,
    exposures: Sequence[Exposure],
    scope: RegisterScope,
    path: Path,
    printed_by: str,
    staff_id: int | None,
    *,
    replace: bool = False,
) -> int:
    """Write the register as a CSV file (one header row, a row per exposure) and audit it; return
    the number of rows."""
    target = pdf_target(desk, path, replace=replace, kind="CSV file")
    what = scope.audited("CSV", len(exposures), target)
    write_into_place(
        target,
        lambda temporary: _write_csv(exposures, temporary),
        lambda: desk.laser_register.record_register_export(what, staff_id, printed_by),
        replace=replace,
    )
    return len(exposures)


@dataclass(frozen=True)
class RegisterPdf:
    """The register's pages as a PDF in memory: painted before any file is written, so a terminal
    export of CSV and PDF together writes neither when the painting fails."""

    data: bytes
    pages: int
    rows: int


def register_pdf(
    desk: Desk,
    register: LaserRegister,
    scope: RegisterScope,
    printed_by: str,
    formats: LocalFormats,
    printed_at: str,
) -> RegisterPdf:
    """Paint the register's pages, every one with the footer naming who printed it and when."""
    document = register_document(register, scope, desk.clinic.clinic_details(), formats)
    data, pages = pdf_bytes(document, printed_footer(printed_by, printed_at), audit_anchor(desk))
    return RegisterPdf(data, pages, len(register.rows))


def save_register_pdf(
    desk: Desk,
    pdf: RegisterPdf,
    scope: RegisterScope,
    path: Path,
    printed_by: str,
    staff_id: int | None,
    *,
    replace: bool = False,
) -> int:
    """Write the painted pages as a PDF file and audit it; return the page count."""
    target = pdf_target(desk, path, replace=replace)
    what = scope.audited("PDF", pdf.rows, target) | {"pages": pdf.pages}
    write_into_place(
        target,
        lambda temporary: temporary.write_bytes(pdf.data),
        lambda: desk.laser_register.record_register_export(what, staff_id, printed_by),
        replace=replace,
    )
    return pdf.pages
