"""Staff at the desk: the first-start form that adds members of staff, and 'who are you?'."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.errors import DomainError
from desk_app.domain.people import Role, Staff
from desk_app.store.desk import Desk
from desk_app.ui.widgets import message_label


class AddStaffPage(QWidget):
    """Shown on a new database (and on request): add the people who use the desk."""

    done = Signal()
    """Enough staff were added; go on to choose who is at the desk."""

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        layout = QVBoxLayout(self)
        self.title = QLabel("Welcome to Treatment Desk", self)
        self.title.setObjectName("pageTitle")
        layout.addWidget(self.title)
        intro = QLabel(
            "Add the members of staff who will use this desk. Add at least one clinician: only a "
            "clinician may override a stop.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.name = QLineEdit(self)
        self.name.setAccessibleName("Full name")
        self.initials = QLineEdit(self)
        self.initials.setAccessibleName("Initials")
        self.initials.setMaxLength(4)
        form.addRow("Full name", self.name)
        form.addRow("Initials", self.initials)
        roles = QHBoxLayout()
        self.role_group = QButtonGroup(self)
        for role in Role:
            button = QRadioButton(role.value.capitalize(), self)
            button.setProperty("role", role.value)
            button.setAccessibleName(f"Role: {role.value}")
            self.role_group.addButton(button)
            roles.addWidget(button)
            if role is Role.NURSE:
                button.setChecked(True)
        form.addRow("Role", roles)
        layout.addLayout(form)
        self.add_button = QPushButton("Add member of staff", self)
        self.add_button.setMinimumHeight(44)
        self.add_button.clicked.connect(self._add)
        self.name.returnPressed.connect(self._add)
        self.initials.returnPressed.connect(self._add)
        layout.addWidget(self.add_button)
        self.error = message_label(self)
        layout.addWidget(self.error)
        self.staff_list = QLabel("", self)
        self.staff_list.setAccessibleName("Staff added")
        layout.addWidget(self.staff_list)
        self.continue_button = QPushButton("Continue", self)
        self.continue_button.setMinimumHeight(44)
        self.continue_button.clicked.connect(self.done)
        layout.addWidget(self.continue_button)
        layout.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        staff = self.desk.list_staff()
        self.title.setText("Members of staff" if staff else "Welcome to Treatment Desk")
        self.staff_list.setText(
            "\n".join(f"{m.name} ({m.initials}), {m.role.value}" for m in staff) or "No staff yet."
        )
        self.continue_button.setEnabled(bool(staff))

    def _add(self) -> None:
        role = self.role_group.checkedButton().property("role")
        try:
            self.desk.add_staff(self.name.text(), self.initials.text(), role)
        except DomainError as error:
            self.error.setText(str(error))
            return
        self.error.clear()
        self.name.clear()
        self.initials.clear()
        self.name.setFocus()
        self.refresh()


class WhoAreYouPage(QWidget):
    """Choose who is at the desk from the staff list; every tick is made in that name."""

    chosen = Signal(object)
    """A member of staff (Staff) said this is them."""

    add_staff_requested = Signal()
    """Someone wants to add a member of staff."""

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        layout = QVBoxLayout(self)
        title = QLabel("Who is at the desk?", self)
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        self.buttons_box = QVBoxLayout()
        layout.addLayout(self.buttons_box)
        add = QPushButton("Add a member of staff…", self)
        add.setMinimumHeight(44)
        add.clicked.connect(self.add_staff_requested)
        layout.addWidget(add)
        layout.addStretch(1)
        self.staff_buttons: list[QPushButton] = []

    def refresh(self) -> None:
        for button in self.staff_buttons:
            self.buttons_box.removeWidget(button)
            button.deleteLater()
        self.staff_buttons = []
        for member in self.desk.list_staff():
            button = QPushButton(f"{member.name} ({member.initials}) · {member.role.value}", self)
            button.setObjectName("staffButton")
            button.setMinimumHeight(56)
            button.clicked.connect(lambda _=False, m=member: self._choose(m))
            self.buttons_box.addWidget(button)
            self.staff_buttons.append(button)
        if self.staff_buttons:
            self.staff_buttons[0].setFocus()

    def _choose(self, member: Staff) -> None:
        self.chosen.emit(member)
