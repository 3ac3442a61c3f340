"""Home-visit photos: at most 3 per visit, 2 MiB each, JPEG or PNG by content (not by file name),
stored without EXIF/GPS and other metadata (consumers/web/exif.py).

    <data_dir>/web/photos/<case_id>/<sha256[:20]>.jpg|.png

They are served back only after the tracker API has let the user read the case.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from consumers.web.exif import MetadataError, strip_metadata
from consumers.web.security import MAX_PHOTO_BYTES, MAX_PHOTOS

SIGNATURES = {"image/jpeg": (b"\xff\xd8\xff", ".jpg"), "image/png": (b"\x89PNG\r\n\x1a\n", ".png")}
NAME = re.compile(r"^[0-9a-f]{20}\.(jpg|png)$")
CASE_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


@dataclass(frozen=True)
class Photo:
    data: bytes
    suffix: str

    @property
    def name(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:20] + self.suffix


def check_photos(files: list[tuple[str | None, bytes]]) -> list[Photo]:
    """(content type, bytes) per upload -> photos; PhotoRejected says in Chinese what to fix."""
    files = [(kind, data) for kind, data in files if data]  # an empty file input sends an empty part
    if len(files) > MAX_PHOTOS:
        raise PhotoRejected(f"每次最多上传 {MAX_PHOTOS} 张照片")
    return [check_photo(kind, data) for kind, data in files]


def check_photo(content_type: str | None, data: bytes) -> Photo:
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRejected(f"照片不能超过 2 MiB（这张约 {len(data) / 1048576:.1f} MiB），请压缩后再上传")
    for declared, (magic, suffix) in SIGNATURES.items():
        if data.startswith(magic):
            if content_type not in (declared, None, "application/octet-stream"):
                break
            try:
                return Photo(strip_metadata(data), suffix)
            except MetadataError:
                raise PhotoRejected("照片文件已损坏，无法读取，请重新拍摄后上传") from None
    raise PhotoRejected("只能上传 JPEG 或 PNG 格式的照片")


class PhotoStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, case_id: str, photos: list[Photo]) -> list[str]:
        folder = self._folder(case_id)
        folder.mkdir(parents=True, exist_ok=True)
        for photo in photos:
            (folder / photo.name).write_bytes(photo.data)
        return [photo.name for photo in photos]

    def names(self, case_id: str) -> list[str]:
        folder = self._folder(case_id)
        return sorted(p.name for p in folder.iterdir() if NAME.match(p.name)) if folder.is_dir() else []

    def erase(self, case_id: str) -> int:
        """Delete the case's photos; how many there were."""
        names = self.names(case_id)
        for name in names:
            (self._folder(case_id) / name).unlink(missing_ok=True)
        if (folder := self._folder(case_id)).is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        return len(names)

    def path(self, case_id: str, name: str) -> Path | None:
        if not NAME.match(name):
            return None
        path = self._folder(case_id) / name
        return path if path.is_file() else None

    def _folder(self, case_id: str) -> Path:
        if not CASE_ID.match(case_id):
            raise PhotoRejected("案件编号不正确")
        return self.root / case_id


class PhotoRejected(ValueError):
    """An upload we will not keep; the message is shown to the caseworker as is."""
