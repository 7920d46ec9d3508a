"""Lays out HTML documents as PDFs with WeasyPrint, one after another, in a process of its own.

Run as `python -I signon/exports/pdf_renderer.py`: it imports nothing of signon's and reads no
settings. Each request on stdin is an 8-byte big-endian length and that many bytes of UTF-8 HTML;
each answer on stdout is the same framing around a PDF. It exits at the end of its input, and the
memory WeasyPrint took goes back to the system with it."""

from __future__ import annotations

import struct
import sys
from typing import IO

FRAME = struct.Struct(">Q")


def read_frame(stream: IO[bytes]) -> bytes | None:
    """One framed message, or None at the end of the stream."""
    header = stream.read(FRAME.size)
    if not header:
        return None
    if len(header) < FRAME.size:
        raise EOFError("the stream ended inside a frame header")
    (length,) = FRAME.unpack(header)
    body = stream.read(length)
    if len(body) < length:
        raise EOFError("the stream ended inside a frame")
    return body


def write_frame(stream: IO[bytes], body: bytes) -> None:
    stream.write(FRAME.pack(len(body)) + body)
    stream.flush()


def main() -> None:
    from weasyprint import HTML

    while (html := read_frame(sys.stdin.buffer)) is not None:
        write_frame(sys.stdout.buffer, HTML(string=html.decode("utf-8")).write_pdf() or b"")


if __name__ == "__main__":
    main()
