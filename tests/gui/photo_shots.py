"""Tiny photos for the photo screens' tests: a JPEG of one colour (found again in a screenshot)
and the PhotoInfo of a stored photo, without a store."""

from __future__ import annotations

from datetime import UTC, date, datetime

from PySide6.QtCore import QBuffer, QCoreApplication, QEvent, QIODevice
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QWidget

from desk_app.domain.clock import ManualClock
from desk_app.domain.people import Staff
from desk_app.domain.photos import PhotoInfo, PhotoStage, PhotoView
from desk_app.store.desk import Desk

COLOURS = {PhotoView.FRONT: "#e00000", PhotoView.LEFT: "#00c000", PhotoView.RIGHT: "#0000e0"}


def jpeg(colour: str, width: int = 64, height: int = 48) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "JPEG", 95)
    return bytes(buffer.data().data())


def info(
    photo_id: int, number: int, view: PhotoView, stage: PhotoStage, day: date | None = None
) -> PhotoInfo:
    return PhotoInfo(
        id=photo_id,
        patient_id=1,
        session_id=number,
        session_number=number,
        session_date=day or date(2026, 10, 2 * number),
        view=view,
        stage=stage,
        imported_at=datetime(2026, 10, 2 * number, 9, 30, tzinfo=UTC),
        imported_by_name="Ann Nurse",
        source_name=f"IMG_{photo_id:04d}.JPG",
        sha256="0" * 64,
        width=64,
        height=48,
    )


def painted(widget: QWidget) -> QImage:
    """What `widget` shows once laid out (as the event loop would lay out what was added to it)."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    return widget.grab().toImage()


def share_of(image: QImage, colour: str, tolerance: int = 60) -> float:
    """How much of `image` is near `colour` (0 to 1), sampled on a grid of some 10,000 points (at
    most 4 pixels apart: a 64 px photo in a window is found)."""
    wanted = QColor(colour)
    step = max(4, int((image.width() * image.height() / 10_000) ** 0.5))
    hits = total = 0
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            pixel = image.pixelColor(x, y)
            total += 1
            near = (
                abs(pixel.red() - wanted.red())
                + abs(pixel.green() - wanted.green())
                + abs(pixel.blue() - wanted.blue())
            )
            hits += near <= tolerance
    return hits / total if total else 0.0


def settle_photos(qtbot) -> None:  # noqa: ANN001
    """As nurse.settle, for the photos' thread too: wait until it and the database workers have
    done what they were asked, and deliver their results (a photo's work may ask the database
    for more, and the other way round)."""
    from desk_app.ui.photo_work import photo_work
    from tests.gui.nurse import settle

    work = photo_work()
    for _round in range(20):
        settle(qtbot)
        if work.idle():
            return
        assert work.wait_until_drained(10), "the photos' thread did not finish within 10 s"
        QCoreApplication.sendPostedEvents(work, QEvent.Type.MetaCall)
    raise AssertionError("the photos' thread kept being asked for more")


def photographed_course(desk: Desk, clock: ManualClock, nurse: Staff) -> int:
    """Zoë O'Brien's course so far: session 1 signed out with its before photos (front, left, right)
    and a front after; session 2, five weeks later, in progress with a front before. The photos'
    colours are their view's (COLOURS). Returns her patient id."""
    from tests.support.consent import consented
    from tests.support.walk import signed_out_session

    patient = desk.patients.register_patient("Zoë", "O'Brien", "1990-02-03", "AZ-00001", nurse.id)
    consented(desk, patient.id, nurse)  # agreeing to photos
    first = signed_out_session(desk, clock, patient.id, nurse)
    shots = [(first, view, PhotoStage.BEFORE) for view in PhotoView] + [
        (first, PhotoView.FRONT, PhotoStage.AFTER)
    ]
    for number, (session_id, view, stage) in enumerate(shots):
        add_photo(desk, session_id, view, stage, nurse, f"IMG_{number:04d}.JPG")
    clock.advance(days=35)
    second = desk.sessions.start_session(patient.id, nurse.id).id
    add_photo(desk, second, PhotoView.FRONT, PhotoStage.BEFORE, nurse, "IMG_0100.JPG")
    return patient.id


def add_photo(
    desk: Desk, session_id: int, view: PhotoView, stage: PhotoStage, nurse: Staff, name: str
) -> None:
    # The stage's shade: a before and an after of one view differ in their bytes (the store refuses twins).
    width = 64 + (stage is PhotoStage.AFTER)
    picture = jpeg(COLOURS[view], width, 48)
    desk.photos.add(session_id, view, stage, picture, picture, width, 48, name, nurse.id)


def fits_small_screens(dialog: QWidget) -> None:
    """The dialog can be made small enough for every small clinic screen (its content scrolls)."""
    from tests.gui.a11y import SMALL_SCREENS

    least = dialog.minimumSizeHint().expandedTo(dialog.minimumSize())
    for screen, (width, height) in SMALL_SCREENS.items():
        assert least.width() <= width and least.height() <= height, f"{least.toTuple()} on {screen}"
