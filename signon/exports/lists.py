"""The signatory list as plain text, Markdown, an HTML fragment and CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from markupsafe import escape

from signon.exports.model import Group, ListDocument, ListWords, is_individuals
from signon.exports.safety import neutralize

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>~|])")


def _sections(doc: ListDocument) -> Iterator[tuple[str, list[Group]]]:
    yield "", doc.groups
    if doc.addendum:
        yield doc.addendum_heading, doc.addendum


def as_text(doc: ListDocument) -> str:
    """Plain text to paste into an email or a word processor."""
    lines = [doc.count_line, ""]
    for section, groups in _sections(doc):
        if section:
            lines += [section.upper(), doc.addendum_count_line, ""]
        for group in groups:
            if doc.heading(group):
                lines.append(doc.heading(group))
            lines += [doc.line(entry) for entry in group.entries]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def markdown_escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def as_markdown(doc: ListDocument) -> str:
    lines = [f"**{markdown_escape(doc.count_line)}**", ""]
    for section, groups in _sections(doc):
        if section:
            lines += [
                f"## {markdown_escape(section)}",
                "",
                f"*{markdown_escape(doc.addendum_count_line)}*",
                "",
            ]
        for group in groups:
            if doc.heading(group):
                lines += [f"### {markdown_escape(doc.heading(group))}", ""]
            lines += [f"- {markdown_escape(doc.line(entry))}" for entry in group.entries]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def as_html(doc: ListDocument) -> str:
    """A fragment for a website or a CMS: headings, lists, everything escaped."""
    parts = [
        '<section class="signatories">',
        f'<p class="signatory-count">{escape(doc.count_line)}</p>',
    ]
    for section, groups in _sections(doc):
        if section:
            parts += [
                f"<h2>{escape(section)}</h2>",
                f'<p class="signatory-count">{escape(doc.addendum_count_line)}</p>',
            ]
        for group in groups:
            if doc.heading(group):
                parts.append(f"<h3>{escape(doc.heading(group))}</h3>")
            parts.append("<ul>")
            for entry in group.entries:
                place = (
                    f'<span class="place">, {escape(entry.place)}</span>'
                    if doc.options.with_place and entry.place
                    else ""
                )
                parts.append(f"<li>{escape(entry.name)}{place}</li>")
            parts.append("</ul>")
    parts.append("</section>")
    return "\n".join(parts) + "\n"


CSV_HEADER = list(ListWords().csv_header)


def as_csv(doc: ListDocument) -> str:
    """One row per signatory; UTF-8 with a byte-order mark so Excel reads accents right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(doc.words.csv_header)
    for section, groups in _sections(doc):
        for group in groups:
            for entry in group.entries:
                row = [
                    section or doc.words.csv_list,
                    doc.words.individuals if is_individuals(group) else group.category,
                    entry.name,
                    entry.place if doc.options.with_place else "",
                    entry.kind,
                ]
                writer.writerow([neutralize(value) for value in row])
    return "\ufeff" + buffer.getvalue()
