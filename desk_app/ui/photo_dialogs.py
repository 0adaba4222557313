"""The photos' dialogs (issue 21): one photo full size, one view across the course side by side, a
session's photos, and the import from a folder (a camera card, a phone's synced folder).

Opening photos is audited: every read of their pixels goes through `desk.photos.open_thumbnails`
or `open_photo` on the database worker, which writes the audit row. Decoding happens on the photos'
thread (ui.photo_work), never on the window's. Every dialog here drops its pictures as it closes,
and the lock closes them all (MainWindow._close_dialogs rejects every dialog shown): no photo's
pixels stay on a locked screen."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import shiboken6
from PySide6.QtCore import QSize, QStandardPaths, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.errors import ActionRefused, DomainError, ValidationError
from desk_app.domain.photos import PhotoFileRefused, PhotoInfo, PhotoStage, PhotoView, across_the_course
from desk_app.ui.context import DeskContext
from desk_app.ui.form_dialog import SCREEN_MARGIN, DeskDialog
from desk_app.ui.formatting import local_date_time
from desk_app.ui.photo_files import (
    MAX_PIXELS,
    PreparedPhoto,
    camera_folders,
    fitted,
    photos_in_folder,
    prepare_photo,
    read_photo_file,
    reading,
)
from desk_app.ui.photo_widgets import (
    CourseStrip,
    PhotoGrid,
    PhotoPicture,
    decoded,
    forget_photos,
    photo_words,
)
from desk_app.ui.photo_work import photo_work
from desk_app.ui.saving import Saving
from desk_app.ui.tab_order import tab_in_reading_order
from desk_app.ui.widgets import Tone, message_label, show_message, still_shown

log = logging.getLogger(__name__)

R = TypeVar("R")

COMPARED_SIDE = 1280  # a photo compared across the course is kept at most this big: six fit in memory
NEWEST_LISTED = 48  # a card holds hundreds; a day's clinic, read at its end, some dozens
PREVIEW = QSize(120, 90)
NOT_IMPORTED = "Not imported"


def keep_on_screen(dialog: QDialog) -> None:
    """Centred on its window and wholly on the screen: grown after it was placed (a folder
    listed), it would hang off a small screen's foot, its buttons out of reach."""
    room = dialog.screen().availableGeometry()
    frame = dialog.frameGeometry()
    parent = dialog.parentWidget()
    frame.moveCenter(parent.window().frameGeometry().center() if parent is not None else room.center())
    frame.moveLeft(max(room.left(), min(frame.left(), room.right() - frame.width())))
    frame.moveTop(max(room.top(), min(frame.top(), room.bottom() - frame.height())))
    dialog.move(frame.topLeft())


class PhotoDialog(QDialog):
    """What the photo dialogs share: a parent, modal, deleted once closed, and every picture in it
    dropped as it closes, however it closes (Close, Esc, the lock's reject())."""

    def __init__(self, parent: QWidget, context: DeskContext, title: str) -> None:
        super().__init__(parent)
        self.context = context
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(title)
        self.setModal(True)
        self.column = QVBoxLayout(self)
        self.message = message_label(self)
        self._asked = 0  # reads asked: an answer to an earlier one is not shown

    def add_close(self, *more: QPushButton) -> None:
        """The message and the row of buttons at the foot, Close last."""
        self.column.addWidget(self.message)
        row = QHBoxLayout()
        for button in more:
            row.addWidget(button)
        row.addStretch(1)
        close = QPushButton("Close", self)
        close.clicked.connect(self.reject)
        row.addWidget(close)
        self.column.addLayout(row)
        for button in (*more, close):
            button.setMinimumHeight(44)

    def done(self, result: int) -> None:
        forget_photos(self)
        super().done(result)

    def shown(self) -> bool:
        """Still on screen: an answer for a dialog closed meanwhile (by the lock) is dropped."""
        return still_shown(self)

    def fit_to_screen(self, wanted: QSize) -> None:
        room = self.screen().availableGeometry().size() - SCREEN_MARGIN
        self.resize(wanted.boundedTo(room))
        keep_on_screen(self)

    def read(self, call: Callable[[], R], then: Callable[[R], None]) -> None:
        """`call` on the database worker, `then(answer)` if this dialog still shows and asked
        nothing since; a refusal is said on the dialog."""
        self._asked += 1
        self.context.worker.submit(call, *self._answers(then))

    def decode(self, work: Callable[[], R], then: Callable[[R], None]) -> None:
        """`work` (a read's answer decoded) on the photos' thread, then as read() does."""
        photo_work().submit(work, *self._answers(then))

    def _answers(
        self, then: Callable[[R], None]
    ) -> tuple[Callable[[R], None], Callable[[DomainError], None]]:
        """What to do with the answer to the read asked last, and with a refusal: nothing once the
        dialog has closed or asked again."""
        number = self._asked

        def answered(result: R) -> None:
            if self.shown() and number == self._asked:
                then(result)

        def failed(error: DomainError) -> None:
            if self.shown() and number == self._asked:
                show_message(self.message, str(error))

        return answered, failed

    def staff_id(self) -> int | None:
        staff = self.context.current_staff()
        return staff.id if staff is not None else None


class PhotoViewer(PhotoDialog):
    """One photo as big as the screen allows, with what it is and where it came from."""

    def __init__(self, parent: QWidget, context: DeskContext, info: PhotoInfo) -> None:
        words = photo_words(info)
        super().__init__(parent, context, f"Photo: {words}")
        title = QLabel(words, self)
        title.setObjectName("pausePointTitle")
        self.column.addWidget(title)
        details = QLabel(
            f"Imported {local_date_time(info.imported_at)} by {info.imported_by_name}, "
            f"from {info.source_name} ({info.width} × {info.height})",
            self,
        )
        details.setObjectName("history")
        details.setWordWrap(True)
        self.column.addWidget(details)
        self.picture = PhotoPicture(self)
        self.column.addWidget(self.picture, 1)
        self.add_close()
        show_message(self.message, "Opening the photo…", Tone.NOTE)
        self.fit_to_screen(QSize(1300, 900))
        self._open(info)

    def _open(self, info: PhotoInfo) -> None:
        if (staff_id := self.staff_id()) is None:
            return
        photos = self.context.desk.photos
        words = photo_words(info)

        def show(image: QImage | None) -> None:
            self.message.clear()
            self.picture.show_image(image, words)

        self.read(
            lambda: photos.open_photo(info.id, staff_id),
            lambda jpeg: self.decode(lambda: decoded(jpeg), show),
        )


def _compared(jpeg: bytes) -> QImage | None:
    """A photo decoded (on the photos' thread) and made no bigger than COMPARED_SIDE a side."""
    image = decoded(jpeg)
    return None if image is None else fitted(image, COMPARED_SIDE)


def open_viewer(parent: QWidget, context: DeskContext, info: PhotoInfo) -> None:
    PhotoViewer(parent, context, info).open()


class CourseComparison(PhotoDialog):
    """One view at one stage across the course, side by side in session order: the progress of the
    scars seen. The nurse chooses the view and the stage; each photo opens full size when pressed."""

    def __init__(self, parent: QWidget, context: DeskContext, about: str, photos: list[PhotoInfo]) -> None:
        super().__init__(parent, context, "Compare across the course")
        self.photos = photos
        heading = QLabel(about, self)
        heading.setObjectName("pausePointTitle")
        heading.setWordWrap(True)
        self.column.addWidget(heading)
        self.views = self._choice("View", [(view.label, view) for view in PhotoView])
        self.stages = self._choice("Stage", [(stage.label, stage) for stage in PhotoStage])
        # Sideways in a scroll area: a course of more photos than the screen has room for scrolls.
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.strip = CourseStrip(scroll)
        self.strip.photo_chosen.connect(lambda info: open_viewer(self, self.context, info))
        scroll.setWidget(self.strip)
        for plain in (scroll.viewport(), self.strip):  # the dialog's own background shows through
            plain.setAutoFillBackground(False)
        self.column.addWidget(scroll, 1)
        self.add_close()
        first = min(photos, key=lambda info: (info.session_number, info.id), default=None)
        self._check(self.views, first.view if first else PhotoView.FRONT)
        self._check(self.stages, first.stage if first else PhotoStage.BEFORE)
        self.views.buttonClicked.connect(self._show_chosen)
        self.stages.buttonClicked.connect(self._show_chosen)
        tab_in_reading_order(self)
        self.fit_to_screen(QSize(1320, 700))
        self._show_chosen()

    def _choice(self, what: str, options: list[tuple[str, object]]) -> QButtonGroup:
        row = QHBoxLayout()
        label = QLabel(f"{what}:", self)
        row.addWidget(label)
        group = QButtonGroup(self)
        for text, value in options:
            button = QRadioButton(text, self)
            button.setMinimumHeight(44)
            button.setProperty("choice", value)
            group.addButton(button)
            row.addWidget(button)
        row.addStretch(1)
        self.column.addLayout(row)
        return group

    @staticmethod
    def _check(group: QButtonGroup, value: object) -> None:
        for button in group.buttons():
            button.setChecked(button.property("choice") == value)

    @staticmethod
    def _chosen(group: QButtonGroup) -> str:
        """The value of the option chosen (a view's or a stage's, as Qt keeps it: a string)."""
        checked = group.checkedButton()
        assert checked is not None  # one is checked as the dialog opens, and stays so
        return str(checked.property("choice"))

    def _show_chosen(self) -> None:
        view, stage = PhotoView(self._chosen(self.views)), PhotoStage(self._chosen(self.stages))
        chosen = across_the_course(self.photos, view, stage)  # one a session, a retake the one shown
        self.strip.forget()
        if not chosen or (staff_id := self.staff_id()) is None:
            self._asked += 1  # an answer for the earlier choice is not shown
            show_message(
                self.message,
                f"No {view.label.lower()} photos {stage.label.lower()} a session yet.",
                Tone.NOTE,
            )
            return
        show_message(
            self.message, f"Opening {len(chosen)} photo{'' if len(chosen) == 1 else 's'}…", Tone.NOTE
        )
        photos = self.context.desk.photos

        def show(images: list[QImage | None]) -> None:
            self.message.clear()
            self.strip.show_photos(zip(chosen, images, strict=True))
            tab_in_reading_order(self)

        self.read(
            lambda: [photos.open_photo(info.id, staff_id) for info in chosen],
            lambda jpegs: self.decode(lambda: [_compared(jpeg) for jpeg in jpegs], show),
        )


class SessionPhotos(PhotoDialog):
    """A session's photos (shown as it opens: opening it is asking to see them) and Import…"""

    def __init__(self, parent: QWidget, context: DeskContext, session_id: int, about: str) -> None:
        super().__init__(parent, context, "Photos of this session")
        self.session_id, self.about = session_id, about
        heading = QLabel(about, self)
        heading.setObjectName("pausePointTitle")
        heading.setWordWrap(True)
        self.column.addWidget(heading)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.grid = PhotoGrid(scroll)
        self.grid.photo_chosen.connect(lambda info: open_viewer(self, self.context, info))
        scroll.setWidget(self.grid)
        for plain in (scroll.viewport(), self.grid):  # the dialog's own background shows through
            plain.setAutoFillBackground(False)
        self.column.addWidget(scroll, 1)
        self.import_button = QPushButton("Import…", self)
        self.import_button.clicked.connect(self._import)
        self.add_close(self.import_button)
        self.fit_to_screen(QSize(900, 620))
        self.show_photos()

    def show_photos(self) -> None:
        if (staff_id := self.staff_id()) is None:
            return
        photos, session_id = self.context.desk.photos, self.session_id
        show_message(self.message, "Reading the photos…", Tone.NOTE)

        def read() -> tuple[list[PhotoInfo], dict[int, bytes]]:
            infos = photos.photos_of_session(session_id)
            return infos, photos.open_thumbnails([info.id for info in infos], staff_id) if infos else {}

        def show(answer: tuple[list[PhotoInfo], dict[int, bytes]]) -> None:
            infos, thumbnails = answer
            self.grid.show_photos(infos, thumbnails)
            if infos:
                self.message.clear()
            else:
                show_message(self.message, "No photos of this session yet: Import… adds them.", Tone.NOTE)
            tab_in_reading_order(self)

        self.read(read, show)

    def _import(self) -> None:
        dialog = ImportPhotos(self, self.context, self.session_id, self.about)
        dialog.imported.connect(self.show_photos)
        dialog.open()


# --- the import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    """A photo in the chosen folder, as listed: its path, when it was last changed, a preview."""

    path: Path
    modified: datetime
    preview: QImage | None


def _preview(path: Path) -> QImage | None:
    """A small picture of `path` for the list, read safely (on the photos' thread): no link
    followed, nothing but a regular file opened (a FIFO would block the read for ever), nothing
    huge read. None when it cannot be shown: the import then says why."""
    try:
        data = read_photo_file(path, path.name)
    except PhotoFileRefused:
        return None
    with reading(data) as reader:
        size = reader.size()
        if not size.isValid() or size.width() * size.height() > MAX_PIXELS:
            return None  # no size said, or a picture no camera takes: the import says why
        # Decoded small at once (a JPEG decodes at 1/8 for this): quick for 12 megapixels.
        reader.setScaledSize(size.scaled(PREVIEW * 2, Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()
    return None if image.isNull() else image


def _listed(folder: Path) -> tuple[list[_Found], int]:
    """The folder's newest photos with their previews, and how many it holds (photos' thread)."""
    paths = photos_in_folder(folder)
    found = []
    for path in paths[:NEWEST_LISTED]:
        try:
            modified = datetime.fromtimestamp(path.lstat().st_mtime, UTC)
        except OSError:
            continue  # gone since it was listed
        found.append(_Found(path, modified, _preview(path)))
    return found, len(paths)


class _PhotoRow:
    """One listed photo: its preview and name, the view and stage the nurse gives it, and what
    became of it."""

    def __init__(self, dialog: ImportPhotos, found: _Found) -> None:
        self.found = found
        name = found.path.name
        self.preview = QLabel(dialog)
        self.preview.setFixedSize(PREVIEW)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if found.preview is not None:
            self.preview.setPixmap(
                QPixmap.fromImage(
                    found.preview.scaled(
                        PREVIEW,
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
                )
            )
            self.preview.setAccessibleName(f"Preview of {name}")
        else:
            self.preview.setText("No preview")
        self.name = QLabel(f"{name}\n{local_date_time(found.modified)}", dialog)
        self.name.setAccessibleName(f"{name}, taken or copied {local_date_time(found.modified)}")
        self.view = QComboBox(dialog)
        self.view.addItem(NOT_IMPORTED, None)
        for view in PhotoView:
            self.view.addItem(view.label, view)
        self.view.setAccessibleName(f"View of {name}")
        self.stage = QComboBox(dialog)
        for stage in PhotoStage:
            self.stage.addItem(stage.label, stage)
        self.stage.setAccessibleName(f"Stage of {name}")
        for combo in (self.view, self.stage):
            combo.setMinimumHeight(44)
        self.outcome = message_label(dialog, visible=False)  # shown with what became of the photo
        self.prepared: PreparedPhoto | None = None

    def show(self) -> None:
        """Shown at once, the dialog being on screen already (Qt would show them a turn later)."""
        for widget in (self.preview, self.name, self.view, self.stage):
            widget.show()

    def chosen(self) -> tuple[PhotoView, PhotoStage] | None:
        view = self.view.currentData()
        return (view, self.stage.currentData()) if view is not None else None

    def say(self, text: str, tone: Tone = Tone.ERROR) -> None:
        """What became of the photo: why it was refused, or that it was imported ("" once it is
        tried again)."""
        show_message(self.outcome, text, tone)
        self.outcome.setVisible(bool(text))
        self.outcome.setAccessibleName(f"{self.found.path.name}: {text}" if text else "")

    def imported(self) -> None:
        """Stored: said, and left out of the next Import (which would store it twice)."""
        self.say("Imported.", Tone.DONE)
        self.view.setCurrentIndex(0)  # Not imported
        for combo in (self.view, self.stage):
            combo.setEnabled(False)

    def forget(self) -> None:
        self.preview.clear()
        self.prepared = None


class _PartlyStored(DomainError):
    """Some of the photos were stored, others refused (each for its own reason)."""

    def __init__(self, stored: list[int], refusals: dict[int, DomainError]) -> None:
        refused = len(refusals)
        super().__init__(
            f"{refused} photo{' was' if refused == 1 else 's were'} not stored (said beside each)"
            + (f"; {len(stored)} imported." if stored else ".")
        )
        self.stored, self.refusals = stored, refusals


class ImportPhotos(DeskDialog):
    """Photos from a folder into the session: the nurse chooses the folder (a camera card first,
    where one is plugged in), sees its newest photos, gives each she wants a view and a stage, and
    imports. Each is checked and prepared on the photos' thread (orientation, no location data,
    a thumbnail): a file refused there says why and nothing is stored. Then each is stored on the
    database worker in a transaction of its own: one the store refuses (stored already, no consent
    to photos) says why beside it, and the others are kept."""

    imported = Signal()

    def __init__(self, parent: QWidget, context: DeskContext, session_id: int, about: str) -> None:
        super().__init__(parent, "Import photos", ok_text="Import")
        self.context = context
        self.session_id = session_id
        self.rows: list[_PhotoRow] = []
        self._listing = 0  # folders asked to be listed: only the last one's photos are shown
        intro = QLabel(
            f"{about}. Choose the camera card or the folder the photos are in, then the view and stage "
            "of each photo to import. Location and camera data are removed as they are imported.",
            self,
        )
        intro.setWordWrap(True)
        self.column.addWidget(intro)
        self.cameras = QHBoxLayout()
        self.column.addLayout(self.cameras)
        folder_row = QHBoxLayout()
        folder_label = QLabel("Folder:", self)
        self.folder = QLineEdit(self)
        self.folder.setAccessibleName("Folder")
        self.folder.setMinimumHeight(40)
        self.folder.setMinimumWidth(360)
        folder_label.setBuddy(self.folder)
        self.folder.returnPressed.connect(self.list_folder)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        show = QPushButton("Show photos", self)
        show.clicked.connect(self.list_folder)
        for widget in (folder_label, self.folder, browse, show):
            folder_row.addWidget(widget, 1 if widget is self.folder else 0)
        self.column.addLayout(folder_row)
        self.listed = message_label(self, "history")
        self.column.addWidget(self.listed)
        self.table = QGridLayout()
        self.column.addLayout(self.table)
        self.column.addStretch(1)
        self.ok_button.setDefault(False)  # Enter in the folder lists it; Import is pressed
        self.ok_button.setAutoDefault(False)
        self.setMinimumWidth(900)
        photo_work().submit(camera_folders, self._offer_cameras, lambda _error: None)

    def _offer_cameras(self, folders: list[Path]) -> None:
        """A camera card or a camera as a drive, offered first: a button each, the first listed."""
        if not still_shown(self):
            return
        for folder in folders:
            button = QPushButton(f"Camera card: {folder}", self)
            button.setMinimumHeight(44)
            button.clicked.connect(lambda _checked=False, chosen=folder: self._use(chosen))
            self.cameras.addWidget(button)
            button.show()  # at once: the dialog is on screen already
        self.cameras.addStretch(1)
        if folders and not self.folder.text():
            self._use(folders[0])
        tab_in_reading_order(self)

    def _use(self, folder: Path | str) -> None:
        self.folder.setText(str(folder))
        self.list_folder()

    def _browse(self) -> None:
        start = self.folder.text() or QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.PicturesLocation
        )
        # Qt's own dialog, not the system's: the same on every PC, and it never blocks the window.
        chooser = QFileDialog(self, "Choose the photos' folder", start)
        chooser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        chooser.setFileMode(QFileDialog.FileMode.Directory)
        chooser.setOption(QFileDialog.Option.ShowDirsOnly)
        chooser.setOption(QFileDialog.Option.DontUseNativeDialog)
        chooser.fileSelected.connect(self._use)
        chooser.open()

    def list_folder(self) -> None:
        """The folder's newest photos, listed (read on the photos' thread: a slow card or a network
        folder does not freeze the window)."""
        text = self.folder.text().strip()
        if not text:
            show_message(self.listed, "Choose a folder first.")
            return
        self._listing += 1
        number, folder = self._listing, Path(text).expanduser()
        self._clear_rows()
        show_message(self.listed, "Reading the folder…", Tone.NOTE)

        def show(answer: tuple[list[_Found], int]) -> None:
            if self._still_listing(number):
                self._show_listed(*answer)

        def failed(error: DomainError) -> None:
            if self._still_listing(number):
                show_message(self.listed, str(error))

        photo_work().submit(lambda: _listed(folder), show, failed)

    def _still_listing(self, number: int) -> bool:
        return still_shown(self) and number == self._listing

    def _show_listed(self, found: list[_Found], total: int) -> None:
        if not found:
            show_message(self.listed, "No photos in this folder.", Tone.NOTE)
            return
        more = f"the {len(found)} newest of {total}" if total > len(found) else f"{total}"
        show_message(
            self.listed, f"Showing {more} photo{'' if total == 1 else 's'}, newest first.", Tone.NOTE
        )
        for headings, text in enumerate(("", "Photo", "View", "Stage")):
            if text:
                heading = QLabel(text, self)
                self.table.addWidget(heading, 0, headings)
                heading.show()
        for number, item in enumerate(found, start=1):
            row = _PhotoRow(self, item)
            line = 2 * number - 1
            self.table.addWidget(row.preview, line, 0)
            self.table.addWidget(row.name, line, 1)
            self.table.addWidget(row.view, line, 2)
            self.table.addWidget(row.stage, line, 3)
            self.table.addWidget(row.outcome, line + 1, 1, 1, 3)
            row.show()
            self.rows.append(row)
        self.table.setColumnStretch(1, 1)
        tab_in_reading_order(self)
        self.fit_to_screen()

    def _clear_rows(self) -> None:
        for row in self.rows:
            row.forget()
        self.rows = []
        while self.table.count():
            item = self.table.takeAt(0)
            assert item is not None  # count() said there was one
            if (widget := item.widget()) is not None:
                widget.setParent(None)
                widget.deleteLater()

    def _typed_texts(self) -> tuple[str, ...]:
        """What Cancel asks about before dropping: the views and stages given (not the folder)."""
        return tuple(f"{row.found.path.name}: {row.chosen()}" for row in self.rows if row.chosen())

    def _save(self) -> None:
        if self.saving:
            return
        chosen = [(row, assigned) for row in self.rows if (assigned := row.chosen()) is not None]
        if not chosen:
            self.refuse("Choose the view of at least one photo to import.")
            return
        for row in self.rows:
            row.say("")
        self._show_saving(True)
        self.ok_button.setText("Preparing…")
        paths = [row.found.path for row, _assigned in chosen]

        def prepare_each() -> list[PreparedPhoto | DomainError]:
            outcomes: list[PreparedPhoto | DomainError] = []
            for path in paths:
                try:
                    outcomes.append(prepare_photo(path))
                except DomainError as refusal:
                    outcomes.append(refusal)
            return outcomes

        def prepared(outcomes: list[PreparedPhoto | DomainError]) -> None:
            if not still_shown(self):
                return
            self._show_saving(False)
            refused = 0
            for (row, _assigned), outcome in zip(chosen, outcomes, strict=True):
                if isinstance(outcome, DomainError):
                    refused += 1
                    row.say(f"Refused: {outcome}")
                else:
                    row.prepared = outcome
            if refused:
                self.refuse(
                    f"{refused} photo{' was' if refused == 1 else 's were'} refused (said beside "
                    "each): nothing was imported. Set it to “Not imported” or choose another."
                )
                return
            if (staff := self.context.current_staff()) is not None:
                self.answer(self._store(chosen, staff.id))

        def not_prepared(error: DomainError) -> None:
            if still_shown(self):
                self._show_saving(False)
                self.refuse(str(error))

        photo_work().submit(prepare_each, prepared, not_prepared)

    def _store(
        self, chosen: list[tuple[_PhotoRow, tuple[PhotoView, PhotoStage]]], staff_id: int
    ) -> Saving[list[PhotoInfo]]:
        """The prepared photos stored on the database worker, in the order listed."""
        photos, session_id = self.context.desk.photos, self.session_id
        ready = [(row.prepared, view, stage) for row, (view, stage) in chosen if row.prepared is not None]

        def store() -> list[PhotoInfo]:
            """Each photo in a transaction of its own: one refused (stored already, say) is said
            beside it, and the others are kept."""
            stored: list[PhotoInfo] = []
            done: list[int] = []
            refusals: dict[int, DomainError] = {}
            for index, (photo, view, stage) in enumerate(ready):
                try:
                    stored.append(
                        photos.add(
                            session_id,
                            view,
                            stage,
                            photo.jpeg,
                            photo.thumbnail,
                            photo.width,
                            photo.height,
                            photo.source_name,
                            staff_id,
                        )
                    )
                    done.append(index)
                except (ActionRefused, ValidationError) as refusal:  # the photo's; the store's own go up
                    refusals[index] = refusal
            if refusals:
                raise _PartlyStored(done, refusals)
            return stored

        def stored(_infos: list[PhotoInfo]) -> None:
            if shiboken6.isValid(self):  # closed by the lock meanwhile: the pages read again anyway
                self.imported.emit()

        def partly(error: DomainError) -> str:
            """Said beside each photo what became of it; the dialog stays open with the refused."""
            if isinstance(error, _PartlyStored):
                rows = [row for row, _assigned in chosen if row.prepared is not None]
                for index in error.stored:
                    rows[index].imported()
                for index, refusal in error.refusals.items():
                    rows[index].say(f"Not stored: {refusal}")
                if error.stored:
                    self.imported.emit()
            return str(error)

        saving = Saving(self.context.worker, store, stored, unseen=self.context.signals.not_saved.emit)
        return saving.refused_with(partly)

    def fit_to_screen(self) -> None:
        super().fit_to_screen()
        keep_on_screen(self)

    def done(self, result: int) -> None:
        self._clear_rows()
        super().done(result)
