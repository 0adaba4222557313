"""A right PIN of 4 or 5 digits: its owner chooses a new one of 6 to 8, then what they were doing goes on.

PINs of fewer than 6 digits were allowed before; such a PIN is accepted once more, only to prove who
chooses the new one (the store refuses the action with PinChangeNeeded). The dialog asks for the new
PIN twice and saves it (audited as "PIN changed"); the action is then tried again with the new PIN.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QWidget

from desk_app.domain.credentials import PIN_DIGITS, PIN_RULE
from desk_app.domain.errors import DomainError
from desk_app.domain.refusals import PinChangeNeeded
from desk_app.store.desk import Desk
from desk_app.ui.db_worker import DatabaseWorker
from desk_app.ui.form_dialog import DeskDialog, FormDialog
from desk_app.ui.saving import Answer, Saving


def _nothing(_new_pin: str) -> None:
    """What a closed dialog goes on with: nothing."""


class NewPinDialog(FormDialog):
    """The new PIN, typed twice; on success `then(new_pin)` goes on with what was being done.

    The dialog holds its owner's proven old PIN: closed any way (saved, cancelled, the desk locking,
    the dialog that took the PIN closing), it forgets it, so nobody can finish what she began."""

    def __init__(
        self,
        parent: QWidget,
        desk: Desk,
        worker: DatabaseWorker,
        needed: PinChangeNeeded,
        old_pin: str,
        then: Callable[[str], None],
        notice: str = "",
    ) -> None:
        intro = (
            f"{notice or needed}\n\nPINs now have {PIN_RULE}: a shorter one is found too quickly from "
            "a copy of the clinic's records. Avoid a birthday or a run of the same digit."
        )
        super().__init__(parent, "Choose a new PIN", intro, ok_text="Save the new PIN")
        self._desk, self._staff_id, self._old_pin, self._then = desk, needed.staff_id, old_pin, then
        self._worker = worker
        self.pin = self.line("New PIN", secret=True)
        self.repeat = self.line("New PIN again", secret=True)
        for editor in (self.pin, self.repeat):
            editor.setMaxLength(PIN_DIGITS[1])
            editor.setPlaceholderText(PIN_RULE)
        self._new_pin = ""
        self.accepted.connect(self._go_on)
        if isinstance(parent, QDialog):  # the override or signature that took the PIN closed
            parent.finished.connect(self._parent_closed)
        self.pin.setFocus()

    def _go_on(self) -> None:
        self._then(self._new_pin)  # what was being done goes on with it (and checks it)

    def _parent_closed(self) -> None:
        if self.isVisible():
            self.reject()
        self._forget()

    def _forget(self) -> None:
        self._old_pin, self._new_pin, self._then = "", "", _nothing

    def done(self, result: int) -> None:
        """Closed (saved, cancelled, the desk locking): the proven old PIN is forgotten."""
        super().done(result)  # emits accepted first: `then` goes on with the new PIN
        self._forget()

    def save(self) -> Answer:
        new_pin, repeat = self.pin.text(), self.repeat.text()
        self.pin.clear()
        self.repeat.clear()
        if not self._old_pin:
            return "This dialog was closed; begin again."
        if not new_pin:  # Enter pressed twice: the fields were cleared by the first
            return "Type the new PIN twice."
        if new_pin != repeat:
            return "The two new PINs are not the same; type them again."
        staff_id, old_pin = self._staff_id, self._old_pin

        def chosen(_result: None) -> None:
            self._new_pin = new_pin

        return Saving(
            self._worker, lambda: self._desk.accounts.change_pin(staff_id, old_pin, new_pin), chosen
        )


def with_pin_change(
    dialog: DeskDialog,
    desk: Desk,
    pins: dict[int, str],
    attempt: Callable[[dict[int, str]], Saving],
) -> Saving:
    """The save `attempt` makes with the PINs typed in `dialog` (by staff id).

    Where one of them is a right but short PIN, its owner is asked for a new one; the attempt is then
    made again with it, and `dialog` closes once that is saved (or shows why not)."""
    saving = attempt(pins)

    def refused(error: DomainError) -> str:
        if not isinstance(error, PinChangeNeeded):
            return saving.refused(error)
        owner = error.staff_id

        def go_on(new_pin: str) -> None:
            dialog.answer(with_pin_change(dialog, desk, pins | {owner: new_pin}, attempt))

        NewPinDialog(dialog, desk, saving.worker, error, pins.get(owner, ""), go_on).open()
        return str(error)

    return saving.refused_with(refused)
