"""Signs that a clinic's database was at a path that is now missing or empty, so that the app never
silently starts an empty new clinic where a real one has just been lost (a restore killed halfway, a
file deleted or truncated)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Collection
from contextlib import closing
from pathlib import Path

from desk_app.store.files import read_only_connection
from desk_app.store.models import DEMO_SETTING, MOVED_SETTING
from desk_app.store.presence import presence_folder


def is_missing_or_empty(path: Path) -> bool:
    with contextlib.suppress(OSError):
        return not path.exists() or (path.is_file() and path.stat().st_size == 0)
    return False


def signs_of_a_clinic(database: Path, remembered: Collection[Path] = ()) -> list[str]:
    """What suggests a clinic's database was at `database`, each said for the clinic manager."""
    folder, stem, suffix = database.parent, database.stem, database.suffix
    signs = []
    if database.resolve() in {path.resolve() for path in remembered}:
        signs.append("this PC has opened a clinic's database at this very place before")
    looks = {
        f"{stem}.replaced-*{suffix}": "a database kept by a restore",
        f"{stem}.before-v*{suffix}": "a copy taken before an update of the database",
        f".{database.name}.restor*": "the working files of a restore that did not finish",
        "backups/treatment-desk-*.sqlite3": "backups in the backups folder beside it",
    }
    with contextlib.suppress(OSError):
        for pattern, meaning in looks.items():
            found = sorted(folder.glob(pattern))
            if found:
                signs.append(
                    f"{meaning} ({found[-1].name}{f' and {len(found) - 1} more' if len(found) > 1 else ''})"
                )
        if presence_folder(database).is_dir():
            signs.append("marks left by desks that had it open")
    return signs


def clinics_worked_on(opened: Collection[Path]) -> list[Path]:
    """Of the database files this PC opened, those a clinic may still work on: there, and neither a
    training demo nor a file whose records moved to the server (read only, never changed), nor a copy
    kept by a restore or an update."""
    found = []
    for path in opened:
        if ".replaced-" in path.name or ".before-v" in path.name or not path.is_file():
            continue
        with contextlib.suppress(sqlite3.Error, OSError), closing(read_only_connection(path)) as probe:
            marks = probe.execute(
                "SELECT count(*) FROM clinic_setting WHERE key IN (?, ?)", (DEMO_SETTING, MOVED_SETTING)
            ).fetchone()[0]
            if marks == 0:
                found.append(path)
    return found
