"""What CUPS's lpstat says, read right (ui/print_queue.py): a paused queue is its first line's word,
not a status message's; a queue's jobs are its own, not those of a queue whose name starts alike;
a print server that does not answer is not taken for one with no jobs."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from desk_app.ui.print_queue import CupsPrintSystem, NoAnswer

ENABLED_WITH_A_MESSAGE = """printer Front is idle.  enabled since Fri Dec  4 05:58:41 2026
\tDuplex unit disabled by driver
"""
PAUSED = """printer Front disabled since Fri Dec  4 06:01:02 2026 -
\tpaper being loaded
"""
JOBS = """Front-12               root           2048   Fri Dec  4 06:00:00 2026
Front-14               root           1024   Fri Dec  4 06:02:00 2026
"""


def lpstat(tmp_path: Path, answer: str, status: int = 0) -> CupsPrintSystem:
    """A stand-in for lpstat that gives `answer` (and exits with `status`) whatever it is asked."""
    (tmp_path / "answer.txt").write_text(answer)
    script = tmp_path / "lpstat"
    script.write_text(f"#!/bin/sh\ncat '{tmp_path / 'answer.txt'}'\nexit {status}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return CupsPrintSystem(str(script))


@pytest.mark.parametrize(
    ("answer", "paused"), [(ENABLED_WITH_A_MESSAGE, None), (PAUSED, "paper being loaded")]
)
def test_a_queue_is_paused_only_when_its_own_line_says_disabled(
    tmp_path: Path, answer: str, paused: str | None
) -> None:
    assert lpstat(tmp_path, answer).paused("Front") == paused


def test_a_queues_jobs_are_its_own(tmp_path: Path) -> None:
    assert lpstat(tmp_path, JOBS).jobs("Front") == {"Front-12", "Front-14"}
    assert lpstat(tmp_path, JOBS).jobs("Fron") == set()


def test_a_print_server_that_does_not_answer_is_not_one_with_no_jobs(tmp_path: Path) -> None:
    with pytest.raises(NoAnswer, match="did not say which jobs the printer Front has"):
        lpstat(tmp_path, "lpstat: Bad file descriptor", status=1).jobs("Front")
