"""How a letter looks when shared elsewhere: the count badge, the share card and its image."""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass

from flask import current_app
from flask_babel import ngettext
from markupsafe import Markup, escape

from signon import i18n
from signon.exports import share_image
from signon.links import external_url
from signon.models import Letter
from signon.services import embargo, letters, listing, translations

_IMAGE_FORMAT = 1  # raise when the drawing changes, so cached images are drawn again
_SUMMARY_WORDS = 30
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0


def public_counts(letter: Letter) -> listing.ListCounts | None:
    """The count the world may see of this letter, or None while it is hidden: the one place the
    badge, the share card and its image ask (an embargo may hide it until launch)."""
    return embargo.public_counts(letter)


def count_sentence(counts: listing.ListCounts) -> str:
    """'53 organizations have signed', '1 organization has signed', in the page's language (the
    badge, cached once for every visitor, asks in English)."""
    return ngettext(
        "%(who)s has signed", "%(who)s have signed", counts.total, who=counts.count_subject
    )


def _xml(text: str) -> str:
    return str(escape(_NOT_XML.sub("", text)))


def _text_width(text: str) -> int:
    """Roughly, in pixels at 11px sans-serif: badges are sized without a font at hand."""
    return 10 + sum(
        4 if ch in "il.,:;'|! " else 9 if ch.isupper() or ch in "mwMW" else 7 for ch in text
    )


def badge_svg(letter: Letter) -> str:
    """A small two-part badge ('signed by | 53 organizations'), static SVG with no script."""
    counts = public_counts(letter)
    if counts:
        with i18n.english():
            label, value, said = "signed by", counts.count_line, count_sentence(counts)
    else:
        value = "open" if letters.accepts_signatures(letter) else "closed"
        label, said = "sign-on letter", f"sign-on {value}"
    left, right = _text_width(label), _text_width(value)
    said = f"{letter.title}: {said}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + right}" height="20" '
        f'role="img" aria-label="{_xml(said)}">'
        f"<title>{_xml(said)}</title>"
        f'<rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="#12355b"/>'
        '<g fill="#fff" font-family="DejaVu Sans,Verdana,Geneva,sans-serif" font-size="11" '
        'text-anchor="middle">'
        f'<text x="{left / 2}" y="14">{_xml(label)}</text>'
        f'<text x="{left + right / 2}" y="14">{_xml(value)}</text>'
        "</g></svg>"
    )


def image_language(chosen: str | None) -> str:
    """The language a share image is drawn in: the one asked for if the site speaks it, else
    the site's default."""
    return i18n.spoken_or_default(chosen)


def share_png(letter: Letter, language: str | None = None) -> bytes:
    """The share image in `language` (its title and count), drawn once per list version, title
    and language for the whole site."""
    language = image_language(language)
    counts = public_counts(letter)
    site = str(current_app.config["SITE_NAME"])
    title = translations.title_in(letter, language)
    depends = zlib.crc32(f"{title}\n{site}\n{counts is None}".encode())

    def draw() -> bytes:
        with i18n.speaking(language):
            return share_image.draw(title, count_sentence(counts) if counts else None, site)

    return listing.cached_made(letter, f"share{_IMAGE_FORMAT}:{language}:{depends:08x}", draw)


def etag(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Card:
    """What the Open Graph and Twitter tags of the letter's page say."""

    title: str
    description: str
    url: str
    image: str
    width: int = share_image.WIDTH
    height: int = share_image.HEIGHT


def card(letter: Letter, language: str) -> Card:
    """The card of the letter's page as read in `language`: its translated title and text when
    there is a translation, the count in that language, and the image drawn in it."""
    counts = public_counts(letter)
    shown = translations.shown_in(letter, language)
    html = shown.translation.body_html if shown else letters.current_version(letter).body_html
    words = Markup(html).striptags().split()  # noqa: S704 - only read as text, never output
    summary = " ".join(words[:_SUMMARY_WORDS]) + ("…" if len(words) > _SUMMARY_WORDS else "")
    description = f"{count_sentence(counts)}. {summary}" if counts else summary
    language = image_language(language)
    in_language = {} if language == i18n.languages()[0] else {"lang": language}
    return Card(
        title=translations.title_in(letter, language),
        description=description,
        url=external_url("public.letter", slug=letter.slug),
        image=external_url("sharing.image", slug=letter.slug, **in_language),
    )
