"""Draw the demo clinic's synthetic clinical photos into resources/demo/photos/ (issue 21 point 4).

    python -m tests.support.make_demo_photos

Drawn with QPainter, not of anyone: a face made of shapes, seen from the front and from each side,
with small marks for acne scars on the forehead, cheeks and temples that fade from one session of
the course to the next; the photo after each session shows the treated skin flushed. Each picture
says in its corner that it is synthetic. Written as the import pipeline stores a photo (a JPEG
without metadata) with its thumbnail, small: 800 x 600 at quality 80, a few tens of KB. The same
each run (fixed seeds), so the files change only when this script does.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QImageWriter,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
    QRadialGradient,
)

from desk_app.domain.photos import THUMBNAIL_SIDE, jpeg_without_metadata
from desk_app.store.demo import DEMO_PHOTO_SESSIONS, DEMO_PHOTOS, demo_photo_name

PHOTOS = Path(__file__).resolve().parents[2] / "resources" / "demo" / "photos"
WIDTH, HEIGHT = 800, 600
QUALITY = 80
SKIN = QColor(234, 196, 170)
SKIN_SHADE = QColor(214, 168, 140)
HAIR = QColor(92, 58, 38)
GOWN = QColor(120, 160, 190)
SCAR = QColor(150, 92, 80)
FLUSH = QColor(235, 90, 90)
# How strongly the scars show before each session of the course (out of 255): they fade.
SCAR_STRENGTH = {1: 190, 2: 130, 3: 80}


def _backdrop(painter: QPainter) -> None:
    wall = QLinearGradient(0, 0, 0, HEIGHT)
    wall.setColorAt(0, QColor(206, 216, 224))
    wall.setColorAt(1, QColor(170, 184, 196))
    painter.fillRect(0, 0, WIDTH, HEIGHT, wall)


def _shoulders(painter: QPainter, centre_x: float) -> None:
    painter.setBrush(SKIN_SHADE)
    painter.drawRect(QRectF(centre_x - 45, 420, 90, 80))  # the neck
    gown = QPainterPath()
    gown.moveTo(centre_x - 260, HEIGHT)
    gown.cubicTo(centre_x - 240, 500, centre_x - 120, 480, centre_x, 490)
    gown.cubicTo(centre_x + 120, 480, centre_x + 240, 500, centre_x + 260, HEIGHT)
    gown.closeSubpath()
    painter.setBrush(GOWN)
    painter.drawPath(gown)


def _skin_brush(centre: QPointF, radius: float) -> QBrush:
    light = QRadialGradient(centre, radius)
    light.setColorAt(0, SKIN.lighter(106))
    light.setColorAt(1, SKIN_SHADE)
    return QBrush(light)


def _front_face(painter: QPainter) -> tuple[list[QRectF], QPainterPath]:
    """A face from the front: the areas treated (forehead, cheeks, temples), and the skin they are on."""
    centre = QPointF(WIDTH / 2, 270)
    _shoulders(painter, centre.x())
    painter.setBrush(SKIN_SHADE)
    for side in (-1, 1):  # ears
        painter.drawEllipse(QRectF(centre.x() + side * 138 - 18, 250, 36, 70))
    painter.setBrush(_skin_brush(centre, 190))
    skin = QPainterPath()
    skin.addEllipse(QRectF(centre.x() - 140, 100, 280, 350))
    painter.drawPath(skin)
    hair = QPainterPath()
    hair.moveTo(centre.x() - 150, 250)
    hair.cubicTo(centre.x() - 170, 40, centre.x() + 170, 40, centre.x() + 150, 250)
    hair.cubicTo(centre.x() + 130, 150, centre.x() - 60, 120, centre.x() - 150, 250)
    painter.setBrush(HAIR)
    painter.drawPath(hair)
    for side in (-1, 1):
        eye = QPointF(centre.x() + side * 55, 260)
        painter.setBrush(QColor("white"))
        painter.drawEllipse(eye, 24, 12)
        painter.setBrush(QColor(70, 110, 90))
        painter.drawEllipse(eye, 9, 9)
        painter.setPen(QPen(HAIR, 6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.drawLine(QPointF(eye.x() - 28, 232), QPointF(eye.x() + 28, 228 - side * 2))
        painter.setPen(Qt.PenStyle.NoPen)
    painter.setPen(QPen(SKIN_SHADE.darker(120), 4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    painter.drawLine(QPointF(centre.x(), 270), QPointF(centre.x() - 10, 330))
    painter.drawLine(QPointF(centre.x() - 10, 330), QPointF(centre.x() + 12, 334))
    painter.setPen(QPen(QColor(170, 90, 90), 5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    painter.drawArc(QRectF(centre.x() - 40, 350, 80, 30), 200 * 16, 140 * 16)
    painter.setPen(Qt.PenStyle.NoPen)
    return [
        QRectF(centre.x() - 60, 180, 120, 32),  # forehead
        QRectF(centre.x() - 120, 290, 70, 80),  # cheeks
        QRectF(centre.x() + 50, 290, 70, 80),
        QRectF(centre.x() - 128, 240, 26, 40),  # temples
        QRectF(centre.x() + 102, 240, 26, 40),
    ], skin.subtracted(hair)


def _side_face(painter: QPainter, facing: int) -> tuple[list[QRectF], QPainterPath]:
    """A face in profile, looking left (-1) or right (+1) of the picture: the cheek and temple to
    mark, and the skin they are on."""
    centre = QPointF(WIDTH / 2, 270)
    _shoulders(painter, centre.x())
    painter.setBrush(_skin_brush(centre, 190))
    skin = QPainterPath()
    skin.addEllipse(QRectF(centre.x() - 130, 100, 260, 350))
    painter.drawPath(skin)
    nose = QPainterPath()
    tip = centre.x() + facing * 160
    nose.moveTo(centre.x() + facing * 118, 240)
    nose.lineTo(tip, 320)
    nose.lineTo(centre.x() + facing * 120, 335)
    nose.closeSubpath()
    painter.drawPath(nose)
    hair = QPainterPath()
    back = centre.x() - facing * 140
    hair.moveTo(centre.x() + facing * 100, 170)
    hair.cubicTo(centre.x() + facing * 60, 60, back - facing * 40, 90, back, 330)
    hair.cubicTo(back + facing * 30, 220, centre.x(), 150, centre.x() + facing * 100, 170)
    painter.setBrush(HAIR)
    painter.drawPath(hair)
    painter.setBrush(SKIN_SHADE)
    painter.drawEllipse(QRectF(centre.x() - facing * 40 - 22, 250, 44, 76))  # the ear
    painter.setBrush(QColor("white"))
    eye = QPointF(centre.x() + facing * 85, 262)
    painter.drawEllipse(eye, 13, 10)
    painter.setBrush(QColor(70, 110, 90))
    painter.drawEllipse(QPointF(eye.x() + facing * 5, eye.y()), 6, 7)
    painter.setPen(QPen(QColor(170, 90, 90), 5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    painter.drawLine(QPointF(centre.x() + facing * 100, 370), QPointF(centre.x() + facing * 128, 366))
    painter.setPen(Qt.PenStyle.NoPen)
    return [
        QRectF(min(centre.x(), centre.x() + facing * 100), 295, 100, 75),  # cheek
        QRectF(min(centre.x() + facing * 10, centre.x() + facing * 70), 205, 60, 40),  # temple
    ], skin.united(nose).subtracted(hair)


def _scars(painter: QPainter, areas: list[QRectF], strength: int, seed: int) -> None:
    """Small round marks: a darker pit with a paler rim, as rolling and boxcar scars look in a photo."""
    marks = random.Random(seed)
    for area in areas:
        for _ in range(int(area.width() * area.height() / 450)):
            at = QPointF(
                area.left() + marks.random() * area.width(), area.top() + marks.random() * area.height()
            )
            radius = 2.5 + marks.random() * 3.5
            rim = QColor(SKIN.lighter(112))
            rim.setAlpha(strength // 2)
            painter.setBrush(rim)
            painter.drawEllipse(at, radius + 1.5, radius + 1.5)
            pit = QColor(SCAR)
            pit.setAlpha(strength)
            painter.setBrush(pit)
            painter.drawEllipse(at, radius, radius)


def _flush(painter: QPainter, areas: list[QRectF]) -> None:
    """The treated skin straight after the laser: red, spread a little past each area."""
    for area in areas:
        glow = QRadialGradient(area.center(), max(area.width(), area.height()))
        red = QColor(FLUSH)
        red.setAlpha(110)
        glow.setColorAt(0, red)
        red.setAlpha(0)
        glow.setColorAt(1, red)
        painter.setBrush(QBrush(glow))
        painter.drawEllipse(area.adjusted(-30, -25, 30, 25))


def _synthetic_mark(painter: QPainter) -> None:
    painter.setPen(QColor(60, 60, 60))
    painter.setFont(QFont("Sans", 11))
    painter.drawText(
        QRectF(0, HEIGHT - 28, WIDTH - 12, 24), Qt.AlignmentFlag.AlignRight, "Synthetic demo image"
    )


def draw(session: int, stage: str, view: str) -> QImage:
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    _backdrop(painter)
    areas, skin = (
        _front_face(painter) if view == "front" else _side_face(painter, -1 if view == "left" else 1)
    )
    painter.setClipPath(skin)
    # After a session the scars are as they were before it; they fade by the next.
    _scars(painter, areas, SCAR_STRENGTH[session], seed={"front": 1, "left": 2, "right": 3}[view])
    if stage == "after":
        _flush(painter, areas)
    painter.setClipping(False)
    _synthetic_mark(painter)
    painter.end()
    return image


def encoded(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, QByteArray(b"jpeg"))
    writer.setQuality(QUALITY)
    if not writer.write(image):
        raise SystemExit(f"JPEG not written: {writer.errorString()}")
    return jpeg_without_metadata(bytes(buffer.data().data()))


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # loads Qt's image plugins and fonts
    PHOTOS.mkdir(parents=True, exist_ok=True)
    for session in range(1, DEMO_PHOTO_SESSIONS + 1):
        for stage, view in DEMO_PHOTOS:
            image = draw(session, stage, view)
            thumbnail = image.scaled(
                THUMBNAIL_SIDE,
                THUMBNAIL_SIDE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            name = demo_photo_name(session, stage, view)
            (PHOTOS / f"{name}.jpg").write_bytes(encoded(image))
            (PHOTOS / f"{name}.thumbnail.jpg").write_bytes(encoded(thumbnail))
            print(f"{name}: {(PHOTOS / f'{name}.jpg').stat().st_size // 1024} KB")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
