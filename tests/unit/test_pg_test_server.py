"""The test run's PostgreSQL server: without one, its tests are skipped with the reason, or fail
where CI requires PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.support import pg_server
from tests.support.pg_databases import server_url


def test_without_a_server_the_postgresql_tests_are_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(pg_server.URL_VARIABLE, raising=False)
    monkeypatch.delenv(pg_server.REQUIRED_VARIABLE, raising=False)
    monkeypatch.setenv(pg_server.SKIP_VARIABLE, "initdb failed: disk full")
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL tests skipped: initdb failed: disk full"):
        server_url()


def test_without_a_server_the_postgresql_tests_fail_where_ci_requires_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(pg_server.URL_VARIABLE, raising=False)
    monkeypatch.setenv(pg_server.REQUIRED_VARIABLE, "required")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL tests skipped: no PostgreSQL test server"):
        server_url()


def test_a_server_that_cannot_start_still_runs_the_tests_and_says_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    @contextmanager
    def no_server() -> Iterator[str]:
        raise pg_server.ServerUnavailable("PostgreSQL's server programs are not installed")
        yield ""  # pragma: no cover

    monkeypatch.setattr(pg_server, "running_server", no_server)
    reads_the_reason = (
        "import os, sys; sys.exit(0 if 'not installed' in os.environ['DESK_APP_TEST_PG_SKIP'] else 3)"
    )
    assert pg_server.main([sys.executable, "-c", reads_the_reason]) == 0
    assert (
        "No PostgreSQL test server (PostgreSQL's server programs are not installed)"
        in capsys.readouterr().out
    )
