"""Refusals the window answers in a way of its own (open the running session, confirm a duplicate,
ask for a new PIN), not only by showing the message."""

from __future__ import annotations

from desk_app.domain.credentials import PIN_RULE
from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import Patient, Staff


class SessionAlreadyInProgress(ActionRefused):
    """The patient already has a session in progress; `session_id` says which, so it can be opened."""

    def __init__(self, message: str, session_id: int) -> None:
        super().__init__(message)
        self.session_id = session_id


class PossibleDuplicate(ActionRefused):
    """A patient with the same name and date of birth exists; register anyway only on purpose."""

    def __init__(self, message: str, existing: Patient) -> None:
        super().__init__(message)
        self.existing = existing


class SignInRefused(ActionRefused):
    """Wrong password or PIN, a locked account, or no credentials yet; the attempt was recorded."""


class PinChangeNeeded(ActionRefused):
    """The PIN was right but has fewer than 6 digits: its owner must choose a new one (change_pin)
    before it is accepted; the window asks for it, then tries the action again with the new PIN."""

    def __init__(self, member: Staff, pin_length: int) -> None:
        super().__init__(
            f"{member.name}'s PIN has only {pin_length} digits: choose a new PIN of {PIN_RULE} to go on."
        )
        self.staff_id = member.id
