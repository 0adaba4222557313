"""The side-by-side view of a course (issue 21 point 2): one photo of the same view and stage per
session, in session order, a retake replacing the first."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from desk_app.domain.photos import PhotoInfo, PhotoStage, PhotoView, across_the_course

START = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def photo(photo_id: int, session: int, view: PhotoView, stage: PhotoStage, minutes: int = 0) -> PhotoInfo:
    return PhotoInfo(
        id=photo_id,
        patient_id=1,
        session_id=10 + session,
        session_number=session,
        session_date=date(2026, 9, 1) + timedelta(weeks=5 * (session - 1)),
        view=view,
        stage=stage,
        imported_at=START + timedelta(weeks=5 * (session - 1), minutes=minutes),
        imported_by_name="Ann Nurse",
        source_name=f"IMG_{photo_id}.JPG",
        sha256=f"{photo_id:064x}",
        width=2560,
        height=1920,
    )


FRONT, LEFT, BEFORE, AFTER = PhotoView.FRONT, PhotoView.LEFT, PhotoStage.BEFORE, PhotoStage.AFTER


def test_one_photo_of_the_view_and_stage_per_session_in_session_order_the_retake_kept() -> None:
    photos = [
        photo(7, 3, FRONT, BEFORE),
        photo(1, 1, FRONT, BEFORE),
        photo(2, 1, FRONT, BEFORE, minutes=2),  # a retake: the first was blurred
        photo(3, 1, LEFT, BEFORE),
        photo(4, 1, FRONT, AFTER),
        photo(5, 2, LEFT, BEFORE),  # session 2 has no front photo
    ]
    assert [p.id for p in across_the_course(photos, FRONT, BEFORE)] == [2, 7]
    assert [p.id for p in across_the_course(photos, LEFT, BEFORE)] == [3, 5]
    assert [p.id for p in across_the_course(photos, FRONT, AFTER)] == [4]
    assert across_the_course(photos, PhotoView.RIGHT, BEFORE) == []


def test_views_and_stages_are_labelled_as_the_nurse_reads_them() -> None:
    assert [view.label for view in PhotoView] == ["Front", "Left side", "Right side"]
    assert [stage.label for stage in PhotoStage] == ["Before", "After"]
