"""Dialogs that ask for a written reason (and, for a clinician's decision, which clinician).

They are opened with open(), not exec(): the window stays responsive (countdowns keep running) and
tests drive them by clicking, like a nurse. The caller passes a function that saves the answer: it
returns None, an error message, or a `Saving` to wait for (ui.saving); the dialog stays open until
the save succeeds.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.people import Staff
from desk_app.ui.form_dialog import DeskDialog, FormDialog
from desk_app.ui.saving import Answer

# Saves the answer (see ui.saving.Answer).
Submit = Callable[[str], Answer]


class ReasonDialog(DeskDialog):
    """Asks for a reason (a correction, an abort) or a note; saves it through `submit`."""

    def __init__(
        self,
        parent: QWidget,
        title: str,
        prompt: str,
        submit: Submit,
        ok_text: str = "Save",
    ) -> None:
        super().__init__(parent, title, ok_text)
        self.setMinimumWidth(520)
        self._submit = submit
        self.prompt = QLabel(prompt, self)
        self.prompt.setWordWrap(True)
        self.column.addWidget(self.prompt)
        self.text = QPlainTextEdit(self)
        self.text.setAccessibleName(title)
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(90)  # three lines, on the smallest screen too
        self.column.addWidget(self.text, 1)
        self.extra = QVBoxLayout()
        self.column.addLayout(self.extra)
        self.text.setFocus()

    def _save(self) -> None:
        if not self.saving:  # Enter pressed again while saving asks nothing more
            self.answer(self._submit(self.text.toPlainText()))


class ClinicianDialog(ReasonDialog):
    """A clinician chooses themself, writes the reason and confirms with their PIN."""

    def __init__(
        self,
        parent: QWidget,
        title: str,
        prompt: str,
        clinicians: list[Staff],
        default_clinician: Staff | None,
        submit: Callable[[int, str, str], Answer],
        ok_text: str,
    ) -> None:
        super().__init__(parent, title, prompt, self._submit_with_clinician, ok_text=ok_text)
        self._submit_as_clinician = submit
        self.clinician_group = QButtonGroup(self)
        if not clinicians:
            self.extra.addWidget(QLabel("No clinician is on the staff list yet.", self))
        self.extra.addWidget(QLabel("Clinician:", self))
        for clinician in clinicians:
            button = QRadioButton(f"{clinician.name} ({clinician.initials})", self)
            button.setProperty("staff_id", clinician.id)
            self.clinician_group.addButton(button)
            self.extra.addWidget(button)
            if default_clinician and clinician.id == default_clinician.id:
                button.setChecked(True)
        self.pin = QLineEdit(self)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setAccessibleName("Clinician's PIN")
        self.pin.setMaxLength(8)
        self.extra.addWidget(_caption("The clinician's PIN:", self.pin))
        self.extra.addWidget(self.pin)

    def _submit_with_clinician(self, reason: str) -> Answer:
        chosen = self.clinician_group.checkedButton()
        if chosen is None:
            return "Choose the clinician who takes this decision."
        pin = self.pin.text()
        self.pin.clear()
        if not pin:  # Enter pressed twice: the first took the PIN; an empty one would count as wrong
            return "Type the clinician's PIN."
        return self._submit_as_clinician(int(chosen.property("staff_id")), reason, pin)


def _caption(text: str, field: QWidget) -> QLabel:
    """A field's caption, which a screen reader reads with the field."""
    label = QLabel(text, field.parentWidget())
    label.setBuddy(field)
    return label


def _risks(flags: list[str]) -> str:
    return "".join(f"\n• {flag}" for flag in flags)


class OverrideDialog(ClinicianDialog):
    """A clinician chooses themself and writes why the session may go on past a soft stop."""

    def __init__(
        self,
        parent: QWidget,
        item_label: str,
        flags: list[str],
        clinicians: list[Staff],
        default_clinician: Staff | None,
        submit: Callable[[int, str, str], Answer],
    ) -> None:
        super().__init__(
            parent,
            f"Override: {item_label}",
            f"Only a clinician may let the session go on past this stop.{_risks(flags)}\n\n"
            "Write the reason; it is printed on the record. The clinician confirms with their PIN.",
            clinicians,
            default_clinician,
            submit,
            ok_text="Override",
        )


class ClearStopDialog(ClinicianDialog):
    """A clinician who has seen the patient clears a hard stop (a sign of anaesthetic toxicity):
    the answers are undone, kept in the record, and the item is answered again."""

    def __init__(
        self,
        parent: QWidget,
        item_label: str,
        flags: list[str],
        clinicians: list[Staff],
        default_clinician: Staff | None,
        submit: Callable[[int, str, str], Answer],
    ) -> None:
        super().__init__(
            parent,
            f"Clear the stop: {item_label}",
            f"Only a clinician who has seen the patient may clear this stop.{_risks(flags)}\n\n"
            "The clinician writes why it is safe to go on; it is printed on the record, and the "
            "answers given stay in it. The clinician confirms with their PIN; then the questions are "
            "asked again and answered.",
            clinicians,
            default_clinician,
            submit,
            ok_text="Clear the stop",
        )


class StopTreatmentDialog(ReasonDialog):
    """Stopping a treatment: a reason, and (if the gel is on) confirmation that it came off."""

    def __init__(self, parent: QWidget, gel_on: bool, submit: Callable[[str, bool], Answer]) -> None:
        prompt = "The session stays in the record as a stopped treatment. Why is it stopped?"
        super().__init__(parent, "Stop treatment", prompt, self._submit_with_gel, ok_text="Stop treatment")
        self._submit_stop = submit
        self.gel_removed = QCheckBox("The gel has been removed and the skin cleansed", self)
        self.gel_removed.setVisible(gel_on)
        self.extra.addWidget(self.gel_removed)

    def _submit_with_gel(self, reason: str) -> Answer:
        return self._submit_stop(reason, self.gel_removed.isChecked())


class AmendmentDialog(ReasonDialog):
    """An amendment to a locked session: what it is about, what it says, and why it is added."""

    def __init__(
        self,
        parent: QWidget,
        items: list[tuple[str, str]],
        submit: Callable[[str | None, str, str], Answer],
    ) -> None:
        super().__init__(
            parent,
            "Add amendment",
            "The session is locked: an amendment is added beside the original, which stays as it was. "
            "Write the amendment, then why it is needed.",
            self._submit_amendment,
            ok_text="Add amendment",
        )
        self._submit_to_store = submit
        self.about = QComboBox(self)
        self.about.setAccessibleName("About")
        self.about.addItem("The whole session", None)
        for item_id, label in items:
            self.about.addItem(label, item_id)
        self.extra.addWidget(_caption("About:", self.about))
        self.extra.addWidget(self.about)
        self.reason = QLineEdit(self)
        self.reason.setAccessibleName("Why it is amended")
        self.extra.addWidget(_caption("Why it is amended:", self.reason))
        self.extra.addWidget(self.reason)

    def _submit_amendment(self, text: str) -> Answer:
        return self._submit_to_store(self.about.currentData(), text, self.reason.text())


class SignDialog(FormDialog):
    """Sign and lock: an electronic signature. The operator reads what signing means and gives their
    PIN at this moment; where the clinic asks for it, a clinician countersigns with theirs."""

    def __init__(
        self,
        parent: QWidget,
        signer: Staff,
        meaning: str,
        clinicians: list[Staff] | None,
        submit: Callable[[str, int | None, str], Answer],
    ) -> None:
        intro = (
            f"{signer.name} signs this record: “{meaning}”\n\nOnce signed, the record is locked; a later "
            "change is an amendment, shown beside it."
        )
        super().__init__(parent, "Sign and lock the record", intro, ok_text="Sign and lock")
        self._submit = submit
        self.pin = self.line(f"{signer.name}'s PIN", secret=True)
        self.countersigners: QComboBox | None = None
        self.counter_pin: QLineEdit | None = None
        if clinicians is not None:
            self.form.addRow(QLabel("The clinic asks a clinician to countersign.", self))
            self.countersigners = QComboBox(self)
            self.countersigners.setAccessibleName("Clinician who countersigns")
            for clinician in clinicians:
                self.countersigners.addItem(f"{clinician.name} ({clinician.initials})", clinician.id)
            self.form.addRow("Clinician who countersigns", self.countersigners)
            self.counter_pin = self.line("Countersigning clinician's PIN", secret=True)
        self.pin.setFocus()

    def save(self) -> Answer:
        """PINs are cleared once read: a refused one is typed again, never left on screen."""
        pin = self.pin.text()
        self.pin.clear()
        countersigner = self.countersigners.currentData() if self.countersigners is not None else None
        counter_pin = ""
        if self.counter_pin is not None:
            counter_pin = self.counter_pin.text()
            self.counter_pin.clear()
        if not pin or (self.counter_pin is not None and not counter_pin):
            return "Type every PIN asked for."  # Enter pressed twice must not count a wrong PIN
        return self._submit(pin, countersigner, counter_pin)
