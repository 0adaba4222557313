"""Fixtures for the printing tests: a Qt application for text layout and the clinic's formats."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from desk_app.reports.formats import LocalFormats
from desk_app.ui.formatting import LOCAL_FORMATS


@pytest.fixture(autouse=True)
def _qt_for_text_layout(qapp: QApplication) -> None:
    """QTextDocument and QPdfWriter need a Qt application to lay out and paint text."""


@pytest.fixture
def formats() -> LocalFormats:
    """Dates and times as the printed pages show them: the PC's locale and time zone."""
    return LOCAL_FORMATS
