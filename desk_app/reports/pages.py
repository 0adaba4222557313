"""Paint a document onto paper or PDF, page by page, with a header and a footer on every page.

QTextDocument lays the HTML out in pages; each page is painted through a clip, and the running header
(who the patient is), the footer ("Printed by NAME on DATE TIME", or the clinic on a patient's
handout), the audit trail's head when it was printed ("audit row N · hash 1a2b3c4d5e6f · 2026-12-03
17:05": a checkpoint on paper, which `audit verify --checkpoint N:HASH@TIME` checks) and "Page n of m"
are drawn around it. The same
code paints a printer's pages, a print preview's and a PDF's. No widgets: a terminal export uses it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeAlias

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QFont,
    QFontMetricsF,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFrame,
    QTextTable,
)

from desk_app.domain.clinic import PaperSize
from desk_app.domain.progress import CancelAsked, Progress, step

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter

# What pages are painted on: a PDF file, or a printer or its preview (each knows its resolution).
PageDevice: TypeAlias = "QPdfWriter | QPrinter"


class Paged(Protocol):
    """What pages are painted from: a patient's document or the laser register."""

    @property
    def html(self) -> str: ...

    @property
    def running_header(self) -> str: ...

    @property
    def paper(self) -> PaperSize: ...

    @property
    def landscape(self) -> bool: ...


PDF_RESOLUTION = 300  # dots per inch: sharp text, small files
MARGINS_MM = QMarginsF(16, 12, 16, 12)
BODY_POINT_SIZE = 10
BAND_POINT_SIZE = 8
_PAGE_SIZES = {PaperSize.A4: QPageSize.PageSizeId.A4, PaperSize.LETTER: QPageSize.PageSizeId.Letter}
# A table whose first cell says style="-qt-user-state: 1" is never split across two pages (Qt's
# HTML has no page-break-inside): a signature stays on one page with its meaning.
KEEP_TOGETHER = 1
_HAIR = 0.01  # a line that ends exactly at a page's foot is still on that page


def anchor_text(rows: int, head_hash: str, at: datetime) -> str:
    """The trail's head for a footer, with the PC's local time of reading it: a restore after that
    time may explain a rollback of this row, one before it may not."""
    return f"audit row {rows} · hash {head_hash[:12]} · {at.astimezone():%Y-%m-%d %H:%M}"


def page_layout(paper: PaperSize, landscape: bool = False) -> QPageLayout:
    """The clinic's paper, portrait unless a wide table needs it on its side, with margins most
    printers can reach."""
    orientation = QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait
    return QPageLayout(
        QPageSize(_PAGE_SIZES[paper]),
        orientation,
        MARGINS_MM,
        QPageLayout.Unit.Millimeter,
    )


def _font(point_size: int) -> QFont:
    font = QFont()
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setFamilies(["DejaVu Sans", "Arial", "Liberation Sans", "Sans Serif"])
    font.setPointSize(point_size)
    return font


class _PageFrame:
    """Where the header band, body and footer band sit on the device's printable area."""

    def __init__(self, device: PageDevice) -> None:
        area = device.pageLayout().paintRectPixels(device.resolution())
        band_font = _font(BAND_POINT_SIZE)
        band_height = QFontMetricsF(band_font, device).height() * 2
        self.band_font = band_font
        self.width = float(area.width())
        self.header = QRectF(0, 0, self.width, band_height)
        self.body = QRectF(0, band_height, self.width, area.height() - 2 * band_height)
        self.footer = QRectF(0, area.height() - band_height, self.width, band_height)


def laid_out(document: Paged, device: PageDevice) -> QTextDocument:
    """The document's text in pages of `device`'s body band, exactly as it is painted."""
    return _layout(document, device, _PageFrame(device))


def _layout(
    document: Paged, device: PageDevice, frame: _PageFrame, progress: Progress | None = None
) -> QTextDocument:
    """Lay the HTML out in pages a piece at a time (cut before a table): each piece's tables have
    their rows kept whole (_keep_rows_whole) while nothing follows them yet. Qt lays out again
    everything after a change, so a year's register (hundreds of rows moved) would otherwise be
    laid out hundreds of times. `progress` hears (pieces laid out, pieces)."""
    text = QTextDocument()
    text.documentLayout().setPaintDevice(device)  # lay out in the device's dots, fonts at true size
    text.setDefaultFont(_font(BODY_POINT_SIZE))
    text.setPageSize(QSizeF(frame.width, frame.body.height()))
    first, *rest = _top_level_pieces(document.html)
    text.setHtml(first)
    kept = _keep_rows_whole(text, 0)
    for laid_out, piece in enumerate(rest, start=1):
        if progress is not None:
            progress(laid_out, len(rest) + 1)
        cursor = QTextCursor(text)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertHtml(piece)
        kept = _keep_rows_whole(text, kept)
    return text


# Characters of HTML laid out at a time (see _layout): each insertHtml costs a few milliseconds, and
# each row moved lays out again what follows it in its piece. Measured: a 46-page history prints
# in 530 ms (600 ms before rows were kept whole), a 234-page register is laid out in 5.5 s (12 s
# with pieces of 60,000, 95 s in one piece).
PIECE_CHARS = 10_000
_TABLE_TAG = re.compile(r"<table\b|</table>", re.IGNORECASE)


def _top_level_pieces(html: str) -> list[str]:
    """The HTML cut before outermost tables, into pieces of at least PIECE_CHARS; the pieces put
    together again are the HTML. (A patient's text never holds a tag: the templates escape it.)"""
    pieces, depth, start = [], 0, 0
    for tag in _TABLE_TAG.finditer(html):
        if tag.group().lower() == "</table>":
            depth -= 1
            continue
        if depth == 0 and tag.start() - start >= PIECE_CHARS:
            pieces.append(html[start : tag.start()].rstrip())  # white space before a table is none
            start = tag.start()
        depth += 1
    return [*pieces, html[start:]]


def _tables(frame: QTextFrame) -> Iterator[QTextTable]:
    """Every table in the frame, in document order."""
    for child in frame.childFrames():
        if isinstance(child, QTextTable):
            yield child
        yield from _tables(child)


def _lines_span(text: QTextDocument, table: QTextTable, row: int) -> tuple[float, float] | None:
    """The top of the row's first line of text and the bottom of its last, in the document's
    coordinates; None for a row with no text laid out."""
    tops: list[float] = []
    bottoms: list[float] = []
    layout = text.documentLayout()
    for column in range(table.columns()):
        cell = table.cellAt(row, column)
        block, last = cell.firstCursorPosition().block(), cell.lastCursorPosition().block()
        while block.isValid():
            top = layout.blockBoundingRect(block).top()
            lines = block.layout()
            for number in range(lines.lineCount()):
                line = lines.lineAt(number)
                tops.append(top + line.y())
                bottoms.append(top + line.y() + line.height())
            if block == last:
                break
            block = block.next()
    return (min(tops), max(bottoms)) if tops else None


def _straddles(top: float, bottom: float, page_height: float) -> bool:
    """True if what runs from `top` to `bottom` (shorter than a page) starts on one page and ends on
    the next."""
    return bottom - top < page_height and top // page_height != (bottom - _HAIR) // page_height


def _start_table_on_next_page(table: QTextTable) -> None:
    table_format = table.format()
    table_format.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
    table.setFormat(table_format)


def _start_row_on_next_page(table: QTextTable, row: int) -> None:
    """Qt moves a row to the next page only when none of its cells has a line left on this one, and
    a page break inside the row's own cells would be taken again once the row has moved; so the
    row above ends its page instead (its box runs to the page's foot), and the row starts the next
    page under the repeated head rows. The first row under the head takes the table with it, so a
    heading never stays alone at a page's foot."""
    if row <= table.format().headerRowCount():
        _start_table_on_next_page(table)
        return
    cursor = table.cellAt(row - 1, 0).lastCursorPosition()
    block_format = cursor.blockFormat()
    block_format.setPageBreakPolicy(
        block_format.pageBreakPolicy() | QTextFormat.PageBreakFlag.PageBreak_AlwaysAfter
    )
    cursor.setBlockFormat(block_format)


def _keep_rows_whole(text: QTextDocument, done: int) -> int:
    """No table row is split over two pages (Qt's HTML has no page-break-inside, and Qt splits a row
    between the lines of its cells): a row that would straddle a page break starts the next page.
    A table marked KEEP_TOGETHER moves whole instead, unless it is taller than a page; a row taller
    than a page is left to break. Done in document order, each move shifting what follows. The
    first `done` tables were seen to before; returns how many have been now."""
    page_height = text.pageSize().height()
    tables = list(_tables(text.rootFrame()))
    for table in tables[done:]:
        box = text.documentLayout().frameBoundingRect(table)
        if box.top() // page_height == box.bottom() // page_height:
            continue  # on one page: every row is whole
        kept_together = table.cellAt(0, 0).firstCursorPosition().block().userState() == KEEP_TOGETHER
        if kept_together and box.height() < page_height:
            _start_table_on_next_page(table)  # it straddles two pages: it starts the next
            continue
        for row in range(table.rows()):
            span = _lines_span(text, table, row)
            if span is not None and _straddles(*span, page_height):
                _start_row_on_next_page(table, row)
    return len(tables)


def count_pages(document: Paged, device: PageDevice) -> int:
    """How many pages `document` takes on `device` (its paper and margins), without painting."""
    return laid_out(document, device).pageCount()


def paint_document(
    document: Paged,
    device: PageDevice,
    footer: str,
    anchor: str = "",
    progress: Progress | None = None,
    cancelled: CancelAsked | None = None,
) -> int:
    """Paint every page onto `device` (a QPrinter or QPdfWriter, layout already set); return the count.
    `anchor` (the audit head) is printed on the right of each footer, never cut short.

    `progress` hears (thousandths done, 1000): the layout is the first half, the pages the second;
    `cancelled` is asked at each step, and a yes stops the painting there (Cancelled): for a PDF
    made in memory, before any file is written."""

    def halves(half: int) -> Progress:
        return lambda done, total: step(progress, cancelled, 500 * half + 500 * done // max(total, 1), 1000)

    frame = _PageFrame(device)
    text = _layout(document, device, frame, halves(0))
    pages = text.pageCount()
    painter = QPainter()
    if not painter.begin(device):
        raise OSError("The printer or file could not be opened for printing.")
    try:
        for page in range(pages):
            halves(1)(page, pages)
            if page:
                device.newPage()
            _paint_page(painter, text, frame, page)
            page_number = f"Page {page + 1} of {pages}"
            right = f"{anchor} · {page_number}" if anchor else page_number
            _paint_bands(painter, frame, document.running_header, footer, right)
    except BaseException:
        painter.end()
        raise
    if not painter.end():  # a printer's engine hands the pages over here: it may refuse them
        raise OSError("the pages could not be handed over")
    return pages


def _paint_bands(painter: QPainter, frame: _PageFrame, header: str, footer: str, page_number: str) -> None:
    """The running header above the body, and the footer with the page number below it, one line each."""
    painter.setFont(frame.band_font)
    metrics = QFontMetricsF(frame.band_font, painter.device())
    flags = Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine
    room = frame.width - metrics.horizontalAdvance(f"  {page_number}")
    header = metrics.elidedText(header, Qt.TextElideMode.ElideRight, frame.width)
    footer = metrics.elidedText(footer, Qt.TextElideMode.ElideRight, room)
    painter.drawText(frame.header, flags | Qt.AlignmentFlag.AlignLeft, header)
    painter.drawText(frame.footer, flags | Qt.AlignmentFlag.AlignLeft, footer)
    painter.drawText(frame.footer, flags | Qt.AlignmentFlag.AlignRight, page_number)
    painter.drawLine(frame.header.bottomLeft(), frame.header.bottomRight())
    painter.drawLine(frame.footer.topLeft(), frame.footer.topRight())


def _paint_page(painter: QPainter, text: QTextDocument, frame: _PageFrame, page: int) -> None:
    """Paint one page of the laid-out text into the body band, clipped to that page."""
    height = frame.body.height()
    painter.save()
    painter.translate(frame.body.left(), frame.body.top() - page * height)
    context = QAbstractTextDocumentLayout.PaintContext()
    context.clip = QRectF(0, page * height, frame.width, height)
    painter.setClipRect(context.clip)
    text.documentLayout().draw(painter, context)
    painter.restore()


def pdf_bytes(
    document: Paged,
    footer: str,
    anchor: str = "",
    progress: Progress | None = None,
    cancelled: CancelAsked | None = None,
) -> tuple[bytes, int]:
    """The document as a PDF in memory, and its page count; nothing is written to disk.

    Safe on a thread other than the UI's (Qt: QTextDocument is reentrant, and QPainter may paint
    on a printer's kind of device in any thread, text included): every Qt object it uses is made
    here, on the caller's thread, and goes with it."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(PDF_RESOLUTION)
    writer.setPageLayout(page_layout(document.paper, document.landscape))
    writer.setTitle(document.running_header)
    writer.setCreator("Treatment Desk")
    pages = paint_document(document, writer, footer, anchor, progress, cancelled)
    del writer  # the PDF's trailer is written when the writer goes
    buffer.close()
    return bytes(data.data()), pages
