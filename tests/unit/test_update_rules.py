"""What a project update must be (notify/update_rules.py) and how its photos are read
and cleaned (notify/photos.py): the type from the bytes, the size from the header, the
camera's metadata (GPS, device, comments) gone, the orientation kept."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from market.errors import ValidationFailed
from notify import photos
from notify.update_rules import PhotoUpload, check_update
from tests.images import jpeg, png
from tests.transparency_builders import PDF

TEXTS = {
    "title_zh": "第一次上门服务",
    "body_zh": "走访了12户独居老人。",
    "title_en": "",
    "body_en": "",
}


def errors_of(texts: dict[str, str], uploads: list[PhotoUpload] | None = None) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as refused:
        check_update(texts, uploads or [])
    return refused.value.errors


def test_an_update_in_one_language_with_a_photo() -> None:
    draft = check_update(
        TEXTS, [PhotoUpload(2, "visit.png", png(40, 30), "  Volunteers  at a door ")]
    )
    assert draft.langs == ("zh",)
    (photo,) = draft.photos
    assert (photo.position, photo.alt) == (2, "Volunteers at a door")
    assert (photo.photo.kind, photo.photo.width, photo.photo.height) == ("png", 40, 30)


def test_a_language_is_given_whole_or_not_at_all() -> None:
    assert errors_of({"title_en": "Week one"}).keys() == {"body_en"}
    assert errors_of({"body_zh": "只有正文"}).keys() == {"title_zh"}
    assert errors_of({"title_zh": " ", "body_zh": "\n"}).keys() == {"title_zh"}
    assert errors_of({**TEXTS, "title_en": "x" * 201, "body_en": "ok"}).keys() == {"title_en"}
    assert errors_of({**TEXTS, "body_zh": "字" * 5001}).keys() == {"body_zh"}


def test_every_photo_problem_is_named_beside_its_slot() -> None:
    uploads = [
        PhotoUpload(1, "visit.png", png(), ""),
        PhotoUpload(2, "scan.pdf", PDF, "A sign-in sheet"),
        PhotoUpload(3, "cut.jpg", jpeg()[:200], "Half a photo"),
    ]
    errors = errors_of(TEXTS, uploads)
    assert errors == {
        "alt-1": "Describe the photo for people who cannot see it.",
        "photo-2": "Only PNG and JPEG photos are accepted.",
        "photo-3": "The photo could not be read. Upload the original PNG or JPEG file.",
    }
    assert errors_of(TEXTS, [PhotoUpload(4, "a.png", png(), "x")]) == {
        "form": "Attach at most 3 photos."
    }


def test_a_photo_over_the_cap_is_refused_with_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(photos, "MAX_BYTES", 100)
    with pytest.raises(ValidationFailed) as refused:
        check_update(TEXTS, [PhotoUpload(1, "big.png", png(), "A big photo")])
    assert refused.value.errors == {"photo-1": "The photo is larger than %(limit)s MB."}
    assert refused.value.field_params == {"photo-1": {"limit": 5}}


def test_a_phone_photo_loses_its_gps_camera_and_comment_but_stands_upright() -> None:
    original = jpeg(64, 48, orientation=6, camera="SecretCam 3000", gps=True)
    assert b"SecretCam" in original and b"Mrs Wang" in original
    photo = photos.check_photo("IMG_0001.JPG", original)
    assert b"SecretCam" not in photo.data and b"Mrs Wang" not in photo.data
    image = Image.open(io.BytesIO(photo.data))
    image.load()  # still a whole JPEG
    exif = image.getexif()
    assert dict(exif) == {0x0112: 6} and not exif.get_ifd(0x8825)
    assert (photo.width, photo.height) == (48, 64)  # shown turned a quarter
    assert photo.filename == "IMG_0001.jpg" and photo.size == len(photo.data)


def test_a_png_keeps_its_pixels_and_loses_its_text() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Home of Mr Li, Building 3")
    buffer = io.BytesIO()
    Image.new("RGB", (9, 5), (1, 2, 3)).save(buffer, "PNG", pnginfo=info)
    photo = photos.check_photo("scan.jpeg", buffer.getvalue())
    assert b"Mr Li" not in photo.data and photo.filename == "scan.png"
    image = Image.open(io.BytesIO(photo.data))
    assert image.size == (9, 5) and image.getpixel((4, 2)) == (1, 2, 3)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"GIF89a" + b"\x00" * 20, "type"),
        (png()[:40], "unreadable"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 5, "unreadable"),
    ],
)
def test_what_is_not_a_whole_png_or_jpeg_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(photos.PhotoRefused) as refused:
        photos.check_photo("x.png", data)
    assert refused.value.reason == reason
