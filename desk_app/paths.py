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
    """The user's own data folder for the app, created on first use."""
    folder = platformdirs.user_data_path(APP_NAME, APP_AUTHOR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def default_database_url() -> str:
    return f"sqlite:///{data_folder() / DATABASE_FILE}"
