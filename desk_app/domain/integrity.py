"""What an administrator checks about the records themselves: whether the audit trail holds, and
where the records are and how they travel there."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AuditReport:
    rows: int
    head_hash: str
    problem: str | None  # the first thing that does not hold, or None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def __str__(self) -> str:
        if self.ok:
            rows = "1 row" if self.rows == 1 else f"{self.rows} rows"
            return f"Audit trail intact: {rows}; head hash {self.head_hash}."
        return f"Audit trail BROKEN: {self.problem}. ({self.rows} rows read.)"


@dataclass(frozen=True)
class DatabaseLink:
    """Where this desk's records are and how they travel there, as Clinic details shows it."""

    where: str  # the file's full path, or user@server:port/name
    on_a_server: bool
    encrypted: bool  # the connection to the server is (TLS or GSSAPI); a file has none
    stays_on_this_pc: bool  # a file, a Unix socket or loopback: nothing crosses a network
    how: str = ""  # the encryption, e.g. "TLSv1.3"
