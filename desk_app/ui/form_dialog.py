"""A small form in a dialog, with Save and Cancel, that stays open until what it saves is accepted."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from desk_app.ui.widgets import message_label


class FormDialog(QDialog):
    """Subclasses add rows with `line()` or `form.addRow()` and implement `save()`."""

    def __init__(self, parent: QWidget, title: str, intro: str = "", ok_text: str = "Save") -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one use each; none piles up
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        if intro:
            label = QLabel(intro, self)
            label.setWordWrap(True)
            layout.addWidget(label)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.error = message_label(self)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(self)
        buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def line(self, label: str, text: str = "", *, secret: bool = False) -> QLineEdit:
        editor = QLineEdit(text, self)
        editor.setAccessibleName(label)
        editor.setMinimumHeight(40)
        editor.setMinimumWidth(380)  # room for an address or a folder, and for the hints shown in it
        if secret:
            editor.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.addRow(label, editor)
        return editor

    def save(self) -> str | None:
        """Save what was typed; return None on success or the message to show."""
        raise NotImplementedError

    def _save(self) -> None:
        problem = self.save()
        if problem:
            self.error.setText(problem)
            self.adjustSize()  # a message of two lines must not squeeze the form's own text
            return
        self.accept()
