"""The sign-in's consent item on the session page: the way to the consent form, and the consent
already in force.

On the item's card, while it is to do: "Read and sign the consent…" opens the form (ui.consent_dialog);
signed there, the store ticks the item in the same transaction and the page shows it done. Where a
consent of the current form's version is in force already, the card says so ("Signed 4 Dec 2026
10:02, form v1, witnessed by Ann Nurse") with its version filled in: the nurse checks with the
patient that it still stands and confirms the item as usual.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from desk_app.domain.consent import SignedConsent
from desk_app.domain.dates import shown_instant
from desk_app.domain.errors import DomainError
from desk_app.domain.session import SessionRecord
from desk_app.store.consents import CONSENT_ITEM
from desk_app.ui.consent_dialog import ask_to_sign
from desk_app.ui.context import DeskContext
from desk_app.ui.db_worker import LATER
from desk_app.ui.item_card import ItemCard
from desk_app.ui.saving import ReadFirst
from desk_app.ui.widgets import Tone, message_label, show_message

VERSION_FIELD = "form_version"
SIGN_BUTTON = "Read and sign the consent…"


def consent_line(consent: SignedConsent) -> str:
    """A consent in force as the card shows it."""
    photos = "photos agreed" if consent.photos_allowed else "no photos"
    return (
        f"Signed {shown_instant(consent.signed_at)}, form {consent.form_version}, witnessed by "
        f"{consent.witness_name} ({photos})"
    )


def no_consent_line(version: str) -> str:
    return f"No signed consent of form {version} is in force: the patient reads and signs it."


class ConsentOnCard(QObject):
    """Added to the consent item's card by the session page (attach), and kept in step with it
    (follow, after each apply)."""

    def __init__(
        self, context: DeskContext, shown_record: Callable[[], SessionRecord | None], page: QWidget
    ) -> None:
        super().__init__(page)
        self._context, self._shown_record, self._page = context, shown_record, page
        self._reading = ReadFirst(context.worker)
        self._read_for: SessionRecord | None = None  # the record whose consent was last asked for
        self._card: ItemCard | None = None
        self.in_force: QLabel | None = None
        self.sign_button: QPushButton | None = None

    def attach(self, card: ItemCard) -> None:
        """On the consent item's card (no other): the consent in force and the button, above the
        card's own buttons."""
        if card.item.id != CONSENT_ITEM:
            return
        box = QWidget(card)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        self.in_force = message_label(box, "consentInForce", visible=False)
        column.addWidget(self.in_force)
        self.sign_button = QPushButton(SIGN_BUTTON, box)
        self.sign_button.setMinimumHeight(44)
        self.sign_button.clicked.connect(self._ask)
        column.addWidget(self.sign_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout = card.layout()
        assert isinstance(layout, QVBoxLayout)  # the card's column; its last row is its buttons
        layout.insertWidget(layout.count() - 1, box)
        box.stackUnder(card.primary)  # before the card's buttons among its children: Tab's order too
        self._card, self._read_for = card, None

    def follow(self, card: ItemCard) -> None:
        """Shown while the item may be done (as the card's own Confirm); the consent in force read
        again for each new state of the session while it is to do."""
        if card is not self._card or self.sign_button is None or self.in_force is None:
            return
        to_do = card.primary.isVisibleTo(card)
        box = self.sign_button.parentWidget()
        assert box is not None  # attach put it in its box
        box.setVisible(to_do)
        self.sign_button.setEnabled(card.primary.isEnabled())
        if not to_do:
            return
        record = self._shown_record()
        if record is not None and record is not self._read_for:
            self._read_for = record
            self._read_in_force(record, card)

    def _read_in_force(self, record: SessionRecord, card: ItemCard) -> None:
        consents, patient_id = self._context.desk.consents, record.patient.id

        def read() -> tuple[str, SignedConsent | None]:
            return consents.current_form().version, consents.consent_in_force(patient_id)

        def show(answer: tuple[str, SignedConsent | None]) -> None:
            if not self._still_on(card) or self.in_force is None:
                return
            version, consent = answer
            line = consent_line(consent) if consent else no_consent_line(version)
            show_message(self.in_force, line, Tone.NOTE)  # plain again after a refusal said here
            self.in_force.setAccessibleName(line)
            editor = card.editors.get(VERSION_FIELD)
            if consent is not None and editor is not None and not editor.value():
                editor.set_value(consent.form_version)  # the nurse confirms it still stands

        def not_read(error: DomainError) -> None:
            if self._still_on(card) and self.in_force is not None:
                show_message(self.in_force, str(error))

        self._context.worker.submit(read, show, not_read, LATER)

    def _still_on(self, card: ItemCard | None) -> bool:
        """Whether `card` is still the page's (not another session's, nor closed meanwhile)."""
        return card is not None and card is self._card and shiboken6.isValid(card)

    def _ask(self) -> None:
        record = self._shown_record()
        if record is None or self.in_force is None:
            return
        session_id = record.id

        def still_shown() -> bool:
            shown = self._shown_record()
            return shown is not None and shown.id == session_id

        ask_to_sign(
            self._page,
            self._context,
            self._reading,
            self.in_force,
            (record.patient.id, record.patient.full_name),
            session_id,
            still_shown,
            lambda _consent: self._context.signals.session_changed.emit(session_id),
        )
