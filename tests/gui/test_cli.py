"""The desk-app command: which database it opens, and a clear message when it cannot."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from desk_app import app, cli, logs, paths


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch, qapp) -> list[str]:  # noqa: ANN001
    """The messages the app would show in a box at start-up (the box itself would block)."""
    messages: list[str] = []
    monkeypatch.setattr(app.QMessageBox, "critical", lambda _parent, _title, text: messages.append(text))
    return messages


def test_db_option_wins_over_environment_and_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli.DATABASE_ENV, "/tmp/from-env.sqlite3")
    assert cli.database_url("/tmp/explicit.sqlite3") == "/tmp/explicit.sqlite3"
    assert cli.database_url(None) == "/tmp/from-env.sqlite3"
    monkeypatch.delenv(cli.DATABASE_ENV)
    monkeypatch.setattr(paths.platformdirs, "user_data_path", lambda *_: Path("/tmp/desk-data-test"))
    assert cli.database_url(None) == "sqlite:////tmp/desk-data-test/treatment-desk.sqlite3"


def test_a_database_in_a_missing_folder_gets_a_message_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    qapp,  # noqa: ANN001
    shown: list[str],
) -> None:
    missing = tmp_path / "no-such-folder" / "desk.sqlite3"
    assert cli.main(["--db", str(missing)]) == 2
    assert shown == [f"The folder {missing.parent} does not exist, so desk.sqlite3 cannot be created."]
    assert not missing.parent.exists()


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    qapp,  # noqa: ANN001
    shown: list[str],
) -> None:
    letter = tmp_path / "letter.txt"
    letter.write_text("Dear patient, your next appointment is on Monday.")
    monkeypatch.setenv(cli.DATABASE_ENV, str(letter))
    assert cli.main([]) == 2
    assert "is not a Treatment Desk database" in shown[0]
    assert letter.read_text() == "Dear patient, your next appointment is on Monday."


def test_a_broken_procedure_file_stops_the_start_with_a_message_naming_it(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    qapp,  # noqa: ANN001
    shown: list[str],
) -> None:
    real = paths.resource_path(paths.PROCEDURE_FILE).read_text(encoding="utf-8")
    broken = tmp_path / "laser-acne-scarring.toml"
    broken.write_text(real.replace("clinic_max = 70", "clinic_max = 700"), encoding="utf-8")
    monkeypatch.setattr(
        app,
        "resource_path",
        lambda relative: broken if relative == paths.PROCEDURE_FILE else paths.resource_path(relative),
    )
    database = tmp_path / "desk.sqlite3"
    assert cli.main(["--db", str(database)]) == 2
    assert shown == [
        "Procedure file laser-acne-scarring.toml: pause point 'laser', item 'fractional_pass', "
        "field 'energy_mj': field 'clinic_max' lies outside 'min' to 'max'"
    ]
    assert not database.exists()


@pytest.fixture
def error_log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The data folder under tmp_path (as XDG_DATA_HOME moves it), with the app's log started in it
    as at start-up; stopped afterwards, so no other test writes to it."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    path = logs.start_logging("a test")
    assert path is not None
    yield path
    logs.stop_logging()


def test_an_unexpected_error_is_logged_and_told_not_lost(error_log: Path, shown: list[str]) -> None:
    """Logged with its type and where it happened; its message (a database's may quote a patient's
    row) only in the message box."""
    name = "Zoë O'Brien"  # the frame shows this line, not the name: no real code names a patient
    try:
        raise RuntimeError(f"{name}'s record is on fire")
    except RuntimeError as error:
        app._report_unexpected(RuntimeError, error, error.__traceback__)
    assert shown and "Zoë O'Brien's record is on fire" in shown[0]
    logged = error_log.read_text(encoding="utf-8")
    assert "ERROR desk_app.app: Unexpected error: RuntimeError" in logged
    assert "test_an_unexpected_error_is_logged_and_told_not_lost" in logged  # the frame
    assert "RuntimeError: (message withheld from the log)" in logged
    assert "O'Brien" not in logged


def test_a_lost_database_is_not_replaced_by_a_new_clinic_unless_the_manager_chooses_so_twice(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    qapp,  # noqa: ANN001
    shown: list[str],
) -> None:
    database = tmp_path / "desk.sqlite3"
    (tmp_path / "desk.replaced-20261124T101500Z.sqlite3").write_bytes(b"the clinic before a restore")
    asked: list[str] = []
    answer = [False]

    def ask(reason: str) -> bool:
        asked.append(reason)
        return answer[0]

    monkeypatch.setattr(app, "ask_to_start_new_clinic", ask)
    monkeypatch.setattr(app.QApplication, "exec", lambda *_: 0)  # the window is not used here

    assert cli.main(["--db", str(database)]) == 2  # Quit: nothing made
    assert "is missing, but a clinic's records were here" in asked[0]
    assert "a database kept by a restore (desk.replaced-20261124T101500Z.sqlite3)" in asked[0]
    assert not database.exists()

    answer[0] = True
    assert cli.main(["--db", str(database)]) == 0
    assert database.stat().st_size > 0 and shown == []


def test_the_new_clinic_option_starts_one_without_asking(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    qapp,  # noqa: ANN001
    shown: list[str],
) -> None:
    database = tmp_path / "desk.sqlite3"
    database.write_bytes(b"")
    (tmp_path / "backups").mkdir()
    (tmp_path / "backups" / "treatment-desk-2026-11-24T020000Z.sqlite3").write_bytes(b"a backup")
    monkeypatch.setattr(app, "ask_to_start_new_clinic", lambda reason: pytest.fail(reason))
    monkeypatch.setattr(app.QApplication, "exec", lambda *_: 0)
    assert cli.main(["--db", str(database), "--new-clinic"]) == 0
    assert database.stat().st_size > 0


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """umask 000: whatever is made is open to everyone unless the app says otherwise."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_the_data_folder_and_the_log_are_private_whatever_the_umask(
    open_umask: None, error_log: Path, shown: list[str]
) -> None:
    assert mode_of(error_log.parent) == 0o700
    assert mode_of(error_log) == 0o600


def test_a_data_folder_and_a_log_left_open_by_an_older_version_are_closed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "share" / paths.APP_NAME
    folder.mkdir(parents=True, mode=0o755)
    (folder / logs.LOG_FILE).write_text("an old line\n")
    (folder / logs.LOG_FILE).chmod(0o644)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    logs.start_logging("a test")
    logs.stop_logging()
    assert mode_of(folder) == 0o700
    assert mode_of(folder / logs.LOG_FILE) == 0o600
    assert (folder / logs.LOG_FILE).read_text().startswith("an old line\n")  # kept, not emptied


def test_a_broken_pre_use_check_file_stops_the_start_too(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    qapp,  # noqa: ANN001
    shown: list[str],
) -> None:
    """Read at the start like the procedure: found there, not at the first laser check of a day."""
    real = paths.resource_path(paths.PRE_USE_CHECK_FILE).read_text(encoding="utf-8")
    broken = tmp_path / "laser-pre-use-check.toml"
    broken.write_text(real.replace('id = "eyewear"', 'id = "warning_sign_and_key"'), encoding="utf-8")
    monkeypatch.setattr(
        app,
        "resource_path",
        lambda relative: broken if relative == paths.PRE_USE_CHECK_FILE else paths.resource_path(relative),
    )
    database = tmp_path / "desk.sqlite3"
    assert cli.main(["--db", str(database)]) == 2
    assert shown == ["Pre-use check file laser-pre-use-check.toml: the file: an item id is used twice"]
    assert not database.exists()
