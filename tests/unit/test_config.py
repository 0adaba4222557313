"""This PC's settings: where the database comes from, `desk-app config`, and a settings file that
cannot be trusted (damaged, a link, a FIFO, a folder)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from desk_app import cli
from desk_app.config import PcSettings, SettingsError
from desk_app.store.database import open_database
from tests.support.other_user import AS_ROOT, for_nobody


@pytest.fixture
def settings(tmp_path: Path) -> PcSettings:
    return PcSettings(tmp_path / "config" / "desk.ini")


@pytest.fixture
def data_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The user's data folder under tmp_path, where the default file would be."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.delenv(cli.DATABASE_ENV, raising=False)
    return tmp_path / "share" / "TreatmentDesk"


def config(settings: PcSettings, *args: str) -> int:
    return cli.main(["config", *args], settings=settings)


def test_the_database_comes_from_db_then_the_environment_then_this_pc_then_the_default(
    monkeypatch: pytest.MonkeyPatch, settings: PcSettings, data_home: Path
) -> None:
    assert cli.database_url(None, settings) == f"sqlite:///{data_home / 'treatment-desk.sqlite3'}"
    clinic_file = str(data_home / "clinic.sqlite3")  # a folder that exists: the setting is checked
    settings.set_database(clinic_file)
    assert cli.database_url(None, settings) == clinic_file
    monkeypatch.setenv(cli.DATABASE_ENV, "/tmp/from-env.sqlite3")
    assert cli.database_url(None, settings) == "/tmp/from-env.sqlite3"
    assert cli.database_url("/tmp/explicit.sqlite3", settings) == "/tmp/explicit.sqlite3"


def test_a_command_opens_the_database_this_pc_is_set_to(
    settings: PcSettings, data_home: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    open_database(str(db_path)).close()
    assert config(settings, "set", "database", str(db_path)) == 0
    assert cli.main(["check"], settings=settings) == 0
    assert str(db_path) in capsys.readouterr().out
    assert not data_home.joinpath("treatment-desk.sqlite3").exists()


def test_config_show_says_each_value_and_where_it_comes_from(
    monkeypatch: pytest.MonkeyPatch,
    settings: PcSettings,
    data_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert config(settings, "show") == 0
    shown = capsys.readouterr().out
    assert f"This PC's settings file: {settings.path}" in shown
    assert f"database: {data_home / 'treatment-desk.sqlite3'} (not set: the default" in shown
    assert "backup-folder: not set: the folder in the clinic's details" in shown

    assert config(settings, "set", "database", str(tmp_path / "clinic.sqlite3")) == 0
    assert config(settings, "set", "backup-folder", str(tmp_path)) == 0
    monkeypatch.setenv(cli.DATABASE_ENV, "/tmp/from-env.sqlite3")
    capsys.readouterr()
    assert config(settings, "show") == 0
    shown = capsys.readouterr().out
    assert "database: /tmp/from-env.sqlite3 (from $DESK_APP_DB)" in shown
    assert f"not used while $DESK_APP_DB is given: {tmp_path / 'clinic.sqlite3'}" in shown
    assert f"backup-folder: {tmp_path} (from this PC's settings)" in shown


def test_config_show_names_what_it_does_not_read(
    settings: PcSettings, data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A setting typed as 'Database=' is not the database: said, rather than silently the default."""
    settings.path.parent.mkdir()
    settings.path.write_text("[General]\nDatabase=/srv/clinic.sqlite3\n")
    assert config(settings, "show") == 0
    assert "Not used (unknown to this version; names are case-sensitive): Database" in capsys.readouterr().out


def test_unset_clears_a_setting(settings: PcSettings, tmp_path: Path) -> None:
    assert config(settings, "set", "backup-folder", str(tmp_path)) == 0
    assert settings.backup_folder() == tmp_path
    assert config(settings, "unset", "backup-folder") == 0
    assert settings.backup_folder() is None


def test_a_relative_file_is_kept_as_a_full_path(
    monkeypatch: pytest.MonkeyPatch, settings: PcSettings, tmp_path: Path
) -> None:
    """A shortcut starts the app in any folder."""
    monkeypatch.chdir(tmp_path)
    assert config(settings, "set", "database", "clinic.sqlite3") == 0
    assert settings.database() == str(tmp_path / "clinic.sqlite3")


def _fifo(tmp_path: Path) -> str:
    os.mkfifo(tmp_path / "pipe")
    return str(tmp_path / "pipe")


def _letter(tmp_path: Path) -> str:
    (tmp_path / "letter.txt").write_text("Dear patient")
    return str(tmp_path / "letter.txt")


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("database", lambda tmp: _fifo(tmp), "is a named pipe (FIFO)"),
        ("database", lambda tmp: str(tmp), "is a folder"),
        ("database", lambda tmp: _letter(tmp), "is not a Treatment Desk database"),
        ("database", lambda tmp: str(tmp / "no such folder" / "d.sqlite3"), "does not exist"),
        ("database", lambda tmp: "postgresql://desk:secret@server/clinic", "Do not put the password"),
        ("database", lambda tmp: "postgresql://desk@server", "names no database"),
        ("database", lambda tmp: "mysql://desk@server/clinic", "'mysql://' are not supported"),
        ("backup-folder", lambda tmp: str(tmp / "unplugged"), "is not an existing folder"),
        ("backup-folder", lambda tmp: _letter(tmp), "is not an existing folder"),
    ],
)
def test_a_value_the_app_could_not_use_is_refused_and_nothing_changes(
    settings: PcSettings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    value,  # noqa: ANN001
    said: str,
) -> None:
    assert config(settings, "set", "database", "postgresql://desk@server/clinic") == 0
    before = settings.path.read_bytes()
    assert config(settings, "set", name, value(tmp_path)) == 2
    error = capsys.readouterr().err
    assert said in error and "Nothing was changed." in error
    assert "secret" not in error
    assert settings.path.read_bytes() == before


def test_the_settings_file_is_private_whatever_the_umask(settings: PcSettings, tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        settings.set_database(str(tmp_path / "clinic.sqlite3"))
        settings.set_backup_folder(tmp_path)  # written again, through QSettings' temporary file
    finally:
        os.umask(old)
    assert stat.S_IMODE(settings.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.path.parent.stat().st_mode) == 0o700
    assert sorted(os.listdir(settings.path.parent)) == ["desk.ini"]  # no temporary or lock file left


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"[General\ndatabase=/srv/clinic.sqlite3\n", "cannot be read as settings"),
        (b"[General]\ndatabase=/srv/a.sqlite3, /srv/b.sqlite3\n", "is not one value"),
        (b"[General]\ndatabase=/srv/\xff\xfe.sqlite3\n", "damaged (not text)"),
        (b"[General]\ndatabase=/srv\x00/clinic\n", "is not a settings file"),
        # Typed by hand: QSettings reads '\\C' as 'C' and '\\n' as a new line; a relative path
        # depends on where a shortcut starts. Either would open or make another database.
        (
            b"[General]\ndatabase=C:\\ClinicData\\desk.sqlite3\n",
            "is not a full path ('C:linicDataesk.sqlite3')",
        ),
        (
            b"[General]\ndatabase=/srv/clinic\\new.sqlite3\n",
            "is not a full path ('/srv/clinic\\new.sqlite3')",
        ),
        (b"[General]\ndatabase=clinic.sqlite3\n", "is not a full path ('clinic.sqlite3')"),
        # Still a full path once misread ('/srv/clinicesk.sqlite3'): the lone backslash tells.
        (b"[General]\ndatabase=/srv/clinic\\desk.sqlite3\n", "is not a full path ('/srv/clinicesk.sqlite3')"),
        (
            b"[General]\ndatabase=D:/ClinicData\\desk.sqlite3\n",
            "is not a full path ('D:/ClinicDataesk.sqlite3')",
        ),
    ],
)
def test_a_damaged_settings_file_is_said_not_guessed_around(
    settings: PcSettings, capsys: pytest.CaptureFixture[str], content: bytes, said: str
) -> None:
    """Falling back to the default file would open an empty clinic where the server was meant."""
    settings.path.parent.mkdir()
    settings.path.write_bytes(content)
    assert cli.main(["check"], settings=settings) == 2
    error = capsys.readouterr().err
    assert f"This PC's settings file {settings.path}" in error or said in error
    assert said in error and "Traceback" not in error
    assert config(settings, "set", "backup-folder", str(settings.path.parent)) == 2
    assert settings.path.read_bytes() == content  # not rewritten over what could not be read


def test_a_backup_folder_typed_by_hand_as_a_windows_path_is_refused_not_misread(
    settings: PcSettings,
) -> None:
    settings.path.parent.mkdir()
    settings.path.write_bytes(b"[General]\nbackup_folder=D:\\backups\n")
    with pytest.raises(SettingsError, match=re.escape("is not a full path ('D:\\x08ackups')")):
        settings.backup_folder()


def test_config_set_puts_right_a_value_that_could_not_be_read(settings: PcSettings, tmp_path: Path) -> None:
    """The message says to set it again: the value being replaced is the one not checked."""
    settings.path.parent.mkdir()
    settings.path.write_bytes(b"[General]\ndatabase=C:\\ClinicData\\desk.sqlite3\n")
    with pytest.raises(SettingsError, match="Set it with desk-app config set"):
        settings.database()
    assert config(settings, "set", "database", str(tmp_path / "clinic.sqlite3")) == 0
    assert settings.database() == str(tmp_path / "clinic.sqlite3")
    assert config(settings, "set", "backup-folder", str(tmp_path)) == 0  # and the rest is usable again


def test_a_windows_path_written_by_config_set_reads_back_whole(settings: PcSettings, tmp_path: Path) -> None:
    folder = tmp_path / 'clinic\\backups "2026", a;b'
    folder.mkdir()
    settings.set_backup_folder(folder)
    assert settings.backup_folder() == folder


def test_a_damaged_settings_file_does_not_stop_a_command_given_db(
    settings: PcSettings, db_path: Path
) -> None:
    open_database(str(db_path)).close()
    settings.path.parent.mkdir()
    settings.path.write_bytes(b"[General\n")
    assert cli.main(["check", "--db", str(db_path)], settings=settings) == 0


@pytest.mark.parametrize("kind", ["link", "dangling link", "folder", "fifo", "another user's"])
def test_a_settings_file_that_is_not_a_plain_file_is_refused_without_hanging(
    settings: PcSettings, tmp_path: Path, kind: str
) -> None:
    """QSettings would hang for ever on a FIFO, write through a link (to whoever owns its target:
    they would choose the records this desk opens) and make the target of a dangling one; another
    user's file would let them choose too."""
    settings.path.parent.mkdir()
    elsewhere = tmp_path / "elsewhere.ini"
    if kind == "link":
        elsewhere.write_text("[General]\ndatabase=postgresql://them@their-server/records\n")
    if kind.endswith("link"):
        settings.path.symlink_to(elsewhere)
    elif kind == "folder":
        settings.path.mkdir()
    elif kind == "another user's":
        if not AS_ROOT:
            pytest.skip("only root can give a file to another user")
        settings.path.write_text("[General]\ndatabase=postgresql://them@their-server/records\n")
        for_nobody(settings.path)
    else:
        os.mkfifo(settings.path)
    with pytest.raises(SettingsError, match=re.escape(f"This PC's settings file {settings.path} ")):
        settings.database()
    with pytest.raises(SettingsError):
        settings.set_database(str(tmp_path / "clinic.sqlite3"))
    assert not (kind == "dangling link" and elsewhere.exists())
    assert kind != "link" or "their-server" in elsewhere.read_text()


def test_demo_never_uses_this_pcs_database(
    settings: PcSettings, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Training data must not land in the real records."""
    open_database(str(db_path)).close()
    settings.set_database(str(db_path))
    before = db_path.read_bytes()
    assert cli.main(["demo"], settings=settings) == 2
    assert "say where with --db" in capsys.readouterr().err
    assert db_path.read_bytes() == before


def test_an_export_into_this_pcs_backup_folder_is_refused_as_in_the_window(
    qapp: QApplication,
    settings: PcSettings,
    db_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """(qapp: the export would otherwise start a bare QGuiApplication, and no later test a window.)"""
    open_database(str(db_path)).close()
    mine = tmp_path / "this PC's backups"
    mine.mkdir()
    settings.set_backup_folder(mine)
    register = ["export", "register", "--from", "2026-11-01", "--to", "2026-11-30", "--db", str(db_path)]
    assert cli.main([*register, "--pdf", str(mine / "register.pdf")], settings=settings) == 1
    assert "backup folder" in capsys.readouterr().err
    assert list(mine.iterdir()) == []
