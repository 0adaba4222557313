"""Render the app's icon, resources/icons/treatment-desk.svg, to the PNGs and the Windows .ico beside it.

    python -m tests.support.make_icons     (what `make icons` runs)

Qt draws them (QSvgRenderer; QImageWriter for the PNGs), so no other program or package is needed.
The .ico is put together here: Qt's ICO writer holds one picture a file and leaves stray bytes in
its transparency mask (they change from run to run), and Windows wants every size in one file. The
sizes below 256 are 32-bit bitmaps, which every Windows tool reads; 256 is PNG, as Windows itself
stores its large icons.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QImageWriter, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parents[2] / "resources" / "icons"
NAME = "treatment-desk"
SIZES = (16, 24, 32, 48, 64, 128, 256)
_ICO_HEADER = struct.Struct("<HHH")  # reserved, type (1: icon), number of pictures
_ICO_ENTRY = struct.Struct("<BBBBHHII")  # width, height, colours, reserved, planes, bits, size, offset
# size, width, height, planes, bits, compression, image size, x and y resolution, colours, important
_BITMAP_HEADER = struct.Struct("<IiiHHIIiiII")


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def encoded(image: QImage, image_format: str) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, image_format.encode())
    if not writer.write(image):
        raise SystemExit(f"Qt cannot write {image_format}: {writer.errorString()}")
    buffer.close()
    return bytes(data.data())


def bitmap(image: QImage) -> bytes:
    """An ICO bitmap: a BITMAPINFOHEADER (twice the height: the colours, then the mask), the BGRA
    rows from the bottom up, and the 1-bit transparency mask (set where the picture is clear)."""
    size = image.width()
    rows = range(size - 1, -1, -1)
    colours = b"".join(struct.pack("<I", image.pixel(x, y)) for y in rows for x in range(size))
    mask_row = (size + 31) // 32 * 4
    mask = bytearray()
    for y in rows:
        bits = 0
        for x in range(size):
            bits = bits << 1 | (image.pixelColor(x, y).alpha() == 0)
        mask += (bits << (mask_row * 8 - size)).to_bytes(mask_row, "big")
    header = _BITMAP_HEADER.pack(
        _BITMAP_HEADER.size, size, 2 * size, 1, 32, 0, len(colours) + len(mask), 0, 0, 0, 0
    )
    return header + colours + bytes(mask)


def ico_file(images: dict[int, QImage]) -> bytes:
    """One ICO holding every picture."""
    entries = []
    for size, image in images.items():
        picture = encoded(image, "png") if size >= 256 else bitmap(image)
        entries.append((size % 256, picture))  # 0 stands for 256
    offset = _ICO_HEADER.size + _ICO_ENTRY.size * len(entries)
    directory = [_ICO_HEADER.pack(0, 1, len(entries))]
    for side, picture in entries:
        directory.append(_ICO_ENTRY.pack(side, side, 0, 0, 1, 32, len(picture), offset))
        offset += len(picture)
    return b"".join(directory) + b"".join(picture for _, picture in entries)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # loads Qt's image plugins
    renderer = QSvgRenderer(str(ICONS / f"{NAME}.svg"))
    if not renderer.isValid():
        raise SystemExit(f"{NAME}.svg cannot be read")
    images = {size: render(renderer, size) for size in SIZES}
    for size, image in images.items():
        (ICONS / f"{NAME}-{size}.png").write_bytes(encoded(image, "png"))
    (ICONS / f"{NAME}.ico").write_bytes(ico_file(images))
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
