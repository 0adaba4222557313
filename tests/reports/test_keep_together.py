"""Tables that must not be split across two pages (a signature and its meaning) are moved whole."""

from __future__ import annotations

from desk_app.domain.clinic import DocumentKind, PaperSize
from desk_app.reports.documents import PrintDocument
from desk_app.reports.pages import KEEP_TOGETHER
from tests.conftest import START
from tests.reports.sessions import to_pdf

TABLES = 16  # with three paragraphs before each, several pages: some table meets a page's foot


def test_a_table_kept_together_starts_a_new_page_rather_than_straddle_two() -> None:
    marked = f'style="-qt-user-state: {KEEP_TOGETHER}"'
    html = "".join(
        "<p>Filler</p>" * 3 + f'<table border="1"><tr><td {marked}>Kept {i} begins</td></tr>'
        f"<tr><td>Line<br/>Line<br/>Line<br/>Kept {i} ends</td></tr></table>"
        for i in range(TABLES)
    )
    document = PrintDocument(DocumentKind.SESSION_RECORD, "Test", "Header", html, PaperSize.A4, 1, 1, "t.pdf")
    texts = to_pdf(document, START).texts
    assert len(texts) > 1
    for i in range(TABLES):
        begins = next(n for n, text in enumerate(texts) if f"Kept {i} begins" in text)
        assert f"Kept {i} ends" in texts[begins], f"table {i} split after page {begins + 1}"
