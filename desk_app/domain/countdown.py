"""The gel countdown. It is never counted down: every reading is deadline minus now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum


class GelPhase(StrEnum):
    NOT_STARTED = "not started"
    WAITING = "waiting"
    READY = "ready"
    REMOVE_NOW = "remove now"
    REMOVED = "removed"


@dataclass(frozen=True)
class Countdown:
    """The instants that matter for one session's gel, all derived from the 'gel applied' tick."""

    applied_at: datetime
    ready_at: datetime
    remove_at: datetime
    removed_at: datetime | None = None

    @classmethod
    def starting(
        cls,
        applied_at: datetime,
        ready_minutes: int,
        remove_minutes: int,
        removed_at: datetime | None = None,
    ) -> Countdown:
        applied_at = applied_at.astimezone(UTC)  # minutes of real time, never of the wall clock
        return cls(
            applied_at=applied_at,
            ready_at=applied_at + timedelta(minutes=ready_minutes),
            remove_at=applied_at + timedelta(minutes=remove_minutes),
            removed_at=removed_at,
        )

    def phase(self, now: datetime) -> GelPhase:
        if self.removed_at is not None:
            return GelPhase.REMOVED
        if now < self.ready_at:
            return GelPhase.WAITING
        if now < self.remove_at:
            return GelPhase.READY
        return GelPhase.REMOVE_NOW

    def remaining(self, now: datetime) -> timedelta:
        """Time left until ready; zero once ready."""
        return max(self.ready_at - now, timedelta(0))

    def gel_time(self, now: datetime) -> timedelta:
        """How long the gel has been (or was) on the skin."""
        end = self.removed_at if self.removed_at is not None else now
        return max(end - self.applied_at, timedelta(0))


def _whole_seconds(duration: timedelta) -> int:
    """Part-seconds round up, so a countdown shows 0 only when it is truly done."""
    return max(0, int(-(-duration.total_seconds() // 1)))


def clock_text(duration: timedelta) -> str:
    """A running countdown: '38:12', or '1:02:05' (h:mm:ss) from an hour up, never '62:05'."""
    hours, rest = divmod(_whole_seconds(duration), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


def duration_words(duration: timedelta) -> str:
    """A length of time read at a glance: '38 min', '1 h 37 min', '2 h'. A part minute counts as a
    whole one, so a time on the skin or a time left is never understated."""
    minutes = -(-_whole_seconds(duration) // 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
