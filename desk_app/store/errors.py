"""Database failures, turned into messages for the nurse; refusals and failures, told to the log
without a word that could name a patient."""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from peewee import DatabaseError as PeeweeDatabaseError
from peewee import InterfaceError

from desk_app.domain.errors import ActionRefused, DomainError, ValidationError

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


class StoreUnavailable(DomainError):
    """The database could not be read or written (locked past the timeout, disk full, I/O error).

    Nothing of the action was saved: its transaction was rolled back.
    """


class OutcomeUnknown(StoreUnavailable):
    """The connection was lost while the transaction was being committed: the server may have
    committed it or not, and the desk cannot tell. Never "Nothing was changed"."""

    def __init__(self) -> None:
        super().__init__(
            "The database stopped answering while this was being saved, so it may or may not be "
            "saved. Look at the record once the database is back before doing it again."
        )


def store_errors(method: Callable[P, R]) -> Callable[P, R]:
    """Turn a database failure into a message for the nurse; the transaction has rolled back."""

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (ActionRefused, ValidationError) as refusal:
            log_refusal(refusal, method.__name__.strip("_").replace("_", " "))
            raise
        except UnicodeEncodeError:
            # Text that is not Unicode at all (a lone surrogate, from a command line's odd bytes).
            raise ValidationError(
                "The text contains a character that cannot be stored; please retype it."
            ) from None
        except (
            PeeweeDatabaseError,
            InterfaceError,
            sqlite3.Error,
            UnicodeDecodeError,
        ) as error:  # last: bad text
            raise StoreUnavailable(
                f"Not saved: the database could not be used ({error}). Nothing was changed; "
                "please try again, and tell the clinic manager if it keeps happening."
            ) from error

    return guarded


def log_refusal(refusal: DomainError, action: str, about: str = "") -> None:
    """Log a refused action (nothing of it was saved) once, by the innermost place that knows of it:
    the action, what it was about (ids), and the kind of refusal; never its message, written for the
    nurse, which may name a patient."""
    if getattr(refusal, _LOGGED, False):
        return
    setattr(refusal, _LOGGED, True)
    log.info("Refused: %s%s (%s)", action, f", {about}" if about else "", type(refusal).__name__)


_LOGGED = "desk_app_logged"  # set on a refusal once logged, so the methods it passes through do not


def error_for_log(error: BaseException) -> str:
    """What the log may say of `error`, caught by a caller that logs it and goes on. A DomainError's
    message is written for the nurse and may name a patient: only its kind is said, and what failed
    in the database behind it, never a value: SQLite's own words (tables and columns, never values);
    a PostgreSQL server's error by its SQLSTATE, table and constraint (its message and DETAIL may
    quote a row); a lost connection in the driver's words. Any other error (a file's: OSError, a
    backup's or a checkpoint's) by its first line, which names paths."""
    said = type(error).__name__
    cause: BaseException | None = error
    for _ in range(_CAUSES_LOOKED_AT):
        if cause is None:
            break
        if isinstance(cause, sqlite3.Error):
            return f"{said}: SQLite {type(cause).__name__}: {_first_line(cause)}"
        if (sqlstate := getattr(cause, "sqlstate", _NOT_POSTGRES)) is not _NOT_POSTGRES:
            words = _postgres_words(cause, sqlstate if isinstance(sqlstate, str) else None)
            return f"{said}: PostgreSQL {type(cause).__name__}: {words}"
        cause = cause.__cause__ or cause.__context__
    return said if isinstance(error, DomainError) else f"{said}: {_first_line(error)}"


_CAUSES_LOOKED_AT = 4  # the error, what peewee wrapped, and what the driver raised it from
_NOT_POSTGRES = object()


def _first_line(error: BaseException) -> str:
    return next(iter(str(error).strip().splitlines()), "")


def _postgres_words(error: BaseException, sqlstate: str | None) -> str:
    if sqlstate is None:  # the driver's own: a connection lost or refused, no row in it
        return _first_line(error)
    diag = getattr(error, "diag", None)
    named = [
        f"{what} {value}"
        for what, value in (
            ("table", getattr(diag, "table_name", None)),
            ("constraint", getattr(diag, "constraint_name", None)),
        )
        if value
    ]
    return ", ".join([f"SQLSTATE {sqlstate}", *named])
