"""Reading a photo to import (issue 21 point 2): turned as the camera held it, stored without any
metadata (no GPS, no Exif, no comment), and a FIFO, a link, a folder, a huge file, HEIC or a file
that is no picture refused with a clear message. Images are made here, tiny (64 x 48)."""

from __future__ import annotations

import os
import re
import struct
import zlib
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QColor, QColorSpace, QImage, QPainter

from desk_app.domain.errors import ValidationError
from desk_app.domain.photos import PhotoFileRefused, jpeg_without_metadata
from desk_app.ui import photo_files
from desk_app.ui.photo_files import MAX_FILE_BYTES, camera_folders, photos_in_folder, prepare_photo
from tests.support.camera_photos import LATITUDE, exif_segment

RED, BLUE = QColor(220, 20, 20), QColor(20, 20, 220)
COMMENT = b"Taken at 12 Home Street"


def encoded(image: QImage, kind: str = "JPEG") -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, kind, 95)
    return bytes(buffer.data().data())


def half_red_half_blue(width: int = 64, height: int = 48) -> QImage:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(RED)
    painter = QPainter(image)
    painter.fillRect(width // 2, 0, width - width // 2, height, BLUE)
    painter.end()
    return image


def camera_jpeg(orientation: int = 6) -> bytes:
    """A camera's JPEG: stored 64 x 48 (left half red), an Exif segment with GPS, and a comment."""
    plain = encoded(half_red_half_blue())
    comment = b"\xff\xfe" + struct.pack(">H", len(COMMENT) + 2) + COMMENT
    return plain[:2] + exif_segment(orientation) + comment + plain[2:]


def markers_before_scan(jpeg: bytes) -> list[int]:
    markers, at = [], 2
    while jpeg[at + 1] != 0xDA:
        markers.append(jpeg[at + 1])
        at += 2 + struct.unpack(">H", jpeg[at + 2 : at + 4])[0]
    return markers


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a size (no pixels follow): how a decompression bomb starts."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes(3 * width + 1))  # one row, of the many claimed
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.fixture
def camera_file(tmp_path: Path) -> Path:
    path = tmp_path / "IMG_0001.JPG"
    path.write_bytes(camera_jpeg())
    return path


def test_a_camera_photo_is_turned_upright_and_stored_without_gps_exif_or_comment(camera_file: Path) -> None:
    source = camera_file.read_bytes()
    assert LATITUDE in source and b"Exif" in source and COMMENT in source  # what the camera wrote
    prepared = prepare_photo(camera_file)
    assert (prepared.width, prepared.height, prepared.source_name) == (48, 64, "IMG_0001.JPG")
    for stored in (prepared.jpeg, prepared.thumbnail):
        assert LATITUDE not in stored and b"Exif" not in stored and COMMENT not in stored
        assert not [
            marker for marker in markers_before_scan(stored) if 0xE1 <= marker <= 0xEF or marker == 0xFE
        ]
    upright = QImage.fromData(prepared.jpeg)
    assert (upright.width(), upright.height()) == (48, 64)
    # Orientation 6: the camera was turned a quarter clockwise; the stored left (red) is the top.
    top, bottom = upright.pixelColor(24, 8), upright.pixelColor(24, 56)
    assert top.red() > 180 > top.blue() and bottom.blue() > 180 > bottom.red()


def test_a_photo_larger_than_the_stored_size_is_scaled_and_given_a_thumbnail(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(encoded(half_red_half_blue(2600, 100), "PNG"))
    prepared = prepare_photo(path)
    assert (prepared.width, prepared.height) == (2560, 98)
    thumbnail = QImage.fromData(prepared.thumbnail)
    assert (thumbnail.width(), thumbnail.height()) == (320, 12)


def test_a_transparent_png_is_stored_on_white(tmp_path: Path) -> None:
    image = QImage(64, 48, QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    path = tmp_path / "screenshot.png"
    path.write_bytes(encoded(image, "PNG"))
    stored = QImage.fromData(prepare_photo(path).jpeg)
    assert stored.pixelColor(10, 10).lightness() > 240


def heic() -> bytes:
    return b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)


REFUSALS = {
    "a FIFO": (lambda path: os.mkfifo(path), "is a named pipe (FIFO), not a photo"),
    "a link to the live database": (
        lambda path: path.symlink_to(path.parent / "desk.sqlite3"),
        "is a link to another file",
    ),
    "a folder": (lambda path: path.mkdir(), "is a folder, not a photo"),
    "a huge file": (lambda path: path.touch() or os.truncate(path, MAX_FILE_BYTES + 1), "larger than 64 MB"),
    "an empty file": (lambda path: path.touch(), "is empty"),
    "a text file": (lambda path: path.write_text("PIN 1234\n"), "is not a photo Treatment Desk can read"),
    "HEIC": (lambda path: path.write_bytes(heic()), "Settings > Camera > Formats > Most Compatible"),
    "a damaged JPEG": (lambda path: path.write_bytes(camera_jpeg()[:300]), "is damaged"),
    "a decompression bomb": (
        lambda path: path.write_bytes(png_claiming(30000, 30000)),
        "30000 x 30000 pixels",
    ),
    "a file that is gone": (lambda path: None, "cannot be read"),
}


@pytest.mark.parametrize("kind", REFUSALS)
def test_what_is_not_a_photo_file_is_refused_with_a_clear_message(tmp_path: Path, kind: str) -> None:
    (tmp_path / "desk.sqlite3").write_bytes(b"SQLite format 3\x00" + bytes(100))
    make, message = REFUSALS[kind]
    path = tmp_path / "IMG_0002.JPG"
    make(path)
    with pytest.raises(PhotoFileRefused, match=re.escape(message)) as refused:
        prepare_photo(path)
    assert str(refused.value).startswith("IMG_0002.JPG ")


def test_stripping_keeps_the_picture_and_refuses_what_is_not_a_whole_jpeg() -> None:
    source = camera_jpeg(orientation=1)
    stripped = jpeg_without_metadata(source)
    assert b"Exif" not in stripped and COMMENT not in stripped
    assert QImage.fromData(stripped).pixelColor(8, 24) == QImage.fromData(source).pixelColor(8, 24)
    for broken in (b"GIF89a", source[:40]):
        with pytest.raises(ValidationError, match="JPEG"):
            jpeg_without_metadata(broken)


def test_photos_in_a_card_s_folders_are_listed_newest_first_never_through_a_link(tmp_path: Path) -> None:
    folder = tmp_path / "DCIM" / "100CANON"
    folder.mkdir(parents=True)
    for age, name in enumerate(["IMG_0003.JPG", "IMG_0002.jpeg", "IMG_0001.HEIC"]):
        (folder / name).write_bytes(b"\xff\xd8\xff")
        os.utime(folder / name, (1_700_000_000 - age * 60, 1_700_000_000 - age * 60))
    (folder / "NOTES.TXT").write_text("not a photo")
    (folder / "._IMG_0003.JPG").write_bytes(b"a Mac's shadow file")
    (folder / "LINK.JPG").symlink_to(tmp_path / "elsewhere.jpg")
    (tmp_path / "DCIM" / "LINKED").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(folder / "PIPE.JPG")
    names = [path.name for path in photos_in_folder(tmp_path / "DCIM")]
    assert names == ["IMG_0003.JPG", "IMG_0002.jpeg", "IMG_0001.HEIC"]
    assert photos_in_folder(tmp_path / "missing") == []


class FakeVolume:
    def __init__(self, root: Path) -> None:
        self.root = root

    def rootPath(self) -> str:  # noqa: N802 - Qt's name
        return str(self.root)

    def isReady(self) -> bool:  # noqa: N802 - Qt's name
        return True


def test_camera_folders_are_the_mounted_volumes_with_a_dcim_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card, stick = tmp_path / "card", tmp_path / "stick"
    (card / "DCIM").mkdir(parents=True)
    stick.mkdir()

    class Volumes:
        @staticmethod
        def mountedVolumes() -> list[FakeVolume]:  # noqa: N802 - Qt's name
            return [FakeVolume(card), FakeVolume(stick)]

    monkeypatch.setattr(photo_files, "QStorageInfo", Volumes)
    assert camera_folders()[0] == card / "DCIM"
    assert stick / "DCIM" not in camera_folders()


def test_a_photo_in_wider_colours_is_stored_as_srgb_without_a_profile(tmp_path: Path) -> None:
    skin = QColor(200, 110, 90)
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(skin)
    image.setColorSpace(QColorSpace(QColorSpace.NamedColorSpace.DisplayP3))
    path = tmp_path / "IMG_0004.JPG"
    path.write_bytes(encoded(image))
    assert b"ICC_PROFILE" in path.read_bytes()
    stored = prepare_photo(path).jpeg
    assert b"ICC_PROFILE" not in stored
    shown = QImage.fromData(stored).pixelColor(32, 24)
    as_srgb = image.convertedToColorSpace(QColorSpace(QColorSpace.NamedColorSpace.SRgb)).pixelColor(32, 24)
    assert shown.red() - skin.red() > 10  # the same skin, in sRGB's numbers (redder)
    assert abs(shown.red() - as_srgb.red()) <= 3 and abs(shown.green() - as_srgb.green()) <= 3


@pytest.mark.parametrize(
    ("swapped_in", "message"),
    [
        (lambda path: os.mkfifo(path), "is a named pipe (FIFO), not a photo"),
        (lambda path: path.symlink_to(path.parent / "desk.sqlite3"), "is a link to another file"),
    ],
    ids=["a FIFO", "a link"],
)
def test_a_file_swapped_after_it_was_looked_at_is_refused_without_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, swapped_in: object, message: str
) -> None:
    """The look (lstat) saw a photo; by the time it is opened a FIFO or a link stands there: the open
    follows no link and waits for no writer, and what was opened is checked again."""
    photo = tmp_path / "IMG_0005.JPG"
    photo.write_bytes(camera_jpeg())
    (tmp_path / "desk.sqlite3").write_bytes(b"SQLite format 3\x00" + bytes(100))
    looked_at = photo.lstat()
    photo.unlink()
    swapped_in(photo)  # type: ignore[operator]
    monkeypatch.setattr(Path, "lstat", lambda self: looked_at)
    with pytest.raises(PhotoFileRefused, match=re.escape(message)):
        prepare_photo(photo)


@pytest.mark.parametrize("suffix", [".tif", ".jpg"])  # a TIFF, and a TIFF named as a JPEG
def test_a_tiff_is_read_and_stored_as_a_jpeg_without_crashing_the_desk(tmp_path: Path, suffix: str) -> None:
    """Qt's TIFF reader closes its file through the buffer as it goes: freed first, the desk crashed
    as soon as a folder (a card, once found) held a TIFF."""
    picture = QImage(64, 48, QImage.Format.Format_RGB32)
    picture.fill(QColor("#c04030"))
    path = tmp_path / f"scan{suffix}"
    assert picture.save(str(path), "TIFF")
    for _ in range(3):  # the crash came as the reader went
        prepared = prepare_photo(path)
        assert (prepared.width, prepared.height) == (64, 48)
        assert prepared.jpeg.startswith(b"\xff\xd8")
