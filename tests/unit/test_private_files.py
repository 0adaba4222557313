"""Files that hold patient data are made private without ever waiting on, or writing to, something
that is not a file put in their place (a FIFO or a device as the log)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desk_app.store.files import open_private_append


@pytest.mark.timeout(5)
def test_a_fifo_in_the_place_of_a_log_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "treatment-desk.log"
    os.mkfifo(fifo, 0o644)
    with pytest.raises(OSError):  # no reader: ENXIO at once; with one, refused as a named pipe
        open_private_append(fifo)
    assert os.stat(fifo).st_mode & 0o777 == 0o644  # left as it was


def test_a_missing_log_is_made_private_and_a_loose_one_closed(tmp_path: Path) -> None:
    made, loose = tmp_path / "new.log", tmp_path / "old.log"
    loose.write_text("kept")
    loose.chmod(0o644)
    os.close(open_private_append(made))
    os.close(open_private_append(loose))
    assert made.stat().st_mode & 0o777 == 0o600 and loose.stat().st_mode & 0o777 == 0o600
    assert loose.read_text() == "kept"
