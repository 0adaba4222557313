"""`make run` names the missing Qt system libraries with the exact apt-get line."""

from __future__ import annotations

import pytest

from desk_app import syscheck


def test_missing_libraries_are_named_with_the_apt_get_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(syscheck.sys, "platform", "linux")
    absent = {"xcb-cursor", "xcb-icccm"}
    monkeypatch.setattr(
        syscheck.ctypes.util, "find_library", lambda name: None if name in absent else f"lib{name}.so"
    )
    assert syscheck.main() == 1
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4" in capsys.readouterr().err


def test_nothing_is_printed_when_everything_is_there(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(syscheck.sys, "platform", "linux")
    monkeypatch.setattr(syscheck.ctypes.util, "find_library", lambda name: f"lib{name}.so")
    assert syscheck.main() == 0
    assert capsys.readouterr().err == ""
