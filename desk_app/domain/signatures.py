"""An electronic signature on a treatment record: who signed (printed name and role, as they were at
that moment), when (the sign-out event's time) and what the signature means, given with the
signer's PIN at that moment (21 CFR 11.50 states the idea most clearly)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import Role, Staff
from desk_app.domain.session import Event

SIGNATURE_MEANING = "I performed this treatment as recorded here."
COUNTERSIGNATURE_MEANING = "I have reviewed this record and countersign it."


def signature(signer: Staff, *, authorised: bool) -> dict[str, Any]:
    """What the sign-out event stores of the operator's signature."""
    return {
        "name": signer.name,
        "role": signer.role.value,
        "laser_operator": authorised,
        "meaning": SIGNATURE_MEANING,
    }


def countersignature(countersigner: Staff) -> dict[str, Any]:
    return {"name": countersigner.name, "role": countersigner.role.value, "meaning": COUNTERSIGNATURE_MEANING}


def check_countersigner(signer: Staff, countersigner: Staff) -> None:
    """A countersignature is a second person's, and a clinician's."""
    if countersigner.id == signer.id:
        raise ActionRefused("A record cannot be countersigned by the person who signed it.")
    if countersigner.role is not Role.CLINICIAN or not countersigner.active:
        raise ActionRefused(
            f"{countersigner.name} is not a clinician here: only a clinician may countersign."
        )


@dataclass(frozen=True)
class SignatureLine:
    """A signature's manifest (as 21 CFR 11.50 asks): printed name, role, date and time, meaning."""

    heading: str
    name: str
    role: str
    at: str
    meaning: str

    def words(self) -> str:
        return f"{self.name} ({self.role}), {self.at}: “{self.meaning}”"


def signature_lines(event: Event, date_time: Callable[[datetime], str]) -> list[SignatureLine]:
    """The signature and any countersignature a sign-out event carries, for the screen and print."""
    lines = []
    for key, heading in (("signature", "Signed"), ("countersignature", "Countersigned")):
        signed = event.values.get(key)
        if isinstance(signed, dict):
            role = str(signed.get("role", ""))
            if signed.get("laser_operator"):
                role += ", authorised laser operator"
            lines.append(
                SignatureLine(
                    heading, str(signed.get("name")), role, date_time(event.at), str(signed.get("meaning"))
                )
            )
    return lines
