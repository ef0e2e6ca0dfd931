"""The text a PDF viewer would copy out of an fpdf2 PDF: the 2-byte glyph codes of each
text object's strings (Tj and TJ), decoded through the font's ToUnicode map. Only what fpdf2 writes
(one embedded TrueType font, Identity-H, literal strings), no general PDF parser."""

from __future__ import annotations

import re
import zlib

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _streams(pdf: bytes) -> list[bytes]:
    out = []
    for raw in _STREAM.findall(pdf):
        try:
            out.append(zlib.decompress(raw))
        except zlib.error:
            out.append(raw)
    return out


def _text_objects(content: bytes) -> list[bytes]:
    """The bytes shown by each BT ... ET text object of a content stream (the operands
    of Tj and TJ joined), with PDF string escapes undone."""
    objects: list[bytes] = []
    current = bytearray()
    i = 0
    while i < len(content):
        c = content[i : i + 1]
        if c == b"(":
            i = _read_string(content, i + 1, current)
        elif content.startswith(b"ET", i) and content[i + 2 : i + 3] in (b"", b"\n", b" "):
            objects.append(bytes(current))
            current = bytearray()
            i += 2
        else:
            i += 1
    return objects


def _read_string(content: bytes, j: int, out: bytearray) -> int:
    """Append the literal string starting after its "(" at j; the index after its ")"."""
    depth = 1
    while True:
        c = content[j : j + 1]
        if c == b"\\":
            nxt = content[j + 1 : j + 2]
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt]
                j += 2
            elif nxt.isdigit():
                digits = re.match(rb"[0-7]{1,3}", content[j + 1 : j + 4])
                assert digits
                out.append(int(digits.group(0), 8))
                j += 1 + len(digits.group(0))
            else:
                out += nxt
                j += 2
            continue
        depth += {b"(": 1, b")": -1}.get(c, 0)
        if not depth:
            return j + 1
        out += c
        j += 1


def pdf_lines(pdf: bytes) -> list[str]:
    """Each text object (one line as fpdf2 draws them) as a string, in drawing order."""
    streams = _streams(pdf)
    to_unicode: dict[int, str] = {}
    for stream in streams:
        if b"beginbfchar" in stream:
            for code, text in _BFCHAR.findall(stream):
                to_unicode[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    lines = []
    for stream in streams:
        if b" Tj" not in stream and b" TJ" not in stream:
            continue
        for run in _text_objects(stream):
            codes = [int.from_bytes(run[k : k + 2], "big") for k in range(0, len(run), 2)]
            line = "".join(to_unicode.get(code, "\ufffd") for code in codes)
            if line:
                lines.append(line)
    return lines
