"""Render the app's icon, resources/icons/treatment-desk.svg, to the PNGs and the Windows .ico beside it.

    python -m tests.support.make_icons     (what `make icons` runs)

Qt draws them (QSvgRenderer, QImageWriter), so no other program or package is needed. Qt's ICO
writer puts one picture in a file; Windows wants every size in one, so the pictures Qt writes are
gathered under one ICO directory here: the sizes below 256 as Qt writes them (bitmaps, which every
Windows tool reads) and 256 as PNG, as Windows itself stores its large icons.
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


def ico_file(images: dict[int, QImage]) -> bytes:
    """One ICO holding every picture; each directory entry is the one Qt wrote, at its new offset."""
    entries: list[tuple[tuple[int, ...], bytes]] = []
    for size, image in images.items():
        if size >= 256:
            picture = encoded(image, "png")
            fields: tuple[int, ...] = (0, 0, 0, 0, 1, 32)  # 0 stands for 256
        else:
            single = encoded(image, "ico")
            *fields, length, offset = _ICO_ENTRY.unpack_from(single, _ICO_HEADER.size)
            picture = single[offset : offset + length]
        entries.append((tuple(fields), picture))
    offset = _ICO_HEADER.size + _ICO_ENTRY.size * len(entries)
    directory = [_ICO_HEADER.pack(0, 1, len(entries))]
    for fields, picture in entries:
        directory.append(_ICO_ENTRY.pack(*fields, len(picture), offset))
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
