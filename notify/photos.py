"""Photos of project updates, pure: the type is read from the bytes (PNG or JPEG, by
`market.tenders.documents.detect_kind`), the size from the image's own header, and
the metadata a camera writes — the place a photo was taken (EXIF GPS), the device,
free text — is removed before anything is stored: the photos are published.

A JPEG keeps one thing of its EXIF: the orientation the camera was held in (a fresh,
minimal EXIF block carrying only that tag), so a phone's portrait photo still stands
upright; its width and height are given as it is shown.

A file that is not a PNG or JPEG whatever its name, that is empty, over the size cap,
or whose header cannot be read is refused with a `PhotoRefused` naming the reason.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from market.tenders.documents import CONTENT_TYPES, clean_filename, detect_kind

MAX_BYTES = 5 * 1024 * 1024
KINDS = ("png", "jpeg")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG chunks that carry metadata rather than pixels: EXIF, text, time.
_PNG_METADATA = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}
# JPEG segments kept before the image data: JFIF/JFXX (APP0), the colour profile
# (APP2), Adobe's colour transform (APP14); every other APPn (EXIF and XMP in APP1,
# IPTC in APP13, makers' notes) and comments (COM) are dropped.
_JPEG_KEEP_APP = {0xE0, 0xE2, 0xEE}
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


class PhotoRefused(ValueError):
    """Why a file is not a photo we publish: "type", "empty", "size" or "unreadable"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Photo:
    filename: str
    kind: str
    content_type: str
    width: int
    height: int
    data: bytes  # as stored: the metadata removed
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def _png(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, the PNG without its metadata chunks)."""
    out, pos = [_PNG_SIGNATURE], len(_PNG_SIGNATURE)
    size: tuple[int, int] | None = None
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            break
        if kind == b"IHDR" and length >= 8:
            size = struct.unpack(">II", data[pos + 8 : pos + 16])
        if kind not in _PNG_METADATA:
            out.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            break
    if size is None or not all(size) or out[-1][4:8] != b"IEND":
        raise PhotoRefused("unreadable")
    return size[0], size[1], b"".join(out)


def _orientation(segment: bytes) -> int:
    """The EXIF orientation (1-8) an APP1 segment carries; 1 when it carries none."""
    tiff = segment[10:] if segment[4:10] == b"Exif\x00\x00" else b""
    order = {b"MM": ">", b"II": "<"}.get(tiff[:2])
    if order is None or len(tiff) < 8:
        return 1
    (ifd,) = struct.unpack(order + "I", tiff[4:8])
    if ifd + 2 > len(tiff):
        return 1
    (count,) = struct.unpack(order + "H", tiff[ifd : ifd + 2])
    for k in range(count):
        entry = tiff[ifd + 2 + 12 * k : ifd + 14 + 12 * k]
        if len(entry) == 12 and struct.unpack(order + "H", entry[:2])[0] == 0x0112:
            (value,) = struct.unpack(order + "H", entry[8:10])
            return value if 1 <= value <= 8 else 1
    return 1


def _orientation_segment(orientation: int) -> bytes:
    """An APP1 EXIF segment that holds the orientation tag and nothing else."""
    tiff = b"MM\x00\x2a" + struct.pack(">IH", 8, 1)
    tiff += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _jpeg(data: bytes) -> tuple[int, int, bytes]:
    """(width, height as shown, the JPEG without its metadata segments)."""
    out, pos, orientation = [b"\xff\xd8"], 2, 1
    size: tuple[int, int] | None = None
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise PhotoRefused("unreadable")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:  # start of scan: the image data, kept whole to the end
            out.append(data[pos:])
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise PhotoRefused("unreadable")
        if marker in _JPEG_SOF and length >= 7:
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            size = (width, height)
        if marker == 0xE1 and orientation == 1:
            orientation = _orientation(data[pos:end])
        if not (0xE0 <= marker <= 0xEF and marker not in _JPEG_KEEP_APP) and marker != 0xFE:
            out.append(data[pos:end])
        pos = end
    if size is None or not all(size) or len(out) < 2 or out[-1][1] != 0xDA:
        raise PhotoRefused("unreadable")
    if orientation != 1:
        out.insert(1, _orientation_segment(orientation))
    width, height = size if orientation < 5 else size[::-1]  # 5-8: turned a quarter
    return width, height, b"".join(out)


def check_photo(filename: str, data: bytes) -> Photo:
    """The photo as it will be published, or `PhotoRefused`."""
    if not data:
        raise PhotoRefused("empty")
    if len(data) > MAX_BYTES:
        raise PhotoRefused("size")
    kind = detect_kind(data)
    if kind not in KINDS:
        raise PhotoRefused("type")
    width, height, stored = _png(data) if kind == "png" else _jpeg(data)
    extension = "png" if kind == "png" else "jpg"
    stem = clean_filename(filename).rsplit(".", 1)[0] or "photo"
    return Photo(
        filename=f"{stem[:190]}.{extension}",
        kind=kind,
        content_type=CONTENT_TYPES[kind],
        width=width,
        height=height,
        data=stored,
        sha256=hashlib.sha256(stored).hexdigest(),
    )
