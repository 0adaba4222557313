"""The Qt binding itself must survive a long clinic day of signals (PySide6 6.12.0 did not)."""

from __future__ import annotations

import subprocess
import sys

EMITS = """
from PySide6.QtCore import QObject, Signal

class Source(QObject):
    changed = Signal(int)

source = Source()
seen = []
source.changed.connect(seen.append)
for number in range(20000):
    source.changed.emit(number)
assert len(seen) == 20000
print("ok")
"""


def test_twenty_thousand_signal_emits_do_not_crash_the_app() -> None:
    # A separate process: a binding that corrupts reference counts aborts the interpreter.
    result = subprocess.run(
        [sys.executable, "-c", EMITS], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"
