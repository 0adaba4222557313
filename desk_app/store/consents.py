"""Signed consents (issue 21): the patient signs the clinic's consent form on the pad, a nurse
witnesses it with their PIN; a withdrawal is recorded beside it, never instead of it.

A service of Desk (desk.consents). A signed consent is one append-only row (the form's version and
text, the strokes, their SVG, the answers, the witness, the SHA-256 of it all) and a withdrawal is
one append-only row of its own (consent_withdrawal, one per consent at most): the database refuses
UPDATE and DELETE on both. Each is sealed by the audit row that wrote it, and the signing's audit
row carries the digest, so `audit verify` finds strokes or an image changed outside the app.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from peewee import JOIN

from desk_app.domain.actions import check_reason
from desk_app.domain.consent import (
    CONSENT_FORM_FILE,
    ConsentForm,
    Signature,
    SignedConsent,
    check_signature,
    consent_digest,
    load_consent_form,
)
from desk_app.domain.errors import ActionRefused
from desk_app.domain.people import Staff
from desk_app.domain.session import SessionStatus
from desk_app.paths import resource_path
from desk_app.store.accounts import Accounts
from desk_app.store.context import Service, StoreContext
from desk_app.store.errors import store_errors
from desk_app.store.models import (
    ConsentRow,
    ConsentWithdrawalRow,
    PatientRow,
    SessionRow,
    StaffRow,
)
from desk_app.store.sessions import CONSENT_ITEM, Sessions

CONSENT_SIGNED = "consent signed"
CONSENT_WITHDRAWN = "consent withdrawn"
_WITNESSING = "witnessing a consent"

_Witness = StaffRow.alias("witness")
_WithdrawnBy = StaffRow.alias("withdrawn_by")
_COLUMNS = (
    ConsentRow.id,
    ConsentRow.patient,
    ConsentRow.session,
    ConsentRow.form_version,
    ConsentRow.form_title,
    ConsentRow.signed_at,
    ConsentRow.witness,
    _Witness.name,
    ConsentRow.photos_allowed,
    ConsentRow.digest,
    ConsentRow.svg,
    ConsentWithdrawalRow.withdrawn_at,
    _WithdrawnBy.name,
    ConsentWithdrawalRow.reason,
    ConsentRow.form_text,
    ConsentRow.photo_question,
)


@functools.cache
def clinic_consent_form() -> ConsentForm:
    """The clinic's consent form from the resources, read once per process."""
    return load_consent_form(resource_path(CONSENT_FORM_FILE))


def _consent(row: tuple[Any, ...]) -> SignedConsent:
    consent_id, patient_id, session_id, version, title, signed_at, witness_id, witness_name, *rest = row
    photos_allowed, digest, svg, withdrawn_at, withdrawn_by, reason, text, question = rest
    return SignedConsent(
        id=consent_id,
        patient_id=patient_id,
        session_id=session_id,
        form_version=version,
        form_title=title,
        signed_at=signed_at,
        witness_id=witness_id,
        witness_name=witness_name,
        photos_allowed=bool(photos_allowed),
        digest=digest,
        svg=svg,
        withdrawn_at=withdrawn_at,
        withdrawn_by_name=withdrawn_by,
        withdrawal_reason=reason,
        form_text=text,
        photo_question=question,
    )


class Consents(Service):
    """Consents: the current form, signed (PIN-witnessed), listed, withdrawn; which covers a session."""

    def __init__(
        self, context: StoreContext, accounts: Accounts, sessions: Sessions, form: ConsentForm | None = None
    ) -> None:
        self._context = context
        self._accounts = accounts
        self._sessions = sessions
        self._form = form

    @store_errors
    def current_form(self) -> ConsentForm:
        """The consent form a patient signs today (the clinic's, unless this desk was given one)."""
        return self._form or clinic_consent_form()

    def _read(self, condition: Any) -> list[SignedConsent]:
        """Consents meeting `condition`, newest first, each with its withdrawal if any."""
        query = (
            ConsentRow.select(*_COLUMNS)
            .join(_Witness, on=ConsentRow.witness == _Witness.id)
            .switch(ConsentRow)
            .join(ConsentWithdrawalRow, JOIN.LEFT_OUTER, on=ConsentWithdrawalRow.consent == ConsentRow.id)
            .join(_WithdrawnBy, JOIN.LEFT_OUTER, on=ConsentWithdrawalRow.withdrawn_by == _WithdrawnBy.id)
            .where(condition)
            .order_by(ConsentRow.signed_at.desc(), ConsentRow.id.desc())
            .tuples()
        )
        # cast: peewee's stubs type the rows of .tuples() as models
        return [_consent(row) for row in cast("Iterable[tuple[Any, ...]]", query)]

    @store_errors
    def consents_of(self, patient_id: int) -> list[SignedConsent]:
        """Every consent the patient signed, newest first, withdrawn ones included."""
        return self._read(ConsentRow.patient == patient_id)

    @store_errors
    def consent(self, consent_id: int) -> SignedConsent:
        """One consent, as it stands (withdrawn or not)."""
        found = self._read(ConsentRow.id == consent_id)
        if not found:
            raise ActionRefused("That consent is not known.")
        return found[0]

    @store_errors
    def consent_in_force(self, patient_id: int) -> SignedConsent | None:
        """The patient's newest consent that is not withdrawn and was signed on the current form's
        version; None if there is none (a new version of the form needs a new signature)."""
        version = self.current_form().version
        for consent in self._read((ConsentRow.patient == patient_id) & (ConsentRow.form_version == version)):
            if consent.in_force:
                return consent
        return None

    @store_errors
    def consent_for_session(self, session_id: int) -> SignedConsent | None:
        """The consent that covers a session: the newest signed for it, else the newest the patient
        signed before it ended (or by now, while it runs) that was not withdrawn before it started.
        A withdrawal after the session leaves it covered (the consent shows as withdrawn since)."""
        session = SessionRow.get_or_none(SessionRow.id == session_id)
        if session is None:
            raise ActionRefused(f"Session {session_id} does not exist.")
        signed_for = self._read(ConsentRow.session == session_id)
        if signed_for:
            return signed_for[0]
        until = session.ended_at or self._context.clock.now()
        mine = (ConsentRow.patient == session.patient_id) & (ConsentRow.signed_at <= until)
        for consent in self._read(mine):
            if consent.withdrawn_at is None or consent.withdrawn_at > session.started_at:
                return consent
        return None

    @store_errors
    def sign(
        self,
        patient_id: int,
        session_id: int | None,
        form_version: str,
        signature: Signature,
        photos_allowed: bool,
        witness_id: int,
        witness_pin: str,
    ) -> SignedConsent:
        """Keep the patient's signature on the current form, witnessed by a nurse or clinician with
        their PIN (checked before the transaction, as a sign-out's, and accepted inside it). Given a
        session in progress whose consent item is not yet done, that item is ticked in the same
        transaction with the form's version. Refused: an outdated form version (the form changed
        while it was on screen), a blank or tiny signature, another patient's session, an ended one."""
        check_signature(signature)
        form = self.current_form()
        if form_version != form.version:
            raise ActionRefused(
                f"The consent form is now version {form.version}, not {form_version}: show the patient "
                "the current form and ask them to sign it. Nothing was kept."
            )
        refusals = self._context.refusals_audited
        with (
            refusals(witness_id, "witness a consent", patient_id, subject="patient"),
            self._context.db.atomic(),
        ):
            self._sign_checks(patient_id, session_id, witness_id)
        pin_matched = self._accounts.pin_checked_first(witness_id, witness_pin, _WITNESSING)
        with (
            refusals(witness_id, "witness a consent", patient_id, subject="patient"),
            self._context.db.atomic(),
        ):
            witness, tick_item = self._sign_checks(patient_id, session_id, witness_id)
            self._accounts.accept_pin(witness_id, pin_matched, _WITNESSING)
            signed_at = self._context.clock.now()
            strokes, svg = signature.to_json(), signature.svg()
            digest = consent_digest(
                strokes, svg, form, patient_id, session_id, signed_at, witness_id, photos_allowed
            )
            row = ConsentRow.create(
                patient=patient_id,
                session=session_id,
                form_version=form.version,
                form_title=form.title,
                form_text=form.text,
                photo_question=form.photo_question,
                photos_allowed=photos_allowed,
                signed_at=signed_at,
                witness=witness_id,
                strokes=strokes,
                svg=svg,
                digest=digest,
            )
            detail = {
                "patient": patient_id,
                "session": session_id,
                "form_version": form.version,
                "photos_allowed": photos_allowed,
                "sha256": digest,
            }
            self._context.audit(CONSENT_SIGNED, witness_id, "consent", row.id, detail, [(ConsentRow, row.id)])
            if tick_item and session_id is not None:
                self._sessions.tick(session_id, CONSENT_ITEM, {"form_version": form.version}, witness_id)
        return SignedConsent(
            id=row.id,
            patient_id=patient_id,
            session_id=session_id,
            form_version=form.version,
            form_title=form.title,
            signed_at=signed_at,
            witness_id=witness_id,
            witness_name=witness.name,
            photos_allowed=photos_allowed,
            digest=digest,
            svg=svg,
            form_text=form.text,
            photo_question=form.photo_question,
        )

    def _sign_checks(self, patient_id: int, session_id: int | None, witness_id: int) -> tuple[Staff, bool]:
        """Inside a transaction: the witness is a nurse or clinician, the patient is on the register,
        and the session (if any) is theirs and in progress. Also whether its consent item is still to
        be ticked (done already, by hand or by an earlier signature: left as it is)."""
        witness = self._context.staff(witness_id)
        self._context.permissions.check_clinical(witness, "witness a patient's consent")
        patient = PatientRow.get_or_none(PatientRow.id == patient_id)
        if patient is None:
            raise ActionRefused("That patient is not known; the consent was not kept.")
        if patient.archived:
            raise ActionRefused(
                f"{patient.given_names} {patient.family_name} is archived: bring the record back first."
            )
        if session_id is None:
            return witness, False
        session = SessionRow.get_or_none(SessionRow.id == session_id)
        if session is None or session.patient_id != patient_id:
            raise ActionRefused("That session is not this patient's; the consent was not kept.")
        if session.status != SessionStatus.IN_PROGRESS.value:
            raise ActionRefused(
                f"Session {session.session_number} has ended: sign the consent from the patient's page "
                "instead. Nothing was kept."
            )
        state = self._sessions.session(session_id).state(self._context.clock.now())
        item = state.items.get(CONSENT_ITEM)
        return witness, item is not None and item.tick is None and not item.locked

    @store_errors
    def withdraw(self, consent_id: int, reason: str, staff_id: int) -> SignedConsent:
        """Record that the patient withdrew this consent, with their reason, as told to `staff_id`:
        a row of its own beside the signed one, audited. Refused: a consent withdrawn already, and
        while the patient has a session in progress (stopped first, so no treatment goes on)."""
        checked = check_reason(reason, "Why the patient withdrew their consent")
        with self._context.db.atomic():
            member = self._context.staff(staff_id)
            found = ConsentRow.get_or_none(ConsentRow.id == consent_id)
            if found is None:
                raise ActionRefused("That consent is not known.")
            if ConsentWithdrawalRow.get_or_none(ConsentWithdrawalRow.consent == consent_id) is not None:
                raise ActionRefused("This consent was withdrawn already.")
            running = SessionRow.select().where(
                (SessionRow.patient == found.patient_id) & SessionRow.ended_at.is_null()
            )
            if running.exists():
                # The treatment must not go on under a withdrawn consent: it is stopped first,
                # with the reason, so the record says where it ended.
                raise ActionRefused(
                    "The patient has a session in progress: stop it first (Stop… on its page, saying "
                    "the patient withdrew consent), then record the withdrawal here."
                )
            now: datetime = self._context.clock.now()
            row = ConsentWithdrawalRow.create(
                consent=consent_id, withdrawn_at=now, withdrawn_by=staff_id, reason=checked
            )
            detail = {"consent": consent_id, "patient": found.patient_id, "reason": checked}
            sealed = [(ConsentWithdrawalRow, row.id)]
            self._context.audit(CONSENT_WITHDRAWN, member.id, "consent", consent_id, detail, sealed)
            return self.consent(consent_id)
