"""Before opening a real window on Linux: name the missing Qt system libraries and how to install them.

Run by `make run`. Without this, Qt only says it "could not load the Qt platform plugin xcb".
"""

from __future__ import annotations

import ctypes.util
import os
import sys

# library name for ctypes.util.find_library -> the Debian/Ubuntu package that provides it
QT_XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xkbcommon-x11": "libxkbcommon-x11-0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-image": "libxcb-image0",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-shape": "libxcb-shape0",
    "xcb-xkb": "libxcb-xkb1",
    "EGL": "libegl1",
    "GL": "libgl1",
    "fontconfig": "libfontconfig1",
    "dbus-1": "libdbus-1-3",
}


def missing_packages() -> list[str]:
    return sorted(
        package for library, package in QT_XCB_LIBRARIES.items() if not ctypes.util.find_library(library)
    )


def main() -> int:
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        return 0
    missing = missing_packages()
    if missing:
        print("Treatment Desk needs these system libraries to open a window:", file=sys.stderr)
        print(f"  sudo apt-get install {' '.join(missing)}", file=sys.stderr)
        return 1
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        print("There is no screen (DISPLAY is not set): start Treatment Desk from a desktop session.")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
