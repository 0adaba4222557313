"""The patient page's consents: each signed consent (when, which form, photos or not, who witnessed
it, in force or withdrawn), with Withdraw consent… and Print consent…, and Read and sign the consent…
outside a session (given again after a withdrawal, or on a new version of the form).

Read on the database worker whenever the page shows its patient; withdrawing is a recorded event
(the signed consent is never changed), with a reason, and the list is read again once it is saved.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desk_app.domain.clinic import DocumentKind
from desk_app.domain.consent import SignedConsent
from desk_app.domain.dates import shown_instant
from desk_app.domain.errors import DomainError
from desk_app.ui import tab_order
from desk_app.ui.consent_dialog import ask_to_sign
from desk_app.ui.context import DeskContext
from desk_app.ui.db_worker import LATER
from desk_app.ui.dialogs import ReasonDialog
from desk_app.ui.saving import Asked, ReadFirst, Saving
from desk_app.ui.widgets import Tone, message_label, show_message

NONE_SIGNED = "No consent signed on screen yet."


def consent_row_text(consent: SignedConsent) -> str:
    """One consent as the list shows it (and a screen reader hears it)."""
    photos = "yes" if consent.photos_allowed else "no"
    line = (
        f"Signed {shown_instant(consent.signed_at)} · form {consent.form_version} · photos: {photos} · "
        f"witnessed by {consent.witness_name}"
    )
    if consent.withdrawn_at is None:
        return f"{line} · In force"
    by = f" by {consent.withdrawn_by_name}" if consent.withdrawn_by_name else ""
    reason = f": {consent.withdrawal_reason}" if consent.withdrawal_reason else ""
    return f"{line} · WITHDRAWN {shown_instant(consent.withdrawn_at)}{by}{reason}"


class ConsentSection(QGroupBox):
    """The consents of the patient the page shows: read each time the page reads its patient
    (show_patient), forgotten on the lock (forget)."""

    def __init__(self, context: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__("Consents", parent)
        self._context = context
        self._patient_id: int | None = None
        self._asked = Asked()  # only the last read asked is shown
        self._reading_for_print = ReadFirst(context.worker)
        self._reading_form = ReadFirst(context.worker)
        self._patient_name = ""
        layout = QVBoxLayout(self)
        # Outside a session too: a consent withdrawn and given again, or the form's new version.
        self.sign_button = QPushButton("Read and sign the consent…", self)
        self.sign_button.setMinimumHeight(44)
        self.sign_button.clicked.connect(self._ask_signature)
        layout.addWidget(self.sign_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.rows = QVBoxLayout()
        layout.addLayout(self.rows)
        self.message = message_label(self, visible=False)
        layout.addWidget(self.message)

    # --- showing ---------------------------------------------------------------------------------

    def show_patient(self, patient_id: int, patient_name: str) -> None:
        """Read the patient's consents on the worker and list them."""
        if patient_id != self._patient_id:
            self.forget()
        self._patient_id, self._patient_name = patient_id, patient_name
        still, consents = self._asked.newest(), self._context.desk.consents

        def answered(found: list[SignedConsent]) -> None:
            if still() and shiboken6.isValid(self):
                self._list(found)

        def failed(error: DomainError) -> None:
            if still() and shiboken6.isValid(self):
                show_message(self.message, str(error))

        self._context.worker.submit(lambda: consents.consents_of(patient_id), answered, failed, LATER)

    def forget(self) -> None:
        """Locked, or another patient: nothing of this one stays in the section."""
        self._asked.move_on()
        self._patient_id, self._patient_name = None, ""
        self._clear_rows()
        self.message.clear()
        self.message.setVisible(False)

    def _clear_rows(self) -> None:
        while self.rows.count():
            item = self.rows.takeAt(0)
            assert item is not None  # below count()
            if (widget := item.widget()) is not None:
                widget.setParent(None)
                widget.deleteLater()

    def _list(self, consents: list[SignedConsent]) -> None:
        self._clear_rows()
        rows = [self._row(consent) for consent in consents] or [QLabel(NONE_SIGNED, self)]
        for row in rows:
            self.rows.addWidget(row)
            row.show()  # at once: the page is on screen already
        # Tab reaches each row's buttons after Sign, in the order shown (not last in the window, as
        # controls made after the page would be).
        tab_order.chain([self.sign_button, *(b for row in rows for b in row.findChildren(QPushButton))])

    def _row(self, consent: SignedConsent) -> QWidget:
        row = QWidget(self)
        row.setObjectName("consentRow")
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        text = QLabel(consent_row_text(consent), row)
        text.setObjectName("consentLine")
        text.setWordWrap(True)
        line.addWidget(text, 1)
        when = shown_instant(consent.signed_at)
        if consent.in_force:
            withdraw = QPushButton("Withdraw consent…", row)
            withdraw.setAccessibleName(f"Withdraw consent signed {when}")
            withdraw.setMinimumHeight(44)
            withdraw.clicked.connect(lambda: self._ask_withdrawal(consent))
            line.addWidget(withdraw)
        print_button = QPushButton("Print consent…", row)
        print_button.setAccessibleName(f"Print consent signed {when}")
        print_button.setMinimumHeight(44)
        print_button.clicked.connect(lambda: self._print(consent))
        line.addWidget(print_button)
        return row

    # --- actions ---------------------------------------------------------------------------------

    def _ask_signature(self) -> None:
        patient_id, name = self._patient_id, self._patient_name
        if patient_id is None:
            return
        ask_to_sign(
            self,
            self._context,
            self._reading_form,
            self.message,
            (patient_id, name),
            None,
            lambda: self._patient_id == patient_id,
            lambda _consent: self._changed(patient_id, "Consent signed."),
        )

    def _ask_withdrawal(self, consent: SignedConsent) -> None:
        staff = self._context.current_staff()
        if staff is None:
            show_message(self.message, "Choose who you are first.")
            return
        consents, patient_id = self._context.desk.consents, consent.patient_id

        def withdraw(reason: str) -> Saving[SignedConsent]:
            return Saving(
                self._context.worker,
                lambda: consents.withdraw(consent.id, reason, staff.id),
                lambda _withdrawn: self._changed(patient_id, "Consent withdrawn."),
                unseen=self._context.signals.not_saved.emit,
            )

        ReasonDialog(
            self,
            "Withdraw consent",
            f"The consent signed {shown_instant(consent.signed_at)} (form {consent.form_version}) stops "
            "covering treatment. It stays in the record, marked withdrawn with your name, the time and "
            "the reason. Why is it withdrawn?",
            withdraw,
            ok_text="Withdraw consent",
        ).open()

    def _changed(self, patient_id: int, done: str) -> None:
        """Signed or withdrawn: the list read again, if the page still shows the patient."""
        if self._patient_id == patient_id:
            self.show_patient(patient_id, self._patient_name)
            show_message(self.message, done, Tone.DONE)

    def _print(self, consent: SignedConsent) -> None:
        from desk_app.ui.printing import open_print_dialog  # Qt's print support loads when first used

        open_print_dialog(
            self, self._context, DocumentKind.CONSENT, consent.id, self.message, self._reading_for_print
        )
