"""Uploaded photos lose their EXIF (GPS), XMP and text metadata before they are stored (issue 12, item 5)."""
from __future__ import annotations

import struct
import zlib

import pytest

from consumers.web.exif import MetadataError, strip_metadata
from consumers.web.photos import PhotoRejected, check_photo

GPS = b"GPSLatitude 31.8639N GPSLongitude 117.2808E"


def segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def jpeg() -> bytes:
    """A JPEG's structure (not a decodable picture): JFIF, EXIF with GPS, XMP, a comment, tables, scan."""
    return (b"\xff\xd8" + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
            + segment(0xE1, b"Exif\x00\x00" + GPS) + segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + GPS)
            + segment(0xFE, b"taken at " + GPS) + segment(0xDB, b"\x00" + bytes(64))
            + segment(0xC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00") + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
            + b"\x12\x34\xff\x00\x56" + b"\xff\xd9")


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png() -> bytes:
    raw = b"".join(b"\x00" + b"\x80" * 8 for _ in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
            + chunk(b"eXIf", b"MM\x00*" + GPS) + chunk(b"tEXt", b"Comment\x00" + GPS)
            + chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + GPS)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("make, kind", [(jpeg, "image/jpeg"), (png, "image/png")])
def test_stored_photos_carry_no_gps(make, kind):
    original = make()
    assert GPS in original
    stored = check_photo(kind, original).data
    assert GPS not in stored and b"Exif" not in stored and b"eXIf" not in stored
    assert stored[:4] == original[:4] and stored[-6:] == original[-6:]  # same format, same image data at the end


def test_the_picture_itself_is_kept():
    stored = strip_metadata(png())
    assert chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + b"\x80" * 8 for _ in range(8)))) in stored
    assert b"JFIF" in strip_metadata(jpeg()) and b"\x12\x34\xff\x00\x56" in strip_metadata(jpeg())


@pytest.mark.parametrize("broken", [b"\xff\xd8\xff\xe1\xff\xff" + GPS, b"\x89PNG\r\n\x1a\n" + b"0" * 40])
def test_a_photo_that_does_not_parse_is_refused_not_kept(broken):
    with pytest.raises(MetadataError):
        strip_metadata(broken)
    with pytest.raises(PhotoRejected):
        check_photo(None, broken)
