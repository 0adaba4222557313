"""Where things live: the bundled resources and the user's data folder."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "TreatmentDesk"
APP_AUTHOR = "AzureMedical"
DATABASE_FILE = "treatment-desk.sqlite3"
PROCEDURE_FILE = "procedures/laser-acne-scarring.toml"


def resource_path(relative: str) -> Path:
    """A file under resources/: beside the package in a checkout or an editable install."""
    return Path(__file__).resolve().parent.parent / "resources" / relative


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
