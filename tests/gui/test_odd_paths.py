"""Odd paths as --db: a FIFO, a device, a folder, a closed folder, a dangling link, a file where a
folder should be and a 5,000-character path. Every command and the app's start say what is wrong
and exit non-zero within 2 seconds, without a traceback, and create nothing.

In-process through desk_app.cli.main (quick; a closed folder is looked at as 'nobody' when the tests
run as root), and as a real process the FIFO that made `audit verify` hang.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desk_app import app, cli
from desk_app.paths import resource_path
from tests.support.other_user import open_folder, without_root

REPO = Path(__file__).resolve().parents[2]
WITHIN_SECONDS = 2.0

COMMANDS = {
    "start": [],
    "demo": ["demo"],
    "export": ["export", "session", "1", "--pdf", "{folder}/record.pdf"],
    "unlock": ["unlock", "AA"],
    "backup": ["backup", "{folder}"],
    "restore": ["restore", "{folder}/backup.sqlite3"],
    "check": ["check"],
    "migrate-to": ["migrate-to", "postgresql://owner@127.0.0.1:9/treatment_desk", "--desk-login", "desk"],
    "audit": ["audit", "verify"],
}


@dataclass(frozen=True)
class OddPath:
    """A path given as --db, and what the message must say about it."""

    path: Path
    says: str


def _fifo(folder: Path) -> OddPath:
    os.mkfifo(folder / "pipe")
    return OddPath(folder / "pipe", "is a named pipe (FIFO), not a database file")


def _device(_folder: Path) -> OddPath:
    return OddPath(Path("/dev/null"), "/dev/null is a device, not a database file")


def _folder(folder: Path) -> OddPath:
    (folder / "records").mkdir()
    return OddPath(folder / "records", "is a folder, not a database file")


def _closed_folder(folder: Path) -> OddPath:
    closed = folder / "closed"
    closed.mkdir(mode=0o000)
    return OddPath(closed / "desk.sqlite3", f"the folder {closed} is closed to this user (permission denied)")


def _dangling_link(folder: Path) -> OddPath:
    (folder / "desk.sqlite3").symlink_to(folder / "moved.sqlite3")
    return OddPath(folder / "desk.sqlite3", f"is a link to {folder / 'moved.sqlite3'}, which does not exist")


def _under_a_file(folder: Path) -> OddPath:
    (folder / "notes.txt").write_text("not a folder")
    return OddPath(folder / "notes.txt" / "desk.sqlite3", f"{folder / 'notes.txt'} is a file, not a folder")


def _very_long(folder: Path) -> OddPath:
    path = folder.joinpath(*["a folder with a long name"] * 200, "desk.sqlite3")
    assert len(str(path)) > 5000
    return OddPath(path, f"is too long ({len(str(path)):,} characters)")


ODD_PATHS: dict[str, Callable[[Path], OddPath]] = {
    "fifo": _fifo,
    "device": _device,
    "folder": _folder,
    "closed-folder": _closed_folder,
    "dangling-link": _dangling_link,
    "under-a-file": _under_a_file,
    "5000-characters": _very_long,
}


@pytest.fixture
def folder() -> Iterator[Path]:
    with open_folder() as made:
        yield made


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The messages the app would show in a box at start-up (the box itself would wait for a click)."""
    messages: list[str] = []
    monkeypatch.setattr(app.QMessageBox, "critical", lambda _parent, _title, text: messages.append(text))
    return messages


def contents(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@pytest.mark.timeout(10)  # a FIFO opened for reading waits for ever: fail, do not hang
@pytest.mark.parametrize("odd", ODD_PATHS)
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_and_the_start_say_what_is_wrong_with_an_odd_database_path(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    shown: list[str],
    folder: Path,
    command: str,
    odd: str,
) -> None:
    monkeypatch.delenv(cli.DATABASE_ENV, raising=False)
    given = ODD_PATHS[odd](folder)
    before = contents(folder)
    args = [arg.format(folder=folder) for arg in COMMANDS[command]]

    # Found as root first: importlib.resources imports its readers lazily, from a Python under /root
    # that 'nobody' cannot read (the lookup is cached for the process, as in the app).
    resource_path("styles")
    started = time.monotonic()
    with without_root():
        code = cli.main([*args, "--db", str(given.path)])
    took = time.monotonic() - started

    said = capsys.readouterr()
    assert code == 2
    assert took < WITHIN_SECONDS
    if command == "start":
        (message,) = shown
    else:
        assert said.err.startswith(f"desk-app {args[0]}: ")
        message = said.err
        assert said.out == ""
    assert given.says in message
    assert "Traceback" not in said.err + said.out
    assert contents(folder) == before  # nothing made, not even where the link points


def test_audit_verify_on_a_fifo_says_so_at_once_as_a_real_process(folder: Path) -> None:
    pipe = _fifo(folder)
    env = {key: value for key, value in os.environ.items() if key != cli.DATABASE_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "desk_app", "audit", "verify", "--db", str(pipe.path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode == 2
    assert done.stderr == f"desk-app audit: {pipe.path} is a named pipe (FIFO), not a database file.\n"
    assert done.stdout == ""
    assert stat.S_ISFIFO(pipe.path.stat().st_mode)
