"""The package as pip builds it carries its resources (issue 19, point 1): the wheel, installed in a new
virtual environment away from the checkout, finds its procedure, permissions, print templates, style
and sound, and its `desk-app` builds a demo, exports a record and checks the file. Before, `pip install .`
gave an app that stopped at "Procedure file laser-acne-scarring.toml: cannot be read"."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from desk_app.domain.credentials import PIN_COST
from desk_app.store.demo import DEMO_PIN

REPO = Path(__file__).resolve().parents[2]
# One worker builds the wheel and the environment once for the whole module.
pytestmark = pytest.mark.xdist_group("wheel")

# Run from the unpacked wheel, in a folder with no checkout: every resource the app reads at work.
USES_EVERY_RESOURCE = """
import sys
from pathlib import Path
import desk_app
from desk_app.domain.procedure import load_procedure
from desk_app.paths import PERMISSIONS_FILE, PRE_USE_CHECK_FILE, PROCEDURE_FILE, resource_path
from desk_app.domain.pre_use_check import load_pre_use_checklist
from desk_app.domain.permissions import load_permissions

assert Path(desk_app.__file__).is_relative_to(Path(sys.argv[1])), desk_app.__file__  # not the checkout
procedure = load_procedure(resource_path(PROCEDURE_FILE))
load_permissions(resource_path(PERMISSIONS_FILE), procedure)
load_pre_use_checklist(resource_path(PRE_USE_CHECK_FILE))
assert resource_path("print/session_record.html.j2").is_file()
assert resource_path("styles/desk.qss").read_text(encoding="utf-8")
assert resource_path("sounds/alert.wav").stat().st_size > 0
print(procedure.title, procedure.version)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy of what pip reads: building in the checkout leaves a build/ folder whose
    old files a later build would reuse."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__")
    for folder in ("desk_app", "resources"):
        shutil.copytree(REPO / folder, source / folder, ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("desk_app-*.whl")
    return built


def test_the_wheel_carries_the_resources_and_no_screenshots(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    resources = REPO / "resources"
    shipped = {
        f"desk_app/resources/{file.relative_to(resources).as_posix()}"
        for file in resources.rglob("*")
        if file.is_file() and not {"screenshots", "install", "__pycache__"} & set(file.parts)
    }
    assert {
        "desk_app/resources/procedures/laser-acne-scarring.toml",
        "desk_app/resources/icons/treatment-desk.ico",
    } <= shipped
    assert shipped <= names, f"left out of the wheel: {sorted(shipped - names)}"
    assert not [name for name in names if "screenshots" in name], "the README's pictures stay out"
    assert not [name for name in names if "resources/install" in name], "the installers stay out"
    # pyproject.toml lists the packages by hand (resources/ is mapped into one): a new one must be added.
    packages = {str(init.relative_to(REPO)) for init in (REPO / "desk_app").rglob("__init__.py")}
    assert packages <= names, f"left out of the wheel: {sorted(packages - names)}"


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with the wheel installed by pip, as a clinic PC would have it.

    Its dependencies (PySide6 alone is some 400 MB) are lent by this environment's site-packages
    through a .pth line, which puts that folder on the path without running its own .pth files: the
    checkout's editable install stays out, so `desk_app` can only come from the wheel. A full install
    from the package index is what `make bundle` and the README's steps do."""
    environment = tmp_path_factory.mktemp("venv") / "clinic-pc"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(environment)], check=True)
    python = environment / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "dependencies-lent-by-the-test.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps"]
        + ["--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    return environment


def _run(environment: Path, program: str, *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A program of the environment, from a folder away from the checkout, with no PYTHONPATH, and
    its data folder (its log) in `cwd`."""
    bare = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    bare["XDG_DATA_HOME"] = str(cwd / "data")
    return subprocess.run(
        [str(environment / "bin" / program), *arguments], cwd=cwd, env=bare, capture_output=True, text=True
    )


def test_the_installed_package_reads_its_resources_away_from_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    done = _run(installed, "python", "-c", USES_EVERY_RESOURCE, str(installed), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "acne" in done.stdout.casefold()


def test_the_installed_desk_app_builds_a_demo_exports_a_record_and_checks_the_file(
    installed: Path, tmp_path: Path
) -> None:
    database = tmp_path / "demo.sqlite3"
    demo = _run(installed, "desk-app", "demo", "--db", str(database), cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert "Demo database created" in demo.stdout

    record = tmp_path / "record.pdf"
    export = _run(
        installed,
        "desk-app",
        "export",
        "session",
        "1",
        "--db",
        str(database),
        "--pdf",
        str(record),
        cwd=tmp_path,
    )
    assert export.returncode == 0, export.stderr
    assert record.read_bytes().startswith(b"%PDF")

    check = _run(installed, "desk-app", "check", "--db", str(database), cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "intact" in check.stdout

    # The demo's accounts are kept at the clinic's real PIN cost, and the printed PIN opens them.
    with sqlite3.connect(database) as connection:
        pin_hashes = {row[0] for row in connection.execute("SELECT pin_hash FROM staff_credential")}
        patients = connection.execute(
            "SELECT given_names, family_name, clinic_number, date_of_birth FROM patient"
        ).fetchall()
    (pin_hash,) = pin_hashes  # one hash of the one demo PIN serves every account
    assert f"m={PIN_COST.memory_kib},t={PIN_COST.iterations}" in pin_hash
    assert PasswordHasher().verify(pin_hash, DEMO_PIN)

    # The log of all three commands names no patient of the demo, and no secret.
    log = (tmp_path / "data" / "TreatmentDesk" / "treatment-desk.log").read_text(encoding="utf-8")
    assert "desk-app demo" in log and "desk-app export" in log and "desk-app check" in log
    words = {word for patient in patients for field in patient[:3] for word in field.split() if len(word) > 2}
    born = {patient[3][:10] for patient in patients}  # stored 1990-02-03, shown 03/02/1990
    words |= born | {"/".join(reversed(day.split("-"))) for day in born}
    assert len(patients) == 30 and not [word for word in words if word in log]
    assert DEMO_PIN not in log and "training" not in log and "$argon2" not in log
