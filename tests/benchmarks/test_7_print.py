"""7. Printing to PDF: one signed-out session record (target <= 0.2 s here), a 30-page history (<= 1 s).

Each run is the whole job as the app does it for a PDF: build the HTML (session_record_document or
history_document), lay it out in pages with QTextDocument and paint every page onto a QPdfWriter in
memory (reports.pages.pdf_bytes); nothing touches the disk. The sessions are walked through the Desk
(bench_tools.walk, then the operator's sign-out), each on a different day. The history's patient has
enough sessions for at least 30 pages; loading that history from the store (Desk.sessions.patient_history) is
timed on its own, for context, and is not part of the print times. Both targets are "here", not
latencies, so the median is checked, as for start-up; the p95 is shown. The baseline is the same
record's PDF with its body cut to one line: the fixed cost of a PDF writer, its fonts and a page.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QApplication

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.session import SessionRecord
from desk_app.reports.documents import PrintDocument, history_document, session_record_document
from desk_app.reports.export import printed_footer
from desk_app.reports.pages import pdf_bytes
from desk_app.store.desk import Desk
from desk_app.ui.formatting import LOCAL_FORMATS
from tests.benchmarks.bench_tools import Report, Row, median, p95, register_patients, sql_log, time_ms, walk
from tests.support.people import PIN

RECORD_RUNS = 30
HISTORY_RUNS = 8
HISTORY_SESSIONS = 15  # a signed-out session prints as 2 pages, and the history's summary needs 1
MIN_HISTORY_PAGES = 30
RECORD_TARGET_MS = 200.0
HISTORY_TARGET_MS = 1000.0
DAYS_BETWEEN_SESSIONS = 2  # walk's course plan books the next session for 2027-01-06, which must not pass


def _signed_out_session(desk: Desk, clock: ManualClock, patient_id: int, nurse: Staff) -> SessionRecord:
    session_id = desk.sessions.start_session(patient_id, nurse.id).id
    walk(desk, clock, session_id, nurse.id)
    clock.advance(seconds=20)
    return desk.sessions.sign_out(session_id, nurse.id, PIN)


def _to_pdf(build, footer: str, build_ms: list[float]) -> tuple[bytes, int]:  # noqa: ANN001
    """Build the document and paint it to PDF; the build's share goes into `build_ms`."""
    elapsed, document = time_ms(build)
    build_ms.append(elapsed)
    return pdf_bytes(document, footer)


def test_session_record_and_history_to_pdf(
    report: Report, qapp: QApplication, desk: Desk, clock: ManualClock, nurse: Staff
) -> None:
    (patient_id,) = register_patients(desk, nurse.id, 1, "P")
    for _ in range(HISTORY_SESSIONS):
        record = _signed_out_session(desk, clock, patient_id, nurse)
        clock.advance(days=DAYS_BETWEEN_SESSIONS)
    assert record.state(clock.now()).sign_out is not None
    clinic = desk.clinic.clinic_details()
    now = clock.now()
    footer = printed_footer(nurse.name, LOCAL_FORMATS.date_time(now))
    sessions = desk.sessions.patient_history(patient_id).sessions
    assert len(sessions) == HISTORY_SESSIONS

    # 7a. The last session's record, beside a one-line PDF of the same document (interleaved).
    def build_record() -> PrintDocument:
        return session_record_document(record, sessions, clinic, now, LOCAL_FORMATS, team=[nurse])

    one_line = replace(build_record(), html="<p>Session record</p>")
    record_ms, bare_ms, record_build_ms = [], [], []
    for _ in range(RECORD_RUNS):
        elapsed, (record_pdf, record_pages) = time_ms(lambda: _to_pdf(build_record, footer, record_build_ms))
        record_ms.append(elapsed)
        bare_ms.append(time_ms(lambda: pdf_bytes(one_line, footer))[0])

    # 7b. The whole history: load it from the store, then print it.
    with sql_log() as statements:
        desk.sessions.patient_history(patient_id)
    load_ms = [time_ms(lambda: desk.sessions.patient_history(patient_id))[0] for _ in range(RECORD_RUNS)]
    history = desk.sessions.patient_history(patient_id)

    def build_history() -> PrintDocument:
        return history_document(history, clinic, now, LOCAL_FORMATS, team=[nurse])

    history_ms, history_build_ms = [], []
    for _ in range(HISTORY_RUNS):
        elapsed, printed = time_ms(lambda: _to_pdf(build_history, footer, history_build_ms))
        history_ms.append(elapsed)
    history_pdf, history_pages = printed
    assert record_pdf.startswith(b"%PDF") and history_pdf.startswith(b"%PDF")
    assert history_pages >= MIN_HISTORY_PAGES, f"the history printed {history_pages} pages, not 30"

    report.add(Row("7a0. one-line PDF (same writer)", RECORD_RUNS, median(bare_ms), p95(bare_ms), "baseline"))
    record_row = report.add(
        Row(
            f"7a. session record -> PDF, {record_pages} pages",
            RECORD_RUNS,
            median(record_ms),
            p95(record_ms),
            f"median <= {RECORD_TARGET_MS:.0f} ms",
            baseline_ms=median(bare_ms),
            fail_above_ms=RECORD_TARGET_MS,
            checked="median",
        )
    )
    report.add(
        Row(
            f"7b0. patient_history, {HISTORY_SESSIONS} sessions",
            RECORD_RUNS,
            median(load_ms),
            p95(load_ms),
            "context (not printed)",
        )
    )
    history_row = report.add(
        Row(
            f"7b. history -> PDF, {history_pages} pages",
            HISTORY_RUNS,
            median(history_ms),
            p95(history_ms),
            f"median <= {HISTORY_TARGET_MS:.0f} ms",
            baseline_ms=median(record_ms),
            fail_above_ms=HISTORY_TARGET_MS,
            checked="median",
        )
    )
    report.note(
        f"7: building the HTML takes a median {median(record_build_ms):.1f} ms of 7a and "
        f"{median(history_build_ms):.1f} ms of 7b; the rest is layout and painting. PDFs of "
        f"{len(record_pdf) // 1024} KiB ({record_pages} pages) and {len(history_pdf) // 1024} KiB "
        f"({history_pages} pages); patient_history sent {len(statements)} SQL statements. "
        "7b's baseline is 7a's median."
    )
    assert record_row.passed, f"record median {record_row.median_ms:.0f} ms > {RECORD_TARGET_MS:.0f} ms"
    assert history_row.passed, f"history median {history_row.median_ms:.0f} ms > {HISTORY_TARGET_MS:.0f} ms"
