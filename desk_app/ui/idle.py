"""How long the desk has gone without anyone touching it, for the idle lock.

Time comes from the app's clock, so tests move it on instead of waiting five minutes. Every key
press, click, mouse move or touch anywhere in the app counts as use (told by app_events).
"""

from __future__ import annotations

from datetime import timedelta

from desk_app.domain.clock import Clock


class IdleWatcher:
    """When the desk was last used."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.last_use = clock.now()

    def touch(self) -> None:
        self.last_use = self.clock.now()

    def idle_for(self) -> timedelta:
        return self.clock.now() - self.last_use
