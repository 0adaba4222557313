"""'Test connection': what a desk would find at a PostgreSQL address, before this PC is set to it."""

from __future__ import annotations

from peewee import PeeweeException

from desk_app.store.database import DatabaseOpenError, open_database
from desk_app.store.errors import error_for_log
from desk_app.store.migrations import schema_version
from desk_app.store.models import ClinicSetting
from desk_app.store.server_address import describe, is_postgres_url

SERVER_FORM = "postgresql://USER@HOST:PORT/NAME"


def check_server(url: str) -> str:
    """Open the server's database exactly as a desk does (which never creates or migrates one: the
    address, the encryption, the desks' login and the schema are all checked), say what is there in
    a sentence, and close it. Raises DatabaseOpenError saying why a desk could not use it. The wait is
    bounded by the desk's own connect and answer timeouts (postgres.py: a few seconds)."""
    if not is_postgres_url(url):
        raise DatabaseOpenError(f"A server's address starts with postgresql://: {SERVER_FORM}.")
    db = open_database(url)
    try:
        version = schema_version(db)
        name = ClinicSetting.select(ClinicSetting.value).where(ClinicSetting.key == "clinic.name").scalar(db)
    except PeeweeException as error:  # the connection lost, or a right missing, after it opened
        raise DatabaseOpenError(
            f"{describe(url)} opened, then could not be read: {error_for_log(error)}."
        ) from None
    finally:
        db.close()
    clinic = f"the clinic {name!r}" if name else "a clinic whose details are not filled in yet"
    return f"Connected to {describe(url)}: a Treatment Desk database at schema {version}, of {clinic}."
