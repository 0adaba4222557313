"""The text a reader sees on each page of a PDF, normalised so tests can look for plain phrases.

pypdf returns words separated by tabs or line breaks and keeps typographic ligatures ('ﬁ'); NFKC
folds the ligatures back to letters and runs of white space become one space.
"""

from __future__ import annotations

import io
import re
import unicodedata

from pypdf import PdfReader


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def pdf_pages(data: bytes) -> list[str]:
    """Each page's text, in order; fails if `data` is not a readable PDF."""
    assert data.startswith(b"%PDF-"), data[:20]
    return [normalised(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def page_sizes(data: bytes) -> list[tuple[float, float]]:
    """Width and height of each page in points (1/72 inch)."""
    return [
        (float(page.mediabox.width), float(page.mediabox.height))
        for page in PdfReader(io.BytesIO(data)).pages
    ]
