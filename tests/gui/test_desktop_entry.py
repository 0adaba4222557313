"""The app's icon and its desktop entry (issue 19, point 3): the window and the taskbar show the icon
at every size they draw it in, and the menu entry names the icon and the window it starts."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImageReader
from PySide6.QtWidgets import QApplication

from desk_app.app import DESKTOP_FILE_NAME, ICON_SIZES, app_icon

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "resources" / "install"
ICONS = REPO / "resources" / "icons"
CLINIC_BLUE = QColor("#1f4e79")


class _DesktopFile(configparser.ConfigParser):
    def optionxform(self, optionstr: str) -> str:
        return optionstr  # a desktop entry's keys are case-sensitive


def desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = _DesktopFile(interpolation=None)
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_window_icon_is_drawn_at_every_size(qapp: QApplication) -> None:
    icon = app_icon()
    assert sorted(size.width() for size in icon.availableSizes()) == list(ICON_SIZES)
    for size in ICON_SIZES:
        picture = icon.pixmap(QSize(size, size)).toImage()
        assert picture.width() == size, f"no {size} px picture"
        # The rounded square's blue, above the tick: a picture, not an empty or missing file.
        assert picture.pixelColor(size // 4, size // 6) == CLINIC_BLUE


def test_the_windows_icon_file_holds_every_size(qapp: QApplication) -> None:
    """The .exe's and a shortcut's icon: Windows picks the size it needs from the one file."""
    reader = QImageReader(str(ICONS / f"{DESKTOP_FILE_NAME}.ico"))
    sizes = []
    for index in range(reader.imageCount()):
        reader.jumpToImage(index)
        picture = reader.read()
        assert picture.pixelColor(picture.width() // 4, picture.height() // 6) == CLINIC_BLUE
        sizes.append(picture.width())
    assert sizes == list(ICON_SIZES)


def test_the_desktop_entry_starts_the_app_with_its_icon() -> None:
    path = INSTALL / f"{DESKTOP_FILE_NAME}.desktop"  # setDesktopFileName: Wayland finds the icon by it
    entry = desktop_entry(path)
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Treatment Desk"
    assert entry["Exec"]
    assert "MedicalSoftware" in entry["Categories"].split(";")
    # X11 taskbars match the window's class, which Qt takes from the application's name.
    assert entry["StartupWMClass"] == "Treatment Desk"
    assert (ICONS / f"{entry['Icon']}.svg").is_file()
    for size in ICON_SIZES:
        assert (ICONS / f"{entry['Icon']}-{size}.png").is_file()


def test_the_desktop_entry_follows_the_specification() -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate is not installed (Debian: apt-get install desktop-file-utils)")
    done = subprocess.run(
        [validator, str(INSTALL / f"{DESKTOP_FILE_NAME}.desktop")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


NO_XDG_UTILS = pytest.mark.skipif(
    shutil.which("xdg-desktop-menu") is not None, reason="xdg-utils would install into the real menu"
)


def install(program: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """Run the installer as a user whose home is `home` (the menu goes to home/share)."""
    program.parent.mkdir(parents=True, exist_ok=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    environment = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "share")}
    return subprocess.run(
        ["sh", str(INSTALL / "install-desktop.sh"), str(program)],
        env=environment,
        capture_output=True,
        text=True,
    )


@NO_XDG_UTILS
def test_installing_the_entry_puts_the_program_and_its_icons_in_the_menu(tmp_path: Path) -> None:
    program = tmp_path / "Treatment Desk" / "treatment-desk"  # a folder with a space, like Program Files
    assert install(program, tmp_path).returncode == 0
    data = tmp_path / "share"
    installed = desktop_entry(data / "applications" / f"{DESKTOP_FILE_NAME}.desktop")
    assert installed["Exec"] == f'"{program}"'
    for size in ICON_SIZES:
        assert (data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{installed['Icon']}.png").is_file()


@NO_XDG_UTILS
def test_a_path_the_entry_would_read_as_its_own_syntax_is_refused(tmp_path: Path) -> None:
    program = tmp_path / 'a"b' / "treatment-desk"  # the quote would end Exec's path early
    done = install(program, tmp_path)
    assert done.returncode == 2
    assert "cannot carry" in done.stderr
    assert not (tmp_path / "share").exists()
