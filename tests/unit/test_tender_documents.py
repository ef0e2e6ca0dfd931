"""Tender documents: type by content, disguised and oversized files refused."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from market.errors import ValidationFailed
from market.tenders.documents import MAX_BYTES, check_document, clean_filename, detect_kind

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def office(*parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in parts:
            archive.writestr(part, "<xml/>")
    return buffer.getvalue()


DOCX = office("[Content_Types].xml", "word/document.xml")
XLSX = office("[Content_Types].xml", "xl/workbook.xml")


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("notice.pdf", PDF, "pdf"),
        ("map.PNG", PNG, "png"),
        ("photo.jpg", JPEG, "jpeg"),
        ("photo.jpeg", JPEG, "jpeg"),
        ("terms.docx", DOCX, "docx"),
        ("budget.xlsx", XLSX, "xlsx"),
    ],
)
def test_accepted_types_are_detected_from_content(name: str, data: bytes, kind: str) -> None:
    checked = check_document(name, data)
    assert checked.kind == kind
    assert checked.size == len(data)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notice.pdf", b"<html><script>alert(1)</script></html>"),  # HTML called PDF
        ("notice.pdf", b"MZ\x90\x00" + b"\x00" * 60),  # a Windows executable
        ("terms.docx", PDF),  # a real PDF with the wrong name
        ("terms.docx", office("evil.sh")),  # a zip that is not a Word file
        ("budget.xlsx", DOCX),  # Word called Excel
        ("photo.png", JPEG),
        ("notice", PDF),  # no extension
        ("notice.pdf.exe", PDF),
    ],
)
def test_disguised_files_are_refused(name: str, data: bytes) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_document(name, data)
    assert set(caught.value.errors) == {"document"}


def test_oversized_and_empty_files_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        check_document("big.pdf", PDF + b"0" * MAX_BYTES)
    with pytest.raises(ValidationFailed):
        check_document("empty.pdf", b"")


def test_names_lose_paths_and_odd_characters() -> None:
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("C:\\x\\招标文件.pdf") == "招标文件.pdf"
    assert clean_filename('a"b<c>.pdf') == "a_b_c_.pdf"
    assert clean_filename("...") == "file"
    assert detect_kind(b"") is None
