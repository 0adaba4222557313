"""Files that hold patient records: made readable by their owner only, from the first byte."""

from __future__ import annotations

import os
from pathlib import Path

APPLICATION_ID = 0x54444553  # "TDES": marks a SQLite file as a Treatment Desk database


def create_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600; refuse (FileExistsError) if it is already there."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
