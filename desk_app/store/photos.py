"""Clinical photos (issue 21): kept as rows of the database, so a backup, a restore and migrate-to
carry them with the records (a folder beside the file would be left behind, and a server has none).

A service of Desk (desk.photos). A photo is added once and never changed (the database refuses
UPDATE and DELETE); its import's audit row carries its SHA-256 and seals the row, so `audit verify`
finds a photo changed outside the app. Every look at a photo's pixels (thumbnails or full size) is
an audit row: who saw which. Lists carry no bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from desk_app.domain.dates import local_today
from desk_app.domain.errors import ActionRefused, ValidationError
from desk_app.domain.photos import (
    PhotoInfo,
    PhotoStage,
    PhotoView,
    check_photo,
    checked_source_name,
    photo_digest,
)
from desk_app.domain.session import SessionStatus
from desk_app.store.audit_actions import PHOTOS_VIEWED
from desk_app.store.context import Service, StoreContext
from desk_app.store.errors import store_errors
from desk_app.store.models import PhotoRow, SessionRow, StaffRow

PHOTO_IMPORTED = "photo imported"
# Photos are listed by session, then in the order a nurse takes them.
_VIEW_ORDER = {view: index for index, view in enumerate(PhotoView)}
_STAGE_ORDER = {stage: index for index, stage in enumerate(PhotoStage)}
# What a list reads: never the bytes.
_INFO_COLUMNS = (
    PhotoRow.id,
    PhotoRow.patient,
    PhotoRow.session,
    SessionRow.session_number,
    SessionRow.started_at,
    PhotoRow.view,
    PhotoRow.stage,
    PhotoRow.imported_at,
    StaffRow.name,
    PhotoRow.source_name,
    PhotoRow.sha256,
    PhotoRow.width,
    PhotoRow.height,
)


def _view(value: str) -> PhotoView:
    try:
        return PhotoView(value)
    except ValueError:
        raise ValidationError(f"{value!r} is not a photo view (front, left or right).") from None


def _stage(value: str) -> PhotoStage:
    try:
        return PhotoStage(value)
    except ValueError:
        raise ValidationError(f"{value!r} is not a photo stage (before or after).") from None


def _info(row: Sequence[Any]) -> PhotoInfo:
    photo_id, patient_id, session_id, number, started_at, view, stage, imported_at, *rest = row
    by_name, source_name, sha256, width, height = rest
    return PhotoInfo(
        id=photo_id,
        patient_id=patient_id,
        session_id=session_id,
        session_number=number,
        session_date=local_today(started_at),
        view=PhotoView(view),
        stage=PhotoStage(stage),
        imported_at=imported_at,
        imported_by_name=by_name,
        source_name=source_name,
        sha256=sha256,
        width=width,
        height=height,
    )


def _sorted(photos: Iterable[PhotoInfo]) -> list[PhotoInfo]:
    return sorted(
        photos,
        key=lambda photo: (
            photo.session_number,
            photo.session_id,
            _STAGE_ORDER[photo.stage],
            _VIEW_ORDER[photo.view],
            photo.id,
        ),
    )


class Photos(Service):
    """Clinical photos of sessions: added, listed, opened (audited)."""

    def __init__(self, context: StoreContext) -> None:
        self._context = context

    @store_errors
    def add(
        self,
        session_id: int,
        view: str,
        stage: str,
        jpeg: bytes,
        thumbnail: bytes,
        width: int,
        height: int,
        source_name: str,
        staff_id: int,
    ) -> PhotoInfo:
        """Keep a prepared photo (ui.photo_files.prepare_photo: metadata stripped) of a session.

        Allowed while the session is in progress and on the clinic day it ended (a camera card is
        often read at the end of the day); refused after, and for a photo this session holds already
        (the same bytes imported twice)."""
        view, stage = _view(view), _stage(stage)
        check_photo(jpeg, thumbnail, width, height)
        source_name = checked_source_name(source_name)
        digest = photo_digest(jpeg)
        with self._context.db.atomic():
            member = self._context.staff(staff_id)
            session = SessionRow.get_or_none(SessionRow.id == session_id)
            if session is None:
                raise ActionRefused("That session is not known; the photo was not stored.")
            now = self._context.clock.now()
            self._check_still_open(session, now)
            twin = PhotoRow.select(PhotoRow.view, PhotoRow.stage).where(
                (PhotoRow.session == session_id) & (PhotoRow.sha256 == digest)
            )
            found = twin.first()
            if found is not None:
                kept_as = f"{PhotoStage(found.stage).label.lower()}, {PhotoView(found.view).label.lower()}"
                raise ActionRefused(f"This photo is stored already for this session ({kept_as}).")
            row = PhotoRow.create(
                session=session_id,
                patient=session.patient_id,
                view=view.value,
                stage=stage.value,
                imported_at=now,
                imported_by=staff_id,
                source_name=source_name,
                sha256=digest,
                width=width,
                height=height,
                thumbnail=thumbnail,
                jpeg=jpeg,
            )
            detail = {
                "session": session_id,
                "patient": session.patient_id,
                "view": view.value,
                "stage": stage.value,
                "sha256": digest,
                "bytes": len(jpeg),
            }
            self._context.audit(PHOTO_IMPORTED, staff_id, "photo", row.id, detail, [(PhotoRow, row.id)])
        return PhotoInfo(
            id=row.id,
            patient_id=session.patient_id,
            session_id=session_id,
            session_number=session.session_number,
            session_date=local_today(session.started_at),
            view=view,
            stage=stage,
            imported_at=now,
            imported_by_name=member.name,
            source_name=source_name,
            sha256=digest,
            width=width,
            height=height,
        )

    @staticmethod
    def _check_still_open(session: SessionRow, now: datetime) -> None:
        if session.status == SessionStatus.IN_PROGRESS or session.ended_at is None:
            return
        if local_today(session.ended_at) != local_today(now):
            raise ActionRefused(
                f"Session {session.session_number} ended on an earlier day; photos are added to a "
                "session until the end of the day it ends. The photo was not stored."
            )

    def _infos(self, condition: object) -> list[PhotoInfo]:
        query = (
            PhotoRow.select(*_INFO_COLUMNS)
            .join(SessionRow, on=PhotoRow.session == SessionRow.id)
            .switch(PhotoRow)
            .join(StaffRow, on=PhotoRow.imported_by == StaffRow.id)
            .where(condition)
            .tuples()
        )
        # cast: peewee's stubs type the rows of .tuples() as models
        return _sorted(_info(row) for row in cast("Iterable[tuple[Any, ...]]", query))

    @store_errors
    def photos_of_patient(self, patient_id: int) -> list[PhotoInfo]:
        """Every photo of a patient, without bytes: by session, before then after, front, left, right."""
        return self._infos(PhotoRow.patient == patient_id)

    @store_errors
    def photos_of_session(self, session_id: int) -> list[PhotoInfo]:
        """A session's photos, without bytes, in the same order."""
        return self._infos(PhotoRow.session == session_id)

    @store_errors
    def open_thumbnails(self, photo_ids: Sequence[int], staff_id: int) -> dict[int, bytes]:
        """The thumbnails of these photos, by id; the look is audited (one row for them all)."""
        wanted = list(dict.fromkeys(photo_ids))
        with self._context.db.atomic():
            self._context.staff(staff_id)
            if not wanted:
                return {}
            query = PhotoRow.select(PhotoRow.id, PhotoRow.patient, PhotoRow.thumbnail).where(
                PhotoRow.id.in_(wanted)
            )
            rows = cast("list[tuple[int, int, bytes]]", list(query.tuples()))
            self._audit_view(staff_id, wanted, {row[0]: row[1] for row in rows}, "thumbnails")
        return {photo_id: thumbnail for photo_id, _patient, thumbnail in rows}

    @store_errors
    def open_photo(self, photo_id: int, staff_id: int) -> bytes:
        """A photo at full size; the look is audited."""
        with self._context.db.atomic():
            self._context.staff(staff_id)
            query = PhotoRow.select(PhotoRow.id, PhotoRow.patient, PhotoRow.jpeg).where(
                PhotoRow.id == photo_id
            )
            row = cast("tuple[int, int, bytes] | None", query.tuples().first())
            self._audit_view(staff_id, [photo_id], {row[0]: row[1]} if row else {}, "full size")
        assert row is not None
        return row[2]

    def _audit_view(self, staff_id: int, wanted: list[int], patients: dict[int, int], size: str) -> None:
        """One audit row: who saw which photos (of which patient). An unknown id is refused."""
        unknown = [photo_id for photo_id in wanted if photo_id not in patients]
        if unknown:
            raise ActionRefused(f"Photo {unknown[0]} is not known.")
        owners = set(patients.values())
        patient = owners.pop() if len(owners) == 1 else None
        detail = {"photos": wanted, "size": size, "patients": sorted(set(patients.values()))}
        self._context.audit(PHOTOS_VIEWED, staff_id, "patient", patient, detail)
