"""Which programs have a database file open for work, so that a restore can refuse while one does.

Each process that holds a connection to the file keeps a small file of its own in a hidden folder
beside the database, naming its PC, program, user and process, and holds an exclusive lock on it.
The lock goes with the process, however it ends (a kill, a power cut), so a file whose lock can be
taken is a stale one and is removed. A desk names itself in a temporary file and renames it into
place already locked: a restore never mistakes a desk that is starting for a stale one.

POSIX file locks (fcntl); on a system without them nothing is registered and nobody is found.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import logging
import os
import socket
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no fcntl
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


def presence_folder(database: Path) -> Path:
    return database.with_name(f".{database.name}.desks")


def _lock(fd: int) -> bool:
    """Take the exclusive lock without waiting; False if another process holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class Presence:
    """This process's mark on one database file, held while it has connections to it (counted, so
    several connections of one process, one per thread, share one mark)."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self._fd: int | None = None
        self._path: Path | None = None
        self._holders = 0
        self._guard = threading.Lock()

    @property
    def mark(self) -> Path | None:
        """This process's mark file, while it holds one."""
        return self._path

    def acquire(self) -> None:
        with self._guard:
            self._holders += 1
            if self._holders == 1 and fcntl is not None:
                try:
                    self._register()
                except BaseException:
                    self._holders -= 1  # the next connection tries again
                    raise

    def release(self) -> None:
        with self._guard:
            self._holders = max(0, self._holders - 1)
            if self._holders == 0 and self._fd is not None:
                if self._path is not None:
                    self._path.unlink(missing_ok=True)
                    with contextlib.suppress(OSError):  # others' marks are still in it
                        self._path.parent.rmdir()
                os.close(self._fd)
                self._fd = self._path = None

    def _register(self) -> None:
        folder = presence_folder(self.database)
        name = f"{socket.gethostname()}-{os.getpid()}-{id(self)}"
        working = folder / f".{name}.new"
        for _attempt in range(3):  # the last desk to close removes the folder: make it again
            try:
                folder.mkdir(mode=0o700, exist_ok=True)
                fd = os.open(working, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
                break
            except FileNotFoundError:
                continue
            except OSError as error:  # a folder we may not write in: the database open will say so
                log.warning("Could not mark %s as open here: %s", self.database, error)
                return
        else:
            log.warning("Could not mark %s as open here: its folder keeps vanishing", self.database)
            return
        try:
            self._write_mark(fd, folder, name, working)
        except BaseException as error:
            os.close(fd)
            working.unlink(missing_ok=True)
            if not isinstance(error, OSError):
                raise
            log.warning("Could not mark %s as open here: %s", self.database, error)

    def _write_mark(self, fd: int, folder: Path, name: str, working: Path) -> None:
        _lock(fd)  # our own new file: nobody else holds it
        about = {
            "pc": socket.gethostname(),
            "process": os.getpid(),
            "user": _user(),
            "program": Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python",
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.write(fd, json.dumps(about).encode())
        final = folder / name
        os.replace(working, final)  # in place already locked
        self._fd, self._path = fd, final


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this account (a container, a service)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def _describe(about: dict) -> str:
    return (
        f"{about.get('program', 'a program')} on {about.get('pc', 'a PC')} (user {about.get('user', '?')}, "
        f"process {about.get('process', '?')}, open since {about.get('since', '?')} UTC)"
    )


def programs_using(database: Path, ignore: Path | None = None) -> list[str]:
    """Who has the database open now, each described for a message; stale marks are removed.
    `ignore`: the caller's own mark (a command that has the file open itself)."""
    folder = presence_folder(database)
    if fcntl is None:
        return []
    try:
        marks = sorted(folder.iterdir())
    except FileNotFoundError:  # no desk has it open (the last one took the folder with it)
        return []
    found = []
    for mark in marks:
        if mark.name.startswith(".") or mark == ignore:
            continue  # a desk naming itself, or a half-made mark of one that was killed doing so
        try:
            fd = os.open(mark, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            if _lock(fd):
                mark.unlink(missing_ok=True)  # its process is gone
                continue
            with contextlib.suppress(ValueError):
                found.append(_describe(json.loads(os.read(fd, 4096) or b"{}")))
                continue
            found.append(f"a program ({mark.name})")
        finally:
            os.close(fd)
    return found
