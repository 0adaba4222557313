"""Shared pieces of the benchmarks: timing, statistics, SQL counting, the result table, session walks.

No pytest-benchmark: time.perf_counter_ns around each call and the statistics module are enough, and
each measurement is taken beside its baseline in the same run, so a slow machine moves both.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from desk_app.domain.session import SessionRecord
from desk_app.store.desk import Desk
from tests.support.walk import ANAESTHETIC, LASER, SIGN_IN, SIGN_OUT, TIME_OUT, tick_all

# The procedure in the order a nurse ticks it, as (item, values); None marks the one-hour gel wait.
WALK: list[tuple[str, dict[str, Any]] | None] = [
    *SIGN_IN.items(),
    *ANAESTHETIC.items(),
    None,
    *TIME_OUT.items(),
    *LASER.items(),
    *SIGN_OUT.items(),
]
GEL_WAIT_MINUTES = 61


# --- timing and statistics -------------------------------------------------------------------------


def time_ms(action: Callable[[], Any]) -> tuple[float, Any]:
    """Run `action` once: (milliseconds, its result)."""
    start = time.perf_counter_ns()
    result = action()
    return (time.perf_counter_ns() - start) / 1e6, result


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    """The 95th percentile, interpolated between the samples (needs at least two)."""
    return statistics.quantiles(samples, n=100, method="inclusive")[94]


@contextmanager
def timing_calls(obj: object, name: str) -> Iterator[list[float]]:
    """Time every call of obj.<name> made while inside (the instance attribute is swapped, so calls
    through `self.name()` are caught, but not slots connected to the bound method beforehand)."""
    real = getattr(obj, name)
    samples: list[float] = []

    def timed(*args: Any, **kwargs: Any) -> Any:
        elapsed, result = time_ms(lambda: real(*args, **kwargs))
        samples.append(elapsed)
        return result

    setattr(obj, name, timed)
    try:
        yield samples
    finally:
        delattr(obj, name)


# --- counting SQL statements -----------------------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.queries: list[tuple[str, tuple]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.msg
        if isinstance(message, tuple):
            self.queries.append((message[0], tuple(message[1] or ())))
        else:
            self.queries.append((str(message), ()))


@contextmanager
def sql_log_with_params() -> Iterator[list[tuple[str, tuple]]]:
    """Every statement peewee sends while inside, with its parameters (peewee logs each one to
    'peewee' at DEBUG). BEGIN/COMMIT/SAVEPOINT that peewee issues through the cursor directly are not
    counted; this is for comparing query counts, and it slows queries down, so never time inside it."""
    logger = logging.getLogger("peewee")
    handler = _Collect()
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield handler.queries
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


@contextmanager
def sql_log() -> Iterator[list[str]]:
    """The statements alone (filled in when the block ends)."""
    statements: list[str] = []
    with sql_log_with_params() as queries:
        try:
            yield statements
        finally:
            statements.extend(sql for sql, _params in queries)


# --- the result table ------------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    n: int
    median_ms: float
    p95_ms: float | None
    target: str
    baseline_ms: float | None = None
    fail_above_ms: float | None = None
    """The row fails only if its checked statistic (p95, or the median) is above this."""
    checked: str = "p95"
    verdict_note: str = ""
    """Added to the verdict (e.g. '*' when a target is reported but not enforced)."""

    @property
    def ratio(self) -> float | None:
        return self.median_ms / self.baseline_ms if self.baseline_ms else None

    @property
    def checked_value(self) -> float:
        return self.p95_ms if self.checked == "p95" and self.p95_ms is not None else self.median_ms

    @property
    def passed(self) -> bool:
        return self.fail_above_ms is None or self.checked_value <= self.fail_above_ms

    @property
    def verdict(self) -> str:
        if self.fail_above_ms is None:
            return "info"
        return ("PASS" if self.passed else "FAIL") + self.verdict_note


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def note(self, text: str) -> None:
        self.notes.append(text)

    def lines(self) -> list[str]:
        header = ("what", "n", "median ms", "p95 ms", "target", "baseline median", "ratio", "verdict")
        table = [header]
        for row in self.rows:
            table.append(
                (
                    row.what,
                    str(row.n),
                    _ms(row.median_ms),
                    _ms(row.p95_ms),
                    row.target,
                    _ms(row.baseline_ms),
                    f"{row.ratio:.1f}x" if row.ratio is not None else "-",
                    row.verdict,
                )
            )
        widths = [max(len(line[i]) for line in table) for i in range(len(header))]
        right = {1, 2, 3, 5, 6}

        def fmt(line: tuple[str, ...]) -> str:
            cells = [
                cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(line)
            ]
            return " | ".join(cells).rstrip()

        out = [fmt(table[0]), "-+-".join("-" * width for width in widths)]
        out += [fmt(line) for line in table[1:]]
        out += [f"  {note}" for note in self.notes]
        return out


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


REPORT = Report()
"""One table for the whole `make bench` run, printed at the end by conftest.py."""


# --- building sessions -----------------------------------------------------------------------------


def register_patients(desk: Desk, staff_id: int, count: int, prefix: str = "B") -> list[int]:
    ids = []
    for number in range(count):
        patient = desk.patients.register_patient(
            "Bench",
            f"Patient {prefix}{number:03d}",
            date(1990, 1, 1 + number % 28),
            f"{prefix}-{number:05d}",
            staff_id,
        )
        ids.append(patient.id)
    return ids


def walk(desk: Desk, clock, session_id: int, staff_id: int, stop_after: int | None = None) -> SessionRecord:  # noqa: ANN001
    """Tick the session through the procedure (the gel wait passes on the clock), up to `stop_after` ticks."""
    record = desk.sessions.session(session_id)
    done = 0
    for step in WALK:
        if stop_after is not None and done >= stop_after:
            break
        if step is None:
            clock.advance(minutes=GEL_WAIT_MINUTES)
            continue
        item_id, values = step
        clock.advance(seconds=20)
        # As the tests' walk ticks it: the course's plan, a clinician for sessions back to back.
        record = tick_all(desk, session_id, {item_id: values}, staff_id)
        done += 1
    return record


def board_read(qapp: Any, window: Any) -> None:  # noqa: ANN401 (a QApplication and a MainWindow)
    """Wait until the board shows the sessions, read on the database worker and shown by the event
    loop (its cards are made once they arrive)."""
    for _ in range(100):
        window.worker.wait_until_drained(10)
        qapp.processEvents()
        if window.home_page.card_widgets:
            return
