"""How a letter looks when shared: the count badge, the Open Graph card and its image."""

from __future__ import annotations

import io
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient

from signon import ROOT
from signon.exports import share_image
from signon.models import LetterStatus
from signon.services import sharing
from tests.factories import confirmed_signature, create_letter

HOSTILE = 'Stop <script>alert(1)</script> & "quote" \x01 </svg><svg onload=x>'
SVG = "{http://www.w3.org/2000/svg}"


class Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        key = found.get("property") or found.get("name")
        if tag == "meta" and key:
            self.tags[key] = found.get("content") or ""


def meta_tags(html: str) -> dict[str, str]:
    parser = Meta()
    parser.feed(html)
    return parser.tags


def parse_svg(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314 - our own output, parsed to check it


def sign(app: Flask, slug: str, *organizations: str) -> None:
    with app.app_context():
        letter = sharing.letters.get_by_slug(slug)
        assert letter is not None
        for name in organizations:
            confirmed_signature(letter, organization=name, email=f"{name[:5].lower()}@x.example")


def test_badge_shows_the_count_with_public_cache_headers(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter()
    sign(app, "test-letter", "Open Records Alliance")
    response = client.get("/letters/test-letter/badge.svg")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    svg = parse_svg(response.data)
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts == ["signed by", "1 organization"]
    assert svg.find(f"{SVG}title").text == "Publish the data: 1 organization has signed"
    assert not list(svg.iter(f"{SVG}script"))

    etag = response.headers["ETag"]
    again = client.get("/letters/test-letter/badge.svg", headers={"If-None-Match": etag})
    assert again.status_code == 304

    sign(app, "test-letter", "Sunlight Network")
    changed = client.get("/letters/test-letter/badge.svg", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert [t.text for t in parse_svg(changed.data).iter(f"{SVG}text")][1] == "2 organizations"


def test_badge_escapes_a_hostile_title_as_xml(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter(title=HOSTILE)
    response = client.get("/letters/test-letter/badge.svg")
    svg = parse_svg(response.data)  # well-formed XML despite the title
    assert [el.tag for el in svg.iter()].count(f"{SVG}svg") == 1
    assert not [el for el in svg.iter() if el.tag in (f"{SVG}script", "script")]
    assert not [name for el in svg.iter() for name in el.attrib if name.startswith("on")]
    assert svg.find(f"{SVG}title").text.startswith('Stop <script>alert(1)</script> & "quote"')
    assert b"<script" not in response.data


def test_badge_and_image_are_only_for_published_letters(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter(slug="draft-one", status=LetterStatus.DRAFT)
        create_letter(slug="closed-one", status=LetterStatus.CLOSED)
    for path in ("badge.svg", "share.png"):
        assert client.get(f"/letters/draft-one/{path}").status_code == 404
        assert client.get(f"/letters/missing/{path}").status_code == 404
        assert client.get(f"/letters/closed-one/{path}").status_code == 200


def test_letter_page_has_escaped_open_graph_and_twitter_tags(app: Flask, client: FlaskClient):
    with app.app_context():
        create_letter(title=HOSTILE.replace("\x01", ""))
    sign(app, "test-letter", "Open Records Alliance", "Sunlight Network")
    response = client.get("/letters/test-letter")
    html = response.text
    assert "<script>alert" not in html
    assert "<svg onload" not in html
    tags = meta_tags(html)
    assert tags["og:title"] == HOSTILE.replace("\x01", "")
    assert tags["og:type"] == "article"
    assert tags["og:url"] == "https://signon.example/letters/test-letter"
    assert tags["og:image"] == "https://signon.example/letters/test-letter/share.png"
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:description"].startswith(
        "2 organizations have signed. Dear Director, We ask you to publish the data."
    )


def test_share_image_is_a_1200_by_630_png(app: Flask, client: FlaskClient):
    from PIL import Image

    with app.app_context():
        create_letter(title="A very long title " * 10 + "x" * 19)
    response = client.get("/letters/test-letter/share.png")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["ETag"]
    image = Image.open(io.BytesIO(response.data))
    image.verify()
    assert (image.format, image.size) == ("PNG", (1200, 630))


@pytest.fixture
def drawings(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The counts each share image was drawn with, as it is really drawn."""
    drawn: list[str | None] = []
    real = share_image.draw

    def counting(title: str, count: str | None, site_name: str) -> bytes:
        drawn.append(count)
        return real(title, count, site_name)

    monkeypatch.setattr(share_image, "draw", counting)
    return drawn


def test_share_image_is_drawn_once_per_list_change(
    app: Flask, client: FlaskClient, drawings: list[str | None]
):
    with app.app_context():
        create_letter()
    first = client.get("/letters/test-letter/share.png").data
    assert client.get("/letters/test-letter/share.png").data == first
    client.get("/letters/test-letter")  # the page does not draw it either
    assert drawings == ["0 organizations have signed"]

    sign(app, "test-letter", "Open Records Alliance")
    second = client.get("/letters/test-letter/share.png").data
    assert second != first
    assert client.get("/letters/test-letter/share.png").data == second
    assert drawings == ["0 organizations have signed", "1 organization has signed"]


def test_a_hidden_count_leaves_badge_card_and_image_without_numbers(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, drawings: list[str | None]
):
    with app.app_context():
        create_letter()
    sign(app, "test-letter", "Open Records Alliance")
    monkeypatch.setattr(sharing, "public_counts", lambda letter: None)
    svg = parse_svg(client.get("/letters/test-letter/badge.svg").data)
    said = [el.text for el in svg.iter() if el.text] + [svg.attrib["aria-label"]]
    assert said == [
        "Publish the data: sign-on open",
        "sign-on letter",
        "open",
        "Publish the data: sign-on open",
    ]
    description = meta_tags(client.get("/letters/test-letter").text)["og:description"]
    assert "organization" not in description
    assert client.get("/letters/test-letter/share.png").status_code == 200
    assert drawings == [None]


def test_the_app_starts_without_loading_pillow():
    script = (
        "import sys\n"
        "from signon import create_app\n"
        "create_app({'SECRET_KEY': 'k' * 40, 'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
        "print('PIL' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_share_image_falls_back_to_pillows_font_without_dejavu(
    monkeypatch: pytest.MonkeyPatch, tmp_path
):
    from PIL import Image

    monkeypatch.setattr(share_image, "FONTS", tmp_path)
    png = share_image.draw("Publish the data " * 8, "1 organization has signed", "Signon")
    assert Image.open(io.BytesIO(png)).size == (1200, 630)
