"""The daily pre-use safety check of one laser, answered item by item (issue 15).

Every item must be answered Passed or Failed: nothing is ticked in advance, so the operator answers
each one. The store checks the answers (a failed item needs a note) and who may record them; the
dialog says "Saving…" until they are recorded, and stays open on a refusal, with the reason in words.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QRadioButton,
    QWidget,
)

from desk_app.domain.errors import DomainError
from desk_app.domain.laser_use import DeviceUse
from desk_app.domain.people import Staff
from desk_app.domain.pre_use_check import PreUseCheck, check_answers
from desk_app.store.desk import Desk
from desk_app.ui.db_worker import DatabaseWorker
from desk_app.ui.form_dialog import FormDialog
from desk_app.ui.saving import Answer, Saving
from desk_app.ui.widgets import ask

NOTE_NAME = "Note: what is wrong"


class PreUseCheckDialog(FormDialog):
    """One device's check by the member at the desk; `done` is told of the check once it is stored."""

    def __init__(
        self,
        parent: QWidget,
        desk: Desk,
        worker: DatabaseWorker,
        use: DeviceUse,
        staff: Staff,
        done: Callable[[PreUseCheck], None],
        unseen: Callable[[str], None],
    ) -> None:
        device = use.device
        super().__init__(
            parent,
            f"Pre-use check of the {device.name}",
            f"Before the {device.name} is first used today, check each item on the device and in the room, "
            "and answer each one. One failed item takes the laser out of use for the rest of the day: "
            "say in the note what is wrong.",
            ok_text="Record the check",
        )
        self.setMinimumWidth(900)
        self.desk, self.device_id, self.staff, self._done = desk, device.id, staff, done
        self._unseen = unseen
        self.worker = worker
        self.device_name = device.name
        self.checklist = desk.pre_use_checklist
        self.answers: dict[str, tuple[QButtonGroup, QRadioButton]] = {}

        items = QWidget(self)
        items.setObjectName("checkItems")
        grid = QGridLayout(items)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setColumnStretch(0, 1)
        for row, item in enumerate(self.checklist.items):
            title = QLabel(item.label, items)
            title.setObjectName("itemTitle")
            title.setWordWrap(True)
            help_text = QLabel(item.help, items)
            help_text.setObjectName("itemHelp")
            help_text.setWordWrap(True)
            group = QButtonGroup(self)
            buttons = QHBoxLayout()
            passed, failed = (QRadioButton(answer, items) for answer in ("Passed", "Failed"))
            for button in (passed, failed):
                button.setAccessibleName(f"{item.label}: {button.text()}")
                button.setAccessibleDescription(item.help)
                group.addButton(button)
                buttons.addWidget(button)
            self.answers[item.id] = (group, passed)
            grid.addWidget(title, 2 * row, 0)
            grid.addWidget(help_text, 2 * row + 1, 0)
            grid.addLayout(buttons, 2 * row, 1, 2, 1)
        # Between the introduction and the note; on a small screen they scroll together, the
        # buttons below stay in view.
        self.column.insertWidget(self.column.indexOf(self.form), items)

        self.note = QPlainTextEdit(self)
        self.note.setAccessibleName(NOTE_NAME)
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(70)
        self.form.addRow("Note (if anything failed)", self.note)
        who = QLabel(
            f"{staff.name} ({staff.initials}), following the {self.checklist.title.lower()}, "
            f"version {self.checklist.version}",
            self,
        )
        who.setWordWrap(True)
        self.form.addRow("Checked by", who)

    def given_answers(self) -> dict[str, bool]:
        """Only the answers given: the domain names the first item left unanswered."""
        return {
            item_id: group.checkedButton() is passed
            for item_id, (group, passed) in self.answers.items()
            if group.checkedButton() is not None
        }

    def _save(self) -> None:
        """A failed item takes the laser out of use for the day, and a check is not taken back: a
        check with one is recorded only once the operator says so, having read what failed."""
        answers = self.given_answers()
        try:
            passed: bool | None = check_answers(self.checklist, answers, self.note.toPlainText())[0]
        except DomainError:
            passed = None  # an answer or the note missing: said first, by the store, as any refusal
        if passed is False:
            self._ask_to_record_failed([item.label for item in self.checklist.items if not answers[item.id]])
        else:
            super()._save()

    def _ask_to_record_failed(self, failed: list[str]) -> None:
        what = "; ".join(failed)
        text = (
            f"Failed: {what}.\n\nRecorded, this takes the {self.device_name} out of use until tomorrow: "
            "no pass with it and no new check today. Record the check as failed?"
        )

        def answered(record: bool) -> None:
            if record:
                super(PreUseCheckDialog, self)._save()

        yes, no = "Record: out of use until tomorrow", "Go back to the answers"
        ask(self, QMessageBox.Icon.Warning, "Record a failed check?", text, yes, no, answered)

    def save(self) -> Answer:
        """The store checks the answers again, and who may record them."""
        device_id, answers, note, staff_id = (
            self.device_id,
            self.given_answers(),
            self.note.toPlainText(),
            self.staff.id,
        )
        return Saving(
            self.worker,
            lambda: self.desk.device_checks.record_pre_use_check(device_id, answers, note, staff_id),
            self._done,
            unseen=self._unseen,  # refused once the lock closed the dialog: said above every page
        )
