"""Letter Markdown becomes safe HTML."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from signon.sanitize import markdown_to_html


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.extend(attrs)


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<svg onload=alert(1)>",
        "<style>body{display:none}</style>",
    ],
)
def test_dangerous_markup_never_survives(source: str):
    parser = TagCollector()
    parser.feed(markdown_to_html(source))
    assert parser.tags <= {"p", "a"}
    for name, value in parser.attributes:
        assert not name.startswith("on")
        assert not (value or "").lower().startswith(("javascript:", "data:"))


def test_raw_html_is_shown_as_text():
    assert "&lt;b&gt;bold&lt;/b&gt;" in markdown_to_html("<b>bold</b>")


def test_markdown_features_letters_use_survive():
    html = markdown_to_html(
        "# Heading\n\nSome **bold** and *em*.\n\n1. one\n2. two\n\n> quote\n\n[site](https://example.org)"
    )
    assert "<h2>Heading</h2>" in html
    assert "<strong>bold</strong>" in html
    assert "<ol>" in html
    assert "<blockquote>" in html
    assert 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_headings_placed_under_a_page_heading_keep_the_outline_in_order():
    from signon.templating import markdown

    html = str(markdown("# Big\n\n## Smaller\n\n###### Least\n\ntext", below=3))
    assert "<h4>Big</h4>" in html
    assert "<h6>Least</h6>" in html
    assert not any(f"<h{level}" in html for level in (1, 2, 3))
