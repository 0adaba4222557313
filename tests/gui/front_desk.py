"""The board's patient search as a nurse uses it: choose the patient found, start their session and
confirm who it is for (issue 18: nobody is chosen for her)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QWidget

from desk_app.ui.home_page import CONFIRM_START
from tests.gui.nurse import click, find, open_dialog


def choose_patient(qtbot, root: QWidget, text: str) -> None:  # noqa: ANN001
    """Click the patient found whose line holds `text` (a name or a clinic number)."""
    results = find(root, QListWidget, "Patients found")
    matching = [results.item(row) for row in range(results.count()) if text in results.item(row).text()]
    assert len(matching) == 1, f"expected one patient found with {text!r}, found {len(matching)}"
    position = results.visualItemRect(matching[0]).center()
    qtbot.mouseClick(results.viewport(), Qt.MouseButton.LeftButton, pos=position)
    assert results.selectedItems() == matching


def start_session_for(qtbot, root: QWidget, text: str) -> None:  # noqa: ANN001
    """Choose the patient, press Start session and confirm it is them."""
    choose_patient(qtbot, root, text)
    click(qtbot, root, "Start session")
    click(qtbot, open_dialog(), CONFIRM_START)
