"""The press release as Markdown and as DOCX, both rendered from one PressReleaseDocument."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from signon.exports import documents, lists
from signon.exports.lists import markdown_escape
from signon.exports.model import ListDocument
from signon.sanitize import markdown_to_html

END_MARK = "###"

CONTACTS_HEADING = "Press contacts"


@dataclass
class PressReleaseDocument:
    """Everything a release says, in order. `headline` and `contacts` are plain text; `updates` and
    `body_markdown` are Markdown with their date line or dateline already in front."""

    headline: str
    updates: list[str]
    body_markdown: str
    signatories: ListDocument
    contacts: list[str] = field(default_factory=list)
    contacts_heading: str = CONTACTS_HEADING  # in the release's language


def as_markdown(release: PressReleaseDocument) -> str:
    parts = [f"# {markdown_escape(release.headline)}", *release.updates, release.body_markdown]
    parts += [f"## {release.signatories.words.signatories}", lists.as_markdown(release.signatories)]
    if release.contacts:
        parts += [
            f"## {release.contacts_heading}",
            "\n".join(f"- {markdown_escape(line)}" for line in release.contacts),
        ]
    parts.append("\\" + END_MARK)  # escaped, or Markdown reads it as an empty heading
    return "\n\n".join(part.strip() for part in parts if part.strip()) + "\n"


def as_docx(release: PressReleaseDocument, dated: datetime) -> bytes:
    """The same blocks as the Markdown, in Word's own Heading, List and Subtitle styles."""
    document = documents.new_document(release.headline, dated)
    document.add_heading(release.headline, level=1)
    for update in release.updates:
        documents.add_html(document, markdown_to_html(update))
    documents.add_html(document, markdown_to_html(release.body_markdown))
    documents.signatory_block(document, release.signatories)
    if release.contacts:
        document.add_heading(release.contacts_heading, level=2)
        style = document.styles["List Bullet"]
        for line in release.contacts:
            document.add_paragraph(line, style=style)
    end = document.add_paragraph(END_MARK)
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    end.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return documents.saved(document)
