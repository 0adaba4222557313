"""Clinical photos on screen (issue 21), painted from their JPEG bytes and scaled smoothly: a photo
as a tile to press, the patient's photos as a grid (views as columns, sessions as rows), and one
view across the course side by side. No store here: the pages and dialogs read the bytes (which
audits the opening) and hand them over.

Every photo's accessible name says what it shows ("Front, before, session 2, 4 Dec 2026"), the
caption under it a part of that; `forget()` drops every picture, so a locked screen keeps none."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPainter, QPaintEvent, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractButton,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStyle,
    QStyleOptionFocusRect,
    QWidget,
)

from desk_app.domain.photos import PhotoInfo, PhotoStage, PhotoView
from desk_app.ui.formatting import short_day

TILE_PICTURE = QSize(168, 126)  # a thumbnail in the grid: three views and a heading fit 1366 px
STRIP_PICTURE = QSize(200, 150)  # the least a photo compared across the course is shown at
NOT_SHOWN = "This photo cannot be shown: it is not a picture this PC can read."


def session_words(info: PhotoInfo) -> str:
    return f"Session {info.session_number}, {short_day(info.session_date)}"


def photo_words(info: PhotoInfo) -> str:
    """What a photo shows, as a screen reader says it: 'Front, before, session 2, 4 Dec 2026'."""
    stage, day = info.stage.label.lower(), short_day(info.session_date)
    return f"{info.view.label}, {stage}, session {info.session_number}, {day}"


def decoded(jpeg: bytes) -> QImage | None:
    """The picture in `jpeg`, or None where Qt cannot read it (a damaged row)."""
    image = QImage.fromData(jpeg)
    return None if image.isNull() else image


class _Picture:
    """An image and its copy scaled smoothly to the room it is painted in (scaled again only when
    that room changes: a paint after a scroll costs a copy)."""

    def __init__(self) -> None:
        self.image: QImage | None = None
        self.unreadable = False
        self._scaled: QPixmap | None = None

    def set(self, image: QImage | None, unreadable: bool = False) -> None:
        self.image, self.unreadable, self._scaled = image, unreadable, None

    def paint(self, painter: QPainter, room: QRect, ratio: float) -> None:
        """The picture as big as fits in `room`, centred, its proportions kept."""
        if self.image is None:
            return
        wanted = room.size() * ratio  # in device pixels: sharp on a high-DPI screen
        fitted = self.image.size().scaled(wanted, Qt.AspectRatioMode.KeepAspectRatio)
        if self._scaled is None or self._scaled.size() != fitted:
            self._scaled = QPixmap.fromImage(
                self.image.scaled(
                    fitted, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
                )
            )
            self._scaled.setDevicePixelRatio(ratio)
        shown = self._scaled.deviceIndependentSize().toSize()
        x = room.x() + (room.width() - shown.width()) // 2
        y = room.y() + (room.height() - shown.height()) // 2
        painter.drawPixmap(x, y, self._scaled)


class PhotoPicture(QWidget):
    """One photo as big as its room allows (the full-size view): no caption, nothing to press."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._picture = _Picture()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(STRIP_PICTURE)

    def show_image(self, image: QImage | None, words: str) -> None:
        """Paint `image` (decoded off the window's thread; None: say it cannot be shown); `words`
        is what a screen reader hears."""
        self._picture.set(image, unreadable=image is None)
        self.setAccessibleName(words if image is not None else f"{words}: {NOT_SHOWN}")
        self.update()

    def has_picture(self) -> bool:
        return self._picture.image is not None

    def forget(self) -> None:
        self._picture.set(None)
        self.setAccessibleName("")
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        if self._picture.unreadable:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, NOT_SHOWN)
        self._picture.paint(painter, self.rect(), self.devicePixelRatioF())


class PhotoTile(QAbstractButton):
    """A photo with its caption (if any) under it; pressed (click, Enter or Space) it opens full
    size. Its text is the caption, its accessible name all it shows."""

    def __init__(self, info: PhotoInfo, caption: str, picture: QSize, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self._picture = _Picture()
        self._room = picture
        self.setText(caption)
        self.setAccessibleName(photo_words(info))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)  # a strip lets it grow
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(f"{photo_words(info)}. Press to see it full size.")

    def show_jpeg(self, jpeg: bytes | None) -> None:
        image = decoded(jpeg) if jpeg is not None else None
        self.show_image(image, unreadable=jpeg is not None and image is None)

    def show_image(self, image: QImage | None, unreadable: bool = False) -> None:
        self._picture.set(image, unreadable)
        words = photo_words(self.info)
        self.setAccessibleName(f"{words}: {NOT_SHOWN}" if unreadable else words)
        self.update()

    def has_picture(self) -> bool:
        return self._picture.image is not None

    def forget(self) -> None:
        self._picture.set(None)
        self.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        """Enter opens it too, as Space does (a button's own key)."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            self.click()
            return
        super().keyPressEvent(event)

    def _caption_height(self) -> int:
        return 2 * self.fontMetrics().lineSpacing() if self.text() else 0

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(self._room.width() + 8, self._room.height() + self._caption_height() + 12)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return self.sizeHint()

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        palette = self.palette()
        caption_height = self._caption_height()
        room = self.rect().adjusted(4, 4, -4, -caption_height - 8)
        if self._picture.image is None:  # the room it will fill, or why it will not
            painter.fillRect(room, palette.color(QPalette.ColorRole.Midlight))
        if self._picture.unreadable:
            painter.drawText(room, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, "Cannot be shown")
        else:
            self._picture.paint(painter, room, self.devicePixelRatioF())
        caption = QRect(4, room.bottom() + 4, self.width() - 8, caption_height)
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        painter.drawText(caption, Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap, self.text())
        if self.hasFocus():
            option = QStyleOptionFocusRect()
            option.initFrom(self)
            option.rect = self.rect().adjusted(1, 1, -1, -1)
            self.style().drawPrimitive(QStyle.PrimitiveElement.PE_FrameFocusRect, option, painter, self)


def _stage_order(stage: PhotoStage) -> int:
    return 0 if stage is PhotoStage.BEFORE else 1


class PhotoGrid(QWidget):
    """A patient's (or a session's) photos: Front, Left side and Right side as columns; a row for
    each session's before and after photos that has any. `photo_chosen(info)`: a tile was pressed."""

    photo_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setHorizontalSpacing(8)
        self._layout.setVerticalSpacing(4)
        self.tiles: list[PhotoTile] = []

    def show_photos(self, photos: Iterable[PhotoInfo], thumbnails: dict[int, bytes]) -> None:
        """Lay out `photos`, each painted from its thumbnail's JPEG bytes."""
        self.forget()
        rows: dict[tuple[int, PhotoStage], dict[PhotoView, list[PhotoInfo]]] = {}
        for info in sorted(photos, key=lambda p: (p.session_number, _stage_order(p.stage), p.id)):
            rows.setdefault((info.session_number, info.stage), {}).setdefault(info.view, []).append(info)
        if not rows:
            return
        with _built_hidden(self):
            self._lay_out(rows, thumbnails)

    def _lay_out(
        self,
        rows: dict[tuple[int, PhotoStage], dict[PhotoView, list[PhotoInfo]]],
        thumbnails: dict[int, bytes],
    ) -> None:
        views = list(PhotoView)
        for column, view in enumerate(views, start=1):
            heading = QLabel(view.label, self)
            heading.setObjectName("photoHeading")
            heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self._layout.addWidget(heading, 0, column)
        for row, ((_number, stage), by_view) in enumerate(rows.items(), start=1):
            first = next(iter(by_view.values()))[0]
            heading = QLabel(f"{session_words(first)}\n{stage.label}", self)
            heading.setObjectName("photoHeading")
            heading.setAccessibleName(f"{session_words(first)}, {stage.label.lower()}")
            self._layout.addWidget(heading, row, 0)
            for column, view in enumerate(views, start=1):
                self._layout.addLayout(self._cell(by_view.get(view, []), thumbnails), row, column)
        self._layout.setColumnStretch(len(views) + 1, 1)  # packed to the top left: the room left is below
        self._layout.setRowStretch(len(rows) + 1, 1)

    def _cell(self, photos: list[PhotoInfo], thumbnails: dict[int, bytes]) -> QHBoxLayout:
        cell = QHBoxLayout()
        cell.setSpacing(4)
        if not photos:
            empty = QLabel("No photo", self)
            empty.setObjectName("history")
            empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
            cell.addWidget(empty)
        for info in photos:
            tile = PhotoTile(info, "", TILE_PICTURE, self)  # its row and column say what it is
            tile.show_jpeg(thumbnails.get(info.id))
            tile.clicked.connect(lambda _checked=False, chosen=info: self.photo_chosen.emit(chosen))
            self.tiles.append(tile)
            cell.addWidget(tile)
        return cell

    def forget(self) -> None:
        """Every tile and heading out of the grid at once, their pictures dropped first."""
        for tile in self.tiles:
            tile.forget()
        self.tiles = []
        _empty(self._layout)
        for row in range(self._layout.rowCount()):
            self._layout.setRowStretch(row, 0)


class CourseStrip(QWidget):
    """One view at one stage across the course, side by side in session order, each labelled with
    its session's number and date: the patient's progress seen, not read."""

    photo_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self.tiles: list[PhotoTile] = []

    def show_photos(self, photos: Iterable[tuple[PhotoInfo, QImage | None]]) -> None:
        """`photos` in the order to show them (the course's), each with its decoded picture."""
        self.forget()
        with _built_hidden(self):
            self._lay_out(photos)

    def _lay_out(self, photos: Iterable[tuple[PhotoInfo, QImage | None]]) -> None:
        for info, image in photos:
            tile = PhotoTile(info, session_words(info), STRIP_PICTURE, self)
            tile.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            tile.show_image(image, unreadable=image is None)
            tile.clicked.connect(lambda _checked=False, chosen=info: self.photo_chosen.emit(chosen))
            self.tiles.append(tile)
            self._row.addWidget(tile, 1)

    def forget(self) -> None:
        for tile in self.tiles:
            tile.forget()
        self.tiles = []
        _empty(self._row)


@contextmanager
def _built_hidden(widget: QWidget) -> Iterator[None]:
    """Fill `widget` hidden, then show it with all it holds at once: shown one by one into a widget
    on screen, 36 photos cost a layout each (50 ms), and left to Qt they would show a turn later."""
    shown = not widget.isHidden()
    widget.hide()
    try:
        yield
    finally:
        widget.setVisible(shown)


def _empty(layout: QGridLayout | QHBoxLayout) -> None:
    """Take every widget and inner layout out of `layout` now (not at Qt's next deferred delete)."""
    while layout.count():
        item = layout.takeAt(0)
        assert item is not None  # count() said there was one
        if (widget := item.widget()) is not None:
            widget.setParent(None)
            widget.deleteLater()
        elif (inner := item.layout()) is not None:
            _empty(inner)  # type: ignore[arg-type]  # a cell: widgets only
            inner.deleteLater()


def forget_photos(root: QWidget) -> None:
    """Drop the picture of every photo shown under `root` (a dialog closing, the screen locking)."""
    for tile in root.findChildren(PhotoTile):
        tile.forget()
    for picture in root.findChildren(PhotoPicture):
        picture.forget()
