"""A PostgreSQL server's address, read and shown without loading the driver (psycopg, some 100 ms
of a start): a desk on a database file asks whether its address is a server's, and never connects to
one (issue 20, point 6). The connection itself is store/postgres.py."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

SCHEMES = ("postgresql://", "postgres://")


class PostgresAddressError(ValueError):
    """The address cannot be used as it stands; the message says how to write it."""


def is_postgres_url(url: str) -> bool:
    return url.startswith(SCHEMES)


def checked_postgres_url(url: str) -> str:
    """The address in the postgresql:// form, refusing a password in it (a command line and the
    environment of a shared PC are readable by others) and an address with no database name."""
    parts = urlsplit(url)
    if parts.password is not None or "password" in parse_qs(parts.query):
        raise PostgresAddressError(
            "Do not put the password in the database address: others on this PC can read it. "
            "Put it in the PostgreSQL password file (~/.pgpass) instead."
        )
    if not parts.path.strip("/"):
        raise PostgresAddressError(
            "The database address names no database: write postgresql://USER@HOST:PORT/NAME."
        )
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError:
        raise PostgresAddressError(
            f"The port in the database address is not a number from 1 to 65535: {parts.netloc!r}."
        ) from None
    return "postgresql://" + url.split("://", 1)[1]


def describe(url: str) -> str:
    """The address as shown in messages: user, server and database, never anything else."""
    parts = urlsplit(url)
    where = parts.hostname or "the local server"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.username + '@' if parts.username else ''}{where}{port}/{parts.path.strip('/')}"


def with_login(url: str, login: str) -> str:
    """The same address with another login: where the desks connect, given the owner's address."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{quote(login, safe='')}@{host}"))
