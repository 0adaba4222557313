"""A desk whose clock is behind the trail writes nothing: `audit verify` would flag its row as the
trail's times going back, for good (the clock corrected backwards, a PC set to the wrong day). The
action is refused instead, with what to fix, inside its transaction so nothing of it is saved."""

from __future__ import annotations

from datetime import datetime

from peewee import Database

from desk_app.domain.errors import ActionRefused
from desk_app.domain.replay import back_beyond_tolerance, shown_time
from desk_app.store.audit import utc_text
from desk_app.store.replay_check import DEMO_MARK, OWN_CLOCK_ACTIONS

# The trail's latest time is looked for among its last rows, read backwards on the primary key: a
# row that went back was refused, so the latest is one of the last unless hundreds of rows in a
# row were each dated just within the tolerance behind it.
_RECENT_ROWS = 200


class ClockBehindTrail(ActionRefused):
    """This PC's clock is further behind the trail's latest row than verify allows."""


def refuse_clock_behind_trail(db: Database, now: datetime) -> None:
    """Raise ClockBehindTrail where a row dated `now` would go back beyond TIME_TOLERANCE from the
    latest row a desk wrote (rows written with the PC's own clock do not count, as at verify; a
    demo's trail, dated weeks back on purpose, is not checked)."""
    recent = db.execute_sql(f"SELECT at, action FROM audit_log ORDER BY id DESC LIMIT {_RECENT_ROWS}")
    times = [
        at for at, action in recent.fetchall() if action not in OWN_CLOCK_ACTIONS and action != DEMO_MARK
    ]
    if not times:
        return
    latest, at = max(times), utc_text(now)
    if not (at < latest and back_beyond_tolerance(latest, at)):
        return
    first = db.execute_sql("SELECT action FROM audit_log WHERE id = 1").fetchone()
    if first is not None and first[0] == DEMO_MARK:
        return
    raise ClockBehindTrail(
        f"Not saved: this PC's clock says {shown_time(at)} but the records already hold a row from "
        f"{shown_time(latest)}. Check the PC's date and time."
    )
