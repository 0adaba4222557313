"""Files that hold patient records: made readable by their owner only, from the first byte.

And the words for a path that cannot hold one: a manager reads them, not a traceback.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from itertools import pairwise
from pathlib import Path

APPLICATION_ID = 0x54444553  # "TDES": marks a SQLite file as a Treatment Desk database
# The files SQLite keeps beside a database: never a target, and moved with it.
SIDE_FILES = ("-wal", "-shm", "-journal")
_SHOWN_LENGTH = 120  # a path longer than this is shown cut in the middle
_NOT_REGULAR = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


# The first bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"

# Open flags Windows lacks: there a link takes an administrator to make and a FIFO cannot sit in a
# folder, so the plain open is what is left (README, "Windows"). Everywhere else: never through a
# link, and never waiting on a FIFO put in a file's place.
NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
NO_WAIT = getattr(os, "O_NONBLOCK", 0)


def close_to_others(descriptor: int) -> None:
    """Mode 0600, whatever the umask or an older version left. Only where files have modes: on
    Windows (os.fchmod from Python 3.13) a mode sets only the read-only flag, and the user's own
    folders keep others out."""
    if os.name == "posix":
        os.fchmod(descriptor, 0o600)


def read_only_uri(path: Path) -> str:
    """The file as a read-only SQLite URI: nothing opened with it can write to the file.
    (as_uri() escapes '#', '?' and '%', which would otherwise cut the path short.)"""
    return f"{path.resolve().as_uri()}?mode=ro"


def read_only_connection(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(read_only_uri(path), uri=True)


def sync_folder(folder: Path) -> None:
    """Make renames in `folder` durable before the next step relies on them. Windows cannot open a
    folder to sync it; NTFS journals its renames itself."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600; refuse (FileExistsError) if it is already there."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def open_private_append(path: Path) -> int:
    """A descriptor appending to `path`, created if missing and made 0600 either way (a file made
    under a loose umask, or by an older version, is closed to others too); never through a link, and
    never a FIFO, a folder or a device put in its place (OSError, without waiting on a FIFO)."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | NO_FOLLOW | NO_WAIT  # a FIFO would wait
    descriptor = os.open(path, flags, 0o600)
    try:
        if (kind := not_a_file(os.fstat(descriptor).st_mode)) is not None:
            raise OSError(errno.EINVAL, f"{path} is {kind}, not a file")
        close_to_others(descriptor)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def not_a_file(mode: int) -> str | None:
    """What a path with this `st_mode` is when it is not a regular file ('a folder', 'a device'...),
    for a message; None for a regular file."""
    for test, kind in _NOT_REGULAR:
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) else "not a regular file"


def shown_path(path: Path) -> str:
    """`path` for a message, cut in the middle when it is too long to read."""
    text = str(path)
    if len(text) <= _SHOWN_LENGTH:
        return text
    return f"{text[: _SHOWN_LENGTH // 2]}…{text[-_SHOWN_LENGTH // 2 :]}"


def unreachable(path: Path, error: OSError) -> str:
    """Why looking at `path` failed with `error`, naming the folder or file in the way."""
    shown = shown_path(path)
    if error.errno == errno.ENAMETOOLONG:
        length = len(str(path))
        return f"The path {shown} is too long ({length:,} characters): a name may have 255, a path 4,096."
    if error.errno == errno.EACCES:
        folder = _where_the_way_stops(path)
        return f"{shown} cannot be reached: the folder {folder} is closed to this user (permission denied)."
    if error.errno == errno.ENOTDIR:
        return f"{shown} cannot be reached: {_where_the_way_stops(path)} is a file, not a folder."
    if error.errno == errno.ELOOP:
        return f"{shown} cannot be reached: its symbolic links lead round in a circle."
    return f"{shown} cannot be reached ({error.strerror or error})."


def _where_the_way_stops(path: Path) -> Path:
    """The folder that may not be opened, or the file standing where a folder should be, on the way
    from the root to `path`."""
    way = [*reversed(path.absolute().parents), path.absolute()]
    for folder, step in pairwise(way):
        try:
            status = os.stat(step)
        except OSError:
            return folder
        if step != way[-1] and not stat.S_ISDIR(status.st_mode):
            return step
    return path
