"""`desk-app config show|set|unset`: this PC's own settings from a terminal.

A value is checked (PcSettings.set_database, set_backup_folder) as the app checks it when given with
--db (a FIFO, a folder, a password in a server's address...) before anything is written: a refused
value changes nothing.
"""

from __future__ import annotations

import argparse
import os
import sys

from desk_app.config import (
    DATABASE,
    DATABASE_ENV,
    FROM_SETTINGS,
    NAMES,
    PcSettings,
    RefusedValue,
    SettingsError,
    chosen_database,
)
from desk_app.paths import default_database_url
from desk_app.store.database import sqlite_path_from_url

NOT_SET_FOLDER = (
    "not set: the folder in the clinic's details, else a 'backups' folder beside the database file"
)


def _show(settings: PcSettings, explicit: str | None) -> int:
    print(f"This PC's settings file: {settings.path}")
    choice = chosen_database(explicit, settings)
    if choice.address is None:
        print(f"database: {sqlite_path_from_url(default_database_url())} ({choice.source})")
    else:
        print(f"database: {choice.address} (from {choice.source})")
        if choice.source != FROM_SETTINGS and (configured := settings.database()) is not None:
            print(f"  this PC's setting, not used while {choice.source} is given: {configured}")
    folder = settings.backup_folder()
    print(f"backup-folder: {folder} (from {FROM_SETTINGS})" if folder else f"backup-folder: {NOT_SET_FOLDER}")
    if unknown := settings.unknown_keys():
        print(f"Not used (unknown to this version; names are case-sensitive): {', '.join(unknown)}")
    return 0


def _set(settings: PcSettings, name: str, value: str) -> int:
    key = NAMES[name]
    try:
        if key == DATABASE:
            address = settings.set_database(value)
            print(f"This PC now opens {address}.")
            if os.environ.get(DATABASE_ENV):
                print(f"Note: ${DATABASE_ENV} is set here, and comes first while it is.")
        else:
            folder = settings.set_backup_folder(value)
            print(f"This PC now keeps the backups of a database file, and the day's checkpoint, in {folder}.")
    except RefusedValue as error:
        print(f"desk-app config: {error} Nothing was changed.", file=sys.stderr)
        return 2
    return 0


def run_config_command(args: argparse.Namespace, settings: PcSettings) -> int:
    """Exit 0 when done; 2 when a value is refused or the settings file cannot be used (said why)."""
    try:
        if args.config_action == "show":
            return _show(settings, args.db)
        if args.config_action == "set":
            return _set(settings, args.name, args.value)
        settings.unset(NAMES[args.name])
        print(f"{args.name} is no longer set on this PC.")
        return 0
    except SettingsError as error:
        print(f"desk-app config: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # the default's data folder, named by show
        print(
            f"desk-app config: the data folder {error.filename} cannot be used ({error.strerror}).",
            file=sys.stderr,
        )
        return 2
