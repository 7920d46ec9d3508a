"""The final letter as a document: DOCX (python-docx) for letterhead, PDF (WeasyPrint) for print;
the building blocks the press release reuses."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from flask import render_template

from signon import i18n
from signon.exports.model import Group, ListDocument

if TYPE_CHECKING:  # python-docx is loaded on the first document, not by every process
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph

_BLOCK_STYLES = {
    "p": "Normal",
    "h2": "Heading 2",
    "h3": "Heading 3",
    "h4": "Heading 4",
    "h5": "Heading 5",
    "h6": "Heading 6",
    "blockquote": "Quote",
    "pre": "Normal",
}


class _HtmlToDocx(HTMLParser):
    """Writes the sanitized letter HTML (paragraphs, headings, lists, quotes, bold, italics,
    links) into a document with Word's own styles."""

    def __init__(self, document: DocxDocument) -> None:
        super().__init__(convert_charrefs=True)
        self.document = document
        self.paragraph: Paragraph | None = None
        self.lists: list[str] = []
        self.bold = 0
        self.italic = 0
        self.quote = 0
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("ul", "ol"):
            self.lists.append(tag)
        elif tag == "li":
            style = "List Number" if self.lists and self.lists[-1] == "ol" else "List Bullet"
            self.paragraph = self.document.add_paragraph(style=style)
        elif tag == "blockquote":
            self.quote += 1
        elif tag in _BLOCK_STYLES:
            self.paragraph = self.document.add_paragraph(
                style="Quote" if self.quote else _BLOCK_STYLES[tag]
            )
        elif tag in ("strong", "b"):
            self.bold += 1
        elif tag in ("em", "i"):
            self.italic += 1
        elif tag == "a":
            self.href = dict(attrs).get("href")
        elif tag == "br" and self.paragraph is not None:
            from docx.enum.text import WD_BREAK

            self.paragraph.add_run().add_break(WD_BREAK.LINE)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
        elif tag in ("strong", "b"):
            self.bold = max(0, self.bold - 1)
        elif tag in ("em", "i"):
            self.italic = max(0, self.italic - 1)
        elif tag == "a":
            if self.href and self.paragraph is not None:
                self.paragraph.add_run(f" ({self.href})")
            self.href = None
        elif tag in _BLOCK_STYLES or tag == "li":
            self.paragraph = None

    def handle_data(self, data: str) -> None:
        if not data.strip() and self.paragraph is None:
            return
        if self.paragraph is None:
            self.paragraph = self.document.add_paragraph()
        run = self.paragraph.add_run(data)
        run.bold = bool(self.bold) or None
        run.italic = bool(self.italic) or None


def new_document(title: str, dated: datetime) -> DocxDocument:
    """A blank document with fixed properties, so the same content makes the same file."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.core_properties.title = title
    document.core_properties.author = "signon"
    document.core_properties.created = dated.replace(tzinfo=None)
    document.core_properties.modified = dated.replace(tzinfo=None)
    document.core_properties.last_modified_by = "signon"
    document.core_properties.revision = 1
    document.styles["Normal"].font.size = Pt(11)
    return document


def add_html(document: DocxDocument, html: str) -> None:
    """Sanitized HTML (from Markdown) as paragraphs in Word's own styles."""
    parser = _HtmlToDocx(document)
    parser.feed(html)
    parser.close()


def saved(document: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


Progress = Callable[[int], None]
PROGRESS_EVERY = 400  # names between two progress reports of a long DOCX


def letter_docx(
    doc: ListDocument, body_html: str, dated: datetime, progress: Progress | None = None
) -> bytes:
    """The letter text, then the signatory block with real heading and list styles; `progress`
    hears the names written so far every few hundred names (and may raise to stop)."""
    document = new_document(doc.title, dated)
    document.add_heading(doc.title, level=1)
    document.add_paragraph(doc.day(dated))
    add_html(document, body_html)
    signatory_block(document, doc, progress)
    return saved(document)


def signatory_block(
    document: DocxDocument, doc: ListDocument, progress: Progress | None = None
) -> None:
    document.add_heading(doc.words.signatories, level=2)
    document.add_paragraph(doc.count_line, style="Subtitle")
    written = 0
    for group in doc.groups:
        written = _group(document, doc, group, written, progress)
    if doc.addendum:
        document.add_heading(doc.addendum_heading, level=2)
        document.add_paragraph(doc.addendum_count_line)
        for group in doc.addendum:
            written = _group(document, doc, group, written, progress)
    if progress is not None:
        progress(written)


def _group(
    document: DocxDocument, doc: ListDocument, group: Group, written: int, progress: Progress | None
) -> int:
    if doc.heading(group):
        document.add_heading(doc.heading(group), level=3)
    style = document.styles["List"]  # looked up once: by name it costs a scan per paragraph
    for entry in group.entries:
        document.add_paragraph(doc.line(entry), style=style)
        written += 1
        if progress is not None and written % PROGRESS_EVERY == 0:
            progress(written)
    return written


def letter_pdf(doc: ListDocument, body_html: str, dated: datetime) -> bytes:
    """The print-ready final letter with page numbers; WeasyPrint is loaded only when needed."""
    from weasyprint import HTML

    with i18n.speaking(doc.words.language):  # the footer's "Page 1 of 9"
        html = render_template("exports/letter.html", doc=doc, body_html=body_html, dated=dated)
    return HTML(string=html).write_pdf() or b""
