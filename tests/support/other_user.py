"""A closed folder that is really closed: root opens any folder, so tests running as root act as
'nobody' while they look at one. The kernel then checks permissions as it would for any user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NOBODY = pwd.getpwnam("nobody")
AS_ROOT = os.geteuid() == 0


@contextmanager
def without_root() -> Iterator[None]:
    """As root, the effective user and group are nobody's for the block, with data and settings
    folders of nobody's own (the tests' are closed to nobody: the app's log and this PC's settings
    would say so); otherwise nothing changes."""
    if not AS_ROOT:
        yield
        return
    tests_folders = {name: os.environ.get(name) for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME")}
    with open_folder() as nobodys:
        for name in tests_folders:
            folder = nobodys / name.lower()
            folder.mkdir()
            os.environ[name] = str(for_nobody(folder))
        os.setegid(NOBODY.pw_gid)
        os.seteuid(NOBODY.pw_uid)
        try:
            yield
        finally:
            os.seteuid(0)
            os.setegid(0)
            for name, value in tests_folders.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def for_nobody(path: Path) -> Path:
    """`path` (a link itself, not what it points to) owned by nobody when the tests run as root."""
    if AS_ROOT:
        os.chown(path, NOBODY.pw_uid, NOBODY.pw_gid, follow_symlinks=False)
    return path


@contextmanager
def open_folder() -> Iterator[Path]:
    """A new folder nobody may reach and write in, unlike pytest's tmp_path (under a folder of
    root's that is 0700): a closed folder made in it is then the only thing in nobody's way."""
    folder = for_nobody(Path(tempfile.mkdtemp(prefix="desk-open-")))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for inside in folder.rglob("*"):
            if inside.is_dir() and not inside.is_symlink():
                inside.chmod(0o700)
        shutil.rmtree(folder)
