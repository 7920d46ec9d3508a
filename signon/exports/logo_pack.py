"""The logo pack for the press: a ZIP of the organizations' logos named by organization, and the
logo wall, one PNG of them all in list order. Pillow is imported only when a wall is drawn."""

from __future__ import annotations

import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Sequence

WALL_NAME = "logo-wall.png"
TILE_WIDTH, TILE_HEIGHT = 240, 140  # one logo's cell, its padding included
PADDING = 20
MARGIN = 20
WALL_MAX_LOGOS = 300  # the wall's first 300 (at most 2440 by 4240 pixels); the ZIP has them all
NAME_MAX = 100  # characters of a file name, before ".png"

_UNSAFE = re.compile(r'[/\\:*?"<>|]+')
_SPACES = re.compile(r"\s+")
_RESERVED = re.compile(r"\A(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?\Z", re.IGNORECASE)


def file_names(organizations: Sequence[str], suffix: str = ".png") -> list[str]:
    """A file name per organization, in the same order: its own name with every letter kept
    (accents, scripts, emoji), but nothing that makes a path or trips an operating system (no
    separators, control characters, leading dots or reserved device names), and unique even to
    a file system that ignores case."""
    taken = {WALL_NAME.casefold()}
    names = []
    for organization in organizations:
        stem = _safe_stem(organization)
        name, number = f"{stem}{suffix}", 1
        while name.casefold() in taken:
            number += 1
            name = f"{stem} ({number}){suffix}"
        taken.add(name.casefold())
        names.append(name)
    return names


_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _unwanted(character: str) -> bool:
    """Control, unassigned, private and separator characters, and the bidi controls that can
    make "gpj.exe" read as "exe.jpg"; joiners inside emoji stay."""
    category = unicodedata.category(character)
    return (
        category in ("Cc", "Cs", "Co", "Cn")
        or category.startswith("Z")
        or character in _BIDI_CONTROLS
    )


def _safe_stem(organization: str) -> str:
    text = unicodedata.normalize("NFC", organization)
    text = "".join(" " if _unwanted(c) else c for c in text)
    text = _SPACES.sub(" ", _UNSAFE.sub("-", text)).strip(" .-")
    text = text[:NAME_MAX].rstrip(" .")
    if not text:
        return "logo"
    return f"_{text}" if _RESERVED.match(text) else text


def zip_pack(logos: Sequence[tuple[str, bytes]], wall: bytes | None) -> bytes:
    """The ZIP: each (organization, PNG) under its safe name, then the wall. Stored, not
    deflated: PNG is compressed already."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as pack:
        for name, (_, png) in zip(file_names([o for o, _ in logos]), logos, strict=True):
            pack.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), png)
        if wall is not None:
            pack.writestr(zipfile.ZipInfo(WALL_NAME, date_time=(2000, 1, 1, 0, 0, 0)), wall)
    return out.getvalue()


def wall_columns(count: int) -> int:
    """Six across for a short list, up to ten for a long one."""
    if count <= 0:
        return 1
    return min(count, 6 if count <= 48 else 10)


def wall_size(count: int) -> tuple[int, int]:
    """The wall's width and height in pixels for this many logos (after WALL_MAX_LOGOS)."""
    count = min(count, WALL_MAX_LOGOS)
    columns = wall_columns(count)
    rows = max(1, math.ceil(count / columns))
    return columns * TILE_WIDTH + 2 * MARGIN, rows * TILE_HEIGHT + 2 * MARGIN


def draw_wall(logos: Sequence[bytes]) -> bytes:
    """The logos (stored PNGs, in list order) on a white grid, each centred and scaled to fit its
    cell; only the first WALL_MAX_LOGOS."""
    from PIL import Image

    shown = list(logos)[:WALL_MAX_LOGOS]
    wall = Image.new("RGB", wall_size(len(shown)), "white")
    columns = wall_columns(len(shown))
    box = (TILE_WIDTH - 2 * PADDING, TILE_HEIGHT - 2 * PADDING)
    for index, png in enumerate(shown):
        with Image.open(io.BytesIO(png), formats=["PNG"]) as opened:
            logo = opened.convert("RGBA")
        logo.thumbnail(box, Image.Resampling.LANCZOS)
        row, column = divmod(index, columns)
        left = MARGIN + column * TILE_WIDTH + (TILE_WIDTH - logo.width) // 2
        top = MARGIN + row * TILE_HEIGHT + (TILE_HEIGHT - logo.height) // 2
        wall.paste(logo, (left, top), logo)
    out = io.BytesIO()
    wall.save(out, "PNG", compress_level=9)
    return out.getvalue()
