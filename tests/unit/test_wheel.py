"""The package as pip builds it carries its resources (issue 19, point 1): a wheel installed anywhere,
away from the checkout, finds its procedure, permissions, print templates, style and sound. Before,
`pip install .` gave an app that stopped at "Procedure file laser-acne-scarring.toml: cannot be read"."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Run from the unpacked wheel, in a folder with no checkout: every resource the app reads at work.
USES_EVERY_RESOURCE = """
import sys
from pathlib import Path
import desk_app
from desk_app.domain.procedure import load_procedure
from desk_app.paths import PERMISSIONS_FILE, PRE_USE_CHECK_FILE, PROCEDURE_FILE, resource_path
from desk_app.domain.pre_use_check import load_pre_use_checklist
from desk_app.domain.permissions import load_permissions

assert Path(desk_app.__file__).is_relative_to(Path(sys.argv[1])), desk_app.__file__
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
    names = zipfile.ZipFile(wheel).namelist()
    for resource in (
        "procedures/laser-acne-scarring.toml",
        "procedures/permissions.toml",
        "procedures/laser-pre-use-check.toml",
        "print/session_record.html.j2",
        "styles/desk.qss",
        "sounds/alert.wav",
        "icons/treatment-desk-16.png",
        "icons/treatment-desk-256.png",
        "icons/treatment-desk.ico",
    ):
        assert f"desk_app/resources/{resource}" in names
    assert not [name for name in names if "screenshots" in name], "the README's pictures stay out"
    # pyproject.toml lists the packages by hand (resources/ is mapped into one): a new one must be added.
    packages = {str(init.relative_to(REPO)) for init in (REPO / "desk_app").rglob("__init__.py")}
    assert packages <= set(names), f"left out of the wheel: {sorted(packages - set(names))}"


def test_the_installed_package_reads_its_resources_away_from_the_checkout(
    wheel: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-c", USES_EVERY_RESOURCE, str(site)],
        cwd=elsewhere,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "acne" in done.stdout.casefold()
