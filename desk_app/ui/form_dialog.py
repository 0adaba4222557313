"""The desk's dialogs: a small form with Save and Cancel that stays open until what it saves is
accepted; while the database saves it, the button says "Saving…" and the window goes on. Its content
scrolls on a small screen while the message and the buttons stay in view, Tab follows the reading
order, and Cancel (a click, Enter or Esc) never throws away typed text unasked."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.errors import DomainError
from desk_app.ui.saving import SAVING, Answer, Saving
from desk_app.ui.tab_order import tab_in_reading_order
from desk_app.ui.widgets import Tone, ask, message_label, show_message, still_shown

# Room left around a dialog on its screen (a title bar, a task bar).
SCREEN_MARGIN = QSize(40, 60)
DISCARD = "Discard what I typed"
KEEP = "Keep writing"


class _Body(QScrollArea):
    """The dialog's content: as big as it needs where the screen has room, scrolling where not."""

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        content = self.widget()
        assert content is not None  # FormDialog gives the body its content as it makes it
        frame = 2 * self.frameWidth()
        width = content.sizeHint().width() + self.verticalScrollBar().sizeHint().width() + frame
        height = content.heightForWidth(width) if content.hasHeightForWidth() else -1
        return QSize(width, (height if height > 0 else content.sizeHint().height()) + frame)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        widget = self.widget()
        assert widget is not None  # as in sizeHint
        content = widget.minimumSizeHint()
        width = content.width() + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()
        return QSize(width, min(content.height(), 120))


class DeskDialog(QDialog):
    """Subclasses fill `column` and implement `_save()`, which hands its outcome to `answer()`;
    `error` says why a save was refused."""

    def __init__(self, parent: QWidget, title: str, ok_text: str = "Save") -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one use each; none piles up
        self.setWindowTitle(title)
        self.setModal(True)
        layout = QVBoxLayout(self)
        self.body = _Body(self)
        self.body.setWidgetResizable(True)
        self.body.setFrameShape(QScrollArea.Shape.NoFrame)
        self.body.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the controls in it
        self.body.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        content = QWidget(self.body)
        self.column = QVBoxLayout(content)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.body.setWidget(content)
        for plain in (content, self.body.viewport()):  # the dialog's own background shows through
            plain.setAutoFillBackground(False)
        layout.addWidget(self.body, 1)
        self.error = message_label(self, visible=False)  # shown with a refusal (refuse)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(self)
        self.ok_button = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.setDefault(True)  # Enter in a field saves; on Cancel it cancels (and asks)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.cancel)
        layout.addWidget(self.buttons)
        self._texts_when_shown: tuple[str, ...] | None = None
        self._ok_text = ok_text
        self.saving = False  # a save is on the database worker: nothing more is asked meanwhile

    def _save(self) -> None:
        raise NotImplementedError

    def answer(self, answer: Answer) -> None:
        """Close on None; show a problem; or wait, without blocking the window, for a save."""
        if isinstance(answer, Saving):
            self._wait_for(answer)
        elif answer:
            self.refuse(answer)
        else:
            self.accept()

    def _wait_for(self, saving: Saving) -> None:
        """The button says "Saving…" and nothing else is asked until the commit returns: done is
        shown only then. Cancel cannot take back a save already sent, so it waits too; the lock may
        still close the dialog (reject), and then a refusal is said where the nurse will see it."""
        self._show_saving(True)
        title = self.windowTitle()  # said with a refusal that comes once the dialog is gone

        def shown() -> bool:
            return still_shown(self)

        def saved(result: object) -> None:
            saving.saved(result)
            if shown():
                self._show_saving(False)
                self.accept()

        def refused(error: DomainError) -> None:
            if not shown():  # closed by the lock: nothing more is asked here (a new PIN, say)
                saving.unseen(f"{title}: {error}")
                return
            words = saving.refused(error)
            self._show_saving(False)
            self.refuse(words)

        saving.worker.submit(saving.call, saved, refused, what=self.windowTitle())

    def _show_saving(self, saving: bool) -> None:
        self.saving = saving
        self.ok_button.setText(SAVING if saving else self._ok_text)
        self.ok_button.setEnabled(not saving)
        self.cancel_button.setEnabled(not saving)
        if saving:
            self.error.hide()  # an earlier refusal no longer stands

    def refuse(self, problem: str) -> None:
        """Say why the save was refused; the dialog grows, if the screen has room, to show it."""
        show_message(self.error, problem, Tone.ERROR)
        self.fit_to_screen()

    def fit_to_screen(self) -> None:
        """As big as the content asks, within the screen: beyond it the content scrolls."""
        room = self.screen().availableGeometry().size() - SCREEN_MARGIN
        layout = self.layout()
        assert layout is not None  # laid out as it was made
        self.body.updateGeometry()  # its wish is measured afresh: it changes as it is styled
        wanted = self.sizeHint().expandedTo(self.size())
        if layout.hasHeightForWidth():  # wrapped words: as tall as they are at the width it will have
            width = min(wanted.width(), room.width())
            wanted.setHeight(max(wanted.height(), layout.totalHeightForWidth(width)))
        self.resize(wanted.boundedTo(room).expandedTo(self.minimumSizeHint()))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._texts_when_shown is None:  # the first showing: laid out, filled in
            tab_in_reading_order(self)
            if not self.testAttribute(Qt.WidgetAttribute.WA_Resized):
                self.fit_to_screen()
                QTimer.singleShot(0, self, self.fit_to_screen)  # again once styled and laid out: it may grow
            self._texts_when_shown = self._typed_texts()

    def _typed_texts(self) -> tuple[str, ...]:
        """What the fields say (but PINs and passwords, which are typed again in a moment)."""
        notes = [editor.toPlainText() for editor in self.findChildren(QPlainTextEdit)]
        lines = self.findChildren(QLineEdit)
        return (*notes, *(line.text() for line in lines if line.echoMode() == QLineEdit.EchoMode.Normal))

    def cancel(self) -> None:
        """Cancel (clicked, or Enter on it, or Esc): close, but first ask when something was typed;
        keeping it is the default, so Enter pressed once too often loses nothing."""
        if self.saving:  # what was sent cannot be taken back: its answer is awaited
            return
        if self._texts_when_shown in (None, self._typed_texts()):
            self.reject()
            return
        ask(
            self,
            QMessageBox.Icon.Question,
            "Discard what you typed?",
            "What you typed here is not saved. Discard it and close?",
            DISCARD,
            KEEP,
            lambda discard: self.reject() if discard else None,
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() == Qt.Key.Key_Escape and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            self.cancel()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        """The title bar's close button (or Alt+F4) is a Cancel: it asks before dropping typed text.
        The app itself closes dialogs with reject() (the lock), which never asks: a question must
        not hold a lock up."""
        if self.saving:
            event.ignore()
            return
        if self._texts_when_shown not in (None, self._typed_texts()):
            event.ignore()
            self.cancel()
            return
        super().closeEvent(event)


class FormDialog(DeskDialog):
    """Subclasses add rows with `line()` or `form.addRow()` and implement `save()`."""

    def __init__(self, parent: QWidget, title: str, intro: str = "", ok_text: str = "Save") -> None:
        super().__init__(parent, title, ok_text)
        self.setMinimumWidth(520)
        if intro:
            label = QLabel(intro, self)
            label.setWordWrap(True)
            self.column.addWidget(label)
        self.form = QFormLayout()
        self.column.addLayout(self.form)
        self.column.addStretch(1)

    def line(self, label: str, text: str = "", *, secret: bool = False) -> QLineEdit:
        editor = QLineEdit(text, self)
        editor.setAccessibleName(label)
        editor.setMinimumHeight(40)
        # Room for an address or a folder, and for the hints shown in it; a longer text is shown
        # from its start (its end, shown by default, cut off a name's first letters).
        editor.setMinimumWidth(min(max(380, editor.fontMetrics().horizontalAdvance(text) + 24), 640))
        editor.setCursorPosition(0)
        if secret:
            editor.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.addRow(label, editor)
        return editor

    def save(self) -> Answer:
        """Save what was typed: None when done, the message to show, or a save to wait for."""
        raise NotImplementedError

    def _save(self) -> None:
        if not self.saving:  # Enter pressed again while saving asks nothing more
            self.answer(self.save())
