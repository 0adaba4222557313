"""Reading clinical photos from a camera card, a phone's synced folder or a connected camera (issue
21): the file read safely, turned the way the camera held it, re-encoded as a JPEG that carries
nothing but pixels (no GPS, no Exif, no comment), and a thumbnail made. Qt's image classes only, no
widget: it runs on any thread (the import runs off the window's thread).

Safety: a photo is read from a regular file opened without following a link (O_NOFOLLOW), checked
again on the open file (a FIFO swapped in after the look would otherwise block the read), up to a
size limit, into memory; Qt then decodes the bytes, never the path. A picture larger than a camera's
(a decompression bomb) is refused before its pixels are decoded.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, QStorageInfo, Qt
from PySide6.QtGui import QColor, QColorSpace, QImage, QImageReader, QImageWriter, QPainter

from desk_app.domain.photos import (
    MAX_PHOTO_SIDE,
    THUMBNAIL_SIDE,
    PhotoFileRefused,
    checked_source_name,
    jpeg_without_metadata,
)
from desk_app.store.files import NO_FOLLOW, NO_WAIT, not_a_file

log = logging.getLogger(__name__)

# A 12-megapixel JPEG is 3 to 8 MB, a 50-megapixel one about 25; a PNG screenshot of a phone's
# camera roll, a few tens.
MAX_FILE_BYTES = 64 * 1024 * 1024
# Above any clinic camera's photo (50 megapixels), within what Qt decodes (256 MB of pixels).
MAX_PIXELS = 60_000_000
PHOTO_QUALITY = 90
THUMBNAIL_QUALITY = 80
# What a camera or a phone writes; HEIC is listed so that choosing one says how to get a JPEG.
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".webp", ".heic", ".heif"})
_READABLE_FORMATS = frozenset({"jpeg", "jpg", "png", "tif", "tiff", "webp"})
_FOLDER_DEPTH = 3  # DCIM/100CANON/IMG_0001.JPG from the card's root, with one level to spare
_MAX_LISTED = 5_000
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")
_HEIC_ADVICE = (
    "is a HEIC photo, which Treatment Desk cannot read. Set the phone to save photos as JPEG "
    "(iPhone: Settings > Camera > Formats > Most Compatible; Android: the camera's settings, picture "
    "format JPEG), or export it as JPEG, and import that."
)

_LINK = "{name} is a link to another file, not a photo: choose the photo itself."


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo ready to store: a JPEG without metadata, its thumbnail, its size and the file's name."""

    jpeg: bytes
    thumbnail: bytes
    width: int
    height: int
    source_name: str


def prepare_photo(path: Path) -> PreparedPhoto:
    """The photo at `path`, read safely, turned upright, stripped and thumbnailed. Raises
    PhotoFileRefused (a DomainError) saying why for a link, a FIFO or a device, a folder, a file too
    large, HEIC, or anything that is not a readable picture; nothing is kept."""
    name = checked_source_name(path.name)
    data = read_photo_file(path, name)
    image = _decoded(data, name)
    photo = _encoded(image, PHOTO_QUALITY)
    thumbnail = _encoded(fitted(image, THUMBNAIL_SIDE), THUMBNAIL_QUALITY)
    return PreparedPhoto(photo, thumbnail, image.width(), image.height(), name)


def read_photo_file(path: Path, name: str) -> bytes:
    """The file's bytes: a regular file only, never through a link, never waiting on a FIFO put in
    its place since it was looked at, at most MAX_FILE_BYTES; PhotoFileRefused says why not."""
    try:
        found = path.lstat()
    except OSError as error:
        raise PhotoFileRefused(f"{name} cannot be read ({error.strerror}).") from None
    _check_kind(found.st_mode, found.st_size, name)
    try:
        descriptor = os.open(path, os.O_RDONLY | NO_FOLLOW | NO_WAIT)  # Windows has neither flag
    except OSError as error:
        if error.errno == errno.ELOOP:  # a link put there since the look
            raise PhotoFileRefused(_LINK.format(name=name)) from None
        raise PhotoFileRefused(f"{name} cannot be read ({error.strerror}).") from None
    with os.fdopen(descriptor, "rb") as opened:
        now = os.fstat(opened.fileno())
        _check_kind(now.st_mode, now.st_size, name)  # what was opened, whatever the look saw
        try:
            data = opened.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise PhotoFileRefused(f"{name} cannot be read ({error.strerror}).") from None
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(name)
    return data


def _check_kind(mode: int, size: int, name: str) -> None:
    if stat.S_ISLNK(mode):
        raise PhotoFileRefused(_LINK.format(name=name))
    if kind := not_a_file(mode):
        raise PhotoFileRefused(f"{name} is {kind}, not a photo.")
    if size > MAX_FILE_BYTES:
        raise _too_large(name)
    if size == 0:
        raise PhotoFileRefused(f"{name} is empty: it holds no photo.")


def _too_large(name: str) -> PhotoFileRefused:
    return PhotoFileRefused(
        f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, more than any camera's photo: "
        "it was not imported."
    )


@contextlib.contextmanager
def reading(data: bytes) -> Iterator[QImageReader]:
    """A reader of the picture in `data`, turned as the camera held it. Its device is let go while
    the buffer still exists: Qt's TIFF reader closes its file through it as the reader goes, and
    Python would have freed the buffer first (a crash, as soon as a folder held a TIFF)."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    try:
        yield reader
    finally:
        reader.setDevice(None)  # type: ignore[arg-type]  # Qt takes no device (nullptr)
        buffer.close()


def _decoded(data: bytes, name: str) -> QImage:
    """The picture, turned as the camera's orientation tag says and at most MAX_PHOTO_SIDE a side,
    opaque, in sRGB. The reader is asked for the stored size (Qt's JPEG reader then decodes at a
    reduced scale where the size allows it), and its size is checked before any pixel is decoded."""
    if _is_heif(data):
        raise PhotoFileRefused(f"{name} {_HEIC_ADVICE}")
    with reading(data) as reader:
        kind = bytes(reader.format().data()).decode("ascii", "replace")
        if kind not in _READABLE_FORMATS:
            raise PhotoFileRefused(
                f"{name} is not a photo Treatment Desk can read (a JPEG or PNG from a camera)."
            )
        stored = reader.size()
        if not stored.isValid() or stored.isEmpty():
            raise PhotoFileRefused(f"{name} is damaged: its picture cannot be read.")
        if stored.width() * stored.height() > MAX_PIXELS:
            raise PhotoFileRefused(
                f"{name} is {stored.width()} x {stored.height()} pixels, larger than any camera's photo: "
                "it was not imported."
            )
        longest = max(stored.width(), stored.height())
        if longest > MAX_PHOTO_SIDE:
            scale = MAX_PHOTO_SIDE / longest
            reader.setScaledSize(
                QSize(max(1, round(stored.width() * scale)), max(1, round(stored.height() * scale)))
            )
        image = reader.read()
        if image.isNull():
            raise PhotoFileRefused(f"{name} is damaged: its picture cannot be read ({reader.errorString()}).")
        image = fitted(image, MAX_PHOTO_SIDE)
        srgb = QColorSpace(QColorSpace.NamedColorSpace.SRgb)
        if image.colorSpace().isValid() and image.colorSpace() != srgb:
            # A phone's wider colours (Display P3) as sRGB: the stored JPEG carries no profile, and
            # redness must look the same across a course whichever phone took it.
            image.convertToColorSpace(srgb)
        return _opaque(image)


def _is_heif(data: bytes) -> bool:
    """HEIC, HEIF or AVIF: an ISO box 'ftyp' with one of their brands."""
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def fitted(image: QImage, side: int) -> QImage:
    if max(image.width(), image.height()) <= side:
        return image
    return image.scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


def _opaque(image: QImage) -> QImage:
    """Without transparency (a JPEG has none), on white, not on black; and without the text Qt read
    from the file (a PNG's or JPEG's comments), which its JPEG writer would write back."""
    flat = QImage(image.size(), QImage.Format.Format_RGB32)
    if image.hasAlphaChannel():
        flat.fill(QColor("white"))
    painter = QPainter(flat)
    painter.drawImage(0, 0, image)
    painter.end()
    return flat


def _encoded(image: QImage, quality: int) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, QByteArray(b"jpeg"))
    writer.setQuality(quality)
    if not writer.write(image):
        raise PhotoFileRefused(f"The photo could not be encoded ({writer.errorString()}).")
    return jpeg_without_metadata(bytes(buffer.data().data()))


def photos_in_folder(folder: Path) -> list[Path]:
    """The photos in a folder and the folders in it (a card's DCIM/100CANON), newest first: regular
    files with a photo's suffix, never through a link, hidden files (a Mac's ._IMG copies) left out."""
    found: list[tuple[float, Path]] = []
    _collect(folder, _FOLDER_DEPTH, found)
    found.sort(key=lambda entry: (-entry[0], entry[1].name))
    return [path for _, path in found[:_MAX_LISTED]]


def _collect(folder: Path, depth: int, found: list[tuple[float, Path]]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError as error:
        log.info("A folder of photos could not be listed: %s", error.strerror)
        return
    for entry in entries:
        if entry.name.startswith(".") or len(found) >= _MAX_LISTED:
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                if depth > 1:
                    _collect(Path(entry.path), depth - 1, found)
            elif entry.is_file(follow_symlinks=False) and Path(entry.name).suffix.lower() in PHOTO_SUFFIXES:
                found.append((entry.stat(follow_symlinks=False).st_mtime, Path(entry.path)))
        except OSError:
            continue  # gone or unreadable meanwhile: not listed


def camera_folders() -> list[Path]:
    """The DCIM folders of the mounted volumes (a camera card, a camera or phone seen as a drive)
    and of the cameras the desktop mounts over PTP/MTP (gvfs), where there are any."""
    roots = [Path(volume.rootPath()) for volume in QStorageInfo.mountedVolumes() if volume.isReady()]
    gvfs = Path(f"/run/user/{os.getuid()}/gvfs") if hasattr(os, "getuid") else None
    if gvfs is not None:
        with contextlib.suppress(OSError):  # no desktop session's mounts here
            roots += sorted(gvfs.iterdir())
    folders = []
    for root in roots:
        for name in ("DCIM", "dcim"):
            candidate = root / name
            try:
                if candidate.is_dir() and candidate not in folders:
                    folders.append(candidate)
                    break
            except OSError:
                continue
    return folders
