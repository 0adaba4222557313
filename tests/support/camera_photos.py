"""What a camera writes into a photo besides its pixels, made by hand for the photo tests and the
import benchmark: an Exif segment with the orientation and where the photo was taken."""

from __future__ import annotations

import struct

# Where the photo was taken, as the camera wrote it: 51° 30' 26.45" N, as Exif rationals.
LATITUDE = struct.pack("<6I", 51, 1, 30, 1, 2645, 100)


def exif_segment(orientation: int) -> bytes:
    """A minimal APP1 Exif segment, little-endian TIFF: IFD0 holds the orientation and a pointer to
    the GPS IFD, which holds the latitude (N, three rationals)."""
    ifd0, gps_ifd, rationals = 8, 8 + 30, 8 + 30 + 30
    tiff = b"II*\x00" + struct.pack("<I", ifd0)
    tiff += struct.pack("<H", 2)
    tiff += struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)  # Orientation, SHORT
    tiff += struct.pack("<HHII", 0x8825, 4, 1, gps_ifd)  # GPSInfo IFD pointer, LONG
    tiff += struct.pack("<I", 0)
    tiff += struct.pack("<H", 2)
    tiff += struct.pack("<HHI", 0x0001, 2, 2) + b"N\x00\x00\x00"  # GPSLatitudeRef, ASCII
    tiff += struct.pack("<HHII", 0x0002, 5, 3, rationals)  # GPSLatitude, RATIONAL x 3
    tiff += struct.pack("<I", 0)
    assert len(tiff) == rationals
    tiff += LATITUDE
    body = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
