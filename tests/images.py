"""Real PNG and JPEG files for the photo tests, made with Pillow (installed with fpdf2,
a runtime dependency): a JPEG can carry the EXIF a phone writes (GPS, camera, the
orientation) and a comment."""

from __future__ import annotations

import io

from PIL import Image

GPS = {1: "N", 2: (30.0, 15.0, 7.5), 3: "E", 4: (120.0, 9.0, 1.0)}


def png(width: int = 48, height: int = 32, colour: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(
    width: int = 64, height: int = 48, *, orientation: int = 1, camera: str = "", gps: bool = False
) -> bytes:
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    if camera:
        exif[0x010F] = camera
    if gps:
        exif[0x8825] = GPS
    buffer = io.BytesIO()
    image = Image.new("RGB", (width, height), (200, 120, 40))
    image.save(buffer, "JPEG", exif=exif.tobytes(), comment=b"taken at Mrs Wang's home")
    return buffer.getvalue()
