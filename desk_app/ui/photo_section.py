"""The patient page's photos (issue 21): nothing of them shows until the nurse presses "Show photos"
(the look is audited: desk.photos.open_thumbnails writes who saw which), then the grid of the
course's photos and "Compare across the course…". "Hide photos", another patient or the lock
takes them off the page again."""

from __future__ import annotations

from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desk_app.domain.errors import DomainError
from desk_app.domain.photos import PhotoInfo
from desk_app.ui.context import DeskContext
from desk_app.ui.forgetting import drop_dialogs
from desk_app.ui.photo_widgets import PhotoGrid
from desk_app.ui.saving_button import submit_from
from desk_app.ui.widgets import Tone, message_label, show_message

SHOW = "Show photos"
HIDE = "Hide photos"
HIDDEN_NOTE = "Photos are shown only when you ask; who opens them is recorded."


class PhotoSection(QGroupBox):
    """Photos, Show photos; once shown the grid, Hide photos and Compare across the course…"""

    def __init__(self, context: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__("Photos", parent)
        self.context = context
        self.patient_id: int | None = None
        self.about = ""  # the patient's name, heading the comparison
        self.photos: list[PhotoInfo] = []
        column = QVBoxLayout(self)
        self.note = QLabel(HIDDEN_NOTE, self)
        self.note.setObjectName("history")
        self.note.setWordWrap(True)
        column.addWidget(self.note)
        buttons = QHBoxLayout()  # above the grid: a course's 36 photos push what is below far down
        self.show_button = QPushButton(SHOW, self)
        self.show_button.clicked.connect(self._show_or_hide)
        self.compare_button = QPushButton("Compare across the course…", self)
        self.compare_button.clicked.connect(self._compare)
        self.compare_button.setVisible(False)
        for button in (self.show_button, self.compare_button):
            button.setMinimumHeight(44)
            buttons.addWidget(button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        self.message = message_label(self)
        column.addWidget(self.message)
        self.grid = PhotoGrid(self)
        self.grid.photo_chosen.connect(self._view)
        column.addWidget(self.grid)

    def show_patient(self, patient_id: int, about: str) -> None:
        """The page shows this patient (opened, or read again): another one's photos leave first."""
        if patient_id != self.patient_id:
            self.forget()
        self.patient_id, self.about = patient_id, about

    def forget(self) -> None:
        """No photo on the page any more (another patient, the lock): Show photos asks again."""
        drop_dialogs(self)
        self.grid.forget()
        self.photos, self.patient_id = [], None
        self.show_button.setText(SHOW)
        self.compare_button.setVisible(False)
        self.note.setText(HIDDEN_NOTE)
        self.message.clear()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt's name)
        """The nurse leaves the page (the board, another page): the photos go with it, and coming
        back shows them only when she asks again. A minimised window (spontaneous) keeps them."""
        super().hideEvent(event)
        if not event.spontaneous():
            self._hide_photos()

    def _hide_photos(self) -> None:
        patient_id, about = self.patient_id, self.about
        self.forget()
        if patient_id is not None:
            self.show_patient(patient_id, about)

    def _show_or_hide(self) -> None:
        if self.photos or self.grid.tiles:
            self._hide_photos()
            return
        staff = self.context.current_staff()
        if staff is None or (patient_id := self.patient_id) is None:
            return
        photos = self.context.desk.photos

        def read() -> tuple[list[PhotoInfo], dict[int, bytes]]:
            infos = photos.photos_of_patient(patient_id)
            return infos, photos.open_thumbnails([info.id for info in infos], staff.id) if infos else {}

        def shown(answer: tuple[list[PhotoInfo], dict[int, bytes]]) -> None:
            if self.patient_id != patient_id:  # another patient, or the lock, meanwhile
                return
            infos, thumbnails = answer
            if not infos:
                show_message(self.message, "No photos of this patient yet.", Tone.NOTE)
                return
            self.photos = infos
            self.grid.show_photos(infos, thumbnails)
            sessions = len({info.session_id for info in infos})
            self.note.setText(
                f"{len(infos)} photo{'' if len(infos) == 1 else 's'} from {sessions} "
                f"session{'' if sessions == 1 else 's'}. Press a photo to see it full size."
            )
            self.show_button.setText(HIDE)
            self.compare_button.setVisible(True)
            self.message.clear()

        def failed(error: DomainError) -> None:
            if self.patient_id == patient_id:
                show_message(self.message, str(error))

        submit_from(self.show_button, self.context.worker, read, shown, failed, "Opening…")

    def _view(self, info: PhotoInfo) -> None:
        from desk_app.ui.photo_dialogs import open_viewer  # the dialogs load when first used

        open_viewer(self, self.context, info)

    def _compare(self) -> None:
        from desk_app.ui.photo_dialogs import CourseComparison

        if self.photos:
            CourseComparison(self, self.context, self.about, self.photos).open()
