"""A throwaway PostgreSQL server on loopback for the test run: `python -m tests.support.pg_server -- CMD`.

It starts a server in a temporary folder (no disk syncs: nothing in it outlives the run), runs CMD
with DESK_APP_TEST_PG_URL pointing at it, then stops the server and removes the folder. When no
server can be started, CMD still runs, with DESK_APP_TEST_PG_SKIP saying why: the PostgreSQL tests
are then skipped with that reason, or fail if DESK_APP_TEST_POSTGRES=required (as in CI).

initdb refuses to run as root, so under root the server runs as the `postgres` account that
Debian's package creates.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

URL_VARIABLE = "DESK_APP_TEST_PG_URL"
SKIP_VARIABLE = "DESK_APP_TEST_PG_SKIP"
REQUIRED_VARIABLE = "DESK_APP_TEST_POSTGRES"
USER = "desk_test"  # the server's superuser: makes and empties the tests' databases
DATABASE = "desk_test"
# As in a clinic (README): the login that owns the tables and migrates, and the desks' login.
OWNER = "clinic_owner"
DESK = "clinic_desk"
_FAST_AND_FORGETFUL = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class ServerUnavailable(Exception):
    """No PostgreSQL server could be started here; the message says why."""


def _server_binaries() -> Path:
    """The folder holding initdb and pg_ctl: on PATH, or Debian's newest /usr/lib/postgresql/N/bin."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    installed = Path("/usr/lib/postgresql").glob("*/bin/initdb")
    versions = sorted(installed, key=lambda initdb: int(initdb.parent.parent.name))
    if not versions:
        raise ServerUnavailable("PostgreSQL's server programs are not installed (apt-get install postgresql)")
    return versions[-1].parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run_as() -> str | None:
    """Who runs the server: ourselves, or `postgres` when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise ServerUnavailable("running as root, with no 'postgres' account to run the server") from None
    return "postgres"


@contextmanager
def running_server() -> Iterator[str]:
    """Start a server, yield its URL, and stop it (and remove its folder) whatever happens."""
    binaries, account = _server_binaries(), _run_as()
    folder = Path(tempfile.mkdtemp(prefix="desk-pg-"))
    data = folder / "data"
    if account:
        shutil.chown(folder, account)
    port = _free_port()

    def run(*command: str) -> None:
        done = subprocess.run(command, user=account, capture_output=True, text=True, cwd=folder)
        if done.returncode:
            raise ServerUnavailable(f"{Path(command[0]).name} failed: {(done.stderr or done.stdout).strip()}")

    try:
        # Trust on loopback only, for a server that lives as long as one test run.
        run(str(binaries / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "--locale=C.UTF-8")
        settings = " ".join(f"-c {setting}" for setting in _FAST_AND_FORGETFUL)
        options = f"-h 127.0.0.1 -p {port} -k {folder} {settings}"
        log = str(folder / "log")
        run(str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", log, "-w", "start")
        try:
            run(str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, DATABASE)
            url = f"postgresql://{USER}@127.0.0.1:{port}/{DATABASE}"
            _create_logins(url)
            yield url
        finally:
            run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _create_logins(url: str) -> None:
    """The owner's and the desks' logins, made once for the whole run (roles belong to the server)."""
    with psycopg.connect(url, autocommit=True) as admin:
        for login in (OWNER, DESK):
            admin.execute(f"CREATE ROLE {login} LOGIN")


def main(command: list[str]) -> int:
    environment, returncode = dict(os.environ), None
    try:
        with running_server() as url:
            environment[URL_VARIABLE] = url
            print(f"PostgreSQL test server: {url}", flush=True)
            returncode = subprocess.run(command, env=environment).returncode
    except ServerUnavailable as reason:
        if returncode is not None:  # the tests ran; only stopping the server failed
            print(f"The PostgreSQL test server did not stop cleanly: {reason}", flush=True)
            return returncode
        print(f"No PostgreSQL test server ({reason}): its tests will be skipped.", flush=True)
        environment[SKIP_VARIABLE] = str(reason)
        returncode = subprocess.run(command, env=environment).returncode
    return returncode


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(main(arguments[1:] if arguments[:1] == ["--"] else arguments))
