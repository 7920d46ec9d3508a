"""The share card: a 1200 by 630 PNG with a letter's title and count, for links shared on social media."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont, ImageFont

WIDTH, HEIGHT = 1200, 630
MARGIN = 80
FONTS = Path("/usr/share/fonts/truetype/dejavu")  # fonts-dejavu-core
BACKGROUND = "#12355b"
ACCENT = "#f2c14e"
TEXT = "#ffffff"
MUTED = "#c9d6e3"
TITLE_SIZES = (68, 60, 52, 44)  # the largest that fits the title in TITLE_LINES lines
TITLE_LINES = 4


def _font(name: str, size: int) -> FreeTypeFont | ImageFont:
    from PIL import ImageFont

    try:
        return ImageFont.truetype(str(FONTS / name), size)
    except OSError:  # no DejaVu on this machine: Pillow's own font, plainer but legible
        return ImageFont.load_default(size)


def _wrap(text: str, font: FreeTypeFont | ImageFont, width: int) -> list[str]:
    """Words into lines no wider than `width`; a word longer than a line is cut."""
    lines: list[str] = []
    for word in text.split():
        while font.getlength(word) > width:
            cut = len(word)
            while cut > 1 and font.getlength(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        elif word:
            lines.append(word)
    return lines


def _title_lines(title: str) -> tuple[list[str], FreeTypeFont | ImageFont, int]:
    width = WIDTH - 2 * MARGIN
    for size in TITLE_SIZES:
        font = _font("DejaVuSans-Bold.ttf", size)
        lines = _wrap(title, font, width)
        if len(lines) <= TITLE_LINES:
            return lines, font, size
    lines = lines[:TITLE_LINES]
    lines[-1] = lines[-1].rstrip(".,;: ") + "…"
    return lines, font, size


def draw(title: str, count: str | None, site_name: str) -> bytes:
    """The card as PNG bytes. Pillow is imported here, so web workers load it only when a card is
    first drawn."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    pen = ImageDraw.Draw(image)
    pen.rectangle((0, 0, 24, HEIGHT), fill=ACCENT)
    pen.text((MARGIN, 64), site_name, font=_font("DejaVuSans.ttf", 32), fill=MUTED)
    lines, font, size = _title_lines(title)
    y = 140
    for line in lines:
        pen.text((MARGIN, y), line, font=font, fill=TEXT)
        y += int(size * 1.2)
    if count:
        pen.text((MARGIN, HEIGHT - 130), count, font=_font("DejaVuSans-Bold.ttf", 44), fill=ACCENT)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
