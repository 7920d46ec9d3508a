"""Markdown to safe HTML: the only module that imports a sanitizer.

Raw HTML in Markdown is switched off at parse time, and the rendered HTML is cleaned again with nh3
(the maintained successor of bleach) so that a parser bug cannot become a script on a public page.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

_ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "ol": {"start"}}
_URL_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable("table")


def markdown_to_html(text: str) -> str:
    """Render a letter body; headings start at h2 because the page's h1 is the letter title."""
    html = _markdown.render(text)
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return clean_html(html)


_HEADING_TAG = re.compile(r"<(/?)h([1-6])\b")


def demote_headings(html: str, levels: int) -> str:
    """Every heading of sanitized HTML moved `levels` down (never past h6), for Markdown shown
    under a deeper heading of the page than the letter's own h1."""
    return _HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + levels)}", html)


def clean_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
