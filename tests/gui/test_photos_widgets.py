"""The photo widgets as a nurse sees them (issue 21): the grid (views as columns, sessions as rows,
before and after), the course side by side, each photo painted from its JPEG bytes and named for
what it shows; nothing of a photo left once forgotten."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from desk_app.domain.photos import PhotoStage, PhotoView
from desk_app.ui.photo_widgets import CourseStrip, PhotoGrid, decoded, forget_photos
from tests.gui.a11y import unheard
from tests.gui.nurse import find
from tests.gui.photo_shots import COLOURS, info, jpeg, painted, share_of

BEFORE, AFTER = PhotoStage.BEFORE, PhotoStage.AFTER
FRONT, LEFT, RIGHT = PhotoView.FRONT, PhotoView.LEFT, PhotoView.RIGHT


def shown_grid(qtbot) -> PhotoGrid:  # noqa: ANN001
    photos = [
        info(1, 1, FRONT, BEFORE),
        info(2, 1, LEFT, BEFORE),
        info(3, 1, RIGHT, BEFORE),
        info(4, 1, FRONT, AFTER),
        info(5, 2, FRONT, BEFORE, date(2026, 12, 4)),
    ]
    grid = PhotoGrid()
    qtbot.addWidget(grid)
    grid.show_photos(reversed(photos), {photo.id: jpeg(COLOURS[photo.view]) for photo in photos})
    grid.show()
    return grid


def tile(root: QWidget, name: str) -> QAbstractButton:
    return find(root, QAbstractButton, name)


def test_the_grid_has_a_column_per_view_and_a_row_per_session_and_stage(qtbot) -> None:  # noqa: ANN001
    grid = shown_grid(qtbot)
    front_before = tile(grid, "Front, before, session 1, 2 Oct 2026")
    left_before = tile(grid, "Left side, before, session 1, 2 Oct 2026")
    right_before = tile(grid, "Right side, before, session 1, 2 Oct 2026")
    front_after = tile(grid, "Front, after, session 1, 2 Oct 2026")
    front_later = tile(grid, "Front, before, session 2, 4 Dec 2026")
    assert front_before.x() < left_before.x() < right_before.x()
    assert front_before.y() == left_before.y() == right_before.y()
    assert front_before.x() == front_after.x() == front_later.x()
    assert front_before.y() < front_after.y() < front_later.y()  # the course downwards, before then after
    for heading, below in (("Front", front_before), ("Left side", left_before), ("Right side", right_before)):
        column = find(grid, QLabel, heading).geometry()
        assert below.geometry().left() <= column.center().x() <= below.geometry().right()
        assert column.bottom() < below.y()
    assert find(grid, QLabel, "Session 2, 4 Dec 2026, before").text() == "Session 2, 4 Dec 2026\nBefore"
    assert len([label for label in grid.findChildren(QLabel) if label.text() == "No photo"]) == 4
    assert unheard(grid) == []


def test_each_photo_is_painted_from_its_jpeg_and_dropped_when_forgotten(qtbot) -> None:  # noqa: ANN001
    grid = shown_grid(qtbot)
    front = painted(tile(grid, "Front, before, session 1, 2 Oct 2026"))
    left = painted(tile(grid, "Left side, before, session 1, 2 Oct 2026"))
    assert share_of(front, COLOURS[FRONT]) > 0.3 and share_of(front, COLOURS[LEFT]) == 0
    assert share_of(left, COLOURS[LEFT]) > 0.3
    forget_photos(grid)
    assert share_of(painted(grid), COLOURS[FRONT]) == 0


def test_a_photo_the_pc_cannot_read_says_so(qtbot) -> None:  # noqa: ANN001
    grid = PhotoGrid()
    qtbot.addWidget(grid)
    grid.show_photos([info(1, 1, FRONT, BEFORE)], {1: b"\xff\xd8\xff not really"})
    grid.show()
    assert decoded(b"\xff\xd8\xff not really") is None
    shown = grid.tiles[0]
    assert shown.accessibleName().startswith(
        "Front, before, session 1, 2 Oct 2026: This photo cannot be shown"
    )


def test_the_course_side_by_side_labels_each_photo_with_its_session(qtbot) -> None:  # noqa: ANN001
    strip = CourseStrip()
    qtbot.addWidget(strip)
    colours = ["#e00000", "#00c000", "#0000e0"]
    photos = [(info(n, n, FRONT, BEFORE), decoded(jpeg(colours[n - 1]))) for n in (1, 2, 3)]
    strip.show_photos(photos)
    strip.resize(1200, 300)
    strip.show()
    tiles = [tile(strip, f"Front, before, session {n}, {d} Oct 2026") for n, d in ((1, 2), (2, 4), (3, 6))]
    assert [t.text() for t in tiles] == [
        "Session 1, 2 Oct 2026",
        "Session 2, 4 Oct 2026",
        "Session 3, 6 Oct 2026",
    ]
    assert tiles[0].x() < tiles[1].x() < tiles[2].x()
    assert tiles[0].y() == tiles[1].y() == tiles[2].y()
    for shown, colour in zip(tiles, colours, strict=True):
        assert shown.width() > 300  # the room is shared out: each photo as big as it can be
        assert share_of(painted(shown), colour) > 0.3
    assert unheard(strip) == []
