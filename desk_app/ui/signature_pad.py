"""Where the patient signs the consent form: with the mouse, a pen (tablet events) or a finger (touch).

Each stroke is recorded as it is made, as points (x, y in the pad's pixels, milliseconds since the
first touch of this signature), and drawn at once. The pad has a fixed size, so every point of a
signature is in the same frame, the one stored with it. What it says of itself ("Sign here" or
"Signed", and the accessible name "Signature pad: signed, 3 strokes") follows the strokes.
"""

from __future__ import annotations

import math
from enum import Enum

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desk_app.domain.consent import MAX_POINTS, Point, Stroke

# The pad's size in pixels: a signature's points are in this frame, stored with them. It fits a
# 1366x768 dialog beside the form's text (1280x720 too), and is wider than a paper form's box.
PAD_SIZE = QSize(560, 180)
# A move shorter than this (in pixels) adds no point: a pen reports some 200 moves a second, and
# most of them only repeat where it already is.
MIN_STEP = 1.0

EMPTY_STATE = "Sign here"
SIGNED_STATE = "Signed"

_PAPER = QColor("#ffffff")
_INK = QColor("#10243e")
_GUIDE = QColor("#8a96a3")
_EDGE = QColor("#1f4e79")


class Device(Enum):
    """What a stroke is being drawn with: another device's events do not add to it."""

    MOUSE = "mouse"
    PEN = "pen"
    FINGER = "finger"


def pad_state_name(strokes: int) -> str:
    """What a screen reader hears of the pad: its state, in words."""
    if strokes == 0:
        return "Signature pad: empty"
    return f"Signature pad: signed, {strokes} stroke{'' if strokes == 1 else 's'}"


class SignatureCanvas(QWidget):
    """The surface signed on: records and draws the strokes."""

    stroke_ended = Signal()
    """A stroke was finished (the pen, finger or button lifted)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(PAD_SIZE)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paintEvent fills every pixel
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAccessibleDescription("The patient signs here with a finger, a pen or the mouse")
        self._strokes: list[Stroke] = []
        self._current: list[Point] | None = None
        self._device: Device | None = None
        self._finger: int | None = None  # the touch point drawing, when a finger is
        self._first_at: int | None = None  # the event time (ms) of this signature's first touch
        self._points = 0
        self._said()

    # --- what was signed -------------------------------------------------------------------------

    def strokes(self) -> tuple[Stroke, ...]:
        """The finished strokes, in the order they were drawn."""
        return tuple(self._strokes)

    def clear(self) -> None:
        """Start again: no strokes, and the next touch is time 0."""
        self._strokes.clear()
        self._current, self._device, self._finger, self._first_at = None, None, None, None
        self._points = 0
        self._said()
        self.update()

    def _said(self) -> None:
        self.setAccessibleName(pad_state_name(len(self._strokes)))

    # --- strokes ---------------------------------------------------------------------------------

    def _point(self, position: QPointF, timestamp: int) -> Point:
        """A point in the pad's frame (kept inside it: a drag may go beyond the edge), with the
        milliseconds since the first touch, never less than the point before."""
        if self._first_at is None:
            self._first_at = timestamp
        x = min(max(position.x(), 0.0), float(PAD_SIZE.width()))
        y = min(max(position.y(), 0.0), float(PAD_SIZE.height()))
        after = self._current[-1][2] if self._current else 0
        return (round(x, 1), round(y, 1), max(timestamp - self._first_at, after, 0))

    def _begin(self, device: Device, position: QPointF, timestamp: int) -> None:
        if self._current is not None or self._points >= MAX_POINTS:
            return  # one stroke at a time (a second device or finger waits), and no more than is kept
        self._device = device
        self._current = []
        self._add(self._point(position, timestamp))

    def _extend(self, device: Device, position: QPointF, timestamp: int, last: bool = False) -> None:
        if self._current is None or device is not self._device or self._points >= MAX_POINTS:
            return
        point = self._point(position, timestamp)
        previous = self._current[-1]
        if math.dist(point[:2], previous[:2]) >= MIN_STEP or (last and point[:2] != previous[:2]):
            self._add(point)

    def _add(self, point: Point) -> None:
        assert self._current is not None  # a stroke has begun
        self._points += 1
        before = self._current[-1] if self._current else point
        self._current.append(point)
        corner = QPointF(before[0], before[1])
        self.update(
            QRectF(corner, QPointF(point[0], point[1])).normalized().adjusted(-4, -4, 4, 4).toAlignedRect()
        )

    def _end(self, device: Device, position: QPointF, timestamp: int) -> None:
        if self._current is None or device is not self._device:
            return
        self._extend(device, position, timestamp, last=True)
        self._strokes.append(tuple(self._current))
        self._current, self._device, self._finger = None, None, None
        self._said()
        self.stroke_ended.emit()

    def _drop(self) -> None:
        """The system took the touch back (a gesture): the unfinished stroke is not kept."""
        if self._current is not None:
            self._points -= len(self._current)
            self._current, self._device, self._finger = None, None, None
            self.update()

    # --- input -----------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(Device.MOUSE, event.position(), event.timestamp())
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        self._extend(Device.MOUSE, event.position(), event.timestamp())
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if event.button() == Qt.MouseButton.LeftButton:
            self._end(Device.MOUSE, event.position(), event.timestamp())
        event.accept()

    def tabletEvent(self, event: QTabletEvent) -> None:  # noqa: N802 (Qt's name)
        """A pen: accepted, so Qt makes no mouse events of it too (a stroke drawn twice)."""
        event.accept()
        if event.pointerType() == event.pointerType().Eraser:
            return  # the pen turned round writes nothing; Clear starts again
        match event.type():
            case QEvent.Type.TabletPress:
                self._begin(Device.PEN, event.position(), event.timestamp())
            case QEvent.Type.TabletMove:
                self._extend(Device.PEN, event.position(), event.timestamp())
            case QEvent.Type.TabletRelease:
                self._end(Device.PEN, event.position(), event.timestamp())

    def event(self, event: QEvent) -> bool:
        """A finger: the first finger down draws; the others are ignored. Accepted, so Qt makes no
        mouse events of it too."""
        kind = event.type()
        touches = (QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd)
        if kind == QEvent.Type.TouchCancel:
            self._drop()
            event.accept()
            return True
        if kind not in touches or not isinstance(event, QTouchEvent):
            return super().event(event)
        event.accept()
        for point in event.points():
            state = point.state()
            if state == point.State.Pressed and self._current is None:
                self._finger = point.id()
                self._begin(Device.FINGER, point.position(), event.timestamp())
            elif point.id() != self._finger:
                continue
            elif state == point.State.Released:
                self._end(Device.FINGER, point.position(), event.timestamp())
            else:
                self._extend(Device.FINGER, point.position(), event.timestamp())
        return True

    # --- drawing ---------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(event.rect(), _PAPER)
        painter.setPen(QPen(_EDGE, 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        line_y = round(self.height() * 0.75)
        painter.setPen(QPen(_GUIDE, 1))
        painter.drawLine(24, line_y, self.width() - 24, line_y)
        painter.drawText(QRectF(8, line_y - 28, 24, 24), Qt.AlignmentFlag.AlignCenter, "×")
        pen = QPen(_INK, 2.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        drawn = [*self._strokes, *([tuple(self._current)] if self._current else [])]
        for stroke in drawn:
            if len(stroke) == 1:
                painter.drawPoint(QPointF(stroke[0][0], stroke[0][1]))
                continue
            path = QPainterPath(QPointF(stroke[0][0], stroke[0][1]))
            for x, y, _ms in stroke[1:]:
                path.lineTo(x, y)
            painter.drawPath(path)
        painter.end()


class SignaturePad(QFrame):
    """The canvas, what state it is in, in words, and Clear."""

    changed = Signal()
    """The signature changed: a stroke was finished, or it was cleared."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signaturePad")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.canvas = SignatureCanvas(self)
        layout.addWidget(self.canvas, 0, Qt.AlignmentFlag.AlignLeft)
        row = QHBoxLayout()
        self.state = QLabel(EMPTY_STATE, self)
        self.state.setObjectName("signatureState")
        row.addWidget(self.state, 1)
        self.clear_button = QPushButton("Clear signature", self)
        self.clear_button.setMinimumHeight(44)
        self.clear_button.clicked.connect(self.clear)
        row.addWidget(self.clear_button)
        layout.addLayout(row)
        self.canvas.stroke_ended.connect(self._on_change)
        self._on_change()

    def strokes(self) -> tuple[Stroke, ...]:
        return self.canvas.strokes()

    def size_in_pixels(self) -> tuple[int, int]:
        """The frame the points are in: stored with them."""
        return PAD_SIZE.width(), PAD_SIZE.height()

    def is_signed(self) -> bool:
        return bool(self.canvas.strokes())

    def clear(self) -> None:
        self.canvas.clear()
        self._on_change()

    def _on_change(self) -> None:
        signed = self.is_signed()
        self.state.setText(SIGNED_STATE if signed else EMPTY_STATE)
        self.state.setProperty("signed", signed)
        self.state.style().unpolish(self.state)
        self.state.style().polish(self.state)
        self.clear_button.setEnabled(signed)
        self.changed.emit()
