"""Uploaded logos made safe: the real format sniffed, sizes bounded, decoded and re-encoded as PNG.

Nothing a signer sends is kept as sent: only pixels survive, redrawn into a fresh PNG without
metadata (EXIF, GPS, text chunks, ICC profiles). Pillow is imported only when a logo arrives, so
web workers do not load it at start.
"""

from __future__ import annotations

import io
import struct
import threading
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from babel.numbers import format_decimal
from flask_babel import gettext, lazy_gettext

from signon import i18n

if TYPE_CHECKING:
    from PIL import Image

MAX_BYTES = 2 * 1024 * 1024  # what a signer may upload
MAX_PIXELS = 8_000_000  # decoded size: a 2 MB file may claim far more (a decompression bomb)
MAX_SIDE = 10_000
MIN_SIDE = 16
LONG_SIDE = 1000  # logos are stored at most this wide or tall
FORMATS = ("PNG", "JPEG", "WEBP")
MEDIA_TYPE = "image/png"  # every stored logo, whatever was uploaded
SUFFIX = ".png"

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
# The messages are written when a logo is refused, in the language of the page it was sent from.
_AGAIN = lazy_gettext(
    "Save it as PNG, JPEG or WebP (for example with “Save as” or “Export” in an image editor) "
    "and choose it again."
)


class LogoRefused(ValueError):
    """The file is not a logo signon will keep; the message says why, in the signer's words and
    language."""


def _sentences(*parts: object) -> str:
    return " ".join(str(part) for part in parts)


@dataclass(frozen=True)
class PreparedLogo:
    """A logo as it will be stored: a fresh PNG and what it measures."""

    png: bytes
    width: int
    height: int

    @property
    def size(self) -> int:
        return len(self.png)


def prepare(data: bytes) -> PreparedLogo:
    """The uploaded bytes as a safe PNG, or LogoRefused saying what is wrong with them."""
    if not data:
        raise LogoRefused(gettext("The logo file is empty. Choose the image file again."))
    if len(data) > MAX_BYTES:
        raise LogoRefused(
            _sentences(
                gettext(
                    "The logo file is larger than 2 MB (%(size)s).", size=_megabytes(len(data))
                ),
                _SMALLER,
            )
        )
    kind = sniff(data)
    _refuse_trailing_data(kind, data)
    return _reencode(data)


_SMALLER = lazy_gettext("Choose a smaller file: a logo of about 1000 pixels across is plenty.")


def _megabytes(size: int) -> str:
    """'2.5 MB', or '2,5 MB' in a language that writes decimals with a comma."""
    return f"{format_decimal(size / (1024 * 1024), '0.0', locale=i18n.current())} MB"


def sniff(data: bytes) -> str:
    """PNG, JPEG or WEBP from the file's first bytes (never its name), or LogoRefused naming
    what it looks like instead."""
    if data.startswith(_PNG):
        return "PNG"
    if data.startswith(_JPEG):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<") and (b"<svg" in head or b"<?xml" in head):
        raise LogoRefused(
            _sentences(gettext("SVG images are not accepted, whatever the file is called."), _AGAIN)
        )
    if head.startswith(b"<"):
        raise LogoRefused(
            _sentences(gettext("This file is a web page or text, not an image."), _AGAIN)
        )
    for magic, name in _OTHERS:
        if data.startswith(magic):
            raise LogoRefused(
                _sentences(gettext("%(kind)s files are not accepted.", kind=name), _AGAIN)
            )
    raise LogoRefused(_sentences(gettext("This file is not a PNG, JPEG or WebP image."), _AGAIN))


_OTHERS = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "ZIP"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x01\x00", "ICO"),
)


# --- Bytes after the image ---------------------------------------------------------------------


_TRAILING = lazy_gettext(
    "The file has other data hidden after the image, so it was not accepted. "
    "Open it in an image editor, save it again as PNG or JPEG, and choose the new file."
)
_DAMAGED = lazy_gettext("The image file is damaged or incomplete.")


def _refuse_trailing_data(kind: str, data: bytes) -> None:
    """Anything after the image's own end (a script, a ZIP) makes the file a polyglot: refused,
    so what a signer sees accepted is exactly what was drawn. Zero padding is allowed."""
    end = {"PNG": _png_end, "JPEG": _jpeg_end, "WEBP": _webp_end}[kind](data)
    if end is None:
        raise LogoRefused(_sentences(_DAMAGED, _AGAIN))
    if data[end:].strip(b"\x00"):
        raise LogoRefused(str(_TRAILING))


def _png_end(data: bytes) -> int | None:
    """The offset just past the IEND chunk."""
    at = len(_PNG)
    while at + 12 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        at += 12 + length
        if at > len(data):
            return None
        if kind == b"IEND":
            return at
    return None


_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RSTn: markers without a length


def _jpeg_end(data: bytes) -> int | None:
    """The offset just past the EOI marker that closes the image, walking its segments (and the
    entropy-coded data after each SOS) rather than searching for the bytes FF D9."""
    at = 2
    while at + 2 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill bytes
            at += 1
            continue
        if marker == 0xD9:
            return at + 2
        if marker in _STANDALONE:
            at += 2
            continue
        if at + 4 > len(data):
            return None
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length
        if marker == 0xDA:
            at = _after_scan(data, at)
    return None


def _after_scan(data: bytes, at: int) -> int:
    """The offset of the first marker after entropy-coded data (FF 00 and RSTn belong to it)."""
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= len(data):
            return len(data)
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            at += 1 if following == 0xFF else 2
            continue
        return at


def _webp_end(data: bytes) -> int | None:
    """The offset just past the RIFF container (with its pad byte)."""
    if len(data) < 12:
        return None
    (size,) = struct.unpack("<I", data[4:8])
    end = 8 + size  # an odd size's pad byte is a zero, allowed after the end
    return end if end <= len(data) else None


# --- Decoding ----------------------------------------------------------------------------------


# Decoding takes up to a few hundred MB for a large image: at most this many at once per process.
_DECODING = threading.BoundedSemaphore(2)


def _reencode(data: bytes) -> PreparedLogo:
    with _DECODING:
        return _decoded_and_redrawn(data)


def _decoded_and_redrawn(data: bytes) -> PreparedLogo:
    from PIL import Image, ImageOps

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _opened(data)
            if image.format == "JPEG":  # decoded at a reduced scale: far less memory and time
                image.draft("RGB", (LONG_SIDE * 2, LONG_SIDE * 2))
            image.load()
            image = ImageOps.exif_transpose(image)  # upright as seen, before EXIF goes
        except LogoRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise LogoRefused(_too_many_pixels()) from error
        except Exception as error:  # any decoder failure is a file we refuse
            raise LogoRefused(_sentences(_DAMAGED, _AGAIN)) from error
    mode = "RGBA" if _has_alpha(image) else "RGB"
    image = image.convert(mode)
    image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    # Only the pixels travel into the new image: no info, EXIF, ICC or text chunks come along.
    clean = Image.frombytes(mode, image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, "PNG", compress_level=9)
    return PreparedLogo(out.getvalue(), clean.width, clean.height)


def _opened(data: bytes) -> Image.Image:
    """The image checked whole (verify), then opened again to be decoded: Pillow needs a fresh
    object after verify. Sizes are checked from the header, before any pixel is decoded."""
    from PIL import Image

    with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
        _check_shape(probe)
        probe.verify()
    image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    _check_shape(image)
    return image


def _check_shape(image: Image.Image) -> None:
    width, height = image.size
    if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
        raise LogoRefused(_too_many_pixels(width, height))
    if min(width, height) < MIN_SIDE:
        raise LogoRefused(
            gettext(
                "The image is only %(width)s by %(height)s pixels. "
                "Choose a larger version of the logo.",
                width=width,
                height=height,
            )
        )
    if getattr(image, "n_frames", 1) > 1:
        raise LogoRefused(
            gettext("Animated images are not accepted. Choose a still PNG, JPEG or WebP image.")
        )


def _too_many_pixels(width: int = 0, height: int = 0) -> str:
    if width:
        too_large = gettext(
            "The image is too large when opened (%(width)s by %(height)s pixels).",
            width=width,
            height=height,
        )
    else:
        too_large = gettext("The image is too large when opened.")
    return _sentences(too_large, _SMALLER)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
