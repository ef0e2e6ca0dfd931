"""Tender documents: the type is detected from the content, never trusted from the name.

PURE (no framework imports). Accepted: PDF, PNG, JPEG, and the Office Open XML
formats DOCX and XLSX (ZIP containers whose parts say which they are). A file whose
name claims one type while the content is another (or nothing we accept) is
refused, as is an empty or oversized file.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from market.errors import ValidationFailed

MAX_BYTES = 5 * 1024 * 1024
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {
    "pdf": ("pdf",),
    "png": ("png",),
    "jpeg": ("jpg", "jpeg"),
    "docx": ("docx",),
    "xlsx": ("xlsx",),
}
_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class CheckedDocument:
    title: str
    filename: str
    kind: str
    content_type: str
    size: int
    sha256: str


def _office_kind(data: bytes) -> str | None:
    """docx / xlsx from the ZIP's part names (only the central directory is read)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def detect_kind(data: bytes) -> str | None:
    """The accepted type the bytes are, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data)
    return None


def clean_filename(name: str) -> str:
    """A display/download name without paths or odd characters ("file" if nothing left)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base).strip()
    base = _UNSAFE.sub("_", base).strip("._ ")
    return base[:200] or "file"


def check_document(filename: str, data: bytes, title: str = "") -> CheckedDocument:
    """Validate an upload; errors name the `document` field (or `title`)."""
    name = clean_filename(filename)
    title = (title or "").strip() or name
    if len(title) > 200:
        raise ValidationFailed.single("title", "A document title can be at most 200 characters.")
    if not data:
        raise ValidationFailed.single("document", "The file is empty.")
    if len(data) > MAX_BYTES:
        failure = ValidationFailed.single("document", "The file is larger than %(limit)s MB.")
        failure.field_params = {"document": {"limit": MAX_BYTES // (1024 * 1024)}}
        raise failure
    kind = detect_kind(data)
    if kind is None:
        raise ValidationFailed.single(
            "document", "Only PDF, PNG, JPEG, Word (.docx) and Excel (.xlsx) files are accepted."
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EXTENSIONS[kind]:
        raise ValidationFailed.single(
            "document", "The file's name does not match its content. Upload the original file."
        )
    return CheckedDocument(
        title=title,
        filename=name,
        kind=kind,
        content_type=CONTENT_TYPES[kind],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
