"""Where things live: the bundled resources and the user's data folder."""

from __future__ import annotations

import functools
import importlib.resources
import json
import logging
import os
from pathlib import Path

import platformdirs

APP_NAME = "TreatmentDesk"
APP_AUTHOR = "AzureMedical"
DATABASE_FILE = "treatment-desk.sqlite3"
PROCEDURE_FILE = "procedures/laser-acne-scarring.toml"
PERMISSIONS_FILE = "procedures/permissions.toml"
PRE_USE_CHECK_FILE = "procedures/laser-pre-use-check.toml"
# The database files this PC's app has opened: if one goes missing, its absence is not a new clinic.
OPENED_DATABASES_FILE = "opened-databases.json"
_MAX_REMEMBERED = 20

log = logging.getLogger(__name__)


@functools.cache
def _resources_folder() -> Path:
    """Inside the package where it was installed from a wheel (or bundled); else the repository's
    resources/ beside the package, in a checkout or an editable install."""
    shipped = Path(str(importlib.resources.files("desk_app") / "resources"))
    return shipped if shipped.is_dir() else Path(__file__).resolve().parent.parent / "resources"


def resource_path(relative: str) -> Path:
    """A file of the app's resources (procedures, print templates, styles, sounds)."""
    return _resources_folder() / relative


def data_folder() -> Path:
    """The user's own data folder for the app, created on first use and open to its owner only
    (0700), whatever the umask: it holds the records and the error log. One made open to others by
    an older version is closed too."""
    folder = platformdirs.user_data_path(APP_NAME, APP_AUTHOR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)  # mkdir's mode is cut by the umask, and an existing folder keeps its own
    return folder


def default_database_url() -> str:
    return f"sqlite:///{data_folder() / DATABASE_FILE}"


def opened_databases() -> list[Path]:
    """The database files the app has opened on this PC (none if the list cannot be read)."""
    try:
        listed = json.loads((data_folder() / OPENED_DATABASES_FILE).read_text(encoding="utf-8"))
        return [Path(entry) for entry in listed if isinstance(entry, str)]
    except (OSError, ValueError, TypeError):
        return []


def remember_opened(database_file: Path) -> None:
    """Add a database file to the list (a server database needs no such memory)."""
    path = str(database_file.resolve())
    known = [str(entry) for entry in opened_databases() if str(entry) != path]
    listed = json.dumps([path, *known][:_MAX_REMEMBERED])
    target = data_folder() / OPENED_DATABASES_FILE
    working = target.with_name(f".{target.name}.new")
    try:
        fd = os.open(working, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(listed)
        os.replace(working, target)
    except OSError as error:
        log.warning("Could not remember the database %s: %s", path, error)
