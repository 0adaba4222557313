"""This PC's own settings: which database it opens and where it keeps its backups.

One INI file (QSettings), private to the PC's user, so that a shortcut needs no environment
variable. Its path is injectable (PcSettings(path)); by default it is in the user's config folder
(platformdirs: ~/.config/TreatmentDesk/desk.ini on Linux, %LOCALAPPDATA%\\AzureMedical\\TreatmentDesk
on Windows), so XDG_CONFIG_HOME moves it on Linux.

Whoever can write this file chooses which records the desk opens, so it is read only from a plain
file of the user's own (never a link, a folder or a FIFO, which would hang QSettings), made 0600 in
a 0700 folder, and written by QSettings through a temporary file renamed over it (atomic sync): a
kill halfway leaves the old file whole. A file that cannot be read is said, never guessed around:
the PC would otherwise open the default file where the clinic's server was meant.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from desk_app.paths import APP_AUTHOR, APP_NAME
from desk_app.store.database import DatabaseOpenError, check_database_file, sqlite_path_from_url
from desk_app.store.files import NO_FOLLOW, NO_WAIT
from desk_app.store.server_address import PostgresAddressError, checked_postgres_url, is_postgres_url

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

SETTINGS_FILE = "desk.ini"
DATABASE_ENV = "DESK_APP_DB"
DATABASE = "database"
BACKUP_FOLDER = "backup_folder"
# The names a person types (desk-app config set NAME) and the keys in the file.
NAMES = {"database": DATABASE, "backup-folder": BACKUP_FOLDER}
_MAX_BYTES = 64 * 1024  # a few lines: anything bigger is not this app's file
_FIX = "Correct it in a text editor, or delete it (the app then asks again where the records are)."


class SettingsError(Exception):
    """This PC's settings file cannot be used; the message names it and says how to put it right."""


def default_settings_path() -> Path:
    return platformdirs.user_config_path(APP_NAME, APP_AUTHOR) / SETTINGS_FILE


def _refuse_unusable_file(path: Path) -> set[str]:
    """Read the file's bytes (never blocking, never through a link) and refuse what QSettings would
    misread or hang on. A missing file passes: no settings yet. Returns the keys whose value has a
    lone backslash, which QSettings would read as an escape (see PcSettings._full_path)."""
    if os.path.islink(path):  # and O_NOFOLLOW below, where there is one, for a link made meanwhile
        raise SettingsError(
            f"This PC's settings file {path} is a link. Treatment Desk reads its settings only from "
            f"a file of its own: a link could send this PC to someone else's records. {_FIX}"
        )
    try:
        fd = os.open(path, os.O_RDONLY | NO_FOLLOW | NO_WAIT)
    except FileNotFoundError:
        return set()
    except OSError as error:
        raise SettingsError(f"This PC's settings file {path} cannot be read ({error.strerror}).") from None
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        os.close(fd)
        raise SettingsError(f"This PC's settings file {path} is not a file (a folder or a device?). {_FIX}")
    with os.fdopen(fd, "rb") as handle:
        if hasattr(os, "getuid") and status.st_uid != os.getuid():
            raise SettingsError(
                f"This PC's settings file {path} belongs to another user, who could choose which records "
                f"this desk opens. {_FIX}"
            )
        data = handle.read(_MAX_BYTES + 1)
    if len(data) > _MAX_BYTES or b"\0" in data:
        raise SettingsError(f"This PC's settings file {path} is not a settings file. {_FIX}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SettingsError(f"This PC's settings file {path} is damaged (not text). {_FIX}") from None
    misescaped = set()
    for number, line in enumerate(text.splitlines(), 1):
        if not _reads_as_ini(line.strip()):
            raise SettingsError(
                f"This PC's settings file {path} cannot be read as settings (line {number}). {_FIX}"
            )
        key, _, value = line.partition("=")
        if "\\" in value.replace("\\\\", "").replace('\\"', ""):  # not an escaped \ or "
            misescaped.add(key.strip())
    return misescaped


def _reads_as_ini(line: str) -> bool:
    """A line QSettings reads without a FormatError: blank, a ';' comment, a [section] or key=value.
    Checked here because Qt keeps each file it parsed for the rest of the process, and tells of a
    FormatError only the first QSettings that parsed it."""
    if not line or line.startswith(";"):
        return True
    return "]" in line if line.startswith("[") else "=" in line


class RefusedValue(ValueError):
    """The value cannot be a setting; the message says why."""


def checked_database_address(address: str) -> str:
    """The address as it is kept: a server's in the postgresql:// form, a file's as a full path (a
    shortcut starts in any folder). Raises RefusedValue for what the app would refuse to open."""
    address = address.strip()
    if not address:
        raise RefusedValue("Say which database: a file path or postgresql://USER@HOST:PORT/NAME.")
    try:
        if is_postgres_url(address):
            from desk_app.store.postgres import ClinicPostgresDatabase  # psycopg: a server's only

            ClinicPostgresDatabase(address)  # checks the address as --db does; connects to nothing
            return checked_postgres_url(address)
        path = Path(os.path.abspath(sqlite_path_from_url(address)))
        check_database_file(path)
    except (DatabaseOpenError, PostgresAddressError) as error:
        raise RefusedValue(str(error)) from None
    except OSError as error:
        raise RefusedValue(f"{address} cannot be read ({error.strerror}).") from None
    return str(path)


def checked_backup_folder(folder: str) -> Path:
    """An existing folder, as a full path."""
    path = Path(os.path.abspath(Path(folder.strip()).expanduser()))
    if not folder.strip() or not path.is_dir():
        raise RefusedValue(f"{path} is not an existing folder (is the disk plugged in?).")
    return path


class PcSettings:
    """This PC's settings in one INI file; every read checks the file, every write syncs it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_settings_path()
        self._misescaped: set[str] = set()  # keys of the file's last read whose value QSettings misreads

    def _private_folder(self) -> None:
        folder = self.path.parent
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if hasattr(os, "getuid") and folder.stat().st_uid == os.getuid():
                folder.chmod(0o700)  # mkdir's mode is cut by the umask; an older folder keeps its own
        except OSError as error:
            raise SettingsError(
                f"The folder of this PC's settings, {folder}, cannot be used ({error})."
            ) from None

    def _settings(self) -> QSettings:
        # Qt is imported at the first read, not with this module: `desk-app` imports the store and
        # the domain before it, and PySide's import hook reads the source of each module after it.
        from PySide6.QtCore import QSettings

        self._misescaped = _refuse_unusable_file(self.path)
        settings = QSettings(str(self.path), QSettings.Format.IniFormat)
        settings.allKeys()  # the file is parsed, and its status known, at the first read
        if settings.status() != QSettings.Status.NoError:
            raise SettingsError(f"This PC's settings file {self.path} cannot be read as settings. {_FIX}")
        return settings

    def _text(self, key: str) -> str | None:
        """The value as written, None when not set. Read raw and checked, not with type=str: that
        turns a list (a line with a comma) or an unknown @Variant into '' without a word."""
        value = self._settings().value(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise SettingsError(
                f"The setting {key} in this PC's settings file {self.path} is not one value "
                f"(a comma makes a list: put the value in double quotes). {_FIX}"
            )
        return value

    def database(self) -> str | None:
        """The database address this PC opens (a file path or a URL), None when not set."""
        address = self._text(DATABASE)
        if address is not None and not is_postgres_url(address):
            try:
                path = sqlite_path_from_url(address)
            except DatabaseOpenError as error:
                raise SettingsError(f"This PC's settings file {self.path}: {error} {_FIX}") from None
            self._full_path(DATABASE, address, path)
        return address

    def backup_folder(self) -> Path | None:
        """The folder where this PC keeps a database file's backups and checkpoints, None when not set."""
        folder = self._text(BACKUP_FOLDER)
        return (
            self._full_path(BACKUP_FOLDER, folder, Path(folder).expanduser()) if folder is not None else None
        )

    def _full_path(self, key: str, value: str, path: Path) -> Path:
        """`path` when it is a full one, as `config set` writes it. A value typed into the file by hand
        may not be: QSettings reads a backslash as an escape ('C:\\ClinicData' comes back as
        'C:linicData'), and a relative path depends on the folder a shortcut starts in. Either would
        open, or make, another database: refused, with how to write it."""
        if key in self._misescaped or not path.is_absolute() or any(ord(c) < 32 for c in value):
            raise SettingsError(
                f"The setting {key} in this PC's settings file {self.path} is not a full path "
                f"({value!r}). Set it with desk-app config set, or write it with / instead of \\ "
                f"(a single \\ starts an escape in this file). {_FIX}"
            )
        return path

    def unknown_keys(self) -> list[str]:
        """What the file holds that this version does not read (a typing error, or a newer version's)."""
        return [key for key in self._settings().allKeys() if key not in (DATABASE, BACKUP_FOLDER)]

    def set_database(self, address: str) -> str:
        """Keep `address` once checked (RefusedValue: nothing changes); returns it as kept."""
        kept = checked_database_address(address)
        self._write(DATABASE, kept)
        return kept

    def set_backup_folder(self, folder: str | Path) -> Path:
        """Keep `folder` once checked (RefusedValue: nothing changes); returns it as kept."""
        kept = checked_backup_folder(str(folder))
        self._write(BACKUP_FOLDER, str(kept))
        return kept

    def unset(self, key: str) -> None:
        self._write(key, None)

    def _write(self, key: str, value: str | None) -> None:
        """Set (or, with None, remove) one value; the file is private before anything is in it."""
        self._private_folder()
        # A file that cannot be read is not rewritten (QSettings writes it all anew), but the value
        # being set or cleared may be the one that could not be read: that is how it is put right.
        for other, read in ((DATABASE, self.database), (BACKUP_FOLDER, self.backup_folder)):
            if other != key:
                read()
        settings = self._settings()
        try:  # QSettings' temporary file takes the existing file's mode
            os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            pass
        except OSError as error:
            raise SettingsError(
                f"This PC's settings file {self.path} cannot be written ({error.strerror})."
            ) from None
        if value is None:
            settings.remove(key)
        else:
            settings.setValue(key, value)
        settings.sync()
        if settings.status() != settings.Status.NoError:
            raise SettingsError(
                f"This PC's settings file {self.path} cannot be written. Nothing was changed."
            )
        if hasattr(os, "getuid"):
            self.path.chmod(0o600)


FROM_OPTION = "--db"
FROM_ENVIRONMENT = f"${DATABASE_ENV}"
FROM_SETTINGS = "this PC's settings"
FROM_DEFAULT = "not set: the default file in this user's data folder"


@dataclass(frozen=True)
class DatabaseChoice:
    """The database address chosen and where the choice comes from; `address` None: the default."""

    address: str | None
    source: str


def chosen_database(
    explicit: str | None, settings: PcSettings, environ: Mapping[str, str] = os.environ
) -> DatabaseChoice:
    """--db, else $DESK_APP_DB, else this PC's setting, else none (the default file). The settings
    file is read only when needed: a broken one does not stop a command given --db (but for
    export and the window, which must also know this PC's backup folder)."""
    if explicit:
        return DatabaseChoice(explicit, FROM_OPTION)
    if from_environment := environ.get(DATABASE_ENV):
        return DatabaseChoice(from_environment, FROM_ENVIRONMENT)
    if (configured := settings.database()) is not None:
        return DatabaseChoice(configured, FROM_SETTINGS)
    return DatabaseChoice(None, FROM_DEFAULT)
