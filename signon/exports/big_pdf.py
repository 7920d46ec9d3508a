"""A long letter as PDF: its list laid out in parts by a separate renderer process (WeasyPrint's
layout time grows faster than the list, and its memory stays with the process), then the parts
joined with pypdf and numbered "Page 1 of N" as the short letter is."""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO

from flask import render_template

from signon import i18n
from signon.exports import parts, pdf_renderer
from signon.exports.model import ListDocument

RENDERER = Path(pdf_renderer.__file__)


class RenderError(RuntimeError):
    """The renderer process failed; the message ends with what it said."""


class Renderer:
    """A `python -I` process laying out one HTML document after another."""

    def __init__(self) -> None:
        self._errors: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and file
            [sys.executable, "-I", str(RENDERER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
        )

    def render(self, html: str) -> bytes:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        try:
            pdf_renderer.write_frame(self._process.stdin, html.encode("utf-8"))
            answer = pdf_renderer.read_frame(self._process.stdout)
        except (OSError, EOFError):
            answer = None
        if answer is None:
            raise RenderError(f"the PDF renderer stopped: {self._said()}")
        return answer

    def _said(self) -> str:
        self._process.kill()
        self._process.wait()
        self._errors.seek(0)
        lines = self._errors.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else f"exit status {self._process.returncode}"

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._errors.close()

    def __enter__(self) -> Renderer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is not None:
            self._process.kill()  # stopped halfway: the rest of the layout is not wanted
        self.close()


def letter_pdf(
    doc: ListDocument,
    body_html: str,
    dated: datetime,
    *,
    size: int,
    progress: Callable[[int], None] = lambda done: None,
) -> bytes:
    """The same letter as exports.documents.letter_pdf, made `size` names at a time; `progress`
    hears the names laid out so far after each part (and may raise to stop)."""
    from pypdf import PdfReader, PdfWriter  # loaded on the first long PDF, not by every process

    writer = PdfWriter()
    done = 0
    with Renderer() as renderer:
        for part in parts.split(doc, size):
            html = render_template(
                "exports/letter_part.html",
                part=part,
                title=doc.title,
                body_html=body_html,
                dated=doc.day(dated),
                language=doc.words.language,
            )
            writer.append(PdfReader(io.BytesIO(renderer.render(html))))
            done += part.names
            progress(done)
        language = doc.words.language
        with i18n.speaking(language):  # "Page 1 of 9"
            numbers = render_template(
                "exports/page_numbers.html",
                title=doc.title,
                pages=len(writer.pages),
                language=language,
            )
        footers = renderer.render(numbers)
    for page, footer in zip(writer.pages, PdfReader(io.BytesIO(footers)).pages, strict=True):
        page.merge_page(footer)
    writer.add_metadata({"/Title": doc.title, "/Producer": "signon"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
