"""Run the one-folder bundle as a clinic PC would, with no Python: `make bundle` ends with it.

    python -m tests.support.bundle_smoke [dist/treatment-desk]

The bundle's programs run in a bare environment (PATH=/usr/bin:/bin, no PYTHONPATH, no VIRTUAL_ENV,
HOME and the XDG folders in a new temporary folder, so no data folder of this machine is touched):
  1. `desk-app demo --db X` makes a demo clinic;
  2. `desk-app export session 1 --db X --pdf F` writes a PDF (it starts with %PDF);
  3. `desk-app check --db X` finds the file intact;
  4. `treatment-desk --db X` opens its window off screen (QT_QPA_PLATFORM=offscreen). It has come up
     when it has marked the database as open by it (the presence file a desk keeps beside the
     database while it works, naming its process): that is after the procedure, the database and
     the window's desk were built. It must then stay up, with its event loop running, for a few
     seconds more; then it is terminated. On Linux, the libraries it has loaded are checked too:
     Qt from the bundle, and nothing from this checkout's virtual environment or any Python outside
     the bundle. (Windows has no presence marks: there SQLite's -wal file beside the database is
     the sign; written for Windows but run on Linux only so far.)
Any failure ends the run with a non-zero status and the reason. Not part of `make test` (the build
takes a minute).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

WINDOWS = sys.platform == "win32"
EXE = ".exe" if WINDOWS else ""
STARTS_WITHIN = 60.0  # seconds for the window's program to open the database (a cold disk)
STAYS_UP_FOR = 4.0  # seconds it must then keep running
COMMAND_TIMEOUT = 300.0


class SmokeFailure(Exception):
    """The bundle failed a step; the message says which and why."""


def bare_environment(home: Path) -> dict[str, str]:
    """What a desktop session gives a program it starts, with nothing of this checkout's Python."""
    folders = {
        "XDG_DATA_HOME": home / "data",
        "XDG_CONFIG_HOME": home / "config",
        "XDG_CACHE_HOME": home / "cache",
        "XDG_STATE_HOME": home / "state",
        "XDG_RUNTIME_DIR": home / "runtime",
    }
    for folder in folders.values():
        folder.mkdir(mode=0o700, parents=True)
    environment = {
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
        **{name: str(folder) for name, folder in folders.items()},
    }
    if WINDOWS:  # the system's own folders; the data folder is the account's (AppData\Local)
        system_root = os.environ.get("SYSTEMROOT", r"C:\Windows")
        environment |= {"SYSTEMROOT": system_root, "PATH": rf"{system_root}\system32;{system_root}"}
        environment |= {"USERPROFILE": str(home), "TEMP": str(home), "TMP": str(home)}
    else:
        environment["PATH"] = "/usr/bin:/bin"
    return environment


def run_command(program: Path, arguments: list[str], environment: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [str(program), *arguments],
        env=environment,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=COMMAND_TIMEOUT,
    )
    shown = f"{program.name} {' '.join(arguments)}"
    if done.returncode != 0 or "Traceback" in done.stderr:
        raise SmokeFailure(f"`{shown}` ended with {done.returncode}:\n{done.stdout}\n{done.stderr}")
    print(f"ok: {shown}: {done.stdout.strip().splitlines()[-1][:100] if done.stdout.strip() else ''}")
    return done.stdout


def presence_of(process: subprocess.Popen[str], database: Path) -> Path | None:
    """The mark the window's program keeps beside the database while it has it open, if it has one."""
    folder = database.with_name(f".{database.name}.desks")
    for mark in folder.glob("*") if folder.is_dir() else ():
        try:
            if json.loads(mark.read_text(encoding="utf-8")).get("process") == process.pid:
                return mark
        except (OSError, ValueError, AttributeError):
            continue
    return None


def foreign_libraries(process: subprocess.Popen[str], bundle: Path) -> list[str]:
    """Files the process has mapped from a Python outside the bundle: this checkout's virtual
    environment, any site-packages, a standard library, a libpython (Linux only: /proc)."""
    maps = Path(f"/proc/{process.pid}/maps")
    if not maps.exists():
        return []
    pythons = [Path(sys.prefix).resolve(), Path(sysconfig.get_paths()["stdlib"]).resolve()]
    loaded = {Path(line.split(maxsplit=5)[-1]) for line in maps.read_text().splitlines() if " /" in line}
    if not any(path.is_relative_to(bundle / "_internal" / "PySide6") for path in loaded):
        return [f"(no Qt library from {bundle} among the {len(loaded)} files mapped: which Qt is this?)"]
    return sorted(
        str(path)
        for path in loaded
        if not path.is_relative_to(bundle)
        and (
            any(path.is_relative_to(python) for python in pythons)
            or {"site-packages", "dist-packages"} & set(path.parts)
            or path.name.startswith("libpython")
        )
    )


def has_opened(process: subprocess.Popen[str], database: Path) -> bool:
    """The window's program has the database open: its presence mark is beside the database (POSIX
    file locks), or on Windows, which has none, SQLite's write-ahead log is there (the commands
    before it closed theirs, which removes it)."""
    if WINDOWS:
        return database.with_name(f"{database.name}-wal").exists()
    return presence_of(process, database) is not None


def check_window_stays_up(program: Path, database: Path, environment: dict[str, str], bundle: Path) -> None:
    process = subprocess.Popen(
        [str(program), "--db", str(database)],
        env=environment,
        cwd=database.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    try:
        deadline = time.monotonic() + STARTS_WITHIN
        while not has_opened(process, database) and process.poll() is None:
            if time.monotonic() > deadline:
                raise SmokeFailure(f"the window did not open {database.name} within {STARTS_WITHIN:.0f} s")
            time.sleep(0.2)
        time.sleep(STAYS_UP_FOR)
        if process.poll() is not None:
            _, errors = process.communicate()
            raise SmokeFailure(f"the window's program ended by itself with {process.returncode}:\n{errors}")
        if not has_opened(process, database):
            raise SmokeFailure(f"the window's program no longer has {database.name} open")
        if foreign := foreign_libraries(process, bundle):
            raise SmokeFailure("the bundle loaded libraries from outside it:\n" + "\n".join(foreign))
    finally:
        process.terminate()
        try:
            _, errors = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            _, errors = process.communicate()
    if "Traceback" in errors:
        raise SmokeFailure(f"the window's program wrote a traceback:\n{errors}")
    print(f"ok: {program.name} --db {database.name}: the window came up and stayed up {STAYS_UP_FOR:.0f} s")


def folder_size(folder: Path) -> tuple[int, int]:
    files = [path for path in folder.rglob("*") if path.is_file() and not path.is_symlink()]
    return sum(path.stat().st_size for path in files), len(files)


def smoke(bundle: Path) -> None:
    gui, cli = bundle / f"treatment-desk{EXE}", bundle / f"desk-app{EXE}"
    for program in (gui, cli):
        if not program.is_file():
            raise SmokeFailure(f"{program} is missing: run `make bundle` first")
    with tempfile.TemporaryDirectory(prefix="treatment-desk-smoke-") as temporary:
        work = Path(temporary)
        environment = bare_environment(work / "home")
        database, pdf = work / "clinic.sqlite3", work / "session-1.pdf"
        run_command(cli, ["demo", "--db", str(database)], environment, work)
        run_command(
            cli, ["export", "session", "1", "--db", str(database), "--pdf", str(pdf)], environment, work
        )
        if not pdf.is_file() or not pdf.read_bytes().startswith(b"%PDF"):
            raise SmokeFailure(f"export wrote no PDF at {pdf}")
        if "intact" not in run_command(cli, ["check", "--db", str(database)], environment, work):
            raise SmokeFailure("check did not find the demo clinic intact")
        check_window_stays_up(gui, database, environment, bundle)


def main() -> int:
    bundle = Path(sys.argv[1] if len(sys.argv) > 1 else "dist/treatment-desk").resolve()
    try:
        smoke(bundle)
    except (SmokeFailure, OSError, subprocess.SubprocessError) as failure:
        print(f"BUNDLE SMOKE TEST FAILED: {failure}", file=sys.stderr)
        return 1
    size, count = folder_size(bundle)
    print(f"Bundle smoke test passed. {bundle}: {size / 1e6:.0f} MB in {count} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
