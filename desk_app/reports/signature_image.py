"""A signed consent's signature as a picture a printed page can hold: its stored SVG drawn by QtSvg
into a PNG, inlined in the document's HTML as a data URL (QTextDocument reads those itself, so the
document stays plain HTML that a printer's and a PDF's painting both take). Safe off the UI thread:
QSvgRenderer, QImage and a QPainter on a QImage are."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QImage, QImageWriter, QPainter
from PySide6.QtSvg import QSvgRenderer

from desk_app.domain.errors import DomainError

# Pixels across of the drawn signature, and its width on the page in the HTML's pixels (a 96th of
# an inch): 8 cm wide, drawn at about 300 dots an inch.
DRAWN_WIDTH = 960
SHOWN_WIDTH = 300
MAX_SVG_CHARS = 2_000_000  # far above a signature's (MAX_POINTS points), far below what would hurt


@dataclass(frozen=True)
class SignaturePicture:
    """The signature for an <img>: a data URL, and its size on the page (the pad's proportions)."""

    url: str
    width: int
    height: int


def signature_picture(svg: str) -> SignaturePicture:
    """The stored SVG as a picture a printed document holds."""
    png, (width, height) = signature_png(svg)
    url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return SignaturePicture(url, SHOWN_WIDTH, max(1, round(SHOWN_WIDTH * height / width)))


def signature_png(svg: str, width: int = DRAWN_WIDTH) -> tuple[bytes, tuple[int, int]]:
    """The SVG drawn in black on white, `width` pixels across, its proportions kept: PNG bytes and
    the picture's size. An image QtSvg cannot read (changed outside the app) is a DomainError,
    never a blank box."""
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8"))) if len(svg) <= MAX_SVG_CHARS else None
    if renderer is None or not renderer.isValid() or renderer.viewBoxF().isEmpty():
        raise DomainError(
            "The stored signature image cannot be drawn: it may have been changed outside the app "
            "(desk-app audit verify checks the records)."
        )
    box = renderer.viewBoxF()
    height = max(1, round(width * box.height() / box.width()))
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, width, height))
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not QImageWriter(buffer, QByteArray(b"png")).write(image):
        raise DomainError("The signature could not be drawn for printing.")
    return bytes(buffer.data().data()), (width, height)
