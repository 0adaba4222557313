"""Persistence with peewee: the only package that knows SQL or the database engine.

peewee imports psycopg, the PostgreSQL driver, with itself whenever it is installed: some 100 ms of
every start, which a desk on a database file never uses (issue 20, point 6). So peewee is imported
here, before any store module, with psycopg hidden; store/postgres.py, imported when a server's
database is first opened, then gives peewee the driver as its own import would have.
"""

from __future__ import annotations

import sys


def _import_peewee_without_psycopg() -> None:
    if "peewee" in sys.modules or "psycopg" in sys.modules:
        return  # too late, or nothing to save: peewee has the driver as usual
    sys.modules["psycopg"] = None  # type: ignore[assignment]  # `import psycopg` raises ImportError
    try:
        import peewee  # noqa: F401
    finally:
        del sys.modules["psycopg"]


def give_peewee_psycopg() -> None:
    """Set what peewee's import sets when it finds psycopg (peewee 4's module names, checked by
    tests/gui/test_lean_start.py); nothing if it found it."""
    import peewee
    import psycopg
    from psycopg.pq import TransactionStatus
    from psycopg.types.json import Json, Jsonb

    if peewee.psycopg is psycopg:  # type: ignore[attr-defined]
        return
    peewee.psycopg = psycopg  # type: ignore[attr-defined]
    peewee.TransactionStatus = TransactionStatus  # type: ignore[attr-defined]
    peewee.Json_pg3 = Json  # type: ignore[attr-defined]
    peewee.Jsonb_pg3 = Jsonb  # type: ignore[attr-defined]
    peewee.Psycopg3Adapter.txn_idle = TransactionStatus.IDLE
    peewee.Psycopg3Adapter.txn_inerror = TransactionStatus.INERROR
    peewee.Psycopg3Adapter.txn_unknown = TransactionStatus.UNKNOWN


_import_peewee_without_psycopg()
