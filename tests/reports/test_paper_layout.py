"""What a reader of the paper relies on (issue 18): no table row split over two pages, a key to the
initials printed on a record, and lengths of time in words.

One session is walked through the Desk and built once for the module: Rhiannon Hughes (RH) does the
sign-in, Ann Nurse (AN) the rest, with many long session notes so that the record runs over several
pages and page breaks fall inside rows. The rows are checked on Qt's layout of each document, the
layout that is painted (reports.pages.laid_out), and the notes on the painted PDF too.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QPdfWriter, QTextDocument, QTextFrame, QTextTable
from PySide6.QtWidgets import QApplication

from desk_app.domain.clinic import ClinicDetails
from desk_app.domain.laser_register import Exposure, LaserRegister
from desk_app.reports.documents import (
    aftercare_document,
    history_document,
    session_record_document,
)
from desk_app.reports.laser_register import RegisterScope, register_document
from desk_app.reports.pages import Paged, laid_out, page_layout, pdf_bytes
from desk_app.reports.session_view import session_summary_html
from desk_app.ui.formatting import LOCAL_FORMATS
from tests.conftest import START
from tests.reports.pdf_text import pdf_pages
from tests.reports.sessions import Printed, everyone, open_clinic, to_pdf
from tests.support.people import PIN, add_member
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT, tick_all

# Its module fixture is built once: every test of the module runs in one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("paper layout")

NOTES = 24
WORDS = "The patient asked about make-up, sun cream and work; each answer was given and written down. " * 4
CONTACT = "Worried? Call Azure Medical on 0113 496 0000, 9am to 6pm, Monday to Saturday"
OUT_OF_HOURS = "When we are closed, call our on-call nurse on 0113 496 0999"
REGISTER_DAYS = 12
ROWS_A_DAY = 6  # the session's two exposures, three times a day: several landscape pages


def days_of(exposures: list[Exposure]) -> list[Exposure]:
    """The session's exposures repeated, ROWS_A_DAY a day for REGISTER_DAYS days."""
    copies = exposures * (ROWS_A_DAY * REGISTER_DAYS // len(exposures))
    return [
        dataclasses.replace(exposure, at=exposure.at + timedelta(days=number // ROWS_A_DAY))
        for number, exposure in enumerate(copies)
    ]


def note(number: int) -> str:
    return f"Note {number} begins. {WORDS}Note {number} ends."


@dataclass(frozen=True)
class Paper:
    record: Printed
    register: list[str]  # the text of each page of the register's PDF
    documents: dict[str, Paged]  # every kind of printed page, long enough to run over pages


@pytest.fixture(scope="session")  # once a worker: its tests may run between other modules'
def paper(qapp: QApplication, tmp_path_factory: pytest.TempPathFactory) -> Paper:
    clinic = open_clinic(tmp_path_factory.mktemp("paper") / "desk.sqlite3")
    desk, clock, nurse = clinic.desk, clinic.clock, clinic.nurse
    try:
        rhiannon = add_member(desk, "Rhiannon Hughes", "RH", "nurse")
        patient = clinic.register("Gwen", "Morgan", "1993-04-17", "AZ-01050")
        session = desk.sessions.start_session(patient.id, nurse.id)
        tick_all(desk, session.id, SIGN_IN, rhiannon.id)
        tick_all(desk, session.id, ANAESTHETIC, nurse.id)
        clock.advance(minutes=61)
        tick_all(desk, session.id, TIME_OUT, nurse.id)  # the gel comes off after 1 h 1 min
        clock.advance(minutes=5)
        tick_all(desk, session.id, LASER, nurse.id)
        for number in range(NOTES):
            desk.sessions.add_note(session.id, None, note(number), nurse.id)
        tick_all(desk, session.id, SIGN_OUT, nurse.id)
        record = desk.sessions.sign_out(session.id, nurse.id, PIN)
        now, clinic_details, team = clock.now(), desk.clinic.clinic_details(), everyone(desk)
        history = desk.sessions.patient_history(patient.id)
        record_document = session_record_document(
            record, history.sessions, clinic_details, now, LOCAL_FORMATS, team=team
        )
        history_paper = history_document(history, clinic_details, now, LOCAL_FORMATS, team=team)
        exposures = desk.laser_register.laser_register(START.date(), now.date()).rows
        scope = RegisterScope(START.date(), START.date() + timedelta(days=REGISTER_DAYS), None)
        with_lines = dataclasses.replace(clinic_details, contact_line=CONTACT, out_of_hours_line=OUT_OF_HOURS)
        aftercare = aftercare_document(record, with_lines, now, LOCAL_FORMATS)
        summary = session_summary_html(record, now, LOCAL_FORMATS)
    finally:
        clinic.close()
    register = register_document(LaserRegister(days_of(exposures)), scope, ClinicDetails(), LOCAL_FORMATS)
    return Paper(
        record=to_pdf(record_document, now),
        register=pdf_pages(pdf_bytes(register, "Printed by test")[0]),
        documents={
            "session record": record_document,
            "patient history": history_paper,
            # The summary is shown on screen, not printed: laid out in pages as if it were.
            "session summary": dataclasses.replace(record_document, html=summary),
            # The sheet fits a page: a clinic's long heading pushes it over two.
            "aftercare sheet": dataclasses.replace(
                aftercare, html="<p>Clinic heading</p>" * 40 + aftercare.html
            ),
            "laser register": register,
        },
    )


def _tables(frame: QTextFrame) -> list[QTextTable]:
    found = []
    for child in frame.childFrames():
        if isinstance(child, QTextTable):
            found.append(child)
        found.extend(_tables(child))
    return found


def split_rows(text: QTextDocument) -> list[str]:
    """Each table row whose lines of text are on more than one page, by its first words and pages."""
    height = text.pageSize().height()
    layout = text.documentLayout()
    split = []
    for table in _tables(text.rootFrame()):
        for row in range(table.rows()):
            pages, words = set(), []
            for column in range(table.columns()):
                cell = table.cellAt(row, column)
                block, last = cell.firstCursorPosition().block(), cell.lastCursorPosition().block()
                while block.isValid():
                    top = layout.blockBoundingRect(block).top()
                    for number in range(block.layout().lineCount()):
                        line = block.layout().lineAt(number)
                        pages.add(int((top + line.y() + line.height() / 2) // height) + 1)
                    words.append(block.text())
                    if block == last:
                        break
                    block = block.next()
            if len(pages) > 1:
                split.append(f"{' '.join(words)[:60]!r} on pages {sorted(pages)}")
    return split


def layout_as_painted(document: Paged) -> QTextDocument:
    """The document laid out on a PDF writer set up as reports.pages.pdf_bytes sets it up."""
    buffer = QBuffer(QByteArray())
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(300)
    writer.setPageLayout(page_layout(document.paper, document.landscape))
    return laid_out(document, writer)


@pytest.mark.parametrize(
    "kind", ["session record", "patient history", "session summary", "aftercare sheet", "laser register"]
)
def test_no_table_row_is_split_over_two_pages(paper: Paper, kind: str) -> None:
    text = layout_as_painted(paper.documents[kind])
    assert text.pageCount() > 1  # long enough that page breaks fall among the rows
    assert split_rows(text) == []


def test_each_note_on_the_printed_record_is_read_on_one_page(paper: Paper) -> None:
    texts = paper.record.texts
    assert paper.record.pages > 2
    for number in range(NOTES):
        begins = next(page for page, text in enumerate(texts) if f"Note {number} begins." in text)
        assert f"Note {number} ends." in texts[begins], f"note {number} split after page {begins + 1}"


def test_a_day_of_the_register_never_leaves_its_heading_alone_at_a_pages_foot(paper: Paper) -> None:
    """Each day's heading sits on its table's head rows: on every page, every day named ('Thursday,
    26 November 2026 · 6 exposures') has the column headings and rows under it."""
    assert len(paper.register) > 2
    for number, text in enumerate(paper.register, start=1):
        headings = re.findall(r"· \d+ exposures?( Date Time)?", text)
        assert headings, f"page {number} names no day"
        assert all(headings), f"a day's heading alone at the foot of page {number}"


KEY = "Key to initials AN: Ann Nurse, nurse RH: Rhiannon Hughes, nurse"


def read(printed: Printed) -> str:
    """The PDF's text with the space pypdf puts between bold initials and their colon taken out."""
    return printed.text.replace(" :", ":")


def test_the_record_has_a_key_to_the_initials_on_it_and_no_one_else(paper: Paper) -> None:
    text = read(paper.record)
    assert set(re.findall(r"Done \d\d:\d\d ([A-Z]+)", text)) == {"AN", "RH"}  # beside items done
    assert f"{KEY} Electronic signatures" in text  # both, once each, then the signatures
    assert text.count("Key to initials") == 1
    # The clinician and the administrator are on the staff list but did nothing on this record.
    assert "Dr Clive Doctor, clinician" not in text and "administrator" not in text


def test_the_history_has_one_key_for_all_its_sessions(paper: Paper) -> None:
    text = " ".join(layout_as_painted(paper.documents["patient history"]).toPlainText().split())
    assert KEY in text and text.count("Key to initials") == 1
    assert "Dr Clive Doctor, clinician" not in text and "administrator" not in text


def test_the_gel_time_on_paper_is_in_words_not_a_clock(paper: Paper) -> None:
    text = paper.record.text
    assert "Gel on the skin 1 h 1 min" in text
    assert "mm:ss" not in text and "61:" not in text
