"""Strip what a phone writes into a photo besides the picture: EXIF (GPS position, device, time),
XMP, IPTC and comments. Only the image data and what decoding needs are kept.

    JPEG: segments APP1..APP15 and COM are dropped; APP0 (JFIF) and every decoding segment stay
    PNG:  chunks eXIf, tEXt, zTXt, iTXt, tIME are dropped

A file that does not parse as its format raises MetadataError: it is refused, not stored as is.
"""
from __future__ import annotations

import struct

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_DROPPED = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}
JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RSTn: no length field


def strip_metadata(data: bytes) -> bytes:
    if data.startswith(PNG_SIGNATURE):
        return _strip_png(data)
    if data.startswith(b"\xff\xd8"):
        return _strip_jpeg(data)
    raise MetadataError("neither JPEG nor PNG")


def _strip_jpeg(data: bytes) -> bytes:
    out, pos = [b"\xff\xd8"], 2
    while pos < len(data):
        if data[pos] != 0xFF:
            raise MetadataError("JPEG segment does not start with 0xFF")
        marker = data[pos + 1] if pos + 1 < len(data) else None
        if marker is None:
            raise MetadataError("JPEG ends inside a marker")
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in JPEG_STANDALONE:
            out.append(data[pos:pos + 2])
            pos += 2
            continue
        if marker == 0xD9:  # EOI
            out.append(data[pos:pos + 2])
            return b"".join(out)
        if pos + 4 > len(data):
            raise MetadataError("JPEG segment length is missing")
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise MetadataError("JPEG segment runs past the end")
        if marker == 0xDA:  # SOS: the entropy-coded image follows up to EOI; keep the rest as it is
            out.append(data[pos:])
            return b"".join(out)
        if not (0xE1 <= marker <= 0xEF or marker == 0xFE):
            out.append(data[pos:end])
        pos = end
    raise MetadataError("JPEG has no image data")


def _strip_png(data: bytes) -> bytes:
    out, pos = [PNG_SIGNATURE], len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, end = data[pos + 4:pos + 8], pos + 12 + length
        if end > len(data):
            raise MetadataError("PNG chunk runs past the end")
        if kind not in PNG_DROPPED:
            out.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            return b"".join(out)
    raise MetadataError("PNG has no IEND chunk")


class MetadataError(ValueError):
    """The image does not parse, so its metadata cannot be removed."""
