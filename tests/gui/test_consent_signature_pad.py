"""The pad the patient signs on: strokes recorded as drawn, Clear, and its state seen and heard."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from desk_app.ui.signature_pad import PAD_SIZE, SignaturePad
from tests.gui.a11y import heard, unheard
from tests.gui.nurse import click, find

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def pad(qtbot: QtBot) -> SignaturePad:
    shown = SignaturePad()
    qtbot.addWidget(shown)
    shown.show()
    return shown


def draw(pad: SignaturePad, *points: tuple[int, int]) -> None:
    """One stroke with the mouse: press at the first point, move through the others, release."""
    canvas = pad.canvas
    QTest.mousePress(canvas, LEFT, Qt.KeyboardModifier.NoModifier, QPoint(*points[0]))
    for point in points[1:]:
        QTest.mouseMove(canvas, QPoint(*point), 5)  # 5 ms between moves
    QTest.mouseRelease(canvas, LEFT, Qt.KeyboardModifier.NoModifier, QPoint(*points[-1]))


def test_a_stroke_is_recorded_as_drawn_in_the_pads_frame_and_time(pad: SignaturePad) -> None:
    draw(pad, (20, 100), (40, 90), (60, 110), (80, 95))

    (stroke,) = pad.strokes()
    assert [(x, y) for x, y, _ms in stroke] == [(20, 100), (40, 90), (60, 110), (80, 95)]
    times = [ms for _x, _y, ms in stroke]
    assert times[0] == 0
    assert times == sorted(times)
    assert pad.size_in_pixels() == (PAD_SIZE.width(), PAD_SIZE.height())


def draw_with_finger(pad: SignaturePad, *points: tuple[int, int]) -> None:
    canvas, finger = pad.canvas, QTest.createTouchDevice()
    QTest.touchEvent(canvas, finger).press(0, QPoint(*points[0]), canvas).commit()
    for point in points[1:]:
        QTest.touchEvent(canvas, finger).move(0, QPoint(*point), canvas).commit()
    QTest.touchEvent(canvas, finger).release(0, QPoint(*points[-1]), canvas).commit()


def draw_with_pen(pad: SignaturePad, *points: tuple[int, int]) -> None:
    pen = QPointingDevice(
        "test pen",
        1,
        QInputDevice.DeviceType.Stylus,
        QPointingDevice.PointerType.Pen,
        QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
        1,
        3,
    )
    kinds = [
        QEvent.Type.TabletPress,
        *[QEvent.Type.TabletMove] * (len(points) - 1),
        QEvent.Type.TabletRelease,
    ]
    for kind, point in zip(kinds, [*points, points[-1]], strict=True):
        at = QPointF(*point)
        buttons = Qt.MouseButton.LeftButton
        event = QTabletEvent(
            kind, pen, at, at, 0.5, 0, 0, 0, 0, 0, Qt.KeyboardModifier.NoModifier, buttons, buttons
        )
        QApplication.sendEvent(pad.canvas, event)


@pytest.mark.parametrize("draw_with", [draw_with_finger, draw_with_pen], ids=["finger", "pen"])
def test_a_finger_or_a_pen_signs_as_the_mouse_does_once_each(pad: SignaturePad, draw_with) -> None:  # noqa: ANN001
    draw_with(pad, (20, 100), (40, 90), (60, 110))

    (stroke,) = pad.strokes()  # accepted: Qt made no mouse events of it, a second stroke
    assert [(x, y) for x, y, _ms in stroke] == [(20, 100), (40, 90), (60, 110)]
    assert pad.state.text() == "Signed"


def test_a_drag_beyond_the_edge_stays_in_the_pad(pad: SignaturePad) -> None:
    draw(pad, (20, 100), (PAD_SIZE.width() + 50, -30))

    (stroke,) = pad.strokes()
    assert stroke[-1][:2] == (PAD_SIZE.width(), 0)


def test_the_pad_says_and_shows_its_state_and_clear_empties_it(qtbot: QtBot, pad: SignaturePad) -> None:
    assert pad.state.text() == "Sign here"
    assert heard(pad.canvas).startswith("Signature pad: empty")
    assert not find(pad, QPushButton, "Clear signature").isEnabled()

    draw(pad, (20, 100), (60, 120))
    draw(pad, (100, 100), (140, 80))
    draw(pad, (200, 90), (230, 110), (260, 90))

    assert len(pad.strokes()) == 3
    assert pad.state.text() == "Signed"
    assert heard(pad.canvas).startswith("Signature pad: signed, 3 strokes")
    assert unheard(pad) == []

    click(qtbot, pad, "Clear signature")

    assert pad.strokes() == ()
    assert pad.state.text() == "Sign here"
    assert heard(pad.canvas).startswith("Signature pad: empty")
    draw(pad, (20, 100), (60, 120))  # time starts again at the first touch after Clear
    assert pad.strokes()[0][0][2] == 0
    assert heard(pad.canvas).startswith("Signature pad: signed, 1 stroke")


def test_a_disabled_pad_takes_no_strokes(pad: SignaturePad) -> None:
    pad.setEnabled(False)  # while the consent is saving

    draw(pad, (20, 100), (60, 120))

    assert pad.strokes() == ()
