"""Clinical photos (issue 21): which view and stage a photo is, what a stored photo says about
itself, and the checks its bytes pass before they are kept. The pictures themselves are made by the
ui's import pipeline (ui/photo_files.py) and kept as rows by the store (store/photos.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from desk_app.domain.errors import ValidationError

# A stored photo is re-encoded at most this long on its longest side: every scar shows at the
# distance a clinic photographs a face, and a 12-megapixel original would make each backup of a
# year's clinic tens of gigabytes.
MAX_PHOTO_SIDE = 2560
THUMBNAIL_SIDE = 320
# Far above what MAX_PHOTO_SIDE gives (a few hundred KB to 2 MB), far below what would hurt.
MAX_STORED_PHOTO_BYTES = 16 * 1024 * 1024
MAX_STORED_THUMBNAIL_BYTES = 512 * 1024
MAX_SOURCE_NAME = 255
_JPEG_START = b"\xff\xd8\xff"


class PhotoView(StrEnum):
    FRONT = "front"
    LEFT = "left"
    RIGHT = "right"

    @property
    def label(self) -> str:
        return _VIEW_LABELS[self]


_VIEW_LABELS = {PhotoView.FRONT: "Front", PhotoView.LEFT: "Left side", PhotoView.RIGHT: "Right side"}


class PhotoStage(StrEnum):
    BEFORE = "before"
    AFTER = "after"

    @property
    def label(self) -> str:
        return "Before" if self is PhotoStage.BEFORE else "After"


@dataclass(frozen=True)
class PhotoInfo:
    """A stored photo without its bytes: what a list, a caption and the audit trail need."""

    id: int
    patient_id: int
    session_id: int
    session_number: int
    session_date: date  # the clinic's local day the session started
    view: PhotoView
    stage: PhotoStage
    imported_at: datetime  # UTC
    imported_by_name: str
    source_name: str  # the file's name only, never its folder
    sha256: str
    width: int
    height: int


def across_the_course(photos: Iterable[PhotoInfo], view: PhotoView, stage: PhotoStage) -> list[PhotoInfo]:
    """The side-by-side view of a course: one photo of this view and stage per session that has one,
    in session order; where a session holds several (a retake), the last imported."""
    chosen: dict[int, PhotoInfo] = {}
    for photo in photos:
        if photo.view is view and photo.stage is stage:
            kept = chosen.get(photo.session_id)
            if kept is None or (photo.imported_at, photo.id) > (kept.imported_at, kept.id):
                chosen[photo.session_id] = photo
    return sorted(
        chosen.values(), key=lambda photo: (photo.session_number, photo.session_date, photo.session_id)
    )


def photo_digest(jpeg: bytes) -> str:
    """The SHA-256 (hex) of a stored photo's exact bytes, as the audit trail keeps it."""
    return hashlib.sha256(jpeg).hexdigest()


class PhotoFileRefused(ValidationError):
    """A file chosen as a photo was not read or not kept; the message says why and what to do."""


# JPEG markers: start and end of image, start of scan; APP1-APP15 (Exif, XMP, ICC, maker notes...)
# and COM (a comment) are where a file keeps its metadata.
_SOI, _EOI, _SOS, _COM = 0xD8, 0xD9, 0xDA, 0xFE
_METADATA_MARKERS = frozenset(range(0xE1, 0xF0)) | {_COM}
_STANDALONE_MARKERS = frozenset(range(0xD0, 0xD8)) | {0x01}


def _segments(jpeg: bytes) -> Iterator[tuple[int, int, int]]:
    """(marker, start, end) of each segment of a JPEG up to its first scan, whose own ends the walk
    (its end is the file's). Stops early at bytes that are not a segment."""
    at = 2
    while at + 4 <= len(jpeg):
        if jpeg[at] != 0xFF:
            return
        marker = jpeg[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in _STANDALONE_MARKERS:
            yield marker, at, at + 2
            at += 2
            continue
        length = int.from_bytes(jpeg[at + 2 : at + 4], "big")
        end = at + 2 + length
        if length < 2 or end > len(jpeg):
            return
        if marker == _SOS:
            yield marker, at, len(jpeg)
            return
        yield marker, at, end
        at = end


def jpeg_without_metadata(jpeg: bytes) -> bytes:
    """The JPEG with every metadata segment (APP1-APP15: Exif with its GPS, XMP, ICC, maker notes;
    COM) left out, the picture untouched: the stored photo cannot carry anything the encoder was
    given besides pixels. The segments up to the first scan are walked; the scan is copied as it is.
    Raises ValidationError for bytes that are not a whole JPEG."""
    if not jpeg.startswith(b"\xff\xd8"):
        raise ValidationError("The photo is not a JPEG image; nothing was stored.")
    kept = bytearray(jpeg[:2])
    for marker, start, end in _segments(jpeg):
        if marker == _SOS:
            return bytes(kept + jpeg[start:])
        if marker not in _METADATA_MARKERS:
            kept += jpeg[start:end]
    raise ValidationError("The photo is not a whole JPEG image; nothing was stored.")


def carries_metadata(jpeg: bytes) -> bool:
    """Whether a segment before the picture holds metadata (Exif and its GPS, XMP, a comment)."""
    return any(marker in _METADATA_MARKERS for marker, _start, _end in _segments(jpeg))


def checked_source_name(name: str) -> str:
    """The name of the file a photo came from, as shown and stored: its last part only (a folder
    says where a phone synced to, which is no part of the record), without control characters."""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(character for character in last if character.isprintable()).strip()
    if not cleaned:
        raise ValidationError("The photo's file name is empty.")
    return cleaned[:MAX_SOURCE_NAME]


def check_photo(jpeg: bytes, thumbnail: bytes, width: int, height: int) -> None:
    """Refuse bytes that are not the JPEG pair the import pipeline makes (nothing is stored)."""
    for what, data, limit in (
        ("photo", jpeg, MAX_STORED_PHOTO_BYTES),
        ("thumbnail", thumbnail, MAX_STORED_THUMBNAIL_BYTES),
    ):
        if not isinstance(data, bytes) or not data.startswith(_JPEG_START):
            raise ValidationError(f"The {what} is not a JPEG image; nothing was stored.")
        if len(data) > limit:
            raise ValidationError(
                f"The {what} is larger than {limit // (1024 * 1024) or 1} MB; nothing was stored."
            )
        if carries_metadata(data):  # the import strips it: bytes that did not come through it
            raise ValidationError(
                f"The {what} still carries metadata (camera details, perhaps its location); nothing "
                "was stored. Import it with Photos…, which leaves that out."
            )
    for side in (width, height):
        if isinstance(side, bool) or not isinstance(side, int) or not 1 <= side <= MAX_PHOTO_SIDE:
            raise ValidationError(
                f"A stored photo is 1 to {MAX_PHOTO_SIDE} pixels a side, not {width} x {height}; "
                "nothing was stored."
            )
