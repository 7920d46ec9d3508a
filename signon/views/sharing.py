"""What other sites show of a letter: its count badge, its share image and its logo wall's logos."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from signon.models import Letter, LetterStatus
from signon.services import embargo, letters, logos, sharing
from signon.views.logo_files import logo_response

bp = Blueprint("sharing", __name__)


def _published(slug: str) -> Letter:
    letter = letters.get_by_slug(slug)
    if letter is None or letter.status == LetterStatus.DRAFT:
        abort(404)
    embargo.reveal_if_due(letter)
    return letter


def _public(body: bytes, content_type: str) -> Response:
    """Cached for five minutes by anyone, then checked again by its ETag."""
    response = Response(body, content_type=content_type)
    response.set_etag(sharing.etag(body))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.make_conditional(request)
    return response


@bp.get("/letters/<slug>/badge.svg")
def badge(slug: str) -> Response:
    svg = sharing.badge_svg(_published(slug)).encode()
    return _public(svg, "image/svg+xml; charset=utf-8")


@bp.get("/letters/<slug>/share.png")
def image(slug: str) -> Response:
    language = request.args.get("lang")
    return _public(sharing.share_png(_published(slug), language), "image/png")


@bp.get("/logos/<name>")
def logo(name: str) -> Response:
    """A logo on a letter's public logo wall; any other stored logo is not found."""
    found = logos.shown_publicly(name)
    body = logos.read(found) if found else None
    if found is None or body is None:
        abort(404)
    return logo_response(found, body, public=True)
