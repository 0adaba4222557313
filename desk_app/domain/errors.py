"""Errors the domain raises; each message is written for the nurse who will read it."""


class DomainError(Exception):
    """Base class: the message is shown to the user as it is."""


class ValidationError(DomainError):
    """A value typed by a user is empty, absurd or out of range; nothing was saved."""


class ActionRefused(DomainError):
    """The action is not allowed in the session's current state (a stop, a lock, a role)."""


class ProcedureError(DomainError):
    """A procedure definition file is malformed; the message names the file, item and field."""
