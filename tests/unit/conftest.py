"""Fixtures for the domain and store tests."""

from __future__ import annotations

import pytest

from desk_app.domain.clock import ManualClock
from desk_app.domain.procedure import Procedure
from tests.support.session_log import Log


@pytest.fixture
def log(procedure: Procedure, clock: ManualClock) -> Log:
    """A fresh session's event log at the test clock's start."""
    return Log(procedure, clock)
