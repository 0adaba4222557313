"""The patient reads the consent form on screen, answers the photo question and signs; the nurse
witnesses with their PIN. Saved in one go by the store (desk.consents.sign), which checks the PIN.

Bad input (no signature, a dot for one, no answer about photos, no PIN, a wrong PIN) is said in the
dialog and changes nothing. Refusing photos does not stop the treatment: it is its own answer.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.consent import ConsentForm, Signature, SignedConsent
from desk_app.domain.credentials import PIN_DIGITS
from desk_app.domain.errors import DomainError
from desk_app.domain.people import Staff
from desk_app.ui.context import DeskContext
from desk_app.ui.form_dialog import DeskDialog
from desk_app.ui.pin_change import with_pin_change
from desk_app.ui.saving import Answer, ReadFirst, Saving
from desk_app.ui.signature_pad import SignaturePad
from desk_app.ui.widgets import show_message

PHOTOS_AGREED = "I agree to clinical photos"
PHOTOS_REFUSED = "I do not agree to photos"
NO_PHOTO_ANSWER = "Answer the question about clinical photos: the patient agrees or does not."
NOT_SIGNED = "The patient has not signed: ask them to sign in the box."
NO_PIN = "Type your PIN to witness the signature."

# The form's text column: some 55 characters a line at the desk's font, and tall enough to read
# a paragraph at a time on a 1366x768 screen.
TEXT_MIN_WIDTH = 480
TEXT_MIN_HEIGHT = 300


class ConsentDialog(DeskDialog):
    """One consent signed for `patient_id` (during `session_id`'s sign-in, or from the patient's
    page with none), witnessed by the member of staff at the desk."""

    signed = Signal(object)
    """The SignedConsent the store committed."""

    def __init__(
        self,
        parent: QWidget,
        context: DeskContext,
        witness: Staff,
        form: ConsentForm,
        patient_id: int,
        patient_name: str,
        session_id: int | None,
    ) -> None:
        super().__init__(parent, f"Consent: {patient_name}", ok_text="Save signed consent")
        self._context, self._witness, self._form = context, witness, form
        self._patient_id, self._session_id = patient_id, session_id
        columns = QHBoxLayout()
        columns.addLayout(self._form_column(form, patient_name), 1)
        columns.addLayout(self._answer_column(form, witness))
        self.column.addLayout(columns, 1)
        self.text.setFocus()

    def _form_column(self, form: ConsentForm, patient_name: str) -> QVBoxLayout:
        column = QVBoxLayout()
        title = QLabel(form.title, self)
        title.setObjectName("consentTitle")
        title.setWordWrap(True)
        column.addWidget(title)
        version = QLabel(f"Form version {form.version} · {patient_name}", self)
        version.setWordWrap(True)
        column.addWidget(version)
        self.text = QTextBrowser(self)
        self.text.setObjectName("consentText")
        self.text.setPlainText("\n\n".join(form.paragraphs))
        self.text.setAccessibleName(f"{form.title}, version {form.version}")
        self.text.setTabChangesFocus(True)
        self.text.setMinimumSize(TEXT_MIN_WIDTH, TEXT_MIN_HEIGHT)
        column.addWidget(self.text, 1)
        return column

    def _answer_column(self, form: ConsentForm, witness: Staff) -> QVBoxLayout:
        column = QVBoxLayout()
        photos = QGroupBox("Clinical photos", self)
        photo_rows = QVBoxLayout(photos)
        question = QLabel(f"{form.photo_question} You may say no and still have the treatment.", photos)
        question.setWordWrap(True)
        photo_rows.addWidget(question)
        self.photo_answer = QButtonGroup(self)
        self.agree = QRadioButton(PHOTOS_AGREED, photos)
        self.refuse_photos = QRadioButton(PHOTOS_REFUSED, photos)
        for button in (self.agree, self.refuse_photos):
            self.photo_answer.addButton(button)
            photo_rows.addWidget(button)
        column.addWidget(photos)
        caption = QLabel("The patient signs here:", self)
        column.addWidget(caption)
        self.pad = SignaturePad(self)
        column.addWidget(self.pad)
        witness_row = QHBoxLayout()
        pin_caption = QLabel(f"Witnessed by {witness.name}. Your PIN:", self)
        pin_caption.setWordWrap(True)
        self.pin = QLineEdit(self)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(PIN_DIGITS[1])
        self.pin.setMinimumHeight(40)
        self.pin.setAccessibleName(f"{witness.name}'s PIN, as witness")
        pin_caption.setBuddy(self.pin)
        witness_row.addWidget(pin_caption, 1)
        witness_row.addWidget(self.pin)
        column.addLayout(witness_row)
        column.addStretch(1)
        return column

    def photos_allowed(self) -> bool | None:
        """The patient's answer about photos; None until they have given one."""
        if self.agree.isChecked():
            return True
        if self.refuse_photos.isChecked():
            return False
        return None

    def _typed_texts(self) -> tuple[str, ...]:
        """A signature and an answer count as typed: Cancel asks before they are thrown away."""
        return (*super()._typed_texts(), repr(self.pad.strokes()), repr(self.photos_allowed()))

    def _show_saving(self, saving: bool) -> None:
        """Nothing is answered or signed again while what was given is saving."""
        super()._show_saving(saving)
        for control in (self.pad, self.agree, self.refuse_photos, self.pin):
            control.setEnabled(not saving)

    def _save(self) -> None:
        if not self.saving:  # Enter pressed again while saving asks nothing more
            self.answer(self.save())

    def save(self) -> Answer:
        """The answers checked here first (nothing is sent with one missing); the PIN is cleared
        once read, as every PIN is."""
        pin = self.pin.text()
        self.pin.clear()
        photos = self.photos_allowed()
        if photos is None:
            return NO_PHOTO_ANSWER
        if not self.pad.is_signed():
            return NOT_SIGNED
        width, height = self.pad.size_in_pixels()
        try:
            signature = Signature(self.pad.strokes(), width, height)
        except DomainError as error:  # a dot, or too small to be a signature
            return str(error)
        if not pin:
            return NO_PIN
        return with_pin_change(
            self,
            self._context.desk,
            {self._witness.id: pin},
            lambda typed: self._sign(signature, photos, typed),
        )

    def _sign(self, signature: Signature, photos: bool, pins: dict[int, str]) -> Saving[SignedConsent]:
        desk, witness = self._context.desk, self._witness
        patient_id, session_id, version = self._patient_id, self._session_id, self._form.version
        return Saving(
            self._context.worker,
            lambda: desk.consents.sign(
                patient_id, session_id, version, signature, photos, witness.id, pins[witness.id]
            ),
            self._signed,
            unseen=self._context.signals.not_saved.emit,  # refused once the lock closed the dialog
        )

    def _signed(self, consent: SignedConsent) -> None:
        """Said by the dialog while it exists; closed meanwhile (the lock, a switch of staff), the
        consent is saved all the same and the session page reads it when it next opens."""
        if shiboken6.isValid(self):
            self.signed.emit(consent)


NO_WITNESS = "Choose who you are first: you witness the signature."


def ask_to_sign(
    parent: QWidget,
    context: DeskContext,
    reading: ReadFirst,
    message: QLabel,
    patient: tuple[int, str],
    session_id: int | None,
    still_wanted: Callable[[], bool],
    signed: Callable[[SignedConsent], None],
) -> None:
    """The form as it stands now, read first; then the dialog, witnessed by whoever is at the desk
    (the session page's consent item and the patient page's consents both ask this way)."""
    staff = context.current_staff()
    if staff is None:
        show_message(message, NO_WITNESS)
        return
    patient_id, patient_name = patient

    def open_form(form: ConsentForm) -> None:
        dialog = ConsentDialog(parent, context, staff, form, patient_id, patient_name, session_id)
        dialog.signed.connect(signed)
        dialog.open()

    reading(
        context.desk.consents.current_form,
        open_form,
        lambda error: show_message(message, str(error)),
        lambda: still_wanted() and context.current_staff() == staff,
    )
