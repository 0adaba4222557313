"""A patient's signed consent for tests: photos are kept only with the patient's agreement to them."""

from __future__ import annotations

from desk_app.domain.consent import SignedConsent
from desk_app.domain.people import Staff
from desk_app.store.demo_signatures import scribble
from desk_app.store.desk import Desk
from tests.support.people import PIN


def consented(desk: Desk, patient_id: int, witness: Staff, photos: bool = True) -> SignedConsent:
    """The patient signs the current form (agreeing to photos, or not), witnessed with `witness`'s PIN."""
    version = desk.consents.current_form().version
    return desk.consents.sign(patient_id, None, version, scribble(patient_id), photos, witness.id, PIN)
