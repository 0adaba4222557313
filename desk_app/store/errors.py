"""Database failures, turned into messages for the nurse."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from peewee import DatabaseError as PeeweeDatabaseError
from peewee import InterfaceError

from desk_app.domain.errors import DomainError, ValidationError

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
