"""What a project update must be, pure: a title and a text in Chinese, in English or
in both (a language is given whole or left out), and up to `MAX_PHOTOS` photos, each
with the text that stands for it (alt text, required: the page is read aloud too).

`check_update` gathers every error at once, keyed by the form's field names
(`title_zh`, `body_zh`, `title_en`, `body_en`, `photo-1`, `alt-1`, …), and raises one
`ValidationFailed`; nothing is written unless all of it is right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from market.errors import ValidationFailed
from notify.photos import MAX_BYTES, Photo, PhotoRefused, check_photo

TITLE_MAX = 200
BODY_MAX = 5_000
ALT_MAX = 300
MAX_PHOTOS = 3
LANGS = ("zh", "en")

PHOTO_ERRORS = {
    "type": "Only PNG and JPEG photos are accepted.",
    "empty": "The photo is empty.",
    "size": "The photo is larger than %(limit)s MB.",
    "unreadable": "The photo could not be read. Upload the original PNG or JPEG file.",
}


@dataclass(frozen=True, slots=True)
class PhotoUpload:
    slot: int  # 1 … MAX_PHOTOS: the form's photo-N and alt-N
    filename: str
    data: bytes
    alt: str


@dataclass(frozen=True, slots=True)
class CheckedPhoto:
    position: int
    alt: str
    photo: Photo


@dataclass(frozen=True, slots=True)
class UpdateDraft:
    title_zh: str
    body_zh: str
    title_en: str
    body_en: str
    photos: tuple[CheckedPhoto, ...]

    @property
    def langs(self) -> tuple[str, ...]:
        return tuple(lang for lang in LANGS if getattr(self, f"title_{lang}"))


def _texts(texts: Mapping[str, str], errors: dict[str, str]) -> dict[str, str]:
    clean = {name: " ".join((texts.get(name) or "").split()) for name in ("title_zh", "title_en")}
    clean |= {name: (texts.get(name) or "").strip() for name in ("body_zh", "body_en")}
    for lang in LANGS:
        title, body = clean[f"title_{lang}"], clean[f"body_{lang}"]
        if len(title) > TITLE_MAX:
            errors[f"title_{lang}"] = "A title can be at most 200 characters."
        if len(body) > BODY_MAX:
            errors[f"body_{lang}"] = "The text can be at most 5,000 characters."
        if title and not body:
            errors[f"body_{lang}"] = (
                "Write the update's text in this language too, or clear its title."
            )
        if body and not title:
            errors[f"title_{lang}"] = (
                "Give the update a title in this language too, or clear its text."
            )
    if not any(clean.values()):
        errors["title_zh"] = "Write the update: a title and a text in Chinese, English or both."
    return clean


def _photo(upload: PhotoUpload, errors: dict[str, str]) -> CheckedPhoto | None:
    alt = " ".join(upload.alt.split())
    if not alt:
        errors[f"alt-{upload.slot}"] = "Describe the photo for people who cannot see it."
    elif len(alt) > ALT_MAX:
        errors[f"alt-{upload.slot}"] = "A photo's description can be at most 300 characters."
    try:
        photo = check_photo(upload.filename, upload.data)
    except PhotoRefused as refused:
        errors[f"photo-{upload.slot}"] = PHOTO_ERRORS[refused.reason]
        return None
    return CheckedPhoto(upload.slot, alt, photo)


def check_update(texts: Mapping[str, str], uploads: Sequence[PhotoUpload]) -> UpdateDraft:
    """The update as it will be stored, or `ValidationFailed` with every error."""
    errors: dict[str, str] = {}
    clean = _texts(texts, errors)
    photos: list[CheckedPhoto] = []
    for upload in uploads:
        if not 1 <= upload.slot <= MAX_PHOTOS:
            errors["form"] = "Attach at most 3 photos."
            continue
        checked = _photo(upload, errors)
        if checked is not None:
            photos.append(checked)
    if errors:
        failure = ValidationFailed(errors)
        failure.field_params = {
            name: {"limit": MAX_BYTES // (1024 * 1024)}
            for name, message in errors.items()
            if "%(limit)s" in message
        }
        raise failure
    return UpdateDraft(photos=tuple(sorted(photos, key=lambda p: p.position)), **clean)
